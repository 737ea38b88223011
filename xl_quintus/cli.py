"""Command line: ``xl-quintus`` (or ``python -m xl_quintus``).

    xl-quintus waterfall [EXIT ...]      the Section 2 waterfall of the sample cap table
    xl-quintus recalc MODEL.xlsx         recalculate a workbook's Q-functions and formulas
    xl-quintus freeze MODEL.xlsx         a copy whose Q-function cells hold only their values
    xl-quintus build-workbooks [DIR]     write the sample deal model

Every failure a user can cause ends in one line on stderr and an exit code (README "Exit
codes"); never a traceback. A subcommand is a function ``add_NAME(subparsers)`` in
``SUBCOMMANDS`` that adds its parser and sets ``run`` to the function that does the work.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import sys
import textwrap

from .charter.cap_table import CapTable
from .errors import CharterError
from .exit.model import model_for
from .tables import breakpoints_table, waterfall_table
from .charter.terms import COMMON, Charter, load_charter, quintus

DEFAULT_EXITS = (25_000_000, 75_000_000, 150_000_000, 400_000_000, 1_000_000_000)

# Exit codes (README "Exit codes"); the recalc module uses the same numbers.
EXIT_OK = 0               # done
EXIT_CELL_ERRORS = 1      # recalc/freeze wrote the file, and some cells hold errors (listed)
EXIT_USAGE = 2            # the command line is wrong (unknown command, bad value)
EXIT_INPUT = 3            # the input cannot be read, or is refused (size limits)
EXIT_OUTPUT = 4           # the output cannot be written
EXIT_ENGINE = 5           # the engine failed (a defect: please report it)
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A command-line value that is wrong: one line."""


class Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (no usage block above them)."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def sample_cap_table(charter: Charter, common: int = 12_000_000) -> CapTable:
    """Every authorized share of every series outstanding, plus ``common`` Common."""
    return CapTable.of([(s.name, s.authorized) for s in charter.series] + [(COMMON, common)], charter)


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _width() -> int:
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 160))


def print_table(rows):
    cells = [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells if i < len(r)) for i in range(len(cells[0]))]
    for r in cells:
        sys.stdout.write("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
                         + "\n")


def print_breakpoints(bp):
    """One block per breakpoint: the exit value, the event (wrapped), then each class's share."""
    width = _width()
    header = bp[0]
    classes = header[3:]
    for row in bp[1:]:
        exit_value, event, clause, shares = row[0], row[1], row[2], row[3:]
        head = f"${exit_value:,.2f}"
        text = f"{event} [{clause}]"
        lines = textwrap.wrap(text, width - 20) or [""]
        sys.stdout.write(f"{head:>18}  {lines[0]}\n")
        for line in lines[1:]:
            sys.stdout.write(f"{'':>18}  {line}\n")
        parts = [f"{c} {s * 100:.2f}%" for c, s in zip(classes, shares) if s]
        body = textwrap.wrap("next dollar: " + "  ".join(parts) if parts else "next dollar: to no class",
                             width - 20, break_on_hyphens=False)
        for line in body:
            sys.stdout.write(f"{'':>18}  {line}\n")


