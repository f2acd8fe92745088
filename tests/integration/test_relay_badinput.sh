#!/usr/bin/env bash
# posternd under load and bad input: 200 connections at once, a slow client
# and a stalled TLS handshake while others are served, binary junk, NUL
# bytes, 100 KB lines, 10 000 recipients, half a command then silence. The
# daemon stays up and the queue is unharmed.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"

# The load runs with long timeouts (a busy test machine must not turn it
# into a timeout test), the rest with command_timeout 4s.
CMD_TIMEOUT=60s DATA_TIMEOUT=60s relay_config "$T/postern.yaml"
start_relay "$T/postern.yaml"

ok=$($RC load 200 "$P_PLAIN" 2>"$T/load.err")
expect_eq "200 simultaneous connections all queued" "$ok" "200"
echo "200 connections in $(head -1 "$T/load.err") s"; sed 1d "$T/load.err"
expect_eq "200 messages in the queue" "$(queue_count)" "200"
ls "$T"/queue/*.msg >"$T/first200"
sums=$(xargs cat <"$T/first200" | md5sum)
kill -TERM "$RELAY_PID"
wait "$RELAY_PID" || true
relay_config "$T/postern.yaml"
start_relay "$T/postern.yaml"

# A slow client (one byte every 0.15 s) and a TLS handshake that never
# finishes do not hold up another client.
(/usr/bin/python3 -c '
import sys, time
for b in b"EHLO slow\r\nMAIL FROM:<a@example.com>\r\n":
    sys.stdout.buffer.write(bytes([b])); sys.stdout.flush(); time.sleep(0.15)
' | chat "$P_PLAIN" --idle 10 --stream >"$T/slow.out") &
slow=$!
python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"\x16\x03\x01\x00\xff\x01")   # the start of a ClientHello
start = time.time()
s.settimeout(30)
try:
    while s.recv(4096):
        pass
except OSError:
    pass
print("%.1f" % (time.time() - start))
' "$P_SMTPS" >"$T/tls.out" &
tlsstall=$!
sleep 0.5
start=$(date +%s%N)
out=$(swaks --server "127.0.0.1:$P_PLAIN" --from app@example.com --to b@dest.example 2>&1 || true)
took=$((($(date +%s%N) - start) / 1000000))
expect_match "another client is served meanwhile" "$out" '250 2.0.0 OK queued'
[ "$took" -lt 5000 ] && pass "served in $took ms" || fail "served in $took ms"
wait "$slow" || true
expect_match "the slow client got its replies" "$(cat "$T/slow.out")" '250 2.1.0 OK'
wait "$tlsstall" || true
t=$(cat "$T/tls.out")
expect_match "stalled TLS handshake dropped after command_timeout (${t}s)" "$t" '^([4-9]|1[0-4])\.[0-9]$'

# Half a command, then silence: 421 at command_timeout (4 s).
start=$(date +%s)
out=$( (printf 'EHLO half'; sleep 7) | chat "$P_PLAIN" --idle 8 --stream)
expect_match "half a command: timeout" "$out" '421 4.4.2 relay.example.com Error: timeout exceeded'
took=$(($(date +%s) - start))
[ "$took" -ge 3 ] && [ "$took" -le 8 ] && pass "timeout after ${took}s" || fail "timeout after ${took}s"

# Binary junk: errors, then the connection is dropped.
out=$(head -c 20000 /dev/urandom | chat "$P_PLAIN")
expect_match "binary junk: refused and dropped" "$out" '(421 4.7.0 Too many errors|500 5.5.2 Line too long)$'
out=$(printf 'EHLO x\0y\r\nNOOP\r\nQUIT\r\n' | chat "$P_PLAIN")
expect_match "NUL in a command" "$out" $'500 5.5.2 Invalid character in command\n250 2.0.0 OK'
out=$( (printf 'NOOP '; head -c 100000 /dev/zero | tr '\0' 'a'; printf '\r\nNOOP\r\n') | chat "$P_PLAIN")
expect_match "100 KB command line: dropped" "$out" '500 5.5.2 Line too long$'
out=$(printf 'EHLO x\r\nNOOP %0600d\r\nNOOP\r\n' 0 | chat "$P_PLAIN")
expect_match "command over 512 octets" "$out" $'500 5.5.2 Line too long\n250 2.0.0 OK'
out=$( (printf 'EHLO x\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@dest.example>\r\nDATA\r\nFrom: a@example.com\r\n\r\n'
	head -c 100000 /dev/zero | tr '\0' 'a'
	printf '\r\n.\r\nNOOP\r\n') | chat "$P_PLAIN" --idle 10)
# (Over max_message_size too: whichever limit is seen first answers.)
expect_match "100 KB text line in DATA" "$out" $'(500 5.5.2 Line too long|552 5.3.4 Message too big)\n250 2.0.0 OK'

# 10 000 recipients: 50 accepted (limits.recipients), then refusals until
# the error limit drops the connection.
out=$( (printf 'EHLO x\r\nMAIL FROM:<a@example.com>\r\n'
	for i in $(seq 1 10000); do printf 'RCPT TO:<r%d@dest.example>\r\n' "$i"; done) |
	chat "$P_PLAIN")
expect_eq "10 000 recipients: 50 accepted" "$(echo "$out" | grep -c '^250 2.1.5')" "50"
expect_match "10 000 recipients: too many" "$out" '452 4.5.3 Too many recipients'
expect_match "10 000 recipients: dropped" "$out" '421 4.7.0 Too many errors$'

kill -0 "$RELAY_PID" && pass "daemon still up"
expect_eq "queued messages unharmed" "$(xargs cat <"$T/first200" | md5sum)" "$sums"
expect_eq "no other message queued" "$(queue_count)" "201"
finish
