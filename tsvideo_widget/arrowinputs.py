"""Arrow-backed tables (pyarrow, polars) as the pandas DataFrame :func:`~.readers.as_frame` returns.

:func:`arrow_frame` takes a pyarrow ``Table`` or ``RecordBatch``, or a polars
``DataFrame`` or ``LazyFrame``, and returns a DataFrame whose columns are,
wherever the memory allows, views of the table's own buffers:

* a number column (8 to 64 bit integers, float16, float32, float64) with no
  nulls, in one chunk, is a read-only numpy view of the Arrow buffer: no byte
  is copied, and :mod:`tsvideo_widget.data` hands that same memory to the widget;
* a timestamp column with no nulls, in one chunk, is a view too, as
  ``datetime64[unit]`` or ``datetime64[unit, zone]``: the unit (s, ms, us, ns)
  and the zone are kept, so it is the column pandas would hold, to the tick;
* a column in several chunks is concatenated once (one copy of that column);
* a number column with nulls becomes a float column with NaN where the nulls
  are (one copy): integers as float64, floats in their own width, the very
  column ``table.to_pandas()`` and ``pd.read_parquet`` give (a float32 column
  keeps 4 bytes a row). As a time column it is refused, naming the first
  missing row;
* anything else (strings, booleans, dates, durations, ...) becomes what pandas
  itself makes of it, so the checks of :mod:`tsvideo_widget.data` and
  :mod:`tsvideo_widget.timecol` refuse or parse it as they would a DataFrame's,
  naming the column and row at fault.

A pyarrow table is converted by ``table.to_pandas(split_blocks=True)``, so one
that carries pandas metadata (``pa.Table.from_pandas``) gets its pandas index
back. A polars frame is converted column by column, its temporal columns
through their physical integers. A LazyFrame is collected first
(``collect(engine="streaming")`` where the installed polars has that engine):
one that only reads an in-memory DataFrame shares its buffers, while computed
columns arrive in many chunks and are concatenated once.

This module imports neither library until one of its objects is given: the
type is told by its module's name (:func:`is_arrow_backed`), so importing
:mod:`tsvideo_widget` never imports polars (pandas itself imports pyarrow when
it is installed). The views are read-only: nothing in the widget writes to
channel memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, TsvTypeError

__all__ = ["arrow_frame", "is_arrow_backed"]

_ROOTS = ("pyarrow", "polars")
"""Top-level module names of the libraries whose objects :func:`arrow_frame` takes."""

# polars dtype class names of the number columns numpy holds as they are.
_POLARS_NUMBERS = frozenset(
    {
        "Int8",
        "Int16",
        "Int32",
        "Int64",
        "UInt8",
        "UInt16",
        "UInt32",
        "UInt64",
        "Float16",
        "Float32",
        "Float64",
    }
)
_POLARS_FLOATS = frozenset({"Float16", "Float32", "Float64"})
"""polars float dtype names: with nulls they keep their width (NaN marks the nulls)."""
# polars dtypes whose to_numpy() is a plain 1-D array pandas reads as pandas would
# (other kinds, such as lists, structs, decimals, times of day and 128-bit integers, become
# Python objects, as pandas holds them).
_POLARS_PLAIN = frozenset({"String", "Utf8", "Categorical", "Enum", "Boolean"})
_NAT = int(np.iinfo(np.int64).min)
"""The int64 that numpy and pandas read as NaT (a missing datetime or duration)."""


def _library(data: Any) -> str | None:
    """The library of ``data``'s type (or of a base of it): "pyarrow", "polars" or None."""
    for cls in type(data).__mro__:
        root = (getattr(cls, "__module__", None) or "").split(".", 1)[0]
        if root in _ROOTS:
            return root
    return None


def _kind(data: Any) -> str:
    """The class name of ``data`` in its library (the first base of its type from it)."""
    for cls in type(data).__mro__:
        if (getattr(cls, "__module__", None) or "").split(".", 1)[0] in _ROOTS:
            return str(cls.__name__)
    return type(data).__name__


