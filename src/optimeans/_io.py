"""Reading data files and writing outputs atomically, for the command line.

Formats read by :func:`read_table`:

* CSV / TSV / other delimited text (``.csv``, ``.tsv``, ``.txt``, ..., also
  gzip/bz2/xz-compressed): read strictly by :mod:`optimeans._csv` - every
  row has the field count of the first, the header is detected (numeric-
  looking names included, with a note), a pandas index column is left out
  (with a note), encodings, comment lines, decimal commas and leading lines
  to skip are options;
* ``.npy``: numeric arrays only (``allow_pickle=False``), including
  structured arrays whose fields become named columns;
* Parquet (``.parquet``, ``.pq``): needs pyarrow (``pip install
  "optimeans[parquet]"``), imported only when such a file is read.

Bad content raises :class:`DataError`, whose message names the file, the line
(text) or row (binary formats) and the column where they are known. Positions
the user types or reads in messages about files are 1-based, as in
spreadsheets and ``cut -f``; array positions of ``.npy`` files are written in
NumPy's own 0-based notation, ``X[17, 2]``.

Every file is written through :func:`write_files_atomically`: to a temporary
file in the destination directory, then renamed over the destination, with
Ctrl-C deferred during the renames, so an interrupted run leaves either the
previous outputs or the complete new set, never a half-written file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Union

import numpy as np

from . import _validation
from ._csv import Layout, TextError, TextOptions, detect_layout, index_columns, iter_rows, read_numbers

__all__ = [
    "DataError",
    "Table",
    "read_table",
    "dataset_table",
    "column_names",
    "parse_columns",
    "write_files_atomically",
    "labels_beside_rows",
    "format_csv",
]

TEXT_SUFFIXES = {".csv", ".tsv", ".tab", ".txt", ".dat", ".data"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
PARQUET_HINT = 'reading Parquet needs pyarrow: pip install "optimeans[parquet]"'


class DataError(ValueError):
    """A data file cannot be used; the message names file, line/row and column."""


@dataclass
class Table:
    """Numeric data read from a file or a built-in data set.

    ``X`` holds the selected columns only; ``columns`` are their names (None
    when the source has none). ``kind``, ``delimiter`` and ``header`` describe
    the source so that labels can be written back beside its rows.
    """

    X: np.ndarray
    columns: list[str] | None
    source: str
    kind: str  # "csv", "npy", "parquet", "dataset"
    path: Path | None = None
    delimiter: str | None = None
    header: bool = False
    all_columns: list[str] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    #: The reader has checked ``X`` as :func:`optimeans._validation.check_data` would
    #: (C-contiguous float32/float64, rows, finite values), with messages naming the
    #: file's line or field: :meth:`fit_input` then hands it on without a second scan.
    checked: bool = False

    def fit_input(self) -> Any:
        """``X`` as the fit functions take it: a :class:`~optimeans._validation.Checked` when the reader checked it."""
        X = self.X
        if (self.checked and isinstance(X, np.ndarray) and X.ndim == 2 and X.flags.c_contiguous
                and X.dtype in (np.float32, np.float64)):
            return _validation.Checked(X)
        return X

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])


# -- column selection ---------------------------------------------------------------


def parse_columns(spec: str | None) -> list[str | int] | None:
    """``"a,b,c"`` -> names; ``"1,3"`` -> 1-based positions; ``"2-4"`` -> 2, 3, 4."""
    if spec is None:
        return None
    out: list[str | int] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        if sep and lo.strip().isdigit() and hi.strip().isdigit():
            a, b = int(lo), int(hi)
            if a < 1 or b < a:
                raise DataError(f"--columns: bad range {part!r} (positions start at 1)")
            out.extend(range(a, b + 1))
        elif part.isdigit():
            if int(part) < 1:
                raise DataError("--columns: positions start at 1 (the first column is 1)")
            out.append(int(part))
        else:
            out.append(part)
    if not out:
        raise DataError("--columns is empty")
    return out


def _select(
    selection: Sequence[str | int] | None, names: list[str] | None, n_fields: int, source: str
) -> list[int]:
    """0-based indices of the selected columns."""
    if selection is None:
        return list(range(n_fields))
    idx: list[int] = []
    for item in selection:
        if isinstance(item, int) and item > n_fields and names is not None and str(item) in names:
            item = str(item)  # a numeric-looking name ("2019"), not a position
        if isinstance(item, int):
            if item > n_fields:
                raise DataError(f"--columns: {source} has {n_fields} column(s), there is no column {item}")
            idx.append(item - 1)
        else:
            if names is None:
                raise DataError(
                    f"--columns: {source} has no header, select columns by position (1 to {n_fields})"
                )
            if item not in names:
                raise DataError(
                    f"--columns: no column named {item!r} in {source} (columns: {', '.join(names)})"
                )
            idx.append(names.index(item))
    if len(set(idx)) != len(idx):
        raise DataError("--columns names a column twice")
    return idx


# -- delimited text -----------------------------------------------------------------


def _text_options(header: str, delimiter: str | None, encoding: str | None, comment: str | None,
                  decimal: str, skip_rows: int) -> TextOptions:
    if header not in ("auto", "yes", "no"):
        raise ValueError(f"header must be 'auto', 'yes' or 'no', got {header!r}")
    if skip_rows < 0:
        raise DataError(f"--skip-rows must be >= 0, got {skip_rows}")
    return TextOptions(header=header, delimiter=delimiter, encoding=encoding, comment=comment,
                       decimal=decimal, skip_rows=skip_rows)


def _layout(path: Path, opts: TextOptions) -> Layout:
    try:
        return detect_layout(path, opts)
    except TextError as exc:
        raise DataError(str(exc)) from None


def _refuse_suffix(p: Path) -> None:
    suffix = p.suffix.lower()
    if suffix in (".npz", ".pkl", ".pickle", ".xlsx", ".xls", ".h5", ".hdf5"):
        raise DataError(f"{p}: {suffix} files are not read; use CSV/TSV, .npy or Parquet")
    if suffix == ".zip":
        raise DataError(f"{p}: a zip archive; unzip it first (gzip, bz2 and xz files are read directly)")


def column_names(
    path: str | os.PathLike, *, header: str = "auto", delimiter: str | None = None, encoding: str | None = None,
    comment: str | None = "#", decimal: str = ".", skip_rows: int = 0,
) -> list[str] | None:
    """The column names of a data file without reading its data (None when it has none)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        pa = _pyarrow()
        try:
            return list(pa.parquet.read_schema(p).names)
        except (OSError, pa.ArrowInvalid) as exc:
            raise DataError(f"{p}: not a valid Parquet file ({exc})") from None
    if suffix == ".npy":
        try:
            arr = np.load(p, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError, EOFError):
            return _read_npy(p, None).all_columns  # raises the reader's own message for what np.load refused
        return list(arr.dtype.names) if arr.dtype.names else None
    if not p.exists():
        raise DataError(f"{p}: no such file")
    if p.is_dir():
        raise DataError(f"{p}: is a directory, expected a data file")
    _refuse_suffix(p)
    layout = _layout(p, _text_options(header, delimiter, encoding, comment, decimal, skip_rows))
    if layout.names is not None and (layout.index_columns or layout.label_column):
        return layout.names[max(layout.index_columns, int(layout.label_column)):]
    return layout.names


