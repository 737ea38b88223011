"""Excel-shaped input to engine records: the one place arguments are read and checked.

Excel (classic xlwings, xlwings Server, xlwings Lite) passes a number or string for one
cell and a list of lists for a range; blanks arrive as ``None`` or ``""``; a one-row range
may arrive as a flat list. Every reader here takes that, and raises
:class:`~xl_quintus.errors.CharterError` naming the argument, the cell value and the rule.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import gc
import hashlib
import math
import operator
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from ..charter.cap_table import CapTable, Holding, instrument
from ..errors import CharterError
from ..limits import MAX_MONEY, MAX_PRICE, MAX_SHARES, MIN_PRICE
from ..numbers import cents_to_float, exact
from ..charter.terms import COMMON, Charter, charter_from_bytes, charter_with_series, quintus, series_from_mapping
from .cells import EXCEL_ERRORS, from_serial, is_blank, is_error, is_serial  # noqa: F401 (re-exported)

if TYPE_CHECKING:                       # numpy is imported where a range of money is read
    import numpy as np


def show(value) -> str:
    """A cell value as the message quotes it; a blank cell (``None`` or spaces) as "a blank
    cell", never Python's ``None`` (messages that expect a blank say "the cell is blank; ...
    is required", :func:`blank_cell`)."""
    if is_blank(value):
        return "a blank cell"
    if isinstance(value, str):
        text = value.replace("\r", "\\r").replace("\n", "\\n")
        return f'"{text[:60]}..."' if len(text) > 63 else f'"{text}"'
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{int(value)}"
    return repr(value)


def blank_cell(what: str, argument: str) -> CharterError:
    """The refusal of a blank cell where ``what`` is required, in Excel's words."""
    return CharterError(f"the cell is blank; {what} is required", argument)


def _check_cell(value, argument: str):
    if is_error(value):
        raise CharterError(f"a cell holds the Excel error {value.strip()}; fix it first", argument)


def rows(value) -> list[list]:
    """Any Excel-shaped value as a list of rows (a scalar is one 1x1 row)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        if not value:
            return []
        if all(isinstance(r, (list, tuple)) for r in value):
            return [list(r) for r in value]
        return [list(value)]
    return [[value]]


def flat(value) -> list:
    return [c for r in rows(value) for c in r]


# How a number is read (README "How numbers are read"; one reading for every argument, the
# same grammar as a terms range): a number cell is the decimal Excel shows; text is read only
# when written plainly: digits with an optional minus sign, "$" and decimal point, commas only
# between groups of three digits ("1,000,000", "$3.00", "-12.5"). Refused, each with its
# reason: a decimal comma ("1,5"), an exponent ("1e6"), spaces ("1 000 000"), any other sign
# or word, truth values (TRUE) and date cells.
_PLAIN_NUMBER = re.compile(r"\$?(\d+(?:\.\d*)?|\.\d+)")
_THOUSANDS_NUMBER = re.compile(r"\$?(\d{1,3}(?:,\d{3})+(?:\.\d*)?)")
_TEXT_DIGITS = 16                   # digits before the point in number text (Excel holds 15)


def _text_number(text: str) -> tuple[Fraction | None, str]:
    """Number text as an exact number, or (None, why it is refused)."""
    body = text.strip()
    negative = body.startswith("-")
    body = body[1:].strip() if negative else body
    if _THOUSANDS_NUMBER.fullmatch(body):
        body = body.replace(",", "")
    elif "," in body and any(ch.isdigit() for ch in body):
        return None, "a comma may only separate thousands (1,000,000); write a decimal point, not a comma (1.5, not 1,5)"
    if not _PLAIN_NUMBER.fullmatch(body):
        if re.fullmatch(r"\$?[\d.]+[eE][+-]?\d+", body):
            return None, "text with an exponent is not read; type the number into the cell (1000000, not \"1e6\")"
        if re.fullmatch(r"\$?\d[\d\s]*(\.\d*)?", body) and re.search(r"\s", body):
            return None, "spaces inside a number are not read; write 1000000 or 1,000,000"
        return None, "text, not a number"
    digits = body.lstrip("$")
    if len(digits.split(".")[0].lstrip("0")) > _TEXT_DIGITS:
        return None, f"more than {_TEXT_DIGITS} digits, beyond what Excel holds"
    x = Fraction(digits)
    return (-x if negative else x), ""


def number(value, argument: str, what: str = "a number") -> Fraction:
    """One cell as an exact number: a number cell, or number text written plainly (above);
    truth values, dates, blanks, errors and other text are refused naming ``what``."""
    if type(value) is float and value.is_integer() and -2 ** 53 < value < 2 ** 53:
        return Fraction(int(value))                    # the common case, a whole number cell
    if type(value) is int:
        return Fraction(value)                         # as exact() reads it
    _check_cell(value, argument)
    if is_blank(value):
        raise blank_cell(what, argument)
    if isinstance(value, bool):
        raise CharterError(f"{show(value)} is a truth value, not {what}", argument)
    if isinstance(value, (_dt.date, _dt.datetime)):
        day = value.date() if isinstance(value, _dt.datetime) and value.time() == _dt.time() else value
        raise CharterError(f"{day.isoformat()} is a date, not {what}", argument)
    if isinstance(value, str):
        x, why = _text_number(value)
        if x is None:
            if why == "text, not a number":
                raise CharterError(f"{show(value)} is text, not {what}", argument)
            raise CharterError(f"{show(value)} is not {what}: {why}", argument)
        return x
    if isinstance(value, float) and not math.isfinite(value):
        raise CharterError(f"{show(value)} is not a finite number", argument)
    try:
        return exact(value)
    except (TypeError, ValueError, ArithmeticError):
        raise CharterError(f"{show(value)} is not {what}", argument) from None


RESULT_LIMIT = 10 ** 15                 # Excel holds 15 significant digits


@contextlib.contextmanager
def gc_paused():
    """Python's cyclic garbage collector held off while a million one-cell rows are read and
    written, and the model is built or found (no cycles are made that outlive the call; each
    collection would scan every row: 7x slower). The rows written are scanned once, at the
    first collection after it."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class WithinLimits(list):
    """A result range already known to be within the limits below (QPAYOUT over a range:
    every payout is at most its proceeds, each below MAX_MONEY), so the cell-by-cell check
    of a million results is not repeated."""


