#!/usr/bin/env bash
# make bench: Postern against a private Postfix + OpenDKIM (issue #8), side by
# side on this machine, then the ceilings and the long soak.
#
#   bash bench/run-bench.sh BUILD_DIR
#
# Load: smtp-source submits BENCH_N messages of BENCH_SIZE bytes over
# BENCH_CONN parallel connections (one message per connection) to the relay
# on 127.0.0.1; the relay signs (RSA-2048; then Ed25519 for Postern), queues
# durably and delivers to one smtp-sink on 127.0.0.1 shared by all rounds.
# Everything (queues, keys, configs) lives under a temporary directory in
# BENCH_DIR (default /var/tmp: a real disk, so fsync costs what it costs).
# Postfix runs from its own config directory there; the system instance is
# never touched. Prints a table; writes JSON to bench/results/ (BENCH_OUT).
#
# BENCH_N=20000 BENCH_SIZE=4096 BENCH_CONN=20 BENCH_SOAK=600 (seconds; 0 skips)
set -uo pipefail

build=$(cd "${1:-build}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_N:-20000}
S=${BENCH_SIZE:-4096}
C=${BENCH_CONN:-20}
SOAK=${BENCH_SOAK:-600}
OUT=${BENCH_OUT:-$src/bench/results}
POSTERND=$build/relayd/posternd
POSTERN=$build/cli/postern
PS="/usr/bin/python3 $src/bench/procstat.py"
PF_LIBEXEC=$(postconf -dh daemon_directory 2>/dev/null)

die() {
	echo "bench: $*" >&2
	exit 1
}
for b in smtp-source smtp-sink postfix opendkim; do
	command -v "$b" >/dev/null || die "$b is missing: run make deps"
done
[ -x "$POSTERND" ] || die "$POSTERND is missing: build first"

W=$(mktemp -d "${BENCH_DIR:-/var/tmp}/postern-bench.XXXXXX")
chmod 755 "$W"
# OpenDKIM refuses a config or key under a world-writable directory such as
# /var/tmp: its files live in a root-owned directory of their own.
OD=$(mktemp -d /run/postern-bench-odkim.XXXXXX)
chmod 755 "$OD"
PIDS=()
cleanup() {
	local p
	[ -f "$W/pf/etc/main.cf" ] && postfix -c "$W/pf/etc" stop >/dev/null 2>&1
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	if [ -z "${KEEP_TMP:-}" ]; then rm -rf "$W" "$OD"; else echo "kept $W $OD"; fi
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
	for _ in $(seq 1 150); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }

# The shared sink: counts messages (smtp-sink -c prints running counters).
SINK=$(free_port)
smtp-sink -c -u nobody "127.0.0.1:$SINK" 1024 >"$W/sink.count" 2>"$W/sink.log" &
PIDS+=($!)
wait_port "$SINK" || die "smtp-sink did not start"
sink_count() {
	tail -c 200 "$W/sink.count" | tr '\r' '\n' | sed -n 's/.*mesg=//p' |
	    tail -1 | grep . || echo 0
}
# The check sink: stores messages to prove both relays really sign.
CHK=$(python3 "$src/tests/integration/smtp_sink.py" --dir "$W/check" \
    >"$W/check.port" 2>"$W/check.log" &
	echo $!)
PIDS+=($CHK)
for _ in $(seq 1 100); do
	CHK_PORT=$(sed -n 's/^PORT=//p' "$W/check.port")
	[ -n "$CHK_PORT" ] && break
	sleep 0.05
done

# The same RSA-2048 key for both relays, an Ed25519 key for round 2.
mkdir -p "$W/state/keys/example.com"
chmod 700 "$W/state" "$W/state/keys" "$W/state/keys/example.com"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$W/state/keys/example.com/pst1.key" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$W/state/keys/example.com/pst1e.key"
chmod 600 "$W/state/keys/example.com/"*.key

source "$src/bench/postfix.sh"
source "$src/bench/postern.sh"

# check_signed NAME ALG: one message through the relay to the check sink.
check_signed() {
	local port=$1 alg=$2 before after
	before=$(ls "$W/check" 2>/dev/null | grep -c '\.eml$')
	swaks --server "127.0.0.1:$port" --from a@example.com \
	    --to probe@check.example --h-From a@example.com --silent 2 \
	    >/dev/null 2>&1 || return 1
	for _ in $(seq 1 100); do
		after=$(ls "$W/check" 2>/dev/null | grep -c '\.eml$')
		[ "$after" -gt "$before" ] && break
		sleep 0.1
	done
	grep -qs "a=$alg" "$W/check/$(printf '%06d' "$before").eml"
}

# round NAME PORT ROOT_PIDS...: the load against one relay. Sets R_* vars.
round() {
	local name=$1 port=$2 base t0 t1 t2 c0 c1 got rc
	shift 2
	base=$(sink_count)
	c0=$($PS cpu "$@")
	$PS peak "$W/$name.peak" "$@" &
	local mon=$!
	t0=$(now)
	smtp-source -s "$C" -l "$S" -m "$N" -f sender@example.com \
	    -t rcpt@dest.example "127.0.0.1:$port" >"$W/$name.source" 2>&1
	rc=$?
	t1=$(now)
	local limit=$((N / 20 + 120))
	got=0
	[ "$rc" != 0 ] && limit=5
	for _ in $(seq 1 $((limit * 10))); do
		got=$(($(sink_count) - base))
		[ "$got" -ge "$N" ] && break
		sleep 0.1
	done
	t2=$(now)
	c1=$($PS cpu "$@")
	kill -TERM "$mon"
	wait "$mon"
	R_ACCEPT=$(calc "round($N / ($t1 - $t0), 1)")
	R_E2E=$(calc "round($N / ($t2 - $t0), 1)")
	R_RSS=$(($(cat "$W/$name.peak") / 1024))
	R_CPU=$(calc "round(($c1 - $c0) * 1000 / $N, 2)")
	R_GOT=$got
	R_OK=true
	if [ "$rc" != 0 ] || [ "$got" -lt "$N" ]; then
		R_OK=false
		echo "bench: $name: smtp-source exit $rc, sink got $got of $N" >&2
		tail -3 "$W/$name.source" >&2
	fi
}

json_round() { # NAME
	printf '"%s": {"accept_msg_s": %s, "end_to_end_msg_s": %s, "peak_rss_mib": %s, "cpu_s_per_1000": %s, "delivered": %s, "complete": %s}' \
	    "$1" "$R_ACCEPT" "$R_E2E" "$R_RSS" "$R_CPU" "$R_GOT" "$R_OK"
}
row() { # NAME
	printf '%-26s %10s %10s %10s %10s\n' "$1" "$R_ACCEPT" "$R_E2E" \
	    "$R_RSS" "$R_CPU"
}
save() { # PREFIX: copy R_* to PREFIX_*
	local v
	for v in ACCEPT E2E RSS CPU GOT OK; do
		eval "$1_$v=\$R_$v"
	done
}

echo "bench: N=$N size=$S connections=$C on $(nproc) cores; work in $W"
echo "bench: the machine: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"

# --- Postfix + OpenDKIM, RSA-2048 ---
postfix_start || die "postfix did not start (see $W/pf)"
check_signed "$PF_PORT" rsa-sha256 && PF_SIGNED=true || PF_SIGNED=false
round postfix "$PF_PORT" "$PF_MASTER" "$ODKIM_PID"
save PF
postfix_stop

# --- Postern, RSA-2048, then Ed25519 ---
for alg in rsa ed; do
	postern_start "$alg" || die "posternd did not start (see $W/pst.log)"
	want=rsa-sha256
	[ "$alg" = ed ] && want=ed25519-sha256
	check_signed "$PST_PORT" "$want" && signed=true || signed=false
	round "postern-$alg" "$PST_PORT" "$PST_PID"
	save "PST_$alg"
	eval "PST_${alg}_SIGNED=$signed"
	postern_stop
done

# --- Ceilings ---
base=$(sink_count)
t0=$(now)
smtp-source -s "$C" -l "$S" -m "$N" -f sender@example.com \
    -t rcpt@dest.example "127.0.0.1:$SINK" >/dev/null 2>&1
t1=$(now)
CEIL_SINK=$(calc "round($N / ($t1 - $t0), 1)")
speed() { # ALG: sign/s on all cores
	openssl speed -seconds 3 -multi "$(nproc)" "$1" 2>/dev/null |
	    awk '/^rsa 2048 bits|Ed25519\)/ {print $(NF-1)}' | tail -1
}
CEIL_RSA=$(speed rsa2048)
CEIL_ED=$(speed ed25519)
CEIL_FSYNC=$($PS fsyncs "$W" 3)

ratio() { calc "round($1 / $2, 2) if $2 else 0"; }
echo
printf '%-26s %10s %10s %10s %10s\n' relay "accept/s" "e2e/s" "RSS MiB" "CPU s/1k"
for r in PF PST_rsa PST_ed; do
	for v in ACCEPT E2E RSS CPU; do eval "R_$v=\$${r}_$v"; done
	case $r in
	PF) row "postfix+opendkim rsa" ;;
	PST_rsa) row "postern rsa" ;;
	PST_ed) row "postern ed25519" ;;
	esac
