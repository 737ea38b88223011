"""Charter IV.B Section 3(d): Conversion Price adjustments, as a ledger of events.

| clause | rule | here |
|---|---|---|
| 3(d)(i)(A) | Additional Stock issued after a series' Purchase Date below its Conversion Price: CP2 = CP1 x (A + B) / (A + C) | ``_dilute`` |
| 3(d)(i)(B) | an adjustment under one cent is carried forward: made with the next adjustment within 3 years, or at the end of 3 years | ``proviso_3d_i_b_carry_forward``, ``_State.anniversaries`` |
| 3(d)(i)(B) | no adjustment raises a Conversion Price, except a recomputation under (E)(3)-(4) | ``_dilute`` |
| 3(d)(i)(C)-(D) | consideration: cash before discounts and expenses; non-cash at the Board's fair value | the Consideration input |
| 3(d)(i)(E)(1)-(2) | options and convertibles: the maximum shares deemed issued at grant, for premium + minimum exercise price | ``Grant`` |
| 3(d)(i)(E)(3) | a change of terms recomputes every CP affected; exercise changes nothing further | ``Amend``: replay with new terms; ``Exercise`` |
| 3(d)(i)(E)(4)-(5) | expiry recomputes as if only the exercised shares had been issued | ``Expire``: replay with fewer shares |
| 3(d)(ii)(A)-(M) | excluded issuances: no adjustment, but outstanding Common grows (except (C), conversions of preferred already counted as converted) | ``Excluded`` |
| 3(d)(iii) | splits and stock dividends on Common divide every CP | ``Split`` |
| 3(d)(iv) | combinations multiply every CP | ``Combine`` |
| 3(b)(ii)-(iii) | the $8.30 and $11.00 IPO thresholds follow splits and combinations | ``Ledger.split_factor`` |
| 3(e)-(f) | other distributions and recapitalizations: as if converted on the record date | ``xl_quintus.dividends`` (non-cash), ``xl_quintus.conversion.recapitalization_entitlement`` |

Readings (shared/spec/charter-interpretations.md): A = Common outstanding just before (with
shares deemed issued under (E)) plus Common issuable on conversion of all outstanding
preferred, exact; B = consideration / CP1; C = shares of Additional Stock. An issuance counts
for a series only on a date after its Purchase Date. The cap table is the position before the
first event; a series with no Purchase event counts as purchased before every event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from fractions import Fraction

from .cap_table import CapTable
from ..errors import CharterError
from ..numbers import ZERO
from .terms import COMMON

EVENT_TYPES = ("Purchase", "Issue", "Excluded", "Grant", "Amend", "Expire", "Exercise", "Split", "Combine")
EXCLUDED_LETTERS = tuple("BCDEFGHIJKLM")
ONE_CENT = Fraction(1, 100)          # 3(d)(i)(B)
CARRY_YEARS = 3                      # 3(d)(i)(B)


@dataclass(frozen=True)
class Event:
    """One row of the events range.

    Attributes:
        date: when it happened.
        kind: one of EVENT_TYPES.
        shares: shares issued / deemed issued / expired / exercised; the ratio for Split/Combine.
        consideration: total consideration (cash gross of expenses, non-cash at fair value).
        ref: the series (Purchase), the letter (Excluded) or the instrument id (Grant ...).
        row: 1-based row of the input range, for messages.
    """

    date: dt.date
    kind: str
    shares: Fraction
    consideration: Fraction
    ref: str
    row: int


@dataclass
class _Series:
    cp: Fraction
    purchase: dt.date | None
    carried: list = field(default_factory=list)      # [(amount, date of the event)], 3(d)(i)(B)


@dataclass(frozen=True)
class LedgerRow:
    """The state after one event: each series' Conversion Price and the amount carried."""

    date: dt.date
    event: str
    clause: str
    cps: dict
    carried: dict


