"""``optimeans fit`` on Dask: several files, data larger than memory, a cluster.

``optimeans fit`` takes this path when given ``--scheduler ADDRESS``,
``--local-cluster N``, ``--out-of-core``, several files, a glob, a directory or
a Zarr array. The data are opened lazily with :func:`optimeans.distributed.read`
(``.npy`` memory maps, Parquet files with selected columns, Zarr), and
:func:`optimeans.fit` runs on the cluster (or on the local threaded scheduler
when none is given), reading the data block by block.

A cluster started with ``--local-cluster`` listens on 127.0.0.1 only, its
dashboard is off unless ``--dashboard`` (then on 127.0.0.1), and it is shut
down when the command ends, however it ends.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ._common import CLIError, print_json

#: Suffixes read through the dask path when several are given.
_DASK_SUFFIXES = (".npy", ".parquet", ".pq", ".zarr")


def add_options(p: argparse.ArgumentParser) -> None:
    """The ``scale out`` option group of ``optimeans fit``."""
    p.add_argument(
        "more_files", nargs="*", metavar="MORE",
        help="more .npy/.parquet files (an expanded glob such as data/*.parquet): read as one data set with dask",
    )
    g = p.add_argument_group("scale out (needs the dask extra: pip install \"optimeans[dask]\")")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask scheduler, e.g. tcp://host:8786")
    where.add_argument(
        "--local-cluster", type=_positive, metavar="N",
        help="start N local worker processes (bound to 127.0.0.1) for this run",
    )
    g.add_argument(
        "--out-of-core", action="store_true",
        help="read FILE block by block with dask on this machine (for data larger than memory)",
    )
    g.add_argument("--dashboard", action="store_true", help="with --local-cluster: serve the dashboard on 127.0.0.1")
    g.add_argument("--block-rows", type=_positive, metavar="N", help="rows per block, rounded up to a multiple of 4096 (default: about 64 MiB)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def wanted(args: argparse.Namespace) -> bool:
    """Whether the options ask for the dask path."""
    if getattr(args, "scheduler", None) or getattr(args, "local_cluster", None) or getattr(args, "out_of_core", False):
        return True
    if getattr(args, "more_files", None):
        return True
    f = getattr(args, "file", None)
    if f is None:
        return False
    # a glob the shell did not expand, a directory of files, a Zarr array
    return any(ch in f for ch in "*?[") or (os.path.isdir(f) and _holds_data(f))


def _holds_data(directory: str) -> bool:
    """A directory of Parquet or .npy files, or a Zarr store (else the plain reader names the problem)."""
    names = os.listdir(directory)
    if any(n in (".zarray", ".zgroup", "zarr.json") for n in names):
        return True
    return any(n.lower().endswith((".parquet", ".pq", ".npy")) for n in names)


def _paths(args: argparse.Namespace) -> list[str]:
    if args.dataset is not None:
        raise CLIError("--dataset is small and in memory; the scale-out options need data FILEs")
    if args.file is None:
        raise CLIError("give the data FILE(s)")
    return [args.file, *args.more_files]


def _refuse_unsupported(args: argparse.Namespace) -> None:
    if getattr(args, "scale", "none") != "none":
        raise CLIError("--scale is not available with dask input; scale the data beforehand")
    if getattr(args, "save", None):
        raise CLIError("--save is not available with dask input; use --out DIR (centers.csv, result.json)")
    if getattr(args, "out", None):
        from ._input import out_kind

        if out_kind(Path(args.out)) != "dir":
            raise CLIError(f"--out {args.out}: a single file is not written with dask input; give a directory")
    if args.dashboard and not args.local_cluster:
        raise CLIError("--dashboard goes with --local-cluster")


def _open(args: argparse.Namespace) -> tuple[Any, list[str] | None, str]:
    """The dask array, its column names and a description of the input."""
    from .. import distributed as od
    from .._io import DataError, parse_columns

    paths = _paths(args)
    try:
        selection = parse_columns(args.columns)
    except DataError as exc:
        raise CLIError(str(exc)) from None
    expanded = od.expand_paths(paths)
    kinds = {os.path.splitext(p)[1].lower() for p in expanded}
    names: list[str] | None = None
    columns = None
    if selection is not None:
        if kinds <= {".parquet", ".pq"}:
            import pyarrow.parquet as pq

            all_names = list(pq.ParquetFile(expanded[0]).schema_arrow.names)
            columns = []
            for c in selection:
                if isinstance(c, int):
                    if c > len(all_names):
                        raise CLIError(f"--columns: position {c} is past the last column ({len(all_names)}) of {expanded[0]}")
                    columns.append(all_names[c - 1])
                else:
                    columns.append(c)
            names = columns
        elif any(isinstance(c, str) for c in selection):
            raise CLIError("--columns: .npy and Zarr data have no column names; give 1-based positions (e.g. 1,3 or 2-5)")
    X = od.read(expanded, columns=columns, block_rows=args.block_rows)
    if selection is not None and columns is None:
        idx = [int(c) - 1 for c in selection]
        if max(idx) >= X.shape[1]:
            raise CLIError(f"--columns: position {max(idx) + 1} is past the last column ({X.shape[1]})")
        X = X[:, idx]
    elif names is None and kinds <= {".parquet", ".pq"}:
        import pyarrow.parquet as pq

        names = list(pq.ParquetFile(expanded[0]).schema_arrow.names)
    source = expanded[0] if len(expanded) == 1 else f"{len(expanded)} files ({expanded[0]} ...)"
    return X, names, source


def _client(args: argparse.Namespace):
    """The Client the options ask for (None: the local threaded scheduler), and how to close it."""
    if args.local_cluster:
        from .. import distributed as od

        owned = od.local_cluster(args.local_cluster, dashboard=args.dashboard)
        if args.dashboard:
            print(f"optimeans: dashboard at {owned.client.dashboard_link}", file=sys.stderr)
        return owned.client, owned.close
    if args.scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise CLIError('--scheduler needs the dask extra: pip install "optimeans[dask]"') from None
        try:
            client = Client(args.scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise CLIError(f"cannot reach the Dask scheduler at {args.scheduler}: {exc}") from None
        return client, client.close
    return None, lambda: None


def _init(args: argparse.Namespace, n_features: int) -> Any:
    if args.init in ("k-means++", "k-means||", "random"):
        return args.init
    from .._io import DataError, read_table

    path = Path(args.init)
    if not path.exists():
        raise CLIError(f"--init must be k-means++, k-means||, random or a file of centers; {args.init!r} is neither")
    try:
        centers = read_table(path, header="auto").X
    except DataError as exc:
        raise CLIError(f"--init: {exc}") from None
    if centers.shape != (args.n_clusters, n_features):
        raise CLIError(
            f"--init: {path} holds {centers.shape[0]} x {centers.shape[1]} centers, "
            f"expected {args.n_clusters} x {n_features} (K x features)"
        )
    return centers


def run(args: argparse.Namespace) -> int:
    """``optimeans fit`` with dask input; the exit status."""
    import optimeans

    from .._io import format_csv, write_files_atomically
    from .._progress import Progress
    from ..distributed.tasks import StateLost
    from ._input import parse_options, show_warnings

    _refuse_unsupported(args)
    try:
        X, names, source = _open(args)
    except ImportError as exc:
        raise CLIError(str(exc)) from None
    except (ValueError, TypeError) as exc:
        raise CLIError(str(exc)) from None
    init = _init(args, int(X.shape[1]))
    client, close = _client(args)
    t0 = time.perf_counter()
    progress = Progress(
        n_restarts=_planned_restarts(args, init, tuple(int(s) for s in X.shape)), max_iter=args.max_iter, enabled=not args.quiet,
        label="optimeans fit",
    )
    try:
        with warnings.catch_warnings(record=True) as caught, progress:
            warnings.simplefilter("always")
            res = optimeans.fit(
                X, args.n_clusters, method=args.method, init=init, n_init=args.n_init, max_iter=args.max_iter,
                tol=args.tol, random_state=args.seed, n_threads=args.threads, callback=progress,
                **({"persist": False} if args.out_of_core else {}), **parse_options(args.option),
            )
    except KeyboardInterrupt:
        # one line, however the cluster goes down: a second Ctrl-C must not
        # break the shutdown, and the closing connections are not news
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        progress.close()
        _quiet_dask_logs()
        print(
            f"optimeans: interrupted at {progress.position()} after {progress.elapsed():.1f} s; nothing written",
            file=sys.stderr,
        )
        close()
        return 130
    except (ValueError, TypeError) as exc:
        close()
        raise CLIError(f"{source}: {exc}") from None
    except StateLost as exc:
        progress.close()
        _quiet_dask_logs()
        print(f"optimeans: error: {exc}; nothing written", file=sys.stderr)
        close()
        return 1
    except BaseException:
        close()
        raise
    progress.close()
    if args.out is None:
        close()
    try:
        seconds = time.perf_counter() - t0
        show_warnings([w for w in caught if "Large object" not in str(w.message)])
        summary = res.summary()
        summary.update(
            seconds=round(seconds, 6), n_features=int(X.shape[1]), input=source,
            scheduler=args.scheduler or ("local-cluster" if args.local_cluster else "threads"),
            n_blocks=res.info["n_blocks"], passes=res.info["passes"],
        )
        if names is not None:
            summary["feature_names"] = names
        if args.out:
            out = Path(args.out)
            if out.exists() and not out.is_dir():
                raise CLIError(f"--out {out}: exists and is not a directory")
            cols = names or [f"x{j + 1}" for j in range(res.centers.shape[1])]
            doc = dict(summary, centers=res.centers.tolist(), history=res.history.to_dict())
            written = write_files_atomically({
                out / "centers.csv": format_csv(cols, res.centers),
                out / "result.json": json.dumps(doc, indent=2) + "\n",
            })
            written.append(_write_labels(res.labels, out / "labels.npy"))
            summary["files"] = [str(p) for p in written]
    finally:
        if args.out is not None:
            close()
    if args.json:
        print_json(summary)
    else:
        print(_report(res, summary))
    return 0


def _write_labels(labels: Any, dest: Path) -> Path:
    """The lazy labels, block by block, into ``dest`` (.npy), atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        mm = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.int64, shape=(int(labels.shape[0]),))
        # block by block into this process's map: a map sent to a worker would be
        # a copy there, and the file would keep its zeros
        pos = 0
        for b in range(labels.numblocks[0]):
            part = np.asarray(labels.blocks[b].compute())
            mm[pos:pos + part.shape[0]] = part
            pos += part.shape[0]
        mm.flush()
        del mm
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest


