#!/usr/bin/env bash
# 1000 concurrent connections (relay.limits allow 1100): every one gets its
# 220 banner, a message still goes through while they are all open, then
# every one is served EHLO and QUIT; the 1101st connection over the limit
# is refused with 421. Bounded: 60 s for the client.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"
source "$SOURCE_DIR/tests/integration/fault_lib.sh"
N=${MANY:-1000}

ulimit -n 8192 || { fail "cannot raise the open file limit"; finish; exit 1; }
start_sink mx
fault_config "$T/postern.yaml" "$SINK_PORT" || exit 1
sed -i "s/connections: 300, connections_per_ip: 250/connections: 1100, connections_per_ip: 1100/; s/command_timeout: 4s/command_timeout: 60s/" "$T/postern.yaml"
start_relay "$T/postern.yaml"
out=$(timeout 90 $FC many "$P_PLAIN" "$N" 60 2>&1)
echo "$out"
expect_eq "$N connections at once, each served" "$out" \
    "banners=$N ehlo=$N quit=$N submitted=1"
wait_empty 20 || fail "the message sent meanwhile was not delivered"
expect_eq "the message sent meanwhile was delivered" \
    "$(ls "$T/mx" | grep -c '\.eml$')" 1
out=$(timeout 90 $FC many "$P_PLAIN" 1101 60 2>&1)
expect_match "over the limit (1100): one connection refused" "$out" \
    '^banners=1100 '
kill -0 "$RELAY_PID" && pass "posternd still running" || fail "posternd died"
finish
