from pathlib import Path

import numpy as np
import pytest

import optimeans
from optimeans.exact.search import global_search, run

DATA = Path(__file__).parent / "data"
RUSPINI_OPT = {2: 89337.832142857, 4: 12881.051236147, 8: 6149.639019314}


def _same_partition(a, b):
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@pytest.mark.parametrize("k", [2, 4, 8])
@pytest.mark.parametrize("seed", range(5))
def test_ruspini_optimal_assignment_every_seed(k, seed):
    X = optimeans.datasets.load("ruspini")
    r = optimeans.fit(X, k, method="global", random_state=seed)
    assert r.method == "global"
    assert r.objective == pytest.approx(RUSPINI_OPT[k], rel=1e-11)
    ref = np.loadtxt(DATA / f"ruspini_optimal_assignment_k{k}.txt", dtype=np.int64)
    assert _same_partition(r.labels, ref)


def test_ruspini_k8_single_start_beats_restarts_of_lloyd():
    # Lloyd from the same k-means++ starts usually stops above the optimum
    X = optimeans.datasets.load("ruspini")
    lloyd = [optimeans.fit(X, 8, method="lloyd", n_init=1, random_state=s).objective for s in range(10)]
    glob = [optimeans.fit(X, 8, method="global", n_init=1, random_state=s).objective for s in range(10)]
    assert max(glob) == pytest.approx(RUSPINI_OPT[8], rel=1e-11)
    assert min(lloyd) >= RUSPINI_OPT[8] * (1 - 1e-12)
    assert sum(v > RUSPINI_OPT[8] * (1 + 1e-9) for v in lloyd) >= 5


def _optkmeans_sample():
    rows = np.loadtxt(DATA / "optkmeans_results.csv", delimiter=",", comments="#")
    rows = [(int(k), int(d), int(n), float(v)) for k, d, n, v in rows]
    # the largest prefix of every (k, d)
    out = []
    for k in (2, 3):
        for d in (2, 3, 4, 5):
            sel = [r for r in rows if r[0] == k and r[1] == d]
            out.append(sel[-1])
    # prefixes where ten jump candidates per center were too few with k = 2
    # (found by benchmarks/bench_branch_bound.py optkmeans over all 906)
    out += [r for r in rows if (r[0], r[1], r[2]) in {(2, 3, 145), (2, 2, 225), (2, 4, 71)}]
    return out


@pytest.mark.parametrize("k,d,n,value", _optkmeans_sample())
def test_optkmeans_optima_reached(k, d, n, value):
    X = np.loadtxt(DATA / f"optkmeans_linux{d}.txt", delimiter=",")[:n]
    for seed in range(3):
        r = optimeans.fit(X, k, method="global", random_state=seed)
        assert abs(r.objective - value) <= max(5.1e-7, 5.1e-6 * value), seed


def test_never_worse_than_lloyd_from_same_start():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 1.0, size=(40, 3)) for c in rng.uniform(-8, 8, size=(12, 3))])
    w = np.ones(len(X))
    for seed in range(4):
        init = X[np.random.default_rng(seed).choice(len(X), 12, replace=False)]
        lloyd = optimeans.fit(X, 12, method="lloyd", init=init, tol=0)
        res = run(X, w, init.copy(), rng=np.random.default_rng(seed))
        assert res.objective <= lloyd.objective * (1 + 1e-12)
        assert np.all(np.diff(res.history.objective) <= 1e-9 * res.history.objective[0])


@pytest.mark.parametrize("k", [6, 12])  # without and with the genetic search
def test_threads_and_repeat_give_same_result(k):
    X = optimeans.datasets.load("iris")
    a = optimeans.fit(X, k, method="global", random_state=3, n_threads=1)
    b = optimeans.fit(X, k, method="global", random_state=3, n_threads=2)
    c = optimeans.fit(X, k, method="global", random_state=3, n_threads=2)
    assert (a.info["generations"] > 0) == (k >= 10)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(b.labels, c.labels)
    assert a.objective == b.objective == c.objective
    np.testing.assert_array_equal(a.history.objective, b.history.objective)


def test_weights_equal_repeated_rows():
    X = optimeans.datasets.load("ruspini")
    counts = np.tile([1, 2, 3], 25)
    rep = np.repeat(X, counts, axis=0)
    a = optimeans.fit(X, 5, method="global", sample_weight=counts.astype(float), random_state=0)
    b = optimeans.fit(rep, 5, method="global", random_state=0)
    assert a.objective == pytest.approx(b.objective, rel=1e-10)


def test_float32_input():
    X = optimeans.datasets.load("ruspini").astype(np.float32)
    r = optimeans.fit(X, 4, method="global", random_state=0)
    assert r.objective == pytest.approx(RUSPINI_OPT[4], rel=1e-6)


def test_time_limit_stops_search():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 4))
    r = optimeans.fit(X, 60, method="global", n_init=1, random_state=0, time_limit=0.05)
    assert r.stop_reason == "time_limit"
    assert not r.converged
    assert r.objective == pytest.approx(optimeans.objective(X, r.centers, r.labels), rel=1e-9)


