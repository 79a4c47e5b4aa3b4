"""A generated multi-track recording session whose alignment is known exactly.

:func:`make_session` writes, into one directory:

* ``data.csv``: the time series. ``time`` in seconds from 0.0 at ``data_hz`` (100 Hz),
  ``seconds`` long with both ends included (3001 rows for 30 s), and two channels:

  - ``acc``: a small slow wave plus a sharp spike (1.0, decaying in ~15 ms) at every whole
    data second 1, 2, ... . The front camera (offset 0, rate 1) shows frame ``30 * k`` there.
  - ``click``: a spike at the data time of each of the mic's clicks (see below), so the
    plot shows where each click must be heard.

* one H.264 video per video track (``front.mp4``, ``side.mp4``): 320x180, 30 fps, yuv420p,
  a keyframe every 15 frames (``-g 15``, no B-frames, so frame ``k`` has pts ``k / 30``
  exactly), ``+faststart``, no audio. Each frame burns in its own index as a machine-readable
  pattern (:func:`read_frame_index`), on a background tint of its own per video, plus a
  white line sweeping across once per second and one tick per elapsed second (for humans).

* one WAV per audio track (``mic.wav``): 48 kHz, mono, 16-bit PCM, very low noise, with a
  sharp 5 ms click (a decaying 2 kHz burst whose very first sample is at full amplitude
  0.8) starting exactly at sample ``k * 48000``, i.e. at media time ``k`` s, k = 1, 2, ...

The truth (:class:`Session`, :class:`Track`). A track maps data time to media time by

    media_seconds = offset + rate * data_seconds      (data seconds since the first sample)

=======  =====  ======  ======  ===================================================
track    kind   offset  rate    meaning
=======  =====  ======  ======  ===================================================
front    video  0.0     1.0     the reference camera
side     video  2.35    1.001   started 2.35 s before the data; a 1000 ppm fast clock:
                                its media advances 1.001 s per data second
mic      audio  -3.0    0.9999  STARTS 3 s AFTER the data: its media time 0.0 is data
                                time 3.0 / 0.9999 = 3.0003 s; the click at media time
                                k s is at data time (k + 3.0) / 0.9999 s
=======  =====  ======  ======  ===================================================

Every media file lasts ``offset + rate * seconds + 1.0`` media seconds (rounded up to a
whole frame or sample), so it covers the whole data at its mapping with 1 s to spare; a
track has media at data time ``d`` when ``0 <= media_time(d) < duration``.

Generation takes a couple of seconds (numpy frames piped to the ffmpeg of
``imageio_ffmpeg``); a directory that already holds a session made with the same
parameters (``session.json``) is reused as is.

Example::

    s = make_session(tmp_path)
    s.media_time("side", 10.0)       # 2.35 + 1.001 * 10.0 = 12.36
    s.tracks["mic"].start_data       # 3.0003...: the data time where the mic begins
    s.media                          # {"front": "front.mp4", "side": "side.mp4", "mic": "mic.wav"}
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile
import wave
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

GENERATOR_VERSION = 1

FPS = 30
WIDTH, HEIGHT = 320, 180
GOP = 15  # a keyframe every GOP frames
DATA_HZ = 100.0
AUDIO_RATE = 48_000
MARGIN = 1.0  # media seconds past the end of the data

# ---- the burnt-in frame index
# Row 1: BITS squares, SQUARE px each, from x = PATTERN_X; square i (0 = leftmost) is white
# when bit BITS-1-i of the frame index is set (most significant bit first).
# Row 2, right below: the complement of row 1 (a check that the pattern was read whole).
# Everything lies in the frame's top BAND rows: a reader needs only those (full width).
BITS = 16
SQUARE = 16
PATTERN_X = 32
ROW_Y = (8, 28)
BAND = 48
_PATCH = 2  # the reader averages a (2*_PATCH)^2 patch at each square's centre
_BLACK_BELOW, _WHITE_ABOVE = 80.0, 175.0  # luminance thresholds (0..255); between = unreadable

# ---- the mic's clicks
CLICK_EVERY = 1.0  # media seconds between clicks (the first at CLICK_EVERY)
CLICK_SECONDS = 0.005
CLICK_AMPLITUDE = 0.8  # of full scale; the first sample of a click has this amplitude
CLICK_HZ = 2000.0
CLICK_THRESHOLD = 0.3  # |sample| above this (full scale 1.0) is a click; noise stays < 0.02
NOISE_RMS = 0.002


@dataclass(frozen=True)
class TrackSpec:
    """How to make one track: its kind, its mapping and (video) its background tint."""

    name: str
    kind: str  # "video" | "audio"
    offset: float  # media seconds at data time 0
    rate: float  # media seconds per data second
    tint: tuple[int, int, int] | None = None  # video background (RGB)

    @property
    def filename(self) -> str:
        return f"{self.name}.{'mp4' if self.kind == 'video' else 'wav'}"


DEFAULT_TRACKS: tuple[TrackSpec, ...] = (
    TrackSpec("front", "video", 0.0, 1.0, (30, 50, 130)),
    TrackSpec("side", "video", 2.35, 1.001, (30, 110, 50)),
    TrackSpec("mic", "audio", -3.0, 0.9999),
)


@dataclass(frozen=True)
class Track:
    """One generated media file and its true alignment to the data."""

    name: str
    kind: str  # "video" | "audio"
    path: Path
    offset: float
    rate: float
    duration: float  # media seconds: frames / FPS, or samples / AUDIO_RATE
    frames: int | None = None  # video
    fps: int | None = None  # video
    tint: tuple[int, int, int] | None = None  # video
    samples: int | None = None  # audio
    sample_rate: int | None = None  # audio
    click_times: tuple[float, ...] = ()  # audio: media seconds where each click starts

    def media_time(self, data_seconds: float) -> float:
        """Media seconds shown at data time ``data_seconds`` (since the first sample)."""
        return self.offset + self.rate * data_seconds

    def data_time(self, media_seconds: float) -> float:
        """Data seconds at which media time ``media_seconds`` is shown."""
        return (media_seconds - self.offset) / self.rate

    @property
    def start_data(self) -> float:
        """Data time of the media's first instant (media time 0)."""
        return self.data_time(0.0)

    @property
    def end_data(self) -> float:
        """Data time of the media's end."""
        return self.data_time(self.duration)

    def has_media(self, data_seconds: float) -> bool:
        return 0.0 <= self.media_time(data_seconds) < self.duration

    def frame_at(self, data_seconds: float) -> int:
        """Index of the video frame on screen at data time ``data_seconds``."""
        if self.fps is None:
            raise ValueError(f"track {self.name!r} is {self.kind}, it has no frames")
        return math.floor(self.media_time(data_seconds) * self.fps + 1e-9)

    @property
    def click_data_times(self) -> tuple[float, ...]:
        """Data times of the clicks (audio): ``(k - offset) / rate``."""
        return tuple(self.data_time(t) for t in self.click_times)