@dataclass(frozen=True)
class Ledger:
    """Every Conversion Price after every event.

    Attributes:
        rows: one per event (and per 3-year anniversary that made a carried adjustment).
        cps: the Conversion Prices after the last event processed.
        split_factor: cumulative split ratio (3(b)(ii)-(iii) thresholds are divided by it).
    """

    rows: tuple[LedgerRow, ...]
    cps: dict
    split_factor: Fraction


# 3(d)(i)(B): "No adjustment of the Conversion Price for the Series Preferred Stock shall be made
# in an amount less than one cent per share, provided that any adjustments which are not
# required to be made by reason of this sentence shall be carried forward and shall be either
# taken into account in any subsequent adjustment made prior to 3 years from the date of the
# event giving rise to the adjustment being carried forward, or shall be made at the end of 3
# years from the date of the event giving rise to the adjustment being carried forward."
def proviso_3d_i_b_carry_forward(series: _Series, adjustment: Fraction, on: dt.date) -> bool:
    """Make ``adjustment`` (how much 3(d)(i)(A) lowers the series' Conversion Price) together
    with every amount still carried, or, when that is less than one cent, carry it forward
    from ``on``. Returns whether the Conversion Price changed. (Carried amounts whose 3 years
    have run are made first, by ``_State.anniversaries``.)"""
    due = adjustment + sum((amount for amount, _ in series.carried), ZERO)
    if due < ONE_CENT:
        series.carried.append((adjustment, on))
        return False
    series.cp -= due
    series.carried = []
    return True


def _anniversary(date: dt.date) -> dt.date:
    try:
        return date.replace(year=date.year + CARRY_YEARS)
    except ValueError:                                # 29 February
        return date.replace(year=date.year + CARRY_YEARS, day=28)


class _State:
    """The ledger's running state; copied for replays."""

    def __init__(self, cap_table: CapTable, purchase: dict):
        charter = cap_table.charter
        self.cap_table = cap_table
        self.series = {s.name: _Series(s.original_issue_price, purchase.get(s.name))
                       for s in charter.series if cap_table.shares(s.name) or s.name in purchase}
        self.common = Fraction(cap_table.shares(COMMON))
        self.split_factor = Fraction(1)

    def outstanding_as_converted(self, on: dt.date) -> Fraction:
        """A: Common outstanding plus Common issuable on conversion of outstanding preferred."""
        charter = self.cap_table.charter
        total = self.common
        for name, s in self.series.items():
            if s.purchase is None or s.purchase <= on:
                total += self.cap_table.shares(name) * charter.terms(name).original_issue_price / s.cp
        return total

    def dilute(self, on: dt.date, shares: Fraction, consideration: Fraction) -> list[str]:
        """3(d)(i)(A)-(B): adjust every series the issuance dilutes; return their names."""
        a = self.outstanding_as_converted(on)
        changed = []
        for name, s in self.series.items():
            if s.purchase is not None and not on > s.purchase:        # "after the ... Purchase Date"
                continue
            if shares <= 0 or consideration / shares >= s.cp:          # not below the CP in effect
                continue
            new_cp = s.cp * (a + consideration / s.cp) / (a + shares)   # CP1 x (A + B) / (A + C)
            if proviso_3d_i_b_carry_forward(s, s.cp - new_cp, on):
                changed.append(name)
        self.common += shares
        return changed

    def anniversaries(self, until: dt.date, inclusive: bool) -> list[tuple[dt.date, list[str]]]:
        """(B) "or shall be made at the end of 3 years": carried amounts whose anniversary
        comes before ``until`` (or on it, if ``inclusive``) are made then."""
        due: dict[dt.date, list[str]] = {}
        for name, s in self.series.items():
            for amount, when in list(s.carried):
                end = _anniversary(when)
                if end < until or (inclusive and end == until):
                    due.setdefault(end, []).append(name)
        out = []
        for end in sorted(due):
            names = []
            for name in due[end]:
                s = self.series[name]
                keep = [(a, w) for a, w in s.carried if _anniversary(w) != end]
                made = sum((a for a, w in s.carried if _anniversary(w) == end), ZERO)
                if made:
                    s.cp -= made
                    s.carried = keep
                    names.append(name)
            if names:
                out.append((end, names))
        return out

    def split(self, ratio: Fraction):
        """3(d)(iii): CPs (and carried amounts) divided by the ratio; Common multiplied."""
        for s in self.series.values():
            s.cp /= ratio
            s.carried = [(a / ratio, w) for a, w in s.carried]
        self.common *= ratio
        self.split_factor *= ratio

    def copy(self) -> "_State":
        other = object.__new__(_State)
        other.cap_table, other.common, other.split_factor = self.cap_table, self.common, self.split_factor
        other.series = {n: replace(s, carried=list(s.carried)) for n, s in self.series.items()}
        return other


