"""Waveform lanes: an exact min/max envelope of a media file's decoded audio.

An audio track is drawn under the chart as a waveform lane: for each bucket of
time (about one pixel wide) the minimum and maximum of the decoded samples that
fall in it. An hour of 48 kHz stereo is 345.6 million samples, so the envelope
of any window is read from a pyramid of block minima and maxima, the way chart
channels are (:mod:`tsvideo_widget.decimate`), and costs what a chart channel
costs.

Streaming decode
    :func:`decode` runs the ``ffmpeg`` binary shipped by the ``imageio-ffmpeg``
    package once. Its input is the file path, the http(s) URL, or ``pipe:0`` fed
    from the bytes by a writer thread; it maps the first audio stream
    (``-map 0:a:0 -vn``) and writes 32-bit float little-endian interleaved
    samples (``pcm_f32le``) at the stream's native sample rate and channel
    count to ``pipe:1``, wrapped in a WAV header: the header is the decoder's
    own binary statement of the rate and channel count, read before any sample
    (no probe run, no parsing of channel layout names such as "5.1(side)" from
    ffmpeg's messages, and bytes are fed to ffmpeg only once). The samples that
    follow are read in chunks (``chunk_bytes``, 1 MiB by default) and reduced as
    they arrive; a chunk may end in the middle of a sample or of a frame, and
    the remainder is carried over to the next. The decoded audio is never held
    in memory as a whole. ffmpeg's standard error is drained by a thread (its
    last lines go into error messages).

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

import collections
import contextlib
import hashlib
import io
import math
import mmap
import os
import re
import struct
import subprocess
import tempfile
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import IO, cast

import numpy as np

from .decimate import _reduce_blocks
from .errors import MediaError
from .media import URL_PATH_PREFIX, MediaSource, mask_url

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

BLOCK = 64
"""Samples per block at pyramid level 1 (the default of :func:`decode`'s ``block``)."""

FACTOR = 4
"""Blocks of one pyramid level reduced into one block of the next."""

CHUNK_BYTES = 1 << 20
"""Bytes of decoded audio read from ffmpeg and reduced at a time (1 MiB, the default)."""

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

_STDERR_LINES = 40
"""Lines of ffmpeg's standard error kept for error messages."""

_PIPE_BYTES = 1 << 20
"""Pipe buffer asked for on Linux (the default 64 KiB makes ffmpeg wait for the reader)."""

_FEED_BYTES = 1 << 16
"""Bytes written to ffmpeg's standard input at a time (bytes sources)."""

_DURATION = re.compile(rb"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")

_WHAT_WORKS = (
    "pass a readable audio file (WAV, FLAC, MP3, AAC/M4A, Ogg Vorbis/Opus) or a video "
    "with an audio track"
)


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
    """The decoded audio of one source, reduced for envelopes (made by :func:`decode`).

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


def _ffmpeg_exe() -> str:
    """Path of the ffmpeg binary of imageio-ffmpeg; MediaError saying how to get it."""
    try:
        import imageio_ffmpeg
    except ImportError as err:
        raise MediaError(
            "audio waveforms are decoded with the ffmpeg binary of the imageio-ffmpeg "
            "package, which is not installed: pip install imageio-ffmpeg"
        ) from err
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception as err:
        raise MediaError(
            f"imageio-ffmpeg has no ffmpeg binary for this platform ({err}); reinstall it "
            "(pip install --force-reinstall imageio-ffmpeg) or set IMAGEIO_FFMPEG_EXE to the "
            "path of an ffmpeg executable"
        ) from err


def _describe(source: MediaSource) -> str:
    """The source as named in messages: the full path, the masked URL, or its name."""
    if source.source == "file" and source.path:
        return source.path
    if source.source == "url" and source.url:
        return mask_url(source.url)
    return source.name


def _input_args(source: MediaSource, name: str) -> list[str]:
    """ffmpeg's input options for ``source``."""
    if source.source == "bytes":
        if not source.data:
            raise MediaError(f"{name!r} holds no bytes; pass the audio or video bytes")
        return ["-i", "pipe:0"]
    if source.source == "file":
        if not source.path:
            raise MediaError(f"media {name!r} has no path; pass the path of an audio file")
        # "file:" keeps a name with a colon or starting with "-" from reading as a protocol.
        return ["-i", "file:" + source.path]
    url = source.url or ""
    if url.startswith(URL_PATH_PREFIX) or not re.match(r"(?i)https?://", url):
        raise MediaError(
            f"the audio of {name!r} cannot be decoded in Python: it is a URL path on the "
            "notebook server, which only the browser can reach; pass the local file path "
            "(or the bytes) instead"
        )
    # Give up on a stalled server instead of hanging (microseconds).
    return ["-rw_timeout", "30000000", "-i", url]


class _Stderr(threading.Thread):
    """Drains ffmpeg's standard error: keeps the last lines and the input's duration."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(name="tsvideo-ffmpeg-stderr", daemon=True)
        self.stream = stream
        self.lines: collections.deque[bytes] = collections.deque(maxlen=_STDERR_LINES)
        self.duration: float | None = None

    def run(self) -> None:
        for line in iter(self.stream.readline, b""):
            if self.duration is None:
                m = _DURATION.search(line)
                if m:
                    h, mi, s = m.groups()
                    self.duration = int(h) * 3600 + int(mi) * 60 + float(s)
            self.lines.append(line.rstrip()[:400])

    def text(self) -> str:
        """ffmpeg's last lines of messages (the error is usually the last), as one string."""
        lines = [ln.decode("utf-8", "replace").strip() for ln in self.lines]
        tail = "; ".join(ln for ln in lines[-6:] if ln)
        return tail[-1000:] or "(no message)"


class _Feeder(threading.Thread):
    """Writes bytes to ffmpeg's standard input, then closes it; counts what was written."""

    def __init__(self, stream: IO[bytes], data: bytes) -> None:
        super().__init__(name="tsvideo-ffmpeg-stdin", daemon=True)
        self.stream = stream
        self.data = data
        self.fed = 0

    def run(self) -> None:
        view = memoryview(self.data)
        try:
            for off in range(0, len(view), _FEED_BYTES):
                self.stream.write(view[off : off + _FEED_BYTES])
                self.fed = min(len(view), off + _FEED_BYTES)
        except (BrokenPipeError, OSError, ValueError):
            pass  # ffmpeg stopped reading: its exit status and messages say why
        finally:
            with contextlib.suppress(OSError):
                self.stream.close()


def _read(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    return data if data is not None else b""


def _read_header(stream: IO[bytes]) -> tuple[int, int] | None:
    """Sample rate and channels from the WAV header ffmpeg writes; None at a short stream.

    Leaves ``stream`` at the first sample of the ``data`` chunk, whose size is
    ignored (ffmpeg cannot fill it in on a pipe): samples run to the end.
    """
    head = _read(stream, 12)
    if len(head) < 12:
        return None
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ValueError(f"ffmpeg wrote {head[:12]!r} instead of a WAV header")
    fmt: tuple[int, int] | None = None
    while True:
        chunk = _read(stream, 8)
        if len(chunk) < 8:
            return None
        cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if cid == b"data":
            if fmt is None:
                raise ValueError("ffmpeg's WAV header has no fmt chunk before the data")
            return fmt
        if size > 1 << 20:
            raise ValueError(f"ffmpeg's WAV header has a {cid!r} chunk of {size} bytes")
        body = _read(stream, size + (size & 1))
        if len(body) < size:
            return None
        if cid == b"fmt ":
            tag, channels, rate, _, align, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == 0xFFFE and size >= 26:
                tag = struct.unpack("<H", body[24:26])[0]
            if tag != 3 or bits != 32 or channels < 1 or align != 4 * channels or rate < 1:
                raise ValueError(
                    f"ffmpeg wrote format {tag}, {bits} bits, {channels} channels, {rate} Hz "
                    "instead of 32-bit float"
                )
            fmt = (rate, channels)


class _Builder:
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
        mins, maxs = _reduce_blocks(lo, hi, self.block)
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
            mins, maxs = _reduce_blocks(mins, maxs, factor)
            levels.append((mins, maxs))
        return levels


def decode(
    source: MediaSource,
    *,
    block: int = BLOCK,
    chunk_bytes: int = CHUNK_BYTES,
    progress: Callable[[float], None] | None = None,
) -> Waveform:
    """Decode the first audio stream of ``source`` into a :class:`Waveform`, streaming.

    Runs ffmpeg (from imageio-ffmpeg) once and reduces its output chunk by chunk;
    see the module's docstring. Blocks until the whole stream is decoded (about
    0.5 s for 10 minutes of 48 kHz mono WAV; compressed codecs take as long as
    ffmpeg needs to decode them).

    Args:
        source: a file, an http(s) URL or bytes (:func:`tsvideo_widget.media.resolve`).
            A URL path on the notebook server (``/files/...``) cannot be read from Python.
        block: samples per block at pyramid level 1 (int >= 2, default 64).
        chunk_bytes: bytes of decoded audio read and reduced at a time (int >= 1,
            default 1 MiB); bounds the memory used while decoding.
        progress: called in the decoding thread with the fraction done (0.0 to 1.0),
            after each chunk when the input's duration (or, for bytes, size) is
            known, and with 1.0 at the end.

    Returns:
        The :class:`Waveform`; call :meth:`Waveform.close` to free its temporary file early.

    Raises:
        MediaError: imageio-ffmpeg is not installed; the source has no audio
            stream; ffmpeg fails (the message names the source and quotes
            ffmpeg's last lines); the source is a URL path on the notebook server.
        ValueError: ``block`` or ``chunk_bytes`` out of range.
    """
    if int(block) < 2:
        raise ValueError(f"block must be at least 2 samples, got {block!r}")
    if int(chunk_bytes) < 1:
        raise ValueError(f"chunk_bytes must be at least 1, got {chunk_bytes!r}")
    block, chunk_bytes = int(block), int(chunk_bytes)
    name = _describe(source)
    inputs = _input_args(source, name)
    exe = _ffmpeg_exe()
    cmd = [
        exe,
        "-hide_banner",
        "-nostdin",
        "-nostats",
        *inputs,
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        "-c:a",
        "pcm_f32le",
        "-f",
        "wav",
        "pipe:1",
    ]
    feeding = source.source == "bytes"
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if feeding else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pipesize=_PIPE_BYTES,
        )
    except OSError as err:
        raise MediaError(
            f"cannot run ffmpeg ({exe}) to decode the audio of {name!r}: {err}; reinstall "
            "imageio-ffmpeg (pip install --force-reinstall imageio-ffmpeg)"
        ) from err
    assert proc.stdout is not None and proc.stderr is not None
    errs = _Stderr(proc.stderr)
    errs.start()
    feeder: _Feeder | None = None
    if feeding:
        assert proc.stdin is not None and source.data is not None
        feeder = _Feeder(proc.stdin, source.data)
        feeder.start()
    stdout = cast(io.BufferedReader, proc.stdout)
    try:
        with tempfile.TemporaryFile(prefix="tsvideo-waveform-") as raw_file:
            # The memory map keeps its own handle on the file once it is closed here.
            wave = _reduce_stream(
                proc, stdout, errs, feeder, name, raw_file, block, chunk_bytes, progress
            )
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        stdout.close()
        errs.join(timeout=5)
        if feeder is not None:
            feeder.join(timeout=5)
    if progress is not None:
        progress(1.0)
    return wave


def _reduce_stream(
    proc: subprocess.Popen[bytes],
    stdout: io.BufferedReader,
    errs: _Stderr,
    feeder: _Feeder | None,
    name: str,
    raw_file: IO[bytes],
    block: int,
    chunk_bytes: int,
    progress: Callable[[float], None] | None,
) -> Waveform:
    """Read ffmpeg's WAV output chunk by chunk into a :class:`Waveform` (see :func:`decode`)."""
    try:
        fmt = _read_header(stdout)
    except ValueError as err:
        raise MediaError(f"cannot decode the audio of {name!r}: {err}") from err
    if fmt is None:
        _finish(proc, errs, feeder, name)  # raises with ffmpeg's message when it failed
        raise MediaError(f"ffmpeg decoded no audio from {name!r} ({errs.text()}); {_WHAT_WORKS}")
    rate, channels = fmt
    builder = _Builder(channels, block, raw_file)
    frame = 4 * channels
    # Holds a chunk plus the partial frame carried over from the previous one.
    buf = bytearray(chunk_bytes + frame)
    view = memoryview(buf)
    have = 0
    total = len(feeder.data) if feeder is not None else 0
    while True:
        got = stdout.readinto(view[have : have + chunk_bytes])
        if not got:
            break
        have += got
        usable = have // frame * frame
        if usable:
            frames = np.frombuffer(buf, dtype="<f4", count=usable // 4).reshape(-1, channels)
            builder.add(frames)
            del frames  # releases the buffer before the carry-over is moved
            buf[: have - usable] = buf[usable:have]
            have -= usable
        if progress is not None:
            if errs.duration:
                progress(min(1.0, builder.n / (errs.duration * rate)))
            elif total:
                progress(min(1.0, feeder.fed / total if feeder is not None else 0.0))
    _finish(proc, errs, feeder, name)
    return Waveform(
        rate=rate,
        channels=channels,
        n=builder.n,
        name=name,
        raw_file=raw_file,
        levels=builder.levels(FACTOR),
        block=block,
        factor=FACTOR,
    )


def _finish(
    proc: subprocess.Popen[bytes], errs: _Stderr, feeder: _Feeder | None, name: str
) -> None:
    """Wait for ffmpeg; MediaError naming ``name`` with ffmpeg's message if it failed."""
    code = proc.wait()
    errs.join(timeout=5)
    if feeder is not None:
        feeder.join(timeout=5)
    if code == 0:
        return
    text = errs.text()
    if "matches no streams" in text or "does not contain any stream" in text:
        raise MediaError(
            f"{name!r} has no audio stream, so it has no waveform; pass a file with an "
            "audio track (or show no waveform lane for it)"
        )
    raise MediaError(
        f"ffmpeg could not decode the audio of {name!r} (exit status {code}): {text}; {_WHAT_WORKS}"
    )


def _key(source: MediaSource) -> tuple[Hashable, Hashable]:
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
        ident, version = _key(source)
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
