"""Options and warrants in a liquidation (excel-functions.md, "Options and warrants in a cap
table"): exercised when the payout per share of what they buy exceeds the exercise price
(equal: not), the prices paid join the proceeds, the holder keeps the payout less the price."""

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from xl_quintus.charter.cap_table import CapTable
from xl_quintus.charter.liquidation import Waterfall
from xl_quintus.charter.terms import quintus
from xl_quintus.errors import CharterError
from xl_quintus.excel import QAPPROVAL, QBOARD, QPAYOUT, QVOTINGPOWER, QWATERFALL
from xl_quintus.exit.exercise import ExerciseModel
from xl_quintus.exit.model import ExitModel
from xl_quintus.exit.model import model_for

HEADER = ["Holder", "Class", "Shares", "Exercise Price"]
# A textbook deal: one participating preferred (Series E: $4.15 preference, participates to a
# $10.375 cap, 2(a)-(b)), founders' Common, and a Common warrant for 1,000,000 shares at $2.00.
TEXTBOOK = [HEADER, ["Fund", "E", 1_000_000, None], ["Founders", "Common", 3_000_000, None],
            ["Bank", "Common", 1_000_000, 2.0]]


def table(rows):
    """QWATERFALL rows keyed by their first cell."""
    return {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}


def test_textbook_warrant_breakpoint_and_net_by_hand():
    # Without the warrant, above E's $4,150,000 preference each of the 4,000,000 as-converted
    # shares (E 1,000,000 + Common 3,000,000) takes (x - 4,150,000) / 4,000,000.
    # With it exercised: proceeds x + 2,000,000 paid, 5,000,000 shares:
    #   (x + 2,000,000 - 4,150,000) / 5,000,000 > 2.00  <=>  x > 12,150,000.
    # (Both sides agree: (x - 4,150,000) / 4,000,000 > 2 <=> x > 12,150,000 too.)
    at = table(QWATERFALL(12_150_000, TEXTBOOK, "none"))
    # equal: not exercised; Converts holds TRUE/FALSE only (an unexercised tranche has no
    # shares to convert), and its row is all zeros
    assert at["Common @ 2.00"]["Converts"] is False and at["Common @ 2.00"]["Total"] == 0.0
    assert at["Common @ 2.00"]["Net"] == 0.0
    assert at["Common"]["Total"] == 6_000_000.0                       # 3,000,000 x 2.00
    # $20,000,000: per share (20,000,000 + 2,000,000 - 4,150,000) / 5,000,000 = 3.57
    #   E: 4,150,000 + 3.57 x 1,000,000 = 7,720,000 (below its cap 10,375,000)
    #   Common: 3.57 x 3,000,000 = 10,710,000
    #   warrant: 3.57 x 1,000,000 = 3,570,000 gross, 2,000,000 paid, 1,570,000 net
    #   nets: 7,720,000 + 10,710,000 + 1,570,000 = 20,000,000 = proceeds
    rows = QWATERFALL(20_000_000, TEXTBOOK, "none")
    assert rows[0][-2:] == ["Exercise Paid", "Net"]
    t = table(rows)
    assert t["E"]["Net"] == 7_720_000.0 and t["Common"]["Net"] == 10_710_000.0
    assert t["Common @ 2.00"]["Total"] == 3_570_000.0
    assert t["Common @ 2.00"]["Exercise Paid"] == 2_000_000.0 and t["Common @ 2.00"]["Net"] == 1_570_000.0
    assert t["Common @ 2.00"]["Per Share"] == 3.57 and t["Common @ 2.00"]["Converts"] is False
    assert t["Total"]["Net"] == 20_000_000.0 and t["Total"]["Total"] == 22_000_000.0
    assert QPAYOUT(20_000_000, "Common @ 2.00", TEXTBOOK, "none") == 1_570_000.0
    assert QPAYOUT(20_000_000, "Bank", TEXTBOOK, "none") == 1_570_000.0
    assert QPAYOUT(20_000_000, "common @ $2", TEXTBOOK, "none") == 1_570_000.0
    assert QPAYOUT(20_000_000, "Common", TEXTBOOK, "none") == 10_710_000.0
    # the optimal election agrees here: E would convert only above its $10.375 cap
    assert QWATERFALL(20_000_000, TEXTBOOK) == rows


