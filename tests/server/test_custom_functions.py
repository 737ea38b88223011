"""xlwings' own conversion path (xlwings Server / Lite): run by test_xlwings_server_path.py in
a separate process with XLWINGS_ON_SERVER=true set before xlwings is imported."""

import asyncio
import os

import pytest

pytestmark = pytest.mark.skipif(os.environ.get("XLWINGS_ON_SERVER") != "true",
                                reason="run through tests/test_xlwings_server_path.py")

CT = [["Holder", "Class", "Shares"], ["Fund I", "E", 1_000_000], ["Founder", "Common", 1_000_000], [None, None, None]]


def call(name, *args):
    import xlwings
    from xlwings import server

    import xl_quintus.excel as module

    data = {"func_name": name, "args": [a if isinstance(a, list) else [[a]] for a in args],
            "version": xlwings.__version__, "client": "Office.js", "runtime": "1.4",
            "culture_info_name": "en-US", "date_format": "M/d/yyyy"}
    return asyncio.run(server.custom_functions_call(data, module))


def test_meta_has_every_function_with_help():
    from xlwings import server

    import xl_quintus.excel as module

    meta = server.custom_functions_meta(module)
    names = {f["name"] for f in meta["functions"]}
    assert {"QWATERFALL", "QPAYOUT", "QBREAKPOINTS", "QTERMS", "QELECTION"} <= names
    for f in meta["functions"]:
        assert f["description"] and "Positional argument" not in str(f["parameters"])
    pay = next(f for f in meta["functions"] if f["name"] == "QPAYOUT")
    assert [p["name"] for p in pay["parameters"]][:3] == ["proceeds", "who", "cap_table"]
    assert pay["parameters"][3].get("optional") is True


def test_waterfall_spills_a_table():
    table = call("QWATERFALL", 10_000_000, CT, None, None, None, None, None)
    assert table[0][0] == "Class" and table[1][7] == 7_075_000 and table[-1][7] == 10_000_000


def test_payout_column_and_blank_optional_arguments():
    out = call("QPAYOUT", [[10_000_000], [30_000_000]], [["E"]], CT, None, None, None, None)
    assert out == [[7_075_000], [15_000_000]]


def test_bad_input_comes_back_as_a_clean_error():
    from xl_quintus.excel import QuintusExcelError

    with pytest.raises(QuintusExcelError, match=r"^QPAYOUT: conversions: Series A-D convert only together"):
        call("QPAYOUT", 1_000_000, "E", [["A", 10], ["C", 10], ["D", 10]], "A, C", None, None, None)


def test_conversion_functions_through_xlwings():
    assert call("QCONVERT", "E", 1000, None, 4.15, None) == [[2000]]
    assert call("QCASH", "A", 1000, None, None) == [[925]]
    table = call("QIPO", 6, 60_000_000, [["A", 1000], ["E", 1000]], None, None, None, None, None)
    assert table[0][:4] == ["Holder", "Class", "Shares", "Common Issued"]
    assert table[-1][:2] == ["Qualified IPO (3(b))", True]


def test_governance_functions_through_xlwings():
    assert call("QVOTES", "E", 3, 8.30, None) == [[28]]
    table = call("QAPPROVAL", "6(d)", [["E", 600]], [["E", 1000], ["Common", 5]], None, None, None)
    assert table[-1][:2] == ["Approved", True]
    board = call("QBOARD", [["A", 1000], ["C", 100], ["Common", 1000000]], 7, None, None)
    assert board[0][:2] == ["Voting Shift Period", True]
    # a date comes back as an Excel date: serial 46,387 (2026-12-31) less 20 days, date-formatted
    notice = call("QNOTICE", "2026-12-31")
    assert notice[0][0]["basicValue"] == 46367 and "y" in notice[0][0]["numberFormat"]


def test_dividend_through_xlwings():
    table = call("QDIVIDEND", 2000, [["A", 1000], ["E", 1000], ["Common", 1000]], None, None, None, None)
    assert table[1][:3] == ["A", 1000, 585] and table[-1][2] == 2000


def test_anti_dilution_through_xlwings():
    ct = [["A", 1000000], ["E", 1000000], ["Common", 2000000]]
    ev = [["Date", "Event", "Shares", "Consideration", "Ref"], ["2001-01-01", "Issue", 1000000, 2000000, None]]
    assert call("QCONVPRICE", "E", ev, ct, None, None) == [[3.72]]
    ledger = call("QCONVLEDGER", ev, ct, None)
    assert ledger[0][:3] == ["Date", "Event", "Clause"] and ledger[1][5] == 3.72


FUZZ = {"count": 0}


def _excel_shaped(value):
    """As Office.js sends an argument: a 2-D matrix, dates as serial numbers, blanks None."""
    import datetime as dt

    def cell(v):
        return (v - dt.date(1899, 12, 30)).days if isinstance(v, dt.date) else v

    if value is None:
        return None
    if not isinstance(value, list):
        return [[cell(value)]]
    rows = value if value and isinstance(value[0], list) else [value]
    if not rows or not any(rows):
        return [[None]]
    width = max(len(r) for r in rows) or 1
    return [[cell(c) for c in r] + [None] * (width - len(r)) for r in rows]


def test_fuzz_through_the_xlwings_conversion_path():
    from hypothesis import HealthCheck, given, settings

    import test_fuzz as fuzz
    from xl_quintus.excel import QuintusExcelError

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    @given(fuzz.calls())
    def run(call):
        name, args = call
        FUZZ["count"] += 1
        params = list(__import__("inspect").signature(fuzz.FUNCTIONS[name]).parameters)
        shaped = [_excel_shaped(a) for a in args] + [None] * (len(params) - len(args))
        try:
            result = globals()["call"](name, *shaped)
        except QuintusExcelError as e:
            assert str(e).startswith(f"{name}: ") and "\n" not in str(e) and "could not compute" not in str(e), str(e)
            return
        assert isinstance(result, list) and len({len(r) for r in result}) == 1, result

    run()
    print(f"\nfuzz (xlwings path): {FUZZ['count']:,} generated calls")
