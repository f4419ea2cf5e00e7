"""Lloyd's pass with and without prefetching the rows, at the states of a real run: where it pays.

The in-memory kernel (``optimeans._kernels.lloyd.Workspace``) prefetches the
rows of ``X`` during a pass when :func:`optimeans._kernels.lloyd.prefetch_pays`
says so. This script runs Lloyd's iterations from the given initial centers
and, at each iteration's state, times the same pass both ways (labels and sums
restored between the two, best of ``--repeats``), printing the share of points
that moved: the share where the two times cross is the break-even the rule is
fitted to. Both ways give the same bits (``tests/test_kernels.py``).

Data: ``blobs`` is benchmarks/bench_dask.py's 2,000,000 x 16 set (``--n`` rows,
16 features, k = 16); ``make_blobs`` is scikit-learn's with ``--std``; ``lloyd``
is benchmarks/bench_lloyd.py's overlapping blobs with random-row centers.

Usage::

    PYTHONPATH=src python benchmarks/check_prefetch.py --data blobs --n 2000000 --threads 2
    PYTHONPATH=src python benchmarks/check_prefetch.py --data make_blobs --n 1000000 --d 32 --threads 2
    PYTHONPATH=src python benchmarks/check_prefetch.py --data make_blobs --n 1000000 --d 17 --dtype float64
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", choices=["blobs", "make_blobs", "lloyd"], default="blobs")
    p.add_argument("--n", type=int, default=2_000_000)
    p.add_argument("--d", type=int, default=16)
    p.add_argument("--k", type=int, default=16)
    p.add_argument("--std", type=float, default=4.0)
    p.add_argument("--dtype", default="float32")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=15)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from optimeans._kernels.lloyd import Workspace, prefetch_pays
    from optimeans._numba import numba_threads

    if a.data == "blobs":
        from bench_dask import _data

        X, C0 = _data(a.n, 16, 16)
    elif a.data == "lloyd":
        from bench_lloyd import make_data

        X, C0 = make_data(a.n, a.d, a.k)
    else:
        from sklearn.datasets import make_blobs

        X = make_blobs(a.n, a.d, centers=a.k, random_state=0, cluster_std=a.std)[0]
        C0 = X[: a.k]
    X = np.ascontiguousarray(X, dtype=a.dtype)
    k = C0.shape[0]
    ws = Workspace(X, k)
    C = np.array(C0, dtype=X.dtype)
    row_bytes = X.shape[1] * X.itemsize
    print(f"# {a.data} {X.shape[0]} x {X.shape[1]} {X.dtype}, k = {k}, {a.threads} threads, "
          f"{row_bytes}-byte rows; load {os.getloadavg()[0]:.2f}")
    with numba_threads(a.threads):
        for it in range(1, a.iters + 1):
            ws.set_centers(C)
            saved = [x.copy() for x in (ws.labels, ws.S, ws.Q, ws.W, ws.N)]
            if it == 1:
                ws.assign(True)
            else:
                best = {}
                for _ in range(a.repeats):
                    for pf in (True, False):
                        for x, y in zip((ws.labels, ws.S, ws.Q, ws.W, ws.N), saved):
                            x[...] = y
                        ws.prefetch_rows = pf
                        t = time.perf_counter()
                        moved = ws.assign(True)
                        best[pf] = min(best.get(pf, np.inf), time.perf_counter() - t)
                rule = prefetch_pays(moved, moved, X.shape[0], row_bytes, a.threads)
                print(f"iter {it:2d}  moved {moved:8d} ({100 * moved / X.shape[0]:7.3f} %)  "
                      f"prefetch {best[True] * 1e3:8.2f} ms  without {best[False] * 1e3:8.2f} ms  "
                      f"(the rule at this share: {'prefetch' if rule else 'without'})", flush=True)
            ws.update_centers(C)
    print(f"# load {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
