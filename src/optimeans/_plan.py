"""How many runs a fit makes, and which options its solver takes: decided before anything runs.

Shared by :func:`optimeans.fit`, the sparse and Dask paths and the CLI (which
sizes its progress bar with :func:`plan_runs`), so the rule is written once.
"""

from __future__ import annotations

import inspect
from typing import Any

from . import solvers
from ._validation import check_positive_int

__all__ = [
    "resolve_n_init", "resolve_refine", "REFINE_OPTIONS", "SWAP_METHODS", "planned_runs", "plan_runs", "check_options", "GLOBAL_ONE_SEARCH",
    "TWO_STARTS_MIN_KD", "SMALL_WORK", "SMALL_RESTARTS", "KMEANSPP_RESTARTS", "RANDOM_RESTARTS", "ONE_START", "GLOBAL_RESTARTS",
]


#: ``n_clusters * n_features`` from which ``n_init="auto"`` makes two
#: k-means++ starts (greedy, AFK-MC2 or "auto") instead of one, for the batch
#: methods *without* split-merge swaps (``refine=None`` or ``"hartigan"``; with
#: the default ``refine="auto"`` they make one start, see :func:`resolve_refine`:
#: one start with swaps ended at the same, lower objective from every seed on
#: the five shapes below, while two starts without them stayed a draw). Measured against scikit-learn's default ``KMeans(k).fit(X)`` (one
#: greedy k-means++ start), float32 blobs, 1 thread, seeds 0 to 4, CPU time
#: (``benchmarks/bench_fit.py --defaults``; benchmarks/README.md, taken under
#: load): on separated clusters the objective of one start is decided by the
#: local minimum its seeding falls into (two clusters sharing a center cost 2
#: % to 10 %), so one start against scikit-learn's one is a coin toss, and
#: the best of two ended lower on 50000x2x10, 200000x8x16 and 100000x32x64.
#: But a start costs a seeding and the fixed passes of a fit, which at small
#: ``k d`` are most of it: one start is only 1.2x (50000x2x10, k d = 20) and
#: 1.4x (200000x8x16, k d = 128) faster than scikit-learn there, two are
#: slower (0.66x, 0.76x); from k d = 2048 one start is 2.3x to 2.7x faster
#: and two still win (1.4x to 1.5x at 20000x128x100 and 200000x32x64). Where
#: one start was kept, its objective stays a coin toss. Hartigan's transfers
#: after Lloyd (``refine="hartigan"``) were measured and not taken: they
#: cannot move a center to another cluster, and lowered the objective by
#: 0.003 % to 0.04 % for 50 % to 75 % more time.
TWO_STARTS_MIN_KD = 1024

#: ``n_samples * n_clusters * n_features`` below which ``n_init="auto"`` keeps
#: three k-means++ starts: there a fit takes milliseconds, so restarts are
#: cheap insurance (Iris, k = 3: one start from seed 0 ends at 78.8557, three
#: at the optimum 78.8514). The smallest shape measured above, 50000x2x10, is
#: at this bound.
SMALL_WORK = 1_000_000

#: Restarts of small problems (:data:`SMALL_WORK`).
SMALL_RESTARTS = 3

#: Restarts ``n_init="auto"`` makes from k-means++ seeding from ``k d >=``
#: :data:`TWO_STARTS_MIN_KD` on (1 below it).
KMEANSPP_RESTARTS = 2

#: Restarts ``n_init="auto"`` makes from random points (they need many).
RANDOM_RESTARTS = 10

#: Methods for which ``n_init="auto"`` is a single start: mini-batch, as
#: scikit-learn's ``MiniBatchKMeans`` with k-means++ (a start costs about as
#: much as the rest of the fit, and the steps' noise, not the seeding, sets
#: how far from a local minimum it ends).
ONE_START = frozenset({"minibatch"})


#: Values ``refine`` takes (besides None).
REFINE_OPTIONS = ("auto", "hartigan", "swap", "swap+hartigan")

#: Methods after which ``refine="auto"`` runs split-merge swaps
#: (:mod:`optimeans.solvers.swap`): the batch methods with Lloyd's fixed points,
#: which can rerun from the swapped centers.
SWAP_METHODS = frozenset({"lloyd", "hamerly", "elkan", "yinyang", "kdtree", "ball"})


