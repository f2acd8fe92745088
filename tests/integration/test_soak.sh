#!/usr/bin/env bash
# A soak at moderate load: smtp-source batches (2 connections, 40 messages
# of 2 KiB, then a pause) for SOAK_SECONDS (default 30; make bench runs
# 600) through posternd to smtp-sink. posternd's RSS is read after a warm-up
# and at the end: growth stays within max(8 MiB, 25 %); everything submitted
# is delivered and the queue ends empty.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"
source "$SOURCE_DIR/tests/integration/fault_lib.sh"
SECS=${SOAK_SECONDS:-30}
WARM=$((SECS / 6 > 5 ? SECS / 6 : 5))

if ! command -v smtp-source >/dev/null || ! command -v smtp-sink >/dev/null; then
	echo "SKIP: smtp-source/smtp-sink (package postfix) not installed"
	exit 77
fi
# ASan keeps freed memory in quarantine (256 MiB by default): keep it small
# so that RSS reflects the program.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
SINK=$(free_port)
smtp-sink -c -u nobody "127.0.0.1:$SINK" 256 >"$T/sink.count" 2>"$T/sink.log" &
PIDS+=($!)
wait_port "$SINK"
fault_config "$T/postern.yaml" "$SINK" || exit 1
start_relay "$T/postern.yaml"
rss() { awk '/VmRSS/ {print $2}' "/proc/$RELAY_PID/status"; }
sink_count() {
	tail -c 200 "$T/sink.count" | tr '\r' '\n' | sed -n 's/.*mesg=//p' |
	    tail -1 | grep . || echo 0
}

sent=0
batches=0
start=$(date +%s)
rss_warm=""
while [ $(($(date +%s) - start)) -lt "$SECS" ]; do
	if smtp-source -s 2 -m 40 -l 2048 -f sender@example.com \
	    -t rcpt@dest.example "127.0.0.1:$P_PLAIN" >>"$T/source.log" 2>&1; then
		sent=$((sent + 40))
	fi
	batches=$((batches + 1))
	if [ -z "$rss_warm" ] && [ $(($(date +%s) - start)) -ge "$WARM" ]; then
		rss_warm=$(rss)
	fi
	sleep 0.5
done
rss_end=$(rss)
wait_empty 60 || fail "the queue did not drain: $(queue_count) left"
for _ in $(seq 1 100); do
	[ "$(sink_count)" -ge "$sent" ] && break
	sleep 0.1
done
echo "soak: ${SECS}s, $batches batches, $sent messages accepted, $(sink_count) delivered; RSS after ${WARM}s warm-up ${rss_warm} KiB, at the end ${rss_end} KiB"
expect_eq "every batch accepted" "$sent" $((batches * 40))
expect_eq "every message delivered" "$(sink_count)" "$sent"
bound=$((rss_warm / 4 > 8192 ? rss_warm / 4 : 8192))
if [ "$rss_end" -le $((rss_warm + bound)) ]; then
	pass "RSS growth $((rss_end - rss_warm)) KiB within $bound KiB"
else
	fail "RSS grew by $((rss_end - rss_warm)) KiB (bound $bound KiB)"
fi
finish
