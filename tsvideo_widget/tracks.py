"""Media tracks: several cameras and microphones, each aligned on its own clock.

``media=`` names one source (a track called ``"media"``), a list of sources
(``"media0"``, ``"media1"``, ...) or a dict name -> source. The data time is
the master clock; each track maps it onto its own media time with its own
offset and rate (or proportionally onto its duration).

Where each value lives (one owner per value):

* the first track's clock is the widget's own traits ``offset``, ``rate``,
  ``media_time`` and ``media_duration``, so one-track code and observers of
  those traits work unchanged;
* ``_tracks`` (synced list, one dict per track, in order) holds the settings:
  ``name``, ``muted``, ``visible`` and ``knots`` (a piecewise mapping, or None)
  for every track, and ``offset``, ``rate`` for the tracks after the first.
  Python writes it (through :class:`Track`) and so does the browser (a
  track's mute and hide buttons);
* ``_track_times`` (synced dict name -> ``{"duration", "time"}``, tracks after
  the first) is written only by the browser: each track's duration once its
  metadata loads and its current media time. Split by writer, a time report
  every 250 ms never overwrites a setting made in Python a moment before.

Every value is validated when it is set, from Python or the browser, and a
refused one raises a TraitError and changes nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from traitlets import TraitError

from . import validation as check
from .errors import MediaError, TsvError, TsvTypeError
from .media import MediaSource, resolve
from .timemap import TimeMap, check_knots, check_rate

SINGLE_NAME = "media"
"""Name of the track of a single ``media=`` source (str)."""

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_SINGLE = (str, os.PathLike, bytes, bytearray, memoryview)
_KINDS = ("video", "audio")

__all__ = ["SINGLE_NAME", "Track", "Tracks", "named_sources", "resolve_tracks"]


def named_sources(media: Any) -> list[tuple[str, Any]]:
    """``media=`` as (name, source) pairs in order; raises TsvTypeError for other shapes."""
    if media is None:
        return []
    if isinstance(media, _SINGLE):
        return [(SINGLE_NAME, media)]
    if isinstance(media, (list, tuple)):
        return [(f"media{i}", s) for i, s in enumerate(media)]
    if isinstance(media, Mapping):
        out = []
        for name, s in media.items():
            if not isinstance(name, str) or not _NAME.match(name):
                raise MediaError(
                    f"media track name {name!r} is not allowed: use letters, digits and "
                    "underscores, starting with a letter (such as 'front', 'side_cam', 'mic2')"
                )
            out.append((name, s))
        return out
    raise TsvTypeError(
        f"media of type {type(media).__name__} is not supported: pass one source (a file "
        "path, an http(s) URL, a URL path such as /files/x.mp4, or bytes), a list of "
        "sources, or a dict name -> source"
    )


def _kind_for(media_kind: Any, name: str) -> str | None:
    if media_kind is None or isinstance(media_kind, str):
        return media_kind
    kind: str | None = media_kind.get(name)
    return kind


def check_media_kind(media_kind: Any, names: list[str] | None = None) -> Any:
    """``media_kind``: None, "video", "audio" (every track), or a dict track name -> kind."""
    if media_kind is None:
        return None
    if isinstance(media_kind, str):
        if media_kind not in _KINDS:
            raise TsvError(f"media_kind must be 'video', 'audio' or None, got {media_kind!r}")
        return media_kind
    if isinstance(media_kind, Mapping):
        out = {}
        for name, kind in media_kind.items():
            if kind not in _KINDS:
                raise TsvError(f"media_kind[{name!r}] must be 'video' or 'audio', got {kind!r}")
            if names is not None and name not in names:
                raise TsvError(
                    f"media_kind names the track {name!r}, which media= does not have; its "
                    f"tracks are {names}"
                )
            out[str(name)] = kind
        return out
    raise TsvTypeError(
        f"media_kind must be 'video', 'audio', None or a dict track name -> kind, got "
        f"{media_kind!r:.60}"
    )


def resolve_tracks(media: Any, media_kind: Any = None) -> tuple[tuple[str, MediaSource], ...]:
    """Resolve every source of ``media=``; raises a TraitError naming the track that failed."""
    pairs = named_sources(media)
    names = [n for n, _ in pairs]
    check_media_kind(media_kind, names)
    out = []
    for name, src in pairs:
        if src is None:
            raise MediaError(f"media track {name!r} has no source (None); drop it or give one")
        try:
            source = resolve(src, _kind_for(media_kind, name))
        except TraitError as err:
            if len(pairs) == 1:
                raise
            raise type(err)(f"media track {name!r}: {err}") from err
        assert source is not None
        out.append((name, source))
    return tuple(out)


def default_settings(names: list[str], old: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``_tracks`` for ``names``: a kept track keeps its settings; a new one is visible,
    and muted unless it is the first."""
    before = {e["name"]: e for e in old}
    out = []
    for i, name in enumerate(names):
        prev = before.get(name, {})
        entry: dict[str, Any] = {
            "name": name,
            "muted": prev.get("muted", i > 0),
            "visible": prev.get("visible", True),
            "knots": prev.get("knots"),
        }
        if i > 0:
            entry["offset"] = prev.get("offset")
            entry["rate"] = prev.get("rate", 1.0)
        out.append(entry)
    return out


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise TsvTypeError(f"{what} must be True or False, got {value!r:.40}")
    return value


