"""Headless recalculation of a workbook: every Q-function and the Excel formulas around them.

The ``formulas`` package evaluates the workbook (SUM, INDEX, arithmetic, references to
spilled ranges ``A1#``) with the Q-functions of ``xl_quintus.excel`` registered. The fresh
values are then written as the cached values of a *copy* of the file, edited in place at the
XML level, so formulas, styles, charts and the dynamic-array metadata stay as they were and
Excel opens it already showing numbers. The input is only read; the copy is written to a
temporary file and moved into place at the end.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..excel.cells import is_error, to_serial

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"     # encrypted .xlsx and old .xls files
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
Q_CALL = re.compile(r"\bQ[A-Z]+\s*\(")


class RecalcError(Exception):
    """A workbook that cannot be recalculated: one line saying why (the input is untouched)."""


@dataclass
class RecalcReport:
    """What a recalculation did.

    Attributes:
        output: the file written.
        formula_cells: formula cells evaluated; q_cells: of those, calling a Q-function.
        errors: (address, value) of every formula cell that evaluated to an Excel error.
        messages: the one-line reasons the Q-functions gave for their errors.
        seconds: wall time.
    """

    output: Path
    formula_cells: int = 0
    q_cells: int = 0
    errors: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    seconds: float = 0.0


def _check_readable(src: Path):
    if not src.exists():
        raise RecalcError(f'no workbook at "{src}"')
    with open(src, "rb") as fh:
        head = fh.read(8)
    if head == OLE_MAGIC:
        raise RecalcError(f'"{src}" is password-protected (encrypted) or an old .xls file: save it as an '
                          "unprotected .xlsx first")
    if not zipfile.is_zipfile(src):
        raise RecalcError(f'"{src}" is not an .xlsx workbook (not a zip package)')
    try:
        with zipfile.ZipFile(src) as z:
            bad = z.testzip()
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError) as e:
        raise RecalcError(f'"{src}" is corrupt: {e}') from None
    if bad is not None:
        raise RecalcError(f'"{src}" is corrupt: the part {bad} is damaged')
    if "xl/workbook.xml" not in names:
        raise RecalcError(f'"{src}" is not an Excel workbook (no xl/workbook.xml)')


# -- the Q-functions, as the formula engine calls them -------------------------------------------

def _from_engine(value):
    """A value from ``formulas`` as Excel-shaped Python: ranges to lists of rows, empty to None."""
    import numpy as np
    import schedula as sh
    from formulas.tokens.operand import XlError

    if hasattr(value, "value") and not isinstance(value, (str, bytes)):
        value = value.value
    if isinstance(value, np.ndarray):
        rows = [[_from_engine(c) for c in r] for r in value.tolist()]
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


def _register(messages: list):
    import formulas
    from formulas.functions import Error

    from ..excel import functions as excel

    table = formulas.get_functions()
    names = []
    for name in dir(excel):
        fn = getattr(excel, name)
        if name.startswith("Q") and name.isupper() and callable(fn) and hasattr(fn, "__wrapped__"):
            def adapter(*args, _fn=fn):
                try:
                    return _to_engine(_fn(*[_from_engine(a) for a in args]))
                except excel.QuintusExcelError as e:
                    if str(e) not in messages:
                        messages.append(str(e))
                    return Error.errors["#VALUE!"]
            table[name] = adapter
            names.append(name)
    return names


def fill_omitted_arguments(formula: str) -> str:
    """Write every omitted argument of a Q-function call as "" (blank to ``inputs``).

    Excel passes an omitted argument (``QCONVERT(A1,B1,,C1)``) to a custom function as missing,
    which xlwings turns into the argument's default; the ``formulas`` engine passes 0, which is
    a real value. String literals and other functions' arguments are left alone.
    """
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
        if ch == "(":
            m = re.search(r"\bQ[A-Z]+\s*$", formula[:i])
            stack.append(bool(m))
            out.append(ch)
            expect_arg = bool(m)
            if m and formula[i + 1:].lstrip().startswith(")"):
                expect_arg = False                         # QFOO(): no arguments at all
            i += 1
            continue
        if ch in ",)" and stack and stack[-1] and expect_arg:
            out.append('""')
        if ch == ",":
            expect_arg = bool(stack and stack[-1])
        elif ch == ")":
            if stack:
                stack.pop()
            expect_arg = False
        elif not ch.isspace():
            expect_arg = False
        out.append(ch)
        i += 1
    return "".join(out)


def _engine_copy(src: Path, directory: str) -> Path:
    """A copy of ``src`` for the engine, with omitted Q-function arguments filled in."""
    from lxml import etree

    copy = Path(directory) / src.name
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as zout:
        parts = set(_sheet_parts(zin).values())
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename in parts:
                root = etree.fromstring(data)
                for f in root.iter(f"{{{MAIN_NS}}}f"):
                    if f.text and Q_CALL.search(f.text):
                        f.text = fill_omitted_arguments(f.text)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zout.writestr(item, data)
    return copy


# -- reading the package -----------------------------------------------------------------------

def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part name, from xl/workbook.xml and its relationships."""
    from lxml import etree

    book = etree.fromstring(z.read("xl/workbook.xml"))
    rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{PKG_REL_NS}}}Relationship")}
    out = {}
    for s in book.iter(f"{{{MAIN_NS}}}sheet"):
        t = target[s.get(f"{{{REL_NS}}}id")]
        out[s.get("name")] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    return out


