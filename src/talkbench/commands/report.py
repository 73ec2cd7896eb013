from __future__ import annotations

import sys
from pathlib import Path

from ..errors import InputError
from ..reports.table import LATEX_WIDTHS

from .output import write_or_print

FORMATS = ("md", "latex", "html", "csv")


def add_arguments(p) -> None:
    p.add_argument("results", nargs="*", metavar="RESULTS", help="result folders or summary.json files")
    p.add_argument("--published", action="append", default=[], metavar="TABLE_ID",
                   help="add a published table (exact id or prefix, e.g. real3d.t1); repeatable; "
                        "`talkbench ls published` lists them")
    p.add_argument("--format", choices=FORMATS, default="md", help="output format (html: one self-contained report)")
    p.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--ci", action="store_true", help="show the bootstrap 95%% CI of each run value")
    p.add_argument("--n", action="store_true", help="show the number of evaluated items")
    p.add_argument("--vs", metavar="METHOD",
                   help="reported-vs-reproduced view: compare each run with this method's row of the --published table")
    p.add_argument("--plots", metavar="DIR", help="also write the plots (PNG and PDF) into DIR")
    p.add_argument("--columns", metavar="COLS",
                   help="comma-separated metric columns to show, in this order (keys such as psnr,lpips,csim "
                        "or printed labels); default: every column")
    p.add_argument("--latex-width", choices=LATEX_WIDTHS, default="fit",
                   help="LaTeX: fit = shrink to \\linewidth only when wider (default), resize = always scale "
                        "to \\linewidth, tabular* = spread columns over \\linewidth, natural = as is")


def run(args) -> int:
    from ..baselines.published import select_tables
    from ..reports.board import build_boards, reproduction_board
    from ..reports.runs import load_runs
    from ..reports.table import RenderOptions, render_csv, render_table

    if not args.results and not args.published:
        raise InputError(None, "nothing to report", "pass result folders and/or --published TABLE_ID")
    runs = load_runs(args.results)
    tables = select_tables(args.published)
    opts = RenderOptions(ci=args.ci, n=args.n, latex_width=args.latex_width)
    if args.vs:
        if len(tables) != 1 or not runs:
            raise InputError(None, "--vs needs result files and exactly one published table",
                             "name one table part, e.g. --published real3d.t1.same-id")
        boards = [reproduction_board(r, tables[0], args.vs) for r in runs]
    else:
        boards = build_boards(runs, tables)
    if args.columns:
        from ..reports.table import select_columns

        try:
            boards = select_columns(boards, args.columns.split(","))
        except ValueError as exc:
            raise InputError(None, f"--columns: {exc}", "pick from the listed columns") from exc

    if args.plots:
        from ..reports.figures import write_all_plots

        for path in write_all_plots(boards, runs, Path(args.plots)):
            print(f"wrote {path}", file=sys.stderr)

    if args.format == "html":
        from ..reports.html import render_report

        import dataclasses

        # the HTML report always shows CI and n (its intro says so)
        text = render_report(boards, runs, tables, dataclasses.replace(opts, ci=True, n=True))
    elif args.format == "csv":
        text = render_csv(boards, opts)
    else:
        text = "\n".join(render_table(b, args.format, opts) for b in boards)
    write_or_print(text, args.out)
    return 0
