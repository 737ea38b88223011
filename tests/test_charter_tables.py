"""The whole charter as data: Section 5 board seats and Section 6 / 3(a) / 3(b) approvals are
tables of the terms file; the engine names no series; a charter without them says so."""

import io
import tokenize
from fractions import Fraction
from pathlib import Path

import pytest

from xl_quintus.charter.terms import AFFECTED, load_charter, nvca_example, quintus
from xl_quintus.errors import CharterError
from xl_quintus.excel import QAPPROVAL, QBOARD, QuintusExcelError

HERE = Path(__file__).parent
ROOT = HERE.parent
THREE = str(HERE / "data" / "three_series.toml")
NVCA = str(ROOT / "xl_quintus" / "charter" / "data" / "nvca_seed_ab.toml")


def test_quintus_file_states_every_approval_the_code_used_to_hard_code():
    # (action, clause, counts, measure, threshold) as Section 6, 3(a), 3(b), 3(d)(ii)(B), IV.A say
    expected = {
        "6(a)(i)": [("IV.B.6(a)(i)", ("Preferred",), "votes", Fraction(3, 4), True)],
        "6(b)": [("IV.B.6(b)", ("Preferred",), "votes", Fraction(1, 2), False)],
        "6(c)": [("IV.B.6(c)", (AFFECTED,), "shares", Fraction(1, 2), False)],
        "6(d)": [("IV.B.6(d)", ("E",), "shares", Fraction(3, 5), True)],
        "6(e)": [("IV.B.6(e)", ("F",), "shares", Fraction(3, 5), True)],
        "6(f)": [("IV.B.6(f)", ("G",), "shares", Fraction(1, 2), True)],
        "2(b)": [("IV.B.6(d)", ("E",), "shares", Fraction(3, 5), True),
                 ("IV.B.6(e)", ("F",), "shares", Fraction(3, 5), True),
                 ("IV.B.6(f)", ("G",), "shares", Fraction(1, 2), True)],
        "3(a)": [("IV.B.3(a)", ("A-D",), "shares", Fraction(1, 2), False)],
        "3(b)(ii)": [("IV.B.3(b)(ii)", ("E",), "shares", Fraction(3, 5), True)],
        "3(b)(iii)": [("IV.B.3(b)(iii)", ("F",), "shares", Fraction(1, 2), False)],
        "3(b)(iv)": [("IV.B.3(b)(iv)", ("G",), "shares", Fraction(1, 2), False)],
        "3(d)(ii)(B)": [("IV.B.3(d)(ii)(B)", ("Preferred",), "shares", Fraction(1, 2), False)],
        "IV.A": [("IV.B.6(a)(i)", ("Preferred",), "votes", Fraction(3, 4), True),
                 ("Article X; DGCL 242", ("All",), "votes", Fraction(1, 2), False)],
    }
    rules = quintus().approvals
    for action, want in expected.items():
        got = [(r.clause, r.counts, r.measure, r.threshold.fraction, r.threshold.inclusive)
               for r in rules if r.action == action]
        assert got == want, action
    assert all(r.quote for r in rules)                       # each with the charter's words
    # "G" is the family G-1..G-6, "A-D" the conversion group A, B, C, D
    assert quintus().classes_named("G") == ("G-1", "G-2", "G-3", "G-4", "G-5", "G-6")
    assert quintus().classes_named("A-D") == ("A", "B", "C", "D")


def test_quintus_file_states_the_board():
    board = quintus().board
    assert board.default_directors == 5 and board.shift_minimum == 5
    assert board.shift_sufficient.fraction == Fraction(1, 2) and not board.shift_sufficient.inclusive
    shift = [(s.counts, s.seats) for s in board.seats if s.period == "shift"]
    assert shift == [(("A", "B"), Fraction(3, 4)), (("C",), 1), (("Common",), None)]
    normal = [(s.counts, s.seats) for s in board.seats if s.period == "normal"]
    assert normal == [(("C",), 1), (("All",), None)]


