"""Column generation for planar k-means (optimeans.exact.colgen): the LP route against enumeration."""

from __future__ import annotations

import numpy as np
import pytest

from optimeans.exact import enumerate_partitions
from optimeans.exact.colgen import _aggregate, _whole_columns, branch_and_price, lp_bound


def _optimum(X, k):
    return float(enumerate_partitions(X, k).objective.min())


@pytest.mark.parametrize("k", [2, 3, 4, 5])
@pytest.mark.parametrize("seed", [0, 1])
def test_branch_and_price_equals_enumeration(seed, k):
    X = np.random.default_rng(seed).normal(size=(11, 2))
    best = _optimum(X, k)
    r = branch_and_price(X, k, time_limit=None, n_seeds=5)
    assert r.proven_optimal and r.method == "lp"
    assert r.objective == pytest.approx(best, rel=1e-12, abs=1e-12)
    assert r.lower_bound <= best * (1 + 1e-12)
    assert r.lower_bound >= best * (1 - 1e-9)


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_the_bound_from_a_poor_start_is_valid_and_closes(k):
    # seeded with one poor partition only and a bad incumbent: the tree must still close on the optimum
    rng = np.random.default_rng(40 + k)
    X = rng.normal(size=(12, 2)) * [3.0, 1.0]
    w = rng.uniform(0.5, 2.0, size=12)
    best = float(enumerate_partitions(X, k, sample_weight=w).objective.min())
    poor = np.arange(12) % k
    upper = sum(float((w[poor == j] * ((X[poor == j] - np.average(X[poor == j], 0, w[poor == j])) ** 2).sum(1)).sum())
                for j in range(k))
    assert upper > best * (1 + 1e-6)
    bound, info = lp_bound(X, w, k, [poor], upper, rtol=1e-10, max_nodes=500)
    assert bound <= best * (1 + 1e-12)
    assert info["closed"] and info["better"] is not None
    labels = info["better"]
    value = sum(float((w[labels == j] * ((X[labels == j] - np.average(X[labels == j], 0, w[labels == j])) ** 2)
                       .sum(1)).sum()) for j in range(k))
    assert value == pytest.approx(best, rel=1e-9)
    assert bound >= best * (1 - 1e-9)


def test_aggregation_gives_the_same_bound_with_fewer_rows(monkeypatch):
    from optimeans.exact import colgen

    X = np.random.default_rng(7).normal(size=(40, 2)) + np.repeat(np.eye(2) * 6, 20, axis=0)
    w = np.ones(40)
    halves = np.repeat([0, 1], 20)
    upper = sum(float(((X[halves == j] - X[halves == j].mean(0)) ** 2).sum()) for j in range(2))
    rows = []
    monkeypatch.setattr(colgen, "TRACE", lambda t: rows.append(t["rows"]))
    b_agg, i_agg = lp_bound(X, w, 2, [halves], upper, aggregate=True, max_nodes=1)
    agg_rows, rows[:] = list(rows), []
    b_all, i_all = lp_bound(X, w, 2, [halves], upper, aggregate=False, max_nodes=1)
    assert b_agg == pytest.approx(b_all, rel=1e-8)
    assert i_all["lp_rows"] == 41 and set(rows) == {41}  # a row per point and the cardinality row
    # the aggregated LP starts from the incumbent's two clusters and splits them as columns cut through them
    assert agg_rows[0] == 3 and agg_rows[0] < i_all["lp_rows"]
    assert agg_rows == sorted(agg_rows)


def test_aggregates_are_the_groups_every_column_holds_together():
    cols = [np.array([0, 1, 2]), np.array([3, 4]), np.array([0, 1, 3, 4])]
    agg, R = _aggregate(cols, 6)
    assert R == 4  # {0, 1}, {2}, {3, 4}, {5}
    assert agg[0] == agg[1] and agg[3] == agg[4]
    assert len({agg[0], agg[2], agg[3], agg[5]}) == 4
    for c in cols:  # every column is a union of whole aggregates
        inside = set(agg[c])
        assert all(agg[i] not in inside for i in range(6) if i not in c)


