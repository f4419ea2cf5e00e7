"""Shared helpers of the hostile-input tests: brute force, partitions, method domains.

Not a test module (no ``test_`` prefix); imported by ``test_hostile_*.py``,
``test_properties.py`` and ``test_determinism.py``.
"""

from __future__ import annotations

import itertools

import numpy as np

import optimeans

#: Every concrete method; "auto" is a name for one of them and is tested apart.
METHODS = [m for m in optimeans.methods() if m != "auto"]

#: Methods whose domain is restricted, or whose cost restricts what the tests
#: give them. Keys: ``max_features`` / ``max_samples`` / ``max_clusters``
#: (inclusive limits of the inputs the tests use) and ``outside``, a regex the
#: ValueError raised outside the domain must match, for methods that refuse
#: such inputs (branch and bound accepts any size and stops at its time limit;
#: the tests keep it to small sets). A method not listed here must accept every
#: valid input.
DOMAIN: dict[str, dict] = {
    "exact": {"max_features": 1, "outside": r"(?i)one-dimensional data only \(X has 2 features\)"},
    "bnb": {"max_samples": 12},
}

#: Methods that optimise the objective only approximately (stochastic steps,
#: soft assignments, fixed step sizes): their result must be valid and near
#: the optimum on well-separated data, not equal to it.
APPROXIMATE = {"gd", "sgd", "minibatch", "soft", "annealing"}

#: Methods whose objective never increases from one recorded iteration to the next.
MONOTONE = ["lloyd", "hamerly", "elkan", "yinyang", "newton", "hartigan"]

#: Methods that run in more than one thread, or use none at all; every method
#: is checked for 1-thread vs 2-thread equality.
ALL_METHODS = METHODS


def in_domain(method: str, X: np.ndarray, k: int) -> bool:
    dom = DOMAIN.get(method, {})
    n, d = X.shape
    return (
        d <= dom.get("max_features", d)
        and n <= dom.get("max_samples", n)
        and k <= dom.get("max_clusters", k)
    )


def brute_force(X: np.ndarray, k: int, sample_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Global minimum of the k-means objective by trying every labelling (n <= 10).

    Works on a centered copy rescaled by a power of two (exact), so data of any
    magnitude gives the objective to float64 accuracy; returns the objective in
    the data's units and one optimal labelling.
    """
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    assert n <= 10 and k <= 4, "brute force is for tiny inputs"
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    Z = X - X.mean(axis=0)
    top = float(np.abs(Z).max())
    e = 0 if top == 0 else -int(np.frexp(top)[1])
    Z = np.ldexp(Z, e)
    L = np.array(list(itertools.product(range(k), repeat=n)), dtype=np.int64)  # (k^n, n)
    onehot = (L[:, :, None] == np.arange(k)[None, None, :]).astype(np.float64) * w[None, :, None]
    W = onehot.sum(axis=1)  # (L, k)
    S = np.einsum("lnk,nd->lkd", onehot, Z)
    within = np.where(W > 0, (S**2).sum(-1) / np.where(W > 0, W, 1.0), 0.0).sum(-1)
    obj = float(np.dot(w, (Z**2).sum(-1))) - within
    best = int(np.argmin(obj))
    # recompute the best one directly (the expanded formula cancels digits)
    lab = L[best]
    tot = 0.0
    for j in range(k):
        m = lab == j
        if w[m].sum() > 0:
            c = (w[m, None] * Z[m]).sum(0) / w[m].sum()
            tot += float(np.dot(w[m], ((Z[m] - c) ** 2).sum(-1)))
    return float(np.ldexp(tot, -2 * e)), lab


def canonical(labels: np.ndarray) -> np.ndarray:
    """Relabel clusters in order of first appearance, so equal partitions compare equal."""
    labels = np.asarray(labels)
    out = np.empty_like(labels)
    seen: dict[int, int] = {}
    for i, v in enumerate(labels.tolist()):
        out[i] = seen.setdefault(v, len(seen))
    return out


def check_valid(res: optimeans.Result, X: np.ndarray, k: int, sample_weight: np.ndarray | None = None) -> None:
    """What every Result must satisfy, whatever the method: shapes, ranges, honesty."""
    Xf = np.asarray(X, dtype=np.float64)
    n, d = Xf.shape
    assert res.centers.shape == (k, d)
    assert res.labels.shape == (n,)
    assert res.labels.dtype == np.int64
    assert np.isfinite(res.centers).all()
    assert res.labels.min() >= 0 and res.labels.max() < k
    assert np.isfinite(res.objective) and res.objective >= 0
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    Z = Xf - res.centers[res.labels]
    assert res.objective == _approx(float(np.dot(w, (Z**2).sum(-1))), rel=1e-9)
    # labels are the nearest centers, up to the rounding of distances in the
    # work dtype: eps * d * M**2, M the largest distance of a point to the mean
    D = ((Xf[:, None, :] - res.centers[None, :, :]) ** 2).sum(-1)
    own = D[np.arange(n), res.labels]
    M2 = float(((Xf - Xf.mean(axis=0)) ** 2).sum(-1).max())
    eps = float(np.finfo(np.asarray(X).dtype if np.asarray(X).dtype == np.float32 else np.float64).eps)
    assert (own <= D.min(axis=1) * (1 + 1e-9) + 8 * eps * d * M2 + 1e-300).all()


def _approx(v: float, rel: float):
    import pytest

    return pytest.approx(v, rel=rel, abs=1e-300)


def blobs_tiny(d: int = 2, dtype=np.float64) -> np.ndarray:
    """9 points in 3 tight, far apart groups (spread 0.1, separation 10): one obvious optimum."""
    base = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])[:, :d] if d <= 2 else None
    if d == 1:
        base = np.array([[0.0], [10.0], [25.0]])
    offs = np.array([[0.03, -0.05], [-0.07, 0.02], [0.05, 0.04]])[:, :d]
    X = np.concatenate([b + offs * (1 + i) for i, b in enumerate(base)])
    return X.astype(dtype)


# ---------------------------------------------------------------------------
# determinism: the data every solver runs on, and a fingerprint of its result

#: Rows: two full chunks of the parallel kernels (CHUNK = 4096) and a ragged tail,
#: so that 1 and 2 threads really split the work differently.
DET_N = 2 * 4096 + 77


def determinism_case(method: str):
    """(X, n_clusters, fit kwargs) for the determinism tests, inside ``method``'s domain."""
    from optimeans.datasets import make_blobs

    dom = DOMAIN.get(method, {})
    n = min(DET_N, dom.get("max_samples", DET_N))
    d = min(3, dom.get("max_features", 3))
    k = min(5, dom.get("max_clusters", 5), max(2, n // 4))
    X = make_blobs(n, d, k, cluster_std=2.5, random_state=11)
    return X, k, {"n_init": 2, "max_iter": 30, **FAST_OPTIONS.get(method, {})}


#: Options that keep a method's run short in the tests (the code paths are the same).
FAST_OPTIONS: dict[str, dict] = {"annealing": {"cooling": 0.5}, "global": {"max_jumps": 20}}


def fingerprint(res) -> str:
    """SHA-256 of everything a user reads from a Result (bitwise)."""
    import hashlib

    h = hashlib.sha256()
    h.update(np.ascontiguousarray(res.labels, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(res.centers, dtype=np.float64).tobytes())
    h.update(np.float64(res.objective).tobytes())
    h.update(np.ascontiguousarray(res.history.objective, dtype=np.float64).tobytes())
    h.update(f"{res.n_iter}|{res.stop_reason}|{res.converged}|{res.seed}".encode())
    return h.hexdigest()
