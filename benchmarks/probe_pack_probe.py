"""Probe: pack_segments with the pass's permutation vs the identity, and lloyd.pack_data (s9-ball)."""
import os, sys, time
import numba
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lloyd import make_data
from optimeans._kernels import ball as B
from optimeans._kernels import lloyd as K

shape = sys.argv[1]
n, d, k = (int(v) for v in shape.split("x"))
X64, C64 = make_data(n, d, k)
X = np.ascontiguousarray(X64, dtype=np.float32)
C = C64.astype(np.float32).astype(np.float64)
ws = B.BallWorkspace(X, k)
for it in range(2):
    ws.set_centers(C); ws.assign(True); ws.update_centers(C)
ws.set_centers(C)
B.anchor_distances(ws.X, ws.C64, ws.labels, ws.scale, ws.U)
seg_start = np.empty(k + 1, dtype=np.int64)
B.order_by_label(ws.labels, ws.U, k, ws.newlab, seg_start)
seg_start = B.peel_outliers(ws.newlab, seg_start, B.PEEL, B.PEEL_MIN, B.PEEL_SEGMENT, ws.perm)
L = ws.L
sizes = np.diff(seg_start)
seg_block = np.zeros(seg_start.shape[0], dtype=np.int64)
np.cumsum((sizes + L - 1) // L, out=seg_block[1:])
mean = ws.mean[:d]
for thr in (1, 2):
    numba.set_num_threads(thr)
    def tm(fn):
        best = 1e9
        for _ in range(5):
            t = time.perf_counter(); fn(); best = min(best, time.perf_counter() - t)
        return best * 1e3
    a = tm(lambda: B.pack_segments(ws.Xs, ws.sqnorm, ws.U, ws.perm, seg_start, seg_block, ws.XT, ws.lane_pt, ws.block_norm, ws.block_u))
    ident = np.arange(n, dtype=np.int64)
    b = tm(lambda: B.pack_segments(ws.Xs, ws.sqnorm, ws.U, ident, seg_start, seg_block, ws.XT, ws.lane_pt, ws.block_norm, ws.block_u))
    nb = (n + L - 1) // L
    bn = np.empty(nb); sq = np.empty(n)
    c = tm(lambda: K.pack_data(X, mean, ws.scale, ws.XT, bn, sq))
    lay = tm(lambda: ws._layout(True))
    print(f"{shape} thr={thr} load={os.getloadavg()[0]:.2f} pack_segments perm {a:.2f} ms, identity {b:.2f}, lloyd.pack_data {c:.2f}, layout {lay:.2f}")
