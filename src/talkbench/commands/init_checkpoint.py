"""`talkbench init-checkpoint`: a random-initialised checkpoint in a model's released file format."""
from __future__ import annotations

from pathlib import Path


def add_arguments(p) -> None:
    p.add_argument("--model", required=True, help="a model with weights (`talkbench ls models`, parameters column)")
    p.add_argument("--out", required=True, type=Path, help="checkpoint file to write (e.g. model_ckpt_steps_100000.ckpt)")
    p.add_argument("--seed", type=int, default=0, help="torch seed of the initialisation")


def run(args) -> int:
    from ..errors import InputError
    from ..io.hashing import sha256_file
    from ..models.registry import get_model_class

    cls = get_model_class(args.model)
    if not hasattr(cls, "write_random_checkpoint"):
        raise InputError(None, f"model '{args.model}' has no checkpoint format", "pick a model with parameters in `talkbench ls models`")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    path = cls.write_random_checkpoint(args.out, seed=args.seed)
    print(f"wrote {path} (random initialisation, seed {args.seed}; sha256 {sha256_file(path)})")
    return 0
