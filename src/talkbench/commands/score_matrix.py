from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from ..metrics.multiview import _as_matrix, summarize_matrix
from .output import add_json_flag, emit_json, print_table


def add_arguments(p) -> None:
    p.add_argument("--matrix", required=True, type=Path, help=".npy file holding S of shape T×N×N (or N×N)")
    add_json_flag(p)


def load_matrix(path: Path) -> np.ndarray:
    """A finite, real T×N×N (or N×N) score matrix with T ≥ 1 and N ≥ 2; anything else is refused with the fix."""
    fix = "save a finite real float array of shape T×N×N (T ≥ 1, N ≥ 2 cameras) with numpy.save"
    if path.is_dir():
        raise InputError(path, "is a folder", "pass the .npy file")
    if not path.is_file():
        raise InputError(path, "does not exist", "save the matrix with numpy.save")
    try:
        S = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(path, f"is not a .npy array ({exc})", fix) from None
    if not isinstance(S, np.ndarray):
        raise InputError(path, "holds several arrays (.npz)", fix)
    if S.dtype.kind not in "iuf":
        raise InputError(path, f"holds {S.dtype} values, not real numbers", fix)
    if S.ndim not in (2, 3) or S.shape[-1] != S.shape[-2]:
        raise InputError(path, f"has shape {S.shape}, not T×N×N or N×N", fix)
    if S.size == 0 or S.shape[-1] < 2:
        raise InputError(path, f"has shape {S.shape}: a score matrix needs T ≥ 1 frames and N ≥ 2 cameras", fix)
    bad = ~np.isfinite(S.astype(np.float64))
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(path, f"holds {int(bad.sum())} non-finite values (NaN or ±inf), the first at index {first}",
                         "score every (t, i, j) pair; a NaN is not a score")
    return _as_matrix(S)


def run(args) -> int:
    S = load_matrix(args.matrix)
    out = {"shape": list(S.shape), **summarize_matrix(S)}
    if args.json:
        emit_json(out)
    else:
        print_table([{"summary": k, "value": v} for k, v in out.items() if k != "shape"], ("summary", "value"))
    return 0
