#!/usr/bin/env bash
# The DNS resolver going away in the middle of `postern check`: Knot behind a
# forwarder that answers the first queries, then stops Knot. The check ends
# with temperror and exit 3, bounded by the DNS timeout, never a pass/fail.
source "$SOURCE_DIR/tests/integration/lib.sh"

Z=$T/zones
mkdir -p "$Z" "$T/state"
conf() { # FILE RESOLVER_PORT
	cat >"$1" <<YAML
state_dir: $T/state
dns: { resolver: "127.0.0.1:$2", timeout: 1s, retries: 0, blocklists: [] }
relay: { hostname: relay.postern.test, public_ips: [127.0.0.1],
         listen: [{ address: "127.0.0.1:2525", tls: none, auth: none }] }
domains:
  - { name: postern.test, provider: hand,
      dkim: [{ selector: pst1, algorithm: ed25519 }] }
providers: { hand: { type: manual } }
YAML
}
conf "$T/keys.yaml" 53
"$POSTERN" keys generate -c "$T/keys.yaml" >/dev/null
{
cat <<'ZONE'
$ORIGIN postern.test.
$TTL 600
@	SOA	ns hostmaster 1 3600 600 86400 60
@	NS	ns
ns	A	127.0.0.1
@	TXT	"v=spf1 ip4:127.0.0.1 -all"
_dmarc	TXT	"v=DMARC1; p=none"
ZONE
"$POSTERN" keys record -c "$T/keys.yaml" --domain postern.test --selector pst1 --zone
} >"$Z/postern.test.zone"
start_knot "$Z"
KNOT_PID=${PIDS[-1]}
status_of() { # JSON: the top status, then each check's "check=status"
	python3 -c 'import json,sys
d = json.loads(sys.argv[1]); print(d["status"])
for c in d["domains"][0]["checks"]: print("%s=%s" % (c["check"], c["status"]))' "$1" 2>&1
}

# Control: with Knot up all the way, no temperror.
conf "$T/direct.yaml" "$KNOT_PORT"
out=$(timeout 60 "$POSTERN" check -c "$T/direct.yaml" --json 2>&1)
rc=$?
st=$(status_of "$out")
echo "resolver up: exit $rc: $(echo $st)"
expect_match "with the resolver up: no temperror" "$st" '^(ok|warn)$'
if [ "$rc" = 0 ]; then
	pass "with the resolver up: exit $rc"
else
	fail "with the resolver up: exit $rc: $out"
fi

# The forwarder answers the first query, then stops Knot.
python3 "$SOURCE_DIR/tests/integration/dns_cutoff.py" "$KNOT_PORT" 1 \
    "$KNOT_PID" >"$T/cut.port" 2>"$T/cut.log" &
PIDS+=($!)
for _ in $(seq 1 100); do
	CUT=$(sed -n 's/^PORT=//p' "$T/cut.port")
	[ -n "$CUT" ] && break
	sleep 0.05
done
conf "$T/cut.yaml" "$CUT"
start=$(date +%s)
out=$(timeout 120 "$POSTERN" check -c "$T/cut.yaml" --json 2>&1)
rc=$?
took=$(($(date +%s) - start))
echo "check took ${took}s; $(cat "$T/cut.log")"
st=$(status_of "$out")
echo "resolver cut: exit $rc: $(echo $st)"
expect_match "the resolver was cut mid-check" "$(cat "$T/cut.log")" '^cut after 1 queries$'
expect_eq "temporary failure: exit 3" "$rc" 3
expect_match "top-level status temperror" "$st" '^temperror$'
expect_match "the checks after the cut report temperror" "$st" '^(dkim|dmarc)=temperror$'
if echo "$st" | grep -q '=fail$'; then
	fail "a check failed for want of DNS: $(echo $st)"
else
	pass "no check failed for want of DNS"
fi
if kill -0 "$KNOT_PID" 2>/dev/null; then
	fail "Knot is still running"
else
	pass "Knot was stopped halfway"
fi
if [ "$took" -le 60 ]; then
	pass "bounded: ${took}s"
else
	fail "took ${took}s"
fi
finish
