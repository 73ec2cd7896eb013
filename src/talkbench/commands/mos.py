from __future__ import annotations

from .output import write_or_print


def add_arguments(p) -> None:
    p.add_argument("ratings", metavar="RATINGS.csv", help="CSV with columns rater, sample, method, aspect, score (1-5)")
    p.add_argument("--interval", choices=("t", "bootstrap-raters"), default="t",
                   help="t: Student-t over ratings (default); bootstrap-raters: resample raters")
    p.add_argument("--format", choices=("md", "latex", "html", "csv"), default="md")
    p.add_argument("--out", metavar="FILE", help="write here instead of stdout")


def run(args) -> int:
    from ..reports.mos import mos_board, read_ratings
    from ..reports.table import RenderOptions, render_table

    board = mos_board(read_ratings(args.ratings), "t" if args.interval == "t" else "bootstrap")
    text = render_table(board, args.format, RenderOptions(ci=True, ci_style="pm"))
    write_or_print(text, args.out)
    return 0
