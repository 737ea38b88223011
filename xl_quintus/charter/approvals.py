"""Charter IV.B Section 6 (Protective Provisions) and the other consents the charter asks for.

The rules are data: each ``[[approval]]`` table of the terms file (``data/quintus_1999.toml``)
states an action, whose shares or votes count, the threshold and the clause, with the charter's
words. This module only counts. Every approval counts outstanding shares or votes, not those
present (interpretations); "a majority" is more than half (``>1/2``), "at least X%" is X% or
more (``>=``).

| action (Quintus) | requirement | clause |
|---|---|---|
| 6(a)(i)-(v) | at least 75% of the voting power of all Series Preferred, voting together | 6(a) |
| 6(b) | sale of substantially all assets, merger, >50% voting transfer: a majority of the preferred's voting power | 6(b) |
| 6(c) | adverse change to one series: a majority of that series' outstanding shares, each affected series | 6(c) |
| 6(d) / 3(b)(ii) amendments | at least 60% of Series E shares | 6(d) |
| 6(e) / 3(b)(iii) amendments | at least 60% of Series F shares | 6(e) |
| 6(f) / 3(b)(iv) amendments | at least 50% of all Series G shares | 6(f) |
| amending 2(b) | 6(d), 6(e) and 6(f) together | 6(d)-(f) |
| 3(a) | A-D conversion election: a majority of A-D shares voting together | 3(a) |
| 3(b)(ii) / (iii) / (iv) consent conversion | E: at least 60%; F: a majority; G: a majority of all G | 3(b)(ii)-(iv) |
| 3(d)(ii)(B) | a new stock plan: a majority of Series Preferred shares voting together | 3(d)(ii)(B) |
| IV.A | changing authorized shares: 6(a)(i) and, under Article X, the stockholders' vote of the General Corporation Law (a majority of all votes together) | IV.A, 6(a)(i), X |
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

from .cap_table import CapTable
from ..errors import CharterError
from .terms import AFFECTED, Charter, Threshold
from .voting import voting_power


@dataclass(frozen=True)
class Requirement:
    """One approval: who counts, how (votes or shares), the threshold and the clause."""

    name: str
    clause: str
    classes: tuple[str, ...]       # whose shares or votes count
    measure: str                   # "votes" or "shares"
    threshold: Threshold
    quote: str = ""


@dataclass(frozen=True)
class Tally:
    """A requirement counted. Attributes: requirement, in_favour, outstanding, met, shortfall."""

    requirement: Requirement
    in_favour: int
    outstanding: int
    met: bool
    shortfall: int


def actions(charter: Charter) -> tuple[str, ...]:
    """The actions the charter asks approval for, in the order it states them."""
    return tuple(dict.fromkeys(a.action for a in charter.approval_rules()))


def _action_key(text: str) -> str:
    return " ".join(text.strip().lower().replace("section ", "").replace("iv.b.", "").split())


def resolve_action(text: str, charter: Charter) -> str:
    """The action a user names: its clause ("6(d)", "Section 6(d)") or an alias ("merger")."""
    key = _action_key(text)
    rules = charter.approval_rules()
    for a in actions(charter):
        if key == _action_key(a):
            return a
    for r in rules:
        if key in r.aliases:
            return r.action
    raise CharterError(f'"{text}" is not an action the charter of {charter.name} asks approval for; use a clause '
                       f"({', '.join(actions(charter))}) or an alias on the QAPPROVAL page", term="action")


def requirements(cap_table: CapTable, action: str, affected_series: tuple[str, ...] = ()) -> list[Requirement]:
    """The approvals ``action`` needs, each with its clause, from the charter's approval tables."""
    charter = cap_table.charter
    out = []
    for rule in charter.approval_rules():
        if rule.action != action:
            continue
        if AFFECTED in rule.counts:
            out += affected_series_requirements(rule, affected_series)
            continue
        classes = tuple(dict.fromkeys(c for label in rule.counts
                                      for c in charter.counted_classes(label, f"approval {rule.action}")))
        out.append(Requirement(rule.requirement, rule.clause, classes, rule.measure, rule.threshold, rule.quote))
    if not out:
        raise CharterError(f'"{action}" is not an action the charter of {charter.name} asks approval for', term="action")
    return out


def affected_series_requirements(rule, affected_series: tuple[str, ...]) -> list[Requirement]:
    """6(c) "the holders of shares of such adversely affected series ...": one requirement for
    each series named as adversely affected."""
    if not affected_series:
        raise CharterError(f"{rule.action} needs the adversely affected series (affected_series)", term="affected series")
    return [Requirement(rule.requirement.replace("{series}", s), rule.clause, (s,), rule.measure, rule.threshold,
                        rule.quote) for s in affected_series]


def tally(cap_table: CapTable, consents: CapTable, reqs: list[Requirement],
          conversion_prices: Mapping[str, Fraction] | None = None) -> list[Tally]:
    """Count the consents against each requirement, on outstanding shares or votes."""
    for cls in consents.classes_present:
        if consents.shares(cls) > cap_table.shares(cls):
            raise CharterError(f"consents for {consents.shares(cls):,} shares of {cls} exceed the "
                               f"{cap_table.shares(cls):,} outstanding", term="consents")
    all_votes = voting_power(cap_table, conversion_prices)
    yes_votes = voting_power(consents, conversion_prices)
    out = []
    for r in reqs:
        if r.measure == "votes":
            favour = sum(v.votes for v in yes_votes if v.cls in r.classes)
            outstanding = sum(v.votes for v in all_votes if v.cls in r.classes)
        else:
            favour = sum(consents.shares(c) for c in r.classes)
            outstanding = sum(cap_table.shares(c) for c in r.classes)
        met = r.threshold.met(favour, outstanding)
        out.append(Tally(r, favour, outstanding, met, 0 if met else max(r.threshold.needed(outstanding) - favour, 0)))
    return out
