"""Who holds what: holdings of each class, checked against the authorized shares (IV.A, IV.B).

A cap table is a tuple of :class:`Holding` records plus the :class:`~xl_quintus.terms.Charter`
whose classes they hold. Holders are optional: without names each class counts as one holder
(interpretations, 3(a) election: "Without holder names, each series counts as one holder").

Options and warrants (excel-functions.md, "Options and warrants in a cap table") are
:class:`Instrument` rows, kept apart from the holdings: they are not outstanding shares, so
they carry no votes and take no part in a distribution until exercised. Rows of one class at
one exercise price form a :class:`Tranche`, exercised together (``CapTable.tranches``);
``CapTable.with_exercised`` is the cap table after some tranches are exercised.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
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
class Instrument:
    """An option or warrant: the right to buy ``shares`` of ``cls`` at ``exercise_price`` each.

    The charter names such warrants itself (IV.B.3(d)(ii)(H)-(L): Common, Series B 192,262
    shares, Series C 55,340 shares). Not outstanding stock until exercised.

    Attributes:
        holder: the holder's name, or None when the row names none.
        cls: the class it buys, as resolved by ``Charter.resolve`` (Common or a series).
        shares: whole shares it buys, never negative.
        exercise_price: price per share, exact, never negative.
    """

    holder: str | None
    cls: str
    shares: int
    exercise_price: Fraction


def price_label(price: Fraction) -> str:
    """An exercise price as a label shows it: at least two decimals, more when it has them
    (``0.50``, ``1.43``, ``0.125``); a price with no short decimal to six places."""
    for places in range(2, 7):
        scaled = price * 10 ** places
        if scaled.denominator == 1:
            text = str(scaled.numerator).rjust(places + 1, "0")
            return f"{text[:-places]}.{text[-places:]}"
    return f"{float(price):.6f}"


@dataclass(frozen=True)
class Tranche:
    """Every instrument row of one class at one exercise price: exercised together.

    Attributes:
        cls: the class bought.
        exercise_price: per share.
        instruments: the rows, input order.
    """

    cls: str
    exercise_price: Fraction
    instruments: tuple[Instrument, ...]

    @property
    def shares(self) -> int:
        return sum(i.shares for i in self.instruments)

    @property
    def label(self) -> str:
        """``Common @ 0.50``, ``B @ 1.43`` (the QWATERFALL row)."""
        return f"{self.cls} @ {price_label(self.exercise_price)}"

    @property
    def exercise_paid(self) -> Fraction:
        """What exercising the whole tranche pays the corporation: shares x exercise price."""
        return self.shares * self.exercise_price

    def holder_key(self, instrument: Instrument) -> str:
        """An instrument's holder, or the tranche standing in for one when no name is given."""
        return instrument.holder if instrument.holder is not None else self.label

    @cached_property
    def holdings_by_holder(self) -> list[tuple[str, int]]:
        """(holder, shares) with a holder's rows added together, input order."""
        agg: dict[str, int] = {}
        for i in self.instruments:
            agg[self.holder_key(i)] = agg.get(self.holder_key(i), 0) + i.shares
        return list(agg.items())


@dataclass(frozen=True)
class Finding:
    """One problem with a cap table: what, which clause (as the terms in force give it, else
    the rule's plain name), and by how much; ``stated``: whether the terms give the clause."""

    check: str
    clause: str
    message: str
    stated: bool = True


