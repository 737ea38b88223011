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
    per_series: bool = False       # 6(c): one requirement for each adversely affected series


@dataclass(frozen=True)
class Tally:
    """A requirement counted. Attributes: requirement, in_favour, outstanding, met, shortfall,
    note (why a requirement is met without consents: "no shares outstanding: does not apply")."""

    requirement: Requirement
    in_favour: int
    outstanding: int
    met: bool
    shortfall: int
    note: str = ""


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
                        rule.quote, per_series=True) for s in affected_series]


NO_SHARES_OUTSTANDING = "no shares outstanding: does not apply"


def no_holders_to_consent(r: Requirement, outstanding: int) -> bool:
    """A requirement over classes with nothing outstanding does not apply: it is shown Met
    (noted "no shares outstanding: does not apply"), never a FALSE no consent could change.

    Every approval asks the consent of holders of "the then outstanding shares" of the classes
    it names: 6(a) and 6(b) apply only "so long as any shares of ... Series Preferred Stock are
    outstanding"; 6(c) asks "the holders of shares of such adversely affected series that ...
    hold at least a majority of the then outstanding shares of such series"; 6(d)-(f) "the
    holders of at least sixty percent (60%) of the then outstanding shares of Series E"; the
    3(a) and 3(b)(ii)-(iv) consents convert "the then outstanding shares". With none
    outstanding there are no holders whose approval the clause could ask for, and nothing it
    protects or converts: it does not block the action."""
    return outstanding == 0


def check_consents_held(cap_table: CapTable, consents: CapTable, rows: tuple[int, ...] | None = None):
    """A consent counts only shares its holder holds. Section 6 asks the approval "of the holders
    of at least seventy-five percent (75%) of the voting power of the then outstanding shares"
    (6(a)), of "the holders of shares of such adversely affected series ... that hold at least a
    majority of the then outstanding shares of such series" (6(c)), of "the holders of at least
    sixty percent (60%) of the then outstanding shares of Series E" (6(d)): what counts is the
    outstanding shares (or their votes) that the consenting holders hold. When both tables name
    holders, each holder's consents in a class (summed over its rows) are at most its holding of
    that class in the cap table; a holder absent from the cap table holds none. Consents without
    names (``Class | Shares``) are checked per class by :func:`tally` (not above the outstanding).
    ``rows``: the input row of each consent holding, for the message (default: its position)."""
    if not any(h.holder for h in cap_table.holdings):
        return
    section = cap_table.charter.cite("approvals")            # as the terms in force give it
    rows = rows or tuple(range(1, len(consents.holdings) + 1))
    held: dict[tuple[str, str], int] = {}
    for h in cap_table.holdings:
        if h.holder:
            held[(h.holder, h.cls)] = held.get((h.holder, h.cls), 0) + h.shares
    names = {holder for holder, _ in held}
    consented: dict[tuple[str, str], tuple[int, list[int]]] = {}
    for h, row in zip(consents.holdings, rows):
        if h.holder:
            n, where = consented.get((h.holder, h.cls), (0, []))
            consented[(h.holder, h.cls)] = (n + h.shares, where + [row])
    for (holder, cls), (n, where) in consented.items():
        have = held.get((holder, cls), 0)
        if n <= have:
            continue
        absent = ""
        if holder not in names:
            alike = [m for m in names if " ".join(m.split()).casefold() == " ".join(holder.split()).casefold()]
            absent = f" (not in the cap table{'; it has ' + alike[0] if alike else ''})"
        raise CharterError(f"{'row' if len(where) == 1 else 'rows'} {', '.join(map(str, where))}: holder {holder}{absent} "
                           f"consents with {n:,} shares of {cls} but holds {have:,} shares of {cls} in the cap table; "
                           f"a holder can consent only with shares it holds: "
                           f"{f'Section {section} counts' if section else 'an approval counts'} the outstanding shares "
                           f"or votes that the consenting holders hold", term="consents",
                           clause=cap_table.charter.clauses.get("approvals"))


def tally(cap_table: CapTable, consents: CapTable, reqs: list[Requirement],
          conversion_prices: Mapping[str, Fraction] | None = None,
          consent_rows: tuple[int, ...] | None = None) -> list[Tally]:
    """Count the consents against each requirement, on outstanding shares or votes. Named
    consents must be held (:func:`check_consents_held`; ``consent_rows`` for its message); all
    consents of a class are at most its outstanding shares."""
    check_consents_held(cap_table, consents, consent_rows)
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
        if no_holders_to_consent(r, outstanding):
            out.append(Tally(r, favour, outstanding, True, 0, NO_SHARES_OUTSTANDING))
            continue
        met = r.threshold.met(favour, outstanding)
        out.append(Tally(r, favour, outstanding, met, 0 if met else max(r.threshold.needed(outstanding) - favour, 0)))
    return out
