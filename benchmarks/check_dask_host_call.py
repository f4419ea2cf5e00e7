"""A/B check: a pass's call of the block hosts with its arguments and results framed by Dask, or pickled.

Two parts, on one ``local_cluster(2)``, with the load average printed:

1. round trips to both hosts (median of 100, per round): empty; with a
   Lloyd pass's arguments (about ten small arrays) and results (about six)
   handed to Dask, which frames every array apart; the same pickled into one
   bytes object each way (what :meth:`BlockHost.call` does);
2. Lloyd fits, alternating the two routes (``Blocks._call_hosts`` swapped)
   with in-memory optimeans (2 threads) as the control: marginal ms per
   iteration (median over iterations, per round) at ``n`` x 16 float32,
   k = 16, and on tiny data (8192 x 16, two blocks: the fixed cost); every
   Dask run is checked to equal memory bit for bit.

Measured (2026-12-07): round trips at load 1.0: empty 1.43-1.53 ms, framed
2.74-2.98 ms, pickled 1.37-1.47 ms. Fits (load 2.0-4.3, so only the tiny
figure says something): tiny 3.61 ms framed, 2.91 ms pickled (both taken
before the host ran short calls on the event loop).

The "pickled" route is the library's Dask route (``BlockHost.call``), so
since the host runs short calls on the worker's event loop, it measures both
changes together; the "framed" one goes through ``BlockHost.run`` in Dask's
actor thread, as before both. Since the eleventh session a plain TCP cluster
takes neither (the passes go over direct connections, see
``optimeans/distributed/channel.py``); this script turns those off
(``optimeans.direct-calls``) to compare the two Dask routes.

Usage::

    PYTHONPATH=src python benchmarks/check_dask_host_call.py [n] [rounds] [iters]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_dask as B  # noqa: E402


def _framed_call_hosts(self, fn, groups, args):
    """The route before: the arguments and results handed to Dask as they are."""
    hosts = self._hosts(list(groups))
    calls = [hosts[w].run(fn, [self.states[b].key for b in bs], args) for w, bs in groups.items()]
    return self._actor_results(calls)


def _noop(state, raw, *args):
    return None


def _like_a_pass(state, raw, *args):
    """A result shaped as a late Lloyd pass's (k = 16, d = 16, two chunks with moves)."""
    return (5, np.zeros((2, 16), bool), np.zeros((20, 16)), np.zeros(20), np.zeros(20), np.zeros(20, np.int64), None)


async def _await_all(calls):
    return [await c for c in calls]


def round_trips(client, rounds: int) -> dict:
    from distributed.protocol.pickle import dumps, loads

    from optimeans.distributed.blocks import BlockHost

    workers = sorted(client.scheduler_info()["workers"])
    hosts = [
        client.submit(BlockHost, workers=[w], allow_other_workers=False, actor=True, pure=False).result()
        for w in workers
    ]
    kp = dp = 16
    args = (
        1, 2, np.zeros(dp), 1.0, np.zeros((kp, 16), np.float32), np.zeros(kp, np.float32), np.zeros((kp, dp)), 3.0,
        16, True, 1, (np.zeros(16 * dp), np.zeros(16), np.zeros(16), np.zeros(16, np.int64)), 1000,
    )
    res: dict = {"empty": [], "framed": [], "pickled": []}
    for _ in range(rounds):
        for mode in res:
            trips = []
            for _ in range(100):
                t = time.perf_counter()
                if mode == "empty":
                    client.sync(_await_all, [h.run(_noop, [], ()) for h in hosts])
                elif mode == "framed":
                    client.sync(_await_all, [h.run(_like_a_pass, [], args) for h in hosts])
                else:
                    blob = dumps((_like_a_pass, args))
                    [loads(r) for r in client.sync(_await_all, [h.call([], blob) for h in hosts])]
                trips.append(time.perf_counter() - t)
            res[mode].append(float(np.median(trips)))
    return res


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
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    iters = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    d, k = 16, 16
    X, C0 = B._data(n, d, k)
    Xs = np.random.default_rng(1).random((8192, d), dtype=np.float32)
    ref = optimeans.fit(X, k, init=C0, max_iter=iters, tol=0, n_threads=2)
    pickled = bm.Blocks._call_hosts
    modes = {"framed": _framed_call_hosts, "pickled": pickled}
    print(f"load at start {B._load()}", flush=True)
    with od.local_cluster(2, threads_per_worker=1, processes=True) as client:
        client.run(B._warm, Xs, Xs[:k].copy())
        for mode, v in round_trips(client, rounds).items():
            print(f"round trip {mode:<8} ms per round: {' '.join(f'{x * 1e3:.3f}' for x in v)}  (load {B._load()})")
        res: dict = {}
        Xd = da.from_array(X, chunks=(-(-n // 2), d))
        try:
            for r_ in range(rounds):
                order = ["framed", "pickled", "memory"]
                if r_ % 2:
                    order = order[::-1]
                for mode in order:
                    if mode == "memory":
                        r = optimeans.fit(X, k, init=C0, max_iter=iters, tol=0, n_threads=2)
                        rt = optimeans.fit(Xs, k, init=Xs[:k].copy(), max_iter=50, tol=0, n_threads=2)
                    else:
                        bm.Blocks._call_hosts = modes[mode]
                        r = optimeans.fit(Xd, k, init=C0, max_iter=iters, tol=0)
                        assert np.array_equal(r.centers, ref.centers)
                        assert np.array_equal(r.history.objective, ref.history.objective)
                        rt = optimeans.fit(
                            da.from_array(Xs, chunks=(4096, d)), k, init=Xs[:k].copy(), max_iter=50, tol=0
                        )
                    res.setdefault(f"{mode} n={n}", []).append(B._per_iter(r.history))
                    res.setdefault(f"{mode} tiny", []).append(B._per_iter(rt.history))
        finally:
            bm.Blocks._call_hosts = pickled
    for name, v in sorted(res.items()):
        print(f"{name:<20} ms/iter per round: {' '.join(f'{x * 1e3:.2f}' for x in v)}  median {np.median(v) * 1e3:.2f}")
    print(f"load at end {B._load()}; the Dask runs equal memory bit for bit", flush=True)


if __name__ == "__main__":
    main()
