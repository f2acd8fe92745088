#!/usr/bin/env bash
# The cloudflare provider against the Cloudflare API v4 fake (tests/fakes/):
# the provider scenario (zone discovery, paged TXT reads, a replace that
# leaves MS= untouched, a 2048-bit DKIM key, a conflict, 429/500/HTML), bad
# input with exact errors, and postern plan / apply end to end.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/cloud_lib.sh"

TYPE=cloudflare
TOKEN=cf-token-$RANDOM$RANDOM-secret
{ cloud_seed '' ''; echo "$M365_RECORDS"; } >"$T/seed"
FAKE_CLOUDFLARE_TOKEN=$TOKEN start_fake cloudflare "$T/seed"
export CF_TOKEN=$TOKEN

cloud_config cf <<YAML
  cf: { type: cloudflare, api_token: "\${CF_TOKEN}", endpoint: "$FAKE_URL/client/v4/", timeout: 2s }
  cfbad: { type: cloudflare, api_token: "not-the-token", endpoint: "$FAKE_URL/client/v4", timeout: 2s }
YAML
API=$FAKE_URL/client/v4

cloud_scenario cf 'MS=ms12345678'
expect_eq "cloudflare: MS= kept as the API had it (unquoted)" \
    "$(state_rr example.com | grep -c ' 3600 MS=ms12345678$')" 1
expect_match "cloudflare: DKIM stored as quoted strings" \
    "$(state_rr pst1._domainkey.example.com)" '^[0-9]+ 3600 "v=DKIM1; k=rsa; p=[^"]{230,}" "[^"]+"$'

# A writer between our read and our write (the fake's conflict control):
# one record per value, so our update touches only our own records and the
# other writer's record stays.
ctl "conflict?name=example.com&type=TXT&value=concurrent%3D1"
run_drv cf replace example.com --current --new '"MS=ms12345678"' --new '"v=spf1 -all"' \
    --new '"verify=one"' --new '"google-site-verification=abc"'
expect_eq "concurrent writer: our update made" "$RC" 0
expect_match "concurrent writer: the other record kept" "$(drv cf list example.com)" '"concurrent=1"'
expect_match "concurrent writer: ours made" "$(drv cf list example.com)" '"v=spf1 -all"'

run_drv cfbad list example.com
expect_eq "wrong token" "$RC:$OUT" "1:provider \"cfbad\" (cloudflare): finding the zone of example.com: GET $API/zones?status=active&per_page=50&page=1: HTTP 403 (the token was refused: check api_token): 9109: Invalid access token"
run_drv cf zone mail.hidden.example
expect_eq "zone the token cannot see" "$RC:$OUT" "1:provider \"cf\" (cloudflare): finding the zone of mail.hidden.example: no zone holding mail.hidden.example is visible with this token (GET $API/zones: 3 zones)"
ctl "garbage?count=1&kind=truncated"
run_drv cf list example.com
expect_eq "truncated JSON" "$RC:$OUT" "1:provider \"cf\" (cloudflare): finding the zone of example.com: GET $API/zones?status=active&per_page=50&page=1: malformed JSON from the API: premature end of input near '\"' (line 1)"
ctl "garbage?count=1&kind=empty"
run_drv cf list example.com
expect_eq "JSON without its fields" "$RC:$OUT" "1:provider \"cf\" (cloudflare): finding the zone of example.com: GET $API/zones?status=active&per_page=50&page=1: the answer has no \"result\""

