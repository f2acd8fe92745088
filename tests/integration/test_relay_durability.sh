#!/usr/bin/env bash
# Mail that got 250 is never lost: SIGKILL posternd during a burst of
# submissions, restart it, and find every acknowledged message complete in
# the queue; half-written files are discarded at start. Group commit:
# concurrent messages share fsyncs.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"

relay_config "$T/postern.yaml"
start_relay "$T/postern.yaml"

# Group commit: 8 parallel clients, then SIGTERM to get the counters.
$RC burst 80 "$P_PLAIN" "$T/warmup"
kill -TERM "$RELAY_PID"
wait "$RELAY_PID" || true
stats=$(grep -o 'event=queue_stats batches=[0-9]* messages=[0-9]*' "$T/relay.log")
b=$(echo "$stats" | sed 's/.*batches=\([0-9]*\).*/\1/')
m=$(echo "$stats" | sed 's/.*messages=\([0-9]*\)/\1/')
expect_eq "80 messages acknowledged" "$(wc -l <"$T/warmup")" "80"
expect_eq "80 messages written" "$m" "80"
# (How much is shared depends on timing; tests/unit/test_queue.c proves it.)
[ "$b" -ge 1 ] && [ "$b" -le "$m" ] && pass "group commit: $m messages in $b batches" ||
	fail "group commit: $m messages in $b batches"

start_relay "$T/postern.yaml"
: >"$T/acked"
$RC burst 2000 "$P_PLAIN" "$T/acked" &
burst=$!
for _ in $(seq 1 300); do
	[ "$(wc -l <"$T/acked")" -ge 40 ] && break
	sleep 0.05
done
kill -KILL "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null || true
wait "$burst" || true
acked=$(wc -l <"$T/acked")
[ "$acked" -ge 40 ] && [ "$acked" -lt 2000 ] && pass "killed mid-burst after $acked acknowledgements" ||
	fail "killed after $acked acknowledgements"

# Simulate a crash before the commit point, and an unfinished envelope.
printf 'half a message' >"$T/queue/00000000000000aa.msg"
printf 'version 1\n' >"$T/queue/00000000000000bb.env.tmp.1234"
start_relay "$T/postern.yaml"
missing=0
incomplete=0
while read -r id marker; do
	if [ ! -f "$T/queue/$id.env" ] || [ ! -f "$T/queue/$id.msg" ]; then
		missing=$((missing + 1))
		continue
	fi
	grep -q "^Subject: $marker"$'\r'"\$" "$T/queue/$id.msg" &&
		tail -1 "$T/queue/$id.msg" | grep -q "^line 49 of $marker"$'\r'"\$" ||
		incomplete=$((incomplete + 1))
done <"$T/acked"
expect_eq "every acknowledged message is in the queue" "$missing" "0"
expect_eq "every acknowledged message is complete" "$incomplete" "0"
bad=0
for f in "$T"/queue/*.msg; do
	[ -f "${f%.msg}.env" ] || bad=$((bad + 1))
	tail -1 "$f" | grep -q '^line 49 of burst-' || bad=$((bad + 1))
done
expect_eq "no queued message is partial or without envelope" "$bad" "0"
expect_eq "unfinished files removed" "$(ls "$T/queue" | grep -c 'tmp\|00000000000000aa')" "0"
expect_match "discarded half message logged" "$(cat "$T/relay.log")" \
    'event=queue_recover id=00000000000000aa result=removed reason="message without envelope: not committed"'
n=$(queue_count)
expect_match "recovery counted the queue" "$(cat "$T/relay.log")" "event=queue_recover path=$T/queue messages=$n"
expect_eq "postern queue lists them all" "$($POSTERN queue list -c "$T/postern.yaml" | wc -l)" "$n"
finish
