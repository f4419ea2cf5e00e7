"""optimeans.GaussianMixture: agreement with scikit-learn, robustness to singular covariances."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from sklearn.utils.estimator_checks import parametrize_with_checks

import optimeans
from optimeans.datasets import load, make_blobs
from optimeans.gmm import GaussianMixture, SingularCovarianceWarning

COV_TYPES = ["full", "tied", "diag", "spherical"]


@pytest.fixture(scope="module")
def iris():
    return load("iris")


def _perturbed_init(X, cov_type):
    """Initial parameters that are not a fixed point, so EM has work to do."""
    ref = SkGaussianMixture(3, covariance_type=cov_type, random_state=0).fit(X)
    rng = np.random.default_rng(1)
    return dict(
        weights_init=np.array([0.5, 0.3, 0.2]),
        means_init=ref.means_ + 0.3 * rng.standard_normal(ref.means_.shape),
        precisions_init=ref.precisions_,
    )


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_same_log_likelihood_as_sklearn_from_the_same_init(cov_type, iris):
    init = _perturbed_init(iris, cov_type)
    kw = dict(covariance_type=cov_type, tol=0.0, max_iter=25, **init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = SkGaussianMixture(3, **kw).fit(iris)
        ours = GaussianMixture(3, **kw).fit(iris)
    assert ours.score(iris) == pytest.approx(ref.score(iris), rel=1e-6)
    assert ours.lower_bound_ == pytest.approx(ref.lower_bound_, rel=1e-6)
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.covariances_, ref.covariances_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.predict_proba(iris), ref.predict_proba(iris), atol=1e-6)
    assert ours.bic(iris) == pytest.approx(ref.bic(iris), rel=1e-6)
    assert ours.aic(iris) == pytest.approx(ref.aic(iris), rel=1e-6)
    np.testing.assert_array_equal(ours.predict(iris), ref.predict(iris))


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_em_never_decreases_the_log_likelihood(cov_type):
    X = make_blobs(400, 3, 4, cluster_std=2.0, random_state=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(4, covariance_type=cov_type, init_params="random", tol=0, max_iter=60,
                             random_state=0).fit(X)
    b = gm.lower_bounds_
    assert len(b) == 60
    assert np.all(np.diff(b) >= -1e-10 * np.abs(b[:-1]))
    assert b[-1] > b[0]


@pytest.mark.parametrize("cov_type", ["full", "tied"])
@pytest.mark.parametrize("reg_covar", [1e-6, 0.0])
def test_duplicated_column_finite_likelihood_a_warning_no_exception(cov_type, reg_covar, iris):
    X = np.hstack([iris, iris[:, [2]]])  # a perfectly correlated feature
    with pytest.warns(SingularCovarianceWarning, match="duplicated column"):
        gm = GaussianMixture(3, covariance_type=cov_type, reg_covar=reg_covar, random_state=0).fit(X)
    assert np.isfinite(gm.score(X))
    assert np.all(np.isfinite(gm.score_samples(X)))
    assert np.all(np.isfinite(gm.predict_proba(X)))
    assert gm.singular_components_
    if reg_covar == 0.0:
        # the naive implementation gives up on this data
        with pytest.raises(ValueError, match="ill-defined empirical covariance"):
            SkGaussianMixture(3, covariance_type=cov_type, reg_covar=0.0, random_state=0).fit(X)


def test_no_singular_warning_on_regular_data(iris):
    with warnings.catch_warnings():
        warnings.simplefilter("error", SingularCovarianceWarning)
        gm = GaussianMixture(3, random_state=0).fit(iris)
    assert gm.singular_components_ == []


def test_constant_feature_in_diag_model_is_regularized(iris):
    X = np.hstack([iris, np.full((150, 1), 7.0)])
    with pytest.warns(SingularCovarianceWarning):
        gm = GaussianMixture(3, covariance_type="diag", reg_covar=0.0, random_state=0).fit(X)
    assert np.isfinite(gm.score(X))


def test_predict_proba_rows_sum_to_one_and_predict_is_argmax(iris):
    gm = GaussianMixture(3, covariance_type="diag", random_state=0).fit(iris)
    P = gm.predict_proba(iris)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(P.argmax(axis=1), gm.predict(iris))
    np.testing.assert_array_equal(gm.fit_predict(iris), gm.predict(iris))


def test_bic_prefers_the_true_number_of_components():
    X = make_blobs(600, 2, 3, cluster_std=0.5, center_box=(-20, 20), random_state=4)
    bics = {k: GaussianMixture(k, random_state=0, n_init=2).fit(X).bic(X) for k in (1, 2, 3, 4, 5)}
    assert min(bics, key=bics.get) == 3


def test_bic_aic_formulas(iris):
    gm = GaussianMixture(2, covariance_type="spherical", random_state=0).fit(iris)
    n, d, k = 150, 4, 2
    p = k + k * d + k - 1
    logL = gm.score(iris) * n
    assert gm.bic(iris) == pytest.approx(-2 * logL + p * np.log(n))
    assert gm.aic(iris) == pytest.approx(-2 * logL + 2 * p)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random"])
def test_init_params_and_reproducibility(init_params, iris):
    a = GaussianMixture(3, init_params=init_params, random_state=3).fit(iris)
    b = GaussianMixture(3, init_params=init_params, random_state=3).fit(iris)
    np.testing.assert_array_equal(a.means_, b.means_)
    assert a.converged_


def test_sample_draws_from_the_components(iris):
    gm = GaussianMixture(3, random_state=0).fit(iris)
    Xs, labels = gm.sample(3000, random_state=0)
    assert Xs.shape == (3000, 4)
    for j in range(3):
        np.testing.assert_allclose(Xs[labels == j].mean(axis=0), gm.means_[j], atol=0.1)


@pytest.mark.parametrize("bad, match", [
    ({"covariance_type": "banded"}, "covariance_type"),
    ({"reg_covar": -1.0}, "reg_covar"),
    ({"n_components": 0}, "n_components"),
    ({"n_components": 500}, "n_components"),
    ({"init_params": "magic"}, "init_params"),
    ({"means_init": np.zeros((2, 4))}, "means_init"),
    ({"weights_init": [0.5, 0.6, 0.1]}, "weights_init"),
])
def test_parameter_errors(bad, match, iris):
    kw = {"n_components": 3, **bad}
    with pytest.raises(ValueError, match=match):
        GaussianMixture(**kw).fit(iris)


def test_exposed_at_top_level():
    assert optimeans.GaussianMixture is GaussianMixture


@parametrize_with_checks([GaussianMixture(random_state=0, max_iter=20)])
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
