"""Sample deal-model workbooks, written with XlsxWriter (tooling, beside the engine).

Every Q-function cell is written as a formula Excel 365 spills (dynamic-array metadata), with
its spill range sized to the result the Python function gives for the same inputs, so the file
opens in Excel already laid out; ``xl_quintus.workbook.recalc`` then fills every cached value.
Run ``xl-quintus build-workbooks [DIR]`` (the committed files in ``workbooks/`` come from it).

Layout for people who read models: every cell a Q-table spills into (and one row below it, in
case the table grows) carries the number format of its column, chosen by the column's header
(``COLUMN_KINDS``); input cells are blue on yellow; column widths fit what they show. A new
block is one function ``block(sheet, ctx)`` added to ``SHEETS`` (or called from a sheet's
function); it writes with ``Sheet.title``, ``Sheet.inputs``, ``Sheet.table`` and ``Sheet.q``.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass, field
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

# Options and warrants (cap_table's Exercise Price column): the charter's own warrants for Series
# B (192,262 shares, 3(d)(ii)(I)) and Series C (55,340, (J)), at those series' issue prices.
WARRANTS = [
    ("B warrant holder", "Series B Preferred", 192_262, 1.43),
    ("C warrant holder", "Series C Preferred", 55_340, 1.91),
]

CONSENTS = [("Holder", "Class", "Shares"), ("Alpha Ventures", "Series A Preferred", 9_100_000),
            ("Gamma Growth", "Series E Preferred", 3_000_000), ("Gamma Growth", "Series F Preferred", 1_500_000)]

# -- number formats ------------------------------------------------------------------------------

# kind -> Excel number format. "text" and "flag" cells hold no numbers.
NUMBER_FORMATS = {
    "money": "#,##0.00",
    "shares": "#,##0",
    "per_share": "#,##0.0000",
    "percent": "0.00%",
    "date": "yyyy-mm-dd",
    "ratio": "0.0000",
    "text": "General",
    "flag": '"TRUE";"TRUE";"FALSE"',      # a TRUE/FALSE cell (LibreOffice shows 1/0 under General)
}

# A Q-table column's header -> the kind of number it holds. A numeric column whose header is
# not here (and not matched by COLUMN_SUFFIXES or the block's ``default``) stops the build.
COLUMN_KINDS = {
    "Shares": "shares", "Common Issued": "shares", "Votes": "shares", "Seats": "shares",
    "In Favour": "shares", "Outstanding": "shares", "Shortfall": "shares", "Common (QCONVERT)": "shares",
    "Cash Amount": "money", "Preference": "money", "Participation": "money", "As Common": "money",
    "Total": "money", "Amount": "money", "Exit Value": "money", "Consideration": "money",
    "Cash Amount (QCASH)": "money",
    "Per Share": "per_share", "Conversion Price": "per_share", "Exercise Price": "per_share",
    "Exercise Paid": "money", "Net": "money",
    "Percent": "percent",
    "Value": "money", "Share of Equity": "percent",
    "Date": "date", "Record date": "date", "Mail notice by": "date",
    "Converts": "flag", "Met": "flag",
}
COLUMN_SUFFIXES = {" CP": "per_share", " Carried": "per_share"}

TEXT_WIDTH_CAP = 48        # characters; longer text wraps inside the column


def column_kind(header, default: str | None = None) -> str | None:
    if isinstance(header, str):
        if header in COLUMN_KINDS:
            return COLUMN_KINDS[header]
        for suffix, kind in COLUMN_SUFFIXES.items():
            if header.endswith(suffix):
                return kind
    return default


def _shown(v, kind: str) -> str:
    """Roughly what a cell displays, for the column width."""
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "FALSE" if not v else "TRUE"
    if isinstance(v, (dt.date, dt.datetime)):
        return "2000-01-01"
    if isinstance(v, (int, float)):
        if kind == "date":
            return "2000-01-01"
        if kind == "percent":
            return f"{v * 100:,.2f}%"
        decimals = {"money": 2, "shares": 0, "per_share": 4, "ratio": 4}.get(kind, 2)
        return f"{v:,.{decimals}f}"
    return str(v)


class Styles:
    """One XlsxWriter format per (kind, role); role is body, head, total or input."""

    ROLES = {
        "body": {"valign": "top"},
        "head": {"bold": True, "bottom": 1, "text_wrap": True, "valign": "bottom"},
        "head_number": {"bold": True, "bottom": 1, "text_wrap": True, "valign": "bottom", "align": "right"},
        "total": {"bold": True, "top": 1, "valign": "top"},
        "input": {"font_color": "#0000FF", "bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF"},
        "title": {"bold": True, "font_size": 12},
        "wrap": {"text_wrap": True, "valign": "top"},
    }

    def __init__(self, book):
        self.book = book
        self.cache = {}

    def __call__(self, kind: str = "text", role: str = "body"):
        key = (kind, role)
        if key not in self.cache:
            props = dict(self.ROLES[role])
            if kind != "text":
                props["num_format"] = NUMBER_FORMATS[kind]
            if kind == "flag":
                props["align"] = "center"
            if kind == "text" and role != "title":
                props["indent"] = 1             # text never runs into the number to its left
            self.cache[key] = self.book.add_format(props) if props else None
        return self.cache[key]


def _col(n: int) -> str:
    s = ""
    while n >= 0:
        s = chr(65 + n % 26) + s
        n = n // 26 - 1
    return s


def _ref(sheet: str, r0: int, c0: int, r1: int, c1: int) -> str:
    return f"'{sheet}'!${_col(c0)}${r0 + 1}:${_col(c1)}${r1 + 1}"


def _serial(v):
    if isinstance(v, dt.date):
        return to_serial(v)
    return v


class Sheet:
    """A worksheet, the Q-function cells written on it (address -> formula) and its column widths."""

    def __init__(self, book, name: str, styles: Styles):
        self.book = book
        self.ws = book.add_worksheet(name)
        self.name = name
        self.style = styles
        self.q_cells: dict[str, str] = {}
        self.widths: dict[int, int] = {}
        self.wrapped: list[tuple[int, int, str]] = []      # (row, column, text) of wrapped cells

    # -- writing ---------------------------------------------------------------------------
    def _fit(self, c: int, text: str):
        self.widths[c] = max(self.widths.get(c, 0), min(len(text), TEXT_WIDTH_CAP))

    def _write(self, r: int, c: int, v, kind: str, role: str):
        shown = _shown(v, kind)
        if role != "title":
            self._fit(c, shown)
        if isinstance(v, str) and len(v) > TEXT_WIDTH_CAP and role == "body":
            role = "wrap"
            self.wrapped.append((r, c, v))
        if isinstance(v, bool):
            kind = "flag"
        fmt = self.style("text" if isinstance(v, str) else kind, role)
        if isinstance(v, dt.date):
            self.ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), self.style("date", role))
        elif v is None:
            if fmt is not None:
                self.ws.write_blank(r, c, None, fmt)
        else:
            self.ws.write(r, c, v, fmt)

    def title(self, r: int, c: int, text: str):
        """A section heading; it may run over the empty cells to its right."""
        self._write(r, c, text, "text", "title")

    def label(self, r: int, c: int, text: str):
        self._write(r, c, text, "text", "body")

    def header(self, r: int, c: int, labels):
        """A row of column headers; those over numbers align right."""
        for j, h in enumerate(labels):
            self._write(r, c + j, h, "text", "head" if column_kind(h) in (None, "text", "flag") else "head_number")

    def inputs(self, r: int, c: int, rows, kinds=()) -> str:
        """Input cells (blue on yellow), one list per row; returns the range's reference."""
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                kind = kinds[j] if j < len(kinds) and kinds[j] else ("date" if isinstance(v, dt.date) else
                                                                    "shares" if isinstance(v, int) and not isinstance(v, bool) else
                                                                    "money" if isinstance(v, float) else "text")
                self._write(r + i, c + j, v, kind, "input")
        return _ref(self.name, r, c, r + len(rows) - 1, c + max(len(x) for x in rows) - 1)

    def table(self, r: int, c: int, rows, kinds=()) -> str:
        """A header row then input rows; returns the whole range's reference."""
        kinds = [k or column_kind(h) for h, k in zip(rows[0], list(kinds) + [None] * len(rows[0]))]
        for j, h in enumerate(rows[0]):
            self._write(r, c + j, h, "text", "head" if kinds[j] in (None, "text", "flag") else "head_number")
        self.inputs(r + 1, c, rows[1:], kinds)
        return _ref(self.name, r, c, r + len(rows) - 1, c + max(len(x) for x in rows) - 1)

    def q(self, r: int, c: int, formula: str, result, kind: str | None = None, default: str | None = None,
          grow: int = 1) -> tuple[int, int]:
        """Write ``=formula`` at (r, c): a dynamic array sized to ``result`` if it is a table.

        A table's columns are formatted by their header (the first row of text only), ``default``
        for headers not in ``COLUMN_KINDS``, or ``kind`` for every column; ``grow`` more rows below
        carry the same formats. Returns the (rows, columns) it spills to."""
        addr = f"{_col(c)}{r + 1}"
        self.q_cells[addr] = formula
        if not isinstance(result, list):
            kind = kind or ("date" if isinstance(result, dt.date) else "flag" if isinstance(result, bool)
                            else "text" if isinstance(result, str) else None)
            if kind is None:
                raise ValueError(f"{self.name}!{addr} {formula}: say which number format the result takes")
            self._fit(c, _shown(result, kind))
            self.ws.write_formula(r, c, f"={formula}", self.style(kind), _serial(result))
            return 1, 1
        grid = result if result and isinstance(result[0], list) else [result]
        n, m = len(grid), max(len(x) for x in grid)
        grid = [list(row) + [""] * (m - len(row)) for row in grid]
        head = next((i for i, row in enumerate(grid) if kind is None and all(isinstance(x, str) for x in row)), None)
        kinds = []
        for j in range(m):
            k = kind or column_kind(grid[head][j] if head is not None else None, default)
            numeric = any(isinstance(row[j], (int, float)) and not isinstance(row[j], bool)
                          for row in grid[(head or -1) + 1:])
            if k is None:
                if numeric:
                    raise ValueError(f"{self.name}!{addr} {formula}: column {grid[head][j] if head is not None else j!r}"
                                     " has no number format: add its header to COLUMN_KINDS")
                k = "flag" if any(isinstance(row[j], bool) for row in grid) else "text"
            kinds.append(k)
        self.ws.write_dynamic_array_formula(r, c, r + n - 1, c + m - 1, f"={formula}",
                                            self._cell_format(grid, 0, 0, kinds, head), _serial(grid[0][0]))
        for i in range(n + grow):
            for j in range(m):
                if i == 0 and j == 0:
                    continue
                v = grid[i][j] if i < n else None
                fmt = self._cell_format(grid, i, j, kinds, head) if i < n else self.style(kinds[j])
                self._fit(c + j, _shown(v, kinds[j]) if v is not None else "")
                if isinstance(v, str) and len(v) > TEXT_WIDTH_CAP:
                    self.wrapped.append((r + i, c + j, v))
                if i < n:               # the cached value recalc replaces; formatted like the column
                    self.ws.write_number(r + i, c + j, 0, fmt)
                elif fmt is not None:
                    self.ws.write_blank(r + i, c + j, None, fmt)
        self._fit(c, _shown(grid[0][0], kinds[0]))
        return n, m

    def _cell_format(self, grid, i: int, j: int, kinds, head):
        """Numbers take their column's format; text and TRUE/FALSE their own, wherever they are."""
        v = grid[i][j]
        role = "total" if grid[i][0] == "Total" else "body"
        if head is not None and i == head:
            return self.style("text", "head" if kinds[j] in ("text", "flag") else "head_number")
        if isinstance(v, bool):
            return self.style("flag", role)
        if isinstance(v, str) and v:
            return self.style("text", "wrap" if len(v) > TEXT_WIDTH_CAP else role)
        return self.style(kinds[j], role)

    def finish(self):
        widths = {c: max(w + 2, 9) for c, w in self.widths.items()}
        for c, w in widths.items():
            self.ws.set_column(c, c, w)
        lines = {}
        for r, c, text in self.wrapped:             # wrapped text gets the height it needs
            per_line = max(widths.get(c, 9) - 3, 8)
            lines[r] = max(lines.get(r, 1), len(textwrap.wrap(text, per_line)))
        for r, n in lines.items():
            self.ws.set_row(r, 15 * n)
        self.ws.set_landscape()                 # printed (and rendered to PDF) one page wide, or two
        self.ws.fit_to_pages(1 if sum(widths.values()) < 260 else 2, 0)
        self.ws.set_header(f"&L&\"Calibri,Bold\"Quintus deal model: {self.name}&R&D")


