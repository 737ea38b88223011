"""Headless recalculation of a workbook: every Q-function and the Excel formulas around them.

The ``formulas`` package evaluates the workbook (SUM, INDEX, arithmetic, references to
spilled ranges ``A1#``) with the Q-functions of ``xl_quintus.excel`` registered. The fresh
values are then written as the cached values of a *copy* of the file, edited in place at the
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
import errno
import logging
import math
import os
import re
import sys
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..excel.cells import EXCEL_ERRORS, is_error, to_serial
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
VLOOKUP YEAR CONCATENATE
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


INDEX_AS_REFERENCE = "XLQINDEXREF"
_INDEX_OPEN = re.compile(r"(?<![A-Za-z0-9_.])(?:_xlfn\.)?INDEX\s*\(", re.IGNORECASE)


def _index_as_reference(formula: str) -> str:
    """Each INDEX call that bounds a range (``A1:INDEX(..)``, ``INDEX(..):A5``) calls the
    ``formulas`` INDEX, which returns a reference; the others keep the fast value INDEX."""
    parts = re.split(r'("(?:[^"]|"")*")', formula)
    out = []
    for part in parts:
        if part.startswith('"'):
            out.append(part)
            continue
        pieces, i = [], 0
        for m in _INDEX_OPEN.finditer(part):
            depth, j = 0, m.end() - 1
            while j < len(part):
                depth += part[j] == "("
                depth -= part[j] == ")"
                if depth == 0:
                    break
                j += 1
            before = part[:m.start()].rstrip()
            after = part[j + 1:].lstrip()
            bound = before.endswith(":") or after.startswith(":")
            pieces.append(part[i:m.start()])
            pieces.append(INDEX_AS_REFERENCE + "(" if bound else m.group(0))
            i = m.end()
        pieces.append(part[i:])
        out.append("".join(pieces))
    return "".join(out)


def _index_starts_a_range(formula: str) -> bool:
    bare = _STRING.sub('""', formula)
    for m in _INDEX_OPEN.finditer(bare):
        depth, j = 0, m.end() - 1
        while j < len(bare):
            depth += bare[j] == "("
            depth -= bare[j] == ")"
            if depth == 0:
                break
            j += 1
        if bare[j + 1:].lstrip().startswith(":"):
            return True
    return False


def not_evaluated(formula: str) -> str | None:
    """Why recalc does not evaluate ``formula``, or None if it does."""
    if _index_starts_a_range(formula):
        # formulas 1.3 takes the wrong cells for INDEX(A1:A5,2):A4 (12 where Excel gives 9)
        return "INDEX(...) as the start of a range (INDEX(..):A4) is not evaluated by recalc; the cell is left to Excel"
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

def _xl_error_class():
    from formulas.tokens.operand import XlError

    class QError(XlError):
        """An Excel error value carrying the one-line reason a Q-function gave."""

    return QError


def _from_engine(value):
    """A value from ``formulas`` as Excel-shaped Python: ranges to lists of rows, empty to None."""
    import numpy as np
    import schedula as sh
    from formulas.tokens.operand import XlError

    if hasattr(value, "value") and not isinstance(value, (str, bytes)):
        value = value.value
    if isinstance(value, np.ndarray) and value.ndim == 0:          # a computed argument: 6+0
        return _from_engine(value.item())
    if isinstance(value, np.ndarray):
        rows = [[_from_engine(c) for c in r] for r in np.atleast_2d(value).tolist()]
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows
    if isinstance(value, XlError):
        return str(value)
    if value is sh.EMPTY or (isinstance(value, sh.Token) and str(value) == "empty"):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _to_engine(result):
    """A Q-function's result for ``formulas``: tables as 2-D object arrays, dates as serials."""
    import numpy as np

    def cell(v):
        if isinstance(v, dt.date):
            return to_serial(v)
        return v

    if isinstance(result, list):
        grid = result if result and isinstance(result[0], list) else [result]
        width = max(len(r) for r in grid)
        return np.array([[cell(c) for c in r] + [""] * (width - len(r)) for r in grid], dtype=object)
    return cell(result)


TAG = "@xl-quintus-cell:"


