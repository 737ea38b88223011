"""Options and warrants in a liquidation: which tranches are exercised, and what each nets.

excel-functions.md, "Options and warrants in a cap table":

| rule | here |
|---|---|
| "an instrument is exercised when the payout per share of what it buys exceeds its exercise price, and not otherwise (equal: not exercised)" | ``ExerciseModel.wants``, via ``liquidation.exercised_when`` |
| "the exercise prices paid join the proceeds" (2(a): "the assets of this corporation") | ``ExerciseModel.outcome``, via ``liquidation.proceeds_with_exercise`` |
| "the holder keeps the payout less the price paid" | ``NetRow.net`` |
| "The choice is a fixed point (each tranche's choice stable given the others), solved exactly" | ``ExerciseModel.solve`` |
| an exercised tranche is stock of its class: an exercised B warrant is Series B and votes in the A-D election of 3(a) | ``CapTable.with_exercised``; each exercised set has its own :class:`ExitModel` |

**The fixed point.** A set S of exercised tranches is *stable* when every tranche wants what
S gives it: tranche t wants to be exercised exactly when, with S and t exercised, the payout
per share of its class exceeds its exercise price. "With S and t exercised" means the whole
outcome on that cap table: its shares outstanding, the proceeds plus every exercise price
paid, and the 3(a) election run again on it (``ExitModel.election``: the A-D holders, an
exercised B or C warrant among them, decide; the holder-option series follow). So the
election and the exercise choices are solved together: for each exercised set the election
is the one its cap table elects, and the exercised set is stable given that.

Search: start with nothing exercised; take the tranches in order of exercise price (then
charter order of the class) and flip the first whose choice is not stable; repeat until none
wants to flip. *Termination*: each step flips one tranche and a set of choices seen before is
a cycle, which fails with one line naming the tranches whose choices cycle (never an unstable
answer); there are finitely many sets, so the search ends. *Why it usually ends quickly*: a
tranche that exercises adds shares to its class at a price below what each share of it
receives, so it lowers the per-share payout of its class and never raises it above what the
cheaper tranches of that class already clear; within one class the stable set is therefore
the cheapest tranches that are in the money, reached in at most one flip per tranche. Across
classes (a B warrant tipping the A-D election, a capped series) an exercise can make another
tranche's choice turn; the search then keeps flipping, and only a true cycle is an error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Sequence

import numpy as np

from ..charter.cap_table import CapTable, Tranche
from ..charter.election import Election
from ..charter.liquidation import (COMPONENTS, Distribution, exercised_when,
                                   proceeds_with_exercise)
from ..errors import CharterError
from ..numbers import ZERO, exact, largest_remainder_cents, to_cents
from .model import MAP_AFTER_CALLS, SWEEP_FROM, ExitModel, model_for, read_map, refine_line
from .piecewise import proceeds_to_cents
from .sweep import _cents_np, _proceeds_cents_np


@dataclass(frozen=True)
class NetRow:
    """One row of a waterfall with instruments: a class's shares outstanding, or a tranche.

    Attributes:
        label: the class ("B", "Common") or the tranche ("B @ 1.43").
        cls: the class the row's shares are (or would be) stock of.
        shares: shares outstanding, or the shares the tranche buys.
        converts: whether the series converted (3(a)); None for a tranche not exercised.
        components: the row's part of its class's Cash Amount, Preference, Participation and
            As Common, exact (pro rata to shares within the class: every share of a class is
            paid alike).
        paid: exercise price paid (0 for shares outstanding and unexercised tranches).
        holders: (holder, shares) in input order.
        tranche: the tranche, or None for shares outstanding.
    """

    label: str
    cls: str
    shares: int
    converts: bool | None
    components: tuple[Fraction, ...]
    paid: Fraction
    holders: tuple[tuple[str, int], ...]
    tranche: Tranche | None = None

    @property
    def total(self) -> Fraction:
        return sum(self.components, ZERO)

    @property
    def net(self) -> Fraction:
        """"The holder keeps the payout less the price paid"."""
        return self.total - self.paid

    @property
    def exercised(self) -> bool:
        return self.tranche is not None and self.converts is not None


@dataclass(frozen=True)
class ExercisedDistribution:
    """A liquidation of a cap table with instruments: the exercised tranches, the
    distribution of the proceeds plus the prices paid, and each row's net.

    Attributes:
        proceeds: the proceeds given (whole cents); the Net column adds up to them.
        exercised: the tranches exercised, in the order of ``CapTable.tranches``.
        gross: the Section 2 distribution on the cap table after exercise, of
            ``proceeds`` plus the exercise prices paid.
        election: the 3(a) election of that cap table.
        rows: class rows (charter order, Common last), then one row per tranche.
    """

    proceeds: Fraction
    exercised: tuple[Tranche, ...]
    gross: Distribution
    election: Election
    rows: tuple[NetRow, ...]

    @property
    def unallocated(self) -> Fraction:
        return self.gross.unallocated

    @property
    def paid(self) -> Fraction:
        return sum((r.paid for r in self.rows), ZERO)

    @cached_property
    def net_cents(self) -> list[int]:
        """Each row's net (then Unallocated, if any) in cents adding up to the proceeds:
        largest remainder, ties to the earlier row (interpretations: Money)."""
        parts = [r.net for r in self.rows] + ([self.unallocated] if self.unallocated else [])
        return largest_remainder_cents(parts, to_cents(self.proceeds))

    def paid_cents(self, row: NetRow) -> int:
        """The exercise price paid, rounded to the cent (half-up)."""
        return to_cents(row.paid)

    @cached_property
    def holder_net_cents(self) -> list[list[tuple[str, int, int]]]:
        """Per row, (holder, shares, net cents): the row's net cents split pro rata to shares
        by largest remainder, ties to the earlier holder."""
        out = []
        for r, c in zip(self.rows, self.net_cents):
            if not r.shares:
                out.append([(h, n, 0) for h, n in r.holders])
                continue
            parts = [r.net * n / r.shares for _, n in r.holders]
            out.append([(h, n, hc) for (h, n), hc in zip(r.holders, largest_remainder_cents(parts, c))])
        return out


class ExerciseModel:
    """A cap table with options and warrants under one election mode, for any exit value.

    Everything about one exercised set is an ordinary :class:`ExitModel` on the cap table
    after exercise (``inner``): its 3(a) election, its pieces, its map.
    """

    def __init__(self, cap_table: CapTable, conversion_prices=None, unpaid_dividends=None, conversions="optimal"):
        self.cap_table = cap_table.validate()
        self.conversion_prices = dict(conversion_prices or {})
        self.unpaid_dividends = dict(unpaid_dividends or {})
        self.conversions = conversions
        self.mode = conversions if isinstance(conversions, str) else "list"
        self.tranches: tuple[Tranche, ...] = cap_table.tranches
        self._inner: dict[frozenset, ExitModel] = {}
        self._map = None
        self._calls = 0
        self._whole_cache: dict = {}
        self._layouts: dict = {}

    # -- one exercised set -----------------------------------------------------------------------

    def inner(self, exercised: frozenset) -> ExitModel:
        """The ordinary exit model of the cap table with the tranches ``exercised`` (indices)."""
        if exercised not in self._inner:       # through the shared factory: the cap table with
            table = self.cap_table.with_exercised(self.tranches[i] for i in sorted(exercised))
            self._inner[exercised] = model_for(table, self.conversion_prices, self.unpaid_dividends,
                                               self.conversions)   # none exercised is the plain one
        return self._inner[exercised]

    def gross_proceeds(self, x: Fraction, exercised: frozenset) -> Fraction:
        return proceeds_with_exercise(x, (self.tranches[i] for i in exercised))

    def per_share(self, x: Fraction, exercised: frozenset) -> dict[str, Fraction]:
        """Each class's payout per share with ``exercised`` exercised, at proceeds ``x``
        (exercise prices added, the 3(a) election of that cap table)."""
        model = self.inner(exercised)
        gross = self.gross_proceeds(x, exercised)
        totals = model.waterfall.totals(gross, model.election(gross).converting)
        return {c: v / model.cap_table.shares(c) for c, v in totals.items() if model.cap_table.shares(c)}

    def wants(self, x: Fraction, exercised: frozenset, i: int) -> bool:
        """Whether tranche ``i`` wants to be exercised, the others as in ``exercised``."""
        t = self.tranches[i]
        if not t.shares:
            return False                          # nothing to buy
        return exercised_when(self.per_share(x, exercised | {i})[t.cls], t.exercise_price)

    def solve(self, x: Fraction, consulted: list | None = None) -> frozenset:
        """The stable exercised set at proceeds ``x`` (see the module docstring)."""
        state: frozenset = frozenset()
        seen = [state]
        while True:
            for i in range(len(self.tranches)):
                if consulted is not None:
                    consulted.append((state | {i}, i))
                if self.wants(x, state, i) != (i in state):
                    state = state ^ {i}
                    break
            else:
                return state
            if state in seen:
                cycle = seen[seen.index(state):] + [state]
                moved = sorted({i for a, b in zip(cycle, cycle[1:]) for i in a ^ b})
                raise CharterError(
                    "the options' and warrants' exercise choices cycle without a stable set (tranches "
                    f"{', '.join(self.tranches[i].label for i in moved)}); no exercise choice is stable here",
                    term="cap table")
            seen.append(state)

    # -- the exact outcome -------------------------------------------------------------------

    def outcome(self, x: Fraction, exercised: frozenset) -> ExercisedDistribution:
        """The distribution with ``exercised`` (indices) exercised, at proceeds ``x``."""
        model = self.inner(exercised)
        gross_x = self.gross_proceeds(x, exercised)
        election = model.election(gross_x)
        gross = model.waterfall.distribute(gross_x, election.converting)
        return self.rows_of(x, exercised, gross, election)

    def rows_of(self, x, exercised, gross: Distribution, election: Election) -> ExercisedDistribution:
        after = self.inner(exercised).cap_table
        by_cls = {c.cls: c for c in gross.classes}
        rows = []
        for cls in self.cap_table.classes_present:
            c = by_cls[cls]
            n = self.cap_table.shares(cls)
            rows.append(NetRow(cls, cls, n, c.converts,
                               tuple(c.component(k) * n / c.shares for k in COMPONENTS), ZERO,
                               tuple(self.cap_table.holdings_by_class[cls])))
        for i, t in enumerate(self.tranches):
            holders = tuple(t.holdings_by_holder)
            if i in exercised:
                c = by_cls[t.cls]
                rows.append(NetRow(t.label, t.cls, t.shares, c.converts,
                                   tuple(c.component(k) * t.shares / after.shares(t.cls) for k in COMPONENTS),
                                   t.exercise_paid, holders, t))
            else:
                rows.append(NetRow(t.label, t.cls, t.shares, None, (ZERO,) * len(COMPONENTS), ZERO, holders, t))
        return ExercisedDistribution(x, tuple(self.tranches[i] for i in sorted(exercised)), gross, election,
                                     tuple(rows))

    def exercised_at(self, x: Fraction) -> frozenset:
        """The stable exercised set at ``x``: solved, or read off the map once it is built
        (the map answers like the search, tested)."""
        self._calls += 1
        if self._map is not None or self._calls > MAP_AFTER_CALLS:
            return self.exercised_from_map(x)
        return self.solve(x)

    def exercised_from_map(self, x: Fraction) -> frozenset:
        """The exercised set at ``x`` read off the exact map; an error there is raised."""
        return read_map(self.exercise_map(), x)

    def distribution(self, proceeds) -> tuple[ExercisedDistribution, Election]:
        """The exact outcome at ``proceeds`` (rounded to the cent first)."""
        x = proceeds_to_cents(proceeds)
        dist = self.outcome(x, self.exercised_at(x))
        return dist, dist.election

    def explained(self, proceeds) -> tuple[ExercisedDistribution, Election]:
        """As :meth:`distribution`, the election with its A-D vote filled in (QELECTION)."""
        x = proceeds_to_cents(proceeds)
        exercised = self.exercised_at(x)
        _, election = self.inner(exercised).explained(self.gross_proceeds(x, exercised))
        return self.outcome(x, exercised), election

    def payout_cents(self, proceeds, who: "NetPayee") -> int:
        dist, _ = self.distribution(proceeds)
        return who.cents(dist)

    def row_holders(self) -> list[list[tuple[str, int]]]:
        """Per waterfall row, (holder, shares), as ``rows_of`` gives them."""
        return [list(self.cap_table.holdings_by_class[c]) for c in self.cap_table.classes_present] \
            + [list(t.holdings_by_holder) for t in self.tranches]

    def payee(self, label) -> "NetPayee":
        return NetPayee(self, label)

    def payouts_cents(self, values: Sequence, who: "NetPayee") -> list[int]:
        """Cents paid to ``who`` at each exit value: exact value by value for a few, the
        numpy sweep (the same cents) from ``SWEEP_FROM`` values on."""
        if len(values) >= SWEEP_FROM:
            return self.sweep_cents(values, who)
        return [self.payout_cents(v, who) for v in values]

    def payouts_array(self, values: Sequence, who: "NetPayee") -> np.ndarray:
        return np.array(self.payouts_cents(values, who), dtype=np.int64)

    # -- the exit-value map ----------------------------------------------------------------------

    def exercise_map(self):
        """(points, point sets, interval sets) for the whole line of exit values: interval i
        is (points[i], points[i+1]), the last unbounded; each entry is the exercised set
        (tranche indices) or the error the search raises there. Inside an interval every
        comparison the search consults keeps its truth value, so the search takes the same
        path and its answer is constant; at the points themselves it is run on its own."""
        if self._map is None:
            self._map = self._refine()
        return self._map

    def _solve_or_error(self, x: Fraction, consulted=None):
        try:
            return self.solve(x, consulted)
        except CharterError as e:
            return e

    def _refine(self):
        """Split the line of exit values until no comparison the search consults inside an
        interval changes its truth value there. A comparison is tranche i's per-share payout
        less its exercise price with the set S' exercised: piecewise linear in the exit
        value between the pieces and the 3(a) election changes of S''s own model, so its
        truth value changes only at a zero or at an election change, and only those become
        points (``model.refine_line``, as for the 3(a) search)."""

        def zeros_inside(consulted, a, b):
            found = set()
            for state, i in dict.fromkeys(consulted):
                found |= self._comparison_points(state, i, a, b)
            return found

        points, intervals = refine_line([ZERO], self._solve_or_error, zeros_inside,
                                        "the options' and warrants' exercise choices", "cap table")
        return points, [self._solve_or_error(p) for p in points], intervals

    def _comparison_points(self, state: frozenset, i: int, a: Fraction, b: Fraction | None) -> set[Fraction]:
        """Exit values inside (a, b) where tranche i's payout per share with ``state``
        exercised crosses, touches or jumps over its exercise price."""
        t = self.tranches[i]
        if not t.shares:
            return set()
        model = self.inner(state)
        shift = self.gross_proceeds(ZERO, state)
        points, at_point, intervals = model.election_map()
        xs_map = [p - shift for p in points]
        inside = lambda z: z > a and (b is None or z < b)  # noqa: E731
        col = model.cap_table.classes_present.index(t.cls)
        n = model.cap_table.shares(t.cls)

        def wants_under(election, x) -> bool | None:
            """The comparison's truth value at ``x`` under one 3(a) election (None: a cycle)."""
            if isinstance(election, CharterError):
                return None
            value = model.piecewise(election.converting).at(x + shift, [col])[col] / n
            return exercised_when(value, t.exercise_price)

        found = set()
        for k, z in enumerate(xs_map):       # where the election changes, the payout may jump
            if k and inside(z):
                sides = {wants_under(intervals[k - 1], z), wants_under(at_point[k], z), wants_under(intervals[k], z)}
                if len(sides) > 1 or None in sides:
                    found.add(z)
        for k, start in enumerate(xs_map):
            end = xs_map[k + 1] if k + 1 < len(xs_map) else None
            lo = max(start, a)
            hi = end if b is None else (b if end is None else min(end, b))
            if (hi is not None and lo >= hi) or isinstance(intervals[k], CharterError):
                continue
            pw = model.piecewise(intervals[k].converting)

            def gap(x, pw=pw):
                return pw.at(x + shift, [col])[col] / n - t.exercise_price

            inner = sorted({q - shift for q in pw.points if q - shift > lo and (hi is None or q - shift < hi)})
            xs = [lo] + inner + [hi if hi is not None else (inner[-1] if inner else lo) + 1]
            values = [gap(x) for x in xs]
            for x, g in zip(xs, values):             # a zero where the sign may turn (the
                if g == 0:                            # ends too: they may lie inside (a, b))
                    found.add(x)
            for j in range(len(xs) - 1):
                (x0, d0), (x1, d1) = (xs[j], values[j]), (xs[j + 1], values[j + 1])
                if hi is None and j == len(xs) - 2:         # the last piece runs on forever
                    slope = d1 - d0
                    if d0 and slope and (d0 > 0) != (slope > 0):
                        found.add(x0 - d0 / slope)
                elif d0 and d1 and (d0 > 0) != (d1 > 0):
                    found.add(x0 + d0 * (x1 - x0) / (d0 - d1))
        return {z for z in found if inside(z)}

    # -- breakpoints -------------------------------------------------------------------------------

    def columns(self) -> list[str]:
        """The rows of the waterfall as columns: classes outstanding, then tranches."""
        return list(self.cap_table.classes_present) + [t.label for t in self.tranches]

    def layout(self, state: frozenset) -> list[list[Fraction]]:
        """Per waterfall row, its share of each class of the cap table after ``state`` is
        exercised (then Unallocated): the matrix from a class vector to the row vector."""
        if state not in self._layouts:
            self._layouts[state] = self._layout(state)
        return self._layouts[state]

    def _layout(self, state: frozenset) -> list[list[Fraction]]:
        after = self.inner(state).cap_table
        classes = list(after.classes_present)
        width = len(classes) + 1
        rows = []
        for cls in self.cap_table.classes_present:
            row = [ZERO] * width
            row[classes.index(cls)] = Fraction(self.cap_table.shares(cls), after.shares(cls))
            rows.append(row)
        for i, t in enumerate(self.tranches):
            row = [ZERO] * width
            if i in state and t.shares:
                row[classes.index(t.cls)] = Fraction(t.shares, after.shares(t.cls))
            rows.append(row)
        rows.append([ZERO] * (width - 1) + [Fraction(1)])
        return rows

    def paid_vector(self, state: frozenset) -> list[Fraction]:
        """Exercise price paid per waterfall row (then 0 for Unallocated)."""
        classes = [ZERO] * len(self.cap_table.classes_present)
        return classes + [t.exercise_paid if i in state else ZERO for i, t in enumerate(self.tranches)] + [ZERO]

    def breakpoints(self) -> list[tuple[Fraction, str, str, list[Fraction] | None]]:
        """Every exit value where the split of the next dollar changes, with the event and
        each waterfall row's share of the next dollar above it (then Unallocated): the
        breakpoints of each exercised set's own model, shifted by the prices it pays, and
        the exit values where a tranche comes into (or out of) the money."""
        points, at_point, intervals = self.exercise_map()
        rows: list[tuple[Fraction, str, str, list[Fraction] | None]] = []
        prev = None
        charter = self.cap_table.charter        # every clause as its terms give it
        for k, a in enumerate(points):
            b = points[k + 1] if k + 1 < len(points) else None
            state = intervals[k]
            if isinstance(state, CharterError):
                rows.append((a, f"No stable exercise choice above this value: {state.message}",
                             charter.clause("liquidation"), None))
                prev = None
                continue
            shift = self.gross_proceeds(ZERO, state)
            matrix = self.layout(state)

            def mapped(slope, matrix=matrix):
                return None if slope is None else [sum((m * s for m, s in zip(row, slope)), ZERO) for row in matrix]

            inner = self.inner(state).breakpoints()
            notes = []
            if prev is not None and prev != state:
                notes += [f"{self.tranches[i].label} exercised" for i in sorted(state - prev)]
                notes += [f"{self.tranches[i].label} no longer exercised" for i in sorted(prev - state)]
            elif prev is None and state and a == 0:
                notes += [f"{self.tranches[i].label} exercised" for i in sorted(state)]
            if a > 0 and at_point[k] != state and at_point[k] != prev:
                notes.append("At exactly this value the exercise choices differ from both sides (see QWATERFALL)")
            below = [r for r in inner if r[0].exit_value <= a + shift]
            here = [r for r in below if r[0].exit_value == a + shift]
            slope = below[-1][2] if below else None
            events = notes + [r[0].event for r in here if r[0].event not in ("Split changes", "First dollar")]
            clauses = ([f"{charter.clause('liquidation')}; options and warrants"] if notes else []) \
                + [r[0].clause for r in here]
            if not events:
                events = ["First dollar" if a == 0 else "Split changes"]
                clauses = clauses or [charter.clause("liquidation" if a == 0 else "participation")]
            rows.append((a, "; ".join(events), "; ".join(dict.fromkeys(clauses)), mapped(slope)))
            for bp, _, sl in inner:
                x = bp.exit_value - shift
                if x > a and (b is None or x < b):
                    rows.append((x, bp.event, bp.clause, mapped(sl)))
            prev = state
        out = []
        for r in rows:                  # drop rows whose split did not change and that mark no event
            if out and r[1] == "Split changes" and r[3] == out[-1][3]:
                continue
            out.append(r)
        return out

    # -- numpy sweep -------------------------------------------------------------------------------

    def sweep_cents(self, values: Sequence, who: "NetPayee") -> list[int]:
        """Cents paid to ``who`` at each exit value, equal to the exact engine's, value for
        value: each value's exercised set from the map, its election from that set's own
        map, its pieces from that election, the rows' nets in floats with an error bound,
        and every value a float could misjudge recomputed exactly."""
        arr = np.asarray(values, dtype=float)
        cents = _proceeds_cents_np(values, arr)
        points, at_point, intervals = self.exercise_map()
        groups = _locate(points, at_point, intervals, cents)
        out = np.zeros(len(cents), dtype=np.int64)
        redo = np.zeros(len(cents), dtype=bool)
        for state, ks in groups:
            if isinstance(state, CharterError):
                raise state                          # no stable exercise choice at these values
            model = self.inner(state)
            shift = self.gross_proceeds(ZERO, state)
            ipoints, iat, iintervals = model.election_map()
            for election, js in _locate([p - shift for p in ipoints], iat, iintervals, cents[ks]):
                if isinstance(election, CharterError):
                    raise election                   # the 3(a) choices cycle at these values
                rows = ks[js]
                out[rows], redo[rows] = self._sweep_pieces(state, election.converting, cents[rows], who)
        result = out.tolist()
        for k in np.nonzero(redo)[0]:
            result[k] = self.payout_cents(Fraction(int(cents[k]), 100), who)
        self.last_sweep_exact_rows = int(redo.sum())
        return result

    def _sweep_pieces(self, state: frozenset, converting: frozenset, cents: np.ndarray, who: "NetPayee"):
        """Float nets of the waterfall rows for one exercised set and one election, segment by
        segment of its pieces; the payee's cents and the rows a float may misjudge."""
        model = self.inner(state)
        pw = model.piecewise(converting)
        shift = self.gross_proceeds(ZERO, state)
        matrix = self.layout(state)
        paid = self.paid_vector(state)
        m_float = np.array([[float(v) for v in row] for row in matrix])
        paid_float = np.array([float(v) for v in paid])
        arrays = pw.float_arrays
        xg = cents / 100.0 + float(shift)
        seg = np.maximum(np.searchsorted(arrays["points"], xg, side="right") - 1, 0)
        got = np.zeros(len(cents), dtype=np.int64)
        doubt = np.zeros(len(cents), dtype=bool)
        for s in np.unique(seg):
            rows = np.nonzero(seg == s)[0]
            p, base, slope = arrays["points"][s], arrays["base"][s], arrays["slope"][s]
            v = ((base + slope * (xg[rows] - p)[:, None]) @ m_float.T - paid_float) * 100
            top = xg[rows].max()
            err_inner = 1e-6 + 4e-16 * 100 * (np.abs(base) + np.abs(slope) * (top - p) + top + p)
            err = m_float @ err_inner + 1e-6 + 8e-16 * 100 * (paid_float + top)
            whole = self._whole(matrix, paid, pw, int(s), shift)
            got[rows], doubt[rows] = who.sweep(self, v, cents[rows], whole, err)
        return got, doubt

    def _whole(self, matrix, paid, pw, s: int, shift: Fraction) -> np.ndarray:
        """Per waterfall row, whether its net is a whole number of cents at every whole-cent
        exit value on this segment: cents = 100 a + b c is whole for every whole c when the
        slope b and the intercept 100 a are whole (cached per set, election and segment)."""
        key = (id(pw), s, shift)
        if key not in self._whole_cache:
            p, values, slopes = pw.points[s], pw.values[s], pw.slopes[s]
            out = []
            for row, paid_j in zip(matrix, paid):
                terms = [(m, j) for j, m in enumerate(row) if m]          # one class (or Unallocated)
                b = sum((m * slopes[j] for m, j in terms), ZERO)
                a = sum((m * (values[j] + slopes[j] * (shift - p)) for m, j in terms), ZERO) - paid_j
                out.append(b.denominator == 1 and (a * 100).denominator == 1)
            self._whole_cache[key] = (pw, np.array(out, dtype=bool))
        return self._whole_cache[key][1]


