from __future__ import annotations

import sys

from .output import add_json_flag, emit_json, print_table


def add_arguments(p) -> None:
    sub = p.add_subparsers(dest="weights_action", metavar="ACTION", required=True)
    s = sub.add_parser("status", help="list every official file and whether it is installed")
    add_json_flag(s)
    f = sub.add_parser("fetch", help="download files, verify their sha256 and install them (needs internet)")
    f.add_argument("id", nargs="?", help="weights id (see `talkbench weights status`)")
    f.add_argument("--all", action="store_true", help="every official file (pip-package files are only checked)")
    f.add_argument("--for", dest="for_metrics", action="append", default=[], metavar="METRIC",
                   help="the files a metric needs, e.g. --for csim --for akd (repeatable; `talkbench ls metrics`)")
    f.add_argument("--force", action="store_true", help="download even if already present")
    f.add_argument("--timeout", type=float, default=30.0, help="network timeout in seconds")
    add_json_flag(f)
    i = sub.add_parser("import", help="install a file/folder/zip you downloaded yourself, after verifying it")
    i.add_argument("path", help="the downloaded file, pack folder or pack .zip")
    i.add_argument("--id", dest="weights_id", default=None, help="weights id (default: recognised by name or sha256)")
    add_json_flag(i)
    v = sub.add_parser("verify", help="hash every installed file against its official sha256")
    v.add_argument("ids", nargs="*", help="only these ids")
    add_json_flag(v)


def run(args) -> int:
    return {"status": _status, "fetch": _fetch, "import": _import, "verify": _verify}[args.weights_action](args)


def _status(args) -> int:
    from ..weights.install import status_rows

    rows = status_rows()
    if args.json:
        emit_json(rows)
    else:
        print_table([{**r, "licence": r["licence_short"]} for r in rows],
                    ("id", "file", "present", "install", "licence", "url", "location"))
        missing = [r for r in rows if r["present"] == "missing"]
        if missing:
            print(f"{len(missing)} missing; with internet: `talkbench weights fetch --all` (or --for METRIC); "
                  "without: download from the url, then `talkbench weights import PATH`")
    return 0


def metric_specs(names: list[str]):
    """The catalogued weight files each named metric needs (its card's backbone, plus companions)."""
    from ..metrics.registry import REGISTRY
    from ..weights.install import specs_for_backbone

    specs = []
    for name in names:
        card = REGISTRY.card(name)  # UnknownNameError names the metrics that exist
        bb = card.backbone
        found = specs_for_backbone(bb.id, bb.weights_file) if bb else []
        if bb is None:
            print(f"{name}: needs no weights", file=sys.stderr)
        elif not found:
            print(f"{name}: {bb.id} ships inside an installed package ({bb.weights_file}); nothing to fetch",
                  file=sys.stderr)
        specs += [s for s in found if s not in specs]
    return specs


def _fetch_many(args) -> int:
    from ..weights.install import fetch_many
    from ..weights.store import list_weights

    specs = list_weights() if args.all else metric_specs([m for v in args.for_metrics for m in v.split(",") if m])
    rows = fetch_many(specs, timeout=args.timeout, force=args.force)
    if args.json:
        emit_json(rows)
    else:
        print_table(rows, ("id", "file", "result"))
    failed = [r for r in rows if not r["ok"]]
    if failed:
        print(f"talkbench: {len(failed)} of {len(rows)} file(s) not installed; each line says why and how to "
              "install it by hand (`talkbench weights import PATH --id ID`)", file=sys.stderr)
        return 2 if len(failed) == len(rows) else 1
    return 0


def _fetch(args) -> int:
    from ..errors import InputError
    from ..weights.install import fetch_weights

    if sum(map(bool, (args.id, args.all, args.for_metrics))) != 1:
        raise InputError(None, "weights fetch needs exactly one of ID, --all or --for METRIC",
                         "e.g. `talkbench weights fetch --for csim` or `talkbench weights fetch --all`")
    if args.all or args.for_metrics:
        return _fetch_many(args)

    res = fetch_weights(args.id, timeout=args.timeout, force=args.force)
    out = {"id": res.spec.id, "path": str(res.path), "url": res.url, "already_present": res.url is None}
    if args.json:
        emit_json(out)
    elif res.url is None:
        print(f"{res.spec.id}: already installed at {res.path}")
    else:
        print(f"{res.spec.id}: downloaded from {res.url}, sha256 verified, installed at {res.path}")
    return 0


def _import(args) -> int:
    from ..errors import WeightsMismatchError
    from ..weights.store import file_sha256
    from ..weights.install import import_weights

    try:
        spec, dest = import_weights(args.path, args.weights_id)
    except WeightsMismatchError:
        print("talkbench: nothing was installed (the file does not match its official sha256)", file=sys.stderr)
        raise
    sha = spec.sha256 if spec.kind == "folder" or spec.sha256 else file_sha256(dest)
    out = {"id": spec.id, "path": str(dest), "sha256": sha, "official_sha256": spec.sha256 is not None}
    if args.json:
        emit_json(out)
    else:
        check = "sha256 verified" if spec.sha256 else f"no official sha256 published; recorded {sha}"
        if spec.kind == "folder":
            check = "every file's sha256 verified"
        print(f"{spec.id}: {check}; installed at {dest}")
    return 0


def _verify(args) -> int:
    from ..weights.install import verify_rows

    rows = verify_rows(args.ids or None)
    if args.json:
        emit_json(rows)
    else:
        print_table(rows, ("id", "file", "result", "location"))
    bad = [r for r in rows if r["result"].startswith("MISMATCH")]
    if bad:
        print(f"talkbench: {len(bad)} file(s) do not match their official sha256", file=sys.stderr)
        return 1
    return 0
