"""Charter IV.B Section 3(a)-(c), (h), (i): conversion by hand."""

from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from xl_quintus.charter.cap_table import CapTable
from xl_quintus.charter.conversion import Offering, conversion_rate, ipo_conversion, reservation
from xl_quintus.errors import CharterError
from xl_quintus.excel import QCASH, QCONVERT, QIPO, QuintusExcelError
from xl_quintus.numbers import round_half_up
from xl_quintus.charter.terms import quintus

Q = quintus()


@pytest.mark.parametrize("cls, shares, common", [
    # 3(a): shares x Original Issue Price / Conversion Price, CP = OIP at first: 1:1
    ("A", 9_100_000, 9_100_000), ("B", 1_000, 1_000), ("C", 7, 7), ("D", 1_455_000, 1_455_000),
    ("E", 3, 3), ("F", 10, 10), ("G-1", 279_679, 279_679), ("G-6", 1, 1),
])
def test_each_series_converts_one_for_one_at_its_issue_price(cls, shares, common):
    assert QCONVERT(cls, shares) == common


def test_an_adjusted_conversion_price_and_half_share_rounding():
    # E: 1 share x 4.15 / 8.30 = 0.5 Common: "rounded to the nearest whole share" (3(h)),
    # half up (interpretations): 1.
    assert QCONVERT("E", 1, 8.30) == 1
    # 3 x 4.15 / 8.30 = 1.5 -> 2; 5 x 1.00 / 0.40 = 12.5 -> 13
    assert QCONVERT("E", 3, 8.30) == 2
    assert QCONVERT("A", 5, 0.40) == 13
    # 3 x 1.43 / 1.30 = 3.3 -> 3
    assert QCONVERT("B", 3, 1.30) == 3


@pytest.mark.parametrize("ipo_price, common", [
    (9.00, 1_000),     # above the $8.30 Series E Price: OIP/CP = 1
    (8.30, 1_000),     # at it: the proviso needs a price "less than $8.30"
    (8.29, 1_001),     # 1,000 x 8.30/8.29 = 1,001.206.. -> 1,001
    (4.15, 2_000),     # 8.30 / 4.15 = 2 per share
])
def test_series_e_ratchet(ipo_price, common):
    assert QCONVERT("E", 1_000, None, ipo_price) == common


@pytest.mark.parametrize("ipo_price, common", [
    (11.00, 1_000),    # at $11.00: no ratchet
    (10.99, 1_001),    # 1,000 x 11/10.99 = 1,000.9099.. -> 1,001
    (5.50, 2_000),     # 11 / 5.50 = 2
])
def test_series_f_ratchet(ipo_price, common):
    assert QCONVERT("F", 1_000, None, ipo_price) == common


def test_ratchet_takes_the_greater_of_price_ratio_and_oip_over_cp():
    # E with CP 2.075: OIP/CP = 4.15/2.075 = 2 > 8.30/5.00 = 1.66 -> 2 per share
    assert QCONVERT("E", 1_000, 2.075, 5.00) == 2_000
    # G has no ratchet: converts at CP whatever the IPO price (3(b)(iv))
    assert QCONVERT("G-2", 1_000, None, 1.00) == 1_000


def test_cash_amounts():
    # 3(a): A $0.925 per share; D $2.544 + $0.10 declared unpaid = $2.644 x 3 = $7.932 -> $7.93
    assert QCASH("A", 1_000) == 925.00
    assert QCASH("Series D Preferred", 3, 0.10) == 7.93
    assert QCASH("E", 1_000) == 0.0


def _ct(rows):
    return [["Holder", "Class", "Shares"]] + [list(r) for r in rows]


def test_a_holder_converting_several_series_is_rounded_once():
    # Fund: A 1 share at CP 0.40 -> 2.5; B 1 share at CP 2.86 -> 1.43/2.86 = 0.5.
    # Per row each would round up (3 + 1 = 4); on the aggregate 3.0 -> 3 (3(h)).
    table = QIPO(10.0, 50_000_000, _ct([("Fund", "A", 1), ("Fund", "B", 1)]), [["A", 0.40], ["B", 2.86]])
    assert [r[3] for r in table[1:3]] == [3, 0] or [r[3] for r in table[1:3]] == [2, 1]
    assert table[3][:4] == ["Total", "", 2, 3]
    # largest remainder over the holder's rows: A 2.5 and B 0.5 tie on .5; A (earlier) takes it
    assert [r[3] for r in table[1:3]] == [3, 0]


def test_qualified_and_not_qualified_offerings():
    rows = _ct([("Fund", "A", 1_000), ("Ann", "E", 1_000)])
    ok = QIPO(5.00, 40_000_000, rows)
    assert ok[-1][:2] == ["Qualified IPO (3(b))", True]
    # A 1,000 -> 1,000 Common + $925.00; E ratchet 8.30/5 = 1.66 -> 1,660
    assert ok[1][3:] == [1_000, 925.0] and ok[2][3:] == [1_660, 0.0]
    short = QIPO(5.00, 39_999_999.99, rows)
    assert short[-1][1] is False and "below $40,000,000" in short[-1][2]
    assert all(r[3] == 0 for r in short[1:3])
    not_firm = QIPO(5.00, 90_000_000, rows, None, False)
    assert not_firm[-1][1] is False and "firm commitment" in not_firm[-1][2]


