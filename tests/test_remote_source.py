"""Chunked sources read in place: the same windows as in memory, from pyramids and a few chunks.

Zarr stores on local disk, dask arrays and dask-backed xarray objects are served by
:class:`~tsvideo_widget.remotesource.RemoteSource`: pyramids built by Dask next to the
data (or in ``cache_dir``), raw samples decoded a chunk at a time through a bounded LRU.
Each is compared, window for window and byte for byte, with the in-memory source.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sourcekit import channels

import tsvideo_widget.chunkvalues as cv
import tsvideo_widget.remotesource as rs
from tsvideo_widget import TimeSeriesVideo
from tsvideo_widget.decimate import Decimated, columns
from tsvideo_widget.pyramid import BASE, Pyramid
from tsvideo_widget.remotesource import PYRAMID_SUFFIX, RemoteSource

zarr = pytest.importorskip("zarr")
xr = pytest.importorskip("xarray")
da = pytest.importorskip("dask.array")

pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning", "ignore::FutureWarning", "ignore::DeprecationWarning"
)

RATE = 500.0


def remote(w: TimeSeriesVideo) -> RemoteSource:
    src = w.prepared.source
    assert isinstance(src, RemoteSource), type(src)
    return src


def same(a: Decimated, b: Decimated) -> None:
    assert (a.bucket, a.dt, a.i0, a.i1) == (b.bucket, b.dt, b.i0, b.i1)
    assert a.x.tobytes() == b.x.tobytes()
    assert [y.dtype for y in a.ys] == [y.dtype for y in b.ys]
    assert [y.tobytes() for y in a.ys] == [y.tobytes() for y in b.ys]


windows = st.lists(
    st.tuples(st.floats(0, 1), st.floats(0, 1), st.integers(1, 1200)), min_size=1, max_size=6
)


def same_windows(w: TimeSeriesVideo, ref: TimeSeriesVideo, spans: list[Any]) -> None:
    src, mem = remote(w), ref.prepared.source
    span = mem.span
    for a, b, count in [(0.0, 1.0, 4000), *spans]:
        lo, hi = sorted((a * span, b * span))
        same(src.window(lo, hi, count), mem.window(lo, hi, count))


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    n=st.integers(2, 120_000),
    chunk=st.integers(1_000, 70_000),
    seed=st.integers(0, 2**16),
    spans=windows,
)
def test_a_zarr_store_read_in_place_gives_the_in_memory_windows(
    tmp_path_factory: pytest.TempPathFactory, n: int, chunk: int, seed: int, spans: list[Any]
) -> None:
    tmp = tmp_path_factory.mktemp("zarr")
    chans = channels(n, seed)
    g = zarr.open_group(str(tmp / "s.zarr"), mode="w")
    for k, v in chans.items():
        g.create_array(k, data=v, chunks=(min(chunk, n),))
    ref = TimeSeriesVideo(chans, time=None, sample_rate=RATE)
    for source in (str(tmp / "s.zarr"), g):  # a path, or the group opened
        w = TimeSeriesVideo(source, sample_rate=RATE, cache_dir=tmp / "cache")
        same_windows(w, ref, spans)
    # Next to the data, not in the cache folder.
    assert all(s is not None and PYRAMID_SUFFIX in s for s in remote(w).stores)


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    n=st.integers(2, 100_000),
    chunk=st.integers(500, 40_000),
    seed=st.integers(0, 2**16),
    spans=windows,
    xarray=st.booleans(),
)
def test_dask_arrays_and_dask_backed_xarray_give_the_in_memory_windows(
    tmp_path_factory: pytest.TempPathFactory,
    n: int,
    chunk: int,
    seed: int,
    spans: list[Any],
    xarray: bool,
) -> None:
    tmp = tmp_path_factory.mktemp("dask")
    chans = channels(n, seed)
    if xarray:
        t = 10.0 + np.arange(n) / RATE
        ds = xr.Dataset({k: ("time", v) for k, v in chans.items()}, coords={"time": t})
        ref = TimeSeriesVideo(chans, time=None, sample_rate=RATE, start=10.0)
        w = TimeSeriesVideo(ds.chunk({"time": chunk}), cache_dir=tmp / "cache")
    else:
        stacked = np.stack([chans["a"], chans["a"][::-1].copy()], axis=1)
        ref = TimeSeriesVideo(
            {"c0": stacked[:, 0], "c1": stacked[:, 1]}, time=None, sample_rate=RATE
        )
        w = TimeSeriesVideo(
            da.from_array(stacked, chunks=(chunk, 2)), sample_rate=RATE, cache_dir=tmp / "cache"
        )
    same_windows(w, ref, spans)
    assert all(s is not None and str(tmp / "cache") in s for s in remote(w).stores)


def store(tmp: Path, n: int, chunk: int, seed: int = 0, nan: bool = False) -> dict[str, Any]:
    chans = channels(n, seed, nan)
    g = zarr.open_group(str(tmp / "s.zarr"), mode="w")
    for k, v in chans.items():
        g.create_array(k, data=v, chunks=(chunk,))
    return chans


def test_a_window_decodes_only_the_chunks_at_its_column_edges(tmp_path: Path) -> None:
    n, chunk = 4_000_000, 65_536  # 62 chunks of 256 KiB per channel
    chans = store(tmp_path, n, chunk)
    w = TimeSeriesVideo(str(tmp_path / "s.zarr"), sample_rate=RATE, cache_dir=tmp_path / "c")
    ref = TimeSeriesVideo(chans, time=None, sample_rate=RATE)
    src = remote(w)
    fetched: list[tuple[int, int]] = []  # (channel, read unit: 1 chunk of a, 2 of b)
    chans_v = [p.values for p in src.pyramids]
    for c, v in enumerate(chans_v):
        inner = v._fetch

        def spy(ks: list[int], inner: Any = inner, c: int = c) -> list[np.ndarray]:
            fetched.extend((c, k) for k in ks)
            return list(inner(ks))

        v._fetch = spy
    span = src.span
    for lo, hi, count in [(0.2 * span, 0.21 * span, 800), (0.0, span, 20), (0.5, 0.6, 700)]:
        src.chunk_cache.clear()
        fetched.clear()
        before = src.chunk_cache.reads
        dec = src.window(lo, hi, count)
        same(dec, ref.prepared.source.window(lo, hi, count))
        # Which chunks hold the samples a window may need: its column edges (and up to a
        # level-0 block beside them), the rows just outside, or all of a raw window.
        if dec.dt > 0:
            cols = columns(w.series, src.pyramids, lo, hi, count)
            edges = np.r_[cols.starts, cols.stops - 1, dec.i0, dec.i1 - 1]
            near = np.clip(np.r_[edges, edges - BASE, edges + BASE], 0, n - 1)
        else:
            near = np.arange(dec.i0, dec.i1)
        allowed = {
            (c, int(k))
            for c, v in enumerate(chans_v)
            for k in np.searchsorted(v.bounds, near, "right") - 1
        }
        assert set(fetched) <= allowed
        assert src.chunk_cache.reads - before == len(fetched)
        assert len(set(fetched)) < n // chunk  # not the whole array
    # A narrow window: one or two chunks per channel, not 62.
    src.chunk_cache.clear()
    fetched.clear()
    src.window(0.3 * span, 0.3 * span + 0.001 * span, 300)
    assert len(fetched) <= 4


def test_the_pyramid_is_found_again_and_rebuilt_when_the_store_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chans = store(tmp_path, 200_000, 10_000, nan=True)
    builds: list[str] = []
    real = rs.build_pyramid

    def counted(values: Any, where: Any, *args: Any) -> Any:
        builds.append(str(where))
        return real(values, where, *args)

    monkeypatch.setattr(rs, "build_pyramid", counted)
    path = str(tmp_path / "s.zarr")
    w = TimeSeriesVideo(path, sample_rate=RATE, cache_dir=tmp_path / "c")
    assert len(builds) == 2 and remote(w).built == [True, True]
    pyr = tmp_path / f"s.zarr{PYRAMID_SUFFIX}"
    assert sorted(p.parent.name for p in pyr.glob("*/*/zarr.json")) != []
    w2 = TimeSeriesVideo(path, sample_rate=RATE, cache_dir=tmp_path / "c")
    assert len(builds) == 2 and remote(w2).built == [False, False]
    same(remote(w2).window(1.0, 50.0, 500), remote(w).window(1.0, 50.0, 500))
    # One array changes: its pyramid is rebuilt (the old version deleted), the other's kept.
    zarr.open_group(path, mode="r+")["a"][:1000] = 7.0
    chans["a"][:1000] = 7.0
    w3 = TimeSeriesVideo(path, sample_rate=RATE, cache_dir=tmp_path / "c")
    assert len(builds) == 3 and remote(w3).built == [True, False]
    assert len(list(pyr.glob("*/*/zarr.json"))) == 2
    ref = TimeSeriesVideo(chans, time=None, sample_rate=RATE)
    same_windows(w3, ref, [(0.0, 0.01, 300), (0.2, 0.9, 1000)])


def test_where_the_data_cannot_be_written_the_pyramid_goes_to_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(tmp_path, 50_000, 4_000)
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setattr(rs, "beside", lambda path: tmp_path / "file" / "pyr")
    w = TimeSeriesVideo(str(tmp_path / "s.zarr"), sample_rate=RATE, cache_dir=tmp_path / "c")
    assert all(str(tmp_path / "c" / "dask-pyramid") in str(s) for s in remote(w).stores)
    w2 = TimeSeriesVideo(str(tmp_path / "s.zarr"), sample_rate=RATE, cache_dir=tmp_path / "c")
    assert remote(w2).built == [False, False]


def test_cache_dir_false_writes_nothing_and_draws_the_same(tmp_path: Path) -> None:
    chans = store(tmp_path, 80_000, 3_000, nan=True)
    before = sorted(tmp_path.rglob("*"))
    w = TimeSeriesVideo(str(tmp_path / "s.zarr"), sample_rate=RATE, cache_dir=False)
    assert sorted(tmp_path.rglob("*")) == before
    assert remote(w).stores == [None, None]
    same_windows(w, TimeSeriesVideo(chans, time=None, sample_rate=RATE), [(0.1, 0.4, 900)])
    for (lo, hi), (rlo, rhi) in zip(
        remote(w).pyramids[0].levels, Pyramid(chans["a"]).levels, strict=True
    ):
        np.testing.assert_array_equal(lo, rlo)
        np.testing.assert_array_equal(hi, rhi)


def test_reads_stay_within_the_lru_bound_on_data_larger_than_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bound = 1 << 20  # 1 MiB of decoded chunks, for 16 MB of data
    monkeypatch.setattr(cv, "CHUNK_CACHE_BYTES", bound)
    chans = store(tmp_path, 2_000_000, 70_000, nan=True)
    w = TimeSeriesVideo(str(tmp_path / "s.zarr"), sample_rate=RATE, cache_dir=tmp_path / "c")
    src = remote(w)
    assert src.chunk_cache.max_bytes == bound
    ref = TimeSeriesVideo(chans, time=None, sample_rate=RATE)
    rng = np.random.default_rng(4)
    same_windows(w, ref, [(*rng.uniform(0, 1, 2), int(rng.integers(50, 1500))) for _ in range(25)])
    cache = src.chunk_cache
    assert cache.bytes_read > 4 * bound  # the windows read far more than the bound ...
    assert cache.peak_bytes <= bound and cache.nbytes <= bound  # ... and held at most it


def test_a_channel_is_never_loaded_whole_behind_the_callers_back(tmp_path: Path) -> None:
    store(tmp_path, 10_000, 1_000)
    w = TimeSeriesVideo(str(tmp_path / "s.zarr"), sample_rate=RATE, cache_dir=tmp_path / "c")
    v = w.series.values[0]
    with pytest.raises(Exception, match=r"values\[a:b\]"):
        np.asarray(v)
    assert v[:].shape == (10_000,) and v[5:9].dtype == np.float32
    with pytest.raises(IndexError, match="rows outside"):
        v[np.array([10_000])]


def test_a_build_the_kernel_cannot_read_back_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers on other machines write a kernel's local folder on their own disks."""
    store(tmp_path, 20_000, 2_000)
    real = rs.build_pyramid

    def elsewhere(values: Any, where: Any, *args: Any) -> Any:
        group = real(values, zarr.storage.MemoryStore(), *args)
        out = zarr.open_group(where, mode="w")
        for name, arr in group.arrays():
            out.create_array(name, shape=arr.shape, dtype=arr.dtype, chunks=arr.chunks)
        out.attrs.update(dict(group.attrs))
        return out

    monkeypatch.setattr(rs, "build_pyramid", elsewhere)
    with pytest.raises(Exception, match="cannot write that folder"):
        TimeSeriesVideo(str(tmp_path / "s.zarr"), sample_rate=RATE, cache_dir=tmp_path / "c")
    assert not list((tmp_path / f"s.zarr{PYRAMID_SUFFIX}").glob("*/*/zarr.json"))


