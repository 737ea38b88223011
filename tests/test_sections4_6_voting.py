"""Charter IV.B Sections 4-6 and IV.A by hand: votes, board, approvals, notices, checks."""

import datetime as dt

import pytest

from xl_quintus.excel import QAPPROVAL, QBOARD, QCHECK, QNOTICE, QVOTES, QVOTINGPOWER, QuintusExcelError
from xl_quintus.charter.terms import quintus

SAMPLE = [["Class", "Shares"]] + [[s.name, s.authorized] for s in quintus().series] + [["Common", 12_000_000]]


def test_votes_per_holding():
    # 5(c): A ten votes per as-converted share; B-G fourteen; Common one (IV.C.4)
    assert QVOTES("A", 100) == 1_000
    assert QVOTES("G-4", 100) == 1_400
    assert QVOTES("Common", 7) == 7
    # E at CP 8.30: 3 x 4.15 / 8.30 = 1.5 Common -> rounded half up to 2 -> 28 votes
    assert QVOTES("E", 3, 8.30) == 28
    # 1 x 4.15 / 8.30 = 0.5 -> 1 -> 14 votes; 2 x 0.5 = 1.0 -> 14 votes
    assert QVOTES("E", 1, 8.30) == 14 and QVOTES("E", 2, 8.30) == 14


def test_voting_power_rounds_per_holder_per_series():
    # Fund holds E twice (1 + 2 = 3 shares at CP 8.30): 1.5 -> 2 -> 28 votes, not 14 + 14.
    table = QVOTINGPOWER([["Fund", "E", 1], ["Fund", "E", 2], ["Ann", "Common", 72]], [["E", 8.30]])
    assert table[1] == ["Fund", "E", 3, 28, 28 / 100]
    assert table[2] == ["Ann", "Common", 72, 72, 72 / 100]
    assert table[-1] == ["Total", "", 75, 100, 1.0]


def test_qvotes_agrees_with_qvotingpower():
    table = QVOTINGPOWER(SAMPLE)
    for row in table[1:-1]:
        assert QVOTES(row[1], row[2]) == row[3]


def test_board_outside_a_voting_shift_period():
    # Sample: preferred 280,205,800 votes of 292,205,800: far above half -> no shift.
    # 5(b): C elects one; everyone together elects the other six of seven.
    table = QBOARD(SAMPLE, 7)
    assert table[0] == ["Voting Shift Period", False, "IV.B.5(a)"]
    assert [r[1] for r in table[2:4]] == [1, 6]


def test_a_voting_shift_period_appears_after_most_preferred_converts():
    # After an IPO most preferred is Common: A 1,000 (10,000 votes) and C 100 (1,400) against
    # 1,000,000 Common: preferred hold 11,400 of 1,011,400 votes, at most half -> 5(a) applies.
    # Board of 7: A and B elect 3/4 x 7 = 5.25 -> 5; C elects 1; Common the last 1.
    table = QBOARD([["A", 1_000], ["C", 100], ["Common", 1_000_000]], 7)
    assert table[0][1] is True
    assert [r[1] for r in table[2:5]] == [5, 1, 1]
    # Board of 6: 4.5 -> 5 (half up), C 1, Common 0. Board of 3 is raised to 5 (5(a)(i)): 3.75 -> 4.
    assert [r[1] for r in QBOARD([["A", 1_000], ["C", 100], ["Common", 1_000_000]], 6)[2:5]] == [5, 1, 0]
    small = QBOARD([["A", 1_000], ["C", 100], ["Common", 1_000_000]], 3)
    assert [r[1] for r in small[2:5]] == [4, 1, 0] and small[-1][1] == 5


def test_exactly_half_the_votes_is_a_voting_shift_period():
    # A 100 shares = 1,000 votes; Common 1,000 votes: preferred exactly 50% -> "insufficient"
    assert QBOARD([["A", 100], ["Common", 1_000]], 5)[0][1] is True
    assert QBOARD([["A", 101], ["Common", 1_000]], 5)[0][1] is False


PREF = [["A", 1_000], ["E", 1_000], ["Common", 10_000]]
# voting power: A 10,000 votes; E 14,000 votes -> preferred 24,000


@pytest.mark.parametrize("yes, met", [
    # 6(a): at least 75% of 24,000 = 18,000 votes. E (14,000) + A 400 shares (4,000) = 18,000: met
    ([["E", 1_000], ["A", 400]], True),
    # A 399 shares: 17,990 votes: missed by 10 votes (one A share is 10 votes)
    ([["E", 1_000], ["A", 399]], False),
])
def test_6a_seventy_five_percent_of_voting_power(yes, met):
    table = QAPPROVAL("6(a)(ii)", yes, PREF)
    assert table[1][3:6] == [14_000 + (4_000 if met else 3_990), 24_000, met]
    assert table[1][6] == (0 if met else 10)
    assert table[-1] == ["Approved", met, "", "", "", "", ""]