@dataclass(frozen=True)
class CapTable:
    """Outstanding shares of every class, by holder.

    Attributes:
        holdings: in input order (order breaks rounding ties between holders).
        charter: the terms the classes belong to (Quintus 1999 by default).
        instruments: options and warrants, input order; not in ``holdings`` (no votes, no
            part in a distribution) until exercised.
        exercised: tranches whose shares were added to ``holdings`` by
            :meth:`with_exercised` (the authorized limits of :meth:`validate` count only
            the shares outstanding before; QCHECK reports shares issuable on exercise).
    """

    holdings: tuple[Holding, ...]
    charter: Charter = None  # type: ignore[assignment]
    instruments: tuple[Instrument, ...] = ()
    exercised: tuple[Tranche, ...] = ()

    def __post_init__(self):
        if self.charter is None:
            object.__setattr__(self, "charter", quintus())

    def __hash__(self):
        # computed once (frozen): every cached model and ledger is keyed by the cap table,
        # and 10,000 holdings take about 2 ms to hash
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash((self.holdings, self.charter, self.instruments, self.exercised))
            object.__setattr__(self, "_hash", h)
        return h

    @classmethod
    def of(cls, rows, charter: Charter | None = None) -> "CapTable":
        """From ``(class, shares)``, ``(holder, class, shares)`` or ``(holder, class, shares,
        exercise_price)`` tuples (plain Python use); an exercise price of None is a holding."""
        charter = charter or quintus()
        holdings, instruments = [], []
        for i, row in enumerate(rows, start=1):
            price = None
            if len(row) == 4:
                holder, label, shares, price = row
            else:
                holder, label, shares = row if len(row) == 3 else (None, *row)
            if shares < 0 or int(shares) != shares:
                raise CharterError(f"row {i}: shares must be a whole number of at least 0, got {shares}", term="cap table")
            if price is None:
                holdings.append(Holding(holder, charter.resolve(label, "cap_table"), int(shares)))
            else:
                instruments.append(instrument(holder, charter.resolve(label, "cap_table"), int(shares), price, i))
        return cls(tuple(holdings), charter, tuple(instruments))

    # -- options and warrants ---------------------------------------------------------------

    @cached_property
    def tranches(self) -> tuple[Tranche, ...]:
        """Instrument rows grouped by (class, exercise price), in the order a liquidation
        considers them: lowest exercise price first, then charter order of the class."""
        groups: dict[tuple[str, Fraction], list[Instrument]] = {}
        for i in self.instruments:
            groups.setdefault((i.cls, i.exercise_price), []).append(i)
        out = [Tranche(c, p, tuple(rows)) for (c, p), rows in groups.items()]
        return tuple(sorted(out, key=lambda t: (t.exercise_price, self.charter.order(t.cls))))

    def with_exercised(self, tranches) -> "CapTable":
        """The cap table after ``tranches`` are exercised: their shares outstanding, held by
        their holders (after every other row, so input-order ties still go to the earlier
        holder), and no instruments left."""
        tranches = tuple(tranches)
        issued = tuple(Holding(i.holder if i.holder is not None else (None if not self.has_holder_names else t.label),
                               t.cls, i.shares)
                       for t in tranches for i in t.instruments)
        return CapTable(self.holdings + issued, self.charter, (), self.exercised + tranches)

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
        return any(h.holder is not None for h in self.holdings) or any(i.holder is not None for i in self.instruments)

    @cached_property
    def holdings_by_class(self) -> dict[str, list[tuple[str, int]]]:
        """Per class, (holder, shares) with a holder's rows of that class added together,
        holders in input order."""
        agg: dict[str, dict[str, int]] = {}
        for h in self.holdings:
            per = agg.setdefault(h.cls, {})
            per[h.holder_key] = per.get(h.holder_key, 0) + h.shares
        return {c: list(agg[c].items()) for c in self.classes_present}

    def split_cents(self, cls: str, exact_total, cents: int) -> list[tuple[str, int, int]]:
        """A class's payment among its holders: (holder, shares, cents), pro rata to shares,
        by largest remainder so they add up to ``cents`` (ties to the earlier holder)."""
        holders = self.holdings_by_class[cls]
        n_cls = self.shares(cls)
        total = Fraction(exact_total)
        # largest_remainder_cents over parts total x n / n_cls, in whole numbers: every part has
        # the denominator total.denominator x n_cls, so remainders compare as numerators
        den = total.denominator * n_cls
        nums = [total.numerator * 100 * n for _, n in holders]
        floors = [x // den for x in nums]
        missing = cents - sum(floors)
        if missing < 0 or missing > len(holders):
            return [(h, n, c) for (h, n), c in zip(holders, largest_remainder_cents(
                [total * n / n_cls for _, n in holders], cents))]          # the same error message
        if missing:
            for i in sorted(range(len(holders)), key=lambda i: (-(nums[i] % den), i))[:missing]:
                floors[i] += 1
        return [(h, n, c) for (h, n), c in zip(holders, floors)]

    @cached_property
    def _by_holder(self) -> dict[str, tuple[Holding, ...]]:
        """Each holder's rows, in input order (one pass; ``holdings_of`` is called per holder)."""
        out: dict[str, list[Holding]] = {}
        for h in self.holdings:
            out.setdefault(h.holder_key, []).append(h)
        return {k: tuple(v) for k, v in out.items()}

    def holdings_of(self, holder_key: str) -> tuple[Holding, ...]:
        return self._by_holder.get(holder_key, ())

    @cached_property
    def _memo(self) -> dict:
        return {}

    def holders_of_classes(self, classes: frozenset) -> tuple[tuple[str, int], ...]:
        """(holder, shares held of ``classes`` added up) for every holder of any of them, in
        input order (a 3(a) election's voters); one pass per set of classes, then kept."""
        key = ("holders of", classes)
        if key not in self._memo:
            held: dict[str, int] = {}
            for h in self.holdings:
                if h.cls in classes and h.shares:
                    held[h.holder_key] = held.get(h.holder_key, 0) + h.shares
            self._memo[key] = tuple(held.items())
        return self._memo[key]

    def rows_of_holders(self, holder_keys: frozenset) -> tuple[Holding, ...]:
        """Every row of the holders ``holder_keys``, in input order; one pass per set, then kept."""
        key = ("rows of", holder_keys)
        if key not in self._memo:
            self._memo[key] = tuple(h for h in self.holdings if h.holder_key in holder_keys)
        return self._memo[key]

    def issuable_on_exercise(self, cls: str) -> int:
        """Shares of ``cls`` that the instruments (or, after :meth:`with_exercised`, the
        exercised tranches) can issue."""
        return sum(i.shares for i in self.instruments if i.cls == cls) \
            + sum(t.shares for t in self.exercised if t.cls == cls)

    def authorized_findings(self, with_instruments: bool = False) -> list[Finding]:
        """Shares outstanding beyond what IV.A and IV.B authorize; ``with_instruments``:
        shares outstanding plus those issuable on exercise of options and warrants."""
        ch = self.charter
        found = []
        counted = {}
        for c in ch.classes:
            before_exercise = self.shares(c) - sum(t.shares for t in self.exercised if t.cls == c)
            counted[c] = before_exercise + (self.issuable_on_exercise(c) if with_instruments else 0)
        what = "shares outstanding and issuable on exercise of options and warrants" if with_instruments \
            else "shares outstanding"
        for s in ch.series:
            n = counted[s.name]
            if n > s.authorized:
                found.append(Finding(
                    "authorized", ch.clause("series_authorized"),
                    f"Series {s.name}: {n:,} {what} exceed the {s.authorized:,} authorized",
                    stated="series_authorized" in ch.clauses,
                ))
        preferred = sum(counted[s.name] for s in ch.series)
        if preferred > ch.preferred_authorized:
            found.append(Finding(
                "authorized", ch.clause("authorized"),
                f"Preferred Stock: {preferred:,} {what} exceed the {ch.preferred_authorized:,} authorized",
                stated="authorized" in ch.clauses,
            ))
        common = counted[COMMON]
        if common > ch.common_authorized:
            found.append(Finding(
                "authorized", ch.clause("authorized"),
                f"Common Stock: {common:,} {what} exceed the {ch.common_authorized:,} authorized",
                stated="authorized" in ch.clauses,
            ))
        return found

    def validate(self) -> "CapTable":
        """Raise on the first authorized-share limit the table breaks; return it otherwise."""
        found = self.authorized_findings()
        if found:
            f = found[0]
            raise CharterError(f.message, term="cap table", clause=f.clause if f.stated else None)
        return self


def instrument(holder, cls: str, shares: int, exercise_price, row: int = 0) -> Instrument:
    """An :class:`Instrument`, its exercise price checked (a price below 0 is refused)."""
    from ..numbers import exact

    try:
        price = exact(exercise_price)
    except (TypeError, ValueError, ArithmeticError):
        raise CharterError(f"row {row}: exercise price {exercise_price!r} is not a number", term="cap table") from None
    if price < 0:
        raise CharterError(f"row {row}: an exercise price cannot be negative, got {float(price)}", term="cap table")
    return Instrument(holder, cls, shares, price)
