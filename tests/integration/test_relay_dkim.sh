#!/usr/bin/env bash
# posternd signs with every selector of the header From's domain (RSA and
# Ed25519), relaxed/relaxed, From over-signed; /usr/bin/dkimverify (dkimpy)
# verifies the queued messages, with the keys' TXT records served from a
# file instead of DNS.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"

relay_config "$T/postern.yaml"
start_relay "$T/postern.yaml"
K=$T/state/keys/example.com
rsa=$(openssl pkey -in "$K/pst1.key" -pubout -outform DER | base64 -w0)
ed=$(openssl pkey -in "$K/pst1e.key" -pubout -outform DER | tail -c 32 | base64 -w0)
cat >"$T/records.json" <<JSON
{"pst1._domainkey.example.com": "v=DKIM1; k=rsa; p=$rsa",
 "pst1e._domainkey.example.com": "v=DKIM1; k=ed25519; p=$ed"}
JSON
mkdir -p "$T/py"
cat >"$T/py/sitecustomize.py" <<'PY'
import json, os
import dkim.dnsplug
_recs = json.load(open(os.environ["DKIM_RECORDS"]))
def _get_txt(name, timeout=5):
    v = _recs.get(name.rstrip("."))
    return v.encode() if v else None
dkim.dnsplug._get_txt = _get_txt
PY
verify() { # verify FILE INDEX
	PYTHONPATH=$T/py DKIM_RECORDS=$T/records.json /usr/bin/dkimverify \
	    --index "$2" <"$1" 2>&1 || true
}
submit() { # submit PRINTF-DATA: DATA content; prints the queue file
	local out id
	out=$(printf "EHLO x\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<bob@dest.example>\r\nDATA\r\n$1.\r\nQUIT\r\n" |
	    chat "$P_PLAIN")
	id=$(echo "$out" | sed -n 's/.*queued as \([0-9a-f]*\).*/\1/p')
	echo "$T/queue/$id.msg"
}

f=$(submit 'From: "App" <app@example.com>\r\nTo: bob@dest.example\r\nCc: c@dest.example\r\nSubject: signed\r\n  and folded\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGr\xc3\xbc\xc3\x9fe\r\n..dot\r\n\r\n\r\n')
expect_eq "two signatures" "$(grep -c '^DKIM-Signature:' "$f")" "2"
expect_match "first is rsa-sha256 relaxed/relaxed" "$(head -1 "$f")" 'a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=pst1;'
expect_match "second is ed25519-sha256" "$(grep '^DKIM-Signature:' "$f" | tail -1)" 'a=ed25519-sha256; c=relaxed/relaxed; d=example.com;'
h=$(tr -d '\r\n\t ' <"$f" | grep -o ';h=[^;]*' | head -1)
for hdr in From To Cc Subject Date Message-ID MIME-Version Content-Type; do
	expect_match "h= signs $hdr" "$h" "(=|:)$hdr(:|$)"
done
expect_eq "From over-signed" "$(echo "$h" | grep -io 'from' | wc -l)" "2"
expect_eq "RSA signature verifies (dkimverify)" "$(verify "$f" 0)" "signature ok"
expect_eq "Ed25519 signature verifies (dkimverify)" "$(verify "$f" 1)" "signature ok"
sed 's/^Subject: signed/Subject: changed/' "$f" >"$T/tampered"
expect_eq "tampered Subject fails (RSA)" "$(verify "$T/tampered" 0)" "signature verification failed"
expect_eq "tampered Subject fails (Ed25519)" "$(verify "$T/tampered" 1)" "signature verification failed"
printf 'From: "Evil" <evil@example.com>\r\n' | cat - "$f" >"$T/prepended"
expect_eq "an added From fails (over-signing)" "$(verify "$T/prepended" 0)" "signature verification failed"

# Bare-LF submissions are signed as the CRLF message that is queued.
f=$(submit 'From: app@example.com\nSubject: lf\n\nline\r\n')
expect_eq "bare-LF message verifies (RSA)" "$(verify "$f" 0)" "signature ok"
expect_eq "bare-LF message verifies (Ed25519)" "$(verify "$f" 1)" "signature ok"

# A domain without keys: queued unsigned, with a log line.
f=$(submit 'From: app@nokeys.example\r\nSubject: x\r\n\r\nx\r\n')
expect_eq "no key: unsigned" "$(grep -c '^DKIM-Signature:' "$f")" "0"
expect_match "no key: logged" "$(cat "$T/relay.log")" 'event=dkim id=[0-9a-f]{16} domain=nokeys.example result=unsigned reason="no DKIM key for the domain"'
# The domain is the header From's, not the envelope's.
f=$(submit 'From: App <APP@EXAMPLE.COM>\r\nSubject: x\r\n\r\nx\r\n')
expect_match "header From domain signs (case-insensitive)" "$(head -1 "$f")" 'd=example.com'
finish
