"""QOPM, QBACKSOLVE and QPWERM on cap tables with options and warrants: each tranche is one
more payee of the payout functions, net of its exercise price."""

import math
from fractions import Fraction

import numpy as np
import pytest

from xl_quintus.excel import QBACKSOLVE, QOPM, QPWERM
from xl_quintus.excel.functions import _model
from xl_quintus.exit.valuation import Market, opm, outcome_cents, payoff
from test_valuation import bs_call  # the textbook reference, written once

# Mercer Capital's ComplexCo in full (Harms, "A Layperson's Guide to the Option Pricing
# Model", May 2016, Exhibit 3): the two preferred classes as a terms range, and the warrants
# for 250 Common at $10.00 as an Exercise Price row.
TERMS = [["Class", "Authorized", "Issue Price", "Seniority", "Participation"],
         ["A", 500, 2, 1, "none"], ["B", 300, 5, 1, "none"]]
CT = [["Holder", "Class", "Shares", "Exercise Price"], ["Founders", "Common", 1500, None],
      ["Fund A", "A", 500, None], ["Fund B", "B", 300, None], ["Lender", "Common", 250, 10]]




@pytest.fixture(scope="module")
def complexco():
    return _model(CT, None, None, None, TERMS)


def test_complexco_exhibit_9_in_full(complexco):
    """Exhibit 9, all five tranches. The warrants are exercised when Common's payout per share
    after exercise, (x + 2,500) / 2,550, exceeds $10.00: above x = 23,000 (= 2,300 x 10.00, as
    the exhibit's breakpoint); from there A, B, Common and the warrants share each next dollar
    500 : 300 : 1,500 : 250 of 2,550 = 19.6% : 11.8% : 58.8% : 9.8%."""
    pay = payoff(complexco)
    assert pay.payees == ("A", "B", "Common", "Common @ 10.00", "Unallocated")
    assert pay.starts == (0, 2500, 5500, 11500, 23000)
    assert [row[:4] for row in pay.slope] == [
        (Fraction(2, 5), Fraction(3, 5), 0, 0),
        (0, 0, 1, 0),
        (Fraction(1, 4), 0, Fraction(3, 4), 0),
        (Fraction(5, 23), Fraction(3, 23), Fraction(15, 23), 0),
        (Fraction(500, 2550), Fraction(300, 2550), Fraction(1500, 2550), Fraction(250, 2550)),
    ]
    assert [round(float(s) * 100, 1) for s in pay.slope[4][:4]] == [19.6, 11.8, 58.8, 9.8]
    assert pay.jumps() == []          # exercise and conversion at indifference: continuous


def test_complexco_values_by_the_tranche_method(complexco):
    """Value = sum over tranches of marginal share x (C(lower) - C(upper)), C(0) = S0; the
    warrants hold 250 / 2,550 of the call struck at $23,000. Equity 10,000, 50%, 3 years, 2%."""
    s0, sigma, t, r = 10_000.0, 0.5, 3.0, 0.02
    calls = [bs_call(s0, k, r, sigma, t) for k in (0, 2500, 5500, 11500, 23000)] + [0.0]
    marginal = {"A": [0.4, 0, 0.25, 5 / 23, 500 / 2550], "B": [0.6, 0, 0, 3 / 23, 300 / 2550],
                "Common": [0, 1, 0.75, 15 / 23, 1500 / 2550], "Common @ 10.00": [0, 0, 0, 0, 250 / 2550]}
    expected = {c: sum(m * (calls[i] - calls[i + 1]) for i, m in enumerate(ms)) for c, ms in marginal.items()}
    v = opm(complexco, s0, Market(sigma, t, r))
    got = dict(zip(v.payees, v.values))
    for c, value in expected.items():
        assert got[c] == pytest.approx(value, abs=1e-8)
    table = QOPM(10000, CT, 0.5, 3, 0.02, None, None, None, TERMS)
    assert table[4][:3] == ["Common @ 10.00", 250, round(expected["Common @ 10.00"], 2)]
    assert table[-1][:3] == ["Total", 2550, 10000.0]
    assert sum(round(r[2] * 100) for r in table[1:-1]) == 1_000_000


def test_payoff_is_the_exact_engine_with_instruments(complexco):
    """The payout functions equal QWATERFALL's Net rows (exact, before cents) off the points."""
    pay = payoff(complexco)
    for x in [Fraction(v) for v in (1, 2499, 2501, 5000, 6000, 11000, 12000, 22999, 23001, 30000, 10**6)]:
        dist, _ = complexco.distribution(x)
        assert pay.at(x)[:-1] == [r.net for r in dist.rows], x


def test_monte_carlo_with_instruments(complexco):
    """Fixed-seed draws of S_T paid by the exact engine (QPAYOUT's Net cents, value by value):
    the closed form is within 3 standard errors for every row."""
    s0, sigma, t, r = 10_000.0, 0.5, 3.0, 0.02
    rng = np.random.default_rng(15)
    draws = s0 * np.exp((r - sigma * sigma / 2) * t + sigma * math.sqrt(t) * rng.standard_normal(3000))
    closed = dict(zip(payoff(complexco).payees, opm(complexco, s0, Market(sigma, t, r)).values))
    paid = [outcome_cents(complexco, round(float(x), 2)) for x in draws]
    for label in ("A", "B", "Common", "Common @ 10.00"):
        cents = np.array([p.get(label, 0) for p in paid], dtype=float) / 100 * math.exp(-r * t)
        se = cents.std(ddof=1) / math.sqrt(len(cents))
        assert abs(cents.mean() - closed[label]) < 3 * se, label


def test_pwerm_and_backsolve_with_instruments():
    """At $30,000 the warrants are exercised: 32,500 over 2,550 shares = 12.745098 a share;
    the warrants net 250 x 12.745098 - 2,500 = 686.27 (QWATERFALL's Net)."""
    table = QPWERM([[30000, 1, 0, 0.1]], CT, None, None, None, TERMS)
    assert table[4] == ["Common @ 10.00", 250, 686.27, pytest.approx(686.2745 / 250, abs=1e-4)]
    assert table[-1] == ["Total", 2550, 30000.0, ""]
    equity = QBACKSOLVE("Common", 3, CT, 0.5, 3, 0.02, None, None, None, TERMS)
    common = lambda e: QOPM(e, CT, 0.5, 3, 0.02, None, None, None, TERMS)[3][3]  # noqa: E731
    assert common(equity) >= 3 > common(equity - 0.01)
