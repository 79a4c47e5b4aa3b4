"""The media features the alignment suggestions match, computed once per source.

:func:`media_feature` decodes a source's audio onsets or motion energy
(:mod:`~tsvideo_widget.features`) and keeps the most recent in :data:`CACHE`, so
matching a second channel against the same media, or drawing the alignment
check, decodes nothing.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Hashable

from .errors import TsvError
from .features import Feature
from .media import MediaSource
from .mediafeatures import audio_onsets, motion_energy
from .waveform import source_key

__all__ = ["AUDIO_HZ", "CACHE", "FeatureCache", "media_feature"]


class FeatureCache:
    """The most recently used media features, keyed by source, kind and parameters.

    A source is keyed as the waveform cache keys it (a file by its path, with its size and
    modification time, so a changed file is decoded again; a URL; bytes by a digest).
    Thread-safe; a feature being computed by two threads at once is computed twice.

    Args:
        max_entries: how many features to keep (int >= 1, default 8; an hour of audio
            onsets at 1000 Hz is 29 MB, of 25 fps motion 0.7 MB).
    """

    def __init__(self, max_entries: int = 8) -> None:
        self._max = max(1, int(max_entries))
        self._lock = threading.Lock()
        self._items: collections.OrderedDict[Hashable, tuple[Hashable, Feature]] = (
            collections.OrderedDict()
        )

    def get(self, source: MediaSource, params: Hashable, compute: Callable[[], Feature]) -> Feature:
        """The feature of ``source`` with ``params``, computing it with ``compute`` if not kept."""
        ident, version = source_key(source)
        key = (ident, params)
        with self._lock:
            item = self._items.get(key)
            if item is not None and item[0] == version:
                self._items.move_to_end(key)
                return item[1]
        feature = compute()
        with self._lock:
            self._items[key] = (version, feature)
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)
        return feature

    def clear(self) -> None:
        """Forget every feature."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        """How many features are kept."""
        with self._lock:
            return len(self._items)


CACHE = FeatureCache()
"""The process-wide :class:`FeatureCache` of :func:`~tsvideo_widget.suggest.suggest_alignment`."""

AUDIO_HZ = 1000.0
"""Values per second of the audio features the suggestions match (1 ms bins)."""


def media_feature(
    source: MediaSource, method: str, progress: Callable[[float], None] | None = None
) -> Feature:
    """The media feature the suggestions match for ``method``, from :data:`CACHE`.

    Args:
        source: the media (:func:`tsvideo_widget.media.resolve`).
        method: "audio" (:func:`~.mediafeatures.audio_onsets` at :data:`AUDIO_HZ`) or "motion"
            (:func:`~.mediafeatures.motion_energy`, 64 pixels wide).
        progress: called with the fraction decoded (0.0 to 1.0) when it is decoded.

    Raises:
        ~tsvideo_widget.errors.NoStreamError: the source has no stream of that kind.
        MediaError: ffmpeg fails (the message names the source).
        TsvError: an unknown ``method``.
    """
    if method == "audio":
        return CACHE.get(
            source,
            ("audio", AUDIO_HZ),
            lambda: audio_onsets(source, hz=AUDIO_HZ, progress=progress),
        )
    if method == "motion":
        return CACHE.get(source, ("motion", 64), lambda: motion_energy(source, progress=progress))
    raise TsvError(f"method must be 'audio' or 'motion', got {method!r}")
