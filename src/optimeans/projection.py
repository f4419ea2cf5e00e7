"""Maps of high-dimensional data into two (or a few) dimensions, for plots.

Three maps, from the cheapest to the most faithful to small distances:

* **PCA**: the orthogonal projection on the leading principal axes; linear,
  so new points (the cluster centers) project with the same map.
* **Classical MDS** (Torgerson 1952): the embedding whose inner products best
  match the double-centred squared distances, ``B = -1/2 J D^2 J``. For
  Euclidean distances it is PCA (up to the signs of the axes); it is computed
  here from the distance matrix, so it also takes distances that are not
  Euclidean.
* **Sammon's mapping** (Sammon 1969): the embedding ``Y`` that minimizes the
  stress

      E(Y) = (1 / sum_{i<j} d*_ij) * sum_{i<j} (d*_ij - d_ij)^2 / d*_ij,

  where ``d*`` are the distances in the data and ``d`` those in the map. The
  division by ``d*_ij`` makes errors on small distances cost more, so local
  structure (clusters) is kept at the expense of large distances. scikit-learn
  has no Sammon mapping; this one runs Sammon's diagonal Newton iteration in a
  Numba kernel, with step halving (the stress never increases) in place of the
  fixed "magic factor" of the paper, as Cawley's widely used ``sammon.m`` does.

Distance-based maps (MDS, Sammon) hold an ``n x n`` distance matrix, so
:func:`project` embeds a random subsample of at most ``max_samples`` rows.

References
----------
Sammon, J. W. (1969). A nonlinear mapping for data structure analysis.
IEEE Transactions on Computers C-18(5), 401-409.
Torgerson, W. S. (1952). Multidimensional scaling: I. Theory and method.
Psychometrika 17, 401-419.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ._numba import numba_threads
from ._validation import check_data, check_positive_int, check_random_state

__all__ = [
    "Projection",
    "pca",
    "classical_mds",
    "sammon",
    "sammon_stress",
    "project",
    "PROJECTIONS",
]

#: Names accepted by :func:`project`.
PROJECTIONS = ("pca", "mds", "sammon")

ProjectionName = Literal["pca", "mds", "sammon"]


@dataclass(frozen=True)
class Projection:
    """An embedding of data rows in a few dimensions.

    Attributes
    ----------
    embedding : ndarray of shape (n_embedded, n_components), float64
        Coordinates of the embedded rows.
    method : str
        ``"pca"``, ``"mds"`` or ``"sammon"``.
    index : ndarray of shape (n_embedded,), int64
        Rows of the input that were embedded (all rows unless subsampled).
    stress : float
        Sammon's stress of the embedding (0 = every distance kept).
    explained : float or None
        For PCA and MDS, the share of the total variance (of the positive
        eigenvalues for MDS) carried by the kept axes.
    components, mean : ndarray or None
        For PCA, the axes (n_components, n_features) and the mean, so that
        ``(Z - mean) @ components.T`` maps new points ``Z``.
    n_iter : int
        Sammon iterations run (0 for PCA and MDS).
    converged : bool
        Whether Sammon's iteration met its tolerance (True for PCA and MDS).
    history : ndarray
        Sammon's stress after each iteration (index 0: the initial map).
    """

    embedding: np.ndarray
    method: str
    index: np.ndarray
    stress: float
    explained: float | None = None
    components: np.ndarray | None = None
    mean: np.ndarray | None = None
    n_iter: int = 0
    converged: bool = True
    history: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def transform(self, Z: Any) -> np.ndarray:
        """Map new points with a PCA projection.

        Raises
        ------
        ValueError
            For MDS and Sammon maps, which have no out-of-sample map.
        """
        if self.components is None or self.mean is None:
            raise ValueError(
                f"a {self.method!r} projection cannot map new points; embed them with the data instead"
            )
        Z = np.asarray(Z, dtype=np.float64)
        return (Z - self.mean) @ self.components.T

    def summary(self) -> dict[str, Any]:
        """JSON-ready description (without the coordinates)."""
        return {
            "method": self.method,
            "n_embedded": int(self.embedding.shape[0]),
            "n_components": int(self.embedding.shape[1]),
            "stress": float(self.stress),
            "explained": None if self.explained is None else float(self.explained),
            "n_iter": int(self.n_iter),
            "converged": bool(self.converged),
        }


def _check_components(n_components: Any, n_samples: int, n_features: int | None = None) -> int:
    m = check_positive_int(n_components, "n_components")
    if m > n_samples:
        raise ValueError(f"n_components={m} is larger than the number of samples {n_samples}")
    if n_features is not None and m > n_features:
        raise ValueError(f"n_components={m} is larger than the number of features {n_features}")
    return m


def _fix_signs(vectors: np.ndarray) -> np.ndarray:
    """Flip each row so that its largest-magnitude entry is positive (deterministic axes)."""
    idx = np.argmax(np.abs(vectors), axis=1)
    signs = np.sign(vectors[np.arange(vectors.shape[0]), idx])
    signs[signs == 0] = 1.0
    return vectors * signs[:, None]


def pca(X: Any, n_components: int = 2) -> Projection:
    """Project the rows of ``X`` on their leading principal axes.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_components : int, default 2
        At most ``n_features``.

    Returns
    -------
    Projection
        With ``components`` and ``mean`` set (use :meth:`Projection.transform`
        for new points) and ``stress`` the Sammon stress of the map (computed
        on at most 2000 rows).

    Raises
    ------
    ValueError
        Invalid data or ``n_components`` larger than ``n_features``.

    Notes
    -----
    Eigen-decomposition of the (n_features x n_features) covariance in float64:
    ``O(n d^2 + d^3)`` time, ``O(d^2)`` extra memory. The sign of each axis is
    fixed so its largest loading is positive.

    Examples
    --------
    >>> from optimeans.datasets import load
    >>> p = pca(load("iris"))
    >>> round(p.explained, 3)
    0.978
    """
    X = check_data(X).astype(np.float64, copy=False)
    n, d = X.shape
    m = _check_components(n_components, n, d)
    mean = X.mean(axis=0)
    Xc = X - mean
    cov = Xc.T @ Xc
    evals, evecs = np.linalg.eigh(cov)
    order = np.argsort(evals)[::-1]
    evals, evecs = evals[order], evecs[:, order]
    comps = _fix_signs(evecs[:, :m].T.copy())
    total = float(np.clip(evals, 0, None).sum())
    explained = float(np.clip(evals[:m], 0, None).sum() / total) if total > 0 else 1.0
    Y = Xc @ comps.T
    return Projection(
        embedding=Y, method="pca", index=np.arange(n, dtype=np.int64),
        stress=_stress_sampled(X, Y), explained=explained, components=comps, mean=mean,
    )


def _distances(X: np.ndarray) -> np.ndarray:
    """Full Euclidean distance matrix in float64 (n x n)."""
    sq = np.einsum("ij,ij->i", X, X)
    D2 = sq[:, None] + sq[None, :] - 2.0 * (X @ X.T)
    np.maximum(D2, 0.0, out=D2)
    np.fill_diagonal(D2, 0.0)
    return np.sqrt(D2)


def classical_mds(X: Any, n_components: int = 2, *, metric: Literal["euclidean", "precomputed"] = "euclidean") -> Projection:
    """Classical (Torgerson) multidimensional scaling.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or (n_samples, n_samples)
        Data, or a symmetric distance matrix with ``metric="precomputed"``.
    n_components : int, default 2
    metric : {"euclidean", "precomputed"}

    Returns
    -------
    Projection
        ``explained`` is the share of the positive eigenvalues of ``B`` kept.

    Raises
    ------
    ValueError
        Invalid data, a precomputed matrix that is not square, symmetric and
        non-negative with a zero diagonal.

    Notes
    -----
    ``B = -1/2 J D^2 J`` with ``J = I - 11^T / n``; the map is the leading
    eigenvectors of ``B`` scaled by the square roots of their eigenvalues
    (negative eigenvalues, from non-Euclidean distances, are dropped).
    ``O(n^2 d)`` time for the distances, ``O(n^2 m)`` to ``O(n^3)`` for the
    leading eigenpairs (all of them for a precomputed matrix, whose negative
    eigenvalues must be told apart), ``O(n^2)`` memory. For Euclidean distances the
    result equals :func:`pca` up to the signs of the axes.

    References
    ----------
    Torgerson (1952); Gower (1966), Some distance properties of latent root and
    vector methods used in multivariate analysis, Biometrika 53.
    """
    if metric == "precomputed":
        D = np.asarray(check_data(X, name="distance matrix"), dtype=np.float64)
        if D.shape[0] != D.shape[1]:
            raise ValueError(f"a precomputed distance matrix must be square, got shape {D.shape}")
        if not np.allclose(D, D.T) or (D < 0).any() or np.abs(np.diag(D)).max() > 0:
            raise ValueError("a precomputed distance matrix must be symmetric, non-negative, zero on the diagonal")
        Xd = None
    elif metric == "euclidean":
        Xd = check_data(X).astype(np.float64, copy=False)
        D = _distances(Xd)
    else:
        raise ValueError(f"metric must be 'euclidean' or 'precomputed', got {metric!r}")
    n = D.shape[0]
    m = _check_components(n_components, n)
    D2 = D * D
    row = D2.mean(axis=1)
    B = -0.5 * (D2 - row[:, None] - row[None, :] + row.mean())
    if metric == "euclidean":
        # Only the m leading eigenpairs are needed (much faster than all n);
        # B is then positive semi-definite, so its trace is the sum of its
        # positive eigenvalues (the total variance).
        from scipy.linalg import eigh

        evals, evecs = eigh(B, subset_by_index=[n - m, n - 1])
        pos = float(np.trace(B))
    else:
        evals, evecs = np.linalg.eigh(B)
        pos = float(np.clip(evals, 0, None).sum())
    order = np.argsort(evals)[::-1]
    evals, evecs = evals[order], evecs[:, order]
    lam = np.clip(evals[:m], 0.0, None)
    Y = evecs[:, :m] * np.sqrt(lam)[None, :]
    Y = _fix_signs(Y.T).T.copy()
    explained = float(min(lam.sum() / pos, 1.0)) if pos > 0 else 1.0
    stress = _stress_from_distances(D, Y)
    return Projection(
        embedding=Y, method="mds", index=np.arange(n, dtype=np.int64), stress=stress,
        explained=explained,
    )


def _stress_from_distances(D: np.ndarray, Y: np.ndarray, n_threads: int | None = None) -> float:
    """Sammon's stress of ``Y`` for distances ``D`` (duplicate pairs, d* = 0, are skipped)."""
    iu = np.triu_indices(D.shape[0], 1)
    dstar = D[iu]
    keep = dstar > 0
    if not keep.any():
        return 0.0
    dY = _distances(np.ascontiguousarray(Y, dtype=np.float64))[iu]
    e = (dstar[keep] - dY[keep]) ** 2 / dstar[keep]
    return float(e.sum() / dstar[keep].sum())


