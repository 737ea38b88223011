"""Charter terms as data: Article IV.A (classes), IV.B (series), Section 5 (board seats),
Section 6 and the 3(a)/3(b) consents (approvals).

The engine reads every term from a :class:`Charter`; it names no series itself.
Quintus 1999 is embedded (``data/quintus_1999.toml``) and is the default everywhere; a
modern NVCA-style charter ships beside it (``data/nvca_seed_ab.toml``). A series the Board
creates under IV.B ("senior to", "pari passu with" or "subordinated to" the others, with its
own preference and participation) is one more :class:`SeriesTerms`: from a TOML file
(:func:`load_charter`) or rows of a range (:func:`charter_with_series`). Every key is
documented in ``udf_docs/TERMS.md`` with the clause it expresses.

Reading is strict: a value that is not what its key means is refused in one line naming the
place (file table or range row), the key or column, the value and the rule; nothing is
rounded, defaulted or skipped silently.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import CharterError

COMMON = "Common"
PARTICIPATION_KINDS = ("none", "capped", "full")
ANTI_DILUTION_KINDS = ("broad-based", "narrow-based", "full ratchet", "none")
MEASURES = ("shares", "votes")

# The largest number a terms cell may hold: Excel keeps 15 significant digits, and no charter
# term (shares, dollars per share, votes) comes near it. Checked before any arithmetic, so a
# cell like "1E+999999999" is refused at once instead of expanded.
MAX_TERM = 10 ** 15

# Every rule the engine prints a clause for (a Clause column, a note, a row label): its key in
# a terms file's ``[clauses]`` table, and the plain name printed instead when the terms in force
# give no clause for it. A custom charter does not have Quintus's "IV.B.3(a)"; printing it there
# would send a banker to a clause that does not exist (udf_docs/TERMS.md, "[clauses]").
RULES: dict[str, str] = {
    "liquidation": "liquidation distribution",
    "preference": "liquidation preference",
    "participation": "participation with Common",
    "conversion_election": "optional conversion election",
    "group_conversion": "conversion election by a majority of the group",
    "cash_amounts": "Cash Amounts paid on conversion",
    "automatic_conversion": "automatic conversion at a qualified public offering",
    "reservation": "Common reserved for conversion",
    "recapitalization": "conversion after a recapitalization of the Common",
    "converted_cancelled": "converted shares cancelled",
    "authorized": "authorized shares",
    "series_authorized": "authorized shares of each series",
    "classes": "classes of stock",
    "checks": "authorized shares, classes and the Common reserved for conversion",
    "dividend_preference": "preferential dividend",
    "dividend_if_greater": "no less per share than Common: as Common",
    "accruing_dividends": "accruing dividends",
    "common_dividend": "dividends on Common",
    "as_converted_distribution": "distribution as if converted",
    "common_terms": "Common Stock",
    "series_terms": "the terms of the series",
    "anti_dilution_purchase": "purchase date of the series",
    "anti_dilution_issue": "Conversion Price adjusted for an issuance below it",
    "anti_dilution_excluded": "excluded issuance",
    "anti_dilution_deemed": "options and convertible securities deemed issued",
    "anti_dilution_amended": "deemed issuance recomputed on amended terms",
    "anti_dilution_expired": "deemed issuance recomputed on expiry",
    "anti_dilution_exercised": "no further adjustment on exercise",
    "anti_dilution_carried": "adjustment carried forward",
    "split": "stock split or stock dividend",
    "combination": "combination of shares",
    "anti_dilution": "anti-dilution adjustment of the Conversion Price",
    "approvals": "approvals and consents",
}

# Where a label in ``counts`` names more than one class.
ALL_PREFERRED = "Preferred"        # every series of Preferred Stock
ALL_CLASSES = "All"                # every class, voting together
AFFECTED = "Affected"              # each series named as adversely affected (one requirement each)


@dataclass(frozen=True)
class Threshold:
    """A vote or consent threshold: ``">1/2"`` (a majority) or ``">=3/5"`` (at least 60%).

    Attributes:
        fraction: the fraction of outstanding shares or votes.
        inclusive: True for "at least" (>=), False for "a majority"/"more than" (>).
    """

    fraction: Fraction
    inclusive: bool

    @classmethod
    def parse(cls, text, where: str = "terms") -> "Threshold":
        m = re.fullmatch(r"\s*(>=|>)\s*(\d{1,6})\s*/\s*(\d{1,6})\s*", str(text))
        if not m or int(m.group(3)) == 0 or int(m.group(2)) > int(m.group(3)):
            raise CharterError(f'threshold "{text}" is not a fraction of the form ">1/2" (more than half) '
                               f'or ">=3/5" (at least three fifths), at most 1', where)
        return cls(Fraction(int(m.group(2)), int(m.group(3))), m.group(1) == ">=")

    def met(self, in_favour: int, outstanding: int) -> bool:
        """Whether ``in_favour`` of ``outstanding`` meets it (nothing outstanding: not met)."""
        if outstanding == 0:
            return False
        share = Fraction(in_favour, outstanding)
        return share >= self.fraction if self.inclusive else share > self.fraction

    def needed(self, outstanding: int) -> int:
        """The least whole count of ``outstanding`` that meets it."""
        bound = self.fraction * outstanding
        return math.ceil(bound) if self.inclusive else math.floor(bound) + 1

    def describe(self) -> str:
        pct = f"{float(self.fraction * 100):g}%"
        return f"at least {pct}" if self.inclusive else (
            "a majority (more than 50%)" if self.fraction == Fraction(1, 2) else f"more than {pct}")


@dataclass(frozen=True)
class SeriesTerms:
    """One series of Preferred Stock as the charter states it.

    Attributes:
        name: short label, "A" or "G-3".
        authorized: shares the series consists of (IV.B).
        original_issue_price: "Original Series X Issue Price" (2(a)); initial Conversion Price (3(a)).
        dividend_rate: annual preferential non-cumulative dividend per share (1(a)).
        seniority: liquidation rank; a higher rank is paid before a lower one (2(a)).
        participation: "none", "capped" or "full" participation with Common in 2(b).
        cap: per-share total a capped series may receive, 2(a) included (2(b)); None otherwise.
        cash_amount: per-share cash due on conversion (3(a) Cash Amount); None if the series has none.
        election: conversion group; series sharing one convert only together (3(a)).
        votes: votes per share of Common into which the series converts (5(c)).
        ipo_ratchet_price: 3(b)(ii)/(iii) price below which a qualified IPO converts at the ratchet.
        family: a label naming several series at once ("G").
        preference_multiple: the 2(a) preference is this multiple of the issue price (NVCA 2.1).
        cumulative_dividend: dollars per share per year accruing from ``issue_date``, simple,
            actual/365, joining the preference until paid (NVCA Section 1 "Accruing Dividends").
        issue_date: the date the series' shares were first issued (accrual starts).
        anti_dilution: 3(d) / NVCA 4.4.4 formula: "broad-based", "narrow-based", "full ratchet", "none".
        clauses: where each term is stated, by term name.
    """

    name: str
    authorized: int
    original_issue_price: Fraction
    dividend_rate: Fraction
    seniority: int
    participation: str
    cap: Fraction | None
    cash_amount: Fraction | None
    election: str
    votes: int
    ipo_ratchet_price: Fraction | None = None
    family: str | None = None
    preference_multiple: Fraction = Fraction(1)
    cumulative_dividend: Fraction | None = None
    issue_date: dt.date | None = None
    anti_dilution: str = "broad-based"
    clauses: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def participates(self) -> bool:
        """Whether the series shares in 2(b) as preferred."""
        return self.participation != "none"

    @property
    def preference_per_share(self) -> Fraction:
        """2(a) amount per share before dividends: multiple x Original Issue Price."""
        return self.preference_multiple * self.original_issue_price


@dataclass(frozen=True)
class ApprovalRule:
    """One approval an action needs (Section 6, 3(a), 3(b), 3(d)(ii)(B), IV.A), as data.

    Attributes:
        action: the clause users name the action by ("6(d)", "3(b)(ii)").
        requirement: how the table names the requirement.
        clause: where the charter states it.
        counts: whose shares or votes count: series, family ("G") or conversion-group ("A-D")
            labels, "Preferred", "Common", "All", or "Affected" (each adversely affected series).
        measure: "shares" (outstanding shares) or "votes" (voting power, 5(c)).
        threshold: the fraction that must be met.
        quote: the charter's words.
        aliases: other names for the action ("merger").
    """

    action: str
    requirement: str
    clause: str
    counts: tuple[str, ...]
    measure: str
    threshold: Threshold
    quote: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeatRule:
    """Directors one constituency elects (Section 5), as data.

    Attributes:
        constituency: how the table names it.
        period: "shift" (only in a Voting Shift Period), "normal" (only outside it), "always".
        counts: the classes voting (labels as in :class:`ApprovalRule`); a constituency with
            none of them outstanding elects no one.
        seats: a whole number of directors, a fraction of the board (rounded to the nearest
            whole number, half up), or None for "the remaining directors".
        clause, quote: where and how the charter states it.
    """

    constituency: str
    period: str
    counts: tuple[str, ...]
    seats: Fraction | None
    clause: str
    quote: str = ""

    @property
    def is_rest(self) -> bool:
        return self.seats is None


@dataclass(frozen=True)
class BoardRules:
    """Section 5 as data.

    Attributes:
        seats: the constituencies, in the order the table shows them.
        default_directors: the board size used when none is given (bylaws).
        shift_counts, shift_measure, shift_sufficient: the Voting Shift Period test: it applies
            when the votes of ``shift_counts`` are not ``shift_sufficient`` of all votes; None when
            the charter has no such period.
        shift_minimum: the least board size during it (5(a)(i)); shift_clause, shift_quote.
    """

    seats: tuple[SeatRule, ...]
    default_directors: int = 5
    default_clause: str = ""
    shift_counts: tuple[str, ...] | None = None
    shift_sufficient: Threshold | None = None
    shift_minimum: int = 0
    shift_clause: str = ""
    minimum_clause: str = ""
    shift_quote: str = ""

    @property
    def has_shift(self) -> bool:
        return self.shift_sufficient is not None


@dataclass(frozen=True)
class Charter:
    """The share classes of one certificate of incorporation.

    Attributes:
        name: the corporation.
        series: every series of Preferred Stock, in the charter's order.
        common_authorized, preferred_authorized: IV.A.
        qualified_ipo_minimum: 3(b) aggregate offering price of a qualified IPO.
        common_votes: votes per share of Common (IV.C.4).
        notice_days: days before a record date a notice must be mailed (Section 4).
        approvals: Section 6 and the other consents, one rule per requirement (empty: the
            charter states none).
        board: Section 5 board seats (None: the charter states none).
        qualified_ipo_minimum_price: a price per share a qualified IPO must reach (NVCA 5.1), or None.
        document: the instrument these terms come from (title and date), if the terms name it.
        clauses: where the charter states each rule of :data:`RULES` (``[clauses]``), by rule key;
            a rule it gives none for is printed by its plain name (:meth:`clause`).
        clauses_within: the part most clauses are in ("IV.B"): running text cites a clause without
            it, "2(b)" for "IV.B.2(b)" (:meth:`cite`).
    """

    name: str
    series: tuple[SeriesTerms, ...]
    common_authorized: int
    preferred_authorized: int
    qualified_ipo_minimum: Fraction
    common_votes: int = 1
    notice_days: int = 20
    approvals: tuple[ApprovalRule, ...] = ()
    board: BoardRules | None = None
    qualified_ipo_minimum_price: Fraction | None = None
    document: str = ""
    clauses: dict = field(default_factory=dict, hash=False)
    clauses_within: str = ""

    def __post_init__(self):
        by_name = {}
        for s in self.series:
            if s.name.upper() in by_name:
                raise CharterError(f'series "{s.name}" is defined twice', "terms")
            by_name[s.name.upper()] = s
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_labels", _label_table(self))

    def __hash__(self):
        # the clauses count: two charters alike but for them print different labels, and
        # results are cached by charter. Worked out once (every cached call hashes the charter;
        # a hash that went stale could only make a cache miss, never a wrong hit: equality decides)
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash((self.name, self.series, self.approvals, self.board, frozenset(self.clauses.items()),
                      self.clauses_within))
            object.__setattr__(self, "_hash", h)
        return h

    @property
    def classes(self) -> tuple[str, ...]:
        """Every class label in charter order, then Common."""
        return tuple(s.name for s in self.series) + (COMMON,)

    def terms(self, name: str) -> SeriesTerms:
        """The terms of the series ``name`` (its short label, any case)."""
        try:
            return self._by_name[name.upper()]
        except KeyError:
            raise CharterError(
                f'"{name}" is not a series of Preferred Stock of {self.name}{self._at("series_terms")}; '
                f"use one of {', '.join(s.name for s in self.series)}") from None

    def is_series(self, name: str) -> bool:
        return name.upper() in self._by_name

    def order(self, name: str) -> int:
        """Position of a class in the charter table (Common last)."""
        return self.classes.index(name)

    def resolve(self, label, argument: str = "class") -> str:
        """The class a user's label names (interpretations: "Labels a user may type").

        ``"series g-3 preferred stock"`` -> ``"G-3"``; ``"Common Stock"`` -> ``"Common"``.
        """
        key = _label_key(label)
        if key in self._labels:
            return self._labels[key]
        raise CharterError(
            f'"{label}" is not a class of {self.name} stock{self._at("classes")}; '
            f"use one of {', '.join(self.classes)}",
            argument,
        )

    def _at(self, rule: str) -> str:
        """" (charter IV.B)" for a message, when the terms in force give the clause of ``rule``."""
        given = self.clauses.get(rule)
        return f" (charter {given})" if given else ""

    def family_members(self, label) -> tuple[str, ...] | None:
        """Series a family label names ("G" -> G-1..G-6), or None if it is no family."""
        key = _label_key(label)
        for fam in {s.family for s in self.series if s.family}:
            if key in {_label_key(f) for f in _label_forms(fam)}:
                return tuple(s.name for s in self.series if s.family == fam)
        return None

    def classes_named(self, label) -> tuple[str, ...] | None:
        """The classes a user's label names, or None: one class (``"Series A Preferred
        Stock"``), a family (``"G"``: G-1..G-6) or a conversion group of several series
        (``"A-D"`` or ``"Series A-D"``: those "voting together as a single class", 3(a)).
        The one place group and family labels are understood.

        >>> quintus().classes_named("series a-d"), quintus().classes_named("G")[-1]
        (('A', 'B', 'C', 'D'), 'G-6')
        """
        key = _label_key(label)
        if key in self._labels:
            return (self._labels[key],)
        family = self.family_members(label)
        if family:
            return family
        for members in self.election_groups():
            group = self.group_of(members[0])
            if len(members) > 1 and key in {_label_key(group), _label_key(f"Series {group}")}:
                return members
        return None

    def group_labels(self) -> tuple[str, ...]:
        """Labels that name several series: conversion groups ("A-D"), then families ("G")."""
        groups = [self.group_of(m[0]) for m in self.election_groups() if len(m) > 1]
        return tuple(dict.fromkeys(groups + [s.family for s in self.series if s.family]))

    def election_groups(self) -> tuple[tuple[str, ...], ...]:
        """Conversion groups in charter order: ("A","B","C","D"), ("E",), ...  (3(a))."""
        groups: dict[str, list[str]] = {}
        for s in self.series:
            groups.setdefault(s.election, []).append(s.name)
        return tuple(tuple(v) for v in groups.values())

    def group_of(self, name: str) -> str:
        return self.terms(name).election

    def counted_classes(self, label: str, where: str = "terms") -> tuple[str, ...]:
        """The classes a ``counts`` label of an approval or seat rule names, charter order:
        "Preferred" (every series), "All" (every class), or what :meth:`classes_named`
        understands (one class, a family "G", a conversion group "A-D"); else an error."""
        key = _label_key(label)
        if key == ALL_PREFERRED.upper():
            return tuple(s.name for s in self.series)
        if key == ALL_CLASSES.upper():
            return self.classes
        named = self.classes_named(label)
        if named:
            return named
        raise CharterError(f'"{label}" names no class, family or conversion group of {self.name} stock', where)

    # -- clauses: every printed clause comes from the terms in force --------------------------

    def clause(self, rule: str, note: str = "") -> str:
        """Where the terms in force state ``rule`` (a key of :data:`RULES`), ``note`` after it
        ("IV.B.3(d)(ii)" + "(F)"); the rule's plain name ("optional conversion election") when
        they give no clause for it. Never another charter's label.

        >>> quintus().clause("conversion_election"), nvca_example().clause("cash_amounts")
        ('IV.B.3(a)', 'Cash Amounts paid on conversion')
        """
        given = self.clauses.get(rule)
        if given is None:
            return RULES[rule]
        return f"{given}{note}"

    def cite(self, rule: str) -> str | None:
        """The clause of ``rule`` as running text cites it, without the part most clauses are
        in ("2(b)" for Quintus "IV.B.2(b)"), or None when the terms give no clause for it."""
        given = self.clauses.get(rule)
        if given is None:
            return None
        prefix = f"{self.clauses_within}." if self.clauses_within else ""
        return given[len(prefix):] if prefix and given.startswith(prefix) else given

    # -- the tables other functions need, or one clear line saying the charter has none ----

    def board_rules(self) -> BoardRules:
        if self.board is None:
            raise CharterError(f"this charter ({self.name}) states no board seats: add a [board] table "
                               "and [[board.seats]] tables to the terms file (udf_docs/TERMS.md)", "terms")
        return self.board

    def approval_rules(self) -> tuple[ApprovalRule, ...]:
        if not self.approvals:
            raise CharterError(f"this charter ({self.name}) states no approvals or consents: add "
                               "[[approval]] tables to the terms file (udf_docs/TERMS.md)", "terms")
        return self.approvals


def _label_forms(name: str) -> list[str]:
    if name == COMMON:
        return ["Common", "Common Stock"]
    return [name, f"Series {name}", f"Series {name} Preferred", f"Series {name} Preferred Stock"]


def _label_key(label) -> str:
    return re.sub(r"\s+", " ", str(label)).strip().upper()


def _label_table(charter: Charter) -> dict[str, str]:
    table = {}
    for cls in charter.classes:
        for form in _label_forms(cls):
            table[_label_key(form)] = cls
    return table


# --- strict reading of one value ----------------------------------------------------------

_PLAIN = re.compile(r"\$?(\d+(?:\.\d*)?|\.\d+)")
_THOUSANDS = re.compile(r"\$?(\d{1,3}(?:,\d{3})+(?:\.\d*)?)")


def _show(value) -> str:
    if isinstance(value, str):
        text = value.replace("\r", "\\r").replace("\n", "\\n")
        return f'"{text[:40]}..."' if len(text) > 43 else f'"{text}"'
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{int(value)}"
    if isinstance(value, Fraction):
        return f"{float(value):g}"
    return str(value)


class _Reader:
    """Reads the values of one series (a TOML table or a range row), naming the place and the
    column in every message: ``terms row 3: Cap "3y" is not ...``."""

    def __init__(self, row: dict, where: str, labels: dict | None = None):
        self.row, self.where, self.labels = row, where, labels or {}

    def label(self, key: str) -> str:
        return self.labels.get(key, key)

    def fail(self, key: str, value, rule: str):
        raise CharterError(f"{self.label(key)} {_show(value)} {rule}", self.where)

    def has(self, key: str) -> bool:
        v = self.row.get(key)
        return not (v is None or (isinstance(v, str) and not v.strip()))

    def number(self, key: str, value=None) -> Fraction:
        """A plain number: an int, a finite float, or text such as 12.50, $12.50, 1,000,000."""
        value = self.row[key] if value is None else value
        if isinstance(value, bool):
            self.fail(key, value, "is a truth value, not a number")
        if isinstance(value, int):
            x = Fraction(value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                self.fail(key, value, "is not a finite number")
            if abs(value) > MAX_TERM:
                self.fail(key, value, f"is beyond {MAX_TERM:,}, more than any charter term")
            x = Fraction(Decimal(repr(value)))
        elif isinstance(value, (Fraction, Decimal)):
            x = Fraction(value)
        elif isinstance(value, str):
            text = value.strip()
            negative = text.startswith("-")
            body = text[1:].strip() if negative else text
            if _THOUSANDS.fullmatch(body):
                body = body.replace(",", "")
            elif "," in body:
                self.fail(key, value, "is not a number: a comma may only separate thousands "
                          "(1,000,000); write a decimal point, not a comma (1.5, not 1,5)")
            if not _PLAIN.fullmatch(body):
                self.fail(key, value, "is not a number: write digits with an optional $ and "
                          "decimal point (12.50), no exponent, words or other signs")
            digits = body.lstrip("$")
            if len(digits.split(".")[0].lstrip("0")) > 16:
                self.fail(key, value, f"is beyond {MAX_TERM:,}, more than any charter term")
            try:
                x = Fraction(Decimal(digits))
            except (InvalidOperation, ValueError):
                self.fail(key, value, "is not a number")
            x = -x if negative else x
        else:
            self.fail(key, value, "is not a number")
        if abs(x) > MAX_TERM:
            self.fail(key, value, f"is beyond {MAX_TERM:,}, more than any charter term")
        return x

    def non_negative(self, key: str, rule: str, value=None) -> Fraction:
        x = self.number(key, value)
        if x < 0:
            self.fail(key, self.row[key] if value is None else value, f"cannot be negative: {rule}")
        return x

    def positive(self, key: str, rule: str) -> Fraction:
        x = self.number(key)
        if x <= 0:
            self.fail(key, self.row[key], f"must be above 0: {rule}")
        return x

    def whole(self, key: str, rule: str, minimum: int = 0) -> int:
        x = self.number(key)
        if x.denominator != 1:
            self.fail(key, self.row[key], f"must be a whole number: {rule}")
        if x < minimum:
            self.fail(key, self.row[key], f"must be at least {minimum}: {rule}")
        return int(x)

    def per_share_or_percent(self, key: str, oip: Fraction, rule: str) -> Fraction:
        """Dollars per share per year, or "8%" of the issue price."""
        value = self.row[key]
        if isinstance(value, str) and value.strip().endswith("%"):
            pct = self.non_negative(key, rule, value.strip()[:-1])
            return pct / 100 * oip
        return self.non_negative(key, rule)

    def multiple_or_dollars(self, key: str, oip: Fraction, rule: str) -> tuple[Fraction, bool]:
        """A number of dollars, or a multiple "3x" of the issue price; (value, was a multiple)."""
        value = self.row[key]
        if isinstance(value, str) and value.strip().lower().endswith("x"):
            m = self.non_negative(key, rule, value.strip()[:-1])
            return m * oip, True
        return self.non_negative(key, rule), False

    def text(self, key: str) -> str:
        value = self.row[key]
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            self.fail(key, value, "must be text")
        return str(value).strip()

    def choice(self, key: str, options: tuple[str, ...], default: str, synonyms: dict | None = None) -> str:
        if not self.has(key):
            return default
        value = self.row[key]
        key_text = re.sub(r"[\s_]+", " ", str(value).strip().lower())
        key_text = (synonyms or {}).get(key_text, key_text)
        if isinstance(value, bool) or key_text not in options:
            self.fail(key, value, f"must be one of {', '.join(options)}")
        return key_text

    def date(self, key: str) -> dt.date:
        value = self.row[key]
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466 \
                and float(value).is_integer():
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(key, value, "is not a date (a date cell, an Excel date number, or 2024-03-31)")


# --- loading --------------------------------------------------------------------------

_SERIES_FIELDS = {
    "name", "authorized", "original_issue_price", "dividend_rate", "seniority",
    "participation", "cap", "cash_amount", "election", "votes", "ipo_ratchet_price", "family",
    "preference_multiple", "cumulative_dividend", "issue_date", "anti_dilution",
}

_ANTI_DILUTION_SYNONYMS = {
    "broad based": "broad-based", "broad-based weighted average": "broad-based", "weighted average": "broad-based",
    "broad based weighted average": "broad-based", "narrow based": "narrow-based",
    "narrow-based weighted average": "narrow-based", "narrow based weighted average": "narrow-based",
    "full-ratchet": "full ratchet", "ratchet": "full ratchet",
}


def series_from_mapping(row: dict, where: str = "terms", labels: dict | None = None) -> SeriesTerms:
    """A :class:`SeriesTerms` from a TOML table or a range row (keys as in the TOML file).

    ``labels`` maps keys to the column names the user typed, for messages."""
    _refuse_unknown_keys(row, _SERIES_FIELDS, f"[[series]] {row.get('name', '?')}", where, prefix="clause_")
    r = _Reader(row, where, labels)
    for key in ("name", "authorized", "original_issue_price"):
        if not r.has(key):
            raise CharterError(f"the series has no {r.label(key)}", where)
    name = r.text("name")
    reserved = {"COMMON": "the Common Stock", "COMMON STOCK": "the Common Stock",
                ALL_PREFERRED.upper(): "every series of Preferred in an approval", ALL_CLASSES.upper():
                "every class voting together", AFFECTED.upper(): "the series adversely affected",
                "UNALLOCATED": "what no class can take in a liquidation"}
    if _label_key(name) in reserved:
        raise CharterError(f'"{name}" cannot name a series of Preferred Stock: it names '
                           f'{reserved[_label_key(name)]}', where)
    r.where = f"{where} (Series {name})" if "row" not in where else where
    oip = r.positive("original_issue_price", "the Original Issue Price (2(a), 3(a)) is a price paid for the shares")
    authorized = r.whole("authorized", "shares the series consists of (IV.B)")
    participation = r.choice("participation", PARTICIPATION_KINDS, "none",
                             {"non-participating": "none", "nonparticipating": "none", "no": "none",
                              "participating": "full", "full participation": "full", "cap": "capped"})
    multiple = Fraction(1)
    if r.has("preference_multiple"):
        value = row["preference_multiple"]
        text = value.strip()[:-1] if isinstance(value, str) and value.strip().lower().endswith("x") else value
        multiple = r.non_negative("preference_multiple", "the preference is a multiple of the issue price (2(a))", text)
    cap = None
    if r.has("cap"):
        if participation != "capped":
            r.fail("cap", row["cap"], f'is given but Participation is "{participation}": only a capped series '
                   'has a cap (2(b)); set Participation to capped or clear the cap')
        cap, _ = r.multiple_or_dollars("cap", oip, "the cap is a total per share (2(b))")
        if cap < multiple * oip:
            r.fail("cap", row["cap"], f"is below the preference of ${float(multiple * oip):g} per share: "
                   "the cap counts the 2(a) preference, so it cannot be smaller (2(b))")
    elif participation == "capped":
        raise CharterError(f'Participation is capped but {r.label("cap")} is blank: a capped series needs a cap '
                           'per share, in dollars or as a multiple ("3x") of the issue price (2(b))', r.where)
    dividend_rate = (r.per_share_or_percent("dividend_rate", oip, "a dividend rate is an amount per share (1(a))")
                     if r.has("dividend_rate") else Fraction(0))
    cumulative = None
    issue_date = r.date("issue_date") if r.has("issue_date") else None
    if r.has("cumulative_dividend"):
        cumulative = r.per_share_or_percent("cumulative_dividend", oip,
                                            "an accruing dividend is an amount per share per year")
        if cumulative and issue_date is None:
            raise CharterError(f"{r.label('cumulative_dividend')} is given but {r.label('issue_date')} is blank: "
                               "cumulative dividends accrue from the date of issuance (NVCA Section 1)", r.where)
    cash_amount = (r.non_negative("cash_amount", "a Cash Amount is cash paid to the holder (3(a))")
                   if r.has("cash_amount") else None)
    if cash_amount is not None and cumulative:
        raise CharterError(f"a series with both a {r.label('cash_amount')} (3(a)) and a {r.label('cumulative_dividend')} "
                           "is not modelled: accrued dividends join the preference, not a Cash Amount", r.where)
    ratchet = r.positive("ipo_ratchet_price", "a price per share (3(b)(ii))") if r.has("ipo_ratchet_price") else None
    seniority = r.whole("seniority", "a rank: higher is paid first, equal ranks pari passu (2(a))") \
        if r.has("seniority") else 1
    votes = r.whole("votes", "votes per share of Common into which the series converts (5(c))") \
        if r.has("votes") else 1
    return SeriesTerms(
        name=name,
        authorized=authorized,
        original_issue_price=oip,
        dividend_rate=dividend_rate,
        seniority=seniority,
        participation=participation,
        cap=cap,
        cash_amount=cash_amount,
        election=r.text("election") if r.has("election") else name,
        votes=votes,
        ipo_ratchet_price=ratchet,
        family=r.text("family") if r.has("family") else None,
        preference_multiple=multiple,
        cumulative_dividend=cumulative or None,
        issue_date=issue_date,
        anti_dilution=r.choice("anti_dilution", ANTI_DILUTION_KINDS, "broad-based", _ANTI_DILUTION_SYNONYMS),
        clauses={k[len("clause_"):]: str(v) for k, v in row.items() if k.startswith("clause_")},
    )


def _table_reader(data: dict, where: str) -> _Reader:
    if not isinstance(data, dict):
        raise CharterError("must be a table", where)
    return _Reader(data, where)


def _text_key(data: dict, key: str, where: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if value is None:
        raise CharterError(f"has no {key}", where)
    if not isinstance(value, str):
        raise CharterError(f"{key} {_show(value)} must be text", where)
    return value.strip()


def _counts(data: dict, where: str) -> tuple[str, ...]:
    value = data.get("counts")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise CharterError('counts must list whose shares count, e.g. ["E"], ["Preferred"], ["A", "B"]', where)
    return tuple(v.strip() for v in value)


def _approval_from_mapping(data: dict, i: int) -> ApprovalRule:
    where = f"[[approval]] {i}"
    known = {"action", "requirement", "clause", "counts", "measure", "threshold", "quote", "aliases"}
    unknown = set(data) - known if isinstance(data, dict) else set()
    if unknown:
        raise CharterError(f"unknown key(s) {', '.join(sorted(unknown))} (see udf_docs/TERMS.md)", where)
    _table_reader(data, where)
    action = _text_key(data, "action", where)
    where = f"[[approval]] {action}"
    measure = _text_key(data, "measure", where)
    if measure not in MEASURES:
        raise CharterError(f'measure "{measure}" must be shares (outstanding shares) or votes (voting power)', where)
    aliases = data.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise CharterError("aliases must be a list of text", where)
    return ApprovalRule(
        action=action,
        requirement=_text_key(data, "requirement", where),
        clause=_text_key(data, "clause", where),
        counts=_counts(data, where),
        measure=measure,
        threshold=Threshold.parse(_text_key(data, "threshold", where), where),
        quote=_text_key(data, "quote", where, ""),
        aliases=tuple(a.strip().lower() for a in aliases),
    )


def _board_from_mapping(data: dict) -> BoardRules:
    where = "[board]"
    known = {"default_directors", "default_clause", "voting_shift", "seats"}
    if not isinstance(data, dict):
        raise CharterError("must be a table", where)
    unknown = set(data) - known
    if unknown:
        raise CharterError(f"unknown key(s) {', '.join(sorted(unknown))} (see udf_docs/TERMS.md)", where)
    r = _Reader(data, where)
    default = r.whole("default_directors", "directors on the board (bylaws)") if r.has("default_directors") else 5
    seats = []
    raw_seats = data.get("seats", [])
    if not isinstance(raw_seats, list) or not raw_seats:
        raise CharterError("needs at least one [[board.seats]] table", where)
    for i, s in enumerate(raw_seats, start=1):
        w = f"[[board.seats]] {i}"
        if not isinstance(s, dict):
            raise CharterError("must be a table", w)
        unknown = set(s) - {"constituency", "period", "counts", "seats", "clause", "quote"}
        if unknown:
            raise CharterError(f"unknown key(s) {', '.join(sorted(unknown))}", w)
        period = _text_key(s, "period", w, "always")
        if period not in ("shift", "normal", "always"):
            raise CharterError(f'period "{period}" must be shift, normal or always', w)
        value = s.get("seats")
        if value == "rest":
            n = None
        elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            n = Fraction(value)
        elif isinstance(value, str) and re.fullmatch(r"\s*\d{1,3}\s*/\s*\d{1,3}\s*", value) \
                and 0 < Fraction(value.replace(" ", "")) < 1:
            n = Fraction(value.replace(" ", ""))
        else:
            raise CharterError(f'seats {_show(value)} must be a whole number of directors, a fraction of the '
                               'board below 1 ("3/4"), or "rest"', w)
        seats.append(SeatRule(_text_key(s, "constituency", w), period, _counts(s, w), n,
                              _text_key(s, "clause", w), _text_key(s, "quote", w, "")))
    shift = data.get("voting_shift")
    rules = BoardRules(tuple(seats), default, _text_key(data, "default_clause", where, "bylaws"))
    if shift is not None:
        w = "[board.voting_shift]"
        if not isinstance(shift, dict):
            raise CharterError("must be a table", w)
        unknown = set(shift) - {"counts", "sufficient", "minimum_directors", "clause", "minimum_clause", "quote"}
        if unknown:
            raise CharterError(f"unknown key(s) {', '.join(sorted(unknown))}", w)
        sr = _Reader(shift, w)
        rules = replace(rules, shift_counts=_counts(shift, w),
                        shift_sufficient=Threshold.parse(_text_key(shift, "sufficient", w), w),
                        shift_minimum=sr.whole("minimum_directors", "directors") if sr.has("minimum_directors") else 0,
                        shift_clause=_text_key(shift, "clause", w), minimum_clause=_text_key(shift, "minimum_clause", w, ""),
                        shift_quote=_text_key(shift, "quote", w, ""))
    for s in seats:
        if s.period != "always" and not rules.has_shift:
            raise CharterError(f'seats of "{s.constituency}" depend on a Voting Shift Period (period = '
                               f'"{s.period}") but the charter states none ([board.voting_shift])', where)
    return rules


def check_labels(charter: Charter) -> Charter:
    """Every ``counts`` label of the approvals and board names classes of ``charter``."""
    for a in charter.approvals:
        for label in a.counts:
            if label != AFFECTED:
                charter.counted_classes(label, f"[[approval]] {a.action}")
    if charter.board:
        for s in charter.board.seats:
            for label in s.counts:
                charter.counted_classes(label, f"[[board.seats]] {s.constituency}")
        for label in charter.board.shift_counts or ():
            charter.counted_classes(label, "[board.voting_shift]")
    return charter


_CHARTER_FIELDS = {
    "name", "document", "common_authorized", "preferred_authorized", "qualified_ipo_minimum",
    "qualified_ipo_minimum_price", "common_votes", "notice_days", "clauses_within",
}


def _refuse_unknown_keys(table: dict, known: set, section: str, where: str, prefix: str | None = None):
    """A key the terms do not define is refused, never silently dropped (a misspelt ``cap``
    would otherwise leave a series uncapped)."""
    for key in table:
        if key not in known and not (prefix and str(key).startswith(prefix)):
            also = f", or {prefix}<term>" if prefix else ""
            raise CharterError(f'{section}: unknown key "{key}"; use one of {", ".join(sorted(known))}{also}', where)


def _clauses_from_mapping(data, where: str) -> dict[str, str]:
    """The ``[clauses]`` table: a rule of :data:`RULES` -> where the charter states it. A key
    that names no rule is refused (a misspelt key would print the plain name silently)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CharterError("[clauses] must be a table of rule = \"clause\"", where)
    _refuse_unknown_keys(data, set(RULES), "[clauses]", where)
    for key, value in data.items():
        if not isinstance(value, str) or not value.strip():
            raise CharterError(f"[clauses] {key} {_show(value)} must be the clause as text, e.g. \"IV.B.2(a)\"", where)
    return {k: v.strip() for k, v in data.items()}


