"""A channel left where it is: :class:`ChunkedValues`, read a chunk at a time through an LRU.

A Zarr array or a dask array is stored (or computed) in chunks that decode
whole. :class:`ChunkedValues` is one channel of such an array that answers what
the pyramid and decimation code asks of a channel's samples (``shape``,
``dtype``, ``ndim``, ``len``, ``v[i]``, ``v[a:b]``, ``v[rows]``,
``v.take(rows)``) by decoding only the chunks those samples are in. Decoded
chunks are kept in a :class:`ChunkCache` shared by a source's channels and
bounded in bytes (:data:`CHUNK_CACHE_BYTES`), so what a kernel holds does not
grow with what the user has looked at. The distinct chunks one request needs
are fetched together: a Zarr array's on a thread pool (zarr's codecs release
the GIL), a dask array's in one ``dask.compute`` with the active scheduler.

Nothing reads a whole channel behind the caller's back: ``np.asarray(v)``
raises (a channel may be terabytes); read a range with ``v[a:b]``.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .errors import DataError
from .samplecolumn import SampleColumn

__all__ = ["CHUNK_CACHE_BYTES", "ChunkCache", "ChunkedValues"]

CHUNK_CACHE_BYTES = 256 << 20
"""Default bound of a source's :class:`ChunkCache` (int, bytes of decoded chunks: 256 MiB).

Set ``tsvideo_widget.chunkvalues.CHUNK_CACHE_BYTES`` before opening a source to change it."""

MIN_READ_BYTES = 1 << 18
"""Bytes a read decodes at least (int, 256 KiB): chunks smaller than that are read (and
kept) a run of consecutive chunks at a time, so a store of tiny chunks costs no more reads."""

FETCH_THREADS = min(8, os.cpu_count() or 1)
"""Threads that decode a request's Zarr chunks in parallel (int, at most 8)."""

Fetch = Callable[[list[int]], list[np.ndarray]]
"""Decodes chunks by index: a list of chunk numbers -> their samples, in that order."""


class ChunkCache:
    """Decoded chunks of one source's channels, least recently used dropped first.

    Args:
        max_bytes: bytes of decoded chunks kept at most (int, default
            :data:`CHUNK_CACHE_BYTES`); a chunk larger than that is used and not kept.

    Attributes:
        nbytes: bytes held now (int, never above ``max_bytes``).
        peak_bytes: the most bytes held at once (int).
        reads: chunks decoded so far (int).
        bytes_read: bytes of decoded chunks so far (int).
    """

    def __init__(self, max_bytes: int | None = None) -> None:
        self.max_bytes = CHUNK_CACHE_BYTES if max_bytes is None else int(max_bytes)
        self._items: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.nbytes = 0
        self.peak_bytes = 0
        self.reads = 0
        self.bytes_read = 0

    def get(self, owner: int, chunks: Sequence[int], fetch: Fetch) -> list[np.ndarray]:
        """Chunks ``chunks`` of channel ``owner``: kept ones, the rest fetched in one batch."""
        found: dict[int, np.ndarray] = {}
        with self._lock:
            for k in chunks:
                got = self._items.get((owner, k))
                if got is not None:
                    self._items.move_to_end((owner, k))
                    found[k] = got
        missing = sorted({k for k in chunks if k not in found})
        if missing:
            fetched = fetch(missing)
            with self._lock:
                for k, arr in zip(missing, fetched, strict=True):
                    found[k] = arr
                    self.reads += 1
                    self.bytes_read += arr.nbytes
                    self._keep((owner, k), arr)
        return [found[k] for k in chunks]

    def _keep(self, key: tuple[int, int], arr: np.ndarray) -> None:
        if arr.nbytes > self.max_bytes or key in self._items:
            return
        while self._items and self.nbytes + arr.nbytes > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self.nbytes -= old.nbytes
        self._items[key] = arr
        self.nbytes += arr.nbytes
        self.peak_bytes = max(self.peak_bytes, self.nbytes)

    def clear(self) -> None:
        """Drop every kept chunk (the counters stay)."""
        with self._lock:
            self._items.clear()
            self.nbytes = 0


_KEYS = itertools.count()
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(FETCH_THREADS, thread_name_prefix="tsvideo-chunks")
        return _POOL


def _is_dask(arr: Any) -> bool:
    return type(arr).__module__.split(".")[0] == "dask"


