"""The label column at any length: runs, the in-memory Series, the Parquet file, the guard.

Every check compares with the obvious slow computation, written here: for each
sample, a loop over the regions picking the one whose closed interval holds
the sample's time and that starts last (of equal starts, the later in the
list), never with the code under test.
"""

from __future__ import annotations

import itertools
import math
import os
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsvideo_widget import TimeSeriesVideo, labelcolumn
from tsvideo_widget import regions as reg
from tsvideo_widget.data import prepare
from tsvideo_widget.errors import DataError, TsvError
from tsvideo_widget.evenseries import EvenSeries
from tsvideo_widget.series import Series

LABELS = ["a", "b", "c"]
CHANNELS = [None, "y", "z"]


# -- the slow obvious reference -------------------------------------------------------------
def own_times(series: Series) -> list[Any]:
    """Every sample's time in the column's own terms (float, int or Timestamp), exactly."""
    keys = series.keys_at(np.arange(series.n))
    if series.kind == "numeric":
        return [int(k) for k in keys] if series.integer else [float(k) for k in keys]
    per = round(series.key_scale * 1e9)
    utc = pd.to_datetime(keys.astype(np.int64) * per, unit="ns", utc=True)
    return list(utc.tz_convert(series.tz) if series.tz is not None else utc.tz_convert(None))


def reference(regions: list[dict[str, Any]], series: Series, channel: str | None) -> list[Any]:
    """Each sample's label by the documented rules, one sample and one region at a time."""
    out: list[Any] = []
    for t in own_times(series):
        best: tuple[Any, int] | None = None
        label = None
        for j, r in enumerate(regions):
            if r["start"] == r["end"]:
                continue  # point event
            if channel is not None and r["channel"] not in (None, channel):
                continue
            if r["start"] <= t <= r["end"] and (best is None or (r["start"], j) > best):
                best, label = (r["start"], j), r["label"]
        out.append(label)
    return out


def expand(runs: pd.DataFrame, n: int) -> list[Any]:
    out: list[Any] = [None] * n
    for a, b, label in runs.itertuples(index=False):
        out[a:b] = [label] * (b - a)
    return out


def as_list(s: pd.Series) -> list[Any]:
    """Values with every missing one as None (a categorical read back gives NaN)."""
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in s]


# -- random recordings and regions ----------------------------------------------------------
KINDS = ["float", "int", "datetime", "datetime_us", "even_float", "even_int", "even_datetime"]


def recording(draw: st.DrawFn, kind: str, n: int) -> TimeSeriesVideo:
    y = np.arange(n, dtype=np.float64)
    data: dict[str, Any] = {"y": y, "z": -y}
    kw: dict[str, Any] = {"labels": LABELS}
    if kind == "float":  # uneven steps, repeated times, far from zero
        steps = draw(st.lists(st.sampled_from([0.0, 1e-3, 0.1, 0.25, 1.0, 3.7]), min_size=n - 1))
        t0 = draw(st.sampled_from([0.0, -5.0, 1e6 + 0.1]))
        data["time"] = t0 + np.concatenate([[0.0], np.cumsum(steps[: n - 1])])
    elif kind == "int":
        steps = draw(st.lists(st.sampled_from([0, 1, 2, 7, 1000]), min_size=n - 1))
        t0 = draw(st.sampled_from([0, -3, 2**40]))
        data["time"] = t0 + np.concatenate([[0], np.cumsum(steps[: n - 1])]).astype(np.int64)
        kw["time_unit"] = draw(st.sampled_from(["ns", "ms"]))
    elif kind in ("datetime", "datetime_us"):
        scale = 1 if kind == "datetime" else 1000
        steps = draw(st.lists(st.sampled_from([0, 1, 3, 1000, 3_600 * 10**9]), min_size=n - 1))
        ns = np.concatenate([[0], np.cumsum(steps[: n - 1])]).astype(np.int64) * scale
        start = pd.Timestamp("2024-03-31 00:30", tz="Europe/Berlin")  # across a DST change
        t = pd.to_datetime(start.value + ns, unit="ns", utc=True).tz_convert("Europe/Berlin")
        if kind == "datetime_us":
            t = t.as_unit("us")
        return TimeSeriesVideo(pd.DataFrame({"time": t, **data}), **kw)
    elif kind == "even_float":
        kw["sample_rate"] = draw(st.sampled_from([1.0, 3.0, 250.0, 1000.0]))
        kw["start"] = draw(st.sampled_from([0.0, 2.5, 1e9]))
        kw["time"] = None
    elif kind == "even_int":
        kw["sample_rate"] = draw(st.sampled_from([1000.0, 250.0]))
        kw["start"] = draw(st.sampled_from([0, -7, 2**40]))
        kw["time_unit"] = "ms"
        kw["time"] = None
    else:
        kw["sample_rate"] = draw(st.sampled_from([1000.0, 250.0, 1.0]))
        kw["start"] = pd.Timestamp("2024-10-27 02:59:59.999+02:00").tz_convert("Europe/Berlin")
        kw["time"] = None
    return TimeSeriesVideo(data, **kw)


