"""Explicit SIMD vectors for Numba kernels.

LLVM's loop vectorizer does not keep a register-blocked tile of accumulators in
registers when the code is written with arrays (Numba's negative-index handling
and the lack of aliasing information force a load and a store per operation),
so the distance kernels, the hot loop of every Lloyd-type method, are written
with explicit vectors instead: a Numba type :class:`Vec` whose LLVM
representation is ``<lanes x float>``, and a handful of intrinsics that emit
one LLVM vector instruction each. LLVM then allocates the vectors to
registers and selects the best instructions for the host (AVX-512, AVX2, NEON).

The width of a vector is fixed per host: 64 bytes when the CPU has AVX-512,
otherwise 32 (on hosts with narrower registers LLVM splits the vectors). It is
a compile-time constant, so a kernel compiled for float32 works on
``lanes(float32)`` points at a time. Numba's cache is keyed by the host CPU,
so a cached kernel is never run on a CPU it was not compiled for.

Every intrinsic here is plain IEEE arithmetic: no fast-math flags, so results
are the same whatever the thread count, and ``inf`` sentinels work.
"""

from __future__ import annotations

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.datamodel import models
from numba.extending import intrinsic, register_model

__all__ = [
    "VECTOR_BYTES", "lanes", "Vec", "vload", "vstore", "vfill", "vfma", "vadd", "vsub", "vmul",
    "vmin", "vmax", "vwhere_lt", "vmask_not_gt", "vmask_lt", "vget", "vreduce_min", "vmask_eq", "vload_ext",
    "vload_part", "vstore_part", "vlanes", "vchanged_mask", "vstore_int", "vload_wide", "vreduce_max", "vsum",
    "prefetch", "vgather_ext", "vadd_sqdev_rows", "vpack_rows",
]


def _host_vector_bytes() -> int:
    try:
        features = llvm.get_host_cpu_features()
    except RuntimeError:  # pragma: no cover - hosts where LLVM cannot query features
        return 32
    return 64 if features.get("avx512f", False) else 32


#: Bytes per SIMD vector on this host.
VECTOR_BYTES = _host_vector_bytes()


def lanes(dtype) -> int:
    """Lanes of a vector of ``dtype`` on this host (16 float32 / 8 float64 with AVX-512)."""
    return VECTOR_BYTES // np.dtype(dtype).itemsize


class Vec(types.Type):
    """A SIMD vector of ``lanes`` values of the Numba scalar type ``dtype``."""

    def __init__(self, dtype, n_lanes):
        self.dtype = dtype
        self.lanes = n_lanes
        super().__init__(name=f"Vec({dtype} x {n_lanes})")


@register_model(Vec)
class _VecModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        elem = dmm.lookup(fe_type.dtype).get_value_type()
        super().__init__(dmm, fe_type, ir.VectorType(elem, fe_type.lanes))


