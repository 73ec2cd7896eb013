from __future__ import annotations

from pathlib import Path

from .output import add_json_flag, emit_json, print_table


def add_arguments(p) -> None:
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--dataset", help="dataset adapter name (hdtf, celebvhq, nersemble-v1, nersemble-v2, celeba, vfhq, th1kh, "
                                        "person-specific, custom)")
    what.add_argument("--protocol", help="protocol id: check --pred against it (and --root: the clips it needs)")
    p.add_argument("--root", type=Path, help="dataset root")
    p.add_argument("--pred", type=Path, help="prediction folder (one video or frame folder per item id)")
    p.add_argument("--deep", action="store_true", help="decode every frame (finds truncated videos; slow)")
    p.add_argument("--all", action="store_true", help="print present entries too")
    add_json_flag(p)


def run(args) -> int:
    from ..errors import InputError
    from ..protocols.validation import validate_dataset, validate_predictions

    if args.dataset:
        if args.root is None:
            raise InputError(None, "--dataset needs --root", "pass the dataset root")
        findings = validate_dataset(args.dataset, args.root, deep=args.deep)
    else:
        if args.pred is None and args.root is None:
            raise InputError(None, "--protocol needs --pred DIR and/or --root DIR", "see `talkbench validate --help`")
        findings = validate_predictions(args.protocol, args.pred, args.root, deep=args.deep)
    counts = {s: sum(f.status == s for f in findings) for s in ("present", "missing", "malformed")}
    if args.json:
        emit_json({"counts": counts, "findings": [f.to_dict() for f in findings]})
    else:
        shown = [f.to_dict() for f in findings if args.all or f.status != "present"]
        if shown:
            print_table(shown, ("status", "what", "detail"))
        print(f"present {counts['present']}, missing {counts['missing']}, malformed {counts['malformed']}")
    return 2 if counts["malformed"] else 1 if counts["missing"] else 0
