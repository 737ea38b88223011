"""Waterfall performance, as ratios against a plain baseline measured in the same run.

    python benchmarks/bench_waterfall.py

Baseline: one exact Section 2 distribution under a fixed election (``Waterfall.distribute``).
Figures: one exact QPAYOUT call (median; "optimal" election), QPAYOUT over a 10,000-row
column and over 1,000,000 values (sweep), and the sweep against exact point-by-point calls.
"""

import random
import statistics
import time

from xl_quintus.cli import sample_cap_table
from xl_quintus.excel import QPAYOUT
from xl_quintus.exit.model import ExitModel, Who, model_for
from xl_quintus.charter.liquidation import Waterfall
from xl_quintus.charter.terms import quintus


def timed(fn, repeat=1):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    random.seed(7)
    ct_rows = [["Class", "Shares"]] + [[s.name, s.authorized] for s in quintus().series] + [["Common", 12_000_000]]
    table = sample_cap_table(quintus())
    w = Waterfall(table)
    base = timed(lambda: w.distribute(150_000_000), repeat=200)
    print(f"baseline: one exact distribution, fixed election      {base * 1e3:9.3f} ms")

    exits = [random.uniform(0, 900e6) for _ in range(51)]
    per_call = []
    for x in exits:
        model_for.cache_clear()
        per_call.append(timed(lambda: QPAYOUT(x, "E", ct_rows)))
    one = statistics.median(per_call)
    print(f"QPAYOUT, one exact call (optimal, median of 51)       {one * 1e3:9.3f} ms   {one / base:8.1f} x baseline")

    model_for.cache_clear()
    col = [[random.uniform(0, 900e6)] for _ in range(10_000)]
    t10k = timed(lambda: QPAYOUT(col, "E", ct_rows))
    print(f"QPAYOUT over a 10,000-row column (cold: map + sweep)  {t10k * 1e3:9.1f} ms   {t10k / base:8.1f} x baseline")
    t10k_warm = timed(lambda: QPAYOUT(col, "E", ct_rows))
    print(f"QPAYOUT over a 10,000-row column (warm model cache)   {t10k_warm * 1e3:9.1f} ms   {t10k_warm / base:8.1f} x baseline")

    m = ExitModel(Waterfall(table), "optimal")
    t_map = timed(m.election_map)
    who = Who(table, "E")
    million = [random.uniform(0, 900e6) for _ in range(1_000_000)]
    t1m = timed(lambda: m.sweep_cents(million, who))
    print(f"optimal-election map over all exit values (once)      {t_map * 1e3:9.1f} ms")
    print(f"sweep of 1,000,000 values (map built)                 {t1m * 1e3:9.1f} ms   "
          f"({m.last_sweep_exact_rows:,} values redone exactly)")
    print(f"1,000,000 values from cold (map + sweep)              {(t_map + t1m) * 1e3:9.1f} ms")
    fixed = ExitModel(Waterfall(table), "none")
    t_fixed = timed(lambda: fixed.sweep_cents(million, who))
    print(f"1,000,000 values, fixed election 'none' (cold)        {t_fixed * 1e3:9.1f} ms")

    sample = million[:300]
    t_exact = timed(lambda: [m.payout_cents(v, who) for v in sample]) / len(sample)
    print(f"exact engine point by point (per value, optimal)      {t_exact * 1e3:9.3f} ms")
    print(f"sweep vs exact point by point, per value              {t_exact / (t1m / len(million)):9.0f} x faster")


if __name__ == "__main__":
    main()
