#!/usr/bin/env bash
# A full disk for the queue: a 4 MiB tmpfs mounted by the test. Submissions
# get 452 4.3.1; what was queued before survives intact and is delivered
# once room is back and the destination answers. Skipped (exit 77, counted
# as skipped) only when the tmpfs cannot be mounted.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"
source "$SOURCE_DIR/tests/integration/fault_lib.sh"

mkdir -p "$T/qfs"
if ! mount -t tmpfs -o size=4m tmpfs "$T/qfs" 2>"$T/mount.err"; then
	echo "SKIP: cannot mount a tmpfs for the queue: $(cat "$T/mount.err")"
	exit 77
fi
umount_qfs() { umount "$T/qfs" 2>/dev/null || umount -l "$T/qfs"; }
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; umount_qfs; cleanup' EXIT

# The destination does not answer yet: the mail stays queued.
DEST=$(free_port)
fault_config "$T/postern.yaml" "$DEST" || exit 1
sed -i "s#path: $T/queue,#path: $T/qfs/queue,#; s#max_message_size: 64K#max_message_size: 2M#" "$T/postern.yaml"
mkdir -p "$T/qfs/queue"
start_relay "$T/postern.yaml"
qcount() { find "$T/qfs/queue" -name '*.env' | wc -l; }

: >"$T/accepted"
$FC submit "$P_PLAIN" 5 1 "$T/accepted" 20 keep >/dev/null
expect_eq "five messages queued before the disk fills" "$(qcount)" 5

# Fill the file system.
dd if=/dev/zero of="$T/qfs/filler" bs=64k 2>/dev/null
echo "free after filling: $(df -k "$T/qfs" | awk 'NR==2 {print $4}') KiB"
replies=$($FC fill "$P_PLAIN" 3 rcpt@dest.example | sort | uniq -c)
expect_match "a full queue answers 452 4.3.1" "$replies" \
    '^ +3 452 4\.3\.1 Insufficient system storage$'
expect_eq "nothing was queued while full" "$(qcount)" 5
expect_match "the refusal is logged" "$(cat "$T/relay.log")" \
    'event=rejected conn=[0-9]+ client=127.0.0.1 reason="queue file system full"'

# Nearly full: 300 KiB free passes MAIL's check (no SIZE given), but a
# 600 KiB message does not fit.
rm -f "$T/qfs/filler"
dd if=/dev/zero of="$T/qfs/filler" bs=1k \
    count=$(($(df -k "$T/qfs" | awk 'NR==2 {print $4}') - 300)) 2>/dev/null
big=$(python3 - "$P_PLAIN" <<'PY'
import smtplib, sys
body = "From: <s@example.com>\r\nSubject: big\r\n\r\n" + ("y" * 76 + "\r\n") * 8000
try:
    with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20) as s:
        s.ehlo("fault.test")
        s.esmtp_features.pop("size", None)
        s.sendmail("s@example.com", ["r@dest.example"], body)
        print("250")
except smtplib.SMTPResponseException as e:
    print(e.smtp_code, e.smtp_error.decode())
PY
)
expect_match "a message that does not fit gets 452 4.3.1 after DATA" "$big" \
    '^452 4\.3\.1 Insufficient system storage$'
expect_eq "still nothing more queued" "$(qcount)" 5

# Room again, a restart, the destination comes up: all five delivered whole.
rm -f "$T/qfs/filler"
kill "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null
expect_eq "the queue survived intact (five envelopes)" "$(qcount)" 5
start_relay "$T/postern.yaml"
start_sink mx --port "$DEST"
for _ in $(seq 1 150); do
	[ "$(qcount)" = 0 ] && break
	sleep 0.1
done
v=$($FC verify "$T/mx" "$T/accepted")
echo "verify: $v"
expect_eq "the five delivered" "$(json_get "$v" unique)" 5
expect_eq "none delivered half" "$(json_get "$v" truncated)" 0
expect_eq "none twice" "$(json_get "$v" duplicates)" 0
if grep -q 'event=queue_recover.*result=removed' "$T/relay.log"; then
	fail "recovery removed something: $(grep queue_recover "$T/relay.log")"
else
	pass "recovery found nothing broken"
fi
finish
