# Sourced by run-bench.sh: a private Postfix instance (config, queue, logs in
# $W/pf) with OpenDKIM as its milter on a local socket, relaying everything
# from 127.0.0.1 to the smtp-sink; check.example goes to the check sink.
# Sets PF_PORT, PF_MASTER (master's pid) and ODKIM_PID.

postfix_config() {
	local d=$W/pf
	mkdir -p "$d/etc" "$d/spool" "$d/data" "$OD"
	chown postfix "$d/data"
	cat >"$d/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $d/spool
data_directory = $d/data
command_directory = $(postconf -dh command_directory)
daemon_directory = $PF_LIBEXEC
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.example.com
mydomain = example.com
myorigin = example.com
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_peername_lookup = no
relayhost = [127.0.0.1]:$SINK
transport_maps = texthash:$d/etc/transport
default_destination_concurrency_limit = $C
smtpd_milters = unix:$OD/odkim.sock
non_smtpd_milters = \$smtpd_milters
milter_default_action = tempfail
smtp_tls_security_level = none
smtpd_tls_security_level = none
maillog_file = $d/maillog
biff = no
CONF
	echo "check.example smtp:[127.0.0.1]:$CHK_PORT" >"$d/etc/transport"
	cat >"$d/etc/master.cf" <<CONF
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CONF
	cp "$W/state/keys/example.com/pst1.key" "$OD/pst1.key"
	chmod 600 "$OD/pst1.key"
	cat >"$OD/opendkim.conf" <<CONF
Syslog no
Mode s
Domain example.com
Selector pst1
KeyFile $OD/pst1.key
Canonicalization relaxed/relaxed
SignatureAlgorithm rsa-sha256
OversignHeaders From
Socket local:$OD/odkim.sock
UMask 000
InternalHosts 127.0.0.1
CONF
}

postfix_start() {
	PF_PORT=$(free_port)
	postfix_config
	opendkim -f -x "$OD/opendkim.conf" >"$OD/log" 2>&1 &
	ODKIM_PID=$!
	PIDS+=($ODKIM_PID)
	for _ in $(seq 1 100); do
		[ -S "$OD/odkim.sock" ] && break
		sleep 0.1
	done
	postfix -c "$W/pf/etc" start >"$W/pf/start.log" 2>&1 || {
		cat "$W/pf/start.log" >&2
		return 1
	}
	wait_port "$PF_PORT" || return 1
	PF_MASTER=$(tr -d ' ' <"$W/pf/spool/pid/master.pid")
}

postfix_stop() {
	postfix -c "$W/pf/etc" stop >/dev/null 2>&1
	kill "$ODKIM_PID" 2>/dev/null
	wait "$ODKIM_PID" 2>/dev/null
}
