"""The Excel functions of xl-quintus (xlwings custom functions).

Thin on purpose: each function reads its arguments with ``arguments``, calls the charter
engine (``exit.model.model_for`` for a waterfall model), and returns a number or a table that
spills (shaped by ``xl_quintus.tables``). Bad input fails with one line
naming the function, the argument, the value and the clause or rule (``QuintusExcelError``,
an ``xlwings.XlwingsError``, which xlwings Server and Lite show as ``#VALUE!`` with that
message and classic xlwings shows in the cell).

Classic xlwings: set "UDF Modules" to ``xl_quintus.excel`` and Import Functions.
xlwings Lite / Server: ``from xl_quintus.excel import *`` in ``main.py`` / the functions module.
"""

from __future__ import annotations

import functools
import inspect
from fractions import Fraction

import numpy as np
import xlwings
from xlwings import arg, func

from . import arguments
from ..charter.anti_dilution import run_ledger
from ..charter.approvals import requirements, resolve_action, tally
from ..charter.dividends import as_converted_distribution, cash_dividend, dividends_owed
from ..charter.conversion import (Offering, cash_amount_due, common_on_conversion, conversion_rate, ipo_conversion,
                         ipo_ratchet_rate, recapitalization_entitlement, reservation,
                         reservation_with_instruments)
from ..errors import CharterError
from ..exit.model import model_for
from ..exit.valuation import DLOM_METHODS, Market, Scenario, backsolve, dlom, opm, pwerm
from ..numbers import ZERO, exact, to_cents, to_float
from ..tables import (TERMS, approval_table, board_table, breakpoints_table, check_table, dividend_table, election_table,
                      ipo_table, ledger_table, payout_value, term_value, voting_power_table, waterfall_table)
from ..tables import valuation_table
from ..charter.voting import board, last_notice_date, voting_power, voting_shift_period, votes


__all__ = ['QWATERFALL', 'QPAYOUT', 'QBREAKPOINTS', 'QELECTION', 'QTERMS', 'QCONVERT', 'QCASH', 'QIPO', 'QRECAP', 'QVOTES', 'QVOTINGPOWER', 'QBOARD', 'QAPPROVAL', 'QNOTICE', 'QCHECK', 'QDIVIDEND', 'QCONVPRICE', 'QCONVLEDGER', 'QOPM', 'QBACKSOLVE', 'QPWERM', 'QDLOM', 'QuintusExcelError']


class QuintusExcelError(xlwings.XlwingsError):
    """One clear line for the cell: FUNCTION: argument: value and rule."""

    MAX_LENGTH = 400

    def __init__(self, message: str):
        one_line = message.replace("\r", "\\r").replace("\n", "\\n")
        if len(one_line) > self.MAX_LENGTH:
            one_line = one_line[: self.MAX_LENGTH - 3] + "..."
        super().__init__(one_line)


# The engine names the charter term an error is about (``CharterError.term``); this is the one
# place that says which argument of a Q-function carries each term: the first of these the
# function has. A term not listed is shown as it is.
TERM_ARGUMENTS = {
    "proceeds": ("proceeds",),
    "cap table": ("cap_table",),
    "conversion election": ("conversions",),
    "Conversion Price": ("conversion_prices", "conversion_price"),
    "unpaid dividends": ("unpaid_dividends",),
    "declared but unpaid dividends": ("declared_unpaid_dividend_per_share", "unpaid_dividends"),
    "public offering price": ("ipo_price", "price_per_share"),
    "aggregate offering price": ("aggregate_offering",),
    "recapitalization": ("per_common_share",),
    "dividend": ("declared",),
    "action": ("action",),
    "affected series": ("affected_series",),
    "consents": ("consents",),
    "event": ("events", "conversion_prices"),
    "payee": ("who",),
    "as of": ("as_of",),
    # valuation (exit/valuation.py)
    "equity value": ("equity_value",),
    "volatility": ("volatility",),
    "years": ("years",),
    "risk-free rate": ("risk_free_rate",),
    "price per share": ("price_per_share",),
    "valued class": ("class",),
    "scenario probabilities": ("scenarios",),
    "DLOM method": ("method",),
}


def argument_of(error: CharterError, fn) -> str | None:
    """The argument of ``fn`` an engine error is about (with the row, for a row of a range)."""
    if error.argument or not error.term:
        return error.where()
    params = _parameters(fn)
    candidates = TERM_ARGUMENTS.get(error.term, (error.term,))
    name = next((a for a in candidates if a in params), candidates[0])
    return name if error.row is None else f"{name} row {error.row}"


@functools.lru_cache(maxsize=None)
def _parameters(fn) -> frozenset:
    return frozenset(inspect.signature(fn).parameters)


