"""Big Parquet files and datasets, streamed row group by row group: the same widget as in memory.

The streaming threshold is lowered so small files take the streaming path;
every widget is compared, window by window and byte for byte, with one built
from the same numbers in memory.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import traitlets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sourcekit import replies

import tsvideo_widget.parquetinputs as pi
from tsvideo_widget import TimeSeriesVideo

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@pytest.fixture(autouse=True)
def stream_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stream every Parquet file, in small batches (so many of them)."""
    monkeypatch.setattr(pi, "STREAM_ABOVE_BYTES", 0)
    monkeypatch.setattr(pi, "BATCH_ROWS", 3_001)


def table(n: int, seed: int, time: str) -> tuple[pa.Table, dict[str, np.ndarray], object]:
    """A table with channels (float32 with nulls and NaN, int16, int64 with nulls) and a time
    column of the given kind; the channels as pandas reads them; the time as pandas reads it."""
    rng = np.random.default_rng(seed)
    a = np.cumsum(rng.normal(size=n)).astype(np.float32)
    a[rng.random(n) < 0.01] = np.nan
    a_null = rng.random(n) < 0.01
    b = rng.integers(-300, 300, size=n).astype(np.int16)
    c = rng.integers(-(10**12), 10**12, size=n)
    c_null = rng.random(n) < 0.02
    cols = {
        "a": pa.array(a, mask=a_null),
        "b": pa.array(b),
        "c": pa.array(c, mask=c_null),
    }
    if time == "timestamp even":
        t = pa.array(
            np.datetime64("2024-05-01T10:00", "ms") + np.arange(n) * 4,
            pa.timestamp("ms", tz="Europe/Berlin"),
        )
    elif time == "int even":
        t = pa.array(1_700_000_000_000 + np.arange(n, dtype=np.int64) * 2)
    elif time == "timestamp uneven":
        steps = rng.integers(1, 5000, size=n) * rng.choice([0, 1, 1, 1], size=n)
        t = pa.array(np.datetime64("2024-05-01T10:00", "us") + np.cumsum(steps), pa.timestamp("us"))
    else:  # float uneven
        t = pa.array(np.cumsum(rng.exponential(size=n)))
    tab = pa.table({"time": t, **cols})
    frame = tab.to_pandas()
    chans = {k: frame[k].to_numpy() for k in ("a", "b", "c")}
    return tab, chans, frame["time"]


@settings(max_examples=12, deadline=None, suppress_health_check=SLOW)
@given(
    n=st.integers(2, 30_000),
    group=st.integers(1, 9_000),
    time=st.sampled_from(["timestamp even", "int even", "timestamp uneven", "float uneven"]),
    seed=st.integers(0, 2**16),
)
def test_a_streamed_parquet_file_draws_as_its_numbers_in_memory(
    tmp_path_factory: pytest.TempPathFactory, n: int, group: int, time: str, seed: int
) -> None:
    tmp = tmp_path_factory.mktemp("pq")
    tab, chans, t = table(n, seed, time)
    pq.write_table(tab, tmp / "s.parquet", row_group_size=group)
    unit = "ms" if time == "int even" else "s"
    w = TimeSeriesVideo(str(tmp / "s.parquet"), time_unit=unit, cache_dir=tmp / "cache")
    assert (tmp / "cache" / "sidecar").exists()  # it was streamed, not read whole
    if time in ("timestamp even", "int even") and n > 1:
        # Evenly sampled: the time column is not kept; the times are computed.
        assert type(w.series).__name__ == "EvenSeries"
        t0 = t.iloc[0]
        rate = 250.0 if time == "timestamp even" else 500.0
        start = int(t0) if time == "int even" else t0
        ref = TimeSeriesVideo(chans, time=None, sample_rate=rate, start=start, time_unit=unit)
    else:
        ref = TimeSeriesVideo(pd.DataFrame({"time": t, **chans}), time="time", time_unit=unit)
    assert w.series.channels == ["a", "b", "c"]
    assert [v.dtype for v in w.series.values] == [v.dtype for v in ref.series.values]
    assert w._meta == ref._meta
    assert replies(w, seed) == replies(ref, seed)


def test_a_folder_of_parquet_files_is_one_table_in_name_order(tmp_path: Path) -> None:
    tab, chans, t = table(20_000, 1, "float uneven")
    folder = tmp_path / "ds"
    folder.mkdir()
    for i, k in enumerate(range(0, 20_000, 6_000)):
        pq.write_table(tab.slice(k, 6_000), folder / f"part-{i:03d}.parquet", row_group_size=2_500)
    w = TimeSeriesVideo(str(folder), cache_dir=tmp_path / "cache")
    ref = TimeSeriesVideo(pd.DataFrame({"time": t, **chans}), time="time")
    assert replies(w, 1) == replies(ref, 1)


def sidecars(root: Path) -> list[Path]:
    return sorted(p.parent for p in (root / "sidecar").glob("*/*/manifest.json"))