def test_a_local_cluster_of_two_worker_processes_builds_the_pyramid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    distributed = pytest.importorskip("distributed")
    from dask.utils import key_split

    chans = store(tmp_path, 400_000, 20_000, nan=True)
    monkeypatch.setattr(rs, "BUILD_CHUNK_BYTES", 80_000)  # several tasks per level
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as lc,
        distributed.Client(lc) as client,
    ):
        pids = set(client.run(os.getpid).values())
        with distributed.get_task_stream(client) as ts:
            w = TimeSeriesVideo(
                str(tmp_path / "s.zarr"), sample_rate=RATE, cache_dir=tmp_path / "c"
            )
        workers = set(client.scheduler_info()["workers"])
    assert len(pids) == 2 and os.getpid() not in pids
    # Each level's blocks reduced and stored (dask fuses the two into "...store-map" tasks).
    done = [t for t in ts.data if key_split(t["key"]).endswith("store-map")]
    assert len(done) >= 2 * 20  # every chunk of both channels' level 0, on the workers
    assert {t["worker"] for t in done} <= workers and len({t["worker"] for t in done}) == 2
    for p, v in zip(remote(w).pyramids, chans.values(), strict=True):
        ref = Pyramid(v)
        assert len(p.levels) == len(ref.levels) and p.has_nan == ref.has_nan
        for (lo, hi), (rlo, rhi) in zip(p.levels, ref.levels, strict=True):
            np.testing.assert_array_equal(lo, rlo)
            np.testing.assert_array_equal(hi, rhi)
        for f, rf in zip(p.nans or [], ref.nans or [], strict=True):
            np.testing.assert_array_equal(f, rf)
    # The same pyramid as the local scheduler's, found again without a cluster.
    w2 = TimeSeriesVideo(str(tmp_path / "s.zarr"), sample_rate=RATE, cache_dir=tmp_path / "c")
    assert remote(w2).built == [False, False]
    same_windows(w2, TimeSeriesVideo(chans, time=None, sample_rate=RATE), [(0.1, 0.7, 900)])


