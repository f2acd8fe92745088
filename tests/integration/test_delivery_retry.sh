#!/usr/bin/env bash
# Retries and their limits: a delay warning after warn_after (once), a
# bounce after max_age with 4.4.7, `postern queue flush` retrying at once,
# and bounded work on hostile DNS (50 MX records, a CNAME loop).
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"

start_sink mx
mkdir -p "$T/zones"
{
	printf '$ORIGIN dest.example.\n$TTL 60\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n'
	printf '@ MX 10 mx\nmx A 127.0.0.1\n'
	# 50 MX hosts that all refuse (127.0.0.2): only 10 are tried.
	for i in $(seq 1 50); do printf 'many MX %d dead%d\ndead%d A 127.0.0.2\n' "$i" "$i" "$i"; done
	printf 'loop MX 10 a.loop\na.loop CNAME b.loop\nb.loop CNAME a.loop\n'
} >"$T/zones/dest.example.zone"
printf '$ORIGIN example.com.\n$TTL 60\n@ SOA ns.dest.example. h 1 3600 600 86400 60\n@ NS ns.dest.example.\n@ MX 10 mx.dest.example.\n' \
    >"$T/zones/example.com.zone"
start_knot "$T/zones"

relay_config "$T/postern.yaml"
python3 - "$T/postern.yaml" <<PY
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace("relay:\n", 'dns: { resolver: "127.0.0.1:$KNOT_PORT", timeout: 1s, retries: 0, blocklists: [] }\nrelay:\n', 1)
s = s.replace("  queue: { path: $T/queue }", '''  queue: { path: $T/queue, retry: [1s], warn_after: 2s, max_age: 5s }
  delivery: { port: $SINK_PORT, connect_timeout: 1s }
  gate: { mode: off }''')
open(p, "w").write(s)
PY
start_relay "$T/postern.yaml"
send() { swaks --server "127.0.0.1:$P_PLAIN" --from crm@example.com --to "$1" --h-From crm@example.com --h-Subject "to $1" 2>&1 | sed -n 's/.*queued as \([0-9a-f]*\).*/\1/p'; }
dsns() { grep -l '"mail": ""' "$T"/mx/*.json 2>/dev/null | wc -l; }

id=$(send defer451@dest.example)
expect_match "accepted" "$id" '^[0-9a-f]{16}$'
for _ in $(seq 1 40); do [ "$(dsns)" -ge 1 ] && break; sleep 0.2; done
w=$(grep -l '"mail": ""' "$T"/mx/*.json | head -1)
expect_match "a delay warning after warn_after" "$(cat "${w%.json}.eml")" $'Subject: Delayed Mail \\(still being retried\\)(.|\n)*Action: delayed\r\nStatus: 4.2.0'
for _ in $(seq 1 60); do [ "$(dsns)" -ge 2 ] && break; sleep 0.2; done
expect_eq "one warning, then one bounce, nothing more" "$(dsns)" 2
b=$(grep -l '"mail": ""' "$T"/mx/*.json | tail -1)
expect_match "the bounce after max_age: expired, 4.4.7" "$(cat "${b%.json}.eml")" $'Action: failed\r\nStatus: 4.4.7\r\n(.|\n)*Diagnostic-Code: smtp; 4.4.7 message expired'
expect_eq "the expired message left the queue" "$($POSTERN queue list -c "$T/postern.yaml" | grep -c "$id")" 0

# 50 MX records: at most 10 hosts tried, then deferred; the queue keeps it.
id=$(send x@many.dest.example)
sleep 2
hosts=$(grep "qid=$id" "$T/relay.log" | grep -o 'mx=dead[0-9]*' | sort -u | wc -l)
expect_eq "50 MX: only the 10 best hosts are tried" "$hosts" 10
expect_match "50 MX: deferred" "$(grep "qid=$id" "$T/relay.log" | grep 'event=delivery ')" 'status=deferred reply="451 4.4.1 connection to dead[0-9]+.dest.example failed'

# A CNAME loop: a DNS error, deferred, never a hang.
id=$(send y@loop.dest.example)
sleep 2
expect_match "CNAME loop: deferred" "$(grep "qid=$id" "$T/relay.log" | grep 'event=delivery ')" 'status=deferred reply="451 4.4.3'

# queue flush: a deferred message is tried again at once.
sed -i 's/retry: \[1s\]/retry: [1h]/; s/max_age: 5s/max_age: 1d/' "$T/postern.yaml"
kill "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null
start_relay "$T/postern.yaml"
id=$(send once451@dest.example)
sleep 1
expect_match "queue show: the last reply and the next attempt" "$($POSTERN queue show "$id" -c "$T/postern.yaml")" '451 4.2.0'
n=$(ls "$T/mx" | grep -c '\.eml$')
$POSTERN queue flush -c "$T/postern.yaml" >/dev/null
for _ in $(seq 1 30); do [ "$(ls "$T/mx" | grep -c '\.eml$')" -gt "$n" ] && break; sleep 0.1; done
expect_eq "queue flush: delivered at once despite a 1h retry" "$(ls "$T/mx" | grep -c '\.eml$')" $((n + 1))
finish
