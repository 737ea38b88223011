"""Exact numbers for the charter engine: one place for every conversion and rounding.

Never binary floating point inside the engine (charter-interpretations.md, "Money and
shares"). Values enter as ``Fraction`` through :func:`exact`; they leave as cents
(:func:`to_cents`, :func:`largest_remainder_cents`) or whole shares
(:func:`round_half_up`) only where the charter or the cents rule says.

| helper | rule | source |
|---|---|---|
| ``round_half_up`` | "rounded to the nearest whole share", .5 up | 3(h), 5(c), 5(a)(ii) |
| ``to_cents`` | money leaves the engine in cents, half-up | interpretations: Money |
| ``largest_remainder`` | parts of one whole (cents, shares) add up to it exactly | interpretations: Money |
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal
from fractions import Fraction
from typing import Sequence

ZERO = Fraction(0)


def exact(value) -> Fraction:
    """A number as an exact ``Fraction``.

    Floats are read as the decimal Excel shows (``repr``), not their binary expansion:
    a cell holding 1.43 means 143/100, not 1.4299999999999999378... A numpy float64 (a
    float subclass, from a range read into an array) is read as that float, a numpy
    integer as that integer.

    >>> exact(1.43), exact("1,000.05"), exact(Decimal("0.925"))
    (Fraction(143, 100), Fraction(20001, 20), Fraction(37, 40))
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise TypeError("a truth value is not a number")
    if isinstance(value, numbers.Integral):        # int, numpy integers
        return Fraction(int(value))
    if isinstance(value, float):                   # float, numpy float64 (a float subclass)
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return Fraction(Decimal(repr(value)))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        return Fraction(value)
    if isinstance(value, str):
        return Fraction(Decimal(value.strip().replace(",", "")))
    raise TypeError(f"{value!r} is not a number")


def round_half_up(value: Fraction) -> int:
    """Nearest whole number, exactly .5 rounds up (charter 3(h) "nearest whole share").

    >>> round_half_up(Fraction(5, 2)), round_half_up(Fraction(-5, 2))
    (3, -2)
    """
    return math.floor(value + Fraction(1, 2))


def to_cents(value: Fraction) -> int:
    """Whole cents, half a cent rounds up.

    >>> to_cents(Fraction(1005, 1000)), to_cents(Fraction(-1005, 1000))
    (101, -100)
    """
    return round_half_up(value * 100)


def round_to_cent(value: Fraction) -> Fraction:
    """``value`` rounded to a whole cent (half-up), still exact."""
    return Fraction(to_cents(value), 100)


def largest_remainder(parts: Sequence[Fraction], total: int) -> list[int]:
    """Split the whole number ``total`` into whole numbers near ``parts`` that add up to it.

    Each part gets its floor; the units still missing go one each to the parts with the
    largest remainders, ties to the earlier part (interpretations: "ties go to the earlier
    class ..., then the earlier holder in the input"). ``parts`` must be non-negative and
    add up to within one unit per part of ``total``.

    >>> largest_remainder([Fraction(1, 3)] * 3, 1)
    [1, 0, 0]
    """
    floors = [math.floor(p) for p in parts]
    missing = total - sum(floors)
    if missing < 0 or missing > len(parts):
        raise ArithmeticError(f"cannot round parts summing to {float(sum(parts))} into {total}")
    if missing:
        order = sorted(range(len(parts)), key=lambda i: (-(parts[i] - floors[i]), i))
        for i in order[:missing]:
            floors[i] += 1
    return floors


def largest_remainder_cents(parts: Sequence[Fraction], total_cents: int) -> list[int]:
    """Dollar ``parts`` as whole cents adding up to ``total_cents`` (see :func:`largest_remainder`).

    >>> largest_remainder_cents([Fraction(1, 3)] * 3, 100)
    [34, 33, 33]
    """
    return largest_remainder([p * 100 for p in parts], total_cents)


def cents_to_float(cents: int) -> float:
    """Cents as the dollar float Excel stores (the nearest double to the decimal)."""
    return float(Decimal(cents) / 100)


def to_float(value: Fraction) -> float:
    """A non-money exact value (a share of the next dollar, a per-share figure) for Excel."""
    return value.numerator / value.denominator
