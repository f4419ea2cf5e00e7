"""Regression tests of issue 13 (step A): the SDP bound never crashes, is never NaN,
respects its time limit; the LP bound works on raw-scale planar data."""

import numpy as np
import pytest
import scipy.linalg

import optimeans
from optimeans.exact import bounds
from optimeans.exact.bounds import certify, sdp_bound


def _planar_with_duplicates(seed=1, n=60):
    rng = np.random.default_rng(seed)
    base = np.round(rng.normal(size=(n, 2)) * 10 + rng.integers(0, 4, size=(n, 1)) * 40)
    return np.concatenate([base, base[: n // 2], base[: n // 6]])


def test_sdp_survives_failing_mrrr_driver(monkeypatch):
    """LAPACK's evr can fail with 'Internal Error' (ali535, gr666): other drivers take over."""
    X = _planar_with_duplicates()
    r = optimeans.fit(X, 4, method="global", random_state=0)
    ref = certify(X, r, method="sdp", max_iter=200)
    real = scipy.linalg.eigh
    calls = {"evr": 0}

    def broken(*args, **kwargs):
        if kwargs.get("driver") == "evr":
            calls["evr"] += 1
            raise np.linalg.LinAlgError("Internal Error.")
        return real(*args, **kwargs)

    monkeypatch.setattr(bounds.scipy.linalg, "eigh", broken)
    c = certify(X, r, method="sdp", max_iter=200)
    assert calls["evr"] > 0
    assert np.isfinite(c.lower_bound) and np.isfinite(c.gap)
    assert c.lower_bound <= r.objective
    assert c.lower_bound == pytest.approx(ref.lower_bound, rel=1e-6)


def test_sdp_bound_never_nan_when_eigensolver_returns_nan(monkeypatch):
    """A driver that silently returns NaN eigenvalues must not turn the bound into NaN."""
    X = _planar_with_duplicates(seed=2)
    r = optimeans.fit(X, 3, method="global", random_state=0)
    real = scipy.linalg.eigh

    def nan_evr(*args, **kwargs):
        out = real(*args, **kwargs)
        if kwargs.get("driver") == "evr":
            if kwargs.get("eigvals_only"):
                return np.full_like(out, np.nan)
            return np.full_like(out[0], np.nan), out[1]
        return out

    monkeypatch.setattr(bounds.scipy.linalg, "eigh", nan_evr)
    c = certify(X, r, method="sdp", max_iter=100)
    assert np.isfinite(c.lower_bound) and np.isfinite(c.gap)
    assert 0.0 <= c.lower_bound <= r.objective
    assert c.lower_bound > bounds._spectral(*bounds._prepare(X, 3, None)[:3], bounds._prepare(X, 3, None)[3])


def test_duplicate_rows_are_merged_and_bound_is_valid():
    X = _planar_with_duplicates(seed=3)
    n_distinct = len(np.unique(X, axis=0))
    for k in (3, 6):
        r = optimeans.fit(X, k, method="global", random_state=0)
        lb, info = sdp_bound(X, k, max_iter=300, target=r.objective)
        assert info["n_distinct"] == n_distinct < len(X)
        assert np.isfinite(lb) and 0.0 <= lb <= r.objective
        # the merged weighted problem has the same optimum, hence the same relaxation
        Xu, inv = np.unique(X, axis=0, return_inverse=True)
        w = np.bincount(inv.ravel()).astype(float)
        lb_w, _ = sdp_bound(Xu, k, sample_weight=w, max_iter=300, target=r.objective)
        assert lb == pytest.approx(lb_w, rel=1e-9)


def test_sdp_stops_before_its_time_limit(monkeypatch):
    """Each ADMM step 'costs' 10 s of a fake clock: a 35 s limit must not be overrun."""
    clock = {"t": 0.0}

    class FakeTime:
        @staticmethod
        def perf_counter():
            return clock["t"]

    real_project = bounds._project_spectral

    def slow_project(*args, **kwargs):
        clock["t"] += 10.0
        return real_project(*args, **kwargs)

    monkeypatch.setattr(bounds, "time", FakeTime)
    monkeypatch.setattr(bounds, "_project_spectral", slow_project)
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(size=(30, 3)) + c for c in ([0, 0, 0], [4, 0, 0], [0, 4, 0])])
    lb, info = sdp_bound(X, 3, time_limit=35.0, tol=0.0)
    assert info["stop_reason"] == "time_limit"
    assert info["seconds"] <= 35.0
    assert info["n_iter"] >= 1
    assert 0.0 <= lb <= optimeans.fit(X, 3, method="global", random_state=0).objective


def test_lp_bound_on_raw_scale_planar_data():
    """Coordinates in the tens of thousands: the LP must reach the same relative bound as on unit scale."""
    from optimeans.exact.branch_bound import _sse
    from optimeans.exact.colgen import lp_bound
    from optimeans.exact.search import global_search, local_optima

    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(size=(15, 2)) + c for c in rng.uniform(-6, 6, size=(5, 2))])
    X = np.unique(X, axis=0)
    w = np.ones(len(X))
    k = 4
    lab, _ = global_search(X, w, k, np.random.default_rng(0), n_starts=3, time_limit=None)
    starts = [lab, *local_optima(X, w, k, np.random.default_rng(1), 50)]
    up = _sse(X, w, lab, k)
    b1, _ = lp_bound(X, w, k, starts, up)
    Xs = X * 1000.0
    b2, info = lp_bound(Xs, w, k, starts, _sse(Xs, w, lab, k))
    assert 0.0 <= b2 <= _sse(Xs, w, lab, k) * (1 + 1e-12)
    assert b2 / 1e6 == pytest.approx(b1, rel=1e-6)


