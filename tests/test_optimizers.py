"""The other optimizers of the k-means objective: gd, newton, sgd, minibatch, soft, annealing.

Each test proves one claim of issue 3 (see the solvers' module docstrings).
"""

import numpy as np
import pytest

import optimeans
from optimeans.datasets import load, make_blobs
from optimeans.objective import objective
from optimeans.seeding import kmeans_plusplus, random_points
from optimeans.solvers import get, lloyd
from optimeans.solvers.gradient import run_gd, run_newton
from optimeans.solvers.soft import critical_sigma, responsibilities, run_annealing, run_soft
from optimeans.solvers.stochastic import MiniBatchState, run_minibatch, run_sgd

METHODS = ["gd", "newton", "sgd", "minibatch", "soft", "annealing"]
IRIS_OPT = 78.851441426146  # the global optimum of Iris, k=3


def _setup(X, k, seed, init="k-means++"):
    X = np.ascontiguousarray(X)
    w = np.ones(X.shape[0])
    rng = np.random.default_rng(seed)
    if init == "k-means++":
        c0 = kmeans_plusplus(X, k, w, rng)[0]
    else:
        c0 = random_points(X, k, w, rng)[0]
    return X, w, c0


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(600, 2, 6, cluster_std=2.0, random_state=3)


# --- every method through the one entry point ------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_method_through_fit(method, dtype):
    X = load("iris").astype(dtype)
    r = optimeans.fit(X, 3, method=method, random_state=0, n_init=1)
    assert r.method == method
    assert r.labels.shape == (150,)
    # labels are the nearest centers and the objective is recomputed on them
    assert r.objective == pytest.approx(objective(X.astype(np.float64), r.centers), rel=1e-9)
    assert r.objective < 1.1 * IRIS_OPT
    h = r.history
    assert len(h) >= 1 and len(h.seconds) == len(h) == len(h.passes)
    assert np.all(np.diff(h.passes) > 0) and np.all(np.diff(h.seconds) >= 0)
    for series in h.extra.values():
        assert len(series) == len(h)


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_result_on_1_and_2_threads(method):
    # more rows than one chunk (4096), so that two threads really share the work
    X = make_blobs(9000, 3, 6, cluster_std=2.0, random_state=3)
    kw = dict(method=method, random_state=5, n_init=1, max_iter=8)
    if method == "annealing":
        kw.update(cooling=0.3, sigma_min=0.05)
    a = optimeans.fit(X, 6, n_threads=1, **kw)
    b = optimeans.fit(X, 6, n_threads=2, **kw)
    np.testing.assert_array_equal(a.centers, b.centers)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.history.objective, b.history.objective)


@pytest.mark.parametrize("method", ["gd", "newton", "soft"])
def test_integer_weights_equal_repeated_rows(method):
    X = load("ruspini").astype(np.float64)
    rng = np.random.default_rng(0)
    reps = rng.integers(1, 4, size=X.shape[0])
    c0 = X[[0, 20, 40, 60]]
    a = optimeans.fit(X, 4, method=method, init=c0, sample_weight=reps.astype(float), tol=1e-10)
    b = optimeans.fit(np.repeat(X, reps, axis=0), 4, method=method, init=c0, tol=1e-10)
    np.testing.assert_allclose(a.centers, b.centers, rtol=1e-9, atol=1e-9)
    assert a.objective == pytest.approx(b.objective, rel=1e-9)


def test_inputs_not_mutated(blobs):
    X = blobs.copy()
    c0 = X[:6].copy()
    for method in METHODS:
        optimeans.fit(X, 6, method=method, init=c0, random_state=0, max_iter=5)
        np.testing.assert_array_equal(X, blobs)
        np.testing.assert_array_equal(c0, blobs[:6])


# --- newton is lloyd ---------------------------------------------------------------


