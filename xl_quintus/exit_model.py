"""Payouts as functions of the exit value: breakpoints, the ``optimal`` election map, sweeps.

Under a fixed election Section 2 is continuous and piecewise linear in the proceeds: it
bends only where a tier of 3(a)/2(a) is paid in full or a 2(b) cap binds
(:class:`Piecewise`). Under ``optimal`` the election itself changes with the proceeds, and
payouts can jump there; :class:`ExitModel` finds every such point exactly (see
``_refine``) so that a sweep never interpolates across one.

A sweep (:meth:`ExitModel.sweep_cents`) evaluates in numpy and then repeats in exact
arithmetic every value whose cents a float could get wrong (a part within a hair of a
whole cent, two remainders nearly tied, proceeds near half a cent), so its cents equal the
exact engine's, value for value.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

from .cap_table import CapTable
from .election import OPTIMAL, Election, OptimalElection, fixed_election, groups_present
from .errors import CharterError
from .liquidation import UNALLOCATED, Distribution, Waterfall
from .numbers import ZERO, exact, largest_remainder_cents, round_to_cent
from .terms import COMMON


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
        raise CharterError(f'"{value}" is not an amount of money', "proceeds") from None
    if x < 0:
        raise CharterError(f"proceeds cannot be negative, got {value}", "proceeds")
    return round_to_cent(x)


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
        self.values = [self._vector(waterfall.distribute(p, converting)) for p in self.points]
        after = self._vector(waterfall.distribute(self.points[-1] + 1, converting))
        self.slope_after = [a - b for a, b in zip(after, self.values[-1])]

    @staticmethod
    def _vector(d: Distribution) -> list[Fraction]:
        return [c.total for c in d.classes] + [d.unallocated]

    def _breakpoints(self) -> list[Breakpoint]:
        """Where the next dollar's split changes (3(a)/3(c), 2(a) tiers, 2(b) caps)."""
        w, conv = self.waterfall, self.converting
        out: list[Breakpoint] = []
        x = ZERO
        cash = [n for n, s in w.series.items() if n in conv and s.cash_owed]
        if cash:
            x += sum(w.series[n].cash_owed for n in cash)
            out.append(Breakpoint(x, f"Cash Amounts of {_series_list(cash)} paid in full", "IV.B.3(a), 3(c)"))
        preference = {}
        for rank in w.ranks:
            tier = [n for n, s in w.series.items() if s.seniority == rank and n not in conv]
            owed = sum((w.series[n].preference for n in tier), ZERO)
            if owed:
                x += owed
                preference.update({n: w.series[n].preference for n in tier})
                out.append(Breakpoint(x, f"Liquidation preference of {_series_list(tier)} paid in full", "IV.B.2(a)"))
        weight, room = w.participants(conv, preference)
        active_weight = sum(weight.values(), ZERO)
        levels: dict[Fraction, list[str]] = {}
        for n, r in room.items():
            if r is not None and weight[n] > 0:
                levels.setdefault(r / weight[n], []).append(n)
        reached = ZERO
        for level in sorted(levels):
            x += (level - reached) * active_weight
            reached = level
            names = levels[level]
            caps = ", ".join(f"${float(w.charter.terms(n).cap):g}" for n in names)
            out.append(Breakpoint(x, f"{_series_list(names)} reach the 2(b) cap ({caps} per share)", "IV.B.2(b)"))
            active_weight -= sum(weight[n] for n in names)
        if active_weight == 0:
            # no Common and no uncapped participant: 2(b) has no one left to pay
            out.append(Breakpoint(x, "Every 2(b) participant is capped and no Common is outstanding: the rest is Unallocated", "IV.B.2(b)"))
        # merge events at the same exit value
        merged: list[Breakpoint] = []
        for b in out:
            if merged and merged[-1].exit_value == b.exit_value:
                m = merged[-1]
                merged[-1] = Breakpoint(m.exit_value, f"{m.event}; {b.event}", f"{m.clause}; {b.clause}")
            elif b.exit_value > 0:
                merged.append(b)
        return merged

    def float_arrays(self) -> dict:
        """Per segment: start values, slopes, and which classes are paid a whole number of
        cents at every whole-cent exit value there (so a float sweep may trust them)."""
        if not hasattr(self, "_float"):
            n = len(self.points)
            slopes = [self.slope(p) for p in self.points]
            self._float = {
                "points": np.array([float(p) for p in self.points]),
                "base": np.array([[float(v) for v in row] for row in self.values]).reshape(n, -1),
                "slope": np.array([[float(v) for v in row] for row in slopes]).reshape(n, -1),
                # cents = v*100 + slope*(c - p*100) is whole for every whole c when the
                # slope and the intercept v*100 - slope*p*100 are whole
                "twin": np.array([_twins(row, srow, p) for p, row, srow in zip(self.points, self.values, slopes)]),
                "whole": np.array([[sl.denominator == 1 and (v * 100 - sl * p * 100).denominator == 1
                                    for v, sl in zip(row, srow)]
                                   for p, row, srow in zip(self.points, self.values, slopes)], dtype=bool).reshape(n, -1),
            }
        return self._float

    def at(self, x: Fraction) -> list[Fraction]:
        """Exact class totals (then Unallocated) at proceeds ``x``."""
        i = bisect.bisect_right(self.points, x) - 1
        if i == len(self.points) - 1:
            return [v + s * (x - self.points[i]) for v, s in zip(self.values[i], self.slope_after)]
        x0, x1 = self.points[i], self.points[i + 1]
        t = (x - x0) / (x1 - x0)
        return [a + (b - a) * t for a, b in zip(self.values[i], self.values[i + 1])]

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


