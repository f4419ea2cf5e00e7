"""Turn user input into the arrays the solvers expect, or raise a clear error.

Every public entry point calls these functions once, at the boundary; solvers
and kernels assume their input is valid and never re-check it. The data matrix
leaves the boundary as a :class:`Checked` (from :func:`check_input`, or from a
file reader that made the same checks with its own messages):
:func:`check_data` and :func:`check_sparse` hand its array on without
converting or scanning it again, so the layers below may call them freely.
:func:`find_nonfinite` is the one NaN/inf scan of a data matrix.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

__all__ = [
    "as_float_array",
    "check_data",
    "check_numeric_columns",
    "check_sample_weight",
    "check_n_clusters",
    "check_random_state",
    "check_centers",
    "check_positive_int",
    "check_nonneg_float",
    "check_sparse",
    "check_input",
    "find_nonfinite",
    "Checked",
    "is_sparse",
    "FewDistinctPointsWarning",
]


class Checked:
    """A data matrix that passed the boundary's checks, to be used as is below it.

    ``X`` is either a C-contiguous 2-D float32/float64 ndarray or a canonical
    CSR matrix (float32/float64, sorted indices, no duplicates), with at least
    one row and one column and only finite values. Build one with
    :func:`check_input`; a reader that has checked all of this itself (with
    messages naming the file's line or field) may wrap its array directly.
    """

    __slots__ = ("X",)

    def __init__(self, X: Any) -> None:
        self.X = X

    @property
    def sparse(self) -> bool:
        return not isinstance(self.X, np.ndarray)

    @property
    def shape(self) -> tuple[int, int]:
        return self.X.shape

    @property
    def dtype(self) -> np.dtype:
        return self.X.dtype

    @property
    def ndim(self) -> int:
        return 2

    def __repr__(self) -> str:
        kind = "CSR" if self.sparse else "dense"
        return f"Checked({kind} {self.X.shape[0]} x {self.X.shape[1]} {self.X.dtype})"


def check_input(X: Any, *, name: str = "X") -> Checked:
    """Validate a data matrix once: dense (see :func:`check_data`) or sparse (:func:`check_sparse`)."""
    if isinstance(X, Checked):
        return X
    return Checked(check_sparse(X, name=name) if is_sparse(X) else check_data(X, name=name))


def find_nonfinite(X: Any) -> tuple[int, int, float] | None:
    """The first NaN or inf of a 2-D float ndarray or CSR matrix, as ``(row, column, value)``; None if none.

    The one finiteness scan of a data matrix (counted by the tests: a fit scans
    its data once).
    """
    if isinstance(X, np.ndarray):
        if np.isfinite(X).all():
            return None
        return _first_nonfinite(X)
    data = X.data
    if np.isfinite(data).all():
        return None
    p = int(np.flatnonzero(~np.isfinite(data))[0])
    r = int(np.searchsorted(X.indptr, p, side="right") - 1)
    return r, int(X.indices[p]), float(data[p])


def _what(v: float) -> str:
    return "NaN" if np.isnan(v) else ("inf" if v > 0 else "-inf")


class FewDistinctPointsWarning(UserWarning):
    """Fewer distinct points than clusters: some clusters will be empty or duplicated."""


def _column_names(X: Any) -> list[str] | None:
    cols = getattr(X, "columns", None)
    if cols is None:
        return None
    try:
        return [str(c) for c in list(cols)]
    except TypeError:
        return None


def check_numeric_columns(X: Any, name: str = "X") -> None:
    """Raise a ``TypeError`` naming every non-numeric column of a DataFrame.

    Only the column dtypes are inspected (no conversion); anything without
    ``columns`` and ``dtypes`` (ndarray, list) passes through unchecked.
    """
    if isinstance(X, np.ndarray):
        return
    names = _column_names(X)
    dtypes = getattr(X, "dtypes", None)
    if names is not None and dtypes is not None:
        dts = list(dtypes) if not hasattr(dtypes, "tolist") else list(dtypes.tolist())
        bad = []
        for col, dt in zip(names, dts):
            try:
                kind = np.dtype(dt).kind
            except TypeError:
                # polars dtypes, pandas extension dtypes
                s = str(dt).lower()
                numeric = any(t in s for t in ("int", "float", "bool", "decimal"))
                kind = "f" if numeric else "O"
            if kind not in "biuf":
                bad.append(col)
        if bad:
            raise TypeError(
                f"{name} has non-numeric column(s) {', '.join(repr(b) for b in bad)}; "
                "select numeric columns or encode them first"
            )


def _dataframe_to_array(X: Any, name: str) -> np.ndarray:
    """pandas / polars DataFrame -> ndarray, naming any non-numeric column."""
    check_numeric_columns(X, name)
    dtypes = getattr(X, "dtypes", None)
    if hasattr(X, "to_numpy"):
        if _is_pandas(X):
            # nullable columns (Int64, Float64, boolean) hold pd.NA: read it as NaN,
            # which check_data then reports with its row and column
            all32 = dtypes is not None and all(str(dt) == "float32" for dt in list(dtypes))
            try:
                return np.asarray(X.to_numpy(dtype=np.float32 if all32 else np.float64, na_value=np.nan))
            except (TypeError, ValueError):
                pass
        try:
            return np.asarray(X.to_numpy())
        except TypeError:
            pass
    return np.asarray(X)


def _is_pandas(X: Any) -> bool:
    return type(X).__module__.startswith("pandas")


def as_float_array(X: Any, *, name: str = "X", ensure_2d: bool = True, copy: bool = False) -> np.ndarray:
    """Convert to a C-contiguous float32 or float64 array.

    float32 stays float32; every other numeric type (integers, booleans,
    float16, float128) becomes float64. Object and string arrays are refused
    with a ``TypeError`` unless every element converts to a number.
    """
    if X is None:
        raise TypeError(f"{name} must be an array-like of numbers, got None")
    if hasattr(X, "__dask_graph__"):
        raise TypeError(f"{name} is a dask array; pass it to optimeans.fit, which runs it on the cluster")
    if _column_names(X) is not None and not isinstance(X, np.ndarray):
        arr = _dataframe_to_array(X, name)
    elif is_sparse(X):
        raise TypeError(
            f"{name} is a sparse matrix; this function works on dense data (call .toarray()); "
            "optimeans.fit and KMeans take sparse input"
        )
    else:
        if isinstance(X, np.ma.MaskedArray) and np.ma.getmaskarray(X).any():
            pos = np.unravel_index(int(np.flatnonzero(np.ma.getmaskarray(X))[0]), X.shape)
            where = f"row {pos[0]}" + (f", column {pos[1]}" if len(pos) > 1 else "")
            raise ValueError(
                f"{name} is a masked array with a masked value at {where}; fill or drop masked values first"
            )
        try:
            arr = np.asarray(X.data if isinstance(X, np.ma.MaskedArray) else X)
        except OverflowError:
            raise ValueError(f"{name} has a number too large for float64") from None
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{name} could not be read as a numeric array: {exc}") from None
    if arr.dtype.kind in "OSUV" or arr.dtype.kind == "M" or arr.dtype.kind == "m":
        if arr.dtype.kind in "OSU":
            try:
                arr = arr.astype(np.float64)
            except (ValueError, TypeError, OverflowError):
                flat = arr.reshape(-1)
                for idx, v in enumerate(flat):
                    try:
                        float(v)
                    except (ValueError, TypeError, OverflowError) as exc:
                        pos = np.unravel_index(idx, arr.shape)
                        where = f"row {pos[0]}" + (f", column {pos[1]}" if len(pos) > 1 else "")
                        shown = repr(v.item() if isinstance(v, np.generic) else v)
                        if len(shown) > 40:
                            shown = shown[:37] + "..."
                        if isinstance(exc, OverflowError):
                            raise ValueError(f"{name} has a number too large for float64 at {where}") from None
                        raise TypeError(f"{name} has a non-numeric value {shown} at {where}") from None
                raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}") from None
        else:
            raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} is complex; k-means needs real numbers")
    if ensure_2d:
        if arr.ndim == 0:
            raise ValueError(f"{name} must be 2-D (n_samples, n_features), got a scalar")
        if arr.ndim == 1 and arr.shape[0] == 0:
            raise ValueError(f"{name} is empty: it has 0 samples, at least 1 required")
        if arr.ndim == 1:
            raise ValueError(
                f"{name} must be 2-D (n_samples, n_features), got 1-D of length {arr.shape[0]}; "
                "use X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a single sample"
            )
        if arr.ndim > 2:
            raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}")
    dtype = np.float32 if arr.dtype == np.float32 else np.float64
    with np.errstate(over="ignore"):
        out = np.ascontiguousarray(arr, dtype=dtype)
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:
        # long double values beyond float64's range become inf in the cast: say so
        lost = np.isinf(out) & np.isfinite(arr)
        if lost.any():
            pos = np.unravel_index(int(np.flatnonzero(lost)[0]), arr.shape)
            where = f"row {pos[0]}" + (f", column {pos[1]}" if len(pos) > 1 else "")
            raise ValueError(f"{name} has a number too large for float64 at {where}")
    if copy and out is arr:
        out = out.copy()
    return out


def _first_nonfinite(arr: np.ndarray) -> tuple[int, int, float]:
    bad = ~np.isfinite(arr)
    idx = int(np.flatnonzero(bad.reshape(-1))[0])
    if arr.ndim == 1:
        return idx, -1, float(arr[idx])
    r, c = divmod(idx, arr.shape[1])
    return r, c, float(arr[r, c])


def check_data(X: Any, *, name: str = "X", min_samples: int = 1) -> np.ndarray:
    """Validate a data matrix: 2-D, numeric, finite, non-empty.

    A :class:`Checked` dense matrix comes back as its array, without a scan.
    """
    if isinstance(X, Checked):
        if X.sparse:
            raise TypeError(f"{name} is a sparse matrix; this function works on dense data (call .toarray())")
        arr = X.X
        _check_counts(arr.shape, name, min_samples)
        return arr
    arr = as_float_array(X, name=name)
    _check_counts(arr.shape, name, min_samples)
    hit = find_nonfinite(arr)
    if hit is not None:
        r, c, v = hit
        raise ValueError(f"{name} contains {_what(v)} at row {r}, column {c}; remove or impute it first")
    return arr


def _check_counts(shape: tuple[int, ...], name: str, min_samples: int) -> None:
    n, d = shape
    if n < min_samples:
        raise ValueError(
            f"{name} is empty: it has {n} sample(s), at least {min_samples} required"
            if n == 0
            else f"{name} has {n} sample(s), at least {min_samples} required"
        )
    if d == 0:
        raise ValueError(f"{name} has 0 features; at least one column is required")


def check_sample_weight(sample_weight: Any, n_samples: int, dtype: np.dtype | type = np.float64) -> np.ndarray:
    """Validate weights: 1-D, length ``n_samples``, finite, non-negative, not all zero.

    ``None`` gives unit weights. Returns a C-contiguous array of ``dtype``.
    """
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    if isinstance(sample_weight, numbers.Number) and not isinstance(sample_weight, bool):
        w = np.full(n_samples, float(sample_weight))
    else:
        try:
            w = np.asarray(sample_weight)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"sample_weight could not be read as numbers: {exc}") from None
        if w.dtype.kind == "c":
            raise TypeError("sample_weight is complex; weights must be real numbers")
        if w.dtype.kind not in "biuf":
            try:
                w = w.astype(np.float64)
            except (ValueError, TypeError, OverflowError):
                raise TypeError(f"sample_weight must be numeric, got dtype {w.dtype}") from None
        w = np.squeeze(w) if w.ndim > 1 and max(w.shape) == w.size else w
        if w.ndim != 1:
            raise ValueError(f"sample_weight must be 1-D, got shape {w.shape}")
        if w.shape[0] != n_samples:
            raise ValueError(
                f"sample_weight has length {w.shape[0]} but X has {n_samples} samples"
            )
    w = w.astype(np.float64)
    if not np.isfinite(w).all():
        r, _, v = _first_nonfinite(w)
        raise ValueError(f"sample_weight contains {v} at index {r}; weights must be finite")
    if (w < 0).any():
        r = int(np.flatnonzero(w < 0)[0])
        raise ValueError(f"sample_weight contains a negative value {w[r]} at index {r}")
    if n_samples and not (w > 0).any():
        raise ValueError("sample_weight is zero for every sample; at least one weight must be positive")
    return np.ascontiguousarray(w, dtype=dtype)


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """An integer >= ``minimum`` (bools and non-integral floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_nonneg_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def check_n_clusters(n_clusters: Any, X: np.ndarray, sample_weight: np.ndarray | None = None) -> int:
    """Validate ``n_clusters`` against the data.

    ``n_clusters > n_samples`` is an error. Fewer distinct points (with positive
    weight) than clusters is allowed with a :class:`FewDistinctPointsWarning`:
    the result is still valid, with duplicated centers.
    """
    k = check_positive_int(n_clusters, "n_clusters")
    n = X.shape[0]
    if k > n:
        raise ValueError(f"n_clusters={k} is larger than the number of samples n_samples={n}")
    pts = X if sample_weight is None else X[sample_weight > 0]
    if k > 1 and pts.shape[0] >= k:
        n_distinct = _count_distinct_upto(pts, k)
        if n_distinct < k:
            warnings.warn(
                f"X has only {n_distinct} distinct point(s) with positive weight, fewer than "
                f"n_clusters={k}; some centers will coincide",
                FewDistinctPointsWarning,
                stacklevel=3,
            )
    elif k > 1 and pts.shape[0] < k:
        warnings.warn(
            f"only {pts.shape[0]} sample(s) have positive weight, fewer than n_clusters={k}; "
            "some centers will coincide",
            FewDistinctPointsWarning,
            stacklevel=3,
        )
    return k


def _count_distinct_upto(X: np.ndarray, k: int) -> int:
    """Number of distinct rows, exact if < k (cheap early exit otherwise)."""
    # Fast path: a sample of rows already has k distinct ones.
    head = X[: min(X.shape[0], 4 * k + 16)]
    if np.unique(head, axis=0).shape[0] >= k:
        return k
    return int(np.unique(X, axis=0).shape[0])


def check_random_state(random_state: Any) -> tuple[np.random.Generator, int]:
    """A numpy Generator and the integer seed it came from.

    ``None`` draws a fresh seed from the OS (and records it, so the run can be
    repeated); an int is used as is; a Generator or RandomState draws the seed
    from it.
    """
    if random_state is None:
        seed = int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0])
    elif isinstance(random_state, (bool,)):
        raise TypeError(f"random_state must be None, an int or a Generator, got {random_state!r}")
    elif isinstance(random_state, numbers.Integral):
        seed = int(random_state)
        if seed < 0:
            raise ValueError(f"random_state must be a non-negative integer, got {seed}")
    elif isinstance(random_state, np.random.Generator):
        seed = int(random_state.integers(0, 2**32 - 1))
    elif isinstance(random_state, np.random.RandomState):
        seed = int(random_state.randint(0, 2**32 - 1))
    else:
        raise TypeError(f"random_state must be None, an int or a Generator, got {random_state!r}")
    return np.random.default_rng(seed), seed


