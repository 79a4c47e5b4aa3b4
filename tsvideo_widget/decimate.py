"""Min/max decimation over a precomputed multi-resolution pyramid.

A chart a thousand pixels wide cannot show more than a few thousand points, so
the browser is sent, per bucket of samples, the bucket's exact minimum and
maximum: every peak survives. Scanning the raw samples for every window change
would cost O(n) (about 40 ms for 1e8 float32 even with SIMD), so each channel
keeps a pyramid of block minima and maxima (blocks of ``BASE * FACTOR**k``
samples). A window query reduces whole blocks of the finest level that fits,
which costs O(buckets * FACTOR) whatever the data size.

Buckets are aligned to multiples of their size in *sample index* space, so the
same bucket size always yields the same buckets and any window's answer equals
reducing the raw samples directly over those boundaries (the tests check this).
With uneven sampling a bucket covers an uneven stretch of time; its points are
placed at the times of its first and last sample.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

BASE = 16
"""Samples per block at the finest pyramid level."""

FACTOR = 4
"""Blocks of one level reduced into one block of the next."""

RAW_THRESHOLD = 2
"""A window whose bucket would hold at most this many samples is sent raw."""


def _reduce_blocks(a: np.ndarray, b: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """fmin of ``a`` and fmax of ``b`` over consecutive blocks (the last may be short).

    fmin/fmax skip NaN, so a block is NaN only when all of it is: a gap stays a gap.
    """
    n = a.shape[0]
    full = n // block
    mins = np.fmin.reduce(a[: full * block].reshape(full, block), axis=1)
    maxs = np.fmax.reduce(b[: full * block].reshape(full, block), axis=1)
    if n % block:
        mins = np.append(mins, np.fmin.reduce(a[full * block :]))
        maxs = np.append(maxs, np.fmax.reduce(b[full * block :]))
    return mins, maxs


class Pyramid:
    """Block minima and maxima of one channel at every level.

    Args:
        values: the channel's samples (1-D, any real dtype). Kept by reference.
        base: samples per block at level 0.
        factor: blocks per block from one level to the next.

    The pyramid costs ``2 * n / base * factor / (factor - 1)`` values of the
    input dtype: about 0.17 of the input with the defaults.
    """

    def __init__(self, values: np.ndarray, base: int = BASE, factor: int = FACTOR) -> None:
        self.values = values
        self.base = base
        self.factor = factor
        self.levels: list[tuple[np.ndarray, np.ndarray]] = []
        n = values.shape[0]
        if n >= 2 * base:
            mins, maxs = _reduce_blocks(values, values, base)
            self.levels.append((mins, maxs))
            while mins.shape[0] >= 2 * factor:
                mins, maxs = _reduce_blocks(mins, maxs, factor)
                self.levels.append((mins, maxs))

    @property
    def nbytes(self) -> int:
        """Bytes held by the pyramid itself (not the input)."""
        return sum(a.nbytes + b.nbytes for a, b in self.levels)

    def block_size(self, level: int) -> int:
        """Samples per block at ``level``; level -1 is the raw data (1 sample)."""
        return 1 if level < 0 else self.base * self.factor**level

    def bucket_minmax(self, size: int, k0: int, k1: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact min and max of buckets ``k0..k1-1`` of ``size`` samples each.

        Uses the coarsest level whose block size divides ``size``; the caller
        picks ``size`` as a multiple of some level's block size.
        """
        level = -1
        for lv in range(len(self.levels)):
            b = self.block_size(lv)
            if b <= size and size % b == 0:
                level = lv
        b = self.block_size(level)
        m = size // b
        if level < 0:
            lo_arr = hi_arr = self.values
        else:
            lo_arr, hi_arr = self.levels[level]
        start = k0 * m
        stop = min(k1 * m, lo_arr.shape[0])
        idx = np.arange(0, stop - start, m)
        lo = lo_arr[start:stop]
        hi = hi_arr[start:stop]
        return np.fmin.reduceat(lo, idx), np.fmax.reduceat(hi, idx)


def bucket_size(count: int, buckets: int, pyramid: Pyramid) -> int:
    """Samples per bucket so that ``count`` samples give at most about ``buckets`` buckets.

    The size is a whole number of pyramid blocks, so a query reduces whole
    blocks; rounding it up to a block keeps the count at or below ``buckets``.
    Blocks at most 1/8 of the size keep that rounding under 12.5%, so the
    answer is never much coarser than asked. 1 means the window is shown raw.
    """
    target = math.ceil(count / max(buckets, 1))
    if target <= RAW_THRESHOLD:
        return 1
    block = 1
    for lv in range(len(pyramid.levels)):
        b = pyramid.block_size(lv)
        if b * 8 <= target:
            block = b
    return -(-target // block) * block


@dataclass(frozen=True)
class Decimated:
    """Points of one window, shared time axis for all channels.

    Attributes:
        x: float64 relative seconds of each point, non-decreasing.
        ys: one array per channel, the same length as ``x``.
        bucket: samples per bucket (1 = raw samples, no decimation).
        i0: first sample index covered.
        i1: one past the last sample index covered.
    """

    x: np.ndarray
    ys: list[np.ndarray]
    bucket: int
    i0: int
    i1: int


def decimate(
    rel: np.ndarray | Callable[[Any], np.ndarray],
    pyramids: list[Pyramid],
    i0: int,
    i1: int,
    buckets: int,
) -> Decimated:
    """Points for samples ``i0..i1-1``: raw when few, else min/max per bucket.

    In decimated form every bucket contributes two points, its minimum and its
    maximum, at the times of its first and last samples: the maximum first where
    the bucket falls (first sample above last), else the minimum first.
    Buckets are aligned to multiples of their size, so the covered range may
    extend a little beyond ``i0..i1`` (at most one bucket on each side).
    ``rel`` gives seconds since t0 for row indices: an array, or a function
    taking an index array or a slice (so the time column need not be copied).
    """
    at = rel.__getitem__ if isinstance(rel, np.ndarray) else rel
    n = pyramids[0].values.shape[0] if pyramids else 0
    i0 = max(0, min(i0, n))
    i1 = max(i0, min(i1, n))
    if i1 - i0 == 0 or not pyramids:
        return Decimated(at(slice(i0, i1)), [p.values[i0:i1] for p in pyramids], 1, i0, i1)
    size = bucket_size(i1 - i0, buckets, pyramids[0])
    if size == 1:
        return Decimated(at(slice(i0, i1)), [p.values[i0:i1] for p in pyramids], 1, i0, i1)
    k0 = i0 // size
    k1 = -(-i1 // size)
    starts = np.arange(k0, k1, dtype=np.int64) * size
    ends = np.minimum(starts + size, n) - 1
    x = np.empty(2 * starts.shape[0], dtype=np.float64)
    x[0::2] = at(starts)
    x[1::2] = at(ends)
    ys = []
    for p in pyramids:
        lo, hi = p.bucket_minmax(size, k0, k1)
        # Where a bucket falls (its first sample above its last), put the
        # maximum first: otherwise a smooth slope draws as a sawtooth.
        falling = p.values[starts] > p.values[ends]
        y = np.empty(2 * lo.shape[0], dtype=lo.dtype)
        y[0::2] = np.where(falling, hi, lo)
        y[1::2] = np.where(falling, lo, hi)
        ys.append(y)
    return Decimated(x, ys, size, int(starts[0]), int(ends[-1]) + 1)