class ExitModel:
    """A cap table under one election mode, for any exit value.

    ``conversions`` is "optimal", "none", "all" or an iterable of series names.
    """

    def __init__(self, waterfall: Waterfall, conversions="optimal"):
        self.waterfall = waterfall
        self.cap_table: CapTable = waterfall.cap_table
        self.mode = conversions if isinstance(conversions, str) else "list"
        self.fixed = None if conversions == OPTIMAL else fixed_election(self.cap_table, conversions)
        self._pieces: dict[frozenset, Piecewise] = {}
        self._map = None
        classes = self.cap_table.classes_present
        agg: dict[tuple[str, str], int] = {}
        for h in self.cap_table.holdings:
            agg[(h.cls, h.holder_key)] = agg.get((h.cls, h.holder_key), 0) + h.shares
        # shares of each class by holder, aggregated over rows, in input order
        self.holdings_by_class = {c: [(k[1], n) for k, n in agg.items() if k[0] == c] for c in classes}

    # -- exact, one exit value ----------------------------------------------------------------

    def election(self, proceeds: Fraction) -> Election:
        if self.fixed is not None:
            return self.fixed
        w = self.waterfall

        def evaluate(state):
            return {c.cls: c.total for c in w.distribute(proceeds, state).classes}

        return OptimalElection(self.cap_table, evaluate).run()

    def distribution(self, proceeds) -> tuple[Distribution, Election]:
        """The exact waterfall at ``proceeds`` (rounded to the cent first)."""
        x = proceeds_to_cents(proceeds)
        election = self.election(x)
        return self.waterfall.distribute(x, election.converting), election

    def holder_cents(self, dist: Distribution) -> dict[str, dict[str, int]]:
        """Cents per class per holder: each class's cents split among its holders by
        largest remainder (ties to the earlier holder in the input)."""
        class_cents = dist.class_cents()
        out: dict[str, dict[str, int]] = {}
        for c in dist.classes:
            holders = self.holdings_by_class[c.cls]
            parts = [c.total * n / c.shares for _, n in holders]
            for (holder, _), cents in zip(holders, largest_remainder_cents(parts, class_cents[c.cls])):
                out.setdefault(holder, {})[c.cls] = cents
        return out

    def payout_cents(self, proceeds, who: "Who") -> int:
        dist, _ = self.distribution(proceeds)
        return who.cents(self, dist)

    # -- piecewise -----------------------------------------------------------------------------

    def piecewise(self, state: frozenset) -> Piecewise:
        if state not in self._pieces:
            self._pieces[state] = Piecewise(self.waterfall, state)
        return self._pieces[state]

    def _pw_evaluator(self, x: Fraction):
        classes = self.cap_table.classes_present
        return lambda state: dict(zip(classes, self.piecewise(state).at(x)))

    def _optimal_at(self, x: Fraction, consulted=None) -> Election:
        return OptimalElection(self.cap_table, self._pw_evaluator(x)).run(consulted)

    def election_map(self):
        """(points, point elections, interval elections) for the whole line of exit values.

        Interval i is (points[i], points[i+1]), the last one unbounded. Inside an interval
        every function the 3(a) search consults is linear and keeps its sign, so the search
        takes the same path throughout and the election is constant; at the points
        themselves it is computed on its own.
        """
        if self._map is None:
            if self.fixed is not None:
                self._map = ([ZERO], [self.fixed], [self.fixed])
            else:
                self._map = self._refine()
        return self._map

    def _refine(self):
        classes = list(self.cap_table.classes_present)
        points = set(self.piecewise(frozenset()).points)
        settled: dict[tuple, Election] = {}     # intervals whose search found no new point
        for _ in range(200):
            srt = sorted(points)
            new: set[Fraction] = set()
            intervals = []
            for a, b in zip(srt, srt[1:] + [None]):
                if (a, b) in settled:
                    intervals.append(settled[(a, b)])
                    continue
                x = (a + b) / 2 if b is not None else a + 1
                consulted: list = []
                intervals.append(self._optimal_at(x, consulted))
                for state, group in consulted:
                    flipped = state ^ frozenset(group.members)
                    inside = {p for s in (state, flipped) for p in self.piecewise(s).points
                              if p > a and (b is None or p < b)}
                    if inside:
                        new |= inside
                        continue
                    new |= self._sign_changes(state, flipped, group, classes, a, b)
                if not any(a < p and (b is None or p < b) for p in new):
                    settled[(a, b)] = intervals[-1]
            if not new:
                return srt, [self._optimal_at(p) for p in srt], intervals
            points |= new
        raise CharterError("could not settle the conversion choices over all exit values", "conversions")

    def _sign_changes(self, state, flipped, group, classes, a, b) -> set[Fraction]:
        """Roots inside (a, b) of the gains the search compares (linear there)."""
        before, after = self.piecewise(state), self.piecewise(flipped)

        def gains(x):
            va, vb = before.at(x), after.at(x)
            if not group.by_majority:
                i = classes.index(group.members[0])
                return [vb[i] - va[i]]
            out = []
            for holder in self.cap_table.holders:
                g = ZERO
                for h in self.cap_table.holdings_of(holder):
                    if h.shares:
                        i = classes.index(h.cls)
                        g += (vb[i] - va[i]) * h.shares / self.cap_table.shares(h.cls)
                out.append(g)
            return out

        roots = set()
        ga = gains(a)
        if b is None:
            gb = gains(a + 1)
            for d0, d1 in zip(ga, gb):
                slope = d1 - d0
                if slope and d0 and (d0 > 0) != (slope > 0):
                    roots.add(a - d0 / slope)
        else:
            gb = gains(b)
            for d0, d1 in zip(ga, gb):
                if d0 and d1 and (d0 > 0) != (d1 > 0):
                    roots.add(a + d0 * (b - a) / (d0 - d1))
        return roots

    def breakpoints(self) -> list[tuple[Breakpoint, Election, list[Fraction]]]:
        """Every exit value where the split of the next dollar changes, with the election
        just above it and each class's share of the next dollar (then Unallocated)."""
        points, at_point, intervals = self.election_map()
        rows = []
        prev = None
        for i, a in enumerate(points):
            b = points[i + 1] if i + 1 < len(points) else None
            election = intervals[i]
            pw = self.piecewise(election.converting)
            # the segments of this election's pieces inside (a, b)
            starts = [a] + [p for p in pw.points if p > a and (b is None or p < b)]
            for s in starts:
                events = [e for e in pw.events if e.exit_value == s]
                notes = []
                if prev is not None and s == a and prev.converting != election.converting:
                    notes.append(_election_event(self.cap_table, prev.converting, election.converting))
                if s == a and at_point[i].converting != election.converting and s > 0:
                    notes.append(Breakpoint(s, "At exactly this value the conversions differ (see QWATERFALL)", "IV.B.3(a)"))
                label = notes + events
                if not label:
                    label = [Breakpoint(s, "First dollar" if s == 0 else "Split changes", "IV.B.2" if s == 0 else "IV.B.2(b)")]
                bp = Breakpoint(s, "; ".join(x.event for x in label), "; ".join(dict.fromkeys(x.clause for x in label)))
                rows.append((bp, election, pw.slope(s)))
            prev = election
        # drop rows whose split did not change and that mark no event
        out = []
        for r in rows:
            if out and r[2] == out[-1][2] and r[1].converting == out[-1][1].converting and r[0].event == "Split changes":
                continue
            out.append(r)
        return out

    # -- numpy sweep ---------------------------------------------------------------------------

    def sweep_cents(self, values: Sequence, who: "Who") -> list[int]:
        """Cents paid to ``who`` at each proceeds value, equal to the exact engine's."""
        arr = np.asarray(values, dtype=float)
        cents = _proceeds_cents_np(values, arr)
        points, at_point, intervals = self.election_map()
        states = list(dict.fromkeys(e.converting for e in intervals + at_point))
        sid = {s: i for i, s in enumerate(states)}
        interval_sid = np.array([sid[e.converting] for e in intervals])
        floors = np.array([math.floor(p * 100) for p in points], dtype=np.int64)
        idx = np.searchsorted(floors, cents, side="left") - 1
        state_ids = interval_sid[np.maximum(idx, 0)]
        for p, e in zip(points, at_point):          # a value exactly at a point
            if (p * 100).denominator == 1:
                state_ids[cents == int(p * 100)] = sid[e.converting]
        result = np.zeros(len(arr), dtype=np.int64)
        redo = np.zeros(len(arr), dtype=bool)
        for i, state in enumerate(states):
            ks = np.nonzero(state_ids == i)[0]
            if len(ks):
                result[ks], redo[ks] = self._sweep_state(state, cents[ks], who)
        out = result.tolist()
        for k in np.nonzero(redo)[0]:       # exact, under the election the map gives there
            dist = self.waterfall.distribute(Fraction(int(cents[k]), 100), states[state_ids[k]])
            out[k] = who.cents(self, dist)
        self.last_sweep_exact_rows = int(redo.sum())
        return out

    def _sweep_state(self, state, cents: np.ndarray, who: "Who"):
        """Float evaluation of one election's pieces; rows a float may misjudge flagged."""
        pw = self.piecewise(state)
        x = cents / 100.0
        arrays = pw.float_arrays()
        seg = np.searchsorted(arrays["points"], x, side="right") - 1
        base, slope, whole = arrays["base"][seg], arrays["slope"][seg], arrays["whole"][seg]
        dx = x - arrays["points"][seg]
        v = (base + slope * dx[:, None]) * 100                                   # cents, float
        # float error bound: a few ulps of every term that went into v
        err = 1e-6 + 8e-16 * 100 * (np.abs(base) + np.abs(slope * dx[:, None]) + (x + arrays["points"][seg])[:, None])
        classes = list(self.cap_table.classes_present)
        twin = arrays["twin"][seg]
        class_cents, unsure = _largest_remainder_np(v, cents, whole, err, twin)
        return who.sweep(self, classes, v, class_cents, unsure, whole, err)


