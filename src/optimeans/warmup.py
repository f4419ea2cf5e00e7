"""Compile optimeans's Numba kernels ahead of time: ``python -m optimeans.warmup``.

Small problems run without compiling anything (:mod:`optimeans._nocompile`);
larger ones compile each kernel on its first use, once per dtype, and Numba
keeps the result in its cache for later processes. :func:`warmup` runs every
default method on small synthetic data with the compiled kernels forced, for
both dtypes, so that later processes find everything in the cache: useful in
a Docker build step or after ``pip install`` on a shared machine.

Each step reports how many kernels it compiled (a kernel loaded from the
cache does not count) and its time; running it twice compiles nothing the
second time. The cache goes where Numba puts it: beside the installed
sources when they are writable, else in the user's cache directory
(``~/.cache/numba``), or in ``NUMBA_CACHE_DIR`` when set.

Examples
--------
::

    python -m optimeans.warmup
    optimeans warmup --dtypes float64 --methods lloyd,hartigan
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import numpy as np

__all__ = ["warmup", "STEPS", "DTYPES", "main"]

DTYPES = ("float64", "float32")


def _blobs(n: int, d: int, k: int, dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(0.0, 6.0, size=(k, d))
    return (centers[rng.integers(0, k, n)] + rng.normal(size=(n, d))).astype(dtype)


def _fit(method: str, n: int = 400, d: int = 5, k: int = 3, **kw: Any) -> Callable[[str], None]:
    def step(dtype: str) -> None:
        import optimeans

        X = _blobs(n, d, k, dtype)
        optimeans.fit(X, k, method=method, n_init=1, max_iter=3, random_state=0, **kw)

    return step


def _lloyd_and_predict(dtype: str) -> None:
    import optimeans

    X = _blobs(400, 5, 3, dtype)
    w = np.linspace(0.5, 2.0, X.shape[0])
    model = optimeans.KMeans(3, random_state=0, n_init=1, max_iter=3).fit(X, sample_weight=w)
    model.predict(X)


#: (step name, the methods it stands for, function of the dtype), in order.
STEPS: list[tuple[str, tuple[str, ...], Callable[[str], None]]] = [
    ("k-means++, Lloyd (k < 16), predict", ("lloyd", "auto"), _lloyd_and_predict),
    ("Lloyd, 8-center scan (k >= 16, d < 16)", ("lloyd", "auto"), _fit("lloyd", 400, 5, 16)),
    ("Lloyd, 16-center scan (k >= 16, d >= 16)", ("lloyd", "auto"), _fit("lloyd", 400, 16, 16)),
    ("hamerly (auto for k d >= 8192)", ("hamerly", "auto"), _fit("hamerly", 600, 64, 128)),
    ("exact 1-D (auto for one feature)", ("exact", "auto"), _fit("exact", 200, 1, 3)),
    ("hartigan", ("hartigan",), _fit("hartigan")),
    ("newton", ("newton",), _fit("newton")),
    ("gd", ("gd",), _fit("gd")),
    ("sgd", ("sgd",), _fit("sgd")),
    ("minibatch", ("minibatch",), _fit("minibatch", batch_size=64)),
    # one kernel per scan blocking, with or without the threaded batches (parallel_min_work=0
    # stands for batches of batch_size * k * d >= 2**25)
    ("minibatch, threaded batches", ("minibatch",), _fit("minibatch", batch_size=64, parallel_min_work=0)),
    ("minibatch, 8-center scan (k >= 16, d < 16)", ("minibatch",), _fit("minibatch", 400, 5, 16, batch_size=64)),
    ("minibatch, 8-center scan, threaded", ("minibatch",),
     _fit("minibatch", 400, 5, 16, batch_size=64, parallel_min_work=0)),
    ("minibatch, 16-center scan (k >= 16, d >= 16)", ("minibatch",), _fit("minibatch", 400, 16, 16, batch_size=64)),
    ("minibatch, 16-center scan, threaded", ("minibatch",),
     _fit("minibatch", 400, 16, 16, batch_size=64, parallel_min_work=0)),
    ("soft", ("soft",), _fit("soft")),
    ("soft, parallel (more than 4096 rows)", ("soft", "annealing"), _fit("soft", 5000)),
    ("annealing", ("annealing",), _fit("annealing")),
    ("global", ("global",), _fit("global", 200, 2, 3)),
]


def warmup(
    dtypes: Sequence[str] = DTYPES,
    methods: Sequence[str] | None = None,
    *,
    stream: TextIO | None = None,
) -> list[dict[str, Any]]:
    """Compile the kernels of ``methods`` (default: every step of :data:`STEPS`) for ``dtypes``.

    Parameters
    ----------
    dtypes : sequence of {"float64", "float32"}
    methods : sequence of method names, optional
        Only the steps that stand for one of them (``"auto"`` covers what
        ``method="auto"`` picks). Default: every step.
    stream : text stream, optional
        Where to print one line per step (nothing when None).

    Returns
    -------
    list of dict
        Per step and dtype: ``step``, ``dtype``, ``compiled`` (kernels compiled, 0
        when all came from the cache), ``seconds`` and ``error`` (None, or the
        message of the exception the step raised).

    Raises
    ------
    ValueError
        An unknown dtype or method name.
    """
    from ._nocompile import kernels_only
    from ._numba import CompileWatch

    bad = [t for t in dtypes if t not in DTYPES]
    if bad:
        raise ValueError(f"dtypes must be among {', '.join(DTYPES)}; got {bad[0]!r}")
    known = {m for _, ms, _ in STEPS for m in ms}
    if methods is not None:
        unknown = [m for m in methods if m not in known]
        if unknown:
            raise ValueError(f"warmup knows no method {unknown[0]!r}; choose among {', '.join(sorted(known))}")
    steps = [s for s in STEPS if methods is None or set(s[1]) & set(methods)]
    out: list[dict[str, Any]] = []
    for dtype in dtypes:
        for name, _, fn in steps:
            error = None
            t0 = time.perf_counter()
            with CompileWatch() as watch, kernels_only(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    fn(dtype)
                except Exception as exc:  # noqa: BLE001 - reported, the other steps still run
                    error = f"{type(exc).__name__}: {exc}"
            row = {"step": name, "dtype": dtype, "compiled": watch.count,
                   "seconds": time.perf_counter() - t0, "error": error}
            out.append(row)
            if stream is not None:
                tail = f"  FAILED: {error}" if error else ""
                print(f"{dtype:<8} {name:<42} {watch.count:4d} compiled {row['seconds']:7.1f} s{tail}",
                      file=stream, flush=True)
    if stream is not None:
        total = sum(r["compiled"] for r in out)
        secs = sum(r["seconds"] for r in out)
        print(f"{'total':<51} {total:4d} compiled {secs:7.1f} s; cache: {cache_location()}", file=stream)
    return out


def cache_location() -> str:
    """The directory where Numba keeps optimeans's compiled kernels in this process."""
    from ._kernels import lloyd

    try:
        return str(lloyd._lloyd_chunks0._cache._cache_path)
    except AttributeError:  # caching switched off (OPTIMEANS_NUMBA_CACHE=0)
        return "none (caching is off)"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m optimeans.warmup [--dtypes ...] [--methods ...] [--json]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m optimeans.warmup", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run(args)


def add_arguments(parser: Any) -> None:
    parser.add_argument("--dtypes", default=",".join(DTYPES),
                        help="comma-separated dtypes to compile for (default: float64,float32)")
    parser.add_argument("--methods", default=None,
                        help="comma-separated methods (default: every default method and compare's solvers)")
    parser.add_argument("--json", action="store_true", help="print the steps as JSON on stdout")


def run(args: Any) -> int:
    """Run the warmup for parsed arguments (:func:`add_arguments`); the exit status."""
    import json

    dtypes = [t.strip() for t in args.dtypes.split(",") if t.strip()]
    methods = None if args.methods is None else [m.strip() for m in args.methods.split(",") if m.strip()]
    try:
        rows = warmup(dtypes, methods, stream=None if args.json else sys.stdout)
    except ValueError as exc:
        print(f"optimeans warmup: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"steps": rows, "cache": cache_location()}, indent=1))
    return 1 if any(r["error"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
