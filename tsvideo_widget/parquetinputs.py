"""Large Parquet files and datasets, read row group by row group, never whole.

A Parquet file (or a folder of them, read in name order as one table) holding
more than :data:`STREAM_ABOVE_BYTES` of the columns the widget needs is not
read into a DataFrame: its row groups are streamed, a batch at a time, into
local column files in the cache folder (:mod:`tsvideo_widget.sidecar`), and
the widget reads those memory-mapped. Smaller files are read whole, as before
(:mod:`tsvideo_widget.readers`).

Columns keep what ``pd.read_parquet`` would give them: integers stay integers
unless the file's statistics count nulls in them (then float64 with NaN, as
pandas does), floats keep their width with NaN for nulls, timestamps keep
their unit and zone (stored as int64 ticks). The pass also looks at the time
column: when it steps by one exact amount (integers and timestamps), the
column is not kept at all and the series is evenly sampled (``sample_rate``
and ``start`` from it), so a billion-row recording costs no 8 GB time array;
otherwise it is kept and checked as any time column is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError
from .pyrcache import default_cache_dir
from .series import TIME_UNITS
from .sidecar import Column, identity, materialize

__all__ = ["STREAM_ABOVE_BYTES", "is_big_parquet", "stream_parquet"]

STREAM_ABOVE_BYTES = 256 << 20
"""Uncompressed bytes (int) of a Parquet source above which it is streamed into
local column files instead of read whole into memory."""

BATCH_ROWS = 1 << 20
"""Rows per batch of the streaming pass (int): bounds the memory it holds."""


def _files(path: str) -> list[str]:
    """The Parquet files of ``path`` (a file, or a folder of them in name order)."""
    if os.path.isdir(path):
        found = sorted(
            os.path.join(root, f)
            for root, _dirs, names in os.walk(path)
            for f in names
            if f.endswith((".parquet", ".parq")) and not f.startswith((".", "_"))
        )
        if not found:
            raise DataError(f"the folder {path!r} holds no .parquet files")
        return found
    return [path]


def is_big_parquet(data: Any) -> bool:
    """True for a local Parquet file or folder too big to read whole (see the module)."""
    if not isinstance(data, (str, os.PathLike)):
        return False
    path = os.fspath(data)
    if "://" in path or not os.path.exists(path):
        return False
    if not (path.endswith((".parquet", ".parq")) or os.path.isdir(path)):
        return False
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return False
    try:
        files = _files(path)
    except DataError:
        return False
    total = 0
    for f in files:
        meta = pq.ParquetFile(f).metadata
        total += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if total > STREAM_ABOVE_BYTES:
            return True
    return False


@dataclass(frozen=True)
class _Plan:
    """What to read from each column and how to store it."""

    name: str
    dtype: np.dtype
    timestamp: tuple[str, str | None] | None  # (unit, tz) of a timestamp column


def _plan(files: list[str], time: str | None, channels: list[str] | None) -> list[_Plan]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(files[0])
    for f in files[1:]:
        other = pq.read_schema(f)
        if not other.equals(schema, check_metadata=False):
            raise DataError(
                f"{f!r} has columns {other.names} of types {[str(t) for t in other.types]}, "
                f"unlike {files[0]!r} ({schema.names}): every file of a dataset needs the same "
                "columns"
            )
    names = list(schema.names)
    if time is not None and time not in names:
        raise DataError(
            f"the Parquet data has no time column {time!r}; its columns are: {names}. Pass "
            "time='<column>', or time=None with sample_rate= for evenly sampled data"
        )
    if channels is None:
        chosen = [
            n
            for n in names
            if n != time
            and not n.startswith("__index_level_")
            and (
                pa.types.is_integer(schema.field(n).type)
                or pa.types.is_floating(schema.field(n).type)
            )
        ]
        if not chosen:
            raise DataError(f"the Parquet data has no numeric columns to plot: {names}")
    else:
        chosen = list(channels)
        missing = [c for c in chosen if c not in names]
        if missing:
            raise DataError(f"channel(s) {missing} are not columns; the columns are: {names}")
    nulls = _null_counts(files, [*([time] if time else []), *chosen])
    plans = []
    for n in [*([time] if time else []), *chosen]:
        t = schema.field(n).type
        if pa.types.is_timestamp(t):
            plans.append(_Plan(n, np.dtype(np.int64), (t.unit, t.tz)))
        elif pa.types.is_integer(t):
            dtype = np.dtype(np.float64) if nulls[n] else np.dtype(t.to_pandas_dtype())
            plans.append(_Plan(n, dtype, None))
        elif pa.types.is_floating(t):
            plans.append(_Plan(n, np.dtype(t.to_pandas_dtype()), None))
        else:
            raise DataError(
                f"column {n!r} has type {t}, which is not numbers or timestamps; leave it out of "
                "channels (or convert it: pc.cast) to stream this Parquet data"
            )
    return plans


def _numeric(t: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_integer(t) or pa.types.is_floating(t))


def _null_counts(files: list[str], names: list[str]) -> dict[str, int]:
    """Nulls per column from the files' statistics; a column without statistics counts as 1."""
    import pyarrow.parquet as pq

    out = dict.fromkeys(names, 0)
    for f in files:
        meta = pq.ParquetFile(f).metadata
        index = {meta.schema.column(i).name: i for i in range(meta.num_columns)}
        for g in range(meta.num_row_groups):
            rg = meta.row_group(g)
            for n in names:
                stats = rg.column(index[n]).statistics
                out[n] += stats.null_count if stats is not None and stats.has_null_count else 1
    return out