def test_textbook_by_holder_shows_each_holders_net():
    rows = QWATERFALL(20_000_000, TEXTBOOK, "none", None, None, "holder")
    assert rows[0][:2] == ["Holder", "Class"]
    bank = next(r for r in rows if r[0] == "Bank")
    assert bank[1] == "Common @ 2.00" and bank[-1] == 1_570_000.0 and bank[-2] == 2_000_000.0
    assert rows[-1][-1] == 20_000_000.0


def test_out_of_the_money_tranche_changes_nothing():
    # Common @ 5.00 at $20,000,000: without it (20,000,000 - 4,150,000) / 4,000,000 = 3.9625
    # per share, with it (25,000,000 - 4,150,000) / 5,000,000 = 4.17: both below 5.00.
    rows = [HEADER, ["Fund", "E", 1_000_000, None], ["Founders", "Common", 3_000_000, None],
            ["Pool", "Common", 1_000_000, 5.0]]
    t = table(QWATERFALL(20_000_000, rows, "none"))
    assert t["Common @ 5.00"]["Converts"] is False and t["Common @ 5.00"]["Net"] == 0.0
    plain = table(QWATERFALL(20_000_000, [r[:3] for r in rows[:3]], "none"))
    assert t["Common"]["Net"] == plain["Common"]["Total"] == 11_887_500.0     # 3.9625 x 3,000,000
    assert t["E"]["Net"] == plain["E"]["Total"]


def test_tranche_exactly_at_the_money_is_not_exercised():
    # 1,000 Common and an option on 100 at $1.00, proceeds $1,000: exercised, each of 1,100
    # shares would take (1,000 + 100) / 1,100 = 1.00, exactly the price: not exercised.
    rows = [HEADER, ["F", "Common", 1_000, None], ["O", "Common", 100, 1.0]]
    t = table(QWATERFALL(1_000, rows))
    assert t["Common @ 1.00"]["Converts"] is False and t["Common @ 1.00"]["Total"] == 0.0
    assert t["Common"]["Net"] == 1_000.0
    # one cent more: (1,000.01 + 100) / 1,100 = 1.0000091 > 1.00, exercised; the option
    # nets 100 x 0.0000091 = 0.000909..., rounded with the rest by largest remainder:
    # Common 1,000 x 1.0000091 = 1,000.00909 -> the cent goes to it
    t = table(QWATERFALL(1_000.01, rows))
    assert t["Common @ 1.00"]["Converts"] is False
    assert t["Common @ 1.00"]["Exercise Paid"] == 100.0
    assert t["Common"]["Net"] + t["Common @ 1.00"]["Net"] == 1_000.01


def _sample_with_warrants(quintus_sample, names=True):
    rows = [HEADER] + [[None, h.cls, h.shares, None] for h in quintus_sample.holdings]
    rows += [["Warrant B" if names else None, "B", 192_262, 1.43],
             ["Warrant C" if names else None, "C", 55_340, 1.91]]
    return rows


