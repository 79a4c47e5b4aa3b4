"""Column-edge samples of a chunked channel, kept so zoomed-out windows decode no chunk for them.

tsvideo_widget/edgetable.py: with the table a wide window of a Zarr store reads no
raw chunk (its columns' ends come from the table, its extremes from the pyramid),
and every window is still byte for byte the in-memory source's, with NaN gaps,
at any sample rate; the table is found again mapped, belongs to the time axis,
and is kept in memory where it cannot be stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sourcekit import channels

import tsvideo_widget.edgetable as et
from tsvideo_widget import TimeSeriesVideo
from tsvideo_widget.decimate import Decimated, column_width
from tsvideo_widget.mapped import mapping_of
from tsvideo_widget.remotesource import RemoteSource

zarr = pytest.importorskip("zarr")
pytest.importorskip("dask.array")

pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning", "ignore::FutureWarning", "ignore::DeprecationWarning"
)


def store(tmp: Path, chans: dict[str, np.ndarray], chunk: int) -> Path:
    g = zarr.open_group(str(tmp / "s.zarr"), mode="w")
    for k, v in chans.items():
        g.create_array(k, data=v, chunks=(chunk,))
    return tmp / "s.zarr"


def remote(w: TimeSeriesVideo) -> RemoteSource:
    src = w.prepared.source
    assert isinstance(src, RemoteSource)
    return src


def same(a: Decimated, b: Decimated) -> None:
    assert (a.bucket, a.dt, a.i0, a.i1) == (b.bucket, b.dt, b.i0, b.i1)
    assert a.x.tobytes() == b.x.tobytes()
    assert [y.tobytes() for y in a.ys] == [y.tobytes() for y in b.ys]


def test_a_wide_window_decodes_no_chunk_and_is_the_in_memory_window(tmp_path: Path) -> None:
    n, chunk = 2_000_000, 2_000
    chans = channels(n, 5, nan=False)
    w = TimeSeriesVideo(str(store(tmp_path, chans, chunk)), sample_rate=1000.0)
    ref = TimeSeriesVideo(chans, time=None, sample_rate=1000.0).prepared.source
    src = remote(w)
    assert all(p.edges is not None for p in src.pyramids)
    rng = np.random.default_rng(0)
    for _ in range(20):
        # 200 columns of 5000-9000 samples: widths the table holds (columns of at least a
        # 128th of a read unit: 64000 float32 or 128000 int16 samples). Only the samples
        # at the window's ends (where the line enters and leaves it) are read raw: a
        # unit or two at each end, per channel; of the 23-45 units between, none.
        width = float(rng.uniform(1000.0, 1800.0))
        lo = float(rng.uniform(0.0, 2000.0 - width))
        src.chunk_cache.clear()
        before = src.chunk_cache.reads
        same(src.window(lo, lo + width, 200), ref.window(lo, lo + width, 200))
        assert src.chunk_cache.reads - before <= 3 * len(chans)
    # A narrow window (columns of a few samples) reads its few chunks, as before.
    src.chunk_cache.clear()
    before = src.chunk_cache.reads
    same(src.window(500.0, 501.5, 1000), ref.window(500.0, 501.5, 1000))
    assert 1 <= src.chunk_cache.reads - before <= 4


def test_without_the_table_the_same_window_decodes_every_chunk_it_spans(tmp_path: Path) -> None:
    n, chunk = 2_000_000, 2_000
    w = TimeSeriesVideo(str(store(tmp_path, channels(n, 6, nan=False), chunk)), sample_rate=1000.0)
    src = remote(w)
    for p in src.pyramids:
        p.edges = None
    src.chunk_cache.clear()
    before = src.chunk_cache.reads
    src.window(100.0, 1900.0, 200)
    units = sum(p.values.chunk_count for p in src.pyramids)  # read units: runs of small chunks
    assert src.chunk_cache.reads - before >= 0.85 * units > 30


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    n=st.integers(3, 150_000),
    chunk=st.integers(500, 40_000),
    rate=st.sampled_from([1000.0, 256.0, 44_100.0, 0.5, 3.7]),
    seed=st.integers(0, 2**16),
    spans=st.lists(
        st.tuples(st.floats(0, 1), st.floats(0, 1), st.integers(50, 1500)),
        min_size=1,
        max_size=8,
    ),
)
def test_windows_with_the_table_are_the_in_memory_ones_with_gaps_at_any_rate(
    tmp_path_factory: pytest.TempPathFactory,
    n: int,
    chunk: int,
    rate: float,
    seed: int,
    spans: list[Any],
) -> None:
    tmp = tmp_path_factory.mktemp("edges")
    chans = channels(n, seed)
    w = TimeSeriesVideo(str(store(tmp, chans, min(chunk, n))), sample_rate=rate)
    ref = TimeSeriesVideo(chans, time=None, sample_rate=rate).prepared.source
    src = remote(w)
    span = ref.span
    for a, b, count in [(0.0, 1.0, 1000), *spans]:
        lo, hi = sorted((a * span, b * span))
        same(src.window(lo, hi, count), ref.window(lo, hi, count))


def test_the_table_is_found_again_mapped_and_belongs_to_the_time_axis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n, chunk = 200_000, 5_000
    chans = channels(n, 7)
    path = store(tmp_path, chans, chunk)
    TimeSeriesVideo(str(path), sample_rate=1000.0)
    built: list[int] = []
    real = et.build
    monkeypatch.setattr(et, "build", lambda *a: built.append(1) or real(*a))
    again = remote(TimeSeriesVideo(str(path), sample_rate=1000.0))
    assert built == []
    table = again.pyramids[0].edges
    assert table is not None
    assert all(
        mapping_of(np.asarray(a)) is not None for t in table.arrays.values() for a in t.values()
    )
    # Another sample rate puts the edges on other rows: its own table, built now.
    other = TimeSeriesVideo(str(path), sample_rate=250.0)
    assert len(built) == len(chans)
    ref = TimeSeriesVideo(chans, time=None, sample_rate=250.0).prepared.source
    same(remote(other).window(0.0, 800.0, 900), ref.window(0.0, 800.0, 900))


def test_where_it_cannot_be_stored_it_is_kept_in_memory(tmp_path: Path) -> None:
    n, chunk = 100_000, 2_000
    chans = channels(n, 8)
    src = remote(
        TimeSeriesVideo(str(store(tmp_path, chans, chunk)), sample_rate=1000.0, cache_dir=False)
    )
    ref = TimeSeriesVideo(chans, time=None, sample_rate=1000.0).prepared.source
    table = src.pyramids[0].edges
    assert table is not None
    assert all(mapping_of(np.asarray(a)) is None for t in table.arrays.values() for a in t.values())
    same(src.window(0.0, 100.0, 300), ref.window(0.0, 100.0, 300))


def test_ends_answers_only_for_its_own_widths_columns_and_long_enough_runs() -> None:
    kinds = {k: np.arange(10, dtype=np.int16) + 100 * i for i, k in enumerate(et.KINDS)}
    t = et.EdgeTable({4: kinds}, base=64)
    dt = column_width(2.0 * 1000, 1000)  # 2 ** (4 / 4) = 2.0: rung 4
    assert dt == 2.0
    starts = np.array([300, 600, 900, 900])
    stops = np.array([600, 900, 900, 1200])  # the third column is empty
    got = t.ends(dt, 3, starts, stops)
    assert got is not None and got.ragged_nan is None
    assert got.first.tolist() == [3, 4, 5, 6] and got.last.tolist() == [104, 105, 106, 107]
    lo, hi = got.ragged
    # Interleaved head (edge k) and tail (edge k + 1); the empty column's are the fills.
    assert lo[0::2].tolist() == [203, 204, 32767, 206]
    assert lo[1::2].tolist() == [404, 405, 32767, 407]
    assert hi[0::2].tolist() == [303, 304, -32768, 306]
    assert t.ends(2.0 * (1 + 1e-12), 3, starts, stops) is None  # not a width on the ladder
    assert t.ends(column_width(1000.0, 1000), 0, starts, stops) is None  # another rung
    assert t.ends(dt, -1, starts, stops) is None  # before the table
    assert t.ends(dt, 6, starts, stops) is None  # beyond it
    # A column whose head and tail meet (shorter than the blocks between): read raw.
    assert t.ends(dt, 3, np.array([300]), np.array([310])) is None
    assert t.ends(dt, 3, np.array([300]), np.array([330])) is not None  # [300, 320), [320, 330)


def test_the_building_pass_reads_past_the_lru(tmp_path: Path) -> None:
    n, chunk = 300_000, 1_000
    chans = channels(n, 9, nan=False)
    src = remote(TimeSeriesVideo(str(store(tmp_path, chans, chunk)), sample_rate=1000.0))
    v = src.pyramids[0].values
    src.chunk_cache.clear()
    got = v.read(1234, 250_000, keep=False)
    assert src.chunk_cache.nbytes == 0
    np.testing.assert_array_equal(got, chans["a"][1234:250_000])
    assert v.read(1234, 250_000).tobytes() == got.tobytes() and src.chunk_cache.nbytes > 0
