"""Engine results as tables (lists of rows) in the layouts of ``excel-functions.md``.

Used by the Excel functions and the command line alike. Money leaves here as dollars with
whole cents, each set of parts rounded by largest remainder so it adds up to its whole
(a class's columns to its Total, the classes to the proceeds, holders to their class).
"""

from __future__ import annotations

from fractions import Fraction

from .charter.cap_table import CapTable
from .charter.election import Election, groups_present
from .charter.dividends import line_cents
from .errors import CharterError
from .exit.exercise import ExercisedDistribution, ExerciseModel
from .exit.model import ExitModel, Who
from .charter.liquidation import COMPONENTS, UNALLOCATED, Distribution
from .numbers import cents_to_float, largest_remainder_cents, to_float
from .charter.terms import COMMON, Charter

WATERFALL_HEADER = ["Class", "Shares", "Converts", "Cash Amount", "Preference", "Participation",
                    "As Common", "Total", "Per Share"]


def waterfall_table(model: ExitModel, dist: Distribution, by: str = "class") -> list[list]:
    """QWATERFALL: one row per class (or per holder and class), Unallocated, Total. Each row's
    columns are its Total split by largest remainder; the Total row sums the rows above."""
    if isinstance(dist, ExercisedDistribution):
        return exercised_waterfall_table(dist, by)
    class_cents = dist.class_cents()
    if by == "holder":
        holder_cents = model.holder_cents(dist)
        held_by = {c.cls: dict(model.cap_table.holdings_by_class[c.cls]) for c in dist.classes}
        entries = [([holder], c, held_by[c.cls][holder], holder_cents[holder][c.cls])
                   for holder in model.cap_table.holders for c in dist.classes if held_by[c.cls].get(holder)]
        header, pad = ["Holder"] + WATERFALL_HEADER, [""]
    else:
        entries = [([], c, c.shares, class_cents[c.cls]) for c in dist.classes]
        header, pad = WATERFALL_HEADER, []
    rows: list[list] = []
    sums = [0] * (len(COMPONENTS) + 1)
    split: dict[tuple, list[int]] = {}            # rows of one class with equal shares and cents split alike
    for prefix, c, held, total in entries:
        key = (c.cls, held, total)
        if key not in split:
            split[key] = largest_remainder_cents([c.component(k) * held / c.shares for k in COMPONENTS], total)
        comp = split[key]
        rows.append(prefix + [c.cls, held, c.converts] + [cents_to_float(x) for x in comp + [total]]
                    + [to_float(c.total / c.shares)])
        sums = [s + x for s, x in zip(sums, comp + [total])]
    if dist.unallocated:
        u = class_cents[UNALLOCATED]
        rows.append([UNALLOCATED] + pad + ["", "", 0.0, 0.0, 0.0, 0.0, cents_to_float(u), ""])
        sums[-1] += u
    rows.append(["Total"] + pad + ["", ""] + [cents_to_float(x) for x in sums] + [""])
    return [header] + rows


