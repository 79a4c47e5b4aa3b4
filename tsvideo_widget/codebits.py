"""Value codes of as few bits as the chart needs: a compact reply's channels on a slow link.

A compact reply's int16 codes resolve a 32767th of a channel's range in the
window: a quarter pixel on a chart 32767 pixels tall. A chart is a few hundred
device pixels tall, and on a slow link (10 Mbit/s: 0.8 ms per KB) the other
bits are time. So a request may say how many value levels the chart can show,
``levels`` (the browser sends :data:`~tsvideo_widget.wire.LEVELS_PER_PX` = 8 per
device pixel of the chart's height, js/state.ts), and each channel is then coded
on a power-of-two step no coarser than ``range / levels``:

* the error of a value is at most half a step, so at most ``range / levels``
  (an eighth of a pixel on a chart as tall as the channel's range in the window;
  less where the chart shows a wider range, as a shared axis does);
* values on a binary grid at least as coarse as the step (integers when the step
  is at most 1, multiples of 1/256, ...) come back exactly; ``lo`` always does;
* the codes are ``bits``-bit unsigned numbers packed little-endian, bit ``i`` of
  code ``j`` at bit ``j * bits + i`` of the buffer (numpy's ``packbits`` with
  ``bitorder="little"``); ``2 ** bits - 1`` is NaN. Either each point's step
  count above ``lo`` (``"abs"``: ``n = u``) or its difference from the previous
  point's (``"delta"``: ``n += u - (2 ** (bits - 1) - 1)``, from ``start``),
  whichever takes fewer bits. Neighbouring M4 points of a signal differ by far
  less than its range, so deltas usually save a few bits more.

A channel that needs 16 bits or more this way, an infinity, or a range float64
cannot step through, keeps the int16 (or exact) coding of
:func:`tsvideo_widget.compactwire.encode_values`. js/compact.ts decodes the same
bytes (``decodePacked``); :func:`decode_packed` is the reference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

MAX_PACKED_BITS = 15
"""Widest packed code (bits): a channel that needs more travels as int16 codes."""


def pow2_at_least(x: float) -> float:
    """The smallest power of two >= ``x`` (``x`` > 0; 0.0 when it underflows)."""
    m, e = math.frexp(x)
    return math.ldexp(1.0, e - 1 if m == 0.5 else e)


def pack_bits(codes: np.ndarray, bits: int) -> bytes:
    """``codes`` (non-negative, each below ``2 ** bits``) as ``bits``-bit numbers, little-endian."""
    u = np.asarray(codes, dtype=np.uint32)
    planes = ((u[:, None] >> np.arange(bits, dtype=np.uint32)) & 1).astype(np.uint8)
    return np.packbits(planes.ravel(), bitorder="little").tobytes()


def unpack_bits(raw: bytes | memoryview, bits: int, count: int) -> np.ndarray:
    """The ``count`` codes of ``bits`` bits each that :func:`pack_bits` wrote (uint32)."""
    flat = np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little")
    if flat.shape[0] < bits * count:
        raise ValueError(f"{len(raw)} bytes hold fewer than {count} codes of {bits} bits")
    planes = flat[: bits * count].reshape(count, bits).astype(np.uint32)
    return (planes << np.arange(bits, dtype=np.uint32)).sum(axis=1, dtype=np.uint32)


def packed_size(bits: int, count: int) -> int:
    """Bytes of ``count`` codes of ``bits`` bits (int)."""
    return (bits * count + 7) // 8


def encode_packed(y: np.ndarray, levels: int) -> tuple[bytes, dict[str, Any]] | None:
    """``y``'s points as packed codes on a step no coarser than ``range / levels``.

    Returns ``(buffer, spec)`` with ``spec = {"mode", "ref", "step", "start", "lo",
    "hi", "bits"}`` (``step`` 0.0 for a constant channel; ``lo``/``hi`` None when every
    point is NaN), or None when the channel keeps the int16 coding (module docstring).
    ``levels`` (int >= 2) comes from the browser's request.
    """
    v = np.asarray(y, dtype=np.float64)
    nan = np.isnan(v)
    fin = v[~nan]
    base: dict[str, Any] = {"mode": "abs", "ref": 0.0, "step": 0.0, "start": 0}
    if fin.shape[0] == 0:
        codes = np.ones(v.shape[0], dtype=np.uint32)
        return pack_bits(codes, 1), {**base, "lo": None, "hi": None, "bits": 1}
    if not np.isfinite(fin).all():
        return None
    lo, hi = float(fin.min()), float(fin.max())
    spec: dict[str, Any] = {**base, "ref": lo, "lo": lo, "hi": hi}
    if hi == lo:
        return pack_bits(nan.astype(np.uint32), 1), {**spec, "bits": 1}
    span = hi - lo
    if not math.isfinite(span) or span / levels < 2.0**-1000:
        return None
    step = pow2_at_least(span / levels)
    n = np.rint((fin - lo) / step)
    if not np.isfinite(n).all() or n.max() >= 2.0**31:
        return None
    k = n.astype(np.int64)
    abs_bits = (int(k.max()) + 1).bit_length()
    d = np.diff(k, prepend=k[0])
    delta_bits = int(np.abs(d).max()).bit_length() + 1
    bits = min(abs_bits, delta_bits)
    if bits > MAX_PACKED_BITS:
        return None
    codes = np.full(v.shape[0], (1 << bits) - 1, dtype=np.int64)
    if abs_bits <= delta_bits:
        codes[~nan] = k
        return pack_bits(codes, bits), {**spec, "step": step, "bits": bits}
    codes[~nan] = d + (1 << (bits - 1)) - 1
    return pack_bits(codes, bits), {
        **spec,
        "mode": "delta",
        "step": step,
        "start": int(k[0]),
        "bits": bits,
    }


def decode_packed(raw: bytes | memoryview, spec: dict[str, Any], count: int) -> np.ndarray:
    """Float64 values of ``count`` packed codes under ``spec`` (:func:`encode_packed`)."""
    bits = int(spec["bits"])
    u = unpack_bits(raw, bits, count).astype(np.int64)
    nan = u == (1 << bits) - 1
    if spec["mode"] == "delta":
        d = np.where(nan, 0, u - ((1 << (bits - 1)) - 1))
        n = spec["start"] + np.cumsum(d)
    else:
        n = u
    out = spec["ref"] + n.astype(np.float64) * spec["step"]
    out[nan] = np.nan
    return out
