"""Probe: greedy k-means++ wall time on 1 thread and on 2 threads forced (SEED_ROWS_PER_THREAD lowered).

Usage: PYTHONPATH=src python benchmarks/probe_seed_threads.py [n d k] [--rounds R]
"""
import argparse
import os
import statistics
import time

import numpy as np
from sklearn.datasets import make_blobs

import optimeans.seeding as sd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("shape", nargs="?", default="20000x128x100")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--rows-per-thread", type=int, default=8192)
    a = ap.parse_args()
    n, d, k = (int(v) for v in a.shape.split("x"))
    X, _ = make_blobs(n, d, centers=k, random_state=0)
    X = np.ascontiguousarray(X, dtype=np.float32)
    w = np.ones(n)
    print(sd.__file__, a.shape, "load", os.getloadavg())
    ref = {}
    for s in (0, 1, 2):
        ref[s] = sd.kmeans_plusplus(X, k, w, np.random.default_rng(s), n_threads=1)[1]
    default = sd.SEED_ROWS_PER_THREAD
    res = {"1": [], "2": []}
    for r in range(a.rounds):
        for label, nt, rpt in (("1", 1, default), ("2", 2, a.rows_per_thread)):
            sd.SEED_ROWS_PER_THREAD = rpt
            ts = []
            for s in (0, 1, 2):
                t = time.perf_counter()
                idx = sd.kmeans_plusplus(X, k, w, np.random.default_rng(s), n_threads=nt)[1]
                ts.append(time.perf_counter() - t)
                assert np.array_equal(idx, ref[s]), "choices differ"
            res[label].append(statistics.median(ts))
    sd.SEED_ROWS_PER_THREAD = default
    for label in res:
        print(f"{label} thread(s): " + " ".join(f"{v * 1e3:.1f}" for v in res[label]) + " ms (median of seeds 0-2 per round)")
    print("load", os.getloadavg())


if __name__ == "__main__":
    main()
