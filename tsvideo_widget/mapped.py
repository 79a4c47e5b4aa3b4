"""Arrays that view memory-mapped files: where they are in the file, and giving pages back.

A channel opened with ``np.load(path, mmap_mode="r")`` (or any ``np.memmap``, or
a view of one) is read through the operating system's page cache. Two things
need to know the mapping behind such an array: the pyramid cache, which names an
entry by the file and byte offset of the samples (:func:`mapping_of`), and a
streaming pass over a file larger than memory, which hands each chunk's pages
back once it is reduced (:func:`release`), so the process's resident memory
stays at a chunk's worth instead of growing to the file's size (the pages stay
in the page cache, for other readers, until the system needs them).
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Mapping", "advise_random", "mapping_of", "release", "write_back"]


@dataclass(frozen=True)
class Mapping:
    """The file mapping behind an array.

    Attributes:
        filename: the file's path as the memmap was opened (str).
        map: the ``mmap.mmap`` object.
        map_offset: the file offset at which the mapping starts (int, bytes).
        address: the mapping's first byte in memory (int).
        shared: the mapping reads and writes the file itself (modes "r", "r+",
            "w+"): only then are pages given back. A copy-on-write mapping (mode "c")
            keeps its changes in its own pages, which giving back would lose.
    """

    filename: str
    map: mmap.mmap
    map_offset: int
    address: int
    shared: bool

    def file_offset(self, arr: np.ndarray) -> int:
        """Byte offset in the file of ``arr``'s first element (int)."""
        return self.map_offset + (arr.ctypes.data - self.address)


def mapping_of(arr: np.ndarray) -> Mapping | None:
    """The file mapping ``arr`` views, or None (an array in memory).

    Follows ``arr``'s bases to the ``np.memmap`` it views: ``np.asarray`` of a
    memmap, a slice or a column of one all count.
    """
    owner: Any = arr
    while owner is not None and not (isinstance(owner, np.memmap) and owner.filename):
        owner = getattr(owner, "base", None)
    if owner is None:
        return None
    mm = getattr(owner, "_mmap", None)
    if not isinstance(mm, mmap.mmap):
        return None
    start = owner.offset - owner.offset % mmap.ALLOCATIONGRANULARITY
    address = np.frombuffer(mm, dtype=np.uint8).ctypes.data
    shared = getattr(owner, "mode", None) in ("r", "r+", "w+", "readonly", "readwrite", "write")
    return Mapping(str(owner.filename), mm, start, address, shared)


def release(m: Mapping, part: np.ndarray) -> None:
    """Give back the resident pages under ``part`` (a 1-D piece of a mapped array).

    Only whole pages between ``part``'s first and last element are released (a
    strided column releases its rows' pages), and only of a shared mapping (the
    page cache keeps their contents, written or not);
    a no-op where ``madvise`` is unavailable. Reading ``part`` again later reads the
    file (or the page cache) again.
    """
    if not m.shared or not part.size:
        return
    if not hasattr(m.map, "madvise") or not hasattr(mmap, "MADV_DONTNEED"):
        return
    page = mmap.PAGESIZE
    stride = int(part.strides[0]) if part.ndim == 1 else part.itemsize
    lo = part.ctypes.data - m.address
    hi = lo + (part.shape[0] - 1) * stride + part.itemsize
    if stride < 0:
        lo, hi = lo + (part.shape[0] - 1) * stride, lo + part.itemsize
    lo = -(-lo // page) * page
    hi = (hi // page) * page
    if hi > lo:
        m.map.madvise(mmap.MADV_DONTNEED, lo, hi - lo)


def write_back(m: Mapping, part: np.ndarray) -> None:
    """Write the pages under ``part`` (a contiguous piece of a mapped array) to the file now.

    Only that range is synced (``msync`` of the whole mapping would walk all of it).
    """
    if not part.size:
        return
    page = mmap.PAGESIZE
    lo = part.ctypes.data - m.address
    hi = lo + part.nbytes
    lo = (lo // page) * page
    m.map.flush(lo, hi - lo)


def advise_random(arr: np.ndarray) -> None:
    """Advise the mapping behind ``arr`` for random reads: no read-ahead (a no-op in memory)."""
    m = mapping_of(arr)
    if m is not None and hasattr(m.map, "madvise") and hasattr(mmap, "MADV_RANDOM"):
        m.map.madvise(mmap.MADV_RANDOM)