def excel_errors(fn):
    """Turn any failure into a one-line ``QuintusExcelError`` naming the function and, for
    an engine error, the argument that carries the charter term it names. The call itself is
    checked first (:func:`_check_call`): a required argument not given, too many arguments, or
    a keyword the function does not have is refused in one line naming it, never a
    ``TypeError``. ``functools.wraps`` keeps ``__wrapped__``, so ``inspect.signature`` (and
    xlwings registering the function) sees ``fn``'s own arguments."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _check_call(fn, args, kwargs)
        try:
            return arguments.result_within_limits(fn(*args, **kwargs))
        except QuintusExcelError:
            raise
        except CharterError as e:
            where = argument_of(e, fn)
            raise QuintusExcelError(f"{fn.__name__}: {where}: {e.message}" if where else f"{fn.__name__}: {e.message}") from None
        except Exception as e:  # a defect, still never a traceback in a cell
            raise QuintusExcelError(f"{fn.__name__}: could not compute ({type(e).__name__}: {e})") from None

    return wrapper


@functools.cache
def _signature(fn) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(every argument name in order, the required ones) of ``fn``."""
    params = inspect.signature(fn).parameters
    return tuple(params), tuple(k for k, p in params.items() if p.default is inspect.Parameter.empty)


def _check_call(fn, args: tuple, kwargs: dict) -> None:
    """A call gives at most as many arguments as ``fn`` has, names by keyword only arguments
    it has, each once, and gives every required one (by position or by name)."""
    names, required = _signature(fn)
    if len(args) > len(names):
        raise QuintusExcelError(f"{fn.__name__}: {len(args)} arguments given; it takes at most {len(names)}")
    unknown = [k for k in kwargs if k not in names]
    if unknown:
        raise QuintusExcelError(f"{fn.__name__}: no argument named {unknown[0]}; its arguments are {', '.join(names)}")
    twice = [k for k in kwargs if k in names[:len(args)]]
    if twice:
        raise QuintusExcelError(f"{fn.__name__}: {twice[0]} is given twice, by position and by name")
    missing = [k for k in required if k not in names[:len(args)] and k not in kwargs]
    if missing:
        raise QuintusExcelError(f"{fn.__name__}: {missing[0]} is required; the call does not give it")


# Shared argument help, so every function describes an input the same way.
DOC_PROCEEDS = "Proceeds available to stockholders (2(c) deemed liquidations included; non-cash at fair value, 2(d)). Rounded to the cent."
DOC_CAP_TABLE = "Range of rows Holder | Class | Shares, or Class | Shares. A header row and blank rows are skipped. Options and warrants: a header Holder | Class | Shares | Exercise Price, and the price on their rows."
DOC_CONVERSIONS = 'Who converts: "optimal" (default: each holder\'s best choice, A-D by majority, 3(a); when those choices cycle A-D elects first and the others settle, see QELECTION), "none", "all", or names like "A-D, E, G-2". A-D convert only together; a label covering every A-D series present ("A" when only A is outstanding) is the A-D election.'
DOC_CPS = "Optional Conversion Prices (3(d)): a range Class | Conversion Price, an events range (Date | Event | Shares | Consideration | Ref, run through the 3(d) ledger), or a QCONVLEDGER table. Unlisted series use their Original Issue Price."
DOC_DIVS = "Optional range Class | unpaid dividends per share, added to the 2(a) preference and the 3(a) Cash Amount (default 0)."
DOC_TERMS = "Optional: a terms range (header Class, Authorized, Issue Price, Seniority, Participation, Cap, ...) adding series to Quintus 1999, or the path of a TOML terms file. Blank: Quintus 1999."
DOC_AS_OF_VALUATION = "Optional valuation date: an events range in conversion_prices runs through the 3(d) ledger to it; cumulative dividends accrue (simple, actual/365) to the exit date, as_of + years x 365 days (years: to the liquidity event, or a scenario's Years), i.e. the accrual to as_of plus the annual rate x years exactly. Required when a series has a Cumulative Dividend."
DOC_AS_OF = "Optional exit (or record) date: cumulative dividends accrue to it (simple, actual/365), and an events range in conversion_prices runs through the 3(d) ledger to it, making the adjustments carried under 3(d)(i)(B) whose 3-year anniversary falls on or before it (blank: just after the last event). Required when a series has a Cumulative Dividend."


def _conversion_prices(value, charter, table, as_of=None):
    """(Conversion Prices by series, split factor) of a ``conversion_prices`` argument: as
    given, or after the 3(d) ledger of its events on ``table``, run to ``as_of`` (the exit
    date; None: just after the last event), carried 3(d)(i)(B) adjustments due by then made."""
    read = arguments.conversion_prices(value, charter)
    if read.events is None:
        return read.prices, Fraction(1)
    ledger = run_ledger(table, list(read.events), as_of)
    return ledger.cps, ledger.split_factor


def _as_of(value):
    """The optional exit / record date: None when blank."""
    return None if arguments.is_blank(arguments.scalar(value, "as_of")) else arguments.excel_date(value, "as_of")


def _model(cap_table, conversions, conversion_prices, unpaid_dividends, terms, as_of=None):
    return _exit_models(cap_table, conversions, conversion_prices, unpaid_dividends, terms, as_of)(ZERO)


