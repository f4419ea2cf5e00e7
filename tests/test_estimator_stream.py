"""KMeans.partial_fit (mini-batch on a stream), KMeans.predict_proba (soft methods),
and every new method through KMeans(method=NAME)."""

import numpy as np
import pytest

import optimeans
from optimeans import KMeans
from optimeans.datasets import load, make_blobs
from optimeans.solvers.soft import responsibilities

NEW_METHODS = ["gd", "newton", "sgd", "minibatch", "soft", "annealing"]


@pytest.mark.parametrize("method", NEW_METHODS)
def test_every_new_method_through_kmeans(method):
    X = load("iris")
    km = KMeans(3, method=method, random_state=0, n_init=1).fit(X)
    r = optimeans.fit(X, 3, method=method, random_state=0, n_init=1)
    np.testing.assert_allclose(km.cluster_centers_, r.centers, rtol=1e-12)
    assert km.inertia_ == pytest.approx(r.objective, rel=1e-12)
    assert km.result_.method == method


def _stream():
    rng = np.random.default_rng(0)
    mu = np.array([[0.0, 0.0], [50.0, 0.0], [0.0, 50.0]])
    labels = rng.integers(0, 3, 3000)
    return mu[labels] + rng.standard_normal((3000, 2)), labels, mu


def test_partial_fit_streams_to_the_cluster_means():
    X, labels, mu = _stream()
    km = KMeans(3, init=mu + 2.0, random_state=0)
    for start in range(0, 3000, 100):
        km.partial_fit(X[start:start + 100])
    assert km.n_steps_ == 30
    # per-center rates 1/n_j from zero counts: each center is the running mean of its points
    for j in range(3):
        np.testing.assert_allclose(km.cluster_centers_[j], X[labels == j].mean(axis=0), rtol=1e-12)
    assert len(km.result_.history) == 30
    assert km.labels_.shape == (100,)
    np.testing.assert_array_equal(km.predict(X[-100:]), km.labels_)


def test_partial_fit_from_kmeans_plus_plus_on_the_first_batch_is_reproducible():
    X = make_blobs(2000, 2, 4, random_state=1)
    a = KMeans(4, random_state=3)
    b = KMeans(4, random_state=3)
    for start in range(0, 2000, 250):
        a.partial_fit(X[start:start + 250])
        b.partial_fit(X[start:start + 250])
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    full = KMeans(4, random_state=0).fit(X)
    assert -a.score(X) < 1.05 * full.inertia_


def test_partial_fit_continues_a_fitted_model_with_its_cluster_sizes():
    X, labels, mu = _stream()
    km = KMeans(3, random_state=0).fit(X[:1000])
    before = km.cluster_centers_.copy()
    sizes = np.bincount(km.labels_, minlength=3)
    km.partial_fit(X[1000:1100])
    # a fitted center weighs as much as its cluster: one batch moves it a little
    moved = np.linalg.norm(km.cluster_centers_ - before, axis=1)
    assert moved.max() < 0.5
    assert km.result_.info["counts"].sum() == pytest.approx(sizes.sum() + 100)


def test_partial_fit_errors():
    X, _, _ = _stream()
    with pytest.raises(ValueError, match="fewer than n_clusters"):
        KMeans(5).partial_fit(X[:3])
    km = KMeans(3, random_state=0).partial_fit(X[:100])
    with pytest.raises(ValueError, match="features"):
        km.partial_fit(np.hstack([X[:10], X[:10]]))


def test_predict_proba_only_for_soft_methods():
    X = load("iris")
    assert not hasattr(KMeans(3), "predict_proba")
    km = KMeans(3, method="soft", random_state=0, n_init=1, options={"sigma": 0.4}).fit(X)
    P = km.predict_proba(X)
    assert P.shape == (150, 3)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(P, responsibilities(X, km.cluster_centers_, 0.4), rtol=1e-12)
    # equal mixing weights: the most probable cluster is the nearest center
    np.testing.assert_array_equal(P.argmax(axis=1), km.predict(X))
    assert 0.0 < P.max(axis=1).min() < 1.0  # genuinely soft


def test_predict_proba_with_learned_mixing_weights_and_annealing():
    X = load("iris")
    km = KMeans(3, method="soft", random_state=0, n_init=1, options={"sigma": 0.5, "mixing": "learned"}).fit(X)
    pi = km.result_.info["mixing_weights"]
    np.testing.assert_allclose(km.predict_proba(X), responsibilities(X, km.cluster_centers_, 0.5, pi), rtol=1e-12)
    ann = KMeans(3, method="annealing", random_state=0, n_init=1).fit(X)
    P = ann.predict_proba(X)
    np.testing.assert_array_equal(P.argmax(axis=1), ann.labels_)
    assert P.max(axis=1).min() > 0.99  # annealing ends (nearly) hard


def test_partial_fit_and_predict_proba_with_a_scaled_model():
    X = load("iris")
    km = KMeans(3, method="soft", random_state=0, n_init=1, scale="standard", options={"sigma": 0.5}).fit(X)
    Z = km.scaler_.transform(X)
    np.testing.assert_allclose(km.predict_proba(X), responsibilities(Z, km.result_.centers, 0.5), rtol=1e-12)
    km.partial_fit(X[:30])
    # continues in the scaled space, with the fitted scaler
    np.testing.assert_allclose(km.cluster_centers_, km.scaler_.inverse_transform(km.result_.centers), rtol=1e-12)
    np.testing.assert_array_equal(km.predict(X[:30]), km.labels_)
    with pytest.raises(ValueError, match="scale"):
        KMeans(3, scale="standard").partial_fit(X)
