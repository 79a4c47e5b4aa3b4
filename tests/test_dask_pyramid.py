"""The pyramid Dask builds, level by level into Zarr, equals the single-process one.

Built by a ``dask.distributed`` LocalCluster of 2 workers from a Zarr store on
local disk, and by dask's local threads; compared level by level, NaN flags
included, with :class:`~tsvideo_widget.pyramid.Pyramid` over the same numbers,
and then through a widget's windows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsvideo_widget import TimeSeriesVideo
from tsvideo_widget.daskpyramid import build_pyramid, read_pyramid
from tsvideo_widget.pyramid import Pyramid
from tsvideo_widget.source import PyramidSource

da = pytest.importorskip("dask.array")
zarr = pytest.importorskip("zarr")
distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    """A LocalCluster of 2 workers with a client made the default scheduler."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as lc,
        distributed.Client(lc) as client,
    ):
        yield client


def same(a: Pyramid, b: Pyramid) -> None:
    assert len(a.levels) == len(b.levels)
    for (lo_a, hi_a), (lo_b, hi_b) in zip(a.levels, b.levels, strict=True):
        np.testing.assert_array_equal(lo_a, lo_b)
        np.testing.assert_array_equal(hi_a, hi_b)
    assert a.has_nan == b.has_nan
    if a.nans and b.nans:
        for fa, fb in zip(a.nans, b.nans, strict=True):
            np.testing.assert_array_equal(fa, fb)


def values(n: int, seed: int, dtype: type) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = (np.cumsum(rng.normal(size=n)) * 10).astype(dtype)
    if np.dtype(dtype).kind == "f" and n > 4:
        v[rng.random(n) < 0.01] = np.nan
        k = int(rng.integers(0, n - 2))
        v[k : k + int(rng.integers(1, max(2, n // 5)))] = np.nan
    return v


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    n=st.integers(1, 200_000),
    chunk=st.integers(1, 50_000),
    dtype=st.sampled_from([np.float32, np.float64, np.int16]),
    seed=st.integers(0, 2**16),
)
def test_the_cluster_builds_the_single_process_pyramid(
    cluster: object,
    tmp_path_factory: pytest.TempPathFactory,
    n: int,
    chunk: int,
    dtype: type,
    seed: int,
) -> None:
    tmp = tmp_path_factory.mktemp("dp")
    v = values(n, seed, dtype)
    zarr.open_array(
        str(tmp / "data.zarr"), mode="w", shape=v.shape, dtype=v.dtype, chunks=(chunk,)
    )[:] = v
    source = da.from_zarr(str(tmp / "data.zarr"))
    build_pyramid(source, str(tmp / "pyramid.zarr"), base=16, factor=4)
    same(read_pyramid(str(tmp / "pyramid.zarr"), v), Pyramid(v, base=16, factor=4))


def test_dask_threads_build_it_too_and_a_widget_draws_from_it(tmp_path: Path) -> None:
    v = values(300_000, 1, np.float32)
    build_pyramid(da.from_array(v, chunks=33_333), str(tmp_path / "p.zarr"))
    p = read_pyramid(str(tmp_path / "p.zarr"), v)
    same(p, Pyramid(v))
    ref = TimeSeriesVideo({"v": v}, time=None, sample_rate=1000.0)
    src = PyramidSource(ref.series, [p])
    for lo, hi in [(0.0, ref.series.span), (10.0, 10.5), (100.0, 250.0)]:
        a, b = src.window(lo, hi, 700), ref.prepared.source.window(lo, hi, 700)
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.ys[0], b.ys[0])


def test_a_pyramid_of_other_data_is_refused(tmp_path: Path) -> None:
    v = values(10_000, 2, np.float32)
    build_pyramid(da.from_array(v, chunks=1000), str(tmp_path / "p.zarr"))
    with pytest.raises(ValueError, match="10000 samples of <f4, not 9999"):
        read_pyramid(str(tmp_path / "p.zarr"), v[:-1])
    with pytest.raises(ValueError, match="1-D"):
        build_pyramid(da.zeros((4, 4)), str(tmp_path / "q.zarr"))
