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
Flip the first group (charter order) that wants to; stop when none does (``sequential``).

"When those flips cycle" (the revised reading):
  1. The class-election group (A-D) elects first: for each of its choices the other groups
     settle with it held there (step 2); A-D converts when holders of more than half of the
     A-D shares each strictly gain from the converting outcome over the other
     (``A-D elects first``).
  2. The other groups settle: the same sequential flips among them from none converted; if
     they cycle too, every combination is examined: the stable ones are the candidates; drop
     those another candidate Pareto-dominates; take the fewest converting groups, then the
     first in group order (``search: N stable sets``). No candidate: an error naming the
     groups, never an unstable answer.

The search is written over a list of groups and one predicate, :meth:`OptimalElection.wants_flip`,
so a further kind of choice (an option tranche exercising, say) joins as more groups with its
own branch there and its own payee in :meth:`OptimalElection.own_payout`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from ..errors import CharterError
from .cap_table import CapTable

OPTIMAL, NONE, ALL = "optimal", "none", "all"

SEQUENTIAL = "sequential"
AS_GIVEN = "as given"
MAX_SEARCH_GROUPS = 12          # 4,096 combinations: the most the search examines


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
class Vote:
    """A class election (3(a)): the holders in favour of converting under the rule that decided.

    Attributes:
        group: the group's label ("A-D").
        holders: holders who strictly gain from converting over not converting, input order.
        shares: their shares of the group.
        outstanding: all outstanding shares of the group.
    """

    group: str
    holders: tuple[str, ...]
    shares: int
    outstanding: int

    @property
    def carries(self) -> bool:
        """ "at least a majority of the then-outstanding shares": more than half (3(a))."""
        return 2 * self.shares > self.outstanding

    @property
    def share(self) -> Fraction:
        return Fraction(self.shares, self.outstanding) if self.outstanding else Fraction(0)


@dataclass(frozen=True)
class Election:
    """The conversion choices a waterfall was run with, and how they were reached.

    Attributes:
        mode: "optimal", "none", "all" or "list".
        converting: the series that convert.
        method: how: "sequential", "A-D elects first", "search: N stable sets" (joined by
            "; " when A-D elected first and the others needed the search), or "as given".
        groups: the groups that convert, group order.
        vote: for the class-election group (A-D), who is in favour under the rule that
            decided; None when it is not outstanding (or not yet explained, see
            :func:`explain`).
    """

    mode: str
    converting: frozenset
    method: str = AS_GIVEN
    groups: tuple[str, ...] = ()
    vote: Vote | None = None


def groups_present(cap_table: CapTable) -> tuple[Group, ...]:
    present = set(cap_table.series_present)
    out = []
    charter = cap_table.charter
    for members in charter.election_groups():
        here = tuple(m for m in members if m in present)
        if here:
            out.append(Group(charter.group_of(members[0]), here, len(members) > 1))
    return tuple(out)


def converting_groups(groups, converting) -> tuple[str, ...]:
    return tuple(g.name for g in groups if set(g.members) & converting)


# An evaluator gives, for a set of converting series, each class's total payout.
Evaluator = Callable[[frozenset], dict]

# What a comparison weighs: each voter's payout across every class held (a class
# election), or the group's own total (a holder's option; the Pareto rule).
HOLDERS, OWN = "holders", "own"


class Comparison(NamedTuple):
    """One payout comparison the search made: ``payee``'s payout under ``after`` against
    ``before``. The exit-value map splits the line where any of these changes sign."""

    before: frozenset
    after: frozenset
    group: Group
    payee: str


class Uncertain(Exception):
    """A float comparison too close to call: the search must be repeated exactly."""


class NoStableSet(CharterError):
    """The groups' choices cycle and no combination of them is stable."""


def _flip(state: frozenset, group: Group) -> frozenset:
    return state ^ frozenset(group.members)