def _read_text(path: Path, selection: Sequence[str | int] | None, opts: TextOptions) -> Table:
    layout = _layout(path, opts)
    names = layout.names
    idx = _select(selection, names, layout.n_fields, str(path))
    if selection is None and layout.label_column:
        assert names is not None
        example = layout.sample[1][1][0].strip() if len(layout.sample) > 1 else ""
        layout.notes.append(f"column 1 (no name) holds row labels ({example!r}, ...); left out")
        idx = idx[1:]
    try:
        X = read_numbers(layout, idx)
        n_index = index_columns(layout, X) if selection is None and layout.index_columns else 0
        if n_index:
            assert names is not None
            labels = ", ".join(f"{j + 1} ({names[j]!r})" for j in range(n_index))
            layout.notes.append(
                f"column{'s' if n_index > 1 else ''} {labels}: increasing integers under an empty or "
                f"'Unnamed' name, an index (the row numbers pandas and R write); left out "
                f"(select with --columns to keep)"
            )
            idx = idx[n_index:]
            X = X[:, n_index:]
    except TextError as exc:
        raise DataError(str(exc)) from None
    col_names = [names[j] for j in idx] if names is not None else None
    return Table(
        X=np.ascontiguousarray(X),
        columns=col_names,
        source=str(path),
        kind="csv",
        path=path,
        delimiter=layout.delimiter,
        header=layout.header,
        all_columns=names,
        info={"layout": layout, "notes": list(layout.notes)},
        checked=True,  # read_numbers refused NaN and inf, naming the line
    )


# -- .npy ---------------------------------------------------------------------------


