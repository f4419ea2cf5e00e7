"""k-means|| seeding over the blocks (Bahmani et al. 2012), and random rows.

The random choices come from a counter-based hash of (seed, round, global row
index), so the candidates do not depend on how the rows are split into blocks.
The candidates are weighted by the points they attract and reclustered in
memory by weighted greedy k-means++ followed by weighted Lloyd.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._kernels import assign_labels
from .._numba import numba_threads

__all__ = ["kmeans_parallel", "random_rows"]


def _block_weights(wb: np.ndarray | None, n: int, dtype: Any) -> np.ndarray:
    if wb is None:
        return np.ones(n, dtype=dtype)
    return np.ascontiguousarray(wb, dtype=dtype)


def _task_pick(Xb: np.ndarray, wb: np.ndarray | None, u: float) -> np.ndarray:
    """The row where the cumulative weight of the block first exceeds ``u``."""
    w = _block_weights(wb, Xb.shape[0], np.float64)
    cum = np.cumsum(w)
    i = int(np.searchsorted(cum, u, side="right"))
    i = min(i, Xb.shape[0] - 1)
    while w[i] <= 0 and i > 0:  # never pick a zero-weight row
        i -= 1
    return np.array(Xb[i], copy=True)


def _uniform(key: int, start: int, n: int) -> np.ndarray:
    """Uniform numbers in (0, 1) for global rows ``start .. start + n - 1``.

    SplitMix64 of ``key + row * golden``: a counter-based generator, so the
    number of a row depends on the seed and the row's index only, never on the
    blocks the rows are split into.
    """
    z = np.arange(start, start + n, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    z += np.uint64(key)
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 2.0**53)


def _min_sqdist(Xb: np.ndarray, centers: np.ndarray, n_threads: int) -> np.ndarray:
    labels = np.empty(Xb.shape[0], dtype=np.int64)
    mind = np.empty(Xb.shape[0], dtype=Xb.dtype)
    with numba_threads(n_threads):
        assign_labels(Xb, centers, labels, mind)
    return mind


def _task_sample(
    Xb: np.ndarray,
    wb: np.ndarray | None,
    start: int,
    centers: np.ndarray,
    l: float,
    key: int,
    max_rows: int,
    threshold: float | None,
    n_threads: int,
) -> tuple:
    """One k-means|| round on a block.

    Returns the block's potential ``psi_b = sum w_i D_i^2`` (float64) and the
    rows whose score ``s_i = l w_i D_i^2 / u_i`` could exceed the total
    potential: with ``threshold=None`` the ``max_rows`` highest scores above
    ``psi_b`` (a lower bound of the total), otherwise every score above
    ``threshold``. Row ``i`` is a k-means|| sample iff ``s_i > psi``, i.e.
    ``u_i < l w_i D_i^2 / psi``.
    """
    Xb = np.ascontiguousarray(Xb)
    n = Xb.shape[0]
    w = _block_weights(wb, n, np.float64)
    d2 = _min_sqdist(Xb, centers, n_threads).astype(np.float64)
    wd = w * d2
    psi_b = float(wd.sum())
    score = l * wd / _uniform(key, start, n)
    cut = psi_b if threshold is None else threshold
    idx = np.flatnonzero(score > cut)
    if threshold is None and idx.size > max_rows:
        top = np.argpartition(-score[idx], max_rows - 1)[:max_rows]
        idx = np.sort(idx[top])
    return psi_b, score[idx], idx + start, np.array(Xb[idx], copy=True)


def _task_smallest_u(Xb: np.ndarray, wb: np.ndarray | None, start: int, key: int, m: int) -> tuple:
    """The ``m`` rows of positive weight with the smallest hash numbers (random init)."""
    n = Xb.shape[0]
    w = _block_weights(wb, n, np.float64)
    u = _uniform(key, start, n)
    u[w <= 0] = np.inf
    m = min(m, n)
    if m == 0:
        return u[:0], np.arange(start, start), np.array(Xb[:0], copy=True)
    idx = np.argpartition(u, m - 1)[:m]
    idx = idx[np.isfinite(u[idx])]
    return u[idx], idx + start, np.array(Xb[idx], copy=True)


def _task_count(Xb: np.ndarray, wb: np.ndarray | None, centers: np.ndarray, n_threads: int) -> np.ndarray:
    """Weight attracted by each center (k-means|| candidate weights), float64."""
    Xb = np.ascontiguousarray(Xb)
    labels = np.empty(Xb.shape[0], dtype=np.int64)
    mind = np.empty(Xb.shape[0], dtype=Xb.dtype)
    with numba_threads(n_threads):
        assign_labels(Xb, centers, labels, mind)
    w = _block_weights(wb, Xb.shape[0], np.float64)
    return np.bincount(labels, weights=w, minlength=centers.shape[0])



def _first_center(blocks: Any, totals: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A row drawn with probability proportional to its weight."""
    cum = np.cumsum(totals)
    u = float(rng.random()) * cum[-1]
    b = int(min(np.searchsorted(cum, u, side="right"), len(cum) - 1))
    while totals[b] <= 0:
        b -= 1
    offset = u - (cum[b - 1] if b > 0 else 0.0)
    return blocks.map(_task_pick, offset, blocks=[b])[0].astype(blocks.dtype)


