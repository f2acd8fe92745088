#!/usr/bin/env bash
# relayd/client.c against a scripted SMTP sink: ESMTP, pipelining, STARTTLS
# (opportunistic, required, verified), fallbacks, limits and failures.
source "$SOURCE_DIR/tests/integration/lib.sh"

D="$DRIVERS/client_driver"
make_cert sink.test
msg=$'From: crm@example.com\r\nTo: a@example.net\r\nSubject: t\r\n\r\nline 1\r\n.\r\n..two dots\r\n.x\r\nend\r\n'

deliver() { # deliver PORT [driver options] RCPT...
	local port=$1
	shift
	printf '%s' "$msg" | "$D" --port "$port" --timeout 10 "$@"
}

start_sink plain
P=$SINK_PORT
out=$(deliver "$P" a@example.net b@example.net)
expect_match "plain: both accepted" "$out" $'rcpt a@example.net 250 .*\nrcpt b@example.net 250 '
expect_match "plain: no TLS offered, none used" "$out" 'result code=0 tls="none"'
printf '%s' "$msg" >"$T/msg"
cmp -s "$T/msg" "$T/plain/000000.eml"
expect_eq "dot-stuffing round trip: the sink stores the message as sent" \
    "$?" 0
expect_eq "envelope" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["mail"], d["rcpts"], d["helo"])' "$T/plain/000000.json")" \
    "crm@example.com ['a@example.net', 'b@example.net'] relay.example.com"

out=$(deliver "$P" ok@example.net fail550@example.net defer451@example.net)
expect_match "partial: 250" "$out" 'rcpt ok@example.net 250 250 2.0.0 queued'
expect_match "partial: 550 kept per recipient" "$out" 'rcpt fail550@example.net 550 550 5.1.1 <fail550@example.net>: user unknown'
expect_match "partial: 451 kept per recipient" "$out" 'rcpt defer451@example.net 451 451 4.2.0'
expect_eq "partial: only the accepted recipient got the message" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rcpts"])' "$T/plain/000001.json")" \
    "['ok@example.net']"

out=$(deliver "$P" fail550@example.net)
expect_match "all refused: no DATA, 550 reported" "$out" 'rcpt fail550@example.net 550 '
expect_eq "all refused: nothing stored" "$(ls "$T/plain" | grep -c eml)" 2

out=$(deliver "$P" --count 3 x@example.net)
expect_eq "reuse: three results" "$(grep -c '^rcpt x@example.net 250' <<<"$out")" 3
conns=$(python3 -c 'import json,glob,sys; print(len({json.load(open(f))["conn"] for f in sorted(glob.glob(sys.argv[1]+"/*.json"))[2:]}))' "$T/plain")
expect_eq "reuse: one connection for three messages" "$conns" 1

out=$(deliver "$P" --tls required x@example.net)
expect_match "required TLS without STARTTLS defers" "$out" 'result code=451 .*4.7.5 sink.test does not offer STARTTLS and TLS is required'

start_sink tls --starttls "$T/sink.test.pem" "$T/sink.test.key"
out=$(deliver "$SINK_PORT" x@example.net)
expect_match "opportunistic: STARTTLS used, TLS 1.3" "$out" 'tls="TLSv1.3 TLS_[A-Z0-9_]+ verified=no"'
expect_match "opportunistic: delivered" "$out" 'rcpt x@example.net 250'
expect_eq "sink saw TLS" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tls"])' "$T/tls/000000.json")" True
out=$(deliver "$SINK_PORT" --tls verify --ca "$T/ca.pem" --name sink.test x@example.net)
expect_match "verify: certificate verified" "$out" 'verified=pkix'
expect_match "verify: delivered" "$out" 'rcpt x@example.net 250'
out=$(deliver "$SINK_PORT" --tls verify --ca "$T/ca.pem" --name other.test x@example.net)
expect_match "verify: wrong name defers" "$out" 'result code=451 .*4.7.5 the certificate of other.test is not valid: hostname mismatch'
out=$(deliver "$SINK_PORT" --tls verify --name sink.test x@example.net)
expect_match "verify: unknown CA defers" "$out" 'result code=451 .*not valid'

start_sink badtls --starttls "$T/sink.test.pem" "$T/sink.test.key" --bad-tls
out=$(deliver "$SINK_PORT" x@example.net)
expect_match "failed handshake: reported, retry in plain text asked" "$out" 'result code=451 tls="none" retry_plain=1 reply="4.7.0 TLS handshake with sink.test failed'
expect_match "failed handshake: the plain retry delivers" "$out" $'retry_plain=0 .*\nrcpt x@example.net 250'

start_sink helo --no-esmtp
out=$(deliver "$SINK_PORT" x@example.net)
expect_match "no ESMTP: HELO fallback delivers" "$out" 'rcpt x@example.net 250'

start_sink no8 --no-8bitmime --no-smtputf8
out=$(deliver "$SINK_PORT" --8bit x@example.net)
expect_match "8-bit message, no 8BITMIME: bounce" "$out" 'result code=554 .*5.6.3 the message has 8-bit content'
out=$(deliver "$SINK_PORT" --utf8 x@example.net)
expect_match "SMTPUTF8 message, no SMTPUTF8: bounce" "$out" 'result code=553 .*5.6.7'

start_sink small --max-size 50
out=$(deliver "$SINK_PORT" x@example.net)
expect_match "SIZE checked before sending" "$out" 'result code=552 .*5.3.4 message size [0-9]+ exceeds the fixed maximum of sink.test \(50\)'

start_sink chunk --chunking
out=$(deliver "$SINK_PORT" x@example.net)
expect_match "BDAT: delivered" "$out" 'rcpt x@example.net 250'
cmp -s "$T/msg" "$T/chunk/000000.eml"
expect_eq "BDAT: stored exactly" "$?" 0

start_sink banner --banner-code 554
out=$(deliver "$SINK_PORT" x@example.net)
expect_match "554 banner: permanent" "$out" 'result code=554 .*554 sink.test'

out=$(deliver "$P" drop@example.net x@example.net)
expect_match "dropped connection: temporary for all" "$out" $'rcpt drop@example.net 451 4.4.2 sink.test closed the connection in state rcpt\nrcpt x@example.net 451'

start_sink hang --hang-data
out=$(deliver "$SINK_PORT" --timeout 1 x@example.net)
expect_match "no reply to the end of data: timeout, temporary" "$out" 'rcpt x@example.net 451 4.4.2 timeout waiting for sink.test in state end-of-data'

start_sink long --reply-lines 500
out=$(deliver "$SINK_PORT" x@example.net)
expect_match "500-line banner: cut off" "$out" 'result code=451 .*unexpected reply from sink.test in state banner'

closed=$(free_port)
out=$(deliver "$closed" x@example.net)
expect_match "connection refused: temporary" "$out" 'result code=451 .*4.4.1 connection to sink.test failed in state connecting: Connection refused'
finish
