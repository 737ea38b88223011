"""Review fixes (f4): blanks in events, QPWERM's scenarios header, conversions naming a series
nobody holds. Each refusal is one line naming the argument, row/column and rule."""

import pytest

from xl_quintus.excel import QCONVPRICE, QPWERM, QWATERFALL, QuintusExcelError

CT = [["Holder", "Class", "Shares"], ["Ann", "A", 1000], ["Bob", "F", 100], ["Cy", "Common", 1000]]
HEADER = ["Date", "Event", "Shares", "Consideration", "Ref"]
A_COMMON = [["A", 1000], ["Common", 1000]]


def _refusal(call) -> str:
    with pytest.raises(QuintusExcelError) as e:
        call()
    message = str(e.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# -- 1. a blank where the event kind needs a value -------------------------------------------

def test_blank_issue_consideration_is_refused_not_a_free_issue():
    events = [HEADER, [36000, "Purchase", None, None, "A"], [36500, "Issue", 1000, None, None]]
    message = _refusal(lambda: QCONVPRICE("A", events, A_COMMON))
    assert message.startswith("QCONVPRICE: events row 3, Consideration: Issue needs Consideration")
    assert "blank" in message and "0 for shares issued free" in message


def test_explicit_zero_consideration_stays_a_free_issue():
    # A's CP starts at its OIP, $1.00. 1,000 Common issued for $0 after A's Purchase Date:
    # A = 1,000 Common + 1,000 A as-converted (1,000 x 1.00 / 1.00) = 2,000; B = 0 / 1.00 = 0;
    # C = 1,000. CP2 = 1.00 x (2,000 + 0) / (2,000 + 1,000) = 2/3 = 0.6667.
    events = [HEADER, [36000, "Purchase", None, None, "A"], [36500, "Issue", 1000, 0, None]]
    assert QCONVPRICE("A", events, A_COMMON) == pytest.approx(2 / 3, abs=1e-12)


@pytest.mark.parametrize("row, column", [
    ([36500, "Issue", None, 500, None], "Shares"),
    ([36500, "Grant", 100, None, "opt1"], "Consideration"),
    ([36500, "Grant", None, 50, "opt1"], "Shares"),
    ([36500, "Amend", 100, None, "opt1"], "Consideration"),
    ([36500, "Expire", None, None, "opt1"], "Shares"),
    ([36500, "Exercise", None, None, "opt1"], "Shares"),
    ([36500, "Split", None, None, None], "Shares"),
    ([36500, "Combine", "", None, None], "Shares"),
    ([36500, "Excluded", None, None, "B"], "Shares"),
])
def test_each_kind_names_the_blank_cell_it_needs(row, column):
    events = [HEADER, [36000, "Purchase", None, None, "A"], row]
    message = _refusal(lambda: QCONVPRICE("A", events, A_COMMON))
    assert message.startswith(f"QCONVPRICE: events row 3, {column}: {row[1]} needs {column}: ")


def test_purchase_and_consideration_free_kinds_still_need_no_blank_filled():
    # Purchase needs only Ref; Split needs no Consideration. A 2-for-1 split halves A's CP:
    # 1.00 / 2 = 0.50.
    events = [HEADER, [36000, "Purchase", None, None, "A"], [36500, "Split", 2, None, None]]
    assert QCONVPRICE("A", events, A_COMMON) == pytest.approx(0.5, abs=1e-12)


# -- 2. QPWERM's scenarios header, by label in any order -------------------------------------

def test_scenarios_header_in_another_order_is_read_by_label():
    # Common only, 1,000 shares: a scenario's value is its exit value. Scenarios (by label):
    # $10,000 at 0.5 in 1 year at 25%: 0.5 x 10,000 / 1.25 = 4,000;
    # $2,000 at 0.5 now: 0.5 x 2,000 = 1,000. Total 5,000.00, $5.00 per share.
    scenarios = [["Discount Rate", "Years", "Probability", "Exit Value"], [0.25, 1, 0.5, 10000], [0, 0, 0.5, 2000]]
    assert QPWERM(scenarios, [["Class", "Shares"], ["Common", 1000]]) == [
        ["Class", "Shares", "Value", "Per Share"], ["Common", 1000, 5000.0, 5.0], ["Total", 1000, 5000.0, ""]]


def test_reviewers_reordered_header_equals_the_spec_order():
    # One certain scenario, undiscounted: the QWATERFALL at $10,000, whichever order the labels take.
    reordered = QPWERM([["Probability", "Exit Value", "Years", "Discount Rate"], [1, 10000, 0, 0]], CT)
    spec_order = QPWERM([["Exit Value", "Probability", "Years", "Discount Rate"], [10000, 1, 0, 0]], CT)
    no_header = QPWERM([[10000, 1, 0, 0]], CT)
    assert reordered == spec_order == no_header
    assert reordered[-1] == ["Total", 2100, 10000.0, ""]
    totals = {r[0]: r[7] for r in QWATERFALL(10000, CT)}
    assert {r[0]: r[2] for r in reordered[1:-1]} == {c: totals[c] for c in ("A", "F", "Common")}


@pytest.mark.parametrize("header, words", [
    (["Probability", "Exit Value", "Years"], "header has no Discount Rate column"),
    (["Probability", "Exit Value", "Years", "Notes"], 'header "Notes" is not a scenarios column'),
    (["Probability", "Exit Value", "Years", "Probability"], "header names Probability twice (columns 1 and 4)"),
])
def test_a_header_that_does_not_name_the_four_columns_is_refused(header, words):
    message = _refusal(lambda: QPWERM([header, [1, 10000, 0, 0]], CT))
    assert message.startswith(f"QPWERM: scenarios row 1: {words}")


def test_a_value_under_no_header_is_refused():
    scenarios = [["Probability", "Exit Value", "Years", "Discount Rate"], [1, 10000, 0, 0, 5]]
    assert _refusal(lambda: QPWERM(scenarios, CT)).startswith("QPWERM: scenarios row 2: has a value under no header")


# -- 3. conversions naming a series nobody holds ----------------------------------------------

@pytest.mark.parametrize("conversions, named", [("E", "E"), ("A-D, E", "E"), ("G-2", "G-2"), ("B", "B")])
def test_conversions_naming_a_series_with_no_shares_is_refused(conversions, named):
    message = _refusal(lambda: QWATERFALL(5000, CT, conversions))
    assert message == f'QWATERFALL: conversions: "{named}" has no shares in the cap table; ' \
                      "name only series that are outstanding"


def test_a_d_and_a_alone_still_name_the_a_d_election():
    # $5,000, A-D converting (only A outstanding): A's Cash Amount first (3(a)), then F's $8.25 x 100 = $825
    # preference (2(a)); the Cash Amount column total is 925.00 (A's $0.925 x 1,000, per the terms file).
    by_group = QWATERFALL(5000, CT, "A-D")
    assert QWATERFALL(5000, CT, "A") == by_group
    assert by_group[-1][3:5] == [925.0, 825.0] and by_group[-1][7] == 5000.0
    assert QWATERFALL(5000, CT, "none")[-1][3] == 0.0


def test_options_on_a_series_count_as_held():
    # E held only as a warrant: naming E is not a typo (exercised tranches hold E).
    ct = [["Holder", "Class", "Shares", "Exercise Price"], ["Ann", "A", 1000, None], ["Cy", "Common", 1000, None],
          ["W", "E", 100, 1]]
    assert QWATERFALL(5000, ct, "A-D, E")[-1][0] == "Total"
