"""Ray executor (optional extra `talkbench[ray]`): shards items over a Ray cluster, streams outcomes back.

Each shard is one Ray task that evaluates its items in order and returns their outcomes; the driver
takes shards as they finish (`ray.wait`) and writes every outcome, so set-level statistics are
merged by the driver in manifest order, exactly as with the local executor.
"""
from __future__ import annotations

from ...errors import InputError
from ..evaluate import evaluate_item
from . import OnOutcome


def _evaluate_shard(job, items):
    return [evaluate_item(job, item) for item in items]


class RayExecutor:
    def __init__(self, workers: int = 2, address: str | None = None, shard_size: int = 1):
        self.workers = max(1, int(workers))
        self.address = address
        self.shard_size = max(1, int(shard_size))

    def run(self, job, items: list[dict], on_outcome: OnOutcome) -> None:
        try:
            import ray
        except ImportError as exc:
            raise InputError(None, "the Ray executor needs the 'ray' package", "pip install 'talkbench[ray]'") from exc
        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
        task = ray.remote(num_cpus=1)(_evaluate_shard)
        shards = [items[k:k + self.shard_size] for k in range(0, len(items), self.shard_size)]
        job_ref = ray.put(job)
        pending = [task.remote(job_ref, shard) for shard in shards]
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for outcome in ray.get(done[0]):
                    on_outcome(outcome)
        finally:
            for ref in pending:
                ray.cancel(ref)