def is_arrow_backed(data: Any) -> bool:
    """True if ``data`` is an object of pyarrow or polars (a table or not), told by module name.

    Neither library is imported: an object of theirs can only exist once its
    library is. :func:`arrow_frame` then converts it or says what to pass instead.
    """
    return _library(data) is not None


def arrow_frame(data: Any) -> pd.DataFrame:
    """A pyarrow Table/RecordBatch or polars DataFrame/LazyFrame as a pandas DataFrame.

    Number and timestamp columns without nulls in a single chunk are views of
    the table's buffers (no copy); chunked columns are concatenated once;
    number columns with nulls become float columns with NaN gaps (integers as
    float64, floats in their own width), as ``table.to_pandas()`` makes them.
    See the module docstring for every kind of column. Column names and order
    are kept; the index is a RangeIndex (or, for a pyarrow table with pandas
    metadata, the pandas index it carries).

    Args:
        data: a ``pyarrow.Table``, a ``pyarrow.RecordBatch``, a
            ``polars.DataFrame``, or a ``polars.LazyFrame`` (collected here:
            ``collect(engine="streaming")``, or ``collect()`` on a polars
            without that engine).

    Raises:
        TsvTypeError: another pyarrow or polars object (a Series, an Array, a
            ChunkedArray, a RecordBatchReader, a Dataset, an expression, ...),
            naming what to pass instead.
        DataError: a LazyFrame whose query fails when collected.
    """
    lib, kind = _library(data), _kind(data)
    if lib == "polars":
        if kind == "LazyFrame":
            return _polars_frame(_collect(data))
        if kind == "DataFrame":
            return _polars_frame(data)
    elif lib == "pyarrow":
        import pyarrow as pa

        if isinstance(data, pa.RecordBatch):
            return _pyarrow_frame(pa.Table.from_batches([data]))  # no copy
        if isinstance(data, pa.Table):
            return _pyarrow_frame(data)
    raise TsvTypeError(_unsupported(lib, kind))


def _unsupported(lib: str | None, kind: str) -> str:
    """Why a pyarrow or polars object of class ``kind`` is refused, and what to pass instead."""
    hints = {
        ("polars", "Series"): (
            "a Series is one column: pass a DataFrame holding the time column and the "
            "channels, e.g. pl.DataFrame({'time': t, 'value': s}) or s.to_frame()"
        ),
        ("polars", "Expr"): "an expression is not data: select it into a DataFrame first",
        ("pyarrow", "ChunkedArray"): (
            "an array is one column: pass a table holding the time column and the channels, "
            "e.g. pa.table({'time': t, 'value': arr})"
        ),
        ("pyarrow", "RecordBatchReader"): "read it into a table first: reader.read_all()",
        ("pyarrow", "Dataset"): "read it into a table first: dataset.to_table()",
        ("pyarrow", "FileSystemDataset"): "read it into a table first: dataset.to_table()",
    }
    hint = hints.get((lib or "", kind))
    if hint is None and lib == "pyarrow" and kind.endswith("Array"):
        hint = hints[("pyarrow", "ChunkedArray")]
    if hint is None and lib == "polars" and "GroupBy" in kind:
        hint = "aggregate it into a DataFrame first: .agg(...)"
    what = (
        "a polars DataFrame or LazyFrame" if lib == "polars" else "a pyarrow Table or RecordBatch"
    )
    return (
        f"data of type {lib}.{kind} is not supported: pass {what}"
        + (f" ({hint})" if hint else "")
        + ", a pandas DataFrame, a path or URL of a CSV/Parquet file, or a dict of 1-D arrays"
    )


def _collect(lf: Any) -> Any:
    """A polars LazyFrame's result, by the streaming engine where this polars has one."""
    from polars.exceptions import PolarsError

    try:
        try:
            return lf.collect(engine="streaming")
        except (TypeError, ValueError):
            # A polars without the engine argument (TypeError) or without the
            # streaming engine (ValueError): its default engine.
            return lf.collect()
    except PolarsError as err:
        raise DataError(
            f"the polars LazyFrame could not be collected ({type(err).__name__}: {err}); "
            "fix the query, or collect it yourself (lf.collect()) and pass the DataFrame"
        ) from err


