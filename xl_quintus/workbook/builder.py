"""Sample deal-model workbooks, written with XlsxWriter (tooling, beside the engine).

Every Q-function cell is written as a formula Excel 365 spills (dynamic-array metadata), with
its spill range sized to the result the Python function gives for the same inputs, so the file
opens in Excel already laid out; ``xl_quintus.recalc`` then fills every cached value.
Run ``xl-quintus build-workbooks [DIR]`` (the committed files in ``workbooks/`` come from it).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..excel import functions as excel
from ..excel.cells import to_serial
from ..charter.terms import quintus

MODEL_NAME = "quintus-deal-model.xlsx"
FIXED_TIME = dt.datetime(2026, 1, 1)      # document properties: the same file every build

HOLDERS = [
    ("Founders", "Common", 12_000_000),
    ("Alpha Ventures", "Series A Preferred", 9_100_000),
    ("Alpha Ventures", "Series B Preferred", 1_000_000),
    ("Beta Capital", "Series C Preferred", 3_000_000),
    ("Beta Capital", "Series D Preferred", 1_455_000),
    ("Gamma Growth", "Series E Preferred", 3_000_000),
    ("Gamma Growth", "Series F Preferred", 1_500_000),
] + [("Delta Partners", f"Series {s.name} Preferred", s.authorized) for s in quintus().series if s.family == "G"]

EVENTS = [
    ("Date", "Event", "Shares", "Consideration", "Ref"),
    (dt.date(1999, 11, 10), "Purchase", None, None, "G-1"),
    (dt.date(2000, 3, 1), "Grant", 500_000, 1_500_000, "Warrant-1"),
    (dt.date(2000, 6, 1), "Issue", 2_000_000, 5_000_000, None),
    (dt.date(2001, 1, 15), "Expire", 200_000, None, "Warrant-1"),
    (dt.date(2001, 6, 30), "Split", 2, None, None),
]

CONSENTS = [("Holder", "Class", "Shares"), ("Alpha Ventures", "Series A Preferred", 9_100_000),
            ("Gamma Growth", "Series E Preferred", 3_000_000), ("Gamma Growth", "Series F Preferred", 1_500_000)]


def _col(n: int) -> str:
    s = ""
    while n >= 0:
        s = chr(65 + n % 26) + s
        n = n // 26 - 1
    return s


def _ref(sheet: str, r0: int, c0: int, r1: int, c1: int) -> str:
    return f"'{sheet}'!${_col(c0)}${r0 + 1}:${_col(c1)}${r1 + 1}"


class _Sheet:
    """A worksheet plus the Q-function cells written on it (address -> formula)."""

    def __init__(self, book, name: str, formats):
        self.ws = book.add_worksheet(name)
        self.name = name
        self.f = formats
        self.q_cells: dict[str, str] = {}

    def table(self, r: int, c: int, rows) -> str:
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if isinstance(v, dt.date):
                    self.ws.write_datetime(r + i, c + j, dt.datetime(v.year, v.month, v.day), self.f["date"])
                elif v is not None:
                    self.ws.write(r + i, c + j, v, self.f["head"] if i == 0 and isinstance(v, str) else None)
        return _ref(self.name, r, c, r + len(rows) - 1, c + max(len(x) for x in rows) - 1)

    def q(self, r: int, c: int, formula: str, result) -> tuple[int, int]:
        """Write ``=formula`` at (r, c): a dynamic array sized to ``result`` if it is a table.
        Returns the (rows, columns) it spills to."""
        addr = f"{_col(c)}{r + 1}"
        self.q_cells[addr] = formula
        if isinstance(result, list):
            grid = result if result and isinstance(result[0], list) else [result]
            n, m = len(grid), max(len(x) for x in grid)
            self.ws.write_dynamic_array_formula(r, c, r + n - 1, c + m - 1, f"={formula}", None,
                                                _cached(grid[0][0]))
            return n, m
        fmt = self.f["date"] if isinstance(result, dt.date) else self.f["money"] if isinstance(result, float) else None
        self.ws.write_formula(r, c, f"={formula}", fmt, _cached(result))
        return 1, 1


def _cached(v):
    if isinstance(v, dt.date):
        return to_serial(v)
    return v


def build_deal_model(path: Path) -> dict[str, dict[str, str]]:
    """Write the Quintus deal model; return {sheet: {address: formula}} of its Q cells."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"title": "Quintus deal model (xl-quintus)", "created": FIXED_TIME})
    book.set_calc_mode("auto")
    formats = {"head": book.add_format({"bold": True}), "money": book.add_format({"num_format": "#,##0.00"}),
               "date": book.add_format({"num_format": "yyyy-mm-dd"}), "pct": book.add_format({"num_format": "0.00%"})}
    sheets: list[_Sheet] = []

    # Cap table ---------------------------------------------------------------------------
    cap = _Sheet(book, "CapTable", formats)
    sheets.append(cap)
    cap_rows = [("Holder", "Class", "Shares")] + HOLDERS
    cap_ref = cap.table(0, 0, cap_rows)
    cap_values = [list(r) for r in cap_rows]
    cap.ws.set_column(0, 1, 24)
    cap.ws.write(0, 4, "Findings (QCHECK)", formats["head"])
    cap.q(1, 4, f"QCHECK({cap_ref})", excel.QCHECK(cap_values))

    # Exit: waterfall, payouts by exit value, breakpoints, chart --------------------------------
    ex = _Sheet(book, "Exit", formats)
    sheets.append(ex)
    ex.ws.write(0, 0, "Exit value", formats["head"])
    ex.ws.write_number(0, 1, 150_000_000, formats["money"])
    ex.ws.write(1, 0, "Waterfall at that exit (QWATERFALL)", formats["head"])
    n, _ = ex.q(2, 0, f"QWATERFALL(B1,{cap_ref})", excel.QWATERFALL(150_000_000, cap_values))
    row = 2 + n + 1
    ex.ws.write(row, 0, "Payout by exit value (QPAYOUT)", formats["head"])
    exits = [float(v) for v in range(0, 820_000_000, 20_000_000)]
    ex.table(row + 1, 0, [("Exit Value",)] + [(v,) for v in exits])
    exit_ref = _ref("Exit", row + 2, 0, row + 1 + len(exits), 0)
    payees = ["A-D", "E", "F", "G", "Common"]
    for j, who in enumerate(payees, start=1):
        ex.ws.write(row + 1, j, who, formats["head"])
        ex.q(row + 2, j, f'QPAYOUT({exit_ref},"{who}",{cap_ref})',
             excel.QPAYOUT([[v] for v in exits], who, cap_values))
    chart = book.add_chart({"type": "line"})
    for j, who in enumerate(payees, start=1):
        chart.add_series({"name": who, "categories": exit_ref,
                          "values": _ref("Exit", row + 2, j, row + 1 + len(exits), j)})
    chart.set_title({"name": "Payout by class against exit value (charter IV.B Section 2)"})
    chart.set_x_axis({"name": "Exit value"})
    chart.set_y_axis({"name": "Payout", "num_format": "#,##0"})
    ex.ws.insert_chart(row + 1, 7, chart, {"x_scale": 2, "y_scale": 1.5})
    bp_row = row + 3 + len(exits)
    ex.ws.write(bp_row, 0, "Breakpoints (QBREAKPOINTS)", formats["head"])
    ex.q(bp_row + 1, 0, f"QBREAKPOINTS({cap_ref})", excel.QBREAKPOINTS(cap_values))
    ex.ws.set_column(0, 0, 22)
    ex.ws.set_column(1, 10, 16)

    # IPO ------------------------------------------------------------------------------------
    ipo = _Sheet(book, "IPO", formats)
    sheets.append(ipo)
    ipo.table(0, 0, [("Price per share", 6.0), ("Aggregate offering", 60_000_000.0), ("Firm commitment", True)])
    ipo.ws.write(4, 0, "Conversion at the IPO (QIPO)", formats["head"])
    n, _ = ipo.q(5, 0, f"QIPO(B1,B2,{cap_ref},,B3)", excel.QIPO(6.0, 60_000_000.0, cap_values, None, True))
    r = 5 + n + 1
    ipo.table(r, 0, [("Class", "Shares", "Common (QCONVERT)", "Cash Amount (QCASH)"),
                     ("E", 1_000), ("F", 1_000), ("A", 1_000), ("D", 1_000)])
    for i, (cls, shares) in enumerate([("E", 1_000), ("F", 1_000), ("A", 1_000), ("D", 1_000)], start=1):
        ipo.q(r + i, 2, f"QCONVERT(A{r + i + 1},B{r + i + 1},,$B$1)", excel.QCONVERT(cls, shares, None, 6.0))
        ipo.q(r + i, 3, f"QCASH(A{r + i + 1},B{r + i + 1})", excel.QCASH(cls, shares))
    ipo.ws.set_column(0, 0, 22)

    # Down round -----------------------------------------------------------------------------
    dr = _Sheet(book, "DownRound", formats)
    sheets.append(dr)
    ev_ref = dr.table(0, 0, EVENTS)
    ev_values = [[_cached(v) if isinstance(v, dt.date) else v for v in row] for row in EVENTS]
    r = len(EVENTS) + 1
    dr.ws.write(r, 0, "Series E Conversion Price (QCONVPRICE)", formats["head"])
    dr.q(r, 3, f'QCONVPRICE("E",{ev_ref},{cap_ref})', excel.QCONVPRICE("E", ev_values, cap_values))
    dr.ws.write(r + 2, 0, "Ledger (QCONVLEDGER)", formats["head"])
    n, _ = dr.q(r + 3, 0, f"QCONVLEDGER({ev_ref},{cap_ref})", excel.QCONVLEDGER(ev_values, cap_values))
    for i in range(1, n):                       # the ledger's Date column shows dates
        dr.ws.write_blank(r + 3 + i, 0, None, formats["date"])
    r2 = r + 3 + n + 1
    dr.ws.write(r2, 0, "Waterfall at $150,000,000 after the down round", formats["head"])
    dr.q(r2 + 1, 0, f"QWATERFALL(150000000,{cap_ref},,{ev_ref})",
         excel.QWATERFALL(150_000_000, cap_values, None, ev_values))
    dr.ws.set_column(0, 0, 14)
    dr.ws.set_column(1, 1, 40)

    # Governance -----------------------------------------------------------------------------
    gov = _Sheet(book, "Governance", formats)
    sheets.append(gov)
    gov.ws.write(0, 0, "Voting power (QVOTINGPOWER)", formats["head"])
    n, _ = gov.q(1, 0, f"QVOTINGPOWER({cap_ref})", excel.QVOTINGPOWER(cap_values))
    r = 1 + n + 1
    gov.ws.write(r, 0, "Board of 7 (QBOARD)", formats["head"])
    n, _ = gov.q(r + 1, 0, f"QBOARD({cap_ref},7)", excel.QBOARD(cap_values, 7))
    r = r + 1 + n + 1
    consent_ref = gov.table(r, 0, CONSENTS)
    consent_values = [list(x) for x in CONSENTS]
    r = r + len(CONSENTS) + 1
    gov.ws.write(r, 0, "A merger (6(b)) with these consents (QAPPROVAL)", formats["head"])
    gov.q(r + 1, 0, f'QAPPROVAL("6(b)",{consent_ref},{cap_ref})', excel.QAPPROVAL("6(b)", consent_values, cap_values))
    gov.ws.write(r + 5, 0, "Notice for a record date of 2026-12-31 (QNOTICE)", formats["head"])
    gov.ws.write_datetime(r + 6, 0, dt.datetime(2026, 12, 31), formats["date"])
    gov.q(r + 6, 1, f"QNOTICE(A{r + 7})", excel.QNOTICE(dt.datetime(2026, 12, 31)))
    gov.ws.set_column(0, 0, 44)

    # Dividends ------------------------------------------------------------------------------
    div = _Sheet(book, "Dividends", formats)
    sheets.append(div)
    div.table(0, 0, [("Declared for the year", 5_000_000.0)])
    div.q(2, 0, f"QDIVIDEND(B1,{cap_ref})", excel.QDIVIDEND(5_000_000.0, cap_values))
    div.ws.set_column(0, 0, 22)

    # xlwings.conf: classic xlwings finds the functions here (UDF Modules) ---------------------
    conf = book.add_worksheet("xlwings.conf")
    conf.write(0, 0, "UDF Modules")
    conf.write(0, 1, "xl_quintus.excel")
    book.close()
    return {s.name: s.q_cells for s in sheets}


def build_all(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MODEL_NAME
    build_deal_model(path)
    return [path]
