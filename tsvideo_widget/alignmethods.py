"""Finding and fixing a track's alignment: sync points, fits, suggestions, apply and undo.

A mixin of :class:`~tsvideo_widget.TimeSeriesVideo`, which declares the traits
``sync_points`` (synced, validated like regions: see
:mod:`~tsvideo_widget.syncpoints`) and ``_align_undo`` (synced, written only
here: the alignments replaced by :meth:`apply_alignment`, most recent last,
which "undo alignment" in the browser and :meth:`undo_alignment` restore).

A track's alignment is its ``offset``, ``rate`` and ``knots`` (see
:mod:`~tsvideo_widget.tracks`); :meth:`apply_alignment` sets all three in one
message to the browser, so the charts' playhead and every track move at once.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import traitlets as t

from . import alignfit
from . import syncpoints as sp
from . import validation as check
from .alignfit import AlignmentFit, Point
from .errors import AlignmentError
from .labeling import locked
from .series import Series
from .suggestions import Suggestions, run_suggest
from .timemap import check_knots, check_rate
from .tracks import Track, Tracks
from .wire import SPEC

UNDO_DEPTH: int = int(SPEC["align"]["undo_depth"])
"""Alignments kept for undo, over all tracks (int)."""


class _Host(Protocol):
    sync_points: list[dict[str, Any]]
    _align_undo: list[dict[str, Any]]
    _initializing: bool

    @property
    def series(self) -> Series: ...

    @property
    def tracks(self) -> Tracks: ...

    def _track_names(self) -> list[str]: ...

    def _track(self, name: str | None) -> Track | None: ...

    def hold_sync(self) -> Any: ...

    def _points_of(self, track: str) -> list[Point]: ...

    def _set_alignment(
        self, track: Track, offset: Any, rate: Any, knots: Any, undo: list[dict[str, Any]]
    ) -> None: ...

    def apply_alignment(
        self, offset: float, rate: float | None = None, track: str | None = None, knots: Any = None
    ) -> None: ...


def _need_track(w: _Host, track: str | None) -> Track:
    found = w._track(track)
    if found is None:
        raise AlignmentError("this widget has no media track to align; give it media= first")
    return found


def _state(track: Track) -> dict[str, Any]:
    knots = track.knots
    return {
        "track": track.name,
        "offset": track.offset,
        "rate": track.rate,
        "knots": None if knots is None else [list(k) for k in knots],
    }


class AlignMethods(t.HasTraits):
    """Sync points and alignment of :class:`~tsvideo_widget.TimeSeriesVideo`'s tracks."""

    @locked
    def add_sync_point(
        self: _Host, data_time: Any, media_time: float, track: str | None = None
    ) -> str:
        """Pair ``data_time`` (the time column's own terms) with ``media_time`` (seconds in
        track ``track``'s media; the first track for None) as the same instant; returns the
        new sync point's id (str). Refused (AlignmentError, a TraitError) outside the data,
        for an unknown track or a negative media time."""
        point = sp.normalize(
            {"data_time": data_time, "media_time": media_time, "track": track},
            self.series,
            self._track_names(),
        )
        self.sync_points = [*self.sync_points, point]
        return str(point["id"])

    @locked
    def remove_sync_point(self: _Host, id: str) -> None:
        """Remove the sync point ``id`` (str); KeyError naming the ids when there is none."""
        kept = [p for p in self.sync_points if p["id"] != id]
        if len(kept) == len(self.sync_points):
            raise KeyError(f"no sync point {id!r}; the ids are {[p['id'] for p in kept]}")
        self.sync_points = kept

    def _points_of(self: _Host, track: str) -> list[Point]:
        s = self.series
        return [
            Point(p["id"], p["data_time"], s.to_rel(p["data_time"]), p["media_time"])
            for p in self.sync_points
            if p["track"] == track
        ]

    def fit_alignment(
        self: _Host,
        track: str | None = None,
        model: str = "auto",
        *,
        tolerance_ms: float = alignfit.DEFAULT_TOLERANCE_MS,
    ) -> AlignmentFit:
        """Fit track ``track``'s alignment (the first track for None) to its sync points.

        ``model`` (str): "offset" (1 point or more; keeps the track's rate), "linear"
        (offset + rate, 2 or more points), "piecewise" (straight lines between 3 or more
        points), or "auto" (default: the simplest whose residuals are all within
        ``tolerance_ms``, float, default 40.0: one frame at 25 fps). Returns an
        :class:`~tsvideo_widget.alignfit.AlignmentFit` (``offset``, ``rate``,
        ``residuals_ms``, ``rms_ms``, ``max_ms``, ``apply()``); nothing changes until it is
        applied. Raises AlignmentError (a TraitError) naming the reason for an undetermined
        fit: no points, points too close in time for a rate, a point the others contradict.
        """
        tr = _need_track(self, track)
        points = self._points_of(tr.name)
        keep = tr.rate if tr.offset is not None and tr.knots is None else 1.0
        fitted, offset, rate, knots, res = alignfit.fit(
            tr.name, points, model, rate=keep, tolerance_ms=tolerance_ms
        )
        ms = res * 1e3
        return AlignmentFit(
            track=tr.name,
            model=fitted,
            offset=offset,
            rate=rate,
            knots=knots,
            residuals_ms=alignfit.residual_frame(points, res),
            rms_ms=float((ms**2).mean() ** 0.5),
            max_ms=float(abs(ms).max()),
            tolerance_ms=float(tolerance_ms),
            _apply=lambda f: self.apply_alignment(f.offset, f.rate, f.track, f.knots),
        )

    @locked
    def apply_alignment(
        self: _Host,
        offset: float,
        rate: float | None = None,
        track: str | None = None,
        knots: Any = None,
    ) -> None:
        """Align track ``track`` (the first for None): ``media = offset + rate * rel``.

        ``offset`` (float, media seconds at the first sample), ``rate`` (float > 0, media
        seconds per data second; None keeps the track's explicit rate, or 1.0), ``knots``
        (``[(data_seconds, media_seconds), ...]`` for a piecewise mapping, or None, which
        clears one). The replaced alignment can be restored with :meth:`undo_alignment` or
        "undo alignment" in the browser. A refused value changes nothing.
        """
        tr = _need_track(self, track)
        check.finite(offset, "offset", "seconds")
        if rate is None:
            rate = tr.rate if tr.offset is not None else 1.0
        undo = [*self._align_undo, _state(tr)][-UNDO_DEPTH:]
        self._set_alignment(tr, offset, rate, knots, undo)

    @locked
    def undo_alignment(self: _Host, track: str | None = None) -> None:
        """Put back the alignment track ``track`` (the first for None) had before its last
        :meth:`apply_alignment`; AlignmentError when there is none to undo."""
        tr = _need_track(self, track)
        undo = list(self._align_undo)
        idx = max((i for i, e in enumerate(undo) if e["track"] == tr.name), default=None)
        if idx is None:
            raise AlignmentError(f"track {tr.name!r} has no applied alignment to undo")
        entry = undo.pop(idx)
        self._set_alignment(tr, entry["offset"], entry["rate"], entry["knots"], undo)

    def _set_alignment(
        self: _Host, track: Track, offset: Any, rate: Any, knots: Any, undo: list[dict[str, Any]]
    ) -> None:
        """Set a track's offset, rate and knots, and the undo list, checked first, in one
        message to the browser."""
        if offset is not None:
            offset = check.finite(offset, f"tracks[{track.name!r}].offset", "seconds")
        rate = check_rate(rate)
        knots = check_knots(knots, f"tracks[{track.name!r}].knots")
        with self.hold_sync():
            track.knots = None if knots is None else [list(k) for k in knots]
            track.offset = offset
            track.rate = rate
            self._align_undo = undo

    def suggest_alignment(
        self: _Host,
        track: str | None = None,
        channel: str | None = None,
        method: str = "auto",
        search: tuple[float, float] = (-60.0, 60.0),
        *,
        progress: bool = True,
    ) -> Suggestions:
        """Candidate alignments of track ``track`` (the first for None) found from the signals.

        Cross-correlates a feature of the media with one of data channel ``channel`` (str;
        the first channel for None) over offsets ``search`` (``(lo, hi)`` media seconds at
        the first sample, default (-60, 60)), and refines the rate when the overlap is long
        enough. ``method``: "audio" (the media's audio onset envelope against the channel's
        onsets: a clap, a footstep, an impact), "motion" (a video's motion energy against the
        channel's activity), or "auto" (default: what the media has). ``progress`` (bool,
        True) shows a tqdm bar while the media decodes.

        Returns a :class:`~tsvideo_widget.suggestions.Suggestions` DataFrame, best first:
        ``track``, ``offset``, ``rate``, ``confidence`` (peak-to-sidelobe ratio), ``method``,
        ``low`` (confidence below the trustworthy threshold); ``sug.iloc[0].apply()`` applies
        a row (undoable).
        """
        tr = _need_track(self, track)
        s = self.series
        name = s.channels[0] if channel is None else channel
        if name not in s.channels:
            raise AlignmentError(f"no channel {name!r}; the channels are {list(s.channels)}")
        values = s.values[s.channels.index(name)]
        if not isinstance(values, np.ndarray):
            # A channel read in place (Zarr, dask: chunkvalues.ChunkedValues) refuses to be
            # loaded behind the caller's back; the search reads all of it, as it does a file's.
            values = values[:]
        rows = run_suggest(
            tr.source, s.rel_at(slice(None)), values, method, search, progress, tr.name
        )
        return Suggestions.of(rows, tr.name, self)

    # -- rules across traits -----------------------------------------------------------------
    @t.validate("sync_points")
    def _validate_sync_points(self: _Host, proposal: t.Bunch) -> list[dict[str, Any]]:
        if self._initializing:  # checked by the constructor, against the data being built
            return list(proposal.value)
        return sp.normalize_all(proposal.value, self.series, self._track_names())

    def _check_sync_points(self: _Host, series: Series, change: str) -> list[dict[str, Any]]:
        """The sync points in ``series``' terms, or AlignmentError naming the point that
        ``change`` (a description) would move or drop."""
        if not self.sync_points:
            return []
        old = self.series
        if (series.kind, series.unit) != (old.kind, old.unit):
            raise AlignmentError(
                f"{change}: the time column would change from {old.kind} in {old.unit!r} to "
                f"{series.kind} in {series.unit!r}, which changes what the sync points' data "
                f"times mean (first: {self.sync_points[0]['id']}); remove them first "
                "(w.sync_points = [])"
            )
        try:
            return sp.normalize_all(self.sync_points, series, self._track_names())
        except AlignmentError as err:
            raise AlignmentError(f"{change} is refused: {err}") from err

    def _check_sync_tracks(self: _Host, names: list[str], change: str) -> None:
        """AlignmentError when ``change`` would leave tracks ``names`` without a sync point's."""
        sp.check_tracks(self.sync_points, names, change)

    @t.validate("_align_undo")
    def _validate_align_undo(self: _Host, proposal: t.Bunch) -> list[dict[str, Any]]:
        names = self._track_names()
        for e in proposal.value:
            if set(e) != {"track", "offset", "rate", "knots"} or e["track"] not in names:
                raise AlignmentError(f"bad alignment undo entry {e!r:.80}")
        return list(proposal.value)
