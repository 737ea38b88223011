"""One fixed election's Section 2 payouts as exact linear pieces between breakpoints.

Under a fixed election the waterfall is continuous and piecewise linear in the proceeds: it
bends only where a tier of 3(a)/2(a) is paid in full or a 2(b) cap binds.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cached_property
from fractions import Fraction
from typing import Sequence

import numpy as np

from ..errors import CharterError
from ..charter.liquidation import UNALLOCATED, Waterfall, proceeds_not_negative
from ..numbers import ZERO, exact, round_to_cent


@dataclass(frozen=True)
class Breakpoint:
    """An exit value where the share of the next dollar changes.

    Attributes:
        exit_value: the proceeds, exact.
        event: what happens there, in the charter's words.
        clause: where the charter says so.
    """

    exit_value: Fraction
    event: str
    clause: str


def proceeds_to_cents(value) -> Fraction:
    """Proceeds rounded to a whole cent, half-up, before any waterfall (interpretations: Money)."""
    try:
        x = exact(value)
    except (ValueError, TypeError, ArithmeticError):
        raise CharterError(f'"{value}" is not an amount of money', term="proceeds") from None
    return round_to_cent(proceeds_not_negative(x))


def _series_list(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]



@dataclass(frozen=True)
class _Tier:
    """One stretch of the proceeds Section 2 pays the same way: ``size`` dollars, shared
    among ``share`` (column -> numerator, over ``denominator``). ``rule`` and ``names`` say
    what is paid in full where it ends (the breakpoint's event); ``level`` is the 2(b)
    amount per as-converted share reached there (participation tiers)."""

    size: Fraction | None               # None: the last, unbounded stretch
    share: dict
    denominator: Fraction
    rule: str
    names: tuple = ()
    level: Fraction | None = None


class Piecewise:
    """One fixed election's payouts, exact, as linear pieces between breakpoints.

    The pieces come from the order Section 2 pays in (:meth:`_tiers_of`): 3(a)/3(c) Cash
    Amounts ratably to the amounts owed, then each 2(a) rank ratably to its preferences,
    then 2(b) pro rata on as-converted shares as each cap is reached, the rest Unallocated
    when nobody can take it. A class's total at a breakpoint is then a closed form (its Cash
    Amount and preference once their tiers are passed, plus its as-converted shares times
    the 2(b) amount per share reached, up to its cap), computed exactly only for the classes
    and points asked for; the first passes read the same forms in floats.

    The forms are held to Section 2 as the engine applies it (:meth:`_check`): exactly, one
    whole distribution beyond the last breakpoint; in floats, the middle of every piece. A
    form that disagrees is a defect, refused in one line, never paid out.
    """

    def __init__(self, waterfall: Waterfall, converting: frozenset):
        self.waterfall = waterfall
        self.converting = converting
        self.classes = list(waterfall.cap_table.classes_present) + [UNALLOCATED]
        self._tiers = self._tiers_of()
        points = [ZERO]
        for tier in self._tiers[:-1]:
            points.append(points[-1] + tier.size)
        self.points = points
        self._exact: dict = {}
        self._check()
        last = len(points) - 1
        self.slope_after = [self._slope(last, j) for j in range(len(self.classes))]

    def _check(self):
        """The forms against Section 2 as the engine applies it: beyond the last breakpoint
        one whole distribution, exactly (every tier paid, the last share of each dollar);
        at the middle of every piece the engine in floats (a tier out of order, merged with
        another, too long or too short, or shared wrongly, shows there by far more than a
        float's error). A disagreement is a defect: refused, never paid out."""
        w, conv = self.waterfall, self.converting
        last = len(self.points) - 1
        totals, unallocated = w.totals_and_unallocated(self.points[-1] + 1, conv)
        after = [*totals.values(), unallocated]
        wrong = [self.classes[j] for j, v in enumerate(after) if self._value(last, j) + self._slope(last, j) != v]
        if not wrong:
            fw = w.in_floats()
            points, base, slope = self.float_rows
            for i in range(last):
                x = (points[i] + points[i + 1]) / 2
                engine = list(fw.totals(x, conv).values())
                engine.append(x - sum(engine))                               # Unallocated
                form = [b + s * (x - points[i]) for b, s in zip(base[i], slope[i])]
                tol = 1e-6 + 1e-9 * x
                wrong = [self.classes[j] for j, (a, b) in enumerate(zip(form, engine)) if abs(a - b) > tol]
                if wrong:
                    break
        if wrong:
            raise CharterError(f"the breakpoints drawn for {', '.join(sorted(conv)) or 'no conversions'} do not "
                               f"match the liquidation waterfall for {', '.join(wrong)} (a defect; please report it)")

    def _tiers_of(self) -> list[_Tier]:
        """Section 2's order of payment for this election, tier by tier; the last tier is
        what the next dollar does beyond every breakpoint."""
        w, conv = self.waterfall, self.converting
        col = {c: i for i, c in enumerate(self.classes)}
        self._form = form = {}            # column -> (cash, tier), (preference, tier), (weight, cap level)
        tiers: list[_Tier] = []
        # 3(a)/3(c): converting series with a Cash Amount are paid it first, ratably
        cash = {n: s.cash_owed for n, s in w.series.items() if n in conv and s.cash_owed}
        total = sum(cash.values(), ZERO)
        if total:
            for n, v in cash.items():
                form.setdefault(col[n], {})["cash"] = (v, len(tiers))
            tiers.append(_Tier(total, {col[n]: v for n, v in cash.items()}, total, "cash_amounts", tuple(cash)))
        # 2(a): rank by rank, senior first, each ratably to its preferences
        preference = {}
        for rank in w.ranks:
            tier = {n: s.preference for n, s in w.series.items() if s.seniority == rank and n not in conv}
            owed = sum(tier.values(), ZERO)
            if owed:
                for n, v in tier.items():
                    form.setdefault(col[n], {})["preference"] = (v, len(tiers))
                tiers.append(_Tier(owed, {col[n]: v for n, v in tier.items()}, owed, "preference", tuple(tier)))
                preference.update(tier)
        # 2(b): pro rata on as-converted shares, each capped series until its cap
        weight, room = w.participants(conv, preference)
        if any(n not in col for n in weight):       # (a participant is a class: a defect otherwise)
            raise CharterError(f"a participant of the liquidation waterfall is not a class of the cap table: "
                               f"{sorted(set(weight) - set(col))} (a defect; please report it)")
        active = {col[n]: v for n, v in weight.items() if v > 0}
        levels: dict[Fraction, list[int]] = {}
        for n, r in room.items():
            j = col[n]
            if j in active:
                level = None if r is None else r / active[j]
                form.setdefault(j, {})["participation"] = (active[j], level)
                if level is not None:
                    levels.setdefault(level, []).append(j)
        reached = ZERO
        aw = sum(active.values(), ZERO)
        for level in sorted(levels):
            names = tuple(self.classes[j] for j in levels[level])
            tiers.append(_Tier((level - reached) * aw, dict(active), aw, "participation", names, level))
            reached = level
            for j in levels[level]:
                aw -= active.pop(j)
        if aw:
            tiers.append(_Tier(None, dict(active), aw, "rest"))
        else:          # no Common and no uncapped participant: 2(b) has no one left to pay
            tiers.append(_Tier(None, {col[UNALLOCATED]: Fraction(1)}, Fraction(1), "unallocated"))
        if any(t.size <= 0 for t in tiers[:-1]):     # (every tier is paid something: a defect otherwise)
            raise CharterError("a tier of the liquidation waterfall takes no proceeds; cannot draw its breakpoints (a defect; please report it)")
        self._reached = [ZERO]
        for t in tiers[:-1]:
            self._reached.append(t.level if t.level is not None else self._reached[-1])
        return tiers

    def _value(self, i: int, j: int) -> Fraction:
        """Column ``j``'s exact total at breakpoint ``i`` (:func:`_closed_form`)."""
        key = (i, j)
        got = self._exact.get(key)
        if got is None:
            got = self._exact[key] = _closed_form(self._form.get(j, {}), self._reached[i], i, ZERO)
        return got

    def _slope(self, i: int, j: int) -> Fraction:
        """Column ``j``'s exact share of the next dollar on segment ``i``."""
        key = (i, j, 1)
        got = self._exact.get(key)
        if got is None:
            tier = self._tiers[i]
            num = tier.share.get(j)
            got = self._exact[key] = ZERO if num is None else num / tier.denominator
        return got

    @cached_property
    def values(self) -> list[list[Fraction]]:
        """Exact class totals (then Unallocated) at each breakpoint."""
        return [[self._value(i, j) for j in range(len(self.classes))] for i in range(len(self.points))]

    @cached_property
    def slopes(self) -> list[list[Fraction]]:
        """Exact share of the next dollar per class on each segment."""
        return [[self._slope(i, j) for j in range(len(self.classes))] for i in range(len(self.points))]

    @cached_property
    def events(self) -> list[Breakpoint]:
        """Where the next dollar's split changes (3(a)/3(c), 2(a) tiers, 2(b) caps), in the
        charter's words, one per breakpoint."""
        charter = self.waterfall.charter                    # every clause as its terms give it
        cite = charter.cite("participation")
        out = []
        for x, tier in zip(self.points[1:], self._tiers):
            if tier.rule == "cash_amounts":
                out.append(Breakpoint(x, f"Cash Amounts of {_series_list(tier.names)} paid in full",
                                      charter.clause("cash_amounts")))
            elif tier.rule == "preference":
                out.append(Breakpoint(x, f"Liquidation preference of {_series_list(tier.names)} paid in full",
                                      charter.clause("preference")))
            else:
                caps = ", ".join(f"${float(charter.terms(n).cap):g}" for n in tier.names)
                cap = f"the {cite} cap" if cite else "their participation cap"
                out.append(Breakpoint(x, f"{_series_list(tier.names)} reach {cap} ({caps} per share)",
                                      charter.clause("participation")))
        if self._tiers[-1].rule == "unallocated":
            who = f"{cite} participant" if cite else "participant"
            event = f"Every {who} is capped and no Common is outstanding: the rest is Unallocated"
            if out:
                m = out[-1]
                out[-1] = Breakpoint(m.exit_value, f"{m.event}; {event}", f"{m.clause}; {charter.clause('participation')}")
        return out

    @cached_property
    def float_rows(self) -> tuple[list[float], list[list[float]], list[list[float]]]:
        """Segment starts, start values and slopes in floats (first passes only), from the
        same closed forms in floats (:func:`_closed_form` on the forms' floats: a few
        roundings each, far inside the tolerances the first passes allow; the same code the
        exact totals run, so the check of the floats in :meth:`_check` checks it too)."""
        points = [float(p) for p in self.points]
        n = len(self.classes)
        reached = [float(r) for r in self._reached]
        forms = {j: {rule: (float(v), at if rule != "participation" or at is None else float(at))
                     for rule, (v, at) in form.items()} for j, form in self._form.items()}
        base = [[_closed_form(forms[j], r, i, 0.0) if j in forms else 0.0 for j in range(n)]
                for i, r in enumerate(reached)]
        slopes = []
        for tier in self._tiers:
            row = [0.0] * n
            d = float(tier.denominator)
            for j, v in tier.share.items():
                row[j] = float(v) / d
            slopes.append(row)
        return points, base, slopes

    @cached_property
    def float_arrays(self) -> dict:
        """For a sweep, per segment: start values, slopes, and which classes are paid a
        whole number of cents at every whole-cent exit value there (so their cents are
        trusted), and exact twins (see ``_twins``)."""
        points = [float(p) for p in self.points]        # from the exact rows: the sweep's bounds assume one rounding
        base = [[float(v) for v in row] for row in self.values]
        slope = [[float(v) for v in row] for row in self.slopes]
        n = len(points)
        return {
            "points": np.array(points),
            "base": np.array(base).reshape(n, -1),
            "slope": np.array(slope).reshape(n, -1),
            "twin": np.array([_twins(row, srow, p) for p, row, srow in zip(self.points, self.values, self.slopes)]),
            # cents = v*100 + slope*(c - p*100) is whole for every whole c when the
            # slope and the intercept v*100 - slope*p*100 are whole
            "whole": np.array([[sl.denominator == 1 and (v * 100 - sl * p * 100).denominator == 1
                                for v, sl in zip(row, srow)]
                               for p, row, srow in zip(self.points, self.values, self.slopes)], dtype=bool).reshape(n, -1),
        }

    def at_float(self, x: float, only=None):
        """Class totals at ``x`` in floats (for a certified first pass only); with ``only``,
        a dict of just those class indices."""
        points, base, slope = self.float_rows
        i = bisect.bisect_right(points, x) - 1
        if only is not None:
            b, s, dx = base[i], slope[i], x - points[i]
            return {j: b[j] + s[j] * dx for j in only}
        return [b + s * (x - points[i]) for b, s in zip(base[i], slope[i])]

    def at(self, x: Fraction, only=None):
        """Exact class totals (then Unallocated) at proceeds ``x``; with ``only``, a dict
        of just those class indices."""
        i = bisect.bisect_right(self.points, x) - 1
        idx = range(len(self.classes)) if only is None else only
        dx = x - self.points[i]
        got = {}
        for j in idx:
            b = self._value(i, j)
            if dx:
                s = self._slope(i, j)
                if s:
                    b = b + s * dx
            got[j] = b
        return list(got.values()) if only is None else got

    def slope(self, x: Fraction) -> list[Fraction]:
        """Share of the next dollar each class takes just above ``x``."""
        i = bisect.bisect_right(self.points, x) - 1
        if i == len(self.points) - 1:
            return list(self.slope_after)
        return [self._slope(i, j) for j in range(len(self.classes))]


def _closed_form(form: dict, reached, i: int, zero):
    """A class's total at breakpoint ``i``, exact or in floats (as ``form``, ``reached`` and
    ``zero`` are): its Cash Amount (3(a)) and its preference (2(a)) once the tier that pays
    each is passed, plus its as-converted shares times ``reached``, the 2(b) amount per
    as-converted share reached there, up to its cap ("until ... such holders shall have
    received"). ``form``: rule -> (amount or weight, the paying tier or the cap level)."""
    got = None                                       # (no term yet: nothing added to a zero)
    for rule, (v, at) in form.items():
        if rule == "participation":                  # at: the cap level, per as-converted share
            if not reached:
                continue
            term = v * (reached if at is None or reached < at else at)
        elif i > at:                                 # at: the tier that pays it
            term = v
        else:
            continue
        got = term if got is None else got + term
    return zero if got is None else got


def _twins(values, slopes, p) -> list[int]:
    """For each class, the first class whose remainder in cents always equals its own on
    this segment (same slope, intercepts a whole number of cents apart), else itself."""
    twin = list(range(len(values)))
    for j in range(len(values)):
        for i in range(j):
            if slopes[i] == slopes[j] and ((values[j] - values[i]) * 100).denominator == 1 \
                    and (slopes[j] * 100).denominator == (slopes[i] * 100).denominator:
                twin[j] = twin[i]
                break
    return twin


