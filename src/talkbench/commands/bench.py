from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def add_arguments(p) -> None:
    p.add_argument("-k", default=None, help="only benchmarks matching this expression")
    p.add_argument("--bench-dir", type=Path, default=Path("bench"), help="folder of benchmark files (default ./bench)")


def run(args) -> int:
    if not args.bench_dir.is_dir():
        print(f"talkbench: error: {args.bench_dir}: no benchmark folder here. Fix: run from a talkbench checkout or pass --bench-dir", file=sys.stderr)
        return 2
    cmd = [sys.executable, "-m", "pytest", str(args.bench_dir), "--benchmark-only", "-q"]
    if args.k:
        cmd += ["-k", args.k]
    return subprocess.call(cmd)
