"""xl-quintus serve over HTTP, with request bodies built as the add-in builds them
(``custom-functions-code.js`` in the xlwings-server wheel; see xl_quintus/server/client.py)."""

import inspect

import pytest

from xl_quintus.excel import functions as F
from xl_quintus.excel.functions import QuintusExcelError
from xl_quintus.server.client import body, get, post, reply

CALL = "/xlwings/custom-functions-call"

CT = [["Holder", "Class", "Shares"], ["Fund I", "E", 1_000_000], ["Fund II", "F", 500_000],
      ["Angel", "A", 2_000_000], ["Founder", "Common", 4_000_000], [None, None, None]]
EVENTS = [["Date", "Event", "Shares", "Consideration", "Ref"], [36892, "Issue", 1_000_000, 2_000_000, None]]  # 2001-01-01

# (function, Excel-shaped arguments): each argument as the cell or range Excel passes.
CALLS = [
    ("QWATERFALL", [60_000_000, CT]),
    ("QWATERFALL", [60_000_000, CT, None, None, None, "holder"]),
    ("QPAYOUT", [[[10_000_000], [30_000_000], [None], [90_000_000]], "E", CT]),
    ("QPAYOUT", [25_000_000, "Founder", CT, "none"]),
    ("QBREAKPOINTS", [CT]),
    ("QELECTION", [40_000_000, CT]),
    ("QTERMS", ["F", "issue price"]),
    ("QCONVERT", ["E", 1000, None, 4.15]),
    ("QCASH", ["A", 1000]),
    ("QIPO", [6, 60_000_000, [["A", 1000], ["E", 1000]]]),
    ("QRECAP", ["E", 1000, 2.5]),
    ("QVOTES", ["E", 3, 8.30]),
    ("QVOTINGPOWER", [CT]),
    ("QBOARD", [[["A", 1000], ["C", 100], ["Common", 1_000_000]], 7]),
    ("QAPPROVAL", ["6(d)", [["E", 600]], [["E", 1000], ["Common", 5]]]),
    ("QNOTICE", [46387]),                          # 2026-12-31 as Excel passes a date cell
    ("QCHECK", [CT]),
    ("QDIVIDEND", [2000, [["A", 1000], ["E", 1000], ["Common", 1000]]]),
    ("QCONVPRICE", ["E", EVENTS, [["A", 1_000_000], ["E", 1_000_000], ["Common", 2_000_000]]]),
    ("QCONVLEDGER", [EVENTS, [["A", 1_000_000], ["E", 1_000_000], ["Common", 2_000_000]]]),
]


def params(name):
    return list(inspect.signature(getattr(F, name)).parameters.values())


def in_process(name, args):
    """The function called in this process with the values xlwings hands it (a scalar
    parameter gets the cell's value, a range parameter the rows; omitted arguments None)."""
    ps = params(name)
    return getattr(F, name)(*[a for a in args] + [None] * (len(ps) - len(args)))


def call(server, name, *args, **kw):
    return post(server.url + CALL, body(name, *args, **kw))


def q_functions():
    return [n for n in F.__all__ if inspect.isfunction(getattr(F, n))]


# -- metadata and manifest ----------------------------------------------------------------------

def test_meta_lists_every_function_with_help_and_optional_arguments(server):
    meta = get(server.url + "/xlwings/custom-functions-meta").json()
    functions = {f["name"]: f for f in meta["functions"]}
    assert set(functions) == set(q_functions())
    for name, f in functions.items():
        assert f["description"].strip(), name
        ps = params(name)
        assert [p["name"] for p in f["parameters"]] == [p.name for p in ps], name
        for p, spec in zip(f["parameters"], ps):
            assert p["description"].strip() and "Positional argument" not in p["description"], (name, p)
            assert p.get("optional", False) is (spec.default is not inspect.Parameter.empty), (name, p)
    assert meta["allowErrorForDataTypeAny"] is True     # Excel errors reach the server (see test below)


def test_manifest_and_function_code_name_every_function(server):
    manifest = get(server.url + "/manifest")
    assert manifest.status == 200
    assert '<bt:String id="Functions.Namespace" DefaultValue="QUINTUS" />' in manifest.text
    assert f"127.0.0.1:{server.port}/xlwings/custom-functions-meta" in manifest.text
    assert "<DisplayName DefaultValue=\"xl-quintus\" />" in manifest.text
    code = get(server.url + "/xlwings/custom-functions-code").text
    for name in q_functions():
        assert f'CustomFunctions.associate("{name}", {name});' in code


# -- values ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,args", CALLS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CALLS)])
def test_http_reply_equals_the_in_process_call(server, name, args):
    answer = call(server, name, *args)
    assert answer.status == 200, answer.text
    assert answer.json() == {"result": reply(in_process(name, args))}


