"""The custom-message protocol between the browser and the kernel.

Every request is ``{type, id, ...payload}``; every reply carries the same
``type`` and ``id`` and an ``error`` (None on success), so the browser hears of
every failure instead of waiting for its timeout. Each type has one handler
and a typed payload:

* ``detail``: decimated columns of a window (binary buffers).
* ``media-chunk``: bytes of a local media file or of media bytes.
* ``media-index``: the fragments of a fragmented MP4 (byte ranges and start
  times), which the browser then streams with Media Source Extensions.

Replies with numbers or bytes carry them as binary buffers with their byte
``sizes``, or as base64 text (``b64``) when the request asks (``b64: true``)
or the widget's ``transport`` is ``"base64"`` (see :mod:`tsvideo_widget.transport`).
* ``edit``: region edits drawn in the browser, as operations with a per-client
  sequence number. Only operations newer than the last one applied for that
  client are applied (all of a message or none), so the browser may re-send
  pending edits until it hears back (kernel busy, restarted, or gone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

import traitlets as t

from . import regions as reg
from . import transport
from .errors import MediaError, TsvError
from .wire import EDIT_MESSAGE

if TYPE_CHECKING:
    from .widget import TimeSeriesVideo


class DetailRequest(TypedDict):
    """``detail``: window ``lo``..``hi`` in relative seconds, about ``buckets`` columns."""

    lo: float
    hi: float
    buckets: int


class ChunkRequest(TypedDict):
    """``media-chunk``: ``length`` bytes from byte ``offset``."""

    offset: int
    length: int


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
        self._edit_seq: dict[str, int] = {}
        self._region_seq: dict[str, dict[str, int]] = {}

    def handle(self, content: Any, buffers: list[Any]) -> None:
        """Route one message; every request gets exactly one reply."""
        if not isinstance(content, dict) or "type" not in content:
            return
        kind, rid = content.get("type"), content.get("id")
        try:
            if kind in ("detail", "media-chunk"):
                header, bufs = (
                    self.detail(content)  # type: ignore[arg-type]
                    if kind == "detail"
                    else self.media_chunk(content)  # type: ignore[arg-type]
                )
                as_b64 = content.get("b64") is True or self.widget.transport == "base64"
                header, bufs = transport.reply(header, bufs, as_b64)
                self.widget.send({"type": kind, "id": rid, "error": None, **header}, bufs)
            elif kind == "media-index":
                self.widget.send({"type": kind, "id": rid, "error": None, **self.media_index()})
            elif kind == EDIT_MESSAGE:
                self.widget.send(self.edit(content, rid))  # type: ignore[arg-type]
            else:
                self.widget.send({"type": kind, "id": rid, "error": f"unknown request {kind!r}"})
        except Exception as err:  # the browser must hear of every failure, or it waits
            self.widget.send({"type": kind, "id": rid, "error": f"{type(err).__name__}: {err}"})

    def detail(self, req: DetailRequest) -> tuple[dict[str, Any], list[Any]]:
        """Decimated columns of a window: see :meth:`TimeSeriesVideo.detail`."""
        return self.widget.detail(float(req["lo"]), float(req["hi"]), int(req["buckets"]))

    def media_chunk(self, req: ChunkRequest) -> tuple[dict[str, Any], list[bytes]]:
        """Bytes of the media for the kernel-chunk fallback, and the reply header."""
        source = self.widget.media_source
        if source is None:
            raise MediaError("this widget has no media")
        offset, length = int(req["offset"]), int(req["length"])
        chunk = source.read(offset, length)
        return {"offset": offset, "length": len(chunk), "size": source.size}, [chunk]

    def media_index(self) -> dict[str, Any]:
        """``media-index``: where the fragments of a fragmented MP4 are, to stream it."""
        source = self.widget.media_source
        if source is None:
            raise MediaError("this widget has no media")
        index = source.fragments()
        if index is None:
            raise MediaError(f"{source.name} is not a fragmented MP4 this browser can stream")
        return {"index": index.to_json()}

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
