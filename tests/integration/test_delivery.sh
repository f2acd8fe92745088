#!/usr/bin/env bash
# posternd delivers: MX preference and fallback, A fallback, null MX, a smart
# host route, per-recipient 250/451/550 with a retry and exactly one DSN,
# STARTTLS when offered, TLS required deferring, connection reuse, and an
# empty queue at the end. DNS is a local Knot; the MX hosts are local sinks.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"

make_cert mx.dest.example
start_sink mx --starttls "$T/mx.dest.example.pem" "$T/mx.dest.example.key"
SINK=$SINK_PORT
start_sink smart
SMART=$SINK_PORT

mkdir -p "$T/zones"
cat >"$T/zones/dest.example.zone" <<'ZONE'
$ORIGIN dest.example.
$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
; the best MX refuses connections (nothing listens on 127.0.0.2)
@ MX 10 mx1
@ MX 20 mx2
mx1 A 127.0.0.2
mx2 A 127.0.0.1
ZONE
cat >"$T/zones/other.example.zone" <<'ZONE'
$ORIGIN other.example.
$TTL 300
@ SOA ns.dest.example. hostmaster 1 3600 600 86400 300
@ NS ns.dest.example.
; no MX: the A record is the implicit MX
@ A 127.0.0.1
nullmx MX 0 .
cname MX 10 alias
alias CNAME mx2.dest.example.
ZONE
cat >"$T/zones/example.com.zone" <<'ZONE'
$ORIGIN example.com.
$TTL 300
@ SOA ns.dest.example. hostmaster 1 3600 600 86400 300
@ NS ns.dest.example.
@ MX 10 mx
mx A 127.0.0.1
ZONE
start_knot "$T/zones"

relay_config "$T/postern.yaml"
# Deliver through the local DNS to the sinks, with a short retry schedule.
sed -i "s#^relay:#dns: { resolver: \"127.0.0.1:$KNOT_PORT\", timeout: 2s, retries: 0, blocklists: [] }\nrelay:#" "$T/postern.yaml"
sed -i "s#  queue: { path: \$T/queue }##; s#  queue: { path: $T/queue }#  queue: { path: $T/queue, retry: [2s], warn_after: 0 }\n  delivery: { port: $SINK, connect_timeout: 2s }\n  gate: { mode: off }\n  routes:\n    - { domains: [partner.example], via: \"127.0.0.1:$SMART\" }\n    - { domains: [tls.example], via: \"127.0.0.1:$SMART\", tls: required }\n    - { domains: [\"*\"], via: mx }#" "$T/postern.yaml"
"$POSTERN" config check -c "$T/postern.yaml" >/dev/null || cat "$T/postern.yaml"
start_relay "$T/postern.yaml"

