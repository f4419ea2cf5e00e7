"""``optimeans plot``: cluster the data and draw the clusters and centers in the plane."""

from __future__ import annotations

import argparse
import re
import sys
import warnings

from ._common import CLIError, add_k_option, add_scale_option, add_size_option, check_output, plural, print_json, scaled
from ._figures import DPI, add_input, check_image_path, need_matplotlib, parse_size, read_input

EXAMPLES = """\
examples:
  optimeans plot --dataset iris -k 3 --plot iris.png
  optimeans plot --dataset iris -k 3 --projection sammon --plot iris_sammon.png
  optimeans plot data.csv -k 5 --scale standard --plot-size 1200x900 --plot clusters.svg --json

--plot names the image, as in the other commands (--output and -o FILE.png,
the older spellings, still work and print a deprecation note); -o KEY=VALUE
is a solver option, as in `optimeans fit`.

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
    add_k_option(g)
    g.add_argument("--method", default="auto", metavar="NAME", help="optimizer (default: auto)")
    g.add_argument("--seed", type=int, metavar="S", help="random seed (default: drawn and reported)")
    g.add_argument("--threads", type=int, metavar="N", help="threads (results do not depend on it)")
    add_scale_option(g)
    g.add_argument(
        "-o", "--option", action="append", default=[], metavar="KEY=VALUE",
        help="solver option (repeatable), e.g. -o learning_rate=0.1",
    )
    o = p.add_argument_group("figure")
    o.add_argument("--projection", choices=("auto", "pca", "mds", "sammon"), default="auto",
                   help="map to the plane for more than 2 features (default auto: pca)")
    o.add_argument("--max-embed", type=int, default=1000, metavar="N",
                   help="rows mapped by mds and sammon (a random subset; default 1000)")
    o.add_argument("--plot", metavar="FILE.png", help="the image file to write (.png, .svg, .pdf); required")
    o.add_argument("--output", dest="output_deprecated", metavar="FILE.png", help=argparse.SUPPRESS)
    add_size_option(o, "800x600")
    o.add_argument("--title", help="figure title (default: k and the objective)")
    o.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.set_defaults(func=run)


_IMAGE = re.compile(r"(?i).+\.(png|svg|pdf|jpe?g|eps|ps|tiff?|webp)")


def _output_and_options(args: argparse.Namespace) -> tuple[str, dict]:
    """The image path (--plot, or the deprecated --output / -o FILE.png) and the solver options."""
    from ._input import parse_options

    output = args.plot
    legacy = [v for v in args.option if "=" not in v and _IMAGE.fullmatch(v)]
    if args.output_deprecated:
        legacy.insert(0, args.output_deprecated)
    if legacy:
        if output or len(legacy) > 1:
            raise CLIError("give the image file once, with --plot FILE.png")
        output = legacy[0]
        print("optimeans: note: `-o FILE`/`--output FILE` in `optimeans plot` is deprecated; "
              "use --plot FILE (-o is a solver option, as in `optimeans fit`)", file=sys.stderr)
    if not output:
        raise CLIError("--plot FILE.png is required: where to write the image")
    options = parse_options([v for v in args.option if v not in legacy])
    return output, options


def run(args: argparse.Namespace) -> int:
    import optimeans

    from ..plotting import plot_clusters
    from ..projection import project

    output, options = _output_and_options(args)
    need_matplotlib()
    figsize = parse_size(args.plot_size)
    check_image_path(output)
    check_output(output, "--plot", inputs=[args.file])
    if args.max_embed < 2:
        raise CLIError(f"--max-embed must be >= 2, got {args.max_embed}")
    if args.seed is not None and args.seed < 0:
        raise CLIError(f"--seed must be >= 0, got {args.seed}")
    X, source, columns = read_input(args)
    try:
        X = scaled(X, args.scale)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = optimeans.fit(X, args.n_clusters, method=args.method, random_state=args.seed,
                                n_threads=args.threads, **options)
    except (ValueError, TypeError) as exc:
        raise CLIError(f"{source}: {exc}") from None
    if args.scale != "none" and columns:
        columns = [f"{c} ({args.scale})" for c in columns]
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
            feature_names=columns, figsize=figsize, dpi=DPI, save=output,
            centers_embedding=centers,
        )
    except ValueError as exc:
        raise CLIError(f"{source}: --projection {args.projection}: {exc}") from None
    except OSError as exc:
        raise CLIError(f"cannot write {output}: {exc}") from None
    summary = res.summary()
    summary["input"] = source
    summary["projection"] = None if proj is None else proj.summary()
    summary["scale"] = args.scale
    summary["files"] = [output]
    if args.json:
        print_json(summary)
    else:
        what = "raw coordinates" if proj is None else (
            f"{proj.method} map" + (f", Sammon stress {proj.stress:.4g}" if proj.method != "pca" else
                                   f", {100 * (proj.explained or 0):.1f} % of the variance")
        )
        print(f"{source}: {plural(X.shape[0], 'sample')} x {plural(d, 'feature')}, k = {res.n_clusters}, "
              f"objective {res.objective:.10g} (seed {res.seed})")
        print(f"written {output} ({what})")
    return 0
