"""Hamerly, Elkan and Yinyang give exactly Lloyd's run, on any number of threads."""

import numpy as np
import pytest

import optimeans
from optimeans.solvers import accelerated, lloyd, resolve

RUNNERS = {
    "hamerly": accelerated.run_hamerly,
    "elkan": accelerated.run_elkan,
    "yinyang": accelerated.run_yinyang,
}


def blobs(n, d, k, seed, dtype=np.float64, spread=3.0):
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=spread, size=(k, d))
    X = (means[rng.integers(k, size=n)] + rng.normal(size=(n, d))).astype(dtype)
    C0 = X[rng.choice(n, k, replace=False)].copy()
    return X, C0


def assert_same_run(a, b):
    assert a.n_iter == b.n_iter
    assert a.stop_reason == b.stop_reason
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centers, b.centers)
    np.testing.assert_array_equal(a.history.objective, b.history.objective)
    assert a.objective == b.objective


@pytest.mark.parametrize("name", sorted(RUNNERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,d,k", [(2000, 2, 6), (4100, 5, 23), (1500, 33, 12), (300, 3, 1)])
def test_same_labels_and_iterations_as_lloyd(name, dtype, n, d, k):
    X, C0 = blobs(n, d, k, seed=n + d + k, dtype=dtype)
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=n)
    ref = lloyd.run(X, w, C0, max_iter=100, tol=0.0)
    res = RUNNERS[name](X, w, C0, max_iter=100, tol=0.0)
    assert res.method == name
    assert_same_run(res, ref)


@pytest.mark.parametrize("name", sorted(RUNNERS))
def test_ties_and_duplicates_follow_the_canonical_rule(name):
    # integer grid: many exact ties between centers; duplicate initial centers
    rng = np.random.default_rng(1)
    X = rng.integers(0, 6, size=(600, 2)).astype(np.float64)
    C0 = np.array([[0.0, 0.0], [2.0, 2.0], [2.0, 2.0], [5.0, 5.0], [0.0, 5.0], [3.0, 1.0]])
    ref = lloyd.run(X, np.ones(600), C0, max_iter=50, tol=0.0)
    res = RUNNERS[name](X, np.ones(600), C0, max_iter=50, tol=0.0)
    assert_same_run(res, ref)


@pytest.mark.parametrize("name", sorted(RUNNERS))
def test_tol_callback_and_max_iter_stop_the_same_way(name):
    X, C0 = blobs(3000, 3, 8, seed=2, spread=1.0)
    w = np.ones(3000)
    a = RUNNERS[name](X, w, C0, tol=1e-3)
    assert a.stop_reason == "tol"
    assert_same_run(a, lloyd.run(X, w, C0, tol=1e-3))
    a = RUNNERS[name](X, w, C0, tol=0.0, max_iter=4)
    assert a.stop_reason == "max_iter"
    assert_same_run(a, lloyd.run(X, w, C0, tol=0.0, max_iter=4))
    stop = lambda it, obj: it == 3  # noqa: E731
    a = RUNNERS[name](X, w, C0, tol=0.0, callback=stop)
    assert a.stop_reason == "callback"
    assert_same_run(a, lloyd.run(X, w, C0, tol=0.0, callback=stop))


@pytest.mark.parametrize("name", sorted(RUNNERS))
def test_one_and_two_threads_bitwise_equal(name):
    X, C0 = blobs(3 * 4096 + 50, 4, 15, seed=3, dtype=np.float32)
    a = RUNNERS[name](X, np.ones(len(X)), C0, tol=0.0, n_threads=1)
    b = RUNNERS[name](X, np.ones(len(X)), C0, tol=0.0, n_threads=2)
    assert_same_run(a, b)


@pytest.mark.parametrize("name", sorted(RUNNERS))
def test_bounds_skip_work_on_separated_blobs(name):
    X, C0 = blobs(6000, 3, 10, seed=4, spread=20.0)
    res = RUNNERS[name](X, np.ones(len(X)), C0, tol=0.0)
    fractions = res.info["distance_fraction"]
    assert len(fractions) == res.n_iter + (res.stop_reason != "labels_unchanged")
    assert fractions[0] == 1.0  # the first pass computes everything
    assert min(fractions[1:]) < 0.2  # later passes skip most distances


@pytest.mark.parametrize("name", sorted(RUNNERS))
def test_empty_cluster_relocated_like_lloyd(name):
    X, _ = blobs(400, 2, 3, seed=5)
    C0 = np.array([X[0], X[1], [1e6, -1e6]])
    assert_same_run(RUNNERS[name](X, np.ones(400), C0, tol=0.0), lloyd.run(X, np.ones(400), C0, tol=0.0))


def test_inputs_not_mutated():
    X, C0 = blobs(500, 3, 5, seed=6)
    X_, C_ = X.copy(), C0.copy()
    for fn in RUNNERS.values():
        fn(X, np.ones(500), C0, tol=0.0)
    np.testing.assert_array_equal(X, X_)
    np.testing.assert_array_equal(C0, C_)


def test_registered_and_reachable_through_fit():
    X, _ = blobs(1000, 2, 4, seed=7)
    ref = optimeans.fit(X, 4, method="lloyd", random_state=0, refine=None)
    for name in RUNNERS:
        res = optimeans.fit(X, 4, method=name, random_state=0, refine=None)
        assert res.method == name
        np.testing.assert_array_equal(res.labels, ref.labels)
        assert res.objective == ref.objective


def test_yinyang_rejects_bad_group_count():
    X, C0 = blobs(100, 2, 4, seed=8)
    with pytest.raises(ValueError, match="n_groups"):
        accelerated.run_yinyang(X, np.ones(100), C0, n_groups=0)
    res = accelerated.run_yinyang(X, np.ones(100), C0, n_groups=99)
    assert res.options["n_groups"] == 4


def test_auto_picks_a_registered_lloyd_type_method():
    for shape, k in (((1000, 2), 5), ((1000, 50), 100), ((100000, 8), 16), ((100000, 128), 256)):
        name = resolve("auto", np.empty(shape), k)
        assert name in ("lloyd", "hamerly", "elkan", "yinyang")
