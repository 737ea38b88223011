"""``as_of``, the exit date: the 3(d) ledger of an events range runs to it (interpretations,
"Exit date"), and adjustments carried under 3(d)(i)(B) whose 3-year anniversary falls on or
before it are made."""

import datetime as dt

import pytest

from xl_quintus.excel import (
    QBOARD,
    QBREAKPOINTS,
    QDIVIDEND,
    QELECTION,
    QIPO,
    QPAYOUT,
    QVOTINGPOWER,
    QWATERFALL,
    QuintusExcelError,
)

CAP = [["Class", "Shares"], ["E", 1_000_000], ["Common", 1_000_000]]
# E bought in 2000; on 1 March 2001 10,000 Common are issued for $40,000 ($4.00 < E's CP 4.15).
# 3(d)(i)(A): A = 1,000,000 Common + 1,000,000 E as converted = 2,000,000; B = 40,000 / 4.15;
# C = 10,000. CP x (A + B) / (A + C) lowers the CP by 4.15 x (10,000 - 40,000/4.15) / 2,010,000
# = (41,500 - 40,000) / 2,010,000 = 1/1,340 = $0.000746: under one cent, so 3(d)(i)(B) carries
# it forward. No later adjustment comes, so it is made "at the end of 3 years": 1 March 2004.
# Then CP = 4.15 - 1/1,340 = 5,560/1,340, and E converts into 1,000,000 x 4.15 / CP
# = 1,000,000 x 5,561/5,560 = 1,000,179.856.. Common.
EVENTS = [["Date", "Event", "Shares", "Consideration", "Ref"],
          ["2000-01-01", "Purchase", None, None, "E"],
          ["2001-03-01", "Issue", 10_000, 40_000, None]]


def test_a_sub_cent_adjustment_carried_from_2001_is_made_in_a_2004_waterfall():
    def e_total(as_of):
        table = QWATERFALL(30_000_000, CAP, "E", EVENTS, None, None, None, as_of)
        return table[1][7]
    # Before the anniversary (and by default, just after the last event) E converts 1:1:
    # $30,000,000 split 1,000,000 : 1,000,000.
    assert e_total(None) == 15_000_000.00
    assert e_total("2004-02-29") == 15_000_000.00
    # On the anniversary and after: 30,000,000 x 5,561 / (5,561 + 5,560) = 15,001,348.7996..
    assert e_total("2004-03-01") == 15_001_348.80
    assert e_total(dt.date(2004, 6, 30)) == 15_001_348.80
    # an Excel date number: 38168 is 2004-06-30 (1900 date system)
    assert e_total(38168) == 15_001_348.80
    assert QPAYOUT(30_000_000, "Common", CAP, "E", EVENTS, None, None, 38168) == 14_998_651.20
    assert QPAYOUT([[30_000_000.0]] * 40, "Common", CAP, "E", EVENTS, None, None, 38168) == [[14_998_651.20]] * 40


def test_every_function_with_an_events_range_takes_the_exit_date():
    # 5(c): 14 votes per Common share E converts into, rounded: 1,000,180 x 14 = 14,002,520.
    assert QVOTINGPOWER(CAP, EVENTS, None, "2004-06-30")[1][3] == 14_002_520
    assert QVOTINGPOWER(CAP, EVENTS)[1][3] == 14_000_000
    # 3(b) at a qualified IPO (price above E's $8.30 ratchet): E's Common 1,000,180.
    assert QIPO(20, 50_000_000, CAP, EVENTS, None, None, None, None, "2004-06-30")[1][3] == 1_000_180
    assert QBOARD(CAP, None, EVENTS, None, "2004-06-30")[0][:2] == ["Voting Shift Period", False]
    # non-cash distribution (1(b)): shared as converted, 5,561 : 5,560 of $11,121.
    assert QDIVIDEND(11_121, CAP, "non-cash", EVENTS, None, None, "2004-06-30")[1][2] == 5_561.00
    assert QELECTION(30_000_000, CAP, None, EVENTS, None, None, "2004-06-30")[1][1] is True
    rows = QBREAKPOINTS(CAP, None, EVENTS, None, None, "2004-06-30")
    # E converts once half of the proceeds (as Common) beats its $10.375 cap:
    # P x 5,561/11,121 > 10,375,000, P > 20,748,134.1..
    assert any(r[1].startswith("Series E converts") and 20_748_134 < r[0] < 20_748_135 for r in rows[1:])


def test_a_bad_date_is_one_clear_line():
    with pytest.raises(QuintusExcelError, match='QPAYOUT: as_of: "June" is not a date'):
        QPAYOUT(1e6, "E", CAP, None, EVENTS, None, None, "June")
