"""Valuation: the option pricing method (QOPM), backsolve, PWERM and DLOM.

The OPM is checked against a published worked example (breakpoints and marginal allocations),
against the textbook tranche method, Black-Scholes and put-call parity, against the exact
engine (payout functions, the zero-volatility limit) and against a Monte Carlo run.
"""

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import model
from xl_quintus.charter.terms import load_charter, quintus
from xl_quintus.errors import CharterError
from xl_quintus.excel import QBACKSOLVE, QDLOM, QOPM, QPWERM, QuintusExcelError
from xl_quintus.exit.model import Who
from xl_quintus.exit.valuation import (Market, Payoff, Scenario, backsolve, dlom, opm, payoff, present_values,
                                       pwerm)

HERE = Path(__file__).parent
COMPLEXCO = str(HERE / "data" / "complexco.toml")
COMPLEXCO_CT = [["Class", "Shares"], ["A", 500], ["B", 300], ["Common", 1500]]
QUINTUS_CT = [["Class", "Shares"]] + [[s.name, s.authorized] for s in quintus().series] + [["Common", 12_000_000]]


def bs_call(s0, k, r, sigma, t):
    """Textbook Black-Scholes call, written out independently of the module under test."""
    if k == 0:
        return s0
    def n(x):
        return 0.5 * (1 + math.erf(x / math.sqrt(2)))

    d1 = (math.log(s0 / k) + (r + sigma * sigma / 2) * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    return s0 * n(d1) - k * math.exp(-r * t) * n(d2)


@pytest.fixture(scope="module")
def complexco():
    return model([("A", 500), ("B", 300), ("Common", 1500)], "optimal", charter=load_charter(COMPLEXCO))


@pytest.fixture(scope="module")
def sample():
    return _sample_model()


# -- a published worked example ---------------------------------------------------------------

def test_complexco_breakpoints_and_marginal_allocations(complexco):
    """Mercer Capital, T. W. Harms, "A Layperson's Guide to the Option Pricing Model" (May 2016),
    ComplexCo, Exhibit 3 (capital structure) and Exhibit 9 (marginal tranche allocation
    matrix), without the warrants (tranche E):

        Class A Preferred $1,000 preference, converts at $2.00, 500 shares
        Class B Preferred $1,500 preference, converts at $5.00, 300 shares, pari passu with A
        Common 1,500 shares

        tranche     lower    upper    Class A   Class B   Common
        A              $0   $2,500     40.0%     60.0%     0.0%    prefs 1,000 : 1,500
        B          $2,500   $5,500      0.0%      0.0%   100.0%    Common to $2.00 a share: 1,500 x 2 = 3,000
        C          $5,500  $11,500     25.0%      0.0%    75.0%    A converts: 500 / 2,000; to $5.00: 2,000 x 3 = 6,000
        D         $11,500  (the warrants' $23,000)  21.7%  13.0%  65.2%   B converts: 500, 300, 1,500 of 2,300
    """
    pay = payoff(complexco)
    assert pay.starts == (0, 2500, 5500, 11500)
    assert pay.payees == ("A", "B", "Common", "Unallocated")
    assert [row[:3] for row in pay.slope] == [
        (Fraction(2, 5), Fraction(3, 5), 0),
        (0, 0, 1),
        (Fraction(1, 4), 0, Fraction(3, 4)),
        (Fraction(500, 2300), Fraction(300, 2300), Fraction(1500, 2300)),
    ]
    # published percentages, to the one decimal the exhibit shows
    assert [round(float(s) * 100, 1) for s in pay.slope[3][:3]] == [21.7, 13.0, 65.2]
    assert pay.jumps() == []          # converting at indifference: no payout jumps


def test_complexco_values_equal_the_tranche_method(complexco):
    """The AICPA breakpoint (tranche) method: value of a class = sum over tranches of its marginal
    share x (C(lower) - C(upper)), C a Black-Scholes call on the equity value, C(0) = S_0.
    Equity 10,000, volatility 50%, 3 years, 2% (illustrative inputs)."""
    s0, sigma, t, r = 10_000.0, 0.5, 3.0, 0.02
    bounds = [0, 2500, 5500, 11500]
    calls = [bs_call(s0, k, r, sigma, t) for k in bounds] + [0.0]
    marginal = {"A": [0.4, 0, 0.25, 500 / 2300], "B": [0.6, 0, 0, 300 / 2300], "Common": [0, 1, 0.75, 1500 / 2300]}
    expected = {c: sum(m * (calls[i] - calls[i + 1]) for i, m in enumerate(ms)) for c, ms in marginal.items()}
    v = opm(complexco, s0, Market(sigma, t, r))
    got = dict(zip(v.payees, v.values))
    for c in marginal:
        assert got[c] == pytest.approx(expected[c], abs=1e-8)
    assert sum(v.cents) == 1_000_000
    # and the Excel table: A $2,205.75, B $1,769.16, Common $6,025.09 (as the sums above, to the cent)
    table = QOPM(10000, COMPLEXCO_CT, 0.5, 3, 0.02, None, None, None, [[COMPLEXCO]])
    assert table[0] == ["Class", "Shares", "Value", "Per Share", "Share of Equity"]
    assert [r[:3] for r in table[1:]] == [["A", 500, 2205.75], ["B", 300, 1769.16], ["Common", 1500, 6025.09],
                                          ["Total", 2300, 10000.0]]
    for c, value in zip(("A", "B", "Common"), (2205.75, 1769.16, 6025.09)):
        assert abs(expected[c] - value) <= 0.005 + 1e-9


# -- Black-Scholes, put-call parity --------------------------------------------------------------

def _call_and_put(k):
    """A call and a put struck at k as payoff functions."""
    k = Fraction(k)
    call = Payoff(("call",), (Fraction(0), k), ((0,), (0,)), ((0,), (1,)))
    put = Payoff(("put",), (Fraction(0), k), ((k,), (0,)), ((-1,), (0,)))
    return call, put


def test_black_scholes_textbook_example():
    """Hull, Options, Futures, and Other Derivatives, the Black-Scholes-Merton worked example:
    S0 = 42, K = 40, r = 10%, sigma = 20%, T = 0.5 gives c = 4.76 and p = 0.81."""
    call, put = _call_and_put(40)
    m = Market(0.2, 0.5, 0.1)
    assert round(float(present_values(call, m, [42.0])[0, 0]), 2) == 4.76
    assert round(float(present_values(put, m, [42.0])[0, 0]), 2) == 0.81
    assert m.call(42.0, 40.0) == pytest.approx(bs_call(42, 40, 0.1, 0.2, 0.5), rel=1e-12)


@pytest.mark.parametrize("k, s0, sigma, t, r", [(40, 42, 0.2, 0.5, 0.1), (1e6, 3e5, 0.9, 4, 0.05),
                                                (5e7, 2.5e8, 0.6, 3, 0.04), (100, 100, 0.01, 0.1, -0.01)])
def test_put_call_parity(k, s0, sigma, t, r):
    """C - P = S0 - K e^{-rT}."""
    call, put = _call_and_put(k)
    m = Market(sigma, t, r)
    c, p = present_values(call, m, [s0])[0, 0], present_values(put, m, [s0])[0, 0]
    assert c - p == pytest.approx(s0 - k * math.exp(-r * t), abs=1e-9 * max(s0, k))


# -- the sample cap table: exact payouts, values add up, limits, Monte Carlo --------------------

def test_payoff_is_the_exact_engine(sample):
    """The payout functions the OPM integrates are the exact engine's, value for value: at a
    spread of exit values (inside pieces, next to each election change), Payoff.at equals the
    Section 2 totals under the election the 3(a) search makes there."""
    pay = payoff(sample)
    xs = {Fraction(x) for x in (1, 12_375_000, 31_114_020, 150_000_000, 10**10)}
    for a, b in zip(pay.starts, pay.starts[1:]):
        xs |= {a + Fraction(1, 100), (a + b) / 2, b - Fraction(1, 100)}
    for x in sorted(xs):
        x = Fraction(math.floor(x * 100), 100)             # whole cents: the engine's proceeds
        if x in pay.starts:
            continue
        dist, _ = sample.distribution(x)
        assert pay.at(x)[:-1] == [c.total for c in dist.classes], x


def test_values_add_up_and_rows(sample):
    table = QOPM(250_000_000, QUINTUS_CT, 0.6, 3, 0.04)
    rows = table[1:-1]
    assert [r[0] for r in rows] == ["A", "B", "C", "D", "E", "F", "G-1", "G-2", "G-3", "G-4", "G-5", "G-6", "Common"]
    cents = [round(r[2] * 100) for r in rows]
    assert sum(cents) == 25_000_000_000 and table[-1][2] == 250_000_000.0
    assert table[-1][:2] == ["Total", 34_614_700]
    assert sum(r[4] for r in rows) == pytest.approx(1.0)
    for r in rows:
        assert r[3] == pytest.approx(r[2] / r[1], abs=0.01 / r[1])


@given(st.integers(min_value=1, max_value=2_000_000_000_00), st.floats(0.05, 1.5), st.floats(0.1, 8),
       st.floats(-0.01, 0.08))
def test_values_always_add_up_to_the_cent(equity_cents, sigma, t, r):
    m = _sample_model()
    v = opm(m, Fraction(equity_cents, 100), Market(sigma, t, r))
    assert sum(v.cents) == equity_cents and min(v.cents) >= 0
    # each within a cent of its unrounded value
    assert all(abs(c - val * 100) < 1 + 1e-6 * equity_cents for c, val in zip(v.cents, v.values))


_SAMPLE = []


def _sample_model():
    if not _SAMPLE:
        from xl_quintus.cli import sample_cap_table
        from xl_quintus.exit.model import model_for
        _SAMPLE.append(model_for(sample_cap_table(quintus())))
    return _SAMPLE[0]


@pytest.mark.parametrize("equity", [20_000_000, 100_000_000, 250_000_000, 500_000_000, 1_500_000_000])
def test_zero_volatility_is_the_discounted_waterfall_at_the_forward(sample, equity):
    """sigma -> 0: S_T is the forward S0 e^{rT} for sure, and each class is worth its exact
    Section 2 payout there, discounted: e^{-rT} f(S0 e^{rT})."""
    r, t = 0.04, 2.0
    forward = Fraction(equity) * Fraction(math.exp(r * t))
    dist, _ = sample.distribution(forward)       # the exact engine at the forward (to the cent)
    for sigma in (0.0, 1e-7):
        v = opm(sample, equity, Market(sigma, t, r))
        for c, value in zip(dist.classes, v.values):
            assert value == pytest.approx(float(c.total) * math.exp(-r * t), abs=0.02), (sigma, c.cls)


def test_monte_carlo_within_three_standard_errors(sample):
    """Draw S_T = S0 exp((r - sigma^2/2) T + sigma sqrt(T) Z) with a fixed seed, pay each draw
    by the exact engine's cents (QPAYOUT's sweep, equal to the exact engine value for value),
    discount, average: the closed form lies within 3 standard errors for every class."""
    s0, sigma, t, r = 250_000_000, 0.6, 3.0, 0.04
    rng = np.random.default_rng(20261128)
    z = rng.standard_normal(40_000)
    st_ = s0 * np.exp((r - sigma * sigma / 2) * t + sigma * math.sqrt(t) * z)
    closed = dict(zip(payoff(sample).payees, opm(sample, s0, Market(sigma, t, r)).values))
    for cls in ("A", "E", "F", "G-6", "Common"):
        paid = np.array(sample.sweep_cents(st_.tolist(), Who(sample.cap_table, cls)), dtype=float) / 100
        disc = paid * math.exp(-r * t)
        mean, se = disc.mean(), disc.std(ddof=1) / math.sqrt(len(disc))
        assert abs(mean - closed[cls]) < 3 * se, (cls, mean, closed[cls], se)


# -- backsolve --------------------------------------------------------------------------------

@pytest.mark.parametrize("cls, price", [("F", 8.25), ("G-6", 11.0), ("Common", 1.0)])
def test_backsolve_round_trip(cls, price):
    """QBACKSOLVE gives the least whole-cent equity value at which QOPM values the class at
    the price: at it, the value per share is at least the price; a cent less, below."""
    equity = QBACKSOLVE(cls, price, QUINTUS_CT, 0.6, 3, 0.04)

    def row(e):
        return next(r for r in QOPM(e, QUINTUS_CT, 0.6, 3, 0.04) if r[0] == cls)

    assert row(equity)[3] >= price
    assert row(round(equity - 0.01, 2))[3] < price
    assert equity == round(equity, 2)


def test_backsolve_complexco_by_hand(complexco):
    """ComplexCo, Common at $3.00 with volatility 50%, 3 years, 2%: check by the tranche method
    that the answer prices Common at $3.00 to within a cent of equity."""
    equity = QBACKSOLVE("Common", 3.0, COMPLEXCO_CT, 0.5, 3, 0.02, None, None, None, [[COMPLEXCO]])

    def common(s0):          # Common's marginal shares: 0, 1, 3/4, 1500/2300 (Exhibit 9)
        c1, c2, c3 = (bs_call(s0, k, 0.02, 0.5, 3) for k in (2500, 5500, 11500))
        return ((c1 - c2) + 0.75 * (c2 - c3) + 1500 / 2300 * c3) / 1500

    assert common(equity) >= 3.0 > common(equity - 0.01)


def test_backsolve_price_out_of_reach():
    """Under conversions "none" ComplexCo's A is paid at most its $1,000 preference ($2.00 a share)."""
    with pytest.raises(QuintusExcelError, match=r"QBACKSOLVE: price_per_share: no equity value gives A \$2.5000 per "
                                                r"share: its payout is never more than \$2.0000 per share"):
        QBACKSOLVE("A", 2.5, COMPLEXCO_CT, 0.5, 3, 0.02, "none", None, None, [[COMPLEXCO]])
    with pytest.raises(QuintusExcelError, match="QBACKSOLVE: class: \"G-6\" has no shares in the cap table"):
        QBACKSOLVE("G-6", 2.5, [["A", 100], ["Common", 100]], 0.5, 3, 0.02)


def test_backsolve_names_every_crossing_when_a_payout_falls(sample):
    """A payout that jumps down (another group converts, 3(a)) can reach a price more than once.
    With almost no volatility the value follows the payout: ask for a price just under G-1's
    payout before its first drop, and every equity value that gives it is named."""
    pay = payoff(sample)
    j = pay.payees.index("G-1")
    x, change = next((x, c) for x, c in pay.jumps() if c[j] < 0)
    before = pay.at(x - Fraction(1, 100))[j]                 # just below the drop
    shares = sample.cap_table.shares("G-1")
    price = float(before + change[j] / 4) / shares           # the drop goes below it, the rise comes back
    with pytest.raises(CharterError, match="more than one equity value gives G-1"):
        backsolve(sample, "G-1", shares, price, Market(1e-6, 0.25, 0.0))


# -- PWERM ------------------------------------------------------------------------------------

def test_pwerm_by_hand():
    """ComplexCo, three scenarios at 25% a year:
        $2,000,  p 0.25, 1 year:  A 800, B 1,200 (prefs ratably 2:3); weight 0.25 / 1.25 = 0.2
        $8,000,  p 0.50, 2 years: A converts (8,000 > 5,500), B not: B 1,500, then 6,500 over
                 2,000 shares = 3.25: A 1,625, Common 4,875;      weight 0.5 / 1.5625 = 0.32
        $20,000, p 0.25, 3 years: all convert, 20,000 / 2,300 a share: A 4,347.83,
                 B 2,608.69, Common 13,043.48 (cents by largest remainder); weight 0.25 / 1.953125 = 0.128
        A      = 0.2 x 800   + 0.32 x 1,625 + 0.128 x 4,347.83  = 160 + 520 + 556.52224 = 1,236.52224
        B      = 0.2 x 1,200 + 0.32 x 1,500 + 0.128 x 2,608.69  = 240 + 480 + 333.91232 = 1,053.91232
        Common =               0.32 x 4,875 + 0.128 x 13,043.48 =      1,560 + 1,669.56544 = 3,229.56544
        Total  = 0.2 x 2,000 + 0.32 x 8,000 + 0.128 x 20,000 = 400 + 2,560 + 2,560 = 5,520.00
    Cents: floors 123,652 + 105,391 + 322,956 = 551,999, one short: Common has the largest remainder."""
    scenarios = [["Exit Value", "Probability", "Years", "Discount Rate"],
                 [2000, 0.25, 1, 0.25], [8000, 0.5, 2, 0.25], [20000, 0.25, 3, 0.25]]
    table = QPWERM(scenarios, COMPLEXCO_CT, None, None, None, [[COMPLEXCO]])
    assert table == [["Class", "Shares", "Value", "Per Share"],
                     ["A", 500, 1236.52, pytest.approx(1236.52224 / 500)],
                     ["B", 300, 1053.91, pytest.approx(1053.91232 / 300)],
                     ["Common", 1500, 3229.57, pytest.approx(3229.56544 / 1500)],
                     ["Total", 2300, 5520.0, ""]]


def test_pwerm_probabilities_exactly_as_typed():
    # 0.1 + 0.2 + 0.7 is 1 as decimals (not in binary floats): accepted
    ok = QPWERM([[1000, 0.1, 1, 0.2], [2000, 0.2, 1, 0.2], [3000, 0.7, 1, 0.2]], COMPLEXCO_CT,
                None, None, None, [[COMPLEXCO]])
    assert ok[-1][2] == round((0.1 * 1000 + 0.2 * 2000 + 0.7 * 3000) / 1.2, 2)
    with pytest.raises(QuintusExcelError, match="QPWERM: scenarios: probabilities add up to 0.99, not 1"):
        QPWERM([[1000, 0.33, 1, 0.2], [2000, 0.33, 1, 0.2], [3000, 0.33, 1, 0.2]], COMPLEXCO_CT,
               None, None, None, [[COMPLEXCO]])
    with pytest.raises(QuintusExcelError, match=r"QPWERM: scenarios row 2 Probability: 1.5 must be between 0 and 1"):
        QPWERM([[1000, 0.5, 1, 0.2], [2000, 1.5, 1, 0.2]], COMPLEXCO_CT, None, None, None, [[COMPLEXCO]])


def test_pwerm_fractional_years_discounted_in_floats(complexco):
    one = pwerm(complexco, [Scenario(Fraction(10_000), Fraction(1), Fraction(3, 2), Fraction(1, 10))])
    assert sum(one.cents) == round(10_000 * 100 / 1.1 ** 1.5)


# -- DLOM -------------------------------------------------------------------------------------

def test_dlom_finnerty_by_hand():
    """sigma = 30%, T = 1: s = 0.09; e^s = 1.0941743; 2 (e^s - s - 1) = 0.0083486;
    ln = -4.78557; ln(e^s - 1) = ln(0.0941743) = -2.362577;
    v^2 T = 0.09 - 4.78557 + 4.725154 = 0.029584; v = 0.172000; N(0.086) - N(-0.086) = 0.06853."""
    assert QDLOM(0.3, 1) == pytest.approx(0.0685, abs=5e-5)
    assert QDLOM(0.3, 1, "finnerty") == QDLOM(0.3, 1)


def test_dlom_finnerty_never_above_32_28_percent():
    """Finnerty (2012): as sigma^2 T grows, v^2 T -> ln 2, so the discount tends to
    N(sqrt(ln 2) / 2) - N(-sqrt(ln 2) / 2) = 32.28%, the published ceiling of the model."""
    assert dlom(10, 10) == pytest.approx(0.3228, abs=5e-5)
    values = [dlom(s, 2) for s in (0.1, 0.3, 0.6, 1.0, 2.0, 4.0)]
    assert values == sorted(values) and values[-1] < 0.3228


def test_dlom_chaffe_is_the_black_scholes_put():
    """Chaffe (1993): an at-the-money European put over the share price."""
    for sigma, t, r in ((0.6, 2, 0.04), (0.3, 1, 0.0), (1.0, 4, 0.02)):
        put = bs_call(1.0, 1.0, r, sigma, t) - 1.0 + math.exp(-r * t)       # parity
        assert QDLOM(sigma, t, "chaffe", r) == pytest.approx(put, abs=1e-12)
    # with r = 0: 2 N(sigma sqrt(T) / 2) - 1; sigma 60%, 2 years: 2 N(0.424264) - 1 = 0.328627
    assert QDLOM(0.6, 2, "chaffe") == pytest.approx(0.328627, abs=1e-6)


@pytest.mark.parametrize("sigma, t", [(0.3, 1.0), (0.4, 1.0)])
def test_dlom_ghaidarov_matches_a_simulated_average_strike_put(sigma, t):
    """Ghaidarov (2009): the put struck at the arithmetic average price over the holding period,
    E[(A_T - S_T)^+] / S_0 (r = q = 0), priced by matching two moments of A_T / S_T (lognormal).
    A fixed-seed simulation of that put (250 averaging dates) agrees within 3 standard errors
    (0.3, 1 year: 6.93% both; 0.4, 1 year: 9.25% against 9.21% +- 0.05%). At higher sigma^2 T the
    lognormal approximation drifts (0.6, 2 years: 19.93% against about 19.2%): a property of the
    published formula, which QDLOM reproduces as published."""
    steps, paths = 250, 40_000
    rng = np.random.default_rng(7)
    dt = t / steps
    logs = np.cumsum(-sigma * sigma / 2 * dt + sigma * math.sqrt(dt) * rng.standard_normal((paths, steps)), axis=1)
    s = np.exp(logs)
    put = np.maximum(s.mean(axis=1) - s[:, -1], 0.0)
    mean, se = put.mean(), put.std(ddof=1) / math.sqrt(paths)
    assert abs(QDLOM(sigma, t, "ghaidarov") - mean) < 3 * se


def test_dlom_ghaidarov_by_hand():
    """sigma = 60%, T = 2: s = 0.72; e^s = 2.0544332; 2 (e^s - s - 1) = 0.6688664; ln = -0.402163;
    - 2 ln(0.72) = 0.657008; v^2 T = 0.254845; v = 0.504822; N(0.252411) - N(-0.252411) = 0.19927."""
    assert QDLOM(0.6, 2, "ghaidarov") == pytest.approx(0.19927, abs=5e-5)


@pytest.mark.parametrize("call, message", [
    (lambda: QDLOM(60, 2), "QDLOM: volatility: 60 is 6,000% a year; give a decimal (0.6 for 60%)"),
    (lambda: QDLOM(0.6, 2, "longstaff"), 'QDLOM: method: "longstaff" must be one of finnerty, chaffe, ghaidarov'),
    (lambda: QDLOM(0.6, 2, "finnerty", 0.04), "QDLOM: risk_free_rate: finnerty's formula has no risk-free rate"),
    (lambda: QDLOM(0.6, -1), "QDLOM: years: -1 must be between 0 and 100 years"),
    (lambda: QOPM(1e8, QUINTUS_CT, "sixty", 3, 0.04), 'QOPM: volatility: "sixty" is text, not a volatility'),
    (lambda: QOPM(-5, QUINTUS_CT, 0.6, 3, 0.04), "QOPM: equity_value: -5 cannot be negative"),
    (lambda: QOPM(1e8, QUINTUS_CT, 0.6, 3, 4), "QOPM: risk_free_rate: 4 must be a decimal between -1 and 1"),
    (lambda: QBACKSOLVE("F", 0, QUINTUS_CT, 0.6, 3, 0.04), "QBACKSOLVE: price_per_share: a price per share must be above 0"),
    (lambda: QPWERM([["Exit Value", "Probability"]], QUINTUS_CT), "QPWERM: scenarios: has no scenarios"),
])
def test_bad_input_is_one_clear_line(call, message):
    with pytest.raises(QuintusExcelError) as e:
        call()
    assert str(e.value).startswith(message), str(e.value)
    assert "\n" not in str(e.value)


def test_as_of_runs_the_ledger_to_the_date():
    """conversion_prices as an events range and as_of: the 3(d) ledger runs to that date. Before
    the Issue of 2,000,000 Common for $5,000,000 ($2.50 a share) nothing is adjusted: QOPM is
    the unadjusted one. After it, QOPM equals QOPM on the Conversion Prices QCONVPRICE gives for
    that date (values to the cent; per-share figures to float precision)."""
    import datetime as dt

    from xl_quintus.excel import QCONVPRICE
    SMALL = [["Class", "Shares"], ["D", 1_455_000], ["F", 1_500_000], ["Common", 12_000_000]]
    events = [["Date", "Event", "Shares", "Consideration", "Ref"], [dt.date(1999, 11, 10), "Purchase", None, None, "G-1"],
              [dt.date(2000, 6, 1), "Issue", 2_000_000, 5_000_000, None]]
    before = QOPM(2e8, SMALL, 0.6, 3, 0.04, None, events, None, None, dt.date(2000, 1, 1))
    assert before == QOPM(2e8, SMALL, 0.6, 3, 0.04)
    day = dt.date(2001, 1, 1)
    prices = [[c, QCONVPRICE(c, events, SMALL, day)] for c in ("D", "F")]
    assert prices[0][1] < 2.75 and prices[1][1] < 8.25               # both adjusted down (3(d)(i))
    after = QOPM(2e8, SMALL, 0.6, 3, 0.04, None, events, None, None, day)
    direct = QOPM(2e8, SMALL, 0.6, 3, 0.04, None, prices)
    assert [r[:3] for r in after] == [r[:3] for r in direct] and after != before
    assert [r[3] for r in after[1:-1]] == pytest.approx([r[3] for r in direct[1:-1]], rel=1e-12)


# -- properties on realistic sizes --------------------------------------------------------------

_PARTICIPATION = st.sampled_from([("none", None), ("capped", 2), ("capped", 3), ("full", None)])


@st.composite
def charters_and_tables(draw):
    """2 to 4 series of a terms range (random issue prices, seniority, participation) and a
    cap table of 50 to 70 holdings over them and Common, some with options on Common."""
    n = draw(st.integers(2, 4))
    terms = [["Class", "Authorized", "Issue Price", "Seniority", "Participation", "Cap"]]
    names = [f"S{i}" for i in range(n)]
    for name in names:
        price = draw(st.integers(50, 2000)) / 100
        part, cap = draw(_PARTICIPATION)
        terms.append([name, 10_000_000, price, draw(st.integers(1, 3)), part,
                      f"{cap}x" if cap else None])
    rows = [["Holder", "Class", "Shares", "Exercise Price"]]
    for h in range(draw(st.integers(50, 70))):
        cls = draw(st.sampled_from(names + ["Common", "Common"]))
        rows.append([f"Holder {h}", cls, draw(st.integers(1, 200)) * 1000, None])
    for k in range(draw(st.integers(0, 2))):
        rows.append([f"Optionee {k}", "Common", draw(st.integers(1, 100)) * 1000, draw(st.integers(10, 500)) / 100])
    return terms, rows


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(charters_and_tables(), st.integers(1, 50_000_000_00), st.floats(0.1, 1.2), st.floats(0.25, 6))
def test_opm_adds_up_on_random_charters(case, equity_cents, sigma, t):
    """Random charters (terms ranges), 50+ holders, options: the rows add up to the equity value
    to the cent, none is negative, Per Share is Value over Shares within rounding, and the
    Total's shares are the fully diluted count."""
    terms, rows = case
    table = QOPM(equity_cents / 100, rows, sigma, t, 0.03, None, None, None, terms)
    body = table[1:-1]
    assert sum(round(r[2] * 100) for r in body) == equity_cents == round(table[-1][2] * 100)
    assert all(r[2] >= 0 for r in body)
    assert table[-1][1] == sum(r[2] for r in rows[1:])
    for r in body:
        if r[0] != "Unallocated":
            assert r[2] == pytest.approx(r[3] * r[1], abs=0.01)
