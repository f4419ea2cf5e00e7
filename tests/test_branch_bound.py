import itertools
from pathlib import Path

import numpy as np
import pytest

import optimeans
from optimeans.exact import branch_and_bound
import optimeans.exact.branch_bound as bb

DATA = Path(__file__).parent / "data"


def _brute_force(X, w, k):
    """Lowest objective over every assignment of rows to k non-empty clusters."""
    best = np.inf
    n = len(X)
    for lab in itertools.product(range(k), repeat=n - 1):
        lab = np.array((0,) + lab)
        if len(np.unique(lab)) < k:
            continue
        total = 0.0
        for j in range(k):
            m = lab == j
            c = (w[m, None] * X[m]).sum(0) / w[m].sum()
            total += float((w[m] * ((X[m] - c) ** 2).sum(1)).sum())
        best = min(best, total)
    return best


def _optkmeans_rows():
    rows = np.loadtxt(DATA / "optkmeans_results.csv", delimiter=",", comments="#")
    return [(int(k), int(d), int(n), float(v)) for k, d, n, v in rows]


def _same_partition(a, b):
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@pytest.mark.parametrize("seed", range(6))
def test_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, k, d = 8, 2 + seed % 2, 1 + seed % 3
    X = rng.normal(size=(n, d))
    w = rng.uniform(0.5, 2.0, size=n) if seed % 2 else np.ones(n)
    r = branch_and_bound(X, k, sample_weight=w)
    assert r.proven_optimal and r.stop_reason == "optimal"
    assert r.objective == pytest.approx(_brute_force(X, w, k), rel=1e-10)
    assert r.lower_bound == pytest.approx(r.objective, rel=1e-9) and r.gap == pytest.approx(0.0, abs=1e-9)
    assert r.method == "bnb"


# a fixed sample of the 906 proven optima (prefixes up to 30 rows, every k and d)
_ROWS = _optkmeans_rows()
_SAMPLE = [r for r in _ROWS if r[2] <= 30][::7]


@pytest.mark.parametrize("k,d,n,value", _SAMPLE)
def test_optkmeans_proven_optima(k, d, n, value):
    X = np.loadtxt(DATA / f"optkmeans_linux{d}.txt", delimiter=",")[:n]
    r = branch_and_bound(X, k, time_limit=60)
    assert r.proven_optimal
    # the published values are rounded to 6 decimals or 6 significant digits
    assert abs(r.objective - value) <= max(5.1e-7, 5.1e-6 * value)


@pytest.mark.parametrize("k,expected", [(2, 89337.832142857), (4, 12881.051236147)])
def test_ruspini_optimal_assignment(k, expected):
    X = optimeans.datasets.load("ruspini")
    r = branch_and_bound(X, k)
    assert r.proven_optimal
    assert r.objective == pytest.approx(expected, rel=1e-11)
    ref = np.loadtxt(DATA / f"ruspini_optimal_assignment_k{k}.txt", dtype=np.int64)
    assert _same_partition(r.labels, ref)
    assert r.cluster_sizes.min() > 0


def test_time_limit_gives_certified_bound():
    X = np.loadtxt(DATA / "optkmeans_linux2.txt", delimiter=",")[:185]
    # the repetitive tree and the LP (sdp=False): the SDP tree proves this prefix within the limit
    r = branch_and_bound(X, 3, time_limit=3.0, sdp=False)
    assert not r.proven_optimal
    assert r.stop_reason == "time_limit"
    assert 0.0 < r.lower_bound <= r.objective
    assert r.gap == pytest.approx((r.objective - r.lower_bound) / r.objective)
    # the bound is below the proven optimum of this prefix, the objective above it
    opt = {(k, d, n): v for k, d, n, v in _ROWS}[(3, 2, 185)]
    assert r.lower_bound <= opt
    assert r.objective >= opt - 5.1e-6 * opt