def check_centers(centers: Any, n_clusters: int, n_features: int, dtype: np.dtype | type, *, name: str = "init") -> np.ndarray:
    """Validate user-given initial centers: shape (n_clusters, n_features), finite."""
    arr = as_float_array(centers, name=name)
    if arr.shape != (n_clusters, n_features):
        raise ValueError(
            f"{name} has shape {arr.shape}, expected (n_clusters, n_features) = ({n_clusters}, {n_features})"
        )
    if not np.isfinite(arr).all():
        r, c, v = _first_nonfinite(arr)
        raise ValueError(f"{name} contains {v} at row {r}, column {c}")
    return np.ascontiguousarray(arr, dtype=dtype)


def is_sparse(X: Any) -> bool:
    """True for a scipy.sparse matrix or array (any format), or a sparse :class:`Checked`."""
    if isinstance(X, Checked):
        return X.sparse
    if not (hasattr(X, "nnz") and hasattr(X, "tocsr")):
        return False
    import scipy.sparse as sp

    return bool(sp.issparse(X))


def check_sparse(X: Any, *, name: str = "X", min_samples: int = 1) -> Any:
    """Validate a scipy.sparse matrix and return it as a canonical CSR matrix.

    Any format (CSR, CSC, COO, ``csr_array``...) is converted once to CSR
    with sorted indices and no duplicate entries (duplicates are summed, as
    scipy does); float32 stays float32, every other numeric dtype becomes
    float64. ``X`` itself is never modified: a copy is made whenever anything
    has to change.

    Raises
    ------
    TypeError
        Non-numeric or complex values.
    ValueError
        NaN or inf (with its row and column), no rows or no columns.
    """
    import scipy.sparse as sp

    if isinstance(X, Checked):
        if not X.sparse:
            raise TypeError(f"{name} is dense; expected a sparse matrix")
        _check_counts(X.shape, name, min_samples)
        return X.X
    kind = X.dtype.kind
    if kind == "c":
        raise TypeError(f"{name} is complex; k-means needs real numbers")
    if kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {X.dtype}")
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}")
    n, d = X.shape
    if n < min_samples:
        raise ValueError(
            f"{name} is empty: it has {n} sample(s), at least {min_samples} required"
            if n == 0
            else f"{name} has {n} sample(s), at least {min_samples} required"
        )
    if d == 0:
        raise ValueError(f"{name} has 0 features; at least one column is required")
    A = X if X.format == "csr" else X.tocsr()
    if A.dtype != dtype:
        A = A.astype(dtype)
    if not sp.isspmatrix_csr(A):
        A = sp.csr_matrix(A)  # csr_array -> csr_matrix: one interface below the boundary
    if not A.has_canonical_format:
        A = A.copy()  # the arrays may still be the caller's: never sort them in place
        A.sum_duplicates()
    hit = find_nonfinite(A)
    if hit is not None:
        r, c, v = hit
        raise ValueError(f"{name} contains {_what(v)} at row {r}, column {c}; remove or impute it first")
    return A
