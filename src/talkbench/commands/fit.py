"""`talkbench fit`: train or personalise a trainable model (Talk3D, Coherent3D, Export3D, ...)."""
from __future__ import annotations

from pathlib import Path


def add_arguments(p) -> None:
    from .output import add_json_flag

    p.add_argument("--model", required=True, help="a trainable model (`talkbench ls models`)")
    p.add_argument("--data", required=True, type=Path, help="training data (a video, clip folder or dataset root; see docs/models.md)")
    p.add_argument("--out", required=True, type=Path, help="folder for checkpoints and fit_log.jsonl")
    p.add_argument("--steps", type=int, default=None, help="optimisation steps (default: the model's recipe)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu | cuda")
    p.add_argument("--init", type=Path, default=None, help="checkpoint to start from")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="model-specific setting (repeatable)")
    add_json_flag(p)


def run(args) -> int:
    from ..errors import InputError
    from ..models.registry import get_model_class
    from ..models.training import FitRequest
    from .output import emit_json
    from .run import parse_model_options

    cls = get_model_class(args.model)
    if not hasattr(cls, "fit"):
        raise InputError(None, f"model '{args.model}' is not trainable in talkbench", "pick a model whose docs/models.md section has a Training part")
    if args.steps is not None and args.steps < 1:
        raise InputError(None, f"--steps {args.steps}: must be at least 1", "give a positive number of steps")
    if not args.data.exists():
        raise InputError(args.data, "does not exist", "give the training video, clip folder or dataset root")
    args.out.mkdir(parents=True, exist_ok=True)
    options = parse_model_options(args.option)
    clips = ()
    if options.get("dataset") not in (None, "mini"):  # multiview training data read as the protocols read it
        from ..protocols.datasets.multiview_clips import read_clips

        split = lambda v: [x for x in str(v or "").split(",") if x]  # noqa: E731
        clips = tuple(read_clips(str(options["dataset"]), args.data, split(options.get("clips")), split(options.get("serials"))))
    request = FitRequest(data=args.data, out=args.out, steps=args.steps, seed=args.seed, device=args.device,
                         init=args.init, options=options, clips=clips)
    report = cls.fit(request)
    if args.json:
        emit_json(report.to_dict())
    else:
        d = report.to_dict()
        print(f"fitted {args.model}: {d['steps']} steps, loss {d['first_loss']:.4g} -> {d['last_loss']:.4g}; checkpoint {d['checkpoint']}")
        for note in report.notes:
            print(f"  note: {note}")
    return 0
