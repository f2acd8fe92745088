#!/usr/bin/env bash
# postern keys rotate: the next key made and published, signing switched
# once every authoritative server serves it (posternd told to reload), the
# old record removed after the grace period, and an interrupted rotation
# resumed. DNS through RFC 2136 to a local Knot.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"

mkdir -p "$T/zones"
cat >"$T/zones/example.com.zone" <<'ZONE'
$ORIGIN example.com.
$TTL 60
@ SOA ns1 hostmaster 1 3600 600 86400 60
@ NS ns1
ns1 A 127.0.0.1
@ TXT "v=spf1 ip4:127.0.0.1 -all"
ZONE
start_knot "$T/zones"
printf '%s\n' "$TSIG_SECRET" >"$T/tsig.key"
start_sink mx
relay_config "$T/postern.yaml"
python3 - "$T/postern.yaml" <<PY
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace("relay:\n", 'dns: { resolver: "127.0.0.1:$KNOT_PORT", authoritative: ["127.0.0.1:$KNOT_PORT"], blocklists: [], timeout: 1s }\nrelay:\n', 1)
s = s.replace("  queue: { path: $T/queue }", '''  queue: { path: $T/queue, retry: [1s] }
  gate: { mode: off }
  routes: [ { domains: ["*"], via: "127.0.0.1:$SINK_PORT" } ]''')
s = s.replace("""    dkim:
      - { selector: pst1, algorithm: rsa-2048 }
      - { selector: pst1e, algorithm: ed25519 }""", """    dkim:
      - { selector: pst1, algorithm: rsa-2048 }""")
s = s.replace("  hand: { type: manual }", '  hand: { type: rfc2136, server: "127.0.0.1:$KNOT_PORT", tsig: { name: postern, secret_file: $T/tsig.key } }')
s = s.replace("  - name: nokeys.example\n    provider: hand\n", "")
open(p, "w").write(s)
PY
dig() { kdig +short +time=2 @127.0.0.1 -p "$KNOT_PORT" "$@"; }
"$POSTERN" apply --yes -c "$T/postern.yaml" >"$T/apply.log" 2>&1
expect_eq "pst1 published by apply" "$?" 0
start_relay "$T/postern.yaml"
state() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["phase"])' "$T/state/keys/example.com/rotation.json"; }
send() { swaks --server "127.0.0.1:$P_PLAIN" --from crm@example.com --to a@dest.example --h-From crm@example.com >/dev/null 2>&1; }

out=$("$POSTERN" keys rotate --domain example.com --grace 1h -c "$T/postern.yaml" 2>&1)
expect_eq "rotate exits 0" "$?" 0
expect_match "the next key is pst2" "$out" 'rotation of example.com selector pst1: the next key is pst2'
expect_match "pst2 published, propagation waited for" "$out" '1 of 1 authoritative servers serve the new records'
expect_match "signing switched" "$out" 'signing with pst2 now; the record of pst1 stays until'
want=$("$POSTERN" keys record -c "$T/postern.yaml" --domain example.com --selector pst2)
expect_eq "pst2's record is the new key" "$(dig TXT pst2._domainkey.example.com | sed 's/" "//g; s/"//g')" "$want"
expect_eq "the state says signing" "$(state)" signing
expect_match "posternd was told to reload" "$out" 'told posternd to reload'
sleep 0.5
send
for _ in $(seq 1 50); do [ -f "$T/mx/000000.eml" ] && break; sleep 0.1; done
expect_match "posternd signs with pst2 after the reload" "$(cat "$T/mx/000000.eml")" 'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=pst2;'
out=$("$POSTERN" check -c "$T/postern.yaml" --json)
expect_match "check compares pst2 with its local key" "$out" '"selector": ?"pst2"'
out=$("$POSTERN" plan -c "$T/postern.yaml" 2>&1)
expect_match "plan keeps pst2, nothing to change" "$out" '= unchanged pst2._domainkey.example.com TXT'
expect_eq "pst1 still published in the grace period" "$(dig TXT pst1._domainkey.example.com | grep -c DKIM1)" 1
out=$("$POSTERN" keys rotate --domain example.com -c "$T/postern.yaml" 2>&1)
expect_match "within the grace period: nothing yet" "$out" 'signing with pst2; pst1 retires in'
# The grace period ends (the clock moved on).
python3 - "$T/state/keys/example.com/rotation.json" <<'PY'
import json, sys
p = sys.argv[1]; j = json.load(open(p)); j["retire_after"] = 1; json.dump(j, open(p, "w"))
PY
out=$("$POSTERN" keys rotate --domain example.com -c "$T/postern.yaml" 2>&1)
expect_match "after the grace period: pst1 retired" "$out" 'rotation of example.com done: pst1 retired, pst2 signs'
expect_eq "pst1's record is gone" "$(dig TXT pst1._domainkey.example.com)" ""
expect_eq "the state says done" "$(state)" done

# An interrupted rotation resumes: the next one stops after making pst3.
python3 - "$T/state/keys/example.com/rotation.json" <<'PY'
import json, sys, time
p = sys.argv[1]
json.dump({"old": "pst1", "next": "pst3", "retire": "pst2", "phase": "published",
           "started": int(time.time()), "retire_after": 0}, open(p, "w"))
PY
"$POSTERN" keys generate -c "$T/postern.yaml" >/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/state/keys/example.com/pst3.key" 2>/dev/null
chmod 600 "$T/state/keys/example.com/pst3.key"
out=$("$POSTERN" keys rotate --domain example.com --grace 1h -c "$T/postern.yaml" 2>&1)
expect_match "resumed: pst3 published and signing" "$out" 'signing with pst3 now; the record of pst2 stays until'
expect_match "resumed: pst3 in DNS" "$(dig TXT pst3._domainkey.example.com)" 'DKIM1'
out=$("$POSTERN" keys rotate --domain nope.example -c "$T/postern.yaml" 2>&1)
expect_eq "an unknown domain: exit 2" "$?" 2
finish