def test_raw_scale_planar_data_gets_a_positive_bound():
    # pr299 as given (coordinates in the thousands): HiGHS used to stop after ~94 rounds with a negative bound
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[2] / "shared" / "datasets" / "frontier" / "cg-dca" / "pr299.txt"
    if not path.exists():
        path = pathlib.Path("/work/shared/datasets/frontier/cg-dca/pr299.txt")
    if not path.exists():
        pytest.skip("pr299.txt (frontier data, not shipped) is not on this machine")
    X = np.loadtxt(path, skiprows=1)
    assert X.max() > 1e3
    r = branch_and_price(X, 4, time_limit=20, n_seeds=20, max_nodes=1)
    # the root LP keeps going (no solver failure) and every bound it certifies is positive and valid
    assert r.info["lp_rounds"] >= 3
    assert 0 < r.lower_bound <= r.objective


def test_branch_and_price_refuses_other_dimensions():
    with pytest.raises(ValueError, match="X must have 2 columns"):
        branch_and_price(np.zeros((10, 3)) + np.arange(10)[:, None], 2)
    with pytest.raises(ValueError, match="time_limit"):
        branch_and_price(np.random.default_rng(0).normal(size=(10, 2)), 2, time_limit=0)


@pytest.mark.parametrize("seed", range(5))
def test_whole_columns_are_those_that_keep_every_aggregate_whole(seed):
    """The columns kept for the restricted LP, and their aggregates, against a per-column check."""
    rng = np.random.default_rng(seed)
    G = int(rng.integers(5, 40))
    R = int(rng.integers(1, G + 1))
    agg = np.concatenate([np.arange(R), rng.integers(0, R, size=G - R)])
    rng.shuffle(agg)
    cols = []
    for _ in range(int(rng.integers(0, 30))):
        if rng.uniform() < 0.5:  # a union of whole aggregates
            pick = rng.choice(R, size=int(rng.integers(1, R + 1)), replace=False)
            cols.append(np.flatnonzero(np.isin(agg, pick)).astype(np.int64))
        else:
            cols.append(np.sort(rng.choice(G, size=int(rng.integers(1, G + 1)), replace=False)).astype(np.int64))
    keep, rcols = _whole_columns(cols, agg, R)
    want = [j for j, c in enumerate(cols)
            if all(np.isin(np.flatnonzero(agg == a), c).all() for a in np.unique(agg[c]))]
    assert keep == want
    assert len(rcols) == len(keep)
    for j, rc in zip(keep, rcols):
        np.testing.assert_array_equal(rc, np.unique(agg[cols[j]]))


def _pricing_over_every_disk(X, w, lam):
    """The planar pricing without the grid: every candidate point against every disk (numpy, O(n^3)); also
    the best value at the points of each circle and at its center."""
    pos = np.flatnonzero(lam > 0)
    r = np.sqrt(np.maximum(lam, 0.0) / w)
    # (point, circles through it, the disks whose best set it may be)
    points = [(X[i, 0] + r[i], X[i, 1], i, -1, (i,)) for i in pos] + [(X[i, 0], X[i, 1], -1, -1, (i,)) for i in pos]
    for a in pos:
        for b in pos[pos > a]:
            d = X[b] - X[a]
            D = float(np.hypot(*d))
            if D == 0 or D > r[a] + r[b] or D < abs(r[a] - r[b]):
                continue
            t = (r[a] ** 2 - r[b] ** 2 + D * D) / (2 * D)
            h = np.sqrt(max(r[a] ** 2 - t * t, 0.0))
            m = X[a] + t * d / D
            for sgn in (-1.0, 1.0):
                points.append((m[0] - sgn * h * d[1] / D, m[1] + sgn * h * d[0] / D, a, b, (a, b)))
    best = float(lam.max())
    per_disk = np.full(len(X), -np.inf)
    for px, py, a, b, owners in points:
        s = lam - w * ((X - (px, py)) ** 2).sum(1)
        inside = (s > 0) & (lam > 0)
        for ia in ((False, True) if a >= 0 else (None,)):
            for ib in ((False, True) if b >= 0 else (None,)):
                m = inside.copy()
                if a >= 0:
                    m[a] = ia
                if b >= 0:
                    m[b] = ib
                if m.any():
                    c = (w[m, None] * X[m]).sum(0) / w[m].sum()
                    v = float(lam[m].sum() - (w[m] * ((X[m] - c) ** 2).sum(1)).sum())
                    best = max(best, v)
                    for o in owners:
                        per_disk[o] = max(per_disk[o], v)
    return best, per_disk


