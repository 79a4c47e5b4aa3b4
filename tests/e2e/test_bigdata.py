"""End-to-end: widgets on big chunked sources (Parquet, Zarr, dask-backed xarray) in JupyterLab.

Each test writes 2e6 samples at 1 kHz into the server's root from the notebook's
kernel, shows ``TimeSeriesVideo`` on them with ``cache_dir="pyr-cache"`` (the
data streamed once into local column files there), and then:

* the widget renders: the overview and detail canvases carry series ink and the
  detail box says what it draws (``data-source``, ``data-lo``/``data-hi``,
  ``data-requests``/``data-replies``; js/charts.ts ``drawDetail``);
* the range is dragged with the mouse, and the detail *refines*: once the drag
  settles, the detail draws a new kernel reply (``data-source="detail"``, more
  replies than before the drag) for the window the kernel holds in ``w.selection``,
  and the range box sits where that selection belongs on the overview;
* the numbers are right: in the kernel, ``w.detail(lo, hi, 500)`` (header and
  buffers) equals that of a widget built from the same data in memory, for the
  dragged window, a window over a NaN gap and the whole span;
* reopening is cheap: a second widget on the same source opens in under 2 s and
  leaves ``pyr-cache`` as it was (every file's name, size and mtime), so the
  columns and pyramids were found again, not rebuilt.

The Parquet and xarray series have datetime times: the kernel sends each window the
browser saves back snapped to nanoseconds (an ``update`` after the ``echo_update``),
so their drags also check that those late updates never pull the range back from
where the drag ended. The Zarr series (float times) round-trips windows exactly.

Run: ``python -m pytest -q tests/e2e/test_bigdata.py -p no:cacheprovider``.
"""

from __future__ import annotations

import time
from typing import Any

import harness as h
import pytest
import widgetkit as wk

pytestmark = pytest.mark.e2e

N = 2_000_000
"""Samples of every source (2000 s at 1 kHz)."""

SPAN = (N - 1) / 1000.0
"""Their span in seconds."""

DRAG_PX = 200.0
"""How far the range is dragged right."""

PX_TOL = 3.0
"""Pixels the dragged window (and the drawn range box) may be off by."""

PQ_DTYPES = ["float32", "int16", "float64"]
"""Channel dtypes of the Parquet file (a with a NaN gap, b, c) in exact detail replies."""

ZARR_DTYPES = ["float32", "int16"]
"""Channel dtypes of the Zarr store and the xarray Dataset (a with NaN runs, b)."""

REOPEN_S = 2.0
"""A second widget on a source already streamed opens within this many seconds."""

RENDER_TIMEOUT = 30.0
REFINE_TIMEOUT = 15.0

# --------------------------------------------------------------------------- kernel side

