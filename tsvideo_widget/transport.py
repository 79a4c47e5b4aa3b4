"""Packing arrays and replies for the browser.

Numbers travel as binary buffers, never as JSON lists, in one of two layouts.

**Exact** (:func:`pack`: the overview, raw windows, and any request that does
not ask for ``compact``): values keep float64 where the input had it (float32
would round them), small integers travel as themselves (int16 sensor counts at
two bytes a value), the rest as float32. Times are float32 offsets from a
float64 origin ``x0`` (the window's first point): exact far below a pixel for
any window, at half the bytes of float64, while hours of microsecond-stamped
data keep their precision in the origin.

The compact layout of decimated windows is :mod:`tsvideo_widget.compactwire`.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from .decimate import Decimated


def wire_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype a channel travels as.

    Integers of one or two bytes as themselves (exact, and half the bytes of
    float32); float64, and integers float32 would round, as float64; the rest
    as float32.
    """
    if dtype.kind in "iu" and dtype.itemsize <= 2:
        return np.dtype(dtype)
    if dtype == np.float64 or (dtype.kind in "iu" and dtype.itemsize >= 4):
        return np.dtype(np.float64)
    return np.dtype(np.float32)


def buffer(arr: np.ndarray, dtype: np.dtype) -> memoryview:
    """A contiguous little-endian buffer of ``arr`` as ``dtype`` (no copy when it already is)."""
    out = np.ascontiguousarray(arr, dtype=dtype.newbyteorder("<"))
    return memoryview(out.data).cast("B")


def window_header(dec: Decimated, x0: float, dtypes: list[str]) -> dict[str, Any]:
    """The JSON header every window reply starts with: origin, column width, rows covered,
    point count and each channel's wire dtype name."""
    return {
        "x0": x0,
        "bucket": dec.bucket,
        "dt": dec.dt,
        "i0": dec.i0,
        "i1": dec.i1,
        "points": int(dec.x.shape[0]),
        "dtypes": dtypes,
    }


def pack(dec: Decimated, dtypes: list[np.dtype]) -> tuple[dict[str, Any], list[memoryview]]:
    """JSON header and buffers (x first, then one per channel) for a window, exact layout."""
    x0 = float(dec.x[0]) if dec.x.shape[0] else 0.0
    header = window_header(dec, x0, [d.name for d in dtypes])
    buffers = [buffer(dec.x - x0, np.dtype(np.float32))]
    buffers += [buffer(y, d) for y, d in zip(dec.ys, dtypes, strict=True)]
    return header, buffers


# ------------------------------------------------------------------------------- values


TRANSPORTS = ("auto", "binary", "base64")
"""How numbers and media bytes travel to the browser (the widget's ``transport`` trait):

* ``"auto"`` (default): binary buffers; the browser checks every reply against the
  byte ``sizes`` it declares and, when buffers do not arrive intact (a host with
  broken binary messages), asks for base64 text from then on.
* ``"binary"``: binary buffers only; a broken host shows an error instead.
* ``"base64"``: base64 text in the JSON, always (about a third more bytes).
"""


def b64(buf: Any) -> str:
    """The bytes of a buffer as base64 text (str)."""
    return base64.b64encode(memoryview(buf).cast("B")).decode("ascii")


def encode_buffers(value: Any) -> Any:
    """``value`` with every buffer replaced by ``{"__b64__": text}`` (decoded by the browser)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"__b64__": b64(value)}
    if isinstance(value, dict):
        return {k: encode_buffers(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_buffers(v) for v in value]
    return value


def reply(
    header: dict[str, Any], buffers: list[Any], as_base64: bool
) -> tuple[dict[str, Any], list[Any]]:
    """A reply's header and binary buffers: the buffers' byte ``sizes`` travel with them,
    so the browser can tell when they did not arrive intact; or, ``as_base64``, the
    buffers as base64 text in the header's ``b64`` list and no binary buffers."""
    if as_base64:
        return {**header, "b64": [b64(b) for b in buffers]}, []
    return {**header, "sizes": [memoryview(b).nbytes for b in buffers]}, buffers
