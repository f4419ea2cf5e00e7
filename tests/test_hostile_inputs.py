"""Hostile input through ``optimeans.fit``, for every registered method.

Each case ends in one of two ways: a correct result (checked against brute
force on tiny inputs, or against the same fit on well-conditioned data), or a
``ValueError`` / ``TypeError`` whose message names the problem. Methods added
to the registry later are picked up by ``optimeans.methods()``; a method whose
domain is restricted (see ``_hostile.DOMAIN``) runs the cases inside its domain
and must refuse the others with a clear ``ValueError``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import optimeans
from optimeans import FewDistinctPointsWarning, solvers

from _hostile import (
    APPROXIMATE,
    FAST_OPTIONS,
    DOMAIN,
    METHODS,
    blobs_tiny,
    brute_force,
    canonical,
    check_valid,
    in_domain,
)

# ---------------------------------------------------------------------------
# error table: (id, X, n_clusters, fit kwargs, exception, message regex)

_rng = np.random.default_rng(20240601)
_X = _rng.normal(size=(12, 3))


def _with(value, r, c, base=_X):
    A = base.astype(object) if not isinstance(value, float) else base.copy()
    A[r, c] = value
    return A


def _masked():
    m = np.ma.masked_array(_X.copy(), mask=np.zeros(_X.shape, bool))
    m.mask[4, 2] = True
    return m


ERRORS = [
    ("nan", _with(np.nan, 3, 1), 2, {}, ValueError, r"NaN at row 3, column 1"),
    ("inf", _with(np.inf, 5, 0), 2, {}, ValueError, r"inf at row 5, column 0"),
    ("-inf", _with(-np.inf, 0, 2), 2, {}, ValueError, r"-inf at row 0, column 2"),
    ("nan float32", _with(np.nan, 7, 2).astype(np.float32), 2, {}, ValueError, r"NaN at row 7, column 2"),
    ("None in object array", _with(None, 2, 0), 2, {}, ValueError, r"NaN at row 2, column 0"),
    ("string cell", _with("abc", 4, 1), 2, {}, TypeError, r"non-numeric value 'abc' at row 4, column 1"),
    ("string array", np.array([["1", "2"], ["3", "x"]]), 1, {}, TypeError, r"'x' at row 1, column 1"),
    ("bytes array", np.array([[b"1", b"?"]]), 1, {}, TypeError, r"row 0, column 1"),
    ("list cell", _with([1.0], 1, 1), 2, {}, TypeError, r"non-numeric value \[1.0\] at row 1, column 1"),
    ("complex", _X.astype(complex), 2, {}, TypeError, r"complex"),
    ("datetime", np.array([["2020-01-01"]], dtype="datetime64[D]"), 1, {}, TypeError, r"numeric.*datetime64"),
    ("huge int", [[10**400], [1]], 1, {}, ValueError, r"too large for float64 at row 0, column 0"),
    ("masked value", _masked(), 2, {}, ValueError, r"masked value at row 4, column 2"),
    ("None", None, 1, {}, TypeError, r"X must be an array-like"),
    ("ragged", [[1.0, 2.0], [3.0]], 1, {}, ValueError, r"X could not be read as a numeric array"),
    ("scalar", 3.0, 1, {}, ValueError, r"2-D.*scalar"),
    ("1-D", _X[:, 0], 1, {}, ValueError, r"2-D.*1-D of length 12.*reshape"),
    ("3-D", _X.reshape(2, 6, 3), 1, {}, ValueError, r"2-D.*\(2, 6, 3\)"),
    ("empty", np.empty((0, 3)), 1, {}, ValueError, r"X is empty"),
    ("no features", np.empty((5, 0)), 1, {}, ValueError, r"0 features"),
    ("k=0", _X, 0, {}, ValueError, r"n_clusters must be >= 1, got 0"),
    ("k<0", _X, -3, {}, ValueError, r"n_clusters must be >= 1, got -3"),
    ("k>n", _X, 13, {}, ValueError, r"n_clusters=13 is larger than the number of samples n_samples=12"),
    ("k huge", _X, 2**70, {}, ValueError, r"larger than the number of samples"),
    ("k float", _X, 2.5, {}, TypeError, r"n_clusters must be an integer, got 2.5"),
    ("k nan", _X, float("nan"), {}, TypeError, r"n_clusters must be an integer"),
    ("k str", _X, "3", {}, TypeError, r"n_clusters must be an integer, got '3'"),
    ("k None", _X, None, {}, TypeError, r"n_clusters must be an integer, got None"),
    ("k bool", _X, True, {}, TypeError, r"n_clusters must be an integer, got True"),
    ("weights all zero", _X, 2, {"sample_weight": np.zeros(12)}, ValueError, r"sample_weight is zero for every sample"),
    ("weight negative", _X, 2, {"sample_weight": np.r_[np.ones(6), -2.0, np.ones(5)]}, ValueError,
     r"sample_weight contains a negative value -2.0 at index 6"),
    ("weight nan", _X, 2, {"sample_weight": np.r_[np.ones(3), np.nan, np.ones(8)]}, ValueError,
     r"sample_weight contains nan at index 3"),
    ("weight inf", _X, 2, {"sample_weight": np.r_[np.inf, np.ones(11)]}, ValueError, r"sample_weight contains inf at index 0"),
    ("weights short", _X, 2, {"sample_weight": np.ones(11)}, ValueError, r"sample_weight has length 11 but X has 12 samples"),
    ("weights 2-D", _X, 2, {"sample_weight": np.ones((6, 2))}, ValueError, r"sample_weight must be 1-D"),
    ("weights complex", _X, 2, {"sample_weight": np.ones(12, complex)}, TypeError, r"sample_weight is complex"),
    ("weights strings", _X, 2, {"sample_weight": np.array(["a"] * 12)}, TypeError, r"sample_weight must be numeric"),
    ("weights overflow", _X, 2, {"sample_weight": np.full(12, 1e308)}, ValueError,
     r"sample_weight is too large for float64"),
    ("data overflow", np.array([[1e200], [-1e200], [1e200]]), 2, {}, ValueError, r"X is too large for float64"),
    ("max_iter 0", _X, 2, {"max_iter": 0}, ValueError, r"max_iter must be >= 1, got 0"),
    ("max_iter float", _X, 2, {"max_iter": 2.5}, TypeError, r"max_iter must be an integer"),
    ("tol negative", _X, 2, {"tol": -1.0}, ValueError, r"tol must be a finite number >= 0"),
    ("tol nan", _X, 2, {"tol": float("nan")}, ValueError, r"tol must be a finite number >= 0"),
    ("tol str", _X, 2, {"tol": "1e-4"}, TypeError, r"tol must be a number"),
    ("n_init 0", _X, 2, {"n_init": 0}, ValueError, r"n_init must be >= 1"),
    ("n_init str", _X, 2, {"n_init": "many"}, ValueError, r"n_init must be a positive integer or 'auto'"),
    ("n_threads 0", _X, 2, {"n_threads": 0}, ValueError, r"n_threads must be a non-zero integer"),
    ("n_threads float", _X, 2, {"n_threads": 1.5}, TypeError, r"n_threads must be an integer"),
    ("seed negative", _X, 2, {"random_state": -1}, ValueError, r"random_state must be a non-negative integer"),
    ("seed str", _X, 2, {"random_state": "0"}, TypeError, r"random_state must be None, an int or a Generator"),
    ("init name", _X, 2, {"init": "kmeans++"}, ValueError, r"init must be one of"),
    ("init shape", _X, 2, {"init": np.zeros((3, 3))}, ValueError, r"init has shape \(3, 3\), expected .* \(2, 3\)"),
    ("init nan", _X, 2, {"init": np.full((2, 3), np.nan)}, ValueError, r"init contains nan at row 0, column 0"),
    ("init far", _X.astype(np.float32), 2, {"init": np.array([[0.0, 0, 0], [1e300, 0, 0]])}, ValueError,
     r"init has value 1e\+300 at row 1, column 0, too far outside the data's range"),
    ("init callable", _X, 2, {"init": lambda X, k, rng: None}, TypeError, r"init\(\) must be an array-like"),
    ("callback", _X, 2, {"callback": 3}, TypeError, r"callback must be callable"),
    ("unknown option", _X, 2, {"no_such_option": 1}, (TypeError, ValueError), r"option.*no_such_option"),
    ("rng option", _X, 2, {"rng": np.random.default_rng(0)}, TypeError, r"'rng' is not a solver option"),
    ("method type", _X, 2, {"method": 3}, TypeError, r"method must be a string"),
    ("method name", _X, 2, {"method": "kmeans"}, ValueError, r"unknown method 'kmeans'"),
]


def _expect_error(method, case):
    _, X, k, kw, exc, msg = case
    kw = dict(kw)
    kw.setdefault("method", method)
    kw.setdefault("random_state", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no numpy overflow/invalid on the way
        with pytest.raises(exc, match=msg):
            optimeans.fit(X, k, **kw)


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_error_table(case):
    _expect_error("auto", case)


@pytest.mark.parametrize("method", METHODS)
def test_error_table_every_method(method):
    """The whole table again with each method named: validation comes before any solver."""
    for case in ERRORS:
        if case[3].get("method") is not None:
            continue
        X = case[1]
        if X is _X and not in_domain(method, _X, 2):
            continue  # valid data outside the method's domain: the domain error comes first
        if case[0] == "init callable" and method in getattr(solvers, "INIT_FREE", ()):
            continue  # a method that needs no start never calls init()
        _expect_error(method, case)


@pytest.mark.parametrize("method", sorted(m for m in DOMAIN if "outside" in DOMAIN[m]))
def test_restricted_methods_refuse_inputs_outside_their_domain(method):
    if method not in METHODS:
        pytest.skip(f"method {method!r} is not registered in this build")
    dom = DOMAIN[method]
    if "outside" not in dom:
        pytest.skip(f"method {method!r} accepts every size (its limit here only keeps the tests fast)")
    rng = np.random.default_rng(1)
    if "max_features" in dom:
        X = rng.normal(size=(10, dom["max_features"] + 1))
    else:
        X = rng.normal(size=(dom["max_samples"] + 1, 2))
    with pytest.raises(ValueError, match=dom["outside"]):
        optimeans.fit(X, 2, method=method, random_state=0)


# ---------------------------------------------------------------------------
# inputs that must give a correct result


def _fit(method, X, k, **kw):
    kw.setdefault("random_state", 0)
    kw.setdefault("n_init", 3)
    kw.setdefault("n_threads", 1)  # thread counts are the subject of test_determinism
    for key, value in FAST_OPTIONS.get(method, {}).items():
        kw.setdefault(key, value)
    return optimeans.fit(X, k, method=method, **kw)


def _need(method, X, k):
    if not in_domain(method, np.asarray(X, dtype=np.float64).reshape(len(X), -1), k):
        pytest.skip(f"outside the domain of {method!r} (covered by the refusal test)")


def _tiny(method):
    """Tiny well-separated data inside the method's domain."""
    d = 1 if DOMAIN.get(method, {}).get("max_features", 2) < 2 else 2
    return blobs_tiny(d)


