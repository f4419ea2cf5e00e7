"""``optimeans fit``: cluster a data file or a built-in data set.

The command reads the data (:mod:`optimeans._io`), makes one library call
(:func:`optimeans.fit` on the data, scaled first with ``--scale``: the code
path of ``KMeans.fit``), and formats the result: a short report for people by default, ``--json`` for scripts, files
with ``--out``. Progress goes to stderr, results to stdout.

The options come in groups added by small functions (:func:`add_input_options`,
:func:`add_fit_options`, :func:`add_output_options`) that other commands
reuse; a feature that adds a flag to ``fit`` adds it in :func:`register` and
handles it in :func:`run` after the fit.
"""

from __future__ import annotations

import argparse
import textwrap
import json
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._io import DataError, Table, format_csv, labels_beside_rows, read_table, write_files_atomically
from .._scaling import Scaler, fit_scaled
from ..result import Result
from ._common import CLIError, add_k_option, add_scale_option, check_distinct, check_output, plural, print_json
from ._distributed import add_options as add_scale_out_options
from ._input import (
    STOP_EXPLAINED,
    add_input_options,
    debug_wanted,
    out_kind,
    parse_options,
    read_input,
    seed_arg,
    show_warnings,
)
from ._figures import add_plot_option, check_plot_option, cluster_figure

EXAMPLES = """\
examples:
  optimeans fit --dataset iris -k 3
  optimeans fit data.csv -k 5 --columns 2-6 --scale standard --out results/
  optimeans fit data.parquet -k 8 --seed 0 --json
  optimeans fit data.csv -k 4 --out data_with_labels.csv --save model.npz
  optimeans fit data/*.parquet --columns a,b,c -k 50 --local-cluster 2
  optimeans fit big.npy -k 16 --out-of-core --out results/
  optimeans fit --dataset iris -k 3 --plot iris_clusters.png
  optimeans fit measures_eu.csv -k 3 --decimal , --encoding latin-1
  optimeans fit wine_data.csv -k 3 --skip-rows 1 --columns 1-13 --scale standard

--out DIR writes labels.csv, centers.csv and result.json into DIR; --out
FILE.csv / FILE.parquet writes the input rows with a new "label" column;
--out FILE.json writes the result (summary, centers, parameters, history).
The outputs are checked before the clustering starts (writable, not an input
file) and written atomically: an interrupted run leaves the previous ones.
"""

#: Suffixes that make ``--out`` a single file with the input rows and their labels.
# -- option groups ------------------------------------------------------------------


def add_fit_options(p: argparse.ArgumentParser) -> None:
    """The parameters of optimeans.fit."""
    from ..solvers import available

    g = p.add_argument_group("clustering")
    add_k_option(g)
    g.add_argument(
        "--method", default="auto", metavar="NAME",
        help=f"optimizer: {', '.join(available())} (default: auto)",
    )
    g.add_argument(
        "--init", default="k-means++", metavar="INIT",
        help="k-means++ (default), afkmc2, auto, random, or a file of initial centers (K rows)",
    )
    g.add_argument("--n-init", default="auto", type=_n_init, metavar="N", help="restarts, best kept (default: auto)")
    g.add_argument("--seed", type=seed_arg, metavar="S", help="random seed (default: drawn and reported)")
    g.add_argument("--max-iter", type=int, default=300, metavar="N", help="iterations per restart (default: 300)")
    g.add_argument("--tol", type=float, default=1e-4, metavar="T", help="relative decrease to stop at (default: 1e-4)")
    g.add_argument("--threads", type=int, metavar="N", help="threads (default: all cores); results do not depend on it")
    add_scale_option(g, kept=True)
    g.add_argument(
        "-o", "--option", action="append", default=[], metavar="KEY=VALUE",
        help="solver option (repeatable), e.g. -o learning_rate=0.1 or -o refine=none",
    )


