"""Output faults found last release: engine errors of the valuation carry the charter term
(the Excel layer names the argument, in one place), and a positional call missing a required
argument names it in one line."""

from fractions import Fraction

import pytest

from xl_quintus.charter.cap_table import CapTable
from xl_quintus.charter.terms import quintus
from xl_quintus.errors import CharterError
from xl_quintus.excel import (
    QBACKSOLVE,
    QDLOM,
    QOPM,
    QPWERM,
    QWATERFALL,
    QuintusExcelError,
)
from xl_quintus.excel.functions import TERM_ARGUMENTS
from xl_quintus.exit import valuation
from xl_quintus.exit.model import model_for
from xl_quintus.exit.valuation import Market, Scenario

CT = [["E", 1_000], ["Common", 3_000]]


def _model():
    return model_for(CapTable.of([("E", 1_000), ("Common", 3_000)], quintus()))


@pytest.mark.parametrize("call, term, argument", [
    (lambda: Market(-0.1, 1.0, 0.0), "volatility", "volatility"),
    (lambda: Market(0.5, -1.0, 0.0), "years", "years"),
    (lambda: Market(0.5, 1.0, float("nan")), "risk-free rate", "risk_free_rate"),
    (lambda: valuation.backsolve(_model(), "E", 1_000, 0, Market(0.5, 1.0, 0.0)), "price per share",
     "price_per_share"),
    (lambda: valuation.backsolve(_model(), "E", 0, 5, Market(0.5, 1.0, 0.0)), "valued class", "class"),
    (lambda: valuation.pwerm(_model(), [Scenario(Fraction(10_000), Fraction(1, 2), Fraction(1), Fraction(0))]),
     "scenario probabilities", "scenarios"),
    (lambda: valuation.dlom(0.5, 1.0, "black"), "DLOM method", "method"),
    (lambda: valuation.dlom(-1, 1.0), "volatility", "volatility"),
    (lambda: valuation.allocate_cents([1.0, 5.0], 100), "equity value", "equity_value"),
])
def test_valuation_errors_name_the_term_not_an_excel_argument(call, term, argument):
    with pytest.raises(CharterError) as info:
        call()
    assert info.value.term == term and info.value.argument is None
    # the one table in the Excel layer says which argument carries it
    assert TERM_ARGUMENTS[term][0] == argument


def test_valuation_engine_error_reaches_the_cell_under_the_argument_name():
    # E not converting is capped at $10.375 per share (2(b)): no equity value gives it $20.00
    # (the Excel layer reads price_per_share; this error comes from the engine's backsolve)
    with pytest.raises(QuintusExcelError, match=r"^QBACKSOLVE: price_per_share: no equity value gives E \$20"):
        QBACKSOLVE("E", 20, [["E", 1_000], ["Common", 3_000]], 0.5, 1, 0.0, "none")
    with pytest.raises(QuintusExcelError, match=r"^QPWERM: scenarios: probabilities add up to 0.5, not 1"):
        QPWERM([[10_000, 0.5, 1, 0]], CT)


@pytest.mark.parametrize("call, message", [
    (lambda: QWATERFALL(100), "QWATERFALL: cap_table is required; the call does not give it"),
    (lambda: QWATERFALL(), "QWATERFALL: proceeds is required; the call does not give it"),
    (lambda: QOPM(1e6, CT, 0.5), "QOPM: years is required; the call does not give it"),
    (lambda: QOPM(1e6, CT, 0.5, risk_free_rate=0.04), "QOPM: years is required; the call does not give it"),
    (lambda: QDLOM(), "QDLOM: volatility is required; the call does not give it"),
    (lambda: QDLOM(0.5, 1, None, None, None), "QDLOM: 5 arguments given; it takes at most 4"),
])
def test_a_positional_call_missing_an_argument_names_it(call, message):
    with pytest.raises(QuintusExcelError) as info:
        call()
    assert str(info.value) == message          # one line, never "could not compute (TypeError)"


def test_qcheck_never_shows_a_negative_count_of_unissued_common():
    from xl_quintus.excel import QCHECK

    # 33,000,000 preferred authorized; Common authorized 100,000,000, 100,000,400 outstanding:
    # none is unissued, 400 beyond; converting 600 A needs 600: short 600 + 400 = 1,000
    found = QCHECK([["A", 600], ["Common", 100_000_400]])
    assert found[1][2] == "Common Stock: 100,000,400 shares outstanding exceed the 100,000,000 authorized"
    assert found[2][2] == ("conversion of all outstanding preferred needs 600 Common; none are authorized but "
                           "unissued (the Common outstanding already exceeds the authorized by 400) (short 1,000)")
    # within the authorized, as before: 99,999,900 outstanding leaves 100 (short 500)
    assert QCHECK([["A", 600], ["Common", 99_999_900]])[1][2].endswith(
        "needs 600 Common; only 100 are authorized but unissued (short 500)")
