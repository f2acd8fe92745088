# Helpers for the posternd tests (sourced after lib.sh).
: "${POSTERND:?POSTERND must name the posternd binary}"

RC="/usr/bin/python3 $SOURCE_DIR/tests/integration/relay_client.py"

# relay_config FILE EXTRA_LISTEN...: a config with three listeners on free
# ports ($P_SUB starttls/required, $P_SMTPS implicit/required, $P_PLAIN
# none/none), user crm (password "secret", senders *@example.com), DKIM
# keys for example.com (rsa pst1, ed25519 pst1e) made with openssl.
relay_config() {
	local file=$1 allow=${2:-127.0.0.1/32} limits=${3:-}
	P_SUB=$(free_port)
	P_SMTPS=$(free_port)
	P_PLAIN=$(free_port)
	P_OPT=$(free_port)
	HASH=$(printf 'secret' | "$POSTERN" passwd)
	mkdir -p "$T/state/keys/example.com"
	chmod 700 "$T/state" "$T/state/keys" "$T/state/keys/example.com"
	if [ ! -f "$T/state/keys/example.com/pst1.key" ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		    -out "$T/state/keys/example.com/pst1.key" 2>/dev/null
		openssl genpkey -algorithm ed25519 \
		    -out "$T/state/keys/example.com/pst1e.key"
		chmod 600 "$T/state/keys/example.com/"*.key
	fi
	cat >"$file" <<CONF
state_dir: $T/state
relay:
  hostname: relay.example.com
  public_ips: [127.0.0.1]
  listen:
    - { address: "127.0.0.1:$P_SUB", tls: starttls, auth: required }
    - { address: "127.0.0.1:$P_SMTPS", tls: implicit, auth: required }
    - { address: "127.0.0.1:$P_PLAIN", tls: none, auth: none }
    - { address: "127.0.0.1:$P_OPT", tls: starttls, auth: optional }
  users:
    - { name: crm, password_hash: "$HASH", senders: ["*@example.com"] }
  allow_networks: [$allow]
  max_message_size: 64K
  limits: { connections: 300, connections_per_ip: ${PER_IP:-250}, recipients: 50,
            errors: 20, command_timeout: ${CMD_TIMEOUT:-4s},
            data_timeout: ${DATA_TIMEOUT:-6s} $limits }
  queue: { path: $T/queue }
  control: $T/control.sock
  run_as: ""
  metrics: ""
domains:
  - name: example.com
    provider: hand
    dkim:
      - { selector: pst1, algorithm: rsa-2048 }
      - { selector: pst1e, algorithm: ed25519 }
  - name: nokeys.example
    provider: hand
providers:
  hand: { type: manual }
CONF
}

# start_relay CONFIG: posternd --foreground, log in $T/relay.log.
start_relay() {
	"$POSTERND" -c "$1" --foreground >>"$T/relay.log" 2>&1 &
	RELAY_PID=$!
	PIDS+=("$RELAY_PID")
	wait_port "$P_PLAIN"
}

# queue_count: messages committed in the queue.
queue_count() {
	find "$T/queue" -name '*.env' | wc -l
}

# chat PORT [opts]: raw SMTP with standard input (see relay_client.py).
chat() {
	$RC chat "$@"
}
