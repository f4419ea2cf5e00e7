"""``optimeans warmup``: compile the kernels ahead of time (:mod:`optimeans.warmup`)."""

from __future__ import annotations

import argparse

EXAMPLES = """\
examples:
  optimeans warmup
  optimeans warmup --dtypes float64 --methods lloyd,hartigan

Small data sets need no compilation; larger ones compile each kernel on first
use (seconds per kernel and dtype). Run this once, e.g. in a Docker build step,
and later processes load every kernel from Numba's cache.
"""


def register(sub: argparse._SubParsersAction) -> None:
    from ..warmup import add_arguments

    p = sub.add_parser(
        "warmup",
        help="compile the kernels ahead of time",
        description="Compile the Numba kernels of every default method (and of compare's solvers) for "
        "float64 and float32 into Numba's cache, printing what each step compiled and its time.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..warmup import run as run_warmup

    return run_warmup(args)
