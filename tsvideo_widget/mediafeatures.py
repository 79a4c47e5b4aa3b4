"""Media features for alignment, decoded streaming by ffmpeg: audio onsets and motion energy.

:func:`audio_onsets` is the sound's onset strength (the recipe
:func:`~tsvideo_widget.features.channel_activity` runs on a data channel);
:func:`motion_energy` the mean absolute difference between consecutive video frames,
decoded small and grey.

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
frame or sample at 0), which is the media element's ``currentTime``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import IO

import numpy as np

from .errors import MediaError, TsvError
from .features import Feature, onset_strength
from .ffmpegproc import FfmpegRun
from .media import MediaSource

__all__ = ["AUDIO_DECODE_RATE", "audio_onsets", "motion_energy"]

AUDIO_DECODE_RATE = 8000
"""About how many samples per second the sound is decoded at for :func:`audio_onsets` (Hz).

The exact rate is a whole multiple of ``hz`` near this (8000 Hz for ``hz=1000``): enough
for the onsets of knocks and steps, and a sixth of a 48 kHz file's samples to read."""

_CHUNK_BYTES = 1 << 20
_VIDEO_SPEED = ["-threads", "2", "-skip_loop_filter", "all", "-flags2", "fast"]
_Y4M_HEADER = re.compile(rb"^YUV4MPEG2 (.*)$")
_FRAME = b"FRAME\n"


def _no_stream(run: FfmpegRun) -> str:
    return (
        f"{run.name!r} has no {run.what} stream, so its {run.what} cannot be matched with the "
        f"data; pass a file with {run.what}, or use the other method"
    )


def _report(progress: Callable[[float], None] | None, value: float | None) -> None:
    if progress is not None and value is not None:
        progress(value)


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
    return Feature(per_bin / rate, per_bin / rate, onset_strength(energy), "audio")


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
