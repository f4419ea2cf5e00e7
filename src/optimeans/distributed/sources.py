"""Reading sources as dask arrays of row blocks: ``.npy`` memory maps, Parquet, Zarr, arrays.

Only metadata is read when the array is built; every block task opens its own
memory map or Parquet reader, so any worker that sees the same file system
can read any block.
"""

from __future__ import annotations

import contextlib
import glob as _glob
import os
import threading
from typing import Any, Iterator, Sequence

import numpy as np

from .._validation import check_positive_int
from ._dask import BLOCK_BYTES, current_client, default_block_rows, import_dask

__all__ = ["read", "expand_paths"]

_import_dask = import_dask

class ReadBuffer:
    """Memory that :func:`_read_npy` may read a block into (see :func:`read_into`).

    ``array``: a 1-D array to reuse, or None; ``capacity``: the items to
    allocate when ``array`` is None or too small (the largest block, so that
    one buffer serves every block of a file). After the read, ``array`` is the
    memory the rows went into, and ``used`` is True.
    """

    def __init__(self, array: np.ndarray | None, capacity: int) -> None:
        self.array = array
        self.capacity = int(capacity)
        self.used = False


_INTO = threading.local()


@contextlib.contextmanager
def read_into(buffer: ReadBuffer) -> Iterator[ReadBuffer]:
    """Within: the first :func:`_read_npy` of this thread reads into ``buffer`` instead of a new array.

    Reading into memory already mapped saves the page faults of a fresh
    array (a quarter of a second per GiB here), on every pass of an
    out-of-core fit. The caller must not reuse the buffer while anything
    still holds the rows read into it.
    """
    prev = getattr(_INTO, "buffer", None)
    _INTO.buffer = buffer
    try:
        yield buffer
    finally:
        _INTO.buffer = prev


def _block_array(shape: tuple[int, int], dtype: np.dtype) -> np.ndarray:
    """The array a block is read into: the buffer of :func:`read_into`, if one is waiting, else a new one."""
    buf = getattr(_INTO, "buffer", None)
    need = shape[0] * shape[1]
    if buf is None or buf.used:
        return np.empty(shape, dtype=dtype)
    arr = buf.array
    if arr is None or arr.dtype != dtype or arr.size < need:
        arr = np.empty(max(need, buf.capacity), dtype=dtype)
    buf.array, buf.used = arr, True
    return arr[:need].reshape(shape)


#: Reads of ``.npy`` blocks into a ring buffer (out of core in this process) bypass the page cache
#: (``O_DIRECT``): "auto" when the file is larger than half the memory available (the cache
#: cannot keep it from one pass to the next, see :func:`_read_npy`), True always, False never.
DIRECT_READS: bool | str = "auto"

#: Alignment of a direct read's offset, length and memory (the page size; a multiple of every
#: logical block size up to 4096 bytes).
_ALIGN = 4096


