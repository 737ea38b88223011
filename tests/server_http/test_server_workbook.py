"""The sample deal model for the xlwings Server add-in: every Q-function call stored as Excel
stores a call to an Office.js custom function (``_xldudf_QUINTUS_QWATERFALL``), read back with
openpyxl; values, layout and spill metadata as in the classic model."""

import hashlib
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xl_quintus.server import NAMESPACE
from xl_quintus.server.workbook import SERVER_MODEL_NAME, server_variant, stored_name, to_officejs

ROOT = Path(__file__).resolve().parents[2]
WORKBOOKS = ROOT / "workbooks"
CLASSIC = WORKBOOKS / "quintus-deal-model.xlsx"
SERVER = WORKBOOKS / SERVER_MODEL_NAME


def formulas(path):
    out = {}
    for ws in openpyxl.load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                text = v.text if isinstance(v, openpyxl.worksheet.formula.ArrayFormula) else v
                if isinstance(text, str) and text.startswith("="):
                    out[(ws.title, c.coordinate)] = text
    return out


def values(path):
    return {(ws.title, c.coordinate): c.value for ws in openpyxl.load_workbook(path, data_only=True).worksheets
            for row in ws.iter_rows() for c in row if c.value is not None}


def test_stored_names():
    assert stored_name("QWATERFALL") == "_xldudf_QUINTUS_QWATERFALL"
    assert stored_name("qpayout", "quintus_dev") == "_xldudf_QUINTUS_DEV_QPAYOUT"
    assert NAMESPACE == "QUINTUS"


@pytest.mark.parametrize("classic,server", [
    ("=QWATERFALL(B1,'CapTable'!$A$1:$C$20)", "=_xldudf_QUINTUS_QWATERFALL(B1,'CapTable'!$A$1:$C$20)"),
    ("=SUM(QPAYOUT(A1:A3,\"E\",CT))+1", "=SUM(_xldudf_QUINTUS_QPAYOUT(A1:A3,\"E\",CT))+1"),
    ("=QPAYOUT(QWATERFALL(1,A1:B2),\"QPAYOUT(x)\",A1)",
     "=_xldudf_QUINTUS_QPAYOUT(_xldudf_QUINTUS_QWATERFALL(1,A1:B2),\"QPAYOUT(x)\",A1)"),
    ("='QTERMS(1)'!A1+INDEX(QCONVLEDGER(E,C),2,1)", "='QTERMS(1)'!A1+INDEX(_xldudf_QUINTUS_QCONVLEDGER(E,C),2,1)"),
    ("=MYQPAYOUT(1)+X.QPAYOUT(2)+qterms(\"F\",\"cap\")", "=MYQPAYOUT(1)+X.QPAYOUT(2)+_xldudf_QUINTUS_QTERMS(\"F\",\"cap\")"),
    ("=SUM(A1:A4)", "=SUM(A1:A4)"),
])
def test_a_formula_as_the_add_in_stores_it(classic, server):
    assert to_officejs(classic) == server
    assert to_officejs(server) == server                     # idempotent


def test_every_q_call_of_the_server_model_is_the_add_ins():
    classic, server = formulas(CLASSIC), formulas(SERVER)
    assert classic.keys() == server.keys()
    q_cells = {k for k, f in classic.items() if re.search(r"\bQ[A-Z]+\(", f)}
    assert len(q_cells) >= 20
    for key, f in classic.items():
        assert server[key] == to_officejs(f), key
    for key in q_cells:
        assert "_xldudf_QUINTUS_Q" in server[key], key
        assert not re.search(r"(?<![A-Za-z0-9_.])Q[A-Z]+\(", server[key]), (key, server[key])


def test_the_server_model_keeps_values_and_spill_metadata():
    assert values(CLASSIC) == values(SERVER)
    with zipfile.ZipFile(CLASSIC) as a, zipfile.ZipFile(SERVER) as b:
        assert a.namelist() == b.namelist() and "xl/metadata.xml" in b.namelist()
        for name in a.namelist():
            if not name.startswith("xl/worksheets/sheet"):
                assert a.read(name) == b.read(name), name
        assert 'cm="1"' in b.read("xl/worksheets/sheet2.xml").decode()


def test_the_committed_server_model_is_what_the_command_builds(tmp_path):
    built = tmp_path / SERVER_MODEL_NAME
    assert server_variant(CLASSIC, built) >= 20
    assert hashlib.sha256(built.read_bytes()).hexdigest() == hashlib.sha256(SERVER.read_bytes()).hexdigest(), \
        "workbooks/ is stale: run `xl-quintus build-workbooks workbooks`"
