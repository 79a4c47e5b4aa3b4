"""Loading and validating the time series: every kind of input, every error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsvideo_widget import data as data_mod
from tsvideo_widget.data import DataError, prepare


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


def test_csv_path(tmp_path) -> None:
    p = tmp_path / "d.csv"
    frame().to_csv(p, index=False)
    s = prepare(str(p))
    assert s.channels == ["ax", "ay"]
    assert s.n == 100


def test_parquet_path(tmp_path) -> None:
    pytest.importorskip("pyarrow")
    p = tmp_path / "d.parquet"
    frame().to_parquet(p)
    assert prepare(p).n == 100


def test_missing_file_names_the_path(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        prepare(str(tmp_path / "nope.csv"))


def test_unknown_extension_says_what_works(tmp_path) -> None:
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
    df = pd.DataFrame({"time": pd.to_datetime(["2024-01-01", None, "2024-01-03"]), "v": [1, 2, 3]})
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
    with pytest.raises(TypeError, match="list of column names"):
        prepare(frame(), channels="ax")  # type: ignore[arg-type]


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
    with pytest.raises(TypeError, match="DataFrame"):
        prepare(42)


@pytest.mark.parametrize("at", [1, 7, 8, 9, 15, 16, 23])
def test_checks_in_steps_find_the_first_bad_row_across_step_edges(
    monkeypatch: pytest.MonkeyPatch, at: int
) -> None:
    # The time column is checked a step of rows at a time (bounded temporaries);
    # the first bad row must be found wherever it falls against the steps.
    monkeypatch.setattr(data_mod, "_SCAN_ROWS", 8)
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
