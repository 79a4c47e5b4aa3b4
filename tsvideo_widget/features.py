"""Features that a media file and a data channel share, on regular time grids, for alignment.

An alignment is suggested (:mod:`tsvideo_widget.suggest`) by cross-correlating a
feature of the media with a feature of a data channel. Both are one number per
time bin, large where something happens:

* **audio onsets** (:func:`audio_onsets`, :func:`channel_activity` with ``kind="audio"``):
  the signal is high-passed (first difference), its energy summed per bin, log-compressed
  against the noise floor (``log(energy + median energy)``), and the positive part of the
  first difference of that taken (the onset strength). A knock, a step or a clap is a
  sharp peak; a steady hum or noise floor is near zero, whatever its level. The same
  recipe runs on the media's decoded sound and on a vibration or contact-microphone
  channel, so the two are comparable.
* **motion** (:func:`motion_energy`, :func:`channel_activity` with ``kind="motion"``): the
  mean absolute difference between consecutive video frames, decoded small and grey,
  against the magnitude of the time derivative of the data channel averaged per frame
  (an accelerometer's jerk, a position's speed): both are large while something moves.

Media features are decoded by the ``ffmpeg`` binary of ``imageio-ffmpeg``, streaming
(as :mod:`tsvideo_widget.audiodecode` does): the sound as 32-bit float mono at a low
rate (``-ac 1 -ar 8000``), the video as 8-bit grey frames ``width`` pixels wide in a
YUV4MPEG stream (``-f yuv4mpegpipe``), whose header is the decoder's own statement of
the frame size and the frame rate (no probe run). Frames are taken at a constant rate
(``-fps_mode cfr``: frame ``k`` is at ``k / fps`` media seconds, a variable-rate video's
frames repeated or dropped onto that grid), with the decoder's speed options
(``-threads 2 -skip_loop_filter all -flags2 fast``, about 20% faster on a deblocked
H.264 stream). On 2 cores an hour of 320x240 25 fps H.264 takes about 12 s; the decoder
sets the pace, so an hour of 1280x720 takes about 110 s. Neither the sound nor the
frames are held in memory as a whole.

Media times are seconds from the start of the file as ffmpeg decodes it (the first
frame or sample at 0), which is the media element's ``currentTime``. Data times are
seconds relative to the data's first sample (``rel_times``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

import numpy as np

from .errors import MediaError, TsvError
from .ffmpegproc import FfmpegRun
from .media import MediaSource

__all__ = [
    "AUDIO_DECODE_RATE",
    "GAP_FACTOR",
    "Feature",
    "audio_onsets",
    "channel_activity",
    "motion_energy",
]

AUDIO_DECODE_RATE = 8000
"""About how many samples per second the sound is decoded at for :func:`audio_onsets` (Hz).

The exact rate is a whole multiple of ``hz`` near this (8000 Hz for ``hz=1000``): enough
for the onsets of knocks and steps, and a sixth of a 48 kHz file's samples to read."""

GAP_FACTOR = 5.0
"""A step between two data samples longer than this many times the median step is a gap.

No difference or derivative is taken across a gap (or across a NaN), so a logger's
pause does not show as an event."""

_CHUNK_BYTES = 1 << 20
_CHUNK = 1 << 20  # data samples handled at a time by channel_activity
_UNSORTED = "rel_times must be sorted (non-decreasing) to compute a channel's feature"
_VIDEO_SPEED = ["-threads", "2", "-skip_loop_filter", "all", "-flags2", "fast"]
_Y4M_HEADER = re.compile(rb"^YUV4MPEG2 (.*)$")
_FRAME = b"FRAME\n"


