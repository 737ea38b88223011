"""Charter IV.B 3(a) inside a liquidation: who converts, by hand."""

import pytest

from conftest import cents, model
from xl_quintus.errors import CharterError
from xl_quintus.exit.model import Who


def test_e_converts_only_when_it_strictly_gains():
    # Capped, E gets at most 10,375,000. Converted, E takes half of P (1M of 2M Common).
    # Converting pays strictly more when P/2 > 10,375,000, i.e. P > 20,750,000.
    m = model([("E", 1_000_000), ("Common", 1_000_000)], conversions="optimal")
    assert m.distribution(20_750_000)[1].converting == frozenset()       # equal: no strict gain
    assert m.distribution(20_750_000.01)[1].converting == {"E"}
    assert cents(m, 30_000_000) == {"E": 1_500_000_000, "Common": 1_500_000_000}


def test_minority_a_d_series_can_lose_at_a_higher_exit():
    # A 1,000,000 and D 100,000 vote together (3(a)); A holds 1,000,000 of 1,100,000: a majority.
    # Not converted: A pref 1,000,000, D pref 100,000 x 2.75 = 275,000, Common the rest.
    # Converted: Cash Amounts A 925,000, D 100,000 x 2.544 = 254,400 first, then the rest
    # shared by A 1,000,000, D 100,000, Common 1,000,000 as Common (2,100,000 shares).
    # A gains by converting when 925,000 + (P - 1,179,400)/2.1 > 1,000,000: P > 1,336,900.
    m = model([("A", 1_000_000), ("D", 100_000), ("Common", 1_000_000)], conversions="optimal")
    # P = 1,300,000: A-D stay preferred; D gets its full 275,000.
    assert m.distribution(1_300_000)[1].converting == frozenset()
    assert cents(m, 1_300_000)["D"] == 27_500_000
    # P = 1,400,000: A's majority converts; D gets 254,400 + 220,600 x 0.1/2.1 = 264,904.76..
    # (A 1,030,047.619.., Common 105,047.619.. take the two missing cents: .9 remainders).
    assert m.distribution(1_400_000)[1].converting == {"A", "D"}
    assert cents(m, 1_400_000) == {"A": 103_004_762, "D": 26_490_476, "Common": 10_504_762}
    # D received less at the higher exit: the A-D majority elected to convert.
    assert cents(m, 1_400_000)["D"] < cents(m, 1_300_000)["D"]


def test_a_d_convert_only_together():
    with pytest.raises(CharterError, match=r'Series A-D convert only together \(charter IV.B.3\(a\)\); got "A, C"'):
        model([("A", 10), ("C", 10)], conversions=("A", "C"))


def test_holders_decide_the_a_d_majority():
    # Holder "big" holds 600 of A; "small" holds 400 of A and 100 of Common.
    m = model([("big", "A", 600), ("small", "A", 400), ("small", "Common", 100), ("other", "Common", 900)],
              conversions="optimal")
    # At 2,000: not converted A takes 1,000 pref, Common 1,000. Converted: 925 cash, then
    # 1,075 shared over 2,000 as-converted shares: A gets 925 + 537.5 = 1,462.5 > 1,000.
    # Both A holders gain: converts.
    assert m.distribution(2_000)[1].converting == {"A"}


def test_who_resolves_classes_groups_and_holders():
    m = model([("Fund", "A", 100), ("Fund", "E", 100), ("Ann", "Common", 100)])
    ct = m.cap_table
    assert Who(ct, "Series A Preferred Stock").classes == ("A",)
    assert Who(ct, "A-D").classes == ("A", "B", "C", "D")
    assert Who(ct, "G").classes == ("G-1", "G-2", "G-3", "G-4", "G-5", "G-6")
    assert Who(ct, "fund").holder == "Fund"
    with pytest.raises(CharterError, match='"Zed" is neither'):
        Who(ct, "Zed")


def test_a_cycle_of_choices_is_an_error_only_where_it_happens():
    # h0 holds A, B, D and G-1; h1 holds C and E; one share each, no Common. At $60:
    # {G-1} converted: prefs A 1 + B 1.43 + C 1.91 + D 2.75 + E 4.15 = 11.24; E and G-1 (as
    #   Common) share 48.76 until E has its 10.375 cap; G-1 takes 42.535: h0 = 1 + 1.43 + 2.75
    #   + 42.535 = 47.715.
    # E flips (10.375 -> converted: E and G-1 share 60 - 7.09 = 52.91: 26.455 each).
    # A-D flip: h0 31.635 -> 40.42 (3 of the 4 A-D shares gain). E flips back (8.91 -> 10.375).
    # A-D flip back (h0 39.25 -> 47.715): {G-1} again. The 3(a) search never settles.
    m = model([("h0", "A", 1), ("h0", "B", 1), ("h1", "C", 1), ("h1", "E", 1), ("h0", "D", 1),
               ("h0", "G-1", 1)], conversions="optimal")
    with pytest.raises(CharterError, match=r"cycle without a stable set \(groups A-D, E\)"):
        m.distribution(60)
    who = Who(m.cap_table, "E")
    assert m.sweep_cents([40.0, 80.0], who) == [m.payout_cents(40, who), m.payout_cents(80, who)]
    with pytest.raises(CharterError, match="cycle"):
        m.sweep_cents([40.0, 60.0, 80.0], who)