def test_duplicates_and_zero_weights():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(7, 2))
    X = np.vstack([base, base[:3]])  # three rows twice
    w = np.r_[np.ones(7), np.ones(3)]
    r = branch_and_bound(X, 3, sample_weight=w)
    wdup = np.ones(7)
    wdup[:3] = 2.0
    expected = _brute_force(base, wdup, 3)
    assert r.objective == pytest.approx(expected, rel=1e-10)
    # a zero-weight row changes nothing but still gets a label
    X2 = np.vstack([base, [[50.0, 50.0]]])
    r2 = branch_and_bound(X2, 3, sample_weight=np.r_[np.ones(7), 0.0])
    assert r2.objective == pytest.approx(_brute_force(base, np.ones(7), 3), rel=1e-10)
    assert r2.labels.shape == (8,)


def test_fewer_distinct_points_than_clusters():
    X = np.array([[0.0], [0.0], [1.0], [1.0]])
    with pytest.warns(optimeans.FewDistinctPointsWarning):
        r = branch_and_bound(X, 3)
    assert r.objective == 0.0 and r.proven_optimal


@pytest.mark.parametrize("bad", [0, -1.0, "10", True])
def test_bad_time_limit(bad):
    with pytest.raises(ValueError, match="time_limit"):
        branch_and_bound(np.eye(4), 2, time_limit=bad)


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_bad_lp(bad):
    with pytest.raises(ValueError, match="lp"):
        branch_and_bound(np.arange(12.0).reshape(6, 2), 2, lp=bad)


def test_bad_order():
    with pytest.raises(ValueError, match="order"):
        branch_and_bound(np.arange(12.0).reshape(6, 2), 2, order="sideways")


def _brute_pricing(X, w, lam, cannot=()):
    best = -np.inf
    n = len(X)
    for mask in range(1, 1 << n):
        m = np.array([(mask >> i) & 1 for i in range(n)], dtype=bool)
        if any(m[a] and m[b] for a, b in cannot):
            continue
        c = (w[m, None] * X[m]).sum(0) / w[m].sum()
        best = max(best, lam[m].sum() - float((w[m] * ((X[m] - c) ** 2).sum(1)).sum()))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_planar_pricing_is_exact(seed):
    from optimeans._kernels.colgen import price_plane

    rng = np.random.default_rng(seed)
    n = 9
    X = rng.normal(size=(n, 2)) if seed % 2 else rng.integers(0, 4, size=(n, 2)).astype(float)  # lattice: ties
    X = np.unique(X, axis=0)
    n = len(X)
    w = rng.uniform(0.5, 2.0, size=n) if seed % 3 == 0 else np.ones(n)
    lam = rng.uniform(-0.5, 3.0, size=n)
    cannot = ((0, 1), (2, 3)) if seed >= 4 else ()
    ca = np.array([a for a, _ in cannot], dtype=np.int64)
    cb = np.array([b for _, b in cannot], dtype=np.int64)
    top_val = np.full(10, -np.inf)
    top_set = np.zeros((10, n), dtype=bool)
    value, exact = price_plane(X, w, lam, ca, cb, top_val, top_set)
    assert exact
    assert value == pytest.approx(_brute_pricing(X, w, lam, cannot), rel=1e-12, abs=1e-12)
    # the sets returned carry the values reported
    t = int(np.argmax(top_val))
    m = top_set[t]
    c = (w[m, None] * X[m]).sum(0) / w[m].sum()
    assert top_val[t] == pytest.approx(lam[m].sum() - float((w[m] * ((X[m] - c) ** 2).sum(1)).sum()), rel=1e-12)


@pytest.mark.parametrize("k", [2, 3])
def test_column_generation_bound_is_valid_and_tight(k):
    from optimeans.exact.colgen import lp_bound

    X = np.loadtxt(DATA / "optkmeans_linux2.txt", delimiter=",")[:24]
    X = np.unique(X, axis=0)
    w = np.ones(len(X))
    opt = branch_and_bound(X, k, lp=False)
    assert opt.proven_optimal and opt.info["proof"] == "enumeration"
    # a deliberately poor start: the clusters of a round-robin labelling
    poor = np.arange(len(X)) % k
    lower, info = lp_bound(X, w, k, [poor, opt.labels], opt.objective)
    assert lower <= opt.objective * (1 + 1e-12)
    assert info["closed"]  # branch and price finished: the bound proves the optimum
    assert lower >= opt.objective * (1 - 1e-9)
    assert info["better"] is None


