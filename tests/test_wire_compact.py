"""The compact layout of decimated windows (tsvideo_widget/transport.py ``pack_compact``).

Every compact reply is decoded as the browser decodes it (``compactwire.unpack``, the
same steps as ``js/compact.ts``) and compared with the window decimated straight
from the raw samples (``tests/m4kit.py`` ``direct``): the same points, each time
within ``dt / 512`` of its sample's and inside its column, each value within half
a step of the exact one (a step is at most ``(hi - lo) / 32767``, so the error is
at most ``(hi - lo) / 65534``), NaN where NaN, and 8- and 16-bit integers exact.
Raw windows are exact, byte for byte the exact layout.
"""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from m4kit import direct

from tsvideo_widget import TimeSeriesVideo
from tsvideo_widget.compactwire import decode_values, encode_values, unpack
from tsvideo_widget.wire import CODE_SPAN, COMPACT_LAYOUT, KERNEL_MS_FIELD, NAN_CODE, RAW_LAYOUT


def ask(w: TimeSeriesVideo, msg: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """Send a request as the browser does; the reply and its buffers."""
    got: list[tuple[dict[str, Any], list[Any]]] = []
    w.send = lambda content, buffers=None: got.append((content, list(buffers or [])))  # type: ignore[method-assign]
    w._protocol.handle(msg, [])
    assert got[-1][0]["error"] is None, got[-1][0]["error"]
    return got[-1]


def f32(a: np.ndarray) -> np.ndarray:
    """``a`` rounded to float32, as float64 (how the exact layout's time offsets arrive)."""
    return a.astype(np.float32).astype(np.float64)


def nbytes(bufs: list[Any]) -> int:
    return sum(memoryview(b).nbytes for b in bufs)


def within(got: np.ndarray, exp: np.ndarray, spec: dict[str, Any] | None) -> None:
    """``got`` equals ``exp`` (exact channels) or is within half a step (quantized ones)."""
    exp = exp.astype(np.float64)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(exp))
    ok = ~np.isnan(exp)
    if spec is None:
        np.testing.assert_array_equal(got[ok], exp[ok])
        return
    err = np.abs(got[ok] - exp[ok])
    # Half a step, and the float64 rounding of (v - lo) and of lo + n * step.
    slack = 4 * np.spacing(np.abs(exp[ok]) + abs(spec["ref"]))
    assert np.all(err <= spec["step"] / 2 + slack), err.max()
    if spec["lo"] is not None:
        assert spec["step"] <= (spec["hi"] - spec["lo"]) / (CODE_SPAN / 2)


def check_window(
    w: TimeSeriesVideo, t: np.ndarray, chans: list[np.ndarray], lo: float, hi: float, k: int
) -> dict[str, Any]:
    """Ask ``w`` for [lo, hi] in ``k`` columns, compact; compare with ``direct``."""
    msg, bufs = ask(
        w, {"type": "detail", "id": 1, "lo": lo, "hi": hi, "buckets": k, "compact": True}
    )
    x, ys = unpack(msg, bufs)
    x_exp, y_exp, dt = direct(t, chans, lo, hi, k)
    assert msg["dt"] == dt and msg["points"] == x.shape[0] == x_exp.shape[0]
    if dt == 0:  # raw samples: the exact layout, as before
        assert "layout" not in msg
        np.testing.assert_array_equal(x, msg["x0"] + f32(x_exp - msg["x0"]))
        for got, exp in zip(ys, y_exp, strict=True):
            within(got, exp, None)
        return msg
    assert msg["layout"] == COMPACT_LAYOUT
    nb, na = msg["outer"]
    body = slice(nb, x.shape[0] - na)
    # Each column point within dt / 512 of its sample's time, and in the sample's column.
    assert np.all(np.abs(x[body] - x_exp[body]) <= dt / 512 * (1 + 1e-9) + 1e-12 * abs(hi))
    col_got, col_exp = np.floor(x[body] / dt), np.floor(x_exp[body] / dt)
    near_edge = np.abs(x_exp[body] / dt - np.round(x_exp[body] / dt)) < 1e-9
    assert np.all((col_got == col_exp) | near_edge)
    # The samples beyond the window keep their float32 offsets.
    outer = np.r_[0:nb, x.shape[0] - na : x.shape[0]]
    np.testing.assert_array_equal(x[outer], msg["x0"] + f32(x_exp[outer] - msg["x0"]))
    for got, exp, spec in zip(ys, y_exp, msg["codes"], strict=True):
        within(got, exp, spec)
    return msg


