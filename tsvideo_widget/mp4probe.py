"""The audio codec an MP4 (or MOV, M4A) names in its header.

Some hosts play H.264 video but not AAC sound (VS Code's notebook webview
plays such a file silent). The browser can only warn when it knows the file
holds AAC, so the kernel reads the sample descriptions (``moov/trak/mdia/
minf/stbl/stsd``) of the file's audio tracks: a few boxes, reading at most
the ``moov`` box, never the media data.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator

__all__ = ["MOOV_LIMIT", "audio_codec"]

MOOV_LIMIT = 64 * 1024 * 1024
"""Largest ``moov`` box read (bytes); a bigger one is not probed."""

# Containers on the way from moov to the sample entries.
_PATH = (b"trak", b"mdia", b"minf", b"stbl", b"stsd")

Reader = Callable[[int, int], bytes]


def _boxes(read: Reader, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of the boxes in ``start..end``."""
    pos = start
    while pos + 8 <= end:
        head = read(pos, 16)
        if len(head) < 8:
            return
        size, kind = struct.unpack(">I4s", head[:8])
        body = pos + 8
        if size == 1 and len(head) >= 16:
            size = struct.unpack(">Q", head[8:16])[0]
            body = pos + 16
        elif size == 0:
            size = end - pos
        if size < 8 or pos + size > end:
            return
        yield kind, body, pos + size
        pos += size


def _descriptor(buf: bytes, at: int) -> tuple[int, int, int]:
    """(tag, payload start, payload end) of the MPEG-4 descriptor at ``at``."""
    tag = buf[at]
    at += 1
    length = 0
    for _ in range(4):
        b = buf[at]
        at += 1
        length = (length << 7) | (b & 0x7F)
        if not b & 0x80:
            break
    return tag, at, at + length


def _mp4a_codec(entry: bytes) -> str:
    """ "mp4a.OO.A" from an ``mp4a`` sample entry's ``esds`` box ("mp4a.40.2" when unreadable)."""
    at = entry.find(b"esds")
    try:
        if at < 0:
            raise ValueError("no esds")
        buf = entry[at + 8 :]  # after the type and the full box's version/flags
        tag, body, _ = _descriptor(buf, 0)  # ES_Descriptor
        if tag != 3:
            raise ValueError("no ES descriptor")
        flags = buf[body + 2]
        p = body + 3 + (2 if flags & 0x80 else 0)
        if flags & 0x40:
            p += 1 + buf[p]
        if flags & 0x20:
            p += 2
        tag, body, _ = _descriptor(buf, p)  # DecoderConfigDescriptor
        if tag != 4:
            raise ValueError("no decoder config")
        oti = buf[body]
        if oti != 0x40:
            return f"mp4a.{oti:02x}"
        tag, body, _ = _descriptor(buf, body + 13)  # DecoderSpecificInfo
        aot = buf[body] >> 3
        if aot == 31:
            aot = 32 + (((buf[body] & 0x07) << 3) | (buf[body + 1] >> 5))
        return f"mp4a.40.{aot}"
    except (IndexError, ValueError):
        return "mp4a.40.2"


_NAMES = {
    b"Opus": "opus",
    b".mp3": "mp3",
    b"fLaC": "flac",
    b"ac-3": "ac-3",
    b"ec-3": "ec-3",
    b"alac": "alac",
}


def _codec_of(kind: bytes, entry: bytes) -> str:
    if kind == b"mp4a":
        return _mp4a_codec(entry)
    return _NAMES.get(kind, kind.decode("latin-1").strip())


def audio_codec(read: Reader, size: int) -> str | None:
    """The codecs string of the first audio track, or None (no audio, not MP4, unreadable).

    Args:
        read: ``read(offset, length) -> bytes`` of the file.
        size: the file's size in bytes.
    """
    try:
        moov = next(((b, e) for k, b, e in _boxes(read, 0, size) if k == b"moov"), None)
        if moov is None or moov[1] - moov[0] > MOOV_LIMIT:
            return None
        data = read(moov[0], moov[1] - moov[0])

        def local(o: int, n: int) -> bytes:
            return data[o : o + n]

        for kind, body, end in _boxes(local, 0, len(data)):
            if kind != b"trak":
                continue
            if b"soun" not in data[body:end]:
                continue
            codec = _track_codec(local, body, end)
            if codec:
                return codec
    except (struct.error, OSError, ValueError):
        return None
    return None


def _track_codec(read: Reader, start: int, end: int) -> str | None:
    """Codec of the first sample entry in a ``trak`` whose handler is ``soun``."""
    lo, hi = start, end
    for name in _PATH[1:]:
        found = next(((b, e) for k, b, e in _boxes(read, lo, hi) if k == name), None)
        if found is None:
            return None
        lo, hi = found
        if name == b"mdia":
            hdlr = next(((b, e) for k, b, e in _boxes(read, lo, hi) if k == b"hdlr"), None)
            if hdlr is None or read(hdlr[0] + 8, 4) != b"soun":
                return None
    # stsd: version/flags (4), entry count (4), then sample entries (boxes).
    for kind, body, box_end in _boxes(read, lo + 8, hi):
        return _codec_of(kind, read(body, box_end - body))
    return None
