"""Headless recalculation of a workbook: every Q-function and the Excel formulas around them.

recalc's own engine (``engine``: formulas parsed once per shape and evaluated in dependency
order; ``sheet_functions``: the worksheet functions with Excel's rules) evaluates the workbook
(SUM, INDEX, arithmetic, references to spilled ranges ``A1#``) with the Q-functions of
``xl_quintus.excel`` called as Excel calls them. The fresh values are then written as the cached values of a *copy* of the file, edited in place at the
XML level, so formulas, styles, charts and the dynamic-array metadata stay as they were and
Excel opens it already showing numbers. The input is only read; the copy is written to a
temporary file and moved into place at the end.

Never a guess: a formula is evaluated only if every function it calls is a Q-function or in
``EVALUATED_FUNCTIONS`` (each checked against LibreOffice in tests/test_workbooks.py); any
other formula, one the engine cannot parse, and every cell that depends on one, is written as
an error value (``#N/A``) and listed with its reason. External links are never opened: such a
formula keeps the value Excel cached for it. ``freeze`` writes a copy whose Q-function cells
hold only their values, for spreadsheet programs without the add-in.
"""

from __future__ import annotations

import datetime as dt
import decimal
import errno
import math
import numbers
import os
import re
import sys
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..excel.cells import is_error, to_serial
from . import WorkbookError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"     # encrypted .xlsx and old .xls files
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"

# Refused before any work: the parts of the package together, uncompressed (a zip bomb of
# shared strings expands 700-fold), and the number of formula cells.
MAX_EXPANDED_BYTES = 512 * 1024 * 1024
MAX_FORMULA_CELLS = 200_000

# Exit codes of `xl-quintus recalc` / `freeze` (README "Exit codes").
EXIT_OK, EXIT_CELL_ERRORS, EXIT_USAGE, EXIT_INPUT, EXIT_OUTPUT, EXIT_ENGINE = 0, 1, 2, 3, 4, 5

# Functions the engine evaluates, besides the Q-functions: each is in the differential test
# against LibreOffice (tests/test_workbooks.py). Anything else is reported, never evaluated.
EVALUATED_FUNCTIONS = frozenset("""
ABS AND AVERAGE AVERAGEIF AVERAGEIFS CHOOSE COUNT COUNTA COUNTBLANK COUNTIF COUNTIFS DATE DAY EDATE EOMONTH
EXP HLOOKUP IF IFERROR INDEX INT ISBLANK ISERROR ISNUMBER ISTEXT LEFT LEN LN LOWER MATCH MAX MEDIAN MID MIN
MOD MONTH NA NOT OR POWER RIGHT ROUND ROUNDDOWN ROUNDUP SIGN SQRT SUM SUMIF SUMIFS SUMPRODUCT TRIM UPPER
VLOOKUP YEAR CONCATENATE TRUE FALSE
""".split())


class RecalcError(WorkbookError):
    """A workbook that cannot be recalculated: one line saying why (the input is untouched).

    ``code`` is the command's exit code: EXIT_INPUT (the input cannot be read or is refused),
    EXIT_OUTPUT (the output cannot be written), EXIT_ENGINE (the engine failed), EXIT_USAGE."""


@dataclass
class RecalcReport:
    """What a recalculation did.

    Attributes:
        output: the file written.
        formula_cells: formula cells evaluated; q_cells: of those, calling a Q-function.
        errors: (cell or spill range, error value, reason) for every formula cell that holds an
            Excel error in the output, each with its reason.
        notes: (cell, note) for cells that kept their cached value (external links).
        seconds: wall time.
    """

    output: Path
    formula_cells: int = 0
    q_cells: int = 0
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def messages(self) -> list[str]:
        return [m for _, _, m in self.errors]


# -- Q-function names ----------------------------------------------------------------------------

def q_names() -> frozenset[str]:
    from ..excel import functions as excel

    return frozenset(n for n in excel.__all__ if n.startswith("Q") and n.isupper())


_Q_CALL = None


def q_call():
    """A pattern finding a call of a Q-function, in any letter case (``=qwaterfall(``)."""
    global _Q_CALL
    if _Q_CALL is None:
        names = "|".join(sorted(q_names(), key=len, reverse=True))
        _Q_CALL = re.compile(rf"(?<![A-Za-z0-9_.])(?:_xludf\.)?({names})\s*\(", re.IGNORECASE)
    return _Q_CALL


_STRING = re.compile(r'"(?:[^"]|"")*"')
_FUNCTION = re.compile(r"(?<![A-Za-z0-9_.])((?:_xlfn\.|_xludf\.|_xlws\.)*)([A-Za-z][A-Za-z0-9_.]*)\s*\(")
_EXTERNAL = re.compile(r"\[\d+\]")


def functions_called(formula: str) -> set[str]:
    """The upper-case names of the functions a formula calls (string literals skipped)."""
    bare = _STRING.sub('""', formula)
    bare = re.sub(r"'(?:[^']|'')*'!", "S!", bare)          # quoted sheet names may hold "("
    return {m.group(2).upper() for m in _FUNCTION.finditer(bare)}




def not_evaluated(formula: str) -> str | None:
    """Why recalc does not evaluate ``formula``, or None if it does."""
    unknown = sorted(functions_called(formula) - EVALUATED_FUNCTIONS - q_names())
    if unknown:
        return (f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not among the functions recalc "
                "evaluates (README: recalc); the cell is left to Excel")
    return None


# -- reading the package -----------------------------------------------------------------------

