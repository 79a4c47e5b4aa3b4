"""A refresh of any window, as the browser receives it, equals decimating the raw data directly.

The expected answer is built here the slow, obvious way (a mask per pixel
column over the raw samples), from nothing but the request and the raw data,
and compared with the bytes the widget sends, decoded as the front end does.
The browser asks for the compact layout: decimated windows then match within
its documented bounds (times within ``dt / 512`` of the sample's, values within
half a quantization step, at most ``(hi - lo) / 65534``), raw windows exactly.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from m4kit import direct

from tsvideo_widget import TimeSeriesVideo
from tsvideo_widget.compactwire import unpack
from tsvideo_widget.wire import KERNEL_MS_FIELD


def request(w: TimeSeriesVideo, lo: float, hi: float, buckets: int) -> tuple[dict[str, Any], list]:
    """Send a detail request as the browser does (compact) and return the reply and its buffers."""
    got: list[tuple[dict[str, Any], list[Any]]] = []
    w.send = lambda content, buffers=None: got.append((content, buffers or []))  # type: ignore[method-assign]
    msg = {"type": "detail", "id": 1, "lo": lo, "hi": hi, "buckets": buckets, "compact": True}
    w._protocol.handle(msg, [])
    reply, bufs = got[-1]
    assert reply["error"] is None, reply["error"]
    return reply, bufs


def decode(msg: dict[str, Any], bufs: list[Any]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Times (float64 relative seconds) and channel values (float64), as the front end reads
    them from either layout (``compactwire.unpack`` takes the same steps as js/compact.ts)."""
    return unpack(msg, bufs)


def tolerances(msg: dict[str, Any], x: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """How far each decoded time and each channel's values may be from the raw samples':
    the exact layout's float32 time offsets (and exact values); in the compact layout
    ``dt / 512`` for a column's points and half a step for quantized values."""
    t_tol = np.abs(x - msg["x0"]) * 2.0**-24 + 1e-300
    if msg.get("layout") is None:
        return t_tol, [0.0] * len(msg["dtypes"])
    nb, na = msg["outer"]
    t_tol[nb : x.shape[0] - na] = msg["dt"] / 512 * (1 + 1e-9)
    return t_tol, [0.0 if c is None else c["step"] / 2 for c in msg["codes"]]


def assert_close(got: np.ndarray, exp: np.ndarray, tol: float) -> None:
    """Equal NaN, and values within ``tol`` (plus float64 rounding; exactly when 0)."""
    exp = exp.astype(np.float64)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(exp))
    ok = ~np.isnan(exp)
    if tol == 0:
        np.testing.assert_array_equal(got[ok], exp[ok])
    else:
        assert np.all(np.abs(got[ok] - exp[ok]) <= tol + 4 * np.spacing(np.abs(exp[ok]) + 1))


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
    got_x, ys = decode(msg, bufs)
    x, expect, dt = direct(t, [f64, f32, i16], lo, hi, buckets)
    assert msg["dt"] == dt
    assert msg["points"] == x.shape[0] == got_x.shape[0]
    t_tol, v_tol = tolerances(msg, x)
    assert np.all(np.abs(got_x - x) <= t_tol)
    # Raw samples exact; decimated ones quantized but small integers as themselves.
    assert (msg.get("layout") is None) == (dt == 0)
    assert msg["dtypes"] == (["float64", "float32", "int16"] if dt == 0 else ["int16"] * 3)
    assert v_tol[2] == 0
    for got, exp, tol in zip(ys, expect, v_tol, strict=True):
        assert_close(got, exp, tol)


def test_a_whole_span_refresh_of_ten_million_samples_is_exact() -> None:
    # Many pyramid levels at once; numpy reductions per column are the reference.
    n = 10_000_000
    t = np.arange(n) / 1000.0
    v = np.random.default_rng(0).normal(size=n).astype(np.float32)
    widget = TimeSeriesVideo(pd.DataFrame({"time": t, "v": v}))
    msg, bufs = request(widget, 0.0, float(t[-1]), 1000)
    x, (y,) = decode(msg, bufs)
    tol = msg["codes"][0]["step"] / 2
    assert tol <= (v.max() - v.min()) / 65534
    dt = msg["dt"]
    cols = np.floor(t / dt).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, np.diff(cols) > 0])
    mins = np.minimum.reduceat(v, starts)
    maxs = np.maximum.reduceat(v, starts)
    # Group the points by column: each sits at a sample's time (1 ms apart, far wider
    # than the times' rounding), and that sample's column is known.
    row = np.rint(x * 1000.0).astype(np.int64)
    col_of = cols[row]
    bounds = np.flatnonzero(np.r_[True, np.diff(col_of) > 0])
    assert_close(np.minimum.reduceat(y, bounds), mins, tol)
    assert_close(np.maximum.reduceat(y, bounds), maxs, tol)
    assert_close(y[bounds], v[starts], tol)  # each column's first value...
    ends = np.r_[starts[1:], n] - 1
    assert_close(y[np.r_[bounds[1:], y.shape[0]] - 1], v[ends], tol)  # ...and last
    assert y.shape[0] <= 4 * starts.shape[0]


def test_a_reply_carries_the_kernels_own_handling_time() -> None:
    # The browser's link meter subtracts it from the round trip (js/link.ts): a slow
    # computation must show up here, not as a slow wire.
    widget = TimeSeriesVideo(pd.DataFrame({"time": np.arange(5000) / 100.0, "v": np.zeros(5000)}))
    msg, _ = request(widget, 0.0, 49.0, 100)
    assert 0.0 <= msg[KERNEL_MS_FIELD] < 1000.0
    real = widget.detail

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.05)
        return real(*args, **kwargs)

    widget.detail = slow  # type: ignore[method-assign]
    t0 = time.perf_counter()
    msg, _ = request(widget, 0.0, 49.0, 100)
    outside = (time.perf_counter() - t0) * 1000.0
    assert 50.0 <= msg[KERNEL_MS_FIELD] <= outside
