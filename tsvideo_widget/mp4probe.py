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
from dataclasses import dataclass

__all__ = ["MOOV_LIMIT", "Fragments", "audio_codec", "fragments", "probe"]

MOOV_LIMIT = 64 * 1024 * 1024
"""Largest ``moov`` box read (bytes); a bigger one is not probed."""

Reader = Callable[[int, int], bytes]


def _boxes(read: Reader, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, payload start, box end, box start) of the boxes in ``start..end``."""
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
        yield kind, body, pos + size, pos
        pos += size


def _child(read: Reader, lo: int, hi: int, name: bytes) -> tuple[int, int] | None:
    return next(((b, e) for k, b, e, _ in _boxes(read, lo, hi) if k == name), None)


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


def _moov(read: Reader, size: int) -> tuple[int, int] | None:
    """Payload bounds of the file's ``moov`` box, or None."""
    return next(((b, e) for k, b, e, _ in _boxes(read, 0, size) if k == b"moov"), None)


def _sample_entry(read: Reader, lo: int, hi: int) -> tuple[bytes, bytes, bytes] | None:
    """(handler type, first sample entry's type, its payload) of the ``trak`` in ``lo..hi``."""
    mdia = _child(read, lo, hi, b"mdia")
    if mdia is None:
        return None
    hdlr = _child(read, *mdia, b"hdlr")
    handler = read(hdlr[0] + 8, 4) if hdlr is not None else b""
    box = mdia
    for name in (b"minf", b"stbl", b"stsd"):
        found = _child(read, *box, name)
        if found is None:
            return None
        box = found
    # stsd: version/flags (4), entry count (4), then sample entries (boxes).
    for kind, body, end, _ in _boxes(read, box[0] + 8, box[1]):
        return handler, kind, read(body, end - body)
    return None


def probe(read: Reader, size: int) -> tuple[str | None, bool]:
    """The codecs string of the first audio track (None: no audio, not MP4, unreadable), and
    whether the file is a fragmented MP4 (its ``moov`` holds an ``mvex``: streamable).

    Reads the top-level box headers and the ``moov`` box once (at most MOOV_LIMIT bytes).

    Args:
        read: ``read(offset, length) -> bytes`` of the file.
        size: the file's size in bytes.
    """
    try:
        moov = _moov(read, size)
        if moov is None or moov[1] - moov[0] > MOOV_LIMIT:
            return None, False
        data = read(moov[0], moov[1] - moov[0])

        def local(o: int, n: int) -> bytes:
            return data[o : o + n]

        codec = None
        fragmented = False
        for kind, body, end, _ in _boxes(local, 0, len(data)):
            fragmented = fragmented or kind == b"mvex"
            if kind == b"trak" and codec is None:
                entry = _sample_entry(local, body, end)
                if entry is not None and entry[0] == b"soun":
                    codec = _codec_of(entry[1], entry[2])
        return codec, fragmented
    except (struct.error, OSError, ValueError):
        return None, False


def audio_codec(read: Reader, size: int) -> str | None:
    """The codecs string of the first audio track, or None (see :func:`probe`)."""
    return probe(read, size)[0]


@dataclass(frozen=True)
class Fragments:
    """Where the pieces of a fragmented MP4 are, for streaming it with Media Source Extensions.

    Attributes:
        mime: the type and codecs a ``SourceBuffer`` needs (str, such as
            ``'video/mp4; codecs="avc1.64001e,mp4a.40.2"'``).
        init_end: the init segment (``ftyp`` and ``moov``) is bytes ``0..init_end`` (int).
        offsets: byte offset of each fragment (its ``moof``), in file order (list of int).
        ends: byte offset just past each fragment's ``mdat`` (list of int).
        starts: media time of each fragment's start, seconds (list of float).
        duration: media seconds from the first fragment's start to the end of the last (float).
    """

    mime: str
    init_end: int
    offsets: list[int]
    ends: list[int]
    starts: list[float]
    duration: float

    def to_json(self) -> dict[str, object]:
        """The index the browser asks for (``media-index``)."""
        return {
            "mime": self.mime,
            "init": [0, self.init_end],
            "fragments": [list(x) for x in zip(self.offsets, self.ends, self.starts, strict=True)],
            "duration": self.duration,
        }


def _u32(b: bytes, at: int) -> int:
    return int(struct.unpack_from(">I", b, at)[0])


