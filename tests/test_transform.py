"""The work-space transform's statistics: fast column extremes, the same exponents as a plain reference."""

import numpy as np
import pytest

from optimeans._transform import DataTransform, column_range, pow2_exponent


@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (1000, 8), (1001, 8), (257, 1), (300, 2), (40, 300), (33, 257)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_column_range_equals_numpy(shape, dtype):
    rng = np.random.default_rng(shape[0] * 1000 + shape[1])
    X = rng.normal(size=shape).astype(dtype)
    # the extremes of the last column sit in the last row (the rows past the reshaped part)
    X[-1, -1] = 1e6
    X[-1, 0] = -1e6 if shape[1] > 1 else X[-1, 0]
    lo, hi = column_range(X)
    assert lo.dtype == X.dtype and hi.dtype == X.dtype
    np.testing.assert_array_equal(lo, X.min(axis=0))
    np.testing.assert_array_equal(hi, X.max(axis=0))
    # a strided view takes the plain path and gives the same values
    F = np.asfortranarray(X)
    np.testing.assert_array_equal(column_range(F)[0], X.min(axis=0))


def _reference_exp(X):
    off = X.mean(axis=0, dtype=np.float64)
    return pow2_exponent(float(np.abs(X.astype(np.float64) - off).max()))


@pytest.mark.parametrize("side", [-1.0, 1.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scale_follows_the_farthest_side(side, dtype):
    # the largest deviation from the mean is below it (side -1) or above it (side 1), far
    # beyond 2**40 so that the exponent is not 0: taking one side only would be wrong
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2000, 4)) * 1e3
    X[17, 2] = side * 3e13
    X[18, 2] = -side * 1e13
    X = X.astype(dtype)
    space = DataTransform(X)
    assert space.exp == _reference_exp(X) != 0
    np.testing.assert_array_equal(space.offset, X.mean(axis=0, dtype=np.float64))
