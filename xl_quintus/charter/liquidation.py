"""Charter IV.B Section 2: Liquidation Preference, with a fixed conversion election.

| clause | rule | here |
|---|---|---|
| 3(a), 3(c) | converting series with a Cash Amount are paid it first; short: ratably | ``_cash_amounts`` |
| 2(a) | higher seniority first ("Series F ... prior and in preference"); within a rank pari passu, short: ratably to the full preferential amounts | ``_preferences`` |
| 2(b) | the rest pro rata on as-converted Common among participating series and Common, each series until it has received its cap (2(a) included) | ``proviso_2b_until_cap`` |
| 2(b) | "thereafter ... the holders of the Common Stock ... shall receive all of the remaining assets" | ``proviso_2b_until_cap`` |
| 2(c) | mergers, asset sales, >50% voting-power transfers are liquidations: same waterfall on the proceeds given | callers pass proceeds |
| 2(d) | non-cash consideration at the Board's fair value | callers pass fair value |
| 2(a) "any of the assets of this corporation" | exercise prices paid for options and warrants join the proceeds | ``proceeds_with_exercise`` |
| (product rule) | an option or warrant is exercised when the payout per share of what it buys exceeds its exercise price; equal: not exercised | ``exercised_when`` |

Which series convert is an input here (``converting``); ``xl_quintus.election`` chooses it.
All arithmetic is exact; money is rounded only in :class:`Distribution` cents helpers.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Iterable, Mapping

from .cap_table import CapTable
from ..errors import CharterError
from ..numbers import ZERO, exact, largest_remainder_cents, to_cents
from .terms import COMMON

UNALLOCATED = "Unallocated"
COMPONENTS = ("cash_amount", "preference", "participation", "as_common")


@dataclass(frozen=True)
class ClassPayout:
    """What one class receives in one liquidation, by the clause that pays it.

    Attributes:
        cls: the class.
        shares: shares of the class outstanding.
        converts: whether the series converted to Common before the distribution (3(a)).
        cash_amount: Cash Amounts paid on conversion (3(a), 3(c)).
        preference: liquidation preference paid as preferred (2(a)).
        participation: 2(b) amount paid as a participating preferred.
        as_common: 2(b) amount paid as Common (Common itself, or a converted series).
    """

    cls: str
    shares: int
    converts: bool
    cash_amount: Fraction
    preference: Fraction
    participation: Fraction
    as_common: Fraction

    @property
    def total(self) -> Fraction:
        return self.cash_amount + self.preference + self.participation + self.as_common

    def component(self, name: str) -> Fraction:
        return getattr(self, name)


@dataclass(frozen=True)
class Distribution:
    """A whole liquidation: every class's payout, exact.

    Attributes:
        proceeds: what was distributed.
        converting: the series that converted.
        classes: one :class:`ClassPayout` per class present, charter order, Common last.
        unallocated: what no class could take under 2(b) (no Common, every participant capped).
    """

    proceeds: Fraction
    converting: frozenset
    classes: tuple[ClassPayout, ...]
    unallocated: Fraction

    @property
    def totals(self) -> dict[str, Fraction]:
        """Each class's total, charter order."""
        return {c.cls: c.total for c in self.classes}

    def class_cents(self) -> dict[str, int]:
        """Each class's total (and Unallocated) in cents, adding up to the proceeds exactly.

        Largest remainder, ties to the earlier class (interpretations: Money). The proceeds
        are whole cents by the time they reach the engine (:func:`proceeds_to_cents`).
        """
        return class_cents(self.totals, self.unallocated, self.proceeds)


@dataclass(frozen=True)
class _Series:
    """Per-series quantities of one cap table, precomputed once (all exact)."""

    name: str
    shares: int
    seniority: int
    as_converted: Fraction      # shares x OIP / CP (3(a)); exact inside a waterfall
    preference: Fraction        # shares x (multiple x OIP + unpaid dividends) (2(a))
    cash_owed: Fraction | None  # shares x (Cash Amount + unpaid dividends) (3(a))
    cap_total: Fraction | None  # shares x cap (2(b)); None if uncapped
    participates: bool