def _largest_remainder_np(v: np.ndarray, totals: np.ndarray, whole: np.ndarray, err=None, twin=None):
    """Vectorised :func:`largest_remainder_cents` over rows, plus the rows a float may
    misjudge: a part within a hair of a whole cent (unless ``whole`` says it is exactly a
    whole number of cents), a count of missing cents out of range, or the last remainder
    to get a cent nearly tied with the first one not to. ``err`` bounds the float error
    of each part; ``twin[r, j]`` names a part whose remainder is exactly part j's, so the
    two tie exactly and the earlier one gets the cent."""
    fl = np.where(whole, np.round(v), np.floor(v))
    rem = np.where(whole, 0.0, v - fl)
    eps = err if err is not None else 1e-6 + 1e-15 * 8 * np.abs(v)
    if twin is not None:
        rem = np.take_along_axis(rem, twin, axis=1)
    near_whole = np.any(~whole & ((rem < eps) | (rem > 1 - eps)), axis=1)
    missing = totals - fl.sum(axis=1).astype(np.int64)
    k = v.shape[1]
    bad = (missing < 0) | (missing > k)
    order = np.argsort(-rem, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(k), order.shape).copy(), axis=1)
    out = (fl + (ranks < np.clip(missing, 0, k)[:, None])).astype(np.int64)
    tie = np.zeros(len(v), dtype=bool)
    if k > 1:
        sorted_rem = np.take_along_axis(rem, order, axis=1)
        m = np.clip(missing, 1, k - 1)
        rows = np.arange(len(v))
        a, b = order[rows, m - 1], order[rows, m]
        same = twin[rows, a] == twin[rows, b] if twin is not None else np.zeros(len(v), dtype=bool)
        tie = (np.abs(sorted_rem[rows, m - 1] - sorted_rem[rows, m]) < eps[rows, a] + eps[rows, b]) \
            & ~same & (missing > 0) & (missing < k)
    return out, near_whole | bad | tie


