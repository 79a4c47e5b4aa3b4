"""The label column: regions + series -> runs of equal label -> a Series or a Parquet file.

Every sample's label (see :func:`tsvideo_widget.regions.labels_per_sample` for
the rules) is computed once, as *runs*: maximal row ranges ``[start_row,
stop_row)`` of one label. Each region becomes a row range through two
:meth:`~tsvideo_widget.series.Series.index_of` lookups (a binary search of a
time column, or arithmetic for an evenly sampled series), and the ranges are
resolved by a sweep over their ends: the cost grows with the number of
regions, never with the number of samples, and no sample's time is computed.

The runs then become:

- a pandas Series of Python objects, one per row (:func:`to_series`): exact,
  but 8 bytes of pointer per row, so refused above :data:`MAX_ROWS_IN_MEMORY`
  rows with a :class:`~tsvideo_widget.errors.DataError` that says what works;
- a Parquet file (:func:`write_parquet`), written one row group of at most
  :data:`ROW_GROUP_ROWS` rows at a time, so its memory is that of one row
  group however long the recording;
- or stay runs (:func:`label_runs`), the compact exact form.
"""

from __future__ import annotations

import heapq
import itertools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError
from .filestore import replacing
from .series import Series

__all__ = [
    "COLUMN",
    "MAX_ROWS_IN_MEMORY",
    "ROW_GROUP_ROWS",
    "label_runs",
    "to_series",
    "write_parquet",
]

COLUMN = "label"
"""Name of the label column: of the Series and of the Parquet file's only column (str)."""

MAX_ROWS_IN_MEMORY = 50_000_000
"""Rows above which :func:`to_series` (``w.labels_per_sample()`` without ``path``)
refuses to build the column in memory (int, default 50 million: 400 MB of object
pointers). Read at every call, so it may be changed at run time."""

ROW_GROUP_ROWS = 4_000_000
"""Rows per row group of :func:`write_parquet` (int, default 4 million): the memory
of a write is that of one row group (about 2 bytes a row), whatever the length."""

_POINTER_BYTES = 8
"""Bytes of one row of an object column (a pointer; the label strings are shared)."""


