#!/usr/bin/env python3
"""Verify every DKIM-Signature of a message independently (dkimpy), asking
DNS through kdig at the server given: an Authentication-Results-style
verdict line per signature. Exit 0 only when every signature passes."""
import re
import subprocess
import sys

import dkim


def main():
    path, server, port = sys.argv[1], sys.argv[2], sys.argv[3]
    msg = open(path, "rb").read()

    def dnsfunc(name, timeout=5):
        out = subprocess.run(
            ["kdig", "+short", "+time=2", "@" + server, "-p", port, "TXT",
             name.decode().rstrip(".")],
            capture_output=True, text=True).stdout
        # "a" "b" -> ab (the strings of one record, joined)
        return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', out)).encode()

    sigs = [m for m in re.finditer(rb"^DKIM-Signature:", msg, re.M)]
    if not sigs:
        print("dkim=none (no signature)")
        return 1
    ok = True
    d = dkim.DKIM(msg)
    for idx in range(len(sigs)):
        good = d.verify(idx=idx, dnsfunc=dnsfunc)
        sig = dict(d.signature_fields) if d.signature_fields else {}
        print("dkim=%s header.d=%s header.s=%s header.a=%s" % (
            "pass" if good else "fail",
            sig.get(b"d", b"?").decode(), sig.get(b"s", b"?").decode(),
            sig.get(b"a", b"?").decode()))
        ok = ok and good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