def frame(t: np.ndarray, **chans: np.ndarray) -> TimeSeriesVideo:
    return TimeSeriesVideo(pd.DataFrame({"time": t, **chans}))


# ------------------------------------------------------------------------ round trips


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(200, 6000),
    a=st.floats(-0.05, 0.9),
    width=st.floats(0.05, 1.1),
    buckets=st.integers(5, 300),
    seed=st.integers(0, 2**16),
    even=st.booleans(),
)
def test_every_channel_dtype_round_trips_within_its_bound(
    n: int, a: float, width: float, buckets: int, seed: int, even: bool
) -> None:
    rng = np.random.default_rng(seed)
    if even:
        t = np.arange(n) / 100.0
    else:  # uneven: pauses and bursts of equal times
        t = np.r_[0.0, np.cumsum(rng.exponential(size=n - 1) * rng.choice([0, 1, 1, 30], n - 1))]
    walk = np.cumsum(rng.normal(size=n))
    f64 = walk * 1e3 + 1e12  # big values, small range: float64 holds them, float32 would not
    f64[rng.random(n) < 0.05] = np.nan
    f32 = walk.astype(np.float32)
    f32[n // 3 : n // 2] = np.nan
    chans = {
        "f64": f64,
        "f32": f32,
        "i16": rng.integers(-3000, 3000, n).astype(np.int16),
        "i8": rng.integers(-100, 100, n).astype(np.int8),
        "i64": (walk * 1e6).astype(np.int64),
        "u8": rng.integers(0, 255, n).astype(np.uint8),
        "const": np.full(n, 2.5),
    }
    w = frame(t, **chans)
    span = float(t[-1])
    msg = check_window(w, t, list(chans.values()), a * span, (a + width) * span, buckets)
    if "codes" in msg:
        # 8- and 16-bit integers travel as themselves; float and wide integers as codes.
        kinds = [c is None for c in msg["codes"]]
        assert kinds == [False, False, True, True, False, True, False]
        assert msg["dtypes"][2:4] == ["int16", "int8"] and msg["dtypes"][5] == "uint8"
        assert msg["codes"][6]["step"] == 0.0  # a constant: every value is lo itself


def test_evenly_sampled_windows_send_no_times_and_uneven_ones_a_byte_per_column_end() -> None:
    n = 200_000
    t = np.arange(n) / 1000.0
    v = np.cumsum(np.random.default_rng(1).normal(size=n)).astype(np.float32)
    msg = check_window(frame(t, v=v), t, [v], 10.0, 15.0, 1000)
    assert msg["times"] == "even" and msg["dense"]
    jitter = t + np.random.default_rng(2).uniform(0, 0.0009, n)
    jitter[0] = 0.0
    msg = check_window(frame(jitter, v=v), jitter, [v], 10.0, 15.0, 1000)
    assert msg["times"] == "frac"


def test_empty_columns_cost_a_bit_and_gaps_mark_their_columns() -> None:
    t = np.r_[np.arange(0, 10_000) / 1000.0, 20.0 + np.arange(0, 10_000) / 1000.0]
    v = np.sin(t * 3)
    v[5000:5100] = np.nan  # a gap inside the data
    msg = check_window(frame(t, v=v), t, [v], 0.0, 30.0, 600)
    assert not msg["dense"] and msg["gappy"] > 0


def test_all_nan_and_infinite_channels() -> None:
    n = 20_000
    t = np.arange(n) / 1000.0
    nan = np.full(n, np.nan)
    inf = np.cumsum(np.ones(n))
    inf[7000] = np.inf  # an infinity in the window: the channel travels exact
    inf[9000] = -np.inf
    ok = np.cos(t)
    w = frame(t, nan=nan, inf=inf, ok=ok)
    msg = check_window(w, t, [nan, inf, ok], 5.0, 12.0, 200)
    assert msg["codes"][0]["lo"] is None and msg["codes"][1] is None and msg["codes"][2]
    assert msg["dtypes"][1] == "float64"
    _, ys = unpack(
        *ask(w, {"type": "detail", "id": 2, "lo": 5.0, "hi": 12.0, "buckets": 200, "compact": True})
    )
    assert np.isposinf(ys[1]).any() and np.isneginf(ys[1]).any()


# ---------------------------------------------------------------------------- values


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.floats(-1e300, 1e300, allow_nan=False), st.just(math.nan)),
        min_size=1,
        max_size=60,
    ),
    scale=st.sampled_from([1e-300, 1e-6, 1.0, 1e6, 1e150]),
)
def test_any_values_decode_within_half_a_step_of_at_most_a_32767th_of_their_range(
    values: list[float], scale: float
) -> None:
    with np.errstate(over="ignore"):
        v = np.array(values) * scale  # may overflow to an infinity: sent exact
    coded = encode_values(v)
    if coded is None:  # infinite, or a range float64 cannot step through: sent exact
        fin = v[~np.isnan(v)]
        assert (
            not np.isfinite(fin).all()
            or not math.isfinite(float(np.ptp(fin)))
            or (float(np.ptp(fin)) / CODE_SPAN < 2.0**-1000)
        )
        return
    codes, spec = coded
    assert codes.dtype == np.int16 and codes.shape == v.shape
    np.testing.assert_array_equal(codes == NAN_CODE, np.isnan(v))
    within(decode_values(codes, spec), v, spec)
    if spec["lo"] is not None:
        assert decode_values(codes, spec)[np.nanargmin(v)] == np.nanmin(v)  # lo is exact


