"""End-to-end: the widget in a real JupyterLab, driven by a real mouse in Chromium.

Each widget test runs once with the video and once with the audio sample. The
assertions read the media element in the page and the traitlets in the
notebook's own kernel (``lab.json``).

Run: ``python -m pytest tests/e2e -m e2e``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import harness as h
import pytest
import widgetkit as wk

pytestmark = pytest.mark.e2e

FRAME = 1 / 25  # one video frame of the sample (25 fps), in media seconds
PX_TOL = 3.0  # pixel tolerance for positions on screen

KINDS = ["video", "audio"]


# --------------------------------------------------------------------------- helpers


@dataclass
class Shown:
    """A notebook showing ``w``, a TimeSeriesVideo of the sample, in ``lab``'s page."""

    lab: Any
    kind: str
    t0: float
    t_end: float

    @property
    def page(self) -> Any:
        return self.lab.page

    @property
    def span(self) -> float:
        return self.t_end - self.t0

    def selection(self) -> tuple[float, float]:
        a, b = self.lab.json("list(w.selection)")
        return float(a), float(b)

    def media_time(self) -> float:
        return wk.media_time(self.page)

    def box(self, name: str) -> dict[str, float]:
        return h.box(self.page, wk.part(name))

    def overview_plot(self) -> dict[str, float]:
        """Box of the overview's plotting area, which spans the whole series.

        That is uPlot's ``.u-over`` inside the overview when there is one (the
        strip keeps a few px of padding either side), else the overview itself.
        """
        return _plot_box(self.page, "overview")

    def overview_x(self, t: float) -> float:
        """Page x of data time ``t`` on the overview strip."""
        ov = self.overview_plot()
        return ov["x"] + (t - self.t0) / self.span * ov["width"]

    def px_per_data(self) -> float:
        """Overview pixels per data-time unit."""
        return self.overview_plot()["width"] / self.span

    def wait_media_time(self, target: float, tol: float = FRAME, timeout: float = 10.0) -> float:
        """Poll the media's currentTime until it is within ``tol`` of ``target``; returns it."""
        _, value = h.wait_until(self.media_time, lambda v: abs(v - target) <= tol, timeout)
        return value

    def wait_selection(self, ok: Any, timeout: float = 10.0) -> tuple[float, float]:
        """Poll the kernel's selection until ``ok(selection)``; returns the last one read."""
        _, value = h.wait_until(self.selection, ok, timeout, interval=0.15)
        return value


def _data_span(lab: Any) -> tuple[float, float]:
    import pandas as pd

    col = pd.read_csv(lab.srv.root / lab.srv.sample.data, usecols=["time"])["time"]
    return float(col.min()), float(col.max())


def show(lab: Any, kind: str, media: str | None = None, extra: str = "") -> Shown:
    """Write, open and run a notebook showing the sample with its ``kind`` media."""
    sample = lab.srv.sample
    media = media or (sample.video if kind == "video" else sample.audio)
    lab.run_notebook(f"widget_{kind}", wk.widget_cells(sample.data, media, extra))
    wk.wait_for_widget(lab.page)
    # Every mapping depends on the media's duration: wait until the kernel has it.
    ok, _ = h.wait_until(lambda: lab.json("w.media_duration"), lambda d: d is not None, timeout=15)
    if not ok:
        raise h.HarnessError(
            f"w.media_duration stayed None in the kernel for 15 s although the media element "
            f"has loaded its metadata: {wk.media_state(lab.page)}"
        )
    t0, t_end = _data_span(lab)
    return Shown(lab=lab, kind=kind, t0=t0, t_end=t_end)


@pytest.fixture(params=KINDS)
def shown(lab: Any, request: pytest.FixtureRequest) -> Shown:
    return show(lab, request.param)


def _center(b: dict[str, float]) -> tuple[float, float]:
    return b["x"] + b["width"] / 2, b["y"] + b["height"] / 2


