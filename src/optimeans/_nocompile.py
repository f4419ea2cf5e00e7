r"""The no-compile path: Lloyd's passes, k-means++, Hartigan, mini-batch and online SGD in NumPy for small problems.

A first call of a Numba kernel compiles it (seconds per kernel, for each
dtype); on an Iris-sized problem the arithmetic itself takes microseconds.
When a pass costs little (:func:`pass_cost` at most :data:`SMALL_WORK`), the
solvers use the NumPy functions of this module instead of the kernels of
:mod:`optimeans._kernels.lloyd`. They give **the same bits**: the same
canonical labels, the same float64 cluster sums, centers, objectives and
iteration counts, because each one performs the kernels' floating-point
operations in the kernels' order:

* the canonical distance :func:`optimeans._kernels.lloyd.sqdist64`: float64
  differences, accumulated lane-wise over blocks of ``L8`` features (the
  float64 lanes of a SIMD vector on this host, 8 with AVX-512) with a fused
  multiply-add, then summed by the same halving tree. The first block's FMA
  adds to zero (one rounding of the square, as NumPy's product); later blocks
  use an exact FMA emulation (:func:`fma_square`: Dekker's exact product and
  a sum rounded to odd, Boldo & Melquiond 2008);
* labels: the first index of the smallest canonical distance. The compiled
  kernels reach the same labels through their float32 scan and its exactness
  guard (which re-checks every close call with the canonical distance);
* the cluster sums: the kernels keep running float64 sums and, per chunk of
  :data:`~optimeans._kernels.lloyd.CHUNK` rows, add the moves of the points
  that changed label in row order, starting from zero, then add each chunk's
  total to the running sums in chunk order. Here the same additions are done
  with ``np.cumsum`` (sequential, never pairwise);
* k-means++: the per-chunk candidate potentials summed row by row, the same
  comparisons (``s < closest``) as :func:`~optimeans._kernels.lloyd.update_min_sqdist`.

The mini-batch steps also need the kernels' float32 scan itself (its fast
distances feed the batch objective, the reassignment draws and the bounds);
see the mini-batch section below.

``tests/test_nocompile.py`` and ``tests/test_nocompile_minibatch.py`` check the
equality bit for bit against the compiled kernels on both dtypes, with and
without weights, with exact ties.

Notes
-----
The path needs ``O(n k L8)`` float64 temporaries per pass, which is why it is
kept for small problems; above :data:`SMALL_WORK` the compiled kernels are
faster by far once compiled.

References
----------
Dekker, T. J. (1971). A floating-point technique for extending the available precision. Numer. Math. 18.
Boldo, S. and Melquiond, G. (2008). Emulation of a FMA and correctly rounded sums: proved algorithms
using rounding to odd. IEEE Trans. Computers 57(4), section 5.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from fractions import Fraction

import numpy as np

from ._kernels._simd import lanes

#: float64 lanes of a SIMD vector on this host (the lane-wise blocks of the canonical distance).
L8 = lanes(np.float64)

#: Problems whose pass costs at most this many units (:func:`pass_cost`) run on the NumPy path.
#: Measured on the 2-core development machine under a load of 8: a NumPy pass takes 1.3 ms at
#: 150 x 4, k = 3 (Iris, 1800 units), 4.5 ms at 1000 x 8, k = 4 (32000), 13 ms at 400 x 16,
#: k = 5 (128000), 22 ms at 200 x 32, k = 5 (176000); the compiled pass is 10 to 100 times
#: faster, but its first call compiles for 15 to 30 s per dtype (and a warm process still
#: spends a few tenths of a second loading the kernels from the cache).
#: ``OPTIMEANS_NUMPY_SMALL=0`` switches the path off (every problem uses the kernels).
SMALL_WORK = 40_000 if os.environ.get("OPTIMEANS_NUMPY_SMALL", "1").lower() not in ("0", "false", "no") else 0

_CHUNK = 4096  # optimeans._kernels.lloyd.CHUNK (imported lazily there; checked in the tests)
_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's splitter for float64
_A_HIGH = 2.0**500  # beyond, a * a or the splitting could overflow
_A_LOW = 2.0**-450  # below, the error term of a * a could underflow
_C_HIGH = 2.0**1000


def padded(d: int) -> int:
    """``d`` rounded up to a multiple of :data:`L8`."""
    return -(-d // L8) * L8


def pass_cost(n: int, k: int, d: int) -> int:
    """Work of a NumPy pass: ``n k`` distances of ``d`` features, the features past the first
    :data:`L8` through the FMA emulation, about six times dearer."""
    return n * k * (d + 6 * max(0, d - L8))


def is_small(n: int, k: int, d: int) -> bool:
    """True when a pass over ``n`` points, ``k`` centers and ``d`` features runs on the NumPy path."""
    return pass_cost(n, k, d) <= SMALL_WORK


@contextlib.contextmanager
def kernels_only() -> Iterator[None]:
    """Inside the block every problem runs on the compiled kernels (to compile them ahead of time)."""
    global SMALL_WORK
    old = SMALL_WORK
    SMALL_WORK = 0
    try:
        yield
    finally:
        SMALL_WORK = old


# ------------------------------------------------------------------ the canonical distance


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``s + e == a + b`` exactly, ``s = RN(a + b)`` (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def fma_square(a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``RN(a * a + c)`` with one rounding, elementwise, as a hardware FMA computes it.

    Dekker's split gives ``a * a = uh + ul`` exactly; ``c + uh = th + tl``
    exactly; ``v = RO(tl + ul)`` (rounded to odd); then ``RN(th + v)`` is the
    correctly rounded ``a * a + c`` (Boldo & Melquiond 2008, algorithm 5.4).
    Entries where the split could overflow or its error term underflow are
    computed exactly with rationals.
    """
    a = np.asarray(a, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # such entries are redone exactly below
        out = _fma_square_fast(a, c)
    aa = np.abs(a)
    odd = ((aa > _A_HIGH) | ((aa < _A_LOW) & (aa > 0)) | ~(np.abs(c) <= _C_HIGH))
    if odd.any():
        for idx in zip(*np.nonzero(odd)):
            out[idx] = _exact_fma(float(a[idx]), float(c[idx]))
    return out


def _fma_square_fast(a: np.ndarray, c: np.ndarray) -> np.ndarray:
    t = _SPLIT * a
    ah = t - (t - a)
    al = a - ah
    uh = a * a
    ul = ((ah * ah - uh) + ah * al + al * ah) + al * al
    th, tl = _two_sum(c, uh)
    s, e = _two_sum(tl, ul)
    even = (s.view(np.int64) & 1) == 0
    s = np.where((e != 0) & even, np.nextafter(s, np.where(e > 0, np.inf, -np.inf)), s)
    return th + s


def _exact_fma(a: float, c: float) -> float:
    if not (np.isfinite(a) and np.isfinite(c)):
        return a * a + c
    try:
        return float(Fraction(a) * Fraction(a) + Fraction(c))  # correctly rounded
    except OverflowError:
        return np.inf if Fraction(a) * Fraction(a) + Fraction(c) > 0 else -np.inf


def _lane_sum(lanes_: list) -> np.ndarray:
    """Sum of the ``L8`` lanes by the kernels' halving tree (:func:`~._kernels._simd.vsum`).

    ``lanes_[l]`` is lane ``l`` (an array) or None for a lane that holds zeros
    (past the last feature): adding an exact zero to a sum of squares, which is
    never ``-0.0``, changes nothing, so such lanes are skipped.
    """
    v = list(lanes_)
    n = len(v)
    while n > 1:
        h = n // 2
        v = [v[i] if v[i + h] is None else (v[i + h] if v[i] is None else v[i] + v[i + h]) for i in range(h)]
        n = h
    return v[0]


def sqdist(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """``D[i, j]`` = the canonical ``||x_i - c_j||^2`` (:func:`optimeans._kernels.lloyd.sqdist64`), bit for bit.

    ``X`` (n, d) and ``C`` (k, d) in any float dtype; the result is float64 (n, k).
    """
    n, d = X.shape
    k = C.shape[0]
    if d == 0:
        return np.zeros((n, k), dtype=np.float64)
    XT = np.ascontiguousarray(X.T, dtype=np.float64)
    CT = np.ascontiguousarray(np.asarray(C).T, dtype=np.float64)
    acc: list = [None] * L8
    for f in range(d):
        diff = XT[f][:, None] - CT[f][None, :]
        lane = f % L8
        acc[lane] = diff * diff if acc[lane] is None else fma_square(diff, acc[lane])
    return _lane_sum(acc)


def canonical_labels(D: np.ndarray) -> np.ndarray:
    """The first index of the smallest distance of each row (int64), as :func:`~._kernels.lloyd.canonical_label`."""
    return np.argmin(D, axis=1).astype(np.int64)


def _seq_sum(contrib: np.ndarray) -> np.ndarray:
    """``((0 + c[0]) + c[1]) + ...`` along axis 0: the kernels' running sums, in order."""
    z = np.zeros((1,) + contrib.shape[1:], dtype=np.float64)
    return np.cumsum(np.concatenate([z, contrib]), axis=0)[-1]


def assign_labels(X: np.ndarray, centers: np.ndarray, labels: np.ndarray, min_sqdist: np.ndarray) -> None:
    """:func:`optimeans._kernels.lloyd.assign_labels` without compilation (same labels, same distances)."""
    D = sqdist(X, np.asarray(centers, dtype=X.dtype))
    lab = canonical_labels(D)
    labels[...] = lab
    min_sqdist[...] = D[np.arange(X.shape[0]), lab]


def labels_objective(X: np.ndarray, weights: np.ndarray, centers: np.ndarray, chunk: int) -> tuple[np.ndarray, float]:
    """Canonical labels and the objective as :func:`optimeans._kernels.stochastic.packed_labels_objective`.

    The objective sums ``weights[i] * D[i, labels[i]]`` row by row within chunks of
    ``chunk`` rows, then the chunks with ``np.sum``, as the mini-batch solver does.
    """
    n = X.shape[0]
    D = sqdist(X, centers)
    lab = canonical_labels(D)
    contrib = np.asarray(weights, dtype=np.float64) * D[np.arange(n), lab]
    chunk_obj = np.array([_seq_sum(contrib[lo:lo + chunk]) for lo in range(0, n, chunk)], dtype=np.float64)
    return lab, float(np.sum(chunk_obj))


# ------------------------------------------------------------------ Lloyd's workspace


class SmallWorkspace:
    """:class:`optimeans._kernels.lloyd.Workspace` in NumPy: the same state, the same bits.

    Holds ``labels``, the running float64 sums ``S`` (``k * dp``, relative to
    the data mean), ``Q``, ``W``, ``N`` and ``mean`` (padded to ``dp``) with
    the meaning and the values the compiled workspace gives them, so the
    solvers' loops cannot tell the two apart.

    Parameters
    ----------
    X : (n, d) float32/float64, C-contiguous
    n_clusters : int
    sample_weight : (n,) float64, optional (None: unit weights)
    """

    def __init__(self, X: np.ndarray, n_clusters: int, sample_weight: np.ndarray | None = None) -> None:
        n, d = X.shape
        k = int(n_clusters)
        self.X = X
        self.k = k
        self.dp = padded(d)
        mean = X.mean(axis=0, dtype=np.float64)
        self.mean = np.zeros(self.dp, dtype=np.float64)
        self.mean[:d] = mean
        if sample_weight is None:
            wi = np.ones(n, dtype=np.float64)
        else:
            wi = np.asarray(sample_weight, dtype=np.float64)
        t = X.astype(np.float64) - self.mean[:d]
        q = np.zeros(n, dtype=np.float64)
        for f in range(d):  # qi += t * t over the features, in order
            q = q + t[:, f] * t[:, f]
        self._wq = wi * q
        self._wi = wi
        self._wx = wi[:, None] * t
        self.labels = np.full(n, -1, dtype=np.int64)
        self.S = np.zeros(k * self.dp, dtype=np.float64)
        self.Q = np.zeros(k, dtype=np.float64)
        self.W = np.zeros(k, dtype=np.float64)
        self.N = np.zeros(k, dtype=np.int64)
        self.C64 = np.zeros((k, self.dp), dtype=np.float64)
        self._centers = np.zeros((k, d), dtype=X.dtype)

    def set_centers(self, centers: np.ndarray) -> None:
        """Take ``centers`` (k, d) for the next pass."""
        self._centers = np.array(centers, dtype=self.X.dtype)
        self.C64[:, : self.X.shape[1]] = self._centers

    def assign(self, do_sums: bool = True, dist_out: np.ndarray | None = None) -> int:
        """One pass at the centers: ``self.labels`` in place, the sums follow. Returns labels changed."""
        X = self.X
        n, d = X.shape
        D = sqdist(X, self._centers)
        new = canonical_labels(D)
        old = self.labels
        moved = new != old
        changed = int(moved.sum())
        if do_sums:
            k = self.k
            S = self.S.reshape(k, self.dp)
            for start in range(0, n, _CHUNK):
                rows = np.flatnonzero(moved[start:start + _CHUNK]) + start
                if rows.size == 0:
                    continue
                m = rows.size
                sign = np.zeros((m, k), dtype=np.float64)
                sign[np.arange(m), new[rows]] = 1.0
                had = old[rows] >= 0
                sign[np.arange(m)[had], old[rows][had]] = -1.0
                cW = _seq_sum(sign * self._wi[rows, None])
                cQ = _seq_sum(sign * self._wq[rows, None])
                cS = _seq_sum(sign[:, :, None] * self._wx[rows, None, :])
                cN = (sign > 0).sum(axis=0) - (sign < 0).sum(axis=0)
                S[:, :d] += cS
                self.Q += cQ
                self.W += cW
                self.N += cN
            empty = self.N == 0
            self.W[empty] = 0.0
            self.Q[empty] = 0.0
            S[empty] = 0.0
        self.labels[...] = new
        if dist_out is not None:
            dist_out[...] = D[np.arange(n), new]
        return changed

    def objective(self) -> float:
        """The objective of the centers and the current labels (float64), as ``objective_from_sums``."""
        k, d = self.k, self.X.shape[1]
        S = self.S.reshape(k, self.dp)
        cf = self.C64[:, :d] - self.mean[:d]
        cross = np.zeros(k, dtype=np.float64)
        cc = np.zeros(k, dtype=np.float64)
        for f in range(d):
            cross = cross + cf[:, f] * S[:, f]
            cc = cc + cf[:, f] * cf[:, f]
        terms = (self.Q - 2.0 * cross) + self.W * cc
        obj = 0.0
        for j in range(k):
            if self.N[j] != 0:
                obj += max(float(terms[j]), 0.0)
        return obj

    def update_centers(self, centers: np.ndarray) -> int:
        """Move every non-empty center to its cluster's mean (in place); returns the number of empty clusters."""
        k, d = self.k, self.X.shape[1]
        S = self.S.reshape(k, self.dp)
        ok = (self.N > 0) & (self.W > 0)
        if ok.any():
            centers[ok] = (self.mean[:d] + S[ok, :d] / self.W[ok, None]).astype(centers.dtype)
        return int(k - ok.sum())


def _kernels_loaded(X: np.ndarray, n_clusters: int) -> bool:
    """True when every kernel a compiled Lloyd workspace over ``X`` calls is already in memory.

    Then the compiled passes cost nothing to prepare (no compilation, no cache
    loading) and are 10 to 20 times faster than NumPy on small data, e.g. when
    one process fits many small problems; the results are the same bits.
    """
    import numba

    from ._kernels import lloyd as K

    t = numba.from_dtype(X.dtype)

    def has(disp, arg: int | None) -> bool:
        return any(arg is None or getattr(sig[arg], "dtype", None) == t for sig in disp.signatures)

    chunks = K.lloyd_kernel_of(K.padded_clusters(int(n_clusters)), X.shape[1])
    return (has(chunks, 0) and has(K.pack_data, 0) and has(K._max_abs_deviation, 0) and has(K.pack_centers, 0)
            and has(K.update_centers, 4) and has(K.apply_moves, None) and has(K.objective_from_sums, None))


def workspace(X: np.ndarray, n_clusters: int, sample_weight: np.ndarray | None = None):
    """The Lloyd workspace for this problem: :class:`SmallWorkspace` when it is small (and the
    compiled kernels are not loaded in this process already), else the compiled one."""
    if is_small(X.shape[0], int(n_clusters), X.shape[1]) and not _kernels_loaded(X, n_clusters):
        return SmallWorkspace(X, n_clusters, sample_weight)
    from ._kernels.lloyd import Workspace

    return Workspace(X, n_clusters, sample_weight)


# ------------------------------------------------------------------ k-means++


def sqdist_to_center(X: np.ndarray, center: np.ndarray, out: np.ndarray) -> None:
    """As :func:`optimeans._kernels.lloyd.sqdist_to_center`."""
    out[...] = sqdist(X, np.asarray(center)[None, :])[:, 0]


def update_min_sqdist(X: np.ndarray, center: np.ndarray, min_sqdist: np.ndarray) -> None:
    """As :func:`optimeans._kernels.lloyd.update_min_sqdist` (``s < min`` replaces)."""
    s = sqdist(X, np.asarray(center)[None, :])[:, 0]
    np.copyto(min_sqdist, s, where=s < min_sqdist)


def candidate_potentials(X: np.ndarray, w: np.ndarray, closest: np.ndarray, candidates: np.ndarray,
                         chunk_pot: np.ndarray) -> None:
    """As :func:`optimeans._kernels.lloyd.candidate_potentials`: per chunk, rows summed in order."""
    n = X.shape[0]
    s = sqdist(X, X[candidates])  # (n, m)
    c = closest[:, None]
    contrib = np.asarray(w, dtype=np.float64)[:, None] * np.where(s < c, s, c)
    for ch in range(chunk_pot.shape[1]):
        chunk_pot[:, ch] = _seq_sum(contrib[ch * _CHUNK:min(n, (ch + 1) * _CHUNK)])


_SUB = 64  # optimeans._kernels.seeding.SUB (checked in the tests)


def _pick(tot: np.ndarray, u: float) -> tuple[int, float]:
    """One level of the sampling tree: the first entry whose running sum exceeds ``u``
    (else the last positive one) and what is left of ``u`` below it."""
    cum, last, last_cum = 0.0, -1, 0.0
    for j, v in enumerate(tot.tolist()):
        nxt = cum + v
        if v > 0.0:
            if nxt > u:
                return j, u - cum
            last, last_cum = j, cum
        cum = nxt
    return last, u - last_cum


class _Tree:
    """The three-level sampling tree of :mod:`optimeans._kernels.seeding` over ``p``."""

    def __init__(self, p: np.ndarray) -> None:
        n = p.shape[0]
        self.p = p
        nsub = -(-n // _SUB)
        self.per_chunk = _CHUNK // _SUB
        self.sub = np.array([_seq_sum(p[b * _SUB:(b + 1) * _SUB, None])[0] for b in range(nsub)])
        nc = -(-n // _CHUNK)
        self.chunk = np.array([_seq_sum(self.sub[c * self.per_chunk:(c + 1) * self.per_chunk, None])[0]
                               for c in range(nc)])
        self.total = float(_seq_sum(self.chunk[:, None])[0])

    def sample(self, u: float) -> int:
        c, u = _pick(self.chunk, u)
        b, u = _pick(self.sub[c * self.per_chunk:(c + 1) * self.per_chunk], u)
        b += c * self.per_chunk
        r, _ = _pick(self.p[b * _SUB:(b + 1) * _SUB], u)
        return b * _SUB + r


def greedy_kmeanspp(X: np.ndarray, w: np.ndarray, first_r: float, uniforms: np.ndarray,
                    indices: np.ndarray) -> float:
    """As :func:`optimeans._kernels.seeding.greedy_kmeanspp` (the rule of that module's
    docstring: gains summed per chunk in row order, the three-level sampling tree), in NumPy;
    writes the chosen rows to ``indices`` and returns the final potential."""
    n = X.shape[0]
    k = indices.shape[0]
    m = uniforms.shape[1]
    w = np.asarray(w, dtype=np.float64)
    wtree = _Tree(w)
    indices[0] = wtree.sample(first_r * wtree.total)
    closest = sqdist(X, X[indices[0]][None, :])[:, 0]
    nc = -(-n // _CHUNK)
    tree = _Tree(w * closest)
    for step in range(1, k):
        if not tree.total > 0.0:
            indices[step] = wtree.sample(uniforms[step - 1, 0] * wtree.total)
            continue
        cands = [tree.sample(uniforms[step - 1, t] * tree.total) for t in range(m)]
        S = sqdist(X, X[cands])  # (n, m)
        better = S < closest[:, None]
        terms = np.where(better, w[:, None] * (closest[:, None] - S), 0.0)
        gains = np.zeros(m)
        for c in range(nc):
            # zero terms leave a running sum unchanged: the kernels add only the positive ones
            gains = gains + _seq_sum(terms[c * _CHUNK:(c + 1) * _CHUNK])
        best = int(np.argmax(gains))  # the first of the largest gains
        indices[step] = cands[best]
        closest = np.where(better[:, best], S[:, best], closest)
        tree = _Tree(w * closest)
    return tree.total


# ------------------------------------------------------------------ Hartigan's transfers
#
# :mod:`optimeans._kernels.hartigan` written with Python floats: every operation is a
# float64 operation in the kernels' order (no vector lanes, no FMA there), so the
# results are the same bits. Python loops cost about a microsecond per feature and
# point, fine for the problems :func:`is_small` admits.


def hartigan_small(n: int, k: int, d: int) -> bool:
    """True when Hartigan's transfers over this problem run in Python (a quarter of :data:`SMALL_WORK`)."""
    return 4 * pass_cost(n, k, d) <= SMALL_WORK


def compute_cluster_stats(X, sample_weight, labels, sums, weights, centers) -> None:
    """As :func:`optimeans._kernels.hartigan.compute_cluster_stats`."""
    Xl = X.astype(np.float64).tolist()
    wl = np.asarray(sample_weight, dtype=np.float64).tolist()
    lab = labels.tolist()
    k, d = sums.shape
    S = [[0.0] * d for _ in range(k)]
    W = [0.0] * k
    for i, j in enumerate(lab):
        wi = wl[i]
        W[j] += wi
        Sj = S[j]
        xi = Xl[i]
        for f in range(d):
            Sj[f] += wi * xi[f]
    sums[...] = S
    weights[...] = W
    for j in range(k):
        if W[j] > 0.0:
            centers[j] = [s / W[j] for s in S[j]]


def labelled_objective(X, sample_weight, labels, centers) -> float:
    """As :func:`optimeans._kernels.hartigan.labelled_objective`."""
    Xl = X.astype(np.float64).tolist()
    wl = np.asarray(sample_weight, dtype=np.float64).tolist()
    C = np.asarray(centers, dtype=np.float64).tolist()
    total = 0.0
    for i, j in enumerate(labels.tolist()):
        s = 0.0
        for x, c in zip(Xl[i], C[j]):
            t = x - c
            s += t * t
        total += wl[i] * s
    return total


def hartigan_sweep(X, sample_weight, labels, sums, weights, centers, last_changed, last_checked, clock, eps):
    """As :func:`optimeans._kernels.hartigan.hartigan_sweep` (arrays updated in place)."""
    Xl = X.astype(np.float64).tolist()
    wl = np.asarray(sample_weight, dtype=np.float64).tolist()
    lab = labels.tolist()
    S = sums.tolist()
    W = weights.tolist()
    C = centers.tolist()
    lc = last_changed.tolist()
    lk = last_checked.tolist()
    k = len(W)
    d = X.shape[1]
    n_moves = 0
    gain = 0.0
    for i in range(len(lab)):
        wi = wl[i]
        if wi <= 0.0:
            continue
        j = lab[i]
        wj = W[j]
        seen = lk[i]
        lk[i] = clock
        if wj - wi <= 0.0:
            continue
        own_fresh = lc[j] <= seen
        xi = Xl[i]
        s = 0.0
        for x, c in zip(xi, C[j]):
            t = x - c
            s += t * t
        removal = wj / (wj - wi) * wi * s
        if removal <= 0.0:
            continue
        best = removal
        best_l = -1
        for l in range(k):
            if l == j:
                continue
            if own_fresh and lc[l] <= seen:
                continue
            wl_ = W[l]
            if wl_ <= 0.0:
                cost = 0.0
            else:
                factor = wl_ / (wl_ + wi) * wi
                limit = best / factor if factor != 0.0 else np.inf
                s = 0.0
                Cl = C[l]
                for f in range(d):
                    t = xi[f] - Cl[f]
                    s += t * t
                    if s >= limit:
                        break
                cost = factor * s
            if cost < best:
                best = cost
                best_l = l
        if best_l < 0 or removal - best <= eps * removal:
            continue
        l = best_l
        W[j] = wj - wi
        W[l] += wi
        Sj, Sl = S[j], S[l]
        for f in range(d):
            x = xi[f]
            Sj[f] -= wi * x
            Sl[f] += wi * x
        C[j] = [s_ / W[j] for s_ in Sj]
        C[l] = [s_ / W[l] for s_ in Sl]
        lab[i] = l
        clock += 1
        lc[j] = clock
        lc[l] = clock
        lk[i] = clock
        n_moves += 1
        gain += removal - best
    labels[...] = lab
    sums[...] = S
    weights[...] = W
    centers[...] = C
    last_changed[...] = lc
    last_checked[...] = lk
    return n_moves, gain, clock


# ------------------------------------------------------------------ mini-batch
#
# :func:`optimeans._kernels.stochastic.minibatch_steps` in NumPy. Its assignment
# is Lloyd's float32 scan with the exactness guard, and the scan's fast distances
# are not only used to pick labels: they become the points' distances (the batch
# objective, its smoothed value and early stopping, the reassignment draws) and
# the Hamerly bounds carried from step to step. So the scan is emulated too:
# each fast distance is the kernels' chain of float32 FMAs over the features,
# ``acc = fma(x'_f, -2 c'_jf, acc)`` from ``acc = ||c'_j||^2``; an FMA on float32
# operands is computed exactly in float64 (the product of two float32 is exact
# there), rounded to odd and then to float32 (:func:`fma32`), which is the
# correctly rounded result (Boldo & Melquiond 2008, theorem 4: rounding to odd
# with two extra bits, then to nearest).

#: float32 lanes per vector: points per packed block (:data:`optimeans._kernels.lloyd.BLOCK`).
BLOCK = lanes(np.float32)
_FAR = 1e30  # optimeans._kernels.lloyd._FAR (checked in the tests)


def fma32(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``RN32(a * b + c)`` with one rounding, elementwise, for float32 ``a``, ``b``, ``c`` (float32 result).

    The float64 product of two float32 is exact; the sum is rounded to odd in
    float64 (``RN`` with a sticky last bit, from the exact error of Knuth's
    two-sum), and rounding that to float32 gives the correctly rounded FMA.
    Infinite sums (a center left out of the fast path has ``||c'||^2 = inf``)
    are taken as they come.
    """
    p = np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # inf + finite: the error term is NaN, the sum is not fixed
        th, tl = _two_sum(p, np.asarray(c, dtype=np.float64))
        fix = np.isfinite(th) & (tl != 0.0) & ((th.view(np.int64) & 1) == 0)
    if fix.any():
        th = np.where(fix, np.nextafter(th, np.where(tl > 0, np.inf, -np.inf)), th)
    return th.astype(np.float32)


def data_scale(X: np.ndarray, mean: np.ndarray) -> float:
    """As :func:`optimeans._kernels.lloyd.data_scale` (a maximum of exact values: any order gives it)."""
    r = float(np.max(np.abs(X.astype(np.float64) - mean[: X.shape[1]]))) if X.size else 0.0
    if not (r > 0.0 and np.isfinite(r)):
        return 1.0
    _, e = np.frexp(r)
    return float(np.ldexp(1.0, -int(e)))


def packed_values(X: np.ndarray, mean: np.ndarray, scale: float) -> np.ndarray:
    """``float32(scale * (X - mean))`` (n, d): the values :func:`~optimeans._kernels.lloyd.pack_data` packs."""
    d = X.shape[1]
    return ((X.astype(np.float64) - mean[:d]) * scale).astype(np.float32)


def pack_data(X: np.ndarray, mean: np.ndarray, scale: float, XT: np.ndarray, block_norm: np.ndarray,
              sqnorm: np.ndarray) -> None:
    """As :func:`optimeans._kernels.lloyd.pack_data`: the same ``XT``, ``block_norm`` and ``sqnorm``."""
    n, d = X.shape
    nb = block_norm.shape[0]
    V = packed_values(X, mean, scale)
    V64 = V.astype(np.float64)
    s = np.zeros(n, dtype=np.float64)
    for f in range(d):  # s += v * v over the features, in order
        s = s + V64[:, f] * V64[:, f]
    sqnorm[...] = s
    pad = np.zeros((nb * BLOCK, d), dtype=np.float32)
    pad[:n] = V
    if d:
        XT[: nb * d * BLOCK] = pad.reshape(nb, BLOCK, d).transpose(0, 2, 1).ravel()
    r = np.zeros(nb * BLOCK, dtype=np.float64)
    r[:n] = s
    block_norm[...] = np.sqrt(r.reshape(nb, BLOCK).max(axis=1)) * (1.0 + 1e-6)


def pack_centers(centers: np.ndarray, mean: np.ndarray, scale: float, kp: int) -> tuple[np.ndarray, np.ndarray, float]:
    """As :func:`optimeans._kernels.lloyd.pack_centers`: ``(C2, cn, cmax)`` for ``kp`` padded centers."""
    k, d = centers.shape
    V = (np.asarray(centers, dtype=np.float64) - mean[:d]) * scale
    s = np.zeros(k, dtype=np.float64)
    for f in range(d):
        s = s + V[:, f] * V[:, f]
    ok = s <= _FAR
    C2 = np.zeros((kp, d), dtype=np.float32)
    cn = np.full(kp, np.inf, dtype=np.float32)
    C2[:k][ok] = (-2.0 * V[ok]).astype(np.float32)
    cn[:k][ok] = s[ok].astype(np.float32)
    cmax = float(s[ok].max()) if ok.any() else 0.0
    return C2, cn, float(np.sqrt(max(cmax, 0.0))) * (1.0 + 1e-6)


def fast_scan(V: np.ndarray, C2: np.ndarray, cn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The float32 scan of :func:`optimeans._kernels.lloyd.scan_blocks` for the rows ``V`` (packed values).

    Returns ``(best, second, idx)``: per row the smallest and second smallest
    fast distance (float32, without ``||x'||^2``) over every padded center in
    order and the index of the first smallest, with the kernels' comparisons.
    """
    m, d = V.shape
    kp = cn.shape[0]
    acc = np.broadcast_to(cn[None, :], (m, kp)).astype(np.float32)
    for f in range(d):
        acc = fma32(V[:, f, None], C2[None, :, f], acc)
    best = np.full(m, np.inf, dtype=np.float32)
    second = np.full(m, np.inf, dtype=np.float32)
    idx = np.zeros(m, dtype=np.int64)
    for j in range(kp):
        a = acc[:, j]
        mx = np.where(best > a, best, a)  # vmax(best, acc)
        second = np.where(second < mx, second, mx)  # vmin(second, .)
        idx = np.where(a < best, j, idx)
        best = np.where(best < a, best, a)
    return best, second, idx


def _guard(kappa: float, block_norm: np.ndarray, cmax: float) -> np.ndarray:
    """:func:`optimeans._kernels.lloyd.guard_threshold`, elementwise."""
    r = block_norm + cmax
    return 2.0 * kappa * r * r


class _Packed:
    """What the NumPy steps need of one :class:`~optimeans.solvers.stochastic.PackedData` (computed once)."""

    def __init__(self, X, mean, scale, block_norm, sqnorm) -> None:
        self.V = packed_values(X, mean, scale)
        self.block_norm = block_norm
        self.sqnorm = sqnorm


def _assign_span(pk, X, inv_scale2, rows, centers, C2, cn, cmax, kappa):
    """:func:`optimeans._kernels.stochastic.assign_span` for the packed ``rows``: (labels, dists)."""
    best, second, idx = fast_scan(pk.V[rows], C2, cn)
    thr = _guard(kappa, pk.block_norm[rows // BLOCK], cmax).astype(np.float32)
    with np.errstate(invalid="ignore"):
        recheck = ~((second - best) > thr)
    labels = idx.copy()
    dq = (best.astype(np.float64) + pk.sqnorm[rows]) * inv_scale2
    dists = np.where(dq < 0.0, 0.0, dq)
    if recheck.any():
        r = rows[recheck]
        D = sqdist(X[r], centers)
        lab = canonical_labels(D)
        labels[recheck] = lab
        dists[recheck] = D[np.arange(r.size), lab]
    return labels, dists


def _assign_bounded(pk, X, scale, inv_scale2, rows, centers, C2, cn, cmax, kappa, k, bound_label, bound_lower,
                    drift_total, rel):
    """:func:`optimeans._kernels.stochastic.assign_bounded` for the packed ``rows``: (labels, dists, scanned)."""
    m = rows.size
    labels = np.empty(m, dtype=np.int64)
    dists = np.empty(m, dtype=np.float64)
    a = bound_label[rows]
    stored = bound_lower[rows]
    low = (stored - drift_total) - rel * (np.abs(stored) + drift_total)
    test = (a >= 0) & (low > 0.0)
    settled = np.zeros(m, dtype=bool)
    if test.any():
        t = np.flatnonzero(test)
        D = sqdist(X[rows[t]], centers)
        d2 = D[np.arange(t.size), a[t]]
        ok = np.sqrt(d2) * (1.0 + rel) < low[t]
        settled[t[ok]] = True
        labels[t[ok]] = a[t[ok]]
        dists[t[ok]] = d2[ok]
    cand = np.flatnonzero(~settled)
    if cand.size:
        P = rows[cand]
        best32, second32, idx = fast_scan(pk.V[P], C2, cn)
        best = best32.astype(np.float64)
        second = second32.astype(np.float64)
        eps = 0.5 * _guard(kappa, pk.block_norm[P // BLOCK], cmax)
        with np.errstate(invalid="ignore"):
            fast = (second - best) > 2.0 * eps
        j = idx.copy()
        lo = second.copy()
        sq = pk.sqnorm[P]
        with np.errstate(invalid="ignore"):
            dq = (best + sq) * inv_scale2
        dist = np.where(dq >= 0.0, dq, 0.0)
        slow = np.flatnonzero(~fast)
        if slow.size:
            D = sqdist(X[P[slow]], centers)
            lab = canonical_labels(D)
            j[slow] = lab
            lo[slow] = best[slow]
            dist[slow] = D[np.arange(slow.size), lab]
        labels[cand] = j
        dists[cand] = dist
        with np.errstate(invalid="ignore"):
            v = lo + sq - eps - 4.0 * 2.0**-24 * sq
            good = (v > 0.0) & (v < np.inf)
            lower = np.where(good, np.sqrt(np.where(good, v, 0.0)) / scale, np.inf if k == 1 else 0.0)
        bound_label[P] = j
        bound_lower[P] = lower * (1.0 - rel) + drift_total
    return labels, dists, int(cand.size)


def _add_batch(X, weights, rows, labels, dists, k, dp):
    """:func:`optimeans._kernels.stochastic.add_batch`: per-center sums, weights and the objective, in row order."""
    m, d = rows.size, X.shape[1]
    w = weights[rows]
    onehot = np.zeros((m, k), dtype=np.float64)
    onehot[np.arange(m), labels] = 1.0
    W = _seq_sum(onehot * w[:, None])
    S = np.zeros((k, dp), dtype=np.float64)
    S[:, :d] = _seq_sum(onehot[:, :, None] * (w[:, None] * X[rows].astype(np.float64))[:, None, :])
    obj = float(_seq_sum((w * dists)[:, None])[0])
    return S.ravel(), W, obj


#: NumPy seconds this process may spend in the mini-batch steps; past them the kernels are
#: compiled and serve (the same bits), e.g. for a long stream of small ``partial_fit`` batches.
MINIBATCH_NUMPY_SECONDS = 3.0

#: NumPy seconds spent so far in this process, per path ("minibatch", "sgd").
numpy_seconds = {"minibatch": 0.0, "sgd": 0.0}


def minibatch_small(X: np.ndarray, n_clusters: int, kp: int, batch_size: int, parallel_min_work: int) -> bool:
    """True when mini-batch steps over ``X`` run in NumPy: the problem is small (:func:`is_small`),
    the kernel the steps would call is not in memory already (then it serves, faster) and this
    process has spent less than :data:`MINIBATCH_NUMPY_SECONDS` in the NumPy steps."""
    n, d = X.shape
    if not is_small(n, int(n_clusters), d) or numpy_seconds["minibatch"] >= MINIBATCH_NUMPY_SECONDS:
        return False
    from ._kernels.stochastic import minibatch_kernel

    return not _kernel_loaded(minibatch_kernel(batch_size, int(n_clusters), d, kp, parallel_min_work), X.dtype)


def _kernel_loaded(kernel, dtype) -> bool:
    """True when the Numba dispatcher ``kernel`` holds a compiled version whose first argument has ``dtype``."""
    import numba

    t = numba.from_dtype(np.dtype(dtype))
    return any(getattr(sig[0], "dtype", None) == t for sig in kernel.signatures)


def minibatch_steps(
    X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order, batch_size, first_batch, last_batch,
    centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights,
    state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
    parallel_min_work, bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj,
    chunk_scanned, packed=None,
):
    """:func:`optimeans._kernels.stochastic.minibatch_steps` in NumPy: the same arguments, the same bits.

    Every output the kernel writes (``centers``, ``counts``, ``state``,
    ``batch_objective``, the bounds, the last batch's ``labels`` and
    ``dists``, ``batch_sums`` and ``batch_weights``) gets the kernel's values;
    ``C2``, ``cn``, ``C64`` and the chunk scratch are not written. ``packed``
    (optional) is the :class:`_Packed` view of the data, kept between calls.
    Returns the number of batches processed.
    """
    t_start = time.perf_counter()
    try:
        with np.errstate(invalid="ignore"):
            return _minibatch_steps(
                X, weights, block_norm, sqnorm, mean, scale, kappa, block_order, batch_size, first_batch,
                last_batch, centers, cn, C64, counts, labels, dists, batch_sums, batch_weights, state, alpha,
                max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective, bound_label,
                bound_lower, rel, prev, sub, packed)
    finally:
        numpy_seconds["minibatch"] += time.perf_counter() - t_start


def _minibatch_steps(X, weights, block_norm, sqnorm, mean, scale, kappa, block_order, batch_size, first_batch,
                     last_batch, centers, cn, C64, counts, labels, dists, batch_sums, batch_weights, state, alpha,
                     max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective, bound_label,
                     bound_lower, rel, prev, sub, packed):
    n, d = X.shape
    k = centers.shape[0]
    kp = cn.shape[0]
    dp = C64.shape[1]
    L = BLOCK
    pk = packed if packed is not None else _Packed(X, mean, scale, block_norm, sqnorm)
    inv_scale2 = 1.0 / (scale * scale)
    bounded = bound_label.shape[0] > 0
    positions = np.arange(n, dtype=np.int64)
    epoch_rows = block_order[positions // L] * L + positions % L
    done = 0
    for b in range(first_batch, last_batch):
        start = b * batch_size
        end = min(n, start + batch_size)
        m = end - start
        C2_, cn_, cmax = pack_centers(centers, mean, scale, kp)
        if bounded:
            prev[...] = centers
        obj = 0.0
        bw_tot = np.zeros(k, dtype=np.float64)
        bs_tot = np.zeros(k * dp, dtype=np.float64)
        for lo in range(start, end, sub):  # the chunks, summed in chunk order
            hi = min(end, lo + sub)
            rows = epoch_rows[lo:hi]
            if bounded:
                lab, dist, scanned = _assign_bounded(pk, X, scale, inv_scale2, rows, centers, C2_, cn_, cmax, kappa,
                                                     k, bound_label, bound_lower, state[6], rel)
            else:
                lab, dist = _assign_span(pk, X, inv_scale2, rows, centers, C2_, cn_, cmax, kappa)
                scanned = hi - lo
            labels[lo - start:hi - start] = lab
            dists[lo - start:hi - start] = dist
            S, W, o = _add_batch(X, weights, rows, lab, dist, k, dp)
            obj += o
            state[7] += scanned
            bw_tot = bw_tot + W
            bs_tot = bs_tot + S
        batch_sums[...] = bs_tot
        batch_weights[...] = bw_tot
        wsum = 0.0
        for j in range(k):
            wsum += float(bw_tot[j])
        for j in range(k):
            bw = float(bw_tot[j])
            if bw > 0.0:
                counts[j] += bw
                rate = bw / counts[j]
                centers[j] += rate * (bs_tot[j * dp:j * dp + d] / bw - centers[j])
        batch_objective[b] = obj
        done += 1
        state[4] += 1.0
        if wsum > 0.0:
            mean_obj = obj / wsum
            if state[4] == 1.0:
                state[0] = mean_obj
            else:
                state[0] = (1.0 - alpha) * state[0] + alpha * mean_obj
            if state[0] < state[1]:
                state[1] = state[0]
                state[2] = 0.0
            else:
                state[2] += 1.0
        state[3] += m
        if reassignment_ratio > 0.0 and state[3] >= reassign_after:
            state[3] = 0.0
            _reassign(X, weights, epoch_rows[start:end], centers, counts, dists, uniforms[b], state,
                      reassignment_ratio, m)
        if bounded:  # the largest move of a center in this step loosens every bound
            t = centers - prev
            t2 = np.zeros(k, dtype=np.float64)
            for f in range(d):
                t2 = t2 + t[:, f] * t[:, f]
            top = 0.0
            for j in range(k):
                if t2[j] > top:
                    top = float(t2[j])
            state[6] += np.sqrt(top) * (1.0 + rel)
        if max_no_improvement > 0 and state[2] >= max_no_improvement:
            break
    return done


def _reassign(X, weights, rows, centers, counts, dists, u, state, reassignment_ratio, m) -> None:
    """The reassignment of starved centers of :func:`optimeans._kernels.stochastic.minibatch_steps`."""
    k = centers.shape[0]
    cmax_count = 0.0
    for j in range(k):
        if counts[j] > cmax_count:
            cmax_count = float(counts[j])
    limit = reassignment_ratio * cmax_count
    n_starved = 0
    cmin_other = np.inf
    for j in range(k):
        if counts[j] < limit:
            n_starved += 1
        elif counts[j] < cmin_other:
            cmin_other = float(counts[j])
    max_moves = max(1, m // 2)
    if n_starved == 0 or not cmin_other < np.inf:
        return
    w = weights[rows]
    moved = 0
    for j in range(k):
        if counts[j] >= limit or moved >= max_moves:
            continue
        cum = np.cumsum(w * dists[:m])  # running sums in position order
        total = float(cum[-1])
        if total <= 0.0:
            break
        target = u[moved] * total
        above = np.flatnonzero(cum > target)
        pick = int(above[0]) if above.size else m - 1
        dists[pick] = 0.0
        centers[j] = X[rows[pick]].astype(np.float64)
        counts[j] = cmin_other
        moved += 1
    state[5] += moved


# ------------------------------------------------------------------ online SGD
#
# :func:`optimeans._kernels.stochastic.sgd_steps` one point at a time in NumPy: the
# squared distances in X's dtype, summed over the features in order (a sequential
# ``cumsum``), the first smallest, the float64 update of the running mean. A
# point costs some ten NumPy calls (about 15 microseconds), so the path serves
# while this process's time there stays below :data:`SGD_NUMPY_SECONDS` (about the
# kernel's compile time on the development machine, idle); then the run goes on
# with the kernel, with the same bits.

#: NumPy seconds this process may spend in online SGD steps; past them the kernel is compiled.
SGD_NUMPY_SECONDS = 1.0


def sgd_small(X: np.ndarray, n_clusters: int) -> bool:
    """True when online SGD steps over ``X`` run on the NumPy path: a small problem whose kernel is
    not in memory already, while this process has spent less than :data:`SGD_NUMPY_SECONDS` there."""
    n, d = X.shape
    if not is_small(n, int(n_clusters), d) or numpy_seconds["sgd"] >= SGD_NUMPY_SECONDS:
        return False
    from ._kernels.stochastic import sgd_steps as kernel

    return not _kernel_loaded(kernel, X.dtype)


def sgd_steps(X, sample_weight, order, start, end, centers, centers_t, counts, schedule, eta0, t_start_, n_total):
    """As :func:`optimeans._kernels.stochastic.sgd_steps` (the same arguments, updates and return value)."""
    t_start = time.perf_counter()
    try:
        return _sgd_steps(X, sample_weight, order, start, end, centers, centers_t, counts, schedule, eta0, t_start_,
                          n_total)
    finally:
        numpy_seconds["sgd"] += time.perf_counter() - t_start


def _sgd_steps(X, sample_weight, order, start, end, centers, centers_t, counts, schedule, eta0, t_start, n_total):
    d, k = centers_t.shape
    ct = np.ascontiguousarray(centers_t.T)  # (k, d) in X's dtype, kept equal to centers rounded
    seen = 0.0
    t = float(t_start)
    for p in range(int(start), int(end)):
        i = int(order[p])
        wi = float(sample_weight[i])
        x = X[i]
        diff = x[None, :] - ct
        acc = np.cumsum(diff * diff, axis=1)[:, -1]  # in X's dtype, features in order
        j = int(np.argmin(acc))  # the first smallest
        t += 1
        if wi <= 0.0:
            continue
        seen += wi * float(acc[j])
        counts[j] += wi
        if schedule == 0:  # SCHEDULE_COUNT
            eta = wi / float(counts[j])
        elif schedule == 1:  # SCHEDULE_CONSTANT
            eta = eta0 * wi
        else:
            eta = eta0 * wi / (1.0 + t / n_total)
        if eta > 1.0:
            eta = 1.0
        c = centers[j] + eta * (x.astype(np.float64) - centers[j])
        centers[j] = c
        ct[j] = c
    centers_t[...] = ct.T
    return seen
