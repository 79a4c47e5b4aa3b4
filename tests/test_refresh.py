"""A refresh of any window, as the browser receives it, equals decimating the raw data directly.

The expected answer is built here the slow, obvious way (a mask per pixel
column over the raw samples), from nothing but the request and the raw data,
and compared with the bytes the widget sends, decoded as the front end does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tsvideo_widget import TimeSeriesVideo


def request(w: TimeSeriesVideo, lo: float, hi: float, buckets: int) -> tuple[dict[str, Any], list]:
    """Send a detail request as the browser does and return the reply and its buffers."""
    got: list[tuple[dict[str, Any], list[Any]]] = []
    w.send = lambda content, buffers=None: got.append((content, buffers or []))  # type: ignore[method-assign]
    w._protocol.handle({"type": "detail", "id": 1, "lo": lo, "hi": hi, "buckets": buckets}, [])
    msg, bufs = got[-1]
    assert msg["error"] is None, msg["error"]
    return msg, bufs


def decode(msg: dict[str, Any], bufs: list[Any]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Times (float32 offsets from x0, as sent) and channel values, as the front end reads them."""
    off = np.frombuffer(bufs[0], dtype="<f4")
    ys = [
        np.frombuffer(b, dtype=np.dtype(d).newbyteorder("<"))
        for b, d in zip(bufs[1:], msg["dtypes"], strict=True)
    ]
    return off, ys


def direct(
    t: np.ndarray, chans: list[np.ndarray], lo: float, hi: float, buckets: int
) -> tuple[np.ndarray, list[np.ndarray], float]:
    """The window decimated straight from the raw samples (times in seconds from t[0] = 0)."""
    lo, hi = max(lo, 0.0), min(hi, float(t[-1]))
    inside = np.flatnonzero((t >= lo) & (t <= hi))
    n = t.shape[0]
    if hi <= lo or inside.size < 4 * buckets:
        # Raw: the window's samples and one more on each side.
        first = max(0, (inside[0] if inside.size else int(np.searchsorted(t, lo))) - 1)
        last = min(n, (inside[-1] + 1 if inside.size else int(np.searchsorted(t, lo))) + 1)
        return t[first:last], [c[first:last] for c in chans], 0.0
    dt = 2.0 ** (math.floor(math.log2((hi - lo) / buckets) * 4) / 4)
    xs: list[float] = []
    ys: list[list[float]] = [[] for _ in chans]
    rows_used = []
    for k in range(math.floor(lo / dt), max(math.floor(lo / dt) + 1, math.ceil(hi / dt))):
        rows = np.flatnonzero((t >= k * dt) & (t < (k + 1) * dt))
        if rows.size == 0:
            continue
        rows_used.append(rows)
        xs += [t[rows[0]], t[rows[-1]]]
        for c, v in enumerate(chans):
            col = v[rows]
            mn, mx = (np.nan, np.nan) if np.isnan(col).all() else (np.nanmin(col), np.nanmax(col))
            pair = [mx, mn] if v[rows[0]] > v[rows[-1]] else [mn, mx]
            ys[c] += pair
    first, last = rows_used[0][0], rows_used[-1][-1]
    x = np.array(xs)
    out = [np.array(y) for y in ys]
    if first > 0:
        x = np.r_[t[first - 1], x]
        out = [np.r_[v[first - 1], y] for v, y in zip(chans, out, strict=True)]
    if last + 1 < n:
        x = np.r_[x, t[last + 1]]
        out = [np.r_[y, v[last + 1]] for v, y in zip(chans, out, strict=True)]
    return x, out, dt


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 4000),
    a=st.floats(-0.05, 1.0),
    w=st.floats(0.0, 1.1),
    buckets=st.integers(1, 500),
    seed=st.integers(0, 2**16),
)
def test_any_refresh_equals_decimating_the_raw_data(
    n: int, a: float, w: float, buckets: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    # Uneven sampling (pauses and bursts of equal times) and NaN gaps.
    t = np.r_[0.0, np.cumsum(rng.exponential(size=n - 1) * rng.choice([0, 1, 1, 30], size=n - 1))]
    f64 = rng.normal(size=n) * 100
    f64[rng.random(n) < 0.1] = np.nan
    f32 = rng.normal(size=n).astype(np.float32)
    f32[n // 3 : n // 2] = np.nan
    i16 = rng.integers(-300, 300, size=n).astype(np.int16)
    widget = TimeSeriesVideo(pd.DataFrame({"time": t, "a": f64, "b": f32, "c": i16}))
    span = float(t[-1])
    lo, hi = a * span, (a + w) * span
    msg, bufs = request(widget, lo, hi, buckets)
    off, ys = decode(msg, bufs)
    x, expect, dt = direct(t, [f64, f32, i16], lo, hi, buckets)
    assert msg["dt"] == dt
    assert msg["points"] == x.shape[0] == off.shape[0]
    np.testing.assert_array_equal(off, (x - msg["x0"]).astype(np.float32))
    assert msg["dtypes"] == ["float64", "float32", "int16"]  # small integers travel as themselves
    for got, exp in zip(ys, expect, strict=True):
        np.testing.assert_array_equal(got, exp.astype(got.dtype))


def test_a_whole_span_refresh_of_ten_million_samples_is_exact() -> None:
    # Many pyramid levels at once; numpy reductions per column are the reference.
    n = 10_000_000
    t = np.arange(n) / 1000.0
    v = np.random.default_rng(0).normal(size=n).astype(np.float32)
    widget = TimeSeriesVideo(pd.DataFrame({"time": t, "v": v}))
    msg, bufs = request(widget, 0.0, float(t[-1]), 1000)
    _, (y,) = decode(msg, bufs)
    dt = msg["dt"]
    cols = np.floor(t / dt).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, np.diff(cols) > 0])
    mins = np.minimum.reduceat(v, starts)
    maxs = np.maximum.reduceat(v, starts)
    np.testing.assert_array_equal(np.minimum(y[0::2], y[1::2]), mins)
    np.testing.assert_array_equal(np.maximum(y[0::2], y[1::2]), maxs)
