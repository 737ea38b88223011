"""Charter IV.B 3(d) by hand: the anti-dilution ledger."""

import datetime as dt
from fractions import Fraction as F

import pytest
from hypothesis import given, settings, strategies as st

from xl_quintus.charter.anti_dilution import Event, run_ledger
from xl_quintus.charter.cap_table import CapTable
from xl_quintus.excel import QCONVLEDGER, QCONVPRICE, QIPO, QPAYOUT, QuintusExcelError

CT = [["A", 1_000_000], ["E", 1_000_000], ["Common", 2_000_000]]
# A before any event: 2,000,000 Common + 1,000,000 A + 1,000,000 E as converted = 4,000,000
HEAD = [["Date", "Event", "Shares", "Consideration", "Ref"],
        ["2000-01-01", "Purchase", None, None, "A"], ["2000-06-01", "Purchase", None, None, "E"]]


def cp(cls, rows, as_of=None):
    return QCONVPRICE(cls, HEAD + rows, CT, as_of)


def test_a_down_round_adjusts_only_the_series_priced_above_it():
    # 1,000,000 Common at $2.00: below E's 4.15, above A's 1.00.
    # E: 4.15 x (4,000,000 + 2,000,000/4.15) / (4,000,000 + 1,000,000) = 18,600,000/5,000,000 = 3.72
    rows = [["2001-01-01", "Issue", 1_000_000, 2_000_000, None]]
    assert cp("E", rows) == 3.72
    assert cp("A", rows) == 1.0


def test_an_issue_at_or_above_the_conversion_price_changes_nothing():
    assert cp("E", [["2001-01-01", "Issue", 1_000_000, 4_150_000, None]]) == 4.15


def test_an_issue_before_a_series_purchase_date_does_not_count_for_it():
    # E's Purchase Date is 2000-06-01: an issue on 2000-03-01 (or on that very date: "after")
    # is not Additional Stock for E.
    assert cp("E", [["2000-03-01", "Issue", 1_000_000, 2_000_000, None]]) == 4.15
    assert cp("E", [["2000-06-01", "Issue", 1_000_000, 2_000_000, None]]) == 4.15


# two issues of 10,000 at $2: each below a cent alone, together above
SMALL = F(16_620_000, 4_010_000)          # 4.15 x (4,000,000 + 20,000/4.15) / 4,010,000 = 4.144638..
D1 = F("4.15") - SMALL                    # 0.005361.. < 0.01: carried (3(d)(i)(B))
SECOND = (F("4.15") * 4_010_000 + 20_000) / 4_020_000   # the next one, A = 4,010,000: 4.144651..
D2 = F("4.15") - SECOND                   # 0.005348.. ; D1 + D2 = 0.010710.. >= 0.01: made


def test_a_sub_cent_adjustment_is_carried_then_made_with_the_next():
    one = [["2001-01-01", "Issue", 10_000, 20_000, None]]
    assert cp("E", one) == 4.15
    ledger = QCONVLEDGER(HEAD + one, CT)
    assert ledger[-1][-1] == pytest.approx(float(D1), abs=1e-12)          # E Carried
    two = one + [["2002-01-01", "Issue", 10_000, 20_000, None]]
    assert cp("E", two) == float(F("4.15") - D1 - D2)
    assert QCONVLEDGER(HEAD + two, CT)[-1][-1] == 0.0


def test_a_carried_adjustment_is_made_at_three_years():
    one = [["2001-01-01", "Issue", 10_000, 20_000, None]]
    assert cp("E", one, "2003-12-31") == 4.15
    assert cp("E", one, "2004-01-01") == float(F("4.15") - D1)


def test_an_option_grant_then_its_expiry_restores_the_price():
    # 3(d)(i)(E)(1): 1,000,000 options deemed issued at grant for $2,000,000 (premium plus
    # minimum exercise price): E 3.72 as above. (E)(4): all expire unexercised: recomputed as if
    # never issued: 4.15 again (the only way a Conversion Price may rise).
    grant = [["2001-01-01", "Grant", 1_000_000, 2_000_000, "Opt-1"]]
    assert cp("E", grant) == 3.72
    assert cp("E", grant + [["2002-01-01", "Expire", 1_000_000, None, "Opt-1"]]) == 4.15
    # exercise changes nothing further (E)(3)
    assert cp("E", grant + [["2002-01-01", "Exercise", 1_000_000, None, "Opt-1"]]) == 3.72


def test_an_amendment_recomputes_on_the_new_terms():
    # granted for $4,000,000: E = (16,600,000 + 4,000,000) / 5,000,000 = 4.12
    grant = [["2001-01-01", "Grant", 1_000_000, 4_000_000, "W"]]
    assert cp("E", grant) == 4.12
    # repriced to $2,000,000 in all: as if issued on those terms: 3.72
    assert cp("E", grant + [["2001-06-01", "Amend", 1_000_000, 2_000_000, "W"]]) == 3.72


