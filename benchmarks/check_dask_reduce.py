"""CPU time of what a Dask pass does on a worker after the kernel, old and new ways.

A block's per-chunk changes of the cluster sums (``chunks x k(d+3)``) become
what the block sends: either the sparse rows of the clusters its chunks'
moves touched (the NumPy gather of the earlier code, or the Numba
``_scan.pack_touched``), or, for the leading blocks, the running sums
themselves after ``_scan.add_moves``. Thread CPU time, median of 20, on
synthetic changes shaped like a 10,000,000-row block (2442 chunks) at
k = 16, d = 16; the load barely moves CPU time.

    PYTHONPATH=src python benchmarks/check_dask_reduce.py
"""

from __future__ import annotations

import os
import time

import numpy as np

from optimeans.distributed import _scan


def _median_cpu(f, reps: int = 20) -> float:
    f()
    ts = []
    for _ in range(reps):
        t = time.thread_time()
        f()
        ts.append(time.thread_time() - t)
    return float(np.median(ts))


def main() -> None:
    rng = np.random.default_rng(0)
    nc, k, dp = 2442, 16, 16
    print(f"load {os.getloadavg()[0]:.2f}")
    for frac in (1.0, 0.25, 0.02):
        cS = np.zeros((nc, k * dp))
        cQ, cW, cN = np.zeros((nc, k)), np.zeros((nc, k)), np.zeros((nc, k), np.int64)
        for c, j in zip(*np.nonzero(rng.random((nc, k)) < frac)):
            cS[c, j * dp:(j + 1) * dp] = rng.standard_normal(dp)
            cQ[c, j] = cW[c, j] = cN[c, j] = 1
        cc = np.ones(nc, np.int64)

        def numpy_gather():
            idx = np.flatnonzero(cc)
            S3 = cS[idx].reshape(idx.size, k, dp)
            touched = (cN[idx] != 0) | (cW[idx] != 0) | (cQ[idx] != 0) | (S3 != 0).any(axis=2)
            return touched, S3[touched], cQ[idx][touched], cW[idx][touched], cN[idx][touched]

        sums = (np.zeros(k * dp), np.zeros(k), np.zeros(k), np.zeros(k, np.int64))
        out = (np.empty(cW.size, dtype=np.bool_), np.empty(cW.size * (dp + 3)))
        cases = {
            "numpy gather (before)": numpy_gather,
            "pack_touched": lambda: _scan.pack_touched(cS, cQ, cW, cN, cc, *out),
            "add_moves (leading block)": lambda: _scan.add_moves(cS, cQ, cW, cN, cc, *sums),
        }
        for name, f in cases.items():
            print(f"touched {frac:>5}: {name:<28} {_median_cpu(f) * 1e3:7.2f} ms CPU")
    print(f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
