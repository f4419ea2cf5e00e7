r"""Gaussian mixture models fitted by EM, robust to near-singular covariances.

The model is :math:`p(x) = \sum_j \pi_j N(x; \mu_j, \Sigma_j)` with covariances

* ``"full"``: one general :math:`\Sigma_j` per component,
* ``"tied"``: one :math:`\Sigma` shared by all components,
* ``"diag"``: diagonal :math:`\Sigma_j`,
* ``"spherical"``: :math:`\Sigma_j = \sigma_j^2 I` (soft k-means is this model with
  one fixed :math:`\sigma`, see :mod:`optimeans.solvers.soft`).

EM alternates the E-step (responsibilities
:math:`\gamma_{ij} \propto \pi_j N(x_i; \mu_j, \Sigma_j)`, by log-sum-exp) and the
M-step (weighted means, weighted covariances plus ``reg_covar`` on the
diagonal). Each iteration never decreases the log-likelihood (Dempster, Laird
& Rubin 1977), which is recorded per iteration.

Perfectly correlated features (a duplicated column, a column that is a sum of
others) make every empirical covariance singular. ``reg_covar`` (1e-6 by
default) keeps the matrices positive definite; when it is 0 or too small for
the working precision, a Cholesky factorization fails and naive
implementations stop with an exception. Here the diagonal jitter is raised
(by factors of 10, from ``1e-10`` times the mean variance) until the
factorization succeeds, and a :class:`SingularCovarianceWarning` names the
components concerned. The log-likelihood stays finite; it is then large,
as it should be for data that lie on a lower-dimensional subspace.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, Literal

import numpy as np
from scipy.linalg import LinAlgError, cholesky, solve_triangular
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import check_data, check_random_state

__all__ = ["GaussianMixture", "SingularCovarianceWarning"]

CovarianceType = Literal["full", "tied", "diag", "spherical"]
_COV_TYPES = ("full", "tied", "diag", "spherical")
_INIT_PARAMS = ("kmeans", "k-means++", "random")
_LOG_2PI = np.log(2.0 * np.pi)
#: A raw covariance whose smallest eigenvalue is below this fraction of its
#: largest is singular to working precision (linearly dependent features).
_SINGULAR_RCOND = 1e-10


class SingularCovarianceWarning(UserWarning):
    """A component's empirical covariance is (nearly) singular; it was regularized."""


# -- the mathematics, on plain arrays ---------------------------------------------------


def _estimate_parameters(X: np.ndarray, resp: np.ndarray, reg_covar: float, cov_type: str):
    """M-step: (nk, means, raw covariances without regularization)."""
    nk = resp.sum(axis=0) + 10 * np.finfo(resp.dtype).eps
    means = (resp.T @ X) / nk[:, None]
    k, d = means.shape
    if cov_type == "full":
        cov = np.empty((k, d, d))
        for j in range(k):
            diff = X - means[j]
            cov[j] = (resp[:, j] * diff.T) @ diff / nk[j]
    elif cov_type == "tied":
        cov = (X.T @ X - (nk * means.T) @ means) / nk.sum()
    elif cov_type == "diag":
        cov = (resp.T @ (X * X)) / nk[:, None] - means**2
    else:
        cov = ((resp.T @ (X * X)) / nk[:, None] - means**2).mean(axis=1)
    return nk, means, cov


def _regularize(cov: np.ndarray, reg_covar: float, cov_type: str) -> np.ndarray:
    out = cov.copy()
    if cov_type == "full":
        for j in range(out.shape[0]):
            out[j].flat[:: out.shape[1] + 1] += reg_covar
    elif cov_type == "tied":
        out.flat[:: out.shape[0] + 1] += reg_covar
    else:
        out += reg_covar
    return out


def _chol_precision(cov: np.ndarray) -> tuple[np.ndarray, float]:
    """Cholesky factor of the precision of one (d x d) covariance; extra jitter used."""
    d = cov.shape[0]
    jitter = 0.0
    scale = max(float(np.trace(cov)) / d, np.finfo(np.float64).tiny)
    step = 1e-10 * scale
    for _ in range(40):
        try:
            c = cov if jitter == 0.0 else cov + jitter * np.eye(d)
            L = cholesky(c, lower=True)
            if np.all(np.diag(L) > 0) and np.all(np.isfinite(L)):
                return solve_triangular(L, np.eye(d), lower=True).T, jitter
        except (LinAlgError, ValueError):
            pass
        jitter = step if jitter == 0.0 else jitter * 10.0
    raise FloatingPointError("could not regularize a covariance matrix (non-finite data?)")