def _vec_of(dtype) -> Vec:
    return Vec(dtype, VECTOR_BYTES // (dtype.bitwidth // 8))


_I32 = ir.IntType(32)


def _splat(builder, llvt, value):
    v = builder.insert_element(ir.Constant(llvt, ir.Undefined), value, ir.Constant(_I32, 0))
    return builder.shuffle_vector(v, ir.Constant(llvt, ir.Undefined), ir.Constant(ir.VectorType(_I32, llvt.count), [0] * llvt.count))


def _element_ptr(context, builder, arrty, arr, idxty, idx):
    ary = context.make_array(arrty)(context, builder, arr)
    i = context.cast(builder, idx, idxty, types.intp)
    return builder.gep(ary.data, [i])


def _lane_mask(builder, count, n):
    """<count x i1>: lane l is on when l < n."""
    lane_ids = ir.Constant(ir.VectorType(ir.IntType(64), count), list(range(count)))
    nn = _splat(builder, ir.VectorType(ir.IntType(64), count), n)
    return builder.icmp_signed("<", lane_ids, nn)


def _check_array(arr):
    if not isinstance(arr, types.Array) or arr.layout != "C" or not isinstance(arr.dtype, types.Float):
        raise TypeError("SIMD intrinsics need C-contiguous float arrays")


@intrinsic
def vload(typingctx, arr, idx):
    """The vector ``arr.flat[idx : idx + lanes]`` (C-contiguous float array, no bounds check)."""
    _check_array(arr)
    vt = _vec_of(arr.dtype)

    def codegen(context, builder, sig, args):
        ptr = _element_ptr(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        vptr = builder.bitcast(ptr, context.get_value_type(vt).as_pointer())
        return builder.load(vptr, align=arr.dtype.bitwidth // 8)

    return vt(arr, idx), codegen


@intrinsic
def vstore(typingctx, arr, idx, v):
    """``arr.flat[idx : idx + lanes] = v``."""
    _check_array(arr)

    def codegen(context, builder, sig, args):
        ptr = _element_ptr(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        builder.store(args[2], builder.bitcast(ptr, args[2].type.as_pointer()), align=arr.dtype.bitwidth // 8)
        return context.get_dummy_value()

    return types.none(arr, idx, v), codegen


@intrinsic
def vload_part(typingctx, arr, idx, n):
    """Lanes ``0..n-1`` from ``arr.flat[idx:]``, the others 0 (masked load, never reads past ``n``)."""
    _check_array(arr)
    vt = _vec_of(arr.dtype)

    def codegen(context, builder, sig, args):
        llvt = context.get_value_type(vt)
        ptr = _element_ptr(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        vptr = builder.bitcast(ptr, llvt.as_pointer())
        mask = _lane_mask(builder, vt.lanes, context.cast(builder, args[2], sig.args[2], types.int64))
        fnty = ir.FunctionType(llvt, [llvt.as_pointer(), _I32, mask.type, llvt])
        name = f"llvm.masked.load.v{vt.lanes}f{arr.dtype.bitwidth}.p0"
        fn = cgutils.get_or_insert_function(builder.module, fnty, name)
        return builder.call(fn, [vptr, ir.Constant(_I32, arr.dtype.bitwidth // 8), mask, ir.Constant(llvt, None)])

    return vt(arr, idx, n), codegen


@intrinsic
def vstore_part(typingctx, arr, idx, v, n):
    """``arr.flat[idx : idx + n] = v[:n]`` (masked store)."""
    _check_array(arr)

    def codegen(context, builder, sig, args):
        llvt = args[2].type
        ptr = _element_ptr(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        vptr = builder.bitcast(ptr, llvt.as_pointer())
        mask = _lane_mask(builder, llvt.count, context.cast(builder, args[3], sig.args[3], types.int64))
        fnty = ir.FunctionType(ir.VoidType(), [llvt, llvt.as_pointer(), _I32, mask.type])
        name = f"llvm.masked.store.v{llvt.count}f{arr.dtype.bitwidth}.p0"
        fn = cgutils.get_or_insert_function(builder.module, fnty, name)
        builder.call(fn, [args[2], vptr, ir.Constant(_I32, arr.dtype.bitwidth // 8), mask])
        return context.get_dummy_value()

    return types.none(arr, idx, v, n), codegen


@intrinsic
def vload_ext(typingctx, arr, idx, n):
    """``n <= lanes(float64)`` values from ``arr.flat[idx:]`` widened to a float64 vector (others 0)."""
    _check_array(arr)
    vt = _vec_of(types.float64)

    def codegen(context, builder, sig, args):
        src = ir.VectorType(context.get_value_type(arr.dtype), vt.lanes)
        ptr = _element_ptr(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        vptr = builder.bitcast(ptr, src.as_pointer())
        mask = _lane_mask(builder, vt.lanes, context.cast(builder, args[2], sig.args[2], types.int64))
        fnty = ir.FunctionType(src, [src.as_pointer(), _I32, mask.type, src])
        name = f"llvm.masked.load.v{vt.lanes}f{arr.dtype.bitwidth}.p0"
        fn = cgutils.get_or_insert_function(builder.module, fnty, name)
        v = builder.call(fn, [vptr, ir.Constant(_I32, arr.dtype.bitwidth // 8), mask, ir.Constant(src, None)])
        if arr.dtype.bitwidth == 64:
            return v
        return builder.fpext(v, context.get_value_type(vt))

    return vt(arr, idx, n), codegen


@intrinsic
def vload_wide(typingctx, arr, idx):
    """``lanes(float64)`` values from ``arr.flat[idx:]`` widened to a float64 vector (all read; no mask)."""
    _check_array(arr)
    vt = _vec_of(types.float64)

    def codegen(context, builder, sig, args):
        src = ir.VectorType(context.get_value_type(arr.dtype), vt.lanes)
        ptr = _element_ptr(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        v = builder.load(builder.bitcast(ptr, src.as_pointer()), align=arr.dtype.bitwidth // 8)
        if arr.dtype.bitwidth == 64:
            return v
        return builder.fpext(v, context.get_value_type(vt))

    return vt(arr, idx), codegen


@intrinsic
def vfill(typingctx, like, x):
    """A vector of ``like``'s dtype (``like`` an array or a vector) with every lane ``x``."""
    dtype = like.dtype
    vt = _vec_of(dtype)

    def codegen(context, builder, sig, args):
        val = context.cast(builder, args[1], sig.args[1], dtype)
        return _splat(builder, context.get_value_type(vt), val)

    return vt(like, x), codegen


def _binary(op_name, doc):
    def typer(typingctx, a, b):
        if not isinstance(a, Vec) or a != b:
            return None

        def codegen(context, builder, sig, args):
            return getattr(builder, op_name)(args[0], args[1])

        return a(a, b), codegen

    typer.__doc__ = doc
    typer.__name__ = "v" + op_name[1:]
    return intrinsic(typer)


vadd = _binary("fadd", "Lane-wise a + b.")
vsub = _binary("fsub", "Lane-wise a - b.")
vmul = _binary("fmul", "Lane-wise a * b.")


@intrinsic
def vfma(typingctx, a, b, c):
    """Lane-wise ``a * b + c`` with one rounding (fused multiply-add)."""
    if not isinstance(a, Vec) or not (a == b == c):
        return None

    def codegen(context, builder, sig, args):
        llvt = args[0].type
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(llvt, [llvt] * 3), f"llvm.fma.v{a.lanes}f{a.dtype.bitwidth}"
        )
        return builder.call(fn, args)

    return a(a, b, c), codegen


@intrinsic
def vmin(typingctx, a, b):
    """Lane-wise ``a if a < b else b``."""

    def codegen(context, builder, sig, args):
        return builder.select(builder.fcmp_ordered("<", args[0], args[1]), args[0], args[1])

    return a(a, b), codegen


@intrinsic
def vmax(typingctx, a, b):
    """Lane-wise ``a if a > b else b``."""

    def codegen(context, builder, sig, args):
        return builder.select(builder.fcmp_ordered(">", args[0], args[1]), args[0], args[1])

    return a(a, b), codegen


@intrinsic
def vwhere_lt(typingctx, a, b, x, y):
    """Lane-wise ``x if a < b else y``."""

    def codegen(context, builder, sig, args):
        return builder.select(builder.fcmp_ordered("<", args[0], args[1]), args[2], args[3])

    return x(a, b, x, y), codegen


def _mask_bits(builder, cmp, count):
    return builder.zext(builder.bitcast(cmp, ir.IntType(count)), ir.IntType(64))


@intrinsic
def vmask_not_gt(typingctx, a, b):
    """Bit mask (int64, bit l for lane l) of the lanes where ``not (a > b)``: ``a <= b`` or a NaN."""

    def codegen(context, builder, sig, args):
        return _mask_bits(builder, builder.fcmp_unordered("<=", args[0], args[1]), a.lanes)

    return types.int64(a, b), codegen


@intrinsic
def vmask_lt(typingctx, a, b):
    """Bit mask (int64, bit l for lane l) of the lanes where ``not (a >= b)``: ``a < b`` or a NaN."""

    def codegen(context, builder, sig, args):
        return _mask_bits(builder, builder.fcmp_unordered("<", args[0], args[1]), a.lanes)

    return types.int64(a, b), codegen


@intrinsic
def vmask_eq(typingctx, a, x):
    """Bit mask (int64) of the lanes of vector ``a`` equal to the scalar ``x``."""

    def codegen(context, builder, sig, args):
        val = context.cast(builder, args[1], sig.args[1], a.dtype)
        s = _splat(builder, args[0].type, val)
        return _mask_bits(builder, builder.fcmp_ordered("==", args[0], s), a.lanes)

    return types.int64(a, x), codegen


@intrinsic
def vreduce_max(typingctx, a):
    """The largest lane of ``a`` (halving tree of lane-wise maxima)."""

    def codegen(context, builder, sig, args):
        v = args[0]
        n = a.lanes
        while n > 1:
            h = n // 2
            lo = builder.shuffle_vector(v, v, ir.Constant(ir.VectorType(_I32, h), list(range(h))))
            hi = builder.shuffle_vector(v, v, ir.Constant(ir.VectorType(_I32, h), list(range(h, n))))
            v = builder.select(builder.fcmp_ordered(">", lo, hi), lo, hi)
            n = h
        return builder.extract_element(v, ir.Constant(_I32, 0))

    return a.dtype(a), codegen


@intrinsic
def vget(typingctx, a, i):
    """Lane ``i`` of ``a``."""

    def codegen(context, builder, sig, args):
        return builder.extract_element(args[0], args[1])

    return a.dtype(a, i), codegen


@intrinsic
def vreduce_min(typingctx, a):
    """The smallest lane of ``a`` (halving tree of lane-wise minima)."""

    def codegen(context, builder, sig, args):
        v = args[0]
        n = a.lanes
        while n > 1:
            h = n // 2
            lo = builder.shuffle_vector(v, v, ir.Constant(ir.VectorType(_I32, h), list(range(h))))
            hi = builder.shuffle_vector(v, v, ir.Constant(ir.VectorType(_I32, h), list(range(h, n))))
            v = builder.select(builder.fcmp_ordered("<", lo, hi), lo, hi)
            n = h
        return builder.extract_element(v, ir.Constant(_I32, 0))

    return a.dtype(a), codegen


@intrinsic
def vlanes(typingctx, like):
    """The number of lanes of a vector of ``like``'s dtype (a compile-time constant)."""
    vt = _vec_of(like.dtype)

    def codegen(context, builder, sig, args):
        return ir.Constant(ir.IntType(64), vt.lanes)

    return types.intp(like), codegen


@intrinsic
def vchanged_mask(typingctx, labels, idx, v):
    """Bit mask (int64) of the lanes ``l`` where ``labels[idx + l] != int(v[l])``.

    ``labels`` is a C-contiguous int32 or int64 array, ``v`` a float vector of
    integral values; reads ``lanes`` labels.
    """
    if not isinstance(labels, types.Array) or not isinstance(labels.dtype, types.Integer) or labels.layout != "C":
        return None

    def codegen(context, builder, sig, args):
        n = v.lanes
        ity = ir.VectorType(ir.IntType(labels.dtype.bitwidth), n)
        ptr = _element_ptr(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        old = builder.load(builder.bitcast(ptr, ity.as_pointer()), align=labels.dtype.bitwidth // 8)
        ne = builder.icmp_signed("!=", old, builder.fptosi(args[2], ity))
        return _mask_bits(builder, ne, n)

    return types.int64(labels, idx, v), codegen


@intrinsic
def vstore_int(typingctx, labels, idx, v):
    """``labels[idx : idx + lanes] = int(v)`` for a float vector ``v`` of integral values.

    ``labels`` is a C-contiguous int32 or int64 array (truncating conversion,
    no bounds check).
    """
    if not isinstance(labels, types.Array) or not isinstance(labels.dtype, types.Integer) or labels.layout != "C":
        return None

    def codegen(context, builder, sig, args):
        ity = ir.VectorType(ir.IntType(labels.dtype.bitwidth), v.lanes)
        ptr = _element_ptr(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        builder.store(builder.fptosi(args[2], ity), builder.bitcast(ptr, ity.as_pointer()),
                      align=labels.dtype.bitwidth // 8)
        return context.get_dummy_value()

    return types.none(labels, idx, v), codegen


@intrinsic
def vsum(typingctx, a):
    """The sum of the lanes of ``a`` (halving tree: a fixed order, so a fixed rounding)."""

    def codegen(context, builder, sig, args):
        v = args[0]
        n = a.lanes
        while n > 1:
            h = n // 2
            lo = builder.shuffle_vector(v, v, ir.Constant(ir.VectorType(_I32, h), list(range(h))))
            hi = builder.shuffle_vector(v, v, ir.Constant(ir.VectorType(_I32, h), list(range(h, n))))
            v = builder.fadd(lo, hi)
            n = h
        return builder.extract_element(v, ir.Constant(_I32, 0))

    return a.dtype(a), codegen


@intrinsic
def prefetch(typingctx, arr, idx):
    """Hint the CPU to bring the cache line of ``arr.flat[idx]`` into cache (no effect on results).

    For rows that a kernel will read soon in a pattern the hardware prefetcher
    cannot follow (sparse rows of a long array).
    """
    if not isinstance(arr, types.Array) or arr.layout != "C":
        return None

    def codegen(context, builder, sig, args):
        ptr = _element_ptr(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        i8p = builder.bitcast(ptr, ir.IntType(8).as_pointer())
        fnty = ir.FunctionType(ir.VoidType(), [i8p.type, _I32, _I32, _I32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # read, high temporal locality, data cache
        builder.call(fn, [i8p, ir.Constant(_I32, 0), ir.Constant(_I32, 3), ir.Constant(_I32, 1)])
        return context.get_dummy_value()

    return types.none(arr, idx), codegen


@intrinsic
def vgather_ext(typingctx, arr, idx, stride):
    """``arr.flat[idx + l * stride]`` for the ``lanes(float64)`` lanes ``l``, widened to a float64 vector.

    One gather instruction (AVX-512, AVX2): a column of a row-major matrix,
    one element per row, so that a per-row computation runs lane-wise over
    consecutive rows. Every lane is read (no mask, no bounds check).
    """
    _check_array(arr)
    vt = _vec_of(types.float64)

    def codegen(context, builder, sig, args):
        n = vt.lanes
        i64 = ir.IntType(64)
        elty = context.get_value_type(arr.dtype)
        src = ir.VectorType(elty, n)
        ptr = _element_ptr(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        step = builder.mul(context.cast(builder, args[2], sig.args[2], types.int64), ir.Constant(i64, arr.dtype.bitwidth // 8))
        offsets = builder.mul(ir.Constant(ir.VectorType(i64, n), list(range(n))), _splat(builder, ir.VectorType(i64, n), step))
        addrs = builder.add(_splat(builder, ir.VectorType(i64, n), builder.ptrtoint(ptr, i64)), offsets)
        pty = ir.VectorType(elty.as_pointer(), n)
        mask = ir.Constant(ir.VectorType(ir.IntType(1), n), [1] * n)
        fnty = ir.FunctionType(src, [pty, _I32, mask.type, src])
        fn = cgutils.get_or_insert_function(builder.module, fnty, f"llvm.masked.gather.v{n}f{arr.dtype.bitwidth}.v{n}p0")
        v = builder.call(
            fn, [builder.inttoptr(addrs, pty), ir.Constant(_I32, arr.dtype.bitwidth // 8), mask, ir.Constant(src, None)]
        )
        if arr.dtype.bitwidth == 64:
            return v
        return builder.fpext(v, context.get_value_type(vt))

    return vt(arr, idx, stride), codegen


def _transpose(builder, rows):
    """The columns of the square matrix whose rows are the vectors ``rows`` (``lanes`` of them).

    ``log2(lanes)`` stages of two-source shuffles (three for eight lanes: 24
    shuffles in all); the stage of size ``s`` swaps, in each pair of rows ``i``,
    ``i + s``, the off-diagonal ``s``-wide sub-blocks. Moves values only.
    """
    n = len(rows)
    rows = list(rows)
    s = 1
    while s < n:
        lo = ir.Constant(ir.VectorType(_I32, n), [p if not p & s else n + p - s for p in range(n)])
        hi = ir.Constant(ir.VectorType(_I32, n), [p + s if not p & s else n + p for p in range(n)])
        for i in range(n):
            if not i & s:
                a, b = rows[i], rows[i + s]
                rows[i] = builder.shuffle_vector(a, b, lo)
                rows[i + s] = builder.shuffle_vector(a, b, hi)
        s *= 2
    return rows


@intrinsic
def vadd_sqdev_rows(typingctx, arr, idx, stride, n, m, acc):
    """``acc[l] + (x_l0 - m_0)^2 + (x_l1 - m_1)^2 + ... `` added left to right, one row ``l`` per lane.

    Row ``l`` (``l < lanes(float64)``) is ``arr.flat[idx + l * stride :][:n]``
    widened to float64 (``n <= lanes``); ``m`` is a float64 vector. Each lane
    gets the additions, in the same order, of the scalar loop
    ``q += (float64(x_f) - m_f) ** 2`` over ``f < n``, plus additions of
    ``+0.0`` for ``f >= n`` (exact: a sum of squares is never ``-0.0``). The
    rows are loaded whole (masked to ``n``), squared and transposed in
    registers (:func:`_transpose`), instead of one gather per feature.
    """
    _check_array(arr)
    if not isinstance(m, Vec) or m != acc or m.dtype != types.float64:
        return None
    vt = _vec_of(types.float64)

    def codegen(context, builder, sig, args):
        L = vt.lanes
        i64 = ir.IntType(64)
        llvt = context.get_value_type(vt)
        src = ir.VectorType(context.get_value_type(arr.dtype), L)
        base = context.cast(builder, args[1], sig.args[1], types.int64)
        step = context.cast(builder, args[2], sig.args[2], types.int64)
        mask = _lane_mask(builder, L, context.cast(builder, args[3], sig.args[3], types.int64))
        fnty = ir.FunctionType(src, [src.as_pointer(), _I32, mask.type, src])
        load = cgutils.get_or_insert_function(builder.module, fnty, f"llvm.masked.load.v{L}f{arr.dtype.bitwidth}.p0")
        zero = ir.Constant(llvt, None)
        rows = []
        for l in range(L):
            at = builder.add(base, builder.mul(step, ir.Constant(i64, l)))
            ptr = _element_ptr(context, builder, sig.args[0], args[0], types.int64, at)
            v = builder.call(load, [builder.bitcast(ptr, src.as_pointer()), ir.Constant(_I32, arr.dtype.bitwidth // 8),
                                    mask, ir.Constant(src, None)])
            if arr.dtype.bitwidth != 64:
                v = builder.fpext(v, llvt)
            t = builder.select(mask, builder.fsub(v, args[4]), zero)
            rows.append(builder.fmul(t, t))
        q = args[5]
        for col in _transpose(builder, rows):
            q = builder.fadd(q, col)
        return q

    return vt(arr, idx, stride, n, m, acc), codegen


@intrinsic
def vpack_rows(typingctx, out, oidx, arr, idx, stride, m, nf, mean, midx, scale):
    """Pack ``lanes(float32)`` rows into float32 columns, centred and scaled, transposed in registers.

    For ``t < nf`` (``nf <= lanes(float32)``) and every lane ``l``::

        out.flat[oidx + t * L + l] = float32((float64(arr.flat[idx + l * stride + t]) - mean.flat[midx + t]) * scale)

    for rows ``l < m``, and ``0.0`` for the rows ``l >= m`` (never read):
    what :func:`optimeans._kernels.lloyd.pack_data` writes for ``nf`` features
    of a block of ``L`` points, the same float64 subtraction and product and
    one rounding to float32, so the same bits. Each row is loaded whole
    (masked to ``nf``), converted lane-wise, and the ``L x L`` tile is
    transposed by shuffles (:func:`_transpose`) instead of ``L nf`` scalar
    stores with a stride of ``L``. ``mean`` is a float64 array, ``scale`` a
    float64; columns ``t >= nf`` of ``out`` are left alone.
    """
    _check_array(out)
    _check_array(arr)
    _check_array(mean)
    if out.dtype != types.float32 or mean.dtype != types.float64:
        return None
    vt = _vec_of(types.float32)

    def codegen(context, builder, sig, args):
        L = vt.lanes
        i64 = ir.IntType(64)
        f64 = ir.DoubleType()
        v64 = ir.VectorType(f64, L)
        v32 = context.get_value_type(vt)
        src = ir.VectorType(context.get_value_type(arr.dtype), L)
        a_out, a_oidx, a_arr, a_idx, a_stride, a_m, a_nf, a_mean, a_midx, a_scale = args
        t_out, t_oidx, t_arr, t_idx, t_stride, t_m, t_nf, t_mean, t_midx, t_scale = sig.args
        base = context.cast(builder, a_idx, t_idx, types.int64)
        step = context.cast(builder, a_stride, t_stride, types.int64)
        m = context.cast(builder, a_m, t_m, types.int64)
        nf = context.cast(builder, a_nf, t_nf, types.int64)
        fmask = _lane_mask(builder, L, nf)
        mload = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(v64, [v64.as_pointer(), _I32, fmask.type, v64]), f"llvm.masked.load.v{L}f64.p0"
        )
        mptr = _element_ptr(context, builder, t_mean, a_mean, t_midx, a_midx)
        mv = builder.call(mload, [builder.bitcast(mptr, v64.as_pointer()), ir.Constant(_I32, 8), fmask, ir.Constant(v64, None)])
        sv = _splat(builder, v64, context.cast(builder, a_scale, t_scale, types.float64))
        load = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(src, [src.as_pointer(), _I32, fmask.type, src]),
            f"llvm.masked.load.v{L}f{arr.dtype.bitwidth}.p0",
        )
        zero32 = ir.Constant(v32, None)
        rows = []
        for l in range(L):
            ok = builder.icmp_signed("<", ir.Constant(i64, l), m)
            mask = builder.and_(fmask, _splat(builder, fmask.type, ok))
            at = builder.add(base, builder.mul(step, ir.Constant(i64, l)))
            ptr = _element_ptr(context, builder, t_arr, a_arr, types.int64, at)
            x = builder.call(load, [builder.bitcast(ptr, src.as_pointer()), ir.Constant(_I32, arr.dtype.bitwidth // 8),
                                    mask, ir.Constant(src, None)])
            if arr.dtype.bitwidth != 64:
                x = builder.fpext(x, v64)
            v = builder.fptrunc(builder.fmul(builder.fsub(x, mv), sv), v32)
            rows.append(builder.select(ok, v, zero32))
        obase = context.cast(builder, a_oidx, t_oidx, types.int64)
        for t, col in enumerate(_transpose(builder, rows)):
            with cgutils.if_likely(builder, builder.icmp_signed("<", ir.Constant(i64, t), nf)):
                at = builder.add(obase, ir.Constant(i64, t * L))
                ptr = _element_ptr(context, builder, t_out, a_out, types.int64, at)
                builder.store(col, builder.bitcast(ptr, v32.as_pointer()), align=4)
        return context.get_dummy_value()

    return types.none(out, oidx, arr, idx, stride, m, nf, mean, midx, scale), codegen
