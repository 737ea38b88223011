from fractions import Fraction

import pytest

from xl_quintus.cap_table import CapTable
from xl_quintus.exit_model import ExitModel
from xl_quintus.liquidation import Waterfall


def model(rows, conversions="none", cps=None, divs=None, charter=None) -> ExitModel:
    return ExitModel(Waterfall(CapTable.of(rows, charter), cps, divs), conversions)


def cents(m: ExitModel, proceeds) -> dict:
    dist, _ = m.distribution(proceeds)
    return dist.class_cents()


def dollars(c: int) -> Fraction:
    return Fraction(c, 100)


@pytest.fixture
def quintus_sample():
    from xl_quintus.cli import sample_cap_table
    from xl_quintus.terms import quintus

    return sample_cap_table(quintus())
