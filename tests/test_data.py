"""Loading and validating the time series: every kind of input, every error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from traitlets import TraitError

from tsvideo_widget import data as data_mod
from tsvideo_widget import errors, timecol
from tsvideo_widget.data import TIME_UNITS, DataError, prepare
from tsvideo_widget.errors import TsvFileNotFoundError, TsvTypeError


def frame(n: int = 100) -> pd.DataFrame:
    t = np.arange(n) / 10.0
    return pd.DataFrame({"time": t, "ax": np.sin(t), "ay": np.cos(t), "name": ["x"] * n})


def test_dataframe_default_channels_are_numeric_columns_but_time() -> None:
    s = prepare(frame())
    assert s.channels == ["ax", "ay"]
    assert s.kind == "numeric"
    assert s.n == 100
    assert s.span == pytest.approx(9.9)


def test_channels_and_time_are_the_callers_memory_not_copies() -> None:
    df = frame()
    s = prepare(df, channels=["ax"])
    assert np.shares_memory(s.values[0], df["ax"].to_numpy())
    assert np.shares_memory(s.key, df["time"].to_numpy())
    t = pd.date_range("2024-01-01", periods=100, freq="1ms")
    dated = pd.DataFrame({"time": t, "v": np.arange(100.0)})
    assert np.shares_memory(prepare(dated).key, dated["time"].to_numpy())


def test_dict_of_arrays() -> None:
    s = prepare({"time": np.arange(5.0), "v": np.arange(5, dtype=np.float32)})
    assert s.channels == ["v"]
    assert s.values[0].dtype == np.float32


def test_dict_of_unequal_lengths_names_the_lengths() -> None:
    with pytest.raises(DataError, match="differ in length"):
        prepare({"time": np.arange(5.0), "v": np.arange(4.0)})


def test_csv_path(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    frame().to_csv(p, index=False)
    s = prepare(str(p))
    assert s.channels == ["ax", "ay"]
    assert s.n == 100


def test_parquet_path(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    p = tmp_path / "d.parquet"
    frame().to_parquet(p)
    assert prepare(p).n == 100


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(TsvFileNotFoundError, match=r"nope\.csv"):
        prepare(str(tmp_path / "nope.csv"))


def test_unknown_extension_says_what_works(tmp_path: Path) -> None:
    p = tmp_path / "d.xlsx"
    p.write_text("x")
    with pytest.raises(DataError, match=r"\.csv.*\.parquet"):
        prepare(str(p))


def test_index_as_time() -> None:
    df = frame().set_index("time")
    s = prepare(df, time=None)
    assert s.time_name == "index"
    assert s.span == pytest.approx(9.9)


def test_missing_time_column_lists_columns() -> None:
    with pytest.raises(DataError, match=r"time column 'when' not found.*'ax'"):
        prepare(frame(), time="when")


def test_unsorted_time_names_the_first_row_out_of_order() -> None:
    df = frame()
    df.loc[57, "time"] = 1.0
    with pytest.raises(DataError, match=r"row 57 .*sort=True"):
        prepare(df)


def test_sort_true_sorts_rows_with_their_values() -> None:
    df = pd.DataFrame({"time": [2.0, 0.0, 1.0], "v": [20.0, 0.0, 10.0]})
    s = prepare(df, sort=True)
    assert list(s.rel_at(slice(None))) == [0.0, 1.0, 2.0]
    assert list(s.values[0]) == [0.0, 10.0, 20.0]


def test_nan_time_names_the_row() -> None:
    df = frame()
    df.loc[12, "time"] = np.nan
    with pytest.raises(DataError, match=r"row 12"):
        prepare(df)


def test_nat_time_names_the_row() -> None:
    df = pd.DataFrame({"time": pd.to_datetime(["2024-01-01", "NaT", "2024-01-03"]), "v": [1, 2, 3]})
    with pytest.raises(DataError, match=r"NaT.*row 1"):
        prepare(df)


def test_non_numeric_channel_names_column_and_dtype() -> None:
    with pytest.raises(DataError, match=r"channel 'name' has dtype (str|object).*pd.to_numeric"):
        prepare(frame(), channels=["ax", "name"])


def test_missing_channel() -> None:
    with pytest.raises(DataError, match=r"channel 'az' is not a column"):
        prepare(frame(), channels=["az"])


def test_no_channels() -> None:
    df = pd.DataFrame({"time": [0.0, 1.0], "name": ["a", "b"]})
    with pytest.raises(DataError, match="no numeric columns"):
        prepare(df)
    with pytest.raises(DataError, match="names no channel"):
        prepare(frame(), channels=[])


def test_channels_as_string_is_a_type_error() -> None:
    with pytest.raises(TsvTypeError, match="list of column names"):
        prepare(frame(), channels="ax")


def test_nan_inside_a_channel_is_kept_as_a_gap() -> None:
    df = frame()
    df.loc[5, "ax"] = np.nan
    s = prepare(df)
    assert np.isnan(s.values[0][5])
    assert s.n == 100


def test_nullable_integer_channel_becomes_float_with_nan() -> None:
    df = pd.DataFrame({"time": [0.0, 1.0, 2.0], "v": pd.array([1, None, 3], dtype="Int64")})
    s = prepare(df)
    assert np.isnan(s.values[0][1])
    assert s.values[0][2] == 3


@pytest.mark.parametrize(("unit", "scale"), [("ms", 1e-3), ("us", 1e-6), ("min", 60.0)])
def test_time_unit_converts_to_seconds(unit: str, scale: float) -> None:
    df = pd.DataFrame({"time": [100.0, 200.0, 300.0], "v": [1.0, 2.0, 3.0]})
    s = prepare(df, time_unit=unit)
    assert s.span == pytest.approx(200 * scale)
    assert s.from_rel(s.to_rel(250.0)) == pytest.approx(250.0)


def test_unknown_time_unit() -> None:
    with pytest.raises(DataError, match="time_unit 'days' is not known"):
        prepare(frame(), time_unit="days")


def test_iso_strings_with_microseconds_and_offset() -> None:
    df = pd.DataFrame(
        {
            "time": [
                "2024-05-01T12:00:00.000001+02:00",
                "2024-05-01T12:00:00.500002+02:00",
                "2024-05-01T12:00:01.000003+02:00",
            ],
            "v": [1.0, 2.0, 3.0],
        }
    )
    s = prepare(df)
    assert s.kind == "datetime"
    assert s.tz == "UTC+02:00"
    assert s.rel_at(1) == pytest.approx(0.500001, abs=1e-9)
    assert s.from_rel(s.rel_at(2)) == pd.Timestamp("2024-05-01T12:00:01.000003+02:00")


def test_mixed_offsets_are_converted_to_utc_not_dropped() -> None:
    df = pd.DataFrame(
        {
            "time": ["2024-03-31T01:59:00+01:00", "2024-03-31T03:00:00+02:00"],
            "v": [1.0, 2.0],
        }
    )
    s = prepare(df)
    assert s.tz == "UTC"
    assert s.rel_at(1) == pytest.approx(60.0)


def test_timezone_aware_datetime64() -> None:
    t = pd.date_range("2024-01-01", periods=4, freq="250ms", tz="Europe/Berlin")
    s = prepare(pd.DataFrame({"time": t, "v": np.arange(4.0)}))
    assert s.tz == "Europe/Berlin"
    assert s.span == pytest.approx(0.75)
    assert s.to_rel(pd.Timestamp("2024-01-01 00:00:00.5", tz="Europe/Berlin")) == pytest.approx(0.5)
    # A naive time is read in the data's zone; a number is refused.
    assert s.to_rel("2024-01-01 00:00:00.25") == pytest.approx(0.25)
    with pytest.raises(TypeError, match="holds datetimes"):
        s.to_rel(0.5)


def test_numeric_series_refuses_timestamps() -> None:
    s = prepare(frame())
    with pytest.raises(TypeError, match="holds numbers"):
        s.to_rel(pd.Timestamp("2024-01-01"))


def test_empty_data() -> None:
    with pytest.raises(DataError, match="no rows"):
        prepare(pd.DataFrame({"time": [], "v": []}))


def test_unsupported_type() -> None:
    with pytest.raises(TsvTypeError, match="DataFrame"):
        prepare(42)


def test_errors_are_the_package_classes() -> None:
    assert DataError is errors.DataError
    assert issubclass(DataError, TraitError) and issubclass(DataError, ValueError)


@pytest.mark.parametrize("at", [1, 7, 8, 9, 15, 16, 23])
def test_checks_in_steps_find_the_first_bad_row_across_step_edges(
    monkeypatch: pytest.MonkeyPatch, at: int
) -> None:
    # The time column is checked a step of rows at a time (bounded temporaries);
    # the first bad row must be found wherever it falls against the steps.
    monkeypatch.setattr(timecol, "_SCAN_ROWS", 8)
    t = np.arange(24, dtype=np.float64)
    back = t.copy()
    back[at] = back[at - 1] - 0.5
    with pytest.raises(DataError, match=rf"row {at} \(index label {at}\) is earlier"):
        data_mod.prepare(pd.DataFrame({"time": back, "v": t}))
    nan = t.copy()
    nan[at] = np.nan
    with pytest.raises(DataError, match=rf"at row {at} \(index label {at}\)"):
        data_mod.prepare(pd.DataFrame({"time": nan, "v": t}))
    data_mod.prepare(pd.DataFrame({"time": t, "v": t}))  # and a good column passes


# -- integer time ----------------------------------------------------------------------

EPOCH_NS = 1_700_000_000_000_000_000
"""About 2023-11-14 in epoch nanoseconds: float64 spaces its values 256 ns apart here."""


def int_frame(t: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"stamp": t, "v": np.arange(len(t), dtype=np.float64)})


def test_epoch_ns_one_ns_apart_stay_distinct_and_are_not_copied() -> None:
    t = EPOCH_NS + np.arange(5, dtype=np.int64)
    df = int_frame(t)
    s = prepare(df, time="stamp", time_unit="ns")
    assert (s.kind, s.integer, s.key.dtype) == ("numeric", True, np.int64)
    assert np.shares_memory(s.key, df["stamp"].to_numpy())
    assert s.key.tolist() == t.tolist()
    assert type(s.t0) is int and s.t0 == EPOCH_NS
    assert [s.rel_at(i) for i in range(5)] == [i * 1e-9 for i in range(5)]
    assert s.span == 4e-9
    assert [s.index_of(int(v)) for v in t] == [0, 1, 2, 3, 4]


def test_unsorted_by_one_ns_is_detected_and_sort_is_exact() -> None:
    t = EPOCH_NS + np.array([0, 1, 3, 2, 4], dtype=np.int64)
    with pytest.raises(DataError, match=r"'stamp' is not sorted: row 3 "):
        prepare(int_frame(t), time="stamp", time_unit="ns")
    s = prepare(int_frame(t), time="stamp", time_unit="ns", sort=True)
    assert (s.key - EPOCH_NS).tolist() == [0, 1, 2, 3, 4]
    assert s.values[0].tolist() == [0.0, 1.0, 3.0, 2.0, 4.0]
    assert s.index.tolist() == [0, 1, 3, 2, 4]


def test_index_of_integer_time_is_exact_at_boundaries() -> None:
    t = EPOCH_NS + np.array([0, 1, 1, 3], dtype=np.int64)
    s = prepare(int_frame(t), time="stamp", time_unit="ns")
    cases = {-1: (0, 0), 0: (0, 1), 1: (1, 3), 2: (3, 3), 3: (3, 4), 4: (4, 4)}
    for off, (left, right) in cases.items():
        assert (s.index_of(EPOCH_NS + off, "left"), s.index_of(EPOCH_NS + off, "right")) == (
            left,
            right,
        ), off
    assert s.index_of(2**70) == 4 and s.index_of(-(2**70), "right") == 0


@pytest.mark.parametrize(
    "dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "Int64"]
)
def test_every_integer_dtype_keeps_integers(dtype: Any) -> None:
    df = pd.DataFrame({"time": pd.Series([3, 5, 100]).astype(dtype), "v": [1.0, 2.0, 3.0]})
    s = prepare(df, time_unit="ms")
    assert s.integer and s.key.dtype == np.int64 and s.key.tolist() == [3, 5, 100]
    assert s.t0 == 3 and s.span == pytest.approx(0.097)


def test_uint64_is_a_view_unless_above_int64() -> None:
    t = np.array([2**63 - 3, 2**63 - 2, 2**63 - 1], dtype=np.uint64)
    df = pd.DataFrame({"time": t, "v": [1.0, 2.0, 3.0]})
    s = prepare(df, time_unit="ns")
    assert np.shares_memory(s.key, df["time"].to_numpy())
    assert s.key.tolist() == [2**63 - 3, 2**63 - 2, 2**63 - 1]
    df.loc[2, "time"] = np.uint64(2**63)
    with pytest.raises(DataError, match=r"'time' holds 9223372036854775808 at row 2 .*int64"):
        prepare(df, time_unit="ns")


def test_nullable_integer_time_with_a_gap_names_the_row() -> None:
    df = pd.DataFrame({"time": pd.array([1, 2, None, 4], dtype="Int64"), "v": np.zeros(4)})
    df.index = ["a", "b", "c", "d"]
    with pytest.raises(DataError, match=r"'time' has a missing time \(<NA>\) at row 2 .*'c'"):
        prepare(df)


def test_span_beyond_int64_is_refused() -> None:
    t = np.array([-(2**62) * 2, 2**62], dtype=np.int64)
    with pytest.raises(DataError, match="more than an int64 holds"):
        prepare(int_frame(t), time="stamp", time_unit="ns")


def test_range_index_as_time_is_integer() -> None:
    s = prepare(pd.DataFrame({"v": [1.0, 2.0, 3.0]}), time=None, time_unit="ms")
    assert s.integer and s.t0 == 0 and s.from_rel(0.002) == 2


def test_own_converts_integral_numbers_exactly() -> None:
    s = prepare(int_frame(EPOCH_NS + np.arange(3, dtype=np.int64)), time="stamp", time_unit="ns")
    for t in [1500, np.int32(1500), np.uint64(1500), 1500.0, np.float32(1500.0), np.float64(1500)]:
        got = s.own(t)
        assert type(got) is int and got == 1500, t
    assert s.own(float(EPOCH_NS)) == EPOCH_NS  # 1.7e18 is a whole float: exactly its value
    assert s.own(2**70) == 2**70


@pytest.mark.parametrize(
    ("t", "err"),
    [
        (1500.5, DataError),
        (np.float64(0.25), DataError),
        (float("nan"), DataError),
        (float("inf"), DataError),
        (True, TsvTypeError),
        (np.bool_(False), TsvTypeError),
        (None, TsvTypeError),
        ("1500", TsvTypeError),
        (pd.Timestamp("2024-01-01"), TsvTypeError),
    ],
)
def test_own_refuses_what_is_not_a_whole_number(t: object, err: type) -> None:
    s = prepare(int_frame(np.arange(3, dtype=np.int64)), time="stamp", time_unit="us")
    with pytest.raises(err, match=r"'stamp'.*(integers|numbers) in 'us'") as info:
        s.own(t)
    assert isinstance(info.value, TraitError)


def test_from_rel_is_the_nearest_whole_tick_and_to_rel_subtracts_exactly() -> None:
    s = prepare(int_frame(EPOCH_NS + np.arange(3, dtype=np.int64)), time="stamp", time_unit="ns")
    assert s.to_rel(EPOCH_NS + 1) == 1e-9
    assert s.to_rel(EPOCH_NS - 5) == -5e-9
    assert s.from_rel(1.4e-9) == EPOCH_NS + 1 and type(s.from_rel(1.4e-9)) is int
    assert s.from_rel(-2.6e-9) == EPOCH_NS - 3
    with pytest.raises(DataError, match="not finite"):
        s.from_rel(float("nan"))


def test_float_time_keeps_float_behaviour() -> None:
    s = prepare(pd.DataFrame({"time": [0.0, 0.5, 1.0], "v": [1.0, 2.0, 3.0]}), time_unit="ms")
    assert not s.integer and s.key.dtype == np.float64
    assert type(s.t0) is float and type(s.own(1)) is float and s.own(0.25) == 0.25
    assert s.from_rel(0.00025) == pytest.approx(0.25) and type(s.from_rel(0.0)) is float
    assert not prepare(frame()).integer


@settings(max_examples=200, deadline=None)
@given(
    t0=st.integers(1_500_000_000_000_000_000, 1_800_000_000_000_000_000),
    offsets=st.lists(st.integers(0, 2**51 - 1), min_size=1, max_size=40),
    unit=st.sampled_from(list(TIME_UNITS)),
)
def test_int_time_round_trips_through_relative_seconds(
    t0: int, offsets: list[int], unit: str
) -> None:
    key = t0 + np.sort(np.array(offsets, dtype=np.int64))
    s = prepare({"time": key, "v": np.zeros(len(key))}, time_unit=unit)
    for i, t in enumerate(key.tolist()):
        rel = s.to_rel(t)
        assert rel == s.rel_at(i)
        assert s.from_rel(rel) == t
        assert s.index_of(t, "left") == key.tolist().index(t)
        assert s.index_of(t, "right") == len(key) - key.tolist()[::-1].index(t)


@settings(max_examples=200, deadline=None)
@given(
    t0=st.integers(1_500_000_000_000_000_000, 1_800_000_000_000_000_000),
    offsets=st.lists(st.integers(0, 2**48), min_size=1, max_size=40),
    unit=st.sampled_from(list(TIME_UNITS)),
)
def test_lookups_by_relative_seconds_find_integer_samples_exactly(
    t0: int, offsets: list[int], unit: str
) -> None:
    # Within 2**48 units of t0 (3 days of ns) the tick slack stays under half a unit.
    key = t0 + np.sort(np.array(offsets, dtype=np.int64))
    s = prepare({"time": key, "v": np.zeros(len(key))}, time_unit=unit)
    for t in key.tolist():
        rel = s.to_rel(t)
        assert s.sample_index(rel, "left") == s.index_of(t, "left")
        assert s.sample_index(rel, "right") == s.index_of(t, "right")
        assert int(s.indices_at_rel(np.array([rel]))[0]) == s.index_of(t, "left")
