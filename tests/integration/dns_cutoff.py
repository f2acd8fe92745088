#!/usr/bin/env python3
"""A UDP DNS forwarder that answers the first N queries from an upstream
server, then sends SIGTERM to the upstream's PID and answers nothing more:
the resolver going away in the middle of a check.

  dns_cutoff.py UPSTREAM_PORT N UPSTREAM_PID
Prints "PORT=P" once listening; stops on SIGTERM.
"""
import os
import signal
import socket
import sys

up_port, limit, up_pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("PORT=%d" % s.getsockname()[1], flush=True)
up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
up.settimeout(2)
n = 0
while True:
    q, peer = s.recvfrom(65535)
    n += 1
    if n > limit:
        if n == limit + 1:
            os.kill(up_pid, signal.SIGTERM)
            print("cut after %d queries" % limit, file=sys.stderr, flush=True)
        continue
    up.sendto(q, ("127.0.0.1", up_port))
    try:
        a, _ = up.recvfrom(65535)
    except socket.timeout:
        continue
    s.sendto(a, peer)