def _check_readable(src: Path, max_expanded: int = MAX_EXPANDED_BYTES):
    if not src.exists():
        raise RecalcError(f'no workbook at "{src}"')
    if src.is_dir():
        raise RecalcError(f'"{src}" is a folder, not a workbook')
    try:
        with open(src, "rb") as fh:
            head = fh.read(8)
    except OSError as e:
        raise RecalcError(f'cannot read "{src}": {e.strerror}') from None
    if head == OLE_MAGIC:
        raise RecalcError(f'"{src}" is password-protected (encrypted) or an old .xls file: save it as an '
                          "unprotected .xlsx first")
    if not zipfile.is_zipfile(src):
        raise RecalcError(f'"{src}" is not an .xlsx workbook (not a zip package)')
    try:
        with zipfile.ZipFile(src) as z:
            infos = z.infolist()
            expanded = sum(i.file_size for i in infos)
            if expanded > max_expanded:
                raise RecalcError(f'"{src}" expands to {expanded / 2**20:,.0f} MB uncompressed, over the '
                                  f"{max_expanded / 2**20:,.0f} MB limit (--max-expanded-mb): refused before reading it")
            bad = z.testzip()
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as e:
        raise RecalcError(f'"{src}" is corrupt: {str(e).splitlines()[0][:200]}') from None
    if bad is not None:
        raise RecalcError(f'"{src}" is corrupt: the part {bad} is damaged')
    if "xl/workbook.xml" not in names:
        raise RecalcError(f'"{src}" is not an Excel workbook (no xl/workbook.xml)')


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part name, from xl/workbook.xml and its relationships."""
    from lxml import etree

    book = etree.fromstring(z.read("xl/workbook.xml"))
    rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{PKG_REL_NS}}}Relationship")}
    out = {}
    for s in book.iter(f"{{{MAIN_NS}}}sheet"):
        t = target.get(s.get(f"{{{REL_NS}}}id"))
        if t is None or not t.endswith(".xml"):
            continue                                     # chartsheets, dialog sheets
        part = t.lstrip("/") if t.startswith("/") else "xl/" + t
        if "worksheets/" in part:
            out[s.get("name")] = part
    return out


def _split(addr: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", addr.upper())
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def _addr(row: int, col: int) -> str:
    s = ""
    while col:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return f"{s}{row}"


def _area(ref: str) -> tuple[int, int, int, int]:
    (r0, c0), (r1, c1) = [_split(a) for a in (ref.split(":") + [ref])[:2]]
    return r0, c0, r1, c1


# -- the Q-functions, as the formula engine calls them -------------------------------------------


@dataclass
class _Plan:
    """What reading the workbook found, per (SHEET, ADDRESS) upper case."""
    not_evaluated: dict = field(default_factory=dict)        # -> reason
    external: dict = field(default_factory=dict)             # -> note
    formula_cells: int = 0


def _shared_masters(root, ns) -> dict:
    masters = {}
    for c in root.iter(f"{ns}c"):
        f = c.find(f"{ns}f")
        if f is not None and f.get("t") == "shared" and f.get("ref") and f.text:
            masters[f.get("si")] = (c.get("r"), f.text)
    return masters


def _translate(formula: str, origin: str, dest: str) -> str:
    from openpyxl.formula.translate import Translator

    return Translator("=" + formula, origin=origin).translate_formula(dest)[1:]


# -- the Q-functions, as the engine calls them ----------------------------------------------------

class _Calls:
    """What the Q-functions said, per cell: the result's shape and any error message."""

    def __init__(self):
        self.shapes: dict[str, tuple[int, int]] = {}
        self.messages: dict[str, str] = {}


def _q_argument(ev, value):
    """An argument as Excel hands it to a custom function: a range as a list of rows (one cell as
    its value), a blank as None, an omitted argument as "" (blank to ``inputs``), an error as its
    code."""
    from .engine import MISSING, Arr, Ref, XlError

    if value is MISSING:
        return ""
    if type(value) is Ref:
        value = ev.value(value)
    if type(value) is Arr:
        rows = [[str(v) if type(v) is XlError else v for v in row] for row in value.rows]
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows
    if type(value) is XlError:
        return str(value)
    return value


def _q_result(result):
    """A Q-function's result as an engine value: a table as an array (short rows padded with ""),
    dates as serial numbers."""
    import numpy as np

    from .engine import Arr

    def cell(v):
        t = type(v)
        if v is None or t is str or t is bool or t is int or t is float:
            return v
        if isinstance(v, dt.date):
            return to_serial(v)
        if isinstance(v, np.bool_):
            return bool(v)
        if isinstance(v, numbers.Integral):                      # numpy's too
            return int(v)
        if isinstance(v, (numbers.Real, decimal.Decimal)):
            return float(v)
        return str(v)

    if isinstance(result, list):
        grid = result if result and isinstance(result[0], list) else [result]
        width = max(len(r) for r in grid)
        return Arr([[cell(c) for c in r] + [""] * (width - len(r)) for r in grid])
    return cell(result)


def _q_functions(calls: _Calls) -> dict:
    from ..excel import functions as excel
    from .engine import XlError

    table = {}
    for name in q_names():
        fn = getattr(excel, name)

        def q(ev, *args, _fn=fn):
            try:
                result = _fn(*[_q_argument(ev, a) for a in args])
            except excel.QuintusExcelError as e:
                calls.messages.setdefault(ev.current, str(e))
                return XlError("#VALUE!", str(e))
            return _q_result(result)
        table[name] = q
    return table


# -- reading the workbook -----------------------------------------------------------------------

# ECMA-376 ST_Xstring (22.9.2.19): a character XML cannot hold (a carriage return, control
# characters) is written _xHHHH_, and a literal "_x0041_" has its underscore written _x005F_.
# Read as written, "a"&CHAR(13)&"b" would be 9 characters long, not 3 (LEN, =, MID all wrong).
_XSTRING = re.compile(r"_x([0-9A-Fa-f]{4})_")
_NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")


def _from_xstring(text: str) -> str:
    return _XSTRING.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text