# postern plan / apply end to end through this provider, on a fresh fake
# (a Microsoft 365 customer's zone); DNS lookups the plan makes (the SPF
# include) go to a local Knot.
mkdir -p "$T/zones"
cat >"$T/zones/outlook.com.zone" <<'ZONE'
$ORIGIN outlook.com.
$TTL 3600
@ IN SOA ns1.outlook.com. hostmaster.outlook.com. 1 3600 600 86400 300
@ IN NS ns1.outlook.com.
ns1 IN A 127.0.0.1
spf.protection IN TXT "v=spf1 ip4:40.92.0.0/15 -all"
ZONE
start_knot "$T/zones"
cat >"$T/seed2" <<EOF
zone example.com
example.com TXT 3600 $SPF
example.com TXT 3600 MS=ms12345678
example.com TXT 3600 verify=one
example.com MX 3600 0 example-com.mail.protection.outlook.com
EOF
FAKE_CLOUDFLARE_TOKEN=$TOKEN start_fake cloudflare "$T/seed2"
cat >"$T/apply.yaml" <<YAML
state_dir: $T/state2
dns:
  resolver: "127.0.0.1:$KNOT_PORT"
  authoritative: ["127.0.0.1:$KNOT_PORT"]
  blocklists: []
  timeout: 2s
relay:
  hostname: relay.example.com
  public_ips: [50.60.70.80]
  listen:
    - { address: "127.0.0.1:2525", tls: none, auth: none }
domains:
  - name: example.com
    provider: cf
    dkim: [ { selector: pst1, algorithm: rsa-2048 } ]
    spf: { include: [spf.protection.outlook.com] }
    dmarc: { policy: none, rua: "mailto:dmarc@example.com" }
providers:
  cf: { type: cloudflare, api_token: "\${CF_TOKEN}", endpoint: "$FAKE_URL/client/v4", timeout: 2s }
YAML
ms_before=$(state_rr example.com | grep MS=)
"$POSTERN" keys generate -c "$T/apply.yaml" >/dev/null
out=$("$POSTERN" plan -c "$T/apply.yaml" 2>&1)
expect_eq "plan: exit 1 (changes)" "$?" 1
expect_match "plan: SPF update" "$out" \
    $'~ update example.com TXT \\(SPF\\)\n +- "v=spf1 include:spf.protection.outlook.com -all"\n +\\+ "v=spf1 include:spf.protection.outlook.com ip4:50.60.70.80 -all"'
expect_match "plan: DKIM create" "$out" '\+ create pst1._domainkey.example.com TXT'
out=$("$POSTERN" apply --yes --no-wait -c "$T/apply.yaml" 2>&1)
rc=$?
expect_eq "apply --yes --no-wait: exit 0" "$rc" 0
[ "$rc" = 0 ] || echo "$out"
expect_eq "apply: SPF merged, MS= and verify= kept" \
    "$(state_rr example.com | cut -d' ' -f3- | sort)" \
    "$(printf '%s\n' MS=ms12345678 "v=spf1 include:spf.protection.outlook.com ip4:50.60.70.80 -all" verify=one | sort)"
expect_eq "apply: MS= record untouched (id, ttl, value)" \
    "$(state_rr example.com | grep MS=)" "$ms_before"
expect_eq "apply: DMARC created" "$(state_rr _dmarc.example.com | cut -d' ' -f2-)" \
    "3600 v=DMARC1; p=none; rua=mailto:dmarc@example.com"
want=$("$POSTERN" keys record -c "$T/apply.yaml" --domain example.com --selector pst1)
expect_eq "apply: DKIM published as generated" \
    "$(state_rr pst1._domainkey.example.com | cut -d' ' -f3- | sed 's/" "//g; s/"//g')" "$want"
out=$("$POSTERN" plan -c "$T/apply.yaml" 2>&1)
expect_eq "second plan: exit 0" "$?" 0
expect_eq "second plan: all unchanged" "$(grep -c '= unchanged' <<<"$out")" 3
writes=$(grep -cE 'fake_cloudflare (POST|PATCH|PUT|DELETE) /client' "$T/fake.err")
out=$("$POSTERN" apply --yes --no-wait -c "$T/apply.yaml" 2>&1)
expect_eq "second apply: exit 0" "$?" 0
expect_match "second apply: nothing to change" "$out" 'nothing to change'
expect_eq "second apply: no write to the API" \
    "$(grep -cE 'fake_cloudflare (POST|PATCH|PUT|DELETE) /client' "$T/fake.err")" "$writes"

check_secrets "$TOKEN"
finish
