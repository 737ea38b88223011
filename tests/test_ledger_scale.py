"""The 3(d) ledger at size (issue 17): linear in events, the kept precision, and its limits.

Timings live in benchmarks/bench_scale.py; here only answers and refusals.
"""

import datetime as dt
from fractions import Fraction as F

import pytest
from hypothesis import given, settings, strategies as st

from xl_quintus.charter import anti_dilution as ad
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


# -- the whole-number ledger against the ledger in Fractions -------------------------------------
# The ledger keeps every amount as a whole number of 1/scale dollars (speed, issue 17). This is
# the same 3(d) arithmetic carried in Fractions, as the ledger computed it before: plugged into
# the same event loop (replays, rows, limits), every row of every history must be equal.

def _reference_kept(num, den):
    """CP_DIGITS significant digits, half up, in Fractions (independent of _kept_digits)."""
    x = F(num, den)
    if not x:
        return x
    e = 0
    while x >= F(10) ** (e + 1):
        e += 1
    while x < F(10) ** e:
        e -= 1
    step = F(10) ** (e - CP_DIGITS + 1)
    return (x / step + F(1, 2)).__floor__() * step


class _FractionState:
    """3(d)(i)(A)-(B), (iii)-(iv) in Fractions of a dollar: scale 1, every amount a Fraction."""

    scale = 1

    def __init__(self, cap_table, purchase):
        ch = cap_table.charter
        self.series = {s.name: ad._Series(F(s.original_issue_price), purchase.get(s.name))
                       for s in ch.series if cap_table.shares(s.name) or s.name in purchase}
        self.cap_table, self.common, self.split_factor = cap_table, F(cap_table.shares("Common")), F(1)

    def dilute(self, on, shares, consideration):
        if shares <= 0:
            return []
        ch = self.cap_table.charter
        live = [n for n, s in self.series.items() if s.purchase is None or s.purchase <= on]
        a_all = self.common + sum(self.cap_table.shares(n) * ch.terms(n).original_issue_price / self.series[n].cp
                                  for n in live)
        changed = []
        for name, s in self.series.items():
            kind = ch.terms(name).anti_dilution
            if (s.purchase is not None and not on > s.purchase) or consideration / shares >= s.cp or kind == "none":
                continue
            if kind == "full ratchet":
                if consideration <= 0:
                    raise CharterError(f"a full ratchet to an issuance for no consideration would make the Conversion "
                                       f"Price 0 (NVCA 4.4.4); give the consideration of the {float(shares):,g} shares",
                                       term="event")
                new = consideration / shares
            else:
                a = a_all if kind == "broad-based" else self.common
                new = s.cp * (a + consideration / s.cp) / (a + shares)          # CP1 x (A + B) / (A + C)
            new = _reference_kept(new.numerator, new.denominator)
            if new >= s.cp:                 # kept, not below the price in effect: no adjustment
                continue
            if kind == "full ratchet":      # prices owed: the ratchet goes to the lowest of them
                owed = min([s.cp - a for a, _ in s.carried] + [new])
                due = s.cp - owed
            else:
                due = s.cp - new + s.carried_sum
            if due < F(1, 100):
                s.carried.append((s.cp - new, on))
                s.carried_sum = due
            else:
                s.cp, s.carried, s.carried_sum = s.cp - due, [], F(0)
                changed.append(name)
        self.common += shares
        return changed

    def anniversaries(self, until, inclusive, made_row=None):
        ends = sorted({ad._anniversary(w) for s in self.series.values() for _, w in s.carried
                       if ad._anniversary(w) is not None
                       and (ad._anniversary(w) < until or (inclusive and ad._anniversary(w) == until))})
        out = []
        for end in ends:
            names = []
            for name, s in self.series.items():
                ending = [a for a, w in s.carried if ad._anniversary(w) == end]
                if not ending:
                    continue
                rest = [(a, w) for a, w in s.carried if ad._anniversary(w) != end]
                if self.cap_table.charter.terms(name).anti_dilution == "full ratchet":
                    prices = [(s.cp - a, w) for a, w in rest]            # prices still owed
                    s.cp = min(s.cp - a for a in ending)                # the lowest price now due
                    s.carried = [(s.cp - p, w) for p, w in prices if p < s.cp]
                    s.carried_sum = max((a for a, _ in s.carried), default=F(0))
                else:
                    made = sum(ending, F(0))
                    s.cp -= made
                    s.carried = rest
                    s.carried_sum -= made
                names.append(name)
            if names:
                out.append((end, names))
                if made_row is not None:
                    made_row(end, names)
        return out

    def carried_made(self):
        made = [n for n, s in self.series.items() if s.carried]
        for s in self.series.values():            # a split is "any subsequent adjustment": made first
            s.cp, s.carried, s.carried_sum = s.cp - s.carried_sum, [], F(0)
        return made

    def split(self, ratio):
        for s in self.series.values():
            s.cp, s.carried, s.carried_sum = s.cp / ratio, [(a / ratio, w) for a, w in s.carried], s.carried_sum / ratio
        self.common *= ratio
        self.split_factor *= ratio

    def prices(self):
        return {n: s.cp for n, s in self.series.items()}

    def copy(self):
        other = object.__new__(_FractionState)
        other.cap_table, other.common, other.split_factor = self.cap_table, self.common, self.split_factor
        other.series = {n: ad._Series(s.cp, s.purchase, list(s.carried), s.carried_sum) for n, s in self.series.items()}
        return other