def test_charter_b_and_c_warrants_at_100_million_by_hand(quintus_sample):
    # 3(d)(ii)(I)-(J): warrants for 192,262 B at the B issue price $1.43 and 55,340 C at $1.91.
    # At $100,000,000 A-D elect to convert (3(a)) and both warrants are exercised:
    #   paid 192,262 x 1.43 + 55,340 x 1.91 = 274,934.66 + 105,699.40 = 380,634.06
    #   Cash Amounts (3(a)): A 9,100,000 x 0.925 = 8,417,500; B 1,192,262 x 1.325 =
    #   1,579,747.15; C 3,055,340 x 1.765 = 5,392,675.10; D 1,455,000 x 2.544 = 3,701,520
    #   -> 19,091,442.25
    #   2(a) F, then E and G pari passu: 53,560,298.23 in all
    #   2(b) left: 100,380,634.06 - 19,091,442.25 - 53,560,298.23 = 27,728,893.58 over
    #   as-converted A-D 14,802,602 + E 3,000,000 + F 1,500,000 + G 3,559,700 + Common
    #   12,000,000 = 34,862,302 shares (no cap binds): L = 27,728,893.58 / 34,862,302
    #   B per share 1.325 + L = 2.1204; warrant net 192,262 x (1.325 + L - 1.43)
    level = Fraction("27728893.58") / 34_862_302
    b_net = 192_262 * (Fraction("1.325") + level - Fraction("1.43"))
    c_net = 55_340 * (Fraction("1.765") + level - Fraction("1.91"))
    rows = _sample_with_warrants(quintus_sample)
    t = table(QWATERFALL(100_000_000, rows))
    assert t["B @ 1.43"]["Exercise Paid"] == 274_934.66 and t["C @ 1.91"]["Exercise Paid"] == 105_699.40
    assert t["Total"]["Cash Amount"] == 19_091_442.25
    assert abs(Fraction(t["B @ 1.43"]["Net"]) - b_net) < Fraction(1, 100)          # 132,734.48
    assert abs(Fraction(t["C @ 1.91"]["Net"]) - c_net) < Fraction(1, 100)          # 35,992.21
    assert t["B @ 1.43"]["Net"] == 132_734.48 and t["C @ 1.91"]["Net"] == 35_992.21
    assert t["Total"]["Net"] == 100_000_000.0
    assert QPAYOUT(100_000_000, "Warrant B", rows) == 132_734.48


def test_charter_warrants_at_other_exits(quintus_sample):
    rows = _sample_with_warrants(quintus_sample)
    # $50,000,000: A-D convert but the 2(b) pool is empty (Cash Amounts and preferences take
    # it all); B would take its Cash Amount 1.325 < 1.43, C 1.765 < 1.91: neither exercised.
    t = table(QWATERFALL(50_000_000, rows))
    assert t["B @ 1.43"]["Converts"] is t["C @ 1.91"]["Converts"] is False
    assert t["B @ 1.43"]["Exercise Paid"] == t["C @ 1.91"]["Exercise Paid"] == t["B @ 1.43"]["Total"] == 0.0
    # Unconverted B takes exactly its preference 1.43 per share, never more (2(a); B does not
    # participate): at the money at best, so never exercised unless A-D convert.
    t = table(QWATERFALL(10_000_000, rows, "none"))
    assert t["B @ 1.43"]["Converts"] is False and t["B @ 1.43"]["Exercise Paid"] == 0.0
    t = table(QWATERFALL(300_000_000, rows))
    assert t["B @ 1.43"]["Converts"] is True and t["Total"]["Net"] == 300_000_000.0
    for x in (10_000_000, 50_000_000, 100_000_000, 300_000_000):
        t = table(QWATERFALL(x, rows))
        assert sum(r["Net"] for k, r in t.items() if k != "Total") == pytest.approx(x, abs=1e-6)


def test_exercised_b_warrant_votes_in_the_a_d_election(quintus_sample):
    """The engine's outcome equals a plain waterfall on the cap table after exercise at the
    proceeds plus the prices paid, under that table's own 3(a) election."""
    ct = CapTable.of([tuple(r) for r in _sample_with_warrants(quintus_sample)[1:]])
    m = ExerciseModel(ct)
    dist, election = m.distribution(100_000_000)
    after = ct.with_exercised(dist.exercised)
    assert after.shares("B") == 1_192_262
    plain = ExitModel(Waterfall(after), "optimal")
    x = Fraction(100_000_000) + Fraction("380634.06")
    assert plain.election(x).converting == election.converting
    assert plain.waterfall.distribute(x, election.converting).totals == dist.gross.totals


