"""Lloyd's iteration with the anchored-ball assignment: the same steps, scanning only the centers that can win.

See :mod:`optimeans._kernels.ball` for the bound, the layout and why the labels
and the sums are Lloyd's bit for bit.
"""

from __future__ import annotations

import numpy as np

from .._kernels.ball import BallWorkspace
from ..result import Result
from ._common import Callback
from .lloyd import iterate


def run(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
) -> Result:
    """Lloyd's iteration whose assignment scans, per point, only the centers within ``2 U`` of its last center.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray (n_samples,), non-negative
    centers_init : ndarray (n_clusters, n_features), X's dtype
    max_iter, tol, n_threads, rng, callback
        As :func:`optimeans.solvers.lloyd.run`.

    Returns
    -------
    Result
        Lloyd's result, bit for bit (labels, centers, history of objectives, ``n_iter``);
        ``info["scanned_fraction"]`` is the share of the full scan the last pass computed.

    Notes
    -----
    The first pass is Lloyd's full scan. Each later pass: ``U_i = ||x_i - c_{a_i}||``
    for the previous label ``a_i`` (O(n d)), a counting sort of the points by label,
    for every center its distances to all centers (O(k^2 d) in float32, no ``k x k``
    table kept) and, per block of points of one label, the sixteen-center scan over
    the centers within ``2 max U + mu`` of their center; the two points of largest
    ``U`` of a center with 24 points or more go to the full scan instead (they would
    set the widest ball of their block). No memory per point beyond
    O(1) words, never ``n x k``, no per-chunk copy of the cluster sums.

    References
    ----------
    Elkan, C. (2003). Using the triangle inequality to accelerate k-means. ICML, 147-153.
    Newling, J., Fleuret, F. (2016). Fast k-means with accurate bounds. ICML, 936-944.

    Examples
    --------
    >>> import numpy as np
    >>> from optimeans.solvers import ball
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> r = ball.run(X, np.ones(4), X[[0, 1]], max_iter=10, tol=0.0)
    >>> r.centers.ravel().tolist(), r.stop_reason
    ([0.5, 10.5], 'labels_unchanged')
    """
    ws = BallWorkspace(X, centers_init.shape[0], sample_weight)

    def assign(centers: np.ndarray, final: bool) -> int:
        return ws.assign(do_sums=not final)

    res = iterate(
        X, sample_weight, centers_init, ws, assign,
        method="ball", max_iter=max_iter, tol=tol, n_threads=n_threads, callback=callback,
    )
    return res.replace(info={**res.info, "scanned_fraction": ws.scanned_fraction})
