"""The error table of the foundation issue: every bad input gets a clear error, checked with match=."""

import warnings

import numpy as np
import pytest

import optimeans
from optimeans import FewDistinctPointsWarning
from optimeans._validation import as_float_array, check_data, check_n_clusters, check_sample_weight

GOOD = np.arange(20, dtype=np.float64).reshape(10, 2)


def with_value(value, row, col):
    X = GOOD.copy()
    X[row, col] = value
    return X


@pytest.mark.parametrize(
    "X, n_clusters, kwargs, error, match",
    [
        (with_value(np.nan, 3, 1), 2, {}, ValueError, r"X contains NaN at row 3, column 1"),
        (with_value(np.inf, 7, 0), 2, {}, ValueError, r"X contains inf at row 7, column 0"),
        (with_value(-np.inf, 0, 1), 2, {}, ValueError, r"X contains -inf at row 0, column 1"),
        (np.empty((0, 3)), 1, {}, ValueError, r"X is empty"),
        ([], 1, {}, ValueError, r"X is empty"),
        (np.empty((5, 0)), 1, {}, ValueError, r"X has 0 features"),
        (np.arange(5.0), 1, {}, ValueError, r"X must be 2-D \(n_samples, n_features\), got 1-D of length 5; use X.reshape\(-1, 1\)"),
        (np.zeros((2, 2, 2)), 1, {}, ValueError, r"X must be 2-D .*got shape \(2, 2, 2\)"),
        (GOOD, 0, {}, ValueError, r"n_clusters must be >= 1, got 0"),
        (GOOD, -3, {}, ValueError, r"n_clusters must be >= 1, got -3"),
        (GOOD, 11, {}, ValueError, r"n_clusters=11 is larger than the number of samples n_samples=10"),
        (GOOD, 2.5, {}, TypeError, r"n_clusters must be an integer, got 2.5"),
        (GOOD, 2, {"sample_weight": np.zeros(10)}, ValueError, r"sample_weight is zero for every sample"),
        (GOOD, 2, {"sample_weight": [1.0] * 9 + [-1.0]}, ValueError, r"sample_weight contains a negative value -1.0 at index 9"),
        (GOOD, 2, {"sample_weight": [1.0] * 4 + [np.nan] * 6}, ValueError, r"sample_weight contains nan at index 4"),
        (GOOD, 2, {"sample_weight": np.ones(9)}, ValueError, r"sample_weight has length 9 but X has 10 samples"),
        (GOOD, 2, {"sample_weight": np.ones((10, 2))}, ValueError, r"sample_weight must be 1-D, got shape \(10, 2\)"),
        ([["1", "2"], ["3", "x"]], 1, {}, TypeError, r"X has a non-numeric value 'x' at row 1, column 1"),
        (np.ones((3, 2), dtype=complex), 1, {}, TypeError, r"X is complex"),
        (None, 1, {}, TypeError, r"X must be an array-like of numbers, got None"),
        (GOOD, 2, {"max_iter": 0}, ValueError, r"max_iter must be >= 1, got 0"),
        (GOOD, 2, {"tol": -1.0}, ValueError, r"tol must be a finite number >= 0"),
        (GOOD, 2, {"n_init": "many"}, ValueError, r"n_init must be a positive integer or 'auto'"),
        (GOOD, 2, {"random_state": -1}, ValueError, r"random_state must be a non-negative integer"),
        (GOOD, 2, {"random_state": "seed"}, TypeError, r"random_state must be None, an int or a Generator"),
        (GOOD, 2, {"init": np.zeros((3, 2))}, ValueError, r"init has shape \(3, 2\), expected \(n_clusters, n_features\) = \(2, 2\)"),
        (GOOD, 2, {"init": "kmeans"}, ValueError, r"init must be one of"),
    ],
)
def test_error_table(X, n_clusters, kwargs, error, match):
    with pytest.raises(error, match=match):
        optimeans.fit(X, n_clusters, **kwargs)


def test_errors_through_the_estimator():
    with pytest.raises(ValueError, match=r"X contains NaN at row 3, column 1"):
        optimeans.KMeans(2).fit(with_value(np.nan, 3, 1))
    with pytest.raises(ValueError, match=r"n_clusters=11 is larger than the number of samples"):
        optimeans.KMeans(11).fit(GOOD)
    with pytest.raises(ValueError, match=r"sample_weight is zero for every sample"):
        optimeans.KMeans(2).fit(GOOD, sample_weight=np.zeros(10))


def test_first_offending_row_is_reported():
    X = GOOD.copy()
    X[8, 0] = np.nan
    X[2, 1] = np.inf
    with pytest.raises(ValueError, match=r"inf at row 2, column 1"):
        check_data(X)


def test_dataframes_name_the_non_numeric_column():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1.0, 2.0], "species": ["x", "y"], "b": [1, 2]})
    with pytest.raises(TypeError, match=r"non-numeric column\(s\) 'species'"):
        optimeans.fit(df, 1)
    df = pd.DataFrame({"a": pd.array([1, None], dtype="Int64")})
    with pytest.raises(ValueError, match=r"NaN at row 1, column 0"):
        check_data(df)


def test_few_distinct_points_warns_and_gives_a_valid_result():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    with pytest.warns(FewDistinctPointsWarning, match=r"only 2 distinct point\(s\) with positive weight, fewer than n_clusters=3"):
        r = optimeans.fit(X, 3, random_state=0)
    assert np.isfinite(r.centers).all()
    assert r.objective == 0.0
    assert set(map(tuple, r.centers.tolist())) == {(0.0, 0.0), (1.0, 1.0)}
    np.testing.assert_array_equal(r.centers[r.labels], X)


def test_few_positive_weights_warns():
    with pytest.warns(FewDistinctPointsWarning, match=r"only 1 sample\(s\) have positive weight, fewer than n_clusters=2"):
        r = optimeans.fit(GOOD, 2, sample_weight=[1.0] + [0.0] * 9, random_state=0)
    assert r.objective == 0.0


def test_enough_distinct_points_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_n_clusters(10, GOOD)


def test_dtypes():
    assert as_float_array(np.ones((2, 2), dtype=np.float32)).dtype == np.float32
    for dt in (np.int8, np.int64, np.uint16, np.float16, bool):
        assert as_float_array(np.ones((2, 2), dtype=dt)).dtype == np.float64
    F = np.asfortranarray(GOOD)
    out = as_float_array(F)
    assert out.flags.c_contiguous and np.array_equal(out, GOOD)
    w = check_sample_weight(None, 4)
    assert w.dtype == np.float64 and np.array_equal(w, np.ones(4))
    np.testing.assert_array_equal(check_sample_weight(2, 3), [2.0, 2.0, 2.0])


def test_input_not_mutated():
    X = GOOD.copy()
    w = np.linspace(1, 2, 10)
    X0, w0 = X.copy(), w.copy()
    optimeans.fit(X, 3, sample_weight=w, random_state=0)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(w, w0)
