"""The experiment of Bottou & Bengio (1995), for the README section
"Why Lloyd and not gradient descent?".

1. Iris, k=3: every optimizer from the same k-means++ centers (seed 0);
   table and figure (``docs/compare_iris.png``). The same as
   ``optimeans compare --dataset iris -k 3 --seed 0 --tol 0 --max-iter 100 --plot docs/compare_iris.png``.
2. Large redundant data: Iris repeated 1000 times with a small jitter
   (150000 x 4): the objective after a fraction of one pass, for Lloyd, SGD
   and mini-batch.

Run from the repository root:  PYTHONPATH=src python benchmarks/why_lloyd.py
"""

from __future__ import annotations

import numpy as np

import optimeans
from optimeans.datasets import load


def table(cmp) -> str:
    lines = ["| method | final objective | iterations | passes | seconds | converged |", "|---|---:|---:|---:|---:|---|"]
    for r in cmp.table():
        lines.append(
            f"| {r['method']} | {r['objective']:.4f} | {r['n_iter']} | {r['passes']:.4g} | "
            f"{r['seconds']:.4f} | {'yes' if r['converged'] else 'no'} ({r['stop_reason']}) |"
        )
    return "\n".join(lines)


def first_pass_table(cmp, marks=(0.1, 0.2, 0.5, 1.0, 2.0, 5.0)) -> str:
    """The objective reached after a given number of passes (last record at or before it)."""
    head = "| method | " + " | ".join(f"{m:g} pass" for m in marks) + " |"
    lines = [head, "|---|" + "---:|" * len(marks)]
    for name, res in cmp.results.items():
        h = res.history
        cells = []
        for m in marks:
            ok = np.flatnonzero(h.passes <= m + 1e-9)
            cells.append(f"{h.objective[ok[-1]]:.2f}" if ok.size else "-")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    X = load("iris")
    cmp = optimeans.compare(X, 3, random_state=0, tol=0.0, max_iter=100)
    print("## Iris, k=3, seed 0, tol 0, max_iter 100\n")
    print(table(cmp))
    print(f"\nbest objective {cmp.best_objective():.6f}")
    fig = cmp.plot("docs/compare_iris.png", title="Iris, k=3: every optimizer from the same k-means++ centers (seed 0)")
    print("figure: docs/compare_iris.png", fig.get_size_inches())

    rng = np.random.default_rng(0)
    big = np.repeat(X, 1000, axis=0) + 0.01 * rng.standard_normal((150_000, 4))
    opts = {"sgd": {"records_per_epoch": 20}, "minibatch": {"records_per_epoch": 20, "batch_size": 1000}}
    cmp2 = optimeans.compare(big, 3, ["lloyd", "sgd", "minibatch"], random_state=0, tol=0.0, max_iter=5,
                             options=opts)
    print("\n## Iris x 1000 (+ jitter 0.01): 150000 x 4, k=3, seed 0\n")
    print(first_pass_table(cmp2))
    print()
    print(table(cmp2))


if __name__ == "__main__":
    main()
