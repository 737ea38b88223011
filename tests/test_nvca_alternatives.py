"""The NVCA model's economic alternatives as terms, by hand: preference multiples,
non-participating / capped participation, cumulative dividends, anti-dilution formulas."""

import datetime as dt
from pathlib import Path

import pytest

from xl_quintus.excel import (QBREAKPOINTS, QCONVPRICE, QDIVIDEND, QELECTION, QIPO, QPAYOUT, QWATERFALL,
                              QuintusExcelError)

NVCA_FILE = Path(__file__).parent.parent / "xl_quintus" / "charter" / "data" / "nvca_seed_ab.toml"

# -- 1.5x non-participating (NVCA 2.1: "[1.5] times the Original Issue Price ... or such amount
# per share as would have been payable had all shares ... been converted", the greater) --------

P_TERMS = [["Class", "Authorized", "Issue Price", "Preference Multiple", "Participation", "Seniority"],
           ["P", 1_000_000, 2.00, "1.5x", "none", 1]]
P_CT = [["Fund", "P", 1_000_000], ["Founders", "Common", 2_000_000]]


@pytest.mark.parametrize("exit_value, fund, founders", [
    # preference 1.5 x $2.00 x 1,000,000 = $3,000,000; as converted P is 1/3 of 3,000,000 shares:
    # converting pays X / 3, better than the preference only above X = $9,000,000.
    (2_000_000, 2_000_000, 0),             # below the preference: all of it to P
    (6_000_000, 3_000_000, 3_000_000),     # below the conversion point: P takes 1.5x, Common the rest
    (9_000_000, 3_000_000, 6_000_000),     # at the conversion point: 9,000,000 / 3 = 3,000,000 either way
    (12_000_000, 4_000_000, 8_000_000),    # above: P converts, 12,000,000 / 3 = 4,000,000
])
def test_one_and_a_half_x_non_participating(exit_value, fund, founders):
    assert QPAYOUT(exit_value, "Fund", P_CT, None, None, None, P_TERMS) == fund
    assert QPAYOUT(exit_value, "Founders", P_CT, None, None, None, P_TERMS) == founders


def test_one_and_a_half_x_shows_in_the_waterfall_and_breakpoints():
    table = QWATERFALL(6_000_000, P_CT, "none", None, None, None, P_TERMS)
    assert table[1][:8] == ["P", 1_000_000, False, 0.0, 3_000_000.0, 0.0, 0.0, 3_000_000.0]
    points = [r[0] for r in QBREAKPOINTS(P_CT, None, None, None, P_TERMS)[1:]]
    assert 3_000_000 in points and 9_000_000 in points            # preference paid; P converts
    assert QELECTION(12_000_000, P_CT, None, None, None, P_TERMS)[1][1] is True
    assert QELECTION(8_000_000, P_CT, None, None, None, P_TERMS)[1][1] is False


# -- participating capped at 3x (NVCA 2.2 Alternative 3, "Maximum Participation Amount") --------

Q_TERMS = [["Class", "Authorized", "Issue Price", "Participation", "Cap"], ["Q", 1_000_000, 1.00, "capped", "3x"]]
Q_CT = [["Fund", "Q", 1_000_000], ["Founders", "Common", 1_000_000]]


@pytest.mark.parametrize("exit_value, conversions, fund", [
    # 1x preference $1,000,000, then the rest shared 1:1 with Common until Q holds 3 x $1.00
    (1_000_000, "none", 1_000_000),        # preference only
    (3_000_000, "none", 2_000_000),        # 1,000,000 + half of 2,000,000
    (5_000_000, "none", 3_000_000),        # 1,000,000 + half of 4,000,000 = the $3.00 cap
    (5_500_000, "none", 3_000_000),        # capped: Common takes the last 500,000
    (6_000_000, "optimal", 3_000_000),     # as converted 6,000,000 / 2 = 3,000,000: no better
    (7_000_000, "optimal", 3_500_000),     # converting (7,000,000 / 2) beats the cap
])
def test_participating_capped_at_three_x(exit_value, conversions, fund):
    assert QPAYOUT(exit_value, "Fund", Q_CT, conversions, None, None, Q_TERMS) == fund
    assert QPAYOUT(exit_value, "Founders", Q_CT, conversions, None, None, Q_TERMS) == exit_value - fund