def test_newton_gives_lloyds_centers_at_every_iteration():
    X = make_blobs(800, 3, 8, cluster_std=3.0, random_state=11)
    X, w, c0 = _setup(X, 8, 2, init="random")
    full = lloyd.run(X, w, c0, max_iter=300, tol=0, n_threads=1)
    assert full.n_iter >= 8  # enough iterations for the claim to mean something
    for t in range(1, full.n_iter + 1):
        a = lloyd.run(X, w, c0, max_iter=t, tol=0, n_threads=1)
        b = run_newton(X, w, c0, max_iter=t, tol=0)
        np.testing.assert_allclose(b.centers, a.centers, rtol=1e-12, atol=0)
        np.testing.assert_array_equal(b.labels, a.labels)
    b = run_newton(X, w, c0, max_iter=300, tol=0)
    assert b.n_iter == full.n_iter and b.stop_reason == full.stop_reason == "labels_unchanged"
    np.testing.assert_allclose(b.history.objective, full.history.objective, rtol=1e-12)


def test_damped_newton_takes_more_iterations_to_a_fixed_point(blobs):
    X, w, c0 = _setup(blobs, 6, 0)
    exact = run_newton(X, w, c0, tol=0)
    damped = run_newton(X, w, c0, tol=1e-13, damping=0.5)
    assert damped.n_iter > exact.n_iter
    # a stationary point: every center is the mean of its points (zero gradient)
    for j in range(6):
        np.testing.assert_allclose(damped.centers[j], X[damped.labels == j].mean(axis=0), atol=1e-5)


# --- gradient descent ----------------------------------------------------------------


def test_gd_line_search_decreases_monotonically_to_a_stationary_point(blobs):
    X, w, c0 = _setup(blobs, 6, 1)
    ref = lloyd.run(X, w, c0, tol=0)
    r = run_gd(X, w, c0, tol=1e-13, max_iter=5000)
    assert np.all(np.diff(r.history.objective) <= 1e-12 * r.history.objective[0])
    for j in range(6):  # zero gradient: every center is the mean of its points
        np.testing.assert_allclose(r.centers[j], X[r.labels == j].mean(axis=0), atol=1e-5)
    # the point of Bottou & Bengio: without the curvature it needs many more passes
    assert r.history.passes[-1] > 3 * ref.history.passes[-1]


def test_gd_reaches_lloyds_fixed_point_on_iris():
    X, w, c0 = _setup(load("iris"), 3, 0)
    ref = lloyd.run(X, w, c0, tol=0)
    r = run_gd(X, w, c0, tol=1e-13, max_iter=5000)
    np.testing.assert_array_equal(r.labels, ref.labels)
    np.testing.assert_allclose(r.centers, ref.centers, atol=1e-6)


def test_gd_fixed_step_moves_each_center_its_weight_share_towards_the_mean():
    X = np.array([[0.0], [2.0], [10.0], [11.0], [12.0]])
    w = np.ones(5)
    c0 = np.array([[0.5], [12.0]])
    r = run_gd(X, w, c0, step=0.5, max_iter=1, tol=0)
    # eta = 0.5: center j moves the fraction W_j / W of the way to its mean
    expected = np.array([[0.5 + (2 / 5) * (1.0 - 0.5)], [12.0 + (3 / 5) * (11.0 - 12.0)]])
    np.testing.assert_allclose(r.centers, expected, rtol=1e-15)
    assert r.history.passes.tolist() == [1.0, 2.0]


# --- online SGD and mini-batch -------------------------------------------------------


def _separated():
    """Three far-apart groups; any reasonable center sits in its own group."""
    rng = np.random.default_rng(0)
    mu = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 100.0]])
    labels = np.repeat([0, 1, 2], [50, 80, 120])
    X = mu[labels] + rng.standard_normal((250, 2))
    c0 = mu + 3.0
    return X, labels, c0


