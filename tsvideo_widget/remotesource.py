"""Chunked sources read in place: pyramids built by Dask next to the data, raw chunks on demand.

The default for Zarr stores, dask arrays and dask-backed xarray objects with a
regular time (see :mod:`tsvideo_widget.lazyinputs`). Nothing of the raw data is
copied to the kernel's disk:

- each channel's min/max pyramid is built by :func:`~tsvideo_widget.daskpyramid.
  build_pyramid` with the active Dask scheduler (the user's ``dask.distributed``
  client when one is, else dask's local threads), level by level, into a Zarr
  group *next to the data* (``<store>.tsvideo-pyramid/``, beside a local Zarr store
  or the file an xarray object was opened from) when that folder can be written,
  else under ``cache_dir/dask-pyramid/``; with ``cache_dir=False`` nothing is
  written: the workers reduce level 0 and the kernel the coarser levels
  (:func:`~tsvideo_widget.daskpyramid.compute_pyramid`);
- a pyramid is found again by the next open: it is named by where the channel is
  (``key``) and versioned by what it holds (``version``: a Zarr array's metadata and
  its chunk files' sizes and modification times, or a digest of its stored bytes for
  a store in memory; a dask array's token), and a new version replaces the old one;
- the levels (about 5% of the data) are compressed Zarr chunks, which cannot be
  memory-mapped: they are copied once into plain ``.npy`` files beside the group and
  mapped (:mod:`tsvideo_widget.levelfiles`), or read into memory where that folder
  cannot be written;
- the raw samples stay where they are, read through :class:`~tsvideo_widget.
  chunkvalues.ChunkedValues`: a window decodes only the chunks its columns' edges fall
  in, through an LRU bounded in bytes (:data:`~tsvideo_widget.chunkvalues.
  CHUNK_CACHE_BYTES`), and for wide columns not even those: an edge table stored
  beside the pyramid holds what they need of the raw samples
  (:mod:`tsvideo_widget.edgetable`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .chunkvalues import ChunkCache, ChunkedValues
from .daskpyramid import build_pyramid, compute_pyramid, read_pyramid, written_whole
from .edgetable import edge_table
from .errors import DataError
from .evenseries import even_series
from .pyramid import BASE, FACTOR, Pyramid
from .pyrcache import cache_for, default_cache_dir
from .series import Series
from .sidecar import identity
from .source import PyramidSource

__all__ = [
    "PYRAMID_SUFFIX",
    "Channel",
    "Remote",
    "RemoteSource",
    "beside",
    "content_digest",
    "dask_remote",
    "remote_series",
    "zarr_remote",
]

PYRAMID_SUFFIX = ".tsvideo-pyramid"
"""What the folder of pyramids beside a store is named: the store's name plus this (str)."""


BUILD_CHUNK_BYTES = 64 << 20
"""Bytes of samples per task of a pyramid build (int, 64 MiB): a Zarr array is read by
Dask in runs of its chunks about this long, and a dask array of chunks under an eighth
of it is rechunked to it, so a store of tiny chunks is not a graph of a million tasks."""


@dataclass(frozen=True)
class Channel:
    """One chunked channel, as :mod:`tsvideo_widget.lazyinputs` found it.

    Attributes:
        name: the channel's name (str).
        values: its samples, read in place (:class:`~tsvideo_widget.chunkvalues.ChunkedValues`).
        compute: the same samples as a 1-D dask array, which the scheduler reduces.
        key: where the channel is (hex str): names its pyramid's folder.
        version: what it holds (hex str): names the pyramid inside that folder.
    """

    name: str
    values: ChunkedValues
    compute: Any
    key: str
    version: str


@dataclass(frozen=True)
class Remote:
    """A chunked source's channels and where their pyramids may go.

    Attributes:
        channels: the channels, in the source's order.
        beside: the folder next to the data for pyramids (``<store>.tsvideo-pyramid``),
            or None (a store in memory or remote, a dask array): then ``cache_dir``.
        what: how errors name the source (str).
        cache: the chunk cache the channels read through.
    """

    channels: list[Channel]
    beside: Path | None
    what: str
    cache: ChunkCache


def beside(path: str | os.PathLike[str]) -> Path:
    """The folder of pyramids next to the store (or file) at ``path``."""
    p = Path(os.path.abspath(os.fspath(path)))
    return p.parent / f"{p.name}{PYRAMID_SUFFIX}"


