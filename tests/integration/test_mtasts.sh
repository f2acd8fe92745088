#!/usr/bin/env bash
# delivery.tls: mta-sts (RFC 8461): the policy fetched over HTTPS from a
# local server with a test CA, enforce delivering only to matching MX hosts
# with a verified certificate, a policy that names no MX deferring, and a
# domain without a policy delivered as before. The policy is cached.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"

make_cert mx.dest.example
# One certificate for both policy hosts, from the same test CA.
openssl req -newkey rsa:2048 -nodes -subj "/CN=mta-sts.dest.example" \
    -keyout "$T/sts.key" -out "$T/sts.csr" 2>/dev/null
printf 'subjectAltName=DNS:mta-sts.dest.example,DNS:mta-sts.nomatch.example\n' >"$T/sts.ext"
openssl x509 -req -in "$T/sts.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -days 2 -extfile "$T/sts.ext" -out "$T/sts.pem" 2>/dev/null
HTTPS=$(free_port)
/usr/bin/python3 - "$HTTPS" "$T/sts.pem" "$T/sts.key" "$T/https.log" <<'PY' &
import http.server, ssl, sys
log = open(sys.argv[4], "a")
policies = {
    "mta-sts.dest.example": "version: STSv1\nmode: enforce\nmx: mx.dest.example\nmax_age: 86400\n",
    "mta-sts.nomatch.example": "version: STSv1\nmode: enforce\nmx: mx.other.example\nmax_age: 86400\n",
}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = self.headers["Host"].split(":")[0]
        log.write("%s %s\n" % (host, self.path)); log.flush()
        body = policies.get(host)
        if self.path != "/.well-known/mta-sts.txt" or body is None:
            self.send_response(404); self.end_headers(); return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers(); self.wfile.write(body.encode())
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
PIDS+=($!)
wait_port "$HTTPS"
start_sink mx --starttls "$T/mx.dest.example.pem" "$T/mx.dest.example.key"

mkdir -p "$T/zones"
for z in dest nomatch plain; do
	cat >"$T/zones/$z.example.zone" <<ZONE
\$ORIGIN $z.example.
\$TTL 60
@ SOA ns hostmaster 1 3600 600 86400 60
@ NS ns
ns A 127.0.0.1
@ MX 10 mx.dest.example.
mta-sts A 127.0.0.1
ZONE
done
echo 'mx A 127.0.0.1' >>"$T/zones/dest.example.zone"
echo '_mta-sts TXT "v=STSv1; id=20261128;"' >>"$T/zones/dest.example.zone"
echo '_mta-sts TXT "v=STSv1; id=1;"' >>"$T/zones/nomatch.example.zone"
start_knot "$T/zones"

relay_config "$T/postern.yaml"
python3 - "$T/postern.yaml" <<PY
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace("relay:\n", 'dns: { resolver: "127.0.0.1:$KNOT_PORT", timeout: 2s, retries: 0, blocklists: [] }\nrelay:\n', 1)
s = s.replace("  queue: { path: $T/queue }", '''  queue: { path: $T/queue, retry: [1h] }
  delivery: { port: $SINK_PORT, tls: mta-sts, ca_file: $T/ca.pem, mta_sts_port: $HTTPS }
  gate: { mode: off }''')
open(p, "w").write(s)
PY
start_relay "$T/postern.yaml"
send() { swaks --server "127.0.0.1:$P_PLAIN" --from crm@example.com --to "$1" --h-From crm@example.com >/dev/null 2>&1; }

send a@dest.example
for _ in $(seq 1 50); do [ -f "$T/mx/000000.eml" ] && break; sleep 0.1; done
expect_eq "enforce: delivered to the MX the policy names" "$(ls "$T/mx" | grep -c '\.eml$')" 1
log=$(cat "$T/relay.log")
expect_match "enforce: the policy was fetched and applied" "$log" 'event=mta-sts qid=[0-9a-f]+ domain=dest.example mode=enforce'
expect_match "enforce: TLS with a verified certificate" "$log" 'rcpt=a@dest.example mx=mx.dest.example\[127.0.0.1\] tls="TLSv1.3 [A-Z0-9_]+ verified=pkix" status=sent'
expect_match "the policy came from the well-known URL" "$(cat "$T/https.log")" '^mta-sts.dest.example /.well-known/mta-sts.txt$'
expect_eq "the policy is cached by id" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/state/mta-sts/dest.example.json")" 20261128

send b@dest.example
for _ in $(seq 1 50); do [ -f "$T/mx/000001.eml" ] && break; sleep 0.1; done
expect_eq "the cached policy is used, not fetched again" "$(grep -c dest.example "$T/https.log")" 1

send c@nomatch.example
sleep 2
expect_match "enforce: no MX matches, deferred" "$(cat "$T/relay.log")" 'rcpt=c@nomatch.example mx=none tls="none" status=deferred reply="451 4.7.5 no MX host of nomatch.example matches its MTA-STS policy"'
expect_eq "enforce: nothing sent to an unlisted MX" "$(ls "$T/mx" | grep -c '\.eml$')" 2

send d@plain.example
for _ in $(seq 1 50); do [ -f "$T/mx/000002.eml" ] && break; sleep 0.1; done
expect_match "no policy: delivered as before" "$(cat "$T/relay.log")" 'event=mta-sts qid=[0-9a-f]+ domain=plain.example policy=none reason="_mta-sts.plain.example: no MTA-STS record"'
expect_eq "no policy: delivered" "$(ls "$T/mx" | grep -c '\.eml$')" 3
finish
