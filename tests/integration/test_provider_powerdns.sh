#!/usr/bin/env bash
# The powerdns provider against a real PowerDNS Authoritative (HTTP API):
# zone discovery, TXT reads, replaces that leave other records identical,
# a 2048-bit DKIM key over 255 bytes, conflicts, and every bad input
# (a tiny local HTTP server plays a broken API for 500 and bad JSON).
source "$SOURCE_DIR/tests/integration/lib.sh"
: "${PROVIDER_DRIVER:?}"

write_m365_zones "$T/zones"
start_pdns "$T/zones"

# A broken API: /zones answers 500 (mode 500) or malformed JSON (mode
# json); every request is counted in $T/fake.MODE.count.
fake_api() { # MODE -> sets FAKE_PORT
	FAKE_PORT=$(free_port)
	/usr/bin/python3 - "$FAKE_PORT" "$1" "$T/fake.$1.count" <<'PY' &
import http.server, sys
port, mode, count = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(count, "a") as f:
            f.write("x\n")
        if mode == "500":
            body, code = b'{"error": "backend exploded"}', 500
        else:
            body, code = b'[{"name": "example.com.", "id": ', 200
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
	PIDS+=($!)
	wait_port "$FAKE_PORT"
}
fake_api 500
PORT_500=$FAKE_PORT
fake_api json
PORT_JSON=$FAKE_PORT
# An API that accepts connections and never answers.
DEAD_PORT=$(free_port)
/usr/bin/python3 -c '
import socket, sys, time
t = socket.socket(); t.bind(("127.0.0.1", int(sys.argv[1]))); t.listen(5)
time.sleep(120)' "$DEAD_PORT" &
PIDS+=($!)
wait_port "$DEAD_PORT"

cat >"$T/postern.yaml" <<YAML
state_dir: $T/state
relay:
  hostname: relay.example.com
  public_ips: [127.0.0.1]
  listen:
    - { address: "127.0.0.1:2525", tls: none, auth: none }
domains:
  - name: example.com
    provider: pdns
    dkim: [ { selector: pst1, algorithm: rsa-2048 } ]
providers:
  pdns: { type: powerdns, url: "$PDNS_URL/", api_key: "$PDNS_API_KEY", timeout: 2s }
  badkey: { type: powerdns, url: "$PDNS_URL", api_key: "not-the-key", timeout: 2s }
  broken: { type: powerdns, url: "http://127.0.0.1:$PORT_500", api_key: k, timeout: 2s }
  garbled: { type: powerdns, url: "http://127.0.0.1:$PORT_JSON", api_key: k, timeout: 2s }
  dead: { type: powerdns, url: "http://127.0.0.1:$DEAD_PORT", api_key: k, timeout: 1s }
YAML
drv() { "$PROVIDER_DRIVER" "$T/postern.yaml" "$@"; }
dig() { kdig +short +time=2 @127.0.0.1 -p "$PDNS_PORT" "$@"; }
api() { curl -sf -H "X-API-Key: $PDNS_API_KEY" "$@"; }
Z=$PDNS_URL/api/v1/servers/localhost/zones/example.com.

expect_eq "zone of a name below the apex" "$(drv pdns zone www.example.com)" example.com
expect_eq "zone of a DKIM name" "$(drv pdns zone pst1._domainkey.example.com)" example.com
expect_eq "apex TXT set" "$(drv pdns list example.com | sort)" '"MS=ms12345678"
"v=spf1 include:spf.protection.outlook.com -all"
ttl 3600'
expect_eq "no TXT" "$(drv pdns list pst1._domainkey.example.com)" "ttl 0"

# A disabled TXT at the apex: PowerDNS keeps it, does not serve it.
api -X PATCH "$Z" -H 'Content-Type: application/json' -d '{"rrsets": [{"name": "example.com.", "type": "TXT", "ttl": 3600, "changetype": "REPLACE", "records": [{"content": "\"v=spf1 include:spf.protection.outlook.com -all\"", "disabled": false}, {"content": "\"MS=ms12345678\"", "disabled": false}, {"content": "\"old-verification=1\"", "disabled": true}]}]}'