ENGINE_DIRS = ("charter", "exit")
SERIES_LITERALS = {'"A"', '"B"', '"C"', '"D"', '"E"', '"F"', '"G"', '"A-D"', "'A-D'", "'E'", "'F'", "'G'",
                   '"G-1"', '"Seed"'}


def test_the_engine_names_no_series():
    found = []
    for folder in ENGINE_DIRS:
        for path in sorted((ROOT / "xl_quintus" / folder).glob("*.py")):
            for tok in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
                if tok.type == tokenize.STRING and tok.string in SERIES_LITERALS:
                    found.append(f"{path.name}:{tok.start[0]} {tok.string}")
    # 3(d)(ii)(C), a letter of the excluded issuances, is not a series
    assert [f for f in found if not f.startswith("anti_dilution.py") or '"C"' not in f] == []


# -- a charter without the tables ------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: QBOARD([["X", 100], ["Common", 100]], None, None, THREE),
     "QBOARD: terms: this charter (Example Co) states no board seats"),
    (lambda: QAPPROVAL("3(b)(ii)", [["X", 1]], [["X", 5]], None, None, THREE),
     "QAPPROVAL: terms: this charter (Example Co) states no approvals or consents"),
    (lambda: QAPPROVAL("3(a)", [["X", 1]], [["X", 5]], None, None, THREE),
     "QAPPROVAL: terms: this charter (Example Co) states no approvals or consents"),
])
def test_a_charter_without_board_or_approval_tables_says_so(call, message):
    with pytest.raises(QuintusExcelError) as info:
        call()
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_quintus_action_names_are_not_those_of_another_charter():
    ct = [["Fund", "B", 1_000], ["Founder", "Common", 1_000]]
    with pytest.raises(QuintusExcelError, match=r'"6\(d\)" is not an action the charter of Example Robotics'):
        QAPPROVAL("6(d)", [["Fund", "B", 600]], ct, None, None, NVCA)


# -- the NVCA-style example: B.3.2 board, B.3.3 / B.3.4 / B.5.1(b) approvals -------------------

NVCA_CT = [["Angel", "Seed", 1_000_000], ["Fund A", "A", 2_000_000], ["Fund B", "B", 1_000_000],
           ["Founder", "Common", 5_000_000]]


def test_nvca_board_seats_by_series():
    table = QBOARD(NVCA_CT, 7, None, NVCA)
    # no Voting Shift Period in the model; A 1, B 1, Common 2, the rest (7 - 4 = 3) all together
    assert table[0] == ["Voting Shift Period", False, "this charter states no Voting Shift Period"]
    assert [r[1] for r in table[2:6]] == [1, 1, 2, 3]
    # no Series B outstanding: its director is not elected, the balance grows to 4
    assert [r[1] for r in QBOARD(NVCA_CT[:2] + NVCA_CT[3:], 7, None, NVCA)[2:6]] == [1, 0, 2, 4]
    # a board of 3: A 1, B 1, Common 1 (only 1 left), balance 0; default board 5 (Bylaws)
    assert [r[1] for r in QBOARD(NVCA_CT, 3, None, NVCA)[2:6]] == [1, 1, 1, 0]
    assert QBOARD(NVCA_CT, None, None, NVCA)[-1][1] == 5


def test_nvca_requisite_holders_and_series_b_vote():
    # Requisite Holders: a majority of the preferred's as-converted votes: 1,000,000 + 2,000,000
    # + 1,000,000 = 4,000,000 votes; more than 2,000,000 needed.
    t = QAPPROVAL("merger", [["Fund A", "A", 2_000_000]], NVCA_CT, None, None, NVCA)
    assert t[1][1:] == ["B.3.3.1", "a majority (more than 50%) of outstanding votes", 2_000_000, 4_000_000, False, 1]
    t = QAPPROVAL("3.3.1", [["Fund A", "A", 2_000_000], ["Angel", "Seed", 1]], NVCA_CT, None, None, NVCA)
    assert t[-1] == ["Approved", True, "", "", "", "", ""]
    # B.3.4: at least 60% of 1,000,000 Series B shares = 600,000
    assert QAPPROVAL("3.4", [["Fund B", "B", 600_000]], NVCA_CT, None, None, NVCA)[-1][1] is True
    assert QAPPROVAL("3.4", [["Fund B", "B", 599_999]], NVCA_CT, None, None, NVCA)[1][6] == 1
    # B.5.1(b) mandatory conversion by the Requisite Holders
    assert QAPPROVAL("mandatory conversion", [["Fund A", "A", 2_000_000], ["Fund B", "B", 1]], NVCA_CT,
                     None, None, NVCA)[-1][1] is True


