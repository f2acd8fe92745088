#!/usr/bin/env bash
# Fails when a C file in the tree is not formatted by the repo's .clang-format.
set -eu
cd "$1"
bad=0
while IFS= read -r f; do
	[ -f "$f" ] || continue
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "not clang-formatted: $f"
		bad=1
	fi
done < <(git ls-files -co --exclude-standard -- '*.c' '*.h' 2>/dev/null ||
	find . -name '*.[ch]' -not -path './build*')
[ "$bad" = 0 ] && echo "every C file is clang-formatted"
exit "$bad"
