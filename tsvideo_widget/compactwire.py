"""The compact layout of decimated windows (``"m4q"``), and decoding either layout.

**Compact** (:func:`pack_compact`, layout ``"m4q"``: decimated windows the
browser asks for). A pixel needs neither 24 bits of value nor a float per time:

* times: the points of a column sit at its first or last sample's time, so per
  non-empty column two bytes say where those are inside the column (``q`` of
  ``FRAC_LEVELS`` = 256, drawn at ``(k + (q + 0.5) / 256) * dt``: within
  ``dt / 512`` of the sample, and always inside the column ``[k*dt, (k+1)*dt)``,
  which is what a pixel-exact line needs); empty columns cost one bit (none when
  every column holds samples). Where the window is evenly sampled (the kernel
  checks that the browser's arithmetic finds every column's first and last
  sample) no time is sent at all: ``t0 + j * period``. A gappy column's three
  NaN slots are one bit. The few raw samples beyond the window keep their
  float32 offsets.
* values: a float (or wide integer) channel as int16 codes on a power-of-two
  ``step`` above the window's minimum ``lo`` (``lo + n * step``), either each
  point's code (``"abs"``: ``n = c + 32767``) or, when that allows a finer step,
  the difference from the previous point's code (``"delta"``); ``-32768`` is NaN.
  The step is the finest power of two for which the codes fit, so the error is
  at most ``step / 2`` (plus float64 rounding), and never more than
  ``(hi - lo) / 65534``: a 32767th of the channel's range in the window, under a
  quarter pixel on any chart under 32767 pixels tall. Values on a binary grid at
  least as coarse as the step (integers, multiples of 1/256, ...) come back
  exactly; ``lo`` always does. 8- and 16-bit integers travel as themselves, and
  a channel with an infinity in the window travels exact, as before.
* fewer bits on request: a request's ``levels`` (the value levels its chart can
  show; a slow link's requests send 8 per device pixel of height) packs each
  channel's codes in as few bits as a step of ``range / levels`` needs
  (:mod:`tsvideo_widget.codebits`; ``codes[i]["bits"]``, the buffer's dtype ``uint8``).

Raw windows stay exact (raw samples are what the user zoomed in to read), unless
the request names ``levels`` (a slow link): then :mod:`tsvideo_widget.rawcompact`
packs them (implicit even times, packed values). :func:`unpack` decodes every
layout as the browser does (``js/compact.ts``, ``js/decode.ts``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .codebits import decode_packed, encode_packed, pow2_at_least
from .decimate import Decimated
from .rawcompact import pack_raw, unpack_raw
from .transport import buffer, pack, window_header
from .wire import CODE_SPAN, COMPACT_LAYOUT, FRAC_LEVELS, NAN_CODE, RAW_LAYOUT

HALF = CODE_SPAN // 2
"""Offset of absolute codes: code ``c`` means ``n = c + HALF`` steps above ``lo`` (32767)."""

EVEN_TOLERANCE = 1.0 / 65536
"""Implicit (evenly spaced) times must be within this fraction of a column of the samples'."""


class _Series(Protocol):
    """What the compact packer reads of a series: the column cut and the samples' times."""

    @property
    def span(self) -> float: ...

    def rel_at(self, idx: Any) -> Any: ...

    def indices_at_rel(self, rel: Any) -> np.ndarray: ...


def _steps(fin: np.ndarray, lo: float, step: float, limit: int, delta: bool) -> np.ndarray | None:
    """Codes ``n`` (int64) of ``fin`` on ``step`` above ``lo``, or None when they do not fit
    (``delta``: consecutive codes differ by at most ``limit``; else all are at most ``limit``)."""
    n = np.rint((fin - lo) / step)
    if not np.isfinite(n).all() or n.max() >= 2.0**52:
        return None
    k = n.astype(np.int64)
    worst = int(np.abs(np.diff(k)).max()) if delta and k.shape[0] > 1 else int(k.max())
    return k if worst <= limit else None