def test_callback_stops_search():
    X = optimeans.datasets.load("iris")
    seen = []
    r = optimeans.fit(X, 7, method="global", n_init=1, random_state=0, callback=lambda it, obj: seen.append(obj) or True)
    assert r.stop_reason == "callback" and len(seen) == 1


def test_global_search_helper_matches_bnb_on_small_set():
    from optimeans.exact import branch_and_bound

    X = np.loadtxt(DATA / "optkmeans_linux3.txt", delimiter=",")[:25]
    w = np.ones(len(X))
    labels, value = global_search(X, w, 3, np.random.default_rng(0), n_starts=2)
    assert value == pytest.approx(branch_and_bound(X, 3).objective, rel=1e-10)
    assert labels.shape == (25,)


def test_global_search_runs_the_population_for_the_exact_solvers():
    """300 uniform points, k = 25 (as below): two starts of breathing and jumps alone
    (``population=1``) stop 0.1 % above the value the genetic search reaches from seeds 0,
    1 and 3; with it (the default) every seed reaches it, and the labels carry the value."""
    X = np.random.default_rng(0).uniform(size=(300, 2))
    w = np.ones(len(X))
    full = [global_search(X, w, 25, np.random.default_rng(s), n_starts=2) for s in (0, 1, 3)]
    best = full[0][1]
    for labels, value in full:
        assert value == pytest.approx(best, rel=1e-10)
        centers = np.array([X[labels == j].mean(0) for j in range(25)])
        assert value == pytest.approx(optimeans.objective(X, centers, labels), rel=1e-10)
    for s in (0, 1, 3):
        _, alone = global_search(X, w, 25, np.random.default_rng(s), n_starts=2, population=1)
        assert alone > best * (1 + 1e-4)


def test_global_search_population_stops_at_the_time_limit():
    # a budget far below one generation: the search still returns a valid partition
    rng = np.random.default_rng(2)
    X = rng.normal(size=(1500, 2))
    w = np.ones(len(X))
    labels, value = global_search(X, w, 30, np.random.default_rng(0), n_starts=3, time_limit=1e-3)
    _, first = global_search(X, w, 30, np.random.default_rng(0), n_starts=1, population=1)
    assert value == first  # only the first start ran, and no generation
    assert labels.shape == (1500,) and len(np.unique(labels)) == 30


@pytest.mark.parametrize(
    "opt,bad",
    [("m", 0), ("m", 2.5), ("time_limit", -1.0), ("time_limit", "1"), ("population", 0), ("population", 1.5),
     ("max_stall", -1), ("max_stall", True)],
)
def test_bad_options(opt, bad):
    with pytest.raises(ValueError, match=opt):
        optimeans.fit(optimeans.datasets.load("iris"), 3, method="global", **{opt: bad})


@pytest.mark.parametrize("name,k", [("iris", 7), ("ruspini", 5)])
def test_serial_plusplus_matches_package_seeding(name, k):
    from optimeans.exact.search import plusplus
    from optimeans.seeding import kmeans_plusplus

    X = optimeans.datasets.load(name)
    for seed in range(5):
        a = plusplus(X, k, np.random.default_rng(seed))
        b, _ = kmeans_plusplus(X, k, np.ones(len(X)), np.random.default_rng(seed))
        np.testing.assert_array_equal(a, b)
    r = optimeans.fit(X, k, method="global", init=plusplus, random_state=0)
    assert r.method == "global"


@pytest.mark.parametrize("seed", range(4))
def test_serial_lloyd_kernel_reaches_a_lloyd_fixed_point(seed):
    from optimeans._kernels.search import lloyd_serial

    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(c, 1.0, size=(60, 2)) for c in rng.uniform(-10, 10, size=(9, 2))])
    w = rng.uniform(0.5, 2.0, size=len(X)) if seed % 2 else np.ones(len(X))
    centers = X[rng.choice(len(X), 9, replace=False)].copy()
    labels = np.empty(len(X), dtype=np.int64)
    mind = np.empty(len(X))
    # reference: plain Lloyd in NumPy from the same centers
    ref = centers.copy()
    for _ in range(300):
        lab = ((X[:, None, :] - ref[None]) ** 2).sum(2).argmin(1)
        new = np.array([(w[lab == j, None] * X[lab == j]).sum(0) / w[lab == j].sum() for j in range(9)])
        if np.allclose(new, ref, rtol=0, atol=0):
            break
        ref = new
    it, obj = lloyd_serial(X, w, centers, labels, mind, 300)
    np.testing.assert_array_equal(labels, lab)
    np.testing.assert_allclose(centers, ref, rtol=1e-12)
    assert obj == pytest.approx(float((w * ((X - centers[labels]) ** 2).sum(1)).sum()), rel=1e-12)
    np.testing.assert_allclose(mind, ((X - centers[labels]) ** 2).sum(1), rtol=1e-12)


