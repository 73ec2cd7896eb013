"""Ray executor (optional extra `talkbench[ray]`): shards items over a Ray cluster, streams outcomes back.

Each shard is one Ray task that evaluates its items in order and returns their outcomes; the driver
takes shards as they finish (`ray.wait`) and writes every outcome, so set-level statistics are
merged by the driver in manifest order, exactly as with the local executor.
"""
from __future__ import annotations

import os
import socket

from ...errors import InputError
from ..evaluate import evaluate_item
from . import OnOutcome


DEFAULT_CONNECT_TIMEOUT = 15.0  # seconds; TALKBENCH_RAY_TIMEOUT overrides


def check_reachable(address: str, timeout: float) -> None:
    """Fail fast (InputError naming the address) when nothing answers at a `host:port` / `ray://host:port`
    Ray address; `ray.init` itself would wait for minutes."""
    if address in ("auto", "local"):
        return
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise InputError(address, "is not a Ray address", "pass HOST:PORT (e.g. 10.0.0.5:6379) or ray://HOST:10001")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise InputError(address, f"cannot be reached within {timeout:g} s ({exc.strerror or exc})",
                         "start the cluster (`ray start --head`) or fix --ray-address; TALKBENCH_RAY_TIMEOUT sets the wait") from None


def init_within(ray, address: str, timeout: float) -> None:
    """`ray.init(address)` bounded in time: a port that accepts connections but is no Ray head would hang."""
    import threading

    failure: list[BaseException] = []

    def connect() -> None:
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)

    thread = threading.Thread(target=connect, daemon=True, name="talkbench-ray-init")
    thread.start()
    thread.join(timeout * 4)
    if thread.is_alive():
        raise InputError(address, f"accepts connections but no Ray cluster answered within {timeout * 4:g} s",
                         "check that it is a Ray head's address (`ray status`); TALKBENCH_RAY_TIMEOUT sets the wait")
    if failure:
        exc = failure[0]
        raise InputError(address, f"refused the Ray connection ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})",
                         "check the address and that the cluster runs the same Ray version") from None


def _evaluate_shard(job, items):
    return [evaluate_item(job, item) for item in items]


class RayExecutor:
    def __init__(self, workers: int = 2, address: str | None = None, shard_size: int = 1, connect_timeout: float | None = None):
        self.workers = max(1, int(workers))
        self.address = address
        self.connect_timeout = float(connect_timeout or os.environ.get("TALKBENCH_RAY_TIMEOUT") or DEFAULT_CONNECT_TIMEOUT)
        self.shard_size = max(1, int(shard_size))

    def run(self, job, items: list[dict], on_outcome: OnOutcome) -> None:
        try:
            import ray
        except ImportError as exc:
            raise InputError(None, "the Ray executor needs the 'ray' package", "pip install 'talkbench[ray]'") from exc
        if not ray.is_initialized():
            if self.address:
                check_reachable(self.address, self.connect_timeout)
                init_within(ray, self.address, self.connect_timeout)
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