def encode_values(y: np.ndarray) -> tuple[np.ndarray, dict[str, Any]] | None:
    """int16 codes of one channel's points and their decoding (see the module's docstring).

    Returns ``(codes, spec)`` with ``spec = {"mode", "ref", "step", "start", "lo", "hi"}``
    (``step`` 0.0 for a constant channel; ``lo``/``hi`` None when every point is NaN),
    or None when the channel must travel exact (an infinity, or a range float64
    cannot step through).
    """
    v = np.asarray(y, dtype=np.float64)
    nan = np.isnan(v)
    fin = v[~nan]
    codes = np.full(v.shape[0], NAN_CODE, dtype=np.int16)
    if fin.shape[0] == 0:
        return codes, {"mode": "abs", "ref": 0.0, "step": 0.0, "start": 0, "lo": None, "hi": None}
    if not np.isfinite(fin).all():
        return None
    lo, hi = float(fin.min()), float(fin.max())
    spec: dict[str, Any] = {"mode": "abs", "ref": lo, "step": 0.0, "start": 0, "lo": lo, "hi": hi}
    if hi == lo:
        codes[~nan] = -HALF
        return codes, spec
    span = hi - lo
    if not math.isfinite(span) or span / CODE_SPAN < 2.0**-1000:
        return None
    step = pow2_at_least(span / CODE_SPAN)
    n = _steps(fin, lo, step, CODE_SPAN, delta=False)
    while n is None:  # (v - lo) rounded up past the last code: one step coarser
        step *= 2
        n = _steps(fin, lo, step, CODE_SPAN, delta=False)
    # Differences between neighbouring points are usually far below the range: coding
    # them allows a finer step (exact on finer grids), in the same two bytes.
    jump = float(np.abs(np.diff(fin)).max())
    dstep = pow2_at_least(jump / (HALF - 1)) if jump > 0 else 0.0
    while 2.0**-1000 < dstep < step:
        dn = _steps(fin, lo, dstep, HALF, delta=True)
        if dn is not None:
            codes[~nan] = np.diff(dn, prepend=dn[0])
            return codes, {**spec, "mode": "delta", "step": dstep, "start": int(dn[0])}
        dstep *= 2
    codes[~nan] = n - HALF
    return codes, {**spec, "step": step}