# Replace the SPF value; MS=, the disabled TXT, MX and the Microsoft DKIM
# CNAME stay as they were.
ms_api() { api "$Z" | /usr/bin/python3 -c '
import json, sys
for rs in json.load(sys.stdin)["rrsets"]:
    for r in rs["records"]:
        if "MS=" in r["content"] or r["disabled"] or rs["type"] in ("MX", "CNAME"):
            print(rs["name"], rs["type"], rs["ttl"], r["content"], r["disabled"])'; }
before=$(ms_api)
drv pdns replace example.com --current \
    --new '"MS=ms12345678"' \
    --new '"v=spf1 include:spf.protection.outlook.com ip4:50.60.70.80 -all"'
expect_eq "spf replaced" "$(dig example.com TXT | sort)" '"MS=ms12345678"
"v=spf1 include:spf.protection.outlook.com ip4:50.60.70.80 -all"'
expect_eq "MS=, disabled TXT, MX, CNAME identical in the API" "$(ms_api)" "$before"
expect_match "MS= line as before" "$before" 'example.com. TXT 3600 "MS=ms12345678" False'
expect_match "disabled TXT kept" "$before" 'example.com. TXT 3600 "old-verification=1" True'

# A 2048-bit DKIM key: over 255 bytes, several strings, read back exactly.
"$POSTERN" keys generate -c "$T/postern.yaml" >/dev/null
rec=$("$POSTERN" keys record -c "$T/postern.yaml" --domain example.com --selector pst1)
zone=$("$POSTERN" keys record -c "$T/postern.yaml" --domain example.com --selector pst1 --zone)
drv pdns replace pst1._domainkey.example.com --current --new-value "$rec"
expect_eq "dkim read back" "$(drv pdns list pst1._domainkey.example.com)" "ttl 3600
${zone#* IN TXT }"
expect_eq "dkim served" "$(dig pst1._domainkey.example.com TXT | sed 's/" "//g; s/"//g')" "$rec"
expect_match "dkim served as two strings" "$(dig pst1._domainkey.example.com TXT)" '^"[^"]{255}" "[^"]+"$'

# Quotes and backslashes are escaped as the API requires.
drv pdns replace odd.example.com --current --new-value 'say "hi" \ bye'
expect_eq "escaped value read back" "$(drv pdns list odd.example.com)" 'ttl 3600
"say \"hi\" \\ bye"'
expect_eq "escaped value served" "$(dig odd.example.com TXT)" '"say \"hi\" \\ bye"'

# Compare-and-swap: a change made underneath is never overwritten.
stale=$(drv pdns list example.com | sed 1d)
api -X PATCH "$Z" -H 'Content-Type: application/json' -d '{"rrsets": [{"name": "example.com.", "type": "TXT", "ttl": 3600, "changetype": "REPLACE", "records": [{"content": "\"MS=ms12345678\"", "disabled": false}, {"content": "\"v=spf1 include:spf.protection.outlook.com ip4:50.60.70.80 -all\"", "disabled": false}, {"content": "\"google-site-verification=abc\"", "disabled": false}]}]}'
mapfile -t old <<<"$stale"
rc=0
err=$(drv pdns replace example.com --old "${old[0]}" --old "${old[1]}" \
    --new '"v=spf1 -all"' 2>&1) || rc=$?
expect_eq "conflict: exit" "$rc" 4
expect_eq "conflict: message" "$err" 'provider "pdns" (powerdns): zone example.com: replacing example.com TXT: the TXT set changed since it was read; nothing changed (plan again)'
expect_match "conflict: concurrent change kept" "$(dig example.com TXT)" google-site-verification=abc

# A TXT where a CNAME is: PowerDNS refuses with 422; its reason is passed on.
rc=0
err=$(drv pdns replace selector1._domainkey.example.com --current --new '"v=DKIM1; p=x"' 2>&1) || rc=$?
expect_eq "TXT at a CNAME" "$rc:$err" "1:provider \"pdns\" (powerdns): zone example.com: replacing selector1._domainkey.example.com TXT: PATCH $PDNS_URL/api/v1/servers/localhost/zones/example.com.: HTTP 422: RRset selector1._domainkey.example.com. IN TXT: Conflicts with pre-existing RRset"

# Delete.
drv pdns delete odd.example.com --current
expect_eq "deleted" "$(drv pdns list odd.example.com)" "ttl 0"

# Bad input: each error names the provider, zone and record.
rc=0; err=$(drv badkey list example.com 2>&1) || rc=$?
expect_eq "wrong API key: exit" "$rc" 1
expect_eq "wrong API key: message" "$err" "provider \"badkey\" (powerdns): finding the zone of example.com: GET $PDNS_URL/api/v1/servers/localhost/zones: HTTP 401 (the API key was refused: check api_key): Unauthorized"
rc=0; err=$(drv pdns zone mail.example.org 2>&1) || rc=$?
expect_eq "unknown zone" "$rc:$err" "1:provider \"pdns\" (powerdns): finding the zone of mail.example.org: GET $PDNS_URL/api/v1/servers/localhost/zones: the server has no zone holding mail.example.org"
rc=0; err=$(drv broken zone example.com 2>&1) || rc=$?
expect_eq "HTTP 500: exit" "$rc" 3
expect_eq "HTTP 500: message" "$err" "provider \"broken\" (powerdns): finding the zone of example.com: after 3 attempts: GET http://127.0.0.1:$PORT_500/api/v1/servers/localhost/zones: HTTP 500: backend exploded"
expect_eq "HTTP 500: retried, bounded" "$(wc -l <"$T/fake.500.count")" 3
rc=0; err=$(drv garbled zone example.com 2>&1) || rc=$?
expect_eq "malformed JSON: exit" "$rc" 1
expect_eq "malformed JSON: message" "$err" "provider \"garbled\" (powerdns): finding the zone of example.com: GET http://127.0.0.1:$PORT_JSON/api/v1/servers/localhost/zones: malformed JSON from the API: unexpected token near end of file (line 1)"
start=$SECONDS
rc=0; err=$(drv dead zone example.com 2>&1) || rc=$?
expect_eq "API not answering: exit" "$rc" 3
expect_match "API not answering: message" "$err" "^provider \"dead\" \\(powerdns\\): finding the zone of example.com: after 3 attempts: GET http://127.0.0.1:$DEAD_PORT/api/v1/servers/localhost/zones: Operation timed out"
expect_match "API not answering: bounded" "$((SECONDS - start))" '^[0-9]$'

finish
