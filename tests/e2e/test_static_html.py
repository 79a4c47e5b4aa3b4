"""End-to-end: the static HTML export (``w.to_html``) in Chromium, with no kernel and no network.

The widgets are built in this test process (no Jupyter), exported beside a
copy of their media, and the page is opened from ``file://`` or from a local
HTTP server with Range support (:class:`statickit.RangeServer`). Each browser
context may reach only ``file:``/``blob:``/``data:`` URLs and that server;
every test asserts that nothing else was requested.

Run: ``python -m pytest -q tests/e2e/test_static_html.py``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import harness as h
import numpy as np
import pandas as pd
import pytest
import statickit as sk
import widgetkit as wk

pytestmark = pytest.mark.e2e

FRAME = 1 / 25  # one video frame of the sample (25 fps), in media seconds
PX_TOL = 3.0  # pixel tolerance for positions on screen
MIN_INK = 100  # coloured pixels a chart with data has at least (an empty one has 0)
BIG_N = 2_000_000  # rows of the large synthetic series
MB = 1_000_000


# --------------------------------------------------------------------------- exports


@dataclass
class Site:
    """A folder holding an exported page beside a copy of its media."""

    dir: Path
    html: Path
    span: float  # the series' span, seconds
    region: dict[str, Any]  # the one region given in Python


def _sample() -> Any:
    try:
        return wk.load_sample()
    except h.HarnessError as exc:
        pytest.fail(f"the widget is not ready: {exc}", pytrace=False)


def _tsv() -> Any:
    import tsvideo_widget

    return tsvideo_widget


@pytest.fixture(scope="module")
def sample() -> Any:
    return _sample()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sample: Any) -> Site:
    """The quickstart-like sample widget (video, labels, one region) exported beside its video."""
    d = tmp_path_factory.mktemp("static-site")
    shutil.copy2(sample.video, d / "walk.mp4")
    w = _tsv().TimeSeriesVideo(
        str(sample.data),
        media=str(d / "walk.mp4"),
        channels=["height", "ax"],
        labels=["Walk", "Run"],
        regions=[{"start": 1.0, "end": 3.0, "label": "Walk"}],
    )
    html = w.to_html(d / "page.html")
    return Site(dir=d, html=Path(html), span=float(w.series.span), region=dict(w.regions[0]))


@pytest.fixture(scope="module")
def http_site(site: Site) -> Iterator[sk.RangeServer]:
    with sk.RangeServer(site.dir) as server:
        yield server


@pytest.fixture
def open_static(
    browser: Any, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Any]]:
    """Open guarded pages (``open_static(origins=...)``); saved as artifacts when the test fails."""
    pages: list[sk.StaticPage] = []
    failed_before = request.session.testsfailed
    base = tmp_path_factory.getbasetemp() / "e2e-artifacts"
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.name)[:100]

    def make(origins: tuple[str, ...] = ()) -> sk.StaticPage:
        sp = sk.open_page(browser, base / f"{name}-{len(pages)}", origins)
        pages.append(sp)
        return sp

    yield make
    for sp in pages:
        try:
            if request.session.testsfailed > failed_before:
                sp.save_artifacts()
        finally:
            sp.context.close()


# --------------------------------------------------------------------------- helpers


def load(sp: sk.StaticPage, url: str, views: int = 1, media: bool = True) -> None:
    """Open ``url`` and wait until ``views`` widgets drew both charts (and loaded their media)."""
    page = sp.page
    page.goto(url, wait_until="load")
    ok, n = h.wait_until(lambda: sk.roots(page), lambda n: n == views, timeout=10)
    assert ok, f"{n} widget roots in the page, expected {views}{sp.why()}"
    for v in range(views):
        ok, got = h.wait_until(
            lambda v=v: (sk.ink(page, "detail", v), sk.ink(page, "overview", v)),
            lambda p: min(p) >= MIN_INK,
            timeout=10,
        )
        assert ok, (
            f"view {v}: the charts drew no data (coloured pixels detail, overview = {got}, "
            f"expected >= {MIN_INK} each){sp.why()}"
        )
        if media:
            ok, m = sk.wait_media(
                page,
                lambda m: m.get("readyState", 0) >= 1 and (m.get("duration") or 0) > 0,
                timeout=10,
                view=v,
            )
            assert ok, (
                f"view {v}: the media never loaded its metadata: {m}; "
                f"error note: {sk.error_text(page, v)!r}{sp.why()}"
            )


def assert_offline(sp: sk.StaticPage) -> None:
    assert not sp.guard.external, (
        f"the page requested something that is neither local nor the test's server: "
        f"{sp.guard.external}"
    )


def plot(page: Any, name: str, view: int = 0) -> dict[str, float]:
    """Box of chart ``name``'s plotting area (uPlot's .u-over), where data times map."""
    return sk.box(page, f'[data-part="{name}"] .u-over', view)


def drag_range(sp: sk.StaticPage, handle: str, dx: float, span: float, view: int = 0) -> Any:
    """Drag the overview's ``handle`` (range, range-start, range-end) ``dx`` px; returns
    ``(window before, expected window, window after)`` once the detail shows it."""
    page = sp.page
    page.evaluate(
        """([view, sel]) => document.querySelectorAll('[data-part="root"]')[view]
             .querySelector(sel).scrollIntoView({block: 'center'})""",
        [view, sk.part(handle)],
    )
    ov = plot(page, "overview", view)
    px_per = ov["width"] / span
    before = sk.window(page, view)
    x0, y0 = sk.center(sk.box(page, sk.part(handle), view))
    h.drag(page, x0, y0, x0 + dx, y0, steps=8)
    lo, hi = before
    d = dx / px_per
    want = {"range": (lo + d, hi + d), "range-start": (lo + d, hi), "range-end": (lo, hi + d)}[
        handle
    ]
    tol = PX_TOL / px_per
    ok, after = h.wait_until(
        lambda: sk.window(page, view),
        lambda w: abs(w[0] - want[0]) <= tol and abs(w[1] - want[1]) <= tol,
        timeout=5,
    )
    assert ok, (
        f"dragging {handle} of view {view} by {dx} px ({px_per:.2f} px/s on a {ov['width']:.0f} "
        f"px overview): the detail window went {before} -> {after}, expected {want} ± {tol:.3f}"
        f"{sp.why()}"
    )
    return before, want, after


def wait_media_time(
    sp: sk.StaticPage, target: float, tol: float = FRAME, view: int = 0
) -> dict[str, Any]:
    ok, m = sk.wait_media(
        sp.page,
        lambda m: abs(m["currentTime"] - target) <= tol and not m["seeking"],
        timeout=10,
        view=view,
    )
    assert ok, f"the media should show {target:.3f} s (± {tol:.3f}), it is at {m}{sp.why()}"
    return m


def proportional(t: float, duration: float, span: float) -> float:
    """Media time of data time ``t`` under the default (proportional) mapping."""
    return t * duration / span


def page_states(html: Path) -> list[dict[str, Any]]:
    """The widget states embedded in an exported page, as JSON."""
    text = html.read_text(encoding="utf-8")
    found = re.findall(
        r'<script type="application/vnd\.tsvideo-widget\+json"[^>]*>(.*?)</script>', text, re.S
    )
    return [json.loads(f.replace("<\\/", "</"))["state"] for f in found]


def overview_times(html: Path) -> np.ndarray:
    """Relative times of the overview's points in the page (what it holds without tiles)."""
    ov = page_states(html)[0]["_overview"]
    x = ov["x"]
    raw = base64.b64decode(x["__b64__"] if isinstance(x, dict) else x)
    return float(ov.get("x0", 0.0)) + np.frombuffer(raw, dtype=np.float32).astype(np.float64)