def test_lp_route_proves_ruspini(monkeypatch):
    import optimeans.exact.branch_bound as bb

    monkeypatch.setattr(bb, "ENUM_FIRST", 0.0)  # straight to the LP bound
    X = optimeans.datasets.load("ruspini")
    r = bb.branch_and_bound(X, 4, time_limit=120)
    assert r.info["proof"] == "lp"
    assert r.proven_optimal and r.stop_reason == "optimal"
    assert r.objective == pytest.approx(12881.051236147, rel=1e-11)
    assert r.objective * (1 - 1e-9) <= r.lower_bound <= r.objective
    assert r.info["lp_bound"] <= r.objective


def test_a_closed_lp_tree_proves_even_when_its_bound_reads_a_hair_low(monkeypatch):
    # the closed tree's bound is the incumbent * (1 - RTOL) in the LP's units: its last bits may fall short of
    # the value recomputed by the caller; the closed tree is the proof (else the enumeration ran to the limit)
    import optimeans.exact.branch_bound as bb
    from optimeans.exact import colgen

    real = colgen.lp_bound

    def low(*args, **kwargs):
        bound, info = real(*args, **kwargs)
        assert info["closed"]
        return bound * (1 - 5e-10), info  # still a valid bound, below upper * (1 - RTOL)

    monkeypatch.setattr(colgen, "lp_bound", low)
    monkeypatch.setattr(bb, "ENUM_FIRST", 0.0)
    X = optimeans.datasets.load("ruspini")
    r = bb.branch_and_bound(X, 4, time_limit=None)
    assert r.proven_optimal and r.info["proof"] == "lp"
    assert r.objective == pytest.approx(12881.051236147, rel=1e-11)
    assert r.lower_bound <= r.objective


def test_auto_routes():
    """lp/sdp "auto": column generation for small planar sets with k >= 4 and for large ones with small
    clusters, the SDP tree elsewhere."""
    routes = bb._routes
    assert routes("auto", "auto", 2, 6, 75) == (True, False)  # Ruspini: the LP's exact proofs
    assert routes("auto", "auto", 2, 6, bb.LP_PLANE_MAX + 1) == (False, True)  # pr299, ali535, ...: the SDP tree
    assert routes("auto", "auto", 2, 3, 75) == (False, True)  # k < 4: the LP bound is weak
    assert routes("auto", "auto", 5, 6, 300) == (False, True)
    assert routes("auto", "auto", 2, 6, bb.SDP_BNB_MAX + 1) == (True, False)  # beyond the SDP tree: the LP
    # large planar sets with small clusters (u1060, k = 20 to 50): the LP; with large clusters: the SDP tree
    assert routes("auto", "auto", 2, 50, 1060) == (True, False)
    assert routes("auto", "auto", 2, 40, 1060) == (True, False)
    assert routes("auto", "auto", 2, 30, 1060) == (True, False)
    assert routes("auto", "auto", 2, 20, 1060) == (True, False)  # 53 rows a cluster
    assert routes("auto", "auto", 2, 19, 1060) == (True, False)  # 55.8 rows a cluster
    assert routes("auto", "auto", 2, 10, 1060) == (True, False)  # 106 rows a cluster
    assert routes("auto", "auto", 2, 9, 1060) == (False, True)  # 117.8 rows a cluster
    assert routes("auto", "auto", 2, 20, bb.LP_PLANE_LARGE - 1) == (False, True)  # too few rows, however small the clusters
    assert routes("auto", "auto", 2, 10, 666) == (False, True)  # gr666
    assert routes("auto", "auto", 2, 30, 666) == (False, True)  # fewer rows than LP_PLANE_LARGE
    assert routes("auto", True, 2, 50, 1060) == (False, True)  # an explicit SDP request wins
    assert routes("auto", False, 2, 6, 300) == (True, False)
    assert routes("auto", True, 2, 6, 50) == (False, True)
    assert routes(True, "auto", 2, 6, 300) == (True, False)
    assert routes(False, "auto", 2, 6, 50) == (False, True)
    assert routes(True, True, 3, 6, 50) == (False, True)  # no LP outside the plane


