"""Initial centers: greedy k-means++, random distinct points, or a user array.

k-means++ (Arthur & Vassilvitskii 2007) picks the first center with
probability proportional to the weights and each next one with probability
proportional to ``w_i D(x_i)^2``, the weighted squared distance to the nearest
center chosen so far. The greedy variant (as in the paper's experiments and in
scikit-learn) draws ``2 + floor(ln k)`` candidates per step and keeps the one
that lowers the potential most.

Every distance here is computed in float64 by a row-parallel kernel (no BLAS),
so the centers chosen depend only on the seed, never on the thread count.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from . import _nocompile
from . import _kernels
from ._kernels import CHUNK
from ._numba import numba_threads
from ._validation import check_centers

__all__ = ["kmeans_plusplus", "random_points", "init_centers", "INIT_METHODS"]

INIT_METHODS = ("k-means++", "random")
InitName = Literal["k-means++", "random"]


def _sample(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """Draw ``size`` indices with probability proportional to ``p`` (float64, >= 0)."""
    cum = np.cumsum(p)
    total = cum[-1]
    u = rng.random(size) * total
    idx = np.searchsorted(cum, u, side="right")
    return np.minimum(idx, len(p) - 1)


def kmeans_plusplus(
    X: np.ndarray,
    n_clusters: int,
    sample_weight: np.ndarray,
    rng: np.random.Generator,
    *,
    n_local_trials: int | None = None,
    n_threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy k-means++ seeding.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64, validated
    n_clusters : int
    sample_weight : ndarray of shape (n_samples,), validated
    rng : numpy Generator
    n_local_trials : int, optional
        Candidates per step; ``2 + floor(ln k)`` by default, 1 for plain k-means++.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features), X's dtype
    indices : ndarray of shape (n_clusters,), the rows chosen

    Notes
    -----
    O(n k d (2 + ln k)) time, O(n) extra memory. Once every remaining point
    coincides with a chosen center (fewer distinct points than clusters), the
    remaining centers repeat points drawn by weight.

    References
    ----------
    Arthur, D. and Vassilvitskii, S. (2007). k-means++: the advantages of
    careful seeding. SODA, section 5 (greedy variant).
    """
    n, d = X.shape
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    w = np.asarray(sample_weight, dtype=np.float64)
    centers = np.empty((n_clusters, d), dtype=X.dtype)
    indices = np.empty(n_clusters, dtype=np.int64)
    # small problems: the same distances and sums in NumPy, nothing to compile
    kern = _nocompile if _nocompile.is_small(n, n_local_trials * (n_clusters - 1) + 1, d) else _kernels
    sqdist_to_center, candidate_potentials, update_min_sqdist = (
        kern.sqdist_to_center, kern.candidate_potentials, kern.update_min_sqdist
    )
    with numba_threads(n_threads):
        first = int(_sample(rng, w, 1)[0])
        centers[0] = X[first]
        indices[0] = first
        closest = np.empty(n, dtype=np.float64)
        sqdist_to_center(X, X[first], closest)
        potential = float((w * closest).sum())
        chunk_pot = np.empty((n_local_trials, (n + CHUNK - 1) // CHUNK), dtype=np.float64)
        for c in range(1, n_clusters):
            if potential <= 0.0:
                # every point sits on a chosen center: repeat points by weight
                idx = int(_sample(rng, w, 1)[0])
                centers[c] = X[idx]
                indices[c] = idx
                continue
            cands = _sample(rng, w * closest, n_local_trials)
            # every candidate's potential in one pass, summed per chunk in row order
            # (no BLAS dot: its threads would change the rounding and wake on every call)
            candidate_potentials(X, w, closest, cands, chunk_pot[: len(cands)])
            pots = chunk_pot[: len(cands)].sum(axis=1)
            best = int(np.argmin(pots))  # the first of equal potentials
            best_idx = int(cands[best])
            centers[c] = X[best_idx]
            indices[c] = best_idx
            update_min_sqdist(X, X[best_idx], closest)
            potential = float(pots[best])
    return centers, indices


def random_points(X: np.ndarray, n_clusters: int, sample_weight: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n_clusters`` distinct points chosen uniformly among rows of positive weight.

    Rows are visited in a random order and a row equal to one already chosen is
    skipped; when there are fewer distinct points than clusters the rest repeat.
    """
    n = X.shape[0]
    order = rng.permutation(np.flatnonzero(sample_weight > 0))
    chosen: list[int] = []
    seen: set[bytes] = set()
    for i in order:
        key = X[i].tobytes()
        if key in seen:
            continue
        seen.add(key)
        chosen.append(int(i))
        if len(chosen) == n_clusters:
            break
    while len(chosen) < n_clusters:
        chosen.append(int(order[rng.integers(len(order))] if len(order) else rng.integers(n)))
    idx = np.asarray(chosen, dtype=np.int64)
    return np.ascontiguousarray(X[idx]), idx


def init_centers(
    X: np.ndarray,
    n_clusters: int,
    sample_weight: np.ndarray,
    init: Any,
    rng: np.random.Generator,
    *,
    n_threads: int | None = None,
) -> np.ndarray:
    """Initial centers from an init name, a user array, or a callable.

    A callable is called as ``init(X, n_clusters, rng)`` and must return an
    array of shape (n_clusters, n_features).
    """
    if isinstance(init, str):
        if init == "k-means++":
            return kmeans_plusplus(X, n_clusters, sample_weight, rng, n_threads=n_threads)[0]
        if init == "random":
            return random_points(X, n_clusters, sample_weight, rng)[0]
        raise ValueError(f"init must be one of {INIT_METHODS}, an array or a callable; got {init!r}")
    if callable(init):
        return check_centers(init(X, n_clusters, rng), n_clusters, X.shape[1], X.dtype, name="init()")
    return check_centers(init, n_clusters, X.shape[1], X.dtype)
