"""The solver registry: method name -> solver function.

Every solver has the same signature::

    run(X, sample_weight, centers_init, *, max_iter, tol, n_threads, rng, callback, **options) -> Result

``X`` is validated (C-contiguous float32/float64), ``sample_weight`` validated,
``centers_init`` an array of X's dtype. Solvers never print; progress goes
through ``callback(iteration, objective)``, which may return True to stop.

Solver modules are imported lazily, on first use, so ``import optimeans`` stays
fast. To add a solver: write ``solvers/NAME.py`` with a ``run`` function and add
one line to ``_REGISTRY``.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

# name -> (module, function)
_REGISTRY: dict[str, tuple[str, str]] = {
    "lloyd": ("optimeans.solvers.lloyd", "run"),
    "hamerly": ("optimeans.solvers.accelerated", "run_hamerly"),
    "elkan": ("optimeans.solvers.accelerated", "run_elkan"),
    "yinyang": ("optimeans.solvers.accelerated", "run_yinyang"),
    "kdtree": ("optimeans.solvers.accelerated", "run_kdtree"),
    "ball": ("optimeans.solvers.ball", "run"),
    "hartigan": ("optimeans.solvers.hartigan", "run"),
    "gd": ("optimeans.solvers.gradient", "run_gd"),
    "newton": ("optimeans.solvers.gradient", "run_newton"),
    "sgd": ("optimeans.solvers.stochastic", "run_sgd"),
    "minibatch": ("optimeans.solvers.stochastic", "run_minibatch"),
    "soft": ("optimeans.solvers.soft", "run_soft"),
    "annealing": ("optimeans.solvers.soft", "run_annealing"),
    "exact": ("optimeans.exact.onedim", "run"),
    "global": ("optimeans.exact.search", "run"),
    "bnb": ("optimeans.exact.branch_bound", "run"),
}

#: Options each solver accepts beyond the common ones (filled by the modules that need it).
SolverFn = Callable[..., Any]


#: Exact solvers that read only the shape of ``centers_init`` (they need no
#: starting point): ``fit`` skips the seeding for them and runs them once.
INIT_FREE = frozenset({"exact", "bnb"})


def available() -> list[str]:
    """Names of every registered method (plus ``"auto"``)."""
    return ["auto", *sorted(_REGISTRY)]


def resolve(method: str, X: Any = None, n_clusters: int | None = None) -> str:
    """Resolve ``"auto"`` to a concrete method name, in one place."""
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {method!r}")
    if method == "auto":
        if X is not None and getattr(X, "ndim", 0) == 2 and X.shape[1] == 1:
            return "exact"  # one feature: the dynamic program is optimal and fast
        if n_clusters is not None and X is not None and getattr(X, "ndim", 0) == 2:
            # Lloyd-type methods (same result, bit for bit): Lloyd's SIMD scan costs
            # ~k d / 16 FMAs per point; Hamerly's bounds skip it for most points but
            # cost ~d per point to check, so they pay off once k d is large. Measured
            # per iteration (benchmarks/README.md, 1 thread): 200000x32x64 (k d = 2048)
            # Lloyd 10 ms vs Hamerly 13 ms; 100000x128x256 (32768) Hamerly 43 ms vs
            # Lloyd 80 ms. Elkan and Yinyang never won on this machine (Yinyang, once the
            # large-k method, lost to the ball or Lloyd at every large-k shape measured).
            if n_clusters >= 512 and X.shape[1] <= 3:
                # Large k in few features: a k-d tree over the centers finds each point's
                # nearest center with some ten distances instead of k (exact, Lloyd's labels).
                # 250000x2 k=6000, 1 thread, CPU time per iteration under load 13
                # (benchmarks/bench_large_k.py --cpu): 125 ms vs Yinyang 547, FAISS 209,
                # scikit-learn 4389. In 16 features the tree prunes too little (100000x16
                # k=4096: 9-15 s per iteration vs Lloyd's 0.22 s), hence d <= 3.
                return "kdtree"
            if n_clusters >= 512 and X.shape[1] <= 16:
                # Large k in 4 to 16 features: Lloyd's scan (which from 256 centers in 16 to 32
                # features folds only the groups of sixteen centers that can matter) beats
                # Yinyang, whose bounds cost more per point relative to a distance, and whose
                # n x groups memory cap leaves few, wide groups at large n. 200000x16 k=16384,
                # 1 thread, CPU time per iteration, mean of iterations 2..6, under load 14
                # (benchmarks/bench_large_k.py data): Lloyd 1992 ms, Yinyang 2416 ms (same run).
                if n_clusters >= 8192 and X.shape[1] >= 12 and X.shape[0] >= 60 * n_clusters:
                    # Many points per center: the anchored ball (Lloyd's result, bit for bit) scans
                    # ~25 % of the centers, and its per-center work (k x k distances, candidate
                    # lists) is shared by enough points. 1 thread, CPU ms per iteration, 6
                    # iterations, under load 5 (bench_large_k.py --cpu): 1000000x16 k=16384 ball
                    # 6476 (mean of 2..6: 7011) vs Lloyd 8441 (8112), FAISS 9477; at 200000x16
                    # k=16384 (12 points per center) ball loses: 3385 vs Lloyd 1722. Measured at
                    # these two shapes only: the bound of 60 points per center is the one that won.
                    return "ball"
                return "lloyd"
            if n_clusters >= 512 and X.shape[1] >= 64:
                # Large k from 64 features: the anchored ball (Lloyd's result, bit for bit) scans
                # only the centers within 2U of each point's last center, a test that does not
                # decay with the centers' drift, where Yinyang's group bounds (the earlier choice
                # here) fail early on and it runs full passes (at 50000x128 k=4096 iterations 2,
                # 3, 4 and 6 of 6). A NumPy count (benchmarks/measure_pruning.py) leaves 29-45 % of
                # the n k distances to the ball in iterations 2..6, against 36-95 % to textbook
                # Yinyang. 1 thread, CPU ms, 6 iterations, mean of iterations 2..6, under load
                # 4.5-5.6 (bench_large_k.py --cpu): 100000x64 k=1024 ball 82 vs Yinyang 162, FAISS
                # 144; 50000x128 k=4096 (12 points per center) ball 415 vs Yinyang 548, FAISS 502.
                return "ball"
            if n_clusters >= 512:
                # Large k in 17 to 63 features: Yinyang lost to both Lloyd and the ball at 32
                # features, 1 thread, CPU ms, mean of iterations 2..6, under load 1.6
                # (bench_large_k.py --cpu): 100000x32 k=1024 (98 points per center) ball 38.1,
                # Lloyd 45.2, Yinyang 77.9, FAISS 67.3; 50000x32 k=4096 (12 per center) Lloyd
                # 82.2, ball 96.2, Yinyang 113.6, FAISS 111.9. The ball's per-center work (k x k
                # distances, candidate lists) needs enough points per center: the bound of 60
                # is the d = 16 rule's, between the two measured shapes.
                return "ball" if X.shape[0] >= 60 * n_clusters else "lloyd"
            if n_clusters * X.shape[1] >= 8192:
                return "hamerly"
        return "lloyd"
    if method not in _REGISTRY:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(available())}")
    return method


def get(method: str) -> SolverFn:
    """The solver function registered under ``method``."""
    if method not in _REGISTRY:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(available())}")
    module, fn = _REGISTRY[method]
    return getattr(importlib.import_module(module), fn)