def test_instruments_carry_no_votes(quintus_sample):
    rows = _sample_with_warrants(quintus_sample)
    plain = [r[:3] for r in rows if r[3] is None or r is rows[0]]
    assert QVOTINGPOWER(rows) == QVOTINGPOWER(plain)
    assert QBOARD(rows, 7) == QBOARD(plain, 7)
    consents = [["Class", "Shares"], ["F", 1_500_000]]
    assert QAPPROVAL("6(b)", consents, rows) == QAPPROVAL("6(b)", consents, plain)


def test_three_column_tables_work_as_before_and_a_fourth_number_needs_the_header():
    plain = [["Holder", "Class", "Shares"], ["Fund", "E", 1_000_000], ["Founders", "Common", 3_000_000]]
    assert QWATERFALL(20_000_000, plain)[0][-1] == "Per Share"
    with pytest.raises(Exception, match="Exercise Price"):
        QWATERFALL(20_000_000, [["Fund", "E", 1_000_000, 2.0]])


@pytest.mark.parametrize("row, message", [
    (["Bank", "Common", 100, -1], "cannot be negative"),
    (["Bank", "Common", 100, "two"], "not an exercise price"),
    (["Bank", "Z", 100, 1], '"Z"'),
    (["Bank", "Common", 1.5, 1], "whole number"),
])
def test_bad_instrument_rows_are_one_line_errors(row, message):
    with pytest.raises(Exception, match=message) as info:
        QWATERFALL(1_000_000, TEXTBOOK + [row])
    assert "\n" not in str(info.value) and "QWATERFALL" in str(info.value)


def test_unknown_tranche_is_named():
    with pytest.raises(Exception, match=r"names no tranche.*Common @ 2.00"):
        QPAYOUT(20_000_000, "Common @ 3", TEXTBOOK)


# -- properties -------------------------------------------------------------------------------

CLASSES = [s.name for s in quintus().series] + ["Common"]
AUTH = {s.name: s.authorized for s in quintus().series} | {"Common": 100_000_000}


