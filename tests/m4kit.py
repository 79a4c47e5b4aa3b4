"""Slow, obvious references for M4 decimation, built from nothing but raw samples.

* :func:`direct` decimates a window straight from the raw samples, one boolean
  mask per column, following the layout :mod:`tsvideo_widget.decimate` documents.
* :func:`pixels` reduces a line as uPlot's linear path builder draws it: per
  device-pixel column the first, minimum, maximum and last non-NaN value, plus
  the pixel spans uPlot clips as gaps (its ``findGaps`` rule). Two lines with the
  same summary draw the same pixels; it knows nothing of columns or slots.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _column_slots(v: np.ndarray) -> tuple[list[float], bool]:
    """[gap?, first, extreme, extreme, gap?, last, gap?] of one column's values, and
    whether the column meets NaN (only then are the gap slots sent)."""
    nan = np.isnan(v) if v.dtype.kind == "f" else np.zeros(v.shape[0], dtype=bool)
    ok = np.flatnonzero(~nan)
    if ok.size == 0:
        return [math.nan] * 7, True
    f, last = v[ok[0]].item(), v[ok[-1]].item()
    lo, hi = v[ok].min().item(), v[ok].max().item()
    e1, e2 = (hi, lo) if f > last else (lo, hi)
    lead = bool(nan[0])
    mid = bool(nan[ok[0] : ok[-1] + 1].any())
    trail = bool(nan[-1])
    slots = [
        math.nan if lead else f,
        f,
        e1,
        e2,
        math.nan if mid else e2,
        last,
        math.nan if trail else last,
    ]
    return slots, bool(nan.any())


def _outer(chans: list[np.ndarray], first: int, last: int) -> tuple[list[int], list[int]]:
    """The rows just outside ``first..last``, and each channel's nearest non-NaN beyond."""
    n = chans[0].shape[0]
    before = {first - 1} if first > 0 else set()
    after = {last + 1} if last + 1 < n else set()
    for v in chans:
        if v.dtype.kind != "f":
            continue
        ok_b = np.flatnonzero(~np.isnan(v[:first]))
        ok_a = np.flatnonzero(~np.isnan(v[last + 1 :]))
        if first > 0 and ok_b.size:
            before.add(int(ok_b[-1]))
        if last + 1 < n and ok_a.size:
            after.add(last + 1 + int(ok_a[0]))
    return sorted(before), sorted(after)


def _with_outer(
    t: np.ndarray,
    chans: list[np.ndarray],
    x: np.ndarray,
    ys: list[np.ndarray],
    first: int,
    last: int,
) -> tuple[np.ndarray, list[np.ndarray]]:
    before, after = _outer(chans, first, last)
    rows_b, rows_a = np.array(before, dtype=np.int64), np.array(after, dtype=np.int64)
    x = np.r_[t[rows_b], x, t[rows_a]]
    ys = [np.r_[v[rows_b], y, v[rows_a]].astype(v.dtype) for v, y in zip(chans, ys, strict=True)]
    return x, ys


def direct(
    t: np.ndarray, chans: list[np.ndarray], lo: float, hi: float, buckets: int
) -> tuple[np.ndarray, list[np.ndarray], float]:
    """The window decimated straight from the raw samples (times in seconds from t[0] = 0).

    Returns times, one array per channel and the column width (0.0 for raw samples).
    """
    lo, hi = max(lo, 0.0), min(hi, float(t[-1]))
    # The window's right edge takes in samples a few ulps past it (the widget's
    # documented slack: a time computed in float seconds as the last sample's own
    # time must still find the last sample).
    inside = np.flatnonzero((t >= lo) & (t <= hi + abs(hi) * 1e-15))
    if hi <= lo or inside.size < 4 * buckets:
        # Nothing inside: no body, and the samples either side of lo.
        a, b = (
            (int(inside[0]), int(inside[-1])) if inside.size else (int(np.searchsorted(t, lo)),) * 2
        )
        b = b if inside.size else a - 1
        x, ys_raw = _with_outer(t, chans, t[a : b + 1], [c[a : b + 1] for c in chans], a, b)
        return x, ys_raw, 0.0
    dt = 2.0 ** (math.floor(math.log2((hi - lo) / buckets) * 4) / 4)
    xs: list[float] = []
    ys: list[list[float]] = [[] for _ in chans]
    rows_used = []
    for k in range(math.floor(lo / dt), max(math.floor(lo / dt) + 1, math.ceil(hi / dt))):
        rows = np.flatnonzero((t >= k * dt) & (t < (k + 1) * dt))
        if rows.size == 0:
            continue
        rows_used.append(rows)
        per = [_column_slots(v[rows]) for v in chans]
        gappy = any(g for _, g in per)
        for s in range(7) if gappy else (1, 2, 3, 5):
            vals = [slots[s] for slots, _ in per]
            xs.append(t[rows[0]] if s < 3 else t[rows[-1]])
            for c, v in enumerate(vals):
                ys[c].append(v)
    first, last = int(rows_used[0][0]), int(rows_used[-1][-1])
    body = [np.array(y, dtype=v.dtype) for y, v in zip(ys, chans, strict=True)]
    x, out = _with_outer(t, chans, np.array(xs), body, first, last)
    return x, out, dt


def pixels(x: np.ndarray, y: np.ndarray, px: Any) -> tuple[dict[int, tuple], bool, list[tuple]]:
    """What uPlot draws of a line: per pixel (in, min, max, out), and the gaps it clips.

    Returns the per-pixel summary, whether any gap exists (uPlot then clips at all)
    and the gap spans wider than a pixel, in order (``clipGaps`` skips the others).

    ``px`` maps times to integer pixel columns (uPlot rounds positions). Gaps follow
    ``findGaps``: a run of NaN spans from the pixel of the value before it to the
    pixel of the value after it (the run's own ends at the data's edges).
    """
    cols = px(np.asarray(x, dtype=np.float64))
    yv = np.asarray(y, dtype=np.float64)
    acc: dict[int, tuple] = {}
    for p, v in zip(cols.tolist(), yv.tolist(), strict=True):
        if math.isnan(v):
            continue
        if p not in acc:
            acc[p] = (v, v, v, v)
        else:
            a, lo, hi, _ = acc[p]
            acc[p] = (a, min(lo, v), max(hi, v), v)
    gaps = []
    nan = np.isnan(yv)
    i, n = 0, yv.shape[0]
    while i < n:
        if not nan[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and nan[j + 1]:
            j += 1
        fr = cols[i - 1] if i > 0 else cols[i]
        to = cols[j + 1] if j + 1 < n else cols[j]
        if to >= fr:
            gaps.append((int(fr), int(to)))
        i = j + 1
    return acc, bool(gaps), [g for g in gaps if g[1] > g[0]]
