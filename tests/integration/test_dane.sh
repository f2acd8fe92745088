#!/usr/bin/env bash
# delivery.tls: dane (RFC 7672): a DNSSEC-signed zone (ldns-signzone) served
# by Knot behind a validating Unbound whose only trust anchor is that zone's
# key. DANE-EE and DANE-TA matches deliver; a mismatch, a host without
# STARTTLS and a bogus TLSA record defer (the next MX with a matching TLSA
# is used); no TLSA and an unsigned zone deliver opportunistically; and
# posternd asking Knot directly (no AD bit) says the resolver does not
# validate.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"
if ! command -v unbound >/dev/null || ! command -v ldns-signzone >/dev/null; then
	echo "unbound or ldns-signzone missing (make deps)"
	exit 77
fi

# One certificate for mx-ta.dane.example from the test CA; the sink sends
# it with the CA (DANE-TA needs the trust anchor in the chain).
make_cert mx-ta.dane.example
cat "$T/mx-ta.dane.example.pem" "$T/ca.pem" >"$T/chain.pem"
start_sink mx --starttls "$T/chain.pem" "$T/mx-ta.dane.example.key"
PORT=$SINK_PORT
start_sink notls
NOTLS_PORT=$SINK_PORT
# A smart host whose self-signed certificate names another host and
# expired yesterday: DANE-EE checks neither (RFC 7672 3.1.1).
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=not-the-mx.example" \
    -keyout "$T/old.key" -out "$T/old.csr" 2>/dev/null
openssl x509 -req -in "$T/old.csr" -signkey "$T/old.key" -days -1 \
    -out "$T/old.pem" 2>/dev/null
