"""`talkbench demo`: build the mini benchmark, run the baselines on the mini protocols, write a report.

Everything runs offline on CPU. Metrics whose weights are not installed are reported (by the
runner, per metric, with the `talkbench weights import` command) rather than dropped.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...logs import get_logger, heartbeat
from .build import MiniConfig, build_mini, default_parent

log = get_logger(__name__)

#: protocol -> baselines run on it (landmark-warp needs driving frames, input-view cameras)
RUNS: dict[str, tuple[str, ...]] = {
    "mini-same-id": ("source-copy", "landmark-warp", "gt-oracle"),
    "mini-cross-id": ("source-copy", "landmark-warp", "gt-oracle"),
    "mini-audio": ("source-copy", "gt-oracle"),
    "mini-nxn": ("input-view",),  # the N×N task hands models cameras only, so gt-oracle has nothing to copy
}


@dataclass
class DemoResult:
    out: Path
    data_root: Path
    runs: list[dict[str, Any]] = field(default_factory=list)  # protocol, model, folder, error
    reports: dict[str, str] = field(default_factory=dict)  # format -> path
    metrics_run: list[str] = field(default_factory=list)
    metrics_missing: dict[str, str] = field(default_factory=dict)  # metric -> reason
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "data_root": str(self.data_root), "runs": self.runs, "reports": self.reports,
                "metrics_run": self.metrics_run, "metrics_missing": self.metrics_missing, "seconds": self.seconds}


def run_demo(out: Path, cfg: MiniConfig = MiniConfig(), rebuild: bool = False, runs: dict[str, tuple[str, ...]] | None = None,
             data_parent: Path | None = None, report: bool = True,
             metrics: dict[str, list[str]] | None = None, workers: int = 1) -> DemoResult:
    """Build (or reuse) the mini data, run each protocol × baseline into OUT/results/<protocol>/<model>,
    then write OUT/leaderboard.md, OUT/report.html and OUT/plots/. ``metrics`` restricts a protocol's
    metrics (protocol id -> names), as the golden test does; by default every metric of the spec runs."""
    from ...protocols.api import run as run_protocol

    out = Path(out)
    t0 = time.perf_counter()
    with heartbeat("demo: building the mini benchmark data"):
        root = build_mini(data_parent or default_parent(out.parent if out.name == "demo" else out), cfg, force=rebuild)
    result = DemoResult(out, root, seconds={"build": round(time.perf_counter() - t0, 1)})
    for protocol, models in (runs or RUNS).items():
        for model in models:
            folder = out / "results" / protocol / model
            t = time.perf_counter()
            entry: dict[str, Any] = {"protocol": protocol, "model": model, "folder": str(folder)}
            shutil.rmtree(folder, ignore_errors=True)  # the demo's own output: each demo run starts fresh
            try:
                extra = {"metrics": list(metrics[protocol])} if metrics and protocol in metrics else {}
                log.info("demo: %s on %s", model, protocol)
                summary = run_protocol(protocol, data=root, out=folder, model=model, workers=workers, **extra)
                _collect(result, summary)
            except Exception as exc:  # one failing run must not hide the others; it is reported
                log.error("%s on %s failed: %s", model, protocol, exc)
                entry["error"] = f"{type(exc).__name__}: {exc}"
            entry["seconds"] = round(time.perf_counter() - t, 1)
            result.runs.append(entry)
    result.seconds["runs"] = round(time.perf_counter() - t0 - result.seconds["build"], 1)
    if report:
        t = time.perf_counter()
        with heartbeat("demo: writing the report and plots"):
            result.reports = write_reports(out, [r["folder"] for r in result.runs if "error" not in r])
        result.seconds["report"] = round(time.perf_counter() - t, 1)
    result.metrics_run.sort()
    return result


def _collect(result: DemoResult, summary: dict[str, Any]) -> None:
    for name, m in summary.get("metrics", {}).items():
        if m.get("n", 0) > 0 and name not in result.metrics_run:
            result.metrics_run.append(name)
    for miss in summary.get("missing", []):
        metric = miss.get("metric")
        if metric and metric not in result.metrics_run and metric not in result.metrics_missing:
            result.metrics_missing[metric] = miss.get("reason", "")
    for name in result.metrics_run:
        result.metrics_missing.pop(name, None)


def write_reports(out: Path, folders: list[str]) -> dict[str, str]:
    """Markdown and HTML leaderboards plus plots, as `talkbench report` writes them."""
    from ...errors import TalkbenchError
    from ...io.atomic import atomic_write_text
    from ...reports.board import build_boards
    from ...reports.figures import write_all_plots
    from ...reports.html import render_report
    from ...reports.runs import load_runs
    from ...reports.table import RenderOptions, render_table

    reports: dict[str, str] = {}
    if not folders:
        return reports
    try:
        runs = load_runs(folders)
        boards = build_boards(runs, [])
        atomic_write_text(out / "leaderboard.md", "\n".join(render_table(b, "md") for b in boards))
        reports["md"] = str(out / "leaderboard.md")
        for path in write_all_plots(boards, runs, out / "plots"):
            log.debug("wrote %s", path)
        reports["plots"] = str(out / "plots")
        atomic_write_text(out / "report.html", render_report(boards, runs, [], RenderOptions(ci=True, n=True)))
        reports["html"] = str(out / "report.html")
    except TalkbenchError as exc:  # reported; the result folders stay usable with `talkbench report`
        log.error("writing the demo report failed: %s", exc)
    return reports


def summary_lines(result: DemoResult) -> list[str]:
    """The short terminal summary: where the report is, what ran, what was skipped and why."""
    lines = [f"mini benchmark data: {result.data_root}"]
    ok = [r for r in result.runs if "error" not in r]
    lines.append(f"runs: {len(ok)} of {len(result.runs)} (protocol × baseline) finished; results in {result.out / 'results'}")
    for r in result.runs:
        if "error" in r:
            lines.append(f"  FAILED {r['model']} on {r['protocol']}: {r['error']}")
    if result.reports:
        for kind, path in result.reports.items():
            lines.append(f"report ({kind}): {path}")
    lines.append(f"metrics run: {', '.join(result.metrics_run) or 'none'}")
    if result.metrics_missing:
        lines.append("metrics skipped:")
        for name, reason in sorted(result.metrics_missing.items()):
            lines.append(f"  {name}: {reason}")
    lines.append("timings (s): " + ", ".join(f"{k} {v}" for k, v in result.seconds.items()))
    return lines
