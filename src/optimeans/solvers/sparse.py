"""Solvers over sparse CSR data: Lloyd's iteration and mini-batch k-means.

The same mathematics as :mod:`optimeans.solvers.lloyd` and
:mod:`optimeans.solvers.stochastic`, over a :class:`optimeans._sparse.SparseData`
with dense float64 centers; the passes are the kernels of
:mod:`optimeans._kernels.sparse` (assignment by ``||x||^2 - 2 x.c + ||c||^2``,
cluster sums and the exact objective per cluster in row order). Both solvers
have the registry's signature, with ``X`` a ``SparseData``, and return a
:class:`~optimeans.result.Result` with float64 centers and the objective
summed from non-negative terms in float64.

The accelerated Lloyd methods give Lloyd's labels, iteration for
iteration, on dense data; on sparse data ``"hamerly"`` skips the distance
scan of the points that Hamerly's bounds (one lower bound per point, half the
separation of the centers) prove still nearest to their center
(:func:`optimeans._kernels.sparse.assign_rows_hamerly`), with the same
labels, centers and history as ``"lloyd"``, bit for bit. ``"elkan"`` and
``"yinyang"`` (whose k bounds per point, or per group, are not implemented
for sparse rows) run it too, and record ``"hamerly"`` as the method that ran,
with ``info["requested_method"]``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._numba import numba_threads
from .._sparse import SparseData
from ..result import HistoryRecorder, Result
from ._common import Callback, now, should_stop, small_change

__all__ = ["run_lloyd", "run_hamerly", "run_minibatch", "SPARSE_METHODS"]

#: Methods that take sparse input, and the sparse solver that runs each.
SPARSE_METHODS = {
    "lloyd": "run_lloyd",
    "hamerly": "run_hamerly",
    "elkan": "run_hamerly",
    "yinyang": "run_hamerly",
    "minibatch": "run_minibatch",
}


def _threads(S: SparseData, n_threads: int | None) -> int | None:
    """One thread for a single chunk of rows (waking the pool would cost more than the work)."""
    from .._kernels.lloyd import CHUNK

    return 1 if S.n <= CHUNK else n_threads


def _relocate_empty(S: SparseData, w: np.ndarray, centers: np.ndarray, cluster_weight: np.ndarray, mind: np.ndarray) -> None:
    """Empty centers onto the points contributing most (:func:`optimeans.solvers._common.relocate_empty`'s rule)."""
    empty = np.flatnonzero(cluster_weight <= 0)
    if empty.size == 0:
        return
    contrib = w * mind
    order = np.lexsort((np.arange(len(contrib)), -contrib))
    for j, i in zip(empty, order[: empty.size]):
        if contrib[i] <= 0:
            break
        centers[j] = S.row(int(i))


def run_lloyd(
    X: SparseData,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
) -> Result:
    """Lloyd's iteration on sparse rows.

    Parameters
    ----------
    X : SparseData (canonical CSR, float32 or float64)
    sample_weight : ndarray (n_samples,), float64, non-negative
    centers_init : ndarray (n_clusters, n_features), dense
    max_iter, tol, n_threads, rng, callback
        As :func:`optimeans.solvers.lloyd.run` (``rng`` is unused).

    Returns
    -------
    Result
        Float64 centers; ``history.objective[i]`` the objective after the
        assignment of iteration ``i + 1`` by the expansion (float64, every
        point's term clipped at 0), ``objective`` the exact one of the final
        centers and labels (from non-negative terms); stop reasons as Lloyd's.

    Notes
    -----
    Per iteration: the assignment, O(nnz k) multiply-adds in parallel over
    fixed chunks of rows; the cluster sums, O(nnz + k d), in parallel over
    clusters; the centers' transpose and norms, O(k d). Memory: two k x d
    float64 arrays and O(n) labels, distances and order. The result does not
    depend on the thread count.

    References
    ----------
    Lloyd, S. (1982). Least squares quantization in PCM. IEEE Trans. Inf. Theory 28(2), 129-137.
    """
    return _iterate(X, sample_weight, centers_init, _nearest(X), "lloyd", max_iter, tol, n_threads, callback)


def _nearest(S: SparseData):
    def assign(centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return S.nearest(centers)

    return assign


class _HamerlyAssign:
    """Lloyd's assignment with Hamerly's bounds: state kept from one iteration to the next."""

    def __init__(self, S: SparseData, k: int) -> None:
        self.S = S
        self.k = k
        self.labels = np.full(S.n, -1, dtype=np.int64)
        self.lower = np.zeros(S.n, dtype=np.float64)
        self.mind = np.empty(S.n, dtype=np.float64)
        self.prev: np.ndarray | None = None
        self.scanned = 0
        self.visits = 0
        self.rel = (S.d + 8) * 2.0**-52

    def _geometry(self, C: np.ndarray, csq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Other centers' largest drift (upper bound) and half the separation (lower bound), per center."""
        k, rel = self.k, self.rel
        if self.prev is None:
            drift_other = np.zeros(k)
        else:
            diff = C - self.prev
            drift = np.sqrt(np.einsum("ij,ij->i", diff, diff)) * (1.0 + rel) + 1e-300
            order = np.argsort(-drift, kind="stable")
            drift_other = np.full(k, drift[order[0]])
            if k > 1:
                drift_other[order[0]] = drift[order[1]]
        norms = np.sqrt(csq)
        G = C @ C.T  # any rounding is covered by err below (and only decides which points are scanned)
        sq = csq[:, None] + csq[None, :] - 2.0 * G
        err = 2.0 * rel * (norms[:, None] + norms[None, :]) ** 2
        sep = np.sqrt(np.maximum(sq - err, 0.0))
        np.fill_diagonal(sep, np.inf)
        half_sep = 0.5 * sep.min(axis=1) * (1.0 - 1e-12) if k > 1 else np.full(1, np.inf)
        return drift_other, half_sep

    def __call__(self, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from .._kernels.lloyd import CHUNK
        from .._kernels.sparse import assign_rows_hamerly

        S = self.S
        C = np.ascontiguousarray(centers, dtype=np.float64)
        CT = np.ascontiguousarray(C.T)
        csq = np.einsum("ij,ij->i", C, C)  # as SparseData.nearest: the same bits
        drift_other, half_sep = self._geometry(C, csq)
        cmax = float(np.sqrt(csq.max())) * (1.0 + 1e-12)
        scanned = np.zeros((S.n + CHUNK - 1) // CHUNK, dtype=np.int64)
        assign_rows_hamerly(
            S.data, S.indices, S.indptr, S.xsq, CT, csq, self.labels, self.lower, drift_other, half_sep,
            2.0**-52, cmax, self.mind, scanned,
        )
        self.prev = C.copy()
        self.scanned += int(scanned.sum())
        self.visits += S.n
        return self.labels.copy(), self.mind


def run_hamerly(
    X: SparseData,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
) -> Result:
    """Hamerly's accelerated Lloyd iteration on sparse rows: Lloyd's result, fewer distance scans.

    Every iteration costs one sparse dot per point (its distance to its own
    center, which also gives the objective) and a full scan, O(nnz(x) k),
    only for the points whose bounds do not prove their label (module notes
    of :mod:`optimeans._kernels.sparse`, :func:`assign_rows_hamerly`). The
    labels, centers, history and stop are those of :func:`run_lloyd`, bit for
    bit; ``info["scanned"]`` is the fraction of point visits that scanned.

    Parameters and Returns as :func:`run_lloyd`.

    Notes
    -----
    Extra memory 8 n bytes (one lower bound per point) and O(k^2) for the
    centers' separations (from their Gram matrix, O(k^2 d) per iteration).

    References
    ----------
    Hamerly, G. (2010). Making k-means even faster. SDM, 130-140.
    """
    assign = _HamerlyAssign(X, centers_init.shape[0])
    res = _iterate(X, sample_weight, centers_init, assign, "hamerly", max_iter, tol, n_threads, callback)
    info = dict(res.info)
    info["scanned"] = assign.scanned / max(1, assign.visits)
    return res.replace(info=info)


def _iterate(
    S: SparseData, sample_weight: np.ndarray, centers_init: np.ndarray, assign: Any, method: str,
    max_iter: int, tol: float, n_threads: int | None, callback: Callback | None,
) -> Result:
    """The Lloyd loop over sparse rows; ``assign(centers) -> (labels, mind)`` is Lloyd's or Hamerly's."""
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    k = centers_init.shape[0]
    centers = np.array(centers_init, dtype=np.float64, order="C", copy=True)
    labels = np.full(S.n, -1, dtype=np.int64)
    t0 = now()
    hist = HistoryRecorder(t0)
    prev_obj = np.inf
    stop_reason, converged, n_iter = "max_iter", False, 0
    obj = np.inf
    with numba_threads(_threads(S, n_threads)):
        for it in range(1, max_iter + 1):
            new, mind = assign(centers)
            changed = int(np.count_nonzero(new != labels))
            labels = new
            # the expansion's value (float64, each term clipped at 0) for the history and
            # the stopping test; the objective returned is recomputed exactly below
            obj = float(np.sum(w * mind))  # numpy, not BLAS: the same rounding on any machine setting
            n_iter = it
            hist.record(obj, now(), it)
            if changed == 0:
                stop_reason, converged = "labels_unchanged", True
                break
            sums, W = S.sums(labels, k, w)
            counts = np.bincount(labels, minlength=k)
            nz = W > 0
            centers[nz] = sums[nz] / W[nz, None]
            if (counts == 0).any():
                _relocate_empty(S, w, centers, W * (counts > 0), mind)
            if should_stop(callback, it, obj):
                stop_reason = "callback"
                break
            if prev_obj < np.inf and prev_obj - obj <= tol * prev_obj:
                stop_reason, converged = "tol", True
                break
            prev_obj = obj
        if stop_reason != "labels_unchanged":
            # final assignment step, so that labels match the returned centers
            labels, _ = assign(centers)
        obj = S.objective(centers, labels, w)
    return Result(
        centers=centers, labels=labels, objective=obj, n_iter=n_iter, converged=converged,
        stop_reason=stop_reason, history=hist.freeze(), method=method,
        options={"max_iter": max_iter, "tol": tol}, info={"sparse": True},
    )


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


#: Steps between two foldings of the lazy center scales (:func:`optimeans._kernels.sparse.renormalize_scaled`):
#: each costs ``k d`` (what every step cost before the scales were lazy) and recomputes the norms exactly.
RENORMALIZE_EVERY = 16


def run_minibatch(
    X: SparseData,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
    batch_size: int = 1024,
    max_no_improvement: int | None = 10,
    reassignment_ratio: float = 0.01,
    monitor: bool | None = None,
) -> Result:
    """Mini-batch k-means (Sculley 2010) on sparse rows.

    Every epoch visits the rows in a new random order, ``batch_size`` at a
    time: the batch is assigned with the centers fixed (in parallel over
    fixed chunks of its rows), then every center moves to the running
    weighted mean of all the points it has received (learning rate
    ``B_j / counts_j``), in batch order. Early stopping as the dense
    ``"minibatch"``: ``max_no_improvement`` consecutive steps without a new
    minimum of the smoothed batch objective (weight ``2 b / (n + 1)``), or a
    relative decrease of at most ``tol`` of the smoothed batch objective over
    an epoch; but, as scikit-learn's ``MiniBatchKMeans``, the smoothing
    starts at the second batch (the first batch's objective is that of the
    initial centers: smoothed in, it keeps the average falling, so "new
    minima" coming, for about ``(n + 1) / (2 b)`` steps after the centers
    have settled; on the 100,000 x 50,000 TF-IDF-like benchmark it doubled
    the steps for the same objective). Every ``10 k`` points, centers whose accumulated weight is below
    ``reassignment_ratio`` times the largest move onto batch points drawn
    with probability proportional to ``w_i D(x_i)^2``, and get the smallest
    weight of the others.

    The centers are kept lazily scaled, ``c_j = s_j v_j``
    (:func:`optimeans._kernels.sparse.minibatch_update_scaled`): a step
    touches the stored values of its batch and one scale per center, and the
    norms ``||v_j||^2`` are updated from the coordinates that changed; every
    ``RENORMALIZE_EVERY`` steps the scales are folded into ``v`` and the norms
    recomputed exactly. The centers equal those of the plain update
    (:func:`optimeans._kernels.sparse.minibatch_update`) to float64 rounding.

    Parameters
    ----------
    X : SparseData
    sample_weight, centers_init, max_iter, tol, n_threads, rng, callback
        As :func:`optimeans.solvers.stochastic.run_minibatch` (``max_iter``
        counts epochs; the callback is called once per epoch, with
        ``monitor``).
    batch_size : int, default 1024
    max_no_improvement : int or None, default 10
    reassignment_ratio : float in [0, 1], default 0.01
    monitor : bool or None, default None
        True: after every epoch, one assignment pass over all rows records
        the objective of the current centers (the expansion's value, as
        Lloyd's history) and calls the callback, as the dense
        ``"minibatch"``'s monitor. False: the history holds only the final
        objective and the run costs no pass beyond its steps and the final
        assignment (a pass costs about as much as an epoch's steps). None
        (the default): True when a callback is given, else False. The
        stopping rules use only the smoothed batch objective either way.

    Returns
    -------
    Result
        ``info`` has ``counts``, ``n_steps``, ``n_reassigned`` and
        ``early_stop``; the objective is the exact one of the final centers
        and the labels of a final full assignment.

    Notes
    -----
    Time O(b nnz_row k) per step, plus O(k d) every ``RENORMALIZE_EVERY``
    steps; memory O(k d + n). The result depends only on the seed.

    References
    ----------
    Sculley, D. (2010). Web-scale k-means clustering. WWW '10, algorithm 1.
    """
    from .._kernels.lloyd import CHUNK
    from .._kernels.sparse import assign_rows_scaled, minibatch_update_scaled, renormalize_scaled

    S = X
    batch_size = _check_int(batch_size, "batch_size", 1)
    if max_no_improvement is not None:
        max_no_improvement = _check_int(max_no_improvement, "max_no_improvement", 1)
    if isinstance(reassignment_ratio, bool) or not isinstance(reassignment_ratio, numbers.Real) or not (
        0.0 <= float(reassignment_ratio) <= 1.0
    ):
        raise ValueError(f"reassignment_ratio must be a number in [0, 1], got {reassignment_ratio!r}")
    if monitor is None:
        monitor = callback is not None
    if not isinstance(monitor, (bool, np.bool_)):
        raise TypeError(f"monitor must be True, False or None, got {monitor!r}")
    rng = rng if rng is not None else np.random.default_rng(0)
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    n, k = S.n, centers_init.shape[0]
    b = min(batch_size, n)
    alpha = min(1.0, 2.0 * b / (n + 1))
    V = np.ascontiguousarray(np.asarray(centers_init, dtype=np.float64).T)
    scale = np.ones(k, dtype=np.float64)
    vsq = np.empty(k, dtype=np.float64)
    renormalize_scaled(V, scale, vsq)
    counts = np.zeros(k, dtype=np.float64)
    t0 = now()
    hist = HistoryRecorder(t0)
    ewa, best_ewa, no_improve = np.nan, np.inf, 0
    prev_epoch_ewa = np.inf
    since_reassign, n_reassigned, n_steps, points, since_renorm = 0, 0, 0, 0, 0
    stop_reason, converged, early, n_iter = "max_iter", False, None, 0
    labels_b = np.empty(b, dtype=np.int64)
    mind_b = np.empty(b, dtype=np.float64)
    stopped = False
    with numba_threads(_threads(S, n_threads)) as threads:
        for epoch in range(1, max_iter + 1):
            perm = rng.permutation(n)
            for s in range(0, n, b):
                rows = np.ascontiguousarray(perm[s: s + b])
                lb, mb = labels_b[: rows.shape[0]], mind_b[: rows.shape[0]]
                csq = scale * scale * vsq
                # a batch of one chunk: waking the thread pool would cost more than the work
                with numba_threads(1 if rows.shape[0] <= CHUNK else threads):
                    assign_rows_scaled(S.data, S.indices, S.indptr, rows, S.xsq, V, scale, csq, lb, mb)
                wb = w[rows]
                bw = float(wb.sum())
                batch_obj = float(np.sum(wb * mb)) / bw if bw > 0 else 0.0
                minibatch_update_scaled(S.data, S.indices, S.indptr, rows, w, lb, V, scale, vsq, counts)
                n_steps += 1
                points += rows.shape[0]
                since_reassign += rows.shape[0]
                since_renorm += 1
                if since_renorm >= RENORMALIZE_EVERY or scale.min() < 2.0**-200:
                    renormalize_scaled(V, scale, vsq)
                    since_renorm = 0
                if reassignment_ratio > 0 and since_reassign >= 10 * k:
                    since_reassign = 0
                    small = counts < float(reassignment_ratio) * counts.max()
                    if small.any() and not small.all():
                        p = wb * mb
                        nsmall = int(small.sum())
                        if np.count_nonzero(p) >= nsmall:
                            pick = rng.choice(rows.shape[0], size=nsmall, replace=False, p=p / p.sum())
                            R = S.rows_dense(rows[pick])
                            V[:, small] = R.T
                            scale[small] = 1.0
                            vsq[small] = np.einsum("ij,ij->i", R, R)
                            counts[small] = counts[~small].min()
                            n_reassigned += nsmall
                if n_steps == 1:
                    # the first batch measures the initial centers, not the steps (scikit-learn's
                    # rule): smoothed in, its high value would make every later step a "new
                    # minimum" for about 1 / alpha steps while it is forgotten
                    continue
                ewa = batch_obj if np.isnan(ewa) else ewa * (1.0 - alpha) + batch_obj * alpha
                if ewa < best_ewa:
                    best_ewa, no_improve = ewa, 0
                else:
                    no_improve += 1
                if max_no_improvement is not None and no_improve >= max_no_improvement:
                    stop_reason, converged, early, stopped = "tol", True, "max_no_improvement", True
                    break
            n_iter = epoch
            if monitor:
                mind = np.empty(n, dtype=np.float64)
                lab = np.empty(n, dtype=np.int64)
                csq = scale * scale * vsq
                assign_rows_scaled(S.data, S.indices, S.indptr, S.all_rows, S.xsq, V, scale, csq, lab, mind)
                obj = float(np.sum(w * mind))  # numpy, not BLAS: the same rounding on any machine setting
                hist.record(obj, now(), points / n)
                if not stopped and should_stop(callback, epoch, obj):
                    stop_reason = "callback"
                    break
            if stopped:
                break
            if tol > 0 and small_change(prev_epoch_ewa, ewa, tol):
                stop_reason, converged, early = "tol", True, "tol"
                break
            prev_epoch_ewa = ewa
        renormalize_scaled(V, scale, vsq)
        centers = np.ascontiguousarray(V.T)
        labels, _ = S.nearest(centers)
        obj = S.objective(centers, labels, w)
    if not monitor:
        hist.record(obj, now(), points / n)
    return Result(
        centers=centers, labels=labels, objective=obj, n_iter=n_iter, converged=converged,
        stop_reason=stop_reason, history=hist.freeze(), method="minibatch",
        options={"max_iter": max_iter, "tol": tol, "batch_size": batch_size,
                 "max_no_improvement": max_no_improvement, "reassignment_ratio": reassignment_ratio,
                 "monitor": bool(monitor)},
        info={"sparse": True, "counts": counts.copy(), "n_steps": n_steps, "n_reassigned": n_reassigned,
              "early_stop": early, "passes": points / n},
    )