def _assert_optimal(res, X, k, method, w=None, rel=1e-9):
    check_valid(res, X, k, w)
    opt, lab = brute_force(X, k, w)
    if method in APPROXIMATE:
        assert res.objective <= opt * 1.05 + 1e-12 * max(1.0, float(np.abs(X).max()) ** 2)
    else:
        assert res.objective == pytest.approx(opt, rel=rel, abs=1e-20 * max(1e-300, float(np.abs(X).max()) ** 2))
    return opt, lab


@pytest.mark.parametrize("method", METHODS)
def test_single_row(method):
    X = np.array([[3.5, -1.25]]) if in_domain(method, np.zeros((1, 2)), 1) else np.array([[3.5]])
    res = _fit(method, X, 1)
    check_valid(res, X, 1)
    np.testing.assert_allclose(res.centers, X, rtol=1e-15)
    assert res.objective == 0.0
    assert res.labels.tolist() == [0]


@pytest.mark.parametrize("method", METHODS)
def test_single_feature(method):
    X = blobs_tiny(1)
    res = _fit(method, X, 3)
    _, lab = _assert_optimal(res, X, 3, method)
    np.testing.assert_array_equal(canonical(res.labels), canonical(lab))


@pytest.mark.parametrize("method", METHODS)
def test_n_clusters_equal_to_n(method):
    X = _tiny(method)[:6]
    _need(method, X, 6)
    res = _fit(method, X, 6)
    check_valid(res, X, 6)
    assert sorted(res.labels.tolist()) == list(range(6))
    assert res.objective <= 1e-24 * float((X**2).sum())


