"""The generated multi-track session (tests/mediakit.py) is what it says it is.

Checked against ffmpeg's own reading of the files: durations, frame rate, codec, keyframes,
the frame index burnt into frames decoded back, the clicks in the WAV, and the CSV.
"""

from __future__ import annotations

import re
import subprocess
import time
import wave
from pathlib import Path

import mediakit as mk
import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> mk.Session:
    return mk.make_session(tmp_path_factory.mktemp("mediakit"))


def _ffmpeg(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [mk.ffmpeg_exe(), "-hide_banner", *args], capture_output=True, timeout=timeout, check=False
    )


def _info(path: Path) -> str:
    """ffmpeg's description of ``path`` (stderr of ``ffmpeg -i path``)."""
    return _ffmpeg("-i", str(path)).stderr.decode(errors="replace")


def _duration(info: str) -> float:
    m = re.search(r"Duration: (\d+):(\d+):([\d.]+)", info)
    assert m, f"no Duration in ffmpeg's output:\n{info}"
    h, mi, s = m.groups()
    return int(h) * 3600 + int(mi) * 60 + float(s)


def _frames_info(path: Path) -> list[dict[str, float]]:
    """Every decoded frame's index, pts_time and key flag (ffmpeg's showinfo)."""
    out = _ffmpeg("-i", str(path), "-vf", "showinfo", "-f", "null", "-").stderr.decode()
    rows = re.findall(r"n:\s*(\d+)\s+pts:\s*-?\d+\s+pts_time:([-\d.e]+).*?iskey:(\d)", out)
    assert rows, f"showinfo printed no frames for {path}:\n{out[-2000:]}"
    return [{"n": int(n), "t": float(t), "key": int(k)} for n, t, k in rows]


def _decode_frames(path: Path, indices: list[int]) -> list[np.ndarray]:
    """Frames ``indices`` of ``path`` decoded by ffmpeg as (H, W, 4) RGBA arrays."""
    expr = "+".join(f"eq(n\\,{i})" for i in indices)
    res = _ffmpeg(
        "-loglevel",
        "error",
        "-i",
        str(path),
        "-vf",
        f"select='{expr}'",
        "-fps_mode",
        "passthrough",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgba",
        "-",
    )
    assert res.returncode == 0, res.stderr.decode()
    size = mk.WIDTH * mk.HEIGHT * 4
    assert len(res.stdout) == size * len(indices), (
        f"ffmpeg gave {len(res.stdout)} bytes for {len(indices)} frames of {size}"
    )
    return [
        np.frombuffer(res.stdout[i * size : (i + 1) * size], np.uint8).reshape(
            mk.HEIGHT, mk.WIDTH, 4
        )
        for i in range(len(indices))
    ]


def _top_boxes(path: Path) -> list[str]:
    """Types of the top-level boxes of an MP4, in file order."""
    out = []
    data = path.read_bytes()
    i = 0
    while i + 8 <= len(data):
        size = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[i + 8 : i + 16], "big")
        out.append(kind)
        if size < 8:
            break
        i += size
    return out


# --------------------------------------------------------------------------- the truth


def test_truth_matches_the_contract(session: mk.Session) -> None:
    assert list(session.tracks) == ["front", "side", "mic"]
    front, side, mic = (session.tracks[n] for n in ("front", "side", "mic"))
    assert (front.kind, front.offset, front.rate) == ("video", 0.0, 1.0)
    assert (side.kind, side.offset, side.rate) == ("video", 2.35, 1.001)
    assert (mic.kind, mic.offset, mic.rate) == ("audio", -3.0, 0.9999)
    assert session.media_time("side", 10.0) == pytest.approx(2.35 + 10.01)
    assert session.data_time("side", session.media_time("side", 7.7)) == pytest.approx(7.7)
    # The mic starts 3 s after the data: data 3.0/0.9999 is its media time 0.
    assert mic.start_data == pytest.approx(3.0 / 0.9999)
    assert not mic.has_media(2.9) and mic.has_media(3.01)
    assert mic.click_data_times[:2] == pytest.approx([4.0 / 0.9999, 5.0 / 0.9999])
    for t in session.tracks.values():
        # Each medium covers the whole data at its mapping, with 1 s to spare.
        assert t.has_media(session.seconds), t
        assert t.duration >= t.media_time(session.seconds) + 1.0 - 1e-9, t
        assert t.duration < t.media_time(session.seconds) + 1.0 + 1 / 30, t
    assert side.duration >= 2.35 + 1.001 * 30 + 1
    assert session.media == {"front": "front.mp4", "side": "side.mp4", "mic": "mic.wav"}