def _exit_models(cap_table, conversions, conversion_prices, unpaid_dividends, terms, as_of=None):
    """The arguments read once; then the model of an exit ``years`` after ``as_of`` (0: at
    ``as_of``). The 3(d) ledger runs to ``as_of``; cumulative series accrue their Accruing
    Dividends to the exit date, as_of + years x 365 days (``dividends_owed``): in QOPM,
    QBACKSOLVE and QPWERM ``as_of`` is the valuation date and the liquidity event is later."""
    charter = arguments.charter(terms)
    table = arguments.cap_table(cap_table, charter)
    day = _as_of(as_of)
    cps, _ = _conversion_prices(conversion_prices, charter, table, day)
    divs = arguments.class_values(unpaid_dividends, charter, "unpaid_dividends", "unpaid dividends per share")
    conv = arguments.conversions(conversions, charter, table=table)

    def at(years=ZERO):
        # cumulative series: Accruing Dividends to the exit date
        return model_for(table, cps, dividends_owed(table, divs, day, exact(years)), conv)

    first = at(ZERO)    # an error in the arguments (a cumulative series without as_of) shows here
    return lambda years=ZERO: first if years == 0 else at(years)       # (the cache's key hashed once)


@func
@arg("proceeds", doc=DOC_PROCEEDS)
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE)
@arg("conversions", ndim=2, doc=DOC_CONVERSIONS)
@arg("conversion_prices", ndim=2, doc=DOC_CPS)
@arg("unpaid_dividends", ndim=2, doc=DOC_DIVS)
@arg("by", doc='"class" (default): one row per class; "holder": one row per holder and class.')
@arg("terms", ndim=2, doc=DOC_TERMS)
@arg("as_of", doc=DOC_AS_OF)
@excel_errors
def QWATERFALL(proceeds, cap_table, conversions=None, conversion_prices=None, unpaid_dividends=None, by=None, terms=None, as_of=None):
    """Liquidation waterfall (charter IV.B Section 2): Cash Amounts of converting A-D (3(a)), Series F first, A-E and G pari passu (2(a)), capped participation with Common (2(b)). Columns: Class, Shares, Converts, Cash Amount, Preference, Participation, As Common, Total, Per Share; rows in charter order, then Unallocated if any, then Total. With options and warrants (an Exercise Price column): one row per tranche ("B @ 1.43"), exercised when the payout per share exceeds its price (equal: not), the prices paid joining the proceeds; two more columns Exercise Paid and Net, Net adding up to the proceeds. Under a fixed election exact payouts never fall as proceeds rise, but rounded cents can fall by one cent (largest remainder moves the odd cent)."""
    model = _model(cap_table, conversions, conversion_prices, unpaid_dividends, terms, as_of)
    dist, _ = model.distribution(arguments.money(arguments.scalar(proceeds, "proceeds"), "proceeds"))
    return waterfall_table(model, dist, arguments.choice(by, "by", ("class", "holder"), "class"))


@func
@arg("proceeds", ndim=2, doc=DOC_PROCEEDS + " A column or row of values gives one payout per value, same shape.")
@arg("who", doc='A class ("E", "Series G-3 Preferred", "Common"), a group ("A-D", "G"), or a holder named in the cap table.')
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE)
@arg("conversions", ndim=2, doc=DOC_CONVERSIONS)
@arg("conversion_prices", ndim=2, doc=DOC_CPS)
@arg("unpaid_dividends", ndim=2, doc=DOC_DIVS)
@arg("terms", ndim=2, doc=DOC_TERMS)
@arg("as_of", doc=DOC_AS_OF)
@excel_errors
def QPAYOUT(proceeds, who, cap_table, conversions=None, conversion_prices=None, unpaid_dividends=None, terms=None,
            as_of=None):
    """What one class, group or holder receives in a liquidation (charter IV.B Section 2), in dollars and cents. Give a column of exit values to get a column of payouts. With options and warrants every amount is net of exercise prices, and who may be a tranche ("B @ 1.43"). Under a fixed election exact payouts never fall as proceeds rise, but rounded cents can fall by one cent (largest remainder moves the odd cent between classes and holders)."""
    if not isinstance(proceeds, (list, tuple)):
        model = _model(cap_table, conversions, conversion_prices, unpaid_dividends, terms, as_of)
        payee = model.payee(arguments.text(who, "who", "a class, group or holder"))
        return payout_value(model, arguments.money(proceeds, "proceeds"), payee)
    with arguments.gc_paused():          # from the model on: a collection would scan every row
        model = _model(cap_table, conversions, conversion_prices, unpaid_dividends, terms, as_of)
        payee = model.payee(arguments.text(who, "who", "a class, group or holder"))
        read = arguments.money_range(proceeds, "proceeds")
        if not read.grid:
            raise CharterError("the range of exit values is empty", "proceeds")
        cents = model.payouts_array(read.values, payee)
        if len(cents) and not (0 <= cents.min() and cents.max() <= np.round(read.values.max() * 100)):
            raise CharterError("a payout is outside 0 to its proceeds (a defect; please report it)")
        out = read.fill((cents / 100).tolist())
        return arguments.WithinLimits(out if isinstance(proceeds[0], (list, tuple)) else out[0])


