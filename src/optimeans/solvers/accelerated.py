"""Exact accelerated Lloyd: Hamerly, Elkan and Yinyang k-means, and a k-d tree of the centers.

The three methods run Lloyd's iteration (:func:`optimeans.solvers.lloyd.iterate`)
and differ only in the assignment step: they keep bounds on the distances
from every point to the centers and skip the distance computations the
triangle inequality makes useless. They are *exact*: from the same initial
centers they return Lloyd's labels, centers, objective history and number of
iterations, bit for bit, on any number of threads (the bounds are widened to
cover every rounding, and ties always reach the canonical rule; see
:mod:`optimeans._kernels.accelerated`).

Which one is fastest depends on the shape (``method="auto"`` picks, see
:func:`optimeans.solvers.resolve`):

* ``"hamerly"`` keeps two bounds per point (O(n) memory); best for few
  features, where a full scan is cheap but most points never move;
* ``"elkan"`` keeps a bound per point and center (``n k`` float32); skips the
  most distances, pays O(k) bound updates per point per iteration;
* ``"yinyang"`` keeps a bound per point and group of centers (``n t`` float64 for
  ``t`` groups, :func:`default_groups`: about ``k / 10`` up to k = 400, ``k / 40``
  beyond, capped at 256 MB; never ``n k``): points whose bounds fail widely get
  the Lloyd kernel's SIMD scan, and an iteration whose filter is predicted to
  fail for most points is a full pass at the cost of Lloyd's that sets every
  bound anew. No longer ``method="auto"``'s choice at large k: its group bounds
  decay with the centers' drift and it ran full passes in four of six
  iterations at 50000 x 128, k = 4096, where the anchored ball
  (:mod:`optimeans.solvers.ball`) scans 29-45 % of the distances;
* ``"kdtree"`` keeps Hamerly's two bounds and searches the points that fail
  them in a k-d tree of the centers, rebuilt every iteration (O(k d) memory):
  the method for few features (2 or 3) and many clusters, where a search
  costs some ten distances instead of ``k``.

Every solver records in ``Result.info["distance_fraction"]`` the share of the
``n k`` distances of each iteration it actually computed (full scans count
``k`` per point); Yinyang also records in ``info["full_passes"]`` which
iterations ran as a full pass (1) rather than through its filter (0).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
from numba import get_num_threads

from .._kernels.accelerated import (
    bound_margin,
    build_center_tree,
    center_geometry,
    elkan_chunks,
    elkan_tables,
    first_pass_chunks,
    group_drifts,
    hamerly_chunks,
    kdtree_chunks,
    kdtree_moves,
    spatial_order,
    yinyang_chunks,
    yinyang_full_chunks,
    yinyang_full_fraction,
)
from .._kernels import lloyd as lloyd_kernels
from .._kernels.lloyd import BLOCK, Workspace, add_moves
from .._numba import native_threads
from ..result import Result
from ._common import Callback
from .lloyd import iterate

__all__ = ["run_hamerly", "run_elkan", "run_yinyang", "run_kdtree"]

_DOC_PARAMS = """
    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray (n_samples,), non-negative
    centers_init : ndarray (n_clusters, n_features), X's dtype
    max_iter, tol, n_threads, callback
        As for :func:`optimeans.solvers.lloyd.run`.
    rng : unused (deterministic given the initial centers)

    Returns
    -------
    Result
        Identical to Lloyd's from the same initial centers, with ``method`` set
        and ``info["distance_fraction"]`` (computed distances / ``n k`` per
        iteration).
