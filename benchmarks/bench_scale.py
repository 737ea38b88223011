"""Speed at size (issue 17): curves of time and peak memory against size, each with its ratio
to the smallest size measured in the same run.

    python benchmarks/bench_scale.py          # every curve (about two minutes)
    python benchmarks/bench_scale.py ledger   # one curve: ledger, amend, plain, holders, groups

Curves:
- ledger: QCONVPRICE on the sample cap table with monthly "Issue 250,000 at $0.75" rows (the
  issue's case: 4 issues 0.04 s, 5 issues 3.7 s, 6 issues 374 s before the fix).
- amend: Grant/Amend pairs (each Amend replays from its Grant, 3(d)(i)(E)(3)).
- plain: a waterfall over an N-event ledger against the same waterfall given the ledger's
  prices as a Class | Conversion Price range (target: within 2x at 50 events).
- holders: QWATERFALL (by class and by holder), QBREAKPOINTS, QVOTINGPOWER, QIPO with N
  employees holding Common beside the sample's funds (target: 10,000 holders under 0.5 s).
- groups: QBREAKPOINTS (optimal election over every exit value) with N custom series, each its
  own conversion group (target: 20 under 2 s; refused past limits.MAX_MAP_GROUPS).

Time is the median of a few cold calls (model and ledger caches cleared), in CPU seconds of
this process (time.process_time: the machine may be shared, and wall time then measures the
neighbours; ``plain`` prints both); peak memory is tracemalloc's peak in a separate call (not
timed).

Figures (CPU seconds on this shared 2-core machine at load average 3-4, where wall time ran
about twice CPU time, so they move by a fifth from run to run; "before" is the same code
without the issue-17 speed commits of 2026-11-28, measured alternately with "after" in one
session):

| | before | after | + brackets | + inner loop |
|---|---|---|---|---|
| waterfall over a 50-event ledger, cold, x the prices typed in (target 2x) | 5.6x | 2.6x | 2.4x | 1.80-1.83x |
| the same, warm (the ledger run by another cell) | 1.37x | 1.24x | 1.2x | 1.10-1.13x |
| the same over 100 events, cold | 9.9x | 4.1x | 3.6x | 2.55-2.61x |
| QCONVPRICE over 500 events (target 1 s) | 0.12 s | 0.04 s | 0.03 s | 0.02 s |
| QBREAKPOINTS, sample cap table | 0.17 s | 0.18 s |
| QBREAKPOINTS, 10,000 holders (target 0.5 s) | 0.51 s | 0.28 s |
| QWATERFALL / QVOTINGPOWER / QIPO, 10,000 holders (target 0.5 s) | 0.12 / 0.16 / 0.13 s | 0.06 / 0.12 / 0.08 s |
| QBREAKPOINTS, 20 conversion groups (target 2 s) | 1.05 s | 1.06 s |

"+ brackets": each adjusted price's kept 20 digits taken from whole-number brackets of the
exact price (anti_dilution.py, "Brackets"), measured alternately with the code just before it
in one session (two rounds each, CPU; wall alike): a cold waterfall over 50 events 2.36-2.40x
the typed-in prices against 2.65-2.69x, over 100 events 3.59-3.62x against 4.07-4.16x; the
ledger alone (the two versions alternating in one process, 40 rounds) 2.4 ms against 3.0 ms
over 50 events (0.80x), 27 against 33 ms over 500, 87 against 106 ms over 1,000. A version in
the decimal module first (40 digits, C-accelerated, the error bounded by counting roundings)
was 6% slower than the exact whole numbers it was to replace: each decimal Context operation
cost 0.3-0.8 us here, and the exact rounding of a ~270-digit fraction only about 1.1 us.

"+ inner loop" (``plain`` run three times alternately with the code just before it, load
average 1.4, CPU and wall alike: 1.80-1.83x against 2.33-2.38x, warm 1.10-1.11x against 1.23x;
the typed-in waterfall 2.0 ms in both, the cold one 3.4-3.6 ms against 4.7-5.0 ms). Profiled
(cProfile, line_profiler, py-spy), the time was Python's cost per series per issuance, not
the size of the numbers (a 200-bit product 60-90 ns, a division 130-230 ns, but ~30
interpreted lines a series). What went: the kept digits decided inline in the issuance's loop, one divmod against
a table of powers of ten by digit count (was a call, two divisions, a digit count by loop);
A's terms bracketed in 10^-30 shares straight from weights x scale (was 10^-60 through a cache
checked per series; the width still leaves ~20 digits of margin); Common kept a whole number
while it is one (a Fraction sum per issuance); the 3(d)(i)(B) anniversaries looked for only once
the oldest carried amount is due (was every series' list at every event); the price limits
checked on the row's prices by min and max; an issuance's label worded only when the ledger's
rows are read; an Issue row validated by one test; _Series with slots. Reading the events range
(xl_quintus/excel/arguments.py) went from ~12 to ~4 us a row: ISO dates by fromisoformat
directly, whole-number cells straight to Fractions, event kinds by one dict, error values looked
for only in text holding "#" (each path tested against excel_date, number and the kind scan),
and an Event hashed on its Fractions' numerators and denominators (a Fraction's own hash is a
modular inverse). The ledger alone (the versions alternating in one process, 20 rounds, CPU):
1.32 ms against 2.22 ms over 50 events (0.60x), 20 against 29 ms over 500 (0.73x), 54 against
67 ms over 1,000 (0.79x; past 3 years each month's anniversary rebuilds every carried list).
Every answer is unchanged: tests/test_ledger_scale.py compares every row with the ledger in
Fractions and with the exact divisions only, on 40-80 event histories.

Where the cold waterfall's time goes now (50 events, py-spy over repeated cold calls): the
typed-in work about 55%, the ledger about 41%, reading the 50 event rows about 6%. In the ledger
(per issuance ~22 us, 12 series): the loop over the series (the below-the-CP test, two products,
the digit count, one divmod, the units) about half, the 3(d)(i)(B) proviso (a named function,
one call a series) about an eighth, A's brackets (12 divisions) about a sixth, the formula's
brackets (4 divisions) about a twelfth; outside it each event's row, price limits and
anniversaries about a tenth. What is left is the same per-series cost spread over these; the
next step would be fewer passes over the series per issuance, not smaller numbers.
"""