class _Calls:
    """What the Q-functions said, per cell: the result's shape and any error message."""

    def __init__(self):
        self.shapes: dict[str, tuple[int, int]] = {}
        self.messages: dict[str, str] = {}


_FORMULAS_INDEX = None


def _register(calls: _Calls, QError, tick=None):
    import formulas
    from formulas.functions import wrap_func, wrap_impure_func, COMPILING
    import collections

    from ..excel import functions as excel

    table = formulas.get_functions()
    global _FORMULAS_INDEX
    if _FORMULAS_INDEX is None:                      # the engine's own, before ours replaces it
        _FORMULAS_INDEX = table["INDEX"]
    original_index = _FORMULAS_INDEX
    for name in q_names():
        fn = getattr(excel, name)

        def adapter(*args, _fn=fn, _name=name):
            cell = None
            if args and isinstance(args[-1], str) and args[-1].startswith(TAG):
                cell, args = args[-1][len(TAG):], args[:-1]
            if tick:
                tick()
            try:
                result = _to_engine(_fn(*[_from_engine(a) for a in args]))
            except excel.QuintusExcelError as e:
                error = QError("#VALUE!")
                error.message = str(e)
                if cell and cell not in calls.messages:
                    calls.messages[cell] = str(e)
                return error
            if cell:
                shape = getattr(result, "shape", (1, 1))
                calls.shapes.setdefault(cell, shape if len(shape) == 2 else (1, 1))
            return result
        table[name] = adapter
    _approximate_add_and_subtract()
    table["INDEX"] = {"extra_inputs": collections.OrderedDict([(COMPILING, False)]),
                      "function": wrap_impure_func(wrap_func(_index_whole_row_or_column(), ranges=True))}
    table[INDEX_AS_REFERENCE] = original_index


def _approximate_add_and_subtract():
    """``a + b`` and ``a - b`` as spreadsheets compute them: 0 when the operands cancel to within
    the last bits of a double (``=H15-SUM(H2:H14)`` is 0, not 2.98e-08), so a check cell
    ``=IF(total-SUM(parts)=0, ...)`` reads as it does in LibreOffice (rtl::math::approxAdd) and Excel."""
    from formulas.functions import wrap_ufunc
    from formulas.functions.operators import OPERATORS

    def near(x, y):
        return x != 0 and abs(x - y) <= abs(x) * 2.0 ** -48

    def add(x, y):
        return 0.0 if (x < 0) != (y < 0) and near(x, -y) else x + y

    def sub(x, y):
        return 0.0 if (x < 0) == (y < 0) and near(x, y) else x - y

    OPERATORS["+"] = wrap_ufunc(add)
    OPERATORS["-"] = wrap_ufunc(sub)


def _index_whole_row_or_column():
    """INDEX as Excel computes it when row_num or column_num is 0: the whole column or row.

    (``formulas`` 1.3 treats 0 as 1: ``=SUM(INDEX(A1:C5,0,2))`` gave the first cell.)"""
    import numpy as np
    import schedula as sh
    from formulas.functions import Error
    from formulas.functions.look import xindex
    from formulas.functions import Array
    from formulas.ranges import Ranges

    def scalar(x):
        if isinstance(x, Ranges):
            x = x.value
        if isinstance(x, np.ndarray):
            if x.size != 1:
                return None
            x = x.ravel()[0]
        return x

    def index(array, row_num, col_num=None, area_num=1):
        r, c = scalar(row_num), scalar(col_num) if col_num is not None else None
        is_set = isinstance(array, Ranges) and array.is_set
        if is_set or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in
                             ([r] + ([c] if c is not None else []))):
            return xindex(array, row_num, col_num, area_num)
        values = np.atleast_2d(array.value if isinstance(array, Ranges) else np.asarray(array, object))
        n, m = values.shape
        if not (r == 0 or c == 0):
            # One cell, as a value: ``formulas`` builds a reference object for every cell of the
            # range first (a lookup per row of a 2,000-row block took minutes). Used where a
            # reference is needed (A1:INDEX(..)), it is an error, reported, never a guess.
            if c is None:
                r, c = (1, r) if n == 1 else (r, 1) if m == 1 else (r, None)
                if c is None:
                    return xindex(array, row_num, col_num, area_num)
            r, c = int(r), int(c)
            if r < 1 or c < 1 or r > n or c > m:
                return Error.errors["#REF!"]
            v = values[r - 1, c - 1]
            return 0 if v is sh.EMPTY else v
        if c is None:                        # INDEX(column, 0) or INDEX(row, 0): all of it
            if n == 1 or m == 1:
                return values.view(Array)
            return Error.errors["#REF!"]
        r, c = int(r), int(c)
        if r < 0 or c < 0 or r > n or c > m:
            return Error.errors["#REF!"]
        out = values if r == 0 and c == 0 else values[:, c - 1:c] if r == 0 else values[r - 1:r, :]
        return np.array(out, dtype=object).view(Array)

    return index


