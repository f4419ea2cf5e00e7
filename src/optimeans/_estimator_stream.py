"""``KMeans.partial_fit`` (mini-batch steps on a stream) and ``KMeans.predict_proba``.

Kept apart from :mod:`optimeans.estimator` as a mixin so that the streaming
and soft-assignment parts live with the solvers they call
(:mod:`optimeans.solvers.stochastic`, :mod:`optimeans.solvers.soft`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._validation import check_random_state, check_sample_weight
from .objective import nearest_labels
from .seeding import init_centers
from .result import History
from .solvers._common import finalize, now

__all__ = ["StreamMixin", "SOFT_METHODS"]

#: Methods whose fitted model is a mixture with a sigma: they have ``predict_proba``.
SOFT_METHODS = ("soft", "annealing")


def _stream_history(records: list[tuple[float, float]]) -> History:
    """One record per partial_fit call: the batch objective (before the step) and
    the seconds since the stream started; ``passes`` counts the batches."""
    obj = np.array([r[0] for r in records], dtype=np.float64)
    secs = np.array([r[1] for r in records], dtype=np.float64)
    return History(objective=obj, seconds=secs, passes=np.arange(1, len(records) + 1, dtype=np.float64))


def _is_soft(est: Any) -> bool:
    return getattr(est, "method", None) in SOFT_METHODS


class StreamMixin:
    """Adds ``partial_fit`` and (for soft methods) ``predict_proba`` to KMeans."""

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        """Update the centers with one mini-batch (Sculley 2010), for streams.

        The first call starts the stream: from the fitted centers when the
        estimator was fitted (each center then counts the points of its
        cluster), else from ``init`` drawn on this batch (which must then hold
        at least ``n_clusters`` samples). Every call is one mini-batch step with
        per-center learning rates (:class:`optimeans.solvers.stochastic.MiniBatchState`),
        whatever ``method`` is; starved centers are reassigned as in
        ``method="minibatch"`` (``options["reassignment_ratio"]``, default 0.01).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One batch of the stream.
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
            ``cluster_centers_`` updated; ``labels_`` and ``inertia_`` describe
            this batch under the updated centers (in the scaled space when
            continuing a model fitted with ``scale``); ``n_steps_`` counts the
            calls; ``result_.history`` has one record per call.

        Raises
        ------
        ValueError
            Bad data, a different number of features than before, a first
            batch with fewer samples than ``n_clusters``, or a new stream with
            ``scale`` other than "none" (fit first to learn the scaler).

        Notes
        -----
        Time O(b k d) per call for a batch of b samples; memory O(b + k d).
        """
        from .solvers.stochastic import MiniBatchState

        # a stream starts at the first call, and again after every fit()
        first = getattr(self, "_stream_result", None) is not getattr(self, "result_", None) or not hasattr(
            self, "_stream_state"
        )
        fitted = first and hasattr(self, "result_")
        scaler = getattr(self, "scaler_", None) if fitted or not first else None
        if first and not fitted and getattr(self, "scale", "none") not in (None, "none"):
            raise ValueError(
                f"partial_fit cannot start a stream with scale={self.scale!r} (the scaling needs the "
                "whole data); call fit on a first sample to learn the scaler, then partial_fit continues "
                "with it, or use scale='none'"
            )
        X = self._validate_X(X, reset=first and not fitted)
        if not isinstance(X, np.ndarray):
            raise TypeError(
                "partial_fit takes dense data only; pass X.toarray(), or fit the whole sparse matrix "
                "with method='minibatch'"
            )
        n = X.shape[0]
        w = check_sample_weight(sample_weight, n, np.float64)
        if scaler is not None:
            X = scaler.transform(X)
        opts = dict(self.options or {})
        ratio = float(opts.get("reassignment_ratio", 0.01))
        if first:
            rng, _ = check_random_state(self.random_state)
            if fitted:
                centers = np.asarray(self.result_.centers, dtype=np.float64)
                counts = np.bincount(self.labels_, minlength=centers.shape[0]).astype(np.float64)
            else:
                if n < self.n_clusters:
                    raise ValueError(
                        f"the first batch of partial_fit has {n} samples, fewer than n_clusters={self.n_clusters}"
                    )
                init = self.init if isinstance(self.init, str) or callable(self.init) else np.asarray(self.init, dtype=X.dtype)
                centers = init_centers(X, self.n_clusters, w, init, rng, n_threads=self.n_threads)
                counts = np.zeros(self.n_clusters)
            state = MiniBatchState(centers, X.dtype, batch_size=n, reassignment_ratio=ratio)
            state.counts[:] = counts
            self._stream_state = state
            self._stream_rng = rng
            self._stream_t0 = now()
            self._stream_records: list[tuple[float, float]] = []
        state = self._stream_state
        Xs = np.ascontiguousarray(X, dtype=state.dtype)
        batch_obj = state.step(Xs, w, self._stream_rng)
        self._stream_records.append((batch_obj, now() - self._stream_t0))
        centers = state.centers.copy()
        labels, _ = nearest_labels(Xs, np.ascontiguousarray(centers, dtype=Xs.dtype))
        result = finalize(
            Xs, w, centers, n_iter=state.n_steps, converged=False, stop_reason="max_iter",
            history=_stream_history(self._stream_records), method="minibatch",
            options={"reassignment_ratio": ratio, "partial_fit": True},
            labels=labels, reassign=False,
            info={"counts": state.counts.copy(), "n_reassigned": int(state.state[5])},
        ).replace(centers=centers)
        self._set_result(result, scaler, X.dtype)
        self._stream_result = self.result_
        self.n_steps_ = state.n_steps
        return self

    @available_if(_is_soft)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Soft assignments of a soft method: the mixture's responsibilities.

        Available when ``method`` is ``"soft"`` (the fitted sigma and mixing
        weights) or ``"annealing"`` (the sigma at which annealing stopped,
        where the assignments are nearly hard).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_clusters), float64
            Rows sum to 1; the argmax of a row is ``predict``'s label except
            where learned mixing weights tip the balance.
        """
        from .solvers.soft import responsibilities

        check_is_fitted(self, "cluster_centers_")
        info = self.result_.info
        sigma = info.get("sigma", info.get("sigma_final"))
        if sigma is None:
            raise ValueError("this model was not fitted by a soft method; refit with method='soft'")
        X, C, _ = self._prepare(X)  # in the space the model was fitted in (scaled, if any)
        return responsibilities(
            np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(C, dtype=np.float64),
            float(sigma), info.get("mixing_weights"), n_threads=self.n_threads,
        )
