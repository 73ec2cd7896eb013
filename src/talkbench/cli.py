"""The `talkbench` command line. Each subcommand lives in talkbench/commands/<name>.py.

Results go to stdout (JSON with --json); logs and progress bars go to stderr.
Exit codes: 0 ok, 1 a regression / partial result, 2 bad input or incomparable inputs, 3 an internal error (a bug).
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import NamedTuple

from . import __version__
from .errors import TalkbenchError
from .logs import configure


class Command(NamedTuple):
    module: str  # in talkbench.commands: add_arguments(parser), run(args) -> exit code
    help: str


# The parser lists every subcommand from this table and imports only the module of the one being run,
# so `talkbench --help` imports no command module (and with it no torch, mediapipe or ray).
COMMANDS: dict[str, Command] = {
    "ls": Command("ls", "list metrics (with their cards), protocols, models, published tables or weights"),
    "score": Command("score", "score one prediction (a video or frame folder) without a protocol: paired-frame and set-level "
                     "metrics against --gt (frames pair by sorted name / index), audio-visual metrics (lse, mouth-audio) "
                     "with its audio"),
    "score-matrix": Command("score_matrix", "summarise a saved T×N×N multiview score matrix: synthesis, nvs, nvv, ivv"),
    "run": Command("run", "run a protocol on a model or on your own outputs"),
    "validate": Command("validate", "check a dataset's on-disk layout, or a folder of predictions against a protocol"),
    "weights": Command("weights", "manage official backbone weights (status, fetch, import, verify)"),
    "report": Command("report", "leaderboards, plots and HTML reports from result files (and published paper tables)"),
    "compare": Command("compare", "compare two summary.json files and exit non-zero on a regression, a lost metric or "
                       "lost items (1) or incomparable inputs (2); metrics with no value in either run are ignored (and listed)"),
    "mos": Command("mos", "mean opinion scores with 95%% intervals from Likert ratings (rater, sample, method, aspect, score)"),
    "demo": Command("demo", "build the offline mini benchmark, run the baselines on it and write a report (no data, no GPU, no internet)"),
    "bench": Command("bench", "run the pytest-benchmark suites in bench/ (speed and memory, as ratios side by side)"),
    "init-checkpoint": Command("init_checkpoint", "write a random-initialised checkpoint in a model's released format (pipeline tests; numbers meaningless)"),
    "fit": Command("fit", "train / fit a trainable model on your data (writes checkpoints in the model's released format)"),
}


def _chosen_command(argv: list[str]) -> str | None:
    """The subcommand in argv: the first token that is not a global option (none of them takes a value)."""
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in COMMANDS else None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The full parser for ``argv``: every subcommand with its help; the options of the chosen one only."""
    parser = argparse.ArgumentParser(prog="talkbench", description="Evaluation suite for one-shot 3D talking-portrait and head-avatar generation.")
    parser.add_argument("--version", action="version", version=f"talkbench {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _chosen_command(sys.argv[1:] if argv is None else argv)
    for name, cmd in COMMANDS.items():
        p = sub.add_parser(name, help=cmd.help, description=cmd.help)
        if name == chosen:
            mod = importlib.import_module(f"talkbench.commands.{cmd.module}")
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    configure(-1 if args.quiet else args.verbose)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args._run(args) or 0)
    except TalkbenchError as exc:
        print(f"talkbench: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        if exc.filename is None:  # not about a path the user gave: a bug
            return _bug(exc, args.verbose)
        from .errors import os_error_message

        print(f"talkbench: error: {os_error_message(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # anything else is a bug in talkbench: short message, traceback with -v
        return _bug(exc, args.verbose)


def _bug(exc: BaseException, verbose: int) -> int:
    import traceback

    from .errors import write_crash_log

    log = write_crash_log(exc)
    print(f"talkbench: internal error: {type(exc).__name__}: {exc}".rstrip(), file=sys.stderr)
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    print("talkbench: this is a bug in talkbench" + (f"; the traceback is in {log}" if log else "")
          + ("" if verbose else " (run with -v to print it)"), file=sys.stderr)
    return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
