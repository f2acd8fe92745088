#!/usr/bin/env bash
# The manual provider: prints the change in zone-file syntax, then polls
# DNS (here a Knot DNS given as dns.authoritative) until it is served.
source "$SOURCE_DIR/tests/integration/lib.sh"
: "${PROVIDER_DRIVER:?}"

mkdir -p "$T/zones"
cat >"$T/zones/example.com.zone" <<'ZONE'
$ORIGIN example.com.
$TTL 3600
@ IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
@ IN NS ns1.example.com.
@ 3600 IN TXT "v=spf1 include:spf.protection.outlook.com -all"
@ 3600 IN TXT "MS=ms12345678"
ZONE
start_knot "$T/zones"

cat >"$T/postern.yaml" <<YAML
state_dir: $T/state
dns:
  resolver: "127.0.0.1:$KNOT_PORT"
  authoritative: ["127.0.0.1:$KNOT_PORT"]
  timeout: 1s
relay:
  hostname: relay.example.com
  public_ips: [127.0.0.1]
  listen:
    - { address: "127.0.0.1:2525", tls: none, auth: none }
domains:
  - name: example.com
    provider: hand
    dkim: [ { selector: pst1, algorithm: rsa-2048 } ]
providers:
  hand: { type: manual }
YAML
drv() { "$PROVIDER_DRIVER" "$T/postern.yaml" "$@"; }

expect_eq "zone by SOA through DNS" "$(drv hand zone pst1._domainkey.example.com)" example.com
expect_eq "apex TXT set" "$(drv hand list example.com)" 'ttl 3600
"MS=ms12345678"
"v=spf1 include:spf.protection.outlook.com -all"'

# The DKIM record: instructions, then the wait ends when DNS serves it.
"$POSTERN" keys generate -c "$T/postern.yaml" >/dev/null
rec=$("$POSTERN" keys record -c "$T/postern.yaml" --domain example.com --selector pst1)
zone=$("$POSTERN" keys record -c "$T/postern.yaml" --domain example.com --selector pst1 --zone)
drv hand replace pst1._domainkey.example.com --current --new-value "$rec" \
    --wait 20 >"$T/out" 2>&1 &
pid=$!
for _ in $(seq 1 50); do
	grep -q 'servers serve it' "$T/out" && break
	sleep 0.1
done
expect_eq "instructions" "$(head -3 "$T/out")" "Change zone example.com by hand (provider \"hand\"): set the TXT records at pst1._domainkey.example.com.
  keep or add: $zone
Waiting until DNS serves exactly these records (Ctrl-C stops waiting; nothing else is changed)."
# Do what it says, with the printed zone-file line.
line=$(sed -n 's/^  keep or add: //p' "$T/out")
printf 'server 127.0.0.1 %s\nkey hmac-sha256:postern %s\nzone example.com.\nupdate add %s\nsend\n' \
    "$KNOT_PORT" "$TSIG_SECRET" "$line" | knsupdate
rc=0; wait "$pid" || rc=$?
expect_eq "wait ends once served" "$rc" 0
expect_match "progress line" "$(tail -1 "$T/out")" '^  pst1._domainkey.example.com: 1/1 servers serve it$'
expect_eq "served exactly" "$(kdig +short @127.0.0.1 -p "$KNOT_PORT" pst1._domainkey.example.com TXT | sed 's/" "//g; s/"//g')" "$rec"

# Nobody makes the change: a bounded wait, then a temporary failure.
rc=0
err=$(drv hand replace example.com --current --new '"v=spf1 -all"' --wait 2 2>&1 >/dev/null) || rc=$?
expect_eq "not visible: exit" "$rc" 3
expect_eq "not visible: message" "$err" 'provider "hand" (manual): zone example.com: replacing example.com TXT: not visible in DNS after 2 s (0/1 servers serve it); make the change shown above, then run again'
rc=0
err=$(drv hand replace example.com --old '"v=spf1 -all"' --new '"x"' 2>&1 >/dev/null) || rc=$?
expect_eq "conflict: exit" "$rc" 4
expect_eq "conflict: message" "$err" 'provider "hand" (manual): zone example.com: replacing example.com TXT: the TXT set changed since it was read; nothing to do by hand yet (plan again)'

finish
