"""Every Q-function on a charter that is not Quintus: it answers, or refuses in one line naming
the term the charter lacks; never "could not compute", never Python internals. And the round
trip: the Quintus TOML file, passed as a terms file, gives every number of the embedded default."""

import shutil
from pathlib import Path

import pytest

from xl_quintus import excel
from xl_quintus.charter.terms import load_charter, quintus
from xl_quintus.excel import QuintusExcelError

HERE = Path(__file__).parent
DATA = HERE.parent / "xl_quintus" / "charter" / "data"
NVCA = str(DATA / "nvca_seed_ab.toml")
THREE = str(HERE / "data" / "three_series.toml")
EXIT = "2025-06-30"

EVENTS = [["Date", "Event", "Shares", "Consideration", "Ref"], ["2024-01-01", "Issue", 500_000, 250_000, ""]]
SCENARIOS = [["Exit Value", "Probability", "Years", "Discount Rate"], [30e6, 0.5, 2, 0.2], [60e6, 0.5, 3, 0.2]]


def calls(path, ct, consents, series, action, as_of):
    """One call of every Q-function, by name, on the charter at ``path``."""
    return {
        "QWATERFALL": lambda: excel.QWATERFALL(30e6, ct, None, None, None, None, path, as_of),
        "QPAYOUT": lambda: excel.QPAYOUT(30e6, series, ct, None, None, None, path, as_of),
        "QBREAKPOINTS": lambda: excel.QBREAKPOINTS(ct, None, None, None, path, as_of),
        "QELECTION": lambda: excel.QELECTION(30e6, ct, None, None, None, path, as_of),
        "QTERMS": lambda: excel.QTERMS(series, "cap", path),
        "QCONVERT": lambda: excel.QCONVERT(series, 1_000, None, 9.0, path),
        "QCASH": lambda: excel.QCASH(series, 1_000, None, path),
        "QIPO": lambda: excel.QIPO(15.0, 80e6, ct, None, None, None, None, path),
        "QRECAP": lambda: excel.QRECAP(series, 1_000, 2, None, path),
        "QVOTES": lambda: excel.QVOTES(series, 1_000, None, path),
        "QVOTINGPOWER": lambda: excel.QVOTINGPOWER(ct, None, path),
        "QBOARD": lambda: excel.QBOARD(ct, 7, None, path),
        "QAPPROVAL": lambda: excel.QAPPROVAL(action, consents, ct, None, None, path),
        "QNOTICE": lambda: excel.QNOTICE("2026-12-31", path),
        "QCHECK": lambda: excel.QCHECK(ct, None, path),
        "QDIVIDEND": lambda: excel.QDIVIDEND(1e6, ct, None, None, None, path, as_of),
        "QCONVPRICE": lambda: excel.QCONVPRICE(series, EVENTS, ct, None, path),
        "QCONVLEDGER": lambda: excel.QCONVLEDGER(EVENTS, ct, path),
        "QOPM": lambda: excel.QOPM(40e6, ct, 0.6, 3, 0.04, None, None, None, path, as_of),
        "QBACKSOLVE": lambda: excel.QBACKSOLVE(series, 8.0, ct, 0.6, 3, 0.04, None, None, None, path, as_of),
        "QPWERM": lambda: excel.QPWERM(SCENARIOS, ct, None, None, None, path, as_of),
        "QDLOM": lambda: excel.QDLOM(0.6, 2),
    }


NVCA_CT = [["Angel", "Seed", 1_000_000], ["Fund A", "A", 2_000_000], ["Fund B", "B", 1_000_000],
           ["Founder", "Common", 5_000_000]]
THREE_CT = [["Fund X", "X", 1_000_000], ["Fund Y", "Y", 1_000_000], ["Fund Z", "Z", 1_000_000],
            ["Founder", "Common", 2_000_000]]


def test_every_function_is_called():
    names = {n for n in excel.__all__ if n.startswith("Q") and n.isupper()}
    assert set(calls(NVCA, NVCA_CT, [], "B", "3.4", EXIT)) == names


@pytest.mark.parametrize("name", sorted(calls(NVCA, NVCA_CT, [], "B", "3.4", EXIT)))
def test_every_function_answers_on_the_nvca_example(name):
    result = calls(NVCA, NVCA_CT, [["Fund B", "B", 600_000]], "B", "3.4", EXIT)[name]()
    assert result not in (None, "")


REFUSED_ON_THREE = {
    "QBOARD": "QBOARD: terms: this charter (Example Co) states no board seats",
    "QAPPROVAL": "QAPPROVAL: terms: this charter (Example Co) states no approvals or consents",
}


@pytest.mark.parametrize("name", sorted(calls(THREE, THREE_CT, [], "Z", "6(b)", None)))
def test_every_function_answers_or_names_the_missing_term_on_three_series(name):
    call = calls(THREE, THREE_CT, [["Fund Z", "Z", 1]], "Z", "6(b)", None)[name]
    if name in REFUSED_ON_THREE:
        with pytest.raises(QuintusExcelError) as info:
            call()
        assert str(info.value).startswith(REFUSED_ON_THREE[name])
    else:
        assert call() not in (None, "")


@pytest.mark.parametrize("name", ["QWATERFALL", "QPAYOUT", "QBREAKPOINTS", "QELECTION", "QDIVIDEND", "QOPM",
                                  "QBACKSOLVE", "QPWERM"])
def test_a_cumulative_series_without_the_exit_date_is_refused_in_one_line(name):
    with pytest.raises(QuintusExcelError) as info:
        calls(NVCA, NVCA_CT, [], "B", "3.4", None)[name]()
    text = str(info.value)
    assert text.startswith(f"{name}: as_of: Series A has a cumulative dividend") and "\n" not in text
    assert "could not compute" not in text and "<class" not in text


# -- the round trip: the Quintus file as a terms file == the embedded default -------------------

SAMPLE = [["Fund", "A", 4_000_000], ["Fund", "E", 2_000_000], ["Other", "F", 1_000_000],
          ["Other", "G-3", 400_000], ["Team", "C", 2_000_000], ["Founders", "Common", 12_000_000]]


def test_the_quintus_file_is_the_embedded_default(tmp_path):
    path = str(tmp_path / "quintus_copy.toml")
    shutil.copy(DATA / "quintus_1999.toml", path)
    assert load_charter(path) == quintus()
    for name, call in calls(path, SAMPLE, [["Fund", "E", 1_800_000]], "E", "6(d)", None).items():
        default = calls(None, SAMPLE, [["Fund", "E", 1_800_000]], "E", "6(d)", None)[name]()
        assert call() == default, name
    for proceeds in (5e6, 25e6, 80e6, 250e6):
        assert excel.QWATERFALL(proceeds, SAMPLE, None, None, None, "holder", path) == \
            excel.QWATERFALL(proceeds, SAMPLE, None, None, None, "holder")
    for action in ("6(a)(i)", "6(b)", "2(b)", "3(a)", "3(b)(ii)", "3(b)(iv)", "3(d)(ii)(B)", "IV.A"):
        assert excel.QAPPROVAL(action, [["Fund", "A", 3e6], ["Other", "G-3", 3e5]], SAMPLE, None, None, path) == \
            excel.QAPPROVAL(action, [["Fund", "A", 3e6], ["Other", "G-3", 3e5]], SAMPLE)
