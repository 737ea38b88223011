"""Every exposed function meets random Excel-shaped input calmly (issue: no traceback, no wrong number).

Values are drawn the way Excel sends them: numbers as floats, blanks as None or "", text,
truth values, error cells, dates, 1x1 ranges as scalars, rows as flat lists, ranges as lists
of rows; mixed with nearly valid inputs (real labels, cap tables, events) to reach deep code.
The only failure allowed is ``QuintusExcelError`` with a one-line message written on purpose
("could not compute", the catch-all for defects, fails the test). Results must be finite
numbers, text, truth values or dates, and tables rectangular.
"""

import datetime as dt
import inspect
import math

from hypothesis import HealthCheck, given, settings, strategies as st

from xl_quintus import excel
from xl_quintus.charter.terms import quintus

FUNCTIONS = {n: f for n, f in inspect.getmembers(excel, inspect.isfunction) if n.startswith("Q") and n.isupper()}
LABELS = [s.name for s in quintus().series] + ["Common", "Series E Preferred", "G", "A-D", "Zed", "common stock"]
CASES = {"count": 0}

scalar = st.one_of(
    st.none(), st.just(""), st.just("  "), st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.integers(-10, 10_000_000).map(float), st.sampled_from(LABELS), st.text(max_size=12),
    st.sampled_from(["#N/A", "#VALUE!", "#REF!", "1,000", "12.5", "optimal", "none", "all", "holder", "class",
                     "cash", "non-cash", "6(b)", "3(a)", "merger", "cap", "votes", "issue price", "2026-12-31"]),
    st.dates(dt.date(1990, 1, 1), dt.date(2040, 1, 1)),
)
cap_row = st.one_of(
    st.tuples(st.sampled_from(LABELS), st.integers(0, 3_000_000).map(float)).map(list),
    st.tuples(st.sampled_from(["Fund", "Ann", "Bo"]), st.sampled_from(LABELS), st.integers(0, 3_000_000).map(float)).map(list),
    st.lists(scalar, min_size=1, max_size=4),
)
cap_table = st.lists(cap_row, min_size=0, max_size=6)
event_row = st.tuples(
    st.one_of(st.dates(dt.date(1995, 1, 1), dt.date(2010, 1, 1)).map(lambda d: d.isoformat()), scalar),
    st.sampled_from(["Purchase", "Issue", "Excluded", "Grant", "Amend", "Expire", "Exercise", "Split", "Combine", "Gift"]),
    st.one_of(st.integers(0, 2_000_000).map(float), scalar),
    st.one_of(st.integers(0, 9_000_000).map(float), scalar),
    st.one_of(st.sampled_from(["A", "E", "B", "C", "W1", "W2", "Z"]), scalar),
).map(list)
argument = st.one_of(scalar, st.lists(scalar, max_size=4), st.lists(st.lists(scalar, min_size=1, max_size=4), max_size=4),
                     cap_table, st.lists(event_row, max_size=5))


def _check_result(name, result):
    def ok(v):
        if isinstance(v, float):
            assert math.isfinite(v), f"{name} returned {v}"
        else:
            assert v is None or isinstance(v, (bool, int, str, dt.date)), f"{name} returned {type(v)}"
    if isinstance(result, list):
        rows = result if result and isinstance(result[0], list) else [result]
        assert len({len(r) for r in rows}) <= 1, f"{name} returned a ragged table"
        for r in rows:
            for v in r:
                ok(v)
    else:
        ok(result)


def _call(name, args):
    CASES["count"] += 1
    try:
        _check_result(name, FUNCTIONS[name](*args))
    except excel.QuintusExcelError as e:
        message = str(e)
        assert message and "\n" not in message, repr(message)
        assert message.startswith(f"{name}: ")
        assert "could not compute" not in message, message        # a defect, not bad input


SERIES = [x.name for x in quintus().series]
AUTHORIZED = {x.name: x.authorized for x in quintus().series} | {"Common": 50_000_000}
money = st.integers(0, 900_000_000).map(float)


