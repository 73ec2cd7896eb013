"""CLI start-up: `talkbench --help` and the cheap `ls` topics import no heavy dependency.

Import cost is read from `python -X importtime` and compared with the interpreter's own start-up
(`python -c pass`) as a ratio, never as a wall-clock threshold.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import talkbench

SRC = str(Path(talkbench.__file__).resolve().parents[1])
HEAVY = ("torch", "mediapipe", "ray", "numba", "numpy", "cv2", "tqdm")


def import_profile(*args: str) -> dict[str, int]:
    """Top-level module -> cumulative import microseconds, from `python -X importtime ARGS`."""
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        if not name.startswith("  "):  # one space: imported at top level
            out[name.strip()] = int(cumulative)
    return out


def all_modules(*args: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True, env=env, timeout=120)
    return {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:") and "|" in line}


@pytest.mark.parametrize("argv", [["--help"], ["ls", "protocols"], ["ls", "published"], ["ls", "weights"], ["--version"]])
def test_start_up_imports_no_heavy_dependency(argv):
    mods = all_modules("-m", "talkbench.cli", *argv)
    assert "talkbench.errors" in mods  # the CLI really ran (as __main__)
    loaded = sorted(m for m in mods if m.split(".")[0] in HEAVY)
    assert not loaded, f"`talkbench {' '.join(argv)}` imports {loaded[:8]}"


def test_help_import_cost_is_a_small_multiple_of_bare_python():
    # fastest of 5 alternating runs each: a busy machine inflates single runs, not the fastest
    base, help_cost = float("inf"), float("inf")
    for _ in range(5):
        base = min(base, sum(import_profile("-c", "pass").values()))
        help_cost = min(help_cost, sum(import_profile("-m", "talkbench.cli", "--help").values()))
    # bare interpreter ~33 ms of imports here, so the 0.5 s is ~15×; --help measures ~3× on a quiet
    # machine (the torch import it used to do alone was > 100×)
    assert help_cost <= 15 * base, (help_cost, base)


def test_help_lists_every_command_without_importing_it():
    from talkbench.cli import COMMANDS, build_parser

    before = set(sys.modules)
    text = build_parser(["--help"]).format_help()
    assert all(name in text for name in COMMANDS)
    assert not any(m.startswith("talkbench.commands.") for m in set(sys.modules) - before)
