"""Charter IV.B Section 3(d): Conversion Price adjustments, as a ledger of events.

| clause | rule | here |
|---|---|---|
| 3(d)(i)(A) | Additional Stock issued after a series' Purchase Date below its Conversion Price: CP2 = CP1 x (A + B) / (A + C) | ``_State.dilute`` |
| NVCA 4.4.4 alternatives | per series (terms ``anti_dilution``): broad-based as 3(d)(i)(A) (default), narrow-based (A = Common outstanding only), full ratchet (the issue price), none | ``adjusted_conversion_price`` |
| 3(d)(i)(B) | an adjustment under one cent is carried forward: made with the next adjustment within 3 years, or at the end of 3 years | ``proviso_3d_i_b_carry_forward``, ``_State.anniversaries`` |
| 3(d)(i)(B) | no adjustment raises a Conversion Price, except a recomputation under (E)(3)-(4) | ``_State.dilute`` |
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

Precision (this product's reading; the charter names none): each Conversion Price that
3(d)(i)(A) produces is kept to ``CP_DIGITS`` (20) significant digits, rounded half-up
(:func:`kept_price`). Carried exactly, every CP's denominator would absorb every other
series' CP through A at each issuance: the digits multiply by the number of series each
time (10 series: 9, 84, 916, ... digits), so the ledger's work grew exponentially with the
events. Twenty significant digits are 10^-19 of a $4.15 price, far below the cent 3(d)(i)(B)
counts in and below what Excel shows (15 digits); splits and combinations stay exact.

Whole numbers (speed, not a reading): the running state keeps every amount (each CP, every
amount carried) as a whole number of 1/``scale`` dollars, so the inner loop (A, the formula,
the one-cent test, the carry) adds and compares integers instead of reducing Fractions; an
issuance's formula is computed once for every series it dilutes, and a kept price is one long
division (:func:`_kept_digits`). The values are the same Fractions exactly
(tests/test_ledger_scale.py runs the same histories through the arithmetic in Fractions).

Brackets (speed, not a reading): the exact new price has hundreds of digits (A adds every
series' shares x OIP / CP), but its kept 20 are nearly always decided by the first 40 or so.
A is bracketed once per issuance in whole numbers of 10^-``A_FIX`` shares, each new price between
two whole numbers from it (:func:`bracketed_conversion_price`), and the kept digits are taken
from them when both round to the same (:func:`_kept_digits_between`); otherwise (a price within
the brackets' width of a tie, or of a power of ten) the exact division decides, as before.
Tests compare every row with and without the brackets, and with the ledger in Fractions.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property, lru_cache

from .cap_table import CapTable
from ..errors import CharterError
from ..limits import MAX_EVENTS, MAX_PRICE, MAX_RATIO, MAX_REPLAY, MIN_PRICE
from ..numbers import ZERO
from .terms import COMMON

EVENT_TYPES = ("Purchase", "Issue", "Excluded", "Grant", "Amend", "Expire", "Exercise", "Split", "Combine")
EXCLUDED_LETTERS = tuple("BCDEFGHIJKLM")
ONE_CENT = Fraction(1, 100)          # 3(d)(i)(B)
CARRY_YEARS = 3                      # 3(d)(i)(B)
CP_DIGITS = 20                       # significant digits kept of an adjusted Conversion Price
_CENT_PARTS = ONE_CENT.denominator   # an amount of ``x`` / scale dollars is under one cent when x x 100 < scale


def kept_price(x: Fraction) -> Fraction:
    """``x`` (> 0) to ``CP_DIGITS`` significant digits, half up: the Conversion Price kept
    after a 3(d)(i)(A) adjustment (module docstring, "Precision")."""
    if x <= 0:
        return x
    m, k = _kept_digits(x.numerator, x.denominator)
    return Fraction(m, 10 ** k) if k >= 0 else Fraction(m * 10 ** -k)


def _kept_digits(num: int, den: int) -> tuple[int, int]:
    """``kept_price(num / den)`` as ``(m, k)``, the price m / 10^k, in whole numbers (no
    reduction of the large fraction; ``num``, ``den`` > 0). One long division: t = the first
    digits of num / den, at least CP_DIGITS + 1 of them; then half up in small numbers
    (floor(x + 1/2) at the kept digit is floor((t + 5 x 10^(j-1)) / 10^j) for the j extra
    digits of t, whatever digits follow t)."""
    if not num:                                                           # a price of 0 (a free issuance
        return 0, 0                                                       # when A is 0): kept as 0, not a hang
    e = (num.bit_length() - den.bit_length()) * 30103 // 100000          # about log10(num / den)
    shift = CP_DIGITS + 2 - e                                             # t = floor(num / den x 10^shift)
    while True:
        t = num * _pow10(shift) // den if shift >= 0 else num // (den * _pow10(-shift))
        if t >= _POW10[CP_DIGITS]:                                        # CP_DIGITS + 1 digits or more
            break
        shift += 2
    extra = 1                                                             # digits of t beyond those kept
    while t >= _pow10(CP_DIGITS + extra):
        extra += 1
    return (t + 5 * _pow10(extra - 1)) // _pow10(extra), shift - extra   # keep shift - extra decimals


_POW10 = tuple(10 ** i for i in range(4 * CP_DIGITS))


def _pow10(n: int) -> int:
    return _POW10[n] if n < 4 * CP_DIGITS else 10 ** n


# -- the kept price from bounds (speed; the same numbers) -----------------------------------------
# An adjustment's exact price has hundreds of digits (A sums every series' shares x OIP / CP), but
# its kept CP_DIGITS digits are nearly always decided by far fewer. So each price is first
# bracketed: whole numbers lo <= price x 10^FIX <= hi, from A bracketed once per issuance (each
# term of A rounded down to 10^-A_FIX shares: A x 10^A_FIX within the number of terms below their
# sum). Where lo and hi round to the same kept digits, so does every number between them, the
# price among them (rounding half up never decreases); otherwise (a near-tie, or a price at a
# power of ten) the exact whole-number division is made (:func:`_kept_digits`).
# The widths: A's error (terms x 10^-A_FIX shares) moves a price by about that over A, far below
# the 10^-(CP_DIGITS + 1) of it a kept digit needs; the price's own rounding to 10^-FIX dollars
# (times CP1 x scale, the whole number of its CP) leaves 10^(FIX - CP_DIGITS) / scale units of
# margin, scale being 10^19 or 10^20 after the first adjustment (more after splits by 3 or 7).
FIX = 60
A_FIX = 30
_ONE, _A_ONE, _ONE_A_ONE = 10 ** FIX, 10 ** A_FIX, 10 ** (FIX + A_FIX)
_LONGEST = len(_POW10) - 3                 # lo's digits looked up in _POW10 below this
# _DIGITS_AT_BITS[b]: the digits of 2^(b - 1), the least number of b bits; a number of b bits has
# that many digits or one more (one more when it is at least 10 to that power)
_DIGITS_AT_BITS = tuple(len(str(1 << (b - 1))) if b else 0 for b in range(_LONGEST * 10 // 3))
# _ROUNDING[e], for a number of e digits: (10^e, 10^(e - CP_DIGITS) the unit of its last kept
# digit, half that unit, FIX - (e - CP_DIGITS) the decimals of the kept price); None where it
# has no digit beyond the kept ones
_ROUNDING = tuple((_POW10[e], _POW10[e - CP_DIGITS], _POW10[e - CP_DIGITS] >> 1, FIX - e + CP_DIGITS)
                  if CP_DIGITS < e < _LONGEST else None for e in range(_LONGEST + 2))


def _kept_digits_between(lo: int, hi: int) -> tuple[int, int] | None:
    """``_kept_digits`` of every price in [lo, hi] x 10^-FIX as ``(m, k)``, or None when they
    differ or lo has too few digits to tell (0 < lo <= hi). The ledger's inner loop
    (:meth:`_State.dilute`) applies these same steps inline, on the same tables."""
    bits = lo.bit_length()
    if bits >= len(_DIGITS_AT_BITS):
        return None                                                       # (beyond any price: > $10^19)
    e = _DIGITS_AT_BITS[bits]
    if lo >= _POW10[e]:
        e += 1                                                            # lo has e digits
    rounding = _ROUNDING[e]
    if rounding is None or hi >= rounding[0]:                             # too few digits, or hi a digit
        return None                                                       # longer: fall back
    unit = rounding[1]
    m, r = divmod(lo + rounding[2], unit)                                 # m = floor(lo / unit + 1/2)
    if r + (hi - lo) >= unit:                                             # hi rounds to m + 1 or more
        return None
    return m, rounding[3]


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

    def __hash__(self):
        # the fields' hash with each Fraction as its numerator and denominator (equal Fractions
        # have equal ones): a ledger is cached by its events, and a Fraction's own hash costs
        # a modular inverse
        s, c = self.shares, self.consideration
        return hash((self.date, self.kind, s.numerator, s.denominator, c.numerator, c.denominator, self.ref, self.row))


@dataclass(slots=True)
class _Series:
    """One series in the ledger. In the ledger's :class:`_State` the amounts (``cp``, each
    carried amount, ``carried_sum``) are whole numbers of 1/``_State.scale`` dollars; the
    proviso below works the same on Fractions of a dollar (scale 1)."""

    cp: Fraction | int
    purchase: dt.date | None
    carried: list = field(default_factory=list)      # [(amount, date of the event)], 3(d)(i)(B)
    carried_sum: Fraction | int = 0                  # the amounts in ``carried`` added up


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
        rows: one per event (and per 3-year anniversary that made a carried adjustment),
            made into Fractions when first read (a waterfall reads only ``cps``).
        cps: the Conversion Prices after the last event processed.
        split_factor: cumulative split ratio (3(b)(ii)-(iii) thresholds are divided by it).
    """

    cps: dict
    split_factor: Fraction
    names: tuple = ()
    states: tuple = field(default=(), repr=False)    # per row: (date, event, clause, scale, cps, carried)

    @cached_property
    def rows(self) -> tuple[LedgerRow, ...]:
        return tuple(LedgerRow(date, event if isinstance(event, str) else _issuance_label(*event), clause,
                               {n: Fraction(c, scale) for n, c in zip(self.names, cps)},
                               {n: Fraction(c, scale) for n, c in zip(self.names, carried)})
                     for date, event, clause, scale, cps, carried in self.states)


