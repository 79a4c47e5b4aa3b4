"""Min/max decimation: the exact min and max of every pixel column, at every pyramid level.

Every check compares with the obvious slow computation on the raw samples
(boolean masks and nanmin/nanmax), never with the code under test.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from m4kit import direct, pixels

from tsvideo_widget.data import Series, prepare
from tsvideo_widget.decimate import (
    LADDER,
    RAW_BELOW,
    Pyramid,
    RangePlan,
    column_width,
    columns,
    decimate,
)

DTYPES = [np.float32, np.float64, np.int16, np.int64]


def nan_extremes(v: np.ndarray) -> tuple[float, float]:
    """nanmin and nanmax as float64; NaN for an empty or all-NaN run."""
    f = v.astype(np.float64)
    if f.size == 0 or np.isnan(f).all():
        return math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmin(f)), float(np.nanmax(f))


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def values(rng: np.random.Generator, n: int, dtype: type, nan_frac: float) -> np.ndarray:
    v = (rng.normal(size=n) * 1000).astype(dtype)
    if np.dtype(dtype).kind == "f" and nan_frac:
        v[rng.random(n) < nan_frac] = np.nan
        if nan_frac >= 0.5 and n > 8:  # and a long gap, not just scattered NaN
            a = int(rng.integers(0, n - 4))
            v[a : a + int(rng.integers(1, n - a))] = np.nan
    return v


def uneven_series(
    rng: np.random.Generator,
    n: int,
    chans: list[np.ndarray],
    kind: str,
) -> Series:
    """A Series with uneven sampling: random steps, bursts of equal times, long pauses."""
    steps = rng.exponential(size=n) * rng.choice([0.0, 1.0, 1.0, 1.0, 40.0], size=n)
    if kind == "datetime":
        ticks = np.cumsum((steps * 1e6).astype(np.int64))  # microseconds
        t = pd.to_datetime(ticks, unit="us")
    else:
        t = np.cumsum(steps)
    df = pd.DataFrame({"time": t, **{f"c{i}": c for i, c in enumerate(chans)}})
    return prepare(df, "time")


# ---------------------------------------------------------------------------- pyramid levels


@settings(max_examples=120, deadline=None)
@given(
    n=st.integers(1, 3000),
    base=st.integers(2, 16),
    factor=st.integers(2, 5),
    dtype=st.sampled_from(DTYPES),
    nan_frac=st.sampled_from([0.0, 0.1, 0.6, 1.0]),
    seed=st.integers(0, 2**16),
)
def test_every_level_holds_the_exact_extremes_of_its_blocks(
    n: int, base: int, factor: int, dtype: type, nan_frac: float, seed: int
) -> None:
    v = values(np.random.default_rng(seed), n, dtype, nan_frac)
    p = Pyramid(v, base=base, factor=factor)
    if n >= 2 * base:
        assert p.levels, "a pyramid of at least two blocks"
    for level, (mins, maxs) in enumerate(p.levels):
        size = p.block_size(level)
        assert mins.shape[0] == -(-n // size)
        for k in range(mins.shape[0]):
            lo, hi = nan_extremes(v[k * size : (k + 1) * size])
            assert same(float(mins[k]), lo) and same(float(maxs[k]), hi), (level, k)
    if p.levels:
        assert p.levels[-1][0].shape[0] < 2 * factor  # built up to a handful of blocks


def test_pyramid_costs_a_fraction_of_the_input() -> None:
    v = np.zeros(1_000_000, dtype=np.float32)
    assert Pyramid(v).nbytes <= 0.045 * v.nbytes


def test_pyramid_refuses_a_degenerate_shape() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        Pyramid(np.zeros(10), base=1)


# ---------------------------------------------------------------------------- range queries


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 4000),
    base=st.integers(2, 16),
    factor=st.integers(2, 4),
    dtype=st.sampled_from(DTYPES),
    nan_frac=st.sampled_from([0.0, 0.2, 0.7, 1.0]),
    runs=st.integers(1, 40),
    seed=st.integers(0, 2**16),
)
def test_any_run_of_samples_gives_its_exact_extremes(
    n: int, base: int, factor: int, dtype: type, nan_frac: float, runs: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    v = values(rng, n, dtype, nan_frac)
    p = Pyramid(v, base=base, factor=factor)
    ends = np.sort(rng.integers(0, n + 1, size=(runs, 2)), axis=1)
    # Some runs empty, some the whole series, some a single sample.
    ends[0] = (0, n)
    if runs > 2:
        ends[1] = (ends[1, 0], ends[1, 0])
        ends[2] = (min(ends[2, 0], n - 1), min(ends[2, 0], n - 1) + 1)
    mins, maxs = p.range_minmax(ends[:, 0], ends[:, 1])
    assert mins.dtype == v.dtype and maxs.dtype == v.dtype
    for k, (a, b) in enumerate(ends):
        if a == b:
            continue  # callers drop empty runs
        lo, hi = nan_extremes(v[a:b])
        assert same(float(mins[k]), lo) and same(float(maxs[k]), hi), (a, b)


def test_a_plan_serves_every_channel_of_the_same_length() -> None:
    rng = np.random.default_rng(3)
    chans = [rng.normal(size=10_000), rng.integers(-5, 5, size=10_000).astype(np.int16)]
    pyrs = [Pyramid(c) for c in chans]
    starts = np.arange(0, 9_000, 900)
    stops = starts + 777
    plan = RangePlan(starts, stops, pyrs[0])
    for c, p in zip(chans, pyrs, strict=True):
        mins, maxs = p.range_minmax(starts, stops, plan)
        for k, (a, b) in enumerate(zip(starts, stops, strict=True)):
            assert mins[k] == c[a:b].min() and maxs[k] == c[a:b].max()


def test_a_run_outside_the_samples_is_refused() -> None:
    p = Pyramid(np.zeros(100))
    with pytest.raises(IndexError, match="100 samples"):
        p.range_minmax(np.array([90]), np.array([101]))


# ---------------------------------------------------------------------------- pixel columns


def test_column_widths_sit_on_a_ladder_and_never_coarser_than_asked() -> None:
    for seconds in (1e-3, 0.37, 5.0, 3600.0, 1e7):
        for count in (1, 333, 1000, 8192):
            dt = column_width(seconds, count)
            assert seconds / count / 2 ** (1 / LADDER) < dt <= seconds / count
            steps = math.log2(dt) * LADDER
            assert steps == pytest.approx(round(steps), abs=1e-9)
    assert column_width(0.0, 100) == 0.0


@settings(max_examples=120, deadline=None)
@given(
    n=st.integers(2, 3000),
    kind=st.sampled_from(["numeric", "datetime"]),
    dtype=st.sampled_from(DTYPES),
    nan_frac=st.sampled_from([0.0, 0.1, 0.7]),
    a=st.floats(-0.1, 1.0),
    w=st.floats(1e-4, 1.2),
    count=st.integers(1, 400),
    base=st.integers(2, 8),
    seed=st.integers(0, 2**16),
)
def test_every_pixel_column_gets_the_exact_extremes_of_its_samples(
    n: int,
    kind: str,
    dtype: type,
    nan_frac: float,
    a: float,
    w: float,
    count: int,
    base: int,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    chans = [values(rng, n, dtype, nan_frac), values(rng, n, np.float64, nan_frac)]
    s = uneven_series(rng, n, chans, kind)
    if s.span <= 0:
        return
    lo = a * s.span
    hi = lo + w * s.span
    pyrs = [Pyramid(v, base=base, factor=2) for v in s.values]
    cols = columns(s, pyrs, lo, hi, count)
    m = cols.starts.shape[0]
    assert (cols.k0 * cols.dt) <= lo and (cols.k0 + m) * cols.dt >= hi  # the window is covered
    assert m <= math.ceil(count * 2 ** (1 / LADDER)) + 2
    key = s.key
    for j in range(m):
        e0, e1 = (cols.k0 + j) * cols.dt, (cols.k0 + j + 1) * cols.dt
        inside = (key >= s.key_threshold(e0)) & (key < s.key_threshold(e1))
        rows = np.flatnonzero(inside)
        assert cols.starts[j] == (rows[0] if rows.size else cols.starts[j])
        assert cols.stops[j] - cols.starts[j] == rows.size
        if rows.size == 0:
            continue
        for c, v in enumerate(s.values):
            lo_j, hi_j = nan_extremes(v[inside])
            assert same(float(cols.mins[c][j]), lo_j), (c, j)
            assert same(float(cols.maxs[c][j]), hi_j), (c, j)
            col = v[rows].astype(np.float64)
            nan = np.isnan(col)
            ok = np.flatnonzero(~nan)
            first, last = (col[ok[0]], col[ok[-1]]) if ok.size else (math.nan, math.nan)
            assert same(float(cols.firsts[c][j]), first), (c, j)
            assert same(float(cols.lasts[c][j]), last), (c, j)
            g = cols.gaps[c]
            if g is None:
                assert not nan.any(), (c, j)
            else:
                assert g.lead[j] == nan[0] and g.trail[j] == nan[-1], (c, j)
                assert g.mid[j] == bool(ok.size and nan[ok[0] : ok[-1] + 1].any()), (c, j)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 2000),
    kind=st.sampled_from(["numeric", "datetime"]),
    a=st.floats(0, 1),
    w=st.floats(0, 1),
    count=st.integers(1, 300),
    seed=st.integers(0, 2**16),
)
def test_key_thresholds_split_rows_exactly_at_relative_times(
    n: int, kind: str, a: float, w: float, count: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    s = uneven_series(rng, n, [rng.normal(size=n)], kind)
    rel = np.array([a * s.span, (a + w) * s.span, s.span, 0.0])
    idx = s.indices_at_rel(rel)
    thr = s.key_threshold(rel)
    for i, t in zip(idx, thr, strict=True):
        assert (s.key[:i] < t).all() and (s.key[i:] >= t).all()
    assert idx[3] == 0
    assert s.sample_index(s.span, "right") == n and s.sample_index(0.0, "left") == 0
    if s.key.dtype.kind in "iu":
        # A sample's own time finds that sample (the first of equal times), in
        # exact integer ticks even where float seconds cannot hold every tick.
        rows = rng.integers(0, n, size=min(n, 50))
        for i in rows:
            first = int(np.searchsorted(s.key, s.key[i], side="left"))
            assert s.sample_index(s.rel_at(int(i)), "left") == first
            assert s.sample_index(s.rel_at(int(i)), "right") == first + int(
                (s.key == s.key[i]).sum()
            )


# ---------------------------------------------------------------------------- points to draw


def series_of(t: np.ndarray, *chans: np.ndarray) -> Series:
    df = pd.DataFrame({"time": t, **{f"c{i}": c for i, c in enumerate(chans)}})
    return prepare(df, "time")


def test_few_samples_per_column_are_sent_raw_with_their_neighbours() -> None:
    t = np.arange(100, dtype=np.float64)
    s = series_of(t, t * 2)
    d = decimate(s, [Pyramid(v) for v in s.values], 10.0, 60.0, 1000)
    assert d.bucket == 1 and d.dt == 0.0
    np.testing.assert_array_equal(d.x, t[9:62])  # one sample beyond each edge
    np.testing.assert_array_equal(d.ys[0], t[9:62] * 2)


def test_raw_threshold_is_four_samples_per_column() -> None:
    t = np.arange(10_000, dtype=np.float64)
    s = series_of(t, np.sin(t))
    pyrs = [Pyramid(v) for v in s.values]
    assert decimate(s, pyrs, 0.0, 398.0, 100).bucket == 1  # 399 samples in [0, 398]
    assert decimate(s, pyrs, 0.0, 399.0, 100).bucket > 1  # 400: four per column
    assert RAW_BELOW == 4.0


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(2, 3000),
    nan_frac=st.sampled_from([0.0, 0.3, 0.7]),
    a=st.floats(0, 1),
    w=st.floats(0, 1),
    count=st.integers(1, 200),
    seed=st.integers(0, 2**16),
)
def test_each_window_sends_the_documented_m4_points(
    n: int, nan_frac: float, a: float, w: float, count: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    # Times from 0, so relative seconds are the keys themselves and the reference's
    # masks on them decide rows exactly as the widget's key thresholds do.
    steps = rng.exponential(size=n - 1) * rng.choice([0.0, 1.0, 1.0, 40.0], size=n - 1)
    t = np.r_[0.0, np.cumsum(steps)]
    s = series_of(t, values(rng, n, np.float32, nan_frac), values(rng, n, np.int16, 0.0))
    lo, hi = a * s.span, min(s.span, (a + w) * s.span)
    pyrs = [Pyramid(v, base=4, factor=2) for v in s.values]
    d = decimate(s, pyrs, lo, hi, count)
    assert np.all(np.diff(d.x) >= 0)
    x, expect, dt = direct(t, list(s.values), lo, hi, count)
    assert d.dt == dt
    np.testing.assert_array_equal(d.x, x)
    for got, exp in zip(d.ys, expect, strict=True):
        np.testing.assert_array_equal(got, exp)


@settings(max_examples=80, deadline=None)
@given(
    width=st.integers(8, 300),
    per_px=st.integers(1, 60),
    shape=st.sampled_from(["noise", "spikes", "steps", "ramp"]),
    nan=st.sampled_from(["none", "single", "runs", "whole columns", "edges"]),
    uneven=st.booleans(),
    k0=st.integers(0, 40),
    seed=st.integers(0, 2**16),
)
def test_the_line_draws_as_from_every_raw_sample_where_columns_fit_in_pixels(
    width: int, per_px: int, shape: str, nan: str, uneven: bool, k0: int, seed: int
) -> None:
    """uPlot reduces each device-pixel column to (in, min, max, out) and clips NaN gaps;
    with the chart's pixel columns on the column grid, the decimated line and the raw
    one reduce to the same, so they draw the same pixels (the Chromium test draws them)."""
    rng = np.random.default_rng(seed)
    dt = 2.0**-4  # a power of two: the ladder's own step, and exact in binary
    n = (k0 + width + 2) * per_px
    # Times on a fine binary grid, jittered (some columns empty, some with one sample).
    ticks = np.arange(n) * 64 + (rng.integers(-40, 40, size=n) if uneven else 0)
    t = np.sort(np.maximum(ticks, 0)).astype(np.float64) * (dt / (64 * per_px))
    v = {
        "noise": rng.normal(size=n),
        "spikes": np.where(rng.random(n) < 0.01, rng.normal(size=n) * 50, rng.normal(size=n) * 0.1),
        "steps": np.where((np.arange(n) // max(1, per_px * 3 // 2)) % 2 == 0, 1.0, -1.0),
        "ramp": np.cumsum(rng.normal(size=n)),
    }[shape].astype(np.float32)
    if nan == "single":
        v[rng.random(n) < 0.02] = np.nan
    elif nan == "runs":
        for start in rng.integers(0, n, size=5):
            v[start : start + int(rng.integers(1, 3 * per_px + 2))] = np.nan
    elif nan == "whole columns":
        c = int(rng.integers(k0, k0 + width))
        v[(t >= c * dt) & (t < (c + 2) * dt)] = np.nan
    elif nan == "edges":
        v[(t >= k0 * dt) & (t < (k0 + 0.3) * dt)] = np.nan
        v[(t >= (k0 + width - 0.3) * dt) & (t < (k0 + width) * dt)] = np.nan
    s = series_of(t, v)
    if s.rel_at(0) != 0.0 or t[0] != 0.0:
        return
    lo, hi = k0 * dt, (k0 + width) * dt
    d = decimate(s, [Pyramid(c, base=4, factor=2) for c in s.values], lo, hi, width)
    if d.bucket == 1:
        return  # raw samples: nothing to compare
    assert d.dt == dt

    def px(x: np.ndarray) -> np.ndarray:
        # uPlot's pixel of a value: round((x - min) / dt) with the scale's min half a
        # column before lo, so pixel j covers [lo + j * dt, lo + (j + 1) * dt).
        return np.floor((x - lo) / dt).astype(np.int64)

    raw = pixels(t[d.i0 : d.i1], v[d.i0 : d.i1], px)
    assert pixels(d.x, d.ys[0], px) == raw
    assert d.x.shape[0] <= 4 * width * 2 + 4


def test_slopes_stay_monotone_not_sawtooth() -> None:
    t = np.arange(10_000, dtype=np.float64)
    for v in (t.copy(), -t):
        s = series_of(t, v)
        d = decimate(s, [Pyramid(c) for c in s.values], 0.0, s.span, 100)
        steps = np.diff(d.ys[0])
        assert (steps >= 0).all() or (steps <= 0).all(), "a ramp must decimate to a ramp"


def test_nan_stretches_stay_gaps() -> None:
    t = np.arange(4096, dtype=np.float64)
    v = np.ones(4096)
    v[1024:2048] = np.nan
    s = series_of(t, v)
    d = decimate(s, [Pyramid(c) for c in s.values], 0.0, s.span, 64)
    inside = (d.x > 1024 + 64) & (d.x < 2048 - 64)
    assert inside.any() and np.isnan(d.ys[0][inside]).all()
    assert not np.isnan(d.ys[0][d.x < 1000]).any()


def test_points_stay_within_a_few_per_column() -> None:
    n = 1_000_003
    t = np.arange(n, dtype=np.float64)
    rng = np.random.default_rng(0)
    s = series_of(t, rng.normal(size=n), rng.normal(size=n))
    pyrs = [Pyramid(c) for c in s.values]
    for count in (100, 999, 1000, 4096):
        d = decimate(s, pyrs, 0.0, s.span, count)
        # Noise: first, minimum, maximum and last differ in nearly every column.
        assert 3 * count <= len(d.x) <= 4 * (count * 2 ** (1 / LADDER) + 2)


@pytest.mark.parametrize("n", [1, 2, 31, 32, 33, 200])
def test_tiny_inputs(n: int) -> None:
    t = np.arange(n, dtype=np.float64)
    s = series_of(t, t.copy())
    d = decimate(s, [Pyramid(c) for c in s.values], 0.0, s.span, 4)
    assert np.nanmin(d.ys[0]) == 0 and np.nanmax(d.ys[0]) == n - 1
