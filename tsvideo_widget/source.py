"""The data-source seam: what the widget asks of a recording's samples.

The widget draws through one small interface, :class:`DataSource`: the time
axis (a :class:`~tsvideo_widget.series.Series`, which also converts times for
regions, labels and exports), the channels and their dtypes, the span, and for
a window ``(lo, hi, count)`` the points to draw (:class:`~tsvideo_widget.
decimate.Decimated`: per column the times of its first and last sample and its
first, minimum, maximum and last value, or the raw samples when there are few).
Nothing else in the widget reads samples, so a source may keep them anywhere.

:class:`PyramidSource` is the implementation for arrays (in memory, or
memory-mapped files): one min/max pyramid per channel, built in one pass with
the machine's cores (a progress bar for anything over a second), and for a
file-backed channel stored in a cache folder and found again on the next open
(:mod:`tsvideo_widget.pyrcache`).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .decimate import Decimated, decimate
from .filecolumn import file_column
from .mapped import advise_random, mapping_of, release
from .pyramid import BASE, FACTOR, Pyramid
from .pyrcache import PyramidCache
from .refine import COARSE_ABOVE, Refinement, coarse
from .series import Series

__all__ = ["PROGRESS_AFTER_S", "DataSource", "Progress", "PyramidSource"]

PROGRESS_AFTER_S = 1.0
"""Seconds a pyramid build runs before its progress bar shows (float)."""

_PARALLEL_ABOVE = 1 << 22
"""Samples in all (int) above which level 0 is reduced in parallel threads."""


class DataSource(ABC):
    """One recording's samples, as the widget asks for them.

    A subclass gives :attr:`series` and :meth:`window`; everything the widget
    draws comes through them.
    """

    @property
    @abstractmethod
    def series(self) -> Series:
        """The time axis and channel arrays (:class:`~tsvideo_widget.series.Series`)."""

    @abstractmethod
    def window(self, lo: float, hi: float, count: int) -> Decimated:
        """Points to draw relative seconds ``[lo, hi]`` about ``count`` pixels wide.

        See :func:`tsvideo_widget.decimate.decimate` for the layout every source
        returns (the same points, for the same samples, from every source).
        """

    @property
    def channels(self) -> list[str]:
        """Channel names, in display order (list of str)."""
        return self.series.channels

    @property
    def dtypes(self) -> list[np.dtype]:
        """Each channel's dtype (list of numpy dtypes)."""
        return [v.dtype for v in self.series.values]

    @property
    def span(self) -> float:
        """Seconds from the first to the last sample (float)."""
        return self.series.span


