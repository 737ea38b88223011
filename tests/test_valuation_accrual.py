"""QOPM, QPWERM and QBACKSOLVE on a charter with a cumulative dividend: ``as_of`` is the
valuation date; the waterfall at the liquidity event ``years`` later accrues the Accruing
Dividends to that exit date, as_of + years x 365 days (the accrual to as_of + rate x years).

The NVCA example (xl_quintus/charter/data/nvca_seed_ab.toml): Series A, Original Issue Price
$2.50, 1x, non-participating, cumulative $0.20 per share per year (8%) from 2022-03-01.
Valuation date 2023-03-01: 365 days accrued, $0.20 per share.
"""

import datetime
import math

import pytest

from xl_quintus import excel

NVCA = "xl_quintus/charter/data/nvca_seed_ab.toml"
CT = [["A", 1000], ["Common", 1000]]
VALUED = datetime.datetime(2023, 3, 1)


def values(table):
    return {row[0]: row[2] for row in table[1:]}


def test_pwerm_accrues_to_each_scenarios_exit_date():
    # Years 5: A's 2(a) amount = $2.50 + $0.20 (to 2023-03-01) + $0.20 x 5 = $3.70 per share;
    # 1,000 shares: $3,700.00 of the $5,000 (A does not convert: "none"); Common $1,300.00.
    # (Before the fix: $2,700.00, the accrual stopping at the valuation date.)
    out = excel.QPWERM([[5000, 1, 5, 0]], CT, "none", None, None, NVCA, VALUED)
    assert values(out) == {"A": 3700.00, "Common": 1300.00, "Total": 5000.00}
    # Discounted at 25% for 5 years: 1.25^5 = 3125/1024; A 3,700 x 1024/3125 = 1,212.416 -> 1,212.42,
    # Common 1,300 x 1024/3125 = 425.984 -> 425.98; Total 5,000 x 1024/3125 = 1,638.40.
    out = excel.QPWERM([[5000, 1, 5, 0.25]], CT, "none", None, None, NVCA, VALUED)
    assert values(out) == {"A": 1212.42, "Common": 425.98, "Total": 1638.40}
    # Each scenario its own exit: Years 0 gives $2.70 x 1,000 = 2,700; Years 5 gives 3,700;
    # half each: A = 0.5 x 2,700 + 0.5 x 3,700 = 3,200.00, Common 5,000 - 3,200 = 1,800.00.
    out = excel.QPWERM([[5000, 0.5, 0, 0], [5000, 0.5, 5, 0]], CT, "none", None, None, NVCA, VALUED)
    assert values(out) == {"A": 3200.00, "Common": 1800.00, "Total": 5000.00}
    # Years 1.3, read as typed (13/10): $2.50 + $0.20 + $0.20 x 1.3 = $2.96 -> A 2,960.00 exactly
    out = excel.QPWERM([[5000, 1, 1.3, 0]], CT, "none", None, None, NVCA, VALUED)
    assert values(out) == {"A": 2960.00, "Common": 2040.00, "Total": 5000.00}


def test_the_exit_date_is_as_of_plus_years_of_365_days():
    # 2023-03-01 + 5 x 365 = 1,825 days is 2028-02-28 (2024-02-29 lies between); from the Issue
    # Date 2022-03-01 that is 2,190 = 6 x 365 days: accrued $1.20, A 1,000 x $3.70 = 3,700.00,
    # QPWERM's figure. QWATERFALL on the calendar date 2028-03-01 counts 2,192 days (2024-02-29
    # and 2028-02-29): $0.20 x 2,192 / 365 = $1.2011 -> 3,701.10.
    pwerm = values(excel.QPWERM([[5000, 1, 5, 0]], CT, "none", None, None, NVCA, VALUED))
    at_exit = excel.QWATERFALL(5000, CT, "none", None, None, None, NVCA, "2028-02-28")
    assert at_exit[1][0] == "A" and at_exit[1][7] == pwerm["A"] == 3700.00
    assert excel.QWATERFALL(5000, CT, "none", None, None, None, NVCA, "2028-03-01")[1][7] == 3701.10


def test_opm_with_no_volatility_is_the_discounted_waterfall_at_the_forward_with_accrual_to_the_exit():
    # volatility 0, 2 years, 4%: S_T = 5,000 e^0.08 = 5,416.44 for sure. A's 2(a) amount there:
    # $2.50 + $0.20 + $0.20 x 2 = $3.10 per share, 3,100.00; worth 3,100 e^-0.08 = 2,861.6607 today
    # -> 2,861.66; Common 5,000 - 2,861.66 = 2,138.34. (Before the fix: 2,700 e^-0.08 = 2,492.41.)
    out = excel.QOPM(5000, CT, 0, 2, 0.04, "none", None, None, NVCA, VALUED)
    assert values(out) == {"A": 2861.66, "Common": 2138.34, "Total": 5000.00}
    # the same as QWATERFALL at the forward with as_of = 2023-03-01 + 730 days = 2025-02-28
    # (1,095 = 3 x 365 days from the Issue Date: $0.60 accrued), discounted
    forward = 5000 * math.exp(0.08)
    waterfall = excel.QWATERFALL(forward, CT, "none", None, None, None, NVCA, "2025-02-28")
    assert waterfall[1][7] == 3100.00
    assert out[1][3] == pytest.approx(waterfall[1][7] / 1000 * math.exp(-0.08), abs=1e-9)
    # a whisker of volatility moves nothing by a cent
    assert values(excel.QOPM(5000, CT, 1e-6, 2, 0.04, "none", None, None, NVCA, VALUED)) == values(out)
    # years 0: the exit is the valuation date, accrual to it alone ($2.70 x 1,000)
    assert values(excel.QOPM(5000, CT, 0, 0, 0.04, "none", None, None, NVCA, VALUED))["A"] == 2700.00


def test_backsolve_accrues_to_the_exit():
    # volatility 0: Common's value = S0 - 3,100 e^-0.08 = S0 - 2,861.6607. At $2.00 a share
    # (2,000.00): S0 = 4,861.6607, the least whole cent reaching it 4,861.67.
    # (Before the fix: 2,000 + 2,700 e^-0.08 = 4,492.42.)
    assert excel.QBACKSOLVE("Common", 2, CT, 0, 2, 0.04, "none", None, None, NVCA, VALUED) == 4861.67