def test_a_second_call_reuses_the_files(session: mk.Session) -> None:
    before = {p: p.stat().st_mtime_ns for p in session.dir.iterdir()}
    t0 = time.monotonic()
    again = mk.make_session(session.dir)
    assert time.monotonic() - t0 < 2.0
    assert again == session
    assert {p: p.stat().st_mtime_ns for p in session.dir.iterdir()} == before


def test_generation_is_fast(tmp_path: Path) -> None:
    t0 = time.monotonic()
    s = mk.make_session(tmp_path, seconds=4.0)
    took = time.monotonic() - t0
    assert took < 20.0, f"a 4 s session took {took:.1f} s to generate"
    assert s.tracks["front"].frames == 150  # (0 + 1.0 * 4 + 1) s at 30 fps


# --------------------------------------------------------------------------- data


def test_data_csv(session: mk.Session) -> None:
    df = pd.read_csv(session.data)
    assert list(df.columns) == ["time", "acc", "click"]
    assert len(df) == session.rows == 3001
    assert df["time"].iloc[0] == 0.0 and df["time"].iloc[-1] == pytest.approx(30.0)
    assert np.allclose(np.diff(df["time"]), 0.01)
    # acc: a spike starting at each whole second, nothing that tall elsewhere.
    t = df["time"].to_numpy()
    rises = t[1:][(df["acc"].to_numpy()[1:] > 0.5) & (df["acc"].to_numpy()[:-1] <= 0.5)]
    assert rises == pytest.approx(list(session.spike_times), abs=1e-9)
    # click: a spike at the first sample at or after each mic click's data time.
    c = df["click"].to_numpy()
    starts = t[1:][(c[1:] > 0.5) & (c[:-1] <= 0.5)]
    mic = session.tracks["mic"]
    want = [np.ceil(d * 100 - 1e-9) / 100 for d in mic.click_data_times if d <= 30.0]
    assert starts == pytest.approx(want, abs=1e-9)
    assert starts[0] == pytest.approx(4.01)  # media 1.0 s = data 4.0004 s


# --------------------------------------------------------------------------- videos


@pytest.mark.parametrize("name", ["front", "side"])
def test_video_as_ffmpeg_reads_it(session: mk.Session, name: str) -> None:
    track = session.tracks[name]
    info = _info(track.path)
    assert "Audio:" not in info, f"{name} has an audio stream:\n{info}"
    video = re.search(r"Video: (.*)", info)
    assert video, info
    line = video.group(1)
    for want in ("h264", "yuv420p", "320x180", "30 fps"):
        assert want in line, f"{want!r} missing from {name}'s stream: {line}"
    assert _duration(info) == pytest.approx(track.duration, abs=0.011)
    frames = _frames_info(track.path)
    assert len(frames) == track.frames
    # showinfo prints pts_time to 6 digits
    want_t = [k / 30 for k in range(len(frames))]
    assert [f["t"] for f in frames] == pytest.approx(want_t, abs=1e-5)
    keys = [f["n"] for f in frames if f["key"]]
    assert keys == list(range(0, len(frames), 15)), f"keyframes of {name}: {keys}"
    boxes = _top_boxes(track.path)
    assert boxes.index("moov") < boxes.index("mdat"), f"not faststart: {boxes}"


