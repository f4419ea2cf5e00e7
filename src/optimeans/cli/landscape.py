"""``optimeans landscape``: every local minimum of a tiny k-means problem."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ._common import CLIError, add_k_option, print_json
from ._figures import add_landscape_plot_option, check_image_path, need_matplotlib, parse_size, write_landscape_plot


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "landscape",
        help="enumerate every partition of a tiny set: local minima and the global optimum",
        description=(
            "Visit every partition of a tiny set (up to about 14 points) into k clusters and "
            "list the fixed points of Lloyd's iteration and the partitions stable under "
            "single-point (Hartigan) moves, sorted by objective, marking the global optimum."
        ),
        epilog="Examples:\n  optimeans landscape --points 1,2,3,4 -k 2\n"
        "  optimeans landscape --points '0,0;1,0;0,1;5,5;6,5;5,6;9,0;9,1' -k 3 --plot landscape.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "file", nargs="?", metavar="FILE",
        help="points, one per line, features separated by commas or spaces (a non-numeric first line is a header)",
    )
    p.add_argument(
        "--points", metavar="LIST",
        help="the points inline: '1,2,3,4' (one feature) or '0,0;1,0;5,5' (rows separated by ';')",
    )
    add_k_option(p)
    p.add_argument("--all", action="store_true", help="list every partition, not only the Lloyd fixed points")
    p.add_argument("--json", action="store_true", help="print JSON on stdout")
    add_landscape_plot_option(p)
    p.set_defaults(func=run)


def parse_points(text: str) -> np.ndarray:
    """'1,2,3' -> (3, 1); '0,0;1,0' -> (2, 2)."""
    rows = [r.strip() for r in text.split(";") if r.strip()]
    if not rows:
        raise CLIError("--points is empty")
    try:
        if len(rows) == 1:
            vals = [float(v) for v in rows[0].replace(" ", ",").split(",") if v.strip()]
            return np.array(vals, dtype=np.float64).reshape(-1, 1)
        data = [[float(v) for v in r.replace(" ", ",").split(",") if v.strip()] for r in rows]
    except ValueError as exc:
        raise CLIError(f"--points: not a number ({exc})") from None
    if len({len(r) for r in data}) != 1:
        raise CLIError("--points: every row needs the same number of features")
    return np.array(data, dtype=np.float64)


def read_points(path: str) -> np.ndarray:
    """A small text file of points (comma or whitespace separated)."""
    p = Path(path)
    if not p.is_file():
        raise CLIError(f"no such file: {path}")
    lines = [ln.strip() for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    rows = []
    for i, ln in enumerate(lines):
        parts = [v for v in ln.replace(",", " ").split() if v]
        try:
            rows.append([float(v) for v in parts])
        except ValueError:
            if i == 0:
                continue  # a header
            raise CLIError(f"{path}: line {i + 1} is not numeric: {ln!r}") from None
    if not rows:
        raise CLIError(f"{path}: no points")
    if len({len(r) for r in rows}) != 1:
        raise CLIError(f"{path}: every line needs the same number of features")
    return np.array(rows, dtype=np.float64)


def _fmt_point(X: np.ndarray, i: int) -> str:
    if X.shape[1] == 1:
        return f"{X[i, 0]:g}"
    return "(" + ", ".join(f"{v:g}" for v in X[i]) + ")"


def run(args: argparse.Namespace) -> int:
    from ..exact.enumerate import enumerate_partitions

    if (args.file is None) == (args.points is None):
        raise CLIError("give the points either as FILE or with --points (one of them)")
    if args.plot:
        need_matplotlib()
        check_image_path(args.plot)
        parse_size(args.plot_size)
    X = parse_points(args.points) if args.points is not None else read_points(args.file)
    try:
        land = enumerate_partitions(X, args.n_clusters, keep="all" if args.all else "lloyd")
    except (ValueError, TypeError) as exc:
        raise CLIError(str(exc)) from None
    if args.plot:
        write_landscape_plot(X, args.n_clusters, land, args)
    if args.json:
        print_json(land.to_dict())
        return 0
    n, d = X.shape
    print(
        f"{n} points ({d}-D), k = {land.n_clusters}: {land.n_partitions:,} partitions, "
        f"{land.n_lloyd_fixed} Lloyd fixed points, {land.n_hartigan_stable} stable under single-point moves"
    )
    print()
    width = max(9, max(len(f"{v:.6g}") for v in land.objective) if len(land.objective) else 9)
    print(f"{'objective':>{width}}  Lloyd  single-point  partition")
    opt = land.is_optimal
    for i in range(len(land.objective)):
        parts = " ".join("{" + ", ".join(_fmt_point(X, j) for j in c) + "}" for c in land.clusters(i))
        mark = "   <- global optimum" if opt[i] else ""
        print(
            f"{land.objective[i]:>{width}.6g}  {'yes' if land.lloyd_fixed[i] else 'no':>5}  "
            f"{'yes' if land.hartigan_stable[i] else 'no':>12}  {parts}{mark}"
        )
    return 0