# 3(d)(i)(B): "No adjustment of the Conversion Price for the Series Preferred Stock shall be made
# in an amount less than one cent per share, provided that any adjustments which are not
# required to be made by reason of this sentence shall be carried forward and shall be either
# taken into account in any subsequent adjustment made prior to 3 years from the date of the
# event giving rise to the adjustment being carried forward, or shall be made at the end of 3
# years from the date of the event giving rise to the adjustment being carried forward."
def proviso_3d_i_b_carry_forward(series: _Series, adjustment: Fraction | int, on: dt.date, scale: int = 1,
                                 ratchet: bool = False) -> bool:
    """Make ``adjustment`` (how much 3(d)(i)(A) lowers the series' Conversion Price) together
    with every amount still carried, or, when that is less than one cent, carry it forward
    from ``on``. Amounts are in 1/``scale`` dollars (the ledger's whole numbers; 1: Fractions
    of a dollar). Returns whether the Conversion Price changed. (Carried amounts whose 3
    years have run are made first, by ``_State.anniversaries``.)

    "Taken into account in any subsequent adjustment": a weighted-average adjustment is
    computed on the price in effect, which the amounts carried have not lowered, so they are
    added to it. Under a full ``ratchet`` each amount is the distance from that same price
    down to an issue price, and the ratchet goes to the lowest of them: the largest amount
    owed is made, not their sum (``carried_sum`` is then that largest amount)."""
    if adjustment <= 0:
        # 3(d)(i)(A) reduces the Conversion Price: a new price not below the one in effect
        # (kept to CP_DIGITS digits, it can round up to or past a price given with more
        # digits than that) is no adjustment, neither made nor carried
        return False
    due = max(adjustment, series.carried_sum) if ratchet else adjustment + series.carried_sum
    if due * _CENT_PARTS < scale:                               # due < ONE_CENT
        series.carried.append((adjustment, on))
        series.carried_sum = due
        return False
    series.cp -= due
    if series.carried:
        series.carried, series.carried_sum = [], 0
    return True


