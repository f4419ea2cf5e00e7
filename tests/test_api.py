"""optimeans.fit: restarts, seeds, callbacks, the Result it returns."""

import numpy as np
import pytest

import optimeans
from optimeans.datasets import load, make_blobs


def test_same_seed_same_result_and_seed_recorded():
    X = make_blobs(2000, 3, 5, random_state=0)
    a = optimeans.fit(X, 5, random_state=7)
    b = optimeans.fit(X, 5, random_state=7)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centers, b.centers)
    assert a.seed == 7
    c = optimeans.fit(X, 5, random_state=None)
    d = optimeans.fit(X, 5, random_state=c.seed)
    np.testing.assert_array_equal(c.centers, d.centers)


def test_restarts_keep_the_best_objective():
    X = load("ruspini")
    single = [optimeans.fit(X, 8, n_init=1, random_state=s).objective for s in range(5)]
    # fit with n_init=5 uses child seeds of one seed: its best is <= each of its own runs
    best = optimeans.fit(X, 8, n_init=5, random_state=0)
    assert best.n_init == 5
    assert best.objective <= max(single) + 1e-9
    res = [optimeans.fit(X, 8, n_init=1, random_state=s) for s in range(3)]
    assert all(np.isfinite(r.objective) for r in res)


def test_callback_stops_early_with_partial_result():
    X = make_blobs(3000, 2, 20, cluster_std=3.0, random_state=1)
    seen = []

    def cb(it, obj):
        seen.append((it, obj))
        return it >= 2

    r = optimeans.fit(X, 20, n_init=1, callback=cb, random_state=0, tol=0)
    assert r.stop_reason == "callback"
    assert r.n_iter == 2
    assert not r.converged
    assert [s[0] for s in seen] == [1, 2]
    # labels still match the returned centers
    d = ((X[:, None, :] - r.centers[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(r.labels, d.argmin(1))


def test_result_objective_recomputed_in_float64():
    X = make_blobs(1000, 4, 3, random_state=3).astype(np.float32)
    r = optimeans.fit(X, 3, random_state=0)
    assert r.centers.dtype == np.float64  # centers are float64 for every input dtype
    diff = X.astype(np.float64) - r.centers.astype(np.float64)[r.labels]
    assert r.objective == pytest.approx(float((diff**2).sum()), rel=1e-12)


def test_history_is_monotone_and_stop_reason_is_known():
    X = make_blobs(5000, 2, 8, cluster_std=2.5, random_state=4)
    r = optimeans.fit(X, 8, n_init=1, random_state=1, tol=0)
    h = r.history.objective
    assert len(h) == r.n_iter
    assert np.all(np.diff(h) <= 1e-9 * h[0])
    assert r.stop_reason == "labels_unchanged"
    assert (np.diff(r.history.seconds) >= 0).all()


def test_max_iter_stop():
    X = make_blobs(5000, 2, 30, cluster_std=4.0, random_state=5)
    r = optimeans.fit(X, 30, n_init=1, max_iter=2, tol=0, random_state=0, refine=None)
    assert r.n_iter == 2 and r.stop_reason == "max_iter" and not r.converged


def test_given_centers_mean_one_restart():
    X = load("iris")
    r = optimeans.fit(X, 3, init=X[[0, 50, 100]])
    assert r.n_init == 1


def test_n_init_auto_is_the_documented_rule():
    import scipy.sparse as sp

    from optimeans._plan import SMALL_WORK, TWO_STARTS_MIN_KD, plan_runs, resolve_n_init

    rng = np.random.default_rng(0)
    tiny = rng.normal(size=(400, 4))  # n k d = 12800 < 10**6: small, three starts
    narrow = rng.normal(size=(16000, 4)).astype(np.float32)  # k = 16: n k d = 1024000, k d = 64
    wide = rng.normal(size=(1000, 64)).astype(np.float32)  # k = 16: n k d = 1024000, k d = 1024
    assert (SMALL_WORK, TWO_STARTS_MIN_KD) == (10**6, 1024)
    assert optimeans.fit(tiny, 8, random_state=0).n_init == 3
    assert optimeans.fit(narrow, 16, random_state=0, max_iter=2).n_init == 1
    # one start when the swaps refine it (the default after Lloyd-type methods), else two from k d = 1024
    assert optimeans.fit(wide, 16, random_state=0, max_iter=2).n_init == 1
    assert optimeans.fit(wide, 16, random_state=0, max_iter=2, refine=None).n_init == 2
    assert optimeans.fit(wide, 16, random_state=0, max_iter=2, refine="hartigan").n_init == 2
    assert optimeans.fit(wide, 16, method="global", random_state=0, max_iter=2).method == "global"
    assert optimeans.fit(wide[:, :63], 16, random_state=0, max_iter=2, refine=None).n_init == 1  # k d = 1008
    assert optimeans.fit(wide[:500], 16, random_state=0, max_iter=2).n_init == 3  # n k d < 10**6
    assert optimeans.fit(wide, 16, init="afkmc2", random_state=0, max_iter=2).n_init == 1
    assert optimeans.fit(wide, 16, init="afkmc2", random_state=0, max_iter=2, refine=None).n_init == 2
    assert optimeans.fit(tiny, 8, init="random", random_state=0, max_iter=2).n_init == 10
    assert optimeans.fit(tiny, 8, init=tiny[:8], max_iter=2).n_init == 1
    assert optimeans.fit(wide, 16, n_init=3, random_state=0, max_iter=2).n_init == 3
    # mini-batch: one start, dense and sparse, whatever the seeding and the size
    assert optimeans.fit(wide, 16, method="minibatch", random_state=0, max_iter=2).n_init == 1
    assert optimeans.fit(tiny, 8, method="minibatch", init="random", random_state=0, max_iter=2).n_init == 1
    assert optimeans.fit(sp.csr_matrix(tiny), 8, method="minibatch", random_state=0, max_iter=2).n_init == 1
    assert optimeans.fit(sp.csr_matrix(wide), 16, random_state=0, max_iter=2).n_init == 2
    assert optimeans.fit(sp.csr_matrix(tiny), 8, random_state=0, max_iter=2).n_init == 3
    # the KMeans estimator and the CLI's progress bar use the same rule
    assert optimeans.KMeans(16, random_state=0, max_iter=2).fit(wide).result_.n_init == 1
    assert optimeans.KMeans(16, random_state=0, max_iter=2).fit(narrow).result_.n_init == 1
    assert plan_runs("auto", "k-means++", "lloyd", 1000, 16, 64) == 1
    assert plan_runs("auto", "k-means++", "lloyd", 1000, 16, 64, refine=None) == 2
    assert resolve_n_init("auto", "k-means++", "lloyd", 16, 64, 1000, refine="swap") == 1
    assert plan_runs("auto", "k-means++", "hamerly", 200000, 16, 8) == 1
    assert plan_runs("auto", "k-means++", "lloyd", 150, 3, 4) == 3
    assert plan_runs("auto", "k-means++", "minibatch", 1000, 16, 64) == 1
    # without the shape (the Dask path), the large-k d count
    assert resolve_n_init("auto", "k-means++") == 2
    assert resolve_n_init("auto", "k-means++", "minibatch") == 1


def test_summary_is_json_ready():
    import json

    r = optimeans.fit(load("iris"), 3, random_state=0)
    s = json.loads(json.dumps(r.summary()))
    assert s["n_samples"] == 150 and s["n_clusters"] == 3
    assert sum(s["cluster_sizes"]) == 150


def test_unknown_method_is_named():
    with pytest.raises(ValueError, match="unknown method 'nope'"):
        optimeans.fit(load("iris"), 3, method="nope")


def test_empty_cluster_is_relocated_never_nan():
    # a far-away initial center attracts no point: it must be moved, not left NaN
    X = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [10.2]])
    init = np.array([[0.1], [10.1], [1e6]])
    r = optimeans.fit(X, 3, init=init, tol=0)
    assert np.isfinite(r.centers).all()
    assert len(np.unique(r.labels)) == 3


def test_float32_far_from_origin_keeps_objective_accurate():
    # values around 1e6 with unit spread: float32 centers there would be off by 0.06
    rng = np.random.default_rng(0)
    X64 = 1e6 + rng.normal(size=(4000, 2))
    X64[2000:] += 10.0
    X32 = X64.astype(np.float32)
    r32 = optimeans.fit(X32, 2, random_state=0)
    r64 = optimeans.fit(X32.astype(np.float64), 2, random_state=0)
    np.testing.assert_array_equal(r32.labels, r64.labels)
    assert r32.objective == pytest.approx(r64.objective, rel=1e-6)


@pytest.mark.parametrize("magnitude", [1e30, 1e-30])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_and_tiny_magnitudes(magnitude, dtype):
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [10.0, 10.0], [11.0, 10.0], [10.0, 11.0]])
    r_ref = optimeans.fit(X, 2, random_state=0)
    r = optimeans.fit((X * magnitude).astype(dtype), 2, random_state=0)
    assert np.isfinite(r.centers).all() and np.isfinite(r.objective)
    assert len(set(zip(r.labels, r_ref.labels))) == 2  # the same partition
    assert r.objective == pytest.approx(r_ref.objective * magnitude**2, rel=1e-5)
