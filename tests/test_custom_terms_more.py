"""More on charters as terms: properties over random NVCA-style charters (hypothesis), the
NVCA mandatory-conversion price floor, and terms the engine refuses rather than guesses."""

import datetime as dt
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from xl_quintus.charter.cap_table import CapTable
from xl_quintus.charter.dividends import dividends_owed
from xl_quintus.charter.liquidation import Waterfall
from xl_quintus.charter.terms import Charter, series_from_mapping
from xl_quintus.errors import CharterError
from xl_quintus.excel import QCONVPRICE, QIPO, QTERMS, QuintusExcelError
from xl_quintus.exit.model import ExitModel

NVCA = str(Path(__file__).parent.parent / "xl_quintus" / "charter" / "data" / "nvca_seed_ab.toml")
NVCA_CT = [["Angel", "Seed", 1_000_000], ["Fund A", "A", 2_000_000], ["Fund B", "B", 1_000_000],
           ["Founder", "Common", 5_000_000]]
EXIT = dt.date(2025, 6, 30)


@st.composite
def nvca_charters(draw, max_series=4, min_common=1, dividends=True):
    """2 to ``max_series`` series with the NVCA model's alternatives drawn (cumulative
    dividends too, with ``dividends``), and a cap table of 50+ holders with at least
    ``min_common`` holders of Common."""
    series = []
    for i in range(draw(st.integers(2, max_series))):
        oip = Fraction(draw(st.integers(10, 2_000)), 100)
        participation = draw(st.sampled_from(["none", "capped", "full"]))
        row = {"name": f"S{i}", "authorized": 10_000_000, "original_issue_price": oip,
               "preference_multiple": draw(st.sampled_from(["1", "1.5x", "2", "3x"])),
               "participation": participation, "seniority": draw(st.integers(1, 3)),
               "anti_dilution": draw(st.sampled_from(["broad-based", "narrow-based", "full ratchet", "none"]))}
        if participation == "capped":
            row["cap"] = draw(st.sampled_from(["3x", "4x", "5x"]))
        if dividends and draw(st.booleans()):
            row["cumulative_dividend"] = draw(st.sampled_from(["6%", "8%", "0.15"]))
            row["issue_date"] = dt.date(2020, 1, 1) + dt.timedelta(days=draw(st.integers(0, 1500)))
        series.append(series_from_mapping(row))
    charter = Charter("Random Co", tuple(series), 100_000_000, 40_000_000, Fraction(0))
    rows = [(f"h{k}", f"S{draw(st.integers(0, len(series) - 1))}", draw(st.integers(1, 200_000)))
            for k in range(50)]
    rows += [(f"f{k}", "Common", draw(st.integers(1, 500_000))) for k in range(draw(st.integers(min_common, 10)))]
    return CapTable.of(rows, charter)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nvca_charters(), st.integers(0, 200_000_000_00), st.sampled_from(["none", "all", "optimal"]))
def test_random_nvca_charters_pay_out_the_proceeds_exactly(ct, cents, conversions):
    owed = dividends_owed(ct, {}, EXIT)
    model = ExitModel(Waterfall(ct, None, owed), conversions)
    dist, _ = model.distribution(Fraction(cents, 100))
    per_class = dist.class_cents()
    assert sum(per_class.values()) == cents                      # the parts add up to the proceeds
    assert all(v >= 0 for v in per_class.values())               # nobody negative
    holders = model.holder_cents(dist)
    assert len(holders) == len(ct.holders)                       # no holder dropped
    for c in dist.classes:
        t = ct.charter.terms(c.cls) if ct.charter.is_series(c.cls) else None
        if t is not None and not c.converts:
            # 2(a): never more than multiple x OIP + accrued as preference; capped never above its cap
            assert c.preference <= c.shares * (t.preference_per_share + owed.get(c.cls, 0))
            if t.participation == "capped":
                assert c.total <= c.shares * t.cap + owed.get(c.cls, 0) * c.shares


def test_nvca_mandatory_conversion_needs_the_price_per_share_too():
    # 5.1(a): at least $50,000,000 AND at least $12.00 per share
    assert QIPO(12.0, 80e6, NVCA_CT, None, None, None, None, NVCA)[-1][1] is True
    refused = QIPO(11.99, 80e6, NVCA_CT, None, None, None, None, NVCA)[-1]
    assert refused[1] is False and "price per share $11.99 is below the $12.00" in refused[2]


@pytest.mark.parametrize("row, message", [
    ({"cash_amount": "1", "cumulative_dividend": "0.1", "issue_date": "2020-01-01"},
     "both a cash_amount (3(a)) and a cumulative_dividend is not modelled"),
    ({"cumulative_dividend": "8%"}, "cumulative_dividend is given but issue_date is blank"),
    ({"issue_date": "31/12/2020", "cumulative_dividend": "1"}, 'issue_date "31/12/2020" is not a date'),
    ({"preference_multiple": "-1x"}, "cannot be negative"),
    ({"participation": "capped", "cap": "0.5x"}, "is below the preference"),
])
def test_terms_the_engine_refuses_rather_than_guesses(row, message):
    with pytest.raises(CharterError) as info:
        series_from_mapping({"name": "H", "authorized": 10, "original_issue_price": "2.00"} | row)
    assert message in str(info.value)


def test_a_full_ratchet_to_nothing_is_refused():
    terms = [["Class", "Authorized", "Issue Price", "Anti-dilution"], ["FR", 1_000, 1.0, "full ratchet"]]
    events = [["Date", "Event", "Shares", "Consideration", "Ref"], ["2024-01-01", "Issue", 100, 0, ""]]
    with pytest.raises(QuintusExcelError, match="^QCONVPRICE: events row 2: a full ratchet to an issuance for no "
                                                "consideration"):
        QCONVPRICE("FR", events, [["FR", 1_000], ["Common", 1_000]], None, terms)


def test_qterms_reads_the_nvca_example():
    assert [QTERMS("B", t, NVCA) for t in ("preference multiple", "cap", "anti-dilution", "seniority")] == \
        [1.5, 18.0, "full ratchet", 2]
    assert QTERMS("A", "cumulative dividend", NVCA) == 0.2 and QTERMS("A", "issue date", NVCA) == dt.date(2022, 3, 1)
