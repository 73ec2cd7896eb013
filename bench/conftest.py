"""Side-by-side ratios for `make bench`.

Each benchmark times talkbench's implementation with pytest-benchmark AND measures it against the
tool a user would otherwise run (or the physical floor) with :func:`side_by_side`: the two callables
alternate, round after round, in the same process, so a machine that gets busier or quieter during
the run slows both alike; the ratio is of the fastest round of each. At the end of the session a
table of every ratio is printed (and written to ``$TALKBENCH_BENCH_TABLE`` as JSON when set).
"""
from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass

import pytest

_ROWS_KEY = pytest.StashKey[list]()


@dataclass
class Ratio:
    name: str  # what is compared
    ours: str
    reference: str
    ours_s: float  # fastest round
    reference_s: float
    goal: float | None = None  # reference_s / ours_s the issue asks for (None: reported only)

    @property
    def speedup(self) -> float:
        return self.reference_s / self.ours_s


def side_by_side(ours, reference, rounds: int = 5, warmup: int = 1) -> tuple[float, float]:
    """Fastest-round seconds of (ours, reference), called alternately after ``warmup`` calls each."""
    for _ in range(warmup):
        ours(), reference()
    t_ours, t_ref = [], []
    for _ in range(rounds):
        t0 = time.perf_counter(); ours(); t_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); reference(); t_ref.append(time.perf_counter() - t0)
    return min(t_ours), min(t_ref)


@pytest.fixture
def record_ratio(request, benchmark):
    """record_ratio(name, ours_label, reference_label, ours, reference, goal=None, rounds=5) -> Ratio.

    Also stores the ratio in the pytest-benchmark entry's extra_info; asserting the goal is the caller's."""
    rows = request.config.stash.setdefault(_ROWS_KEY, [])

    def record(name, ours_label, ref_label, ours, reference, goal=None, rounds=5, warmup=1) -> Ratio:
        t_ours, t_ref = side_by_side(ours, reference, rounds, warmup)
        row = Ratio(name, ours_label, ref_label, t_ours, t_ref, goal)
        rows.append(row)
        benchmark.extra_info.update({"ratio_vs": ref_label, "speedup": round(row.speedup, 3), "goal": goal})
        return row

    return record


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    import torch

    return (f"{cpu}, {os.cpu_count()} logical CPUs, torch {torch.__version__} ({torch.get_num_threads()} threads), "
            f"load average {os.getloadavg()[0]:.1f}")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    rows: list[Ratio] = config.stash.get(_ROWS_KEY, [])
    if not rows:
        return
    tr = terminalreporter
    tr.section("talkbench ratios (side by side, fastest round of each)")
    tr.write_line(f"machine: {machine()}")
    head = f"{'benchmark':<34} {'talkbench':>11} {'reference':>11} {'speed-up':>9} {'goal':>6}  reference is"
    tr.write_line(head)
    tr.write_line("-" * len(head))
    for r in rows:
        goal = "" if r.goal is None else f"≥{r.goal:g}×"
        tr.write_line(f"{r.name:<34} {r.ours_s * 1e3:>9.1f}ms {r.reference_s * 1e3:>9.1f}ms {r.speedup:>8.1f}× {goal:>6}  {r.reference}")
    out = os.environ.get("TALKBENCH_BENCH_TABLE")
    if out:
        with open(out, "w") as f:
            json.dump({"machine": machine(), "rows": [{**asdict(r), "speedup": r.speedup} for r in rows]}, f, indent=2)