@st.composite
def valid_cap_table(draw, holders=None):
    holders = draw(st.booleans()) if holders is None else holders
    rows = [["Holder", "Class", "Shares"] if holders else ["Class", "Shares"]]
    for cls in draw(st.lists(st.sampled_from(SERIES + ["Common"]), min_size=1, max_size=7, unique=True)):
        n = float(draw(st.integers(0, AUTHORIZED[cls] // 2)))
        rows.append([draw(st.sampled_from(["Fund", "Ann", "Bo"])), cls, n] if holders else [cls, n])
    return rows


@st.composite
def valid_events(draw):
    rows, grants = [["Date", "Event", "Shares", "Consideration", "Ref"]], []
    for _ in range(draw(st.integers(0, 6))):
        day = draw(st.dates(dt.date(1998, 1, 1), dt.date(2008, 1, 1))).isoformat()
        kind = draw(st.sampled_from(["Purchase", "Issue", "Excluded", "Grant", "Expire", "Exercise", "Amend", "Split", "Combine"]))
        shares = float(draw(st.integers(1, 2_000_000)))
        money_ = float(draw(st.integers(0, 9_000_000)))
        if kind == "Purchase":
            rows.append([day, kind, None, None, draw(st.sampled_from(SERIES))])
        elif kind == "Excluded":
            rows.append([day, kind, shares, 0.0, draw(st.sampled_from(list("BCDEFGHIJKLM")))])
        elif kind == "Grant":
            grants.append(f"W{len(grants)}")
            rows.append([day, kind, shares, money_, grants[-1]])
        elif kind in ("Expire", "Exercise", "Amend") and grants:
            rows.append([day, kind, float(draw(st.integers(0, 1_000))), money_, draw(st.sampled_from(grants))])
        elif kind in ("Split", "Combine"):
            rows.append([day, kind, float(draw(st.sampled_from([2, 3, 1.5]))), None, None])
        else:
            rows.append([day, "Issue", shares, money_, None])
    return rows


VALID = {
    "proceeds": st.one_of(money, st.lists(st.lists(money, min_size=1, max_size=1), min_size=1, max_size=40)),
    "who": st.sampled_from(SERIES + ["Common", "A-D", "G", "Fund", "Ann"]),
    "cap_table": valid_cap_table(), "consents": valid_cap_table(),
    "conversions": st.sampled_from([None, "optimal", "none", "all", "A-D, E", "F, G-2", "G"]),
    "conversion_prices": st.one_of(st.none(), st.lists(st.tuples(st.sampled_from(SERIES), st.floats(0.3, 15)).map(list),
                                                       max_size=3), valid_events()),
    "unpaid_dividends": st.one_of(st.none(), st.lists(st.tuples(st.sampled_from(SERIES), st.floats(0, 1)).map(list), max_size=2)),
    "by": st.sampled_from([None, "class", "holder"]),
    "class_": st.sampled_from(SERIES + ["Common", "Series E Preferred"]),
    "shares": st.integers(0, 1_000_000).map(float),
    "conversion_price": st.one_of(st.none(), st.floats(0.3, 15)),
    "ipo_price": st.one_of(st.none(), st.floats(0.5, 20)),
    "declared_unpaid_dividend_per_share": st.one_of(st.none(), st.floats(0, 1)),
    "price_per_share": st.floats(0.5, 20), "aggregate_offering": money,
    "firm_commitment": st.sampled_from([None, True, False]),
    "legally_available": st.one_of(st.none(), money),
    "events": valid_events(),
    "as_of": st.one_of(st.none(), st.dates(dt.date(1998, 1, 1), dt.date(2012, 1, 1)).map(lambda d: d.isoformat())),
    "action": st.sampled_from(["6(a)(i)", "6(a)(iv)", "6(b)", "6(c)", "6(d)", "6(e)", "6(f)", "2(b)", "3(a)", "3(b)(ii)",
                               "3(b)(iii)", "3(b)(iv)", "3(d)(ii)(B)", "IV.A", "merger", "stock plan"]),
    "affected_series": st.sampled_from([None, "E", "E, G-2", "G"]),
    "authorized_directors": st.one_of(st.none(), st.integers(1, 11).map(float)),
    "record_date": st.one_of(st.dates(dt.date(2000, 1, 1), dt.date(2040, 1, 1)), st.integers(30_000, 60_000).map(float)),
    "declared": money, "kind": st.sampled_from([None, "cash", "non-cash"]),
    "term": st.sampled_from(["authorized", "issue price", "dividend rate", "cap", "cash amount", "votes", "seniority",
                             "participation", "conversion group", "clause"]),
    "per_common_share": st.floats(0, 10),
    "terms": st.just(None),
}


@st.composite
def calls(draw):
    name = draw(st.sampled_from(sorted(FUNCTIONS)))
    params = list(inspect.signature(FUNCTIONS[name]).parameters.values())
    required = [p for p in params if p.default is inspect.Parameter.empty]
    n = draw(st.integers(len(required), len(params)))
    args = []
    for p in params[:n]:
        nearly_valid = p.name in VALID and draw(st.integers(0, 4)) > 0      # four times in five
        args.append(draw(VALID[p.name] if nearly_valid else argument))
    return name, args


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(calls())
def test_fuzz_every_function_as_plain_python(call):
    _call(*call)


def pytest_generated_cases() -> int:
    return CASES["count"]