def test_default_route_on_larger_planar_data_is_the_sdp_tree(monkeypatch):
    """Planar, k = 4, more distinct rows than LP_PLANE_MAX: the default proves by the SDP tree, not the LP."""
    monkeypatch.setattr(bb, "LP_PLANE_MAX", 10)
    monkeypatch.setattr(bb, "ENUM_FIRST", 0.0)  # straight to the bounding route
    rng = np.random.default_rng(4)
    X = np.concatenate([rng.normal(size=(4, 2)) * 0.6 + c for c in [(0, 0), (3, 0), (0, 3), (3, 3)]])
    r = bb.branch_and_bound(X, 4, time_limit=None, gap_tol=1e-7)
    assert r.proven_optimal and r.info["proof"] == "sdp"
    assert "sdp_nodes" in r.info and "lp_bound" not in r.info
    exact = bb.branch_and_bound(X, 4, lp=False, sdp=False, time_limit=None)
    assert exact.info["proof"] == "enumeration"
    assert r.objective == pytest.approx(exact.objective, rel=1e-7)
    assert r.lower_bound <= exact.objective * (1 + 1e-12)
    # the same data under the old limit take the LP
    monkeypatch.setattr(bb, "LP_PLANE_MAX", 100)
    r2 = bb.branch_and_bound(X, 4, time_limit=None)
    assert "lp_bound" in r2.info and "sdp_nodes" not in r2.info
    assert r2.objective == pytest.approx(exact.objective, rel=1e-10)


def test_progress_shows_the_lp_routes_bound_as_it_improves(monkeypatch):
    """While the LP route runs, the progress callback gets its certified bound (not the enumeration's stale one)."""
    monkeypatch.setattr(bb, "ENUM_FIRST", 0.0)  # the enumeration proves next to nothing
    rng = np.random.default_rng(11)
    X = np.concatenate([rng.normal(size=(6, 2)) * 0.8 + c for c in [(0, 0), (3, 0), (0, 3), (3, 3), (6, 1)]])
    best = bb.branch_and_bound(X, 5, lp=False, sdp=False, time_limit=None).objective
    seen = []
    r = bb.branch_and_bound(X, 5, lp=True, sdp=False, time_limit=None,
                            progress=lambda inc, low, open_nodes, nodes: seen.append((inc, low, open_nodes)))
    assert r.proven_optimal and r.info["proof"] == "lp"
    lows = [low for _, low, _ in seen]
    assert all(low <= best * (1 + 1e-12) for low in lows)  # every bound shown is certified
    assert all(inc >= best * (1 - 1e-12) for inc, _, _ in seen)
    assert all(b >= a for a, b in zip(lows, lows[1:]))  # the bound shown never goes back
    lp_rows = [s for s in seen if s[2] is not None]  # from inside the LP tree: its open nodes
    assert len(lp_rows) >= 2 and max(s[1] for s in lp_rows) > 0.5 * best
    assert lows[-1] >= best * (1 - 1e-9)  # the last one is the proof's


def test_command_line_progress_line_shows_the_lp_bound(monkeypatch):
    """The CLI's progress (optimeans.fit with a Progress callback): the LP bound, once a second; nothing when quiet."""
    import io
    import re

    from optimeans._progress import Progress

    monkeypatch.setattr(bb, "ENUM_FIRST", 0.0)
    X = optimeans.datasets.load("ruspini")
    t = [0.0]

    def clock():
        t[0] += 0.25  # every reading a quarter second later
        return t[0]

    buf = io.StringIO()
    r = optimeans.fit(X, 6, method="bnb", random_state=0, callback=Progress(stream=buf, clock=clock),
                      lp=True, sdp=False, time_limit=None)
    assert r.proven_optimal and r.info["proof"] == "lp"
    lines = buf.getvalue().splitlines()
    stamps = [float(m.group(1)) for m in (re.search(r"\(([0-9.]+) s\)$", s) for s in lines)]
    assert all(b - a >= 1.0 for a, b in zip(stamps, stamps[1:]))  # at most one line a second
    bounds = [float(re.search(r"bound ([-0-9.e+]+)", s).group(1)) for s in lines if "open nodes" in s]
    assert bounds and max(bounds) > 0.5 * r.objective  # the LP's bound, not the enumeration's
    quiet = io.StringIO()
    optimeans.fit(X, 6, method="bnb", random_state=0, callback=Progress(stream=quiet, clock=clock, enabled=False),
                  lp=True, sdp=False, time_limit=None)
    assert quiet.getvalue() == ""
