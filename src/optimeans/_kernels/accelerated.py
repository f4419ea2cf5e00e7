r"""Kernels of the exact accelerated Lloyd iterations (Hamerly, Elkan, Yinyang).

Each keeps, per point, bounds on distances (not squared) that survive a
center update thanks to the triangle inequality: if center ``j`` moved by
``delta_j``, then ``||x - c_j^new|| <= ||x - c_j^old|| + delta_j`` and
``>= ||x - c_j^old|| - delta_j``. A point whose upper bound on the distance to
its own center is below every lower bound on the others keeps its label
without any distance computation.

Exactness
---------
The labels must be *exactly* those of Lloyd's canonical assignment (first
index minimizing the float64 :func:`~optimeans._kernels.lloyd.sqdist64`), so a
point is only skipped when the bounds prove a strict margin: every bound is
widened by a relative ``rel`` that dominates the rounding of the float64
distances and of the bound updates. Ties (exact or within rounding) therefore
always fall through to a computation that applies the canonical rule, and
bounds are exact lower/upper bounds of true distances, never estimates. The
fast float32 values of the Lloyd scan give bounds too, after subtracting their
error bound ``epsilon`` (:mod:`optimeans._kernels.lloyd`).

The cluster sums are kept by the same :func:`~optimeans._kernels.lloyd.move_point`
as Lloyd, chunk by chunk in chunk order, so from the same initial centers every
method produces the same centers, bit for bit, and the same iterations.

References
----------
Hamerly, G. (2010). Making k-means even faster. SIAM SDM, 130-140.
Elkan, C. (2003). Using the triangle inequality to accelerate k-means. ICML, 147-153.
Ding, Y., Zhao, Y., Shen, X., Musuvathi, M., Mytkowicz, T. (2015). Yinyang K-means:
a drop-in replacement of the classic K-means with consistent speedup. ICML, 579-587.
"""

from __future__ import annotations

import math

import numpy as np

from .._numba import njit, pjit, prange
from ._simd import vadd, vfill, vfma, vget, vlanes, vload, vmask_not_gt, vmax, vmin, vmul, vstore, vsub, vwhere_lt
from .lloyd import CHUNK, _fill_panel_gemm, canonical_label, chunk_sums, gemm_rows, gemm_slab, guard_threshold, move_point, scan_blocks, sqdist64

__all__ = [
    "bound_margin", "center_geometry", "hamerly_chunks", "first_pass_chunks", "elkan_chunks", "yinyang_chunks",
    "group_drifts", "elkan_tables", "build_center_tree", "spatial_order", "kdtree_chunks", "kdtree_moves", "yinyang_full_chunks",
    "yinyang_full_fraction",
]

#: Relative widening of every bound (module docstring), times the number of features + 8.
_REL_UNIT = 16.0 * 2.0**-53


def bound_margin(d: int) -> float:
    """The relative widening ``rel`` of the bounds for ``d`` features."""
    return (d + 8) * _REL_UNIT


# ------------------------------------------------------------------ per-iteration geometry


@njit
def center_geometry(old, new, k, rel, drift, half_sep, pairwise):
    """Center drifts and separations, all widened by ``rel`` in the safe direction.

    ``drift[j] >= ||new_j - old_j||``; ``half_sep[j] <= min_{j' != j} ||c_j - c_j'|| / 2``
    (``inf`` when ``k == 1``; skipped, with ``pairwise``, when ``half_sep`` is empty); ``pairwise[j, j'] <= ||c_j - c_j'|| / 2`` when
    ``pairwise`` is ``(k, k)`` (Elkan), untouched when it is ``(0, 0)``.
    ``old``/``new`` are ``(k_pad, dp)`` float64. Returns ``(max_drift,
    argmax_drift, second_max_drift)``.
    """
    dp = new.shape[1]
    top = -1.0
    top_j = 0
    second = -1.0
    for j in range(k):
        s = 0.0
        for f in range(dp):
            t = new[j, f] - old[j, f]
            s += t * t
        dj = math.sqrt(s) * (1.0 + rel)
        drift[j] = dj
        if dj > top:
            second = top
            top = dj
            top_j = j
        elif dj > second:
            second = dj
    if second < 0.0:
        second = 0.0
    full = pairwise.shape[0] == k
    if half_sep.shape[0] == 0:
        return top, top_j, second  # Yinyang: no separations needed (O(k^2 d) saved)
    for j in range(k):
        half_sep[j] = np.inf
    for j in range(k):
        for jj in range(j + 1, k):
            s = 0.0
            for f in range(dp):
                t = new[j, f] - new[jj, f]
                s += t * t
            h = 0.5 * math.sqrt(s) * (1.0 - rel)
            if h < half_sep[j]:
                half_sep[j] = h
            if h < half_sep[jj]:
                half_sep[jj] = h
            if full:
                pairwise[j, jj] = h
                pairwise[jj, j] = h
    return top, top_j, second


@njit(inline="always")
def _move_chunk(X, w, prev, labels, mean, start, end, c, chunk_S, chunk_Q, chunk_W, chunk_N, do_sums):
    """Rows ``start:end`` whose label changed from ``prev``, moved into chunk ``c``'s sums in row order; their count."""
    S, Q, W, N = chunk_sums(c, chunk_S, chunk_Q, chunk_W, chunk_N, do_sums)
    changed = 0
    for i in range(start, end):
        a = prev[i]
        if labels[i] != a:
            changed += 1
            if do_sums:
                move_point(X, w, i, a, labels[i], mean, S, Q, W, N)
    return changed


@njit
def _fill_panel(XT, cand, g, cnt, d, panel):
    """Copy the packed columns of points ``cand[g : g + cnt]`` into the two blocks of ``panel``."""
    L = vlanes(panel)
    for slot in range(2 * L):
        blk = slot // L
        lane = slot - blk * L
        if slot < cnt:
            i = cand[g + slot]
            b = i // L
            l = i - b * L
            for f in range(d):
                panel[(blk * d + f) * L + lane] = XT[(b * d + f) * L + l]
        else:
            for f in range(d):
                panel[(blk * d + f) * L + lane] = 0.0


@njit
def _fast_pair(ba, sa, ia, bb, sb, ib, slot):
    """(best, second, index) of candidate ``slot`` from the two blocks' scan vectors."""
    L = vlanes(ba)
    if slot < L:
        return np.float64(vget(ba, slot)), np.float64(vget(sa, slot)), int(vget(ia, slot))
    return np.float64(vget(bb, slot - L)), np.float64(vget(sb, slot - L)), int(vget(ib, slot - L))