# The notebook's first cell: what the tests ask the kernel later on.
_HELPERS = '''\
import glob, inspect, json, os, shutil, time
import numpy as np, pandas as pd
from tsvideo_widget import TimeSeriesVideo
from tsvideo_widget.evenseries import EvenSeries

shutil.rmtree("pyr-cache", ignore_errors=True)  # every test streams its source afresh


def cache_tree(path="pyr-cache"):
    """[relative path, size, mtime_ns] of every file under path, sorted."""
    out = []
    for root, _dirs, files in os.walk(path):
        for f in files:
            p = os.path.join(root, f)
            st = os.stat(p)
            out.append([os.path.relpath(p, path), st.st_size, st.st_mtime_ns])
    return sorted(out)


def sidecar_manifests(path="pyr-cache"):
    """The manifest.json of every local column folder under path/sidecar."""
    out = []
    for root, _dirs, files in os.walk(os.path.join(path, "sidecar")):
        if "manifest.json" in files:
            with open(os.path.join(root, "manifest.json")) as f:
                out.append(json.load(f))
    return out


def layouts(w):
    """The ways to call w.detail: as the browser does, and exact when a compact layout exists."""
    params = inspect.signature(w.detail).parameters
    return [{}, {"compact": False}] if "compact" in params else [{}]


def close(x, y, tol=1e-9):
    """Numbers (or dicts and lists of them) within tol of each other."""
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(close(x[k], y[k], tol) for k in x)
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return len(x) == len(y) and all(close(p, q, tol) for p, q in zip(x, y))
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return abs(x - y) <= tol
    return x == y


def detail_diffs(a, b, windows, buckets=500, loose=()):
    """Per window and layout: header keys and buffer indices where a.detail and b.detail differ.

    Keys in `loose` may differ by 1e-9 (s) at most and are reported apart (`near`)."""
    out = []
    for i, (lo, hi) in enumerate(windows):
        for kw in layouts(a):
            ha, ba = a.detail(lo, hi, buckets, **kw)
            hb, bb = b.detail(lo, hi, buckets, **kw)
            keys, near = [], []
            for k in sorted(set(ha) | set(hb)):
                if ha.get(k) == hb.get(k):
                    continue
                if k in loose and close(ha.get(k), hb.get(k)):
                    near.append([k, ha[k], hb[k]])
                else:
                    keys.append([k, ha.get(k), hb.get(k)])
            bufs = [j for j, (x, y) in enumerate(zip(ba, bb)) if bytes(x) != bytes(y)]
            exact = "layout" not in ha  # float32 time offsets, then values in wire dtypes
            nans = [bool(np.isnan(np.frombuffer(x, dtype=t)).any()) if exact and t[0] == "f"
                    else None for x, t in zip(ba[1:], ha["dtypes"])]
            out.append({"i": i, "window": [lo, hi], "call": kw, "exact": exact,
                        "header": keys, "near": near, "buffers": bufs,
                        "nbuf": [len(ba), len(bb)], "points": ha.get("points"),
                        "bucket": ha.get("bucket"), "dtypes": ha["dtypes"], "nan": nans})
    return out


def reopen(make):
    """A second widget from make(): seconds taken, and whether pyr-cache stayed as it was."""
    before = cache_tree()
    t0 = time.perf_counter()
    w2 = make()
    took = time.perf_counter() - t0
    after = cache_tree()
    return w2, {"seconds": took, "same": after == before, "files": len(before),
                "bytes": sum(s for _, s, _ in before),
                "changed": [e for e in after if e not in before][:5],
                "series": type(w2.series).__name__}


def rel_selection(w):
    """w.selection in seconds since the first sample."""
    return [w.series.to_rel(w.selection[0]), w.series.to_rel(w.selection[1])]
'''

# A float32 random walk with NaN runs, an int16 channel and a float64 sine, 1 kHz.
_PARQUET_WRITE = f"""\
import pyarrow.parquet as pq
n = {N}
rng = np.random.default_rng(1)
a = np.cumsum(rng.normal(size=n)).astype(np.float32)
a[500_000:520_000] = np.nan  # a 20 s gap
df = pd.DataFrame({{
    "time": pd.date_range("2024-03-01 12:00", periods=n, freq="1ms", tz="Europe/Berlin"),
    "a": a,
    "b": rng.integers(-1000, 1000, n).astype(np.int16),
    "c": np.sin(np.arange(n) / 1000.0) + rng.normal(size=n) * 0.01,
}})
df.to_parquet("session.parquet", row_group_size=200_000, index=False)
del df, a
meta = pq.ParquetFile("session.parquet").metadata
PARQUET = {{"rows": meta.num_rows, "row_groups": meta.num_row_groups,
           "time_type": str(pq.read_schema("session.parquet").field("time").type)}}
"""

_PARQUET_SHOW = """\
import tsvideo_widget.parquetinputs as pi
pi.STREAM_ABOVE_BYTES = 0  # the big-file path: streamed row group by row group
t0 = time.perf_counter()
w = TimeSeriesVideo("session.parquet", cache_dir="pyr-cache")
OPEN_S = time.perf_counter() - t0
w
"""

_ZARR_WRITE = f"""\
import zarr
n = {N}
rng = np.random.default_rng(2)
a = np.cumsum(rng.normal(size=n)).astype(np.float32)
for s in (300_000, 1_234_567, 1_700_000):
    a[s:s + 5_000] = np.nan  # 5 s gaps, one across a chunk boundary
g = zarr.open_group("session.zarr", mode="w")
g.create_array("a", shape=(n,), chunks=(100_000,), dtype="float32")[:] = a
g.create_array("b", shape=(n,), chunks=(100_000,), dtype="int16")[:] = (
    rng.integers(-3000, 3000, n).astype(np.int16))
del a, g
"""

