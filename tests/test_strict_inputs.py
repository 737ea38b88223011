"""Issue 17: one strict reading of every Excel-shaped input, and results Excel can hold.

Each case of the issue with its hand-worked answer or the one line that refuses it.
"""

import datetime as dt

import pytest

from xl_quintus.excel import QCASH, QCONVERT, QCONVPRICE, QIPO, QPAYOUT, QPWERM, QRECAP, QVOTINGPOWER, QWATERFALL, QuintusExcelError

# E 1,000,000 and Common 5,000,000 at a $50,000,000 exit, nothing converting:
# E's 2(a) preference 1,000,000 x $4.15 = $4,150,000; the $45,850,000 left is shared with
# Common on as-converted shares (E 1/6) until E has its 2(b) cap, $10.375 x 1,000,000 =
# $10,375,000 in all (1/6 of it would take E to $11,791,666.67: capped), so E's participation
# is $6,225,000 and Common takes the rest, $39,625,000. Converting would give E 1/6 of $50M,
# $8,333,333.33, less: E does not convert.
E_TOTAL, COMMON_TOTAL = 10_375_000.0, 39_625_000.0


def totals(table):
    return {r[0]: r[7] for r in table[1:]}


def refused(call) -> str:
    with pytest.raises(QuintusExcelError) as info:
        call()
    text = str(info.value)
    assert "\n" not in text and "could not compute" not in text and "<class" not in text
    return text


def test_the_first_row_with_a_mistyped_number_is_an_error_not_a_header():
    # before issue 17: the E row was taken for a header and Common got all $50M
    for rows in ([["Fund I", "E", "1 000 000"], ["Founder", "Common", 5e6]],
                 [["Founder", "Common", 5e6], ["Fund I", "E", "1 000 000"]]):
        text = refused(lambda: QWATERFALL(50e6, rows))
        row = 1 if rows[0][0] == "Fund I" else 2
        assert f'cap_table row {row}, Shares: "1 000 000" is not a number of shares: spaces inside a number' in text


@pytest.mark.parametrize("cell, message", [
    ("1e6", 'Shares: "1e6" is not a number of shares: text with an exponent is not read'),
    ("n/a", 'Shares: "n/a" is text, not a number of shares'),
    (True, "Shares: True is a truth value, not a number of shares"),
    (dt.datetime(2020, 1, 1), "Shares: 2020-01-01 is a date, not a number of shares"),
    ("1,5", 'Shares: "1,5" is not a number of shares: a comma may only separate thousands'),
    (1e308, "Shares: 1e+308 shares is beyond the limit of 1,000,000,000,000,000"),
    (-3, "Shares: shares must be a whole number of at least 0, got -3"),
    (2.5, "Shares: shares must be a whole number of at least 0, got 2.5"),
    ("#N/A", "cap_table row 1: a cell holds the Excel error #N/A"),
])
def test_every_unreadable_first_row_is_refused_naming_row_and_column(cell, message):
    text = refused(lambda: QWATERFALL(50e6, [["Fund I", "E", cell], ["Founder", "Common", 5e6]]))
    assert message in text and "cap_table row 1" in text


@pytest.mark.parametrize("cell", ["1,000,000", "$1,000,000", " 1000000 ", "1000000.00", 1e6, 1_000_000])
def test_numbers_written_plainly_are_read_exactly(cell):
    assert totals(QWATERFALL(50e6, [["Fund I", "E", cell], ["Founder", "Common", 5e6]])) == \
        {"E": E_TOTAL, "Common": COMMON_TOTAL, "Total": 50e6}


@pytest.mark.parametrize("header", [["Holder", "Class", "Shares"], ["investor", "SERIES", "Number of Shares"],
                                    ["Stockholder", "Class", "Shares outstanding"]])
def test_a_header_is_recognised_by_its_labels(header):
    assert totals(QWATERFALL(50e6, [header, ["Fund I", "E", 1e6], ["Founder", "Common", 5e6]]))["E"] == E_TOTAL


@pytest.mark.parametrize("header, message", [
    (["Holder", "Class", "Number"], 'row 1 is a header, but "Number" is not a column the cap table has'),
    (["Class", "Holder", "Shares"], "row 1 names the columns Class | Holder | Shares; they must be"),
])
def test_a_header_with_a_column_it_cannot_place_is_refused(header, message):
    assert message in refused(lambda: QWATERFALL(50e6, [header, ["Fund I", "E", 1e6], ["Founder", "Common", 5e6]]))


def test_two_column_tables_and_headers():
    two = [["Class", "Shares"], ["E", 1e6], ["Common", 5e6]]
    assert totals(QWATERFALL(50e6, two))["Common"] == COMMON_TOTAL
    assert totals(QWATERFALL(50e6, two[1:]))["Common"] == COMMON_TOTAL
    assert 'cap_table row 1, Shares: "$5m" is text' in refused(lambda: QWATERFALL(50e6, [["E", "$5m"], ["Common", 5e6]]))


