#!/usr/bin/env bash
# The cloudflare provider against the Cloudflare API v4 fake (tests/fakes/):
# the provider scenario (zone discovery, paged TXT reads, a replace that
# leaves MS= untouched, a 2048-bit DKIM key, a conflict, 429/500/HTML), bad
# input with exact errors, and postern plan / apply end to end.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/cloud_lib.sh"

TYPE=cloudflare
TOKEN=cf-token-$RANDOM$RANDOM-secret
cat >"$T/seed" <<EOF
zone example.com
zone sub.example.com
zone hidden.example hidden
zone other.test
example.com TXT 3600 $SPF
example.com TXT 3600 MS=ms12345678
example.com TXT 3600 verify=one
example.com MX 3600 0 example-com.mail.protection.outlook.com
selector1._domainkey.example.com CNAME 3600 selector1-example-com._domainkey.example.onmicrosoft.com
sub.example.com TXT 300 v=spf1 -all
EOF
FAKE_CLOUDFLARE_TOKEN=$TOKEN start_fake cloudflare "$T/seed"
export CF_TOKEN=$TOKEN

cat >"$T/postern.yaml" <<YAML
state_dir: $T/state
relay:
  hostname: relay.example.com
  public_ips: [50.60.70.80]
  listen:
    - { address: "127.0.0.1:2525", tls: none, auth: none }
domains:
  - name: example.com
    provider: cf
    dkim: [ { selector: pst1, algorithm: rsa-2048 } ]
providers:
  cf: { type: cloudflare, api_token: "\${CF_TOKEN}", endpoint: "$FAKE_URL/client/v4/", timeout: 2s }
  cfbad: { type: cloudflare, api_token: "not-the-token", endpoint: "$FAKE_URL/client/v4", timeout: 2s }
YAML
API=$FAKE_URL/client/v4

cloud_scenario cf 'MS=ms12345678'
expect_eq "cloudflare: MS= kept as the API had it (unquoted)" \
    "$(state_rr example.com | grep -c ' 3600 MS=ms12345678$')" 1
expect_match "cloudflare: DKIM stored as quoted strings" \
    "$(state_rr pst1._domainkey.example.com)" '^[0-9]+ 3600 "v=DKIM1; k=rsa; p=[^"]{230,}" "[^"]+"$'

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

check_secrets "$TOKEN"
finish