def _valid_event(draw, day, k, kind, shares, money, granted, *, excluded, purchased, ratio):
    """The k-th drawn event made valid in its history: an Amend, Expire or Exercise before
    any Grant becomes a Grant; each refers to a Grant still holding shares (``granted``:
    reference -> shares, kept here); an Expire or Exercise of part of them, for nothing; a
    Split or Combine by ``ratio()``; an Excluded issuance under a letter of ``excluded``; a
    Purchase Date of a series in ``purchased``."""
    ref = ""
    if kind in ("Amend", "Expire", "Exercise") and not granted:
        kind = "Grant"
    if kind == "Grant":
        ref = f"W{k}"
        granted[ref] = shares
    elif kind == "Amend":
        ref = draw(st.sampled_from(sorted(granted)))
        granted[ref] = shares
    elif kind in ("Expire", "Exercise"):
        ref = draw(st.sampled_from(sorted(granted)))
        shares, money = F(draw(st.integers(0, int(granted[ref])))), F(0)
        granted[ref] -= shares
    elif kind in ("Split", "Combine"):
        shares, money = ratio(), F(0)
    elif kind == "Excluded":
        ref, money = draw(st.sampled_from(excluded)), F(0)
    elif kind == "Purchase":
        ref, shares, money = draw(st.sampled_from(purchased)), F(0), F(0)
    return Event(day, kind, F(shares), money, ref, k + 1)


@st.composite
def _histories(draw, n_events=(1, 24), n_held=(1, 6)):
    """A cap table on terms with every anti-dilution kind and odd prices, and a history of
    every event kind in a valid order, with gaps that reach 3-year anniversaries; ``n_events``
    and ``n_held`` (series in the cap table): (fewest, most)."""
    from dataclasses import replace
    base = quintus()
    kinds = ["broad-based", "narrow-based", "full ratchet", "none"]
    series = []
    for s in base.series:
        s = replace(s, anti_dilution=draw(st.sampled_from(kinds[:1] * 3 + kinds)))
        if draw(st.booleans()):
            s = replace(s, original_issue_price=F(draw(st.integers(1, 3000)), draw(st.sampled_from([1, 3, 7, 100]))))
        series.append(s)
    charter = replace(base, series=tuple(series))
    held = draw(st.lists(st.sampled_from([s.name for s in series]), min_size=n_held[0], max_size=n_held[1], unique=True))
    table = CapTable.of([(n, draw(st.integers(1, 5_000_000))) for n in held] + [("Common", draw(st.integers(0, 20_000_000)))],
                        charter)
    events, granted, day = [], {}, dt.date(2000, 1, 1)
    for k in range(draw(st.integers(*n_events))):
        day += dt.timedelta(days=draw(st.sampled_from([0, 1, 31, 200, 400, 365 * 3, 1096])))
        kind = draw(st.sampled_from(["Issue"] * 4 + ["Grant", "Amend", "Expire", "Exercise", "Split", "Combine",
                                                      "Excluded", "Purchase"]))
        shares, money = F(draw(st.integers(0, 3_000_000))), F(draw(st.integers(0, 5_000_000)), draw(st.sampled_from([1, 3, 100])))
        events.append(_valid_event(
            draw, day, k, kind, shares, money, granted, excluded="BCDM", purchased=held,
            ratio=lambda: F(draw(st.sampled_from([2, 3, 7])), draw(st.sampled_from([1, 2])))))
    as_of = draw(st.sampled_from([None, events[-1].date + dt.timedelta(days=draw(st.integers(0, 4000)))]))
    return table, events, as_of