def exercised_waterfall_table(dist: ExercisedDistribution, by: str = "class") -> list[list]:
    """QWATERFALL on a cap table with options and warrants: class rows (shares outstanding),
    then one row per tranche, Unallocated, Total; two more columns, Exercise Paid and Net.

    Net is rounded first (largest remainder over the rows, adding up to the proceeds);
    Exercise Paid is the price paid rounded to the cent; Total = Net + Exercise Paid, and the
    four clause columns split Total by largest remainder."""
    header = WATERFALL_HEADER + ["Exercise Paid", "Net"]
    entries = []           # (prefix, row, shares, net cents, paid cents)
    if by == "holder":
        header = ["Holder"] + header
        per_row = dist.holder_net_cents
        order = list(dict.fromkeys(h for split in per_row for h, _, _ in split))
        for holder in order:
            for r, split in zip(dist.rows, per_row):
                held = [(n, c) for h, n, c in split if h == holder and n]
                if not held:
                    continue
                n, c = held[0]
                paid = dist.paid_cents(r)
                paid_part = largest_remainder_cents([r.paid * m / r.shares for _, m in r.holders], paid)
                entries.append(([holder], r, n, c, paid_part[[h for h, _ in r.holders].index(holder)]))
    else:
        entries = [([], r, r.shares, c, dist.paid_cents(r)) for r, c in zip(dist.rows, dist.net_cents)]
    rows: list[list] = []
    pad = [""] if by == "holder" else []
    sums = [0] * (len(COMPONENTS) + 3)
    for prefix, r, held, net, paid in entries:
        total = net + paid
        share = Fraction(held, r.shares) if r.shares else Fraction(0)
        comp = largest_remainder_cents([v * share for v in r.components], total)
        converts = bool(r.converts)      # a tranche not exercised has no shares to convert: FALSE (and Total 0)
        per_share = to_float(r.total / r.shares) if r.shares else 0.0
        rows.append(prefix + [r.label, held, converts] + [cents_to_float(x) for x in comp + [total]]
                    + [per_share, cents_to_float(paid), cents_to_float(net)])
        sums = [s + x for s, x in zip(sums, comp + [total, paid, net])]
    if dist.unallocated:
        u = dist.net_cents[-1]
        rows.append([UNALLOCATED] + pad + ["", "", 0.0, 0.0, 0.0, 0.0, cents_to_float(u), "", 0.0, cents_to_float(u)])
        sums = [s + x for s, x in zip(sums, [0, 0, 0, 0, u, 0, u])]
    rows.append(["Total"] + pad + ["", ""] + [cents_to_float(x) for x in sums[:5]] + [""]
                + [cents_to_float(x) for x in sums[5:]])
    return [header] + rows


def election_table(model: ExitModel, election: Election) -> list[list]:
    """Which groups convert, under which rule, and (class elections) who is in favour under
    the rule that decided (carried by ``election``; nothing is searched here)."""
    rows = [["Group", "Converts", "Rule", "Clause", "Holders in Favour", "Share in Favour"]]
    charter = model.cap_table.charter
    for g in groups_present(model.cap_table):
        converts = bool(set(g.members) & election.converting)
        if g.by_majority:
            vote = election.vote
            rule = "election of a majority of the group's shares voting together"
            rows.append([_group_name(g), converts, rule, charter.clause("group_conversion"),
                         ", ".join(vote.holders) if vote and vote.holders else "(none)",
                         to_float(vote.share) if vote else ""])
        else:
            rows.append([_group_name(g), converts, "each holder's option", charter.clause("conversion_election"), "", ""])
    rows.append(["Mode", election.mode, "", "", "", ""])
    rows.append(["Method", election.method, "", "", "", ""])
    return rows


def _group_name(g) -> str:
    return g.name if len(g.members) == 1 else f"{g.name} ({', '.join(g.members)})"


def breakpoints_table(model: ExitModel) -> list[list]:
    if isinstance(model, ExerciseModel):
        return exercised_breakpoints_table(model)
    rows = model.breakpoints()
    classes = list(model.cap_table.classes_present)
    has_unallocated = any(r[2] and r[2][-1] for r in rows)
    header = ["Exit Value", "Event", "Clause"] + classes + ([UNALLOCATED] if has_unallocated else [])
    out = [header]
    width = len(header) - 3
    for bp, _, slope in rows:
        shares = [""] * width if slope is None else [to_float(s) for s in slope[:width]]
        out.append([to_float(bp.exit_value), bp.event, bp.clause] + shares)
    return out


def exercised_breakpoints_table(model: ExerciseModel) -> list[list]:
    """QBREAKPOINTS with options and warrants: one column per waterfall row (classes
    outstanding, then tranches), then Unallocated if any; rows where a tranche comes into
    the money say so ("Common @ 10.00 exercised")."""
    rows = model.breakpoints()
    has_unallocated = any(r[3] and r[3][-1] for r in rows)
    header = ["Exit Value", "Event", "Clause"] + model.columns() + ([UNALLOCATED] if has_unallocated else [])
    width = len(header) - 3
    out = [header]
    for x, event, clause, slope in rows:
        shares = [""] * width if slope is None else [to_float(v) for v in slope[:width]]
        out.append([to_float(x), event, clause] + shares)
    return out