done
R_ACCEPT=$(ratio "$PST_rsa_ACCEPT" "$PF_ACCEPT")
R_E2E=$(ratio "$PST_rsa_E2E" "$PF_E2E")
R_RSS=$(ratio "$PST_rsa_RSS" "$PF_RSS")
R_CPU=$(ratio "$PST_rsa_CPU" "$PF_CPU")
row "ratio postern/postfix rsa"
echo
echo "ceilings: smtp-source -> smtp-sink $CEIL_SINK msg/s; RSA-2048 $CEIL_RSA sign/s, Ed25519 $CEIL_ED sign/s ($(nproc) cores); fsync $CEIL_FSYNC/s on the queue's disk"
echo "signed: postfix $PF_SIGNED, postern rsa $PST_rsa_SIGNED, postern ed25519 $PST_ed_SIGNED"

# --- The long soak (tests/integration/test_soak.sh) ---
SOAK_RESULT=null
if [ "$SOAK" -gt 0 ]; then
	echo "bench: soak for ${SOAK}s"
	if SOAK_SECONDS=$SOAK POSTERN=$POSTERN POSTERND=$POSTERND \
	    SOURCE_DIR=$src BUILD_DIR=$build \
	    bash "$src/tests/integration/test_soak.sh" >"$W/soak.out" 2>&1; then
		SOAK_RESULT=\"passed\"
	else
		SOAK_RESULT=\"failed\"
	fi
	grep -E 'soak:|ok -|FAIL' "$W/soak.out"
