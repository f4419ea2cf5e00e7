"""Model files: a fitted :class:`~optimeans.KMeans` in a safe, versioned ``.npz``.

This module knows the file format only; :func:`optimeans.estimator.load` builds the
estimator from what :func:`read_model` returns (the estimator sits above this module).

A model file is a NumPy ``.npz`` archive read with ``allow_pickle=False``, so
loading one never runs code. It holds only numeric arrays:

* ``metadata``: UTF-8 JSON (as uint8 bytes) with ``format``
  (``"optimeans-model"``), ``format_version``, the optimeans version that
  wrote it, the estimator's parameters, ``n_features_in``, the feature names,
  the scaler's kind and the run's summary (objective, iterations, stop
  reason, method, seed...);
* ``centers`` (the space the model was fitted in, i.e. scaled when a scaler
  is used), ``labels`` (training labels), ``history_*`` (objective, seconds,
  passes per iteration), ``scaler_offset`` / ``scaler_factor``, ``init``
  (when the initial centers were given as an array).

Versioning: ``format_version`` grows when the layout changes incompatibly. A
reader refuses a file whose ``format_version`` is newer than the one it
knows, with a message telling to upgrade, instead of misreading it; older
versions it knows are read (there is only version 1 so far).
"""

from __future__ import annotations

import io
import json
import numbers
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__

__all__ = ["save", "read_model", "check_arrays", "model_bytes", "read_metadata", "ModelFormatError", "FORMAT", "FORMAT_VERSION"]

FORMAT = "optimeans-model"
#: The layout this code writes and the newest it reads.
FORMAT_VERSION = 1


class ModelFormatError(ValueError):
    """The file is not an optimeans model, is damaged, or comes from a newer, incompatible version."""


def _jsonable(value: Any, max_array: int = 10000) -> Any:
    """JSON-ready copy of ``value``; what cannot be represented faithfully becomes ``None``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        v = float(value)
        return v if np.isfinite(v) else None
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            jv = _jsonable(v, max_array)
            if jv is not None or v is None:
                out[str(k)] = jv
        return out
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, max_array) for v in value]
    if isinstance(value, np.ndarray) and value.size <= max_array and value.dtype.kind in "biuf":
        return value.tolist()
    return None


def model_bytes(km: Any, *, feature_names: list[str] | None = None) -> bytes:
    """The model file of a fitted KMeans, as bytes.

    Parameters
    ----------
    km : KMeans, fitted
    feature_names : list of str, optional
        Names of the columns the model was fitted on, when the estimator did
        not see them (``feature_names_in_`` is used otherwise).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        When ``km`` is not fitted.
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(km, "cluster_centers_")
    res = km.result_
    params = km.get_params()
    arrays: dict[str, np.ndarray] = {}
    if not isinstance(params.get("init"), str):
        init = params["init"]
        if callable(init):
            params["init"] = "callable"
        else:
            arrays["init"] = np.asarray(init)
            params["init"] = "array"
    if not (params.get("random_state") is None or isinstance(params["random_state"], numbers.Integral)):
        params["random_state"] = None  # a Generator: the seed actually used is in result.seed
    names_in = getattr(km, "feature_names_in_", None)
    names = list(map(str, names_in)) if names_in is not None else (list(feature_names) if feature_names else None)
    if names is not None and len(names) != km.n_features_in_:
        raise ValueError(f"feature_names has {len(names)} names for {km.n_features_in_} features")
    scaler = getattr(km, "scaler_", None)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "optimeans_version": __version__,
        "estimator": type(km).__name__,
        "params": _jsonable(params),
        "n_features_in": int(km.n_features_in_),
        "feature_names": names,
        "feature_names_in": list(map(str, names_in)) if names_in is not None else None,
        "scaler": None if scaler is None else {"kind": scaler.kind},
        "dtype": str(res.centers.dtype),
        "result": {
            "objective": float(res.objective),
            "n_iter": int(res.n_iter),
            "converged": bool(res.converged),
            "stop_reason": res.stop_reason,
            "method": res.method,
            "seed": None if res.seed is None else int(res.seed),
            "n_init": int(res.n_init),
            "options": _jsonable(res.options) or {},
            "lower_bound": None if res.lower_bound is None else float(res.lower_bound),
            "gap": None if res.gap is None else float(res.gap),
            "proven_optimal": bool(res.proven_optimal),
            "info": _jsonable({k: v for k, v in res.info.items() if np.ndim(v) == 0}) or {},
        },
    }
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    arrays["centers"] = np.ascontiguousarray(res.centers)
    arrays["labels"] = np.asarray(res.labels, dtype=np.int64)
    arrays["history_objective"] = res.history.objective
    arrays["history_seconds"] = res.history.seconds
    arrays["history_passes"] = res.history.passes
    for key, val in res.history.extra.items():
        arrays[f"history_extra_{key}"] = np.asarray(val, dtype=np.float64)
    if scaler is not None:
        arrays["scaler_offset"] = scaler.offset
        arrays["scaler_factor"] = scaler.factor
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def save(km: Any, path: str | os.PathLike, *, feature_names: list[str] | None = None) -> Path:
    """Write a fitted KMeans to ``path`` (``.npz``), atomically.

    See :func:`model_bytes`; the file appears complete or not at all.
    """
    from ._io import write_files_atomically

    p = Path(path)
    data = model_bytes(km, feature_names=feature_names)
    write_files_atomically({p: data})
    return p


#: What reading a damaged archive member can raise: bad zip structure or CRC,
#: a corrupt deflate stream, a truncated member, a bad .npy header.
_READ_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError, MemoryError)


