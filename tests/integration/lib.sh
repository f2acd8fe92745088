# Shared helpers for integration tests (sourced, bash).
# Every server listens on 127.0.0.1 (or ::1) on a free high port, in a
# temporary directory removed at exit with everything it started.
set -uo pipefail   # no -e: tests check exit codes themselves

: "${POSTERN:?POSTERN must name the postern binary}"
: "${SOURCE_DIR:?}"

T=$(mktemp -d /tmp/postern-test.XXXXXX)
PIDS=()
FAILS=0
PASSES=0

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [ "${KEEP_TMP:-}" = "" ]; then
		rm -rf "$T"
	else
		echo "kept $T"
	fi
}
trap cleanup EXIT

# A TCP and UDP port free on 127.0.0.1 right now.
free_port() {
	python3 - <<'PY'
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        u.close(); t.close()
PY
}

# Wait until something answers on 127.0.0.1:PORT (TCP), at most 10 s.
wait_port() {
	local port=$1 i
	for i in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "nothing listens on 127.0.0.1:$port" >&2
	return 1
}

pass() {
	PASSES=$((PASSES + 1))
	echo "ok - $*"
}

fail() {
	FAILS=$((FAILS + 1))
	echo "FAIL - $*"
}

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: got [$2], want [$3]"
	fi
}

# expect_match WHAT TEXT REGEX: an extended regular expression (Python's
# re, multi-line: ^ and $ match at each line, a newline in REGEX matches a
# newline in TEXT).
expect_match() {
	if /usr/bin/python3 -c 'import re,sys; sys.exit(0 if re.search(sys.argv[2], sys.argv[1], re.M) else 1)' "$2" "$3"; then
		pass "$1"
	else
		fail "$1: [$2] does not match /$3/"
	fi
}

# Print the closing line and exit non-zero on any failure.
finish() {
	echo "$PASSES passed, $FAILS failed"
	[ "$FAILS" = 0 ] && [ "$PASSES" -gt 0 ]
}

TSIG_SECRET=$(head -c 32 /dev/urandom | base64)

