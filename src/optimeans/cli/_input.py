"""Reading the data and the options common to the commands that fit (``fit``, ``compare``, ``predict``,
the Dask path): FILE or --dataset, the text-file options, ``--option KEY=VALUE``, warnings and stop reasons.

Below :mod:`optimeans.cli.fit` and its helpers, so they can all use it without importing each other.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from .._io import DataError, Table, dataset_table, read_table
from ._common import CLIError


ROW_FILE_SUFFIXES = {".csv", ".tsv", ".tab", ".txt", ".parquet", ".pq"}

STOP_EXPLAINED = {
    "labels_unchanged": "converged: no point changed cluster in the last iteration",
    "tol": "converged: the objective decreased by less than tol (relative) in the last iteration",
    "max_iter": "stopped at the iteration budget (--max-iter) before converging",
    "callback": "stopped early by the callback",
    "time_limit": "stopped at the time limit",
    "optimal": "proven globally optimal",
    "interrupted": "interrupted",
}


def add_input_options(p: argparse.ArgumentParser) -> None:
    """FILE or --dataset, and how to read it."""
    g = p.add_argument_group("input")
    g.add_argument(
        "file", nargs="?", metavar="FILE",
        help="CSV/TSV (header and delimiter detected), .npy or .parquet file, one sample per row",
    )
    g.add_argument("--dataset", metavar="NAME", help="a built-in data set instead of FILE (see `optimeans datasets`)")
    g.add_argument(
        "--columns", metavar="COLS",
        help="columns to use: names (a,b,c) or 1-based positions (1,3 or 2-5); default: all",
    )
    g.add_argument(
        "--header", choices=("auto", "yes", "no"), default="auto",
        help="text files: does the first row hold column names? (default: detect)",
    )
    g.add_argument("--delimiter", metavar="CHAR", help="text files: field separator (default: detect)")
    g.add_argument("--decimal", choices=(".", ","), default=".",
                   help="text files: decimal mark, '.' (default) or ',' (1,5;2,25)")
    g.add_argument("--encoding", metavar="NAME",
                   help="text files: character encoding, e.g. latin-1 (default: UTF-8, with or without BOM)")
    g.add_argument("--comment", default="#", metavar="CHAR",
                   help="text files: lines starting with CHAR are skipped (default '#'; '' for none)")
    g.add_argument("--skip-rows", type=int, default=0, metavar="N",
                   help="text files: lines to skip at the top, before the header (a title, metadata)")


def seed_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def read_input(args: argparse.Namespace) -> Table:
    """The Table named by FILE or --dataset (exactly one of them)."""
    if (args.file is None) == (args.dataset is None):
        raise CLIError("give a data FILE or --dataset NAME (one of them)")
    try:
        if args.dataset is not None:
            return dataset_table(args.dataset, columns=args.columns)
        table = read_table(args.file, columns=args.columns, **text_options(args))
    except DataError as exc:
        raise CLIError(str(exc)) from None
    if not getattr(args, "quiet", False):
        for note in table.info.get("notes", []):
            print(f"optimeans: note: {table.source}: {note}", file=sys.stderr)
    return table


def text_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`optimeans._io.read_table` for text files, from the input options."""
    return {
        "header": args.header,
        "delimiter": _delimiter(args.delimiter),
        "encoding": getattr(args, "encoding", None),
        "comment": getattr(args, "comment", "#") or None,
        "decimal": getattr(args, "decimal", "."),
        "skip_rows": getattr(args, "skip_rows", 0),
    }


def _delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "space": " ", "semicolon": ";"}
    text = named.get(text, text)
    if len(text) != 1:
        raise CLIError(f"--delimiter must be one character (or tab, comma, space, semicolon), got {text!r}")
    return text


def parse_options(items: list[str]) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}`` (values read as JSON when they parse).

    ``none`` (any case) and JSON's ``null`` are None, the value the library's
    messages name (``refine=None``); no option takes the word "none" as text.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CLIError(f"--option expects KEY=VALUE, got {item!r}")
        if value.strip().lower() == "none":
            out[key.strip()] = None
            continue
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def show_warnings(caught: list[warnings.WarningMessage]) -> None:
    """Library warnings as one line each on stderr."""
    seen = set()
    for w in caught:
        text = str(w.message)
        if text not in seen:
            seen.add(text)
            print(f"optimeans: warning: {text}", file=sys.stderr)


def debug_wanted() -> bool:
    return os.environ.get("OPTIMEANS_DEBUG", "") not in ("", "0")


def out_kind(out: Path) -> str:
    """What ``--out`` names: "dir", "rows" (a data file with labels) or "json", by its suffix."""
    if out.is_dir():
        return "dir"
    suffix = out.suffix.lower()
    if suffix in ROW_FILE_SUFFIXES:
        return "rows"
    if suffix == ".json":
        return "json"
    if not suffix:
        return "dir"
    raise CLIError(
        f"--out {out}: {suffix!r} is not an output this command writes; give a directory (a name without "
        "suffix), FILE.csv/.tsv/.parquet (rows with labels) or FILE.json (the result)"
    )