def _mem_available() -> float | None:
    """Bytes of memory available (``MemAvailable``: free memory and the cache the kernel can reclaim)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _wants_direct(fd: int) -> bool:
    """Whether a block of the open file should be read with ``O_DIRECT`` (see :data:`DIRECT_READS`)."""
    mode = DIRECT_READS
    if mode is True or mode is False:
        return mode
    if mode != "auto":
        raise ValueError(f"sources.DIRECT_READS must be True, False or 'auto', got {mode!r}")
    avail = _mem_available()
    return avail is not None and os.fstat(fd).st_size > 0.5 * avail


def _aligned_block(shape: tuple[int, int], dtype: np.dtype, lead: int) -> tuple[np.ndarray, memoryview] | None:
    """The rows of a direct read (at byte ``lead`` of the aligned range) and the memory the range goes
    into, in the buffer of :func:`read_into`; None without a waiting buffer.

    The buffer is a 1-D array of ``dtype`` whose memory starts on an
    :data:`_ALIGN` boundary, kept from read to read like the buffered reads'
    one (:func:`_block_array`).
    """
    buf = getattr(_INTO, "buffer", None)
    if buf is None or buf.used:
        return None
    size = dtype.itemsize
    need = shape[0] * shape[1]
    span = -(-(lead + need * size) // _ALIGN) * _ALIGN  # bytes read: whole aligned pages
    arr = buf.array
    if arr is None or arr.dtype != dtype or arr.nbytes < span or arr.ctypes.data % _ALIGN:
        items = max(span, buf.capacity * size + 2 * _ALIGN) // size
        raw = np.empty(items + _ALIGN // size, dtype=dtype)
        skip = (-raw.ctypes.data) % _ALIGN
        if skip % size:  # pragma: no cover - NumPy's allocations are aligned to their items
            return None
        arr = raw[skip // size : skip // size + items]
    buf.array, buf.used = arr, True
    rows = arr[lead // size : lead // size + need].reshape(shape)
    return rows, memoryview(arr).cast("B")[:span]


def _read_direct(path: str, pos: int, nbytes: int, shape: tuple[int, int], s: np.dtype, stop: int) -> np.ndarray | None:
    """Bytes ``pos:pos + nbytes`` of the file as rows, read with ``O_DIRECT`` into the buffer of
    :func:`read_into`; None where a direct read does not apply (no waiting buffer, a small file,
    rows not aligned to their items, a file system that refuses ``O_DIRECT``)."""
    lead = pos % _ALIGN
    buf = getattr(_INTO, "buffer", None)
    if lead % s.itemsize or buf is None or buf.used or not hasattr(os, "O_DIRECT"):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    except OSError:  # tmpfs and some other file systems refuse O_DIRECT (EINVAL)
        return None
    try:
        if not _wants_direct(fd):
            return None
        got_rows = _aligned_block(shape, s, lead)
        if got_rows is None:  # pragma: no cover - NumPy's allocations are aligned to their items
            return None
        rows, view = got_rows
        start = pos - lead
        need = lead + nbytes
        got = 0
        while got < need:
            try:
                r = os.preadv(fd, [view[got:]], start + got)
            except OSError:
                if got:
                    raise
                # an alignment the device will not take: this block through the cache, same memory
                _read_buffered(path, pos, memoryview(rows.reshape(-1)).cast("B"), stop)
                return rows
            if not r or (r % _ALIGN and got + r < need):  # end of file before the rows' end
                raise ValueError(f"{path!r} ends before row {stop} that its header announces (truncated file?)")
            got += r
        return rows
    finally:
        os.close(fd)


def _read_buffered(path: str, pos: int, view: memoryview, stop: int) -> None:
    """Fill ``view`` from byte ``pos`` of the file with sequential reads through the page cache."""
    nbytes = view.nbytes
    with open(path, "rb", buffering=0) as fh:
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fh.fileno(), pos, nbytes, os.POSIX_FADV_SEQUENTIAL)
        fh.seek(pos)
        got = 0
        while got < nbytes:
            r = fh.readinto(view[got:])
            if not r:
                raise ValueError(
                    f"{path!r} ends before row {stop} that its header announces (truncated file?)"
                )
            got += r


def _read_npy(path: str, offset: int, start: int, stop: int, n_features: int, src: str, dtype: str) -> np.ndarray:
    """Rows ``start:stop`` of a C-order ``.npy`` file, read with plain sequential reads into a new array
    (or the buffer of :func:`read_into`).

    One ``readinto`` loop straight into the array's memory (no memory map:
    faulting a cold map in page by page ran at a fraction of the disk's
    speed), with the kernel told the access is sequential so it reads ahead
    in large steps. Converted to ``dtype`` only when the stored type differs.

    Into a ring buffer (:func:`read_into`), a file larger than half the
    memory available (:data:`DIRECT_READS`) is read with ``O_DIRECT``: one
    read of the block's range widened to whole pages, the rows viewed at
    their offset in it (same bits). The page cache cannot keep such a file
    from one pass to the next (the passes read it in a cycle), so going
    through it only costs the reader CPU time on the cores the passes
    compute on: a page of cache allocated for every page read, copied out,
    evicted. On the 2-core test VM (1 GiB file, 256 MiB blocks, each block's
    pages dropped after its read as in the benchmark) that cost was 0.1 s a
    pass when the cache's pages came back quickly and up to 0.5 s when the
    reads ran beside the final pass's fresh allocations (or after seconds of
    idleness: the VM returns free memory to its host), 1.0-1.6 s a fit of
    5 passes, and a Lloyd pass that waited on it reached 1.5-2.2x cold
    ``cat``; direct, the reader took 0.08-0.17 s a fit and every Lloyd pass
    stayed within 1.06x ``cat`` (6 runs of 3 fits, load 1-2). A direct read
    of the whole file alone ran at 0.30-0.34 s, buffered 0.28-0.37 s.
    File systems that refuse ``O_DIRECT`` are read through the cache.
    """
    s, t = np.dtype(src), np.dtype(dtype)
    shape = (stop - start, n_features)
    pos = offset + start * n_features * s.itemsize
    out = _read_direct(path, pos, shape[0] * shape[1] * s.itemsize, shape, s, stop) if shape[0] else None
    if out is None:
        out = _block_array(shape, s)
        _read_buffered(path, pos, memoryview(out.reshape(-1)).cast("B"), stop)
    return out if s == t else out.astype(t)


def _read_parquet(path: str, row_groups: list[int], columns: list[str], dtype: str) -> np.ndarray:
    """Selected columns of some row groups of a Parquet file, as one float array (nulls -> NaN)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path).read_row_groups(row_groups, columns=columns)
    out = np.empty((table.num_rows, len(columns)), dtype=np.dtype(dtype))
    for j, name in enumerate(columns):
        col = table.column(name).cast(pa.float64() if np.dtype(dtype) == np.float64 else pa.float32())
        out[:, j] = col.to_numpy(zero_copy_only=False)
    return out


