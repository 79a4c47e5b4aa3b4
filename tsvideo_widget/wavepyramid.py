"""The waveform of one decoded audio stream: a min/max pyramid and its exact envelope.

Temporary raw file (level 0)
    Each frame (one sample of every channel) is reduced to its minimum and
    maximum over the channels, and these are written to an anonymous temporary
    file (:func:`tempfile.TemporaryFile`, in ``$TMPDIR``), one float32 per
    sample for mono (the minimum is the maximum) and two for more channels.
    It is memory-mapped read-only when decoding ends; the file has no name on
    POSIX, so the disk space comes back when the :class:`Waveform` is closed or
    garbage collected, even after a crash.

Pyramid (levels 1 and up, in memory)
    Level 1 holds the minimum and maximum of every ``block`` samples (64 by
    default), built while the chunks stream in; each higher level reduces
    ``FACTOR`` (4) blocks of the level below. For one hour of 48 kHz stereo
    that is 2.7 million level-1 blocks: 21.6 MB for level 1 and 28.8 MB for the
    whole pyramid (float32 minima and maxima), the memory a waveform keeps.
    While decoding, a few chunks (a few MiB) more, and at the end level 1 is
    joined from its per-chunk pieces: 45 MB at the peak for that hour (measured
    with tracemalloc). The temporary file holds
    ``n * 8`` bytes for stereo or more channels (1.38 GB for the hour) and
    ``n * 4`` for mono (0.69 GB).

Exactness
    :meth:`Waveform.envelope` picks the coarsest level whose block is at most
    a quarter of the samples per bucket asked for (:data:`STEP_MIN`; the raw
    samples when no level is that fine), makes a bucket the largest whole
    number of that level's blocks that is no wider than asked, and aligns
    buckets on multiples of their width in samples from sample 0. A bucket is
    then a contiguous run of whole blocks (the last block of the file may be
    short, and so may the bucket that holds it), and its minimum and maximum
    are the true extremes of the decoded samples in its sample range, not an
    approximation; the same bucket always covers the same samples, so panning
    does not make the lane shimmer. A window of fewer than about two samples
    per bucket is returned as the raw samples.

Sample ``i`` is taken to start at media time ``i / rate`` seconds. That holds for
audio files and for videos whose audio starts at the container's time zero;
ffmpeg drops the encoder delay of AAC and Opus as the browser does.
"""

from __future__ import annotations

import contextlib
import math
import mmap
from dataclasses import dataclass
from typing import IO

import numpy as np

from .decimate import reduce_blocks
from .errors import MediaError

__all__ = ["BLOCK", "FACTOR", "RAW_BELOW", "STEP_MIN", "Envelope", "LevelBuilder", "Waveform"]

BLOCK = 64
"""Samples per block at pyramid level 1 (default ``block`` of
:func:`~tsvideo_widget.audiodecode.decode`)."""

FACTOR = 4
"""Blocks of one pyramid level reduced into one block of the next."""

RAW_BELOW = 2
"""Buckets narrower than this many samples are not made: the raw samples are returned."""

STEP_MIN = FACTOR
"""Fewest blocks of the chosen pyramid level in one bucket (when the level is not raw).

A bucket is a whole number of blocks and holds at most the samples per bucket
asked for (so it is never coarser than asked), so with one block per bucket
(the coarsest level whose block fits) a window could get up to twice the
buckets asked for. With at least ``STEP_MIN`` blocks it gets at most
``(STEP_MIN + 1) / STEP_MIN`` times as many (1.25), for reading fewer than
``FACTOR * STEP_MIN`` (16) pyramid values per bucket.
"""


@dataclass(frozen=True)
class Envelope:
    """The minimum and maximum of the decoded audio per bucket of time.

    Bucket ``j`` covers media seconds ``[t0 + j * dt, t0 + (j + 1) * dt)``, that is
    samples ``[round(t0 * rate) + j * w, ... + w)`` with ``w = round(dt * rate)``;
    the last bucket may be cut short by the end of the file.

    Attributes:
        t0: media seconds where bucket 0 starts (float).
        dt: seconds per bucket (float); ``1 / rate`` when raw samples are returned.
        lo: float32 per-bucket minimum over the bucket's samples and all channels.
        hi: float32 per-bucket maximum (same length as ``lo``).
        raw: True when each bucket is one sample (then ``lo == hi`` for mono).
    """

    t0: float
    dt: float
    lo: np.ndarray
    hi: np.ndarray
    raw: bool


