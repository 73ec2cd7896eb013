"""`talkbench demo`: the embedded offline mini benchmark, end to end (see talkbench.benchmarks.mini.demo)."""
from __future__ import annotations

from pathlib import Path

from .output import add_json_flag, emit_json

DEMO_FRAMES = 16


def add_arguments(p) -> None:
    p.add_argument("--out", type=Path, default=Path("talkbench-out/demo"), help="output folder")
    p.add_argument("--frames", type=int, default=None, help=f"frames per driving clip (default {DEMO_FRAMES}; fewer is faster)")
    p.add_argument("--workers", type=int, default=1, help="item worker processes (default 1: in-process, which reuses loaded backbones across runs and is fastest on a small machine)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the mini data even when a cached copy exists")
    p.add_argument("--no-report", action="store_true", help="only the result files, no Markdown/HTML/plots")
    add_json_flag(p)


def run(args) -> int:
    from ..benchmarks.mini.build import MiniConfig
    from ..benchmarks.mini.demo import run_demo, summary_lines

    cfg = MiniConfig(n_frames=args.frames or DEMO_FRAMES)
    result = run_demo(args.out, cfg, rebuild=args.rebuild, report=not args.no_report, workers=args.workers)
    if args.json:
        emit_json(result.to_dict())
    else:
        print("\n".join(summary_lines(result)))
    return 0 if result.runs and all("error" not in r for r in result.runs) else 1
