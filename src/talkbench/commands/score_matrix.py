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
    if not path.is_file():
        raise InputError(path, "does not exist", "save the matrix with numpy.save")
    try:
        S = np.load(path, allow_pickle=False)
        return _as_matrix(S)
    except (ValueError, OSError) as exc:
        raise InputError(path, f"is not a T×N×N score matrix ({exc})", "save a float array of shape T×N×N with numpy.save") from exc


def run(args) -> int:
    S = load_matrix(args.matrix)
    out = {"shape": list(S.shape), **summarize_matrix(S)}
    if args.json:
        emit_json(out)
    else:
        print_table([{"summary": k, "value": v} for k, v in out.items() if k != "shape"], ("summary", "value"))
    return 0
