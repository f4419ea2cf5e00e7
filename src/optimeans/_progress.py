"""A progress line on stderr for long runs, fed by the solvers' callback.

Solvers never print; they call ``callback(iteration, objective)`` after each
iteration. :class:`Progress` is such a callback: it stays silent for the first
``delay`` seconds (short runs print nothing), then shows the restart, the
iteration and the objective. On a terminal the line is rewritten in place
(``\\r``) at most ``refresh`` times a second and erased at the end; elsewhere
(a log file, a pipe) a plain line is written every ``log_every`` seconds.
It never writes to stdout, so ``--json`` output stays clean.

Used as a context manager, it also says "preparing..." when Numba is
compiling and no iteration has finished after ``delay`` seconds: the first run
after installation compiles the kernels it needs, and a silent terminal for
ten seconds looks like a hang. Compilation is seen through Numba's compile
events (:class:`optimeans._numba.CompileWatch`); kernels loaded from the
cache fire none, so a slow first iteration on a warm cache (big data) shows
no such message.

It also remembers where the run is (restart, iteration, objective), which the
command line reports when Ctrl-C stops a run.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress"]


def _clock() -> float:
    return time.monotonic()


class Progress:
    """Callback ``(iteration, objective) -> False`` that reports progress on a stream.

    Parameters
    ----------
    n_restarts : int
        Restarts the run will make (shown as ``restart r/n``).
    max_iter : int, optional
        Iteration budget of each restart, shown when known.
    stream : text stream, default ``sys.stderr``
    enabled : bool, default True
        False records the position but prints nothing (``--quiet``).
    delay : float, default 1.0
        Seconds before the first output.
    refresh : float, default 0.1
        Minimum seconds between two updates of the in-place line.
    log_every : float, default 5.0
        Seconds between two lines when the stream is not a terminal.
    clock : callable, optional
        Seconds (``time.monotonic`` by default); injected in tests.

    Notes
    -----
    A new restart is recognised when the iteration number does not increase.
    The callback costs O(1) per iteration.
    """

    def __init__(
        self,
        n_restarts: int = 1,
        max_iter: int | None = None,
        *,
        stream: TextIO | None = None,
        enabled: bool = True,
        delay: float = 1.0,
        refresh: float = 0.1,
        log_every: float = 5.0,
        label: str = "fit",
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.n_restarts = max(1, int(n_restarts))
        self.max_iter = max_iter
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.delay = delay
        self.refresh = refresh
        self.log_every = log_every
        self.label = label
        self.clock = clock if clock is not None else _clock
        self.t0 = self.clock()
        self.restart = 1
        self.iteration = 0
        self.objective: float | None = None
        self.best: float | None = None
        self._last_out: float | None = None
        self._live = False  # an in-place line is on screen
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._watch = None  # CompileWatch while the context is open
        self._said_preparing = False
        self._bounds_text: str | None = None  # a proving search's last state (see bounds)
        self._last_bounds: float | None = None
        self.bounds_every = 1.0
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())

    def __call__(self, iteration: int, objective: float) -> bool:
        if iteration <= self.iteration and self.objective is not None:
            self.restart = min(self.restart + 1, self.n_restarts)
        self.iteration = int(iteration)
        self.objective = float(objective)
        if self.best is None or self.objective < self.best:
            self.best = self.objective
        if self.enabled:
            with self._lock:
                self._maybe_show()
        return False

    def bounds(self, incumbent: float, lower: float, open_nodes: int | None, nodes: int) -> None:
        """A proving search's state (branch and bound): its incumbent, certified bound, gap and open nodes.

        Shown at most once a second (``bounds_every``), also on a terminal,
        and remembered for the Ctrl-C message.
        """
        self.objective = float(incumbent)
        self.best = self.objective if self.best is None else min(self.best, self.objective)
        gap = 0.0 if incumbent <= 0 else max(0.0, (incumbent - lower) / incumbent)
        parts = [f"incumbent {incumbent:.10g}", f"bound {lower:.10g}", f"gap {100 * gap:.3g} %"]
        if open_nodes is not None:
            parts.append(f"open nodes {open_nodes}")
            parts.append(f"nodes {nodes}")
        self._bounds_text = ", ".join(parts)
        if not self.enabled:
            return
        with self._lock:
            t = self.clock()
            if t - self.t0 < self.delay:
                return
            if self._last_bounds is not None and t - self._last_bounds < self.bounds_every:
                return
            self._last_bounds = t
            self._last_out = t
            self._write(f"{self.label}: {self._bounds_text} ({t - self.t0:.1f} s)")

    def position(self) -> str:
        """Where the run is, e.g. ``restart 2/3, iteration 41, objective 78.85``."""
        if self._bounds_text is not None:
            return self._bounds_text
        parts = []
        if self.n_restarts > 1:
            parts.append(f"restart {self.restart}/{self.n_restarts}")
        if self.objective is None:
            parts.append("before the first iteration")
        else:
            budget = f"/{self.max_iter}" if self.max_iter else ""
            parts.append(f"iteration {self.iteration}{budget}")
            parts.append(f"objective {self.objective:.6g}")
        return ", ".join(parts)

    def elapsed(self) -> float:
        return self.clock() - self.t0

    def _maybe_show(self) -> None:
        t = self.clock()
        if t - self.t0 < self.delay:
            return
        gap = self.refresh if self.tty else self.log_every
        if self._last_out is not None and t - self._last_out < gap:
            return
        self._last_out = t
        self._write(f"{self.label}: {self.position()} ({t - self.t0:.1f} s)")

    def _write(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K" + text)
            self._live = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _compiling(self) -> None:
        """A compilation started (called in the compiling thread)."""
        if self.elapsed() >= self.delay:
            self._preparing()

    def _preparing(self) -> None:
        with self._lock:
            watch = self._watch
            if (self.objective is None and self._timer is not None and watch is not None and watch.count > 0
                    and not self._said_preparing):
                self._said_preparing = True
                self._write(
                    f"{self.label}: preparing... (the first run after installation compiles "
                    "the kernels once; later runs start at once)"
                )

    def close(self) -> None:
        """Stop the "preparing" timer and erase the in-place line, if one is shown."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._watch is not None:
                self._watch.remove()
                self._watch = None
            if self._live:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()
                self._live = False

    def __enter__(self) -> "Progress":
        if self.enabled:
            from ._numba import CompileWatch

            self._watch = CompileWatch(on_compile=self._compiling).install()
            self._timer = threading.Timer(self.delay, self._preparing)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
