"""Generate the sample data shipped in ``tsvideo_widget/sample_data/``.

Writes three files describing the same synthetic 30.0 s recording session:

* ``walk.csv`` - 3001 rows at 100 Hz (time 0.00 ... 30.00 s) with the columns
  ``time, height, ax, ay, az``.
* ``walk.mp4`` - H.264 video, 320x240, 25 fps, 750 frames. Frame ``k`` shows time ``k / 25`` s:
  a dot whose vertical position is ``height`` at that time, a trace of the last 2 s,
  the time and frame number burnt in, and the phase name (walk / run / still).
* ``walk.ogg`` - Opus audio in Ogg, mono 48 kHz: a tone whose pitch follows ``height``
  (300 + 500 * height Hz, phase-continuous) plus a short beep at every whole second.

The motion has three phases: a slow walk (0-12 s), a faster run (12-22 s) and a still phase
(22-30 s). Sharp jumps of ``height`` at 6.00 s, 6.60 s, 25.00 s and 27.00 s (all exact frame
times) make synchronisation errors visible by eye.

The script is deterministic (fixed seed, bit-exact muxing). It needs numpy, pandas, Pillow and
imageio-ffmpeg (``pip install -e .[sample]``). Run it from anywhere::

    python scripts/make_sample.py
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import numpy.typing as npt
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

OUT_DIR = Path(__file__).resolve().parent.parent / "tsvideo_widget" / "sample_data"

SEED = 20240611
DURATION_S = 30.0
RATE_HZ = 100  # time-series sampling rate
FPS = 25
WIDTH, HEIGHT = 320, 240
AUDIO_RATE = 48_000
AUDIO_BITRATE = "48k"
VIDEO_CRF = "26"

N_ROWS = round(DURATION_S * RATE_HZ) + 1  # 3001: both ends included
N_FRAMES = round(DURATION_S * FPS)  # 750
STEP = RATE_HZ // FPS  # 4 rows per video frame

# Phase boundaries (row indices at 100 Hz) and names.
WALK_END = 1200  # 12.00 s
RUN_END = 2200  # 22.00 s
PHASES = (("walk", 0, WALK_END), ("run", WALK_END, RUN_END), ("still", RUN_END, N_ROWS))

# Bounce frequencies (Hz): whole numbers of cycles per phase so that the signals are continuous
# at the phase boundaries (0.5 Hz * 12 s = 6 cycles, 1.2 Hz * 10 s = 12 cycles).
WALK_HZ = 0.5
RUN_HZ = 1.2
BASE = 0.45

# Sharp jumps: (row index where the new value starts, height offset added from there on).
# Every index is a multiple of STEP, so each jump shows up exactly on a video frame.
JUMPS = ((600, +0.35), (660, -0.35), (2500, +0.45), (2700, -0.75))

METRES_PER_UNIT = 0.5  # height 1.0 corresponds to 0.5 m of vertical travel
GRAVITY = 9.81

FloatArray = npt.NDArray[np.float64]


def phase_name(row: int) -> str:
    """Name of the phase that row ``row`` (100 Hz index) belongs to."""
    for name, start, stop in PHASES:
        if start <= row < stop:
            return name
    raise ValueError(row)


def make_table(rng: np.random.Generator) -> pd.DataFrame:
    """Build the 100 Hz table: time, height and three accelerometer channels."""
    idx = np.arange(N_ROWS)
    t = idx / RATE_HZ
    walk = idx < WALK_END
    run = (idx >= WALK_END) & (idx < RUN_END)

    # Smooth part of the height and its analytic second derivative (units/s^2).
    w_walk = 2 * np.pi * WALK_HZ
    w_run = 2 * np.pi * RUN_HZ
    t_run = t - WALK_END / RATE_HZ
    height = np.full(N_ROWS, BASE)
    height_dd = np.zeros(N_ROWS)
    height[walk] += 0.15 * np.sin(w_walk * t[walk])
    height_dd[walk] = -0.15 * w_walk**2 * np.sin(w_walk * t[walk])
    height[run] += 0.30 * np.sin(w_run * t_run[run])
    height_dd[run] = -0.30 * w_run**2 * np.sin(w_run * t_run[run])

    # Sharp jumps, each with a short biphasic acceleration pulse centred on the jump.
    pulse = np.zeros(N_ROWS)
    for row, offset in JUMPS:
        height[row:] += offset
        centre = row / RATE_HZ
        pulse += (
            offset
            * 40.0
            * (
                np.exp(-(((t - centre + 0.02) / 0.012) ** 2))
                - np.exp(-(((t - centre - 0.02) / 0.012) ** 2))
            )
        )
    height = np.round(height, 4)
    if height.min() < 0 or height.max() > 1:
        raise AssertionError("height left [0, 1]")

    # Accelerometer-like channels (m/s^2) derived from the same motion, plus small noise.
    az = GRAVITY + METRES_PER_UNIT * height_dd + pulse
    ax = np.zeros(N_ROWS)  # forward: surges once per step
    ax[walk] = 1.2 * np.sin(w_walk * t[walk] + np.pi)
    ax[run] = 4.0 * np.sin(w_run * t_run[run] + np.pi)
    ay = np.zeros(N_ROWS)  # lateral: sways once per stride (two steps)
    ay[walk] = 0.6 * np.sin(0.5 * w_walk * t[walk])
    ay[run] = 1.8 * np.sin(0.5 * w_run * t_run[run])
    noise = rng.normal(0.0, 0.05, size=(3, N_ROWS))

    return pd.DataFrame(
        {
            "time": t,
            "height": height,
            "ax": np.round(ax + noise[0], 3),
            "ay": np.round(ay + noise[1], 3),
            "az": np.round(az + noise[2], 3),
        }
    )


def load_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A bold sans font if the system has one, otherwise Pillow's bundled default."""
    for name in ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


