from __future__ import annotations

from ..errors import NotAvailableYet

HELP = "check a dataset's on-disk layout"


def add_arguments(p) -> None:
    p.add_argument("rest", nargs="*")


def run(args) -> int:
    raise NotAvailableYet("`talkbench validate`", 5)
