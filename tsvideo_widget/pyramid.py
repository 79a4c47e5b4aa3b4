"""Block minima and maxima of a channel at every level: the multi-resolution pyramid.

Scanning the raw samples for every window change would cost O(n) (about 40 ms
for 1e8 float32 even with SIMD), so each channel keeps a pyramid of block
minima and maxima (blocks of ``BASE * FACTOR**k`` samples). The extremes of
any run of samples ``a..b`` are then a range query: the ragged ends come from
the raw samples and finer levels, the middle from whole blocks of coarser
levels, so a query touches at most ``2 * (BASE + FACTOR * levels)`` values
whatever the run's length (:meth:`Pyramid.range_minmax`).

A float channel with NaN also keeps, per level, which blocks hold a NaN, so a
window's columns can say where their gaps are (:meth:`Pyramid.range_any_nan`,
:meth:`Pyramid.first_valid`): that is what lets a decimated line keep every gap
the raw samples would draw. A channel without NaN keeps nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

import numpy as np

from .mapped import mapping_of, release, write_back
from .nanscan import valid_row
from .rangeplan import RangePlan, fills

if TYPE_CHECKING:
    from .edgetable import EdgeTable

BASE = 64
"""Samples per block at the finest pyramid level.

64 rather than 16: blocks of 64 reduce four times faster (numpy's reduction
runs per block) and the pyramid costs 0.04 of the input instead of 0.17, for
up to 63 raw samples read at each end of a column.
"""

FACTOR = 4
"""Blocks of one level reduced into one block of the next."""

_CHUNK_BLOCKS = 1 << 16
"""Blocks reduced per step: bounds the temporaries (and keeps them in cache)."""


Alloc = Callable[[str, int, np.dtype], np.ndarray]
"""Makes a pyramid array: (name such as "0.min", length, dtype) -> a writable 1-D array."""


def in_memory(name: str, n: int, dtype: np.dtype) -> np.ndarray:
    """The default :data:`Alloc`: an array in memory."""
    return np.empty(n, dtype=dtype)


def _written(arr: np.ndarray, lo: int, hi: int) -> None:
    """Write ``arr[lo:hi]`` of a file-backed ``arr`` to disk and give back the pages around it.

    A no-op for an array in memory. See :func:`_read` for why around it.
    """
    m = mapping_of(arr)
    if m is not None:
        write_back(m, arr[lo:hi])
        _read(arr, lo, hi)


def _read(arr: np.ndarray, lo: int, hi: int) -> None:
    """Give back the pages of a mapped ``arr`` from one chunk before ``lo:hi`` to one after.

    The page cache keeps a file in folios of up to 2 MB, and a fault maps a whole
    folio: a chunk's first and last reads map pages of its neighbours, which the
    neighbours' own release (done before, by another thread) no longer covers.
    Measured: releasing only the chunk left 1.3 GB mapped after a 20 GB pass.
    """
    m = mapping_of(arr)
    if m is not None and arr.ndim == 1:
        width = hi - lo
        release(m, arr[max(0, lo - width) : hi + width])


_STRIDED_UP_TO = 16
"""Blocks this short are reduced by whole strided arrays, not ``reduceat``: for blocks of
4 (the coarser levels), ``fmin(fmin(a[0::4], a[1::4]), ...)`` is 10x faster (0.8 ms against
7.9 ms for 1.5e6 float32), ``reduceat`` paying per block."""


def _strided(seg: np.ndarray, block: int, op: np.ufunc, out: np.ndarray) -> None:
    """``op`` over consecutive blocks of ``seg`` into ``out`` (the last block may be short)."""
    full = seg.shape[0] // block
    body = seg[: full * block]
    if full:
        np.copyto(out[:full], body[0::block])
        for j in range(1, block):
            op(out[:full], body[j::block], out=out[:full])
    if full < out.shape[0]:
        out[full] = op.reduce(seg[full * block :])


def reduce_blocks(
    a: np.ndarray,
    b: np.ndarray,
    block: int,
    out: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """fmin of ``a`` and fmax of ``b`` over consecutive blocks (the last may be short).

    fmin/fmax skip NaN, so a block is NaN only when all of it is: a gap stays a gap.
    ``reduceat`` reduces each block as one contiguous run (SIMD), about 6 GB/s
    for blocks of 64 float32 here; ``_CHUNK_BLOCKS`` blocks at a time keep its
    index array small whatever the input's size.
    """
    n = a.shape[0]
    if out is None:
        mins = np.empty(-(-n // block), dtype=a.dtype)
        maxs = np.empty(mins.shape[0], dtype=b.dtype)
    else:
        mins, maxs = out
    step = _CHUNK_BLOCKS * block
    offsets = np.arange(0, step, block, dtype=np.intp)
    for s in range(0, n, step):
        seg_a, seg_b = a[s : s + step], b[s : s + step]
        idx = offsets if seg_a.shape[0] == step else offsets[: -(-seg_a.shape[0] // block)]
        k = s // block
        if block <= _STRIDED_UP_TO:
            _strided(seg_a, block, np.fmin, mins[k : k + idx.shape[0]])
            _strided(seg_b, block, np.fmax, maxs[k : k + idx.shape[0]])
        else:
            mins[k : k + idx.shape[0]] = np.fmin.reduceat(seg_a, idx)
            maxs[k : k + idx.shape[0]] = np.fmax.reduceat(seg_b, idx)
        _written(mins, k, k + idx.shape[0])
        _written(maxs, k, k + idx.shape[0])
        _read(a, s, s + step)
        if b is not a:
            _read(b, s, s + step)
    return mins, maxs


def level_zero(
    v: np.ndarray,
    block: int,
    pool: Executor | None = None,
    tick: Callable[[int], Any] | None = None,
    alloc: Alloc = in_memory,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Minima, maxima and NaN flags of consecutive blocks of ``v`` (the last may be short).

    ``np.minimum``/``np.maximum`` reduce about a third faster than fmin/fmax and
    release the GIL (so ``pool``'s threads reduce chunks in parallel), but let NaN
    win; so a block whose minimum comes out NaN holds a NaN, and only those chunks
    are reduced again with fmin/fmax, which skip it. The flags (bool per block,
    True where the block holds a NaN) are None when no block does: integer
    channels and NaN-free float channels cost nothing more. The input is read one
    chunk of ``_CHUNK_BLOCKS`` blocks at a time, and a memory-mapped file's pages
    are given back as each chunk is done, so a file larger than memory streams
    through in bounded memory. ``alloc`` makes the minima and maxima arrays (files,
    written and given back chunk by chunk, for a pyramid built straight into a
    cache). ``tick(samples)`` is called as each chunk is done (a progress bar).
    """
    n = v.shape[0]
    count = -(-n // block)
    mins = alloc("0.min", count, v.dtype)
    maxs = alloc("0.max", count, v.dtype)
    step = _CHUNK_BLOCKS * block
    offsets = np.arange(0, step, block, dtype=np.intp)
    mapped = mapping_of(v)

    def chunk(s: int) -> np.ndarray | None:
        seg = np.asarray(v[s : s + step])
        idx = offsets if seg.shape[0] == step else offsets[: -(-seg.shape[0] // block)]
        k = s // block
        lo, hi = mins[k : k + idx.shape[0]], maxs[k : k + idx.shape[0]]
        np.minimum.reduceat(seg, idx, out=lo)
        np.maximum.reduceat(seg, idx, out=hi)
        bad = None
        if v.dtype.kind == "f":
            bad = np.isnan(lo)
            if bad.any():
                np.fmin.reduceat(seg, idx, out=lo)
                np.fmax.reduceat(seg, idx, out=hi)
            else:
                bad = None
        if mapped is not None:
            _read(v, s, s + step)  # a file larger than memory streams through a chunk at a time
        _written(mins, k, k + idx.shape[0])  # levels built into files go to disk as they are made
        _written(maxs, k, k + idx.shape[0])
        if tick is not None:
            tick(seg.shape[0])
        return bad

    starts = range(0, n, step)
    bads = list(pool.map(chunk, starts)) if pool is not None else [chunk(s) for s in starts]
    if all(b is None for b in bads):
        return mins, maxs, None
    flags = np.zeros(count, dtype=bool)
    for s, bad in zip(starts, bads, strict=True):
        if bad is not None:
            flags[s // block : s // block + bad.shape[0]] = bad
    return mins, maxs, flags


class Pyramid:
    """Block minima and maxima of one channel at every level.

    Args:
        values: the channel's samples (1-D, any real dtype). Kept by reference.
        base: samples per block at level 0.
        factor: blocks per block from one level to the next.
        pool: threads that reduce level 0's chunks in parallel (None: this thread).
        tick: called with each chunk's sample count as it is reduced (a progress bar).
        alloc: makes each level's arrays (default in memory; a cache builds into files).

    The pyramid costs ``2 * n / base * factor / (factor - 1)`` values of the
    input dtype: about 0.04 of the input with the defaults.
    """

    def __init__(
        self,
        values: np.ndarray,
        base: int = BASE,
        factor: int = FACTOR,
        pool: Executor | None = None,
        tick: Callable[[int], Any] | None = None,
        alloc: Alloc = in_memory,
    ) -> None:
        if base < 2 or factor < 2:
            raise ValueError(f"base and factor must be at least 2, got {base} and {factor}")
        self.values = values
        self.base = base
        self.factor = factor
        self.levels: list[tuple[np.ndarray, np.ndarray]] = []
        self.nans: list[np.ndarray] | None = None
        self.edges: EdgeTable | None = None
        """The samples at the column edges of wide columns (a channel read a chunk at a
        time; :mod:`tsvideo_widget.edgetable`), or None: windows read them from ``values``."""
        """Per level, True for each block that holds a NaN; None when no sample is NaN."""
        self.cache_key: str | None = None
        """Where a cache keeps this pyramid (entry and version), once stored or loaded."""
        n = values.shape[0]
        if n >= 2 * base:
            mins, maxs, flags = level_zero(values, base, pool, tick, alloc)
            self.levels.append((mins, maxs))
            self.nans = None if flags is None else [flags]
            while mins.shape[0] >= 2 * factor:
                k, size = len(self.levels), -(-mins.shape[0] // factor)
                out = alloc(f"{k}.min", size, mins.dtype), alloc(f"{k}.max", size, maxs.dtype)
                mins, maxs = reduce_blocks(mins, maxs, factor, out)
                self.levels.append((mins, maxs))
                if self.nans is not None:
                    f = self.nans[-1]
                    self.nans.append(np.logical_or.reduceat(f, np.arange(0, f.shape[0], factor)))
        elif values.dtype.kind == "f" and np.isnan(values).any():
            self.nans = []

    @classmethod
    def of_levels(
        cls,
        values: np.ndarray,
        levels: list[tuple[np.ndarray, np.ndarray]],
        nans: list[np.ndarray] | None,
        base: int = BASE,
        factor: int = FACTOR,
    ) -> Pyramid:
        """A pyramid of ``values`` from levels built before (read back from a cache).

        Raises:
            ValueError: levels whose shapes do not fit ``values``, ``base`` and ``factor``.
        """
        p = cls.__new__(cls)
        p.values, p.base, p.factor = values, base, factor
        size = -(-values.shape[0] // base)
        for k, (lo, hi) in enumerate(levels):
            if lo.shape != (size,) or hi.shape != (size,):
                raise ValueError(f"level {k} holds {lo.shape} blocks, {size} expected")
            if nans is not None and nans[k].shape != (size,):
                raise ValueError(f"level {k} NaN flags hold {nans[k].shape} blocks")
            size = -(-size // factor)
        p.levels = list(levels)
        p.nans = None if nans is None else list(nans)
        p.cache_key = None
        p.edges = None
        return p

    @property
    def has_nan(self) -> bool:
        """True when some sample is NaN."""
        return self.nans is not None

    @property
    def nbytes(self) -> int:
        """Bytes held by the pyramid itself (not the input)."""
        flags = sum(f.nbytes for f in self.nans) if self.nans is not None else 0
        return sum(a.nbytes + b.nbytes for a, b in self.levels) + flags

    def block_size(self, level: int) -> int:
        """Samples per block at ``level``; level -1 is the raw data (1 sample)."""
        return 1 if level < 0 else self.base * self.factor**level

    def range_minmax(
        self,
        starts: np.ndarray,
        stops: np.ndarray,
        plan: RangePlan | None = None,
        ragged: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact min and max of ``values[starts[k]:stops[k]]`` for every k.

        NaN samples are skipped; a run that is empty or all NaN gives NaN (for
        integer data an empty run gives the dtype's max and min: callers drop
        empty runs). ``plan``: a :class:`RangePlan` of the same runs, to share
        between channels; made here when None. ``ragged``: the minima and maxima
        of the runs' ragged heads and tails (interleaved, as the plan cuts them)
        when known (:mod:`tsvideo_widget.edgetable`): then no raw sample is read.
        """
        if plan is None:
            plan = RangePlan(starts, stops, self)
        v = self.values
        fill_lo, fill_hi = fills(v.dtype)
        seg_lo = np.full(2 * plan.runs, fill_lo, dtype=v.dtype)
        seg_hi = np.full(2 * plan.runs, fill_hi, dtype=v.dtype)
        mins = np.full(plan.runs, fill_lo, dtype=v.dtype)
        maxs = np.full(plan.runs, fill_hi, dtype=v.dtype)
        for st in plan.stages:
            if st.level < 0 and ragged is not None:
                np.fmin(mins, np.fmin(ragged[0][0::2], ragged[0][1::2]), out=mins)
                np.fmax(maxs, np.fmax(ragged[1][0::2], ragged[1][1::2]), out=maxs)
                continue
            arr_lo, arr_hi = (v, v) if st.level < 0 else self.levels[st.level]
            seg_lo.fill(fill_lo)
            seg_hi.fill(fill_hi)
            got = arr_lo.take(st.flat)
            seg_lo[st.segments] = np.fmin.reduceat(got, st.offsets)
            # The raw samples serve as both minima and maxima: gather them once.
            got = got if arr_hi is arr_lo else arr_hi.take(st.flat)
            seg_hi[st.segments] = np.fmax.reduceat(got, st.offsets)
            np.fmin(mins, np.fmin(seg_lo[0::2], seg_lo[1::2]), out=mins)
            np.fmax(maxs, np.fmax(seg_hi[0::2], seg_hi[1::2]), out=maxs)
        return mins, maxs

    def range_any_nan(
        self,
        starts: np.ndarray,
        stops: np.ndarray,
        plan: RangePlan | None = None,
        ragged: np.ndarray | None = None,
    ) -> np.ndarray:
        """True for every run ``values[starts[k]:stops[k]]`` that holds a NaN (bool array).

        The same plan as :meth:`range_minmax`, over the NaN flags: a query costs
        the same few hundred elements whatever the runs' lengths. ``ragged``: whether
        the runs' ragged heads and tails hold a NaN (interleaved), when known.
        """
        runs = np.asarray(starts).shape[0]
        if not self.has_nan:
            return np.zeros(runs, dtype=bool)
        if plan is None:
            plan = RangePlan(starts, stops, self)
        assert self.nans is not None
        out = np.zeros(runs, dtype=bool)
        seg = np.zeros(2 * runs, dtype=bool)
        for st in plan.stages:
            if st.level < 0 and ragged is not None:
                out |= ragged[0::2] | ragged[1::2]
                continue
            got = (
                np.isnan(self.values.take(st.flat))
                if st.level < 0
                else self.nans[st.level].take(st.flat)
            )
            seg.fill(False)
            seg[st.segments] = np.logical_or.reduceat(got, st.offsets)
            out |= seg[0::2] | seg[1::2]
        return out

    def first_valid(self, start: int, stop: int) -> int:
        """The first row in ``start:stop`` whose value is not NaN, or ``stop`` when none is.

        Scans the raw samples up to the end of a level-0 block, then skips whole
        all-NaN blocks on level 0 (a block whose fmin is NaN is all NaN), so a gap
        of a billion samples costs a scan of its 1/64 blocks, not of its samples.
        """
        if not self.has_nan:
            return min(start, stop)
        level0 = self.levels[0][0] if self.levels else None
        return valid_row(self.values, level0, self.base, start, stop, forward=True)

    def last_valid(self, start: int, stop: int) -> int:
        """The last row in ``start:stop`` whose value is not NaN, or ``start - 1`` when none is."""
        if not self.has_nan:
            return stop - 1 if stop > start else start - 1
        level0 = self.levels[0][0] if self.levels else None
        return valid_row(self.values, level0, self.base, start, stop, forward=False)