def fill_omitted_arguments(formula: str, tag: str | None = None) -> str:
    """Write every omitted argument of a Q-function call as "" (blank to ``inputs``), the
    Q-function names in upper case, and (with ``tag``) the cell as a last argument.

    Excel passes an omitted argument (``QCONVERT(A1,B1,,C1)``) to a custom function as missing,
    which xlwings turns into the argument's default; the ``formulas`` engine passes 0, which is
    a real value. String literals and other functions' arguments are left alone.
    """
    names = q_names()
    out = []
    stack: list[bool] = []          # per open parenthesis: is it a Q-function's argument list?
    i, n = 0, len(formula)
    expect_arg = False              # just after "(" or "," of a Q call
    while i < n:
        ch = formula[i]
        if ch == '"':                                     # a string literal, "" escapes
            j = i + 1
            while j < n and not (formula[j] == '"' and (j + 1 >= n or formula[j + 1] != '"')):
                j += 2 if formula[j] == '"' else 1
            out.append(formula[i:j + 1])
            i = j + 1
            expect_arg = False
            continue
        if ch == "'":                                     # a quoted sheet name
            j = formula.find("'", i + 1)
            while j != -1 and j + 1 < n and formula[j + 1] == "'":
                j = formula.find("'", j + 2)
            j = n - 1 if j == -1 else j
            out.append(formula[i:j + 1])
            i = j + 1
            expect_arg = False
            continue
        if ch == "(":
            m = re.search(r"(?<![A-Za-z0-9_.])(?:_xludf\.)?([A-Za-z][A-Za-z0-9_.]*)\s*$", "".join(out))
            is_q = bool(m and m.group(1).upper() in names)
            if is_q:
                head = "".join(out)
                out = [head[:m.start()] + m.group(1).upper()]
            stack.append(is_q)
            out.append(ch)
            expect_arg = is_q
            if is_q and formula[i + 1:].lstrip().startswith(")"):
                expect_arg = False                         # QFOO(): no arguments at all
                if tag:
                    out.append(f'"{TAG}{tag}"')
                    stack[-1] = None                       # the tag is its only argument
            i += 1
            continue
        if ch in ",)" and stack and stack[-1] and expect_arg:
            out.append('""')
        if ch == ",":
            expect_arg = bool(stack and stack[-1])
        elif ch == ")":
            if stack:
                was_q = stack.pop()
                if was_q and tag:
                    out.append(f',"{TAG}{tag}"')
            expect_arg = False
        elif not ch.isspace():
            expect_arg = False
        out.append(ch)
        i += 1
    return "".join(out)


# -- the engine's copy of the workbook ---------------------------------------------------------

@dataclass
class _Plan:
    """What the engine copy changed, per (SHEET, ADDRESS) upper case."""
    not_evaluated: dict = field(default_factory=dict)        # -> reason
    external: dict = field(default_factory=dict)             # -> note
    q_masters: set = field(default_factory=set)              # shared-formula groups calling Q: (sheet, si)
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


def _cached_constant(c, ns) -> str:
    v = c.find(f"{ns}v")
    text = "" if v is None or v.text is None else v.text
    t = c.get("t")
    if t == "e":
        return text or "NA()"
    if t == "b":
        return "TRUE" if text == "1" else "FALSE"
    if t in ("str", "s", "inlineStr"):
        return '"' + text.replace('"', '""') + '"'
    return text or '""'


