from __future__ import annotations

from ..errors import NotAvailableYet

HELP = "leaderboards, plots and HTML reports from result files"


def add_arguments(p) -> None:
    p.add_argument("rest", nargs="*")


def run(args) -> int:
    raise NotAvailableYet("`talkbench report`", 6)