def remote_series(
    remote: Remote,
    channels: list[str] | None,
    sample_rate: float | None,
    start: Any,
    time_unit: str,
) -> Series:
    """The evenly sampled series of ``remote``'s channels (all, or those named by ``channels``).

    Raises:
        DataError: no ``sample_rate``, a channel named twice or not in the source, a
            channel that is not numbers, or a source without samples.
    """
    if sample_rate is None:
        raise DataError(
            f"the {remote.what} has no time coordinate: pass sample_rate= (samples per second) "
            "and, if it does not start at 0, start= (a number in time_unit or a timestamp)"
        )
    by_name = {c.name: c for c in remote.channels}
    names = list(by_name) if channels is None else [str(c) for c in channels]
    if not names or len(set(names)) != len(names):
        raise DataError(f"channels={channels!r} must name each channel once, and at least one")
    for name in names:
        if name not in by_name:
            raise DataError(
                f"channel {name!r} is not in the {remote.what}; its channels are {list(by_name)}"
            )
        dtype = by_name[name].values.dtype
        if dtype.kind not in "fiu":
            raise DataError(
                f"channel {name!r} of the {remote.what} has dtype {dtype}, not real numbers; "
                "leave it out of channels="
            )
    n = by_name[names[0]].values.shape[0]
    if n == 0:
        raise DataError(f"the {remote.what} has no samples: at least one is needed")
    values: list[Any] = [by_name[c].values for c in names]
    return even_series(n, names, values, pd.RangeIndex(n), sample_rate, start, time_unit)


class RemoteSource(PyramidSource):
    """A :class:`~tsvideo_widget.source.PyramidSource` over channels read in place.

    Windows are served exactly as for arrays in memory (the same points, byte for
    byte): the pyramids' levels are mapped from files beside their Zarr group
    (:mod:`tsvideo_widget.levelfiles`; in memory where that cannot be written), the
    raw samples are :class:`~tsvideo_widget.chunkvalues.ChunkedValues`, and each
    pyramid's ``edges`` (:mod:`tsvideo_widget.edgetable`) holds what wide columns
    need of them. Made by :meth:`open`.

    Attributes:
        chunk_cache: the LRU of decoded raw chunks every channel reads through.
        stores: per channel, the folder its pyramid is in (str), or None (in memory).
        built: per channel, True when this open built its pyramid (False: found again).
    """

    chunk_cache: ChunkCache
    stores: list[str | None]
    built: list[bool]

    @classmethod
    def open(
        cls, series: Series, remote: Remote, cache_dir: str | bool | None, identity: str = ""
    ) -> RemoteSource:
        """The source of ``series`` (made by :func:`remote_series` from ``remote``).

        Each channel's pyramid is found where it was stored or built now (see the
        module's docstring). ``cache_dir``: the widget's checked ``cache_dir`` (None:
        the user's cache folder; False: write nothing). ``identity``: the series'
        fingerprint, naming its whole-span windows in the cache.

        Raises:
            DataError: a pyramid that could be written nowhere, or that the workers
                wrote where the kernel cannot read it (naming the folder).
        """
        by_name = {c.name: c for c in remote.channels}
        pyramids, stores, built = [], [], []
        for name in series.channels:
            ch = by_name[name]
            p, where, made = _pyramid(ch, remote, cache_dir)
            # The samples at wide columns' edges: a zoomed-out window decodes no chunk for them.
            chunk = int(np.diff(ch.values.bounds).max()) if ch.values.chunk_count else 1
            entry = None if where is None else Path(where)
            p.edges = edge_table(series, ch.values, chunk, entry, p.base)
            pyramids.append(p)
            stores.append(where)
            built.append(made)
        src = cls(series, pyramids, cache_for(cache_dir), identity)
        src.chunk_cache, src.stores, src.built = remote.cache, stores, built
        return src


def _places(remote: Remote, cache_dir: str | bool | None) -> list[Path]:
    root = default_cache_dir() if cache_dir is None else Path(str(cache_dir))
    return [*([remote.beside] if remote.beside is not None else []), root / "dask-pyramid"]


def _pyramid(
    ch: Channel, remote: Remote, cache_dir: str | bool | None
) -> tuple[Pyramid, str | None, bool]:
    """(pyramid, the folder it is in or None, whether it was built now) of one channel."""
    if cache_dir is False:
        return compute_pyramid(ch.compute, ch.values, BASE, FACTOR), None, True
    places = _places(remote, cache_dir)
    for place in places:
        found = _load(place / ch.key / ch.version, ch)
        if found is not None:
            return found, str(place / ch.key / ch.version), False
    errors = []
    for place in places:
        folder = place / ch.key
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
        except OSError as err:
            errors.append(f"{folder}: {err.strerror}")
            continue
        try:
            group = build_pyramid(ch.compute, str(tmp), BASE, FACTOR)
            if not written_whole(group):
                raise DataError(
                    f"the Dask workers built the pyramid of channel {ch.name!r} of the "
                    f"{remote.what} but its chunks are not in {tmp}: the workers cannot "
                    "write that folder (it is on the kernel's disk?). Pass cache_dir= a folder "
                    "the workers share, or cache_dir=False to keep the pyramid in memory"
                )
            final = folder / ch.version
            if final.exists():
                shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        for old in folder.iterdir():  # older versions of the same channel: stale now
            if old.name != ch.version and not old.name.startswith(".tmp-"):
                with contextlib.suppress(OSError):
                    shutil.rmtree(old)
        got = _load(final, ch)
        if got is None:
            raise DataError(f"the pyramid just written to {final} cannot be read back")
        return got, str(final), True
    raise DataError(
        f"the pyramid of channel {ch.name!r} of the {remote.what} could be written nowhere "
        f"({'; '.join(errors)}): pass cache_dir= a writable folder, or cache_dir=False to "
        "keep it in memory"
    )