@pytest.mark.parametrize("method", METHODS)
def test_more_clusters_than_distinct_points(method):
    X = np.repeat(_tiny(method)[[0, 3, 6]], 3, axis=0)  # 3 distinct points, 9 rows
    with pytest.warns(FewDistinctPointsWarning, match="only 3 distinct point"):
        res = _fit(method, X, 5)
    check_valid(res, X, 5)
    assert res.objective <= 1e-24 * float((X**2).sum())
    # equal points sit on equal centers (they may be split among coincident ones)
    np.testing.assert_allclose(res.centers[res.labels], X, rtol=0, atol=1e-13 * float(np.abs(X).max()))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("k", [1, 3])
def test_all_points_identical(method, k):
    d = _tiny(method).shape[1]
    X = np.full((7, d), 2.75)
    if k > 1:
        with pytest.warns(FewDistinctPointsWarning, match="only 1 distinct point"):
            res = _fit(method, X, k)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error", FewDistinctPointsWarning)
            res = _fit(method, X, k)
    check_valid(res, X, k)
    assert res.objective == 0.0
    np.testing.assert_array_equal(res.centers[np.unique(res.labels)], X[:1])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e30, 1e-30, 3.0e-39], ids=["1e30", "1e-30", "3e-39"])
def test_extreme_magnitudes(method, dtype, scale):
    """1e30 squared overflows float32; 1e-30 squared underflows it; 3e-39 is subnormal in float32."""
    base = _tiny(method)
    X = (base * scale).astype(dtype)
    assert np.isfinite(X).all() and (np.abs(X).max() > 0)
    res = _fit(method, X, 3)
    assert res.centers.dtype == np.float64
    # the partition is the one of the well-scaled data, the objective its brute-force value
    _, lab = _assert_optimal(res, X, 3, method, rel=1e-6 if dtype == np.float32 else 1e-9)
    np.testing.assert_array_equal(canonical(res.labels), canonical(lab))
    ref = _fit(method, base.astype(dtype), 3)
    np.testing.assert_array_equal(canonical(res.labels), canonical(ref.labels))