def test_holders_differing_only_in_case_are_refused():
    # before: QPAYOUT(50e6, "Acme", ...) answered ACME's Common payout for Acme's E
    rows = [["Acme", "E", 1e6], ["ACME", "Common", 5e6]]
    assert 'rows 1 and 2: holders "Acme" and "ACME" differ only in case' in refused(lambda: QPAYOUT(50e6, "Acme", rows))
    assert "differ only in case or spacing" in refused(lambda: QVOTINGPOWER([["Acme", "E", 1e6], ["Acme ", "E", 1],
                                                                            ["acme", "Common", 5]]))
    # names matched exactly: the same spelling on several rows is one holder
    exact = [["Acme", "E", 1e6], ["Founder", "Common", 5e6], ["Acme", "Common", 0]]
    assert QPAYOUT(50e6, "Acme", exact) == E_TOTAL


def test_conversion_prices_first_row_is_read_not_skipped():
    table = [["E", 1e6], ["Common", 5e6]]
    # at $10,000,000 with E's Conversion Price $3.00: preference $4,150,000; E as converted
    # 1,000,000 x 4.15 / 3 = 1,383,333.33 of 6,383,333.33 shares, so E takes 4.15 / 19.15 of
    # the $5,850,000 left: $1,267,754.57; $5,417,754.57 in all (at $4.15: 1/6, $5,125,000).
    # before: "$3.00" on the first row was taken for a header and ignored
    assert QPAYOUT(10e6, "E", table, "none", [["E", "$3.00"]]) == 5_417_754.57
    assert QPAYOUT(10e6, "E", table, "none", [["E", 3]]) == 5_417_754.57
    assert QPAYOUT(10e6, "E", table, "none") == 5_125_000.0
    assert QPAYOUT(10e6, "E", table, "none", [["Class", "Conversion Price"], ["E", 3]]) == 5_417_754.57
    assert 'conversion_prices row 1, Conversion Price: "3,00" is not a number: a comma' in \
        refused(lambda: QPAYOUT(50e6, "E", table, "none", [["E", "3,00"]]))
    assert 'conversion_prices row 1, Conversion Price: "n/a" is text' in \
        refused(lambda: QPAYOUT(50e6, "E", table, "none", [["E", "n/a"]]))


@pytest.mark.parametrize("argument, what", [(4, "Conversion Price"), (5, "unpaid dividends per share")])
def test_a_series_given_twice_is_refused_naming_both_rows(argument, what):
    args = [50e6, "E", [["E", 1e6], ["Common", 5e6]], "none", None, None]
    args[argument] = [["Class", "Amount"], ["E", 3], ["F", 1], ["Series E Preferred", 2]]
    assert f"rows 2 and 4 both give Series E's {what}; keep one" in refused(lambda: QPAYOUT(*args))


def test_unpaid_dividends_first_row_counts():
    # 2(a): E's preference is $4.15 + $0.50 unpaid = $4.65 a share; the cap is unchanged
    table = [["E", 1e6], ["Common", 5e6]]
    assert QWATERFALL(50e6, table, "none", None, [["E", "$0.50"]])[1][4] == 4_650_000.0


@pytest.mark.parametrize("call, message", [
    (lambda: QCONVERT("E", 100, 5e-324), "a Conversion Price 5e-324 is outside the limits $1e-06 to $1,000,000"),
    (lambda: QRECAP("A", 1e308, 2), "shares: 1e+308 shares is beyond the limit of 1,000,000,000,000,000"),
    (lambda: QRECAP("A", 1e14, 1e300), "per_common_share: what each share of Common received 1e+300 is outside"),
    (lambda: QCASH("A", 1e308), "shares: 1e+308 shares is beyond the limit"),
    (lambda: QCASH("A", 1e14), "the Cash Amount, $92,500,000,000,000, is beyond the limit of $10,000,000,000,000"),
    (lambda: QPAYOUT([[1e17]] * 40, "E", [["E", 1e6], ["Common", 5e6]]),
     "proceeds (value 1): 1e+17 is beyond the limit of $10,000,000,000,000"),
    (lambda: QWATERFALL(float("inf"), [["E", 1e6]]), "inf is not a finite number"),
    (lambda: QIPO(10, 1e300, [["E", 1e6]]), "aggregate_offering: 1e+300 is beyond the limit"),
])
def test_extreme_but_typeable_values_end_in_one_line_naming_the_limit(call, message):
    assert message in refused(call)


def test_a_payout_column_agrees_with_the_single_cell_up_to_the_limit():
    # before: a 40-value column of 1e17 answered 0.0 (int64 cents wrapped); now the largest
    # allowed value answers the same in a column as in one cell
    table = [["E", 1e6], ["Common", 5e6]]
    top = 9_999_999_999_999.99
    column = QPAYOUT([[top]] * 40, "Common", table, "none")
    assert column[0][0] == QPAYOUT(top, "Common", table, "none") == 9_999_989_624_999.99    # top - $10,375,000


