#!/usr/bin/env bash
# The route53 provider against the Route 53 fake (tests/fakes/), which
# recomputes every request's SigV4 signature as AWS does: the provider
# scenario (zones and record sets over several pages, a DELETE+CREATE batch
# that leaves MS= untouched, GetChange until INSYNC, a 2048-bit DKIM key as
# several quoted strings, a conflict, 429/500/HTML), credentials from the
# AWS_* variables, and bad input with exact errors.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/cloud_lib.sh"

TYPE=route53
KEEP_IDS=2 # a DELETE+CREATE batch: ttl and value compared
AK=AKIAFAKE$RANDOM$RANDOM
SK=r53-secret-$RANDOM$RANDOM-key
{
	cloud_seed '"' '"'
	cat <<EOF
zone a.test
example.com MX 3600 0 example-com.mail.protection.outlook.com.
a.example.com TXT 300 "a"
www.example.com TXT 300 "w"
EOF
} >"$T/seed"
FAKE_AWS_ACCESS_KEY_ID=$AK FAKE_AWS_SECRET_ACCESS_KEY=$SK \
    start_fake route53 "$T/seed" --insync-after 2
export R53_AK=$AK R53_SK=$SK
# awsenv takes its credentials from these (as the AWS tools do).
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK

cloud_config aws <<YAML
  aws: { type: route53, access_key_id: "\${R53_AK}", secret_access_key: "\${R53_SK}",
         endpoint: "$FAKE_URL", timeout: 2s }
  awsenv: { type: route53, endpoint: "$FAKE_URL/", timeout: 2s }
  awsbad: { type: route53, access_key_id: "\${R53_AK}", secret_access_key: wrong-secret,
         endpoint: "$FAKE_URL", timeout: 2s }
  awsregion: { type: route53, access_key_id: "\${R53_AK}", secret_access_key: "\${R53_SK}",
         region: eu-west-1, endpoint: "$FAKE_URL", timeout: 2s }
YAML
API=$FAKE_URL/2013-04-01

cloud_scenario aws '"MS=ms12345678"'
expect_eq "route53: MS= written back byte for byte" \
    "$(state_rr example.com | grep -c ' 3600 "MS=ms12345678"$')" 1
expect_match "route53: DKIM stored as quoted strings" \
    "$(state_rr pst1._domainkey.example.com)" '^[0-9]+ 3600 "v=DKIM1; k=rsa; p=[^"]{230,}" "[^"]+"$'
expect_match "route53: GetChange polled until INSYNC" \
    "$(grep -c 'GET /2013-04-01/change/' "$T/fake.err")" '^[1-9][0-9]*$'

# Credentials from the standard AWS variables.
expect_eq "AWS_* variables" "$(drv awsenv list sub.example.com)" 'ttl 300
"v=spf1 -all"'

# A writer between our read and our batch (the fake's conflict control):
# the DELETE of the exact set read no longer matches, the whole batch fails.
before=$(drv aws list example.com)
ctl "conflict?name=example.com&type=TXT&value=%22concurrent%3D1%22"
run_drv aws replace example.com --current --new '"v=spf1 -all"'
expect_eq "compare-and-swap: exit" "$RC" 4
expect_match "compare-and-swap: message" "$OUT" "^provider \"aws\" \\(route53\\): zone example.com: replacing example.com TXT: the TXT set changed since it was read; nothing changed \\(plan again\\): POST $API/hostedzone/[A-Z0-9]+/rrset: HTTP 400: InvalidChangeBatch: "
expect_eq "compare-and-swap: nothing half-applied" \
    "$(drv aws list example.com | grep -v concurrent=1)" "$before"
expect_match "compare-and-swap: the other writer's value kept" \
    "$(drv aws list example.com)" '"concurrent=1"'

Q='maxitems=100'
run_drv awsbad zone example.com
expect_eq "wrong secret" "$RC:$OUT" "1:provider \"awsbad\" (route53): finding the zone of example.com: GET $API/hostedzonesbyname?$Q: HTTP 403 (check access_key_id, secret_access_key, region): SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
run_drv awsregion zone example.com
expect_eq "wrong region" "$RC:$OUT" "1:provider \"awsregion\" (route53): finding the zone of example.com: GET $API/hostedzonesbyname?$Q: HTTP 403 (check access_key_id, secret_access_key, region): SignatureDoesNotMatch: Credential should be scoped to a valid region."
run_drv aws zone mail.hidden.example
expect_eq "zone the credentials cannot see" "$RC:$OUT" "1:provider \"aws\" (route53): finding the zone of mail.hidden.example: no hosted zone holding mail.hidden.example is visible with these credentials (4 zones)"
ctl "garbage?count=1&kind=truncated"
run_drv aws list example.com
expect_eq "truncated XML" "$RC:$OUT" "1:provider \"aws\" (route53): finding the zone of example.com: GET $API/hostedzonesbyname?$Q: the answer is not a ListHostedZonesByNameResponse (XML)"
ctl "garbage?count=1&kind=empty"
run_drv aws list example.com
expect_eq "XML without its fields" "$RC:$OUT" "1:provider \"aws\" (route53): finding the zone of example.com: GET $API/hostedzonesbyname?$Q: the answer is not a ListHostedZonesByNameResponse (XML)"

ZID=$(grep -o 'hostedzone/[A-Z0-9]*/rrset' "$T/fake.err" | head -1)
paused_garbage aws truncated
expect_eq "record listing: truncated XML" "$RC:$OUT" "1:provider \"aws\" (route53): zone example.com: reading example.com TXT: GET $API/$ZID?maxitems=300&name=example.com.&type=TXT: the answer has no ResourceRecordSets"
paused_garbage aws empty
expect_eq "record listing: XML without its fields" "$RC:$OUT" "1:provider \"aws\" (route53): zone example.com: reading example.com TXT: GET $API/$ZID?maxitems=300&name=example.com.&type=TXT: the answer has no ResourceRecordSets"

check_secrets "$SK"
finish
