"""End-to-end: the kernel's decimated detail window draws pixel for pixel like the raw samples.

Each case builds a :class:`~tsvideo_widget.TimeSeriesVideo` in this process,
asks it for a detail window (``w.detail(lo, hi, buckets, compact=True)``, the reply
the browser gets) and draws that window twice in Debian's Chromium with the
product's own detail chart (``js/chart.ts`` ``makeChart``, decoded as
``js/state.ts`` and ``js/charts.ts`` do): once from every raw sample, once from
the reply. The two canvases must not differ in a single pixel. No Jupyter
server is needed: ``m4page/entry.ts`` is bundled with esbuild and inlined into
a blank page.

Why the two draws can be identical. uPlot's line path builder
(``node_modules/uplot/dist/uPlot.esm.js``, ``function linear``) has two modes:

* With at least 4 points per device pixel over the drawn range it *decimates*:
  it walks the points and keeps, per run of points, the first, minimum, maximum
  and last value, drawn as one vertical stroke at one x. A run starts at a point
  whose rounded position is ``p`` and takes every following point whose value is
  below ``posToVal(p + 1)``: in steady state pixel ``p`` collects the positions
  ``[p, p + 1)`` (a floor, not a rounding).
* With fewer, it draws every point at its *rounded* position (``[p - 0.5, p + 0.5)``
  go to pixel ``p``).

Gaps (null) are clipped by ``findGaps``, from the rounded positions of the
points next to each null run, and the line enters and leaves the plot from the
nearest non-null points outside it (``getOuterIdxs``).

The kernel's M4 reply gives, per column of time, the first, minimum, maximum and
last value at the times of the column's first and last samples, and NaN points
where the column meets NaN. Its draw equals the raw draw when:

1. both draws decimate (the raw one does: many samples per pixel; the reply
   needs more than 4 points per pixel too, else its points are placed by
   rounding while the raw runs are placed by the floor rule above, and a vertical
   stroke lands one pixel off: the failure message says which mode uPlot used);
2. uPlot's runs are unions of whole columns: every pixel edge (integer position,
   where ``posToVal(p + 1)`` lands) is a column edge. Then each run's first,
   minimum, maximum and last value are the same from the raw samples and from
   the columns' M4 values, and a run starts at the same time (the first sample
   of a column) in both draws, so at the same x;
3. every point of a column rounds to the same pixel, so the reply's gap points
   (at the column's first or last sample's time) clip the same pixels as the
   raw samples next to the gap: no column may straddle a half-pixel.

(2) and (3) together need columns at most half a pixel wide with edges on every
integer and half-integer position: :data:`COLS_PER_PX` = 2 columns per pixel
and an x scale starting on a column edge, ``w.detail(LO, HI, 2 * PX)`` for a
plot ``PX`` device pixels wide. (Measured: with one column per pixel and the
scale shifted half a column, so that rounding maps each column to one pixel,
every decimated case differs by thousands of pixels even for an ideal M4,
because the raw draw's runs follow the floor rule and straddle the columns;
with one column per pixel on the edges, gaps and sparse replies differ.)

Every number is a binary fraction (sample times are whole multiples of
:data:`TICK` seconds from a first sample at 0, columns :data:`DT` seconds, the
plot :data:`PX` = 512 pixels), so positions, column edges and float32 time
offsets are exact and no point falls on the wrong side of an edge by rounding.

Run: ``python -m pytest -q tests/e2e/test_m4_pixels.py``.
"""

from __future__ import annotations

import base64
import os
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import harness as h
import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ENTRY = HERE / "m4page" / "entry.ts"
ESBUILD = REPO / "node_modules" / ".bin" / "esbuild"
UPLOT_CSS = REPO / "node_modules" / "uplot" / "dist" / "uPlot.min.css"

PX = 512
"""Plot area width, device pixels (devicePixelRatio 1); a power of two keeps positions exact."""

SEC_PER_PX = 2.0**-6
"""Seconds per device pixel of the plot."""

COLS_PER_PX = 2
"""Kernel columns per pixel: two, so column edges fall on every integer and half-integer."""

DT = SEC_PER_PX / COLS_PER_PX
"""Seconds per column: what ``column_width(hi - lo, buckets)`` must give for the window."""

TICK = 2.0**-16
"""Sample times are whole multiples of this (exact in float64 and as float32 offsets)."""

K0 = 96
"""The window's first column on the global grid: data before it, so the line enters the plot."""

TAIL = 96
"""Columns of data after the window, so the line leaves it."""