def _engine_copy(src: Path, directory: str, plan: _Plan, max_cells: int) -> Path:
    """A copy of ``src`` for the engine: Q-calls in upper case with omitted arguments filled in
    and the cell as a tag; formulas recalc does not evaluate replaced by NA(); external links
    by the value Excel cached for them."""
    from lxml import etree

    ns = f"{{{MAIN_NS}}}"
    call = q_call()
    copy = Path(directory) / "engine.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as zout:
        parts = {part: sheet for sheet, part in _sheet_parts(zin).items()}
        for item in zin.infolist():
            if item.filename.startswith("xl/externalLinks/"):
                continue                                         # never read, never followed
            data = zin.read(item.filename)
            if item.filename in parts:
                sheet = parts[item.filename]
                root = etree.fromstring(data)
                masters = _shared_masters(root, ns)
                for c in root.iter(f"{ns}c"):
                    f = c.find(f"{ns}f")
                    if f is None:
                        continue
                    plan.formula_cells += 1
                    if plan.formula_cells > max_cells:
                        raise RecalcError(f'"{src}" has more than {max_cells:,} formula cells, the limit '
                                          "(--max-formula-cells): refused before calculating")
                    addr = c.get("r")
                    key = (sheet.upper(), addr.upper())
                    text = f.text
                    if f.get("t") == "shared" and not text and f.get("si") in masters:
                        origin, master = masters[f.get("si")]
                        text = _translate(master, origin, addr)
                    if not text:
                        continue
                    if _EXTERNAL.search(_STRING.sub('""', text)):
                        plan.external[key] = "an external link: not followed; it keeps the value Excel cached"
                        new = _cached_constant(c, ns)
                    elif (why := not_evaluated(text)) is not None:
                        plan.not_evaluated[key] = why
                        new = "NA()"
                    elif ":" in text and (new := _index_as_reference(text)) != text:
                        if call.search(new):                   # INDEX(..):B5 needs INDEX's reference
                            new = fill_omitted_arguments(new, tag=f"{sheet}!{addr}")
                    elif call.search(text):
                        if f.get("t") == "shared":
                            plan.q_masters.add((sheet.upper(), f.get("si")))
                        new = fill_omitted_arguments(text, tag=f"{sheet}!{addr}")
                    else:
                        continue
                    if f.get("t") == "shared":               # written out in full: no longer shared
                        for a in ("t", "si", "ref"):
                            f.attrib.pop(a, None)
                    f.text = new
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            elif item.filename == "xl/_rels/workbook.xml.rels":
                root = etree.fromstring(data)
                for r in list(root):
                    if r.get("Type", "").endswith("/externalLink"):
                        root.remove(r)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            elif item.filename == "xl/workbook.xml":
                root = etree.fromstring(data)
                for el in root.iter(f"{ns}externalReferences"):
                    el.getparent().remove(el)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zout.writestr(item, data)
    return copy