PHASE_COLOURS = {"walk": (90, 200, 90), "run": (255, 150, 40), "still": (90, 160, 255)}
BG = (18, 18, 26)
PLOT_TOP, PLOT_BOTTOM = 84, 228  # pixel rows of height 1 and height 0
PLOT_LEFT, DOT_X = 36, 250
TRACE_S = 2.0  # seconds of history drawn left of the dot


def y_of(h: float) -> float:
    """Pixel row for a height value (1 = top)."""
    return PLOT_BOTTOM - h * (PLOT_BOTTOM - PLOT_TOP)


def draw_frame(
    k: int, height: FloatArray, fonts: dict[str, ImageFont.FreeTypeFont | ImageFont.ImageFont]
) -> bytes:
    """Render video frame ``k`` (time ``k / FPS``) and return its raw RGB24 bytes."""
    row = k * STEP
    t = row / RATE_HZ
    phase = phase_name(row)
    img = Image.new("RGB", (WIDTH, HEIGHT), BG)
    d = ImageDraw.Draw(img)

    # Burnt-in time, frame number and phase.
    d.text((8, 4), f"t = {t:5.2f} s", font=fonts["big"], fill=(255, 255, 255))
    d.text((8, 44), f"frame {k}", font=fonts["small"], fill=(220, 220, 220))
    d.text(
        (WIDTH - 8, 44), phase.upper(), font=fonts["small"], fill=PHASE_COLOURS[phase], anchor="ra"
    )

    # Guides at height 0, 0.5 and 1.
    for h, label in ((1.0, "1"), (0.5, ".5"), (0.0, "0")):
        y = y_of(h)
        d.line([(PLOT_LEFT, y), (WIDTH - 8, y)], fill=(60, 60, 75), width=1)
        d.text((PLOT_LEFT - 6, y), label, font=fonts["tiny"], fill=(150, 150, 165), anchor="rm")
    d.line([(DOT_X, PLOT_TOP - 6), (DOT_X, PLOT_BOTTOM + 6)], fill=(60, 60, 75), width=1)

    # Trace of the last TRACE_S seconds, ending at the dot.
    first = max(0, row - int(TRACE_S * RATE_HZ))
    rows = np.arange(first, row + 1)
    px_per_row = (DOT_X - PLOT_LEFT) / (TRACE_S * RATE_HZ)
    xs = DOT_X - (row - rows) * px_per_row
    ys = PLOT_BOTTOM - height[rows] * (PLOT_BOTTOM - PLOT_TOP)
    if len(rows) > 1:
        d.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=(170, 170, 190), width=2)

    # The dot.
    r = 9
    y = y_of(float(height[row]))
    d.ellipse([DOT_X - r, y - r, DOT_X + r, y + r], fill=(255, 70, 70), outline=(255, 255, 255))
    return img.tobytes()


