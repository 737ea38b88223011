"""Charter IV.B Section 6 (Protective Provisions) and the other consents the charter asks for.

Every approval counts outstanding shares or votes, not those present (interpretations);
"a majority" is more than half, "at least X%" is X% or more.

| action | requirement | clause |
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
from .terms import COMMON, Threshold
from .voting import voting_power


MAJORITY = Threshold(Fraction(1, 2), False)
AT_LEAST = lambda pct: Threshold(Fraction(pct, 100), True)  # noqa: E731


@dataclass(frozen=True)
class Requirement:
    """One approval: who counts, how (votes or shares), the threshold and the clause."""

    name: str
    clause: str
    classes: tuple[str, ...]       # whose shares or votes count
    measure: str                   # "votes" or "shares"
    threshold: Threshold


@dataclass(frozen=True)
class Tally:
    """A requirement counted. Attributes: requirement, in_favour, outstanding, met, shortfall."""

    requirement: Requirement
    in_favour: int
    outstanding: int
    met: bool
    shortfall: int


ACTIONS = ("6(a)(i)", "6(a)(ii)", "6(a)(iii)", "6(a)(iv)", "6(a)(v)", "6(b)", "6(c)", "6(d)", "6(e)", "6(f)",
           "2(b)", "3(a)", "3(b)(ii)", "3(b)(iii)", "3(b)(iv)", "3(d)(ii)(B)", "IV.A")

ALIASES = {
    "increase authorized preferred": "6(a)(i)", "decrease authorized preferred": "6(a)(i)",
    "new senior series": "6(a)(ii)", "new parity series": "6(a)(ii)", "new series": "6(a)(ii)",
    "redeem junior stock": "6(a)(iii)", "repurchase junior stock": "6(a)(iii)",
    "adverse change to preferred": "6(a)(iv)", "change 6(a) percentage": "6(a)(v)",
    "sale": "6(b)", "merger": "6(b)", "asset sale": "6(b)", "sale of company": "6(b)",
    "adverse change to one series": "6(c)", "amend 2(b)": "2(b)", "amend participation caps": "2(b)",
    "amend 3(b)(ii)": "6(d)", "amend series e ratchet": "6(d)", "amend 3(b)(iii)": "6(e)",
    "amend series f ratchet": "6(e)", "amend 3(b)(iv)": "6(f)",
    "a-d conversion": "3(a)", "convert a-d": "3(a)", "convert e": "3(b)(ii)", "convert f": "3(b)(iii)",
    "convert g": "3(b)(iv)", "stock plan": "3(d)(ii)(B)", "new stock plan": "3(d)(ii)(B)",
    "change authorized shares": "IV.A",
}


def resolve_action(text: str) -> str:
    key = text.strip().lower().replace("section ", "").replace("iv.b.", "")
    for a in ACTIONS:
        if key == a.lower():
            return a
    if key in ALIASES:
        return ALIASES[key]
    raise CharterError(f'"{text}" is not an action the charter asks approval for; use a clause '
                       f"({', '.join(ACTIONS)}) or an alias on the QAPPROVAL page", "action")


def requirements(cap_table: CapTable, action: str, affected_series: tuple[str, ...] = ()) -> list[Requirement]:
    """The approvals ``action`` needs, each with its clause."""
    charter = cap_table.charter
    preferred = tuple(s.name for s in charter.series)
    g = tuple(s.name for s in charter.series if s.family == "G")
    ad = tuple(s.name for s in charter.series if s.election == "A-D")
    if action.startswith("6(a)"):
        return [Requirement("Series Preferred voting together (voting power)", f"IV.B.{action}", preferred, "votes", AT_LEAST(75))]
    if action == "6(b)":
        return [Requirement("Series Preferred voting together (voting power)", "IV.B.6(b)", preferred, "votes", MAJORITY)]
    if action == "6(c)":
        if not affected_series:
            raise CharterError("6(c) needs the adversely affected series (affected_series)", "affected_series")
        return [Requirement(f"Series {s} (outstanding shares)", "IV.B.6(c)", (s,), "shares", MAJORITY)
                for s in affected_series]
    e_req = Requirement("Series E (outstanding shares)", "IV.B.6(d)", ("E",), "shares", AT_LEAST(60))
    f_req = Requirement("Series F (outstanding shares)", "IV.B.6(e)", ("F",), "shares", AT_LEAST(60))
    g_req = Requirement("Series G, all together (outstanding shares)", "IV.B.6(f)", g, "shares", AT_LEAST(50))
    if action == "6(d)":
        return [e_req]
    if action == "6(e)":
        return [f_req]
    if action == "6(f)":
        return [g_req]
    if action == "2(b)":
        return [e_req, f_req, g_req]
    if action == "3(a)":
        return [Requirement("Series A-D voting together (outstanding shares)", "IV.B.3(a)", ad, "shares", MAJORITY)]
    if action in ("3(b)(ii)", "3(b)(iii)", "3(b)(iv)"):
        series = {"3(b)(ii)": ("E",), "3(b)(iii)": ("F",), "3(b)(iv)": g}[action]
        terms = charter.terms(series[0])
        t = terms.consent_conversion
        return [Requirement(f"Series {terms.consent_group} (outstanding shares), written consent to convert",
                            f"IV.B.{action}", series, "shares", t)]
    if action == "3(d)(ii)(B)":
        return [Requirement("Series Preferred voting together (outstanding shares)", "IV.B.3(d)(ii)(B)", preferred,
                            "shares", MAJORITY)]
    if action == "IV.A":
        return [Requirement("Series Preferred voting together (voting power)", "IV.B.6(a)(i)", preferred, "votes", AT_LEAST(75)),
                Requirement("All stockholders voting together (voting power)", "Article X; DGCL 242", preferred + (COMMON,),
                            "votes", MAJORITY)]
    raise CharterError(f'"{action}" is not an action', "action")


def tally(cap_table: CapTable, consents: CapTable, reqs: list[Requirement],
          conversion_prices: Mapping[str, Fraction] | None = None) -> list[Tally]:
    """Count the consents against each requirement, on outstanding shares or votes."""
    for cls in consents.classes_present:
        if consents.shares(cls) > cap_table.shares(cls):
            raise CharterError(f"consents for {consents.shares(cls):,} shares of {cls} exceed the "
                               f"{cap_table.shares(cls):,} outstanding", "consents")
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