_ZARR_SHOW = """\
t0 = time.perf_counter()
w = TimeSeriesVideo("session.zarr", sample_rate=1000.0, cache_dir="pyr-cache")
OPEN_S = time.perf_counter() - t0
w
"""

_XARRAY_SHOW = f"""\
import xarray as xr
n = {N}
rng = np.random.default_rng(3)
a = np.cumsum(rng.normal(size=n)).astype(np.float32)
a[800_000:810_000] = np.nan
ds = xr.Dataset(
    {{"a": ("time", a), "b": ("time", rng.integers(-500, 500, n).astype(np.int16))}},
    coords={{"time": pd.date_range("2024-03-01", periods=n, freq="1ms")}},
).chunk({{"time": 250_000}})
del a
t0 = time.perf_counter()
w = TimeSeriesVideo(ds, cache_dir="pyr-cache")
OPEN_S = time.perf_counter() - t0
w
"""

# --------------------------------------------------------------------------- page side

_DATASET_JS = "(sel) => { const e = document.querySelector(sel); return e ? {...e.dataset} : null }"

# Coloured (series) pixels on a chart's canvas: series are saturated, axes and grid grey.
_INK_JS = """(name) => {
  const canvas = document.querySelector(`[data-part="${name}"] canvas`);
  if (!canvas || !canvas.width || !canvas.height) return -1;
  const img = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < img.length; i += 4) {
    const r = img[i], g = img[i + 1], b = img[i + 2];
    if (img[i + 3] > 100 && Math.max(r, g, b) - Math.min(r, g, b) > 50) n++;
  }
  return n;
}"""


def detail_state(page: Any) -> dict[str, str]:
    """The detail box's dataset (source, lo, hi, requests, replies, transport, error)."""
    return dict(page.evaluate(_DATASET_JS, wk.part("detail")) or {})


def ink(page: Any, name: str) -> int:
    return int(page.evaluate(_INK_JS, name))


def wait_rendered(lab: Any) -> dict[str, str]:
    """Wait until the widget shows both charts drawn and the detail from a kernel reply."""
    page = lab.page
    try:
        page.wait_for_selector(wk.part("root"), state="visible", timeout=RENDER_TIMEOUT * 1000)
    except Exception as exc:
        raise h.HarnessError(
            f"the widget did not appear within {RENDER_TIMEOUT:.0f} s; outputs: "
            f"{wk.outputs_text(page)!r}"
        ) from exc
    page.locator(wk.part("root")).first.scroll_into_view_if_needed()

    def seen() -> dict[str, Any]:
        return {
            "overview": ink(page, "overview"),
            "detail": ink(page, "detail"),
            "ds": detail_state(page),
        }

    ok, s = h.wait_until(
        seen,
        lambda s: (
            s["overview"] > 200
            and s["detail"] > 200
            and s["ds"].get("source") == "detail"
            and int(s["ds"].get("replies", "0")) >= 1
        ),
        timeout=RENDER_TIMEOUT,
    )
    assert ok, f"the charts were not drawn (ink pixels, detail dataset): {s}"
    errors = page.locator(wk.part("error"))
    assert errors.count() == 0 or not errors.first.is_visible(), (
        f"the widget shows an error: {errors.first.text_content()!r}"
    )
    return settled(page)


def settled(page: Any, quiet: float = 0.6, timeout: float = REFINE_TIMEOUT) -> dict[str, str]:
    """The detail's dataset once every request is answered and none came for ``quiet`` s."""
    last = detail_state(page)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = detail_state(page)
        if now.get("requests") == now.get("replies") == last.get("replies"):
            return now
        last = now
    raise AssertionError(f"detail requests never settled: {last}")