def _to_xstring(text: str) -> str:
    if "_x" in text:
        text = re.sub(r"_(?=x[0-9A-Fa-f]{4}_)", "_x005F_", text)
    return _NOT_XML.sub(lambda m: f"_x{ord(m[0]):04X}_", text)


def _shared_strings(z: zipfile.ZipFile, etree) -> list[str]:
    ns = f"{{{MAIN_NS}}}"
    rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    part = None
    for r in rels.iter(f"{{{PKG_REL_NS}}}Relationship"):
        if r.get("Type", "").endswith("/sharedStrings"):
            t = r.get("Target")
            part = t.lstrip("/") if t.startswith("/") else "xl/" + t
    if part is None or part not in z.namelist():
        return []
    out = []
    for si in etree.fromstring(z.read(part)).iter(f"{ns}si"):
        out.append(_from_xstring("".join(t.text or "" for t in si.iter(f"{ns}t") if t.getparent().tag != f"{ns}rPh")))
    return out


def _stored_value(c, ns, strings, sheet: str):
    """:func:`_constant` of cell ``c``, or a one-line RecalcError naming the cell when the file
    holds something its type cannot be (``<v> </v>`` in a number cell, a shared-string index
    past the table, a malformed date): a damaged file, never a guessed value."""
    t = c.get("t")
    try:
        return _constant(c, t, ns, strings)
    except (ValueError, IndexError, OverflowError) as e:
        v = c.find(f"{ns}v")
        held = v.text if v is not None else None
        raise RecalcError(f"{sheet}!{c.get('r')}: the value stored in the file ({held!r}, cell type "
                          f"{t or 'n'}) cannot be read: the file is damaged ({e}); open and save it in "
                          "Excel or LibreOffice, or retype that cell") from None


def _constant(c, t, ns, strings):
    """The value of a constant cell (or the value Excel cached for a formula)."""
    from .engine import XlError

    if t == "inlineStr":
        el = c.find(f"{ns}is")
        return _from_xstring("".join(x.text or "" for x in el.iter(f"{ns}t") if x.getparent().tag != f"{ns}rPh")) \
            if el is not None else ""
    v = c.find(f"{ns}v")
    if v is None or v.text is None:
        return "" if t == "str" else None
    text = v.text
    if t == "s":
        return strings[int(text)]
    if t == "str":
        return _from_xstring(text)
    if t == "b":
        return text.strip() in ("1", "true")
    if t == "e":
        return XlError(text.strip().upper(), f"{text.strip()}: the error value the workbook holds")
    if t == "d":
        day = dt.datetime.fromisoformat(text.strip())
        return to_serial(day.date()) + (day - dt.datetime.combine(day.date(), dt.time())).total_seconds() / 86400
    f = float(text)
    return int(f) if f.is_integer() and abs(f) < 2 ** 53 and "." not in text and "e" not in text.lower() else f


@dataclass
class _Formula:
    sheet: str                      # its sheet's name as written
    key: tuple                      # (SHEET, row, col)
    addr: str
    text: str = ""
    area: tuple | None = None       # (r0, c0, r1, c1) of an array formula's cells
    shared: tuple | None = None     # (master address, master text) of a shared formula's cell
    fixed: object = None            # a value not computed: an external link's cached value, an error
    refusal: bool = False           # fixed is a refusal (not evaluated by recalc): its readers are refused
    is_q: bool = False
    fn: object = None
    refs: list = field(default_factory=list)
    areas: list = field(default_factory=list)   # the (SHEET, r0, c0, r1, c1) it reads


_ANCHORARRAY = re.compile(r"(?<![A-Za-z0-9_.])(?:_xlfn\.)?ANCHORARRAY\(\s*((?:'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_.]*)!)?"
                          r"(\$?[A-Z]{1,3}\$?\d+)\s*\)", re.IGNORECASE)


def _anchor_arrays(formula: str) -> str:
    """``_xlfn.ANCHORARRAY(D1)``, as Excel saves ``D1#``, back to ``D1#``."""
    if "ANCHORARRAY" not in formula.upper():
        return formula
    parts = re.split(r'("(?:[^"]|"")*")', formula)
    return "".join(p if p.startswith('"') else _ANCHORARRAY.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}#", p)
                   for p in parts)


def _read_workbook(src: Path, plan: _Plan, max_cells: int):
    """Every sheet's constant cells and formula cells, the sheet names and spill areas."""
    from lxml import etree

    ns = f"{{{MAIN_NS}}}"
    cells, extent, formulas, names, spills = {}, {}, [], {}, {}
    with zipfile.ZipFile(src) as z:
        strings = _shared_strings(z, etree)
        defined = _defined_names(etree.fromstring(z.read("xl/workbook.xml")))
        for sheet, part in _sheet_parts(z).items():
            up = sheet.upper()
            names[up] = sheet
            values = cells.setdefault(up, {})
            root = etree.fromstring(z.read(part))
            masters = _shared_masters(root, ns)
            last_row = last_col = 1
            for c in root.iter(f"{ns}c"):
                addr = c.get("r")
                row, col = _split(addr)
                last_row, last_col = max(last_row, row), max(last_col, col)
                f = c.find(f"{ns}f")
                if f is None:
                    v = _stored_value(c, ns, strings, sheet)
                    if v is not None:
                        values[(row, col)] = v
                    continue
                plan.formula_cells += 1
                if plan.formula_cells > max_cells:
                    raise RecalcError(f'"{src}" has more than {max_cells:,} formula cells, the limit '
                                      "(--max-formula-cells): refused before calculating")
                rec = _Formula(sheet, (up, row, col), addr, f.text or "")
                if f.get("t") == "shared" and not f.text and f.get("si") in masters:
                    rec.shared = masters[f.get("si")]
                    rec.text = rec.shared[1]
                if f.get("t") == "array" and f.get("ref"):
                    rec.area = _area(f.get("ref"))
                    spills[(up, addr.upper())] = f.get("ref")
                    last_row, last_col = max(last_row, rec.area[2]), max(last_col, rec.area[3])
                if rec.text and _EXTERNAL.search(_STRING.sub('""', rec.text)):
                    plan.external[(up, addr.upper())] = "an external link: not followed; it keeps the value Excel cached"
                    rec.fixed = _stored_value(c, ns, strings, sheet)
                    rec.fixed = 0 if rec.fixed is None else rec.fixed
                formulas.append(rec)
            extent[up] = (last_row, last_col)
    return cells, extent, formulas, names, spills, defined