def run_ledger(cap_table: CapTable, events: list[Event], as_of: dt.date | None = None) -> Ledger:
    """Process ``events`` (sorted by date, stable) up to ``as_of`` (default: all)."""
    events = sorted(events, key=lambda e: e.date)                   # stable: input order kept
    _validate(cap_table, events)
    purchase: dict[str, dt.date] = {}
    for e in events:
        if e.kind == "Purchase":
            purchase.setdefault(e.ref, e.date)
    instruments: dict[str, tuple[Fraction, Fraction]] = {}          # id -> current (shares, consideration)
    state = _State(cap_table, purchase)
    rows: list[LedgerRow] = []
    for i, e in enumerate(events):
        if as_of is not None and e.date > as_of:
            break
        rows += _anniversary_rows(state, e.date)
        if e.kind in ("Amend", "Expire"):
            # (E)(3)-(4): recompute "as if" issued on the new terms / for the shares actually
            # issued: replay the history before this event with the instrument's new terms
            _change_terms(instruments, events[:i], e)
            state = _State(cap_table, purchase)
            for earlier in events[:i]:
                state.anniversaries(earlier.date, inclusive=True)
                _apply(state, earlier, instruments)
            state.anniversaries(e.date, inclusive=True)
        label, clause = _apply(state, e, instruments)
        rows.append(_row(state, e.date, label, clause))
    if as_of is not None:
        rows += _anniversary_rows(state, as_of)
    return Ledger(tuple(rows), {n: s.cp for n, s in state.series.items()}, state.split_factor)


def _apply(state: _State, e: Event, instruments: dict) -> tuple[str, str]:
    """One event's effect on the state; (label, clause) for the ledger."""
    if e.kind == "Purchase":
        return f"Purchase Date of Series {e.ref}", "IV.B.3(d)(i)(A)"
    if e.kind == "Issue":
        changed = state.dilute(e.date, e.shares, e.consideration)
        return (f"Issue of {_n(e.shares)} Common for ${float(e.consideration):,.2f}" + _adjusted(changed),
                "IV.B.3(d)(i)(A)-(D)")
    if e.kind == "Excluded":
        if e.ref != "C":                    # (C): conversions of preferred, already in A as converted
            state.common += e.shares
        return f"Excluded issuance of {_n(e.shares)} ({e.ref})", f"IV.B.3(d)(ii)({e.ref})"
    if e.kind == "Grant":
        shares, consideration = instruments.get(e.ref, (e.shares, e.consideration))
        changed = state.dilute(e.date, shares, consideration)
        return (f"Grant {e.ref}: {_n(shares)} deemed issued for ${float(consideration):,.2f}" + _adjusted(changed),
                "IV.B.3(d)(i)(E)(1)-(2)")
    if e.kind == "Amend":
        return f"Amend {e.ref}: recomputed on the new terms", "IV.B.3(d)(i)(E)(3)"
    if e.kind == "Expire":
        return f"Expire {_n(e.shares)} of {e.ref}: recomputed", "IV.B.3(d)(i)(E)(4)-(5)"
    if e.kind == "Exercise":
        return f"Exercise of {_n(e.shares)} under {e.ref}: no further adjustment", "IV.B.3(d)(i)(E)(3)"
    if e.kind == "Split":
        state.split(e.shares)
        return f"Split or stock dividend, {_n(e.shares)} for 1", "IV.B.3(d)(iii)"
    state.split(1 / e.shares)                                        # Combine
    return f"Combination, 1 for {_n(e.shares)}", "IV.B.3(d)(iv)"


