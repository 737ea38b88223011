"""The exit-value map's pieces in closed form (exit/piecewise.py) and the 2(b) levels
(liquidation.proviso_2b_until_cap), against whole distributions and a plain reference.

A class's total at a breakpoint is read off the tiers of Section 2 (its Cash Amount and its
preference once their tiers are passed, its as-converted shares times the 2(b) amount per
share reached, up to its cap); these tests hold the forms to a whole Section 2 distribution
exactly, over random NVCA-style charters (seniority ranks, multiples, capped and full
participation, no Common) as well as Quintus, and check that forms with a planted defect
are refused (never paid out)."""

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from test_custom_terms_more import nvca_charters

from xl_quintus.charter.cap_table import CapTable
from xl_quintus.charter.liquidation import Waterfall, proviso_2b_until_cap
from xl_quintus.charter.terms import Charter, series_from_mapping
from xl_quintus.errors import CharterError
from xl_quintus.exit import piecewise
from xl_quintus.exit.piecewise import Piecewise

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def charters_and_tables():
    """2 to 5 series with the NVCA model's alternatives drawn; 50+ holders; Common or none."""
    return nvca_charters(max_series=5, min_common=0, dividends=False)


def _vector(w, x, state):
    d = w.distribute(x, state)
    return [c.total for c in d.classes] + [d.unallocated]


@SETTINGS
@given(charters_and_tables(), st.data())
def test_the_closed_forms_equal_a_whole_distribution_at_every_point(ct, data):
    # some Conversion Prices adjusted (as-converted weights that are not whole shares) and
    # some unpaid dividends (larger preferences) drawn as well
    present = list(ct.series_present)
    prices = {n: ct.charter.terms(n).original_issue_price * Fraction(data.draw(st.integers(1, 40)), 37)
              for n in data.draw(st.lists(st.sampled_from(present), unique=True))}
    unpaid = {n: Fraction(data.draw(st.integers(0, 500)), 100)
              for n in data.draw(st.lists(st.sampled_from(present), unique=True))}
    w = Waterfall(ct, prices, unpaid)
    series = list(w.series)
    state = frozenset(data.draw(st.lists(st.sampled_from(series), unique=True)))
    pw = Piecewise(w, state)
    xs = pw.points + [(a + 2 * b) / 3 for a, b in zip(pw.points, pw.points[1:])]      # inside each piece
    xs += [pw.points[-1] + Fraction(7, 3), Fraction(data.draw(st.integers(0, 10 ** 11)), 100)]
    for x in xs:
        assert pw.at(x) == _vector(w, x, state)
    # the full rows, the slopes between points and beyond the last, exactly
    assert pw.values == [_vector(w, p, state) for p in pw.points]
    for i, (a, b) in enumerate(zip(pw.points, pw.points[1:])):
        assert pw.slopes[i] == [(q - p) / (b - a) for p, q in zip(pw.values[i], pw.values[i + 1])]
    assert pw.slopes[-1] == pw.slope_after
    # the breakpoints' events, one per point after 0, at those points
    assert [e.exit_value for e in pw.events] == pw.points[1:]


@SETTINGS
@given(charters_and_tables(), st.data())
def test_the_first_pass_floats_are_the_exact_rows_to_a_few_roundings(ct, data):
    w = Waterfall(ct)
    state = frozenset(data.draw(st.lists(st.sampled_from(list(w.series)), unique=True)))
    pw = Piecewise(w, state)
    points, base, slope = pw.float_rows
    assert points == [float(p) for p in pw.points]
    for fl, ex in ((base, pw.values), (slope, pw.slopes)):
        for frow, erow in zip(fl, ex):
            for f, e in zip(frow, erow):
                assert abs(f - float(e)) <= 1e-14 * max(1.0, abs(float(e)))


