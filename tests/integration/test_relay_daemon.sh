#!/usr/bin/env bash
# posternd as a daemon: --check-config, start-up errors, run_as, SIGHUP
# reload (config and TLS; open connections keep theirs), SIGTERM drain
# (in-flight transactions finish), daemonising with a pid file.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"

C=$T/postern.yaml
relay_config "$C"
expect_match "--check-config" "$("$POSTERND" -c "$C" --check-config)" "^$C: ok: 2 domains, 4 listeners$"

# Start-up errors exit 2 and name the problem.
sed 's/run_as: ""/run_as: "no-such-user-x"/' "$C" >"$T/baduser.yaml"
set +e
err=$("$POSTERND" -c "$T/baduser.yaml" --foreground 2>&1)
rc=$?
set -e
expect_eq "unknown run_as user: exit 2" "$rc" "2"
expect_match "unknown run_as user: message" "$err" 'posternd: relay.run_as: no such user "no-such-user-x"'
(python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(5)' "$P_SUB" &)
sleep 0.3
set +e
err=$("$POSTERND" -c "$C" --foreground 2>&1)
rc=$?
set -e
expect_eq "port in use: exit 2" "$rc" "2"
expect_match "port in use: message" "$err" "posternd: relay.listen: cannot listen on 127.0.0.1:$P_SUB: Address already in use"
sleep 5
# The default run_as user "postern" missing is only a warning.
if ! getent passwd postern >/dev/null; then
	grep -v 'run_as:' "$C" >"$T/default-user.yaml"
	"$POSTERND" -c "$T/default-user.yaml" --foreground >"$T/default.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		grep -q 'event=ready' "$T/default.log" && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid" || true
	expect_match "default run_as missing: warning" "$(cat "$T/default.log")" 'level=warn event=run_as user=postern result=skipped reason="no such user"'
fi

# TLS certificate from relay.tls, reloaded on SIGHUP.
mkcert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj "/CN=$1" -days 2 -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
}
subject() {
	printf 'QUIT\r\n' | timeout 10 openssl s_client -connect "127.0.0.1:$P_SMTPS" 2>/dev/null |
	    sed -n 's/^subject=//p'
}
mkcert first.example
sed -i "s|^  control:|  tls: { certificate: $T/cert.pem, key: $T/key.pem }\n  control:|" "$C"
start_relay "$C"
expect_match "relay.tls certificate used" "$(subject)" 'CN ?= ?first.example'

exec 5<>"/dev/tcp/127.0.0.1/$P_PLAIN"
read -r greeting <&5
expect_match "open connection before reload" "$greeting" '^220 '
mkcert second.example
sed -i 's/max_message_size: 64K/max_message_size: 32K/' "$C"
kill -HUP "$RELAY_PID"
for _ in $(seq 1 50); do
	grep -q 'event=reload result=ok' "$T/relay.log" && break
	sleep 0.1
done
expect_match "reload logged" "$(cat "$T/relay.log")" "event=reload result=ok config=$C"
expect_match "new certificate after SIGHUP" "$(subject)" 'CN ?= ?second.example'
out=$(printf 'EHLO x\r\nQUIT\r\n' | chat "$P_PLAIN")
expect_match "new connections see the new config" "$out" '250-SIZE 32768'
printf 'EHLO x\r\n' >&5
out=$(timeout 1 cat <&5 || true)
expect_match "the open connection keeps its config" "$out" '250-SIZE 65536'
echo 'relay: [' >"$T/broken.yaml"
cp "$C" "$T/good.yaml"
cp "$T/broken.yaml" "$C"
kill -HUP "$RELAY_PID"
sleep 0.5
expect_match "broken config on reload: logged" "$(cat "$T/relay.log")" 'event=reload result=failed'
cp "$T/good.yaml" "$C"
out=$(printf 'EHLO x\r\nQUIT\r\n' | chat "$P_PLAIN")
expect_match "still serving after a failed reload" "$out" '250-SIZE 32768'

# SIGTERM: the transaction in flight finishes, idle ones get 421, the
# listeners close, the daemon exits 0.
exec 6<>"/dev/tcp/127.0.0.1/$P_PLAIN"
read -r greeting <&6
printf 'EHLO x\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@dest.example>\r\nDATA\r\n' >&6
sleep 0.3
kill -TERM "$RELAY_PID"
sleep 0.3
out=$(timeout 1 cat <&5 || true)
expect_match "idle connection told" "$out" '421 4.3.2 Service shutting down'
if (exec 7<>"/dev/tcp/127.0.0.1/$P_PLAIN") 2>/dev/null; then
	fail "new connections refused while draining"
else
	pass "new connections refused while draining"
fi
printf 'From: a@example.com\r\n\r\nin flight\r\n.\r\n' >&6
out=$(timeout 5 cat <&6 || true)
expect_match "in-flight message queued" "$out" '250 2.0.0 OK queued as'
expect_match "then 421" "$out" '421 4.3.2 Service shutting down'
set +e
wait "$RELAY_PID"
rc=$?
set -e
expect_eq "exit 0 after the drain" "$rc" "0"
expect_eq "control socket removed" "$(ls "$T/control.sock" 2>&1 | grep -c 'No such')" "1"

# Without --foreground: detaches, writes the pid file next to the socket.
"$POSTERND" -c "$C"
for _ in $(seq 1 50); do [ -s "$T/posternd.pid" ] && break; sleep 0.1; done
pid=$(cat "$T/posternd.pid")
kill -0 "$pid" && pass "daemonised, pid file $pid"
kill -TERM "$pid"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "daemon did not stop" || pass "daemon stopped on SIGTERM"
expect_eq "pid file removed" "$(ls "$T" | grep -c posternd.pid)" "0"
finish
