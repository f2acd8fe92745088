#!/usr/bin/env bash
# SIGKILL of posternd, repeatedly, during a burst of submissions and then
# during deliveries; restarted each time. Every message that got 250 is
# delivered, none is delivered half, and a message the sink acknowledged is
# delivered twice only when the kill came after the sink's 250 but before
# posternd read it (counted and bounded); a 250 posternd read is never
# followed by a second delivery. KILLS (default 5) per phase.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"
source "$SOURCE_DIR/tests/integration/fault_lib.sh"
KILLS=${KILLS:-5}

# The sink stores a message only if the relay is still connected after
# 0.2 s: a stored message is one whose 250 was sent.
start_sink mx --delay-data 0.2
fault_config "$T/postern.yaml" "$SINK_PORT" || exit 1
start_relay "$T/postern.yaml"

: >"$T/accepted"
$FC submit "$P_PLAIN" 400 8 "$T/accepted" 60 a >"$T/submit.out" 2>&1 &
SUB=$!
PIDS+=($SUB)
kills=0
for _ in $(seq 1 "$KILLS"); do
	sleep 0.8
	kill -KILL "$RELAY_PID" && kills=$((kills + 1))
	wait "$RELAY_PID" 2>/dev/null
	start_relay "$T/postern.yaml"
done
wait "$SUB"
echo "submission: $(cat "$T/submit.out"); $kills kills"
expect_eq "posternd was killed during the submissions" "$kills" "$KILLS"

# Deliveries: a backlog with the sink down, then kills while it drains.
dkills=0
kill -STOP "$(pgrep -f "smtp_sink.py --dir $T/mx" | head -1)"
$FC submit "$P_PLAIN" 200 8 "$T/accepted" 30 b >"$T/submit2.out" 2>&1
kill -CONT "$(pgrep -f "smtp_sink.py --dir $T/mx" | head -1)"
for _ in $(seq 1 "$KILLS"); do
	sleep 0.7
	[ "$(queue_count)" = 0 ] && break
	kill -KILL "$RELAY_PID" && dkills=$((dkills + 1))
	wait "$RELAY_PID" 2>/dev/null
	start_relay "$T/postern.yaml"
done
echo "backlog: $(cat "$T/submit2.out"); $dkills kills during delivery"
if [ "$dkills" -gt 0 ]; then
	pass "posternd was killed during deliveries ($dkills times)"
else
	fail "the backlog drained before any kill during delivery"
fi
wait_empty 90 || fail "the queue did not drain: $(queue_count) left"
sleep 1
v=$($FC verify "$T/mx" "$T/accepted")
echo "verify: $v"
expect_eq "every message that got 250 was delivered" "$(json_get "$v" missing)" 0
expect_eq "nothing delivered half" "$(json_get "$v" truncated)" 0
# Committed, but the kill came before the client read the 250: the client
# retried under a new id. At most one per submitting connection per kill.
unknown=$(json_get "$v" unknown)
echo "committed but unacknowledged to the client: $unknown over $kills kills"
if [ "$unknown" -le $((kills * 8)) ]; then
	pass "committed-unacknowledged within bound: $unknown <= $((kills * 8))"
else
	fail "committed-unacknowledged: $unknown > $((kills * 8))"
fi
# posternd unlinks the envelope in the loop callback that reads the last
# 250 (queue_forget), so a recipient it logged as sent is never sent
# again: no qid/rcpt pair has two "status=sent" lines across the restarts.
sent_twice=$(sed -n 's/.*event=delivery qid=\([0-9a-f]*\) rcpt=\([^ ]*\) .*status=sent.*/\1 \2/p' \
    "$T/relay.log" | sort | uniq -d | wc -l)
expect_eq "no recipient logged as sent was sent again" "$sent_twice" 0
# What remains is SMTP's own window (RFC 5321 6.1): the sink stored the
# message and sent 250, and the kill came before posternd read that 250.
# At most the deliveries in flight (delivery.concurrency 20) per kill.
dups=$(json_get "$v" duplicates)
total=$((kills + dkills))
echo "duplicates: $dups acknowledged messages delivered twice over $total kills"
if [ "$dups" -le $((total * 20)) ]; then
	pass "duplicates within the unread-250 window: $dups <= $((total * 20))"
else
	fail "duplicates: $dups > $((total * 20))"
fi
expect_eq "the queue is empty at the end" "$(queue_count)" 0
finish
