"""The widget's media traits: sources, tracks, and their checks.

A mixin of :class:`~tsvideo_widget.TimeSeriesVideo`, which declares the traits
(``media``, ``media_kind``, ``media_duration``, ``_media``, ``_tracks``,
``_track_times``). See :mod:`~tsvideo_widget.tracks` for where each track's
values live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import traitlets as t

from .hosts import media_json
from .media import MediaSource
from .memo import Memo
from .timemap import TimeMap
from .tracks import (
    Track,
    Tracks,
    check_media_kind,
    check_settings,
    check_times,
    default_settings,
    resolve_tracks,
)

Sources = tuple[tuple[str, MediaSource], ...]


def _kind_key(kind: Any) -> Any:
    return kind if kind is None or isinstance(kind, str) else id(kind)


def new_resolver() -> Memo[Sources]:
    """A memo of :func:`~tsvideo_widget.tracks.resolve_tracks` keyed by the objects given."""
    return Memo(resolve_tracks, lambda m, k: (id(m), _kind_key(k)), size=2)


def media_list(sources: Sources) -> list[dict[str, Any]]:
    """``_media`` for ``sources``: each track's description for the browser, with its name."""
    return [media_json(s, name) for name, s in sources]


class TrackMethods(t.HasTraits):
    """Media sources and tracks of :class:`~tsvideo_widget.TimeSeriesVideo`."""

    media: Any
    media_kind: Any
    media_duration: float | None
    offset: float | None
    rate: float
    _media: list[dict[str, Any]]
    _tracks: list[dict[str, Any]]
    _track_times: dict[str, Any]
    _initializing: bool
    _resolve_media: Memo[Sources]
    _align_undo: list[dict[str, Any]]
    if TYPE_CHECKING:

        def _check_sync_tracks(self, names: list[str], change: str) -> None: ...

    @property
    def tracks(self) -> Tracks:
        """The media tracks by name, in order: ``w.tracks["side"].offset = 2.35``.

        A :class:`~tsvideo_widget.tracks.Tracks` mapping of
        :class:`~tsvideo_widget.tracks.Track`; empty without media.
        """
        return Tracks(self)

    @property
    def media_source(self) -> MediaSource | None:
        """The first track's resolved source (None without media)."""
        sources = self._media_sources()
        return sources[0][1] if sources else None

    def _media_sources(self) -> Sources:
        return self._resolve_media(self.media, self.media_kind)

    def _track_names(self) -> list[str]:
        return [name for name, _ in self._media_sources()]

    def _track(self, name: str | None) -> Track | None:
        """Track ``name``; the first track for None (None without media)."""
        if name is None:
            names = self._track_names()
            return Track(self, names[0]) if names else None
        return self.tracks[name]

    def timemaps(self) -> dict[str, TimeMap]:
        """Each track's mapping by name; ``{"media": w.timemap}`` without media."""
        if not self._track_names():
            return {"media": self.timemap}  # type: ignore[attr-defined]
        return {name: track.timemap for name, track in self.tracks.items()}

    @t.validate("media", "media_kind")
    def _validate_media(self, proposal: t.Bunch) -> Any:
        value = proposal.value
        if proposal.trait.name == "media_kind":
            value = check_media_kind(value)
        if not self._initializing:
            values = {"media": self.media, "media_kind": self.media_kind}
            values[proposal.trait.name] = value
            sources = self._resolve_media(values["media"], values["media_kind"])
            shown = f"{proposal.trait.name}={value!r:.60}"
            self._check_sync_tracks([n for n, _ in sources], shown)
        return value

    @t.observe("media", "media_kind")
    def _media_changed(self, change: t.Bunch) -> None:
        if self._initializing:
            return
        sources = self._media_sources()
        self.media_duration = None
        self._track_times = {}
        names = [n for n, _ in sources]
        self._tracks = default_settings(names, self._tracks)
        self._align_undo = [e for e in self._align_undo if e["track"] in names]
        self._media = media_list(sources)

    @t.validate("_tracks")
    def _validate_tracks(self, proposal: t.Bunch) -> list[dict[str, Any]]:
        return check_settings(proposal.value, self._track_names())

    @t.validate("_track_times")
    def _validate_track_times(self, proposal: t.Bunch) -> dict[str, Any]:
        sources = self._media_sources()
        return check_times(proposal.value, [n for n, _ in sources], dict(sources))
