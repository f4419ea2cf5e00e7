"""The machine's arithmetic peak on one thread: fused multiply-adds from registers only.

The arithmetic floor of a k-means iteration is ``2 n k d`` flops at this peak.
The loop below keeps twelve independent vector accumulators (enough to hide
the FMA latency on every current x86 core) and touches no memory, with the
same SIMD vectors as the Lloyd kernels (:mod:`optimeans._kernels._simd`:
AVX-512 when the host has it). It reports GFLOP/s counting an FMA as two
flops per lane, CPU time of the calling thread, best of ``--repeats``.

Usage::

    PYTHONPATH=src python benchmarks/bench_peak.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from optimeans._kernels._simd import VECTOR_BYTES, vadd, vfma, vload, vstore
from optimeans._numba import njit

ACCUMULATORS = 12


@njit(cache=False)
def fma_loop(a, n):
    x = vload(a, 0)
    y = vload(a, a.shape[0] // 4)
    s0 = x
    s1 = y
    s2 = x
    s3 = y
    s4 = x
    s5 = y
    s6 = x
    s7 = y
    s8 = x
    s9 = y
    s10 = x
    s11 = y
    for _ in range(n):
        s0 = vfma(s0, x, y)
        s1 = vfma(s1, x, y)
        s2 = vfma(s2, x, y)
        s3 = vfma(s3, x, y)
        s4 = vfma(s4, x, y)
        s5 = vfma(s5, x, y)
        s6 = vfma(s6, x, y)
        s7 = vfma(s7, x, y)
        s8 = vfma(s8, x, y)
        s9 = vfma(s9, x, y)
        s10 = vfma(s10, x, y)
        s11 = vfma(s11, x, y)
    r = vadd(vadd(vadd(s0, s1), vadd(s2, s3)), vadd(vadd(s4, s5), vadd(s6, s7)))
    vstore(a, a.shape[0] // 2, vadd(r, vadd(vadd(s8, s9), vadd(s10, s11))))


def peak_gflops(dtype, n: int, repeats: int) -> float:
    lanes = VECTOR_BYTES // np.dtype(dtype).itemsize
    a = np.zeros(4 * lanes, dtype=dtype)
    a[:lanes] = 0.5
    a[lanes : 2 * lanes] = 0.25
    fma_loop(a, 10)
    best = np.inf
    for _ in range(repeats):
        t = time.thread_time()
        fma_loop(a, n)
        best = min(best, time.thread_time() - t)
    return ACCUMULATORS * n * lanes * 2 / best / 1e9


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iterations", type=int, default=50_000_000)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    print(f"# vector width {VECTOR_BYTES * 8} bits, 1 thread, CPU time, best of {args.repeats}")
    for dtype in (np.float32, np.float64):
        print(f"{np.dtype(dtype).name}: {peak_gflops(dtype, args.iterations, args.repeats):.1f} GFLOP/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
