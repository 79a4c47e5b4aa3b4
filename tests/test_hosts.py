"""What the kernel tells the front end's hosts: server hints and the audio codec of MP4s."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tsvideo_widget import hosts
from tsvideo_widget.media import resolve
from tsvideo_widget.mp4probe import audio_codec


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One-second MP4s with different sound, made with imageio-ffmpeg's ffmpeg."""
    import imageio_ffmpeg

    ff = imageio_ffmpeg.get_ffmpeg_exe()
    out = tmp_path_factory.mktemp("clips")
    video = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1"]
    sound = ["-f", "lavfi", "-i", "sine=duration=1"]
    h264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p"]
    made = {
        "aac": [*video, *sound, *h264, "-c:a", "aac", "-shortest"],
        "mp3": [*video, *sound, *h264, "-c:a", "libmp3lame", "-shortest"],
        "opus": [*video, *sound, *h264, "-c:a", "libopus", "-shortest"],
        "silent": [*video, *h264],
        "fragmented": [
            *video,
            *sound,
            *h264,
            "-c:a",
            "aac",
            "-shortest",
            "-movflags",
            "frag_keyframe+empty_moov",
        ],
        "m4a": [*sound, "-c:a", "aac"],
    }
    paths = {}
    for name, args in made.items():
        path = out / (f"{name}.m4a" if name == "m4a" else f"{name}.mp4")
        subprocess.run([ff, "-y", "-loglevel", "error", *args, str(path)], check=True)
        paths[name] = path
    return paths


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("aac", "mp4a.40.2"),
        ("mp3", "mp4a.6b"),
        ("opus", "opus"),
        ("silent", None),
        ("fragmented", "mp4a.40.2"),
        ("m4a", "mp4a.40.2"),
    ],
)
def test_audio_codec_of_mp4_files_and_bytes(clips: dict[str, Path], name: str, codec: str) -> None:
    src = resolve(clips[name])
    assert src is not None and src.audio_codec == codec
    assert src.to_json().get("audioCodec") == codec
    data = clips[name].read_bytes()
    if name != "m4a":  # bytes are sniffed as video/mp4; an .m4a by name as audio
        from_bytes = resolve(data)
        assert from_bytes is not None and from_bytes.audio_codec == codec


def test_audio_codec_of_garbage_or_truncated_files_is_none() -> None:
    def reader(data: bytes):
        return lambda o, n: data[o : o + n]

    for data in [
        b"",
        b"\0\0\0\x18ftypmp42" + b"\0" * 8,
        b"\xff" * 64,
        b"\0\0\0\x08moov" + b"\0" * 3,
    ]:
        assert audio_codec(reader(data), len(data)) is None
    # A moov that claims more bytes than the file holds.
    bad = b"\0\0\0\x18ftypmp42\0\0\0\0mp42\0\0\0\0" + b"\x7f\0\0\0moov" + b"\0" * 32
    assert audio_codec(reader(bad), len(bad)) is None


def test_webm_and_wav_are_not_probed(tmp_path: Path) -> None:
    p = tmp_path / "a.webm"
    p.write_bytes(b"\x1a\x45\xdf\xa3" + b"\0" * 64)
    src = resolve(p)
    assert src is not None and src.audio_codec is None and "audioCodec" not in src.to_json()


def test_server_hints_only_for_local_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clips: dict[str, Path]
) -> None:
    monkeypatch.setenv("JPY_SESSION_NAME", "/srv/nb/x.ipynb")
    monkeypatch.chdir(tmp_path)
    info = hosts.media_json(resolve(clips["aac"]), "media")
    assert info is not None
    assert info["session"] == "/srv/nb/x.ipynb"
    assert info["cwd"] == str(tmp_path)
    assert info["path"] == str(clips["aac"].resolve())
    url = hosts.media_json(resolve("https://example.org/a.mp4"), "media")
    assert url is not None and not {"home", "cwd", "session"} & url.keys()
    raw = hosts.media_json(resolve(clips["aac"].read_bytes()), "media")
    assert raw is not None and not {"home", "cwd", "session", "path"} & raw.keys()
    monkeypatch.delenv("JPY_SESSION_NAME")
    assert "session" not in hosts.media_json(resolve(clips["aac"]), "media")


def test_fragmented_mp4_index_lists_every_fragment_in_order(clips: dict[str, Path]) -> None:
    src = resolve(clips["fragmented"])
    assert src is not None and src.fragmented and src.to_json()["fragmented"] is True
    index = src.fragments()
    assert index is not None
    assert index.mime.startswith('video/mp4; codecs="avc1.') and index.mime.endswith(',mp4a.40.2"')
    data = clips["fragmented"].read_bytes()
    assert data[index.init_end - 0 : index.init_end + 8][4:8] == b"moof"
    assert [data[o + 4 : o + 8] for o in index.offsets] == [b"moof"] * len(index.offsets)
    assert index.ends[:-1] == index.offsets[1:]  # each fragment runs to the next
    assert index.starts == sorted(index.starts) and index.starts[0] == 0.0
    assert index.duration == pytest.approx(1.0, abs=0.05)
    plain = resolve(clips["aac"])
    assert plain is not None and not plain.fragmented and plain.fragments() is None
    assert "fragmented" not in plain.to_json()


def test_media_index_request(clips: dict[str, Path]) -> None:
    import tsvideo_widget as tv

    s = tv.sample()
    w = tv.TimeSeriesVideo(s.data, media=clips["fragmented"])
    got: list[dict] = []
    w.send = lambda content, buffers=None: got.append(content)  # type: ignore[method-assign]
    w._protocol.handle({"type": "media-index", "id": 4}, [])
    assert got[-1]["error"] is None and got[-1]["id"] == 4
    index = got[-1]["index"]
    assert index["init"][0] == 0 and len(index["fragments"]) >= 1
    assert all(len(f) == 3 for f in index["fragments"])
    w.media = clips["aac"]
    w._protocol.handle({"type": "media-index", "id": 5}, [])
    assert "not a fragmented MP4" in got[-1]["error"]