send() { # FROM TO... : submit one message on the plain listener
	local from=$1 to
	shift
	to=$(IFS=,; echo "$*")
	swaks --server "127.0.0.1:$P_PLAIN" --from "$from" --to "$to" \
	    --h-From "$from" --h-Subject "test $*" --body "hello" \
	    --silent 2 2>&1
}
# wait_for COUNT DIR: until DIR holds COUNT messages (at most 20 s).
wait_for() {
	for _ in $(seq 1 200); do
		[ "$(ls "$2" 2>/dev/null | grep -c '\.eml$')" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
rcpts_of() { python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["rcpts"]))' "$1"; }
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

send crm@example.com a@dest.example >/dev/null
wait_for 1 "$T/mx"
expect_eq "MX: delivered by the second MX after the first refused" \
    "$(rcpts_of "$T/mx/000000.json")" "a@dest.example"
expect_eq "STARTTLS used when offered" "$(field "$T/mx/000000.json" tls)" True
expect_eq "EHLO as relay.hostname" "$(field "$T/mx/000000.json" helo)" relay.example.com
expect_match "the delivered message is DKIM-signed" "$(cat "$T/mx/000000.eml")" \
    '^DKIM-Signature: v=1; a=rsa-sha256'
expect_match "log line per attempt" "$(cat "$T/relay.log")" \
    'event=delivery qid=[0-9a-f]{16} rcpt=a@dest.example mx=mx2.dest.example\[127.0.0.1\] tls="TLSv1.3 [^"]*" status=sent reply="250 '

send crm@example.com b@other.example >/dev/null
wait_for 2 "$T/mx"
expect_eq "no MX: A fallback" "$(rcpts_of "$T/mx/000001.json")" "b@other.example"
send crm@example.com c@cname.other.example >/dev/null
wait_for 3 "$T/mx"
expect_eq "an MX that is a CNAME is tolerated" "$(rcpts_of "$T/mx/000002.json")" "c@cname.other.example"

send crm@example.com x@partner.example >/dev/null
wait_for 1 "$T/smart"
expect_eq "smart host route" "$(rcpts_of "$T/smart/000000.json")" "x@partner.example"

# Null MX: bounced at once with 5.1.10, one DSN to the sender.
send crm@example.com n@nullmx.other.example >/dev/null
wait_for 4 "$T/mx"
dsn=$(cat "$T/mx/000003.eml")
expect_eq "null MX: the DSN goes to the sender" "$(rcpts_of "$T/mx/000003.json")" "crm@example.com"
expect_eq "null MX: from the null sender" "$(field "$T/mx/000003.json" mail)" ""
expect_match "null MX: status 5.1.10" "$dsn" 'Status: 5.1.10'
expect_match "DSN is a multipart/report" "$dsn" 'Content-Type: multipart/report; report-type=delivery-status'
expect_match "DSN From: MAILER-DAEMON" "$dsn" 'From: MAILER-DAEMON@relay.example.com'
expect_match "DSN has the original headers" "$dsn" $'text/rfc822-headers\r\n\r\n(.*\r\n)*Subject: test n@nullmx.other.example'

# Per recipient: 250, 550 (bounced), 451 then 250 on the retry.
send crm@example.com ok@dest.example fail550@dest.example once451@dest.example >/dev/null
wait_for 7 "$T/mx"
all=$(for f in "$T"/mx/00000[4-6].json; do rcpts_of "$f"; done | sort | tr '\n' ' ')
expect_eq "partial: the accepted, the bounce, the retried" "$all" \
    "crm@example.com ok@dest.example once451@dest.example "
sleep 3
expect_eq "exactly one DSN for the failed recipient, nothing more" \
    "$(ls "$T/mx" | grep -c '\.eml$')" 7
bounce=$(grep -l '"mail": ""' "$T"/mx/00000[4-6].json)
expect_match "the DSN names only the failed recipient" \
    "$(cat "${bounce%.json}.eml")" $'Final-Recipient: rfc822; fail550@dest.example\r\nAction: failed\r\nStatus: 5.1.1'
expect_eq "the DSN is about one recipient" \
    "$(grep -c 'Final-Recipient' "${bounce%.json}.eml")" 1
out=$(printf 'EHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<fail550@dest.example>\r\nDATA\r\nFrom: MAILER-DAEMON@example.com\r\nSubject: a bounce\r\n\r\nx\r\n.\r\nQUIT\r\n' | chat "$P_PLAIN")
expect_match "a null-sender message is accepted" "$out" 'queued as'
sleep 2
expect_eq "no bounce for a bounce: its failure makes no DSN" \
    "$(ls "$T/mx" | grep -c '\.eml$')" 7

# TLS required, but the smart host offers no STARTTLS: deferred, kept.
send crm@example.com y@tls.example >/dev/null
for _ in $(seq 1 200); do
	grep -q 'rcpt=y@tls.example .*status=deferred' "$T/relay.log" && break
	sleep 0.1
done
id=$(grep 'rcpt=y@tls.example' "$T/relay.log" | head -1 | sed -n 's/.*qid=\([0-9a-f]*\).*/\1/p')
expect_match "TLS required: deferred with the reason" \
    "$($POSTERN queue show "$id" -c "$T/postern.yaml")" '4.7.5 .* does not offer STARTTLS and TLS is required'
expect_eq "TLS required: nothing sent in the clear" "$(ls "$T/smart" | grep -c '\.eml$')" 1
$POSTERN queue delete "$id" -c "$T/postern.yaml" >/dev/null

# Reuse: three messages one after the other share one connection.
before=$(ls "$T/mx" | grep -c '\.eml$')
for i in 1 2 3; do
	send crm@example.com "r$i@dest.example" >/dev/null
	wait_for $((before + i)) "$T/mx"
done
conns=$(for i in 0 1 2; do field "$(printf '%s/%06d.json' "$T/mx" $((before + i)))" conn; done | sort -u | wc -l)
expect_eq "connection reused for the same destination" "$conns" 1

sleep 1
expect_eq "the queue is empty at the end" "$($POSTERN queue list -c "$T/postern.yaml")" ""
finish
