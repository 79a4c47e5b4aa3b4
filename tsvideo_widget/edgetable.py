"""The samples at every column edge of the wide column widths, for channels read a chunk at a time.

An M4 column sends its first and last values: the samples at its edges. For a
file those are two reads; for a compressed chunked store (Zarr, a dask array)
each is a decoded chunk, and a zoomed-out window has an edge in every chunk it
spans. Measured on 1e10 int16 samples in a Zarr store of 1e6-sample chunks: a
window over a tenth of the span decoded 6 GB and took 10 s.

But columns are global and their widths few: column ``k`` of width ``dt`` is
``[k dt, (k+1) dt)`` and ``dt`` is a rung of the ladder ``2 ** (m / LADDER)``
(:func:`tsvideo_widget.decimate.column_width`). So for every rung whose columns
hold at least ``min_samples`` samples, an :class:`EdgeTable` keeps, per column
edge ``k`` at row ``r_k`` (computed exactly as a window computes it,
``series.indices_at_rel(k * dt)``): the sample there (the first of column ``k``)
and the one before it (the last of column ``k - 1``), and what the pyramid
cannot give of the columns' extremes: the minimum and maximum (and, for floats,
whether a NaN is among them) of the samples from ``r_k`` to the next multiple of
the pyramid's block ``base`` (column ``k``'s ragged head) and from the multiple
before it to ``r_k`` (column ``k - 1``'s ragged tail;
:class:`~tsvideo_widget.rangeplan.RangePlan` reads those from the raw samples).
A window at such a width then reads nothing raw for its columns; a narrower window spans at
most ``1000 * min_samples`` samples, a few chunks. Windows are byte for byte
what they were (the table holds the very samples they would have read).

``min_samples`` is the largest of a 128th of a chunk, ``4 * BASE`` samples, and
what keeps the table under :data:`MAX_TABLE_VALUES` values (the rungs' edges sum
to about ``6.3 n / min_samples``, six values each; for 1e10 samples in chunks of
1e6: 4.8e7 values, 97 MB of int16 on disk, mapped). It is built in one pass
over the chunks, a batch of chunks at a time (bounded memory), and stored as
``.npy`` files (one per rung and kind) in a folder of the channel's pyramid
entry, read back mapped.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .decimate import ladder_width
from .pyramid import BASE
from .rangeplan import fills
from .wire import COLUMN_LADDER

__all__ = ["KINDS", "MAX_TABLE_VALUES", "EdgeTable", "Ends", "edge_table"]

MAX_TABLE_VALUES = 1 << 26
"""Most values (int) an edge table holds, every kind and every rung together."""

KINDS = ("first", "last", "hmin", "hmax", "tmin", "tmax")
"""What an edge table holds per edge (and ``hnan``, ``tnan`` for a float channel)."""

PER_EDGE = len(KINDS)

BATCH_BYTES = 32 << 20
"""Decoded bytes (int) of the chunks read at a time while building."""

FORMAT = 2
"""Version of the stored layout (int)."""


@dataclass(frozen=True)
class Ends:
    """What a window's columns ``k0 .. k0 + count - 1`` need of their raw samples.

    Attributes:
        first: the sample at each column's first row.
        last: the sample at each column's last row.
        ragged: minima and maxima of the columns' ragged head and tail, interleaved
            (``[head 0, tail 0, head 1, ...]``): the raw stage of a
            :class:`~tsvideo_widget.rangeplan.RangePlan` of the columns.
        ragged_nan: whether those hold a NaN (interleaved alike), or None (no floats).
    """

    first: np.ndarray
    last: np.ndarray
    ragged: tuple[np.ndarray, np.ndarray]
    ragged_nan: np.ndarray | None


class EdgeTable:
    """Per rung ``m`` and kind (:data:`KINDS`, ``hnan``, ``tnan``) an array over the rung's
    column edges ``k = 0 .. K`` (see the module's docstring); ``base`` is the block of
    the pyramid the ragged ends are cut at."""

    def __init__(self, arrays: dict[int, dict[str, np.ndarray]], base: int) -> None:
        self.arrays = arrays
        self.base = base

    def ends(self, dt: float, k0: int, starts: np.ndarray, stops: np.ndarray) -> Ends | None:
        """What columns ``k0 ..`` of width ``dt`` with rows ``starts[j]:stops[j]`` need, or None
        when the table does not hold them (another width, columns beyond the span, or a
        column too short for its head and tail to be the table's)."""
        m = round(math.log2(dt) * COLUMN_LADDER) if dt > 0 else None
        if m is None or m not in self.arrays or ladder_width(m) != dt or k0 < 0:
            return None
        t, count, b = self.arrays[m], int(starts.shape[0]), self.base
        if k0 + count + 1 > t["first"].shape[0]:
            return None
        empty = starts == stops
        # The plan's head is [a, ceil(a)) and its tail [floor(b), b) only when they do not meet.
        if not np.all(empty | (-(-starts // b) * b <= (stops // b) * b)):
            return None
        head, tail = slice(k0, k0 + count), slice(k0 + 1, k0 + count + 1)
        lo = np.empty(2 * count, dtype=t["hmin"].dtype)
        hi = np.empty_like(lo)
        lo[0::2], lo[1::2] = t["hmin"][head], t["tmin"][tail]
        hi[0::2], hi[1::2] = t["hmax"][head], t["tmax"][tail]
        fill_lo, fill_hi = fills(lo.dtype)
        gone = np.repeat(empty, 2)
        lo[gone], hi[gone] = fill_lo, fill_hi
        nan = None
        if "hnan" in t:
            nan = np.empty(2 * count, dtype=bool)
            nan[0::2], nan[1::2] = t["hnan"][head], t["tnan"][tail]
            nan[gone] = False
        return Ends(np.asarray(t["first"][head]), np.asarray(t["last"][tail]), (lo, hi), nan)


def _rungs(series: Any, min_samples: float) -> dict[int, np.ndarray]:
    """Per rung whose columns hold at least ``min_samples`` samples: the row of each edge."""
    n, span = int(series.n), float(series.span)
    if n < 2 or not span > 0:
        return {}
    per_second = (n - 1) / span
    m = math.ceil(math.log2(min_samples / per_second) * COLUMN_LADDER)
    out: dict[int, np.ndarray] = {}
    while True:
        dt = ladder_width(m)
        count = math.ceil(span / dt) + 1
        edges = np.arange(count + 1, dtype=np.float64) * dt
        out[m] = np.asarray(series.indices_at_rel(edges), dtype=np.int64)
        if count <= 2:
            return out
        m += 1


def min_samples_for(n: int, chunk: int) -> float:
    """The narrowest columns (samples) a table of ``n`` samples in chunks of ``chunk`` covers."""
    return max(chunk / 128, 4 * BASE, 6.3 * PER_EDGE * n / MAX_TABLE_VALUES)


def _ragged(block: np.ndarray, at: np.ndarray, base: int, head: bool) -> tuple[np.ndarray, ...]:
    """Min, max (and NaN flags, floats) of the samples of ``block`` from rows ``at`` to the next
    multiple of ``base`` (``head``) or from the multiple before to ``at`` (a tail); the
    ``fills`` (and False) where that is empty (``at`` a multiple of ``base``)."""
    col = at % base
    first = (at // base if head else (at - 1) // base) * base
    # A short last block: its positions past the end are masked out (clipped, not read).
    idx = np.minimum(first + np.arange(base)[:, None], block.shape[0] - 1)
    rows = block[idx].T
    k = np.arange(base)
    mask = (k >= col[:, None]) if head else (k < col[:, None])
    mask &= (col != 0)[:, None]
    fill_lo, fill_hi = fills(block.dtype)
    lo = np.where(mask, rows, fill_lo)
    hi = np.where(mask, rows, fill_hi)
    out: tuple[np.ndarray, ...] = (np.fmin.reduce(lo, axis=1), np.fmax.reduce(hi, axis=1))
    if block.dtype.kind == "f":
        out += ((np.isnan(rows) & mask).any(axis=1),)
    return out


def build(series: Any, values: Any, chunk: int, base: int = BASE) -> EdgeTable:
    """The table of one channel ``values`` (a :class:`~tsvideo_widget.chunkvalues.ChunkedValues`
    over ``series``' rows), in one pass over its chunks a batch at a time (batches are
    whole blocks of ``base``, so a ragged end never straddles two)."""
    n = int(values.shape[0])
    rows = _rungs(series, min_samples_for(n, chunk))
    dtype = np.dtype(values.dtype)
    kinds = KINDS + (("hnan", "tnan") if dtype.kind == "f" else ())
    arrays = {
        m: {k: np.zeros(r.shape[0], dtype=bool if k.endswith("nan") else dtype) for k in kinds}
        for m, r in rows.items()
    }
    step = max(base, (BATCH_BYTES // max(1, dtype.itemsize)) // base * base)
    for a in range(0, n, step):
        b = min(n, a + step)
        block = values.read(
            a, -(-b // base) * base, keep=False
        )  # whole blocks (the last may be short)
        for m, r in rows.items():
            t = arrays[m]
            i0, i1 = np.searchsorted(r, [a, b])  # edges whose first sample is here
            at = r[i0:i1] - a
            t["first"][i0:i1] = block[at]
            got = _ragged(block, at, base, head=True)
            t["hmin"][i0:i1], t["hmax"][i0:i1] = got[0], got[1]
            if len(got) > 2:
                t["hnan"][i0:i1] = got[2]
            j0, j1 = np.searchsorted(r, [a + 1, b + 1])  # edges whose sample before is here
            at = r[j0:j1] - a
            t["last"][j0:j1] = block[at - 1]
            got = _ragged(block, at, base, head=False)
            t["tmin"][j0:j1], t["tmax"][j0:j1] = got[0], got[1]
            if len(got) > 2:
                t["tnan"][j0:j1] = got[2]
    return EdgeTable(arrays, base)


def _name(series: Any, chunk: int, base: int) -> str:
    """The folder of a table: what its rows depend on (the time axis, the rungs, the blocks)."""
    n = int(series.n)
    key = [FORMAT, n, float(series.span).hex(), float(series.rel_at(min(1, n - 1))).hex()]
    key += [min_samples_for(n, chunk), COLUMN_LADDER, base]
    return "edges-" + hashlib.sha256(json.dumps(key).encode()).hexdigest()[:24]


def _load(folder: Path) -> EdgeTable | None:
    try:
        meta = json.loads((folder / "table.json").read_text())
        arrays = {
            int(m): {k: np.load(folder / f"{m}-{k}.npy", mmap_mode="r") for k in meta["kinds"]}
            for m in meta["rungs"]
        }
    except (OSError, ValueError, KeyError):
        return None
    return EdgeTable(arrays, int(meta["base"]))


def edge_table(
    series: Any, values: Any, chunk: int, entry: Path | None, base: int = BASE
) -> EdgeTable:
    """The edge table of channel ``values`` of ``series`` (chunks of ``chunk`` samples, pyramid
    blocks of ``base``): read mapped from ``entry`` (the channel's pyramid folder) when
    built before, else built now and stored there; kept in memory only when ``entry`` is
    None or cannot be written."""
    folder = None if entry is None else Path(entry) / _name(series, chunk, base)
    if folder is not None and (folder / "table.json").exists():
        got = _load(folder)
        if got is not None:
            return got
    table = build(series, values, chunk, base)
    if folder is None:
        return table
    try:
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-edges-", dir=folder.parent))
    except OSError:
        return table
    try:
        kinds: list[str] = []
        for m, t in table.arrays.items():
            kinds = list(t)
            for k, arr in t.items():
                np.save(tmp / f"{m}-{k}.npy", arr)
        meta = {"rungs": sorted(table.arrays), "kinds": kinds, "base": base}
        (tmp / "table.json").write_text(json.dumps(meta))
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return table
    return _load(folder) or table
