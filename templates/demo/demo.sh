#!/usr/bin/env bash
# The demo: a Microsoft 365 customer's zone on a local Knot DNS, `postern
# migrate --yes` through RFC 2136, posternd on 127.0.0.1, a legacy CRM
# (swaks) submitting with AUTH over STARTTLS, delivery to a local sink as
# the recipient's MX, and the delivered message's DKIM signatures verified
# independently. Everything listens on 127.0.0.1 and is stopped at the end.
# Exit 0 only when every step worked.
#
# demo.sh BUILD_DIR
set -u
BUILD=$(cd "${1:-build}" && pwd)
export SOURCE_DIR=$(cd "$(dirname "$0")/../.." && pwd)
export POSTERN=$BUILD/cli/postern POSTERND=$BUILD/relayd/posternd
source "$SOURCE_DIR/tests/integration/lib.sh"

banner() { printf '\n== %s\n' "$*"; }
die_demo() { echo "demo: FAILED: $*" >&2; FAILS=$((FAILS + 1)); finish; exit 1; }

banner "A Microsoft 365 customer's DNS (Knot on 127.0.0.1)"
write_m365_zones "$T/zones"
cat >"$T/zones/customer.example.zone" <<'ZONE'
$ORIGIN customer.example.
$TTL 3600
@ SOA ns1.example.com. hostmaster 1 3600 600 86400 300
@ NS ns1.example.com.
@ MX 10 mx
mx A 127.0.0.1
ZONE
start_knot "$T/zones" || die_demo "Knot did not start"
dig() { kdig +short +time=2 @127.0.0.1 -p "$KNOT_PORT" "$@"; }
echo "records before:"
for n in example.com _dmarc.example.com pst1._domainkey.example.com; do
	printf '  %-30s TXT %s\n' "$n" "$(dig TXT "$n" | tr '\n' ' ')"
done

start_sink mx || die_demo "the sink did not start"
SUB=$(free_port)
printf '%s\n' "$TSIG_SECRET" >"$T/tsig.key"
chmod 600 "$T/tsig.key"
HASH=$(printf 'demo-password' | "$POSTERN" passwd)
cat >"$T/postern.yaml" <<YAML
state_dir: $T/state
dns:
  resolver: "127.0.0.1:$KNOT_PORT"
  authoritative: ["127.0.0.1:$KNOT_PORT"]
  blocklists: []
  propagation_timeout: 30s
relay:
  hostname: relay.example.com
  public_ips: [127.0.0.1]
  listen:
    - { address: "127.0.0.1:$SUB", tls: starttls, auth: required }
  users:
    - { name: crm, password_hash: "$HASH", senders: ["*@example.com"] }
  queue: { path: $T/queue, retry: [5s] }
  delivery: { port: $SINK_PORT }
  routes:
    - { domains: [example.com], via: "example-com.mail.protection.outlook.com", tls: required }
    - { domains: ["*"], via: mx }
  gate: { mode: hold, interval: 15m }
  run_as: ""
  control: $T/control.sock
  metrics: ""
domains:
  - name: example.com
    provider: main
    dkim:
      - { selector: pst1, algorithm: rsa-2048 }
      - { selector: pst1e, algorithm: ed25519 }
    spf: { include: [spf.protection.outlook.com] }
    dmarc: { policy: none, rua: "mailto:dmarc@example.com" }
providers:
  main: { type: rfc2136, server: "127.0.0.1:$KNOT_PORT",
          tsig: { name: postern, algorithm: hmac-sha256, secret_file: $T/tsig.key } }
YAML

banner "postern migrate --yes"
"$POSTERN" migrate --yes -c "$T/postern.yaml" || die_demo "postern migrate failed"
banner "postern migrate again: nothing to change"
out=$("$POSTERN" migrate --yes -c "$T/postern.yaml") || die_demo "second migrate failed"
echo "$out" | grep -E '^\[|unchanged'
echo "$out" | grep -q 'Nothing to change' || die_demo "second migrate changed something"

echo "records after:"
for n in example.com _dmarc.example.com pst1._domainkey.example.com pst1e._domainkey.example.com; do
	printf '  %-30s TXT %.110s\n' "$n" "$(dig TXT "$n" | tr '\n' ' ')"
done

banner "postern check"
"$POSTERN" check -c "$T/postern.yaml" || die_demo "postern check failed"

banner "posternd, and the legacy CRM (swaks) with AUTH over STARTTLS"
"$POSTERND" -c "$T/postern.yaml" --foreground >"$T/relay.log" 2>&1 &
PIDS+=($!)
wait_port "$SUB" || die_demo "posternd did not start"
for _ in $(seq 1 100); do
	grep -q 'event=gate domain=example.com ready=yes' "$T/relay.log" && break
	sleep 0.1
done
grep 'event=gate' "$T/relay.log" | head -1
swaks --server "127.0.0.1:$SUB" --tls -au crm -ap demo-password \
    --from crm@example.com --to alice@customer.example \
    --h-From '"CRM" <crm@example.com>' --h-Subject "Your invoice" \
    --body "Dear Alice, your invoice is attached." >"$T/swaks.log" 2>&1 ||
	{ cat "$T/swaks.log"; die_demo "submission failed"; }
grep -E '^ *(<-|->) *(AUTH|250 .*queued|STARTTLS|220 .*TLS)' "$T/swaks.log" | head -5
for _ in $(seq 1 100); do
	[ -f "$T/mx/000000.eml" ] && break
	sleep 0.1
done
[ -f "$T/mx/000000.eml" ] || { cat "$T/relay.log"; die_demo "nothing was delivered"; }
grep 'event=delivery ' "$T/relay.log" | sed 's/^[^ ]* //'

banner "The delivered message, verified independently"
spf=$("$POSTERN" check spf --ip 127.0.0.1 --sender crm@example.com \
    --resolver "127.0.0.1:$KNOT_PORT" | head -1)
echo "Authentication-Results: customer.example;"
echo "  spf=$spf smtp.mailfrom=crm@example.com (127.0.0.1)"
/usr/bin/python3 "$SOURCE_DIR/templates/demo/dkim_verify.py" "$T/mx/000000.eml" \
    127.0.0.1 "$KNOT_PORT" | sed 's/^/  /' || die_demo "a DKIM signature does not verify"
[ "$spf" = pass ] || die_demo "SPF does not pass"
pass "the whole story"
banner "demo: every step worked"
finish
