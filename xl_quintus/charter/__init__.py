"""The Quintus charter (Restated Certificate of Incorporation, 1999) as an exact engine.

One module per part of Article IV: ``terms`` (IV.A, IV.B terms as data), ``cap_table``,
``dividends`` (Section 1), ``liquidation`` (Section 2), ``election`` (3(a) choices),
``conversion`` (3(a)-(c), (f), (h), (i), Section 7), ``anti_dilution`` (3(d)), ``voting``
(Sections 4, 5), ``approvals`` (Section 6 and other consents). The engine knows nothing of Excel.

``CLAUSES`` maps every Article and Section of the charter (and the lettered sub-clauses the
engine applies) to the functions that apply it, by dotted path, or says in one line why it is
not modelled. ``tests/test_clauses.py`` checks every function named exists and every part of
the charter text appears.
"""

from __future__ import annotations

import importlib

_C = "xl_quintus.charter."
_NOT = "not modelled: "

CLAUSES: dict[str, tuple[str, ...] | str] = {
    "Article I": _NOT + "the corporation's name only (a terms file's [charter] name)",
    "Article II": _NOT + "the registered office and agent: nothing to compute",
    "Article III": _NOT + "the corporation's purpose: nothing to compute",
    "Article IV": (_C + "terms.Charter",),
    "IV.A": (_C + "cap_table.CapTable.authorized_findings", _C + "cap_table.CapTable.validate"),
    "IV.B": (_C + "terms.Charter", _C + "terms.charter_with_series", _C + "terms.load_charter"),
    "IV.B.1": (_C + "dividends.cash_dividend",),
    "IV.B.1(a)": (_C + "dividends.cash_dividend", _C + "dividends.parity_level"),
    "IV.B.1(b)": (_C + "dividends.as_converted_distribution",),
    "IV.B.2": (_C + "liquidation.Waterfall.distribute",),
    "IV.B.2(a)": (_C + "liquidation.Waterfall._preferences", _C + "liquidation.pay_ratably",
                  _C + "liquidation.proceeds_not_negative", _C + "liquidation.proceeds_with_exercise"),
    "IV.B.2(b)": (_C + "liquidation.Waterfall.participants", _C + "liquidation.proviso_2b_until_cap"),
    "IV.B.2(c)": _NOT + "which events are liquidations is the user's call: a merger or sale is "
                 "priced by passing its proceeds to the same waterfall",
    "IV.B.2(d)": _NOT + "the Board values a non-cash distribution in good faith: the user passes that fair value",
    "IV.B.3": (_C + "conversion.conversion_rate",),
    "IV.B.3(a)": (_C + "conversion.conversion_rate", _C + "conversion.cash_amount_due",
                  _C + "liquidation.Waterfall._cash_amounts", _C + "election.OptimalElection.run",
                  _C + "election.fixed_election"),
    "IV.B.3(b)": (_C + "conversion.ipo_conversion", _C + "conversion.offering_price"),
    "IV.B.3(b)(i)": (_C + "conversion.qualified_ipo",),
    "IV.B.3(b)(ii)": (_C + "conversion.ipo_ratchet_rate", _C + "approvals.requirements"),
    "IV.B.3(b)(iii)": (_C + "conversion.ipo_ratchet_rate", _C + "approvals.requirements"),
    "IV.B.3(b)(iv)": (_C + "conversion.qualified_ipo", _C + "approvals.requirements"),
    "IV.B.3(c)": (_C + "conversion.ipo_conversion", _C + "liquidation.pay_ratably"),
    "IV.B.3(d)": (_C + "anti_dilution.run_ledger",),
    "IV.B.3(d)(i)": (_C + "anti_dilution._State.dilute", _C + "anti_dilution.proviso_3d_i_b_carry_forward",
                     _C + "anti_dilution._State.anniversaries", _C + "anti_dilution._change_terms"),
    "IV.B.3(d)(ii)": (_C + "anti_dilution._apply",),
    "IV.B.3(d)(iii)": (_C + "anti_dilution._State.split",),
    "IV.B.3(d)(iv)": (_C + "anti_dilution._State.split",),
    "IV.B.3(e)": (_C + "dividends.as_converted_distribution",),
    "IV.B.3(f)": (_C + "conversion.recapitalization_entitlement",),
    "IV.B.3(g)": _NOT + "a covenant not to impair the conversion rights: nothing to compute",
    "IV.B.3(h)": (_C + "conversion.common_on_conversion",),
    "IV.B.3(i)": (_C + "conversion.reservation", _C + "conversion.reservation_with_instruments"),
    "IV.B.4": (_C + "voting.last_notice_date",),
    "IV.B.5": (_C + "voting.votes", _C + "voting.board"),
    "IV.B.5(a)": (_C + "voting.voting_shift_period", _C + "voting.board"),
    "IV.B.5(b)": (_C + "voting.board",),
    "IV.B.5(c)": (_C + "voting.votes", _C + "voting.voting_power"),
    "IV.B.6": (_C + "approvals.requirements", _C + "approvals.tally"),
    "IV.B.6(a)": (_C + "approvals.requirements",),
    "IV.B.6(a)(i)": (_C + "approvals.requirements",),
    "IV.B.6(a)(ii)": (_C + "approvals.requirements",),
    "IV.B.6(a)(iii)": (_C + "approvals.requirements",),
    "IV.B.6(a)(iv)": (_C + "approvals.requirements",),
    "IV.B.6(a)(v)": (_C + "approvals.requirements",),
    "IV.B.6(b)": (_C + "approvals.requirements",),
    "IV.B.6(c)": (_C + "approvals.requirements",),
    "IV.B.6(d)": (_C + "approvals.requirements",),
    "IV.B.6(e)": (_C + "approvals.requirements",),
    "IV.B.6(f)": (_C + "approvals.requirements",),
    "IV.B.7": (_C + "conversion.ipo_conversion",),
    "IV.C": (_C + "terms.Charter",),
    "IV.C.1": (_C + "dividends.cash_dividend",),
    "IV.C.2": (_C + "liquidation.Waterfall.distribute",),
    "IV.C.3": _NOT + "Common Stock is not redeemable: nothing to compute",
    "IV.C.4": (_C + "voting.votes",),
    "Article V": _NOT + "the Board's power over the bylaws: nothing to compute",
    "Article VI": (_C + "voting.board",),
    "Article VII": _NOT + "directors need not be elected by written ballot: nothing to compute",
    "Article VIII": _NOT + "where meetings are held and books kept: nothing to compute",
    "Article IX": _NOT + "directors' personal liability: nothing to compute",
    "Article X": (_C + "approvals.requirements",),
}


def resolve(path: str):
    """The function (or class, or method) a dotted path in ``CLAUSES`` names."""
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(f"no module in {path}")
