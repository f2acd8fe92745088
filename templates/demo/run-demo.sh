#!/usr/bin/env bash
# make demo: the whole story in a local sandbox. Until every part is built it
# says which parts are missing and exits non-zero.
set -u
build=${1:-build}
missing=0
for cmd in migrate check keys; do
	if "$build/cli/postern" "$cmd" --help 2>&1 | grep -q "not built yet"; then
		echo "demo: \`postern $cmd\` is not built yet"
		missing=1
	fi
done
if ! "$build/relayd/posternd" --help >/dev/null 2>&1; then
	echo "demo: posternd does not run"
	missing=1
fi
if [ "$missing" = 1 ]; then
	echo "demo: cannot run the demo until the parts above are built"
	exit 1
fi
exec bash "$(dirname "$0")/demo.sh" "$build"
