#!/usr/bin/env bash
# make bench: Postern against Postfix + OpenDKIM (issue #8). Not built yet.
echo "bench: the benchmark is not built yet (tracked in issue #8)" >&2
exit 2
