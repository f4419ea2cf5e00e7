"""The affine change of coordinates every solver runs in, computed once per fit.

:class:`DataTransform` maps validated data (and user centers, options, results)
between the user's units and the work units ``(X - offset) * 2**exp``.
It sits below :mod:`optimeans._api` and the Dask backend, which both use it.
Not to be confused with :class:`optimeans._kernels.lloyd.Workspace`, the kernels'
packed copy of the (already transformed) rows, which centres and scales them
once more for a different purpose: its notes say why both are needed.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .objective import point_objective
from .result import History, Result

__all__ = ["DataTransform", "column_range", "LENGTH_OPTIONS", "ENERGY_INFO", "pow2_exponent"]

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


def column_range(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column minima and maxima of a finite 2-D array, in its dtype (exact).

    NumPy reduces ``axis=0`` of a C-ordered array with few columns one short
    row at a time: 9.5 ms for 200000 x 8 float32. Viewing ``g`` consecutive rows
    as one row of ``g d`` values (``g d`` near 256) makes the inner loop long
    enough to vectorize: 0.5 ms, the same values (a minimum does not depend on
    the order it is taken in).
    """
    n, d = A.shape
    if n == 0 or d == 0 or not A.flags.c_contiguous:
        return A.min(axis=0, initial=np.inf), A.max(axis=0, initial=-np.inf)
    g = max(1, 256 // d)
    m = n // g * g
    if m == 0:
        return A.min(axis=0), A.max(axis=0)
    V = A[:m].reshape(m // g, g * d)
    lo = V.min(axis=0).reshape(g, d).min(axis=0)
    hi = V.max(axis=0).reshape(g, d).max(axis=0)
    if m < n:
        lo = np.minimum(lo, A[m:].min(axis=0))
        hi = np.maximum(hi, A[m:].max(axis=0))
    return lo, hi


def pow2_exponent(magnitude: float) -> int:
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


class DataTransform:
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
        # the column extremes, read once: the largest magnitude, and below the largest deviation
        lo, hi = column_range(X)
        lo, hi = lo.astype(np.float64), hi.astype(np.float64)
        top = float(max(np.abs(lo).max(), np.abs(hi).max())) if n else 0.0
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
            wn = None if uniform else np.ldexp(sample_weight, pow2_exponent(float(sample_weight.max())) or 0)
            for b in _blocks(n):
                blk = X[b].astype(np.float64)
                if self._pre:
                    blk = np.ldexp(blk, self._pre)
                acc += blk.sum(axis=0) if wn is None else wn[b] @ blk
            off_p = acc / (n if wn is None else float(wn.sum()))
            self.offset = np.ldexp(off_p, -self._pre)
        self._offset_p = off_p
        maxabs_p = 0.0
        if self._pre == 0:
            # float64 subtraction rounds monotonically and symmetrically, so the largest
            # |x - offset| of a column is that of its minimum or of its maximum
            if n:
                maxabs_p = float(max((hi - off_p).max(), (off_p - lo).max()))
        else:
            for b in _blocks(n):
                if b.stop > b.start:
                    blk = np.ldexp(X[b].astype(np.float64), self._pre)
                    maxabs_p = max(maxabs_p, float(np.abs(blk - off_p).max()))
        if self._pre == 0:
            self.exp = pow2_exponent(maxabs_p)
        else:
            # data beyond 2**960 with any spread at all spread beyond 2**40
            self.exp = 0 if maxabs_p == 0.0 else self._pre - int(np.frexp(maxabs_p)[1])
        self._post = self.exp - self._pre
        self.scale = float(np.ldexp(1.0, self.exp))
        self.wexp = 0
        if sample_weight is not None and sample_weight.size:
            self.wexp = pow2_exponent(float(np.max(sample_weight)))

    @classmethod
    def from_parts(cls, offset_p: np.ndarray, pre: int, exp: int, wexp: int) -> "DataTransform":
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
        lo, hi = column_range(Xw)
        lo, hi = lo.astype(np.float64), hi.astype(np.float64)
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
