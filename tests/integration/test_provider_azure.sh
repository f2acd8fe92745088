#!/usr/bin/env bash
# The azure provider against the Entra ID + ARM DNS fake (tests/fakes/):
# the provider scenario (zone discovery over nextLink pages, TXT sets as
# value arrays, a replace with If-Match that leaves MS= untouched, a 2048-bit
# DKIM key, a conflict, 429/500/HTML), an expired token fetched again, and
# bad input (wrong secret, tenant, resource group) with exact errors.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/cloud_lib.sh"

TYPE=azure
KEEP_IDS=2 # a PUT replaces the whole set: ttl and value compared
SECRET=az-secret-$RANDOM$RANDOM-value
SUB=11111111-2222-3333-4444-555555555555
cloud_seed '["' '"]' >"$T/seed"
FAKE_AZURE_CLIENT_SECRET=$SECRET start_fake azure "$T/seed" --tenant tenant-1 \
    --client-id app-1 --subscription $SUB --resource-group dns-rg \
    --token-lifetime 3
export AZ_SECRET=$SECRET

cloud_config az <<YAML
  az: { type: azure, tenant_id: tenant-1, client_id: app-1, client_secret: "\${AZ_SECRET}",
        subscription_id: $SUB, resource_group: dns-rg,
        endpoint: "$FAKE_URL", login_endpoint: "$FAKE_URL/", timeout: 2s }
  azbad: { type: azure, tenant_id: tenant-1, client_id: app-1, client_secret: not-the-secret,
        subscription_id: $SUB, resource_group: dns-rg,
        endpoint: "$FAKE_URL", login_endpoint: "$FAKE_URL", timeout: 2s }
  azrg: { type: azure, tenant_id: tenant-1, client_id: app-1, client_secret: "\${AZ_SECRET}",
        subscription_id: $SUB, resource_group: other-rg,
        endpoint: "$FAKE_URL", login_endpoint: "$FAKE_URL", timeout: 2s }
YAML
ZONES=$FAKE_URL/subscriptions/$SUB/resourceGroups/dns-rg/providers/Microsoft.Network/dnsZones

cloud_scenario az '"MS=ms12345678"'
expect_eq "azure: MS= written back byte for byte" \
    "$(state_rr example.com | grep -c ' 3600 \["MS=ms12345678"\]$')" 1
expect_match "azure: DKIM stored as an array of strings" \
    "$(state_rr pst1._domainkey.example.com)" '^[0-9]+ 3600 \["v=DKIM1; k=rsa; p=[^"]{230,}","[^"]+"\]$'

# A writer between our read and our PUT (the fake's conflict control):
# the etag changed, ARM refuses the If-Match.
before=$(drv az list example.com)
ctl "conflict?name=example.com&type=TXT&value=%5B%22concurrent%3D1%22%5D"
run_drv az replace example.com --current --new '"v=spf1 -all"'
expect_eq "compare-and-swap: exit" "$RC" 4
expect_match "compare-and-swap: message" "$OUT" "^provider \"az\" \\(azure\\): zone example.com: replacing example.com TXT: the TXT set changed since it was read; nothing changed \\(plan again\\): PUT $ZONES/example.com/TXT/%40\\?api-version=2018-05-01: HTTP 412: PreconditionFailed: The condition "
expect_eq "compare-and-swap: nothing half-applied" \
    "$(drv az list example.com | grep -v concurrent=1)" "$before"
expect_match "compare-and-swap: the other writer's value kept" \
    "$(drv az list example.com)" '"concurrent=1"'

# The token lives 3 s: after a pause the provider fetches a new one.
tokens() { curl -s "$FAKE_URL/_fake/log" | "$PY" -c 'import json,sys
print(sum(1 for r in json.load(sys.stdin) if r["uri"].endswith("/oauth2/v2.0/token") and r["status"] == 200))'; }
n=$(tokens)
expect_eq "expired token: list after the pause" "$(drv az list sub.example.com --pause 4)" 'ttl 300
"v=spf1 -all"'
expect_eq "expired token: a second token fetched" "$(($(tokens) - n))" 2

run_drv azbad zone example.com
expect_match "wrong client secret" "$RC:$OUT" "^1:provider \"azbad\" \\(azure\\): finding the zone of example.com: getting a token from Entra ID \\(check tenant_id, client_id, client_secret\\): POST $FAKE_URL/tenant-1/oauth2/v2.0/token: HTTP 401 \\(check client_id, client_secret and the app's role on the zone\\): invalid_client: AADSTS7000215: Invalid client secret provided. "
run_drv azrg zone example.com
expect_eq "unknown resource group" "$RC:$OUT" "1:provider \"azrg\" (azure): finding the zone of example.com: GET $FAKE_URL/subscriptions/$SUB/resourceGroups/other-rg/providers/Microsoft.Network/dnsZones?api-version=2018-05-01: HTTP 404: ResourceGroupNotFound: Resource group 'other-rg' could not be found."
run_drv az zone mail.hidden.example
expect_eq "zone the app cannot see" "$RC:$OUT" "1:provider \"az\" (azure): finding the zone of mail.hidden.example: no zone holding mail.hidden.example in resource group dns-rg (GET $ZONES: 3 zones)"
ctl "garbage?count=2&kind=truncated"
run_drv az list example.com
expect_eq "truncated JSON" "$RC:$OUT" "1:provider \"az\" (azure): finding the zone of example.com: getting a token from Entra ID (check tenant_id, client_id, client_secret): POST $FAKE_URL/tenant-1/oauth2/v2.0/token: malformed JSON from the API: premature end of input near '\"/subscriptions/' (line 1)"
ctl "garbage?count=0"
# A token, then a well-formed answer without its fields.
drv az zone example.com >/dev/null
ctl "garbage?count=1&kind=empty"
run_drv az list example.com
expect_eq "JSON without its fields" "$RC:$OUT" "1:provider \"az\" (azure): finding the zone of example.com: getting a token from Entra ID (check tenant_id, client_id, client_secret): POST $FAKE_URL/tenant-1/oauth2/v2.0/token: the token answer lacks \"access_token\" or \"expires_in\""

# ARM's own answers broken: injected while the driver pauses, after its
# token and zone were fetched.
SET=$ZONES/example.com/TXT/%40?api-version=2018-05-01
paused_garbage az truncated
expect_eq "ARM: truncated JSON" "$RC:$OUT" "1:provider \"az\" (azure): zone example.com: reading example.com TXT: GET $SET: malformed JSON from the API: premature end of input near '\"/subscriptions/' (line 1)"
paused_garbage az empty
expect_eq "ARM: JSON without its fields" "$RC:$OUT" "1:provider \"az\" (azure): zone example.com: reading example.com TXT: GET $SET: the record set lacks \"etag\", \"properties.TTL\" or \"properties.TXTRecords\""

check_secrets "$SECRET"
if curl -s "$FAKE_URL/_fake/log" | grep -q 'fake\.[0-9a-f]\{48\}'; then
	fail "an access token in the request log"
fi
if grep -q 'fake\.[0-9a-f]\{48\}' "$T/driver.err"; then
	fail "an access token printed"
else
	pass "no access token printed"
fi
finish
