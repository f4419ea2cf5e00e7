"""Side-by-side comparison of optimizers of the k-means objective.

:func:`compare` runs several methods on the same data from the *same*
initial centers and collects, for each, the final objective, the iterations,
the passes over the data and the time, with the whole trajectory (objective
after each iteration against passes and against seconds). It is the
experiment of Bottou & Bengio (1995) as one call::

    >>> import optimeans
    >>> cmp = optimeans.compare(optimeans.datasets.load("iris"), 3, ["lloyd", "gd"], random_state=0)
    >>> [row["method"] for row in cmp.table()]
    ['lloyd', 'gd']

``optimeans compare`` (the CLI) prints :meth:`Comparison.format_table` and
saves :meth:`Comparison.plot`.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from . import _nocompile, solvers
from ._kernels import CHUNK
from ._api import fit
from ._validation import check_data, check_n_clusters, check_random_state, check_sample_weight
from .result import Result
from .seeding import init_centers

__all__ = ["compare", "Comparison", "DEFAULT_METHODS"]

#: The methods compared by default, in the order of the table.
DEFAULT_METHODS = ("lloyd", "newton", "gd", "sgd", "minibatch", "soft", "annealing", "hartigan")

#: Per-method options that make the curves informative (overridden by the caller's).
_CURVE_OPTIONS: dict[str, dict[str, Any]] = {"minibatch": {"monitor": True}}  # its curve, not only its end

_PLOT_HINT = 'plotting needs matplotlib: pip install "optimeans[plot]"'


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare` returns.

    Attributes
    ----------
    results : dict of str to Result
        One result per method that ran, in the order asked.
    skipped : dict of str to str
        Methods that were not run, with the reason (for example not
        registered in this installation).
    centers_init : ndarray (n_clusters, n_features)
        The initial centers every method started from.
    seed : int
    n_clusters : int
    wall_seconds : dict of str to float
        Wall time of each method's call, objective monitoring included.
    """

    results: dict[str, Result]
    skipped: dict[str, str]
    centers_init: np.ndarray
    seed: int
    n_clusters: int
    wall_seconds: dict[str, float] = field(default_factory=dict)

    def best_objective(self) -> float:
        """The lowest objective any method reached at any recorded point."""
        vals = [r.objective for r in self.results.values()]
        vals += [float(np.min(r.history.objective)) for r in self.results.values() if len(r.history)]
        return float(min(vals))

    def table(self) -> list[dict[str, Any]]:
        """One row per method: objective, iterations, passes, seconds, converged."""
        rows = []
        for name, r in self.results.items():
            h = r.history
            rows.append({
                "method": name,
                "objective": float(r.objective),
                "n_iter": int(r.n_iter),
                "passes": float(h.passes[-1]) if len(h) else float("nan"),
                "seconds": float(h.seconds[-1]) if len(h) else float("nan"),
                "converged": bool(r.converged),
                "stop_reason": r.stop_reason,
            })
        return rows

    def format_table(self) -> str:
        """The table as aligned text (objective to 6 significant digits)."""
        head = f"{'method':<10} {'objective':>14} {'iters':>6} {'passes':>8} {'seconds':>9}  converged"
        lines = [head, "-" * len(head)]
        for row in self.table():
            lines.append(
                f"{row['method']:<10} {row['objective']:>14.6g} {row['n_iter']:>6d} "
                f"{row['passes']:>8.4g} {row['seconds']:>9.4f}  "
                f"{'yes' if row['converged'] else 'no'} ({row['stop_reason']})"
            )
        for name, why in self.skipped.items():
            lines.append(f"{name:<10} skipped: {why}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the table, the skipped methods and every history."""
        return {
            "n_clusters": self.n_clusters,
            "seed": self.seed,
            "centers_init": np.asarray(self.centers_init, dtype=np.float64).tolist(),
            "best_objective": self.best_objective() if self.results else None,
            "rows": self.table(),
            "skipped": dict(self.skipped),
            "wall_seconds": dict(self.wall_seconds),
            "history": {name: r.history.to_dict() for name, r in self.results.items()},
        }

    def plot(self, path: Any = None, *, title: str | None = None, figsize: Any = (11, 5.0), dpi: float = 120):
        """Objective against passes over the data and against seconds.

        Two panels, log-log, of the excess objective ``(E - E_best) / E_best``
        where ``E_best`` is the lowest objective any method reached (a
        method that ends in a worse local minimum levels off above 0).

        Parameters
        ----------
        path : str or Path, optional
            Where to save the figure (format from the suffix); written to a
            temporary file first, then renamed.
        title : str, optional
        figsize : (float, float), default (11, 5)
            Width and height in inches.
        dpi : float, default 120
            Pixels per inch of the saved image.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ImportError
            matplotlib is missing (with the install hint).
        """
        try:
            # a Figure of its own, without pyplot: no global state, no backend switch
            from matplotlib.figure import Figure
        except ImportError as exc:
            raise ImportError(_PLOT_HINT) from exc
        best = self.best_objective()
        floor = 1e-12
        fig = Figure(figsize=figsize, layout="constrained")
        axes = fig.subplots(1, 2)
        markers = "osD^v<>ph*"
        dashes = ["-", "--", "-", "-", "-", "-", "-", "-.", ":", "-"]
        handles = []
        for idx, (name, r) in enumerate(self.results.items()):
            h = r.history
            if not len(h):
                continue
            excess = np.maximum((h.objective - best) / best, floor)
            # later curves are drawn thinner with hollow markers, so that a
            # curve that coincides with an earlier one (newton on lloyd) shows both
            style = dict(marker=markers[idx % len(markers)], markersize=4 + 2 * (idx % 2),
                         linewidth=2.2 - 0.2 * idx if idx < 6 else 1.0, linestyle=dashes[idx % len(dashes)],
                         markerfacecolor="none" if idx % 2 else None,
                         label=f"{name} ({r.objective:.6g})")
            (line,) = axes[0].plot(h.passes, excess, **style)
            handles.append(line)
            axes[1].plot(np.maximum(h.seconds, 1e-6), excess, **style)
        for ax, xlabel in zip(axes, ("passes over the data", "seconds")):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("(objective - best) / best   (floor 1e-12)")
            ax.grid(True, which="major", alpha=0.3)
        fig.legend(handles=handles, loc="outside lower center", ncol=min(4, max(1, len(handles))), fontsize=8,
                   title="method (final objective)", title_fontsize=8)
        fig.suptitle(title or f"k-means objective, k={self.n_clusters}, best {best:.6g}")
        if path is not None:
            _save_atomically(fig, path, dpi)
        return fig


def _save_atomically(fig: Any, path: Any, dpi: float = 120) -> None:
    import os
    import tempfile
    from pathlib import Path

    path = Path(path)
    suffix = path.suffix or ".png"
    from ._io import output_mode

    fd, tmp = tempfile.mkstemp(prefix=".optimeans-", suffix=suffix, dir=str(path.parent or "."))
    os.close(fd)
    try:
        # mkstemp makes the file private (0600): keep the replaced file's mode, or the umask's
        os.chmod(tmp, os.stat(path).st_mode & 0o777 if path.exists() else output_mode())
        fig.savefig(tmp, dpi=dpi, format=suffix.lstrip("."))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _check_methods(methods: Sequence[str] | str) -> list[str]:
    if isinstance(methods, str):
        methods = [m.strip() for m in methods.split(",") if m.strip()]
    out: list[str] = []
    for m in methods:
        if not isinstance(m, str):
            raise TypeError(f"methods must be names (strings), got {m!r}")
        if m == "auto":
            raise ValueError("methods: 'auto' is not a method to compare; name the methods")
        if m not in out:
            out.append(m)
    if not out:
        raise ValueError("methods is empty; name at least one method")
    return out


def compare(
    X: Any,
    n_clusters: int,
    methods: Sequence[str] | str = DEFAULT_METHODS,
    *,
    init: Any = "k-means++",
    random_state: int | np.random.Generator | None = 0,
    max_iter: int = 300,
    tol: float = 1e-4,
    sample_weight: Any = None,
    n_threads: int | None = None,
    options: dict[str, dict[str, Any]] | None = None,
    warmup: bool = True,
) -> Comparison:
    """Run several methods from the same initial centers and compare them.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_clusters : int
    methods : sequence of str or comma-separated str, default all
        Method names (see :func:`optimeans.methods`). A method of
        :data:`DEFAULT_METHODS` that is not registered in this installation is
        skipped with a note in ``Comparison.skipped``; any other unknown name
        is an error.
    init : {"k-means++", "random"} or ndarray, default "k-means++"
        How to draw the one set of initial centers all methods share.
    random_state : int, Generator or None, default 0
        Seed of the initial centers and of the stochastic methods (each gets
        the same seed).
    max_iter, tol : as in :func:`optimeans.fit`, for every method.
    sample_weight : array-like of shape (n_samples,), optional
    n_threads : int, optional
        Default: every core, but one thread when the data fit in one chunk
        of 4096 rows (there is nothing to share, and waking threads at every
        pass would dominate the timings).
    options : dict of str to dict, optional
        Per-method options, e.g. ``{"sgd": {"records_per_epoch": 10}}``. By
        default ``minibatch`` uses ``batch_size = min(1024, ceil(n / 10))`` so that an
        epoch has at least 10 steps.
    warmup : bool, default True
        Run each method once on a few rows first, so that the seconds
        measured exclude the compilation (or cache loading) of its kernels.

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        Empty ``methods``, ``"auto"`` or an unknown name among them, options
        for a method not compared, and whatever :func:`optimeans.fit` refuses.

    Notes
    -----
    Each method costs what its own ``fit`` costs; the objective monitoring
    of the stochastic methods is not counted in their seconds nor passes.

    References
    ----------
    Bottou, L. and Bengio, Y. (1995). Convergence properties of the k-means
    algorithms. NIPS 7.
    """
    names = _check_methods(methods)
    options = dict(options or {})
    for key in options:
        if key not in names:
            raise ValueError(f"options given for {key!r}, which is not among the methods {names}")
    X = check_data(X)
    n, d = X.shape
    w = check_sample_weight(sample_weight, n, np.float64)
    k = check_n_clusters(n_clusters, X, w)
    rng, seed = check_random_state(random_state)
    c0 = np.asarray(init_centers(X, k, w, init, rng, n_threads=n_threads), dtype=np.float64)

    if n_threads is None and n <= CHUNK:
        # one chunk of rows: threads have nothing to share, and waking them at
        # every pass would dominate the seconds of the small-data methods
        n_threads = 1
    registered = set(solvers.available())
    unknown = [m for m in names if m not in registered and m not in DEFAULT_METHODS]
    if unknown:
        raise ValueError(
            f"unknown method(s) {', '.join(map(repr, unknown))}; choose among {', '.join(sorted(registered - {'auto'}))}"
        )
    results: dict[str, Result] = {}
    skipped: dict[str, str] = {}
    wall: dict[str, float] = {}
    for name in names:
        if name not in registered:
            skipped[name] = "not available in this installation (not registered)"
            continue
        opts = dict(_CURVE_OPTIONS.get(name, {}))
        if name == "minibatch":
            opts["batch_size"] = min(1024, max(1, math.ceil(n / 10)))
        opts.update(options.get(name, {}))
        if warmup:
            m = min(n, max(4 * k, 32))
            # the few rows would take the no-compile path: compile what the whole data will use
            path = contextlib.nullcontext() if _nocompile.is_small(n, k, X.shape[1]) else _nocompile.kernels_only()
            with warnings.catch_warnings(), path:
                warnings.simplefilter("ignore")
                fit(X[:m], k, method=name, init=c0, max_iter=2, tol=tol, random_state=seed,
                    n_threads=n_threads, **opts)
        t0 = time.perf_counter()
        res = fit(X, k, method=name, init=c0, n_init=1, max_iter=max_iter, tol=tol, sample_weight=w,
                  random_state=seed, n_threads=n_threads, **opts)
        wall[name] = time.perf_counter() - t0
        results[name] = res
    return Comparison(results=results, skipped=skipped, centers_init=c0, seed=seed, n_clusters=k,
                      wall_seconds=wall)
