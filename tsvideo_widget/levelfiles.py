"""A Zarr pyramid's levels copied once into plain ``.npy`` files on local disk, read mapped.

A pyramid built by Dask (:mod:`tsvideo_widget.daskpyramid`) is a Zarr group:
compressed chunks that must be decoded into memory to be read. Its levels
are 3/64 of the channel (at int16: 0.94 GB for 1e10 samples), more than a
kernel should hold for one channel. So when the group is in a local folder the
kernel can write, each level is copied once, streaming a slice at a time, into
uncompressed files beside it (``mapped/<k>-min.npy``, ``<k>-max.npy`` and, for a
channel with NaN, ``<k>-nan.npy`` of bools), and read back with
``np.load(..., mmap_mode="r")``: the levels then take no memory until a window
reads a few hundred of their values, and :class:`~tsvideo_widget.source.
PyramidSource` gives those pages back after each window, as it does for a
``.npy`` channel's cached pyramid.

The files belong to the group's folder (one version of one channel's pyramid),
so they are renewed and deleted with it. Each file is written to a temporary
name and renamed into place: a copy interrupted halfway is never read.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SLICE_BLOCKS", "mapped_levels"]

SLICE_BLOCKS = 1 << 22
"""Blocks (int) of a level copied at a time: 8 MB of int16 minima, maxima and flags each."""

_FOLDER = "mapped"


def _write(path: Path, dtype: np.dtype, n: int, parts: Any) -> None:
    """Write a 1-D ``.npy`` of ``n`` items of ``dtype`` at ``path`` from the arrays ``parts``
    yields (in order), through a temporary file renamed into place."""
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        with open(tmp, "wb") as f:
            header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False}
            np.lib.format.write_array_header_1_0(f, {**header, "shape": (n,)})
            for part in parts:
                f.write(np.ascontiguousarray(part, dtype=dtype).tobytes())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _slices(n: int) -> list[tuple[int, int]]:
    return [(a, min(n, a + SLICE_BLOCKS)) for a in range(0, n, SLICE_BLOCKS)]


def _copy_level(stored: Any, folder: Path, k: int, has_nan: bool) -> None:
    """Copy level ``k`` (a ``(3, blocks)`` zarr array) into its files, a slice at a time."""
    dtype = np.dtype(stored.dtype)
    n = int(stored.shape[1])
    kinds = [("min", 0, dtype), ("max", 1, dtype)] + (
        [("nan", 2, np.dtype(bool))] if has_nan else []
    )
    for name, row, dt in kinds:
        path = folder / f"{k}-{name}.npy"
        if path.exists():
            continue
        rows = (np.asarray(stored[row, a:b]) for a, b in _slices(n))
        _write(path, dt, n, (r != 0 if name == "nan" else r for r in rows))


def _load(path: Path, n: int, dtype: np.dtype) -> np.ndarray | None:
    try:
        arr = np.load(path, mmap_mode="r")
    except (OSError, ValueError):
        return None
    return arr if arr.shape == (n,) and arr.dtype == dtype else None


def mapped_levels(
    group: Any, folder: Path, levels: int, has_nan: bool
) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[np.ndarray] | None] | None:
    """The ``levels`` levels of the pyramid ``group`` as arrays mapped from files in ``folder``.

    Copies each level (``group["<k>"]``, shape ``(3, blocks)``: minima, maxima, NaN
    flags) the first time; later opens only map the files. Returns ``(levels, nans)``
    as :meth:`~tsvideo_widget.pyramid.Pyramid.of_levels` takes them (``nans`` None
    unless ``has_nan``), or None when ``folder`` cannot be written or read (then the
    caller reads the levels into memory).
    """
    where = Path(folder) / _FOLDER
    out: list[tuple[np.ndarray, np.ndarray]] = []
    nans: list[np.ndarray] = []
    try:
        where.mkdir(exist_ok=True)
        for k in range(levels):
            stored: Any = group[str(k)]
            n, dtype = int(stored.shape[1]), np.dtype(stored.dtype)
            _copy_level(stored, where, k, has_nan)
            lo = _load(where / f"{k}-min.npy", n, dtype)
            hi = _load(where / f"{k}-max.npy", n, dtype)
            if lo is None or hi is None:
                return None
            out.append((lo, hi))
            if has_nan:
                flags = _load(where / f"{k}-nan.npy", n, np.dtype(bool))
                if flags is None:
                    return None
                nans.append(flags)
    except OSError:
        return None
    return out, (nans if has_nan else None)
