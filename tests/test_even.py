"""Evenly sampled data (``sample_rate=``, ``start=``): no time column, no time array, no copy.

The oracle is the same data given with its times as a column: an evenly sampled
series must draw, label, export and look up exactly as that series does.
"""

from __future__ import annotations

import json
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from traitlets import TraitError

from tsvideo_widget import TimeSeriesVideo
from tsvideo_widget.data import TIME_UNITS, prepare
from tsvideo_widget.evenseries import EvenSeries
from tsvideo_widget.series import KeyedSeries

# -- helpers ---------------------------------------------------------------------------------


def keyed_twin(w: TimeSeriesVideo, **kw: Any) -> TimeSeriesVideo:
    """The same data as ``w``'s, with its sample times as a column named "time"."""
    s = w.series
    keys = s.keys_at(slice(None))
    col: Any = keys
    if s.kind == "datetime":
        col = pd.DatetimeIndex(keys.view("datetime64[ns]"))
        col = col.tz_localize("UTC").tz_convert(s.tz) if s.tz is not None else col
    df = pd.DataFrame({"time": col, **dict(zip(s.channels, s.values, strict=True))})
    return TimeSeriesVideo(df, time_unit=s.unit, **kw)


def plain(value: Any) -> Any:
    """A widget state value with buffers as bytes, so two states compare with ==."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (memoryview, bytes, bytearray, np.ndarray)):
        return bytes(value)
    return value


def same_detail(a: TimeSeriesVideo, b: TimeSeriesVideo, lo: float, hi: float, k: int) -> None:
    ha, ba = a.detail(lo, hi, k)
    hb, bb = b.detail(lo, hi, k)
    assert ha == hb
    assert [bytes(x) for x in ba] == [bytes(x) for x in bb]


def signal(n: int, seed: int, nan_every: int, dtype: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.cumsum(rng.standard_normal(n))
    if dtype == "int16":
        return np.clip(y * 100, -30000, 30000).astype(np.int16)
    if nan_every:
        y[::nan_every] = np.nan
        y[n // 3 : n // 3 + n // 10] = np.nan  # a long gap too
    return y.astype(dtype)


# -- the three kinds of time, as hypothesis draws them -------------------------------------------


@st.composite
def timings(draw: st.DrawFn) -> dict[str, Any]:
    """sample_rate, start and time_unit for float, integer or datetime time."""
    kind = draw(st.sampled_from(["float", "int", "datetime"]))
    if kind == "float":
        unit = draw(st.sampled_from(list(TIME_UNITS)))
        rate = draw(
            st.sampled_from([1.0, 3.0, 30.0, 44100.0, 250.0, 1000.0, 1 / 3, 29.97])
            | st.floats(0.01, 1e6, allow_nan=False)
        )
        start = draw(st.sampled_from([0.0, -2.5, 1e3]) | st.floats(-1e9, 1e9))
        return {"sample_rate": rate, "start": start, "time_unit": unit}
    if kind == "int":
        unit = draw(st.sampled_from(["ns", "us", "ms", "s"]))
        step = draw(st.integers(1, 10**6))
        rate = 1.0 / (step * TIME_UNITS[unit])
        epoch_ns = st.sampled_from([0, 1_700_000_000_000_000_000])
        start = draw(epoch_ns | st.integers(-(10**12), 10**12))
        if unit != "ns":
            start = start % 10**12
        return {"sample_rate": rate, "start": start, "time_unit": unit}
    step_ns = draw(st.sampled_from([1, 1000, 4_000_000, 1_000_000_000]) | st.integers(1, 10**9))
    ns = draw(st.integers(-(10**17), 2 * 10**18))
    tz = draw(st.sampled_from([None, "UTC", "Europe/Berlin", "America/New_York"]))
    ts = pd.Timestamp(ns, unit="ns")
    start = ts.tz_localize("UTC").tz_convert(tz) if tz else ts
    return {"sample_rate": 1e9 / step_ns, "start": start, "time_unit": "s"}


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    timing=timings(),
    n=st.integers(1, 3000),
    seed=st.integers(0, 2**16),
    nan_every=st.sampled_from([0, 7, 97]),
    dtype=st.sampled_from(["float64", "float32", "int16"]),
    windows=st.lists(
        st.tuples(st.floats(-0.1, 1.1), st.floats(0.0, 1.0), st.integers(1, 4000)),
        min_size=1,
        max_size=4,
    ),
)
def test_evenly_sampled_draws_exactly_as_the_same_data_with_a_time_column(
    timing: dict[str, Any],
    n: int,
    seed: int,
    nan_every: int,
    dtype: str,
    windows: list[tuple[float, float, int]],
) -> None:
    y = signal(n, seed, nan_every, dtype)
    w = TimeSeriesVideo({"y": y, "z": y[::-1]}, **timing)
    s = w.series
    assert isinstance(s, EvenSeries) and s.n == n
    twin = keyed_twin(w)
    assert isinstance(twin.series, KeyedSeries)
    assert plain(w._meta) == plain(twin._meta)
    assert plain(w._overview) == plain(twin._overview)
    assert w.selection == twin.selection
    assert w.prepared.fingerprint == twin.prepared.fingerprint
    assert (s.t0, s.last, s.span, s.integer, s.exact) == (
        twin.series.t0,
        twin.series.last,
        twin.series.span,
        twin.series.integer,
        twin.series.exact,
    )
    span = s.span
    for a, width, k in windows:
        lo = a * span
        same_detail(w, twin, lo, lo + width * span, k)
    # Lookups at every kind of time: samples' own times, between them, outside.
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, n, 20)
    rels = np.concatenate([rng.uniform(-0.1, 1.1, 20) * span, s.rel_at(rows), [0.0, span]])
    assert np.array_equal(s.rel_at(rows), twin.series.rel_at(rows))
    assert np.array_equal(s.rel_at(slice(3, None, 7)), twin.series.rel_at(slice(3, None, 7)))
    assert np.array_equal(s.indices_at_rel(rels), twin.series.indices_at_rel(rels))
    for rel in rels:
        for side in ("left", "right"):
            assert s.sample_index(rel, side) == twin.series.sample_index(rel, side)
        t = s.from_rel(rel)
        assert t == twin.series.from_rel(rel)
        assert s.from_rel_snapped(rel) == twin.series.from_rel_snapped(rel)
        assert s.to_rel(t) == twin.series.to_rel(t)
        for side in ("left", "right"):
            assert s.index_of(t, side) == twin.series.index_of(t, side)


def test_keys_are_the_promised_arithmetic() -> None:
    n = 1001
    i = np.arange(n)
    s = prepare({"y": np.zeros(n)}, sample_rate=1000.0)
    assert np.array_equal(s.keys_at(slice(None)), i / 1000.0)  # as np.arange(n) / fs
    s = prepare({"y": np.zeros(n)}, sample_rate=250.0, start=-3.0, time_unit="us")
    assert np.array_equal(s.keys_at(slice(None)), -3.0 + i * 4000.0)
    s = prepare({"y": np.zeros(n)}, sample_rate=1000.0, start=5_000, time_unit="ms")
    assert s.keys_at(slice(None)).tolist() == (5_000 + i).tolist() and s.last == 6_000
    epoch = 1_700_000_000_123_456_789
    s = prepare({"y": np.zeros(n)}, sample_rate=1e9 / 3, start=epoch, time_unit="ns")
    assert s.integer and s.keys_at(-1) == epoch + 3 * (n - 1) and s.last == epoch + 3000
    start = pd.Timestamp("2024-03-01 12:00", tz="UTC")
    s = prepare({"y": np.zeros(n)}, sample_rate=250.0, start=start)
    assert s.kind == "datetime" and s.t0 == start and s.tz == "UTC"
    assert s.last == start + pd.Timedelta(4, unit="s")
    s = prepare({"y": np.zeros(3)}, sample_rate=4.0, start="2024-03-01T12:00:00.000000001+02:00")
    assert s.last == pd.Timestamp("2024-03-01T12:00:00.500000001+02:00")


def test_float_times_far_from_zero_repeat_and_are_still_found_exactly() -> None:
    # 1e15 s holds only every 0.125 s: a thousand samples 1 us apart share one key.
    s = prepare({"y": np.zeros(1000)}, sample_rate=1e6, start=1e15)
    twin = prepare(pd.DataFrame({"time": s.keys_at(slice(None)), "y": np.zeros(1000)}))
    rels = np.concatenate([np.linspace(-0.2, 0.3, 101), [np.nan, np.inf, -np.inf]])
    assert np.array_equal(s.indices_at_rel(rels), twin.indices_at_rel(rels))
    keys = np.array([1e15 - 0.125, 1e15, 1e15 + 0.125, np.nan, np.inf, -np.inf])
    for side in ("left", "right"):
        assert np.array_equal(s.search(keys, side), twin.search(keys, side))
        for rel in rels[:-3]:
            assert s.sample_index(rel, side) == twin.sample_index(rel, side)
            assert s.index_of(s.from_rel(rel), side) == twin.index_of(s.from_rel(rel), side)


def test_no_time_array_is_kept() -> None:
    n = 10_000
    s = prepare({"y": np.zeros(n)}, sample_rate=100.0)
    assert isinstance(s.index, pd.RangeIndex)
    arrays = [v for k, v in vars(s).items() if k != "values" and isinstance(v, np.ndarray)]
    assert arrays == []


# -- regions, labels, exports ---------------------------------------------------------------


def region_times(w: TimeSeriesVideo, fracs: list[float], rows: list[int]) -> list[Any]:
    s = w.series
    out = [s.from_rel(f * s.span) for f in fracs]
    for r in rows:
        k = s.keys_at(r % s.n)
        if s.kind == "datetime":
            out.append(s.t0 + pd.Timedelta(int(k) - int(s.keys_at(0)), unit="ns"))
        else:
            out.append(int(k) if s.integer else float(k))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    timing=timings(),
    n=st.integers(2, 2000),
    fracs=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=8),
    rows=st.lists(st.integers(0, 10**6), max_size=8),
    seed=st.integers(0, 1000),
)
def test_regions_round_trip_and_label_samples_as_with_a_time_column(
    timing: dict[str, Any], n: int, fracs: list[float], rows: list[int], seed: int
) -> None:
    y = signal(n, seed, 13, "float64")
    w = TimeSeriesVideo({"y": y, "z": -y}, labels=["a", "b"], **timing)
    twin = keyed_twin(w, labels=["a", "b"])
    times = region_times(w, fracs, rows)
    regions = [
        {
            "id": f"r{j}",
            "start": min(a, b),
            "end": max(a, b),
            "label": "ab"[j % 2],
            "channel": [None, "y", "z"][j % 3],
            "meta": {"j": j},
        }
        for j, (a, b) in enumerate(zip(times[::2], times[1::2], strict=False))
    ]
    w.regions = regions
    twin.regions = regions
    assert w.regions == twin.regions
    pd.testing.assert_frame_equal(w.to_dataframe(), twin.to_dataframe())
    for ch in (None, "y", "z"):
        pd.testing.assert_series_equal(w.labels_per_sample(ch), twin.labels_per_sample(ch))
    wire = type(w).regions.metadata["to_json"](w.regions, w)
    assert wire == type(twin).regions.metadata["to_json"](twin.regions, twin)
    assert type(w).regions.metadata["from_json"](wire, w) == w.regions
    fmt = "%Y-%m-%d %H:%M:%S.%f" if w.series.kind == "datetime" else None
    ls = w.to_label_studio(time_format=fmt)
    assert ls == twin.to_label_studio(time_format=fmt)
    df = w.to_dataframe()
    with tempfile.TemporaryDirectory() as tmp:
        for ext in ("json", "csv"):
            p, q = Path(tmp) / f"a.{ext}", Path(tmp) / f"b.{ext}"
            w.export(p)
            twin.export(q)
            assert p.read_text() == q.read_text()
            w.clear_regions()
            w.load(p)
            assert w.regions == twin.regions
    w.from_dataframe(df)
    twin.from_dataframe(twin.to_dataframe())
    assert w.regions == twin.regions
    w.from_label_studio(ls, time_format=fmt)
    twin.from_label_studio(ls, time_format=fmt)
    assert w.regions == twin.regions


def test_autosave_data_to_media_and_sync_points_work_on_even_data(tmp_path: Path) -> None:
    media = tmp_path / "v.mp4"
    media.write_bytes(b"\0" * 64)
    start = pd.Timestamp("2024-03-01 12:00", tz="Europe/Berlin")
    kw: dict[str, Any] = {"sample_rate": 250.0, "start": start, "labels": ["a"]}
    path = tmp_path / "labels.json"
    w = TimeSeriesVideo({"y": np.arange(2500.0)}, media=str(media), autosave=path, **kw)
    rid = w.add_region(start + pd.Timedelta(1, unit="s"), start + pd.Timedelta(2, unit="s"), "a")
    saved = json.loads(path.read_text())
    assert saved["time"]["kind"] == "datetime" and saved["regions"][0]["id"] == rid
    w.offset = 3.0
    assert w.data_to_media(start + pd.Timedelta(2, unit="s")) == 5.0
    assert w.media_to_data(5.0) == start + pd.Timedelta(2, unit="s")
    pid = w.add_sync_point(start + pd.Timedelta(4, unit="ms"), 3.004)
    assert w.sync_points[0]["id"] == pid
    assert w.sync_points[0]["data_time"] == start + pd.Timedelta(4, unit="ms")
    again = TimeSeriesVideo({"y": np.arange(2500.0)}, media=str(media), autosave=path, **kw)
    assert again.regions == w.regions
    assert again._store_key == w._store_key
    assert w.labels_per_sample().iloc[250:501].eq("a").all()
    assert w.labels_per_sample().iloc[[249, 501]].isna().all()
    w.to_html(tmp_path / "page.html", budget_mb=0.1)
    w.add_sync_point(start + pd.Timedelta(9, unit="s"), 12.0)
    with pytest.raises(TraitError, match=r"sample_rate=500\.0.*sync point"):
        w.sample_rate = 500.0  # 5 s: the sync point at 9 s would be outside
    assert w.sample_rate == 250.0


def test_a_dataframe_without_a_time_column_is_evenly_sampled_by_reference() -> None:
    df = pd.DataFrame(
        {"a": np.arange(10.0), "b": np.arange(10, dtype=np.int32), "note": ["x"] * 10},
        index=pd.RangeIndex(100, 110),
    )
    w = TimeSeriesVideo(df, time=None, sample_rate=2.0, start=1.0)
    assert w.series.channels == ["a", "b"]
    assert np.shares_memory(w.series.values[0], df["a"].to_numpy())
    assert w.series.last == 5.5
    w.add_region(1.0, 2.0, "x")
    assert w.labels_per_sample().index.equals(df.index)
    assert w.labels_per_sample().tolist() == ["x"] * 3 + [None] * 7
    # The default time="time" names no column here, so it is not needed.
    assert TimeSeriesVideo(df, sample_rate=2.0).series.n == 10


# -- zero copy ------------------------------------------------------------------------------


def test_dict_arrays_are_kept_by_reference() -> None:
    y = np.arange(1000, dtype=np.float32)
    z = np.arange(2000.0)[::2]  # a strided view stays a view
    w = TimeSeriesVideo({"y": y, "z": z}, sample_rate=1000.0)
    assert w.series.values[0] is y
    assert np.shares_memory(w.series.values[1], z)


def test_a_memmap_is_neither_copied_nor_given_a_time_array(tmp_path: Path) -> None:
    n = 25_000_000  # 200 MB of float64
    path = tmp_path / "y.npy"
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n,))
    chunk = 1 << 22
    for i in range(0, n, chunk):
        out[i : i + chunk] = np.sin(np.arange(i, min(n, i + chunk)) * 1e-3)
    out.flush()
    del out
    try:
        mm = np.load(path, mmap_mode="r")
        anon = anonymous_kb()
        tracemalloc.start()
        try:
            w = TimeSeriesVideo({"y": mm}, sample_rate=1000.0)
            w.detail(0.0, w.series.span, 2000)
            w.detail(1000.0, 1000.5, 2000)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        grown = anonymous_kb() - anon
        assert np.shares_memory(w.series.values[0], mm)
        # A copy of the data, or a time array, would be 200 MB; the pyramid is 0.04 of it.
        # (Resident memory as a whole grows by the file's pages the pyramid reads through
        # the mapping: those are the page cache's, not a copy, so anonymous memory is measured.)
        mb = mm.nbytes / 1e6
        assert peak < 0.1 * mm.nbytes, f"{peak / 1e6:.0f} MB allocated for {mb:.0f} MB"
        assert grown * 1e3 < 0.1 * mm.nbytes, f"{grown / 1e3:.0f} MB more anonymous memory"
        h, bufs = w.detail(1000.0, 1000.004, 100)
        assert h["i0"] == 999_999 and np.frombuffer(bufs[1], np.float64)[1] == mm[1_000_000]
    finally:
        path.unlink()


def anonymous_kb() -> int:
    """The process's anonymous resident memory in kB (Linux), or 0 where it is not known."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    line = next((ln for ln in text.splitlines() if ln.startswith("RssAnon:")), "RssAnon: 0 kB")
    return int(line.split()[1])