# --------------------------------------------------------------------------- harness smoke


def test_harness_roundtrip(lab: Any) -> None:
    """The harness itself: a trivial notebook runs and kernel_exec/kernel_json round-trip."""
    lab.run_notebook("smoke", ["print(1 + 1)", "x = 41"])
    out = lab.page.locator(".jp-OutputArea-output").first.text_content()
    assert out.strip() == "2", f"first cell printed {out!r}"
    assert lab.exec("print(x + 1)").strip() == "42"
    assert lab.json("{'x': x, 'l': [1.5, None]}") == {"x": 41, "l": [1.5, None]}
    with pytest.raises(h.KernelError, match="ZeroDivisionError"):
        lab.exec("1 / 0")


# --------------------------------------------------------------------------- 1. renders


def test_renders(shown: Shown) -> None:
    page = shown.page
    missing = [
        name
        for name in ("root", "overview", "range", "detail", "media")
        if page.locator(wk.part(name)).count() == 0
    ]
    assert not missing, f"data-part elements missing: {missing}"
    tag = page.evaluate(f"() => document.querySelector('{wk.part('media')}').tagName")
    assert tag.lower() == shown.kind, f"media element is <{tag.lower()}>, expected <{shown.kind}>"
    assert page.locator(wk.part("error")).count() == 0, (
        f"error part shown: {page.locator(wk.part('error')).first.text_content()!r}"
    )
    duration = shown.lab.json("w.media_duration")
    assert abs(duration - 30.0) < 0.2, f"w.media_duration = {duration}, expected ~30.0 s"
    src = wk.media_state(page)["src"]
    assert "/files/" in src, f"media inside the server root should load via /files/, src={src!r}"


# --------------------------------------------------------------------------- 2. drag


