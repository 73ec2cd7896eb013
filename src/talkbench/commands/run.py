from __future__ import annotations

from ..errors import NotAvailableYet

HELP = "run a protocol on a model or on your own outputs"


def add_arguments(p) -> None:
    p.add_argument("rest", nargs="*")


def run(args) -> int:
    raise NotAvailableYet("`talkbench run`", 5)