def test_values_on_a_grid_as_coarse_as_the_step_come_back_exactly() -> None:
    rng = np.random.default_rng(3)
    sixteenths = np.round(np.cumsum(rng.normal(size=5000)) * 16) / 16
    codes, spec = encode_values(sixteenths)  # type: ignore[misc]
    np.testing.assert_array_equal(decode_values(codes, spec), sixteenths)
    counts = rng.integers(-30000, 30000, 5000).astype(np.float64)  # ADC counts as floats
    codes, spec = encode_values(counts)  # type: ignore[misc]
    np.testing.assert_array_equal(decode_values(codes, spec), counts)
    # A jump across the whole range between neighbours: absolute codes, a 65534th of it.
    alternating = np.tile([0.0, 1000.0], 50) + rng.uniform(0, 1e-3, 100)
    codes, spec = encode_values(alternating)  # type: ignore[misc]
    assert spec["mode"] == "abs" and spec["step"] <= 1000.001 / (CODE_SPAN / 2)
    within(decode_values(codes, spec), alternating, spec)


# ----------------------------------------------------------------------------- bytes


def test_a_decimated_window_costs_at_most_ten_bytes_a_column_for_one_float_channel() -> None:
    n = 1_000_000
    rng = np.random.default_rng(4)
    t = np.arange(n) / 1000.0
    v = np.cumsum(rng.normal(size=n)).astype(np.float32)
    jitter = t + rng.uniform(0, 0.0009, n)
    jitter[0] = 0.0
    for times in (t, jitter):
        w = frame(times, v=v)
        msg, bufs = ask(
            w,
            {"type": "detail", "id": 1, "lo": 100.0, "hi": 110.0, "buckets": 1000, "compact": True},
        )
        _, ebufs = ask(w, {"type": "detail", "id": 2, "lo": 100.0, "hi": 110.0, "buckets": 1000})
        # Beyond the columns, a raw point or two each side: 4 bytes of time, 2 of value.
        per_col = (nbytes(bufs) - 6 * sum(msg["outer"])) / msg["m"]
        assert per_col <= (8.0 if msg["times"] == "even" else 10.0), per_col
        assert nbytes(bufs) <= nbytes(ebufs) / 3  # the exact layout: 32 bytes a column
    # Eight channels: 8 bytes a column each, plus the times.
    w = frame(t, **{f"c{i}": v for i in range(8)})
    msg, bufs = ask(
        w, {"type": "detail", "id": 3, "lo": 100.0, "hi": 110.0, "buckets": 1000, "compact": True}
    )
    assert (nbytes(bufs) - (4 + 8 * 2) * sum(msg["outer"])) / msg["m"] <= 8 * 8 + 2