import datetime as dt
import statistics
import sys
import time
import tracemalloc

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))   # run from a checkout, installed or not

from xl_quintus.charter.anti_dilution import _cached_ledger
from xl_quintus.charter.terms import quintus
from xl_quintus.excel import (QBREAKPOINTS, QCONVPRICE, QIPO, QPAYOUT, QVOTINGPOWER, QWATERFALL, QuintusExcelError)
from xl_quintus.exit.model import model_for
from xl_quintus.limits import MAX_MAP_GROUPS

SAMPLE = [["Class", "Shares"]] + [[s.name, s.authorized] for s in quintus().series] + [["Common", 12_000_000]]
EVENTS_HEADER = ["Date", "Event", "Shares", "Consideration", "Ref"]


def timed(fn, repeat=3, cold=True):
    """(median CPU seconds, median wall seconds) of ``fn``, each call cold (model and ledger
    caches cleared) unless ``cold`` is False."""
    cpu, wall = [], []
    for _ in range(repeat):
        if cold:
            model_for.cache_clear()
            _cached_ledger.cache_clear()
        t, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - t)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall)


def measure(fn, repeat=3):
    """(median CPU seconds, peak MB) of ``fn`` called cold."""
    t, _ = timed(fn, repeat)
    model_for.cache_clear()
    _cached_ledger.cache_clear()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return t, peak


def curve(title, sizes, make, repeat=3):
    print(f"\n{title}")
    print(f"{'size':>8} {'seconds':>10} {'x smallest':>11} {'peak MB':>9} {'x smallest':>11}")
    base = None
    for n in sizes:
        fn = make(n)
        try:
            t, mb = measure(fn, repeat)
        except QuintusExcelError as e:
            print(f"{n:>8}  refused: {str(e)[:110]}")
            continue
        base = base or (t, max(mb, 1e-3))
        print(f"{n:>8} {t:>10.4f} {t / base[0]:>11.1f} {mb:>9.2f} {mb / base[1]:>11.1f}")


