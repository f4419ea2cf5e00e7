r"""The whole landscape of a tiny k-means problem, by enumeration.

A set of n points has S(n, k) partitions into k non-empty clusters (the
Stirling number of the second kind: 7 for n = 4, k = 2; 10,391,745 for
n = 14, k = 4). For tiny sets all of them can be visited, which answers
exactly the questions that are only estimated elsewhere: the global minimum,
how many partitions reach it, and every local minimum a method can stop in:

* a **Lloyd fixed point** is a partition in which no point is strictly nearer
  another cluster's mean than its own (ties stay): Lloyd's iteration started
  there does not move. Partitions where two clusters have the same mean are
  left out: every point of those clusters is tied, merging them costs
  nothing, and they are degenerate rather than minima;
* a **Hartigan-stable** partition is one that no single-point transfer
  improves, the change of objective of a transfer being computed exactly
  (:math:`\frac{n_l}{n_l+1} d_l^2 - \frac{n_j}{n_j-1} d_j^2` with unit
  weights). Hartigan-stable partitions are Lloyd fixed points; the converse
  fails, which is why Hartigan's method escapes some of Lloyd's traps.

On the line {1, 2, 3, 4} with k = 2, Lloyd can stop at {1}, {2, 3, 4}
(objective 2: the point 2 is as near the mean 1 as the mean 3), while the
only Hartigan-stable partition is the optimum {1, 2}, {3, 4} (objective 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb, factorial
from typing import Any, Literal

import numpy as np

from .._kernels.partitions import walk_partitions
from .._validation import check_data, check_n_clusters, check_positive_int, check_sample_weight

__all__ = ["enumerate_partitions", "Landscape", "stirling2"]

#: Relative tolerance (times the total scatter) below which a gain counts as a tie.
RTOL = 1e-10


def stirling2(n: int, k: int) -> int:
    """Number of partitions of n objects into k non-empty blocks, exactly."""
    if k == 0:
        return 1 if n == 0 else 0
    return sum((-1) ** i * comb(k, i) * (k - i) ** n for i in range(k + 1)) // factorial(k)


@dataclass(frozen=True)
class Landscape:
    """Partitions of a tiny set with their objectives and stability.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64
    n_clusters : int
    labels : ndarray of shape (n_kept, n_samples), int8
        The partitions kept (all, or only the Lloyd fixed points), sorted by
        objective (ties in enumeration order); labels are canonical: cluster
        0 holds the first point, cluster 1 the first point not in cluster 0...
    objective : ndarray of shape (n_kept,), float64
    lloyd_fixed : ndarray of shape (n_kept,), bool
        No point is strictly nearer another cluster's mean (and no two means
        coincide).
    hartigan_stable : ndarray of shape (n_kept,), bool
        No single-point transfer lowers the objective.
    optimum : float
        The global minimum of the objective.
    n_partitions, n_lloyd_fixed, n_hartigan_stable : int
        Counts over *every* partition, whatever was kept.
    tol : float
        Gains and objective differences below ``tol`` count as ties.
    """

    X: np.ndarray
    n_clusters: int
    labels: np.ndarray
    objective: np.ndarray
    lloyd_fixed: np.ndarray
    hartigan_stable: np.ndarray
    optimum: float
    n_partitions: int
    n_lloyd_fixed: int
    n_hartigan_stable: int
    tol: float

    @property
    def is_optimal(self) -> np.ndarray:
        """Mask of the kept partitions that reach the global minimum (within ``tol``)."""
        return self.objective <= self.optimum + self.tol

    @property
    def n_optimal(self) -> int:
        """How many partitions reach the global minimum (all of them are always kept)."""
        return int(self.is_optimal.sum())

    def clusters(self, index: int) -> list[list[int]]:
        """The row indices of each cluster of partition ``index``."""
        lab = self.labels[index]
        return [np.flatnonzero(lab == j).tolist() for j in range(self.n_clusters)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (what ``optimeans landscape --json`` prints)."""
        opt = self.is_optimal
        return {
            "n_samples": int(self.X.shape[0]),
            "n_features": int(self.X.shape[1]),
            "n_clusters": int(self.n_clusters),
            "n_partitions": int(self.n_partitions),
            "n_lloyd_fixed": int(self.n_lloyd_fixed),
            "n_hartigan_stable": int(self.n_hartigan_stable),
            "optimum": float(self.optimum),
            "points": self.X.tolist(),
            "partitions": [
                {
                    "objective": float(self.objective[i]),
                    "clusters": self.clusters(i),
                    "lloyd_fixed": bool(self.lloyd_fixed[i]),
                    "hartigan_stable": bool(self.hartigan_stable[i]),
                    "global_optimum": bool(opt[i]),
                }
                for i in range(len(self.objective))
            ],
        }


