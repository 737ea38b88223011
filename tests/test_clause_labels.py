"""Every printed clause comes from the terms in force (udf_docs/TERMS.md, "[clauses]"): a terms
file's ``[clauses]`` table where it gives one, the rule's plain name where it does not, and never
a Quintus label ("IV.B.3(a)", "2(b)", "3(i)") on a charter that has no such clause."""

import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_quintus.charter.cap_table import CapTable
from xl_quintus.charter.terms import RULES, charter_from_bytes, quintus
from xl_quintus.cli import main
from xl_quintus.errors import CharterError
from xl_quintus.excel import (
    QBREAKPOINTS,
    QCHECK,
    QCONVLEDGER,
    QDIVIDEND,
    QELECTION,
    QIPO,
    QTERMS,
    QWATERFALL,
    QuintusExcelError,
)
from xl_quintus.exit.model import model_for
from xl_quintus.tables import breakpoints_table, election_table, waterfall_table

DATA = Path(__file__).parent.parent / "xl_quintus" / "charter" / "data"
NVCA = str(DATA / "nvca_seed_ab.toml")

# A charter that is not Quintus and gives no [clauses]: a two-series conversion group X-Y (X with
# a Cash Amount), and Z senior, capped at 2x.
CUSTOM = b"""
[charter]
name = "Custom Co"
common_authorized = 10000
preferred_authorized = 3000
qualified_ipo_minimum = "1000000"

[[series]]
name = "X"
authorized = 1000
original_issue_price = "1.00"
cash_amount = "0.50"
election = "X-Y"

[[series]]
name = "Y"
authorized = 1000
original_issue_price = "2.00"
election = "X-Y"
dividend_rate = "0.10"

[[series]]
name = "Z"
authorized = 1000
original_issue_price = "3.00"
seniority = 2
participation = "capped"
cap = "2x"
"""
CT = [["Holder", "Class", "Shares"], ["a", "X", 600], ["b", "Y", 400], ["c", "Z", 1000], ["d", "Common", 900]]
EVENTS = [["Date", "Event", "Shares", "Consideration", "Ref"], ["2020-01-01", "Purchase", "", "", "X"],
          ["2021-01-01", "Issue", 100, 50, ""], ["2021-02-01", "Excluded", 10, "", "F"],
          ["2021-03-01", "Grant", 10, 1, "o1"], ["2021-04-01", "Split", 2, "", ""]]

# a Quintus label: "IV.", "Article", or a section with a lettered sub-clause ("3(a)", "2(b)", "3(i)")
QUINTUS_LABEL = re.compile(r"IV\.|Article|\b\d\([a-z]{1,4}\)")


