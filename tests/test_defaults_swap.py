"""Split-merge swaps (refine="swap", the default after Lloyd-type methods) and the default settings."""

from __future__ import annotations

import numpy as np
import pytest

import optimeans
from optimeans._plan import SWAP_METHODS, resolve_refine
from optimeans.solvers import swap


def _blobs(sizes, means, seed=0, std=0.3):
    rng = np.random.default_rng(seed)
    X = np.vstack([m + std * rng.normal(size=(s, len(m))) for s, m in zip(sizes, means)])
    return X[rng.permutation(len(X))]


# four tight, equal blobs on a square: the optimum has one center per blob
MEANS = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])


def _stuck_start():
    """Two centers in blob 0, one between blobs 2 and 3, one in blob 1: a Lloyd fixed point."""
    return np.array([[-0.5, 0.0], [0.5, 0.0], [10.0, 0.0], [5.0, 10.0]])


def test_swap_leaves_the_shared_cluster_local_minimum():
    X = _blobs([500] * 4, MEANS)
    stuck = optimeans.fit(X, 4, init=_stuck_start(), method="lloyd", refine=None)
    best = optimeans.fit(X, 4, init=MEANS, method="lloyd", refine=None)
    assert stuck.objective > 10 * best.objective  # Lloyd cannot leave it
    hart = optimeans.fit(X, 4, init=_stuck_start(), method="lloyd", refine="hartigan")
    assert hart.objective > 10 * best.objective  # nor can single-point moves
    res = optimeans.fit(X, 4, init=_stuck_start(), method="lloyd", refine="swap", random_state=0)
    assert res.method == "lloyd+swap"
    assert res.info["swaps"] == 1
    assert res.objective == pytest.approx(best.objective, rel=1e-12)
    assert sorted(np.bincount(res.labels, minlength=4)) == [500] * 4


def test_predicted_gain_is_a_lower_bound_on_the_rerun():
    X = _blobs([400, 300, 500, 200], MEANS, seed=3, std=1.0)
    w = np.ones(len(X))
    stuck = optimeans.fit(X, 4, init=_stuck_start(), method="lloyd", refine=None, tol=0)
    centers, gained, swaps = swap.swap_centers(X, w, stuck.labels, 4, np.random.default_rng(0))
    assert swaps == 1 and gained > 0
    rerun = optimeans.fit(X, 4, init=centers, method="lloyd", refine=None, tol=0)
    # the swapped partition has objective stuck - gained; Lloyd from its means only goes lower
    assert rerun.objective <= stuck.objective - gained + 1e-9 * stuck.objective


def test_merge_costs_are_wards():
    W = np.array([1.0, 3.0, 2.0, 0.0])
    M = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0], [9.0, 9.0]])
    cost, partner = swap.merge_costs(W, M)
    # cluster 2 is nearer to 1 but cheaper to merge into the lighter 0: 2*1/3*25 < 2*3/5*16
    assert partner[:3].tolist() == [1, 0, 0]
    np.testing.assert_allclose(cost[:3], [1 * 3 / 4 * 1.0, 1 * 3 / 4 * 1.0, 2 * 1 / 3 * 25.0], rtol=1e-14)
    assert cost[3] == 0.0  # an empty cluster's center is free


def test_split_gain_is_exact_for_two_blobs():
    X = _blobs([300, 200], MEANS[:2], seed=1)
    labels = np.zeros(len(X), dtype=np.int64)
    W, M, E = swap.cluster_stats(X, np.ones(len(X)), labels, 1)
    gains, halves = swap.split_gains(X, np.ones(len(X)), labels, E, np.array([0]), np.random.default_rng(0))
    truth = X[:, 0] > 5
    sse2 = sum(((X[s] - X[s].mean(axis=0)) ** 2).sum() for s in (truth, ~truth))
    assert gains[0] == pytest.approx(E[0] - sse2, rel=1e-12)
    assert sorted(np.round(halves[0][:, 0])) == [0.0, 10.0]


@pytest.mark.parametrize("seed", range(4))
def test_swap_never_worse_than_the_start_it_refines(seed):
    X = np.random.default_rng(seed).normal(size=(3000, 3))
    plain = optimeans.fit(X, 9, n_init=1, refine=None, random_state=seed)
    res = optimeans.fit(X, 9, n_init=1, refine="swap", random_state=seed)
    assert res.objective <= plain.objective
    assert res.n_iter >= plain.n_iter


def test_swap_same_bits_on_one_and_two_threads():
    # more rows than one chunk, so two threads really share the passes
    rng = np.random.default_rng(5)
    means = rng.uniform(-20, 20, size=(12, 4))
    X = (means[rng.integers(12, size=30000)] + rng.normal(size=(30000, 4))).astype(np.float32)
    a = optimeans.fit(X, 12, random_state=2, n_threads=1)
    b = optimeans.fit(X, 12, random_state=2, n_threads=2)
    assert a.method == b.method == "lloyd+swap"
    assert a.objective == b.objective
    np.testing.assert_array_equal(a.centers, b.centers)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.info["swaps"] == b.info["swaps"]