@func
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE)
@arg("conversions", ndim=2, doc=DOC_CONVERSIONS)
@arg("conversion_prices", ndim=2, doc=DOC_CPS)
@arg("unpaid_dividends", ndim=2, doc=DOC_DIVS)
@arg("terms", ndim=2, doc=DOC_TERMS)
@arg("as_of", doc=DOC_AS_OF)
@excel_errors
def QBREAKPOINTS(cap_table, conversions=None, conversion_prices=None, unpaid_dividends=None, terms=None, as_of=None):
    """Every exit value where the split of the next dollar changes: preferences paid (2(a)), Cash Amounts paid (3(a)), caps reached (2(b)), conversions (3(a)), options and warrants coming into the money ("B @ 1.43 exercised"). Columns: Exit Value, Event, Clause, then each class's (and each tranche's) share of each next dollar above that value."""
    model = _model(cap_table, conversions, conversion_prices, unpaid_dividends, terms, as_of)
    return breakpoints_table(model)


@func
@arg("proceeds", doc=DOC_PROCEEDS)
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE)
@arg("conversions", ndim=2, doc=DOC_CONVERSIONS)
@arg("conversion_prices", ndim=2, doc=DOC_CPS)
@arg("unpaid_dividends", ndim=2, doc=DOC_DIVS)
@arg("terms", ndim=2, doc=DOC_TERMS)
@arg("as_of", doc=DOC_AS_OF)
@excel_errors
def QELECTION(proceeds, cap_table, conversions=None, conversion_prices=None, unpaid_dividends=None, terms=None,
              as_of=None):
    """Which series convert before the liquidation (charter IV.B 3(a)) and why: for A-D, the holders better off converted and their share of A-D (a majority elects). Columns: Group, Converts, Rule, Clause, Holders in Favour, Share in Favour; then Mode and Method: sequential, A-D elects first (when the flips cycle, the A-D class vote decides first and the other series follow), search: N stable sets, or as given."""
    model = _model(cap_table, conversions, conversion_prices, unpaid_dividends, terms, as_of)
    _, election = model.explained(arguments.money(arguments.scalar(proceeds, "proceeds"), "proceeds"))
    return election_table(model, election)


@func
@arg("class_", doc='A class: "A", "Series G-3 Preferred", "Common".')
@arg("term", doc="authorized, issue price, dividend rate, cap, cash amount, votes, seniority, participation, conversion group, clause, preference multiple, cumulative dividend, issue date, or anti-dilution (udf_docs/TERMS.md).")
@arg("terms", ndim=2, doc=DOC_TERMS)
@excel_errors
def QTERMS(class_, term, terms=None):
    """One charter term of one class, as the charter states it (IV.A, IV.B): authorized shares, Original Issue Price, dividend rate, 2(b) cap, Cash Amount, votes per share, seniority."""
    charter = arguments.charter(terms)
    cls = charter.resolve(arguments.text(class_, "class", "a class"), "class")
    return term_value(charter, cls, arguments.choice(term, "term", TERMS))


# -- Section 3: conversion -------------------------------------------------------------------

@func
@arg("class_", doc='The series converting: "A" ... "G-6", "Series E Preferred".')
@arg("shares", doc="Shares of that series converting (a whole number).")
@arg("conversion_price", doc="Optional Conversion Price (3(d)); default the Original Issue Price.")
@arg("ipo_price", doc="Optional public offering price at a qualified IPO: applies the 3(b)(ii)/(iii) ratchets of E ($8.30) and F ($11.00).")
@arg("terms", ndim=2, doc=DOC_TERMS)
@excel_errors
def QCONVERT(class_, shares, conversion_price=None, ipo_price=None, terms=None):
    """Whole shares of Common issued on converting a holding (charter IV.B 3(a): shares x Original Issue Price / Conversion Price; 3(b)(ii)/(iii) ratchets when ipo_price is given; 3(h) rounded to the nearest whole share, half up, on the holding as one conversion)."""
    charter = arguments.charter(terms)
    series_terms = charter.terms(arguments.series(class_, charter))
    n = arguments.whole_shares(arguments.scalar(shares, "shares"), "shares")
    cp = arguments.optional_price(conversion_price, "conversion_price", "a Conversion Price")
    price = arguments.optional_price(ipo_price, "ipo_price", "an IPO price")
    rate = conversion_rate(series_terms, cp) if price is None else ipo_ratchet_rate(series_terms, cp, price)
    return common_on_conversion(n * rate)


@func
@arg("class_", doc='The series converting: "A" ... "D" have Cash Amounts; others give 0.')
@arg("shares", doc="Shares of that series converting (a whole number).")
@arg("declared_unpaid_dividend_per_share", doc="Optional declared but unpaid dividends per share, added to the Cash Amount (3(a)).")
@arg("terms", ndim=2, doc=DOC_TERMS)
@excel_errors
def QCASH(class_, shares, declared_unpaid_dividend_per_share=None, terms=None):
    """The Cash Amount due on converting a holding (charter IV.B 3(a)): A $0.925, B $1.325, C $1.765, D $2.544 per share plus declared but unpaid dividends; 0 for E, F and G. In dollars and cents."""
    charter = arguments.charter(terms)
    series_terms = charter.terms(arguments.series(class_, charter))
    n = arguments.whole_shares(arguments.scalar(shares, "shares"), "shares")
    raw = arguments.scalar(declared_unpaid_dividend_per_share, "declared_unpaid_dividend_per_share")
    div = None if arguments.is_blank(raw) else arguments.per_share(
        raw, "declared_unpaid_dividend_per_share", "an unpaid dividend per share")
    return arguments.money_result(to_cents(cash_amount_due(series_terms, n, div or 0, charter.clauses.get("cash_amounts"))),
                                  "the Cash Amount")


