"""Min/max decimation: every bucket's true min and max, at every pyramid level."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsvideo_widget.decimate import Pyramid, bucket_size, decimate


def direct(values: np.ndarray, size: int, k0: int, k1: int) -> tuple[np.ndarray, np.ndarray]:
    """Reduce the raw samples over the same bucket boundaries, the slow obvious way."""
    lo, hi = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN buckets
        for k in range(k0, k1):
            b = values[k * size : (k + 1) * size]
            lo.append(np.nanmin(b) if b.size else np.nan)
            hi.append(np.nanmax(b) if b.size else np.nan)
    return np.array(lo), np.array(hi)


def pair_extremes(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of each bucket's two points, whichever order they come in."""
    a, b = y[0::2].astype(np.float64), y[1::2].astype(np.float64)
    return np.fmin(a, b), np.fmax(a, b)


def test_pyramid_levels_hold_exact_block_extremes() -> None:
    rng = np.random.default_rng(1)
    v = rng.normal(size=10_007).astype(np.float32)
    p = Pyramid(v, base=16, factor=4)
    assert len(p.levels) >= 3
    for level, (mins, maxs) in enumerate(p.levels):
        b = p.block_size(level)
        nblocks = -(-v.size // b)
        assert mins.shape[0] == nblocks
        lo, hi = direct(v, b, 0, nblocks)
        np.testing.assert_array_equal(mins, lo.astype(np.float32))
        np.testing.assert_array_equal(maxs, hi.astype(np.float32))


def test_pyramid_costs_a_fraction_of_the_input() -> None:
    v = np.zeros(1_000_000, dtype=np.float32)
    assert Pyramid(v).nbytes <= 0.18 * v.nbytes


def test_few_samples_are_sent_raw() -> None:
    rel = np.arange(100, dtype=np.float64)
    v = np.arange(100, dtype=np.float64)
    d = decimate(rel, [Pyramid(v)], 10, 60, buckets=1000)
    assert d.bucket == 1
    np.testing.assert_array_equal(d.x, rel[10:60])
    np.testing.assert_array_equal(d.ys[0], v[10:60])


def test_decimated_points_are_bucket_extremes_at_bucket_edges() -> None:
    rel = np.arange(1000) / 100.0
    v = np.sin(np.arange(1000) / 7.0)
    d = decimate(rel, [Pyramid(v)], 0, 1000, buckets=50)
    size = d.bucket
    assert size == 20
    k = len(d.x) // 2
    lo, hi = direct(v, size, 0, k)
    got_lo, got_hi = pair_extremes(d.ys[0])
    np.testing.assert_array_equal(got_lo, lo)
    np.testing.assert_array_equal(got_hi, hi)
    np.testing.assert_array_equal(d.x[0::2], rel[np.arange(k) * size])
    np.testing.assert_array_equal(d.x[1::2], rel[np.minimum(np.arange(k) * size + size, 1000) - 1])
    assert np.all(np.diff(d.x) >= 0)


def test_never_more_than_two_points_per_bucket() -> None:
    n = 1_000_003
    rel = np.arange(n, dtype=np.float64)
    ps = [Pyramid(np.random.default_rng(0).normal(size=n)) for _ in range(2)]
    for buckets in (100, 999, 1000, 4096):
        d = decimate(rel, ps, 0, n, buckets)
        assert len(d.x) <= 2 * buckets + 4
        assert len(d.x) >= buckets  # and not needlessly coarse


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=5000),
    a=st.floats(0, 1),
    b=st.floats(0, 1),
    buckets=st.integers(min_value=1, max_value=700),
    nan_frac=st.sampled_from([0.0, 0.05, 0.5, 1.0]),
    dtype=st.sampled_from([np.float32, np.float64, np.int16]),
    seed=st.integers(0, 2**16),
)
def test_any_window_equals_reducing_the_raw_data(
    n: int, a: float, b: float, buckets: int, nan_frac: float, dtype: type, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    # Uneven sampling: random positive steps.
    rel = np.cumsum(rng.exponential(size=n))
    v = (rng.normal(size=n) * 1000).astype(dtype)
    if dtype is not np.int16 and nan_frac:
        v[rng.random(n) < nan_frac] = np.nan
    p = Pyramid(v, base=8, factor=4)
    i0, i1 = sorted((int(a * n), int(b * n)))
    d = decimate(rel, [p], i0, i1, buckets)
    if i1 == i0:
        assert d.x.size == 0
        return
    if d.bucket == 1:
        np.testing.assert_array_equal(d.ys[0], v[i0:i1])
        np.testing.assert_array_equal(d.x, rel[i0:i1])
        return
    size = d.bucket
    assert size == bucket_size(i1 - i0, buckets, p)
    k0, k1 = i0 // size, -(-i1 // size)
    lo, hi = direct(v.astype(np.float64), size, k0, k1)
    got_lo, got_hi = pair_extremes(d.ys[0])
    np.testing.assert_array_equal(got_lo, lo)
    np.testing.assert_array_equal(got_hi, hi)
    # The window is covered, at most one bucket wider on each side.
    assert d.i0 <= i0 < d.i0 + size
    assert d.i1 - size < i1 <= d.i1


def test_slopes_stay_monotone_not_sawtooth() -> None:
    n = 10_000
    rel = np.arange(n, dtype=np.float64)
    for v in (np.arange(n, dtype=np.float64), -np.arange(n, dtype=np.float64)):
        d = decimate(rel, [Pyramid(v)], 0, n, 100)
        steps = np.diff(d.ys[0])
        assert (steps >= 0).all() or (steps <= 0).all(), "a ramp must decimate to a ramp"


def test_nan_buckets_stay_gaps() -> None:
    v = np.ones(4096)
    v[1024:2048] = np.nan
    d = decimate(np.arange(4096.0), [Pyramid(v)], 0, 4096, 64)
    assert d.bucket == 64
    y = d.ys[0]
    assert np.isnan(y[2 * 16 : 2 * 32]).all()
    assert not np.isnan(y[: 2 * 16]).any()


@pytest.mark.parametrize("n", [0, 1, 2, 31, 32, 33])
def test_tiny_inputs(n: int) -> None:
    v = np.arange(n, dtype=np.float64)
    d = decimate(np.arange(n, dtype=np.float64), [Pyramid(v)], 0, n, 4)
    if n:
        assert np.nanmin(d.ys[0]) == 0
        assert np.nanmax(d.ys[0]) == n - 1
    else:
        assert d.x.size == 0
