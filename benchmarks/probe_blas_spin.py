"""Does work done between two timed fits slow the next one? (a probe)

Times ``optimeans.fit`` (200000 x 8, k = 16, five seeds) after nothing, after the
benchmarks' float64 objective (a NumPy product on NumPy's default BLAS threads),
after 8 MB temporaries, a sleep and other NumPy work. OpenBLAS's threads spin
for a while after a product and took the cores from a 2-thread fit (2026-12-07,
AMD host, load 0.7: 110-120 ms after the objective against 67-77 ms otherwise;
1 thread 91-102 ms either way), hence ``threadpool_limits(1)`` around the
objective in ``bench_fit.py --interleaved``.

Usage::

    PYTHONPATH=src python benchmarks/probe_blas_spin.py
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_fit import make_blobs, objective64  # noqa: E402

import optimeans  # noqa: E402

X = make_blobs(200000, 8, 16, "separated", "float32")
optimeans.fit(X[:50000], 16, random_state=0, n_threads=2)
C = X[:16].astype(np.float64)


def run(label, between, threads=2):
    times = []
    for seed in range(5):
        between()
        t0 = time.perf_counter()
        optimeans.fit(X, 16, random_state=seed, n_threads=threads)
        times.append(time.perf_counter() - t0)
    print(f"{label:<24} {threads} thr  " + " ".join(f"{t * 1e3:.0f}" for t in times) + " ms", flush=True)


run("nothing", lambda: None)
run("objective64", lambda: objective64(X, C))
run("8 MB float64 temps", lambda: [np.ones((8192, 16, 8)).sum() for _ in range(25)])
run("sleep 20 ms", lambda: time.sleep(0.02))
run("other NumPy, 20 ms", lambda: [np.sqrt(np.arange(200000.0)) for _ in range(40)])
run("objective64", lambda: objective64(X, C), 1)
run("nothing", lambda: None, 1)
print(f"load {os.getloadavg()[0]:.2f}")