# --------------------------------------------------------------------------- a. file://


def test_file_page_draws_and_range_drag_moves_detail_and_seeks(
    site: Site, open_static: Any
) -> None:
    sp = open_static()
    page = sp.page
    load(sp, site.html.as_uri())
    m = sk.media(page)
    assert m["tag"] == "video" and m["src"] == (site.dir / "walk.mp4").as_uri(), (
        f"the media element should play the video beside the page: {m}"
    )
    assert sk.error_text(page) is None, f"error note shown: {sk.error_text(page)!r}"
    duration = float(m["duration"])
    assert abs(duration - 30.0) < 0.2, f"media duration {duration}, expected ~30 s"
    assert sk.window(page) == pytest.approx((0.0, 5.0)), "the default window is the first 5 s"
    # The media starts where the window starts.
    wait_media_time(sp, 0.0)

    sig0 = sk.signature(page, "detail")
    range0 = sk.box(page, sk.part("range"))
    before, _, after = drag_range(sp, "range", 150.0, site.span)
    assert after[1] - after[0] == pytest.approx(before[1] - before[0], abs=1e-6), (
        f"moving the range changed its width: {before} -> {after}"
    )
    range1 = sk.box(page, sk.part("range"))
    assert abs(range1["x"] - range0["x"] - 150.0) <= PX_TOL, (
        f"the range box should follow the mouse 150 px: {range0} -> {range1}"
    )
    h.wait_until(lambda: sk.signature(page, "detail"), lambda s: s != sig0, timeout=5)
    assert sk.signature(page, "detail") != sig0, "the detail chart was not redrawn"
    # The media follows the window's start, proportionally (span -> duration).
    m = wait_media_time(sp, proportional(after[0], duration, site.span))
    assert m["currentTime"] > 1.0, f"the media should have moved on from 0: {m}"

    # Resizing by the end handle widens the window and leaves its start (and the media) alone.
    _, _, resized = drag_range(sp, "range-end", 60.0, site.span)
    assert resized[0] == pytest.approx(after[0], abs=1e-6) and resized[1] > after[1] + 1.0
    wait_media_time(sp, proportional(resized[0], duration, site.span))
    assert sk.ink(page, "detail") >= MIN_INK, "the detail lost its data after the resize"
    assert_offline(sp)