fi

mkdir -p "$OUT"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
file="$OUT/bench-$stamp.json"
{
	printf '{"date": "%s", "git": "%s",\n' "$stamp" \
	    "$(git -C "$src" rev-parse --short HEAD 2>/dev/null)"
	printf ' "machine": {"cpu": "%s", "cores": %s, "mem_gib": %s, "kernel": "%s", "queue_fs": "%s", "load_before": "%s"},\n' \
	    "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)" "$(nproc)" \
	    "$(awk '/MemTotal/ {printf "%.1f", $2/1048576}' /proc/meminfo)" \
	    "$(uname -r)" "$(df -T "$W" | awk 'NR==2 {print $2}')" \
	    "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf ' "load": {"messages": %s, "size": %s, "connections": %s},\n' "$N" "$S" "$C"
	printf ' "versions": {"postfix": "%s", "opendkim": "%s"},\n' \
	    "$(postconf -dh mail_version)" \
	    "$(opendkim -V 2>/dev/null | head -1 | awk '{print $NF}')"
	for r in PF:postfix_opendkim_rsa PST_rsa:postern_rsa PST_ed:postern_ed25519; do
		for v in ACCEPT E2E RSS CPU GOT OK; do
			eval "R_$v=\$${r%%:*}_$v"
		done
		printf ' '
		json_round "${r#*:}"
		printf ',\n'
	done
	printf ' "ratio_postern_postfix_rsa": {"accept": %s, "end_to_end": %s, "peak_rss": %s, "cpu": %s},\n' \
	    "$(ratio "$PST_rsa_ACCEPT" "$PF_ACCEPT")" "$(ratio "$PST_rsa_E2E" "$PF_E2E")" \
	    "$(ratio "$PST_rsa_RSS" "$PF_RSS")" "$(ratio "$PST_rsa_CPU" "$PF_CPU")"
	printf ' "signed": {"postfix": %s, "postern_rsa": %s, "postern_ed25519": %s},\n' \
	    "$PF_SIGNED" "$PST_rsa_SIGNED" "$PST_ed_SIGNED"
	printf ' "ceilings": {"source_to_sink_msg_s": %s, "rsa2048_sign_s": %s, "ed25519_sign_s": %s, "fsync_s": %s},\n' \
	    "$CEIL_SINK" "${CEIL_RSA:-0}" "${CEIL_ED:-0}" "$CEIL_FSYNC"
	printf ' "soak": {"seconds": %s, "result": %s}}\n' "$SOAK" "$SOAK_RESULT"
} >"$file"
python3 -m json.tool "$file" >/dev/null || die "bad JSON in $file"
echo "bench: results in $file"