@dataclass
class Context:
    """What blocks share: the cap table's reference and values, the events', ..."""
    cap_ref: str = ""
    cap_values: list = field(default_factory=list)
    diluted_ref: str = ""              # the cap table with its warrants-and-options rows
    diluted_values: list = field(default_factory=list)
    ev_ref: str = ""
    ev_values: list = field(default_factory=list)


# -- the sheets, one function each ---------------------------------------------------------------

def cap_table_sheet(s: Sheet, ctx: Context):
    ctx.cap_ref = s.table(0, 0, [("Holder", "Class", "Shares")] + HOLDERS)
    ctx.cap_values = [["Holder", "Class", "Shares"]] + [list(r) for r in HOLDERS]
    s.title(0, 4, "Findings (QCHECK)")
    s.q(1, 4, f"QCHECK({ctx.cap_ref})", excel.QCHECK(ctx.cap_values), grow=4)
    # Warrants and options: the same range one column wider (Exercise Price), the instruments
    # below a blank row. Rows without a price are the shares above; the Exit sheet reads it all.
    n = 1 + len(HOLDERS)
    s.header(0, 3, ("Exercise Price",))
    s.title(n, 4, "Warrants and options: a row with an Exercise Price buys Shares of Class at that price "
                  "(charter 3(d)(ii)(I)-(J)); the Exit sheet reads A1:D" + str(n + 1 + len(WARRANTS)))
    s.inputs(n + 1, 0, [list(w) for w in WARRANTS], ["text", "text", "shares", "per_share"])
    ctx.diluted_ref = _ref(s.name, 0, 0, n + len(WARRANTS), 3)
    ctx.diluted_values = ([["Holder", "Class", "Shares", "Exercise Price"]] + [list(h) + [None] for h in HOLDERS]
                          + [[None] * 4] + [list(w) for w in WARRANTS])
    r = n + 2 + len(WARRANTS)
    s.title(r, 4, "Findings with the warrants and options (QCHECK): the sample holds every authorized "
                  "B and C share, so the warrants' shares go beyond IV.B")
    s.q(r + 1, 4, f"QCHECK({ctx.diluted_ref})", excel.QCHECK(ctx.diluted_values), grow=2)