@pytest.mark.parametrize("seed", range(4))
def test_grid_pricing_equals_pricing_over_every_disk(seed):
    """The pricing's grid (disks listed per cell) misses no disk: the same maximum as looking at every disk,
    also with one disk far larger than the others; each disk's best set carries the value reported."""
    from optimeans._kernels.colgen import price_plane_columns

    rng = np.random.default_rng(seed)
    n = 45
    X = rng.uniform(0, 10, size=(n, 2))
    w = rng.uniform(0.5, 2.0, size=n) if seed % 2 else np.ones(n)
    lam = rng.uniform(-0.5, 4.0, size=n)
    if seed >= 2:
        lam[0] = 60.0  # a radius of several cells
    none = np.zeros(0, dtype=np.int64)
    top_val, top_set = np.full(5, -np.inf), np.zeros((5, n), dtype=bool)
    disk_val, disk_set = np.full(n, -np.inf), np.zeros((n, n), dtype=bool)
    value, exact = price_plane_columns(X, w, lam, none, none, top_val, top_set, disk_val, disk_set)
    assert exact
    ref, ref_disk = _pricing_over_every_disk(X, w, lam)
    assert value == pytest.approx(ref, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(disk_val, ref_disk, rtol=1e-9, atol=1e-12)
    assert value == pytest.approx(top_val.max(), rel=1e-12)
    found = np.flatnonzero(disk_val > -np.inf)
    assert len(found) == int((lam > 0).sum())  # every disk of positive radius has its best set
    assert len({disk_set[i].tobytes() for i in found}) > 5  # more distinct columns than the overall best few
    for i in found:
        m = disk_set[i]
        c = (w[m, None] * X[m]).sum(0) / w[m].sum()
        assert disk_val[i] == pytest.approx(lam[m].sum() - float((w[m] * ((X[m] - c) ** 2).sum(1)).sum()), rel=1e-9,
                                            abs=1e-12)
        assert disk_val[i] <= value + 1e-12


def _random_master(rng, R, m, k):
    from optimeans.exact.colgen import _Master

    cols = [np.sort(rng.choice(R, size=rng.integers(1, 4), replace=False)) for _ in range(m)]
    cols += [np.array([i]) for i in range(R)]  # singletons: the LP is feasible without artificials
    costs = list(rng.random(len(cols)) * np.array([len(c) for c in cols]) + 0.1)
    return _Master, cols, costs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_master_kept_in_highspy_equals_linprog_from_scratch(seed):
    pytest.importorskip("highspy")
    rng = np.random.default_rng(seed)
    R, k = 9, 3
    Master, cols, costs = _random_master(rng, R, 25, k)
    kept = Master(k, R, 1e3, 0)
    half = len(cols) // 2
    kept.add(cols[:half], costs[:half])
    kept.solve()  # a basis to start the second solve from
    kept.add(cols[half:], costs[half:])
    warm = kept.solve()
    scratch = Master(k, R, 1e3, 0)
    scratch.h = None  # scipy's linprog over the whole LP
    scratch.add(cols, costs)
    cold = scratch.solve()
    assert warm.fun == pytest.approx(cold.fun, rel=1e-9, abs=1e-12)
    for res in (warm, cold):
        # x: the real columns then one artificial per row; a feasible point of that value
        A = np.zeros((R + 1, len(cols)))
        for j, c in enumerate(cols):
            A[c, j] = 1.0
            A[R, j] = 1.0
        y, art = res.x[:len(cols)], res.x[len(cols):]
        b = np.ones(R + 1)
        b[R] = k
        assert np.allclose(A @ y + art, b, atol=1e-8)
        assert float(np.dot(costs, y) + 1e3 * art.sum()) == pytest.approx(res.fun, rel=1e-9)
        # duals: every column's reduced cost >= 0 and b . duals = the value (strong duality)
        assert np.all(np.asarray(costs) - A.T @ res.duals >= -1e-8)
        assert float(b @ res.duals) == pytest.approx(res.fun, rel=1e-8)


def test_master_ip_takes_the_best_partition_the_pool_holds():
    from optimeans.exact.colgen import _Incumbent, _Pool, _cost

    rng = np.random.default_rng(3)
    X = rng.normal(size=(14, 2))
    w = rng.random(14) + 0.5
    k = 3
    pool = _Pool(X, w)
    parts = [rng.integers(0, k, size=14) for _ in range(6)]
    parts = [p for p in parts if len(np.unique(p)) == k]
    values = [sum(_cost(X, w, p == t) for t in range(k)) for p in parts]
    for p in parts:
        for t in range(k):
            pool.add(p == t)
    worst = max(values)
    inc = _Incumbent(X, w, worst)
    assert inc.master_ip(pool, k, deadline=np.inf)
    # a partition made of pool columns, no worse than the best partition put in; its value recomputed
    assert inc.upper <= min(values) * (1 + 1e-12)
    assert sorted(np.unique(inc.labels)) == list(range(k))
    assert inc.upper == pytest.approx(sum(_cost(X, w, inc.labels == t) for t in range(k)), rel=1e-12)
    for t in range(k):
        assert np.packbits(inc.labels == t).tobytes() in pool.keys
    # nothing better left in the pool: the incumbent stays
    best = inc.upper
    assert not inc.master_ip(pool, k, deadline=np.inf)
    assert inc.upper == best
    # offer takes only a better partition
    assert not inc.offer(parts[int(np.argmax(values))], k)


def test_integral_reads_a_partition_only_from_a_0_1_solution():
    from optimeans.exact.colgen import _integral

    cols = [np.array([0, 1]), np.array([2]), np.array([1, 2]), np.array([0])]
    labels = _integral(np.array([1.0, 1.0, 0.0, 0.0]), cols, 3)
    assert labels is not None and labels[0] == labels[1] != labels[2]
    assert _integral(np.array([0.5, 0.5, 0.5, 0.5]), cols, 3) is None
    assert _integral(np.array([1.0, 0.0, 1.0, 0.0]), cols, 3) is None  # row 1 twice
    assert _integral(np.array([1.0, 0.0, 0.0, 0.0]), cols, 3) is None  # row 2 uncovered


@pytest.mark.parametrize("k", [2, 3, 4])
def test_column_management_keeps_the_tree_exact(k, monkeypatch):
    # the restricted LP may hold only a few columns: the dropped ones come back when they price out again
    from optimeans.exact import colgen

    pytest.importorskip("highspy")
    monkeypatch.setattr(colgen, "_LP_COLS", 6)  # off by default
    dropped = []
    drop = colgen._Master.drop

    def counting(self, count):
        out = drop(self, count)
        dropped.append(len(out))
        return out

    monkeypatch.setattr(colgen._Master, "drop", counting)
    rng = np.random.default_rng(60 + k)
    X = rng.normal(size=(13, 2))
    w = rng.uniform(0.5, 2.0, size=13)
    best = float(enumerate_partitions(X, k, sample_weight=w).objective.min())
    poor = np.arange(13) % k
    upper = sum(colgen._cost(X, w, poor == j) for j in range(k))
    bound, info = lp_bound(X, w, k, [poor], upper, rtol=1e-10, max_nodes=500, aggregate=False)
    assert sum(dropped) > 0  # columns did leave the LP
    assert info["closed"]
    assert best * (1 - 1e-9) <= bound <= best * (1 + 1e-12)
    labels = info["better"]
    assert sum(colgen._cost(X, w, labels == j) for j in range(k)) == pytest.approx(best, rel=1e-9)


def test_the_lp_route_prints_nothing_on_stdout():
    # highspy's first Highs of a process prints a banner on stdout, where the CLI may write data
    import os
    import subprocess
    import sys

    pytest.importorskip("highspy")
    code = ("import numpy as np\n"
            "from optimeans.exact.colgen import branch_and_price\n"
            "r = branch_and_price(np.random.default_rng(0).normal(size=(20, 2)), 3, time_limit=None, n_seeds=3)\n"
            "print(bool(r.proven_optimal))\n")
    env = dict(os.environ)
    import optimeans

    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(optimeans.__file__)) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "True\n"


