"""Invariants over random cap tables (hypothesis)."""

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from xl_quintus.charter.cap_table import CapTable
from xl_quintus.errors import CharterError
from xl_quintus.charter.election import OptimalElection, groups_present
from xl_quintus.exit.model import ExitModel, Who
from xl_quintus.charter.liquidation import Waterfall
from xl_quintus.charter.terms import quintus

CLASSES = [s.name for s in quintus().series] + ["Common"]
AUTH = {s.name: s.authorized for s in quintus().series} | {"Common": 100_000_000}


@st.composite
def cap_tables(draw):
    names = draw(st.lists(st.sampled_from(CLASSES), min_size=1, max_size=6, unique=True))
    holders = draw(st.booleans())
    rows = []
    for n in names:
        for k in range(draw(st.integers(1, 2)) if holders else 1):
            shares = draw(st.integers(1, AUTH[n] // 2))
            rows.append((f"h{draw(st.integers(0, 3))}", n, shares) if holders else (n, shares))
    return CapTable.of(rows)


proceeds = st.integers(0, 400_000_000_00).map(lambda c: Fraction(c, 100))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fixed(ct, draw_bits):
    """Whole election groups (A-D name all four, 3(a)), chosen by the drawn bits."""
    groups = groups_present(ct)
    charter = ct.charter
    return frozenset(s.name for g, bit in zip(groups, draw_bits) if bit
                     for s in charter.series if s.election == g.name)


@SETTINGS
@given(cap_tables(), proceeds, st.lists(st.booleans(), min_size=9, max_size=9))
def test_totals_equal_proceeds_to_the_cent_and_nobody_is_negative(ct, p, bits):
    m = ExitModel(Waterfall(ct), sorted(_fixed(ct, bits)))
    dist, _ = m.distribution(p)
    class_cents = dist.class_cents()
    assert sum(class_cents.values()) == p * 100
    assert all(c.total >= 0 and c.cash_amount >= 0 and c.preference >= 0 for c in dist.classes)
    assert all(v >= 0 for v in class_cents.values())
    holder = m.holder_cents(dist)
    for cls, c in class_cents.items():
        if cls != "Unallocated":
            assert sum(h.get(cls, 0) for h in holder.values()) == c


@SETTINGS
@given(cap_tables(), proceeds, proceeds, st.lists(st.booleans(), min_size=9, max_size=9))
def test_fixed_election_payouts_never_fall_as_proceeds_rise(ct, p1, p2, bits):
    lo, hi = sorted((p1, p2))
    w = Waterfall(ct)
    state = _fixed(ct, bits)
    a, b = w.distribute(lo, state), w.distribute(hi, state)
    for x, y in zip(a.classes, b.classes):
        assert y.total >= x.total


@st.composite
def fund_cap_tables(draw):
    """Holder-level cap tables where one fund may hold a majority of A-D and also G or
    Common (where the first release's flips cycled), from 2 to 60 holders."""
    n = draw(st.sampled_from([2, 3, 4, 8, 55, 60]))
    classes = draw(st.lists(st.sampled_from(["A", "B", "D", "E", "F", "G-1", "G-3", "G-5", "Common"]),
                            min_size=2, max_size=6, unique=True))
    rows = []
    for k in range(n):
        for cls in draw(st.lists(st.sampled_from(classes), min_size=1, max_size=3, unique=True)):
            rows.append((f"h{k}", cls, draw(st.integers(1, 2_000))))
    return CapTable.of(rows)


def assert_stable_under_its_rule(ct, x, election):
    """The answer is stable under the rule that produced it (interpretations, 3(a))."""
    search = OptimalElection(ct, lambda s: Waterfall(ct).totals(x, s))
    groups, state = search.groups, election.converting
    if election.method == "sequential" or election.method.startswith("search: "):
        assert not any(search.wants_flip(state, g) for g in groups)
        if election.method != "sequential":          # reached only because the flips cycle
            assert search.sequential(groups, frozenset())[1] is not None
        return
    elector = next(g for g in groups if g.by_majority)
    assert election.method.startswith(f"{elector.name} elects first")
    assert search.sequential(groups, frozenset())[1] is not None
    others = tuple(g for g in groups if g is not elector)
    # the other groups are stable with A-D held at its choice ...
    assert not any(search.wants_flip(state, g) for g in others)
    # ... and A-D's choice is what a majority of its holders prefer between the two outcomes
    converts = bool(set(elector.members) & state)
    other, _ = search.settle(others, frozenset() if converts else frozenset(elector.members))
    yes, no = (state, other) if converts else (other, state)
    vote = search.vote(no, yes, elector)
    assert vote.carries == converts and vote == election.vote


def _stable_or_no_candidate(m, ct, x):
    try:
        election = m.election(x)
    except CharterError as e:                  # allowed only when no combination is stable
        assert "no combination of their choices is stable" in str(e)
        return None
    assert_stable_under_its_rule(ct, x, election)
    return election


@SETTINGS
@given(cap_tables(), proceeds)
def test_optimal_result_is_stable_under_its_rule(ct, p):
    m = ExitModel(Waterfall(ct), "optimal")
    _stable_or_no_candidate(m, ct, Fraction(round(p * 100), 100))


# Holder-level cap tables (found by random search) whose sequential flips cycle at the exit
# value given: the property tests start from these, scaled, moved and joined by small holders.
CYCLING = [
    ([("h0", "A", 657), ("h1", "A", 712), ("h1", "E", 104), ("h0", "E", 625), ("h0", "G-3", 322),
      ("h0", "Common", 736), ("h1", "Common", 831)], 31_447),
    ([("h0", "A", 439), ("h1", "A", 780), ("h0", "E", 396), ("h1", "E", 534), ("h1", "Common", 141)], 16_179),
    ([("h0", "A", 818), ("h1", "A", 598), ("h0", "E", 996), ("h1", "E", 440), ("h1", "G-3", 414),
      ("h0", "Common", 779), ("h1", "Common", 495)], 37_090),
    ([("h1", "A", 978), ("h0", "A", 383), ("h1", "E", 518), ("h0", "G-3", 288), ("h1", "G-3", 11),
      ("h1", "Common", 175)], 17_925),
    ([("h2", "A", 800), ("h0", "A", 900), ("h1", "E", 100), ("h2", "E", 400), ("h1", "G-3", 500),
      ("h0", "Common", 300)], 28_500),
    ([("h0", "A", 1000), ("h1", "A", 400), ("h0", "E", 600), ("h1", "E", 200), ("h1", "G-3", 800),
      ("h0", "Common", 1000)], 39_500),
    ([("h0", "A", 1), ("h0", "B", 1), ("h1", "C", 1), ("h1", "E", 1), ("h0", "D", 1), ("h0", "G-1", 1)], 60),
]


@st.composite
def cycling_cap_tables(draw):
    """(cap table, proceeds) near a known cycle: shares scaled (the game is the same when
    shares and proceeds scale together), proceeds moved up to 5%, and up to 55 small
    holders of Common, E or G-3 added (60 holders in all at most)."""
    rows, at = draw(st.sampled_from(CYCLING))
    k = draw(st.sampled_from([1, 7, 100, 300]))
    rows = [(h, c, n * k) for h, c, n in rows]
    for j in range(draw(st.sampled_from([0, 0, 3, 55]))):
        rows.append((f"s{j}", draw(st.sampled_from(["Common", "E", "G-3"])), draw(st.integers(1, k))))
    x = Fraction(at * k) * (1 + Fraction(draw(st.integers(-50, 50)), 1_000))
    return CapTable.of(rows), Fraction(round(x * 100), 100)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cycling_cap_tables())
def test_where_flips_cycle_the_answer_is_stable_under_its_rule(case):
    ct, x = case
    m = ExitModel(Waterfall(ct), "optimal")
    election = _stable_or_no_candidate(m, ct, x)
    # the exit-value map and the numpy sweep answer as the exact search, here too
    assert _converting(lambda: m.election_from_map(x)) == (election.converting if election else "cycle")
    who = Who(ct, ct.holders[0])
    values = [float(x), float(x) * 0.9, float(x) * 1.1] + [float(p) for p in m.election_map()[0][:8]]
    try:
        exact = [m.payout_cents(v, who) for v in values]
    except CharterError:
        return
    assert m.sweep_cents(values, who) == exact


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(fund_cap_tables(), st.lists(st.integers(1, 60), min_size=4, max_size=4))
def test_optimal_result_is_stable_under_its_rule_with_many_holders(ct, scales):
    # exit values around the size of the preferences, where choices are close
    m = ExitModel(Waterfall(ct), "optimal")
    total = sum(h.shares for h in ct.holdings)
    for k in scales:
        _stable_or_no_candidate(m, ct, Fraction(total * k, 4))


@settings(max_examples=25, deadline=None)
@given(cap_tables(), st.randoms(use_true_random=False))
def test_sweep_equals_the_exact_engine(ct, rnd):
    m = ExitModel(Waterfall(ct), "optimal")
    whos = [Who(ct, c) for c in ct.classes_present] + [Who(ct, h) for h in ct.holders if ct.has_holder_names]
    values = [round(rnd.uniform(0, 120_000_000), rnd.choice([0, 2, 3])) for _ in range(60)]
    points = [float(p) for p in m.election_map()[0][:20]]
    for who in whos[:4]:
        exact = []
        for v in values + points:
            try:
                exact.append(m.payout_cents(v, who))
            except CharterError:                 # the 3(a) choices cycle at this value
                exact.append(None)
        fine = [v for v, e in zip(values + points, exact) if e is not None]
        if len(fine) < len(exact):
            with pytest.raises(CharterError, match="cycle"):
                m.sweep_cents(values + points, who)
        assert m.sweep_cents(fine, who) == [e for e in exact if e is not None]


def _converting(run):
    """Which series an election converts, or "cycle" when the 3(a) choices never settle."""
    try:
        return run().converting
    except CharterError:
        return "cycle"


@SETTINGS
@given(cap_tables(), proceeds)
def test_float_filtered_search_equals_the_exact_search(ct, p):
    m = ExitModel(Waterfall(ct), "optimal")
    x = Fraction(round(p * 100), 100)
    expected = _converting(OptimalElection(ct, lambda s: m.waterfall.totals(x, s)).run)
    assert _converting(lambda: m.election(x)) == expected


@settings(max_examples=25, deadline=None)
@given(cap_tables(), st.lists(proceeds, min_size=3, max_size=6))
def test_the_election_map_answers_like_the_search(ct, values):
    m = ExitModel(Waterfall(ct), "optimal")
    for p in values:
        x = Fraction(round(p * 100), 100)
        searched = _converting(OptimalElection(ct, lambda s: m.waterfall.totals(x, s)).run)
        assert _converting(lambda: m.election_from_map(x)) == searched


@SETTINGS
@given(cap_tables(), st.lists(st.booleans(), min_size=9, max_size=9), proceeds)
def test_pieces_equal_the_waterfall_exactly(ct, bits, p):
    # the pieces are read off the tiers (piecewise.Piecewise._tiers_of); at every breakpoint,
    # between two and beyond the last they equal a whole Section 2 distribution exactly
    from xl_quintus.exit.piecewise import Piecewise
    w = Waterfall(ct)
    state = _fixed(ct, bits)
    pw = Piecewise(w, state)
    xs = pw.points + [(a + b) / 2 for a, b in zip(pw.points, pw.points[1:])] + [pw.points[-1] + 7, p]
    for x in xs:
        d = w.distribute(x, state)
        assert pw.at(x) == [c.total for c in d.classes] + [d.unallocated]


@SETTINGS
@given(cap_tables(), st.lists(proceeds, min_size=1, max_size=4), st.sampled_from(["optimal", "none", "all"]))
def test_single_payouts_off_the_pieces_equal_a_whole_distribution(ct, values, mode):
    # once the map is built a class payee's cents come from the exact pieces in whole-number
    # arithmetic (ExitModel._exact_class_cents): the same cents as a whole distribution
    m = ExitModel(Waterfall(ct), mode)
    try:
        m.election_map()
    except CharterError:
        return
    payees = [Who(ct, c) for c in ct.classes_present] + [Who(ct, "A-D")]
    for p in values:
        try:
            dist, _ = m.distribution(p)
        except CharterError:
            continue
        for who in payees:
            assert m.payout_cents(p, who) == who.cents(m, dist)