def test_quintus_breakpoints_by_hand():
    # Quintus, nothing converts, 1,000,000 E and 1,000,000 Common: 2(a) pays E its $4.15
    # Original Issue Price x 1,000,000 = $4,150,000 first; then 2(b) shares pro rata (E
    # 1,000,000 as-converted, Common 1,000,000), each half, until E has $10.375 a share in
    # all: 10,375,000 - 4,150,000 = 6,225,000 more for E, as much for Common: the cap is
    # reached at 4,150,000 + 2 x 6,225,000 = $16,600,000; beyond it Common takes every dollar.
    ct = CapTable.of([("E", 1_000_000), ("Common", 1_000_000)])
    pw = Piecewise(Waterfall(ct), frozenset())
    assert pw.points == [0, 4_150_000, 16_600_000]
    assert pw.values == [[0, 0, 0], [4_150_000, 0, 0], [10_375_000, 6_225_000, 0]]
    assert pw.slopes == [[1, 0, 0], [Fraction(1, 2), Fraction(1, 2), 0], [0, 1, 0]]
    assert [e.event for e in pw.events] == ["Liquidation preference of E paid in full",
                                            "E reach the 2(b) cap ($10.375 per share)"]


def test_every_participant_capped_and_no_common_leaves_the_rest_unallocated():
    # one series, 1,000,000 shares at $1.00, 1x, participating capped at 3x, no Common:
    # $1,000,000 of 2(a), then 2(b) to the cap of $3,000,000 in all, then nobody can take it
    charter = Charter("Capped Co", (series_from_mapping(
        {"name": "S0", "authorized": 10_000_000, "original_issue_price": "1", "participation": "capped",
         "cap": "3x"}),), 100_000_000, 40_000_000, Fraction(0))
    ct = CapTable.of([("a", "S0", 1_000_000)], charter)
    pw = Piecewise(Waterfall(ct), frozenset())
    assert pw.points == [0, 1_000_000, 3_000_000]
    assert pw.slopes[-1] == [0, 1]                                    # S0, then Unallocated
    assert pw.at(Fraction(5_000_000)) == [3_000_000, 2_000_000]
    assert "the rest is Unallocated" in pw.events[-1].event


def _planted(monkeypatch, plant):
    real = Piecewise._tiers_of

    def tiers_of(self):
        return plant(real(self))
    monkeypatch.setattr(Piecewise, "_tiers_of", tiers_of)


E_F_COMMON = [("E", 1_000_000), ("F", 1_000_000), ("Common", 1_000_000)]


@pytest.mark.parametrize("plant, wrong", [
    # the last tier's shares doubled: caught beyond the last breakpoint, exactly
    (lambda t: t[:-1] + [piecewise._Tier(None, {j: 2 * v for j, v in t[-1].share.items()}, t[-1].denominator,
                                         t[-1].rule)], "Common"),
    # the 2(a) ranks walked junior first (E before F): right beyond the end, wrong in the middle
    (lambda t: [t[1], t[0]] + t[2:], "E, F"),
    # the two ranks merged into one tier, paid pari passu: right at both ends of it
    (lambda t: [piecewise._Tier(t[0].size + t[1].size, {**t[0].share, **t[1].share}, t[0].denominator + t[1].denominator,
                                "preference", t[0].names + t[1].names)] + t[2:], "E, F"),
    # F's preference tier a dollar too long: every later point a dollar late, Common short
    (lambda t: [piecewise._Tier(t[0].size + 1, t[0].share, t[0].denominator, t[0].rule, t[0].names)] + t[1:], "Common"),
])
def test_forms_that_do_not_match_the_waterfall_are_refused_as_a_defect(monkeypatch, plant, wrong):
    # a defect planted in the forms is refused in one line, never paid out: beyond the last
    # breakpoint exactly, at the middle of every piece in floats (the engine's own Section 2)
    _planted(monkeypatch, plant)
    with pytest.raises(CharterError) as info:
        Piecewise(Waterfall(CapTable.of(E_F_COMMON)), frozenset())
    assert info.value.message.startswith("the breakpoints drawn for no conversions do not match the liquidation "
                                         "waterfall for ")
    assert info.value.message.endswith("(a defect; please report it)")
    assert wrong.split(", ")[0] in info.value.message


