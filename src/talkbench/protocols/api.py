"""`talkbench.run(...)`: run a frozen protocol on a model or on a folder of predictions.

    import talkbench
    summary = talkbench.run("hdtf-same-id", data="/data/HDTF", pred="my_outputs/", out="results/hdtf")
    summary["metrics"]["psnr"]["value"]
"""
from __future__ import annotations

from pathlib import Path
from typing import Any


def run(protocol: str | Path, data, out: str | Path, model: str | None = None, pred: str | Path | None = None,
        **options: Any) -> dict[str, Any]:
    """Run `protocol` and return the summary dict (also written to OUT/summary.json + items.jsonl).

    Options are the RunConfig fields: checkpoint, limit, executor ("local" | "ray"), workers, resume,
    offline_backbones, metrics (list of names), ray_address, model_config, on_item.
    """
    from .runner import RunConfig, run_protocol

    cfg = RunConfig(protocol=protocol, data=data, out=Path(out), model=model, pred=None if pred is None else Path(pred),
                    **options)
    return run_protocol(cfg).to_dict()