@pytest.fixture(scope="module")
def custom(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("terms") / "custom.toml"
    path.write_bytes(CUSTOM)
    return str(path)


def _cells(rows):
    return [c for r in rows for c in r if isinstance(c, str)]


def test_custom_charter_prints_plain_names_by_hand(custom):
    election = QELECTION(20_000, CT, terms=custom)
    assert election[1][:4] == ["X-Y (X, Y)", True, "election of a majority of the group's shares voting together",
                               "conversion election by a majority of the group"]
    assert election[2][2:4] == ["each holder's option", "optional conversion election"]
    bp = {r[1]: r[2] for r in QBREAKPOINTS(CT, terms=custom)[1:]}
    # X's Cash Amount 600 x 0.50 = 300; then Z senior 1,000 x 3.00 = 3,000 (at 3,300)
    assert bp["First dollar"] == "liquidation distribution"
    assert bp["Cash Amounts of X paid in full"] == "Cash Amounts paid on conversion"
    assert bp["Liquidation preference of Z paid in full"] == "liquidation preference"
    assert bp["Z reach their participation cap ($6 per share)"] == "participation with Common"
    assert bp["Series X-Y no longer convert (payouts may jump here)"] == "conversion election by a majority of the group"
    ipo = QIPO(5, 2_000_000, CT, terms=custom)
    assert [r[0] for r in ipo[-3:]] == ["Reservation", "Cancelled", "Qualified IPO"]
    assert ipo[-1][2] == ("firm commitment, Form S-1, $2,000,000.00 in aggregate (at least $1,000,000): "
                          "every series converts")
    assert QIPO(5, 2_000_000, CT, firm_commitment=False, terms=custom)[-1][2] == (
        "not a firm commitment underwritten offering: nothing converts automatically")
    check = QCHECK(CT + [["e", "Q", 5]], terms=custom)
    assert check[1][:2] == ["unknown class", "classes of stock"]
    assert QCHECK(CT, terms=custom)[1][:2] == ["OK", "authorized shares, classes and the Common reserved for conversion"]
    assert QCHECK([["X", 1001], ["Common", 1]], terms=custom)[1][:2] == ["authorized", "authorized shares of each series"]
    # $1,000 declared: X 600 x 0, Y 400 x 0.10 = 40 first, then every share alike "if greater":
    # 1,000 / 2,900 shares = $0.3448 each, above Y's $0.10
    div = QDIVIDEND(1_000, CT, terms=custom)
    assert [r[4] for r in div[1:5]] == ["no less per share than Common: as Common"] * 3 + ["dividends on Common"]
    assert QDIVIDEND(1_000, CT, "non-cash", terms=custom)[1][4] == "distribution as if converted"
    ledger = QCONVLEDGER(EVENTS, CT, terms=custom)
    assert [r[2] for r in ledger[1:]] == ["purchase date of the series",
                                          "Conversion Price adjusted for an issuance below it", "excluded issuance",
                                          "options and convertible securities deemed issued",
                                          # the split makes the amounts the Grant carried (3(d)(i)(B))
                                          "stock split or stock dividend; adjustment carried forward"]
    assert [QTERMS("Common", t, custom) for t in ("clause", "participation", "dividend rate")] == [
        "Common Stock", "residual", "as declared"]
    assert QTERMS("X", "clause", custom) == "the terms of the series"
    with pytest.raises(QuintusExcelError) as info:
        QWATERFALL(1_000, CT, "X", terms=custom)
    assert str(info.value) == 'QWATERFALL: conversions: Series X-Y convert only together; got "X" (outstanding: X, Y)'


def test_no_output_of_a_custom_charter_names_a_quintus_clause(custom):
    outputs = [QELECTION(x, CT, terms=custom) for x in (1_000, 4_500, 20_000)]
    outputs += [QBREAKPOINTS(CT, terms=custom), QWATERFALL(20_000, CT, terms=custom),
                QIPO(5, 2_000_000, CT, terms=custom), QIPO(5, 999, CT, terms=custom),
                QCHECK(CT + [["e", "Q", 5], ["f", "Common", 20_000]], terms=custom),
                QDIVIDEND(1_000, CT, terms=custom), QDIVIDEND(10, CT, terms=custom),
                QDIVIDEND(1_000, CT, "non-cash", terms=custom), QCONVLEDGER(EVENTS, CT, terms=custom),
                [[QTERMS(c, "clause", custom), QTERMS("Common", t, custom)] for c in ("X", "Common")
                 for t in ("participation", "dividend rate")]]
    for rows in outputs:
        for cell in _cells(rows):
            assert not QUINTUS_LABEL.search(cell), cell


def test_quintus_prints_its_own_clauses_unchanged():
    # the labels tests and udf_docs pin, now read from quintus_1999.toml [clauses]
    ct = [["A", 9_100_000], ["B", 1_000_000], ["E", 3_000_000], ["F", 1_500_000], ["Common", 12_000_000]]
    election = QELECTION(100_000_000, ct)
    assert {r[3] for r in election[1:-2]} == {"IV.B.3(a)"}
    clauses = [r[2] for r in QBREAKPOINTS(ct)[1:]]
    assert clauses[0] == "IV.B.2" and "IV.B.3(a), 3(c)" in clauses and "IV.B.2(a)" in clauses
    assert "IV.B.2(b)" in clauses
    assert any("reach the 2(b) cap" in r[1] for r in QBREAKPOINTS(ct)[1:])
    ipo = QIPO(6, 60_000_000, ct)
    assert [r[0] for r in ipo[-3:]] == ["Reservation (3(i))", "Cancelled (7)", "Qualified IPO (3(b))"]
    assert ipo[-1][2].endswith("every series converts (3(b))")
    assert QCHECK(ct)[1][:2] == ["OK", "IV.A, IV.B, IV.B.3(i)"]
    assert QTERMS("Common", "participation") == "residual (2(b) thereafter)"
    assert QTERMS("Common", "dividend rate") == "as declared (IV.C.1)"
    assert QTERMS("Common", "clause") == "IV.A; IV.C"
    # a terms range adds series to Quintus, whose rules stay in force: its clauses too
    terms = [["Class", "Authorized", "Issue Price"], ["H", 1_000, 1.0]]
    assert QELECTION(1_000, [["H", 1_000], ["Common", 1_000]], terms=terms)[1][3] == "IV.B.3(a)"


def test_the_nvca_example_prints_its_own_sections():
    ct = [["Seed", 1_500_000], ["B", 1_500_000], ["Common", 12_000_000]]
    election = QELECTION(30_000_000, ct, terms=NVCA)
    assert {r[3] for r in election[1:-2]} == {"B.4.1"}
    bp = {r[1]: r[2] for r in QBREAKPOINTS(ct, terms=NVCA)[1:]}
    # B 1.5 x 6.00 x 1,500,000 = 13,500,000 first (senior); B's cap 3 x 6.00 = $18
    assert bp["First dollar"] == "B.2"
    assert bp["Liquidation preference of B paid in full"] == "B.2.1"
    assert bp["B reach the 2.2 cap ($18 per share)"] == "B.2.2"
    ipo = QIPO(20, 60_000_000, ct, terms=NVCA)
    # the model states no reservation or cancellation clause here: the labels alone
    assert [r[0] for r in ipo[-3:]] == ["Reservation", "Cancelled", "Qualified IPO (5.1)"]
    assert QCHECK(ct, terms=NVCA)[1][1] == "authorized shares, classes and the Common reserved for conversion"


def test_clauses_table_is_read_strictly():
    head = b'[charter]\nname = "K"\ncommon_authorized = 10\npreferred_authorized = 10\n'
    k = charter_from_bytes(head + b'[clauses]\npreference = "Art. 4.2"\n', "k.toml")
    assert k.clause("preference") == "Art. 4.2" and k.clause("participation") == "participation with Common"
    assert k.cite("preference") == "Art. 4.2"
    with pytest.raises(CharterError, match=r'\[clauses\]: unknown key "preferance"; use one of'):
        charter_from_bytes(head + b'[clauses]\npreferance = "4.2"\n', "k.toml")
    with pytest.raises(CharterError, match=r"\[clauses\] preference 4 must be the clause as text"):
        charter_from_bytes(head + b'[clauses]\npreference = 4\n', "k.toml")
    with pytest.raises(CharterError, match=r"\[clauses\] must be a table"):
        charter_from_bytes(b'clauses = "IV"\n' + head, "k.toml")
    # every rule of the Quintus file has a clause, and its running-text form drops "IV.B."
    assert set(quintus().clauses) == set(RULES) - {"accruing_dividends"}
    assert quintus().cite("participation") == "2(b)" and quintus().cite("authorized") == "IV.A"


def test_charters_alike_but_for_their_clauses_do_not_share_cached_results(tmp_path):
    # a copy of the Quintus terms without [clauses] is another charter: results are cached by
    # charter, and its QELECTION must print plain names, not the default's IV.B.3(a)
    text = (DATA / "quintus_1999.toml").read_text()
    bare = tmp_path / "bare.toml"
    bare.write_text(text[:text.index("[clauses]")])
    ct = [["E", 3_000_000], ["Common", 12_000_000]]
    assert QELECTION(10_000_000, ct)[1][3] == "IV.B.3(a)"
    assert QELECTION(10_000_000, ct, terms=str(bare))[1][3] == "optional conversion election"
    assert QELECTION(10_000_000, ct)[1][3] == "IV.B.3(a)"


def test_cli_prints_the_clauses_of_the_terms_file(custom, capsys):
    assert main(["waterfall", "20000", "--common", "900", "--terms", custom]) == 0
    out = capsys.readouterr().out
    assert "[liquidation distribution]" in out and "[liquidation preference]" in out
    assert not QUINTUS_LABEL.search(out)
    assert main(["waterfall", "20000000", "--terms", NVCA]) == 0
    out = capsys.readouterr().out
    assert "[B.2.1]" in out and not QUINTUS_LABEL.search(out)


# -- a property: random custom charters (no [clauses]) and cap tables of 50+ holders ----------

@st.composite
def charters_and_tables(draw):
    n = draw(st.integers(1, 4))
    series = []
    for i in range(n):
        participation = draw(st.sampled_from(["none", "capped", "full"]))
        price = draw(st.sampled_from(["1.00", "2.50", "4.00"]))
        lines = [f'[[series]]\nname = "S{i}"\nauthorized = 1000000\noriginal_issue_price = "{price}"',
                 f"seniority = {draw(st.integers(1, 3))}", f'participation = "{participation}"',
                 f'election = "{draw(st.sampled_from(["G", f"S{i}"]))}"']
        if participation == "capped":
            lines.append('cap = "3x"')
        if draw(st.booleans()):
            lines.append('cash_amount = "0.25"')
        series.append("\n".join(lines))
    text = ('[charter]\nname = "Random Co"\ncommon_authorized = 100000000\npreferred_authorized = 10000000\n\n'
            + "\n\n".join(series))
    charter = charter_from_bytes(text.encode(), "random.toml")
    holders = draw(st.integers(50, 70))
    rows = [(f"h{k}", draw(st.sampled_from([s.name for s in charter.series] + ["Common"])),
             draw(st.integers(1, 20_000))) for k in range(holders)]
    return charter, rows


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(charters_and_tables(), st.integers(0, 2_000_000))
def test_random_custom_charters_never_print_a_quintus_clause(drawn, cents):
    charter, rows = drawn
    model = model_for(CapTable.of(rows, charter))
    proceeds = Fraction(cents, 100)
    dist, election = model.distribution(proceeds)
    for table in (breakpoints_table(model), election_table(model, election), waterfall_table(model, dist)):
        for cell in _cells(table):
            assert not QUINTUS_LABEL.search(cell), cell


def test_messages_name_only_clauses_the_terms_give(custom):
    from xl_quintus.charter.liquidation import Waterfall
    from xl_quintus.excel import QAPPROVAL

    def message(call):
        with pytest.raises(QuintusExcelError) as info:
            call()
        return str(info.value)

    # 1(b): Quintus names its clause; the custom charter states none, so none is named
    assert message(lambda: QDIVIDEND(10, [["Common", 0]], "non-cash")) == (
        "QDIVIDEND: cap_table: no shares outstanding to take the distribution (charter IV.B.1(b), 3(e))")
    assert message(lambda: QDIVIDEND(10, [["Common", 0]], "non-cash", terms=custom)) == (
        "QDIVIDEND: cap_table: no shares outstanding to take the distribution")
    bad = EVENTS[:2] + [["2021-02-01", "Excluded", 10, "", "Q"]]
    quintus_bad = [EVENTS[0], ["2020-01-01", "Purchase", "", "", "A"], bad[-1]]
    assert message(lambda: QCONVLEDGER(quintus_bad, [["A", 10], ["Common", 10]])) == (
        'QCONVLEDGER: events row 3: Excluded: Ref must be a letter of 3(d)(ii), B to M, got "Q" (charter IV.B.3(d))')
    assert message(lambda: QCONVLEDGER(bad, CT, terms=custom)) == (
        'QCONVLEDGER: events row 3: Excluded: Ref must be a letter, B to M, got "Q"')
    assert message(lambda: QWATERFALL(10, [["Q", 1]], terms=custom)) == (
        'QWATERFALL: cap_table row 1, Class: "Q" is not a class of Custom Co stock; use one of X, Y, Z, Common')
    assert message(lambda: QWATERFALL(10, [["Q", 1]])).startswith(
        'QWATERFALL: cap_table row 1, Class: "Q" is not a class of Quintus Corporation stock (charter IV.A, IV.B); ')
    assert message(lambda: QTERMS("Q", "cap", custom)) == (
        'QTERMS: class: "Q" is not a class of Custom Co stock; use one of X, Y, Z, Common')
    with pytest.raises(CharterError) as info:
        Waterfall(CapTable.of([("X", 1)], charter_from_bytes(CUSTOM, "custom.toml"))).distribute(-1)
    assert info.value.message == "proceeds cannot be negative, got -1"
    # consents a holder does not hold: the NVCA example states no Section for its approvals here
    text = message(lambda: QAPPROVAL("3.4", [["Holder", "Class", "Shares"], ["Ann", "B", 10]],
                                     [["Holder", "Class", "Shares"], ["Ann", "B", 5], ["Bo", "B", 5]], terms=NVCA))
    assert "an approval counts the outstanding shares or votes" in text and not QUINTUS_LABEL.search(text)


def test_engine_refusals_reached_from_python_name_the_clause_of_the_terms_in_force():
    # the Excel layer refuses these inputs before the engine sees them; from Python the
    # engine's own refusals name the clause the terms give (Quintus's), or none
    from xl_quintus.charter.conversion import (cash_amount_due, conversion_rate, ipo_conversion,
                                               recapitalization_entitlement)
    from xl_quintus.charter.conversion import Offering
    from xl_quintus.charter.liquidation import Waterfall
    custom = charter_from_bytes(CUSTOM, "custom.toml")
    q = quintus()

    def clause(call):
        with pytest.raises(CharterError) as info:
            call()
        return info.value.clause

    assert clause(lambda: Waterfall(CapTable.of([("A", 10)]), {"A": Fraction(0)})) == "IV.B.3(a)"
    assert clause(lambda: Waterfall(CapTable.of([("X", 10)], custom), {"X": Fraction(0)})) is None
    assert clause(lambda: conversion_rate(q.terms("A"), Fraction(-1))) is None          # no charter given
    assert clause(lambda: ipo_conversion(CapTable.of([("A", 10)]), Offering(Fraction(0), Fraction(10 ** 8)))) == "IV.B.3(b)"
    assert clause(lambda: ipo_conversion(CapTable.of([("X", 10)], custom), Offering(Fraction(0), Fraction(10 ** 8)))) is None
    assert clause(lambda: cash_amount_due(q.terms("A"), 10, Fraction(-1), q.clauses.get("cash_amounts"))) == "IV.B.3(a), 3(c)"
    assert clause(lambda: cash_amount_due(custom.terms("X"), 10, Fraction(-1), custom.clauses.get("cash_amounts"))) is None
    assert clause(lambda: recapitalization_entitlement(q.terms("E"), 10, Fraction(-1), None,
                                                       q.clauses.get("recapitalization"))) == "IV.B.3(f)"