@pytest.mark.parametrize("method", METHODS)
def test_huge_float64_magnitude(method):
    """1e150 with unit... spread 1e149: squared distances near 1e300 still fit float64."""
    base = _tiny(method)
    X = base * 1e149 + 1e150
    res = _fit(method, X, 3)
    _, lab = _assert_optimal(res, X, 3, method)
    np.testing.assert_array_equal(canonical(res.labels), canonical(lab))


@pytest.mark.parametrize("method", METHODS)
def test_mixed_scales_across_columns(method):
    base = blobs_tiny(2)
    if not in_domain(method, base, 3):
        pytest.skip("needs 2 features")
    X = base * np.array([1e-8, 1e8])  # second column dominates; first is noise at 1e-8
    res = _fit(method, X, 3)
    _assert_optimal(res, X, 3, method)


@pytest.mark.parametrize("method", METHODS)
def test_duplicated_rows_equal_weight_two(method):
    X = _tiny(method)
    a = _fit(method, np.vstack([X, X]), 3)
    b = _fit(method, X, 3, sample_weight=np.full(len(X), 2.0))
    check_valid(a, np.vstack([X, X]), 3)
    check_valid(b, X, 3, np.full(len(X), 2.0))
    assert a.objective == pytest.approx(b.objective, rel=1e-6 if method in APPROXIMATE else 1e-9)
    np.testing.assert_array_equal(canonical(a.labels[: len(X)]), canonical(b.labels))
    np.testing.assert_array_equal(a.labels[: len(X)], a.labels[len(X):])


@pytest.mark.parametrize("method", METHODS)
def test_zero_weights_act_as_absent_rows(method):
    X = _tiny(method)
    # an outlier with weight zero must not move any center
    Xo = np.vstack([X, np.full((1, X.shape[1]), 1e4)])
    w = np.r_[np.ones(len(X)), 0.0]
    res = _fit(method, Xo, 3, sample_weight=w)
    check_valid(res, Xo, 3, w)
    opt, lab = brute_force(X, 3)
    if method not in APPROXIMATE:
        assert res.objective == pytest.approx(opt, rel=1e-9)
    np.testing.assert_array_equal(canonical(res.labels[:-1]), canonical(lab))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("w", [1e-320, 1e300, 2.0**-60], ids=["subnormal", "1e300", "2^-60"])
