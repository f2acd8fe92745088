#!/usr/bin/env bash
# Concurrency: at most 20 sessions at once to one destination, whatever
# delivery.concurrency allows; the others wait for a place, none is lost.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"

start_sink slow --hang-data
relay_config "$T/postern.yaml"
python3 - "$T/postern.yaml" <<PY
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace("  queue: { path: $T/queue }", '''  queue: { path: $T/queue, retry: [1h] }
  delivery: { concurrency: 40 }
  gate: { mode: off }
  routes: [ { domains: ["*"], via: "127.0.0.1:$SINK_PORT" } ]''')
open(p, "w").write(s)
PY
start_relay "$T/postern.yaml"
chats=()
for i in $(seq 1 30); do
	printf 'EHLO x\r\nMAIL FROM:<crm@example.com>\r\nRCPT TO:<r%d@dest.example>\r\nDATA\r\nFrom: crm@example.com\r\n\r\nx\r\n.\r\nQUIT\r\n' "$i" |
	    chat "$P_PLAIN" >/dev/null &
	chats+=($!)
done
wait "${chats[@]}"
sessions() { ss -Htn state established "( dport = :$SINK_PORT )" | wc -l; }
for _ in $(seq 1 100); do [ "$(sessions)" -ge 20 ] && break; sleep 0.1; done
sleep 1 # would a 21st come?
n=$(sessions)
expect_eq "20 sessions to the one destination, no more" "$n" 20
expect_eq "every message is still queued" "$(queue_count)" 30
finish
