"""Zarr stores, xarray objects and dask arrays as the widget's data.

:func:`resolve` turns such a source into what :func:`tsvideo_widget.data.prepare`
takes (a dict of 1-D arrays, the time column's name, ``sample_rate`` and
``start``), without reading it into memory:

- numpy-backed xarray objects give their own arrays (no copy);
- chunked sources (a ``zarr.Array`` or ``zarr.Group``, a path to a ``.zarr``
  store, dask arrays, dask-backed xarray objects) are streamed once into local
  column files (:mod:`tsvideo_widget.sidecar`) and read memory-mapped. Dask
  computes the chunks with whatever scheduler is active: the user's
  ``dask.distributed`` client when one is, else dask's threads.

Time: an xarray dimension coordinate with a regular step (datetimes and integers
exactly; floats when the evenly sampled times give back every value bit for bit)
becomes ``sample_rate`` and
``start``, so no time array is kept; an irregular one becomes the time column
(named after the coordinate). An explicit ``sample_rate=`` wins over the
coordinate. Zarr arrays and dask arrays have no times: pass ``sample_rate=``.
Lazily imported: neither zarr, xarray nor dask is a dependency of the widget.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, TsvTypeError
from .evenseries import even_series
from .pyrcache import default_cache_dir
from .series import TIME_UNITS
from .sidecar import Column, identity, materialize

__all__ = ["Resolved", "is_lazy", "resolve"]

BATCH_BYTES = 64 << 20
"""Bytes of source read per step of a streaming pass (int): chunks are read in
batches of about this size, so zarr and dask decode several at once."""


@dataclass(frozen=True)
class Resolved:
    """A lazy source as :func:`tsvideo_widget.data.prepare` takes it.

    Attributes:
        data: dict name -> 1-D array (numpy or memory-mapped).
        time: the time column's name in ``data``, or None (evenly sampled).
        sample_rate: samples per second from a regular coordinate, or the caller's.
        start: the first sample's time from a regular coordinate, or the caller's.
    """

    data: dict[str, np.ndarray]
    time: str | None
    sample_rate: float | None
    start: Any


def _module(obj: Any) -> str:
    return type(obj).__module__.split(".")[0]


def is_lazy(data: Any) -> bool:
    """True for the sources this module reads: zarr, xarray and dask objects, ``.zarr`` paths."""
    if isinstance(data, (str, os.PathLike)):
        return os.fspath(data).rstrip("/\\").endswith(".zarr")
    return _module(data) in ("zarr", "xarray", "dask")


def resolve(
    data: Any,
    time: str | None,
    sample_rate: float | None,
    start: Any,
    time_unit: str,
    cache_dir: Any,
) -> Resolved:
    """``data`` as arrays plus time information (see the module's docstring).

    Args:
        data: a zarr Array/Group, a ``.zarr`` path, an xarray DataArray/Dataset or a
            dask array (1-D, or 2-D with samples along the first axis).
        time: the caller's ``time`` (only the default "time" or None are meaningful:
            the time comes from the source's coordinate).
        sample_rate: the caller's ``sample_rate`` (float Hz) or None.
        start: the caller's ``start`` or None.
        time_unit: the unit of a numeric coordinate ("s", "ms", ...).
        cache_dir: the widget's checked ``cache_dir``: where chunked sources' column
            files go (None: the user's cache folder). False is refused for a chunked
            source: it must be read into local files.

    Raises:
        DataError: an array that is not 1-D or 2-D, channels of different lengths,
            no time and no ``sample_rate``, or a chunked source with ``cache_dir=False``.
        TsvTypeError: an object of these libraries that is not a data source.
    """
    mod = _module(data) if not isinstance(data, (str, os.PathLike)) else "zarr"
    if mod == "xarray":
        return _xarray(data, sample_rate, start, time_unit, cache_dir)
    if mod == "zarr":
        return _zarr(data, sample_rate, start, cache_dir)
    if mod == "dask":
        arrays = _split(data, "the dask array", _dask_name)
        token = identity("dask", [], _dask_token(arrays))
        cols = _chunked("dask", arrays, token, token, cache_dir)
        return _even(cols, sample_rate, start, "dask array")
    raise TsvTypeError(f"data of type {type(data).__name__} is not a zarr, xarray or dask source")


# -- sources -------------------------------------------------------------------------------


def _dask_name(i: int) -> str:
    return f"c{i}"


def _split(arr: Any, what: str, name: Any) -> dict[str, Any]:
    """Channels of a 1-D or 2-D (samples x channels) array-like, lazily sliced."""
    if arr.ndim == 1:
        return {name(0) if callable(name) else name: arr}
    if arr.ndim == 2:
        return {name(j) if callable(name) else f"{name}{j}": arr[:, j] for j in range(arr.shape[1])}
    raise DataError(
        f"{what} has shape {arr.shape}: pass a 1-D array (one channel) or a 2-D one with "
        "samples along the first axis (one column per channel)"
    )


def _zarr(data: Any, sample_rate: float | None, start: Any, cache_dir: Any) -> Resolved:
    import zarr

    shown = os.fspath(data) if isinstance(data, (str, os.PathLike)) else None
    if shown is not None:
        if not os.path.exists(shown):
            raise DataError(f"the Zarr store {shown!r} does not exist")
        data = zarr.open(shown, mode="r")
    if isinstance(data, zarr.Group):
        # By name: a group's listing order depends on its store.
        arrays = {
            name: a
            for name, a in sorted(data.arrays(), key=lambda item: item[0])
            if a.ndim == 1 and np.dtype(a.dtype).kind in "fiu"
        }
        if not arrays:
            raise DataError(
                f"the Zarr group {shown or data.path!r} holds no 1-D numeric arrays to plot; "
                "pass one of its arrays (group['name']) or a group of 1-D arrays, one per channel"
            )
    else:
        base = str(data.basename or "value") if hasattr(data, "basename") else "value"
        arrays = _split(data, f"the Zarr array {data.path!r}", base)
    root = _zarr_root(data, shown)
    files = [root] if root else []
    meta = {k: [list(a.shape), str(a.dtype), list(a.chunks)] for k, a in arrays.items()}
    where = {"path": str(getattr(data, "path", "")), "arrays": sorted(arrays)}
    group = identity("zarr", [], {"files": files, **where}) if root else None
    version = identity("zarr", files, {"arrays": meta, **where})
    cols = _chunked("zarr", arrays, group or version, version, cache_dir)
    return _even(cols, sample_rate, start, f"Zarr store {shown or ''}".strip())


def _zarr_root(data: Any, shown: str | None) -> str | None:
    """The local folder holding a zarr array or group, or None (a store in memory or remote)."""
    if shown is not None:
        path = Path(shown)
        inner = getattr(data, "path", "") or ""
        return str(path / inner) if inner else str(path)
    store = getattr(data, "store", None)
    root = getattr(store, "root", None)
    if root is None:
        return None
    inner = getattr(data, "path", "") or ""
    return str(Path(str(root)) / inner) if inner else str(root)


def _xarray(
    data: Any, sample_rate: float | None, start: Any, time_unit: str, cache_dir: Any
) -> Resolved:
    import xarray as xr

    if isinstance(data, xr.DataArray):
        if data.ndim not in (1, 2):
            raise DataError(
                f"the DataArray {data.name!r} has dims {data.dims}: pass a 1-D one, or a 2-D "
                "one (time, channel)"
            )
        dim = data.dims[0]
        if data.ndim == 1:
            variables = {str(data.name or "value"): data}
        else:
            labels = data[data.dims[1]].values if data.dims[1] in data.coords else None
            variables = {
                (str(labels[j]) if labels is not None else f"{data.name or 'value'}{j}"): data[:, j]
                for j in range(data.shape[1])
            }
    elif isinstance(data, xr.Dataset):
        dims = [v.dims[0] for v in data.data_vars.values() if v.ndim == 1]
        if not dims:
            raise DataError(
                "the Dataset has no 1-D data variables to plot; its variables are "
                f"{ {k: v.dims for k, v in data.data_vars.items()} }"
            )
        dim = max(set(dims), key=dims.count)
        variables = {
            str(k): v
            for k, v in data.data_vars.items()
            if v.dims == (dim,) and np.dtype(v.dtype).kind in "fiu"
        }
    else:
        raise TsvTypeError(
            f"data of type {type(data).__name__} is not an xarray DataArray or Dataset"
        )
    coord = data[dim] if dim in data.coords else None
    chunked = any(_is_dask(v.data) for v in variables.values())
    if chunked:
        arrays = {k: v.data for k, v in variables.items()}
        src = [s for s in [data.encoding.get("source")] if isinstance(s, str)]
        version = identity("xarray", src, _dask_token(arrays))
        group = identity("xarray", [], {"files": src, "vars": sorted(arrays)}) if src else None
        cols = _chunked("dask", arrays, group or version, version, cache_dir)
    else:
        cols = {k: np.asarray(v.values) for k, v in variables.items()}
    what = f"xarray {type(data).__name__}"
    if sample_rate is not None or coord is None:
        return _even(cols, sample_rate, start, what)
    even = _regular(np.asarray(coord.values), time_unit)
    if even is not None:
        rate, first = even
        return Resolved(cols, None, rate, first if start is None else start)
    name = str(coord.name)
    if name in cols:
        raise DataError(f"the coordinate {name!r} has the name of a data variable; rename one")
    return Resolved({name: np.asarray(coord.values), **cols}, name, None, None)


def _regular(c: np.ndarray, time_unit: str) -> tuple[float, Any] | None:
    """(sample_rate Hz, start) when coordinate ``c`` steps regularly, else None.

    Datetimes and integers must step by one whole number exactly. Floats count as
    regular only when the evenly sampled series of the rate they suggest (1 / step,
    to 12 significant digits) gives back every coordinate value bit for bit: times
    stay exactly the coordinate's, or the coordinate is kept as the time column.
    """
    if c.ndim != 1 or c.shape[0] < 2:
        return None
    unit = TIME_UNITS[time_unit]
    if np.issubdtype(c.dtype, np.datetime64):
        ns = c.astype("datetime64[ns]").astype(np.int64)
        d = np.diff(ns)
        if d[0] <= 0 or not (d == d[0]).all():
            return None
        return 1e9 / float(d[0]), pd.Timestamp(ns[0], unit="ns")
    if c.dtype.kind in "iu":
        d = np.diff(c.astype(np.int64))
        if d[0] <= 0 or not (d == d[0]).all():
            return None
        return 1.0 / (float(d[0]) * unit), int(c[0])
    if c.dtype.kind == "f":
        step = (float(c[-1]) - float(c[0])) / (c.shape[0] - 1)
        if not step > 0:
            return None
        rate = float(f"{1.0 / (step * unit):.12g}")
        try:
            s = even_series(
                c.shape[0], [], [], pd.RangeIndex(c.shape[0]), rate, float(c[0]), time_unit
            )
        except DataError:
            return None
        if not np.array_equal(s.keys_at(slice(None)), c.astype(np.float64)):
            return None
        return rate, float(c[0])
    return None


def _even(cols: dict[str, np.ndarray], rate: float | None, start: Any, what: str) -> Resolved:
    if rate is None:
        raise DataError(
            f"the {what} has no time coordinate: pass sample_rate= (samples per second) and, "
            "if it does not start at 0, start= (a number in time_unit or a timestamp)"
        )
    return Resolved(cols, None, rate, start)


# -- streaming chunked arrays into local column files -------------------------------------


def _is_dask(x: Any) -> bool:
    return _module(x) == "dask"


def _dask_token(arrays: Mapping[str, Any]) -> Any:
    from dask.base import tokenize

    return {k: tokenize(a) for k, a in arrays.items()}


def _chunked(
    kind: str, arrays: Mapping[str, Any], group: str, version: str, cache_dir: Any
) -> dict[str, np.ndarray]:
    """The channels of chunked ``arrays`` as memory-mapped local column files.

    ``group`` names where the source is (its older copies are deleted when a new
    ``version``, what it holds, is written).
    """
    from .source import Progress

    if cache_dir is False:
        raise DataError(
            f"a {kind} source is read into local column files in the cache folder, but "
            "cache_dir=False keeps nothing on disk: pass cache_dir=None (the user's cache "
            "folder) or a folder path, or load the data into memory first (e.g. .compute())"
        )
    lengths = {k: int(a.shape[0]) for k, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise DataError(
            f"channels differ in length: {lengths}; every channel needs one value per sample"
        )
    n = next(iter(lengths.values()))
    cols = [Column(k, np.dtype(a.dtype)) for k, a in arrays.items()]
    root = default_cache_dir() if cache_dir is None else Path(cache_dir)
    per_sample = sum(c.dtype.itemsize for c in cols)
    first = next(iter(arrays.values()))
    chunk = _chunk_len(first)
    step = max(chunk, (BATCH_BYTES // max(1, per_sample)) // chunk * chunk)
    values = list(arrays.values())

    def batches() -> Iterator[list[np.ndarray]]:
        for a in range(0, n, step):
            b = min(n, a + step)
            if kind == "dask":
                import dask

                yield list(dask.compute(*[v[a:b] for v in values]))
            else:
                yield [np.asarray(v[a:b]) for v in values]

    with Progress(n * len(cols), True) as tick:

        def progress(k: int) -> None:
            if tick is not None:
                tick(k * len(cols))

        return materialize(root, group, version, cols, n, batches, progress).arrays


def _chunk_len(arr: Any) -> int:
    """Samples per chunk along the first axis of a zarr or dask array (int)."""
    chunks = getattr(arr, "chunks", None)
    if chunks is None:
        return 1 << 20
    first = chunks[0]
    if isinstance(first, tuple):  # dask: a tuple of chunk sizes per axis
        return max(1, int(max(first)))
    return max(1, int(first))