def _proceeds_cents_np(values, arr: np.ndarray) -> np.ndarray:
    """Proceeds to whole cents, half-up as :func:`proceeds_to_cents`, vectorised; values
    within a hair of half a cent go through Decimal so binary floats cannot flip them."""
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        bad = next(v for v, a in zip(values, arr) if not (math.isfinite(a) and a >= 0))
        raise CharterError(f"proceeds cannot be {bad!r}", "proceeds")
    scaled = arr * 100
    cents = np.floor(scaled + 0.5)
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6 + 1e-15 * scaled
    for i in np.nonzero(near_half)[0]:
        cents[i] = float(proceeds_to_cents(float(arr[i])) * 100)
    return cents.astype(np.int64)


def _election_event(cap_table, before: frozenset, after: frozenset) -> Breakpoint:
    parts = []
    for g in groups_present(cap_table):
        m = frozenset(g.members)
        if (m & after) and not (m & before):
            parts.append(f"Series {g.name} elect to convert" if g.by_majority else f"Series {g.name} converts")
        elif (m & before) and not (m & after):
            parts.append(f"Series {g.name} no longer convert" if g.by_majority else f"Series {g.name} no longer converts")
    return Breakpoint(ZERO, "; ".join(parts) + " (payouts may jump here)", "IV.B.3(a)")


