"""A channel's min/max pyramid built by Dask, level by level, and written as a Zarr group.

Where one machine is not enough (a recording on shared or object storage,
bigger than a kernel can stream in reasonable time), the pyramid is built where
the data lives: :func:`build_pyramid` reduces each chunk of a dask array to its
level-0 blocks on the workers (the same reduction as
:class:`~tsvideo_widget.pyramid.Pyramid`, so the result is identical to the
single-process build), writes the level to Zarr, then builds each coarser level
from the one written before it, until a handful of blocks remain. Dask runs it
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

from typing import Any

import numpy as np

from .pyramid import BASE, FACTOR, Pyramid, level_zero, reduce_blocks

__all__ = ["build_pyramid", "read_pyramid"]


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
    while True:
        name = str(count)
        stored = group.create_array(
            name, shape=level.shape, dtype=level.dtype, chunks=(3, max(level.chunks[1]))
        )
        target: Any = stored
        da.store(level, target, lock=False)
        count += 1
        length = int(level.shape[1])
        if length < 2 * factor or n < 2 * base:
            break
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


def read_pyramid(store: Any, values: np.ndarray) -> Pyramid:
    """The pyramid written by :func:`build_pyramid`, over the channel's ``values``.

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
    levels, nans = [], []
    for k in range(int(attrs["levels"])):
        stored: Any = group[str(k)]
        a = np.asarray(stored)
        levels.append((np.ascontiguousarray(a[0]), np.ascontiguousarray(a[1])))
        nans.append(a[2] != 0)
    has_nan = bool(attrs["has_nan"]) or (
        not levels and values.dtype.kind == "f" and bool(np.isnan(values).any())
    )
    return Pyramid.of_levels(
        values, levels, nans if has_nan else None, int(attrs["base"]), int(attrs["factor"])
    )
