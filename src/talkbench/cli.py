"""The `talkbench` command line. Each subcommand lives in talkbench/commands/<name>.py.

Results go to stdout (JSON with --json); logs and progress bars go to stderr.
Exit codes: 0 ok, 1 a regression / partial result, 2 bad input or incomparable inputs, 3 an internal error (a bug).
"""
from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import TalkbenchError
from .logs import configure

# subcommand -> module in talkbench.commands
COMMANDS: dict[str, str] = {
    "ls": "ls",
    "score": "score",
    "score-matrix": "score_matrix",
    "run": "run",
    "validate": "validate",
    "weights": "weights",
    "report": "report",
    "compare": "compare",
    "mos": "mos",
    "demo": "demo",
    "bench": "bench",
    "init-checkpoint": "init_checkpoint",
    "fit": "fit",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="talkbench", description="Evaluation suite for one-shot 3D talking-portrait and head-avatar generation.")
    parser.add_argument("--version", action="version", version=f"talkbench {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in COMMANDS.items():
        mod = importlib.import_module(f"talkbench.commands.{module}")
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
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
