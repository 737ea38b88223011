"""New series as data (IV.B: the Board may create series senior to, pari passu with or
subordinated to the others), and a charter that is not Quintus at all."""

from fractions import Fraction
from pathlib import Path

import pytest

from conftest import cents, model
from xl_quintus.errors import CharterError
from xl_quintus.charter.terms import charter_with_series, load_charter, quintus, series_from_mapping

HERE = Path(__file__).parent


def test_quintus_terms_are_the_charter_figures():
    q = quintus()
    assert [s.name for s in q.series] == ["A", "B", "C", "D", "E", "F", "G-1", "G-2", "G-3", "G-4", "G-5", "G-6"]
    assert q.terms("G-3").cap == Fraction("11.263")      # stated, not 2 x 5.631 = 11.262
    assert q.terms("D").cash_amount == Fraction("2.544")
    assert q.terms("F").seniority > q.terms("E").seniority
    assert sum(s.authorized for s in q.series) == 22_614_700
    assert q.resolve("  series g-3 PREFERRED ") == "G-3"
    assert q.resolve("Common Stock") == "Common"


def test_series_h_senior_to_f_non_participating():
    h = series_from_mapping({"name": "H", "authorized": 1_000_000, "original_issue_price": "10.00",
                             "seniority": 3, "participation": "none"})
    charter = charter_with_series(quintus(), [h])
    # H first: 1,000,000 x 10.00 = 10,000,000; F gets the other 2,000,000 of 12,000,000.
    m = model([("H", 1_000_000), ("F", 1_000_000), ("Common", 1_000_000)], charter=charter)
    assert cents(m, 12_000_000) == {"F": 200_000_000, "H": 1_000_000_000, "Common": 0}


def test_series_h_pari_passu_participating_to_3x():
    h = series_from_mapping({"name": "H", "authorized": 1_000_000, "original_issue_price": "2.00",
                             "seniority": 1, "participation": "capped", "cap": "6.00"})
    charter = charter_with_series(quintus(), [h])
    m = model([("A", 1_000_000), ("H", 1_000_000), ("Common", 1_000_000)], charter=charter)
    # 2,000,000: A owed 1,000,000, H owed 2,000,000, pari passu: 1/3 and 2/3.
    assert cents(m, 2_000_000) == {"A": 66_666_667, "H": 133_333_333, "Common": 0}
    # 23,000,000: prefs 3,000,000; H and Common share 20,000,000 1:1 until H has 6,000,000
    # in all (room 4,000,000, reached after 8,000,000); then Common takes the last 12,000,000.
    assert cents(m, 23_000_000) == {"A": 100_000_000, "H": 600_000_000, "Common": 1_600_000_000}


@pytest.mark.parametrize("proceeds, expected", [
    # X (rank 3) 1.00, Y (rank 2) 2.00, Z (rank 1) 3.00, 1,000,000 shares each; Common 2,000,000.
    (500_000, {"X": 500_000, "Y": 0, "Z": 0, "Common": 0}),                  # X alone, short
    (2_500_000, {"X": 1_000_000, "Y": 1_500_000, "Z": 0, "Common": 0}),      # X paid, Y short
    # prefs 6,000,000; 1,000,000 over 5,000,000 as-converted shares = 0.20 each
    (7_000_000, {"X": 1_200_000, "Y": 2_200_000, "Z": 3_200_000, "Common": 400_000}),
    # X capped at 2.00 after 1.00/share more (at 11,000,000); then 2,000,000 over Y, Z,
    # Common (4,000,000 shares) = 0.50 more each
    (13_000_000, {"X": 2_000_000, "Y": 3_500_000, "Z": 4_500_000, "Common": 3_000_000}),
    # Y capped at 15,000,000, Z at 18,000,000; Common takes the rest: 2+4+6+8 = 20
    (20_000_000, {"X": 2_000_000, "Y": 4_000_000, "Z": 6_000_000, "Common": 8_000_000}),
])
def test_generic_three_series_charter(proceeds, expected):
    charter = load_charter(HERE / "data" / "three_series.toml")
    m = model([("X", 1_000_000), ("Y", 1_000_000), ("Z", 1_000_000), ("Common", 2_000_000)],
              conversions="none", charter=charter)
    assert cents(m, proceeds) == {k: v * 100 for k, v in expected.items()}
    assert [float(b.exit_value) for b in m.piecewise(frozenset()).events] == [
        1_000_000, 3_000_000, 6_000_000, 11_000_000, 15_000_000, 18_000_000]


def test_bad_terms_name_the_field():
    with pytest.raises(CharterError, match="capped series needs a cap"):
        series_from_mapping({"name": "H", "authorized": 1, "original_issue_price": 1, "participation": "capped"})
