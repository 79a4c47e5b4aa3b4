"""A Dask-built Zarr pyramid is read through mapped copies of its levels, not into memory.

tsvideo_widget/levelfiles.py: the copies equal the Zarr levels (and the
single-process pyramid), are memory-mapped, are made once, and anything that
stops them (a folder that cannot be made, a damaged file) falls back to reading
the levels into memory, with the same pyramid.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tsvideo_widget import TimeSeriesVideo, levelfiles
from tsvideo_widget.daskpyramid import build_pyramid, read_pyramid
from tsvideo_widget.mapped import mapping_of
from tsvideo_widget.pyramid import Pyramid

da = pytest.importorskip("dask.array")
zarr = pytest.importorskip("zarr")

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


def values(n: int, dtype: type, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = (np.cumsum(rng.normal(size=n)) * 10).astype(dtype)
    if np.dtype(dtype).kind == "f":
        v[rng.random(n) < 0.01] = np.nan
        v[5000:9000] = np.nan
    return v


def same(a: Pyramid, b: Pyramid) -> None:
    assert len(a.levels) == len(b.levels) > 0
    for (lo_a, hi_a), (lo_b, hi_b) in zip(a.levels, b.levels, strict=True):
        np.testing.assert_array_equal(lo_a, lo_b)
        np.testing.assert_array_equal(hi_a, hi_b)
    assert a.has_nan == b.has_nan
    for fa, fb in zip(a.nans or [], b.nans or [], strict=True):
        np.testing.assert_array_equal(fa, fb)


def mapped(p: Pyramid) -> list[bool]:
    arrays = [x for level in p.levels for x in level] + list(p.nans or [])
    return [mapping_of(np.asarray(a)) is not None for a in arrays]


@pytest.mark.parametrize("dtype", [np.float32, np.int16])
def test_levels_are_copied_once_and_read_mapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dtype: type
) -> None:
    monkeypatch.setattr(levelfiles, "SLICE_BLOCKS", 7)  # many slices per level
    v = values(200_000, dtype)
    store = tmp_path / "p.zarr"
    build_pyramid(da.from_array(v, chunks=30_000), str(store))
    p = read_pyramid(str(store), v, mapped=True)
    same(p, Pyramid(v))
    assert all(mapped(p))
    files = sorted((store / "mapped").iterdir())
    kinds = {f.name.split("-")[1] for f in files}
    assert kinds == ({"min.npy", "max.npy", "nan.npy"} if p.has_nan else {"min.npy", "max.npy"})
    stamps = {f.name: f.stat().st_mtime_ns for f in files}
    again = read_pyramid(str(store), v, mapped=True)
    same(again, p)
    assert {f.name: f.stat().st_mtime_ns for f in (store / "mapped").iterdir()} == stamps
    # The default reads into memory: nothing mapped.
    assert not any(mapped(read_pyramid(str(store), v)))


def test_a_folder_that_cannot_be_made_falls_back_to_memory(tmp_path: Path) -> None:
    v = values(100_000, np.float32, 1)
    store = tmp_path / "p.zarr"
    build_pyramid(da.from_array(v, chunks=10_000), str(store))
    (store / "mapped").write_text("a file where the folder would go")
    p = read_pyramid(str(store), v, mapped=True)
    same(p, Pyramid(v))
    assert not any(mapped(p))


def test_a_damaged_copy_is_not_read_and_a_leftover_temp_file_is_ignored(tmp_path: Path) -> None:
    v = values(100_000, np.float32, 2)
    store = tmp_path / "p.zarr"
    build_pyramid(da.from_array(v, chunks=10_000), str(store))
    read_pyramid(str(store), v, mapped=True)
    # A copy of another length (a level of some other pyramid) is refused, not drawn from.
    np.save(store / "mapped" / "0-max.npy", np.zeros(3, dtype=np.float32))
    p = read_pyramid(str(store), v, mapped=True)
    same(p, Pyramid(v))
    assert not any(mapped(p))
    # An interrupted copy leaves only a temporary name, which no read takes.
    os.remove(store / "mapped" / "0-max.npy")
    (store / "mapped" / f".tmp-{os.getpid()}-0-max.npy").write_bytes(b"half a file")
    p = read_pyramid(str(store), v, mapped=True)
    same(p, Pyramid(v))
    assert all(mapped(p))


def test_a_widget_on_a_zarr_store_maps_its_pyramid_and_draws_the_same(tmp_path: Path) -> None:
    v = values(300_000, np.float32, 3)
    path = tmp_path / "data.zarr"
    zarr.open_array(str(path), mode="w", shape=v.shape, dtype=v.dtype, chunks=(25_000,))[:] = v
    w = TimeSeriesVideo(str(path), sample_rate=1000.0, cache_dir=tmp_path / "cache")
    ref = TimeSeriesVideo({"a": v}, time=None, sample_rate=1000.0)
    for src in (w.prepared.source, TimeSeriesVideo(str(path), sample_rate=1000.0).prepared.source):
        (p,) = src.pyramids
        assert all(mapped(p))
        for lo, hi in [(0.0, 300.0), (4.0, 9.5), (120.0, 121.0)]:
            a, b = src.window(lo, hi, 500), ref.prepared.source.window(lo, hi, 500)
            np.testing.assert_array_equal(a.x, b.x)
            np.testing.assert_array_equal(a.ys[0], b.ys[0])
