"""A/B check: ``local_cluster(2)`` with each worker process pinned to its own core, or free (as Dask starts it).

Each round pins, then frees (the order alternating between rounds), and measures the marginal ms per Lloyd iteration
(median over iterations) at ``n`` x 16 float32, k = 16, and on tiny data
(8192 x 16, two blocks: the fixed cost), with in-memory optimeans (2 threads)
as the control, and the CPU time the cluster's processes use in 5 s idle.
The load average is printed beside every figure; every Dask run is checked
to equal memory bit for bit.

Measured (2026-12-07, 2,000,000 x 16, k = 16, 20 iterations, 8 rounds, load
1.5-1.9): pinned 11.82 ms per iteration (median), free 11.84 ms; tiny 2.58
against 2.76 ms; memory 7.67 ms. Pinning does not pay: not kept.

Usage::

    PYTHONPATH=src python benchmarks/check_dask_pin.py [n] [rounds] [iters]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_dask as B  # noqa: E402


def _pin(cpus: set) -> int:
    """Pin every thread of this process to ``cpus`` (threads started later inherit it)."""
    done = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
            done += 1
        except OSError:
            pass
    return done


def main() -> None:
    import dask.array as da
    import distributed  # noqa: F401  (its config defaults loaded before any dask.config.set)

    import optimeans
    from optimeans import distributed as od

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    iters = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    d, k = 16, 16
    X, C0 = B._data(n, d, k)
    Xs = np.random.default_rng(1).random((8192, d), dtype=np.float32)
    ref = optimeans.fit(X, k, init=C0, max_iter=iters, tol=0, n_threads=2)
    res: dict = {}
    print(f"load at start {B._load()}", flush=True)
    with od.local_cluster(2, threads_per_worker=1, processes=True) as client:
        client.run(B._warm, Xs, Xs[:k].copy())
        workers = sorted(client.scheduler_info()["workers"])
        Xd = da.from_array(X, chunks=(-(-n // 2), d))
        for r in range(rounds):
            for mode in (("pinned", "free") if r % 2 == 0 else ("free", "pinned")):
                for i, w in enumerate(workers):
                    client.run(_pin, {i % os.cpu_count()} if mode == "pinned" else set(range(os.cpu_count())),
                               workers=[w])
                out = optimeans.fit(Xd, k, init=C0, max_iter=iters, tol=0)
                assert np.array_equal(out.centers, ref.centers)
                assert np.array_equal(out.history.objective, ref.history.objective)
                rt = optimeans.fit(da.from_array(Xs, chunks=(4096, d)), k, init=Xs[:k].copy(), max_iter=50, tol=0)
                res.setdefault(f"{mode} n={n}", []).append(B._per_iter(out.history))
                res.setdefault(f"{mode} tiny", []).append(B._per_iter(rt.history))
                m = optimeans.fit(X, k, init=C0, max_iter=iters, tol=0, n_threads=2)
                mt = optimeans.fit(Xs, k, init=Xs[:k].copy(), max_iter=50, tol=0, n_threads=2)
                res.setdefault(f"memory n={n}", []).append(B._per_iter(m.history))
                res.setdefault("memory tiny", []).append(B._per_iter(mt.history))
                print(f"  {mode}: n={n} {res[f'{mode} n={n}'][-1] * 1e3:.2f} ms, tiny {res[f'{mode} tiny'][-1] * 1e3:.2f} ms; "
                      f"memory n={n} {res[f'memory n={n}'][-1] * 1e3:.2f} ms   (load {B._load()})", flush=True)
    for name, v in res.items():
        print(f"{name:<22} per round: {' '.join(f'{x * 1e3:.2f}' for x in v)}  median {np.median(v) * 1e3:.2f}")
    mem = np.median(res[f"memory n={n}"])
    for mode in ("pinned", "free"):
        fixed = np.median(res[f"{mode} tiny"]) - np.median(res["memory tiny"])
        got = np.median(res[f"{mode} n={n}"])
        print(f"{mode}: fixed cost {fixed * 1e3:.2f} ms, (mem + fixed) x 1.1 = {(mem + fixed) * 1.1e3:.2f} ms, "
              f"got {got * 1e3:.2f} ms, excess over mem + fixed {(got - mem - fixed) * 1e3:.2f} ms")
    print(f"load at end {B._load()}; the Dask runs equal memory bit for bit", flush=True)


if __name__ == "__main__":
    main()
