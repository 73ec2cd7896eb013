"""Shared pieces of the fuzz suites (tests/test_fuzz_*.py): tiny inputs and the check every bad-input case passes.

A case is a kind of bad input: the CLI must answer it with the expected exit code, never print a
traceback (without -v), and, for a rejection (exit 2), print `talkbench: error: PATH: what. Fix: how`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from talkbench.cli import main


@dataclass(frozen=True)
class Case:
    kind: str  # one distinct kind of bad input
    build: Callable[[Path], list[str]]  # tmp folder -> argv
    code: int  # expected exit code
    says: str = ""  # regex the message must contain (stderr)

    def __str__(self) -> str:
        return self.kind


def write_frames(folder: Path, frames) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"frame_{i:03d}.png")
    return folder


def random_frames(seed: int, n: int = 3, size: tuple[int, int] = (24, 24)) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (*size, 3), dtype=np.uint8) for _ in range(n)]


def run_cli(capsys, argv: list[str]) -> tuple[int, str, str]:
    import logging
    import sys

    for h in logging.getLogger("talkbench").handlers:  # the log handler of an earlier test holds its closed stderr
        if getattr(h, "_talkbench", False):
            h.stream = sys.stderr
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def check_case(capsys, case: Case, tmp: Path) -> tuple[str, str]:
    """Run one case and assert the contract; returns (stdout, stderr)."""
    code, out, err = run_cli(capsys, case.build(tmp))
    assert "Traceback" not in err and "Traceback" not in out, f"{case}: traceback printed\n{err}"
    assert code == case.code, f"{case}: exit {code}, expected {case.code}\n{err}"
    if code == 2:
        line = next((ln for ln in err.splitlines() if ln.startswith("talkbench: error: ")), None)
        if line is None:  # `validate` lists its findings as a table on stdout: a malformed row carries the fix
            assert "malformed" in out and "Fix: " in out, f"{case}: neither an error line nor a malformed finding\n{out}{err}"
        else:  # `PATH: what. Fix: how` (PATH: the file, or the option at fault); unknown names offer "Did you mean"
            assert re.search(r"talkbench: error: .+: .+\. (Fix: .+|.*`talkbench ls)", line) or "Did you mean" in line, \
                f"{case}: not `PATH: what. Fix: how`: {line}"
    if case.says:
        assert re.search(case.says, out + err), f"{case}: {case.says!r} not in\n{out}{err}"
    return out, err
