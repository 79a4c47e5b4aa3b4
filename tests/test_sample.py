"""Tests for the bundled sample session (tsvideo_widget/sample_data, tsvideo_widget.sample)."""

from __future__ import annotations

import importlib
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsvideo_widget.sample import Sample, sample

N_ROWS = 3001
RATE_HZ = 100
FPS = 25
N_FRAMES = 750
DURATION_S = 30.0


@pytest.fixture(scope="module")
def s() -> Sample:
    return sample()


@pytest.fixture(scope="module")
def table(s: Sample) -> pd.DataFrame:
    return pd.read_csv(s.data)


@pytest.fixture(scope="module")
def ffmpeg() -> str:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    return exe


def _probe(ffmpeg: str, path: Path) -> str:
    """stderr of ``ffmpeg -i path`` (ffmpeg exits non-zero because there is no output)."""
    proc = subprocess.run(
        [ffmpeg, "-hide_banner", "-i", str(path)], capture_output=True, text=True, check=False
    )
    return proc.stderr


def _decode_null(ffmpeg: str, path: Path) -> str:
    """stderr of fully decoding ``path`` to the null muxer (progress lines included)."""
    proc = subprocess.run(
        [ffmpeg, "-hide_banner", "-stats", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stderr


def _last_time(stderr: str) -> float:
    times = re.findall(r"time=(\d+):(\d+):(\d+(?:\.\d+)?)", stderr)
    assert times, stderr
    hh, mm, ss = times[-1]
    return int(hh) * 3600 + int(mm) * 60 + float(ss)


# --- the Python API -------------------------------------------------------------------------


def test_paths_exist_and_are_absolute(s: Sample) -> None:
    assert isinstance(s, tuple)
    assert s._fields == ("data", "video", "audio")
    for path, name in zip(s, ("walk.csv", "walk.mp4", "walk.ogg"), strict=True):
        assert isinstance(path, Path)
        assert path.is_absolute()
        assert path.is_file(), path
        assert path.name == name
        assert path.parent.name == "sample_data"
        assert path.parent.parent.name == "tsvideo_widget"


def test_sample_files_are_small(s: Sample) -> None:
    total = sum(p.stat().st_size for p in s)
    assert total < 3 * 1024 * 1024, total


def test_missing_file_raises_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # import_module returns the submodule even if the package re-exports a function `sample`.
    module = importlib.import_module("tsvideo_widget.sample")
    monkeypatch.setattr(module, "_AUDIO_FILE", "no_such_file.ogg")
    with pytest.raises(FileNotFoundError, match=r"no_such_file\.ogg") as info:
        module.sample()
    assert "python scripts/make_sample.py" in str(info.value)


# --- walk.csv ----------------------------------------------------------------------------------


def test_csv_columns_exact(s: Sample, table: pd.DataFrame) -> None:
    assert list(table.columns) == ["time", "height", "ax", "ay", "az"]
    with s.data.open() as f:
        assert f.readline().rstrip("\r\n") == "time,height,ax,ay,az"
    assert all(table[c].dtype == np.float64 for c in table.columns)
    assert not table.isna().any().any()


def test_csv_rows_and_time_axis(table: pd.DataFrame) -> None:
    assert len(table) == N_ROWS
    t = table["time"].to_numpy()
    assert t[0] == 0.0
    assert t[-1] == DURATION_S
    assert np.all(np.diff(t) > 0)
    np.testing.assert_allclose(np.diff(t), 1 / RATE_HZ, rtol=0, atol=1e-9)
    # Written with enough digits to round-trip: row i is exactly i / 100.
    assert np.array_equal(t, np.arange(N_ROWS) / RATE_HZ)


def test_csv_values_plausible(table: pd.DataFrame) -> None:
    h = table["height"].to_numpy()
    assert h.min() >= 0.0
    assert h.max() <= 1.0
    assert h.max() - h.min() > 0.5  # the dot really moves
    # Sharp jumps exist (sync errors must be visible by eye): at least 3 steps of > 0.3.
    assert np.count_nonzero(np.abs(np.diff(h)) > 0.3) >= 3
    az = table["az"].to_numpy()
    assert 9.0 < float(np.median(az)) < 10.6  # includes gravity
    for c in ("ax", "ay", "az"):
        assert np.all(np.abs(table[c].to_numpy()) < 60.0)


# --- walk.mp4 ---------------------------------------------------------------------------------


def test_video_stream_info(ffmpeg: str, s: Sample) -> None:
    info = _probe(ffmpeg, s.video)
    video_lines = [ln for ln in info.splitlines() if "Video:" in ln]
    assert len(video_lines) == 1, info
    line = video_lines[0]
    assert re.search(r"Video: h264\b", line), line
    assert "yuv420p" in line, line
    assert re.search(r"\b320x240\b", line), line
    assert re.search(r"\b25 fps\b", line), line
    assert "Audio:" not in info, "walk.mp4 must not have an audio track"
    m = re.search(r"Duration: (\d+):(\d+):(\d+\.\d+)", info)
    assert m is not None, info
    duration = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
    assert duration == pytest.approx(DURATION_S, abs=0.05)


def test_video_frame_count_and_duration(ffmpeg: str, s: Sample) -> None:
    err = _decode_null(ffmpeg, s.video)
    frames = re.findall(r"frame=\s*(\d+)", err)
    assert frames, err
    assert int(frames[-1]) == N_FRAMES
    assert _last_time(err) == pytest.approx(DURATION_S, abs=0.05)


def test_video_dot_follows_height(ffmpeg: str, s: Sample, table: pd.DataFrame) -> None:
    """The red dot's vertical position in frame k matches ``height`` at k / 25 s.

    Frames on both sides of each sharp jump are included, so a one-frame offset between the
    video and the CSV would break the linear fit.
    """
    frames = [0, 50, 149, 150, 164, 165, 300, 320, 400, 624, 625, 674, 675, 749]
    select = "+".join(f"eq(n\\,{k})" for k in frames)
    raw = subprocess.run(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-i", str(s.video),
         "-vf", f"select={select}", "-fps_mode", "passthrough",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=True,
    ).stdout  # fmt: skip
    images = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 240, 320, 3).astype(np.int16)
    assert len(images) == len(frames)

    ys = []
    for img in images:
        r, g, b = img[..., 0], img[..., 1], img[..., 2]
        mask = (r > 180) & (g < 130) & (b < 130)
        assert mask.sum() > 100, "red dot not found"
        ys.append(float(np.median(np.nonzero(mask)[0])))
    heights = table["height"].to_numpy()[np.array(frames) * (RATE_HZ // FPS)]

    slope, intercept = np.polyfit(heights, ys, 1)
    assert slope < -50, "height 1 must be at the top, and the dot must move visibly"
    residual = np.abs(np.array(ys) - (slope * heights + intercept))
    assert residual.max() < 3.0, list(zip(frames, ys, heights, strict=True))


# --- walk.ogg ---------------------------------------------------------------------------------


def test_audio_stream_info(ffmpeg: str, s: Sample) -> None:
    info = _probe(ffmpeg, s.audio)
    assert "Video:" not in info
    audio_lines = [ln for ln in info.splitlines() if "Audio:" in ln]
    assert len(audio_lines) == 1, info
    assert re.search(r"Audio: opus\b", audio_lines[0]), audio_lines[0]
    assert "mono" in audio_lines[0]


def test_audio_duration(ffmpeg: str, s: Sample) -> None:
    assert _last_time(_decode_null(ffmpeg, s.audio)) == pytest.approx(DURATION_S, abs=0.05)
    # Exact: count the decoded samples.
    pcm = subprocess.run(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-i", str(s.audio),
         "-f", "s16le", "-ac", "1", "-ar", "48000", "-"],
        capture_output=True,
        check=True,
    ).stdout  # fmt: skip
    assert len(pcm) / 2 / 48000 == pytest.approx(DURATION_S, abs=0.05)


def test_audio_pitch_follows_height(ffmpeg: str, s: Sample, table: pd.DataFrame) -> None:
    """In the still phase the tone is at 300 + 500 * height Hz, so pitch jumps with height."""
    rate = 48000
    pcm = subprocess.run(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-i", str(s.audio),
         "-f", "f32le", "-ac", "1", "-ar", str(rate), "-"],
        capture_output=True,
        check=True,
    ).stdout  # fmt: skip
    audio = np.frombuffer(pcm, dtype="<f4").astype(np.float64)
    h = table.set_index("time")["height"]
    for start in (23.2, 25.2, 27.2):  # windows between the whole-second beeps
        seg = audio[int(start * rate) : int((start + 0.7) * rate)]
        spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
        freqs = np.fft.rfftfreq(len(seg), 1 / rate)
        peak = float(freqs[np.argmax(spectrum)])
        expected = 300.0 + 500.0 * float(h.loc[round(start + 0.3, 2)])
        assert peak == pytest.approx(expected, abs=5.0), (start, peak, expected)