def test_auto_runs_one_search_on_large_problems_and_three_on_small():
    rng = np.random.default_rng(0)
    big = rng.normal(size=(2000, 2)) + 8 * rng.integers(0, 7, size=(2000, 1))
    # population=1: this test is about n_init only
    assert optimeans.fit(big, 50, method="global", random_state=0, time_limit=5, population=1).n_init == 1  # n k = 100000
    assert optimeans.fit(big, 50, method="global", random_state=0, n_init=2, time_limit=5, population=1).n_init == 2
    assert optimeans.fit(big[:500], 5, method="global", random_state=0).n_init == 3
    assert optimeans.fit(big, 50, method="lloyd", random_state=0).n_init == 3


def test_iris_k10_default_search_reaches_the_proven_optimum():
    """Iris, k = 10: 25.834055 is the optimum proved by the SDP branch and bound
    (benchmarks/bench_branch_bound.py frontier --sets iris --ks 10, gap 3.4e-5 at gap_tol 1e-4,
    and no partition found below it). With a jump budget of 200, seed 0 ended at 25.849464."""
    from sklearn.datasets import load_iris

    X = load_iris().data.astype(np.float64)
    r = optimeans.fit(X, 10, method="global", random_state=0)
    assert r.objective <= 25.834055 * (1 + 1e-7)
    # and the proven bound: no partition lies below 25.834055 * (1 - 1e-4)
    assert r.objective >= 25.834055 * (1 - 1e-4)


def test_crossover_takes_one_center_of_each_matched_pair_from_both_parents():
    from scipy.optimize import linear_sum_assignment

    from optimeans.exact.search import crossover

    rng = np.random.default_rng(0)
    a = rng.normal(size=(12, 3))
    b = rng.normal(size=(12, 3))
    cost = ((a[:, None] - b[None]) ** 2).sum(2)
    rows, cols = linear_sum_assignment(cost)
    for seed in range(5):
        child = crossover(a, b, np.random.default_rng(seed))
        from_a = np.all(child == a[rows], axis=1)
        from_b = np.all(child == b[cols], axis=1)
        assert np.all(from_a | from_b)  # row i is one center of the i-th matched pair
        assert from_a.any() and from_b.any()  # neither parent returned whole
    # a permuted, slightly moved copy is matched center by center
    perm = rng.permutation(12)
    child = crossover(a, a[perm] + 1e-9, np.random.default_rng(1))
    np.testing.assert_allclose(child, a, atol=1e-8)


def test_mutate_moves_one_center_onto_a_row_away_from_the_others():
    from optimeans.exact.search import mutate

    X = np.vstack([np.zeros((20, 2)), np.full((20, 2), 10.0), [[50.0, 50.0]]])
    w = np.ones(len(X))
    centers = np.array([[0.0, 0.0], [10.0, 10.0], [0.0, 0.0]])  # two centers on the first group
    n_moved = 0
    for seed in range(10):
        out = mutate(X, w, centers, np.random.default_rng(seed))
        moved = np.flatnonzero(np.any(out != centers, axis=1))
        assert len(moved) <= 1
        n_moved += len(moved)
        if len(moved):
            # rows at squared distance 0 from the other centers are never drawn
            assert any(np.array_equal(out[moved[0]], x) for x in X)
            others = np.delete(out, moved[0], axis=0)
            assert ((others - out[moved[0]]) ** 2).sum(1).min() > 0
    assert n_moved >= 5


def test_population_reaches_what_restarts_of_breathing_and_jumps_miss():
    """300 uniform points, k = 25: one search of breathing and jumps (``population=1``) from
    seeds 1 and 2 stops 0.1 % above the value that the default search (population of 10,
    crossover, mutation) reaches from seeds 0, 1 and 2."""
    X = np.random.default_rng(0).uniform(size=(300, 2))
    full = [optimeans.fit(X, 25, method="global", n_init=1, random_state=s) for s in range(3)]
    best = full[0].objective
    assert all(r.objective == pytest.approx(best, rel=1e-10) for r in full)
    assert all(r.info["generations"] >= 1 for r in full)
    for s in (1, 2):
        alone = optimeans.fit(X, 25, method="global", n_init=1, population=1, random_state=s)
        assert alone.info["generations"] == 0
        assert alone.objective > best * (1 + 1e-4)


def test_population_budget():
    from optimeans.exact.search import population_budget

    assert population_budget(1060, 50) == population_budget(1060, 40) == 300  # what u1060 needs
    assert population_budget(300, 25) == 100  # 4 k below 560 points
    assert population_budget(683, 20) == 97  # n / 140 per cluster between 560 and 1120 points
    assert population_budget(2152, 40) == 185  # 1.6e7 / (n k)
    assert population_budget(75, 8) == 0  # below 10 clusters
    assert population_budget(2000, 50) == population_budget(20000, 50) == 0  # n k >= 1e5: one search, no population