def result_within_limits(result):
    """Every number a function returns is finite and below 10^15 in size (what Excel holds
    exactly); otherwise one line naming the limit, never inf, a wrapped int64 or a rounded
    whole number. Returns ``result``."""
    if isinstance(result, WithinLimits):
        return list(result)
    cells = result if isinstance(result, list) else [result]
    for row in cells:
        for v in (row if isinstance(row, list) else [row]):
            if (type(v) is float or type(v) is int) and not -RESULT_LIMIT < v < RESULT_LIMIT:   # NaN fails too
                raise CharterError(f"a result, {v:.6g}, is beyond 10^15 (the 15 digits Excel holds exactly); "
                                   "the inputs are too large to answer")
    return result


def scalar(value, argument: str):
    """A one-cell argument; a larger range is refused."""
    cells = rows(value)
    if len(cells) == 1 and len(cells[0]) == 1:
        return cells[0][0]
    if not cells:
        return None
    raise CharterError(f"expects one cell, got a range of {len(cells)} x {max(len(r) for r in cells)}", argument)


def whole_shares(value, argument: str, where: str = "", noun: str = "shares") -> int:
    """A whole number of at least 0 and below MAX_SHARES (shares, or ``noun``)."""
    if type(value) is int and 0 <= value < MAX_SHARES:                 # the common cells, as number() reads them
        return value
    if type(value) is float and value.is_integer() and 0 <= value < MAX_SHARES:
        return int(value)
    n = number(value, argument, f"a number of {noun}")
    if n < 0 or n.denominator != 1:
        raise CharterError(f"{where}{noun} must be a whole number of at least 0, got {show(value)}", argument)
    if n >= MAX_SHARES:
        raise CharterError(f"{where}{show(value)} {noun} is beyond the limit of {MAX_SHARES:,} "
                           "(15 digits, what Excel holds exactly)", argument)
    return int(n)


def money(value, argument: str) -> Fraction:
    """An amount of money: at least 0 and below MAX_MONEY (Excel shows cents up to there)."""
    m = number(value, argument, "an amount of money")
    if m < 0:
        raise CharterError(f"{show(value)} cannot be negative", argument)
    if m >= MAX_MONEY:
        raise CharterError(f"{show(value)} is beyond the limit of ${MAX_MONEY:,} (past it Excel's 15 digits "
                           "cannot show cents)", argument)
    return m


def money_result(cents: int, what: str) -> float:
    """Cents as the dollars Excel shows, refused past MAX_MONEY (Excel cannot show the cent)."""
    if abs(cents) >= MAX_MONEY * 100:
        raise CharterError(f"{what}, ${cents // 100:,}, is beyond the limit of ${MAX_MONEY:,} "
                           "(past it Excel's 15 digits cannot show cents)")
    return cents_to_float(cents)


def per_share(value, argument: str, what: str, positive: bool = False) -> Fraction:
    """A price or amount per share: at least 0 (above 0 if ``positive``), within
    MIN_PRICE..MAX_PRICE (limits.py)."""
    x = number(value, argument, what)
    if x < 0 and not positive:
        raise CharterError(f"{what} cannot be negative, got {show(value)}", argument)
    if x <= 0 and positive:
        raise CharterError(f"{what} must be above 0, got {show(value)}", argument)
    if x > MAX_PRICE or (positive and x < MIN_PRICE):
        raise CharterError(f"{what} {show(value)} is outside the limits ${float(MIN_PRICE):g} to ${MAX_PRICE:,} "
                           "per share", argument)
    return x


@dataclass(frozen=True)
class MoneyRange:
    """A range of exit values as Excel passed it (``grid``), with the non-blank cells as
    floats in reading order (``values``) and where they are (``where``: (row, column) per
    value, or None when every cell holds one)."""

    grid: list
    values: "np.ndarray"
    where: list | None
    column: bool = False          # every row of ``grid`` holds exactly one value

    def fill(self, results) -> list:
        """``results`` (one per value) laid out in the shape of ``grid``; blanks stay blank."""
        if self.where is None:
            if self.column:
                return [[v] for v in results]                    # a column: one value a row
            it = iter(results)
            return [[next(it) for _ in r] for r in self.grid]
        it = iter(results)
        out = [["" for _ in r] for r in self.grid]
        for (i, j), v in zip(self.where, it):
            out[i][j] = v
        return out


_first = operator.itemgetter(0)


def money_range(value, argument: str = "proceeds") -> MoneyRange:
    """A range of amounts of money, each read as :func:`money` reads one cell (the k-th value
    named in a message). A range of plain numbers, the common case (a column of a million exit
    values), is checked in bulk: its floats are the values :func:`money` would give."""
    import numpy as np

    # Each test below is one pass in C over the rows (``map``), not a Python loop: a column
    # of a million one-value rows is read in about 0.1 s.
    grid = value if type(value) is list and value and set(map(type, value)) == {list} else rows(value)
    column = bool(grid) and set(map(len, grid)) == {1}
    cells = list(map(_first, grid)) if column else [c for r in grid for c in r]
    if cells and set(map(type, cells)) <= {float, int}:
        try:
            arr = np.array(cells, dtype=float)
        except OverflowError:
            arr = None
        if arr is not None and np.isfinite(arr).all() and not ((arr < 0) | (arr >= MAX_MONEY)).any():
            return MoneyRange(grid, arr, None, column)
    where, values = [], []
    for i, r in enumerate(grid):
        for j, c in enumerate(r):
            if not is_blank(c):
                values.append(float(money(c, f"{argument} (value {len(values) + 1})")))
                where.append((i, j))
    return MoneyRange(grid, np.array(values, dtype=float), where)


def optional_price(value, argument: str, what: str) -> Fraction | None:
    """An optional one-cell price: blank is None; otherwise above 0, within the price limits."""
    value = scalar(value, argument)
    if is_blank(value):
        return None
    return per_share(value, argument, what, positive=True)


