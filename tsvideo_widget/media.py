"""Where the browser gets the media from.

Three kinds of source, resolved in Python and described to the browser as a
small JSON dict (``MediaSource.to_json``):

* ``url``: an http(s) URL, or an absolute URL path on the notebook server,
  which must start with ``/files/`` (``/files/data/session.mp4``). The browser
  loads it directly. Any other string is a local path.
* ``file``: a local file. The browser first tries Jupyter's own ``/files/``
  handler (which honours HTTP Range requests, so seeking works and nothing
  passes through the kernel); when the file is outside the server's root, or
  the front end has no such handler, it asks the kernel for the file in chunks
  and plays the assembled ``blob:`` URL.
* ``bytes``: raw bytes held in Python, always sent in chunks through the kernel.

No media bytes are ever stored in the notebook file. URL schemes are
allowlisted: only http and https (and, in the browser, the ``blob:`` URLs it
makes itself) can reach the media element. A URL is stored in the notebook's
widget state, so one that carries a secret (a user name and password, or a
token- or signature-like query parameter, see :data:`SECRET_PARAMS`) is
refused, and messages show URLs with their secrets masked (:func:`mask_url`).
Every error is a :class:`traitlets.TraitError` (see :mod:`tsvideo_widget.errors`).
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from . import wire
from .errors import MediaError, TsvFileNotFoundError, TsvTypeError
from .mp4probe import Fragments, fragments, probe
from .urlsecrets import SECRET_PARAMS, mask_url, secrets_in

__all__ = [
    "ALLOWED_SCHEMES",
    "CHUNK_BYTES",
    "MEDIA_TYPES",
    "SECRET_PARAMS",
    "URL_PATH_PREFIX",
    "MediaError",
    "MediaKind",
    "MediaSource",
    "mask_url",
    "resolve",
    "sniff_mime",
]

MediaKind = Literal["video", "audio"]

ALLOWED_SCHEMES = ("http", "https")
"""URL schemes a media URL may use (tuple of str)."""

CHUNK_BYTES = wire.MEDIA_CHUNK_BYTES
"""Largest chunk of media sent through the kernel in one message (bytes, from ``wire.json``)."""

URL_PATH_PREFIX = "/files/"
"""A string that starts with this is a URL path on the notebook server; others are local paths."""

# Extension -> MIME type; the kind is the MIME type's major part.
MEDIA_TYPES: dict[str, str] = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".ogv": "video/ogg",
    ".avi": "video/x-msvideo",
    ".wmv": "video/x-ms-wmv",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
}

# Leading bytes -> MIME type, for raw bytes without a name.
_MAGIC: list[tuple[int, bytes, str]] = [
    (4, b"ftyp", "video/mp4"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
    (0, b"OggS", "audio/ogg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\xff\xfb", "audio/mpeg"),
    (0, b"\xff\xf3", "audio/mpeg"),
]


@dataclass(frozen=True)
class MediaSource:
    """A resolved media source.

    Attributes:
        kind: "video" or "audio".
        source: "url", "file" or "bytes".
        mime: MIME type (may be empty when unknown for a URL).
        name: a display name (file name or URL), shown in messages as text only.
        url: the URL for ``source == "url"``.
        path: absolute local path for ``source == "file"``.
        data: the bytes for ``source == "bytes"``.
        size: size in bytes for files and bytes.
        audio_codec: the audio codec an MP4/MOV/M4A names in its header, as a
            codecs string ("mp4a.40.2" is AAC-LC, "opus", "mp3"), or None when
            there is no audio track or the container is not MP4 (see
            :func:`tsvideo_widget.mp4probe.audio_codec`).
        fragmented: True for a fragmented MP4, which the browser can stream through the
            kernel fragment by fragment (:meth:`fragments`) instead of loading it whole.
    """

    kind: MediaKind
    source: Literal["url", "file", "bytes"]
    mime: str
    name: str
    url: str | None = None
    path: str | None = None
    data: bytes | None = None
    size: int = 0
    audio_codec: str | None = None
    fragmented: bool = False

    def to_json(self) -> dict[str, Any]:
        """The description the browser receives (never the bytes themselves)."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "source": self.source,
            "mime": self.mime,
            "name": self.name,
            "size": self.size,
        }
        if self.url is not None:
            out["url"] = self.url
        if self.path is not None:
            out["path"] = self.path
        if self.audio_codec is not None:
            out["audioCodec"] = self.audio_codec
        if self.fragmented:
            out["fragmented"] = True
        return out

    def fragments(self) -> Fragments | None:
        """The fragment index of a fragmented MP4 file or bytes (None when it cannot stream)."""
        if not self.fragmented:
            return None
        return fragments(self._reader(), self.size)

    def _reader(self) -> Callable[[int, int], bytes]:
        if self.data is not None:
            data = self.data
            return lambda o, n: data[o : o + n]
        path = self.path
        if path is None:
            raise MediaError(f"media {self.name!r} is a URL; the browser loads it itself")

        def read(offset: int, length: int) -> bytes:
            with open(path, "rb") as f:
                f.seek(offset)
                return f.read(length)

        return read

    def read(self, offset: int, length: int) -> bytes:
        """Bytes ``offset..offset+length`` of a file or bytes source (at most CHUNK_BYTES)."""
        if offset < 0 or length < 0:
            raise MediaError(f"bad chunk request: offset={offset}, length={length}")
        return self._reader()(offset, min(length, CHUNK_BYTES))


