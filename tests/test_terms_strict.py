"""Issue 17, "Terms misread": a terms range or file is read strictly, each refusal one line
naming the row, the column, the value and the rule; no Python internals."""

import os
import time

import pytest

from xl_quintus.excel import QTERMS, QWATERFALL, QuintusExcelError

HEAD = ["Class", "Authorized", "Issue Price", "Seniority", "Participation", "Cap", "Votes", "Cash Amount",
        "Dividend Rate"]


def terms(**over):
    row = dict(zip(HEAD, ["H", 1_000_000, 2.0, 1, "none", None, 1, None, None]))
    row.update({k.replace("_", " "): v for k, v in over.items()})
    return [list(row.keys()), list(row.values())]


@pytest.mark.parametrize("over, message", [
    ({"Issue Price": "1,5"}, 'terms row 2: Issue Price "1,5" is not a number: a comma may only separate thousands'),
    ({"Seniority": 2.5}, "terms row 2: Seniority 2.5 must be a whole number"),
    ({"Votes": 2.7}, "terms row 2: Votes 2.7 must be a whole number"),
    ({"Votes": -1}, "terms row 2: Votes -1 must be at least 0"),
    ({"Cash Amount": -0.5}, "terms row 2: Cash Amount -0.5 cannot be negative"),
    ({"Dividend Rate": -0.1}, "terms row 2: Dividend Rate -0.1 cannot be negative"),
    ({"Issue Price": "1E+999999999"}, 'terms row 2: Issue Price "1E+999999999" is not a number'),
    ({"Issue Price": 1e300}, "is beyond 1,000,000,000,000,000"),
    ({"Issue Price": True}, "Issue Price True is a truth value"),
    ({"Issue Price": "n/a"}, 'Issue Price "n/a" is not a number'),
    ({"Participation": "capped", "Cap": "3y"}, 'terms row 2: Cap "3y" is not a number'),
    ({"Participation": "capped"}, "Participation is capped but Cap is blank"),
    ({"Cap": "3x"}, 'Cap "3x" is given but Participation is "none"'),
    ({"Participation": "capped", "Cap": 1.5}, "Cap 1.5 is below the preference of $2 per share"),
    ({"Participation": "sometimes"}, 'Participation "sometimes" must be one of none, capped, full'),
    ({"Authorized": 10.5}, "Authorized 10.5 must be a whole number"),
    ({"Issue Price": 0}, "Issue Price 0 must be above 0"),
])
def test_terms_range_values_are_refused_naming_row_column_value_and_rule(over, message):
    started = time.perf_counter()
    with pytest.raises(QuintusExcelError) as info:
        QTERMS("H", "issue price", terms(**over))
    text = str(info.value)
    assert message in text, text
    assert "<class" not in text and "Traceback" not in text and "\n" not in text
    assert time.perf_counter() - started < 1.0             # "1E+999999999" must not be expanded


def test_the_cap_typed_3x_is_three_times_the_issue_price():
    # 2(b) cap "3x" of a $2.00 issue price: $6.00 per share, the preference included
    assert QTERMS("H", "cap", terms(Participation="capped", Cap="3x")) == 6.0
    assert QTERMS("H", "issue price", terms(Issue_Price="$1,002.50")) == 1002.5


def test_a_series_defined_twice_in_a_range_names_both_rows():
    rng = terms() + [["H", 5, 3.0, 1, "none", None, 1, None, None]]
    with pytest.raises(QuintusExcelError, match="rows 2 and 3 both define Series H"):
        QWATERFALL(1e6, [["H", 1], ["Common", 1]], None, None, None, None, rng)


def test_unknown_and_duplicate_columns_are_refused():
    with pytest.raises(QuintusExcelError, match="not understood: Colour"):
        QTERMS("H", "cap", [["Class", "Colour"], ["H", "red"]])
    with pytest.raises(QuintusExcelError, match="columns 2 and 3 both give cap"):
        QTERMS("H", "cap", [["Class", "Cap", "cap"], ["H", 1, 1]])


def test_terms_file_edits_are_seen_at_once_even_within_the_same_second(tmp_path):
    path = tmp_path / "t.toml"
    body = ('[charter]\ncommon_authorized = 10\npreferred_authorized = 10\n'
            '[[series]]\nname = "X"\nauthorized = 10\noriginal_issue_price = "{}"\n')
    path.write_text(body.format("1.00"))
    stamp = os.stat(path).st_mtime_ns
    assert QTERMS("X", "issue price", str(path)) == 1.0
    path.write_text(body.format("2.00"))
    os.utime(path, ns=(stamp, stamp))                        # same modification time as before
    assert QTERMS("X", "issue price", str(path)) == 2.0


@pytest.mark.parametrize("name, names", [
    ("Unallocated", "what no class can take in a liquidation"),      # was: paid as the class and as Unallocated at once
    (" common  stock", "the Common Stock"),
    ("All", "every class voting together"),
    ("Preferred", "every series of Preferred in an approval"),
    ("Affected", "the series adversely affected"),
])
def test_a_series_cannot_take_a_name_the_outputs_use_for_something_else(name, names):
    # a custom series "Unallocated", capped at 3x on $1.00: at $5,000,000 it is paid
    # $3,000,000 and $2,000,000 is Unallocated; one row could not show both, so the name is refused
    rows = [["Class", "Authorized", "Issue Price", "Participation", "Cap"], [name, 10_000_000, 1, "capped", "3x"]]
    with pytest.raises(QuintusExcelError) as info:
        QWATERFALL(5e6, [[name, 1_000_000]], terms=rows)
    assert str(info.value) == (f'QWATERFALL: terms row 2: "{name.strip()}" cannot name a series of Preferred Stock: '
                               f"it names {names}")
