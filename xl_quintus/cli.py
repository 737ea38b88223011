"""Command line: ``xl-quintus`` (or ``python -m xl_quintus``).

``xl-quintus waterfall [EXIT ...]`` prints the Section 2 waterfall of the sample Quintus cap
table (every authorized preferred share outstanding, 12,000,000 Common) at each exit value,
and the exit values where the split of the next dollar changes.
"""

from __future__ import annotations

import argparse
import sys

from .charter.cap_table import CapTable
from .errors import CharterError
from .exit.model import model_for
from .tables import breakpoints_table, waterfall_table
from .charter.terms import COMMON, Charter, load_charter, quintus

DEFAULT_EXITS = (25_000_000, 75_000_000, 150_000_000, 400_000_000, 1_000_000_000)


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


def print_table(rows):
    cells = [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells if i < len(r)) for i in range(len(cells[0]))]
    for r in cells:
        sys.stdout.write("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) + "\n")


def waterfall(args) -> int:
    charter = load_charter(args.terms) if args.terms else quintus()
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
    print("Breakpoints: share of each next dollar above each exit value")
    bp = breakpoints_table(model)
    print_table([[r[0], r[1][:70]] + r[3:] for r in [bp[0]] + [[_fmt(r[0])] + r[1:] for r in bp[1:]]])
    return 0


def build_workbooks(args) -> int:
    from pathlib import Path

    from .workbook.recalc import RecalcError, recalc
    from .workbook.builder import build_all

    for path in build_all(Path(args.directory)):
        try:
            report = recalc(path, path, in_place=True)
        except RecalcError as e:
            print(f"xl-quintus: {e}", file=sys.stderr)
            return 2
        print(f"built {path}: {report.q_cells} Q-function cells, {len(report.errors)} errors")
    return 0


COMMANDS = ("waterfall", "recalc", "build-workbooks", "serve", "-h", "--help")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="xl-quintus", description="The Quintus charter, computed.")
    sub = parser.add_subparsers(dest="command")
    r = sub.add_parser("recalc", help="recalculate a workbook's Q-functions and formulas without Excel")
    r.add_argument("model", help="the .xlsx workbook")
    r.add_argument("-o", "--output", help="where to write (default: MODEL.recalc.xlsx)")
    r.add_argument("--in-place", action="store_true", help="overwrite the input (atomically)")
    b = sub.add_parser("build-workbooks", help="write the sample deal models")
    b.add_argument("directory", nargs="?", default="workbooks")
    w = sub.add_parser("waterfall", help="Section 2 waterfall of the sample Quintus cap table")
    w.add_argument("exits", nargs="*", type=float, default=list(DEFAULT_EXITS), help="exit values in dollars")
    w.add_argument("--common", type=int, default=12_000_000, help="Common shares outstanding")
    w.add_argument("--conversions", default="optimal", choices=("optimal", "none", "all"))
    w.add_argument("--terms", help="a TOML terms file instead of Quintus 1999")
    from .server.serve import add_parser as add_serve_parser, serve
    add_serve_parser(sub)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        argv = ["waterfall"] + argv                      # the waterfall is the default
    args = parser.parse_args(argv)
    try:
        if args.command == "recalc":
            from .workbook.recalc import main_recalc
            return main_recalc(args)
        if args.command == "build-workbooks":
            return build_workbooks(args)
        if args.command == "serve":
            return serve(args)
        return waterfall(args)
    except CharterError as e:
        print(f"xl-quintus: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:                 # output piped into head, less ...
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
