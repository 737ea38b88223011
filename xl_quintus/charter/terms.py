"""Charter terms as data: Article IV.A (classes and authorized shares) and IV.B (series).

The engine reads every series term from a :class:`Charter`; it names no series itself.
Quintus 1999 is embedded (``data/quintus_1999.toml``) and is the default everywhere. A
series the Board creates under IV.B ("senior to", "pari passu with" or "subordinated to"
the others, with its own preference and participation) is one more :class:`SeriesTerms`:
from a TOML file (:func:`load_charter`) or rows of a range (:func:`charter_with_series`).
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import CharterError
from ..numbers import exact

COMMON = "Common"
PARTICIPATION_KINDS = ("none", "capped", "full")


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
    def parse(cls, text: str) -> "Threshold":
        m = re.fullmatch(r"\s*(>=|>)\s*([0-9./]+)\s*", text)
        if not m:
            raise CharterError(f'threshold "{text}" is not of the form ">1/2" or ">=3/5"', "terms")
        return cls(Fraction(m.group(2)), m.group(1) == ">=")

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
        dividend_rate: annual preferential dividend per share (1(a)).
        seniority: liquidation rank; a higher rank is paid before a lower one (2(a)).
        participation: "none", "capped" or "full" participation with Common in 2(b).
        cap: per-share total a capped series may receive, 2(a) included (2(b)); None otherwise.
        cash_amount: per-share cash due on conversion (3(a) Cash Amount); None if the series has none.
        election: conversion group; series sharing one convert only together (3(a)).
        votes: votes per share of Common into which the series converts (5(c)).
        ipo_ratchet_price: 3(b)(ii)/(iii) price below which a qualified IPO converts at the ratchet.
        consent_conversion: written consent that converts the series (3(b)(ii)-(iv)).
        consent_group: which shares count for that consent ("G": all G series).
        family: a label naming several series at once ("G").
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
    consent_conversion: Threshold | None = None
    consent_group: str | None = None
    family: str | None = None
    clauses: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def participates(self) -> bool:
        """Whether the series shares in 2(b) as preferred."""
        return self.participation != "none"


@dataclass(frozen=True)
class Charter:
    """The share classes of one certificate of incorporation.

    Attributes:
        name: the corporation.
        series: every series of Preferred Stock, in the charter's order.
        document: the instrument these terms come from (title and date), if the terms name it.
        common_authorized, preferred_authorized: IV.A.
        qualified_ipo_minimum: 3(b) aggregate offering price of a qualified IPO.
        common_votes: votes per share of Common (IV.C.4).
        notice_days: days before a record date a notice must be mailed (Section 4).
    """

    name: str
    series: tuple[SeriesTerms, ...]
    common_authorized: int
    preferred_authorized: int
    qualified_ipo_minimum: Fraction
    common_votes: int = 1
    notice_days: int = 20
    document: str = ""

    def __post_init__(self):
        by_name = {}
        for s in self.series:
            if s.name.upper() in by_name:
                raise CharterError(f'series "{s.name}" is defined twice', "terms")
            by_name[s.name.upper()] = s
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_labels", _label_table(self))

    def __hash__(self):
        return hash((self.name, self.series))

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
                f'"{name}" is not a series of Preferred Stock of {self.name} (charter IV.B); '
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
            f'"{label}" is not a class of {self.name} stock (charter IV.A, IV.B); '
            f"use one of {', '.join(self.classes)}",
            argument,
        )

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


# --- loading --------------------------------------------------------------------------

_SERIES_FIELDS = {
    "name", "authorized", "original_issue_price", "dividend_rate", "seniority",
    "participation", "cap", "cash_amount", "election", "votes", "ipo_ratchet_price",
    "consent_conversion", "consent_group", "family",
}


def series_from_mapping(row: dict, where: str = "terms") -> SeriesTerms:
    """A :class:`SeriesTerms` from a TOML table or a range row (keys as in the TOML file)."""
    _refuse_unknown_keys(row, _SERIES_FIELDS, f"[[series]] {row.get('name', '?')}", where, prefix="clause_")
    try:
        name = str(row["name"]).strip()
        if not name or _label_key(name) in {"COMMON", "COMMON STOCK"}:
            raise CharterError(f'"{name}" cannot name a series of Preferred Stock', where)
        participation = str(row.get("participation", "none")).strip().lower()
        if participation not in PARTICIPATION_KINDS:
            raise CharterError(
                f'{name}: participation "{participation}" must be one of {", ".join(PARTICIPATION_KINDS)}',
                where,
            )
        cap = row.get("cap")
        cap = None if cap in (None, "") else exact(cap)
        if participation == "capped" and cap is None:
            raise CharterError(f"{name}: a capped series needs a cap per share (2(b))", where)
        if participation != "capped":
            cap = None
        def opt(key):
            v = row.get(key)
            return None if v in (None, "") else exact(v)
        oip = exact(row["original_issue_price"])
        if oip <= 0:
            raise CharterError(f"{name}: original issue price must be above 0, got {row['original_issue_price']}", where)
        authorized = exact(row["authorized"])
        if authorized < 0 or authorized.denominator != 1:
            raise CharterError(f"{name}: authorized shares must be a whole number, got {row['authorized']}", where)
        consent = row.get("consent_conversion")
        return SeriesTerms(
            name=name,
            authorized=int(authorized),
            original_issue_price=oip,
            dividend_rate=opt("dividend_rate") or Fraction(0),
            seniority=int(exact(row.get("seniority", 1))),
            participation=participation,
            cap=cap,
            cash_amount=opt("cash_amount"),
            election=str(row.get("election") or name).strip(),
            votes=int(exact(row.get("votes", 1))),
            ipo_ratchet_price=opt("ipo_ratchet_price"),
            consent_conversion=Threshold.parse(consent) if consent else None,
            consent_group=(str(row.get("consent_group")).strip() if row.get("consent_group") else name),
            family=(str(row["family"]).strip() if row.get("family") else None),
            clauses={k[len("clause_"):]: v for k, v in row.items() if k.startswith("clause_")},
        )
    except KeyError as missing:
        raise CharterError(f"series {row.get('name', '?')} has no {missing.args[0]}", where) from None
    except (ValueError, TypeError, ArithmeticError) as bad:
        if isinstance(bad, CharterError):
            raise
        raise CharterError(f"series {row.get('name', '?')}: {bad}", where) from None


_CHARTER_FIELDS = {
    "name", "document", "common_authorized", "preferred_authorized", "qualified_ipo_minimum",
    "common_votes", "notice_days",
}


def _refuse_unknown_keys(table: dict, known: set, section: str, where: str, prefix: str | None = None):
    """A key the terms do not define is refused, never silently dropped (a misspelt ``cap``
    would otherwise leave a series uncapped)."""
    for key in table:
        if key not in known and not (prefix and str(key).startswith(prefix)):
            also = f", or {prefix}<term>" if prefix else ""
            raise CharterError(f'{section}: unknown key "{key}"; use one of {", ".join(sorted(known))}{also}', where)


def charter_from_mapping(data: dict, where: str = "terms") -> Charter:
    _refuse_unknown_keys(data, {"charter", "series"}, "terms file", where)
    head = data.get("charter", {})
    _refuse_unknown_keys(head, _CHARTER_FIELDS, "[charter]", where)
    try:
        return Charter(
            name=head.get("name", "the corporation"),
            series=tuple(series_from_mapping(s, where) for s in data.get("series", [])),
            common_authorized=int(head["common_authorized"]),
            preferred_authorized=int(head["preferred_authorized"]),
            qualified_ipo_minimum=exact(head.get("qualified_ipo_minimum", "0")),
            common_votes=int(head.get("common_votes", 1)),
            notice_days=int(head.get("notice_days", 20)),
            document=str(head.get("document", "")),
        )
    except KeyError as missing:
        raise CharterError(f"[charter] has no {missing.args[0]}", where) from None


def load_charter(path: str | Path) -> Charter:
    """A whole charter from a TOML file laid out like ``data/quintus_1999.toml``."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise CharterError(f'no terms file at "{path}"', "terms") from None
    except tomllib.TOMLDecodeError as bad:
        raise CharterError(f'terms file "{path}" is not valid TOML: {bad}', "terms") from None
    return charter_from_mapping(data, where="terms")


@lru_cache(maxsize=1)
def quintus() -> Charter:
    """The embedded default: Quintus Corporation's 1999 Restated Certificate."""
    text = resources.files("xl_quintus.charter").joinpath("data/quintus_1999.toml").read_bytes()
    return charter_from_mapping(tomllib.loads(text.decode("utf-8")))


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