@dataclass(frozen=True)
class Feature:
    """A feature on a regular time grid.

    Attributes:
        t0: time of ``values[0]`` in seconds: media seconds for a media feature,
            seconds since the data's first sample for a data feature.
        dt: seconds between values (float > 0).
        values: the feature (1-D float64 array, finite, >= 0 for the features made here).
        kind: "audio" (onset strength) or "motion" (frame difference or derivative magnitude).
    """

    t0: float
    dt: float
    values: np.ndarray
    kind: str

    def __post_init__(self) -> None:
        values = np.ascontiguousarray(self.values, dtype=np.float64)
        if values.ndim != 1:
            raise TsvError(f"a feature's values must be 1-D, got shape {values.shape}")
        if not (np.isfinite(self.dt) and self.dt > 0):
            raise TsvError(f"a feature's dt must be a positive number of seconds, got {self.dt}")
        if not np.isfinite(self.t0):
            raise TsvError(f"a feature's t0 must be a finite time in seconds, got {self.t0}")
        object.__setattr__(self, "t0", float(self.t0))
        object.__setattr__(self, "dt", float(self.dt))
        object.__setattr__(self, "values", values)

    def times(self) -> np.ndarray:
        """The time of each value, ``t0 + dt * arange(len(values))`` (seconds, float64)."""
        return self.t0 + self.dt * np.arange(len(self.values), dtype=np.float64)

    @property
    def duration(self) -> float:
        """Seconds from the first value to the last (0.0 for fewer than two values)."""
        return max(0, len(self.values) - 1) * self.dt


def _no_stream(run: FfmpegRun) -> str:
    return (
        f"{run.name!r} has no {run.what} stream, so its {run.what} cannot be matched with the "
        f"data; pass a file with {run.what}, or use the other method"
    )


def _report(progress: Callable[[float], None] | None, value: float | None) -> None:
    if progress is not None and value is not None:
        progress(value)


# --------------------------------------------------------------------------- audio


def _onsets(energy: np.ndarray) -> np.ndarray:
    """Onset strength of an energy envelope: rectified first difference of its log.

    The log is taken of ``energy + floor``, the floor being the median energy, so the
    noise floor's own fluctuations stay small and an event's rise counts by its ratio
    to the floor, not by its loudness. One value fewer than ``energy``, which is
    overwritten (it is the callers' own scratch array).
    """
    if len(energy) < 2:
        return np.zeros(0)
    floor = float(np.median(energy))
    if not floor > 0:
        floor = float(np.mean(energy)) * 1e-3
    energy += max(floor, 1e-30)
    np.log(energy, out=energy)
    out = np.diff(energy)
    np.maximum(out, 0.0, out=out)
    return out


