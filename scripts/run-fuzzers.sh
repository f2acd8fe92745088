#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each, on its seed corpus from
# tests/fuzz/corpus/NAME (copied, so the tree is never written to).
set -eu
build=$1
secs=$2
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
fail=0
for f in "$build"/tests/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	mkdir -p "$work/$name"
	if [ -d "$src/tests/fuzz/corpus/$name" ]; then
		cp -r "$src/tests/fuzz/corpus/$name/." "$work/$name/"
	fi
	echo "fuzz: $name for ${secs}s"
	if ! "$f" -max_total_time="$secs" -max_len=65536 -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix="$work/" "$work/$name" \
	    >"$work/$name.log" 2>&1; then
		echo "fuzz: $name FAILED"
		tail -50 "$work/$name.log"
		cp "$work"/crash-* "$work"/timeout-* "$work"/leak-* . 2>/dev/null || true
		fail=$((fail + 1))
	else
		grep -E '^(#[0-9]+|Done)' "$work/$name.log" | tail -1
	fi
	n=$((n + 1))
done
if [ "$n" = 0 ]; then
	echo "fuzz: no fuzz target was built" >&2
	exit 1
fi
echo "fuzz: $((n - fail)) passed, $fail failed"
[ "$fail" = 0 ]