def adjusted_conversion_price(kind: str, scale: int, a: tuple[int, int], common: Fraction, shares: Fraction,
                              consideration: Fraction) -> tuple[int, int, int]:
    """An issuance's formula for the Conversion Price CP1 = cp / ``scale`` of a series it is
    below, by the series' anti-dilution term: ``(p, q, r)``, the new price before it is kept
    (:func:`_kept_digits`) being (cp x p + q) / r, the same for every series of that term.

    - ``broad-based`` (3(d)(i)(A); NVCA 4.4.4): "CP2 = CP1 x (A + B) / (A + C)", A = an / ad
      (``a``), the Common outstanding plus the Common issuable on conversion of all
      outstanding preferred, B = consideration / CP1, C = shares;
    - ``narrow-based``: the same formula with A the Common outstanding only (shares deemed
      issued under 3(d)(i)(E) included);
    - ``full ratchet`` (NVCA 4.4.4 alternative): the price per share of the issuance,
      "consideration ... received ... for such Additional Shares" / shares (p = 0).
    Each kept to CP_DIGITS significant digits, as every adjusted Conversion Price.
    """
    cn, cd = consideration.numerator, consideration.denominator
    sn, sd = shares.numerator, shares.denominator
    if kind in ("broad-based", "narrow-based"):
        an, ad = a if kind == "broad-based" else (common.numerator, common.denominator)
        # CP1 x (A + B) / (A + C) = (cp/scale x an/ad + cn/cd) / (an/ad + sn/sd): times
        # scale x ad x cd x sd above and below
        return an * cd * sd, cn * scale * ad * sd, scale * cd * (an * sd + sn * ad)
    if kind == "full ratchet":
        if consideration <= 0:
            raise CharterError(f"a full ratchet to an issuance for no consideration would make the Conversion Price "
                               f"0 (NVCA 4.4.4); give the consideration of the {float(shares):,g} shares", term="event")
        return 0, cn * sd, cd * sn
    raise CharterError(f'"{kind}" is not an anti-dilution formula the engine knows', term="terms")