# -- refused ----------------------------------------------------------------------------------

Y = np.arange(100.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sample_rate": 0.0}, r"sample_rate must be .*greater than 0, got 0\.0"),
        ({"sample_rate": -5}, r"sample_rate must be .*greater than 0, got -5"),
        ({"sample_rate": float("nan")}, r"sample_rate must be a finite .*got nan"),
        ({"sample_rate": float("inf")}, r"sample_rate must be a finite"),
        ({"sample_rate": "fast"}, r"sample_rate must be a number .*'fast'"),
        ({"sample_rate": True}, r"sample_rate must be a number .*True"),
        ({"sample_rate": 10.0, "sort": True}, r"sort=True with sample_rate=10\.0"),
        ({"sample_rate": 10.0, "start": float("nan")}, r"start must be a finite number"),
        ({"sample_rate": 10.0, "start": "soon"}, r"start 'soon' is not a time"),
        ({"sample_rate": 10.0, "start": [1]}, r"start must be a number .*\[1\]"),
        ({"sample_rate": 3.0, "start": 0}, r"sample_rate=3\.0 Hz is 0\.3333333333 s per sample"),
        (
            {"sample_rate": 30.0, "start": pd.Timestamp("2024-01-01")},
            r"sample_rate=30\.0 Hz is 33333333\.33 ns per sample, not a whole number",
        ),
        ({"sample_rate": 1.0, "start": 2**63 - 10}, r"beyond what an int64 holds"),
        ({"start": 5.0}, r"start=5\.0 places evenly sampled data and needs sample_rate="),
    ],
)
def test_refused_inputs_name_the_culprit(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(TraitError, match=match):
        TimeSeriesVideo({"y": Y}, **kwargs)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"y": Y, "z": Y[:99]}, r"channel 'z' has 99 samples but 'y' has 100"),
        ({"y": Y, "s": np.array(["a"] * 100)}, r"channel 's' has dtype <U1, not numbers"),
        ({"y": Y, "b": Y > 3}, r"channel 'b' has dtype bool"),
        ({"y": Y, "c": Y * 1j}, r"channel 'c' holds complex numbers"),
        ({"y": Y.reshape(10, 10)}, r"channel 'y' has shape \(10, 10\)"),
        ({"y": Y[:0]}, r"no rows"),
        ({"time": Y, "y": Y}, r"time column 'time' and sample_rate=10\.0 Hz .*drop one"),
        (pd.DataFrame({"time": Y, "y": Y}), r"df\.drop\(columns='time'\)"),
        ({3: Y}, r"column names must be strings"),
        ({}, r"the dict holds no arrays"),
    ],
)
def test_refused_data_names_the_channel(data: Any, match: str) -> None:
    with pytest.raises(TraitError, match=match):
        TimeSeriesVideo(data, sample_rate=10.0)