@func
@arg("price_per_share", doc="Public offering price per share.")
@arg("aggregate_offering", doc="Aggregate public offering price; at least $40,000,000 qualifies (3(b)).")
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE)
@arg("conversion_prices", ndim=2, doc=DOC_CPS)
@arg("firm_commitment", doc="TRUE (default) for a firm commitment underwritten offering on Form S-1; FALSE otherwise (nothing converts).")
@arg("legally_available", doc="Optional funds legally available for Cash Amounts; when short they are paid ratably and the rest is owed (3(c)).")
@arg("unpaid_dividends", ndim=2, doc="Optional range Class | declared but unpaid dividends per share, added to the Cash Amounts (3(a)).")
@arg("terms", ndim=2, doc=DOC_TERMS)
@arg("as_of", doc=DOC_AS_OF)
@excel_errors
def QIPO(price_per_share, aggregate_offering, cap_table, conversion_prices=None, firm_commitment=None,
         legally_available=None, unpaid_dividends=None, terms=None, as_of=None):
    """Automatic conversion at a public offering (charter IV.B 3(b)): per holder and series the Common issued (3(h) rounding on each holder's aggregate conversion, E and F ratchets) and the Cash Amount (3(a), 3(c)). Columns: Holder, Class, Shares, Common Issued, Cash Amount (and Cash Owed when legally_available is given); then Total, the 3(i) reservation, the preferred cancelled (7), and whether the offering was qualified."""
    charter = arguments.charter(terms)
    table = arguments.cap_table(cap_table, charter)
    offering = Offering(
        price_per_share=arguments.optional_price(price_per_share, "price_per_share", "a price per share")
        or _missing("price_per_share"),
        aggregate=arguments.money(arguments.scalar(aggregate_offering, "aggregate_offering"), "aggregate_offering"),
        firm_commitment=arguments.boolean(firm_commitment, "firm_commitment", True))
    cps, split_factor = _conversion_prices(conversion_prices, charter, table, _as_of(as_of))
    result = ipo_conversion(
        table, offering, cps,
        arguments.optional_money(legally_available, "legally_available"),
        arguments.class_values(unpaid_dividends, charter, "unpaid_dividends", "unpaid dividends per share"),
        split_factor)
    return ipo_table(result, charter, show_owed=legally_available not in (None, ""), tranches=table.tranches)


@func
@arg("class_", doc='The series: "A" ... "G-6".')
@arg("shares", doc="Shares of that series held (a whole number).")
@arg("per_common_share", doc="What the recapitalization gave each share of Common (new shares, units of a security, or dollars of property).")
@arg("conversion_price", doc="Optional Conversion Price (3(d)); default the Original Issue Price.")
@arg("terms", ndim=2, doc=DOC_TERMS)
@excel_errors
def QRECAP(class_, shares, per_common_share, conversion_price=None, terms=None):
    """What a preferred holding is entitled to on conversion after a recapitalization of the Common (charter IV.B 3(f)): the Common it converts into (shares x Original Issue Price / Conversion Price, 3(a)) times what each share of Common received. Not rounded: the recapitalization's own terms settle fractions."""
    charter = arguments.charter(terms)
    series_terms = charter.terms(arguments.series(class_, charter))
    n = arguments.whole_shares(arguments.scalar(shares, "shares"), "shares")
    per = arguments.per_share(arguments.scalar(per_common_share, "per_common_share"), "per_common_share",
                              "what each share of Common received")
    cp = arguments.optional_price(conversion_price, "conversion_price", "a Conversion Price")
    return to_float(recapitalization_entitlement(series_terms, n, per, cp, charter.clauses.get("recapitalization")))


def _missing(argument):
    raise CharterError("is required; the cell is blank", argument)


# -- Sections 4-6: votes, board, approvals, notices; IV.A checks ------------------------------

@func
@arg("class_", doc='A class: "A" ... "G-6" or "Common".')
@arg("shares", doc="Shares held (a whole number).")
@arg("conversion_price", doc="Optional Conversion Price (3(d)); default the Original Issue Price.")
@arg("terms", ndim=2, doc=DOC_TERMS)
@excel_errors
def QVOTES(class_, shares, conversion_price=None, terms=None):
    """Votes of one holding (charter IV.B 5(c), IV.C.4): Series A 10 and B-G 14 votes per share of Common the holding could convert into (as-converted count rounded to the nearest whole share, half up), Common 1 per share."""
    charter = arguments.charter(terms)
    cls = charter.resolve(arguments.text(class_, "class", "a class"), "class")
    n = arguments.whole_shares(arguments.scalar(shares, "shares"), "shares")
    cp = arguments.optional_price(conversion_price, "conversion_price", "a Conversion Price")
    return votes(charter, cls, n, cp)


@func
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE)
@arg("conversion_prices", ndim=2, doc=DOC_CPS)
@arg("terms", ndim=2, doc=DOC_TERMS)
@arg("as_of", doc=DOC_AS_OF)
@excel_errors
def QVOTINGPOWER(cap_table, conversion_prices=None, terms=None, as_of=None):
    """Votes per holder and class (charter IV.B 5(c), IV.C.4), rounded per holder per series. Columns: Holder, Class, Shares, Votes, Percent (a fraction of all votes: format as %); then Total."""
    charter = arguments.charter(terms)
    table = arguments.cap_table(cap_table, charter)
    cps, _ = _conversion_prices(conversion_prices, charter, table, _as_of(as_of))
    return voting_power_table(voting_power(table, cps))


