"""Where the first iteration's time goes: the same fit repeated in one process (a probe).

Times, per run, the call to the first callback (validation, packing, the first full pass,
the center update) for each method, ``--repeats`` times in turn, so that a cost paid only by
the first fit of a process (first touch of fresh memory) shows apart from the per-fit cost.
bench_large_k.py's ``first`` column is the first optimeans run at each shape after FAISS's.

Usage::

    PYTHONPATH=src python benchmarks/probe_first_iteration.py --shape 50000x128x4096 --methods yinyang lloyd ball --cpu
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lloyd import make_data  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--shape", default="50000x128x4096")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--methods", nargs="+", default=["yinyang", "lloyd", "ball"])
    p.add_argument("--cpu", action="store_true")
    a = p.parse_args(argv)
    clock = time.process_time if a.cpu else time.perf_counter
    import optimeans

    n, d, k = (int(v) for v in a.shape.split("x"))
    X64, C64 = make_data(n, d, k)
    X = np.ascontiguousarray(X64, dtype=np.float32)
    C0 = np.ascontiguousarray(C64, dtype=np.float32)
    del X64
    Xs = X[:3000].copy()
    for m in a.methods:  # compile / load the kernels
        optimeans.fit(Xs, 600, init=Xs[:600].copy(), n_init=1, max_iter=2, tol=0.0, method=m, n_threads=a.threads)
    print(f"# {a.shape}, {a.threads} thread(s), {'CPU' if a.cpu else 'wall'} ms from the call to the first callback")
    for r in range(a.repeats):
        for m in a.methods:
            stamps = []
            t0 = clock()
            optimeans.fit(
                X, k, init=C0, n_init=1, max_iter=2, tol=0.0, method=m, n_threads=a.threads,
                callback=lambda it, obj: stamps.append(clock()) and False,
            )
            print(f"run {r + 1} {m:<8} first {1e3 * (stamps[0] - t0):7.1f}  second {1e3 * (stamps[1] - stamps[0]):7.1f}"
                  f"  load {os.getloadavg()[0]:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
