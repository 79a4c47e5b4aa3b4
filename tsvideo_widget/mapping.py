"""The widget's time mapping and detail window: checks, the initial window, conversions.

A mixin of :class:`~tsvideo_widget.TimeSeriesVideo`, which declares the traits
(``selection``, ``offset``, ``rate``, ``window``, ``media_duration``,
``height``); these methods check them and keep the initial window in step with
the mapping until the user picks one.
"""

from __future__ import annotations

from typing import Any, Protocol

import traitlets as t

from . import validation as check
from .data import Series
from .media import MediaSource
from .timemap import TimeMap, check_rate
from .tracks import Track, Tracks


class _Host(Protocol):
    """What these methods use of the widget."""

    selection: Any
    media_duration: float | None
    offset: float | None
    rate: float
    window: float
    _initializing: bool
    _selection_auto: bool

    @property
    def series(self) -> Series: ...

    @property
    def media_source(self) -> MediaSource | None: ...

    @property
    def tracks(self) -> Tracks: ...

    @property
    def timemap(self) -> TimeMap: ...

    def _set_auto_selection(self) -> None: ...

    def _track(self, name: str | None) -> Track | None: ...


class MappingMethods(t.HasTraits):
    """Time mapping and detail window of :class:`~tsvideo_widget.TimeSeriesVideo`."""

    @property
    def timemap(self: _Host) -> TimeMap:
        """The current data-to-media mapping (a :class:`~tsvideo_widget.timemap.TimeMap`)."""
        track = self._track(None)
        knots = None if track is None else track.knots
        return TimeMap(self.series.span, self.media_duration, self.offset, self.rate, knots)

    def data_to_media(self: _Host, time: Any, track: str | None = None) -> float:
        """Media seconds shown at ``time`` (in the time column's own terms).

        ``track`` (str or None): the track whose media time to give; None (default) is
        the first track's (``w.offset``, ``w.rate``, ``w.media_duration``).
        """
        tm = self.timemap if track is None else self.tracks[track].timemap
        return tm.to_media(self.series.to_rel(time))

    def media_to_data(self: _Host, seconds: float, track: str | None = None) -> Any:
        """Data time (in the time column's own terms) shown at media second ``seconds``.

        ``track`` (str or None): the track ``seconds`` belongs to; None (default) is the
        first track.
        """
        tm = self.timemap if track is None else self.tracks[track].timemap
        return self.series.from_rel(tm.to_data(float(seconds)))

    def _set_auto_selection(self: _Host) -> None:
        s = self.series
        width = self.timemap.data_width(self.window)
        width = s.span if not (width > 0) else min(width, s.span)
        self.selection = (s.from_rel(0.0), s.from_rel(max(width, 0.0)))
        self._selection_auto = True

    @t.validate("selection")
    def _validate_selection(self: _Host, proposal: t.Bunch) -> Any:
        value = check.selection(proposal.value, self.series)
        if not self._initializing:
            self._selection_auto = False
        return value

    @t.validate("rate")
    def _validate_rate(self: _Host, proposal: t.Bunch) -> float:
        return check_rate(proposal.value)

    @t.validate("window")
    def _validate_window(self: _Host, proposal: t.Bunch) -> float:
        return check.positive(proposal.value, "window", "media seconds")

    @t.validate("offset")
    def _validate_offset(self: _Host, proposal: t.Bunch) -> float | None:
        if proposal.value is None:
            return None
        return check.finite(proposal.value, "offset", "seconds")

    @t.validate("media_duration")
    def _validate_media_duration(self: _Host, proposal: t.Bunch) -> float | None:
        source = self.media_source if not self._initializing else None
        return check.media_duration(proposal.value, source.name if source else None)

    @t.validate("height")
    def _validate_height(self: _Host, proposal: t.Bunch) -> int:
        return check.height(proposal.value)

    @t.observe("media_duration", "offset", "rate", "window")
    def _mapping_changed(self: _Host, change: t.Bunch) -> None:
        # Until the user (or the browser) picks a window, keep the initial one
        # `window` media seconds wide under the current mapping.
        if self._selection_auto and not self._initializing:
            self._set_auto_selection()