def _defined_names(book) -> dict:
    """(SHEET or None for the workbook, NAME) -> what the name stands for, from workbook.xml
    (Excel's own, _xlnm.Print_Area and the like, left out)."""
    ns = f"{{{MAIN_NS}}}"
    order = [s.get("name") for s in book.iter(f"{ns}sheet")]
    out = {}
    for d in book.iter(f"{ns}definedName"):
        name = d.get("name") or ""
        if name.lower().startswith("_xlnm.") or d.text is None:
            continue
        local = d.get("localSheetId")
        scope = order[int(local)].upper() if local is not None and local.isdigit() and int(local) < len(order) else None
        out[(scope, name.upper())] = d.text
    return out


# -- compiling and evaluating ---------------------------------------------------------------------

def _compile(formulas: list, names: dict, spills: dict, ev, calls: _Calls, bar=None, defined=None):
    """Each formula's closure (one per shape), its cells and the areas it reads; a formula recalc
    does not evaluate gets its error and reason instead."""
    from . import engine as E
    from .sheet_functions import FUNCTIONS, LAZY, OPERATORS, check_arguments

    table = {name: fn for name, (fn, _, _) in FUNCTIONS.items()}
    table.update(OPERATORS)
    table.update(_q_functions(calls))
    lazy = {name: fn for name, (fn, _, _) in LAZY.items()}
    qs = q_names()
    call = q_call()
    shapes: dict = {}
    masters: dict = {}
    for rec in formulas:
        if bar is not None:
            bar.update(1)
        if rec.fixed is not None:
            continue
        if not rec.text:
            rec.refusal = True
            rec.fixed = E.XlError("#N/A", "the formula has no text (a shared formula whose first cell is missing, or "
                                          "a what-if data table): not evaluated by recalc")
            continue
        sheet = rec.key[0]
        text = rec.text
        got = None
        if rec.shared is not None:                      # a shared formula's cell: the master's slots moved
            origin, master = rec.shared
            m = masters.get((sheet, origin))
            if m is None:
                m = masters[(sheet, origin)] = E.shared_slots(_expand_spill_refs(_anchor_arrays(master), rec.sheet,
                                                                               spills))
            if m is not None:
                shape, refs, flags = m
                mr, mc = _split(origin)
                dr, dc = rec.key[1] - mr, rec.key[2] - mc
                moved = [(r if ra else r + dr, c if ca else c + dc) for (r, c), (ra, ca) in zip(refs, flags)]
                if all(1 <= r <= E.MAX_ROW and 1 <= c <= E.MAX_COL for r, c in moved):
                    got = shape, moved
            if got is None:
                text = _translate(master, origin, rec.addr)
        if got is None:
            text = _expand_spill_refs(_anchor_arrays(text), rec.sheet, spills)
            got = E.shape_of(text)
        rec.is_q = bool(call.search(text))
        if got is None:
            rec.refusal = True
            rec.fixed = E.XlError("#N/A", "the engine cannot read this formula (a reference beyond the sheet)")
            continue
        shape, refs = got
        compiled = shapes.get((sheet, shape, rec.area is not None))
        if compiled is None:
            why = not_evaluated(text)
            if why is None:
                try:
                    tree = E.parse(shape, sheet, names, defined)
                    for name in sorted(E.functions_in(tree)):
                        if name not in table and name not in lazy:
                            raise E.FormulaError(f"{name} is not among the functions recalc evaluates (README: "
                                                 "recalc); the cell is left to Excel")
                    _check_calls(tree, qs, check_arguments)
                    ctx = "array" if rec.area is not None else "cell"
                    compiled = ("ok", E.compile_node(tree, ev, table, lazy, ctx), E.static_refs(tree))
                except E.FormulaError as e:
                    why = str(e)
            if why is not None:
                compiled = ("no", why)
            shapes[(sheet, shape, rec.area is not None)] = compiled
        if compiled[0] == "no":
            rec.refusal = True
            rec.fixed = E.XlError("#N/A", compiled[1])
            continue
        rec.fn, rec.refs = compiled[1], refs
        rec.areas = [_static_area(node, refs, ev) for node in compiled[2]]
    return shapes


def _static_area(node, refs, ev) -> tuple:
    """(SHEET, r0, c0, r1, c1) a reference node of a formula can read, at the cell's ``refs``."""
    if node[0] == "ref":
        _, s, a, b = node
        (r0, c0), (r1, c1) = refs[a], refs[a if b is None else b]
        return s, min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1)
    if node[0] == "line":
        return ev.line(*node[1:]).key
    if node[0] == "widen":                  # SUMIF's sum range, as wide and tall as its criteria range
        from .engine import MAX_COL, MAX_ROW

        s, r0, c0, _, _ = _static_area(node[1], refs, ev)
        _, q0, d0, q1, d1 = _static_area(node[2], refs, ev)
        return s, r0, c0, min(MAX_ROW, r0 + q1 - q0), min(MAX_COL, c0 + d1 - d0)
    areas = [_static_area(n, refs, ev) for n in node[1]]            # a span: the box around its parts
    return (areas[0][0], min(a[1] for a in areas), min(a[2] for a in areas), max(a[3] for a in areas),
            max(a[4] for a in areas))