def test_the_columns_are_found_again_and_renewed_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    tab, _, _ = table(20_000, 2, "timestamp even")
    pq.write_table(tab, path, row_group_size=4_000)
    cache = tmp_path / "cache"
    TimeSeriesVideo(str(path), cache_dir=cache)
    (first,) = sidecars(cache)
    stamp = (first / "manifest.json").stat().st_mtime_ns
    TimeSeriesVideo(str(path), cache_dir=cache)
    assert sidecars(cache) == [first] and (first / "manifest.json").stat().st_mtime_ns == stamp
    # The time column of evenly sampled data is not kept: channels only.
    assert sorted(p.name for p in first.glob("*.npy")) == ["c1.npy", "c2.npy", "c3.npy"]
    tab2, chans2, _ = table(20_000, 3, "timestamp even")
    pq.write_table(tab2, path, row_group_size=4_000)
    w = TimeSeriesVideo(str(path), cache_dir=cache)
    (second,) = sidecars(cache)
    assert second != first
    np.testing.assert_array_equal(np.asarray(w.series.values[1]), chans2["b"])


def test_streaming_holds_a_batch_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 2_000_000
    tab = pa.table(
        {
            "a": pa.array(np.random.default_rng(0).normal(size=n)),
            "b": pa.array(np.arange(n, dtype=np.float64)),
        }
    )
    pq.write_table(tab, tmp_path / "s.parquet", row_group_size=100_000)
    # Arrow's own pool is outside tracemalloc's view: sample it at every batch. (pyarrow's
    # ParquetFile pre-buffers by default and keeps every column chunk it has read: 2.3 GB
    # after 1e8 rows x 3 columns, 21 GB at 1e9, until the machine was out of memory.)
    arrow: list[int] = []
    real = pi._numpy

    def sampled(col: object, plan: object) -> np.ndarray:
        arrow.append(pa.total_allocated_bytes())
        return real(col, plan)  # type: ignore[arg-type]

    monkeypatch.setattr(pi, "_numpy", sampled)
    tracemalloc.start()
    try:
        TimeSeriesVideo(
            str(tmp_path / "s.parquet"), time=None, sample_rate=100.0, cache_dir=tmp_path / "c"
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 32 MB of data in batches of 3001 rows (48 KB): the pass holds far less than the file
    # (a quarter of it leaves room for whatever other threads allocate meanwhile).
    assert peak < 8 << 20, peak
    assert len(arrow) > 600 and max(arrow) < 8 << 20, max(arrow)


def test_small_files_are_read_whole_and_bad_columns_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab, _, _ = table(1_000, 4, "float uneven")
    pq.write_table(tab.append_column("note", pa.array(["x"] * 1_000)), tmp_path / "s.parquet")
    with pytest.raises(traitlets.TraitError, match="'note' has type string"):
        TimeSeriesVideo(
            str(tmp_path / "s.parquet"), channels=["a", "note"], cache_dir=tmp_path / "c"
        )
    with pytest.raises(traitlets.TraitError, match="no time column 'when'"):
        TimeSeriesVideo(str(tmp_path / "s.parquet"), time="when", cache_dir=tmp_path / "c")
    with pytest.raises(traitlets.TraitError, match="cache_dir=False"):
        TimeSeriesVideo(str(tmp_path / "s.parquet"), cache_dir=False)
    monkeypatch.setattr(pi, "STREAM_ABOVE_BYTES", 1 << 30)
    w = TimeSeriesVideo(str(tmp_path / "s.parquet"), channels=["a", "b"], cache_dir=tmp_path / "c2")
    assert w.series.channels == ["a", "b"] and not (tmp_path / "c2" / "sidecar").exists()


@settings(max_examples=8, deadline=None, suppress_health_check=SLOW)
@given(
    n=st.integers(1, 20_000),
    group=st.integers(1, 7_000),
    time=st.sampled_from(["timestamp even", "timestamp uneven", "float uneven"]),
    seed=st.integers(0, 2**16),
)
def test_a_big_polars_lazyframe_streams_and_draws_as_collected(
    tmp_path_factory: pytest.TempPathFactory, n: int, group: int, time: str, seed: int
) -> None:
    pl = pytest.importorskip("polars")
    tmp = tmp_path_factory.mktemp("lf")
    tab, _, _ = table(n, seed, time)
    pq.write_table(tab, tmp / "s.parquet", row_group_size=group)
    ref = TimeSeriesVideo(pl.read_parquet(tmp / "s.parquet"))
    lazy = pl.scan_parquet(tmp / "s.parquet")
    w = TimeSeriesVideo(lazy, cache_dir=tmp / "cache")
    assert (tmp / "cache" / "sidecar").exists()  # streamed, not collected
    assert [v.dtype for v in w.series.values] == [v.dtype for v in ref.series.values]
    assert w._meta == ref._meta
    assert replies(w, seed) == replies(ref, seed)
    # A query is not a file: each open runs it again and replaces the previous copy.
    TimeSeriesVideo(lazy, cache_dir=tmp / "cache")
    assert len(sidecars(tmp / "cache")) == 1


def test_a_lazyframe_with_bad_columns_is_refused_naming_them(tmp_path: Path) -> None:
    pl = pytest.importorskip("polars")
    tab, _, _ = table(1_000, 7, "float uneven")
    pq.write_table(tab.append_column("note", pa.array(["x"] * 1_000)), tmp_path / "s.parquet")
    lazy = pl.scan_parquet(tmp_path / "s.parquet")
    with pytest.raises(traitlets.TraitError, match="'note' has dtype String"):
        TimeSeriesVideo(lazy, channels=["a", "note"], cache_dir=tmp_path / "c")
    with pytest.raises(traitlets.TraitError, match="no time column 'when'"):
        TimeSeriesVideo(lazy, time="when", cache_dir=tmp_path / "c")
    with pytest.raises(traitlets.TraitError, match="cache_dir=False"):
        TimeSeriesVideo(lazy, cache_dir=False)
