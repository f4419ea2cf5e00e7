"""A/B check: a Dask Lloyd pass through the block hosts (actors) against one pinned task per worker.

The previous mechanism (one pinned task per worker, its result gathered
through the scheduler) is rebuilt here and swapped in for
``Blocks._call_hosts``; both run alternately in one process on one
``local_cluster(2)``, with in-memory optimeans (2 threads) as the control, so
that the load of the machine weighs on all three alike. Prints the marginal
ms per Lloyd iteration (median over iterations, per round) at ``n`` x 16
float32, k = 16, and on tiny data (8192 x 16, two blocks: the fixed cost),
with the load average; checks that every Dask run equals memory bit for bit.
The direct connections that a plain TCP cluster takes since the eleventh
session (``optimeans/distributed/channel.py``) are turned off here, so that
the host side is the actor route this script was written to measure.

Usage::

    PYTHONPATH=src python benchmarks/check_dask_pass_ab.py [n] [rounds]
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_dask as B  # noqa: E402


def _group_call(fn, states, args):
    return [fn(state, None, *args) for state in states]


def _task_call_hosts(self, fn, groups, args):
    """The mechanism before the hosts: one pinned task per worker, results gathered via the scheduler."""
    futs = [
        self.client.submit(
            _group_call, fn, [self.states[b] for b in bs], args, workers=[w], allow_other_workers=False, pure=False
        )
        for w, bs in groups.items()
    ]
    return self._gather(futs)


def main() -> None:
    import dask.array as da

    import optimeans
    from optimeans import distributed as od
    from optimeans.distributed import blocks as bm

    # both routes compared here are Dask's: the direct connections (distributed/channel.py, which a
    # plain TCP cluster otherwise takes) stay off, so that the figures mean what they did
    import dask

    dask.config.set({"optimeans.direct-calls": False})
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    d, k, iters = 16, 16, 8
    X, C0 = B._data(n, d, k)
    Xs = np.random.default_rng(1).random((8192, d), dtype=np.float32)
    ref = optimeans.fit(X, k, init=C0, max_iter=iters, tol=0, n_threads=2)
    host_call = bm.Blocks._call_hosts
    res: dict = {}
    print(f"load at start {B._load()}", flush=True)
    with od.local_cluster(2, threads_per_worker=1, processes=True) as client:
        client.run(B._warm, Xs, Xs[:k].copy())
        Xd = da.from_array(X, chunks=(-(-n // 2), d))
        try:
            for _ in range(rounds):
                for mode in ("task", "host", "memory"):
                    bm.Blocks._call_hosts = _task_call_hosts if mode == "task" else host_call
                    if mode == "memory":
                        r = optimeans.fit(X, k, init=C0, max_iter=iters, tol=0, n_threads=2)
                        rt = optimeans.fit(Xs, k, init=Xs[:k].copy(), max_iter=50, tol=0, n_threads=2)
                    else:
                        r = optimeans.fit(Xd, k, init=C0, max_iter=iters, tol=0)
                        assert np.array_equal(r.centers, ref.centers)
                        assert np.array_equal(r.history.objective, ref.history.objective)
                        rt = optimeans.fit(
                            da.from_array(Xs, chunks=(4096, d)), k, init=Xs[:k].copy(), max_iter=50, tol=0
                        )
                    res.setdefault(f"{mode} n={n}", []).append(B._per_iter(r.history))
                    res.setdefault(f"{mode} tiny", []).append(B._per_iter(rt.history))
        finally:
            bm.Blocks._call_hosts = host_call
    for name, v in res.items():
        print(f"{name:<20} ms/iter per round: {' '.join(f'{x * 1e3:.2f}' for x in v)}  median {np.median(v) * 1e3:.2f}")
    print(f"load at end {B._load()}; the Dask runs equal memory bit for bit", flush=True)


if __name__ == "__main__":
    main()
