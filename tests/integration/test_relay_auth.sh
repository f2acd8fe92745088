#!/usr/bin/env bash
# posternd: TLS (STARTTLS, implicit), AUTH PLAIN/LOGIN, refusal without TLS,
# wrong passwords, the per-IP lockout, sender restrictions (envelope and
# header From), Received: with the TLS details.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"

relay_config "$T/postern.yaml"
start_relay "$T/postern.yaml"
expect_match "self-signed certificate logged" "$(cat "$T/relay.log")" \
    'event=tls_selfsigned host=relay.example.com certificate='"$T"'/state/tls/selfsigned.crt'

sw() {
	swaks --server "127.0.0.1:$1" --from crm@example.com --to bob@dest.example \
	    --h-From crm@example.com "${@:2}" 2>&1 || true
}
# b64 'printf-format': base64 of the bytes (NULs as \0).
b64() { printf "$1" | base64 -w0; }

# Before TLS: no AUTH offered, AUTH and MAIL refused.
out=$(printf 'EHLO x\r\nAUTH PLAIN %s\r\nMAIL FROM:<crm@example.com>\r\nQUIT\r\n' "$(b64 '\0crm\0secret')" |
    chat "$P_SUB")
expect_match "STARTTLS offered" "$out" '250-STARTTLS'
expect_eq "AUTH not offered before TLS" "$(echo "$out" | grep -c AUTH)" "0"
expect_match "AUTH before TLS" "$out" '538 5.7.11 Encryption required for requested authentication mechanism'
expect_match "MAIL before TLS" "$out" '530 5.7.0 Must issue a STARTTLS command first'
out=$(printf 'EHLO x\r\nSTARTTLS\r\nMAIL FROM:<a@example.com>\r\n' | chat "$P_SUB")
expect_match "commands pipelined after STARTTLS" "$out" '501 5.5.1 Commands after STARTTLS are not allowed'

# AUTH PLAIN and LOGIN over STARTTLS and implicit TLS.
for mech in PLAIN LOGIN; do
	out=$(sw "$P_SUB" --tls --auth "$mech" --auth-user crm --auth-password secret)
	expect_match "STARTTLS + AUTH $mech: AUTH offered after TLS" "$out" '250-AUTH PLAIN LOGIN'
	expect_match "STARTTLS + AUTH $mech accepted" "$out" '235 2.7.0 Authentication successful'
	expect_match "STARTTLS + AUTH $mech queued" "$out" '250 2.0.0 OK queued as'
	out=$(sw "$P_SMTPS" --tlsc --auth "$mech" --auth-user crm --auth-password secret)
	expect_match "implicit TLS + AUTH $mech queued" "$out" '250 2.0.0 OK queued as'
done
id=$(echo "$out" | sed -n 's/.*queued as \([0-9a-f]*\).*/\1/p')
expect_match "Received: with TLS version and cipher" "$(cat "$T/queue/$id.msg")" \
    $'with ESMTPSA id '"$id"$'\r\n\t\\(version=TLSv1.[23] cipher=[A-Z0-9_-]+\\)'
expect_match "envelope names the user" "$(cat "$T/queue/$id.env")" $'\nuser crm\n'

# After TLS but without AUTH: no relaying on auth: required.
out=$(sw "$P_SUB" --tls)
expect_match "MAIL without AUTH after TLS" "$out" '530 5.7.0 Authentication required'

# Wrong password: 535 after a delay.
start=$(date +%s%N)
out=$(sw "$P_SUB" --tls --auth PLAIN --auth-user crm --auth-password wrong)
took=$((($(date +%s%N) - start) / 1000000))
expect_match "wrong password" "$out" '535 5.7.8 Authentication credentials invalid'
[ "$took" -ge 1000 ] && pass "failure answered after >= 1 s ($took ms)" ||
	fail "failure answered after $took ms"
