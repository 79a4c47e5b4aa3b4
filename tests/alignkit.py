"""Generated media and data channels whose alignment is known exactly (for suggest tests).

Each case maps data time to media time by ``media = offset + rate * data`` (data seconds
since the first sample) and shares events between the two at random (seeded) times, so
the cross-correlation has one true peak:

* :func:`make_audio_case` writes ``audio.wav`` (16-bit mono, ``audio_rate``) with a knock
  (a 60 ms burst of decaying broadband noise) at the media time of each event, over
  white noise and a 50 Hz hum, plus knocks the data does not feel; and the data channel
  ``vibration``: a contact microphone at ``data_hz`` (1000 Hz) that rings (a decaying
  80-250 Hz sine of random phase) at each event's data time, over noise, a slow wander
  and rings of its own.
* :func:`make_video_case` writes ``video.mp4`` (H.264, ``width`` x ``height``, ``fps``,
  grey on a fixed texture with per-frame sensor noise) in which a bright box moves
  sideways in bursts (a raised-cosine velocity, 0.3-0.6 media seconds each) starting at
  the media time of each event; and the data channel ``acc``: the box's acceleration at
  ``acc_hz`` (100 Hz), in m/s^2 at 0.01 m per pixel, ``rate**2 * x''(offset + rate * t)``
  plus a bias and noise.

With ``shared=False`` the data channel's events are at times unrelated to the media's
(drawn with another seed): nothing is shared, and no alignment should be suggested.

Files are written into ``dirpath`` with a ``case.json`` of the parameters; a directory that
already holds the same case is reused (as :mod:`tests.mediakit` does). Long files are
written in chunks (an hour of 48 kHz WAV or 25 fps video never sits in memory).

Example::

    case = make_audio_case(tmp_path, seconds=60.0, offset=-2.468, rate=1.0)
    case.media          # tmp_path / "audio.wav"
    case.rel_times, case.values   # the data channel (1000 Hz)
"""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

try:
    from mediakit import ffmpeg_exe
except ImportError:  # imported as tests.alignkit (benchmarks)
    from tests.mediakit import ffmpeg_exe

GENERATOR_VERSION = 1
MARGIN = 2.0  # media seconds beyond the mapped data at each end (where the media has room)
KNOCK_SECONDS = 0.06
RING_SECONDS = 0.15
M_PER_PX = 0.01


@dataclass(frozen=True)
class Case:
    """One generated case: the media file, the data channel and the truth."""

    dir: Path
    media: Path
    kind: str  # "audio" (wav) or "video" (mp4)
    offset: float  # media seconds at data time 0
    rate: float  # media seconds per data second
    seconds: float  # data seconds
    media_seconds: float
    rel_times: np.ndarray  # data channel: seconds since its first sample
    values: np.ndarray
    events: np.ndarray  # data times of the events the media shows
    data_events: np.ndarray  # data times of the events the data channel shows

    def media_time(self, data_seconds: float) -> float:
        """Media seconds at data time ``data_seconds``."""
        return self.offset + self.rate * data_seconds


def event_times(
    start: float, stop: float, mean_gap: float, seed: int, min_gap: float = 0.4
) -> np.ndarray:
    """Sorted random times in [start, stop): gaps ``min_gap`` + exponential(``mean_gap``)."""
    rng = np.random.default_rng(seed)
    n = int((stop - start) / mean_gap * 2) + 10
    gaps = min_gap + rng.exponential(max(mean_gap - min_gap, 1e-3), n)
    t = start + rng.uniform(0, mean_gap) + np.cumsum(gaps)
    return t[t < stop]


def _media_span(seconds: float, offset: float, rate: float) -> float:
    return max(offset + rate * seconds, 1.0) + MARGIN


def _cached(d: Path, params: dict[str, Any], files: list[Path]) -> bool:
    try:
        return json.loads((d / "case.json").read_text()) == params and all(
            f.is_file() for f in files
        )
    except (OSError, ValueError):
        return False


def _load(d: Path, media: Path, params: dict[str, Any]) -> Case:
    with np.load(d / "data.npz") as z:
        arrays = {k: z[k] for k in z.files}
    return Case(
        dir=d,
        media=media,
        kind=params["kind"],
        offset=params["offset"],
        rate=params["rate"],
        seconds=params["seconds"],
        media_seconds=params["media_seconds"],
        rel_times=arrays["rel_times"],
        values=arrays["values"],
        events=arrays["events"],
        data_events=arrays["data_events"],
    )