def charter_from_mapping(data: dict, where: str = "terms") -> Charter:
    _refuse_unknown_keys(data, {"charter", "series", "approval", "board", "clauses"}, "terms file", where)
    head = data.get("charter")
    if not isinstance(head, dict):
        raise CharterError("the terms file has no [charter] table", where)
    _refuse_unknown_keys(head, _CHARTER_FIELDS, "[charter]", where)
    r = _Reader(head, f"{where} [charter]")
    for key in ("common_authorized", "preferred_authorized"):
        if not r.has(key):
            raise CharterError(f"[charter] has no {key}", where)
    series = data.get("series", [])
    if not isinstance(series, list):
        raise CharterError("series must be [[series]] tables", where)
    names: dict[str, int] = {}
    built = []
    for i, s in enumerate(series, start=1):
        if not isinstance(s, dict):
            raise CharterError(f"[[series]] {i} must be a table", where)
        t = series_from_mapping(s, f"{where} [[series]] {i}")
        if t.name.upper() in names:
            raise CharterError(f'[[series]] {names[t.name.upper()]} and [[series]] {i} both define Series {t.name}', where)
        names[t.name.upper()] = i
        built.append(t)
    approvals = data.get("approval", [])
    if not isinstance(approvals, list):
        raise CharterError("approval must be [[approval]] tables", where)
    board = data.get("board")
    charter = Charter(
        name=_text_key(head, "name", f"{where} [charter]", "the corporation"),
        series=tuple(built),
        common_authorized=r.whole("common_authorized", "authorized Common (IV.A)"),
        preferred_authorized=r.whole("preferred_authorized", "authorized Preferred (IV.A)"),
        qualified_ipo_minimum=r.non_negative("qualified_ipo_minimum", "an aggregate offering price (3(b))")
        if r.has("qualified_ipo_minimum") else Fraction(0),
        common_votes=r.whole("common_votes", "votes per share of Common (IV.C.4)") if r.has("common_votes") else 1,
        notice_days=r.whole("notice_days", "days (Section 4)") if r.has("notice_days") else 20,
        approvals=tuple(_approval_from_mapping(a, i) for i, a in enumerate(approvals, start=1)),
        board=None if board is None else _board_from_mapping(board),
        qualified_ipo_minimum_price=r.positive("qualified_ipo_minimum_price", "a price per share (NVCA 5.1)")
        if r.has("qualified_ipo_minimum_price") else None,
        document=_text_key(head, "document", f"{where} [charter]", ""),
        clauses=_clauses_from_mapping(data.get("clauses"), where),
        clauses_within=_text_key(head, "clauses_within", f"{where} [charter]", ""),
    )
    return check_labels(charter)


