"""The sample deal model: generated, recalculated without Excel, and checked cell by cell.

Every Q-function cell of the recalculated file is compared with the same function called
directly in Python on the cells its formula names (read back with openpyxl), and a few cells
with numbers worked out by hand. Bad workbooks give one clear line and leave the input as it was.
"""

import datetime as dt
import hashlib
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xl_quintus import excel
from xl_quintus.workbook.recalc import RecalcError, fill_omitted_arguments, recalc
from xl_quintus.workbook.builder import MODEL_NAME, build_deal_model

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    d = tmp_path_factory.mktemp("wb")
    path = d / MODEL_NAME
    q_cells = build_deal_model(path)
    report = recalc(path, d / "out.xlsx")
    assert report.errors == [] and report.q_cells == sum(len(v) for v in q_cells.values())
    return q_cells, d / "out.xlsx", path


def _args(text: str) -> list[str]:
    depth, cur, out, in_str = 0, "", [], False
    for ch in text:
        if ch == '"':
            in_str = not in_str
        if not in_str and ch == "(":
            depth += 1
        if not in_str and ch == ")":
            depth -= 1
        if ch == "," and depth == 0 and not in_str:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return out + [cur]


def _value(arg: str, sheet: str, wb):
    """A formula argument as Excel would pass it: literal, cell, or range of cells."""
    arg = arg.strip()
    if arg == "":
        return None
    if arg.startswith('"'):
        return arg[1:-1]
    if re.fullmatch(r"-?\d+(\.\d+)?", arg):
        return float(arg)
    m = re.fullmatch(r"(?:'([^']+)'!)?\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?", arg)
    ws = wb[m.group(1) or sheet]
    if m.group(4) is None:
        return _plain(ws[f"{m.group(2)}{m.group(3)}"].value)
    cells = ws[f"{m.group(2)}{m.group(3)}:{m.group(4)}{m.group(5)}"]
    return [[_plain(c.value) for c in row] for row in cells]


def _plain(v):
    return dt.date(v.year, v.month, v.day) if isinstance(v, dt.datetime) else v


def _spilled(ws, addr: str, shape):
    col, row = re.fullmatch(r"([A-Z]+)(\d+)", addr).groups()
    start = openpyxl.utils.column_index_from_string(col)
    block = [[_plain(ws.cell(row=int(row) + i, column=start + j).value) for j in range(shape[1])]
             for i in range(shape[0])]
    return block


def _norm(v):
    if v is None:
        return ""
    if isinstance(v, bool) or isinstance(v, (str, dt.date)):
        return v
    return round(float(v), 9)


def test_every_q_cell_matches_the_function_called_directly(model):
    q_cells, out, _ = model
    wb = openpyxl.load_workbook(out, data_only=True)
    checked = 0
    for sheet, cells in q_cells.items():
        for addr, formula in cells.items():
            name, inner = re.fullmatch(r"(Q[A-Z]+)\((.*)\)", formula).groups()
            expected = getattr(excel, name)(*[_value(a, sheet, wb) for a in _args(inner)])
            grid = expected if isinstance(expected, list) else [[expected]]
            grid = grid if isinstance(grid[0], list) else [grid]
            width = max(len(r) for r in grid)
            got = _spilled(wb[sheet], addr, (len(grid), width))
            assert [[_norm(v) for v in r + [""] * (width - len(r))] for r in grid] == \
                   [[_norm(v) for v in r] for r in got], f"{sheet}!{addr} {formula}"
            checked += 1
    assert checked == 25


def test_hand_worked_cells(model):
    _, out, _ = model
    wb = openpyxl.load_workbook(out, data_only=True)
    ipo = wb["IPO"]
    # 3(b)(ii)/(iii) at $6.00: E 3,000,000 x 8.30/6 = 4,150,000; F 1,500,000 x 11/6 = 2,750,000
    rows = {r[1]: r for r in ipo.iter_rows(min_row=7, max_row=18, max_col=5, values_only=True)}
    assert rows["E"][3] == 4_150_000 and rows["F"][3] == 2_750_000
    # QCONVERT E 1,000 at $6.00: 1,000 x 8.30/6 = 1,383.33 -> 1,383; QCASH D 1,000: 2,544.00
    all_rows = list(ipo.iter_rows(max_col=4, values_only=True))
    start = next(i for i, r in enumerate(all_rows) if r[2] == "Common (QCONVERT)")
    conv = {r[0]: r for r in all_rows[start + 1:start + 5]}
    assert conv["E"][2] == 1_383 and conv["D"][3] == 2_544
    # Section 4: 2026-12-31 less 20 days
    gov = wb["Governance"]
    notice = [c.value for row in gov.iter_rows(max_col=2) for c in row if isinstance(c.value, dt.datetime)]
    assert dt.datetime(2026, 12, 11) in notice
    # 6(b): A 9,100,000 x 10 + E 3,000,000 x 14 + F 1,500,000 x 14 = 154,000,000 of
    # 280,205,800 preferred votes: a majority -> approved
    approval = [r for r in gov.iter_rows(max_col=7, values_only=True) if r[0] == "Approved"]
    assert approval == [("Approved", True, None, None, None, None, None)] or approval[0][1] is True
    # the dividend splits exactly the declared $5,000,000
    div = [r for r in wb["Dividends"].iter_rows(max_col=4, values_only=True) if r[0] == "Total"]
    assert div[0][2] == 5_000_000


