"""The one place where optimeans decides how Numba compiles its kernels.

Policy (see STYLE.md):

* caching is on by default, so later processes load compiled kernels from
  the cache; set ``OPTIMEANS_NUMBA_CACHE=0`` to switch it off;
* no eager type signatures: kernels are compiled for the dtypes they meet
  (float32 and float64 each get their own specialisation);
* no blanket ``fastmath``: kernels that use ``inf`` sentinels or guards must keep
  IEEE semantics; a kernel that wants reassociation asks for
  ``FASTMATH_SAFE`` explicitly (no ``nnan``/``ninf``);
* the number of threads is changed only inside :func:`numba_threads`, which
  restores the previous value;
* :class:`CompileWatch` tells whether (and what) Numba compiles, for the
  "preparing..." message and ``optimeans warmup``.

Where the cache lives: beside the sources (``__pycache__``) when that
directory is writable; otherwise Numba falls back to a per-user directory
(``~/.cache/numba`` or ``$XDG_CACHE_HOME/numba`` on Linux, keyed by the package's
path); ``NUMBA_CACHE_DIR`` overrides both.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator

import numba

_CACHE = os.environ.get("OPTIMEANS_NUMBA_CACHE", "1").lower() not in ("0", "false", "no")

#: fastmath flags that allow reassociation and contraction but keep NaN/inf semantics.
FASTMATH_SAFE = {"contract", "reassoc", "nsz", "arcp"}


def njit(*args, **kwargs):
    """``numba.njit`` with the project's defaults (``cache``, ``nogil``)."""
    kwargs.setdefault("cache", _CACHE)
    kwargs.setdefault("nogil", True)
    if args and callable(args[0]) and len(args) == 1:
        return numba.njit(**kwargs)(args[0])
    return numba.njit(*args, **kwargs)


def pjit(*args, **kwargs):
    """A parallel kernel: ``njit(parallel=True)`` with the project's defaults."""
    kwargs.setdefault("parallel", True)
    return njit(*args, **kwargs)


prange = numba.prange


class CompileWatch:
    """Sees Numba compile: counts the compilations that start while it is installed.

    A kernel loaded from the cache is not a compilation (Numba fires no event
    for it), so ``count == 0`` after a call means everything it needed was
    compiled already, in this process or in the cache. ``on_compile`` (if
    given) is called, in the compiling thread, when a compilation starts.
    ``records`` lists ``(function name, seconds)`` of the outermost ones.

    Use as a context manager (``with CompileWatch() as w: ...``).
    """

    def __init__(self, on_compile: "Callable[[], object] | None" = None) -> None:
        from numba.core import event

        self.count = 0
        self.records: list[tuple[str, float]] = []
        self._on_compile = on_compile
        self._stack: list[float] = []
        watch = self

        class _Listener(event.Listener):
            def on_start(self, ev) -> None:
                watch.count += 1
                watch._stack.append(time.perf_counter())
                if watch._on_compile is not None:
                    watch._on_compile()

            def on_end(self, ev) -> None:
                t0 = watch._stack.pop() if watch._stack else time.perf_counter()
                if not watch._stack:
                    disp = (ev.data or {}).get("dispatcher")
                    fn = getattr(disp, "py_func", None)
                    name = getattr(fn, "__qualname__", repr(disp))
                    watch.records.append((name, time.perf_counter() - t0))

        self._listener = _Listener()
        self._installed = False

    def install(self) -> "CompileWatch":
        from numba.core import event

        if not self._installed:
            event.register("numba:compile", self._listener)
            self._installed = True
        return self

    def remove(self) -> None:
        from numba.core import event

        if self._installed:
            event.unregister("numba:compile", self._listener)
            self._installed = False

    def __enter__(self) -> "CompileWatch":
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.remove()


def max_threads() -> int:
    """The largest thread count Numba can use in this process."""
    return int(numba.config.NUMBA_NUM_THREADS)


def resolve_n_threads(n_threads: int | None) -> int:
    """Turn the user's ``n_threads`` into a count in ``[1, max_threads()]``.

    ``None`` or ``-1`` means every core; negative ``-m`` means ``max + 1 - m``
    as in joblib.
    """
    top = max_threads()
    if n_threads is None:
        return top
    if isinstance(n_threads, bool) or not isinstance(n_threads, (int,)) and not hasattr(n_threads, "__index__"):
        raise TypeError(f"n_threads must be an integer or None, got {n_threads!r}")
    n = int(n_threads)
    if n == 0:
        raise ValueError("n_threads must be a non-zero integer or None, got 0")
    if n < 0:
        n = top + 1 + n
    return max(1, min(n, top))


@contextlib.contextmanager
def numba_threads(n_threads: int | None) -> Iterator[int]:
    """Run the block with ``n_threads`` Numba threads, then restore the old count."""
    n = resolve_n_threads(n_threads)
    old = numba.get_num_threads()
    if old == n:  # as in every pass of a block task: two calls fewer
        yield n
        return
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(old)


#: One controller of the loaded BLAS and OpenMP libraries, rebuilt when modules
#: were imported since (a new extension can bring its own library). Building one
#: walks every loaded shared object (about 1 ms); limiting through it costs 50 us.
_CONTROLLER: list = [None, -1]


@contextlib.contextmanager
def native_threads(n_threads: int, blas: int | None = 1) -> Iterator[None]:
    """Run the block with one BLAS thread and ``n_threads`` OpenMP threads, then restore both pools.

    The fit's own BLAS calls are small (weighted sums, dot products of length
    ``n_samples`` for the objective). Unlimited, OpenBLAS ran them on every
    core and its idle workers then spun: with ``n_threads=1`` the process
    used twice its wall time in CPU (50000x2, k = 10). One BLAS thread also
    keeps those sums in one order, so the objective has the same bits on any
    ``n_threads`` (a dot product split over two threads is summed in another
    order). Branch and bound, whose SDP bounds are BLAS work, passes
    ``blas=None``: BLAS keeps its own thread count, the same whatever
    ``n_threads`` (so the bounds, and the tree they prune, have the same bits
    on 1 and on 2 threads; limiting BLAS to ``n_threads`` broke that). ``n_threads`` is a resolved count; OpenMP runs Numba's
    parallel kernels when its threading layer is ``omp``.
    """
    # Numba's first compile imports scipy.linalg (its BLAS bindings), which loads
    # a second OpenBLAS: load it now so that the controller limits it too
    import scipy.linalg  # noqa: F401

    from threadpoolctl import ThreadpoolController

    if _CONTROLLER[1] != len(sys.modules):
        _CONTROLLER[0], _CONTROLLER[1] = ThreadpoolController(), len(sys.modules)
    limits = {"openmp": n_threads} if blas is None else {"blas": blas, "openmp": n_threads}
    with _CONTROLLER[0].limit(limits=limits):
        yield
