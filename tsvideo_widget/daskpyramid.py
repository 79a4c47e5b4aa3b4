"""A channel's min/max pyramid built by Dask, level by level, and written as a Zarr group.

Where one machine is not enough (a recording on shared or object storage,
bigger than a kernel can stream in reasonable time), the pyramid is built where
the data lives: :func:`build_pyramid` reduces each chunk of a dask array to its
level-0 blocks on the workers (the same reduction as
:class:`~tsvideo_widget.pyramid.Pyramid`, so the result is identical to the
single-process build), writes the level to Zarr, then builds each coarser level
from the one written before it, until a handful of blocks remain (levels of fewer
than :data:`LOCAL_BELOW` blocks are reduced by the calling process: a task per tiny
level would cost more than its reduction). Dask runs it
with whatever scheduler is active: the user's ``dask.distributed`` client when
one is (a ``LocalCluster`` here, a cluster next to the storage in production),
else its local threads. :func:`read_pyramid` gives it back as a
:class:`~tsvideo_widget.pyramid.Pyramid` over the channel's values.

Layout of the group: one array per level, ``"0"``, ``"1"``, ..., each of shape
``(3, blocks)`` in the channel's dtype: minima, maxima, and NaN flags (1 where
the block holds a NaN); attributes ``base``, ``factor``, ``n``, ``dtype``,
``levels`` and ``has_nan``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .levelfiles import mapped_levels
from .pyramid import BASE, FACTOR, Pyramid, level_zero, reduce_blocks

__all__ = ["build_pyramid", "compute_pyramid", "read_pyramid", "written_whole"]


LOCAL_BELOW = 1 << 16
"""Blocks (int) below which :func:`build_pyramid` reduces the next levels in the calling
process (reading the level back, a few hundred KB at most) instead of the scheduler's."""


def _level0_block(block: np.ndarray, base: int) -> np.ndarray:
    mins, maxs, flags = level_zero(block, base)
    out = np.empty((3, mins.shape[0]), dtype=block.dtype)
    out[0], out[1] = mins, maxs
    out[2] = 0 if flags is None else flags
    return out


def _coarser_block(block: np.ndarray, factor: int) -> np.ndarray:
    mins, maxs = reduce_blocks(block[0], block[1], factor)
    flags = np.logical_or.reduceat(block[2] != 0, np.arange(0, block.shape[1], factor))
    out = np.empty((3, mins.shape[0]), dtype=block.dtype)
    out[0], out[1], out[2] = mins, maxs, flags
    return out


