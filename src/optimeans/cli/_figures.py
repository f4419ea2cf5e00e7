"""Options and steps shared by the commands that draw figures or read data.

Reading data: the input options and :func:`read_input` of ``optimeans fit``
(FILE or ``--dataset``, ``--columns``...) when this build has them, else
``--dataset`` alone.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from typing import Any

import numpy as np

from ._common import CLIError

#: Pixels per inch of the figures the command line writes.
DPI = 100


def add_input(p: argparse.ArgumentParser) -> None:
    """FILE or --dataset NAME (and the reading options of ``optimeans fit``)."""
    try:
        from .fit import add_input_options
    except ImportError:
        g = p.add_argument_group("input")
        g.add_argument("--dataset", metavar="NAME", required=True,
                       help="a built-in data set (see `optimeans datasets`)")
        return
    add_input_options(p)


def read_input(args: argparse.Namespace) -> tuple[np.ndarray, str, list[str] | None]:
    """(X, a description of the source, column names or None)."""
    try:
        from .fit import read_input as read_table_input
    except ImportError:
        from .. import datasets

        try:
            X = datasets.load(args.dataset)
        except ValueError as exc:
            raise CLIError(str(exc)) from None
        return X, args.dataset, datasets.feature_names(args.dataset)
    table = read_table_input(args)
    return table.X, table.source, table.columns


def parse_size(text: str) -> tuple[float, float]:
    """``"800x600"`` (pixels) -> figure size in inches at :data:`DPI`."""
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text or "")
    if not m:
        raise CLIError(f"--size must be WIDTHxHEIGHT in pixels, e.g. 800x600; got {text!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if not (50 <= w <= 10000 and 50 <= h <= 10000):
        raise CLIError(f"--size must be between 50 and 10000 pixels each way, got {w}x{h}")
    return w / DPI, h / DPI


def check_image_path(path: str) -> None:
    """Refuse an output path whose format matplotlib cannot write, before any work."""
    import os

    ext = os.path.splitext(path)[1].lstrip(".").lower()
    if ext not in ("png", "svg", "pdf", "jpg", "jpeg", "eps", "ps", "tif", "tiff", "webp"):
        raise CLIError(f"cannot tell the image format of {path!r}: end it with .png, .svg or .pdf")
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise CLIError(f"cannot write {path!r}: directory {d!r} does not exist")


def need_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CLIError('drawing figures needs matplotlib: pip install "optimeans[plot]"') from None


class StepProgress:
    """``(done, total)`` callback: a progress line on stderr for long runs.

    Silent for the first ``delay`` seconds; rewritten in place on a terminal,
    one line every ``log_every`` seconds elsewhere; never writes to stdout.
    """

    def __init__(self, label: str, *, enabled: bool = True, stream: Any = None,
                 delay: float = 1.0, log_every: float = 5.0) -> None:
        self.label = label
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.log_every = log_every
        self.t0 = time.monotonic()
        self.last = -1.0
        self.shown = False
        self.done = 0
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if not self.enabled:
            return
        now = time.monotonic() - self.t0
        if now < self.delay:
            return
        tty = getattr(self.stream, "isatty", lambda: False)()
        if not tty and self.last >= 0 and now - self.last < self.log_every and done < total:
            return
        if tty and self.last >= 0 and now - self.last < 0.1 and done < total:
            return
        self.last = now
        text = f"{self.label}: {done}/{total} clusterings, {now:.0f} s"
        self.stream.write(("\r" + text) if tty else text + "\n")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown and getattr(self.stream, "isatty", lambda: False)():
            self.stream.write("\r\033[K")
            self.stream.flush()