def test_raw_windows_are_exact_byte_for_byte() -> None:
    t = np.arange(50_000) / 1000.0
    v = np.random.default_rng(5).normal(size=t.shape[0])
    w = frame(t, v=v)
    req = {"type": "detail", "id": 1, "lo": 10.0, "hi": 10.5, "buckets": 1000}
    a, abufs = ask(w, {**req, "compact": True})
    b, bbufs = ask(w, req)
    a.pop(KERNEL_MS_FIELD), b.pop(KERNEL_MS_FIELD)  # the kernel's own time varies per reply
    assert a == b and [bytes(x) for x in abufs] == [bytes(x) for x in bbufs]
    assert a["dt"] == 0 and "layout" not in a


def test_base64_text_carries_the_same_compact_bytes() -> None:
    t = np.arange(100_000) / 1000.0
    w = frame(t, v=np.sin(t))
    req = {"type": "detail", "id": 1, "lo": 0.0, "hi": 90.0, "buckets": 500, "compact": True}
    _, bufs = ask(w, req)
    text, none = ask(w, {**req, "b64": True})
    assert none == [] and [base64.b64decode(s) for s in text["b64"]] == [bytes(b) for b in bufs]
    w.transport = "base64"
    text2, none2 = ask(w, req)
    assert none2 == [] and text2["b64"] == text["b64"] and text2["layout"] == COMPACT_LAYOUT


def test_compact_on_request_exact_by_default_and_in_the_overview() -> None:
    t = np.arange(100_000) / 1000.0
    w = frame(t, v=np.sin(t))
    header, _ = w.detail(0.0, 90.0, 500, compact=True)
    assert header["layout"] == COMPACT_LAYOUT
    header, _ = w.detail(0.0, 90.0, 500)  # what a static page embeds
    assert "layout" not in header
    msg, _ = ask(w, {"type": "detail", "id": 1, "lo": 0.0, "hi": 90.0, "buckets": 500})
    assert "layout" not in msg  # a request that does not ask gets the exact layout
    assert "layout" not in w._overview and w._overview["x"].nbytes == 4 * w._overview["points"]


@pytest.mark.parametrize("count", [1, 2, 3])
def test_tiny_windows_and_few_columns(count: int) -> None:
    t = np.arange(10_000) / 1000.0
    v = np.random.default_rng(count).normal(size=t.shape[0])
    w = frame(t, v=v)
    check_window(w, t, [v], 0.0, float(t[-1]), count)
    check_window(w, t, [v], 3.0, 3.0 + 0.02 * count, count)


# ------------------------------------------------------------------ shared with vitest

CASES_JSON = Path(__file__).resolve().parents[1] / "js" / "tests" / "compact-cases.json"
"""Compact replies and their decoding by ``compactwire.unpack``: js/tests/compact.test.ts
decodes the same bytes and must get the same numbers, bit for bit."""


def _plain(a: np.ndarray) -> list[Any]:
    """Numbers as JSON keeps them exactly; NaN as None, infinities as strings."""
    return [None if math.isnan(v) else (str(v) if math.isinf(v) else v) for v in a.tolist()]


