"""Who holds what: holdings of each class, checked against the authorized shares (IV.A, IV.B).

A cap table is a tuple of :class:`Holding` records plus the :class:`~xl_quintus.terms.Charter`
whose classes they hold. Holders are optional: without names each class counts as one holder
(interpretations, 3(a) election: "Without holder names, each series counts as one holder").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..errors import CharterError
from ..numbers import largest_remainder_cents
from .terms import COMMON, Charter, quintus


@dataclass(frozen=True)
class Holding:
    """Shares of one class held by one holder.

    Attributes:
        holder: the holder's name, or None when the cap table names no holders.
        cls: the class, as resolved by ``Charter.resolve`` ("A", "G-3", "Common").
        shares: whole shares outstanding, never negative.
    """

    holder: str | None
    cls: str
    shares: int

    @property
    def holder_key(self) -> str:
        """The holder, or the class standing in for one when no names are given."""
        return self.holder if self.holder is not None else self.cls


@dataclass(frozen=True)
class Finding:
    """One problem with a cap table: what, which clause, and by how much."""

    check: str
    clause: str
    message: str


@dataclass(frozen=True)
class CapTable:
    """Outstanding shares of every class, by holder.

    Attributes:
        holdings: in input order (order breaks rounding ties between holders).
        charter: the terms the classes belong to (Quintus 1999 by default).
    """

    holdings: tuple[Holding, ...]
    charter: Charter = None  # type: ignore[assignment]

    def __post_init__(self):
        if self.charter is None:
            object.__setattr__(self, "charter", quintus())

    @classmethod
    def of(cls, rows, charter: Charter | None = None) -> "CapTable":
        """From ``(class, shares)`` or ``(holder, class, shares)`` tuples (plain Python use)."""
        charter = charter or quintus()
        holdings = []
        for i, row in enumerate(rows, start=1):
            holder, label, shares = row if len(row) == 3 else (None, *row)
            if shares < 0 or int(shares) != shares:
                raise CharterError(f"row {i}: shares must be a whole number of at least 0, got {shares}", "cap_table")
            holdings.append(Holding(holder, charter.resolve(label, "cap_table"), int(shares)))
        return cls(tuple(holdings), charter)

    @cached_property
    def shares_by_class(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for h in self.holdings:
            out[h.cls] = out.get(h.cls, 0) + h.shares
        return out

    def shares(self, cls: str) -> int:
        return self.shares_by_class.get(cls, 0)

    @cached_property
    def classes_present(self) -> tuple[str, ...]:
        """Classes with shares outstanding, in charter order (Common last)."""
        return tuple(c for c in self.charter.classes if self.shares(c) > 0)

    @cached_property
    def series_present(self) -> tuple[str, ...]:
        return tuple(c for c in self.classes_present if c != COMMON)

    @cached_property
    def holders(self) -> tuple[str, ...]:
        """Holder keys in order of first appearance."""
        return tuple(dict.fromkeys(h.holder_key for h in self.holdings))

    @property
    def has_holder_names(self) -> bool:
        return any(h.holder is not None for h in self.holdings)

    @cached_property
    def holdings_by_class(self) -> dict[str, list[tuple[str, int]]]:
        """Per class, (holder, shares) with a holder's rows of that class added together,
        holders in input order."""
        agg: dict[tuple[str, str], int] = {}
        for h in self.holdings:
            agg[(h.cls, h.holder_key)] = agg.get((h.cls, h.holder_key), 0) + h.shares
        return {c: [(k[1], n) for k, n in agg.items() if k[0] == c] for c in self.classes_present}

    def split_cents(self, cls: str, exact_total, cents: int) -> list[tuple[str, int, int]]:
        """A class's payment among its holders: (holder, shares, cents), pro rata to shares,
        by largest remainder so they add up to ``cents`` (ties to the earlier holder)."""
        holders = self.holdings_by_class[cls]
        n_cls = self.shares(cls)
        parts = [exact_total * n / n_cls for _, n in holders]
        return [(h, n, c) for (h, n), c in zip(holders, largest_remainder_cents(parts, cents))]

    def holdings_of(self, holder_key: str) -> tuple[Holding, ...]:
        return tuple(h for h in self.holdings if h.holder_key == holder_key)

    def authorized_findings(self) -> list[Finding]:
        """Shares outstanding beyond what IV.A and IV.B authorize."""
        ch = self.charter
        found = []
        for s in ch.series:
            n = self.shares(s.name)
            if n > s.authorized:
                found.append(Finding(
                    "authorized", "IV.B",
                    f"Series {s.name}: {n:,} shares outstanding exceed the {s.authorized:,} authorized",
                ))
        preferred = sum(self.shares(s.name) for s in ch.series)
        if preferred > ch.preferred_authorized:
            found.append(Finding(
                "authorized", "IV.A",
                f"Preferred Stock: {preferred:,} shares outstanding exceed the {ch.preferred_authorized:,} authorized",
            ))
        common = self.shares(COMMON)
        if common > ch.common_authorized:
            found.append(Finding(
                "authorized", "IV.A",
                f"Common Stock: {common:,} shares outstanding exceed the {ch.common_authorized:,} authorized",
            ))
        return found

    def validate(self) -> "CapTable":
        """Raise on the first authorized-share limit the table breaks; return it otherwise."""
        found = self.authorized_findings()
        if found:
            f = found[0]
            raise CharterError(f"{f.message} (charter {f.clause})", "cap_table")
        return self