def _split(addr: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", addr)
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


# -- the whole job ------------------------------------------------------------------------------

def recalc(src, dst=None, in_place: bool = False, progress=None) -> RecalcReport:
    """Recalculate ``src`` into ``dst`` (default ``<name>.recalc.xlsx``); see the module doc."""
    started = time.perf_counter()
    say = progress or (lambda msg: None)
    src = Path(src)
    _check_readable(src)
    dst = Path(dst) if dst else src.with_name(src.stem + ".recalc.xlsx")
    if dst.resolve() == src.resolve() and not in_place:
        raise RecalcError(f'"{dst}" is the input: pass --in-place to overwrite it')
    try:
        import formulas
        from lxml import etree
    except ImportError as e:
        raise RecalcError(f"recalculation needs the workbook extra: pip install 'xl-quintus[workbook]' ({e})") from None

    messages: list[str] = []
    _register(messages)
    say(f"loading {src.name}")
    try:
        with tempfile.TemporaryDirectory() as work:
            model = formulas.ExcelModel().loads(str(_engine_copy(src, work))).finish()
            say("calculating")
            solution = model.calculate()
    except RecalcError:
        raise
    except Exception as e:                      # the engine's own failure, in one line
        raise RecalcError(f'could not calculate "{src}": {type(e).__name__}: {str(e).splitlines()[0][:300]}') from None
    values = {}
    for key, v in solution.items():
        m = re.fullmatch(r"'\[(.+?)\](.+?)'!(.+)", str(key))
        if m:
            values[(m.group(2).upper(), m.group(3).upper())] = getattr(v, "value", v)

    report = RecalcReport(output=dst)
    say("writing cached values")
    with zipfile.ZipFile(src) as zin:
        parts = _sheet_parts(zin)
        patched = {}
        for sheet, part in parts.items():
            root = etree.fromstring(zin.read(part))
            if _patch_sheet(root, sheet, values, report, etree):
                patched[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        tmp = tempfile.NamedTemporaryFile(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp", delete=False)
        tmp.close()
        try:
            with zipfile.ZipFile(tmp.name, "w", zipfile.ZIP_DEFLATED) as zout:
                for item in zin.infolist():
                    zout.writestr(item, patched.get(item.filename, zin.read(item.filename)))
            os.chmod(tmp.name, os.stat(src).st_mode & 0o777)   # the copy keeps the input's permissions
            os.replace(tmp.name, dst)
        except BaseException:
            if os.path.exists(tmp.name):
                os.unlink(tmp.name)
            raise
    report.messages = messages
    report.seconds = time.perf_counter() - started
    return report


def _patch_sheet(root, sheet: str, values: dict, report: RecalcReport, etree) -> bool:
    ns = f"{{{MAIN_NS}}}"
    data = root.find(f"{ns}sheetData")
    if data is None:
        return False
    cells = {c.get("r"): c for c in data.iter(f"{ns}c")}
    rows = {int(r.get("r")): r for r in data.iter(f"{ns}row")}
    changed = False
    for addr, c in list(cells.items()):
        f = c.find(f"{ns}f")
        if f is None:
            continue                    # shared-formula children (<f t="shared" si=".."/>) count too
        report.formula_cells += 1
        is_q = bool(Q_CALL.search(f.text or ""))
        report.q_cells += is_q
        ref = f.get("ref") if f.get("t") == "array" else None
        key = (sheet.upper(), (ref or addr).upper())
        if key not in values:
            report.errors.append((f"{sheet}!{addr}", "not calculated (a circular reference, or a formula the engine does not know)"))
            continue
        grid = _grid(values[key])
        if ref:
            (r0, c0), (r1, c1) = [_split(a) for a in (ref.split(":") + [ref])[:2]]
            for i in range(r1 - r0 + 1):
                for j in range(c1 - c0 + 1):
                    v = grid[i][j] if i < len(grid) and j < len(grid[i]) else ""
                    a = _addr(r0 + i, c0 + j)
                    target = cells[a] if a in cells else _new_cell(rows, data, r0 + i, a, etree, ns, cells)
                    _set_value(target, v, ns, etree, has_formula=(a == addr))
                    if _is_error(v):
                        report.errors.append((f"{sheet}!{a}", str(v)))
        else:
            v = grid[0][0]
            _set_value(c, v, ns, etree, has_formula=True)
            if _is_error(v):
                report.errors.append((f"{sheet}!{addr}", str(v)))
        changed = True
    return changed


def _grid(value):
    import numpy as np

    if isinstance(value, np.ndarray):
        return [[_from_engine(x) for x in row] for row in np.atleast_2d(value).tolist()]
    return [[_from_engine(value)]]


def _is_error(v) -> bool:
    return isinstance(v, str) and v.startswith("#") and is_error(v)


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
        etree.SubElement(c, f"{ns}v").text = v
    elif has_formula:
        c.set("t", "str")
        etree.SubElement(c, f"{ns}v").text = str(v)
    else:
        c.set("t", "inlineStr")
        inline = etree.SubElement(c, f"{ns}is")
        etree.SubElement(inline, f"{ns}t").text = str(v)


def main_recalc(args) -> int:
    """The ``xl-quintus recalc`` command."""
    def say(msg):
        print(f"xl-quintus: {msg}", file=sys.stderr, flush=True)

    try:
        report = recalc(args.model, args.output, args.in_place, progress=say)
    except RecalcError as e:
        print(f"xl-quintus recalc: {e}", file=sys.stderr)
        return 2
    print(f"wrote {report.output}: {report.formula_cells} formula cells ({report.q_cells} calling Q-functions) "
          f"in {report.seconds:.2f} s")
    for addr, value in report.errors:
        print(f"  {addr}: {value}")
    for m in report.messages:
        print(f"  {m}")
    return 1 if report.errors else 0
