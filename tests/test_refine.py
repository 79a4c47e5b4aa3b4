"""Coarse pyramids first, the finest level after: the completed pyramid is the direct one."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsvideo_widget import refine
from tsvideo_widget.pyramid import BASE, FACTOR, Pyramid
from tsvideo_widget.refine import Refinement, coarse, complete


def same_pyramid(a: Pyramid, b: Pyramid) -> None:
    assert (a.base, a.factor) == (b.base, b.factor)
    assert len(a.levels) == len(b.levels)
    for (lo_a, hi_a), (lo_b, hi_b) in zip(a.levels, b.levels, strict=True):
        assert lo_a.dtype == lo_b.dtype
        np.testing.assert_array_equal(lo_a, lo_b)
        np.testing.assert_array_equal(hi_a, hi_b)
    assert (a.nans is None) == (b.nans is None)
    for fa, fb in zip(a.nans or [], b.nans or [], strict=True):
        np.testing.assert_array_equal(fa, fb)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40_000),
    dtype=st.sampled_from([np.float32, np.float64, np.int16, np.int64]),
    gaps=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 3000)), max_size=4),
    seed=st.integers(0, 2**16),
)
def test_a_completed_coarse_pyramid_is_the_direct_one(
    n: int, dtype: type, gaps: list[tuple[float, int]], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    v = (rng.normal(size=n) * 1000).astype(dtype)
    if np.dtype(dtype).kind == "f":
        for at, width in gaps:
            s = int(at * n)
            v[s : s + width] = np.nan
    c = coarse(v)
    assert c.base == BASE * FACTOR
    same_pyramid(complete(c), Pyramid(v))


def test_a_complete_pyramid_is_left_as_it_is() -> None:
    p = Pyramid(np.arange(10_000, dtype=np.float32))
    assert complete(p) is p


def test_the_completed_list_is_handed_over_once() -> None:
    chans = [np.random.default_rng(k).normal(size=100_000).astype(np.float32) for k in range(3)]
    got: list[list[Pyramid]] = []
    r = Refinement([coarse(v) for v in chans], got.append)
    assert r.wait(60)
    assert r.error is None and len(got) == 1
    for p, v in zip(got[0], chans, strict=True):
        same_pyramid(p, Pyramid(v))


def test_a_failed_refinement_keeps_the_coarse_pyramids_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tsvideo_widget.refine as rf

    def no_memory(*args: object, **kwargs: object) -> object:
        raise MemoryError("no room for the finest level")

    monkeypatch.setattr(rf, "level_zero", no_memory)
    got: list[list[Pyramid]] = []
    r = Refinement([coarse(np.zeros(10_000, dtype=np.float32))], got.append)
    assert r.wait(60)
    assert got == [] and isinstance(r.error, MemoryError)


def test_refinement_runs_beside_the_caller() -> None:
    # The caller is not held up: the work runs on a thread of its own.
    release = threading.Event()
    seen: list[str] = []

    def hand_over(ps: list[Pyramid]) -> None:
        seen.append(threading.current_thread().name)
        release.wait(10)

    r = Refinement([coarse(np.zeros(5000, dtype=np.float32))], hand_over)
    # The constructor returned while the work is held inside hand_over.
    assert not r.wait(0.2)
    release.set()
    assert r.wait(10)
    assert seen and seen[0] != threading.current_thread().name


def test_refinement_waits_for_the_first_paint_unless_someone_waits_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The pass over every sample starts REFINE_AFTER_S later: the first windows come first.
    monkeypatch.setattr(refine, "REFINE_AFTER_S", 0.5)
    started: list[float] = []
    t0 = time.perf_counter()
    r = Refinement([coarse(np.zeros(5000, dtype=np.float32))], lambda ps: started.append(1))
    assert r.done.wait(0.2) is False and started == []
    assert r.done.wait(5) and time.perf_counter() - t0 >= 0.5 and started == [1]
    # Whoever waits for it wants it now: wait() starts it at once.
    monkeypatch.setattr(refine, "REFINE_AFTER_S", 60.0)
    t0 = time.perf_counter()
    r = Refinement([coarse(np.zeros(5000, dtype=np.float32))], lambda ps: started.append(2))
    assert r.wait(5) and time.perf_counter() - t0 < 5 and started == [1, 2]


def test_a_big_in_memory_series_paints_from_coarse_pyramids_then_complete_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sourcekit import replies

    import tsvideo_widget.refine as rf
    import tsvideo_widget.source as src_mod
    from tsvideo_widget import TimeSeriesVideo

    n = rf.COARSE_ABOVE // 2 + 4097  # two channels: just over the threshold
    rng = np.random.default_rng(7)
    chans = {k: np.cumsum(rng.normal(size=n)).astype(np.float32) for k in ("a", "b")}
    chans["b"][n // 5 : n // 5 + 100_000] = np.nan
    chans["b"][rng.random(n) < 1e-4] = np.nan
    # Hold the refinement until the coarse pyramids have served a round of windows.
    go = threading.Event()
    real = rf.complete

    def held(p: Pyramid) -> Pyramid:
        go.wait(60)
        return real(p)

    monkeypatch.setattr(rf, "complete", held)
    w = TimeSeriesVideo(chans, time=None, sample_rate=1000.0, cache_dir=False)
    source = w.prepared.source
    assert source.refinement is not None  # type: ignore[attr-defined]
    assert [p.base for p in source.pyramids] == [BASE * FACTOR] * 2  # type: ignore[attr-defined]
    coarse_replies = replies(w, 3)
    go.set()
    assert source.refinement.wait(60) and source.refinement.error is None  # type: ignore[attr-defined]
    assert [p.base for p in source.pyramids] == [BASE] * 2  # type: ignore[attr-defined]
    # The same bytes before and after, and the same as a direct build's.
    assert replies(w, 3) == coarse_replies
    monkeypatch.setattr(src_mod, "COARSE_ABOVE", 10 * n)
    direct = TimeSeriesVideo(chans, time=None, sample_rate=1000.0, cache_dir=False)
    assert direct.prepared.source.refinement is None  # type: ignore[attr-defined]
    assert replies(direct, 3) == coarse_replies