def compact_cases() -> list[dict[str, Any]]:
    """A few small windows covering both time modes, gaps, empty columns and every coding."""
    rng = np.random.default_rng(7)
    n = 3000
    even_t = np.arange(n) / 1000.0
    walk = np.cumsum(rng.normal(size=n)).astype(np.float32)
    jitter = np.sort(rng.uniform(0, 3.0, n))
    jitter[0] = 0.0
    jitter[1200:1500] = np.linspace(1.2, 1.2005, 300)  # a burst
    keep = (jitter < 1.6) | (jitter > 1.9)  # a hole: empty columns
    gappy = np.sin(jitter * 20)
    gappy[rng.random(n) < 0.02] = np.nan
    flip = np.tile([0.0, 100.0], n // 2) + rng.uniform(0, 0.01, n)
    inf = np.cumsum(np.ones(n))
    inf[1000] = np.inf
    steps = np.round(np.cumsum(rng.normal(size=n)) * 4) / 4  # on a grid of 1/4
    steps[rng.random(n) < 0.02] = np.nan
    cases: list[tuple[str, TimeSeriesVideo, float, float, int, int | None]] = [
        ("even float32 walk", frame(even_t, v=walk), 0.5, 2.5, 40, None),
        (
            "jittered, a hole, NaN and a burst",
            frame(jitter[keep], v=gappy[keep]),
            0.2,
            2.8,
            60,
            None,
        ),
        (
            "absolute codes, int16, all NaN, constant, infinity",
            frame(
                even_t,
                flip=flip,
                i16=rng.integers(-500, 500, n).astype(np.int16),
                nan=np.full(n, np.nan),
                const=np.full(n, -3.25),
                inf=inf,
            ),
            0.0,
            2.0,
            30,
            None,
        ),
        (
            "packed codes of a slow link's request: delta, absolute, NaN, constant, all NaN",
            frame(
                jitter,
                walk=np.cumsum(rng.normal(size=n)),
                flip=flip,
                grid=steps,
                const=np.full(n, 7.5),
                nan=np.full(n, np.nan),
            ),
            0.1,
            2.9,
            50,
            2400,
        ),
        (
            "a raw window packed for a slow link: implicit times, NaN, an int16 channel",
            frame(
                even_t, walk=np.cumsum(rng.normal(size=n)), grid=steps, i16=flip.astype(np.int16)
            ),
            1.0,
            1.3,
            600,
            800,
        ),
        (
            "a raw window packed for a slow link: uneven times as float32 offsets",
            frame(jitter, walk=np.cumsum(rng.normal(size=n))),
            1.0,
            1.6,
            900,
            500,
        ),
    ]
    out = []
    for name, w, lo, hi, k, levels in cases:
        header, bufs = w.detail(lo, hi, k, compact=True, levels=levels)
        assert header["layout"] == (RAW_LAYOUT if name.startswith("a raw") else COMPACT_LAYOUT)
        x, ys = unpack(header, bufs)
        out.append(
            {
                "name": name,
                "header": header,
                "buffers": [base64.b64encode(bytes(b)).decode("ascii") for b in bufs],
                "x": _plain(x),
                "ys": [_plain(y) for y in ys],
            }
        )
    return out


def test_the_browser_decodes_the_shared_cases_like_unpack() -> None:
    """js/tests/compact-cases.json is what this kernel sends and decodes now (regenerate:
    ``python -c "import sys; sys.path[:0] = ['tests']; import test_wire_compact as t;
    t.write_cases()"``)."""
    cases = compact_cases()
    raw = [c["header"] for c in cases if c["header"]["layout"] == RAW_LAYOUT]
    assert [h["period"] is None for h in raw] == [False, True]
    m4 = [c for c in cases if c["header"]["layout"] == COMPACT_LAYOUT]
    assert {c["header"]["times"] for c in m4} == {"even", "frac"}
    assert any(c["header"]["gappy"] for c in m4)
    assert any(not c["header"]["dense"] for c in m4)
    modes = {(s or {}).get("mode") for c in m4 for s in c["header"]["codes"]}
    assert modes == {"abs", "delta", None}
    packed = {(s["mode"], s["bits"]) for c in m4 for s in c["header"]["codes"] if s and "bits" in s}
    assert {m for m, _ in packed} == {"abs", "delta"} and {b for _, b in packed} > {1}
    assert json.loads(CASES_JSON.read_text()) == json.loads(json.dumps(cases))


def write_cases() -> None:
    """Write js/tests/compact-cases.json from :func:`compact_cases`."""
    CASES_JSON.write_text(json.dumps(compact_cases()) + "\n")