# -- 8% cumulative dividends over three years (NVCA Section 1, Alternative 2) ---------------------

C_TERMS = [["Class", "Authorized", "Issue Price", "Cumulative Dividend", "Issue Date"],
           ["C8", 1_000_000, 2.50, "8%", "2021-01-01"]]
C_CT = [["Fund", "C8", 1_000_000], ["Founders", "Common", 1_000_000]]


def test_eight_percent_cumulative_over_three_years():
    # 8% of $2.50 = $0.20 per share per year; 2021-01-01 to 2024-01-01 is 365 x 3 = 1,095 days:
    # 0.20 x 1,095 / 365 = $0.60 per share: preference 2,500,000 + 600,000 = $3,100,000.
    table = QWATERFALL(4_000_000, C_CT, "none", None, None, None, C_TERMS, "2024-01-01")
    assert table[1][4] == 3_100_000.0 and table[2][7] == 900_000.0
    # declared but unpaid dividends (unpaid_dividends) add to the accrued: + $0.05 x 1,000,000
    table = QWATERFALL(4_000_000, C_CT, "none", None, [["C8", 0.05]], None, C_TERMS, "2024-01-01")
    assert table[1][4] == 3_150_000.0
    # converting pays X / 2; better than $3,100,000 only above $6,200,000
    assert QPAYOUT(6_000_000, "Fund", C_CT, None, None, None, C_TERMS, dt.date(2024, 1, 1)) == 3_100_000
    assert QPAYOUT(6_400_000, "Fund", C_CT, None, None, None, C_TERMS, dt.date(2024, 1, 1)) == 3_200_000


def test_cumulative_accrues_actual_days_over_365():
    # 2020-01-01 to 2023-01-01 is 1,096 days (2020 is a leap year): 0.20 x 1,096 / 365
    # = 0.6005479452... per share; x 1,000,000 = $600,547.95 (to the cent)
    table = QWATERFALL(10_000_000, C_CT, "none", None, None, None,
                       [C_TERMS[0], ["C8", 1_000_000, 2.50, "8%", "2020-01-01"]], "2023-01-01")
    assert table[1][4] == 3_100_547.95


def test_cumulative_dividend_is_preferential_in_a_declared_dividend():
    # $1,000,000 declared on 2024-01-01: C8 first its accrued $0.60 x 1,000,000 = 600,000;
    # Common the other 400,000 ($0.40 per share, below C8's $0.60: no "if greater" top-up)
    table = QDIVIDEND(1_000_000, C_CT, None, None, None, C_TERMS, "2024-01-01")
    assert [r[2] for r in table[1:3]] == [600_000.0, 400_000.0]
    # the clauses in force are Quintus's (a terms range adds series to it), and Quintus states no
    # accruing dividends: the rule's plain name, not an NVCA section the charter does not have
    assert table[1][4] == "accruing dividends" and table[2][4] == "IV.C.1"
    # a terms file that gives the clause prints it (the NVCA example: B.1)
    nvca = QDIVIDEND(1_000_000, [["A", 1_000_000], ["Common", 4_000_000]], None, None, None,
                     str(NVCA_FILE), "2023-03-01")
    # A accrues 8% x $2.50 = $0.20 x 365 / 365 from 2022-03-01: 200,000 first; Common the other
    # 800,000, $0.20 per share, not above A's $0.20 (no "if greater" top-up)
    assert nvca[1][2:] == [200_000.0, 0.2, "B.1 Accruing Dividends"] and nvca[2][2:] == [800_000.0, 0.2, "dividends on Common"]


