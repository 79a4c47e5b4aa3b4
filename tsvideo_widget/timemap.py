"""Mapping between data time and media time.

All functions work on *relative data seconds*: seconds since the first sample
(``t - t0``, converted to seconds whatever the time column's unit). The widget
converts the column's own terms (floats in ``time_unit``, or Timestamps) to
relative seconds before it maps.

Three mappings exist:

* proportional (``offset is None``): the series' span maps onto the media's
  duration, ``media = rel / span * duration``;
* explicit alignment: ``media = rel * rate + offset``, for a series and a media
  that do not cover the same span;
* piecewise (``knots`` set, which overrides the other two): straight lines
  between knots ``(rel, media)``, increasing in both, and the first and last
  lines extended beyond them: a recording paused or re-synced mid-way.

Unlike the Label Studio recipe this project started from
(``duration*(r0-t0)/(tEnd-t0-(r1-r0))``), the mapping never depends on the
width of the detail window. ``js/timemap.ts`` implements the same formulas and
``tests/mapping_cases.json`` holds the cases that both test suites check.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Any

from .errors import TsvError


@dataclass(frozen=True)
class TimeMap:
    """Parameters of the data-to-media mapping.

    Attributes:
        span: data span ``t_end - t0`` in seconds (float, >= 0).
        duration: media duration in seconds, or None while the browser has not
            loaded the media's metadata yet.
        offset: media seconds at ``t0``; None selects the proportional mapping.
        rate: media seconds per data second in the explicit mapping (> 0).
        knots: ``((rel, media), ...)`` (at least two, increasing in both) for the
            piecewise mapping, or None (default).
    """

    span: float
    duration: float | None = None
    offset: float | None = None
    rate: float = 1.0
    knots: tuple[tuple[float, float], ...] | None = None

    @property
    def proportional(self) -> bool:
        """True when the series' span is stretched onto the media's duration."""
        return self.offset is None and self.knots is None

    def _scale(self) -> float:
        """Media seconds per data second, whichever mapping is active (the mean slope of knots)."""
        if self.knots is not None:
            (x0, y0), (x1, y1) = self.knots[0], self.knots[-1]
            return (y1 - y0) / (x1 - x0)
        if self.offset is not None:
            return self.rate
        if self.duration is None or self.span <= 0:
            # Before the media's duration is known, assume the two cover the
            # same time: one data second is one media second.
            return 1.0
        return self.duration / self.span

    def slope_at(self, rel: float) -> float:
        """Media seconds per data second at relative data time ``rel`` (the local rate)."""
        if self.knots is None:
            return self._scale()
        (x0, y0), (x1, y1) = _segment(self.knots, rel, 0)
        return (y1 - y0) / (x1 - x0)

    def to_media(self, rel: float) -> float:
        """Media seconds shown at relative data time ``rel`` (seconds since t0)."""
        if self.knots is not None:
            (x0, y0), (x1, y1) = _segment(self.knots, rel, 0)
            return y0 + (rel - x0) * (y1 - y0) / (x1 - x0)
        if self.offset is not None:
            return rel * self.rate + self.offset
        return rel * self._scale()

    def to_data(self, media: float) -> float:
        """Relative data seconds shown at media time ``media`` (inverse of to_media)."""
        if self.knots is not None:
            (x0, y0), (x1, y1) = _segment(self.knots, media, 1)
            return x0 + (media - y0) * (x1 - x0) / (y1 - y0)
        if self.offset is not None:
            return (media - self.offset) / self.rate
        return media / self._scale()

    def data_width(self, media_width: float) -> float:
        """Data seconds covered by ``media_width`` media seconds."""
        return media_width / self._scale()


def _segment(
    knots: tuple[tuple[float, float], ...], value: float, axis: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The two knots whose line holds ``value`` on ``axis`` (0 data, 1 media); end ones outside."""
    i = bisect.bisect_right([k[axis] for k in knots], value)
    i = min(max(i, 1), len(knots) - 1)
    return knots[i - 1], knots[i]


def check_knots(value: Any, what: str = "knots") -> tuple[tuple[float, float], ...] | None:
    """``value`` as knots ``((rel, media), ...)``, or None; a TsvError (a TraitError) unless
    it is None or at least two finite pairs strictly increasing in both data and media time."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or len(value) < 2:
        raise TsvError(
            f"{what} must be None or a list of at least two [data_seconds, media_seconds] "
            f"pairs, got {value!r:.80}"
        )
    out: list[tuple[float, float]] = []
    for i, pair in enumerate(value):
        try:
            x, y = (float(v) for v in pair)
        except (TypeError, ValueError) as err:
            raise TsvError(
                f"{what}[{i}] must be a [data_seconds, media_seconds] pair, got {pair!r:.60}"
            ) from err
        if not (math.isfinite(x) and math.isfinite(y)):
            raise TsvError(f"{what}[{i}] must be finite, got {pair!r:.60}")
        if out and (x <= out[-1][0] or y <= out[-1][1]):
            raise TsvError(
                f"{what}[{i}] = {[x, y]} does not come after {list(out[-1])}: knots must "
                "increase in both data and media time"
            )
        out.append((x, y))
    return tuple(out)


def check_rate(rate: float) -> float:
    """Return ``rate`` as a float, or raise TsvError (a TraitError) unless finite and > 0."""
    try:
        r = float(rate)
    except (TypeError, ValueError):
        r = math.nan
    if not math.isfinite(r) or r <= 0:
        raise TsvError(
            f"rate must be a finite number > 0 (media seconds per data second), got {rate!r}"
        )
    return r