class PyramidSource(DataSource):
    """A :class:`DataSource` over arrays with one pyramid per channel.

    Args:
        series: the validated series (its ``values`` are the channels' arrays).
        pyramids: one :class:`~tsvideo_widget.pyramid.Pyramid` per channel, over
            those same arrays.
        cache: where whole-span windows (the overview) are kept when every pyramid
            is a cached one, so a cold reopen reads one small file for them.
        identity: what names the series' times in that cache (str: its fingerprint).
    """

    def __init__(
        self,
        series: Series,
        pyramids: list[Pyramid],
        cache: PyramidCache | None = None,
        identity: str = "",
    ) -> None:
        if len(pyramids) != len(series.values):
            raise ValueError(f"{len(pyramids)} pyramids for {len(series.values)} channels")
        self._series = series
        # Windows read a few samples at each column edge, scattered over the whole file: a
        # file's are read with pread (filecolumn.FileColumn), so none of it is mapped into
        # the process. The pyramid's levels (0.04 of the data) stay mapped, without
        # read-ahead: a pread per value would cost more than the pages they map.
        levels = []
        for pyr in pyramids:
            pyr.values = file_column(pyr.values)
            levels += [*(x for level in pyr.levels for x in level), *(pyr.nans or [])]
        for a in levels:
            advise_random(a)
        # Pages of mapped levels a window reads are given back after it (release).
        self._mapped = [(m, a) for a in levels if (m := mapping_of(a)) is not None and m.shared]
        self.pyramids = pyramids
        """One pyramid per channel (list); replaced as a whole when a :class:`~tsvideo_widget.
        refine.Refinement` completes coarse ones."""
        self.refinement: Refinement | None = None
        """The background work completing coarse pyramids (big in-memory series), or None."""
        keys = [p.cache_key for p in pyramids]
        self._cache = cache if keys and None not in keys else None
        self._key = json.dumps([identity, keys])

    @property
    def series(self) -> Series:
        """The time axis and channel arrays."""
        return self._series

    def window(self, lo: float, hi: float, count: int) -> Decimated:
        """M4 points of ``[lo, hi]`` (:func:`~tsvideo_widget.decimate.decimate`).

        Samples kept in files are read with ``pread`` (:class:`~tsvideo_widget.filecolumn.
        FileColumn`): the process maps none of them (read through a mapping, one
        whole-span window mapped 537 MB of a 4 GB file's page cache), and a cold disk is
        asked for all of a window's pages at once. Cached pyramid levels are read through
        their mapping, and the pages the window read are given back after it
        (:func:`~tsvideo_widget.mapped.release`), so resident memory stays at what the
        process holds itself, not at what the user has looked at. A whole-span window of
        cached pyramids is itself kept in the cache: a cold reopen's overview reads one
        small file instead of some 8000 scattered pages.
        """
        whole = self._cache is not None and lo <= 0.0 and hi >= self._series.span
        key = hashlib.sha256(f"{self._key}{count}".encode()).hexdigest()[:32] if whole else ""
        if whole and self._cache is not None and (kept := self._cache.load_window(key)):
            return kept
        try:
            dec = decimate(self._series, self.pyramids, lo, hi, count)
        finally:
            for m, a in self._mapped:
                release(m, a)
        if whole and self._cache is not None:
            self._cache.store_window(key, dec)
        return dec

    @classmethod
    def build(
        cls,
        series: Series,
        cache: PyramidCache | None = None,
        progress: bool = True,
        identity: str = "",
    ) -> PyramidSource:
        """Pyramids for every channel of ``series``: read from ``cache`` or built.

        Level 0 is reduced chunk by chunk on every core (numpy's reductions release
        the GIL), channel after channel; a built pyramid of a file-backed channel is
        stored in ``cache``. ``progress``: show a progress bar (tqdm) when the build
        runs over :data:`PROGRESS_AFTER_S` seconds. ``identity``: the series' fingerprint,
        naming its whole-span windows in the cache.
        """
        found = [cache.load(v, BASE, FACTOR) if cache is not None else None for v in series.values]
        todo = sum(int(v.shape[0]) for v, p in zip(series.values, found, strict=True) if p is None)
        workers = min(os.cpu_count() or 1, 8) if todo > _PARALLEL_ABOVE else 1
        # A big series all in memory paints from coarse pyramids; the finest level follows.
        coarse_first = (
            todo > COARSE_ABOVE
            and all(
                p is None and mapping_of(v) is None
                for v, p in zip(series.values, found, strict=True)
            )
            and all(v.shape[0] >= 2 * BASE * FACTOR for v in series.values)
        )
        with Progress(todo, progress) as tick:
            pool = ThreadPoolExecutor(workers) if workers > 1 else None
            try:
                pyramids = []
                for v, p in zip(series.values, found, strict=True):
                    if p is None and coarse_first:
                        p = coarse(v, pool, tick)
                    elif p is None:
                        # Into the cache's files when it can, else in memory.
                        built = cache.build(v, BASE, FACTOR, pool, tick) if cache else None
                        p = built if built is not None else Pyramid(v, pool=pool, tick=tick)
                        m = mapping_of(v)
                        if m is not None:
                            release(m, v)  # what the pass's chunk edges and read-ahead left
                    pyramids.append(p)
            finally:
                if pool is not None:
                    pool.shutdown()
        src = cls(series, pyramids, cache, identity)
        if coarse_first:
            src.refinement = Refinement(pyramids, src._refined)
        return src

    def _refined(self, pyramids: list[Pyramid]) -> None:
        """Take the completed pyramids (from the refinement's thread): one assignment."""
        self.pyramids = pyramids


class Progress:
    """A thread-safe progress callback over ``total`` samples (a tqdm bar shown after a second)."""

    def __init__(self, total: int, show: bool) -> None:
        self.bar: Any = None
        self.lock = threading.Lock()
        if show and total > _PARALLEL_ABOVE:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=total,
                unit="sample",
                unit_scale=True,
                desc="tsvideo-widget: building the pyramid",
                delay=PROGRESS_AFTER_S,
                leave=False,
            )

    def __enter__(self) -> Callable[[int], None] | None:
        if self.bar is None:
            return None
        bar = self.bar

        def tick(samples: int) -> None:
            with self.lock:
                bar.update(samples)

        return tick

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
