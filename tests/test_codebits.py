"""Packed value codes of a slow link's requests (``levels``): tsvideo_widget/codebits.py.

Every packed channel decodes (as the browser does: ``decode_packed`` is the same
steps as js/compact.ts ``decodePacked``) within ``range / levels`` of the exact
values, NaN where NaN; values on a grid as coarse as the step come back exactly;
the codes take the fewest bits either coding needs; and a window over a slow link
costs about half the bytes of int16 codes for a chart of 300 device pixels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsvideo_widget import TimeSeriesVideo
from tsvideo_widget.codebits import (
    MAX_PACKED_BITS,
    decode_packed,
    encode_packed,
    pack_bits,
    packed_size,
    unpack_bits,
)
from tsvideo_widget.compactwire import unpack
from tsvideo_widget.wire import RAW_LAYOUT


def frame(t: np.ndarray, **cols: np.ndarray) -> TimeSeriesVideo:
    return TimeSeriesVideo(pd.DataFrame({"time": t, **cols}), time="time")


def roundtrip(y: np.ndarray, levels: int) -> tuple[np.ndarray, dict[str, Any]]:
    got = encode_packed(y, levels)
    assert got is not None
    raw, spec = got
    assert len(raw) == packed_size(spec["bits"], y.shape[0])
    return decode_packed(raw, spec, y.shape[0]), spec


@given(
    st.lists(st.integers(0, (1 << 15) - 1), min_size=1, max_size=200),
    st.integers(1, MAX_PACKED_BITS),
)
def test_bits_pack_and_unpack_exactly(codes: list[int], bits: int) -> None:
    c = np.array(codes, dtype=np.uint32) & ((1 << bits) - 1)
    raw = pack_bits(c, bits)
    assert len(raw) == packed_size(bits, c.shape[0])
    assert np.array_equal(unpack_bits(raw, bits, c.shape[0]), c)


def test_bit_order_is_little_endian_within_and_across_bytes() -> None:
    # Codes 1 and 2 of 3 bits: bits 0..2 = 1,0,0 and bits 3..5 = 0,1,0 -> 0b0001_0001.
    assert pack_bits(np.array([1, 2]), 3) == bytes([0b0001_0001])
    # A 12-bit code straddles two bytes, low bits first.
    assert pack_bits(np.array([0xABC]), 12) == bytes([0xBC, 0x0A])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(-1e12, 1e12, allow_nan=False, width=64), st.just(float("nan"))),
        min_size=1,
        max_size=300,
    ),
    st.integers(2, 40_000),
)
def test_any_values_decode_within_range_over_levels(values: list[float], levels: int) -> None:
    y = np.array(values, dtype=np.float64)
    got = encode_packed(y, levels)
    fin = y[~np.isnan(y)]
    if got is None:  # only when 16 bits could be needed, or the range is out of float steps
        span = float(fin.max() - fin.min())
        assert span / levels < 2.0**-1000 or levels > (1 << MAX_PACKED_BITS) - 2
        return
    out, spec = roundtrip(y, levels)
    assert np.array_equal(np.isnan(out), np.isnan(y))
    if fin.shape[0]:
        span = float(fin.max() - fin.min())
        err = np.abs(out[~np.isnan(y)] - fin)
        assert err.max() <= span / levels * (1 + 1e-12) + 1e-300
        assert spec["lo"] == fin.min() and out[~np.isnan(y)].min() == fin.min()
    assert 1 <= spec["bits"] <= MAX_PACKED_BITS


def test_values_on_a_grid_as_coarse_as_the_step_come_back_exactly() -> None:
    rng = np.random.default_rng(3)
    ints = np.cumsum(rng.integers(-3, 4, 5000)).astype(np.float64)
    out, spec = roundtrip(ints, 2400)
    assert spec["step"] <= 1 and np.array_equal(out, ints)
    quarters = np.round(rng.normal(size=500) * 40) / 4
    out, spec = roundtrip(quarters, 8 * 300)
    assert np.array_equal(out, quarters)


def test_the_fewer_bits_of_absolute_and_delta_codes_are_taken() -> None:
    # A smooth ramp over 0..1023 on step 1: absolute codes need 10 bits, deltas of 1 need 2.
    ramp = np.arange(1024, dtype=np.float64)
    _, spec = roundtrip(ramp, 1023)
    assert (spec["mode"], spec["bits"], spec["step"]) == ("delta", 2, 1.0)
    # Alternating extremes: every delta is the whole range; absolute codes are cheaper.
    flip = np.tile([0.0, 1000.0], 50)
    out, spec = roundtrip(flip, 1000)
    assert spec["mode"] == "abs" and spec["bits"] == 10 and np.array_equal(out, flip)


def test_nan_constant_and_all_nan_channels_take_one_bit() -> None:
    const = np.array([2.5, np.nan, 2.5, 2.5])
    out, spec = roundtrip(const, 100)
    assert spec["bits"] == 1 and np.array_equal(out, const, equal_nan=True)
    nan = np.full(9, np.nan)
    out, spec = roundtrip(nan, 100)
    assert spec["bits"] == 1 and spec["lo"] is None and np.isnan(out).all()


def test_infinities_and_widths_over_fifteen_bits_keep_int16_codes() -> None:
    assert encode_packed(np.array([0.0, np.inf, 1.0]), 100) is None
    assert encode_packed(np.random.default_rng(0).uniform(0, 1, 1000), 100_000) is None


@pytest.mark.parametrize("levels", [2, 64, 2400, 16_000])
def test_a_widget_window_with_levels_is_the_exact_window_within_range_over_levels(
    levels: int,
) -> None:
    rng = np.random.default_rng(levels)
    n = 200_000
    t = np.sort(rng.uniform(0, 200, n))
    v = np.cumsum(rng.normal(size=n))
    v[rng.random(n) < 0.01] = np.nan
    i16 = np.cumsum(rng.integers(-2, 3, n)).astype(np.int16)
    w = frame(t, v=v, i16=i16)
    header, bufs = w.detail(20.0, 170.0, 700, compact=True, levels=levels)
    x, ys = unpack(header, bufs)
    # The times are those of the int16 reply, bit for bit; the values within range / levels.
    assert np.array_equal(x, unpack(*w.detail(20.0, 170.0, 700, compact=True))[0])
    ex_x, ex_ys = unpack(*w.detail(20.0, 170.0, 700))
    assert x.shape == ex_x.shape
    for got, exact, spec in zip(ys, ex_ys, header["codes"], strict=True):
        assert spec is not None and "bits" in spec
        assert np.array_equal(np.isnan(got), np.isnan(exact))
        fin = ~np.isnan(exact)
        span = float(exact[fin].max() - exact[fin].min())
        assert np.abs(got[fin] - exact[fin]).max() <= span / levels * (1 + 1e-12)


def test_a_slow_links_request_costs_about_half_the_bytes_for_a_300_pixel_chart() -> None:
    rng = np.random.default_rng(1)
    n = 1_000_000
    t = np.arange(n) / 1000.0
    w = frame(t, **{f"c{i}": np.cumsum(rng.normal(size=n)).astype(np.float32) for i in range(4)})
    size = lambda bufs: sum(memoryview(b).nbytes for b in bufs)  # noqa: E731
    _, int16 = w.detail(100.0, 200.0, 1000, compact=True)
    header, packed = w.detail(100.0, 200.0, 1000, compact=True, levels=8 * 300)
    assert all(s["bits"] <= 10 for s in header["codes"])
    assert size(packed) <= 0.65 * size(int16)


def test_levels_reach_the_kernel_from_the_browser_and_bad_ones_are_refused() -> None:
    t = np.arange(20_000) / 100.0
    w = frame(t, v=np.sin(t))
    got: list[tuple[dict[str, Any], list[Any]]] = []
    w.send = lambda content, buffers=None: got.append((content, list(buffers or [])))  # type: ignore[method-assign]
    base = {"type": "detail", "lo": 10.0, "hi": 150.0, "buckets": 300, "compact": True}
    w._protocol.handle({**base, "id": 1, "levels": 800}, [])
    assert got[-1][0]["error"] is None and all("bits" in s for s in got[-1][0]["codes"])
    for i, bad in enumerate([1, 0, -5, 2.5, True, "800"]):
        w._protocol.handle({**base, "id": 10 + i, "levels": bad}, [])
        err = got[-1][0]["error"]
        assert err is not None and "levels must be an integer of at least 2" in err, bad
    w._protocol.handle({**base, "id": 99}, [])
    assert got[-1][0]["error"] is None and all("bits" not in s for s in got[-1][0]["codes"])


def test_a_raw_window_with_levels_is_packed_times_implicit_values_within_range_by_levels() -> None:
    rng = np.random.default_rng(4)
    n = 200_000
    t = np.arange(n) / 1000.0
    chans = {f"c{i}": np.cumsum(rng.normal(size=n)).astype(np.float32) for i in range(8)}
    chans["c0"][50_300:50_400] = np.nan
    w = frame(t, **chans)
    size = lambda bufs: sum(memoryview(b).nbytes for b in bufs)  # noqa: E731
    exact_h, exact_b = w.detail(50.0, 55.0, 1500, compact=True)
    assert "layout" not in exact_h and exact_h["bucket"] == 1  # raw, exact: as before
    header, bufs = w.detail(50.0, 55.0, 1500, compact=True, levels=2400)
    assert header["layout"] == RAW_LAYOUT and header["period"] is not None
    assert size(bufs) <= 0.3 * size(exact_b)
    x, ys = unpack(header, bufs)
    rows = np.arange(header["i0"], header["i1"])
    assert np.abs(x - w.series.rel_at(rows)).max() <= header["period"] / 65536
    for got, name in zip(ys, chans, strict=True):
        want = chans[name][rows].astype(np.float64)
        assert np.array_equal(np.isnan(got), np.isnan(want))
        fin = ~np.isnan(want)
        span = float(want[fin].max() - want[fin].min())
        assert np.abs(got[fin] - want[fin]).max() <= span / 2400 * (1 + 1e-12)


def test_a_raw_window_of_uneven_times_keeps_their_float32_offsets() -> None:
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(0, 100, 50_000))
    w = frame(t, v=np.sin(t))
    exact_x, _ = unpack(*w.detail(40.0, 41.0, 800, compact=True))
    header, bufs = w.detail(40.0, 41.0, 800, compact=True, levels=500)
    assert header["layout"] == RAW_LAYOUT and header["period"] is None
    x, _ = unpack(header, bufs)
    assert np.array_equal(x, exact_x)
