import numpy as np
import pytest

from optimeans._kernels import sammon as K
from optimeans.datasets import load
from optimeans.projection import (
    classical_mds,
    pca,
    project,
    sammon,
    sammon_stress,
)


def _dist(A):
    diff = A[:, None, :] - A[None, :, :]
    return np.sqrt((diff**2).sum(-1))


def _ref_stress(X, Y):
    iu = np.triu_indices(len(X), 1)
    ds, d = _dist(X)[iu], _dist(Y)[iu]
    return ((ds - d) ** 2 / ds).sum() / ds.sum()


def _ref_derivatives(X, Y):
    """Sammon (1969) eq. 3-5 written out with full matrices."""
    n = len(X)
    Ds, D = _dist(X), _dist(Y)
    c = Ds[np.triu_indices(n, 1)].sum()
    off = ~np.eye(n, dtype=bool)
    g = np.zeros_like(Y)
    h = np.zeros_like(Y)
    for p in range(n):
        j = off[p]
        ds, d = Ds[p, j], D[p, j]
        y = Y[p] - Y[j]
        g[p] = -2 / c * ((ds - d) / (ds * d))[:, None].T @ y
        h[p] = -2 / c * (
            (1 / (ds * d))[:, None] * ((ds - d)[:, None] - y**2 / d[:, None] * (1 + (ds - d) / d)[:, None])
        ).sum(0)
    return g, h


def _ref_sammon(X, Y, max_iter=2000, tol=1e-13, max_halves=30):
    """Cawley's sammon.m: the full diagonal Newton step, halved until the stress drops."""
    E = _ref_stress(X, Y)
    for _ in range(max_iter):
        g, h = _ref_derivatives(X, Y)
        step = g / np.abs(h)
        for _ in range(max_halves):
            Ynew = Y - step
            Enew = _ref_stress(X, Ynew)
            if Enew < E:
                break
            step = step / 2
        else:
            break
        if (E - Enew) / E < tol:
            Y, E = Ynew, Enew
            break
        Y, E = Ynew, Enew
    return Y, E


@pytest.mark.parametrize("m", [2, 3])
def test_kernels_match_paper_formulas(m):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(9, 5))
    Y = rng.normal(size=(9, m))
    D = _dist(X)
    Dinv = np.zeros_like(D)
    off = ~np.eye(9, dtype=bool)
    Dinv[off] = 1 / D[off]
    c = D[np.triu_indices(9, 1)].sum()
    g, h, rows = np.empty_like(Y), np.empty_like(Y), np.empty(9)
    derivatives = K.sammon_derivatives_2d if m == 2 else K.sammon_derivatives
    derivatives(D, Dinv, Y, -2.0 / c, g, h, rows)
    g_ref, h_ref = _ref_derivatives(X, Y)
    np.testing.assert_allclose(g, g_ref, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(h, h_ref, rtol=1e-10, atol=1e-14)
    assert rows.sum() / 2 / c == pytest.approx(_ref_stress(X, Y), rel=1e-12)
    # the general kernel agrees with the 2-D one
    rows2 = np.empty(9)
    K.sammon_row_stress(D, Dinv, Y, rows2)
    np.testing.assert_allclose(rows2, rows, rtol=1e-12)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(7, 4))
    Y = rng.normal(size=(7, 2))
    g, h = _ref_derivatives(X, Y)
    eps = 1e-6
    for p in range(7):
        for q in range(2):
            Yp, Ym = Y.copy(), Y.copy()
            Yp[p, q] += eps
            Ym[p, q] -= eps
            fd = (_ref_stress(X, Yp) - _ref_stress(X, Ym)) / (2 * eps)
            assert g[p, q] == pytest.approx(fd, rel=1e-5, abs=1e-9)
            e2 = 1e-4
            Yp[p, q] += e2 - eps
            Ym[p, q] -= e2 - eps
            fd2 = (_ref_stress(X, Yp) - 2 * _ref_stress(X, Y) + _ref_stress(X, Ym)) / e2**2
            assert h[p, q] == pytest.approx(fd2, rel=1e-4, abs=1e-8)


def test_sammon_matches_reference_on_tiny_case():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(8, 4))
    p = sammon(X, tol=1e-13, max_iter=5000)
    Y0 = pca(X).embedding
    Y_ref, E_ref = _ref_sammon(X, Y0)
    assert p.converged
    assert p.stress == pytest.approx(E_ref, rel=1e-6)
    assert p.stress == pytest.approx(_ref_stress(X, p.embedding), rel=1e-10)
    # same local minimum: the same distances in the map
    np.testing.assert_allclose(_dist(p.embedding), _dist(Y_ref), atol=1e-4)