@pytest.mark.parametrize("a_shares, met", [(201, True), (200, False)])
def test_6b_majority_of_voting_power(a_shares, met):
    # 6(b) a majority: more than 12,000 of 24,000 votes. E 1,000 = 14,000 alone meets it;
    # E 700 (9,800) + A 221 (2,210) = 12,010 > 12,000; with A 220 (2,200): exactly 12,000: not met.
    yes = [["E", 700], ["A", a_shares + 20]]
    assert QAPPROVAL("merger", yes, PREF)[-1][1] is met


@pytest.mark.parametrize("e_shares, met", [(600, True), (599, False)])
def test_6d_sixty_percent_of_series_e(e_shares, met):
    # at least 60% of 1,000 E shares = 600
    table = QAPPROVAL("6(d)", [["E", e_shares]], PREF)
    assert table[1][5] is met and table[1][6] == (0 if met else 1)


@pytest.mark.parametrize("g_shares, met", [(50, True), (49, False)])
def test_6f_fifty_percent_of_all_g_and_3b_iv_majority(g_shares, met):
    ct = [["G-1", 60], ["G-2", 40], ["Common", 10]]
    # 6(f) "at least fifty percent (50%)" of 100 G shares: 50 meets it
    assert QAPPROVAL("6(f)", [["G-1", g_shares]], ct)[-1][1] is met
    # 3(b)(iv) "a majority" of all G: 50 is not enough, 51 is
    assert QAPPROVAL("3(b)(iv)", [["G-1", g_shares]], ct)[-1][1] is False
    assert QAPPROVAL("convert G", [["G-1", 51]], ct)[-1][1] is True


def test_6c_each_adversely_affected_series_and_amending_2b():
    ct = [["E", 100], ["F", 100], ["G-3", 100], ["Common", 1]]
    table = QAPPROVAL("6(c)", [["E", 51], ["F", 50]], ct, "E, F")
    assert [r[5] for r in table[1:3]] == [True, False] and table[-1][1] is False
    # 2(b) needs 6(d) (E 60%), 6(e) (F 60%) and 6(f) (G 50%) together
    table = QAPPROVAL("amend 2(b)", [["E", 60], ["F", 60], ["G-3", 50]], ct)
    assert [r[1] for r in table[1:4]] == ["IV.B.6(d)", "IV.B.6(e)", "IV.B.6(f)"] and table[-1][1] is True


CE = [["Holder", "Class", "Shares"], ["Ann", "E", 1_000], ["Bob", "E", 1_000]]


def test_a_named_consent_counts_only_shares_its_holder_holds():
    # Ann holds 1,000 of the 2,000 E: 50% < the 60% 6(d) needs (1,200). Her two consent rows
    # of 1,000 each claim 2,000 shares she does not hold: refused, not counted as 2,000 (100%).
    with pytest.raises(QuintusExcelError) as info:
        QAPPROVAL("6(d)", [["Ann", "E", 1_000], ["Ann", "E", 1_000]], CE)
    assert str(info.value) == (
        "QAPPROVAL: consents: rows 1, 2: holder Ann consents with 2,000 shares of E but holds 1,000 shares of E "
        "in the cap table; a holder can consent only with shares it holds: Section 6 counts the outstanding "
        "shares or votes that the consenting holders hold (charter IV.B.6)")
    # Zed is not in the cap table: holds 0 E, so 1,500 consented is refused (though 1,500 <= 2,000 E outstanding)
    with pytest.raises(QuintusExcelError, match=r"row 1: holder Zed \(not in the cap table\) consents with 1,500 "
                                                r"shares of E but holds 0 shares"):
        QAPPROVAL("6(d)", [["Zed", "E", 1_500]], CE)
    # rows are the consents range's own (header row 1, blank row 3): Ann 700 + 600 = 1,300 > 1,000 held
    with pytest.raises(QuintusExcelError, match="rows 2, 4: holder Ann consents with 1,300 shares of E but holds 1,000"):
        QAPPROVAL("6(d)", [["Holder", "Class", "Shares"], ["Ann", "E", 700], [None, None, None], ["Ann", "E", 600]], CE)
    # held consents count: Ann 1,000 + Bob 200 = 1,200 of 2,000 = 60% -> met; Ann alone 50% -> short 200
    assert QAPPROVAL("6(d)", [["Ann", "E", 1_000], ["Bob", "E", 200]], CE)[-1][1] is True
    assert QAPPROVAL("6(d)", [["Ann", "E", 1_000]], CE)[1][3:] == [1_000, 2_000, False, 200]
    # Class | Shares consents (no names): checked against the class outstanding only, as before
    assert QAPPROVAL("6(d)", [["E", 1_200]], CE)[-1][1] is True
    with pytest.raises(QuintusExcelError, match="consents for 2,001 shares of E exceed the 2,000 outstanding"):
        QAPPROVAL("6(d)", [["E", 2_001]], CE)


