"""Persisted pyramids: stored for channels in files, found again, renewed when the file changes.

Every check compares with a pyramid built from scratch over the same samples, or
with the windows a widget over the same numbers in memory sends.
"""

from __future__ import annotations

import os
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from pathlib import Path

import numpy as np
import pytest
import traitlets
from hypothesis import given, settings
from hypothesis import strategies as st
from sourcekit import replies

import tsvideo_widget.pyramid as pm
from tsvideo_widget import CacheWarning, TimeSeriesVideo
from tsvideo_widget.filecolumn import FileColumn
from tsvideo_widget.pyramid import Pyramid
from tsvideo_widget.pyrcache import PyramidCache, check_cache_dir, default_cache_dir, file_slice

N = 300_000


def npy(path: Path, values: np.ndarray) -> np.ndarray:
    """``values`` saved as ``path`` and opened again memory-mapped (read-only)."""
    np.save(path, values)
    return np.load(path, mmap_mode="r")


def signal(n: int = N, seed: int = 0, dtype: type = np.float32) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = (rng.normal(size=n) * 1000).astype(dtype)
    if np.dtype(dtype).kind == "f":
        v[rng.random(n) < 0.001] = np.nan
        v[n // 3 : n // 3 + 5000] = np.nan
    return v


def entries(root: Path) -> list[Path]:
    """Stored versions (folders holding a manifest)."""
    return sorted(p.parent for p in root.glob("*/*/manifest.json"))


def same_pyramid(a: Pyramid, b: Pyramid) -> None:
    assert len(a.levels) == len(b.levels)
    for (lo_a, hi_a), (lo_b, hi_b) in zip(a.levels, b.levels, strict=True):
        np.testing.assert_array_equal(lo_a[:], lo_b[:])  # [:]: a FileColumn reads as an array
        np.testing.assert_array_equal(hi_a[:], hi_b[:])
    assert (a.nans is None) == (b.nans is None)
    if a.nans is not None and b.nans is not None:
        for fa, fb in zip(a.nans, b.nans, strict=True):
            np.testing.assert_array_equal(fa[:], fb[:])


def test_a_file_backed_channel_is_stored_and_found_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    values = npy(tmp_path / "y.npy", signal())
    w1 = TimeSeriesVideo({"y": values}, time=None, sample_rate=1000.0, cache_dir=cache)
    assert len(entries(cache)) == 1
    w2 = TimeSeriesVideo({"y": values}, time=None, sample_rate=1000.0, cache_dir=cache)
    (p2,) = w2.prepared.source.pyramids  # type: ignore[attr-defined]
    # Read back from the cache's files, memory-mapped, not rebuilt; the samples themselves are
    # read with pread (nothing of the data file mapped).
    assert all(
        isinstance(a, np.memmap) and str(a.filename).startswith(str(cache))
        for a in [*chain(*p2.levels)]
    )
    assert isinstance(p2.values, FileColumn) and p2.values.path == str(tmp_path / "y.npy")
    same_pyramid(p2, Pyramid(np.asarray(values)))
    # A widget over the same numbers in memory sends the same bytes.
    mem = TimeSeriesVideo({"y": np.array(values)}, time=None, sample_rate=1000.0, cache_dir=cache)
    assert replies(w2, 1) == replies(mem, 1) == replies(w1, 1)
    assert len(entries(cache)) == 1  # arrays in memory are not stored


@pytest.mark.parametrize("change", ["rewrite", "append", "in place, same time"])
def test_a_changed_file_gets_a_new_pyramid(tmp_path: Path, change: str) -> None:
    cache = tmp_path / "cache"
    path = tmp_path / "y.npy"
    old = signal(seed=0)
    TimeSeriesVideo({"y": npy(path, old)}, time=None, sample_rate=1000.0, cache_dir=cache)
    (first,) = entries(cache)
    stat = os.stat(path)
    if change == "rewrite":
        new = signal(seed=5)
        np.save(path, new)
    elif change == "append":
        new = np.r_[old, signal(n=1000, seed=6)]
        np.save(path, new)
    else:
        # Edit a stretch in place and put the modification time back: the digest of
        # samples spread over the file still tells.
        m = np.load(path, mmap_mode="r+")
        m[1000 : 1000 + N // 500] += 1  # a stretch longer than 1/1024 of the file
        m.flush()
        new = np.array(m)
        del m
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    values = np.load(path, mmap_mode="r")
    w = TimeSeriesVideo({"y": values}, time=None, sample_rate=1000.0, cache_dir=cache)
    (p,) = w.prepared.source.pyramids  # type: ignore[attr-defined]
    same_pyramid(p, Pyramid(np.array(new)))
    (second,) = entries(cache)  # the stale version is gone, the new one stored
    assert second != first


def test_nothing_is_stored_with_cache_dir_false_or_for_arrays_in_memory(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    values = npy(tmp_path / "y.npy", signal())
    TimeSeriesVideo({"y": values}, time=None, sample_rate=1000.0, cache_dir=False)
    TimeSeriesVideo({"y": np.array(values)}, time=None, sample_rate=1000.0, cache_dir=cache)
    assert not cache.exists() or not entries(cache)


def test_a_cache_that_cannot_be_written_still_gives_a_widget(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    values = npy(tmp_path / "y.npy", signal())
    # Said, not silent: without the cache a 20 GB file's pyramid sits in memory and is
    # built again at every open.
    with pytest.warns(CacheWarning, match=r"not-a-folder.*cache_dir=False"):
        w = TimeSeriesVideo({"y": values}, time=None, sample_rate=1000.0, cache_dir=blocker / "c")
    mem = TimeSeriesVideo({"y": np.array(values)}, time=None, sample_rate=1000.0)
    assert replies(w, 1) == replies(mem, 1)


def test_a_damaged_entry_is_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    values = npy(tmp_path / "y.npy", signal())
    TimeSeriesVideo({"y": values}, time=None, sample_rate=1000.0, cache_dir=cache)
    (entry,) = entries(cache)
    (entry / "0.max.npy").write_bytes(b"\x93NUMPY truncated")
    assert PyramidCache(cache).load(values, 64, 4) is None
    w = TimeSeriesVideo({"y": values}, time=None, sample_rate=1000.0, cache_dir=cache)
    (p,) = w.prepared.source.pyramids  # type: ignore[attr-defined]
    same_pyramid(p, Pyramid(np.asarray(values)))


def test_a_failed_build_leaves_no_entry_and_the_widget_builds_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    values = npy(tmp_path / "y.npy", signal())
    real = np.lib.format.open_memmap
    calls = []

    def failing(path: object, *args: object, **kwargs: object) -> np.memmap:
        calls.append(path)
        if str(path).endswith("1.min.npy"):  # level 1: level 0 is written by then
            raise OSError(28, "No space left on device")
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(np.lib.format, "open_memmap", failing)
    with pytest.warns(CacheWarning, match="No space left on device"):
        assert PyramidCache(cache).build(values, 64, 4) is None
    with pytest.warns(CacheWarning):
        w = TimeSeriesVideo({"y": values}, time=None, sample_rate=1000.0, cache_dir=cache)
    monkeypatch.undo()
    assert entries(cache) == []
    assert [p for p in cache.rglob("*.npy")] == []  # no half-written levels left
    assert PyramidCache(cache).load(values, 64, 4) is None
    (p,) = w.prepared.source.pyramids  # type: ignore[attr-defined]
    same_pyramid(p, Pyramid(np.asarray(values)))


def test_the_build_holds_a_chunk_not_the_pyramid(tmp_path: Path) -> None:
    # 2e7 int16 samples: a pyramid of 830 KB; built into files, the build's own
    # allocations stay far below it (tracemalloc sees numpy's buffers).
    values = npy(tmp_path / "y.npy", (np.arange(20_000_000) % 3000).astype(np.int16))
    cache = PyramidCache(tmp_path / "cache")
    tracemalloc.start()
    try:
        p = cache.build(values, 64, 4)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert p is not None and p.nbytes > 800_000
    assert all(isinstance(lo, np.memmap) for lo, _ in p.levels)
    assert peak < p.nbytes / 2, (peak, p.nbytes)
    same_pyramid(p, Pyramid(np.asarray(values)))


def test_file_slices_name_where_each_column_of_a_2d_file_is(tmp_path: Path) -> None:
    table = np.arange(3000, dtype=np.int16).reshape(1000, 3)
    np.save(tmp_path / "t.npy", table)
    m = np.load(tmp_path / "t.npy", mmap_mode="r")
    header = os.path.getsize(tmp_path / "t.npy") - table.nbytes
    for c in range(3):
        fs = file_slice(np.asarray(m[:, c]))
        assert fs is not None
        assert (fs.offset, fs.stride, fs.n, fs.dtype) == (header + 2 * c, 6, 1000, "<i2")
    fs = file_slice(m[10:20, 1])
    assert fs is not None and fs.offset == header + 10 * 6 + 2 and fs.n == 10
    assert file_slice(np.zeros(10)) is None
    # Columns of one file are stored apart and each found again.
    cache = tmp_path / "cache"
    chans = {f"c{c}": m[:, c] for c in range(3)}
    TimeSeriesVideo(chans, time=None, sample_rate=10.0, cache_dir=cache)
    assert len(entries(cache)) == 3
    w = TimeSeriesVideo(chans, time=None, sample_rate=10.0, cache_dir=cache)
    for c, p in enumerate(w.prepared.source.pyramids):  # type: ignore[attr-defined]
        same_pyramid(p, Pyramid(np.array(table[:, c])))


def test_cache_dir_takes_a_path_none_or_false() -> None:
    assert check_cache_dir(None) is None and check_cache_dir(False) is False
    assert check_cache_dir(Path("/tmp/x")) == "/tmp/x"
    for bad in (True, 3, ["a"]):
        with pytest.raises(traitlets.TraitError, match="cache_dir"):
            check_cache_dir(bad)
    assert default_cache_dir().name in {"tsvideo-widget", "Cache"}


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 40_000),
    dtype=st.sampled_from([np.float32, np.float64, np.int16, np.int32]),
    nan_frac=st.sampled_from([0.0, 0.01, 0.5, 1.0]),
    seed=st.integers(0, 2**16),
)
def test_a_parallel_build_equals_a_serial_one(
    n: int, dtype: type, nan_frac: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    v = (rng.normal(size=n) * 100).astype(dtype)
    if np.dtype(dtype).kind == "f":
        v[rng.random(n) < nan_frac] = np.nan
    with ThreadPoolExecutor(2) as pool:
        # Small chunks, so even a few thousand samples make many of them.
        chunk = pm._CHUNK_BLOCKS
        pm._CHUNK_BLOCKS = 8
        try:
            par = Pyramid(v, base=4, factor=2, pool=pool)
        finally:
            pm._CHUNK_BLOCKS = chunk
    ser = Pyramid(v, base=4, factor=2)
    same_pyramid(par, ser)
    has_nan = np.dtype(dtype).kind == "f" and bool(np.isnan(v).any())
    assert ser.has_nan == has_nan


def test_a_reopen_takes_the_overview_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tsvideo_widget.source as source_mod

    cache = tmp_path / "cache"
    values = npy(tmp_path / "y.npy", signal())
    w1 = TimeSeriesVideo({"y": values}, time=None, sample_rate=1000.0, cache_dir=cache)
    assert len(list((cache / "windows").glob("*.npz"))) == 1

    def no_decimation(*args: object) -> None:
        raise AssertionError("the overview was computed again")

    monkeypatch.setattr(source_mod, "decimate", no_decimation)
    w2 = TimeSeriesVideo({"y": values}, time=None, sample_rate=1000.0, cache_dir=cache)
    for a, b in zip(w1._overview["ys"], w2._overview["ys"], strict=True):
        assert bytes(a) == bytes(b)
    # Another rate is another series: its overview is computed, not taken.
    with pytest.raises(AssertionError, match="computed again"):
        TimeSeriesVideo({"y": values}, time=None, sample_rate=500.0, cache_dir=cache)
