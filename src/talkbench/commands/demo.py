from __future__ import annotations

from pathlib import Path

from .output import add_json_flag, emit_json, print_table

HELP = "run the embedded offline mini benchmark (until the demo lands: the core self-check)"


def add_arguments(p) -> None:
    p.add_argument("--out", type=Path, default=Path("talkbench-out/demo"), help="output folder")
    add_json_flag(p)


def run(args) -> int:
    from ..selfcheck import run_selfcheck

    rows = run_selfcheck(args.out)
    if args.json:
        emit_json(rows)
    else:
        print_table(rows, ("check", "value", "expected", "ok"))
        print(f"\nresults written to {args.out}")
    return 0 if all(r["ok"] for r in rows) else 1
