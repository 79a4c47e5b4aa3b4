"""Raw windows on a slow link (layout ``"rawq"``): implicit times, values in the bits needed.

A window the user zoomed into far enough holds fewer than four samples per
column, and travels raw: every sample, its time as a float32 offset and its
value in its wire dtype (:func:`tsvideo_widget.transport.pack`). Eight float32
channels of 5000 samples are 180 KB: 144 ms on a 10 Mbit/s link. When the
request names the chart's ``levels`` (a slow link's requests do, js/state.ts),
a raw window is packed instead:

* times: none where the samples are evenly spaced (every time within
  :data:`EVEN_TOLERANCE` of a period of ``x0 + j * period``, which the browser
  computes the same way); else float32 offsets from ``x0``, as before;
* values: each channel's codes in the bits a step of at most ``range / levels``
  needs (:func:`tsvideo_widget.codebits.encode_packed`; absolute or delta codes,
  NaN kept), so a value is off by at most an eighth of a pixel of a chart as tall
  as the channel's range; a channel that cannot be packed travels exact.

Without ``levels`` (a fast link, a static page, the tests of pixel-exact
drawing) raw windows stay exact. js/decode.ts decodes this layout
(``decodeRawPacked``); :func:`unpack_raw` is the reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .codebits import decode_packed, encode_packed
from .decimate import Decimated
from .transport import buffer, window_header
from .wire import RAW_LAYOUT

__all__ = ["EVEN_TOLERANCE", "pack_raw", "unpack_raw"]

EVEN_TOLERANCE = 1.0 / 65536
"""Implicit times must be within this fraction of a period of the samples' own (float)."""


def _period(x: np.ndarray) -> float | None:
    """The period of evenly spaced times ``x`` (see the module's docstring), or None."""
    n = x.shape[0]
    if n < 2:
        return None
    period = (float(x[-1]) - float(x[0])) / (n - 1)
    if not period > 0:
        return None
    implicit = float(x[0]) + np.arange(n, dtype=np.float64) * period
    return period if float(np.abs(implicit - x).max()) <= period * EVEN_TOLERANCE else None


def pack_raw(
    dec: Decimated, dtypes: list[np.dtype], levels: int
) -> tuple[dict[str, Any], list[memoryview]]:
    """JSON header and buffers of raw window ``dec`` in the ``"rawq"`` layout.

    Buffer 0: the times as float32 offsets from ``x0``, or nothing when ``period`` (in
    the header) is set; then one buffer per channel: packed codes (``codes[i]`` says how
    to decode them) or the exact wire dtype (``codes[i]`` None).
    """
    x0 = float(dec.x[0]) if dec.x.shape[0] else 0.0
    period = _period(dec.x)
    buffers = [memoryview(b"") if period is not None else buffer(dec.x - x0, np.dtype("<f4"))]
    specs: list[dict[str, Any] | None] = []
    names = []
    for y, d in zip(dec.ys, dtypes, strict=True):
        packed = encode_packed(y, levels)
        if packed is None:
            buffers.append(buffer(y, d))
            specs.append(None)
            names.append(d.name)
        else:
            buffers.append(memoryview(packed[0]))
            specs.append(packed[1])
            names.append("uint8")
    header = {
        **window_header(dec, x0, names),
        "layout": RAW_LAYOUT,
        "period": period,
        "codes": specs,
    }
    return header, buffers


def unpack_raw(header: dict[str, Any], buffers: list[Any]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Times (float64 relative seconds) and one float64 array per channel of a ``"rawq"``
    reply, as the browser decodes it."""
    n, x0, period = header["points"], header["x0"], header["period"]
    if period is not None:
        x = x0 + np.arange(n, dtype=np.float64) * period
    else:
        x = x0 + np.frombuffer(buffers[0], dtype="<f4").astype(np.float64)
    ys = []
    for b, d, spec in zip(buffers[1:], header["dtypes"], header["codes"], strict=True):
        if spec is None:
            ys.append(np.frombuffer(b, dtype=np.dtype(d).newbyteorder("<")).astype(np.float64))
        else:
            ys.append(decode_packed(b, spec, n))
    return x, ys
