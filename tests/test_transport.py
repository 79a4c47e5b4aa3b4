"""Buffers or base64 text: replies declare their byte sizes, and hosts that break binary
buffers get the same bytes as text (asked per request, or always with transport='base64')."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import traitlets

import tsvideo_widget as tv
from tsvideo_widget.transport import encode_buffers, reply


def ask(w: tv.TimeSeriesVideo, msg: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    got: list[tuple[dict[str, Any], list[Any]]] = []
    w.send = lambda content, buffers=None: got.append((content, list(buffers or [])))  # type: ignore[method-assign]
    w._protocol.handle(msg, [])
    return got[-1]


@pytest.fixture
def w() -> tv.TimeSeriesVideo:
    s = tv.sample()
    return tv.TimeSeriesVideo(s.data, media=s.video)


def test_binary_replies_declare_their_byte_sizes(w: tv.TimeSeriesVideo) -> None:
    msg, bufs = ask(w, {"type": "detail", "id": 1, "lo": 0.0, "hi": 5.0, "buckets": 100})
    assert msg["error"] is None and "b64" not in msg
    assert msg["sizes"] == [memoryview(b).nbytes for b in bufs] and len(bufs) == 1 + 4
    msg, bufs = ask(w, {"type": "media-chunk", "id": 2, "offset": 10, "length": 100})
    assert msg["sizes"] == [100] and bytes(bufs[0]) == Path(tv.sample().video).read_bytes()[10:110]


def test_a_request_that_asks_gets_the_same_bytes_as_base64_text(w: tv.TimeSeriesVideo) -> None:
    req = {"type": "detail", "id": 1, "lo": 1.0, "hi": 4.0, "buckets": 50}
    msg, bufs = ask(w, req)
    text, none = ask(w, {**req, "b64": True})
    assert none == [] and "sizes" not in text
    assert [base64.b64decode(t) for t in text["b64"]] == [bytes(b) for b in bufs]
    # Everything but the buffers' form and the kernel's own time (it varies per reply).
    assert {k: v for k, v in text.items() if k not in ("b64", "kernel_ms")} == {
        k: v for k, v in msg.items() if k not in ("sizes", "kernel_ms")
    }
    chunk, none = ask(w, {"type": "media-chunk", "id": 3, "offset": 0, "length": 64, "b64": True})
    assert (
        none == []
        and base64.b64decode(chunk["b64"][0]) == Path(w.media_source.path).read_bytes()[:64]
    )  # type: ignore[union-attr, arg-type]


def test_transport_base64_sends_the_overview_and_every_reply_as_text(w: tv.TimeSeriesVideo) -> None:
    binary = w._overview
    assert isinstance(binary["x"], memoryview)
    w.transport = "base64"
    ov = w._overview
    assert base64.b64decode(ov["x"]["__b64__"]) == bytes(binary["x"])
    assert [base64.b64decode(y["__b64__"]) for y in ov["ys"]] == [bytes(y) for y in binary["ys"]]
    msg, bufs = ask(w, {"type": "detail", "id": 1, "lo": 0.0, "hi": 5.0, "buckets": 100})
    assert bufs == [] and len(msg["b64"]) == 5
    w.transport = "auto"
    assert isinstance(w._overview["x"], memoryview)
    s = tv.sample()
    w2 = tv.TimeSeriesVideo(s.data, transport="base64")
    assert "__b64__" in w2._overview["x"]
    # A data change keeps the chosen transport.
    w2.channels = ["ax"]
    assert "__b64__" in w2._overview["x"] and len(w2._overview["ys"]) == 1


def test_an_unknown_transport_is_refused_and_changes_nothing(w: tv.TimeSeriesVideo) -> None:
    before = w._overview
    with pytest.raises(traitlets.TraitError):
        w.transport = "carrier-pigeon"
    assert w.transport == "auto" and w._overview is before


def test_encode_buffers_and_reply_helpers() -> None:
    assert encode_buffers({"a": [b"\x00\x01", 3], "b": memoryview(b"z")}) == {
        "a": [{"__b64__": "AAE="}, 3],
        "b": {"__b64__": "eg=="},
    }
    assert reply({"x": 1}, [b"abc"], False) == ({"x": 1, "sizes": [3]}, [b"abc"])
    assert reply({"x": 1}, [b"abc"], True) == ({"x": 1, "b64": ["YWJj"]}, [])
