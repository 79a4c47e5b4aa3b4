"""Resolving media= into a source the browser can play."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets import TraitError

from tsvideo_widget import errors, wire
from tsvideo_widget.errors import TsvFileNotFoundError, TsvTypeError
from tsvideo_widget.media import CHUNK_BYTES, MediaError, resolve, sniff_mime


def test_none_is_no_media() -> None:
    assert resolve(None) is None


def test_local_video_file(tmp_path: Path) -> None:
    p = tmp_path / "a b.mp4"
    p.write_bytes(b"\0\0\0\x18ftypmp42" + b"\0" * 100)
    src = resolve(str(p))
    assert src is not None
    assert (src.kind, src.source, src.mime, src.name, src.size) == (
        "video",
        "file",
        "video/mp4",
        "a b.mp4",
        112,
    )
    js = src.to_json()
    assert js["path"] == str(p.resolve())
    assert "data" not in js  # bytes never travel in the state


def test_audio_kind_from_extension(tmp_path: Path) -> None:
    for ext, mime in [(".wav", "audio/wav"), (".mp3", "audio/mpeg"), (".ogg", "audio/ogg")]:
        p = tmp_path / f"x{ext}"
        p.write_bytes(b"x")
        src = resolve(p)
        assert src is not None and src.kind == "audio" and src.mime == mime


def test_media_kind_overrides(tmp_path: Path) -> None:
    p = tmp_path / "x.webm"
    p.write_bytes(b"x")
    src = resolve(p, "audio")
    assert src is not None and src.kind == "audio"


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing\.mp4.*does not exist"):
        resolve(str(tmp_path / "missing.mp4"))


def test_relative_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"videos/s\.mp4"):
        resolve("videos/s.mp4")


def test_unknown_extension_asks_for_media_kind(tmp_path: Path) -> None:
    p = tmp_path / "x.bin"
    p.write_bytes(b"x")
    with pytest.raises(MediaError, match="media_kind"):
        resolve(p)


def test_http_url() -> None:
    src = resolve("https://example.org/v/session.mp4?v=2&t=10")
    assert src is not None and src.source == "url" and src.kind == "video"
    assert src.url == "https://example.org/v/session.mp4?v=2&t=10"
    assert src.to_json()["url"] == src.url


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)//.mp4", "file:///etc/x.mp4", "data:video/mp4;base64,AAAA"]
)
def test_disallowed_schemes(url: str) -> None:
    with pytest.raises(MediaError, match="not allowed"):
        resolve(url)


def test_url_path_on_the_server() -> None:
    src = resolve("/files/data/session.mp4")
    assert src is not None and src.source == "url" and src.url == "/files/data/session.mp4"


def test_absolute_local_path_that_does_not_exist_is_not_a_url(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        resolve(str(tmp_path / "nope.mp4"))


@pytest.mark.parametrize("path", ["/tsvw-no-such-folder/v.mp4", "/tsvw-no-such-folder/files/v.mp4"])
def test_only_files_prefix_makes_a_url_path(path: str) -> None:
    # Before, an absolute path whose first folder did not exist was taken as a URL path.
    assert not Path(path).parent.exists()
    with pytest.raises(TsvFileNotFoundError, match=rf"{path}.*/files/"):
        resolve(path)


def test_chunk_size_comes_from_the_wire_spec() -> None:
    assert CHUNK_BYTES == wire.MEDIA_CHUNK_BYTES == wire.SPEC["media_chunk_bytes"]


def test_errors_are_the_package_classes() -> None:
    assert MediaError is errors.MediaError
    assert issubclass(MediaError, TraitError)


def test_bytes_are_sniffed() -> None:
    wav = b"RIFF\0\0\0\0WAVEfmt " + b"\0" * 32
    src = resolve(wav)
    assert src is not None and (src.kind, src.source, src.mime) == ("audio", "bytes", "audio/wav")
    assert src.read(0, 4) == b"RIFF"
    assert src.read(4, 10**9) == wav[4 : 4 + CHUNK_BYTES]


def test_unknown_bytes_need_media_kind() -> None:
    with pytest.raises(MediaError, match="media_kind"):
        resolve(b"\x01\x02\x03")
    src = resolve(b"\x01\x02\x03", "video")
    assert src is not None and src.kind == "video"


def test_empty_bytes() -> None:
    with pytest.raises(MediaError, match="empty"):
        resolve(b"")


def test_file_chunks_are_read_by_offset(tmp_path: Path) -> None:
    p = tmp_path / "x.wav"
    p.write_bytes(bytes(range(256)) * 10)
    src = resolve(p)
    assert src is not None
    assert src.read(250, 10) == bytes(range(250, 256)) + bytes(range(4))
    with pytest.raises(MediaError):
        src.read(-1, 10)


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\x1a\x45\xdf\xa3", "video/webm"),
        (b"OggS", "audio/ogg"),
        (b"ID3\x03", "audio/mpeg"),
        (b"fLaC", "audio/flac"),
    ],
)
def test_sniff(head: bytes, mime: str) -> None:
    assert sniff_mime(head + b"\0" * 16) == mime


def test_wrong_type() -> None:
    with pytest.raises(TsvTypeError, match="file path"):
        resolve(42)
