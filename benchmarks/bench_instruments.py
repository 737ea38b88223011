"""Options and warrants: cost of the exercise choice, as ratios against a baseline measured in
the same run, plus absolute times and a curve over the number of tranches.

    python benchmarks/bench_instruments.py

Baseline: one exact QWATERFALL on the sample cap table without instruments (cold model).
Figures: the same with the charter's B and C warrants (the exercise fixed point solved at one
exit); the exact exit-value map (every exercised set's own 3(a) map included); QBREAKPOINTS;
a 10,000-value QPAYOUT column (numpy sweep) against exact value-by-value calls; then, for 1, 2,
4 and 8 Common tranches on a 50-holder table, one QWATERFALL and the map.
"""

import random
import statistics
import time

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))   # run from a checkout, installed or not

from xl_quintus.charter.terms import quintus
from xl_quintus.excel import QBREAKPOINTS, QPAYOUT, QWATERFALL
from xl_quintus.exit.model import model_for

HEADER = ["Holder", "Class", "Shares", "Exercise Price"]


def timed(fn, repeat=1):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cold(fn, repeat=3):
    def run():
        model_for.cache_clear()
        fn()
    return timed(run, repeat)


def main():
    random.seed(7)
    plain = [["Class", "Shares"]] + [[s.name, s.authorized] for s in quintus().series] + [["Common", 12_000_000]]
    warrants = ([HEADER] + [[None, c, n, None] for c, n in plain[1:]]
                + [["Warrant B", "B", 192_262, 1.43], ["Warrant C", "C", 55_340, 1.91]])
    base = cold(lambda: QWATERFALL(100_000_000, plain), repeat=5)
    print(f"baseline: QWATERFALL, sample cap table, cold           {base * 1e3:9.1f} ms")
    one = cold(lambda: QWATERFALL(100_000_000, warrants), repeat=5)
    print(f"QWATERFALL with the B and C warrants, cold             {one * 1e3:9.1f} ms   {one / base:7.1f} x baseline")

    from xl_quintus.exit.exercise import ExerciseModel
    from xl_quintus.charter.cap_table import CapTable
    table = CapTable.of([tuple(r) for r in warrants[1:]])
    m = ExerciseModel(table)
    t_map = timed(m.exercise_map)
    print(f"exact exit-value map (B and C warrants)                {t_map * 1e3:9.1f} ms   {t_map / base:7.1f} x baseline"
          f"   ({len(m._inner)} exercised sets, {len(m.exercise_map()[0])} points)")
    t_bp = cold(lambda: QBREAKPOINTS(warrants), repeat=1)
    print(f"QBREAKPOINTS with the warrants, cold                   {t_bp * 1e3:9.1f} ms   {t_bp / base:7.1f} x baseline")

    col = [[random.uniform(0, 900e6)] for _ in range(10_000)]
    QPAYOUT(col[:40], "Warrant B", warrants)                   # the map, once
    t_sweep = timed(lambda: QPAYOUT(col, "Warrant B", warrants))
    print(f"QPAYOUT over 10,000 exit values (warm, numpy sweep)    {t_sweep * 1e3:9.1f} ms   {t_sweep / base:7.1f} x baseline")
    sample = col[:200]
    t_exact = timed(lambda: [QPAYOUT(v[0], "Warrant B", warrants) for v in sample]) / len(sample)
    print(f"  exact value by value, per value (warm)               {t_exact * 1e3:9.3f} ms   "
          f"sweep per value {t_sweep / len(col) * 1e3:.4f} ms")

    print("\ntranches on a 50-holder table (Series E, F, G-2, Common; Common options at 0.50, 1.00, ...):")
    print("tranches   one QWATERFALL (cold)    exercise map")
    for n in (1, 2, 4, 8):
        rows = [HEADER] + [[f"h{k}", random.choice(["E", "F", "G-2", "Common"]), random.randint(1_000, 40_000), None]
                           for k in range(50)]
        rows += [[f"h{k}", "Common", random.randint(10_000, 200_000), 0.5 * (k + 1)] for k in range(n)]
        t1 = cold(lambda: QWATERFALL(20_000_000, rows), repeat=1)
        em = ExerciseModel(CapTable.of([tuple(r) for r in rows[1:]]))
        t2 = timed(em.exercise_map)
        print(f"{n:8d}   {t1 * 1e3:12.1f} ms          {t2 * 1e3:10.1f} ms   ({len(em._inner)} exercised sets)")


if __name__ == "__main__":
    main()
