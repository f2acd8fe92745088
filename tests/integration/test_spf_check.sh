#!/usr/bin/env bash
# postern check spf against Knot: RFC 7208 appendix A, every mechanism,
# modifier, macro and limit, loops, temperror, TCP fallback, bad input.
source "$SOURCE_DIR/tests/integration/lib.sh"

start_knot "$SOURCE_DIR/tests/integration/zones/spf"
cat >"$T/fast.yaml" <<YAML
dns: { resolver: "127.0.0.1:$KNOT_PORT", timeout: 1s, retries: 0 }
relay: { hostname: relay.example.com, public_ips: [192.0.2.10],
         listen: [{ address: "127.0.0.1:2525", tls: none, auth: none }] }
domains: [{ name: example.com, provider: hand }]
providers: { hand: { type: manual } }
YAML

# spf IP SENDER [HELO]: the result word (first line of the output).
spf() {
	local helo=()
	[ $# -ge 3 ] && helo=(--helo "$3")
	"$POSTERN" check spf --resolver "127.0.0.1:$KNOT_PORT" --ip "$1" \
	    --sender "$2" "${helo[@]}" 2>&1 | head -1 || true
}
# set_spf RECORD: replace example.com's TXT (RFC 2136, TSIG).
set_spf() {
	printf 'server 127.0.0.1 %s\nkey hmac-sha256:postern %s\nzone example.com.\nupdate delete example.com. TXT\nupdate add example.com. 600 TXT "%s"\nsend\n' \
	    "$KNOT_PORT" "$TSIG_SECRET" "$1" | knsupdate
}
# appendix IP... : expect pass for the listed IPs, fail for the others.
ALL_IPS="192.0.2.10 192.0.2.11 192.0.2.65 192.0.2.66 192.0.2.129 192.0.2.130 192.0.2.140 192.0.2.200 10.0.0.4"
appendix() {
	local rec=$1 want ip got
	shift
	set_spf "$rec"
	for ip in $ALL_IPS; do
		want=fail
		case " $* " in *" $ip "*) want=pass ;; esac
		got=$(spf "$ip" "x@example.com")
		expect_eq "A.1 \"$rec\" for $ip" "$got" "$want"
	done
}

# RFC 7208 appendix A.1, one record after the other on example.com.
appendix "v=spf1 +all" $ALL_IPS
appendix "v=spf1 a -all" 192.0.2.10 192.0.2.11
appendix "v=spf1 a:example.org -all"
appendix "v=spf1 mx -all" 192.0.2.129 192.0.2.130
appendix "v=spf1 mx:example.org -all" 192.0.2.140
appendix "v=spf1 mx mx:example.org -all" 192.0.2.129 192.0.2.130 192.0.2.140
appendix "v=spf1 mx/30 mx:example.org/30 -all" 192.0.2.129 192.0.2.130 192.0.2.140
appendix "v=spf1 ptr -all" 192.0.2.10 192.0.2.11 192.0.2.65 192.0.2.66 192.0.2.129 192.0.2.130
appendix "v=spf1 ip4:192.0.2.128/28 -all" 192.0.2.129 192.0.2.130 192.0.2.140
expect_eq "ip4:192.0.2.128/28 covers .143" "$(spf 192.0.2.143 x@example.com)" pass
# A.3: users allowed from anywhere through a DNSBL-style zone
set_spf "v=spf1 mx include:mobile-users._spf.%{d} include:remote-users._spf.%{d} -all"
expect_eq "A.3 mary from anywhere" "$(spf 203.0.113.9 mary@example.com)" pass
expect_eq "A.3 mary+ext (l1r+)" "$(spf 203.0.113.9 mary+spam@example.com)" pass
expect_eq "A.3 joel from his address" "$(spf 192.168.15.15 joel@example.com)" pass
expect_eq "A.3 joel from elsewhere" "$(spf 192.168.15.17 joel@example.com)" fail
expect_eq "A.3 anyone from the MX" "$(spf 192.0.2.129 bob@example.com)" pass
expect_eq "A.3 anyone else" "$(spf 203.0.113.9 bob@example.com)" fail
# A.4: -include and De Morgan: in 192.0.2.0/24 AND a validated PTR in example.com
set_spf "v=spf1 -include:ip4._spf.%{d} -include:ptr._spf.%{d} +all"
expect_eq "A.4 in the /24 with a PTR" "$(spf 192.0.2.10 x@example.com)" pass
expect_eq "A.4 in the /24 with a subdomain PTR" "$(spf 192.0.2.65 x@example.com)" pass
expect_eq "A.4 in the /24, PTR not validated" "$(spf 192.0.2.200 x@example.com)" fail
expect_eq "A.4 in the /24, PTR elsewhere" "$(spf 192.0.2.140 x@example.com)" fail
expect_eq "A.4 outside the /24" "$(spf 198.51.100.1 x@example.com)" fail
set_spf "v=spf1 mx/30 -all"
expect_eq "mx/30 covers 192.0.2.131" "$(spf 192.0.2.131 x@example.com)" pass
set_spf "v=spf1 a//64 -all"
expect_eq "a//64: no AAAA for example.com" "$(spf 2001:db8::1 x@example.com)" fail
expect_eq "qualifier ~" "$(set_spf 'v=spf1 ~all'; spf 192.0.2.1 x@example.com)" softfail
expect_eq "qualifier ?" "$(set_spf 'v=spf1 ?all'; spf 192.0.2.1 x@example.com)" neutral
expect_eq "no match: neutral" "$(set_spf 'v=spf1 ip4:192.0.2.99'; spf 192.0.2.1 x@example.com)" neutral
expect_eq "www CNAME to example.com" "$(set_spf 'v=spf1 a:www.example.com -all'; spf 192.0.2.10 x@example.com)" pass