def test_defaults_are_the_documented_ones():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 8)).astype(np.float32)  # n k d = 2.56e6: one start
    r = optimeans.fit(X, 16, random_state=0, max_iter=5)
    assert (r.method, r.n_init) == ("lloyd+swap", 1)
    km = optimeans.KMeans(16, random_state=0, max_iter=5).fit(X)
    assert (km.result_.method, km.result_.n_init) == ("lloyd+swap", 1)
    off = optimeans.KMeans(16, random_state=0, max_iter=5, options={"refine": None}).fit(X)
    assert off.result_.method == "lloyd"
    assert optimeans.fit(X, 16, method="hamerly", random_state=0, max_iter=5).method == "hamerly+swap"
    # no swaps from given centers, after non-Lloyd methods, on sparse input
    assert optimeans.fit(X, 16, init=X[:16], max_iter=5).method == "lloyd"
    assert optimeans.fit(X, 16, method="minibatch", random_state=0, max_iter=5).method == "minibatch"
    import scipy.sparse as sp

    assert optimeans.fit(sp.csr_matrix(X[:2000]), 4, random_state=0, max_iter=5).method == "lloyd"
    assert resolve_refine("auto", "k-means++", "global") is None
    assert all(resolve_refine("auto", "k-means++", m) == "swap" for m in SWAP_METHODS)
    # small problems (n k d < 10**6) add Hartigan's transfers after the swaps
    assert resolve_refine("auto", "k-means++", "lloyd", 999, 10, 100) == "swap+hartigan"
    assert resolve_refine("auto", "k-means++", "lloyd", 1000, 10, 100) == "swap"
    assert resolve_refine("auto", "k-means++", "global", 999, 10, 100) is None


def test_small_problems_leave_a_few_points_minimum_with_transfers():
    # Iris, k = 3, seed 5: the swaps alone end all three starts at the local minimum
    # 78.8557, which differs from the optimum by a few points' assignment
    X = optimeans.datasets.load("iris")
    swaps = optimeans.fit(X, 3, random_state=5, refine="swap")
    res = optimeans.fit(X, 3, random_state=5)
    assert res.method == "lloyd+swap+hartigan" and res.n_init == 3
    assert res.objective < swaps.objective * (1 - 1e-5)
    assert res.objective == pytest.approx(78.85144142614601, rel=1e-12)  # the known optimum of Iris, k = 3
    # the labels are the nearest-center labels of the centers reported
    d2 = ((np.asarray(X, dtype=np.float64)[:, None, :] - res.centers[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(res.labels, d2.argmin(1))
    explicit = optimeans.fit(X, 3, random_state=5, refine="swap+hartigan")
    assert explicit.objective == res.objective
    with pytest.raises(ValueError, match="refine='swap\\+hartigan' reruns the method"):
        optimeans.fit(X, 3, method="minibatch", refine="swap+hartigan")


def test_refine_errors_name_the_argument():
    X = np.random.default_rng(0).normal(size=(200, 2))
    with pytest.raises(ValueError, match="refine must be 'auto', 'swap', 'hartigan', 'swap\\+hartigan' or None, got 'lloyd'"):
        optimeans.fit(X, 3, refine="lloyd")
    with pytest.raises(ValueError, match="refine='swap' reruns the method"):
        optimeans.fit(X, 3, method="minibatch", refine="swap")


def test_swap_numpy_mirrors_give_the_kernels_bits():
    # small problems run the swaps without compiling: the NumPy mirrors must give
    # the compiled kernels' statistics, grouping and splits bit for bit
    from optimeans.solvers import swap as S

    rng = np.random.default_rng(0)
    for trial in range(12):
        n, d, k = int(rng.integers(5, 300)), int(rng.integers(1, 9)), int(rng.integers(2, 8))
        X = (rng.normal(size=(n, d)) * rng.uniform(0.1, 100)).astype(np.float32 if trial % 2 else np.float64)
        w = rng.uniform(0.2, 3, size=n) if trial % 3 else np.ones(n)
        lab = rng.integers(0, k, size=n).astype(np.int64)
        for a, b in zip(S._stats(X, w, lab, k), S._stats_np(X, w, lab, k)):
            np.testing.assert_array_equal(a, b)
        o1, s1 = S._group(lab, k)
        o2, s2 = S._group_np(lab, k)
        np.testing.assert_array_equal(o1, o2)
        np.testing.assert_array_equal(s1, s2)
        rows = o1[s1[0]:s1[1]]
        if len(rows) >= 2:
            for sub in (1024, 7):
                u0, u1 = rng.random(2)
                e1, c1 = S._two_means(X, w, rows, u0, u1, 10, sub)
                e2, c2 = S._two_means_np(X, w, rows, u0, u1, 10, sub)
                assert e1 == e2 or (np.isinf(e1) and np.isinf(e2))
                np.testing.assert_array_equal(c1, c2)