def _read_npy(path: Path, selection: Sequence[str | int] | None) -> Table:
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic != b"\x93NUMPY":
        # np.load falls back to unpickling anything else (refused with allow_pickle=False,
        # but its message would call a text file "pickled")
        raise DataError(f"{path}: not a valid .npy file (no NumPy header; is it text? name it .csv)")
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise DataError(
                f"{path}: holds Python objects (pickled); optimeans reads numeric .npy arrays only"
            ) from None
        raise DataError(f"{path}: not a valid .npy file ({exc})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: not a valid .npy file ({exc})") from None
    names: list[str] | None = None
    if arr.dtype.names:
        names = list(arr.dtype.names)
        if arr.ndim != 1:
            raise DataError(f"{path}: a structured array must be 1-D (one record per sample), got shape {arr.shape}")
        idx = _select(selection, names, len(names), str(path))
        bad = [names[j] for j in idx if arr.dtype[names[j]].kind not in "biuf" or arr.dtype[names[j]].shape]
        if bad:
            raise DataError(f"{path}: non-numeric field(s) {', '.join(repr(b) for b in bad)}; select others with --columns")
        kinds = {arr.dtype[names[j]] for j in idx}
        dtype = np.float32 if kinds == {np.dtype(np.float32)} else np.float64
        X = np.column_stack([arr[names[j]].astype(dtype) for j in idx]) if idx else np.empty((len(arr), 0))
        cols = [names[j] for j in idx]
    else:
        if arr.ndim != 2:
            hint = " (save it as one column: x.reshape(-1, 1))" if arr.ndim == 1 else ""
            raise DataError(f"{path}: expected a 2-D array (n_samples, n_features), got shape {arr.shape}{hint}")
        if arr.dtype.kind not in "biuf":
            raise DataError(f"{path}: array of dtype {arr.dtype} is not numeric")
        idx = _select(selection, None, arr.shape[1], str(path))
        X = arr[:, idx] if selection is not None else arr
        X = X.astype(np.float32 if X.dtype == np.float32 else np.float64, copy=False)
        cols = None
    if X.shape[0] == 0:
        raise DataError(f"{path}: the array has no rows")
    X = np.ascontiguousarray(X)
    hit = _validation.find_nonfinite(X)
    if hit is not None:
        r, c, v = hit
        what = "NaN" if np.isnan(v) else ("inf" if v > 0 else "-inf")
        col = f" (field {cols[c]!r})" if cols else ""
        raise DataError(f"{path}: {what} at X[{r}, {idx[c]}]{col}; remove or impute it first")
    return Table(X=X, columns=cols, source=str(path), kind="npy", path=path, all_columns=names, checked=True)


# -- Parquet ------------------------------------------------------------------------


def _pyarrow():
    try:
        import pyarrow  # noqa: F401
        import pyarrow.compute  # noqa: F401
        import pyarrow.parquet
    except ImportError:
        raise DataError(PARQUET_HINT) from None
    return pyarrow


def _read_parquet(path: Path, selection: Sequence[str | int] | None) -> Table:
    pa = _pyarrow()
    try:
        schema = pa.parquet.read_schema(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise DataError(f"{path}: not a valid Parquet file ({exc})") from None
    names = list(schema.names)
    idx = _select(selection, names, len(names), str(path))
    cols = [names[j] for j in idx]
    numeric = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean, pa.types.is_decimal)
    bad = [c for c in cols if not any(t(schema.field(c).type) for t in numeric)]
    if bad:
        numeric_cols = [c for c in cols if c not in bad]
        hint = f"; select numeric columns, e.g. --columns {','.join(numeric_cols)}" if numeric_cols else ""
        listed = ", ".join(f"{c!r} ({schema.field(c).type})" for c in bad)
        raise DataError(f"{path}: non-numeric column(s) {listed}{hint}")
    table = pa.parquet.read_table(path, columns=cols)
    if table.num_rows == 0:
        raise DataError(f"{path}: no data rows")
    all_f32 = all(pa.types.is_float32(table.schema.field(c).type) for c in cols)
    dtype = np.float32 if all_f32 else np.float64
    X = np.empty((table.num_rows, len(cols)), dtype=dtype)
    for j, c in enumerate(cols):
        col = table.column(c)
        if col.null_count:
            r = pa.compute.index(pa.compute.is_null(col), True).as_py()
            raise DataError(f"{path}: row {r} (0-based) of column {c!r} is empty (null)")
        X[:, j] = col.to_numpy(zero_copy_only=False).astype(dtype, copy=False)
    hit = _validation.find_nonfinite(X)
    if hit is not None:
        r, c, v = hit
        what = "NaN" if np.isnan(v) else ("inf" if v > 0 else "-inf")
        raise DataError(f"{path}: {what} in row {r} (0-based) of column {cols[c]!r}; remove or impute it first")
    return Table(X=X, columns=cols, source=str(path), kind="parquet", path=path, all_columns=names, checked=True)


