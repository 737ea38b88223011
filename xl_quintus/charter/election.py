"""Charter IV.B 3(a): who converts before a liquidation.

Series sharing an election group (Quintus: A, B, C, D) convert "upon the election of the
holders of at least a majority of the then-outstanding shares of Series A ... B ... C ...
and ... D, voting together as a single class"; every other series converts "at the option
of the holder" (E, F, each G series).

``optimal`` (interpretations, "Conversion inside a waterfall"): start with no group
converted; a group *wants to flip* when, every other group keeping its choice,
  - a holder-option series: its own total payout strictly rises;
  - a class-election group: holders of more than half of the group's outstanding shares
    would each strictly gain in their total payout across every class they hold.
Flip the first group (charter order) that wants to; stop when none does. A repeated set of
choices is a cycle: an error naming the groups, never an unstable answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from .cap_table import CapTable
from ..errors import CharterError

OPTIMAL, NONE, ALL = "optimal", "none", "all"


@dataclass(frozen=True)
class Group:
    """One election group among the series present.

    Attributes:
        name: the group's label ("A-D", "E", "G-3").
        members: its series present in the cap table, charter order.
        by_majority: True when the group converts together on a majority vote (3(a)).
    """

    name: str
    members: tuple[str, ...]
    by_majority: bool


@dataclass(frozen=True)
class Election:
    """The conversion choices a waterfall was run with.

    Attributes:
        mode: "optimal", "none", "all" or "list".
        converting: the series that convert.
    """

    mode: str
    converting: frozenset


def groups_present(cap_table: CapTable) -> tuple[Group, ...]:
    present = set(cap_table.series_present)
    out = []
    charter = cap_table.charter
    for members in charter.election_groups():
        here = tuple(m for m in members if m in present)
        if here:
            out.append(Group(charter.group_of(members[0]), here, len(members) > 1))
    return tuple(out)


# An evaluator gives, for a set of converting series, each class's total payout.
Evaluator = Callable[[frozenset], dict]


class Uncertain(Exception):
    """A float comparison too close to call: the search must be repeated exactly."""


class OptimalElection:
    """The 3(a) search over one cap table, for one evaluator (one proceeds value).

    With ``float_filter`` the evaluator returns floats, and every "strictly gains" the
    search asks is answered only when the two payouts differ by far more than a float can
    be off (about a dollar on a billion); otherwise :class:`Uncertain` is raised and the
    caller repeats the search exactly. Either way the answer is the exact search's.
    """

    def __init__(self, cap_table: CapTable, evaluate: Evaluator, float_filter: bool = False):
        self.cap_table = cap_table
        self.groups = groups_present(cap_table)
        self.float_filter = float_filter
        self._evaluate = evaluate
        self._cache: dict[frozenset, dict] = {}
        self._holder_cache: dict[frozenset, dict] = {}

    def payouts(self, state: frozenset) -> dict:
        """Each class's exact total when ``state`` converts."""
        if state not in self._cache:
            self._cache[state] = self._evaluate(state)
        return self._cache[state]

    def holder_payouts(self, state: frozenset) -> dict:
        """Each holder's exact total across every class held: per-share amounts are equal
        within a class, so a holder takes its class's total in proportion to its shares."""
        if state not in self._holder_cache:
            totals = self.payouts(state)
            out: dict[str, Fraction] = {}
            for h in self.cap_table.holdings:
                n = self.cap_table.shares(h.cls)
                share = totals.get(h.cls, 0) * h.shares / n if h.shares else 0
                out[h.holder_key] = out.get(h.holder_key, 0) + share
            self._holder_cache[state] = out
        return self._holder_cache[state]

    def gains(self, after, before) -> bool:
        """Whether ``after`` is strictly more than ``before`` (3(a): holders who gain)."""
        if self.float_filter and abs(after - before) <= 1e-6 + 1e-9 * max(abs(after), abs(before)):
            raise Uncertain
        return after > before

    def holders_gaining(self, state: frozenset, group: Group) -> tuple[list[str], int, int]:
        """Holders who strictly gain if ``group`` flips from ``state``; their group shares."""
        flipped = state ^ frozenset(group.members)
        before = self.holder_payouts(state)
        after = self.holder_payouts(flipped)
        gaining, shares = [], 0
        for holder in self.cap_table.holders:
            held = sum(h.shares for h in self.cap_table.holdings_of(holder) if h.cls in group.members)
            if held and self.gains(after.get(holder, 0), before.get(holder, 0)):
                gaining.append(holder)
                shares += held
        outstanding = sum(self.cap_table.shares(m) for m in group.members)
        return gaining, shares, outstanding

    def wants_flip(self, state: frozenset, group: Group) -> bool:
        if group.by_majority:
            _, shares, outstanding = self.holders_gaining(state, group)
            return 2 * shares > outstanding          # "at least a majority": more than half
        flipped = state ^ frozenset(group.members)
        (series,) = group.members
        return self.gains(self.payouts(flipped).get(series, 0), self.payouts(state).get(series, 0))

    def run(self, consulted: list | None = None) -> Election:
        state: frozenset = frozenset()
        seen = [state]
        while True:
            for group in self.groups:
                if consulted is not None:
                    consulted.append((state, group))
                if self.wants_flip(state, group):
                    state = state ^ frozenset(group.members)
                    break
            else:
                return Election(OPTIMAL, state)
            if state in seen:
                if self.float_filter:
                    raise Uncertain                  # only the exact search may call a cycle
                cycle = seen[seen.index(state):]
                moved = sorted({g.name for g in self.groups
                                for a, b in zip(cycle, cycle[1:] + [state])
                                if (a ^ b) & set(g.members)})
                raise CharterError(
                    "the holders' conversion choices cycle without a stable set "
                    f"(groups {', '.join(moved)}); choose the conversions explicitly",
                    "conversions",
                )
            seen.append(state)


def fixed_election(cap_table: CapTable, spec, argument: str = "conversions") -> Election:
    """An explicit election: "none", "all", or series/group names (3(a) groups whole)."""
    groups = groups_present(cap_table)
    if spec == NONE:
        return Election(NONE, frozenset())
    if spec == ALL:
        return Election(ALL, frozenset(m for g in groups for m in g.members))
    named: set[str] = set(spec)
    charter = cap_table.charter
    for members in charter.election_groups():
        if len(members) > 1:
            hit = named & set(members)
            if hit and hit != set(members):
                raise CharterError(
                    f"Series {charter.group_of(members[0])} convert only together (charter IV.B.3(a)); "
                    f'got "{", ".join(m for m in members if m in hit)}"',
                    argument,
                )
    present = {m for g in groups for m in g.members}
    return Election("list", frozenset(named & present))
