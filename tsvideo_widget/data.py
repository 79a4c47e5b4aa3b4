"""Loading and validating the time series.

``prepare(data, time=..., channels=...)`` turns a DataFrame, a CSV/Parquet
path or URL, or a dict of 1-D arrays into a :class:`Series`: relative time in
float64 seconds plus one array per channel. Channel arrays are the caller's
own memory wherever the dtype allows (no copy), because inputs are often
hundreds of megabytes.

Every problem is reported with the column, row or path at fault and what would
work instead; nothing is dropped, reordered or rounded silently.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

# Seconds per unit for numeric time columns.
TIME_UNITS: dict[str, float] = {
    "ns": 1e-9,
    "us": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "min": 60.0,
    "h": 3600.0,
}

TimeKind = Literal["numeric", "datetime"]


class DataError(ValueError):
    """Raised for a time series the widget cannot show; the message says why and what works."""


@dataclass(frozen=True)
class Series:
    """A validated time series ready for decimation.

    Time is kept as the caller stored it, without a copy where possible (a
    float64 column, or datetime64[ns]): ``key`` holds float64 numbers in
    ``unit``, or int64 ticks since the epoch (UTC) for datetimes, in the
    column's own resolution (seconds per tick: ``key_scale``).
    Seconds since the first sample are computed for the few samples that are
    drawn (:meth:`rel_at`), never for the whole column.

    Attributes:
        key: the time column as sorted float64 (numeric) or int64 ticks (datetime), no NaN.
        channels: channel (column) names, in display order.
        values: one 1-D array per channel, same length as ``key``; NaN marks a gap.
        kind: "numeric" for numbers in ``unit``, "datetime" for timestamps.
        unit: the time column's unit for numeric time ("s", "ms", ...).
        t0: first time in the column's own terms (float, or pandas Timestamp).
        tz: time zone name of datetime data, or None (naive or numeric).
        time_name: the time column's name ("index" when the index was used).
        index: the rows' index labels, in the order of ``key`` (after sort=True).
    """

    key: np.ndarray
    channels: list[str]
    values: list[np.ndarray]
    kind: TimeKind
    unit: str
    t0: Any
    tz: str | None
    time_name: str
    index: pd.Index
    key_scale: float = 1.0
    """Seconds per unit of ``key``."""

    @property
    def n(self) -> int:
        """Number of samples (rows)."""
        return int(self.key.shape[0])

    @property
    def span(self) -> float:
        """Seconds from the first to the last sample."""
        return float(self.rel_at(self.n - 1)) if self.n else 0.0

    @property
    def unit_seconds(self) -> float:
        """Seconds per unit of a numeric time column (1.0 for datetimes)."""
        return TIME_UNITS[self.unit] if self.kind == "numeric" else 1.0

    def own(self, t: Any) -> Any:
        """``t`` as the column's own type (float, or Timestamp in the data's zone), unrounded."""
        if self.kind == "numeric":
            if isinstance(t, (pd.Timestamp, np.datetime64, str)) or hasattr(t, "tzinfo"):
                raise TypeError(
                    f"time {t!r} is not a number, but the time column {self.time_name!r} "
                    f"holds numbers in {self.unit!r}: pass a number"
                )
            return float(t)
        return _to_timestamp(t, self.tz, self.time_name)

    def to_rel(self, t: Any) -> float:
        """Convert a time in the column's own terms to seconds since t0."""
        v = self.own(t)
        if self.kind == "numeric":
            return (v - float(self.t0)) * self.unit_seconds
        return float((v - self.t0) / pd.Timedelta(seconds=1))

    def from_rel(self, rel: float) -> Any:
        """Convert seconds since t0 to the column's own terms (float or Timestamp)."""
        if self.kind == "numeric":
            return float(self.t0) + float(rel) / self.unit_seconds
        return self.t0 + pd.Timedelta(seconds=float(rel))

    def rel_at(self, idx: Any) -> Any:
        """Seconds since the first sample at row index (or index array, or slice) ``idx``."""
        v = self.key[idx]
        d = v - self.key[0]
        if isinstance(d, np.ndarray):
            return d.astype(np.float64) * self.key_scale
        return float(d) * self.key_scale

    def key_threshold(self, rel: Any) -> np.ndarray:
        """Key values at relative seconds ``rel`` (scalar or array), in the key's own dtype.

        A row is at or after ``rel`` exactly when ``key >= key_threshold(rel)``.
        Integer ticks round up, so the comparison stays in int64: comparing an
        int64 column with a float would make numpy convert the whole column.
        """
        d = np.asarray(rel, dtype=np.float64) / self.key_scale
        if self.key.dtype.kind in "iu":
            return self.key[0] + np.ceil(d - _tick_slack(d)).astype(self.key.dtype)
        return (self.key[0] + d).astype(self.key.dtype)

    def indices_at_rel(self, rel: Any) -> np.ndarray:
        """First row at or after each relative time in ``rel`` (int64 array, binary search)."""
        return np.searchsorted(self.key, self.key_threshold(rel), side="left").astype(np.int64)

    def sample_index(self, rel: float, side: Literal["left", "right"] = "left") -> int:
        """Row index where relative time ``rel`` would be inserted (binary search).

        ``left``: the first row at or after ``rel``; ``right``: the first row after it.
        """
        if side == "left":
            return int(self.indices_at_rel(rel))
        d = float(rel) / self.key_scale
        if self.key.dtype.kind in "iu":
            thr = self.key[0] + np.asarray(math.floor(d + _tick_slack(d)), dtype=self.key.dtype)
        else:
            thr = np.asarray(self.key[0] + d, dtype=self.key.dtype)
        return int(np.searchsorted(self.key, thr, side="right"))

    def index_of(self, t: Any, side: Literal["left", "right"] = "left") -> int:
        """Row index where time ``t`` (the column's own terms) would be inserted, exactly."""
        v = self.own(t)
        if self.kind == "numeric":
            return int(np.searchsorted(self.key, v, side=side))
        # Integer ticks: the first tick at or after t (left), the last at or before t (right).
        ns, per = int(v.value), round(self.key_scale * 1e9)
        k = -(-ns // per) if side == "left" else ns // per
        return int(np.searchsorted(self.key, k, side=side))


def _tick_slack(d: Any) -> Any:
    """How far a tick count computed from float seconds may be off a whole tick.

    Seconds since t0 are float64, so a time that was a whole number of ticks
    comes back within a few ulps of it: treat that as the tick itself (so the
    last sample's own time still finds the last sample), never as the next one.
    """
    return 1e-6 + np.abs(d) * 1e-15


def _to_timestamp(t: Any, tz: str | None, name: str) -> pd.Timestamp:
    if isinstance(t, (int, float, np.number)) and not isinstance(t, bool):
        raise TypeError(
            f"time {t!r} is a number, but the time column {name!r} holds datetimes: "
            "pass a pandas Timestamp, a datetime or an ISO string"
        )
    ts = pd.Timestamp(t)
    if tz is None:
        if ts.tzinfo is not None:
            raise TypeError(f"time {t!r} has a time zone, but the time column {name!r} is naive")
        return ts
    if ts.tzinfo is None:
        return ts.tz_localize(tz)
    return ts.tz_convert(tz)


def _read_table(path: str) -> pd.DataFrame:
    """Read a CSV or Parquet file (local path or URL) into a DataFrame."""
    lower = path.lower().split("?")[0]
    is_url = "://" in path
    if not is_url and not os.path.exists(path):
        raise FileNotFoundError(
            f"data file {path!r} does not exist (looked in {os.getcwd()!r}); "
            "pass a DataFrame, a dict of arrays, or the path of a CSV or Parquet file"
        )
    if lower.endswith((".parquet", ".pq")):
        try:
            import pyarrow  # noqa: F401
        except ImportError as err:
            raise ImportError(
                f"reading {path!r} needs pyarrow: pip install pyarrow, or convert it to CSV"
            ) from err
        return pd.read_parquet(path)
    if lower.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
        sep = "\t" if lower.endswith(".tsv") else ","
        return pd.read_csv(path, sep=sep)
    raise DataError(
        f"cannot tell the format of {path!r} from its extension: "
        "use .csv, .tsv or .parquet, or read it yourself and pass a DataFrame"
    )


def _as_frame(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (str, os.PathLike)):
        return _read_table(os.fspath(data))
    if isinstance(data, Mapping):
        lengths = {}
        for k, v in data.items():
            arr = np.asarray(v)
            if arr.ndim != 1:
                raise DataError(
                    f"dict entry {k!r} has shape {arr.shape}: each entry must be a 1-D array"
                )
            lengths[k] = arr.shape[0]
        if len(set(lengths.values())) > 1:
            raise DataError(
                f"dict entries differ in length: {lengths}; every array must have one "
                "value per sample"
            )
        return pd.DataFrame({k: np.asarray(v) for k, v in data.items()}, copy=False)
    raise TypeError(
        f"data of type {type(data).__name__} is not supported: pass a pandas DataFrame, "
        "a path or URL of a CSV/Parquet file, or a dict of 1-D arrays"
    )


def _time_values(df: pd.DataFrame, time: str | None) -> tuple[pd.Series | pd.Index, str]:
    if time is None:
        return df.index, "index"
    if time not in df.columns:
        cols = ", ".join(repr(c) for c in list(df.columns)[:20])
        raise DataError(
            f"time column {time!r} not found; the columns are: {cols}. "
            "Pass time=<column name>, or time=None to use the index"
        )
    return df[time], str(time)


def _parse_datetimes(raw: pd.Series | pd.Index, name: str) -> pd.DatetimeIndex:
    """Parse strings or datetimes; mixed UTC offsets are converted to UTC."""
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return pd.DatetimeIndex(raw)  # a view: no parsing, no copy
    try:
        parsed = pd.to_datetime(raw, format="ISO8601") if _is_stringy(raw) else pd.to_datetime(raw)
    except (ValueError, TypeError) as err:
        if "offset" in str(err).lower() or "timezone" in str(err).lower():
            parsed = pd.to_datetime(raw, format="ISO8601", utc=True)
        else:
            raise DataError(
                f"time column {name!r} could not be read as datetimes ({err}); "
                "use ISO 8601 strings such as 2024-05-01T12:00:00.123456+02:00, or numbers "
                "with time_unit="
            ) from err
    # The column's own resolution is kept (pandas 3 often parses to microseconds):
    # converting to ns would copy hours of data for nothing.
    return pd.DatetimeIndex(parsed)


def _is_stringy(raw: pd.Series | pd.Index) -> bool:
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        first = next((v for v in raw if v is not None and v == v), None)
        return isinstance(first, str)
    return False


def _first_bad_row(mask: np.ndarray, labels: pd.Index) -> str:
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


def _first_step_back(key: np.ndarray) -> int:
    """Index of the first row earlier than the row before it, or -1."""
    for s in range(0, key.shape[0] - 1, _SCAN_ROWS):
        seg = key[s : s + _SCAN_ROWS + 1]
        back = seg[1:] < seg[:-1]
        if back.any():
            return s + int(np.argmax(back)) + 1
    return -1


def prepare(
    data: Any,
    time: str | None = "time",
    channels: Sequence[str] | None = None,
    time_unit: str = "s",
    sort: bool = False,
) -> Series:
    """Validate ``data`` and return a :class:`Series`.

    Args:
        data: DataFrame, CSV/Parquet path or URL, or dict of 1-D arrays.
        time: name of the time column, or None for the index.
        channels: columns to plot; default every numeric column but time.
        time_unit: unit of a numeric time column: "s", "ms", "us", "ns", "min" or "h".
        sort: sort the rows by time first (otherwise unsorted time is an error).

    Raises:
        DataError: a missing, unsorted, NaN or unparseable time column; a missing
            or non-numeric channel; no channels at all.
        FileNotFoundError: a data path that does not exist.
    """
    if time_unit not in TIME_UNITS:
        raise DataError(f"time_unit {time_unit!r} is not known; use one of {', '.join(TIME_UNITS)}")
    df = _as_frame(data)
    if len(df) == 0:
        raise DataError("the data has no rows: at least one sample is needed")
    raw_time, time_name = _time_values(df, time)

    if channels is None:
        chosen = [
            str(c)
            for c in df.columns
            if c != time
            and pd.api.types.is_numeric_dtype(df[c].dtype)
            and not pd.api.types.is_bool_dtype(df[c].dtype)
        ]
        if not chosen:
            raise DataError(
                f"no numeric columns to plot besides the time column {time_name!r} "
                f"(columns: {list(map(str, df.columns))}); pass channels=[...] naming numeric "
                "columns"
            )
    else:
        if isinstance(channels, str):
            raise TypeError(f"channels must be a list of column names, got the string {channels!r}")
        chosen = [str(c) for c in channels]
        if not chosen:
            raise DataError("channels=[] names no channel: name at least one numeric column")
        for c in chosen:
            if c not in df.columns:
                raise DataError(
                    f"channel {c!r} is not a column; the columns are: {list(map(str, df.columns))}"
                )
            if c == time:
                raise DataError(f"channel {c!r} is the time column; it cannot also be a channel")
            dtype = df[c].dtype
            if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
                raise DataError(
                    f"channel {c!r} has dtype {dtype}, not numbers; convert it with "
                    f"pd.to_numeric(df[{c!r}]) or leave it out of channels"
                )

    # Work out time as absolute float seconds / int64 ns, and check it.
    is_dt = pd.api.types.is_datetime64_any_dtype(raw_time.dtype) or _is_stringy(raw_time)
    labels = df.index
    if is_dt:
        idx = _parse_datetimes(raw_time, time_name)
        nat = np.asarray(idx.isna())
        if nat.any():
            raise DataError(
                f"time column {time_name!r} has a missing time (NaT) at "
                f"{_first_bad_row(nat, labels)}; drop or fill those rows first"
            )
        tz = str(idx.tz) if idx.tz is not None else None
        order_key: np.ndarray = idx.asi8  # UTC ticks, a view of the column
        key_scale = float(pd.Timedelta(1, unit=idx.unit) / pd.Timedelta(seconds=1))
        kind: TimeKind = "datetime"
    else:
        if not pd.api.types.is_numeric_dtype(raw_time.dtype) or pd.api.types.is_bool_dtype(
            raw_time.dtype
        ):
            raise DataError(
                f"time column {time_name!r} has dtype {raw_time.dtype}: use numbers (with "
                "time_unit=) or datetimes"
            )
        tv = np.asarray(raw_time, dtype=np.float64)
        i_bad = _first_nonfinite(tv)
        if i_bad >= 0:
            raise DataError(
                f"time column {time_name!r} has a missing or infinite time "
                f"({tv[i_bad]!r}) at row {i_bad} (index label {labels[i_bad]!r}); drop or fill "
                "those rows first"
            )
        order_key = tv
        key_scale = TIME_UNITS[time_unit]
        kind = "numeric"
        tz = None

    if order_key.shape[0] > 1:
        i = _first_step_back(order_key)
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
    else:
        t0 = float(order_key[0])
        unit = time_unit

    values = [_channel_array(df[c]) for c in chosen]
    return Series(
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