def test_file_page_regions_are_read_only_and_seek_on_click(site: Site, open_static: Any) -> None:
    sp = open_static()
    page = sp.page
    load(sp, site.html.as_uri())
    duration = float(sk.media(page)["duration"])
    wait_media_time(sp, 0.0)
    regions = page.locator(f"{sk.part('detail')} {sk.part('region')}")

    # The region given in Python is drawn where it belongs (1 s .. 3 s of the 0 .. 5 s window).
    assert regions.count() == 1, f"{regions.count()} regions drawn, expected the one from Python"
    assert regions.first.get_attribute("data-id") == site.region["id"]
    det = plot(page, "detail")
    lo, hi = sk.window(page)

    def x_at(t: float) -> float:
        return det["x"] + (t - lo) / (hi - lo) * det["width"]

    r = sk.box(page, sk.part("region"))
    assert abs(r["x"] - x_at(1.0)) <= PX_TOL and abs(r["x"] + r["width"] - x_at(3.0)) <= PX_TOL, (
        f"region 1..3 s drawn at {r}, expected x {x_at(1.0):.1f} .. {x_at(3.0):.1f}"
    )
    assert page.locator(f"{sk.part('overview-regions')} > *").count() == 1
    assert not page.locator(sk.part("labelbar")).is_visible(), (
        "a static page shows no label bar: regions cannot be edited"
    )

    # A drag across an empty stretch (3.4 .. 4.7 s) draws nothing, neither while the button is
    # down (no preview) nor after.
    y = det["y"] + det["height"] / 2
    page.mouse.move(x_at(3.4), y)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(x_at(3.4) + (x_at(4.7) - x_at(3.4)) * i / 8, y)
    sk.frames(page)
    during = regions.count()
    page.mouse.up()
    sk.frames(page)
    assert (during, regions.count()) == (1, 1), (
        f"a drag on the detail chart of a static page drew a region: {during} regions during the "
        f"drag, {regions.count()} after (expected 1: the one from Python){sp.why()}"
    )
    assert page.locator(f"{sk.part('overview-regions')} > *").count() == 1
    assert sk.window(page) == pytest.approx((lo, hi)), "the drag on the detail moved the window"

    # Clicking the region seeks the media to its start (the window stays).
    page.mouse.click(*sk.center(r))
    wait_media_time(sp, proportional(float(site.region["start"]), duration, site.span))
    assert regions.count() == 1
    assert sk.window(page) == pytest.approx((lo, hi)), "clicking a region moved the window"
    assert_offline(sp)


