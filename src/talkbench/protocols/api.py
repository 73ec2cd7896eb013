"""`talkbench.run(...)`: run a frozen protocol (owned by the protocols issue)."""
from __future__ import annotations

from ..errors import NotAvailableYet


def run(*args, **kwargs):
    raise NotAvailableYet("talkbench.run", 5)