class Waveform:
    """The decoded audio of one source, reduced for envelopes.

    Made by :func:`~tsvideo_widget.audiodecode.decode`.

    Holds a read-only memory map of the per-sample minimum and maximum over the
    channels (the temporary raw file) and an in-memory pyramid of block minima
    and maxima above it. Reading envelopes from several threads is safe;
    :meth:`close` must not race with them.

    Attributes:
        rate: decoded sample rate in Hz (int), the stream's native rate.
        channels: channel count of the decoded audio (int).
        n: number of samples per channel (int).
        duration: ``n / rate`` in seconds (float).
        name: the source as named in messages (file path, URL or "media bytes").
        block: samples per block at pyramid level 1 (int).
        factor: blocks of one level per block of the next (int).
    """

    def __init__(
        self,
        *,
        rate: int,
        channels: int,
        n: int,
        name: str,
        raw_file: IO[bytes] | None,
        levels: list[tuple[np.ndarray, np.ndarray]],
        block: int,
        factor: int = FACTOR,
    ) -> None:
        self.rate = rate
        self.channels = channels
        self.n = n
        self.duration = n / rate if rate else 0.0
        self.name = name
        self.block = block
        self.factor = factor
        self._levels = levels
        self._closed = False
        self._map: mmap.mmap | None = None
        cols = 1 if channels == 1 else 2
        if raw_file is not None and n > 0:
            raw_file.flush()
            self._map = mmap.mmap(raw_file.fileno(), n * cols * 4, access=mmap.ACCESS_READ)
            self._raw: np.ndarray = np.frombuffer(self._map, dtype="<f4").reshape(n, cols)
        else:
            self._raw = np.empty((0, cols), dtype="<f4")

    @property
    def nbytes(self) -> int:
        """Bytes of memory held by the pyramid (not the memory-mapped raw file)."""
        return sum(a.nbytes + b.nbytes for a, b in self._levels)

    @property
    def disk_bytes(self) -> int:
        """Bytes of the temporary raw file (0 once closed)."""
        return 0 if self._closed else int(self._raw.nbytes)

    def _units(self) -> list[int]:
        """Samples per element of level 0 (raw) and of each pyramid level."""
        return [1] + [self.block * self.factor**k for k in range(len(self._levels))]

    def _level(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        if k == 0:
            return self._raw[:, 0], self._raw[:, -1]
        return self._levels[k - 1]

    def envelope(self, lo: float, hi: float, buckets: int) -> Envelope:
        """Exact minimum and maximum of media seconds [lo, hi] in about ``buckets`` buckets.

        Args:
            lo: start of the window in media seconds (clipped to [0, duration]).
            hi: end of the window in media seconds (clipped to [0, duration]).
            buckets: how many buckets the window should have (about one per
                pixel; at least 1).

        Returns:
            An :class:`Envelope` whose buckets cover [lo, hi], each no wider
            than ``(hi - lo) / buckets`` (after clipping): raw samples
            (``raw=True``, ``dt = 1 / rate``) when the window holds fewer than
            about ``2 * buckets`` samples, otherwise buckets of a whole number
            of blocks of one level (the raw samples, or the coarsest pyramid
            level with at least :data:`STEP_MIN` blocks per bucket), aligned on
            multiples of their width in samples. That makes from ``buckets`` to
            ``1.25 * buckets + 2`` buckets (``1.5 * buckets + 2`` below 4
            samples per bucket): the first and last may stick out of the
            window. An empty window (``hi <= lo`` once clipped, or no samples)
            gives empty arrays and ``t0 = lo`` clipped.

        Raises:
            MediaError: the waveform was closed.
        """
        if self._closed:
            raise MediaError(f"the waveform of {self.name!r} was closed; decode it again")
        lo_s = 0.0 if math.isnan(lo) else float(lo)
        hi_s = 0.0 if math.isnan(hi) else float(hi)
        lo_s = min(max(lo_s, 0.0), self.duration)
        hi_s = min(max(hi_s, 0.0), self.duration)
        empty = np.empty(0, dtype=np.float32)
        if self.n == 0 or not hi_s > lo_s:
            return Envelope(lo_s, 1.0 / self.rate if self.rate else 0.0, empty, empty, True)
        count = max(1, int(buckets))
        a = min(self.n - 1, max(0, math.floor(lo_s * self.rate)))
        # The sample that starts at hi is included, so the buckets cover hi itself.
        b = min(self.n, max(a + 1, math.floor(hi_s * self.rate) + 1))
        # Bucket sizes follow from the window's length, not from the samples it
        # happens to cut: panning keeps the same buckets.
        per_bucket = (hi_s - lo_s) * self.rate / count
        units = self._units()
        k = max([0] + [i for i, u in enumerate(units) if u * STEP_MIN <= per_bucket])
        unit = units[k]
        # Whole blocks, no wider than asked (by a margin that float rounding in
        # the caller's ``(hi - lo) / buckets`` cannot undo).
        step = max(1, math.floor(per_bucket / unit - 1e-9))
        width = step * unit
        if width < RAW_BELOW:
            mins, maxs = self._level(0)
            return Envelope(
                a / self.rate,
                1.0 / self.rate,
                np.array(mins[a:b], dtype=np.float32),
                np.array(maxs[a:b], dtype=np.float32),
                True,
            )
        j0, j1 = a // width, (b - 1) // width + 1
        mins, maxs = self._level(k)
        e0, e1 = j0 * step, min(j1 * step, mins.shape[0])
        offsets = np.arange(0, e1 - e0, step, dtype=np.intp)
        return Envelope(
            j0 * width / self.rate,
            width / self.rate,
            np.fmin.reduceat(np.asarray(mins[e0:e1]), offsets).astype(np.float32, copy=False),
            np.fmax.reduceat(np.asarray(maxs[e0:e1]), offsets).astype(np.float32, copy=False),
            False,
        )

    def close(self) -> None:
        """Free the temporary raw file and the pyramid; envelopes then raise. Idempotent."""
        if self._closed:
            return
        self._closed = True
        cols = self._raw.shape[1]
        self._raw = np.empty((0, cols), dtype="<f4")
        self._levels = []
        if self._map is not None:
            with contextlib.suppress(BufferError):  # a live view: it closes when that dies
                self._map.close()
            self._map = None

    def __enter__(self) -> Waveform:
        """The waveform itself; :meth:`close` runs on leaving the ``with`` block."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the waveform."""
        self.close()

    def __repr__(self) -> str:
        """A one-line summary (rate, channels, samples)."""
        return (
            f"Waveform({self.name!r}, rate={self.rate}, channels={self.channels}, n={self.n}, "
            f"duration={self.duration:.3f}s)"
        )


class LevelBuilder:
    """Reduces frames as they arrive: level 0 to the raw file, level 1 in memory."""

    def __init__(self, channels: int, block: int, raw_file: IO[bytes]) -> None:
        self.channels = channels
        self.block = block
        self.raw_file = raw_file
        self.n = 0
        self.mins: list[np.ndarray] = []
        self.maxs: list[np.ndarray] = []
        self.carry_lo = np.empty(block, dtype=np.float32)
        self.carry_hi = np.empty(block, dtype=np.float32)
        self.carried = 0

    def add(self, frames: np.ndarray) -> None:
        """Take ``frames`` (m x channels float32), in order."""
        m = frames.shape[0]
        if m == 0:
            return
        if self.channels == 1:
            lo = hi = frames[:, 0]
            self.raw_file.write(np.ascontiguousarray(lo).data)
        else:
            pair = np.empty((m, 2), dtype="<f4")
            lo, hi = pair[:, 0], pair[:, 1]
            np.fmin(frames[:, 0], frames[:, 1], out=lo)
            np.fmax(frames[:, 0], frames[:, 1], out=hi)
            for c in range(2, self.channels):
                np.fmin(lo, frames[:, c], out=lo)
                np.fmax(hi, frames[:, c], out=hi)
            self.raw_file.write(pair.data)
        self.n += m
        i = 0
        if self.carried:
            take = min(self.block - self.carried, m)
            self.carry_lo[self.carried : self.carried + take] = lo[:take]
            self.carry_hi[self.carried : self.carried + take] = hi[:take]
            self.carried += take
            i = take
            if self.carried == self.block:
                self._emit(self.carry_lo, self.carry_hi)
                self.carried = 0
        whole = (m - i) // self.block * self.block
        if whole:
            self._emit(lo[i : i + whole], hi[i : i + whole])
            i += whole
        rest = m - i
        if rest:
            self.carry_lo[:rest] = lo[i:]
            self.carry_hi[:rest] = hi[i:]
            self.carried = rest

    def _emit(self, lo: np.ndarray, hi: np.ndarray) -> None:
        mins, maxs = reduce_blocks(lo, hi, self.block)
        self.mins.append(mins)
        self.maxs.append(maxs)

    def levels(self, factor: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Level 1 (with the last, short block) and every coarser level."""
        if self.carried:
            self._emit(self.carry_lo[: self.carried], self.carry_hi[: self.carried])
            self.carried = 0
        if not self.mins:
            return []
        mins, maxs = np.concatenate(self.mins), np.concatenate(self.maxs)
        self.mins, self.maxs = [], []
        levels = [(mins, maxs)]
        while mins.shape[0] > 1:
            mins, maxs = reduce_blocks(mins, maxs, factor)
            levels.append((mins, maxs))
        return levels
