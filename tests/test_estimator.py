"""optimeans.KMeans: the scikit-learn contract and agreement with optimeans.fit."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

import optimeans
from optimeans import KMeans
from optimeans.datasets import load, make_blobs


def _expected_failed_checks(estimator):
    # The check shuffles the rows of the weighted data before fitting, so the
    # same seed draws different initial centers (k-means++ samples rows in
    # index order) and a different local minimum may follow. Weights do equal
    # repeated rows when the row order is kept: test_weights_equal_repeated_rows.
    reason = (
        "random seeding depends on the row order and the check shuffles the weighted rows; "
        "weights == repeated rows in a fixed order is tested in test_weights_equal_repeated_rows"
    )
    return {
        "check_sample_weight_equivalence_on_dense_data": reason,
        "check_sample_weight_equivalence_on_sparse_data": reason,  # the same check on CSR data
    }


# n_threads=1: the checks fit hundreds of tiny data sets, where starting a
# parallel region costs more than the work (and the result does not depend on it).
@parametrize_with_checks(
    [KMeans(n_clusters=3, random_state=0, n_threads=1), KMeans(random_state=1, n_threads=1)],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("n_clusters", [3, 8])
def test_weights_equal_repeated_rows(n_clusters):
    rng = np.random.default_rng(42)
    X = rng.random((15, 30))
    sw = rng.integers(0, 5, size=15)
    sw[0] = 3  # at least a few non-zero
    a = KMeans(n_clusters, random_state=0).fit(X.repeat(sw, axis=0))
    b = KMeans(n_clusters, random_state=0).fit(X, sample_weight=sw)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-12, atol=1e-14)
    assert a.inertia_ == pytest.approx(b.inertia_, rel=1e-12)


def test_same_result_as_fit():
    X = load("iris")
    km = KMeans(n_clusters=3, random_state=7).fit(X)
    r = optimeans.fit(X, 3, random_state=7)
    np.testing.assert_array_equal(km.cluster_centers_, r.centers)
    np.testing.assert_array_equal(km.labels_, r.labels)
    assert km.inertia_ == r.objective
    assert km.n_iter_ == r.n_iter
    assert km.result_.seed == 7
    assert km.result_.method == "lloyd+swap+hartigan"  # the default refinement of small problems
    assert km.inertia_ == pytest.approx(78.851441426146, rel=1e-12)


def test_predict_transform_score_consistent():
    X = make_blobs(300, 3, 4, random_state=0)
    km = KMeans(n_clusters=4, random_state=0).fit(X)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    D = km.transform(X)
    assert D.shape == (300, 4)
    np.testing.assert_array_equal(D.argmin(axis=1), km.labels_)
    ref = np.sqrt(((X[:, None, :] - km.cluster_centers_[None]) ** 2).sum(-1))
    np.testing.assert_allclose(D, ref, rtol=1e-12, atol=1e-12)
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-12)
    w = np.linspace(0.5, 2.0, 300)
    assert km.score(X, sample_weight=w) == pytest.approx(-(w * D.min(1) ** 2).sum(), rel=1e-10)


def test_float32_data_float32_centers():
    # the solver runs in float32; cluster_centers_ come back in float32 as
    # scikit-learn's, result_.centers keep the float64 means
    X = make_blobs(200, 2, 3, random_state=1).astype(np.float32)
    km = KMeans(n_clusters=3, random_state=0).fit(X)
    assert km.cluster_centers_.dtype == np.float32
    assert km.result_.centers.dtype == np.float64
    np.testing.assert_array_equal(km.cluster_centers_, km.result_.centers.astype(np.float32))
    assert km.transform(X).shape == (200, 3)
    # predicting float64 data with float32 centers compares in float64
    np.testing.assert_array_equal(km.predict(X.astype(np.float64)), km.labels_)


def test_params_reach_the_solver():
    X = make_blobs(200, 2, 3, random_state=1)
    km = KMeans(n_clusters=3, method="lloyd", init="random", n_init=2, max_iter=1, tol=0.0, random_state=3,
                options={"refine": None}).fit(X)
    assert km.n_iter_ == 1
    assert km.result_.stop_reason == "max_iter"
    assert km.result_.n_init == 2
    r = optimeans.fit(X, 3, method="lloyd", init="random", n_init=2, max_iter=1, tol=0.0, random_state=3, refine=None)
    np.testing.assert_array_equal(km.cluster_centers_, r.centers)


def test_given_centers_and_clone():
    X = np.array([[0.0], [1.0], [9.0], [10.0]])
    init = np.array([[0.0], [10.0]])
    km = KMeans(n_clusters=2, init=init).fit(X)
    np.testing.assert_allclose(km.cluster_centers_, [[0.5], [9.5]])
    km2 = clone(km)
    assert km2.get_params()["init"] is init or np.array_equal(km2.get_params()["init"], init)
    assert not hasattr(km2, "cluster_centers_")
    km2.set_params(n_clusters=1, init="k-means++")
    assert km2.fit(X).cluster_centers_.shape == (1, 1)


def test_unknown_method_and_bad_params():
    X = make_blobs(50, 2, 2, random_state=0)
    with pytest.raises(ValueError, match="unknown method 'nope'"):
        KMeans(2, method="nope").fit(X)
    with pytest.raises(ValueError, match="n_clusters=51 is larger than the number of samples"):
        KMeans(51).fit(X)
    with pytest.raises(ValueError, match="n_init must be"):
        KMeans(2, n_init="many").fit(X)


def test_errors_name_row_column_and_feature():
    X = make_blobs(50, 3, 2, random_state=0)
    X[17, 2] = np.nan
    with pytest.raises(ValueError, match="NaN at row 17, column 2"):
        KMeans(2).fit(X)
    km = KMeans(2, random_state=0).fit(make_blobs(50, 3, 2, random_state=0))
    with pytest.raises(ValueError, match="inf at row 17, column 2"):
        X[17, 2] = np.inf
        km.predict(X)
    with pytest.raises(ValueError, match="X has 2 features"):
        km.predict(X[:, :2])
    with pytest.raises(NotFittedError):
        KMeans(2).predict(X)


def test_dataframes_feature_names():
    pd = pytest.importorskip("pandas")
    X = load("iris")
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    km = KMeans(3, random_state=0).fit(df)
    assert list(km.feature_names_in_) == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(km.predict(df), km.labels_)
    df["species"] = "x"
    with pytest.raises(TypeError, match="non-numeric column.*'species'"):
        KMeans(3).fit(df)


def test_polars_dataframe():
    pl = pytest.importorskip("polars")
    X = load("ruspini")
    df = pl.DataFrame({"x": X[:, 0], "y": X[:, 1]})
    km = KMeans(4, random_state=0).fit(df)
    np.testing.assert_array_equal(km.labels_, KMeans(4, random_state=0).fit(X).labels_)
    with pytest.raises(TypeError, match="'name'"):
        KMeans(4).fit(df.with_columns(pl.lit("a").alias("name")))


def test_every_registered_method_runs_through_the_estimator():
    X2 = make_blobs(200, 2, 3, random_state=2)
    for name in optimeans.methods():
        # "exact" is the 1-D dynamic program: give it 1-D data
        X = X2[:, :1] if name == "exact" else X2
        km = KMeans(3, method=name, random_state=0).fit(X)
        assert km.cluster_centers_.shape == (3, X.shape[1])
        assert km.result_.method != "auto"
        np.testing.assert_array_equal(km.predict(X), km.labels_)
