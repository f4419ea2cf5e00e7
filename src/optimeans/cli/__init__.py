"""The ``optimeans`` command line.

Each subcommand lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a function
``(args) -> int`` (the exit status). To add a command, write the module and add
its name to ``COMMANDS``.

Conventions (see STYLE.md): a command parses its options, makes one library
call and formats the output. Results go to stdout (``--json`` for scripts),
progress and errors to stderr. A :class:`CLIError` (bad input) prints one line
``optimeans: error: ...`` and exits with status 2, never a traceback; Ctrl-C
exits with status 130.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from .._version import __version__
from ._common import CLIError

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS = ["fit", "predict", "compare", "choose-k", "plot", "landscape", "datasets", "warmup"]


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
        return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"optimeans: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("optimeans: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
