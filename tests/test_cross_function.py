"""Invariants across functions, on random inputs (hypothesis)."""

from hypothesis import HealthCheck, given, settings, strategies as st

from test_fuzz import valid_cap_table
from xl_quintus.excel import QCONVERT, QIPO, QPAYOUT, QVOTES, QVOTINGPOWER, QWATERFALL

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
exits = st.lists(st.integers(0, 600_000_000).map(float), min_size=33, max_size=60)


def _usable(table):
    return any(isinstance(r[-1], float) and r[-1] > 0 for r in table[1:])


@SETTINGS
@given(valid_cap_table(holders=False), exits, st.sampled_from(["E", "A-D", "Common", "G", "F"]),
       st.sampled_from(["optimal", "none", "all"]))
def test_qpayout_over_a_column_equals_cell_by_cell(table, values, who, conversions):
    if not _usable(table):
        return
    column = QPAYOUT([[v] for v in values], who, table, conversions)        # swept (>= 32 values)
    assert column == [[QPAYOUT(v, who, table, conversions)] for v in values]


@SETTINGS
@given(valid_cap_table(holders=True), st.integers(0, 900_000_000).map(float))
def test_waterfall_parts_add_up_to_the_proceeds(table, proceeds):
    if not _usable(table):
        return
    for by in ("class", "holder"):
        rows = QWATERFALL(proceeds, table, None, None, None, by)
        body, total = rows[1:-1], rows[-1]
        k = 1 if by == "holder" else 0
        assert round(sum(r[7 + k] for r in body), 2) == round(proceeds, 2) == total[7 + k]
        for r in body:
            assert round(sum(r[3 + k:7 + k]), 2) == r[7 + k]


@SETTINGS
@given(valid_cap_table(holders=False), st.floats(0.5, 20))
def test_qipo_and_qconvert_agree(table, price):
    if not _usable(table):
        return
    ipo = QIPO(price, 50_000_000, table)
    for holder, cls, shares, common, _ in ipo[1:-4]:      # before Total, 3(i), 7, 3(b)
        assert QCONVERT(cls, shares, None, price) == common


@SETTINGS
@given(valid_cap_table(holders=False))
def test_qvotes_agrees_with_qvotingpower(table):
    if not _usable(table):
        return
    for holder, cls, shares, votes, _ in QVOTINGPOWER(table)[1:-1]:
        assert QVOTES(cls, shares) == votes