def state(w: TimeSeriesVideo) -> Any:
    return (
        w.sample_rate,
        w.start,
        w.sort,
        w.time,
        w.data,
        w.series,
        plain(w._meta),
        w.selection,
        list(w.regions),
    )


@pytest.mark.parametrize(
    ("trait", "value", "match"),
    [
        ("sample_rate", 0.0, r"sample_rate must be"),
        ("sample_rate", float("nan"), r"sample_rate must be a finite"),
        ("sample_rate", "x", r"sample_rate must be a number"),
        ("sample_rate", 3.0, r"sample_rate=3\.0 Hz is .* not a whole number of ms"),
        ("start", float("nan"), r"start must be a finite"),
        ("start", "2024-01-01", r"time column would change from numeric"),
        ("sort", True, r"sort=True with sample_rate"),
        ("time", "y", r"time column 'y' and sample_rate"),
        ("data", {"y": Y, "z": Y[:5]}, r"channel 'z' has 5 samples but 'y' has 100"),
        ("time_unit", "us", r"time column would change from numeric in 'ms'"),
    ],
)
def test_a_refused_assignment_changes_nothing(trait: str, value: Any, match: str) -> None:
    w = TimeSeriesVideo({"y": Y}, sample_rate=1000.0, start=0, time_unit="ms")
    w.add_region(10, 20, "a")
    before = state(w)
    with pytest.raises(TraitError, match=match):
        setattr(w, trait, value)
    assert state(w) == before


