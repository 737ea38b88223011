"""The package's layout promises (issue 11): what the runtime imports, terms files read
strictly, the README function table in one piece, dead code gone."""

import re
from fractions import Fraction
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from xl_quintus.charter.terms import charter_from_mapping, load_charter, quintus
from xl_quintus.errors import CharterError

ROOT = Path(__file__).resolve().parent.parent
HEAD = {"name": "X Co", "common_authorized": 1000, "preferred_authorized": 100}
SERIES = {"name": "H", "authorized": 10, "original_issue_price": "1.00"}


def test_runtime_imports_no_workbook_library():
    """Runtime dependencies are what the package imports (numpy, xlwings); openpyxl and the
    workbook tools are extras, and importing the Excel layer or the CLI loads none of them."""
    code = ("import sys, xl_quintus.excel, xl_quintus.custom_functions, xl_quintus.cli, xl_quintus.tables;"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'openpyxl', 'formulas', 'xlsxwriter', 'lxml'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert [d.split(">")[0] for d in project["dependencies"]] == ["numpy", "xlwings"]
    assert any(d.startswith("openpyxl") for d in project["optional-dependencies"]["workbook"])


def test_readme_function_table_is_one_table():
    """Every Q-function has a row, and the rows form one table (no stray line between them)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Functions (this release)", 1)[1]
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| function |"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    rows = lines[start + 2:end]
    named = {re.match(r"\| `(Q[A-Z]+)\(", r).group(1) for r in rows}
    from xl_quintus.excel import __all__
    assert named == {n for n in __all__ if n.startswith("Q") and n.isupper()}
    assert not any(line.startswith("| `Q") for line in lines[end:])


def test_terms_file_keeps_document_and_refuses_unknown_keys(tmp_path):
    assert quintus().document.startswith("Restated Certificate of Incorporation of Quintus")
    for data, key in [({"charter": HEAD | {"documnet": "x"}}, "documnet"),
                      ({"charter": HEAD, "seres": []}, "seres"),
                      ({"charter": HEAD, "series": [SERIES | {"cpa": "2"}]}, "cpa")]:
        with pytest.raises(CharterError, match=f'unknown key "{key}"') as info:
            charter_from_mapping(data)
        assert "\n" not in str(info.value)
    path = tmp_path / "terms.toml"
    path.write_text('[charter]\nname = "X Co"\ncommon_authorized = 1000\npreferred_authorized = 100\nvotes = 2\n')
    with pytest.raises(CharterError, match=r'^terms: \[charter\]: unknown key "votes"'):
        load_charter(path)


def test_clause_keys_stay_allowed():
    charter = charter_from_mapping({"charter": HEAD, "series": [SERIES | {"clause_cap": "IV.B.2(b)"}]})
    assert charter.terms("H").clauses == {"cap": "IV.B.2(b)"}


def test_unknown_series_is_a_charter_error_naming_it():
    with pytest.raises(CharterError, match='"Z" is not a series of Preferred Stock of Quintus Corporation'):
        quintus().terms("Z")


@pytest.mark.parametrize("label, classes", [
    ("A-D", ("A", "B", "C", "D")), ("series a-d", ("A", "B", "C", "D")),
    ("G", ("G-1", "G-2", "G-3", "G-4", "G-5", "G-6")), ("Series G Preferred Stock", ("G-1", "G-2", "G-3", "G-4", "G-5", "G-6")),
    ("e", ("E",)), ("Series G-3 Preferred", ("G-3",)),
])
def test_group_labels_are_understood_in_one_place(label, classes):
    """QPAYOUT's who and every conversions argument read a label as the charter does."""
    from xl_quintus.charter.cap_table import CapTable
    from xl_quintus.excel import arguments
    from xl_quintus.exit.payee import Who

    charter = quintus()
    assert charter.classes_named(label) == classes
    assert Who(CapTable.of([("Fund", "A", 1)]), label).classes == classes
    assert arguments.conversions(label, charter) == classes
    assert charter.classes_named("A-E") is None and charter.group_labels() == ("A-D", "G")


def test_excel_values_are_known_in_one_place():
    import datetime as dt

    from xl_quintus.excel import arguments, cells
    from xl_quintus.workbook import recalc

    assert arguments.EXCEL_ERRORS is cells.EXCEL_ERRORS and recalc.is_error is cells.is_error
    assert recalc._is_error("#N/A") and not recalc._is_error("N/A")
    assert arguments.excel_date(46022.0, "d") == dt.date(2025, 12, 31) == cells.from_serial(46022)
    assert cells.to_serial(dt.datetime(2025, 12, 31, 18, 0)) == 46022
    assert arguments.excel_date(2958465, "d") == dt.date(9999, 12, 31)
    with pytest.raises(CharterError, match="is not a date"):
        arguments.excel_date(2958466, "d")


def test_argument_readers_never_call_the_engine():
    """Reading an events range gives the events; the function layer runs the 3(d) ledger."""
    from xl_quintus.excel import arguments

    source = (ROOT / "xl_quintus" / "excel" / "arguments.py").read_text()
    assert "run_ledger" not in source and "Waterfall" not in source and "ExitModel" not in source
    events = [["Date", "Event", "Shares", "Consideration", "Ref"], ["2001-01-01", "Issue", 100.0, 50.0, None]]
    read = arguments.conversion_prices(events, quintus())
    assert read.prices == {} and [e.kind for e in read.events] == ["Issue"]
    assert arguments.conversion_prices([["E", 3.0]], quintus()).prices == {"E": 3}


def test_one_cached_factory_builds_the_exit_model():
    from xl_quintus.charter.cap_table import CapTable
    from xl_quintus.exit.model import model_for

    table = CapTable.of([("E", 100), ("Common", 100)])
    assert model_for(table, {"E": Fraction(3)}) is model_for(table, {"E": Fraction(3)})
    assert model_for(table) is not model_for(table, conversions="none")
    assert "lru_cache" not in (ROOT / "xl_quintus" / "tables.py").read_text()


ENGINE = ["charter/cap_table.py", "charter/liquidation.py", "charter/election.py", "charter/conversion.py",
          "charter/dividends.py", "charter/approvals.py", "charter/anti_dilution.py", "charter/voting.py",
          "exit/piecewise.py", "exit/model.py", "exit/payee.py", "exit/sweep.py", "exit/exercise.py"]


@pytest.mark.parametrize("module", ENGINE)
def test_engine_errors_name_charter_terms_not_excel_arguments(module):
    """The engine raises CharterError(message, term=..., clause=...); only the Excel layer
    passes an argument name (the second positional argument)."""
    import ast

    tree = ast.parse((ROOT / "xl_quintus" / module).read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "CharterError"]
    assert all(len(c.args) == 1 and not any(k.arg == "argument" for k in c.keywords) for c in calls), module


def test_the_excel_layer_maps_engine_terms_to_arguments():
    from xl_quintus.excel import QCONVERT, QuintusExcelError
    from xl_quintus.excel.functions import QWATERFALL, argument_of

    err = CharterError("a Conversion Price must be above 0", term="Conversion Price", clause="IV.B.3(a)")
    assert str(err) == "Conversion Price: a Conversion Price must be above 0 (charter IV.B.3(a))"
    assert argument_of(err, QCONVERT.__wrapped__) == "conversion_price"
    assert argument_of(err, QWATERFALL.__wrapped__) == "conversion_prices"
    assert argument_of(CharterError("x", term="event", row=3), QWATERFALL.__wrapped__) == "conversion_prices row 3"
    assert argument_of(CharterError("x", "cap_table row 2"), QCONVERT.__wrapped__) == "cap_table row 2"
    from xl_quintus.charter.cap_table import CapTable
    from xl_quintus.charter.liquidation import Waterfall
    from xl_quintus.excel.functions import excel_errors

    @excel_errors
    def QTEST(proceeds):
        return Waterfall(CapTable.of([("E", 1)])).distribute(proceeds)

    with pytest.raises(QuintusExcelError) as info:
        QTEST(-1)
    assert str(info.value) == "QTEST: proceeds: proceeds cannot be negative, got -1 (charter IV.B.2)"
