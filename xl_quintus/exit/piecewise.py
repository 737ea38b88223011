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
from ..charter.liquidation import UNALLOCATED, Distribution, Waterfall, proceeds_not_negative
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



class Piecewise:
    """One fixed election's payouts, exact, as linear pieces between breakpoints."""

    def __init__(self, waterfall: Waterfall, converting: frozenset):
        self.waterfall = waterfall
        self.converting = converting
        self.events = self._breakpoints()
        self.points = [ZERO] + [b.exit_value for b in self.events]
        self.classes = list(waterfall.cap_table.classes_present) + [UNALLOCATED]
        after = self._vector(waterfall.distribute(self.points[-1] + 1, converting))
        walked = self._walk()
        if walked is not None and walked[0] == self.points \
                and [v + s for v, s in zip(walked[1][-1], walked[2][-1])] == after:
            self.values, self.__dict__["slopes"] = walked[1], walked[2]
        else:                  # the tiers did not explain the waterfall: one distribution a point
            self.values = [self._vector(waterfall.distribute(p, converting)) for p in self.points]
        self.slope_after = [a - b for a, b in zip(after, self.values[-1])]

    def _walk(self):
        """Each class's total as a function of the proceeds, from the order Section 2 pays in
        (the tiers of :meth:`_breakpoints`): 3(a)/3(c) Cash Amounts ratably to the amounts
        owed, then each 2(a) rank ratably to its preferences, then 2(b) pro rata on
        as-converted shares as each cap is reached, the rest Unallocated when nobody can take
        it. A few exact operations per tier instead of a whole distribution per breakpoint;
        checked against one distribution (``__init__``), which it must equal exactly."""
        w, conv = self.waterfall, self.converting
        col = {c: i for i, c in enumerate(self.classes)}
        # (dollars the tier takes, share of each, what each is paid over the whole tier)
        tiers: list[tuple[Fraction, dict, dict]] = []
        cash = {n: s.cash_owed for n, s in w.series.items() if n in conv and s.cash_owed}
        total = sum(cash.values(), ZERO)
        if total:
            tiers.append((total, {n: v / total for n, v in cash.items()}, cash))
        preference = {}
        for rank in w.ranks:
            tier = {n: s.preference for n, s in w.series.items() if s.seniority == rank and n not in conv}
            owed = sum(tier.values(), ZERO)
            if owed:
                tiers.append((owed, {n: v / owed for n, v in tier.items()}, tier))
                preference.update(tier)
        weight, room = w.participants(conv, preference)
        active = {n: v for n, v in weight.items() if v > 0}
        levels: dict[Fraction, list[str]] = {}
        for n, r in room.items():
            if r is not None and n in active:
                levels.setdefault(r / active[n], []).append(n)
        reached = ZERO
        aw = sum(active.values(), ZERO)
        for level in sorted(levels):
            step = level - reached                          # per as-converted share
            tiers.append((step * aw, {n: v / aw for n, v in active.items()}, {n: v * step for n, v in active.items()}))
            reached = level
            for n in levels[level]:
                aw -= active.pop(n)
        last = {n: v / aw for n, v in active.items()} if aw else {UNALLOCATED: Fraction(1)}
        if any(n not in col for t in tiers for n in t[1]) or any(n not in col for n in last):
            return None
        # (points, values at each, slope after each): tier by tier from nothing paid
        points, values, slopes = [ZERO], [[ZERO] * len(self.classes)], []
        for size, share, paid in tiers + [(None, last, None)]:
            slope = [ZERO] * len(self.classes)
            for n, f in share.items():
                slope[col[n]] = f
            slopes.append(slope)
            if size is not None:
                points.append(points[-1] + size)
                row = list(values[-1])
                for n, v in paid.items():                   # share x size, exactly
                    row[col[n]] += v
                values.append(row)
        return points, values, slopes

    @staticmethod
    def _vector(d: Distribution) -> list[Fraction]:
        return [c.total for c in d.classes] + [d.unallocated]

    def _breakpoints(self) -> list[Breakpoint]:
        """Where the next dollar's split changes (3(a)/3(c), 2(a) tiers, 2(b) caps)."""
        w, conv = self.waterfall, self.converting
        charter = w.charter                     # every clause as its terms give it
        out: list[Breakpoint] = []
        x = ZERO
        cash = [n for n, s in w.series.items() if n in conv and s.cash_owed]
        if cash:
            x += sum(w.series[n].cash_owed for n in cash)
            out.append(Breakpoint(x, f"Cash Amounts of {_series_list(cash)} paid in full", charter.clause("cash_amounts")))
        preference = {}
        for rank in w.ranks:
            tier = [n for n, s in w.series.items() if s.seniority == rank and n not in conv]
            owed = sum((w.series[n].preference for n in tier), ZERO)
            if owed:
                x += owed
                preference.update({n: w.series[n].preference for n in tier})
                out.append(Breakpoint(x, f"Liquidation preference of {_series_list(tier)} paid in full",
                                      charter.clause("preference")))
        weight, room = w.participants(conv, preference)
        active_weight = sum(weight.values(), ZERO)
        levels: dict[Fraction, list[str]] = {}
        for n, r in room.items():
            if r is not None and weight[n] > 0:
                levels.setdefault(r / weight[n], []).append(n)
        reached = ZERO
        cite = charter.cite("participation")
        for level in sorted(levels):
            x += (level - reached) * active_weight
            reached = level
            names = levels[level]
            caps = ", ".join(f"${float(w.charter.terms(n).cap):g}" for n in names)
            cap = f"the {cite} cap" if cite else "their participation cap"
            out.append(Breakpoint(x, f"{_series_list(names)} reach {cap} ({caps} per share)", charter.clause("participation")))
            active_weight -= sum(weight[n] for n in names)
        if active_weight == 0:
            # no Common and no uncapped participant: 2(b) has no one left to pay
            who = f"{cite} participant" if cite else "participant"
            out.append(Breakpoint(x, f"Every {who} is capped and no Common is outstanding: the rest is Unallocated",
                                  charter.clause("participation")))
        # merge events at the same exit value
        merged: list[Breakpoint] = []
        for b in out:
            if merged and merged[-1].exit_value == b.exit_value:
                m = merged[-1]
                merged[-1] = Breakpoint(m.exit_value, f"{m.event}; {b.event}", f"{m.clause}; {b.clause}")
            elif b.exit_value > 0:
                merged.append(b)
        return merged

    @cached_property
    def slopes(self) -> list[list[Fraction]]:
        """Exact share of the next dollar per class on each segment."""
        return [self.slope(p) for p in self.points]

    @cached_property
    def float_rows(self) -> tuple[list[float], list[list[float]], list[list[float]]]:
        """Segment starts, start values and slopes in floats (first passes only)."""
        return ([float(p) for p in self.points],
                [[float(v) for v in row] for row in self.values],
                [[float(v) for v in row] for row in self.slopes])

    @cached_property
    def float_arrays(self) -> dict:
        """For a sweep, per segment: start values, slopes, and which classes are paid a
        whole number of cents at every whole-cent exit value there (so their cents are
        trusted), and exact twins (see ``_twins``)."""
        points, base, slope = self.float_rows
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
        base, slope = self.values[i], self.slopes[i]
        got = {j: base[j] + slope[j] * dx if dx and slope[j] else base[j] for j in idx}
        return list(got.values()) if only is None else got

    def slope(self, x: Fraction) -> list[Fraction]:
        """Share of the next dollar each class takes just above ``x``."""
        i = bisect.bisect_right(self.points, x) - 1
        if i == len(self.points) - 1:
            return list(self.slope_after)
        x0, x1 = self.points[i], self.points[i + 1]
        return [(b - a) / (x1 - x0) for a, b in zip(self.values[i], self.values[i + 1])]


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