"""


class _Bounded:
    """Common state: the workspace, the previous centers, drifts and separations."""

    def __init__(self, X: np.ndarray, k: int, sample_weight: np.ndarray, pairwise: bool) -> None:
        self.X = X
        self.k = k
        self.ws = Workspace(X, k, sample_weight)
        self.rel = bound_margin(X.shape[1])
        self.prev = np.zeros_like(self.ws.C64)
        self.drift = np.empty(k)
        self.half_sep = np.empty(k)
        self.pairwise = np.empty((k, k) if pairwise else (0, 0))
        self.upper = np.empty(X.shape[0])
        self.scanned = np.empty_like(self.ws.chunk_changed)
        self.first = True
        self.fractions: list[float] = []

    def geometry(self) -> tuple[float, int, float]:
        out = center_geometry(self.prev, self.ws.C64, self.k, self.rel, self.drift, self.half_sep, self.pairwise)
        self.prev[...] = self.ws.C64
        return out

    def finish(self, final: bool, computed: float) -> int:
        ws = self.ws
        self.first = False
        self.fractions.append(float(computed) / (self.X.shape[0] * self.k))
        if final:
            return int(ws.chunk_changed.sum())
        return add_moves(ws.chunk_S, ws.chunk_Q, ws.chunk_W, ws.chunk_N, ws.chunk_changed, ws.S, ws.Q, ws.W, ws.N)

    def info(self) -> dict[str, Any]:
        return {"distance_fraction": list(self.fractions)}


class _Hamerly(_Bounded):
    def __init__(self, X: np.ndarray, k: int, sample_weight: np.ndarray) -> None:
        super().__init__(X, k, sample_weight, pairwise=False)
        self.lower = np.empty(X.shape[0])

    def __call__(self, centers: np.ndarray, final: bool) -> int:
        ws = self.ws
        top, top_j, second = self.geometry()
        hamerly_chunks(
            ws.X, ws.w, ws.XT, ws.block_norm, ws.sqnorm, ws.C2, ws.cn, ws.C64, self.k, ws.cmax, ws.kappa, ws.scale, ws.mean,
            self.rel, ws.labels, self.upper, self.lower, self.drift, self.half_sep, top, top_j, second,
            ws.chunk_S, ws.chunk_Q, ws.chunk_W, ws.chunk_N, ws.chunk_changed, self.scanned, not final,
        )
        return self.finish(final, self.k * self.scanned.sum())


class _Elkan(_Bounded):
    def __init__(self, X: np.ndarray, k: int, sample_weight: np.ndarray) -> None:
        super().__init__(X, k, sample_weight, pairwise=True)
        kp = -(-k // BLOCK) * BLOCK
        self.lower = np.empty((X.shape[0], kp), dtype=np.float32)
        self.drift32 = np.empty(kp, dtype=np.float32)
        self.pair32 = np.empty((k, kp), dtype=np.float32)

    def __call__(self, centers: np.ndarray, final: bool) -> int:
        ws = self.ws
        self.geometry()
        if self.first:
            first_pass_chunks(
                ws.X, ws.w, ws.XT, ws.block_norm, ws.sqnorm, ws.C2, ws.cn, ws.C64, self.k, ws.cmax, ws.kappa, ws.scale, ws.mean,
                self.rel, ws.labels, self.upper, self.lower, np.empty(0, dtype=np.int64),
                ws.chunk_S, ws.chunk_Q, ws.chunk_W, ws.chunk_N, ws.chunk_changed, not final,
            )
            return self.finish(final, self.X.shape[0] * self.k)
        elkan_tables(self.drift, self.pairwise, self.k, self.drift32, self.pair32)
        elkan_chunks(
            ws.X, ws.w, ws.C64, self.k, ws.mean, self.rel, ws.labels, self.upper, self.lower, self.half_sep,
            self.drift, self.drift32, self.pair32, ws.chunk_S, ws.chunk_Q, ws.chunk_W, ws.chunk_N, ws.chunk_changed,
            self.scanned, not final,
        )
        return self.finish(final, self.scanned.sum())


#: Yinyang sends a point to the full SIMD scan when the groups it must examine hold
#: more than ``k / DENSE`` centers (one distance at a time costs about as much as
#: DENSE distances of the scan; measured in benchmarks/bench_large_k.py).
DENSE = 16


def default_groups(n: int, k: int) -> int:
    """Yinyang's default number of groups for ``n`` points and ``k`` centers.

    ``ceil(k / 10)`` up to k = 400 (Ding et al.); above, ``max(40, ceil(k / 40))``:
    each point pays O(groups) bound updates per iteration, and with compact
    groups the coarser grouping filters almost as well. Measured per iteration
    once the centers settle (1 thread, under load, benchmarks/bench_large_k.py
    data): 250000 x 2, k = 6000: 700 ms with 150 groups, 900 with 600, 750 with
    64; 100000 x 64, k = 1024: 16 ms with 32 groups, 61 with 103. Capped so the
    ``n x groups`` float64 bounds stay within 256 MB (at least one group): at
    1000000 x 16, k = 16384, 33 groups rather than 13 GB of bounds.
    """
    t = -(-k // 10) if k <= 400 else max(40, -(-k // 40))
    return int(max(1, min(t, k, (1 << 25) // max(n, 1))))


def yinyang_groups(centers: np.ndarray, n_groups: int) -> np.ndarray:
    """Group of every center: a deterministic k-d split of the initial centers into compact cells.

    The centers are cut at a quantile of their coordinate of largest spread into
    two parts holding groups in proportion (``n_groups // 2`` and the rest), and
    each part is cut again, until every part is one group (sizes differ by at
    most one center per cut). Ding et al. group by a k-means of the initial
    centers; any grouping keeps the method exact, and compact groups keep the
    group bounds tight (contiguous quantiles of a single axis, the earlier rule,
    make long thin slabs: at 250000 x 2, k = 6000 they left 3 times more points
    to re-examine).
    """
    k = centers.shape[0]
    group_of = np.zeros(k, dtype=np.int64)
    if n_groups <= 1 or k == 0:
        return group_of
    C = np.asarray(centers, dtype=np.float64)
    stack = [(np.arange(k), int(n_groups), 0)]
    while stack:
        idx, t, first = stack.pop()
        if t <= 1 or idx.size <= 1:
            group_of[idx] = first
            continue
        sub = C[idx]
        axis = int(np.argmax(sub.max(axis=0) - sub.min(axis=0)))
        order = idx[np.argsort(sub[:, axis], kind="stable")]
        t_left = t // 2
        cut = idx.size * t_left // t
        stack.append((order[:cut], t_left, first))
        stack.append((order[cut:], t - t_left, first + t_left))
    return group_of


#: Yinyang runs the full pass (:func:`~optimeans._kernels.accelerated.yinyang_full_chunks`:
#: Lloyd's BLAS pass that also sets every bound anew) instead of its filtered step when
#: the step's predicted cost (:func:`~optimeans._kernels.accelerated.yinyang_full_fraction`)
#: exceeds this share of a full pass: while the centers still move more than the gaps
#: between the group bounds, the filter sends nearly every point to the scan anyway, after
#: paying for the bound updates.
#: Calibration, 50000 x 128, k = 4096, 1 thread, CPU time under load 10: a step predicted
#: at 0.6 took 322 ms through the filter against 495 to 607 ms for a full pass.
FULL_FROM = 0.7
#: Every how many points the prediction samples.
PREDICT_STRIDE = 16


def slab_groups(group_start: np.ndarray, slab: int) -> np.ndarray:
    """Cut the groups (in order) into slabs of at most ``slab`` centers (a larger group is a slab alone).

    Returns the first group of every slab and, last, the number of groups.
    """
    t = group_start.shape[0] - 1
    cuts = [0]
    for g in range(t):
        if group_start[g + 1] - group_start[cuts[-1]] > slab and g > cuts[-1]:
            cuts.append(g)
    cuts.append(t)
    return np.asarray(cuts, dtype=np.int64)


class _Yinyang(_Bounded):
    def __init__(
        self, X: np.ndarray, k: int, sample_weight: np.ndarray, centers: np.ndarray, n_groups: int, dense: int,
    ) -> None:
        super().__init__(X, k, sample_weight, pairwise=False)
        self.half_sep = np.empty(0)  # Yinyang needs no center separations: skip their O(k^2 d)
        self.group_of = yinyang_groups(centers, n_groups)
        t = int(self.group_of.max()) + 1
        self.groups = np.argsort(self.group_of, kind="stable").astype(np.int64)
        self.group_start = np.searchsorted(self.group_of[self.groups], np.arange(t + 1)).astype(np.int64)
        self.gpad = np.full(self.ws.cn.shape[0], t, dtype=np.int64)
        self.gpad[:k] = self.group_of
        self.glower = np.empty((X.shape[0], t))
        self.gdrift = np.empty(t)
        self.dense = int(dense)
        kp = self.ws.cn.shape[0]
        # the full pass through BLAS products where Lloyd's pass uses them (same labels, bounds as valid)
        self.gemm = kp >= lloyd_kernels.GEMM_FROM and X.shape[1] >= lloyd_kernels.GEMM_FEATURES
        self.slabs = slab_groups(self.group_start, int(lloyd_kernels.gemm_slab(kp)))
        self.full_passes: list[int] = []

    def __call__(self, centers: np.ndarray, final: bool) -> int:
        ws = self.ws
        n = self.X.shape[0]
        self.geometry()
        group_drifts(self.drift, self.groups, self.group_start, self.gdrift)
        full = self.first or (
            yinyang_full_fraction(
                ws.X, ws.C64, ws.labels, self.upper, self.glower, self.drift, self.gdrift, self.group_start, self.k,
                self.dense, self.rel, PREDICT_STRIDE,
            ) > FULL_FROM
        )
        with native_threads(get_num_threads(), blas=1) if self.gemm else contextlib.nullcontext():
            if full and self.gemm:
                yinyang_full_chunks(
                    ws.X, ws.w, ws.XT, ws.block_norm, ws.sqnorm, ws.C2[self.groups], ws.cn[self.groups], ws.C64,
                    self.k, ws.cmax, ws.kappa, ws.scale, ws.mean, self.rel, ws.labels, self.upper, self.glower,
                    self.groups, self.group_start, self.group_of, self.slabs,
                    ws.chunk_S, ws.chunk_Q, ws.chunk_W, ws.chunk_N, ws.chunk_changed, not final,
                )
                self.scanned[...] = 0
                self.full_passes.append(1)
                return self.finish(final, n * self.k)
            yinyang_chunks(
                ws.X, ws.w, ws.XT, ws.block_norm, ws.sqnorm, ws.C2, ws.cn, ws.C64, self.k, ws.cmax, ws.kappa,
                ws.scale, ws.mean, self.rel, ws.labels, self.upper, self.glower, self.drift, self.gdrift, self.groups,
                self.group_start, self.group_of, self.gpad, full, self.dense, self.gemm,
                ws.chunk_S, ws.chunk_Q, ws.chunk_W, ws.chunk_N, ws.chunk_changed, self.scanned, not final,
            )
        self.full_passes.append(int(full))
        return self.finish(final, self.scanned.sum())

    def info(self) -> dict[str, Any]:
        return {**super().info(), "full_passes": list(self.full_passes)}


class _KDTree(_Bounded):
    def __init__(self, X: np.ndarray, k: int, sample_weight: np.ndarray, leaf_size: int) -> None:
        super().__init__(X, k, sample_weight, pairwise=False)
        self.half_sep = np.empty(0)  # no center separations: the tree replaces them
        self.lower = np.empty(X.shape[0])
        # Points are searched in spatial order (the bounds by position in it), their labels kept by row.
        self.order = np.empty(X.shape[0], dtype=np.int64)
        spatial_order(self.ws.X, self.order)
        self.Xs = self.ws.X[self.order]
        self.slabels = np.empty_like(self.ws.labels)
        self.row_labels = np.empty_like(self.ws.labels)  # the new labels by row (== ws.labels between passes)
        d = X.shape[1]
        m = 2 * k + 1
        self.leaf = int(leaf_size)
        self.perm = np.empty(k, dtype=np.int64)
        self.Cs = np.empty((k, self.ws.C64.shape[1]))
        self.node_lo = np.empty((m, d))
        self.node_hi = np.empty((m, d))
        self.reg_lo = np.empty((m, d))
        self.reg_hi = np.empty((m, d))
        self.parent = np.empty(m, dtype=np.int64)
        self.leaf_of = np.empty(k, dtype=np.int64)
        self.split_dim = np.zeros(m, dtype=np.int64)
        self.split_val = np.zeros(m)
        self.child = np.empty(m, dtype=np.int64)
        self.node_start = np.empty(m, dtype=np.int64)
        self.node_end = np.empty(m, dtype=np.int64)

    def __call__(self, centers: np.ndarray, final: bool) -> int:
        ws = self.ws
        if self.first:
            self.slabels[...] = ws.labels[self.order]
            self.row_labels[...] = ws.labels
        top, top_j, second = self.geometry()
        build_center_tree(
            ws.C64, self.k, self.X.shape[1], self.leaf, self.perm, self.Cs, self.node_lo, self.node_hi, self.reg_lo,
            self.reg_hi, self.split_dim, self.split_val, self.child, self.parent, self.node_start, self.node_end,
            self.leaf_of,
        )
        kdtree_chunks(
            self.Xs, ws.C64, self.Cs, self.perm, self.k, self.node_lo, self.node_hi, self.reg_lo,
            self.reg_hi, self.split_dim, self.split_val, self.child, self.parent, self.node_start, self.node_end,
            self.leaf_of, self.rel, self.order, self.slabels, self.row_labels, self.upper, self.lower, self.drift, top, top_j, second,
            self.scanned,
        )
        kdtree_moves(
            ws.X, ws.w, ws.labels, self.row_labels, ws.mean, ws.chunk_S, ws.chunk_Q, ws.chunk_W, ws.chunk_N,
            ws.chunk_changed, not final,
        )
        return self.finish(final, self.scanned.sum())


def _run(name, assigner, X, sample_weight, centers_init, max_iter, tol, n_threads, callback, options=None) -> Result:
    res = iterate(
        X, sample_weight, centers_init, assigner.ws, assigner,
        method=name, max_iter=max_iter, tol=tol, n_threads=n_threads, callback=callback, options=options,
    )
    return res.replace(info={**res.info, **assigner.info()})


def run_hamerly(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
) -> Result:
    """Hamerly's k-means: Lloyd with one upper and one lower bound per point.
    {params}
    Notes
    -----
    Per iteration O(n) bound updates, O(d) for a point whose bounds fail and
    O(k d) (the SIMD scan) for a point whose tightened bound fails too; O(k^2 d)
    for the center separations. Memory: two float64 per point.

    References
    ----------
    Hamerly, G. (2010). Making k-means even faster. SIAM SDM, 130-140.

    Examples
    --------
    >>> import numpy as np
    >>> from optimeans.solvers import accelerated, lloyd
    >>> X = np.random.default_rng(0).normal(size=(500, 2))
    >>> a = accelerated.run_hamerly(X, np.ones(500), X[:4].copy(), tol=0.0)
    >>> b = lloyd.run(X, np.ones(500), X[:4].copy(), tol=0.0)
    >>> bool((a.labels == b.labels).all()), a.n_iter == b.n_iter
    (True, True)
    """
    k = centers_init.shape[0]
    assigner = _Hamerly(X, k, sample_weight)
    return _run("hamerly", assigner, X, sample_weight, centers_init, max_iter, tol, n_threads, callback)


def run_elkan(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
) -> Result:
    """Elkan's k-means: Lloyd with a lower bound per point and center.
    {params}
    Notes
    -----
    Per iteration O(n k) bound updates (float32 SIMD, ``L`` centers at a time)
    and O(d) per distance computed, O(k^2 d) for the center-center distances.
    Memory: ``n k`` float32 bounds (rounded down, so they stay valid), ``k^2``
    float64.

    References
    ----------
    Elkan, C. (2003). Using the triangle inequality to accelerate k-means. ICML, 147-153.
    """
    k = centers_init.shape[0]
    assigner = _Elkan(X, k, sample_weight)
    return _run("elkan", assigner, X, sample_weight, centers_init, max_iter, tol, n_threads, callback)


def run_yinyang(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
    n_groups: int | None = None,
) -> Result:
    """Yinyang k-means: Lloyd with a lower bound per point and group of centers.
    {params}
    n_groups : int, optional
        Groups of centers; by default :func:`default_groups` (``ceil(k / 10)``
        as Ding et al. up to k = 400, ``ceil(k / 40)`` beyond, bounds capped at 256 MB).

    Notes
    -----
    Groups are compact cells of a k-d split of the initial centers
    (:func:`yinyang_groups`; Ding et al. cluster the initial centers; any
    grouping keeps the method exact). Per iteration O(n t) bound updates for
    ``t`` groups and O(d) per distance computed; a point whose failing groups
    hold more than ``k / DENSE`` centers gets the full SIMD scan instead.
    Before each iteration the filter is tried on every :data:`PREDICT_STRIDE`-th
    point without changing any bound
    (:func:`~optimeans._kernels.accelerated.yinyang_full_fraction`); when its
    predicted cost exceeds :data:`FULL_FROM` of a full pass (early on, while the
    centers still move more than the gaps between the bounds, and always in the
    first iteration), the iteration is instead a full pass
    (:func:`~optimeans._kernels.accelerated.yinyang_full_chunks`: from 64
    features and 512 centers the BLAS products of Lloyd's pass, over the
    centers in group order, at the same cost) that sets every bound anew.
    Either way the labels and sums are Lloyd's. Memory: ``n t`` float64, never
    ``n k``; no center-center distances.

    References
    ----------
    Ding, Y., Zhao, Y., Shen, X., Musuvathi, M., Mytkowicz, T. (2015). Yinyang K-means:
    a drop-in replacement of the classic K-means with consistent speedup. ICML, 579-587.
    """
    k = centers_init.shape[0]
    if n_groups is None:
        n_groups = default_groups(X.shape[0], k)
    elif isinstance(n_groups, bool) or not isinstance(n_groups, (int, np.integer)) or n_groups < 1:
        raise ValueError(f"n_groups must be a positive integer, got {n_groups!r}")
    n_groups = int(min(n_groups, k))
    assigner = _Yinyang(X, k, sample_weight, centers_init, n_groups, DENSE)
    return _run(
        "yinyang", assigner, X, sample_weight, centers_init, max_iter, tol, n_threads, callback,
        options={"n_groups": n_groups},
    )


#: Centers per leaf of the k-d tree (measured in benchmarks/bench_large_k.py).
LEAF_SIZE = 8


def run_kdtree(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
    leaf_size: int | None = None,
) -> Result:
    """Lloyd whose assignment searches a k-d tree of the centers: for few features and many clusters.
    {params}
    leaf_size : int, optional
        Centers per leaf of the tree (default :data:`LEAF_SIZE`).

    Notes
    -----
    Every iteration builds a k-d tree over the centers (O(k log k), median by selection); each
    point first tries Hamerly's test (its upper bound against one lower bound
    on the distance to every other center) and, failing it, searches the tree
    from its current center, skipping the boxes whose distance proves them
    farther, in float64 with the bounds widened to cover every rounding
    (:func:`optimeans._kernels.accelerated.kdtree_chunks`): the labels are
    Lloyd's canonical ones, ties included. For ``d`` up to 3 or so a search
    costs some tens of distances instead of ``k``; the tree's pruning fades as
    ``d`` grows. The points are searched in Morton order of a grid
    (:func:`optimeans._kernels.accelerated.spatial_order`, once per fit), so
    that consecutive searches walk the same nodes: at 250000 x 2, k = 6000 the
    iteration went from 42.8 to 35.2 ms on 1 thread and 24.8 to 18.8 ms on 2
    (benchmarks/bench_large_k.py, under load 1.4-1.8); the sums are still
    added in row order (:func:`~optimeans._kernels.accelerated.kdtree_moves`),
    so the run is Lloyd's bit for bit. Memory: two float64 bounds, two int64
    labels, an int64 position and a copy of the row per point (48 bytes at
    ``d = 2`` in float32), O(k d) for the tree; never ``n k``.

    References
    ----------
    Bentley, J. L. (1975). Multidimensional binary search trees used for associative
    searching. CACM 18(9), 509-517. Hamerly, G. (2010). Making k-means even faster. SIAM SDM.
    Kanungo, T. et al. (2002). An efficient k-means clustering algorithm: analysis and
    implementation. IEEE TPAMI 24(7) (trees for k-means).
    """
    k = centers_init.shape[0]
    if leaf_size is None:
        leaf_size = LEAF_SIZE
    elif isinstance(leaf_size, bool) or not isinstance(leaf_size, (int, np.integer)) or leaf_size < 1:
        raise ValueError(f"leaf_size must be a positive integer, got {leaf_size!r}")
    assigner = _KDTree(X, k, sample_weight, int(leaf_size))
    return _run(
        "kdtree", assigner, X, sample_weight, centers_init, max_iter, tol, n_threads, callback,
        options={"leaf_size": int(leaf_size)},
    )


for _fn in (run_hamerly, run_elkan, run_yinyang, run_kdtree):
    _fn.__doc__ = _fn.__doc__.replace("{params}", _DOC_PARAMS)
