"""Reading row blocks ahead of the passes, out of core in this process.

An out-of-core pass reads every block from the source and then computes on
it. Reading needs nothing the computation gives (not the centers, not the
labels), so a reader thread reads block after block, :data:`AHEAD` blocks
ahead of the block being computed on, while the passes compute with every
core: a pass then costs about the longer of the two, not their sum.

The reader does not stop at the end of a pass: the blocks are read in cyclic
order (0, 1, ..., n - 1, 0, 1, ...), which is the order of every pass over
all the blocks, so the first blocks of the next pass are read while the last
ones of this pass are computed on (no pipeline fill at each pass). A
consumer that asks for another block than the next one in that order
restarts the reader there (the blocks read ahead are dropped).

The reader reads into a ring of buffers (:func:`~.sources.read_into`): a
buffer returns to the reader when the consumer says it is done with the
rows (:meth:`ReadAhead.give_back`), and only then is it read into again; a
consumer that may keep references to the rows gives the buffer away instead
(the reader allocates a new one). ``.npy`` sources read into the buffers
(with ``O_DIRECT`` when the file is larger than half the memory available,
:func:`~.sources._read_npy`: the page cache could not keep it from one pass
to the next, and going through it cost the reader thread ten times the CPU
time); other sources allocate as they do anyway.

The reader releases the GIL while it waits for the disk (``readinto``); the
kernels of the passes release it too (``nogil``).
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, Callable

from .sources import ReadBuffer, read_into

#: Blocks read ahead of the one being computed on (the ring holds one more: the block in use).
AHEAD = 2

_STOP = object()


class ReadAhead:
    """A reader thread over ``n_blocks`` blocks in cyclic order, ``ahead`` blocks ahead.

    Parameters
    ----------
    read : ``read(b)`` returns the rows of block ``b`` (called in the reader thread)
    n_blocks : number of blocks
    capacity : items of the largest block (the size of a ring buffer)
    ahead : blocks read ahead of the one in use (at least 1)
    """

    def __init__(self, read: Callable[[int], Any], n_blocks: int, capacity: int, ahead: int = AHEAD) -> None:
        self._read = read
        self.n_blocks = int(n_blocks)
        self.capacity = int(capacity)
        self.ahead = max(1, int(ahead))
        #: the ring's buffers not in the reader's or the consumer's hands
        self._spare: list[Any] = [None] * (self.ahead + 1)
        self._thread: threading.Thread | None = None
        self._free: queue.Queue = queue.Queue()
        self._ready: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._next = -1  # the block the reader's queue holds next
        self._out = 0  # buffers in the consumer's hands
        #: blocks read; seconds the reader spent reading them; seconds the consumer waited for a block
        #: (much waiting: the passes wait for the disk; little: they compute longer than it reads)
        self.reads = 0
        self.read_seconds = 0.0
        self.wait_seconds = 0.0
        #: CPU seconds of the reader thread in its reads (copying from the page cache is CPU work,
        #: done on the cores the passes compute on)
        self.read_cpu_seconds = 0.0

    # -- the consumer's side

    def take(self, b: int) -> tuple[Any, ReadBuffer]:
        """The rows of block ``b`` and their buffer (give it back with :meth:`give_back`)."""
        if self._thread is None or b != self._next:
            self._restart(b)
        t0 = time.perf_counter()
        got, rows, buf, exc = self._ready.get()
        self.wait_seconds += time.perf_counter() - t0
        if exc is not None:
            self._end()
            self._spare.append(buf.array if buf.used else None)
            raise exc
        if got != b:  # pragma: no cover - the reader follows the cyclic order
            raise RuntimeError(f"the read-ahead thread read block {got} where block {b} was expected")
        self._next = (b + 1) % self.n_blocks
        self._out += 1
        return rows, buf

    def give_back(self, buf: ReadBuffer, reuse: bool) -> None:
        """The consumer is done with a block's rows; ``reuse=False``: it may keep them (the buffer is given away)."""
        self._out -= 1
        arr = buf.array if (reuse and buf.used) else None
        if self._thread is not None:
            self._free.put(arr)
        else:
            self._spare.append(arr)

    def close(self) -> None:
        """Stop the reader (waiting for the read under way); the blocks read ahead and the ring's
        buffers are dropped (a later :meth:`take` starts again)."""
        self._end()
        self._spare = [None] * len(self._spare)

    # -- the reader thread

    def _restart(self, b: int) -> None:
        self._end()
        self._stop = threading.Event()
        self._free, self._ready = queue.Queue(), queue.Queue()
        spare, self._spare = self._spare, []
        for arr in spare:
            self._free.put(arr)
        self._next = b
        self._thread = threading.Thread(
            target=self._loop, args=(b, self._stop, self._free, self._ready), name="optimeans-read-ahead", daemon=True
        )
        self._thread.start()

    def _end(self) -> None:
        """Stop the thread and take its buffers back (those read ahead and the free ones)."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        self._free.put(_STOP)
        thread.join()
        self._thread = None
        self._next = -1
        for q in (self._ready, self._free):
            while True:
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    continue
                if q is self._ready:
                    buf = item[2]
                    item = buf.array if buf is not None and buf.used else None
                self._spare.append(item)

    def _loop(self, b: int, stop: threading.Event, free: queue.Queue, ready: queue.Queue) -> None:
        n = self.n_blocks
        while True:
            arr = free.get()
            if arr is _STOP or stop.is_set():
                if arr is not _STOP:
                    free.put(arr)
                return
            buf = ReadBuffer(arr, self.capacity)
            t0 = time.perf_counter()
            c0 = time.thread_time()
            try:
                with read_into(buf):
                    rows = self._read(b)
            except BaseException as exc:  # handed to the consumer, raised there
                ready.put((b, None, buf, exc))
                return
            self.reads += 1
            self.read_seconds += time.perf_counter() - t0
            self.read_cpu_seconds += time.thread_time() - c0
            ready.put((b, rows, buf, None))
            b = (b + 1) % n