@njit
def _scan_candidates(XT, cand, g, cnt, d, C2, cn, panel):
    """Scan candidates ``cand[g : g + cnt]`` (at most two blocks), in place when they are two whole blocks."""
    L = vlanes(panel)
    i0 = cand[g]
    if cnt == 2 * L and i0 % L == 0 and cand[g + cnt - 1] == i0 + cnt - 1:
        base = (i0 // L) * d * L
        return scan_blocks(XT, base, base + d * L, d, C2, cn)
    _fill_panel(XT, cand, g, cnt, d, panel)
    return scan_blocks(panel, 0, d * L, d, C2, cn)


@njit
def _resolve(X, i, best, second, jf, eps, scale, sqnorm, C64, k):
    """The canonical label of a scanned point and a lower bound on the distance to every other center.

    ``best``/``second``/``jf``: the point's fast values (scaled units, without
    ``||x'||^2``) and fast argmin; ``eps`` their error bound; ``sqnorm`` from
    :func:`~optimeans._kernels.lloyd.pack_data`. Returns
    ``(label, lower)`` with ``lower`` a true (unscaled) distance bound, or 0
    when the fast path had no information.
    """
    if second - best > 2.0 * eps:
        j = jf
        lo = second
    else:
        j = canonical_label(X, i, C64, k)
        lo = best
    # sqnorm is ||x'||^2 of the float32 x': within 3u ||x'||^2 of the exact one, well inside eps
    v = lo + sqnorm[i] - eps - 4.0 * 2.0**-24 * sqnorm[i]
    lower = math.sqrt(v) / scale if (v > 0.0 and v < np.inf) else (np.inf if (k == 1) else 0.0)
    return j, lower


# ------------------------------------------------------------------ Hamerly


@pjit
def hamerly_chunks(
    X, w, XT, block_norm, sqnorm, C2, cn, C64, k, cmax, kappa, scale, mean, rel, labels, upper, lower,
    drift, half_sep, max_drift, argmax_drift, second_drift,
    chunk_S, chunk_Q, chunk_W, chunk_N, chunk_changed, chunk_scanned, do_sums,
):
    """One Hamerly assignment step over chunks of rows.

    ``upper[i]`` bounds the distance to the point's center, ``lower[i]`` the
    distance to every other center; both are advanced by the drifts, then the
    point is skipped if ``upper < max(lower, half_sep[label])``; otherwise the
    upper bound is tightened with the exact distance and, failing again, the
    point joins the candidates that get the full scan (two blocks at a time,
    with the Lloyd kernel). Points with ``labels[i] < 0`` are always scanned.
    The partial sums and ``chunk_changed`` are as in
    :func:`~optimeans._kernels.lloyd.lloyd_chunks`; ``chunk_scanned`` counts
    the points that needed the full scan.

    Notes
    -----
    O(n) bound work plus O(k d) per scanned point and O(d) per tightened one.
    """
    n, d = X.shape
    L = vlanes(XT)
    nc = (n + CHUNK - 1) // CHUNK
    up = 1.0 + rel
    down = 1.0 - rel
    for c in prange(nc):
        start = c * CHUNK
        end = min(n, start + CHUNK)
        S, Q, W, N = chunk_sums(c, chunk_S, chunk_Q, chunk_W, chunk_N, do_sums)
        cand = np.empty(end - start, dtype=np.int64)
        n_cand = 0
        for i in range(start, end):
            a = labels[i]
            if a < 0:
                cand[n_cand] = i
                n_cand += 1
                continue
            u = (upper[i] + drift[a]) * up
            lo = (lower[i] - (second_drift if a == argmax_drift else max_drift)) * down
            lower[i] = lo
            m = max(half_sep[a], lo)
            if u < m:
                upper[i] = u
                continue
            u = math.sqrt(sqdist64(X, i, C64, a)) * up
            upper[i] = u
            if u < m:
                continue
            cand[n_cand] = i
            n_cand += 1
        changed = 0
        panel = np.empty(2 * d * L, dtype=np.float32)
        for g in range(0, n_cand, 2 * L):
            cnt = min(2 * L, n_cand - g)
            ba, sa, ia, bb, sb, ib = _scan_candidates(XT, cand, g, cnt, d, C2, cn, panel)
            for slot in range(cnt):
                i = cand[g + slot]
                best, second, jf = _fast_pair(ba, sa, ia, bb, sb, ib, slot)
                eps = 0.5 * guard_threshold(kappa, block_norm[i // L], cmax)
                j, lo = _resolve(X, i, best, second, jf, eps, scale, sqnorm, C64, k)
                a = labels[i]
                if a != j:
                    if do_sums:
                        move_point(X, w, i, a, j, mean, S, Q, W, N)
                    labels[i] = j
                    changed += 1
                upper[i] = math.sqrt(sqdist64(X, i, C64, j)) * up
                lower[i] = lo * down
        chunk_changed[c] = changed
        chunk_scanned[c] = n_cand


# ------------------------------------------------------------------ first pass of Elkan / Yinyang


@njit
def scan_all(XT, base, d, C2, cn, out):
    """Fast values of every center for one block: ``out[j * L + l]`` (scaled, without ``||x'||^2``)."""
    L = vlanes(XT)
    for j in range(0, cn.shape[0], 4):
        a0 = vfill(XT, cn[j])
        a1 = vfill(XT, cn[j + 1])
        a2 = vfill(XT, cn[j + 2])
        a3 = vfill(XT, cn[j + 3])
        for f in range(d):
            x = vload(XT, base + f * L)
            a0 = vfma(x, vfill(XT, C2[j, f]), a0)
            a1 = vfma(x, vfill(XT, C2[j + 1, f]), a1)
            a2 = vfma(x, vfill(XT, C2[j + 2, f]), a2)
            a3 = vfma(x, vfill(XT, C2[j + 3, f]), a3)
        vstore(out, j * L, a0)
        vstore(out, (j + 1) * L, a1)
        vstore(out, (j + 2) * L, a2)
        vstore(out, (j + 3) * L, a3)


@njit
def _round_down32(v):
    """The largest float32 not above ``v`` (``v >= 0``)."""
    r = np.float32(v)
    if np.float64(r) > v:
        r = np.nextafter(r, np.float32(-1.0))
    return r


@pjit
def first_pass_chunks(
    X, w, XT, block_norm, sqnorm, C2, cn, C64, k, cmax, kappa, scale, mean, rel, labels, upper, lower, group_of,
    chunk_S, chunk_Q, chunk_W, chunk_N, chunk_changed, do_sums,
):
    """Assign every point with the full scan and set the bounds of Elkan (or Yinyang: unused there,
    :func:`yinyang_chunks` with ``first`` is faster).

    ``lower`` is ``(n, kp)`` float32 (Elkan: a bound per center, ``kp >= k``
    with ``inf`` padding; ``group_of`` empty) or ``(n, t)`` float64 (Yinyang:
    per group ``group_of[j]``, over the centers other than the point's own). Bounds come from the fast values minus their error bound.
    """
    n, d = X.shape
    L = vlanes(XT)
    nc = (n + CHUNK - 1) // CHUNK
    per_center = group_of.shape[0] == 0
    up = 1.0 + rel
    down = 1.0 - rel
    for c in prange(nc):
        start = c * CHUNK
        end = min(n, start + CHUNK)
        S, Q, W, N = chunk_sums(c, chunk_S, chunk_Q, chunk_W, chunk_N, do_sums)
        out = np.empty(cn.shape[0] * L, dtype=np.float32)
        changed = 0
        for b in range(start // L, (end + L - 1) // L):
            scan_all(XT, b * d * L, d, C2, cn, out)
            eps = 0.5 * guard_threshold(kappa, block_norm[b], cmax)
            for l in range(min(L, end - b * L)):
                i = b * L + l
                best = np.inf
                second = np.inf
                jf = 0
                for j in range(k):
                    t = np.float64(out[j * L + l])
                    if t < best:
                        second = best
                        best = t
                        jf = j
                    elif t < second:
                        second = t
                j, _ = _resolve(X, i, best, second, jf, eps, scale, sqnorm, C64, k)
                qs = sqnorm[i] - 4.0 * 2.0**-24 * sqnorm[i]
                if not per_center:
                    for g in range(lower.shape[1]):
                        lower[i, g] = np.inf
                for jj in range(k):
                    if jj == j:
                        continue
                    v = np.float64(out[jj * L + l]) + qs - eps
                    lb = math.sqrt(v) / scale * down if (v > 0.0 and v < np.inf) else 0.0
                    if per_center:
                        lower[i, jj] = _round_down32(lb)
                    elif lb < lower[i, group_of[jj]]:
                        lower[i, group_of[jj]] = lb
                if per_center:
                    lower[i, j] = 0.0
                    for jj in range(k, lower.shape[1]):
                        lower[i, jj] = np.inf
                upper[i] = math.sqrt(sqdist64(X, i, C64, j)) * up
                a = labels[i]
                if a != j:
                    if do_sums:
                        move_point(X, w, i, a, j, mean, S, Q, W, N)
                    labels[i] = j
                    changed += 1
        chunk_changed[c] = changed


# ------------------------------------------------------------------ Elkan


@njit
def elkan_tables(drift, pairwise, k, drift32, pair32):
    """float32 tables for :func:`elkan_chunks`: drifts rounded up, half center distances rounded down.

    ``drift32`` is ``(kp,)``, ``pair32`` is ``(k, kp)`` with ``kp`` a multiple of the
    float32 lanes; padding and the diagonal are ``inf`` in ``pair32`` (never a
    candidate) and 0 in ``drift32``.
    """
    kp = drift32.shape[0]
    for j in range(kp):
        if j < k:
            r = np.float32(drift[j])
            if np.float64(r) < drift[j]:
                r = np.nextafter(r, np.float32(np.inf))
            drift32[j] = r
        else:
            drift32[j] = 0.0
    for a in range(k):
        for j in range(kp):
            if j < k and j != a:
                pair32[a, j] = _round_down32(pairwise[a, j])
            else:
                pair32[a, j] = np.inf


@pjit
def elkan_chunks(
    X, w, C64, k, mean, rel, labels, upper, lower, half_sep, drift, drift32, pair32,
    chunk_S, chunk_Q, chunk_W, chunk_N, chunk_changed, chunk_scanned, do_sums,
):
    """One Elkan assignment step over chunks of rows (after :func:`first_pass_chunks`).

    ``lower`` is ``(n, kp)`` float32 (``kp`` = ``k`` rounded up to the float32
    lanes, padding ``inf``): ``lower[i, j]`` bounds ``||x_i - c_j||`` from
    below. Every bound is decreased by its center's drift (float32 vector
    arithmetic, with a relative shrink that dominates its rounding); the centers
    ``j`` whose bound and half distance to the point's center ``pair32[label,
    j]`` are both not above the point's upper bound are the candidates,
    examined in index order with the exact distance, after the upper bound is
    tightened once. ``chunk_scanned`` counts the exact distances computed.

    Notes
    -----
    O(n k / L) vector work on the bounds plus O(d) per distance computed;
    memory ``n kp`` float32.
    """
    n, d = X.shape
    kp = lower.shape[1]
    L = vlanes(lower)
    nc = (n + CHUNK - 1) // CHUNK
    up = 1.0 + rel
    down = 1.0 - rel
    for c in prange(nc):
        start = c * CHUNK
        end = min(n, start + CHUNK)
        S, Q, W, N = chunk_sums(c, chunk_S, chunk_Q, chunk_W, chunk_N, do_sums)
        flat = lower.reshape(n * kp)
        pflat = pair32.reshape(pair32.shape[0] * kp)
        shrink = vfill(lower, 1.0 - 4.0 * 2.0**-24)
        zero = vfill(lower, 0.0)
        changed = 0
        computed = 0
        for i in range(start, end):
            a = labels[i]
            u = (upper[i] + drift[a]) * up
            u32 = np.float32(u)
            if np.float64(u32) < u:
                u32 = np.nextafter(u32, np.float32(np.inf))
            uv = vfill(lower, u32)
            skip_all = u < half_sep[a]
            bj = a
            tight = False
            best = 0.0
            for j0 in range(0, kp, L):
                o = i * kp + j0
                lv = vmax(vmul(vsub(vload(flat, o), vload(drift32, j0)), shrink), zero)
                vstore(flat, o, lv)
                if skip_all:
                    continue
                bits = vmask_not_gt(lv, uv) & vmask_not_gt(vload(pflat, a * kp + j0), uv)
                while bits != 0:
                    lane = 0
                    while (bits >> lane) & 1 == 0:
                        lane += 1
                    bits &= bits - 1
                    j = j0 + lane
                    if j == bj:
                        continue
                    if u < np.float64(flat[o + lane]) or u < np.float64(pflat[bj * kp + j]):
                        continue
                    if not tight:
                        best = sqdist64(X, i, C64, bj)
                        computed += 1
                        u = math.sqrt(best) * up
                        tight = True
                        if u < np.float64(flat[o + lane]) or u < np.float64(pflat[bj * kp + j]):
                            continue
                    s = sqdist64(X, i, C64, j)
                    computed += 1
                    flat[o + lane] = _round_down32(math.sqrt(s) * down)
                    if s < best or (s == best and j < bj):
                        # the old center becomes one of the others: its exact distance bounds it
                        flat[i * kp + bj] = _round_down32(math.sqrt(best) * down)
                        best = s
                        bj = j
                        u = math.sqrt(s) * up
            upper[i] = u
            if a != bj:
                if do_sums:
                    move_point(X, w, i, a, bj, mean, S, Q, W, N)
                labels[i] = bj
                changed += 1
        chunk_changed[c] = changed
        chunk_scanned[c] = computed


# ------------------------------------------------------------------ Yinyang


@njit
def group_drifts(drift, groups, group_start, out):
    """out[g] = the largest drift of the centers of group ``g`` (``groups`` sorted by group)."""
    for g in range(out.shape[0]):
        m = 0.0
        for t in range(group_start[g], group_start[g + 1]):
            if drift[groups[t]] > m:
                m = drift[groups[t]]
        out[g] = m


@njit(inline="always")
def _scan_all8(XT, base, d, C2, cn, out):
    """As :func:`scan_all`, eight centers at a time (``cn.shape[0]`` a multiple of 8): eight independent FMA chains."""
    L = vlanes(XT)
    for j in range(0, cn.shape[0], 8):
        a0 = vfill(XT, cn[j])
        a1 = vfill(XT, cn[j + 1])
        a2 = vfill(XT, cn[j + 2])
        a3 = vfill(XT, cn[j + 3])
        a4 = vfill(XT, cn[j + 4])
        a5 = vfill(XT, cn[j + 5])
        a6 = vfill(XT, cn[j + 6])
        a7 = vfill(XT, cn[j + 7])
        for f in range(d):
            x = vload(XT, base + f * L)
            a0 = vfma(x, vfill(XT, C2[j, f]), a0)
            a1 = vfma(x, vfill(XT, C2[j + 1, f]), a1)
            a2 = vfma(x, vfill(XT, C2[j + 2, f]), a2)
            a3 = vfma(x, vfill(XT, C2[j + 3, f]), a3)
            a4 = vfma(x, vfill(XT, C2[j + 4, f]), a4)
            a5 = vfma(x, vfill(XT, C2[j + 5, f]), a5)
            a6 = vfma(x, vfill(XT, C2[j + 6, f]), a6)
            a7 = vfma(x, vfill(XT, C2[j + 7, f]), a7)
        vstore(out, j * L, a0)
        vstore(out, (j + 1) * L, a1)
        vstore(out, (j + 2) * L, a2)
        vstore(out, (j + 3) * L, a3)
        vstore(out, (j + 4) * L, a4)
        vstore(out, (j + 5) * L, a5)
        vstore(out, (j + 6) * L, a6)
        vstore(out, (j + 7) * L, a7)


@njit(inline="always")
def _scan_groups(XT, base, d, C2, cn, gpad, n_groups, out, gmin):
    """Full scan of one block: every fast value in ``out``, the lane-wise minimum per group in ``gmin``.

    ``gpad[j]`` is the group of center ``j`` (``n_groups`` for padding rows);
    ``gmin[g * L + l]`` becomes the smallest fast value of point ``l`` over group
    ``g``. Returns the lane-wise ``(best, second, index)`` as the Lloyd scan does
    (the same fast values: each is the same chain of FMAs over the features).
    """
    L = vlanes(XT)
    kp = cn.shape[0]
    if kp % 8 == 0:
        _scan_all8(XT, base, d, C2, cn, out)
    else:
        scan_all(XT, base, d, C2, cn, out)
    inf = vfill(XT, np.inf)
    for g in range(n_groups + 1):
        vstore(gmin, g * L, inf)
    best = inf
    second = inf
    idx = vfill(XT, 0.0)
    for j in range(kp):
        v = vload(out, j * L)
        second = vmin(second, vmax(best, v))
        idx = vwhere_lt(v, best, vfill(XT, j), idx)
        best = vmin(best, v)
        o = gpad[j] * L
        vstore(gmin, o, vmin(vload(gmin, o), v))
    return best, second, idx


@njit
def _fill_block(XT, cand, g, cnt, d, panel):
    """Copy the packed columns of points ``cand[g : g + cnt]`` (at most one block) into ``panel``."""
    L = vlanes(panel)
    for lane in range(L):
        if lane < cnt:
            i = cand[g + lane]
            b = i // L
            l = i - b * L
            for f in range(d):
                panel[f * L + lane] = XT[(b * d + f) * L + l]
        else:
            for f in range(d):
                panel[f * L + lane] = 0.0


@njit(inline="always")
def _settle_scanned(
    X, i, vals, stride, col, slot, bv, sv, iv, gmin, gsec, goff, block_norm, sqnorm, C64, k, cmax, kappa, scale, up, down,
    labels, upper, glower, groups, group_start, group_of, n_groups,
):
    """Label and bounds of fully scanned point ``i`` (lane ``slot`` of ``bv``/``sv``/``iv``, of ``gmin`` from ``goff``).

    Its fast value for center ``j`` is ``vals[j * stride + col]``. With
    ``stride == 0`` (the BLAS products, of which only the last slab of centers
    is at hand) the bound of its own group comes instead from the group's two
    smallest fast values (``gmin``, ``gsec``): the second when its label is the
    fast argmin (the smallest over the group's other centers, ties counted),
    else the smallest (a lower bound of them). Returns 1 if its label changed.
    """
    L = vlanes(gmin)
    eps = 0.5 * guard_threshold(kappa, block_norm[i // L], cmax)
    jf = int(vget(iv, slot))
    j, _ = _resolve(X, i, np.float64(vget(bv, slot)), np.float64(vget(sv, slot)), jf, eps, scale, sqnorm, C64, k)
    qs = sqnorm[i] - 4.0 * 2.0**-24 * sqnorm[i]
    gj = group_of[j]
    for g in range(n_groups):
        if g == gj and stride == 0:
            if group_start[g + 1] - group_start[g] == 1:
                glower[i, g] = np.inf
                continue
            m = np.float64(gsec[goff + g * L + slot]) if j == jf else np.float64(gmin[goff + g * L + slot])
        elif g == gj:
            m = np.inf
            others = False
            for t in range(group_start[g], group_start[g + 1]):
                jj = groups[t]
                if jj != j:
                    others = True
                    m = min(m, np.float64(vals[jj * stride + col]))
            if not others:
                glower[i, g] = np.inf
                continue
        else:
            m = np.float64(gmin[goff + g * L + slot])
        v = m + qs - eps
        glower[i, g] = math.sqrt(v) / scale * down if (v > 0.0 and v < np.inf) else 0.0
    upper[i] = math.sqrt(sqdist64(X, i, C64, j)) * up
    if labels[i] != j:
        labels[i] = j
        return 1
    return 0


@njit(inline="always")
def _fill_columns(XT, cand, g0, cnt, d, panel):
    """``panel[:, q]`` = the packed point ``cand[g0 + q]`` for ``q < cnt``, zero beyond (``panel`` is ``d x R``)."""
    L = vlanes(XT)
    R = panel.shape[1]
    q = 0
    while q < R:
        i0 = cand[g0 + q] if q < cnt else -1
        if q + L <= cnt and i0 % L == 0 and cand[g0 + q + L - 1] == i0 + L - 1:
            # a whole packed block in order (every point of the first pass): one vector per feature
            b = i0 // L
            for f in range(d):
                vstore(panel, f * R + q, vload(XT, (b * d + f) * L))
            q += L
            continue
        if q < cnt:
            b = i0 // L
            l = i0 - b * L
            for f in range(d):
                panel[f, q] = XT[(b * d + f) * L + l]
        else:
            for f in range(d):
                panel[f, q] = 0.0
        q += 1


@njit(inline="always")
def _groups_from_products(G, h, cn, gpad, n_groups, j0, j1, tb, ts, ti, gmin, gsec):
    """As :func:`_scan_groups` for the points in columns ``h .. h + L - 1`` of the slab's products
    ``G = C2[j0:j1] @ panel`` (fast value ``G[j - j0] + cn[j]``), carried on from slab to slab.

    The best / second / index lanes are kept in ``tb``, ``ts``, ``ti`` (from
    offset ``h``) and the group minima in ``gmin`` (from ``h * (n_groups + 1)``)
    between slabs, and the group's second smallest in ``gsec`` (same layout); the
    first slab (``j0 == 0``) starts them afresh.
    """
    L = vlanes(gmin)
    R = G.shape[1]
    go = h * (n_groups + 1)
    inf = vfill(gmin, np.inf)
    if j0 == 0:
        for g in range(n_groups + 1):
            vstore(gmin, go + g * L, inf)
            vstore(gsec, go + g * L, inf)
        best = inf
        second = inf
        idx = vfill(gmin, 0.0)
    else:
        best = vload(tb, h)
        second = vload(ts, h)
        idx = vload(ti, h)
    for j in range(j0, j1):
        v = vadd(vload(G, (j - j0) * R + h), vfill(gmin, cn[j]))
        second = vmin(second, vmax(best, v))
        idx = vwhere_lt(v, best, vfill(gmin, j), idx)
        best = vmin(best, v)
        o = go + gpad[j] * L
        m = vload(gmin, o)
        vstore(gsec, o, vmin(vload(gsec, o), vmax(m, v)))
        vstore(gmin, o, vmin(m, v))
    vstore(tb, h, best)
    vstore(ts, h, second)
    vstore(ti, h, idx)


#: Rows per unit of work of :func:`yinyang_chunks` (a divisor of :data:`CHUNK`): the
#: assignment runs over units, the sums over chunks. With 2 threads and 50000 rows,
#: 13 chunks split 7 / 6 (at best 87 % of both cores busy), 49 units 25 / 24.
YINYANG_UNIT = 1024


@pjit
def yinyang_chunks(
    X, w, XT, block_norm, sqnorm, C2, cn, C64, k, cmax, kappa, scale, mean, rel, labels, upper, glower, drift, gdrift,
    groups, group_start, group_of, gpad, first, dense, gemm, chunk_S, chunk_Q, chunk_W, chunk_N, chunk_changed,
    chunk_scanned, do_sums,
):
    """One Yinyang assignment step over chunks of rows.

    Centers are split into groups (``groups[group_start[g]:group_start[g+1]]``
    are the centers of group ``g``, ``group_of[j]`` the group of center ``j``,
    ``gpad`` the same padded to the packed centers with ``n_groups``);
    ``glower[i, g]`` bounds the distance from point ``i`` to every center of
    group ``g`` other than its own. With ``first`` every point gets the full
    scan. Otherwise, after the drift updates, the global filter skips a point
    whose upper bound is below every group bound; if not, the upper bound is
    tightened, and the groups whose bound does not clear it are counted: when
    they hold more than ``k / dense`` centers the point joins the candidates of
    the full scan (the Lloyd kernel's SIMD scan, one block of candidates at a
    time, which sets every group bound anew from the fast values minus their
    error bound); else each such group is examined center by center, where the
    local filter skips a center whose old group bound minus its own drift
    already clears the best distance so far. ``chunk_scanned`` counts the
    distances computed (``k`` per fully scanned point).

    Notes
    -----
    Two parallel passes: labels and bounds over units of :data:`YINYANG_UNIT`
    rows (every point's work depends on that point alone), then the moves into
    each chunk's sums, in row order, over chunks of :data:`CHUNK` rows: the
    same sums, bit for bit, whatever the thread count.
    O(n t) bound work for ``t`` groups, O(d) per distance computed one by one,
    O(k d / L) per fully scanned point; memory ``n t`` float64, the ``n``
    labels at entry, plus ``k L`` float32 per thread (``(slab + d) R`` with the
    BLAS products, :func:`~optimeans._kernels.lloyd.gemm_slab`).
    """
    n, d = X.shape
    L = vlanes(XT)
    kp = cn.shape[0]
    n_groups = glower.shape[1]
    nc = (n + CHUNK - 1) // CHUNK
    nu = (n + YINYANG_UNIT - 1) // YINYANG_UNIT
    up = 1.0 + rel
    down = 1.0 - rel
    # the labels at entry: the sums move in phase 2, in row order as in Lloyd, since points
    # settled through their groups and points sent to the full scan interleave
    prev = labels.copy()
    unit_scanned = np.zeros(nu, dtype=np.int64)
    # phase 1, per unit of rows (finer than the chunks, so the threads share the work evenly):
    # labels and bounds, no sums
    for c in prange(nu):
        start = c * YINYANG_UNIT
        end = min(n, start + YINYANG_UNIT)
        computed = 0
        changed = 0  # counted again in phase 2
        cand = np.empty(end - start, dtype=np.int64)
        n_cand = 0
        old_lb = np.empty(n_groups, dtype=np.float64)
        min1 = np.empty(n_groups, dtype=np.float64)
        arg1 = np.empty(n_groups, dtype=np.int64)
        min2 = np.empty(n_groups, dtype=np.float64)
        fail = np.empty(n_groups, dtype=np.int64)
        for i in range(start, end):
            a = labels[i]
            if first or a < 0:
                cand[n_cand] = i
                n_cand += 1
                continue
            u = (upper[i] + drift[a]) * up
            glob = np.inf
            for g in range(n_groups):
                old_lb[g] = glower[i, g]
                v = (glower[i, g] - gdrift[g]) * down
                glower[i, g] = v
                if v < glob:
                    glob = v
            if u < glob:
                upper[i] = u
                continue
            best = sqdist64(X, i, C64, a)
            computed += 1
            da = math.sqrt(best)
            u = da * up
            if u < glob:
                upper[i] = u
                continue
            # the groups whose bound does not clear the tightened upper bound, and the centers they hold
            n_fail = 0
            work = 0
            for g in range(n_groups):
                if not (u < glower[i, g]):
                    fail[n_fail] = g
                    n_fail += 1
                    work += group_start[g + 1] - group_start[g]
            if work * dense > k:
                cand[n_cand] = i
                n_cand += 1
                continue
            bj = a
            ga = group_of[a]
            own_seen = False
            for q in range(n_fail):
                g = fail[q]
                if u < glower[i, g]:
                    # cleared by a better center found meanwhile: the bound stays
                    min1[q] = glower[i, g]
                    arg1[q] = -1
                    continue
                if g == ga:
                    own_seen = True
                # the two smallest lower bounds (exact distances where computed) over the whole group
                m1 = np.inf
                a1 = -1
                m2 = np.inf
                for t in range(group_start[g], group_start[g + 1]):
                    j = groups[t]
                    if j == a:
                        v = da * down
                    else:
                        loc = (old_lb[g] - drift[j]) * down
                        if u < loc:
                            v = loc  # local filter: cannot beat the best so far
                        else:
                            s = sqdist64(X, i, C64, j)
                            computed += 1
                            v = math.sqrt(s) * down
                            if s < best or (s == best and j < bj):
                                best = s
                                bj = j
                                u = math.sqrt(s) * up
                    if v < m1:
                        m2 = m1
                        m1 = v
                        a1 = j
                    elif v < m2:
                        m2 = v
                min1[q] = m1
                arg1[q] = a1
                min2[q] = m2
            for q in range(n_fail):
                glower[i, fail[q]] = min2[q] if arg1[q] == bj else min1[q]
            if not own_seen and bj != a:
                # the old center joins the "others" of its group
                if da * down < glower[i, ga]:
                    glower[i, ga] = da * down
            upper[i] = u
            if a != bj:
                labels[i] = bj
                changed += 1
        # the full scan of the candidates, one block at a time (with ``gemm``: the fast values of
        # R candidates from one BLAS product, then L of them at a time)
        if n_cand > 0 and gemm:
            R = gemm_rows(kp)
            Ks = gemm_slab(kp)
            G = np.empty((Ks, R), dtype=np.float32)
            panel = np.empty((d, R), dtype=np.float32)
            tb = np.empty(R, dtype=np.float32)
            ts = np.empty(R, dtype=np.float32)
            ti = np.empty(R, dtype=np.float32)
            gmin = np.empty(R * (n_groups + 1), dtype=np.float32)
            gsec = np.empty(R * (n_groups + 1), dtype=np.float32)
            no_vals = np.empty(0, dtype=np.float32)
            for g0 in range(0, n_cand, R):
                cnt_r = min(R, n_cand - g0)
                _fill_columns(XT, cand, g0, cnt_r, d, panel)
                for j0 in range(0, kp, Ks):
                    j1 = min(kp, j0 + Ks)
                    np.dot(C2[j0:j1], panel, G[: j1 - j0])
                    for h in range(0, cnt_r, L):
                        _groups_from_products(G, h, cn, gpad, n_groups, j0, j1, tb, ts, ti, gmin, gsec)
                for h in range(0, cnt_r, L):
                    bv = vload(tb, h)
                    sv = vload(ts, h)
                    iv = vload(ti, h)
                    for slot in range(min(L, cnt_r - h)):
                        changed += _settle_scanned(
                            X, cand[g0 + h + slot], no_vals, 0, 0, slot, bv, sv, iv, gmin, gsec, h * (n_groups + 1),
                            block_norm, sqnorm, C64, k, cmax, kappa, scale, up, down, labels, upper, glower, groups,
                            group_start, group_of, n_groups,
                        )
        elif n_cand > 0:
            out = np.empty(kp * L, dtype=np.float32)
            gmin = np.empty((n_groups + 1) * L, dtype=np.float32)
            panel = np.empty(d * L, dtype=np.float32)
            for g0 in range(0, n_cand, L):
                cnt = min(L, n_cand - g0)
                i0 = cand[g0]
                if cnt == L and i0 % L == 0 and cand[g0 + cnt - 1] == i0 + cnt - 1:
                    bv, sv, iv = _scan_groups(XT, (i0 // L) * d * L, d, C2, cn, gpad, n_groups, out, gmin)
                else:
                    _fill_block(XT, cand, g0, cnt, d, panel)
                    bv, sv, iv = _scan_groups(panel, 0, d, C2, cn, gpad, n_groups, out, gmin)
                for slot in range(cnt):
                    changed += _settle_scanned(
                        X, cand[g0 + slot], out, L, slot, slot, bv, sv, iv, gmin, gmin, 0, block_norm, sqnorm,
                        C64, k, cmax, kappa, scale, up, down, labels, upper, glower, groups, group_start,
                        group_of, n_groups,
                    )
        unit_scanned[c] = computed + n_cand * k
    # phase 2, per chunk: the moves into the chunk's sums, in row order
    per = CHUNK // YINYANG_UNIT
    for c in prange(nc):
        start = c * CHUNK
        end = min(n, start + CHUNK)
        chunk_changed[c] = _move_chunk(X, w, prev, labels, mean, start, end, c, chunk_S, chunk_Q, chunk_W, chunk_N, do_sums)
        scanned = 0
        for u in range(c * per, min(nu, (c + 1) * per)):
            scanned += unit_scanned[u]
        chunk_scanned[c] = scanned


@njit(inline="always")
def _track_group_slab(G, h, cng, group_start, g0, g1, n_groups, gm1, gm2, gix):
    """Per group ``g0 .. g1 - 1`` of a slab (centers in group order, the slab starting at
    ``group_start[g0]``): the lane-wise smallest and second smallest fast value of the
    points in columns ``h L .. h L + L - 1`` of ``G``, and the position of the smallest.

    Fast value ``G[p - group_start[g0]] + cng[p]`` for position ``p``. Stored at
    ``(h n_groups + g) L`` in ``gm1``, ``gm2`` (ties counted: a tie makes the second
    equal to the smallest) and ``gix`` (the first position reaching the smallest).
    The same four vector operations per center as the Lloyd pass's tracking, and no
    gathers: a group is a run of consecutive rows of the product.
    """
    L = vlanes(gm1)
    R = G.shape[1]
    base = group_start[g0]
    inf = vfill(gm1, np.inf)
    for g in range(g0, g1):
        m1 = inf
        m2 = inf
        ix = vfill(gm1, 0.0)
        for p in range(group_start[g], group_start[g + 1]):
            v = vadd(vload(G, (p - base) * R + h * L), vfill(gm1, cng[p]))
            m2 = vmin(m2, vmax(m1, v))
            ix = vwhere_lt(v, m1, vfill(gm1, p), ix)
            m1 = vmin(m1, v)
        o = (h * n_groups + g) * L
        vstore(gm1, o, m1)
        vstore(gm2, o, m2)
        vstore(gix, o, ix)


@pjit
def yinyang_full_chunks(
    X, w, XT, block_norm, sqnorm, C2g, cng, C64, k, cmax, kappa, scale, mean, rel, labels, upper, glower,
    groups, group_start, group_of, slab_groups, chunk_S, chunk_Q, chunk_W, chunk_N, chunk_changed, do_sums,
):
    """Lloyd's full assignment pass through BLAS products that also sets every Yinyang bound anew.

    ``C2g``, ``cng`` are the packed centers (:func:`~optimeans._kernels.lloyd.pack_centers`)
    in group order (row ``p`` is center ``groups[p]``), so that each group is a run of
    consecutive rows of the product ``G = C2g[slab] @ panel``; ``slab_groups[s] ..
    slab_groups[s + 1] - 1`` are the groups of slab ``s``. Per point and group, the
    smallest and second smallest fast value (:func:`_track_group_slab`); the point's
    best / second / argmin are folded from them. Label: :func:`_resolve` (the fast argmin
    when its margin exceeds the error bound, else the canonical rule), so every label is
    Lloyd's, whatever the order of the centers or of BLAS's sums (the guard covers a dot
    product summed in any order). Bounds: ``upper[i]`` from the exact distance to the
    label; ``glower[i, g]`` from the group's smallest fast value minus its error bound,
    for the label's own group from the smallest value over its other centers (the second
    smallest when the label is the group's fast argmin). Sums: the moves in row order per
    chunk, as in :func:`yinyang_chunks`, so the same bits as Lloyd on any thread count.

    Notes
    -----
    The cost of Lloyd's BLAS pass (:func:`~optimeans._kernels.lloyd._lloyd_chunks_gemm`):
    the same products and the same tracking per center, plus O(t) per point for ``t``
    groups (the fold and the bounds) and one exact distance. Rows are processed in units
    of :data:`YINYANG_UNIT` (both threads busy at 50000 rows). Memory per thread
    ``(slab + d) R`` float32 for the products and ``3 t R`` float32 for the group minima.
    """
    n, d = X.shape
    L = vlanes(XT)
    n_groups = glower.shape[1]
    n_slabs = slab_groups.shape[0] - 1
    R = gemm_rows(cng.shape[0])
    Ks = 0
    for s in range(n_slabs):
        Ks = max(Ks, group_start[slab_groups[s + 1]] - group_start[slab_groups[s]])
    nc = (n + CHUNK - 1) // CHUNK
    nu = (n + YINYANG_UNIT - 1) // YINYANG_UNIT
    up = 1.0 + rel
    down = 1.0 - rel
    # sqrt(v) * shrink <= sqrt(v) / scale * down as computed elsewhere: the product's two extra
    # roundings (2^-53 each) are covered by the 4 * 2^-53 taken off (no division per bound)
    shrink = (1.0 / scale) * down * (1.0 - 4.0 * 2.0**-53)
    prev = labels.copy()
    for c in prange(nu):
        start = c * YINYANG_UNIT
        end = min(n, start + YINYANG_UNIT)
        panel = np.empty((d, R), dtype=np.float32)
        G = np.empty((Ks, R), dtype=np.float32)
        gm1 = np.empty(R * n_groups, dtype=np.float32)
        gm2 = np.empty(R * n_groups, dtype=np.float32)
        gix = np.empty(R * n_groups, dtype=np.float32)
        b_end = (end + L - 1) // L
        for b0 in range(start // L, b_end, R // L):
            n_blocks = min(R // L, b_end - b0)
            _fill_panel_gemm(XT, b0, n_blocks, d, panel)
            for s in range(n_slabs):
                g0 = slab_groups[s]
                g1 = slab_groups[s + 1]
                p0 = group_start[g0]
                p1 = group_start[g1]
                np.dot(C2g[p0:p1], panel, G[: p1 - p0])
                for h in range(n_blocks):
                    _track_group_slab(G, h, cng, group_start, g0, g1, n_groups, gm1, gm2, gix)
            for h in range(n_blocks):
                inf = vfill(gm1, np.inf)
                best = inf
                second = inf
                idx = vfill(gm1, 0.0)
                for g in range(n_groups):
                    o = (h * n_groups + g) * L
                    v1 = vload(gm1, o)
                    second = vmin(vmin(second, vload(gm2, o)), vmax(best, v1))
                    idx = vwhere_lt(v1, best, vload(gix, o), idx)
                    best = vmin(best, v1)
                b = b0 + h
                eps = 0.5 * guard_threshold(kappa, block_norm[b], cmax)
                for l in range(min(L, end - b * L)):
                    i = b * L + l
                    jf = groups[int(vget(idx, l))]
                    j, _ = _resolve(X, i, np.float64(vget(best, l)), np.float64(vget(second, l)), jf, eps, scale, sqnorm, C64, k)
                    qe = sqnorm[i] - 4.0 * 2.0**-24 * sqnorm[i] - eps
                    o = h * n_groups * L + l
                    for g in range(n_groups):  # no branch but the select: the loop the compiler likes
                        v = np.float64(gm1[o + g * L]) + qe
                        r = math.sqrt(max(v, 0.0)) * shrink
                        glower[i, g] = r if v < np.inf else 0.0
                    gj = group_of[j]
                    o += gj * L
                    if group_start[gj + 1] - group_start[gj] == 1:
                        glower[i, gj] = np.inf  # no other center in the label's group
                    elif groups[int(gix[o])] == j:
                        v = np.float64(gm2[o]) + qe
                        glower[i, gj] = math.sqrt(v) * shrink if (v > 0.0 and v < np.inf) else 0.0
                    upper[i] = math.sqrt(sqdist64(X, i, C64, j)) * up
                    labels[i] = j
    for c in prange(nc):
        start = c * CHUNK
        end = min(n, start + CHUNK)
        chunk_changed[c] = _move_chunk(X, w, prev, labels, mean, start, end, c, chunk_S, chunk_Q, chunk_W, chunk_N, do_sums)


@njit
def yinyang_full_fraction(X, C64, labels, upper, glower, drift, gdrift, group_start, k, dense, rel, stride):
    """The predicted cost of a Yinyang step, as a share of a full pass, from every ``stride``-th point.

    Reads the bounds without changing them: a sampled point that :func:`yinyang_chunks`
    would send to the full scan counts 1, one it would settle through its failing
    groups counts the share of the ``k`` centers those groups hold times ``dense``
    (a distance one at a time costs about ``dense`` of the scan's), one the global
    filter keeps counts 0. Returns the mean over the sample (0 for no point).
    """
    n = X.shape[0]
    n_groups = glower.shape[1]
    up = 1.0 + rel
    down = 1.0 - rel
    total = 0.0
    m = 0
    for i in range(0, n, stride):
        m += 1
        a = labels[i]
        if a < 0:
            total += 1.0
            continue
        u = (upper[i] + drift[a]) * up
        glob = np.inf
        for g in range(n_groups):
            glob = min(glob, (glower[i, g] - gdrift[g]) * down)
        if u < glob:
            continue
        u = math.sqrt(sqdist64(X, i, C64, a)) * up
        if u < glob:
            continue
        work = 0
        for g in range(n_groups):
            if not (u < (glower[i, g] - gdrift[g]) * down):
                work += group_start[g + 1] - group_start[g]
        total += 1.0 if work * dense > k else min(1.0, work * dense / k)
    return total / m if m > 0 else 0.0


# ------------------------------------------------------------------ k-d tree over the centers (few features)


@njit(inline="always")
def _select(C64, dim, perm, s, e, m):
    """Reorder ``perm[s:e]`` so that ``perm[m]`` holds the center of rank ``m - s`` in coordinate ``dim``.

    Hoare's selection (median-of-three pivot): afterwards the centers of
    ``perm[s:m]`` are ``<=`` it and those of ``perm[m + 1:e]`` ``>=`` it, in
    O(e - s) expected time. It replaced a full sort per node, whose O(k log^2 k)
    build took 2.6 ms of a 40 ms iteration at k = 6000 (:func:`build_center_tree`).
    """
    lo = s
    hi = e - 1
    while hi > lo:
        a = C64[perm[lo], dim]
        b = C64[perm[(lo + hi) // 2], dim]
        c = C64[perm[hi], dim]
        pv = max(min(a, b), min(max(a, b), c))
        i = lo
        j = hi
        while i <= j:
            while C64[perm[i], dim] < pv:
                i += 1
            while C64[perm[j], dim] > pv:
                j -= 1
            if i <= j:
                t = perm[i]
                perm[i] = perm[j]
                perm[j] = t
                i += 1
                j -= 1
        if m <= j:
            hi = j
        elif m >= i:
            lo = i
        else:
            return


@njit
def build_center_tree(
    C64, k, d, leaf, perm, Cs, node_lo, node_hi, reg_lo, reg_hi, split_dim, split_val, child, parent, node_start,
    node_end, leaf_of,
):
    """A k-d tree over the first ``k`` rows of ``C64``; returns the number of nodes.

    Each node holds the centers ``perm[node_start : node_end]``, their tight
    bounding box ``node_lo``/``node_hi`` (exact coordinates, so the distance
    from a point to the box is a true lower bound on its distance to each of
    them) and its region ``reg_lo``/``reg_hi``, the box cut out by the splits
    above it (infinite at the root): every center outside the node lies on or
    beyond the region's boundary. A node with more than ``leaf`` centers is cut
    at the median of its coordinate of largest spread (unless every center of
    it sits at one point) at ``split_val``, the midpoint of the two middle
    coordinates, found by :func:`_select` (so the centers of the left child are ``<=`` it and those of
    the right one ``>=``): ``child[node]`` is its left child, ``child[node] +
    1`` its right one, ``-1`` for a leaf. ``leaf_of[j]`` is the leaf holding
    center ``j``; ``Cs[t]`` a copy of the row ``C64[perm[t]]`` (the same bits,
    in tree order). The shape of the tree only affects speed, never the
    result. Arrays hold at least ``2 k`` nodes.
    """
    for t in range(k):
        perm[t] = t
    node_start[0] = 0
    node_end[0] = k
    parent[0] = -1
    for f in range(d):
        reg_lo[0, f] = -np.inf
        reg_hi[0, f] = np.inf
    n_nodes = 1
    todo = np.empty(2 * k + 1, dtype=np.int64)
    todo[0] = 0
    n_todo = 1
    while n_todo > 0:
        n_todo -= 1
        node = todo[n_todo]
        s = node_start[node]
        e = node_end[node]
        for f in range(d):
            lo = np.inf
            hi = -np.inf
            for t in range(s, e):
                v = C64[perm[t], f]
                lo = min(lo, v)
                hi = max(hi, v)
            node_lo[node, f] = lo
            node_hi[node, f] = hi
        child[node] = -1
        dim = 0
        spread = -1.0
        for f in range(d):
            if node_hi[node, f] - node_lo[node, f] > spread:
                spread = node_hi[node, f] - node_lo[node, f]
                dim = f
        if e - s <= leaf or not spread > 0.0:
            for t in range(s, e):
                leaf_of[perm[t]] = node
            continue  # a leaf (a large one when every center of it sits at one point)
        mid = (s + e) // 2
        _select(C64, dim, perm, s, e, mid)
        below = -np.inf
        for t in range(s, mid):
            below = max(below, C64[perm[t], dim])
        cut = 0.5 * (below + C64[perm[mid], dim])  # rounds into [lower, upper]
        split_dim[node] = dim
        split_val[node] = cut
        left = n_nodes
        n_nodes += 2
        child[node] = left
        for q in range(2):
            c = left + q
            parent[c] = node
            node_start[c] = s if q == 0 else mid
            node_end[c] = mid if q == 0 else e
            for f in range(d):
                reg_lo[c, f] = reg_lo[node, f]
                reg_hi[c, f] = reg_hi[node, f]
            todo[n_todo] = c
            n_todo += 1
        reg_hi[left, dim] = cut
        reg_lo[left + 1, dim] = cut
    dp = C64.shape[1]
    for t in range(k):
        for f in range(dp):
            Cs[t, f] = C64[perm[t], f]
    return n_nodes


@njit(inline="always")
def _sqdist_few(X, i, d, C, t):
    """:func:`~optimeans._kernels.lloyd.sqdist64` of row ``i`` and ``C[t]``, the same bits, scalar for 2 or 3 features.

    With at least 4 float64 lanes ``sqdist64`` puts ``dx^2, dy^2, dz^2`` (each
    rounded once: a fused multiply-add onto zero) in lanes 0, 1, 2 and zeros
    elsewhere; its halving tree then adds ``(dx^2 + dz^2) + dy^2``, which is
    what this computes without the vector loads and shuffles.
    """
    if vlanes(C) >= 4 and d == 2:
        dx = np.float64(X[i, 0]) - C[t, 0]
        dy = np.float64(X[i, 1]) - C[t, 1]
        return dx * dx + dy * dy
    if vlanes(C) >= 4 and d == 3:
        dx = np.float64(X[i, 0]) - C[t, 0]
        dy = np.float64(X[i, 1]) - C[t, 1]
        dz = np.float64(X[i, 2]) - C[t, 2]
        return (dx * dx + dz * dz) + dy * dy
    return sqdist64(X, i, C, t)


@njit
def few_sqdists(X, C):
    """All :func:`_sqdist_few` distances of the rows of ``X`` to the rows of ``C`` (for the tests)."""
    out = np.empty((X.shape[0], C.shape[0]))
    for i in range(X.shape[0]):
        for t in range(C.shape[0]):
            out[i, t] = _sqdist_few(X, i, X.shape[1], C, t)
    return out


@njit(inline="always")
def _box_sqdist(X, i, d, node_lo, node_hi, node):
    """Squared distance from row ``i`` to the bounding box of ``node`` (float64)."""
    s = 0.0
    for f in range(d):
        x = np.float64(X[i, f])
        t = node_lo[node, f] - x
        if t < 0.0:
            t = x - node_hi[node, f]
        if t > 0.0:
            s += t * t
    return s


@njit(inline="always")
def _region_gap(X, i, d, reg_lo, reg_hi, node):
    """Distance from row ``i`` to the boundary of ``node``'s region (``<= 0`` outside it)."""
    g = np.inf
    for f in range(d):
        x = np.float64(X[i, f])
        g = min(g, x - reg_lo[node, f], reg_hi[node, f] - x)
    return g


@njit(inline="always")
def _search_subtree(
    X, i, Cs, perm, d, root, a, best, bj, other, down, node_lo, node_hi, child, node_start, node_end, stack, bound,
):
    """Depth first through the subtree at ``root``, nearer child first, skipping boxes proven farther.

    Returns the updated ``(best, best_j, other, computed)``; centers ``a`` is
    not recomputed (the caller holds its distance). A box's distance is
    computed once, when its parent orders the two children, and travels on
    ``bound`` beside ``stack``; a child already farther than the best is
    skipped there (``other`` takes its bound, as it would when popped: the best
    only decreases, so the set of skipped boxes is the same).
    """
    computed = 0
    stack[0] = root
    bound[0] = _box_sqdist(X, i, d, node_lo, node_hi, root) * down
    sp = 1
    while sp > 0:
        sp -= 1
        node = stack[sp]
        lb = bound[sp]
        if lb > best:
            if lb < other:
                other = lb
            continue
        left = child[node]
        if left < 0:
            for t in range(node_start[node], node_end[node]):
                j = perm[t]
                if j == a:
                    continue
                s = _sqdist_few(X, i, d, Cs, t)
                computed += 1
                if s < best or (s == best and j < bj):
                    if best < other:
                        other = best
                    best = s
                    bj = j
                elif s < other:
                    other = s
            continue
        lbl = _box_sqdist(X, i, d, node_lo, node_hi, left)
        lbr = _box_sqdist(X, i, d, node_lo, node_hi, left + 1)
        near = left
        far = left + 1
        if not lbl <= lbr:
            near = left + 1
            far = left
            lbl, lbr = lbr, lbl
        for q in range(2):
            nd = far if q == 0 else near
            lq = (lbr if q == 0 else lbl) * down
            if lq > best:
                if lq < other:
                    other = lq
                continue
            stack[sp] = nd
            bound[sp] = lq
            sp += 1
    return best, bj, other, computed


@njit
def spatial_order(X, order):
    """``order``: the rows of ``X`` sorted by the Morton (Z-order) code of a grid cell; returns the grid's bits per feature.

    The grid covers the bounding box of the first ``min(d, 3)`` features with
    ``2^b`` cells per feature, ``b`` chosen so that a cell holds about four
    rows on average (at most 10 bits per feature); rows of one cell keep their
    order (a counting sort, O(n + cells)). Consecutive rows of ``order`` are
    then close in space: their k-d tree searches walk the same nodes and scan
    the same leaves, which is what :func:`kdtree_chunks` gains from it
    (250000 x 2, k = 6000: the search of an iteration 36 -> 25 ms on 1
    thread). Any order gives the same labels; only the speed depends on it.
    """
    n, d = X.shape
    m = min(d, 3)
    bits = 1
    while bits < 10 and (1 << (m * (bits + 1))) * 4 <= n:
        bits += 1
    lo = np.empty(m)
    hi = np.empty(m)
    for f in range(m):
        lo[f] = np.inf
        hi[f] = -np.inf
    for i in range(n):
        for f in range(m):
            v = np.float64(X[i, f])
            lo[f] = min(lo[f], v)
            hi[f] = max(hi[f], v)
    top = (1 << bits) - 1
    cells = 1 << (m * bits)
    code = np.empty(n, dtype=np.int64)
    count = np.zeros(cells + 1, dtype=np.int64)
    for i in range(n):
        z = 0
        for f in range(m):
            span = hi[f] - lo[f]
            q = 0
            t = (np.float64(X[i, f]) - lo[f]) / span * (top + 1) if span > 0.0 else 0.0
            if t >= top:
                q = top
            elif t > 0.0:  # false for NaN (a span that overflows to inf): cell 0, any cell is correct
                q = int(t)
            for b in range(bits):
                z |= ((q >> b) & 1) << (m * b + f)
        code[i] = z
        count[z + 1] += 1
    for z in range(cells):
        count[z + 1] += count[z]
    for i in range(n):
        z = code[i]
        order[count[z]] = i
        count[z] += 1
    return bits


@pjit
def kdtree_chunks(
    Xs, C64, Cs, perm, k, node_lo, node_hi, reg_lo, reg_hi, split_dim, split_val, child, parent, node_start,
    node_end, leaf_of, rel, order, slabels, row_labels, upper, lower, drift, max_drift, argmax_drift, second_drift,
    chunk_scanned,
):
    """One exact assignment step in spatial order: Hamerly's test, then a k-d tree search of the nearest center.

    Position ``p`` is row ``order[p]`` of the data (:func:`spatial_order`):
    ``Xs[p]`` its coordinates, ``slabels[p]`` its label (replaced by the new
    one), ``upper[p]``/``lower[p]`` its bounds, all read and written in
    sequence; a label that changes is also written by row,
    ``row_labels[order[p]]`` (the only scattered access), and
    :func:`kdtree_moves` then moves the changed rows in row order, so the sums
    are Lloyd's bit for bit whatever order the points are searched in.

    A point whose upper bound (``upper[p]`` plus its center's drift) is below
    its lower bound (``lower[p]`` minus the largest drift of another center)
    keeps its label. Otherwise the search (:func:`build_center_tree`) starts
    at the leaf of the point's current center, with that center's exact
    distance (:func:`~optimeans._kernels.lloyd.sqdist64`), or for an
    unlabelled point at the leaf whose region holds it, and climbs: at each
    step the sibling subtree is searched, skipping a box when its distance,
    shrunk by ``rel``, exceeds the best float64 distance so far, until the
    region of the node reached is farther than the best distance from every
    side. Every skipped center's float64 distance is then strictly above the
    best, so the label is the first index minimizing ``sqdist64``, Lloyd's
    canonical label, ties included (equal distances always reach the
    comparison ``s < best or (s == best and j < best_j)``). The smallest
    distance among the other examined centers, skipped boxes and the region's
    boundary becomes the new lower bound. ``chunk_scanned[c]`` counts the
    distances computed for positions ``c * CHUNK ...``.

    Notes
    -----
    O(n) bound work; about O(log k + 2^d leaf) per searched point for well
    spread centers in few features (the search degrades towards O(k d) when
    ``d`` is large).
    """
    n, d = Xs.shape
    nc = (n + CHUNK - 1) // CHUNK
    up = 1.0 + rel
    down = 1.0 - rel
    for c in prange(nc):
        start = c * CHUNK
        end = min(n, start + CHUNK)
        stack = np.empty(256, dtype=np.int64)
        bound = np.empty(256)
        computed = 0
        for p in range(start, end):
            a = slabels[p]
            best = np.inf
            bj = -1
            if a >= 0:
                u = (upper[p] + drift[a]) * up
                lo = (lower[p] - (second_drift if a == argmax_drift else max_drift)) * down
                if u < lo:
                    upper[p] = u
                    lower[p] = lo
                    continue
                best = _sqdist_few(Xs, p, d, C64, a)
                computed += 1
                bj = a
                if math.sqrt(best) * up < lo:
                    upper[p] = math.sqrt(best) * up
                    lower[p] = lo
                    continue
                node = leaf_of[a]
            else:
                node = 0
                while child[node] >= 0:
                    node = child[node] + (0 if np.float64(Xs[p, split_dim[node]]) < split_val[node] else 1)
            other = np.inf  # smallest float64 distance (or bound) of any center but the best
            best, bj, other, cnt = _search_subtree(
                Xs, p, Cs, perm, d, node, a, best, bj, other, down, node_lo, node_hi, child, node_start, node_end,
                stack, bound,
            )
            computed += cnt
            while True:
                g = _region_gap(Xs, p, d, reg_lo, reg_hi, node)
                if g > 0.0:
                    g2 = g * g * down
                    if g2 > best:
                        if g2 < other:
                            other = g2
                        break
                q = parent[node]
                if q < 0:
                    break
                sib = child[q] + (1 if child[q] == node else 0)
                best, bj, other, cnt = _search_subtree(
                    Xs, p, Cs, perm, d, sib, a, best, bj, other, down, node_lo, node_hi, child, node_start, node_end,
                    stack, bound,
                )
                computed += cnt
                node = q
            upper[p] = math.sqrt(best) * up
            lower[p] = math.sqrt(other) * down if k > 1 else np.inf
            if bj != a:
                slabels[p] = bj
                row_labels[order[p]] = bj
        chunk_scanned[c] = computed


@pjit
def kdtree_moves(X, w, labels, row_labels, mean, chunk_S, chunk_Q, chunk_W, chunk_N, chunk_changed, do_sums):
    """``labels = row_labels``, the changed rows moved in the sums chunk by chunk in row order (as Lloyd's)."""
    n = X.shape[0]
    for c in prange((n + CHUNK - 1) // CHUNK):
        start = c * CHUNK
        end = min(n, start + CHUNK)
        S, Q, W, N = chunk_sums(c, chunk_S, chunk_Q, chunk_W, chunk_N, do_sums)
        changed = 0
        for i in range(start, end):
            a = labels[i]
            b = row_labels[i]
            if a != b:
                changed += 1
                if do_sums:
                    move_point(X, w, i, a, b, mean, S, Q, W, N)
                labels[i] = b
        chunk_changed[c] = changed
