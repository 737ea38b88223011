"""Charter IV.B Section 1 (and 3(e)): dividends.

| clause | rule | here |
|---|---|---|
| 1(a) | preferred first, at $0.20 ... $1.667 per share per annum | ``cash_dividend`` |
| 1(a) | declared below the full rates: "ratably ... in proportion to the full preferential dividend amounts" | ``cash_dividend`` |
| 1(a) | "or, if greater ..., an amount equal to that paid on any other outstanding shares": a series whose rate is below Common's per-share amount receives Common's amount (interpretations) | ``parity_level`` |
| 1(a) | non-cumulative: nothing carries to a later year | no state is kept between calls |
| IV.C.1 | the rest to Common, per share | ``cash_dividend`` |
| 1(b), 3(e) | distributions other than cash: preferred share as if converted on the record date | ``as_converted_distribution`` |
| NVCA 1 (Alt. 2) | a cumulative series: "dividends at the rate per annum of $[___] per share shall accrue ... from day to day, whether or not declared, and shall be cumulative": simple, actual days / 365, from the Issue Date to ``as_of`` (for a valuation, on to the exit ``years_after`` later: + rate x years); the accrued amount is preferential in a declared dividend and joins the 2(a) preference (NVCA 2.1) | ``accruing_dividend``, ``dividends_owed`` |

The rates are "as adjusted for any stock dividends, combinations or splits": the adjusted
rates are charter terms (a terms range or file), not an input here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

from .cap_table import CapTable
from .conversion import conversion_rate
from ..errors import CharterError
from .liquidation import UNALLOCATED, pay_ratably
from ..numbers import ZERO, largest_remainder_cents, to_cents
from .terms import COMMON


@dataclass(frozen=True)
class DividendLine:
    """One class's part of a distribution.

    Attributes:
        cls, shares: the class.
        amount: exact dollars (or fair value) to the class.
        clause: the rule that set it.
    """

    cls: str
    shares: int
    amount: Fraction
    clause: str


DAYS_PER_YEAR = 365          # "accrue ... from day to day": actual days over a 365-day year


def accruing_dividend(terms, as_of: dt.date | None, years_after: Fraction = ZERO) -> Fraction:
    """NVCA Section 1 (Alternative 2), per share: the rate per annum times the actual days
    from the Issue Date (the date accrual starts: the issuance, or the last date to which
    the Accruing Dividends were paid) to ``as_of`` (the exit or record date), over 365;
    simple, never compounded. Zero for a series without a cumulative dividend.

    ``years_after``: for a liquidity event that many years after ``as_of`` (a valuation
    date: OPM, PWERM), the dividends accrue on to that exit date, as_of + years_after x 365
    days. Accrual being simple over a 365-day year, that is the accrual to ``as_of`` plus
    rate x years_after exactly (no rounding of the exit date to a whole day)."""
    if not terms.cumulative_dividend:
        return ZERO
    if as_of is None:
        raise CharterError(f"Series {terms.name} has a cumulative dividend ({_money(terms.cumulative_dividend)} per "
                           "share per year), which accrues to the exit date: give as_of, the exit or record date",
                           term="as of")
    days = (as_of - terms.issue_date).days
    if days < 0:
        raise CharterError(f"as_of {as_of.isoformat()} is before the Issue Date of Series {terms.name} "
                           f"({terms.issue_date.isoformat()}), from which its cumulative dividend accrues", term="as of")
    if years_after < 0:
        raise CharterError(f"an exit {years_after} years before as_of: dividends accrue forward only", term="years")
    return terms.cumulative_dividend * (Fraction(days, DAYS_PER_YEAR) + years_after)


def dividends_owed(cap_table: CapTable, unpaid: Mapping[str, Fraction] | None, as_of: dt.date | None,
                   years_after: Fraction = ZERO) -> dict:
    """Per share, what joins each series' 2(a) preference: declared but unpaid dividends
    (``unpaid``) plus, for a cumulative series, the Accruing Dividends to ``as_of`` (NVCA 2.1:
    "plus any Accruing Dividends accrued but unpaid thereon, whether or not declared,
    together with any other dividends declared but unpaid thereon"), or, for an exit
    ``years_after`` years after ``as_of`` (a valuation date), to that exit date
    (:func:`accruing_dividend`)."""
    owed = dict(unpaid or {})
    for name in cap_table.series_present:
        accrued = accruing_dividend(cap_table.charter.terms(name), as_of, years_after)
        if accrued:
            owed[name] = owed.get(name, ZERO) + accrued
    return owed


def _money(x: Fraction) -> str:
    return f"${float(x):,.4f}".rstrip("0").rstrip(".")


def parity_level(series: list[tuple[int, Fraction]], common: int, declared: Fraction) -> Fraction:
    """1(a) "if greater": the per-share amount ``c`` on Common such that every series gets
    max(its rate, c) per share and everything adds up to ``declared``:
    sum shares x max(rate, c) + common x c = declared (increasing in c, solved exactly)."""
    rates = sorted({r for _, r in series})
    bounds = [ZERO] + [r for r in rates if r > 0] + [None]
    for lo, hi in zip(bounds, bounds[1:]):
        fixed = sum((n * r for n, r in series if r > lo), ZERO)
        weight = common + sum(n for n, r in series if r <= lo)
        if weight == 0:
            continue
        c = (declared - fixed) / weight
        if c >= lo and (hi is None or c <= hi):
            return c
    raise ArithmeticError("no parity level")        # unreachable when declared >= full rates


def cash_dividend(cap_table: CapTable, declared: Fraction, as_of: dt.date | None = None) -> list[DividendLine]:
    """A cash dividend of ``declared`` in total for the year (1(a), IV.C.1). A cumulative
    series' preferential amount is its rate plus its Accruing Dividends to ``as_of`` (NVCA 1:
    "shall first receive ... the amount of the aggregate Accruing Dividends then accrued on
    such share ... and not previously paid")."""
    if declared < 0:
        raise CharterError(f"a declared dividend cannot be negative, got {float(declared)}", term="dividend")
    charter = cap_table.charter
    present = cap_table.series_present
    accrued = {s: accruing_dividend(charter.terms(s), as_of) for s in present}
    rate = {s: charter.terms(s).dividend_rate + accrued[s] for s in present}
    # the clause each series' preferential amount comes from, as the terms in force give it:
    # 1(a) rates, or Accruing Dividends (NVCA 1)
    pref = {s: charter.clause("accruing_dividends", " Accruing Dividends") if accrued[s]
            else charter.clause("dividend_preference") for s in present}
    full = {s: cap_table.shares(s) * rate[s] for s in present}
    common = cap_table.shares(COMMON)
    lines = []
    if declared <= sum(full.values(), ZERO):                     # 1(a): short, ratably
        paid = pay_ratably(declared, full)
        for s in present:
            lines.append(DividendLine(s, cap_table.shares(s), paid[s],
                                      pref[s] if paid[s] == full[s] else f"{pref[s]} ratable"))
        if common:
            lines.append(DividendLine(COMMON, common, ZERO, charter.clause("common_dividend")))
        return lines
    if not common:                                                # nothing can take the rest
        for s in present:
            lines.append(DividendLine(s, cap_table.shares(s), full[s], pref[s]))
        lines.append(DividendLine(UNALLOCATED, 0, declared - sum(full.values(), ZERO),
                                  f"{charter.clause('common_dividend')}: no Common outstanding"))
        return lines
    c = parity_level([(cap_table.shares(s), rate[s]) for s in present], common, declared)
    for s in present:
        n = cap_table.shares(s)
        if c > rate[s]:
            lines.append(DividendLine(s, n, n * c, charter.clause("dividend_if_greater", " if greater: as Common")))
        else:
            lines.append(DividendLine(s, n, n * rate[s], pref[s]))
    lines.append(DividendLine(COMMON, common, common * c, charter.clause("common_dividend")))
    return lines


def as_converted_distribution(cap_table: CapTable, value: Fraction,
                              conversion_prices: Mapping[str, Fraction] | None = None) -> list[DividendLine]:
    """1(b), 3(e): a distribution other than cash, shared as though the preferred were the
    Common "into which their respective shares ... are convertible as of the record date"."""
    if value < 0:
        raise CharterError(f"a distribution cannot be negative, got {float(value)}", term="dividend")
    cps = dict(conversion_prices or {})
    charter = cap_table.charter
    weight = {s: cap_table.shares(s) * conversion_rate(charter.terms(s), cps.get(s)) for s in cap_table.series_present}
    if cap_table.shares(COMMON):
        weight[COMMON] = Fraction(cap_table.shares(COMMON))
    total = sum(weight.values(), ZERO)
    if total == 0:
        raise CharterError("no shares outstanding to take the distribution", term="cap table",
                           clause=charter.clauses.get("as_converted_distribution"))
    return [DividendLine(cls, cap_table.shares(cls), value * w / total,
                         charter.clause("common_dividend") if cls == COMMON
                         else charter.clause("as_converted_distribution", " as converted"))
            for cls, w in weight.items()]


def line_cents(lines: list[DividendLine], declared: Fraction) -> list[int]:
    """Each class's cents, adding up to the declared total (largest remainder, ties to the
    earlier class; interpretations: Money)."""
    return largest_remainder_cents([line.amount for line in lines], to_cents(declared))