# --------------------------------------------------------------------------- audio


def _knock(rng: np.random.Generator, rate: int) -> np.ndarray:
    n = round(KNOCK_SECONDS * rate)
    i = np.arange(n)
    return rng.normal(0, 1, n) * np.exp(-i / (0.012 * rate))


def _audio_chunks(
    n: int, rate: int, knocks: np.ndarray, amps: np.ndarray, noise: float, seed: int
) -> Iterator[np.ndarray]:
    """The media's sound, 60 s at a time: noise, hum and a knock at each media time."""
    rng = np.random.default_rng(seed)
    chunk = 60 * rate
    width = round(KNOCK_SECONDS * rate)
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        t = np.arange(lo, hi) / rate
        x = rng.normal(0, noise, hi - lo) + 0.05 * np.sin(2 * np.pi * 50.0 * t)
        first = np.searchsorted(knocks, (lo - width) / rate)
        last = np.searchsorted(knocks, hi / rate)
        for when, amp in zip(knocks[first:last], amps[first:last], strict=True):
            at = math.ceil(when * rate - 1e-9)  # the first sample at or after the knock
            burst = amp * _knock(rng, rate)
            a, b = max(at, lo), min(at + width, hi)
            if b > a:
                x[a - lo : b - lo] += burst[a - at : b - at]
        yield x


