"""Zarr stores, xarray objects and dask arrays as the widget's data.

:func:`resolve` turns such a source into what :func:`tsvideo_widget.data.prepare`
takes (a dict of 1-D arrays, the time column's name, ``sample_rate`` and
``start``), without reading it into memory:

- numpy-backed xarray objects give their own arrays (no copy);
- chunked sources (a ``zarr.Array`` or ``zarr.Group``, a path to a ``.zarr``
  store, dask arrays, dask-backed xarray objects with a regular time) are read in
  place (:mod:`tsvideo_widget.remotesource`): Dask builds each channel's pyramid
  with the active scheduler (the user's ``dask.distributed`` client when one is,
  else dask's threads) into a Zarr group next to the data, and a window decodes
  only the raw chunks its columns' edges fall in. A Zarr source without dask
  installed is streamed as below;
- a dask-backed xarray object with an irregular time coordinate (whose times must
  be a local array to be searched) is streamed once into local column files
  (:mod:`tsvideo_widget.sidecar`) and read memory-mapped.

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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, TsvTypeError
from .evenseries import even_series
from .remotesource import Remote, dask_remote, zarr_remote
from .series import TIME_UNITS
from .sidecar import identity, stream_chunked

__all__ = ["Resolved", "is_lazy", "resolve"]


@dataclass(frozen=True)
class Resolved:
    """A lazy source as :func:`tsvideo_widget.data.prepare` takes it.

    Attributes:
        data: dict name -> 1-D array (numpy or memory-mapped), or for a source read in
            place, name -> :class:`~tsvideo_widget.chunkvalues.ChunkedValues`.
        time: the time column's name in ``data``, or None (evenly sampled).
        sample_rate: samples per second from a regular coordinate, or the caller's.
        start: the first sample's time from a regular coordinate, or the caller's.
        remote: the channels read in place and where their pyramids go
            (:mod:`tsvideo_widget.remotesource`), or None (``data`` is arrays).
    """

    data: dict[str, Any]
    time: str | None
    sample_rate: float | None
    start: Any
    remote: Remote | None = None


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
        remote = dask_remote(arrays, None, None, "dask array")
        return _even(_names(remote), sample_rate, start, "dask array", remote)
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
    arrays: dict[str, Any]
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
        if data.ndim == 2 and _has_dask():  # columns read in place, not sliced out whole
            arrays = {f"{base}{j}": (data, j) for j in range(data.shape[1])}
        else:
            arrays = _split(data, f"the Zarr array {data.path!r}", base)
    what = f"Zarr store {shown or ''}".strip()
    if _has_dask():
        entries: dict[str, tuple[Any, int | None]] = {
            k: (a if isinstance(a, tuple) else (a, None)) for k, a in arrays.items()
        }
        store_root = getattr(getattr(data, "store", None), "root", None)
        local = str(store_root) if store_root is not None else None
        remote = zarr_remote(entries, local, what)
        return _even(_names(remote), sample_rate, start, what, remote)
    root = _zarr_root(data, shown)
    files = [root] if root else []
    meta = {k: [list(a.shape), str(a.dtype), list(a.chunks)] for k, a in arrays.items()}
    where = {"path": str(getattr(data, "path", "")), "arrays": sorted(arrays)}
    group = identity("zarr", [], {"files": files, **where}) if root else None
    version = identity("zarr", files, {"arrays": meta, **where})
    cols = stream_chunked("zarr", arrays, group or version, version, cache_dir)
    return _even(cols, sample_rate, start, what)


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
    what = f"xarray {type(data).__name__}"
    even = None
    if coord is not None and sample_rate is None:
        even = _regular(np.asarray(coord.values), time_unit)
    if chunked and (even is not None or coord is None or sample_rate is not None):
        # Evenly sampled: read in place, the pyramids built by Dask (remotesource).
        arrays = {k: _as_dask(v.data) for k, v in variables.items()}
        src = data.encoding.get("source")
        local = src if isinstance(src, str) and os.path.exists(src) else None
        files = identity("xarray", [local], {}) if local else None
        remote = dask_remote(arrays, local, files, what)
        if even is None:
            return _even(_names(remote), sample_rate, start, what, remote)
        return Resolved(_names(remote), None, even[0], even[1] if start is None else start, remote)
    if chunked:
        arrays = {k: v.data for k, v in variables.items()}
        src = [s for s in [data.encoding.get("source")] if isinstance(s, str)]
        version = identity("xarray", src, _dask_token(arrays))
        group = identity("xarray", [], {"files": src, "vars": sorted(arrays)}) if src else None
        cols = stream_chunked("dask", arrays, group or version, version, cache_dir)
    else:
        cols = {k: np.asarray(v.values) for k, v in variables.items()}
    if sample_rate is not None or coord is None:
        return _even(cols, sample_rate, start, what)
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


def _even(
    cols: dict[str, Any], rate: float | None, start: Any, what: str, remote: Remote | None = None
) -> Resolved:
    if rate is None:
        raise DataError(
            f"the {what} has no time coordinate: pass sample_rate= (samples per second) and, "
            "if it does not start at 0, start= (a number in time_unit or a timestamp)"
        )
    return Resolved(cols, None, rate, start, remote)


def _names(remote: Remote) -> dict[str, Any]:
    return {c.name: c.values for c in remote.channels}


def _has_dask() -> bool:
    try:
        import dask.array  # noqa: F401
    except ImportError:
        return False
    return True


# -- streaming chunked arrays into local column files -------------------------------------


def _is_dask(x: Any) -> bool:
    return _module(x) == "dask"


def _as_dask(x: Any) -> Any:
    """``x`` as a dask array (a numpy variable of a partly chunked Dataset gets one chunk)."""
    if _is_dask(x):
        return x
    import dask.array as da

    return da.from_array(np.asarray(x), chunks=max(1, int(x.shape[0])))


def _dask_token(arrays: Mapping[str, Any]) -> Any:
    from dask.base import tokenize

    return {k: tokenize(a) for k, a in arrays.items()}
