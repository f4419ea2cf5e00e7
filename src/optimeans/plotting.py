"""Figures: clusters in the plane, convergence curves, landscapes, choosing k.

Needs matplotlib (``pip install "optimeans[plot]"``), imported on first use.
Figures are built on matplotlib's Agg canvas, never through ``pyplot``, so no
window opens and no global state changes; pass ``ax=`` to draw into your own
axes (a notebook's, a subplot grid's) instead.

Every function returns the :class:`matplotlib.figure.Figure` and takes
``save=PATH`` to write it (atomically: to a temporary file in the same
directory, then renamed, so an interrupted run never leaves half a file). The
figure size in pixels is ``figsize * dpi``.

>>> import optimeans, optimeans.plotting as oplt
>>> X = optimeans.datasets.load("iris")
>>> fig = oplt.plot_clusters(X, result=optimeans.fit(X, 3, random_state=0))  # doctest: +SKIP
>>> oplt.save(fig, "iris.png")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .projection import PROJECTIONS, Projection, project
from .result import History, Result

__all__ = [
    "plot_clusters",
    "plot_convergence",
    "plot_landscape",
    "plot_choose_k",
    "save",
    "landscape_arrays",
]

_HINT = 'optimeans.plotting needs matplotlib; install it with: pip install "optimeans[plot]"'


def _matplotlib():
    try:
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - exercised with matplotlib absent
        raise ImportError(_HINT) from exc
    return Figure, FigureCanvasAgg


def _new_figure(figsize: tuple[float, float], dpi: float, nrows: int = 1, ncols: int = 1):
    Figure, FigureCanvasAgg = _matplotlib()
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def _check_figsize(figsize: Any, dpi: Any) -> tuple[tuple[float, float], float]:
    try:
        w, h = (float(v) for v in figsize)
    except (TypeError, ValueError):
        raise TypeError(f"figsize must be a pair of numbers (inches), got {figsize!r}") from None
    if not (w > 0 and h > 0 and np.isfinite(w) and np.isfinite(h)):
        raise ValueError(f"figsize must be positive, got {figsize!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not dpi > 0:
        raise ValueError(f"dpi must be a positive number, got {dpi!r}")
    return (w, h), float(dpi)


def save(fig: Any, path: str | os.PathLike, *, dpi: float | None = None, format: str | None = None) -> str:
    """Write ``fig`` to ``path`` atomically and return the path.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or path-like
        The format follows the extension (``.png``, ``.svg``, ``.pdf``...)
        unless ``format`` is given.
    dpi : float, optional
        Defaults to the figure's own dpi, so the image has ``figsize * dpi``
        pixels.
    format : str, optional

    Raises
    ------
    ValueError
        An unknown format.
    OSError
        The directory does not exist or is not writable (nothing is left behind).

    Notes
    -----
    The image goes to a temporary file in the target directory, then
    ``os.replace`` renames it over ``path``: readers see the old file or the
    complete new one, never a partial file.
    """
    path = os.fspath(path)
    fmt = format or os.path.splitext(path)[1].lstrip(".").lower() or "png"
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise ValueError(f"cannot save a figure as {fmt!r}; use one of {', '.join(sorted(supported))}")
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        # mkstemp makes the file private (0600): keep the mode of the file
        # being replaced, or the umask's (rw-r--r-- with the usual 022) for a new one
        mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else _new_file_mode()
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format=fmt, dpi=fig.dpi if dpi is None else dpi)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _new_file_mode() -> int:
    from ._io import output_mode

    return output_mode()


def _finish(fig: Any, save_path: Any) -> Any:
    if save_path is not None:
        save(fig, save_path)
    return fig


def _colors(k: int) -> np.ndarray:
    """``k`` distinct RGBA colours (tab10, tab20, then a sampled hue circle)."""
    from matplotlib import colormaps

    if k <= 10:
        return colormaps["tab10"](np.arange(k))
    if k <= 20:
        return colormaps["tab20"](np.arange(k))
    return colormaps["hsv"](np.linspace(0, 1, k, endpoint=False))


# --------------------------------------------------------------------------- clusters


def plot_clusters(
    X: Any,
    labels: Any = None,
    centers: Any = None,
    *,
    result: Result | None = None,
    projection: str | Projection = "auto",
    centers_embedding: Any = None,
    ax: Any = None,
    title: str | None = None,
    feature_names: Sequence[str] | None = None,
    max_points: int | None = 20000,
    max_embed: int = 1000,
    random_state: int = 0,
    figsize: tuple[float, float] = (6.4, 4.8),
    dpi: float = 100,
    save: str | os.PathLike | None = None,
) -> Any:
    """Scatter plot of the data coloured by cluster, with the centers.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,), optional
        Cluster of each row (non-negative integers); without it all points
        are grey.
    centers : array-like of shape (n_clusters, n_features), optional
        Drawn as large crosses in the colour of their cluster.
    result : Result, optional
        Takes ``labels`` and ``centers`` from a fit (and puts ``k`` and the
        objective in the title).
    projection : {"auto", "none", "pca", "mds", "sammon"} or Projection
        How data with more than two features reaches the plane. "auto": the
        raw coordinates for 1 or 2 features (1 feature: value against a
        jitter), PCA otherwise. MDS and Sammon embed at most ``max_embed``
        rows (random, from ``random_state``) together with the centers; the
        Sammon stress is shown in the axis title. A precomputed
        :class:`~optimeans.projection.Projection` of ``X`` is used as is (its
        ``index`` says which rows it maps); a PCA map also maps the centers,
        other maps need ``centers_embedding``.
    centers_embedding : array-like of shape (n_clusters, 2), optional
        With a precomputed MDS or Sammon projection: the centers' coordinates
        in that map (the ``extra_embedding`` of
        :func:`~optimeans.projection.project`).
    ax : matplotlib Axes, optional
        Draw here; by default a new figure of ``figsize`` inches at ``dpi``.
    title : str, optional
    feature_names : sequence of str, optional
        Axis labels for unprojected data.
    max_points : int or None, default 20000
        Draw at most this many points (a random subset) so large data sets
        stay quick to plot and small to save.
    max_embed : int, default 1000
        Rows embedded by MDS and Sammon (``O(n^2)`` memory and time).
    random_state : int, default 0
    figsize, dpi
        Size of a new figure.
    save : path, optional
        Also write the figure there (see :func:`save`).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        Mismatched shapes, an unknown projection.
    ImportError
        matplotlib is missing (with the install hint).

    Notes
    -----
    PCA costs ``O(n d^2)``; MDS ``O(m^2 d + m^3)`` and Sammon ``O(m^2)`` per
    iteration for ``m = min(n, max_embed)``.
    """
    from ._validation import check_data

    X = check_data(X).astype(np.float64, copy=False)
    n, d = X.shape
    if result is not None:
        labels = result.labels if labels is None else labels
        centers = result.centers if centers is None else centers
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (n,):
            raise ValueError(f"labels must have shape ({n},), got {labels.shape}")
        if labels.dtype.kind not in "iu" or (labels < 0).any():
            raise ValueError("labels must be non-negative integers")
        labels = labels.astype(np.int64)
    C = None
    if centers is not None:
        C = check_data(centers, name="centers").astype(np.float64, copy=False)
        if C.shape[1] != d:
            raise ValueError(f"centers have {C.shape[1]} features but X has {d}")
    k = 0
    if labels is not None:
        k = int(labels.max()) + 1
    if C is not None:
        k = max(k, C.shape[0])
    figsize, dpi = _check_figsize(figsize, dpi)

    # --- coordinates in the plane
    note = ""
    xlabel, ylabel = "", ""
    index = np.arange(n)
    projected = True
    one_d = False
    if isinstance(projection, Projection):
        P = projection
        if P.embedding.shape[1] < 2:
            raise ValueError("the projection must have at least 2 components")
        index = P.index
        Y = P.embedding[:, :2]
        if centers_embedding is not None:
            Yc = np.asarray(centers_embedding, dtype=np.float64)
            if Yc.ndim != 2 or Yc.shape[1] < 2 or (C is not None and Yc.shape[0] != C.shape[0]):
                raise ValueError(f"centers_embedding must have shape (n_clusters, 2), got {Yc.shape}")
            Yc = Yc[:, :2]
        elif C is not None and P.components is not None:
            Yc = P.transform(C)[:, :2]
        else:
            Yc = None
        note, xlabel, ylabel = _projection_note(P)
    else:
        if not isinstance(projection, str) or projection not in ("auto", "none", *PROJECTIONS):
            raise ValueError(f"projection must be 'auto', 'none', one of {', '.join(PROJECTIONS)} or a Projection, got {projection!r}")
        method = projection
        if method == "auto":
            method = "none" if d <= 2 else "pca"
        if method == "none":
            projected = False
            if d > 2:
                raise ValueError(f"projection='none' needs at most 2 features, X has {d}")
            names = list(feature_names) if feature_names is not None else [f"feature {j}" for j in range(d)]
            if d == 2:
                Y, Yc = X, C
                xlabel, ylabel = names[0], names[1]
            else:
                jit = np.random.default_rng(random_state).uniform(-0.3, 0.3, size=n)
                base = labels.astype(float) if labels is not None else np.zeros(n)
                Y = np.column_stack([X[:, 0], base + jit])
                Yc = None if C is None else np.column_stack([C[:, 0], np.arange(C.shape[0], dtype=float)])
                xlabel, ylabel = names[0], "cluster (jittered)" if labels is not None else "jitter"
                one_d = True
        else:
            P, Yc = project(X, method, 2, max_samples=max_embed, random_state=random_state, extra=C)
            index = P.index
            Y = P.embedding
            note, xlabel, ylabel = _projection_note(P)

    lab = labels[index] if labels is not None else None
    # --- subsample what is drawn
    if max_points is not None and Y.shape[0] > max_points:
        pick = np.sort(np.random.default_rng(random_state).choice(Y.shape[0], max_points, replace=False))
        Y = Y[pick]
        lab = lab[pick] if lab is not None else None
        note = (note + "; " if note else "") + f"{max_points} of {len(index)} points shown"

    if ax is None:
        fig, axes = _new_figure(figsize, dpi)
        ax = axes[0, 0]
    else:
        fig = ax.figure
    size = float(np.clip(3000.0 / max(Y.shape[0], 1), 2.0, 30.0))
    if lab is None:
        ax.scatter(Y[:, 0], Y[:, 1], s=size, c="0.45", alpha=0.7, linewidths=0)
    else:
        cols = _colors(k)
        counts = np.bincount(labels, minlength=k)
        for j in range(k):
            sel = lab == j
            if not sel.any():
                continue
            ax.scatter(Y[sel, 0], Y[sel, 1], s=size, color=cols[j], alpha=0.75, linewidths=0,
                       label=f"{j} (n={counts[j]})")
    if Yc is not None:
        cols = _colors(k)
        ax.scatter(Yc[:, 0], Yc[:, 1], s=160, marker="X", c=cols[: Yc.shape[0]], edgecolors="black",
                   linewidths=1.2, zorder=3, label="centers")
    if lab is not None and k <= 12:
        ax.legend(loc="best", fontsize="small", markerscale=1.0, framealpha=0.8, title="cluster")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if one_d:
        ax.set_yticks(range(k) if labels is not None and k <= 30 else [])
    if title is None:
        title = "clusters" if k == 0 else f"k = {k}"
        if result is not None:
            title += f", objective {result.objective:.6g}"
    ax.set_title(title + (f"\n{note}" if note else ""), fontsize="medium")
    if projected:
        # distances in a map are what it shows: keep one unit the same both ways
        ax.set_aspect("equal", adjustable="datalim")
    return _finish(fig, save)


def _projection_note(P: Projection) -> tuple[str, str, str]:
    if P.method == "pca":
        return (f"PCA map, {100 * (P.explained or 0):.1f} % of the variance", "PC 1", "PC 2")
    if P.method == "mds":
        return (f"classical MDS, {100 * (P.explained or 0):.1f} % of the variance; Sammon stress {P.stress:.4f}",
                "MDS 1", "MDS 2")
    return (f"Sammon map, stress {P.stress:.4f}", "Sammon 1", "Sammon 2")


# --------------------------------------------------------------------------- convergence


_X_AXES = {"iterations": "iteration", "passes": "passes over the data", "seconds": "seconds"}


def _as_runs(runs: Any, labels: Sequence[str] | None) -> list[tuple[str, History]]:
    if isinstance(runs, (Result, History)):
        runs = [runs]
    if isinstance(runs, Mapping):
        items = list(runs.items())
    else:
        try:
            seq = list(runs)
        except TypeError:
            raise TypeError(f"runs must be a Result, a History, a sequence or a dict of them, got {type(runs).__name__}") from None
        if labels is not None:
            if len(labels) != len(seq):
                raise ValueError(f"labels has {len(labels)} names for {len(seq)} runs")
            items = list(zip(labels, seq))
        else:
            items = [((r.method if isinstance(r, Result) else f"run {i}"), r) for i, r in enumerate(seq)]
            names = [name for name, _ in items]
            if len(set(names)) < len(names):
                items = [(f"{name} #{i}", r) for i, (name, r) in enumerate(items)]
    out = []
    for name, r in items:
        h = r.history if isinstance(r, Result) else r
        if not isinstance(h, History):
            raise TypeError(f"run {name!r} is a {type(r).__name__}, not a Result or History")
        if len(h) == 0:
            raise ValueError(f"run {name!r} has an empty history")
        out.append((str(name), h))
    if not out:
        raise ValueError("no runs to plot")
    return out


def plot_convergence(
    runs: Any,
    *,
    x: str | Sequence[str] = "iterations",
    y: str = "objective",
    labels: Sequence[str] | None = None,
    ax: Any = None,
    title: str | None = None,
    logy: bool | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: float = 100,
    save: str | os.PathLike | None = None,
) -> Any:
    """Objective against iterations, passes over the data or seconds, for several runs.

    Parameters
    ----------
    runs : Result, History, sequence of them, or dict name -> Result/History
        The runs, drawn in one axes each per ``x`` (a line and markers each).
        Names come from the dict keys, ``labels``, or the ``Result.method``.
    x : {"iterations", "passes", "seconds"} or a sequence of them
        The horizontal axis; several give side-by-side panels sharing ``y``.
    y : {"objective", "excess", "to_final"}, default "objective"
        "excess" plots ``objective - best``, the best objective reached by any
        of the runs, on a log scale (a run that reaches ``best`` ends at the
        floor ``1e-15 * max(|best|, 1)``). "to_final" plots each run's
        distance to its own final objective (log scale, last point left out):
        the rate of convergence even when runs end in different minima.
    labels : sequence of str, optional
    ax : Axes or sequence of Axes, optional
        One per entry of ``x``.
    title : str, optional
    logy : bool, optional
        Log scale for ``y`` (default: for "excess" and "to_final").
    figsize : (float, float), optional
        Default: 4.8 x 4.4 inches per panel, plus room for the legend.
    dpi : float, default 100
    save : path, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        Unknown ``x`` or ``y``, empty histories, as many ``ax`` as ``x``
        entries missing.

    Notes
    -----
    ``History`` index 0 is the state after the first iteration or the initial
    state, as the solver records it; the curves show what was recorded.
    """
    xs = [x] if isinstance(x, str) else list(x)
    for v in xs:
        if v not in _X_AXES:
            raise ValueError(f"x must be one of {', '.join(_X_AXES)} (or a list of them), got {v!r}")
    if y not in ("objective", "excess", "to_final"):
        raise ValueError(f"y must be 'objective', 'excess' or 'to_final', got {y!r}")
    items = _as_runs(runs, labels)
    if logy is None:
        logy = y != "objective"
    if figsize is None:
        figsize = (4.8 * len(xs) + 1.6, 4.4)
    figsize, dpi = _check_figsize(figsize, dpi)
    if ax is None:
        fig, grid = _new_figure(figsize, dpi, 1, len(xs))
        axes = list(grid[0])
    else:
        axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
        axes = list(np.ravel(np.asarray(axes, dtype=object)))
        if len(axes) != len(xs):
            raise ValueError(f"got {len(axes)} axes for {len(xs)} x-axes {xs}")
        fig = axes[0].figure
    best = min(float(np.min(h.objective)) for _, h in items)
    floor = max(abs(best), 1.0) * 1e-15
    styles = ["-", "--", "-.", ":"]
    markers = ["o", "s", "^", "D", "v", "P"]
    for a, xv in zip(axes, xs):
        for r, (name, h) in enumerate(items):
            vals = np.asarray(h.objective, dtype=float)
            if xv == "iterations":
                xx = np.arange(len(vals), dtype=float)
            elif xv == "passes":
                xx = np.asarray(h.passes, dtype=float)
            else:
                xx = np.asarray(h.seconds, dtype=float)
            if y == "excess":
                vals = np.maximum(vals - best, floor)
            elif y == "to_final":
                # the last point is the reference itself (0): left out
                vals, xx = vals[:-1] - vals[-1], xx[:-1]
                vals = np.maximum(vals, max(abs(h.objective[-1]), 1.0) * 1e-15)
            # distinct line styles keep coinciding runs (Lloyd and Newton) visible
            a.plot(xx, vals, marker=markers[r % len(markers)], markersize=3.5, linewidth=1.4,
                   linestyle=styles[r % len(styles)], label=name, alpha=0.9)
        a.set_xlabel(_X_AXES[xv])
        a.set_ylabel({"objective": "objective", "excess": "objective - best",
                      "to_final": "objective - final objective"}[y])
        if logy:
            a.set_yscale("log")
        a.grid(True, alpha=0.3)
    axes[0].legend(fontsize="small")
    if title is None:
        title = "convergence" + (f" (best objective {best:.6g})" if y == "excess" else "")
    if len(axes) == 1:
        axes[0].set_title(title, fontsize="medium")
    else:
        fig.suptitle(title, fontsize="medium")
    return _finish(fig, save)


# --------------------------------------------------------------------------- landscape


def landscape_arrays(partitions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalize a description of every partition to three arrays.

    Parameters
    ----------
    partitions : one of
        * a sequence of tuples ``(objective, is_lloyd_fixed_point,
          is_single_move_stable)``, one per partition;
        * a mapping or object with arrays ``objective`` (or ``objectives``),
          ``lloyd_fixed`` (or ``is_lloyd_fixed_point`` / ``lloyd``) and
          ``hartigan_stable`` (or ``single_move_stable`` /
          ``is_single_move_stable``), such as the
          :class:`~optimeans.exact.Landscape` of
          :func:`optimeans.exact.enumerate_partitions`.

    Returns
    -------
    objective : ndarray of float, shape (n_partitions,)
    lloyd_fixed : ndarray of bool
        The partition is a fixed point of Lloyd's iteration (every point is
        nearest to its own cluster's mean).
    single_move_stable : ndarray of bool
        No single point moved to another cluster lowers the objective (a
        local minimum of Hartigan's moves; these are also Lloyd fixed points).

    Raises
    ------
    ValueError, TypeError
        Anything else.
    """
    def pick(obj: Any, names: tuple[str, ...]) -> Any:
        for nm in names:
            if isinstance(obj, Mapping) and nm in obj:
                return obj[nm]
            if not isinstance(obj, Mapping) and hasattr(obj, nm):
                return getattr(obj, nm)
        return None

    obj = pick(partitions, ("objective", "objectives"))
    if obj is not None and not isinstance(partitions, (list, tuple)):
        lloyd = pick(partitions, ("lloyd_fixed", "is_lloyd_fixed_point", "lloyd_fixed_point", "lloyd"))
        single = pick(partitions, ("single_move_stable", "is_single_move_stable", "hartigan_stable", "hartigan"))
        if lloyd is None or single is None:
            raise ValueError("partitions has objectives but no lloyd_fixed / single_move_stable flags")
        o, l, s = np.asarray(obj, float), np.asarray(lloyd, bool), np.asarray(single, bool)
    else:
        try:
            rows = [tuple(r) for r in partitions]
        except TypeError:
            raise TypeError(
                "partitions must be (objective, is_lloyd_fixed_point, is_single_move_stable) tuples "
                f"or an object with those arrays, got {type(partitions).__name__}"
            ) from None
        if not rows:
            raise ValueError("partitions is empty")
        if any(len(r) < 3 for r in rows):
            raise ValueError("each partition must be (objective, is_lloyd_fixed_point, is_single_move_stable)")
        o = np.array([float(r[0]) for r in rows])
        l = np.array([bool(r[1]) for r in rows])
        s = np.array([bool(r[2]) for r in rows])
    if not (o.shape == l.shape == s.shape) or o.ndim != 1:
        raise ValueError(f"objective, lloyd and single-move flags must be 1-D of one length, got {o.shape}, {l.shape}, {s.shape}")
    if o.size == 0:
        raise ValueError("partitions is empty")
    if not np.isfinite(o).all():
        raise ValueError("partition objectives must be finite")
    return o, l, s