def _stress_sampled(X: np.ndarray, Y: np.ndarray, max_rows: int = 2000) -> float:
    """Sammon stress on the first ``max_rows`` rows, evenly spaced (cheap, deterministic)."""
    n = X.shape[0]
    idx = np.arange(n) if n <= max_rows else np.linspace(0, n - 1, max_rows).astype(np.int64)
    return _stress_from_distances(_distances(np.asarray(X[idx], dtype=np.float64)), Y[idx])


def sammon_stress(X: Any, Y: Any) -> float:
    """Sammon's stress of the map ``Y`` of the rows of ``X``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    Y : array-like of shape (n_samples, n_components)

    Returns
    -------
    float
        ``(1 / sum_{i<j} d*_ij) * sum_{i<j} (d*_ij - d_ij)^2 / d*_ij`` over
        the pairs of distinct rows (pairs with ``d*_ij = 0`` are skipped).

    Notes
    -----
    ``O(n^2 (d + m))`` time, ``O(n^2)`` memory.
    """
    X = check_data(X).astype(np.float64, copy=False)
    Y = check_data(Y, name="Y").astype(np.float64, copy=False)
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y has {Y.shape[0]} rows but X has {X.shape[0]}")
    return _stress_from_distances(_distances(X), Y)


def sammon(
    X: Any,
    n_components: int = 2,
    *,
    init: Literal["pca", "random"] | np.ndarray = "pca",
    max_iter: int = 300,
    tol: float = 1e-6,
    max_halves: int = 20,
    random_state: int | np.random.Generator | None = None,
    n_threads: int | None = None,
) -> Projection:
    """Sammon's nonlinear mapping.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Duplicate rows are embedded once and share their image; the stress
        still counts each copy (pairs of copies, at distance 0, are left out).
    n_components : int, default 2
    init : {"pca", "random"} or ndarray of shape (n_samples, n_components)
        Starting map. "pca" (the default, as Sammon suggested) is
        deterministic; "random" draws a Gaussian cloud from ``random_state``.
    max_iter : int, default 300
        Newton iterations.
    tol : float, default 1e-6
        Stop when an iteration lowers the stress by less than ``tol`` times
        its value.
    max_halves : int, default 20
        Step halvings tried per iteration; when none lowers the stress the map
        is a (local) minimum and the iteration stops.
    random_state : int, Generator or None
        Only for ``init="random"``.
    n_threads : int, optional
        Threads for the kernel; the result does not depend on it.

    Returns
    -------
    Projection
        ``stress`` is the final stress, ``history`` the stress per iteration
        (non-increasing), ``converged`` whether the tolerance or a minimum (not
        ``max_iter``) stopped the run.

    Raises
    ------
    ValueError
        Invalid data or options, or fewer than 2 distinct rows.

    Notes
    -----
    Each iteration moves every coordinate by a fraction ``alpha`` of Sammon's
    diagonal Newton step ``-g_pq / |h_pq|`` (eq. 3-5 of the paper). ``alpha``
    starts at twice the last accepted value (at most 1) and is halved until the
    stress decreases, so the stress never increases (the paper's fixed "magic
    factor" 0.3-0.4 gives no such guarantee). The data are rescaled to a mean pairwise distance of 1
    (the stress does not change) and the map scaled back. Per iteration
    ``O(n^2 m)`` time; ``O(n^2)`` memory for the distance matrix.

    References
    ----------
    Sammon, J. W. (1969). A nonlinear mapping for data structure analysis.
    IEEE Transactions on Computers C-18(5), 401-409.
    Cawley, G. C. sammon.m (MATLAB implementation with step halving).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.eye(4)  # a regular tetrahedron
    >>> p = sammon(X)
    >>> round(p.stress, 4)  # the optimal map is a square: (3 - 2*sqrt(2)) / 6
    0.0286
    """
    from ._kernels import sammon as kernels

    X = check_data(X).astype(np.float64, copy=False)
    n, d = X.shape
    max_iter = check_positive_int(max_iter, "max_iter", minimum=0)
    max_halves = check_positive_int(max_halves, "max_halves", minimum=0)
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol >= 0:
        raise ValueError(f"tol must be a number >= 0, got {tol!r}")
    uniq, inverse = np.unique(X, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    u = uniq.shape[0]
    if u < 2:
        raise ValueError("X needs at least 2 distinct rows for a Sammon map")
    m = _check_components(n_components, u)

    # A row repeated r times stands for r rows: the pair (i, j) of distinct
    # rows counts r_i r_j times in the stress, which the kernels see through
    # Dinv (pairs of copies have d* = 0 and are left out, as in sammon_stress).
    mult = np.bincount(inverse, minlength=u).astype(np.float64)
    pair_w = np.outer(mult, mult)
    D = _distances(uniq)
    iu = np.triu_indices(u, 1)
    unit = float(D[iu].mean())  # mean pairwise distance: the map is computed at scale 1
    D /= unit
    off = ~np.eye(u, dtype=bool)
    Dinv = np.zeros_like(D)
    Dinv[off] = pair_w[off] / D[off]  # distinct rows: D > 0 off the diagonal
    c_scaled = float((pair_w * D)[iu].sum())

    if isinstance(init, str):
        if init == "pca":
            Y = _pca_init(uniq, m) / unit
        elif init == "random":
            rng, _ = check_random_state(random_state)
            Y = rng.standard_normal((u, m)) * 0.1
        else:
            raise ValueError(f"init must be 'pca', 'random' or an array, got {init!r}")
    else:
        Y0 = np.asarray(init, dtype=np.float64)
        if Y0.shape != (n, m):
            raise ValueError(f"init has shape {Y0.shape}, expected (n_samples, n_components) = ({n}, {m})")
        # One image per distinct row: the first occurrence's.
        first = np.full(u, -1)
        for i in range(n - 1, -1, -1):
            first[inverse[i]] = i
        Y = Y0[first] / unit
    if not np.isfinite(Y).all():
        raise ValueError("init contains NaN or inf")
    # A degenerate start (all images equal on an axis) has zero gradient there; spread it.
    if np.ptp(Y, axis=0).min() == 0:
        rng = np.random.default_rng(0)
        Y = Y + 1e-3 * rng.standard_normal(Y.shape)
    Y = np.ascontiguousarray(Y)

    grad = np.empty_like(Y)
    hess = np.empty_like(Y)
    rows = np.empty(u)
    scale = -2.0 / c_scaled
    history = []
    converged = False
    n_iter = 0
    alpha = 1.0
    if m == 2:
        row_stress, derivatives = kernels.sammon_row_stress_2d, kernels.sammon_derivatives_2d
    else:
        row_stress, derivatives = kernels.sammon_row_stress, kernels.sammon_derivatives
    if n_threads is None and u < 1000:
        # Below ~1000 rows a pass takes about a millisecond: waking threads
        # costs more than it saves (and much more on a loaded machine).
        n_threads = 1
    with numba_threads(n_threads):
        row_stress(D, Dinv, Y, rows)
        E = float(rows.sum()) / 2.0 / c_scaled
        history.append(E)
        for it in range(max_iter):
            derivatives(D, Dinv, Y, scale, grad, hess, rows)
            hmag = np.abs(hess)
            hmag[hmag == 0] = 1.0  # a flat coordinate: plain gradient step
            step = grad / hmag
            improved = False
            # Start from twice the last accepted fraction of the Newton step
            # (at most the full step): far fewer stress evaluations than
            # halving from 1 every time, and the stress still never increases.
            alpha = min(1.0, 2.0 * alpha)
            for _ in range(max_halves + 1):
                Ynew = Y - alpha * step
                row_stress(D, Dinv, Ynew, rows)
                Enew = float(rows.sum()) / 2.0 / c_scaled
                if Enew < E:
                    improved = True
                    break
                alpha *= 0.5
            n_iter = it + 1
            if not improved:
                converged = True  # no step lowers the stress: a local minimum
                break
            rel = (E - Enew) / E if E > 0 else 0.0
            Y, E = Ynew, Enew
            history.append(E)
            if rel < tol:
                converged = True
                break
    emb = Y[inverse] * unit
    return Projection(
        embedding=np.ascontiguousarray(emb), method="sammon", index=np.arange(n, dtype=np.int64),
        stress=E, n_iter=n_iter, converged=converged, history=np.asarray(history),
    )


def _pca_init(X: np.ndarray, m: int) -> np.ndarray:
    d = X.shape[1]
    if m <= d:
        return pca(X, m).embedding
    # More map dimensions than features: pad with small deterministic noise.
    Y = np.zeros((X.shape[0], m))
    Y[:, :d] = pca(X, d).embedding
    Y[:, d:] = 1e-3 * np.random.default_rng(0).standard_normal((X.shape[0], m - d))
    return Y


def project(
    X: Any,
    method: ProjectionName = "pca",
    n_components: int = 2,
    *,
    max_samples: int | None = 1000,
    random_state: int | np.random.Generator | None = 0,
    extra: Any = None,
    n_threads: int | None = None,
) -> tuple[Projection, np.ndarray | None]:
    """Map ``X`` (and optionally extra points such as cluster centers) to ``n_components`` dimensions.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    method : {"pca", "mds", "sammon"}
    n_components : int, default 2
    max_samples : int or None, default 1000
        For MDS and Sammon (``O(n^2)`` memory), embed at most this many rows,
        drawn at random without replacement from ``random_state``; PCA always
        maps every row. ``None``: no limit.
    random_state : int, Generator or None, default 0
        For the subsample.
    extra : array-like of shape (n_extra, n_features), optional
        Points mapped with the data: for PCA by the same linear map, for MDS
        and Sammon embedded together with the rows (so their distances to the
        rows are kept as well as the map allows).
    n_threads : int, optional

    Returns
    -------
    projection : Projection
        The map of the data rows (``projection.index`` says which rows).
    extra_embedding : ndarray of shape (n_extra, n_components) or None

    Raises
    ------
    ValueError
        Unknown ``method``, invalid data, ``extra`` with the wrong number of
        features.
    """
    if method not in PROJECTIONS:
        raise ValueError(f"method must be one of {', '.join(PROJECTIONS)}, got {method!r}")
    X = check_data(X).astype(np.float64, copy=False)
    n, d = X.shape
    E = None
    if extra is not None:
        E = check_data(extra, name="extra").astype(np.float64, copy=False)
        if E.shape[1] != d:
            raise ValueError(f"extra has {E.shape[1]} features but X has {d}")
    if method == "pca":
        p = pca(X, n_components)
        return p, (None if E is None else p.transform(E))
    idx = np.arange(n, dtype=np.int64)
    if max_samples is not None:
        max_samples = check_positive_int(max_samples, "max_samples", minimum=2)
        if n > max_samples:
            rng, _ = check_random_state(random_state)
            idx = np.sort(rng.choice(n, size=max_samples, replace=False)).astype(np.int64)
    Z = X[idx] if E is None else np.vstack([X[idx], E])
    if method == "mds":
        p = classical_mds(Z, n_components)
    else:
        p = sammon(Z, n_components, n_threads=n_threads)
    k = len(idx)
    Yx, Ye = p.embedding[:k], (None if E is None else p.embedding[k:])
    data_stress = _stress_from_distances(_distances(Z[:k]), Yx) if E is not None else p.stress
    return (
        Projection(
            embedding=np.ascontiguousarray(Yx), method=p.method, index=idx, stress=data_stress,
            explained=p.explained, n_iter=p.n_iter, converged=p.converged, history=p.history,
        ),
        Ye,
    )