def test_regular_tetrahedron_maps_to_square():
    # Four equidistant points: the best planar map is a square, stress (3 - 2 sqrt 2) / 6.
    best = (3 - 2 * np.sqrt(2)) / 6
    p = sammon(np.eye(4), tol=1e-12, max_iter=2000)
    assert p.stress == pytest.approx(best, rel=1e-7)
    d = np.sort(_dist(p.embedding)[np.triu_indices(4, 1)])
    np.testing.assert_allclose(d[:4], d[0], rtol=1e-4)  # four equal sides
    np.testing.assert_allclose(d[4:], d[0] * np.sqrt(2), rtol=1e-4)  # two diagonals


def test_stress_never_increases_and_beats_pca():
    X = load("iris")
    p = sammon(X)
    h = p.history
    assert len(h) == p.n_iter + 1 or (not p.converged or len(h) == p.n_iter)
    assert np.all(np.diff(h) <= 0)
    assert h[-1] < 0.8 * h[0]  # it actually improves the PCA start
    assert p.stress == pytest.approx(sammon_stress(X, p.embedding), rel=1e-9)
    assert p.stress < pca(X).stress


def test_random_init_also_decreases():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 6))
    p = sammon(X, init="random", random_state=0)
    assert np.all(np.diff(p.history) <= 0)
    assert p.history[-1] < 0.5 * p.history[0]


def test_planar_data_is_reproduced_exactly():
    rng = np.random.default_rng(5)
    X2 = rng.normal(size=(30, 2))
    X = np.hstack([X2, np.zeros((30, 2))]) @ np.linalg.qr(rng.normal(size=(4, 4)))[0]
    p = sammon(X, init="random", random_state=1, tol=1e-14, max_iter=3000)
    assert p.stress < 1e-8
    np.testing.assert_allclose(_dist(p.embedding), _dist(X2), atol=1e-3)


def test_duplicates_share_their_image():
    X = load("iris")  # rows 101 and 142 are identical
    assert np.array_equal(X[101], X[142])
    p = sammon(X)
    np.testing.assert_array_equal(p.embedding[101], p.embedding[142])
    assert np.isfinite(p.embedding).all()


def test_thread_count_does_not_change_result():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(60, 5))
    a = sammon(X, n_threads=1, max_iter=30)
    b = sammon(X, n_threads=2, max_iter=30)
    np.testing.assert_array_equal(a.embedding, b.embedding)
    assert a.stress == b.stress


def test_pca_and_mds_agree_for_euclidean_data():
    X = load("iris")
    p, m = pca(X), classical_mds(X)
    np.testing.assert_allclose(np.abs(p.embedding), np.abs(m.embedding), atol=1e-8)
    assert p.explained == pytest.approx(m.explained, rel=1e-10)
    assert 0.97 < p.explained < 0.98  # iris: first two axes carry 97.8 % of the variance
    # the PCA map is a projection: distances shrink
    assert np.all(_dist(p.embedding) <= _dist(X) + 1e-9)
    np.testing.assert_allclose(p.transform(X), p.embedding, atol=1e-12)


def test_mds_precomputed_matches_euclidean():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(20, 3))
    a = classical_mds(X)
    b = classical_mds(_dist(X), metric="precomputed")
    np.testing.assert_allclose(a.embedding, b.embedding, atol=1e-10)
    with pytest.raises(ValueError, match="square"):
        classical_mds(np.ones((3, 4)), metric="precomputed")


def test_project_subsamples_and_maps_extra_points():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(300, 5))
    C = X[:3] + 0.01
    proj, Ce = project(X, "mds", max_samples=100, extra=C, random_state=0)
    assert proj.embedding.shape == (100, 2) and Ce.shape == (3, 2)
    assert len(np.unique(proj.index)) == 100 and proj.index.max() < 300
    proj2, _ = project(X, "mds", max_samples=100, extra=C, random_state=0)
    np.testing.assert_array_equal(proj.index, proj2.index)
    p, Cp = project(X, "pca", extra=C)
    assert p.embedding.shape == (300, 2)
    np.testing.assert_allclose(Cp, p.transform(C))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: project(np.ones((5, 2)), "tsne"), "method must be one of"),
        (lambda: pca(np.ones((5, 2)), 3), "n_components=3 is larger than the number of features"),
        (lambda: sammon(np.ones((5, 2))), "at least 2 distinct rows"),
        (lambda: sammon(np.eye(3), init="spectral"), "init must be"),
        (lambda: sammon(np.eye(3), init=np.zeros((2, 2))), "init has shape"),
        (lambda: sammon_stress(np.eye(3), np.zeros((2, 2))), "Y has 2 rows but X has 3"),
        (lambda: project(np.eye(3), "pca", extra=np.ones((1, 2))), "extra has 2 features"),
        (lambda: pca(np.array([[1.0, np.nan]])), "NaN"),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
