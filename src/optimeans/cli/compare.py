"""``optimeans compare``: every optimizer of the k-means objective, side by side.

Reads the data like ``optimeans fit`` (FILE or ``--dataset``), makes one
library call, :func:`optimeans.compare`, and prints its table (or ``--json``);
``--plot`` saves the figure of the objective against passes over the data and
against seconds.
"""

from __future__ import annotations

import argparse
import textwrap
import warnings
from typing import Any

from ._common import SIZE_FLAGS, CLIError, add_k_option, add_scale_option, check_output, print_json, scaled
from ._figures import DPI, check_image_path, parse_size
from ._input import add_input_options, debug_wanted, parse_options, read_input, seed_arg, show_warnings

EXAMPLES = """\
examples:
  optimeans compare --dataset iris -k 3 --seed 0
  optimeans compare --dataset iris -k 3 --methods lloyd,gd,sgd --plot iris.png
  optimeans compare data.csv -k 8 --tol 0 --max-iter 100 -o minibatch.batch_size=256 --json

Every method starts from the same initial centers (drawn once with --seed).
The table lists the final objective, the iterations, the passes over the data,
the seconds (algorithm time; the objective evaluations the stochastic methods
make for the history are not counted) and whether a convergence test stopped
the run. A method that is not available in this installation is listed as
skipped.
"""

PLOT_HINT = 'install matplotlib to plot: pip install "optimeans[plot]"'


def register(sub: argparse._SubParsersAction) -> None:
    from ..compare import DEFAULT_METHODS

    p = sub.add_parser(
        "compare",
        help="compare the optimizers of the k-means objective from the same start",
        description=textwrap.fill(
            "Run several optimizers of the k-means objective (Lloyd, Newton, gradient descent, "
            "online and mini-batch SGD, soft k-means, deterministic annealing, Hartigan) on the "
            "same data from the same initial centers, and compare objective, iterations, passes "
            "over the data and time.",
            78,
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_options(p)
    g = p.add_argument_group("comparison")
    add_k_option(g)
    add_scale_option(g)
    g.add_argument(
        "--methods", default=",".join(DEFAULT_METHODS), metavar="LIST",
        help=f"comma-separated methods (default: {','.join(DEFAULT_METHODS)})",
    )
    g.add_argument("--seed", type=seed_arg, default=0, metavar="S", help="seed of the initial centers and of SGD (default: 0)")
    g.add_argument("--init", choices=("k-means++", "random"), default="k-means++", help="initial centers (default: k-means++)")
    g.add_argument("--max-iter", type=int, default=300, metavar="N", help="iteration budget of every method (default: 300)")
    g.add_argument("--tol", type=float, default=1e-4, metavar="T", help="tolerance of every method (default: 1e-4)")
    g.add_argument("--threads", type=int, metavar="N", help="threads (default: all cores; 1 for data of one chunk)")
    g.add_argument(
        "-o", "--option", action="append", default=[], metavar="METHOD.KEY=VALUE",
        help="an option of one method (repeatable), e.g. -o minibatch.batch_size=16 -o gd.step=0.5",
    )
    out = p.add_argument_group("output")
    out.add_argument("--plot", metavar="FILE.png", help="save the figure (objective vs passes and vs seconds)")
    out.add_argument(*SIZE_FLAGS, dest="plot_size", metavar="WxH",
                     help="figure size in pixels (default 1320x600, 11 x 5 inches at 120 dpi)")
    out.add_argument("--json", action="store_true", help="print the table and every history as JSON on stdout")
    p.set_defaults(func=run)


def method_options(items: list[str]) -> dict[str, dict[str, Any]]:
    """``["gd.step=0.5", "minibatch.batch_size=16"]`` -> ``{"gd": {"step": 0.5}, ...}``."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        method, dot, name = key.partition(".")
        if not sep or not dot or not method.strip() or not name.strip():
            raise CLIError(f"--option expects METHOD.KEY=VALUE, got {item!r}")
        out.setdefault(method.strip(), {}).update(parse_options([f"{name.strip()}={value}"]))
    return out


def run(args: argparse.Namespace) -> int:
    from ..compare import compare

    if args.plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise CLIError(f"--plot: {PLOT_HINT}") from None
    options = method_options(args.option)
    if args.plot is not None:
        check_image_path(args.plot)
        if args.plot_size is not None:
            parse_size(args.plot_size)
        check_output(args.plot, "--plot", inputs=[args.file])
    table = read_input(args)
    try:
        X = scaled(table.X, args.scale)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = compare(
                X, args.n_clusters, args.methods, init=args.init, random_state=args.seed,
                max_iter=args.max_iter, tol=args.tol, n_threads=args.threads, options=options,
            )
    except (ValueError, TypeError) as exc:
        if debug_wanted():
            raise
        raise CLIError(f"{table.source}: {exc}") from None
    show_warnings(caught)
    plotted = None
    if args.plot is not None:
        try:
            scale = f", scale {args.scale}" if args.scale != "none" else ""
            size = {} if args.plot_size is None else {"figsize": parse_size(args.plot_size), "dpi": DPI}
            result.plot(args.plot, title=f"{table.source}: k-means objective, k={args.n_clusters}, seed {args.seed}{scale}",
                        **size)
        except (OSError, ValueError) as exc:
            raise CLIError(f"--plot {args.plot}: {exc}") from None
        plotted = args.plot
    if args.json:
        doc = {"source": table.source, "n_samples": table.n_samples, "n_features": table.n_features,
               "scale": args.scale}
        doc.update(result.to_dict())
        if plotted:
            doc["plot"] = str(plotted)
        print_json(doc)
    else:
        print(f"{table.source}: {table.n_samples} x {table.n_features}, k={args.n_clusters}, seed {args.seed}, "
              f"same initial centers for every method")
        print(result.format_table())
        print(f"best objective: {result.best_objective():.10g}")
        if plotted:
            print(f"figure: {plotted}")
    return 0