def test_a_new_rate_that_leaves_a_region_outside_the_data_is_refused_by_name() -> None:
    w = TimeSeriesVideo({"y": Y}, sample_rate=10.0)  # 0.0 .. 9.9 s
    rid = w.add_region(8.0, 9.0, "walk")
    before = state(w)
    with pytest.raises(TraitError, match=rf"sample_rate=20\.0.*{rid}.*outside the data"):
        w.sample_rate = 20.0  # 0.0 .. 4.95 s
    assert state(w) == before
    with pytest.raises(TraitError, match=rf"start=100\.0.*{rid}.*outside the data"):
        w.start = 100.0
    assert state(w) == before
    w.sample_rate = 10  # an int rate is the same configuration, as a float
    assert w.sample_rate == 10.0 and w.series is before[5]
    w.sample_rate = 11.0  # still covers the region: accepted, the region keeps its times
    assert w.series.last == pytest.approx(9.0) and w.regions == before[-1]
    assert w.labels_per_sample().eq("walk").sum() == 12  # samples 88..99, at 8.0 .. 9.0 s


def test_switching_between_a_rate_and_a_time_column_in_one_step() -> None:
    df = pd.DataFrame({"time": Y / 10, "y": Y})
    w = TimeSeriesVideo(df)
    with pytest.raises(TraitError, match=r"drop one"):
        w.sample_rate = 10.0
    with w.hold_trait_notifications():
        w.time = None
        w.data = {"y": Y}
        w.sample_rate = 10.0
    assert isinstance(w.series, EvenSeries) and w.series.last == 9.9
    with w.hold_trait_notifications():
        w.sample_rate = None
        w.data = df
        w.time = "time"
    assert isinstance(w.series, KeyedSeries) and w.series.last == 9.9
