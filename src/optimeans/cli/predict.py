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
from ._common import CLIError, check_output, plural, print_json
from ._input import ROW_FILE_SUFFIXES, add_input_options, read_input, text_options

EXAMPLES = """\
examples:
  optimeans fit --dataset iris -k 3 --save iris.npz
  optimeans predict --model iris.npz --dataset iris
  optimeans predict --model model.npz new.csv --out new_with_labels.csv
  optimeans predict --model model.npz new.parquet --out new.parquet --json

Without --out the labels are printed on stdout, one per line. When the model
and the file both have column names, the model's columns are picked by name
(case-sensitive; other columns are ignored) and a missing one is refused;
by position only when neither has names, or with --columns.
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
    from .._model import ModelFormatError
    from ..estimator import load

    try:
        return load(path)
    except FileNotFoundError as exc:
        raise CLIError(str(exc)) from None
    except ModelFormatError as exc:
        raise CLIError(str(exc)) from None


def _listed(names: list[str], limit: int = 6) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _file_names(args: argparse.Namespace) -> list[str] | None:
    """The column names of the input (None when it has none), without reading its data."""
    from .._io import column_names

    if args.dataset is not None:
        from .. import datasets

        return list(datasets.feature_names(args.dataset)) if args.dataset in datasets.names() else None
    if args.file is None:
        return None
    try:
        return column_names(args.file, **text_options(args))
    except DataError as exc:
        raise CLIError(str(exc)) from None


def match_columns(model_names: list[str] | None, args: argparse.Namespace) -> list[str | int] | str | None:
    """The columns to read, matched to the model's by name when both sides have names.

    By name (case-sensitive, as scikit-learn): the file's columns in the
    model's order, whatever their layout; a model column the file lacks is
    refused, naming it and the file's columns the model does not know (with a
    hint when only the case differs). By position only when neither side has
    names, or when --columns chooses them explicitly; a named file for a model
    without names, and a headerless file for a model with names, are refused
    (their columns could be in any order) with a --columns hint.
    """
    from .._io import parse_columns

    file_names = _file_names(args)
    if model_names and file_names:
        if args.columns is None:
            selected = [n for n in file_names if n in model_names]
            unexpected = [n for n in file_names if n not in model_names]
        else:
            try:
                sel = parse_columns(args.columns) or []
            except DataError as exc:
                raise CLIError(str(exc)) from None
            selected, unexpected = [], []
            for item in sel:
                name = file_names[item - 1] if isinstance(item, int) and item <= len(file_names) else str(item)
                (selected if name in model_names else unexpected).append(name)
        missing = [n for n in model_names if n not in selected]
        if missing or (args.columns is not None and unexpected):
            where = args.dataset or args.file
            parts = []
            if missing:
                parts.append(f"missing {_listed(missing)}")
            if unexpected:
                parts.append(f"{'selected' if args.columns is not None else 'not in the model'}: {_listed(unexpected)}")
            lower = {n.lower(): n for n in file_names}
            cased = [(m, lower[m.lower()]) for m in missing if m.lower() in lower]
            hint = ""
            if cased:
                hint = ("; names are case-sensitive: " +
                        ", ".join(f"the file has {f!r} for {m!r}" for m, f in cased[:3]))
            raise CLIError(
                f"{where}: the columns do not match the model's ({', '.join(model_names)}): "
                f"{'; '.join(parts)}{hint}"
            )
        return list(model_names)
    if args.columns is not None:
        return args.columns
    if model_names and not file_names:
        raise CLIError(
            f"{args.file}: has no column names but the model was fitted on named columns "
            f"({', '.join(model_names)}): add a header row, or choose the columns by position with --columns"
        )
    # a named file for a model without names is refused in run(), once the
    # file has been read (its own errors and a wrong column count come first)
    return None


def _positions(table: Any) -> str:
    """The file positions (1-based) of the columns read, as --columns takes them (an index column left out)."""
    every = list(table.all_columns or table.columns)
    pos = [every.index(c) + 1 for c in table.columns] if set(table.columns) <= set(every) else []
    if not pos:
        pos = list(range(1, len(table.columns) + 1))
    if pos == list(range(pos[0], pos[0] + len(pos))):
        return f"{pos[0]}-{pos[-1]}" if len(pos) > 1 else str(pos[0])
    return ",".join(map(str, pos))


def run(args: argparse.Namespace) -> int:
    if args.out:
        out = Path(args.out)
        if out.suffix.lower() not in ROW_FILE_SUFFIXES:
            raise CLIError(f"--out {out}: expected a .csv, .tsv or .parquet file name")
        check_output(out, "--out", inputs=[args.file, args.model])
    km = load_model(args.model)
    names = km.model_info_.get("feature_names")
    if (args.file is None) == (args.dataset is None):
        raise CLIError("give a data FILE or --dataset NAME (one of them)")
    args.columns = match_columns(names, args)
    table = read_input(args)
    if table.n_features != km.n_features_in_:
        expected = f" ({', '.join(names)})" if names else ""
        raise CLIError(
            f"{table.source}: the model expects {km.n_features_in_} feature{'s' if km.n_features_in_ != 1 else ''}"
            f"{expected}, the data has {table.n_features}; choose them with --columns"
        )
    if table.columns and not names and args.columns is None:
        # nothing to match the file's names against: which of its columns are
        # the model's, and in which order, is for the user to say
        shown = ", ".join(table.columns[:6]) + (", ..." if len(table.columns) > 6 else "")
        raise CLIError(
            f"{table.source}: has column names ({shown}) but the model was fitted without names: "
            f"choose its columns by position with --columns (these are --columns {_positions(table)})"
        )
    from ..estimator import prepare_input

    try:
        X, C, _ = prepare_input(km, table.X)
    except (ValueError, TypeError) as exc:
        raise CLIError(f"{table.source}: {exc}") from None
    from ..objective import nearest_labels, point_objective

    labels, _ = nearest_labels(X, C)
    objective = float(point_objective(X, C, labels).sum())
    sizes = np.bincount(labels, minlength=C.shape[0])

    written: list[Path] = []
    if args.out:
        out = Path(args.out)
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
            f"{table.source}: {plural(table.n_samples, 'sample')} assigned to {plural(C.shape[0], 'cluster')} "
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