def _fill_area(grid, rows: int, cols: int):
    """An array formula's result over its area: a one-row (one-column) result repeats down
    (across), a blank is 0, and a cell beyond the result is #N/A, as in Excel."""
    from .engine import XlError

    n, m = len(grid), len(grid[0])

    def at(i, j):
        if (n > 1 and i >= n) or (m > 1 and j >= m):
            return XlError("#N/A", "#N/A: a cell of the array formula's area beyond the array it returns")
        x = grid[0 if n == 1 else i][0 if m == 1 else j]
        return 0 if x is None else x
    return [[at(i, j) for j in range(cols)] for i in range(rows)]


def _check_calls(tree, qs, check_arguments):
    kind = tree[0]
    if kind == "call":
        if tree[1] not in qs:
            check_arguments(tree[1], len(tree[2]))
        for a in tree[2]:
            _check_calls(a, qs, check_arguments)
    elif kind == "op":
        _check_calls(tree[2], qs, check_arguments)
        _check_calls(tree[3], qs, check_arguments)
    elif kind in ("neg", "pct", "pos", "range"):
        for a in tree[1:]:
            _check_calls(a, qs, check_arguments)


def _evaluate(formulas: list, ev, calls: _Calls, names: dict, bar=None) -> dict:
    """Every formula's value, in dependency order, stored into ``ev.cells`` as it goes (a spill
    fills its area). Returns (SHEET, ADDRESS or AREA) -> value, as the writer wants it."""
    from bisect import insort

    from .engine import (
        MISSING,
        Arr,
        Ref,
        Refusal,
        Refused,
        XlError,
        col_letters,
        evaluation_order,
    )

    by_key = {rec.key: rec for rec in formulas}
    owner, columns = {}, {}

    def name(key):
        return f"{names[key[0]]}!{col_letters(key[2])}{key[1]}"

    for rec in formulas:
        sheet, row, col = rec.key
        if rec.area:
            r0, c0, r1, c1 = rec.area
            cells = ev.cells.setdefault(sheet, {})
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    owner[(sheet, r, c)] = rec.key
                    cells.pop((r, c), None)              # the values saved with the file are stale
                    insort(columns.setdefault(sheet, {}).setdefault(c, []), r)
        else:
            owner[rec.key] = rec.key
            insort(columns.setdefault(sheet, {}).setdefault(col, []), row)

    # Until its formula is computed, every cell a formula fills holds a refusal: a read the
    # evaluation order did not foresee (a reference computed at run time) is refused, never a
    # stale or blank value
    for (sheet, r, c), key in owner.items():
        ev.refuse_cell(sheet, r, c, Refused("read before recalc computed it (a reference the evaluation order did "
                                            "not foresee): the cell is left to Excel", name(key)))

    order, cycles = evaluation_order([rec.key for rec in formulas], owner, columns, ev.extent,
                                     lambda key: by_key[key].areas)

    for cycle in cycles:
        path = " -> ".join(name(k) for k in cycle + cycle[:1])
        for key in cycle:
            rec = by_key[key]
            if rec.fixed is None:
                rec.refusal = True
                rec.fixed = XlError("#N/A", f"a circular reference ({path}): recalc does not iterate; the cell is "
                                            "left to Excel")
    values = {}
    for key in order:
        rec = by_key[key]
        here = f"{rec.sheet}!{rec.addr}"
        ev.current = here
        refused = None
        if rec.fixed is not None:
            v = rec.fixed
            if type(v) is XlError and rec.refusal:
                refused = Refused(v.reason, here)
        else:
            try:
                v = rec.fn(rec.refs)
                if type(v) is Ref:
                    v = ev.value(v)
            except Refusal as e:                    # recalc cannot be sure of Excel's value: never catchable
                refused = Refused(e.reason, e.origin or here)
            except RecursionError:
                refused = Refused("the formula is nested too deeply for recalc", here)
            except (ArithmeticError, ValueError, TypeError, IndexError, KeyError) as e:   # one cell, not the book
                refused = Refused(f"recalc could not evaluate this formula ({type(e).__name__}: "
                                  f"{str(e).splitlines()[0][:200] if str(e) else 'no detail'}); the cell is left to "
                                  "Excel", here)
            if refused is None and v is MISSING:
                v = 0
        if refused is None and rec.area is None and type(v) is Arr and v.shape != (1, 1):
            n, m = v.shape
            refused = Refused(f"the formula gives {n} x {m} values in one cell: recalc does not pick one "
                              "(Excel's implicit intersection); enter it as an array formula", here)
        if refused is not None:
            # written as #N/A and listed; in the engine a value that raises when read, so every
            # cell reading it, directly or through a range, is refused too and names it
            shown = XlError("#N/A", refused.reason, refused.origin, dependent=refused.origin != here)
            r0, c0, r1, c1 = rec.area or (key[1], key[2], key[1], key[2])
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    ev.refuse_cell(key[0], r, c, refused)
            values[(key[0], rec.addr.upper())] = shown if rec.area is None else \
                [[shown] * (c1 - c0 + 1) for _ in range(r1 - r0 + 1)]
            if bar is not None:
                bar.update(1)
            continue
        cells = ev.cells.setdefault(key[0], {})
        if rec.area is None:
            if type(v) is Arr:
                v = v.rows[0][0]
            if v is None:
                v = 0
            if type(v) is XlError:
                v = v.at(here)
            cells[key[1:]] = v
            values[(key[0], rec.addr.upper())] = v
        else:
            r0, c0, r1, c1 = rec.area
            grid = v.rows if type(v) is Arr else [[v]]
            if rec.is_q:
                calls.shapes[here] = (len(grid), len(grid[0]))
            resized = rec.is_q and (len(grid), len(grid[0])) != (r1 - r0 + 1, c1 - c0 + 1)
            if not rec.is_q:            # an array formula (Excel's legacy kind): one row or column repeats,
                grid = _fill_area(grid, r1 - r0 + 1, c1 - c0 + 1)  # cells beyond the result are #N/A
            grid = [[x.at(here) if type(x) is XlError else x for x in row] for row in grid]
            for i in range(r1 - r0 + 1):
                for j in range(c1 - c0 + 1):
                    if resized:         # Excel with the add-in resizes the spill: its cells are not known
                        x = XlError("#VALUE!", f"{_q_name(rec.text)} now returns {len(grid)} x {len(grid[0])} cells "
                                               f"but the saved spill area is {r1 - r0 + 1} x {c1 - c0 + 1}", here)
                        ev.refuse_cell(key[0], r0 + i, c0 + j, Refused(x.reason, here))
                    else:
                        x = grid[i][j] if i < len(grid) and j < len(grid[i]) else ""
                        cells[(r0 + i, c0 + j)] = x
            values[(key[0], rec.addr.upper())] = grid
        if bar is not None:
            bar.update(1)
    return values