HEIGHT = 320
"""Chart height, CSS pixels."""

MIN_INK = PX
"""Pixels a drawn line changes at least: a line across the plot touches every pixel column."""

COL_TICKS = round(DT / TICK)
COLS = PX * COLS_PER_PX
LO = K0 * DT
HI = (K0 + COLS) * DT
assert HI - LO == PX * SEC_PER_PX


# --------------------------------------------------------------------------- data


@dataclass
class Case:
    """One data set: the frame, its channels, and whether the kernel must decimate it."""

    df: pd.DataFrame
    channels: list[str]
    decimated: bool = True


def _ticks(per_col: Callable[[np.ndarray], np.ndarray] | float, rng: np.random.Generator) -> Any:
    """Strictly increasing sample times (in ticks) over columns 0 .. K0 + COLS + TAIL.

    ``per_col``: samples per column, a number or a function of the column index.
    Each sample sits at a random tick inside its own slot of the column, so the
    sampling is uneven (jittered). A sample may sit exactly on a column edge: times
    are exact, so the kernel (first row at or after the edge) and uPlot (a run ends
    below ``posToVal(p + 1)``) both put it in the column on its right.
    """
    ncols = K0 + COLS + TAIL
    cols = np.arange(ncols)
    counts = per_col(cols) if callable(per_col) else np.full(ncols, per_col)
    counts = np.clip(np.asarray(counts, dtype=np.int64), 0, COL_TICKS)
    out = []
    for c, n in zip(cols, counts, strict=True):
        if n == 0:
            continue
        edges = np.linspace(0, COL_TICKS, n + 1).astype(np.int64)
        widths = np.maximum(edges[1:] - edges[:-1], 1)
        out.append(c * COL_TICKS + edges[:-1] + rng.integers(0, widths))
    ticks = np.concatenate(out)
    ticks[0] = 0  # relative seconds (what the kernel cuts into columns) are then these times
    assert np.all(np.diff(ticks) > 0)
    return ticks


def _quantized(v: np.ndarray) -> np.ndarray:
    """Values on a 1/256 grid: the same in float32 and float64, so dtypes cannot differ."""
    return np.round(v * 256) / 256


def _walk(n: int, rng: np.random.Generator, spikes: int = 0) -> np.ndarray:
    """A random walk; with ``spikes``, that many single samples far up or down."""
    v = np.cumsum(rng.normal(0, 1, n))
    if spikes:
        at = rng.choice(np.arange(1, n - 1), spikes, replace=False)
        v[at] += np.where(np.arange(spikes) % 2 == 0, 40.0, -40.0)
    return _quantized(v)


def _frame(ticks: np.ndarray, **channels: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"t": ticks * TICK, **channels})


def _in_window(ticks: np.ndarray) -> np.ndarray:
    t = ticks * TICK
    return np.flatnonzero((t >= LO) & (t < HI))


def case_walk_spikes(rng: np.random.Generator) -> Case:
    ticks = _ticks(48, rng)
    return Case(_frame(ticks, v=_walk(ticks.size, rng, spikes=60)), ["v"])


