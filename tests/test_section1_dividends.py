"""Charter IV.B Section 1 by hand."""

from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from xl_quintus.charter.cap_table import CapTable
from xl_quintus.charter.dividends import cash_dividend, line_cents
from xl_quintus.excel import QDIVIDEND, QuintusExcelError
from xl_quintus.charter.terms import quintus

CT = [["A", 1_000], ["E", 1_000], ["Common", 1_000]]
# full preferential amounts (1(a)): A 1,000 x 0.20 = 200; E 1,000 x 0.83 = 830; 1,030 in all


def amounts(table):
    return [r[2] for r in table[1:-1]]


def test_below_the_full_preference_is_ratable():
    # 500 < 1,030: "ratably ... in proportion to the full preferential dividend amounts":
    # A 500 x 200/1,030 = 97.0873.. ; E 500 x 830/1,030 = 402.9126.. -> cents 9,708.73.. and
    # 40,291.26..: floors add to 49,999; the missing cent goes to the larger remainder, A's
    # .73 -> A 97.09, E 402.91. Common nothing.
    assert amounts(QDIVIDEND(500, CT)) == [97.09, 402.91, 0.0]


def test_at_the_full_preference():
    assert amounts(QDIVIDEND(1_030, CT)) == [200.0, 830.0, 0.0]


def test_parity_lifts_some_series_but_not_others():
    # 2,000: if Common got c per share, A (rate 0.20) would get max(0.20, c), E max(0.83, c).
    # With E at its rate: 830 + (1,000 + 1,000) x c = 2,000 -> c = 0.585: above A's 0.20
    # (A lifted to 0.585, "if greater"), below E's 0.83 (E stays at its rate).
    table = QDIVIDEND(2_000, CT)
    assert amounts(table) == [585.0, 830.0, 585.0]
    assert table[1][4] == "IV.B.1(a) if greater: as Common" and table[2][4] == "IV.B.1(a)"


def test_parity_lifts_every_series():
    # 4,000: c = 4,000 / 3,000 = 1.3333.. above both rates; the cent left over by the three
    # equal remainders goes to the earliest class, A.
    assert amounts(QDIVIDEND(4_000, CT)) == [1_333.34, 1_333.33, 1_333.33]


def test_non_cash_distribution_as_if_converted():
    # 1(b), 3(e): E at CP 2.075 converts into 1,000 x 4.15/2.075 = 2,000 Common; A 1,000;
    # Common 1,000: 4,000 as-converted shares share 4,000 of value: A 1,000, E 2,000, Common 1,000.
    assert amounts(QDIVIDEND(4_000, CT, "non-cash", [["E", 2.075]])) == [1_000.0, 2_000.0, 1_000.0]


def test_holder_rows_add_up_to_their_class():
    table = QDIVIDEND(300, [["X", "A", 600], ["Y", "A", 400], ["Z", "Common", 10]], None, None, "holder")
    # c = 300 / 1,010 = 0.29702.. > 0.20: A lifted. A 297.0297.. -> X 178.22, Y 118.81; Z 2.97.
    assert [r[3] for r in table[1:-1]] == [178.22, 118.81, 2.97]
    assert table[-1][3] == 300.0


def test_no_common_leaves_the_excess_unallocated():
    table = QDIVIDEND(1_500, [["A", 1_000], ["E", 1_000]])
    assert [r[0] for r in table[1:-1]] == ["A", "E", "Unallocated"] and amounts(table)[-1] == 470.0


@pytest.mark.parametrize("call, message", [
    (lambda: QDIVIDEND(-1, CT), "declared: -1 cannot be negative"),
    (lambda: QDIVIDEND("lots", CT), '"lots" is text'),
    (lambda: QDIVIDEND(5, CT, "shares"), 'kind: "shares" must be one of cash, non-cash'),
])
def test_bad_input(call, message):
    with pytest.raises(QuintusExcelError) as info:
        call()
    assert message in str(info.value)


SERIES = [s.name for s in quintus().series]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SERIES + ["Common"]), st.integers(1, 100_000)), min_size=1, max_size=6),
       st.integers(0, 2_000_000_00), st.integers(0, 2_000_000_00))
def test_dividend_properties(rows, d1, d2):
    table = CapTable.of(rows)
    lo, hi = sorted((Fraction(d1, 100), Fraction(d2, 100)))
    a, b = cash_dividend(table, lo), cash_dividend(table, hi)
    assert sum(line_cents(a, lo)) == lo * 100                         # parts add up to the total
    assert sum(x.amount for x in a) == lo
    for x, y in zip(a, b):
        assert 0 <= x.amount <= y.amount                              # monotone in the amount
    common = [x for x in b if x.cls == "Common"]
    if common and common[0].amount and common[0].shares:
        per_common = common[0].amount / common[0].shares
        for x in b:
            if x.cls not in ("Common", "Unallocated"):
                assert x.amount / x.shares >= per_common               # 1(a) "if greater"
