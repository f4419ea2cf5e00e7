"""How many runs a fit makes, and which options its solver takes: decided before anything runs.

Shared by :func:`optimeans.fit`, the sparse and Dask paths and the CLI (which
sizes its progress bar with :func:`plan_runs`), so the rule is written once.
"""

from __future__ import annotations

import inspect
from typing import Any

from . import solvers
from ._validation import check_positive_int

__all__ = ["resolve_n_init", "planned_runs", "plan_runs", "check_options", "GLOBAL_ONE_SEARCH"]


def resolve_n_init(n_init: Any, init: Any) -> int:
    """``"auto"`` is 3 restarts for k-means++ (greedy, AFK-MC2 or "auto"), 10 for random, 1 for given centers."""
    if isinstance(n_init, str):
        if n_init != "auto":
            raise ValueError(f"n_init must be a positive integer or 'auto', got {n_init!r}")
        if isinstance(init, str):
            return 10 if init == "random" else 3
        return 1
    return check_positive_int(n_init, "n_init")


#: ``n * n_clusters`` from which ``method="global"`` with ``n_init="auto"`` runs one
#: search instead of three: on blobs of 20000 points with 50 to 200 clusters one
#: search (breathing and jump moves) ends below scikit-learn's ``n_init=10`` in
#: about 0.6 times its time, three take twice its time for at most 0.001 % more
#: (benchmarks/README.md, ``bench_global.py blobs``); on the small classic sets
#: restarts are cheap insurance.
GLOBAL_ONE_SEARCH = 100_000


def planned_runs(n_runs: int, n_init: Any, init: Any, method: str, n_samples: int, n_clusters: int) -> int:
    """Runs ``fit`` makes once the method is known: 1 for exact solvers, and for a large ``"global"`` search."""
    if method in solvers.INIT_FREE:
        return 1  # an exact solver needs no starting point: restarts would repeat it
    if method == "global" and isinstance(n_init, str) and isinstance(init, str) and n_samples * n_clusters >= GLOBAL_ONE_SEARCH:
        return 1
    return n_runs


def plan_runs(n_init: Any, init: Any, method: str, n_samples: int, n_clusters: int) -> int:
    """Runs :func:`optimeans.fit` makes for a resolved ``method`` (a registered solver name)."""
    return planned_runs(resolve_n_init(n_init, init), n_init, init, method, n_samples, n_clusters)


#: Arguments fit passes to every solver itself; they are not solver options.
_COMMON = ("max_iter", "tol", "n_threads", "rng", "callback")


def check_options(name: str, solver: Any, options: dict[str, Any]) -> None:
    """Name an option the solver does not take, before anything runs."""
    if not options:
        return
    clash = sorted(set(options) & set(_COMMON))
    if clash:
        raise TypeError(
            f"{clash[0]!r} is not a solver option: fit sets it itself"
            + (" (from random_state)" if clash[0] == "rng" else "")
        )
    try:
        params = inspect.signature(solver).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: let the solver decide
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return
    accepted = sorted(
        p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in _COMMON
    )
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise TypeError(
            f"method {name!r} has no option {unknown[0]!r}; "
            + (f"its options are: {', '.join(accepted)}" if accepted else "it takes no options")
        )