@dataclass(frozen=True)
class Session:
    """The generated files (in ``dir``) and the truth about them."""

    dir: Path
    data: Path  # data.csv
    seconds: float  # data time of the last sample
    data_hz: float
    rows: int
    tracks: dict[str, Track]  # in media= order: front, side, mic
    spike_times: tuple[float, ...]  # data times of the ``acc`` spikes (whole seconds)

    def track(self, name: str) -> Track:
        try:
            return self.tracks[name]
        except KeyError:
            raise KeyError(f"no track {name!r}; tracks: {list(self.tracks)}") from None

    def media_time(self, name: str, data_seconds: float) -> float:
        """``offset + rate * data_seconds`` of track ``name``."""
        return self.track(name).media_time(data_seconds)

    def data_time(self, name: str, media_seconds: float) -> float:
        """The inverse: ``(media_seconds - offset) / rate`` of track ``name``."""
        return self.track(name).data_time(media_seconds)

    @property
    def media(self) -> dict[str, str]:
        """Track name -> file name (relative to ``dir``), in track order."""
        return {n: t.path.name for n, t in self.tracks.items()}

    def of_kind(self, kind: str) -> list[Track]:
        return [t for t in self.tracks.values() if t.kind == kind]


# --------------------------------------------------------------------------- frames


def _pattern_boxes() -> list[tuple[int, int, int]]:
    """(row, x, y) of the top-left corner of every pattern square."""
    return [(r, PATTERN_X + i * SQUARE, y) for r, y in enumerate(ROW_Y) for i in range(BITS)]