def stream_parquet(
    data: Any, time: str | None, channels: list[str] | None, time_unit: str, cache_dir: Any
) -> tuple[Any, str | None, float | None, Any]:
    """A big Parquet source as (data, time column or None, sample_rate, start).

    ``data`` is a dict of memory-mapped local column files when the series is
    evenly sampled (or ``time`` is None), else a DataFrame over them (a timestamp
    time column as datetimes over its int64 ticks, no copy). ``time_unit`` is the
    unit of a numeric time column. See the module's docstring.

    Raises:
        DataError: a missing time column or channel, a column that is not numbers or
            timestamps, files of a dataset with different columns, ``cache_dir=False``.
    """
    import pyarrow.parquet as pq

    from .source import Progress

    path = os.fspath(data)
    if cache_dir is False:
        raise DataError(
            f"{path!r} is too big to read whole (over {STREAM_ABOVE_BYTES >> 20} MB) and is "
            "streamed into local column files in the cache folder, but cache_dir=False keeps "
            "nothing on disk: pass cache_dir=None (the user's cache folder) or a folder"
        )
    files = _files(path)
    plans = _plan(files, time, channels)
    n = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    if n == 0:
        raise DataError(f"the Parquet data {path!r} has no rows: at least one sample is needed")
    names = [p.name for p in plans]
    even = _EvenCheck() if time is not None and plans[0].dtype.kind in "iu" else None

    def batches() -> Iterator[list[np.ndarray]]:
        for f in files:
            # pre_buffer=False: pyarrow pre-buffers by default and keeps every column chunk
            # read (2.3 GB after 1e8 rows x 3 columns); without it a pass holds one batch.
            reader = pq.ParquetFile(f, pre_buffer=False)
            for batch in reader.iter_batches(batch_size=BATCH_ROWS, columns=names):
                cols = [_numpy(batch.column(i), p) for i, p in enumerate(plans)]
                if even is not None:
                    even.feed(cols[0])
                yield cols

    def finish() -> tuple[set[str], dict[str, Any]]:
        if even is not None and even.step is not None and time is not None:
            return {time}, {"first": even.first, "step": even.step}
        return set(), {}

    where = {"time": time, "channels": names}
    group = identity("parquet", [], {"files": [os.path.realpath(f) for f in files], **where})
    version = identity("parquet", files, where)
    root = default_cache_dir() if cache_dir is None else Path(cache_dir)
    cols = [Column(p.name, p.dtype) for p in plans]
    with Progress(n * len(cols), True) as tick:

        def progress(k: int) -> None:
            if tick is not None:
                tick(k * len(cols))

        got = materialize(root, group, version, cols, n, batches, progress, finish)
    arrays: dict[str, Any] = dict(got.arrays)
    if time is None:
        return arrays, None, None, None
    plan = plans[0]
    if "step" in got.facts:
        first, step = int(got.facts["first"]), int(got.facts["step"])
        if plan.timestamp is not None:
            unit, tz = plan.timestamp
            per_s = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
            start = pd.Timestamp(first, unit=unit, tz="UTC")
            start = start.tz_convert(tz) if tz else start.tz_convert(None)
            return arrays, None, per_s / step, start
        return arrays, None, 1.0 / (step * TIME_UNITS[time_unit]), first
    if plan.timestamp is not None:
        unit, tz = plan.timestamp
        stamps = pd.Series(arrays[time].view(f"datetime64[{unit}]"), copy=False)
        arrays[time] = stamps.dt.tz_localize("UTC").dt.tz_convert(tz) if tz else stamps
    return pd.DataFrame(arrays, copy=False), time, None, None


def _numpy(col: Any, plan: _Plan) -> np.ndarray:
    """One batch of a column as numpy, in the planned dtype (nulls as NaN)."""
    import pyarrow as pa

    if plan.timestamp is not None:
        if col.null_count:
            raise DataError(f"the time column {plan.name!r} has missing times (nulls)")
        return np.asarray(col.cast(pa.int64()).to_numpy(zero_copy_only=False))
    arr = col.to_numpy(zero_copy_only=False)
    return np.asarray(arr, dtype=plan.dtype)


class _EvenCheck:
    """Whether an integer column steps by one exact positive amount, fed batch by batch."""

    def __init__(self) -> None:
        self.first: int | None = None
        self.last: int | None = None
        self.step: int | None = None
        self.ok = True

    def feed(self, v: np.ndarray) -> None:
        if not self.ok or v.shape[0] == 0:
            return
        v64 = v.astype(np.int64, copy=False)
        if self.first is None:
            self.first = int(v64[0])
        joined = v64 if self.last is None else np.r_[np.int64(self.last), v64]
        if joined.shape[0] >= 2:
            d = np.diff(joined)
            step = int(d[0]) if self.step is None else self.step
            if step <= 0 or not (d == step).all():
                self.ok, self.step = False, None
                return
            self.step = step
        self.last = int(v64[-1])
        if not self.ok:
            self.step = None
