"""A column of exit values (issue 12's speed work): the class payee's sweep, sorted into
regions of one election and one segment of its pieces, gives the exact engine's cents at
every value, including values exactly at, and a cent either side of, every point of the
exit-value map; and a range of exit values is read and laid out as Excel passed it."""

import random

import pytest

from xl_quintus.charter.liquidation import Waterfall
from xl_quintus.charter.terms import quintus
from xl_quintus.cli import sample_cap_table
from xl_quintus.errors import CharterError
from xl_quintus.excel import QPAYOUT, QuintusExcelError
from xl_quintus.excel.arguments import money_range
from xl_quintus.exit.model import ExitModel, Who


def _values_around_the_map(m: ExitModel, seed: int) -> list:
    """Every map point as a float, and a cent and half a cent either side; then random values
    from $0 to $900M (some whole cents, some not) and a few near the $10^13 limit, where the
    float error bound of the sweep is widest."""
    rnd = random.Random(seed)
    points = [float(p) for p in m.election_map()[0]]
    around = [p + d for p in points for d in (0, 0.01, -0.01, 0.005, -0.005) if p + d >= 0]
    return around + [round(rnd.uniform(0, 900e6), rnd.choice([2, 3, 6])) for _ in range(400)] \
        + [rnd.uniform(1e12, 9.99e12) for _ in range(20)] + [0.0, 0.004, 0.005]


@pytest.mark.parametrize("mode", ["optimal", "none", "all"])
def test_class_sweep_equals_the_exact_engine_around_every_map_point(mode):
    table = sample_cap_table(quintus())
    m = ExitModel(Waterfall(table), mode)
    values = _values_around_the_map(m, 12)
    for label in list(table.classes_present) + ["A-D", "G"]:
        who = Who(table, label)
        assert m.sweep_cents(values, who) == [m.payout_cents(v, who) for v in values], label


def test_class_sweep_of_a_cap_table_of_authorized_shares():
    # the benchmark's cap table: every series at its authorized shares, 12,000,000 Common
    rows = [(s.name, s.authorized) for s in quintus().series] + [("Common", 12_000_000)]
    from xl_quintus.charter.cap_table import CapTable
    table = CapTable.of(rows)
    m = ExitModel(Waterfall(table), "optimal")
    values = _values_around_the_map(m, 13)
    for label in ["E", "A-D", "Common", "F"]:
        who = Who(table, label)
        assert m.sweep_cents(values, who) == [m.payout_cents(v, who) for v in values], label
        assert m.sweep_array(values, who).tolist() == m.sweep_cents(values, who)


def test_a_column_is_read_as_one_value_a_row():
    read = money_range([[1.5], [2], [0.0]])
    assert read.column and read.where is None and read.values.tolist() == [1.5, 2.0, 0.0]
    assert read.fill([7, 8, 9]) == [[7], [8], [9]]
    grid = money_range([[1.0, 2.0], [3.0, 4.0]])            # two columns: the same shape back
    assert not grid.column and grid.fill([1, 2, 3, 4]) == [[1, 2], [3, 4]]
    row = money_range([1.0, 2.0, 3.0])                      # a one-row range as a flat list
    assert not row.column and row.fill([4, 5, 6]) == [[4, 5, 6]]
    blanks = money_range([[1.0], [None], [3.0]])            # a blank stays blank
    assert blanks.fill([10, 30]) == [[10], [""], [30]]
    text = money_range([[1.0], ["$2.50"]])                  # text read as money() reads one cell
    assert text.values.tolist() == [1.0, 2.5]
    with pytest.raises(CharterError, match=r'proceeds \(value 2\).*"x"'):
        money_range([[1.0], ["x"]])
    with pytest.raises(CharterError, match=r"proceeds \(value 2\).*True"):
        money_range([[1.0], [True]])                        # a truth value is not read as 1


def test_qpayout_column_shapes_with_the_sweep():
    ct = [["Class", "Shares"], ["E", 1_000_000], ["Common", 1_000_000]]
    column = [[float(v)] for v in range(0, 40_000_000, 1_000_000)]          # 40 rows: swept
    assert QPAYOUT(column, "E", ct) == [[QPAYOUT(v[0], "E", ct)] for v in column]
    with_blank = column[:20] + [[None]] + column[20:]
    out = QPAYOUT(with_blank, "E", ct)
    assert out[20] == [""] and out[:20] + out[21:] == [[QPAYOUT(v[0], "E", ct)] for v in column]
    with pytest.raises(QuintusExcelError, match=r"QPAYOUT: proceeds \(value 41\): \"forty\" is text"):
        QPAYOUT(column + [["forty"]], "E", ct)


def test_a_value_exactly_at_a_map_point_takes_the_election_there():
    # A 100,000, C 20,000, E 200,000, F 200,000, Common 1,000,000 at exactly $2,545,585.
    # Not converted: F first, 200,000 x $8.25 = $1,650,000 (2(a), senior); $895,585 left for
    # A $100,000, C 20,000 x $1.91 = $38,200 and E 200,000 x $4.15 = $830,000 ($968,200 owed),
    # ratably at 895,585 / 968,200 = 0.925: A $92,500, C $35,335, E $767,750.
    # A-D converted: Cash Amounts first (3(a)), A 100,000 x $0.925 = $92,500 and C 20,000 x
    # $1.765 = $35,300; then F $1,650,000; E the rest, $767,785.
    # A, holding 100,000 of the 120,000 A-D shares, gets $92,500 either way: no strict gain,
    # so A-D do not convert at this value; just below it converting pays A strictly more. The
    # interval below converts A-D, the point does not, and C's payout differs by $35.
    from xl_quintus.charter.cap_table import CapTable
    table = CapTable.of([("A", 100_000), ("C", 20_000), ("E", 200_000), ("F", 200_000), ("Common", 1_000_000)])
    m = ExitModel(Waterfall(table), "optimal")
    points, at_point, intervals = m.election_map()
    i = points.index(2_545_585)
    assert intervals[i - 1].converting == {"A", "C"} and at_point[i].converting == frozenset()
    assert m.payout_cents(2_545_585, Who(table, "C")) == 3_533_500
    values = [2_545_585.0] * 10 + [2_545_584.99] * 10 + [2_545_585.01] * 12
    for label in ["A", "C", "E", "F", "A-D"]:
        who = Who(table, label)
        assert m.sweep_cents(values, who) == [m.payout_cents(v, who) for v in values], label


def test_the_table_of_regions_answers_as_a_binary_search():
    # _region_of looks most values up in a table of equal buckets of cents; it must give what
    # np.searchsorted gives, for values at, next to and beyond every region's first cent,
    # repeated starts (an empty region) and starts up to the $10^13 limit
    import numpy as np
    from xl_quintus.exit.model import _region_of
    rnd = random.Random(5)
    for top in (5, 100, 10**6, 10**11, 10**15):
        for _ in range(20):
            starts = sorted({0} | {rnd.randint(0, top) for _ in range(rnd.randint(1, 60))})
            starts = np.array(sorted(starts + starts[:rnd.randint(0, 2)]), dtype=np.int64)
            cents = np.array([rnd.randint(0, 2 * top + 2) for _ in range(500)]
                             + [int(s) + d for s in starts for d in (-1, 0, 1) if s + d >= 0], dtype=np.int64)
            assert (_region_of(starts, cents) == np.searchsorted(starts, cents, side="right") - 1).all()
