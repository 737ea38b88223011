"""The 3(d) ledger at size (issue 17): linear in events, the kept precision, and its limits.

Timings live in benchmarks/bench_scale.py; here only answers and refusals.
"""

import datetime as dt
from fractions import Fraction as F

import pytest
from hypothesis import given, settings, strategies as st

from xl_quintus.charter.anti_dilution import CP_DIGITS, Event, kept_price, run_ledger
from xl_quintus.charter.cap_table import CapTable
from xl_quintus.charter.terms import quintus
from xl_quintus.errors import CharterError
from xl_quintus.excel import QCONVPRICE, QPAYOUT, QuintusExcelError
from xl_quintus.limits import MAX_EVENTS, MAX_REPLAY

SAMPLE = [[s.name, s.authorized] for s in quintus().series] + [["Common", 12_000_000]]
DAY = dt.date(2001, 1, 1)


def monthly_issues(n):
    """The issue's case: "Issue 250,000 at $0.75" every month."""
    return [[dt.date(2001 + k // 12, 1 + k % 12, 1).isoformat(), "Issue", 250_000, 187_500, None] for k in range(n)]


def exact_ledger_cps(table: CapTable, issues):
    """The 3(d)(i)(A)-(B) arithmetic carried fully exact (no kept precision): feasible for a
    few issues only (each CP's digits multiply by the number of series per issue)."""
    ch = table.charter
    cps = {s.name: s.original_issue_price for s in ch.series if table.shares(s.name)}
    carried = {n: F(0) for n in cps}
    common = F(table.shares("Common"))
    for shares, money in issues:
        a = common + sum(table.shares(n) * ch.terms(n).original_issue_price / cp for n, cp in cps.items())
        for n, cp in list(cps.items()):
            if money / shares < cp:
                new = cp * (a + money / cp) / (a + shares)
                if cp - new + carried[n] < F(1, 100):
                    carried[n] += cp - new
                else:
                    cps[n], carried[n] = new - carried[n], F(0)
        common += shares
    return cps


def test_six_monthly_issues_answer_and_agree_with_the_exact_arithmetic():
    # 374 s before issue 17; now the kept 20 significant digits agree with the fully exact
    # fractions (thousands of digits by the third issue) to within 10^-19 of the price.
    table = CapTable.of([tuple(r) for r in SAMPLE])
    exact = exact_ledger_cps(table, [(F(250_000), F(187_500))] * 3)
    ledger = run_ledger(table, [Event(DAY + dt.timedelta(days=31 * k), "Issue", F(250_000), F(187_500), "", k + 1)
                                for k in range(3)])
    for name, cp in exact.items():
        assert abs(ledger.cps[name] - cp) <= cp * F(1, 10 ** (CP_DIGITS - 1))
        assert float(ledger.cps[name]) == float(cp)
    assert QCONVPRICE("E", [["Date", "Event", "Shares", "Consideration", "Ref"]] + monthly_issues(6), SAMPLE) \
        == pytest.approx(float(run_ledger(table, [Event(dt.date(2001, 1 + k, 1), "Issue", F(250_000), F(187_500), "", k)
                                                   for k in range(6)]).cps["E"]))


def test_first_issue_by_hand():
    # A = 12,000,000 Common + every series as converted at its OIP (1 share : 1) = 12,000,000 +
    # 22,614,700 (every authorized preferred share outstanding) = 34,614,700. 250,000 at $0.75
    # is below A's $1.00: A's CP = 1.00 x (34,614,700 + 187,500) / 34,864,700 = 0.998207..;
    # the adjustment 0.00179 is under one cent: carried (3(d)(i)(B)), CP stays 1.00.
    # E: 4.15 x (34,614,700 + 187,500 / 4.15) / 34,864,700 = (143,651,005 + 187,500) / 34,864,700
    #  = 143,838,505 / 34,864,700 = 4.125620..: made (0.0244 >= 0.01).
    table = CapTable.of([tuple(r) for r in SAMPLE])
    assert sum(table.shares(s.name) for s in quintus().series) == 22_614_700
    ledger = run_ledger(table, [Event(DAY, "Issue", F(250_000), F(187_500), "", 1)])
    assert ledger.cps["A"] == 1
    assert ledger.cps["E"] == kept_price(F(143_838_505, 34_864_700))
    assert ledger.rows[-1].carried["A"] == 1 - kept_price(F(34_802_200, 34_864_700))


def test_a_waterfall_over_a_fifty_event_ledger_equals_one_over_its_prices():
    events = [["Date", "Event", "Shares", "Consideration", "Ref"]] + monthly_issues(50)
    table = CapTable.of([tuple(r) for r in SAMPLE])
    ledger = run_ledger(table, [Event(dt.date.fromisoformat(r[0]), "Issue", F(r[2]), F(r[3]), "", i)
                                for i, r in enumerate(events[1:], 1)])
    plain = [[n, float(cp)] for n, cp in ledger.cps.items()]
    # the same Fractions go in whichever way the prices are given, except floats round: compare
    # with the exact prices through the engine, and with the float prices to the cent
    assert QPAYOUT(150e6, "E", SAMPLE, "none", events) == pytest.approx(QPAYOUT(150e6, "E", SAMPLE, "none", plain), abs=0.02)


def _grant_amend_history(rows):
    """Grants of W1/W2, Issues, Amends and Expires in a valid order."""
    out, granted = [], {}
    for k, (kind, shares, money, which) in enumerate(rows):
        day = DAY + dt.timedelta(days=20 * k)
        ref = f"W{which}"
        if kind in ("Amend", "Expire") and ref not in granted:
            kind = "Grant"
        if kind == "Grant" and ref in granted:
            kind = "Issue"
        if kind == "Grant":
            granted[ref] = shares
        if kind == "Expire":
            shares = min(shares, granted[ref])
            granted[ref] -= shares
        if kind == "Amend":
            granted[ref] = shares
        out.append(Event(day, kind, F(shares), F(money), ref if kind != "Issue" else "", k + 1))
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Issue", "Grant", "Amend", "Expire"]), st.integers(1, 3_000_000),
                          st.integers(0, 6_000_000), st.integers(1, 2)), min_size=1, max_size=14))
