from fractions import Fraction

import pytest
from hypothesis import settings

# No test may fail at random: every hypothesis run draws the same examples (CI and laptops alike).
settings.register_profile("xl-quintus", derandomize=True, print_blob=True)
settings.load_profile("xl-quintus")

from xl_quintus.charter.cap_table import CapTable
from xl_quintus.exit.model import ExitModel
from xl_quintus.charter.liquidation import Waterfall


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
    from xl_quintus.charter.terms import quintus

    return sample_cap_table(quintus())


def pytest_terminal_summary(terminalreporter):
    """Say how many random Excel-shaped calls the fuzz suite made."""
    import sys

    fuzz = sys.modules.get("test_fuzz")
    if fuzz is not None and fuzz.pytest_generated_cases():
        terminalreporter.write_line(f"fuzz: {fuzz.pytest_generated_cases():,} generated calls as plain Python, "
                                    "every one answered with a value or a one-line QuintusExcelError")
    server = sys.modules.get("test_xlwings_server_path")
    if server is not None and server.SERVER_FUZZ["count"]:
        terminalreporter.write_line(f"fuzz: {server.SERVER_FUZZ['count']:,} generated calls through "
                                    "xlwings.server.custom_functions_call, same rule")