def expand_paths(source: Any) -> list[str]:
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if os.path.isdir(text):
            if _is_zarr(text):
                return [text]
            found = sorted(
                p for p in _glob.glob(os.path.join(text, "*"))
                if p.lower().endswith((".parquet", ".pq", ".npy"))
            )
            if not found:
                raise ValueError(f"directory {text!r} holds no .parquet, .pq or .npy file")
            return found
        if any(ch in text for ch in "*?["):
            found = sorted(_glob.glob(text))
            if not found:
                raise ValueError(f"no file matches {text!r}")
            return found
        if not os.path.exists(text):
            raise ValueError(f"no such file: {text!r}")
        return [text]
    paths: list[str] = []
    for item in source:
        paths.extend(expand_paths(item))
    if not paths:
        raise ValueError("no input file given")
    return paths


def _is_zarr(path: str) -> bool:
    return path.rstrip("/").endswith(".zarr") or any(
        os.path.exists(os.path.join(path, name)) for name in (".zarray", "zarr.json")
    )


def _npy_array(paths: list[str], dtype: Any, block_rows: int | None) -> Any:
    dask, da = _import_dask()
    pieces = []
    n_features = None
    for path in paths:
        with open(path, "rb") as fh:
            try:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, fortran, src = np.lib.format.read_array_header_1_0(fh)
                else:
                    shape, fortran, src = np.lib.format.read_array_header_2_0(fh)
            except ValueError as exc:
                raise ValueError(f"{path!r} is not a valid .npy file: {exc}") from None
            offset = fh.tell()
        if len(shape) != 2:
            raise ValueError(f"{path!r} holds an array of shape {shape}; a 2-D (n_samples, n_features) array is required")
        if fortran:
            raise ValueError(f"{path!r} is stored in Fortran order; save it in C order (np.ascontiguousarray) to stream it by rows")
        if src.kind not in "biuf":
            raise TypeError(f"{path!r} holds dtype {src}; a numeric array is required")
        n, d = int(shape[0]), int(shape[1])
        if n_features is not None and d != n_features:
            raise ValueError(f"{path!r} has {d} columns but the first file has {n_features}")
        n_features = d
        target = np.dtype(dtype) if dtype is not None else (np.dtype(np.float32) if src == np.float32 else np.dtype(np.float64))
        rows = block_rows or default_block_rows(d * target.itemsize, npy=True)
        for start in range(0, n, rows):
            stop = min(n, start + rows)
            task = dask.delayed(_read_npy, pure=True)(path, offset, start, stop, d, src.str, target.str)
            pieces.append(da.from_delayed(task, shape=(stop - start, d), dtype=target))
    if not pieces:
        raise ValueError(f"{paths[0]!r} holds no rows")
    return da.concatenate(pieces, axis=0)


