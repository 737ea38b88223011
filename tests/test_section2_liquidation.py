"""Charter IV.B Section 2 by hand: each expected number is worked out in the comment above it."""

from fractions import Fraction

import pytest

from conftest import cents, model
from xl_quintus.errors import CharterError


def test_exit_below_the_series_f_preference():
    # 2(a): F is paid "prior and in preference" to A-E, G and Common.
    # F preference = 1,000,000 x $8.25 = $8,250,000 > $5,000,000: F takes all of it.
    m = model([("F", 1_000_000), ("E", 1_000_000), ("Common", 1_000_000)])
    assert cents(m, 5_000_000) == {"E": 0, "F": 500_000_000, "Common": 0}


def test_between_f_and_the_junior_preferences_is_ratable():
    # F first: 1,000,000 x 8.25 = 8,250,000. Left: 10,000,000 - 8,250,000 = 1,750,000.
    # Junior (2(a)): A owed 1,000,000 x 1.00 = 1,000,000; E owed 1,000,000 x 4.15 = 4,150,000.
    # Short: "ratably ... in proportion to the full preferential amount":
    #   A = 1,750,000 x 1.00/5.15 = 339,805.8252..  E = 1,750,000 x 4.15/5.15 = 1,410,194.1747..
    # Cents by largest remainder: floors 339,805.82 + 1,410,194.17 = 1,749,999.99; the missing
    # cent goes to the larger remainder (.52 of A over .47 of E): A 339,805.83.
    m = model([("A", 1_000_000), ("E", 1_000_000), ("F", 1_000_000), ("Common", 1_000_000)])
    assert cents(m, 10_000_000) == {"A": 33_980_583, "E": 141_019_417, "F": 825_000_000, "Common": 0}


def test_participation_until_the_cap_binds():
    # E pref 1,000,000 x 4.15 = 4,150,000; then E and Common share 1:1 (E converts 1:1).
    # At 10,000,000: 5,850,000 left, half each: E 4,150,000 + 2,925,000 = 7,075,000.
    m = model([("E", 1_000_000), ("Common", 1_000_000)])
    assert cents(m, 10_000_000) == {"E": 707_500_000, "Common": 292_500_000}
    # 2(b) cap $10.375 "including amounts paid pursuant to subsection (a)": E stops at
    # 10,375,000, reached when the shared remainder is 2 x 6,225,000 = 12,450,000,
    # i.e. at 16,600,000. At 20,000,000 Common takes the rest: 9,625,000.
    assert cents(m, 20_000_000) == {"E": 1_037_500_000, "Common": 962_500_000}


def test_unpaid_dividends_add_to_the_preference():
    # 2(a) "plus any undeclared but unpaid dividends": F 1,000,000 x (8.25 + 0.50) = 8,750,000.
    m = model([("F", 1_000_000), ("Common", 1_000_000)], divs={"F": Fraction(1, 2)})
    # remainder 1,250,000 shared 1:1 with Common; F total 8,750,000 + 625,000 = 9,375,000
    # (below its cap of 12,375,000).
    assert cents(m, 10_000_000) == {"F": 937_500_000, "Common": 62_500_000}


def test_a_d_cash_amounts_short_of_the_proceeds_are_paid_ratably():
    # 3(a) Cash Amounts owed on conversion: A 1,000,000 x 0.925 = 925,000;
    # B 1,000,000 x 1.325 = 1,325,000; total 2,250,000 > 1,000,000 of proceeds.
    # 3(c) "applied ratably": A 1,000,000 x 925/2250 = 411,111.11.., B 588,888.88..
    # Floors 411,111.11 + 588,888.88 = 999,999.99; B's remainder (.89) is larger: 588,888.89.
    m = model([("A", 1_000_000), ("B", 1_000_000), ("Common", 1_000_000)], conversions="all")
    assert cents(m, 1_000_000) == {"A": 41_111_111, "B": 58_888_889, "Common": 0}