class OptimalElection:
    """The 3(a) search over one cap table, for one evaluator (one proceeds value).

    With ``float_filter`` the evaluator returns floats, and every comparison the search
    makes is answered only when the two payouts differ by far more than a float can be off
    (about a dollar on a billion); otherwise :class:`Uncertain` is raised and the caller
    repeats the search exactly. Either way the answer is the exact search's.

    ``trail``, a list, receives every :class:`Comparison` made, in order.
    """

    def __init__(self, cap_table: CapTable, evaluate: Evaluator, float_filter: bool = False,
                 groups: tuple[Group, ...] | None = None, trail: list | None = None):
        self.cap_table = cap_table
        self.groups = groups_present(cap_table) if groups is None else tuple(groups)
        self.float_filter = float_filter
        self.trail = trail
        self._evaluate = evaluate
        self._cache: dict[frozenset, dict] = {}
        self._holder_cache: dict[frozenset, dict] = {}
        self._voters: dict[str, list] = {}

    # -- payouts -----------------------------------------------------------------------------

    def payouts(self, state: frozenset) -> dict:
        """Each class's exact total when ``state`` converts."""
        got = self._cache.get(state)
        if got is None:
            got = self._cache[state] = self._evaluate(state)
        return got

    def holder_payouts(self, state: frozenset) -> dict:
        """Each holder's exact total across every class held: per-share amounts are equal
        within a class, so a holder takes its class's total in proportion to its shares."""
        if state not in self._holder_cache:
            totals = self.payouts(state)
            if not self.cap_table.has_holder_names:        # each class is its own holder
                self._holder_cache[state] = totals
                return totals
            out: dict[str, Fraction] = {}
            for h in self._voting_holdings():             # only votes read these: linear, not per holder
                n = self.cap_table.shares(h.cls)
                share = totals.get(h.cls, 0) * h.shares / n if h.shares else 0
                out[h.holder_key] = out.get(h.holder_key, 0) + share
            self._holder_cache[state] = out
        return self._holder_cache[state]

    def _voting_holdings(self) -> list:
        """Every row of every holder who votes in a class election (3(a)), all classes held."""
        if not hasattr(self, "_voting_rows"):
            voting = frozenset(holder for g in self.groups if g.by_majority for holder, _ in self.voters(g))
            self._voting_rows = self.cap_table.rows_of_holders(voting)      # kept by the cap table
        return self._voting_rows

    def own_payout(self, state: frozenset, group: Group):
        """The group's own total payout (a holder-option series: that series' total)."""
        totals = self.payouts(state)
        return sum((totals.get(m, 0) for m in group.members), 0)

    def voters(self, group: Group) -> list[tuple[str, int]]:
        """(holder, shares of the group held) for every holder of the group, input order."""
        if group.name not in self._voters:
            self._voters[group.name] = list(self.cap_table.holders_of_classes(frozenset(group.members)))
        return self._voters[group.name]

    # -- comparisons (each recorded on the trail) ---------------------------------------------

    def _record(self, before, after, group, payee):
        if self.trail is not None:
            self.trail.append(Comparison(before, after, group, payee))

    def compare(self, after, before) -> int:
        """The sign of ``after - before``; with the float filter, only when certain."""
        if self.float_filter and abs(after - before) <= 1e-6 + 1e-9 * max(abs(after), abs(before)):
            raise Uncertain
        return (after > before) - (after < before)

    def gains(self, after, before) -> bool:
        """Whether ``after`` is strictly more than ``before`` (3(a): holders who gain)."""
        return self.compare(after, before) > 0

    def vote(self, before: frozenset, after: frozenset, group: Group) -> Vote:
        """Holders of ``group`` who each strictly gain, across every class they hold, from
        ``after`` over ``before``; and their shares of the group (3(a))."""
        self._record(before, after, group, HOLDERS)
        was, now = self.holder_payouts(before), self.holder_payouts(after)
        gaining, shares = [], 0
        for holder, held in self.voters(group):
            if self.gains(now.get(holder, 0), was.get(holder, 0)):
                gaining.append(holder)
                shares += held
        outstanding = sum(self.cap_table.shares(m) for m in group.members)
        return Vote(group.name, tuple(gaining), shares, outstanding)

    def holders_gaining(self, state: frozenset, group: Group) -> tuple[list[str], int, int]:
        """Holders who strictly gain if ``group`` flips from ``state``; their group shares."""
        v = self.vote(state, _flip(state, group), group)
        return list(v.holders), v.shares, v.outstanding

    def own_gain(self, before: frozenset, after: frozenset, group: Group) -> int:
        """The sign of the group's own payout under ``after`` less under ``before``."""
        self._record(before, after, group, OWN)
        return self.compare(self.own_payout(after, group), self.own_payout(before, group))

    def wants_flip(self, state: frozenset, group: Group) -> bool:
        """Interpretations: a group wants to flip when, every other group keeping its choice,
        a class election: holders of more than half of its shares would each strictly gain;
        a holder's option: its own total payout strictly rises."""
        if group.by_majority:
            return self.vote(state, _flip(state, group), group).carries
        return self.own_gain(state, _flip(state, group), group) > 0

    # -- the rule ------------------------------------------------------------------------------

    def run(self, trail: list | None = None) -> Election:
        """The ``optimal`` election (module docstring); ``trail`` as in the constructor."""
        if trail is not None:
            self.trail = trail
        state, cycle = self.sequential(self.groups, frozenset())
        if cycle is None:
            return self._result(state, SEQUENTIAL, self._vote_at(state))
        elector = next((g for g in self.groups if g.by_majority), None)
        if elector is None:                        # no class election: the others' rule alone
            state, stable = self.search(self.groups, frozenset(), cycle)
            return self._result(state, f"search: {stable} stable sets", None)
        return self.elects_first(elector)

    def elects_first(self, elector: Group) -> Election:
        """Step 1 of "When those flips cycle": "A-D elects first. The 3(a) election is a
        vote of A-D as one class; the other series' options follow it." """
        others = tuple(g for g in self.groups if g is not elector)
        outcome = {}
        for converts in (False, True):
            held = frozenset(elector.members) if converts else frozenset()
            outcome[converts] = self.settle(others, held)
        # "A-D converts when holders of more than half of all A-D shares would each strictly
        # gain, in their total payout across every class they hold, from the converting
        # outcome over the other; otherwise A-D does not convert."
        vote = self.vote(outcome[False][0], outcome[True][0], elector)
        state, stable = outcome[vote.carries]
        method = f"{elector.name} elects first" + ("" if stable is None else f"; search: {stable} stable sets")
        return self._result(state, method, vote)

    def settle(self, groups: tuple[Group, ...], held: frozenset) -> tuple[frozenset, int | None]:
        """Step 2: the stable set of ``groups`` with every other choice held at ``held``:
        sequential flips from none of them converted, else the search. (state, None when
        reached sequentially, else the number of stable sets found)."""
        state, cycle = self.sequential(groups, held)
        if cycle is None:
            return state, None
        return self.search(groups, held, cycle)

    def sequential(self, groups: tuple[Group, ...], start: frozenset):
        """Flip the first group that wants to flip until none does: (stable state, None);
        or, when a set of choices repeats, (None, names of the groups that moved)."""
        state = start
        seen = [state]
        while True:
            for group in groups:
                if self.wants_flip(state, group):
                    state = _flip(state, group)
                    break
            else:
                return state, None
            if state in seen:
                cycle = seen[seen.index(state):]
                moved = [g.name for g in groups
                         if any((a ^ b) & set(g.members) for a, b in zip(cycle, cycle[1:] + [state]))]
                return None, moved
            seen.append(state)

    def search(self, groups: tuple[Group, ...], held: frozenset, cycling) -> tuple[frozenset, int]:
        """"Look at every combination of them: the stable ones are the candidates; drop any
        that another candidate Pareto-dominates (each group's own total payout at least as
        large, one strictly larger); then take the fewest converting groups, then the first
        in the group order (not converting before converting)." (state, candidates)."""
        if len(groups) > MAX_SEARCH_GROUPS:
            raise CharterError(
                f"the holders' conversion choices cycle (groups {', '.join(cycling)}) and {len(groups)} groups "
                f"are too many to examine every combination (at most {MAX_SEARCH_GROUPS}); "
                "choose the conversions explicitly", term="conversion election")
        candidates = []
        for choice in itertools.product((False, True), repeat=len(groups)):    # group order
            state = held.union(*(g.members for g, c in zip(groups, choice) if c))
            if not any(self.wants_flip(state, g) for g in groups):
                candidates.append((choice, state))
        if not candidates:
            raise NoStableSet(
                "the holders' conversion choices cycle without a stable set "
                f"(groups {', '.join(cycling)}; no combination of their choices is stable); "
                "choose the conversions explicitly", term="conversion election")
        kept = [c for c in candidates
                if not any(o is not c and self.dominates(o[1], c[1], groups) for o in candidates)]
        choice, state = min(kept, key=lambda c: (sum(c[0]), c[0]))
        return state, len(candidates)

    def dominates(self, a: frozenset, b: frozenset, groups: tuple[Group, ...]) -> bool:
        """Whether ``a`` Pareto-dominates ``b``: each group's own total payout at least as
        large, one strictly larger."""
        strictly = False
        for g in groups:
            sign = self.own_gain(b, a, g)
            if sign < 0:
                return False
            strictly |= sign > 0
        return strictly

    def _vote_at(self, state: frozenset) -> Vote | None:
        """For a stable set: the class-election holders in favour of converting over not,
        every other group keeping its choice."""
        elector = next((g for g in self.groups if g.by_majority), None)
        if elector is None:
            return None
        members = frozenset(elector.members)
        return self.vote(state - members, state | members, elector)

    def _result(self, state: frozenset, method: str, vote: Vote | None) -> Election:
        return Election(OPTIMAL, state, method, converting_groups(self.groups, state), vote)


