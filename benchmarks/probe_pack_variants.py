"""Probe: variants of the ball's pack (s9-ball). B: pack_segments as it is (since c-scaled-rows: C itself); C: from a float32 scaled copy, feature by
feature; D: from the scaled copy, point by point."""
import os, sys, time
import numba
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lloyd import make_data
from optimeans._kernels import ball as B
from optimeans._numba import pjit, prange


@pjit
def scaled_copy(X, mean, scale, Xs):
    n, d = X.shape
    for i in prange(n):
        for f in range(d):
            Xs[i, f] = np.float32((np.float64(X[i, f]) - mean[f]) * scale)


@pjit
def pack_C(Xs, perm, seg_start, seg_block, XT, lane_pt):
    d = Xs.shape[1]
    L = 16
    n_seg = seg_start.shape[0] - 1
    for c in prange((n_seg + 15) // 16):
        rows = np.empty(L, dtype=np.int64)
        for s in range(c * 16, min(n_seg, (c + 1) * 16)):
            p0 = seg_start[s]
            p1 = seg_start[s + 1]
            for b in range(seg_block[s], seg_block[s + 1]):
                q0 = p1 - (seg_block[s + 1] - b) * L
                for l in range(L):
                    q = q0 + l
                    i = perm[q] if q >= p0 else perm[p0]
                    lane_pt[b * L + l] = i if q >= p0 else -1
                    rows[l] = i
                o = b * d * L
                for f in range(d):
                    for l in range(L):
                        XT[o + f * L + l] = Xs[rows[l], f]


@pjit
def pack_D(Xs, perm, seg_start, seg_block, XT, lane_pt):
    d = Xs.shape[1]
    L = 16
    n_seg = seg_start.shape[0] - 1
    for c in prange((n_seg + 15) // 16):
        for s in range(c * 16, min(n_seg, (c + 1) * 16)):
            p0 = seg_start[s]
            p1 = seg_start[s + 1]
            for b in range(seg_block[s], seg_block[s + 1]):
                q0 = p1 - (seg_block[s + 1] - b) * L
                o = b * d * L
                for l in range(L):
                    q = q0 + l
                    i = perm[q] if q >= p0 else perm[p0]
                    lane_pt[b * L + l] = i if q >= p0 else -1
                    for f in range(d):
                        XT[o + f * L + l] = Xs[i, f]


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
seg_block = np.zeros(seg_start.shape[0], dtype=np.int64)
np.cumsum((np.diff(seg_start) + L - 1) // L, out=seg_block[1:])
mean = ws.mean[:d]
Xs = np.empty((n, d), dtype=np.float32)
scaled_copy(X, mean, ws.scale, Xs)
B.pack_segments(ws.Xs, ws.sqnorm, ws.U, ws.perm, seg_start, seg_block, ws.XT, ws.lane_pt, ws.block_norm, ws.block_u)
ref = ws.XT.copy()
for fn in (pack_C, pack_D):
    ws.XT[:] = 0
    fn(Xs, ws.perm, seg_start, seg_block, ws.XT, ws.lane_pt)
    m = seg_block[-1] * d * L
    assert np.array_equal(ws.XT[:m], ref[:m])
for thr in (1, 2):
    numba.set_num_threads(thr)
    def tm(fn):
        best = 1e9
        for _ in range(7):
            t = time.perf_counter(); fn(); best = min(best, time.perf_counter() - t)
        return best * 1e3
    a = tm(lambda: B.pack_segments(ws.Xs, ws.sqnorm, ws.U, ws.perm, seg_start, seg_block, ws.XT, ws.lane_pt, ws.block_norm, ws.block_u))
    c = tm(lambda: pack_C(Xs, ws.perm, seg_start, seg_block, ws.XT, ws.lane_pt))
    dd = tm(lambda: pack_D(Xs, ws.perm, seg_start, seg_block, ws.XT, ws.lane_pt))
    print(f"{shape} thr={thr} load={os.getloadavg()[0]:.2f} B(current) {a:.2f} ms, C(scaled copy, by feature) {c:.2f}, D(scaled copy, by point) {dd:.2f}")