def test_cash_amounts_short_of_legally_available_funds():
    # A owed 1,000 x 0.925 = 925.00; D owed 100 x 2.544 = 254.40; total 1,179.40.
    # $500 available, ratably (3(c)): A 500 x 925/1179.4 = 392.1485.. ; D 500 x 254.4/1179.4
    # = 107.8514.. In cents 39,214.85 and 10,785.14: floors add to 49,999; the missing cent
    # goes to the larger remainder, A's .85: A 392.15, D 107.85.
    # Owed later: A 532.8515.., D 146.5486.. (67,940 cents in all); floors 53,285 + 14,654;
    # the missing cent to D's .86: A 532.85, D 146.55.
    table = QIPO(20.0, 50_000_000, _ct([("Fund", "A", 1_000), ("Ann", "D", 100)]), None, True, 500)
    assert table[0][-1] == "Cash Owed"
    assert table[1][4:] == [392.15, 532.85] and table[2][4:] == [107.85, 146.55]
    assert table[3][4:] == [500.0, 679.40]


def test_reservation_of_common():
    # 3(i): every authorized preferred share outstanding converts into 22,614,700 Common at
    # OIP; with 80,000,000 Common outstanding only 20,000,000 are authorized but unissued.
    table = CapTable.of([(s.name, s.authorized) for s in Q.series] + [("Common", 80_000_000)])
    assert reservation(table) == (22_614_700, 20_000_000)


@pytest.mark.parametrize("call, message", [
    (lambda: QCONVERT("A", -5), "shares must be a whole number of at least 0, got -5"),
    (lambda: QCONVERT("Series Z", 5), '"Series Z" is not a class'),
    (lambda: QCONVERT("E", 5, 0), "a Conversion Price must be above 0, got 0"),
    (lambda: QCONVERT("E", "many"), '"many" is text, not a number of shares'),
    (lambda: QCONVERT("Common", 5), "Common Stock does not convert"),
    (lambda: QIPO(0, 5e7, [["A", 1]]), "a price per share must be above 0"),
    (lambda: QIPO(5, 5e7, [["A", 1]], None, "maybe"), '"maybe" must be TRUE or FALSE'),
])
def test_bad_input(call, message):
    with pytest.raises(QuintusExcelError) as info:
        call()
    assert message in str(info.value)


holdings = st.lists(st.tuples(st.sampled_from(["h1", "h2", "h3"]),
                              st.sampled_from([s.name for s in Q.series]),
                              st.integers(0, 50_000)), min_size=1, max_size=8)
prices = st.decimals("0.50", "20.00", places=2).map(Fraction)


@settings(max_examples=60, deadline=None)
@given(holdings, prices, st.dictionaries(st.sampled_from(["A", "E", "F", "G-3"]),
                                         st.decimals("0.10", "12.00", places=3).map(Fraction), max_size=3))
def test_ipo_properties(rows, price, cps):
    table = CapTable.of(rows)
    result = ipo_conversion(table, Offering(price, Fraction(50_000_000)), cps)
    by_holder: dict = {}
    for r in result.rows:
        # never fewer than shares x OIP / CP rounded, series by series
        assert r.exact_common >= r.shares * conversion_rate(Q.terms(r.cls), cps.get(r.cls))
        by_holder.setdefault(r.holder, []).append(r)
    for holder_rows in by_holder.values():
        # 3(h): the holder's Common is its aggregate rounded once
        assert sum(r.common for r in holder_rows) == round_half_up(sum(r.exact_common for r in holder_rows))
    assert result.reserved_needed == sum(r.common for r in result.rows)
    # QCONVERT agrees with QIPO for a holder with one holding
    for holder_rows in by_holder.values():
        if len(holder_rows) == 1:
            r = holder_rows[0]
            assert QCONVERT(r.cls, r.shares, float(cps[r.cls]) if r.cls in cps else None, float(price)) == r.common


def test_charter_error_for_negative_offering():
    with pytest.raises(CharterError, match="cannot be negative"):
        ipo_conversion(CapTable.of([("A", 1)]), Offering(Fraction(5), Fraction(-1)))


def test_recapitalization_entitlement_3f():
    from xl_quintus.excel import QRECAP

    # 1,000 E at CP 2.075 -> 2,000 Common (3(a)); each Common became 0.5 new shares: 1,000
    assert QRECAP("E", 1_000, 0.5, 2.075) == 1_000.0
    # G-3 at its issue price converts 1:1; $12.50 of property per Common share: $12,500 per 1,000
    assert QRECAP("G-3", 1_000, 12.5) == 12_500.0
    with pytest.raises(QuintusExcelError, match="cannot be negative"):
        QRECAP("E", 1, -1)