def _pyarrow_frame(table: Any) -> pd.DataFrame:
    """A pyarrow Table as a DataFrame: ``table.to_pandas()``, each column a view where it can be.

    ``split_blocks`` gives each column its own pandas block, so a number or
    timestamp column without nulls in one chunk stays a view of its Arrow
    buffer instead of being copied into a 2-D block; ``self_destruct`` would
    free the caller's table, so never.
    """
    import pyarrow as pa

    try:
        return table.to_pandas(split_blocks=True, self_destruct=False)
    except (pa.ArrowException, ValueError, TypeError) as err:
        raise _unconvertible(table, err) from err


def _unconvertible(table: Any, err: Exception) -> DataError:
    """The DataError for a table pandas cannot hold, naming the first column at fault."""
    import pyarrow as pa

    for name, col in zip(table.column_names, table.columns, strict=True):
        try:
            col.to_pandas()
        except (pa.ArrowException, ValueError, TypeError) as col_err:
            return DataError(
                f"column {name!r} ({col.type}) cannot be converted to pandas ({col_err}); "
                f"drop it first: table.drop_columns([{name!r}]), or select the columns to "
                "plot: table.select([...])"
            )
    return DataError(
        f"the table cannot be converted to pandas ({err}); select the columns to plot "
        "first: table.select([...])"
    )


def _polars_frame(df: Any) -> pd.DataFrame:
    """A polars DataFrame as a pandas DataFrame: views where possible (see the module docstring).

    ``copy=False`` keeps one pandas block per column, so no column is
    consolidated into a copy (polars column names are unique strings).
    """
    cols = {str(s.name): _polars_column(s) for s in df.get_columns()}
    return pd.DataFrame(cols, index=pd.RangeIndex(df.height), copy=False)


def _polars_column(s: Any) -> Any:
    """One polars Series as a numpy array or pandas array/Series (a view where possible)."""
    name = type(s.dtype).__name__ if not isinstance(s.dtype, type) else s.dtype.__name__
    if name in _POLARS_NUMBERS:
        # A view of one chunk without nulls; several chunks are concatenated once; nulls
        # become NaN (a copy), integers then as float64, as pyarrow's to_pandas() makes them.
        values = s.to_numpy()
        if s.null_count() and name not in _POLARS_FLOATS:
            values = values.astype(np.float64, copy=False)
        return values
    if name in ("Datetime", "Duration", "Date"):
        ticks = _polars_ticks(s)
        if name == "Duration":
            return ticks.view(f"timedelta64[{s.dtype.time_unit}]")
        if name == "Date":
            return ticks.view("datetime64[D]")
        unit: Any = s.dtype.time_unit  # "ms", "us" or "ns"
        zone = s.dtype.time_zone
        if zone is None:
            return pd.Series(ticks.view(f"datetime64[{unit}]"), copy=False)
        # Integers under a zoned dtype are UTC ticks: the zone is attached, nothing is moved.
        return pd.Series(ticks, dtype=pd.DatetimeTZDtype(unit, zone), copy=False)
    if name in _POLARS_PLAIN:
        return s.to_numpy()
    return pd.Series(s.to_list(), dtype=object)  # Python objects, one per row (lists stay 1-D)


def _polars_ticks(s: Any) -> np.ndarray:
    """A polars Datetime, Duration or Date column's ticks as int64 (days for a Date).

    Read through the physical integers, not ``to_numpy()`` of the temporal
    column (which crashes polars 1.0 under numpy 2): a view of one chunk
    without nulls (a Date's int32 days are widened: a copy); nulls become the
    NaT integer (a copy).
    """
    import polars as pl

    ticks = s.to_physical()
    if s.null_count():
        ticks = ticks.cast(pl.Int64).fill_null(_NAT)
    out: np.ndarray = ticks.to_numpy()
    return out if out.dtype == np.int64 else out.astype(np.int64)