def test_alignment_is_suggested_on_a_channel_read_in_place(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # The search reads the whole channel (as it reads a file's): the same suggestions as
    # from the same numbers in memory.
    import alignkit
    import zarr

    case = alignkit.make_audio_case(tmp_path_factory.mktemp("al") / "a", seconds=30.0, offset=1.25)
    root = tmp_path_factory.mktemp("alz")
    z = zarr.create_array(
        str(root / "s.zarr"), shape=case.values.shape, chunks=(4096,), dtype=case.values.dtype
    )
    z[:] = case.values
    rate = 1.0 / float(case.rel_times[1] - case.rel_times[0])
    media = {"mic": str(case.media)}
    w = TimeSeriesVideo(str(root / "s.zarr"), sample_rate=rate, media=media, cache_dir=root / "c")
    assert isinstance(w.prepared.source, RemoteSource)
    mem = TimeSeriesVideo(
        {"contact": np.asarray(case.values)}, time=None, sample_rate=rate, media=media
    )
    got = w.suggest_alignment("mic", method="audio", progress=False)
    want = mem.suggest_alignment("mic", method="audio", progress=False)
    np.testing.assert_array_equal(got["offset"].to_numpy(), want["offset"].to_numpy())
    assert abs(got.iloc[0]["offset"] - case.offset) < 0.005
