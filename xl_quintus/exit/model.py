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
from fractions import Fraction
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from ..charter.cap_table import CapTable
from ..charter.election import (HOLDERS, OPTIMAL, Comparison, Election, OptimalElection, Uncertain, explain,
                                fixed_election, groups_present)
from ..errors import CharterError
from ..limits import MAX_MAP_GROUPS
from ..charter.liquidation import Distribution, Waterfall
from ..numbers import ZERO
from .payee import Who
from .piecewise import Breakpoint, Piecewise, proceeds_to_cents
from .sweep import _class_cents_rows, _proceeds_cents_np


MAP_AFTER_CALLS = 16        # single-value calls on one model before its election map pays off
SWEEP_CHUNK = 4096          # rows per numpy pass in a sweep: keeps temporaries in cache
SWEEP_FROM = 32             # from this many exit values a column is swept in numpy (same cents, tested)


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

    # -- exact, one exit value ----------------------------------------------------------------

    def election(self, proceeds: Fraction) -> Election:
        if self.fixed is not None:
            return self.fixed
        self._calls = getattr(self, "_calls", 0) + 1
        if self._map is not None or self._calls > MAP_AFTER_CALLS:
            return self.election_from_map(proceeds)     # many cells, one cap table: look it up
        w = self.waterfall
        fw = w.in_floats()                      # (made once per waterfall)
        try:                                    # fast pass, every comparison certified
            return OptimalElection(self.cap_table, lambda s: fw.totals(float(proceeds), s), float_filter=True).run()
        except Uncertain:
            return OptimalElection(self.cap_table, lambda s: w.totals(proceeds, s)).run()

    def election_from_map(self, x: Fraction) -> Election:
        """The 3(a) election at ``x`` read off the exact map (equal to the search's, see
        ``election_map``); a cycle there is raised as the search would raise it."""
        return read_map(self.election_map(), x)

    def distribution(self, proceeds) -> tuple[Distribution, Election]:
        """The exact waterfall at ``proceeds`` (rounded to the cent first)."""
        x = proceeds_to_cents(proceeds)
        election = self.election(x)
        return self.waterfall.distribute(x, election.converting), election

    def explained(self, proceeds) -> tuple[Distribution, Election]:
        """As :meth:`distribution`, with the election's class-election vote filled in (for
        an explicit election: who would gain from converting over not, at these proceeds)."""
        dist, election = self.distribution(proceeds)
        if election.vote is None:
            election = explain(self.cap_table, lambda s: self.waterfall.totals(dist.proceeds, s), election)
        return dist, election

    def holder_cents(self, dist: Distribution) -> dict[str, dict[str, int]]:
        """Cents per class per holder (see :meth:`holder_cents_of`)."""
        return self.holder_cents_of(dist.totals, dist.class_cents())

    def holder_cents_of(self, totals: dict, cents: dict) -> dict[str, dict[str, int]]:
        """Each class's cents split among its holders by largest remainder, in proportion
        to their shares (ties to the earlier holder in the input)."""
        out: dict[str, dict[str, int]] = {}
        for cls, total in totals.items():
            for holder, _, c in self.cap_table.split_cents(cls, total, cents[cls]):
                out.setdefault(holder, {})[cls] = c
        return out

    def payee(self, label) -> "Who":
        """QPAYOUT's ``who``: a class, a group of classes or a holder of this cap table (an
        ``ExerciseModel`` gives its payees net of exercise prices, with the same call)."""
        return Who(self.cap_table, label)

    def payout_cents(self, proceeds, who: "Who") -> int:
        """The payee's cents at ``proceeds``, exact. A class or group of classes, once the
        election map is built (or the election fixed), is read off the exact pieces in
        whole-number arithmetic (the same cents as a whole distribution, tested)."""
        if who.holder is None and (self._map is not None or self.fixed is not None):
            x = proceeds_to_cents(proceeds)
            return self._exact_class_cents(self.election(x).converting, int(x * 100), who)
        dist, _ = self.distribution(proceeds)
        return who.cents(self, dist)

    def payouts_cents(self, values: Sequence, who: "Who") -> list[int]:
        """Cents paid to ``who`` at each exit value: exact value by value for a few, the
        numpy sweep (:meth:`sweep_cents`, the same cents) from ``SWEEP_FROM`` values on."""
        if len(values) >= SWEEP_FROM:
            return self.sweep_cents(values, who)
        return [self.payout_cents(v.item() if isinstance(v, np.generic) else v, who) for v in values]

    def payouts_array(self, values: Sequence, who: "Who") -> np.ndarray:
        """As :meth:`payouts_cents`, as an int64 array (a column's sweep never becomes a list)."""
        if len(values) >= SWEEP_FROM:
            return self.sweep_array(values, who)
        return np.array(self.payouts_cents(values, who), dtype=np.int64)

    # -- piecewise -----------------------------------------------------------------------------

    def piecewise(self, state: frozenset) -> Piecewise:
        if state not in self._pieces:
            self._pieces[state] = Piecewise(self.waterfall, state)
        return self._pieces[state]

    def _pw_evaluator(self, x: Fraction):
        classes = self.cap_table.classes_present
        return lambda state: dict(zip(classes, self.piecewise(state).at(x)))

    def _optimal_at(self, x: Fraction, consulted=None) -> Election:
        """The 3(a) search at ``x`` on the exact pieces; first in floats with every
        comparison certified (see ``OptimalElection``), exactly if any is in doubt."""
        classes = self.cap_table.classes_present
        xf = float(x)
        trail: list = []
        try:
            election = OptimalElection(self.cap_table, lambda s: dict(zip(classes, self.piecewise(s).at_float(xf))),
                                       float_filter=True).run(trail)
        except Uncertain:
            trail = []
            try:
                election = OptimalElection(self.cap_table, self._pw_evaluator(x)).run(trail)
            finally:                      # a cycle still tells the map what it consulted
                if consulted is not None:
                    consulted.extend(trail)
            return election
        if consulted is not None:
            consulted.extend(trail)
        return election

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
        """Split the line of exit values until, inside every interval, each comparison the
        3(a) search consults keeps its truth value. A comparison is a gain (a series' or a
        holder's payout after a flip less before): continuous and piecewise linear, so its
        truth value can change only at a zero, and only zeros become new points.
        A search that cycles is kept as its error, reported only for the values it covers."""
        groups = len(groups_present(self.cap_table))
        if groups > MAX_MAP_GROUPS:           # refused before any work (limits.py)
            cite = self.cap_table.charter.cite("conversion_election")     # as the terms give it
            raise CharterError(
                f"the optimal {cite + ' ' if cite else 'conversion '}election over every exit value with {groups} conversion groups is beyond the "
                f"limit of {MAX_MAP_GROUPS} (its work grows with the cube of the groups); give conversions (none, "
                f"all or the groups that convert) or ask for single exit values", term="conversion election")
        classes = list(self.cap_table.classes_present)

        def zeros_inside(consulted, a, b):
            found = set()
            for comparison in dict.fromkeys(consulted):
                zeros = self._zeros_of(comparison, classes)
                lo = bisect.bisect_right(zeros, a)
                hi = len(zeros) if b is None else bisect.bisect_left(zeros, b)
                found.update(zeros[lo:hi])
            return found

        points, intervals = refine_line(self.piecewise(frozenset()).points, self._optimal_or_cycle, zeros_inside,
                                        "the conversion choices", "conversion election")
        return points, _AtPoints(self, points), intervals

    def _optimal_or_cycle(self, x: Fraction, consulted=None):
        try:
            return self._optimal_at(x, consulted)
        except CharterError as cycle:
            return cycle

    def _gain_weights(self, group, payee, classes):
        """Per compared payee, (class index, share of that class) pairs: the group's own
        series (a holder's option, the Pareto rule), or every holder of the group across
        every class held (a majority vote, 3(a))."""
        cache = self.__dict__.setdefault("_weight_cache", {})
        if (group, payee) not in cache:
            cache[(group, payee)] = self._weights(group, payee, classes)
        return cache[(group, payee)]

    def _weights(self, group, payee, classes):
        if payee != HOLDERS:
            return [[(classes.index(m), Fraction(1)) for m in group.members]]
        by_class = self.cap_table.holdings_by_class                 # holders of the group's shares
        voters = dict.fromkeys(holder for m in group.members for holder, n in by_class.get(m, ()) if n)
        return [[(classes.index(h.cls), Fraction(h.shares, self.cap_table.shares(h.cls)))
                 for h in self.cap_table.holdings_of(holder) if h.shares]
                for holder in voters]

    def _zeros_of(self, comparison: Comparison, classes) -> list[Fraction]:
        """Every exit value where a gain the comparison weighs is zero or changes sign,
        sorted (computed once per comparison over the whole line; each interval of the
        refinement takes those inside it)."""
        cache = self.__dict__.setdefault("_zero_cache", {})
        # a gain and its opposite (the same two elections compared the other way round) have
        # the same zeros: computed once
        key = (frozenset((comparison.before, comparison.after)), comparison.group, comparison.payee)
        if key in cache:
            return cache[key]
        before, after = self.piecewise(comparison.before), self.piecewise(comparison.after)
        weights = self._gain_weights(comparison.group, comparison.payee, classes)
        xs = _merged(before.points, after.points)
        xs.append(xs[-1] + 1)                              # the last piece runs on forever
        needed = sorted({i for ws in weights for i, _ in ws})
        exact: dict[int, list] = {}

        def gains(i):                                      # exact, at xs[i]
            if i not in exact:
                va, vb = before.at(xs[i], needed), after.at(xs[i], needed)
                exact[i] = [sum(((vb[j] - va[j]) * w for j, w in ws if vb[j] != va[j]), ZERO) for ws in weights]
            return exact[i]

        def gain_slope(i, k):                              # exact, on (xs[i], xs[i + 1])
            sb = bisect.bisect_right(before.points, xs[i]) - 1
            sa = bisect.bisect_right(after.points, xs[i]) - 1
            return sum(((after._slope(sa, j) - before._slope(sb, j)) * w for j, w in weights[k]), ZERO)

        # Floats first: a gain's sign is taken from its float only where the float is farther
        # from zero than ``tol``, about a million times the float's error (each term is at most
        # the proceeds, each weight at most 1); between two such points of the same sign a
        # linear gain has no zero. Everywhere else the gains are computed exactly, as before.
        fweights = [[(j, float(w)) for j, w in ws] for ws in weights]
        approx, tol = [], []
        for x in xs:
            xf = x.numerator / x.denominator               # float(x)
            va, vb = before.at_float(xf, needed), after.at_float(xf, needed)
            approx.append([math.fsum((vb[j] - va[j]) * w for j, w in ws) for ws in fweights])
            tol.append([1e-6 + 1e-9 * (abs(xf) + 1) * (len(ws) + 1) for ws in fweights])
        last = len(xs) - 2
        zeros = set()
        for k in range(len(weights)):
            sure = [abs(g[k]) > t[k] for g, t in zip(approx, tol)]

            def sign(i, k=k, sure=sure):                   # of the exact gain at xs[i]
                if sure[i]:
                    return 1 if approx[i][k] > 0 else -1
                g = gains(i)[k]
                return (g > 0) - (g < 0)

            for i in range(1, last + 1):                   # a zero at a breakpoint
                if not sure[i] and gains(i)[k] == 0:
                    zeros.add(xs[i])
            for i in range(last):                          # a change of sign between two
                s0, s1 = sign(i), sign(i + 1)
                if s0 and s1 and s0 != s1:                 # linear between them: where it crosses
                    zeros.add(xs[i] - gains(i)[k] / gain_slope(i, k))
            # beyond the last breakpoint both pieces are on their last segments: the gain
            # moves by its exact slope there, and crosses zero only moving towards it
            slope = sum(((after.slope_after[j] - before.slope_after[j]) * w for j, w in weights[k]), ZERO)
            if slope and sign(last) == -((slope > 0) - (slope < 0)):
                zeros.add(xs[last] - gains(last)[k] / slope)
        cache[key] = sorted(z for z in zeros if z > 0)
        return cache[key]

    def breakpoints(self) -> list[tuple[Breakpoint, Election, list[Fraction]]]:
        """Every exit value where the split of the next dollar changes, with the election
        just above it and each class's share of the next dollar (then Unallocated)."""
        points, at_point, intervals = self.election_map()
        rows = []
        prev = None
        charter = self.cap_table.charter        # every clause as its terms give it
        for i, a in enumerate(points):
            b = points[i + 1] if i + 1 < len(points) else None
            election = intervals[i]
            if isinstance(election, CharterError):
                rows.append((Breakpoint(a, f"No stable conversion choice above this value: {election.message}",
                                        charter.clause("conversion_election")), None, None))
                prev = None
                continue
            pw = self.piecewise(election.converting)
            # the segments of this election's pieces inside (a, b)
            starts = [a] + [p for p in pw.points if p > a and (b is None or p < b)]
            for s in starts:
                events = [e for e in pw.events if e.exit_value == s]
                notes = []
                if prev is not None and s == a and prev.converting != election.converting:
                    notes.append(_election_event(self.cap_table, prev, election))
                if s == a and getattr(at_point[i], "converting", None) != election.converting and s > 0:
                    notes.append(Breakpoint(s, "At exactly this value the conversions differ (see QWATERFALL)",
                                            charter.clause("conversion_election")))
                label = notes + events
                if not label:
                    label = [Breakpoint(s, "First dollar" if s == 0 else "Split changes",
                                        charter.clause("liquidation" if s == 0 else "participation"))]
                bp = Breakpoint(s, "; ".join(x.event for x in label), "; ".join(dict.fromkeys(x.clause for x in label)))
                rows.append((bp, election, pw.slope(s)))
            prev = election
        # drop rows whose split did not change and that mark no event
        out = []
        for r in rows:
            if out and r[1] is not None and out[-1][1] is not None and r[2] == out[-1][2] \
                    and r[1].converting == out[-1][1].converting and r[0].event == "Split changes":
                continue
            out.append(r)
        return out

    # -- numpy sweep ---------------------------------------------------------------------------

    def sweep_cents(self, values: Sequence, who: "Who") -> list[int]:
        """Cents paid to ``who`` at each proceeds value, equal to the exact engine's."""
        return self.sweep_array(values, who).tolist()

    def sweep_array(self, values: Sequence, who: "Who") -> np.ndarray:
        """As :meth:`sweep_cents`, as an int64 array. A class or group of classes is swept
        in whole-number arithmetic (:meth:`_sweep_classes`); a holder in floats, every row a
        float could misjudge redone exactly."""
        arr = np.asarray(values, dtype=float)
        cents = _proceeds_cents_np(values, arr)
        if who.holder is None:
            return self._sweep_classes(cents, who)
        points, at_point, intervals = self.election_map()
        key = lambda e: e if isinstance(e, CharterError) else e.converting  # noqa: E731
        states = list(dict.fromkeys(key(e) for e in intervals))
        sid = {s: i for i, s in enumerate(states)}
        interval_sid = np.array([sid[key(e)] for e in intervals])
        floors = np.array([math.floor(p * 100) for p in points], dtype=np.int64)
        idx = np.searchsorted(floors, cents, side="left") - 1
        state_ids = interval_sid[np.maximum(idx, 0)]
        at_cent = [(int(p * 100), i) for i, p in enumerate(points) if (p * 100).denominator == 1]
        if at_cent:                                  # a value exactly at a point
            where = np.array([c for c, _ in at_cent], dtype=np.int64)
            j = np.minimum(np.searchsorted(where, cents), len(where) - 1)
            hit = where[j] == cents
            for jj in np.unique(j[hit]):             # the election there, searched only now
                state = key(at_point[at_cent[jj][1]])
                if state not in sid:
                    sid[state] = len(states)
                    states.append(state)
                state_ids[hit & (j == jj)] = sid[state]
        result = np.zeros(len(arr), dtype=np.int64)
        redo = np.zeros(len(arr), dtype=bool)
        for i, state in enumerate(states):
            ks = np.nonzero(state_ids == i)[0]
            if len(ks) and isinstance(state, CharterError):
                raise state                     # a value where the 3(a) choices cycle
            if len(ks):
                result[ks], redo[ks] = self._sweep_state(state, cents[ks], who)
        out = result.tolist()
        classes = self.cap_table.classes_present
        for k in np.nonzero(redo)[0]:       # exact, under the election the map gives there
            state = states[state_ids[k]]
            if who.holder is None:
                out[k] = self._exact_class_cents(state, int(cents[k]), who)
                continue
            x = Fraction(int(cents[k]), 100)
            vec = self.piecewise(state).at(x)
            out[k] = who.cents_of(self, dict(zip(classes, vec[:-1])), vec[-1], x)
        self.last_sweep_exact_rows = int(redo.sum())
        return np.array(out, dtype=np.int64)

    def _regions(self):
        """(first cent of each region, what decides it) over the line of whole-cent
        proceeds c, exactly. Interval i of the map holds floor(100 points[i]) < c <
        ceil(100 points[i + 1]) (as ``election_from_map`` reads it), cut where its election's
        pieces change segment (segment s from c = ceil(100 points[s]): ``bisect_right`` on
        c / 100): (converting, segment), or the cycle error; a map point that is a whole cent
        is a region of its own, ("at", i), its election searched only when a value falls
        there. Built once per model."""
        if getattr(self, "_region_cache", None) is None:
            points, _, intervals = self.election_map()
            starts, regions = [], []
            for i, election in enumerate(intervals):
                a = points[i]
                if (a * 100).denominator == 1:
                    starts.append(int(a * 100))
                    regions.append(("at", i))
                lo = math.floor(a * 100) + 1
                hi = math.ceil(points[i + 1] * 100) - 1 if i + 1 < len(points) else None
                if isinstance(election, CharterError):
                    starts.append(lo)
                    regions.append((election, None))
                    continue
                pw_points = self.piecewise(election.converting).points
                cuts = sorted(c for c in {math.ceil(p * 100) for p in pw_points} if c > lo and (hi is None or c <= hi))
                for c in [lo] + cuts:
                    starts.append(c)
                    regions.append((election.converting, bisect.bisect_right(pw_points, Fraction(c, 100)) - 1))
            if starts[0] > 0:                  # (the map starts at 0, a whole cent)
                starts.insert(0, 0)
                regions.insert(0, regions[0])
            self._region_cache = (np.array(starts, dtype=np.int64), regions)
        return self._region_cache

    def _sweep_classes(self, cents: np.ndarray, who: "Who") -> np.ndarray:
        """A class payee's cents at each of ``cents`` (whole cents of proceeds), equal to
        the exact engine's: the rows sorted by region (one election, one segment of its
        pieces, see ``_regions``), each region's rows in floats (``sweep._class_cents_rows``),
        every row a float could misjudge redone exactly (``_exact_class_cents``)."""
        starts, regions = self._regions()
        rid = _region_of(starts, cents)
        order = np.argsort(rid.astype(np.uint16) if len(regions) < 2 ** 16 else rid, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(np.bincount(rid, minlength=len(regions)))))
        sorted_cents = cents[order]
        points, at_point, _ = self.election_map()
        got = np.empty(len(cents), dtype=np.int64)
        exact_rows = 0
        for r, (state, seg) in enumerate(regions):
            lo, hi = bounds[r], bounds[r + 1]
            if lo == hi:
                continue
            if isinstance(state, str):                 # a map point: the election there, searched now
                state = at_point[seg]
                if not isinstance(state, CharterError):
                    state = state.converting
                    seg = bisect.bisect_right(self.piecewise(state).points, points[regions[r][1]]) - 1
            if isinstance(state, CharterError):
                raise state                     # a value where the 3(a) choices cycle
            c = sorted_cents[lo:hi]
            part, redo = _class_cents_rows(self._segment_plan(state, seg, who), c)
            if redo.any():                      # exact, under the election the map gives there
                segment = self._segment_lines(state, seg, who)
                for k in np.nonzero(redo)[0]:
                    part[k] = _segment_cents(segment, int(c[k]))
            got[lo:hi] = part
            exact_rows += int(redo.sum())
        out = np.empty_like(got)
        out[order] = got
        self.last_sweep_exact_rows = exact_rows
        return out

    def _segment_plan(self, state: frozenset, s: int, who: "Who") -> dict:
        """What ``sweep._class_cents_rows`` needs of segment ``s`` of ``state``'s pieces for
        ``who`` (see there), cached per model."""
        key = (state, s, who.classes)
        cache = self.__dict__.setdefault("_segment_plans", {})
        if key not in cache:
            pw = self.piecewise(state)
            arrays = pw.float_arrays
            whole, twin = arrays["whole"][s], arrays["twin"][s]
            live = np.nonzero(~whole)[0]
            mine = [j for j, n in enumerate(pw.classes) if n in who.classes]
            p = pw.points[s]
            # a whole part pays exactly (100 v - 100 p slope) + slope c cents: whole numbers
            ints = {j: (int(100 * v - 100 * p * sl), int(sl))
                    for j, (v, sl) in enumerate(zip(pw.values[s], pw.slopes[s])) if whole[j]}
            pos = {j: i for i, j in enumerate(live)}
            cache[key] = {
                "p": arrays["points"][s],
                "base": arrays["base"][s][live], "slope": arrays["slope"][s][live],
                "twin": None if all(twin[j] == j for j in live) else [pos.get(twin[j], i) for i, j in enumerate(live)],
                "twin_id": [twin[j] for j in live],
                "whole_sum": (sum(a for a, _ in ints.values()), sum(b for _, b in ints.values())),
                "mine_whole": (sum(ints[j][0] for j in mine if j in ints), sum(ints[j][1] for j in mine if j in ints)),
                "mine_live": [pos[j] for j in mine if j in pos],
            }
        return cache[key]

    def _exact_class_cents(self, state: frozenset, c: int, who: "Who") -> int:
        """A class payee's cents at ``c`` cents of proceeds, exactly as ``Who.cents_of``
        gives them (every class and Unallocated if any to cents by largest remainder, ties to
        the earlier), in whole-number arithmetic: on one segment of the pieces each part in
        cents is (N + M c) / D for integers N, M and one common D."""
        pw = self.piecewise(state)
        s = bisect.bisect_right(pw.points, Fraction(c, 100)) - 1
        return _segment_cents(self._segment_lines(state, s, who), c)

    def _segment_lines(self, state: frozenset, s: int, who: "Who"):
        """(D, [(N_j, M_j)], payee's part indices) of segment ``s`` of ``state``'s pieces:
        part j in cents is (N_j + M_j c) / D at c cents of proceeds (every class, then
        Unallocated)."""
        key = (state, s, who.classes)
        cache = self.__dict__.setdefault("_segment_ints", {})
        if key not in cache:
            pw = self.piecewise(state)
            p = pw.points[s]
            lines = [(100 * v - 100 * p * sl, sl) for v, sl in zip(pw.values[s], pw.slopes[s])]
            d = math.lcm(*(q.denominator for line in lines for q in line))
            names = pw.classes
            mine = [j for j, n in enumerate(names) if n in who.classes]
            cache[key] = (d, [(int(a * d), int(b * d)) for a, b in lines], mine)
        return cache[key]


    def _sweep_state(self, state, cents: np.ndarray, who: "Who"):
        """Float evaluation of one election's pieces, segment by segment; rows a float may
        misjudge flagged."""
        arrays = self.piecewise(state).float_arrays
        x = cents / 100.0
        seg = np.searchsorted(arrays["points"], x, side="right") - 1
        got = np.zeros(len(x), dtype=np.int64)
        doubt = np.zeros(len(x), dtype=bool)
        order = np.argsort(seg, kind="stable")
        bounds = np.searchsorted(seg[order], np.arange(len(arrays["points"]) + 1))
        for s in range(len(arrays["points"])):
            p, base, slope = arrays["points"][s], arrays["base"][s], arrays["slope"][s]
            for lo in range(bounds[s], bounds[s + 1], SWEEP_CHUNK):      # cache-sized pieces
                rows = order[lo:min(lo + SWEEP_CHUNK, bounds[s + 1])]
                dx = x[rows] - p
                v = (base + slope * dx[:, None]) * 100                             # cents, float
                # float error bound per part over these rows: each term of v was rounded a
                # few times (slopes are at most 1), largest at the largest exit value
                top = x[rows].max()
                err = 1e-6 + 4e-16 * 100 * (np.abs(base) + np.abs(slope) * (top - p) + top + p)
                got[rows], doubt[rows] = who.sweep(self, v, cents[rows], arrays["whole"][s], err, arrays["twin"][s])
        return got, doubt



