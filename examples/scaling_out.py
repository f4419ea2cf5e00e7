"""Scaling out: the same k-means on a Dask cluster and on data larger than memory.

``optimeans.fit`` accepts a dask array and runs the same Numba kernels block
by block on the workers; the partial sums come back to the client and are
reduced in block order, so the result does not depend on the number of
workers or on how the rows are split into blocks. Data on disk is opened
lazily with ``optimeans.distributed.read`` (a ``.npy`` file becomes memory
maps, one per block, read again at every pass: nothing has to fit in memory).

This script writes a data set to a ``.npy`` file, then clusters it

1. in memory, with ``optimeans.fit(X)``;
2. on a local Dask cluster, from the file, with the same initial centers:
   the same centers, labels and objective, to rounding;
3. with mini-batch k-means over the file (one sweep per pass, for data read
   from disk), which needs fewer passes but usually ends at a higher
   objective: the table says how much.

On a real cluster, connect a ``distributed.Client`` to its scheduler instead
of starting a local one: the code does not change.

Run:  python examples/scaling_out.py [--n 400000] [--workers 2] [--out figures]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

import optimeans
from optimeans import distributed as od
from optimeans.datasets import make_blobs
from optimeans.seeding import init_centers


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=400_000, help="number of points (default 400000)")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--processes", action="store_true",
                    help="worker processes (default: worker threads in this process)")
    ap.add_argument("--out", default="figures", help="directory for the figure (default: figures/)")
    args = ap.parse_args(argv)

    X = make_blobs(args.n, 8, centers=args.k, cluster_std=2.5, random_state=0)
    C0 = init_centers(X, args.k, np.ones(len(X)), "k-means++", np.random.default_rng(1))  # shared start
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.npy")
        np.save(path, X)
        print(f"{args.n} points x {X.shape[1]} features ({X.nbytes / 2**20:.0f} MiB) written to a .npy file")

        t = time.perf_counter()
        mem = optimeans.fit(X, args.k, init=C0, tol=0)
        t_mem = time.perf_counter() - t

        Xd = od.read(path, block_rows=max(1000, args.n // 8))  # lazy: nothing read yet
        print(f"opened as a dask array of {Xd.numblocks[0]} blocks of up to {Xd.chunks[0][0]} rows")
        with od.local_cluster(args.workers, processes=args.processes) as client:
            t = time.perf_counter()
            dist = optimeans.fit(Xd, args.k, init=C0, tol=0)
            t_dist = time.perf_counter() - t
            t = time.perf_counter()
            mb = optimeans.fit(Xd, args.k, method="minibatch", init=C0, max_iter=20, random_state=0)
            t_mb = time.perf_counter() - t
            labels = dist.labels.compute()
            print(f"Dask cluster: {len(client.scheduler_info()['workers'])} workers")

    print(f"\n{'run':<22} {'objective':>16} {'above lloyd':>11} {'passes':>7} {'seconds':>8}")
    for name, r, t in [("in memory", mem, t_mem), ("dask, from the file", dist, t_dist),
                       ("dask minibatch", mb, t_mb)]:
        above = 100 * (r.objective / mem.objective - 1)
        above = 0.0 if abs(above) < 5e-4 else above  # no "-0.000 %" from rounding
        print(f"{name:<22} {r.objective:>16.4f} {above:>10.3f}% {r.history.passes[-1]:>7.1f} {t:>8.2f}")
    same_labels = np.array_equal(labels, mem.labels)
    rel = abs(dist.objective - mem.objective) / mem.objective
    print(f"\nsame labels in memory and on the cluster: {same_labels}; objectives differ by {rel:.1e} (relative)")
    print("(small data pays the cluster's scheduling, about a millisecond per task; the\n"
          " distributed run is for data that does not fit in one machine's memory)")

    from optimeans.plotting import plot_convergence

    os.makedirs(args.out, exist_ok=True)
    fig_path = os.path.join(args.out, "scaling_out.png")
    plot_convergence({"in memory": mem, "dask": dist, "dask minibatch": mb}, x=["passes", "seconds"],
                     title="the same Lloyd iteration in memory and on a Dask cluster", save=fig_path)
    print(f"figure: {fig_path}")
    return mem, dist, mb


if __name__ == "__main__":
    main()