# -- the whole job ------------------------------------------------------------------------------

def _default_output(src: Path, freeze: bool) -> Path:
    suffix = src.suffix if src.suffix.lower() in (".xlsx", ".xlsm") else ".xlsx"
    return src.with_name(src.stem + (".frozen" if freeze else ".recalc") + suffix)


def _check_output(src: Path, dst: Path, in_place: bool):
    if dst.exists() and dst.is_dir():
        raise RecalcError(f'the output "{dst}" is a folder: name a file, e.g. "{dst / src.name}"', EXIT_OUTPUT)
    if not dst.parent.exists():
        raise RecalcError(f'cannot write "{dst}": the folder "{dst.parent}" does not exist', EXIT_OUTPUT)
    if not dst.parent.is_dir():
        raise RecalcError(f'cannot write "{dst}": "{dst.parent}" is not a folder', EXIT_OUTPUT)
    if not os.access(dst.parent, os.W_OK | os.X_OK):
        raise RecalcError(f'cannot write "{dst}": the folder "{dst.parent}" is read-only', EXIT_OUTPUT)
    if dst.resolve() == src.resolve() and not in_place:
        raise RecalcError(f'"{dst}" is the input: pass --in-place to overwrite it', EXIT_USAGE)
    with zipfile.ZipFile(src) as z:
        macros = "xl/vbaProject.bin" in z.namelist()
    if macros and dst.suffix.lower() != ".xlsm":
        raise RecalcError(f'"{src}" holds macros (a VBA project): write it to a .xlsm file, not "{dst.name}" '
                          "(Excel refuses macros in a .xlsx)", EXIT_USAGE)
    if not macros and dst.suffix.lower() == ".xlsm":
        raise RecalcError(f'"{src}" holds no macros: write it to a .xlsx file, not "{dst.name}"', EXIT_USAGE)