def exit_sheet(s: Sheet, ctx: Context):
    s.label(0, 0, "Exit value")
    s.inputs(0, 1, [[150_000_000.0]])
    s.title(1, 0, "Waterfall at that exit, shares outstanding (QWATERFALL)")
    n, _ = s.q(2, 0, f"QWATERFALL(B1,{ctx.cap_ref})", excel.QWATERFALL(150_000_000, ctx.cap_values))
    s.title(1, 10, "With the warrants and options (CapTable, Exercise Price): each exercised when in the "
                   "money, its price joining the proceeds; Net adds up to the exit value")
    s.q(2, 10, f"QWATERFALL(B1,{ctx.diluted_ref})", excel.QWATERFALL(150_000_000, ctx.diluted_values))
    row = 2 + n + 2
    s.title(row, 0, "Payout by exit value, with the warrants and options, net of exercise prices (QPAYOUT)")
    exits = [float(v) for v in range(0, 820_000_000, 20_000_000)]
    s.table(row + 1, 0, [("Exit Value",)] + [(v,) for v in exits])
    exit_ref = _ref(s.name, row + 2, 0, row + 1 + len(exits), 0)
    payees = ["A-D", "E", "F", "G", "Common", "B warrant holder", "C warrant holder"]
    for j, who in enumerate(payees, start=1):
        s._write(row + 1, j, who, "text", "head_number")     # a column of payouts
        s.q(row + 2, j, f'QPAYOUT({exit_ref},"{who}",{ctx.diluted_ref})',
            excel.QPAYOUT([[v] for v in exits], who, ctx.diluted_values), kind="money", grow=0)
    chart = _payout_chart(s, exit_ref, row + 2, row + 1 + len(exits), payees)
    s.ws.insert_chart(row + 1, len(payees) + 2, chart, {"x_scale": 2, "y_scale": 1.5})
    valuation_block(s, ctx, row + 2 + len(exits) + 2)


