"""A channel kept in a file, read with ``pread`` for windows: no mapping, no read-ahead.

A window reads a few samples at each of its column edges, scattered over the
whole recording. Read through a memory map, each read maps a whole folio of the
page cache into the process (measured: 95-180 MB of resident file pages for one
1000-column window over a 4 GB file, 537 MB for the whole-span window, more for
20 GB), and on a cold disk each page is faulted in one after the other.
:class:`FileColumn` reads the same samples with ``os.preadv`` instead: only the
bytes asked for are copied, nothing stays mapped, and the ranges a read needs
are announced to the kernel first (``POSIX_FADV_WILLNEED``), so a cold disk
serves them in parallel rather than one fault at a time.

It stands in for the array wherever a pyramid reads its channel's samples
(:attr:`tsvideo_widget.pyramid.Pyramid.values`): slices, integer indices,
integer arrays and ``take`` give the same numbers, as numpy arrays.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, cast

import numpy as np

from .mapped import mapping_of
from .samplecolumn import SampleColumn

__all__ = ["GAP_BYTES", "SPAN_BYTES", "FileColumn", "file_column"]

GAP_BYTES = 16 << 10
"""Indices closer than this in the file (bytes) are read by one ``pread`` (int): a
syscall costs about as much as copying 16 KB from the page cache."""

SPAN_BYTES = 256 << 10
"""The longest run one ``pread`` of :meth:`FileColumn.take` reads (int, bytes): close
indices all across a file are read in pieces, never all at once."""


class FileColumn(SampleColumn):
    """The 1-D samples ``arr`` views in a file, read with ``pread``.

    Args:
        arr: a 1-D view of a memory-mapped file (a ``np.memmap``, a slice of one, or
            a column of a 2-D one: any stride).

    Raises:
        ValueError: an array that does not view a file, or is not 1-D.
    """

    def __init__(self, arr: np.ndarray) -> None:
        m = mapping_of(arr)
        if m is None or arr.ndim != 1:
            raise ValueError("a FileColumn reads a 1-D view of a memory-mapped file")
        self.path = m.filename
        """The file (str)."""
        self.offset = m.file_offset(arr)
        """Byte offset of sample 0 in the file (int)."""
        self.stride = int(arr.strides[0])
        """Bytes from one sample to the next (int; the row size for a column of a table)."""
        self.dtype = arr.dtype
        """The samples' dtype (numpy dtype)."""
        self.shape: tuple[int, ...] = arr.shape
        """``(n,)``: the number of samples."""
        self.what = f"the file {self.path!r}"
        """How errors name it (str)."""
        self._fd = os.open(self.path, os.O_RDONLY)
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(self._fd, 0, 0, os.POSIX_FADV_RANDOM)

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start:stop``, clipped to the column, as a new array."""
        n = self.shape[0]
        a, b = max(0, min(start, n)), max(0, min(stop, n))
        return self._span(a, max(a, b))

    def take(self, indices: Any) -> np.ndarray:
        """The samples at ``indices`` (any shape of integers), as ``np.take`` gives them."""
        idx = np.asarray(indices, dtype=np.intp)
        if idx.size == 0:
            return np.empty(idx.shape, dtype=self.dtype)
        n = self.shape[0]
        if idx.min() < -n or idx.max() >= n:
            raise IndexError(f"an index is out of bounds for {n} samples")
        if idx.min() < 0:
            idx = np.where(idx < 0, idx + n, idx)
        flat = idx.ravel()
        # Rows in file order (the runs a window asks for mostly come sorted already).
        order = np.argsort(flat, kind="stable") if (np.diff(flat) < 0).any() else None
        rows = flat if order is None else flat[order]
        # Runs of rows close enough in the file to be read at once, none crossing a
        # SPAN_BYTES boundary (so what one read holds is at most that long).
        stride = max(self.stride, 1)
        block = rows * stride // SPAN_BYTES
        gaps = (np.diff(rows) > max(1, GAP_BYTES // stride)) | (np.diff(block) != 0)
        bounds = np.concatenate(([0], np.flatnonzero(gaps) + 1, [rows.shape[0]]))
        firsts, lasts = rows[bounds[:-1]], rows[bounds[1:] - 1]
        self._announce(firsts, lasts)
        got = np.empty(rows.shape[0], dtype=self.dtype)
        for r0, r1, a, b in zip(
            bounds[:-1].tolist(), bounds[1:].tolist(), firsts.tolist(), lasts.tolist(), strict=True
        ):
            got[r0:r1] = self._span(a, b + 1)[rows[r0:r1] - a]
        if order is not None:
            out = np.empty_like(got)
            out[order] = got
            got = out
        return got.reshape(idx.shape)

    def _announce(self, firsts: np.ndarray, lasts: np.ndarray) -> None:
        """Ask the kernel to read every run now: a cold disk then reads them in parallel."""
        if not hasattr(os, "posix_fadvise") or firsts.shape[0] < 2:
            return
        for a, b in zip(firsts.tolist(), lasts.tolist(), strict=True):
            start = self.offset + a * self.stride
            os.posix_fadvise(
                self._fd, start, (b - a) * self.stride + self.dtype.itemsize, os.POSIX_FADV_WILLNEED
            )

    def _span(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start:stop`` (a new, contiguous array)."""
        count = stop - start
        item = self.dtype.itemsize
        if count <= 0:
            return np.empty(0, dtype=self.dtype)
        length = (count - 1) * self.stride + item
        buf = np.empty(length, dtype=np.uint8)
        got = os.preadv(self._fd, [buf.data], self.offset + start * self.stride)
        if got != length:
            raise OSError(f"{self.path!r} ended early: {got} of {length} bytes at sample {start}")
        if self.stride == item:
            return buf.view(self.dtype)
        view = np.ndarray((count,), dtype=self.dtype, buffer=buf, strides=(self.stride,))
        return np.ascontiguousarray(view)


def file_column(arr: np.ndarray) -> np.ndarray:
    """``arr`` as a :class:`FileColumn` when it is a 1-D view of a file, else ``arr`` itself.

    Typed as the array it stands in for: a FileColumn reads like one (slices, indices,
    ``take``, ``shape``, ``dtype``), which is all a pyramid asks of its arrays.
    """
    if arr.ndim == 1 and mapping_of(arr) is not None:
        return cast(np.ndarray, FileColumn(arr))
    return arr
