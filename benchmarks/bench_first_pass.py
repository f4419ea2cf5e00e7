"""Benchmark: the first Lloyd pass (every row without a label) against a later pass, in memory.

In the first pass of a fit every row moves into a cluster, so the kernel adds
every row to the chunk sums; a later pass moves only the rows whose label
changes. This script times, on blob data with fixed initial centers:

* ``kernel``: one assignment pass of :class:`optimeans._kernels.lloyd.Workspace`
  on fresh labels (the first pass) and one after two iterations (a later
  pass), wall and process CPU seconds, best of ``--repeats``;
* ``fit``: the first iteration of ``optimeans.fit(..., method="lloyd")`` from
  the same centers (the first stamp of the history; packing and setup are not
  in it), best of ``--repeats``.

* ``--block``: instead, one out-of-core pass over one block as a fit without
  a client runs it (:func:`optimeans.distributed.tasks.task_pass` on raw rows
  read into a buffer of their own, which the pass puts in the work space in
  place), the first pass and a later one, with the block packed first
  (``packed``: :func:`optimeans.distributed._scan.to_work_and_pack`, then
  :func:`~optimeans._kernels.lloyd.lloyd_chunks`) or scanned as it is
  (``rows``: :func:`~optimeans._kernels.lloyd.lloyd_rows`), alternated in
  the same process, wall and process CPU seconds, median and best of
  ``--repeats`` (the copy of the raw rows into the buffer is not timed).

It imports whichever optimeans ``PYTHONPATH`` names, so that two trees can be
compared by alternating runs; ``--save FILE`` writes the first pass's labels
and sums, to check two trees give the same bits (``--compare A B``).

Usage::

    PYTHONPATH=src python benchmarks/bench_first_pass.py --n 200000 --d 8 --k 16
    PYTHONPATH=src python benchmarks/bench_first_pass.py --n 2000000 --d 16 --k 16 --save /tmp/new.npz
    python benchmarks/bench_first_pass.py --compare /tmp/old.npz /tmp/new.npz
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np


def _data(n: int, d: int, k: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    C = rng.uniform(-10, 10, (k, d)).astype(np.float32)
    X = C[rng.integers(0, k, n)] + 2 * rng.standard_normal((n, d), dtype=np.float32)
    return X, X[rng.choice(n, k, replace=False)].copy()


def _timed(fn) -> tuple[float, float]:
    t, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t, time.process_time() - c


def bench(args: argparse.Namespace) -> dict:
    import optimeans
    from numba import set_num_threads

    from optimeans._kernels import lloyd as K

    set_num_threads(args.threads)
    X, C0 = _data(args.n, args.d, args.k)
    out: dict = {
        "optimeans": os.path.dirname(optimeans.__file__), "n": args.n, "d": args.d, "k": args.k,
        "threads": args.threads, "load_start": os.getloadavg()[0],
    }
    ws = K.Workspace(X, args.k)

    def fresh() -> None:
        ws.labels[:] = -1
        for a in (ws.S, ws.Q, ws.W, ws.N):
            a[:] = 0
        ws.prefetch_rows = True
        ws.set_centers(C0)

    fresh()
    ws.assign()  # compiles (or loads) the kernel
    first, later = [], []
    for _ in range(args.repeats):
        fresh()
        first.append(_timed(ws.assign))
        C = C0.copy()
        for _ in range(2):
            ws.update_centers(C)
            ws.set_centers(C)
            ws.assign()
        ws.update_centers(C)
        ws.set_centers(C)
        later.append(_timed(ws.assign))
    out["kernel_first_pass_ms"] = round(1e3 * min(t for t, _ in first), 2)
    out["kernel_first_pass_cpu_ms"] = round(1e3 * min(c for _, c in first), 2)
    out["kernel_later_pass_ms"] = round(1e3 * min(t for t, _ in later), 2)
    out["kernel_later_pass_cpu_ms"] = round(1e3 * min(c for _, c in later), 2)
    out["first_over_later"] = round(out["kernel_first_pass_ms"] / out["kernel_later_pass_ms"], 2)
    if args.save:
        fresh()
        ws.assign()
        np.savez(args.save, labels=ws.labels, S=ws.S, Q=ws.Q, W=ws.W, N=ws.N, chunk_S=ws.chunk_S,
                 chunk_Q=ws.chunk_Q, chunk_W=ws.chunk_W, objective=np.float64(ws.objective()))
    del ws

    optimeans.fit(X, args.k, init=C0, max_iter=2, tol=0, method="lloyd")  # warm
    iters = []
    for _ in range(args.repeats):
        res = optimeans.fit(X, args.k, init=C0, max_iter=args.iters, tol=0, method="lloyd")
        s = np.diff(np.concatenate([[0.0], res.history.seconds]))
        iters.append(s)
    out["fit_first_iteration_ms"] = round(1e3 * min(float(s[0]) for s in iters), 2)
    out["fit_later_iteration_ms"] = round(1e3 * min(float(np.median(s[1:])) for s in iters), 2)
    out["fit_objective"] = float(res.objective)
    out["load_end"] = os.getloadavg()[0]
    return out


def bench_block(args: argparse.Namespace) -> dict:
    """One out-of-core block pass, packed against scanned as rows (see the module docstring)."""
    import optimeans
    from numba import set_num_threads

    from optimeans._kernels import lloyd as K
    from optimeans._kernels.lloyd import pack_centers, padded_clusters, padded_features
    from optimeans._transform import DataTransform
    from optimeans.distributed import tasks

    set_num_threads(args.threads)
    raw, C0 = _data(args.n, args.d, args.k)
    raw += np.float32(100.0)  # a data mean away from 0: the work transform has work to do
    C0 += np.float32(100.0)
    n, d, k = args.n, args.d, args.k
    space = DataTransform(raw)
    Xw = space.to_work(raw, np.float32)
    kmean = np.zeros(padded_features(d))
    kmean[:d] = Xw.mean(axis=0, dtype=np.float64)
    kscale = K.data_scale(Xw, kmean[:d])
    kp = padded_clusters(k)
    C2, cn, C64 = np.empty((kp, d), np.float32), np.empty(kp, np.float32), np.empty((kp, padded_features(d)))
    Cw = np.ascontiguousarray(space.to_work(C0, np.float32))
    out: dict = {
        "optimeans": os.path.dirname(optimeans.__file__), "n": n, "d": d, "k": k, "threads": args.threads,
        "block_mib": round(raw.nbytes / 2**20, 1), "rows_kernel": bool(K.scans_rows(kp, d)),
        "load_start": os.getloadavg()[0],
    }
    buf = np.empty_like(raw)
    real = tasks.scans_rows

    def one_pass(state, step, centers, rows):
        tasks.scans_rows = real if rows else (lambda kp, d: False)
        try:
            cmax = pack_centers(centers, kmean, kscale, C2, cn, C64)
            np.copyto(buf, raw)
            t, c = time.perf_counter(), time.process_time()
            res = tasks.task_pass(state, tasks.ScratchRows((buf, None)), 1, step, kmean, kscale, C2, cn, C64, cmax,
                                  k, True, args.threads)
            return time.perf_counter() - t, time.process_time() - c, res
        finally:
            tasks.scans_rows = real

    times: dict = {(p, w): [] for p in ("packed", "rows") for w in ("first", "later")}
    results = {}
    tasks.reserve_pass_buffers(n, d)
    for rep in range(args.repeats + 1):  # the first round compiles (or loads) the kernels
        for path in (("packed", "rows") if rep % 2 == 0 else ("rows", "packed")):
            state = tasks.BlockState(None, None, 0, n, space, np.float32, True)
            C = Cw.copy()
            t, c, r0 = one_pass(state, 0, C, path == "rows")
            # two more passes (centers moved) before the later pass timed
            S = np.zeros(k * padded_features(d)); Q = np.zeros(k); W = np.zeros(k); N = np.zeros(k, np.int64)
            r = r0
            for step in (1, 2, 3):
                from optimeans.distributed._scan import apply_sparse_record

                apply_sparse_record(r[1].reshape(-1, k), r[2], S, Q, W, N, True)
                K.update_centers(S, W, N, kmean, C)
                tl, cl, r = one_pass(state, step, C, path == "rows")
            if rep:
                times[(path, "first")].append((t, c))
                times[(path, "later")].append((tl, cl))
            results[path] = (state.labels.copy(), S.copy(), Q.copy())
    for (path, which), tc in times.items():
        out[f"{path}_{which}_ms"] = round(1e3 * float(np.median([t for t, _ in tc])), 1)
        out[f"{path}_{which}_best_ms"] = round(1e3 * min(t for t, _ in tc), 1)
        out[f"{path}_{which}_cpu_ms"] = round(1e3 * float(np.median([c for _, c in tc])), 1)
    out["same_bits"] = all(
        np.array_equal(a.view(np.uint8), b.view(np.uint8)) for a, b in zip(results["packed"], results["rows"])
    )
    out["load_end"] = os.getloadavg()[0]
    return out


def compare(a: str, b: str) -> dict:
    A, B = np.load(a), np.load(b)
    return {key: bool(np.array_equal(np.ascontiguousarray(A[key]).view(np.uint8),
                                     np.ascontiguousarray(B[key]).view(np.uint8))) for key in A.files}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=2_000_000)
    p.add_argument("--d", type=int, default=16)
    p.add_argument("--k", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=4, help="iterations of each timed fit")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--save", default=None, help="write the first pass's labels and sums here (.npz)")
    p.add_argument("--compare", nargs=2, default=None, metavar=("A", "B"), help="compare two --save files bit for bit")
    p.add_argument("--block", action="store_true", help="time one out-of-core block pass, packed against rows")
    args = p.parse_args(argv)
    if args.compare:
        out = compare(*args.compare)
    else:
        out = bench_block(args) if args.block else bench(args)
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