# Valuation inputs: the OPM's assumptions and the round the equity value is backsolved from.
VALUATION = {"volatility": 0.6, "years": 3.0, "rate": 0.04, "round": "G-6"}


def valuation_block(s: Sheet, ctx: Context, r: int):
    """What each class is worth today: the equity value backsolved from the latest round's
    price (QBACKSOLVE), each class's value at it (QOPM), the DLOM on Common (QDLOM), and a
    chart of value per share by class."""
    v = VALUATION
    s.title(r, 0, "Valuation: option pricing method (QBACKSOLVE, QOPM, QDLOM)")
    rows = [("Volatility", v["volatility"], "percent"), ("Years to a liquidity event", v["years"], "ratio"),
            ("Risk-free rate", v["rate"], "percent"), ("Latest round", v["round"], "text")]
    for i, (label, value, kind) in enumerate(rows, start=1):
        s.label(r + i, 0, label)
        s.inputs(r + i, 1, [[value]], [kind])
    vol, years, rate, rnd = (f"$B${r + i + 1}" for i in range(1, 5))
    price = excel.QTERMS(v["round"], "issue price")
    s.label(r + 5, 0, "Its issue price (QTERMS)")
    s.q(r + 5, 1, f'QTERMS({rnd},"issue price")', price, kind="per_share")
    equity = excel.QBACKSOLVE(v["round"], price, ctx.cap_values, v["volatility"], v["years"], v["rate"])
    s.label(r + 6, 0, "Equity value pricing it (QBACKSOLVE)")
    s.q(r + 6, 1, f"QBACKSOLVE({rnd},$B${r + 6},{ctx.cap_ref},{vol},{years},{rate})", equity, kind="money")
    dlom = excel.QDLOM(v["volatility"], v["years"])
    s.label(r + 7, 0, "DLOM on Common (QDLOM, Finnerty)")
    s.q(r + 7, 1, f"QDLOM({vol},{years})", dlom, kind="percent")
    s.title(r + 9, 0, "Value of each class at that equity value (QOPM)")
    table = excel.QOPM(equity, ctx.cap_values, v["volatility"], v["years"], v["rate"])
    top = r + 10
    n, _ = s.q(top, 0, f"QOPM($B${r + 7},{ctx.cap_ref},{vol},{years},{rate})", table)
    common = next(i for i, row in enumerate(table) if row[0] == "Common")
    s.label(top + n + 1, 0, "Common per share, marketable (QOPM)")
    s.ws.write_formula(top + n + 1, 1, f"=D{top + common + 1}", s.style("per_share"), table[common][3])
    s.label(top + n + 2, 0, "Common per share after the DLOM")
    s.ws.write_formula(top + n + 2, 1, f"=B{top + n + 2}*(1-$B${r + 8})", s.style("per_share"),
                       table[common][3] * (1 - dlom))
    s._fit(1, _shown(table[common][3], "per_share"))
    chart = s.book.add_chart({"type": "column"})
    chart.add_series({"name": "Value per share (QOPM)",
                      "categories": _ref(s.name, top + 1, 0, top + n - 2, 0),
                      "values": _ref(s.name, top + 1, 3, top + n - 2, 3),
                      "data_labels": {"value": True, "num_format": "$0.00"}})
    chart.set_title({"name": "Value per share by class today (option pricing method)", "name_font": {"size": 12}})
    chart.set_y_axis({"name": "Value per share", "num_format": "$0.00", "min": 0})
    chart.set_legend({"none": True})
    s.ws.insert_chart(r, 7, chart, {"x_scale": 2, "y_scale": 1.5})