# -- entry points -------------------------------------------------------------------


def read_table(
    path: str | os.PathLike,
    *,
    columns: Sequence[str | int] | str | None = None,
    header: str = "auto",
    delimiter: str | None = None,
    encoding: str | None = None,
    comment: str | None = "#",
    decimal: str = ".",
    skip_rows: int = 0,
) -> Table:
    """Read a numeric table from a CSV/TSV, ``.npy`` or Parquet file.

    Parameters
    ----------
    path : str or path-like
    columns : str or sequence of (str or int), optional
        Columns to keep: names, or 1-based positions (``"1,3"``, ``"2-4"``).
    header : {"auto", "yes", "no"}
        Text files only: whether the first row holds column names.
    delimiter : str, optional
        Text files only: the field separator (sniffed when omitted).
    encoding : str, optional
        Text files only: the character encoding (default UTF-8, with or
        without BOM; UTF-16 with a BOM is recognised).
    comment : str or None, default "#"
        Text files only: lines starting with it (after blanks) are skipped.
    decimal : {".", ","}
        Text files only: the decimal mark (``,`` for ``1,5;2,25``).
    skip_rows : int, default 0
        Text files only: lines to skip at the top (a title, metadata).

    Returns
    -------
    Table

    Raises
    ------
    DataError
        Missing file, unknown format, non-numeric columns (named), a cell that
        is not a number (with line and column), NaN/inf, empty data.
    """
    p = Path(path)
    opts = _text_options(header, delimiter, encoding, comment, decimal, skip_rows)
    if isinstance(columns, str):
        columns = parse_columns(columns)
    if not p.exists():
        raise DataError(f"{p}: no such file")
    if p.is_dir():
        raise DataError(f"{p}: is a directory, expected a data file")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        return _read_npy(p, columns)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(p, columns)
    _refuse_suffix(p)
    return _read_text(p, columns, opts)


def dataset_table(name: str, *, columns: Sequence[str | int] | str | None = None) -> Table:
    """A built-in data set (:mod:`optimeans.datasets`) as a :class:`Table`."""
    from . import datasets

    if name not in datasets.names():
        raise DataError(f"unknown data set {name!r}; available: {', '.join(datasets.names())}")
    if isinstance(columns, str):
        columns = parse_columns(columns)
    X = datasets.load(name)
    names = datasets.feature_names(name)
    idx = _select(columns, names, X.shape[1], f"data set {name!r}")
    return Table(
        X=np.ascontiguousarray(X[:, idx]),
        columns=[names[j] for j in idx],
        source=name,
        kind="dataset",
        all_columns=names,
    )


# -- writing ------------------------------------------------------------------------

Content = Union[str, bytes, Callable[[BinaryIO], None]]


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block ends (main thread only), then re-raise it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[Any] = []

    def handler(signum, frame):  # noqa: ARG001
        caught.append(signum)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _naming(exc: OSError, dest: Path) -> OSError:
    """The same error, naming the destination instead of a temporary file."""
    return OSError(exc.errno, exc.strerror or str(exc), str(dest))


def output_mode() -> int:
    """The mode of a new output file: rw for everyone the umask allows (0644 with the usual 022)."""
    return 0o666 & ~_umask()


def write_files_atomically(files: dict[Path, Content]) -> list[Path]:
    """Write every file, or none of them.

    Each content (text, bytes, or a function writing to a binary file) goes
    to a temporary file beside its destination; once all are complete and
    synced, they are renamed over their destinations with Ctrl-C held back.
    On any error the temporary files are removed and the destinations are
    untouched.

    Returns
    -------
    list of Path
        The files written, in order.
    """
    temps: list[tuple[str, Path]] = []
    mode = output_mode()
    try:
        for dest, content in files.items():
            dest = Path(dest)
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
            except OSError as exc:
                raise _naming(exc, dest) from None
            temps.append((tmp, dest))
            with os.fdopen(fd, "wb") as f:
                if callable(content):
                    content(f)
                else:
                    f.write(content.encode("utf-8") if isinstance(content, str) else content)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, mode)  # mkstemp makes files private (0600); outputs get the usual umask mode
        with _sigint_deferred():
            for tmp, dest in temps:
                try:
                    os.replace(tmp, dest)
                except OSError as exc:
                    raise _naming(exc, dest) from None
            done = [dest for _, dest in temps]
            temps = []
        return done
    finally:
        for tmp, _ in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def format_csv(header: Sequence[str] | None, rows: np.ndarray) -> str:
    """A small CSV text: optional header, one line per row of a 1-D or 2-D array."""
    buf = io.StringIO()
    if header is not None:
        buf.write(",".join(_csv_field(h) for h in header) + "\n")
    arr = np.asarray(rows)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.dtype.kind in "iub":
        if arr.size:
            np.savetxt(buf, arr, delimiter=",", fmt="%d")
    else:
        # str() of a NumPy float is the shortest text that reads back to the same value
        for row in arr:
            buf.write(",".join(str(v) for v in row) + "\n")
    return buf.getvalue()


