"""Mapping between data time and media time.

All functions work on *relative data seconds*: seconds since the first sample
(``t - t0``, converted to seconds whatever the time column's unit). The widget
converts the column's own terms (floats in ``time_unit``, or Timestamps) to
relative seconds before it maps.

Two mappings exist:

* proportional (``offset is None``): the series' span maps onto the media's
  duration, ``media = rel / span * duration``;
* explicit alignment: ``media = rel * rate + offset``, for a series and a media
  that do not cover the same span.

Unlike the Label Studio recipe this project started from
(``duration*(r0-t0)/(tEnd-t0-(r1-r0))``), the mapping never depends on the
width of the detail window. ``js/timemap.ts`` implements the same formulas and
``tests/mapping_cases.json`` holds the cases that both test suites check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
    """

    span: float
    duration: float | None = None
    offset: float | None = None
    rate: float = 1.0

    @property
    def proportional(self) -> bool:
        """True when the series' span is stretched onto the media's duration."""
        return self.offset is None

    def _scale(self) -> float:
        """Media seconds per data second, whichever mapping is active."""
        if self.offset is not None:
            return self.rate
        if self.duration is None or self.span <= 0:
            # Before the media's duration is known, assume the two cover the
            # same time: one data second is one media second.
            return 1.0
        return self.duration / self.span

    def to_media(self, rel: float) -> float:
        """Media seconds shown at relative data time ``rel`` (seconds since t0)."""
        if self.offset is not None:
            return rel * self.rate + self.offset
        return rel * self._scale()

    def to_data(self, media: float) -> float:
        """Relative data seconds shown at media time ``media`` (inverse of to_media)."""
        if self.offset is not None:
            return (media - self.offset) / self.rate
        return media / self._scale()

    def data_width(self, media_width: float) -> float:
        """Data seconds covered by ``media_width`` media seconds."""
        return media_width / self._scale()


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
