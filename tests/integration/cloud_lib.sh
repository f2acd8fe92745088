# Shared by test_provider_<cloud>.sh: start a fake of tests/fakes/ and run
# the provider scenario (the one of the PowerDNS and RFC 2136 tests) against
# it through provider_driver. Sourced after lib.sh.
: "${PROVIDER_DRIVER:?}"
FAKES=${BUILD_DIR:?}/tests/fakes
PY=/usr/bin/python3

# start_fake NAME SEEDFILE ARGS...: runs fake_NAME (2 items a page), sets
# FAKE_URL (http://127.0.0.1:PORT).
start_fake() {
	local name=$1 seed=$2 port="" i
	shift 2
	"$FAKES/fake_$name" --seed "$seed" --page-size 2 "$@" \
	    >"$T/fake.out" 2>"$T/fake.err" &
	PIDS+=($!)
	for i in $(seq 1 100); do
		port=$(sed -n "s/^PORT=//p" "$T/fake.out" 2>/dev/null || true)
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { cat "$T/fake.err" >&2; exit 1; }
	FAKE_URL=http://127.0.0.1:$port
}

ctl() { curl -s -X POST "$FAKE_URL/_fake/$1" >/dev/null; }

# state_rr NAME: "id ttl value" of every TXT record at NAME in the fake.
state_rr() {
	curl -s "$FAKE_URL/_fake/state" | "$PY" -c 'import json,sys
d=json.load(sys.stdin)
for z in d["zones"]:
    for r in z["records"]:
        if r["name"] == sys.argv[1] and r["type"] == "TXT":
            print(r["id"], r["ttl"], r["value"])' "$1" | sort
}

drv() { "$PROVIDER_DRIVER" "$T/postern.yaml" "$@" 2>>"$T/driver.err"; }
# run_drv ARGS...: sets RC and OUT (stdout and stderr).
run_drv() {
	RC=0
	OUT=$("$PROVIDER_DRIVER" "$T/postern.yaml" "$@" 2>&1) || RC=$?
	printf '%s\n' "$OUT" >>"$T/driver.err"
}

# paused_garbage PROVIDER KIND: list example.com with a garbage answer
# (kind) injected while the driver pauses after finding the zone, so that
# it hits the record listing rather than the first call; sets RC and OUT.
paused_garbage() {
	RC=0
	"$PROVIDER_DRIVER" "$T/postern.yaml" "$1" list example.com --pause 2 \
	    >"$T/out" 2>&1 &
	sleep 1
	ctl "garbage?count=1&kind=$2"
	wait $! || RC=$?
	OUT=$(cat "$T/out")
	cat "$T/out" >>"$T/driver.err"
}

SPF='v=spf1 include:spf.protection.outlook.com -all'
SPF2='v=spf1 include:spf.protection.outlook.com ip4:50.60.70.80 -all'

# cloud_seed OPEN CLOSE: the records cloud_scenario expects, in the fakes'
# seed format, each TXT value between OPEN and CLOSE (how that API stores
# it: bare, quoted, in a JSON array). A test adds its own records after.
cloud_seed() {
	local o=$1 c=$2 v
	printf 'zone %s\n' example.com sub.example.com 'hidden.example hidden' \
	    other.test
	for v in "$SPF" MS=ms12345678 verify=one; do
		printf 'example.com TXT 3600 %s%s%s\n' "$o" "$v" "$c"
	done
	printf 'sub.example.com TXT 300 %sv=spf1 -all%s\n' "$o" "$c"
}

# The apex's MX and Microsoft's DKIM CNAME, as a Microsoft 365 zone has.
M365_RECORDS='example.com MX 3600 0 example-com.mail.protection.outlook.com
selector1._domainkey.example.com CNAME 3600 selector1-example-com._domainkey.example.onmicrosoft.com'