def _change_terms(instruments: dict, before: list[Event], change: Event):
    """The instrument's terms from now on: new terms (Amend), or fewer shares with the
    consideration in proportion (Expire, (E)(5))."""
    grant = next(g for g in before if g.kind == "Grant" and g.ref == change.ref)
    shares, consideration = instruments.get(change.ref, (grant.shares, grant.consideration))
    if change.kind == "Amend":
        instruments[change.ref] = (change.shares, change.consideration)
    else:
        left = shares - change.shares
        instruments[change.ref] = (left, consideration * left / shares if shares else ZERO)


def _anniversary_rows(state: _State, until: dt.date) -> list[LedgerRow]:
    return [_row(state, end, f"Carried adjustment made at 3 years ({', '.join(names)})", "IV.B.3(d)(i)(B)")
            for end, names in state.anniversaries(until, inclusive=True)]


def _validate(cap_table: CapTable, events: list[Event]):
    granted: dict[str, Fraction] = {}
    used: dict[str, Fraction] = {}
    for e in events:
        where = f"events row {e.row}"
        if e.kind in ("Issue", "Grant", "Excluded", "Amend", "Expire", "Exercise") and (e.shares < 0 or e.shares.denominator != 1):
            raise CharterError(f"{e.kind}: shares must be a whole number of at least 0, got {float(e.shares):g}", where)
        if e.kind in ("Split", "Combine") and e.shares <= 0:
            raise CharterError(f"{e.kind}: the ratio must be above 0, got {float(e.shares):g}", where)
        if e.consideration < 0:
            raise CharterError(f"consideration cannot be negative, got {float(e.consideration):g}", where)
        if e.kind == "Purchase" and not cap_table.charter.is_series(e.ref):
            raise CharterError(f'Purchase: Ref must name a series of Preferred Stock, got "{e.ref}"', where)
        if e.kind == "Excluded" and e.ref not in EXCLUDED_LETTERS:
            raise CharterError(f'Excluded: Ref must be a letter of 3(d)(ii), B to M, got "{e.ref}"', where)
        if e.kind == "Grant":
            if e.ref in granted:
                raise CharterError(f'Grant: instrument "{e.ref}" was already granted', where)
            granted[e.ref] = e.shares
        if e.kind in ("Amend", "Expire", "Exercise"):
            if e.ref not in granted:
                raise CharterError(f'{e.kind} of unknown instrument "{e.ref}": grant it first (a Grant row)', where)
            if e.kind == "Amend":
                granted[e.ref] = e.shares
            else:
                used[e.ref] = used.get(e.ref, ZERO) + e.shares
                if used[e.ref] > granted[e.ref]:
                    raise CharterError(f'{e.kind}: instrument "{e.ref}" has only {float(granted[e.ref]):g} shares', where)
                if e.kind == "Expire":
                    granted[e.ref] -= e.shares
                    used[e.ref] -= e.shares


def _row(state: _State, date, label, clause) -> LedgerRow:
    return LedgerRow(date, label, clause, {n: s.cp for n, s in state.series.items()},
                     {n: sum((a for a, _ in s.carried), ZERO) for n, s in state.series.items()})


def _adjusted(changed: list[str]) -> str:
    return f": adjusts {', '.join(changed)}" if changed else ""


def _n(x: Fraction) -> str:
    return f"{int(x):,}" if x.denominator == 1 else f"{float(x):,g}"
