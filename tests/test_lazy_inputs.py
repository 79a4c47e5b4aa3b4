"""Zarr stores, xarray objects and dask arrays: the same widget as the same numbers in memory.

Each source is compared with a widget over numpy arrays holding the same values
and times: the windows it sends must be byte for byte the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import traitlets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sourcekit import channels, replies

from tsvideo_widget import TimeSeriesVideo

zarr = pytest.importorskip("zarr")
xr = pytest.importorskip("xarray")
da = pytest.importorskip("dask.array")

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")

RATE = 500.0


def same_widget(w: TimeSeriesVideo, ref: TimeSeriesVideo, seed: int = 0) -> None:
    assert w.series.channels == ref.series.channels
    assert w._meta == ref._meta
    assert replies(w, seed) == replies(ref, seed)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.integers(3, 40_000),
    chunk=st.integers(1, 9_000),
    coord=st.sampled_from(["datetime", "float", "int", "uneven"]),
    seed=st.integers(0, 2**16),
)
def test_xarray_objects_numpy_or_dask_draw_as_their_numbers_in_memory(
    tmp_path_factory: pytest.TempPathFactory, n: int, chunk: int, coord: str, seed: int
) -> None:
    tmp = tmp_path_factory.mktemp("xr")
    chans = channels(n, seed)
    rng = np.random.default_rng(seed)
    if coord == "datetime":
        t = pd.date_range("2024-03-01 12:00", periods=n, freq="2ms")
        ref = TimeSeriesVideo(chans, time=None, sample_rate=RATE, start=t[0])
    elif coord == "float":
        t = 10.0 + np.arange(n) / RATE
        ref = TimeSeriesVideo(chans, time=None, sample_rate=RATE, start=10.0)
    elif coord == "int":
        t = 7 + np.arange(n) * 2  # ms
        ref = TimeSeriesVideo(chans, time=None, sample_rate=RATE, start=7, time_unit="ms")
    else:  # uneven: the coordinate becomes the time column
        t = np.cumsum(rng.exponential(size=n) * rng.choice([0.0, 1.0, 1.0, 30.0], size=n))
        ref = TimeSeriesVideo(pd.DataFrame({"time": t, **chans}), time="time")
    ds = xr.Dataset({k: ("time", v) for k, v in chans.items()}, coords={"time": t})
    unit = "ms" if coord == "int" else "s"
    w = TimeSeriesVideo(ds, time_unit=unit, cache_dir=tmp / "cache")
    same_widget(w, ref, seed)
    assert type(w.series).__name__ == ("KeyedSeries" if coord == "uneven" else "EvenSeries")
    lazy = ds.chunk({"time": chunk})
    w = TimeSeriesVideo(lazy, time_unit=unit, cache_dir=tmp / "cache")
    same_widget(w, ref, seed)
    # A 2-D DataArray (time, channel) names channels by its channel coordinate.
    if coord != "uneven":
        arr = xr.DataArray(
            np.stack([chans["a"], chans["b"].astype(np.float32)], axis=1),
            dims=("time", "channel"),
            coords={"time": t, "channel": ["a", "b"]},
        )
        assert TimeSeriesVideo(arr, time_unit=unit).series.channels == ["a", "b"]


def test_a_dask_array_streams_through_the_active_scheduler(tmp_path: Path) -> None:
    chans = channels(50_000, 3)
    stacked = np.stack([chans["a"], chans["b"].astype(np.float32)], axis=1)
    ref = TimeSeriesVideo({"c0": stacked[:, 0], "c1": stacked[:, 1]}, time=None, sample_rate=RATE)
    w = TimeSeriesVideo(
        da.from_array(stacked, chunks=(7_000, 2)), sample_rate=RATE, cache_dir=tmp_path
    )
    same_widget(w, ref)


def sidecars(root: Path) -> list[Path]:
    return sorted(p.parent for p in (root / "sidecar").glob("*/*/manifest.json"))


def pyramids(store: Path) -> list[Path]:
    return sorted(p.parent for p in Path(f"{store}.tsvideo-pyramid").glob("*/*/zarr.json"))


def test_pyramids_are_found_again_in_another_process_and_renewed_when_the_store_changes(
    tmp_path: Path,
) -> None:
    chans = channels(30_000, 5)
    store = tmp_path / "s.zarr"
    g = zarr.open_group(str(store), mode="w")
    for k, v in chans.items():
        g.create_array(k, data=v, chunks=(4_000,))
    cache = tmp_path / "cache"
    TimeSeriesVideo(str(store), sample_rate=RATE, cache_dir=cache)
    first = pyramids(store)
    assert len(first) == 2 and not sidecars(cache)  # next to the data, no copy of it
    stamp = (first[0] / "zarr.json").stat().st_mtime_ns
    # Another kernel opens the same store: the pyramids are found, not built again.
    code = (
        "import json, sys\nfrom tsvideo_widget import TimeSeriesVideo\n"
        f"w = TimeSeriesVideo({str(store)!r}, sample_rate={RATE}, cache_dir={str(cache)!r})\n"
        "print(json.dumps([w.series.channels, w.prepared.source.built]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [["a", "b"], [False, False]]
    assert pyramids(store) == first and (first[0] / "zarr.json").stat().st_mtime_ns == stamp
    # The store changes: a new pyramid for the array that changed, its old one deleted.
    g["a"][:100] = 0.0
    w = TimeSeriesVideo(str(store), sample_rate=RATE, cache_dir=cache)
    second = pyramids(store)
    # (Entries are named by hashes, so which one sorts first says nothing: compare as sets.)
    assert len(second) == 2 and len(set(second) - set(first)) == 1
    assert len(set(second) & set(first)) == 1
    assert (w.series.values[0][:100] == 0).all()


def uneven(n: int, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    return channels(n, seed), np.cumsum(rng.exponential(size=n))


def test_an_interrupted_pass_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tsvideo_widget.remotesource as rs
    import tsvideo_widget.sidecar as sc

    # An irregular time: the columns are streamed into local files.
    chans, t = uneven(30_000, 6)
    ds = xr.Dataset({k: ("time", v) for k, v in chans.items()}, coords={"time": t})
    lazy = ds.chunk({"time": 4_000})
    calls = []

    def boom(*args: object) -> None:
        calls.append(1)
        raise KeyboardInterrupt

    monkeypatch.setattr(sc, "release", boom)
    with pytest.raises(KeyboardInterrupt):
        TimeSeriesVideo(lazy, cache_dir=tmp_path / "cache")
    monkeypatch.undo()
    assert calls and sidecars(tmp_path / "cache") == []
    assert not [p for p in (tmp_path / "cache").rglob("*.npy")]
    w = TimeSeriesVideo(lazy, cache_dir=tmp_path / "cache")
    same_widget(w, TimeSeriesVideo(pd.DataFrame({"time": t, **chans}), time="time"))
    # A pyramid build interrupted: no version of it is left to be found.
    g = zarr.open_group(str(tmp_path / "s.zarr"), mode="w")
    for k, v in chans.items():
        g.create_array(k, data=v, chunks=(4_000,))
    monkeypatch.setattr(rs, "written_whole", boom)
    with pytest.raises(KeyboardInterrupt):
        TimeSeriesVideo(g, sample_rate=RATE, cache_dir=tmp_path / "cache")
    monkeypatch.undo()
    assert pyramids(tmp_path / "s.zarr") == []
    w = TimeSeriesVideo(g, sample_rate=RATE, cache_dir=tmp_path / "cache")
    same_widget(w, TimeSeriesVideo(chans, time=None, sample_rate=RATE))


def test_bad_lazy_sources_are_refused_with_what_would_work(tmp_path: Path) -> None:
    g = zarr.open_group(str(tmp_path / "s.zarr"), mode="w")
    g.create_array("a", data=np.zeros(100, np.float32), chunks=(10,))
    with pytest.raises(traitlets.TraitError, match="sample_rate="):
        TimeSeriesVideo(g)
    chans, t = uneven(100, 1)
    irregular = xr.Dataset({k: ("time", v) for k, v in chans.items()}, coords={"time": t})
    with pytest.raises(traitlets.TraitError, match="cache_dir=False"):
        TimeSeriesVideo(irregular.chunk({"time": 10}), cache_dir=False)
    with pytest.raises(traitlets.TraitError, match="does not exist"):
        TimeSeriesVideo(str(tmp_path / "missing.zarr"), sample_rate=RATE)
    cube = da.zeros((10, 2, 2), chunks=5)
    with pytest.raises(traitlets.TraitError, match=r"shape \(10, 2, 2\)"):
        TimeSeriesVideo(cube, sample_rate=RATE, cache_dir=tmp_path / "c")
    empty = zarr.open_group(str(tmp_path / "e.zarr"), mode="w")
    empty.create_array("labels", data=np.zeros((4, 4), np.float32))
    with pytest.raises(traitlets.TraitError, match="no 1-D numeric arrays"):
        TimeSeriesVideo(empty, sample_rate=RATE, cache_dir=tmp_path / "c")
    assert os.path.exists(tmp_path / "s.zarr")
