"""polars LazyFrames bigger than memory, streamed batch by batch into local column files.

A LazyFrame whose result would take more than
:data:`~tsvideo_widget.parquetinputs.STREAM_ABOVE_BYTES` (rows x the bytes of the
columns the widget needs) is not collected into memory: one pass counts its rows
and the nulls of its integer columns (so each column's dtype is known before a
byte is written, the one ``collect()`` would give), and a second runs the query
with ``collect_batches()`` and writes each batch into local column files in the
cache folder (:mod:`tsvideo_widget.sidecar`). A query is not a file, so the
columns are not looked up again by a later open: each open runs the query again
(and replaces the previous copy). To open the same data fast again, give the
Parquet path itself (its columns are kept by the files' identity). Smaller
LazyFrames are collected as before (:mod:`tsvideo_widget.arrowinputs`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError
from .pyrcache import default_cache_dir
from .sidecar import Column, identity, materialize

__all__ = ["is_big_lazyframe", "stream_lazyframe"]


def _is_lazyframe(data: Any) -> bool:
    return any(
        c.__module__.split(".")[0] == "polars" and c.__name__ == "LazyFrame"
        for c in type(data).__mro__
    )


def _numeric(dtype: Any) -> bool:
    return bool(dtype.is_numeric()) and not dtype.is_decimal()


def is_big_lazyframe(data: Any) -> bool:
    """True for a polars LazyFrame whose numeric and datetime columns exceed the threshold.

    Counts its rows (cheap for a file scan: polars reads the metadata).
    """
    if not _is_lazyframe(data):
        return False
    import polars as pl

    from . import parquetinputs

    schema = data.collect_schema()
    # At most 8 bytes a value: a bound is all the threshold needs.
    width = 8 * sum(1 for t in schema.values() if _numeric(t) or isinstance(t, pl.Datetime))
    rows = int(data.select(pl.len()).collect().item())
    return rows * width > parquetinputs.STREAM_ABOVE_BYTES


def stream_lazyframe(
    lf: Any, time: str | None, channels: list[str] | None, cache_dir: Any
) -> pd.DataFrame | dict[str, np.ndarray]:
    """The LazyFrame's time column and channels as local memory-mapped columns.

    A dict of arrays when ``time`` is None, else a DataFrame over them (a Datetime
    time column as datetimes over its int64 ticks, zone kept; no copy).

    Raises:
        DataError: a missing time column or channel, a channel that is not numbers,
            ``cache_dir=False``.
    """
    import polars as pl

    if cache_dir is False:
        raise DataError(
            "the LazyFrame's result is too big for memory and is streamed into local column "
            "files in the cache folder, but cache_dir=False keeps nothing on disk: pass "
            "cache_dir=None (the user's cache folder) or a folder"
        )
    schema = lf.collect_schema()
    names = list(schema)
    if time is not None and time not in schema:
        raise DataError(f"the LazyFrame has no time column {time!r}; its columns are: {names}")
    chosen = (
        [c for c in names if c != time and _numeric(schema[c])]
        if channels is None
        else list(channels)
    )
    for c in chosen:
        if c not in schema:
            raise DataError(f"channel {c!r} is not a column; the columns are: {names}")
        if not _numeric(schema[c]):
            raise DataError(f"channel {c!r} has dtype {schema[c]}, not numbers")
    wanted = [*([time] if time else []), *chosen]
    counts = lf.select(
        [pl.len().alias("__rows__"), *[pl.col(c).null_count().alias(c) for c in wanted]]
    ).collect(engine="streaming")
    n = int(counts["__rows__"][0])
    if n == 0:
        raise DataError("the LazyFrame has no rows: at least one sample is needed")
    cols, casts, zone, unit = [], [], None, "ns"
    for c in wanted:
        t = schema[c]
        if isinstance(t, pl.Datetime):
            if int(counts[c][0]):
                raise DataError(f"the time column {c!r} has missing times (nulls)")
            cols.append(Column(c, np.dtype(np.int64)))
            casts.append(pl.col(c).to_physical())  # ticks in its own unit, as collect() keeps
            zone, unit = t.time_zone, t.time_unit
        elif t.is_integer() and int(counts[c][0]):
            cols.append(Column(c, np.dtype(np.float64)))
            casts.append(pl.col(c).cast(pl.Float64))
        else:
            cols.append(Column(c, np.dtype(pl.Series(dtype=t).to_numpy().dtype)))
            casts.append(pl.col(c))
    query = lf.select(casts)

    def batches() -> Iterator[list[np.ndarray]]:
        for batch in query.collect_batches():
            yield [batch[c].to_numpy() for c in wanted]

    from .source import Progress

    root = default_cache_dir() if cache_dir is None else Path(cache_dir)
    group = identity("lazyframe", [], {"plan": lf.explain(optimized=False), "cols": wanted})
    with Progress(n * len(cols), True) as tick:

        def progress(k: int) -> None:
            if tick is not None:
                tick(k * len(cols))

        got = materialize(root, group, uuid.uuid4().hex, cols, n, batches, progress).arrays
    arrays: dict[str, Any] = dict(got)
    if time is None:
        return arrays
    if isinstance(schema[time], pl.Datetime):
        stamps = pd.Series(arrays[time].view(f"datetime64[{unit}]"), copy=False)
        arrays[time] = stamps.dt.tz_localize("UTC").dt.tz_convert(zone) if zone else stamps
    return pd.DataFrame(arrays, copy=False)