def test_drag_range_moves_window_and_seeks(shown: Shown) -> None:
    page = shown.page
    start0, end0 = shown.selection()
    ov = shown.overview_plot()
    rng = shown.box("range")
    px_per = shown.px_per_data()
    room = (ov["x"] + ov["width"]) - (rng["x"] + rng["width"]) - 5
    dx = min(150.0, room)
    assert dx > 40, f"no room to drag the range right: overview={ov}, range={rng}"
    x0, y0 = _center(rng)
    media_before = shown.media_time()

    # A real drag in steps; check the media seeks while the button is still down.
    steps = 10
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, steps // 2 + 1):
        page.mouse.move(x0 + dx * i / steps, y0)
    ok_mid, media_mid = h.wait_until(
        shown.media_time, lambda v: abs(v - media_before) > FRAME / 2, timeout=3
    )
    for i in range(steps // 2 + 1, steps + 1):
        page.mouse.move(x0 + dx * i / steps, y0)
    page.mouse.up()

    expected_start = start0 + dx / px_per
    tol = PX_TOL / px_per
    start1, end1 = shown.wait_selection(lambda s: abs(s[0] - expected_start) <= tol)
    rng1 = shown.box("range")
    assert abs(start1 - expected_start) <= tol, (
        f"after dragging the range {dx:.1f} px right (overview plot {ov['width']:.1f} px for "
        f"{shown.span} s = {px_per:.3f} px/s), selection went from ({start0:.3f}, {end0:.3f}) "
        f"to ({start1:.3f}, {end1:.3f}); expected start {expected_start:.3f} ± {tol:.3f}. "
        f"Range box before {rng}, after {rng1}"
    )
    assert abs((end1 - start1) - (end0 - start0)) <= 0.5 / px_per, (
        f"dragging changed the width: {end0 - start0:.4f} -> {end1 - start1:.4f}"
    )
    target = shown.lab.json(f"w.data_to_media({start1!r})")
    media = shown.wait_media_time(target)
    assert abs(media - target) <= FRAME, (
        f"media currentTime {media:.4f} != data_to_media(selection[0]={start1:.4f}) = "
        f"{target:.4f} (tolerance one frame, {FRAME} s); media: {wk.media_state(page)}"
    )
    assert ok_mid, (
        f"the media did not seek during the drag (currentTime stayed {media_mid:.4f}, "
        f"was {media_before:.4f} before the drag)"
    )


# --------------------------------------------------------------------------- 3. resize


def test_resize_end_handle(shown: Shown) -> None:
    page = shown.page
    start0, end0 = shown.selection()
    ov = shown.overview_plot()
    handle = shown.box("range-end")
    px_per = shown.px_per_data()
    room = (ov["x"] + ov["width"]) - (handle["x"] + handle["width"]) - 5
    dx = min(120.0, room)
    assert dx > 40, f"no room to widen the range: overview={ov}, range-end handle={handle}"
    x0, y0 = _center(handle)
    h.drag(page, x0, y0, x0 + dx, y0, steps=8)

    expected_end = end0 + dx / px_per
    tol = PX_TOL / px_per
    start1, end1 = shown.wait_selection(lambda s: abs(s[1] - expected_end) <= tol)
    assert abs(end1 - expected_end) <= tol, (
        f"dragging range-end {dx:.1f} px right: selection ({start0:.3f}, {end0:.3f}) -> "
        f"({start1:.3f}, {end1:.3f}); expected end {expected_end:.3f} ± {tol:.3f} "
        f"({px_per:.3f} px/s); handle was at {handle}"
    )
    assert abs(start1 - start0) <= 0.5 / px_per, (
        f"resizing the end moved the start: {start0:.4f} -> {start1:.4f}"
    )


def test_a_range_a_few_pixels_wide_can_still_be_dragged_and_resized(shown: Shown) -> None:
    # A short window over long data leaves the range a few pixels wide: its body
    # must still be grabbable (not covered by the resize handles).
    page = shown.page
    shown.lab.exec("w.selection = (10.0, 10.25)")
    shown.wait_selection(lambda s: s == (10.0, 10.25))
    px_per = shown.px_per_data()
    h.wait_until(lambda: shown.box("range")["width"], lambda w: w < 20, timeout=5)
    rng = shown.box("range")
    assert rng["width"] < 20, f"the range should be narrow here: {rng}"
    x0, y0 = _center(rng)
    dx = 60.0
    h.drag(page, x0, y0, x0 + dx, y0, steps=6)
    tol = PX_TOL / px_per
    start1, end1 = shown.wait_selection(lambda s: abs(s[0] - (10.0 + dx / px_per)) <= tol)
    assert abs(start1 - (10.0 + dx / px_per)) <= tol and abs((end1 - start1) - 0.25) < 1e-6, (
        f"grabbing a {rng['width']:.1f} px range at its centre and dragging {dx} px should "
        f"move it by {dx / px_per:.3f} s keeping 0.25 s: got ({start1:.4f}, {end1:.4f})"
    )
    # Its end handle sits outside the body, and still resizes.
    handle = shown.box("range-end")
    body = shown.box("range")
    assert handle["x"] >= body["x"] + body["width"] - 1, (
        f"the end handle should lie right of a narrow range: handle {handle}, range {body}"
    )
    hx, hy = _center(handle)
    h.drag(page, hx, hy, hx + dx, hy, steps=6)
    s2 = shown.wait_selection(lambda s: s[1] - s[0] > 0.25 + dx / px_per / 2)
    assert abs(s2[0] - start1) <= 0.5 / px_per and s2[1] - s2[0] > 0.25 + dx / px_per / 2, (
        f"dragging the narrow range's end handle {dx} px right should widen it: {s2}"
    )


# --------------------------------------------------------------------------- 4. from Python


def test_selection_from_python_moves_range_and_seeks(shown: Shown) -> None:
    page = shown.page
    shown.lab.exec("w.selection = (10.0, 15.0)")
    expected_left = shown.overview_x(10.0)
    ok, left = h.wait_until(
        lambda: shown.box("range")["x"], lambda x: abs(x - expected_left) <= PX_TOL, timeout=10
    )
    assert ok, (
        f"after w.selection = (10, 15) the range's left edge is at {left:.1f} px, expected "
        f"{expected_left:.1f} ± {PX_TOL} (overview plot {shown.overview_plot()}); "
        f"range {shown.box('range')}"
    )
    target = shown.lab.json("w.data_to_media(10.0)")
    media = shown.wait_media_time(target)
    assert abs(media - target) <= FRAME, (
        f"media currentTime {media:.4f}, expected data_to_media(10.0) = {target:.4f} "
        f"within {FRAME} s; media: {wk.media_state(page)}"
    )
    sel = shown.selection()
    assert sel == pytest.approx((10.0, 15.0), abs=1e-9), f"w.selection reads back {sel}"


# --------------------------------------------------------------------------- 5. sync both


def test_media_seek_moves_selection_when_sync_both(shown: Shown) -> None:
    page = shown.page
    shown.lab.exec("w.sync = 'both'")
    # One more round trip, so the front end has surely applied the new sync mode.
    assert shown.lab.json("w.sync") == "both"
    expected, frame_data = shown.lab.json(
        "[w.media_to_data(20.0), w.media_to_data(20.0 + 1 / 25) - w.media_to_data(20.0)]"
    )
    frame_data = abs(frame_data)
    now = wk.seek_media(page, 20.0)
    assert abs(now - 20.0) <= FRAME, f"media currentTime after seeking to 20.0 is {now}"
    start, end = shown.wait_selection(lambda s: abs(s[0] - expected) <= frame_data)
    assert abs(start - expected) <= frame_data, (
        f"with sync='both', seeking the media to 20.0 s left selection at ({start:.4f}, "
        f"{end:.4f}); expected selection[0] = media_to_data(20.0) = {expected:.4f} "
        f"± {frame_data:.4f}; media: {wk.media_state(page)}"
    )

    # The playhead sits where the detail window begins (the data time the media shows),
    # and the overview's playhead marks the same time on the whole-series strip.
    plot = _plot_box(page, "detail")
    expected_ov = shown.overview_x(expected)
    checks = {
        "playhead": (plot["x"], PX_TOL + 1),
        "overview-playhead": (expected_ov, PX_TOL),
    }
    problems = []
    for name, (want, tol) in checks.items():
        ok, line = h.wait_until(
            lambda name=name: _line_state(page, name),
            lambda v, want=want, tol=tol: v.get("x") is not None and abs(v["x"] - want) <= tol,
            timeout=5,
        )
        if not ok:
            problems.append(f"{name} is {line}, expected visible at x={want:.1f} ± {tol} px")
    assert not problems, (
        f"after seeking the media to 20.0 s (data time {expected:.3f}) with sync='both': "
        + "; ".join(problems)
        + f" (detail plot box {plot}, overview plot box {shown.overview_plot()})"
    )


def _plot_box(page: Any, name: str) -> dict[str, float]:
    """Box of the plotting area inside the chart ``data-part=name``.

    The charts draw axes and padding around their plot; the data times map onto
    the plot area, uPlot's ``.u-over``. Falls back to the part's own box.
    """
    return dict(
        page.evaluate(
            """(sel) => {
              const d = document.querySelector(sel);
              const over = d.querySelector('.u-over') || d;
              const r = over.getBoundingClientRect();
              return {x: r.left, y: r.top, width: r.width, height: r.height};
            }""",
            wk.part(name),
        )
    )


def _line_state(page: Any, name: str) -> dict[str, Any]:
    """Where a playhead line is: center x on the page, hidden?, data-time."""
    return dict(
        page.evaluate(
            """(sel) => {
              const el = document.querySelector(sel);
              if (!el) return {present: false};
              const r = el.getBoundingClientRect();
              const shown = !el.hidden && (r.width > 0 || r.height > 0);
              return {present: true, x: shown ? r.left + r.width / 2 : null, hidden: el.hidden,
                      dataTime: el.dataset.time ?? null};
            }""",
            wk.part(name),
        )
    )


# --------------------------------------------------------------------------- 6. default sync


def test_media_seek_leaves_selection_with_default_sync(shown: Shown) -> None:
    page = shown.page
    assert shown.lab.json("w.sync") == "ts-to-media"
    before = shown.selection()
    wk.seek_media(page, 20.0)
    # A negative assertion needs time for a (throttled) update that should not
    # come: wait for the kernel to hear the media's new time, then a little more.
    ok, mt = h.wait_until(
        lambda: shown.lab.json("w.media_time"), lambda v: abs(v - 20.0) <= 0.5, timeout=5
    )
    time.sleep(0.5)
    after = shown.selection()
    assert after == pytest.approx(before, abs=1e-9), (
        f"with sync='ts-to-media', seeking the media to 20.0 s moved the selection "
        f"{before} -> {after}"
    )
    assert ok, f"w.media_time did not follow the media to 20.0 s (reads {mt})"


# --------------------------------------------------------------------------- 7. alignment


def test_explicit_offset_alignment(shown: Shown) -> None:
    page = shown.page
    shown.lab.exec("w.offset = 2.0\nw.rate = 1.0\nw.selection = (5.0, 10.0)")
    mapped = shown.lab.json("w.data_to_media(5.0)")
    assert mapped == pytest.approx(7.0, abs=1e-9), f"w.data_to_media(5.0) = {mapped}, not 7.0"
    media = shown.wait_media_time(7.0)
    assert abs(media - 7.0) <= FRAME, (
        f"with offset=2.0, rate=1.0 and selection starting at 5.0 the media shows "
        f"{media:.4f} s, expected 7.0 ± {FRAME}; media: {wk.media_state(page)}"
    )


# --------------------------------------------------------------------------- media outside root


@pytest.mark.parametrize("kind", KINDS)
def test_media_outside_server_root_streams_and_seeks(lab: Any, kind: str) -> None:
    """Media outside the server root comes through the kernel as a blob: URL and seeks."""
    originals = lab.srv.sample.originals
    media = str(originals.video if kind == "video" else originals.audio)
    shown = show(lab, kind, media=media)
    src = wk.media_state(shown.page)["src"]
    assert src.startswith("blob:"), f"media outside the server root has src {src!r}"
    shown.lab.exec("w.selection = (12.0, 17.0)")
    target = shown.lab.json("w.data_to_media(12.0)")
    got = shown.wait_media_time(target)
    assert abs(got - target) <= FRAME, (
        f"blob media: currentTime {got:.4f}, expected {target:.4f}; {wk.media_state(shown.page)}"
    )


# --------------------------------------------------------------------------- unplayable media


@pytest.mark.parametrize(("kind", "name"), [("video", "broken.mp4"), ("audio", "broken.ogg")])
def test_unplayable_media_shows_error(lab: Any, kind: str, name: str) -> None:
    (lab.srv.root / name).write_bytes(os.urandom(64 * 1024))
    lab.run_notebook(f"broken_{kind}", wk.widget_cells(lab.srv.sample.data, name))
    page = lab.page
    try:
        page.wait_for_selector(wk.part("error"), state="visible", timeout=20_000)
    except Exception:
        pytest.fail(
            f"no visible {wk.part('error')} for unplayable {name} within 20 s; "
            f"media: {wk.media_state(page)}; outputs: {wk.outputs_text(page)!r}",
            pytrace=False,
        )
    text = (page.locator(wk.part("error")).first.text_content() or "").strip()
    assert name in text, f"the error part should name {name!r}; its text is {text!r}"