@settings(max_examples=60, deadline=None)
@given(_histories())
def test_the_whole_number_ledger_equals_the_ledger_in_fractions(history):
    table, events, as_of = history
    try:
        fast = ad._run_ledger(table, events, as_of)
    except CharterError as e:
        fast = str(e)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(ad, "_State", _FractionState)
            slow = ad._run_ledger(table, events, as_of)
    except CharterError as e:
        slow = str(e)
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
        return
    assert fast.cps == slow.cps and fast.split_factor == slow.split_factor
    assert [(r.date, r.event, r.clause, r.cps, r.carried) for r in fast.rows] == \
           [(r.date, r.event, r.clause, r.cps, r.carried) for r in slow.rows]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10 ** 60), st.integers(1, 10 ** 60), st.integers(10 ** (CP_DIGITS - 1), 10 ** CP_DIGITS - 1),
       st.integers(-30, 30))
def test_kept_digits_round_half_up_as_the_fractions_do(num, den, digits, power):
    # any fraction, and an exact tie: digits.5 x 10^power (the half must go up)
    assert kept_price(F(num, den)) == _reference_kept(num, den)
    tie = (2 * F(digits) + 1) / 2 * F(10) ** power
    assert kept_price(tie) == _reference_kept(tie.numerator, tie.denominator) == (digits + 1) * F(10) ** power
    m, k = ad._kept_digits(tie.numerator * 7, tie.denominator * 7)            # unreduced, the same
    assert F(m) / F(10) ** k == (digits + 1) * F(10) ** power


def test_a_free_issuance_that_takes_a_price_to_zero_is_refused_not_a_hang():
    # narrow-based (A = Common outstanding only) with no Common outstanding: an issue of 1,000
    # shares for $0 gives CP2 = CP1 x (0 + 0 / CP1) / (0 + 1,000) = 0. Kept as 0 (the rounding
    # looked for a first digit of 0 forever before), then refused: below MIN_PRICE.
    from dataclasses import replace
    base = quintus()
    charter = replace(base, series=tuple(replace(s, anti_dilution="narrow-based") for s in base.series))
    table = CapTable.of([("E", 1_000), ("Common", 0)], charter)
    with pytest.raises(CharterError, match="the Issue makes Series E's Conversion Price 0, outside the limits"):
        run_ledger(table, [Event(DAY, "Issue", F(1_000), F(0), "", 1)])
    assert ad._kept_digits(0, 7) == (0, 0) and kept_price(F(0)) == 0
    # the same price of 0 reached inside an (E)(3) replay (the Grant amended to no consideration;
    # the Issue after it would divide by that price): refused naming the Amend's row
    history = [Event(DAY, "Grant", F(1_000), F(5_000), "W", 1),
               Event(DAY + dt.timedelta(days=1), "Issue", F(10), F(1), "", 2),
               Event(DAY + dt.timedelta(days=2), "Amend", F(1_000), F(0), "W", 3)]
    for state in (ad._State, _FractionState):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(ad, "_State", state)
            with pytest.raises(CharterError, match="the Amend makes Series E's Conversion Price 0, outside") as info:
                ad._run_ledger(table, history)
        assert info.value.row == 3


# -- the kept digits from brackets, and the exact division where they do not decide ---------------
# The ledger takes each new price's kept digits from whole-number brackets lo <= price x 10^FIX
# <= hi (A bracketed once per issuance) and divides exactly only where they cannot decide
# (_kept_digits_between returns None): near a tie, or at a power of ten.

def _exact_only(mp):
    """The ledger with the brackets never deciding: every kept price by the exact division
    (no rounding entries: _kept_digits_between, and the ledger's inner loop applying it
    inline, decide nothing)."""
    mp.setattr(ad, "_ROUNDING", (None,) * len(ad._ROUNDING))


def _rows(ledger):
    return [(r.date, r.event, r.clause, r.cps, r.carried) for r in ledger.rows]


