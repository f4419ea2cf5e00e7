"""Sparse CSR k-means: optimeans vs scikit-learn on a TF-IDF-like matrix.

The data: ``n`` documents over a vocabulary of ``d`` terms, ``density * d``
distinct terms per document on average, drawn from ``k`` topics (each topic
prefers its own slice of the vocabulary, on top of a Zipf background), with
tf-idf-like weights and rows scaled to unit length, as
``TfidfVectorizer`` returns them. Both libraries get the same CSR matrix
(float64, or float32 with ``--dtype float32``) in the same process.

Two measurements, each on 1 and on 2 threads (``--threads``):

* per iteration: the same initial centers (k-means++ of optimeans, seed 0),
  Lloyd with ``tol=0`` for ``M`` and for 1 iteration; the figure is the
  marginal time ``(T(M) - T(1)) / (M - 1)`` (median of ``--repeats``), so
  validation, seeding and the final assignment cancel;
* the whole fit with each library's defaults (``KMeans(k, random_state=0)``;
  scikit-learn runs 1 k-means++ start, optimeans 3) and with ``n_init=1``
  for both, and to convergence (``n_init=1, tol=0``: until no label
  changes); mini-batch with each library's defaults (``MiniBatchKMeans``;
  ``method="minibatch"``, which runs 3 k-means++ starts where scikit-learn
  runs 1) and with ``n_init=1`` for optimeans; for mini-batch the iteration
  column counts steps (batches) for both libraries. ``--only minibatch``
  runs the mini-batch rows alone. The libraries stop differently by default (scikit-learn when
  the centers move by less than ``tol`` times the data's variance,
  optimeans when the objective decreases by less than ``tol`` relative), so
  the iteration counts are printed beside the objective.

Wall and CPU (process) seconds are printed; on a busy machine the CPU time
of the 1-thread runs is the steadier comparison.

Every objective printed is recomputed the same way, in float64, from each
library's final centers (each point to its nearest center). optimeans' JIT
compile time is measured apart, on a small matrix, before anything is timed.

Usage::

    PYTHONPATH=src python benchmarks/bench_sparse.py                        # 100000 x 50000, 0.1 %, k = 20
    PYTHONPATH=src python benchmarks/bench_sparse.py --n 20000 --d 10000 --repeats 1   # quick check
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import scipy.sparse as sp


def make_tfidf(n: int, d: int, density: float, k: int, seed: int = 0, dtype=np.float64) -> sp.csr_matrix:
    """A TF-IDF-like CSR matrix (rows of unit length) with ``k`` topics and about ``density * n * d`` non-zeros.

    Terms drawn twice in a document merge into one entry, so the number of
    draws per document is raised once to reach the density asked for.
    """
    A = _tfidf(n, d, density * d, k, seed, dtype)
    got = A.nnz / (n * d)
    return A if abs(got - density) <= 0.02 * density else _tfidf(n, d, density * d * density / got, k, seed, dtype)


def _tfidf(n: int, d: int, per_row: float, k: int, seed: int, dtype) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.poisson(max(per_row, 1.0), size=n), 1, d)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    nnz = int(indptr[-1])
    topic = rng.integers(k, size=n)
    # half the terms from the document's topic slice, half from a Zipf background
    zipf = np.minimum(rng.zipf(1.3, size=nnz) - 1, d - 1)
    width = max(1, d // k)
    own = topic.repeat(lengths) * width + rng.integers(width, size=nnz)
    cols = np.where(rng.random(nnz) < 0.5, own % d, zipf).astype(np.int32)
    tf = 1.0 + np.log(rng.geometric(0.5, size=nnz).astype(np.float64))
    A = sp.csr_matrix((tf, cols, indptr), shape=(n, d))
    A.sum_duplicates()
    df = np.bincount(A.indices, minlength=d).astype(np.float64)
    A.data *= (np.log((1.0 + n) / (1.0 + df)) + 1.0)[A.indices]
    norms = np.sqrt(np.asarray(A.multiply(A).sum(axis=1)).ravel())
    A = sp.csr_matrix(sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ A)
    A.sort_indices()
    return A.astype(dtype)


def objective64(X: sp.csr_matrix, C: np.ndarray) -> float:
    """sum_i min_j ||x_i - c_j||^2 in float64 (expansion, clipped at 0), the same for every library."""
    X64 = X.astype(np.float64)
    C64 = np.asarray(C, dtype=np.float64)
    xsq = np.asarray(X64.multiply(X64).sum(axis=1)).ravel()
    best = np.full(X.shape[0], np.inf)
    for j in range(C64.shape[0]):
        dj = xsq - 2.0 * (X64 @ C64[j]) + C64[j] @ C64[j]
        np.minimum(best, dj, out=best)
    return float(np.maximum(best, 0.0).sum())


def run_optimeans(X, k, n_threads, **kw):
    import optimeans

    t, c = time.perf_counter(), time.process_time()
    r = optimeans.fit(X, k, n_threads=n_threads, **kw)
    its = r.info["n_steps"] if r.method == "minibatch" else r.n_iter
    return time.perf_counter() - t, time.process_time() - c, r.centers, its


def run_sklearn(X, k, n_threads, **kw):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    with threadpool_limits(n_threads):
        t, c = time.perf_counter(), time.process_time()
        km = KMeans(k, **kw).fit(X)
        return time.perf_counter() - t, time.process_time() - c, km.cluster_centers_, km.n_iter_


def run_sklearn_minibatch(X, k, n_threads, **kw):
    from sklearn.cluster import MiniBatchKMeans
    from threadpoolctl import threadpool_limits

    with threadpool_limits(n_threads):
        t, c = time.perf_counter(), time.process_time()
        km = MiniBatchKMeans(k, **kw).fit(X)
        return time.perf_counter() - t, time.process_time() - c, km.cluster_centers_, km.n_steps_


def per_iteration(run, X, k, C0, n_threads, iters, repeats):
    """Marginal wall and CPU seconds of one iteration (medians over ``repeats``)."""
    wall_m, wall_1, cpu_m, cpu_1 = [], [], [], []
    for _ in range(repeats):
        w1, c1, _, it1 = run(X, k, n_threads, **_fixed(run, C0, 1))
        wm, cm, C, itm = run(X, k, n_threads, **_fixed(run, C0, iters))
        wall_1.append(w1)
        wall_m.append(wm)
        cpu_1.append(c1)
        cpu_m.append(cm)
    steps = max(1, itm - it1)
    med = statistics.median
    return (med(wall_m) - med(wall_1)) / steps, (med(cpu_m) - med(cpu_1)) / steps, C, itm


def _fixed(run, C0, iters):
    if run is run_sklearn:
        return {"init": C0, "n_init": 1, "max_iter": iters, "tol": 0.0, "algorithm": "lloyd"}
    return {"init": C0, "n_init": 1, "max_iter": iters, "tol": 0.0, "method": "lloyd"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--d", type=int, default=50_000)
    ap.add_argument("--density", type=float, default=0.001)
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--iters", type=int, default=10, help="iterations M of the per-iteration runs")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--only", default="all", choices=["all", "lloyd", "minibatch"])
    args = ap.parse_args()

    import optimeans
    import sklearn

    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
          f"optimeans {optimeans.__version__}, scikit-learn {sklearn.__version__}")
    t = time.perf_counter()
    small = make_tfidf(5000, 2000, 0.01, 5, seed=1, dtype=np.dtype(args.dtype))
    optimeans.fit(small, 5, random_state=0, n_init=1)
    optimeans.fit(small, 5, random_state=0, n_init=1, method="minibatch", max_iter=2)
    print(f"optimeans JIT warm-up (compile or cache load): {time.perf_counter() - t:.1f} s")
    run_sklearn(small, 5, 1, random_state=0)

    t = time.perf_counter()
    X = make_tfidf(args.n, args.d, args.density, args.k, dtype=np.dtype(args.dtype))
    print(f"data: {X.shape[0]} x {X.shape[1]} CSR {X.dtype}, nnz {X.nnz} "
          f"({100.0 * X.nnz / (X.shape[0] * X.shape[1]):.3f} %), k = {args.k}, built in {time.perf_counter() - t:.1f} s")
    from optimeans._sparse import SparseData, kmeans_plusplus_sparse

    C0 = kmeans_plusplus_sparse(SparseData(optimeans._validation.check_sparse(X)), args.k,
                                np.ones(X.shape[0]), np.random.default_rng(0))[0]
    C0 = C0.astype(X.dtype)
    for threads in [int(t) for t in args.threads.split(",")]:
        print(f"\n-- {threads} thread(s), load average {os.getloadavg()[0]:.2f}")
        print(f"{'':34s}{'wall s':>10s}{'cpu s':>10s}{'iters':>7s}{'objective':>16s}")
        rows = []
        pairs = []
        if args.only in ("all", "lloyd"):
            for name, run in (("optimeans", run_optimeans), ("scikit-learn", run_sklearn)):
                s, c, C, it = per_iteration(run, X, args.k, C0, threads, args.iters, args.repeats)
                rows.append((f"{name} per Lloyd iteration", s, c, it, objective64(X, C)))
            for label, kw in (("fit, defaults", {}), ("fit, n_init=1", {"n_init": 1}),
                              ("fit, n_init=1 tol=0", {"n_init": 1, "tol": 0.0})):
                for name, run in (("optimeans", run_optimeans), ("scikit-learn", run_sklearn)):
                    s, c, C, it = run(X, args.k, threads, random_state=0, **kw)
                    rows.append((f"{name} {label}", s, c, it, objective64(X, C)))
            pairs += [(len(rows) - 8 + 2 * i, len(rows) - 7 + 2 * i) for i in range(4)]
        if args.only in ("all", "minibatch"):
            s, c, C, it = run_sklearn_minibatch(X, args.k, threads, random_state=0)
            rows.append(("scikit-learn mini-batch, defaults", s, c, it, objective64(X, C)))
            for label, kw in (("defaults", {}), ("n_init=1", {"n_init": 1})):
                s, c, C, it = run_optimeans(X, args.k, threads, random_state=0, method="minibatch", **kw)
                rows.append((f"optimeans mini-batch, {label}", s, c, it, objective64(X, C)))
                pairs.append((len(rows) - 1, len(rows) - 2 - (1 if label != "defaults" else 0)))
        for label, s, c, it, obj in rows:
            print(f"{label:34s}{s:10.4f}{c:10.4f}{it:7d}{obj:16.6f}")
        # CPU time sums the threads: on a shared machine it is the steadier figure on 1 thread
        for a, b in pairs:
            print(f"scikit-learn / optimeans, {rows[a][0].split(' ', 1)[1]}: wall {rows[b][1] / rows[a][1]:.2f}x, "
                  f"cpu {rows[b][2] / rows[a][2]:.2f}x")


if __name__ == "__main__":
    main()