def check_settings(value: Any, names: list[str]) -> list[dict[str, Any]]:
    """A valid ``_tracks`` value for tracks ``names`` (same names, same order), or a TraitError."""
    if not isinstance(value, list) or len(value) != len(names):
        raise TsvError(f"track settings must be a list of {len(names)} dicts, got {value!r:.80}")
    out = []
    for i, (entry, name) in enumerate(zip(value, names, strict=True)):
        if not isinstance(entry, Mapping) or entry.get("name") != name:
            raise TsvError(f"track setting #{i} must be a dict for the track {name!r}")
        keys = {"name", "muted", "visible", "knots"} | ({"offset", "rate"} if i else set())
        if set(entry) != keys:
            raise TsvError(
                f"track {name!r} settings have keys {sorted(entry)}, expected {sorted(keys)}"
            )
        clean: dict[str, Any] = {
            "name": name,
            "muted": _bool(entry["muted"], f"tracks[{name!r}].muted"),
            "visible": _bool(entry["visible"], f"tracks[{name!r}].visible"),
            "knots": _knots_json(entry["knots"], f"tracks[{name!r}].knots"),
        }
        if i:
            off = entry["offset"]
            clean["offset"] = (
                None if off is None else check.finite(off, f"tracks[{name!r}].offset", "seconds")
            )
            try:
                clean["rate"] = check_rate(entry["rate"])
            except TsvError as err:
                raise TsvError(f"tracks[{name!r}].{err}") from err
        out.append(clean)
    return out


def _knots_json(value: Any, what: str) -> list[list[float]] | None:
    knots = check_knots(value, what)
    return None if knots is None else [list(k) for k in knots]


def check_times(value: Any, names: list[str], sources: Mapping[str, MediaSource]) -> dict:
    """A valid ``_track_times`` value: durations (> 0 or None) and media times of the
    tracks after the first, or a TraitError."""
    if not isinstance(value, Mapping):
        raise TsvTypeError(f"track times must be a dict, got {value!r:.80}")
    out = {}
    for name, entry in value.items():
        if name not in names[1:]:
            raise TsvError(
                f"track times name {name!r}, not one of the tracks after the first {names[1:]}"
            )
        if not isinstance(entry, Mapping) or set(entry) != {"duration", "time"}:
            raise TsvError(f"track times of {name!r} must be {{'duration', 'time'}}")
        out[name] = {
            "duration": check.media_duration(entry["duration"], sources[name].name),
            "time": check.finite(entry["time"], f"tracks[{name!r}].media_time", "seconds"),
        }
    return out


