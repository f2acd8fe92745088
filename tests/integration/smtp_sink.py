#!/usr/bin/env python3
"""A scriptable SMTP sink for integration tests: the recipients' MX.

Listens on 127.0.0.1 (or ::1) and stores every accepted message as
DIR/N.eml with the envelope in DIR/N.json. The reply to each recipient
depends on its local part:
  fail550...  -> 550 5.1.1 user unknown
  defer451... -> 451 4.2.0 try again later
  once451...  -> 451 the first time that address is seen, then 250
  drop...     -> the connection is closed without a reply
Other options: --starttls CERT KEY (offer STARTTLS), --no-esmtp (answer
EHLO with 502), --banner-code 554, --hang-data (accept DATA, never answer
the end), --reply-lines N (a banner of N lines), --no-8bitmime,
--no-smtputf8, --chunking (offer CHUNKING and accept BDAT), --max-size N,
--bad-tls (STARTTLS whose handshake fails), --drop-data N (the first N
messages: the connection is closed halfway through DATA, without a reply),
--delay-data SECS (wait that long after the final dot; store and reply
only if the client is still there).
Prints "PORT=N" once listening. Stops on SIGTERM.
"""
import argparse
import asyncio
import json
import os
import re
import signal
import ssl
import sys

seen_once = set()
connections = [0]
dropped = [0]


