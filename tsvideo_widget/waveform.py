"""Waveform lanes: an exact min/max envelope of a media file's decoded audio.

An audio track is drawn under the chart as a waveform lane: for each bucket of
time (about one pixel wide) the minimum and maximum of the decoded samples that
fall in it. An hour of 48 kHz stereo is 345.6 million samples, so the envelope
of any window is read from a pyramid of block minima and maxima, the way chart
channels are (:mod:`tsvideo_widget.decimate`), and costs what a chart channel
costs.

The work is in two modules: :mod:`~tsvideo_widget.audiodecode` runs ffmpeg and
streams its output into a :class:`~tsvideo_widget.wavepyramid.Waveform`
(:mod:`~tsvideo_widget.wavepyramid`: the pyramid and its exact envelopes).
This module decodes each source once, in the background, for the kernel's
``waveform`` requests (:data:`CACHE`).
"""

from __future__ import annotations

import collections
import hashlib
import os
import threading
from collections.abc import Hashable
from concurrent.futures import Future

from .audiodecode import CHUNK_BYTES, decode
from .media import MediaSource
from .wavepyramid import BLOCK, FACTOR, Envelope, Waveform

__all__ = [
    "BLOCK",
    "CACHE",
    "CHUNK_BYTES",
    "FACTOR",
    "Envelope",
    "Waveform",
    "WaveformCache",
    "decode",
]


def source_key(source: MediaSource) -> tuple[Hashable, Hashable]:
    """(identity, version) of a source: a file's path and (size, mtime), a URL, or a digest."""
    if source.source == "file" and source.path:
        try:
            st = os.stat(source.path)
            version: Hashable = (st.st_size, st.st_mtime_ns)
        except OSError:
            version = None
        return ("file", source.path), version
    if source.source == "bytes" and source.data is not None:
        digest = hashlib.blake2b(source.data, digest_size=16).hexdigest()
        return ("bytes", len(source.data), digest), None
    return ("url", source.url), None


class WaveformCache:
    """Decodes each source once, in a background thread, and remembers the result.

    Thread-safe. Sources are keyed by file path (with its size and modification
    time: a changed file is decoded again and replaces the old entry), by URL,
    or by a digest of the bytes. The ``max_entries`` most recently asked-for
    waveforms are kept (default 4; each holds tens of MB for an hour of audio
    and its temporary file); older ones are dropped, not closed, and free their
    memory and temporary file when nothing uses them any more. At most
    ``workers`` decodes run at once (default 2); decoding threads are daemons,
    so they never hold up the interpreter's exit.

    Args:
        max_entries: how many waveforms to keep (int >= 1, default 4).
        workers: how many decodes may run at once (int >= 1, default 2).
    """

    def __init__(self, max_entries: int = 4, workers: int = 2) -> None:
        self._max = max(1, int(max_entries))
        self._slots = threading.BoundedSemaphore(max(1, int(workers)))
        self._lock = threading.Lock()
        self._items: collections.OrderedDict[Hashable, tuple[Hashable, Future[Waveform]]] = (
            collections.OrderedDict()
        )

    def get(self, source: MediaSource) -> Future[Waveform]:
        """The future waveform of ``source``, decoding it in the background on first call.

        Later calls for the same source return the same future. A future that
        failed holds the exception (a :class:`MediaError` naming the source);
        the next call for that source decodes it again.
        """
        ident, version = source_key(source)
        with self._lock:
            item = self._items.get(ident)
            if item is not None:
                old_version, fut = item
                failed = fut.done() and (fut.cancelled() or fut.exception() is not None)
                if old_version == version and not failed:
                    self._items.move_to_end(ident)
                    return fut
            fut = Future[Waveform]()
            self._items[ident] = (version, fut)
            self._items.move_to_end(ident)
            while len(self._items) > self._max:
                self._items.popitem(last=False)
        threading.Thread(
            target=self._run, args=(source, fut), name="tsvideo-waveform", daemon=True
        ).start()
        return fut

    def _run(self, source: MediaSource, fut: Future[Waveform]) -> None:
        with self._slots:
            if not fut.set_running_or_notify_cancel():
                return
            try:
                result = decode(source)
            except BaseException as err:
                fut.set_exception(err)
            else:
                fut.set_result(result)

    def clear(self) -> None:
        """Forget every waveform (running decodes finish, but their results are not kept)."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        """How many sources are remembered (decoded, decoding or failed)."""
        with self._lock:
            return len(self._items)


CACHE = WaveformCache()
"""The process-wide :class:`WaveformCache`."""
