from __future__ import annotations

import sys
from pathlib import Path

from ..av_scoring import AVScoreConfig, score_video, wants_audio_visual
from ..errors import InputError
from ..results.store import write_results
from ..scoring import ScoreConfig, score_pair
from .output import add_json_flag, emit_json, print_table


def add_arguments(p) -> None:
    p.add_argument("--pred", required=True, type=Path, help="prediction: folder of frames or a video")
    p.add_argument("--gt", type=Path, help="ground truth: folder of frames or a video (paired metrics)")
    p.add_argument("--metrics", default="psnr,ssim,l1", help="comma-separated metric names (default psnr,ssim,l1)")
    p.add_argument("--mask", type=Path, help="folder of GT alpha masks, for *_masked metrics")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--out", type=Path, help="also write summary.json + items.jsonl to this folder")
    p.add_argument("--audio", type=Path, help="audio-visual metrics (lse, mouth-audio): audio file, default the video's own track")
    p.add_argument("--fps", type=float, help="audio-visual metrics on a frame folder: its frame rate")
    p.add_argument("--strict-weights", action="store_true",
                   help="audio-visual metrics: fail when SyncNet weights are missing instead of running a random-init net")
    p.add_argument("--allow-missing", action="store_true", help="exit 0 even if some frames could not be scored")
    add_json_flag(p)


def run(args) -> int:
    names = [m.strip() for m in args.metrics.split(",") if m.strip()]
    if wants_audio_visual(names):
        summary, records = score_video(AVScoreConfig(args.pred, names, audio=args.audio, fps=args.fps,
                                                     strict_weights=args.strict_weights))
    elif args.gt is None:
        raise InputError(None, "--gt is required for paired metrics", "pass --gt, or audio-visual metrics such as lse")
    else:
        summary, records = score_pair(ScoreConfig(args.pred, args.gt, names, mask=args.mask, batch_size=args.batch_size))
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