# include and redirect semantics (5.2, 6.1)
expect_eq "include pass" "$(spf 198.51.100.9 x@inc.example.com)" pass
expect_eq "include no match" "$(spf 192.0.2.1 x@inc.example.com)" fail
expect_eq "include ip6" "$(spf 2001:db8:1::5 x@inc.example.com)" pass
expect_eq "include of none: permerror" "$(spf 192.0.2.1 x@incnone.example.com)" permerror
expect_eq "include of a broken record: permerror" "$(spf 192.0.2.1 x@incerr.example.com)" permerror
expect_eq "redirect" "$(spf 198.51.100.9 x@red.example.com)" pass
expect_eq "redirect fail" "$(spf 192.0.2.1 x@red.example.com)" fail
expect_eq "redirect to none: permerror" "$(spf 192.0.2.1 x@rednone.example.com)" permerror
expect_eq "redirect ignored with all" "$(spf 198.51.100.9 x@redall.example.com)" neutral
expect_eq "include loop: permerror" "$(spf 192.0.2.1 x@loop1.example.com)" permerror
expect_eq "redirect loop: permerror" "$(spf 192.0.2.1 x@redloop.example.com)" permerror
out=$("$POSTERN" check spf --resolver "127.0.0.1:$KNOT_PORT" --ip 192.0.2.1 --sender x@loop1.example.com || true)
expect_match "loop reason names the limit" "$out" 'DNS-querying term number 11: the limit is 10'
out=$("$POSTERN" check spf --resolver "127.0.0.1:$KNOT_PORT" --ip 198.51.100.9 --sender x@inc.example.com || true)
expect_eq "trace" "$out" 'pass
  inc.example.com: "v=spf1 include:pass.example.com -all"
    pass.example.com: "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:1::/48 -all"
    pass.example.com: ip4:198.51.100.0/24: match
  inc.example.com: include:pass.example.com: match
reason: inc.example.com: "include:pass.example.com" matched
lookups: 1 DNS-querying terms, 0 void, 2 DNS queries'

# record selection (4.5)
expect_eq "two records: permerror" "$(spf 192.0.2.1 x@two.example.com)" permerror
expect_eq "strings joined without spaces" "$(spf 192.0.2.1 x@split.example.com)" pass
expect_eq "v=spf10 is not SPF: none" "$(spf 192.0.2.1 x@spf10.example.com)" none
expect_eq "upper case record" "$(spf 192.0.2.1 x@caseonly.example.com)" pass
expect_eq "no TXT: none" "$(spf 192.0.2.1 x@nospf.example.com)" none
expect_eq "NXDOMAIN: none" "$(spf 192.0.2.1 x@nonexistent.example.com)" none
expect_eq "malformed domain: none" "$(spf 192.0.2.1 x@a..example.com)" none
expect_eq "single-label domain: none" "$(spf 192.0.2.1 x@localhost)" none
expect_eq "CNAME to another zone" "$(spf 192.0.2.5 x@cn.example.com)" pass