class ChunkedValues(SampleColumn):
    """One channel of a Zarr or dask array, read only where asked (see the module's docstring).

    Args:
        array: a ``zarr.Array`` or ``dask.array.Array``, 1-D, or 2-D with samples along
            the first axis (then ``column`` picks the channel).
        cache: the :class:`ChunkCache` its decoded chunks go through (shared by a
            source's channels).
        what: how errors name it (str, e.g. "the Zarr array 'a' of /data/s.zarr").
        column: the column of a 2-D ``array`` (int), or None for a 1-D one.

    Attributes:
        bounds: the row where each read unit (a chunk, or a run of chunks smaller than
            :data:`MIN_READ_BYTES`) starts, then the row count (int64 array).
    """

    def __init__(self, array: Any, cache: ChunkCache, what: str, column: int | None = None) -> None:
        self.array = array
        self.cache = cache
        self.what = what
        self.column = column
        self.shape: tuple[int] = (int(array.shape[0]),)
        self.dtype = np.dtype(array.dtype)
        lengths = array.chunks[0]
        if isinstance(lengths, tuple):  # dask: the length of every chunk
            sizes = np.asarray(lengths, dtype=np.int64)
        else:  # zarr: one length for all but the last
            n, c = self.shape[0], max(1, int(lengths))
            sizes = np.full(-(-n // c), c, dtype=np.int64)
            if n % c:
                sizes[-1] = n % c
        edges = np.zeros(sizes.shape[0] + 1, dtype=np.int64)
        np.cumsum(sizes, out=edges[1:])
        # Tiny chunks are read a run at a time: a read costs about the same up to there.
        group = (edges[:-1] * self.dtype.itemsize) // max(1, MIN_READ_BYTES)
        firsts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if group.size else group
        self.bounds = np.r_[edges[:-1][firsts], edges[-1]].astype(np.int64)
        self._dask = _is_dask(array)
        self._key = next(_KEYS)

    @property
    def chunk_count(self) -> int:
        """Number of read units (chunks, or runs of tiny ones) along the samples (int)."""
        return int(self.bounds.shape[0] - 1)

    def __repr__(self) -> str:
        return f"ChunkedValues({self.what}, n={self.shape[0]}, dtype={self.dtype})"

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise DataError(
            f"{self.what} ({self.shape[0]} samples) is read a chunk at a time and is not "
            "loaded whole behind your back: read a range with values[a:b] (values[:] reads "
            "it all), or pass the data computed into memory (e.g. .compute())"
        )

    def _fetch(self, ks: list[int]) -> list[np.ndarray]:
        b = self.bounds
        if self._dask:
            import dask

            parts = [self.array[int(b[k]) : int(b[k + 1])] for k in ks]
            if self.column is not None:
                parts = [p[:, self.column] for p in parts]
            return [np.ascontiguousarray(x, dtype=self.dtype) for x in dask.compute(*parts)]

        def one(k: int) -> np.ndarray:
            sel: Any = slice(int(b[k]), int(b[k + 1]))
            if self.column is not None:
                sel = (sel, self.column)
            return np.ascontiguousarray(self.array[sel], dtype=self.dtype)

        if len(ks) == 1:
            return [one(ks[0])]
        return list(_pool().map(one, ks))

    def _chunks(self, ks: Sequence[int]) -> list[np.ndarray]:
        return self.cache.get(self._key, ks, self._fetch)

    def read(self, start: int, stop: int, keep: bool = True) -> np.ndarray:
        """Samples ``start:stop`` (clipped to the channel) as a new array.

        ``keep`` (default True): the decoded chunks go through the LRU; False reads them
        past it (a pass over the whole channel, which would only evict what windows use).
        """
        n = self.shape[0]
        a, b = max(0, min(start, n)), max(0, min(stop, n))
        if b <= a:
            return np.empty(0, dtype=self.dtype)
        k0 = int(np.searchsorted(self.bounds, a, "right")) - 1
        k1 = int(np.searchsorted(self.bounds, b - 1, "right")) - 1
        ks = list(range(k0, k1 + 1))
        got = self._chunks(ks) if keep else self._fetch(ks)
        if len(got) == 1:
            lo = a - int(self.bounds[k0])
            return got[0][lo : lo + (b - a)].copy()
        out = np.concatenate(got)
        lo = a - int(self.bounds[k0])
        return out[lo : lo + (b - a)]

    def take(self, indices: Any) -> np.ndarray:
        """Samples at rows ``indices`` (any shape of ints; negative count from the end)."""
        idx = np.asarray(indices)
        if idx.dtype.kind not in "iu":
            raise IndexError(f"rows of {self.what} must be integers, got {idx.dtype}")
        n = self.shape[0]
        idx = np.where(idx < 0, idx + n, idx).astype(np.int64, copy=False)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise IndexError(f"rows outside the {n} samples of {self.what}")
        out = np.empty(idx.shape, dtype=self.dtype)
        if not idx.size:
            return out
        flat = idx.ravel()
        which = np.searchsorted(self.bounds, flat, "right") - 1
        ks, inverse = np.unique(which, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        groups = np.split(order, np.searchsorted(inverse[order], np.arange(1, ks.shape[0])))
        res = out.reshape(-1)
        # In batches of about a quarter of the cache's bound: a request touching every
        # chunk (a zoomed-out window) holds a batch of decoded chunks, not all of them.
        sizes = np.diff(self.bounds)[ks] * self.dtype.itemsize
        batch = np.cumsum(sizes) // max(1, self.cache.max_bytes // 4)
        for b in np.unique(batch):
            part = np.flatnonzero(batch == b)
            got = self._chunks([int(ks[j]) for j in part])
            for j, arr in zip(part, got, strict=True):
                rows = groups[j]
                res[rows] = arr[flat[rows] - self.bounds[ks[j]]]
        return out
