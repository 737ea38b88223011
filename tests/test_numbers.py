"""xl_quintus.numbers: exact parsing, half-up rounding, largest remainder (interpretations:
"Money and shares"); and every doctest in the package runs."""

import doctest
import importlib
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from xl_quintus.numbers import (cents_to_float, exact, largest_remainder, largest_remainder_cents, round_half_up,
                                round_to_cent, to_cents, to_float)

PACKAGE = Path(__file__).resolve().parent.parent / "xl_quintus"


# -- half-up: "rounded to the nearest whole share" (3(h), 5(c)), .5 rounds up ------------------

@pytest.mark.parametrize("value, expected", [
    (Fraction(1, 2), 1),            # .5 up
    (Fraction(-1, 2), 0),           # -.5 up too (towards +infinity), not away from zero
    (Fraction(5, 2), 3),
    (Fraction(-5, 2), -2),
    (Fraction(3, 2), 2),            # not banker's rounding (which gives 2 for 2.5, 2 for 1.5)
    (Fraction(49999, 100000), 0),   # just below .5
    (Fraction(-50001, 100000), -1), # just below -.5
    (Fraction(7), 7),
    (Fraction(0), 0),
])
def test_round_half_up(value, expected):
    assert round_half_up(value) == expected


@pytest.mark.parametrize("dollars, cents", [
    ("0.005", 1),                   # half a cent rounds up
    ("-0.005", 0),                  # and so does minus half a cent
    ("0.0049999", 0),
    ("1.005", 101),                 # 1.005 exactly (as a float it is 1.00499999999999989...)
    ("2.675", 268),                 # float round(2.675, 2) gives 2.67; the decimal is 2.675
    ("123456789.125", 12345678913),
    ("0", 0),
])
def test_to_cents_half_up(dollars, cents):
    assert to_cents(Fraction(Decimal(dollars))) == cents
    assert round_to_cent(Fraction(Decimal(dollars))) == Fraction(cents, 100)


@given(st.decimals(min_value=0, max_value=10**12, places=4, allow_nan=False, allow_infinity=False))
def test_to_cents_agrees_with_decimal_half_up_for_money(d):
    # Decimal's ROUND_HALF_UP rounds halves away from zero; for non-negative amounts (every
    # amount of money the engine pays) that is the same as up.
    assert to_cents(Fraction(d)) == int((d * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# -- exact decimal parsing ----------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (1.43, Fraction(143, 100)),               # the decimal Excel shows, not the binary double
    (0.1 + 0.2, Fraction(30000000000000004, 10**17)),   # repr is 0.30000000000000004: kept as shown
    (8.335, Fraction(1667, 200)),
    (1e-7, Fraction(1, 10**7)),
    (1e21, Fraction(10**21)),
    (5e-324, Fraction(Decimal("5e-324"))),    # the smallest double, still exact
    (-0.0, Fraction(0)),
    (7, Fraction(7)),
    (Decimal("0.925"), Fraction(37, 40)),
    ("1,000.05", Fraction(100005, 100)),      # thousands separators in text
    ("  12.5 ", Fraction(25, 2)),
    ("-3", Fraction(-3)),
    (Fraction(1, 3), Fraction(1, 3)),
])
def test_exact(value, expected):
    assert exact(value) == expected
    assert isinstance(exact(value), Fraction)


@pytest.mark.parametrize("value, error", [
    (True, TypeError),                        # a truth value is not a number
    (None, TypeError),
    ([1], TypeError),
    (float("nan"), ValueError),
    (float("inf"), ValueError),
    (Decimal("Infinity"), ValueError),
    ("abc", ArithmeticError),                 # decimal.InvalidOperation
    ("", ArithmeticError),
])
def test_exact_refuses(value, error):
    with pytest.raises(error):
        exact(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_exact_reads_a_float_as_its_shortest_decimal(x):
    assert exact(x) == Fraction(Decimal(repr(x)))
    assert float(exact(x)) == x               # and it is the same double


# -- largest remainder: parts add up, ties to the earlier part ----------------------------------

def test_largest_remainder_ties_go_to_the_earlier_part():
    assert largest_remainder([Fraction(1, 2), Fraction(1, 2)], 1) == [1, 0]
    assert largest_remainder([Fraction(1, 3)] * 3, 2) == [1, 1, 0]
    # 10.50 + 20.50 + 30.00 = 61: one unit missing after the floors (10 + 20 + 30); the two
    # .5 remainders tie, the earlier part gets it
    assert largest_remainder([Fraction(21, 2), Fraction(41, 2), Fraction(30)], 61) == [11, 20, 30]


def test_largest_remainder_largest_first():
    # floors 1, 2, 3 = 6; two missing; remainders .2, .7, .1: the .7 then the .2
    assert largest_remainder([Fraction(12, 10), Fraction(27, 10), Fraction(31, 10)], 8) == [2, 3, 3]


def test_largest_remainder_cents_split_a_dollar_three_ways():
    # $1.00 in thirds: 33.33... cents each; one cent missing goes to the first class
    assert largest_remainder_cents([Fraction(1, 3)] * 3, 100) == [34, 33, 33]


def test_largest_remainder_edges():
    assert largest_remainder([], 0) == []
    assert largest_remainder([Fraction(0), Fraction(0)], 0) == [0, 0]
    assert largest_remainder([Fraction(5)], 5) == [5]
    with pytest.raises(ArithmeticError):
        largest_remainder([Fraction(1, 2)], 3)        # more missing than parts
    with pytest.raises(ArithmeticError):
        largest_remainder([Fraction(5, 2)], 1)        # floors already above the total


@given(st.lists(st.fractions(min_value=0, max_value=10**9, max_denominator=10**6), min_size=1, max_size=60))
def test_largest_remainder_adds_up_and_stays_within_one(parts):
    total = round_half_up(sum(parts, Fraction(0)))
    got = largest_remainder(parts, total)
    assert sum(got) == total
    assert all(abs(g - p) < 1 for g, p in zip(got, parts))


# -- leaving the engine -------------------------------------------------------------------------

def test_to_excel_values():
    assert cents_to_float(1) == 0.01
    assert cents_to_float(1_485_077_323) == 14_850_773.23
    assert cents_to_float(-5) == -0.05
    assert cents_to_float(10**17 + 1) == float(Decimal(10**17 + 1) / 100)
    assert to_float(Fraction(1, 3)) == 1 / 3
    assert to_float(Fraction(10**400 + 1, 10**399)) == 10.0    # no overflow through huge parts


# -- doctests -----------------------------------------------------------------------------------

def _modules_with_doctests():
    """Modules of the package whose source holds a doctest (only those are imported, so
    optional dependencies of other modules are never needed here)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if ">>>" in path.read_text(encoding="utf-8"):
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            yield ".".join(p for p in parts if p != "__init__")


@pytest.mark.parametrize("name", list(_modules_with_doctests()))
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_numbers_has_doctests():
    assert "xl_quintus.numbers" in list(_modules_with_doctests())


def test_exact_reads_numpy_scalars_as_the_number_they_hold():
    # A range read into a numpy array yields float64 (a float subclass whose repr is
    # "np.float64(1.43)") and int64 (not an int): each is read as the float or int it holds.
    import numpy as np
    from fractions import Fraction
    from xl_quintus.numbers import exact

    assert exact(np.float64(1.43)) == Fraction(143, 100)
    assert exact(np.int64(3)) == 3
    with pytest.raises(ValueError):
        exact(np.float64("nan"))
