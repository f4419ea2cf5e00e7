r"""Stochastic optimizers of the k-means objective: online SGD and mini-batch.

Both follow the gradient of the objective estimated from a sample instead of
the whole data. The gradient of :math:`E` for center :math:`j` from one point
:math:`x` assigned to it is :math:`2 (c_j - x)`; with the learning rate
:math:`1 / (2 n_j)`, where :math:`n_j` counts the points assigned to :math:`j`
so far, the update :math:`c_j \leftarrow c_j + (x - c_j) / n_j` keeps every
center at the running mean of its points (MacQueen 1967). Bottou & Bengio
(1995) show this learning rate is the inverse of the curvature, i.e. the
stochastic counterpart of Newton's (= Lloyd's) step.

* ``"sgd"``: one point at a time, in a fresh random order every epoch (one
  epoch = one pass over the data); the counts persist across epochs, so the
  learning rates decrease as the data are seen again.
* ``"minibatch"``: Sculley (2010). Each step assigns a batch of points with the
  centers fixed, then moves every center towards the mean of its batch points
  with its own learning rate ``B_j / counts_j``. Early stopping watches a
  smoothed batch objective; centers that receive too little data are moved
  onto batch points (reassignment, as in scikit-learn).

On large redundant data both reach a good objective after a fraction of one
pass, where Lloyd still needs several passes; on small data they pay for the
noise of their gradient with many more passes.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._kernels.lloyd import (
    BLOCK,
    MAX_CLUSTERS,
    data_scale,
    guard_kappa,
    pack_centers,
    pack_data,
    padded_clusters,
    padded_features,
)
from .._kernels.accelerated import bound_margin
from .._kernels.stochastic import (
    PARALLEL_MIN_WORK,
    SCHEDULE_CONSTANT,
    SCHEDULE_COUNT,
    SCHEDULE_INVERSE,
    SUB_CHUNK,
    minibatch_steps,
    packed_labels_objective,
    sgd_steps,
    sums_chunk,
)
from .. import _nocompile
from ..objective import nearest_labels, point_objective
from ..result import HistoryRecorder, Result
from ._common import Callback, finalize, now, should_stop, small_change, solver_threads

__all__ = ["run_sgd", "run_minibatch", "MiniBatchState", "PackedData"]

_SCHEDULES = {"count": SCHEDULE_COUNT, "constant": SCHEDULE_CONSTANT, "inverse": SCHEDULE_INVERSE}


def _hard_objective(X: np.ndarray, w64: np.ndarray, centers: np.ndarray) -> float:
    """The objective of ``centers`` with nearest-center labels, in float64."""
    c = np.ascontiguousarray(centers, dtype=X.dtype)
    labels, _ = nearest_labels(X, c)
    return float(np.dot(w64, point_objective(X, c, labels)))


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_float(value: Any, name: str, low: float, high: float, *, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    v = float(value)
    ok = (v > low if low_open else v >= low) and v <= high and np.isfinite(v)
    if not ok:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must lie in {bracket}{low:g}, {high:g}], got {value!r}")
    return v


class _Clock:
    """Wall time of the algorithm, without the time spent monitoring the objective."""

    def __init__(self) -> None:
        self.t0 = now()
        self.paused = 0.0

    def elapsed(self) -> float:
        return now() - self.t0 - self.paused

    def monitor(self, fn, *args):
        t = now()
        out = fn(*args)
        self.paused += now() - t
        return out


def run_sgd(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
    schedule: str = "count",
    eta0: float = 0.05,
    records_per_epoch: int = 1,
) -> Result:
    """Online k-means (MacQueen 1967; Bottou & Bengio 1995): one point at a time.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray (n_samples,)
    centers_init : ndarray (n_clusters, n_features), X's dtype
    max_iter : int
        Epochs (passes over the data, each in a new random order).
    tol : float
        Stop when the objective decreased by at most ``tol`` (relative) over
        an epoch; 0 disables this test.
    n_threads : int, optional
        Threads of the objective evaluations; the updates are sequential.
    rng : numpy Generator
        Shuffles the epochs (required for a reproducible run).
    callback : callable ``(iteration, objective) -> bool``, optional
        Called at every record.
    schedule : {"count", "constant", "inverse"}, default "count"
        Learning rate of a point of weight ``w`` assigned to center ``j``:
        ``w / n_j`` with ``n_j`` the weight assigned to ``j`` so far (count),
        ``eta0 * w`` (constant), or ``eta0 * w / (1 + t / n)`` with ``t`` the
        points seen (inverse); capped at 1.
    eta0 : float in (0, 1], default 0.05
        Base rate of the "constant" and "inverse" schedules.
    records_per_epoch : int, default 1
        How often the objective of the current centers is evaluated and
        recorded in the history; the evaluation passes are not counted in
        ``history.passes`` nor in ``history.seconds``.

    Returns
    -------
    Result
        ``history.passes`` is the fraction of the data processed so far.

    Raises
    ------
    ValueError
        Unknown ``schedule``; ``eta0`` or ``records_per_epoch`` out of range.

    Notes
    -----
    Time O(n k d) per epoch, sequential (each update depends on the last);
    memory O(n) for the permutation. The result depends only on the seed.

    References
    ----------
    MacQueen, J. (1967). Some methods for classification and analysis of
    multivariate observations. 5th Berkeley Symposium.
    Bottou, L. and Bengio, Y. (1995). Convergence properties of the k-means
    algorithms. NIPS 7, section 4 (online k-means).
    """
    if schedule not in _SCHEDULES:
        raise ValueError(f"schedule must be one of {tuple(_SCHEDULES)}, got {schedule!r}")
    eta0 = _check_float(eta0, "eta0", 0.0, 1.0, low_open=True)
    records_per_epoch = _check_int(records_per_epoch, "records_per_epoch", 1)
    rng = rng if rng is not None else np.random.default_rng(0)
    n, d = X.shape
    k = centers_init.shape[0]
    w64 = np.ascontiguousarray(sample_weight, dtype=np.float64)
    centers = np.array(centers_init, dtype=np.float64, order="C", copy=True)
    centers_t = np.ascontiguousarray(centers.T, dtype=X.dtype)
    counts = np.zeros(k, dtype=np.float64)
    cuts = np.linspace(0, n, min(records_per_epoch, n) + 1).round().astype(np.int64)
    clock = _Clock()
    hist = HistoryRecorder(0.0)
    stop_reason, converged, n_iter = "max_iter", False, 0
    seen = 0
    prev_epoch_obj = np.inf
    stopped = False
    with solver_threads(X, n_threads):
        for epoch in range(1, max_iter + 1):
            order = rng.permutation(n).astype(np.int64)
            for s, e in zip(cuts[:-1], cuts[1:]):
                # a small problem runs in NumPy (the same bits) until the process has spent its budget there
                steps = _nocompile.sgd_steps if _nocompile.sgd_small(X, k) else sgd_steps
                steps(X, w64, order, int(s), int(e), centers, centers_t, counts,
                      _SCHEDULES[schedule], eta0, float(seen), float(n))
                seen += int(e - s)
                obj = clock.monitor(_hard_objective, X, w64, centers)
                hist.record(obj, clock.elapsed(), seen / n)
                if should_stop(callback, len(hist.objective), obj):
                    stop_reason, stopped = "callback", True
                    break
            n_iter = epoch
            if stopped:
                break
            if tol > 0 and small_change(prev_epoch_obj, obj, tol):
                stop_reason, converged = "tol", True
                break
            prev_epoch_obj = obj
    return finalize(
        X, w64, centers, n_iter=n_iter, converged=converged, stop_reason=stop_reason,
        history=hist.freeze(), method="sgd",
        options={"max_iter": max_iter, "tol": tol, "schedule": schedule, "eta0": eta0,
                 "records_per_epoch": records_per_epoch},
        info={"counts": counts, "monitor_seconds": clock.paused},
    )


class PackedData:
    """A data set laid out once for the mini-batch kernels.

    ``X`` packed in blocks of :data:`optimeans._kernels.lloyd.BLOCK` points,
    centered, scaled and transposed, as Lloyd's kernels read them
    (:func:`optimeans._kernels.lloyd.pack_data`), with the squared norms of
    the packed rows and the weights.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray (n_samples,)

    Notes
    -----
    One pass over ``X``; memory ``n d`` float32 plus ``n`` float64 (norms).
    """

    #: Blocks visited together: an epoch shuffles groups of this many consecutive blocks
    #: (64 points with 16-point blocks), long enough runs for the hardware prefetcher.
    GROUP = 4

    def __init__(self, X: np.ndarray, sample_weight: np.ndarray) -> None:
        n, d = X.shape
        self.X = X
        self.weights = np.ascontiguousarray(sample_weight, dtype=np.float64)
        mean = X.mean(axis=0, dtype=np.float64)
        #: the packing in NumPy (the same bits) when a pass over ``X`` is small: nothing to compile
        self.small = n > 0 and _nocompile.is_small(n, 1, d)
        self.scale = _nocompile.data_scale(X, mean) if self.small else data_scale(X, mean)
        self.mean = np.zeros(padded_features(d), dtype=np.float64)
        self.mean[:d] = mean
        self.n_blocks = (n + BLOCK - 1) // BLOCK
        self.XT = np.empty(max(self.n_blocks * d * BLOCK, 1), dtype=np.float32)
        self.block_norm = np.empty(self.n_blocks, dtype=np.float64)
        self.sqnorm = np.empty(n, dtype=np.float64)
        (_nocompile.pack_data if self.small else pack_data)(X, mean, self.scale, self.XT, self.block_norm,
                                                            self.sqnorm)
        self.kappa = guard_kappa(d)
        self._numpy_view = None

    def numpy_view(self) -> "_nocompile._Packed":
        """The packed values as the NumPy mini-batch steps read them (made once)."""
        if self._numpy_view is None:
            self._numpy_view = _nocompile._Packed(self.X, self.mean, self.scale, self.block_norm, self.sqnorm)
        return self._numpy_view

    def block_order(self, rng: np.random.Generator | None) -> np.ndarray:
        """The order in which an epoch visits the packed blocks (in order without ``rng``).

        The full blocks, cyclically shifted by a random offset, are cut into
        groups of :attr:`GROUP` consecutive blocks, and the groups are
        shuffled (the offset moves the group boundaries from epoch to epoch).
        A short last block stays last, so that every block before it fills
        ``BLOCK`` epoch positions.
        """
        full = self.X.shape[0] // BLOCK
        blocks = np.arange(full, dtype=np.int64)
        if rng is not None and full > 0:
            blocks = np.roll(blocks, -int(rng.integers(self.GROUP)))
            G = self.GROUP
            n_groups = -(-full // G)
            sizes = np.full(n_groups, G, dtype=np.int64)
            sizes[-1] = full - G * (n_groups - 1)
            perm = rng.permutation(n_groups)
            lens = sizes[perm]
            first = np.cumsum(lens) - lens  # where each group lands
            blocks = blocks[np.repeat(perm * G - first, lens) + np.arange(full)]
        if full < self.n_blocks:
            blocks = np.append(blocks, np.int64(full))
        return blocks


class MiniBatchState:
    """The state of mini-batch k-means between steps: what ``partial_fit`` keeps.

    Parameters
    ----------
    centers : ndarray (n_clusters, n_features)
        Initial centers (copied to float64).
    dtype : numpy dtype
        The dtype of the data that will be fed (float32 or float64).
    batch_size : int
        Largest batch :meth:`step` will receive (sizes the buffers; grown on demand).
    reassignment_ratio, smoothing, max_no_improvement :
        As in :func:`run_minibatch`.
    """

    def __init__(
        self,
        centers: np.ndarray,
        dtype: Any,
        *,
        batch_size: int = 1024,
        reassignment_ratio: float = 0.01,
        max_no_improvement: int = 0,
        alpha: float = 0.1,
    ) -> None:
        self.centers = np.array(centers, dtype=np.float64, order="C", copy=True)
        k, d = self.centers.shape
        if k >= MAX_CLUSTERS:
            raise ValueError(f"n_clusters must be below {MAX_CLUSTERS}, got {k}")
        self.dtype = np.dtype(dtype)
        self.counts = np.zeros(k, dtype=np.float64)
        # [ewa, best_ewa, no_improvement, since_reassign, n_steps, n_reassigned, drift_total, n_scanned]
        self.state = np.array([np.inf, np.inf, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        self.reassignment_ratio = float(reassignment_ratio)
        self.max_no_improvement = int(max_no_improvement)
        self.alpha = float(alpha)
        #: batch size * k * d from which a batch is assigned by several threads
        self.parallel_min_work = PARALLEL_MIN_WORK
        kp, dp = padded_clusters(k), padded_features(d)
        self._C2 = np.empty((kp, d), dtype=np.float32)
        self._cn = np.empty(kp, dtype=np.float32)
        self._C64 = np.empty((kp, dp), dtype=np.float64)
        self._sums = np.empty(k * dp, dtype=np.float64)
        self._weights = np.empty(k, dtype=np.float64)
        self._prev = np.empty((k, d), dtype=np.float64)
        self._rel = bound_margin(d)
        self._no_bounds = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))
        #: positions per partial batch sum (fixed by k: the sums do not depend on the threads)
        self.sums_chunk = sums_chunk(k)
        self._grow(batch_size)

    def _grow(self, size: int) -> None:
        k, d = self.centers.shape
        dp = self._C64.shape[1]
        n_sub = -(-size // self.sums_chunk)
        self._labels = np.empty(size, dtype=np.int64)
        self._dists = np.empty(size, dtype=np.float64)
        self._cand = np.empty(size, dtype=np.int64)
        self._panels = np.empty((n_sub, 2 * d * BLOCK), dtype=np.float32)
        self._chunk_sums = np.empty((n_sub, k * dp), dtype=np.float64)
        self._chunk_weights = np.empty((n_sub, k), dtype=np.float64)
        self._chunk_obj = np.empty(n_sub, dtype=np.float64)
        self._chunk_scanned = np.empty(n_sub, dtype=np.int64)

    @property
    def n_clusters(self) -> int:
        return self.centers.shape[0]

    @property
    def n_steps(self) -> int:
        return int(self.state[4])

    @property
    def smoothed_objective(self) -> float:
        """Exponentially weighted mean of the batch objective per unit weight."""
        return float(self.state[0])

    def steps(
        self,
        data: PackedData,
        block_order: np.ndarray,
        batch_size: int,
        first_batch: int,
        last_batch: int,
        uniforms: np.ndarray,
        batch_objective: np.ndarray,
        bounds: tuple[np.ndarray, np.ndarray] | None = None,
        parallel_min_work: int | None = None,
    ) -> int:
        """Run batches ``first_batch .. last_batch - 1`` of an epoch over ``data``; returns how many ran.

        The epoch visits the packed blocks in ``block_order``
        (:meth:`PackedData.block_order`); batch ``b`` holds its positions
        ``b * batch_size`` to ``(b + 1) * batch_size - 1``. ``bounds``:
        ``(labels, lower)`` of :meth:`new_bounds` for ``data``, kept from
        step to step, to skip the points they prove settled; None scans every point.
        ``parallel_min_work`` overrides :attr:`parallel_min_work` for these
        batches (the results are the same either way).
        """
        if self._labels.shape[0] < batch_size:
            self._grow(batch_size)
        bound_label, bound_lower = self._no_bounds if bounds is None else bounds
        pmw = self.parallel_min_work if parallel_min_work is None else parallel_min_work
        steps, packed = minibatch_steps, {}
        if _nocompile.minibatch_small(data.X, self.n_clusters, self._cn.shape[0], batch_size, pmw):
            # a small problem: the same steps in NumPy, nothing to compile
            steps, packed = _nocompile.minibatch_steps, {"packed": data.numpy_view()}
        return int(steps(
            data.X, data.weights, data.XT, data.block_norm, data.sqnorm, data.mean, data.scale, data.kappa,
            block_order, batch_size, first_batch, last_batch,
            self.centers, self._C2, self._cn, self._C64, self.counts, self._labels, self._dists,
            self._sums, self._weights, self.state, self.alpha, self.max_no_improvement,
            self.reassignment_ratio, float(10 * self.n_clusters), uniforms, batch_objective,
            pmw, bound_label, bound_lower, self._rel, self._prev, self._cand, self.sums_chunk, self._panels,
            self._chunk_sums, self._chunk_weights, self._chunk_obj, self._chunk_scanned, **packed,
        ))

    @staticmethod
    def new_bounds(data: PackedData) -> tuple[np.ndarray, np.ndarray]:
        """Empty bounds for the rows of ``data`` (every point is scanned at its first visit)."""
        n = data.X.shape[0]
        return np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.float64)

    @property
    def n_scanned(self) -> int:
        """Points whose distances to every center were computed (the others were settled by bounds)."""
        return int(self.state[7])

    def labels_objective(self, data: PackedData) -> tuple[np.ndarray, float]:
        """Canonical labels of the rows of ``data`` for the centers rounded to its dtype, and the objective.

        The same labels as :func:`optimeans.objective.nearest_labels`; the
        objective is the float64 weighted sum of exact squared distances,
        summed per chunk of rows and then in chunk order (independent of the
        thread count). One pass, O(n k d), on the current Numba threads.
        """
        X = data.X
        C = np.ascontiguousarray(self.centers, dtype=X.dtype)
        if _nocompile.is_small(X.shape[0], self.n_clusters, X.shape[1]):
            # the same labels and chunk sums in NumPy: nothing to compile for small data
            return _nocompile.labels_objective(X, data.weights, C, SUB_CHUNK)
        cmax = pack_centers(C, data.mean, data.scale, self._C2, self._cn, self._C64)
        labels = np.empty(X.shape[0], dtype=np.int64)
        chunk_obj = np.empty(-(-X.shape[0] // SUB_CHUNK), dtype=np.float64)
        packed_labels_objective(X, data.weights, data.XT, data.block_norm, data.sqnorm, self._C2, self._cn,
                                self._C64, self.n_clusters, cmax, data.kappa, labels, chunk_obj)
        return labels, float(np.sum(chunk_obj))

    def step(self, X: np.ndarray, sample_weight: np.ndarray, rng: np.random.Generator) -> float:
        """One mini-batch step on the whole of ``X`` (a batch from a stream).

        Returns the batch's weighted objective before the update.
        """
        X = np.ascontiguousarray(X, dtype=self.dtype)
        data = PackedData(X, sample_weight)
        uniforms = rng.random((1, self.n_clusters))
        out = np.empty(1, dtype=np.float64)
        self.steps(data, data.block_order(None), X.shape[0], 0, 1, uniforms, out)
        return float(out[0])


class _ThreadChooser:
    """Runs mini-batch steps one piece at a time, serially or on the threads, whichever is faster.

    Both ways give the same results (the chunks of a batch are summed in
    chunk order), so the choice changes only the time. Each piece of
    :attr:`PIECE` batches is timed; the seconds per batch of each way are
    smoothed, and every :attr:`EXPLORE`-th piece runs the slower way.
    """

    PIECE = 8
    EXPLORE = 8

    def __init__(self) -> None:
        self.per_batch = [np.nan, np.nan]  # serial, threads
        self.pieces = 0
        self.threaded_steps = 0

    def _way(self) -> int:
        serial, threads = self.per_batch
        if np.isnan(serial):
            return 0
        if np.isnan(threads):
            return 1
        fast = 1 if threads < serial else 0
        return 1 - fast if self.pieces % self.EXPLORE == self.EXPLORE - 1 else fast

    def steps(self, st: MiniBatchState, data: PackedData, order: np.ndarray, b: int, first: int, last: int,
              uniforms: np.ndarray, batch_obj: np.ndarray, bounds: tuple[np.ndarray, np.ndarray] | None) -> int:
        """:meth:`MiniBatchState.steps` for batches ``first .. last - 1``, piece by piece; returns how many ran."""
        done = 0
        p = first
        while p < last:
            q = min(last, p + self.PIECE)
            way = self._way()
            t0 = now()
            ran = st.steps(data, order, b, p, q, uniforms, batch_obj, bounds, parallel_min_work=0 if way else None)
            seconds = (now() - t0) / max(ran, 1)
            old = self.per_batch[way]
            self.per_batch[way] = seconds if np.isnan(old) else 0.7 * old + 0.3 * seconds
            self.pieces += 1
            self.threaded_steps += ran if way else 0
            done += ran
            if ran < q - p:
                break
            p = q
        return done


def run_minibatch(
    X: np.ndarray,
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
    records_per_epoch: int = 1,
    parallel_min_work: int | None = None,
    shuffle: str = "rows",
    bounds: bool = True,
) -> Result:
    """Mini-batch k-means (Sculley 2010) with per-center learning rates.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray (n_samples,)
    centers_init : ndarray (n_clusters, n_features), X's dtype
    max_iter : int
        Epochs; every epoch visits each point once, in a new random order
        of blocks of points (see ``shuffle``), in ``ceil(n / batch_size)`` batches.
    tol : float
        Stop when the smoothed batch objective decreased by at most ``tol``
        (relative) over an epoch; 0 disables this test.
    n_threads : int, optional
        Threads that assign the points of a batch; the result does not depend on it.
    rng : numpy Generator
        Shuffles the epochs and draws the reassignments.
    callback : callable ``(iteration, objective) -> bool``, optional
        Called at every record (with ``monitor=True``).
    batch_size : int, default 1024
        Points per step (the whole data if larger).
    max_no_improvement : int or None, default 10
        Early stopping: stop after this many consecutive steps without a new
        minimum of the smoothed batch objective (smoothing weight
        ``2 * batch_size / (n + 1)``, as in scikit-learn). None disables it.
    reassignment_ratio : float in [0, 1], default 0.01
        Every ``10 k`` points, centers whose accumulated weight is below this
        fraction of the largest are moved onto batch points drawn with
        probability proportional to their weighted squared distance. 0
        disables it.
    monitor : bool or None, default None
        True: evaluate the objective of the current centers
        ``records_per_epoch`` times per epoch for the history and the
        callback (not counted in ``history.passes`` and ``history.seconds``,
        but each evaluation is a pass over the data, about an epoch's cost
        once the bounds skip most points). False: the history holds only the
        final objective, and the run costs no pass beyond the steps
        themselves. None (the default): True when a callback is given, else
        False, as the sparse ``"minibatch"``. The stopping rules use only the
        smoothed batch objective either way.
    records_per_epoch : int, default 1
    parallel_min_work : int, optional
        A batch is assigned and summed by several threads when ``batch_size
        * k * d`` reaches this; 0 always uses the threads. By default batches
        from ``PARALLEL_MIN_WORK`` = 2**25 on use them, and smaller batches of
        several chunks (more than ``sums_chunk(k) = max(256, 8 k)`` points)
        are run both ways as the run goes, pieces of 8 batches at a time (one
        piece in 8 the slower way, to keep measuring), and the faster way is
        used: on an idle machine the threads win, on a busy one waking them
        for every batch can cost milliseconds. The results are the same
        either way (``info["threaded_steps"]`` counts the steps that used the
        threads).
    shuffle : {"rows", "blocks"}, default "rows"
        How an epoch is randomized. The data are packed once per run in
        blocks of ``L`` points (``L = optimeans._kernels.lloyd.BLOCK``, 16
        float32 lanes with AVX-512), and every epoch visits runs of
        ``PackedData.GROUP = 4`` consecutive blocks (``4 L`` = 64 points) in
        a new random order, the run boundaries moved by a random offset, so a
        batch reads contiguous memory instead of gathering scattered rows.
        With "rows" the rows are first put in one random order (a shuffled
        copy of ``X``): a run is 64 random points and a batch of ``b``
        points is ``b / 64`` random runs, spread over the data like ``b``
        random points (what is kept from one epoch to the next is only which
        points share a block). With "blocks" a run is 64 consecutive rows of
        ``X`` and nothing is copied: as good when the rows are already in
        random order, but when nearby rows are alike (data sorted by class,
        time or a feature) a batch sees only a few regions of the data, its
        mean is noisier and centers may be taken for starved and moved.
    bounds : bool, default True
        Skip the distance scan of points that distance bounds prove still
        nearest to their previous center (Hamerly's test carried across
        steps, as in nested mini-batch k-means; see
        :func:`optimeans._kernels.stochastic.assign_bounded`). The labels, so
        the centers, are the same as without; once the centers settle most
        points are skipped and an epoch costs a fraction of a Lloyd
        iteration. Memory ``16 n`` bytes.
    Returns
    -------
    Result
        ``stop_reason`` "tol" for early stopping (``info["early_stop"]`` tells
        which rule), "max_iter", or "callback". ``info`` has ``counts`` (the
        weight each center absorbed), ``n_steps``, ``n_reassigned`` and
        ``pack_seconds`` (the one-off packing of the data, included in
        ``history.seconds``) and ``scanned`` (the fraction of point visits
        that needed the full distance scan; 1 without ``bounds``).

    Raises
    ------
    ValueError
        ``batch_size`` < 1, ``max_no_improvement`` < 1, ``reassignment_ratio``
        outside [0, 1], unknown ``shuffle``.

    Notes
    -----
    Time O(b k d) per step, O(n k d) per epoch like one Lloyd iteration, plus
    one packing pass per run. The assignment is Lloyd's SIMD kernel with its
    exactness guard (canonical labels); a batch's points are assigned in
    parallel when the batch is large enough; the center updates are summed in
    position order, so the result depends only on the seed. Memory: the
    packed data (``n d`` float32) and O(n) indices and norms; with
    ``shuffle="rows"`` also the shuffled copy of ``X``; buffers O(b + k d).

    References
    ----------
    Sculley, D. (2010). Web-scale k-means clustering. WWW '10, algorithm 1.
    """
    batch_size = _check_int(batch_size, "batch_size", 1)
    if max_no_improvement is not None:
        max_no_improvement = _check_int(max_no_improvement, "max_no_improvement", 1)
    reassignment_ratio = _check_float(reassignment_ratio, "reassignment_ratio", 0.0, 1.0)
    records_per_epoch = _check_int(records_per_epoch, "records_per_epoch", 1)
    if monitor is None:
        monitor = callback is not None
    if not isinstance(monitor, (bool, np.bool_)):
        raise TypeError(f"monitor must be True, False or None, got {monitor!r}")
    if parallel_min_work is not None:
        parallel_min_work = _check_int(parallel_min_work, "parallel_min_work", 0)
    if shuffle not in ("rows", "blocks"):
        raise ValueError(f"shuffle must be 'rows' or 'blocks', got {shuffle!r}")
    if not isinstance(bounds, (bool, np.bool_)):
        raise TypeError(f"bounds must be True or False, got {bounds!r}")
    rng = rng if rng is not None else np.random.default_rng(0)
    n = X.shape[0]
    k = centers_init.shape[0]
    b = min(batch_size, n)
    n_batches = (n + b - 1) // b
    w64 = np.ascontiguousarray(sample_weight, dtype=np.float64)
    alpha = min(1.0, 2.0 * b / (n + 1))
    st = MiniBatchState(
        centers_init, X.dtype, batch_size=b, reassignment_ratio=reassignment_ratio,
        max_no_improvement=max_no_improvement or 0, alpha=alpha,
    )
    if parallel_min_work is not None:
        st.parallel_min_work = parallel_min_work
    cuts = np.linspace(0, n_batches, min(records_per_epoch, n_batches) + 1).round().astype(np.int64)
    batch_obj = np.empty(n_batches, dtype=np.float64)
    clock = _Clock()
    hist = HistoryRecorder(0.0)
    stop_reason, converged, n_iter, early = "max_iter", False, 0, None
    points = 0
    prev_ewa = np.inf
    stopped = False
    with solver_threads(X, n_threads) as threads:
        # small batches of several chunks: timed both ways as the run goes, run the faster way
        chooser = None
        if parallel_min_work is None and threads > 1 and b > st.sums_chunk and b * k * X.shape[1] < PARALLEL_MIN_WORK:
            chooser = _ThreadChooser()
        t_pack = now()
        perm = None
        if shuffle == "rows":
            perm = rng.permutation(n)
            data = PackedData(np.ascontiguousarray(X[perm]), w64[perm])
        else:
            data = PackedData(X, w64)
        use_bounds = bool(bounds)
        point_bounds = st.new_bounds(data) if use_bounds else None
        pack_seconds = now() - t_pack
        for epoch in range(1, max_iter + 1):
            order = data.block_order(rng)
            uniforms = rng.random((n_batches, k))
            for s, e in zip(cuts[:-1], cuts[1:]):
                if chooser is None:
                    ran = st.steps(data, order, b, int(s), int(e), uniforms, batch_obj, point_bounds)
                else:
                    ran = chooser.steps(st, data, order, b, int(s), int(e), uniforms, batch_obj, point_bounds)
                points += min(n, (int(s) + ran) * b) - int(s) * b
                if monitor:
                    obj = clock.monitor(st.labels_objective, data)[1]
                    hist.record(obj, clock.elapsed(), points / n)
                    if should_stop(callback, len(hist.objective), obj):
                        stop_reason, stopped = "callback", True
                        break
                if ran < e - s:
                    stop_reason, converged, early, stopped = "tol", True, "max_no_improvement", True
                    break
            n_iter = epoch
            if stopped:
                break
            ewa = st.smoothed_objective
            if tol > 0 and small_change(prev_ewa, ewa, tol):
                stop_reason, converged, early = "tol", True, "tol"
                break
            prev_ewa = ewa
        elapsed = clock.elapsed()
        packed_labels, final_obj = st.labels_objective(data)
    if perm is None:
        labels = packed_labels
    else:
        labels = np.empty(n, dtype=np.int64)
        labels[perm] = packed_labels
    res = finalize(
        X, w64, st.centers, n_iter=n_iter, converged=converged, stop_reason=stop_reason,
        history=hist.freeze(), method="minibatch", labels=labels, reassign=False, objective=final_obj,
        options={"max_iter": max_iter, "tol": tol, "batch_size": batch_size,
                 "max_no_improvement": max_no_improvement, "reassignment_ratio": reassignment_ratio,
                 "monitor": bool(monitor), "records_per_epoch": records_per_epoch, "shuffle": shuffle,
                 "bounds": bool(bounds)},
        info={"counts": st.counts.copy(), "n_steps": st.n_steps, "n_reassigned": int(st.state[5]),
              "early_stop": early, "monitor_seconds": clock.paused, "passes": points / n,
              "pack_seconds": pack_seconds,
              "scanned": (st.n_scanned / points) if use_bounds and points > 0 else 1.0,
              "threaded_steps": st.n_steps if chooser is None and (
                  threads > 1 and b * k * X.shape[1] >= st.parallel_min_work) else (
                  chooser.threaded_steps if chooser is not None else 0)},
    )
    if not monitor:
        h = HistoryRecorder(0.0)
        h.record(res.objective, elapsed, points / n)
        res = res.replace(history=h.freeze())
    return res