def _exit_value(text: str) -> float:
    try:
        v = float(text.replace(",", "").replace("_", "").lstrip("$"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of dollars: {text!r}") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"not a finite number of dollars: {text!r}")
    if v < 0:
        raise argparse.ArgumentTypeError(f"an exit value cannot be negative: {text}")
    return v


def _shares(text: str) -> int:
    try:
        v = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of shares: {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"a number of shares cannot be negative: {text}")
    return v


# -- waterfall -----------------------------------------------------------------------------------

def waterfall(args) -> int:
    try:
        charter = load_charter(args.terms) if args.terms else quintus()
    except OSError as e:
        raise UsageError(f'--terms: cannot read "{args.terms}": {e.strerror or e}') from None
    table = sample_cap_table(charter, args.common)
    model = model_for(table, conversions=args.conversions)
    print(f"{charter.name}: sample cap table, every authorized preferred share outstanding, "
          f"{args.common:,} Common; conversions: {args.conversions}\n")
    for exit_value in args.exits:
        dist, election = model.distribution(exit_value)
        print(f"Exit value ${exit_value:,.2f}  (converting: {', '.join(sorted(election.converting, key=charter.order)) or 'none'})")
        table = waterfall_table(model, dist)
        print_table([r[:-1] + [f"{r[-1]:.4f}" if isinstance(r[-1], float) else r[-1]] for r in table])
        print()
    print("Breakpoints: the share of each next dollar above each exit value")
    print_breakpoints(breakpoints_table(model))
    return EXIT_OK


def add_waterfall(sub):
    w = sub.add_parser("waterfall", help="Section 2 waterfall of the sample Quintus cap table (the default)",
                       description="The Section 2 waterfall of the sample cap table (every authorized preferred "
                                   "share outstanding) at each exit value, and its breakpoints.")
    w.add_argument("exits", nargs="*", type=_exit_value, default=list(DEFAULT_EXITS), metavar="EXIT",
                   help="exit values in dollars (default: 25m, 75m, 150m, 400m, 1bn)")
    w.add_argument("--common", type=_shares, default=12_000_000, help="Common shares outstanding")
    w.add_argument("--conversions", default="optimal", choices=("optimal", "none", "all"))
    w.add_argument("--terms", help="a TOML terms file instead of Quintus 1999")
    w.set_defaults(run=waterfall)


# -- recalc and freeze ---------------------------------------------------------------------------

def _print_report(report, verb: str):
    print(f"{verb} {report.output}: {report.formula_cells} formula cells ({report.q_cells} calling Q-functions) "
          f"in {report.seconds:.2f} s; {len(report.errors)} in error")
    for where, value, reason in report.errors:
        print(f"  {where}: {value}  {reason}")
    for where, note in report.notes:
        print(f"  {where}: {note}")


def _recalc_args(args) -> dict:
    return {"show_progress": not args.quiet and sys.stderr.isatty(),
            "max_expanded_bytes": int(args.max_expanded_mb * 2**20),
            "max_formula_cells": args.max_formula_cells}


def recalc_command(args) -> int:
    from .workbook.recalc import recalc

    if args.in_place and args.output:
        raise UsageError("give either -o/--output or --in-place, not both")
    report = recalc(args.model, args.output, args.in_place, **_recalc_args(args))
    _print_report(report, "wrote")
    return EXIT_CELL_ERRORS if report.errors else EXIT_OK


def freeze_command(args) -> int:
    from .workbook.recalc import recalc

    report = recalc(args.model, args.output, False, freeze=True, **_recalc_args(args))
    _print_report(report, "froze")
    return EXIT_CELL_ERRORS if report.errors else EXIT_OK


def _workbook_options(p):
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar on stderr")
    p.add_argument("--max-expanded-mb", type=float, default=512, metavar="MB",
                   help="refuse a workbook whose parts expand to more than this (default 512)")
    p.add_argument("--max-formula-cells", type=int, default=200_000, metavar="N",
                   help="refuse a workbook with more formula cells (default 200,000)")


def add_recalc(sub):
    r = sub.add_parser("recalc", help="recalculate a workbook's Q-functions and formulas without Excel",
                       description="Recalculate every Q-function and the formulas around them into a copy that "
                                   "opens in Excel showing the numbers. Exit 1 if some cells hold errors.")
    r.add_argument("model", help="the .xlsx or .xlsm workbook")
    r.add_argument("-o", "--output", help="where to write (default: MODEL.recalc.xlsx, .xlsm for .xlsm)")
    r.add_argument("--in-place", action="store_true", help="overwrite the input itself (atomically)")
    _workbook_options(r)
    r.set_defaults(run=recalc_command)


def add_freeze(sub):
    f = sub.add_parser("freeze", help="a copy whose Q-function cells hold only their values",
                       description="Recalculate, then write a copy in which every cell that calls a Q-function "
                                   "(and every cell of its spill) holds its value; other formulas and charts are "
                                   "kept, so LibreOffice and Excel without the add-in show the numbers.")
    f.add_argument("model", help="the .xlsx or .xlsm workbook")
    f.add_argument("-o", "--output", help="where to write (default: MODEL.frozen.xlsx)")
    _workbook_options(f)
    f.set_defaults(run=freeze_command)


# -- build-workbooks -----------------------------------------------------------------------------

def build_workbooks(args) -> int:
    from pathlib import Path

    from .workbook.recalc import recalc
    from .workbook.builder import build_all

    directory = Path(args.directory)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f'"{directory}" is a file, not a folder')
    try:
        paths = build_all(directory)
    except OSError as e:
        from .workbook import WorkbookError
        raise WorkbookError(f'cannot write into "{directory}": {e.strerror or e}', EXIT_OUTPUT) from None
    for path in paths:
        report = recalc(path, path, in_place=True)
        print(f"built {path}: {report.q_cells} Q-function cells, {len(report.errors)} errors")
        if report.errors:
            _print_report(report, "recalculated")
            return EXIT_CELL_ERRORS
        if path.name == "quintus-deal-model.xlsx":      # the same model for the xlwings Server add-in
            from .server.workbook import SERVER_MODEL_NAME, server_variant
            n = server_variant(path, path.with_name(SERVER_MODEL_NAME))
            print(f"built {path.with_name(SERVER_MODEL_NAME)}: {n} formulas with the add-in's function names")
    return EXIT_OK


def add_build_workbooks(sub):
    b = sub.add_parser("build-workbooks", help="write the sample deal model (recalculated)")
    b.add_argument("directory", nargs="?", default="workbooks")
    b.set_defaults(run=build_workbooks)


def add_serve(sub):
    from .server.serve import add_parser, serve

    add_parser(sub)
    sub.choices["serve"].set_defaults(run=serve)


SUBCOMMANDS = [add_waterfall, add_recalc, add_freeze, add_build_workbooks, add_serve]


# -- main ----------------------------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    p = Parser(prog="xl-quintus", description="The Quintus charter, computed. Without a "
                                "command: the waterfall (xl-quintus 100000000).",
                                epilog="Exit codes: 0 done; 1 some cells hold errors (file written); 2 wrong "
                                       "command line; 3 input unreadable or refused; 4 output not writable; "
                                       "5 engine failure.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return p


def _looks_like_number(text: str) -> bool:
    try:
        float(text.replace(",", "").replace("_", "").lstrip("$"))
        return True
    except ValueError:
        return False


def main(argv=None) -> int:
    p = parser()
    commands = list(p._subparsers._group_actions[0].choices)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in commands and (_looks_like_number(argv[0]) or argv[0].startswith("--"))
                    and argv[0] not in ("-h", "--help")):
        argv = ["waterfall"] + argv                      # the waterfall is the default
    elif argv[0] not in commands and not argv[0].startswith("-"):
        near = difflib.get_close_matches(argv[0], commands, n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        print(f"xl-quintus: unknown command {argv[0]!r}{hint}; commands: {', '.join(commands)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        args = p.parse_args(argv)
    except SystemExit as e:                      # argparse printed its one line (or the help)
        return EXIT_OK if e.code == 0 else EXIT_USAGE
    from .workbook import WorkbookError       # (not .recalc: it imports xlwings, before `serve` sets it up)

    try:
        return args.run(args)
    except UsageError as e:
        print(f"xl-quintus {args.command}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except WorkbookError as e:
        print(f"xl-quintus {args.command}: {e}", file=sys.stderr)
        return e.code
    except CharterError as e:
        print(f"xl-quintus {args.command}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:                 # output piped into head, less ...
        try:
            sys.stdout = open("/dev/null", "w")  # noqa: SIM115 (silence the flush at exit)
        except OSError:
            pass
        return EXIT_OK
    except KeyboardInterrupt:
        print("xl-quintus: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:
        print(f"xl-quintus {args.command}: out of memory", file=sys.stderr)
        return EXIT_ENGINE
    except Exception as e:                   # a defect: still one line
        print(f"xl-quintus {args.command}: internal error, please report it: {type(e).__name__}: "
              f"{str(e).splitlines()[0][:300] if str(e) else ''}", file=sys.stderr)
        return EXIT_ENGINE


if __name__ == "__main__":
    sys.exit(main())
