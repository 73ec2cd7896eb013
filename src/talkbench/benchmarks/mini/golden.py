"""Golden regression numbers: freeze a run's summary values, later compare a rerun with tolerances.

The same recipe serves users' checkpoint regression in CI: run a protocol once, `freeze` the
summaries into a JSON file you commit, and have a test rerun it and `check` it (see the README).

    python -m talkbench.benchmarks.mini.golden freeze RESULTS_DIR GOLDEN.json
    python -m talkbench.benchmarks.mini.golden check RESULTS_DIR GOLDEN.json   # exit 1 on any difference

Keys are ``<protocol>/<metric>`` for an unnamed `--pred` run and ``<protocol>/<label>/<metric>`` where
the run has a label (`run --name LABEL`, else the `--model` name): never a folder name, so a new
checkpoint's predictions folder or result folder yields the same keys.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from ...errors import InputError
from ...io.jsonfloat import decode, encode
from ...results.store import load_summary

#: relative tolerance per metric family; pixel metrics are float64 arithmetic on identical bytes
DEFAULT_RTOL = 1e-9
RTOL: dict[str, float] = {"akd_mediapipe": 1e-6, "aed_mediapipe": 1e-6, "apd_mediapipe": 1e-6, "lmd_mediapipe": 1e-6,
                          "csim_dlib": 1e-6}


def run_key(summary: dict) -> str:
    """``<protocol>`` or ``<protocol>/<label>``: the label is `--name`, else the `--model` name; an
    unnamed `--pred` run (model name ``predictions:<folder>``) has none, so its folder never matters."""
    name = (summary.get("run") or {}).get("name")
    if not name and "pred" not in (summary.get("model") or {}):
        name = (summary.get("model") or {}).get("name")
    return f"{summary['protocol']['id']}/{name}" if name else summary["protocol"]["id"]


def _summaries(results: Path) -> list[tuple[Path, dict]]:
    return [(path, load_summary(path)) for path in sorted(Path(results).rglob("summary.json"))]


def collect(results: Path) -> dict[str, float | None]:
    """{"<protocol>[/<label>]/<metric>": value} for every summary.json under ``results`` (see run_key)."""
    out: dict[str, float | None] = {}
    owner: dict[str, Path] = {}
    for path, s in _summaries(results):
        key = run_key(s)
        if key in owner:
            raise InputError(path, f"is a second run keyed '{key}' (the first is {owner[key]})",
                             "give each run its own label with `talkbench run --name LABEL`")
        owner[key] = path
        for metric, m in sorted(s["metrics"].items()):
            out[f"{key}/{metric}"] = decode(m["value"]) if m["value"] is not None else None
    return out


def lost_items(results: Path) -> list[str]:
    """Runs under ``results`` with items missing for every metric (a golden run is complete)."""
    problems = []
    for _, s in _summaries(results):
        whole = sorted({m["item"] for m in s.get("missing") or [] if m.get("metric") is None})
        if whole:
            problems.append(f"{run_key(s)}: {len(whole)} item(s) lost in the rerun: {', '.join(whole)}")
    return problems


def check(results: Path, golden_path: Path) -> list[str]:
    """Every difference between the runs under ``results`` and a golden file, and every lost item."""
    return lost_items(results) + compare(collect(results), read(golden_path))


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


USAGE = ("usage: python -m talkbench.benchmarks.mini.golden freeze RESULTS_DIR GOLDEN.json\n"
         "       python -m talkbench.benchmarks.mini.golden check RESULTS_DIR GOLDEN.json")


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in ("freeze", "check"):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        if argv[0] == "freeze":
            print(freeze(Path(argv[1]), Path(argv[2])))
            return 0
        problems = check(Path(argv[1]), Path(argv[2]))
    except InputError as exc:
        print(f"talkbench: error: {exc}", file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    print(f"{len(problems)} difference(s) from {argv[2]}" if problems else f"every number of {argv[2]} reproduced")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