def _engine(progress_total: int, show_progress: bool):
    """A ``formulas`` ExcelModel that opens no other workbook, with a progress bar on stderr."""
    import formulas
    import formulas.excel as fx
    from formulas.cell import Cell

    class NoLinks(formulas.ExcelModel):
        def add_book(self, book=None, context=None, data_only=False):
            if isinstance(book, str):
                if self.main is None:
                    self.main = os.path.basename(book).upper()
                elif os.path.normpath(book).upper() != self.main:
                    raise RecalcError("external workbooks are never opened")
            return super().add_book(book, context, data_only)

        def compile_cell(self, cell, context, references, formula_references):
            if bar is not None and cell.data_type == "f":
                bar.update(1)
            try:
                return super().compile_cell(cell, context, references, formula_references)
            except Exception as e:                       # a formula the engine cannot read
                crd = formula_references.get(cell.coordinate, cell.coordinate)
                self.unparsed[crd] = f"the engine cannot read this formula ({type(e).__name__})"
                return self._compile_cell(crd, "=NA()", context, True, references)

    bar = None
    if show_progress:
        from tqdm import tqdm

        bar = tqdm(total=progress_total, desc="reading formulas", unit=" cells", file=sys.stderr, leave=False)

    class Quiet:                                         # formulas' own bar over its internals
        def __init__(self, *a, **k):
            self.total = 0

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        def update(self, n=1):
            pass

        def refresh(self):
            pass

    fx.tqdm = type("tqdm_module", (), {"tqdm": Quiet})
    model = NoLinks()
    model.unparsed = {}
    model.main = None
    return model, bar, Cell


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
        import formulas  # noqa: F401
        from lxml import etree
    except ImportError as e:
        raise RecalcError(f"recalculation needs the workbook extra: pip install 'xl-quintus[workbook]' ({e})",
                          EXIT_ENGINE) from None

    calls = _Calls()
    QError = _xl_error_class()
    plan = _Plan()
    say(f"loading {src.name}")
    bars = []
    try:
        with tempfile.TemporaryDirectory() as work:
            copy = _engine_copy(src, work, plan, max_formula_cells)
            model, bar, Cell = _engine(plan.formula_cells, show_progress)
            bars.append(bar)
            _register(calls, QError)
            logging.getLogger("formulas").setLevel(logging.CRITICAL)
            model.loads(str(copy)).finish()
            calc_bar = None
            if show_progress:                       # one bar at a time: reading, then calculating
                from tqdm import tqdm

                bar.close()
                calc_bar = tqdm(total=plan.formula_cells, desc="calculating", unit=" cells", file=sys.stderr,
                                leave=False)
                bars.append(calc_bar)
            say("calculating")
            solution = _calculate(model, calc_bar)
    except RecalcError:
        raise
    except MemoryError:
        raise RecalcError(f'"{src}" needs more memory than this machine has', EXIT_ENGINE) from None
    except Exception as e:                      # the engine's own failure, in one line
        raise RecalcError(f'could not calculate "{src}": {type(e).__name__}: {str(e).splitlines()[0][:300]}',
                          EXIT_ENGINE) from None
    finally:
        for b in bars:
            if b is not None:
                b.close()
    values = {}
    for key, v in solution.items():
        m = re.fullmatch(r"'\[(.+?)\](.+?)'!(.+)", str(key))
        if m:
            values[(m.group(2).upper(), m.group(3).upper())] = getattr(v, "value", v)
    for crd, why in model.unparsed.items():
        m = re.fullmatch(r"'\[(.+?)\](.+?)'!(.+)", str(crd))
        if m:
            plan.not_evaluated[(m.group(2).upper(), m.group(3).upper())] = why

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


def _calculate(model, bar):
    """``model.calculate()``, ticking ``bar`` for each formula cell evaluated."""
    from formulas.cell import CellWrapper

    if bar is None:
        return model.calculate()
    original = CellWrapper.__call__

    def ticking(self, *args, **kwargs):
        bar.update(1)
        return original(self, *args, **kwargs)

    CellWrapper.__call__ = ticking
    try:
        return model.calculate()
    finally:
        CellWrapper.__call__ = original


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
        vkey = (sheet.upper(), (ref or addr).upper())
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
        elif freeze and spills and "#" in (f.text or ""):
            f.text = _expand_spill_refs(f.text, sheet, spills)
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
    from formulas.tokens.operand import XlError

    return XlError(code)


def _grid(value):
    import numpy as np
    from formulas.tokens.operand import XlError

    def one(x):
        return x if isinstance(x, XlError) else _from_engine(x)

    if isinstance(value, np.ndarray):
        return [[one(x) for x in row] for row in np.atleast_2d(value).tolist()]
    return [[one(value)]]




def _is_error(v) -> bool:
    from formulas.tokens.operand import XlError

    return isinstance(v, XlError) or (isinstance(v, str) and v.startswith("#") and is_error(v))


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
        etree.SubElement(c, f"{ns}v").text = str(v)
    elif v == "":
        pass                            # an empty cell of a spill: no value at all
    else:
        c.set("t", "inlineStr")
        inline = etree.SubElement(c, f"{ns}is")
        etree.SubElement(inline, f"{ns}t").text = str(v)