# limits (4.6.4)
expect_eq "10 DNS-querying terms: fine" "$(spf 192.0.2.1 x@ten.example.com)" pass
expect_eq "11 DNS-querying terms: permerror" "$(spf 192.0.2.1 x@many.example.com)" permerror
expect_eq "3 void look-ups: permerror" "$(spf 192.0.2.1 x@voids.example.com)" permerror
expect_eq "2 void look-ups: fine" "$(spf 192.0.2.1 x@voids2.example.com)" pass
expect_eq "11 MX names: permerror" "$(spf 192.0.2.1 x@mx11.example.com)" permerror

# macros (7)
expect_eq "exists %{ir}.%{v}._spf.%{d}" "$(spf 192.0.2.1 x@ex.example.com)" pass
expect_eq "exists no record" "$(spf 192.0.2.2 x@ex.example.com)" fail
expect_eq "%{l1r-} of strong-bad" "$(spf 192.0.2.1 strong-bad@lp.example.com)" pass
expect_eq "%{l1r-} of other" "$(spf 192.0.2.1 weak-good@lp.example.com)" fail
expect_eq "%{h}" "$(spf 192.0.2.1 x@helo.example.com good.host)" pass
expect_eq "%{p} validated name" "$(spf 192.0.2.65 x@ptrp.example.com)" pass
expect_eq "%{p} unvalidated name" "$(spf 192.0.2.200 x@ptrp.example.com)" fail
expect_eq "empty sender: postmaster@helo" "$(spf 192.0.2.1 '' helo.example.com)" fail
expect_eq "unknown macro letter: permerror" "$(spf 192.0.2.1 x@badmacro.example.com)" permerror
expect_eq "%{t} outside exp: permerror" "$(spf 192.0.2.1 x@expmacro.example.com)" permerror
expect_eq "digit 0: permerror" "$(spf 192.0.2.1 x@zerodigit.example.com)" permerror
expect_eq "hostile %{d1000r} and 253+ octets: no crash" "$(spf 192.0.2.1 x@hostile.example.com)" fail
out=$("$POSTERN" check spf --resolver "127.0.0.1:$KNOT_PORT" --ip 192.0.2.7 --sender x@expl.example.com || true)
expect_match "exp= expanded on fail" "$out" "explanation: 192.0.2.7 is not one of expl.example.com's designated mail servers; sender x%40expl.example.com."
out=$("$POSTERN" check spf --resolver "127.0.0.1:$KNOT_PORT" --ip 192.0.2.1 --sender x@expl.example.com || true)
expect_eq "no explanation on pass" "$(printf '%s\n' "$out" | grep -c explanation || true)" 0

# syntax (12)
for d in syn1 syn2 syn3 syn4 syn5; do
	expect_eq "syntax error $d: permerror" "$(spf 192.0.2.1 x@$d.example.com)" permerror
done
out=$("$POSTERN" check spf --resolver "127.0.0.1:$KNOT_PORT" --ip 192.0.2.1 --sender x@syn1.example.com || true)
expect_match "syntax error named" "$out" 'term "a:foo": domain-spec "foo" must end in a top-level label or a macro'
expect_eq "unknown modifier ignored" "$(spf 192.0.2.1 x@unkmod.example.com)" pass
expect_eq "a/24 dual cidr" "$(spf 192.0.2.99 x@cidr.example.com)" pass
expect_eq "a/24 dual cidr, outside" "$(spf 192.0.3.1 x@cidr.example.com)" fail

expect_eq "a//64 with AAAA" "$(spf 2001:db8::1234 x@cidr.example.com)" pass
expect_eq "a//64 with AAAA, outside" "$(spf 2001:db9::1 x@cidr.example.com)" fail
expect_eq "mx//64 asks AAAA" "$(spf 2001:db8::ffff x@mx6.example.com)" pass
expect_eq "ip6 client and ip4 terms" "$(spf 2001:db8::1 x@split.example.com)" fail

# IPv4-mapped IPv6 is the IPv4 client
expect_eq "%{i} of ::ffff:192.0.2.1" "$(spf ::ffff:192.0.2.1 x@ex.example.com)" pass
expect_eq "::ffff:198.51.100.9" "$(spf ::ffff:198.51.100.9 x@inc.example.com)" pass

