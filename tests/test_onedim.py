"""Exact 1-D k-means: brute force on tiny inputs, kmeans1d, invariances, errors."""

import itertools

import numpy as np
import pytest

import optimeans
from optimeans import solvers
from optimeans.exact import kmeans_1d


def brute_force_1d(x, k, w=None):
    """Least objective over every way to cut the sorted data into k intervals."""
    x = np.asarray(x, dtype=np.float64)
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=np.float64)
    order = np.argsort(x)
    xs, ws = x[order], w[order]
    n = len(xs)
    best = np.inf
    for cuts in itertools.combinations(range(1, n), k - 1):
        bounds = (0, *cuts, n)
        total = 0.0
        for a, b in zip(bounds[:-1], bounds[1:]):
            m = np.dot(ws[a:b], xs[a:b]) / ws[a:b].sum()
            total += np.dot(ws[a:b], (xs[a:b] - m) ** 2)
        best = min(best, total)
    return best


def test_docstring_example():
    r = kmeans_1d([1.0, 2.0, 3.0, 4.0], 2)
    assert r.centers.ravel().tolist() == [1.5, 3.5]
    assert r.objective == 1.0
    assert r.labels.tolist() == [0, 0, 1, 1]
    assert r.proven_optimal and r.stop_reason == "optimal" and r.method == "exact"


