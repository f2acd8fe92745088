#!/usr/bin/env python3
"""Process-tree measurements for the benchmark and the soak test (Linux /proc).

  procstat.py cpu PID...          CPU seconds (user+system) of each PID's tree:
                                  the process itself, its reaped children
                                  (cutime+cstime) and its live descendants.
  procstat.py rss PID...          resident set size (KiB) summed over the trees.
  procstat.py peak OUT PID...     samples the summed RSS every 0.2 s until
                                  SIGTERM, then writes the peak (KiB) to OUT.
  procstat.py fsyncs DIR SECS     4 KiB write + fsync of a new file, as fast
                                  as possible for SECS seconds: fsyncs/s.
"""
import os
import signal
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def stat_fields(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    # the command name is in parentheses and may hold spaces
    return s[s.rindex(")") + 2:].split()


def children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            ppid = int(stat_fields(int(d))[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree(roots):
    kids = children_map()
    out, todo = [], list(roots)
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu(roots):
    total = 0.0
    for p in tree(roots):
        try:
            f = stat_fields(p)
        except OSError:
            continue
        # fields after the name: utime stime cutime cstime at 11..14
        total += sum(int(x) for x in f[11:15]) / TICK
    return total


def rss(roots):
    total = 0
    for p in tree(roots):
        try:
            with open("/proc/%d/statm" % p) as f:
                total += int(f.read().split()[1]) * PAGE_KB
        except (OSError, ValueError, IndexError):
            continue
    return total


def peak(out, roots):
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    best = 0
    while not stop[0]:
        best = max(best, rss(roots))
        time.sleep(0.2)
    best = max(best, rss(roots))
    with open(out, "w") as f:
        f.write("%d\n" % best)


def fsyncs(d, secs):
    n, end = 0, time.monotonic() + secs
    block = os.urandom(4096)
    start = time.monotonic()
    while time.monotonic() < end:
        name = os.path.join(d, "fsync.%d" % (n % 64))
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, block)
        os.fsync(fd)
        os.close(fd)
        n += 1
    took = time.monotonic() - start
    for i in range(min(n, 64)):
        os.unlink(os.path.join(d, "fsync.%d" % i))
    print("%.0f" % (n / took))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "cpu":
        print("%.2f" % cpu([int(a) for a in args]))
    elif cmd == "rss":
        print(rss([int(a) for a in args]))
    elif cmd == "peak":
        peak(args[0], [int(a) for a in args[1:]])
    elif cmd == "fsyncs":
        fsyncs(args[0], float(args[1]))
    else:
        sys.exit("procstat.py: unknown command %s" % cmd)


if __name__ == "__main__":
    main()