def kmeans_parallel(
    blocks: Any,
    n_clusters: int,
    totals: np.ndarray,
    rng: np.random.Generator,
    *,
    oversampling_factor: float = 2.0,
    init_rounds: int = 5,
    n_threads: int = 1,
) -> tuple[np.ndarray, dict[str, Any]]:
    """k-means|| seeding over the blocks (Bahmani et al. 2012, Algorithm 2).

    Parameters
    ----------
    blocks : the validated data
    n_clusters : int
    totals : ndarray (n_blocks,), the weight of every block
    rng : numpy Generator (the first center, the hash keys, the reclustering)
    oversampling_factor : float, default 2.0
        ``l = oversampling_factor * n_clusters`` points expected per round.
    init_rounds : int, default 5
    n_threads : int
        Numba threads per task.

    Returns
    -------
    centers : ndarray (n_clusters, n_features), X's dtype
    info : dict with the number of candidates and passes.

    Notes
    -----
    ``init_rounds + 2`` passes over the data (the first center is read from one
    block); round ``r`` costs O(n d |C_r|) with ``|C_r| ~ 1 + r l``. A block
    returns its rows whose score could exceed the total potential (at most
    ``4 l + 64`` of them); the rare block that had more is asked again with the
    exact threshold, so the sample is exactly Bahmani's.

    References
    ----------
    Bahmani, B., Moseley, B., Vattani, A., Kumar, R. and Vassilvitskii, S.
    (2012). Scalable k-means++. PVLDB 5(7), Algorithm 2.
    """
    from ..seeding import kmeans_plusplus
    from ..solvers import lloyd

    l = float(oversampling_factor) * n_clusters
    max_rows = int(4 * l + 64)
    cands = [_first_center(blocks, totals, rng)[None, :]]
    passes = 0
    psi_hist = []
    for _ in range(init_rounds):
        C = np.ascontiguousarray(np.concatenate(cands), dtype=blocks.dtype)
        key = int(rng.integers(0, 2**63 - 1))
        out = blocks.map(_task_sample, C, l, key, max_rows, None, n_threads, with_start=True)
        passes += 1
        psi = 0.0
        for o in out:
            psi += o[0]
        psi_hist.append(psi)
        if psi <= 0.0:
            break  # every point sits on a candidate
        redo = [b for b, o in enumerate(out) if len(o[1]) == max_rows and o[1].min() > psi]
        if redo:
            again = blocks.map(_task_sample, C, l, key, max_rows, psi, n_threads, with_start=True, blocks=redo)
            for b, o in zip(redo, again):
                out[b] = o
        new = [o[3][o[1] > psi] for o in out]
        cands.extend(r for r in new if len(r))
    C = np.ascontiguousarray(np.concatenate(cands), dtype=blocks.dtype)
    weights = None
    for part in blocks.map(_task_count, C, n_threads):
        weights = part if weights is None else weights + part
    passes += 1
    assert weights is not None
    # recluster the weighted candidates in memory: greedy k-means++, then Lloyd
    keep = weights > 0
    Cp, wp = np.ascontiguousarray(C[keep]), weights[keep]
    if Cp.shape[0] <= n_clusters:
        centers = np.concatenate([Cp, Cp[rng.integers(0, Cp.shape[0], n_clusters - Cp.shape[0])]])
    else:
        centers0, _ = kmeans_plusplus(Cp, n_clusters, wp, rng)
        centers = lloyd.run(Cp, wp, centers0, max_iter=100, tol=0.0).centers
    info = {"n_candidates": int(C.shape[0]), "init_passes": passes + 1, "init_potential": psi_hist}
    return np.ascontiguousarray(centers, dtype=blocks.dtype), info


def random_rows(blocks: Any, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """``n_clusters`` distinct rows of positive weight, uniformly at random."""
    key = int(rng.integers(0, 2**63 - 1))
    m = 2 * n_clusters + 8
    out = blocks.map(_task_smallest_u, key, m, with_start=True)
    u = np.concatenate([o[0] for o in out])
    rows = np.concatenate([o[2] for o in out])
    chosen: list[np.ndarray] = []
    seen: set[bytes] = set()
    for i in np.argsort(u, kind="stable"):
        kb = rows[i].tobytes()
        if kb in seen:
            continue
        seen.add(kb)
        chosen.append(rows[i])
        if len(chosen) == n_clusters:
            break
    while len(chosen) < n_clusters:
        chosen.append(rows[int(rng.integers(len(rows)))])
    return np.ascontiguousarray(np.stack(chosen), dtype=blocks.dtype)