def breakpoints_sheet(s: Sheet, ctx: Context):
    s.title(0, 0, "Breakpoints (QBREAKPOINTS): each class's and each warrant's share of the next dollar above "
                  "each exit value, and where each warrant comes into the money")
    s.q(1, 0, f"QBREAKPOINTS({ctx.diluted_ref})", excel.QBREAKPOINTS(ctx.diluted_values), default="percent", grow=4)


def _payout_chart(s: Sheet, exit_ref: str, r0: int, r1: int, payees):
    chart = s.book.add_chart({"type": "scatter", "subtype": "straight"})
    for j, who in enumerate(payees, start=1):
        chart.add_series({"name": who, "categories": exit_ref, "values": _ref(s.name, r0, j, r1, j)})
    chart.set_title({"name": "Payout by class against exit value (charter IV.B Section 2)",
                     "name_font": {"size": 12}})
    millions = '$#,##0,,"m"'
    chart.set_x_axis({"name": "Exit value", "num_format": millions, "min": 0, "major_gridlines": {"visible": False}})
    chart.set_y_axis({"name": "Payout", "num_format": millions, "min": 0})
    chart.set_legend({"position": "bottom"})
    return chart


def ipo_sheet(s: Sheet, ctx: Context):
    for i, (label, value, kind) in enumerate([("Price per share", 6.0, "per_share"),
                                              ("Aggregate offering", 60_000_000.0, "money"),
                                              ("Firm commitment", True, "flag")]):
        s.label(i, 0, label)
        s.inputs(i, 1, [[value]], [kind])
    s.title(4, 0, "Conversion at the IPO (QIPO)")
    n, _ = s.q(5, 0, f"QIPO(B1,B2,{ctx.cap_ref},,B3)", excel.QIPO(6.0, 60_000_000.0, ctx.cap_values, None, True))
    r = 5 + n + 2
    s.title(r, 0, "One holding at the IPO price (QCONVERT, QCASH)")
    r += 1
    holdings = [("E", 1_000), ("F", 1_000), ("A", 1_000), ("D", 1_000)]
    s.header(r, 0, ("Class", "Shares", "Common (QCONVERT)", "Cash Amount (QCASH)"))
    s.inputs(r + 1, 0, holdings, ["text", "shares"])
    for i, (cls, shares) in enumerate(holdings, start=1):
        s.q(r + i, 2, f"QCONVERT(A{r + i + 1},B{r + i + 1},,$B$1)", excel.QCONVERT(cls, shares, None, 6.0), kind="shares")
        s.q(r + i, 3, f"QCASH(A{r + i + 1},B{r + i + 1})", excel.QCASH(cls, shares), kind="money")