def bracketed_conversion_price(kind: str, scale: int, a: tuple[int, int], common: Fraction, shares: Fraction,
                               consideration: Fraction) -> tuple[int, int, int, int] | None:
    """:func:`adjusted_conversion_price` bracketed, for :func:`_kept_digits_between`:
    ``(alpha_lo, beta_lo, alpha_hi, beta_hi)``, the new price of CP1 = cp / ``scale`` x 10^FIX
    being between cp x alpha_lo + beta_lo and cp x alpha_hi + beta_hi; None when A + C is too
    small to bracket. ``a``: (lo, hi), A x 10^A_FIX between them (``_State.bracket_a``).

    The same formulas: CP1 x (A + B) / (A + C) = CP1 x A / (A + C) + consideration / (A + C);
    A / (A + C) grows with A and falls with C, consideration / (A + C) falls with both; each
    bound rounded outwards. Full ratchet: alpha = 0, beta = consideration / shares."""
    cn, cd = consideration.numerator, consideration.denominator
    sn, sd = shares.numerator, shares.denominator
    if kind in ("broad-based", "narrow-based"):
        if kind == "broad-based":
            a_lo, a_hi = a
        else:
            a_lo = common.numerator * _A_ONE // common.denominator
            a_hi = a_lo + (common.denominator != 1)
        c_lo = sn * _A_ONE // sd if sd != 1 else sn * _A_ONE          # A and C in 10^-A_FIX shares
        c_hi = c_lo + (sd != 1)
        if a_lo + c_lo <= 0:
            return None
        one = _ONE
        cn_one = cn * _ONE_A_ONE
        return (a_lo * one // (scale * (a_lo + c_hi)), cn_one // (cd * (a_hi + c_hi)),
                -(-a_hi * one // (scale * (a_hi + c_lo))), -(-cn_one // (cd * (a_lo + c_lo))))
    if kind == "full ratchet":
        if consideration <= 0:
            return None                                                   # the exact formula refuses it
        lo = cn * sd * _pow10(FIX) // (cd * sn)
        return 0, lo, 0, lo + 1
    return None


@lru_cache(maxsize=4096)
def _anniversary(date: dt.date) -> dt.date | None:
    """The end of 3 years from ``date`` (29 February: the 28th); None when it falls after
    31 December 9999, the last date Excel and Python hold: never reached."""
    if date.year + CARRY_YEARS > dt.MAXYEAR:
        return None
    try:
        return date.replace(year=date.year + CARRY_YEARS)
    except ValueError:                                # 29 February
        return date.replace(year=date.year + CARRY_YEARS, day=28)


def _lowest(n: int, d: int) -> tuple[int, int]:
    g = math.gcd(n, d)
    return n // g, d // g


class _State:
    """The ledger's running state; copied for replays.

    Every amount of money in it (each series' Conversion Price, every carried amount) is a
    whole number of 1/``scale`` dollars: exact, and added and compared without Fractions (the
    ledger's inner loop). ``scale`` starts as the Original Issue Prices' common denominator
    and grows (:meth:`rescale`) when a kept price has more decimals or a split divides."""

    def __init__(self, cap_table: CapTable, purchase: dict):
        charter = cap_table.charter
        self.cap_table = cap_table
        held = [(s, cap_table.shares(s.name)) for s in charter.series]
        held = [(s, n) for s, n in held if n or s.name in purchase]
        self.scale = math.lcm(1, *(s.original_issue_price.denominator for s, _ in held))
        self.series = {s.name: _Series(s.original_issue_price.numerator * (self.scale // s.original_issue_price.denominator),
                                       purchase.get(s.name)) for s, _ in held}
        self.common: int | Fraction = cap_table.shares(COMMON)       # a whole number while it is one
        self.split_factor = Fraction(1)
        # shares x Original Issue Price of each series, (numerator, denominator): its
        # as-converted Common is this / CP
        self.weight = {s.name: _lowest(n * s.original_issue_price.numerator, s.original_issue_price.denominator)
                       for s, n in held}
        self.weight_fix = {n: (wn * _pow10(A_FIX), wd) for n, (wn, wd) in self.weight.items()}  # w x 10^A_FIX
        self.kind = {s.name: s.anti_dilution for s, _ in held}
        self.converted: dict = {}
        self.weight_at: tuple = (None, {})          # (scale, w x 10^A_FIX x scale as (n, d) by series)
        self.carried_since: dt.date | None = None    # no amount carried since before this (3(d)(i)(B))

    def outstanding_as_converted(self, on: dt.date) -> tuple[int, int]:
        """A: Common outstanding plus Common issuable on conversion of outstanding preferred,
        as (numerator, denominator), not reduced (this sum is the ledger's inner loop)."""
        num, den = self.common.numerator, self.common.denominator
        scale, seen = self.scale, self.converted
        for name, s in self.series.items():
            if s.purchase is None or s.purchase <= on:
                x = seen.get(name)
                if x is None or x[0] != s.cp or x[1] != scale:
                    x = self._as_converted(name, s.cp)
                num, den = num * x[3] + x[2] * den, den * x[3]
        return num, den

    def _as_converted(self, name: str, cp: int) -> tuple[int, int, int, int]:
        """(cp, scale, numerator, denominator) of w / CP for the series' weight w and CP = cp /
        scale in lowest terms (unreduced, the scale's powers of ten would pile up in A); kept
        in ``converted`` until the CP or the scale changes (copies share it: each entry holds
        what it was computed from)."""
        g = math.gcd(cp, self.scale)
        wn, wd = self.weight[name]
        out = self.converted[name] = (cp, self.scale, wn * (self.scale // g), wd * (cp // g))
        return out

    def bracket_a(self, on: dt.date) -> tuple[int, int]:
        """A as :meth:`outstanding_as_converted`, bracketed: (lo, hi), lo <= A x 10^A_FIX <= hi,
        each term rounded down (so hi = lo + the number of terms)."""
        scale = self.scale
        if self.weight_at[0] != scale:
            self.weight_at = (scale, {n: (wn * scale, wd) for n, (wn, wd) in self.weight_fix.items()})
        weight = self.weight_at[1]
        lo, n = self.common.numerator * _pow10(A_FIX) // self.common.denominator, 1
        for name, s in self.series.items():
            if s.purchase is None or s.purchase <= on:
                wn, wd = weight[name]
                lo += wn // (wd * s.cp)                                # w x 10^A_FIX / (cp / scale)
                n += 1
        return lo, lo + n

    def dilute(self, on: dt.date, shares: Fraction, consideration: Fraction) -> list[str]:
        """3(d)(i)(A)-(B): adjust every series the issuance dilutes; return their names.

        First each new price (3(d)(i)(A)), as its kept digits m / 10^k: from its brackets
        where they decide them (:func:`_kept_digits_between`, applied inline: this is the
        ledger's inner loop), else from the exact formula (A exact computed then, once).
        Everything the issuance decides for every series (A's brackets, the formula and its
        brackets per anti-dilution term) is worked out once. Then the units made fine enough
        for every new price, and each adjustment made or carried (3(d)(i)(B))."""
        if shares.numerator <= 0:
            return []
        a, near = None, self.bracket_a(on)
        scale, kinds, formulas, brackets, units, changed = self.scale, self.kind, {}, {}, {}, []
        carry, carried = proviso_3d_i_b_carry_forward, False
        digits_at_bits, rounding, pow10 = _DIGITS_AT_BITS, _ROUNDING, _POW10
        known_bits = len(digits_at_bits)
        # the issue price consideration / shares is below cp / scale when price_n < cp x price_d
        price_n = consideration.numerator * shares.denominator * scale
        price_d = consideration.denominator * shares.numerator
        for name, s in self.series.items():
            if s.purchase is not None and not on > s.purchase:        # "after the ... Purchase Date"
                continue
            cp = s.cp
            if price_n >= cp * price_d:                                # not below the CP in effect
                continue
            kind = kinds[name]
            b = brackets.get(kind)
            if b is None:
                if kind == "none":                                     # a series with no price protection
                    continue
                b = bracketed_conversion_price(kind, scale, near, self.common, shares, consideration)
                b = brackets[kind] = (b[0], b[1], b[2] - b[0], b[3] - b[1]) if b else (0, 0, 0, 0)
            # _kept_digits_between(lo, lo + w): lo = cp x alpha_lo + beta_lo of e digits,
            # rounded half up at its CP_DIGITS-th digit, the same for lo + w
            lo = cp * b[0] + b[1]
            bits = lo.bit_length()
            e = digits_at_bits[bits] if bits < known_bits else _LONGEST
            if lo >= pow10[e]:
                e += 1
            r = rounding[e]                                            # (10^e, unit, unit / 2, k)
            m = None
            if r is not None:
                w = cp * b[2] + b[3]
                if lo + w < r[0]:
                    m, rest = divmod(lo + r[2], r[1])
                    if rest + w >= r[1]:
                        m = None
            if m is None:                                              # a near-tie: exactly
                f = formulas.get(kind)
                if f is None:
                    if a is None:
                        a = self.outstanding_as_converted(on)
                    f = formulas[kind] = adjusted_conversion_price(kind, scale, a, self.common, shares, consideration)
                m, k = _kept_digits(cp * f[0] + f[1], f[2])
            else:
                k = r[3]
            unit = units.get(k)                                        # 10^-k dollars, in units
            if unit is None:
                if k > 0 and scale % _pow10(k):                        # finer units first: every amount
                    self.fit(k)                                        # so far, and the formulas, rescaled
                    scale, formulas, brackets, units = self.scale, {}, {}, {}
                    price_n = consideration.numerator * shares.denominator * scale
                    cp = s.cp
                unit = units[k] = scale // _pow10(k) if k >= 0 else scale * _pow10(-k)
            if carry(s, cp - m * unit, on, scale, kind == "full ratchet"):
                changed.append(name)
            elif not carried:
                carried = True
        if carried and (self.carried_since is None or on < self.carried_since):
            self.carried_since = on
        self.common += shares.numerator if shares.denominator == 1 else shares
        return changed

    def fit(self, k: int):
        """Make 10^-k dollars a whole number of units (a kept price with k decimals)."""
        if k > 0 and self.scale % 10 ** k:
            self.rescale(10 ** k // math.gcd(self.scale, 10 ** k))

    def rescale(self, factor: int):
        """Units ``factor`` times finer: every amount multiplied by it."""
        self.scale *= factor
        for s in self.series.values():
            s.cp *= factor
            s.carried = [(a * factor, w) for a, w in s.carried]
            s.carried_sum *= factor

    def anniversaries(self, until: dt.date, inclusive: bool, made_row=None) -> list[tuple[dt.date, list[str]]]:
        """(B) "or shall be made at the end of 3 years": carried amounts whose anniversary
        comes before ``until`` (or on it, if ``inclusive``) are made then, end by end, in
        date order; ``made_row(end, names)``, if given, is called after each (the ledger's
        row for it shows the prices then, not after the last)."""
        since = self.carried_since
        if since is None:
            return []
        end = _anniversary(since)                           # none carried is older than ``since``
        if end is None or not (end < until or (inclusive and end == until)):
            return []
        due: dict[dt.date, list[str]] = {}
        for name, s in self.series.items():
            for amount, when in s.carried:                  # oldest first (events run in date order)
                end = _anniversary(when)
                if end is None or not (end < until or (inclusive and end == until)):
                    break
                due.setdefault(end, []).append(name)
        out = []
        for end in sorted(due):
            names = []
            for name in due[end]:
                s = self.series[name]
                keep = [(a, w) for a, w in s.carried if _anniversary(w) != end]
                ending = [a for a, w in s.carried if _anniversary(w) == end]
                if not ending:
                    continue                                # (made already: two amounts of one day)
                if self.kind[name] == "full ratchet":       # the lowest issue price: the largest amount
                    made = max(ending)                      # (see proviso_3d_i_b_carry_forward), and what
                    keep = [(a - made, w) for a, w in keep if a > made]     # is still owed below it
                    s.carried_sum = max((a for a, _ in keep), default=0)
                else:
                    made = sum(ending)
                    s.carried_sum -= made
                s.cp -= made
                s.carried = keep
                names.append(name)
            if names:
                out.append((end, names))
                if made_row is not None:
                    made_row(end, names)
        self.carried_since = min((s.carried[0][1] for s in self.series.values() if s.carried), default=None)
        return out

    def carried_made(self) -> list[str]:
        """3(d)(i)(B) at a split or combination: it adjusts every Conversion Price, "any
        subsequent adjustment" the amounts carried are "taken into account in": they are made
        first, in the dollars they were carried in. The series whose price changed."""
        made = []
        for name, s in self.series.items():
            if s.carried:
                s.cp -= s.carried_sum
                s.carried, s.carried_sum = [], 0
                made.append(name)
        self.carried_since = None
        return made

    def split(self, ratio: Fraction):
        """3(d)(iii): CPs divided by the ratio; Common multiplied (amounts carried are made
        first: :meth:`carried_made`)."""
        # x / ratio = x x ratio.denominator / ratio.numerator: amounts times the denominator in
        # units ratio.numerator times finer; then units as coarse as every amount allows
        self.rescale(ratio.denominator)
        self.scale = self.scale // ratio.denominator * ratio.numerator
        g = math.gcd(self.scale, *(s.cp for s in self.series.values()),
                     *(a for s in self.series.values() for a, _ in s.carried))
        self.scale //= g
        for s in self.series.values():
            s.cp //= g
            s.carried = [(a // g, w) for a, w in s.carried]
            s.carried_sum //= g
        self.common *= ratio
        self.split_factor *= ratio

    def prices(self) -> dict:
        """Each series' Conversion Price, a Fraction of a dollar."""
        return {n: Fraction(s.cp, self.scale) for n, s in self.series.items()}

    def copy(self) -> "_State":
        other = object.__new__(_State)
        other.cap_table, other.common, other.split_factor = self.cap_table, self.common, self.split_factor
        other.weight, other.kind, other.scale, other.converted = self.weight, self.kind, self.scale, self.converted
        other.weight_fix, other.weight_at, other.carried_since = self.weight_fix, self.weight_at, self.carried_since
        other.series = {n: _Series(s.cp, s.purchase, list(s.carried), s.carried_sum) for n, s in self.series.items()}
        return other


def run_ledger(cap_table: CapTable, events: list[Event], as_of: dt.date | None = None) -> Ledger:
    """Process ``events`` (sorted by date, stable) up to ``as_of`` (default: all). The last
    ledgers are kept: a workbook's many cells on one events range run it once."""
    if len(events) > MAX_EVENTS:
        raise CharterError(f"{len(events):,} events are more than the {MAX_EVENTS:,} the ledger takes", term="event")
    ledger = _cached_ledger(cap_table, tuple(events), as_of)
    return replace(ledger, cps=dict(ledger.cps))


@lru_cache(maxsize=32)
def _cached_ledger(cap_table: CapTable, events: tuple, as_of: dt.date | None) -> Ledger:
    return _run_ledger(cap_table, list(events), as_of)


def _run_ledger(cap_table: CapTable, events: list[Event], as_of: dt.date | None = None) -> Ledger:
    if len(events) > MAX_EVENTS:
        raise CharterError(f"{len(events):,} events are more than the {MAX_EVENTS:,} the ledger takes", term="event")
    events = sorted(events, key=lambda e: e.date)                   # stable: input order kept
    _validate(cap_table, events)
    _check_replay(events)
    purchase: dict[str, dt.date] = {}
    for e in events:
        if e.kind == "Purchase":
            purchase.setdefault(e.ref, e.date)
    instruments: dict[str, tuple[Fraction, Fraction]] = {}          # id -> current (shares, consideration)
    granted_at = {e.ref: i for i, e in enumerate(events) if e.kind == "Grant"}
    state = _State(cap_table, purchase)
    before: dict[int, _State] = {}               # before[i]: the state just before Grant event i
    grants = set(granted_at.values())
    rows: list[tuple] = []
    for i, e in enumerate(events):
        if as_of is not None and e.date > as_of:
            break
        if i in grants:
            before[i] = state.copy()
        rows += _anniversary_rows(state, e.date)
        if e.kind in ("Amend", "Expire"):
            # (E)(3)-(4): recompute "as if" issued on the new terms / for the shares actually
            # issued: replay the history with the instrument's new terms. Events before its
            # Grant do not depend on those terms: the replay starts from the state kept
            # just before the Grant (one pass from there, not from the first event).
            _change_terms(instruments, events[granted_at[e.ref]], e)
            start = granted_at[e.ref]
            state = before[start].copy()
            for j in range(start, i):
                if j in grants:
                    before[j] = state.copy()
                state.anniversaries(events[j].date, inclusive=True)
                _apply(state, events[j], instruments)
                if not all(s.cp for s in state.series.values()):    # a price of 0 (the replay's terms
                    _check_prices(state, e)                          # give a free issuance, A = 0): refused
            state.anniversaries(e.date, inclusive=True)
        try:
            label, clause = _apply(state, e, instruments)
        except CharterError as refused:
            if refused.term == "event" and refused.row is None:       # a formula's refusal: name the row
                refused.row = e.row
            raise
        row = _row(state, e.date, label, clause)
        _check_prices(state, e, row[4])
        rows.append(row)
    if as_of is not None:
        rows += _anniversary_rows(state, as_of)
    return Ledger(state.prices(), state.split_factor, tuple(state.series), tuple(rows))


def _apply(state: _State, e: Event, instruments: dict) -> tuple[str | tuple, str]:
    """One event's effect on the state; (label, clause) for the ledger, the clause as the
    charter's terms give it (else the rule's plain name). An issuance's label is worded
    when the ledger's rows are read (:func:`_issuance_label`; a waterfall reads only the
    prices)."""
    clause = state.cap_table.charter.clause
    if e.kind == "Purchase":
        return f"Purchase Date of Series {e.ref}", clause("anti_dilution_purchase")
    if e.kind == "Issue":
        changed = state.dilute(e.date, e.shares, e.consideration)
        return (e.kind, e.ref, e.shares, e.consideration, changed), clause("anti_dilution_issue")
    if e.kind == "Excluded":
        if e.ref != "C":                    # (C): conversions of preferred, already in A as converted
            state.common += e.shares
        return f"Excluded issuance of {_n(e.shares)} ({e.ref})", clause("anti_dilution_excluded", f"({e.ref})")
    if e.kind == "Grant":
        shares, consideration = instruments.get(e.ref, (e.shares, e.consideration))
        changed = state.dilute(e.date, shares, consideration)
        return (e.kind, e.ref, shares, consideration, changed), clause("anti_dilution_deemed")
    if e.kind == "Amend":
        return f"Amend {e.ref}: recomputed on the new terms", clause("anti_dilution_amended")
    if e.kind == "Expire":
        return f"Expire {_n(e.shares)} of {e.ref}: recomputed", clause("anti_dilution_expired")
    if e.kind == "Exercise":
        return f"Exercise of {_n(e.shares)} under {e.ref}: no further adjustment", clause("anti_dilution_exercised")
    made = state.carried_made()                                      # Split or Combine
    also = f"; carried adjustments made ({', '.join(made)})" if made else ""
    also_clause = f"; {clause('anti_dilution_carried')}" if made else ""
    if e.kind == "Split":
        state.split(e.shares)
        return f"Split or stock dividend, {_n(e.shares)} for 1{also}", clause("split") + also_clause
    state.split(1 / e.shares)
    return f"Combination, 1 for {_n(e.shares)}{also}", clause("combination") + also_clause


def _change_terms(instruments: dict, grant: Event, change: Event):
    """The instrument's terms from now on: new terms (Amend), or fewer shares with the
    consideration in proportion (Expire, (E)(5))."""
    shares, consideration = instruments.get(change.ref, (grant.shares, grant.consideration))
    if change.kind == "Amend":
        instruments[change.ref] = (change.shares, change.consideration)
    else:
        left = shares - change.shares
        instruments[change.ref] = (left, consideration * left / shares if shares else ZERO)


def _check_replay(events: list[Event]):
    """Refuse, before any work, histories whose (E)(3)-(4) recomputations replay more than
    MAX_REPLAY events (an Amend or Expire replays every event since its instrument's Grant)."""
    granted_at: dict[str, int] = {}
    work = 0
    for i, e in enumerate(events):
        if e.kind == "Grant":
            granted_at[e.ref] = i
        elif e.kind in ("Amend", "Expire") and e.ref in granted_at:
            work += i - granted_at[e.ref]
    if work > MAX_REPLAY:
        raise CharterError(
            f"the Amend and Expire rows would replay {work:,} events (each replays every event since its Grant, "
            f"3(d)(i)(E)(3)-(4)); the limit is {MAX_REPLAY:,}", term="event")


_MIN_PRICE_N, _MIN_PRICE_D = MIN_PRICE.numerator, MIN_PRICE.denominator


def _check_prices(state: _State, e: Event, cps: tuple | None = None):
    """No event may take a Conversion Price outside MIN_PRICE..MAX_PRICE (limits.py).
    ``cps``: the prices in units of 1/scale dollars when the caller has them (a row's)."""
    low, high = _MIN_PRICE_D, _MIN_PRICE_N                                  # cp >= 1/10^6: cp.n * 10^6 >= cp.d
    d = state.scale
    if cps and min(cps) * low >= d * high and max(cps) <= MAX_PRICE * d:   # every one within
        return
    for name, s in state.series.items():
        n = s.cp
        if n * low < d * high or n > MAX_PRICE * d:
            raise CharterError(
                f"the {e.kind} makes Series {name}'s Conversion Price {float(Fraction(n, d)):.6g}, outside the limits "
                f"${float(MIN_PRICE):g} to ${MAX_PRICE:,}", term="event", row=e.row)


def _anniversary_rows(state: _State, until: dt.date) -> list[tuple]:
    """One row per 3-year end reached by ``until``, each with the prices just after it."""
    rows: list[tuple] = []
    clause = state.cap_table.charter.clause("anti_dilution_carried")
    state.anniversaries(until, inclusive=True, made_row=lambda end, names: rows.append(
        _row(state, end, f"Carried adjustment made at 3 years ({', '.join(names)})", clause)))
    return rows


def _validate(cap_table: CapTable, events: list[Event]):
    granted: dict[str, Fraction] = {}
    used: dict[str, Fraction] = {}
    stated = cap_table.charter.clauses.get                          # clauses as the terms give them
    for e in events:
        if e.kind == "Issue" and e.shares.numerator >= 0 and e.shares.denominator == 1 and e.consideration.numerator >= 0:
            continue                                                # (an Issue of whole shares: nothing below refuses it)
        where = {"term": "event", "row": e.row, "clause": stated("anti_dilution")}
        if e.kind in ("Issue", "Grant", "Excluded", "Amend", "Expire", "Exercise") and (e.shares.numerator < 0 or e.shares.denominator != 1):
            raise CharterError(f"{e.kind}: shares must be a whole number of at least 0, got {float(e.shares):g}", **where)
        if e.kind in ("Split", "Combine") and e.shares <= 0:
            raise CharterError(f"{e.kind}: the ratio must be above 0, got {float(e.shares):g}", **where)
        if e.kind in ("Split", "Combine") and not Fraction(1, MAX_RATIO) <= e.shares <= MAX_RATIO:
            raise CharterError(f"{e.kind}: the ratio {float(e.shares):g} is outside the limits 1/{MAX_RATIO:,} "
                               f"to {MAX_RATIO:,}", **where)
        if e.consideration.numerator < 0:                          # as Fractions: below 0
            raise CharterError(f"consideration cannot be negative, got {float(e.consideration):g}", **where)
        if e.kind == "Purchase" and not cap_table.charter.is_series(e.ref):
            raise CharterError(f'Purchase: Ref must name a series of Preferred Stock, got "{e.ref}"', **where)
        if e.kind == "Excluded" and e.ref not in EXCLUDED_LETTERS:
            of = f" of {cap_table.charter.cite('anti_dilution_excluded')}" if stated("anti_dilution_excluded") else ""
            raise CharterError(f'Excluded: Ref must be a letter{of}, B to M, got "{e.ref}"', **where)
        if e.kind == "Grant":
            if e.ref in granted:
                raise CharterError(f'Grant: instrument "{e.ref}" was already granted', **where)
            granted[e.ref] = e.shares
        if e.kind in ("Amend", "Expire", "Exercise"):
            if e.ref not in granted:
                raise CharterError(f'{e.kind} of unknown instrument "{e.ref}": grant it first (a Grant row)', **where)
            if e.kind == "Amend":
                granted[e.ref] = e.shares
            else:
                used[e.ref] = used.get(e.ref, ZERO) + e.shares
                if used[e.ref] > granted[e.ref]:
                    raise CharterError(f'{e.kind}: instrument "{e.ref}" has only {float(granted[e.ref]):g} shares', **where)
                if e.kind == "Expire":
                    granted[e.ref] -= e.shares
                    used[e.ref] -= e.shares


def _row(state: _State, date, label, clause) -> tuple:
    """A :class:`LedgerRow` in whole numbers (``Ledger.rows`` makes it)."""
    series = state.series.values()
    return date, label, clause, state.scale, tuple([s.cp for s in series]), tuple([s.carried_sum for s in series])


def _issuance_label(kind: str, ref: str, shares: Fraction, consideration: Fraction, changed: list[str]) -> str:
    """The ledger's label of an Issue or a Grant (deemed issued, 3(d)(i)(E))."""
    if kind == "Issue":
        return f"Issue of {_n(shares)} Common for ${float(consideration):,.2f}" + _adjusted(changed)
    return f"Grant {ref}: {_n(shares)} deemed issued for ${float(consideration):,.2f}" + _adjusted(changed)


def _adjusted(changed: list[str]) -> str:
    return f": adjusts {', '.join(changed)}" if changed else ""


def _n(x: Fraction) -> str:
    return f"{int(x):,}" if x.denominator == 1 else f"{float(x):,g}"