def optional_money(value, argument: str) -> Fraction | None:
    value = scalar(value, argument)
    return None if is_blank(value) else money(value, argument)


def boolean(value, argument: str, default: bool) -> bool:
    """A TRUE/FALSE cell (also 1/0, "yes"/"no"); blank gives ``default``."""
    value = scalar(value, argument)
    _check_cell(value, argument)
    if is_blank(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    key = str(value).strip().lower()
    if key in ("true", "yes", "y"):
        return True
    if key in ("false", "no", "n"):
        return False
    raise CharterError(f"{show(value)} must be TRUE or FALSE", argument)


def excel_date(value, argument: str) -> _dt.date:
    """An Excel date: a date cell, a serial number (1900 date system), or ISO text."""
    value = scalar(value, argument)
    _check_cell(value, argument)
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if is_serial(value):
        return from_serial(value)
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    if is_blank(value):
        raise blank_cell("a date", argument)
    raise CharterError(f"{show(value)} is not a date", argument)


def series_list(value, charter: Charter, argument: str) -> tuple[str, ...]:
    """Series named in one cell ("E, G-2") or a range; families ("G") name every member."""
    names: list[str] = []
    for c in flat(value):
        if is_blank(c):
            continue
        _check_cell(c, argument)
        for token in re.split(r"[,;]", str(c)):
            if token.strip():
                names.extend(charter.family_members(token.strip()) or [series(token, charter, argument)])
    return tuple(dict.fromkeys(names))


def series(value, charter: Charter, argument: str = "class") -> str:
    """One series of Preferred Stock (Common is refused: it does not convert)."""
    cls = charter.resolve(text(value, argument, "a class"), argument)
    if cls == COMMON:
        raise CharterError("Common Stock does not convert; name a series of Preferred Stock", argument)
    return cls


def text(value, argument: str, what: str) -> str:
    value = scalar(value, argument)
    _check_cell(value, argument)
    if is_blank(value):
        raise CharterError(f"needs {what}; the cell is blank", argument)
    return str(value).strip() if not isinstance(value, float) else show(value)


def choice(value, argument: str, options: tuple[str, ...], default: str | None = None) -> str:
    """One of ``options`` (any case); blank gives ``default``, or an error when there is none."""
    value = scalar(value, argument)
    _check_cell(value, argument)
    if is_blank(value):
        if default is None:
            raise CharterError(f"needs one of {', '.join(options)}; the cell is blank", argument)
        return default
    key = str(value).strip().lower()
    if key not in options:
        raise CharterError(f"{show(value)} must be one of {', '.join(options)}", argument)
    return key


# -- anti-dilution events (3(d)) ----------------------------------------------------------------

@functools.cache
def _event_kinds() -> dict[str, str]:
    """"issue" -> "Issue": made whole before anyone reads it (the server runs functions in
    threads; a table filled in place could be read half filled)."""
    from ..charter.anti_dilution import EVENT_TYPES
    return {kind.lower(): kind for kind in EVENT_TYPES}


def _event_kind(cell):
    if isinstance(cell, str):
        return _event_kinds().get(cell.strip().lower())
    return None


def events(value, charter: Charter, argument: str = "events"):
    """Rows ``Date | Event | Shares | Consideration | Ref`` (any order; a header row and
    blank rows are skipped) as engine events."""
    from ..charter.anti_dilution import EVENT_TYPES, Event
    out = []
    for i, r in enumerate(rows(value), start=1):
        if len(r) < 5:
            r = r + [None] * (5 - len(r))
        if is_blank(r[1]) and all(is_blank(c) for c in r):           # (a row naming an event is not blank)
            continue
        where = f"{argument} row {i}"
        for c in r:
            if isinstance(c, str) and "#" in c:                         # (every error value has a #)
                _check_cell(c, where)
        kind = _event_kind(r[1])
        if kind is None:
            if i == 1 and isinstance(r[1], str) and r[1].strip().lower() == "event":
                continue                                                # header row
            raise CharterError(f"{show(r[1])} is not an event; use one of {', '.join(EVENT_TYPES)}", where)
        date = _event_date(r[0], where)
        if is_blank(r[2]) or is_blank(r[3]):
            _event_cells_given(kind, r, where)
        shares = _event_number(r[2], where, "Shares", "a number")
        consideration = _event_number(r[3], where, "Consideration", "an amount")
        if kind not in ("Split", "Combine") and abs(shares.numerator) >= MAX_SHARES * shares.denominator:
            raise CharterError(f"{show(r[2])} shares is beyond the limit of {MAX_SHARES:,} (15 digits, what Excel "
                               "holds exactly)", f"{where} Shares")
        if abs(consideration.numerator) >= MAX_MONEY * consideration.denominator:
            raise CharterError(f"{show(r[3])} is beyond the limit of ${MAX_MONEY:,} (past it Excel's 15 digits "
                               "cannot show cents)", f"{where} Consideration")
        ref = "" if is_blank(r[4]) else (r[4].strip() if isinstance(r[4], str) else show(r[4]))
        if kind == "Purchase":
            ref = charter.resolve(ref, f"{where} Ref")
        elif kind == "Excluded":
            ref = ref.strip("() ").upper()
        elif kind in ("Grant", "Amend", "Expire", "Exercise") and not ref:
            raise CharterError(f"{kind} needs the instrument's id in Ref", where)
        out.append(Event(date, kind, shares, consideration, ref, i))
    return out


ZERO_F = Fraction(0)


def _event_number(cell, where: str, column: str, what: str) -> Fraction:
    """An event's Shares or Consideration cell as :func:`number` reads it; blank: 0."""
    if type(cell) is int:
        return Fraction(cell)                                   # (number's first case, here directly)
    return ZERO_F if is_blank(cell) else number(cell, f"{where} {column}", what)


def _event_date(cell, where: str) -> _dt.date:
    """An event's Date cell, as :func:`excel_date` reads it (ISO text and date cells read
    here directly: the common cells of a long events range)."""
    if type(cell) is str:
        try:
            return _dt.date.fromisoformat(cell.strip())
        except ValueError:
            pass
    elif type(cell) is _dt.date:
        return cell
    return excel_date(cell, f"{where} Date")

# What each event kind needs (excel-functions.md, "Events for anti-dilution"; udf_docs/QCONVPRICE.md):
# a blank there is refused, never read as 0 (a blank Consideration on an Issue would be a full-weight
# down round). An explicit 0 Consideration is accepted: shares issued for nothing.
_EVENT_NEEDS = {
    "Issue": {"Shares": "the shares of Common issued",
              "Consideration": "the total consideration received (0 for shares issued free)"},
    "Grant": {"Shares": "the maximum number deliverable",
              "Consideration": "the amount received plus the minimum exercise or conversion price, in total "
                               "(0 if none)"},
    "Amend": {"Shares": "the new maximum number deliverable",
              "Consideration": "the new total consideration (0 if none)"},
    "Expire": {"Shares": "the shares expired unexercised"},
    "Exercise": {"Shares": "the shares exercised"},
    "Split": {"Shares": "the ratio (2 for a 2-for-1 split)"},
    "Combine": {"Shares": "the ratio (2 for a 1-for-2 combination)"},
    "Excluded": {"Shares": "the shares issued"},
}


def _event_cells_given(kind: str, r: list, where: str):
    """A blank Shares or Consideration cell where ``kind`` needs one is refused naming the
    row, the column and what the cell must hold."""
    for column, j in (("Shares", 2), ("Consideration", 3)):
        need = _EVENT_NEEDS.get(kind, {}).get(column)
        if need and is_blank(r[j]):
            raise CharterError(f"{kind} needs {column}: {need}; the cell is blank", f"{where}, {column}")


def looks_like_events(value) -> bool:
    """An events range: a row naming an event, or a first row with the labels Date | Event
    (an events range with no events yet: no adjustment)."""
    cells = rows(value)
    if cells and len(cells[0]) >= 2 and [_header_cell(c) for c in cells[0][:2]] == ["date", "event"]:
        return True
    return any(_event_kind(r[1]) for r in cells if len(r) >= 2)


@dataclass(frozen=True)
class ConversionPriceInput:
    """A ``conversion_prices`` argument as read: Conversion Prices by series (a ``Class |
    Conversion Price`` range, or a QCONVLEDGER table's last row), or the 3(d) events of an
    events range, which the engine's ledger turns into prices (``functions`` runs it: a reader
    never calls the engine).

    Attributes:
        prices: Conversion Price by series (empty when ``events`` is given).
        events: the events, or None when the argument holds prices.
    """

    prices: dict
    events: tuple | None = None


def conversion_prices(value, charter: Charter, argument: str = "conversion_prices") -> ConversionPriceInput:
    """Conversion Prices from a ``Class | Conversion Price`` range or a QCONVLEDGER table (its
    last row), or the events of an events range (for the 3(d) ledger)."""
    cells = rows(value)
    if cells and len(cells[0]) > 3 and [str(c).strip() for c in cells[0][:3]] == ["Date", "Event", "Clause"]:
        header = [str(c).strip() for c in cells[0]]
        last = cells[-1]
        cps = {}
        for j, h in enumerate(header):
            if h.endswith(" CP"):
                cps[charter.resolve(h[:-3], argument)] = number(last[j], argument, "a Conversion Price")
        return ConversionPriceInput(cps)
    if looks_like_events(value):
        return ConversionPriceInput({}, tuple(events(value, charter, argument)))
    return ConversionPriceInput(class_values(value, charter, argument, "Conversion Price", positive=True))


# -- charter terms ---------------------------------------------------------------------------

_TERM_HEADERS = {
    "class": "name", "series": "name", "name": "name",
    "authorized": "authorized", "issue price": "original_issue_price",
    "original issue price": "original_issue_price", "dividend rate": "dividend_rate",
    "seniority": "seniority", "participation": "participation", "cap": "cap",
    "cash amount": "cash_amount", "election": "election", "conversion group": "election",
    "votes": "votes", "ipo ratchet price": "ipo_ratchet_price", "family": "family",
    "preference multiple": "preference_multiple", "liquidation preference multiple": "preference_multiple",
    "cumulative dividend": "cumulative_dividend", "issue date": "issue_date",
    "anti-dilution": "anti_dilution", "anti dilution": "anti_dilution", "antidilution": "anti_dilution",
}


def charter(value, argument: str = "terms") -> Charter:
    """``terms``: blank for Quintus 1999; a path to a TOML terms file for a whole charter;
    or a range with a header row (Class, Authorized, Issue Price, Seniority, Participation,
    Cap, Cash Amount, Votes, Preference Multiple, Cumulative Dividend, Issue Date,
    Anti-dilution, ...) whose rows add series to Quintus or replace one by name. Every column
    is described in udf_docs/TERMS.md."""
    cells = [(i, r) for i, r in enumerate(rows(value), start=1) if not all(is_blank(c) for c in r)]
    if not cells:
        return quintus()
    for i, r in cells:
        for c in r:
            _check_cell(c, f"{argument} row {i}")
    if len(cells) == 1 and len(cells[0][1]) == 1:
        return _file_charter(cells[0][1][0], argument)
    _, header_cells = cells[0]
    header = [re.sub(r"[\s_]+", " ", str(h).strip().lower()) if not is_blank(h) else "" for h in header_cells]
    unknown = [str(h).strip() for h, key in zip(header_cells, header) if key and key not in _TERM_HEADERS]
    if unknown or "name" not in {_TERM_HEADERS.get(h) for h in header}:
        raise CharterError(
            f"the first row must name the columns (Class, Authorized, Issue Price, Seniority, Participation, "
            f"Cap, ...; udf_docs/TERMS.md); not understood: {', '.join(unknown) or 'no Class column'}", argument)
    keys = [_TERM_HEADERS.get(h) for h in header]
    seen: dict[str, int] = {}
    for j, k in enumerate(keys):
        if k and k in seen:
            raise CharterError(f"columns {seen[k] + 1} and {j + 1} both give {header_cells[j]!s}", argument)
        if k:
            seen[k] = j
    labels = {k: str(header_cells[j]).strip() for k, j in seen.items()}
    new, rows_of = [], {}
    for i, r in cells[1:]:
        if len(r) > len(keys) and any(not is_blank(c) for c in r[len(keys):]):
            raise CharterError(f"row {i} has a value under no column header", argument)
        row = {k: c for k, c in zip(keys, r) if k and not is_blank(c)}
        series = series_from_mapping(row, f"{argument} row {i}", labels)
        key = series.name.upper()
        if key in rows_of:
            raise CharterError(f"rows {rows_of[key]} and {i} both define Series {series.name}; "
                               "give each series once", argument)
        rows_of[key] = i
        new.append(series)
    return charter_with_series(quintus(), new)


# Where a terms file may come from: None on the desktop (any path the user names); on xlwings
# Server a folder (set by xl_quintus.server.functions), and a path outside it is refused
# before anything is read, without saying whether such a file exists.
TERMS_FOLDER: Path | None = None


def terms_file(text: str, argument: str = "terms") -> str:
    """The path of the terms file a cell names, under the policy above."""
    if TERMS_FOLDER is None:
        if not Path(text).is_file():
            raise CharterError(f'no terms file at "{text}"', argument)
        return text
    folder = Path(TERMS_FOLDER).resolve()
    path = (folder / text).resolve()        # an absolute path stays absolute; "..", links resolved
    if not path.is_relative_to(folder):
        raise CharterError(f"{show(text)} is outside this server's terms folder; name a TOML file in it, "
                           f'e.g. "deal.toml"', argument)
    if not path.is_file():
        raise CharterError(f"no terms file {show(text)} in this server's terms folder", argument)
    return str(path)


# Parsed terms files, by the SHA-256 of their bytes: an edit is seen at once, whatever the
# file system's clock (a cache keyed on path and modification time missed edits within one
# second). Bounded: the oldest entries go first.
_FILE_CACHE: dict = {}
_FILE_CACHE_SIZE = 16
MAX_TERMS_FILE_BYTES = 1_000_000


def _file_charter(cell, argument: str) -> Charter:
    if not isinstance(cell, str):
        raise CharterError(f"{show(cell)} is neither the path of a TOML terms file nor a terms range with "
                           "a header row (udf_docs/TERMS.md)", argument)
    path = Path(terms_file(cell.strip(), argument))
    try:
        if path.stat().st_size > MAX_TERMS_FILE_BYTES:
            raise CharterError(f'the terms file "{cell.strip()}" is over {MAX_TERMS_FILE_BYTES:,} bytes; '
                               "a charter is a few kilobytes", argument)
        data = path.read_bytes()
    except OSError as e:
        raise CharterError(f'the terms file "{cell.strip()}" cannot be read ({e.strerror})', argument) from None
    key = hashlib.sha256(data).hexdigest()
    hit = _FILE_CACHE.get(key)
    if hit is None:
        hit = charter_from_bytes(data, cell.strip())
        for old in list(_FILE_CACHE)[: max(0, len(_FILE_CACHE) + 1 - _FILE_CACHE_SIZE)]:
            _FILE_CACHE.pop(old, None)          # the oldest files (safe with server threads)
        _FILE_CACHE[key] = hit
    return hit


# -- cap table ---------------------------------------------------------------------------------

def _is_number_cell(v) -> bool:
    return isinstance(v, (int, float, Fraction)) and not isinstance(v, bool)


# Column labels a cap table's header row may use (any case, spaces collapsed).
_CAP_LABELS = {
    "holder": "Holder", "holder name": "Holder", "name": "Holder", "stockholder": "Holder",
    "shareholder": "Holder", "investor": "Holder",
    "class": "Class", "series": "Class", "class of stock": "Class", "share class": "Class",
    "shares": "Shares", "number of shares": "Shares", "shares outstanding": "Shares", "shares held": "Shares",
    "exercise price": "Exercise Price",
}
_CAP_LAYOUTS = (("Class", "Shares"), ("Holder", "Class", "Shares"), ("Holder", "Class", "Shares", "Exercise Price"))


def _cap_header(r: list, i: int, argument: str) -> tuple[str, ...] | None:
    """The columns a header row names, or None when ``r`` is a data row. A row is a header
    when it names a Class or Shares column (any case); it must then name, in order, Class |
    Shares, Holder | Class | Shares or Holder | Class | Shares | Exercise Price."""
    cells = [c for c in r]
    while cells and is_blank(cells[-1]):
        cells.pop()
    names = [_CAP_LABELS.get(_header_cell(c)) for c in cells]
    if not any(n in ("Class", "Shares") for n in names) or any(not isinstance(c, str) for c in cells if not is_blank(c)):
        return None
    unknown = [c for c, n in zip(cells, names) if n is None]
    if unknown:
        raise CharterError(f"row {i} is a header, but {show(unknown[0])} is not a column the cap table has; "
                           f"name the columns {_CAP_LAYOUTS[1][0]} | {_CAP_LAYOUTS[1][1]} | {_CAP_LAYOUTS[1][2]} "
                           f"(| Exercise Price) or Class | Shares", argument)
    if tuple(names) not in _CAP_LAYOUTS:
        raise CharterError(f"row {i} names the columns {' | '.join(names)}; they must be Holder | Class | Shares "
                           f"(| Exercise Price) or Class | Shares, in that order", argument)
    return tuple(names)


def cap_table(value, charter: Charter, argument: str = "cap_table", unknown: list | None = None,
              rows_of: list | None = None) -> CapTable:
    """Rows ``Holder | Class | Shares`` or ``Class | Shares``, under an optional header row
    recognised by its labels (:func:`_cap_header`; a first row is never taken for a header
    because a cell is not a number); blank rows are skipped; a holder may have several rows.
    Every cell where a number belongs is read by :func:`number` or refused naming its row and
    column. Holder names are matched exactly: two spelled alike but for case or spaces are
    refused. With ``unknown`` (a list), rows naming no class are collected there instead of
    failing. With ``rows_of`` (a list), the input row of each holding is appended there, in
    holding order (plain rows only, not under an Exercise Price header)."""
    table = rows(value)
    header, first = None, None
    for i, r in enumerate(table, start=1):
        if not all(is_blank(c) for c in r):
            for c in r:
                _check_cell(c, f"{argument} row {i}")
            header, first = _cap_header(r, i, argument), i
            break
    if header is not None and "Exercise Price" in header:
        return _cap_table_with_instruments(table, charter, argument, unknown)
    holdings: list[Holding] = []
    width = len(header) if header else _cap_table_width(table, charter)
    _no_unnamed_fourth_column(table, width, argument)
    named: list[tuple[str, int]] = []
    classes: dict[str, str] = {}                    # label text -> class: one resolve per distinct label
    for i, r in enumerate(table, start=1):
        if header is not None and i == first:
            continue
        r = list(r[:width]) + [None] * (width - len(r))
        if all(is_blank(c) for c in r):
            continue
        got = _holding(r if width == 3 else [None] + r, i, charter, argument, named, unknown, classes)
        if got is None:
            continue                                # a class not found, collected in ``unknown``
        holdings.append(Holding(*got))
        if rows_of is not None:
            rows_of.append(i)
    _one_spelling_per_holder(named, argument)
    if not holdings and unknown is None:
        raise CharterError("no holdings: give rows of Class | Shares or Holder | Class | Shares", argument)
    return CapTable(tuple(holdings), charter)


def _holding(cells: list, i: int, charter: Charter, argument: str, named: list, unknown: list | None,
             classes: dict) -> tuple[str | None, str, int] | None:
    """One cap-table row's ``Holder | Class | Shares`` cells (the holder None or blank for
    ``Class | Shares``) as (holder, class, shares); the row's cells checked first, a blank
    class or shares refused naming the row and column. Each holder named is noted in
    ``named`` (for :func:`_one_spelling_per_holder`); a class not found is collected in
    ``unknown`` when it is a list (None is returned), else refused. ``classes`` keeps each
    label's class, resolved once per distinct label."""
    where = f"{argument} row {i}"
    for c in cells:
        _check_cell(c, where)
    holder_cell, label, shares = cells
    holder = None if holder_cell is None or is_blank(holder_cell) else _holder_name(holder_cell)
    if holder is not None:
        named.append((holder, i))
    if is_blank(label):
        raise CharterError(f"{('holder ' + holder + ' has') if holder else 'the row has'} shares but no class",
                           f"{where}, Class")
    if is_blank(shares):
        raise CharterError(f"{('holder ' + holder) if holder else 'class ' + show(label)} has no shares", f"{where}, Shares")
    cls = classes.get(label) if type(label) is str else None
    if cls is None:
        try:
            cls = charter.resolve(label, f"{where}, Class")
        except CharterError as e:
            if unknown is None:
                raise
            unknown.append((i, label, e))
            return None
        if type(label) is str:
            classes[label] = cls
    return holder, cls, whole_shares(shares, f"{where}, Shares")


def _holder_name(cell) -> str:
    return cell.strip() if isinstance(cell, str) else show(cell)


def _one_spelling_per_holder(named: list[tuple[str, int]], argument: str):
    """Holders are matched exactly (QPAYOUT's who, QVOTINGPOWER's rows); names that differ
    only in case or spacing ("Acme", "ACME") would be two holders by mistake: refused."""
    seen: dict[str, tuple[str, int]] = {}
    for name, i in named:
        key = " ".join(name.split()).casefold()
        if key in seen and seen[key][0] != name:
            other, j = seen[key]
            raise CharterError(f'rows {j} and {i}: holders {show(other)} and {show(name)} differ only in case or spacing; '
                               f"holders are matched exactly, so write one holder's name the same way on every row",
                               argument)
        seen.setdefault(key, (name, i))


EXERCISE_PRICE = "exercise price"


def _header_cell(c) -> str:
    return " ".join(str(c).split()).lower() if isinstance(c, str) else ""


def _names_exercise_price(table) -> bool:
    """Whether the first non-blank row is a header naming a fourth column Exercise Price."""
    for r in table:
        if all(is_blank(c) for c in r):
            continue
        return len(r) >= 4 and _header_cell(r[3]) == EXERCISE_PRICE
    return False


def _no_unnamed_fourth_column(table, width: int, argument: str):
    """A number right of the Shares column is refused unless the header names it Exercise
    Price: an option typed as shares outstanding would be paid as stock."""
    for i, r in enumerate(table, start=1):
        extra = [c for c in r[width:] if _is_number_cell(c)]
        if extra:
            raise CharterError(
                f"row {i}: {show(extra[0])} stands right of the Shares column; for options and warrants "
                f"the header row must read Holder | Class | Shares | Exercise Price", argument)


def _cap_table_with_instruments(table, charter: Charter, argument: str, unknown: list | None) -> CapTable:
    """Rows ``Holder | Class | Shares | Exercise Price`` under a header row naming them: a
    row with an exercise price is an option or warrant to buy Shares of Class at that price
    (excel-functions.md, "Options and warrants in a cap table"); without one, shares
    outstanding. Blank rows are skipped; the holder may be blank."""
    holdings: list[Holding] = []
    instruments = []
    named: list[tuple[str, int]] = []
    classes: dict[str, str] = {}
    header_seen = False
    for i, r in enumerate(table, start=1):
        r = list(r[:4]) + [None] * (4 - len(r))
        if all(is_blank(c) for c in r):
            continue
        for c in r:
            _check_cell(c, f"{argument} row {i}")
        if not header_seen:
            header_seen = True
            continue                                                 # the header row
        got = _holding(r[:3], i, charter, argument, named, unknown, classes)
        if got is None:
            continue                                # a class not found, collected in ``unknown``
        price = r[3]
        if is_blank(price):
            holdings.append(Holding(*got))
            continue
        p = per_share(price, f"{argument} row {i}, Exercise Price", "an exercise price")
        instruments.append(instrument(*got, p, i))
    _one_spelling_per_holder(named, argument)
    if not holdings and not instruments and unknown is None:
        raise CharterError("no holdings: give rows of Holder | Class | Shares | Exercise Price under the header", argument)
    if not holdings and unknown is None:
        raise CharterError("only options and warrants: a liquidation needs shares outstanding (rows with no "
                           "Exercise Price)", argument)
    return CapTable(tuple(holdings), charter, tuple(instruments))


def _cap_table_width(table, charter: Charter) -> int:
    """3 (Holder | Class | Shares) when a third column holds anything or the second column
    holds class labels; else 2 (Class | Shares)."""
    if any(len(r) >= 3 and not is_blank(r[2]) for r in table):
        return 3
    for r in table:
        if len(r) >= 2 and isinstance(r[1], str) and not is_blank(r[1]):
            try:
                charter.resolve(r[1])
                return 3
            except CharterError:
                pass
    return 2


_CLASS_LABELS = ("class", "series", "class of stock", "share class")


def class_values(value, charter: Charter, argument: str, what: str, positive: bool = False) -> dict[str, Fraction]:
    """A range ``Class | value`` (conversion prices, unpaid dividends per share); blank = none.

    A header row is the first row when its first cell reads Class (or Series) and its second is
    text; any other row is data, and a value that is not a number is an error naming its row
    and column. A series given on two rows is refused naming both."""
    out: dict[str, Fraction] = {}
    row_of: dict[str, int] = {}
    first = True
    for i, r in enumerate(rows(value), start=1):
        r = [c for c in r]
        if all(is_blank(c) for c in r):
            continue
        for c in r:
            _check_cell(c, f"{argument} row {i}")
        if first and _header_cell(r[0]) in _CLASS_LABELS and len(r) > 1 and isinstance(r[1], str):
            first = False
            continue                                                 # header row, by its labels
        first = False
        if len(r) < 2 or is_blank(r[1]):
            raise CharterError(f"needs two columns, Class | {what}; the {what} is missing", f"{argument} row {i}")
        extra = [c for c in r[2:] if not is_blank(c) and not isinstance(c, str)]
        if extra:
            raise CharterError(f"{show(extra[0])} stands right of the {what} column; give Class | {what}",
                               f"{argument} row {i}")
        label, v = r[0], r[1]
        cls = charter.resolve(label, f"{argument} row {i}, Class")
        if cls == COMMON:
            raise CharterError(f"Common Stock has no {what}", f"{argument} row {i}, Class")
        if cls in row_of:
            raise CharterError(f"rows {row_of[cls]} and {i} both give Series {cls}'s {what}; keep one", argument)
        x = number(v, f"{argument} row {i}, {what}")
        if x < 0 or (positive and x == 0):
            raise CharterError(f"{what} for Series {cls} must be {'above' if positive else 'at least'} 0, "
                               f"got {show(v)}", f"{argument} row {i}")
        if x > MAX_PRICE or (positive and x < MIN_PRICE):
            raise CharterError(f"{what} {show(v)} for Series {cls} is outside the limits ${float(MIN_PRICE):g} to "
                               f"${MAX_PRICE:,} per share", f"{argument} row {i}")
        out[cls], row_of[cls] = x, i
    return out


def conversions(value, charter: Charter, argument: str = "conversions", table: CapTable | None = None):
    """"optimal" (default), "none", "all", or the series that convert: one string like
    ``"A-D, E, G-2"`` or a range of such names. Family labels ("G") name every member.
    With ``table``, a name none of whose series has shares (or options and warrants) in it is
    refused: converting a series nobody holds is a typo, never read as "none"."""
    cells = [c for c in flat(value) if not is_blank(c)]
    if not cells:
        return "optimal"
    for c in cells:
        _check_cell(c, argument)
    if len(cells) == 1 and str(cells[0]).strip().lower() in ("optimal", "none", "all"):
        return str(cells[0]).strip().lower()
    names: list[str] = []
    for c in cells:
        for token in re.split(r"[,;]", str(c)):
            token = token.strip()
            if not token:
                continue
            if token.lower() in ("optimal", "none", "all"):
                raise CharterError(f'"{token}" cannot be combined with other names', argument)
            named = _series_named(token, charter, argument)
            if table is not None and len(named) == 1:      # one series; a group or family label stays as now
                _named_series_held(token, named, table, argument)
            names.extend(named)
    return tuple(dict.fromkeys(names))


def _named_series_held(token: str, named: list[str], table: CapTable, argument: str):
    held = set(table.series_present) | {i.cls for i in table.instruments}
    if not held & set(named):
        raise CharterError(f"{show(token)} has no shares in the cap table; name only series that are outstanding",
                           argument)


def _series_named(token: str, charter: Charter, argument: str) -> list[str]:
    classes = charter.classes_named(token) or (charter.resolve(token, argument),)   # resolve: the message
    if classes == (COMMON,):
        raise CharterError('"Common" does not convert; name series of Preferred Stock', argument)
    return list(classes)


# -- valuation inputs (QOPM, QBACKSOLVE, QPWERM, QDLOM) ------------------------------------------

def volatility(value, argument: str = "volatility") -> float:
    """Annual volatility as a decimal (0.6 for 60%), at least 0; above 5 (500%) is refused as
    a percentage typed as a whole number."""
    x = number(scalar(value, argument), argument, "a volatility (a decimal such as 0.6)")
    if x < 0:
        raise CharterError(f"{show(value)} cannot be negative", argument)
    if x > 5:
        raise CharterError(f"{show(value)} is {float(x) * 100:,.0f}% a year; give a decimal (0.6 for 60%)", argument)
    return float(x)


def years(value, argument: str = "years") -> float:
    """Years to an event, at least 0 (at most 100)."""
    x = number(scalar(value, argument), argument, "a number of years")
    if x < 0 or x > 100:
        raise CharterError(f"{show(value)} must be between 0 and 100 years", argument)
    return float(x)


def rate(value, argument: str = "risk_free_rate", default: float | None = None) -> float:
    """An annual rate as a decimal (0.04 for 4%), between -1 and 1; blank gives ``default``."""
    value = scalar(value, argument)
    if is_blank(value) and default is not None:
        return default
    x = number(value, argument, "a rate (a decimal such as 0.04)")
    if not -1 < x <= 1:
        raise CharterError(f"{show(value)} must be a decimal between -1 and 1 (0.04 for 4%)", argument)
    return float(x)


def _present_value_within_limits(exit_value: Fraction, t: Fraction, d: Fraction, r: list, where: str) -> None:
    """A scenario's discount factor (1 + rate)^-years, and its exit value times it, must stay
    below MAX_MONEY: every value PWERM gives is at most the largest of these (a payout is at
    most its exit value), so past it an answer could not be shown to the cent. The factor is
    bounded by its logarithm first (a rate near -1 over many years overflows a float); the
    present value is then taken as PWERM takes it (exact for whole years, else a float)."""
    said = f"a discount rate of {show(r[3])} over {show(r[2])} years"
    log_factor = -float(t) * math.log(float(1 + d))
    if log_factor >= math.log(MAX_MONEY):
        raise CharterError(f"{said} multiplies the exit value by 1 / (1 + rate)^years = about "
                           f"10^{log_factor / math.log(10):.0f}, beyond the limit of {MAX_MONEY:,}; "
                           "check the Years and the Discount Rate", where)
    factor = 1 / (1 + d) ** int(t) if t.denominator == 1 else Fraction(float(1 + d) ** -float(t))
    if exit_value * factor >= MAX_MONEY:
        raise CharterError(f"{said} makes the exit value of {show(r[0])} worth ${float(exit_value * factor):,.2f} "
                           f"today, beyond the limit of ${MAX_MONEY:,}; check the Years and the Discount Rate",
                           where)


_SCENARIO_COLUMNS = ("Exit Value", "Probability", "Years", "Discount Rate")
_SCENARIO_LABELS = {
    "exit value": "Exit Value", "exit": "Exit Value", "proceeds": "Exit Value", "equity value": "Exit Value",
    "probability": "Probability", "weight": "Probability", "years": "Years", "years to exit": "Years",
    "discount rate": "Discount Rate", "rate": "Discount Rate",
}


def _scenario_header(r: list, where: str) -> list[int] | None:
    """The column of each of Exit Value, Probability, Years, Discount Rate when ``r`` is a
    header row (every filled cell text, one of them a label above), in any order; None for a
    data row. A header must name each of the four columns once and nothing else."""
    filled = [(j, c) for j, c in enumerate(r) if not is_blank(c)]
    if not filled or any(not isinstance(c, str) for _, c in filled) \
            or not any(_header_cell(c) in _SCENARIO_LABELS for _, c in filled):
        return None
    expected = " | ".join(_SCENARIO_COLUMNS)
    columns: dict[str, int] = {}
    for j, c in filled:
        name = _SCENARIO_LABELS.get(_header_cell(c))
        if name is None:
            raise CharterError(f"header {show(c)} is not a scenarios column; name the columns {expected} "
                               "(any order)", where)
        if name in columns:
            raise CharterError(f"header names {name} twice (columns {columns[name] + 1} and {j + 1})", where)
        columns[name] = j
    return [columns.get(n) for n in _SCENARIO_COLUMNS]       # a missing column: refused at the first data row


def scenarios(value, argument: str = "scenarios"):
    """Rows ``Exit Value | Probability | Years | Discount Rate`` as exact (exit value,
    probability, years, rate) tuples; blank rows are skipped. A first row whose cells are text
    naming those columns (:func:`_scenario_header`) is a header, and its labels place the
    columns in any order; without one the order is as above. Probabilities are read as the
    decimals typed and must add up to exactly 1."""
    out = []
    table = rows(value)
    order = None
    for i, r in enumerate(table, start=1):
        r = list(r) + [None] * (4 - len(r))
        if all(is_blank(c) for c in r):
            continue
        where = f"{argument} row {i}"
        for c in r:
            _check_cell(c, where)
        if not out and order is None and i == 1:
            order, first_row = _scenario_header(r, where), i
            if order is not None:
                continue                                              # header row, by its labels
        if order is not None and None in order:
            missing = [n for n, j in zip(_SCENARIO_COLUMNS, order) if j is None]
            raise CharterError(f"header has no {', '.join(missing)} column; name the columns "
                               f"{' | '.join(_SCENARIO_COLUMNS)} (any order)", f"{argument} row {first_row}")
        if order is not None and order != [0, 1, 2, 3]:
            if any(not is_blank(c) for j, c in enumerate(r) if j not in order):
                raise CharterError("has a value under no header; give Exit Value | Probability | Years | "
                                   "Discount Rate", where)
            r = [r[j] for j in order]
        if len(r) > 4 and any(not is_blank(c) for c in r[4:]):
            raise CharterError("has more than 4 columns; give Exit Value | Probability | Years | Discount Rate", where)
        exit_value = money(r[0], f"{where} Exit Value")
        p = number(r[1], f"{where} Probability", "a probability")
        if not 0 <= p <= 1:
            raise CharterError(f"{show(r[1])} must be between 0 and 1", f"{where} Probability")
        t = number(r[2], f"{where} Years", "a number of years")
        if t < 0 or t > 100:
            raise CharterError(f"{show(r[2])} must be between 0 and 100 years", f"{where} Years")
        d = number(r[3], f"{where} Discount Rate", "a rate (a decimal such as 0.25)")
        if not -1 < d <= 10:
            raise CharterError(f"{show(r[3])} must be a decimal above -1 (0.25 for 25%)", f"{where} Discount Rate")
        _present_value_within_limits(exit_value, t, d, r, f"{where} Years/Discount Rate")
        out.append((exit_value, p, t, d))
    if not out:
        raise CharterError("has no scenarios: give rows Exit Value | Probability | Years | Discount Rate", argument)
    total = sum(p for _, p, _, _ in out)
    if total != 1:
        raise CharterError(f"probabilities add up to {float(total):.10g}, not 1", argument)
    return out