def test_the_unplanted_forms_of_the_same_table_pass_the_checks():
    # F (senior, $8.25 x 1,000,000) first, then E ($4.15 x 1,000,000), then 2(b)
    pw = Piecewise(Waterfall(CapTable.of(E_F_COMMON)), frozenset())
    assert pw.points[:3] == [0, 8_250_000, 12_400_000]


def _until_cap_reference(available, weight, room):
    """2(b) level by level with a running remainder (the rule as first written)."""
    got = {n: Fraction(0) for n in weight}
    active = {n: v for n, v in weight.items() if v > 0}
    levels = {}
    for n, v in active.items():
        if room[n] is not None:
            levels.setdefault(room[n] / v, []).append(n)
    reached, total = Fraction(0), sum(active.values(), Fraction(0))
    for cap in sorted(levels):
        if available / total <= cap - reached:
            break
        available -= (cap - reached) * total
        reached = cap
        for n in levels[cap]:
            got[n] = room[n]
            total -= active.pop(n)
    if available > 0 and active:
        level = reached + available / total
        for n, v in active.items():
            got[n] = level * v
        return got, Fraction(0)
    for n, v in active.items():
        got[n] = reached * v
    return got, available


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10 ** 7), st.one_of(st.none(), st.integers(1, 10 ** 9))),
                min_size=1, max_size=14),
       st.integers(0, 10 ** 11), st.integers(1, 997))
def test_2b_levels_asked_of_the_whole_amount_equal_the_running_remainder(parts, cents, scale):
    # the same Fractions, bit for bit (Fractions are kept in lowest terms), including money
    # running out exactly at a cap and every participant capped (the rest Unallocated)
    weight = {f"P{i}": Fraction(v, scale) for i, (v, _) in enumerate(parts)}
    room = {f"P{i}": None if r is None else Fraction(r, 100) for i, (_, r) in enumerate(parts)}
    available = Fraction(cents, 100)
    assert proviso_2b_until_cap(available, weight, room) == _until_cap_reference(available, weight, room)
    # and exactly at each cap
    for n, r in room.items():
        if r is not None and weight[n]:
            level = r / weight[n]                 # everyone brought to this cap, or to their own below it
            at = sum(((min(level, room[m] / weight[m]) if room[m] is not None else level) * weight[m]
                      for m in weight if weight[m]), Fraction(0))
            assert proviso_2b_until_cap(at, weight, room) == _until_cap_reference(at, weight, room)


@SETTINGS
@given(st.data())
def test_quintus_pieces_with_cash_amounts_unpaid_dividends_and_adjusted_prices(data):
    # A-D's Cash Amounts (3(a)) with declared but unpaid dividends added, E-G's caps, prices
    # below the Original Issue Price: the forms against a whole distribution, every state
    from xl_quintus.charter.terms import quintus
    q = quintus()
    names = data.draw(st.lists(st.sampled_from([s.name for s in q.series]), min_size=1, max_size=8, unique=True))
    rows = [(f"h{k % 7}", n, data.draw(st.integers(1, q.terms(n).authorized // 3))) for k, n in enumerate(names)]
    rows += [("founder", "Common", data.draw(st.integers(0, 20_000_000)))]
    ct = CapTable.of([r for r in rows if r[2]])
    prices = {n: q.terms(n).original_issue_price * Fraction(data.draw(st.integers(20, 100)), 100) for n in names}
    unpaid = {n: Fraction(data.draw(st.integers(0, 300)), 100) for n in names}
    w = Waterfall(ct, prices, unpaid)
    state = frozenset(data.draw(st.lists(st.sampled_from(names), unique=True)))
    pw = Piecewise(w, state)
    for x in pw.points + [(a + b) / 2 for a, b in zip(pw.points, pw.points[1:])] + [pw.points[-1] * 2 + 1]:
        assert pw.at(x) == _vector(w, x, state)