def _draw_history(draw, *, anti_dilution, held, common, n_events, gaps, kinds, shares, cents, splits, excluded):
    """(cap table, events): the sample's series, each with an anti-dilution kind drawn from
    ``anti_dilution`` and a holding from ``held``, Common from ``common``; ``n_events`` events
    days apart by ``gaps``, of ``kinds`` (an Amend or Expire before any Grant becomes a Grant),
    ``shares`` at ``cents`` a share, splits and combinations by ``splits``, Excluded letters
    from ``excluded``."""
    from dataclasses import replace
    base = quintus()
    charter = replace(base, series=tuple(replace(s, anti_dilution=draw(st.sampled_from(anti_dilution)))
                                         for s in base.series))
    table = CapTable.of([(s.name, draw(held)) for s in base.series] + [("Common", draw(common))], charter)
    events, granted, day = [], {}, dt.date(2000, 1, 1)
    for k in range(draw(n_events)):
        day += dt.timedelta(days=draw(st.sampled_from(gaps)))
        kind = draw(st.sampled_from(kinds))
        n = draw(shares)
        events.append(_valid_event(draw, day, k, kind, F(n), n * F(draw(cents), 100), granted, excluded=excluded,
                                   purchased=[s.name for s in base.series],
                                   ratio=lambda: draw(st.sampled_from(splits))))
    return table, events


@st.composite
def _deal_histories(draw):
    """A deal's history at size: every series of the sample held (1-5 million shares each,
    mostly broad-based, some narrow-based, full ratchet or none), 40-60 events: Issues and
    Grants at $0.05-$12 a share, Amends and Expires of them, Excluded issuances, Purchase
    Dates, now and then a split or a combination."""
    table, events = _draw_history(
        draw, anti_dilution=["broad-based"] * 5 + ["narrow-based", "full ratchet", "none"],
        held=st.integers(1_000_000, 5_000_000), common=st.integers(5_000_000, 40_000_000),
        n_events=st.integers(40, 60), gaps=[0, 14, 31, 90, 365, 1096],
        kinds=["Issue"] * 6 + ["Grant"] * 2 + ["Amend", "Expire", "Excluded", "Purchase", "Split", "Combine"],
        shares=st.integers(10_000, 2_000_000), cents=st.integers(5, 1200), splits=[F(2), F(3, 2), F(3)],
        excluded="BDM")
    return table, events, None


def _agree_three_ways(table, events, as_of):
    """The bracketed ledger, the ledger dividing exactly every time and the ledger in
    Fractions give the same rows (or the same refusal)."""
    answers = []
    for patch in (None, _exact_only, lambda mp: mp.setattr(ad, "_State", _FractionState)):
        with pytest.MonkeyPatch.context() as mp:
            if patch:
                patch(mp)
            try:
                ledger = ad._run_ledger(table, events, as_of)
                answers.append((ledger.cps, ledger.split_factor, _rows(ledger)))
            except CharterError as e:
                answers.append(str(e))
    assert answers[0] == answers[1] == answers[2]


@settings(max_examples=12, deadline=None)
@given(st.one_of(_deal_histories(), _histories(n_events=(40, 60), n_held=(10, 12))))
def test_fifty_event_histories_agree_bracketed_exact_and_in_fractions(history):
    # realistic sizes: 40-60 events on 10-12 series; the bracketed ledger, the ledger dividing
    # exactly every time, and the ledger in Fractions give the same rows (or the same refusal)
    _agree_three_ways(*history)


def _count_exact_divisions(mp):
    calls = []
    exact = ad._kept_digits
    mp.setattr(ad, "_kept_digits", lambda num, den: calls.append((num, den)) or exact(num, den))
    return calls


def test_an_exact_tie_is_divided_exactly_and_rounds_half_up():
    # Full ratchet (NVCA 4.4.4): 2^20 = 1,048,576 shares for $1,572,865: the price is
    # 1,572,865 / 2^20 = 1.5 + 1 / 2^20 = 1.50000095367431640625, 21 significant digits ending
    # in 5: a tie at the 20th, kept half up,
    # 1.5000009536743164063 (E's CP falls from 4.15: more than a cent, made). The price's
    # brackets are exact here (2^20 divides 1,572,865 x 10^FIX), so they decide it: half up too.
    from dataclasses import replace
    base = quintus()
    charter = replace(base, series=tuple(replace(s, anti_dilution="full ratchet") if s.name == "E" else s
                                         for s in base.series))
    table = CapTable.of([("E", 1_000_000), ("Common", 1_000_000)], charter)
    events = [Event(DAY, "Issue", F(2 ** 20), F(1_572_865), "", 1)]
    assert F(1_572_865, 2 ** 20) == F(150000095367431640625, 10 ** 20)
    assert ad._run_ledger(table, events).cps["E"] == F(15000009536743164063, 10 ** 19)
    with pytest.MonkeyPatch.context() as mp:
        _exact_only(mp)
        assert ad._run_ledger(table, events).cps["E"] == F(15000009536743164063, 10 ** 19)


