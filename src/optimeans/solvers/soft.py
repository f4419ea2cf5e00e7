r"""Soft k-means (EM for an isotropic Gaussian mixture) and deterministic annealing.

Soft k-means fits a mixture of Gaussians :math:`N(\mu_j, \sigma^2 I)` with a fixed,
shared :math:`\sigma`. At the temperature :math:`T = 2\sigma^2` the E-step gives
the responsibilities

.. math::  \gamma_{ij} = \frac{\pi_j \exp(-\lVert x_i - \mu_j \rVert^2 / T)}
                              {\sum_l \pi_l \exp(-\lVert x_i - \mu_l \rVert^2 / T)}

(by log-sum-exp, so nothing overflows), and the M-step moves every center to
the responsibility-weighted mean, :math:`\mu_j = \sum_i w_i \gamma_{ij} x_i / \sum_i w_i \gamma_{ij}`,
and, when the mixing weights are learned, :math:`\pi_j = \sum_i w_i \gamma_{ij} / \sum_i w_i`.
Both steps maximize the free energy

.. math::  F(\mu, \gamma) = -\sum_{ij} w_i \gamma_{ij} \lVert x_i - \mu_j \rVert^2
                            - T \sum_{ij} w_i \gamma_{ij} \log(\gamma_{ij} / \pi_j),

(with equal weights the :math:`\pi_j` only shift :math:`F` by the constant
:math:`T W \log k`, and are left out, which gives DESIGN.md's formula with
:math:`T` in the place of :math:`\sigma^2`), so :math:`F` never decreases
(Neal & Hinton 1998). After the E-step :math:`F = T \sum_i w_i \log \sum_j \pi_j
e^{-\lVert x_i - \mu_j\rVert^2/T}`, which is what is recorded in
``history.extra["free_energy"]``. As :math:`\sigma \to 0` the responsibilities
become the nearest-center indicators, :math:`F \to -E`, and soft k-means
becomes Lloyd's iteration (Bishop 2006, section 9.3.2).

Deterministic annealing (Rose 1998) tracks the maximum of :math:`F` while
lowering :math:`T`: above the critical temperature :math:`T_c = 2 \lambda_{max}`
(:math:`\lambda_{max}` the largest eigenvalue of the data covariance) every
center sits at the data mean; below it the centers split along the principal
directions, phase after phase. Lowering :math:`T` geometrically with soft EM at
every level, then finishing with hard (Lloyd) iterations, avoids many of the
poor local minima that a single descent from a random start falls into.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._kernels import CHUNK
from .._kernels.soft import soft_pass, soft_responsibilities
from ..result import History, HistoryRecorder, Result
from ._common import Callback, finalize, now, should_stop, small_change, solver_threads
from ._hardpass import effective_threads

__all__ = ["run_soft", "run_annealing", "responsibilities", "critical_sigma"]

_MIXING = ("equal", "learned")


class _SoftPass:
    """Owns the buffers of :func:`soft_pass` for one run."""

    def __init__(self, X: np.ndarray, sample_weight: np.ndarray, n_clusters: int) -> None:
        n, d = X.shape
        n_chunks = (n + CHUNK - 1) // CHUNK
        self.X = X
        self.w = np.ascontiguousarray(sample_weight, dtype=np.float64)
        self._sums = np.empty((n_chunks, n_clusters, d), dtype=np.float64)
        self._weights = np.empty((n_chunks, n_clusters), dtype=np.float64)
        self._lse = np.empty(n_chunks, dtype=np.float64)
        self._hard = np.empty(n_chunks, dtype=np.float64)
        self._soft = np.empty(n_chunks, dtype=np.float64)

    def __call__(self, centers: np.ndarray, log_pi: np.ndarray, T: float):
        """E-step at ``centers``: (free energy, hard objective, softness, S, W)."""
        soft_pass(
            self.X, self.w, np.ascontiguousarray(centers, dtype=self.X.dtype), log_pi, 1.0 / T,
            self._sums, self._weights, self._lse, self._hard, self._soft,
        )
        return (
            T * float(self._lse.sum()),
            float(self._hard.sum()),
            float(self._soft.sum()),
            self._sums.sum(axis=0),
            self._weights.sum(axis=0),
        )


def _check_positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    v = float(value)
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def _check_mixing(mixing: Any) -> str:
    if mixing not in _MIXING:
        raise ValueError(f"mixing must be one of {_MIXING}, got {mixing!r}")
    return mixing


def auto_sigma(X: np.ndarray, sample_weight: np.ndarray, centers: np.ndarray) -> float:
    """The maximum-likelihood sigma of hard clusters around ``centers``.

    ``sigma^2 = E(centers) / (W d)``: the per-coordinate mean squared distance
    of the points to their nearest center (``W`` the total weight).
    """
    from ..objective import nearest_labels, point_objective

    labels, _ = nearest_labels(X, np.ascontiguousarray(centers, dtype=X.dtype))
    E = float(np.dot(sample_weight.astype(np.float64), point_objective(X, centers, labels)))
    W = float(np.sum(sample_weight, dtype=np.float64))
    s2 = E / (W * X.shape[1])
    # every point on a center (or nearly: a subnormal weight off its center makes
    # s2 ~ 1e-324, whose square T = 2 sigma^2 underflows to 0): any small sigma
    # gives hard assignments
    return float(np.sqrt(max(s2, _sigma_floor(X) ** 2)))


def _sigma_floor(X: np.ndarray) -> float:
    """Smallest sigma used by the automatic choices: 1e-6 of the data's magnitude.

    Below it the assignments are hard anyway, and ``1 / (2 sigma^2)`` stays finite.
    """
    scale = float(np.max(np.abs(X))) if X.size else 0.0
    return 1e-6 * (scale or 1.0)


def _check_temperature(sigma: float, name: str) -> float:
    """``T = 2 sigma^2`` must be a positive finite number with a finite inverse."""
    T = 2.0 * sigma * sigma
    if not (T > 0 and np.isfinite(T) and np.isfinite(1.0 / T)):
        raise ValueError(f"{name}={sigma!r} is out of range: the temperature 2*{name}**2 = {T!r} is not usable")
    return sigma


def critical_sigma(X: np.ndarray, sample_weight: np.ndarray) -> float:
    """The sigma of the first phase transition of deterministic annealing.

    ``sigma_c = sqrt(lambda_max)``, with ``lambda_max`` the largest eigenvalue
    of the weighted covariance of ``X`` (``T_c = 2 sigma_c^2``, Rose 1998,
    section III.B). Above it the only maximum of the free energy puts every
    center at the data mean.
    """
    from scipy.linalg import eigh

    w = sample_weight.astype(np.float64)
    W = float(w.sum())
    mean = (w @ X.astype(np.float64)) / W
    d = X.shape[1]
    cov = np.zeros((d, d))
    for start in range(0, X.shape[0], 65536):
        Z = X[start:start + 65536].astype(np.float64) - mean
        cov += (Z * w[start:start + 65536, None]).T @ Z
    cov /= W
    lam = float(eigh(cov, eigvals_only=True, subset_by_index=[d - 1, d - 1])[0])
    return float(np.sqrt(max(lam, 0.0)))


def responsibilities(
    X: np.ndarray,
    centers: np.ndarray,
    sigma: float,
    mixing_weights: np.ndarray | None = None,
    *,
    n_threads: int | None = None,
) -> np.ndarray:
    """Posterior probabilities of the components of an isotropic mixture.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), validated
    centers : ndarray (n_clusters, n_features)
    sigma : float > 0
        Standard deviation of every component (``T = 2 sigma^2``).
    mixing_weights : ndarray (n_clusters,), optional
        Equal when omitted.

    Returns
    -------
    ndarray (n_samples, n_clusters), float64
        Rows sum to 1.

    Notes
    -----
    Time O(n k d); the output is the only O(n k) memory.
    """
    sigma = _check_positive(sigma, "sigma")
    k = centers.shape[0]
    log_pi = _log_weights(mixing_weights, k)
    out = np.empty((X.shape[0], k), dtype=np.float64)
    with solver_threads(X, n_threads):
        soft_responsibilities(X, np.ascontiguousarray(centers, dtype=X.dtype), log_pi, 1.0 / (2.0 * sigma * sigma), out)
    return out


def _log_weights(mixing_weights: np.ndarray | None, k: int) -> np.ndarray:
    if mixing_weights is None:
        return np.zeros(k, dtype=np.float64)
    pi = np.asarray(mixing_weights, dtype=np.float64)
    if pi.shape != (k,) or not np.isfinite(pi).all() or (pi < 0).any() or pi.sum() <= 0:
        raise ValueError(f"mixing_weights must be {k} non-negative finite numbers, not all zero")
    with np.errstate(divide="ignore"):
        return np.log(pi / pi.sum())


def _soft_em(
    sp: _SoftPass,
    centers: np.ndarray,
    log_pi: np.ndarray,
    T: float,
    learned: bool,
    max_iter: int,
    tol: float,
    hist: HistoryRecorder,
    passes: int,
    callback: Callback | None,
    it0: int,
    sigma_series: float | None = None,
):
    """Soft EM at temperature ``T`` until the free energy stalls.

    Returns (centers, log_pi, iterations, passes, stop_reason, converged, softness).
    """
    X = sp.X
    W_total = float(sp.w.sum())
    prev_F = -np.inf
    stop_reason, converged, n_iter, softness = "max_iter", False, 0, 1.0
    for it in range(1, max_iter + 1):
        F, hard, soft, S, Wc = sp(centers, log_pi, T)
        passes += 1
        n_iter = it
        softness = soft / W_total
        extra = {"free_energy": F}
        if sigma_series is not None:
            extra["sigma"] = sigma_series
        hist.record(hard, now(), passes, **extra)
        if should_stop(callback, it0 + it, hard):
            return centers, log_pi, n_iter, passes, "callback", False, softness
        if small_change(-prev_F, -F, tol):  # the free energy rises
            stop_reason, converged = "tol", True
            break
        prev_F = F
        nz = Wc > 0
        new = centers.astype(np.float64)
        new[nz] = S[nz] / Wc[nz, None]
        centers = np.ascontiguousarray(new, dtype=X.dtype)
        if learned:
            with np.errstate(divide="ignore"):
                log_pi = np.log(Wc / Wc.sum())
    return centers, log_pi, n_iter, passes, stop_reason, converged, softness


def run_soft(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
    sigma: float | str = "auto",
    mixing: str = "equal",
) -> Result:
    """Soft k-means: EM for an isotropic Gaussian mixture with fixed sigma.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray (n_samples,)
    centers_init : ndarray (n_clusters, n_features), X's dtype
    max_iter : int
        EM iterations (one pass over the data each).
    tol : float
        Stop when the free energy rises by at most ``tol * |F|`` in one iteration.
    n_threads : int, optional
        Numba threads; the result does not depend on it.
    rng : unused (deterministic given the initial centers)
    callback : callable ``(iteration, objective) -> bool``, optional
        Receives the hard objective of the current centers.
    sigma : float > 0 or "auto", default "auto"
        Standard deviation of every component. "auto" is the maximum
        likelihood value for hard clusters around the initial centers,
        ``sqrt(E(C0) / (W d))``.
    mixing : {"equal", "learned"}, default "equal"
        Equal mixing weights, or weights re-estimated at every M-step.

    Returns
    -------
    Result
        ``labels`` and ``objective`` are the hard (nearest-center) ones;
        ``history.objective`` is the hard objective of the centers at each
        iteration and ``history.extra["free_energy"]`` the free energy, which
        never decreases. ``info`` holds ``sigma``, ``mixing_weights`` and
        ``free_energy``; :func:`responsibilities` gives the soft assignment.

    Raises
    ------
    ValueError
        ``sigma`` not positive, ``mixing`` not one of the choices.

    Notes
    -----
    Time O(n k d) per iteration (distances, exponentials, sums in one fused
    pass); memory O(k d) float64 partial sums per chunk of 4096 rows: the n x k
    responsibilities are never stored.

    References
    ----------
    Bishop, C. (2006). Pattern Recognition and Machine Learning, section 9.3.2
    (k-means as the small-variance limit of EM).
    Neal, R. and Hinton, G. (1998). A view of the EM algorithm that justifies
    incremental, sparse, and other variants.

    Examples
    --------
    >>> import optimeans
    >>> r = optimeans.fit(optimeans.datasets.load("iris"), 3, method="soft", sigma=0.3, random_state=0)
    >>> r.info["free_energy"] < 0
    True
    """
    mixing = _check_mixing(mixing)
    k = centers_init.shape[0]
    if isinstance(sigma, str):
        if sigma != "auto":
            raise ValueError(f"sigma must be a positive number or 'auto', got {sigma!r}")
        sigma = auto_sigma(X, sample_weight, centers_init)
    else:
        sigma = _check_temperature(_check_positive(sigma, "sigma"), "sigma")
    T = 2.0 * sigma * sigma
    sp = _SoftPass(X, sample_weight, k)
    centers = np.array(centers_init, dtype=X.dtype, order="C", copy=True)
    log_pi = np.full(k, -np.log(k)) if mixing == "learned" else np.zeros(k)
    hist = HistoryRecorder(now())
    with solver_threads(X, n_threads):
        centers, log_pi, n_iter, passes, stop_reason, converged, softness = _soft_em(
            sp, centers, log_pi, T, mixing == "learned", max_iter, tol, hist, 0, callback, 0
        )
    history = hist.freeze()
    pi = np.exp(log_pi) if mixing == "learned" else np.full(k, 1.0 / k)
    return finalize(
        X, sp.w, centers, n_iter=n_iter, converged=converged, stop_reason=stop_reason,
        history=history, method="soft",
        options={"max_iter": max_iter, "tol": tol, "sigma": sigma, "mixing": mixing},
        info={
            "sigma": sigma, "mixing_weights": pi,
            "free_energy": float(history.extra["free_energy"][-1]), "softness": softness,
        },
    )


def run_annealing(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
    sigma_start: float | str = "auto",
    sigma_min: float | str = "auto",
    cooling: float = 0.8,
    perturbation: float = 1e-2,
    mixing: str = "equal",
) -> Result:
    """Deterministic annealing: soft EM at falling sigma, then Lloyd.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray (n_samples,)
    centers_init : ndarray (n_clusters, n_features), X's dtype
        Only the directions ``c0_j - mean`` matter: they break the symmetry
        when the centers split.
    max_iter : int
        Soft EM iterations per temperature level, and Lloyd iterations of the
        final hard phase.
    tol : float
        Convergence of each level (relative rise of the free energy) and of the
        final Lloyd phase.
    n_threads : int, optional
    rng : numpy Generator, used only when an initial center equals the mean
    callback : callable ``(iteration, objective) -> bool``, optional
    sigma_start : float or "auto"
        "auto" is ``1.2 * critical_sigma(X)``, above the first phase transition.
    sigma_min : float or "auto"
        Annealing stops below this sigma, or earlier once the assignments are
        hard (mean ``1 - max_j gamma_ij`` below 1e-9). "auto" is
        ``1e-4 * sigma_start``.
    cooling : float in (0, 1), default 0.8
        ``T`` (i.e. ``sigma^2``) is multiplied by ``cooling`` at each level.
    perturbation : float >= 0, default 1e-2
        At each level every center is pushed by ``perturbation * sigma`` along
        its own direction, so that coinciding centers can split.
    mixing : {"equal", "learned"}

    Returns
    -------
    Result
        ``history.extra`` holds ``sigma`` (0 in the hard phase) and
        ``free_energy`` (``-objective`` in the hard phase, the limit T -> 0).
        ``info["levels"]`` is the number of temperature levels.

    Raises
    ------
    ValueError
        A sigma that is not positive, ``cooling`` outside (0, 1).

    Notes
    -----
    Time O(n k d) per soft iteration, with about
    ``log(sigma_start^2 / sigma_min^2) / log(1 / cooling)`` levels of a few
    iterations each. Memory as soft k-means. The covariance needed for the
    critical temperature costs O(n d^2 + d^3) once.

    References
    ----------
    Rose, K. (1998). Deterministic annealing for clustering, compression,
    classification, regression, and related optimization problems. Proc. IEEE
    86(11), sections III.A-III.C.
    """
    mixing = _check_mixing(mixing)
    if isinstance(cooling, bool) or not isinstance(cooling, numbers.Real) or not (0 < float(cooling) < 1):
        raise ValueError(f"cooling must lie in (0, 1), got {cooling!r}")
    if isinstance(perturbation, bool) or not isinstance(perturbation, numbers.Real) or not (
        np.isfinite(perturbation) and perturbation >= 0
    ):
        raise ValueError(f"perturbation must be a finite number >= 0, got {perturbation!r}")
    if isinstance(sigma_start, str):
        if sigma_start != "auto":
            raise ValueError(f"sigma_start must be a positive number or 'auto', got {sigma_start!r}")
        sigma_start = 1.2 * critical_sigma(X, sample_weight)
        if sigma_start <= 0:  # every point identical
            sigma_start = 1.0
        # a spread of a few ulps (or carried by subnormal weights) must not
        # cool the temperature 2 sigma^2 into underflow
        sigma_start = max(sigma_start, _sigma_floor(X))
    else:
        sigma_start = _check_temperature(_check_positive(sigma_start, "sigma_start"), "sigma_start")
    if isinstance(sigma_min, str):
        if sigma_min != "auto":
            raise ValueError(f"sigma_min must be a positive number or 'auto', got {sigma_min!r}")
        sigma_min = 1e-4 * sigma_start
    else:
        sigma_min = _check_temperature(_check_positive(sigma_min, "sigma_min"), "sigma_min")

    from . import lloyd

    k, d = centers_init.shape
    w64 = np.ascontiguousarray(sample_weight, dtype=np.float64)
    mean = (w64 @ X.astype(np.float64)) / w64.sum()
    dirs = centers_init.astype(np.float64) - mean
    norms = np.linalg.norm(dirs, axis=1)
    for j in np.flatnonzero(norms == 0):
        gen = rng if rng is not None else np.random.default_rng(j)
        dirs[j] = gen.standard_normal(d)
        norms[j] = np.linalg.norm(dirs[j])
    dirs /= norms[:, None]

    sp = _SoftPass(X, sample_weight, k)
    centers64 = np.tile(mean, (k, 1))
    log_pi = np.full(k, -np.log(k)) if mixing == "learned" else np.zeros(k)
    hist = HistoryRecorder(now())
    passes = total_iter = levels = 0
    sigma = sigma_start
    stopped = False
    with solver_threads(X, n_threads):
        while sigma >= sigma_min:
            levels += 1
            centers64 = centers64 + perturbation * sigma * dirs
            centers = np.ascontiguousarray(centers64, dtype=X.dtype)
            centers, log_pi, it, passes, reason, _, softness = _soft_em(
                sp, centers, log_pi, 2.0 * sigma * sigma, mixing == "learned", max_iter, tol,
                hist, passes, callback, total_iter, sigma_series=sigma,
            )
            total_iter += it
            centers64 = centers.astype(np.float64)
            if reason == "callback":
                stopped = True
                break
            if softness < 1e-9:
                break
            sigma *= float(np.sqrt(cooling))
    centers = np.ascontiguousarray(centers64, dtype=X.dtype)
    soft_history = hist.freeze()
    if stopped:
        return finalize(
            X, w64, centers, n_iter=total_iter, converged=False, stop_reason="callback",
            history=soft_history, method="annealing", options=_ann_options(locals()),
            info={"levels": levels, "sigma_final": sigma},
        )
    hard_cb = None
    if callback is not None:
        hard_cb = lambda it, obj: callback(total_iter + it, obj)  # noqa: E731
    res = lloyd.run(
        X, sample_weight, centers, max_iter=max_iter, tol=tol,
        n_threads=effective_threads(X.shape[0], n_threads), callback=hard_cb,
    )
    h2 = res.history
    offset_t = soft_history.seconds[-1] if len(soft_history) else 0.0
    history = History(
        objective=np.concatenate([soft_history.objective, h2.objective]),
        seconds=np.concatenate([soft_history.seconds, offset_t + h2.seconds]),
        passes=np.concatenate([soft_history.passes, passes + h2.passes]),
        extra={
            "sigma": np.concatenate([soft_history.extra.get("sigma", np.empty(0)), np.zeros(len(h2))]),
            "free_energy": np.concatenate([soft_history.extra.get("free_energy", np.empty(0)), -h2.objective]),
        },
    )
    return res.replace(
        n_iter=total_iter + res.n_iter, history=history, method="annealing",
        options=_ann_options(locals()), info={"levels": levels, "sigma_final": sigma, "hard_iterations": res.n_iter},
    )


def _ann_options(ns: dict[str, Any]) -> dict[str, Any]:
    return {key: ns[key] for key in ("max_iter", "tol", "sigma_start", "sigma_min", "cooling", "perturbation", "mixing")}
