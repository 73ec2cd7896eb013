from __future__ import annotations

from ..errors import NotAvailableYet

HELP = "compare two summary.json files and exit non-zero on a regression"


def add_arguments(p) -> None:
    p.add_argument("rest", nargs="*")


def run(args) -> int:
    raise NotAvailableYet("`talkbench compare`", 6)