def monthly_issues(n):
    return [[dt.date(2001 + k // 12, 1 + k % 12, 1).isoformat(), "Issue", 250_000, 187_500, None] for k in range(n)]


def grant_amend(n):
    rows = []
    for k in range(n // 2):
        day = dt.date(2001, 1, 1) + dt.timedelta(days=14 * k)
        rows.append([day.isoformat(), "Grant", 100_000, 50_000, f"O{k}"])
        rows.append([(day + dt.timedelta(days=7)).isoformat(), "Amend", 90_000, 40_000, f"O{k}"])
    return rows


def ledger():
    curve("ledger: QCONVPRICE('E'), monthly Issue 250,000 at $0.75 (events)", [4, 6, 16, 50, 100, 250, 500, 1000],
          lambda n: lambda: QCONVPRICE("E", [EVENTS_HEADER] + monthly_issues(n), SAMPLE))


def amend():
    curve("amend: QCONVPRICE('E'), Grant then Amend of each option (events)", [10, 50, 100, 250, 500],
          lambda n: lambda: QCONVPRICE("E", [EVENTS_HEADER] + grant_amend(n), SAMPLE))


def plain(repeat=15):
    print("\nplain: QWATERFALL at $150,000,000 over an N-event ledger against the same prices typed in")
    print("(cold: model and ledger caches cleared; warm: the ledger already run for another cell on the")
    print("same events, as in a workbook. The three calls alternate, and each ratio is the median of the")
    print("ratios within one round, so a neighbour's load shifts both sides alike; CPU and wall seconds)")
    print(f"{'events':>8} {'clock':>5} {'prices s':>10} {'ledger s':>10} {'ratio':>7} {'warm s':>10} {'ratio':>7}")
    for n in (10, 50, 100):
        events = [EVENTS_HEADER] + monthly_issues(n)
        prices = [["Class", "Conversion Price"]] + [[s.name, QCONVPRICE(s.name, events, SAMPLE)] for s in quintus().series]

        def warm():
            model_for.cache_clear()
            QWATERFALL(150e6, SAMPLE, None, events)
        rounds = []
        for _ in range(repeat):
            typed = timed(lambda: QWATERFALL(150e6, SAMPLE, None, prices), repeat=1)
            cold = timed(lambda: QWATERFALL(150e6, SAMPLE, None, events), repeat=1)
            QCONVPRICE("E", events, SAMPLE)                  # another cell ran the ledger
            rounds.append((typed, cold, timed(warm, repeat=1, cold=False)))
        for k, clock in enumerate(("CPU", "wall")):
            t_plain, t_ledger, t_warm = (statistics.median(r[j][k] for r in rounds) for j in range(3))
            ratio_cold = statistics.median(r[1][k] / r[0][k] for r in rounds)
            ratio_warm = statistics.median(r[2][k] / r[0][k] for r in rounds)
            print(f"{n:>8} {clock:>5} {t_plain:>10.4f} {t_ledger:>10.4f} {ratio_cold:>7.2f} {t_warm:>10.4f} "
                  f"{ratio_warm:>7.2f}")


def holders_table(n):
    rows = [["Holder", "Class", "Shares"]] + [[f"Fund {s.name}", s.name, s.authorized] for s in quintus().series]
    return rows + [[f"Employee {k}", "Common", 1_000] for k in range(n)]


def holders():
    sizes = [100, 1_000, 3_000, 10_000]
    for title, call in [
        ("QWATERFALL by class", lambda t: QWATERFALL(150e6, t)),
        ("QWATERFALL by holder", lambda t: QWATERFALL(150e6, t, None, None, None, "holder")),
        ("QBREAKPOINTS", lambda t: QBREAKPOINTS(t)),
        ("QVOTINGPOWER", lambda t: QVOTINGPOWER(t)),
        ("QIPO", lambda t: QIPO(20, 100e6, t)),
        ("QPAYOUT, one employee", lambda t: QPAYOUT(150e6, "Employee 7", t)),
    ]:
        curve(f"holders: {title}, N employees holding Common beside the sample's funds", sizes,
              lambda n, call=call: (lambda t: lambda: call(t))(holders_table(n)))


def custom_series(n):
    terms = [["Class", "Authorized", "Issue Price", "Seniority", "Participation", "Cap", "Votes"]]
    table = [["Class", "Shares"]]
    for k in range(n):
        terms.append([f"S{k}", 1_000_000, 1 + k * 0.25, 1 + k % 3, ["none", "capped", "full"][k % 3],
                      (3 + k * 0.75) if k % 3 == 1 else None, 1])
        table.append([f"S{k}", 500_000])
    return terms, table + [["Common", 10_000_000]]


def groups():
    def make(n):
        terms, table = custom_series(n)
        return lambda: QBREAKPOINTS(table, None, None, None, terms)
    curve(f"groups: QBREAKPOINTS (optimal election map) with N custom series (limit {MAX_MAP_GROUPS})",
          [2, 5, 10, 15, 20, MAX_MAP_GROUPS + 1], make, repeat=1)


CURVES = {"ledger": ledger, "amend": amend, "plain": plain, "holders": holders, "groups": groups}

if __name__ == "__main__":
    for name in sys.argv[1:] or CURVES:
        CURVES[name]()
