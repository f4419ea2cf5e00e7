"""Out of core, large blocks keep their labels in a file mapping; the fit is the same."""

from __future__ import annotations

import mmap

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

import optimeans  # noqa: E402
from optimeans import distributed as od  # noqa: E402
from optimeans.distributed import sources, tasks  # noqa: E402


def _on_mapping(a) -> bool:
    base = a
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None) if isinstance(base, np.ndarray) else getattr(base, "obj", None)
    return base is not None


def test_a_label_array_on_disk_is_a_writable_file_mapping():
    a = tasks.label_array(1000, True)
    assert a.dtype == np.int64 and a.shape == (1000,) and a.flags.writeable
    assert _on_mapping(a)
    a[:] = np.arange(1000)
    assert int(a.sum()) == 999 * 1000 // 2
    b = tasks.label_array(1000, False)
    assert not _on_mapping(b)
    assert tasks.label_array(0, True).shape == (0,)


@pytest.mark.parametrize("n_init", [1, 3])
def test_an_out_of_core_fit_with_labels_on_disk_equals_memory(tmp_path, monkeypatch, n_init):
    from optimeans.distributed import solver

    rng = np.random.default_rng(11)
    X = (rng.standard_normal((20_000, 3)) * 30 + rng.uniform(-500, 500, (1, 3))).astype(np.float32)
    X[::7] += 200.0
    path = tmp_path / "x.npy"
    np.save(path, X)
    monkeypatch.setattr(solver, "current_client", lambda: None)
    monkeypatch.setattr(sources, "current_client", lambda: None)
    monkeypatch.setattr(tasks, "LABELS_ON_DISK_ROWS", 4096)  # every block of this small file
    made = []
    label_array = tasks.label_array

    def spy(n, on_disk):
        made.append((n, on_disk))
        return label_array(n, on_disk)

    monkeypatch.setattr(tasks, "label_array", spy)
    import dask

    C0 = X[[3, 300, 3000, 13000]] + 0.25
    with dask.config.set(scheduler="threads"):
        if n_init == 1:
            res = optimeans.fit(od.read(str(path), block_rows=4096), 4, init=C0, persist=False, tol=0, max_iter=4)
        else:
            res = optimeans.fit(od.read(str(path), block_rows=4096), 4, n_init=n_init, random_state=5,
                                persist=False, max_iter=20)
    assert not res.info["persisted"] and made
    assert all(on_disk == (n >= 4096) for n, on_disk in made) and sum(d for _, d in made) >= 4
    # the labels handed back view the blocks' file mappings (no copy in memory)
    if n_init == 1:
        mem = optimeans.fit(X, 4, init=C0, tol=0, max_iter=4)
        np.testing.assert_array_equal(res.centers, mem.centers)
        np.testing.assert_array_equal(res.history.objective, mem.history.objective)
        np.testing.assert_array_equal(res.labels.compute(), mem.labels)
    else:
        # the best run's labels are kept: they are those of its centers
        labels = res.labels.compute()
        Xd = X.astype(np.float64)
        d2 = ((Xd[:, None, :] - res.centers[None, :, :].astype(np.float64)) ** 2).sum(-1)
        assert float(d2[np.arange(len(X)), labels].sum()) == pytest.approx(res.objective, rel=1e-9)
        np.testing.assert_array_equal(labels, d2.argmin(1))


def test_no_room_for_the_labels_on_disk_keeps_them_in_memory(monkeypatch):
    import errno
    import os

    if not hasattr(os, "posix_fallocate"):
        pytest.skip("no posix_fallocate here")

    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full)
    a = tasks.label_array(5000, True)
    assert a.shape == (5000,) and a.dtype == np.int64 and not _on_mapping(a)
