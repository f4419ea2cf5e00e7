"""Helpers shared by the subcommands."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class CLIError(Exception):
    """Bad input or options: printed as one line on stderr, exit status 2."""


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def _nearest_existing(path: Path) -> Path:
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_output(path: str | os.PathLike, option: str, *, inputs: Iterable[str | os.PathLike] = (),
                 directory: bool = False) -> Path:
    """Refuse, before any work, an output the run could not write or should not write.

    ``path`` is a file (or, with ``directory=True``, a directory that will
    hold files). Refused: an existing directory where a file goes (or a file
    where a directory goes), a location whose nearest existing folder is not
    a writable directory (tested by creating and removing a file there, so
    read-only file systems are caught too), and an input file of the run
    (``--out data.csv`` on ``data.csv``). Messages name the user's path.
    """
    p = Path(path)
    if directory:
        if p.exists() and not p.is_dir():
            raise CLIError(f"{option} {p}: exists and is not a directory")
    elif p.is_dir():
        raise CLIError(f"{option} {p}: is a directory, expected a file name")
    for src in inputs:
        if src is None:
            continue
        src = Path(src)
        if not src.is_file():
            continue
        if (not directory and _same_file(p, src)) or (directory and p.is_dir() and _same_file(p, src.parent)
                                                      and src.name in ("labels.csv", "centers.csv", "result.json")):
            raise CLIError(f"{option} {p}: is the input file {src}; write the results to another file")
    folder = p if (directory and p.is_dir()) else p.parent
    base = _nearest_existing(folder)
    if not base.is_dir():
        raise CLIError(f"{option} {p}: cannot be created, {base} is not a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=".optimeans-probe-", dir=base)
    except OSError as exc:
        raise CLIError(f"{option} {p}: cannot write in {base} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)
    return p


def check_distinct(outputs: dict[str, Any]) -> None:
    """Refuse two options that name the same output file."""
    seen: dict[str, str] = {}
    for option, path in outputs.items():
        if not path:
            continue
        key = os.path.realpath(path)
        if key in seen:
            raise CLIError(f"{seen[key]} and {option} name the same file {path}")
        seen[key] = option


def plural(n: int, word: str) -> str:
    """``plural(1, "sample")`` -> "1 sample"; ``plural(2, "sample")`` -> "2 samples"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- options spelled the same in every command ----------------------------------------

#: The spellings of the number of clusters (a number, or a range in choose-k).
K_FLAGS = ("-k", "--k", "--n-clusters")
#: The spellings of the figure size; --size is the older name of some commands.
SIZE_FLAGS = ("--plot-size", "--size")


def add_k_option(g: Any, *, help: str = "number of clusters") -> None:
    g.add_argument(*K_FLAGS, dest="n_clusters", type=int, required=True, metavar="K", help=help)


def add_scale_option(g: Any, *, kept: bool = False) -> None:
    extra = " (kept in the saved model, applied by predict)" if kept else " (the clustering runs on the scaled data)"
    g.add_argument(
        "--scale", choices=("none", "standard", "minmax"), default="none",
        help="scale features first: standard (zero mean, unit variance) or minmax ([0, 1])" + extra,
    )


def add_size_option(g: Any, default: str) -> None:
    g.add_argument(*SIZE_FLAGS, dest="plot_size", default=default, metavar="WxH",
                   help=f"figure size in pixels (default {default})")


def scaled(X: Any, scale: str) -> Any:
    """``X`` scaled as ``--scale`` asks (the data itself for "none")."""
    if scale == "none":
        return X
    from .._scaling import Scaler

    return Scaler.fit(X, scale).transform(X)


def scale_note(X: Any, scale: str, command: str) -> str | None:
    """A note when unscaled features have spreads orders of magnitude apart (the largest decides k-means)."""
    import numpy as np

    if scale != "none" or X.ndim != 2 or X.shape[1] < 2 or X.shape[0] < 2:
        return None
    std = np.asarray(X, dtype=np.float64).std(axis=0)
    std = std[std > 0]
    if std.size < 2 or std.max() < 100 * std.min():
        return None
    return (f"the features' spreads differ by a factor of {std.max() / std.min():.3g}: the widest decides the "
            f"clusters; consider {command} --scale standard")
