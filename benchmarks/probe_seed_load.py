"""Probe: the region probe and greedy k-means++ (1 thread; 2 threads without and with the load guard) with 0, 1, 2 busy loops.

Run it under ``flock /tmp/bench.lock`` (it loads the machine on purpose, for a few seconds).
Usage: PYTHONPATH=src python benchmarks/probe_seed_load.py [n d k]
"""
import os
import statistics
import subprocess
import sys
import time

import numba
import numpy as np
from sklearn.datasets import make_blobs

import optimeans.seeding as sd
from optimeans._kernels.seeding import chunk_moments


def _probe(X, reps=8, trials=20):
    """Per-region time of the load guard's region (chunk_moments over one row, 2 chunks)."""
    head = X[:1]
    sums, lows, highs = (np.empty((2, X.shape[1])) for _ in range(3))
    out = []
    for _ in range(trials):
        t = time.perf_counter()
        for _ in range(reps):
            chunk_moments(head, sums, lows, highs)
        out.append((time.perf_counter() - t) / reps)
        time.sleep(0.002)
    return out


def main():
    shape = sys.argv[1] if len(sys.argv) > 1 else "20000x128x100"
    n, d, k = (int(v) for v in shape.split("x"))
    X, _ = make_blobs(n, d, centers=k, random_state=0)
    X = np.ascontiguousarray(X, dtype=np.float32)
    w = np.ones(n)
    numba.set_num_threads(2)
    sd.kmeans_plusplus(X, k, w, np.random.default_rng(0), n_threads=1)
    default = sd.SEED_ROWS_PER_THREAD
    for burners in (0, 1, 2):
        procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(burners)]
        try:
            time.sleep(1.0)
            numba.set_num_threads(2)
            p = _probe(X)
            res = {}
            for label, nt, rpt, lim in (("1", 1, default, 0.0), ("2 forced", 2, default, float("inf")),
                                        ("2 guarded", 2, default, sd.SEED_REGION_LIMIT)):
                sd.SEED_ROWS_PER_THREAD = rpt
                keep = sd.SEED_REGION_LIMIT
                sd.SEED_REGION_LIMIT = lim
                ts = []
                for s in (0, 1, 2):
                    t = time.perf_counter()
                    sd.kmeans_plusplus(X, k, w, np.random.default_rng(s), n_threads=nt)
                    ts.append(time.perf_counter() - t)
                sd.SEED_REGION_LIMIT = keep
                res[label] = ts
            sd.SEED_ROWS_PER_THREAD = default
            p2 = _probe(X)
        finally:
            for q in procs:
                q.kill()
                q.wait()
        print(f"{burners} busy loops, load {os.getloadavg()[0]:.2f}: region (2 threads) before: median "
              f"{statistics.median(p) * 1e6:.1f} us, max {max(p) * 1e6:.1f} us; after: median "
              f"{statistics.median(p2) * 1e6:.1f} us, max {max(p2) * 1e6:.1f} us")
        for label, ts in res.items():
            print(f"   {shape} {label} thread(s): " + " ".join(f"{v * 1e3:.1f}" for v in ts) + " ms")


if __name__ == "__main__":
    main()