def down_round_sheet(s: Sheet, ctx: Context):
    ctx.ev_ref = s.table(0, 0, EVENTS)
    ctx.ev_values = [[_serial(v) for v in row] for row in EVENTS]
    r = len(EVENTS) + 1
    s.title(r, 0, "Series E Conversion Price after the events (QCONVPRICE)")
    s.q(r, 3, f'QCONVPRICE("E",{ctx.ev_ref},{ctx.cap_ref})', excel.QCONVPRICE("E", ctx.ev_values, ctx.cap_values),
        kind="per_share")
    s.title(r + 2, 0, "Ledger (QCONVLEDGER)")
    n, _ = s.q(r + 3, 0, f"QCONVLEDGER({ctx.ev_ref},{ctx.cap_ref})", excel.QCONVLEDGER(ctx.ev_values, ctx.cap_values),
               grow=2)
    r2 = r + 3 + n + 2
    s.title(r2, 0, "Waterfall at $150,000,000 after the down round (QWATERFALL)")
    s.q(r2 + 1, 0, f"QWATERFALL(150000000,{ctx.cap_ref},,{ctx.ev_ref})",
        excel.QWATERFALL(150_000_000, ctx.cap_values, None, ctx.ev_values))


def governance_sheet(s: Sheet, ctx: Context):
    s.title(0, 0, "Voting power (QVOTINGPOWER)")
    n, _ = s.q(1, 0, f"QVOTINGPOWER({ctx.cap_ref})", excel.QVOTINGPOWER(ctx.cap_values))
    r = 1 + n + 2
    s.title(r, 0, "Board of 7 (QBOARD)")
    n, _ = s.q(r + 1, 0, f"QBOARD({ctx.cap_ref},7)", excel.QBOARD(ctx.cap_values, 7))
    r = r + 1 + n + 2
    s.title(r, 0, "Consents to a merger")
    consent_ref = s.table(r + 1, 0, CONSENTS)
    consent_values = [list(x) for x in CONSENTS]
    r = r + 1 + len(CONSENTS) + 1
    s.title(r, 0, "A merger (6(b)) with these consents (QAPPROVAL)")
    n, _ = s.q(r + 1, 0, f'QAPPROVAL("6(b)",{consent_ref},{ctx.cap_ref})',
               excel.QAPPROVAL("6(b)", consent_values, ctx.cap_values))
    r = r + 1 + n + 2
    s.title(r, 0, "Section 4 notice for a record date (QNOTICE)")
    s.header(r + 1, 0, ("Record date", "Mail notice by"))
    s.inputs(r + 2, 0, [[dt.date(2026, 12, 31)]])
    s.q(r + 2, 1, f"QNOTICE(A{r + 3})", excel.QNOTICE(dt.datetime(2026, 12, 31)), kind="date")


