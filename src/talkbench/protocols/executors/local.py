"""The default executor: a process pool (workers > 1) or the calling process (workers = 1)."""
from __future__ import annotations

import multiprocessing
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from ..evaluate import evaluate_item
from . import OnOutcome


class LocalExecutor:
    def __init__(self, workers: int = 1):
        self.workers = max(1, int(workers))

    def run(self, job, items: list[dict], on_outcome: OnOutcome) -> None:
        if self.workers == 1:
            for item in items:
                on_outcome(evaluate_item(job, item))
            return
        # spawn: workers start clean (no forked torch / thread state); each imports talkbench once
        pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        try:
            pending = {pool.submit(evaluate_item, job, item) for item in items}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    on_outcome(fut.result())
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
