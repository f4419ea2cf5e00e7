"""fit(n_threads=t) runs BLAS on one thread and OpenMP on t threads, and gives the pools back afterwards."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import optimeans


def _blas_threads(apis=("blas",)) -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] in apis]


@pytest.mark.parametrize("method", ["lloyd", "hamerly"])
def test_fit_limits_blas_pool_inside_and_restores_it(method):
    if not _blas_threads():
        pytest.skip("no BLAS library loaded that threadpoolctl can see")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 4)).astype(np.float32)
    seen: list[list[int]] = []

    def callback(iteration, objective):
        seen.append(_blas_threads())
        return False

    with threadpool_limits(limits=2, user_api="blas"):
        # the first fit of the process loads libraries (Numba's BLAS bindings, its OpenMP)
        optimeans.fit(X, 5, method=method, n_threads=1, random_state=0, callback=callback)
        after = _blas_threads()
    assert seen, "the callback was never called"
    # during the fit every BLAS pool runs one thread (it ran two before: a worker would spin)
    assert all(t == [1] * len(t) for t in seen), seen
    assert after == [2] * len(after)

    # once loaded, the OpenMP pools are limited too
    seen.clear()
    apis = ("blas", "openmp")

    def callback_all(iteration, objective):
        seen.append(_blas_threads(apis))
        return False

    with threadpool_limits(limits=2):
        optimeans.fit(X, 5, method=method, n_threads=1, random_state=0, callback=callback_all)
        after = _blas_threads(apis)
    assert seen and all(t == [1] * len(t) for t in seen), seen
    assert after == [2] * len(after)


@pytest.mark.skipif(optimeans._numba.max_threads() < 2 if hasattr(optimeans, "_numba") else True, reason="one core")
def test_two_threads_keep_blas_at_one_and_openmp_at_two():
    X = np.random.default_rng(2).normal(size=(20000, 3))
    optimeans.fit(X[:3000], 4, n_threads=2, random_state=0)  # load every library first
    seen: list[tuple[list[int], list[int]]] = []

    def callback(iteration, objective):
        seen.append((_blas_threads(("blas",)), _blas_threads(("openmp",))))
        return False

    with threadpool_limits(limits=1):
        optimeans.fit(X, 4, n_threads=2, random_state=0, callback=callback)
    assert seen
    for blas, omp in seen:
        assert blas == [1] * len(blas)
        assert omp == [2] * len(omp)


def test_same_result_whatever_the_blas_pool_outside():
    X = np.random.default_rng(1).normal(size=(20000, 3))
    with threadpool_limits(limits=1, user_api="blas"):
        a = optimeans.fit(X, 6, n_threads=1, random_state=3)
    with threadpool_limits(limits=2, user_api="blas"):
        b = optimeans.fit(X, 6, n_threads=1, random_state=3)
    assert a.objective == b.objective
    np.testing.assert_array_equal(a.centers, b.centers)


def test_numba_threads_sets_the_count_for_the_block_and_restores_it():
    import numba

    from optimeans._numba import numba_threads

    before = numba.get_num_threads()
    for n in (1, before):  # a change, and the count already set (nothing to change)
        with numba_threads(n) as got:
            assert got == n and numba.get_num_threads() == n
        assert numba.get_num_threads() == before
    with pytest.raises(RuntimeError):
        with numba_threads(1):
            raise RuntimeError("in the block")
    assert numba.get_num_threads() == before
