#!/usr/bin/env bash
# The gate in posternd (hold: released when DNS is fixed; defer: 451 at MAIL
# FROM; a DNS outage keeps the last state), the Prometheus metrics endpoint,
# and `postern watch` notifying a webhook exactly once per change.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"

mkdir -p "$T/zones"
cat >"$T/zones/example.com.zone" <<'ZONE'
$ORIGIN example.com.
$TTL 60
@ SOA ns1 hostmaster 1 3600 600 86400 60
@ NS ns1
ns1 A 127.0.0.1
@ TXT "v=spf1 include:spf.protection.outlook.com -all"
relay A 127.0.0.1
ZONE
cat >"$T/zones/outlook.com.zone" <<'ZONE'
$ORIGIN outlook.com.
$TTL 60
@ SOA ns1 hostmaster 1 3600 600 86400 60
@ NS ns1
ns1 A 127.0.0.1
spf.protection TXT "v=spf1 ip4:40.92.0.0/15 -all"
ZONE
start_knot "$T/zones"
printf '%s\n' "$TSIG_SECRET" >"$T/tsig.key"
start_sink mx
SINK=$SINK_PORT
HOOK=$(free_port)
/usr/bin/python3 - "$HOOK" "$T/hooks" <<'PY' &
import http.server, sys
out = open(sys.argv[2], "a")
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        out.write(body.decode() + "\n"); out.flush()
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
PIDS+=($!)
wait_port "$HOOK"

relay_config "$T/postern.yaml"
METRICS=$(free_port)
python3 - "$T/postern.yaml" <<PY
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace("relay:\n", '''dns: { resolver: "127.0.0.1:$KNOT_PORT", authoritative: ["127.0.0.1:$KNOT_PORT"], blocklists: [], timeout: 1s, retries: 0 }
notify: { webhooks: ["http://127.0.0.1:$HOOK/hook"] }
relay:
''', 1)
s = s.replace("  queue: { path: $T/queue }", '''  queue: { path: $T/queue, retry: [1s] }
  delivery: { port: $SINK }
  gate: { mode: hold, interval: 2s }
  routes: [ { domains: ["*"], via: "127.0.0.1:$SINK" } ]''')
s = s.replace('  metrics: ""', '  metrics: "127.0.0.1:$METRICS"')
s = s.replace("  hand: { type: manual }", '''  hand: { type: rfc2136, server: "127.0.0.1:$KNOT_PORT", tsig: { name: postern, secret_file: $T/tsig.key } }''')
s = s.replace("  - name: nokeys.example\n    provider: hand\n", "")
open(p, "w").write(s)
PY
"$POSTERN" config check -c "$T/postern.yaml" >/dev/null || { cat "$T/postern.yaml"; exit 1; }

# Publish DKIM and DMARC, then take the relay out of SPF: not ready.
"$POSTERN" apply --yes -c "$T/postern.yaml" >"$T/apply.log" 2>&1
expect_eq "apply" "$?" 0
nsupdate_spf() { # the SPF value to leave at the apex
	printf 'server 127.0.0.1 %s\nzone example.com\nupdate delete example.com TXT\nupdate add example.com 60 TXT "%s"\nsend\n' \
	    "$KNOT_PORT" "$1" | knsupdate -y "hmac-sha256:postern:$TSIG_SECRET"
}
out=$("$POSTERN" watch --once -c "$T/postern.yaml" 2>&1)
expect_match "watch: the first run records a baseline" "$out" 'first run: recorded the state of 1 domain'
expect_eq "watch: no notification for the baseline" "$(cat "$T/hooks" 2>/dev/null | wc -l)" 0
nsupdate_spf "v=spf1 include:spf.protection.outlook.com -all"

start_relay "$T/postern.yaml"
for _ in $(seq 1 50); do grep -q 'event=gate domain=example.com ready=no' "$T/relay.log" && break; sleep 0.1; done
expect_match "gate: not ready, with the reason" "$(cat "$T/relay.log")" 'event=gate domain=example.com ready=no reason="spf: SPF fail for 127.0.0.1'
out=$(swaks --server "127.0.0.1:$P_PLAIN" --from crm@example.com --to a@dest.example --h-From crm@example.com 2>&1)
expect_match "held mail is still accepted" "$out" '250 2.0.0 OK queued as'
sleep 2
expect_eq "hold: nothing delivered while not ready" "$(ls "$T/mx" 2>/dev/null | grep -c '\.eml$')" 0
expect_match "hold: the decision is logged" "$(cat "$T/relay.log")" 'event=gate qid=[0-9a-f]{16} domain=example.com decision=hold'

