"""The time column: finding it, parsing datetimes, and checking every row.

:func:`time_values` picks the column (or the index); :func:`holds_datetimes`
tells datetimes (datetime64, ISO 8601 strings, datetime objects) from numbers;
:func:`parse_datetimes` parses them without losing their resolution or mixing
naive with zoned times; :func:`numeric_key` turns numbers into an int64
(exact) or float64 key. The row scans that find the first missing, oversized
or out-of-order time (:func:`first_step_back`) work :data:`_SCAN_ROWS` rows at
a time, so a column of hundreds of megabytes is checked with temporaries of
about a megabyte. Every refusal names the row and its index label
(:func:`first_bad_row`).
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, cast

import numpy as np
import pandas as pd

from .errors import DataError, TsvTypeError
from .series import _INT64_MAX

__all__ = [
    "first_bad_row",
    "first_step_back",
    "holds_datetimes",
    "numeric_key",
    "parse_datetimes",
    "time_values",
]


def time_values(df: pd.DataFrame, time: str | None) -> tuple[pd.Series | pd.Index, str]:
    """The raw time values and the name to report them by.

    Args:
        df: the data.
        time: a column name, or None for the index (reported as "index").

    Raises:
        TsvTypeError: ``time`` is neither a str nor None.
        DataError: no column is named ``time``.
    """
    if time is None:
        return df.index, "index"
    if not isinstance(time, str):
        raise TsvTypeError(f"time must be a column name (str) or None for the index, got {time!r}")
    if time not in df.columns:
        cols = ", ".join(repr(c) for c in list(df.columns)[:20])
        raise DataError(
            f"time column {time!r} not found; the columns are: {cols}. "
            "Pass time=<column name>, or time=None to use the index"
        )
    return df[time], time


def holds_datetimes(raw: pd.Series | pd.Index) -> bool:
    """True if the time values are datetimes: datetime64, ISO strings or datetime objects."""
    return (
        pd.api.types.is_datetime64_any_dtype(raw.dtype)
        or _is_stringy(raw)
        or _holds_datetime_objects(raw)
    )


_OFFSET_RE = r"[T ]\d{2}(?::?\d{2}){0,2}(?:[.,]\d+)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)\s*$"
"""An ISO 8601 time that ends in a UTC offset ("...T12:00:00+02:00", "...T12:00Z")."""


def parse_datetimes(raw: pd.Series | pd.Index, name: str, labels: pd.Index) -> pd.DatetimeIndex:
    """Parse strings or datetime objects; mixed UTC offsets are converted to UTC.

    Times with an offset mixed with times without one are refused: a naive
    time cannot be placed in UTC without knowing its zone. A datetime64 column
    is returned as a view, in its own resolution; missing times come back as
    NaT for the caller to refuse.

    Raises:
        DataError: values that cannot be parsed, or naive and zoned times mixed
            (naming the first odd row, by position and ``labels``).
    """
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return pd.DatetimeIndex(raw)  # a view: no parsing, no copy
    stringy = _is_stringy(raw)
    fmt = "ISO8601" if stringy else None
    try:
        parsed = pd.to_datetime(raw, format=fmt)
    except (ValueError, TypeError) as err:
        text = str(err).lower()
        if not any(w in text for w in ("offset", "timezone", "tz-aware")):
            raise _unparseable(name, err) from err
        _check_all_or_none_aware(raw, stringy, name, labels)
        try:
            parsed = pd.to_datetime(raw, format=fmt, utc=True)
        except (ValueError, TypeError) as err2:
            raise _unparseable(name, err2) from err2
    # The column's own resolution is kept (pandas 3 often parses to microseconds):
    # converting to ns would copy hours of data for nothing.
    return pd.DatetimeIndex(parsed)


def _unparseable(name: str, err: Exception) -> DataError:
    return DataError(
        f"time column {name!r} could not be read as datetimes ({err}); "
        "use ISO 8601 strings such as 2024-05-01T12:00:00.123456+02:00, datetime objects, "
        "or numbers with time_unit="
    )


def _check_all_or_none_aware(
    raw: pd.Series | pd.Index, stringy: bool, name: str, labels: pd.Index
) -> None:
    missing = np.asarray(pd.isna(raw), dtype=bool)
    if stringy:
        aware = np.asarray(
            pd.Series(raw, copy=False).astype(str).str.contains(_OFFSET_RE, regex=True), dtype=bool
        )
    else:
        aware = np.array([_has_offset(v) for v in raw], dtype=bool)
    valid = ~missing
    if not valid.any():
        return
    first = int(np.argmax(valid))
    odd = valid & (aware != aware[first])
    if odd.any():
        i = int(np.argmax(odd))
        has = "has a UTC offset" if aware[i] else "has no UTC offset"
        raise DataError(
            f"time column {name!r} mixes times with and without a UTC offset: "
            f"{first_bad_row(odd, labels)} {has}, unlike row {first} ({_at(raw, first)!r}); "
            "a naive time cannot be placed in UTC without its zone. Give every time an offset "
            "(or none), e.g. localize the naive ones with .dt.tz_localize(zone)"
        )


def _at(raw: pd.Series | pd.Index, i: int) -> Any:
    """The value at position ``i`` (not label ``i``)."""
    return raw.iloc[i] if isinstance(raw, pd.Series) else raw[i]


def _has_offset(v: Any) -> bool:
    if isinstance(v, str):
        return re.search(_OFFSET_RE, v) is not None
    if isinstance(v, _dt.datetime):
        return v.tzinfo is not None and v.utcoffset() is not None
    return False


def _is_missing(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _first_valid(raw: pd.Series | pd.Index) -> Any:
    return next((v for v in raw if not _is_missing(v)), None)


def _is_stringy(raw: pd.Series | pd.Index) -> bool:
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        return isinstance(_first_valid(raw), str)
    return False


def _holds_datetime_objects(raw: pd.Series | pd.Index) -> bool:
    if raw.dtype == object:
        return isinstance(_first_valid(raw), (_dt.date, np.datetime64))
    return False


def first_bad_row(mask: np.ndarray, labels: pd.Index) -> str:
    """``"row i (index label ...)"`` for the first True of ``mask``, to name it in a message."""
    i = int(np.argmax(mask))
    return f"row {i} (index label {labels[i]!r})"


_SCAN_ROWS = 1 << 20
"""Rows checked per step: the checks' boolean temporaries stay about a megabyte."""


