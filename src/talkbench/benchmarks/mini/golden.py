"""Golden regression numbers: freeze a run's summary values, later compare a rerun with tolerances.

The same recipe serves users' checkpoint regression in CI: run a protocol once, `freeze` the
summaries into a JSON file you commit, and have a test rerun it and `compare` (see the README).

    python -m talkbench.benchmarks.mini.golden freeze RESULTS_DIR GOLDEN.json
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from ...io.jsonfloat import decode, encode
from ...results.store import load_summary

#: relative tolerance per metric family; pixel metrics are float64 arithmetic on identical bytes
DEFAULT_RTOL = 1e-9
RTOL: dict[str, float] = {"akd_mediapipe": 1e-6, "aed_mediapipe": 1e-6, "apd_mediapipe": 1e-6, "lmd_mediapipe": 1e-6,
                          "csim_dlib": 1e-6}


def collect(results: Path) -> dict[str, float | None]:
    """{"<protocol>/<model>/<metric>": value} for every summary.json under ``results``."""
    out: dict[str, float | None] = {}
    for path in sorted(Path(results).rglob("summary.json")):
        s = load_summary(path)
        key = f"{s['protocol']['id']}/{s['model'].get('name', path.parent.name)}"
        for metric, m in sorted(s["metrics"].items()):
            out[f"{key}/{metric}"] = decode(m["value"]) if m["value"] is not None else None
    return out


def compare(current: dict[str, float | None], golden: dict[str, float | None], atol: float = 1e-12) -> list[str]:
    """Human-readable differences (empty when every golden number is reproduced)."""
    problems = []
    for key, want in sorted(golden.items()):
        if key not in current:
            problems.append(f"{key}: missing from the rerun (golden {want})")
            continue
        got = current[key]
        rtol = RTOL.get(key.rsplit("/", 1)[-1], DEFAULT_RTOL)
        if want is None or got is None or (isinstance(want, float) and not math.isfinite(want)):
            same = got == want
        else:
            same = math.isclose(got, want, rel_tol=rtol, abs_tol=atol)
        if not same:
            problems.append(f"{key}: {got!r} differs from golden {want!r} (rtol {rtol:g})")
    for key in sorted(set(current) - set(golden)):
        problems.append(f"{key}: not in the golden file (value {current[key]!r})")
    return problems


def read(path: Path) -> dict[str, float | None]:
    return {k: decode(v) for k, v in json.loads(Path(path).read_text(encoding="utf-8")).items()}


def freeze(results: Path, path: Path) -> Path:
    Path(path).write_text(json.dumps(encode(collect(results)), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return Path(path)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "freeze":
        sys.exit("usage: python -m talkbench.benchmarks.mini.golden freeze RESULTS_DIR GOLDEN.json")
    print(freeze(Path(sys.argv[2]), Path(sys.argv[3])))
