"""The per-stage timing harness the model benches share: one pytest-benchmark run of a stage, with frames
per second and peak memory (CUDA `max_memory_allocated`, else the process's resident-set high-water mark)."""
from __future__ import annotations

import resource

import torch

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def peak_mib() -> float:
    if DEVICE == "cuda":
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() / 2 ** 20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_stage(benchmark, fn, resolution: str, rounds: int = 2, grad: bool = False) -> None:
    """Time `fn` (no autograd unless `grad`) and record device, resolution, fps and peak memory."""
    if DEVICE == "cuda":
        torch.cuda.reset_peak_memory_stats()
    with torch.set_grad_enabled(grad):
        benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1 if DEVICE == "cuda" else 0)
    benchmark.extra_info.update(device=DEVICE, resolution=resolution, fps=1.0 / benchmark.stats.stats.mean,
                                peak_mib=peak_mib(), peak_kind="cuda max allocated" if DEVICE == "cuda" else "process max RSS")
