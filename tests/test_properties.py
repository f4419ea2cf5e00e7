"""Hypothesis properties of ``optimeans.fit`` that hold for every input.

* the objective never increases across iterations (monotone methods);
* labels are always in range, every center is finite, the objective is the
  honest float64 value of the returned centers and labels;
* permuting the rows permutes the labels and leaves the objective unchanged;
* translating the data translates the centers;
* scaling the data by a power of two scales the objective exactly;
* ``KMeans.predict(cluster_centers_)`` returns ``arange(k)``.

``OPTIMEANS_PROPERTY_EXAMPLES`` sets the number of examples per property
(default 30, enough for CI; run with 2000 by hand).
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import optimeans
from optimeans._plan import SMALL_WORK, SWAP_METHODS
from optimeans import FewDistinctPointsWarning

from _hostile import DOMAIN, FAST_OPTIONS, METHODS, MONOTONE, check_valid, in_domain

EXAMPLES = int(os.environ.get("OPTIMEANS_PROPERTY_EXAMPLES", "30"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,  # timings on a loaded 2-core CI machine are meaningless
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Deterministic given the initial centers and invariant to the order of the
#: rows (full-batch updates, ties broken by center index).
BATCH = [m for m in ["lloyd", "hamerly", "elkan", "yinyang", "newton"] if m in METHODS]
#: Return a global optimum: their objective depends on the data only.
EXACT = [m for m in ["exact", "bnb"] if m in METHODS]
#: Equivariant under scaling by a power of two (no absolute step size, width or regularisation).
SCALE_FREE = [m for m in ["lloyd", "hamerly", "elkan", "yinyang", "newton", "hartigan", "exact", "bnb", "global"] if m in METHODS]


@st.composite
def problems(draw, *, max_n=40, max_d=4, elements=None, n_values=None):
    """(X, k, sample_weight): small data sets with duplicates and ties on purpose."""
    n = draw(st.sampled_from(n_values)) if n_values else draw(st.integers(1, max_n))
    d = draw(st.integers(1, max_d))
    if elements is None:
        # few distinct values: duplicated rows and exact ties are common
        elements = st.one_of(
            st.integers(-20, 20).map(float),
            st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
        )
    X = draw(arrays(np.float64, (n, d), elements=elements))
    k = draw(st.integers(1, min(n, 5)))
    w = draw(
        st.one_of(
            st.none(),
            arrays(np.float64, (n,), elements=st.floats(0.0, 10.0)).filter(lambda a: a.sum() > 0),
        )
    )
    return X, k, w


def _fit(X, k, method, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewDistinctPointsWarning)
        kw.setdefault("n_threads", 1)  # thread counts are the subject of test_determinism
        for key, value in FAST_OPTIONS.get(method, {}).items():
            kw.setdefault(key, value)
        return optimeans.fit(X, k, method=method, **kw)


def _methods_for(X, k, methods):
    return [m for m in methods if in_domain(m, X, k)]


@pytest.mark.skipif(not [m for m in MONOTONE if m in METHODS], reason="no monotone method registered")
@SETTINGS
@given(problems(max_n=60), st.sampled_from([np.float32, np.float64]), st.integers(0, 2**32 - 1))
def test_objective_never_increases_across_iterations(problem, dtype, seed):
    X, k, w = problem
    X = X.astype(dtype)
    for method in _methods_for(X, k, [m for m in MONOTONE if m in METHODS]):
        res = _fit(X, k, method, sample_weight=w, random_state=seed, n_init=1, tol=0.0)
        h = np.asarray(res.history.objective)
        assert len(h) >= 1 and np.isfinite(h).all()
        # Rounding: float32 distances carry ~1e-7 relative error per term, and a
        # center is only known to the work dtype's precision of the data's
        # spread, which can cost up to eps * W * D^2 (W total weight, D the
        # diameter) even when the exact objective is 0.
        W = float(np.sum(w)) if w is not None else float(len(X))
        D2 = float((np.ptp(X.astype(np.float64), axis=0) ** 2).sum())
        eps = 1e-6 if dtype == np.float32 else 1e-14
        slack = 10 * eps * float(h[0]) + eps * W * D2
        assert (np.diff(h) <= slack).all(), (method, h)
        assert res.objective <= h[0] + slack, (method, res.objective, h)


@SETTINGS
@given(
    problems(
        elements=st.one_of(
            st.floats(-1e30, 1e30, allow_nan=False, allow_infinity=False),
            st.floats(-1e-30, 1e-30, allow_nan=False, allow_infinity=False),
            st.integers(-3, 3).map(float),
        )
    ),
    st.sampled_from([np.float32, np.float64]),
    st.sampled_from(METHODS),
    st.integers(0, 2**32 - 1),
)
def test_results_are_valid_for_any_input(problem, dtype, method, seed):
    X, k, w = problem
    X = X.astype(dtype)
    assume(in_domain(method, X, k))
    res = _fit(X, k, method, sample_weight=w, random_state=seed, n_init=2)
    check_valid(res, X, k, w)
    # Lloyd-type methods are refined by split-merge swaps by default (named so),
    # followed by Hartigan's transfers on small problems
    small = X.shape[0] * k * X.shape[1] < SMALL_WORK
    assert res.method == (method + ("+swap+hartigan" if small else "+swap") if method in SWAP_METHODS else method)


@pytest.mark.skipif(not BATCH + EXACT, reason="no order-independent method registered")
@SETTINGS
@given(
    problems(elements=st.integers(-30, 30).map(float), n_values=[1, 2, 4, 8, 16, 32]),
    st.randoms(use_true_random=False),
    st.integers(0, 2**32 - 1),
)
def test_permuting_rows_permutes_labels(problem, random, seed):
    # n a power of two, small integers, unit weights: the centered data are exact
    # dyadic numbers and every sum is exact, so the order of the rows cannot change
    # a rounding. (Otherwise a point at the exact midpoint of two centers, a tie
    # in exact arithmetic, goes to either center depending on the last bit of a
    # sum, and the runs part ways, both correct.)
    X, k, _ = problem
    w = None
    perm = np.array(random.sample(range(len(X)), len(X)), dtype=np.int64)
    wp = None if w is None else w[perm]
    for method in _methods_for(X, k, BATCH + EXACT):
        if method in EXACT:
            a = _fit(X, k, method, sample_weight=w, random_state=seed)
            b = _fit(X[perm], k, method, sample_weight=wp, random_state=seed)
        else:
            # the same initial centers (as values): k-means++ itself depends on the row order
            init = X[np.arange(k) * len(X) // k]
            a = _fit(X, k, method, sample_weight=w, init=init, tol=0.0)
            b = _fit(X[perm], k, method, sample_weight=wp, init=init, tol=0.0)
            np.testing.assert_array_equal(b.labels, a.labels[perm], err_msg=method)
            np.testing.assert_allclose(b.centers, a.centers, rtol=1e-12, atol=1e-12, err_msg=method)
        assert b.objective == pytest.approx(a.objective, rel=1e-9, abs=1e-9), method


@SETTINGS
@given(
    problems(elements=st.integers(-1000, 1000).map(float), n_values=[1, 2, 4, 8, 16, 32]),
    st.integers(-(2**40), 2**40).map(float),
    st.sampled_from(METHODS),
    st.integers(0, 2**32 - 1),
)
def test_translating_the_data_translates_the_centers(problem, shift, method, seed):
    # unit weights: the offset (the mean) of n = 2^j integer rows is exact, so the
    # centered data, and the whole run, are bitwise the same after the shift
    X, k, _ = problem
    w = None
    assume(in_domain(method, X, k))
    t = np.ldexp(shift, -np.arange(X.shape[1]))  # dyadic: x + t is exact
    a = _fit(X, k, method, sample_weight=w, random_state=seed, n_init=2)
    b = _fit(X + t, k, method, sample_weight=w, random_state=seed, n_init=2)
    # n a power of two and integer data: the centered data are bitwise the same,
    # so the run is the same and only the offset differs
    np.testing.assert_array_equal(b.labels, a.labels)
    scale = float(np.abs(X).max()) + float(np.abs(t).max()) + 1.0
    np.testing.assert_allclose(b.centers, a.centers + t, rtol=0, atol=4e-16 * scale)
    assert b.objective == pytest.approx(a.objective, rel=1e-9, abs=1e-24 * scale**2)


@pytest.mark.skipif(not SCALE_FREE, reason="no scale-free method registered")
@SETTINGS
@given(problems(), st.integers(-60, 60), st.sampled_from(SCALE_FREE or ["lloyd"]), st.integers(0, 2**32 - 1))
def test_power_of_two_scaling_is_exact(problem, e, method, seed):
    X, k, w = problem
    assume(in_domain(method, X, k))
    # in the subnormal range a power of two is not exact (fixed absolute precision);
    # the same holds for a weight there: w * x is then subnormal, and scaling x by 2^e
    # moves it to another absolute grid (w = 2.2e-313 left a center 2e-11 off either way)
    assume(np.all((X == 0) | (np.abs(X) > 2.0**-900)))
    assume(w is None or np.all((w == 0) | (w > 2.0**-900)))
    a = _fit(X, k, method, sample_weight=w, random_state=seed, n_init=2)
    b = _fit(np.ldexp(X, e), k, method, sample_weight=w, random_state=seed, n_init=2)
    np.testing.assert_array_equal(b.labels, a.labels)
    np.testing.assert_array_equal(b.centers, np.ldexp(a.centers, e))
    assert b.objective == np.ldexp(a.objective, 2 * e)


def _kmeans_class():
    try:
        from optimeans.estimator import KMeans
    except ImportError:
        return None
    return KMeans


@pytest.mark.skipif(_kmeans_class() is None, reason="optimeans.KMeans is not in this build yet")
@SETTINGS
@given(problems(elements=st.integers(-50, 50).map(float)), st.integers(0, 2**32 - 1))
def test_predict_of_the_centers_is_arange(problem, seed):
    X, k, w = problem
    assume(len(np.unique(X if w is None else X[w > 0], axis=0)) >= k)  # k distinct points that count
    KMeans = _kmeans_class()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewDistinctPointsWarning)
        km = KMeans(n_clusters=k, random_state=seed, tol=0.0).fit(X, sample_weight=w)
    if km.result_.stop_reason == "labels_unchanged":
        C = km.cluster_centers_
        assert len(np.unique(C, axis=0)) == k
        np.testing.assert_array_equal(km.predict(C), np.arange(k))