def test_a_broad_based_tie_is_divided_exactly():
    # Broad-based 3(d)(i)(A) with A = 524,288 Common (Series E purchased, none of it in the cap
    # table, so its as-converted Common is 0): 524,288 shares for $824,205.80 (below $4.15):
    # CP2 = 4.15 x (524,288 + 824,205.80 / 4.15) / (524,288 + 524,288)
    #     = (2,175,795.20 + 824,205.80) / 1,048,576 = 3,000,001 / 2^20 = 2.86102390289306640625,
    # a tie at the 20th digit: exactly divided, half up: 2.8610239028930664063.
    table = CapTable.of([("Common", 524_288)])
    events = [Event(DAY, "Purchase", F(0), F(0), "E", 1),
              Event(DAY + dt.timedelta(days=1), "Issue", F(524_288), F(8_242_058, 10), "", 2)]
    with pytest.MonkeyPatch.context() as mp:
        calls = _count_exact_divisions(mp)
        ledger = ad._run_ledger(table, events)
    assert ledger.cps["E"] == F(28610239028930664063, 10 ** 19)
    assert len(calls) == 1
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ad, "_State", _FractionState)
        assert ad._run_ledger(table, events).cps == ledger.cps


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10 ** 50), st.integers(1, 10 ** 50), st.integers(0, 10 ** 45), st.integers(0, 10 ** 45),
       st.integers(10 ** (CP_DIGITS - 1), 10 ** CP_DIGITS - 1), st.integers(-40, 0), st.integers(0, 3))
def test_brackets_decide_only_what_every_price_between_them_rounds_to(num, den, below, above, digits, power, near):
    # Any price num / den bracketed at widths up to 10^45 (of 10^-FIX dollars): an answer is the
    # exact division's; and a tie digits.5 x 10^power bracketed within ``near`` units either
    # side is never decided by the brackets (its digits.5 or digits.4999.. sit between them).
    one = 10 ** ad.FIX
    lo, hi = num * one // den - below, -(-num * one // den) + above
    if lo > 0:
        got = ad._kept_digits_between(lo, hi)
        assert got is None or got == ad._kept_digits(num, den)
    tie = (2 * F(digits) + 1) / 2 * F(10) ** power * one                     # a whole number: power >= -40
    assert tie.denominator == 1
    assert ad._kept_digits_between(int(tie) - 1 - near, int(tie) + near) is None
    # a price next to a power of ten: lo a digit shorter than hi
    assert ad._kept_digits_between(10 ** 45 - 1 - near, 10 ** 45 + near) is None


# -- the speed paths of issue 17's last figure, against what they replace -------------------------

