# Helpers for the fault suite (sourced after lib.sh and relay_lib.sh).
FC="/usr/bin/python3 $SOURCE_DIR/tests/integration/fault_client.py"

# fault_config FILE SINK_PORT [LIMITS]: relay_config's relay with the gate
# off, every domain routed to 127.0.0.1:SINK_PORT, retries after 1 s.
fault_config() {
	local file=$1 sink=$2
	relay_config "$file" 127.0.0.1/32 "${3:-}"
	sed -i "s#^  queue: { path: $T/queue }#  queue: { path: $T/queue, retry: [1s], warn_after: 0 }\n  delivery: { connect_timeout: 2s }\n  gate: { mode: off }\n  routes:\n    - { domains: [\"*\"], via: \"127.0.0.1:$sink\" }#" "$file"
	if ! "$POSTERN" config check -c "$file" >"$T/config-check.out" 2>&1; then
		cat "$T/config-check.out" "$file" >&2
		return 1
	fi
}

# wait_empty SECONDS: until the queue holds no message.
wait_empty() {
	for _ in $(seq 1 $(($1 * 10))); do
		[ "$(queue_count)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# json_get JSON KEY
json_get() {
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}
