"""pyarrow Tables/RecordBatches and polars DataFrames/LazyFrames as data.

The oracle is the same data as a pandas DataFrame: integer columns with nulls
as pandas nullable columns, float columns with nulls as floats of their width
with NaN there (what ``pd.read_parquet`` gives). Each table kind must give the
same Series, bit for bit, and its number and timestamp columns without nulls
must reach the series as views of the table's own buffers (no copy).
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsvideo_widget import TimeSeriesVideo
from tsvideo_widget.data import DataError, prepare
from tsvideo_widget.errors import TsvTypeError
from tsvideo_widget.series import Series

pa = pytest.importorskip("pyarrow")

KINDS = ["table", "batch", "polars", "lazy"]
"""The inputs under test: pyarrow Table and RecordBatch, polars DataFrame and LazyFrame."""

N = 257
BASE_NS = 1_700_000_000_123_456_789
"""An epoch-nanosecond time whose every digit matters: float64 would round it."""


# -- the same columns as pandas, pyarrow and polars ------------------------------------------


def columns(n: int = N, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Channel columns: (values, null mask or None). NaNs that are values, not nulls, included."""
    rng = np.random.default_rng(seed)
    f64 = rng.standard_normal(n)
    f64[::11] = np.nan
    f32 = rng.standard_normal(n).astype(np.float32)
    f32[5::13] = np.nan
    i16 = rng.integers(-30000, 30000, n).astype(np.int16)
    i64 = (2**62 + rng.integers(0, 10**6, n)).astype(np.int64)
    null = np.zeros(n, dtype=bool)
    null[3::7] = True
    return {
        "f64": (f64, None),
        "f32": (f32, None),
        "i16": (i16, None),
        "i64": (i64, None),
        "f32n": (rng.standard_normal(n).astype(np.float32), null),
        "i64n": ((2**53 + rng.integers(0, 10**6, n)).astype(np.int64), null),
        "u8n": (rng.integers(0, 255, n).astype(np.uint8), ~null),
    }


def time_ticks(n: int, unit: str) -> np.ndarray:
    """Increasing int64 epoch ticks in ``unit``, steps of 1 to 3 ticks (ns-exact for "ns")."""
    base = BASE_NS // {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit]
    steps = np.random.default_rng(1).integers(1, 4, n)
    return base + np.cumsum(steps) - steps[0]


def pandas_frame(time: Any, cols: dict[str, tuple[np.ndarray, np.ndarray | None]]) -> pd.DataFrame:
    """The oracle, with a label column: nulls are NaN in floats, <NA> in nullable integers."""
    out: dict[str, Any] = {} if time is None else {"time": time}
    for name, (v, null) in cols.items():
        if null is None or not null.any():
            out[name] = v
        elif v.dtype.kind == "f":
            out[name] = np.where(null, np.nan, v).astype(v.dtype)
        else:
            out[name] = pd.arrays.IntegerArray(v.copy(), null.copy())
    n = len(next(iter(cols.values()))[0])
    out["label"] = [f"row{i}" for i in range(n)]
    return pd.DataFrame(out)


def arrow_table(time: Any, cols: dict[str, tuple[np.ndarray, np.ndarray | None]]) -> Any:
    arrays: dict[str, Any] = {} if time is None else {"time": time}
    for name, (v, null) in cols.items():
        arrays[name] = pa.array(v, mask=null)
    n = len(next(iter(cols.values()))[0])
    arrays["label"] = pa.array([f"row{i}" for i in range(n)])
    return pa.table(arrays)


def polars_frame(time: Any, cols: dict[str, tuple[np.ndarray, np.ndarray | None]]) -> Any:
    pl = pytest.importorskip("polars")
    series = [] if time is None else [time]
    for name, (v, null) in cols.items():
        s = pl.Series(name, v, nan_to_null=False)
        if null is not None:
            s = s.scatter(np.flatnonzero(null), None)
        series.append(s)
    n = len(next(iter(cols.values()))[0])
    series.append(pl.Series("label", [f"row{i}" for i in range(n)]))
    return pl.DataFrame(series)


