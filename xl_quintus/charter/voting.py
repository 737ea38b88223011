"""Charter IV.B Sections 4 and 5, IV.C.4: notices, votes and the board.

The board seats are data (``[board]`` and ``[[board.seats]]`` in the terms file); the
table below is what the Quintus file states.

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


def voting_shift_period(cap_table: CapTable, lines: list[VotingLine]) -> bool:
    """5(a): the preferred's voting power "would otherwise be insufficient to elect all of
    this corporation's directors". Quintus states it as data: the votes of ``[board.voting_shift]
    counts`` (the preferred) are not ``sufficient`` (more than half) of all votes. A charter with
    no such period never has one."""
    rules = cap_table.charter.board_rules()
    if not rules.has_shift:
        return False
    classes = _classes(cap_table.charter, rules.shift_counts, "[board.voting_shift]")
    total = sum(line.votes for line in lines)
    counted = sum(line.votes for line in lines if line.cls in classes)
    return not rules.shift_sufficient.met(counted, total)


@dataclass(frozen=True)
class Seats:
    """Directors one constituency elects. Attributes: constituency, seats, clause."""

    constituency: str
    seats: int
    clause: str


def board_size(cap_table: CapTable, authorized_directors: int, shift: bool) -> int:
    """5(a)(i): during a Voting Shift Period "the number of authorized directors ... shall be
    set at a number not less than five (5)"; otherwise the bylaws' number (Article VI)."""
    rules = cap_table.charter.board_rules()
    return max(authorized_directors, rules.shift_minimum) if shift else authorized_directors


def board(cap_table: CapTable, authorized_directors: int, shift: bool) -> tuple[int, list[Seats]]:
    """(board size, seats by constituency) under the charter's seat tables (Quintus 5(a), 5(b)).

    Whole-number seats are filled first, in the order stated, then fractions of the board
    ("three-fourths (3/4ths) of the then-authorized directors (rounded to the nearest whole
    number)": half up), then "the remaining number of authorized directors"; a constituency
    with none of its classes outstanding elects no one, and no constituency takes more than the
    seats left."""
    charter = cap_table.charter
    rules = charter.board_rules()
    size = board_size(cap_table, authorized_directors, shift)
    period = "shift" if shift else "normal"
    applicable = [s for s in rules.seats if s.period in (period, "always")]
    given: dict[int, int] = {}
    left = size
    fixed = [i for i, s in enumerate(applicable) if s.seats is not None and s.seats.denominator == 1]
    fractions = [i for i, s in enumerate(applicable) if s.seats is not None and s.seats.denominator != 1]
    for i in fixed + fractions:
        s = applicable[i]
        outstanding = any(cap_table.shares(c) for c in _classes(charter, s.counts, s.constituency))
        want = int(s.seats) if s.seats.denominator == 1 else round_half_up(s.seats * size)
        given[i] = min(want, left) if outstanding else 0
        left -= given[i]
    rest = [i for i, s in enumerate(applicable) if s.is_rest]
    for i in rest:                                      # "the remaining number": the first rest row takes it
        given[i], left = left, 0
    return size, [Seats(s.constituency, given[i], s.clause) for i, s in enumerate(applicable)]


def _classes(charter: Charter, labels, where: str) -> tuple[str, ...]:
    return tuple(c for label in labels for c in charter.counted_classes(label, where))


def last_notice_date(charter: Charter, record_date: dt.date) -> dt.date:
    """Section 4: the notice must be mailed "at least 20 days prior to the date specified
    therein": the record date less 20 days is the last day."""
    return record_date - dt.timedelta(days=charter.notice_days)
