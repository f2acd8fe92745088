#!/usr/bin/env bash
# The digitalocean provider against the DigitalOcean API v2 fake
# (tests/fakes/): the provider scenario (zone discovery, TXT reads paged by
# links.pages.next, a replace that leaves MS= untouched, a 2048-bit DKIM key,
# a conflict, 429/500/HTML) and bad input with exact errors.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/cloud_lib.sh"

TYPE=digitalocean
TOKEN=do-token-$RANDOM$RANDOM-secret
{ cloud_seed '' ''; echo "$M365_RECORDS"; } >"$T/seed"
FAKE_DIGITALOCEAN_TOKEN=$TOKEN start_fake digitalocean "$T/seed"
export DO_TOKEN=$TOKEN

cloud_config dgo <<YAML
  dgo: { type: digitalocean, token: "\${DO_TOKEN}", endpoint: "$FAKE_URL/v2", timeout: 2s }
  dobad: { type: digitalocean, token: "not-the-token", endpoint: "$FAKE_URL/v2/", timeout: 2s }
YAML
API=$FAKE_URL/v2

cloud_scenario dgo 'MS=ms12345678'
expect_eq "digitalocean: MS= kept as the API had it (unquoted)" \
    "$(state_rr example.com | grep -c ' 3600 MS=ms12345678$')" 1
expect_match "digitalocean: DKIM stored as quoted strings" \
    "$(state_rr pst1._domainkey.example.com)" '^[0-9]+ 3600 "v=DKIM1; k=rsa; p=[^"]{230,}" "[^"]+"$'

# A writer between our read and our write (the fake's conflict control):
# one record per value, so our update touches only our own records and the
# other writer's record stays.
ctl "conflict?name=example.com&type=TXT&value=concurrent%3D1"
run_drv dgo replace example.com --current --new '"MS=ms12345678"' --new '"v=spf1 -all"' \
    --new '"verify=one"' --new '"google-site-verification=abc"'
expect_eq "concurrent writer: our update made" "$RC" 0
expect_match "concurrent writer: the other record kept" "$(drv dgo list example.com)" '"concurrent=1"'
expect_match "concurrent writer: ours made" "$(drv dgo list example.com)" '"v=spf1 -all"'

run_drv dobad list example.com
expect_eq "wrong token" "$RC:$OUT" "1:provider \"dobad\" (digitalocean): finding the zone of example.com: GET $API/domains?per_page=200: HTTP 401 (the token was refused: check token): unauthorized: Unable to authenticate you"
run_drv dgo zone mail.hidden.example
expect_eq "zone the token cannot see" "$RC:$OUT" "1:provider \"dgo\" (digitalocean): finding the zone of mail.hidden.example: no domain holding mail.hidden.example is visible with this token (GET $API/domains: 3 domains)"
ctl "garbage?count=1&kind=truncated"
run_drv dgo list example.com
expect_eq "truncated JSON" "$RC:$OUT" "1:provider \"dgo\" (digitalocean): finding the zone of example.com: GET $API/domains?per_page=200: malformed JSON from the API: premature end of input near '\"TX' (line 1)"
ctl "garbage?count=1&kind=empty"
run_drv dgo list example.com
expect_eq "JSON without its fields" "$RC:$OUT" "1:provider \"dgo\" (digitalocean): finding the zone of example.com: GET $API/domains?per_page=200: the answer has no \"domains\" array"

check_secrets "$TOKEN"
finish
