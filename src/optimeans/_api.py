"""``optimeans.fit``: validation, seeding, restarts, dispatch to a solver."""

from __future__ import annotations

import inspect
import numbers
from typing import Any, Literal

import numpy as np

from . import solvers
from ._validation import (
    check_data,
    check_n_clusters,
    check_nonneg_float,
    check_positive_int,
    check_random_state,
    check_sample_weight,
    is_sparse,
)
from ._kernels import CHUNK
from ._numba import numba_threads, resolve_n_threads
from ._validation import check_centers
from .objective import point_objective
from .result import History, Result
from .seeding import INIT_METHODS, init_centers

__all__ = ["fit", "resolve_n_init", "planned_runs", "WorkSpace"]

_BLOCK = 65536

#: Data magnitudes beyond this are pre-scaled before summing (column sums of n
#: values near the float64 maximum would overflow).
_HUGE = 2.0**960
#: Magnitudes inside [2**-40, 2**40] are left alone; outside, a power of two
#: brings them near 1 (exactly, with no rounding).
_LOW, _HIGH = 2.0**-40, 2.0**40
#: Smallest normal float64: products below it have lost digits.
_TINY = float(np.finfo(np.float64).tiny)
#: Largest magnitude, in work units, of a user-given initial center: squared
#: distances must stay finite in the work dtype (float32 overflows at 2**128).
_INIT_LIMIT = {np.dtype(np.float32): 2.0**50, np.dtype(np.float64): 2.0**500}


def _blocks(n: int):
    for start in range(0, n, _BLOCK):
        yield slice(start, min(n, start + _BLOCK))


def _pow2_exponent(magnitude: float) -> int:
    """``e`` such that ``magnitude * 2**e`` lies in [0.5, 1), or 0 when it is already ordinary."""
    if magnitude == 0.0 or _LOW <= magnitude <= _HIGH:
        return 0
    return -int(np.frexp(magnitude)[1])


def _fmt_log2(l2: float) -> str:
    """``2**l2`` in scientific notation, without overflowing a float."""
    e10 = l2 * np.log10(2.0)
    mant = 10.0 ** (e10 - np.floor(e10))
    return f"{mant:.1f}e{int(np.floor(e10)):+d}"


#: Solver options (and info / history entries) that are lengths in the data's
#: units: fit moves them into work units and back.
LENGTH_OPTIONS = ("sigma", "sigma_start", "sigma_min", "sigma_final")
#: Info and history entries in the objective's units (weight x length squared).
ENERGY_INFO = ("free_energy",)