def _csv_field(text: str) -> str:
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _unique_name(name: str, taken: Sequence[str] | None) -> str:
    if not taken or name not in taken:
        return name
    i = 2
    while f"{name}_{i}" in taken:
        i += 1
    return f"{name}_{i}"


def labels_beside_rows(table: Table, labels: np.ndarray, dest: Path, *, column: str = "label") -> Content:
    """Content of a copy of the input with one more column holding ``labels``.

    The output format follows ``dest``'s suffix: ``.parquet``/``.pq`` (every
    input column plus the label column; Parquet input keeps its column types),
    otherwise delimited text (the input's delimiter when the input is text).
    Text input rows are copied field by field, so columns not used for the
    clustering (names, ids) stay beside their label.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if dest.suffix.lower() in PARQUET_SUFFIXES:
        return _labels_parquet(table, labels, column)
    return _labels_text(table, labels, column, dest)


def _labels_parquet(table: Table, labels: np.ndarray, column: str) -> Content:
    pa = _pyarrow()
    if table.kind == "parquet" and table.path is not None:
        data = pa.parquet.read_table(table.path)
    elif table.kind == "csv" and table.path is not None:
        names = table.all_columns
        rows = list(_text_rows(table))
        if table.header:
            rows = rows[1:]
        n_fields = len(rows[0][1]) if rows else 0
        names = names or [f"column_{j + 1}" for j in range(n_fields)]
        arrays = []
        for j in range(n_fields):
            vals = [r[1][j].strip() for r in rows]
            try:
                arrays.append(pa.array([float(v) for v in vals], type=pa.float64()))
            except ValueError:
                arrays.append(pa.array(vals, type=pa.string()))
        data = pa.table(arrays, names=names)
    else:
        names = table.columns or [f"x{j + 1}" for j in range(table.n_features)]
        data = pa.table([pa.array(table.X[:, j]) for j in range(table.n_features)], names=names)
    name = _unique_name(column, data.column_names)
    data = data.append_column(name, pa.array(labels, type=pa.int64()))

    def write(f: BinaryIO) -> None:
        pa.parquet.write_table(data, f)

    return write


def _text_rows(table: Table) -> Iterator[tuple[int, list[str]]]:
    """The rows of a text table's source file, as the reader saw them."""
    try:
        yield from iter_rows(table.info["layout"])
    except TextError as exc:
        raise DataError(str(exc)) from None


def _labels_text(table: Table, labels: np.ndarray, column: str, dest: Path) -> Content:
    delim = table.delimiter if table.kind == "csv" else ("\t" if dest.suffix.lower() in {".tsv", ".tab"} else ",")
    out_delim = "\t" if delim == " " else delim

    def write(f: BinaryIO) -> None:
        text = io.TextIOWrapper(f, encoding="utf-8", newline="")
        writer = csv.writer(text, delimiter=out_delim, lineterminator="\n")
        if table.kind == "csv" and table.path is not None:
            rows = _text_rows(table)
            if table.header:
                _, head = next(rows)
                # all_columns: the header's names, with the empty one R leaves out above row names
                names = table.all_columns or [h.strip() for h in head]
                writer.writerow(list(names) + [_unique_name(column, table.all_columns)])
            for i, (_, fields) in enumerate(rows):
                writer.writerow(fields + [int(labels[i])])
        else:
            names = table.columns or [f"x{j + 1}" for j in range(table.n_features)]
            writer.writerow(names + [_unique_name(column, names)])
            for i in range(table.n_samples):
                writer.writerow([repr(float(v)) for v in table.X[i]] + [int(labels[i])])
        text.flush()
        text.detach()

    return write
