"""``optimeans datasets``: list the built-in data sets."""

from __future__ import annotations

import argparse

from ._common import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "datasets",
        help="list the built-in data sets",
        description="List the data sets shipped with optimeans (use them with --dataset NAME).",
        epilog="Example: optimeans datasets --json",
    )
    p.add_argument("--json", action="store_true", help="print JSON on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import datasets

    rows = []
    for name in datasets.names():
        X = datasets.load(name)
        rows.append({"name": name, "n_samples": X.shape[0], "n_features": X.shape[1], "description": datasets.describe(name)})
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['name']:<10} {r['n_samples']:>5} x {r['n_features']:<3} {r['description']}")
    return 0