def test_without_highspy_a_large_master_hints_the_extra_once(monkeypatch):
    import sys
    import warnings

    from optimeans.exact import colgen

    monkeypatch.setitem(sys.modules, "highspy", None)  # import highspy raises ImportError
    monkeypatch.setattr(colgen, "_HINTED", False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        small = colgen._Master(3, colgen.HIGHSPY_HINT_ROWS - 1, 1.0, 0)  # small: no hint
    assert small.h is None
    with pytest.warns(RuntimeWarning, match=r"optimeans\[lp\]"):
        big = colgen._Master(3, colgen.HIGHSPY_HINT_ROWS, 1.0, 0)
    assert big.h is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        colgen._Master(3, 2 * colgen.HIGHSPY_HINT_ROWS, 1.0, 0)  # once per process


class _WarmStartFails:
    """A highspy.Highs whose every solve from a previous basis ends in the status "unknown" (HiGHS did so on u1060)."""

    def __init__(self, h, unknown):
        self._h, self._unknown, self._warm, self._failed = h, unknown, False, False

    def run(self):
        self._failed = self._warm
        self._warm = True
        return self._h.run()

    def clearSolver(self):
        self._warm = False
        return self._h.clearSolver()

    def getModelStatus(self):
        return self._unknown if self._failed else self._h.getModelStatus()

    def __getattr__(self, name):
        return getattr(self._h, name)


@pytest.mark.parametrize("k", [3, 5])
def test_a_warm_start_that_highs_cannot_finish_is_solved_again_from_scratch(k, monkeypatch):
    # optimeans.fit(u1060, 50, method="bnb") from one seed: a warm-started HiGHS solve ended in
    # "unknown", the LP route gave up at round 12 and the search stopped at a 99.3 % gap
    highspy = pytest.importorskip("highspy")
    from optimeans.exact import colgen

    real = colgen._new_highs
    made = []

    def failing(module):
        made.append(_WarmStartFails(real(module), highspy.HighsModelStatus.kUnknown))
        return made[-1]

    monkeypatch.setattr(colgen, "_new_highs", failing)
    X = np.random.default_rng(50 + k).normal(size=(13, 2))
    best = _optimum(X, k)
    r = branch_and_price(X, k, time_limit=None, n_seeds=3)
    assert made and r.proven_optimal
    assert r.objective == pytest.approx(best, rel=1e-12, abs=1e-12)
    assert best * (1 - 1e-9) <= r.lower_bound <= best * (1 + 1e-12)


@pytest.mark.parametrize("box", ["none", "flat", "far", "far-linprog"])
def test_the_dual_box_only_steers_the_lp(box, monkeypatch):
    # box stabilization keeps the duals in a box that moves out when they reach it: from any box (or none)
    # the tree closes on the enumerated optimum, in highspy and in scipy's linprog
    import sys

    from optimeans.exact import colgen

    if box.endswith("linprog"):
        monkeypatch.setitem(sys.modules, "highspy", None)
    moved = []
    real_set = colgen._Master.set_box
    monkeypatch.setattr(colgen._Master, "set_box", lambda self, lo, hi: (moved.append(1), real_set(self, lo, hi)))
    if box == "none":
        monkeypatch.setattr(colgen, "_BOX", False)
    else:
        def wrong(pool, inc, g, gx, gw, gconst, k, big):
            G = gx.shape[0]
            at = 0.0 if box == "flat" else -50.0 * float(gconst.sum() + gw.sum())
            return np.full(G, at), np.full(G, at)

        monkeypatch.setattr(colgen, "_group_box", wrong)
    for seed, k in [(3, 3), (4, 4)]:
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(12, 2)) * [2.0, 1.0]
        w = rng.uniform(0.5, 2.0, size=12)
        best = float(enumerate_partitions(X, k, sample_weight=w).objective.min())
        r = branch_and_price(X, k, sample_weight=w, time_limit=None, n_seeds=3)
        assert r.proven_optimal
        assert r.objective == pytest.approx(best, rel=1e-12)
        assert best * (1 - 1e-9) <= r.lower_bound <= best * (1 + 1e-12)
    if box.startswith("far"):
        assert moved  # the box did move out


