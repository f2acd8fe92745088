# Sourced by run-bench.sh: posternd with a plain listener, the gate off,
# every domain routed to the smtp-sink (check.example to the check sink),
# signing with one selector: pst1 (rsa) or pst1e (ed). Sets PST_PORT, PST_PID.

postern_start() { # rsa | ed
	local sel=pst1 alg=rsa-2048
	[ "$1" = ed ] && sel=pst1e alg=ed25519
	PST_PORT=$(free_port)
	rm -rf "$W/pst"
	mkdir -p "$W/pst"
	cat >"$W/pst/postern.yaml" <<CONF
state_dir: $W/state
dns: { blocklists: [] }
relay:
  hostname: relay.example.com
  public_ips: [127.0.0.1]
  listen:
    - { address: "127.0.0.1:$PST_PORT", tls: none, auth: none }
  allow_networks: [127.0.0.1/32]
  max_message_size: 10M
  limits: { connections: 1000, connections_per_ip: 1000 }
  queue: { path: $W/pst/queue }
  delivery: { concurrency: $C }
  routes:
    - { domains: [check.example], via: "127.0.0.1:$CHK_PORT" }
    - { domains: ["*"], via: "127.0.0.1:$SINK" }
  gate: { mode: off }
  control: $W/pst/control.sock
  run_as: ""
  metrics: ""
domains:
  - name: example.com
    provider: hand
    dkim:
      - { selector: $sel, algorithm: $alg }
providers:
  hand: { type: manual }
CONF
	"$POSTERND" -c "$W/pst/postern.yaml" --foreground >>"$W/pst.log" 2>&1 &
	PST_PID=$!
	PIDS+=($PST_PID)
	wait_port "$PST_PORT"
}

postern_stop() {
	kill "$PST_PID" 2>/dev/null
	wait "$PST_PID" 2>/dev/null
}