def test_extreme_uniform_weights(method, w):
    """Scaling every weight by a constant scales the objective and changes nothing else."""
    X = _tiny(method)
    res = _fit(method, X, 3, sample_weight=np.full(len(X), w))
    ref = _fit(method, X, 3)
    np.testing.assert_array_equal(res.labels, ref.labels)
    np.testing.assert_allclose(res.centers, ref.centers, rtol=1e-12, atol=1e-12)
    assert res.objective == pytest.approx(ref.objective * w, rel=1e-9)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda X: X.astype(np.int64), id="int64"),
        pytest.param(lambda X: X.astype(np.int16), id="int16"),
        pytest.param(lambda X: X.astype(np.uint32), id="uint32"),
        pytest.param(lambda X: X.astype(np.float16), id="float16"),
        pytest.param(lambda X: X.astype(object), id="object-ints"),
        pytest.param(lambda X: X.astype(np.int64).astype(str), id="numeric-strings"),
        pytest.param(lambda X: X.astype(np.int64).tolist(), id="list"),
    ],
)
def test_integer_object_and_string_data_are_read_as_float64(method, convert):
    X = np.round(_tiny(method) * 50) + 100  # small non-negative integers (< 2048: exact in float16)
    ref = _fit(method, X, 3)
    res = _fit(method, convert(X), 3)
    np.testing.assert_array_equal(res.labels, ref.labels)
    np.testing.assert_array_equal(res.centers, ref.centers)
    assert res.objective == ref.objective


@pytest.mark.parametrize("method", METHODS)
def test_boolean_data(method):
    X = np.array([[1, 0], [1, 0], [1, 1], [0, 1], [0, 1], [0, 0]], dtype=bool)
    if not in_domain(method, X.astype(float), 3):
        X = X[:, :1]
    res = _fit(method, X, 2)
    ref = _fit(method, X.astype(np.float64), 2)
    np.testing.assert_array_equal(res.labels, ref.labels)
    np.testing.assert_array_equal(res.centers, ref.centers)
    check_valid(res, X.astype(np.float64), 2)
    if method not in APPROXIMATE:  # 6 corners of a square are not well separated
        _assert_optimal(res, X.astype(np.float64), 2, method)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "layout",
    [
        pytest.param(lambda A: np.asfortranarray(A), id="fortran"),
        pytest.param(lambda A: np.repeat(A, 2, axis=0)[::2], id="strided-rows"),
        pytest.param(lambda A: np.repeat(A, 3, axis=1)[:, ::3], id="strided-columns"),
        pytest.param(lambda A: A[::-1][::-1], id="negative-strides"),
        pytest.param(lambda A: _readonly(A), id="read-only"),
    ],
)
def test_memory_layouts_give_bitwise_the_same_result(method, dtype, layout):
    X = _tiny(method).astype(dtype)
    ref = _fit(method, X, 3)
    V = layout(X.copy())
    before = V.copy()
    res = _fit(method, V, 3)
    np.testing.assert_array_equal(res.labels, ref.labels)
    np.testing.assert_array_equal(res.centers, ref.centers)
    assert res.objective == ref.objective
    np.testing.assert_array_equal(V, before)  # the input is never modified


def _readonly(A):
    A = A.copy()
    A.flags.writeable = False
    return A


@pytest.mark.parametrize("method", METHODS)
def test_inputs_are_not_mutated(method):
    X = _tiny(method)
    w = np.linspace(1.0, 2.0, len(X))
    init = X[[0, 3, 6]].copy()
    copies = (X.copy(), w.copy(), init.copy())
    _fit(method, X, 3, sample_weight=w, init=init, n_init=1)
    for a, b in zip((X, w, init), copies):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", METHODS)
def test_dataframes(method):
    pd = pytest.importorskip("pandas")
    X = _tiny(method)
    cols = [f"f{i}" for i in range(X.shape[1])]
    ref = _fit(method, X, 3)
    res = _fit(method, pd.DataFrame(X, columns=cols), 3)
    np.testing.assert_array_equal(res.labels, ref.labels)
    df = pd.DataFrame(X, columns=cols)
    df["name"] = "x"
    with pytest.raises(TypeError, match=r"non-numeric column\(s\) 'name'"):
        _fit(method, df, 3)
    df = pd.DataFrame(X, columns=cols).astype({cols[0]: "Float64"})
    df.iloc[5, 0] = pd.NA
    with pytest.raises(ValueError, match=r"NaN at row 5, column 0"):
        _fit(method, df, 3)


