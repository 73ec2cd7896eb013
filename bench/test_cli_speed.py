"""CLI start-up: `talkbench --help` and `talkbench ls protocols` vs the bare interpreter (`python -c pass`),
each a fresh process. The speed-up is below 1 (the CLI does more than nothing): 1/speed-up is the
multiple of Python's own start-up. Issue 17 asks for ≤ 0.5 s of import time for `--help`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import talkbench

ENV = {**os.environ, "PYTHONPATH": str(Path(talkbench.__file__).resolve().parents[1])}


def launch(*args: str):
    return lambda: subprocess.run([sys.executable, *args], env=ENV, check=True, capture_output=True)


@pytest.mark.parametrize("argv", [["--help"], ["ls", "protocols"]], ids=["help", "ls-protocols"])
def test_cli_start_up_vs_bare_python(benchmark, record_ratio, argv):
    ours = launch("-m", "talkbench.cli", *argv)
    row = record_ratio(f"talkbench {' '.join(argv)}", "talkbench CLI process", "python -c pass", ours,
                       launch("-c", "pass"), rounds=7)
    benchmark.pedantic(ours, rounds=5, iterations=1, warmup_rounds=1)
    assert row.ours_s - row.reference_s <= 0.5, f"start-up costs {row.ours_s - row.reference_s:.2f} s over bare python"