# --------------------------------------------------------------------------- b. HTTP (Range)


def test_http_page_renders_drags_and_seeks(
    site: Site, http_site: sk.RangeServer, open_static: Any
) -> None:
    # The server really answers ranges (what Chromium needs to seek).
    req = urllib.request.Request(http_site.url("walk.mp4"), headers={"Range": "bytes=10-19"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=5) as resp:
        assert resp.status == 206 and len(resp.read()) == 10
        assert resp.headers["Content-Range"].startswith("bytes 10-19/")

    sp = open_static(origins=(http_site.origin,))
    page = sp.page
    load(sp, http_site.url("page.html"))
    m = sk.media(page)
    assert m["src"] == http_site.url("walk.mp4"), f"media should come from the server: {m}"
    assert sk.error_text(page) is None, f"error note shown: {sk.error_text(page)!r}"
    duration = float(m["duration"])

    _, _, after = drag_range(sp, "range", 200.0, site.span)
    target = proportional(after[0], duration, site.span)
    assert target > 3.0
    wait_media_time(sp, target)
    # It stays there (a server without Range support makes Chromium snap back to 0).
    times = sk.observe(lambda: sk.media(page)["currentTime"], 0.5)
    assert all(abs(t - target) <= FRAME for t in times), (
        f"the media left {target:.3f} s after seeking there: {times}"
    )
    media_log = [e for e in http_site.log if e[1] == "/walk.mp4"]
    assert any(code == 206 for *_, code in media_log), (
        f"the browser never got a partial response for the media: {media_log}"
    )
    assert_offline(sp)


# --------------------------------------------------------------------------- c. zoom refines


@dataclass
class Big:
    widget: Any
    pages: dict[str, Path]  # "tiles" (default budget), "overview-only" (budget_mb=0)
    span: float


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Big:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "time": np.arange(BIG_N) / 1000.0,
            **{c: np.cumsum(rng.normal(size=BIG_N)).astype(np.float32) for c in ("ax", "ay", "az")},
        }
    )
    w = _tsv().TimeSeriesVideo(df, selection=(0.0, (BIG_N - 1) / 1000.0))
    d = tmp_path_factory.mktemp("static-big")
    pages = {
        "tiles": Path(w.to_html(d / "big.html")),
        "overview-only": Path(w.to_html(d / "big0.html", budget_mb=0)),
    }
    return Big(widget=w, pages=pages, span=float(w.series.span))


def test_large_page_stays_within_budget(big: Big) -> None:
    from tsvideo_widget.export import DEFAULT_BUDGET_MB

    size = big.pages["tiles"].stat().st_size
    bare = big.pages["overview-only"].stat().st_size
    assert size <= DEFAULT_BUDGET_MB * MB + 1 * MB, (
        f"a {BIG_N:,}-row page with the default budget ({DEFAULT_BUDGET_MB} MB) is "
        f"{size / MB:.2f} MB, over the budget + 1 MB"
    )
    assert size > bare + 0.25 * DEFAULT_BUDGET_MB * MB, (
        f"the default budget embedded little detail: {size / MB:.2f} MB against "
        f"{bare / MB:.2f} MB with budget_mb=0"
    )