def _precisions_cholesky(cov: np.ndarray, cov_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Precision Cholesky factors and the extra jitter each component needed."""
    if cov_type == "full":
        k, d, _ = cov.shape
        out = np.empty_like(cov)
        jit = np.zeros(k)
        for j in range(k):
            out[j], jit[j] = _chol_precision(cov[j])
        return out, jit
    if cov_type == "tied":
        P, j = _chol_precision(cov)
        return P, np.array([j])
    var = np.array(cov, dtype=np.float64)
    floor = 1e-10 * max(float(np.mean(np.abs(var))), np.finfo(np.float64).tiny)
    jit = np.where(var > 0, 0.0, floor - np.minimum(var, 0.0))
    var = var + jit
    jit = jit.reshape(var.shape[0], -1).max(axis=1)
    return 1.0 / np.sqrt(var), jit


def _singular_components(cov: np.ndarray, cov_type: str) -> list[int]:
    """Components whose raw covariance is singular to working precision."""
    if cov_type == "full":
        bad = []
        for j in range(cov.shape[0]):
            ev = np.linalg.eigvalsh(cov[j])
            if ev[-1] <= 0 or ev[0] <= _SINGULAR_RCOND * ev[-1]:
                bad.append(j)
        return bad
    if cov_type == "tied":
        ev = np.linalg.eigvalsh(cov)
        return [0] if ev[-1] <= 0 or ev[0] <= _SINGULAR_RCOND * ev[-1] else []
    if cov_type == "diag":
        top = cov.max(axis=1, keepdims=True)
        return [int(j) for j in np.flatnonzero(((cov <= _SINGULAR_RCOND * top) | (top <= 0)).any(axis=1))]
    # spherical: singular only when a component collapsed onto one point
    top = max(float(cov.max()), 0.0)
    return [int(j) for j in np.flatnonzero(cov <= _SINGULAR_RCOND * top)] if top > 0 else list(range(len(cov)))


def _log_det_cholesky(prec_chol: np.ndarray, cov_type: str, d: int) -> np.ndarray | float:
    if cov_type == "full":
        return np.sum(np.log(np.diagonal(prec_chol, axis1=1, axis2=2)), axis=1)
    if cov_type == "tied":
        return float(np.sum(np.log(np.diag(prec_chol))))
    if cov_type == "diag":
        return np.sum(np.log(prec_chol), axis=1)
    return d * np.log(prec_chol)


def _log_gaussian_prob(X: np.ndarray, means: np.ndarray, prec_chol: np.ndarray, cov_type: str) -> np.ndarray:
    """log N(x_i; mu_j, Sigma_j), shape (n, k)."""
    n, d = X.shape
    k = means.shape[0]
    log_det = _log_det_cholesky(prec_chol, cov_type, d)
    if cov_type in ("full", "tied"):
        out = np.empty((n, k))
        for j in range(k):
            P = prec_chol[j] if cov_type == "full" else prec_chol
            y = X @ P - means[j] @ P
            out[:, j] = np.sum(y * y, axis=1)
    elif cov_type == "diag":
        prec = prec_chol**2
        out = np.sum(means**2 * prec, axis=1) - 2.0 * (X @ (means * prec).T) + (X * X) @ prec.T
    else:
        prec = prec_chol**2
        out = (np.sum(means**2, axis=1) * prec - 2.0 * (X @ means.T) * prec
               + np.outer(np.einsum("ij,ij->i", X, X), prec))
    return -0.5 * (d * _LOG_2PI + out) + log_det


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


# -- the estimator ----------------------------------------------------------------------


class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture fitted by EM, a drop-in for scikit-learn's.

    Parameters
    ----------
    n_components : int, default 1
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
    tol : float, default 1e-3
        EM stops when the mean log-likelihood per sample changes by less.
    reg_covar : float, default 1e-6
        Added to the diagonal of every covariance. When it is not enough for
        a Cholesky factorization, a larger jitter is used and a
        :class:`SingularCovarianceWarning` is issued.
    max_iter : int, default 100
    n_init : int, default 1
        Restarts; the one with the highest final lower bound is kept.
    init_params : {"kmeans", "k-means++", "random"}, default "kmeans"
        Initial responsibilities: the labels of :func:`optimeans.fit`
        (Lloyd from k-means++), the nearest k-means++ seed, or random.
    weights_init, means_init, precisions_init : array-like, optional
        User initial parameters (overriding those from ``init_params``);
        ``precisions_init`` has the shape of ``precisions_``.
    random_state : int, Generator or None

    Attributes
    ----------
    weights_ : ndarray (n_components,)
    means_ : ndarray (n_components, n_features)
    covariances_ : ndarray
        (k, d, d) full, (d, d) tied, (k, d) diag, (k,) spherical; regularized.
    precisions_, precisions_cholesky_ : ndarray
        Same shapes as ``covariances_``.
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
        Mean log-likelihood per sample at the last E-step of the best run.
    lower_bounds_ : ndarray
        ``lower_bound`` after each iteration of the best run (non-decreasing).
    n_features_in_ : int
    singular_components_ : list of int
        Components whose covariance needed regularization to be invertible
        (linearly dependent features); empty in the regular case.

    Notes
    -----
    Time O(n k d^2) per iteration for "full" (O(n k d) for "diag" and
    "spherical") plus O(k d^3) factorizations; memory O(n k) for the
    responsibilities.

    References
    ----------
    Dempster, A., Laird, N. and Rubin, D. (1977). Maximum likelihood from
    incomplete data via the EM algorithm. JRSS B 39(1).
    Bishop, C. (2006). Pattern Recognition and Machine Learning, section 9.2.

    Examples
    --------
    >>> import optimeans
    >>> X = optimeans.datasets.load("iris")
    >>> gm = optimeans.GaussianMixture(3, random_state=0).fit(X)
    >>> gm.predict_proba(X).shape
    (150, 3)
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: CovarianceType = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weights_init: Any = None,
        means_init: Any = None,
        precisions_init: Any = None,
        random_state: Any = None,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state

    # -- validation ---------------------------------------------------------------

    def _validate_X(self, X: Any, *, reset: bool) -> np.ndarray:
        """scikit-learn's checks (shapes, feature names), then ours (NaN/inf with row and column)."""
        X = validate_data(
            self, X, reset=reset, accept_sparse=False, dtype=[np.float64, np.float32],
            order="C", ensure_all_finite=False, ensure_min_samples=1,
        )
        return check_data(X).astype(np.float64, copy=False)

    def _check_params(self, X: np.ndarray) -> None:
        n, d = X.shape
        k = _check_int(self.n_components, "n_components", 1)
        if k > n:
            raise ValueError(f"n_components={k} is larger than the number of samples n_samples={n}")
        if self.covariance_type not in _COV_TYPES:
            raise ValueError(f"covariance_type must be one of {_COV_TYPES}, got {self.covariance_type!r}")
        if self.init_params not in _INIT_PARAMS:
            raise ValueError(f"init_params must be one of {_INIT_PARAMS}, got {self.init_params!r}")
        _check_float(self.tol, "tol")
        _check_float(self.reg_covar, "reg_covar")
        _check_int(self.max_iter, "max_iter", 1)
        _check_int(self.n_init, "n_init", 1)
        if self.weights_init is not None:
            w = np.asarray(self.weights_init, dtype=np.float64)
            if w.shape != (k,) or (w < 0).any() or not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-6):
                raise ValueError(f"weights_init must be {k} non-negative numbers summing to 1")
        if self.means_init is not None and np.shape(self.means_init) != (k, d):
            raise ValueError(f"means_init must have shape ({k}, {d}), got {np.shape(self.means_init)}")
        if self.precisions_init is not None:
            shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[self.covariance_type]
            if np.shape(self.precisions_init) != shape:
                raise ValueError(
                    f"precisions_init must have shape {shape} for covariance_type="
                    f"{self.covariance_type!r}, got {np.shape(self.precisions_init)}"
                )

    # -- fitting ------------------------------------------------------------------

    def _initial_resp(self, X: np.ndarray, rng: np.random.Generator, seed: int) -> np.ndarray:
        n = X.shape[0]
        k = self.n_components
        if self.init_params == "random":
            resp = rng.uniform(size=(n, k))
            return resp / resp.sum(axis=1, keepdims=True)
        if self.init_params == "kmeans":
            from ._api import fit

            labels = fit(X, k, n_init=1, random_state=seed).labels
        else:
            from .objective import nearest_labels
            from .seeding import kmeans_plusplus

            centers = kmeans_plusplus(X, k, np.ones(n), rng)[0]
            labels = nearest_labels(X, centers)[0]
        resp = np.zeros((n, k))
        resp[np.arange(n), labels] = 1.0
        return resp

    def _set_precisions_from_init(self, d: int) -> np.ndarray:
        P = np.asarray(self.precisions_init, dtype=np.float64)
        t = self.covariance_type
        if t == "full":
            return np.stack([cholesky(P[j], lower=True) for j in range(P.shape[0])])
        if t == "tied":
            return cholesky(P, lower=True)
        return np.sqrt(P)

    def _m_step(self, X: np.ndarray, resp: np.ndarray) -> None:
        nk, means, raw = _estimate_parameters(X, resp, self.reg_covar, self.covariance_type)
        cov = _regularize(raw, self.reg_covar, self.covariance_type)
        prec_chol, jitter = _precisions_cholesky(cov, self.covariance_type)
        self.weights_ = nk / nk.sum()
        self.means_ = means
        self.covariances_ = cov
        self.precisions_cholesky_ = prec_chol
        self._raw_covariances = raw
        self._jitter = jitter

    def _e_step(self, X: np.ndarray) -> tuple[float, np.ndarray]:
        weighted = self._weighted_log_prob(X)
        log_norm = logsumexp(weighted, axis=1)
        return float(np.mean(log_norm)), weighted - log_norm[:, None]

    def _weighted_log_prob(self, X: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            log_w = np.log(self.weights_)
        return _log_gaussian_prob(X, self.means_, self.precisions_cholesky_, self.covariance_type) + log_w

    def fit(self, X: Any, y: Any = None) -> "GaussianMixture":
        """Fit the mixture by EM (best of ``n_init`` runs).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Bad parameters or data (NaN, inf, fewer samples than components).

        Warns
        -----
        SingularCovarianceWarning
            Some component's covariance is singular to working precision
            (e.g. a duplicated column); it was regularized.
        sklearn.exceptions.ConvergenceWarning
            No run converged within ``max_iter``.
        """
        self.fit_predict(X, y)
        return self

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit, then return the most probable component of each sample."""
        X = self._validate_X(X, reset=True)
        self._check_params(X)
        n, d = X.shape
        rng, seed = check_random_state(self.random_state)
        seeds = np.random.SeedSequence(seed).spawn(self.n_init)
        best = None
        for run_seed in seeds:
            run_rng = np.random.default_rng(run_seed)
            run_int = int(run_rng.integers(2**31 - 1))
            state = self._fit_once(X, run_rng, run_int)
            if best is None or state["lower_bound_"] > best["lower_bound_"]:
                best = state
        assert best is not None
        for key, val in best.items():
            setattr(self, key, val)
        if not self.converged_:
            from sklearn.exceptions import ConvergenceWarning

            warnings.warn(
                f"EM did not converge in max_iter={self.max_iter} iterations (tol={self.tol}); "
                "increase max_iter or tol",
                ConvergenceWarning,
                stacklevel=2,
            )
        if self.singular_components_:
            extra = float(np.max(self._jitter_best)) if len(self._jitter_best) else 0.0
            how = f"reg_covar={self.reg_covar:g}" + (f" plus a jitter of {extra:.3g}" if extra > 0 else "")
            warnings.warn(
                f"the covariance of component(s) {self.singular_components_} is singular to working "
                "precision: some features are (nearly) linear combinations of others, e.g. a "
                f"duplicated column; it was regularized with {how}",
                SingularCovarianceWarning,
                stacklevel=2,
            )
        _, log_resp = self._e_step(X)
        return log_resp.argmax(axis=1)

    def _fit_once(self, X: np.ndarray, rng: np.random.Generator, seed: int) -> dict[str, Any]:
        d = X.shape[1]
        resp = self._initial_resp(X, rng, seed)
        self._m_step(X, resp)
        if self.weights_init is not None:
            self.weights_ = np.asarray(self.weights_init, dtype=np.float64).copy()
        if self.means_init is not None:
            self.means_ = np.asarray(self.means_init, dtype=np.float64).copy()
        if self.precisions_init is not None:
            self.precisions_cholesky_ = self._set_precisions_from_init(d)
        lower = -np.inf
        bounds = []
        converged = False
        singular: set[int] = set()
        jitter_max = np.zeros_like(self._jitter)
        n_iter = 0
        for it in range(1, self.max_iter + 1):
            prev = lower
            lower, log_resp = self._e_step(X)
            self._m_step(X, np.exp(log_resp))
            singular.update(_singular_components(self._raw_covariances, self.covariance_type))
            singular.update(int(j) for j in np.flatnonzero(self._jitter > 0))
            jitter_max = np.maximum(jitter_max, self._jitter)
            bounds.append(lower)
            n_iter = it
            if abs(lower - prev) < self.tol:
                converged = True
                break
        return {
            "weights_": self.weights_, "means_": self.means_, "covariances_": self.covariances_,
            "precisions_cholesky_": self.precisions_cholesky_, "precisions_": self._precisions(),
            "converged_": converged, "n_iter_": n_iter, "lower_bound_": lower,
            "lower_bounds_": np.asarray(bounds), "singular_components_": sorted(singular),
            "_jitter_best": jitter_max,
        }

    def _precisions(self) -> np.ndarray:
        P = self.precisions_cholesky_
        if self.covariance_type == "full":
            return np.einsum("kij,klj->kil", P, P)
        if self.covariance_type == "tied":
            return P @ P.T
        return P**2

    # -- prediction ---------------------------------------------------------------

    def _check_fitted_X(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "means_")
        return self._validate_X(X, reset=False)

    def score_samples(self, X: Any) -> np.ndarray:
        """Log-likelihood of each sample, shape (n_samples,)."""
        X = self._check_fitted_X(X)
        return logsumexp(self._weighted_log_prob(X), axis=1)

    def score(self, X: Any, y: Any = None) -> float:
        """Mean log-likelihood per sample."""
        return float(np.mean(self.score_samples(X)))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Responsibilities, shape (n_samples, n_components); rows sum to 1."""
        X = self._check_fitted_X(X)
        _, log_resp = self._e_step(X)
        return np.exp(log_resp)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable component of each sample."""
        X = self._check_fitted_X(X)
        return self._weighted_log_prob(X).argmax(axis=1)

    def _n_parameters(self) -> int:
        k, d = self.means_.shape
        cov = {"full": k * d * (d + 1) / 2, "diag": k * d, "tied": d * (d + 1) / 2, "spherical": k}
        return int(cov[self.covariance_type] + k * d + k - 1)

    def bic(self, X: Any) -> float:
        """Bayesian information criterion, ``-2 log L + p log n`` (lower is better)."""
        X = self._check_fitted_X(X)
        return float(-2 * self.score(X) * X.shape[0] + self._n_parameters() * np.log(X.shape[0]))

    def aic(self, X: Any) -> float:
        """Akaike information criterion, ``-2 log L + 2 p`` (lower is better)."""
        X = self._check_fitted_X(X)
        return float(-2 * self.score(X) * X.shape[0] + 2 * self._n_parameters())

    def sample(self, n_samples: int = 1, random_state: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw samples from the fitted mixture: (X, component labels)."""
        check_is_fitted(self, "means_")
        n_samples = _check_int(n_samples, "n_samples", 1)
        rng, _ = check_random_state(random_state)
        counts = rng.multinomial(n_samples, self.weights_ / self.weights_.sum())
        d = self.means_.shape[1]
        out, labels = [], []
        for j, c in enumerate(counts):
            if c == 0:
                continue
            if self.covariance_type == "full":
                cov = self.covariances_[j]
            elif self.covariance_type == "tied":
                cov = self.covariances_
            elif self.covariance_type == "diag":
                cov = np.diag(self.covariances_[j])
            else:
                cov = self.covariances_[j] * np.eye(d)
            out.append(rng.multivariate_normal(self.means_[j], cov, size=c, method="eigh"))
            labels.append(np.full(c, j))
        return np.vstack(out), np.concatenate(labels)
