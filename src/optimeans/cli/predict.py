"""``optimeans predict``: assign new rows to the clusters of a saved model.

The model file (``optimeans fit ... --save model.npz`` or ``KMeans.save``)
carries the feature names and the scaler: the columns of a file with a header
are picked by name, and the scaling learned at fit time is applied.
"""

from __future__ import annotations

import argparse
import textwrap
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .._io import DataError, Table, labels_beside_rows, write_files_atomically
from ._common import CLIError, print_json
from .fit import ROW_FILE_SUFFIXES, add_input_options, read_input

EXAMPLES = """\
examples:
  optimeans fit --dataset iris -k 3 --save iris.npz
  optimeans predict --model iris.npz --dataset iris
  optimeans predict --model model.npz new.csv --out new_with_labels.csv
  optimeans predict --model model.npz new.parquet --out new.parquet --json

Without --out the labels are printed on stdout, one per line. With a header,
the columns the model was fitted on are picked by name.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "predict",
        help="assign rows to the clusters of a saved model",
        description=textwrap.fill(
            "Assign every row of FILE (or of a built-in data set) to the nearest center "
            "of a model saved by `optimeans fit --save`.",
            78,
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", required=True, metavar="MODEL.npz", help="model file written by `optimeans fit --save`")
    add_input_options(p)
    g = p.add_argument_group("output")
    g.add_argument("--out", metavar="FILE", help="write the input rows with a new label column (.csv, .tsv or .parquet)")
    g.add_argument("--label-column", default="label", metavar="NAME", help="name of the new column (default: label)")
    g.add_argument("--json", action="store_true", help="print a JSON summary (with the labels) on stdout")
    p.set_defaults(func=run)


def load_model(path: str) -> Any:
    from .._model import ModelFormatError, load

    try:
        return load(path)
    except FileNotFoundError as exc:
        raise CLIError(str(exc)) from None
    except ModelFormatError as exc:
        raise CLIError(str(exc)) from None


def _matching_columns(km: Any, args: argparse.Namespace) -> str | None:
    """Without --columns: the model's features, by name, when the file has them all in another layout."""
    from .._io import column_names

    names = km.model_info_.get("feature_names")
    if args.columns is not None or not names or args.file is None:
        return args.columns
    try:
        present = column_names(args.file, header=args.header, delimiter=args.delimiter)
    except DataError:
        return None  # reading the data reports the problem
    if present and present != names and set(names) <= set(present):
        return ",".join(names)
    return None


def run(args: argparse.Namespace) -> int:
    km = load_model(args.model)
    names = km.model_info_.get("feature_names")
    args.columns = _matching_columns(km, args)
    table = read_input(args)
    if table.n_features != km.n_features_in_:
        expected = f" ({', '.join(names)})" if names else ""
        raise CLIError(
            f"{table.source}: the model expects {km.n_features_in_} features{expected}, "
            f"the data has {table.n_features}; choose them with --columns"
        )
    try:
        X, C, _ = km._prepare(table.X)
    except (ValueError, TypeError) as exc:
        raise CLIError(f"{table.source}: {exc}") from None
    from ..objective import nearest_labels, point_objective

    labels, _ = nearest_labels(X, C)
    objective = float(point_objective(X, C, labels).sum())
    sizes = np.bincount(labels, minlength=C.shape[0])

    written: list[Path] = []
    if args.out:
        out = Path(args.out)
        if out.suffix.lower() not in ROW_FILE_SUFFIXES:
            raise CLIError(f"--out {out}: expected a .csv, .tsv or .parquet file name")
        try:
            written = write_files_atomically({out: labels_beside_rows(table, labels, out, column=args.label_column)})
        except DataError as exc:
            raise CLIError(str(exc)) from None
        except OSError as exc:
            raise CLIError(f"cannot write output: {exc}") from None

    summary = _summary(args, table, labels, sizes, objective, written)
    if args.json:
        print_json(summary)
    elif written:
        print(
            f"{table.source}: {table.n_samples} samples assigned to {C.shape[0]} clusters "
            f"(sizes {', '.join(map(str, sizes))}); objective {objective:.10g}; written {written[0]}"
        )
    else:
        sys.stdout.write("\n".join(map(str, labels.tolist())) + "\n")
    return 0


def _summary(
    args: argparse.Namespace, table: Table, labels: np.ndarray, sizes: np.ndarray, objective: float, written: list[Path]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "model": args.model,
        "input": table.source,
        "n_samples": table.n_samples,
        "n_clusters": int(sizes.shape[0]),
        "cluster_sizes": [int(v) for v in sizes],
        "objective": objective,
    }
    if written:
        out["files"] = [str(p) for p in written]
    else:
        out["labels"] = [int(v) for v in labels]
    return out
