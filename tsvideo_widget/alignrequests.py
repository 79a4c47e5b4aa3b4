"""The alignment panel's requests: fit, apply, undo, suggest, and the check view's feature.

Each request is ``{type, id, ...}`` and gets exactly one reply with the same
``type`` and ``id`` and an ``error`` (None on success); the type names come
from ``wire.json`` (``align``):

* ``fit`` ``{track, model}`` -> ``{fit}``: :meth:`TimeSeriesVideo.fit_alignment`'s
  result as :meth:`~tsvideo_widget.alignfit.AlignmentFit.to_json`;
* ``apply`` ``{track, offset, rate, knots}`` -> ``{}``: the traits carry the change;
* ``undo`` ``{track}`` -> ``{}``;
* ``suggest`` ``{track, channel, method, search}`` -> ``{candidates, low_confidence}``;
* ``feature`` ``{track, method}`` -> ``{t0, dt, points, method}`` and one float32
  buffer: the media's audio onset envelope or motion energy in media seconds.

``suggest`` and ``feature`` decode the media, which takes seconds to a
minute: they run in a worker thread and reply when done, so the kernel keeps
answering the browser meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import transport
from .errors import AlignmentError
from .wire import SPEC

if TYPE_CHECKING:
    from .widget import TimeSeriesVideo

TYPES: dict[str, str] = {
    k: str(SPEC["align"][k]) for k in ("fit", "apply", "undo", "suggest", "feature")
}
"""Request type by job (dict str -> str), from ``wire.json``."""


class AlignRequests:
    """Answers one widget's alignment requests.

    Args:
        widget: the widget whose tracks and sync points the answers come from.
    """

    def __init__(self, widget: TimeSeriesVideo) -> None:
        self.widget = widget
        self._jobs = {v: k for k, v in TYPES.items()}

    def handles(self, kind: Any) -> bool:
        """Whether ``kind`` is an alignment request type."""
        return kind in self._jobs

    def handle(self, content: dict[str, Any], rid: Any) -> None:
        """Answer one request (an exception is answered by the caller as an error)."""
        kind = content["type"]
        job = self._jobs[kind]
        w = self.widget
        track = content.get("track")
        if track is not None and not isinstance(track, str):
            raise AlignmentError(f"track must be a name (str), got {track!r:.40}")
        if job == "fit":
            fit = w.fit_alignment(track, str(content.get("model", "auto")))
            w.send({"type": kind, "id": rid, "error": None, "fit": fit.to_json()})
        elif job == "apply":
            offset: Any = content.get("offset")
            w.apply_alignment(offset, content.get("rate"), track, content.get("knots"))
            w.send({"type": kind, "id": rid, "error": None})
        elif job == "undo":
            w.undo_alignment(track)
            w.send({"type": kind, "id": rid, "error": None})
        elif job == "suggest":
            self._in_thread(kind, rid, lambda: self._suggest(content))
        else:
            as_b64 = content.get("b64") is True or w.transport == "base64"
            self._in_thread(kind, rid, lambda: self._feature(content, as_b64))

    def _in_thread(
        self, kind: str, rid: Any, job: Callable[[], tuple[dict[str, Any], list[Any]]]
    ) -> None:
        w = self.widget

        def run() -> None:
            try:
                header, bufs = job()
                w.send({"type": kind, "id": rid, "error": None, **header}, bufs)
            except Exception as err:  # the browser must hear of every failure
                w.send({"type": kind, "id": rid, "error": f"{type(err).__name__}: {err}"})

        threading.Thread(target=run, name=f"tsvideo-{kind}", daemon=True).start()

    def _suggest(self, content: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        from .suggest import LOW_CONFIDENCE

        search = content.get("search", (-60.0, 60.0))
        sug = self.widget.suggest_alignment(
            content.get("track"),
            content.get("channel"),
            str(content.get("method", "auto")),
            tuple(search) if isinstance(search, list) else search,
            progress=False,
        )
        rows = [
            {"offset": r.offset, "rate": r.rate, "confidence": r.confidence, "method": r.method}
            for r in sug.itertuples(index=False)
        ]
        return {"candidates": rows, "low_confidence": LOW_CONFIDENCE}, []

    def _feature(self, content: dict[str, Any], as_b64: bool) -> tuple[dict[str, Any], list[Any]]:
        from .featurecache import media_feature

        w = self.widget
        track = w._track(content.get("track"))
        if track is None:
            raise AlignmentError("this widget has no media")
        method = content.get("method") or ("audio" if track.kind == "audio" else "motion")
        if method not in ("audio", "motion"):
            raise AlignmentError(f"feature method must be 'audio' or 'motion', got {method!r}")
        feat = media_feature(track.source, method)
        values = np.asarray(feat.values, dtype=np.float32)
        header = {"t0": feat.t0, "dt": feat.dt, "points": int(values.size), "method": method}
        return transport.reply(header, [values], as_b64)
