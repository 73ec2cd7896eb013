from __future__ import annotations

from pathlib import Path

from .output import add_json_flag, emit_json, print_table


def add_arguments(p) -> None:
    p.add_argument("--protocol", required=True, help="protocol id (`talkbench ls protocols`) or a spec .yaml")
    p.add_argument("--data", required=True, action="append",
                   help="dataset root; repeat or use NAME=ROOT for protocols reading several datasets")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="a model or baseline name (`talkbench ls models`), or your own as package.module:Class")
    src.add_argument("--pred", type=Path, help="your outputs: one video or frame folder per item id")
    p.add_argument("--checkpoint", type=Path, help="checkpoint file for --model")
    p.add_argument("--model-option", action="append", default=[], metavar="KEY=VALUE",
                   help="constructor option of --model (YAML value), e.g. num_samples=12; repeatable")
    p.add_argument("--out", required=True, type=Path, help="result folder (summary.json, items.jsonl, items/)")
    p.add_argument("--limit", type=int, help="only the first N items (a smoke run; marked non-comparable)")
    p.add_argument("--executor", choices=("local", "ray"), default="local")
    p.add_argument("--workers", type=int, default=1, help="parallel workers (processes or Ray tasks)")
    p.add_argument("--ray-address", help="address of a running Ray cluster (default: start a local one)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    p.add_argument("--offline-backbones", action="store_true",
                   help="use the offline backbone substitutes (results marked non-comparable)")
    p.add_argument("--metrics", help="comma-separated subset of metrics (default: the protocol's)")
    p.add_argument("--name", metavar="LABEL",
                   help="the label reports and golden files show for this run (default: the model name, or "
                        "predictions:<folder> for --pred)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when the run is not comparable with published numbers (missing items, --limit, "
                        "substitute backbones or preprocessing, a custom protocol); the reasons are printed")
    add_json_flag(p)


def parse_data(values: list[str]) -> dict[str, str] | str:
    if len(values) == 1 and "=" not in values[0]:
        return values[0]
    out = {}
    for v in values:
        name, sep, root = v.partition("=")
        if not sep:
            from ..errors import InputError

            raise InputError(None, f"--data {v}: with several roots each must be NAME=ROOT", "e.g. --data hdtf=/d/HDTF --data celeba=/d/CelebA")
        out[name] = root
    return out


def parse_model_options(values: list[str]) -> dict:
    import yaml

    from ..errors import InputError

    out = {}
    for v in values:
        key, sep, raw = v.partition("=")
        if not sep or not key.strip():
            raise InputError(None, f"--model-option {v}: expected KEY=VALUE", "e.g. --model-option num_samples=12")
        out[key.strip()] = yaml.safe_load(raw)
    return out


def run(args) -> int:
    from ..protocols.runner import RunConfig, run_protocol

    cfg = RunConfig(protocol=args.protocol, data=parse_data(args.data), out=args.out, model=args.model,
                    checkpoint=args.checkpoint, pred=args.pred, limit=args.limit, executor=args.executor,
                    workers=args.workers, resume=args.resume, offline_backbones=args.offline_backbones,
                    metrics=[m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None,
                    ray_address=args.ray_address, model_config=parse_model_options(args.model_option))
    summary = run_protocol(cfg)
    if args.name:
        label_run(args.out, summary, args.name)
    data = summary.to_dict()
    comparable, reasons = data["comparable"], data["comparable_reasons"]
    if args.json:
        emit_json(data)
    else:
        rows = [{"metric": f"{k} {v.card.arrow}", "value": v.value, "n": v.n, "missing": v.n_missing,
                 "ci95": None if v.ci95 is None else f"[{v.ci95[0]:.4f}, {v.ci95[1]:.4f}]"} for k, v in summary.metrics.items()]
        print_table(rows, ("metric", "value", "n", "missing", "ci95"))
        print(f"protocol {summary.protocol['id']} v{summary.protocol['version']} ({summary.protocol['hash'][:12]}); "
              f"items {summary.counts['evaluated']}/{summary.counts['expected']}; comparable: {comparable}")
        print(f"wrote {args.out / 'summary.json'} and {args.out / 'items.jsonl'}")
    import sys

    for reason in reasons:  # on the terminal, not only in summary.json (stderr: stdout may be --json)
        print(f"talkbench: not comparable: {reason}", file=sys.stderr)
    if args.strict and not comparable:
        print(f"talkbench: --strict: the run is not comparable ({len(reasons)} reason(s) above)", file=sys.stderr)
        return 1
    if summary.missing:  # whole items, metrics of an item, or frames: exit 1 and list them
        whole = summary.counts["missing"]
        print(f"talkbench: {len(summary.missing)} missing result(s) ({whole} whole item(s)); all reasons are in "
              f"{args.out / 'summary.json'} (missing):", file=sys.stderr)
        for m in summary.missing[:SHOWN_MISSING]:
            print(f"  {m.item}{f' [{m.metric}]' if m.metric else ''}: {m.reason}", file=sys.stderr)
        if len(summary.missing) > SHOWN_MISSING:
            print(f"  ... and {len(summary.missing) - SHOWN_MISSING} more", file=sys.stderr)
        return 1
    return 0


SHOWN_MISSING = 20


def label_run(out: Path, summary, name: str) -> None:
    """Record `--name` in summary.json's run section (reports and golden files use it as the label)."""
    from ..results.store import write_summary

    summary.run["name"] = name
    write_summary(out, summary)