def test_an_amendment_ends_where_a_grant_on_the_final_terms_would(rows):
    # (E)(3)-(4): after an Amend or Expire every CP is as if the instrument had been granted on
    # its new terms. So the final CPs equal those of the history with each Grant on its final
    # terms and no Amend/Expire rows: a check on the replay that starts at the Grant.
    table = CapTable.of([("A", 1_000_000), ("E", 1_000_000), ("Common", 2_000_000)])
    events = _grant_amend_history(rows)
    final = {}
    for e in events:
        if e.kind == "Grant":
            final[e.ref] = (e.shares, e.consideration)
        elif e.kind == "Amend":
            final[e.ref] = (e.shares, e.consideration)
        elif e.kind == "Expire":
            shares, money = final[e.ref]
            left = shares - e.shares
            final[e.ref] = (left, money * left / shares if shares else F(0))
    plain = [Event(e.date, "Grant", *final[e.ref], e.ref, e.row) if e.kind == "Grant" else e
             for e in events if e.kind not in ("Amend", "Expire")]
    assert run_ledger(table, events).cps == run_ledger(table, plain).cps


def test_limits_are_refused_before_any_work():
    table = CapTable.of([("A", 1_000_000), ("E", 1_000_000), ("Common", 2_000_000)])
    many = [Event(DAY, "Excluded", F(1), F(0), "B", k) for k in range(MAX_EVENTS + 1)]
    with pytest.raises(CharterError, match=f"more than the {MAX_EVENTS:,} the ledger takes"):
        run_ledger(table, many)
    # one Grant amended 200 times, an Issue between each: 200 replays of up to 400 events
    history = [Event(DAY, "Grant", F(10), F(5), "W", 1)]
    for k in range(1, 400):
        history.append(Event(DAY + dt.timedelta(days=k), "Issue" if k % 2 else "Amend", F(10), F(5), "" if k % 2 else "W", k + 1))
    with pytest.raises(CharterError, match=f"the limit is {MAX_REPLAY:,}"):
        run_ledger(table, history)


@pytest.mark.parametrize("row, message", [
    (["2001-01-01", "Split", 5e-324, None, None], "Split: the ratio 4.94066e-324 is outside the limits 1/1,000,000 to 1,000,000"),
    (["2001-01-01", "Combine", 1e300, None, None], "Combine: the ratio 1e+300 is outside the limits"),
])
def test_extreme_ratios_are_refused_naming_the_limit(row, message):
    with pytest.raises(QuintusExcelError) as info:
        QCONVPRICE("E", [row], [["A", 1_000_000], ["E", 1_000_000], ["Common", 2_000_000]])
    assert message in str(info.value) and "could not compute" not in str(info.value)


def test_repeated_splits_stop_at_the_price_limit():
    rows = [["2001-01-01", "Split", 1000, None, None], ["2002-01-01", "Split", 1000, None, None],
            ["2003-01-01", "Split", 1000, None, None]]
    with pytest.raises(QuintusExcelError, match=r"events row 3: the Split makes Series A's Conversion Price 1e-09, outside"):
        QCONVPRICE("E", rows, [["A", 1_000_000], ["E", 1_000_000], ["Common", 2_000_000]])
