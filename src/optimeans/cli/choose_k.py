"""``optimeans choose-k``: which number of clusters? One table of criteria, one rule."""

from __future__ import annotations

import argparse
import re
import sys
import warnings

from ._common import K_FLAGS, CLIError, add_scale_option, add_size_option, check_output, plural, print_json, scale_note, scaled
from ._figures import DPI, StepProgress, add_input, check_image_path, need_matplotlib, parse_size, read_input

EXAMPLES = """\
examples:
  optimeans choose-k --dataset iris -k 1..10
  optimeans choose-k data.csv -k 2..12 --scale standard --plot choose_k.png
  optimeans choose-k --dataset ruspini -k 1..8 --criterion silhouette --json
  optimeans choose-k --dataset ruspini -k 2..6 --bound sdp

For each k the table shows the best objective found, the spectral lower bound
(when this build has one), the mean silhouette, the gap statistic with its
standard error and the BIC of the spherical Gaussian mixture. The recommended
k follows --criterion (default: the gap statistic with Tibshirani's 1-SE rule;
include k = 1 so that it can say "no cluster structure").
"""


def parse_k_range(text: str) -> list[int]:
    """``"2..12"``, ``"2-12"``, ``"2,3,5"`` or ``"8"`` (= 1..8) -> list of k."""
    t = (text or "").strip()
    m = re.fullmatch(r"(\d+)\s*(?:\.\.|-|:)\s*(\d+)", t)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo < 1 or hi < lo:
            raise CLIError(f"--k range must be LOW..HIGH with 1 <= LOW <= HIGH, got {text!r}")
        return list(range(lo, hi + 1))
    if re.fullmatch(r"\d+(\s*,\s*\d+)+", t):
        ks = sorted({int(v) for v in t.split(",")})
        if ks[0] < 1:
            raise CLIError(f"--k values must be >= 1, got {text!r}")
        return ks
    if re.fullmatch(r"\d+", t):
        hi = int(t)
        if hi < 1:
            raise CLIError(f"--k must be >= 1, got {text!r}")
        return list(range(1, hi + 1))
    raise CLIError(f"--k must be a range like 2..12, a list like 2,3,5 or a maximum like 10; got {text!r}")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "choose-k",
        help="compare numbers of clusters (gap statistic, silhouette, BIC) and recommend one",
        description="Cluster the data for every k of a range and print, per k, the objective, the "
        "lower bound when available, the silhouette, the gap statistic and the BIC, with a "
        "recommended k and the rule behind it.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input(p)
    g = p.add_argument_group("choosing k")
    g.add_argument(*K_FLAGS, dest="k", default="1..10", metavar="RANGE",
                   help="k values: 2..12, 2,3,5 or 10 (=1..10); default 1..10")
    add_scale_option(g)
    g.add_argument("--criterion", choices=("gap", "silhouette", "bic"), default="gap",
                   help="rule for the recommended k (default: gap, 1-SE rule)")
    g.add_argument("--refs", type=int, default=10, metavar="B", help="reference data sets of the gap statistic (default 10)")
    g.add_argument("--reference", choices=("box", "pca"), default="box",
                   help="gap reference: uniform in the features' box or in the principal axes' box")
    g.add_argument("--bound", choices=("spectral", "sdp", "none"), default="spectral",
                   help="certified lower bound per k: spectral (cheap), sdp (tight, n up to a few "
                        "thousand, slower) or none (default: spectral)")
    g.add_argument("--method", default="auto", metavar="NAME", help="optimizer for each k (default: auto)")
    g.add_argument("--seed", type=int, metavar="S", help="random seed (default: drawn and reported)")
    g.add_argument("--threads", type=int, metavar="N", help="threads (results do not depend on it)")
    o = p.add_argument_group("output")
    o.add_argument("--plot", metavar="FILE.png", help="also draw the criteria against k")
    add_size_option(o, "800x640")
    o.add_argument("--json", action="store_true", help="print the table as JSON on stdout")
    o.add_argument("-q", "--quiet", action="store_true", help="no progress indication or notes on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..choose_k import choose_k

    ks = parse_k_range(args.k)
    figsize = parse_size(args.plot_size)
    if args.plot:
        need_matplotlib()
        check_image_path(args.plot)
        check_output(args.plot, "--plot", inputs=[args.file])
    if args.refs < 0:
        raise CLIError(f"--refs must be >= 0, got {args.refs}")
    if args.seed is not None and args.seed < 0:
        raise CLIError(f"--seed must be >= 0, got {args.seed}")
    X, source, _ = read_input(args)
    note = scale_note(X, args.scale, "choose-k")
    if note and not args.quiet:
        print(f"optimeans: note: {source}: {note}", file=sys.stderr)
    try:
        X = scaled(X, args.scale)
    except ValueError as exc:
        raise CLIError(f"{source}: --scale {args.scale}: {exc}") from None
    if ks[-1] > X.shape[0]:
        raise CLIError(f"-k goes up to {ks[-1]} but {source} has only {plural(X.shape[0], 'sample')}")
    progress = StepProgress("optimeans choose-k", enabled=not args.quiet)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicated centers at large k are expected here
            res = choose_k(
                X, ks, criterion=args.criterion, method=args.method, n_refs=args.refs,
                reference=args.reference, random_state=args.seed, n_threads=args.threads,
                lower_bound=False if args.bound == "none" else args.bound,
                progress=progress,
            )
    except (ValueError, TypeError) as exc:
        raise CLIError(f"{source}: {exc}") from None
    finally:
        progress.close()
    files = []
    if args.plot:
        from ..plotting import plot_choose_k

        plot_choose_k(res, figsize=figsize, dpi=DPI, save=args.plot)
        files.append(args.plot)
    if args.json:
        doc = res.to_dict()
        doc["input"] = source
        doc["scale"] = args.scale
        if files:
            doc["files"] = files
        print_json(doc)
    else:
        scaled_note = f", scale {args.scale}" if args.scale != "none" else ""
        print(f"{source}: {plural(X.shape[0], 'sample')} x {plural(X.shape[1], 'feature')}{scaled_note}")
        print(res)
        print(f"seed {res.seed} (rerun with --seed {res.seed} for the same table)")
        for f in files:
            print(f"written {f}")
    return 0