def payout_value(model: ExitModel, proceeds, who: Who) -> float:
    return cents_to_float(model.payout_cents(proceeds, who))


# -- QTERMS ----------------------------------------------------------------------------------

TERMS = ("authorized", "issue price", "dividend rate", "cap", "cash amount", "votes", "seniority",
         "participation", "conversion group", "clause", "preference multiple", "cumulative dividend",
         "issue date", "anti-dilution")


def term_value(charter: Charter, cls: str, term: str):
    """One charter term of one class (QTERMS)."""
    if cls == COMMON:
        # each clause as the terms in force give it; none given: the words alone
        thereafter, declared = charter.cite("participation"), charter.clauses.get("common_dividend")
        common = {"authorized": charter.common_authorized, "votes": charter.common_votes,
                  "seniority": 0, "participation": f"residual ({thereafter} thereafter)" if thereafter else "residual",
                  "cash amount": 0.0, "dividend rate": f"as declared ({declared})" if declared else "as declared",
                  "cap": "none", "conversion group": "", "clause": charter.clause("common_terms")}
        if term not in common:
            stated = charter.clauses.get("common_terms")
            raise CharterError(f'Common Stock has no "{term}"' + (f" (charter {stated})" if stated else ""), "term")
        return common[term]
    t = charter.terms(cls)
    value = {
        "authorized": t.authorized,
        "issue price": to_float(t.original_issue_price),
        "dividend rate": to_float(t.dividend_rate),
        "cap": to_float(t.cap) if t.cap is not None else ("non-participating" if t.participation == "none" else "uncapped"),
        "cash amount": to_float(t.cash_amount) if t.cash_amount is not None else 0.0,
        "votes": t.votes,
        "seniority": t.seniority,
        "participation": t.participation,
        "conversion group": t.election,
        "clause": "; ".join(f"{k}: {v}" for k, v in t.clauses.items()) or charter.clause("series_terms"),
        "preference multiple": to_float(t.preference_multiple),
        "cumulative dividend": to_float(t.cumulative_dividend) if t.cumulative_dividend else 0.0,
        "issue date": t.issue_date if t.issue_date is not None else "",
        "anti-dilution": t.anti_dilution,
    }
    return value[term]


def ipo_table(result, charter: Charter, show_owed: bool = False, tranches=()) -> list[list]:
    """QIPO: per holder and series, then options and warrants (not converted: Common Issued 0),
    then Total (every row above), the 3(i) reservation, the cancelled shares (7) and, last, the
    3(b) verdict. The last three rows name their clauses as ``charter``'s terms give them
    ("Reservation (3(i))"); a rule they give no clause for is named by its words alone."""
    header = ["Holder", "Class", "Shares", "Common Issued", "Cash Amount"] + (["Cash Owed"] if show_owed else [])
    pad = [""] if show_owed else []
    rows = [header]
    for r in result.rows:
        rows.append([r.holder, r.cls, r.shares, r.common, cents_to_float(r.cash_cents)]
                    + ([cents_to_float(r.owed_cents)] if show_owed else []))
    # 3(b) converts "shares of ... Preferred Stock" outstanding only: an option or warrant is not
    # a share until exercised, so it is issued no Common and paid no Cash Amount
    held = [(holder, t.label, n) for t in tranches for holder, n in t.holdings_by_holder]
    for holder, label, n in held:
        rows.append([holder, label, n, 0, 0.0] + ([0.0] if show_owed else []))
    rows.append(["Total", "", sum(r.shares for r in result.rows) + sum(n for _, _, n in held),
                 sum(r.common for r in result.rows), cents_to_float(sum(r.cash_cents for r in result.rows))]
                + ([cents_to_float(sum(r.owed_cents for r in result.rows))] if show_owed else []))
    short = result.reserved_needed - result.reserved_available
    rows.append([_labelled("Reservation", charter, "reservation"), "authorized unissued Common", result.reserved_available, result.reserved_needed,
                 f"short by {short:,} shares" if short > 0 else "sufficient"] + pad)
    cancelled = sum(result.cancelled.values())
    rows.append([_labelled("Cancelled", charter, "converted_cancelled"), "preferred converted", cancelled, "", "cannot be reissued" if cancelled else ""] + pad)
    rows.append([_labelled("Qualified IPO", charter, "automatic_conversion"), result.qualified, result.reason, "", ""]
                + pad)
    return rows


