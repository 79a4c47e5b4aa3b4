"""FileColumn: a channel in a file read with pread gives exactly what the memory map gives."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsvideo_widget.filecolumn import GAP_BYTES, FileColumn, file_column

DTYPES = ["<f4", ">f4", "<f8", "<i2", ">i2", "<i8", "<u1"]


def column(tmp: Path, dtype: str, n: int, cols: int, col: int, skip: int, seed: int) -> np.ndarray:
    """A 1-D view of a mapped file: column ``col`` of an n x cols table, from row ``skip``."""
    rng = np.random.default_rng(seed)
    table = (rng.normal(size=(n, cols)) * 1000).astype(dtype)
    if table.dtype.kind == "f":
        table[rng.random(table.shape) < 0.05] = np.nan
    path = tmp / f"t-{seed}-{dtype.replace('<', 'l').replace('>', 'b')}-{n}-{cols}.npy"
    np.save(path, table)
    return np.load(path, mmap_mode="r")[skip:, col]


@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from(DTYPES),
    n=st.integers(1, 50_000),
    cols=st.integers(1, 3),
    skip=st.integers(0, 50),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_every_read_equals_the_mapped_array(
    tmp_path_factory: pytest.TempPathFactory,
    dtype: str,
    n: int,
    cols: int,
    skip: int,
    seed: int,
    data: st.DataObject,
) -> None:
    arr = column(tmp_path_factory.mktemp("fc"), dtype, n + skip, cols, seed % cols, skip, seed)
    fc = FileColumn(arr)
    assert fc.shape == arr.shape and fc.dtype == arr.dtype and len(fc) == n
    # Scattered runs, far apart and close together, repeated, unsorted, negative.
    idx = np.asarray(
        data.draw(st.lists(st.integers(-n, n - 1), max_size=300), label="indices"), dtype=np.intp
    )
    runs = [np.arange(s, min(n, s + w)) for s, w in [(0, 70), (n // 2, 64), (max(0, n - 3), 9)]]
    for got, want in (
        (fc.take(idx), arr.take(idx)),
        (fc[idx], arr[idx]),
        (fc.take(np.concatenate(runs)), arr.take(np.concatenate(runs))),
        (fc.take(idx.reshape(-1, 1)), arr.take(idx.reshape(-1, 1))),
    ):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    a = data.draw(st.integers(-n - 5, n + 5), label="a")
    b = data.draw(st.integers(-n - 5, n + 5), label="b")
    step = data.draw(st.sampled_from([None, 1, 3]), label="step")
    np.testing.assert_array_equal(fc[a:b:step], arr[a:b:step])
    i = data.draw(st.integers(-n, n - 1), label="i")
    assert fc[i] == arr[i] or (np.isnan(fc[i]) and np.isnan(arr[i]))


def test_far_apart_indices_are_read_in_separate_runs_and_near_ones_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arr = column(tmp_path, "<f4", 1_000_000, 1, 0, 0, 1)
    fc = FileColumn(arr)
    spans: list[tuple[int, int]] = []
    real = fc._span

    def spy(start: int, stop: int) -> np.ndarray:
        spans.append((start, stop))
        return real(start, stop)

    monkeypatch.setattr(fc, "_span", spy)
    near = GAP_BYTES // 4 // 2  # samples of float32 closer than GAP_BYTES
    idx = np.array([10, 10 + near, 500_000, 999_999])
    np.testing.assert_array_equal(fc.take(idx), arr.take(idx))
    assert spans == [(10, 11 + near), (500_000, 500_001), (999_999, 1_000_000)]


def test_out_of_bounds_is_an_index_error_naming_the_length(tmp_path: Path) -> None:
    fc = FileColumn(column(tmp_path, "<i2", 100, 1, 0, 0, 2))
    with pytest.raises(IndexError, match="100 samples"):
        fc.take([0, 100])
    with pytest.raises(IndexError, match="100 samples"):
        fc[-101]
    assert fc.take(np.array([], dtype=np.intp)).shape == (0,)


def test_an_array_in_memory_is_left_as_it_is(tmp_path: Path) -> None:
    mem = np.arange(10.0)
    assert file_column(mem) is mem
    with pytest.raises(ValueError, match="memory-mapped file"):
        FileColumn(mem)
    assert isinstance(file_column(column(tmp_path, "<f8", 10, 1, 0, 0, 3)), FileColumn)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_reads_map_nothing(tmp_path: Path) -> None:
    # What the column is for: its reads leave no pages of the file in the process.
    arr = column(tmp_path, "<f4", 2_000_000, 1, 0, 0, 4)
    want = np.array(arr[::1000])
    path = str(Path(arr.base.filename if hasattr(arr.base, "filename") else "").resolve())
    fc = FileColumn(arr)
    assert fc.path
    del arr
    gc.collect()
    got = fc.take(np.arange(0, 2_000_000, 1000))
    np.testing.assert_array_equal(got, want)
    maps = Path("/proc/self/maps").read_text()
    assert fc.path not in maps and (not path or path not in maps)
