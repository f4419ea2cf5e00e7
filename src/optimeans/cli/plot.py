"""``optimeans plot``: cluster the data and draw the clusters and centers in the plane."""

from __future__ import annotations

import argparse
import sys
import warnings

from ._common import CLIError, print_json
from ._figures import DPI, add_input, check_image_path, need_matplotlib, parse_size, read_input

EXAMPLES = """\
examples:
  optimeans plot --dataset iris -k 3 -o iris.png
  optimeans plot --dataset iris -k 3 --projection sammon -o iris_sammon.png
  optimeans plot data.csv -k 5 --size 1200x900 -o clusters.svg --json

Data with more than two features are mapped to the plane: pca (the default,
a projection on the two main axes), mds (classical multidimensional scaling)
or sammon (Sammon's mapping, which keeps small distances best; its stress,
0 for a perfect map, is printed). mds and sammon map at most --max-embed rows.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plot",
        help="cluster the data and draw the clusters and centers in 2-D",
        description="Cluster the rows into K groups and write a scatter plot of the clusters and "
        "their centers, mapping data of more than two features to the plane.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input(p)
    g = p.add_argument_group("clustering")
    g.add_argument("-k", "--n-clusters", type=int, required=True, metavar="K", help="number of clusters")
    g.add_argument("--method", default="auto", metavar="NAME", help="optimizer (default: auto)")
    g.add_argument("--seed", type=int, metavar="S", help="random seed (default: drawn and reported)")
    g.add_argument("--threads", type=int, metavar="N", help="threads (results do not depend on it)")
    o = p.add_argument_group("figure")
    o.add_argument("--projection", choices=("auto", "pca", "mds", "sammon"), default="auto",
                   help="map to the plane for more than 2 features (default auto: pca)")
    o.add_argument("--max-embed", type=int, default=1000, metavar="N",
                   help="rows mapped by mds and sammon (a random subset; default 1000)")
    o.add_argument("-o", "--output", required=True, metavar="FILE.png", help="image file (.png, .svg, .pdf)")
    o.add_argument("--size", default="800x600", metavar="WxH", help="size in pixels (default 800x600)")
    o.add_argument("--title", help="figure title (default: k and the objective)")
    o.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import optimeans

    from ..plotting import plot_clusters
    from ..projection import project

    need_matplotlib()
    figsize = parse_size(args.size)
    check_image_path(args.output)
    if args.max_embed < 2:
        raise CLIError(f"--max-embed must be >= 2, got {args.max_embed}")
    if args.seed is not None and args.seed < 0:
        raise CLIError(f"--seed must be >= 0, got {args.seed}")
    X, source, columns = read_input(args)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = optimeans.fit(X, args.n_clusters, method=args.method, random_state=args.seed,
                                n_threads=args.threads)
    except (ValueError, TypeError) as exc:
        raise CLIError(f"{source}: {exc}") from None
    for w in {str(w.message) for w in caught}:
        print(f"optimeans: warning: {w}", file=sys.stderr)
    d = X.shape[1]
    method = args.projection
    if method == "auto":
        method = "none" if d <= 2 else "pca"
    proj = None
    centers = None
    try:
        if method == "none":
            projection = "none"
        else:
            proj, centers = project(X, method, max_samples=args.max_embed, random_state=0, extra=res.centers,
                                    n_threads=args.threads)
            projection = proj
        plot_clusters(
            X, res.labels, res.centers, result=res, projection=projection, title=args.title,
            feature_names=columns, figsize=figsize, dpi=DPI, save=args.output,
            centers_embedding=centers,
        )
    except ValueError as exc:
        raise CLIError(f"{source}: --projection {args.projection}: {exc}") from None
    except OSError as exc:
        raise CLIError(f"cannot write {args.output}: {exc}") from None
    summary = res.summary()
    summary["input"] = source
    summary["projection"] = None if proj is None else proj.summary()
    summary["files"] = [args.output]
    if args.json:
        print_json(summary)
    else:
        what = "raw coordinates" if proj is None else (
            f"{proj.method} map" + (f", Sammon stress {proj.stress:.4g}" if proj.method != "pca" else
                                   f", {100 * (proj.explained or 0):.1f} % of the variance")
        )
        print(f"{source}: {X.shape[0]} samples x {d} features, k = {res.n_clusters}, "
              f"objective {res.objective:.10g} (seed {res.seed})")
        print(f"written {args.output} ({what})")
    return 0