def plot_landscape(
    partitions: Any,
    *,
    ax: Any = None,
    title: str | None = None,
    logx: bool = True,
    figsize: tuple[float, float] = (6.4, 4.8),
    dpi: float = 100,
    save: str | os.PathLike | None = None,
) -> Any:
    """The objective of every partition of a tiny data set, local minima marked.

    Partitions are sorted by objective and drawn as a curve (rank 1 = the
    global minimum); Lloyd fixed points and single-move (Hartigan) local
    minima are marked on it, and the global minimum starred. Gaps between the
    marks show how far a local minimum can sit above the global one.

    Parameters
    ----------
    partitions : see :func:`landscape_arrays`
        For example the :class:`~optimeans.exact.Landscape` that
        :func:`optimeans.exact.enumerate_partitions` returns.
    ax : Axes, optional
    title : str, optional
    logx : bool, default True
        Log scale for the rank, which spreads out the low ranks where the
        minima are.
    figsize, dpi, save
        As in :func:`plot_clusters`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    o, lloyd, single = landscape_arrays(partitions)
    figsize, dpi = _check_figsize(figsize, dpi)
    order = np.argsort(o, kind="stable")
    o, lloyd, single = o[order], lloyd[order], single[order]
    rank = np.arange(1, o.size + 1)
    if ax is None:
        fig, axes = _new_figure(figsize, dpi)
        ax = axes[0, 0]
    else:
        fig = ax.figure
    n_total = getattr(partitions, "n_partitions", None)
    if isinstance(n_total, (int, np.integer)) and n_total > o.size:
        # e.g. enumerate_partitions(..., keep="lloyd"): only some partitions were kept
        curve_label = f"{o.size} kept of {int(n_total)} partitions"
    else:
        curve_label = f"all {o.size} partitions"
    ax.plot(rank, o, color="0.6", linewidth=1.5, label=curve_label, zorder=1)
    only_lloyd = lloyd & ~single
    ax.scatter(rank[only_lloyd], o[only_lloyd], s=36, marker="o", facecolors="none", edgecolors="tab:blue",
               linewidths=1.4, label=f"Lloyd fixed points ({int(lloyd.sum())})", zorder=3)
    ax.scatter(rank[single], o[single], s=40, marker="v", color="tab:red",
               label=f"single-move local minima ({int(single.sum())})", zorder=4)
    # the star goes under the other marks, which stay visible inside it
    ax.scatter(rank[:1], o[:1], s=400, marker="*", color="gold", edgecolors="black", linewidths=0.8,
               label=f"global minimum {o[0]:.6g}", zorder=2)
    if logx and o.size > 1:
        ax.set_xscale("log")
    ax.set_xlabel("partitions sorted by objective (rank)")
    ax.set_ylabel("objective")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", loc="lower right")
    ax.set_title(title or "landscape of the k-means objective", fontsize="medium")
    return _finish(fig, save)


# --------------------------------------------------------------------------- choosing k


_PANELS = {
    "objective": "objective (within-cluster SS)",
    "silhouette": "mean silhouette",
    "gap": "gap statistic",
    "bic": "BIC (spherical GMM)",
}


def plot_choose_k(
    result: Any,
    *,
    criteria: Sequence[str] = ("objective", "silhouette", "gap", "bic"),
    ax: Any = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: float = 100,
    save: str | os.PathLike | None = None,
) -> Any:
    """The criteria of :func:`optimeans.choose_k` against ``k``, one panel each.

    Parameters
    ----------
    result : ChooseKResult
    criteria : sequence of {"objective", "silhouette", "gap", "bic"}
        Panels, in order (the objective panel also draws the lower bound when
        the result has one). Criteria with no value at any ``k`` are skipped.
    ax : Axes or sequence of Axes, optional
        One per drawn criterion.
    title : str, optional
        Default: the recommended ``k`` and its rule.
    figsize : (float, float), optional
        Default: a 2-column grid, 3.6 x 3 inches per panel.
    dpi : float, default 100
    save : path, optional

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The recommended ``k`` is a dashed vertical line in every panel; each
    criterion's own choice is circled. The gap panel has ``+- s_k`` error bars.
    """
    from .choose_k import ChooseKResult

    if not isinstance(result, ChooseKResult):
        raise TypeError(f"result must be a ChooseKResult (from optimeans.choose_k), got {type(result).__name__}")
    ks = np.asarray(result.k)
    series = {
        "objective": result.objective,
        "silhouette": result.silhouette,
        "gap": result.gap,
        "bic": result.bic,
    }
    for c in criteria:
        if c not in series:
            raise ValueError(f"criteria must be among {', '.join(series)}, got {c!r}")
    drawn = [c for c in criteria if any(v is not None for v in series[c])]
    if not drawn:
        raise ValueError("none of the requested criteria has a value")
    ncols = 1 if len(drawn) == 1 else 2
    nrows = (len(drawn) + ncols - 1) // ncols
    if figsize is None:
        figsize = (3.6 * ncols + 0.8, 3.0 * nrows + 0.6)
    figsize, dpi = _check_figsize(figsize, dpi)
    if ax is None:
        fig, grid = _new_figure(figsize, dpi, nrows, ncols)
        axes = list(grid.ravel())
        for extra in axes[len(drawn):]:
            extra.set_visible(False)
        axes = axes[: len(drawn)]
    else:
        axes = list(np.ravel(np.asarray(ax if isinstance(ax, (list, tuple, np.ndarray)) else [ax], dtype=object)))
        if len(axes) != len(drawn):
            raise ValueError(f"got {len(axes)} axes for {len(drawn)} criteria {drawn}")
        fig = axes[0].figure
    picks = dict(result.picks)
    picks.setdefault("objective", None)
    for a, c in zip(axes, drawn):
        vals = np.array([np.nan if v is None else float(v) for v in series[c]])
        if c == "gap":
            se = np.array([np.nan if v is None else float(v) for v in result.gap_se])
            a.errorbar(ks, vals, yerr=se, marker="o", markersize=4, capsize=3, linewidth=1.4, color="tab:blue")
        else:
            a.plot(ks, vals, marker="o", markersize=4, linewidth=1.4, color="tab:blue", label=c)
        if c == "objective" and any(v is not None for v in result.lower_bound):
            lb = np.array([np.nan if v is None else float(v) for v in result.lower_bound])
            a.plot(ks, lb, marker=".", linestyle="--", color="tab:green", label="lower bound")
            a.legend(fontsize="small")
        a.axvline(result.recommended, color="tab:red", linestyle="--", linewidth=1.0, alpha=0.8)
        pk = picks.get(c)
        if pk is not None:
            i = int(np.flatnonzero(ks == pk)[0])
            a.scatter([pk], [vals[i]], s=140, facecolors="none", edgecolors="tab:red", linewidths=1.6, zorder=3)
        a.set_xlabel("k")
        a.set_title(_PANELS[c], fontsize="medium")
        a.set_xticks(ks if len(ks) <= 15 else ks[:: max(1, len(ks) // 10)])
        a.grid(True, alpha=0.3)
    if title is None:
        rule = {"gap": "gap statistic, 1-SE rule", "silhouette": "largest silhouette", "bic": "smallest BIC"}
        title = f"recommended k = {result.recommended} ({rule.get(result.criterion, result.criterion)}; dashed line)"
    fig.suptitle(title, fontsize="medium")
    return _finish(fig, save)
