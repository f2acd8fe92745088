#!/usr/bin/env bash
# postern plan / apply against real servers (Knot through RFC 2136, then
# PowerDNS through its API): a Microsoft 365 customer's zone goes to the
# records Postern manages, unmanaged records stay byte-identical, a second
# apply changes nothing (same SOA serial), refusals change nothing.
source "$SOURCE_DIR/tests/integration/lib.sh"

write_m365_zones "$T/zones"
start_knot "$T/zones"
printf '%s\n' "$TSIG_SECRET" >"$T/tsig.key"

write_config() { # PROVIDER-BLOCK DNS-PORT
	cat >"$T/postern.yaml" <<YAML
state_dir: $T/state
dns:
  resolver: "127.0.0.1:$2"
  authoritative: ["127.0.0.1:$2"]
  blocklists: []
  timeout: 2s
  propagation_timeout: 20s
relay:
  hostname: relay.example.com
  public_ips: [127.0.0.1]
  listen:
    - { address: "127.0.0.1:2525", tls: none, auth: none }
domains:
  - name: example.com
    provider: main
    dkim:
      - { selector: pst1, algorithm: rsa-2048 }
      - { selector: pst1e, algorithm: ed25519 }
    spf: { include: [spf.protection.outlook.com] }
    dmarc: { policy: none, rua: "mailto:dmarc@example.com" }
providers:
  main: $1
YAML
}

# scenario NAME PROVIDER-BLOCK DNS-PORT
scenario() {
	local name=$1 port=$3 out rc s1 s2
	dig() { kdig +short +time=2 @127.0.0.1 -p "$port" "$@"; }
	write_config "$2" "$port"
	"$POSTERN" keys generate -c "$T/postern.yaml" >/dev/null
	expect_eq "$name: keys generate" "$?" 0

	out=$("$POSTERN" plan -c "$T/postern.yaml" 2>&1)
	rc=$?
	expect_eq "$name: plan exits 1 (changes)" "$rc" 1
	expect_match "$name: plan shows the SPF update" "$out" \
	    $'~ update example.com TXT \\(SPF\\)\n +- "v=spf1 include:spf.protection.outlook.com -all"\n +\\+ "v=spf1 include:spf.protection.outlook.com ip4:127.0.0.1 -all"'
	expect_match "$name: plan shows the DKIM records" "$out" \
	    '\+ create pst1._domainkey.example.com TXT \(DKIM pst1 \(rsa-2048\)\)'
	expect_match "$name: plan shows the Ed25519 record" "$out" \
	    '\+ create pst1e._domainkey.example.com TXT .*'
	expect_match "$name: plan shows DMARC" "$out" \
	    $'\\+ create _dmarc.example.com TXT \\(DMARC\\)\n +\\+ "v=DMARC1; p=none; rua=mailto:dmarc@example.com"'
	expect_eq "$name: plan changed nothing" \
	    "$(dig TXT _dmarc.example.com)" ""

	out=$("$POSTERN" apply --dry-run -c "$T/postern.yaml" 2>&1)
	expect_eq "$name: apply --dry-run exits 1" "$?" 1
	expect_eq "$name: --dry-run changed nothing" \
	    "$(dig TXT _dmarc.example.com)" ""

	s1=$(dig SOA example.com | awk '{print $3}')
	# Knot is driven by apply, PowerDNS by the one-command migration.
	out=$("$POSTERN" ${FIRST:-apply} --yes -c "$T/postern.yaml" 2>&1)
	rc=$?
	expect_eq "$name: ${FIRST:-apply} exits 0" "$rc" 0
	if [ "${FIRST:-apply}" = migrate ]; then
		expect_match "$name: migrate ends ready" "$out" '\[6/6\] Done: the domains are ready'
		expect_match "$name: migrate says where to point the application" "$out" 'Point the application at relay.example.com'
	fi
	[ "$rc" = 0 ] || echo "$out"
	expect_match "$name: apply waited for the server" "$out" \
	    'example.com: 1 of 1 authoritative servers serve the new records'
	expect_eq "$name: SPF merged, MS= kept byte-identical" \
	    "$(dig TXT example.com | sort)" \
	    "$(printf '"MS=ms12345678"\n"v=spf1 include:spf.protection.outlook.com ip4:127.0.0.1 -all"')"
	expect_eq "$name: DMARC created" "$(dig TXT _dmarc.example.com)" \
	    '"v=DMARC1; p=none; rua=mailto:dmarc@example.com"'
	want=$("$POSTERN" keys record -c "$T/postern.yaml" --domain example.com --selector pst1)
	got=$(dig TXT pst1._domainkey.example.com | sed 's/" "//g; s/"//g')
	expect_eq "$name: DKIM record published as generated" "$got" "$want"
	expect_match "$name: the RSA record is split in 255-octet strings" \
	    "$(dig TXT pst1._domainkey.example.com)" '^"[^"]{255}" "'
	expect_eq "$name: the Microsoft DKIM CNAME is untouched" \
	    "$(dig CNAME selector1._domainkey.example.com)" \
	    "selector1-example-com._domainkey.example.onmicrosoft.com."
	expect_eq "$name: MX untouched" "$(dig MX example.com)" \
	    "0 example-com.mail.protection.outlook.com."
	expect_match "$name: the checks pass after apply" "$out" \
	    'example.com: (ok|warn)'

	s1=$(dig SOA example.com | awk '{print $3}')
	out=$("$POSTERN" plan -c "$T/postern.yaml" 2>&1)
	expect_eq "$name: second plan exits 0" "$?" 0
	expect_eq "$name: second plan: all unchanged" \
	    "$(grep -c '= unchanged' <<<"$out")" 4
	out=$("$POSTERN" apply --yes --no-wait -c "$T/postern.yaml" 2>&1)
	expect_eq "$name: second apply exits 0" "$?" 0
	expect_match "$name: second apply says so" "$out" 'nothing to change'
	s2=$(dig SOA example.com | awk '{print $3}')
	expect_eq "$name: second apply kept the SOA serial" "$s2" "$s1"
	out=$("$POSTERN" migrate --yes -c "$T/postern.yaml" 2>&1)
	expect_eq "$name: migrate again exits 0" "$?" 0
	expect_match "$name: migrate again changes nothing and says so" "$out" '\[4/6\] Nothing to change'
	expect_eq "$name: migrate again kept the SOA serial" "$(dig SOA example.com | awk '{print $3}')" "$s1"
}

