"""Old/new check of the Lloyd assignment pass at 100000 x 128, k = 256, float32, 1 thread.

Usage: PYTHONPATH=OLD/src python benchmarks/check_assign_pass.py old; PYTHONPATH=src python benchmarks/check_assign_pass.py new
"""
import sys, time, numpy as np
from optimeans._kernels.lloyd import Workspace
from optimeans._numba import numba_threads
rng = np.random.default_rng(0)
X = rng.standard_normal((100000, 128)).astype(np.float32)
C = X[rng.choice(100000, 256, replace=False)].astype(np.float64)
with numba_threads(1):
    ws = Workspace(X, 256)
    ws.set_centers(C)
    ws.assign(do_sums=False)
    ts = []
    for _ in range(12):
        ws.labels[:] = -1
        t = time.perf_counter(); ws.assign(do_sums=False); ts.append(time.perf_counter() - t)
print(sys.argv[1], "assign-only ms: min %.1f median %.1f" % (1e3 * min(ts), 1e3 * np.median(ts)))
