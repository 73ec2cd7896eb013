from __future__ import annotations

import sys
from pathlib import Path

from .output import add_json_flag, emit_json, print_table


def add_arguments(p) -> None:
    p.add_argument("--pred", required=True, type=Path, help="prediction: folder of frames or a video")
    p.add_argument("--gt", type=Path, help="ground truth: folder of frames or a video (paired-frame and set-level metrics)")
    p.add_argument("--metrics", default="psnr,ssim,l1", help="comma-separated metric names (default psnr,ssim,l1)")
    p.add_argument("--mask", type=Path, help="folder of GT alpha masks, for *_masked metrics")
    p.add_argument("--out", type=Path, help="also write summary.json + items.jsonl to this folder")
    p.add_argument("--audio", type=Path, help="audio-visual metrics (lse, mouth-audio): audio file, default the video's own track")
    p.add_argument("--fps", type=float, help="audio-visual metrics on a frame folder: its frame rate")
    p.add_argument("--random-init-weights", action="store_true",
                   help="pipeline check only: run metrics whose official weights are missing (SyncNet) on a "
                        "random-initialised network; the result is marked NOT comparable")
    p.add_argument("--allow-missing", action="store_true", help="exit 0 even if some frames could not be scored")
    add_json_flag(p)


def run(args) -> int:
    from ..errors import MissingWeightsError
    from ..protocols.adhoc import AdhocConfig, score_adhoc
    from ..results.store import write_results

    if args.out is not None:  # refused before anything is scored
        from ..io.atomic import check_output_folder

        check_output_folder(args.out)
    names = [m.strip() for m in args.metrics.split(",") if m.strip()]
    cfg = AdhocConfig(args.pred, args.gt, names, mask=args.mask, audio=args.audio, fps=args.fps,
                      random_init_weights=args.random_init_weights)
    try:
        summary, records = score_adhoc(cfg)
    except MissingWeightsError:
        print("talkbench: hint: to check the pipeline without the official weights, add --random-init-weights "
              "(the values are then not comparable)", file=sys.stderr)
        raise
    data = summary.to_dict()
    if args.out:
        write_results(args.out, data, records)
    for m in summary.missing:
        print(f"talkbench: missing {m.item}: {m.reason}", file=sys.stderr)
    if args.json:
        emit_json(data)
    else:
        rows = [{"metric": f"{k} {v.card.arrow}", "value": v.value, "n": v.n, "missing": v.n_missing,
                 "ci95": None if v.ci95 is None else f"[{v.ci95[0]:.4f}, {v.ci95[1]:.4f}]"}
                for k, v in summary.metrics.items()]
        print_table(rows, ("metric", "value", "n", "missing", "ci95"))
    return 1 if summary.missing and not args.allow_missing else 0
