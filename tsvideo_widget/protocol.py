"""The custom-message protocol between the browser and the kernel.

Every request is ``{type, id, ...payload}``; every reply carries the same
``type`` and ``id`` and an ``error`` (None on success), so the browser hears of
every failure instead of waiting for its timeout. Each type has one handler
and a typed payload:

* ``detail``: decimated columns of a window (binary buffers; in the compact layout
  when the request says ``compact: true``, see :mod:`tsvideo_widget.transport`).
* ``media-chunk``: bytes of a local media file or of media bytes (of the
  request's ``track``; the first track without one).
* ``media-index``: the fragments of a fragmented MP4 (byte ranges and start
  times), which the browser then streams with Media Source Extensions.
* ``waveform``: the min/max envelope of an audio track over media seconds
  ``lo``..``hi`` (float32 buffers). The first request of a track decodes it in
  a background thread (:mod:`tsvideo_widget.waveform`); the reply is sent when
  the envelope is ready, so the kernel keeps answering meanwhile.

Replies with numbers or bytes carry them as binary buffers with their byte
``sizes``, or as base64 text (``b64``) when the request asks (``b64: true``)
or the widget's ``transport`` is ``"base64"`` (see :mod:`tsvideo_widget.transport`),
and the kernel's own handling time in ms (``kernel_ms``,
:data:`tsvideo_widget.wire.KERNEL_MS_FIELD`: from the request reaching the handler to the
reply being sent), which the browser's link meter subtracts from the round trip.
* the alignment panel's requests (fit, apply, undo, suggest, feature): see
  :mod:`tsvideo_widget.alignrequests`.
* ``edit``: region edits drawn in the browser, as operations with a per-client
  sequence number. Only operations newer than the last one applied for that
  client are applied (all of a message or none), so the browser may re-send
  pending edits until it hears back (kernel busy, restarted, or gone).
"""

from __future__ import annotations

import math
import time
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

import traitlets as t

from . import regions as reg
from . import transport, waveform
from .alignrequests import AlignRequests
from .errors import MediaError, TsvError
from .media import MediaSource
from .waveform import Waveform
from .wire import EDIT_MESSAGE, KERNEL_MS_FIELD, MAX_DETAIL_BUCKETS

if TYPE_CHECKING:
    from .widget import TimeSeriesVideo


class DetailRequest(TypedDict):
    """``detail``: window ``lo``..``hi`` in relative seconds, about ``buckets`` columns;
    ``compact: true`` for the compact layout (see :mod:`tsvideo_widget.compactwire`);
    ``levels``: the value levels the chart shows (int >= 2; codes of fewer bits,
    :mod:`tsvideo_widget.codebits`)."""

    lo: float
    hi: float
    buckets: int
    compact: NotRequired[bool]
    levels: NotRequired[int]


class ChunkRequest(TypedDict):
    """``media-chunk``: ``length`` bytes from byte ``offset`` of track ``track``'s media."""

    offset: int
    length: int
    track: NotRequired[str]


class WaveformRequest(TypedDict):
    """``waveform``: audio track ``track``'s envelope over media seconds ``lo``..``hi``."""

    track: str
    lo: float
    hi: float
    buckets: int


class EditOp(TypedDict):
    """One region edit: put ``region`` (a wire region) by ``id``, or remove it (None)."""

    seq: int
    id: str
    region: dict[str, Any] | None


class EditRequest(TypedDict):
    """``edit``: operations from one browser client, in order."""

    client: str
    ops: list[EditOp]