scenario knot "{ type: rfc2136, server: \"127.0.0.1:$KNOT_PORT\", timeout: 2s, tsig: { name: postern, algorithm: hmac-sha256, secret_file: $T/tsig.key } }" "$KNOT_PORT"

# Bad input: a wrong TSIG secret names the provider, zone and record.
write_config "{ type: rfc2136, server: \"127.0.0.1:$KNOT_PORT\", timeout: 2s, tsig: { name: postern, secret: \"$(head -c 32 /dev/urandom | base64)\" } }" "$KNOT_PORT"
printf 'relay:\n' >/dev/null
sed -i 's/policy: none/policy: quarantine/' "$T/postern.yaml"
out=$("$POSTERN" apply --yes -c "$T/postern.yaml" 2>&1)
rc=$?
expect_eq "wrong TSIG secret: exit 1" "$rc" 1
expect_match "wrong TSIG secret: names provider, zone and record" "$out" \
    'provider "main" \(rfc2136\).*_dmarc.example.com'

# Several SPF records: the domain's whole plan is refused, nothing changes.
echo "server 127.0.0.1 $KNOT_PORT
zone example.com
update add example.com 3600 TXT \"v=spf1 -all\"
send" | knsupdate -y "hmac-sha256:postern:$TSIG_SECRET"
write_config "{ type: rfc2136, server: \"127.0.0.1:$KNOT_PORT\", timeout: 2s, tsig: { name: postern, secret_file: $T/tsig.key } }" "$KNOT_PORT"
sed -i 's/policy: none/policy: reject/' "$T/postern.yaml"
out=$("$POSTERN" plan -c "$T/postern.yaml" 2>&1)
expect_eq "several SPF records: plan exits 1" "$?" 1
expect_match "several SPF records: plan says refused" "$out" \
    '! refused: SPF: the apex has 2 SPF records'
out=$("$POSTERN" apply --yes -c "$T/postern.yaml" 2>&1)
expect_eq "several SPF records: apply exits 1" "$?" 1
expect_eq "several SPF records: DMARC not strengthened either" \
    "$(kdig +short @127.0.0.1 -p "$KNOT_PORT" TXT _dmarc.example.com)" \
    '"v=DMARC1; p=none; rua=mailto:dmarc@example.com"'

# The same story through PowerDNS's API.
rm -rf "$T/state"
start_pdns "$T/zones"
printf '%s\n' "$PDNS_API_KEY" >"$T/pdns.key"
FIRST=migrate scenario powerdns "{ type: powerdns, url: \"$PDNS_URL\", api_key_file: $T/pdns.key, timeout: 5s }" "$PDNS_PORT"
finish