class Who:
    """The payee of QPAYOUT: a class, a group of classes ("A-D", "G"), or a holder."""

    def __init__(self, cap_table: CapTable, label, argument: str = "who"):
        charter = cap_table.charter
        self.label = str(label).strip()
        self.classes: tuple[str, ...] = ()
        self.holder: str | None = None
        key = self.label.upper()
        try:
            self.classes = (charter.resolve(self.label),)
            return
        except CharterError:
            pass
        family = charter.family_members(self.label)
        if family:
            self.classes = family
            return
        for g in groups_present(cap_table) + tuple(_all_groups(charter)):
            if len(g.members) > 1 and key in {g.name.upper(), f"SERIES {g.name}".upper()}:
                self.classes = tuple(s for s in charter.classes if charter.is_series(s) and charter.group_of(s) == g.name)
                return
        holders = {h.upper(): h for h in cap_table.holders if not charter.is_series(h) and h != COMMON} \
            if cap_table.has_holder_names else {}
        if key in holders:
            self.holder = holders[key]
            return
        known = ", ".join(list(charter.classes) + ["A-D", "G"] + list(holders.values())[:5])
        raise CharterError(f'"{label}" is neither a class, a group of classes nor a holder in the cap table; try one of {known}', argument)

    def cents(self, model: ExitModel, dist: Distribution) -> int:
        if self.holder is not None:
            return sum(model.holder_cents(dist).get(self.holder, {}).values())
        cents = dist.class_cents()
        return sum(cents.get(c, 0) for c in self.classes)

    def sweep(self, model: ExitModel, classes, v, class_cents, unsure, whole, err):
        if self.holder is None:
            idx = [classes.index(c) for c in self.classes if c in classes]
            return class_cents[:, idx].sum(axis=1), unsure
        total = np.zeros(len(v), dtype=np.int64)
        for ci, cls in enumerate(classes):
            holders = model.holdings_by_class[cls]
            mine = [j for j, (h, _) in enumerate(holders) if h == self.holder]
            if not mine:
                continue
            n_cls = model.cap_table.shares(cls)
            parts = v[:, [ci]] * np.array([[n / n_cls for _, n in holders]])
            zero = np.broadcast_to(whole[:, [ci]] & (class_cents[:, [ci]] == 0), parts.shape)
            hc, u = _largest_remainder_np(parts, class_cents[:, ci], zero,
                                          np.broadcast_to(err[:, [ci]], parts.shape) * 2)
            total += hc[:, mine].sum(axis=1)
            unsure = unsure | u
        return total, unsure


def _all_groups(charter):
    from .election import Group

    for members in charter.election_groups():
        yield Group(charter.group_of(members[0]), tuple(members), len(members) > 1)