def test_an_excluded_issuance_grows_a_for_a_later_dilutive_one():
    # 3(d)(ii)(B) plan shares: no adjustment, but Common becomes 3,000,000, so A = 5,000,000.
    # Then 1,000,000 at $2: E = (4.15 x 5,000,000 + 2,000,000) / 6,000,000 = 3.791666..
    rows = [["2001-01-01", "Excluded", 1_000_000, 0, "B"], ["2001-06-01", "Issue", 1_000_000, 2_000_000, None]]
    assert cp("E", rows[:1]) == 4.15
    assert cp("E", rows) == float(F(22_750_000, 6_000_000))


def test_a_split_then_a_down_round():
    # 3(d)(iii) 2-for-1: A CP 0.50, E CP 2.075; Common 4,000,000; A = 4,000,000 + 2,000,000 +
    # 2,000,000 = 8,000,000. Then 1,000,000 at $1.00 (< 2.075): E = (2.075 x 8,000,000 +
    # 1,000,000) / 9,000,000 = 17,600,000 / 9,000,000 = 1.9555..; A (0.50) unchanged.
    rows = [["2001-01-01", "Split", 2, None, None], ["2002-01-01", "Issue", 1_000_000, 1_000_000, None]]
    assert cp("E", rows[:1]) == 2.075 and cp("A", rows) == 0.5
    assert cp("E", rows) == float(F(17_600_000, 9_000_000))
    # combination 1-for-2 afterwards multiplies back
    assert cp("A", rows + [["2003-01-01", "Combine", 2, None, None]]) == 1.0


def test_the_ledger_feeds_the_waterfall_and_the_ipo_ratchet():
    rows = HEAD + [["2001-01-01", "Split", 2, None, None]]
    # after a 2-for-1 split E converts 1:2; the Series E Price threshold is $4.15 (8.30 / 2):
    # at an IPO at $4.00 E gets the greater of 4.15/4.00 and 4.15/2.075 = 2 per share.
    table = QIPO(4.00, 50_000_000, CT, rows)
    assert table[2][:4] == ["E", "E", 1_000_000, 2_000_000]
    # a waterfall reads the ledger's prices too: E converted shares 2,000,000 of 5,000,000
    assert QPAYOUT(10_000_000, "E", CT, "all", rows) == QPAYOUT(10_000_000, "E", CT, "all", [["E", 2.075], ["A", 0.5]])
    # and the ledger's own output table
    assert QPAYOUT(10_000_000, "E", CT, "all", QCONVLEDGER(rows, CT)) == QPAYOUT(10_000_000, "E", CT, "all", rows)


@pytest.mark.parametrize("row, message", [
    (["2001-01-01", "Dividend", 5, 5, None], '"Dividend" is not an event'),
    (["2001-01-01", "Issue", -5, 5, None], "Issue: shares must be a whole number of at least 0"),
    (["2001-01-01", "Expire", 5, None, "Nope"], 'Expire of unknown instrument "Nope"'),
    ([0, "Issue", 5, 5, None], "0 is not a date"),
    (["2001-01-01", "Excluded", 5, 0, "Q"], "Ref must be a letter of 3(d)(ii), B to M"),
])
def test_bad_events_name_the_row(row, message):
    with pytest.raises(QuintusExcelError) as info:
        QCONVPRICE("E", HEAD + [row], CT)
    assert message in str(info.value) and "events row 4" in str(info.value)


DAY = dt.date(2001, 1, 1)
event_rows = st.lists(st.tuples(st.integers(0, 2_000), st.sampled_from(["Issue", "Excluded", "Split"]),
                                st.integers(1, 2_000_000), st.integers(0, 20_000_000)), min_size=1, max_size=8)


def _events(rows):
    out = []
    for i, (days, kind, shares, money) in enumerate(rows):
        if kind == "Split":
            shares, money = 2, 0
        out.append(Event(DAY + dt.timedelta(days=days), kind, F(shares), F(money), "B" if kind == "Excluded" else "", i + 1))
    return out


@settings(max_examples=60, deadline=None)
@given(event_rows)
def test_prices_never_rise_without_a_recomputation(rows):
    table = CapTable.of([("A", 1_000_000), ("E", 1_000_000), ("Common", 2_000_000)])
    ledger = run_ledger(table, _events(rows))
    for before, after in zip(ledger.rows, ledger.rows[1:]):
        if "Split" in after.event:         # 2 for 1, the amounts carried made first (3(d)(i)(B))
            assert all(after.cps[s] * 2 == before.cps[s] - before.carried[s] and after.carried[s] == 0
                       for s in after.cps)
            continue
        assert all(after.cps[s] <= before.cps[s] for s in after.cps)


@settings(max_examples=40, deadline=None)
@given(event_rows, st.randoms(use_true_random=False))
def test_input_order_matters_only_within_a_date(rows, rnd):
    table = CapTable.of([("A", 1_000_000), ("E", 1_000_000), ("Common", 2_000_000)])
    events = _events(rows)
    shuffled = events[:]
    rnd.shuffle(shuffled)
    # stable sort by date: same-date events keep their relative input order
    by_date = sorted(events, key=lambda e: e.date)
    reordered = sorted(shuffled, key=lambda e: (e.date, by_date.index(e)))
    assert run_ledger(table, events).cps == run_ledger(table, reordered).cps
