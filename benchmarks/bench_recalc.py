"""Headless recalculation of a model with 1,000 Q-function cells, end to end.

    python benchmarks/bench_recalc.py

Baseline: the same workbook with 1,000 plain Excel formulas (=A2*2) instead, recalculated the
same way in the same run. Target: 1,000 Q-function cells under 5 s.
"""

import tempfile
import time
from pathlib import Path

import xlsxwriter

from xl_quintus.workbook.recalc import recalc
from xl_quintus.charter.terms import quintus

N = 1_000


def build(path: Path, q: bool):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Model")
    ws.write_row(0, 0, ["Class", "Shares"])
    rows = [(s.name, s.authorized) for s in quintus().series] + [("Common", 12_000_000)]
    for i, (c, n) in enumerate(rows, start=1):
        ws.write_row(i, 0, [c, n])
    cap = f"$A$1:$B${len(rows) + 1}"
    who = ["E", "F", "A-D", "G", "Common"]
    for i in range(N):
        ws.write_number(i + 1, 3, 1_000_000.0 * (i + 1))
        formula = f'=QPAYOUT(D{i + 2},"{who[i % 5]}",{cap})' if q else f"=D{i + 2}*2"
        ws.write_formula(i + 1, 4, formula)
    wb.close()


def main():
    with tempfile.TemporaryDirectory() as d:
        base, model = Path(d) / "plain.xlsx", Path(d) / "q.xlsx"
        build(base, q=False)
        build(model, q=True)
        t = time.perf_counter()
        recalc(base, Path(d) / "plain.out.xlsx")
        t_base = time.perf_counter() - t
        t = time.perf_counter()
        report = recalc(model, Path(d) / "q.out.xlsx")
        t_q = time.perf_counter() - t
    print(f"baseline: 1,000 plain formulas, recalc end to end   {t_base:7.2f} s")
    print(f"1,000 QPAYOUT cells, recalc end to end              {t_q:7.2f} s   {t_q / t_base:5.2f} x baseline"
          f"   ({report.q_cells} Q cells, {len(report.errors)} errors; target under 5 s)")


if __name__ == "__main__":
    main()