def recalc(src, dst=None, in_place: bool = False, progress=None, *, freeze: bool = False,
           show_progress: bool = False, max_expanded_bytes: int = MAX_EXPANDED_BYTES,
           max_formula_cells: int = MAX_FORMULA_CELLS) -> RecalcReport:
    """Recalculate ``src`` into ``dst`` (default ``<name>.recalc.xlsx``, or ``src`` itself with
    ``in_place``); see the module doc. ``freeze``: Q-function cells keep only their values."""
    started = time.perf_counter()
    say = progress or (lambda msg: None)
    src = Path(src)
    _check_readable(src, max_expanded_bytes)
    dst = src if in_place and dst is None else Path(dst) if dst else _default_output(src, freeze)
    _check_output(src, dst, in_place)
    try:
        from lxml import etree
    except ImportError as e:
        raise RecalcError(f"recalculation needs the workbook extra: pip install 'xl-quintus[workbook]' ({e})",
                          EXIT_ENGINE) from None
    from .engine import Engine, XlError

    calls = _Calls()
    plan = _Plan()
    say(f"loading {src.name}")
    bar = None
    try:
        cells, extent, formulas, names, spill_refs, defined = _read_workbook(src, plan, max_formula_cells)
        ev = Engine(cells, extent)
        if show_progress:                       # one bar at a time: reading formulas, then calculating
            from tqdm import tqdm

            bar = tqdm(total=len(formulas), desc="reading formulas", unit=" cells", file=sys.stderr, leave=False)
        _compile(formulas, names, spill_refs, ev, calls, bar, defined)
        for rec in formulas:
            if type(rec.fixed) is XlError:
                plan.not_evaluated[(rec.key[0], rec.addr.upper())] = rec.fixed.reason
        if bar is not None:
            bar.close()
            bar = tqdm(total=len(formulas), desc="calculating", unit=" cells", file=sys.stderr, leave=False)
        say("calculating")
        values = _evaluate(formulas, ev, calls, names, bar)
    except RecalcError:
        raise
    except MemoryError:
        raise RecalcError(f'"{src}" needs more memory than this machine has', EXIT_ENGINE) from None
    except Exception as e:                      # the engine's own failure, in one line
        if os.environ.get("XLQ_RECALC_DEBUG"):
            raise
        raise RecalcError(f'could not calculate "{src}": {type(e).__name__}: {str(e).splitlines()[0][:300]}',
                          EXIT_ENGINE) from None
    finally:
        if bar is not None:
            bar.close()

    report = RecalcReport(output=dst)
    say("writing cached values")
    with zipfile.ZipFile(src) as zin:
        parts = _sheet_parts(zin)
        spills = _spill_areas(zin, parts, etree) if freeze else {}
        patched = {}
        for sheet, part in parts.items():
            root = etree.fromstring(zin.read(part))
            if _patch_sheet(root, sheet, values, report, etree, plan, calls, freeze, spills):
                patched[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        patched["xl/workbook.xml"] = _calc_properties(etree.fromstring(zin.read("xl/workbook.xml")), etree,
                                                      full_calc_on_load=freeze)
        _write_atomically(zin, patched, src, dst)
    report.seconds = time.perf_counter() - started
    return report



def _write_atomically(zin, patched: dict, src: Path, dst: Path):
    try:
        tmp = tempfile.NamedTemporaryFile(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp", delete=False)
    except OSError as e:
        raise RecalcError(f'cannot write "{dst}": {e.strerror}', EXIT_OUTPUT) from None
    tmp.close()
    try:
        with zipfile.ZipFile(tmp.name, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                zout.writestr(item, patched.get(item.filename, zin.read(item.filename)))
        os.chmod(tmp.name, os.stat(src).st_mode & 0o777)   # the copy keeps the input's permissions
        os.replace(tmp.name, dst)
    except OSError as e:
        why = "the disk is full" if e.errno == errno.ENOSPC else e.strerror or str(e)
        raise RecalcError(f'cannot write "{dst}": {why} (nothing was written)', EXIT_OUTPUT) from None
    finally:
        if os.path.exists(tmp.name):
            os.unlink(tmp.name)


# Excel recalculates every formula on open when calcPr says fullCalcOnLoad, or when calcId (the
# calculation engine that last computed the values) is older than its own engine. A recalculated
# copy holds fresh values for every cell, so it claims a calcId above any Excel's and drops
# fullCalcOnLoad: Excel with the add-in then shows them and recalculates what the user changes;
# Excel without it shows the numbers instead of #NAME?. A frozen copy keeps only ordinary
# formulas, so it asks for a full calculation on load (fullCalcOnLoad="1").
CALC_ID_FRESH = "999999"


def _calc_properties(book, etree, full_calc_on_load: bool) -> bytes:
    ns = f"{{{MAIN_NS}}}"
    calc = book.find(f"{ns}calcPr")
    if calc is None:
        calc = etree.Element(f"{ns}calcPr")
        later = [book.find(f"{ns}{t}") for t in ("oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr",
                                                   "smartTagTypes", "webPublishing", "fileRecoveryPr",
                                                   "webPublishObjects", "extLst")]
        later = [x for x in later if x is not None]
        if later:
            later[0].addprevious(calc)
        else:
            book.append(calc)
    if full_calc_on_load:
        calc.set("fullCalcOnLoad", "1")
    else:
        calc.attrib.pop("fullCalcOnLoad", None)
        calc.set("calcId", CALC_ID_FRESH)
    return etree.tostring(book, xml_declaration=True, encoding="UTF-8", standalone=True)


def _spill_areas(zin, parts, etree) -> dict:
    """(SHEET, ANCHOR) -> its spill area "A3:I17", for every array formula of the workbook."""
    ns = f"{{{MAIN_NS}}}"
    out = {}
    for sheet, part in parts.items():
        for c in etree.fromstring(zin.read(part)).iter(f"{ns}c"):
            f = c.find(f"{ns}f")
            if f is not None and f.get("t") == "array" and f.get("ref"):
                out[(sheet.upper(), c.get("r").upper())] = f.get("ref")
    return out


_SPILL_REF = re.compile(r"((?:'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_.]*)!)?(\$?)([A-Z]{1,3})(\$?)(\d+)#")


def _expand_spill_refs(formula: str, sheet: str, spills: dict) -> str:
    """``A3#`` -> ``A3:I17`` (programs without dynamic arrays do not know ``#``)."""
    if "#" not in formula:
        return formula
    def one(m):
        prefix = m.group(1) or ""
        target = prefix[:-1].strip("'").replace("''", "'") if prefix else sheet
        area = spills.get((target.upper(), f"{m.group(3)}{m.group(5)}".upper()))
        if area is None:
            return m.group(0)
        end = area.split(":")[-1]
        return f"{prefix}{m.group(2)}{m.group(3)}{m.group(4)}{m.group(5)}:{end}"
    parts = re.split(r'("(?:[^"]|"")*")', formula)
    return "".join(p if p.startswith('"') else _SPILL_REF.sub(one, p) for p in parts)


def _patch_sheet(root, sheet: str, values: dict, report: RecalcReport, etree, plan: _Plan, calls: _Calls,
                 freeze: bool, spills: dict) -> bool:
    ns = f"{{{MAIN_NS}}}"
    data = root.find(f"{ns}sheetData")
    if data is None:
        return False
    cells = {c.get("r"): c for c in data.iter(f"{ns}c")}
    rows = {int(r.get("r")): r for r in data.iter(f"{ns}row")}
    masters = _shared_masters(root, ns)
    call = q_call()
    changed = False
    for addr, c in list(cells.items()):
        f = c.find(f"{ns}f")
        if f is None:
            continue                    # shared-formula children (<f t="shared" si=".."/>) count too
        report.formula_cells += 1
        text = f.text or (masters.get(f.get("si"), (None, ""))[1] if f.get("t") == "shared" else "")
        is_q = bool(call.search(text or ""))
        report.q_cells += is_q
        ref = f.get("ref") if f.get("t") == "array" else None
        here = f"{sheet}!{addr}"
        key = (sheet.upper(), addr.upper())
        if key in plan.external:
            report.notes.append((here, plan.external[key]))
            continue
        vkey = (sheet.upper(), addr.upper())
        if vkey not in values:
            report.errors.append((here, "#N/A", "not calculated: a circular reference, or a formula the engine "
                                               "does not know"))
            _set_value(c, _error("#N/A"), ns, etree, has_formula=True)
            changed = True
            continue
        grid = _grid(values[vkey])
        reason = plan.not_evaluated.get(key)
        if ref:
            r0, c0, r1, c1 = _area(ref)
            shape = calls.shapes.get(here)
            resized = shape is not None and tuple(shape) != (r1 - r0 + 1, c1 - c0 + 1)
            spill_errors = []
            for i in range(r1 - r0 + 1):
                for j in range(c1 - c0 + 1):
                    v = grid[i][j] if i < len(grid) and j < len(grid[i]) else ""
                    if resized:
                        v = _error("#VALUE!")
                    a = _addr(r0 + i, c0 + j)
                    target = cells[a] if a in cells else _new_cell(rows, data, r0 + i, a, etree, ns, cells)
                    _set_value(target, v, ns, etree, has_formula=(a == addr) and not (freeze and is_q))
                    if _is_error(v):
                        spill_errors.append((a, str(v), getattr(v, "message", None)))
            if resized:
                report.errors.append((f"{sheet}!{ref}", "#VALUE!",
                                      f"{_q_name(text)} now returns {shape[0]} x {shape[1]} cells but the saved spill "
                                      f"area {ref} is {r1 - r0 + 1} x {c1 - c0 + 1}: Excel with the add-in resizes it "
                                      "when it recalculates; recalc does not"))
            elif spill_errors:
                first = spill_errors[0]
                if len(spill_errors) > 1 and len({e[1] for e in spill_errors}) == 1 and first[0] == addr:
                    where = f"{sheet}!{ref}" if len(spill_errors) == (r1 - r0 + 1) * (c1 - c0 + 1) else \
                        f"{sheet}!{addr} and {len(spill_errors) - 1} more cells of {ref}"
                    report.errors.append((where, first[1], _reason(first[1], first[2], here, calls, reason)))
                else:
                    for a, v, msg in spill_errors:
                        report.errors.append((f"{sheet}!{a}", v, _reason(v, msg, here, calls, reason)))
        else:
            v = grid[0][0]
            _set_value(c, v, ns, etree, has_formula=not (freeze and is_q))
            if _is_error(v):
                report.errors.append((here, str(v), _reason(str(v), getattr(v, "message", None), here, calls, reason)))
        if freeze and is_q:
            c.remove(f)
            c.attrib.pop("cm", None)
            if f.get("t") == "shared" and f.get("ref"):     # its group's other cells lose their master
                _unshare(root, ns, f.get("si"), addr, text, skip_q=True)
        elif freeze and spills and "#" in _anchor_arrays(f.text or ""):
            f.text = _expand_spill_refs(_anchor_arrays(f.text), sheet, spills)
        changed = True
    return changed


def _unshare(root, ns, si, origin, text, skip_q):
    for c in root.iter(f"{ns}c"):
        f = c.find(f"{ns}f")
        if f is not None and f.get("t") == "shared" and f.get("si") == si and not f.text:
            f.text = _translate(text, origin, c.get("r"))
            for a in ("t", "si"):
                f.attrib.pop(a, None)


def _q_name(formula: str) -> str:
    m = q_call().search(formula or "")
    return m.group(1).upper() if m else "the function"


def _reason(value: str, message, cell: str, calls: _Calls, not_evaluated: str | None) -> str:
    if not_evaluated:
        return not_evaluated
    if message:
        return message
    if cell in calls.messages:
        return calls.messages[cell]
    return {
        "#N/A": "#N/A: a lookup found nothing, or the formula depends on a cell recalc could not evaluate",
        "#DIV/0!": "#DIV/0!: a division by zero",
        "#REF!": "#REF!: a reference outside the sheet, or to a workbook that is not opened",
        "#NAME?": "#NAME?: a name or function the workbook does not define",
        "#VALUE!": "#VALUE!: an argument of the wrong type, or it depends on a cell in error",
        "#NUM!": "#NUM!: a number out of range",
    }.get(value, f"{value}: the formula evaluates to an error")


def _error(code: str):
    from .engine import XlError

    return XlError(code)


def _grid(value):
    """A value as rows of cells."""
    from .engine import Arr

    if type(value) is Arr:
        return value.rows
    if isinstance(value, list):
        return value
    return [[value]]


def _is_error(v) -> bool:
    from .engine import XlError

    return type(v) is XlError or (isinstance(v, str) and v.startswith("#") and is_error(v))


def _new_cell(rows, data, r: int, a: str, etree, ns, cells):
    row = rows.get(r)
    if row is None:
        row = etree.Element(f"{ns}row", r=str(r))
        later = [k for k in rows if k > r]
        if later:
            rows[min(later)].addprevious(row)
        else:
            data.append(row)
        rows[r] = row
    cell = etree.Element(f"{ns}c", r=a)
    col = _split(a)[1]
    after = [x for x in row.findall(f"{ns}c") if _split(x.get("r"))[1] > col]
    if after:
        after[0].addprevious(cell)
    else:
        row.append(cell)
    cells[a] = cell
    return cell


def _set_value(c, v, ns, etree, has_formula: bool):
    for child in list(c):
        if child.tag in (f"{ns}v", f"{ns}is"):
            c.remove(child)
    c.attrib.pop("t", None)
    if v is None:
        v = ""
    if isinstance(v, bool):
        c.set("t", "b")
        etree.SubElement(c, f"{ns}v").text = "1" if v else "0"
    elif isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            c.set("t", "e")
            etree.SubElement(c, f"{ns}v").text = "#NUM!"
        else:
            whole = float(v).is_integer() and abs(v) < 2 ** 53
            etree.SubElement(c, f"{ns}v").text = str(int(v)) if whole else repr(float(v))
    elif _is_error(v):
        c.set("t", "e")
        etree.SubElement(c, f"{ns}v").text = str(v).upper()
    elif has_formula:
        c.set("t", "str")
        etree.SubElement(c, f"{ns}v").text = _to_xstring(str(v))
    elif v == "":
        pass                            # an empty cell of a spill: no value at all
    else:
        c.set("t", "inlineStr")
        inline = etree.SubElement(c, f"{ns}is")
        etree.SubElement(inline, f"{ns}t").text = _to_xstring(str(v))