start_sink old --starttls "$T/old.pem" "$T/old.key"
OLD_PORT=$SINK_PORT
oldspki=$(openssl x509 -in "$T/old.pem" -pubkey -noout |
    openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
spki=$(openssl x509 -in "$T/mx-ta.dane.example.pem" -pubkey -noout |
    openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
ca=$(openssl x509 -in "$T/ca.pem" -outform DER | sha256sum | cut -d' ' -f1)
wrong=$(printf 'not the key' | sha256sum | cut -d' ' -f1)

mkdir -p "$T/zones" "$T/sign"
z="$T/sign/dane.example.zone"
{
	printf '$ORIGIN dane.example.\n$TTL 60\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n'
	for h in ee ta bad none bogus pkix plain old; do printf 'mx-%s A 127.0.0.1\n' "$h"; done
	printf 'ee MX 10 mx-ee\n_%s._tcp.mx-ee TLSA 3 1 1 %s\n' "$PORT" "$spki"
	printf 'ta MX 10 mx-ta\n_%s._tcp.mx-ta TLSA 2 0 1 %s\n' "$PORT" "$ca"
	printf 'bad MX 10 mx-bad\n_%s._tcp.mx-bad TLSA 3 1 1 %s\n' "$PORT" "$wrong"
	printf 'next MX 10 mx-bad\nnext MX 20 mx-ee\n'
	# An MX host that is a CNAME: the TLSA base is the target's name.
	printf 'alias MX 10 mx-alias\nmx-alias CNAME mx-ee\n'
	printf '_%s._tcp.mx-old TLSA 3 1 1 %s\n' "$OLD_PORT" "$oldspki"
	printf 'notlsa MX 10 mx-none\n'
	printf 'bogus MX 10 mx-bogus\n_%s._tcp.mx-bogus TLSA 3 1 1 %s\n' "$PORT" "$spki"
	printf 'pkix MX 10 mx-pkix\n_%s._tcp.mx-pkix TLSA 1 1 1 %s\n' "$PORT" "$spki"
	# A smart host without STARTTLS that has TLSA records on its port.
	printf '_%s._tcp.mx-plain TLSA 3 1 1 %s\n' "$NOTLS_PORT" "$spki"
} >"$z"
(
	cd "$T/sign" || exit 1
	ksk=$(ldns-keygen -a ECDSAP256SHA256 -k dane.example) &&
	    zsk=$(ldns-keygen -a ECDSAP256SHA256 dane.example) &&
	    ldns-signzone -f "$T/zones/dane.example.zone" "$z" "$ksk" "$zsk" &&
	    cp "$ksk.key" "$T/sign/anchor.key"
) || { echo "signing failed"; exit 1; }
# Break the signature of mx-bogus's TLSA record: Unbound answers SERVFAIL.
sed -i "s/^\(_$PORT\._tcp\.mx-bogus\.dane\.example\.[[:space:]].*TLSA[[:space:]]*3 1 1 \)../\1ff/" \
    "$T/zones/dane.example.zone"
grep -q "mx-bogus.*TLSA.*3 1 1 ff" "$T/zones/dane.example.zone" ||
    { echo "could not break the bogus record"; exit 1; }
printf '$ORIGIN plain.example.\n$TTL 60\n@ SOA ns.dane.example. h 1 3600 600 86400 60\n@ NS ns.dane.example.\n@ MX 10 mx\nmx A 127.0.0.1\n' \
    >"$T/zones/plain.example.zone"
start_knot "$T/zones"

# A validating resolver on loopback, in the foreground, trusting the zone.
UNBOUND_PORT=$(free_port)
mkdir -p "$T/unbound"
cat >"$T/unbound/unbound.conf" <<CONF
server:
    interface: 127.0.0.1
    port: $UNBOUND_PORT
    do-ip6: no
    username: ""
    chroot: ""
    directory: "$T/unbound"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 1
    val-log-level: 2
    num-threads: 1
    do-not-query-localhost: no
    module-config: "validator iterator"
    trust-anchor-file: "$T/sign/anchor.key"
    access-control: 127.0.0.0/8 allow
remote-control:
    control-enable: no
stub-zone:
    name: "dane.example"
    stub-addr: 127.0.0.1@$KNOT_PORT
stub-zone:
    name: "plain.example"
    stub-addr: 127.0.0.1@$KNOT_PORT
CONF
unbound -d -c "$T/unbound/unbound.conf" >"$T/unbound/log" 2>&1 &
PIDS+=($!)
wait_port "$UNBOUND_PORT" || { cat "$T/unbound/log"; exit 1; }

# The resolver layer: AD from Unbound, none from Knot, TLSA parsed by ldns,
# SERVFAIL kept apart from a secure denial.
out=$("$DRIVERS/resolver_driver" "127.0.0.1:$UNBOUND_PORT" --dnssec \
    ee.dane.example/MX "_$PORT._tcp.mx-ee.dane.example/TLSA" \
    "_$PORT._tcp.mx-bogus.dane.example/TLSA" "_$PORT._tcp.mx-none.dane.example/TLSA" \
    plain.example/MX)
expect_match "resolver: a validated MX has the AD bit" "$out" '^ee.dane.example/MX ok secure rrsig 10:mx-ee.dane.example$'
expect_match "resolver: TLSA parsed" "$out" "^_$PORT._tcp.mx-ee.dane.example/TLSA ok secure rrsig 3:1:1:$spki\$"
expect_match "resolver: a bogus TLSA is SERVFAIL" "$out" "^_$PORT._tcp.mx-bogus.dane.example/TLSA SERVFAIL insecure\$"
expect_match "resolver: no TLSA, securely denied" "$out" "^_$PORT._tcp.mx-none.dane.example/TLSA NXDOMAIN secure rrsig\$"
expect_match "resolver: an unsigned zone is insecure" "$out" '^plain.example/MX ok insecure 10:mx.plain.example$'
out=$("$DRIVERS/resolver_driver" "127.0.0.1:$KNOT_PORT" --dnssec ee.dane.example/MX)
expect_match "resolver: no AD bit from the authoritative server" "$out" '^ee.dane.example/MX ok insecure rrsig '

dane_config() {
	local resolver=$1
	relay_config "$T/postern.yaml"
	python3 - "$T/postern.yaml" <<PY
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace("relay:\n", 'dns: { resolver: "127.0.0.1:$resolver", timeout: 2s, retries: 0, blocklists: [] }\nrelay:\n', 1)
s = s.replace("  queue: { path: $T/queue }", '''  queue: { path: $T/queue, retry: [1h] }
  delivery: { port: $PORT, tls: dane, connect_timeout: 2s }
  routes:
    - { domains: [nostarttls.example], via: "mx-plain.dane.example:$NOTLS_PORT", tls: dane }
    - { domains: [expired.example], via: "mx-old.dane.example:$OLD_PORT", tls: dane }
  gate: { mode: off }''')
open(p, "w").write(s)
PY
}
dane_config "$UNBOUND_PORT"
start_relay "$T/postern.yaml"
send() { swaks --server "127.0.0.1:$P_PLAIN" --from crm@example.com --to "$1" --h-From crm@example.com 2>&1 | sed -n 's/.*queued as \([0-9a-f]*\).*/\1/p'; }
# wait_line ID: the qid's final delivery line, at most 10 s.
wait_line() {
	local l
	for _ in $(seq 1 100); do
		l=$(grep "event=delivery qid=$1 " "$T/relay.log")
		[ -n "$l" ] && { echo "$l"; return; }
		sleep 0.1
	done
}
mails() { ls "$T/$1" 2>/dev/null | grep -c '\.eml$'; }
rcpts() { cat "$T"/mx/*.json 2>/dev/null; }

id=$(send a@ee.dane.example)
expect_match "DANE-EE: delivered, verified=dane-ee (the name is not checked)" "$(wait_line "$id")" \
    'rcpt=a@ee.dane.example mx=mx-ee.dane.example\[127.0.0.1\] tls="TLSv1.[23] [A-Z0-9_-]+ verified=dane-ee" status=sent'
expect_match "DANE-EE: the matching record is logged" "$(cat "$T/relay.log")" \
    'event=dane-match peer=mx-ee.dane.example base=mx-ee.dane.example tlsa="3 1 1" depth=0'
expect_eq "DANE-EE: the sink got it" "$(mails mx)" 1

id=$(send b@ta.dane.example)
expect_match "DANE-TA: delivered, verified=dane-ta" "$(wait_line "$id")" \
    'rcpt=b@ta.dane.example mx=mx-ta.dane.example\[127.0.0.1\] tls="TLSv1.[23] [A-Z0-9_-]+ verified=dane-ta" status=sent'
expect_match "DANE-TA: matched the CA (depth 1)" "$(cat "$T/relay.log")" 'event=dane-match peer=mx-ta.dane.example base=mx-ta.dane.example tlsa="2 0 1" depth=1'

id=$(send c@bad.dane.example)
expect_match "mismatch: deferred" "$(wait_line "$id")" \
    'rcpt=c@bad.dane.example mx=mx-bad.dane.example\[127.0.0.1\] tls="TLSv1.[23] [A-Z0-9_-]+ verified=no" status=deferred reply="451 4.7.5 DANE: the certificate of mx-bad.dane.example matches none of its TLSA records'
expect_eq "mismatch: nothing delivered" "$(rcpts | grep -c 'bad.dane.example')" 0
expect_match "mismatch: queue show says why" "$($POSTERN queue show "$id" -c "$T/postern.yaml")" '4.7.5 DANE: the certificate of mx-bad.dane.example'

id=$(send d@next.dane.example)
expect_match "mismatch at the best MX: the next MX (matching) is used" "$(wait_line "$id")" \
    'rcpt=d@next.dane.example mx=mx-ee.dane.example\[127.0.0.1\] tls="[^"]* verified=dane-ee" status=sent'
expect_match "mismatch at the best MX: it was tried first" "$(grep "qid=$id" "$T/relay.log")" \
    'event=delivery-try qid=[0-9a-f]+ mx=mx-bad.dane.example\[127.0.0.1\] result="4.7.5 DANE'

id=$(send k@alias.dane.example)
expect_match "CNAME'd MX host: delivered, verified=dane-ee" "$(wait_line "$id")" \
    'rcpt=k@alias.dane.example mx=mx-alias.dane.example\[127.0.0.1\] tls="[^"]* verified=dane-ee" status=sent'
expect_match "CNAME'd MX host: the TLSA base is the CNAME's target" "$(cat "$T/relay.log")" \
    'event=dane-match peer=mx-alias.dane.example base=mx-ee.dane.example tlsa="3 1 1" depth=0'

id=$(send l@expired.example)
expect_match "DANE-EE: an expired certificate naming another host is accepted" "$(wait_line "$id")" \
    'rcpt=l@expired.example mx=mx-old.dane.example\[127.0.0.1\] tls="[^"]* verified=dane-ee" status=sent'
expect_eq "DANE-EE, expired certificate: the sink got it" "$(mails old)" 1

id=$(send e@nostarttls.example)
expect_match "no STARTTLS with TLSA: deferred" "$(wait_line "$id")" \
    'rcpt=e@nostarttls.example mx=mx-plain.dane.example\[127.0.0.1\] tls="none" status=deferred reply="451 4.7.5 DANE: mx-plain.dane.example does not offer STARTTLS and has TLSA records"'
expect_eq "no STARTTLS with TLSA: nothing sent in clear" "$(mails notls)" 0

id=$(send f@notlsa.dane.example)
expect_match "secure, no TLSA: opportunistic TLS" "$(wait_line "$id")" \
    'rcpt=f@notlsa.dane.example mx=mx-none.dane.example\[127.0.0.1\] tls="TLSv1.[23] [A-Z0-9_-]+ verified=no" status=sent'
expect_match "secure, no TLSA: logged" "$(grep "qid=$id" "$T/relay.log")" \
    "event=dane qid=$id domain=notlsa.dane.example host=mx-none.dane.example result=none tlsa=0 reason=\"mx-none.dane.example has no TLSA records \\(secure denial\\)\""

id=$(send g@bogus.dane.example)
expect_match "bogus TLSA (SERVFAIL): deferred, not tried" "$(wait_line "$id")" \
    'rcpt=g@bogus.dane.example mx=none tls="none" status=deferred reply="451 4.7.5 DANE: host skipped: the TLSA look-up for mx-bogus.dane.example failed \(SERVFAIL\)"'
expect_match "bogus TLSA: queue show says why" "$($POSTERN queue show "$id" -c "$T/postern.yaml")" 'TLSA look-up for mx-bogus.dane.example failed \(SERVFAIL\)'

id=$(send h@pkix.dane.example)
expect_match "only unusable TLSA (PKIX-EE): TLS required, unauthenticated" "$(wait_line "$id")" \
    'rcpt=h@pkix.dane.example mx=mx-pkix.dane.example\[127.0.0.1\] tls="TLSv1.[23] [A-Z0-9_-]+ verified=no" status=sent'
expect_match "only unusable TLSA: logged" "$(grep "qid=$id" "$T/relay.log")" 'result=tls-only tlsa=0'

id=$(send i@plain.example)
expect_match "unsigned zone: opportunistic TLS" "$(wait_line "$id")" \
    'rcpt=i@plain.example mx=mx.plain.example\[127.0.0.1\] tls="TLSv1.[23] [A-Z0-9_-]+ verified=no" status=sent'
expect_match "unsigned zone: the insecure line" "$(grep "qid=$id" "$T/relay.log")" \
    "event=dane qid=$id domain=plain.example result=insecure reason=\"the MX records are not DNSSEC-secure"
expect_eq "every message went over TLS" "$(rcpts | grep -c '"tls": false')" 0
expect_eq "delivered: ee, ta, next, alias, notlsa, pkix, plain" "$(mails mx)" 7

# posternd asking Knot itself: signed answers without the AD bit.
kill "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null
dane_config "$KNOT_PORT"
start_relay "$T/postern.yaml"
id=$(send j@ee.dane.example)
expect_match "no validating resolver: delivered opportunistically" "$(wait_line "$id")" \
    'rcpt=j@ee.dane.example mx=mx-ee.dane.example\[127.0.0.1\] tls="TLSv1.[23] [A-Z0-9_-]+ verified=no" status=sent'
expect_match "no validating resolver: reported" "$(grep "qid=$id" "$T/relay.log")" \
    "event=dane qid=$id domain=ee.dane.example result=insecure reason=\"resolver 127.0.0.1:$KNOT_PORT did not validate \\(no AD bit on a signed answer\\)"
id=$(send defer451@ee.dane.example)
wait_line "$id" >/dev/null
expect_match "no validating resolver: queue show says so" "$($POSTERN queue show "$id" -c "$T/postern.yaml")" \
    "451 4.2.0 .*DANE not applied: resolver 127.0.0.1:$KNOT_PORT did not validate"
finish