@st.composite
def _carrying_histories(draw):
    """50-80 events where 3(d)(i)(B) does most of the work: small issuances a little below the
    prices (adjustments under a cent, carried), now and then a larger one that makes them,
    gaps that reach and pass 3-year anniversaries, Excluded issuances, Purchase Dates, Grants
    and Expires, a split or a combination; the run cut at a date (as_of) or not."""
    table, events = _draw_history(
        draw, anti_dilution=["broad-based"] * 4 + ["narrow-based", "full ratchet", "none"],
        held=st.integers(100_000, 3_000_000), common=st.integers(5_000_000, 30_000_000),
        n_events=st.integers(50, 80), gaps=[0, 1, 30, 181, 365, 1095, 1096, 1461],
        kinds=["Issue"] * 8 + ["Grant", "Expire", "Excluded", "Purchase", "Split", "Combine"],
        shares=st.sampled_from([1_000, 10_000, 50_000, 400_000, 2_000_000]), cents=st.integers(50, 1_100),
        splits=[F(2), F(3, 2), F(7, 4)], excluded="BCDM")
    as_of = draw(st.sampled_from([None, events[len(events) // 2].date, events[-1].date + dt.timedelta(days=1200)]))
    return table, events, as_of


@settings(max_examples=10, deadline=None)
@given(_carrying_histories())
def test_carried_adjustments_at_size_agree_with_the_ledger_in_fractions(history):
    # the anniversaries looked for only once the oldest carried amount is due, Common kept a
    # whole number, the limits checked on each row's prices, A bracketed in 10^-A_FIX shares
    # and the kept digits applied inline: every row as the same arithmetic in Fractions gives
    # it (which scans every carried amount at every event), and as the exact divisions give it
    _agree_three_ways(*history)


_CELLS = st.one_of(
    st.none(), st.just(""), st.just("  "), st.booleans(),
    st.sampled_from(["#N/A", " #value! ", "#REF!", "n/a", "Issue", " issue ", "GRANT", "Event", "Purchase"]),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)).map(lambda d: d.isoformat()),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)).map(lambda d: f" {d.isoformat()} "),
    st.sampled_from(["2001-02-30", "20010101", "2001-1-1", "01/02/2001", "2001-01-01T00:00"]),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)),
    st.integers(-10, 3 * 10 ** 6), st.integers(10 ** 14, 10 ** 16),
    st.floats(-1e6, 1e17, allow_nan=False), st.sampled_from([float("inf"), float("nan"), 5e-324, 45000.5]),
    st.sampled_from(["1,000,000", "$3.00", "1,5", "1e6", "1 000", "-12.5", "0"]),
)


def _reading(read, *args):
    try:
        return ("value", read(*args))
    except CharterError as e:
        return ("refused", str(e))


@settings(max_examples=300, deadline=None)
@given(_CELLS)
def test_the_events_reader_reads_each_cell_as_the_generic_readers_do(cell):
    # arguments.events reads ISO dates, whole-number cells and event kinds directly (the
    # common cells of a long events range): the same value, or the same refusal, as
    # excel_date, number and a scan of EVENT_TYPES; and every Excel error value has a "#"
    # (the reader looks for errors only in text holding one)
    from xl_quintus.excel import arguments
    assert _reading(arguments._event_date, cell, "events row 3") == _reading(arguments.excel_date, cell, "events row 3 Date")
    for column, what in (("Shares", "a number"), ("Consideration", "an amount")):
        def generic(c, column=column, what=what):
            return F(0) if arguments.is_blank(c) else arguments.number(c, f"events row 3 {column}", what)
        assert _reading(arguments._event_number, cell, "events row 3", column, what) == _reading(generic, cell)
    scanned = next((k for k in ad.EVENT_TYPES if isinstance(cell, str) and cell.strip().lower() == k.lower()), None)
    assert arguments._event_kind(cell) == scanned
    assert not arguments.is_error(cell) or "#" in cell


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(_CELLS, min_size=0, max_size=6), min_size=50, max_size=70), st.data())
def test_an_events_range_of_odd_cells_reads_as_each_row_would_alone(table, data):
    # 50-70 rows of mixed cells, with well-formed rows mixed in: the range reads as its rows
    # one at a time (the same events, or the first row's refusal, naming its row)
    from xl_quintus.excel import arguments
    charter = quintus()
    for i in range(len(table)):
        if data.draw(st.booleans()):
            table[i] = [dt.date(2001, 1, 1).isoformat(), "Issue", data.draw(st.integers(0, 10 ** 6)),
                        data.draw(st.integers(0, 10 ** 7)), None]
    whole = _reading(arguments.events, table, charter)
    one_by_one = []
    for i, r in enumerate(table, start=1):
        got = _reading(arguments.events, [[None] * 5] * (i - 1) + [r], charter)      # the row at its place
        if got[0] == "refused":
            assert whole == got
            return
        one_by_one += got[1]
    assert whole == ("value", one_by_one)