def _load(entry: Path, ch: Channel) -> Pyramid | None:
    """The pyramid stored in ``entry`` over ``ch``'s samples, or None (absent or unreadable)."""
    if not (entry / "zarr.json").exists():
        return None
    try:
        p = read_pyramid(str(entry), ch.values, mapped=True)  # type: ignore[arg-type]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if p.base != BASE or p.factor != FACTOR:
        return None
    p.cache_key = f"{ch.key}/{ch.version}"
    return p


def content_digest(values: ChunkedValues, samples: int = 8) -> bytes:
    """Bytes of up to ``samples`` chunks spread over ``values`` (first and last included)."""
    count = values.chunk_count
    ks = sorted({int(k) for k in np.linspace(0, count - 1, min(samples, count))}) if count else []
    return b"".join(
        values.read(int(values.bounds[k]), int(values.bounds[k + 1])).tobytes() for k in ks
    )


def _coarse(arr: Any) -> Any:
    """A dask array of tiny chunks rechunked to about :data:`BUILD_CHUNK_BYTES` for the build."""
    itemsize = np.dtype(arr.dtype).itemsize
    if not arr.shape[0] or max(arr.chunks[0]) * itemsize * 8 >= BUILD_CHUNK_BYTES:
        return arr
    return arr.rechunk((max(1, BUILD_CHUNK_BYTES // itemsize),))


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _stored_bytes(arr: Any) -> bytes | None:
    """A digest of every stored byte of a zarr array held in memory, or None (not in memory)."""
    store = getattr(arr, "store", None)
    items = getattr(store, "_store_dict", None)
    if not isinstance(items, dict):
        return None
    prefix = str(getattr(arr, "path", "") or "")
    h = hashlib.sha256()
    for k in sorted(k for k in items if k.startswith(prefix)):
        h.update(k.encode())
        h.update(bytes(items[k].to_bytes()))
    return h.digest()


def zarr_remote(
    entries: dict[str, tuple[Any, int | None]], store_root: str | None, what: str
) -> Remote:
    """The channels of zarr arrays ``entries`` (name -> (array, column of a 2-D one or None)).

    ``store_root``: the local folder of their store, or None (in memory, or remote).
    """
    import dask.array as da

    cache = ChunkCache()
    channels = []
    for name, (arr, col) in entries.items():
        shown = f"the Zarr array {arr.path or name!r}" + ("" if col is None else f"[:, {col}]")
        values = ChunkedValues(arr, cache, f"{shown} of the {what}", col)
        per = max(1, int(arr.chunks[0]))
        rows = per * max(1, BUILD_CHUNK_BYTES // (per * np.dtype(arr.dtype).itemsize))
        comp = da.from_zarr(arr, chunks=(min(rows, max(1, arr.shape[0])), *arr.chunks[1:]))
        comp = comp if col is None else comp[:, col]
        meta = [list(arr.shape), str(arr.dtype), str(arr.chunks), str(arr.path), col]
        if store_root is not None:
            folder = str(Path(store_root) / str(arr.path)) if arr.path else store_root
            key = _hash({"root": os.path.realpath(store_root), "path": str(arr.path), "col": col})
            version = identity("zarr", [folder], meta)
        else:
            held = _stored_bytes(arr)
            content = held if held is not None else content_digest(values)
            version = _hash([meta, hashlib.sha256(content).hexdigest()])
            key = version
        channels.append(Channel(name, values, comp, key, version))
    where = beside(store_root) if store_root is not None else None
    return Remote(channels, where, what, cache)


def dask_remote(arrays: dict[str, Any], source: str | None, files: str | None, what: str) -> Remote:
    """The channels of 1-D dask arrays ``arrays`` (name -> array).

    ``source``: the local file or folder they were opened from (an xarray object's
    ``encoding["source"]``), or None; ``files``: the version of that source's files.
    """
    from dask.base import tokenize

    cache = ChunkCache()
    channels = []
    for name, arr in arrays.items():
        token = tokenize(arr)
        key = _hash({"source": source, "name": name}) if source else token
        version = _hash([files, token, str(arr.dtype), list(arr.shape)])
        values = ChunkedValues(arr, cache, f"channel {name!r} of the {what}")
        channels.append(Channel(name, values, _coarse(arr), key, version))
    return Remote(channels, beside(source) if source else None, what, cache)