# -- a custom board with a shift period, written as data ----------------------------------------

CUSTOM = """
[charter]
name = "Shift Co"
common_authorized = 1000000
preferred_authorized = 100000
[[series]]
name = "P"
authorized = 100000
original_issue_price = "1.00"
votes = 2
[board]
default_directors = 4
[board.voting_shift]
clause = "5(x)"
counts = ["Preferred"]
sufficient = ">=2/5"
minimum_directors = 6
minimum_clause = "5(x)(i)"
[[board.seats]]
period = "shift"
constituency = "P"
counts = ["P"]
seats = "2/3"
clause = "5(x)(ii)"
[[board.seats]]
period = "shift"
constituency = "Common"
counts = ["Common"]
seats = "rest"
clause = "5(x)(iii)"
[[board.seats]]
period = "normal"
constituency = "Everyone"
counts = ["All"]
seats = "rest"
clause = "5(y)"
"""


def test_a_board_written_as_data(tmp_path):
    path = tmp_path / "shift.toml"
    path.write_text(CUSTOM)
    # P 200 shares x 2 votes = 400 of 1,000 votes: 40% is ">=2/5": sufficient, no shift
    t = QBOARD([["P", 200], ["Common", 600]], None, None, str(path))
    assert t[0] == ["Voting Shift Period", False, "5(x)"] and t[2] == ["Everyone", 4, "5(y)"]
    # 199 x 2 = 398 of 999: below 2/5: a shift; board raised to 6; P elects 2/3 x 6 = 4
    t = QBOARD([["P", 199], ["Common", 601]], None, None, str(path))
    assert t[0][1] is True and [r[1] for r in t[2:4]] == [4, 2] and t[-1] == ["Board", 6, "5(x)(i): at least 6 during a Voting Shift Period"]


@pytest.mark.parametrize("edit, message", [
    (('sufficient = ">=2/5"', 'sufficient = "2/5"'), 'threshold "2/5" is not a fraction'),
    (('seats = "2/3"', 'seats = "two thirds"'), 'seats "two thirds" must be a whole number'),
    (('counts = ["P"]', 'counts = ["Q"]'), '"Q" names no class'),
    (('period = "normal"', 'period = "sometimes"'), 'period "sometimes" must be shift, normal or always'),
])
def test_bad_board_tables_are_refused_in_one_line(tmp_path, edit, message):
    path = tmp_path / "bad.toml"
    path.write_text(CUSTOM.replace(*edit))
    with pytest.raises(CharterError) as info:
        load_charter(path)
    assert message in str(info.value)


def test_nvca_example_is_the_shipped_file():
    assert nvca_example() == load_charter(NVCA)


def test_terms_page_documents_every_key_and_column():
    from xl_quintus.charter.terms import _CHARTER_FIELDS, _SERIES_FIELDS
    from xl_quintus.excel.arguments import _TERM_HEADERS
    page = (ROOT / "udf_docs" / "TERMS.md").read_text()
    for key in _SERIES_FIELDS | _CHARTER_FIELDS:
        assert f"`{key}`" in page, key
    for column in {h for h in _TERM_HEADERS if h not in ("name", "series", "election", "anti dilution", "antidilution",
                                                         "liquidation preference multiple")}:
        assert column in page.lower(), column
    for key in ("default_directors", "sufficient", "minimum_directors", "period", "counts", "seats", "action",
                "aliases", "requirement", "measure", "threshold", "quote"):
        assert f"`{key}`" in page, key