def read_map(line_map, x: Fraction):
    """The answer at ``x`` on an exit-value map (points, answers at the points, answers on
    the intervals after them: see :func:`refine_line`); an error found there is raised."""
    points, at_point, intervals = line_map
    i = bisect.bisect_right(points, x) - 1
    found = at_point[i] if points[i] == x else intervals[i]
    if isinstance(found, CharterError):
        raise found
    return found


def refine_line(points, search, zeros_inside, what: str, term: str):
    """(points, interval answers) over the whole line of exit values: split it until, inside
    every interval, no comparison the search consulted there (at the interval's middle)
    changes its truth value. ``search(x, consulted)`` answers at ``x`` (or returns the error
    it raises) and lists what it compared in ``consulted``; ``zeros_inside(consulted, a, b)``
    gives the exit values strictly inside (a, b) (b None: unbounded) where one of them may
    change, and only those become new points. Interval i is (points[i], points[i + 1]), the
    last one unbounded. The one refinement of both exit-value maps: the 3(a) election's
    (:meth:`ExitModel._refine`) and the options' and warrants' exercise
    (``exercise.ExerciseModel._refine``)."""
    points = set(points)
    settled: dict[tuple, object] = {}        # intervals with no zero of any comparison
    for _ in range(200):
        srt = sorted(points)
        new: set[Fraction] = set()
        intervals = []
        for a, b in zip(srt, srt[1:] + [None]):
            if (a, b) in settled:
                intervals.append(settled[(a, b)])
                continue
            consulted: list = []
            intervals.append(search((a + b) / 2 if b is not None else a + 1, consulted))
            found = zeros_inside(consulted, a, b)
            if found:
                new |= found
            else:
                settled[(a, b)] = intervals[-1]
        if not new:
            return srt, intervals
        points |= new
    raise CharterError(f"could not settle {what} over all exit values", term=term)