def _runs(
    regions: Sequence[dict[str, Any]],
    series: Series,
    channel: str | None,
    names: Sequence[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The label runs: (start rows, stop rows, label codes), int64 arrays in row order.

    ``codes`` index ``names``. Runs are maximal: two runs next to each other
    have different labels (gaps, rows of no label, are not runs).
    """
    code_of = {name: i for i, name in enumerate(names)}
    # (exact start, list position, first row, stop row, code) of every region that counts.
    spans = []
    for pos, r in enumerate(regions):
        if r["end"] == r["start"]:
            continue  # a point event labels nothing
        if channel is not None and r["channel"] not in (None, channel):
            continue
        a = series.index_of(r["start"], "left")
        b = series.index_of(r["end"], "right")
        if a < b:
            spans.append((series.own(r["start"]), pos, a, b, code_of[r["label"]]))
    # Priority: the region that starts last wins, and of equal starts the later in the list.
    spans.sort(key=lambda s: (s[0], s[1]))
    by_row = sorted(range(len(spans)), key=lambda k: spans[k][2])
    cuts = sorted({s[2] for s in spans} | {s[3] for s in spans})
    starts: list[int] = []
    stops: list[int] = []
    codes: list[int] = []
    heap: list[tuple[int, int, int]] = []  # (-priority, stop row, code): the winner on top
    nxt = 0
    for lo, hi in itertools.pairwise(cuts):
        while nxt < len(by_row) and spans[by_row[nxt]][2] == lo:
            k = by_row[nxt]
            heapq.heappush(heap, (-k, spans[k][3], spans[k][4]))
            nxt += 1
        while heap and heap[0][1] <= lo:
            heapq.heappop(heap)  # ended: regions under the top are dropped when they surface
        if not heap:
            continue
        code = heap[0][2]
        if stops and stops[-1] == lo and codes[-1] == code:
            stops[-1] = hi
        else:
            starts.append(lo)
            stops.append(hi)
            codes.append(code)
    return (
        np.asarray(starts, dtype=np.int64),
        np.asarray(stops, dtype=np.int64),
        np.asarray(codes, dtype=np.int64),
    )


def _names(regions: Sequence[dict[str, Any]], labels: Sequence[str] | None) -> list[str]:
    """The label names in order: ``labels`` (the widget's), then any other region label
    in order of first appearance."""
    out = list(labels or [])
    seen = set(out)
    for r in regions:
        if r["label"] not in seen:
            seen.add(r["label"])
            out.append(r["label"])
    return out


def label_runs(
    regions: Sequence[dict[str, Any]], series: Series, channel: str | None = None
) -> pd.DataFrame:
    """Each maximal run of rows with one label: the exact, compact label column.

    Args:
        regions: the widget's regions (normalized: times in the column's own terms).
        series: the data they label.
        channel: only regions for this channel and those for all channels
            (channel None) count; None (default): every region counts.

    Returns:
        A DataFrame with one row per run, in row order: ``start_row`` and
        ``stop_row`` (int64 row positions in the series' order, stop
        exclusive) and ``label`` (str). Two consecutive runs that touch have
        different labels; rows in no run have no label. Row ``i`` is
        ``series.index[i]``. The rules are those of
        :func:`tsvideo_widget.regions.labels_per_sample`.
    """
    names = _names(regions, None)
    starts, stops, codes = _runs(regions, series, channel, names)
    labels = np.asarray(names, dtype=object)[codes] if len(codes) else []
    return pd.DataFrame(
        {
            "start_row": pd.Series(starts, dtype=np.int64),
            "stop_row": pd.Series(stops, dtype=np.int64),
            COLUMN: pd.Series(labels, dtype=str),
        }
    )


def _check_fits(n: int) -> None:
    limit = MAX_ROWS_IN_MEMORY
    if n > limit:
        gb = n * _POINTER_BYTES / 1e9
        raise DataError(
            f"labels_per_sample() would hold one Python object per row: {n:,} rows, about "
            f"{gb:,.1f} GB, more than the {limit:,} rows it builds in memory "
            "(tsvideo_widget.labelcolumn.MAX_ROWS_IN_MEMORY). Pass path='labels.parquet' to "
            "stream the column to a Parquet file one row group at a time, or use "
            "w.label_runs() for the same labels as runs (start_row, stop_row, label)"
        )


def to_series(
    regions: Sequence[dict[str, Any]],
    series: Series,
    index: pd.Index,
    channel: str | None = None,
) -> pd.Series:
    """Each row's label as a Series of Python objects (str, None outside every region).

    Args:
        regions: the widget's regions (normalized).
        series: the data they label.
        index: the Series' index (the data's row labels, ``series.n`` of them).
        channel: as for :func:`label_runs` (default None: every region counts).

    Returns:
        A Series named "label" of dtype object aligned with ``index``.

    Raises:
        DataError: ``series.n`` is above :data:`MAX_ROWS_IN_MEMORY`; the
            message says how much memory it would take and what works instead.
    """
    n = series.n
    _check_fits(n)
    names = _names(regions, None)
    starts, stops, codes = _runs(regions, series, channel, names)
    out = np.empty(n, dtype=object)  # an object array starts as None everywhere
    for a, b, c in zip(starts.tolist(), stops.tolist(), codes.tolist(), strict=True):
        out[a:b] = names[c]
    return pd.Series(out, index=index, name=COLUMN, dtype=object, copy=False)


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as err:
        raise ImportError(
            "writing the label column to Parquet needs pyarrow: pip install pyarrow "
            "(or use w.label_runs(), which needs nothing more)"
        ) from err
    return pa, pq


def _code_dtype(k: int) -> np.dtype:
    """The smallest signed integer type that indexes ``k`` names (Arrow's dictionary
    indices are signed)."""
    for dt in (np.int8, np.int16, np.int32):
        if k <= np.iinfo(dt).max + 1:
            return np.dtype(dt)
    return np.dtype(np.int64)


def _row_group(
    lo: int,
    hi: int,
    starts: np.ndarray,
    stops: np.ndarray,
    codes: np.ndarray,
    dtype: np.dtype,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``lo:hi`` as (codes, missing): the dictionary index of each row's label
    (0 where it has none) and whether it has none."""
    m = hi - lo
    code = np.zeros(m, dtype=dtype)
    missing = np.ones(m, dtype=bool)
    first = int(np.searchsorted(stops, lo, side="right"))  # the first run ending after lo
    last = int(np.searchsorted(starts, hi, side="left"))  # runs from here start at or after hi
    for a, b, c in zip(
        starts[first:last].tolist(),
        stops[first:last].tolist(),
        codes[first:last].tolist(),
        strict=True,
    ):
        a, b = max(a, lo) - lo, min(b, hi) - lo
        code[a:b] = c
        missing[a:b] = False
    return code, missing


def write_parquet(
    regions: Sequence[dict[str, Any]],
    series: Series,
    path: str | os.PathLike[str],
    channel: str | None = None,
    labels: Sequence[str] | None = None,
    *,
    row_group_rows: int | None = None,
) -> Path:
    """Write each row's label to a Parquet file, one row group at a time; returns its path.

    The file has one column, ``label``: an Arrow dictionary column (string
    names, the label names as its dictionary, null for rows outside every
    region), one value per row of the series in row order (the row number is
    the position; the data's time and index are not repeated).
    ``pd.read_parquet(path)["label"]`` reads it back as a categorical whose
    categories are the label names. Memory is that of one row group (about 2
    bytes a row), whatever the number of rows. Row groups carry no min/max
    statistics: computing them for a dictionary column would double the time
    of a write, and the label column of a recording compresses to a few
    hundred KB, quick to read whole.

    The file is written to a temporary file in the same folder
    (``.{name}.{pid}.{random}.tmp``), flushed to disk, then renamed over
    ``path``: a crash leaves the old file, or none, never half a file.

    Args:
        regions: the widget's regions (normalized).
        series: the data they label.
        path: where to write (str or PathLike; a symlink's target is replaced).
        channel: as for :func:`label_runs` (default None: every region counts).
        labels: the label names in the widget's order (the dictionary's order),
            or None (default: in order of first appearance among ``regions``).
            Region labels not in it are appended.
        row_group_rows: rows per row group (int > 0); default :data:`ROW_GROUP_ROWS`.

    Raises:
        ImportError: pyarrow is not installed (``pip install pyarrow``).
        TsvFileNotFoundError: the folder does not exist.
        OSError: the file system refused (an old file at ``path`` is untouched).
    """
    pa, pq = _pyarrow()
    group = ROW_GROUP_ROWS if row_group_rows is None else int(row_group_rows)
    if group <= 0:
        raise ValueError(f"row_group_rows must be a positive int, got {row_group_rows!r}")
    names = _names(regions, labels)
    starts, stops, codes = _runs(regions, series, channel, names)
    dtype = _code_dtype(len(names))
    dictionary = pa.array(names, type=pa.string())
    arrow_type = pa.dictionary(pa.from_numpy_dtype(dtype), pa.string())
    schema = pa.schema([pa.field(COLUMN, arrow_type)])
    n = series.n

    shown = os.fspath(path)
    with replacing(shown) as tmp, pq.ParquetWriter(tmp, schema, write_statistics=False) as writer:
        for lo in range(0, n, group):
            hi = min(n, lo + group)
            code, missing = _row_group(lo, hi, starts, stops, codes, dtype)
            column = pa.DictionaryArray.from_arrays(pa.array(code, mask=missing), dictionary)
            del code, missing
            writer.write_table(pa.Table.from_arrays([column], schema=schema), hi - lo)
        if n == 0:
            writer.write_table(schema.empty_table())
    return Path(shown)
