"""The command line as a user types it: typos, bad values and bad paths end in one line on
stderr and a documented exit code (README "Exit codes"), never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from xl_quintus.cli import (EXIT_CELL_ERRORS, EXIT_INPUT, EXIT_OK, EXIT_OUTPUT, EXIT_USAGE, main)

ROOT = Path(__file__).parent.parent
MODEL = ROOT / "workbooks" / "quintus-deal-model.xlsx"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_an_unknown_command_is_named_as_such(capsys):
    code, out, err = run(capsys, "recal", "x.xlsx")
    assert code == EXIT_USAGE and err.count("\n") == 1
    assert "unknown command 'recal' (did you mean recalc?)" in err


def test_a_negative_exit_value_names_the_argument_once(capsys):
    code, out, err = run(capsys, "waterfall", "-5")
    assert code == EXIT_USAGE
    assert err == "xl-quintus waterfall: argument EXIT: an exit value cannot be negative: -5 " \
                  "(see xl-quintus waterfall --help)\n"
    code, _, err = run(capsys, "waterfall", "lots")
    assert code == EXIT_USAGE and "not a number of dollars: 'lots'" in err


def test_the_waterfall_is_the_default_and_fits_a_terminal(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    code, out, err = run(capsys, "150000000")
    assert code == EXIT_OK and "Exit value $150,000,000.00" in out
    breakpoints = out.split("Breakpoints:")[1]
    assert max(len(line) for line in breakpoints.splitlines()) <= 100
    # event texts are wrapped whole, never cut mid-word
    assert "Series A-D elect to convert (payouts may jump here)" in " ".join(
        line.strip() for line in breakpoints.splitlines())
    assert "next dollar: F 100.00%" in breakpoints


def test_recalc_bad_paths_are_one_line_with_their_exit_code(capsys, tmp_path):
    code, _, err = run(capsys, "recalc", str(tmp_path / "missing.xlsx"))
    assert code == EXIT_INPUT and err.count("\n") == 1 and "no workbook at" in err
    code, _, err = run(capsys, "recalc", str(tmp_path))
    assert code == EXIT_INPUT and "is a folder, not a workbook" in err
    code, _, err = run(capsys, "recalc", str(MODEL), "-o", str(tmp_path / "nope" / "out.xlsx"))
    assert code == EXIT_OUTPUT and "does not exist" in err
    code, _, err = run(capsys, "recalc", str(MODEL), "-o", str(tmp_path))
    assert code == EXIT_OUTPUT and "is a folder" in err
    code, _, err = run(capsys, "recalc", str(MODEL), "-o", "x.xlsx", "--in-place")
    assert code == EXIT_USAGE and "not both" in err
    code, _, err = run(capsys, "freeze", str(tmp_path / "missing.xlsx"))
    assert code == EXIT_INPUT


def _one_q_cell(path: Path, formula: str):
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("S").write_formula("A1", formula)
    wb.close()


def test_recalc_and_freeze_write_and_report(capsys, tmp_path):
    path = tmp_path / "m.xlsx"
    _one_q_cell(path, '=QTERMS("F","issue price")*2')
    code, out, _ = run(capsys, "recalc", str(path), "-q")
    assert code == EXIT_OK and out.startswith(f"wrote {tmp_path / 'm.recalc.xlsx'}: 1 formula cells (1 calling")
    assert "0 in error" in out
    code, out, _ = run(capsys, "freeze", str(path), "-q")
    assert code == EXIT_OK and out.startswith("froze ") and (tmp_path / "m.frozen.xlsx").exists()
    code, out, _ = run(capsys, "recalc", str(path), "--in-place", "-q")
    assert code == EXIT_OK and out.startswith(f"wrote {path}:")


def test_cells_in_error_exit_1_with_each_reason(capsys, tmp_path):
    path = tmp_path / "bad.xlsx"
    _one_q_cell(path, '=QTERMS("Series Z","cap")')
    code, out, _ = run(capsys, "recalc", str(path), "-q")
    assert code == EXIT_CELL_ERRORS
    assert 'S!A1: #VALUE!  QTERMS: class: "Series Z" is not a class' in out


def test_the_installed_entry_point_has_no_traceback_for_a_typo():
    done = subprocess.run([sys.executable, "-m", "xl_quintus", "frezee", "m.xlsx"], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == EXIT_USAGE and done.stdout == ""
    assert done.stderr.strip() == ("xl-quintus: unknown command 'frezee' (did you mean freeze?); "
                                   "commands: waterfall, recalc, freeze, build-workbooks, serve")


@pytest.mark.parametrize("argv", [["--help"], ["recalc", "--help"], ["freeze", "-h"]])
def test_help_exits_0(capsys, argv):
    code, out, _ = run(capsys, *argv)
    assert code == EXIT_OK and "usage: xl-quintus" in out
