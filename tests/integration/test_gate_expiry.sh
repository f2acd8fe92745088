#!/usr/bin/env bash
# Mail the gate holds is bounced after relay.queue.max_age (DESIGN.md: hold
# "bounced after queue.max_age"); the bounce itself (from <>) is not held.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"

start_sink mx
DEAD=$(free_port) # no DNS answers: example.com is never checked, never ready
relay_config "$T/postern.yaml"
python3 - "$T/postern.yaml" <<PY
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace("relay:\n", 'dns: { resolver: "127.0.0.1:$DEAD", timeout: 1s, retries: 0, blocklists: [] }\nrelay:\n', 1)
s = s.replace("  queue: { path: $T/queue }", '''  queue: { path: $T/queue, retry: [1s], max_age: 3s, warn_after: 0 }
  gate: { mode: hold, interval: 1m }
  routes: [ { domains: ["*"], via: "127.0.0.1:$SINK_PORT" } ]''')
open(p, "w").write(s)
PY
start_relay "$T/postern.yaml"
swaks --server "127.0.0.1:$P_PLAIN" --from crm@example.com --to a@dest.example \
    --h-From crm@example.com >/dev/null 2>&1
sleep 1
expect_eq "held while not ready" "$(ls "$T/mx" 2>/dev/null | grep -c '\.eml$')" 0
for _ in $(seq 1 100); do [ -f "$T/mx/000000.eml" ] && break; sleep 0.1; done
expect_eq "after max_age: one message reaches the sink" "$(ls "$T/mx" | grep -c '\.eml$')" 1
expect_match "it is the bounce, to the sender" "$(cat "$T/mx/000000.json")" '"mail": "", "rcpts": \["crm@example.com"\]'
expect_match "the bounce says it expired (4.4.7)" "$(cat "$T/mx/000000.eml")" $'Final-Recipient: rfc822; a@dest.example\r\nAction: failed\r\nStatus: 4.4.7'
sleep 1
expect_eq "the queue is empty" "$($POSTERN queue list -c "$T/postern.yaml")" ""
finish