def test_auto_resolves_to_a_registered_method_and_records_it():
    X = blobs_tiny(2)
    res = optimeans.fit(X, 3, random_state=0)
    solver, _, refine = res.method.partition("+")  # the default refinement is named after the solver
    assert solver in METHODS and refine in ("", "swap", "swap+hartigan")
    ref = optimeans.fit(X, 3, random_state=0, method=solver)
    np.testing.assert_array_equal(res.labels, ref.labels)
    assert res.objective == ref.objective


def test_float32_far_from_origin_keeps_the_objective_to_1e_6():
    """Values around 1e6 with unit spread: a naive float32 expanded distance loses every digit."""
    rng = np.random.default_rng(5)
    centers = rng.normal(scale=4.0, size=(5, 3))
    X64 = 1e6 + centers[rng.integers(0, 5, 20000)] + rng.normal(size=(20000, 3))
    X32 = X64.astype(np.float32)
    r32 = optimeans.fit(X32, 5, random_state=3, n_init=1)
    # reference: the float64 objective of the same partition, computed on the float32 values
    Xr = X32.astype(np.float64)
    exact = 0.0
    for j in range(5):
        m = r32.labels == j
        exact += float(((Xr[m] - Xr[m].mean(axis=0)) ** 2).sum())
    assert r32.objective == pytest.approx(exact, rel=1e-6)
    # and the float64 run on the same values finds the same partition
    r64 = optimeans.fit(Xr, 5, random_state=3, n_init=1)
    assert r32.objective == pytest.approx(r64.objective, rel=1e-6)
    # what a naive float32 computation would report is far off (the reason for centering)
    c32 = np.stack([X32[r32.labels == j].mean(axis=0) for j in range(5)]).astype(np.float32)
    naive = float(((X32**2).sum(1) - 2 * (X32 * c32[r32.labels]).sum(1) + (c32[r32.labels] ** 2).sum(1)).sum())
    assert abs(naive - exact) > 1e-3 * exact


# ---------------------------------------------------------------------------
# the objective functions are public too

_C = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, -1.0]])
OBJECTIVE_ERRORS = [
    ("nan center", {"centers": np.array([[np.nan, 1.0, 0.0], [1.0, 0.0, -1.0]])}, ValueError,
     r"centers contains nan at row 0, column 0"),
    ("inf center", {"centers": np.array([[0.0, 1.0, 0.0], [1.0, -np.inf, -1.0]])}, ValueError,
     r"centers contains -inf at row 1, column 1"),
    ("string center", {"centers": [["a", "0", "0"]]}, TypeError, r"centers has a non-numeric value 'a'"),
    ("no centers", {"centers": np.empty((0, 3))}, ValueError, r"n_clusters >= 1"),
    ("1-D centers", {"centers": np.zeros(3)}, ValueError, r"centers must have shape \(n_clusters, 3\)"),
    ("wrong width", {"centers": np.zeros((2, 2))}, ValueError, r"centers must have shape \(n_clusters, 3\)"),
    ("float labels", {"labels": np.zeros(12)}, TypeError, r"labels must be integers"),
    ("labels out of range", {"labels": np.full(12, 2)}, ValueError, r"labels must lie in \[0, 1\]"),
    ("labels wrong length", {"labels": np.zeros(11, dtype=int)}, ValueError, r"labels must have shape \(12,\)"),
    ("nan X", {"X": _with(np.nan, 2, 2)}, ValueError, r"NaN at row 2, column 2"),
    ("negative weight", {"sample_weight": -np.ones(12)}, ValueError, r"negative value"),
]


@pytest.mark.parametrize("fn", ["objective", "gradient", "newton_step"])
@pytest.mark.parametrize("case", OBJECTIVE_ERRORS, ids=[c[0] for c in OBJECTIVE_ERRORS])
def test_objective_functions_error_table(fn, case):
    _, kw, exc, msg = case
    args = {"X": _X, "centers": _C, "labels": None, "sample_weight": None, **kw}
    with pytest.raises(exc, match=msg):
        getattr(optimeans, fn)(args["X"], args["centers"], args["labels"], args["sample_weight"])


def test_objective_of_extreme_data_is_exact():
    X = blobs_tiny(2)
    C = X[[0, 3, 6]]
    ref = optimeans.objective(X, C)
    for e in (-100, 100):
        assert optimeans.objective(np.ldexp(X, e), np.ldexp(C, e)) == np.ldexp(ref, 2 * e)