def test_converted_a_d_share_the_rest_as_common():
    # 3,250,000 - Cash Amounts 2,250,000 = 1,000,000 shared by as-converted Common:
    # A 1,000,000 x 1.00/1.00, B 1,000,000 x 1.43/1.43, Common 1,000,000: 333,333.33.. each.
    # A 925,000 + 333,333.33.. ; B 1,325,000 + 333,333.33..; Common 333,333.33..
    # Three remainders of .33 cents tie; the one missing cent goes to the earliest class, A.
    m = model([("A", 1_000_000), ("B", 1_000_000), ("Common", 1_000_000)], conversions="all")
    assert cents(m, 3_250_000) == {"A": 125_833_334, "B": 165_833_333, "Common": 33_333_333}


def test_conversion_price_changes_the_as_converted_count():
    # E converts into 1,000,000 x 4.15 / 2.075 = 2,000,000 Common; with 2,000,000 Common it
    # takes half of 10,000,000 when converted.
    m = model([("E", 1_000_000), ("Common", 2_000_000)], conversions="all", cps={"E": Fraction("2.075")})
    assert cents(m, 10_000_000) == {"E": 500_000_000, "Common": 500_000_000}


def test_f_and_g_convert_on_their_own():
    # Converting F gives up its 2(a) preference and shares as Common 1:1:
    # 1,000,000 F + 1,000,000 Common share 10,000,000 equally.
    m = model([("F", 1_000_000), ("G-1", 100_000), ("Common", 1_000_000)], conversions=("F",))
    # G-1 keeps its preference: 100,000 x 3.218 = 321,800 first; 9,678,200 left, shared by
    # F 1,000,000, G-1 100,000 (participating, cap 6.436) and Common 1,000,000 -> 2,100,000:
    # 4.608666.. per share. G-1 would reach 321,800 + 460,866.67 = 782,666.67 > cap 643,600,
    # so G-1 is capped at 643,600 (room 321,800). The rest, 9,678,200 - 321,800 = 9,356,400,
    # is shared by F and Common equally: 4,678,200 each.
    assert cents(m, 10_000_000) == {"F": 467_820_000, "G-1": 64_360_000, "Common": 467_820_000}


def test_unallocated_is_reported_never_dropped():
    # Only E, no Common, no conversion: E takes 4,150,000 + participation to its cap
    # 10,375,000; no one can take the other 9,625,000 (2(b)).
    m = model([("E", 1_000_000)], conversions="none")
    dist, _ = m.distribution(20_000_000)
    assert dist.class_cents() == {"E": 1_037_500_000, "Unallocated": 962_500_000}


def test_cents_add_up_to_the_proceeds_and_holders_to_their_class():
    m = model([("h1", "A", 1), ("h2", "A", 1), ("h3", "A", 1), ("c", "Common", 1)], conversions="none")
    # A is owed 3 x 1.00 = 3.00; 2.00 of proceeds are paid ratably: 0.6666.. to each holder.
    # Holders split A's 200 cents by largest remainder, ties to the earlier holder: 67, 67, 66.
    dist, _ = m.distribution(2)
    assert dist.class_cents() == {"A": 200, "Common": 0}
    assert m.holder_cents(dist) == {"h1": {"A": 67}, "h2": {"A": 67}, "h3": {"A": 66}, "c": {"Common": 0}}


def test_proceeds_are_rounded_to_the_cent_first():
    m = model([("Common", 3)])
    dist, _ = m.distribution(100.005)             # half a cent rounds up: 100.01
    assert dist.proceeds == Fraction("100.01")


def test_authorized_shares_are_enforced():
    # IV.B: Series B "shall consist of One Million (1,000,000) shares".
    with pytest.raises(CharterError, match="1,000,001 shares outstanding exceed the 1,000,000 authorized"):
        model([("B", 1_000_001)])