@st.composite
def tables_with_instruments(draw, many_holders=False):
    names = draw(st.lists(st.sampled_from(CLASSES), min_size=1, max_size=5, unique=True))
    if "Common" not in names and draw(st.booleans()):
        names.append("Common")
    holders = draw(st.integers(50, 70)) if many_holders else draw(st.integers(1, 6))
    rows = []
    for n in names:
        for _ in range(draw(st.integers(1, 3))):
            rows.append((f"h{draw(st.integers(0, holders - 1))}", n, draw(st.integers(1, AUTH[n] // 8)), None))
    prices = [Fraction(c, 100) for c in draw(st.lists(st.integers(0, 1_500), min_size=1, max_size=4))]
    for _ in range(draw(st.integers(1, 8 if many_holders else 4))):
        cls = draw(st.sampled_from(names + ["Common"]))
        rows.append((f"h{draw(st.integers(0, holders - 1))}", cls, draw(st.integers(1, AUTH[cls] // 20)),
                     draw(st.sampled_from(prices))))
    if many_holders:                                   # every holder holds something
        rows += [(f"h{k}", "Common", 1_000 + k, None) for k in range(holders)]
    return CapTable.of(rows)


proceeds = st.integers(0, 200_000_000_00).map(lambda c: Fraction(c, 100))
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _solve(m, x):
    try:
        return m.distribution(x)[0]
    except CharterError as e:                     # only the spec's cycle errors are allowed
        assert "cycle" in str(e)
        return None


@SETTINGS
@given(st.one_of(tables_with_instruments(), tables_with_instruments(many_holders=True)), proceeds,
       st.sampled_from(["none", "all", "optimal"]))
def test_net_adds_up_and_every_choice_is_stable_and_no_one_is_worse_off(ct, x, conversions):
    m = ExerciseModel(ct, conversions=conversions)
    dist = _solve(m, x)
    if dist is None:
        return
    assert sum(dist.net_cents) == x * 100
    assert sum((r.net for r in dist.rows), Fraction(0)) + dist.unallocated == x
    exercised = {i for i, t in enumerate(m.tranches) if t in dist.exercised}
    for i, t in enumerate(m.tranches):
        assert m.wants(x, frozenset(exercised), i) == (i in exercised)        # stable
    for r in dist.rows:
        assert r.net >= 0                      # no one worse off than not exercising
        if r.exercised:
            assert r.net > 0                   # equal: not exercised
    per_holder = sum(c for split in dist.holder_net_cents for _, _, c in split)
    assert per_holder + (dist.net_cents[-1] if dist.unallocated else 0) == x * 100


@SETTINGS
@given(tables_with_instruments(), proceeds, proceeds, st.sampled_from(["none", "all"]))
def test_fixed_election_nets_never_fall_as_proceeds_rise(ct, p1, p2, conversions):
    lo, hi = sorted((p1, p2))
    m = ExerciseModel(ct, conversions=conversions)
    a, b = _solve(m, lo), _solve(m, hi)
    if a is None or b is None:
        return
    for ra, rb in zip(a.rows, b.rows):
        assert rb.net >= ra.net, (ra.label, lo, hi)


def test_cap_table_without_instruments_still_gets_the_plain_model(quintus_sample):
    assert type(model_for(quintus_sample)) is ExitModel
    warrants = CapTable.of([tuple(r) for r in _sample_with_warrants(quintus_sample)[1:]])
    assert type(model_for(warrants)) is ExerciseModel


# -- the exit-value map, breakpoints and the sweep ------------------------------------------------

def test_textbook_breakpoint_is_the_hand_computed_exit_value():
    from xl_quintus.excel import QBREAKPOINTS

    rows = QBREAKPOINTS(TEXTBOOK, "none")
    assert rows[0] == ["Exit Value", "Event", "Clause", "E", "Common", "Common @ 2.00"]
    # 0: E's preference first; 4,150,000: E 1/4 and Common 3/4 of each next dollar;
    # 12,150,000 (computed above): the warrant is exercised, 5,000,000 shares: E 1/5,
    # Common 3/5, warrant 1/5; E's cap 10.375 = 4.15 + 6.225 per share is reached at
    # 6.225 x 5,000,000 - 2,000,000 + 4,150,000 = 33,275,000, then Common 3/4, warrant 1/4.
    assert [r[0] for r in rows[1:]] == [0.0, 4_150_000.0, 12_150_000.0, 33_275_000.0]
    assert rows[3][1] == "Common @ 2.00 exercised"
    assert rows[3][3:] == [0.2, 0.6, 0.2] and rows[2][3:] == [0.25, 0.75, 0.0] and rows[4][3:] == [0.0, 0.75, 0.25]


def test_exercise_map_answers_like_the_search_and_the_sweep_like_the_exact_engine():
    rows = [tuple(r) for r in TEXTBOOK[1:]] + [("Pool", "Common", 400_000, 9.0), ("Pool", "E", 100_000, 5.0)]
    m = ExerciseModel(CapTable.of(rows))
    points = m.exercise_map()[0]
    values = [Fraction(v, 100) for v in range(0, 9_000_000_000, 37_123_457)] + points[1:] + [p + Fraction(1, 100) for p in points]
    values = [Fraction(round(v * 100), 100) for v in values]
    for x in values:
        assert m.exercised_from_map(x) == ExerciseModel(m.cap_table).solve(x)
    for who in ("Common", "Pool", "Common @ 9.00", "E @ 5.00", "E", "Founders"):
        payee = m.payee(who)
        assert m.sweep_cents([float(v) for v in values], payee) == [m.payout_cents(v, payee) for v in values]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables_with_instruments(), st.sampled_from(["none", "all"]), st.randoms(use_true_random=False))
def test_sweep_equals_the_exact_engine_with_instruments(ct, conversions, rnd):
    m = ExerciseModel(ct, conversions=conversions)
    values = [round(rnd.uniform(0, 150_000_000), rnd.choice([0, 2])) for _ in range(40)]
    values += [float(p) for p in m.exercise_map()[0][:10]]
    labels = [t.label for t in m.tranches][:2] + list(ct.classes_present)[:1] + list(ct.holders)[:1]
    for label in labels:
        payee = m.payee(label)
        try:
            exact = [m.payout_cents(v, payee) for v in values]
        except CharterError as e:
            assert "cycle" in str(e)
            continue
        assert m.sweep_cents(values, payee) == exact


def test_sweep_and_map_under_the_optimal_election_with_a_b_warrant():
    # A-D (here A and B) elect together; an exercised B warrant votes with them (3(a)).
    rows = [("Angel", "A", 2_000_000, None), ("Bfund", "B", 1_000_000, None), ("Efund", "E", 1_000_000, None),
            ("Founders", "Common", 4_000_000, None), ("Bank", "B", 600_000, Fraction("1.43")),
            ("Pool", "Common", 1_000_000, Fraction("0.75"))]
    m = ExerciseModel(CapTable.of(rows))
    values = [Fraction(v, 100) for v in range(0, 6_000_000_000, 61_234_567)]
    values += [Fraction(round(p * 100), 100) for p in m.exercise_map()[0]]
    for x in values:
        assert m.exercised_from_map(x) == ExerciseModel(m.cap_table).solve(x)
    for who in ("Bank", "Common", "A-D", "Pool", "Angel"):
        payee = m.payee(who)
        assert m.sweep_cents([float(v) for v in values], payee) == [m.payout_cents(v, payee) for v in values]


@st.composite
def small_tables(draw):
    """A-D members, one holder-option series and Common, with one or two tranches: small
    enough that every exercised set's own 3(a) map is quick."""
    rows = [("h0", "A", draw(st.integers(1, 3_000_000)), None), ("h1", "B", draw(st.integers(1, 900_000)), None),
            (f"h{draw(st.integers(0, 2))}", draw(st.sampled_from(["E", "F", "G-2"])), draw(st.integers(1, 1_000_000)), None),
            ("h2", "Common", draw(st.integers(1, 5_000_000)), None)]
    for _ in range(draw(st.integers(1, 2))):
        cls = draw(st.sampled_from(["B", "Common", "E"]))
        rows.append((f"h{draw(st.integers(0, 3))}", cls, draw(st.integers(1, 500_000)),
                     Fraction(draw(st.integers(0, 1_200)), 100)))
    return CapTable.of(rows)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_tables(), st.lists(proceeds, min_size=3, max_size=5))
def test_the_exercise_map_answers_like_the_search_under_optimal(ct, values):
    m = ExerciseModel(ct)
    points = m.exercise_map()[0]
    for x in [Fraction(round(v / 10 * 100), 100) for v in values] + [Fraction(round(p * 100), 100) for p in points[:6]]:
        fresh = ExerciseModel(ct)
        try:
            expected = fresh.solve(x)
        except CharterError:
            expected = "cycle"
        try:
            got = m.exercised_from_map(x)
        except CharterError:
            got = "cycle"
        assert got == expected


# -- QCHECK, QIPO, QELECTION --------------------------------------------------------------------

SMALL = [HEADER, ["x", "A", 1_000, None], ["y", "B", 100, None], ["w", "B", 50, 1.43],
         ["p", "Common", 99_999_000, None], ["o", "Common", 500, 0.10]]


def test_qcheck_counts_options_and_warrants_against_authorized_and_3i(quintus_sample):
    from xl_quintus.excel import QCHECK

    # The sample has every authorized B and C outstanding: the charter's warrants would issue
    # 192,262 B and 55,340 C more (IV.B: B 1,000,000, C 3,000,000 authorized).
    found = QCHECK(_sample_with_warrants(quintus_sample))
    assert [r[0] for r in found[1:]] == ["authorized with options and warrants"] * 2
    assert found[1][2] == ("Series B: 1,192,262 shares outstanding and issuable on exercise of options and "
                           "warrants exceed the 1,000,000 authorized")
    # 3(i): converting 1,000 A + 100 B needs 1,100 Common, 100,000,000 - 99,999,000 = 1,000
    # unissued (short 100); with the B warrant exercised and converted 1,150 are needed and the
    # Common option takes 500 of the 1,000: 500 left (short 650).
    found = QCHECK(SMALL)
    assert found[1][2].endswith("needs 1,100 Common; only 1,000 are authorized but unissued (short 100)")
    assert found[2][0] == "reservation with options and warrants"
    assert "needs 1,150 Common; only 500 are" in found[2][2] and found[2][2].endswith("(short 650)")
    assert QCHECK(TEXTBOOK)[1][0] == "OK"


def test_qipo_converts_only_outstanding_shares_and_lists_instruments():
    from xl_quintus.excel import QIPO

    rows = QIPO(20, 60_000_000, SMALL)
    by = {r[1]: r for r in rows[1:] if r[0] in ("x", "y", "w", "o")}
    assert by["A"][3] == 1_000 and by["B"][3] == 100                 # 1:1 at the issue price
    # not converted: no Common issued, no Cash Amount; listed before Total, which adds up
    # every row above it (1,000 A + 100 B + 50 + 500 under the instruments = 1,650 shares)
    assert by["B @ 1.43"] == ["w", "B @ 1.43", 50, 0, 0.0]
    assert by["Common @ 0.10"] == ["o", "Common @ 0.10", 500, 0, 0.0]
    labels = [r[0] for r in rows]
    total = rows[labels.index("Total")]
    assert labels.index("Total") == max(labels.index("w"), labels.index("o")) + 1
    assert total[2] == 1_650 and total[3] == 1_100
    assert [r[0] for r in rows[labels.index("Total") + 1:]] == ["Reservation (3(i))", "Cancelled (7)",
                                                                 "Qualified IPO (3(b))"]
    assert rows[labels.index("Cancelled (7)")][2] == 1_100        # the preferred converted only
    for col in (2, 3, 4):                                        # each column of numbers adds up
        assert all(isinstance(r[col], (int, float)) for r in rows[1:labels.index("Total") + 1])
        assert sum(r[col] for r in rows[1:labels.index("Total")]) == total[col]


def test_qelection_counts_an_exercised_b_warrant_in_the_a_d_vote(quintus_sample):
    from xl_quintus.excel import QELECTION

    rows = QELECTION(100_000_000, _sample_with_warrants(quintus_sample))
    assert rows[1][1] is True and "Warrant B" in rows[1][4]


# -- a column of exit values on a cap table with instruments (review: numpy float64 was refused) --

OPTION = [HEADER, ["Cy", "Common", 1000, None], ["Opt", "Common", 100, 5]]


def test_qpayout_column_with_an_option_by_hand():
    # 10,000: exercised, 10,000 + 500 paid over 1,100 shares = 9.5454.. > 5 a share; the option
    # nets 100 x 10,500 / 1,100 - 500 = 954.5454.. - 500 = 454.5454.. -> 454.55.
    # 4,000: 4,500 / 1,100 = 4.0909.. < 5, not exercised: 0.
    assert QPAYOUT([[10000], [4000]], "Opt", OPTION) == [[454.55], [0.0]]
    assert QPAYOUT([[10000, 4000]], "Opt", OPTION) == [[454.55, 0.0]]


@pytest.mark.parametrize("n", [1, 2, 31])
@pytest.mark.parametrize("who", ["Opt", "Cy", "Common"])
def test_qpayout_column_equals_cell_by_cell_with_instruments(n, who):
    # 31 is one below SWEEP_FROM: every value goes through the exact path, value by value.
    values = [5500 + 377.77 * i for i in range(n)]          # 5,500 = 1,100 x 5: the exercise point
    assert QPAYOUT([[v] for v in values], who, OPTION) == [[QPAYOUT(v, who, OPTION)] for v in values]