def drag_and_refine(lab: Any) -> tuple[float, float]:
    """Drag the range right by DRAG_PX and check the detail refines to the kernel's window.

    Returns the window (relative seconds) the browser shows, equal to ``w.selection``.
    """
    page = lab.page
    before = settled(page)
    lo0, hi0 = (float(v) for v in lab.json("rel_selection(w)"))
    ov = h.box(page, f"{wk.part('overview')} .u-over")
    rng = h.box(page, wk.part("range"))
    x0, y0 = rng["x"] + rng["width"] / 2, rng["y"] + rng["height"] / 2
    assert x0 + DRAG_PX < ov["x"] + ov["width"], f"no room to drag: overview {ov}, range {rng}"
    h.drag(page, x0, y0, x0 + DRAG_PX, y0, steps=10)

    per_px = SPAN / ov["width"]
    expected = lo0 + DRAG_PX * per_px
    tol = PX_TOL * per_px

    def kernel_window() -> list[float]:
        return [float(v) for v in lab.json("rel_selection(w)")]

    ok, sel = h.wait_until(
        kernel_window, lambda s: abs(s[0] - expected) <= tol, timeout=REFINE_TIMEOUT, interval=0.15
    )
    assert ok, (
        f"dragging the range {DRAG_PX:.0f} px right (overview {ov['width']:.0f} px for "
        f"{SPAN:.0f} s) from {lo0:.3f} s: expected w.selection to start at {expected:.3f} ± "
        f"{tol:.3f} s, the kernel has {sel}; detail {detail_state(page)}"
    )

    def seen() -> tuple[list[float], dict[str, str]]:
        return kernel_window(), detail_state(page)

    def refined(v: tuple[list[float], dict[str, str]]) -> bool:
        (lo, _hi), ds = v
        return (
            ds.get("source") == "detail"
            and abs(float(ds.get("lo", "nan")) - lo) <= 1e-6
            and int(ds.get("replies", "0")) > int(before["replies"])
        )

    ok, (sel, ds) = h.wait_until(seen, refined, timeout=REFINE_TIMEOUT, interval=0.15)
    if not ok:
        rng = h.box(page, wk.part("range"))
        shown = (rng["x"] - ov["x"]) / ov["width"] * SPAN
        raise AssertionError(
            f"after dragging the range {DRAG_PX:.0f} px right the kernel's w.selection is "
            f"{sel} s, but the browser's detail shows {ds.get('lo')}..{ds.get('hi')} s "
            f"(source {ds.get('source')!r}, requests/replies {ds.get('requests')}/"
            f"{ds.get('replies')}, {before['replies']} replies before the drag) and its range "
            f"box starts at {shown:.3f} s: browser and kernel disagree on the window, or no "
            f"kernel reply refined it within {REFINE_TIMEOUT:.0f} s"
        )
    after = settled(page)
    lo, hi = float(after["lo"]), float(after["hi"])
    sel = [float(v) for v in lab.json("rel_selection(w)")]
    assert after.get("source") == "detail" and "error" not in after, after
    assert int(after["requests"]) > int(before["requests"]), (before, after)
    assert int(after["replies"]) > int(before["replies"]), (before, after)
    # The kernel's window is the browser's (the width kept by a move).
    assert abs(sel[0] - lo) <= 1e-6 and abs(sel[1] - hi) <= 1e-6, (
        f"kernel selection {sel} s, browser detail window {lo}..{hi} s"
    )
    assert abs((hi - lo) - (hi0 - lo0)) <= 1e-6, f"the drag changed the width: {lo0, hi0} -> {sel}"
    # The range box is drawn where the kernel's window lies on the overview.
    ov = h.box(page, f"{wk.part('overview')} .u-over")
    rng = h.box(page, wk.part("range"))
    want = ov["x"] + lo / SPAN * ov["width"]
    assert abs(rng["x"] - want) <= PX_TOL, (
        f"range box at x={rng['x']:.1f} px, the kernel's window starts at {want:.1f} px"
    )
    assert ink(page, "detail") > 200, "the refined detail chart is blank"
    return lo, hi