class Waterfall:
    """Section 2 for one cap table: ``distribute(proceeds, converting)``.

    ``conversion_prices`` maps series to Conversion Price (default: Original Issue Price,
    3(a)); ``unpaid_dividends`` maps series to unpaid dividends per share, added to both the
    2(a) preference and the 3(a) Cash Amount (default 0).
    """

    def __init__(
        self,
        cap_table: CapTable,
        conversion_prices: Mapping[str, Fraction] | None = None,
        unpaid_dividends: Mapping[str, Fraction] | None = None,
    ):
        self.cap_table = cap_table.validate()
        self.charter = cap_table.charter
        from .conversion import conversion_rate       # (conversion imports this module)

        self.conversion_prices = dict(conversion_prices or {})
        self.unpaid_dividends = dict(unpaid_dividends or {})
        for name, cp in self.conversion_prices.items():
            conversion_rate(self.charter.terms(name), cp, self.charter.clauses.get("conversion_election"))  # above 0
        for name, d in self.unpaid_dividends.items():
            if d < 0:
                raise CharterError(f"Series {name}: unpaid dividends per share cannot be negative, got {float(d)}",
                                   term="unpaid dividends", clause=self.charter.clauses.get("preference"))
        self.series: dict[str, _Series] = {}
        for name in cap_table.series_present:
            t = self.charter.terms(name)
            n = cap_table.shares(name)
            unpaid = self.unpaid_dividends.get(name, ZERO)
            self.series[name] = _Series(
                name=name,
                shares=n,
                seniority=t.seniority,
                as_converted=n * conversion_rate(t, self.conversion_prices.get(name)),
                preference=n * (t.preference_per_share + unpaid),     # multiple x OIP (NVCA 2.1; Quintus 1x)
                cash_owed=None if t.cash_amount is None else n * (t.cash_amount + unpaid),
                cap_total=None if t.participation != "capped" else n * t.cap,
                participates=t.participates,
            )
        self.common_shares = Fraction(cap_table.shares(COMMON))
        self.ranks = sorted({s.seniority for s in self.series.values()}, reverse=True)
        self._number, self.zero = exact, ZERO

    def in_floats(self) -> "Waterfall":
        """The same waterfall in binary floats: only for a first, filtered pass of the 3(a)
        search (``election.py``) and checks, never for an amount anyone is paid. Made once
        per waterfall."""
        if "_float_twin" in self.__dict__:
            return self._float_twin
        twin = copy.copy(self)
        f = lambda v: None if v is None else float(v)  # noqa: E731
        twin.series = {n: replace(s, as_converted=f(s.as_converted), preference=f(s.preference),
                                  cash_owed=f(s.cash_owed), cap_total=f(s.cap_total))
                       for n, s in self.series.items()}
        twin.common_shares = float(self.common_shares)
        twin._number, twin.zero = float, 0.0
        self._float_twin = twin
        return twin

    # -- the rules ------------------------------------------------------------------------

    def _cash_amounts(self, available: Fraction, converting) -> dict[str, Fraction]:
        """3(a) Cash Amounts of converting series, paid before Section 2; short: 3(c) ratably."""
        owed = {n: s.cash_owed for n, s in self.series.items() if n in converting and s.cash_owed}
        return pay_ratably(available, owed, self.zero)

    def _preferences(self, available: Fraction, converting) -> dict[str, Fraction]:
        """2(a): rank by rank, senior first; within a rank ratably to full preferential amounts."""
        paid: dict[str, Fraction] = {}
        for rank in self.ranks:
            owed = {n: s.preference for n, s in self.series.items()
                    if s.seniority == rank and n not in converting}
            got = pay_ratably(available, owed, self.zero)
            available -= sum(got.values(), self.zero)
            paid.update(got)
        return paid

    def participants(self, converting, preference: Mapping[str, Fraction]):
        """2(b) participants: as-converted Common weight, and room left under each cap.

        Converting series share as Common, uncapped (3(a)); participating series as preferred
        until "such holders shall have received an aggregate of $[cap] per share (including
        amounts paid pursuant to subsection (a))"; Common uncapped. Room None = no cap.
        """
        weight: dict[str, Fraction] = {}
        room: dict[str, Fraction | None] = {}
        for n, s in self.series.items():
            if n in converting:
                weight[n], room[n] = s.as_converted, None
            elif s.participates:
                left = None if s.cap_total is None else s.cap_total - preference.get(n, self.zero)
                if left is None or left > 0:
                    weight[n], room[n] = s.as_converted, left
        if self.common_shares:
            weight[COMMON], room[COMMON] = self.common_shares, None
        return weight, room

    def _participation(self, available: Fraction, converting, preference: Mapping[str, Fraction]):
        """2(b): pro rata on as-converted Common, each capped series until its cap.

        Returns (participation of non-converting series, as-Common amounts, unallocated).
        "Until ... such holders shall have received an aggregate of $10.375 ... (including
        amounts paid pursuant to subsection (a))": a series' room is cap x shares less its 2(a).
        """
        weight, room = self.participants(converting, preference)
        got, available = proviso_2b_until_cap(available, weight, room, self.zero)
        participation = {n: v for n, v in got.items() if n != COMMON and n not in converting}
        as_common = {n: v for n, v in got.items() if n == COMMON or n in converting}
        return participation, as_common, available

    # -- the whole waterfall ----------------------------------------------------------------

    def _amounts(self, proceeds, converting):
        """The rules in order: 3(a)/3(c), then 2(a), then 2(b)."""
        proceeds = proceeds_not_negative(self._number(proceeds), self.charter.clauses.get("liquidation"))
        converting = frozenset(converting) & self.series.keys()
        cash = self._cash_amounts(proceeds, converting)
        available = proceeds - sum(cash.values(), self.zero)
        pref = self._preferences(available, converting)
        available -= sum(pref.values(), self.zero)
        part, as_common, unallocated = self._participation(available, converting, pref)
        return proceeds, converting, cash, pref, part, as_common, unallocated

    def totals(self, proceeds, converting: Iterable[str] = ()) -> dict:
        """Each class's total payout only (what the 3(a) search compares)."""
        return self.totals_and_unallocated(proceeds, converting)[0]

    def totals_and_unallocated(self, proceeds, converting: Iterable[str] = ()) -> tuple[dict, Fraction]:
        """Each class's total payout (charter order), and what is Unallocated."""
        _, _, *amounts, unallocated = self._amounts(proceeds, converting)
        out = dict.fromkeys(self.cap_table.classes_present, self.zero)
        for paid in amounts:
            for cls, v in paid.items():
                if v:                                      # (nothing added to a zero)
                    out[cls] = out[cls] + v if out[cls] else v
        return out, unallocated

    def distribute(self, proceeds, converting: Iterable[str] = ()) -> Distribution:
        """Section 2 on ``proceeds`` (exact) with the series in ``converting`` converted."""
        proceeds, converting, cash, pref, part, as_common, unallocated = self._amounts(proceeds, converting)
        classes = []
        for cls in self.cap_table.classes_present:
            classes.append(ClassPayout(
                cls=cls,
                shares=self.cap_table.shares(cls),
                converts=cls in converting,
                cash_amount=cash.get(cls, self.zero),
                preference=pref.get(cls, self.zero),
                participation=part.get(cls, self.zero),
                as_common=as_common.get(cls, self.zero),
            ))
        return Distribution(proceeds, converting, tuple(classes), unallocated)