def _locate(points: list[Fraction], at_point: list, intervals: list, cents: np.ndarray):
    """Group whole-cent exit values by the entry of a map that holds for them: interval i
    for points[i] < x < points[i + 1], the point's own entry for x == points[i] (exact
    comparisons on whole cents). Yields (entry, indices into ``cents``)."""
    key = lambda e: e if isinstance(e, CharterError) else (e.converting if isinstance(e, Election) else e)  # noqa: E731
    entries = list(dict.fromkeys(key(e) for e in intervals + at_point))
    sid = {e: i for i, e in enumerate(entries)}
    back = {key(e): e for e in intervals + at_point}
    interval_sid = np.array([sid[key(e)] for e in intervals])
    floors = np.array([math.floor(p * 100) for p in points], dtype=np.int64)
    idx = np.searchsorted(floors, cents, side="left") - 1
    ids = interval_sid[np.maximum(idx, 0)]
    at_cent = [(int(p * 100), sid[key(e)]) for p, e in zip(points, at_point) if (p * 100).denominator == 1]
    if at_cent:
        where = np.array([c for c, _ in at_cent], dtype=np.int64)
        j = np.minimum(np.searchsorted(where, cents), len(where) - 1)
        hit = where[j] == cents
        ids[hit] = np.array([i for _, i in at_cent])[j[hit]]
    for i, e in enumerate(entries):
        ks = np.nonzero(ids == i)[0]
        if len(ks):
            yield back[e], ks


