"""Min/max decimation per pixel column over a precomputed multi-resolution pyramid.

A chart a thousand pixels wide cannot show more than a few thousand points, so
for a window the browser is sent, per *column* of time (about one pixel wide),
the exact minimum and maximum of the samples that fall in it: every peak
survives, and because columns are cut in time, not in sample counts, this
holds for unevenly sampled data too.

Scanning the raw samples for every window change would cost O(n) (about 40 ms
for 1e8 float32 even with SIMD), so each channel keeps a pyramid of block
minima and maxima (blocks of ``BASE * FACTOR**k`` samples). The extremes of
any run of samples ``a..b`` are then a range query: the ragged ends come from
the raw samples and finer levels, the middle from whole blocks of coarser
levels, so a query touches at most ``2 * (BASE + FACTOR * levels)`` values
whatever the run's length (:meth:`Pyramid.range_minmax`).

Columns are aligned to multiples of their width in relative seconds and the
width is snapped to a power of ``2**(1/4)``: panning a window keeps the same
columns under the data (no shimmer), and the same window always gives the same
answer, which the tests compare with a direct scan of the raw samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .data import Series

BASE = 64
"""Samples per block at the finest pyramid level.

64 rather than 16: blocks of 64 reduce four times faster (numpy's reduction
runs per block) and the pyramid costs 0.04 of the input instead of 0.17, for
up to 63 raw samples read at each end of a column.
"""

FACTOR = 4
"""Blocks of one level reduced into one block of the next."""

RAW_BELOW = 4.0
"""A window with fewer samples than this per column is sent as its raw samples."""

LADDER = 4
"""Column widths are powers of ``2 ** (1 / LADDER)`` seconds: at most 19% finer than asked."""


_CHUNK_BLOCKS = 1 << 16
"""Blocks reduced per step: bounds the temporaries (and keeps them in cache)."""


def reduce_blocks(a: np.ndarray, b: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """fmin of ``a`` and fmax of ``b`` over consecutive blocks (the last may be short).

    fmin/fmax skip NaN, so a block is NaN only when all of it is: a gap stays a gap.
    ``reduceat`` reduces each block as one contiguous run (SIMD), about 6 GB/s
    for blocks of 64 float32 here; ``_CHUNK_BLOCKS`` blocks at a time keep its
    index array small whatever the input's size.
    """
    n = a.shape[0]
    mins = np.empty(-(-n // block), dtype=a.dtype)
    maxs = np.empty(mins.shape[0], dtype=b.dtype)
    step = _CHUNK_BLOCKS * block
    offsets = np.arange(0, step, block, dtype=np.intp)
    for s in range(0, n, step):
        seg_a, seg_b = a[s : s + step], b[s : s + step]
        idx = offsets if seg_a.shape[0] == step else offsets[: -(-seg_a.shape[0] // block)]
        k = s // block
        mins[k : k + idx.shape[0]] = np.fmin.reduceat(seg_a, idx)
        maxs[k : k + idx.shape[0]] = np.fmax.reduceat(seg_b, idx)
    return mins, maxs


def _fills(dtype: np.dtype) -> tuple[np.generic, np.generic]:
    """Values that never win a min (first) or a max (second) in ``dtype``.

    NaN for floats (fmin/fmax skip it, so an empty or all-NaN run stays NaN);
    the extreme integers otherwise.
    """
    if dtype.kind == "f":
        return dtype.type(np.nan), dtype.type(np.nan)
    info = np.iinfo(dtype)
    return dtype.type(info.max), dtype.type(info.min)


@dataclass(frozen=True)
class _Stage:
    """The elements one pyramid level contributes to a set of runs."""

    level: int
    """-1 for the raw samples, else the pyramid level."""
    flat: np.ndarray
    """Indices into that level's arrays, run segment after run segment."""
    offsets: np.ndarray
    """Where each non-empty segment starts in ``flat`` (for ``reduceat``)."""
    segments: np.ndarray
    """Which segment each offset belongs to: ``2 * run`` (head) or ``2 * run + 1`` (tail)."""