class WorkSpace:
    """The affine change of coordinates solvers run in: ``(X - offset) * 2**exp``.

    ``offset`` is the float64 (weighted) column mean and ``2**exp`` an exact power of two
    that brings the largest centered magnitude near 1 (``exp = 0``, no scaling,
    when that magnitude is already within ``[2**-40, 2**40]``). Centering keeps
    float32 accurate when the data sit far from the origin (values around 1e6
    with unit spread: a center rounded to float32 there is off by 0.06, which
    changes the objective by 1e-3 relative); the power of two keeps squared
    distances of 1e30 or 1e-30 inside float32's range. Both are undone on the
    result: centers come back in float64 and the objective is recomputed on
    the original data. Distances are translation invariant and a power-of-two
    scale is exact, so the partition is the one of the original data.

    Sample weights get the same treatment (``w * 2**wexp``, ``wexp = 0`` for
    ordinary weights): weights of 1e308 would make the total weight overflow
    and subnormal weights (1e-320) would lose digits; every solver's result is
    invariant under scaling all weights by one power of two.

    Data whose magnitude approaches the float64 maximum (beyond ``2**960``)
    are pre-scaled by a power of two before the column means are taken, so the
    sums cannot overflow.
    """

    def __init__(self, X: np.ndarray, sample_weight: np.ndarray | None = None) -> None:
        n, d = X.shape
        top = 0.0
        for b in _blocks(n):
            if b.stop > b.start:
                top = max(top, float(np.abs(X[b]).max()))
        self._pre = -int(np.frexp(top)[1]) if top > _HUGE else 0
        # the weighted mean: rows of weight zero (outliers switched off) must not
        # pull the origin away from the rows that count and cost them digits
        uniform = sample_weight is None or not sample_weight.size or bool(
            (sample_weight == sample_weight[0]).all()
        )
        if self._pre == 0 and uniform:
            self.offset = X.mean(axis=0, dtype=np.float64)
            off_p = self.offset
        else:
            acc = np.zeros(d, dtype=np.float64)
            wn = None if uniform else np.ldexp(sample_weight, _pow2_exponent(float(sample_weight.max())) or 0)
            for b in _blocks(n):
                blk = X[b].astype(np.float64)
                if self._pre:
                    blk = np.ldexp(blk, self._pre)
                acc += blk.sum(axis=0) if wn is None else wn[b] @ blk
            off_p = acc / (n if wn is None else float(wn.sum()))
            self.offset = np.ldexp(off_p, -self._pre)
        self._offset_p = off_p
        maxabs_p = 0.0
        for b in _blocks(n):
            if b.stop > b.start:
                blk = X[b].astype(np.float64)
                if self._pre:
                    blk = np.ldexp(blk, self._pre)
                maxabs_p = max(maxabs_p, float(np.abs(blk - off_p).max()))
        if self._pre == 0:
            self.exp = _pow2_exponent(maxabs_p)
        else:
            # data beyond 2**960 with any spread at all spread beyond 2**40
            self.exp = 0 if maxabs_p == 0.0 else self._pre - int(np.frexp(maxabs_p)[1])
        self._post = self.exp - self._pre
        self.scale = float(np.ldexp(1.0, self.exp))
        self.wexp = 0
        if sample_weight is not None and sample_weight.size:
            self.wexp = _pow2_exponent(float(np.max(sample_weight)))

    @classmethod
    def from_parts(cls, offset_p: np.ndarray, pre: int, exp: int, wexp: int) -> "WorkSpace":
        """The work space whose parts were computed elsewhere (block by block, by the Dask backend).

        ``offset_p`` is the offset in pre-scaled units, ``pre``, ``exp`` and
        ``wexp`` the exponents that ``__init__`` would have chosen.
        """
        self = cls.__new__(cls)
        self._pre = int(pre)
        self._offset_p = np.asarray(offset_p, dtype=np.float64)
        self.offset = np.ldexp(self._offset_p, -self._pre) if self._pre else self._offset_p
        self.exp = int(exp)
        self._post = self.exp - self._pre
        self.scale = float(np.ldexp(1.0, self.exp))
        self.wexp = int(wexp)
        return self

    def to_work(self, A: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
        """Rows of ``A`` (data or centers, original units) in work units, as ``dtype``."""
        A = np.asarray(A)
        out = np.empty(A.shape, dtype=dtype)
        for b in _blocks(A.shape[0]):
            blk = A[b].astype(np.float64)
            if self._pre:
                blk = np.ldexp(blk, self._pre)
            blk -= self._offset_p
            if self._post:
                blk = np.ldexp(blk, self._post)
            out[b] = blk
        return out

    def from_work(self, C: np.ndarray) -> np.ndarray:
        """Centers in work units -> float64 centers in original units."""
        C = np.asarray(C, dtype=np.float64)
        if self._post:
            C = np.ldexp(C, -self._post)
        C = C + self._offset_p
        if self._pre:
            C = np.ldexp(C, -self._pre)
        return C

    def work_weights(self, w: np.ndarray) -> np.ndarray:
        """Weights scaled by ``2**wexp`` (the same array when ``wexp == 0``)."""
        return w if self.wexp == 0 else np.ldexp(w, self.wexp)

    def objective_factor(self) -> float:
        """Multiply an objective computed in work space by this to get the original one.

        Prefer :meth:`to_original_objective`, which cannot overflow in between.
        """
        return float(np.ldexp(1.0, -2 * self.exp - self.wexp))

    def to_original_objective(self, value: Any) -> Any:
        """An objective (scalar or array) from work units (and work weights) to original units."""
        shift = -2 * self.exp - self.wexp
        if shift == 0:
            return value
        out = np.ldexp(np.asarray(value, dtype=np.float64), shift)
        return float(out) if np.ndim(out) == 0 else out

    def objective(self, X: np.ndarray, w: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> float:
        """``sum_i w_i ||x_i - c_{labels_i}||^2`` on the original ``X`` and float64 ``centers``.

        Each difference is formed in float64 from the original values. When the
        data or weights are extreme, the differences and weights are scaled by
        exact powers of two first and the sum scaled back, so squares that would
        overflow or fall into the subnormal range do not lose the result.
        """
        if self.exp == 0 and self.wexp == 0:
            return float(np.dot(w, point_objective(X, centers, labels)))
        C = np.ldexp(np.asarray(centers, dtype=np.float64), self.exp)
        n = X.shape[0]
        po = np.empty(n, dtype=np.float64)
        for b in _blocks(n):
            diff = np.ldexp(X[b].astype(np.float64), self.exp) - C[labels[b]]
            po[b] = np.einsum("ij,ij->i", diff, diff)
        ws = np.ldexp(np.asarray(w, dtype=np.float64), self.wexp)
        prod = ws * po
        # the same summation as the unscaled path: the result is exactly
        # 2**(2 exp + wexp) times the objective of the scaled problem
        plain = float(np.ldexp(float(np.dot(ws, po)), -2 * self.exp - self.wexp))
        if np.isfinite(prod).all() and not ((prod < _TINY) & (ws > 0) & (po > 0)).any():
            return plain
        # some products under- or overflow (subnormal weights, say): add the terms
        # by mantissa and exponent, relative to the largest one; keep the plain sum
        # when the lost products were below its last bit anyway
        exact = self._sum_products(w, po)
        if np.isfinite(plain) and abs(exact - plain) <= 2.0**-50 * abs(exact):
            return plain
        return exact

    def _sum_products(self, w: np.ndarray, po: np.ndarray) -> float:
        """``sum_i w_i po_i 2**(-2 exp)`` without intermediate under- or overflow."""
        mw, ew = np.frexp(np.asarray(w, dtype=np.float64))
        mp, ep = np.frexp(po)
        e = ew.astype(np.int64) + ep.astype(np.int64)
        nz = (mw != 0) & (mp != 0)
        if not nz.any():
            return 0.0
        emax = int(e[nz].max())
        terms = np.where(nz, np.ldexp(mw * mp, np.clip(e - emax, -1100, 0)), 0.0)
        return float(np.ldexp(float(terms.sum()), emax - 2 * self.exp))

    def options_to_work(self, options: dict[str, Any]) -> dict[str, Any]:
        """Solver options that are lengths in the data's units, in work units."""
        if self.exp == 0:
            return options
        out = dict(options)
        for key in LENGTH_OPTIONS:
            v = out.get(key)
            if isinstance(v, numbers.Real) and not isinstance(v, bool):
                out[key] = float(np.ldexp(float(v), self.exp))
        return out

    def result_to_original(self, res: Result) -> Result:
        """Options, info and history series of a work-space result in the data's units."""
        if self.exp == 0 and self.wexp == 0:
            return res

        def length(v: Any) -> Any:
            if isinstance(v, numbers.Real) and not isinstance(v, bool):
                return float(np.ldexp(float(v), -self.exp))
            return v

        options = {k: (length(v) if k in LENGTH_OPTIONS else v) for k, v in res.options.items()}
        info = dict(res.info)
        for key in LENGTH_OPTIONS:
            if key in info:
                info[key] = length(info[key])
        for key in ENERGY_INFO:
            if key in info and isinstance(info[key], numbers.Real):
                info[key] = self.to_original_objective(float(info[key]))
        extra = dict(res.history.extra)
        for key, val in extra.items():
            if key in LENGTH_OPTIONS:
                extra[key] = np.ldexp(np.asarray(val, dtype=np.float64), -self.exp)
            elif key in ENERGY_INFO:
                extra[key] = self.to_original_objective(np.asarray(val, dtype=np.float64))
        hist = History(res.history.objective, res.history.seconds, res.history.passes, extra)
        return res.replace(options=options, info=info, history=hist)

    def check_range(self, Xw: np.ndarray, ww: np.ndarray) -> None:
        """Refuse data whose objective could overflow float64.

        Any center inside the data's bounding box is within its diameter ``D``
        of every point, so the objective is at most ``W * D**2`` (``W`` the
        total weight). When that bound exceeds float64's range the objective of
        a clustering may not be representable: a clear ``ValueError`` now beats
        an ``inf`` (or a crash) later.
        """
        if Xw.shape[0] == 0:
            return
        lo = np.full(Xw.shape[1], np.inf)
        hi = np.full(Xw.shape[1], -np.inf)
        for b in _blocks(Xw.shape[0]):
            blk = Xw[b].astype(np.float64)
            lo = np.minimum(lo, blk.min(axis=0))
            hi = np.maximum(hi, blk.max(axis=0))
        d2 = float(np.sum((hi - lo) ** 2))
        wsum = float(np.sum(ww))
        if d2 == 0.0 or wsum == 0.0:
            return
        lw = np.log2(wsum) - self.wexp
        ld = np.log2(d2) - 2 * self.exp
        if lw + ld >= 1023.0:
            culprit = "sample_weight" if lw > ld else "X"
            raise ValueError(
                f"{culprit} is too large for float64: the k-means objective can reach "
                f"{_fmt_log2(lw + ld)} (total weight {_fmt_log2(lw)} times squared diameter "
                f"{_fmt_log2(ld)}), beyond the largest float64 1.8e+308; divide {culprit} by a "
                "constant first"
            )

    def check_init(self, centers_work64: np.ndarray, dtype: np.dtype | type, original: np.ndarray) -> None:
        """Refuse user centers so far from the data that squared distances overflow ``dtype``."""
        limit = _INIT_LIMIT[np.dtype(dtype)]
        bad = np.abs(centers_work64) > limit
        if bad.any():
            r, c = (int(v) for v in np.argwhere(bad)[0])
            raise ValueError(
                f"init has value {original[r, c]:.6g} at row {r}, column {c}, too far outside the "
                f"data's range ({_fmt_log2(np.log2(limit) - self.exp)} from the data's mean is the "
                f"limit for {np.dtype(dtype).name} data); give initial centers near the data"
            )


InitLike = Literal["k-means++", "afkmc2", "auto", "random"] | np.ndarray | Any


def resolve_n_init(n_init: Any, init: Any) -> int:
    """``"auto"`` is 3 restarts for k-means++ (greedy, AFK-MC2 or "auto"), 10 for random, 1 for given centers."""
    if isinstance(n_init, str):
        if n_init != "auto":
            raise ValueError(f"n_init must be a positive integer or 'auto', got {n_init!r}")
        if isinstance(init, str):
            return 10 if init == "random" else 3
        return 1
    return check_positive_int(n_init, "n_init")


#: ``n * n_clusters`` from which ``method="global"`` with ``n_init="auto"`` runs one
#: search instead of three: on blobs of 20000 points with 50 to 200 clusters one
#: search (breathing and jump moves) ends below scikit-learn's ``n_init=10`` in
#: about 0.6 times its time, three take twice its time for at most 0.001 % more
#: (benchmarks/README.md, ``bench_global.py blobs``); on the small classic sets
#: restarts are cheap insurance.
GLOBAL_ONE_SEARCH = 100_000


def planned_runs(n_runs: int, n_init: Any, init: Any, method: str, n_samples: int, n_clusters: int) -> int:
    """Runs ``fit`` makes once the method is known: 1 for exact solvers, and for a large ``"global"`` search."""
    if method in solvers.INIT_FREE:
        return 1  # an exact solver needs no starting point: restarts would repeat it
    if method == "global" and isinstance(n_init, str) and isinstance(init, str) and n_samples * n_clusters >= GLOBAL_ONE_SEARCH:
        return 1
    return n_runs


def fit(
    X: Any,
    n_clusters: int,
    *,
    method: str = "auto",
    init: InitLike = "k-means++",
    n_init: int | Literal["auto"] = "auto",
    max_iter: int = 300,
    tol: float = 1e-4,
    sample_weight: Any = None,
    random_state: int | np.random.Generator | None = None,
    n_threads: int | None = None,
    callback: Any = None,
    refine: Literal["hartigan"] | None = None,
    **options: Any,
) -> Result:
    """Cluster ``X`` into ``n_clusters`` groups by minimizing the k-means objective.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
        ndarray, list of lists, pandas or polars DataFrame, or scipy.sparse
        matrix/array (any format, converted once to CSR; methods "lloyd",
        "hamerly", "elkan" and "yinyang" (these two run "hamerly") and
        "minibatch"). float32 stays float32; every other numeric type
        becomes float64.
    n_clusters : int
        Number of clusters, ``1 <= n_clusters <= n_samples``.
    method : str, default "auto"
        A solver name from :func:`optimeans.methods`; ``"auto"`` picks one by
        the data's shape and the choice is recorded in ``Result.method``.
    init : {"k-means++", "afkmc2", "auto", "random"}, ndarray or callable, default "k-means++"
        Initial centers: greedy k-means++; AFK-MC2 (Markov-chain k-means++,
        whose cost does not grow with ``n * n_clusters``); "auto" (AFK-MC2 for
        large ``n_clusters`` when it does much less arithmetic, see
        :func:`optimeans.seeding.resolve_init`, else greedy k-means++); random
        distinct points. An array of shape (n_clusters, n_features) is used as
        is (and implies one restart).
    n_init : int or "auto", default "auto"
        Restarts from independent seeds; the lowest objective wins. "auto" is 3
        for k-means++, AFK-MC2 and "auto", 10 for random, 1 for given centers; 1 for the exact
        solvers, and for ``method="global"`` once ``n * n_clusters >= 100000``
        (its search explores more per second than restarts do).
    max_iter : int, default 300
    tol : float, default 1e-4
        Relative decrease of the objective below which a run stops.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights, not all zero.
    random_state : int, Generator or None
        Seed of every random choice. The same seed gives bitwise the same
        result on any number of threads. ``None`` draws a seed and records it
        in ``Result.seed``.
    n_threads : int, optional
        Threads for the kernels (default: all cores).
    callback : callable ``(iteration, objective) -> bool``, optional
        Called after each iteration; returning True stops the run, and the
        partial result is returned with ``stop_reason="callback"``.
    refine : {None, "hartigan"}, default None
        Polish every restart's result with Hartigan's single-point transfers
        (:func:`optimeans.solvers.hartigan.refine`); the objective can only go
        down and ``Result.method`` records both, e.g. ``"lloyd+hartigan"``.
    **options
        Solver-specific options.

    Returns
    -------
    Result
        ``centers`` are float64 whatever the input dtype; ``objective`` is
        recomputed in float64 on the original data.

    Notes
    -----
    Solvers run on centered data (see :class:`WorkSpace`), in the input's
    dtype. That costs one copy of ``X`` and makes float32 accurate for data
    far from the origin.

    Raises
    ------
    ValueError
        NaN or inf in X (with the first offending row and column), empty X,
        1-D X, ``n_clusters`` < 1 or > n_samples, bad weights.
    TypeError
        Non-numeric data or arguments of the wrong type.

    Warns
    -----
    FewDistinctPointsWarning
        Fewer distinct points than clusters (the result is still valid).

    Examples
    --------
    >>> import optimeans
    >>> X = optimeans.datasets.load("iris")
    >>> result = optimeans.fit(X, 3, random_state=0)
    >>> round(result.objective, 4)
    78.8514
    """
    if hasattr(X, "__dask_graph__"):
        from .distributed import fit as distributed_fit  # optional extra

        return distributed_fit(
            X, n_clusters, method=method, init=init, n_init=n_init, max_iter=max_iter, tol=tol,
            sample_weight=sample_weight, random_state=random_state, n_threads=n_threads,
            callback=callback, refine=refine, **options,
        )
    if is_sparse(X):
        from ._api_sparse import fit_sparse  # CSR kernels, dense centers

        return fit_sparse(
            X, n_clusters, method=method, init=init, n_init=n_init, max_iter=max_iter, tol=tol,
            sample_weight=sample_weight, random_state=random_state, n_threads=n_threads,
            callback=callback, refine=refine, **options,
        )
    X = check_data(X)
    n, d = X.shape
    w = check_sample_weight(sample_weight, n, np.float64)
    k = check_n_clusters(n_clusters, X, w)
    max_iter = check_positive_int(max_iter, "max_iter")
    tol = check_nonneg_float(tol, "tol")
    n_runs = resolve_n_init(n_init, init)
    if isinstance(init, str) and init not in INIT_METHODS:
        raise ValueError(f"init must be one of {INIT_METHODS}, an array or a callable; got {init!r}")
    n_threads = resolve_n_threads(n_threads)
    if n <= CHUNK:
        # one chunk of rows: waking threads costs more than the work, and no
        # result depends on the thread count
        n_threads = 1
    name = solvers.resolve(method, X, k)
    solver = solvers.get(name)
    if refine is not None and refine != "hartigan":
        raise ValueError(f"refine must be None or 'hartigan', got {refine!r}")
    n_runs = planned_runs(n_runs, n_init, init, name, n, k)
    _, seed = check_random_state(random_state)
    children = np.random.SeedSequence(seed).spawn(n_runs)

    if isinstance(init, str) and init not in INIT_METHODS:
        # checked here, not only when seeding: methods that need no start must not
        # silently accept a misspelt init
        raise ValueError(f"init must be one of {INIT_METHODS}, an array or a callable; got {init!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable (iteration, objective) -> bool or None, got {callback!r}")
    _check_options(name, solver, options)

    space = WorkSpace(X, w)
    Xw = space.to_work(X, X.dtype)
    ww = space.work_weights(w)
    space.check_range(Xw, ww)
    if not isinstance(init, str) and not callable(init):
        init0 = check_centers(init, k, d, np.float64)
        init64 = space.to_work(init0, np.float64)
        space.check_init(init64, X.dtype, init0)
        init = init64.astype(X.dtype)
    options = space.options_to_work(options)
    cb = callback
    if callback is not None and (space.exp or space.wexp):
        def cb(iteration: int, obj: float) -> Any:
            return callback(iteration, space.to_original_objective(obj))

    with numba_threads(n_threads):
        best = _run_restarts(
            Xw, ww, k, d, name, solver, init, children, refine, max_iter, tol, n_threads, cb, options
        )
        res = _to_original(X, w, best, space)
    method_name = name if refine is None else f"{name}+{refine}"
    return res.replace(method=method_name, seed=seed, n_init=n_runs)


def _run_restarts(
    Xw: np.ndarray, ww: np.ndarray, k: int, d: int, name: str, solver: Any, init: Any,
    children: list[np.random.SeedSequence], refine: str | None, max_iter: int, tol: float,
    n_threads: int, cb: Any, options: dict[str, Any],
) -> Result:
    """Seed and run the solver once per child seed; the lowest objective wins."""
    best: Result | None = None
    for run_seed in children:
        rng = np.random.default_rng(run_seed)
        if name in solvers.INIT_FREE:
            if not isinstance(init, str):
                init_centers(Xw, k, ww, init, rng, n_threads=n_threads)  # validate the user's init
            centers0 = np.zeros((k, d), dtype=Xw.dtype)  # only its shape is read
        else:
            centers0 = init_centers(Xw, k, ww, init, rng, n_threads=n_threads)
        res = solver(
            Xw, ww, centers0, max_iter=max_iter, tol=tol, n_threads=n_threads, rng=rng,
            callback=cb, **options,
        )
        if refine is not None and res.stop_reason != "callback":
            from .solvers.hartigan import refine as hartigan_refine

            res = hartigan_refine(Xw, ww, res, max_iter=max_iter, tol=tol, callback=cb)
        if best is None or res.objective < best.objective:
            best = res
        if res.stop_reason == "callback":
            break
    assert best is not None
    return best


#: Arguments fit passes to every solver itself; they are not solver options.
_COMMON = ("max_iter", "tol", "n_threads", "rng", "callback")


def _check_options(name: str, solver: Any, options: dict[str, Any]) -> None:
    """Name an option the solver does not take, before anything runs."""
    if not options:
        return
    clash = sorted(set(options) & set(_COMMON))
    if clash:
        raise TypeError(
            f"{clash[0]!r} is not a solver option: fit sets it itself"
            + (" (from random_state)" if clash[0] == "rng" else "")
        )
    try:
        params = inspect.signature(solver).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: let the solver decide
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return
    accepted = sorted(
        p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in _COMMON
    )
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise TypeError(
            f"method {name!r} has no option {unknown[0]!r}; "
            + (f"its options are: {', '.join(accepted)}" if accepted else "it takes no options")
        )


def _to_original(X: np.ndarray, w: np.ndarray, res: Result, space: WorkSpace) -> Result:
    """Map a work-space result back: float64 centers, objective on the original X."""
    res = space.result_to_original(res)
    centers = space.from_work(res.centers)
    obj = space.objective(X, w, centers, res.labels)
    hist = res.history
    if space.exp or space.wexp:
        hist = History(
            space.to_original_objective(hist.objective), hist.seconds, hist.passes, dict(hist.extra)
        )
    lb = res.lower_bound
    if lb is not None:
        lb = space.to_original_objective(lb)
    return res.replace(centers=centers, objective=obj, history=hist, lower_bound=lb)
