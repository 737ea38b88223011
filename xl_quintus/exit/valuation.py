"""What each class is worth today: the option pricing method (OPM), PWERM and DLOM.

Charter-free mathematics on top of :class:`~xl_quintus.exit.model.ExitModel`, which knows the
charter. The model gives every payee's payout as an exact function of the exit value x:
linear between breakpoints (2(a) tiers paid, 2(b) caps, 3(a) Cash Amounts) and, under the
``optimal`` election, possibly jumping where the 3(a) election changes (:class:`Payoff`).

**OPM** (AICPA Accounting and Valuation Guide, *Valuation of Privately-Held-Company Equity
Securities Issued as Compensation*, 2013, chapter 6 and appendix): the equity value at the
liquidity event, S_T, is lognormal with E[S_T] = S_0 e^{rT} and volatility sigma; a payee's
value today is e^{-rT} E[f(S_T)] for its payout f. On a piece (a, b) where f(x) = v + s (x - a),

    e^{-rT} E[f(S_T) 1{a < S_T < b}] = v (D(a) - D(b)) + s (C(a) - C(b) - (b - a) D(b))

with C(K) the Black-Scholes call on S_0 struck at K and D(K) = e^{-rT} N(d2(K)) the
cash-or-nothing digital paying 1 above K: call spreads for the linear pieces, digitals where a
payout jumps. Closed form; no simulation (the tests check it against a Monte Carlo run).
Floats are fine for option prices (charter-interpretations: floats only for sweeps and option
pricing); the payouts they weight are the exact engine's, and the values are rounded to cents
by largest remainder so that they add up to the equity value exactly.

**PWERM**: a probability-weighted average of exact waterfalls, each discounted by
(1 + rate)^years (exact when the years are whole).

The valuation date comes before the liquidity event: a cumulative series' Accruing Dividends
in the waterfall are those to the exit date (the model of each exit is the caller's:
``pwerm(..., at_exit)``; the OPM's model is that of the exit at T).

**DLOM** (as decimals, with dividend yield 0):

| method | formula | source |
|---|---|---|
| ``finnerty`` | N(v/2) - N(-v/2), v^2 = s + ln[2(e^s - s - 1)] - 2 ln(e^s - 1), s = sigma^2 T | Finnerty (2012) |
| ``ghaidarov`` | N(v/2) - N(-v/2), v^2 = ln[2(e^s - s - 1)] - 2 ln(s) | Ghaidarov (2009) |
| ``chaffe`` | at-the-money European put / S_0: e^{-rT} N(-d2) - N(-d1) | Chaffe (1993) |
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache

import numpy as np

from ..charter.liquidation import UNALLOCATED
from ..errors import CharterError
from ..numbers import ZERO, largest_remainder, to_cents
from .model import ExitModel
from .piecewise import proceeds_to_cents

SQRT2 = math.sqrt(2.0)


def normal_cdf(x: float) -> float:
    """Standard normal distribution function, accurate in both tails (erfc)."""
    return 0.5 * math.erfc(-x / SQRT2)


# -- the payout functions --------------------------------------------------------------------

@dataclass(frozen=True)
class Payoff:
    """Every payee's exact payout as a function of the exit value.

    On segment k, for ``starts[k] < x < starts[k+1]`` (the last segment is unbounded), payee j
    receives ``base[k][j] + slope[k][j] * (x - starts[k])``. Payees are the model's columns:
    each class present (and option/warrant tranche, when the cap table has them), then
    Unallocated. Between segments a payout may jump (a 3(a) election changes); the payouts
    at the single points ``starts`` have probability 0 under a lognormal and play no part.
    """

    payees: tuple[str, ...]
    starts: tuple[Fraction, ...]
    base: tuple[tuple[Fraction, ...], ...]
    slope: tuple[tuple[Fraction, ...], ...]

    def at(self, x: Fraction) -> list[Fraction]:
        """Exact payouts just above ``x`` (right limits; equal to the payouts off the points)."""
        k = bisect.bisect_right(self.starts, x) - 1
        return [b + s * (x - self.starts[k]) for b, s in zip(self.base[k], self.slope[k])]

    @cached_property
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(starts, base, slope) as float arrays, built once."""
        return (np.array([float(a) for a in self.starts]),
                np.array([[float(v) for v in row] for row in self.base]),
                np.array([[float(v) for v in row] for row in self.slope]))

    def jumps(self) -> list[tuple[Fraction, list[Fraction]]]:
        """Where a payout jumps: (exit value, change of each payee's payout there)."""
        out = []
        for k in range(1, len(self.starts)):
            a, b = self.starts[k - 1], self.starts[k]
            left = [v + s * (b - a) for v, s in zip(self.base[k - 1], self.slope[k - 1])]
            change = [r - lf for r, lf in zip(self.base[k], left)]
            if any(change):
                out.append((b, change))
        return out


