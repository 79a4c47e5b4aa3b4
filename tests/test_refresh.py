"""A refresh of any window, as the browser receives it, equals decimating the raw data directly.

The expected answer is built here the slow, obvious way (a mask per pixel
column over the raw samples), from nothing but the request and the raw data,
and compared with the bytes the widget sends, decoded as the front end does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from m4kit import direct

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
    off, (y,) = decode(msg, bufs)
    dt = msg["dt"]
    cols = np.floor(t / dt).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, np.diff(cols) > 0])
    mins = np.minimum.reduceat(v, starts)
    maxs = np.maximum.reduceat(v, starts)
    # Group the points by column: each sits at a sample's time (1 ms apart, far wider
    # than the float32 offsets' rounding), and that sample's column is known.
    row = np.rint((msg["x0"] + off.astype(np.float64)) * 1000.0).astype(np.int64)
    col_of = cols[row]
    bounds = np.flatnonzero(np.r_[True, np.diff(col_of) > 0])
    np.testing.assert_array_equal(np.minimum.reduceat(y, bounds), mins)
    np.testing.assert_array_equal(np.maximum.reduceat(y, bounds), maxs)
    np.testing.assert_array_equal(y[bounds], v[starts])  # each column's first value...
    ends = np.r_[starts[1:], n] - 1
    np.testing.assert_array_equal(y[np.r_[bounds[1:], y.shape[0]] - 1], v[ends])  # ...and last
    assert y.shape[0] <= 4 * starts.shape[0]