def enumerate_partitions(
    X: Any,
    n_clusters: int,
    *,
    sample_weight: Any = None,
    keep: Literal["all", "lloyd"] = "all",
    max_partitions: int = 200_000_000,
) -> Landscape:
    """Visit every partition of a tiny set into ``n_clusters`` non-empty clusters.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
        At most a few dozen points make sense; the count of partitions is
        the Stirling number S(n_samples, n_clusters). A 1-D array is one
        feature.
    n_clusters : int
        ``1 <= n_clusters <= n_samples``.
    sample_weight : array-like of shape (n_samples,), optional
        Positive weights (a point of weight zero would make its partitions
        ambiguous, so zero is refused here).
    keep : {"all", "lloyd"}, default "all"
        Keep every partition, or only the Lloyd fixed points (which include
        every Hartigan-stable partition and every global optimum). Counts
        and the optimum always cover all partitions.
    max_partitions : int, default 200,000,000
        Refuse larger problems (about a minute of work at this size).

    Returns
    -------
    Landscape

    Raises
    ------
    ValueError
        More than ``max_partitions`` partitions, or more than 10,000,000 of
        them with ``keep="all"`` (use ``keep="lloyd"``); a zero weight; the
        usual data errors (NaN, empty, ``n_clusters`` out of range).

    Notes
    -----
    Time O(S(n, k) n d) for the objectives plus O(n k d) for the stability
    tests of the partitions that pass the cheap early exits; memory O(n) per
    kept partition. S(14, 4) = 10,391,745 and S(14, 5) = 40,075,035 take
    seconds. Gains and objective differences below ``1e-10`` times the total
    scatter are ties, so that exact ties in the data (a point midway between
    two means) are recognised as ties despite rounding.

    Examples
    --------
    >>> from optimeans.exact import enumerate_partitions
    >>> land = enumerate_partitions([1.0, 2.0, 3.0, 4.0], 2)
    >>> land.n_partitions, land.n_lloyd_fixed, land.n_hartigan_stable
    (7, 3, 1)
    >>> land.optimum, land.clusters(0)
    (1.0, [[0, 1], [2, 3]])
    """
    arr = np.asarray(X) if not hasattr(X, "columns") else X
    if getattr(arr, "ndim", 2) == 1:
        arr = np.asarray(arr).reshape(-1, 1)
    Xv = check_data(arr).astype(np.float64)
    n = Xv.shape[0]
    w = check_sample_weight(sample_weight, n, np.float64)
    if (w <= 0).any():
        i = int(np.flatnonzero(w <= 0)[0])
        raise ValueError(f"sample_weight must be positive for enumeration; index {i} is {w[i]}")
    k = check_n_clusters(n_clusters, Xv, w)
    if keep not in ("all", "lloyd"):
        raise ValueError(f"keep must be 'all' or 'lloyd', got {keep!r}")
    max_partitions = check_positive_int(max_partitions, "max_partitions")
    if n > 127:
        raise ValueError(f"X has {n} samples; enumeration is for tiny sets (n_samples <= 127, far fewer in practice)")
    total = stirling2(n, k)
    if total > max_partitions:
        raise ValueError(
            f"{n} points have {total:,} partitions into {k} clusters, more than max_partitions="
            f"{max_partitions:,}; use fewer points (for exact answers on larger sets see "
            "optimeans.exact.branch_and_bound or optimeans.lower_bound)"
        )
    if keep == "all" and total > 10_000_000:
        raise ValueError(f"{total:,} partitions are too many to keep; pass keep='lloyd' to keep the local minima only")
    mean = (w @ Xv) / w.sum()
    Xc = np.ascontiguousarray(Xv - mean)
    scatter = float(w @ np.einsum("ij,ij->i", Xc, Xc))
    tol = RTOL * scatter
    only_lloyd = keep == "lloyd"
    cap = total if not only_lloyd else min(total, 4096)
    while True:
        labels = np.empty((cap, n), dtype=np.int8)
        obj = np.empty(cap)
        flags = np.empty(cap, dtype=np.uint8)
        counts = np.zeros(4, dtype=np.int64)
        best = walk_partitions(Xc, w, k, only_lloyd, tol, labels, obj, flags, counts)
        if counts[1] <= cap:
            break
        cap = int(counts[1])  # rare: more local minima than the first guess
    m = int(counts[1])
    assert int(counts[0]) == total
    labels, obj, flags = labels[:m], obj[:m], flags[:m]
    order = np.argsort(obj, kind="stable")
    return Landscape(
        X=Xv,
        n_clusters=k,
        labels=labels[order],
        objective=obj[order],
        lloyd_fixed=(flags[order] & 1).astype(bool),
        hartigan_stable=(flags[order] & 2).astype(bool),
        optimum=float(best),
        n_partitions=int(counts[0]),
        n_lloyd_fixed=int(counts[2]),
        n_hartigan_stable=int(counts[3]),
        tol=float(tol),
    )
