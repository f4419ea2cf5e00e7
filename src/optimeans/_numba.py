"""The one place where optimeans decides how Numba compiles its kernels.

Policy (see STYLE.md):

* caching is on by default, so later processes load compiled kernels from
  ``__pycache__``; set ``OPTIMEANS_NUMBA_CACHE=0`` to switch it off;
* no eager type signatures: kernels are compiled for the dtypes they meet
  (float32 and float64 each get their own specialisation);
* no blanket ``fastmath``: kernels that use ``inf`` sentinels or guards must keep
  IEEE semantics; a kernel that wants reassociation asks for
  ``FASTMATH_SAFE`` explicitly (no ``nnan``/``ninf``);
* the number of threads is changed only inside :func:`numba_threads`, which
  restores the previous value.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

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
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(old)