@pytest.mark.parametrize("warm, settled", [(0.0, None), (0.25, None), (0.25, 1.0)])
def test_children_started_from_the_parents_duals_give_a_verified_proof(warm, settled, monkeypatch):
    # 26 uniform points, k = 6: the root LP is fractional, the tree has two children; settled = 1.0 branches as
    # soon as the restricted LP's value stands still, with the bound wherever it is
    from optimeans.exact import colgen, verify

    monkeypatch.setattr(colgen, "_CHILD_WARM", warm)
    if settled is not None:
        monkeypatch.setattr(colgen, "_SETTLED_STABLE", settled)
        monkeypatch.setattr(colgen, "_STABLE_ROUNDS", 1)
    started = []
    solve = colgen._solve_node

    def spying(pool, node, *args, **kwargs):
        out = solve(pool, node, *args, **kwargs)
        started.append(node.lam is not None)
        return out

    monkeypatch.setattr(colgen, "_solve_node", spying)
    rng = np.random.default_rng(131)
    n, k = int(rng.integers(14, 40)), int(rng.integers(3, 9))
    X = rng.uniform(size=(n, 2))
    r = branch_and_price(X, k, time_limit=None, n_seeds=5, proof=True)
    assert (n, k) == (26, 6)
    assert sum(started) >= 2  # children did run
    assert r.proven_optimal
    v = verify(X, k, r.info["proof_record"])
    assert v.valid and v.proven and v.n_nodes >= 3
    # the optimum the search reaches from many starts; the tree may not prove a larger value
    assert r.objective == pytest.approx(0.547698664804059, rel=1e-9)


