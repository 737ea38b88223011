"""The charter's provisos as their own functions: 2(b) "until ... cap" and the 3(d)(i)(B)
one-cent carry-forward, with hand-worked numbers."""

import datetime as dt
from fractions import Fraction

from xl_quintus.charter.anti_dilution import _Series, proviso_3d_i_b_carry_forward
from xl_quintus.charter.liquidation import proviso_2b_until_cap


def test_2b_until_cap_then_common_takes_the_rest():
    # E: 100 as-converted shares, room $50 under its cap; Common 100 shares, no cap; $300 left.
    # Pro rata $1.50 a share would pass E's cap level ($50 / 100 = $0.50 a share): both take
    # $0.50 a share ($50 each), E is full; Common takes the remaining $200.
    got, left = proviso_2b_until_cap(Fraction(300), {"E": Fraction(100), "Common": Fraction(100)},
                                     {"E": Fraction(50), "Common": None})
    assert got == {"E": 50, "Common": 250} and left == 0


def test_2b_below_every_cap_is_plain_pro_rata():
    # $30 over 100 + 200 shares: $0.10 a share, below E's cap level of $0.50
    got, left = proviso_2b_until_cap(Fraction(30), {"E": Fraction(100), "Common": Fraction(200)},
                                     {"E": Fraction(50), "Common": None})
    assert got == {"E": 10, "Common": 20} and left == 0


def test_2b_everyone_capped_leaves_the_rest_unallocated():
    # E and F both capped, no Common: E full at $50, F at $20 (0.20 a share < E's 0.50);
    # level 1: both take $0.20 a share (E 20, F 20), F drops out; level 2: E takes $30 more;
    # $80 - 70 = $10 no one may take
    got, left = proviso_2b_until_cap(Fraction(80), {"E": Fraction(100), "F": Fraction(100)},
                                     {"E": Fraction(50), "F": Fraction(20)})
    assert got == {"E": 50, "F": 20} and left == 10


def test_3d_i_b_carries_an_adjustment_under_one_cent():
    s = _Series(cp=Fraction(1), purchase=None)
    d1, d2 = dt.date(2001, 1, 1), dt.date(2002, 1, 1)
    assert not proviso_3d_i_b_carry_forward(s, Fraction(4, 1000), d1)         # $0.004: carried
    assert s.cp == 1 and s.carried == [(Fraction(4, 1000), d1)]
    assert proviso_3d_i_b_carry_forward(s, Fraction(7, 1000), d2)             # 0.004 + 0.007 >= 0.01
    assert s.cp == Fraction(989, 1000) and s.carried == []


def test_3d_i_b_one_cent_exactly_is_made():
    s = _Series(cp=Fraction(5), purchase=None)
    assert proviso_3d_i_b_carry_forward(s, Fraction(1, 100), dt.date(2001, 1, 1))
    assert s.cp == Fraction(499, 100)