def _labelled(label: str, charter: Charter, rule: str) -> str:
    """A row label with the clause of ``rule`` as running text cites it ("Cancelled (7)"), or
    the label alone when the terms in force give no clause for it."""
    cite = charter.cite(rule)
    return f"{label} ({cite})" if cite else label


# -- Sections 4-6 ------------------------------------------------------------------------------

def voting_power_table(lines) -> list[list]:
    """QVOTINGPOWER: Holder, Class, Shares, Votes, Percent (a fraction of all votes), Total."""
    total = sum(line.votes for line in lines)
    rows = [["Holder", "Class", "Shares", "Votes", "Percent"]]
    for line in lines:
        rows.append([line.holder, line.cls, line.shares, line.votes, to_float(Fraction(line.votes, total)) if total else 0.0])
    rows.append(["Total", "", sum(line.shares for line in lines), total, 1.0 if total else 0.0])
    return rows


def board_table(rules, shift: bool, size: int, seats, requested: int) -> list[list]:
    """QBOARD: Voting Shift Period row, then Constituency, Seats, Clause, then Board."""
    period_clause = rules.shift_clause if rules.has_shift else "this charter states no Voting Shift Period"
    rows = [["Voting Shift Period", shift, period_clause], ["Constituency", "Seats", "Clause"]]
    rows += [[s.constituency, s.seats, s.clause] for s in seats]
    note = (f"{rules.minimum_clause}: at least {rules.shift_minimum} during a Voting Shift Period"
            if size != requested else rules.default_clause)
    rows.append(["Board", size, note])
    return rows


def approval_table(tallies) -> list[list]:
    """QAPPROVAL: Requirement, Clause, Threshold, In Favour, Outstanding, Met, Shortfall."""
    rows = [["Requirement", "Clause", "Threshold", "In Favour", "Outstanding", "Met", "Shortfall"]]
    for t in tallies:
        r = t.requirement
        threshold = f"{r.threshold.describe()} of outstanding {r.measure}"
        rows.append([r.name, r.clause, f"{threshold}; {t.note}" if t.note else threshold,
                     t.in_favour, t.outstanding, t.met, t.shortfall])
    rows.append(["Approved", all(t.met for t in tallies), "", "", "", "", ""])
    return rows


def check_table(cap_table: CapTable, unknown, reserved: tuple[int, int],
                reserved_with_instruments: tuple[int, int] | None = None) -> list[list]:
    """QCHECK: authorized limits (IV.A, IV.B), unknown classes, 3(i) reservation; or OK.
    With options and warrants, the limits and the reservation again, counting every share
    they can issue (``reserved_with_instruments``: as if all were exercised)."""
    rows = [["Check", "Clause", "Finding"]]
    charter = cap_table.charter
    for row, label, _ in unknown:
        rows.append(["unknown class", charter.clause("classes"), f'cap_table row {row}: "{label}" is not a class of {cap_table.charter.name} stock'])
    outstanding = cap_table.authorized_findings()
    for f in outstanding:
        rows.append([f.check, f.clause, f.message])
    needed, available = reserved
    if needed > available:
        rows.append(["reservation", charter.clause("reservation"), f"conversion of all outstanding preferred needs {needed:,} Common; "
                     f"{_left(available, 'are authorized but unissued', 'the Common outstanding')} "
                     f"(short {needed - available:,})"])
    if cap_table.instruments:
        already = {(f.clause, f.message.split(":")[0]) for f in outstanding}
        for f in cap_table.authorized_findings(with_instruments=True):
            if (f.clause, f.message.split(":")[0]) not in already:
                rows.append(["authorized with options and warrants", f.clause, f.message])
        needed, available = reserved_with_instruments
        if needed > available and (needed, available) != tuple(reserved):
            rows.append(["reservation with options and warrants", charter.clause("reservation"),
                         f"conversion of all outstanding preferred and of the preferred issuable on exercise needs "
                         f"{needed:,} Common; {_left(available, UNRESERVED, 'the Common outstanding and issuable on exercise')} "
                         f"(short {needed - available:,})"])
    if len(rows) == 1:
        rows.append(["OK", charter.clause("checks"), "authorized shares, classes and the conversion reserve all hold"])
    return rows