def test_an_issuance_never_raises_a_price_given_with_more_digits_than_are_kept():
    # a 21-digit Original Issue Price, $1.23456789012345678909; 10^14 shares outstanding and 1
    # share issued at $1.2345678901234567890 (below it by 9 x 10^-20): exactly, CP2 is below
    # CP1 by about 10^-34, and kept to 20 digits it rounds UP to 1.2345678901234567891, above
    # CP1. 3(d)(i)(A) reduces the price: no adjustment, nothing carried, and at the end of 3
    # years the price is still $1.23456789012345678909 (it rose to ...891 before)
    from xl_quintus.charter.terms import Charter, series_from_mapping
    oip = F(123456789012345678909, 10 ** 20)
    s = series_from_mapping({"name": "S", "authorized": 10 ** 15, "original_issue_price": oip,
                             "anti_dilution": "broad-based"})
    table = CapTable.of([("h", "S", 10 ** 14), ("c", "Common", 0)], Charter("X", (s,), 10 ** 15, 10 ** 15, F(0)))
    events = [Event(dt.date(2020, 1, 1), "Issue", F(1), F("1.2345678901234567890"), "", 1)]
    ledger = ad.run_ledger(table, events, dt.date(2030, 1, 1))
    assert ledger.cps["S"] == oip
    assert all(r.carried["S"] == 0 and r.cps["S"] == oip for r in ledger.rows)
    _agree_three_ways(table, events, dt.date(2030, 1, 1))


def test_three_years_past_the_last_date_excel_holds_are_never_reached():
    # carried amounts from issuances in 9997 and 9998 would be made at the end of 3 years,
    # in 10000 and 10001: never, and no Python internals ("year 10000 is out of range").
    # Sample cap table A 1,000,000, E 1,000,000, Common 2,000,000: two issuances of 1,000
    # shares at $0.99 lower E's $4.15 by well under a cent each: both carried to the end
    from xl_quintus.excel import QCONVLEDGER, QCONVPRICE
    table = [["A", 1_000_000], ["E", 1_000_000], ["Common", 2_000_000]]
    events = [["9998-06-01", "Issue", 1000, 990, None], ["9998-07-01", "Issue", 1000, 990, None]]
    assert QCONVPRICE("E", events, table) == 4.15
    assert QCONVPRICE("E", events, table, "9999-12-31") == 4.15
    header, first, second = QCONVLEDGER(events, table)          # no 3-year rows: never reached
    assert header[5:] == ["E CP", "E Carried"] and first[5] == second[5] == 4.15
    assert 0 < first[6] < second[6] < 0.01                           # carried, under a cent


def _ratchet_table():
    from xl_quintus.charter.terms import Charter, series_from_mapping
    s = series_from_mapping({"name": "S", "authorized": 10_000_000, "original_issue_price": "1.00",
                             "anti_dilution": "full ratchet"})
    return CapTable.of([("fund", "S", 1_000_000), ("founder", "Common", 1_000_000)],
                       Charter("Ratchet Co", (s,), 100_000_000, 10_000_000, F(0)))


def test_a_full_ratchet_goes_to_the_lowest_issue_price_with_amounts_carried():
    # Series S, full ratchet, Conversion Price $1.00. 2021-01-01: 1,000 shares at $0.995: the
    # ratchet would lower the price by $0.005, under a cent: carried (3(d)(i)(B)).
    # 2021-06-01: 1,000 shares at $0.50: the ratchet goes to $0.50; the $0.005 carried was a
    # step towards a higher price ($0.995) and is taken into account by going to the lowest:
    # $1.00 - max(0.005, 0.50) = $0.50 (adding them gave $0.495, below the issue price)
    events = [Event(dt.date(2021, 1, 1), "Issue", F(1_000), F(995), "", 1),
              Event(dt.date(2021, 6, 1), "Issue", F(1_000), F(500), "", 2)]
    ledger = ad.run_ledger(_ratchet_table(), events)
    assert [(r.cps["S"], r.carried["S"]) for r in ledger.rows] == [(1, F(5, 1000)), (F(1, 2), 0)]
    _agree_three_ways(_ratchet_table(), events, None)


def test_a_full_ratchet_makes_its_carried_amounts_at_three_years_down_to_the_lowest_price():
    # $1.00; 2021-01-01 at $0.995 (owed $0.005, carried); 2022-01-01 at $0.993 (owed $0.007:
    # the ratchet would go to $0.993, still under a cent below $1.00: carried, showing $0.007).
    # 2024-01-01, three years from the first: made, the price goes to $0.995 and $0.002 more
    # is owed below it (to $0.993); 2025-01-01: made, $0.993, the lowest issue price (adding
    # the amounts gave $0.995 and then $0.988, below every issue price)
    events = [Event(dt.date(2021, 1, 1), "Issue", F(1_000), F(995), "", 1),
              Event(dt.date(2022, 1, 1), "Issue", F(1_000), F(993), "", 2)]
    ledger = ad.run_ledger(_ratchet_table(), events, dt.date(2026, 1, 1))
    assert [(r.date, r.cps["S"], r.carried["S"]) for r in ledger.rows] == [
        (dt.date(2021, 1, 1), 1, F(5, 1000)), (dt.date(2022, 1, 1), 1, F(7, 1000)),
        (dt.date(2024, 1, 1), F(995, 1000), F(2, 1000)), (dt.date(2025, 1, 1), F(993, 1000), 0)]
    _agree_three_ways(_ratchet_table(), events, dt.date(2026, 1, 1))