@pytest.mark.filterwarnings("ignore::optimeans.FewDistinctPointsWarning")
@pytest.mark.parametrize("seed", range(40))
def test_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 11))
    k = int(rng.integers(1, n + 1))
    kind = seed % 4
    if kind == 0:
        x = rng.standard_normal(n)
    elif kind == 1:
        x = rng.integers(0, 4, n).astype(float)  # many ties
    elif kind == 2:
        x = np.concatenate([rng.standard_normal(n // 2), 50 + rng.standard_normal(n - n // 2)])
    else:
        x = rng.exponential(size=n) ** 3
    w = None if seed % 2 == 0 else rng.uniform(0.1, 3.0, n)
    r = kmeans_1d(x, k, sample_weight=w)
    ref = brute_force_1d(x, k, w)
    assert r.objective == pytest.approx(ref, rel=1e-10, abs=1e-12)
    assert np.all(np.diff(r.centers[:, 0]) >= 0)
    # every label's center is a nearest center (an optimal 1-D partition is)
    d = (x[:, None] - r.centers[:, 0][None, :]) ** 2
    assert np.all(d[np.arange(n), r.labels] <= d.min(axis=1) + 1e-12)


def quadratic_dp_1d(x, k, w=None):
    """Least objective by the plain O(k n^2) dynamic program: every split of every
    prefix is tried, no monotonicity of the argmins is assumed (the kernel's
    divide and conquer, bands and cross-layer bounds all rely on it)."""
    x = np.asarray(x, dtype=np.float64)
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=np.float64)
    keep = w > 0
    order = np.argsort(x[keep])
    xs, ws = x[keep][order], w[keep][order]
    n = len(xs)
    k = min(k, n)
    xs = xs - np.dot(ws, xs) / ws.sum()
    W = np.concatenate([[0.0], np.cumsum(ws)])
    S = np.concatenate([[0.0], np.cumsum(ws * xs)])
    Q = np.concatenate([[0.0], np.cumsum(ws * xs * xs)])
    j = np.arange(n + 1)
    cost = np.full((n + 1, n + 1), np.inf)  # cost[j, t] of the points j .. t-1
    for t in range(1, n + 1):
        jj = j[:t]
        cost[jj, t] = (Q[t] - Q[jj]) - (S[t] - S[jj]) ** 2 / (W[t] - W[jj])
    D = cost[0].copy()
    for _ in range(1, k):
        D = np.min(D[:, None] + cost, axis=0)
    return max(D[n], 0.0)


@pytest.mark.filterwarnings("ignore::optimeans.FewDistinctPointsWarning")
@pytest.mark.parametrize("seed", range(24))
def test_matches_quadratic_dp(seed):
    """Sizes where the layers have blocks, bands and gaps, with ties and weights."""
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(40, 400))
    k = int(rng.integers(2, 24))
    kind = seed % 4
    if kind == 0:
        x = rng.standard_normal(n)
    elif kind == 1:
        x = rng.integers(0, 12, n).astype(float)  # many ties
    elif kind == 2:
        x = np.concatenate([rng.standard_normal(n // 3), 30 + rng.standard_normal(n - n // 3)])
    else:
        x = np.round(rng.exponential(size=n) ** 2, 2)
    w = None if seed % 3 == 0 else rng.uniform(0.1, 3.0, n)
    if seed % 3 == 2:
        w = rng.integers(0, 4, n).astype(float)  # integer weights, some zero
        w[0] = 1.0
    r = kmeans_1d(x, k, sample_weight=w)
    ref = quadratic_dp_1d(x, k, w)
    assert r.objective == pytest.approx(ref, rel=1e-9, abs=1e-9)
    assert r.proven_optimal


def test_threads_agree_bitwise_on_large_weighted_ties():
    rng = np.random.default_rng(11)
    x = np.round(rng.standard_normal(60_000) * 3, 1)  # many ties
    w = rng.uniform(0.5, 2.0, x.size)
    for k, weights in ((9, None), (40, w)):
        a = kmeans_1d(x, k, sample_weight=weights, n_threads=1)
        b = kmeans_1d(x, k, sample_weight=weights, n_threads=2)
        np.testing.assert_array_equal(a.labels, b.labels)
        np.testing.assert_array_equal(a.centers, b.centers)
        assert a.objective == b.objective


def test_matches_kmeans1d_on_larger_data():
    kmeans1d = pytest.importorskip("kmeans1d")
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.standard_normal(3000), 4 + 0.5 * rng.standard_normal(2000), rng.uniform(-10, 10, 1000)])
    for k in (2, 5, 17, 60):
        r = kmeans_1d(x, k)
        labels, centers = kmeans1d.cluster(x, k)
        theirs = optimeans.objective(x.reshape(-1, 1), np.reshape(centers, (-1, 1)), labels=np.asarray(labels))
        assert r.objective == pytest.approx(theirs, rel=1e-9)
        assert r.objective <= theirs * (1 + 1e-12)


def test_weights_equal_repeated_rows():
    rng = np.random.default_rng(3)
    x = np.round(rng.standard_normal(200), 1)
    reps = rng.integers(1, 4, 200)
    a = kmeans_1d(x, 6, sample_weight=reps.astype(float))
    b = kmeans_1d(np.repeat(x, reps), 6)
    assert a.objective == pytest.approx(b.objective, rel=1e-10)
    np.testing.assert_allclose(a.centers, b.centers, rtol=1e-10)


def test_zero_weights_do_not_matter_and_get_nearest_label():
    x = np.array([0.0, 0.1, 5.0, 5.2, 100.0, 9.9, 10.0])
    w = np.array([1, 1, 1, 1, 0, 1, 1], dtype=float)
    r = kmeans_1d(x, 3, sample_weight=w)
    ref = kmeans_1d(np.delete(x, 4), 3)
    assert r.objective == pytest.approx(ref.objective)
    assert r.labels[4] == 2  # the far zero-weight point sits with the largest center


def test_float32_keeps_dtype_and_threads_agree():
    rng = np.random.default_rng(5)
    x = rng.standard_normal(20000).astype(np.float32)
    a = kmeans_1d(x, 12, n_threads=1)
    b = kmeans_1d(x, 12, n_threads=2)
    assert a.centers.dtype == np.float32
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.objective == b.objective


def test_input_not_mutated_and_shapes():
    x = np.array([[3.0], [1.0], [2.0], [10.0]])
    before = x.copy()
    r = kmeans_1d(x, 2)
    np.testing.assert_array_equal(x, before)
    assert r.centers.shape == (2, 1) and r.labels.shape == (4,)
    assert r.labels.tolist() == [0, 0, 0, 1]


def test_fewer_positive_points_than_clusters():
    with pytest.warns(optimeans.FewDistinctPointsWarning):
        r = kmeans_1d([1.0, 2.0, 3.0], 3, sample_weight=[1.0, 0.0, 1.0])
    assert r.objective == 0.0
    assert r.centers.shape == (3, 1)


def test_fit_uses_exact_for_one_feature():
    x = np.random.default_rng(0).standard_normal((500, 1))
    assert solvers.resolve("auto", x, 4) == "exact"
    assert solvers.resolve("auto", np.zeros((5, 2)), 2) == "lloyd"
    r = optimeans.fit(x, 4, random_state=0)
    assert r.method == "exact" and r.proven_optimal
    assert r.objective == pytest.approx(kmeans_1d(x, 4).objective, rel=1e-12)
    lloyd = optimeans.fit(x, 4, method="lloyd", random_state=0)
    assert r.objective <= lloyd.objective * (1 + 1e-12)


@pytest.mark.parametrize(
    "args, exc, match",
    [
        ((np.zeros((4, 2)), 2), ValueError, "one-dimensional"),
        (([1.0, np.nan, 2.0], 2), ValueError, "nan"),
        (([], 1), ValueError, "empty"),
        (([1.0, 2.0], 3), ValueError, "n_clusters"),
        (([1.0, 2.0], 0), ValueError, "n_clusters"),
        ((["a", "b"], 1), TypeError, "non-numeric"),
    ],
)
def test_errors(args, exc, match):
    with pytest.raises(exc, match=match):
        kmeans_1d(*args)


def test_fit_exact_refuses_several_features():
    with pytest.raises(ValueError, match="branch_and_bound"):
        optimeans.fit(np.random.default_rng(0).random((10, 2)), 2, method="exact", random_state=0)