UNRESERVED = "are authorized, unissued and not issuable on exercise of Common options and warrants"


def _left(available: int, what: str, taken: str) -> str:
    """How much authorized Common is left for the reservation: "only 1,000 are authorized but
    unissued", or, when ``taken`` already exceeds the authorized, "none ..." and by how much
    (never a negative count of shares)."""
    if available >= 0:
        return f"only {available:,} {what}"
    return f"none {what} ({taken} already exceeds the authorized by {-available:,})"


def dividend_table(cap_table: CapTable, lines, declared, by: str = "class") -> list[list]:
    """QDIVIDEND: Class, Shares, Amount, Per Share, Clause (Holder first by holder), Total."""
    cents = line_cents(lines, declared)
    header = ["Class", "Shares", "Amount", "Per Share", "Clause"]
    rows = []
    for line, c in zip(lines, cents):
        per_share = to_float(line.amount / line.shares) if line.shares else ""
        if by == "holder" and line.cls in cap_table.holdings_by_class:
            for holder, n, hc in cap_table.split_cents(line.cls, line.amount, c):
                rows.append([holder, line.cls, n, cents_to_float(hc), per_share, line.clause])
        else:
            rows.append(([line.cls] if by == "holder" else []) + [line.cls, line.shares or "", cents_to_float(c),
                                                                   per_share, line.clause])
    pad = [""] if by == "holder" else []
    rows.append(["Total"] + pad + [sum(line.shares for line in lines), cents_to_float(sum(cents)), "", ""])
    return [(["Holder"] if by == "holder" else []) + header] + rows


def ledger_table(ledger, series: list[str]) -> list[list]:
    """QCONVLEDGER: Date, Event, Clause, then each series' CP after the event and the amount
    carried forward under 3(d)(i)(B)."""
    header = ["Date", "Event", "Clause"] + [f"{s} {k}" for s in series for k in ("CP", "Carried")]
    rows = [header]
    for r in ledger.rows:
        rows.append([r.date, r.event, r.clause] + [to_float(v) for s in series for v in (r.cps[s], r.carried[s])])
    return rows


# -- valuation (QOPM, QPWERM) ------------------------------------------------------------------

def valuation_table(model: ExitModel, valuation, share_of_equity: bool = True) -> list[list]:
    """QOPM / QPWERM: Class, Shares, Value, Per Share (, Share of Equity); Unallocated when it
    is worth anything; Total. Values are whole cents adding up to the Total; Per Share is
    the unrounded value over the shares."""
    header = ["Class", "Shares", "Value", "Per Share"] + (["Share of Equity"] if share_of_equity else [])
    rows = [header]
    total_shares = 0
    tranche_shares = {t.label: t.shares for t in getattr(model, "tranches", ())}   # options and warrants
    for payee, cents, value in zip(valuation.payees, valuation.cents, valuation.values):
        if payee == UNALLOCATED:
            if cents:
                rows.append([UNALLOCATED, "", cents_to_float(cents), ""]
                            + ([cents / valuation.total_cents] if share_of_equity else []))
            continue
        shares = tranche_shares.get(payee) or model.cap_table.shares(payee)
        total_shares += shares
        rows.append([payee, shares, cents_to_float(cents), value / shares if shares else ""]
                    + ([cents / valuation.total_cents if valuation.total_cents else 0.0] if share_of_equity else []))
    rows.append(["Total", total_shares, cents_to_float(sum(valuation.cents)), ""]
                + ([1.0 if valuation.total_cents else 0.0] if share_of_equity else []))
    return rows
