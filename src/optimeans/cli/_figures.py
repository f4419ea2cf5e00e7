"""Options and steps shared by the commands that draw figures.

Data are read with the input options and :func:`read_input` of ``optimeans
fit`` (FILE or ``--dataset``, ``--columns``, ``--header``, ``--delimiter``), so
every command reads files the same way.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from typing import Any, Callable

import numpy as np

from ._common import CLIError, add_size_option

#: Pixels per inch of the figures the command line writes.
DPI = 100


def add_input(p: argparse.ArgumentParser) -> None:
    """FILE or --dataset NAME, and how to read it (the options of ``optimeans fit``)."""
    from ._input import add_input_options

    add_input_options(p)


def read_input(args: argparse.Namespace) -> tuple[np.ndarray, str, list[str] | None]:
    """(X, a description of the source, column names or None)."""
    from ._input import read_input as read_table_input

    table = read_table_input(args)
    return table.X, table.source, table.columns


def add_plot_option(p: argparse.ArgumentParser) -> None:
    """``--plot FILE.png`` and ``--plot-size`` for ``optimeans fit``."""
    g = p.add_argument_group("figure")
    g.add_argument("--plot", metavar="FILE.png",
                   help="also draw the clusters and centers (a PCA map for more than 2 features)")
    add_size_option(g, "800x600")


def check_plot_option(args: argparse.Namespace) -> None:
    """Refuse a bad ``--plot`` before the clustering runs."""
    if getattr(args, "plot", None):
        need_matplotlib()
        check_image_path(args.plot)
        parse_size(args.plot_size)


def cluster_figure(km: Any, table: Any, path: str, size: str) -> Callable[[Any], None]:
    """A writer ``f(binary_file)`` of the cluster plot of a fitted KMeans.

    With ``--scale`` the picture shows the scaled data, the space the
    clustering was done in.
    """
    from ..plotting import plot_clusters

    figsize = parse_size(size)
    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    X = table.X
    centers = km.cluster_centers_
    names = table.columns
    title = None
    if getattr(km, "scaler_", None) is not None:
        X = km.scaler_.transform(X)
        centers = km.result_.centers
        names = [f"{c} ({km.scale})" for c in names] if names else None
        title = f"k = {km.result_.n_clusters}, objective {km.result_.objective:.6g} (data {km.scale}-scaled)"
    fig = plot_clusters(X, km.labels_, centers, result=km.result_, feature_names=names, title=title,
                        figsize=figsize, dpi=DPI)

    def write(fh: Any) -> None:
        fig.savefig(fh, format=fmt, dpi=DPI)

    return write


#: Largest number of partitions ``optimeans landscape --plot`` draws one by one.
LANDSCAPE_PLOT_MAX = 2_000_000


def add_landscape_plot_option(p: argparse.ArgumentParser) -> None:
    """``--plot FILE.png`` and ``--size`` for ``optimeans landscape``."""
    p.add_argument("--plot", metavar="FILE.png",
                   help="also draw every partition's objective, local minima marked")
    add_size_option(p, "800x600")


def write_landscape_plot(X: np.ndarray, n_clusters: int, land: Any, args: argparse.Namespace) -> str:
    """Draw the landscape of ``X`` to ``args.plot`` (all partitions when there are not too many)."""
    from ..exact.enumerate import enumerate_partitions
    from ..plotting import plot_landscape

    if land.objective.size < land.n_partitions and land.n_partitions <= LANDSCAPE_PLOT_MAX:
        land = enumerate_partitions(X, n_clusters, keep="all")
    plot_landscape(land, figsize=parse_size(args.plot_size), dpi=DPI, save=args.plot)
    return args.plot


def parse_size(text: str) -> tuple[float, float]:
    """``"800x600"`` (pixels) -> figure size in inches at :data:`DPI`."""
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text or "")
    if not m:
        raise CLIError(f"--plot-size must be WIDTHxHEIGHT in pixels, e.g. 800x600; got {text!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if not (50 <= w <= 10000 and 50 <= h <= 10000):
        raise CLIError(f"--plot-size must be between 50 and 10000 pixels each way, got {w}x{h}")
    return w / DPI, h / DPI


def check_image_path(path: str) -> None:
    """Refuse an output path whose format matplotlib cannot write, before any work."""
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