@pytest.mark.parametrize("call, message", [
    (lambda: QWATERFALL(4e6, C_CT, None, None, None, None, C_TERMS),
     "QWATERFALL: as_of: Series C8 has a cumulative dividend ($0.2 per share per year), which accrues to the "
     "exit date: give as_of"),
    (lambda: QDIVIDEND(1e6, C_CT, None, None, None, C_TERMS), "QDIVIDEND: as_of: Series C8 has a cumulative"),
    (lambda: QPAYOUT(4e6, "Fund", C_CT, None, None, None, C_TERMS, "2020-06-30"),
     "as_of 2020-06-30 is before the Issue Date of Series C8 (2021-01-01)"),
    (lambda: QWATERFALL(4e6, C_CT, None, None, None, None, [C_TERMS[0], ["C8", 1, 2.5, "8%", None]], "2024-01-01"),
     "terms row 2: Cumulative Dividend is given but Issue Date is blank"),
])
def test_cumulative_needs_an_exit_date(call, message):
    with pytest.raises(QuintusExcelError) as info:
        call()
    assert message in str(info.value)


# -- the same down round under each anti-dilution formula (NVCA 4.4.4; Quintus 3(d)(i)(A)) ------

AD_TERMS = [["Class", "Authorized", "Issue Price", "Anti-dilution"],
            ["BB", 1_000_000, 1.00, "broad-based"], ["NB", 1_000_000, 1.00, "narrow-based"],
            ["FR", 1_000_000, 1.00, "full ratchet"], ["NO", 1_000_000, 1.00, "none"]]
AD_CT = [["BB", 1_000_000], ["NB", 1_000_000], ["FR", 1_000_000], ["NO", 1_000_000], ["Common", 2_000_000]]
DOWN_ROUND = [["Date", "Event", "Shares", "Consideration", "Ref"], ["2024-01-01", "Issue", 1_000_000, 500_000, ""]]


@pytest.mark.parametrize("series, cp", [
    # 1,000,000 Common issued at $0.50 against a $1.00 Conversion Price:
    # broad: A = 2,000,000 Common + 4,000,000 as-converted preferred = 6,000,000;
    #        1.00 x (6,000,000 + 500,000) / (6,000,000 + 1,000,000) = 6.5 / 7 = 0.928571...
    ("BB", 6.5 / 7),
    # narrow: A = 2,000,000 Common only: 1.00 x (2,000,000 + 500,000) / 3,000,000 = 0.8333...
    ("NB", 2.5 / 3),
    # full ratchet: the issue price, $0.50
    ("FR", 0.5),
    # none: unchanged
    ("NO", 1.0),
])
def test_one_issuance_under_each_formula(series, cp):
    assert QCONVPRICE(series, DOWN_ROUND, AD_CT, None, AD_TERMS) == pytest.approx(cp, rel=1e-15)


def test_the_adjusted_prices_feed_the_waterfall_and_the_ipo():
    # FR at $0.50 converts into 2,000,000 Common; NB into 1,000,000 / (2.5/3) = 1,200,000
    table = QIPO(20.0, 100_000_000, AD_CT, DOWN_ROUND, None, None, None, AD_TERMS)
    issued = {r[1]: r[3] for r in table[1:5]}
    assert issued == {"BB": 1_076_923, "NB": 1_200_000, "FR": 2_000_000, "NO": 1_000_000}
    # all converted, the proceeds follow the as-converted shares: FR (2,000,000) takes twice
    # NO (1,000,000), NB 1.2 times NO (the cap table is the position before the events)
    wf = QWATERFALL(10_000_000, AD_CT, "all", DOWN_ROUND, None, None, AD_TERMS)
    total = {r[0]: r[7] for r in wf[1:6]}
    assert abs(total["FR"] - 2 * total["NO"]) <= 0.01 and abs(total["NB"] - 1.2 * total["NO"]) <= 0.01
    assert sum(total.values()) == 10_000_000.0


def test_a_custom_anti_dilution_word_is_refused():
    with pytest.raises(QuintusExcelError, match='terms row 2: Anti-dilution "half ratchet" must be one of '
                                                'broad-based, narrow-based, full ratchet, none'):
        QCONVPRICE("BB", DOWN_ROUND, AD_CT, None, [AD_TERMS[0], ["BB", 1, 1.0, "half ratchet"]])