def audio_onsets(
    source: MediaSource,
    *,
    hz: float = 1000.0,
    progress: Callable[[float], None] | None = None,
) -> Feature:
    """Onset strength of the first audio stream of ``source``, ``hz`` values per second.

    ffmpeg decodes the sound mixed to mono at about :data:`AUDIO_DECODE_RATE` (an exact
    multiple ``K * hz``), reading 1 MiB at a time; each bin of ``K`` samples of its first
    difference gives an energy, and the feature is the onset strength of those energies
    (see the module's docstring). Value ``k`` is the rise from bin ``k`` to bin ``k + 1``,
    at the boundary between them: ``t0 = dt = K / rate`` (media seconds). Memory: the
    energies (8 bytes per bin, 29 MB for an hour at 1000 Hz).

    Args:
        source: a file, an http(s) URL or bytes (:func:`tsvideo_widget.media.resolve`).
        hz: feature values per second (float, 1 to 8000; default 1000: 1 ms bins).
        progress: called with the fraction decoded (0.0 to 1.0) after each chunk when the
            input's duration is known, and with 1.0 at the end.

    Returns:
        A :class:`Feature` of kind "audio".

    Raises:
        NoStreamError: the source has no audio stream (a :class:`MediaError` naming it).
        MediaError: ffmpeg fails (naming the source and quoting ffmpeg), or the source is
            a URL path on the notebook server.
        TsvError: ``hz`` out of range.
    """
    hz = float(hz)
    if not (np.isfinite(hz) and 1.0 <= hz <= AUDIO_DECODE_RATE):
        raise TsvError(f"hz must be between 1 and {AUDIO_DECODE_RATE} values per second, got {hz}")
    per_bin = max(1, round(AUDIO_DECODE_RATE / hz))
    rate = max(1, round(per_bin * hz))
    after = ["-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(rate)]
    after += ["-c:a", "pcm_f32le", "-f", "f32le"]
    parts: list[np.ndarray] = []
    with FfmpegRun(source, [], after, "audio") as run:
        buf = bytearray(_CHUNK_BYTES + 4)
        view = memoryview(buf)
        have = 0  # bytes in buf (a partial sample is carried over to the next read)
        previous: float | None = None  # the last sample read: the next difference's start
        rest = np.zeros(0)  # differences short of a whole bin, carried over
        done = 0  # samples read
        while True:
            got = run.stdout.readinto(view[have : have + _CHUNK_BYTES])
            if not got:
                break
            have += got
            n = have // 4
            if n:
                x = np.frombuffer(buf, dtype="<f4", count=n).astype(np.float64)
                head = x[0] if previous is None else previous
                hp = np.concatenate((rest, np.diff(x, prepend=head)))
                whole = len(hp) // per_bin * per_bin
                parts.append(np.square(hp[:whole]).reshape(-1, per_bin).sum(axis=1))
                rest, previous = hp[whole:], float(x[-1])
                done += n
                buf[: have - 4 * n] = buf[4 * n : have]
                have -= 4 * n
            _report(progress, run.fraction(done / rate))
        run.finish(_no_stream(run))
    energy = np.concatenate(parts) if parts else np.zeros(0)
    _report(progress, 1.0)
    return Feature(per_bin / rate, per_bin / rate, _onsets(energy), "audio")


# --------------------------------------------------------------------------- video


def _y4m_header(stream: IO[bytes]) -> tuple[int, int, float, int] | None:
    """(width, height, fps, frame bytes) from a YUV4MPEG2 stream header; None at a short stream."""
    line = stream.readline(4096)
    if not line:
        return None
    m = _Y4M_HEADER.match(line.rstrip(b"\n"))
    if not m:
        raise ValueError(f"ffmpeg wrote {line[:40]!r} instead of a YUV4MPEG2 header")
    params = {p[:1]: p[1:] for p in m.group(1).split()}
    width, height = int(params[b"W"]), int(params[b"H"])
    num, den = (int(v) for v in params.get(b"F", b"0:1").split(b":"))
    if width < 1 or height < 1 or num <= 0 or den <= 0:
        raise ValueError(f"ffmpeg wrote a YUV4MPEG2 header {line[:80]!r} without a frame rate")
    colour = params.get(b"C", b"420jpeg")
    if colour.startswith(b"mono"):
        size = width * height
    elif colour.startswith(b"420"):
        size = width * height + 2 * ((width + 1) // 2) * ((height + 1) // 2)
    else:
        raise ValueError(f"ffmpeg wrote YUV4MPEG2 colour space {colour!r}, not grey")
    return width, height, num / den, size


def motion_energy(
    source: MediaSource,
    *,
    width: int = 64,
    progress: Callable[[float], None] | None = None,
) -> Feature:
    """Mean absolute difference between consecutive frames of the first video stream.

    ffmpeg decodes the video scaled to ``width`` pixels wide (height in proportion,
    ``scale=width:-2:flags=area``) and grey, at its frame rate ``fps`` with constant
    frame times (frame ``k`` at ``k / fps``), reading about 1 MiB of frames at a time.
    Value ``k`` is the mean of ``|frame[k+1] - frame[k]|`` over the pixels (grey levels
    0..255), at the time between the two frames: ``t0 = 0.5 / fps``, ``dt = 1 / fps``.
    An hour of 320x240 25 fps H.264 takes about 12 s on 2 cores (``benchmarks/alignment.py``).

    Args:
        source: a file, an http(s) URL or bytes (:func:`tsvideo_widget.media.resolve`).
        width: width in pixels the frames are scaled to (int, 8 to 1024; default 64).
        progress: called with the fraction decoded (0.0 to 1.0) after each batch of frames
            when the input's duration is known, and with 1.0 at the end.

    Returns:
        A :class:`Feature` of kind "motion", one value per pair of consecutive frames.

    Raises:
        NoStreamError: the source has no video stream (a :class:`MediaError` naming it).
        MediaError: ffmpeg fails (naming the source and quoting ffmpeg), or the source is
            a URL path on the notebook server.
        TsvError: ``width`` out of range.
    """
    if not (isinstance(width, (int, np.integer)) and 8 <= int(width) <= 1024):
        raise TsvError(f"width must be a whole number of pixels from 8 to 1024, got {width!r}")
    vf = f"scale={int(width)}:-2:flags=area,format=gray"
    after = ["-map", "0:V:0", "-an", "-sn", "-dn", "-vf", vf, "-fps_mode", "cfr"]
    after += ["-f", "yuv4mpegpipe"]
    parts: list[np.ndarray] = []
    with FfmpegRun(source, _VIDEO_SPEED, after, "video") as run:
        try:
            head = _y4m_header(run.stdout)
        except (ValueError, KeyError) as err:
            raise MediaError(f"cannot decode the video of {run.name!r}: {err}") from err
        if head is None:
            run.finish(_no_stream(run))  # raises with ffmpeg's message when it failed
            raise MediaError(f"ffmpeg decoded no video frames from {run.name!r}")
        w, h, fps, size = head
        pixels = w * h
        record = len(_FRAME) + size
        batch = max(1, _CHUNK_BYTES // record)
        previous: np.ndarray | None = None
        frames = 0
        while True:
            data = run.stdout.read(batch * record)
            n = len(data) // record
            if n == 0:
                break
            block = np.frombuffer(data, dtype=np.uint8, count=n * record).reshape(n, record)
            if not (block[:, : len(_FRAME)] == np.frombuffer(_FRAME, np.uint8)).all():
                raise MediaError(f"ffmpeg's frames of {run.name!r} are out of step")
            grey = block[:, len(_FRAME) : len(_FRAME) + pixels].astype(np.int16)
            if previous is not None:
                grey = np.concatenate((previous, grey))
            if len(grey) > 1:
                parts.append(np.abs(np.diff(grey, axis=0)).mean(axis=1, dtype=np.float64))
            previous = grey[-1:]
            frames += n
            _report(progress, run.fraction(frames / fps))
        run.finish(_no_stream(run))
    if frames == 0:
        raise MediaError(f"ffmpeg decoded no video frames from {run.name!r}")
    _report(progress, 1.0)
    values = np.concatenate(parts) if parts else np.zeros(0)
    return Feature(0.5 / fps, 1.0 / fps, values, "motion")


# --------------------------------------------------------------------------- data


def channel_activity(rel_times: np.ndarray, values: np.ndarray, *, kind: str, hz: float) -> Feature:
    """A data channel's feature on a regular grid of ``hz`` bins per second.

    Only samples whose time and value are both finite are used, so samples may be
    irregular and NaN leaves a hole, never a spike. Bins start at the first finite
    sample, ``t_first``; a bin without samples takes the value interpolated from its
    neighbours.

    * ``"audio"``: differences between consecutive usable samples no more than
      :data:`GAP_FACTOR` median steps apart (none across a gap or a NaN), their energy
      (mean square) per bin, then its onset strength as for :func:`audio_onsets`.
      Value ``k`` is at ``t_first + (k + 1) / hz``.
    * ``"motion"``: the magnitude of the derivative of the channel averaged per bin,
      ``|mean[k + 1] - mean[k]| * hz``, at ``t_first + (k + 1) / hz``. Averaging first
      keeps a noisy sensor's derivative from drowning its slow changes (on an
      accelerometer at 100 Hz against 25 fps motion, the true peak stood 30% higher
      above the unrelated ones than with the mean of the sample-to-sample derivative).

    Args:
        rel_times: sample times in seconds since the data's first sample (1-D, sorted;
            NaN allowed).
        values: the channel's samples (1-D, same length; NaN allowed).
        kind: "audio" or "motion".
        hz: bins per second (float > 0): 1000 for "audio", the video's frame rate for "motion".

    Returns:
        A :class:`Feature` of that kind (empty when fewer than two usable samples).

    Raises:
        TsvError: unknown ``kind``, ``hz`` not positive, arrays of other shapes or
            unsorted times.
    """
    if kind not in ("audio", "motion"):
        raise TsvError(f"kind must be 'audio' or 'motion', got {kind!r}")
    hz = float(hz)
    if not (np.isfinite(hz) and hz > 0):
        raise TsvError(f"hz must be a positive number of bins per second, got {hz}")
    t = np.asarray(rel_times, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if t.ndim != 1 or v.shape != t.shape:
        raise TsvError(
            f"rel_times and values must be 1-D arrays of one length, got shapes {t.shape} "
            f"and {v.shape}"
        )
    good = np.isfinite(t) & np.isfinite(v)
    if np.count_nonzero(good) < 2:
        return Feature(0.0, 1.0 / hz, np.zeros(0), kind)
    start = float(t[int(np.argmax(good))])
    stop = float(t[len(good) - 1 - int(np.argmax(good[::-1]))])
    if stop < start:
        raise TsvError(_UNSORTED)
    bins = int(np.floor((stop - start) * hz)) + 1
    bin_of = _Bins(start, hz, bins)
    gap = GAP_FACTOR * _median_step(t, good) if kind == "audio" else 0.0
    for lo in range(0, len(t), _CHUNK):
        hi = min(len(t), lo + _CHUNK)
        # One sample more: the sort check and the differences span the chunks' seams.
        tc, vc, gc = t[lo : hi + 1], v[lo : hi + 1], good[lo : hi + 1]
        if np.any(np.diff(tc[gc]) < 0):
            raise TsvError(_UNSORTED)
        if kind == "motion":
            own = gc[: hi - lo]
            bin_of.add(tc[: hi - lo][own], vc[: hi - lo][own])
            continue
        step = np.diff(tc)
        k = np.flatnonzero(gc[1:] & gc[:-1] & (step > 0) & (step <= gap))  # samples k, k + 1
        dv = vc[k + 1] - vc[k]
        bin_of.add(tc[k] + 0.5 * step[k], dv * dv)
    binned = bin_of.means()
    if kind == "motion":
        return Feature(start + 1.0 / hz, 1.0 / hz, np.abs(np.diff(binned)) * hz, "motion")
    return Feature(start + 1.0 / hz, 1.0 / hz, _onsets(binned), "audio")


def _median_step(t: np.ndarray, good: np.ndarray) -> float:
    """The median positive step between consecutive usable samples (the median of each chunk's)."""
    medians = []
    for lo in range(0, len(t), _CHUNK):
        tc, gc = t[lo : lo + _CHUNK + 1], good[lo : lo + _CHUNK + 1]
        step = np.diff(tc)[gc[1:] & gc[:-1]]
        step = step[step > 0]
        if len(step):
            medians.append(float(np.median(step)))
    return float(np.median(medians)) if medians else 0.0


class _Bins:
    """Running sums and counts per bin ``[start + k / hz, start + (k + 1) / hz)``."""

    def __init__(self, start: float, hz: float, bins: int) -> None:
        self.start, self.hz, self.bins = start, hz, bins
        self.total = np.zeros(bins)
        self.count = np.zeros(bins)

    def add(self, t: np.ndarray, x: np.ndarray) -> None:
        """Add values ``x`` at sorted times ``t`` (>= start) to their bins."""
        if not len(t):
            return
        idx = ((t - self.start) * self.hz).astype(np.int64)  # t >= start: truncation is floor
        np.clip(idx, 0, self.bins - 1, out=idx)
        lo, hi = int(idx[0]), int(idx[-1]) + 1
        idx -= lo
        self.count[lo:hi] += np.bincount(idx, minlength=hi - lo)
        self.total[lo:hi] += np.bincount(idx, weights=x, minlength=hi - lo)

    def means(self) -> np.ndarray:
        """The mean per bin, an empty bin interpolated from its neighbours (uses up the sums)."""
        total, count = self.total, self.count
        del self.total, self.count
        filled = count > 0
        np.divide(total, count, out=total, where=filled)
        empty = np.flatnonzero(~filled)
        if len(empty):
            centre = np.flatnonzero(filled)
            total[empty] = np.interp(empty, centre, total[centre])
        return total
