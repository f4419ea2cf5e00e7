"""scikit-learn compatible estimator on top of :func:`optimeans.fit`.

``KMeans`` stores its parameters, validates the data the scikit-learn way
(``n_features_in_``, ``feature_names_in_``, the usual errors), and then makes
exactly the library call :func:`optimeans.fit` makes: every method registered
in :mod:`optimeans.solvers` works through ``KMeans(method=NAME)``.

>>> import optimeans
>>> X = optimeans.datasets.load("iris")
>>> km = optimeans.KMeans(n_clusters=3, random_state=0).fit(X)
>>> round(km.inertia_, 4)
78.8514
>>> km.predict(X[:2]).tolist() == km.labels_[:2].tolist()
True
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._estimator_stream import StreamMixin
from ._scaling import Scaler, check_scale, fit_scaled
from ._validation import Checked, check_data, check_numeric_columns, check_sample_weight, check_sparse, is_sparse
from .objective import nearest_labels, point_objective
from .result import Result

__all__ = ["KMeans", "load", "fitted_kmeans", "prepare_input"]


#: scikit-learn's ``algorithm`` values and the optimeans method each one runs.
SKLEARN_ALGORITHMS = {"lloyd": "lloyd", "elkan": "elkan"}


class KMeans(StreamMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """k-means clustering: minimize ``sum_i w_i ||x_i - c_{a_i}||^2``.

    A scikit-learn estimator (``fit``, ``predict``, ``fit_predict``,
    ``transform``, ``score``, ``get_params``/``set_params``, ``clone``,
    ``get_feature_names_out``, ``set_output``) that runs :func:`optimeans.fit`.
    It takes scikit-learn's ``KMeans`` arguments too (``algorithm``,
    ``verbose``, ``copy_x``), dense or scipy.sparse data, and returns the
    dtypes scikit-learn returns (centers in the data's float dtype, int32
    labels).

    Parameters
    ----------
    n_clusters : int, default 8
        Number of clusters, ``1 <= n_clusters <= n_samples``.
    method : str, default "auto"
        A solver name from :func:`optimeans.methods` (``"lloyd"``, and every
        method registered later); ``"auto"`` picks one by the data's shape.
    init : {"k-means++", "afkmc2", "auto", "random"}, ndarray of shape (n_clusters, n_features) or callable, default "k-means++"
        Initial centers; a callable is called as ``init(X, n_clusters, rng)``.
    n_init : int or "auto", default "auto"
        Restarts from independent seeds; the lowest objective wins. "auto"
        is the rule of :func:`optimeans.fit`: for k-means++, AFK-MC2 and
        "auto", 3 when ``n_samples * n_clusters * n_features < 10**6``, else
        1 (2 when ``n_clusters * n_features >= 1024`` and the refinement is
        switched off with ``options={"refine": None}``); 10 for random; 1 for
        given centers and for ``method="minibatch"``. By default each start
        of a Lloyd-type method is refined by split-merge swaps of centers
        (``refine="auto"`` of :func:`optimeans.fit`), which is what makes one
        k-means++ start end lower than scikit-learn's default fit; below
        ``n_samples * n_clusters * n_features = 10**6`` Hartigan's transfers
        follow the swaps.
    max_iter : int, default 300
        Iteration budget of each restart.
    tol : float, default 1e-4
        Relative decrease of the objective at which a run stops.
    random_state : int, Generator or None, default None
        Seed of every random choice; the same seed gives bitwise the same
        result on any number of threads.
    n_threads : int or None, default None
        Threads for the kernels (``None``: all cores).
    options : dict or None, default None
        Solver-specific options passed to the solver as keyword arguments
        (for example ``{"learning_rate": 0.1}`` for gradient descent).
    scale : {"none", "standard", "minmax"}, default "none"
        Scale every feature before clustering (mean 0 / std 1, or range
        [0, 1]); the scaler is stored and applied by ``predict``,
        ``transform`` and ``score``, and saved with the model. Dense data
        only (centering would fill sparse data in).
    verbose : int or bool, default 0
        As scikit-learn's: print "Initialization complete" at the start of
        every restart, "Iteration i, inertia E." after every iteration (the
        objective; in the scaled space with ``scale``) and, at the end, why
        the best run stopped.
    copy_x : bool, default True
        Accepted for scikit-learn compatibility. optimeans never modifies
        ``X``, whatever its value: dense data are copied once into the
        solver's centered work space, sparse data are read in place (or
        converted once to CSR).
    algorithm : {"lloyd", "elkan"} or None, default None
        scikit-learn's name for the method: "lloyd" runs ``method="lloyd"``,
        "elkan" runs ``method="elkan"`` (both give the same labels; on sparse
        data "elkan" runs the sparse Hamerly iteration, the same result). None leaves the choice to
        ``method``. scikit-learn's removed aliases "auto" and "full" are
        refused with scikit-learn's message.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Final centers, in the dtype of the training data (float32 or float64,
        as scikit-learn), in the original units of the data (also with
        ``scale``). ``result_.centers`` keeps them in float64.
    labels_ : ndarray of shape (n_samples,), int32
        Index of the nearest center of each training sample (int32 as
        scikit-learn's; ``result_.labels`` is int64).
    inertia_ : float
        The objective on the training data (scikit-learn's name for it),
        recomputed in float64 on the final centers and labels (in the scaled
        space with ``scale``: that is what was minimized).
    n_iter_ : int
        Iterations of the best restart.
    result_ : Result
        Everything the solver returned: history, stop reason, method, seed...
        (centers in the scaled space with ``scale``).
    scaler_ : Scaler or None
        The fitted scaler (``None`` with ``scale="none"``).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen in ``fit``, when ``X`` had string column names.

    Notes
    -----
    ``fit`` costs what the solver costs (Lloyd: O(n k d) per iteration);
    ``predict`` and ``transform`` are one assignment pass, O(n k d) time and
    O(n) (``transform``: O(n k)) memory.

    References
    ----------
    Lloyd, S. (1982). Least squares quantization in PCM.
    Arthur, D. and Vassilvitskii, S. (2007). k-means++: the advantages of careful seeding.

    Examples
    --------
    >>> import numpy as np
    >>> from optimeans import KMeans
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_[:, 0].tolist())
    [0.0, 10.0]
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        method: str = "auto",
        init: Literal["k-means++", "afkmc2", "auto", "random"] | Any = "k-means++",
        n_init: int | Literal["auto"] = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: int | np.random.Generator | None = None,
        n_threads: int | None = None,
        options: dict[str, Any] | None = None,
        scale: Literal["none", "standard", "minmax"] = "none",
        verbose: int = 0,
        copy_x: bool = True,
        algorithm: Literal["lloyd", "elkan"] | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.method = method
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.n_threads = n_threads
        self.options = options
        self.scale = scale
        self.verbose = verbose
        self.copy_x = copy_x
        self.algorithm = algorithm

    # -- scikit-learn's parameters -------------------------------------------------

    def _method(self) -> str:
        """``method``, or the method ``algorithm`` names; scikit-learn's messages for bad values."""
        import numbers

        if self.algorithm is not None and self.algorithm not in SKLEARN_ALGORITHMS:
            raise ValueError(
                "The 'algorithm' parameter of KMeans must be a str among {'elkan', 'lloyd'}. "
                f"Got {self.algorithm!r} instead."
            )
        v = self.verbose
        if not isinstance(v, (bool, np.bool_)) and not (isinstance(v, numbers.Integral) and v >= 0):
            raise ValueError(
                "The 'verbose' parameter of KMeans must be an int in the range [0, inf), an instance "
                f"of 'bool' or an instance of 'numpy.bool'. Got {v!r} instead."
            )
        if not isinstance(self.copy_x, (bool, np.bool_)):
            raise ValueError(
                "The 'copy_x' parameter of KMeans must be an instance of 'bool' or an instance of "
                f"'numpy.bool'. Got {self.copy_x!r} instead."
            )
        if self.algorithm is None:
            return self.method
        wanted = SKLEARN_ALGORITHMS[self.algorithm]
        if self.method not in ("auto", wanted):
            raise ValueError(
                f"algorithm={self.algorithm!r} asks for method {wanted!r} but method={self.method!r}; "
                "set only one of them"
            )
        return wanted

    def _verbose_callback(self, callback: Any) -> Any:
        """The user's callback, printing scikit-learn's progress lines first when ``verbose``."""
        if not self.verbose:
            return callback

        def cb(iteration: int, objective: float) -> Any:
            if iteration == 1:
                print("Initialization complete")
            print(f"Iteration {iteration}, inertia {objective}.")
            return callback(iteration, objective) if callback is not None else False

        return cb

    def _report_end(self) -> None:
        if not self.verbose:
            return
        r = self.result_
        why = {
            "labels_unchanged": "strict convergence",
            "tol": f"objective decrease within tolerance {self.tol}",
        }.get(r.stop_reason)
        best = "Best run: " if r.n_init > 1 else ""
        if why is not None:
            print(f"{best}Converged at iteration {r.n_iter}: {why}.")
        else:
            print(f"{best}Stopped at iteration {r.n_iter}: {r.stop_reason}.")

    @property
    def _n_features_out(self) -> int:
        """Columns of ``transform``: one per cluster (``get_feature_names_out`` gives kmeans0, kmeans1...)."""
        return int(self.cluster_centers_.shape[0])

    # -- validation ----------------------------------------------------------------

    def _validate_X(self, X: Any, *, reset: bool) -> Any:
        """scikit-learn's checks (shapes, feature names) then ours (NaN/inf with row and column).

        Dense data come back as a C-contiguous float32/float64 array, sparse
        data as a canonical CSR matrix.
        """
        check_numeric_columns(X, "X")
        _refuse_what_sklearn_accepts(X)
        X = validate_data(
            self,
            X,
            reset=reset,
            accept_sparse=["csr", "csc", "coo"],
            dtype=[np.float64, np.float32],
            order="C",
            ensure_all_finite=False,
            ensure_min_samples=1,
        )
        return check_sparse(X) if is_sparse(X) else check_data(X)

    def _prepare(self, X: Any) -> tuple[np.ndarray, np.ndarray, np.dtype]:
        """:func:`prepare_input` for this model (used by the streaming mixin)."""
        return prepare_input(self, X)

    # -- fitting -------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None, *, callback: Any = None) -> "KMeans":
        """Compute the clustering.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            ndarray, list of lists, pandas or polars DataFrame, scipy.sparse
            matrix or array (converted once to CSR; methods "lloyd",
            "hamerly", "elkan", "yinyang", "minibatch").
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights, not all zero.
        callback : callable ``(iteration, objective) -> bool``, optional
            Passed to :func:`optimeans.fit`: called after each iteration, a
            truthy return stops the run.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            NaN or inf in X (first offending row and column), empty or 1-D X,
            ``n_clusters`` < 1 or > n_samples, bad weights, unknown method.
        TypeError
            Non-numeric data (the column is named) or parameters of the wrong type.
        """
        if hasattr(X, "__dask_graph__"):
            # a dask array runs on the cluster (optimeans.distributed) without
            # being gathered here; labels_ is then a lazy dask array
            if check_scale(self.scale) != "none":
                raise ValueError(
                    f"scale={self.scale!r} is not supported for dask arrays; scale the data "
                    "before fitting or use scale='none'"
                )
            self.n_features_in_ = int(X.shape[1]) if getattr(X, "ndim", 0) == 2 else 0
        else:
            X = Checked(self._validate_X(X, reset=True))  # checked here, not again below
        method = self._method()
        result, scaler = fit_scaled(
            X,
            self.n_clusters,
            scale=self.scale,
            method=method,
            init=self.init,
            n_init=self.n_init,
            max_iter=self.max_iter,
            tol=self.tol,
            sample_weight=sample_weight,
            random_state=self.random_state,
            n_threads=self.n_threads,
            callback=self._verbose_callback(callback),
            **dict(self.options or {}),
        )
        dtype = getattr(X, "dtype", None)
        if dtype is not None and np.dtype(dtype) == np.float32:
            # recorded, so that a model file loads back with float32 centers
            result = result.replace(info={**result.info, "input_dtype": "float32"})
        self._set_result(result, scaler, dtype)
        self._report_end()
        return self

    def _set_result(self, result: Result, scaler: Scaler | None = None, dtype: Any = None) -> None:
        """Fitted attributes from ``result``: centers in ``dtype`` (float32 stays float32), int32 labels."""
        self.result_ = result
        self.scaler_ = scaler
        if dtype is None:
            dtype = result.info.get("input_dtype")
        centers = result.centers if scaler is None else scaler.inverse_transform(result.centers)
        if dtype is not None and np.dtype(dtype) in (np.dtype(np.float32), np.dtype(np.float64)):
            centers = centers.astype(dtype, copy=False)
        self.cluster_centers_ = centers
        labels = result.labels
        self.labels_ = labels.astype(np.int32) if isinstance(labels, np.ndarray) else labels
        self.inertia_ = float(result.objective)
        self.n_iter_ = int(result.n_iter)

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit and return the labels of the training samples, shape (n_samples,)."""
        return self.fit(X, sample_weight=sample_weight).labels_

    # -- using a fitted model ------------------------------------------------------

    def predict(self, X: Any) -> np.ndarray:
        """Index of the nearest center of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,), int32 (as scikit-learn's)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        ValueError
            Wrong number of features, NaN or inf (with row and column).
        """
        X, C, _ = prepare_input(self, X)
        if is_sparse(X):
            labels = self._sparse(X).nearest(C)[0]
        else:
            labels, _ = nearest_labels(X, C)
        return labels.astype(np.int32)

    def _sparse(self, X: Any) -> Any:
        from ._numba import numba_threads
        from ._sparse import SparseData

        with numba_threads(self.n_threads):
            return SparseData(X)

    def transform(self, X: Any) -> np.ndarray:
        """Euclidean distance of each sample to each center, shape (n_samples, n_clusters).

        The distances are computed in float64 (in the scaled space with
        ``scale``) and returned in the dtype of ``X`` (float32 stays float32).
        """
        X, C, in_dtype = prepare_input(self, X)
        if is_sparse(X):
            d = self._sparse(X).sqdist(C)
            np.sqrt(d, out=d)
            return d.astype(in_dtype, copy=False)
        from scipy.spatial.distance import cdist

        d = cdist(X.astype(np.float64, copy=False), C.astype(np.float64, copy=False), "sqeuclidean")
        np.sqrt(d, out=d)
        return d.astype(in_dtype, copy=False)

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit, then return the distances of the training samples to the centers."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the objective of ``X`` under the fitted centers (higher is better).

        Returns
        -------
        float
            ``-sum_i w_i min_j ||x_i - c_j||^2``, summed in float64.
        """
        X, C, _ = prepare_input(self, X)
        w = check_sample_weight(sample_weight, X.shape[0], np.float64)
        if is_sparse(X):
            S = self._sparse(X)
            return -S.objective(C, S.nearest(C)[0], w)
        labels, _ = nearest_labels(X, C)
        return -float(np.dot(w, point_objective(X, C, labels)))

    def save(self, path: Any, *, feature_names: list[str] | None = None) -> Any:
        """Write the fitted model to ``path`` (a ``.npz`` without pickle), atomically.

        Read it back with :func:`optimeans.load`. The file holds the centers,
        the scaler, the parameters, the feature names (``feature_names_in_``,
        or ``feature_names`` when given), the training labels and the run's
        history, and a format version checked on load.

        Returns
        -------
        pathlib.Path
        """
        from ._model import save

        return save(self, path, feature_names=feature_names)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        return tags


def prepare_input(km: KMeans, X: Any) -> tuple[np.ndarray, np.ndarray, np.dtype]:
    """New data for a fitted ``km``: validated and scaled, the centers it is compared with, and its own dtype.

    Data and centers come back in one dtype (float64 if either is
    float64), in the space the model was fitted in.
    """
    check_is_fitted(km, "cluster_centers_")
    X = km._validate_X(X, reset=False)
    in_dtype = X.dtype
    C = km.result_.centers
    scaler = getattr(km, "scaler_", None)  # partial_fit streams set no scaler
    if is_sparse(X):
        if scaler is not None:
            raise ValueError(
                f"X is sparse but the model was fitted with scale={km.scale!r}, which centers "
                "the data; pass X.toarray()"
            )
        return X, np.ascontiguousarray(C, dtype=np.float64), in_dtype
    if scaler is not None:
        X = scaler.transform(X)
    dtype = np.result_type(X.dtype, C.dtype)
    return np.ascontiguousarray(X, dtype=dtype), np.ascontiguousarray(C, dtype=dtype), in_dtype


def fitted_kmeans(params: dict[str, Any], result: Result, scaler: Scaler | None, n_features: int) -> KMeans:
    """A ``KMeans`` with parameters ``params``, fitted to ``result`` (centers in the scaled space)."""
    km = KMeans(**params)
    km._set_result(result, scaler)
    km.n_features_in_ = n_features
    return km


def load(path: Any) -> KMeans:
    """Read a model file written by :meth:`KMeans.save` or ``optimeans fit --save``.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    KMeans
        Fitted: ``predict``, ``transform`` and ``score`` work (applying the
        stored scaler), ``result_`` holds the run's summary and history.
        ``model_info_`` holds the file's metadata.

    Raises
    ------
    FileNotFoundError
        No such file.
    ModelFormatError
        Not an optimeans model, damaged, or written in a newer format version
        than this optimeans reads (upgrade optimeans).

    Examples
    --------
    >>> import optimeans, tempfile, os
    >>> km = optimeans.KMeans(3, random_state=0).fit(optimeans.datasets.load("iris"))
    >>> path = os.path.join(tempfile.mkdtemp(), "iris.npz")
    >>> _ = km.save(path)
    >>> optimeans.load(path).inertia_ == km.inertia_
    True
    """
    from ._model import ModelFormatError, check_arrays, read_model

    params, result, scaler, n_features, meta = read_model(path)
    try:
        valid = KMeans().get_params()
        km = KMeans(**{k: v for k, v in params.items() if k in valid})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFormatError(f"{path}: damaged model file (missing or bad {exc})") from None
    check_arrays(path, result, n_features, meta, km.n_clusters, scaler)
    km._set_result(result, scaler)
    km.n_features_in_ = n_features
    if meta.get("feature_names_in"):
        km.feature_names_in_ = np.asarray(meta["feature_names_in"], dtype=object)
    km.model_info_ = meta
    return km


def _refuse_what_sklearn_accepts(X: Any) -> None:
    """Inputs scikit-learn's validation would silently misread, or crash on.

    A masked array loses its mask (the masked values are used as data), a
    datetime64 array becomes days since 1970, and a Python int beyond float64
    raises OverflowError. The rest is left to scikit-learn, whose messages its
    estimator checks expect.
    """
    if isinstance(X, np.ma.MaskedArray) and np.ma.getmaskarray(X).any():
        r = np.unravel_index(int(np.flatnonzero(np.ma.getmaskarray(X))[0]), X.shape)
        where = f"row {r[0]}" + (f", column {r[1]}" if len(r) > 1 else "")
        raise ValueError(f"X is a masked array with a masked value at {where}; fill or drop masked values first")
    kind = getattr(getattr(X, "dtype", None), "kind", None)
    if kind in ("M", "m"):
        raise TypeError(f"X must be numeric, got dtype {X.dtype}")
    if kind == "O" or (kind is None and isinstance(X, (list, tuple))):
        try:
            np.asarray(X, dtype=np.float64)
        except OverflowError:
            from ._validation import as_float_array

            as_float_array(X, name="X", ensure_2d=False)  # names the row and column
            raise ValueError("X has a number too large for float64") from None
        except (ValueError, TypeError):
            pass  # scikit-learn reports it