def explain(cap_table: CapTable, evaluate: Evaluator, election: Election) -> Election:
    """An election with its class-election vote filled in: for an explicit election, the
    holders who would gain from converting over not, every other choice as given."""
    if election.vote is not None:
        return election
    search = OptimalElection(cap_table, evaluate)
    vote = search._vote_at(election.converting)
    return Election(election.mode, election.converting, election.method, election.groups, vote)


def fixed_election(cap_table: CapTable, spec) -> Election:
    """An explicit election: "none", "all", or series/group names (3(a) groups whole).

    A name list that covers every series of a class-election group present in the cap
    table is that group's election ("A" alone means "A-D" when A is the only one of A-D
    outstanding); naming some but not all of those present is an error.
    """
    groups = groups_present(cap_table)
    if spec == NONE:
        return Election(NONE, frozenset())
    if spec == ALL:
        converting = frozenset(m for g in groups for m in g.members)
        return Election(ALL, converting, AS_GIVEN, converting_groups(groups, converting))
    named: set[str] = set(spec)
    present = set(cap_table.series_present)
    charter = cap_table.charter
    for members in charter.election_groups():
        if len(members) > 1:
            here = set(members) & present
            hit = named & set(members)
            if hit and not here <= hit:
                shown = ", ".join(m for m in members if m in hit)
                outstanding = ", ".join(m for m in members if m in here) or "none"
                stated = charter.clauses.get("group_conversion")        # as the terms in force give it
                raise CharterError(
                    f"Series {charter.group_of(members[0])} convert only together"
                    + (f" (charter {stated})" if stated else "") + f'; got "{shown}" (outstanding: {outstanding})',
                    term="conversion election", clause=stated,
                )
    converting = frozenset(named & present)
    return Election("list", converting, AS_GIVEN, converting_groups(groups, converting))
