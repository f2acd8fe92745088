#!/usr/bin/env bash
# posternd: ESMTP on a plain allow-listed listener: extensions, commands,
# pipelining, BDAT, DATA line endings (no smuggling), sizes, added headers,
# and `postern queue`.
source "$SOURCE_DIR/tests/integration/lib.sh"
source "$SOURCE_DIR/tests/integration/relay_lib.sh"

relay_config "$T/postern.yaml"
start_relay "$T/postern.yaml"
Q="$POSTERN queue -c $T/postern.yaml"

out=$(printf 'EHLO app.example\r\nQUIT\r\n' | chat "$P_PLAIN")
expect_match "greeting" "$out" '^220 relay.example.com ESMTP'
for ext in PIPELINING "SIZE 65536" 8BITMIME ENHANCEDSTATUSCODES SMTPUTF8 \
    CHUNKING; do
	expect_match "EHLO offers $ext" "$out" "250[- ]$ext"
done
expect_match "no STARTTLS on tls: none" "$(echo "$out" | grep -c STARTTLS)" '^0$'
expect_match "no AUTH on auth: none" "$(echo "$out" | grep -c AUTH)" '^0$'
out=$(printf 'EHLO x\r\nNOOP\r\nHELP\r\nVRFY root\r\nEXPN staff\r\nRSET\r\nFOO\r\nMAIL FROM:<a@example.com>\r\nMAIL FROM:<a@example.com>\r\nDATA\r\nQUIT\r\n' |
    chat "$P_PLAIN")
expect_match "NOOP" "$out" '250 2.0.0 OK'
expect_match "HELP" "$out" '214 2.0.0 Commands'
expect_match "VRFY disabled" "$out" '502 5.5.1 VRFY command is disabled'
expect_match "EXPN disabled" "$out" '502 5.5.1 EXPN command is disabled'
expect_match "unknown command" "$out" '500 5.5.2 Command not recognized'
expect_match "nested MAIL" "$out" '503 5.5.1 Nested MAIL command'
expect_match "DATA without RCPT" "$out" '554 5.5.1 No valid recipients'
expect_match "QUIT" "$out" '221 2.0.0 Bye'
out=$(printf 'MAIL FROM:<a@example.com>\r\nQUIT\r\n' | chat "$P_PLAIN")
expect_match "MAIL before EHLO" "$out" '503 5.5.1 Send EHLO first'

# Pipelining: the whole transaction in one write (RFC 2920).
out=$(printf 'EHLO x\r\nMAIL FROM:<app@example.com> SIZE=300 BODY=8BITMIME\r\nRCPT TO:<a@dest.example>\r\nRCPT TO:<b@dest.example>\r\nDATA\r\nFrom: app@example.com\r\nSubject: pipelined\r\n\r\nbody\r\n..leading dot\r\n.\r\nQUIT\r\n' |
    chat "$P_PLAIN")
expect_match "pipelined transaction queued" "$out" '250 2.0.0 OK queued as [0-9a-f]{16}'
id=$(echo "$out" | sed -n 's/.*queued as \([0-9a-f]*\).*/\1/p')
msg=$(cat "$T/queue/$id.msg")
expect_match "dot unstuffed once" "$msg" $'\r\n\\.leading dot\r$'
expect_match "Received: added" "$msg" $'Received: from x \\(\\[127.0.0.1\\]\\)\r\n\tby relay.example.com \\(Postern\\) with ESMTP id '"$id"
expect_match "Date: added" "$msg" $'\r\nDate: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} 20[0-9]{2} '
expect_match "Message-ID: added" "$msg" "Message-ID: <$id\.[0-9]+@relay.example.com>"
expect_match "envelope recipients" "$(cat "$T/queue/$id.env")" $'rcpt pending 0 0 a@dest.example\nrcpt pending 0 0 b@dest.example'

