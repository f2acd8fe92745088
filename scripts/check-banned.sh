#!/usr/bin/env bash
# Fails when C code calls a function STYLE.md section 6 bans.
set -eu
cd "$1"
pat='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|strncpy|atoi|atol|sscanf|alloca)[[:space:]]*\('
hits=$(git ls-files -co --exclude-standard -- '*.c' '*.h' |
	xargs -r grep -snE "$pat" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*)' || true)
if [ -n "$hits" ]; then
	echo "banned functions used:"
	echo "$hits"
	exit 1
fi
echo "no banned function is used"
