"""Probe: per-pass time and scanned share of the ball's passes from bench_lloyd.make_data's centers (s9-ball)."""
import os, sys, time
import numba
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lloyd import make_data
from optimeans._kernels import ball as B

shape = sys.argv[1]
thr = int(sys.argv[2]) if len(sys.argv) > 2 else 1
numba.set_num_threads(thr)
n, d, k = (int(v) for v in shape.split("x"))
X64, C64 = make_data(n, d, k)
X = np.ascontiguousarray(X64, dtype=np.float32)
C = C64.astype(np.float32).astype(np.float64)
ws = B.BallWorkspace(X, k)
out = []
for it in range(6):
    t = time.perf_counter()
    ws.set_centers(C)
    moved = ws.assign(True)
    ws.update_centers(C)
    out.append(f"it{it + 1} {1e3 * (time.perf_counter() - t):.1f}ms scanned {ws.scanned_fraction:.3f} moved {moved}")
print(f"{shape} thr={thr} load={os.getloadavg()[0]:.2f}: " + "; ".join(out))
