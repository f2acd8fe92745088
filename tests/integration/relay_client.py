#!/usr/bin/python3
"""Raw SMTP clients for the posternd integration tests.

chat PORT [--tls] [--src IP] [--idle S] [--stream]: read the greeting, send
    standard input as it is (all at once, or as it comes with --stream),
    print every reply until the server closes or stays silent for S s
    (default 5).
load N PORT: N connections at once, each sends one message; prints the
    number of 250 replies to the end of DATA.
burst N PORT FILE: N messages over 8 parallel connections; every queue id
    that got 250 is appended to FILE at once (with its marker).
"""
import socket
import ssl
import sys
import threading
import time


def connect(port, tls=False, src=None, timeout=45):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                 source_address=(src, 0) if src else None)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    return s


def read_reply(f):
    lines = []
    while True:
        line = f.readline()
        if not line:
            raise EOFError("connection closed")
        lines.append(line.decode("latin-1").rstrip("\r\n"))
        if len(line) < 4 or line[3:4] != b"-":
            return lines


def stream(s):
    """Send standard input as it comes (for slow clients)."""
    import os
    try:
        while True:
            b = os.read(0, 4096)
            if not b:
                return
            s.sendall(b)
    except OSError:
        return


def chat(args):
    port = int(args[0])
    tls = "--tls" in args
    src = args[args.index("--src") + 1] if "--src" in args else None
    idle = float(args[args.index("--idle") + 1]) if "--idle" in args else 5
    s = connect(port, tls, src)
    s.settimeout(idle)
    out = b""
    try:
        out += s.recv(65536)
        if "--stream" in args:
            threading.Thread(target=stream, args=(s,), daemon=True).start()
        else:
            s.sendall(sys.stdin.buffer.read())
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ConnectionResetError, BrokenPipeError,
            ssl.SSLError):
        pass
    sys.stdout.write(out.decode("latin-1").replace("\r\n", "\n"))


def send_message(port, marker, body_lines=3):
    s = connect(port)
    f = s.makefile("rb")
    read_reply(f)
    # From a domain without keys: the load measures intake, not signing.
    msg = ("From: app@nokeys.example\r\nTo: x@dest.example\r\n"
           "Subject: %s\r\n\r\n" % marker)
    msg += "".join("line %d of %s\r\n" % (i, marker)
                   for i in range(body_lines))
    for cmd in ("EHLO load.example", "MAIL FROM:<app@example.com>",
                "RCPT TO:<x@dest.example>", "DATA"):
        s.sendall(cmd.encode() + b"\r\n")
        read_reply(f)
    s.sendall(msg.encode() + b".\r\n")
    r = read_reply(f)[-1]
    try:
        s.sendall(b"QUIT\r\n")
        read_reply(f)
    except (EOFError, OSError):
        pass
    s.close()
    return r


def load(args):
    n, port = int(args[0]), int(args[1])
    ok = []
    errors = []

    def one(i):
        try:
            r = send_message(port, "load-%d" % i)
            if r.startswith("250 "):
                ok.append(i)
            else:
                errors.append(r)
        except Exception as e:  # noqa: BLE001 (report any failure)
            errors.append(repr(e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(len(ok))
    print("%.2f" % (time.time() - start), file=sys.stderr)
    for e in errors[:5]:
        print("error: " + e, file=sys.stderr)


def burst(args):
    n, port, path = int(args[0]), int(args[1]), args[2]
    lock = threading.Lock()
    counter = [0]
    out = open(path, "a")

    def worker():
        while True:
            with lock:
                if counter[0] >= n:
                    return
                counter[0] += 1
                i = counter[0]
            marker = "burst-%d" % i
            try:
                r = send_message(port, marker, body_lines=50)
            except Exception:  # noqa: BLE001 (the daemon was killed)
                return
            if r.startswith("250 "):
                with lock:
                    out.write("%s %s\n" % (r.split()[-1], marker))
                    out.flush()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    {"chat": chat, "load": load, "burst": burst}[sys.argv[1]](sys.argv[2:])
