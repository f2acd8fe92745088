#!/usr/bin/env bash
# The gandi provider against the Gandi LiveDNS v5 fake (tests/fakes/): the
# provider scenario (zone discovery, record sets paged by Total-Count, a
# whole-set replace that writes MS= back byte for byte, a 2048-bit DKIM key,
# a conflict, 429/500/HTML) and bad input with exact errors.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/cloud_lib.sh"

TYPE=gandi
KEEP_IDS=2 # a PUT replaces the whole set: ttl and value compared
TOKEN=gandi-token-$RANDOM$RANDOM-secret
{ cloud_seed '"' '"'; echo "$M365_RECORDS"; } >"$T/seed"
FAKE_GANDI_TOKEN=$TOKEN start_fake gandi "$T/seed"
export GANDI_PAT=$TOKEN

cloud_config gd <<YAML
  gd: { type: gandi, token: "\${GANDI_PAT}", endpoint: "$FAKE_URL/v5/livedns", timeout: 2s }
  gdbad: { type: gandi, token: "not-the-token", endpoint: "$FAKE_URL/v5/livedns/", timeout: 2s }
YAML
API=$FAKE_URL/v5/livedns

cloud_scenario gd '"MS=ms12345678"'
expect_eq "gandi: MS= written back byte for byte" \
    "$(state_rr example.com | grep -c ' 3600 "MS=ms12345678"$')" 1
expect_match "gandi: DKIM stored as quoted strings" \
    "$(state_rr pst1._domainkey.example.com)" '^[0-9]+ 3600 "v=DKIM1; k=rsa; p=[^"]{230,}" "[^"]+"$'

# A writer between our read and our PUT (the fake's conflict control).
# LiveDNS has no conditional write: the whole-set PUT replaces the other
# writer's value, and the read after the write cannot see it (it only
# catches a writer after the PUT). This pins down that known limit of
# Gandi (a window of one round trip): the other value is lost.
ctl "conflict?name=example.com&type=TXT&value=%22concurrent%3D1%22"
run_drv gd replace example.com --current --new '"MS=ms12345678"' --new '"v=spf1 -all"' \
    --new '"verify=one"' --new '"google-site-verification=abc"'
expect_eq "concurrent writer before the PUT: our set written" "$RC:$OUT" "0:"
expect_eq "concurrent writer before the PUT: its value lost (LiveDNS limit)" \
    "$(drv gd list example.com | grep -c concurrent=1)" 0

run_drv gdbad list example.com
expect_eq "wrong token" "$RC:$OUT" "1:provider \"gdbad\" (gandi): finding the zone of example.com: GET $API/domains?per_page=100&page=1: HTTP 401 (the token was refused: check token): The server could not verify that you are authorized to access the URL requested."
run_drv gd zone mail.hidden.example
expect_eq "zone the token cannot see" "$RC:$OUT" "1:provider \"gd\" (gandi): finding the zone of mail.hidden.example: no domain holding mail.hidden.example is visible with this token (GET $API/domains: 3 domains)"
run_drv gd replace example.com --current --ttl 60 --new '"x"'
expect_eq "API validation error passed on" "$RC:$OUT" "1:provider \"gd\" (gandi): zone example.com: replacing example.com TXT: PUT $API/domains/example.com/records/%40/TXT: HTTP 400: Validation error; rrset_ttl: rrset_ttl must be between 300 and 2592000"
ctl "garbage?count=1&kind=truncated"
run_drv gd list example.com
expect_eq "truncated JSON" "$RC:$OUT" "1:provider \"gd\" (gandi): finding the zone of example.com: GET $API/domains?per_page=100&page=1: malformed JSON from the API: premature end of input near '\"rrset_val' (line 1)"
ctl "garbage?count=1&kind=empty"
run_drv gd list example.com
expect_eq "JSON without its fields" "$RC:$OUT" "1:provider \"gd\" (gandi): finding the zone of example.com: GET $API/domains?per_page=100&page=1: the answer is not a JSON array"

check_secrets "$TOKEN"
finish