def decode_values(codes: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """Float64 values of int16 ``codes`` under ``spec`` (:func:`encode_values`), NaN at NAN_CODE."""
    c = np.asarray(codes, dtype=np.int64)
    nan = c == NAN_CODE
    delta = spec["mode"] == "delta"
    n = spec["start"] + np.cumsum(np.where(nan, 0, c)) if delta else c + HALF
    out = spec["ref"] + n.astype(np.float64) * spec["step"]
    out[nan] = np.nan
    return out


# -------------------------------------------------------------------------------- times


@dataclass(frozen=True)
class _Cols:
    """The decimated window's structure: outer rows, then per non-empty column 4 or 7 points."""

    nb: int  # raw points before the columns
    na: int  # raw points after them
    k: np.ndarray  # global index of each non-empty column
    first: np.ndarray  # its first row
    last: np.ndarray  # its last row
    gappy: np.ndarray  # bool: 7 points (a channel meets NaN there), else 4
    starts: np.ndarray  # first row of every column k[0] .. k[-1] (empty ones too)
    stops: np.ndarray


def _structure(dec: Decimated, series: _Series, lo: float, hi: float) -> _Cols | None:
    """Recover the columns :func:`~tsvideo_widget.decimate.decimate` cut (the same edges,
    the same rows) and which of its points belong to which; None unless ``dec.x`` is
    exactly those points (then the reply goes exact)."""
    lo, hi = max(lo, 0.0), min(hi, series.span)
    dt, x = dec.dt, dec.x
    k0 = math.floor(lo / dt)
    k1 = max(k0 + 1, math.ceil(hi / dt))
    rows = np.asarray(series.indices_at_rel(np.arange(k0, k1 + 1, dtype=np.float64) * dt))
    starts, stops = rows[:-1], rows[1:]
    keep = np.flatnonzero(stops > starts)
    if keep.shape[0] == 0:
        return None
    first, last = starts[keep], stops[keep] - 1
    tf = np.asarray(series.rel_at(first), dtype=np.float64)
    tl = np.asarray(series.rel_at(last), dtype=np.float64)
    # A plain column is [f, f, l, l]; one where a channel meets NaN [f, f, f, l, l, l, l].
    count_f = np.searchsorted(x, tf, "right") - np.searchsorted(x, tf, "left")
    gappy = np.where(tf == tl, count_f == 7, count_f == 3)
    per = np.where(gappy, 7, 4)
    nb = int(np.searchsorted(x, tf[0], "left"))
    body = int(per.sum())
    na = x.shape[0] - nb - body
    if na < 0:
        return None
    pair = np.empty(2 * keep.shape[0])
    pair[0::2], pair[1::2] = tf, tl
    reps = np.empty(2 * keep.shape[0], dtype=np.int64)
    reps[0::2], reps[1::2] = np.where(gappy, 3, 2), np.where(gappy, 4, 2)
    if not np.array_equal(x[nb : nb + body], np.repeat(pair, reps)):
        return None
    # And the NaN agrees: plain columns have none, gappy ones some.
    nanpt = np.zeros(body, dtype=bool)
    for y in dec.ys:
        if y.dtype.kind == "f":
            nanpt |= np.isnan(y[nb : nb + body])
    col_nan = np.add.reduceat(nanpt, np.r_[0, np.cumsum(per)[:-1]]) > 0
    if not np.array_equal(col_nan, gappy):
        return None
    a, b = int(keep[0]), int(keep[-1]) + 1
    return _Cols(nb, na, k0 + keep, first, last, gappy, starts[a:b], stops[a:b])


def _even_rows(edges: np.ndarray, t0: float, period: float, rows: int) -> np.ndarray:
    """The first row (counted from the row at ``t0``, within ``0 .. rows``) at or after each
    edge, for rows at ``t0 + j * period``: the browser computes exactly this
    (js/compact.ts ``evenRows``)."""
    a = np.ceil((edges - t0) / period)
    down = t0 + (a - 1) * period >= edges
    a = np.where(down, a - 1, a)
    up = ~down & (t0 + a * period < edges)
    return np.clip(np.where(up, a + 1, a), 0, rows)


def _even(cols: _Cols, dt: float, series: _Series) -> dict[str, float] | None:
    """``{"t0", "period", "rows"}`` when the browser's arithmetic finds every column's first and
    last row and puts their times inside the column, within EVEN_TOLERANCE columns of
    the samples' own times; else None."""
    r0, r1 = int(cols.first[0]), int(cols.last[-1])
    if r1 <= r0:
        return None
    t0 = float(series.rel_at(r0))
    period = (float(series.rel_at(r1)) - t0) / (r1 - r0)
    if not (math.isfinite(period) and period > 0):
        return None
    kk = np.arange(int(cols.k[0]), int(cols.k[-1]) + 2, dtype=np.float64)
    edges = kk * dt
    a = _even_rows(edges, t0, period, r1 - r0 + 1)
    if not (np.array_equal(a[:-1], cols.starts - r0) and np.array_equal(a[1:], cols.stops - r0)):
        return None
    col = (cols.k - cols.k[0]).astype(np.int64)
    tf = t0 + (cols.first - r0).astype(np.float64) * period
    tl = t0 + (cols.last - r0).astype(np.float64) * period
    tol = dt * EVEN_TOLERANCE
    true_f = np.asarray(series.rel_at(cols.first), dtype=np.float64)
    true_l = np.asarray(series.rel_at(cols.last), dtype=np.float64)
    inside = (tf >= edges[col]) & (tl < edges[col + 1])
    close = (np.abs(tf - true_f) <= tol) & (np.abs(tl - true_l) <= tol)
    ok = bool(inside.all() and close.all())
    return {"t0": t0, "period": period, "rows": r1 - r0 + 1} if ok else None


def _fractions(t: np.ndarray, k: np.ndarray, dt: float) -> np.ndarray:
    """Where times ``t`` lie in their columns ``k``: uint8 of FRAC_LEVELS, clipped inside."""
    q = np.floor((t - k.astype(np.float64) * dt) / dt * FRAC_LEVELS)
    return np.clip(q, 0, FRAC_LEVELS - 1).astype(np.uint8)


def _bits(flags: np.ndarray) -> bytes:
    return np.packbits(flags, bitorder="little").tobytes()


def pack_compact(
    dec: Decimated,
    dtypes: list[np.dtype],
    series: _Series,
    lo: float,
    hi: float,
    levels: int | None = None,
) -> tuple[dict[str, Any], list[memoryview]]:
    """JSON header and buffers of a window in the compact layout (module docstring).

    ``dec`` is ``decimate(series, ..., lo, hi, count)``; raw windows, and any whose
    columns cannot be recovered, go in the exact layout (:func:`pack`), or raw ones, when
    ``levels`` is given, packed (:func:`tsvideo_widget.rawcompact.pack_raw`). Buffer 0:
    the outer points' float32 offsets from ``x0``, then (``times == "frac"``) a bit
    per column ``k0 .. k0 + ncols - 1`` (1: holds samples; left out when ``dense``),
    a bit per non-empty column (1: seven points; left out when ``gappy`` is 0), and
    one byte per non-empty column for the first sample's place, one for the last's;
    (``times == "even"``) the gappy bits only. Then one buffer per channel: int16
    codes (``codes[i]`` says how to decode them), packed codes of ``codes[i]["bits"]``
    bits when ``levels`` (int >= 2, or None: int16 codes) is given and the channel
    fits (:func:`tsvideo_widget.codebits.encode_packed`), or the exact wire dtype
    (``codes[i]`` None).
    """
    if not (dec.dt > 0 and dec.bucket > 1 and dec.x.shape[0]):
        # Raw samples: exact, unless a slow link named its chart's levels (rawcompact.py).
        return pack(dec, dtypes) if levels is None else pack_raw(dec, dtypes, levels)
    cols = _structure(dec, series, lo, hi)
    if cols is None:
        return pack(dec, dtypes)
    x0 = float(dec.x[0])
    m = int(cols.k.shape[0])
    ncols = int(cols.k[-1] - cols.k[0]) + 1
    end = dec.x.shape[0] - cols.na
    outer = np.r_[dec.x[: cols.nb], dec.x[end:]] - x0
    parts = [np.ascontiguousarray(outer, dtype="<f4").tobytes()]
    even = _even(cols, dec.dt, series)
    dense = m == ncols
    if even is None and not dense:
        present = np.zeros(ncols, dtype=bool)
        present[cols.k - cols.k[0]] = True
        parts.append(_bits(present))
    n_gappy = int(cols.gappy.sum())
    if n_gappy:
        parts.append(_bits(cols.gappy))
    if even is None:
        parts.append(_fractions(np.asarray(series.rel_at(cols.first)), cols.k, dec.dt).tobytes())
        parts.append(_fractions(np.asarray(series.rel_at(cols.last)), cols.k, dec.dt).tobytes())
    buffers = [memoryview(b"".join(parts))]
    specs: list[dict[str, Any] | None] = []
    names = []
    for y, d in zip(dec.ys, dtypes, strict=True):
        packed = encode_packed(y, levels) if levels is not None else None
        if packed is not None:
            buffers.append(memoryview(packed[0]))
            specs.append(packed[1])
            names.append("uint8")
            continue
        coded = None if d.kind in "iu" and d.itemsize <= 2 else encode_values(y)
        if coded is None:
            buffers.append(buffer(y, d))
            specs.append(None)
            names.append(d.name)
        else:
            buffers.append(buffer(coded[0], np.dtype(np.int16)))
            specs.append(coded[1])
            names.append("int16")
    header: dict[str, Any] = {
        **window_header(dec, x0, names),
        "layout": COMPACT_LAYOUT,
        "outer": [cols.nb, cols.na],
        "k0": int(cols.k[0]),
        "ncols": ncols,
        "m": m,
        "gappy": n_gappy,
        "dense": dense,
        "times": "frac" if even is None else "even",
        "codes": specs,
    }
    if even is not None:
        header["even"] = even
    return header, buffers


def unpack(header: dict[str, Any], buffers: list[Any]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Times (float64 relative seconds) and one float64 array per channel of a reply, in
    either layout, as the browser decodes it (the reference for the tests)."""
    if header.get("layout") == RAW_LAYOUT:
        return unpack_raw(header, buffers)
    if header.get("layout") != COMPACT_LAYOUT:
        x = header["x0"] + np.frombuffer(buffers[0], dtype="<f4").astype(np.float64)
        ys = [
            np.frombuffer(b, dtype=np.dtype(d).newbyteorder("<")).astype(np.float64)
            for b, d in zip(buffers[1:], header["dtypes"], strict=True)
        ]
        return x, ys
    raw = bytes(memoryview(buffers[0]).cast("B"))
    nb, na = header["outer"]
    m, ncols, dt, k0 = header["m"], header["ncols"], header["dt"], header["k0"]
    outer = header["x0"] + np.frombuffer(raw[: 4 * (nb + na)], dtype="<f4").astype(np.float64)
    p = 4 * (nb + na)

    def bits(count: int) -> np.ndarray:
        nonlocal p
        size = (count + 7) // 8
        flags = np.unpackbits(np.frombuffer(raw[p : p + size], np.uint8), bitorder="little")
        p += size
        return flags[:count].astype(bool)

    if header["times"] == "even":
        t0, period, rows = (header["even"][k] for k in ("t0", "period", "rows"))
        a = _even_rows(np.arange(k0, k0 + ncols + 1, dtype=np.float64) * dt, t0, period, rows)
        full = a[1:] > a[:-1]
        tf, tl = t0 + a[:-1][full] * period, t0 + (a[1:][full] - 1) * period
        gappy = bits(m) if header["gappy"] else np.zeros(m, dtype=bool)
    else:
        present = np.ones(ncols, dtype=bool) if header["dense"] else bits(ncols)
        gappy = bits(m) if header["gappy"] else np.zeros(m, dtype=bool)
        ks = (k0 + np.flatnonzero(present)).astype(np.float64)
        qf = np.frombuffer(raw[p : p + m], np.uint8).astype(np.float64)
        ql = np.frombuffer(raw[p + m : p + 2 * m], np.uint8).astype(np.float64)
        tf = (ks + (qf + 0.5) / FRAC_LEVELS) * dt
        tl = (ks + (ql + 0.5) / FRAC_LEVELS) * dt
    pair = np.empty(2 * m)
    pair[0::2], pair[1::2] = tf, tl
    reps = np.empty(2 * m, dtype=np.int64)
    reps[0::2], reps[1::2] = np.where(gappy, 3, 2), np.where(gappy, 4, 2)
    x = np.r_[outer[:nb], np.repeat(pair, reps), outer[nb:]]
    ys = []
    for b, d, spec in zip(buffers[1:], header["dtypes"], header["codes"], strict=True):
        if spec is not None and "bits" in spec:
            ys.append(decode_packed(b, spec, header["points"]))
            continue
        arr = np.frombuffer(b, dtype=np.dtype(d).newbyteorder("<"))
        ys.append(arr.astype(np.float64) if spec is None else decode_values(arr, spec))
    return x, ys
