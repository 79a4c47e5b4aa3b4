"""Which pyramid elements hold the extremes of runs of samples: :class:`RangePlan`.

A run's ragged ends come from the raw samples and finer levels, its middle from
whole blocks of coarser ones; the plan lists those elements per level once, so
every channel of a series (same length, base and factor) shares it. Split from
:mod:`tsvideo_widget.pyramid`, which builds the levels and answers the queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .pyramid import Pyramid

__all__ = ["RangePlan", "fills"]


def fills(dtype: np.dtype) -> tuple[np.generic, np.generic]:
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