def time_columns(variant: str) -> tuple[Any, Any, Any, dict[str, Any]]:
    """One time column as pandas, pyarrow and polars (None: polars has no such type), and kwargs."""
    pl_mod = sys.modules.get("polars")
    if variant == "float":
        t = np.arange(N) / 250.0
        pl_t = None if pl_mod is None else pl_mod.Series("time", t)
        return t, pa.array(t), pl_t, {}
    if variant == "int_ns":
        t = time_ticks(N, "ns")
        pl_t = None if pl_mod is None else pl_mod.Series("time", t)
        return t, pa.array(t), pl_t, {"time_unit": "ns"}
    _, unit, tz = variant.split(":")
    zone = None if tz == "naive" else tz
    ticks = time_ticks(N, unit)
    idx = pd.DatetimeIndex(ticks.astype(f"datetime64[{unit}]"))
    if zone is not None:
        idx = idx.tz_localize("UTC").tz_convert(zone)
    arrow = pa.array(ticks, type=pa.timestamp(unit, tz=zone))
    pl_t = None
    if pl_mod is not None and unit != "s":  # polars datetimes are ms, us or ns
        pl_t = pl_mod.Series("time", ticks).cast(pl_mod.Datetime(unit))
        if zone is not None:
            pl_t = pl_t.dt.replace_time_zone("UTC").dt.convert_time_zone(zone)
    return pd.Series(idx), arrow, pl_t, {}


def as_kind(kind: str, table: Any, pl_frame: Callable[[], Any]) -> Any:
    """The input of ``kind`` holding ``table``'s data."""
    if kind == "table":
        return table
    if kind == "batch":
        (batch,) = table.to_batches()
        return batch
    df = pl_frame()
    return df.lazy() if kind == "lazy" else df


def assert_same_series(got: Series, want: Series) -> None:
    """Same keys, channels, values (bit for bit, NaN positions included), t0, tz, kind, unit."""
    assert type(got) is type(want)
    assert got.channels == want.channels
    assert (got.kind, got.unit, got.tz, got.time_name) == (
        want.kind,
        want.unit,
        want.tz,
        want.time_name,
    )
    assert got.key_scale == want.key_scale
    assert got.t0 == want.t0 and type(got.t0) is type(want.t0)
    if isinstance(want.t0, pd.Timestamp):
        assert (got.t0.unit, str(got.t0.tz)) == (want.t0.unit, str(want.t0.tz))
    assert got.n == want.n
    gk, wk = got.keys_at(slice(None)), want.keys_at(slice(None))
    assert gk.dtype == wk.dtype and gk.tobytes() == wk.tobytes()
    for c, g, w in zip(got.channels, got.values, want.values, strict=True):
        assert g.dtype == w.dtype, c
        assert g.tobytes() == w.tobytes(), c
    assert got.index.equals(want.index)


def arrow_view(data: Any, name: str) -> np.ndarray:
    """The numpy view of a single-chunk Arrow column (raises if it is not zero-copy)."""
    col = data.column(name)
    chunk = col if isinstance(data, pa.RecordBatch) else col.chunks[0]
    return chunk.to_numpy(zero_copy_only=True)


# -- the same series as pandas ---------------------------------------------------------------