class Session:
    def __init__(self, args, reader, writer):
        self.a = args
        self.r = reader
        self.w = writer
        self.tls = False
        connections[0] += 1
        self.conn = connections[0]
        self.reset()

    def reset(self):
        self.mail = None
        self.rcpts = []

    async def send(self, text):
        self.w.write(text.encode() + b"\r\n")
        await self.w.drain()

    async def readline(self):
        line = await self.r.readline()
        if not line:
            raise ConnectionError("client went away")
        return line.rstrip(b"\r\n").decode("latin-1")

    def store(self, data):
        os.makedirs(self.a.dir, exist_ok=True)
        n = len([f for f in os.listdir(self.a.dir) if f.endswith(".eml")])
        base = os.path.join(self.a.dir, "%06d" % n)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data)
        with open(base + ".json", "w") as f:
            json.dump({"mail": self.mail, "rcpts": self.rcpts,
                       "tls": self.tls, "helo": self.helo,
                       "conn": self.conn}, f)
        os.rename(base + ".eml.tmp", base + ".eml")

    async def ehlo(self, arg):
        self.helo = arg
        if self.a.no_esmtp:
            await self.send("502 5.5.1 no ESMTP here")
            return
        ext = ["PIPELINING", "SIZE %d" % self.a.max_size,
               "ENHANCEDSTATUSCODES"]
        if not self.a.no_8bitmime:
            ext.append("8BITMIME")
        if not self.a.no_smtputf8:
            ext.append("SMTPUTF8")
        if self.a.chunking:
            ext.append("CHUNKING")
        if self.a.starttls and not self.tls:
            ext.append("STARTTLS")
        lines = ["sink.test"] + ext
        for i, l in enumerate(lines):
            await self.send("250%s%s" % ("-" if i < len(lines) - 1 else " ", l))

    async def rcpt(self, addr):
        local = addr.split("@")[0].lower()
        if local.startswith("fail550"):
            await self.send("550 5.1.1 <%s>: user unknown" % addr)
        elif local.startswith("defer451"):
            await self.send("451 4.2.0 <%s>: try again later" % addr)
        elif local.startswith("once451") and addr not in seen_once:
            seen_once.add(addr)
            await self.send("451 4.2.0 <%s>: greylisted" % addr)
        elif local.startswith("drop"):
            self.w.close()
            raise ConnectionError("dropped on purpose")
        else:
            self.rcpts.append(addr)
            await self.send("250 2.1.5 ok")

    async def data(self):
        if not self.rcpts:
            await self.send("554 5.5.1 no valid recipients")
            return
        await self.send("354 go ahead")
        buf = bytearray()
        drop = dropped[0] < self.a.drop_data
        while True:
            line = await self.r.readline()
            if not line:
                raise ConnectionError("eof in data")
            if drop and len(buf) > 512:
                dropped[0] += 1
                self.w.close()
                raise ConnectionError("dropped in DATA on purpose")
            if line == b".\r\n":
                break
            if line.startswith(b"."):
                line = line[1:]
            buf += line
        if self.a.hang_data:
            await asyncio.sleep(3600)
        if self.a.delay_data:
            await asyncio.sleep(self.a.delay_data)
            if self.r.at_eof():  # the client went away: not acknowledged
                raise ConnectionError("client went away before the reply")
        self.store(bytes(buf))
        await self.send("250 2.0.0 queued as %d" % len(buf))
        self.reset()

    async def bdat(self, arg):
        m = re.match(r"(\d+)( LAST)?$", arg, re.I)
        if not m:
            await self.send("501 5.5.4 bad BDAT")
            return
        chunk = await self.r.readexactly(int(m.group(1)))
        self.chunks = getattr(self, "chunks", b"") + chunk
        if m.group(2):
            self.store(self.chunks)
            self.chunks = b""
            await self.send("250 2.0.0 ok")
            self.reset()
        else:
            await self.send("250 2.0.0 chunk ok")

    async def starttls(self):
        if not self.a.starttls or self.tls:
            await self.send("502 5.5.1 no")
            return
        await self.send("220 2.0.0 go ahead")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.a.starttls[0], self.a.starttls[1])
        if self.a.bad_tls:
            # Only TLS 1.0, which the relay refuses: the handshake fails.
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1
        await self.w.start_tls(ctx)
        self.tls = True
        self.reset()

    async def run(self):
        self.helo = None
        if self.a.reply_lines > 1:
            for _ in range(self.a.reply_lines - 1):
                self.w.write(b"220-sink.test hello hello hello\r\n")
        await self.send("%d sink.test ESMTP" % self.a.banner_code)
        while True:
            line = await self.readline()
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                await self.ehlo(arg)
            elif verb == "HELO":
                self.helo = arg
                await self.send("250 sink.test")
            elif verb == "STARTTLS":
                await self.starttls()
            elif verb == "MAIL":
                m = re.match(r"FROM:<([^>]*)>", arg, re.I)
                self.mail = m.group(1) if m else arg
                await self.send("250 2.1.0 ok")
            elif verb == "RCPT":
                m = re.match(r"TO:<([^>]*)>", arg, re.I)
                await self.rcpt(m.group(1) if m else arg)
            elif verb == "DATA":
                await self.data()
            elif verb == "BDAT" and self.a.chunking:
                await self.bdat(arg)
            elif verb == "RSET":
                self.reset()
                await self.send("250 2.0.0 ok")
            elif verb == "NOOP":
                await self.send("250 2.0.0 ok")
            elif verb == "QUIT":
                await self.send("221 2.0.0 bye")
                self.w.close()
                return
            else:
                await self.send("500 5.5.2 what?")


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--no-esmtp", action="store_true")
    p.add_argument("--no-8bitmime", action="store_true")
    p.add_argument("--no-smtputf8", action="store_true")
    p.add_argument("--chunking", action="store_true")
    p.add_argument("--hang-data", action="store_true")
    p.add_argument("--bad-tls", action="store_true")
    p.add_argument("--banner-code", type=int, default=220)
    p.add_argument("--reply-lines", type=int, default=1)
    p.add_argument("--max-size", type=int, default=52428800)
    p.add_argument("--drop-data", type=int, default=0)
    p.add_argument("--delay-data", type=float, default=0)
    a = p.parse_args()

    async def handle(reader, writer):
        try:
            await Session(a, reader, writer).run()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, a.host, a.port, limit=1 << 20)
    print("PORT=%d" % server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
