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

    check_text(args.ratings)
    board = mos_board(read_ratings(args.ratings), "t" if args.interval == "t" else "bootstrap")
    text = render_table(board, args.format, RenderOptions(ci=True, ci_style="pm"))
    write_or_print(text, args.out)
    return 0


def check_text(path) -> None:
    """The ratings file must be UTF-8 text (a Latin-1 or binary file is refused with the fix, not a traceback)."""
    from pathlib import Path

    from ..errors import InputError

    p = Path(path)
    if not p.is_file():
        raise InputError(p, "is a folder" if p.is_dir() else "does not exist", "pass the ratings CSV file")
    data = p.read_bytes()
    if b"\x00" in data:
        raise InputError(p, "is a binary file, not a CSV", "export the ratings as a UTF-8 CSV")
    if data.startswith(b"\xef\xbb\xbf"):
        raise InputError(p, "starts with a UTF-8 byte-order mark", "save it as UTF-8 without BOM (\"CSV UTF-8\" without signature)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(p, f"is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})",
                         "re-save the CSV as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