def test_scenario_first_row_is_data_unless_labelled():
    table = [["E", 1e6], ["Common", 5e6]]
    one = QPWERM([["$50,000,000", 1, 0, 0]], table, "none")
    labelled = QPWERM([["Exit Value", "Probability", "Years", "Discount Rate"], [50e6, 1, 0, 0]], table, "none")
    assert one == labelled and one[1][2] == E_TOTAL


@pytest.mark.parametrize("row, message", [
    (["2001-01-01", "Issue", 1e300, 0, None], "events row 1 Shares: 1e+300 shares is beyond the limit"),
    (["2001-01-01", "Issue", 1e6, 1e300, None], "events row 1 Consideration: 1e+300 is beyond the limit of $10,000,000,000,000"),
    (["2001-01-01", "Issue", "1 000", 10, None], 'events row 1 Shares: "1 000" is not a number: spaces'),
])
def test_event_numbers_are_bounded_and_read_strictly(row, message):
    assert message in refused(lambda: QCONVPRICE("E", [row], [["E", 1e6], ["Common", 1e6]]))


def test_an_event_consideration_typed_as_plain_text_is_read_exactly():
    # A = 1,000,000 Common + 1,000,000 E = 2,000,000; 1,000,000 issued for $1,000,000 ($1 < $4.15):
    # E = (4.15 x 2,000,000 + 1,000,000) / 3,000,000 = 9,300,000 / 3,000,000 = 3.10
    assert QCONVPRICE("E", [["2001-01-01", "Issue", "1,000,000", "$1,000,000", None]], [["E", 1e6], ["Common", 1e6]]) == 3.1


# -- a blank cell in a message: Excel's words, never Python's None (review) ----------------------

CT_BLANK = [["Holder", "Class", "Shares"], ["Ann", "A", 1000], ["Bob", "F", 100], ["Cy", "Common", 1000]]


def _blank_calls():
    from xl_quintus.excel import QDLOM, QNOTICE

    return [
        (lambda: QWATERFALL(None, CT_BLANK), "QWATERFALL: proceeds: the cell is blank; an amount of money is required"),
        (lambda: QWATERFALL("  ", CT_BLANK), "QWATERFALL: proceeds: the cell is blank; an amount of money is required"),
        (lambda: QPAYOUT(None, "A", CT_BLANK), "QPAYOUT: proceeds: the cell is blank; an amount of money is required"),
        (lambda: QNOTICE(None), "QNOTICE: record_date: the cell is blank; a date is required"),
        (lambda: QPWERM([[1000, 1, None, 0.1]], CT_BLANK),
         "QPWERM: scenarios row 1 Years: the cell is blank; a number of years is required"),
        (lambda: QPWERM([[1000, None, 1, 0.1]], CT_BLANK),
         "QPWERM: scenarios row 1 Probability: the cell is blank; a probability is required"),
        (lambda: QDLOM(0.6, None), "QDLOM: years: the cell is blank; a number of years is required"),
    ]


@pytest.mark.parametrize("case", range(7))
def test_a_blank_cell_is_named_in_excels_words(case):
    call, message = _blank_calls()[case]
    text = refused(call)
    assert text == message and "None" not in text


def test_show_never_quotes_python_none():
    from xl_quintus.excel.arguments import show

    assert show(None) == show("  ") == "a blank cell"
    assert show("x") == '"x"' and show(2.0) == "2"


# -- QPWERM: a discount rate near -1 is refused on its row, not as a result too large (review) --

def test_qpwerm_discount_factor_beyond_the_limit_names_the_row():
    # 1 / (1 - 0.99)^100 = 100^100 = 10^200 > 10^13 (MAX_MONEY): refused on reading row 1.
    assert refused(lambda: QPWERM([[1, 1, 100, -0.99]], CT_BLANK)) == (
        "QPWERM: scenarios row 1 Years/Discount Rate: a discount rate of -0.99 over 100 years multiplies "
        "the exit value by 1 / (1 + rate)^years = about 10^200, beyond the limit of 10,000,000,000,000; "
        "check the Years and the Discount Rate")
    # Row 2 (after a header): 1 / (1 - 0.5)^10 = 2^10 = 1,024; 10,000,000,000 x 1,024 =
    # 10,240,000,000,000 >= 10^13: the present value is refused, the factor alone is not.
    text = refused(lambda: QPWERM([["Exit Value", "Probability", "Years", "Discount Rate"],
                                   [1e10, 1, 10, -0.5]], CT_BLANK))
    assert text.startswith("QPWERM: scenarios row 2 Years/Discount Rate: a discount rate of -0.5 over 10 years "
                           "makes the exit value of 10000000000 worth $10,240,000,000,000.00 today")
    # Below the limit it is answered: 9,000,000,000 x 1,024 = 9,216,000,000,000.
    assert QPWERM([[9e9, 1, 10, -0.5]], CT_BLANK)[-1][2] == 9_216_000_000_000.0
