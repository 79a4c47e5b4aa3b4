"""M4 decimation: per pixel column the first, minimum, maximum and last value, over a pyramid.

A chart a thousand pixels wide cannot show more than a few thousand points, so
for a window the browser is sent, per *column* of time (about one pixel wide),
four values of the samples that fall in it: the first, the exact minimum and
maximum, and the last (M4: Jugel et al., PVLDB 2014). A line chart draws a
pixel column from exactly these: the segment entering it ends at the first
value, the column's vertical stroke spans minimum to maximum, and the segment
leaving it starts at the last value. uPlot itself reduces dense data to these
four per device pixel before drawing, so when every column lies inside one
pixel column the line drawn from the columns is the line drawn from every raw
sample, pixel for pixel (min/max alone misdraws the segments between columns).
Columns are cut in time, not in sample counts, so this holds for uneven
sampling too, and a column that holds NaN says where: a NaN point before its
first value (it starts in a gap), between its extremes and its last value (a
gap inside it) or after its last value (it ends in one), so the chart clips
the same gaps.

Extremes come from the per-channel pyramids (:mod:`tsvideo_widget.pyramid`),
first and last values from the raw samples at each column's ends.

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

from .pyramid import BASE, FACTOR, Pyramid, RangePlan, reduce_blocks
from .wire import COLUMN_LADDER

__all__ = [
    "BASE",
    "FACTOR",
    "LADDER",
    "RAW_BELOW",
    "Columns",
    "Decimated",
    "Pyramid",
    "RangePlan",
    "column_width",
    "columns",
    "decimate",
    "ladder_width",
    "reduce_blocks",
]

if TYPE_CHECKING:
    from .data import Series
    from .edgetable import Ends

RAW_BELOW = 4.0
"""A window with fewer samples than this per column is sent as its raw samples."""

LADDER = COLUMN_LADDER
"""Column widths are powers of ``2 ** (1 / LADDER)`` seconds: at most 19% finer than asked."""


def ladder_width(m: int) -> float:
    """Rung ``m`` of the column widths: ``2 ** (m / LADDER)`` seconds (float)."""
    return float(2.0 ** (m / LADDER))


def column_width(seconds: float, columns: int) -> float:
    """Seconds per column so that ``seconds`` give at least ``columns`` columns.

    Snapped down to a power of ``2 ** (1 / LADDER)``, so nearby windows share
    their columns; 0.0 when ``seconds`` is not positive.
    """
    if not seconds > 0:
        return 0.0
    raw = seconds / max(1, columns)
    return ladder_width(math.floor(math.log2(raw) * LADDER))


@dataclass(frozen=True)
class Gaps:
    """Where a channel's columns meet NaN (all bool arrays, one per column).

    Attributes:
        lead: the column's first sample is NaN (it starts in a gap).
        mid: a NaN lies between its first and last non-NaN samples.
        trail: its last sample is NaN (it ends in a gap).
    """

    lead: np.ndarray
    mid: np.ndarray
    trail: np.ndarray


@dataclass(frozen=True)
class Columns:
    """Per-column first, minimum, maximum and last values of one window.

    Column ``j`` covers relative seconds ``[(k0 + j) * dt, (k0 + j + 1) * dt)``
    and holds rows ``starts[j]:stops[j]`` (empty when no sample falls in it).

    Attributes:
        dt: seconds per column.
        k0: index of the first column on the global grid of width ``dt``.
        starts: int64 first row of each column.
        stops: int64 one past the last row of each column.
        mins: per channel, the minimum of each column (NaN where all NaN).
        maxs: per channel, the maximum of each column.
        firsts: per channel, the first non-NaN value of each column (NaN where all NaN).
        lasts: per channel, the last non-NaN value of each column.
        gaps: per channel, where its columns meet NaN, or None for a channel
            without NaN in the window.
    """

    dt: float
    k0: int
    starts: np.ndarray
    stops: np.ndarray
    mins: list[np.ndarray]
    maxs: list[np.ndarray]
    firsts: list[np.ndarray]
    lasts: list[np.ndarray]
    gaps: list[Gaps | None]


def _ends(
    p: Pyramid,
    starts: np.ndarray,
    stops: np.ndarray,
    plan: RangePlan,
    known: Ends | None = None,
    keep: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, Gaps | None]:
    """First and last non-NaN values of each non-empty run, and where the runs meet NaN.

    ``known``: what an edge table holds of the columns these runs are ``keep`` of
    (:mod:`tsvideo_widget.edgetable`); else the samples at ``starts`` and ``stops - 1``
    are read, in one request (a chunked channel decodes each chunk once for both).
    """
    v = p.values
    last_rows = stops - 1
    ragged_nan = None
    if known is not None and keep is not None:
        firsts, lasts = known.first[keep], known.last[keep]
        if known.ragged_nan is not None:
            ragged_nan = known.ragged_nan.reshape(-1, 2)[keep].ravel()
    else:
        both = v[np.concatenate([starts, last_rows])]
        firsts, lasts = both[: starts.shape[0]], both[starts.shape[0] :]
    if not p.has_nan:
        return firsts, lasts, None
    any_nan = p.range_any_nan(starts, stops, plan, ragged_nan)
    if not any_nan.any():
        return firsts, lasts, None
    lead, trail = np.isnan(firsts), np.isnan(lasts)
    mid = np.zeros(starts.shape[0], dtype=bool)
    firsts, lasts = firsts.copy(), lasts.copy()
    f_rows, l_rows = starts.copy(), last_rows.copy()
    for j in np.flatnonzero(any_nan):
        a, b = int(starts[j]), int(stops[j])
        if lead[j]:
            f_rows[j] = p.first_valid(a, b)
        if trail[j]:
            l_rows[j] = p.last_valid(a, b)
        if f_rows[j] < b:
            firsts[j], lasts[j] = v[f_rows[j]], v[l_rows[j]]
    inner = any_nan & (f_rows < l_rows)
    if inner.any():
        k = np.flatnonzero(inner)
        mid[k] = p.range_any_nan(f_rows[k] + 1, l_rows[k])
    return firsts, lasts, Gaps(lead, mid, trail)


def columns(series: Series, pyramids: list[Pyramid], lo: float, hi: float, count: int) -> Columns:
    """First, min, max and last of each column of about ``(hi - lo) / count`` s over [lo, hi].

    Empty columns are kept (with meaningless values): callers drop them by ``starts == stops``.
    """
    dt = column_width(hi - lo, count)
    if dt <= 0:
        raise ValueError(f"columns need a window of positive width, got {lo!r}..{hi!r}")
    k0 = math.floor(lo / dt)
    k1 = max(k0 + 1, math.ceil(hi / dt))
    rows = series.indices_at_rel(np.arange(k0, k1 + 1, dtype=np.float64) * dt)
    starts, stops = rows[:-1], rows[1:]
    full = stops > starts
    mins, maxs, firsts, lasts = [], [], [], []
    gaps: list[Gaps | None] = []
    plan = RangePlan(starts, stops, pyramids[0]) if pyramids else None
    fstarts, fstops = starts[full], stops[full]
    fplan = RangePlan(fstarts, fstops, pyramids[0]) if pyramids else None
    for p in pyramids:
        # The samples the pyramid cannot give, from an edge table when it holds them.
        known = p.edges.ends(dt, k0, starts, stops) if p.edges is not None else None
        lo_k, hi_k = p.range_minmax(starts, stops, plan, None if known is None else known.ragged)
        mins.append(lo_k)
        maxs.append(hi_k)
        assert fplan is not None
        f, last, g = _ends(p, fstarts, fstops, fplan, known, full)
        first_all = np.full(
            starts.shape[0], np.nan if p.values.dtype.kind == "f" else 0, p.values.dtype
        )
        last_all = first_all.copy()
        first_all[full], last_all[full] = f, last
        firsts.append(first_all)
        lasts.append(last_all)
        if g is None:
            gaps.append(None)
        else:
            lead = np.zeros(starts.shape[0], dtype=bool)
            mid, trail = lead.copy(), lead.copy()
            lead[full], mid[full], trail[full] = g.lead, g.mid, g.trail
            gaps.append(Gaps(lead, mid, trail))
    return Columns(dt, k0, starts, stops, mins, maxs, firsts, lasts, gaps)


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


def _outer(pyramids: list[Pyramid], first: int, last: int, n: int) -> tuple[list[int], list[int]]:
    """Rows beyond ``first..last`` a chart needs to enter and leave the window as the raw line does.

    The sample just before and just after, and for a channel NaN there, its nearest
    non-NaN sample beyond (a chart draws the line in from it, across the gap).
    """
    before = {first - 1} if first > 0 else set()
    after = {last + 1} if last + 1 < n else set()
    for p in pyramids:
        if p.has_nan:
            if first > 0:
                j = p.last_valid(0, first)
                if j >= 0:
                    before.add(j)
            if last + 1 < n:
                j = p.first_valid(last + 1, n)
                if j < n:
                    after.add(j)
    return sorted(before), sorted(after)


def _raw(series: Series, pyramids: list[Pyramid], i0: int, i1: int) -> Decimated:
    """The raw samples ``i0:i1`` (none when ``i1 <= i0``) and the rows beyond them a chart
    needs (:func:`_outer`)."""
    i1 = max(i0, i1)
    before, after = _outer(pyramids, i0, i1 - 1, series.n)
    rows = np.r_[
        np.asarray(before, dtype=np.int64), np.arange(i0, i1), np.asarray(after, dtype=np.int64)
    ]
    if rows.shape[0] == 0:
        return Decimated(
            series.rel_at(slice(0, 0)), [p.values[0:0] for p in pyramids], 1, 0.0, i0, i0
        )
    lo, hi = int(rows[0]), int(rows[-1]) + 1
    if rows.shape[0] == hi - lo:  # contiguous: slices, no gather
        return Decimated(
            series.rel_at(slice(lo, hi)), [p.values[lo:hi] for p in pyramids], 1, 0.0, lo, hi
        )
    return Decimated(series.rel_at(rows), [p.values[rows] for p in pyramids], 1, 0.0, lo, hi)


SLOTS = 7
"""Points a column may send: a gap before, first, two extremes, a gap inside, last, a gap after."""

_PLAIN = np.array([False, True, True, True, False, True, False])
"""The slots of a column without NaN: first, two extremes, last."""

_AT_START = np.array([True, True, True, False, False, False, False])
"""Slots drawn at the column's first sample's time (the rest at its last's)."""


def _slots(cols: Columns, keep: np.ndarray, channel: int) -> np.ndarray:
    """One channel's (columns, SLOTS) values: [gap?, first, extreme, extreme, gap?, last, gap?].

    The extremes go minimum first where the column rises (first at most last) and
    maximum first where it falls, so a slope draws as a slope. A gap slot holds
    NaN where the column meets a gap there, else repeats its neighbour (a point
    that draws nothing: sent only in columns where some channel has a gap).
    """
    f, last = cols.firsts[channel][keep], cols.lasts[channel][keep]
    lo, hi = cols.mins[channel][keep], cols.maxs[channel][keep]
    falling = f > last
    e1, e2 = np.where(falling, hi, lo), np.where(falling, lo, hi)
    out = np.empty((keep.shape[0], SLOTS), dtype=f.dtype)
    out[:, 0], out[:, 1], out[:, 2], out[:, 3] = f, f, e1, e2
    out[:, 4], out[:, 5], out[:, 6] = e2, last, last
    g = cols.gaps[channel]
    if g is not None:
        out[g.lead[keep], 0] = np.nan
        out[g.mid[keep], 4] = np.nan
        out[g.trail[keep], 6] = np.nan
    return out


def decimate(
    series: Series, pyramids: list[Pyramid], lo: float, hi: float, count: int
) -> Decimated:
    """Points to draw relative seconds [lo, hi] about ``count`` pixels wide.

    Raw samples when the window holds fewer than ``RAW_BELOW`` per column;
    otherwise the M4 points of every non-empty column (:func:`columns`, shared by
    all channels): its first value at its first sample's time, its two extremes,
    its last value at its last sample's time, and NaN points where it meets a
    gap (see the module's docstring). Every column sends all four, even where
    they repeat: a chart reduces a line of at least four points per pixel the way
    it reduces the raw samples (uPlot switches to per-pixel reduction there, and
    draws sparser lines point by point, rounding each to a pixel), so the line is
    drawn the same. Empty columns give no points (the line joins across, as
    between raw samples); all-NaN columns give NaN (a gap). The samples just
    outside the window are added raw so the line enters and leaves it, and so is,
    for a channel NaN there, its nearest non-NaN sample beyond (:func:`_outer`).
    """
    n = series.n
    if n == 0 or not pyramids:
        return _raw(series, pyramids, 0, 0)
    lo, hi = max(lo, 0.0), min(hi, series.span)
    count = max(1, int(count))
    i0 = series.sample_index(lo, "left")
    i1 = series.sample_index(hi, "right")
    if hi <= lo or (i1 - i0) < RAW_BELOW * count:
        return _raw(series, pyramids, i0, i1)
    cols = columns(series, pyramids, lo, hi, count)
    keep = np.flatnonzero(cols.stops > cols.starts)
    if keep.size == 0:  # a window narrower than the float noise of its ends: draw raw
        return _raw(series, pyramids, i0, i1)
    first, last = cols.starts[keep], cols.stops[keep] - 1
    m = keep.shape[0]
    slots = [_slots(cols, keep, c) for c in range(len(pyramids))]
    # The plain four slots, and the gap slots in columns where some channel meets a gap.
    gappy = np.zeros(m, dtype=bool)
    for g in cols.gaps:
        if g is not None:
            gappy |= g.lead[keep] | g.mid[keep] | g.trail[keep]
    flat = np.flatnonzero((_PLAIN[None, :] | gappy[:, None]).ravel())
    col_of, slot_of = np.divmod(flat, SLOTS)
    before, after = _outer(pyramids, int(first[0]), int(last[-1]), n)
    rows_b, rows_a = np.asarray(before, dtype=np.int64), np.asarray(after, dtype=np.int64)
    t_first, t_last = series.rel_at(first), series.rel_at(last)
    x = np.concatenate(
        [
            series.rel_at(rows_b),
            np.where(_AT_START[slot_of], t_first[col_of], t_last[col_of]),
            series.rel_at(rows_a),
        ]
    )
    ys = [
        np.concatenate([p.values[rows_b], y_slots.ravel()[flat], p.values[rows_a]])
        for p, y_slots in zip(pyramids, slots, strict=True)
    ]
    i_lo = before[0] if before else int(first[0])
    i_hi = after[-1] + 1 if after else int(last[-1]) + 1
    bucket = max(2, math.ceil((i_hi - i_lo) / max(1, m)))
    return Decimated(x, ys, bucket, cols.dt, i_lo, i_hi)
