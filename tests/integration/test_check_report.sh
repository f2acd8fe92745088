#!/usr/bin/env bash
# postern check (the full report), check dkim|dmarc|ptr, against Knot.
source "$SOURCE_DIR/tests/integration/lib.sh"

conf() { # conf FILE IPS BLOCKLISTS SELECTORS
	cat >"$1" <<YAML
state_dir: $T/state
dns: { resolver: "127.0.0.1:${KNOT_PORT:-53}", timeout: 1s, retries: 2, blocklists: $3 }
relay: { hostname: relay.postern.test, public_ips: $2,
         listen: [{ address: "127.0.0.1:2525", tls: none, auth: none }] }
domains:
  - { name: postern.test, provider: hand, dkim: $4 }
  - { name: bad.postern.test, provider: hand }
providers: { hand: { type: manual } }
YAML
}
DK='[{ selector: pst1, algorithm: rsa-2048 }, { selector: pst1e, algorithm: ed25519 }]'
conf "$T/keys.yaml" "[127.0.0.1]" "[]" "$DK"
conf "$T/other.yaml" "[127.0.0.1]" "[]" "[{ selector: other, algorithm: rsa-2048 }]"
"$POSTERN" keys generate -c "$T/keys.yaml" >/dev/null
"$POSTERN" keys generate -c "$T/other.yaml" >/dev/null
Z=$T/zones
mkdir -p "$Z"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/k.pem" 2>/dev/null
P=$(openssl pkey -in "$T/k.pem" -pubout -outform DER | base64 -w0)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/small.pem" 2>/dev/null
PS=$(openssl pkey -in "$T/small.pem" -pubout -outform DER | base64 -w0)
cat >"$Z/postern.test.zone" <<ZONE
\$ORIGIN postern.test.
\$TTL 600
@	SOA	ns hostmaster 1 3600 600 86400 60
@	NS	ns
ns	A	127.0.0.1
relay	A	192.0.2.25
@	TXT	"v=spf1 include:spf.protection.outlook.com ip4:127.0.0.1 ip4:192.0.2.25 -all"
$("$POSTERN" keys record -c "$T/keys.yaml" --domain postern.test --selector pst1 --zone)
pst1e._domainkey	TXT	"$("$POSTERN" keys record -c "$T/keys.yaml" --domain postern.test --selector pst1e)"
other._domainkey	TXT	"v=DKIM1; k=rsa; p=${P:0:250}" "${P:250}"
small._domainkey	TXT	"v=DKIM1; k=rsa; p=$PS"
revoked._domainkey	TXT	"v=DKIM1; k=rsa; p="
cn._domainkey	CNAME	pst1e._domainkey.protection.outlook.com.
_dmarc	TXT	"v=DMARC1; p=quarantine; rua=mailto:dmarc@postern.test"
bad	TXT	"v=spf1 -all"
_dmarc.bad	TXT	"v=DMARC1; p=maybe"
lint	TXT	"v=spf1 ptr include:i1.lint.postern.test include:nothere.lint.postern.test +all"
lint	SPF	"v=spf1 -all"
lint	TXT	"google-site-verification=$(printf 'x%.0s' $(seq 1 250))"
lint	TXT	"ms-domain-verification=$(printf 'y%.0s' $(seq 1 250))"
i1.lint	TXT	"v=spf1 a a a a a a a a a a -all"
_dmarc.two	TXT	"v=DMARC1; p=none"
_dmarc.two	TXT	"v=DMARC1; p=reject"
_dmarc.ext	TXT	"v=DMARC1; p=reject; rua=mailto:d@protection.outlook.com,mailto:e@bl.test; ruf=mailto:f@example.org"
_dmarc.b	TXT	"v=DMARC1; p=reject"
_dmarc.sp	TXT	"v=DMARC1; p=reject; sp=none"
ZONE
# Microsoft's record as published (ip4/ip6 terms, no nested include).
cat >"$Z/protection.outlook.com.zone" <<'ZONE'
$ORIGIN protection.outlook.com.
$TTL 600
@	SOA	ns.postern.test. hostmaster.postern.test. 1 3600 600 86400 60
@	NS	ns.postern.test.
pst1e._domainkey	TXT	"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
spf	TXT	"v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/15 ip4:52.102.0.0/16 ip4:52.103.0.0/16 ip4:104.47.0.0/17 ip6:2a01:111:f400::/48 ip6:2a01:111:f403::/49 ip6:2a01:111:f403:8000::/51 ip6:2a01:111:f403:c000::/51 ip6:2a01:111:f403:f000::/52 -all"
ZONE
cat >"$Z/2.0.192.in-addr.arpa.zone" <<'ZONE'
$ORIGIN 2.0.192.in-addr.arpa.
$TTL 600
@	SOA	ns.postern.test. hostmaster.postern.test. 1 3600 600 86400 60
@	NS	ns.postern.test.
25	PTR	relay.postern.test.
26	PTR	other.postern.test.
ZONE
cat >"$Z/bl.test.zone" <<'ZONE'
$ORIGIN bl.test.
$TTL 600
@	SOA	ns.postern.test. hostmaster.postern.test. 1 3600 600 86400 60
@	NS	ns.postern.test.
2.0.0.127	A	127.0.0.2
2.0.0.127.r	A	127.0.0.2
25.2.0.192.r	A	127.255.255.254
ext.postern.test._report._dmarc	TXT	"v=DMARC1"
25.2.0.192	A	127.0.0.4
ZONE
cat >"$Z/8.b.d.0.1.0.0.2.ip6.arpa.zone" <<'ZONE'
$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
$TTL 600
@	SOA	ns.postern.test. hostmaster.postern.test. 1 3600 600 86400 60
@	NS	ns.postern.test.
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0	PTR	relay.postern.test.
ZONE
echo "relay	AAAA	2001:db8::25" >>"$Z/postern.test.zone"
start_knot "$Z"
conf "$T/ok.yaml" "[127.0.0.1]" "[]" "$DK"
start=$(date +%s%N)
rc=0; out=$("$POSTERN" check -c "$T/ok.yaml" --domain postern.test --json) || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# full check of postern.test: ${ms} ms, $(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["dns_queries"])') DNS queries"
j() { printf '%s' "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
expect_eq "127.0.0.1 only warns: exit 0" "$rc" 0
# SPF TXT, the outlook include, 2 DKIM selectors, _dmarc, type 99: lint and
# the SPF evaluation share the cache.
expect_eq "one question per name and type" "$(j 'd["dns_queries"]')" 6
expect_eq "top status warn" "$(j 'd["status"]')" warn
expect_eq "one domain" "$(j 'len(d["domains"])')" 1
expect_eq "ready" "$(j 'd["domains"][0]["ready"]')" True
expect_eq "spf ok pass" "$(j '[(c["status"],c["result"],c["ip"]) for c in d["domains"][0]["checks"] if c["check"]=="spf"]')" "[('ok', 'pass', '127.0.0.1')]"
expect_eq "dkim ok, rsa and ed25519" "$(j '[(c["status"],c["selector"]) for c in d["domains"][0]["checks"] if c["check"]=="dkim"]')" "[('ok', 'pst1'), ('ok', 'pst1e')]"
expect_match "dkim compared with the local key" "$(j '[c["detail"] for c in d["domains"][0]["checks"] if c["check"]=="dkim"][1]')" 'ed25519 256-bit key published, equals the local key'
expect_eq "dmarc ok" "$(j '[c["status"] for c in d["domains"][0]["checks"] if c["check"]=="dmarc"]')" "['ok']"
expect_eq "ptr warn for loopback" "$(j '[c["status"] for c in d["domains"][0]["checks"] if c["check"]=="ptr"]')" "['warn']"
expect_eq "blocklists [] is off" "$(j 'len([c for c in d["domains"][0]["checks"] if c["check"]=="blocklist"])')" 0
expect_eq "lint counts outlook as 1" "$(j '[c["detail"] for c in d["domains"][0]["checks"] if c["check"]=="lint"][0].split(" of")[0]')" "SPF uses 1"
expect_eq "every check has check/status/detail" "$(j 'all(set(["check","status","detail"])<=set(c) for dd in d["domains"] for c in dd["checks"])')" True

# a public IP: PTR/FCrDNS, blocklist listed, a failing domain
conf "$T/pub.yaml" "[192.0.2.25]" "[bl.test, r.bl.test, dead.bl.test]" "$DK"
rc=0; out=$("$POSTERN" check -c "$T/pub.yaml" --json) || rc=$?
expect_eq "bad domain fails: exit 1" "$rc" 1
expect_eq "top fail" "$(j 'd["status"]')" fail
expect_eq "ptr ok for 192.0.2.25" "$(j '[c["status"] for c in d["domains"][0]["checks"] if c["check"]=="ptr"]')" "['ok']"
expect_eq "blocklists: listed, refused, not answering" "$(j '[(c["status"],c["detail"]) for c in d["domains"][0]["checks"] if c["check"]=="blocklist"]')" "[('warn', '192.0.2.25 listed on bl.test'), ('warn', '192.0.2.25 could not be checked (refused) on r.bl.test'), ('warn', 'dead.bl.test does not answer its test entries (127.0.0.2 listed, 127.0.0.1 not): could not check')]"
expect_eq "bad domain: spf fail" "$(j '[(c["status"],c["result"]) for c in d["domains"][1]["checks"] if c["check"]=="spf"]')" "[('fail', 'fail')]"
expect_eq "bad domain: not ready" "$(j 'd["domains"][1]["ready"]')" False
expect_eq "bad domain: spf fix given" "$(j '"fix" in [c for c in d["domains"][1]["checks"] if c["check"]=="spf"][0]')" True
expect_eq "bad dmarc warns" "$(j '[c["detail"] for c in d["domains"][1]["checks"] if c["check"]=="dmarc"]')" "['_dmarc.bad.postern.test: p=maybe is not valid']"
rc=0; txt=$("$POSTERN" check -c "$T/pub.yaml" --domain postern.test) || rc=$?
expect_match "text: ok line" "$txt" '^postern.test: warn \(ready\)'
expect_match "text: spf line" "$txt" '  ok        spf       SPF pass for 192.0.2.25'

# DKIM problems
rc=0; out=$("$POSTERN" check dkim -c "$T/pub.yaml" --domain postern.test --selector small) || rc=$?
expect_match "1024-bit key warns" "$out" 'warn +dkim +small._domainkey.postern.test: RSA 1024-bit key published.*below 2048 bits'
rc=0; out=$("$POSTERN" check dkim -c "$T/pub.yaml" --domain postern.test --selector cn) || rc=$?
expect_match "DKIM through a CNAME to another zone" "$out" 'ok +dkim +cn._domainkey.postern.test: ed25519 256-bit key published, not compared with a local key'
rc=0; out=$("$POSTERN" check dkim -c "$T/pub.yaml" --domain postern.test --selector revoked) || rc=$?
expect_match "revoked key" "$out" 'revoked \(empty p=\)'
expect_eq "revoked: exit 1" "$rc" 1
rc=0; out=$("$POSTERN" check dkim -c "$T/pub.yaml" --domain postern.test --selector nope) || rc=$?
expect_match "missing selector" "$out" 'nope._domainkey.postern.test: no DKIM record'
rc=0; out=$("$POSTERN" check ptr --resolver "127.0.0.1:$KNOT_PORT" --ip 192.0.2.26 --helo relay.postern.test) || rc=$?
expect_eq "ptr mismatch: exit 1" "$rc" 1
expect_match "ptr mismatch explained" "$out" 'PTR other.postern.test \(not resolving back to it\); relay.hostname is relay.postern.test'
rc=0; out=$("$POSTERN" check dmarc --resolver "127.0.0.1:$KNOT_PORT" --domain sub.postern.test) || rc=$?
expect_match "dmarc: subdomain falls back to the organizational domain" "$out" 'ok +dmarc +_dmarc.postern.test: p=quarantine'
rc=0; out=$("$POSTERN" check -c "$T/pub.yaml" --domain nope.test 2>&1) || rc=$?
expect_eq "unknown --domain: exit 2" "$rc" 2
expect_match "unknown --domain named" "$out" '--domain nope.test: not a domain of the config'

rc=0; out=$("$POSTERN" check ptr --resolver "127.0.0.1:$KNOT_PORT" --ip 192.0.2.25 2>&1) || rc=$?
expect_eq "check ptr without --helo nor config: exit 2" "$rc" 2
expect_match "check ptr without --helo named" "$out" 'postern check ptr: --helo NAME is needed without a config'
rc=0; out=$("$POSTERN" check dmarc --resolver "127.0.0.1:$KNOT_PORT" --domain postern.test --selector x 2>&1) || rc=$?
expect_eq "check dmarc --selector: exit 2" "$rc" 2
rc=0; out=$("$POSTERN" check ptr --resolver "127.0.0.1:$KNOT_PORT" --ip 192.0.2.25 --helo relay.postern.test --json) || rc=$?
expect_eq "check ptr --json ok" "$(j 'd["domains"][0]["checks"][0]["status"]')" ok
expect_eq "check ptr: exit 0" "$rc" 0

rc=0; out=$("$POSTERN" check ptr --resolver "127.0.0.1:$KNOT_PORT" --ip 2001:db8::25 --helo relay.postern.test) || rc=$?
expect_match "IPv6 PTR/FCrDNS" "$out" 'ok +ptr +2001:db8::25 has PTR relay.postern.test, which resolves back to it'
rc=0; out=$("$POSTERN" check --help) || rc=$?
expect_eq "check --help: exit 0" "$rc" 0
expect_match "check --help: usage" "$out" '^usage: postern check \[-c FILE\] \[--domain D\] \[--json\]'
rc=0; out=$("$POSTERN" check nosuch 2>&1) || rc=$?
expect_eq "unknown check: exit 2" "$rc" 2
expect_match "unknown check named" "$out" 'postern check: unknown check "nosuch" \(spf, dkim, dmarc, ptr\)'

# measure: one evaluation of include:spf.protection.outlook.com
rc=0; out=$("$POSTERN" check spf --json --resolver "127.0.0.1:$KNOT_PORT" --ip 40.92.1.1 --sender x@postern.test) || rc=$?
expect_eq "outlook include passes" "$(j 'd["result"]')" pass
echo "# include:spf.protection.outlook.com: $(j 'd["dns_queries"]') DNS queries, $(j 'd["lookups"]') DNS-querying term"

# temperror only: exit 3
SILENT_PORT=$(free_port)
python3 -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1])))
while True: s.recvfrom(4096)' "$SILENT_PORT" &
PIDS+=($!)
sed "s/$KNOT_PORT/$SILENT_PORT/; s/retries: 2/retries: 0/" "$T/ok.yaml" >"$T/silent.yaml"
rc=0; out=$("$POSTERN" check -c "$T/silent.yaml" --domain postern.test --json) || rc=$?
expect_eq "DNS down: exit 3" "$rc" 3
expect_eq "DNS down: temperror" "$(j 'd["status"]')" temperror
# DMARC: several records, external rua=, the DMARCbis tree walk, sp=
dmarc() {
	"$POSTERN" check dmarc --resolver "127.0.0.1:$KNOT_PORT" --domain "$1" || true
}
expect_match "several DMARC records" "$(dmarc two.postern.test)" 'warn +dmarc +several DMARC records \(receivers ignore them all\) at _dmarc.two.postern.test'
expect_match "external rua not authorised" "$(dmarc ext.postern.test)" 'protection.outlook.com does not authorise reports for ext.postern.test \(no ext.postern.test._report._dmarc.protection.outlook.com\)'
expect_match "external ruf not authorised" "$(dmarc ext.postern.test)" 'example.org could not be asked whether it authorises reports for ext.postern.test'
expect_eq "authorised external rua not reported" "$(dmarc ext.postern.test | grep -c "bl.test does" || true)" 0
expect_match "DMARCbis tree walk" "$(dmarc a.b.postern.test)" "_dmarc.postern.test: p=quarantine.*DMARCbis's tree walk would use _dmarc.b.postern.test instead"
expect_match "sp= for a subdomain" "$(dmarc x.sp.postern.test)" "_dmarc.postern.test: .*policy for x.sp.postern.test: quarantine"
expect_match "own record: p=" "$(dmarc sp.postern.test)" "ok +dmarc +_dmarc.sp.postern.test: p=reject sp=none .*policy for sp.postern.test: reject"