REGION_BUCKETS = 4096       # equal buckets of cents in the sweep's table of regions


def _region_of(starts: np.ndarray, cents: np.ndarray) -> np.ndarray:
    """``np.searchsorted(starts, cents, side="right") - 1`` (``starts`` sorted, from 0), the
    same numbers, faster for a million values in any order: cut the cents up to the last start
    into equal buckets; a bucket no region starts inside has one region throughout, looked up
    in a table; only the values in the few buckets where a region starts are searched."""
    width = max(1, -(-(int(starts[-1]) + 1) // REGION_BUCKETS))         # buckets cover 0..starts[-1]
    lows = np.arange(REGION_BUCKETS + 1, dtype=np.int64) * width
    at_low = np.searchsorted(starts, lows, side="right") - 1
    at_high = np.searchsorted(starts, lows + (width - 1), side="right") - 1
    bucket = np.minimum(cents // width, REGION_BUCKETS)                   # the last: beyond every start
    rid = at_low[bucket]
    mixed = (at_low != at_high)[bucket]
    if mixed.any():
        rid[mixed] = np.searchsorted(starts, cents[mixed], side="right") - 1
    return rid


def _segment_cents(segment, c: int) -> int:
    """``ExitModel._exact_class_cents`` on a known segment ``(D, [(N_j, M_j)], payee's
    parts)`` at ``c`` cents of proceeds, in whole numbers."""
    d, lines, mine = segment
    parts = [a + b * c for a, b in lines]
    if not parts[-1]:
        parts.pop()                                   # no Unallocated at this value
    floors = [n // d for n in parts]
    missing = c - sum(floors)
    if missing < 0 or missing > len(parts):
        raise ArithmeticError(f"cannot round the parts at {c} cents")
    got = floors
    if missing:
        order = sorted(range(len(parts)), key=lambda j: (-(parts[j] - floors[j] * d), j))
        for j in order[:missing]:
            got[j] += 1
    return sum(got[j] for j in mine if j < len(got))


def _merged(a: list, b: list) -> list:
    """Two strictly increasing lists of exact values merged, each value once."""
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        x, y = a[i], b[j]
        if x == y:
            out.append(x)
            i += 1
            j += 1
        elif x < y:
            out.append(x)
            i += 1
        else:
            out.append(y)
            j += 1
    return out + a[i:] + b[j:]


def _election_event(cap_table, before: Election, after: Election) -> Breakpoint:
    """A change of the 3(a) election at an exit value, with the rule that decided above it."""
    parts, clauses = [], []
    for g in groups_present(cap_table):
        m = frozenset(g.members)
        changed = bool(m & after.converting) != bool(m & before.converting)
        if (m & after.converting) and not (m & before.converting):
            parts.append(f"Series {g.name} elect to convert" if g.by_majority else f"Series {g.name} converts")
        elif (m & before.converting) and not (m & after.converting):
            parts.append(f"Series {g.name} no longer convert" if g.by_majority else f"Series {g.name} no longer converts")
        if changed:         # a group's majority election, or each holder's option: as the terms give it
            clauses.append(cap_table.charter.clause("group_conversion" if g.by_majority else "conversion_election"))
    rule = f"; election reached: {after.method}" if after.method != before.method or after.method != "sequential" else ""
    return Breakpoint(ZERO, "; ".join(parts) + f" (payouts may jump here{rule})",
                      "; ".join(dict.fromkeys(clauses)) or cap_table.charter.clause("conversion_election"))


def model_for(cap_table: CapTable, conversion_prices: Mapping[str, Fraction] | None = None,
              unpaid_dividends: Mapping[str, Fraction] | None = None, conversions="optimal") -> ExitModel:
    """The one factory of :class:`ExitModel` (Excel functions and the CLI): one model per
    distinct inputs, cached, so a workbook's many cells on one cap table share its election
    map and pieces. ``model_for.cache_clear()`` empties the cache."""
    return _cached_model(cap_table, tuple(sorted((conversion_prices or {}).items())),
                         tuple(sorted((unpaid_dividends or {}).items())), conversions)


@lru_cache(maxsize=64)
def _cached_model(cap_table: CapTable, conversion_prices: tuple, unpaid_dividends: tuple, conversions) -> ExitModel:
    if cap_table.instruments:            # options and warrants: an exercise choice around the election
        from .exercise import ExerciseModel
        return ExerciseModel(cap_table, dict(conversion_prices), dict(unpaid_dividends), conversions)
    return ExitModel(Waterfall(cap_table, dict(conversion_prices), dict(unpaid_dividends)), conversions)


model_for.cache_clear = _cached_model.cache_clear


class _AtPoints(Sequence):
    """The 3(a) elections at the map's points themselves, each searched only when asked
    for (a sweep asks only for points that are whole cents and among its values)."""

    def __init__(self, model: ExitModel, points: list):
        self._model, self._points = model, points
        self._found: dict[int, object] = {}

    def __len__(self):
        return len(self._points)

    def __add__(self, other):
        return list(self) + list(other)

    def __radd__(self, other):                  # ``intervals + at_point``: every point searched
        return list(other) + list(self)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = range(len(self))[i]
        if i not in self._found:
            self._found[i] = self._model._optimal_or_cycle(self._points[i])
        return self._found[i]