def test_each_three_year_row_shows_the_prices_at_its_own_date():
    # broad-based Series S at $1.00 (1,000,000 S, 1,000,000 Common): 10,000 shares issued
    # at $0.50 on 2021-01-01 and again on 2022-01-01 each lower it by under a cent: carried.
    # Run to 2026, both are made at their 3 years, 2024-01-01 and 2025-01-01, with no event
    # between: the 2024 row shows the price after the first alone, the 2025 row after both
    # (the 2024 row showed the 2025 price before). First: CP2 = 1 x (A + B) / (A + C),
    # A = 2,000,000, B = 5,000 / 1 = 5,000, C = 10,000: 2,005,000 / 2,010,000, lower by
    # 5,000 / 2,010,000 = $0.0024876 (kept to 20 digits)
    from xl_quintus.charter.terms import Charter, series_from_mapping
    s = series_from_mapping({"name": "S", "authorized": 10_000_000, "original_issue_price": "1.00"})
    table = CapTable.of([("fund", "S", 1_000_000), ("founder", "Common", 1_000_000)],
                        Charter("X", (s,), 100_000_000, 10_000_000, F(0)))
    events = [Event(dt.date(2021, 1, 1), "Issue", F(10_000), F(5_000), "", 1),
              Event(dt.date(2022, 1, 1), "Issue", F(10_000), F(5_000), "", 2)]
    rows = ad.run_ledger(table, events, dt.date(2026, 1, 1)).rows
    first = 1 - kept_price(F(2_005_000, 2_010_000))                   # the first amount carried
    assert [r.date for r in rows] == [dt.date(2021, 1, 1), dt.date(2022, 1, 1), dt.date(2024, 1, 1),
                                      dt.date(2025, 1, 1)]
    assert rows[0].carried["S"] == first and rows[0].cps["S"] == 1
    assert rows[2].cps["S"] == 1 - first and rows[2].carried["S"] == rows[1].carried["S"] - first > 0
    assert rows[3].cps["S"] == 1 - rows[1].carried["S"] and rows[3].carried["S"] == 0
    _agree_three_ways(table, events, dt.date(2026, 1, 1))


def test_a_split_or_combination_makes_the_amounts_carried_first():
    # 3(d)(i)(B): amounts carried are "taken into account in any subsequent adjustment"; a
    # combination adjusts every Conversion Price (3(d)(iv)): it is one. Full-ratchet Series S at
    # $1.00: issues at $0.995 and $0.992 carry $0.005, then $0.008 (the largest owed, under a
    # cent); a 1-for-3 combination then makes $0.008 and multiplies: (1.00 - 0.008) x 3 = $2.976
    # (before: $3.00 with $0.024 shown carried, more than a cent "not yet made")
    events = [Event(dt.date(2021, 1, 1), "Issue", F(1_000), F(995), "", 1),
              Event(dt.date(2021, 1, 1), "Issue", F(1_000), F(992), "", 2),
              Event(dt.date(2021, 6, 1), "Combine", F(3), F(0), "", 3)]
    rows = ad.run_ledger(_ratchet_table(), events).rows
    assert [(r.cps["S"], r.carried["S"]) for r in rows] == [(1, F(5, 1000)), (1, F(8, 1000)), (F(2976, 1000), 0)]
    assert rows[-1].event == "Combination, 1 for 3; carried adjustments made (S)"
    assert QCONVPRICE("S", [["Date", "Event", "Shares", "Consideration", "Ref"],
                            ["2021-01-01", "Issue", 1_000, 995, None], ["2021-01-01", "Issue", 1_000, 992, None],
                            ["2021-06-01", "Combine", 3, None, None]],
                      [["S", 1_000_000], ["Common", 1_000_000]], "2022-01-01",
                      [["Class", "Authorized", "Issue Price", "Anti-Dilution"], ["S", 10_000_000, 1, "full ratchet"]]
                      ) == 2.976
    _agree_three_ways(_ratchet_table(), events, None)