def write_video(height: FloatArray, path: Path, ffmpeg: str) -> None:
    """Encode all frames to H.264 MP4 by piping raw RGB into ffmpeg."""
    fonts = {"big": load_font(32), "small": load_font(22), "tiny": load_font(12)}
    cmd = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS),
        "-i", "-",
        "-an", "-c:v", "libx264", "-preset", "slow", "-crf", VIDEO_CRF, "-pix_fmt", "yuv420p",
        "-g", str(FPS),  # a keyframe every second keeps seeking quick and exact
        "-movflags", "+faststart", "-map_metadata", "-1", "-fflags", "+bitexact",
        str(path),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for k in range(N_FRAMES):
        proc.stdin.write(draw_frame(k, height, fonts))
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg failed encoding {path}")


def make_audio(height: FloatArray) -> FloatArray:
    """Tone at 300 + 500 * height Hz (phase-continuous) plus a beep at each whole second."""
    n = round(DURATION_S * AUDIO_RATE)
    ta = np.arange(n) / AUDIO_RATE
    h = np.interp(ta, np.arange(N_ROWS) / RATE_HZ, height)
    freq = 300.0 + 500.0 * h
    phase = 2 * np.pi * np.cumsum(freq) / AUDIO_RATE
    audio = 0.30 * np.sin(phase)

    beep_n = int(0.03 * AUDIO_RATE)  # 30 ms, 2 kHz, Hann envelope
    tb = np.arange(beep_n) / AUDIO_RATE
    beep = 0.45 * np.sin(2 * np.pi * 2000.0 * tb) * np.hanning(beep_n)
    for s in range(int(DURATION_S)):
        start = s * AUDIO_RATE
        audio[start : start + beep_n] += beep

    fade = int(0.005 * AUDIO_RATE)
    ramp = np.linspace(0.0, 1.0, fade)
    audio[:fade] *= ramp
    audio[-fade:] *= ramp[::-1]
    return audio


def write_audio(audio: FloatArray, path: Path, ffmpeg: str) -> None:
    """Encode mono float samples to Opus in Ogg."""
    cmd = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
        "-f", "f32le", "-ar", str(AUDIO_RATE), "-ac", "1", "-i", "-",
        "-c:a", "libopus", "-b:a", AUDIO_BITRATE, "-vbr", "constrained", "-application", "audio",
        "-map_metadata", "-1", "-fflags", "+bitexact",
        str(path),
    ]  # fmt: skip
    subprocess.run(cmd, input=audio.astype("<f4").tobytes(), check=True)


def decoded_duration(path: Path, ffmpeg: str) -> float:
    """Duration in seconds obtained by fully decoding ``path`` (last ``time=`` of ffmpeg)."""
    proc = subprocess.run(
        [ffmpeg, "-hide_banner", "-stats", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    times = re.findall(r"time=(\d+):(\d+):(\d+(?:\.\d+)?)", proc.stderr)
    hh, mm, ss = times[-1]
    return int(hh) * 3600 + int(mm) * 60 + float(ss)


def main() -> None:
    """Write walk.csv, walk.mp4 and walk.ogg into the package's sample_data directory."""
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)

    table = make_table(rng)
    csv_path = OUT_DIR / "walk.csv"
    # Per-column formats keep the file small; time with 2 decimals round-trips exactly.
    with csv_path.open("w", newline="\n") as f:
        f.write("time,height,ax,ay,az\n")
        for row in table.itertuples(index=False):
            f.write(f"{row.time:.2f},{row.height:.4f},{row.ax:.3f},{row.ay:.3f},{row.az:.3f}\n")

    # The video shows exactly what the CSV holds: re-read it rather than using the floats above.
    height = pd.read_csv(csv_path)["height"].to_numpy(dtype=np.float64)
    write_video(height, OUT_DIR / "walk.mp4", ffmpeg)
    write_audio(make_audio(height), OUT_DIR / "walk.ogg", ffmpeg)

    for name in ("walk.csv", "walk.mp4", "walk.ogg"):
        path = OUT_DIR / name
        extra = "" if name.endswith(".csv") else f", {decoded_duration(path, ffmpeg):.3f} s"
        print(f"{path}: {path.stat().st_size / 1024:.1f} KiB{extra}", file=sys.stderr)


if __name__ == "__main__":
    main()