def add_output_options(p: argparse.ArgumentParser) -> None:
    """Where and how results go."""
    g = p.add_argument_group("output")
    g.add_argument(
        "--out", metavar="PATH",
        help="directory for labels.csv, centers.csv, result.json; FILE.csv/.tsv/.parquet for the rows "
        "with labels; FILE.json for the result alone",
    )
    g.add_argument("--save", metavar="MODEL.npz", help="save the fitted model (use with `optimeans predict`)")
    g.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress indication or notes on stderr")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fit",
        help="cluster a data file or a built-in data set",
        description=textwrap.fill(
            "Cluster the rows of FILE (or of a built-in data set) into K groups by minimizing "
            "the k-means objective, the sum of squared distances of the points to their nearest center.",
            78,
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_options(p)
    add_fit_options(p)
    add_output_options(p)
    p.add_argument(
        "--certify", nargs="?", const="auto", choices=("auto", "spectral", "sdp", "partition"), metavar="BOUND",
        help="also compute a certified lower bound on the global minimum and the gap to it "
        "(BOUND: auto (default), spectral, sdp or partition; auto takes the partition bound above "
        "1500 rows, within 60 s; see optimeans.certify)",
    )
    p.add_argument(
        "--proof", metavar="FILE.json",
        help="with --method bnb: write what proves the result (bounds, the search tree, its dual points) "
        "as JSON; `optimeans verify` checks it again without searching",
    )
    add_scale_out_options(p)
    add_plot_option(p)
    p.set_defaults(func=run)


def _n_init(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'auto', got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'auto', got {text!r}")
    return value


# -- steps shared with other commands -----------------------------------------------


def _init(args: argparse.Namespace, table: Table) -> Any:
    if args.init in ("k-means++", "afkmc2", "auto", "random"):
        return args.init
    path = Path(args.init)
    if not path.exists():
        raise CLIError(f"--init must be k-means++, afkmc2, auto, random or a file of centers; {args.init!r} is neither")
    try:
        centers = read_table(path, header="auto").X
    except DataError as exc:
        raise CLIError(f"--init: {exc}") from None
    if centers.shape != (args.n_clusters, table.n_features):
        raise CLIError(
            f"--init: {path} holds {centers.shape[0]} x {centers.shape[1]} centers, "
            f"expected {args.n_clusters} x {table.n_features} (K x features)"
        )
    return centers


def fit_params(args: argparse.Namespace, table: Table) -> dict[str, Any]:
    """The parameters the options describe, named as ``KMeans``'s."""
    return {
        "n_clusters": args.n_clusters,
        "method": args.method,
        "init": _init(args, table),
        "n_init": args.n_init,
        "max_iter": args.max_iter,
        "tol": args.tol,
        "random_state": args.seed,
        "n_threads": args.threads,
        "options": parse_options(args.option) or None,
        "scale": args.scale,
    }


@dataclass
class Fitted:
    """What one run produced: the Result (scaled space), the scaler, the parameters."""

    result: Result
    scaler: Scaler | None
    params: dict[str, Any]
    n_features: int
    certificate: Any = None

    @property
    def scale(self) -> str:
        return self.params["scale"]

    @property
    def labels(self) -> np.ndarray:
        return self.result.labels

    @property
    def centers(self) -> np.ndarray:
        """Centers in the data's own units."""
        c = self.result.centers
        return c if self.scaler is None else self.scaler.inverse_transform(c)

    def estimator(self):
        """The fitted ``KMeans`` (imports scikit-learn, so only when a model is saved)."""
        from ..estimator import fitted_kmeans

        return fitted_kmeans(self.params, self.result, self.scaler, self.n_features)


def fit_table(params: dict[str, Any], table: Table, callback: Any = None) -> Fitted:
    """The one library call: :func:`optimeans.fit` on the (scaled) data, as ``KMeans.fit`` does."""
    kwargs = {k: v for k, v in params.items() if k not in ("n_clusters", "options", "scale", "init")}
    result, scaler = fit_scaled(
        table.fit_input(), params["n_clusters"], scale=params["scale"], init=params["init"], callback=callback,
        **kwargs, **(params["options"] or {}),
    )
    return Fitted(result, scaler, params, table.n_features)


# -- the command --------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    from .. import solvers
    from .._plan import plan_runs
    from .._progress import Progress

    from . import _distributed

    check_plot_option(args)
    check_outputs(args)
    if _distributed.wanted(args):  # several files, a cluster, out of core: dask
        return _distributed.run(args)
    table = read_input(args)
    params = fit_params(args, table)
    if getattr(args, "proof", None):
        check_proof_option(args, params)
    try:
        n_restarts = plan_runs(
            params["n_init"], params["init"], solvers.resolve(params["method"], table.X, params["n_clusters"]),
            table.X.shape[0], params["n_clusters"], table.X.shape[1],
        )
    except (ValueError, TypeError):
        n_restarts = 1
    progress = Progress(n_restarts=n_restarts, max_iter=args.max_iter, enabled=not args.quiet, label="optimeans fit")
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught, progress:
            warnings.simplefilter("always")
            fitted = fit_table(params, table, callback=progress)
    except KeyboardInterrupt:
        progress.close()
        kept = " (previous output left as it was)" if args.out or args.save else ""
        print(
            f"optimeans: interrupted at {progress.position()} after {progress.elapsed():.1f} s; "
            f"nothing written{kept}",
            file=sys.stderr,
        )
        return 130
    except (ValueError, TypeError) as exc:
        if debug_wanted():
            raise
        raise CLIError(f"{table.source}: {exc}") from None
    seconds = time.perf_counter() - t0
    show_warnings(caught)
    if getattr(args, "certify", None):
        certify_result(fitted, table, args.certify, fitted.params.get("n_threads"))
    proof_file = write_proof(args, fitted)

    summary = make_summary(fitted, table, seconds)
    written = write_outputs(args, fitted, table, summary)
    if proof_file is not None:
        written = [*(written or []), proof_file]
    if written:
        summary["files"] = [str(p) for p in written]
    if args.json:
        print_json(summary)
    else:
        print(format_report(fitted, table, summary))
    return 0


def check_proof_option(args: argparse.Namespace, params: dict[str, Any]) -> None:
    """--proof: only for the proving method on unscaled data; checked (and asked of the search) before the fit."""
    if params["method"] != "bnb":
        raise CLIError(f"--proof needs --method bnb (the proving search), got --method {params['method']}")
    if params["scale"] != "none":
        raise CLIError("--proof needs unscaled data (--scale none): the proof is checked against the file's values")
    check_output(args.proof, "--proof", inputs=input_files(args))
    params["options"] = {**(params["options"] or {}), "proof": True}


def write_proof(args: argparse.Namespace, fitted: Fitted) -> Path | None:
    """--proof: the search's proof record, written atomically as JSON."""
    if not getattr(args, "proof", None):
        return None
    record = fitted.result.info.pop("proof_record", None) if fitted.result.info else None
    if record is None:
        raise CLIError("--proof: the search returned no proof record")
    from ..exact.proof import save_proof

    try:
        return save_proof(record, args.proof)
    except OSError as exc:
        raise CLIError(f"--proof: cannot write {args.proof}: {exc}") from None


def certify_result(fitted: Fitted, table: Table, method: str, n_threads: Any = None) -> None:
    """--certify: attach a certified lower bound and the gap to ``fitted.result``.

    The bound is computed on the data the objective was minimized on (scaled
    with --scale).
    """
    from ..exact.bounds import certify

    X = table.X if fitted.scaler is None else fitted.scaler.transform(table.X)
    try:
        cert = certify(X, fitted.result, method=method, n_threads=n_threads)
    except (ValueError, TypeError) as exc:
        raise CLIError(f"--certify: {exc}") from None
    fitted.result = fitted.result.replace(lower_bound=cert.lower_bound, gap=cert.gap)
    fitted.certificate = cert


def make_summary(fitted: Fitted, table: Table, seconds: float) -> dict[str, Any]:
    """The JSON summary: the Result's, plus timing and the input's description."""
    summary = fitted.result.summary()
    summary["seconds"] = round(seconds, 6)
    summary["n_features"] = table.n_features
    summary["input"] = table.source
    if table.columns is not None:
        summary["feature_names"] = list(table.columns)
    summary["scale"] = fitted.scale
    return summary


def input_files(args: argparse.Namespace) -> list[str]:
    """The files a run reads (data, more data, initial centers): outputs must not overwrite them."""
    files = [args.file, *(getattr(args, "more_files", None) or [])]
    init = getattr(args, "init", None)
    if init not in (None, "k-means++", "random"):
        files.append(init)
    return [f for f in files if f]


def check_outputs(args: argparse.Namespace) -> None:
    """--out, --save and --plot: refused before the fit when they cannot or must not be written."""
    inputs = input_files(args)
    out_file = None
    if args.out:
        kind = out_kind(Path(args.out))
        check_output(args.out, "--out", inputs=inputs, directory=kind == "dir")
        if kind != "dir":
            out_file = args.out
        if kind == "rows" and Path(args.out).suffix.lower() in (".parquet", ".pq"):
            try:
                from .._io import _pyarrow

                _pyarrow()
            except DataError as exc:
                raise CLIError(f"--out {args.out}: {exc}") from None
    if getattr(args, "save", None):
        check_output(args.save, "--save", inputs=inputs)
    if getattr(args, "plot", None):
        check_output(args.plot, "--plot", inputs=inputs)
    check_distinct({"--out": out_file, "--save": getattr(args, "save", None), "--plot": getattr(args, "plot", None)})


def write_outputs(args: argparse.Namespace, fitted: Fitted, table: Table, summary: dict[str, Any]) -> list[Path]:
    """--out (a directory or a rows file) and --save, all or nothing."""
    files: dict[Path, Any] = {}
    if args.out:
        out = Path(args.out)
        kind = out_kind(out)
        if kind == "rows":
            try:
                files[out] = labels_beside_rows(table, fitted.labels, out)
            except DataError as exc:
                raise CLIError(str(exc)) from None
        elif kind == "json":
            files[out] = json.dumps(result_document(fitted, summary), indent=2) + "\n"
        else:
            if out.exists() and not out.is_dir():
                raise CLIError(f"--out {out}: exists and is not a directory")
            names = table.columns or [f"x{j + 1}" for j in range(table.n_features)]
            files[out / "labels.csv"] = format_csv(["label"], fitted.labels)
            files[out / "centers.csv"] = format_csv(names, fitted.centers)
            files[out / "result.json"] = json.dumps(result_document(fitted, summary), indent=2) + "\n"
    if getattr(args, "save", None):
        from .._model import model_bytes

        files[Path(args.save)] = model_bytes(fitted.estimator(), feature_names=table.columns)
    if getattr(args, "plot", None):
        files[Path(args.plot)] = cluster_figure(fitted.estimator(), table, args.plot, args.plot_size)
    if not files:
        return []
    try:
        return write_files_atomically(files)
    except OSError as exc:
        raise CLIError(f"cannot write output: {exc}") from None


def result_document(fitted: Fitted, summary: dict[str, Any]) -> dict[str, Any]:
    """result.json: the summary, the centers, the parameters and the history."""
    doc = dict(summary)
    doc["centers"] = np.asarray(fitted.centers, dtype=np.float64).tolist()
    params = dict(fitted.params)
    params["init"] = params["init"] if isinstance(params["init"], str) else "array"
    doc["parameters"] = params
    doc["history"] = fitted.result.history.to_dict()
    return doc


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def format_report(fitted: Fitted, table: Table, summary: dict[str, Any]) -> str:
    """The report for people: the clusters, the objective, how the run ended, the time."""
    res = fitted.result
    scale = fitted.scale
    n, d = table.X.shape
    k = res.n_clusters
    lines = [
        f"{table.source}: {plural(n, 'sample')} x {plural(d, 'feature')} -> {plural(k, 'cluster')} "
        f"(method {res.method}{', scale ' + scale if scale != 'none' else ''})",
        "",
    ]
    sizes = res.cluster_sizes
    show_centers = d <= 6 and k <= 30
    names = table.columns or [f"x{j + 1}" for j in range(d)]
    header = ["cluster", "size"] + ([n_[:12] for n_ in names] if show_centers else [])
    rows = []
    for j in range(min(k, 30)):
        row = [str(j), str(int(sizes[j]))]
        if show_centers:
            row += [_fmt(v) for v in fitted.centers[j]]
        rows.append(row)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines.append("  " + "  ".join(h.rjust(w) for h, w in zip(header, widths)))
    for r in rows:
        lines.append("  " + "  ".join(c.rjust(w) for c, w in zip(r, widths)))
    if k > 30:
        lines.append(f"  ... {k - 30} more clusters (see --out DIR or --json)")
    if show_centers:
        lines.append("  (the columns after size are the cluster centers)")
    lines.append("")
    obj_note = " in scaled units" if scale != "none" else ""
    lines.append(f"objective    {res.objective:.10g}  (sum of squared distances to the nearest center{obj_note})")
    if res.lower_bound is not None:
        how = getattr(fitted.certificate, "method", "")
        lines.append(
            f"lower bound  {res.lower_bound:.10g}  ({how + ' bound, ' if how else ''}certified: "
            f"within {100 * res.gap:.3g} % of the global minimum)"
        )
    why = STOP_EXPLAINED.get(res.stop_reason, res.stop_reason)
    lines.append(f"iterations   {res.n_iter}; {why}")
    restarts = f"best of {res.n_init} restarts, " if res.n_init > 1 else ""
    lines.append(f"seed         {res.seed} ({restarts}rerun with --seed {res.seed} to get the same result)")
    lines.append(f"time         {summary['seconds']:.3f} s")
    if summary.get("files"):
        lines.append(f"written      {', '.join(summary['files'])}")
    return "\n".join(lines)