def test_branching_once_the_restricted_lp_stands_still_closes_on_the_same_optimum(monkeypatch):
    # from a poor partition the tree branches before the bound has caught up with the LP; it still closes on
    # the partition the default settings prove optimal
    from optimeans.exact import colgen

    rng = np.random.default_rng(131)
    n, k = int(rng.integers(14, 40)), int(rng.integers(3, 9))
    X = rng.uniform(size=(n, 2))
    w = np.ones(n)
    poor = np.arange(n) % k
    upper = sum(colgen._cost(X, w, poor == j) for j in range(k))
    ref, ref_info = lp_bound(X, w, k, [poor], upper, rtol=1e-10, max_nodes=500)
    monkeypatch.setattr(colgen, "_SETTLED_STABLE", 1.0)
    monkeypatch.setattr(colgen, "_STABLE_ROUNDS", 1)
    bound, info = lp_bound(X, w, k, [poor], upper, rtol=1e-10, max_nodes=500)
    assert ref_info["closed"] and info["closed"] and info["nodes"] >= 3
    value = sum(colgen._cost(X, w, info["better"] == j) for j in range(k))
    assert value == pytest.approx(ref, rel=1e-9)
    assert bound == pytest.approx(ref, rel=1e-9) and bound <= value * (1 + 1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_pricing_in_parts_on_threads_equals_one_pricing(seed, monkeypatch):
    # the circles split over the parts: the same maximum, the same best sets, whatever the threads
    import os

    from optimeans._kernels.colgen import price_plane_columns, price_plane_columns_part
    from optimeans.exact import colgen

    rng = np.random.default_rng(seed)
    n = 240
    X = rng.uniform(0, 10, size=(n, 2))
    w = rng.uniform(0.5, 2.0, size=n)
    lam = rng.uniform(-0.5, 4.0, size=n)
    ca, cb = (np.array([0, 5]), np.array([1, 9])) if seed == 2 else (np.zeros(0, dtype=np.int64),) * 2
    assert n >= colgen._PRICE_SPLIT_MIN
    one = [np.full(colgen._BATCH, -np.inf), np.zeros((colgen._BATCH, n), dtype=bool), np.full(n, -np.inf),
           np.zeros((n, n), dtype=bool)]
    value, exact = price_plane_columns(X, w, lam, ca, cb, *one)
    runs = []
    for cpus in (2, 1):
        monkeypatch.setattr(os, "cpu_count", lambda cpus=cpus: cpus)
        runs.append(colgen._price_columns(X, w, lam, ca, cb))
    for tv, ts, dv, ds, v, e in runs:
        assert v == value and e == exact
        np.testing.assert_array_equal(np.sort(tv), np.sort(one[0]))  # the _BATCH best values, each set once
        np.testing.assert_array_equal(dv, one[2])
    for a, b in zip(runs[0], runs[1]):
        np.testing.assert_array_equal(a, b)
    # three parts of the kernel alone cover every circle too
    vals, disks = [], []
    for p in range(3):
        bufs = [np.full(5, -np.inf), np.zeros((5, n), dtype=bool), np.full(n, -np.inf), np.zeros((n, n), dtype=bool)]
        vals.append(price_plane_columns_part(X, w, lam, ca, cb, *bufs, p, 3)[0])
        disks.append(bufs[2])
    assert max(vals) == value
    np.testing.assert_array_equal(np.max(disks, axis=0), one[2])
    assert all(np.any(d < one[2]) for d in disks)  # each part alone sees only some of the points


def test_children_started_with_few_columns_close_on_the_same_proven_optimum(monkeypatch):
    # a child's master starts with 2 of the pool's columns: the others return when they price out again
    from optimeans.exact import colgen, verify

    monkeypatch.setattr(colgen, "_CHILD_COLS", 2)
    seen = []
    monkeypatch.setattr(colgen, "TRACE", lambda t: seen.append((t["round"], t["lp_cols"], t["columns"])))
    rng = np.random.default_rng(131)
    n, k = int(rng.integers(14, 40)), int(rng.integers(3, 9))
    X = rng.uniform(size=(n, 2))
    r = branch_and_price(X, k, time_limit=None, n_seeds=5, proof=True)
    assert r.proven_optimal and r.info["lp_nodes"] >= 3
    assert verify(X, k, r.info["proof_record"]).valid
    assert r.objective == pytest.approx(0.547698664804059, rel=1e-9)
    # in a child, the master held fewer columns than the node at first, and more later on
    firsts = [i for i, (rd, _, _) in enumerate(seen) if rd == 1 and i > 0]
    assert any(seen[i][1] < seen[i][2] for i in firsts)
    assert any(seen[i][1] < seen[i + 1][1] for i in firsts if i + 1 < len(seen) and seen[i + 1][0] > 1)