# Bare LF lines are accepted as CRLF lines; "\n.\n" does not end DATA.
out=$(printf 'EHLO x\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@dest.example>\r\nDATA\r\nFrom: app@example.com\nSubject: lf\n\nline1\n.\nMAIL FROM:<evil@example.com>\nline2\r\n.\r\nQUIT\r\n' |
    chat "$P_PLAIN")
expect_match "bare LF message queued" "$out" '250 2.0.0 OK queued as'
expect_eq "bare LF: one message, the smuggled MAIL is body" \
    "$(echo "$out" | grep -c '^250 2.1.0')" "1"
id=$(echo "$out" | sed -n 's/.*queued as \([0-9a-f]*\).*/\1/p')
expect_match "bare LF converted to CRLF, no bare LF left" \
    "$(tr -d '\r' <"$T/queue/$id.msg" | wc -l) $(tr -cd '\n' <"$T/queue/$id.msg" | wc -c) $(grep -c $'\r$' "$T/queue/$id.msg")" \
    '^([0-9]+) \1 \1$'
expect_match "smuggled line kept as body" "$(cat "$T/queue/$id.msg")" $'\r\n\r\nMAIL FROM:<evil@example.com>\r\nline2\r$'

# Bare CR: refused with 554 5.6.0, and "\r.\r" never ends DATA.
before=$(queue_count)
out=$(printf 'EHLO x\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@dest.example>\r\nDATA\r\nFrom: app@example.com\r\n\r\nx\r.\rMAIL FROM:<evil@example.com>\r\n.\r\nQUIT\r\n' |
    chat "$P_PLAIN")
expect_match "bare CR refused" "$out" '554 5.6.0 Bare CR in message; use CRLF'
expect_eq "bare CR: exactly one MAIL accepted" "$(echo "$out" | grep -c '^250 2.1.0')" "1"
out=$(printf 'EHLO x\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@dest.example>\r\nDATA\r\nFrom: app@example.com\r\n\r\nx\n.\r\nRSET\r\n.\r\nQUIT\r\n' |
    chat "$P_PLAIN")
expect_match "LF.CRLF does not end DATA" "$out" '250 2.0.0 OK queued'
expect_eq "LF.CRLF: RSET was body" "$(echo "$out" | grep -c '^250 2.0.0 OK$')" "0"
out=$(printf 'EHLO x\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@dest.example>\r\nDATA\r\nFrom: app@example.com\r\n\r\nNUL\0here\r\n.\r\nQUIT\r\n' |
    chat "$P_PLAIN")
expect_match "NUL in DATA refused" "$out" '554 5.6.0 NUL octet in message'
expect_eq "refused messages not queued" "$(queue_count)" "$((before + 1))"

# Sizes: SIZE= over the limit, and a body over it (nothing queued).
before=$(queue_count)
out=$(printf 'EHLO x\r\nMAIL FROM:<app@example.com> SIZE=999999\r\nQUIT\r\n' | chat "$P_PLAIN")
expect_match "SIZE= too big" "$out" '552 5.3.4 Message size exceeds fixed maximum message size'
big=$(head -c 70000 /dev/zero | tr '\0' 'a' | fold -w 70)
out=$( (printf 'EHLO x\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@dest.example>\r\nDATA\r\nFrom: app@example.com\r\n\r\n'
	printf '%s\n' "$big" | sed 's/$/\r/'
	printf '.\r\nQUIT\r\n') | chat "$P_PLAIN")
expect_match "oversized body: 552 5.3.4" "$out" '552 5.3.4 Message too big'
long=$(head -c 1200 /dev/zero | tr '\0' 'b')
out=$(printf 'EHLO x\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@dest.example>\r\nDATA\r\nFrom: app@example.com\r\n\r\n%s\r\n.\r\nQUIT\r\n' "$long" |
    chat "$P_PLAIN")
expect_match "text line over 1000 octets" "$out" '500 5.5.2 Line too long'
out=$(printf 'EHLO x\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@dest.example>\r\nDATA\r\nSubject: no from\r\n\r\nx\r\n.\r\nQUIT\r\n' |
    chat "$P_PLAIN")
