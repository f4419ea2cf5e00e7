"""Small classic data sets shipped with optimeans, and a blobs generator.

=========  =======  ==============================================================
name       shape    source
=========  =======  ==============================================================
iris       150 x 4  Fisher's iris, exactly as scikit-learn ships it (R's ``iris``)
ruspini    75 x 2   Ruspini (1970); R's ``cluster::ruspini``; copied from
                    antoniosudoso/sos-sdp datasets/ruspini.zip (GPL-3.0 repo)
=========  =======  ==============================================================
"""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["load", "names", "describe", "make_blobs", "feature_names"]

_INFO = {
    "iris": ("iris.csv", "Fisher's iris (150 x 4), as scikit-learn and R ship it"),
    "ruspini": ("ruspini.csv", "Ruspini (1970), 75 points in 2-D, 4 natural groups"),
}


def names() -> list[str]:
    """Names accepted by :func:`load`."""
    return sorted(_INFO)


def describe(name: str) -> str:
    return _INFO[_check(name)][1]


def _check(name: str) -> str:
    if name not in _INFO:
        raise ValueError(f"unknown data set {name!r}; available: {', '.join(names())}")
    return name


def _read(name: str) -> tuple[list[str], np.ndarray]:
    fname = _INFO[_check(name)][0]
    text = resources.files(__package__).joinpath("data", fname).read_text(encoding="utf-8")
    lines = text.strip().splitlines()
    header = lines[0].split(",")
    data = np.array([[float(v) for v in line.split(",")] for line in lines[1:]], dtype=np.float64)
    return header, data


def load(name: str) -> np.ndarray:
    """The data set ``name`` as a float64 array of shape (n_samples, n_features).

    >>> load("iris").shape
    (150, 4)
    """
    return _read(name)[1]


def feature_names(name: str) -> list[str]:
    """Column names of the data set ``name``."""
    return _read(name)[0]


def make_blobs(
    n_samples: int = 1000,
    n_features: int = 2,
    centers: int = 3,
    *,
    cluster_std: float = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    dtype: type = np.float64,
    random_state: int | None = None,
    return_labels: bool = False,
):
    """Isotropic Gaussian blobs: ``centers`` clusters drawn uniformly in ``center_box``.

    Returns ``X`` (and the true labels with ``return_labels=True``). Samples are
    spread over the clusters as evenly as possible.
    """
    rng = np.random.default_rng(random_state)
    mu = rng.uniform(center_box[0], center_box[1], size=(centers, n_features))
    labels = np.arange(n_samples) % centers
    rng.shuffle(labels)
    X = mu[labels] + cluster_std * rng.standard_normal((n_samples, n_features))
    X = X.astype(dtype)
    return (X, labels) if return_labels else X