def dividends_sheet(s: Sheet, ctx: Context):
    s.label(0, 0, "Declared for the year")
    s.inputs(0, 1, [[5_000_000.0]], ["money"])
    s.title(2, 0, "How it is shared (QDIVIDEND)")
    s.q(3, 0, f"QDIVIDEND(B1,{ctx.cap_ref})", excel.QDIVIDEND(5_000_000.0, ctx.cap_values))


# (sheet name, function): blocks of later sheets may use what earlier ones put in the Context.
SHEETS = [
    ("CapTable", cap_table_sheet),
    ("Exit", exit_sheet),
    ("Breakpoints", breakpoints_sheet),
    ("IPO", ipo_sheet),
    ("DownRound", down_round_sheet),
    ("Governance", governance_sheet),
    ("Dividends", dividends_sheet),
]


def build_deal_model(path: Path) -> dict[str, dict[str, str]]:
    """Write the Quintus deal model; return {sheet: {address: formula}} of its Q cells."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"title": "Quintus deal model (xl-quintus)", "created": FIXED_TIME})
    book.set_calc_mode("auto")
    styles = Styles(book)
    ctx = Context()
    sheets = []
    for name, block in SHEETS:
        s = Sheet(book, name, styles)
        block(s, ctx)
        s.finish()
        sheets.append(s)

    # xlwings.conf: classic xlwings finds the functions here (UDF Modules) ---------------------
    conf = book.add_worksheet("xlwings.conf")
    conf.write(0, 0, "UDF Modules")
    conf.write(0, 1, "xl_quintus.excel")
    conf.set_column(0, 1, 18)
    book.close()
    return {s.name: s.q_cells for s in sheets}


def build_all(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MODEL_NAME
    build_deal_model(path)
    return [path]
