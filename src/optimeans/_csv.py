"""Delimited text files (CSV, TSV, ...) read strictly, for the command line.

A reader that never guesses silently:

* **layout** is decided from the first rows (:func:`detect_layout`):
  compression by magic bytes (gzip, bz2, xz; zip is refused), the encoding
  (UTF-8 with or without BOM, UTF-16 with BOM, or ``--encoding``), full-line
  comments (``#`` by default), leading lines to skip, the delimiter (sniffed
  among ``,`` tab ``;`` ``|`` and runs of spaces) and the header;
* **every row must have the field count of the first row** (the header, or
  the first data row); a file that does not is refused with the line number;
* the **header** is detected as csv.Sniffer and pandas would: a first row
  with a non-number where the rows below have numbers, or only non-numbers,
  is a header; so is a row of integers above columns whose values are all
  written with a decimal point and lie far from them (years above measures,
  ``country,2019,2020`` over ``A,1.1,1.2``). Numeric-looking names are
  reported in a note, so the guess is never silent;
* an **index column** (an empty or ``Unnamed: N`` name over strictly
  increasing integers, as ``DataFrame.to_csv`` and R's ``write.csv`` write
  it) or a column of **row labels** (an empty name over distinct texts, R's
  row names) is left out of the default columns, with a note; R's
  ``write.table`` layout (blank-separated, quoted, a header naming every
  column but the row names) is read as R reads it.

The numbers are parsed by ``numpy.loadtxt``, a C parser that is a core
dependency already: on 1 to 4.5 million rows of 8 floats it takes 1.4 to 3
times the time of pandas' C engine at a third of its peak memory (see
benchmarks/bench_read_csv.py). Any file it refuses is read again by a plain
Python parser that gives the exact line and column of the first problem, or
the data when the file is fine (decimal commas, comment lines between rows,
quoted blanks, multi-line quoted fields).
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import csv
import gzip
import lzma
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from . import _validation

#: Rows looked at to decide the layout.
SAMPLE_ROWS = 50

#: The compression formats recognised by their first bytes.
_MAGIC = [(b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz")]
_COMPRESSED_SUFFIXES = {".gz", ".gzip", ".bz2", ".xz"}


class TextError(ValueError):
    """A text file cannot be used; the message names the line and column."""


@dataclass(frozen=True)
class TextOptions:
    """How to read a text file; ``None`` and "auto" mean: detect."""

    header: str = "auto"
    delimiter: str | None = None
    encoding: str | None = None
    comment: str | None = "#"
    decimal: str = "."
    skip_rows: int = 0


@dataclass
class Layout:
    """What :func:`detect_layout` decided about a text file."""

    path: Path
    compression: str | None
    encoding: str
    delimiter: str  # " " means runs of whitespace
    comment: str | None
    decimal: str
    skip_rows: int
    header: bool
    names: list[str] | None
    n_fields: int
    index_columns: int = 0  # leading columns that look like a pandas index (confirmed on the whole file)
    label_column: bool = False  # column 1, without a name, holds distinct texts: row labels
    quoted: bool = False  # the sampled lines hold double quotes
    notes: list[str] = field(default_factory=list)
    sample: list[tuple[int, list[str]]] = field(default_factory=list)


# -- opening ------------------------------------------------------------------------


def _compression(path: Path) -> str | None:
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"PK\x03\x04"):
        raise TextError(f"{path}: a zip archive; unzip it first (gzip, bz2 and xz files are read directly)")
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if path.suffix.lower() in _COMPRESSED_SUFFIXES and head:
        raise TextError(f"{path}: named {path.suffix} but not compressed that way")
    return None


def open_text(path: Path, encoding: str, compression: str | None) -> TextIO:
    """The decoded text of a (possibly compressed) file, newlines kept as they are."""
    if compression == "gzip":
        return gzip.open(path, "rt", encoding=encoding, newline="")
    if compression == "bz2":
        return bz2.open(path, "rt", encoding=encoding, newline="")
    if compression == "xz":
        return lzma.open(path, "rt", encoding=encoding, newline="")
    return open(path, encoding=encoding, newline="")


def _raw_head(path: Path, compression: str | None, size: int = 1 << 16) -> bytes:
    opener = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}.get(compression or "", open)
    try:
        with opener(path, "rb") as f:
            return f.read(size)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise TextError(f"{path}: damaged {compression} file ({exc})") from None


def _encoding(path: Path, head: bytes, requested: str | None) -> str:
    if requested:
        try:
            return codecs.lookup(requested).name
        except LookupError:
            raise TextError(f"--encoding: unknown encoding {requested!r} (e.g. utf-8, latin-1, cp1252, utf-16)") from None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


def _decode_error(path: Path, head: bytes, encoding: str, requested: str | None, line: int | None) -> TextError:
    where = f" (line {line})" if line else ""
    if requested:
        return TextError(f"{path}: cannot be decoded as {encoding}{where}; check --encoding")
    controls = sum(b < 32 and b not in (9, 10, 13) for b in head)
    if b"\x00" in head or controls > len(head) // 20:
        return TextError(
            f"{path}: not a UTF-8 text file{where}: it looks binary (is it another format? use .npy or .parquet)"
        )
    bad = next((b for b in head if b >= 0x80), None)
    byte = f"byte 0x{bad:02x}, " if bad is not None else ""
    return TextError(
        f"{path}: not a UTF-8 text file ({byte}{where.strip(' ()') or 'further on'}); if it is Latin-1 or "
        "Windows text, pass --encoding latin-1 (or cp1252)"
    )


@contextlib.contextmanager
def _large_fields() -> Iterator[None]:
    """Let the csv module read fields of any length (a long text column is not an error)."""
    previous = csv.field_size_limit()
    csv.field_size_limit(1 << 30)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


class _Lines:
    """The physical lines of a text, skipped and comment lines replaced by blank ones.

    Replacing instead of dropping keeps ``csv.reader.line_num`` equal to the
    line number in the file.
    """

    def __init__(self, f: TextIO, skip_rows: int, comment: str | None):
        self.f = f
        self.skip = skip_rows
        self.comment = comment or None
        self.line = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.f:
            self.line += 1
            if self.line <= self.skip or (self.comment and raw.lstrip().startswith(self.comment)):
                yield "\n"
            else:
                yield raw


def split_whitespace(line: str) -> list[str]:
    """Fields separated by runs of blanks; double quotes group blanks into a field (R's write.table)."""
    if '"' not in line:
        return line.split()
    text = line.strip().replace("\t", " ")
    return [f for f in next(csv.reader([text], delimiter=" ", skipinitialspace=True), [])]


def _split_whitespace(lines: _Lines) -> Iterator[tuple[int, list[str]]]:
    for raw in lines:
        fields = split_whitespace(raw)
        if fields:
            yield lines.line, fields


def _split_delimited(lines: _Lines, delim: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(lines, delimiter=delim)
    start = 1
    for fields in reader:
        if fields and any(x.strip() for x in fields):
            yield start, fields
        start = reader.line_num + 1


def iter_rows(layout: Layout, path: Path | None = None) -> Iterator[tuple[int, list[str]]]:
    """(1-based line number, fields) of every row that is not blank, skipped or a comment."""
    path = layout.path if path is None else path
    lines = None
    try:
        with _large_fields(), open_text(path, layout.encoding, layout.compression) as f:
            lines = _Lines(f, layout.skip_rows, layout.comment)
            if layout.delimiter == " ":
                yield from _split_whitespace(lines)
            else:
                yield from _split_delimited(lines, layout.delimiter)
    except UnicodeDecodeError:
        head = _raw_head(path, layout.compression)
        raise _decode_error(path, head, layout.encoding, None, (lines.line + 1) if lines else None) from None
    except csv.Error as exc:
        line = lines.line if lines else 0
        raise TextError(f"{path}: line {line}: cannot be read as delimited text ({exc})") from None
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise TextError(f"{path}: damaged {layout.compression or 'text'} file ({exc})") from None


# -- layout -------------------------------------------------------------------------


_INT = re.compile(r"[+-]?\d+")


def is_number(text: str) -> bool:
    """Does ``text`` read as a float (the way the reader parses cells)?"""
    if "_" in text:  # float("1_000") is 1000.0; no data file means that
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


def _kind(text: str, decimal: str = ".") -> str:
    """'empty', 'int', 'float' (a number written with a point or exponent) or 'text'."""
    t = text.strip()
    if not t:
        return "empty"
    if decimal != ".":
        t = t.replace(decimal, ".")
    if _INT.fullmatch(t):
        return "int"
    return "float" if is_number(t) else "text"


def _sniff_delimiter(lines: list[str], preferred: str, decimal: str) -> str:
    candidates = [preferred] + [d for d in (",", "\t", ";", "|") if d != preferred]
    candidates = [d for d in candidates if d != decimal]
    for delim in candidates:
        try:
            counts = [len(next(csv.reader([ln], delimiter=delim))) for ln in lines]
        except csv.Error:
            continue
        if counts and counts[0] > 1 and all(c == counts[0] for c in counts):
            return delim
    # the first line may differ (a title, or a ragged file): a delimiter the other lines agree on
    for delim in candidates:
        try:
            counts = [len(next(csv.reader([ln], delimiter=delim))) for ln in lines[1:]]
        except csv.Error:
            continue
        if len(counts) >= 2 and counts[0] > 1 and all(c == counts[0] for c in counts):
            return delim
    widths = [len(split_whitespace(ln)) for ln in lines]
    if widths and all(w > 1 for w in widths) and (
        len(set(widths)) == 1 or (len(set(widths[1:])) == 1 and widths[0] == widths[1] - 1 and len(widths) > 2)
    ):
        return " "  # the same number of blank-separated fields (a header may name one fewer, as R writes it)
    return preferred if preferred != decimal else ";"


def detect_header(rows: list[list[str]], decimal: str = ".") -> bool:
    """Whether the first of ``rows`` holds column names (see the module docstring)."""
    first = rows[0]
    below = [r for r in rows[1:] if len(r) == len(first)]
    kinds = [_kind(x, decimal) for x in first]
    if not below:
        return any(k == "text" for k in kinds)
    columns = [[_kind(r[j], decimal) for r in below] for j in range(len(first))]
    numeric_below = [bool(c) and all(k in ("int", "float", "empty") for k in c) and any(k != "empty" for k in c)
                     for c in columns]
    if all(k == "text" for k in kinds):
        return True
    if any(k == "text" and num for k, num in zip(kinds, numeric_below)):
        return True  # a name above numbers: a data row cannot hold text in a numeric column
    votes = 0
    for j, k in enumerate(kinds):
        if not numeric_below[j]:
            continue
        if k == "empty":
            votes += 1  # an empty name (a pandas index); an empty cell in a data row is an error anyway
        elif k == "int" and all(c in ("float", "empty") for c in columns[j]) and len(below) >= 3:
            vals = [float(r[j].strip().replace(decimal, ".")) for r in below if r[j].strip()]
            lo, hi = min(vals), max(vals)
            span = hi - lo
            v = float(first[j].strip())
            votes += 1 if (v < lo - span or v > hi + span) else -1
        elif k in ("int", "float"):
            votes -= 1
    return votes > 0


_UNNAMED = re.compile(r"Unnamed: \d+")


def detect_layout(path: Path, opts: TextOptions) -> Layout:
    """Decide compression, encoding, delimiter, header and field count from the first rows."""
    compression = _compression(path)
    head = _raw_head(path, compression)
    encoding = _encoding(path, head, opts.encoding)
    if opts.decimal not in (".", ","):
        raise TextError(f"--decimal must be '.' or ',', got {opts.decimal!r}")
    if opts.delimiter is not None and opts.delimiter == opts.decimal:
        raise TextError(f"--delimiter and --decimal are both {opts.decimal!r}")
    comment = opts.comment or None
    lines: list[tuple[int, str]] = []
    reader = None
    try:
        with open_text(path, encoding, compression) as f:
            reader = _Lines(f, opts.skip_rows, comment)
            quoted_open = False
            for raw in reader:
                if raw.strip() or quoted_open:
                    lines.append((reader.line, raw))
                    # a quoted field spanning lines: keep reading until it closes
                    quoted_open = (raw.count('"') % 2 == 1) != quoted_open
                if len(lines) >= SAMPLE_ROWS and not quoted_open:
                    break
                if sum(len(r) for _, r in lines) > (8 << 20):  # very wide rows: enough to decide
                    break
    except UnicodeDecodeError:
        raise _decode_error(path, head, encoding, opts.encoding, (reader.line + 1) if reader else None) from None
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise TextError(f"{path}: damaged {compression or 'text'} file ({exc})") from None
    if not lines:
        if opts.skip_rows and head.strip():
            raise TextError(f"{path}: no data after the {opts.skip_rows} line(s) skipped by --skip-rows")
        commented = comment and head.strip() and any(
            ln.strip() for ln in head.decode("utf-8", "replace").splitlines()
        )
        raise TextError(f"{path}: the file is empty" + (f" (only comment lines starting with {comment!r})" if commented else ""))
    preferred = "\t" if _inner_suffix(path) in {".tsv", ".tab"} else ","
    if opts.delimiter is not None:
        delim = opts.delimiter
    else:
        with _large_fields():
            delim = _sniff_delimiter([r.rstrip("\r\n") for _, r in lines if r.strip()], preferred, opts.decimal)
    layout = Layout(path=path, compression=compression, encoding=encoding, delimiter=delim, comment=comment,
                    decimal=opts.decimal, skip_rows=opts.skip_rows, header=False, names=None, n_fields=0)
    layout.quoted = any('"' in r for _, r in lines)
    sample: list[tuple[int, list[str]]] = []
    with contextlib.suppress(TextError):  # a sample cut inside a quoted field: the rows read so far do
        for row in iter_rows(layout):
            sample.append(row)
            if len(sample) >= SAMPLE_ROWS:
                break
    if not sample:
        raise TextError(f"{path}: no data (only empty fields)")
    layout.sample = sample
    rows = [f for _, f in sample]
    first_line, first = sample[0]
    layout.n_fields = len(first)
    others = [len(f) for f in rows[1:]]
    if (opts.header != "no" and others and len(set(others)) == 1 and others[0] == len(first) + 1
            and all(_kind(x) == "text" for x in first)
            and {_kind(r[0]) for r in rows[1:]} in ({"int"}, {"text"})  # row numbers or row names
            and not any(all(_kind(x) == "text" for x in r[1:]) for r in rows[1:])):
        # R's write.table: the header names every column but the row names
        first = [""] + first
        layout.sample = sample = [(first_line, first)] + sample[1:]
        rows = [first] + rows[1:]
        layout.n_fields = len(first)
        layout.header = True
        layout.names = [x.strip() for x in first]
        layout.notes.append(f"line {first_line} has one name fewer than the rows below: the first column "
                            "holds row names (as R's write.table writes them)")
        _find_index_columns(layout, rows)
        return layout
    if others and len(set(others)) == 1 and others[0] != len(first) and len(others) >= 2:
        line2 = sample[1][0]
        raise TextError(
            f"{path}: line {line2} has {others[0]} field(s) like every row below it, but line {first_line} has "
            f"{len(first)}: line {first_line} is not a row of this table (a title or metadata line?); "
            f"skip it with --skip-rows {first_line}"
        )
    has_header = {"yes": True, "no": False}.get(opts.header)
    if has_header is None:
        has_header = detect_header(rows, opts.decimal)
    layout.header = has_header
    if has_header:
        names = [x.strip() for x in first]
        layout.names = names
        numeric_names = [n for n in names if _kind(n) in ("int", "float")]
        if numeric_names and opts.header == "auto":
            shown = ", ".join(numeric_names[:4]) + (", ..." if len(numeric_names) > 4 else "")
            layout.notes.append(
                f"line {first_line} taken as the header although some names look like numbers ({shown}); "
                "pass --header no if it is data"
            )
        _find_index_columns(layout, rows)
    return layout


def _find_index_columns(layout: Layout, rows: list[list[str]]) -> None:
    """Leading columns under an empty or ``Unnamed: N`` name that hold an index, not a feature.

    Increasing integers (``DataFrame.to_csv``) are candidates confirmed on the
    whole file; distinct texts (R's row names, ``"Mazda RX4"``) are row labels.
    """
    names = layout.names or []
    below = [r for r in rows[1:] if len(r) == len(names)]
    if not below or len(names) < 2:
        return
    if names[0] == "" and all(_kind(r[0]) == "text" for r in below) and len({r[0] for r in below}) == len(below):
        layout.label_column = True
        return
    n_index = 0
    while (n_index < len(names) - 1 and (names[n_index] == "" or _UNNAMED.fullmatch(names[n_index]))
           and all(_kind(r[n_index]) == "int" for r in below)):
        vals = [int(r[n_index].strip()) for r in below]
        if not all(b > a for a, b in zip(vals, vals[1:])):
            break
        n_index += 1
    layout.index_columns = n_index


def _inner_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in _COMPRESSED_SUFFIXES:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


# -- reading the numbers ------------------------------------------------------------


def describe_column(j: int, names: list[str] | None) -> str:
    """'column 3 ('petal_length')' with a 1-based position."""
    if names is not None and j < len(names):
        return f"column {j + 1} ({names[j]!r})"
    return f"column {j + 1}"


def read_numbers(layout: Layout, idx: list[int]) -> np.ndarray:
    """The selected columns (0-based ``idx``) of every data row, as float64.

    Raises :class:`TextError` naming the line (and column) of the first row
    with the wrong field count, the first cell that is not a number, or the
    first NaN/inf.
    """
    X = None
    if layout.decimal == "." and not (layout.delimiter == " " and layout.quoted):  # loadtxt splits quoted blanks
        X = _read_fast(layout, idx)
    if X is None:
        try:
            X = _read_exact(layout, idx)
        except TextError:
            if layout.decimal == ".":
                _check_decimal_comma(layout)
            raise
    if X.shape[0] == 0:
        raise TextError(f"{layout.path}: no data rows" + (" (only a header)" if layout.header else ""))
    hit = _validation.find_nonfinite(X)
    if hit is not None:
        r, c, v = hit
        line = _line_of_row(layout, int(r))
        what = "NaN" if np.isnan(v) else ("inf" if v > 0 else "-inf")
        raise TextError(
            f"{layout.path}: line {line}, {describe_column(idx[c], layout.names)}: {what}; remove or impute it first"
        )
    return X


def _read_fast(layout: Layout, idx: list[int]) -> np.ndarray | None:
    """numpy.loadtxt's C parser; None when it refuses the file (the exact reader says why)."""
    import warnings

    first_line = layout.sample[0][0]
    skip = first_line if layout.header else first_line - 1
    every = list(range(layout.n_fields))
    # when the sample's columns are all numbers, read them all: loadtxt then checks every row's width
    all_columns = idx == every or _numeric_columns(layout) == every
    try:
        with warnings.catch_warnings(), contextlib.ExitStack() as stack:
            warnings.simplefilter("error", UserWarning)  # loadtxt warns on an empty input
            # a path lets loadtxt read the bytes itself (faster than through a Python text file)
            source = layout.path if layout.compression is None else stack.enter_context(
                open_text(layout.path, layout.encoding, layout.compression))
            X = np.loadtxt(
                source,
                encoding=layout.encoding,
                delimiter=None if layout.delimiter == " " else layout.delimiter,
                comments=layout.comment,
                skiprows=skip,
                # without usecols loadtxt refuses a row of another width; with it, the width is checked below
                usecols=None if all_columns else idx,
                dtype=np.float64,
                ndmin=2,
                quotechar=None if layout.delimiter == " " else '"',
            )
    except (ValueError, UserWarning, UnicodeDecodeError, OSError, EOFError, lzma.LZMAError):
        return None
    if all_columns and idx != every:
        if X.shape[1] != layout.n_fields:
            return None
        X = np.ascontiguousarray(X[:, idx])
    if X.shape[1] != len(idx):
        return None
    if not all_columns and not _widths_agree(layout):
        return None
    return X


def _widths_agree(layout: Layout) -> bool:
    """Whether every row has ``layout.n_fields`` fields (one pass of the csv module)."""
    rows = iter_rows(layout)
    if layout.header:
        next(rows, None)  # R's header may name one column fewer
    try:
        return all(len(fields) == layout.n_fields for _, fields in rows)
    except TextError:
        return False


def _read_exact(layout: Layout, idx: list[int]) -> np.ndarray:
    """Parse row by row in Python: the data, or the exact place of the first problem."""
    path, names, n_fields = layout.path, layout.names, layout.n_fields
    rows = iter_rows(layout)
    if layout.header:
        next(rows, None)
    chunks: list[np.ndarray] = []
    buf: list[float] = []
    comma = layout.decimal == ","
    numeric_in_sample = _numeric_columns(layout)
    n_rows = 0
    for line_no, fields in rows:
        if len(fields) != n_fields:
            where = "the header" if layout.header else f"line {layout.sample[0][0]}"
            raise TextError(f"{path}: line {line_no} has {len(fields)} field(s), expected {n_fields} (as {where})")
        for j in idx:
            cell = fields[j].strip()
            text = cell.replace(",", ".") if comma else cell
            try:
                if not text or not is_number(text):
                    raise ValueError
                buf.append(float(text))
            except ValueError:
                raise _cell_error(layout, idx, n_rows, line_no, fields, j, cell, numeric_in_sample) from None
        n_rows += 1
        if len(buf) >= 1 << 20:
            chunks.append(np.array(buf, dtype=np.float64))
            buf = []
    chunks.append(np.array(buf, dtype=np.float64))
    return np.concatenate(chunks).reshape(-1, len(idx)) if idx else np.empty((n_rows, 0))


def _numeric_columns(layout: Layout, skip_first_data_row: bool = False) -> list[int]:
    """Columns whose cells in the sampled data rows are all numbers."""
    start = (1 if layout.header else 0) + (1 if skip_first_data_row else 0)
    rows = [f for _, f in layout.sample[start:] if len(f) == layout.n_fields]
    out = []
    for j in range(layout.n_fields):
        kinds = [_kind(r[j], layout.decimal) for r in rows]
        if kinds and all(k in ("int", "float") for k in kinds):
            out.append(j)
    return out


_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*$")


def _check_decimal_comma(layout: Layout) -> None:
    """Name numbers written with a decimal comma (``1,5;2,5``), which are otherwise
    misread as more columns or reported as non-numeric columns."""
    with contextlib.suppress(UnicodeDecodeError, OSError, EOFError, lzma.LZMAError), \
            open_text(layout.path, layout.encoding, layout.compression) as f:
        for line_no, line in enumerate(f, 1):
            if line_no > 200:
                return
            if line_no <= layout.skip_rows or (layout.comment and line.lstrip().startswith(layout.comment)):
                continue
            for sep in (";", "\t", "|"):
                parts = line.rstrip("\r\n").split(sep)
                if len(parts) < 2:
                    continue
                for col, part in enumerate(parts, 1):
                    if _DECIMAL_COMMA.match(part):
                        raise TextError(
                            f"{layout.path}: line {line_no}, column {col}: {part.strip()!r} has a decimal comma; "
                            f"pass --decimal , to read it"
                        )


def _cell_error(
    layout: Layout, idx: list[int], row: int, line_no: int, fields: list[str], j: int, cell: str,
    numeric: list[int],
) -> TextError:
    path, names = layout.path, layout.names
    if layout.decimal == "." and _DECIMAL_COMMA.match(cell):
        return TextError(
            f"{path}: line {line_no}, {describe_column(j, names)}: {cell!r} has a decimal comma; "
            "pass --decimal , to read it (and --delimiter if it is not detected)"
        )
    if not cell:
        return TextError(f"{path}: line {line_no}, {describe_column(j, names)}: empty value")
    if row == 0:
        bad = [i for i in idx if fields[i].strip() and not is_number(fields[i].strip().replace(
            ",", ".") if layout.decimal == "," else fields[i].strip())]
        below_numeric = [i for i in bad if i in _numeric_columns(layout, skip_first_data_row=True)]
        if not layout.header and bad and len(below_numeric) == len(bad):
            # the first row has names above numbers: a header the detection did not take
            return TextError(
                f"{path}: line {line_no} holds {', '.join(repr(fields[i].strip()) for i in bad[:3])} above numbers: "
                "if it is a header, pass --header yes"
            )
        text_cols = [i for i in bad if i not in below_numeric]
        if text_cols:
            listed = ", ".join(describe_column(i, names) for i in text_cols)
            keep = [i for i in idx if i not in text_cols and i in numeric]
            hint = ""
            if keep:
                by_name = names is not None and all(names[i] and not _kind(names[i]) in ("int", "float")
                                                    and not set(names[i]) & set(",-") for i in keep)
                sel = ",".join(names[i] if by_name else str(i + 1) for i in keep)
                hint = f"; select numeric columns, e.g. --columns {sel}"
            example = fields[text_cols[0]].strip()
            return TextError(f"{path}: non-numeric {listed} (line {line_no}: {example!r}){hint}")
    return TextError(f"{path}: line {line_no}, {describe_column(j, names)}: {cell!r} is not a number")


def _line_of_row(layout: Layout, row: int) -> int:
    skip = 1 if layout.header else 0
    for i, (line_no, _) in enumerate(iter_rows(layout)):
        if i - skip == row:
            return line_no
    return -1


def index_columns(layout: Layout, X: np.ndarray) -> int:
    """How many of the candidate index columns (the first of ``X``) hold strictly increasing integers."""
    n = 0
    while n < layout.index_columns:
        col = X[:, n]
        if not (np.all(col == np.round(col)) and (col.shape[0] < 2 or np.all(np.diff(col) > 0))):
            break
        n += 1
    return n


__all__ = ["TextError", "TextOptions", "Layout", "detect_layout", "read_numbers", "iter_rows", "is_number",
           "describe_column", "index_columns", "open_text"]