def load_charter(path: str | Path) -> Charter:
    """A whole charter from a TOML file laid out like ``data/quintus_1999.toml``."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise CharterError(f'no terms file at "{path}"', "terms") from None
    except OSError as e:
        raise CharterError(f'the terms file "{path}" cannot be read ({e.strerror})', "terms") from None
    return charter_from_bytes(data, str(path))


def charter_from_bytes(data: bytes, name: str) -> Charter:
    """A whole charter from the bytes of a TOML terms file (``name`` for messages)."""
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise CharterError(f'terms file "{name}" is not UTF-8 text', "terms") from None
    except tomllib.TOMLDecodeError as bad:
        raise CharterError(f'terms file "{name}" is not valid TOML: {bad}', "terms") from None
    return charter_from_mapping(parsed, where="terms")


def _packaged(name: str) -> Charter:
    text = resources.files("xl_quintus.charter").joinpath(f"data/{name}").read_bytes()
    return charter_from_bytes(text, name)


@lru_cache(maxsize=1)
def quintus() -> Charter:
    """The embedded default: Quintus Corporation's 1999 Restated Certificate."""
    return _packaged("quintus_1999.toml")


@lru_cache(maxsize=1)
def nvca_example() -> Charter:
    """The NVCA-style example charter shipped with the package (Series Seed, A, B)."""
    return _packaged("nvca_seed_ab.toml")


def charter_with_series(base: Charter, new_series: list[SeriesTerms]) -> Charter:
    """``base`` with series added, or replaced where a name matches (IV.B new series)."""
    series = list(base.series)
    for s in new_series:
        names = [x.name.upper() for x in series]
        if s.name.upper() in names:
            series[names.index(s.name.upper())] = s
        else:
            series.append(s)
    return replace(base, series=tuple(series))