def _member(npz: Any, name: str, p: Path) -> np.ndarray:
    """One array of the archive (never unpickled); a damaged member is a ModelFormatError."""
    try:
        return npz[name]
    except KeyError:
        raise ModelFormatError(f"{p}: damaged model file (no {name!r})") from None
    except _READ_ERRORS as exc:
        raise ModelFormatError(f"{p}: damaged model file ({name!r} cannot be read: {exc})") from None


def _open(path: str | os.PathLike) -> tuple[dict[str, Any], Any]:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such model file")
    if p.is_dir():
        raise ModelFormatError(f"{p}: is a directory, expected a model file")
    try:
        npz = np.load(p, allow_pickle=False)
    except _READ_ERRORS as exc:
        raise ModelFormatError(f"{p}: not an optimeans model file ({exc})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile) or "metadata" not in npz.files:
        raise ModelFormatError(f"{p}: not an optimeans model file (no metadata)")
    raw = _member(npz, "metadata", p)
    try:
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise ValueError(f"metadata of dtype {raw.dtype} and shape {raw.shape}")
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ModelFormatError(f"{p}: damaged model metadata ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFormatError(f"{p}: not an optimeans model file")
    version = meta.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFormatError(f"{p}: bad model format version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFormatError(
            f"{p}: written by optimeans {meta.get('optimeans_version', '?')} in model format "
            f"version {version}; this optimeans {__version__} reads versions up to {FORMAT_VERSION}. "
            "Upgrade optimeans (pip install -U optimeans) to read it"
        )
    return meta, npz


def check_arrays(path: Any, result: Any, n_features: int, meta: dict[str, Any], n_clusters: Any, scaler: Any) -> None:
    """What predict relies on: real finite centers of the stated shape, labels in range."""

    def bad(what: str) -> ModelFormatError:
        return ModelFormatError(f"{path}: damaged model file ({what})")

    C = result.centers
    if C.dtype.kind not in "iuf" or C.ndim != 2 or C.shape[0] < 1 or C.shape[1] != n_features or n_features < 1:
        raise bad(f"centers of dtype {C.dtype} and shape {C.shape} for {n_features} feature(s)")
    if not np.isfinite(C).all():
        raise bad("centers are not all finite")
    k = n_clusters
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k != C.shape[0]:
        raise bad(f"n_clusters={k!r} but {C.shape[0]} centers")
    L = result.labels
    if L.dtype.kind not in "iu" or L.ndim != 1 or (L.size and (L.min() < 0 or L.max() >= C.shape[0])):
        raise bad(f"labels of dtype {L.dtype} and shape {L.shape} are not cluster indices")
    for name, arr in (("objective", result.history.objective), ("seconds", result.history.seconds),
                      ("passes", result.history.passes)):
        if arr.dtype.kind not in "iuf" or arr.ndim != 1:
            raise bad(f"history_{name} of dtype {arr.dtype} and shape {arr.shape}")
    for key in ("feature_names", "feature_names_in"):
        names = meta.get(key)
        if names is not None and (not isinstance(names, list) or len(names) != n_features):
            raise bad(f"{key} does not list {n_features} names")
    if scaler is not None:
        if scaler.kind not in ("standard", "minmax"):
            raise bad(f"unknown scaler {scaler.kind!r}")
        for name in ("offset", "factor"):
            arr = np.asarray(getattr(scaler, name, None))
            if arr.dtype.kind not in "iuf" or arr.shape != (n_features,) or not np.isfinite(arr).all():
                raise bad(f"scaler_{name} is not {n_features} finite numbers")
        if not (np.asarray(scaler.factor) > 0).all():
            raise bad("scaler_factor has a value <= 0")


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON metadata of a model file, after the format and version checks."""
    meta, npz = _open(path)
    npz.close()
    return meta


def read_model(path: str | os.PathLike) -> tuple[dict[str, Any], Any, Any, int, dict[str, Any]]:
    """The parts of a model file, checked: ``(params, result, scaler, n_features, metadata)``.

    ``params`` are the estimator's parameters as stored (``init`` an array
    again when it was one); :func:`optimeans.estimator.load` builds the
    ``KMeans`` from them and checks the arrays against it with
    :func:`check_arrays`.

    Raises
    ------
    FileNotFoundError, ModelFormatError
        As :func:`optimeans.load`.
    """
    from ._scaling import Scaler
    from .result import History, Result

    meta, npz = _open(path)
    with npz:
        arrays = {k: _member(npz, k, Path(path)) for k in npz.files}
    try:
        params = dict(meta["params"])
        if params.get("init") == "array":
            params["init"] = arrays["init"]
        elif params.get("init") == "callable":
            params["init"] = "k-means++"
        r = meta["result"]
        extra = {k[len("history_extra_"):]: v for k, v in arrays.items() if k.startswith("history_extra_")}
        history = History(arrays["history_objective"], arrays["history_seconds"], arrays["history_passes"], extra)
        result = Result(
            centers=np.ascontiguousarray(arrays["centers"]),
            labels=arrays["labels"],
            objective=float(r["objective"]),
            n_iter=int(r["n_iter"]),
            converged=bool(r["converged"]),
            stop_reason=str(r["stop_reason"]),
            history=history,
            method=str(r["method"]),
            seed=r.get("seed"),
            options=dict(r.get("options") or {}),
            n_init=int(r.get("n_init", 1)),
            lower_bound=r.get("lower_bound"),
            gap=r.get("gap"),
            proven_optimal=bool(r.get("proven_optimal", False)),
            info=dict(r.get("info") or {}),
        )
        scaler = None
        if meta.get("scaler"):
            scaler = Scaler(meta["scaler"]["kind"], arrays["scaler_offset"], arrays["scaler_factor"])
        n_features = int(meta["n_features_in"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFormatError(f"{path}: damaged model file (missing or bad {exc})") from None
    return params, result, scaler, n_features, meta