def assert_same_details(diffs: list[dict[str, Any]], what: str, dtypes: list[str]) -> None:
    """``detail_diffs`` found nothing different; its exact replies carry ``dtypes``.

    The windows are: the dragged one, one over a NaN gap of channel "a", the whole span.
    """
    for d in diffs:
        assert not d["header"] and not d["near"] and not d["buffers"], (
            f"w.detail{tuple(d['window'])} ({d['call'] or 'as the browser asks'}) differs "
            f"from {what}: {d}"
        )
        assert d["nbuf"] == [1 + len(dtypes)] * 2 and d["points"] > 0, d
    exact = {d["i"]: d for d in diffs if d["exact"]}
    assert sorted(exact) == [0, 1, 2], f"no exact reply for every window: {diffs}"
    for d in exact.values():
        assert d["dtypes"] == dtypes, f"wire dtypes {d['dtypes']}, expected {dtypes}: {d}"
    assert exact[1]["nan"][0], f"no NaN in channel a over its gap: {exact[1]}"
    assert exact[2]["bucket"] > 1, f"the whole span was not decimated: {exact[2]}"


def assert_reopened(info: dict[str, Any]) -> None:
    assert info["same"], f"reopening changed pyr-cache: {info}"
    assert info["seconds"] < REOPEN_S, f"reopening took {info['seconds']:.2f} s: {info}"
    assert info["series"] == "EvenSeries", info
    assert info["files"] > 0, info


# --------------------------------------------------------------------------- tests


def test_parquet_streamed_renders_drags_and_refines(lab: Any) -> None:
    lab.run_notebook("bigdata_parquet", [_HELPERS, _PARQUET_WRITE, _PARQUET_SHOW])
    facts = lab.json(
        "{'parquet': PARQUET, 'series': type(w.series).__name__, 'even': "
        "isinstance(w.series, EvenSeries), 'n': w.series.n, 'rate': w.series.sample_rate, "
        "'start': str(w.selection[0]), 'tz': str(w.selection[0].tz), "
        "'sidecar': os.path.isdir('pyr-cache/sidecar'), 'manifests': sidecar_manifests(), "
        "'open_s': OPEN_S}"
    )
    pq_facts = facts["parquet"]
    assert pq_facts["rows"] == N and pq_facts["row_groups"] == N // 200_000, pq_facts
    assert "tz=Europe/Berlin" in pq_facts["time_type"], pq_facts
    assert facts["even"] and facts["n"] == N and facts["rate"] == 1000.0, facts
    assert facts["tz"] == "Europe/Berlin", facts
    assert facts["start"] == "2024-03-01 12:00:00+01:00", facts
    # Streamed, not read whole: its columns are in local files (no time column kept:
    # it steps by exactly 1 ms, so the series is evenly sampled).
    assert facts["sidecar"], f"pyr-cache/sidecar is missing: {facts}"
    (manifest,) = facts["manifests"]
    assert sorted(manifest["columns"]) == ["a", "b", "c"] and manifest["n"] == N, manifest

    wait_rendered(lab)
    lo, hi = drag_and_refine(lab)

    windows = [[lo, hi], [495.0, 525.0], [0.0, SPAN]]
    lab.exec("_df = pd.read_parquet('session.parquet')")
    # The same data in memory, evenly sampled: every byte the same.
    even = lab.json(
        "detail_diffs(w, TimeSeriesVideo(_df.drop(columns='time'), time=None, "
        f"sample_rate=1000.0, start=_df['time'].iloc[0]), {windows!r})",
        timeout=60,
    )
    assert_same_details(even, "pd.read_parquet's columns with sample_rate=1000.0", PQ_DTYPES)
    # pd.read_parquet as is (its time column): the same buffers; the header's
    # float times (x0, and a compact reply's even rows) may round differently in
    # the last bits (even steps vs. keys).
    keyed = lab.json(
        f"detail_diffs(w, TimeSeriesVideo(_df), {windows!r}, loose=('x0', 'even'))",
        timeout=60,
    )
    for d in keyed:
        assert not d["header"] and not d["buffers"] and d["nbuf"][0] == d["nbuf"][1], (
            f"w.detail{tuple(d['window'])} differs from pd.read_parquet's: {d}"
        )

    lab.exec(
        "w2, REOPEN = reopen(lambda: TimeSeriesVideo('session.parquet', cache_dir='pyr-cache'))"
    )
    info = lab.json("REOPEN")
    assert_reopened(info)
    assert_same_details(
        lab.json(f"detail_diffs(w, w2, {windows!r})"), "the reopened widget's", PQ_DTYPES
    )


