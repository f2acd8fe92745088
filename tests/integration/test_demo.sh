#!/usr/bin/env bash
# `make demo`'s story, run as a test: it must end with every step working.
out=$(bash "$SOURCE_DIR/templates/demo/demo.sh" "$BUILD_DIR" 2>&1)
rc=$?
echo "$out" | tail -30
passes=0
fails=0
check() { # WHAT CONDITION-EXIT
	if [ "$2" = 0 ]; then passes=$((passes + 1)); echo "ok - $1"; else fails=$((fails + 1)); echo "FAIL - $1"; fi
}
check "the demo exits 0" "$rc"
grep -q 'dkim=pass header.d=example.com header.s=pst1 header.a=rsa-sha256' <<<"$out"
check "the RSA signature verifies independently" "$?"
grep -q 'dkim=pass header.d=example.com header.s=pst1e header.a=ed25519-sha256' <<<"$out"
check "the Ed25519 signature verifies independently" "$?"
grep -q 'spf=pass' <<<"$out"
check "SPF passes for the relay" "$?"
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
