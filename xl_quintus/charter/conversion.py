"""Charter IV.B Section 3(a)-(c), (h), (i) and Section 7: conversion into Common.

| clause | rule | here |
|---|---|---|
| 3(a) | each share converts into Original Issue Price / Conversion Price shares of Common | ``conversion_rate`` |
| 3(a) | A-D also receive a Cash Amount per share "plus all declared but unpaid dividends" | ``cash_amount_due`` |
| 3(b)(i)-(iv) | a firm commitment underwritten offering on Form S-1 of at least $40,000,000 converts every series | ``qualified_ipo`` |
| 3(b)(ii), (iii) proviso | below the Series E Price ($8.30) / $11.00, E / F convert into the greater of price ratio and OIP/CP | ``ipo_ratchet_rate`` |
| 3(c) | Cash Amounts short of legally available funds: paid ratably, the rest when funds allow | ``ipo_conversion`` |
| 3(h) | no fractional shares: nearest whole share on the holder's aggregate conversion | ``ipo_conversion`` |
| 3(i) | authorized but unissued Common must cover conversion of all outstanding preferred | ``reservation`` |
| 7 | converted shares are cancelled and cannot be reissued | ``IpoConversion.cancelled`` |
| 3(b)(ii)-(iv)(B), 3(a) election | consent conversions | ``xl_quintus.approvals`` |
| 3(d) | Conversion Price adjustments | ``xl_quintus.anti_dilution`` |
| 3(e) | other distributions, as if converted | ``xl_quintus.dividends.as_converted_distribution`` |
| 3(f) | recapitalizations: what the as-converted Common would have received | ``recapitalization_entitlement`` |
| 3(g) | no impairment | a covenant, nothing to compute |
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

from .cap_table import CapTable
from ..errors import CharterError
from .liquidation import pay_ratably
from ..numbers import ZERO, largest_remainder, largest_remainder_cents, round_half_up, to_cents
from .terms import COMMON, SeriesTerms


def conversion_rate(terms: SeriesTerms, conversion_price: Fraction | None = None, clause: str | None = None) -> Fraction:
    """3(a): Common per share, "determined by dividing the Original ... Issue Price by the
    Conversion Price"; the Conversion Price starts at the Original Issue Price. The one check
    that a Conversion Price is above 0 (a waterfall asks here too). ``clause``: where the
    charter in force states it, named in the refusal (callers that know the charter give it)."""
    cp = terms.original_issue_price if conversion_price is None else conversion_price
    if cp <= 0:
        raise CharterError(f"Series {terms.name}: a Conversion Price must be above 0, got {float(cp):g}",
                           term="Conversion Price", clause=clause)
    return terms.original_issue_price / cp


def offering_price(price: Fraction, clause: str | None = None) -> Fraction:
    """3(b): "the price per share of the public offering" divides the ratchet prices, so it
    must be above 0 (the one check of it; ``clause`` as the charter in force states it)."""
    if price <= 0:
        raise CharterError(f"the public offering price must be above 0, got {float(price):g}",
                           term="public offering price", clause=clause)
    return price


def ipo_ratchet_rate(terms: SeriesTerms, conversion_price: Fraction | None, ipo_price: Fraction,
                     split_factor: Fraction = Fraction(1)) -> Fraction:
    """3(b)(ii)/(iii) proviso: at a qualified IPO priced below the Series E Price ($8.30) or
    $11.00 ("adjusted to reflect subsequent stock dividends, stock splits or
    recapitalization": divided by ``split_factor``), each share converts into
    "(X) ... [that price] by ... the price per share of the public offering or (Y) ... the
    Original ... Issue Price by the Conversion Price ..., whichever is greater"."""
    base = conversion_rate(terms, conversion_price)
    if terms.ipo_ratchet_price is None:
        return base
    offering_price(ipo_price)
    threshold = terms.ipo_ratchet_price / split_factor
    if ipo_price < threshold:
        return max(threshold / ipo_price, base)
    return base


def cash_amount_due(terms: SeriesTerms, shares: int, declared_unpaid: Fraction = ZERO,
                    clause: str | None = None) -> Fraction:
    """3(a) Cash Amount: per share the stated amount "plus all declared but unpaid dividends
    on such share"; series without a Cash Amount (E, F, G) receive none. ``clause``: where
    the charter in force states it, named in a refusal."""
    if terms.cash_amount is None:
        return ZERO
    if declared_unpaid < 0:
        raise CharterError(f"declared but unpaid dividends cannot be negative, got {float(declared_unpaid)}",
                           term="declared but unpaid dividends", clause=clause)
    return shares * (terms.cash_amount + declared_unpaid)


def common_on_conversion(exact_common: Fraction) -> int:
    """3(h): "rounded to the nearest whole share" (half up, interpretations), on the holder's
    aggregate conversion."""
    return round_half_up(exact_common)


@dataclass(frozen=True)
class Offering:
    """A public offering of Common (3(b)).

    Attributes:
        price_per_share: the public offering price per share.
        aggregate: the aggregate public offering price.
        firm_commitment: a firm commitment underwritten offering (True) or not; the
            product takes it as registered on Form S-1 (QIPO's ``firm_commitment`` says both).
    """

    price_per_share: Fraction
    aggregate: Fraction
    firm_commitment: bool = True


def qualified_ipo(minimum: Fraction, offering: Offering, minimum_price: Fraction | None = None,
                  cite: str | None = "3(b)") -> tuple[bool, str]:
    """3(b)(i): "a firm commitment underwritten public offering pursuant to a registration
    statement on Form S-1 ..., the public offering price of which is not less than
    $40,000,000 in the aggregate". Returns (qualified, why). ``minimum_price``: a charter
    whose mandatory conversion also needs "a price of at least $[___] per share" (NVCA 5.1(a)).
    ``cite``: the clause the reason names (``Charter.cite("automatic_conversion")``), None for
    a charter whose terms give none."""
    at = f" ({cite})" if cite else ""
    if not offering.firm_commitment:
        return False, f"not a firm commitment underwritten offering{at}: nothing converts automatically"
    if minimum_price is not None and offering.price_per_share < minimum_price:
        return False, (f"price per share ${float(offering.price_per_share):,.2f} is below the "
                       f"${float(minimum_price):,.2f} the charter requires: nothing converts automatically")
    if offering.aggregate < minimum:
        return False, (f"aggregate offering price ${float(offering.aggregate):,.2f} is below "
                       f"${float(minimum):,.0f}{at}: nothing converts automatically")
    return True, (f"firm commitment, Form S-1, ${float(offering.aggregate):,.2f} in aggregate "
                  f"(at least ${float(minimum):,.0f}): every series converts{at}")


@dataclass(frozen=True)
class ConversionRow:
    """One holder's holding of one series on conversion.

    Attributes:
        holder, cls, shares: the holding.
        exact_common: shares x rate, before 3(h) rounding.
        common: whole Common issued for this row (the holder's rounded total split by
            largest remainder over the holder's rows).
        cash_cents: Cash Amount paid now (3(a), 3(c)), in cents.
        owed_cents: Cash Amount still owed when funds were short (3(c)), in cents.
    """

    holder: str
    cls: str
    shares: int
    exact_common: Fraction
    common: int
    cash_cents: int
    owed_cents: int


@dataclass(frozen=True)
class IpoConversion:
    """The result of an offering under 3(b).

    Attributes:
        qualified, reason: whether 3(b) converts everything, and why.
        rows: one per holder and series (preferred only), cap-table order of holders.
        reserved_needed: Common the conversion issues; reserved_available: authorized but
            unissued Common (3(i)).
        cancelled: preferred shares cancelled on conversion, by series (Section 7).
    """

    qualified: bool
    reason: str
    rows: tuple[ConversionRow, ...]
    reserved_needed: int
    reserved_available: int
    cancelled: dict


def _holder_rows(cap_table: CapTable, rate: Mapping[str, Fraction]):
    """(holder, class, shares, exact common) per holder and series, holders in input order."""
    out = []
    for holder in cap_table.holders:
        held: dict[str, int] = {}
        for h in cap_table.holdings_of(holder):
            if h.cls != COMMON:
                held[h.cls] = held.get(h.cls, 0) + h.shares
        for cls in cap_table.charter.classes:
            if held.get(cls):
                out.append((holder, cls, held[cls], held[cls] * rate[cls]))
    return out


def _common_by_row(rows) -> list[int]:
    """3(h) per holder: round the holder's aggregate once, then split it over its rows."""
    common = [0] * len(rows)
    by_holder: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_holder.setdefault(r[0], []).append(i)
    for idx in by_holder.values():
        parts = [rows[i][3] for i in idx]
        for i, n in zip(idx, largest_remainder(parts, common_on_conversion(sum(parts, ZERO)))):
            common[i] = n
    return common


def ipo_conversion(cap_table: CapTable, offering: Offering,
                   conversion_prices: Mapping[str, Fraction] | None = None,
                   legally_available: Fraction | None = None,
                   declared_unpaid: Mapping[str, Fraction] | None = None,
                   split_factor: Fraction = Fraction(1)) -> IpoConversion:
    """Every holder's conversion at an offering (3(b)), with Cash Amounts (3(a), 3(c))."""
    cap_table.validate()
    charter = cap_table.charter
    cps = dict(conversion_prices or {})
    divs = dict(declared_unpaid or {})
    offering_price(offering.price_per_share, charter.clauses.get("automatic_conversion"))
    if offering.aggregate < 0:
        raise CharterError(f"the aggregate offering cannot be negative, got {float(offering.aggregate)}",
                           term="aggregate offering price", clause=charter.clauses.get("automatic_conversion"))
    qualified, reason = qualified_ipo(charter.qualified_ipo_minimum, offering, charter.qualified_ipo_minimum_price,
                                      charter.cite("automatic_conversion"))
    rate = {s.name: ipo_ratchet_rate(s, cps.get(s.name), offering.price_per_share, split_factor)
            for s in charter.series}
    rows = _holder_rows(cap_table, rate)
    if not qualified:
        conv_rows = tuple(ConversionRow(h, c, n, ZERO, 0, 0, 0) for h, c, n, _ in rows)
        return IpoConversion(False, reason, conv_rows, 0, _unissued(cap_table), {})
    common = _common_by_row(rows)
    owed = {i: cash_amount_due(charter.terms(c), n, divs.get(c, ZERO), charter.clauses.get("cash_amounts"))
            for i, (_, c, n, _) in enumerate(rows)}
    owed = {i: v for i, v in owed.items() if v}
    total_owed = sum(owed.values(), ZERO)
    paid = owed if legally_available is None else pay_ratably(legally_available, owed)
    paid_total = sum(paid.values(), ZERO)
    paid_cents = dict(zip(paid, largest_remainder_cents(list(paid.values()), to_cents(paid_total))))
    owed_later = {i: owed[i] - paid[i] for i in owed}
    later_cents = dict(zip(owed_later, largest_remainder_cents(list(owed_later.values()),
                                                                to_cents(total_owed) - to_cents(paid_total))))
    conv_rows = tuple(ConversionRow(h, c, n, x, common[i], paid_cents.get(i, 0), later_cents.get(i, 0))
                      for i, (h, c, n, x) in enumerate(rows))
    cancelled = {s: cap_table.shares(s) for s in cap_table.series_present}
    return IpoConversion(True, reason, conv_rows, sum(common), _unissued(cap_table), cancelled)


def _unissued(cap_table: CapTable) -> int:
    return cap_table.charter.common_authorized - cap_table.shares(COMMON)


def reservation(cap_table: CapTable, conversion_prices: Mapping[str, Fraction] | None = None) -> tuple[int, int]:
    """3(i): (Common issuable on conversion of all outstanding preferred, rounded per holder
    under 3(h); authorized but unissued Common)."""
    cps = dict(conversion_prices or {})
    rate = {s.name: conversion_rate(s, cps.get(s.name)) for s in cap_table.charter.series}
    return sum(_common_by_row(_holder_rows(cap_table, rate))), _unissued(cap_table)


def reservation_with_instruments(cap_table: CapTable,
                                 conversion_prices: Mapping[str, Fraction] | None = None) -> tuple[int, int]:
    """3(i) counting options and warrants as if all were exercised: (Common issuable on
    conversion of all preferred outstanding and issuable on exercise, 3(h) per holder;
    authorized Common neither issued nor issuable on exercise of Common options and warrants)."""
    return reservation(cap_table.with_exercised(cap_table.tranches), conversion_prices)


def recapitalization_entitlement(terms: SeriesTerms, shares: int, per_common_share: Fraction,
                                 conversion_price: Fraction | None = None, clause: str | None = None) -> Fraction:
    """3(f): after a recapitalization of the Common, a preferred holder converting receives
    "the number of shares of stock or other securities or property ... to which a holder of
    Common Stock deliverable upon conversion would have been entitled": the as-converted
    Common (3(a)) times what the recapitalization gave each share of Common."""
    if per_common_share < 0:
        raise CharterError(f"what each share of Common received cannot be negative, got {float(per_common_share)}",
                           term="recapitalization", clause=clause)
    return shares * conversion_rate(terms, conversion_price) * per_common_share