def case_steps(rng: np.random.Generator) -> Case:
    # A square wave whose half period (13.3 columns) puts its edges inside columns.
    ticks = _ticks(40, rng)
    half = round(13.3 * COL_TICKS)
    v = np.where((ticks // half) % 2 == 0, -5.0, 5.0)
    return Case(_frame(ticks, v=v), ["v"])


def case_nan_gaps(rng: np.random.Generator) -> Case:
    ticks = _ticks(36, rng)
    v = _walk(ticks.size, rng, spikes=20)
    col = ticks // COL_TICKS
    win = _in_window(ticks)
    v[win[0]] = np.nan  # the window's first sample
    v[win[-1]] = np.nan  # and its last
    for c in K0 + np.arange(7, COLS - 7, 37):  # single NaN samples inside columns
        v[np.flatnonzero(col == c)[11]] = np.nan
    for c in K0 + np.arange(20, COLS - 20, 53):  # runs of NaN across a column edge
        rows = np.flatnonzero((col == c) | (col == c + 1))
        v[rows[25:55]] = np.nan
    for c in K0 + np.array([100, 401, 402, 777]):  # whole columns of NaN
        v[col == c] = np.nan
    return Case(_frame(ticks, v=v), ["v"])


def case_nan_outside(rng: np.random.Generator) -> Case:
    # NaN in the last samples before the window and the first after it: uPlot's own
    # draw reaches through them to the nearest values (getOuterIdxs), which both
    # round into the plot's first or last pixel.
    ticks = _ticks(40, rng)
    v = _walk(ticks.size, rng, spikes=20)
    win = _in_window(ticks)
    v[win[0] - 3 : win[0]] = np.nan
    v[win[-1] + 1 : win[-1] + 4] = np.nan
    # The values beyond them stand out, so a draw that reaches them shows it.
    v[win[0] - 4] = np.nanmax(v[win[:20]]) + 30
    v[win[-1] + 4] = np.nanmin(v[win[-20:]]) - 30
    return Case(_frame(ticks, v=v), ["v"])


def case_uneven(rng: np.random.Generator) -> Case:
    # Density from 20 to 200 samples per column, some columns empty, some with one sample.
    def per_col(c: np.ndarray) -> np.ndarray:
        n = 110 + 90 * np.sin(c / 37.0)
        n[(c % 29) == 5] = 0
        n[(c % 31) == 9] = 1
        return n

    ticks = _ticks(per_col, rng)
    return Case(_frame(ticks, v=_walk(ticks.size, rng, spikes=30)), ["v"])


def case_int16(rng: np.random.Generator) -> Case:
    ticks = _ticks(40, rng)
    v = np.clip(np.round(_walk(ticks.size, rng, spikes=40) * 50), -32768, 32767)
    return Case(_frame(ticks, v=v.astype(np.int16)), ["v"])


def case_channels(rng: np.random.Generator) -> Case:
    # Three channels of three dtypes on one shared time axis.
    ticks = _ticks(32, rng)
    walk = _walk(ticks.size, rng, spikes=30).astype(np.float32)
    half = round(10.7 * COL_TICKS)
    steps = np.where((ticks // half) % 2 == 0, -20, 20).astype(np.int16)
    gappy = _walk(ticks.size, rng, spikes=10) + 10
    col = ticks // COL_TICKS
    for c in K0 + np.arange(15, COLS - 15, 41):
        rows = np.flatnonzero(col == c)
        gappy[rows[5:9]] = np.nan
    gappy[col == K0 + 300] = np.nan
    return Case(_frame(ticks, walk=walk, steps=steps, gappy=gappy), ["walk", "steps", "gappy"])


def case_sparse(rng: np.random.Generator) -> Case:
    # Under 4 samples per pixel: the kernel sends the raw samples; both draws match trivially.
    ticks = _ticks(lambda c: 1 + (c % 3 == 0), rng)
    return Case(_frame(ticks, v=_walk(ticks.size, rng, spikes=10)), ["v"], decimated=False)


CASES: dict[str, Callable[[np.random.Generator], Case]] = {
    "walk-spikes": case_walk_spikes,
    "steps": case_steps,
    "nan-gaps": case_nan_gaps,
    "nan-outside": case_nan_outside,
    "uneven": case_uneven,
    "int16": case_int16,
    "channels": case_channels,
    "sparse": case_sparse,
}


# --------------------------------------------------------------------------- page


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


@pytest.fixture(scope="module")
def bundle() -> str:
    """``m4page/entry.ts`` and what it imports from ``js/``, bundled by esbuild (an IIFE)."""
    if not ESBUILD.exists():
        pytest.fail(f"{ESBUILD} is missing: run npm ci", pytrace=False)
    with tempfile.TemporaryDirectory(prefix="m4page-") as tmp:
        out = Path(tmp) / "m4page.js"
        cmd = [str(ESBUILD), str(ENTRY), "--bundle", "--format=iife", "--global-name=M4Page"]
        cmd += ["--target=es2022", "--log-level=warning", f"--outfile={out}"]
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"esbuild failed:\n{proc.stdout}\n{proc.stderr}"
        return out.read_text()


@pytest.fixture(scope="module")
def m4_page(browser: Any, bundle: str) -> Iterator[Any]:
    """A blank page (scale 1) holding the bundle and uPlot's CSS; no server."""
    if not os.path.exists(h.CHROMIUM):
        pytest.fail(f"{h.CHROMIUM} is missing (apt-get install chromium)", pytrace=False)
    context = browser.new_context(viewport=h.VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    html = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<style>{UPLOT_CSS.read_text()}</style></head>"
        f"<body><div id='charts'></div><script>{bundle}</script></body></html>"
    )
    page.set_content(html)
    assert page.evaluate("typeof M4Page.compare") == "function", errors
    try:
        yield page
    finally:
        context.close()


# --------------------------------------------------------------------------- drawing


Detail = Callable[[Any, float, float, int], tuple[dict[str, Any], list[Any]]]


def public_detail(w: Any, lo: float, hi: float, buckets: int) -> tuple[dict[str, Any], list[Any]]:
    """The reply the browser gets: ``w.detail`` in the layout the browser asks for (compact)."""
    header, bufs = w.detail(lo, hi, buckets, compact=True)
    return dict(header), list(bufs)


def draw(page: Any, case: Case, detail: Detail = public_detail) -> dict[str, Any]:
    """Ask the widget for the window, draw raw samples and reply in the page, compare.

    ``detail`` makes the reply (default: the public ``w.detail``); another layout
    can be passed to see what the test says of it.
    """
    from tsvideo_widget import TimeSeriesVideo

    w = TimeSeriesVideo(case.df, time="t", channels=case.channels)
    header, bufs = detail(w, LO, HI, COLS)
    raw_x = np.asarray(w.series.rel_at(slice(None)), dtype=np.float64)
    raw_ys = [np.asarray(v) for v in w.series.values]
    finite = [v[np.isfinite(v)] for v in raw_ys]
    ymin = float(min(f.min() for f in finite)) - 1.0
    ymax = float(max(f.max() for f in finite)) + 1.0
    spec = {
        "channels": case.channels,
        "plotWidth": PX,
        "height": HEIGHT,
        "xmin": LO,
        "xmax": HI,
        "ymin": ymin,
        "ymax": ymax,
        "raw": {
            "x": _b64(raw_x),
            "ys": [_b64(v) for v in raw_ys],
            "dtypes": [v.dtype.name for v in raw_ys],
        },
        "reply": {
            "header": header,
            "buffers": [_b64(np.frombuffer(b, dtype=np.uint8)) for b in bufs],
        },
    }
    res: dict[str, Any] = page.evaluate("(spec) => M4Page.compare(spec)", spec)
    in_window = int(np.count_nonzero((raw_x >= LO) & (raw_x < HI)))
    res.update(header=header, samples=raw_x.size, in_window=in_window, ylim=[ymin, ymax])
    return res


def summary(name: str, res: dict[str, Any]) -> str:
    """One line saying what was drawn and how the canvases compare."""
    hd = res["header"]
    return (
        f"{name}: {res['in_window']} raw samples in the window, reply {hd['points']} points "
        f"(dt {hd['dt']}, bucket {hd['bucket']}, {hd['points'] / PX:.2f} per pixel: uPlot "
        f"{'decimates' if hd['points'] > 4 * PX else 'draws every point'}), ink {res['ink']} px, "
        f"differing {res['differing']} px ({res['strong']} by more than 64 levels)"
        + (f" in plot columns {res['columns'][:20]}" if res["differing"] else "")
    )


# --------------------------------------------------------------------------- the test


@pytest.mark.parametrize("name", list(CASES))
def test_reply_draws_like_raw_samples(m4_page: Any, name: str) -> None:
    """The detail chart drawn from ``w.detail``'s reply equals it drawn from every sample."""
    case = CASES[name](np.random.default_rng(zlib.crc32(name.encode())))
    res = draw(m4_page, case)
    print(summary(name, res))
    hd = res["header"]

    # The setting the claim needs: scale 1, a plot exactly PX wide, both charts on the same scales.
    assert res["devicePixelRatio"] == 1
    assert res["bbox"]["width"] == PX, f"plot area is {res['bbox']} (wanted {PX} px wide)"
    want = [LO, HI, *res["ylim"]]
    assert res["scales"]["raw"] == want and res["scales"]["reply"] == want, res["scales"]
    if case.decimated:
        assert hd["dt"] == DT, f"columns of {hd['dt']} s, not {DT}: they are not half a pixel"
        assert hd["points"] < res["in_window"] / 4, (
            f"the reply ({hd['points']} points) is not much smaller than the "
            f"{res['in_window']} raw samples"
        )
    else:
        assert hd["dt"] == 0 and hd["bucket"] == 1, f"expected raw samples, got {hd}"
    assert res["ink"] >= MIN_INK, f"the raw chart drew almost nothing ({res['ink']} px)"

    assert res["differing"] == 0, (
        f"{summary(name, res)}; first differing pixels (canvas x, y, raw RGBA, reply RGBA): "
        + "; ".join(f"({d['x']}, {d['y']}) {d['raw']} vs {d['reply']}" for d in res["first"])
    )