# lint: ptr, +all, an include without a record, type 99, 512 bytes, > 10
cat >"$T/lint.yaml" <<YAML
dns: { resolver: "127.0.0.1:$KNOT_PORT", timeout: 1s, retries: 2, blocklists: [] }
relay: { hostname: relay.postern.test, public_ips: [127.0.0.1],
         listen: [{ address: "127.0.0.1:2525", tls: none, auth: none }] }
domains: [{ name: lint.postern.test, provider: hand }]
providers: { hand: { type: manual } }
YAML
rc=0; out=$("$POSTERN" check -c "$T/lint.yaml" --json) || rc=$?
lint=$(j '"\n".join(c["detail"] for c in d["domains"][0]["checks"] if c["check"]=="lint" and c["status"]=="warn")')
expect_match "lint: ptr" "$lint" 'SPF lint: lint.postern.test uses ptr, which RFC 7208 5.5 says not to use'
expect_match "lint: +all" "$lint" 'SPF lint: lint.postern.test ends in \+all'
expect_match "lint: include without a record" "$lint" 'SPF lint: nothere.lint.postern.test has no SPF record: every check through it is a permerror'
expect_match "lint: type 99" "$lint" 'SPF lint: lint.postern.test has a deprecated SPF \(type 99\) record'
expect_match "lint: over 512 bytes" "$lint" 'SPF lint: the TXT answer for lint.postern.test is [0-9]+ bytes: over 512'
expect_match "lint: 13 terms, with the tree" "$lint" 'SPF uses 13 of 10 DNS-querying terms \(over the limit: every check is a permerror, RFC 7208 4.6.4\): ptr \(1\), include:i1.lint.postern.test \(2\), a \(3\), a \(4\)'
expect_eq "lint: spf permerror (too many look-ups)" "$(j '[c["result"] for c in d["domains"][0]["checks"] if c["check"]=="spf"]')" "['permerror']"

# the published key is not the local one; then no local key
conf "$T/other.yaml" "[127.0.0.1]" "[]" "[{ selector: other, algorithm: rsa-2048 }]"
rc=0; out=$("$POSTERN" check -c "$T/other.yaml" --domain postern.test --json) || rc=$?
expect_eq "published key differs from the local one: exit 1" "$rc" 1
expect_match "differs named" "$(j '[c["detail"] for c in d["domains"][0]["checks"] if c["check"]=="dkim"][0]')" 'other._domainkey.postern.test: the published key differs from the local key'
expect_eq "differs: not ready" "$(j 'd["domains"][0]["ready"]')" False
rm -f "$T/state/keys/postern.test/other.key"
rc=0; out=$("$POSTERN" check -c "$T/other.yaml" --domain postern.test --json) || rc=$?
expect_match "no local key named" "$(j '[c["detail"] for c in d["domains"][0]["checks"] if c["check"]=="dkim"][0]')" '^no local key for selector other: .*No such file or directory'

finish
