"""Probe: the Numba threading layer and the cost of an (almost) empty parallel region here.

Usage: PYTHONPATH=src python benchmarks/probe_seed_region.py
"""
import os
import time

import numba
import numpy as np
from numba import njit, prange


@njit(parallel=True, nogil=True)
def _regions(a, reps):
    for _ in range(reps):
        for i in prange(2):
            a[i] += 1.0
    return a


@njit(nogil=True)
def _one(a):
    return a


def main():
    a = np.zeros(2)
    _regions(a, 1)
    print("threading layer:", numba.threading_layer(), "threads:", numba.get_num_threads())
    print("load", os.getloadavg())
    for nt in (1, 2):
        numba.set_num_threads(nt)
        best = float("inf")
        for _ in range(7):
            t = time.perf_counter()
            _regions(a, 1000)
            best = min(best, (time.perf_counter() - t) / 1000)
        print(f"{nt} thread(s): {best * 1e6:.2f} us per region (best of 7 x 1000)")
    print("load", os.getloadavg())


if __name__ == "__main__":
    main()
