"""The fine steps of a suggested alignment: the offset at full resolution, and the rate.

:mod:`tsvideo_widget.suggest` finds candidate offsets on a coarse grid; for each,
:func:`refine` estimates the rate from segments of the overlap (each correlated at full
resolution, their lags fitted by a robust line) and :func:`fine_offset_at_rate` takes
the offset from the whole overlap resampled at that rate; :func:`fine_offset` takes it
at rate 1 when the rate cannot be estimated. See :mod:`tsvideo_widget.suggest` for the
method as a whole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .correlate import parabola, peak_in, robust_line, xcorr
from .features import Feature

__all__ = [
    "MAX_DRIFT",
    "REFINE_MIN_SECONDS",
    "SEGMENT_LOW",
    "SEGMENT_SECONDS",
    "SMOOTH_SECONDS",
    "Problem",
    "fine_offset",
    "fine_offset_at_rate",
    "refine",
]

MAX_DRIFT = 1e-3
"""The largest clock drift searched for, as ``|rate - 1|`` (1000 ppm: 3.6 s an hour).

Consumer cameras and recorders drift by 10-200 ppm; a mapping further from rate 1 than
this needs its rate set by hand first."""

REFINE_MIN_SECONDS = 120.0
"""Seconds of overlap needed to estimate the rate (four segments of 30 s).

Below this, a drift the correlation could resolve (a few ms over the overlap) would
need more than 30 ppm: the rate is left at 1.0."""

SEGMENT_SECONDS = 30.0
"""About how long each segment of the rate estimate is (seconds of data).

Long enough to hold several events (for a peak that can be trusted), short enough
that a 1000 ppm drift moves its events by only 30 ms within it."""

SMOOTH_SECONDS = 0.005
"""For the rate's segments, both features are averaged over about this many seconds.