def class_cents(totals: Mapping[str, Fraction], unallocated: Fraction, proceeds: Fraction) -> dict[str, int]:
    """Class totals (charter order) and Unallocated, if any, as cents adding up to the
    proceeds: largest remainder, ties to the earlier class (interpretations: Money)."""
    names = list(totals) + ([UNALLOCATED] if unallocated else [])
    parts = list(totals.values()) + ([unallocated] if unallocated else [])
    return dict(zip(names, largest_remainder_cents(parts, to_cents(proceeds))))


def proceeds_not_negative(proceeds, clause: str | None = None):
    """Section 2 divides "the assets of this corporation available for distribution to its
    stockholders" (2(a)-(c)): an amount that is never below zero. The one check of it; exit
    analysis (``proceeds_to_cents``, the sweep) asks here. ``clause``: where the charter in
    force states it (its terms' ``liquidation`` clause), named in the message when given."""
    if proceeds < 0:
        raise CharterError(f"proceeds cannot be negative, got {float(proceeds):g}", term="proceeds", clause=clause)
    return proceeds


# 2(b): "the remaining assets ... shall be distributed among the holders of Series E Preferred
# Stock, Series F Preferred Stock, Series G Preferred Stock and Common Stock pro rata based on
# the number of shares of Common Stock held by each (assuming full conversion ...) until, with
# respect to the holders of Series E Preferred Stock, Series F Preferred Stock, Series G-1
# Preferred Stock, ... such holders shall have received an aggregate of $10.375, $12.375,
# $6.436, ... per share respectively ... (including amounts paid pursuant to subsection (a) of
# this Section 2); thereafter, if assets remain ..., the holders of the Common Stock ... shall
# receive all of the remaining assets"
def proviso_2b_until_cap(available, weight: Mapping[str, Fraction], room: Mapping[str, Fraction | None], zero=ZERO):
    """Share ``available`` pro rata to ``weight`` (as-converted Common), each participant
    with a ``room`` (what its cap still allows, 2(a) amounts counted) only until it is full;
    those without one (None: Common, converted series, uncapped series) take the rest.

    Returns (what each participant got, what is left when every one left is capped and full:
    Unallocated). Level by level: everyone takes the lowest cap's amount per as-converted
    share, the series whose cap that is drop out, and the rest goes round again. A series'
    cap, as an amount per as-converted share, is its room over its weight, fixed from the
    start: the levels are sorted once, and each participant is paid once, at the level where
    it stopped (its cap) or where the money ran out. Whether the money reaches a level is
    asked of the whole amount (what the capped were paid, plus the level times the weight
    still active), not of a running remainder, so no fraction's denominator grows.
    """
    got = {n: zero for n in weight}
    active = {n: w for n, w in weight.items() if w > 0}
    levels: dict = {}
    for n, w in active.items():
        if room[n] is not None:
            levels.setdefault(room[n] / w, []).append(n)
    full = zero                             # paid to the participants already at their caps
    total_weight = sum(active.values(), zero)
    for cap in sorted(levels):
        # everyone still active brought to this cap takes cap x their weight, beside what
        # those capped below it were paid (sums of rooms: no fraction grows from level to level)
        if available <= full + cap * total_weight:          # the money runs out at or below this cap
            break
        for n in levels[cap]:               # full: "until ... such holders shall have received"
            got[n] = room[n]
            full += room[n]
            total_weight -= active.pop(n)
    if not active:                          # every participant capped and full: the rest Unallocated
        return got, available - full
    level = (available - full) / total_weight              # per as-converted share, to everyone active
    for n, w in active.items():
        got[n] = level * w
    return got, zero