@pytest.mark.parametrize("which", ["tiles", "overview-only"])
def test_zoom_refines_from_embedded_tiles(big: Big, which: str, open_static: Any) -> None:
    sp = open_static()
    page = sp.page
    load(sp, big.pages[which].as_uri(), media=False)
    assert sk.window(page) == pytest.approx((0.0, big.span))

    # Ctrl+wheel over the middle of the detail: 4 x 1.0015^-500, the window shrinks ~20x.
    det = plot(page, "detail")
    page.mouse.move(*sk.center(det))
    page.keyboard.down("Control")
    try:
        for _ in range(4):
            page.mouse.wheel(0, -500)
    finally:
        page.keyboard.up("Control")
    settled = (
        (lambda d: d["source"] == "detail")
        if which == "tiles"
        else (lambda d: "error" in d)  # the page answers: nothing embedded for this window
    )
    ok, d = h.wait_until(
        lambda: sk.detail_state(page),
        lambda d: d["hi"] - d["lo"] < big.span / 10 and settled(d),
        timeout=10,
    )
    assert ok, f"zooming in did not settle on a narrow window: {d}{sp.why()}"
    lo, hi = d["lo"], d["hi"]
    assert 0 < lo < hi < big.span and hi - lo < 150

    # The cursor snaps to drawn points: count the distinct ones across the plot.
    n = 600
    seen = sk.points_under_cursor(page, n)
    times = overview_times(big.pages[which])
    in_window = int(((times >= lo) & (times <= hi)).sum())
    assert in_window > 20, f"the overview has only {in_window} points in {lo}..{hi}"
    if which == "tiles":
        # Twice the overview's points (four per column since M4): the detail is finer.
        assert len(seen) > 2 * in_window, (
            f"zoomed to {lo:.2f}..{hi:.2f} s the detail draws {len(seen)} distinct points under "
            f"{n} cursor positions, the overview has {in_window} there: the embedded tiles did "
            f"not refine it (detail data-*: {d}){sp.why()}"
        )
    else:
        # The control: with nothing embedded the view can only draw the overview's points.
        assert len(seen) <= in_window + 2, (
            f"budget_mb=0 embeds no detail, yet {len(seen)} distinct points were drawn in a "
            f"window where the overview has {in_window}"
        )
        assert d["source"] == "overview", d
    assert_offline(sp)


# --------------------------------------------------------------------------- d. two widgets