def _check_geometry(width: int, height: int) -> None:
    if width < PATTERN_X + BITS * SQUARE or height < BAND:
        raise ValueError(
            f"a {width}x{height} frame cannot hold the index pattern "
            f"({PATTERN_X + BITS * SQUARE}x{BAND} px needed)"
        )


def _background(tint: tuple[int, int, int], width: int, height: int) -> np.ndarray:
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[:] = np.asarray(tint, dtype=np.uint8)
    # A dark frame around the pattern keeps the squares apart from the tint.
    frame[ROW_Y[0] - 4 : ROW_Y[1] + SQUARE + 4, PATTERN_X - 4 : PATTERN_X + BITS * SQUARE + 4] = 64
    return frame


def render_frame(
    index: int,
    tint: tuple[int, int, int] = (30, 50, 130),
    *,
    fps: int = FPS,
    width: int = WIDTH,
    height: int = HEIGHT,
    _base: np.ndarray | None = None,
) -> np.ndarray:
    """Frame ``index`` as an (height, width, 3) uint8 RGB array."""
    _check_geometry(width, height)
    if not 0 <= index < 1 << BITS:
        raise ValueError(f"frame index {index} does not fit in {BITS} bits")
    frame = (_base if _base is not None else _background(tint, width, height)).copy()
    for row, x, y in _pattern_boxes():
        bit = (index >> (BITS - 1 - (x - PATTERN_X) // SQUARE)) & 1
        white = bit if row == 0 else 1 - bit
        frame[y : y + SQUARE, x : x + SQUARE] = 255 if white else 0
    # For humans: a line sweeping across once per second, one tick per elapsed second.
    sweep = int((index % fps) * width / fps)
    frame[BAND + 12 : height - 30, sweep : sweep + 3] = 255
    for s in range(min(index // fps, (width - 16) // 8)):
        frame[height - 20 : height - 8, 8 + 8 * s : 14 + 8 * s] = 230
    return frame


def read_frame_index(rgba_pixels: Any, width: int, height: int, channels: int = 4) -> int:
    """The frame index burnt into a frame, from its pixels.

    ``rgba_pixels``: the frame's pixels row by row, ``channels`` bytes each (RGBA as
    canvas ``getImageData`` gives them; 3 for RGB): bytes, a memoryview or a numpy array.
    ``height`` may be less than the frame's: the top :data:`BAND` rows (full width) are
    enough. The frame must be at its own size (320 px wide, not scaled).

    Each square is read at its centre (a 4x4 patch averaged), so compression noise at the
    edges does not matter. Raises :class:`ValueError` when a square is neither clearly
    black nor clearly white, or when the complement row does not match (not a pattern
    frame, scaled, or torn).
    """
    _check_geometry(width, height)
    if isinstance(rgba_pixels, np.ndarray):
        arr = np.ascontiguousarray(rgba_pixels, dtype=np.uint8).reshape(-1)
    else:
        arr = np.frombuffer(memoryview(rgba_pixels), dtype=np.uint8)
    if arr.size != width * height * channels:
        raise ValueError(
            f"{arr.size} bytes of pixels for {width}x{height}x{channels} "
            f"({width * height * channels} expected)"
        )
    img = arr.reshape(height, width, channels)[:, :, :3].astype(np.float64)
    rows: list[list[int]] = [[], []]
    unclear = []
    half = SQUARE // 2
    for row, x, y in _pattern_boxes():
        cy, cx = y + half, x + half
        lum = float(img[cy - _PATCH : cy + _PATCH, cx - _PATCH : cx + _PATCH].mean())
        if _BLACK_BELOW <= lum <= _WHITE_ABOVE:
            unclear.append(f"row {row} square {(x - PATTERN_X) // SQUARE}: luminance {lum:.0f}")
        rows[row].append(1 if lum > 127.5 else 0)
    if unclear:
        raise ValueError("frame index pattern unreadable: " + "; ".join(unclear[:6]))
    if any(a == b for a, b in zip(rows[0], rows[1], strict=True)):
        raise ValueError(
            f"frame index pattern fails its check: row {rows[0]} and complement {rows[1]}"
        )
    return int("".join(map(str, rows[0])), 2)


# --------------------------------------------------------------------------- writers


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _media_length(spec: TrackSpec, seconds: float) -> float:
    """Media seconds needed to cover data 0..seconds at the mapping, plus MARGIN."""
    ends = (spec.offset, spec.offset + spec.rate * seconds)
    return max(max(ends), 0.0) + MARGIN


def _video_frames(spec: TrackSpec, seconds: float) -> int:
    return math.ceil(_media_length(spec, seconds) * FPS - 1e-9)


def _audio_samples(spec: TrackSpec, seconds: float) -> int:
    return math.ceil(_media_length(spec, seconds) * AUDIO_RATE - 1e-9)


def _click_times(samples: int) -> tuple[float, ...]:
    """Media seconds of the clicks that fit (whole, with 50 ms to spare) in ``samples``."""
    out = []
    k = 1
    while (k * CLICK_EVERY + CLICK_SECONDS + 0.05) * AUDIO_RATE <= samples:
        out.append(k * CLICK_EVERY)
        k += 1
    return tuple(out)


def write_video(path: Path, frames: int, tint: tuple[int, int, int]) -> None:
    """Encode ``frames`` pattern frames (0 .. frames-1) to H.264 MP4 at ``path``."""
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostats",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{WIDTH}x{HEIGHT}",
        "-r",
        str(FPS),
        "-i",
        "pipe:0",
        "-an",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "18",
        "-pix_fmt",
        "yuv420p",
        "-g",
        str(GOP),
        "-keyint_min",
        str(GOP),
        "-sc_threshold",
        "0",
        "-bf",
        "0",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(path),
    ]
    base = _background(tint, WIDTH, HEIGHT)
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        assert proc.stdin is not None
        try:
            for i in range(frames):
                proc.stdin.write(render_frame(i, tint, _base=base).tobytes())
        except BrokenPipeError:
            pass  # ffmpeg died: its exit code and log say why
        finally:
            proc.stdin.close()
        code = proc.wait(timeout=120)
        if code != 0:
            err.seek(0)
            raise RuntimeError(f"ffmpeg failed ({code}) writing {path}: {err.read().decode()}")


def click_wave(samples: int, click_times: Iterable[float], seed: int = 7) -> np.ndarray:
    """The mic's signal (float, full scale 1.0): low noise plus a click at each time."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, NOISE_RMS, samples)
    n = round(CLICK_SECONDS * AUDIO_RATE)
    i = np.arange(n)
    burst = (
        CLICK_AMPLITUDE
        * np.cos(2 * np.pi * CLICK_HZ * i / AUDIO_RATE)
        * np.exp(-i / (0.3 * CLICK_SECONDS * AUDIO_RATE))
    )
    for t in click_times:
        at = round(t * AUDIO_RATE)
        x[at : at + n] = burst[: max(0, min(n, samples - at))]
    return x


def write_wav(path: Path, signal: np.ndarray) -> None:
    """16-bit mono PCM WAV at AUDIO_RATE."""
    pcm = np.round(np.clip(signal, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(AUDIO_RATE)
        w.writeframes(pcm.tobytes())


def _spike(t: np.ndarray, at: float) -> np.ndarray:
    dt = t - at
    return np.where(dt >= -1e-9, np.exp(-np.clip(dt, 0, None) / 0.015), 0.0)


def write_data(
    path: Path, seconds: float, data_hz: float, spikes: Iterable[float], clicks: Iterable[float]
) -> int:
    """The CSV (``time, acc, click``); returns its number of rows."""
    rows = round(seconds * data_hz) + 1
    t = np.arange(rows) / data_hz
    acc = 0.05 * np.sin(2 * np.pi * 0.7 * t)
    for s in spikes:
        acc += _spike(t, s)
    click = np.zeros(rows)
    for c in clicks:
        # The spike starts at the first sample at or after the click's data time.
        click += _spike(t, math.ceil(c * data_hz - 1e-9) / data_hz)
    lines = ["time,acc,click"]
    lines += [f"{a:.10g},{b:.6f},{c:.6f}" for a, b, c in zip(t, acc, click, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return rows


# --------------------------------------------------------------------------- the session


def _build(dirpath: Path, seconds: float, data_hz: float, specs: tuple[TrackSpec, ...]) -> Session:
    """The Session describing (not writing) the files made with these parameters."""
    tracks: dict[str, Track] = {}
    for spec in specs:
        path = dirpath / spec.filename
        if spec.kind == "video":
            n = _video_frames(spec, seconds)
            tracks[spec.name] = Track(
                spec.name,
                "video",
                path,
                spec.offset,
                spec.rate,
                n / FPS,
                frames=n,
                fps=FPS,
                tint=spec.tint,
            )
        elif spec.kind == "audio":
            n = _audio_samples(spec, seconds)
            tracks[spec.name] = Track(
                spec.name,
                "audio",
                path,
                spec.offset,
                spec.rate,
                n / AUDIO_RATE,
                samples=n,
                sample_rate=AUDIO_RATE,
                click_times=_click_times(n),
            )
        else:
            raise ValueError(f"track {spec.name!r}: kind {spec.kind!r} is not video or audio")
    spikes = tuple(float(k) for k in range(1, math.ceil(seconds)) if k < seconds)
    return Session(
        dir=dirpath,
        data=dirpath / "data.csv",
        seconds=seconds,
        data_hz=data_hz,
        rows=round(seconds * data_hz) + 1,
        tracks=tracks,
        spike_times=spikes,
    )


def _manifest(seconds: float, data_hz: float, specs: tuple[TrackSpec, ...]) -> dict[str, Any]:
    return {
        "version": GENERATOR_VERSION,
        "seconds": seconds,
        "data_hz": data_hz,
        "tracks": [asdict(s) | {"tint": list(s.tint) if s.tint else None} for s in specs],
    }


def _atomic(path: Path) -> Path:
    """A temp name beside ``path`` (same suffix, so ffmpeg picks the right muxer)."""
    return path.with_name(f".{path.stem}.partial{path.suffix}")


def make_session(
    dirpath: str | os.PathLike[str],
    *,
    seconds: float = 30.0,
    data_hz: float = DATA_HZ,
    tracks: Iterable[TrackSpec] = DEFAULT_TRACKS,
) -> Session:
    """Write the session into ``dirpath`` (created) and return its truth.

    Reuses the files when ``dirpath/session.json`` says they were made with the same
    parameters and they are all there.
    """
    specs = tuple(tracks)
    names = [s.name for s in specs]
    if len(set(names)) != len(names) or "data" in names:
        raise ValueError(f"track names must be unique and not 'data': {names}")
    d = Path(dirpath)
    d.mkdir(parents=True, exist_ok=True)
    session = _build(d, float(seconds), float(data_hz), specs)
    manifest = _manifest(float(seconds), float(data_hz), specs)
    stamp = d / "session.json"
    files = [session.data, *(t.path for t in session.tracks.values())]
    try:
        if json.loads(stamp.read_text()) == manifest and all(f.is_file() for f in files):
            return session
    except (OSError, ValueError):
        pass
    stamp.unlink(missing_ok=True)

    for t in session.tracks.values():
        tmp = _atomic(t.path)
        if t.kind == "video":
            assert t.frames is not None and t.tint is not None
            write_video(tmp, t.frames, t.tint)
        else:
            assert t.samples is not None
            write_wav(tmp, click_wave(t.samples, t.click_times))
        tmp.replace(t.path)
    audio = session.of_kind("audio")
    clicks = [c for c in (audio[0].click_data_times if audio else ()) if c <= seconds]
    tmp = _atomic(session.data)
    write_data(tmp, float(seconds), float(data_hz), session.spike_times, clicks)
    tmp.replace(session.data)
    stamp.write_text(json.dumps(manifest))
    return session


if __name__ == "__main__":  # python tests/mediakit.py OUTDIR: write a session to look at
    import sys
    import time

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tracks_session")
    t0 = time.monotonic()
    s = make_session(out)
    print(f"wrote {s.dir} in {time.monotonic() - t0:.1f} s")
    for tr in s.tracks.values():
        print(
            f"  {tr.name}: {tr.kind} {tr.path.name} offset {tr.offset} rate {tr.rate} "
            f"duration {tr.duration:.4f} s; data {tr.start_data:.4f} .. {tr.end_data:.4f} s"
        )