@pytest.mark.parametrize("name", ["front", "side"])
def test_frame_index_reads_back_from_decoded_frames(session: mk.Session, name: str) -> None:
    track = session.tracks[name]
    assert track.frames is not None and track.tint is not None
    last = track.frames - 1
    indices = [0, 1, 14, 15, 16, 255, 256, 457, 511, 512, 899, last]
    frames = _decode_frames(track.path, indices)
    got = [mk.read_frame_index(f.tobytes(), mk.WIDTH, mk.HEIGHT) for f in frames]
    assert got == indices
    # The e2e test reads only the top BAND rows of a frame (canvas getImageData).
    band = [mk.read_frame_index(f[: mk.BAND].tobytes(), mk.WIDTH, mk.BAND) for f in frames]
    assert band == indices
    # The background is the track's own tint (give or take the codec).
    corner = frames[3][-4:, -4:, :3].reshape(-1, 3).mean(axis=0)
    assert np.abs(corner - np.array(track.tint)).max() < 12, (corner, track.tint)


def test_the_two_videos_look_different(session: mk.Session) -> None:
    a = session.tracks["front"].tint
    b = session.tracks["side"].tint
    assert a is not None and b is not None
    assert max(abs(x - y) for x, y in zip(a, b, strict=True)) >= 40


def test_read_frame_index_on_rendered_frames() -> None:
    for i in [*range(0, 40), 1000, 12345, 65535]:
        rgb = mk.render_frame(i)
        rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
        assert mk.read_frame_index(rgba, mk.WIDTH, mk.HEIGHT) == i
        assert mk.read_frame_index(rgb.tobytes(), mk.WIDTH, mk.HEIGHT, channels=3) == i


def test_read_frame_index_refuses_what_is_not_a_pattern() -> None:
    grey = np.full((mk.BAND, mk.WIDTH, 4), 128, np.uint8)
    with pytest.raises(ValueError, match="unreadable"):
        mk.read_frame_index(grey, mk.WIDTH, mk.BAND)
    black = np.zeros((mk.BAND, mk.WIDTH, 4), np.uint8)
    with pytest.raises(ValueError, match="check"):
        mk.read_frame_index(black, mk.WIDTH, mk.BAND)
    with pytest.raises(ValueError, match="bytes of pixels"):
        mk.read_frame_index(b"\0" * 100, mk.WIDTH, mk.BAND)
    with pytest.raises(ValueError, match="cannot hold"):
        mk.read_frame_index(b"", 100, 20)


# --------------------------------------------------------------------------- audio


def test_wav_format_and_duration(session: mk.Session) -> None:
    mic = session.tracks["mic"]
    with wave.open(str(mic.path)) as w:
        params = (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes())
    assert params == (1, 2, 48_000, mic.samples)
    assert mic.duration == pytest.approx(-3.0 + 0.9999 * 30 + 1.0, abs=1 / 48_000)
    info = _info(mic.path)
    assert "pcm_s16le" in info and "48000 Hz" in info and "mono" in info, info
    assert _duration(info) == pytest.approx(mic.duration, abs=0.011)


def test_clicks_are_at_the_stated_samples(session: mk.Session) -> None:
    mic = session.tracks["mic"]
    with wave.open(str(mic.path)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64) / 32767
    loud = np.abs(x) > mk.CLICK_THRESHOLD
    # A click onset: loud, with nothing loud in the 10 ms before.
    idx = np.flatnonzero(loud)
    onsets = [int(i) for j, i in enumerate(idx) if j == 0 or i - idx[j - 1] > 480]
    want = [round(t * 48_000) for t in mic.click_times]
    assert onsets == want
    assert want[:3] == [48_000, 96_000, 144_000]
    assert len(want) == 27  # 1 .. 27 s in 27.997 s
    # Each click is short (~5 ms), and quiet is quiet.
    for at in want:
        assert not loud[at + 240 : at + 48_000 - 10].any()
        assert abs(x[at]) == pytest.approx(mk.CLICK_AMPLITUDE, abs=1e-3)
    quiet = np.ones(len(x), bool)
    for at in want:
        quiet[at : at + 240] = False
    assert np.abs(x[quiet]).max() < 0.02