metrics=$(curl -s "http://127.0.0.1:$METRICS/metrics")
bad=$(echo "$metrics" | grep -vE '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+)$' | head -3)
expect_eq "metrics: every line is Prometheus text format" "$bad" ""
expect_match "metrics: received" "$metrics" '^postern_messages_received_total 1$'
expect_match "metrics: held by domain" "$metrics" '^postern_held_total\{domain="example.com"\} [1-9]'
expect_match "metrics: the domain is not ready" "$metrics" '^postern_domain_ready\{domain="example.com"\} 0$'
expect_match "metrics: SPF check failing" "$metrics" '^postern_check_status\{domain="example.com",check="spf"\} 3$'
expect_match "metrics: queue size" "$metrics" '^postern_queue_messages 1$'
expect_eq "healthz" "$(curl -s "http://127.0.0.1:$METRICS/healthz")" ok

out=$("$POSTERN" watch --once -c "$T/postern.yaml" 2>&1)
expect_eq "watch: one notification per change (status and spf)" "$(wc -l <"$T/hooks")" 2
expect_match "watch: the webhook body is what Slack and Teams take" "$(head -1 "$T/hooks")" '^\{"text": ?"Postern: example.com [a-z ]+ changed from [a-z]+ to fail"'

# Fix SPF: released within one gate interval.
nsupdate_spf "v=spf1 include:spf.protection.outlook.com ip4:127.0.0.1 -all"
for _ in $(seq 1 80); do [ -f "$T/mx/000000.eml" ] && break; sleep 0.1; done
expect_eq "hold: released once DNS is right" "$(ls "$T/mx" | grep -c '\.eml$')" 1
expect_match "gate: the change is logged" "$(cat "$T/relay.log")" 'event=gate domain=example.com ready=yes change=yes'
metrics=$(curl -s "http://127.0.0.1:$METRICS/metrics")
expect_match "metrics: delivered" "$metrics" '^postern_recipients_delivered_total 1$'
expect_match "metrics: latency histogram" "$metrics" '^postern_delivery_latency_seconds_count 1$'

out=$("$POSTERN" watch --once -c "$T/postern.yaml" 2>&1)
expect_eq "watch: the fix is two more notifications" "$(wc -l <"$T/hooks")" 4
out=$("$POSTERN" watch --once -c "$T/postern.yaml" 2>&1)
expect_eq "watch: no change, no notification" "$(wc -l <"$T/hooks")" 4

# A DNS outage does not close the gate again.
kill "${PIDS[0]}"
for _ in $(seq 1 100); do grep -q 'temporary DNS failure: keeping the last state' "$T/relay.log" && break; sleep 0.1; done
expect_match "outage: the last state is kept" "$(cat "$T/relay.log")" 'temporary DNS failure: keeping the last state'
swaks --server "127.0.0.1:$P_PLAIN" --from crm@example.com --to b@dest.example --h-From crm@example.com >/dev/null 2>&1
for _ in $(seq 1 50); do [ -f "$T/mx/000001.eml" ] && break; sleep 0.1; done
expect_eq "outage: mail still leaves" "$(ls "$T/mx" | grep -c '\.eml$')" 2

# Defer mode: 451 at MAIL FROM for a domain that is not ready.
sed -i 's/mode: hold, interval: 2s/mode: defer, interval: 2s/' "$T/postern.yaml"
kill "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null
: >"$T/relay.log"
start_relay "$T/postern.yaml"
sleep 1
out=$(printf 'EHLO x\r\nMAIL FROM:<crm@example.com>\r\nQUIT\r\n' | chat "$P_PLAIN")
expect_match "defer: 451 4.7.0 with the reason" "$out" '451 4.7.0 example.com is not ready to send through this relay'
finish