def pay_ratably(available: Fraction, owed: Mapping[str, Fraction], zero=ZERO) -> dict[str, Fraction]:
    """Pay ``owed`` in full, or if ``available`` is short, ratably to the amounts owed.

    The one shortfall rule of 2(a) ("ratably ... in proportion to the full preferential
    amount") and 3(c) ("applied ratably to the payment of the Cash Amounts").
    """
    total = sum(owed.values(), zero)
    if total <= available:
        return dict(owed)
    if available <= 0:
        return {n: zero for n in owed}
    return {n: available * v / total for n, v in owed.items()}


# -- Options and warrants (excel-functions.md, "Options and warrants in a cap table") ----------
# The charter says nothing of when a holder exercises; the product's reading (a holder
# exercises exactly when it pays) is the spec's, and the choice of every tranche together
# is solved in ``xl_quintus.exit.exercise``. These are the two rules it applies.

def exercised_when(payout_per_share: Fraction, exercise_price: Fraction) -> bool:
    """An instrument "is exercised when the payout per share of what it buys exceeds its
    exercise price, and not otherwise (equal: not exercised)"."""
    return payout_per_share > exercise_price


def proceeds_with_exercise(proceeds: Fraction, tranches) -> Fraction:
    """2(a) distributes "the assets of this corporation": the exercise prices paid by the
    ``tranches`` exercised are assets once paid, so they join the proceeds ("the exercise
    prices paid join the proceeds", and each holder keeps the payout less the price)."""
    return proceeds + sum((t.exercise_paid for t in tranches), ZERO)