class Protocol:
    """Answers the browser's requests for one widget.

    Args:
        widget: the widget whose series, media and regions the answers come from.
    """

    def __init__(self, widget: TimeSeriesVideo) -> None:
        self.widget = widget
        self.align = AlignRequests(widget)
        self._edit_seq: dict[str, int] = {}
        self._region_seq: dict[str, dict[str, int]] = {}

    def handle(self, content: Any, buffers: list[Any]) -> None:
        """Route one message; every request gets exactly one reply."""
        if not isinstance(content, dict) or "type" not in content:
            return
        kind, rid = content.get("type"), content.get("id")
        t0 = time.perf_counter()
        try:
            if kind in ("detail", "media-chunk"):
                header, bufs = (
                    self.detail(content)  # type: ignore[arg-type]
                    if kind == "detail"
                    else self.media_chunk(content)  # type: ignore[arg-type]
                )
                as_b64 = content.get("b64") is True or self.widget.transport == "base64"
                header, bufs = transport.reply(header, bufs, as_b64)
                # The kernel's own share of the round trip, so the browser's link meter
                # does not take compute time (or a loaded machine) for a slow wire.
                header[KERNEL_MS_FIELD] = (time.perf_counter() - t0) * 1000.0
                self.widget.send({"type": kind, "id": rid, "error": None, **header}, bufs)
            elif kind == "media-index":
                self.widget.send(
                    {"type": kind, "id": rid, "error": None, **self.media_index(content)}
                )
            elif kind == "waveform":
                self.waveform(content, rid)  # type: ignore[arg-type]
            elif kind == EDIT_MESSAGE:
                self.widget.send(self.edit(content, rid))  # type: ignore[arg-type]
            elif self.align.handles(kind):
                self.align.handle(content, rid)
            else:
                self.widget.send({"type": kind, "id": rid, "error": f"unknown request {kind!r}"})
        except Exception as err:  # the browser must hear of every failure, or it waits
            self.widget.send({"type": kind, "id": rid, "error": f"{type(err).__name__}: {err}"})

    def detail(self, req: DetailRequest) -> tuple[dict[str, Any], list[Any]]:
        """Decimated columns of a window: see :meth:`TimeSeriesVideo.detail`."""
        compact = req.get("compact") is True
        levels = req.get("levels")
        return self.widget.detail(
            float(req["lo"]), float(req["hi"]), int(req["buckets"]), compact, levels=levels
        )

    def media_chunk(self, req: ChunkRequest) -> tuple[dict[str, Any], list[bytes]]:
        """Bytes of the media for the kernel-chunk fallback, and the reply header."""
        source = self._source(req.get("track"))
        offset, length = int(req["offset"]), int(req["length"])
        chunk = source.read(offset, length)
        return {"offset": offset, "length": len(chunk), "size": source.size}, [chunk]

    def _source(self, track: Any) -> MediaSource:
        """The source of track ``track`` (a name; the first track for None)."""
        sources = dict(self.widget._media_sources())
        if not sources:
            raise MediaError("this widget has no media")
        if track is None:
            return next(iter(sources.values()))
        if track not in sources:
            raise MediaError(f"no media track {track!r}; the tracks are {list(sources)}")
        return sources[track]

    def media_index(self, req: dict[str, Any]) -> dict[str, Any]:
        """``media-index``: where the fragments of a fragmented MP4 are, to stream it."""
        source = self._source(req.get("track"))
        index = source.fragments()
        if index is None:
            raise MediaError(f"{source.name} is not a fragmented MP4 this browser can stream")
        return {"index": index.to_json()}

    def waveform(self, req: WaveformRequest, rid: Any) -> None:
        """Reply to ``waveform`` when the track's waveform is decoded (at once when it is)."""
        source = self._source(req.get("track"))
        if source.kind != "audio":
            raise MediaError(
                f"track {req.get('track')!r} ({source.name}) is a video: waveform lanes are "
                "drawn for audio tracks"
            )
        lo, hi = float(req["lo"]), float(req["hi"])
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
            raise TsvError(f"bad waveform window {lo!r}..{hi!r}")
        buckets = max(1, min(int(req["buckets"]), MAX_DETAIL_BUCKETS))
        as_b64 = req.get("b64") is True or self.widget.transport == "base64"
        w = self.widget

        def send(future: Future[Waveform]) -> None:
            try:
                wave = future.result()
                env = wave.envelope(lo, hi, buckets)
                header = {
                    "t0": env.t0,
                    "dt": env.dt,
                    "raw": env.raw,
                    "points": int(env.lo.size),
                    "duration": wave.duration,
                }
                header, bufs = transport.reply(header, [env.lo, env.hi], as_b64)
                w.send({"type": "waveform", "id": rid, "error": None, **header}, bufs)
            except Exception as err:  # the browser must hear of every failure
                w.send({"type": "waveform", "id": rid, "error": f"{type(err).__name__}: {err}"})

        waveform.CACHE.get(source).add_done_callback(send)

    def edit(self, req: EditRequest, rid: Any) -> dict[str, Any]:
        """Apply the operations newer than the client's last applied one; the reply.

        A refused edit (an invalid region, a file that cannot be saved) is
        answered with its error and the last sequence number applied, and the
        browser's copy of ``regions`` is sent again, so the view returns to the
        kernel's state.
        """
        w = self.widget
        with w._lock:  # edits and a running cell's changes never interleave
            return self._apply_edit(w, req.get("client"), req.get("ops"), rid)

    def _apply_edit(self, w: TimeSeriesVideo, client: Any, ops: Any, rid: Any) -> dict[str, Any]:
        last = self._edit_seq.get(client, 0) if isinstance(client, str) else 0
        done = self._region_seq.setdefault(client, {}) if isinstance(client, str) else {}
        reply: dict[str, Any] = {"type": EDIT_MESSAGE, "id": rid, "error": None, "seq": last}
        try:
            if not isinstance(client, str) or not client or not isinstance(ops, list):
                raise TsvError("an edit needs a client id (str) and a list of operations")
            for n, op in enumerate(ops):
                # All of a message or none: one malformed operation refuses the message.
                seq = op.get("seq") if isinstance(op, dict) else None
                if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
                    raise TsvError(f"edit operation #{n} has no sequence number: {op!r:.80}")
                if not isinstance(op.get("id"), str):
                    raise TsvError(f"edit operation #{n} has no region id: {op!r:.80}")
            # An op is stale when its region already got this op or a later one from this
            # client: a message that arrives late (JupyterLab may deliver one on the main
            # shell, behind a running cell, and the next on a subshell) still adds what
            # no later op touched, and never undoes a later edit.
            fresh = [op for op in ops if op["seq"] > done.get(op["id"], 0)]
            if fresh:
                w.regions = reg.apply_ops(w.regions, fresh, w.series)
        except t.TraitError as err:
            w.send_state("regions")
            return {**reply, "error": str(err)}
        for op in fresh:
            done[op["id"]] = max(done.get(op["id"], 0), op["seq"])
        top = max([last, *(op["seq"] for op in ops)])
        self._edit_seq[client] = top
        return {**reply, "seq": top}