out=$(sw "$P_SUB" --tls --auth LOGIN --auth-user nobody --auth-password secret)
expect_match "unknown user" "$out" '535 5.7.8 Authentication credentials invalid'
expect_match "auth failures logged without password" "$(grep 'event=auth' "$T/relay.log")" 'user="nobody" result=failed'
expect_eq "password never logged" "$(grep -c 'wrong\|secret' "$T/relay.log")" "0"
out=$(printf 'EHLO x\r\nAUTH CRAM-MD5\r\nAUTH PLAIN !!!!\r\nAUTH LOGIN\r\n*\r\nQUIT\r\n' | chat "$P_SMTPS" --tls)
expect_match "unknown mechanism" "$out" '504 5.5.4 Unrecognized authentication type'
expect_match "undecodable response" "$out" '501 5.5.2 Cannot decode AUTH response'
expect_match "LOGIN prompt" "$out" '334 VXNlcm5hbWU6'
expect_match "cancelled" "$out" '501 5.7.0 Authentication cancelled'

# Sender restrictions: envelope and header From must match *@example.com.
out=$(swaks --server "127.0.0.1:$P_SUB" --tls --auth PLAIN --auth-user crm \
    --auth-password secret --from ceo@other.example --to bob@dest.example 2>&1 || true)
expect_match "envelope sender outside senders" "$out" '553 5.7.1 Sender address not allowed for this user'
out=$(sw "$P_SUB" --tls --auth PLAIN --auth-user crm --auth-password secret \
    --h-From '"CEO" <ceo@other.example>')
expect_match "header From outside senders" "$out" '550 5.7.1 From: header address not allowed for this user'
out=$(sw "$P_SUB" --tls --auth PLAIN --auth-user crm --auth-password secret \
    --h-From '"Crm, The" <CRM@Example.COM>')
expect_match "header From matches case-insensitively" "$out" '250 2.0.0 OK queued'
out=$(sw "$P_SUB" --tls --auth PLAIN --auth-user crm --auth-password secret \
    --h-From 'crm@example.com, ceo@other.example')
expect_match "two header From addresses" "$out" '554 5.6.0 The From: header must hold exactly one address'
out=$(swaks --server "127.0.0.1:$P_SUB" --tls --auth PLAIN --auth-user crm \
    --auth-password secret --from '<>' --to bob@dest.example --h-From crm@example.com 2>&1 || true)
expect_match "null sender allowed" "$out" '250 2.0.0 OK queued'

# TLS versions: 1.2 and 1.3 only.
if printf 'QUIT\r\n' | timeout 10 openssl s_client -connect "127.0.0.1:$P_SMTPS" -tls1_1 >/dev/null 2>&1; then
	fail "TLS 1.1 accepted"
else
	pass "TLS 1.1 refused"
fi
out=$(printf 'QUIT\r\n' | timeout 10 openssl s_client -connect "127.0.0.1:$P_SMTPS" -tls1_2 2>&1 || true)
expect_match "TLS 1.2 with an ECDHE AEAD cipher" "$out" 'Cipher is ECDHE-(RSA|ECDSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)'

# auth: optional: an allow-listed client relays without AUTH.
out=$(swaks --server "127.0.0.1:$P_OPT" --from app@example.com --to bob@dest.example 2>&1 || true)
expect_match "optional listener, allow-listed, no AUTH" "$out" '250 2.0.0 OK queued'

# Lockout: AUTH_LOCK_FAILURES failures from 127.0.0.3 lock it out.
req="EHLO x\r\n"
for i in $(seq 1 10); do req="${req}AUTH PLAIN $(b64 '\0crm\0bad')\r\n"; done
out=$(printf "${req}AUTH PLAIN $(b64 '\0crm\0secret')\r\nQUIT\r\n" | chat "$P_SMTPS" --tls --src 127.0.0.3 --idle 4)
expect_eq "ten failures" "$(echo "$out" | grep -c '^535 5.7.8')" "10"
expect_match "locked out, even with the right password" "$out" '454 4.7.0 Too many failed authentications; try again later'
out=$(printf 'QUIT\r\n' | chat "$P_SMTPS" --tls --src 127.0.0.3)
expect_match "locked-out IP refused at connect" "$out" '421 4.7.0 Too many failed authentications'
out=$(sw "$P_SMTPS" --tlsc --auth PLAIN --auth-user crm --auth-password secret)
expect_match "other IPs unaffected" "$out" '250 2.0.0 OK queued'

kill -0 "$RELAY_PID" && pass "daemon still up"
finish