TIME_VARIANTS = [
    "float",
    "int_ns",
    *(f"dt:{u}:{tz}" for u in ("s", "ms", "us", "ns") for tz in ("naive", "UTC", "Europe/Berlin")),
    "dt:ns:America/New_York",
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("variant", TIME_VARIANTS)
def test_same_series_as_the_pandas_frame(kind: str, variant: str) -> None:
    if kind in ("polars", "lazy"):
        pytest.importorskip("polars")
    pd_t, pa_t, pl_t, kw = time_columns(variant)
    if kind in ("polars", "lazy") and pl_t is None:
        pytest.skip("polars has no datetimes in seconds")
    cols = columns()
    want = prepare(pandas_frame(pd_t, cols), **kw)
    data = as_kind(kind, arrow_table(pa_t, cols), lambda: polars_frame(pl_t, cols))
    got = prepare(data, **kw)
    assert_same_series(got, want)
    assert got.channels == ["f64", "f32", "i16", "i64", "f32n", "i64n", "u8n"]
    # Integers with nulls: float64 with NaN where the nulls are, as for pandas nullable
    # columns; floats with nulls keep their width, NaN there (as pd.read_parquet gives them).
    nulls = cols["f32n"][1]
    assert got.values[5].dtype == np.float64
    assert np.array_equal(np.isnan(got.values[5]), nulls)
    assert got.values[4].dtype == np.float32
    assert np.array_equal(np.isnan(got.values[4]), nulls)
    if variant.startswith("dt:"):
        unit, tz = variant.split(":")[1:]
        assert got.kind == "datetime"
        assert got.t0.unit == unit
        assert got.tz == (None if tz == "naive" else tz)


@pytest.mark.parametrize("kind", KINDS)
def test_fixed_offset_zone_and_chosen_channels(kind: str) -> None:
    """A zone given as a UTC offset (polars: UTC), and channels= naming a subset, time="t"."""
    if kind in ("polars", "lazy"):
        pl = pytest.importorskip("polars")
    ticks = time_ticks(N, "us")
    cols = columns()
    pd_t = pd.Series(pd.DatetimeIndex(ticks.astype("datetime64[us]")).tz_localize("UTC"))
    pd_t = pd_t.dt.tz_convert("+02:00") if kind in ("table", "batch") else pd_t
    pa_t = pa.array(ticks, type=pa.timestamp("us", tz="+02:00"))
    pl_t = None
    if kind in ("polars", "lazy"):
        pl_t = pl.Series("time", ticks).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    want = prepare(
        pandas_frame(pd_t, cols).rename(columns={"time": "t"}), time="t", channels=["i16", "f32n"]
    )
    data = as_kind(kind, arrow_table(pa_t, cols), lambda: polars_frame(pl_t, cols))
    data = (
        data.rename({"time": "t"})
        if kind in ("polars", "lazy")
        else data.rename_columns(["t", *data.schema.names[1:]])
    )
    got = prepare(data, time="t", channels=["i16", "f32n"])
    assert_same_series(got, want)


@pytest.mark.parametrize("kind", KINDS)
def test_sample_rate_without_a_time_column(kind: str) -> None:
    if kind in ("polars", "lazy"):
        pytest.importorskip("polars")
    cols = columns()
    want = prepare(pandas_frame(None, cols), time=None, sample_rate=1000.0)
    data = as_kind(kind, arrow_table(None, cols), lambda: polars_frame(None, cols))
    got = prepare(data, time=None, sample_rate=1000.0)
    assert (got.n, got.channels, got.t0, got.kind, got.unit) == (
        want.n,
        want.channels,
        want.t0,
        want.kind,
        want.unit,
    )
    assert got.keys_at(slice(None)).tobytes() == want.keys_at(slice(None)).tobytes()
    for g, w in zip(got.values, want.values, strict=True):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()


def test_a_table_gives_what_its_parquet_file_and_to_pandas_give(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    _, pa_t, _, kw = time_columns("dt:ms:Europe/Berlin")
    table = arrow_table(pa_t, columns())
    path = tmp_path / "d.parquet"
    pq.write_table(table, path)
    got = prepare(table, **kw)
    assert_same_series(got, prepare(path, **kw))
    assert_same_series(got, prepare(table.to_pandas(), **kw))


def test_a_table_made_from_pandas_keeps_its_index() -> None:
    """pandas metadata (pa.Table.from_pandas) brings the index back, as table.to_pandas() does."""
    idx = pd.DatetimeIndex(time_ticks(N, "ns").astype("datetime64[ns]"), name="t")
    df = pandas_frame(None, columns()).set_index(idx.tz_localize("Europe/Berlin"))
    table = pa.Table.from_pandas(df)
    want = prepare(df, time=None)
    got = prepare(table, time=None)
    assert_same_series(got, want)
    assert isinstance(got.index, pd.DatetimeIndex)


# -- zero copy --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["table", "batch"])
@pytest.mark.parametrize("variant", ["float", "int_ns", "dt:s:naive", "dt:ns:Europe/Berlin"])
def test_arrow_channels_and_time_are_views_of_the_arrow_buffers(kind: str, variant: str) -> None:
    _, pa_t, _, kw = time_columns(variant)
    cols = columns()
    data = as_kind(kind, arrow_table(pa_t, cols), lambda: None)
    s = prepare(data, **kw)
    for c in ("f64", "f32", "i16", "i64"):
        assert np.shares_memory(s.values[s.channels.index(c)], arrow_view(data, c)), c
    key = arrow_view(data, "time")
    assert np.shares_memory(
        s.keys_at(slice(None)), key.view(np.int64) if key.dtype.kind == "M" else key
    )
    # Columns with nulls are new float64 arrays: the Arrow values cannot hold NaN gaps.
    assert not np.shares_memory(s.values[s.channels.index("f32n")], arrow_view_unsafe(data, "f32n"))


def arrow_view_unsafe(data: Any, name: str) -> np.ndarray:
    col = data.column(name)
    chunk = col if isinstance(data, pa.RecordBatch) else col.chunks[0]
    return np.frombuffer(chunk.buffers()[1], dtype=chunk.type.to_pandas_dtype())


@pytest.mark.parametrize("kind", ["polars", "lazy"])
@pytest.mark.parametrize("variant", ["float", "int_ns", "dt:ms:naive", "dt:ns:Europe/Berlin"])
def test_polars_channels_and_time_are_views_of_the_polars_buffers(kind: str, variant: str) -> None:
    pytest.importorskip("polars")
    _, _, pl_t, kw = time_columns(variant)
    cols = columns()
    df = polars_frame(pl_t, cols)
    s = prepare(df.lazy() if kind == "lazy" else df, **kw)
    for c in ("f64", "f32", "i16", "i64"):
        view = df[c].to_numpy()
        assert np.shares_memory(df[c].to_numpy(), view)  # polars hands out its own buffer
        assert np.shares_memory(s.values[s.channels.index(c)], view), c
    key = df["time"].to_physical().to_numpy()  # the int64 ticks of a datetime column
    assert np.shares_memory(df["time"].to_physical().to_numpy(), key)
    assert np.shares_memory(s.keys_at(slice(None)), key)


def test_chunked_columns_are_concatenated_once_into_the_same_series() -> None:
    """A table in several chunks (an offset slice too) gives the series of its rows."""
    _, pa_t, _, kw = time_columns("dt:us:Europe/Berlin")
    table = arrow_table(pa_t, columns())
    parts = [table.slice(0, 100), table.slice(100, 57), table.slice(157)]
    chunked = pa.concat_tables(parts)
    assert chunked.column("f32n").num_chunks == 3
    got = prepare(chunked, **kw)
    assert_same_series(got, prepare(table, **kw))
    assert not np.shares_memory(got.values[1], arrow_view(table, "f32"))
    sliced = prepare(table.slice(100, 57), **kw)
    assert np.shares_memory(sliced.values[1], arrow_view(table, "f32"))  # one chunk: still a view
    assert sliced.values[1].tobytes() == got.values[1][100:157].tobytes()


def test_polars_chunked_columns_are_concatenated_once() -> None:
    pl = pytest.importorskip("polars")
    _, _, pl_t, kw = time_columns("int_ns")
    df = polars_frame(pl_t, columns())
    chunked = pl.concat([df.slice(0, 100), df.slice(100)], rechunk=False)
    assert chunked["f32"].n_chunks() == 2
    got = prepare(chunked, **kw)
    assert_same_series(got, prepare(df, **kw))
    computed = prepare(df.lazy().with_columns(f32=pl.col("f32") * 1), **kw)
    assert_same_series(computed, prepare(df, **kw))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 300),
    seed=st.integers(0, 2**16),
    cuts=st.lists(st.integers(0, 300), max_size=4),
    offset=st.integers(0, 5),
)
def test_any_chunking_and_offset_gives_the_pandas_series(
    n: int, seed: int, cuts: list[int], offset: int
) -> None:
    cols = columns(n + offset, seed)
    t = np.arange(n + offset, dtype=np.int64) * 3
    full = arrow_table(pa.array(t), cols)
    table = full.slice(offset)
    bounds = sorted({0, n, *(c for c in cuts if c < n)})
    chunked = pa.concat_tables([table.slice(a, b - a) for a, b in itertools.pairwise(bounds)])
    rows = {k: (v[offset:], None if m is None else m[offset:]) for k, (v, m) in cols.items()}
    want = prepare(pandas_frame(t[offset:], rows), time_unit="ms")
    assert_same_series(prepare(chunked, time_unit="ms"), want)
    assert_same_series(prepare(table, time_unit="ms"), want)