def _parquet_array(paths: list[str], columns: Sequence[str] | None, dtype: Any, block_rows: int | None) -> Any:
    dask, da = _import_dask()
    try:
        import pyarrow.parquet as pq
        import pyarrow.types as pat
    except ImportError as exc:
        raise ImportError('reading Parquet needs pyarrow; install it with: pip install "optimeans[parquet]"') from exc
    pieces = []
    chosen: list[str] | None = None
    all_float32 = True
    plans = []
    for path in paths:
        try:
            pf = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises its own error types
            raise ValueError(f"{path!r} is not a readable Parquet file: {exc}") from None
        schema = pf.schema_arrow
        names = list(schema.names)
        cols = list(columns) if columns is not None else names
        missing = [c for c in cols if c not in names]
        if missing:
            raise ValueError(f"{path!r} has no column(s) {', '.join(repr(m) for m in missing)}; it has {', '.join(names)}")
        bad = [c for c in cols if not (pat.is_integer(schema.field(c).type) or pat.is_floating(schema.field(c).type) or pat.is_boolean(schema.field(c).type))]
        if bad:
            raise TypeError(f"{path!r} has non-numeric column(s) {', '.join(repr(b) for b in bad)}; select numeric columns with columns=")
        if chosen is None:
            chosen = cols
        all_float32 &= all(pat.is_float32(schema.field(c).type) for c in cols)
        plans.append((path, pf.metadata))
    assert chosen is not None
    if not chosen:
        raise ValueError("no column selected")
    target = np.dtype(dtype) if dtype is not None else np.dtype(np.float32 if all_float32 else np.float64)
    d = len(chosen)
    rows_target = block_rows or max(1, BLOCK_BYTES // (d * target.itemsize))
    for path, meta in plans:
        group: list[int] = []
        rows = 0
        for rg in range(meta.num_row_groups):
            group.append(rg)
            rows += meta.row_group(rg).num_rows
            if rows >= rows_target or rg == meta.num_row_groups - 1:
                if rows:
                    task = dask.delayed(_read_parquet, pure=True)(path, group, chosen, target.str)
                    pieces.append(da.from_delayed(task, shape=(rows, d), dtype=target))
                group, rows = [], 0
    if not pieces:
        raise ValueError(f"the Parquet input {paths[0]!r} holds no rows")
    return da.concatenate(pieces, axis=0)


def read(
    source: Any,
    *,
    columns: Sequence[str] | str | None = None,
    dtype: Any = None,
    block_rows: int | None = None,
) -> Any:
    """Open data as a dask array of row blocks, without reading it.

    Parameters
    ----------
    source : str, path, list of paths, ndarray or dask array
        A ``.npy`` file (opened as memory maps, one per block), a Parquet file
        (``.parquet`` / ``.pq``), a directory of such files, a glob pattern
        (``"data/*.parquet"``), a Zarr array (``.zarr`` directory; needs the
        ``zarr`` package), a list of any of these (rows concatenated in the
        order given, files of a directory or glob in sorted order), or an
        array.
    columns : list of str or comma-separated str, optional
        Parquet columns to read (default: all, which must then be numeric).
    dtype : float32 or float64, optional
        Default: float32 when the stored data is float32, float64 otherwise.
    block_rows : int, optional
        Rows per block. Default: about 64 MiB per block (a Parquet block is a
        run of whole row groups); ``.npy`` files read without a distributed
        Client (out of core on this machine) about 256 MiB, for larger
        sequential reads.

    Returns
    -------
    dask.array.Array of shape (n_samples, n_features)
        Lazy: every computation reads the blocks it needs from disk again.

    Raises
    ------
    ImportError
        dask (``pip install "optimeans[dask]"``), pyarrow or zarr missing.
    ValueError
        No matching file, a missing column, a non-2-D or Fortran-order ``.npy``,
        files with different numbers of columns.
    TypeError
        Non-numeric columns or data.

    Notes
    -----
    Only metadata is read here (the ``.npy`` headers, the Parquet footers).
    A block task opens its own memory map or Parquet reader, so the blocks can
    be read by any worker that sees the same file system.

    Examples
    --------
    >>> X = read("data/*.parquet", columns="a,b,c")  # doctest: +SKIP
    >>> optimeans.fit(X, 50)  # doctest: +SKIP
    """
    dask, da = _import_dask()
    if isinstance(columns, str):
        columns = [c.strip() for c in columns.split(",") if c.strip()]
    if dtype is not None and np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    if block_rows is not None:
        block_rows = check_positive_int(block_rows, "block_rows")
    if isinstance(source, da.Array) or isinstance(source, np.ndarray):
        if isinstance(source, np.ndarray):
            rows = block_rows or max(1, BLOCK_BYTES // max(1, source.itemsize * (source.shape[1] if source.ndim == 2 else 1)))
            arr = scatter_inline(da.from_array(source, chunks=(rows,) + (-1,) * (source.ndim - 1)), current_client())
        else:
            arr = source
        if columns is not None:
            raise ValueError("columns= selects Parquet columns; index the array instead")
        if dtype is not None:
            arr = arr.astype(dtype)
        if block_rows is not None:
            arr = arr.rechunk((block_rows,) + arr.shape[1:])
        return arr
    paths = expand_paths(source)
    kinds = {("zarr" if os.path.isdir(p) and _is_zarr(p) else os.path.splitext(p)[1].lower()) for p in paths}
    if kinds <= {".parquet", ".pq"}:
        return _parquet_array(paths, columns, dtype, block_rows)
    if columns is not None:
        raise ValueError("columns= applies to Parquet input only")
    if kinds == {".npy"}:
        return _npy_array(paths, dtype, block_rows)
    if kinds == {"zarr"}:
        try:
            import zarr  # noqa: F401
        except ImportError as exc:
            raise ImportError("reading Zarr needs the zarr package; install it with: pip install zarr") from exc
        arrays = [da.from_zarr(p) for p in paths]
        arr = arrays[0] if len(arrays) == 1 else da.concatenate(arrays, axis=0)
        if arr.ndim != 2:
            raise ValueError(f"the Zarr array has shape {arr.shape}; a 2-D (n_samples, n_features) array is required")
        if dtype is not None:
            arr = arr.astype(dtype)
        if block_rows is not None:
            arr = arr.rechunk((block_rows, -1))
        return arr
    raise ValueError(
        f"cannot read {', '.join(sorted(kinds))} input; use .npy, .parquet/.pq or .zarr files (one kind at a time)"
    )



def scatter_inline(arr: Any, client: Any) -> Any:
    """``arr`` with its in-graph NumPy blocks sent to the workers once (``client.scatter``).

    ``da.from_array(ndarray)`` puts the blocks in the task graph itself: every
    computation would ship them again, and Dask warns about the large graph.
    Scattered, they travel once and the graph only names them. Arrays whose
    blocks are not plain NumPy values in the graph, and calls without a client,
    return ``arr`` unchanged.
    """
    if client is None or arr.ndim not in (1, 2):
        return arr
    dask, da = import_dask()
    graph = arr.__dask_graph__()
    keys = arr.__dask_keys__()
    flat = [k for row in keys for k in (row if isinstance(row, list) else [row])]
    try:
        values = [graph[k] for k in flat]
    except KeyError:  # pragma: no cover - a graph that does not hold its own keys
        return arr
    if not all(isinstance(v, np.ndarray) for v in values) or sum(v.nbytes for v in values) < 2**20:
        return arr
    futures = client.scatter(values, hash=False)
    blocks = [da.from_delayed(dask.delayed(f), shape=v.shape, dtype=v.dtype) for f, v in zip(futures, values)]
    if arr.ndim == 1:
        return da.concatenate(blocks)
    ncol = len(arr.chunks[1])
    return da.block([blocks[r * ncol:(r + 1) * ncol] for r in range(len(arr.chunks[0]))])