class RangePlan:
    """Which pyramid elements hold the extremes of runs ``starts[k]:stops[k]``.

    The plan depends only on the runs and the pyramid's shape, so one plan
    serves every channel of a series (they share length, base and factor).
    Each run is cut at multiples of ever coarser blocks: its ragged ends come
    from the raw samples and finer levels, its middle from whole coarse blocks.
    A level contributes at most ``step - 1`` blocks at each end of a run
    (``step`` = blocks per block of the next level), so a plan costs
    O(runs * (base + factor * levels)) whatever the runs' lengths.
    """

    def __init__(self, starts: np.ndarray, stops: np.ndarray, pyramid: Pyramid) -> None:
        a = np.asarray(starts, dtype=np.int64)
        b = np.asarray(stops, dtype=np.int64)
        if a.shape != b.shape:
            raise ValueError(f"starts and stops differ in shape: {a.shape} and {b.shape}")
        if a.size and (a.min() < 0 or b.max() > pyramid.values.shape[0]):
            raise IndexError(f"runs outside the {pyramid.values.shape[0]} samples")
        self.runs = a.shape[0]
        self.stages: list[_Stage] = []
        units = [1] + [pyramid.block_size(i) for i in range(len(pyramid.levels))]
        for s, unit in enumerate(units):
            if not np.any(a < b):
                break
            if s + 1 < len(units):
                nxt = units[s + 1]
                # The ends below a multiple of the next level's block come from
                # this level; the middle is left for coarser ones.
                head_end = np.minimum(b, -(-a // nxt) * nxt)
                tail_start = np.maximum(head_end, (b // nxt) * nxt)
            else:
                # Coarsest level: the rest is a few whole blocks.
                head_end = tail_start = b
            seg_lo = np.empty(2 * self.runs, dtype=np.int64)
            seg_hi = np.empty_like(seg_lo)
            seg_lo[0::2], seg_hi[0::2] = a // unit, head_end // unit
            seg_lo[1::2], seg_hi[1::2] = tail_start // unit, b // unit
            lengths = np.maximum(seg_hi - seg_lo, 0)
            full = np.flatnonzero(lengths)
            if full.shape[0]:
                lens = lengths[full]
                offsets = np.zeros(full.shape[0], dtype=np.int64)
                np.cumsum(lens[:-1], out=offsets[1:])
                total = int(offsets[-1] + lens[-1])
                # Element j of a segment sits at its start + j: a running count
                # plus, repeated, each segment's start minus its place in ``flat``.
                flat = np.arange(total, dtype=np.int64) + np.repeat(seg_lo[full] - offsets, lens)
                self.stages.append(_Stage(s - 1, flat, offsets, full))
            a, b = head_end, tail_start


class Pyramid:
    """Block minima and maxima of one channel at every level.

    Args:
        values: the channel's samples (1-D, any real dtype). Kept by reference.
        base: samples per block at level 0.
        factor: blocks per block from one level to the next.

    The pyramid costs ``2 * n / base * factor / (factor - 1)`` values of the
    input dtype: about 0.04 of the input with the defaults.
    """

    def __init__(self, values: np.ndarray, base: int = BASE, factor: int = FACTOR) -> None:
        if base < 2 or factor < 2:
            raise ValueError(f"base and factor must be at least 2, got {base} and {factor}")
        self.values = values
        self.base = base
        self.factor = factor
        self.levels: list[tuple[np.ndarray, np.ndarray]] = []
        n = values.shape[0]
        if n >= 2 * base:
            mins, maxs = reduce_blocks(values, values, base)
            self.levels.append((mins, maxs))
            while mins.shape[0] >= 2 * factor:
                mins, maxs = reduce_blocks(mins, maxs, factor)
                self.levels.append((mins, maxs))

    @property
    def nbytes(self) -> int:
        """Bytes held by the pyramid itself (not the input)."""
        return sum(a.nbytes + b.nbytes for a, b in self.levels)

    def block_size(self, level: int) -> int:
        """Samples per block at ``level``; level -1 is the raw data (1 sample)."""
        return 1 if level < 0 else self.base * self.factor**level

    def range_minmax(
        self, starts: np.ndarray, stops: np.ndarray, plan: RangePlan | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact min and max of ``values[starts[k]:stops[k]]`` for every k.

        NaN samples are skipped; a run that is empty or all NaN gives NaN (for
        integer data an empty run gives the dtype's max and min: callers drop
        empty runs). ``plan``: a :class:`RangePlan` of the same runs, to share
        between channels; made here when None.
        """
        if plan is None:
            plan = RangePlan(starts, stops, self)
        v = self.values
        fill_lo, fill_hi = _fills(v.dtype)
        seg_lo = np.full(2 * plan.runs, fill_lo, dtype=v.dtype)
        seg_hi = np.full(2 * plan.runs, fill_hi, dtype=v.dtype)
        mins = np.full(plan.runs, fill_lo, dtype=v.dtype)
        maxs = np.full(plan.runs, fill_hi, dtype=v.dtype)
        for st in plan.stages:
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


def column_width(seconds: float, columns: int) -> float:
    """Seconds per column so that ``seconds`` give at least ``columns`` columns.

    Snapped down to a power of ``2 ** (1 / LADDER)``, so nearby windows share
    their columns; 0.0 when ``seconds`` is not positive.
    """
    if not seconds > 0:
        return 0.0
    raw = seconds / max(1, columns)
    return float(2.0 ** (math.floor(math.log2(raw) * LADDER) / LADDER))


@dataclass(frozen=True)
class Columns:
    """Per-column extremes of one window.

    Column ``j`` covers relative seconds ``[(k0 + j) * dt, (k0 + j + 1) * dt)``
    and holds rows ``starts[j]:stops[j]`` (empty when no sample falls in it).

    Attributes:
        dt: seconds per column.
        k0: index of the first column on the global grid of width ``dt``.
        starts: int64 first row of each column.
        stops: int64 one past the last row of each column.
        mins: per channel, the minimum of each column (NaN where all NaN).
        maxs: per channel, the maximum of each column.
    """

    dt: float
    k0: int
    starts: np.ndarray
    stops: np.ndarray
    mins: list[np.ndarray]
    maxs: list[np.ndarray]


def columns(series: Series, pyramids: list[Pyramid], lo: float, hi: float, count: int) -> Columns:
    """Exact min and max of every column of about ``(hi - lo) / count`` seconds over [lo, hi]."""
    dt = column_width(hi - lo, count)
    if dt <= 0:
        raise ValueError(f"columns need a window of positive width, got {lo!r}..{hi!r}")
    k0 = math.floor(lo / dt)
    k1 = max(k0 + 1, math.ceil(hi / dt))
    rows = series.indices_at_rel(np.arange(k0, k1 + 1, dtype=np.float64) * dt)
    starts, stops = rows[:-1], rows[1:]
    mins, maxs = [], []
    plan = RangePlan(starts, stops, pyramids[0]) if pyramids else None
    for p in pyramids:
        lo_k, hi_k = p.range_minmax(starts, stops, plan)
        mins.append(lo_k)
        maxs.append(hi_k)
    return Columns(dt, k0, starts, stops, mins, maxs)


@dataclass(frozen=True)
class Decimated:
    """Points of one window, shared time axis for all channels.

    Attributes:
        x: float64 relative seconds of each point, non-decreasing.
        ys: one array per channel, the same length as ``x``.
        bucket: 1 for raw samples, else the mean samples per column (rounded up).
        dt: seconds per column (0.0 for raw samples).
        i0: first row covered.
        i1: one past the last row covered.
    """

    x: np.ndarray
    ys: list[np.ndarray]
    bucket: int
    dt: float
    i0: int
    i1: int


def _raw(series: Series, pyramids: list[Pyramid], i0: int, i1: int) -> Decimated:
    x = series.rel_at(slice(i0, i1))
    return Decimated(x, [p.values[i0:i1] for p in pyramids], 1, 0.0, i0, i1)


def decimate(
    series: Series, pyramids: list[Pyramid], lo: float, hi: float, count: int
) -> Decimated:
    """Points to draw relative seconds [lo, hi] about ``count`` pixels wide.

    Raw samples when the window holds fewer than ``RAW_BELOW`` per column;
    otherwise two points per non-empty column (:func:`columns`): its minimum and
    maximum, at the times of its first and last samples, the maximum first where
    the column falls (first sample above last) so a slope does not draw as a
    sawtooth. Empty columns give no points (the line joins across, as it would
    between raw samples); all-NaN columns give NaN (a gap). The samples just
    outside the window are added raw so the line enters and leaves it.
    """
    n = series.n
    if n == 0 or not pyramids:
        return _raw(series, pyramids, 0, 0)
    lo, hi = max(lo, 0.0), min(hi, series.span)
    count = max(1, int(count))
    i0 = series.sample_index(lo, "left")
    i1 = series.sample_index(hi, "right")
    if hi <= lo or (i1 - i0) < RAW_BELOW * count:
        return _raw(series, pyramids, max(0, i0 - 1), min(n, i1 + 1))
    cols = columns(series, pyramids, lo, hi, count)
    keep = np.flatnonzero(cols.stops > cols.starts)
    if keep.size == 0:  # a window narrower than the float noise of its ends: draw raw
        return _raw(series, pyramids, max(0, i0 - 1), min(n, i1 + 1))
    first, last = cols.starts[keep], cols.stops[keep] - 1
    before = [int(first[0]) - 1] if first[0] > 0 else []
    after = [int(last[-1]) + 1] if last[-1] + 1 < n else []
    m = keep.shape[0]
    x = np.empty(2 * m + len(before) + len(after), dtype=np.float64)
    body = slice(len(before), len(before) + 2 * m)
    x[body][0::2] = series.rel_at(first)
    x[body][1::2] = series.rel_at(last)
    ys = []
    for p, mins, maxs in zip(pyramids, cols.mins, cols.maxs, strict=True):
        lo_k, hi_k = mins[keep], maxs[keep]
        falling = p.values[first] > p.values[last]
        y = np.empty(x.shape[0], dtype=p.values.dtype)
        y[body][0::2] = np.where(falling, hi_k, lo_k)
        y[body][1::2] = np.where(falling, lo_k, hi_k)
        if before:
            y[0] = p.values[before[0]]
        if after:
            y[-1] = p.values[after[0]]
        ys.append(y)
    if before:
        x[0] = series.rel_at(before[0])
    if after:
        x[-1] = series.rel_at(after[0])
    i_lo = before[0] if before else int(first[0])
    i_hi = after[0] + 1 if after else int(last[-1]) + 1
    bucket = max(2, math.ceil((i_hi - i_lo) / max(1, m)))
    return Decimated(x, ys, bucket, cols.dt, i_lo, i_hi)