# -- errors still name the column and the row ------------------------------------------------


def test_missing_times_are_refused_naming_the_row() -> None:
    t = pa.array([0, 1, None, 3], type=pa.int64())
    with pytest.raises(DataError, match=r"time column 'time' has a missing .*time.* at row 2"):
        prepare(pa.table({"time": t, "v": [1.0, 2.0, 3.0, 4.0]}))
    ts = pa.array([0, 1, None, 3], type=pa.timestamp("ms", tz="UTC"))
    with pytest.raises(DataError, match=r"missing time \(NaT\) at row 2"):
        prepare(pa.table({"time": ts, "v": [1.0, 2.0, 3.0, 4.0]}))
    pl = pytest.importorskip("polars")
    with pytest.raises(DataError, match=r"time column 'time' has a missing .*time.* at row 2"):
        prepare(pl.DataFrame({"time": [0, 1, None, 3], "v": [1.0, 2.0, 3.0, 4.0]}))
    plt = pl.Series("time", [0, 1, None, 3]).cast(pl.Datetime("ns", "Europe/Berlin"))
    with pytest.raises(DataError, match=r"missing time \(NaT\) at row 2"):
        prepare(pl.DataFrame([plt, pl.Series("v", [1.0, 2.0, 3.0, 4.0])]))