def test_a_date_argument_as_a_formatted_number_reads_as_the_serial():
    """Office.js passes a date-formatted cell either as its number or as a FormattedNumber."""
    b = body("QNOTICE", __import__("datetime").date(2026, 12, 31), dates="formatted")
    assert b["args"] == [[[{"type": "FormattedNumber", "basicValue": 46387, "numberFormat": "m/d/yyyy"}]]]


def test_dates_come_back_as_dates(server):
    # 2026-12-31 less 20 days is 2026-12-11: serial 46,387 - 20 = 46,367
    assert call(server, "QNOTICE", 46387).json()["result"] == [
        [{"type": "FormattedNumber", "basicValue": 46367, "numberFormat": "M/d/yyyy"}]]
    formatted = post(server.url + CALL, body("QNOTICE", __import__("datetime").date(2026, 12, 31), dates="formatted"))
    assert formatted.json()["result"][0][0]["basicValue"] == 46367
    german = call(server, "QNOTICE", 46387, culture="de-DE", date_format="dd.MM.yyyy").json()["result"][0][0]
    assert german == {"type": "FormattedNumber", "basicValue": 46367, "numberFormat": "dd.MM.yyyy"}
    ledger = call(server, "QCONVLEDGER", EVENTS, [["A", 1_000_000], ["E", 1_000_000], ["Common", 2_000_000]]).json()
    assert ledger["result"][1][0] == {"type": "FormattedNumber", "basicValue": 36892, "numberFormat": "M/d/yyyy"}


@pytest.mark.parametrize("culture,date_format", [(None, None), ("en-US", None), ("xx-XX", "TT.MM.JJJJ")])
def test_dates_are_dates_even_without_a_usable_date_format(server, culture, date_format):
    """Excel before ExcelApi 1.12 sends no date format; xlwings drops a localized pattern it
    cannot translate. Either way the date still comes back formatted (ISO), not as 46367."""
    got = call(server, "QNOTICE", 46387, culture=culture, date_format=date_format).json()["result"][0][0]
    assert got == {"type": "FormattedNumber", "basicValue": 46367, "numberFormat": "yyyy-mm-dd"}


def test_runtime_before_1_4_gets_the_serial_number(server):
    """CustomFunctionsRuntime 1.3 and older cannot take formatted numbers (xlwings' rule)."""
    assert call(server, "QNOTICE", 46387, runtime="1.3").json()["result"] == [[46367]]


def test_booleans_come_back_as_booleans(server):
    board = call(server, "QBOARD", [["A", 1000], ["C", 100], ["Common", 1_000_000]], 7).json()["result"]
    assert board[0][:2] == ["Voting Shift Period", True] and board[0][1] is True
    ipo = call(server, "QIPO", 6, 60_000_000, [["A", 1000], ["E", 1000]]).json()["result"]
    assert ipo[-1][:2] == ["Qualified IPO (3(b))", True] and ipo[-1][1] is True
    table = call(server, "QWATERFALL", 60_000_000, CT).json()["result"]
    assert {type(r[2]) for r in table[1:-1]} == {bool}        # Converts: TRUE/FALSE per class


def test_blanks_in_spilled_tables_are_blank(server):
    table = call(server, "QWATERFALL", 60_000_000, CT).json()["result"]
    total = table[-1]
    assert total[0] == "Total" and total[1] == "" and total[2] == "" and total[-1] == ""
    assert len({len(r) for r in table}) == 1                   # a rectangle: Excel spills it as is
    column = call(server, "QPAYOUT", [[10_000_000], [None], [90_000_000]], "E", CT).json()["result"]
    assert column[1] == [""] and isinstance(column[0][0], float)


# -- errors ----------------------------------------------------------------------------------------

BAD = [
    ("QPAYOUT", [1_000_000, "E", [["A", 10], ["C", 10], ["D", 10]], "A, C"]),
    ("QWATERFALL", ["a lot", CT]),
    ("QTERMS", ["Z", "issue price"]),
    ("QCONVLEDGER", [[["Date", "Event", "Shares", "Consideration", "Ref"], ["someday", "Issue", 1, 1, None]], CT]),
]


@pytest.mark.parametrize("name,args", BAD, ids=[n for n, _ in BAD])
def test_bad_input_is_http_400_with_the_one_line_message(server, name, args):
    with pytest.raises(QuintusExcelError) as expected:
        in_process(name, args)
    answer = call(server, name, *args)
    assert answer.status == 400                 # the add-in shows a 4xx at once, retries a 5xx
    assert answer.text == str(expected.value) and answer.text.startswith(f"{name}: ") and "\n" not in answer.text
    assert answer.content_type.startswith("text/plain")


