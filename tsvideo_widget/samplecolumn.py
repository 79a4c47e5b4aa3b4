"""A channel's samples kept outside the kernel's memory, read only where asked.

A pyramid reads its channel with slices, integer indices, integer arrays and
``take`` (:mod:`tsvideo_widget.pyramid`, :mod:`tsvideo_widget.decimate`,
:mod:`tsvideo_widget.nanscan`), so anything giving those, with ``shape`` and
``dtype``, can stand in for the array. :class:`SampleColumn` is that contract:
a subclass says how to read a run of samples (:meth:`SampleColumn.read`) and a
set of rows (:meth:`SampleColumn.take`); indexing is the same for all of them.
Two implement it: :class:`~tsvideo_widget.filecolumn.FileColumn` (a file read
with ``pread``) and :class:`~tsvideo_widget.chunkvalues.ChunkedValues` (a Zarr
or dask array read a chunk at a time).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from .errors import DataError

__all__ = ["SampleColumn"]


class SampleColumn(ABC):
    """One channel's samples, read where asked (see the module's docstring).

    Subclasses set :attr:`shape`, :attr:`dtype` and :attr:`what`.
    """

    ndim = 1
    """Always 1 (int): one channel."""
    shape: tuple[int, ...]
    """``(n,)``: the number of samples."""
    dtype: np.dtype
    """The samples' dtype (numpy dtype)."""
    what: str
    """How errors name the column (str)."""

    @abstractmethod
    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start:stop``, clipped to the column, as a new array."""

    @abstractmethod
    def take(self, indices: Any) -> np.ndarray:
        """The samples at ``indices`` (any shape of integers; negative count from the end).

        Raises:
            IndexError: an index outside the column.
        """

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def size(self) -> int:
        """The number of samples (int)."""
        return self.shape[0]

    @property
    def nbytes(self) -> int:
        """Bytes the samples take (int)."""
        return self.shape[0] * self.dtype.itemsize

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
            return self.take(np.asarray([int(key)]))[0]
        if isinstance(key, slice):
            start, stop, step = key.indices(self.shape[0])
            if step == 1:
                return self.read(start, stop)
            rows = np.arange(start, stop, step, dtype=np.int64)
            return self.take(rows) if rows.size else np.empty(0, dtype=self.dtype)
        if isinstance(key, (np.ndarray, list)):
            return self.take(key)
        raise TypeError(
            f"{self.what} is indexed by an int, a slice or an integer array, not {key!r:.60}"
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise DataError(
            f"{self.what} ({self.shape[0]} samples) is read where asked and is not loaded "
            "whole behind your back: read a range with values[a:b] (values[:] reads it all)"
        )