def candidates(series: Series) -> list[Any]:
    """Region ends worth trying: every sample's time, times between samples, and times a
    hair off a sample (the next float, the next nanosecond), all inside the span."""
    t = own_times(series)
    out = list(t)
    for a, b in itertools.pairwise(t):
        if a == b:
            continue
        if series.kind == "datetime":
            out += [a + (b - a) / 2, a + pd.Timedelta(1, "ns"), b - pd.Timedelta(1, "ns")]
        elif series.integer:
            out += [a + (b - a) // 2, a + 1, b - 1]
        else:
            out += [a + (b - a) / 2, float(np.nextafter(a, b)), float(np.nextafter(b, a))]
    return sorted(set(out))


@st.composite
def cases(draw: st.DrawFn) -> TimeSeriesVideo:
    kind = draw(st.sampled_from(KINDS))
    w = recording(draw, kind, draw(st.integers(1, 30)))
    pool = candidates(w.series)
    index = st.integers(0, len(pool) - 1)
    regions: list[dict[str, Any]] = []
    for j in range(draw(st.integers(0, 8))):
        how = draw(st.sampled_from(["any", "any", "shared", "point", "nested", "same_start"]))
        a, b = sorted((draw(index), draw(index)))
        start, end = pool[a], pool[b]
        if regions and how == "shared":  # starts where the last one ends
            start = regions[-1]["end"]
            end = max(start, end)
        elif how == "point":
            end = start
        elif regions and how == "nested":
            lo, hi = regions[-1]["start"], regions[-1]["end"]
            inner = [p for p in pool if lo <= p <= hi]
            start, end = sorted(draw(st.sampled_from(inner)) for _ in range(2))
        elif regions and how == "same_start":
            start = regions[-1]["start"]
            end = max(start, end)
        regions.append(
            {
                "id": f"r{j}",
                "start": start,
                "end": end,
                "label": draw(st.sampled_from(LABELS)),
                "channel": draw(st.sampled_from(CHANNELS)),
            }
        )
    w.regions = regions
    return w


# -- properties -----------------------------------------------------------------------------
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(w=cases(), group=st.integers(1, 9))
def test_runs_series_and_parquet_equal_the_per_sample_loop(w: TimeSeriesVideo, group: int) -> None:
    n = w.series.n
    with tempfile.TemporaryDirectory() as tmp:
        for ch in CHANNELS:
            want = reference(w.regions, w.series, ch)
            runs = w.label_runs(ch)
            assert list(runs.columns) == ["start_row", "stop_row", "label"]
            assert runs["start_row"].dtype == np.int64 and runs["stop_row"].dtype == np.int64
            assert expand(runs, n) == want
            # Maximal runs: in order, non-empty, and touching runs differ.
            a, b, lab = (
                runs["start_row"].tolist(),
                runs["stop_row"].tolist(),
                runs["label"].tolist(),
            )
            assert all(x < y for x, y in zip(a, b, strict=True))
            assert all(b[i] <= a[i + 1] for i in range(len(a) - 1))
            assert all(b[i] < a[i + 1] or lab[i] != lab[i + 1] for i in range(len(a) - 1))
            assert all(isinstance(x, str) for x in lab)

            s = w.labels_per_sample(ch)
            assert s.dtype == object and s.name == "label" and s.index.equals(w.series.index)
            assert s.tolist() == want  # None outside regions, exactly as before

            small = labelcolumn.write_parquet(
                w.regions, w.series, Path(tmp) / f"{ch}.parquet", ch, LABELS, row_group_rows=group
            )
            back = pd.read_parquet(small)["label"]
            assert list(pd.read_parquet(small).columns) == ["label"]
            assert as_list(back) == want and len(back) == n
            assert list(back.cat.categories) == LABELS  # the widget's label order
            path = w.labels_per_sample(ch, path=os.path.join(tmp, "labels.parquet"))
            assert isinstance(path, Path)
            assert as_list(pd.read_parquet(path)["label"]) == want
        assert sorted(os.listdir(tmp)) == sorted(
            [f"{c}.parquet" for c in CHANNELS] + ["labels.parquet"]
        )


def old_painter(regions: list[dict[str, Any]], series: Series, channel: str | None) -> list[Any]:
    """labels_per_sample as it was before runs (verbatim but for the return)."""
    out = np.full(series.n, None, dtype=object)
    chosen = [
        (series.to_rel(r["start"]), i, r)
        for i, r in enumerate(regions)
        if r["end"] != r["start"] and (channel is None or r["channel"] in (None, channel))
    ]
    for _a, _i, r in sorted(chosen, key=lambda c: (c[0], c[1])):
        out[series.index_of(r["start"], "left") : series.index_of(r["end"], "right")] = r["label"]
    return out.tolist()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(w=cases())
def test_same_result_as_before(w: TimeSeriesVideo) -> None:
    # Before, regions were ordered by float seconds since t0, which ties two starts closer
    # than float seconds can tell apart (see the test below); elsewhere nothing changed.
    starts = {r["start"] for r in w.regions}
    if len({w.series.to_rel(t) for t in starts}) == len(starts):
        for ch in CHANNELS:
            assert w.labels_per_sample(ch).tolist() == old_painter(w.regions, w.series, ch)


def test_starts_closer_than_float_seconds_still_order_exactly() -> None:
    big = 2**60  # ns: float seconds cannot tell big from big + 1
    w = TimeSeriesVideo(
        {"time": np.array([0, big, big + 1, big + 2], dtype=np.int64), "y": np.zeros(4)},
        time_unit="ns",
        labels=LABELS,
    )
    w.add_region(big + 1, big + 2, "a")  # starts last: wins on rows 2 and 3
    w.add_region(big, big + 2, "b")
    assert w.labels_per_sample().tolist() == [None, "b", "a", "a"]
    assert reference(w.regions, w.series, None) == [None, "b", "a", "a"]
    assert old_painter(w.regions, w.series, None) == [None, "b", "b", "b"]  # the old tie


def test_runs_merge_neighbours_of_one_label_and_skip_empty_regions() -> None:
    w = TimeSeriesVideo({"y": np.zeros(10)}, time=None, sample_rate=1.0, labels=LABELS)
    w.add_region(1.0, 3.0, "a")
    w.add_region(3.0, 5.0, "a")  # shares row 3 with the first: one run
    w.add_region(6.2, 6.8, "b")  # between samples: no row
    w.add_region(8.0, 8.0, "c")  # point event
    runs = w.label_runs()
    assert runs.to_dict("list") == {"start_row": [1], "stop_row": [6], "label": ["a"]}
    empty = TimeSeriesVideo({"y": np.zeros(3)}, time=None, sample_rate=1.0).label_runs()
    assert list(empty.columns) == ["start_row", "stop_row", "label"] and len(empty) == 0


# -- the memory guard -----------------------------------------------------------------------
def huge(n: int = 10**10) -> EvenSeries:
    """An evenly sampled series of ``n`` samples that costs no memory (a zero-stride view)."""
    s = prepare({"y": np.broadcast_to(np.int16(0), (n,))}, time=None, sample_rate=1000.0)
    assert isinstance(s, EvenSeries) and s.n == n
    return s


def test_the_guard_refuses_a_huge_column_and_the_runs_still_work() -> None:
    s = huge()
    regions = reg.normalize_all(
        [
            {"start": 1000.0 + 3600 * k, "end": 2000.0 + 3600 * k, "label": LABELS[k % 3]}
            for k in range(1000)
        ],
        s,
        LABELS,
        s.channels,
    )
    t = time.perf_counter()
    with pytest.raises(DataError, match=r"10,000,000,000 rows, about 80\.0 GB") as err:
        reg.labels_per_sample(regions, s, s.index)
    assert isinstance(err.value, TsvError)
    assert "path='labels.parquet'" in str(err.value) and "label_runs()" in str(err.value)
    with pytest.raises(DataError, match="MAX_ROWS_IN_MEMORY"):
        labelcolumn.to_series(regions, s, s.index, "y")
    runs = labelcolumn.label_runs(regions, s)
    assert time.perf_counter() - t < 30  # two lookups a region, nothing per sample
    assert len(runs) == 1000
    assert runs.iloc[0].tolist() == [1_000_000, 2_000_001, "a"]  # [1000 s, 2000 s], both ends in
    assert runs.iloc[-1].tolist() == [3_597_400_000, 3_598_400_001, "a"]


def test_the_widget_refuses_above_the_limit_and_offers_what_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = TimeSeriesVideo({"y": np.zeros(100)}, time=None, sample_rate=10.0, labels=LABELS)
    w.add_region(1.0, 2.0, "b")
    want = w.labels_per_sample().tolist()
    monkeypatch.setattr(labelcolumn, "MAX_ROWS_IN_MEMORY", 99)
    with pytest.raises(DataError, match=r"100 rows.*path='labels\.parquet'"):
        w.labels_per_sample()
    path = w.labels_per_sample(path=tmp_path / "labels.parquet")
    assert path == tmp_path / "labels.parquet"
    assert as_list(pd.read_parquet(path)["label"]) == want
    assert expand(w.label_runs(), 100) == want


# -- the Parquet file -----------------------------------------------------------------------
def test_parquet_row_groups_and_dictionary(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    w = TimeSeriesVideo({"y": np.zeros(25)}, time=None, sample_rate=1.0, labels=["z", *LABELS])
    w.add_region(3.0, 12.0, "c")
    path = labelcolumn.write_parquet(
        w.regions, w.series, tmp_path / "l.parquet", None, ["z", *LABELS], row_group_rows=10
    )
    f = pq.ParquetFile(path)
    assert f.metadata.num_row_groups == 3 and f.metadata.num_rows == 25
    assert str(f.schema_arrow.field("label").type).startswith("dictionary<values=string")
    back = pd.read_parquet(path)["label"]
    assert list(back.cat.categories) == ["z", *LABELS]  # unused names kept, in order
    assert as_list(back) == [None] * 3 + ["c"] * 10 + [None] * 12  # row group 3 is all null


def test_parquet_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = TimeSeriesVideo({"y": np.zeros(30)}, time=None, sample_rate=1.0, labels=LABELS)
    w.add_region(1.0, 20.0, "a")
    target = tmp_path / "labels.parquet"
    target.write_bytes(b"the old file")
    real = labelcolumn._row_group
    calls = []

    def crash_on_second(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("crash halfway")
        return real(*args)

    monkeypatch.setattr(labelcolumn, "_row_group", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        labelcolumn.write_parquet(w.regions, w.series, target, row_group_rows=10)
    assert target.read_bytes() == b"the old file"  # untouched, and no temporary file left
    assert os.listdir(tmp_path) == ["labels.parquet"]
    monkeypatch.setattr(labelcolumn, "_row_group", real)
    assert as_list(pd.read_parquet(w.labels_per_sample(path=target))["label"]) == (
        [None] + ["a"] * 20 + [None] * 9
    )


def test_parquet_needs_pyarrow_and_an_existing_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = TimeSeriesVideo({"y": np.zeros(5)}, time=None, sample_rate=1.0, labels=LABELS)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        w.labels_per_sample(path=tmp_path / "no" / "labels.parquet")
    monkeypatch.setitem(__import__("sys").modules, "pyarrow", None)
    monkeypatch.setitem(__import__("sys").modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match="pip install pyarrow"):
        w.labels_per_sample(path=tmp_path / "labels.parquet")
    assert not (tmp_path / "labels.parquet").exists()


def test_a_long_parquet_write_keeps_memory_to_one_row_group(tmp_path: Path) -> None:
    import pyarrow as pa

    n = 2 * 10**8  # an object column would be 1.6 GB of pointers
    s = huge(n)
    regions = reg.normalize_all(
        [
            {"start": 190.0 * k, "end": 190.0 * k + 100.0, "label": LABELS[k % 3]}
            for k in range(1000)
        ],
        s,
        LABELS,
        s.channels,
    )
    base = pa.default_memory_pool()
    pool = pa.proxy_memory_pool(base)  # counts what Arrow allocates; tracemalloc, numpy
    pa.set_memory_pool(pool)
    tracemalloc.start()
    try:
        path = labelcolumn.write_parquet(regions, s, tmp_path / "labels.parquet", None, LABELS)
        numpy_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        pa.set_memory_pool(base)
    object_column = n * 8
    assert numpy_peak + pool.max_memory() < object_column / 20  # measured: ~12 + 9 MB
    meta = pa.parquet.ParquetFile(path).metadata
    assert meta.num_rows == n and meta.num_row_groups == math.ceil(n / labelcolumn.ROW_GROUP_ROWS)
    # Spot checks against the runs, without reading 2e8 rows back.
    runs = labelcolumn.label_runs(regions, s)
    assert len(runs) == 1000 and runs.iloc[999].tolist() == [189_810_000, 189_910_001, "a"]