# start_knot ZONE_DIR: serve every ZONE_DIR/NAME.zone as zone NAME with
# RFC 2136 updates allowed for TSIG key "postern" (hmac-sha256,
# $TSIG_SECRET). Sets KNOT_PORT. Zones are not written back to their files.
start_knot() {
	local zdir=$1 z name
	KNOT_PORT=$(free_port)
	mkdir -p "$T/knot"
	cat >"$T/knot/knot.conf" <<CONF
server:
    listen: 127.0.0.1@$KNOT_PORT
    rundir: $T/knot
log:
  - target: stderr
    any: warning
database:
    storage: $T/knot
key:
  - id: postern
    algorithm: hmac-sha256
    secret: $TSIG_SECRET
acl:
  - id: update
    key: postern
    action: update
template:
  - id: default
    storage: $zdir
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
CONF
	for z in "$zdir"/*.zone; do
		name=$(basename "$z" .zone)
		printf '  - domain: %s\n    acl: update\n' "$name" \
		    >>"$T/knot/knot.conf"
	done
	knotd -c "$T/knot/knot.conf" >"$T/knot/log" 2>&1 &
	PIDS+=($!)
	wait_port "$KNOT_PORT"
	# Wait until the zones are loaded (an SOA answer for the first).
	name=$(basename "$(ls "$zdir"/*.zone | head -1)" .zone)
	for _ in $(seq 1 50); do
		if kdig +short +time=1 @127.0.0.1 -p "$KNOT_PORT" SOA "$name" |
		    grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	echo "knotd did not load $name:" >&2
	cat "$T/knot/log" >&2
	return 1
}

# make_cert NAME: a test CA ($T/ca.pem) and a certificate for NAME signed by
# it ($T/NAME.pem, $T/NAME.key).
make_cert() {
	local name=$1
	if [ ! -f "$T/ca.pem" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		    -subj "/CN=Postern Test CA" -keyout "$T/ca.key" \
		    -out "$T/ca.pem" 2>/dev/null
	fi
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" \
	    -keyout "$T/$name.key" -out "$T/$name.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s\n' "$name" >"$T/$name.ext"
	openssl x509 -req -in "$T/$name.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
	    -CAcreateserial -days 2 -extfile "$T/$name.ext" \
	    -out "$T/$name.pem" 2>/dev/null
}

# start_sink NAME [smtp_sink.py options]: an SMTP sink storing mail in
# $T/NAME/; sets SINK_PORT.
start_sink() {
	local name=$1
	shift
	python3 "$SOURCE_DIR/tests/integration/smtp_sink.py" \
	    --dir "$T/$name" "$@" >"$T/$name.port" 2>"$T/$name.log" &
	PIDS+=($!)
	for _ in $(seq 1 100); do
		SINK_PORT=$(sed -n 's/^PORT=//p' "$T/$name.port")
		[ -n "$SINK_PORT" ] && return 0
		sleep 0.05
	done
	echo "sink $name did not start" >&2
	cat "$T/$name.log" >&2
	return 1
}

# start_pdns ZONE_DIR: PowerDNS Authoritative (gsqlite3 backend, a fresh
# database in $T) serving every ZONE_DIR/NAME.zone, with the HTTP API on.
# Sets PDNS_PORT (DNS), PDNS_API_PORT, PDNS_API_KEY and PDNS_URL.
start_pdns() {
	local zdir=$1 z name
	PDNS_PORT=$(free_port)
	PDNS_API_PORT=$(free_port)
	PDNS_API_KEY=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
	PDNS_URL=http://127.0.0.1:$PDNS_API_PORT
	mkdir -p "$T/pdns"
	/usr/bin/python3 - "$T/pdns/pdns.sqlite3" \
	    /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript(open(sys.argv[2]).read())
db.commit()
PY
	cat >"$T/pdns/pdns.conf" <<CONF
launch=gsqlite3
gsqlite3-database=$T/pdns/pdns.sqlite3
local-address=127.0.0.1
local-port=$PDNS_PORT
api=yes
api-key=$PDNS_API_KEY
webserver=yes
webserver-address=127.0.0.1
webserver-port=$PDNS_API_PORT
webserver-allow-from=127.0.0.0/8
socket-dir=$T/pdns
guardian=no
daemon=no
disable-syslog=yes
loglevel=3
CONF
	for z in "$zdir"/*.zone; do
		name=$(basename "$z" .zone)
		pdnsutil --config-dir="$T/pdns" load-zone "$name" "$z" \
		    >>"$T/pdns/log" 2>&1
	done
	pdns_server --config-dir="$T/pdns" >>"$T/pdns/log" 2>&1 &
	PIDS+=($!)
	if ! wait_port "$PDNS_API_PORT" || ! wait_port "$PDNS_PORT"; then
		cat "$T/pdns/log" >&2
		return 1
	fi
}

# write_m365_zones DIR: example.com as a Microsoft 365 customer's zone
# (Microsoft's SPF include, MX to Exchange Online, an MS= verification
# TXT, Microsoft's DKIM CNAME, relay.example.com at 127.0.0.1), the PTR of
# 127.0.0.1 to relay.example.com, and outlook.com's SPF include tree.
write_m365_zones() {
	local dir=$1
	mkdir -p "$dir"
	cat >"$dir/example.com.zone" <<'ZONE'
$ORIGIN example.com.
$TTL 3600
@ IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
@ IN NS ns1.example.com.
ns1 IN A 127.0.0.1
@ 3600 IN MX 0 example-com.mail.protection.outlook.com.
@ 3600 IN TXT "v=spf1 include:spf.protection.outlook.com -all"
@ 3600 IN TXT "MS=ms12345678"
selector1._domainkey IN CNAME selector1-example-com._domainkey.example.onmicrosoft.com.
relay IN A 127.0.0.1
ZONE
	cat >"$dir/127.in-addr.arpa.zone" <<'ZONE'
$ORIGIN 127.in-addr.arpa.
$TTL 3600
@ IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
@ IN NS ns1.example.com.
1.0.0 IN PTR relay.example.com.
ZONE
	cat >"$dir/outlook.com.zone" <<'ZONE'
$ORIGIN outlook.com.
$TTL 3600
@ IN SOA ns1.outlook.com. hostmaster.outlook.com. 1 3600 600 86400 300
@ IN NS ns1.outlook.com.
ns1 IN A 127.0.0.1
spf.protection IN TXT "v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/14 ip4:104.47.0.0/17 ip6:2a01:111:f400::/48 ip6:2a01:111:f403::/49 include:spfd.protection.outlook.com -all"
spfd.protection IN TXT "v=spf1 ip4:51.4.72.0/24 ip4:51.5.72.0/24 -all"
ZONE
}