expect_match "message without From:" "$out" '554 5.6.0 Message has no From: header'
expect_eq "nothing queued by refused messages" "$(queue_count)" "$before"

# BDAT (RFC 3030): two chunks, the last one LAST; no dot handling.
out=$(printf 'EHLO x\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@dest.example>\r\nBDAT 37\r\nFrom: app@example.com\r\nSubject: b\r\n\r\nBDAT 7 LAST\r\n.\r\nend\nQUIT\r\n' |
    chat "$P_PLAIN")
expect_match "BDAT chunk" "$out" '250 2.0.0 37 octets so far'
expect_match "BDAT LAST queued" "$out" '250 2.0.0 OK queued as'
id=$(echo "$out" | sed -n 's/.*queued as \([0-9a-f]*\).*/\1/p')
expect_match "BDAT body kept dots, LF made CRLF" "$(cat "$T/queue/$id.msg")" $'\r\n\r\n\\.\r\nend\r$'
out=$(printf 'EHLO x\r\nBDAT 4 LAST\r\nabcdNOOP\r\nBDAT x\r\n' | chat "$P_PLAIN")
expect_match "BDAT without MAIL: chunk read, then refused" "$out" $'503 5.5.1 Need MAIL command\n250 2.0.0 OK'
expect_match "BDAT syntax error closes" "$out" '501 5.5.4 Syntax: BDAT size \[LAST\]'

# SMTPUTF8 and the address checks.
out=$(printf 'EHLO x\r\nMAIL FROM:<j\xc3\xb6rg@example.com>\r\nMAIL FROM:<j\xc3\xb6rg@example.com> SMTPUTF8\r\nRCPT TO:<@a.example:b@dest.example>\r\nRCPT TO:<b@dest.example> NOTIFY=NEVER\r\nQUIT\r\n' |
    chat "$P_PLAIN")
expect_match "UTF-8 sender needs SMTPUTF8" "$out" '553 5.6.7 Non-ASCII address needs SMTPUTF8'
expect_match "UTF-8 sender with SMTPUTF8" "$out" '250 2.1.0 OK'
expect_match "source route refused" "$out" '553 5.1.3 Source routes are not accepted'
expect_match "unknown RCPT parameter" "$out" '555 5.5.4 Unsupported RCPT parameter'

# postern queue.
n=$(queue_count)
expect_eq "queue list: one line per message" "$($Q list | wc -l)" "$n"
expect_match "queue list line" "$($Q list | head -1)" '^[0-9a-f]{16} [0-9]+ [0-9]+s <app@example.com> [^ ]+ queued$'
expect_eq "queue list --json" "$($Q list --json | /usr/bin/python3 -c 'import json,sys;print(len(json.load(sys.stdin)))')" "$n"
expect_match "queue hold" "$($Q hold "$id")" 'hold: 1 message'
expect_match "held in list" "$($Q list | grep "^$id")" ' held$'
expect_match "queue show --json" "$($Q show "$id" --json)" '"state": "held"'
$Q release "$id" >/dev/null
expect_match "released" "$($Q list | grep "^$id")" ' queued$'
expect_match "queue flush" "$($Q flush)" "flush: $n messages"
$Q delete "$id" >/dev/null
expect_eq "queue delete" "$(queue_count)" "$((n - 1))"
set +e
err=$($Q show "$id" 2>&1)
rc=$?
set -e
expect_eq "show of a deleted id exits 1" "$rc" "1"
expect_eq "show of a deleted id says so" "$err" "postern queue show $id: no such message in the queue"
err=$($Q show ../../etc 2>&1) || true
expect_match "show of a non-id" "$err" 'expected list, flush, or show'
expect_eq "control socket mode" "$(stat -c %a "$T/control.sock")" "600"
for f in "$T"/queue/*.msg; do rm -f "$f" "${f%.msg}.env"; done
expect_eq "empty queue lists nothing" "$($Q list)" ""
expect_eq "empty queue --json" "$($Q list --json)" "[]"

kill -0 "$RELAY_PID" && pass "daemon still up"
finish
