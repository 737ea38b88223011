"""Charter IV.B Sections 4 and 5, IV.C.4: notices, votes and the board.

| clause | rule | here |
|---|---|---|
| 5(c) | A: 10 votes, B-G: 14 votes per share of Common into which the holding could convert, the as-converted count "rounded to the nearest whole share" | ``votes`` |
| IV.C.4 | one vote per share of Common | ``votes`` |
| 5(a) | Voting Shift Period: the preferred's voting power "insufficient to elect all ... directors" (read: at most 50% of all votes) | ``voting_shift_period`` |
| 5(a)(i)-(iii) | then at least 5 directors; A and B together elect 3/4 (rounded), C one, Common the rest | ``board`` |
| 5(b) | C elects one director, always | ``board`` |
| 4 | notice mailed at least 20 days before a record date | ``last_notice_date`` |
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

from .cap_table import CapTable
from .conversion import conversion_rate
from ..numbers import round_half_up
from .terms import COMMON, Charter


def votes(charter: Charter, cls: str, shares: int, conversion_price: Fraction | None = None) -> int:
    """5(c): votes of one holder's shares of one series: the multiplier times the Common
    the shares could convert into, "rounded to the nearest whole share" (half up; per holder
    per series, interpretations). Common: one vote per share (IV.C.4)."""
    if cls == COMMON:
        return shares * charter.common_votes
    terms = charter.terms(cls)
    return terms.votes * round_half_up(shares * conversion_rate(terms, conversion_price))


@dataclass(frozen=True)
class VotingLine:
    """One holder's votes from one class. Attributes: holder, cls, shares, votes."""

    holder: str
    cls: str
    shares: int
    votes: int


def voting_power(cap_table: CapTable, conversion_prices: Mapping[str, Fraction] | None = None) -> list[VotingLine]:
    """Votes per holder and class (holders in input order, classes in charter order)."""
    cps = dict(conversion_prices or {})
    out = []
    for holder in cap_table.holders:
        held: dict[str, int] = {}
        for h in cap_table.holdings_of(holder):
            held[h.cls] = held.get(h.cls, 0) + h.shares
        for cls in cap_table.charter.classes:
            if cls in held:
                out.append(VotingLine(holder, cls, held[cls], votes(cap_table.charter, cls, held[cls], cps.get(cls))))
    return out


def preferred_votes(lines: list[VotingLine]) -> int:
    return sum(line.votes for line in lines if line.cls != COMMON)


def voting_shift_period(lines: list[VotingLine]) -> bool:
    """5(a): the preferred's voting power "would otherwise be insufficient to elect all of
    this corporation's directors": at most half of all votes (interpretations)."""
    total = sum(line.votes for line in lines)
    return 2 * preferred_votes(lines) <= total


@dataclass(frozen=True)
class Seats:
    """Directors one constituency elects. Attributes: constituency, seats, clause."""

    constituency: str
    seats: int
    clause: str


MINIMUM_BOARD_IN_SHIFT = 5   # 5(a)(i) "a number not less than five (5)"


def board(cap_table: CapTable, authorized_directors: int, shift: bool) -> tuple[int, list[Seats]]:
    """(board size, seats by constituency) under 5(a) and 5(b)."""
    c_out = cap_table.shares("C") > 0 if cap_table.charter.is_series("C") else False
    if shift:
        size = max(authorized_directors, MINIMUM_BOARD_IN_SHIFT)            # 5(a)(i)
        ab_out = any(cap_table.shares(s) for s in ("A", "B") if cap_table.charter.is_series(s))
        ab = round_half_up(Fraction(3, 4) * size) if ab_out else 0           # 5(a)(ii)
        c = 1 if c_out else 0                                                # 5(a)(iii), 5(b)
        ab = min(ab, size - c)
        return size, [Seats("Series A and B Preferred, voting as a separate class", ab, "IV.B.5(a)(ii)"),
                      Seats("Series C Preferred, voting separately", c, "IV.B.5(a)(iii), 5(b)"),
                      Seats("Common Stock", size - ab - c, "IV.B.5(a)(iii)")]
    c = 1 if c_out and authorized_directors >= 1 else 0
    return authorized_directors, [
        Seats("Series C Preferred, voting separately", c, "IV.B.5(b)"),
        Seats("All classes voting together (preferred as converted)", authorized_directors - c, "IV.B.5(a), 5(c)")]


def last_notice_date(charter: Charter, record_date: dt.date) -> dt.date:
    """Section 4: the notice must be mailed "at least 20 days prior to the date specified
    therein": the record date less 20 days is the last day."""
    return record_date - dt.timedelta(days=charter.notice_days)
