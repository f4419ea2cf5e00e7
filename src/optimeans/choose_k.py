"""Choosing the number of clusters: one table of the usual criteria, one rule.

For each ``k`` in a range, :func:`choose_k` clusters the data with
:func:`optimeans.fit` and reports

* **objective**: the best within-cluster sum of squares found, ``W_k``;
* **lower_bound**: a certified lower bound on the global minimum of ``W_k``
  (:func:`optimeans.lower_bound`, by default the spectral bound), so the
  table says how far from optimal each objective can be at most;
* **silhouette**: the mean silhouette width (Rousseeuw 1987), on a random
  sample of ``silhouette_sample_size`` rows for large data (undefined for
  ``k = 1``);
* **gap** and **gap_se**: the gap statistic of Tibshirani, Walther & Hastie
  (2001), ``Gap(k) = mean_b log W*_kb - log W_k`` over ``n_refs`` reference
  data sets drawn uniformly in the data's bounding box, and its standard
  error ``s_k = sd_k sqrt(1 + 1/B)``;
* **bic**: the Bayesian information criterion of the spherical Gaussian
  mixture with one shared variance that the k-means solution defines (see
  :func:`spherical_bic`).

The recommended ``k`` follows the rule named by ``criterion`` (by default the
gap statistic with Tibshirani's one-standard-error rule: the smallest ``k``
with ``Gap(k) >= Gap(k') - s_k'``, ``k'`` the next ``k`` of the range).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import numpy as np

from ._kernels.lloyd import CHUNK
from ._numba import numba_threads
from ._validation import check_data, check_positive_int, check_random_state
from .result import Result

__all__ = ["choose_k", "ChooseKResult", "spherical_bic", "gap_rule", "CRITERIA"]

#: Criteria a recommendation can follow.
CRITERIA = ("gap", "silhouette", "bic")

_RULES = {
    "gap": (
        "gap statistic, 1-SE rule: the smallest k with Gap(k) >= Gap(k') - s(k'), "
        "k' the next k tried (Tibshirani, Walther & Hastie 2001)"
    ),
    "silhouette": "largest mean silhouette width (Rousseeuw 1987)",
    "bic": "smallest BIC of the spherical shared-variance Gaussian mixture (Schwarz 1978)",
}


@dataclass(frozen=True)
class ChooseKResult:
    """The table :func:`choose_k` returns, one row per ``k``.

    Attributes
    ----------
    k : ndarray of int, shape (n_k,)
        The numbers of clusters tried, increasing.
    objective : ndarray of shape (n_k,)
        Best k-means objective found for each ``k``.
    lower_bound, silhouette, gap, gap_se, bic : list of float or None
        The criteria (``None`` where undefined or unavailable).
    recommended : int
        The ``k`` chosen by ``criterion``.
    criterion : str
        ``"gap"``, ``"silhouette"`` or ``"bic"``.
    rule : str
        The rule, in words.
    picks : dict
        The ``k`` each criterion would choose (``None`` if it cannot).
    results : dict of int -> Result
        The best clustering for each ``k`` (with ``lower_bound`` and ``gap``
        set when a bound was computed).
    seed : int
        The seed everything was drawn from (pass it as ``random_state`` to
        get the same table again).
    notes : list of str
        Caveats (a choice at the edge of the range, a missing lower bound).
    """

    k: np.ndarray
    objective: np.ndarray
    lower_bound: list[float | None]
    silhouette: list[float | None]
    gap: list[float | None]
    gap_se: list[float | None]
    bic: list[float | None]
    recommended: int
    criterion: str
    rule: str
    picks: dict[str, int | None]
    results: dict[int, Result] = field(repr=False, default_factory=dict)
    n_samples: int = 0
    n_features: int = 0
    n_refs: int = 0
    seed: int | None = None
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """The table as a list of dicts, one per ``k``."""
        out = []
        for i, k in enumerate(self.k):
            out.append(
                {
                    "k": int(k),
                    "objective": float(self.objective[i]),
                    "lower_bound": _opt(self.lower_bound[i]),
                    "silhouette": _opt(self.silhouette[i]),
                    "gap": _opt(self.gap[i]),
                    "gap_se": _opt(self.gap_se[i]),
                    "bic": _opt(self.bic[i]),
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the table, the recommendation and its rule."""
        return {
            "n_samples": int(self.n_samples),
            "n_features": int(self.n_features),
            "n_refs": int(self.n_refs),
            "seed": self.seed,
            "table": self.rows(),
            "recommended": int(self.recommended),
            "criterion": self.criterion,
            "rule": self.rule,
            "picks": {k: (None if v is None else int(v)) for k, v in self.picks.items()},
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        head = f"{'k':>3} {'objective':>13} {'lower_bound':>13} {'silhouette':>10} {'gap':>8} {'gap_se':>7} {'bic':>12}"
        lines = [head]
        for r in self.rows():
            mark = " <" if r["k"] == self.recommended else ""
            lines.append(
                f"{r['k']:>3} {_fmt(r['objective'], 13, 6)} {_fmt(r['lower_bound'], 13, 6)} "
                f"{_fmt(r['silhouette'], 10, 4, fixed=True)} {_fmt(r['gap'], 8, 4, fixed=True)} "
                f"{_fmt(r['gap_se'], 7, 4, fixed=True)} {_fmt(r['bic'], 12, 6)}{mark}"
            )
        lines.append(f"recommended k = {self.recommended} ({self.rule})")
        others = [f"{c} -> {v}" for c, v in self.picks.items() if c != self.criterion and v is not None]
        if others:
            lines.append("other criteria: " + ", ".join(others))
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


def _opt(v: Any) -> float | None:
    return None if v is None else float(v)


def _fmt(v: float | None, width: int, digits: int, fixed: bool = False) -> str:
    if v is None:
        return f"{'-':>{width}}"
    return f"{v:>{width}.{digits}f}" if fixed else f"{v:>{width}.{digits}g}"


def spherical_bic(X: np.ndarray, result: Result) -> float | None:
    """BIC of the spherical Gaussian mixture defined by a k-means solution.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    result : Result
        A k-means solution for ``X`` (centers, labels, objective).

    Returns
    -------
    float or None
        ``None`` when the objective is 0 (every point on its center: the
        variance estimate is 0 and the likelihood unbounded).

    Notes
    -----
    The model: ``k`` Gaussians ``N(c_j, sigma^2 I)`` sharing one variance, with
    weights ``pi_j = n_j / n``, each point assigned to its cluster (the hard,
    "classification" likelihood, the ``sigma -> 0`` view of k-means). With
    ``W`` the k-means objective, the maximum-likelihood variance is
    ``sigma^2 = W / (n d)`` and the log-likelihood

        L = sum_j n_j log(n_j / n) - (n d / 2) log(2 pi sigma^2) - n d / 2.

    The model has ``p = k d + (k - 1) + 1`` free parameters (means, weights,
    variance), and ``BIC = -2 L + p log n``; smaller is better. This is the
    criterion of X-means (Pelleg & Moore 2000) with the maximum-likelihood
    variance. ``O(n)`` given the solution.

    References
    ----------
    Schwarz, G. (1978). Estimating the dimension of a model. Ann. Statist. 6.
    Pelleg, D. & Moore, A. (2000). X-means. ICML.
    """
    n, d = X.shape
    k = result.n_clusters
    W = float(result.objective)
    if W <= 0:
        return None
    sizes = np.bincount(result.labels, minlength=k).astype(np.float64)
    sizes = sizes[sizes > 0]
    sigma2 = W / (n * d)
    loglik = float(np.sum(sizes * np.log(sizes / n))) - 0.5 * n * d * np.log(2 * np.pi * sigma2) - 0.5 * n * d
    p = k * d + (k - 1) + 1
    return -2.0 * loglik + p * np.log(n)


def gap_rule(ks: np.ndarray, gap: list[float | None], gap_se: list[float | None]) -> tuple[int, bool]:
    """Tibshirani's 1-SE rule: the smallest ``k`` with ``Gap(k) >= Gap(k') - s(k')``.

    ``k'`` is the next ``k`` of ``ks`` (increasing). Returns ``(k, found)``;
    when no ``k`` satisfies the rule, the largest ``k`` and ``False``.
    """
    for i in range(len(ks) - 1):
        g, g_next, s_next = gap[i], gap[i + 1], gap_se[i + 1]
        if g is None or g_next is None or s_next is None:
            continue
        if g >= g_next - s_next:
            return int(ks[i]), True
    return int(ks[-1]), False


def _parse_k_range(k_range: Any, n: int) -> np.ndarray:
    if isinstance(k_range, (int, np.integer)) and not isinstance(k_range, bool):
        k_range = range(1, int(k_range) + 1)
    try:
        ks = [check_positive_int(k, "k_range element") for k in k_range]
    except TypeError as exc:
        if "k_range element" in str(exc):
            raise
        raise TypeError(f"k_range must be an iterable of integers (e.g. range(1, 11)), got {k_range!r}") from None
    ks = sorted(set(ks))
    if not ks:
        raise ValueError("k_range is empty")
    if ks[-1] > n:
        raise ValueError(f"k_range goes up to {ks[-1]} but X has only {n} samples")
    return np.asarray(ks, dtype=np.int64)


def _reference_sampler(X: np.ndarray, reference: str) -> Callable[[np.random.Generator, int], np.ndarray]:
    """Uniform draws in the bounding box of X (``"box"``) or of its principal components (``"pca"``)."""
    if reference == "box":
        lo, hi = X.min(axis=0), X.max(axis=0)
        return lambda rng, m: rng.uniform(lo, hi, size=(m, X.shape[1]))
    if reference == "pca":
        mean = X.mean(axis=0)
        _, _, Vt = np.linalg.svd(X - mean, full_matrices=False)
        Z = (X - mean) @ Vt.T
        lo, hi = Z.min(axis=0), Z.max(axis=0)
        return lambda rng, m: rng.uniform(lo, hi, size=(m, Z.shape[1])) @ Vt + mean
    raise ValueError(f"reference must be 'box' or 'pca', got {reference!r}")


def _total_ss(X: np.ndarray) -> float:
    Xc = X - X.mean(axis=0)
    return float(np.einsum("ij,ij->", Xc, Xc))


def _lower_bound_fn() -> Callable[..., float] | None:
    """``optimeans.lower_bound`` (the ``exact`` subpackage) if this build has it."""
    try:
        from .exact.bounds import lower_bound
    except ImportError:
        return None
    return lower_bound


def choose_k(
    X: Any,
    k_range: Any = range(1, 11),
    *,
    criterion: Literal["gap", "silhouette", "bic"] = "gap",
    method: str = "auto",
    n_init: int | Literal["auto"] = "auto",
    n_refs: int = 10,
    reference: Literal["box", "pca"] = "box",
    ref_n_init: int = 2,
    gap_max_samples: int | None = 5000,
    silhouette_sample_size: int | None = 2000,
    lower_bound: bool | Literal["spectral", "sdp", "auto"] = True,
    random_state: int | np.random.Generator | None = None,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> ChooseKResult:
    """Cluster ``X`` for every ``k`` of a range and recommend one.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    k_range : iterable of int or int, default range(1, 11)
        The numbers of clusters to try (an int ``K`` means ``1..K``). Include
        ``k = 1`` to let the gap statistic say "no cluster structure".
    criterion : {"gap", "silhouette", "bic"}, default "gap"
        Which rule picks the recommended ``k`` (all are reported).
    method, n_init, n_threads
        Passed to :func:`optimeans.fit` for the data.
    n_refs : int, default 10
        Reference data sets ``B`` of the gap statistic (0 skips the gap).
    reference : {"box", "pca"}, default "box"
        Reference distribution: uniform over the range of each feature, or
        over the range of each principal component (Tibshirani's option b,
        which follows the shape of elongated data).
    ref_n_init : int, default 2
        Restarts of each reference clustering.
    gap_max_samples : int or None, default 5000
        Reference data sets have ``min(n, gap_max_samples)`` rows; with ``m``
        rows, ``log W*`` is corrected by ``log(n / m)`` (the objective grows
        linearly with the number of points drawn from the same distribution).
    silhouette_sample_size : int or None, default 2000
        Silhouette on a random sample of this many rows when ``n`` is larger
        (it costs ``O(m^2)``); ``None``: all rows.
    lower_bound : bool or {"spectral", "sdp", "auto"}, default True
        Compute a certified lower bound on the global minimum of each ``W_k``
        with :func:`optimeans.lower_bound` (True: the spectral bound, cheap
        for any n but 0 once ``k - 1 >= n_features``; "sdp": the Peng-Wei
        bound, much tighter, for n up to a few thousand; False: none).
    random_state : int, Generator or None
        Seeds every fit and reference draw (one child seed each, from
        ``SeedSequence``), so the table is reproducible.
    progress : callable ``(done, total)``, optional
        Called after each clustering.

    Returns
    -------
    ChooseKResult
        The table (``str()`` prints it, ``to_dict()`` for JSON), the
        recommended ``k`` and the rule used.

    Raises
    ------
    ValueError
        Invalid data, an empty range, ``k`` larger than ``n_samples``, an
        unknown ``criterion`` or ``reference``.

    Notes
    -----
    Cost: ``len(k_range) * (1 + n_refs)`` k-means runs, plus
    ``O(m^2 d)`` per silhouette. ``W_k`` is the unweighted objective, the
    ``sum_r D_r / (2 n_r)`` of Tibshirani et al. for squared Euclidean
    distances. ``Gap(1)`` uses the exact ``W_1`` (the total sum of squares).

    References
    ----------
    Tibshirani, R., Walther, G. & Hastie, T. (2001). Estimating the number of
    clusters in a data set via the gap statistic. J. R. Statist. Soc. B 63(2),
    411-423.
    Rousseeuw, P. J. (1987). Silhouettes. J. Comput. Appl. Math. 20, 53-65.
    Schwarz, G. (1978). Estimating the dimension of a model. Ann. Statist. 6.

    Examples
    --------
    >>> import optimeans
    >>> X = optimeans.datasets.make_blobs(300, 2, centers=4, cluster_std=0.5, random_state=1)
    >>> res = optimeans.choose_k(X, range(1, 8), random_state=0)
    >>> res.recommended
    4
    """
    X = check_data(X)
    n, d = X.shape
    ks = _parse_k_range(k_range, n)
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}")
    n_refs = check_positive_int(n_refs, "n_refs", minimum=0)
    ref_n_init = check_positive_int(ref_n_init, "ref_n_init")
    if criterion == "gap" and n_refs == 0:
        raise ValueError("criterion='gap' needs n_refs >= 1")
    sampler = _reference_sampler(X.astype(np.float64), reference) if n_refs else None
    m = n if gap_max_samples is None else min(n, check_positive_int(gap_max_samples, "gap_max_samples", minimum=2))
    if silhouette_sample_size is not None:
        silhouette_sample_size = check_positive_int(silhouette_sample_size, "silhouette_sample_size", minimum=2)
    _, seed = check_random_state(random_state)
    if lower_bound is True:
        bound_method = "spectral"
    elif lower_bound is False or lower_bound is None:
        bound_method = None
    elif lower_bound in ("spectral", "sdp", "auto"):
        bound_method = lower_bound
    else:
        raise ValueError(f"lower_bound must be True, False, 'spectral', 'sdp' or 'auto', got {lower_bound!r}")
    bound_fn = _lower_bound_fn() if bound_method is not None else None
    if n_threads is None and n <= CHUNK:
        # The kernels split rows into chunks of CHUNK: one chunk runs on one
        # thread anyway, and waking idle threads for each of the many small
        # fits costs more than the fit (results do not depend on threads).
        n_threads = 1
    with numba_threads(n_threads):
        # (the whole block: fit's final assignment also runs on these threads)
        return _choose_k(
            X, ks, criterion, method, n_init, n_refs, ref_n_init, sampler, m, silhouette_sample_size,
            seed, bound_fn, bound_method, n_threads, progress,
        )


def _choose_k(
    X, ks, criterion, method, n_init, n_refs, ref_n_init, sampler, m, silhouette_sample_size,
    seed, bound_fn, bound_method, n_threads, progress,
) -> ChooseKResult:
    from . import _api

    n, d = X.shape
    ss = np.random.SeedSequence(seed)
    # One child seed per k for the data fits, one per reference set, one for silhouettes.
    data_seeds, ref_seeds, sil_seed = ss.spawn(3)
    k_seeds = data_seeds.spawn(len(ks))
    total = len(ks) * (1 + n_refs)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    results: dict[int, Result] = {}
    objective = np.empty(len(ks))
    bounds: list[float | None] = []
    sil: list[float | None] = []
    bic: list[float | None] = []
    sil_rng = int(sil_seed.generate_state(1)[0])
    for i, k in enumerate(ks):
        r = _api.fit(
            X, int(k), method=method, n_init=n_init, n_threads=n_threads,
            random_state=int(k_seeds[i].generate_state(1)[0]),
        )
        objective[i] = r.objective
        lb = None if bound_fn is None else float(bound_fn(X, int(k), method=bound_method))
        if lb is not None:
            # the certificate travels with the result (Result.gap is relative)
            r = r.replace(lower_bound=lb, gap=(r.objective - lb) / r.objective if r.objective > 0 else 0.0)
        results[int(k)] = r
        bounds.append(lb)
        sil.append(_silhouette(X, r.labels, silhouette_sample_size, sil_rng))
        bic.append(spherical_bic(X, r))
        tick()

    gap: list[float | None] = [None] * len(ks)
    gap_se: list[float | None] = [None] * len(ks)
    if n_refs:
        assert sampler is not None
        logw = np.empty((n_refs, len(ks)))
        correction = np.log(n / m)
        for b, child in enumerate(ref_seeds.spawn(n_refs)):
            rng = np.random.default_rng(child)
            Z = np.ascontiguousarray(sampler(rng, m), dtype=X.dtype)
            fit_seeds = child.spawn(len(ks))
            for i, k in enumerate(ks):
                if k == 1:
                    w = _total_ss(Z.astype(np.float64))
                else:
                    w = _api.fit(
                        Z, int(k), method=method, n_init=ref_n_init, n_threads=n_threads,
                        random_state=int(fit_seeds[i].generate_state(1)[0]),
                    ).objective
                logw[b, i] = np.log(max(w, np.finfo(float).tiny)) + correction
                tick()
        mean = logw.mean(axis=0)
        sd = logw.std(axis=0)  # 1/B, as in the paper
        se = sd * np.sqrt(1.0 + 1.0 / n_refs)
        for i in range(len(ks)):
            if objective[i] > 0:
                gap[i] = float(mean[i] - np.log(objective[i]))
                gap_se[i] = float(se[i])

    notes: list[str] = []
    picks: dict[str, int | None] = {}
    if n_refs:
        k_gap, found = gap_rule(ks, gap, gap_se)
        picks["gap"] = k_gap
        if not found:
            notes.append(f"the gap rule held for no k < {ks[-1]}: try a larger k_range")
        if ks[0] > 1 and picks["gap"] == ks[0]:
            notes.append("k = 1 was not tried, so the gap statistic could not say 'no clusters'")
    valid_sil = [(s, int(k)) for s, k in zip(sil, ks) if s is not None]
    picks["silhouette"] = max(valid_sil)[1] if valid_sil else None
    valid_bic = [(b, int(k)) for b, k in zip(bic, ks) if b is not None]
    picks["bic"] = min(valid_bic)[1] if valid_bic else None
    recommended = picks.get(criterion)
    if recommended is None:
        raise ValueError(f"criterion {criterion!r} is undefined for every k in {list(map(int, ks))}")
    if criterion != "gap" and recommended in (ks[0], ks[-1]) and len(ks) > 2:
        notes.append(f"the {criterion} choice is at the edge of k_range")
    if bound_method is not None and bound_fn is None:
        notes.append("no lower bound: optimeans.lower_bound is not available in this installation")
    if bound_method == "spectral" and bound_fn is not None and ks[-1] - 1 >= d:
        notes.append(
            f"the spectral bound is 0 for k > n_features = {d}; the SDP bound is tighter "
            "(lower_bound='sdp', or --bound sdp on the command line)"
        )

    return ChooseKResult(
        k=ks, objective=objective, lower_bound=bounds, silhouette=sil, gap=gap, gap_se=gap_se,
        bic=bic, recommended=int(recommended), criterion=criterion, rule=_RULES[criterion],
        picks=picks, results=results, n_samples=n, n_features=d, n_refs=n_refs, seed=seed, notes=notes,
    )


def _silhouette(X: np.ndarray, labels: np.ndarray, sample_size: int | None, seed: int) -> float | None:
    from sklearn.metrics import silhouette_score

    n_labels = np.unique(labels).size
    n = X.shape[0]
    if n_labels < 2 or n_labels > n - 1:
        return None
    if sample_size is not None and n > sample_size:
        return float(silhouette_score(X, labels, sample_size=sample_size, random_state=seed))
    return float(silhouette_score(X, labels))
