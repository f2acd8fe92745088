#!/usr/bin/env bash
# The rfc2136 provider against a real Knot DNS: zone discovery, TXT reads,
# compare-and-swap replaces that leave other records byte-identical, a
# 2048-bit DKIM key over 255 bytes, conflicts, and every bad input.
source "$SOURCE_DIR/tests/integration/lib.sh"
: "${PROVIDER_DRIVER:?}"

write_m365_zones "$T/zones"
start_knot "$T/zones"

# A server that never answers (UDP and TCP) for the timeout case.
DEAD_PORT=$(free_port)
/usr/bin/python3 -c '
import socket, sys, time
p = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p))
t = socket.socket(); t.bind(("127.0.0.1", p)); t.listen(5)
time.sleep(120)' "$DEAD_PORT" &
PIDS+=($!)
wait_port "$DEAD_PORT"

tsig() { # NAME SECRET
	printf '{ name: %s, algorithm: hmac-sha256, secret: "%s" }' "$1" "$2"
}
cat >"$T/postern.yaml" <<YAML
state_dir: $T/state
relay:
  hostname: relay.example.com
  public_ips: [127.0.0.1]
  listen:
    - { address: "127.0.0.1:2525", tls: none, auth: none }
domains:
  - name: example.com
    provider: main
    dkim: [ { selector: pst1, algorithm: rsa-2048 } ]
providers:
  main: { type: rfc2136, server: "127.0.0.1:$KNOT_PORT", timeout: 2s,
          tsig: $(tsig postern "$TSIG_SECRET") }
  badkey: { type: rfc2136, server: "127.0.0.1:$KNOT_PORT", timeout: 2s,
          tsig: $(tsig postern "$(head -c 32 /dev/urandom | base64)") }
  badname: { type: rfc2136, server: "127.0.0.1:$KNOT_PORT", timeout: 2s,
          tsig: $(tsig other "$TSIG_SECRET") }
  unsigned: { type: rfc2136, server: "127.0.0.1:$KNOT_PORT", timeout: 2s }
  dead: { type: rfc2136, server: "127.0.0.1:$DEAD_PORT", timeout: 1s,
          tsig: $(tsig postern "$TSIG_SECRET") }
YAML
drv() { "$PROVIDER_DRIVER" "$T/postern.yaml" "$@"; }
dig() { kdig +short +time=2 @127.0.0.1 -p "$KNOT_PORT" "$@"; }
serial() { dig example.com SOA | awk '{print $3}'; }

expect_eq "zone of a name below the apex" "$(drv main zone www.example.com)" example.com
expect_eq "zone of a DKIM name" "$(drv main zone pst1._domainkey.example.com)" example.com
expect_eq "apex TXT set" "$(drv main list example.com)" 'ttl 3600
"MS=ms12345678"
"v=spf1 include:spf.protection.outlook.com -all"'
expect_eq "no TXT" "$(drv main list pst1._domainkey.example.com)" "ttl 0"

# Replace the SPF value; MS=, MX and the Microsoft DKIM CNAME stay as they were.
ms_before=$(dig example.com TXT | grep MS=)
mx_before=$(dig example.com MX)
cname_before=$(dig selector1._domainkey.example.com CNAME)
s0=$(serial)
drv main replace example.com --current \
    --new '"MS=ms12345678"' \
    --new '"v=spf1 include:spf.protection.outlook.com ip4:50.60.70.80 -all"'
expect_eq "spf replaced" "$(dig example.com TXT | sort)" '"MS=ms12345678"
"v=spf1 include:spf.protection.outlook.com ip4:50.60.70.80 -all"'
expect_eq "MS= byte-identical" "$(dig example.com TXT | grep MS=)" "$ms_before"
expect_eq "MX untouched" "$(dig example.com MX)" "$mx_before"
expect_eq "CNAME untouched" "$(dig selector1._domainkey.example.com CNAME)" "$cname_before"
expect_eq "TTL kept" "$(kdig +noall +answer @127.0.0.1 -p "$KNOT_PORT" example.com TXT | awk '{print $2}' | sort -u)" 3600
expect_eq "one serial step" "$(serial)" "$((s0 + 1))"

