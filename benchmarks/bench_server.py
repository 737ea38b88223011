"""xl-quintus serve under load: 1, 4, 16 and 64 concurrent clients on loopback.

    python benchmarks/bench_server.py [--calls 240] [--memory-calls 10000] [--quick]

Each client keeps one HTTP connection and posts custom-functions-call bodies exactly as the
add-in builds them (xl_quintus/server/client.py) over a mix of QWATERFALL, QPAYOUT columns and
QCONVLEDGER on a 50-holder cap table. Every reply is compared with the in-process value of the
same call; any error or difference is counted and makes the script exit 1.

Baseline, measured in the same run: the same calls in this process (warm), one after another.
Configurations: "inline" (xlwings Server's own way: a plain function runs on the event loop),
"threads" (xl-quintus: each call in a worker thread, the loop stays free), and threads with two
server processes (``--workers 2``). Then ``--memory-calls`` distinct calls (every exit value
new) against one server, with the RSS of the server processes every 1,000 calls.
Bounded: a fixed number of calls per level, an HTTP timeout of 120 s per call, loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

from xl_quintus.charter.terms import quintus
from xl_quintus.excel import functions as F
from xl_quintus.server.client import RunningServer, body, reply

LEVELS = (1, 4, 16, 64)
CALL = "/xlwings/custom-functions-call"


def cap_table(variant: int = 0) -> list[list]:
    """50 holders: four funds in each of the 12 series (a fifth of its authorized shares each),
    founders' Common; ``variant`` moves a few shares so each variant is its own cap table."""
    rows = [["Holder", "Class", "Shares"]]
    for s in quintus().series:
        for k in range(4):
            rows.append([f"{s.name} Fund {k + 1}", s.name, s.authorized // 5 - (variant if k == 0 else 0)])
    rows.append(["Founders", "Common", 12_000_000 + variant])
    rows.append(["Option Pool", "Common", 1_500_000])
    return rows


LEDGER_CT = [["Class", "Shares"], ["A", 1_000_000], ["C", 500_000], ["E", 1_000_000], ["F", 500_000], ["Common", 2_000_000]]


def events(k: int) -> list[list]:
    return [["Date", "Event", "Shares", "Consideration", "Ref"],
            [36892, "Issue", 1_000_000, 2_000_000 + 1000 * k, None],     # 2001-01-01
            [37257, "Issue", 500_000, 500_000 + 10 * k, None],           # 2002-01-01
            [37622, "Issue", 2_000_000, 3_000_000, None]]                # 2003-01-01


def mix(n: int, distinct: bool = False, tables: int = 4) -> list[tuple[str, list]]:
    """``n`` calls: 45% QWATERFALL, 35% QPAYOUT columns (10 or 40 exit values), 20% QCONVLEDGER.
    ``distinct``: every exit value and event amount new (the memory run)."""
    cts = [cap_table(v) for v in range(tables)]
    calls = []
    for i in range(n):
        ct = cts[i % tables]
        step = i if distinct else i % 37
        kind = i % 20
        if kind < 9:
            calls.append(("QWATERFALL", [20_000_000 + 1_234_567.89 * step, ct]))
        elif kind < 16:
            size = 10 if kind % 2 else 40
            column = [[5_000_000 + 250_000 * j + 0.01 * step] for j in range(size)]
            calls.append(("QPAYOUT", [column, ["E", "Common", "A-D", "G"][i % 4], ct]))
        else:
            calls.append(("QCONVLEDGER", [events(step if distinct else step % 5), LEDGER_CT]))
    return calls


def in_process(name, args):
    return getattr(F, name)(*args)


def expected_replies(calls):
    """What the server must answer: xlwings' conversion of the in-process value (compared as
    JSON values: 46367 equals 46367.0, a date is a FormattedNumber with the date format)."""
    return [{"result": reply(in_process(n, a))} for n, a in calls]


def baseline(calls) -> list[float]:
    for n, a in calls:                       # warm: the server's caches are warm too
        in_process(n, a)
    times = []
    for n, a in calls:
        t = time.perf_counter()
        in_process(n, a)
        times.append(time.perf_counter() - t)
    return times


def drive(port: int, calls, expected, clients: int, on_progress=None):
    """Post every call once over ``clients`` keep-alive connections; (latencies, errors, wrong, elapsed)."""
    work: queue.Queue = queue.Queue()
    for i, c in enumerate(calls):
        work.put((i, c))
    lat = [0.0] * len(calls)
    errors, wrong = [], []
    lock = threading.Lock()
    done = [0]

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            try:
                i, (name, args) = work.get_nowait()
            except queue.Empty:
                break
            payload = json.dumps(body(name, *args))
            t = time.perf_counter()
            try:
                conn.request("POST", CALL, payload, {"Content-Type": "application/json"})
                r = conn.getresponse()
                text = r.read().decode()
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                status, text = 0, repr(e)
            lat[i] = time.perf_counter() - t
            with lock:
                if status != 200:
                    errors.append((name, status, text[:200]))
                elif expected[i] is not None and json.loads(text) != expected[i]:
                    wrong.append((name, i))
                done[0] += 1
                if on_progress:
                    on_progress(done[0])
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, errors, wrong, time.perf_counter() - t0


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants (uvicorn workers), MB."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(d))
            except OSError:
                pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=240, help="calls per concurrency level (default 240)")
    ap.add_argument("--memory-calls", type=int, default=10_000, help="distinct calls in the memory run (default 10,000)")
    ap.add_argument("--quick", action="store_true", help="60 calls per level, 1,000 in the memory run")
    args = ap.parse_args()
    if args.quick:
        args.calls, args.memory_calls = 60, 1000

    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs "
          "(other work on this machine shows up in every figure)")
    calls = mix(args.calls)
    expected = expected_replies(calls)
    base = baseline(calls)
    base_total = sum(base)
    print(f"mix: {args.calls} calls ({sum(n == 'QWATERFALL' for n, _ in calls)} QWATERFALL, "
          f"{sum(n == 'QPAYOUT' for n, _ in calls)} QPAYOUT columns, {sum(n == 'QCONVLEDGER' for n, _ in calls)} QCONVLEDGER), "
          f"50-holder cap tables")
    print(f"baseline, in process, one after another: {len(base) / base_total:8.1f} calls/s   "
          f"p50 {pct(base, 50) * 1e3:7.2f} ms   p99 {pct(base, 99) * 1e3:7.2f} ms\n")
    print(f"{'server':<22}{'clients':>8}{'calls/s':>10}{'x in-proc':>10}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'p50/in-proc':>12}{'errors':>7}{'wrong':>6}")
    failures = 0
    configs = [("inline (xlwings)", 1, {"XL_QUINTUS_INLINE_CALLS": "1"}), ("threads", 1, {}), ("threads, 2 workers", 2, {})]
    for label, workers, env in configs:
        with tempfile.TemporaryDirectory() as tmp, RunningServer(Path(tmp), workers=workers, env=env) as server:
            drive(server.port, calls, expected, 4)          # warm-up: every worker's caches, as the baseline's
            for clients in LEVELS:
                lat, errors, wrong, elapsed = drive(server.port, calls, expected, clients)
                failures += len(errors) + len(wrong)
                rate = len(calls) / elapsed
                print(f"{label:<22}{clients:>8}{rate:>10.1f}{rate * base_total / len(base):>10.2f}"
                      f"{pct(lat, 50) * 1e3:>9.1f}{pct(lat, 99) * 1e3:>9.1f}"
                      f"{pct(lat, 50) / pct(base, 50):>12.1f}{len(errors):>7}{len(wrong):>6}")
                for e in errors[:3]:
                    print("   error:", e)
        print()

    n = args.memory_calls
    print(f"memory: {n:,} distinct calls (every exit value new), 16 clients, one server (threads)")
    mem_calls = mix(n, distinct=True)
    expected_mem = expected_replies(mem_calls)          # computed first: each reply checked as it comes
    with tempfile.TemporaryDirectory() as tmp, RunningServer(Path(tmp)) as server:
        drive(server.port, mix(40), expected_replies(mix(40)), 4)
        samples = [(0, rss_mb(server.pid()))]

        def progress(k):
            if k % 1000 == 0:
                samples.append((k, rss_mb(server.pid())))

        lat, errors, wrong, elapsed = drive(server.port, mem_calls, expected_mem, 16, progress)
        print(f"  {n / elapsed:.1f} calls/s, p50 {pct(lat, 50) * 1e3:.1f} ms, p99 {pct(lat, 99) * 1e3:.1f} ms, "
              f"{len(errors)} errors, {len(wrong)} replies differing from the in-process value")
        print("  RSS MB after calls: " + ", ".join(f"{k:,}: {m:.0f}" for k, m in samples))
        first = samples[min(2, len(samples) - 1)]
        print(f"  growth from {first[0]:,} calls to the end: {samples[-1][1] - first[1]:+.1f} MB")
        failures += len(errors) + len(wrong)
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"\n{'OK' if not failures else 'FAILED'}: {failures} errors or wrong answers in all")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
