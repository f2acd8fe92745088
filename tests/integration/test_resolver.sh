#!/usr/bin/env bash
# dnscheck/resolver.c against Knot and against broken servers: statuses
# kept apart, CNAME chains, TCP fallback, cache, timeouts, garbage.
source "$SOURCE_DIR/tests/integration/lib.sh"

D="$DRIVERS/resolver_driver"
start_knot "$SOURCE_DIR/tests/integration/zones/spf"
S="127.0.0.1:$KNOT_PORT"
q() { "$D" "$S" "$@" | head -n -1; }

expect_eq "A" "$(q example.com/A)" "example.com/A ok 192.0.2.10 192.0.2.11"
expect_eq "AAAA" "$(q amy.example.com/AAAA)" "amy.example.com/AAAA ok 2001:db8::65"
expect_eq "MX sorted as published" "$(q example.com/MX)" "example.com/MX ok 10:mail-a.example.com 20:mail-b.example.com"
expect_eq "NXDOMAIN" "$(q nothere.example.com/A)" "nothere.example.com/A NXDOMAIN"
expect_eq "NODATA" "$(q amy.example.com/MX)" "amy.example.com/MX no data"
expect_eq "PTR" "$(q 65.2.0.192.in-addr.arpa/PTR)" "65.2.0.192.in-addr.arpa/PTR ok [amy.example.com]"
expect_eq "CNAME in the zone" "$(q www.example.com/A)" "www.example.com/A ok 192.0.2.10 192.0.2.11"
expect_eq "CNAME to another zone, then a chain" "$(q cn.example.com/TXT)" "cn.example.com/TXT ok [v=spf1 ip4:192.0.2.5 -all]"
expect_eq "CNAME loop: an error, bounded" "$(q cloop1.example.com/A)" "cloop1.example.com/A CNAME chain too long (a loop?)"
expect_eq "strings joined" "$(q split.example.com/TXT)" "split.example.com/TXT ok [v=spf1 ip4:192.0.2.1 -all]"
expect_match "truncated: TCP" "$(q big.example.com/TXT)" '^big.example.com/TXT ok \(tcp\) .*\[v=spf1 ip4:192.0.2.77 -all\]'
expect_eq "REFUSED is an error" "$(q example.net/A)" "example.net/A REFUSED"
expect_eq "non-recursive question" "$(q --norec example.com/A)" "example.com/A ok 192.0.2.10 192.0.2.11"
expect_eq "bad name is an error" "$(q "$(printf 'a%.0s' $(seq 1 70)).example.com/A" | cut -d' ' -f2-)" "not a valid DNS name"
expect_eq "cache: one question sent for two asks" "$("$D" "$S" example.com/A EXAMPLE.com./A | tail -1)" "queries 1"

# A server that swallows queries: a timeout, within it.
SILENT=$(free_port)
python3 -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1])))
while True: s.recvfrom(4096)' "$SILENT" &
PIDS+=($!)
start=$(date +%s%N)
expect_eq "timeout" "$("$D" "127.0.0.1:$SILENT" --timeout 300 example.com/A | head -1)" "example.com/A timeout or network error"
out=$("$D" "127.0.0.1:$SILENT" --timeout 300 --deadline 200 example.com/A example.org/A example.com/A)
expect_eq "deadline: later questions fail at once, the cache still answers" "$out" "example.com/A timeout or network error
example.org/A time limit reached
example.com/A timeout or network error
queries 1"
expect_eq "timeout honoured" "$(( ($(date +%s%N) - start) / 1000000 < 2000 ))" 1

# A server that answers with the wrong id, and one that answers garbage.
WRONG=$(free_port)
python3 -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1])))
while True:
    d,a=s.recvfrom(4096)
    s.sendto(bytes([d[0]^0xff,d[1],d[2]|0x80])+d[3:],a)' "$WRONG" &
PIDS+=($!)
expect_match "wrong id: an error, never an answer" "$("$D" "127.0.0.1:$WRONG" --timeout 500 example.com/A | head -1)" '^example.com/A (answer does not match the question|timeout or network error)$'
GARBAGE=$(free_port)
python3 -c '
import socket,sys,os
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1])))
while True:
    d,a=s.recvfrom(4096); s.sendto(d[:2]+os.urandom(60),a)' "$GARBAGE" &
PIDS+=($!)
expect_match "garbage" "$("$D" "127.0.0.1:$GARBAGE" --timeout 500 example.com/A | head -1)" '^example.com/A (no usable answer|answer does not match the question|timeout or network error)$'
finish