class NetPayee:
    """The payee of QPAYOUT on a cap table with instruments: a tranche ("B @ 1.43"), a class
    (its shares outstanding), a group of classes ("A-D", "G": their shares outstanding), or a
    holder (every row it holds, tranches included). Amounts are net of exercise prices."""

    def __init__(self, model: ExerciseModel, label):
        from .payee import Who

        self.label = str(label).strip()
        key = " ".join(self.label.upper().split())
        self.labels: frozenset = frozenset()
        self.holder: str | None = None
        tranche = _tranche_named(model, self.label)
        if tranche is not None:
            self.labels = frozenset({tranche.label})
            return
        holders = {h.upper(): h for t in model.tranches for h, _ in t.holdings_by_holder
                   if model.cap_table.has_holder_names}
        if key in holders and not _is_class(model.cap_table, self.label):
            self.holder = holders[key]
            return
        try:
            who = Who(model.cap_table, self.label)
        except CharterError as e:
            known = ", ".join(t.label for t in model.tranches)
            raise CharterError(f"{e.message}; or a tranche: {known}", term="payee") from None
        if who.holder is not None:
            self.holder = who.holder
        else:
            self.labels = frozenset(who.classes)

    def sweep(self, model: ExerciseModel, v, cents, whole, err):
        """Float cents of the payee for each row of waterfall-row nets ``v`` (in cents, then
        Unallocated), and the rows a float may have misjudged."""
        labels = [r for r in model.columns()]
        if self.holder is None:
            cols = [j for j, label in enumerate(labels) if label in self.labels]
            got, doubt = _cents_np(v, cents, whole, err, None, cols)
            return got.sum(axis=1), doubt
        total = np.zeros(len(v), dtype=np.int64)
        doubt = np.zeros(len(v), dtype=bool)
        for j, holders in enumerate(model.row_holders()):
            mine = [k for k, (h, _) in enumerate(holders) if h == self.holder]
            if not mine:
                continue
            row_cents, d1 = _cents_np(v, cents, whole, err, None, [j])
            n_row = sum(n for _, n in holders)
            parts = v[:, [j]] * np.array([[n / n_row for _, n in holders]])
            zero = np.full(parts.shape[1], bool(whole[j]) and not row_cents.any())   # paid nothing: parts 0
            got, d2 = _cents_np(parts, row_cents[:, 0], zero, np.full(parts.shape[1], err[j] * 2), None, mine)
            total += got.sum(axis=1)
            doubt |= d1 | d2
        return total, doubt

    def cents(self, dist: ExercisedDistribution) -> int:
        if self.holder is None:
            return sum(c for r, c in zip(dist.rows, dist.net_cents) if r.label in self.labels)
        return sum(hc for per_row in dist.holder_net_cents for h, _, hc in per_row if h == self.holder)


def _tranche_named(model: ExerciseModel, label: str) -> Tranche | None:
    """The tranche a label like ``B @ 1.43`` or ``Series B Preferred @ $1.430`` names."""
    if "@" not in label:
        return None
    cls_label, _, price = label.rpartition("@")
    try:
        cls = model.cap_table.charter.resolve(cls_label)
        value = exact(price.strip().lstrip("$"))
    except (CharterError, ValueError, TypeError, ArithmeticError):
        return None
    for t in model.tranches:
        if t.cls == cls and t.exercise_price == value:
            return t
    known = ", ".join(t.label for t in model.tranches) or "none"
    raise CharterError(f'"{label}" names no tranche of the cap table; its tranches: {known}', term="payee")


def _is_class(cap_table: CapTable, label: str) -> bool:
    try:
        cap_table.charter.resolve(label)
        return True
    except CharterError:
        return False
