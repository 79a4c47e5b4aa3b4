"""Decoding a media file's audio with ffmpeg, streaming, into a :class:`Waveform`.

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
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Callable
from typing import IO

import numpy as np

from .errors import MediaError, NoStreamError
from .ffmpegproc import FfmpegRun
from .media import MediaSource
from .wavepyramid import BLOCK, FACTOR, LevelBuilder, Waveform

__all__ = ["CHUNK_BYTES", "decode"]

CHUNK_BYTES = 1 << 20
"""Bytes of decoded audio read from ffmpeg and reduced at a time (1 MiB, the default)."""

_WHAT_WORKS = (
    "pass a readable audio file (WAV, FLAC, MP3, AAC/M4A, Ogg Vorbis/Opus) or a video "
    "with an audio track"
)


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
    after = ["-map", "0:a:0", "-vn", "-sn", "-dn", "-c:a", "pcm_f32le", "-f", "wav"]
    # The memory map keeps its own handle on the raw file once it is closed here.
    with (
        FfmpegRun(source, [], after, "audio") as run,
        tempfile.TemporaryFile(prefix="tsvideo-waveform-") as raw_file,
    ):
        wave = _reduce_stream(run, raw_file, block, chunk_bytes, progress)
    if progress is not None:
        progress(1.0)
    return wave


def _reduce_stream(
    run: FfmpegRun,
    raw_file: IO[bytes],
    block: int,
    chunk_bytes: int,
    progress: Callable[[float], None] | None,
) -> Waveform:
    """Read ffmpeg's WAV output chunk by chunk into a :class:`Waveform` (see :func:`decode`)."""
    name, stdout, errs, feeder = run.name, run.stdout, run.errs, run.feeder
    try:
        fmt = _read_header(stdout)
    except ValueError as err:
        raise MediaError(f"cannot decode the audio of {name!r}: {err}") from err
    if fmt is None:
        _finish(run)  # raises with ffmpeg's message when it failed
        raise MediaError(f"ffmpeg decoded no audio from {name!r} ({errs.text()}); {_WHAT_WORKS}")
    rate, channels = fmt
    builder = LevelBuilder(channels, block, raw_file)
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
    _finish(run)
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


def _finish(run: FfmpegRun) -> None:
    """Wait for ffmpeg; MediaError naming the source, with ffmpeg's message, if it failed."""
    try:
        run.finish(
            f"{run.name!r} has no audio stream, so it has no waveform; pass a file with an "
            "audio track (or show no waveform lane for it)"
        )
    except NoStreamError:
        raise
    except MediaError as err:
        raise MediaError(f"{err}; {_WHAT_WORKS}") from err
