"""Finding the nearest non-NaN sample fast, however long the gap before it.

A column that starts (or ends) in a gap draws from its first (last) non-NaN
sample. :func:`valid_row` finds it by scanning the raw samples only to the end
of the current level-0 block, then whole level-0 blocks of a pyramid (a block
whose fmin is NaN is all NaN), a growing number at a time: a gap of a billion
samples costs a scan of its 1/64 blocks, not of its samples.
"""

from __future__ import annotations

import numpy as np

__all__ = ["valid_row"]


def valid_row(
    values: np.ndarray,
    level0: np.ndarray | None,
    base: int,
    start: int,
    stop: int,
    forward: bool,
) -> int:
    """The first (``forward``) or last row in ``start:stop`` whose value is not NaN.

    Args:
        values: the channel's samples.
        level0: the pyramid's level-0 minima (NaN exactly for all-NaN blocks), or None.
        base: samples per level-0 block.
        start, stop: the rows to search.
        forward: search from ``start`` up (else from ``stop`` down).

    Returns:
        The row, or ``stop`` (forward) / ``start - 1`` (backward) when every value is NaN.
    """
    v, none = values, (stop if forward else start - 1)
    if start >= stop:
        return none
    # The partial block at the near end, raw.
    b = base
    if forward:
        edge = min(stop, -(-start // b) * b if start % b else start)
        ok = np.flatnonzero(~np.isnan(v[start:edge]))
        if ok.size:
            return start + int(ok[0])
        lo, hi = edge, stop
    else:
        edge = max(start, (stop // b) * b)
        ok = np.flatnonzero(~np.isnan(v[edge:stop]))
        if ok.size:
            return edge + int(ok[-1])
        lo, hi = start, edge
    if hi <= lo:
        return none
    mins = level0
    width = 64
    while hi > lo:
        if mins is None or hi - lo < 2 * b:
            chunk = v[lo:hi]
            ok = np.flatnonzero(~np.isnan(chunk))
            if not ok.size:
                return none
            return lo + int(ok[0] if forward else ok[-1])
        # Whole level-0 blocks inside lo..hi, ``width`` at a time, in the scan's direction.
        b0, b1 = -(-lo // b), hi // b
        if b1 <= b0:
            mins = None
            continue
        if forward:
            blocks = mins[b0 : min(b1, b0 + width)]
            ok = np.flatnonzero(~np.isnan(blocks))
            if ok.size:
                blk = b0 + int(ok[0])
                got = np.flatnonzero(~np.isnan(v[max(lo, blk * b) : min(hi, (blk + 1) * b)]))
                return max(lo, blk * b) + int(got[0])
            lo = (b0 + blocks.shape[0]) * b
        else:
            blocks = mins[max(b0, b1 - width) : b1]
            ok = np.flatnonzero(~np.isnan(blocks))
            if ok.size:
                blk = b1 - blocks.shape[0] + int(ok[-1])
                first = max(lo, blk * b)
                got = np.flatnonzero(~np.isnan(v[first : min(hi, (blk + 1) * b)]))
                return first + int(got[-1])
            hi = (b1 - blocks.shape[0]) * b
        width *= 4
    return none