def _kind_of(mime: str, name: str, media_kind: str | None) -> MediaKind:
    if media_kind is not None:
        if media_kind not in ("video", "audio"):
            raise MediaError(f"media_kind must be 'video' or 'audio', got {media_kind!r}")
        return media_kind  # type: ignore[return-value]
    major = mime.split("/")[0]
    if major in ("video", "audio"):
        return major  # type: ignore[return-value]
    raise MediaError(
        f"cannot tell whether {name!r} is video or audio from its name; pass "
        "media_kind='video' or media_kind='audio'"
    )


def _mime_of_name(name: str) -> str:
    ext = os.path.splitext(urlparse(name).path if "://" in name else name)[1].lower()
    if ext in MEDIA_TYPES:
        return MEDIA_TYPES[ext]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or ""


def sniff_mime(data: bytes) -> str:
    """MIME type of media bytes from their first bytes, or "" when unknown."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    for at, magic, mime in _MAGIC:
        if data[at : at + len(magic)] == magic:
            return mime
    return ""


def _url_source(url: str, media_kind: str | None) -> MediaSource:
    what = secrets_in(url)[1]
    if what:
        raise MediaError(
            f"media URL {mask_url(url)!r} carries a secret ({', '.join(what)}), which would be "
            "stored in the notebook's widget state and saved with the notebook; download the "
            "file and pass its path, or pass its bytes (media=open(path, 'rb').read())"
        )
    mime = _mime_of_name(url)
    return MediaSource(_kind_of(mime, url, media_kind), "url", mime, url, url=url)


def resolve(media: Any, media_kind: str | None = None) -> MediaSource | None:
    """Turn the ``media=`` argument into a :class:`MediaSource` (None for no media).

    Args:
        media: None; a local file (str or Path); an http(s) URL; a URL path on the
            notebook server, which must start with ``/files/``; or bytes
            (bytes, bytearray or memoryview). Any other string is a local path.
        media_kind: "video" or "audio", or None (default) to tell from the name or bytes.

    Raises:
        TsvFileNotFoundError: a local path that does not exist.
        MediaError: a disallowed URL scheme, a URL that carries a secret, an
            unknown kind, an empty file or empty bytes.
        TsvTypeError: an unsupported type of argument.
    """
    if media is None:
        return None
    if isinstance(media, (bytes, bytearray, memoryview)):
        data = bytes(media)
        if not data:
            raise MediaError("media bytes are empty")
        mime = sniff_mime(data)
        if not mime and media_kind is None:
            raise MediaError(
                "cannot tell what the media bytes hold; pass media_kind='video' or 'audio'"
            )
        kind = _kind_of(mime or f"{media_kind}/", "the media bytes", media_kind)
        codec, frag = None, False
        if mime == "video/mp4":
            codec, frag = probe(lambda o, n: data[o : o + n], len(data))
        return MediaSource(
            kind,
            "bytes",
            mime,
            "media bytes",
            data=data,
            size=len(data),
            audio_codec=codec,
            fragmented=frag,
        )
    if isinstance(media, Path):
        return _resolve_file(media, media_kind)
    if not isinstance(media, str):
        raise TsvTypeError(
            f"media of type {type(media).__name__} is not supported: pass a file path, an "
            "http(s) URL, a URL path such as /files/x.mp4, or bytes"
        )
    if os.path.exists(media):
        return _resolve_file(Path(media), media_kind)
    try:
        parsed = urlparse(media)
        secrets_in(media)
    except ValueError as err:
        raise MediaError(
            f"media {mask_url(media)!r} is not a valid URL ({err}); pass a local file, an "
            f"http(s) URL, or a URL path on the notebook server starting with {URL_PATH_PREFIX}"
        ) from err
    if parsed.scheme and len(parsed.scheme) > 1:  # one letter is a Windows drive
        if parsed.scheme.lower() not in ALLOWED_SCHEMES:
            raise MediaError(
                f"media URL scheme {parsed.scheme!r} is not allowed in {mask_url(media)!r}; use "
                f"http(s) URLs, URL paths on the notebook server (starting with "
                f"{URL_PATH_PREFIX}), or local files"
            )
        return _url_source(media, media_kind)
    if media.startswith(URL_PATH_PREFIX):
        return _url_source(media, media_kind)
    return _resolve_file(Path(media), media_kind)


def _resolve_file(path: Path, media_kind: str | None) -> MediaSource:
    p = path.expanduser()
    if not p.exists():
        raise TsvFileNotFoundError(
            f"media file {str(path)!r} does not exist (resolved to {str(p.absolute())!r}); "
            "pass an existing video or audio file, an http(s) URL, or a URL path on the "
            f"notebook server, which starts with {URL_PATH_PREFIX} (such as /files/session.mp4)"
        )
    if not p.is_file():
        raise MediaError(f"media path {str(path)!r} is not a file; pass a video or audio file")
    size = p.stat().st_size
    if size == 0:
        raise MediaError(
            f"media file {str(path)!r} is empty (0 bytes); pass a file that holds the video or "
            "audio (was it still being written or copied?)"
        )
    if not os.access(p, os.R_OK):
        raise MediaError(
            f"media file {str(path)!r} cannot be read (permission denied); make it readable "
            "or pass a copy"
        )
    mime = _mime_of_name(p.name)
    kind = _kind_of(mime, p.name, media_kind)
    codec, frag = None, False
    if mime in _MP4_TYPES:
        with open(p, "rb") as f:

            def read(offset: int, length: int) -> bytes:
                f.seek(offset)
                return f.read(length)

            codec, frag = probe(read, size)
    return MediaSource(
        kind,
        "file",
        mime,
        p.name,
        path=str(p.resolve()),
        size=size,
        audio_codec=codec,
        fragmented=frag,
    )


# Containers whose header the audio codec is read from (ISO base media files).
_MP4_TYPES = frozenset({"video/mp4", "video/quicktime", "audio/mp4"})