@func
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE)
@arg("authorized_directors", doc="Directors authorized by the bylaws (Article VI); default 5. At least 5 during a Voting Shift Period (5(a)(i)).")
@arg("conversion_prices", ndim=2, doc=DOC_CPS)
@arg("terms", ndim=2, doc=DOC_TERMS)
@arg("as_of", doc=DOC_AS_OF)
@excel_errors
def QBOARD(cap_table, authorized_directors=None, conversion_prices=None, terms=None, as_of=None):
    """Who elects the board (charter IV.B 5(a), 5(b)). First row: Voting Shift Period TRUE/FALSE (the preferred hold at most 50% of all votes). Then Constituency, Seats, Clause: in a Voting Shift Period A and B together elect 3/4 of the board (rounded, half up), C one, Common the rest; otherwise C one and all classes together the rest."""
    charter = arguments.charter(terms)
    table = arguments.cap_table(cap_table, charter)
    cps, _ = _conversion_prices(conversion_prices, charter, table, _as_of(as_of))
    rules = charter.board_rules()
    raw = arguments.scalar(authorized_directors, "authorized_directors")
    requested = rules.default_directors if arguments.is_blank(raw) else arguments.whole_shares(
        raw, "authorized_directors", noun="directors")
    shift = voting_shift_period(table, voting_power(table, cps))
    size, seats = board(table, requested, shift)
    return board_table(rules, shift, size, seats, requested)


@func
@arg("action", doc='The clause of the action: 6(a)(i) ... 6(a)(v), 6(b), 6(c), 6(d), 6(e), 6(f), 2(b), 3(a), 3(b)(ii), 3(b)(iii), 3(b)(iv), 3(d)(ii)(B), IV.A; or an alias such as "merger", "stock plan", "convert E".')
@arg("consents", ndim=2, doc="Range of consenting holdings: Holder | Class | Shares, or Class | Shares.")
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE)
@arg("affected_series", ndim=2, doc='For 6(c): the adversely affected series, e.g. "E" or "E, G-2".')
@arg("conversion_prices", ndim=2, doc=DOC_CPS)
@arg("terms", ndim=2, doc=DOC_TERMS)
@excel_errors
def QAPPROVAL(action, consents, cap_table, affected_series=None, conversion_prices=None, terms=None):
    """Every approval the charter requires for an action and whether the consents meet it (charter IV.B Section 6, 3(a), 3(b), 3(d)(ii)(B), IV.A). Counts outstanding shares or votes; "majority" is more than 50%, "at least X%" is X% or more. Columns: Requirement, Clause, Threshold, In Favour, Outstanding, Met, Shortfall; last row Approved TRUE/FALSE."""
    charter = arguments.charter(terms)
    table = arguments.cap_table(cap_table, charter)
    consent_rows: list[int] = []
    yes = arguments.cap_table(consents, charter, "consents", rows_of=consent_rows)
    act = resolve_action(arguments.text(action, "action", "an action"), charter)
    reqs = requirements(table, act, arguments.series_list(affected_series, charter, "affected_series"))
    cps, _ = _conversion_prices(conversion_prices, charter, table)
    rows = tuple(consent_rows) if len(consent_rows) == len(yes.holdings) else None
    return approval_table(tally(table, yes, reqs, cps, consent_rows=rows))


@func
@arg("record_date", doc="The record date (a date cell, an Excel date number, or text like 2026-12-31).")
@arg("terms", ndim=2, doc=DOC_TERMS)
@excel_errors
def QNOTICE(record_date, terms=None):
    """The last day the Section 4 notice of a record date may be mailed to holders of Preferred Stock: at least 20 days before the record date (charter IV.B Section 4; another charter's notice_days)."""
    return last_notice_date(arguments.charter(terms), arguments.excel_date(record_date, "record_date"))


@func
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE)
@arg("conversion_prices", ndim=2, doc=DOC_CPS)
@arg("terms", ndim=2, doc=DOC_TERMS)
@excel_errors
def QCHECK(cap_table, conversion_prices=None, terms=None):
    """Findings a banker can act on: shares beyond the authorized size of a series (IV.B) or of all preferred (33,000,000) and Common (100,000,000) (IV.A), rows naming no class, and the 3(i) reservation of Common for conversion. One row OK when all hold. Columns: Check, Clause, Finding."""
    charter = arguments.charter(terms)
    unknown: list = []
    table = arguments.cap_table(cap_table, charter, unknown=unknown)
    cps, _ = _conversion_prices(conversion_prices, charter, table)
    return check_table(table, unknown, reservation(table, cps), reservation_with_instruments(table, cps))


# -- Section 1: dividends ------------------------------------------------------------------------

