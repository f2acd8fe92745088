#!/usr/bin/env bash
# The destination drops the connection halfway through DATA, three times:
# posternd defers, retries, and delivers each message exactly once, whole.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"
source "$SOURCE_DIR/tests/integration/fault_lib.sh"

start_sink mx --drop-data 3
fault_config "$T/postern.yaml" "$SINK_PORT" || exit 1
start_relay "$T/postern.yaml"
: >"$T/accepted"
$FC submit "$P_PLAIN" 3 3 "$T/accepted" 20 d >"$T/submit.out"
expect_eq "three messages accepted" "$(cat "$T/submit.out")" "accepted=3 failures=0"
wait_empty 30 || fail "the queue did not drain: $(queue_count) left"
v=$($FC verify "$T/mx" "$T/accepted")
echo "verify: $v"
expect_eq "each delivered after the drops" "$(json_get "$v" unique)" 3
expect_eq "none twice" "$(json_get "$v" duplicates)" 0
expect_eq "none half (the sink kept nothing of a dropped transfer)" \
    "$(json_get "$v" truncated)" 0
expect_eq "the sink dropped three transfers" \
    "$(grep -c 'status=deferred' "$T/relay.log")" 3
expect_match "a drop is logged as a deferral with its reason" \
    "$(cat "$T/relay.log")" \
    'event=delivery qid=[0-9a-f]{16} rcpt=rcpt@dest.example mx=[^ ]+ tls="none" status=deferred reply="451 4\.4\.2 127\.0\.0\.1 closed the connection'
finish