# corners of RFC 7208
expect_eq "NUL in a record: permerror" "$(spf 192.0.2.1 x@nul.example.com)" permerror
expect_eq "HELO domain literal: none" "$(spf 192.0.2.1 '' '[192.0.2.1]')" none
expect_eq "sender domain literal: none" "$(spf 192.0.2.1 'x@[192.0.2.1]')" none
expect_eq "numeric top label: none" "$(spf 192.0.2.1 'x@1.2.3.4')" none
expect_eq "%% %_ %- in a domain" "$(spf 192.0.2.1 x@spaces.example.com)" pass
expect_eq ": and / in a domain-spec" "$(spf 192.0.2.1 x@colon.example.com)" pass
expect_eq ": and / in a domain-spec, v4-mapped" "$(spf ::ffff:192.0.2.1 x@colon.example.com)" pass
expl() { "$POSTERN" check spf --resolver "127.0.0.1:$KNOT_PORT" --ip "$1" --sender "$2" | sed -n 's/^explanation: //p' || true; }
expect_eq "upper-case macro URL-escaped" "$(expl 192.0.2.9 'jack&jill=up@upper.example.com')" 'http://example.com/why.html?l=jack%26jill%3Dup'
expect_eq "redirect: the target's exp" "$(expl 192.0.2.9 x@redexp.example.com)" "192.0.2.9 is not one of expl.example.com's designated mail servers; sender x%40redexp.example.com."
expect_eq "redirect: not the original's exp" "$(expl 192.0.2.9 x@redexp2.example.com)" ""
expect_eq "include: the includer's exp" "$(expl 192.0.2.9 x@incexp.example.com)" "Correct!"
expect_eq "exp name truncated to 253 octets" "$(expl 192.0.2.9 test@somewhat.long.exp.example.com)" "Congratulations!  That was tricky."
expect_eq "%{p} prefers a subdomain" "$(spf 192.0.2.42 x@pmulti.example.com)" pass

# TCP fallback: the TXT set does not fit a 1232-byte UDP answer
expect_eq "truncated answer retried over TCP" "$(spf 192.0.2.77 x@big.example.com)" pass

# exit codes and JSON
rc=0; "$POSTERN" check spf --resolver "127.0.0.1:$KNOT_PORT" --ip 198.51.100.9 --sender x@inc.example.com >/dev/null || rc=$?
expect_eq "exit 0 on pass" "$rc" 0
rc=0; "$POSTERN" check spf --resolver "127.0.0.1:$KNOT_PORT" --ip 192.0.2.1 --sender x@inc.example.com >/dev/null || rc=$?
expect_eq "exit 1 on fail" "$rc" 1
json=$("$POSTERN" check spf --json --resolver "127.0.0.1:$KNOT_PORT" --ip 198.51.100.9 --sender x@inc.example.com || true)
expect_eq "json result" "$(printf '%s' "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["result"], d["lookups"], len(d["trace"]) > 0)')" "pass 1 True"
rc=0; out=$("$POSTERN" check spf --resolver "127.0.0.1:$KNOT_PORT" --ip 1.2.3 --sender x@example.com 2>&1) || rc=$?
expect_eq "bad --ip: exit 2" "$rc" 2
expect_match "bad --ip named" "$out" '--ip "1.2.3" is not an IP address'
rc=0; out=$("$POSTERN" check spf --resolver "127.0.0.1:$KNOT_PORT" --ip 192.0.2.1 2>&1) || rc=$?
expect_eq "missing --sender: exit 2" "$rc" 2

# temperror: a server that swallows queries, and a port where nothing listens
SILENT_PORT=$(free_port)
python3 -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1])))
while True: s.recvfrom(4096)' "$SILENT_PORT" &
PIDS+=($!)
sed "s/$KNOT_PORT/$SILENT_PORT/" "$T/fast.yaml" >"$T/silent.yaml"
start=$(date +%s)
rc=0; out=$("$POSTERN" check spf -c "$T/silent.yaml" --ip 192.0.2.1 --sender x@example.com) || rc=$?
expect_eq "silent server: temperror" "$(printf '%s\n' "$out" | head -1)" temperror
expect_eq "silent server: exit 3" "$rc" 3
expect_eq "silent server: within the timeout" "$(( $(date +%s) - start <= 3 ))" 1
# garbage answers: a server that replies with random bytes
GARBAGE_PORT=$(free_port)
python3 -c '
import socket,sys,os
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1])))
while True:
    d,a=s.recvfrom(4096); s.sendto(d[:2]+os.urandom(40),a)' "$GARBAGE_PORT" &
PIDS+=($!)
sed "s/$KNOT_PORT/$GARBAGE_PORT/" "$T/fast.yaml" >"$T/garbage.yaml"
rc=0; out=$("$POSTERN" check spf -c "$T/garbage.yaml" --ip 192.0.2.1 --sender x@example.com) || rc=$?
expect_eq "garbage answers: temperror" "$(printf '%s\n' "$out" | head -1)" temperror

finish