@lru_cache(maxsize=64)
def payoff(model) -> Payoff:
    """The exact payout functions of a model: its 3(a) election map, and on each interval of
    the map the linear pieces of that election's Section 2 waterfall. A model of a cap table
    with options and warrants (``exit.exercise.ExerciseModel``) adds a row per tranche, net
    of its exercise price (:func:`_exercise_payoff`)."""
    if hasattr(model, "tranches") and hasattr(model, "inner"):
        return _exercise_payoff(model)
    points, _, intervals = model.election_map()
    starts, base, slope = [], [], []
    payees = None
    for i, a in enumerate(points):
        b = points[i + 1] if i + 1 < len(points) else None
        election = intervals[i]
        if isinstance(election, CharterError):
            cite = model.cap_table.charter.cite("conversion_election")     # as the terms give it
            raise CharterError(f"the {cite + ' ' if cite else ''}conversion choices have no stable outcome for exit "
                               f"values {_range(a, b)} ({election.message}); no value can be put on a payout there",
                               term="conversion election")
        pw = model.piecewise(election.converting)
        payees = tuple(pw.classes)
        for s in [a] + [p for p in pw.points if p > a and (b is None or p < b)]:
            _merge(starts, base, slope, s, tuple(pw.at(s)), tuple(pw.slope(s)))
    return Payoff(payees, tuple(starts), tuple(base), tuple(slope))


def _merge(starts, base, slope, s, v, sl):
    """Append the piece starting at ``s`` unless it continues the last one's line."""
    if starts and sl == slope[-1] and all(x == y + d * (s - starts[-1]) for x, y, d in zip(v, base[-1], sl)):
        return
    starts.append(s)
    base.append(v)
    slope.append(sl)


def _exercise_payoff(em) -> Payoff:
    """Payout functions of a cap table with options and warrants (excel-functions.md,
    "Options and warrants in a cap table"): rows for the classes' shares outstanding, then
    one per tranche (net of the exercise price paid), then Unallocated.

    The exercise map (``ExerciseModel.exercise_map``, exact: split where a comparison of the
    exercise search changes sign) gives the exercised set S on each interval of exit values.
    There the outcome at proceeds x is the ordinary model of the cap table after exercise at
    x + (prices paid by S): its payout functions shifted, each class's shares outstanding and
    each exercised tranche taking their part of the class (``ExerciseModel.layout``), a
    tranche less its price (``ExerciseModel.paid_vector``).
    """
    points, _, intervals = em.exercise_map()
    payees = tuple(em.columns()) + (UNALLOCATED,)
    starts, base, slope = [], [], []
    for i, a in enumerate(points):
        b = points[i + 1] if i + 1 < len(points) else None
        state = intervals[i]
        if isinstance(state, CharterError):
            raise CharterError(f"{state.message} for exit values {_range(a, b)}; no value can be put on a payout "
                               f"there", state.argument, term=state.term)
        inner = em.inner(state)
        pay = payoff(inner)
        matrix, paid = em.layout(state), em.paid_vector(state)
        shift = sum(paid, ZERO)

        def rows(vec, with_price, matrix=matrix, paid=paid):
            return tuple(sum((m * v for m, v in zip(row, vec)), ZERO) - (p if with_price else ZERO)
                         for row, p in zip(matrix, paid))

        for s in [a] + [p - shift for p in pay.starts if p - shift > a and (b is None or p - shift < b)]:
            k = bisect.bisect_right(pay.starts, s + shift) - 1
            _merge(starts, base, slope, s, rows(pay.at(s + shift), True), rows(pay.slope[k], False))
    return Payoff(payees, tuple(starts), tuple(base), tuple(slope))