def _vibration(
    t: np.ndarray, rings: np.ndarray, amps: np.ndarray, noise: float, seed: int
) -> np.ndarray:
    """The contact microphone: a decaying ring at each time, noise and a slow wander."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, noise, len(t)) + 0.3 * np.sin(2 * np.pi * 0.05 * t)
    hz = len(t) / max(t[-1] - t[0], 1e-9)
    width = round(RING_SECONDS * hz)
    for when, amp in zip(rings, amps, strict=True):
        at = int(np.searchsorted(t, when))
        s = t[at : at + width] - when
        f, phase = rng.uniform(80, 250), rng.uniform(0, 2 * np.pi)
        x[at : at + width] += amp * np.sin(2 * np.pi * f * s + phase) * np.exp(-s / 0.02)
    return x


def make_audio_case(
    dirpath: str | Path,
    *,
    seconds: float = 60.0,
    offset: float = 1.5,
    rate: float = 1.0,
    shared: bool = True,
    seed: int = 1,
    mean_gap: float = 2.0,
    noise: float = 0.01,
    audio_rate: int = 16000,
    data_hz: float = 1000.0,
) -> Case:
    """Write ``audio.wav`` and ``data.npz`` (the ``vibration`` channel) into ``dirpath``.

    Args:
        seconds: data seconds (the data channel runs from 0 to ``seconds``).
        offset, rate: the truth, ``media = offset + rate * data``.
        shared: False to give the data events unrelated to the media's.
        seed: seeds the events, amplitudes and noise.
        mean_gap: mean seconds between events.
        noise: the media's noise RMS (a knock's peak is 0.3-0.9; the data's noise is 0.02,
            its rings 0.5-1.5).
        audio_rate: the WAV's sample rate (Hz).
        data_hz: the data channel's sample rate (Hz).
    """
    d = Path(dirpath)
    d.mkdir(parents=True, exist_ok=True)
    media_seconds = _media_span(seconds, offset, rate)
    params = {
        "version": GENERATOR_VERSION,
        "kind": "audio",
        "seconds": seconds,
        "offset": offset,
        "rate": rate,
        "shared": shared,
        "seed": seed,
        "mean_gap": mean_gap,
        "noise": noise,
        "audio_rate": audio_rate,
        "data_hz": data_hz,
        "media_seconds": media_seconds,
    }
    media = d / "audio.wav"
    if _cached(d, params, [media, d / "data.npz"]):
        return _load(d, media, params)
    rng = np.random.default_rng(seed)
    events = event_times(0.5, seconds - 0.5, mean_gap, seed)
    # The media hears every shared event whose knock fits, and a few knocks of its own.
    knocks = offset + rate * events
    inside = (knocks >= 0) & (knocks < media_seconds - KNOCK_SECONDS)
    extra = event_times(0.0, media_seconds - KNOCK_SECONDS, mean_gap * 4, seed + 100)
    all_knocks = np.concatenate((knocks[inside], extra))
    order = np.argsort(all_knocks)
    all_knocks = all_knocks[order]
    amps = rng.uniform(0.3, 0.9, len(all_knocks))
    n = math.ceil(media_seconds * audio_rate)
    tmp = d / ".audio.partial.wav"
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(audio_rate)
        for x in _audio_chunks(n, audio_rate, all_knocks, amps, noise, seed + 1):
            w.writeframes(np.round(np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    tmp.replace(media)
    # The data feels the shared events (or, unshared, events of another seed), and its own.
    felt = events if shared else event_times(0.5, seconds - 0.5, mean_gap, seed + 7919)
    own = event_times(0.5, seconds - 0.5, mean_gap * 6, seed + 200)
    rings = np.sort(np.concatenate((felt, own)))
    t = np.arange(round(seconds * data_hz) + 1) / data_hz
    values = _vibration(t, rings, rng.uniform(0.5, 1.5, len(rings)), 0.02, seed + 2)
    shown = events[inside] if shared else np.zeros(0)
    np.savez(d / "data.npz", rel_times=t, values=values, events=shown, data_events=felt)
    (d / "case.json").write_text(json.dumps(params))
    return _load(d, media, params)


# --------------------------------------------------------------------------- video


@dataclass(frozen=True)
class _Bursts:
    """The box's bursts of motion, in media time: starts, durations, displacements (px)."""

    start: np.ndarray
    length: np.ndarray
    shift: np.ndarray

    def _active(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each time: the last burst started at or before it (-1: none), and its phase.

        The phase is 0..1 during the burst. Needs one burst or more. Bursts never overlap
        (they are at least a second apart and last at most 0.6 s).
        """
        i = np.searchsorted(self.start, s, side="right") - 1
        j = np.maximum(i, 0)
        u = np.where(i >= 0, (s - self.start[j]) / self.length[j], 0.0)
        return i, u

    def position(self, s: np.ndarray, x0: float) -> np.ndarray:
        """The box's left edge at media times ``s``, in pixels."""
        if not len(self.start):
            return np.full(len(s), x0)
        i, u = self._active(s)
        done = np.concatenate(([0.0], np.cumsum(self.shift)))
        u = np.clip(u, 0.0, 1.0)
        part = np.where(i >= 0, self.shift[np.maximum(i, 0)], 0.0)
        return x0 + done[np.maximum(i, 0)] + part * (u - np.sin(2 * np.pi * u) / (2 * np.pi))

    def acceleration(self, s: np.ndarray) -> np.ndarray:
        """d^2 x / ds^2 of :meth:`position` (px / media s^2)."""
        if not len(self.start):
            return np.zeros(len(s))
        i, u = self._active(s)
        j = np.maximum(i, 0)
        on = (i >= 0) & (u <= 1)
        return np.where(
            on, self.shift[j] * 2 * np.pi / self.length[j] ** 2 * np.sin(2 * np.pi * u), 0.0
        )


def _plan_bursts(
    starts: np.ndarray, rng: np.random.Generator, lo: float, hi: float, x0: float
) -> _Bursts:
    """Durations and displacements that keep the box between ``lo`` and ``hi`` pixels."""
    length = rng.uniform(0.3, 0.6, len(starts))
    shift = np.empty(len(starts))
    x = x0
    for i in range(len(starts)):
        dx = rng.uniform(0.12, 0.3) * (hi - lo) * rng.choice((-1.0, 1.0))
        if not lo <= x + dx <= hi:
            dx = -dx
        shift[i] = dx
        x += dx
    return _Bursts(starts, length, shift)


def _encode(path: Path, frames: Iterator[bytes], size: tuple[int, int], fps: int) -> None:
    """Pipe grey frames to libx264 (ultrafast, yuv420p, a keyframe every 2 s)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-y"]
    cmd += ["-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{size[0]}x{size[1]}", "-r", str(fps)]
    cmd += ["-i", "pipe:0", "-an", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "23"]
    cmd += ["-pix_fmt", "yuv420p", "-g", str(2 * fps), "-movflags", "+faststart", str(path)]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        assert proc.stdin is not None
        try:
            for frame in frames:
                proc.stdin.write(frame)
        except BrokenPipeError:
            pass  # ffmpeg died: its exit code and log say why
        finally:
            proc.stdin.close()
        if proc.wait() != 0:
            err.seek(0)
            raise RuntimeError(f"ffmpeg failed writing {path}: {err.read().decode()}")


def _frames(
    bursts: _Bursts, n: int, fps: int, size: tuple[int, int], x0: float, seed: int
) -> Iterator[bytes]:
    """The video's frames: a fixed texture, sensor noise and the box (anti-aliased edges)."""
    w, h = size
    rng = np.random.default_rng(seed)
    texture = rng.normal(70, 25, (h // 4 + 1, w // 4 + 1)).repeat(4, 0).repeat(4, 1)[:h, :w]
    noise = [rng.normal(0, 2.0, (h, w)) for _ in range(7)]
    box_w, box_h = w // 7, h // 5
    top = h // 2 - box_h // 2
    cols = np.arange(w, dtype=np.float64)
    batch = 250
    for lo in range(0, n, batch):
        idx = np.arange(lo, min(n, lo + batch))
        xs = bursts.position(idx / fps, x0)
        for k, x in zip(idx, xs, strict=True):
            # Coverage of each column by the box [x, x + box_w): anti-aliased at both edges.
            cover = np.clip(np.minimum(cols + 1, x + box_w) - np.maximum(cols, x), 0.0, 1.0)
            img = texture + noise[k % 7]
            img[top : top + box_h] += cover * (220.0 - img[top : top + box_h])
            yield np.clip(img, 0, 255).astype(np.uint8).tobytes()


def make_video_case(
    dirpath: str | Path,
    *,
    seconds: float = 90.0,
    offset: float = 3.37,
    rate: float = 1.0,
    shared: bool = True,
    seed: int = 1,
    mean_gap: float = 3.0,
    fps: int = 25,
    width: int = 160,
    height: int = 120,
    acc_hz: float = 100.0,
    noise: float = 0.5,
) -> Case:
    """Write ``video.mp4`` and ``data.npz`` (the ``acc`` channel) into ``dirpath``.

    Args:
        seconds: data seconds.
        offset, rate: the truth, ``media = offset + rate * data``.
        shared: False to give the accelerometer bursts unrelated to the video's.
        seed: seeds the bursts, texture and noise.
        mean_gap: mean seconds between bursts.
        fps, width, height: the video's frame rate and size.
        acc_hz: the accelerometer's sample rate (Hz).
        noise: the accelerometer's noise (m/s^2 RMS; a burst peaks at 2-10 m/s^2).
    """
    d = Path(dirpath)
    d.mkdir(parents=True, exist_ok=True)
    media_seconds = _media_span(seconds, offset, rate)
    params = {
        "version": GENERATOR_VERSION,
        "kind": "video",
        "seconds": seconds,
        "offset": offset,
        "rate": rate,
        "shared": shared,
        "seed": seed,
        "mean_gap": mean_gap,
        "fps": fps,
        "width": width,
        "height": height,
        "acc_hz": acc_hz,
        "noise": noise,
        "media_seconds": media_seconds,
    }
    media = d / "video.mp4"
    if _cached(d, params, [media, d / "data.npz"]):
        return _load(d, media, params)
    rng = np.random.default_rng(seed)
    events = event_times(0.5, seconds - 1.0, mean_gap, seed, min_gap=1.0)
    x0, lo, hi = width * 0.4, width * 0.05, width * 0.8
    bursts = _plan_bursts(offset + rate * events, rng, lo, hi, x0)
    n = math.ceil(media_seconds * fps)
    tmp = d / ".video.partial.mp4"
    _encode(tmp, _frames(bursts, n, fps, (width, height), x0, seed + 1), (width, height), fps)
    tmp.replace(media)
    t = np.arange(round(seconds * acc_hz) + 1) / acc_hz
    if shared:
        felt = bursts
    else:
        other = event_times(0.5, seconds - 1.0, mean_gap, seed + 7919, min_gap=1.0)
        felt = _plan_bursts(offset + rate * other, rng, lo, hi, x0)
    acc = rate**2 * felt.acceleration(offset + rate * t) * M_PER_PX
    values = acc + 0.3 + np.random.default_rng(seed + 2).normal(0, noise, len(t))
    inside = (bursts.start >= 0) & (bursts.start + bursts.length < n / fps)
    shown = events[inside] if shared else np.zeros(0)
    data_events = (felt.start - offset) / rate
    np.savez(d / "data.npz", rel_times=t, values=values, events=shown, data_events=data_events)
    (d / "case.json").write_text(json.dumps(params))
    return _load(d, media, params)
