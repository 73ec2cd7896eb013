from __future__ import annotations

from ..errors import NotAvailableYet

HELP = "manage official backbone weights (status, fetch, import, verify)"


def add_arguments(p) -> None:
    p.add_argument("rest", nargs="*")


def run(args) -> int:
    raise NotAvailableYet("`talkbench weights`", 3)