class Track:
    """One media stream of a widget: ``w.tracks[name]``.

    A view onto the widget's traits (see the module docstring): reading an
    attribute reads them, setting one sets them (validated; a refused value
    raises a TraitError and changes nothing). The first track's ``offset``,
    ``rate``, ``media_time`` and ``duration`` are the widget's ``offset``,
    ``rate``, ``media_time`` and ``media_duration``.
    """

    def __init__(self, widget: Any, name: str) -> None:
        self._w = widget
        self._name = name

    # -- identity ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The track's name (str): a ``media=`` dict key, "media0".., or "media"."""
        return self._name

    @property
    def index(self) -> int:
        """Position of the track in ``w.tracks`` (int, 0 for the first)."""
        return self._w._track_names().index(self._name)

    @property
    def source(self) -> MediaSource:
        """The resolved source (:class:`~tsvideo_widget.media.MediaSource`): URL, file or bytes."""
        return dict(self._w._media_sources())[self._name]

    @property
    def kind(self) -> str:
        """ "video" or "audio" (str), from the name or bytes, or ``media_kind``."""
        return self.source.kind

    # -- clock ---------------------------------------------------------------------------
    @property
    def offset(self) -> float | None:
        """Media seconds at the first sample (float), or None (default) for the proportional
        mapping (the data's span stretched onto the track's duration)."""
        return self._w.offset if self.index == 0 else self._setting("offset")

    @offset.setter
    def offset(self, value: float | None) -> None:
        self._set("offset", value)

    @property
    def rate(self) -> float:
        """Media seconds per data second (float > 0, default 1.0) when ``offset`` is set:
        the track's clock rate against the data's (1.0001 is a clock 100 ppm fast)."""
        return float(self._w.rate if self.index == 0 else self._setting("rate"))

    @rate.setter
    def rate(self, value: float) -> None:
        self._set("rate", value)

    @property
    def knots(self) -> tuple[tuple[float, float], ...] | None:
        """A piecewise mapping: ``((data_seconds, media_seconds), ...)``, data seconds since
        the first sample, increasing in both; it overrides ``offset`` and ``rate``. None
        (default) for none. Set by a piecewise :meth:`~TimeSeriesVideo.fit_alignment`."""
        knots = self._setting("knots")
        return None if knots is None else tuple((float(x), float(y)) for x, y in knots)

    @knots.setter
    def knots(self, value: Any) -> None:
        self._set("knots", value)

    @property
    def duration(self) -> float | None:
        """Media duration in seconds (float > 0), filled in by the browser; None before."""
        if self.index == 0:
            return self._w.media_duration
        return self._w._track_times.get(self._name, {}).get("duration")

    @duration.setter
    def duration(self, value: float | None) -> None:
        if self.index == 0:
            self._w.media_duration = value
            return
        times = dict(self._w._track_times)
        times[self._name] = {"duration": value, "time": self.media_time}
        self._w._track_times = times

    @property
    def media_time(self) -> float:
        """The track's current media time in seconds (float), as the browser last reported."""
        if self.index == 0:
            return float(self._w.media_time)
        return float(self._w._track_times.get(self._name, {}).get("time", 0.0))

    @property
    def timemap(self) -> TimeMap:
        """The track's data-to-media mapping (:class:`~tsvideo_widget.timemap.TimeMap`)."""
        return TimeMap(self._w.series.span, self.duration, self.offset, self.rate, self.knots)

    def data_to_media(self, time: Any) -> float:
        """Media seconds of this track at data time ``time`` (the time column's own terms)."""
        return self.timemap.to_media(self._w.series.to_rel(time))

    def media_to_data(self, seconds: float) -> Any:
        """Data time (the time column's own terms) at this track's media second ``seconds``."""
        return self._w.series.from_rel(self.timemap.to_data(float(seconds)))

    # -- presentation ----------------------------------------------------------------------
    @property
    def muted(self) -> bool:
        """Whether the track's sound is off (bool; default False for the first track, True
        for the others, so several microphones do not play at once)."""
        return bool(self._setting("muted"))

    @muted.setter
    def muted(self, value: bool) -> None:
        self._set("muted", value)

    @property
    def visible(self) -> bool:
        """Whether the track is shown and played (bool, default True); a hidden track is
        folded to its name and does not decode."""
        return bool(self._setting("visible"))

    @visible.setter
    def visible(self, value: bool) -> None:
        self._set("visible", value)

    # -- plumbing --------------------------------------------------------------------------
    def _setting(self, key: str) -> Any:
        return self._w._tracks[self.index][key]

    def _set(self, key: str, value: Any) -> None:
        i = self.index
        if i == 0 and key in ("offset", "rate"):
            setattr(self._w, key, value)
            return
        entries = [dict(e) for e in self._w._tracks]
        entries[i][key] = value
        self._w._tracks = entries

    def __repr__(self) -> str:
        off = "proportional" if self.offset is None else f"offset={self.offset!r}"
        if self.knots is not None:
            off = f"piecewise through {len(self.knots)} knots"
        return (
            f"Track({self._name!r}, {self.kind}, {self.source.name!r}, {off}, rate={self.rate!r}, "
            f"duration={self.duration!r}, muted={self.muted}, visible={self.visible})"
        )


class Tracks(Mapping[str, Track]):
    """``w.tracks``: the widget's media tracks by name, in order (read-only mapping)."""

    def __init__(self, widget: Any) -> None:
        self._w = widget

    def __getitem__(self, name: str) -> Track:
        names = self._w._track_names()
        if name not in names:
            raise KeyError(
                f"no media track {name!r}; the tracks are {names}"
                if names
                else f"no media track {name!r}: this widget has no media"
            )
        return Track(self._w, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._w._track_names())

    def __len__(self) -> int:
        return len(self._w._track_names())

    def __repr__(self) -> str:
        return "Tracks(" + ", ".join(repr(self[n]) for n in self) + ")"