def resolve_refine(
    refine: Any, init: Any, method: str, n_samples: int | None = None, n_clusters: int | None = None,
    n_features: int | None = None,
) -> str | None:
    """The refinement a fit runs after each start, for a resolved ``method``.

    ``"auto"`` is ``"swap"`` after the methods of :data:`SWAP_METHODS` from a
    seeding the fit draws (any ``init`` string), else None: one k-means++
    start with swaps ended lower than scikit-learn's default fit on every shape
    measured, in less time (``benchmarks/bench_fit.py --defaults``; swaps
    move a center from a true cluster that two centers share to two true
    clusters that one center covers, the local minimum k-means++ and Lloyd
    typically end in). On small problems (``n k d <`` :data:`SMALL_WORK`,
    when the shape is given) it is ``"swap+hartigan"``: Hartigan's transfers
    after the swaps leave the minima that differ from a better one by a few
    points' assignment, which no center move reaches. They run once, on the
    best start, and add 9-34 % to a fit of milliseconds
    (``benchmarks/bench_small_defaults.py``): on Iris with k = 3, 38 of seeds
    0-199 of the swaps alone ended at the local minimum 78.8557 and the
    transfers took all 38 to the optimum 78.8514; over seeds 0-29 the
    transfers lowered the mean objective by 0.3-0.9 % at k = 10 on Iris,
    Ruspini and scikit-learn's breast cancer and wine sets. ``"swap"`` and ``"swap+hartigan"`` after another method,
    and any value outside :data:`REFINE_OPTIONS` and None, are a ValueError.
    """
    if refine is None:
        return None
    if not isinstance(refine, str) or refine not in REFINE_OPTIONS:
        raise ValueError(f"refine must be 'auto', 'swap', 'hartigan', 'swap+hartigan' or None, got {refine!r}")
    if refine == "auto":
        if method not in SWAP_METHODS or not isinstance(init, str):
            return None
        small = None not in (n_samples, n_clusters, n_features) and n_samples * n_clusters * n_features < SMALL_WORK
        return "swap+hartigan" if small else "swap"
    if refine.startswith("swap") and method not in SWAP_METHODS | {"hartigan"}:
        raise ValueError(
            f"refine={refine!r} reruns the method from swapped centers: it follows "
            f"{', '.join(sorted(SWAP_METHODS | {'hartigan'}))}, not {method!r}"
        )
    return refine


def resolve_n_init(
    n_init: Any, init: Any, method: str | None = None, n_clusters: int | None = None,
    n_features: int | None = None, n_samples: int | None = None, refine: str | None = None,
) -> int:
    """Restarts for ``n_init``; ``"auto"`` depends on the seeding, the method, the shape and the refinement.

    ``"auto"`` is, for k-means++ (greedy, AFK-MC2 or "auto"), 3 when ``n
    k d <`` :data:`SMALL_WORK` (10**6), else 1 when the resolved ``refine``
    is ``"swap"`` (the default after Lloyd-type methods, see
    :func:`resolve_refine`), else 2 when ``k d >=``
    :data:`TWO_STARTS_MIN_KD` (1024), else 1 (2 when the shape is not
    given); :data:`RANDOM_RESTARTS` (10) for random
    points; 1 for given centers (an array or a callable); and 1 for the
    methods of :data:`ONE_START` (``"minibatch"``) whatever the seeding.
    ``method`` is a resolved method name, or None when it is not known yet.
    """
    if isinstance(n_init, str):
        if n_init != "auto":
            raise ValueError(f"n_init must be a positive integer or 'auto', got {n_init!r}")
        if not isinstance(init, str):
            return 1
        if method in ONE_START:
            return 1
        if init == "random":
            return RANDOM_RESTARTS
        if n_clusters is None or n_features is None:
            return KMEANSPP_RESTARTS
        if n_samples is not None and n_samples * n_clusters * n_features < SMALL_WORK:
            return SMALL_RESTARTS
        if refine is not None and refine.startswith("swap"):
            return 1
        return KMEANSPP_RESTARTS if n_clusters * n_features >= TWO_STARTS_MIN_KD else 1
    return check_positive_int(n_init, "n_init")


#: ``n * n_clusters`` from which ``method="global"`` with ``n_init="auto"`` runs one
#: search instead of three: on blobs of 20000 points with 50 to 200 clusters one
#: search (breathing and jump moves) ends below scikit-learn's ``n_init=10`` in
#: about 0.6 times its time, three take twice its time for at most 0.001 % more
#: (benchmarks/README.md, ``bench_global.py blobs``); on the small classic sets
#: restarts are cheap insurance.
GLOBAL_ONE_SEARCH = 100_000

#: Searches ``method="global"`` with ``n_init="auto"`` makes below
#: :data:`GLOBAL_ONE_SEARCH` (k-means++ starts).
GLOBAL_RESTARTS = 3


def planned_runs(
    n_runs: int, n_init: Any, init: Any, method: str, n_samples: int, n_clusters: int,
    n_features: int | None = None, refine: str | None = None,
) -> int:
    """Runs ``fit`` makes once the method is known: 1 for exact solvers, and for a large ``"global"`` search.

    ``n_runs`` is :func:`resolve_n_init` of ``n_init`` and ``init`` (with or
    without the method); the method's own rule for ``"auto"`` is applied here.
    """
    if method in solvers.INIT_FREE:
        return 1  # an exact solver needs no starting point: restarts would repeat it
    if method == "global" and isinstance(n_init, str) and isinstance(init, str):
        # the rule from before the batch methods' default changed, kept as it was
        if n_samples * n_clusters >= GLOBAL_ONE_SEARCH:
            return 1
        return RANDOM_RESTARTS if init == "random" else GLOBAL_RESTARTS
    if isinstance(n_init, str):
        return resolve_n_init(n_init, init, method, n_clusters, n_features, n_samples, refine)
    return n_runs


def plan_runs(
    n_init: Any, init: Any, method: str, n_samples: int, n_clusters: int, n_features: int | None = None,
    refine: Any = "auto",
) -> int:
    """Runs :func:`optimeans.fit` makes for a resolved ``method`` (a registered solver name) and ``refine``."""
    return planned_runs(
        resolve_n_init(n_init, init), n_init, init, method, n_samples, n_clusters, n_features,
        resolve_refine(refine, init, method, n_samples, n_clusters, n_features),
    )


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