@pytest.mark.parametrize(
    "method, options",
    [("soft", {"sigma": 0.7}), ("annealing", {"sigma_start": 5.0, "sigma_min": 0.1}), ("annealing", {})],
)
@pytest.mark.parametrize("e", [-120, 120])
def test_length_options_follow_the_data_scale(method, options, e):
    """sigma is a length in the data's units, also when fit rescales extreme data internally."""
    if method not in METHODS:
        pytest.skip(f"{method!r} not registered")
    from optimeans.datasets import make_blobs

    X = make_blobs(300, 2, 3, random_state=0)
    a = optimeans.fit(X, 3, method=method, random_state=0, n_threads=1, **options)
    b = optimeans.fit(np.ldexp(X, e), 3, method=method, random_state=0, n_threads=1,
                      **{k: float(np.ldexp(v, e)) for k, v in options.items()})
    np.testing.assert_array_equal(b.labels, a.labels)
    np.testing.assert_array_equal(b.centers, np.ldexp(a.centers, e))
    assert b.objective == np.ldexp(a.objective, 2 * e)
    for key in ("sigma", "sigma_start", "sigma_min"):
        if key in a.options:
            assert b.options[key] == np.ldexp(a.options[key], e)
    if "sigma" in a.history.extra:
        np.testing.assert_array_equal(b.history.extra["sigma"], np.ldexp(a.history.extra["sigma"], e))
    if "free_energy" in a.info:
        assert b.info["free_energy"] == np.ldexp(a.info["free_energy"], 2 * e)


# ---------------------------------------------------------------------------
# the estimator: the same table through KMeans.fit, and hostile data to predict

_FIT_ARGS = ("sample_weight", "callback")
_CTOR_ARGS = ("method", "init", "n_init", "max_iter", "tol", "random_state", "n_threads")


#: KMeans validates X with scikit-learn first (its estimator checks expect
#: scikit-learn's messages): where those differ from fit's, the message must
#: still name the problem.
_SKLEARN_MESSAGES = {
    "string cell": ((ValueError, TypeError), r"'abc'"),
    "string array": ((ValueError, TypeError), r"'x'"),
    "bytes array": ((ValueError, TypeError), r"\?"),
    "list cell": ((ValueError, TypeError), r"sequence"),
    "complex": ((ValueError, TypeError), r"[Cc]omplex"),
    "None": ((ValueError, TypeError), r"2D array, got scalar|array-like"),
    "ragged": (ValueError, r"inhomogeneous"),
    "scalar": (ValueError, r"2D array, got scalar"),
    "1-D": (ValueError, r"(?s)Expected 2D array, got 1D array.*reshape"),
    "3-D": (ValueError, r"dim 3|3-D|2D"),
    "empty": (ValueError, r"0 sample"),
    "no features": (ValueError, r"0 feature"),
}


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_error_table_through_kmeans(case):
    from optimeans import KMeans

    name, X, k, kw, exc, msg = case
    exc, msg = _SKLEARN_MESSAGES.get(name, (exc, msg))
    ctor = {key: v for key, v in kw.items() if key in _CTOR_ARGS}
    fit_kw = {key: v for key, v in kw.items() if key in _FIT_ARGS}
    options = {key: v for key, v in kw.items() if key not in _CTOR_ARGS + _FIT_ARGS}
    ctor.setdefault("random_state", 0)
    with pytest.raises(exc, match=msg):
        KMeans(n_clusters=k, options=options or None, **ctor).fit(X, **fit_kw)


@pytest.mark.parametrize(
    "bad, exc, msg",
    [
        (_with(np.nan, 4, 2)[:6], ValueError, r"NaN at row 4, column 2"),
        (_X[:5, :2], ValueError, r"2 features.*expect(ing|s) 3|n_features"),
        (_with("x", 1, 0)[:3], (TypeError, ValueError), r"'x'"),
        (np.empty((0, 3)), ValueError, r"empty|0 sample"),
        (_X[:, 0], ValueError, r"2-D|1-D|reshape"),
    ],
    ids=["nan", "wrong width", "string", "empty", "1-D"],
)
@pytest.mark.parametrize("call", ["predict", "transform", "score"])
def test_kmeans_refuses_hostile_data_after_fit(bad, exc, msg, call):
    from optimeans import KMeans

    km = KMeans(n_clusters=3, random_state=0, n_threads=1).fit(_X)
    with pytest.raises(exc, match=msg):
        getattr(km, call)(bad)