def test_partition_bound_below_the_known_optimum():
    """1-D data, whose optimum dynamic programming gives exactly: the sum of group bounds stays below it."""
    from optimeans.exact import kmeans_1d
    from optimeans.exact.bounds import partition_bound

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(c, 1.0, 200) for c in (0.0, 3.0, 7.0)])
    opt = kmeans_1d(x, 3).objective
    lb, info = partition_bound(x[:, None], 3, group_size=150, time_limit=None, max_iter=100)
    assert info["n_groups"] == 4
    assert 0.0 < lb <= opt
    assert lb >= 0.8 * opt  # groups that look like the whole keep it close
    # any labels give a valid (maybe weaker) bound
    lb2, _ = partition_bound(x[:, None], 3, np.arange(len(x)) % 3, group_size=150, time_limit=None, max_iter=100)
    assert 0.0 < lb2 <= opt
    with pytest.raises(ValueError, match="labels"):
        partition_bound(x[:, None], 3, np.zeros(5))


def test_certify_partition_method():
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(size=(100, 3)) + c for c in rng.normal(size=(4, 3)) * 4])
    r = optimeans.fit(X, 4, method="global", random_state=0)
    c = certify(X, r, method="partition", time_limit=None, max_iter=100)
    assert c.method == "partition" and c.info["n_groups"] == len(c.info["groups"]) >= 1
    assert 0.0 < c.lower_bound <= r.objective and 0.0 <= c.gap < 0.2


def test_sdp_returns_at_once_when_one_step_cannot_fit(monkeypatch):
    """Large n on a slow machine: rather than overrun time_limit, return the spectral bound."""
    monkeypatch.setattr(bounds, "_COST_CHECK_N", 10)
    monkeypatch.setattr(bounds, "_eigh_seconds", lambda A: 1e6)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5))
    lb, info = sdp_bound(X, 3, time_limit=60.0)
    assert info["stop_reason"] == "time_limit" and info["n_iter"] == 0
    assert lb == pytest.approx(info["spectral"])
    # without a time limit the estimate is not consulted
    lb2, info2 = sdp_bound(X, 3, time_limit=None, max_iter=50)
    assert info2["n_iter"] > 0 and lb2 >= lb
