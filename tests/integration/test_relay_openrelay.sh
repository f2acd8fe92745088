#!/usr/bin/env bash
# posternd is never an open relay: a client neither authenticated nor
# allow-listed is refused at RCPT whatever the address looks like.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"

# 127.0.0.1 is NOT allow-listed here; 127.0.0.2 is.
relay_config "$T/postern.yaml" 127.0.0.2/32
start_relay "$T/postern.yaml"

tricks=(
	'<bob@dest.example>'
	'bob@dest.example'
	'<bob%dest.example@relay.example.com>'
	'<dest.example!bob@relay.example.com>'
	'<@relay.example.com:bob@dest.example>'
	'<@a.example,@b.example:bob@dest.example>'
	'<"bob@dest.example"@relay.example.com>'
	'<"bob%dest.example"@relay.example.com>'
	'<bob@dest.example@relay.example.com>'
	'<bob@[192.0.2.1]>'
	'<bob@[IPv6:::1]>'
	'<"bob@dest.example">'
	'<postmaster>'
	'<bob@relay.example.com>'
	'<BOB@DEST.EXAMPLE.>'
	'<bob@dest.example> NOTIFY=NEVER'
)
for port in "$P_PLAIN" "$P_OPT"; do
	want='554 5.7.1 Relay access denied'
	[ "$port" = "$P_OPT" ] && want='530 5.7.0 Authentication required'
	req='EHLO x\r\nMAIL FROM:<app@example.com>\r\n'
	for t in "${tricks[@]}"; do
		req="${req}RCPT TO:${t//%/%%}\r\n"
	done
	req="${req}DATA\r\nQUIT\r\n"
	out=$(printf "$req" | chat "$port")
	expect_eq "port $port: every trick refused with $want" \
	    "$(echo "$out" | grep -c "^$want")" "${#tricks[@]}"
	expect_eq "port $port: no recipient accepted" \
	    "$(echo "$out" | grep -c '^250 2.1.5')" "0"
	expect_match "port $port: DATA refused" "$out" '554 5.5.1 No valid recipients'
done
expect_eq "nothing queued" "$(queue_count)" "0"

# The allow-listed address relays, but source routes are still refused.
out=$(printf 'EHLO x\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<@a.example:bob@dest.example>\r\nRCPT TO:<bob@dest.example>\r\nQUIT\r\n' |
    chat "$P_PLAIN" --src 127.0.0.2)
expect_match "allow-listed: source route refused" "$out" '553 5.1.3 Source routes are not accepted'
expect_match "allow-listed: relays" "$out" '250 2.1.5 OK'
# auth: required refuses even an allow-listed client without AUTH.
out=$(printf 'EHLO x\r\nMAIL FROM:<app@example.com>\r\nQUIT\r\n' | chat "$P_SUB" --src 127.0.0.2)
expect_match "auth: required ignores allow_networks" "$out" '530 5.7.0 Must issue a STARTTLS command first'
# tls: none offers AUTH only to allow-listed networks.
out=$(printf 'EHLO x\r\nAUTH PLAIN AGNybQBzZWNyZXQ=\r\nQUIT\r\n' | chat "$P_PLAIN")
expect_eq "tls: none: no AUTH offered to others" "$(echo "$out" | grep -c '250-AUTH')" "0"
expect_match "tls: none: AUTH refused" "$out" '503 5.5.1 AUTH not available'

# limits.connections_per_ip: the third connection from one address is
# refused; another address is still served.
kill -TERM "$RELAY_PID"
wait "$RELAY_PID" || true
PER_IP=2 relay_config "$T/postern.yaml" 127.0.0.2/32
start_relay "$T/postern.yaml"
sleep 0.5 # until the daemon has seen wait_port's probe close
exec 5<>"/dev/tcp/127.0.0.1/$P_PLAIN"
exec 6<>"/dev/tcp/127.0.0.1/$P_PLAIN"
read -r g5 <&5
read -r g6 <&6
expect_match "two connections from one address" "$g5 $g6" '^220 .*220 '
out=$(printf 'QUIT\r\n' | chat "$P_PLAIN")
expect_match "third connection refused" "$out" '^421 4.7.0 Too many connections from your address'
out=$(printf 'QUIT\r\n' | chat "$P_PLAIN" --src 127.0.0.2)
expect_match "another address served" "$out" '^220 relay.example.com'
exec 5>&- 6>&-
finish