# A 2048-bit DKIM key: over 255 bytes, two strings, read back exactly.
"$POSTERN" keys generate -c "$T/postern.yaml" >/dev/null
rec=$("$POSTERN" keys record -c "$T/postern.yaml" --domain example.com --selector pst1)
zone=$("$POSTERN" keys record -c "$T/postern.yaml" --domain example.com --selector pst1 --zone)
expect_match "record is long" "${#rec}" '^(3[0-9][0-9]|4[0-9][0-9])$'
drv main replace pst1._domainkey.example.com --current --new-value "$rec"
expect_eq "dkim read back" "$(drv main list pst1._domainkey.example.com)" "ttl 3600
${zone#* IN TXT }"
expect_eq "dkim served" "$(dig pst1._domainkey.example.com TXT | sed 's/" "//g; s/"//g')" "$rec"

# Compare-and-swap: a change made underneath is never overwritten.
stale=$(drv main list example.com | sed 1d)
printf 'server 127.0.0.1 %s\nkey hmac-sha256:postern %s\nzone example.com.\nupdate add example.com. 3600 TXT "google-site-verification=abc"\nsend\n' \
    "$KNOT_PORT" "$TSIG_SECRET" | knsupdate
mapfile -t old <<<"$stale"
rc=0
err=$(drv main replace example.com --old "${old[0]}" --old "${old[1]}" \
    --new '"v=spf1 -all"' 2>&1) || rc=$?
expect_eq "conflict: exit" "$rc" 4
expect_eq "conflict: message" "$err" "provider \"main\" (rfc2136): zone example.com: replacing example.com TXT: server 127.0.0.1:$KNOT_PORT: NXRRSET: the TXT set changed since it was read; nothing changed (plan again)"
expect_match "conflict: concurrent change kept" "$(dig example.com TXT)" google-site-verification=abc
expect_match "conflict: spf kept" "$(dig example.com TXT)" 'ip4:50.60.70.80'
rc=0
err=$(drv main replace pst1._domainkey.example.com --new '"v=DKIM1; p="' 2>&1) || rc=$?
expect_eq "create over an existing set: exit" "$rc" 4
expect_match "create over an existing set: message" "$err" 'YXRRSET: the TXT set was created since it was read'

# A TXT where a CNAME is: the server ignores it (RFC 2136 3.4.2.2); said so.
rc=0
err=$(drv main replace selector1._domainkey.example.com --current --new '"v=DKIM1; p=x"' 2>&1) || rc=$?
expect_eq "TXT at a CNAME" "$rc:$err" "1:provider \"main\" (rfc2136): zone example.com: replacing selector1._domainkey.example.com TXT: server 127.0.0.1:$KNOT_PORT: a CNAME is at selector1._domainkey.example.com, so the server ignored the TXT update (RFC 2136 3.4.2.2); remove the CNAME or use another name"
expect_eq "CNAME still there" "$(dig selector1._domainkey.example.com CNAME)" "$cname_before"

# Delete.
drv main delete pst1._domainkey.example.com --current
expect_eq "deleted" "$(drv main list pst1._domainkey.example.com)" "ttl 0"

# Bad input: each error names the provider, zone and record.
rc=0; err=$(drv badkey replace example.com --current --new '"x"' 2>&1) || rc=$?
expect_eq "wrong TSIG secret: exit" "$rc" 1
expect_eq "wrong TSIG secret: message" "$err" "provider \"badkey\" (rfc2136): zone example.com: replacing example.com TXT: server 127.0.0.1:$KNOT_PORT: NOTAUTH: TSIG key postern. (hmac-sha256.) refused: BADSIG: wrong secret"
expect_match "wrong TSIG secret: nothing changed" "$(dig example.com TXT)" 'ip4:50.60.70.80'
rc=0; err=$(drv badname replace example.com --current --new '"x"' 2>&1) || rc=$?
expect_eq "unknown TSIG key name" "$rc:$err" "1:provider \"badname\" (rfc2136): zone example.com: replacing example.com TXT: server 127.0.0.1:$KNOT_PORT: NOTAUTH: TSIG key other. (hmac-sha256.) refused: BADKEY: the server does not know this key name and algorithm"
rc=0; err=$(drv unsigned replace example.com --current --new '"x"' 2>&1) || rc=$?
expect_eq "no TSIG key" "$rc:$err" "1:provider \"unsigned\" (rfc2136): zone example.com: replacing example.com TXT: server 127.0.0.1:$KNOT_PORT: NOTAUTH: the server refused an unsigned update (give the provider a tsig key)"
expect_match "bad keys: nothing changed" "$(dig example.com TXT)" 'ip4:50.60.70.80'
rc=0; err=$(drv main zone mail.example.org 2>&1) || rc=$?
expect_eq "unknown zone" "$rc:$err" "1:provider \"main\" (rfc2136): finding the zone of mail.example.org: server 127.0.0.1:$KNOT_PORT: no zone holding mail.example.org is served there"
start=$SECONDS
rc=0; err=$(drv dead zone example.com 2>&1) || rc=$?
expect_eq "server not answering: exit" "$rc" 3
expect_eq "server not answering: message" "$err" "provider \"dead\" (rfc2136): finding the zone of example.com: server 127.0.0.1:$DEAD_PORT: no answer after 3 attempts of 1 s (Could not send or receive, because of network error)"
expect_match "server not answering: bounded" "$((SECONDS - start))" '^[0-9]$'

finish