def _first_nonfinite(tv: np.ndarray) -> int:
    """Index of the first NaN or infinite value of ``tv``, or -1."""
    for s in range(0, tv.shape[0], _SCAN_ROWS):
        bad = ~np.isfinite(tv[s : s + _SCAN_ROWS])
        if bad.any():
            return s + int(np.argmax(bad))
    return -1


def _first_above_int64(tv: np.ndarray) -> int:
    """Index of the first uint64 value of ``tv`` above the largest int64, or -1."""
    top = np.uint64(_INT64_MAX)
    for s in range(0, tv.shape[0], _SCAN_ROWS):
        bad = tv[s : s + _SCAN_ROWS] > top
        if bad.any():
            return s + int(np.argmax(bad))
    return -1


def first_step_back(key: np.ndarray) -> int:
    """Index of the first row earlier than the row before it, or -1."""
    for s in range(0, key.shape[0] - 1, _SCAN_ROWS):
        seg = key[s : s + _SCAN_ROWS + 1]
        back = seg[1:] < seg[:-1]
        if back.any():
            return s + int(np.argmax(back)) + 1
    return -1


def numeric_key(raw: pd.Series | pd.Index, name: str, labels: pd.Index) -> np.ndarray:
    """A numeric time column as int64 (integer dtypes, exactly) or float64, checked for gaps.

    numpy int64 and float64 columns are returned without a copy; uint64 is viewed as
    int64 once no value exceeds the largest int64.

    Raises:
        DataError: durations, non-numeric, bool or complex values; a missing or
            infinite time; a uint64 above the largest int64.
    """
    dtype = raw.dtype
    if pd.api.types.is_timedelta64_dtype(dtype):
        unit = np.datetime_data(cast(Any, dtype))[0] if isinstance(dtype, np.dtype) else "ns"
        raise DataError(
            f"time column {name!r} holds durations ({dtype}); pass them as integers: "
            f"df[{name!r}] = df[{name!r}].astype('int64') with time_unit={unit!r}"
        )
    if (
        not pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_complex_dtype(dtype)
    ):
        raise DataError(
            f"time column {name!r} has dtype {dtype}: use real numbers (with time_unit=) or "
            "datetimes"
        )
    if isinstance(dtype, np.dtype):
        arr = np.asarray(raw)
    else:
        # Nullable (masked or Arrow-backed) numbers: a missing value is a missing time.
        na = np.asarray(raw.isna(), dtype=bool)
        if na.any():
            raise DataError(
                f"time column {name!r} has a missing time (<NA>) at {first_bad_row(na, labels)}; "
                "drop or fill those rows first"
            )
        arr = raw.to_numpy(dtype=getattr(dtype, "numpy_dtype", np.float64))
    if arr.dtype.kind in "iu":
        if arr.dtype == np.int64:
            return arr
        if arr.dtype == np.uint64:
            i = _first_above_int64(arr)
            if i >= 0:
                raise DataError(
                    f"time column {name!r} holds {int(arr[i])} at row {i} (index label "
                    f"{labels[i]!r}), above the largest int64 ({_INT64_MAX}); subtract an "
                    f"offset first, e.g. df[{name!r}] = (df[{name!r}] - df[{name!r}].min())"
                    ".astype('int64')"
                )
            return arr.view(np.int64)  # the same values, no copy
        return arr.astype(np.int64)
    tv = np.asarray(arr, dtype=np.float64)
    i_bad = _first_nonfinite(tv)
    if i_bad >= 0:
        raise DataError(
            f"time column {name!r} has a missing or infinite time "
            f"({tv[i_bad]!r}) at row {i_bad} (index label {labels[i_bad]!r}); drop or fill "
            "those rows first"
        )
    return tv
