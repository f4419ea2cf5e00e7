"""Feature scaling applied before clustering and stored with the model.

k-means measures squared Euclidean distances, so a feature in grams outweighs
one in kilograms a thousandfold. ``scale="standard"`` maps every feature to
mean 0 and standard deviation 1, ``"minmax"`` to the range [0, 1]; a constant
feature is only shifted (its factor is 1), never divided by zero. The fitted
offset and factor are kept, so that new data is scaled the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = ["Scaler", "SCALES", "check_scale", "fit_scaled"]

SCALES = ("none", "standard", "minmax")
ScaleName = Literal["none", "standard", "minmax"]


def check_scale(scale: object) -> str:
    if not isinstance(scale, str) or scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}; got {scale!r}")
    return scale


@dataclass(frozen=True)
class Scaler:
    """``x -> (x - offset) / factor`` per feature, computed in float64.

    Attributes
    ----------
    kind : {"standard", "minmax"}
    offset, factor : ndarray of shape (n_features,), float64
    """

    kind: str
    offset: np.ndarray
    factor: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray, kind: str) -> "Scaler":
        """Learn the offset and factor of ``X`` (validated, 2-D, finite). O(n d)."""
        X64 = np.asarray(X, dtype=np.float64)
        if kind == "standard":
            offset = X64.mean(axis=0)
            factor = X64.std(axis=0)
        elif kind == "minmax":
            offset = X64.min(axis=0)
            factor = X64.max(axis=0) - offset
        else:
            raise ValueError(f"scale must be 'standard' or 'minmax' to fit a scaler, got {kind!r}")
        factor = np.where(factor > 0, factor, 1.0)
        return cls(kind, np.ascontiguousarray(offset), np.ascontiguousarray(factor))

    @property
    def n_features(self) -> int:
        return int(self.offset.shape[0])

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Scaled copy of ``X`` in ``X``'s dtype, C-contiguous."""
        out = (np.asarray(X, dtype=np.float64) - self.offset) / self.factor
        return np.ascontiguousarray(out, dtype=X.dtype)

    def inverse_transform(self, C: np.ndarray) -> np.ndarray:
        """Back to the original units (for centers), in ``C``'s dtype."""
        out = np.asarray(C, dtype=np.float64) * self.factor + self.offset
        return np.ascontiguousarray(out, dtype=C.dtype)


def fit_scaled(X: Any, n_clusters: int, *, scale: str = "none", init: Any = "k-means++", **kwargs: Any) -> tuple[Any, Scaler | None]:
    """:func:`optimeans.fit` on ``X`` scaled by ``scale``.

    Initial centers given as an array are in ``X``'s units and are scaled
    the same way. The shared code path of ``KMeans.fit`` and ``optimeans fit``.

    Returns
    -------
    result : Result
        Centers (and objective) in the scaled space.
    scaler : Scaler or None
        ``None`` for ``scale="none"``.
    """
    from ._api import fit
    from ._validation import check_data

    from ._validation import is_sparse

    scale = check_scale(scale)
    if scale == "none":
        return fit(X, n_clusters, init=init, **kwargs), None
    if is_sparse(X):
        raise ValueError(
            f"scale={scale!r} does not take sparse X (centering would fill it in); scale the data "
            "first (e.g. sklearn's MaxAbsScaler or normalize) or use scale='none'"
        )
    X = check_data(X)
    scaler = Scaler.fit(X, scale)
    if not isinstance(init, str) and not callable(init) and init is not None:
        init = scaler.transform(np.asarray(init, dtype=np.float64))
    return fit(scaler.transform(X), n_clusters, init=init, **kwargs), scaler