def test_6c_series_with_no_shares_outstanding_does_not_block():
    # "E, F" with no F outstanding: F has no holders to consent; its row is Met with a note.
    # E: Ann 1,000 + Bob 1 = 1,001 of 2,000 > 50% -> met; so approved.
    table = QAPPROVAL("6(c)", [["Ann", "E", 1_000], ["Bob", "E", 1]], CE, "E, F")
    assert table[1][3:] == [1_001, 2_000, True, 0]
    assert table[2] == ["Series F (outstanding shares)", "IV.B.6(c)",
                        "a majority (more than 50%) of outstanding shares; no shares outstanding: does not apply",
                        0, 0, True, 0]
    assert table[-1][1] is True
    # E still counts: Ann alone is 1,000 of 2,000 = 50%, not a majority -> short 1, not approved
    table = QAPPROVAL("6(c)", [["Ann", "E", 1_000]], CE, "E, F")
    assert table[1][5:] == [False, 1] and table[2][5] is True and table[-1][1] is False


def test_consent_conversions_and_the_a_d_election():
    ct = [["A", 600], ["B", 400], ["E", 1_000], ["F", 100], ["Common", 10]]
    # 3(a): a majority of A-D shares together (1,000): 501 needed
    assert QAPPROVAL("3(a)", [["A", 501]], ct)[-1][1] is True
    assert QAPPROVAL("3(a)", [["A", 500]], ct)[1][6] == 1
    # 3(b)(ii): at least 60% of E; 3(b)(iii): a majority of F
    assert QAPPROVAL("3(b)(ii)", [["E", 600]], ct)[-1][1] is True
    assert QAPPROVAL("3(b)(iii)", [["F", 50]], ct)[-1][1] is False
    # 3(d)(ii)(B) stock plan: a majority of all Series Preferred shares (2,100): 1,051
    assert QAPPROVAL("stock plan", [["E", 1_000], ["A", 51]], ct)[-1][1] is True
    assert QAPPROVAL("stock plan", [["E", 1_000], ["A", 50]], ct)[-1][1] is False


def test_notice_twenty_days_before_the_record_date():
    assert QNOTICE("2026-12-31") == dt.date(2026, 12, 11)
    assert QNOTICE(46022) == dt.date(2025, 12, 11)            # Excel serial for 2025-12-31
    assert QNOTICE(dt.datetime(2027, 3, 1)) == dt.date(2027, 2, 9)


def test_qcheck_findings_and_ok():
    found = QCHECK([["A", 9_200_000], ["Zed", 5], ["Common", 95_000_000]])
    checks = [r[0] for r in found[1:]]
    assert checks == ["unknown class", "authorized", "reservation"]
    assert "short 4,200,000" in found[3][2]
    assert QCHECK(SAMPLE)[1][0] == "OK"


@pytest.mark.parametrize("call, message", [
    (lambda: QAPPROVAL("6(z)", [["A", 1]], PREF), '"6(z)" is not an action'),
    (lambda: QAPPROVAL("6(c)", [["A", 1]], PREF), "needs the adversely affected series"),
    (lambda: QAPPROVAL("6(b)", [["A", 5_000]], PREF), "exceed the 1,000 outstanding"),
    (lambda: QBOARD(PREF, -1), "authorized_directors: directors must be a whole number of at least 0, got -1"),
    (lambda: QNOTICE("soon"), '"soon" is not a date'),
    (lambda: QVOTES("A", 1.5), "shares must be a whole number"),
])
def test_bad_input(call, message):
    with pytest.raises(QuintusExcelError) as info:
        call()
    assert message in str(info.value)


def test_a_requirement_over_classes_with_nothing_outstanding_does_not_apply():
    # 6(d): "the holders of at least sixty percent (60%) of the then outstanding shares of Series
    # E": with no E outstanding there is no holder to ask; 0 of 0, Met TRUE, Shortfall 0, and the
    # Threshold says why (never a FALSE that no consent could change).
    ct = [["A", 600], ["B", 400], ["Common", 1_000]]
    note = "; no shares outstanding: does not apply"
    for action, threshold in [("6(d)", "at least 60% of outstanding shares"),
                              ("6(e)", "at least 60% of outstanding shares"),
                              ("3(b)(iii)", "a majority (more than 50%) of outstanding shares"),
                              ("3(b)(ii)", "at least 60% of outstanding shares")]:
        table = QAPPROVAL(action, [["A", 1]], ct)
        assert table[1][2:] == [threshold + note, 0, 0, True, 0], action
        assert table[-1] == ["Approved", True, "", "", "", "", ""]
    # 2(b) needs 6(d), 6(e) and 6(f): with E and F absent only G counts; G-2 holds 100 of which
    # 50 consent = 50%, "at least fifty percent" -> met; 49 -> short 1, and not approved
    ct = [["G-2", 100], ["Common", 10]]
    table = QAPPROVAL("2(b)", [["G-2", 50]], ct)      # rows 6(d) E, 6(e) F, 6(f) G
    assert [r[5] for r in table[1:4]] == [True, True, True] and table[1][2].endswith(note)
    assert table[3][3:5] == [50, 100] and not table[3][2].endswith(note)
    table = QAPPROVAL("2(b)", [["G-2", 49]], ct)
    assert table[3][5:] == [False, 1] and table[-1][1] is False
    # a class with shares outstanding is counted as before: 6(d) with E 1,000, none consenting
    assert QAPPROVAL("6(d)", [["G-2", 1]], ct + [["E", 1_000]])[1][3:] == [0, 1_000, False, 600]
