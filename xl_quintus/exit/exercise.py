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

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Sequence

from ..charter.cap_table import CapTable, Tranche
from ..charter.election import Election
from ..charter.liquidation import (COMPONENTS, Distribution, Waterfall, exercised_when,
                                   proceeds_with_exercise)
from ..errors import CharterError
from ..numbers import ZERO, exact, largest_remainder_cents, to_cents
from .model import ExitModel
from .piecewise import proceeds_to_cents


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
        return largest_remainder_cents(parts, int(self.proceeds * 100))

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

    # -- one exercised set -----------------------------------------------------------------------

    def inner(self, exercised: frozenset) -> ExitModel:
        """The ordinary exit model of the cap table with the tranches ``exercised`` (indices)."""
        if exercised not in self._inner:
            table = self.cap_table.with_exercised(self.tranches[i] for i in sorted(exercised))
            self._inner[exercised] = ExitModel(Waterfall(table, self.conversion_prices, self.unpaid_dividends),
                                               self.conversions)
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
                    "cap_table")
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
        return self.solve(x)

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

    def payee(self, label, argument: str = "who") -> "NetPayee":
        return NetPayee(self, label, argument)

    def payouts_cents(self, values: Sequence, who: "NetPayee") -> list[int]:
        return self.sweep_cents(values, who)

    def sweep_cents(self, values: Sequence, who: "NetPayee") -> list[int]:
        """Cents paid to ``who`` at each value: exact, value by value."""
        return [self.payout_cents(v, who) for v in values]

    def breakpoints(self):
        raise CharterError("breakpoints of a cap table with options and warrants are not computed in this "
                           "release; use QWATERFALL or QPAYOUT at the exit values you need", "cap_table")


class NetPayee:
    """The payee of QPAYOUT on a cap table with instruments: a tranche ("B @ 1.43"), a class
    (its shares outstanding), a group of classes ("A-D", "G": their shares outstanding), or a
    holder (every row it holds, tranches included). Amounts are net of exercise prices."""

    def __init__(self, model: ExerciseModel, label, argument: str = "who"):
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
            who = Who(model.cap_table, self.label, argument)
        except CharterError as e:
            known = ", ".join(t.label for t in model.tranches)
            raise CharterError(f"{e.message}; or a tranche: {known}", argument) from None
        if who.holder is not None:
            self.holder = who.holder
        else:
            self.labels = frozenset(who.classes)

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
    raise CharterError(f'"{label}" names no tranche of the cap table; its tranches: {known}', "who")


def _is_class(cap_table: CapTable, label: str) -> bool:
    try:
        cap_table.charter.resolve(label)
        return True
    except CharterError:
        return False
