"""Loading and validating the time series.

``prepare(data, time=..., channels=...)`` turns a DataFrame, a CSV/Parquet
path or URL, or a dict of 1-D arrays into a :class:`Series`: the sample times
plus one array per channel. Channel arrays are the caller's own memory wherever
the dtype allows (no copy), because inputs are often hundreds of megabytes.
With ``sample_rate=`` the data has no time column: the series is an
:class:`~tsvideo_widget.evenseries.EvenSeries` whose times are computed, and a
dict of arrays is never put in a DataFrame (each array, a ``np.memmap``
included, is kept by reference).

Time is kept exactly as the caller stored it: float numbers as float64,
integer numbers (epoch nanoseconds from ROS and many loggers) as int64, and
datetimes as int64 ticks. Every problem is reported with the column, row, file
or URL at fault and what would work instead; nothing is dropped, reordered or
rounded silently. Every error is a :class:`traitlets.TraitError` (see
:mod:`tsvideo_widget.errors`).

This module checks the column names and channels and puts a :class:`Series`
together; reading files and URLs lives in :mod:`tsvideo_widget.readers`, the
time column's checks in :mod:`tsvideo_widget.timecol`, and :class:`Series`
itself in :mod:`tsvideo_widget.series`. ``TIME_UNITS``, ``TimeKind``,
``Series``, ``DataError`` and ``URL_TIMEOUT_S`` are re-exported here.
``URL_TIMEOUT_S`` is read from :mod:`tsvideo_widget.readers` at each download:
to change the timeout, set ``tsvideo_widget.readers.URL_TIMEOUT_S``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, TsvTypeError
from .evenseries import check_sample_rate, even_series
from .readers import URL_TIMEOUT_S, as_frame
from .series import _INT64_MAX, TIME_UNITS, KeyedSeries, Series, TimeKind
from .timecol import (
    first_bad_row,
    first_step_back,
    holds_datetimes,
    numeric_key,
    parse_datetimes,
    time_values,
)

__all__ = ["TIME_UNITS", "URL_TIMEOUT_S", "DataError", "Series", "TimeKind", "prepare"]


def _check_columns(columns: pd.Index) -> None:
    """Column names must be unique strings: channels are named by them, as str."""
    if isinstance(columns, pd.MultiIndex):
        raise DataError(
            f"the columns have {columns.nlevels} levels (a MultiIndex, e.g. {columns[0]!r}); "
            "flatten them to strings first: "
            "df.columns = ['_'.join(map(str, c)) for c in df.columns]"
        )
    bad = [c for c in columns if not isinstance(c, str)]
    if bad:
        shown = ", ".join(f"{c!r} ({type(c).__name__})" for c in bad[:10])
        raise DataError(
            f"column names must be strings, but {shown} {'is' if len(bad) == 1 else 'are'} not; "
            "name them with strings: df.columns = df.columns.astype(str) (for a dict: use str keys)"
        )
    dup = columns[columns.duplicated()].unique()
    if len(dup):
        raise DataError(
            f"column name(s) {', '.join(map(repr, dup))} appear more than once; give each "
            "column its own name (df.columns = [...]) or drop the copies: "
            "df = df.loc[:, ~df.columns.duplicated()]"
        )


def _check_channel(df: pd.DataFrame, c: str, time: str | None) -> None:
    if c not in df.columns:
        raise DataError(
            f"channel {c!r} is not a column; the columns are: {list(map(str, df.columns))}"
        )
    if c == time:
        raise DataError(f"channel {c!r} is the time column; it cannot also be a channel")
    _check_dtype(c, df[c].dtype)


def _check_dtype(c: str, dtype: Any) -> None:
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        raise DataError(
            f"channel {c!r} has dtype {dtype}, not numbers; convert it with "
            f"pd.to_numeric(df[{c!r}]) or leave it out of channels"
        )
    if pd.api.types.is_complex_dtype(dtype):
        raise DataError(
            f"channel {c!r} holds complex numbers ({dtype}); plot a real part of it as its own "
            f"column, e.g. df[{c + '_abs'!r}] = np.abs(df[{c!r}]), and leave {c!r} out of channels"
        )


def _channel_list(channels: Sequence[str]) -> list[str]:
    """The channels a caller named, as a list of str: refused if a str, empty or repeated."""
    if isinstance(channels, str):
        raise TsvTypeError(f"channels must be a list of column names, got the string {channels!r}")
    chosen = [str(c) for c in channels]
    if not chosen:
        raise DataError("channels=[] names no channel: name at least one numeric column")
    twice = sorted({c for c in chosen if chosen.count(c) > 1})
    if twice:
        raise DataError(f"channels names {', '.join(map(repr, twice))} more than once")
    return chosen


def prepare(
    data: Any,
    time: str | None = "time",
    channels: Sequence[str] | None = None,
    time_unit: str = "s",
    sort: bool = False,
    sample_rate: float | None = None,
    start: Any = None,
) -> Series:
    """Validate ``data`` and return a :class:`Series`.

    Args:
        data: DataFrame, CSV/Parquet path or URL, or dict of 1-D arrays. Column
            names must be unique strings.
        time: name of the time column (str, default "time"), or None for the index.
            Numbers (float or integer: integers are kept exactly), datetime64,
            ISO 8601 strings or datetime objects.
        channels: columns to plot (list of str); default every numeric column but time.
        time_unit: unit of a numeric time column: "s" (default), "ms", "us", "ns", "min" or "h".
        sort: sort the rows by time first (default False: unsorted time is an error).
        sample_rate: samples per second (float Hz > 0) of evenly sampled data with
            no time column, or None (default: the times are a column or the index).
            Sample ``i`` is then at ``start + i / sample_rate``; ``time`` must name
            no column of the data, and ``sort=True`` is refused.
        start: the first sample's time with ``sample_rate``: a number in
            ``time_unit`` (default 0.0; an int for integer time), or a datetime
            (Timestamp, datetime or ISO 8601 string). See
            :func:`tsvideo_widget.evenseries.even_series`.

    Raises:
        DataError: a missing, unsorted, NaN or unparseable time column; a missing
            or non-numeric channel; no channels at all; bad column names; a file
            or URL that cannot be read as a table.
        TsvFileNotFoundError: a data path that does not exist.
        TsvTypeError: an argument of the wrong type.
    """
    if time_unit not in TIME_UNITS:
        raise DataError(f"time_unit {time_unit!r} is not known; use one of {', '.join(TIME_UNITS)}")
    if sample_rate is not None:
        return _prepare_even(data, time, channels, time_unit, sort, sample_rate, start)
    if start is not None:
        raise DataError(
            f"start={start!r:.40} places evenly sampled data and needs sample_rate=; with a "
            "time column the times come from the column: drop start=, or pass sample_rate="
        )
    df = as_frame(data)
    _check_columns(df.columns)
    if len(df) == 0:
        raise DataError("the data has no rows: at least one sample is needed")
    raw_time, time_name = time_values(df, time)

    if channels is None:
        chosen = [str(c) for c in df.columns if c != time and _is_channel_dtype(df[c].dtype)]
        if not chosen:
            raise DataError(
                f"no numeric columns to plot besides the time column {time_name!r} "
                f"(columns: {list(map(str, df.columns))}); pass channels=[...] naming numeric "
                "columns"
            )
    else:
        chosen = _channel_list(channels)
    for c in chosen:
        _check_channel(df, c, time)

    labels = df.index
    if holds_datetimes(raw_time):
        idx = parse_datetimes(raw_time, time_name, labels)
        nat = np.asarray(idx.isna())
        if nat.any():
            raise DataError(
                f"time column {time_name!r} has a missing time (NaT) at "
                f"{first_bad_row(nat, labels)}; drop or fill those rows first"
            )
        tz = str(idx.tz) if idx.tz is not None else None
        order_key: np.ndarray = idx.asi8  # UTC ticks, a view of the column
        key_scale = float(pd.Timedelta(1, unit=idx.unit) / pd.Timedelta(seconds=1))
        kind: TimeKind = "datetime"
    else:
        order_key = numeric_key(raw_time, time_name, labels)
        key_scale = TIME_UNITS[time_unit]
        kind = "numeric"
        tz = None

    if order_key.shape[0] > 1:
        i = first_step_back(order_key)
        if i >= 0:
            if not sort:
                raise DataError(
                    f"time column {time_name!r} is not sorted: row {i} (index label "
                    f"{labels[i]!r}) is earlier than the row before it; pass sort=True to "
                    "sort the rows by time"
                )
            perm = np.argsort(order_key, kind="stable")
            df = df.iloc[perm]
            order_key = order_key[perm]
            if kind == "datetime":
                idx = idx[perm]

    if kind == "datetime":
        t0: Any = idx[0]
        unit = "s"
    elif order_key.dtype.kind in "iu":
        t0 = int(order_key[0])
        unit = time_unit
        if int(order_key[-1]) - t0 > _INT64_MAX:
            raise DataError(
                f"time column {time_name!r} spans {int(order_key[-1]) - t0} {time_unit}, more "
                f"than an int64 holds; subtract an offset first, e.g. df[{time_name!r}] -= "
                f"df[{time_name!r}].min()"
            )
    else:
        t0 = float(order_key[0])
        unit = time_unit

    values = [_channel_array(df[c]) for c in chosen]
    return KeyedSeries(
        key=np.ascontiguousarray(order_key),
        channels=chosen,
        values=values,
        kind=kind,
        unit=unit,
        t0=t0,
        tz=tz,
        time_name=time_name,
        index=df.index,
        key_scale=key_scale,
    )


def _channel_array(col: pd.Series) -> np.ndarray:
    """The column as a 1-D numeric array, without a copy where the dtype allows."""
    dtype = col.dtype
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and not isinstance(dtype, np.dtype):
        # Nullable integers/floats: missing values become NaN gaps.
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    arr = col.to_numpy(copy=False)
    if arr.dtype.kind in "fiu":
        return arr
    return arr.astype(np.float64)


def _prepare_even(
    data: Any,
    time: str | None,
    channels: Sequence[str] | None,
    time_unit: str,
    sort: bool,
    sample_rate: Any,
    start: Any,
) -> Series:
    """:func:`prepare` with ``sample_rate``: no time column, the times computed."""
    rate = check_sample_rate(sample_rate)
    if sort:
        raise DataError(
            f"sort=True with sample_rate={rate!r}: evenly sampled data is in order by "
            "construction, so there is nothing to sort; drop sort=True (or give the times as a "
            "column and drop sample_rate= to sort by them)"
        )
    if time is not None and not isinstance(time, str):
        raise TsvTypeError(f"time must be a column name (str) or None, got {time!r}")
    if isinstance(data, Mapping):
        _check_columns(pd.Index(list(data.keys()), dtype=object))
        names = list(data) if channels is None else _channel_list(channels)
        if not names:
            raise DataError("the dict holds no arrays: pass {'name': array, ...}, one per channel")
        columns: Sequence[Any] = list(data)
    else:
        df = as_frame(data)
        _check_columns(df.columns)
        columns = list(df.columns)
    if time is not None and time in columns:
        raise DataError(
            f"the data has a time column {time!r} and sample_rate={rate!r} Hz places the "
            f"samples too: drop one. Drop sample_rate= (and start=) to use the column, or drop "
            f"the column (df.drop(columns={time!r}), or leave it out of the dict) and pass "
            "time=None to use the rate"
        )
    if isinstance(data, Mapping):
        values = _even_arrays(data, names)
        index: pd.Index = pd.RangeIndex(values[0].shape[0])
    else:
        if channels is None:
            names = [str(c) for c in df.columns if _is_channel_dtype(df[c].dtype)]
            if not names:
                raise DataError(
                    f"no numeric columns to plot (columns: {list(map(str, df.columns))}); "
                    "pass channels=[...] naming numeric columns"
                )
        else:
            names = _channel_list(channels)
        for c in names:
            _check_channel(df, c, None)
        values = [_channel_array(df[c]) for c in names]
        index = df.index
    n = int(values[0].shape[0])
    if n == 0:
        raise DataError("the data has no rows: at least one sample is needed")
    return even_series(n, names, values, index, rate, start, time_unit)


def _is_channel_dtype(dtype: Any) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _even_arrays(data: Mapping[str, Any], names: list[str]) -> list[np.ndarray]:
    """The named dict entries as 1-D numeric arrays of one length, each the caller's own memory."""
    values: list[np.ndarray] = []
    for c in names:
        if c not in data:
            raise DataError(f"channel {c!r} is not in the dict; its keys are: {list(data)}")
        arr = np.asarray(data[c])  # a view for every ndarray (np.memmap included): no copy
        if arr.ndim != 1:
            raise DataError(f"channel {c!r} has shape {arr.shape}: each must be a 1-D array")
        _check_dtype(c, arr.dtype)
        if values and arr.shape[0] != values[0].shape[0]:
            raise DataError(
                f"channel {c!r} has {arr.shape[0]} samples but {names[0]!r} has "
                f"{values[0].shape[0]}: every channel needs one value per sample"
            )
        values.append(arr)
    return values
