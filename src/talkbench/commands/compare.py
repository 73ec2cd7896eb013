from __future__ import annotations

import sys

from ..errors import InputError
from ..io.atomic import atomic_write_text
from .output import add_json_flag, emit_json


def add_arguments(p) -> None:
    p.add_argument("base", metavar="BASE", help="baseline result folder or summary.json")
    p.add_argument("new", metavar="NEW", help="new result folder or summary.json")
    p.add_argument("--tol", action="append", default=[], metavar="METRIC=VALUE",
                   help="absolute tolerance for a metric (repeatable), e.g. --tol csim=0.005; "
                        "defaults: talkbench.reports.regression.DEFAULT_TOLERANCES")
    p.add_argument("--out", metavar="FILE", help="write the Markdown summary here (for CI logs / PR comments)")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML file that CI systems display")
    add_json_flag(p)


def run(args) -> int:
    from ..reports.regression import compare_runs, parse_tolerances, to_junit, to_markdown
    from ..reports.runs import Run

    try:
        tolerances = parse_tolerances(args.tol)
    except ValueError as exc:
        raise InputError(None, str(exc)) from exc
    comp = compare_runs(Run.load(args.base), Run.load(args.new), tolerances)
    md = to_markdown(comp)
    if args.out:
        atomic_write_text(args.out, md)
    if args.junit:
        atomic_write_text(args.junit, to_junit(comp))
    if args.json:
        emit_json(comp.to_dict())
    else:
        sys.stdout.write(md)
    for reason in comp.incomparable:
        print(f"talkbench compare: incomparable: {reason}", file=sys.stderr)
    if comp.lost_items:
        print(f"talkbench compare: {len(comp.lost_items)} item(s) evaluated in BASE are not in NEW: "
              + ", ".join(comp.lost_items), file=sys.stderr)
    for m in comp.regressions:
        print(f"talkbench compare: {m.metric}: {m.verdict}" + (f" ({m.note})" if m.note else ""), file=sys.stderr)
    for line in comp.ignored:
        print(f"talkbench compare: ignored {line}", file=sys.stderr)
    return comp.exit_code