@func
@arg("declared", doc="The total declared for the year (cash), or the fair value of a non-cash distribution.")
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE)
@arg("kind", doc='"cash" (default, 1(a)) or "non-cash" (1(b), 3(e): shared as if the preferred had converted on the record date).')
@arg("conversion_prices", ndim=2, doc=DOC_CPS + " Used for non-cash distributions.")
@arg("by", doc='"class" (default) or "holder": one row per holder and class.')
@arg("terms", ndim=2, doc=DOC_TERMS)
@arg("as_of", doc=DOC_AS_OF)
@excel_errors
def QDIVIDEND(declared, cap_table, kind=None, conversion_prices=None, by=None, terms=None, as_of=None):
    """A dividend split (charter IV.B Section 1): preferred first at their annual rates ($0.20 ... $1.667), ratably when short; the rest to Common per share, with no preferred share getting less per share than Common ("if greater", 1(a)); non-cumulative. Columns: Class, Shares, Amount, Per Share, Clause; then Total."""
    charter = arguments.charter(terms)
    table = arguments.cap_table(cap_table, charter)
    amount = arguments.money(arguments.scalar(declared, "declared"), "declared")
    day = _as_of(as_of)
    if arguments.choice(kind, "kind", ("cash", "non-cash"), "cash") == "cash":
        lines = cash_dividend(table, amount, day)
    else:
        cps, _ = _conversion_prices(conversion_prices, charter, table, day)
        lines = as_converted_distribution(table, amount, cps)
    return dividend_table(table, lines, amount, arguments.choice(by, "by", ("class", "holder"), "class"))


# -- Section 3(d): anti-dilution -----------------------------------------------------------------

DOC_EVENTS = "Range Date | Event | Shares | Consideration | Ref. Events: Purchase (Ref: series), Issue, Excluded (Ref: letter B-M), Grant, Amend, Expire, Exercise (Ref: instrument id), Split, Combine (Shares: the ratio)."


@func
@arg("class_", doc='The series: "A" ... "G-6".')
@arg("events", ndim=2, doc=DOC_EVENTS)
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE + " The position before the first event.")
@arg("as_of", doc="Optional date: the Conversion Price in effect then (3-year carried adjustments due by then are made). Default: after the last event.")
@arg("terms", ndim=2, doc=DOC_TERMS)
@excel_errors
def QCONVPRICE(class_, events, cap_table, as_of=None, terms=None):
    """A series' Conversion Price after the charter IV.B 3(d) adjustments: weighted average CP x (A + B) / (A + C) for Additional Stock below the CP, sub-cent adjustments carried forward (3(d)(i)(B)), options deemed issued (3(d)(i)(E)), excluded issuances (3(d)(ii)), splits and combinations (3(d)(iii)-(iv))."""
    charter = arguments.charter(terms)
    cls = arguments.series(class_, charter)
    table = arguments.cap_table(cap_table, charter)
    day = None if arguments.is_blank(arguments.scalar(as_of, "as_of")) else arguments.excel_date(as_of, "as_of")
    ledger = run_ledger(table, arguments.events(events, charter), day)
    if cls not in ledger.cps:
        raise CharterError(f"Series {cls} is neither in the cap table nor purchased in the events", "class")
    return to_float(ledger.cps[cls])


@func
@arg("events", ndim=2, doc=DOC_EVENTS)
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE + " The position before the first event.")
@arg("terms", ndim=2, doc=DOC_TERMS)
@excel_errors
def QCONVLEDGER(events, cap_table, terms=None):
    """The charter IV.B 3(d) ledger: one row per event (and per 3-year carried adjustment), with the clause applied, then for each series its Conversion Price after the event and the amount carried forward under 3(d)(i)(B). Columns: Date, Event, Clause, then <series> CP, <series> Carried."""
    charter = arguments.charter(terms)
    table = arguments.cap_table(cap_table, charter)
    ledger = run_ledger(table, arguments.events(events, charter))
    return ledger_table(ledger, [s for s in charter.classes if s in ledger.cps])


# -- valuation: OPM, backsolve, PWERM, DLOM ------------------------------------------------------

DOC_VOL = "Annual volatility of the total equity value, a decimal (0.6 for 60%)."
DOC_YEARS = "Years to the liquidity event."
DOC_RFR = "Risk-free rate, a continuously compounded annual decimal (0.04 for 4%), as in Black-Scholes."


def _market(volatility, years, risk_free_rate):
    return Market(arguments.volatility(volatility), arguments.years(years), arguments.rate(risk_free_rate))


@func
@arg("equity_value", doc="Total equity value today (the OPM's underlying), in dollars. Rounded to the cent.")
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE)
@arg("volatility", doc=DOC_VOL)
@arg("years", doc=DOC_YEARS)
@arg("risk_free_rate", doc=DOC_RFR)
@arg("conversions", ndim=2, doc=DOC_CONVERSIONS)
@arg("conversion_prices", ndim=2, doc=DOC_CPS)
@arg("unpaid_dividends", ndim=2, doc=DOC_DIVS)
@arg("terms", ndim=2, doc=DOC_TERMS)
@arg("as_of", doc=DOC_AS_OF_VALUATION)
@excel_errors
def QOPM(equity_value, cap_table, volatility, years, risk_free_rate, conversions=None, conversion_prices=None,
         unpaid_dividends=None, terms=None, as_of=None):
    """Option pricing method: each class's value today = discounted risk-neutral expectation of its exact Section 2 payout (3(a) elections, jumps included) under a lognormal equity value at the liquidity event `years` after as_of (the valuation date; cumulative dividends accrue to that exit); closed form (call spreads and digitals). Columns: Class, Shares, Value, Per Share, Share of Equity; one row per class, then per option/warrant tranche (net of its exercise price), then Total (= equity_value to the cent)."""
    at_exit = _exit_models(cap_table, conversions, conversion_prices, unpaid_dividends, terms, as_of)
    market = _market(volatility, years, risk_free_rate)
    model = at_exit(market.years)          # cumulative dividends accrued to the liquidity event
    s0 = arguments.money(arguments.scalar(equity_value, "equity_value"), "equity_value")
    return valuation_table(model, opm(model, s0, market))