def test_formulas_and_spill_metadata_survive(model):
    _, out, _ = model
    wb = openpyxl.load_workbook(out)
    a3 = wb["Exit"]["A3"].value
    assert isinstance(a3, openpyxl.worksheet.formula.ArrayFormula) and "QWATERFALL" in a3.text
    with zipfile.ZipFile(out) as z:
        assert "xl/metadata.xml" in z.namelist()
        assert 'cm="1"' in z.read("xl/worksheets/sheet2.xml").decode()
        assert any(n.startswith("xl/charts/") for n in z.namelist())
    assert wb["xlwings.conf"]["A1"].value == "UDF Modules" and wb["xlwings.conf"]["B1"].value == "xl_quintus.excel"


def test_the_committed_workbook_is_what_the_script_builds(model, tmp_path):
    from xl_quintus.workbook.builder import build_all

    built = build_all(tmp_path)[0]
    recalc(built, built, in_place=True)
    committed = ROOT / "workbooks" / MODEL_NAME
    assert hashlib.sha256(built.read_bytes()).hexdigest() == hashlib.sha256(committed.read_bytes()).hexdigest(), \
        "workbooks/ is stale: run `xl-quintus build-workbooks workbooks`"


def test_omitted_arguments_are_blank_not_zero():
    assert fill_omitted_arguments("QCONVERT(A1,B1,,C1)") == 'QCONVERT(A1,B1,"",C1)'
    assert fill_omitted_arguments('SUM(A1,,B1)+QX("a,,b",,IF(1,,2))') == 'SUM(A1,,B1)+QX("a,,b","",IF(1,,2))'


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_missing_corrupt_and_protected_workbooks(tmp_path):
    with pytest.raises(RecalcError, match="no workbook at"):
        recalc(tmp_path / "none.xlsx")
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")
    before = _digest(corrupt)
    with pytest.raises(RecalcError, match="not an .xlsx workbook|corrupt"):
        recalc(corrupt)
    assert _digest(corrupt) == before
    protected = tmp_path / "protected.xlsx"
    protected.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(RecalcError, match="password-protected"):
        recalc(protected)


def test_the_input_is_never_overwritten_unless_asked(model, tmp_path):
    _, _, path = model
    with pytest.raises(RecalcError, match="pass --in-place"):
        recalc(path, path)


def _book(path: Path, cells: dict):
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    for addr, v in cells.items():
        ws.write_formula(addr, v) if isinstance(v, str) and v.startswith("=") else ws.write(addr, v)
    wb.close()


def test_a_circular_reference_and_failing_functions_are_reported(tmp_path):
    path = tmp_path / "bad.xlsx"
    _book(path, {"A1": "=A2+1", "A2": "=A1+1", "B1": '=QTERMS("Series Z","cap")', "C1": '=QTERMS("F","issue price")'})
    before = _digest(path)
    report = recalc(path, tmp_path / "bad.out.xlsx")
    assert _digest(path) == before
    where = dict(report.errors)
    assert "circular" in where["S!A1"] and where["S!B1"] == "#VALUE!"
    assert any('"Series Z" is not a class' in m for m in report.messages)
    out = openpyxl.load_workbook(tmp_path / "bad.out.xlsx", data_only=True)
    assert out["S"]["C1"].value == 8.25


def test_command_line_recalc(model, tmp_path, capsys):
    from xl_quintus.cli import main

    _, _, path = model
    assert main(["recalc", str(path), "-o", str(tmp_path / "cli.xlsx")]) == 0
    assert "25 calling Q-functions" in capsys.readouterr().out
    assert main(["recalc", str(tmp_path / "missing.xlsx")]) == 2


def test_shared_formulas_as_excel_saves_them_are_recalculated(tmp_path):
    # Excel stores a filled-down formula once (<f t="shared" ref=".." si="0">) and the cells
    # below as <f t="shared" si="0"/> with no text: each still needs its fresh value.
    path = tmp_path / "shared.xlsx"
    _book(path, {"A1": 2, "A2": 3, "B1": "=A1*10", "B2": "=A2*10"})
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace('<f>A1*10</f>', '<f t="shared" ref="B1:B2" si="0">A1*10</f>')
    sheet = sheet.replace('<f>A2*10</f>', '<f t="shared" si="0"/>')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    recalc(path, tmp_path / "shared.out.xlsx")
    out = openpyxl.load_workbook(tmp_path / "shared.out.xlsx", data_only=True)
    assert out["S"]["B1"].value == 20 and out["S"]["B2"].value == 30