# cloud_scenario PROVIDER MS-MATCH: the common scenario against the
# provider entry PROVIDER of $T/postern.yaml, the fake seeded by cloud_seed:
# example.com (apex TXT: the SPF, MS=ms12345678, verify=one),
# sub.example.com, and a hidden zone hidden.example. MS-MATCH: how the fake
# stores MS= (grep -F).
cloud_scenario() {
	local p=$1 ms=$2 before after rec zone stale start

	expect_eq "$p: zone of a name below the apex" "$(drv "$p" zone www.example.com)" example.com
	expect_eq "$p: longest zone" "$(drv "$p" zone a.b.sub.example.com)" sub.example.com
	expect_eq "$p: apex TXT set, over two pages" "$(drv "$p" list example.com | sort)" \
	    "$( (printf '"%s"\n' "$SPF" MS=ms12345678 verify=one; echo ttl 3600) | sort)"
	expect_eq "$p: no TXT" "$(drv "$p" list pst1._domainkey.example.com)" "ttl 0"

	# Per-record APIs keep the record itself (its id too); whole-set
	# APIs write the value back byte for byte (KEEP_IDS=0).
	before=$(state_rr example.com | grep -F "$ms" | cut -d' ' -f"${KEEP_IDS:-1}"-)
	drv "$p" replace example.com --current --new '"MS=ms12345678"' \
	    --new "\"$SPF2\"" --new '"verify=one"'
	expect_eq "$p: spf replaced" "$(drv "$p" list example.com | sort)" \
	    "$( (printf '"%s"\n' "$SPF2" MS=ms12345678 verify=one; echo ttl 3600) | sort)"
	after=$(state_rr example.com | grep -F "$ms" | cut -d' ' -f"${KEEP_IDS:-1}"-)
	expect_eq "$p: MS= byte-identical" "$after" "$before"
	expect_match "$p: MS= present" "$before" "MS=ms12345678"

	"$POSTERN" keys generate -c "$T/postern.yaml" >/dev/null
	rec=$("$POSTERN" keys record -c "$T/postern.yaml" --domain example.com --selector pst1)
	zone=$("$POSTERN" keys record -c "$T/postern.yaml" --domain example.com --selector pst1 --zone)
	drv "$p" replace pst1._domainkey.example.com --current --new-value "$rec"
	expect_eq "$p: 2048-bit DKIM read back exactly" \
	    "$(drv "$p" list pst1._domainkey.example.com)" "ttl 3600
${zone#* IN TXT }"
	expect_match "$p: DKIM over 255 octets" "${#rec}" '^[3-9][0-9][0-9]$'

	drv "$p" replace odd.example.com --current --new-value 'say "hi" \ bye'
	expect_eq "$p: quotes and backslashes" "$(drv "$p" list odd.example.com)" 'ttl 3600
"say \"hi\" \\ bye"'
	drv "$p" delete odd.example.com --current
	expect_eq "$p: deleted" "$(drv "$p" list odd.example.com)" "ttl 0"

	# A change made between the read and the write is never overwritten.
	stale=$(drv "$p" list example.com | sed 1d)
	drv "$p" replace example.com --current --new '"MS=ms12345678"' \
	    --new "\"$SPF2\"" --new '"verify=one"' --new '"google-site-verification=abc"'
	mapfile -t OLD <<<"$stale"
	run_drv "$p" replace example.com --old "${OLD[0]}" --old "${OLD[1]}" \
	    --old "${OLD[2]}" --new '"v=spf1 -all"'
	expect_eq "$p: conflict" "$RC:$OUT" "4:provider \"$p\" ($TYPE): zone example.com: replacing example.com TXT: the TXT set changed since it was read; nothing changed (plan again)"
	expect_match "$p: concurrent change kept" "$(drv "$p" list example.com)" google-site-verification=abc

	# Rate limited, then served: Retry-After is honoured.
	ctl "ratelimit?count=1&retry_after=1"
	start=$(date +%s%N)
	expect_eq "$p: 429 then success" "$(drv "$p" list example.com | sed -n 1p)" "ttl 3600"
	expect_match "$p: waited Retry-After" "$((($(date +%s%N) - start) / 1000000))" '^(1[0-9]{3}|[2-9][0-9]{3})$'
	ctl "ratelimit?count=1&retry_after=600"
	start=$SECONDS
	run_drv "$p" list example.com
	expect_eq "$p: Retry-After past the budget: exit" "$RC" 3
	expect_match "$p: Retry-After past the budget: message" "$OUT" "giving up after 1 attempts \\(Retry-After 600 s is past the 30 s retry budget\\): (GET|POST) $FAKE_URL/[^ ]*: HTTP 429: "
	expect_match "$p: Retry-After past the budget: no wait" "$((SECONDS - start))" '^[01]$'
	ctl "fail?status=500&count=1"
	expect_eq "$p: 500 then success" "$(drv "$p" list example.com | sed -n 1p)" "ttl 3600"
	ctl "fail?status=503&count=9"
	run_drv "$p" list example.com
	expect_eq "$p: 503 every time: exit" "$RC" 3
	expect_match "$p: 503 every time: message" "$OUT" "after 5 attempts: (GET|POST) $FAKE_URL/[^ ]*: HTTP 503: "
	ctl "fail?status=503&count=0"
	ctl "garbage?count=9&kind=html"
	run_drv "$p" list example.com
	expect_eq "$p: HTML page: exit" "$RC" 3
	expect_match "$p: HTML page: message" "$OUT" "HTTP 502: not the API's error format: <"
	ctl "garbage?count=0"
}

# After the scenario: no secret in anything the driver or postern printed.
check_secrets() { # SECRET...
	local s
	for s in "$@"; do
		if grep -qF -- "$s" "$T/driver.err" "$T/fake.err"; then
			fail "secret printed: ${s:0:4}..."
		else
			pass "secret not printed: ${s:0:4}..."
		fi
	done
}

# cloud_config NAME: $T/postern.yaml for example.com through provider NAME;
# the providers: entries come on standard input.
cloud_config() {
	cat >"$T/postern.yaml" <<YAML
state_dir: $T/state
relay:
  hostname: relay.example.com
  public_ips: [50.60.70.80]
  listen:
    - { address: "127.0.0.1:2525", tls: none, auth: none }
domains:
  - name: example.com
    provider: $1
    dkim: [ { selector: pst1, algorithm: rsa-2048 } ]
providers:
YAML
	cat >>"$T/postern.yaml"
}