def _planned_restarts(args: argparse.Namespace, init: Any, shape: tuple[int, int]) -> int:
    """The restarts the fit will make (the rule of :func:`optimeans.fit`), for the progress line."""
    from .._plan import resolve_n_init

    method = "lloyd" if args.method == "auto" else args.method
    seeding = init if not isinstance(init, str) else ("random" if init == "random" else "k-means++")
    try:
        return resolve_n_init(args.n_init, seeding, method, args.n_clusters, shape[1], shape[0])
    except (ValueError, TypeError):
        return 1


def _quiet_dask_logs() -> None:
    """Silence Dask's loggers (connections closing during an interrupted run)."""
    for name in ("distributed", "tornado", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def _report(res: Any, summary: dict[str, Any]) -> str:
    from ._input import STOP_EXPLAINED

    k = res.n_clusters
    lines = [
        f"{summary['input']}: {summary['n_samples']} samples x {summary['n_features']} features -> {k} clusters "
        f"(method {res.method}, {summary['n_blocks']} block{'s' if summary['n_blocks'] != 1 else ''} on {summary['scheduler']})",
        "",
        "  cluster  size",
    ]
    sizes = res.cluster_sizes
    for j in range(min(k, 30)):
        lines.append(f"  {j:>7}  {int(sizes[j])}")
    if k > 30:
        lines.append(f"  ... {k - 30} more clusters (see --out DIR or --json)")
    lines += [
        "",
        f"objective    {res.objective:.10g}  (sum of squared distances to the nearest center)",
        f"iterations   {res.n_iter}; {STOP_EXPLAINED.get(res.stop_reason, res.stop_reason)}",
        f"passes       {summary['passes']} over the data",
        f"seed         {res.seed} (rerun with --seed {res.seed} to get the same result)",
        f"time         {summary['seconds']:.3f} s",
    ]
    if summary.get("files"):
        lines.append(f"written      {', '.join(summary['files'])}")
    return "\n".join(lines)
