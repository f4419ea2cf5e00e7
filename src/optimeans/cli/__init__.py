"""The ``optimeans`` command line.

Each subcommand lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a function
``(args) -> int`` (the exit status). To add a command, write the module and add
its name to ``COMMANDS``.

Conventions (see STYLE.md): a command parses its options, makes one library
call and formats the output. Results go to stdout (``--json`` for scripts),
progress and errors to stderr. A :class:`CLIError` (bad input) prints one line
``optimeans: error: ...`` and exits with status 2, never a traceback; Ctrl-C
exits with status 130. When the reader of stdout goes away (``optimeans fit
... | head -1``) the command stops quietly with status 141, the status a shell
reports for ``seq``, ``cat`` or ``yes`` killed by SIGPIPE (128 + 13): no
traceback, no message, and ``set -o pipefail`` still sees that the output was
cut.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module

from .._version import __version__
from ._common import CLIError

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS = ["fit", "predict", "compare", "choose-k", "plot", "landscape", "verify", "datasets", "warmup"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="optimeans",
        description="k-means as the optimization problem it is.",
        epilog="Example: optimeans fit --dataset iris -k 3",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"optimeans {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        import_module(f"{__name__}.{name.replace('-', '_')}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``optimeans`` script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return status
    except CLIError as exc:
        print(f"optimeans: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("optimeans: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return SIGPIPE_STATUS


#: Exit status after the reader of stdout went away: 128 + SIGPIPE, as a shell reports for a killed writer.
SIGPIPE_STATUS = 141


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (captured in tests): nothing will flush it at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