def _marker(text: str, length: int = 160) -> str:
    """A stretch of ``text`` with no '<' (so no escaping can change it), from its middle."""
    for start in range(len(text) // 2, len(text) - length):
        chunk = text[start : start + length]
        if "<" not in chunk:
            return chunk
    raise AssertionError("no marker found")


def test_two_widgets_share_one_bundle_and_both_render(
    sample: Any, tmp_path: Path, open_static: Any
) -> None:
    tsv = _tsv()
    shutil.copy2(sample.video, tmp_path / "walk.mp4")
    shutil.copy2(sample.audio, tmp_path / "walk.ogg")
    w1 = tsv.TimeSeriesVideo(str(sample.data), media=str(tmp_path / "walk.mp4"))
    t = np.arange(20_000) / 100.0
    w2 = tsv.TimeSeriesVideo(
        {"time": t, "sine": np.sin(t), "saw": (t % 7.0) - 3.5},
        media=str(tmp_path / "walk.ogg"),
        window=3,
    )
    html = Path(tsv.to_html(tmp_path / "two.html", w1, w2))
    text = html.read_text(encoding="utf-8")
    static = Path(tsv.__file__).parent / "static"
    js = _marker((static / "widget.js").read_text(encoding="utf-8"))
    css = _marker((static / "widget.css").read_text(encoding="utf-8"), 60)
    counts = {
        "bundle": text.count(js),
        "css": text.count(css),
        "bundle element": text.count('id="tsv-bundle"'),
        "state": text.count('<script type="application/vnd.tsvideo-widget+json"'),
    }
    assert counts == {"bundle": 1, "css": 1, "bundle element": 1, "state": 2}, counts

    sp = open_static()
    page = sp.page
    load(sp, html.as_uri(), views=2)
    tags = [sk.media(page, v)["tag"] for v in (0, 1)]
    assert tags == ["video", "audio"], tags
    assert [sk.error_text(page, v) for v in (0, 1)] == [None, None]
    # They are independent: dragging the second's range leaves the first's window alone.
    first = sk.window(page, 0)
    drag_range(sp, "range", 80.0, float(w2.series.span), view=1)
    assert sk.window(page, 0) == pytest.approx(first), "the first widget's window moved"
    assert_offline(sp)


# --------------------------------------------------------------------------- e. media gone


def test_page_moved_away_from_its_media_says_so_and_still_works(
    sample: Any, tmp_path: Path, open_static: Any
) -> None:
    src = tmp_path / "with-media"
    src.mkdir()
    shutil.copy2(sample.video, src / "walk.mp4")
    w = _tsv().TimeSeriesVideo(str(sample.data), media=str(src / "walk.mp4"))
    w.to_html(src / "page.html")
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    os.replace(src / "page.html", moved / "page.html")

    sp = open_static()
    page = sp.page
    load(sp, (moved / "page.html").as_uri(), media=False)
    ok, note = h.wait_until(lambda: sk.error_text(page), lambda t: bool(t), timeout=10)
    assert ok, f"no [data-part=error] note for the missing media; media: {sk.media(page)}"
    assert "walk.mp4" in str(note), f"the note should name the file: {note!r}"
    assert page.locator(sk.part("error")).is_visible(), "the note is not visible"
    # The charts still work.
    drag_range(sp, "range", 120.0, float(w.series.span))
    assert sk.ink(page, "detail") >= MIN_INK
    assert_offline(sp)


# --------------------------------------------------------------------------- f. bytes media


def test_bytes_media_needs_media_href(sample: Any, tmp_path: Path, open_static: Any) -> None:
    w = _tsv().TimeSeriesVideo(
        str(sample.data), media=Path(sample.video).read_bytes(), media_kind="video"
    )
    bare = Path(w.to_html(tmp_path / "bare.html"))
    shutil.copy2(sample.video, tmp_path / "clip.mp4")
    linked = Path(w.to_html(tmp_path / "linked.html", media_href="clip.mp4"))
    assert "clip.mp4" not in bare.read_text(encoding="utf-8")

    sp = open_static()
    page = sp.page
    load(sp, bare.as_uri(), media=False)
    ok, note = h.wait_until(lambda: sk.error_text(page), lambda t: bool(t), timeout=10)
    assert ok and "media_href" in str(note), (
        f"media held as bytes, exported without media_href: the note should say to pass "
        f"media_href, got {note!r}; media {sk.media(page)}"
    )

    load(sp, linked.as_uri())
    m = sk.media(page)
    assert m["src"] == (tmp_path / "clip.mp4").as_uri() and abs(m["duration"] - 30.0) < 0.2, m
    assert sk.error_text(page) is None, f"error note shown: {sk.error_text(page)!r}"
    page.evaluate("() => document.querySelector('[data-part=\"media\"]').play()")
    ok, m = sk.wait_media(page, lambda m: not m["paused"] and m["currentTime"] > 0.3, timeout=10)
    assert ok, f"the media beside the page (media_href='clip.mp4') does not play: {m}"
    page.evaluate("() => document.querySelector('[data-part=\"media\"]').pause()")
    assert_offline(sp)