@func
@arg("class_", doc='The class whose price is known: "G-6", "Series F Preferred", "Common".')
@arg("price_per_share", doc="The price per share of that class (e.g. the latest round's issue price).")
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE)
@arg("volatility", doc=DOC_VOL)
@arg("years", doc=DOC_YEARS)
@arg("risk_free_rate", doc=DOC_RFR)
@arg("conversions", ndim=2, doc=DOC_CONVERSIONS)
@arg("conversion_prices", ndim=2, doc=DOC_CPS)
@arg("unpaid_dividends", ndim=2, doc=DOC_DIVS)
@arg("terms", ndim=2, doc=DOC_TERMS)
@arg("as_of", doc=DOC_AS_OF_VALUATION)
@excel_errors
def QBACKSOLVE(class_, price_per_share, cap_table, volatility, years, risk_free_rate, conversions=None,
               conversion_prices=None, unpaid_dividends=None, terms=None, as_of=None):
    """The total equity value, to the cent, at which QOPM values class_ at price_per_share per share (the least such whole-cent value). An error when no equity value reaches the price, or when several do (a payout that jumps down where another group converts, 3(a))."""
    at_exit = _exit_models(cap_table, conversions, conversion_prices, unpaid_dividends, terms, as_of)
    market = _market(volatility, years, risk_free_rate)
    model = at_exit(market.years)          # cumulative dividends accrued to the liquidity event
    cls = model.cap_table.charter.resolve(arguments.text(class_, "class", "a class"), "class")
    if cls not in model.cap_table.classes_present:
        raise CharterError(f'"{class_}" has no shares in the cap table', "class")
    price = arguments.optional_price(price_per_share, "price_per_share", "a price per share")
    if price is None:
        raise CharterError("needs a price per share; the cell is blank", "price_per_share")
    value = backsolve(model, cls, model.cap_table.shares(cls), price, market)
    return to_float(value)


@func
@arg("scenarios", ndim=2, doc="Range Exit Value | Probability | Years | Discount Rate (a header row is skipped); probabilities add up to 1.")
@arg("cap_table", ndim=2, doc=DOC_CAP_TABLE)
@arg("conversions", ndim=2, doc=DOC_CONVERSIONS)
@arg("conversion_prices", ndim=2, doc=DOC_CPS)
@arg("unpaid_dividends", ndim=2, doc=DOC_DIVS)
@arg("terms", ndim=2, doc=DOC_TERMS)
@arg("as_of", doc=DOC_AS_OF_VALUATION)
@excel_errors
def QPWERM(scenarios, cap_table, conversions=None, conversion_prices=None, unpaid_dividends=None, terms=None,
           as_of=None):
    """Probability-weighted expected return method: each scenario's exact Section 2 payouts (in cents, as QWATERFALL) times its probability, discounted by (1 + rate)^years, summed; each scenario's cumulative dividends accrue to its exit date, as_of (the valuation date) + Years. Columns: Class, Shares, Value, Per Share, then Total."""
    at_exit = _exit_models(cap_table, conversions, conversion_prices, unpaid_dividends, terms, as_of)
    rows = [Scenario(*r) for r in arguments.scenarios(scenarios)]
    model = at_exit(ZERO)
    return valuation_table(model, pwerm(model, rows, at_exit), share_of_equity=False)


@func
@arg("volatility", doc="Annual volatility of the shares, a decimal (0.6 for 60%).")
@arg("years", doc="Years the shares cannot be sold (the holding period).")
@arg("method", doc='"finnerty" (default; average-strike put, 2012), "chaffe" (European at-the-money put, 1993), or "ghaidarov" (average-strike put at the forward, 2009).')
@arg("risk_free_rate", doc="Optional, chaffe only: continuously compounded risk-free rate (default 0).")
@excel_errors
def QDLOM(volatility, years, method=None, risk_free_rate=None):
    """Discount for lack of marketability as a decimal: Finnerty (2012) average-strike put (default), Chaffe (1993) protective put, or Ghaidarov (2009) average-strike put; dividend yield 0."""
    how = arguments.choice(method, "method", DLOM_METHODS, "finnerty")
    r = arguments.rate(risk_free_rate, "risk_free_rate", default=0.0)
    if how != "chaffe" and r != 0:
        raise CharterError(f"{how}'s formula has no risk-free rate (only chaffe uses one); leave it blank",
                           "risk_free_rate")
    return dlom(arguments.volatility(volatility), arguments.years(years), how, r)