def test_an_excel_error_in_a_cell_is_named_not_read_as_a_blank(server):
    na = {"type": "Error", "errorType": "NotAvailable", "basicValue": "#N/A", "basicType": "Error"}
    b = body("QPAYOUT", [[10_000_000], [20_000_000]], "E", CT)
    b["args"][0][1][0] = na                     # =QPAYOUT(A1:A2, ...) with A2 showing #N/A
    answer = post(server.url + CALL, b)
    assert answer.status == 400 and "#N/A" in answer.text and answer.text.startswith("QPAYOUT: proceeds"), answer.text
    b = body("QWATERFALL", 10_000_000, CT)
    b["args"][1][1][2] = {"type": "Error", "errorType": "Div0"}
    answer = post(server.url + CALL, b)
    assert answer.status == 400 and "#DIV/0!" in answer.text and "cap_table" in answer.text, answer.text


def _malformed():
    good = body("QTERMS", "F", "issue price")
    yield "not json", None, b"{func_name: QTERMS"
    yield "not utf-8", None, b"\xff\xfe{}"
    yield "a list", [good], None
    yield "empty object", {}, None
    yield "no such function", dict(good, func_name="QNOPE"), None
    yield "func_name a number", dict(good, func_name=7), None
    yield "private name", dict(good, func_name="__class__"), None
    yield "args missing", {k: v for k, v in good.items() if k != "args"}, None
    yield "args a string", dict(good, args="F"), None
    yield "argument a scalar", dict(good, args=["F", [["issue price"]]]), None
    yield "argument 1-D", dict(good, args=[["F"], [["issue price"]]]), None
    yield "ragged range", dict(good, args=[[["F", "G"], ["H"]], [["issue price"]]]), None
    yield "empty range", dict(good, args=[[], [["issue price"]]]), None
    yield "too many arguments", dict(good, args=[[["F"]]] * 9), None
    yield "cell an object", dict(good, args=[[[{"a": 1}]], [["issue price"]]]), None
    yield "cell a list", dict(good, args=[[[["F"]]], [["issue price"]]]), None
    yield "no version", {k: v for k, v in good.items() if k != "version"}, None
    yield "no runtime", {k: v for k, v in good.items() if k != "runtime"}, None
    yield "runtime not a number", dict(good, runtime="new"), None
    yield "caller address a number", dict(good, caller_address=5), None
    yield "deep nesting", None, b"[" * 100_000 + b"]" * 100_000
    yield "huge number", None, __import__("json").dumps(good).replace('"issue price"', "1e999999").encode()
    yield "NaN", None, __import__("json").dumps(good).replace('"issue price"', "NaN").encode()


@pytest.mark.parametrize("case,payload,raw", list(_malformed()), ids=[c for c, _, _ in _malformed()])
def test_a_malformed_body_is_400_in_one_line_never_a_traceback(server, case, payload, raw):
    answer = post(server.url + CALL, payload, raw=raw)
    assert answer.status == 400, (case, answer.status, answer.text)
    assert "\n" not in answer.text and "Traceback" not in answer.text and 'File "' not in answer.text
    assert 0 < len(answer.text) <= 400


def test_the_server_still_answers_after_malformed_bodies(server):
    assert call(server, "QTERMS", "F", "issue price").json() == {"result": [[8.25]]}


# -- terms files -----------------------------------------------------------------------------------

def test_a_terms_file_in_the_terms_folder_is_read(server):
    # three_series.toml: Series Y, Original Issue Price $2.00
    answer = call(server, "QTERMS", "Y", "issue price", "three_series.toml")
    assert answer.status == 200 and answer.json() == {"result": [[2.0]]}, answer.text


def test_a_terms_path_outside_the_folder_is_refused_without_its_contents(server, tmp_path):
    secret = tmp_path / "secret.toml"
    secret.write_text((server.terms_dir / "three_series.toml").read_text().replace("Example Co", "Secret Holdings"))
    link = server.terms_dir / "link.toml"
    link.symlink_to(secret)
    try:
        for path in (str(secret), "../secret.toml", f"../{tmp_path.name}/secret.toml", "/etc/passwd",
                     "link.toml", str(server.folder / "project" / "pyproject.toml")):
            answer = call(server, "QTERMS", "Y", "issue price", path)
            assert answer.status == 400, (path, answer.text)
            assert "outside this server's terms folder" in answer.text and "\n" not in answer.text, answer.text
            assert "Secret" not in answer.text and "root:" not in answer.text and "manifest" not in answer.text
    finally:
        link.unlink()
    missing = call(server, "QTERMS", "Y", "issue price", "nowhere.toml")
    assert missing.status == 400 and "no terms file \"nowhere.toml\" in this server's terms folder" in missing.text