def test_unsorted_times_and_text_channels_are_refused_naming_them() -> None:
    table = pa.table({"time": [0.0, 2.0, 1.0], "v": [1.0, 2.0, 3.0], "s": ["a", "b", "c"]})
    with pytest.raises(DataError, match=r"not sorted: row 2"):
        prepare(table)
    assert prepare(table, sort=True).keys_at(slice(None)).tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(DataError, match=r"channel 's' has dtype"):
        prepare(table, channels=["s"])
    with pytest.raises(DataError, match=r"time column 'nope' not found"):
        prepare(table, time="nope")


def test_repeated_column_names_are_refused() -> None:
    table = pa.Table.from_arrays(
        [pa.array([0.0, 1.0]), pa.array([1.0, 2.0])], names=["time", "time"]
    )
    with pytest.raises(DataError, match="more than once"):
        prepare(table)


def test_an_empty_table_has_no_rows() -> None:
    table = pa.table({"time": pa.array([], pa.float64()), "v": pa.array([], pa.float32())})
    with pytest.raises(DataError, match="no rows"):
        prepare(table)


def test_other_column_types_are_left_out_or_refused_naming_them() -> None:
    """Strings, booleans, categories, lists, structs, dates, durations, decimals: not channels."""
    pl = pytest.importorskip("polars")
    df = pl.DataFrame(
        {
            "time": [0.0, 1.0, 2.0, 3.0],
            "v": [1.0, 2.0, 3.0, 4.0],
            "s": ["a", None, "c", "d"],
            "b": [True, None, False, True],
            "c": pl.Series(["x", "y", "x", None], dtype=pl.Categorical),
            "l": [[1], [2, 3], None, []],
            "st": [{"a": 1}, {"a": 2}, None, {"a": 4}],
            "d": pl.Series([19000, None, 19002, 19003]).cast(pl.Date),
            "du": pl.Series([1, 2, None, 4]).cast(pl.Duration("ms")),
            "dec": pl.Series([1, 2, 3, 4]).cast(pl.Decimal(10, 2)),
        }
    )
    for data in (df, df.to_arrow()):
        assert prepare(data).channels == ["v"]
        for c in ("s", "b", "c", "l", "st", "d", "du", "dec"):
            with pytest.raises(DataError, match=f"channel '{c}' has dtype"):
                prepare(data, channels=[c])
        with pytest.raises(DataError, match="time column 'du' holds durations"):
            prepare(data, time="du", channels=["v"])
    dated = prepare(df.drop_nulls("d"), time="d", channels=["v"])
    assert dated.kind == "datetime" and str(dated.t0) == "2022-01-08 00:00:00"