def _aligned(chunks: tuple[int, ...], unit: int) -> tuple[int, ...]:
    """Chunk lengths that are multiples of ``unit`` (the last may be short), near the given ones."""
    total = sum(chunks)
    size = max(unit, (max(chunks) // unit) * unit)
    out = [size] * (total // size)
    if total % size:
        out.append(total % size)
    return tuple(out)


def build_pyramid(
    values: Any, store: Any, base: int = BASE, factor: int = FACTOR, overwrite: bool = True
) -> Any:
    """Build the pyramid of a 1-D dask array (or xarray DataArray) into the Zarr ``store``.

    Args:
        values: the channel: a 1-D dask array, or an xarray DataArray backed by one.
        store: where to write: a path (str or PathLike) or any store ``zarr.open_group``
            takes (a local folder next to the data, or an fsspec URL on object storage).
        base: samples per level-0 block (int, default 64).
        factor: blocks per block of the next level (int, default 4).
        overwrite: replace a pyramid already in ``store`` (default True).

    Returns:
        The ``zarr.Group`` written.

    Raises:
        ValueError: ``values`` that is not 1-D.
    """
    import dask.array as da
    import zarr

    arr = getattr(values, "data", values)
    if not isinstance(arr, da.Array):
        arr = da.asarray(arr)
    if arr.ndim != 1:
        raise ValueError(f"a pyramid is built per channel: pass a 1-D array, not shape {arr.shape}")
    n = int(arr.shape[0])
    group = zarr.open_group(store, mode="w" if overwrite else "w-")
    arr = arr.rechunk((_aligned(arr.chunks[0], base),))
    blocks = tuple(-(-c // base) for c in arr.chunks[0])
    level = arr.map_blocks(_level0_block, base, dtype=arr.dtype, chunks=((3,), blocks), new_axis=0)
    count = 0
    small: np.ndarray | None = None  # a level reduced in the kernel, once levels are small
    while True:
        shape = small.shape if small is not None else level.shape
        # Every chunk written, even one of fill values: written_whole() counts them.
        stored = group.create_array(
            str(count),
            shape=shape,
            dtype=arr.dtype,
            chunks=(3, shape[1] if small is not None else max(level.chunks[1])),
            config={"write_empty_chunks": True},
        )
        target: Any = stored
        if small is not None:
            target[...] = small
        else:
            da.store(level, target, lock=False)
        count += 1
        length = int(shape[1])
        if length < 2 * factor or n < 2 * base:
            break
        if length <= LOCAL_BELOW:
            # A few thousand blocks: a task per level would cost more than the reduction.
            small = _coarser_block(small if small is not None else np.asarray(target[...]), factor)
            continue
        prev = da.from_zarr(stored)
        prev = prev.rechunk(((3,), _aligned(prev.chunks[1], factor)))
        level = prev.map_blocks(
            _coarser_block,
            factor,
            dtype=prev.dtype,
            chunks=((3,), tuple(-(-c // factor) for c in prev.chunks[1])),
        )
    last: Any = group[str(count - 1)]
    top = np.asarray(last[2])
    group.attrs.update(
        {
            "base": base,
            "factor": factor,
            "n": n,
            "dtype": np.dtype(arr.dtype).str,
            "levels": count if n >= 2 * base else 0,
            "has_nan": bool(np.any(top != 0)),
        }
    )
    return group


def written_whole(group: Any) -> bool:
    """True when every chunk of every level of the pyramid ``group`` is in its store.

    A cluster whose workers cannot reach the folder the kernel named (a folder on the
    kernel's own disk, workers on other machines) writes its chunks elsewhere, and
    zarr would read the missing ones as zeros: this tells that apart.
    """
    for k in range(int(group.attrs.get("levels", 0))):
        arr: Any = group[str(k)]
        if int(arr.nchunks_initialized) != int(arr.nchunks):
            return False
    return True


def compute_pyramid(values: Any, channel: Any, base: int = BASE, factor: int = FACTOR) -> Pyramid:
    """The pyramid of a 1-D dask array, level 0 reduced by the active scheduler, kept in memory.

    For when nothing may be written: the workers reduce each chunk to its level-0
    blocks (the same reduction as :func:`build_pyramid`), the kernel receives that level
    (3 values per ``base`` samples) and reduces the coarser levels itself.
    ``channel`` is what the pyramid's ``values`` will be (the raw samples as the widget
    reads them, e.g. a :class:`~tsvideo_widget.chunkvalues.ChunkedValues`).
    """
    import dask.array as da

    arr = getattr(values, "data", values)
    if not isinstance(arr, da.Array):
        arr = da.asarray(arr)
    n = int(arr.shape[0])
    if n < 2 * base:
        small = np.asarray(channel[:n])
        none: list[np.ndarray] | None = (
            [] if small.dtype.kind == "f" and bool(np.isnan(small).any()) else None
        )
        return Pyramid.of_levels(channel, [], none, base, factor)
    arr = arr.rechunk((_aligned(arr.chunks[0], base),))
    blocks = tuple(-(-c // base) for c in arr.chunks[0])
    level = arr.map_blocks(_level0_block, base, dtype=arr.dtype, chunks=((3,), blocks), new_axis=0)
    got = np.asarray(level.compute())
    mins, maxs = np.ascontiguousarray(got[0]), np.ascontiguousarray(got[1])
    flags = got[2] != 0
    levels, nans = [(mins, maxs)], [flags]
    while mins.shape[0] >= 2 * factor:
        mins, maxs = reduce_blocks(mins, maxs, factor)
        levels.append((mins, maxs))
        nans.append(np.logical_or.reduceat(nans[-1], np.arange(0, nans[-1].shape[0], factor)))
    has_nan = bool(nans[-1].any())
    return Pyramid.of_levels(channel, levels, nans if has_nan else None, base, factor)


def read_pyramid(store: Any, values: np.ndarray, mapped: bool = False) -> Pyramid:
    """The pyramid written by :func:`build_pyramid`, over the channel's ``values``.

    ``mapped`` (bool, default False): ``store`` is a local folder, and its levels are
    read through uncompressed copies mapped from files beside them, made on the first
    read (:func:`tsvideo_widget.levelfiles.mapped_levels`), instead of into memory;
    where the folder cannot be written they are read into memory.

    Raises:
        ValueError: a pyramid of another length, dtype, base or factor than ``values``
            and the widget's pyramids use.
    """
    import zarr

    group = zarr.open_group(store, mode="r")
    attrs: dict[str, Any] = dict(group.attrs)
    if attrs["n"] != values.shape[0] or np.dtype(attrs["dtype"]) != values.dtype:
        raise ValueError(
            f"the pyramid in {store!r} is of {attrs['n']} samples of {attrs['dtype']}, not "
            f"{values.shape[0]} of {values.dtype}"
        )
    count, stored_nan = int(attrs["levels"]), bool(attrs["has_nan"])
    files = mapped_levels(group, Path(store), count, stored_nan) if mapped else None
    if files is not None:
        levels, nans = files
    else:
        levels, in_memory = [], []
        for k in range(count):
            a = np.asarray(group[str(k)])
            levels.append((np.ascontiguousarray(a[0]), np.ascontiguousarray(a[1])))
            in_memory.append(a[2] != 0)
        nans = in_memory if stored_nan else None
    # values[:n], not values: a lazily read channel is read explicitly (a few samples here).
    has_nan = stored_nan or (
        not levels and values.dtype.kind == "f" and bool(np.isnan(values[: attrs["n"]]).any())
    )
    if has_nan and nans is None:  # no levels: the flags are the samples' own
        nans = []
    return Pyramid.of_levels(
        values, levels, nans if has_nan else None, int(attrs["base"]), int(attrs["factor"])
    )
