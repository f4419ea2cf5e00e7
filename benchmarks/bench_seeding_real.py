"""Greedy k-means++ on real data sets: the rows chosen against the NumPy reference, and the time.

Data nobody here generated: scikit-learn's bundled ``load_digits`` (1797 x 64)
and ``load_breast_cancer`` (569 x 30, standardized), and the text files of
``--files`` (whitespace or comma separated numbers, one point a line; lines
that do not parse are skipped). For every data set, ``k`` and seed, the
compiled greedy k-means++ (:func:`optimeans.seeding.kmeans_plusplus`) must
choose the rows of the library's NumPy implementation of the same rule
(:func:`optimeans._nocompile.greedy_kmeanspp`, no kernel involved); the
script prints the median wall time over ``--repeats`` runs and the share of
packed blocks the pruning did not read (versions of optimeans that count them).
Run it with ``PYTHONPATH`` set to each version's ``src`` to compare versions.

Usage::

    PYTHONPATH=src python benchmarks/bench_seeding_real.py --threads 1
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import numpy as np


def _datasets(files: list[str]) -> dict[str, np.ndarray]:
    from sklearn.datasets import load_breast_cancer, load_digits

    out = {"digits 1797x64": load_digits().data.astype(np.float64)}
    bc = load_breast_cancer().data.astype(np.float64)
    out["breast_cancer 569x30 (standardized)"] = (bc - bc.mean(0)) / bc.std(0)
    for path in files:
        rows = []
        with open(path) as fh:
            for line in fh:
                try:
                    vals = [float(v) for v in line.replace(",", " ").split()]
                except ValueError:
                    continue
                if vals:
                    rows.append(vals)
        width = max(len(r) for r in rows)
        rows = [r for r in rows if len(r) == width]
        X = np.asarray(rows, dtype=np.float64)
        out[f"{os.path.basename(path)} {X.shape[0]}x{X.shape[1]}"] = X
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ks", nargs="+", type=int, default=[10, 30, 100])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--files", nargs="*", default=[])
    args = p.parse_args(argv)

    from optimeans import _nocompile
    from optimeans._kernels.lloyd import BLOCK
    from optimeans.seeding import kmeans_plusplus

    print(f"# load average {os.getloadavg()} (before); {args.threads} thread(s)")
    print("| data | k | dtype | same rows as the NumPy reference | median time | blocks pruned |")
    print("|---|---:|---|---|---:|---:|")
    bad = 0
    for name, X64 in _datasets(args.files).items():
        for dtype in (np.float64, np.float32):
            X = np.ascontiguousarray(X64, dtype=dtype)
            n, d = X.shape
            w = np.ones(n)
            for k in args.ks:
                if k >= n:
                    continue
                m = 2 + int(math.log(k))
                same = True
                times = []
                pruned = steps = 0
                for s in args.seeds:
                    rng = np.random.default_rng(s)
                    first_r = float(rng.random())
                    U = rng.random((k - 1) * m).reshape(k - 1, m)
                    ref = np.empty(k, dtype=np.int64)
                    _nocompile.greedy_kmeanspp(X, w, first_r, U, ref)
                    stats = np.zeros(3, dtype=np.int64)
                    with _nocompile.kernels_only():
                        for _ in range(args.repeats):
                            t = time.perf_counter()
                            _, idx = kmeans_plusplus(X, k, w, np.random.default_rng(s), n_threads=args.threads,
                                                     stats=stats)
                            times.append(time.perf_counter() - t)
                    same &= bool(np.array_equal(idx, ref))
                    pruned += int(stats[2])
                    steps += int(stats[:2].sum())
                bad += not same
                share = f"{pruned / (steps * -(-n // BLOCK)):.1%}" if steps else "-"
                print(f"| {name} | {k} | {np.dtype(dtype).name} | {'yes' if same else 'NO'} "
                      f"| {statistics.median(times) * 1e3:.2f} ms | {share} |")
    print(f"# load average {os.getloadavg()} (after)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