def test_zarr_store_renders_drags_and_refines(lab: Any) -> None:
    lab.run_notebook("bigdata_zarr", [_HELPERS, _ZARR_WRITE, _ZARR_SHOW])
    facts = lab.json(
        "{'even': isinstance(w.series, EvenSeries), 'n': w.series.n, "
        "'channels': list(w.series.channels), 'selection': list(w.selection), "
        "'manifests': sidecar_manifests(), 'open_s': OPEN_S, "
        "'source': type(w.prepared.source).__name__, 'built': w.prepared.source.built, "
        "'pyramids': len(glob.glob('session.zarr.tsvideo-pyramid/*/*/zarr.json'))}"
    )
    assert facts["even"] and facts["n"] == N and facts["channels"] == ["a", "b"], facts
    # Read in place: the pyramids beside the store, no local copy of the samples.
    assert facts["source"] == "RemoteSource" and facts["manifests"] == [], facts
    assert facts["pyramids"] == 2 and facts["built"] == [True, True], facts

    wait_rendered(lab)
    lo, hi = drag_and_refine(lab)

    windows = [[lo, hi], [1230.0, 1240.0], [0.0, SPAN]]
    lab.exec(
        "_g = zarr.open_group('session.zarr', mode='r')\n"
        "_m = TimeSeriesVideo({k: np.asarray(_g[k]) for k in ('a', 'b')}, sample_rate=1000.0)"
    )
    diffs = lab.json(f"detail_diffs(w, _m, {windows!r})", timeout=60)
    assert_same_details(diffs, "np.asarray of the zarr arrays with sample_rate=1000.0", ZARR_DTYPES)

    lab.exec(
        "w2, REOPEN = reopen(lambda: TimeSeriesVideo('session.zarr', sample_rate=1000.0, "
        "cache_dir='pyr-cache'))"
    )
    assert_reopened(lab.json("REOPEN"))
    assert lab.json("w2.prepared.source.built") == [False, False]  # found, not built again
    assert_same_details(
        lab.json(f"detail_diffs(w, w2, {windows!r})"), "the reopened widget's", ZARR_DTYPES
    )


def test_dask_backed_xarray_renders_drags_and_refines(lab: Any) -> None:
    lab.run_notebook("bigdata_xarray", [_HELPERS, _XARRAY_SHOW])
    facts = lab.json(
        "{'even': isinstance(w.series, EvenSeries), 'n': w.series.n, "
        "'rate': w.series.sample_rate, 'start': str(w.selection[0]), "
        "'dask': type(ds['a'].data).__module__, 'manifests': sidecar_manifests(), "
        "'open_s': OPEN_S, 'source': type(w.prepared.source).__name__, "
        "'stores': w.prepared.source.stores}"
    )
    assert facts["dask"].startswith("dask"), facts
    assert facts["even"] and facts["n"] == N and facts["rate"] == 1000.0, facts
    assert facts["start"] == "2024-03-01 00:00:00", facts
    # Read in place: a pyramid per channel written by Dask, no local copy of the samples.
    assert facts["source"] == "RemoteSource" and facts["manifests"] == [], facts
    assert len(facts["stores"]) == 2 and all(facts["stores"]), facts

    wait_rendered(lab)
    lo, hi = drag_and_refine(lab)

    windows = [[lo, hi], [795.0, 815.0], [0.0, SPAN]]
    # The same Dataset computed into memory (numpy-backed: its arrays used as they are).
    diffs = lab.json(f"detail_diffs(w, TimeSeriesVideo(ds.compute()), {windows!r})", timeout=60)
    assert_same_details(diffs, "the Dataset computed into memory", ZARR_DTYPES)

    lab.exec("w2, REOPEN = reopen(lambda: TimeSeriesVideo(ds, cache_dir='pyr-cache'))")
    assert_reopened(lab.json("REOPEN"))
    assert lab.json("w2.prepared.source.built") == [False, False]  # found, not built again
    assert_same_details(
        lab.json(f"detail_diffs(w, w2, {windows!r})"), "the reopened widget's", ZARR_DTYPES
    )