def test_a_column_pandas_cannot_hold_is_named() -> None:
    ns = pa.array([1, 2], type=pa.time64("ns"))  # 1 ns past midnight: no datetime.time holds it
    table = pa.table({"time": [0.0, 1.0], "v": [1.0, 2.0], "tod": ns})
    with pytest.raises(
        DataError, match=r"column 'tod' \(time64\[ns\]\).*drop_columns\(\['tod'\]\)"
    ):
        prepare(table)
    assert prepare(table.drop_columns(["tod"])).channels == ["v"]


def test_a_failing_lazy_query_is_a_data_error() -> None:
    pl = pytest.importorskip("polars")
    lf = pl.LazyFrame({"time": [0.0, 1.0]}).select(pl.col("missing"))
    with pytest.raises(DataError, match=r"LazyFrame could not be collected.*missing"):
        prepare(lf)


def test_other_pyarrow_and_polars_objects_say_what_to_pass() -> None:
    arr = pa.array([1.0, 2.0])
    for obj in (arr, pa.chunked_array([arr])):
        with pytest.raises(TsvTypeError, match=r"pyarrow Table or RecordBatch.*pa\.table\("):
            prepare(obj)
    reader = pa.RecordBatchReader.from_batches(
        pa.schema([("v", pa.float64())]), [pa.record_batch({"v": arr})]
    )
    with pytest.raises(TsvTypeError, match=r"reader\.read_all\(\)"):
        prepare(reader)
    pl = pytest.importorskip("polars")
    with pytest.raises(TsvTypeError, match=r"polars DataFrame or LazyFrame.*s\.to_frame\(\)"):
        prepare(pl.Series("v", [1.0, 2.0]))
    with pytest.raises(TsvTypeError, match=r"polars DataFrame or LazyFrame"):
        prepare(pl.col("v"), time=None, sample_rate=10.0)


def test_importing_the_package_imports_neither_polars_nor_pyarrow() -> None:
    """Without pyarrow and polars (imports blocked) the package and pandas inputs still work."""
    code = (
        "import sys\n"
        "sys.modules['polars'] = None\n"
        "sys.modules['pyarrow'] = None\n"
        "import numpy as np, pandas as pd, tsvideo_widget\n"
        "from tsvideo_widget.data import prepare\n"
        "s = prepare(pd.DataFrame({'time': np.arange(3.0), 'v': np.ones(3)}))\n"
        "assert s.channels == ['v']\n"
        "print(sorted(m for m in sys.modules if m.startswith(('polars', 'pyarrow'))"
        " and sys.modules[m] is not None))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


# -- the widget -------------------------------------------------------------------------------


def test_a_widget_from_a_polars_frame_draws_as_from_pandas() -> None:
    pl = pytest.importorskip("polars")
    _, _, pl_t, _ = time_columns("dt:us:Europe/Berlin")
    pd_t, _, _, _ = time_columns("dt:us:Europe/Berlin")
    cols = columns()
    pdf = pandas_frame(pd_t, cols).rename(columns={"time": "t"})
    pldf = polars_frame(pl_t, cols).rename({"time": "t"})
    assert isinstance(pldf, pl.DataFrame)
    a = TimeSeriesVideo(pldf, time="t")
    b = TimeSeriesVideo(pdf, time="t")
    assert a.series.span == b.series.span
    for lo, hi, k in [(0.0, a.series.span, 100), (0.1, 0.3, 7), (0.0, a.series.span, 4000)]:
        ha, ba = a.detail(lo, hi, k)
        hb, bb = b.detail(lo, hi, k)
        assert ha == hb
        assert [bytes(x) for x in ba] == [bytes(x) for x in bb]
