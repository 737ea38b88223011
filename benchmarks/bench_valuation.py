"""Valuation performance, as ratios against a baseline measured in the same run.

    python benchmarks/bench_valuation.py

Baseline: one QWATERFALL call on the sample cap table (warm: its model cached), the cost of
any one cell of the deal model. Figures: QOPM and QBACKSOLVE warm (median of repeated calls
on the cached model: what a workbook pays per cell once the cap table's election map is
built), the same cold (map built inside the call), QPWERM over 10 scenarios, QDLOM, and QOPM
against the number of breakpoints of synthetic charters (the closed form is linear in them).
Targets (issue 15): QOPM under 50 ms warm, QBACKSOLVE under 500 ms.
"""

import statistics
import time

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))   # run from a checkout, installed or not

from xl_quintus.charter.terms import quintus
from xl_quintus.excel import QBACKSOLVE, QDLOM, QOPM, QPWERM, QWATERFALL
from xl_quintus.excel.functions import _model
from xl_quintus.exit.model import model_for
from xl_quintus.exit.valuation import payoff

CT = [["Class", "Shares"]] + [[s.name, s.authorized] for s in quintus().series] + [["Common", 12_000_000]]


def timed(fn, repeat=1):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cold(fn):
    model_for.cache_clear()
    payoff.cache_clear()
    return timed(fn)


def synthetic(n_series):
    """A terms range of n pari passu, capped participating series (3 breakpoints each at most)
    and a cap table holding them, for the size curve."""
    terms = [["Class", "Authorized", "Issue Price", "Seniority", "Participation", "Cap"]]
    table = [["Class", "Shares"], ["Common", 1_000_000]]
    for i in range(n_series):
        terms.append([f"S{i}", 100_000, 1 + i / 10, 1 + i % 3, "capped", 2 * (1 + i / 10) + i / 100])
        table.append([f"S{i}", 100_000])
    return terms, table


def main():
    QWATERFALL(150_000_000, CT)                          # build the model once
    base = timed(lambda: QWATERFALL(150_000_000, CT), repeat=50)
    print(f"baseline: one QWATERFALL call (warm)                     {base * 1e3:9.3f} ms")

    QOPM(250_000_000, CT, 0.6, 3, 0.04)
    opm_warm = timed(lambda: QOPM(250_000_000, CT, 0.6, 3, 0.04), repeat=50)
    print(f"QOPM, sample cap table, warm (target < 50 ms)            {opm_warm * 1e3:9.3f} ms  {opm_warm / base:7.1f} x baseline")
    bs_warm = timed(lambda: QBACKSOLVE("F", 8.25, CT, 0.6, 3, 0.04), repeat=11)
    print(f"QBACKSOLVE F at $8.25, warm (target < 500 ms)            {bs_warm * 1e3:9.3f} ms  {bs_warm / base:7.1f} x baseline")
    bs6 = timed(lambda: QBACKSOLVE("G-6", 11, CT, 0.6, 3, 0.04), repeat=11)
    print(f"QBACKSOLVE G-6 at $11.00 (payout jumps down), warm       {bs6 * 1e3:9.3f} ms  {bs6 / base:7.1f} x baseline")
    scen = [[100e6 * (i + 1), 0.1, 1 + i % 4, 0.25] for i in range(10)]
    pw = timed(lambda: QPWERM(scen, CT), repeat=11)
    print(f"QPWERM, 10 scenarios, warm                               {pw * 1e3:9.3f} ms  {pw / base:7.1f} x baseline")
    dl = timed(lambda: QDLOM(0.6, 2), repeat=1001)
    print(f"QDLOM                                                    {dl * 1e3:9.3f} ms")

    opm_cold = cold(lambda: QOPM(250_000_000, CT, 0.6, 3, 0.04))
    print(f"QOPM cold (3(a) election map built in the call)          {opm_cold * 1e3:9.1f} ms  {opm_cold / base:7.1f} x baseline")
    bs_cold = cold(lambda: QBACKSOLVE("F", 8.25, CT, 0.6, 3, 0.04))
    print(f"QBACKSOLVE cold                                          {bs_cold * 1e3:9.1f} ms  {bs_cold / base:7.1f} x baseline")

    print("QOPM against the number of payout pieces (synthetic charters, conversions none, warm):")
    for n in (5, 20, 80):
        terms, table = synthetic(n)
        QOPM(10 * n * 100_000, table, 0.6, 3, 0.04, "none", None, None, terms)
        pieces = len(payoff(_model(table, "none", None, None, terms)).starts)
        t = timed(lambda: QOPM(10 * n * 100_000, table, 0.6, 3, 0.04, "none", None, None, terms), repeat=11)
        print(f"  {n:3d} series, {pieces:4d} pieces                                {t * 1e3:9.3f} ms")


if __name__ == "__main__":
    main()
