"""Old/new check of a whole Lloyd iteration (marginal of 10) at 100000 x 128, k = 256, float32, 1 thread.

Usage: PYTHONPATH=OLD/src python benchmarks/check_lloyd_iteration.py old; PYTHONPATH=src python benchmarks/check_lloyd_iteration.py new
"""
import sys, time, numpy as np, optimeans
rng = np.random.default_rng(0)
X = rng.standard_normal((100000, 128)).astype(np.float32)
C = X[rng.choice(100000, 256, replace=False)]
optimeans.fit(X, 256, init=C, max_iter=2, tol=0, method="lloyd", n_threads=1)
ts = []
for _ in range(3):
    t = time.perf_counter(); r = optimeans.fit(X, 256, init=C, max_iter=11, tol=0, method="lloyd", n_threads=1); t1 = time.perf_counter() - t
    t = time.perf_counter(); optimeans.fit(X, 256, init=C, max_iter=1, tol=0, method="lloyd", n_threads=1); t0 = time.perf_counter() - t
    ts.append((t1 - t0) / 10)
print(sys.argv[1], "lloyd marginal ms/iter: min %.1f median %.1f" % (1e3 * min(ts), 1e3 * np.median(ts)), r.objective)