One event is then one bump, not a train of spikes (a ringing sensor's energy at one
sample per bin rises and falls with every half cycle), so a segment's few events give
a peak smooth enough for the parabola: on ``tests/alignkit.py``'s 10-minute cases the
rate error went from 4.5 to under 1 ppm. Features of 2 ms steps or coarser are left
alone. The offset itself is taken from the unsmoothed features (smoothing shifts a
peak toward the middle of a spike train: 1 ms at 9 ms of smoothing)."""


SEGMENT_LOW = 6.0
"""Peak-to-sidelobe ratio below which a segment's lag is dropped: a segment's window has
fewer lags than the whole search, so the bar is lower than ``suggest.LOW_CONFIDENCE``."""


def smooth(v: np.ndarray, dt: float) -> np.ndarray:
    """``v`` averaged over a centred window of about :data:`SMOOTH_SECONDS` (odd, in bins).

    Unchanged when the window would be under 3 bins (motion at a video's frame rate).
    """
    width = round(SMOOTH_SECONDS / dt) | 1
    if width < 3:
        return v
    return np.convolve(v, np.full(width, 1.0 / width), mode="same")


@dataclass(frozen=True)
class Problem:
    """The two features on one grid: lag ``L`` is the offset ``base + L * dt``."""

    m: np.ndarray
    d: np.ndarray
    dt: float
    base: float
    media: Feature
    data: Feature

    def lags(self, lo: float, hi: float, step: float) -> tuple[int, int]:
        """The lag range (in bins of ``step``) of offsets ``lo..hi``."""
        return math.ceil((lo - self.base) / step - 1e-9), math.floor((hi - self.base) / step + 1e-9)

    def overlap(self, offset: float) -> tuple[int, int]:
        """Data indices [a, b) whose media time at ``offset`` (rate 1) lies in the media."""
        m0 = self.media.t0
        m1 = m0 + (len(self.m) - 1) * self.dt
        a = max(0, math.ceil((m0 - offset - self.data.t0) / self.dt))
        b = min(len(self.d), math.floor((m1 - offset - self.data.t0) / self.dt) + 1)
        return a, max(a, b)


def fine_offset(p: Problem, offset: float, half: float, limits: tuple[float, float]) -> float:
    """The offset of the full-resolution peak within ``half`` seconds of ``offset``."""
    lo, hi = p.lags(max(limits[0], offset - half), min(limits[1], offset + half), p.dt)
    curve = xcorr(p.m, p.d, lo, max(lo, hi), min(len(p.m), len(p.d)) // 2)
    if curve is None:
        return offset
    lag, _ = peak_in(curve, 5)
    return p.base + lag * p.dt


def event_centre(m: np.ndarray, d: np.ndarray, lag: int) -> float:
    """Where in ``d`` (fractional index) the shared events that set the peak at ``lag`` are.

    A segment's peak measures the lag at the events both features show, not at the
    segment's middle: the mean index weighted by the product of the two features (each
    above its median) at that lag. The middle when they share nothing there.
    """
    j = np.arange(len(d))
    i = j + lag
    ok = (i >= 0) & (i < len(m))
    dj, mi = d[j[ok]], m[i[ok]]
    w = np.maximum(dj - np.median(dj), 0.0) * np.maximum(mi - np.median(mi), 0.0)
    total = float(w.sum())
    if not total > 0:
        return 0.5 * (len(d) - 1)
    return float(np.dot(j[ok], w)) / total


def refine(p: Problem, offset: float, half: float) -> tuple[float, float] | None:
    """(offset, rate) fitted to the segments' peaks near ``offset``; None if undetermined."""
    a, b = p.overlap(offset)
    span = (b - a) * p.dt
    if span < REFINE_MIN_SECONDS:
        return None
    segments = max(4, int(span // SEGMENT_SECONDS))
    size = (b - a) // segments
    lo, hi = p.lags(offset - half, offset + half, p.dt)
    m, d = smooth(p.m, p.dt), smooth(p.d, p.dt)
    centre, lag, weight = [], [], []
    for k in range(segments):
        s = a + k * size
        curve = xcorr(m, d[s : s + size], lo + s, hi + s, int(0.8 * size))
        if curve is None:
            continue
        peak, psr = peak_in(curve, 5)
        if psr < SEGMENT_LOW:
            continue
        centre.append(p.data.t0 + (s + event_centre(m, d[s : s + size], round(peak))) * p.dt)
        lag.append(p.base + (peak - s) * p.dt)
        weight.append(psr * psr)
    if len(centre) < 3:
        return None
    t, y = np.array(centre), np.array(lag)
    intercept, slope, inliers = robust_line(t, y, np.array(weight), 2.0 * p.dt)
    if inliers < 3 or np.ptp(t) < 0.5 * REFINE_MIN_SECONDS or abs(slope) > MAX_DRIFT:
        return None
    # y is media - data time: media = intercept + (1 + slope) * data.
    rate = 1.0 + slope
    del m, d  # the smoothed copies are not needed for the offset
    return fine_offset_at_rate(p, intercept, rate, 10 * p.dt), rate


def fine_offset_at_rate(p: Problem, offset: float, rate: float, half: float) -> float:
    """The offset of the full-resolution peak within ``half`` s of ``offset``, at ``rate``.

    The data is resampled at steps of ``dt / rate`` (data seconds), so its events fall on
    the media's grid all along the overlap and the whole overlap adds up to one sharp peak.
    Lag ``L`` is then the offset ``media.t0 - rate * data.t0 + L * dt``. ``offset`` itself
    when the highest value is at the window's edge (no peak within reach).
    """
    n = int((len(p.d) - 1) * rate) + 1
    warped = np.interp(np.arange(n) * (p.dt / rate), np.arange(len(p.d)) * p.dt, p.d)
    base = p.media.t0 - rate * p.data.t0
    lo = math.floor((offset - half - base) / p.dt)
    hi = math.ceil((offset + half - base) / p.dt)
    curve = xcorr(p.m, warped, lo, hi, min(len(p.m), n) // 2)
    if curve is None:
        return offset
    i = int(np.argmax(curve.score))
    if i in (0, len(curve.score) - 1):  # no peak within reach: keep the fitted offset
        return offset
    return base + (curve.lag0 + i + parabola(curve.score, i)) * p.dt