def _range(a, b) -> str:
    return f"between ${float(a):,.2f} and ${float(b):,.2f}" if b is not None else f"above ${float(a):,.2f}"


# -- the option pricing method -----------------------------------------------------------------

_ERFC = np.frompyfunc(math.erfc, 1, 1)


def normal_cdf_array(x: np.ndarray) -> np.ndarray:
    """:func:`normal_cdf` elementwise (math.erfc: accurate in both tails, no scipy)."""
    return 0.5 * _ERFC(-np.asarray(x, dtype=float) / SQRT2).astype(float)


@dataclass(frozen=True)
class Market:
    """OPM inputs but the equity value: annual volatility, years to the liquidity event, and
    the continuously compounded risk-free rate (Black-Scholes)."""

    volatility: float
    years: float
    rate: float

    def __post_init__(self):
        for name, v in (("volatility", self.volatility), ("years", self.years)):
            if not (math.isfinite(v) and v >= 0):
                raise CharterError(f"must be a number of at least 0, got {v!r}", term=name)
        if not math.isfinite(self.rate):
            raise CharterError(f"must be a finite number, got {self.rate!r}", term="risk-free rate")

    @property
    def discount(self) -> float:
        return math.exp(-self.rate * self.years)

    @property
    def total_sd(self) -> float:
        """sigma sqrt(T): the standard deviation of ln S_T."""
        return self.volatility * math.sqrt(self.years)

    def digitals_and_assets(self, s0: np.ndarray, strikes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each equity value S_0 (rows) and strike K (columns):
        D = e^{-rT} P(S_T > K), the cash-or-nothing digital, and
        A = e^{-rT} E[S_T 1{S_T > K}] = S_0 N(d1), the asset-or-nothing option;
        d1 = (ln(F / K) + sigma^2 T / 2) / (sigma sqrt(T)), d2 = d1 - sigma sqrt(T), F = S_0 e^{rT}.
        K = 0 gives (e^{-rT}, S_0); K = inf gives (0, 0). With sigma sqrt(T) = 0, S_T = F."""
        s0 = np.asarray(s0, dtype=float)[:, None]
        k = np.asarray(strikes, dtype=float)[None, :]
        df, v = self.discount, self.total_sd
        fwd = s0 / df
        finite, positive = np.isfinite(k), (k > 0) & (s0 > 0)
        d = np.where(finite, df, 0.0) * np.ones_like(s0)
        a = np.where(finite, 1.0, 0.0) * s0
        live = finite & positive
        if v == 0:
            above = fwd > k
            d = np.where(live, np.where(above, df, 0.0), d)
            a = np.where(live, np.where(above, s0, 0.0), a)
            return d, a
        with np.errstate(divide="ignore", invalid="ignore"):
            d1 = (np.log(np.where(live, fwd, 1.0) / np.where(live, k, 1.0)) + v * v / 2) / v
        d = np.where(live, df * normal_cdf_array(d1 - v), d)
        a = np.where(live, s0 * normal_cdf_array(d1), a)
        # K > 0 with S_0 = 0: S_T = 0 for sure; nothing is above K
        d = np.where(finite & (k > 0) & (s0 <= 0), 0.0, d)
        return d, a

    def call(self, s0: float, strike: float) -> float:
        """Black-Scholes call on the equity value: C(K) = A(K) - K D(K)."""
        d, a = self.digitals_and_assets(np.array([s0]), np.array([strike]))
        return float(a[0, 0] - strike * d[0, 0])


def present_values(pay: Payoff, market: Market, s0) -> np.ndarray:
    """Each payee's value today, e^{-rT} E[f(S_T)], for each equity value in ``s0`` (rows),
    integrated piece by piece in closed form.

    On (a, b) with f(x) = v + s (x - a): v (D(a) - D(b)) + s (A(a) - A(b) - a (D(a) - D(b))),
    which is v (D(a) - D(b)) + s (C(a) - C(b) - (b - a) D(b)) written with C = A - K D:
    a call spread and digitals. Where f jumps, consecutive pieces' digitals differ: the jump
    is a cash-or-nothing digital.
    """
    starts, base, slope = pay.arrays
    d, a = market.digitals_and_assets(np.atleast_1d(s0), np.append(starts, np.inf))
    dd, da = d[:, :-1] - d[:, 1:], a[:, :-1] - a[:, 1:]            # per segment
    return dd @ base + (da - starts[None, :] * dd) @ slope


@dataclass(frozen=True)
class Valuation:
    """Each payee's value in cents (adding up to the total), and the unrounded floats."""

    payees: tuple[str, ...]
    cents: tuple[int, ...]
    values: tuple[float, ...]
    total_cents: int


def allocate_cents(values: Sequence[float], total_cents: int) -> list[int]:
    """Float dollar values as whole cents adding up to ``total_cents`` (largest remainder,
    ties to the earlier payee). The floats must add up to the total within a cent."""
    parts = [Fraction(max(float(v), 0.0)) * 100 for v in values]
    gap = abs(float(sum(parts)) - total_cents)
    if gap > 1:
        raise CharterError(f"the option values add up to {float(sum(parts)) / 100:,.2f}, not "
                           f"{total_cents / 100:,.2f} (a float error of {gap / 100:,.2f}); please report this",
                           term="equity value")
    excess = sum(parts) - total_cents
    if excess > 0:                      # a float hair above the total: off the largest part
        i = max(range(len(parts)), key=lambda j: parts[j])
        parts[i] -= excess
    return largest_remainder(parts, total_cents)


def opm(model: ExitModel, equity_value, market: Market) -> Valuation:
    """The option pricing method on ``model``: every payee's value at ``equity_value``
    (rounded to the cent first, as proceeds are). The payouts add up to the exit value at
    every exit value (Unallocated included), so the values add up to the equity value."""
    s0 = proceeds_to_cents(equity_value)
    pay = payoff(model)
    values = present_values(pay, market, [float(s0)])[0]
    total_cents = to_cents(s0)
    return Valuation(pay.payees, tuple(allocate_cents(values, total_cents)), tuple(float(v) for v in values),
                     total_cents)


# -- backsolve ---------------------------------------------------------------------------------

MAX_EQUITY = 10 ** 15          # dollars: far above any company; the search stops there
GRID_POINTS = 400              # equity values scanned for every crossing of the price


def backsolve(model: ExitModel, payee: str, shares: int, price_per_share, market: Market) -> Fraction:
    """The equity value, in whole cents, at which ``payee``'s OPM value per share reaches
    ``price_per_share``: the least whole-cent equity value whose value is at least the price.

    The value is scanned over equity values from 0 to well past every breakpoint (and past
    the price), finely around every point where the payout jumps down, for each crossing of
    the price; the crossing is then found by bisection on whole cents. Payouts that never fall give one crossing. A payout that jumps down where
    another group converts (3(a)) can give several: then every one is named in the error,
    rather than one chosen silently.
    """
    price = float(price_per_share)
    if not price > 0:
        raise CharterError(f"must be above 0, got {price_per_share}", term="price per share")
    if shares <= 0:
        raise CharterError(f"{payee} has no shares in the cap table", term="valued class")
    pay = payoff(model)
    j = pay.payees.index(payee)
    target = price * shares

    def value(cents) -> np.ndarray:
        return present_values(pay, market, np.asarray(cents, dtype=float) / 100)[:, j]

    # the value per share can never exceed e^{-rT} times the most the payout ever is
    if pay.slope[-1][j] == 0:
        most = max(max(pay.base[k][j], pay.base[k][j] + pay.slope[k][j] * (pay.starts[k + 1] - pay.starts[k]))
                   for k in range(len(pay.starts) - 1)) if len(pay.starts) > 1 else pay.base[-1][j]
        most = max(most, pay.base[-1][j])
        top = float(most) * market.discount
        if target >= top:
            raise CharterError(f"no equity value gives {payee} ${price:,.4f} per share: its payout is never more "
                               f"than ${float(most) / shares:,.4f} per share, worth at most ${top / shares:,.4f} "
                               f"today", term="price per share")
    hi = max(100_00, int(float(pay.starts[-1]) * 100) * 4)
    while value([hi])[0] < target:
        hi *= 2
        if hi > MAX_EQUITY * 100:
            raise CharterError(f"no equity value up to ${MAX_EQUITY:,.0f} gives {payee} ${price:,.4f} per share",
                               term="price per share")
    # Within one election every payout rises with the exit value; a value can only turn down
    # near a jump down, so around each one the scan is as fine as the dip (the drop over the
    # slopes either side) and the spread of S_T
    near = []
    for x, change in pay.jumps():
        if change[j] < 0:
            k = pay.starts.index(x)
            scales = [float(x) * max(market.total_sd, 1e-9)]
            scales += [float(-change[j] / sl) for sl in (pay.slope[k - 1][j], pay.slope[k][j]) if sl > 0]
            near += [(float(x) + sign * scale * f) * 100 * market.discount
                     for scale in scales for f in (1 / 16, 1 / 8, 1 / 4, 1 / 2, 1, 2, 4) for sign in (-1, 1)]
    grid = np.unique(np.concatenate([[0], np.geomspace(1, hi, GRID_POINTS), near]).round()).astype(np.int64)
    grid = grid[(grid >= 0) & (grid <= hi)]
    below = value(grid) < target
    crossings = np.nonzero(below[:-1] & ~below[1:])[0]       # below at i, at least at i + 1
    roots = [_bisect_cents(value, int(grid[i]), int(grid[i + 1]), target) for i in crossings]
    if len(roots) > 1:
        shown = ", ".join(f"${r / 100:,.2f}" for r in roots)
        cite = model.cap_table.charter.cite("conversion_election")         # as the terms give it
        raise CharterError(f"more than one equity value gives {payee} ${price:,.4f} per share ({shown}): its payout "
                           f"jumps down where another group converts{f' ({cite})' if cite else ''}; backsolve from "
                           f"another class",
                           term="price per share")
    return Fraction(roots[0], 100)


def _bisect_cents(value, lo: int, hi: int, target: float) -> int:
    """The least cent in (lo, hi] where value >= target, given value(lo) < target <= value(hi)."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if value([mid])[0] < target:
            lo = mid
        else:
            hi = mid
    return hi


# -- PWERM -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scenario:
    exit_value: Fraction
    probability: Fraction
    years: Fraction
    rate: Fraction

    def discount(self):
        """1 / (1 + rate)^years: exact when the years are whole, else a float."""
        if self.years.denominator == 1:
            return 1 / (1 + self.rate) ** int(self.years)
        return Fraction(float(1 + self.rate) ** -float(self.years))


def pwerm(model: ExitModel, scenarios: Sequence[Scenario], at_exit=None) -> Valuation:
    """Probability-weighted, discounted exact waterfalls: each payee's value is
    sum over scenarios of probability x its cents at that exit value / (1 + rate)^years.
    Rounded to cents by largest remainder against the rounded total of the same sum.

    ``at_exit(years)``: the model of an exit that many years after the valuation date (its
    cumulative dividends accrued to that exit date); each scenario's waterfall is run on
    ``at_exit(scenario.years)``. Default: ``model`` for every scenario."""
    total = sum((s.probability for s in scenarios), ZERO)
    if total != 1:
        raise CharterError(f"probabilities add up to {float(total):g}, not 1 (as typed: "
                           f"{' + '.join(_show(s.probability) for s in scenarios)})", term="scenario probabilities")
    payees = payees_of(model)
    acc = [ZERO] * len(payees)
    for s in scenarios:
        cents = outcome_cents(at_exit(s.years) if at_exit else model, s.exit_value)
        w = s.probability * s.discount()
        for j, p in enumerate(payees):
            acc[j] += w * cents.get(p, 0)
    total_cents = to_cents(sum(acc, ZERO) / 100)
    shares = largest_remainder(acc, total_cents)
    return Valuation(payees, tuple(shares), tuple(float(a) / 100 for a in acc), total_cents)


def payees_of(model) -> tuple[str, ...]:
    """The rows of a model's outcomes: classes present, then tranches (options and warrants,
    when the cap table has them), then Unallocated."""
    labels = [t.label for t in getattr(model, "tranches", ())]
    return tuple(model.cap_table.classes_present) + tuple(labels) + (UNALLOCATED,)


def outcome_cents(model, proceeds) -> dict[str, int]:
    """QWATERFALL's cents at ``proceeds`` by row (the Net column when the cap table has
    options and warrants), adding up to the proceeds."""
    dist, _ = model.distribution(proceeds)
    if hasattr(dist, "net_cents"):
        labels = [r.label for r in dist.rows] + ([UNALLOCATED] if dist.unallocated else [])
        return dict(zip(labels, dist.net_cents))
    return dist.class_cents()


def _show(p: Fraction) -> str:
    return f"{float(p):g}"


# -- DLOM --------------------------------------------------------------------------------------

DLOM_METHODS = ("finnerty", "chaffe", "ghaidarov")


def dlom(volatility: float, years: float, method: str = "finnerty", rate: float = 0.0) -> float:
    """Discount for lack of marketability as a decimal (dividend yield 0).

    finnerty: Finnerty (2012), average-strike put:
        D = N(v sqrt(T)/2) - N(-v sqrt(T)/2),
        v^2 T = sigma^2 T + ln[2 (e^{sigma^2 T} - sigma^2 T - 1)] - 2 ln(e^{sigma^2 T} - 1).
    ghaidarov: Ghaidarov (2009), the average-strike put struck at the forward, priced by
        matching the first two moments of the average (his corrected formula):
        v^2 T = ln[2 (e^{sigma^2 T} - sigma^2 T - 1)] - 2 ln(sigma^2 T), D as above.
    chaffe: Chaffe (1993), a European put struck at today's value, over its price:
        P / S_0 = e^{-rT} N(-d2) - N(-d1), d1 = (r + sigma^2 / 2) T / (sigma sqrt(T)).
    """
    sigma, t = float(volatility), float(years)
    if not (math.isfinite(sigma) and sigma >= 0):
        raise CharterError(f"must be a number of at least 0, got {volatility!r}", term="volatility")
    if not (math.isfinite(t) and t >= 0):
        raise CharterError(f"must be a number of at least 0, got {years!r}", term="years")
    s = sigma * sigma * t
    if method == "chaffe":
        if s == 0:
            return max(0.0, math.exp(-rate * t) - 1)          # S_T = S_0 e^{rT} for sure
        v = math.sqrt(s)
        d1 = (rate * t + s / 2) / v
        return math.exp(-rate * t) * normal_cdf(-(d1 - v)) - normal_cdf(-d1)
    if s == 0:
        return 0.0
    if method == "finnerty":
        var = s + _ln_two_excess(s) - 2 * _ln_expm1(s)
    elif method == "ghaidarov":
        var = _ln_two_excess(s) - 2 * math.log(s)
    else:
        raise CharterError(f'"{method}" must be one of {", ".join(DLOM_METHODS)}', term="DLOM method")
    v = math.sqrt(max(var, 0.0))
    return normal_cdf(v / 2) - normal_cdf(-v / 2)


def _ln_expm1(s: float) -> float:
    """ln(e^s - 1), without overflow for large s."""
    return s + math.log1p(-math.exp(-s)) if s > 30 else math.log(math.expm1(s))


def _ln_two_excess(s: float) -> float:
    """ln[2 (e^s - s - 1)], accurate for small s (series) and without overflow for large s."""
    if s < 1e-3:                   # e^s - s - 1 = s^2/2 (1 + s/3 + s^2/12 + s^3/60 + ...)
        return 2 * math.log(s) + math.log1p(s / 3 + s * s / 12 + s ** 3 / 60)
    if s > 30:
        return math.log(2) + s + math.log1p(-(s + 1) * math.exp(-s))
    return math.log(2 * (math.expm1(s) - s))
