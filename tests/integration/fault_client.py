#!/usr/bin/env python3
"""Clients for the fault suite (tests/integration/test_fault_*.sh).

  submit PORT COUNT THREADS ACCEPTED SECONDS [PREFIX]
      COUNT messages over THREADS parallel connections (one message per
      connection), each with a unique X-Fault-Id and an END line; the id of
      every message that got 250 after DATA is appended to ACCEPTED. A
      failure (refused, dropped, 4xx) is retried with a new id. Stops after
      SECONDS. Prints "accepted=N failures=N".
  verify SINKDIR ACCEPTED [QUEUED_IDS]
      reads every message the sink stored: prints one JSON object with the
      counts delivered, unique, duplicates, truncated, and missing (accepted,
      neither delivered nor among QUEUED_IDS, a file of ids).
  many PORT N SECONDS
      N connections at once, each must get a 220 banner; while all are open
      one more connection submits a message; then each says EHLO and QUIT.
      Prints "banners=N ehlo=N quit=N submitted=0|1".
  fill PORT COUNT RCPT
      COUNT messages to RCPT, one connection each; prints every final reply
      to DATA (or to the command refused), one a line.
"""
import asyncio
import json
import os
import smtplib
import sys
import threading
import time

LINES = 30


def message(mid):
    body = "".join("line %02d of %s %s\r\n" % (i, mid, "x" * 40)
                   for i in range(LINES))
    return ("From: <sender@example.com>\r\nTo: <rcpt@dest.example>\r\n"
            "Subject: fault %s\r\nX-Fault-Id: %s\r\n\r\n%sEND %s\r\n"
            % (mid, mid, body, mid))


def send_one(port, mid, rcpt="rcpt@dest.example"):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.ehlo("fault.test")
        s.sendmail("sender@example.com", [rcpt], message(mid))


def submit(port, count, threads, accepted, seconds, prefix):
    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "fail": 0}
    end = time.monotonic() + seconds
    out = open(accepted, "a")

    def worker(t):
        attempt = 0
        while time.monotonic() < end:
            with lock:
                if state["next"] >= count:
                    return
                n = state["next"]
                state["next"] += 1
            while time.monotonic() < end:
                attempt += 1
                mid = "%s%d-%d-%d" % (prefix, t, n, attempt)
                try:
                    send_one(port, mid)
                except (OSError, smtplib.SMTPException):
                    with lock:
                        state["fail"] += 1
                    time.sleep(0.05)
                    continue
                with lock:
                    state["ok"] += 1
                    out.write(mid + "\n")
                    out.flush()
                break

    ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.close()
    print("accepted=%d failures=%d" % (state["ok"], state["fail"]))


def verify(sinkdir, accepted, queued=None):
    want = set(open(accepted).read().split())
    inq = set(open(queued).read().split()) if queued else set()
    seen = {}
    truncated = 0
    for f in sorted(os.listdir(sinkdir)):
        if not f.endswith(".eml"):
            continue
        data = open(os.path.join(sinkdir, f), "rb").read().decode("latin-1")
        mid = None
        for line in data.split("\r\n"):
            if line.lower().startswith("x-fault-id:"):
                mid = line.split(":", 1)[1].strip()
                break
        if mid is None or not data.endswith("END %s\r\n" % mid) or \
                data.count("line ") < LINES:
            truncated += 1
            continue
        seen[mid] = seen.get(mid, 0) + 1
    missing = [m for m in want if m not in seen and m not in inq]
    print(json.dumps({
        "accepted": len(want), "delivered": sum(seen.values()),
        "unique": len(seen), "duplicates": sum(v - 1 for v in seen.values()),
        "truncated": truncated, "missing": len(missing),
        "missing_ids": sorted(missing)[:5],
        "unknown": len([m for m in seen if m not in want])}))


async def many(port, n, seconds):
    async def hold(i, got):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        line = await r.readline()
        if line.startswith(b"220"):
            got["banner"] += 1
        return r, w

    got = {"banner": 0, "ehlo": 0, "quit": 0}
    conns = await asyncio.wait_for(
        asyncio.gather(*(hold(i, got) for i in range(n)),
                       return_exceptions=True), seconds)
    ok = [c for c in conns if not isinstance(c, BaseException)]
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, send_one, port, "many-1")
        submitted = 1
    except (OSError, smtplib.SMTPException):
        submitted = 0

    async def finish(r, w):
        w.write(b"EHLO many.test\r\n")
        await w.drain()
        while True:
            line = await r.readline()
            if not line.startswith(b"250-"):
                break
        if line.startswith(b"250 "):
            got["ehlo"] += 1
        w.write(b"QUIT\r\n")
        await w.drain()
        if (await r.readline()).startswith(b"221"):
            got["quit"] += 1
        w.close()

    await asyncio.wait_for(
        asyncio.gather(*(finish(r, w) for r, w in ok), return_exceptions=True),
        seconds)
    print("banners=%d ehlo=%d quit=%d submitted=%d"
          % (got["banner"], got["ehlo"], got["quit"], submitted))


def fill(port, count, rcpt):
    for i in range(count):
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
                s.ehlo("fault.test")
                s.sendmail("sender@example.com", [rcpt],
                           message("fill-%d" % i))
                print("250")
        except smtplib.SMTPResponseException as e:
            print("%d %s" % (e.smtp_code, e.smtp_error.decode()))
        except smtplib.SMTPRecipientsRefused as e:
            code, text = list(e.recipients.values())[0]
            print("%d %s" % (code, text.decode()))
        except smtplib.SMTPSenderRefused as e:
            print("%d %s" % (e.smtp_code, e.smtp_error.decode()))
        except (OSError, smtplib.SMTPException) as e:
            print("error %s" % e)


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "submit":
        submit(int(a[0]), int(a[1]), int(a[2]), a[3], float(a[4]),
               a[5] if len(a) > 5 else "m")
    elif cmd == "verify":
        verify(a[0], a[1], a[2] if len(a) > 2 else None)
    elif cmd == "many":
        asyncio.run(many(int(a[0]), int(a[1]), float(a[2])))
    elif cmd == "fill":
        fill(int(a[0]), int(a[1]), a[2])
    else:
        sys.exit("fault_client.py: unknown command " + cmd)


if __name__ == "__main__":
    main()