def _track_info(read: Reader, lo: int, hi: int) -> tuple[int, int, str] | None:
    """(track id, timescale, codecs string) of a ``trak``, or None for one MSE cannot take."""
    tkhd = _child(read, lo, hi, b"tkhd")
    mdia = _child(read, lo, hi, b"mdia")
    mdhd = _child(read, *mdia, b"mdhd") if mdia is not None else None
    entry = _sample_entry(read, lo, hi)
    if tkhd is None or mdhd is None or entry is None:
        return None
    head = read(tkhd[0], 24)
    track_id = _u32(head, 20 if head[0] == 1 else 12)
    m = read(mdhd[0], 24)
    timescale = _u32(m, 20 if m[0] == 1 else 12)
    _, kind, body = entry
    if timescale <= 0:
        return None
    if kind in (b"avc1", b"avc3"):
        at = body.find(b"avcC")
        if at < 0 or len(body) < at + 8:
            return None
        p, c, lv = body[at + 5], body[at + 6], body[at + 7]
        return track_id, timescale, f"{kind.decode()}.{p:02x}{c:02x}{lv:02x}"
    if kind in (b"mp4a", b"Opus", b".mp3", b"fLaC"):
        return track_id, timescale, _codec_of(kind, body)
    return None


def _trex_durations(read: Reader, lo: int, hi: int) -> dict[int, int]:
    mvex = _child(read, lo, hi, b"mvex")
    out: dict[int, int] = {}
    if mvex is not None:
        for kind, body, _end, _ in _boxes(read, *mvex):
            if kind == b"trex":
                t = read(body, 20)
                out[_u32(t, 4)] = _u32(t, 12)
    return out


def _traf_time(read: Reader, lo: int, hi: int, trex: dict[int, int]) -> tuple[int, int, int] | None:
    """(track id, decode time of its first sample, summed sample durations) of a ``traf``."""
    tfhd = _child(read, lo, hi, b"tfhd")
    tfdt = _child(read, lo, hi, b"tfdt")
    if tfhd is None or tfdt is None:
        return None
    h = read(tfhd[0], tfhd[1] - tfhd[0])
    flags = int.from_bytes(h[1:4], "big")
    track_id = _u32(h, 4)
    at = 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
    default = _u32(h, at) if flags & 0x08 else trex.get(track_id, 0)
    d = read(tfdt[0], 12)
    start = int(struct.unpack_from(">Q", d, 4)[0]) if d[0] == 1 else _u32(d, 4)
    total = 0
    for kind, body, end, _ in _boxes(read, lo, hi):
        if kind != b"trun":
            continue
        t = read(body, end - body)
        tflags = int.from_bytes(t[1:4], "big")
        count = _u32(t, 4)
        p = 8 + (4 if tflags & 0x01 else 0) + (4 if tflags & 0x04 else 0)
        if not tflags & 0x100:
            total += count * default
            continue
        step = 4 * sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if tflags & bit)
        total += sum(_u32(t, p + i * step) for i in range(count))
    return track_id, start, total


def fragments(read: Reader, size: int, limit: int = 200_000) -> Fragments | None:
    """The fragment index of a fragmented MP4 that Media Source Extensions can play, else None.

    Reads box headers only (plus ``moov`` and each ``moof``): fast for any size.
    None for a plain (unfragmented) MP4, a codec other than H.264, AAC, MP3, Opus
    or FLAC, or more than ``limit`` fragments.
    """
    try:
        moov = None
        offsets: list[int] = []
        ends: list[int] = []
        first_ticks: list[int] = []
        end_ticks: list[int] = []
        tracks: dict[int, tuple[int, str]] = {}
        trex: dict[int, int] = {}
        lead: int | None = None
        for kind, body, end, head in _boxes(read, 0, size):
            if kind == b"moov":
                moov = (body, end)
                for k, b, e, _ in _boxes(read, body, end):
                    if k == b"trak":
                        info = _track_info(read, b, e)
                        if info is None:
                            return None
                        tracks[info[0]] = (info[1], info[2])
                trex = _trex_durations(read, body, end)
                if not trex:
                    return None  # no mvex: not fragmented
            elif kind == b"moof":
                if moov is None or len(offsets) >= limit:
                    return None
                traf = _child(read, body, end, b"traf")
                timing = _traf_time(read, *traf, trex) if traf is not None else None
                if timing is None:
                    return None
                track_id, start, dur = timing
                lead = track_id if lead is None else lead
                if track_id != lead or track_id not in tracks:
                    return None
                offsets.append(head)
                ends.append(end)
                first_ticks.append(start)
                end_ticks.append(start + dur)
            elif kind == b"mdat" and offsets:
                ends[-1] = end
        if moov is None or not offsets or lead is None:
            return None
        scale = tracks[lead][0]
        codecs = ",".join(c for _, c in tracks.values())
        major = "video" if any(c.startswith("avc") for _, c in tracks.values()) else "audio"
        return Fragments(
            mime=f'{major}/mp4; codecs="{codecs}"',
            init_end=moov[1],
            offsets=offsets,
            ends=ends,
            starts=[t / scale for t in first_ticks],
            duration=(end_ticks[-1] - first_ticks[0]) / scale,
        )
    except (struct.error, OSError, ValueError, IndexError):
        return None