def test_sgd_count_rate_keeps_each_center_at_the_running_mean():
    X, labels, c0 = _separated()
    w = np.ones(len(X))
    r = run_sgd(X, w, c0, max_iter=1, tol=0, rng=np.random.default_rng(0))
    # learning rate 1/n_j from zero counts: after one epoch each center is the
    # mean of the points it received (the initial center is forgotten)
    for j in range(3):
        np.testing.assert_allclose(r.centers[j], X[labels == j].mean(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(r.info["counts"], [50, 80, 120])


def test_sgd_weighted_count_rate_gives_weighted_means():
    X, labels, c0 = _separated()
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(X))
    r = run_sgd(X, w, c0, max_iter=1, tol=0, rng=np.random.default_rng(0))
    for j in range(3):
        m = labels == j
        np.testing.assert_allclose(r.centers[j], (w[m] @ X[m]) / w[m].sum(), rtol=1e-12)


def test_sgd_schedules_and_records(blobs):
    X, w, c0 = _setup(blobs, 6, 0)
    ref = lloyd.run(X, w, c0, tol=0)
    for schedule in ("count", "constant", "inverse"):
        r = run_sgd(X, w, c0, max_iter=30, tol=1e-6, rng=np.random.default_rng(0), schedule=schedule,
                    records_per_epoch=4)
        assert r.objective < 1.02 * ref.objective, schedule
        np.testing.assert_allclose(r.history.passes[:4], [0.25, 0.5, 0.75, 1.0])
    with pytest.raises(ValueError, match="schedule"):
        run_sgd(X, w, c0, schedule="adam")
    with pytest.raises(ValueError, match="eta0"):
        run_sgd(X, w, c0, schedule="constant", eta0=2.0)


def test_minibatch_running_mean_with_per_center_rates():
    X, labels, c0 = _separated()
    w = np.ones(len(X))
    r = run_minibatch(X, w, c0, max_iter=1, tol=0, batch_size=32, max_no_improvement=None,
                      rng=np.random.default_rng(0))
    for j in range(3):
        np.testing.assert_allclose(r.centers[j], X[labels == j].mean(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(r.info["counts"], [50, 80, 120])
    assert r.info["n_steps"] == 8  # ceil(250 / 32)
    assert r.history.passes[-1] == 1.0


def test_minibatch_reassigns_starved_centers():
    X, labels, c0 = _separated()
    w = np.ones(len(X))
    dead = np.vstack([c0, [[1e4, 1e4]]])  # a fourth center no point will ever choose
    on = run_minibatch(X, w, dead, max_iter=5, tol=0, batch_size=50, max_no_improvement=None,
                       rng=np.random.default_rng(0))
    off = run_minibatch(X, w, dead, max_iter=5, tol=0, batch_size=50, max_no_improvement=None,
                        reassignment_ratio=0.0, rng=np.random.default_rng(0))
    assert on.info["n_reassigned"] >= 1 and off.info["n_reassigned"] == 0
    assert np.bincount(off.labels, minlength=4)[3] == 0
    assert np.bincount(on.labels, minlength=4)[3] > 0
    assert on.objective < off.objective


def test_minibatch_early_stopping_on_the_smoothed_objective(blobs):
    X, w, c0 = _setup(blobs, 6, 0)
    r = run_minibatch(X, w, c0, max_iter=500, tol=0, batch_size=20, max_no_improvement=3,
                      rng=np.random.default_rng(0))
    assert r.stop_reason == "tol" and r.info["early_stop"] == "max_no_improvement"
    assert r.n_iter < 500
    never = run_minibatch(X, w, c0, max_iter=3, tol=0, batch_size=20, max_no_improvement=None,
                          rng=np.random.default_rng(0))
    assert never.stop_reason == "max_iter" and never.info["n_steps"] == 3 * 30


@pytest.mark.parametrize("shuffle", ["rows", "blocks"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minibatch_parallel_assignment_matches_serial(blobs, shuffle, dtype):
    X, w, c0 = _setup(blobs.astype(dtype)[:597], 6, 0)  # 597: a short last block
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(X))
    # batches of 50 points start and end inside blocks
    opts = dict(max_iter=3, tol=0, max_no_improvement=None, batch_size=50, shuffle=shuffle)
    a = run_minibatch(X, w, c0, n_threads=1, rng=np.random.default_rng(4), **opts)
    b = run_minibatch(X, w, c0, n_threads=2, parallel_min_work=0, rng=np.random.default_rng(4), **opts)
    np.testing.assert_array_equal(a.centers, b.centers)
    assert a.info["n_steps"] == 3 * 12
    assert a.info["scanned"] == b.info["scanned"] < 1.0  # the same points were settled by the bounds
    # without bounds (and without reassignment, which samples by the distances) the same centers again
    opts["reassignment_ratio"] = 0.0
    c = run_minibatch(X, w, c0, n_threads=2, parallel_min_work=0, bounds=False, rng=np.random.default_rng(4), **opts)
    a = run_minibatch(X, w, c0, n_threads=1, rng=np.random.default_rng(4), **opts)
    b = run_minibatch(X, w, c0, n_threads=2, parallel_min_work=0, rng=np.random.default_rng(4), **opts)
    np.testing.assert_array_equal(a.centers, c.centers)
    np.testing.assert_array_equal(b.centers, c.centers)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_size", [50, 256])
def test_minibatch_bounds_skip_points_and_change_nothing(dtype, batch_size):
    from optimeans.datasets import make_blobs

    X = make_blobs(3001, 6, 8, cluster_std=1.0, dtype=dtype, random_state=3)  # a short last block
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(X))
    c0 = X[:8].copy()
    c0[5] = c0[4]  # an exact tie: the first index must win, with or without bounds
    opts = dict(max_iter=6, tol=0, max_no_improvement=None, batch_size=batch_size, reassignment_ratio=0.0,
                n_threads=1)
    plain = run_minibatch(X, w, c0, rng=np.random.default_rng(4), bounds=False, **opts)
    fast = run_minibatch(X, w, c0, rng=np.random.default_rng(4), **opts)
    np.testing.assert_array_equal(fast.centers, plain.centers)
    np.testing.assert_array_equal(fast.labels, plain.labels)
    assert plain.info["scanned"] == 1.0 and fast.options["bounds"] is True
    # every point is scanned in the first epoch; after it the bounds settle most of them
    assert 1.0 / 6 < fast.info["scanned"] < 0.5
    with pytest.raises(TypeError, match="bounds"):
        run_minibatch(X, w, c0, bounds="yes")


@pytest.mark.parametrize("bounds", [True, False])
def test_minibatch_chunked_batches_same_on_any_threads(bounds):
    from optimeans.datasets import make_blobs
    from optimeans.solvers.stochastic import MiniBatchState

    X = make_blobs(9001, 5, 6, cluster_std=1.5, random_state=2)  # more rows than one chunk: 2 threads
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(X))
    c0 = X[:6].copy()
    assert MiniBatchState(c0, X.dtype).sums_chunk == 256  # batches of 600: chunks of 256, 256 and 88 positions
    opts = dict(max_iter=4, tol=0, max_no_improvement=None, batch_size=600, bounds=bounds)
    a = run_minibatch(X, w, c0, n_threads=1, rng=np.random.default_rng(5), **opts)
    b = run_minibatch(X, w, c0, n_threads=2, parallel_min_work=0, rng=np.random.default_rng(5), **opts)
    np.testing.assert_array_equal(a.centers, b.centers)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.info["scanned"] == b.info["scanned"]
    # by default, small batches are timed both ways (serial first, then threads) and run the faster way
    c = run_minibatch(X, w, c0, n_threads=2, rng=np.random.default_rng(5), **opts)
    np.testing.assert_array_equal(a.centers, c.centers)
    assert 0 < c.info["threaded_steps"] < c.info["n_steps"] and a.info["threaded_steps"] == 0
    # one batch of all the points (36 chunks): the step moves each center to the weighted mean of its points
    one = run_minibatch(X, w, c0, n_threads=2, parallel_min_work=0, rng=np.random.default_rng(5),
                        **{**opts, "max_iter": 1, "batch_size": len(X), "reassignment_ratio": 0.0})
    near = ((X[:, None, :] - c0[None]) ** 2).sum(-1).argmin(axis=1)
    for j in range(6):
        np.testing.assert_allclose(one.centers[j], np.average(X[near == j], axis=0, weights=w[near == j]),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(one.info["counts"][j], w[near == j].sum(), rtol=1e-12)


def test_assign_bounded_keeps_canonical_labels_when_centers_move():
    from optimeans._kernels.lloyd import BLOCK, pack_centers
    from optimeans._kernels.stochastic import assign_bounded
    from optimeans.solvers.stochastic import MiniBatchState, PackedData

    rng = np.random.default_rng(0)
    n = 8 * BLOCK + 3
    X = rng.standard_normal((n, 5))
    data = PackedData(X, np.ones(n))
    order = data.block_order(None)
    C = rng.standard_normal((6, 5))
    st = MiniBatchState(C, X.dtype, batch_size=n)
    blab, blo = st.new_bounds(data)
    labels, dists = np.empty(n, dtype=np.int64), np.empty(n)
    cand = np.empty(n, dtype=np.int64)
    drift = 0.0
    scanned = []
    for step in range(6):
        cmax = pack_centers(st.centers, data.mean, data.scale, st._C2, st._cn, st._C64)
        scanned.append(assign_bounded(X, data.block_norm, data.sqnorm, data.mean, data.scale, 1.0 / data.scale**2,
                                      order, st._C2, st._cn, st._C64, 6, cmax, data.kappa, 0, n, labels, dists,
                                      blab, blo, drift, st._rel, cand, st._panels[0]))
        ref = ((X[:, None, :] - st.centers[None]) ** 2).sum(-1)
        np.testing.assert_array_equal(labels, ref.argmin(axis=1))
        np.testing.assert_allclose(dists, ref.min(axis=1), rtol=1e-6, atol=1e-9)
        move = rng.standard_normal((6, 5)) * (0.3 if step % 2 else 0.0)  # every other step the centers move
        st.centers += move
        drift += np.sqrt((move**2).sum(1)).max() * (1 + 1e-12)
    assert scanned[0] == n and min(scanned[1:]) < n // 2  # the bounds skip points, and the labels stay right


@pytest.mark.parametrize("shuffle", ["rows", "blocks"])
def test_minibatch_weighted_running_mean_whatever_the_shuffle(shuffle):
    X, labels, c0 = _separated()
    w = np.random.default_rng(2).uniform(0.1, 3.0, len(X))
    r = run_minibatch(X, w, c0, max_iter=1, tol=0, batch_size=40, max_no_improvement=None,
                      reassignment_ratio=0.0, shuffle=shuffle, rng=np.random.default_rng(0))
    for j in range(3):
        np.testing.assert_allclose(r.centers[j], np.average(X[labels == j], axis=0, weights=w[labels == j]),
                                   rtol=1e-12)
        np.testing.assert_allclose(r.info["counts"][j], w[labels == j].sum(), rtol=1e-12)
    assert r.options["shuffle"] == shuffle


def test_minibatch_shuffle_rows_mixes_sorted_data():
    # Rows sorted by group. With shuffle="blocks" a batch is made of runs of
    # consecutive rows, so the first batch misses a group and its center is
    # taken for starved and moved; shuffled rows give every batch all groups.
    X, labels, c0 = _separated()
    w = np.ones(len(X))
    runs = {s: run_minibatch(X, w, c0, max_iter=1, tol=0, batch_size=40, max_no_improvement=None,
                             shuffle=s, rng=np.random.default_rng(0)) for s in ("rows", "blocks")}
    assert runs["rows"].info["n_reassigned"] == 0
    for j in range(3):
        np.testing.assert_allclose(runs["rows"].centers[j], X[labels == j].mean(axis=0), rtol=1e-12)
    assert runs["blocks"].info["n_reassigned"] >= 1


@pytest.mark.parametrize("shuffle", ["rows", "blocks"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minibatch_labels_and_monitored_objective_are_exact(blobs, shuffle, dtype):
    from optimeans.objective import nearest_labels, objective

    X, w, c0 = _setup(blobs.astype(dtype)[:597], 6, 0)
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(X))
    r = run_minibatch(X, w, c0, max_iter=2, tol=0, max_no_improvement=None, batch_size=50, shuffle=shuffle,
                      rng=np.random.default_rng(0))
    np.testing.assert_array_equal(r.labels, nearest_labels(X, r.centers)[0])
    np.testing.assert_allclose(r.history.objective[-1], objective(X, r.centers, sample_weight=w), rtol=1e-12)
    np.testing.assert_allclose(r.history.objective[-1], r.objective, rtol=1e-12)


def test_minibatch_without_monitor_records_only_the_end(blobs):
    X, w, c0 = _setup(blobs, 6, 0)
    r = run_minibatch(X, w, c0, max_iter=4, tol=0, max_no_improvement=None, monitor=False, batch_size=100)
    assert len(r.history) == 1 and r.history.objective[0] == r.objective
    assert r.history.passes[0] == 4.0


def test_minibatch_monitor_default_follows_the_callback_as_the_sparse_one(blobs):
    # monitor=None (the default): no pass beyond the steps unless a callback wants the objective
    X, w, c0 = _setup(blobs, 6, 0)
    opts = dict(max_iter=3, tol=0, max_no_improvement=None, batch_size=100)
    quiet = run_minibatch(X, w, c0, rng=np.random.default_rng(0), **opts)
    seen = []
    watched = run_minibatch(X, w, c0, rng=np.random.default_rng(0), callback=lambda it, obj: seen.append(obj), **opts)
    assert quiet.options["monitor"] is False and len(quiet.history) == 1
    assert watched.options["monitor"] is True and len(watched.history) == 3 and len(seen) == 3
    np.testing.assert_array_equal(quiet.centers, watched.centers)  # monitoring does not change the run
    with pytest.raises(TypeError, match="monitor must be True, False or None"):
        run_minibatch(X, w, c0, monitor="yes")
    # compare asks for the curve
    from optimeans.compare import compare

    cmp = compare(X, 6, ["minibatch"], max_iter=3, tol=0, warmup=False,
                  options={"minibatch": {"max_no_improvement": None}})
    assert cmp.results["minibatch"].options["monitor"] is True and len(cmp.results["minibatch"].history) == 3


def test_minibatch_state_streams_batches_like_one_epoch():
    X, labels, c0 = _separated()
    w = np.ones(len(X))
    st = MiniBatchState(c0, X.dtype, batch_size=50)
    rng = np.random.default_rng(0)
    perm = rng.permutation(250)  # a stream in random order: every batch meets every group
    for start in range(0, 250, 50):
        rows = perm[start:start + 50]
        st.step(np.ascontiguousarray(X[rows]), w[rows], rng)
    for j in range(3):
        np.testing.assert_allclose(st.centers[j], X[labels == j].mean(axis=0), rtol=1e-12)
    assert st.n_steps == 5


@pytest.mark.parametrize("bad, match", [
    ({"batch_size": 0}, "batch_size"),
    ({"max_no_improvement": 0}, "max_no_improvement"),
    ({"reassignment_ratio": 1.5}, "reassignment_ratio"),
    ({"records_per_epoch": 0}, "records_per_epoch"),
    ({"shuffle": "points"}, "shuffle"),
])
def test_minibatch_option_errors(bad, match, blobs):
    with pytest.raises(ValueError, match=match):
        optimeans.fit(blobs, 3, method="minibatch", **bad)


# --- soft k-means and annealing ------------------------------------------------------


@pytest.mark.parametrize("sigma", [2.0, 0.7, 0.3])
@pytest.mark.parametrize("mixing", ["equal", "learned"])
def test_soft_free_energy_never_decreases(sigma, mixing, blobs):
    X, w, c0 = _setup(blobs, 6, 2, init="random")
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(X))
    r = run_soft(X, w, c0, sigma=sigma, mixing=mixing, tol=0, max_iter=300)
    F = r.history.extra["free_energy"]
    assert len(F) > 5
    assert np.all(np.diff(F) >= -1e-12 * np.abs(F[:-1])), np.diff(F).min()
    assert F[-1] > F[0]
    assert r.info["mixing_weights"].sum() == pytest.approx(1.0)


def test_soft_free_energy_formula():
    """F after the E-step equals -sum g d - T sum g log g (equal weights)."""
    X, w, c0 = _setup(load("iris"), 3, 0)
    sigma = 0.4
    r = run_soft(X, w, c0, sigma=sigma, max_iter=1, tol=0)
    T = 2 * sigma**2
    g = responsibilities(X, c0, sigma)
    d = ((X[:, None, :] - c0[None, :, :]) ** 2).sum(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = np.where(g > 0, g * np.log(g), 0.0)
    F = -(g * d).sum() - T * ent.sum()
    assert r.history.extra["free_energy"][0] == pytest.approx(F, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_soft_pass_serial_kernel_matches_parallel(dtype):
    """The serial kernel (used up to one chunk of rows) gives the parallel kernel's figures, bit for bit."""
    from optimeans._kernels import soft as K
    from optimeans._kernels.lloyd import CHUNK

    rng = np.random.default_rng(3)
    X = rng.normal(size=(CHUNK + 300, 3)).astype(dtype)  # two chunks, the second short
    w = rng.uniform(0.5, 2.0, len(X))
    C = X[[0, 7, 50, 900]].copy()
    log_pi = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    out = []
    for kernel in (K._soft_pass_serial, K._soft_pass_parallel):
        bufs = [np.full((2, 4, 3), np.nan), np.full((2, 4), np.nan), np.full(2, np.nan), np.full(2, np.nan),
                np.full(2, np.nan)]
        kernel(X, w, C, log_pi, 1.0 / 0.7, *bufs)
        out.append(bufs)
    for a, b in zip(*out):
        assert np.isfinite(a).all()
        np.testing.assert_array_equal(a, b)
    assert out[0][4].sum() > 0.0  # soft assignments: the responsibilities matter


def test_soft_kmeans_as_sigma_goes_to_zero_is_lloyd():
    X, w, c0 = _setup(load("iris"), 3, 0)
    ref = lloyd.run(X, w, c0, tol=0)
    gaps = []
    for sigma in (1.0, 0.3, 0.1, 0.01):
        r = run_soft(X, w, c0, sigma=sigma, tol=0, max_iter=1000)
        gaps.append(np.abs(r.centers - ref.centers).max())
    assert gaps[0] > gaps[1] > gaps[2] > gaps[3]
    np.testing.assert_array_equal(r.labels, ref.labels)
    np.testing.assert_allclose(r.centers, ref.centers, rtol=1e-12)
    assert r.objective == pytest.approx(ref.objective, rel=1e-12)
    # and the responsibilities became the nearest-center indicators
    g = responsibilities(X, r.centers, 0.01)
    np.testing.assert_array_equal(g.argmax(axis=1), ref.labels)
    assert g.max(axis=1).min() > 1 - 1e-9


def test_responsibilities_rows_sum_to_one_and_mixing_matters():
    X, w, c0 = _setup(load("iris"), 3, 0)
    g = responsibilities(X, c0, 0.8)
    np.testing.assert_allclose(g.sum(axis=1), 1.0, rtol=1e-12)
    g2 = responsibilities(X, c0, 0.8, mixing_weights=[0.98, 0.01, 0.01])
    assert g2[:, 0].mean() > g[:, 0].mean()
    with pytest.raises(ValueError, match="sigma"):
        responsibilities(X, c0, -1.0)


def test_annealing_reaches_the_iris_optimum_where_lloyd_does_not():
    X = load("iris")
    w = np.ones(150)
    worse = 0
    for seed in range(6):
        c0 = random_points(X, 3, w, np.random.default_rng(seed))[0]
        lo = lloyd.run(X, w, c0, tol=0)
        an = run_annealing(X, w, c0, tol=1e-6)
        assert an.objective == pytest.approx(IRIS_OPT, rel=1e-12)
        worse += lo.objective > IRIS_OPT * (1 + 1e-9)
    assert worse >= 1  # plain Lloyd fell into a worse local minimum from some of these starts


def test_annealing_history_cools_then_hardens():
    X, w, c0 = _setup(load("iris"), 3, 0)
    r = run_annealing(X, w, c0)
    s = r.history.extra["sigma"]
    assert s[0] == pytest.approx(1.2 * critical_sigma(X, w))
    assert np.all(np.diff(s) <= 0)
    assert s[-1] == 0.0 and r.info["levels"] > 5
    # above the critical temperature all centers sit at the mean, where
    # F = T sum_i log sum_j exp(-d_ij / T) = T W log k - (total scatter)
    total = ((X - X.mean(0)) ** 2).sum()
    T0 = 2 * s[0] ** 2
    assert r.history.extra["free_energy"][0] == pytest.approx(T0 * 150 * np.log(3) - total, rel=1e-4)
    # hard phase: F = -E
    hard = s == 0
    np.testing.assert_allclose(r.history.extra["free_energy"][hard], -r.history.objective[hard])


@pytest.mark.parametrize("method, bad, match", [
    ("soft", {"sigma": 0.0}, "sigma"),
    ("soft", {"sigma": "big"}, "sigma"),
    ("soft", {"mixing": "free"}, "mixing"),
    ("annealing", {"cooling": 1.0}, "cooling"),
    ("annealing", {"sigma_min": -1.0}, "sigma_min"),
    ("gd", {"step": "armijo"}, "step"),
    ("gd", {"step": -1.0}, "step"),
    ("gd", {"armijo": 1.0}, "armijo"),
    ("newton", {"damping": 2.0}, "damping"),
])
def test_option_errors_name_the_option(method, bad, match):
    with pytest.raises(ValueError, match=match):
        optimeans.fit(load("iris"), 3, method=method, **bad)


def test_registry_knows_every_method():
    for m in METHODS:
        assert m in optimeans.methods()
        assert callable(get(m))


# --- kernels against a short NumPy reference ----------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_assign_span_kernel_matches_numpy(dtype):
    from optimeans._kernels.lloyd import BLOCK, pack_centers
    from optimeans._kernels.stochastic import add_batch, assign_span
    from optimeans.solvers.stochastic import MiniBatchState, PackedData

    rng = np.random.default_rng(0)
    n = 6 * BLOCK + 5  # full blocks and a short last one
    X = rng.standard_normal((n, 5)).astype(dtype)
    w = rng.uniform(0.5, 2.0, n)
    C = rng.standard_normal((7, 5)).astype(dtype)
    C[3] = C[2]  # an exact tie: the first index must win
    data = PackedData(X, w)
    order = data.block_order(rng)
    assert order[-1] == n // BLOCK and sorted(order) == list(range(n // BLOCK + 1))  # the short block stays last
    st = MiniBatchState(C, dtype, batch_size=n)
    cmax = pack_centers(st.centers, data.mean, data.scale, st._C2, st._cn, st._C64)
    s, e = 3, n - 2  # partial blocks at both ends
    labels = np.empty(e - s, dtype=np.int64)
    dists = np.empty(e - s)
    dp = st._C64.shape[1]
    sums = np.zeros(7 * dp)
    weights = np.zeros(7)
    assign_span(data.XT, X, data.block_norm, data.sqnorm, 1.0 / data.scale**2, order,
                st._C2, st._cn, st._C64, 7, cmax, data.kappa, s, e, s, labels, dists)
    obj = add_batch(X, data.weights, order, s, e - s, labels, dists, sums, weights)
    pos = np.arange(s, e)
    rows = order[pos // BLOCK] * BLOCK + pos % BLOCK
    ref = ((X[rows, None, :].astype(np.float64) - C[None].astype(np.float64)) ** 2).sum(-1)
    np.testing.assert_array_equal(labels, ref.argmin(axis=1))
    assert not np.any(labels == 3)
    np.testing.assert_allclose(dists, ref.min(axis=1), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(obj, np.dot(w[rows], ref.min(axis=1)), rtol=1e-5)
    for j in range(7):
        sel = rows[labels == j]
        np.testing.assert_allclose(weights[j], w[sel].sum(), rtol=1e-12)
        np.testing.assert_allclose(sums[j * dp:j * dp + 5], (w[sel, None] * X[sel]).sum(axis=0), rtol=1e-9, atol=1e-9)


def test_small_change_is_the_relative_convergence_test():
    from optimeans.solvers._common import small_change

    assert not small_change(np.inf, 5.0, 0.1)  # no previous value yet
    assert small_change(100.0, 95.0, 0.1) and not small_change(100.0, 85.0, 0.1)
    assert small_change(100.0, 101.0, 0.0)  # worse counts as no progress
    assert small_change(-(-10.0), -(-9.5), 0.1)  # a rising quantity, negated
    assert not small_change(10.0, 8.0, 0.1) and small_change(-10.0, -10.5, 0.1)
