"""The Excel functions called as plain Python, with what Excel passes."""

import pytest

from xl_quintus.excel import QBREAKPOINTS, QELECTION, QPAYOUT, QTERMS, QWATERFALL, QuintusExcelError

CT = [["Holder", "Class", "Shares"],
      ["Fund I", "Series E Preferred", 1_000_000.0],
      ["Founder", "Common Stock", 1_000_000.0],
      [None, None, None]]


def test_qwaterfall_layout_and_cents():
    table = QWATERFALL(10_000_000.0, CT, "none")
    assert table[0] == ["Class", "Shares", "Converts", "Cash Amount", "Preference", "Participation",
                        "As Common", "Total", "Per Share"]
    # E: pref 4,150,000 + half of 5,850,000 = 7,075,000 (see test_section2_liquidation)
    assert table[1] == ["E", 1_000_000, False, 0.0, 4_150_000.0, 2_925_000.0, 0.0, 7_075_000.0, 7.075]
    assert table[2] == ["Common", 1_000_000, False, 0.0, 0.0, 0.0, 2_925_000.0, 2_925_000.0, 2.925]
    assert table[3] == ["Total", "", "", 0.0, 4_150_000.0, 2_925_000.0, 2_925_000.0, 10_000_000.0, ""]
    assert len({len(r) for r in table}) == 1


def test_qwaterfall_by_holder():
    table = QWATERFALL(10_000_000.0, CT, "none", None, None, "holder")
    assert table[0][0] == "Holder"
    assert table[1][:3] == ["Fund I", "E", 1_000_000]
    assert table[-1][0] == "Total" and table[-1][8] == 10_000_000.0


def test_qpayout_column_matches_cell_by_cell():
    column = [[float(v)] for v in range(0, 40_000_000, 500_000)]
    out = QPAYOUT(column, "E", CT)
    assert out == [[QPAYOUT(v[0], "E", CT)] for v in column]
    assert QPAYOUT(30_000_000.0, "Fund I", CT) == 15_000_000.0       # converts: half of 30M


def test_qbreakpoints_lists_cap_and_conversion():
    table = QBREAKPOINTS(CT)
    assert table[0] == ["Exit Value", "Event", "Clause", "E", "Common"]
    values = [r[0] for r in table[1:]]
    # pref paid at 4,150,000; cap at 16,600,000; E converts above 20,750,000
    assert 4_150_000.0 in values and 16_600_000.0 in values and 20_750_000.0 in values
    last = table[-1]
    assert last[3:] == [0.5, 0.5] and "converts" in last[1]


def test_qelection_and_qterms():
    rows = QELECTION(30_000_000.0, CT)
    assert rows[1][:2] == ["E", True]
    assert QTERMS("Series F Preferred Stock", "issue price") == 8.25
    assert QTERMS("G-5", "cap") == 22.526
    assert QTERMS("A", "cash amount") == 0.925
    assert QTERMS("B", "votes") == 14


@pytest.mark.parametrize("call, message", [
    (lambda: QPAYOUT(1e7, "E", [["A", 10], ["C", 10], ["D", 10]], "A, C"),
     'QPAYOUT: conversions: Series A-D convert only together (charter IV.B.3(a)); got "A, C"'),
    (lambda: QPAYOUT("ten", "E", CT), 'QPAYOUT: proceeds: "ten" is text, not an amount of money'),
    (lambda: QWATERFALL(1e6, [["Series Q", 5]]), 'QWATERFALL: cap_table row 1, Class: "Series Q" is not a class'),
    (lambda: QWATERFALL(1e6, [["A", -5]]), "shares must be a whole number of at least 0, got -5"),
    (lambda: QWATERFALL(1e6, [["Ann", "A", None]]), "holder Ann has no shares"),
    (lambda: QWATERFALL(1e6, [["A", "#N/A"]]), "Excel error #N/A"),
    (lambda: QWATERFALL(1e6, CT, None, None, None, "fund"), 'by: "fund" must be one of class, holder'),
    (lambda: QWATERFALL(1e6, CT, None, [["E", 0]]), "Conversion Price for Series E must be above 0"),
])
def test_bad_input_is_one_clear_line(call, message):
    with pytest.raises(QuintusExcelError) as info:
        call()
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_command_line_main_job(capsys):
    from xl_quintus.cli import main

    assert main(["100000000"]) == 0
    out = capsys.readouterr().out
    # Series E at $100,000,000 on the sample cap table (udf_docs/QPAYOUT.md)
    assert "14,850,773.23" in out and "Breakpoints" in out


def test_every_function_is_exported_for_xlwings_server_and_lite():
    import inspect

    import xl_quintus.custom_functions as module
    from xl_quintus import excel

    names = {n for n, f in inspect.getmembers(excel, inspect.isfunction) if n.startswith("Q") and n.isupper()}
    assert names <= set(excel.__all__)
    assert names <= {n for n in dir(module) if n.startswith("Q")}


# -- keyword calls from Python (review: the excel_errors wrapper took *args only) ---------------

def test_keyword_calls_pass_through_and_bad_keywords_are_one_line():
    import inspect

    from xl_quintus.excel import QWATERFALL, QuintusExcelError

    ct = [["Holder", "Class", "Shares"], ["Ann", "A", 1000], ["Bob", "F", 100], ["Cy", "Common", 1000]]
    assert QWATERFALL(10000, ct, by="holder") == QWATERFALL(10000, ct, None, None, None, "holder")
    assert QWATERFALL(proceeds=10000, cap_table=ct) == QWATERFALL(10000, ct)
    # the signature xlwings registers is still the function's own
    assert list(inspect.signature(QWATERFALL).parameters)[:2] == ["proceeds", "cap_table"]
    for call, message in [
        (lambda: QWATERFALL(10000, ct, bye="holder"),
         "QWATERFALL: no argument named bye; its arguments are proceeds, cap_table, conversions, "
         "conversion_prices, unpaid_dividends, by, terms, as_of"),
        (lambda: QWATERFALL(10000, ct, cap_table=ct), "QWATERFALL: cap_table is given twice, by position and by name"),
        (lambda: QWATERFALL(10000, by="holder"), "QWATERFALL: cap_table is required; the call does not give it"),
    ]:
        with pytest.raises(QuintusExcelError) as info:
            call()
        assert str(info.value) == message
