"""End-to-end: labeling in a real JupyterLab, with a real mouse and keyboard in Chromium.

Regions are drawn, clicked, dragged and edited with shortcuts on the detail
chart; every assertion reads the result back from the notebook's own kernel
(``w.regions``) and from the widget's DOM (``[data-part=region]``).

Pixel <-> time: the detail chart's x axis spans exactly ``w.selection`` across
the width of its plotting area (uPlot's ``.u-over``), so
``time = sel0 + (x - left) / width * (sel1 - sel0)``.

Run: ``python -m pytest tests/e2e/test_labeling.py -m e2e``.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import harness as h
import pytest
import widgetkit as wk

pytestmark = pytest.mark.e2e

LABELS = ["Walk", "Run", "Still"]
FRAME = 1 / 25  # one video frame of the sample (25 fps), in media seconds
TIME_PX_TOL = 2.0  # region times must match the pointer within this many pixels' worth
DOM_PX_TOL = 3.0  # drawn regions must sit within this many pixels of where they belong
KERNEL_WAIT = 10.0  # s: bounded wait for an edit in the page to reach the kernel


# --------------------------------------------------------------------------- helpers


@dataclass
class Labeling:
    """A notebook showing ``w``, a TimeSeriesVideo of the sample with labels, in ``lab``'s page."""

    lab: Any
    kind: str

    @property
    def page(self) -> Any:
        return self.lab.page

    # -- geometry
    def selection(self) -> tuple[float, float]:
        a, b = self.lab.json("list(w.selection)")
        return float(a), float(b)

    def plot(self) -> dict[str, float]:
        """Box of the detail chart's plotting area (``.u-over``)."""
        return h.box(self.page, f"{wk.part('detail')} .u-over")

    def geometry(self) -> Geometry:
        return Geometry(self.selection(), self.plot())

    # -- regions
    def regions(self) -> list[dict[str, Any]]:
        return list(self.lab.json("w.regions"))

    def wait_regions(self, ok: Any, timeout: float = KERNEL_WAIT) -> tuple[bool, list[dict]]:
        """Poll the kernel's ``w.regions`` until ``ok(regions)``; returns (ok, last read)."""
        return h.wait_until(self.regions, ok, timeout, interval=0.15)

    def dom_regions(self) -> list[dict[str, Any]]:
        """Every ``[data-part=region]`` in the detail chart: id, label, classes and box."""
        return list(
            self.page.evaluate(
                """(sel) => Array.from(document.querySelectorAll(sel)).map((e) => {
                  const r = e.getBoundingClientRect();
                  return {id: e.dataset.id, label: e.dataset.label,
                          classes: Array.from(e.classList), x: r.left, right: r.right,
                          y: r.top, height: r.height, width: r.width,
                          edges: Array.from(e.querySelectorAll('[data-edge]'))
                                   .map((d) => d.dataset.edge)};
                })""",
                f"{wk.part('detail')} {wk.part('region')}",
            )
        )

    def dom_region(self, rid: str) -> dict[str, Any] | None:
        return next((r for r in self.dom_regions() if r["id"] == rid), None)

    def wait_dom_region(self, ok: Any, timeout: float = 5.0) -> tuple[bool, list[dict]]:
        return h.wait_until(self.dom_regions, ok, timeout)

    # -- label bar, focus
    def active(self) -> str | None:
        return self.page.evaluate(
            "(sel) => { const b = document.querySelector(sel); "
            "return b ? b.dataset.active : null; }",
            wk.part("labelbar"),
        )

    def label_classes(self, name: str) -> list[str]:
        return list(
            self.page.evaluate(
                """([bar, name]) => {
                  const b = document.querySelector(
                    `${bar} [data-part="label"][data-label="${name}"]`);
                  return b ? Array.from(b.classList) : [];
                }""",
                [wk.part("labelbar"), name],
            )
        )

    def focus(self) -> None:
        """Put the keyboard focus on the widget's root (tabindex=0)."""
        self.page.locator(wk.part("root")).first.focus()
        focused = self.page.evaluate(
            "(sel) => document.activeElement === document.querySelector(sel)", wk.part("root")
        )
        assert focused, "could not focus the widget's root"

    def focus_in_widget(self) -> bool:
        return bool(
            self.page.evaluate(
                """(sel) => { const r = document.querySelector(sel);
                             return !!r && r.contains(document.activeElement); }""",
                wk.part("root"),
            )
        )

    # -- gestures
    def draw(self, f0: float, f1: float) -> tuple[Geometry, float, float]:
        """Drag across empty chart space from fraction ``f0`` to ``f1`` of the plot's width.

        Returns the geometry and the page x of the press and of the release.
        """
        g = self.geometry()
        x0, x1 = g.x_frac(f0), g.x_frac(f1)
        h.drag(self.page, x0, g.ymid, x1, g.ymid, steps=8)
        return g, x0, x1

    def draw_one(self, f0: float = 0.2, f1: float = 0.5) -> tuple[Geometry, dict[str, Any]]:
        """Draw a region and wait until the kernel holds exactly one; returns it."""
        g, x0, x1 = self.draw(f0, f1)
        ok, regs = self.wait_regions(lambda rs: len(rs) == 1)
        assert ok, (
            f"after dragging across the detail chart from x={x0} to x={x1} (plot {g.plot}, "
            f"selection {g.sel}), the kernel's w.regions is {regs} (expected one region); "
            f"DOM regions: {self.dom_regions()}"
        )
        return g, regs[0]

    def cells(self) -> list[tuple[str, str]]:
        """(type, source) of every cell of the open notebook."""
        return [
            (c[0], c[1])
            for c in self.page.evaluate(
                """() => window.jupyterapp.shell.currentWidget.content.widgets
                       .map((c) => [c.model.type, c.model.sharedModel.getSource()])"""
            )
        ]


@dataclass
class Geometry:
    """The detail window (kernel) and the plot box (page) at one moment."""

    sel: tuple[float, float]
    plot: dict[str, float]

    @property
    def sec_per_px(self) -> float:
        return (self.sel[1] - self.sel[0]) / self.plot["width"]

    @property
    def tol(self) -> float:
        """TIME_PX_TOL pixels' worth of time."""
        return TIME_PX_TOL * self.sec_per_px

    @property
    def ymid(self) -> float:
        return round(self.plot["y"] + self.plot["height"] / 2)

    def x_frac(self, f: float) -> float:
        # Whole pixels: the pointer events then carry exactly these coordinates.
        return float(round(self.plot["x"] + f * self.plot["width"]))

    def t_at(self, x: float) -> float:
        return self.sel[0] + (x - self.plot["x"]) / self.plot["width"] * (self.sel[1] - self.sel[0])

    def x_at(self, t: float) -> float:
        return self.plot["x"] + (t - self.sel[0]) / (self.sel[1] - self.sel[0]) * self.plot["width"]


def widget_source(lab: Any, kind: str, autosave: str | None = None, extra: str = "") -> str:
    sample = lab.srv.sample
    media = sample.video if kind == "video" else sample.audio
    autosave_arg = f", autosave={autosave!r}" if autosave else ""
    return (
        "from tsvideo_widget import TimeSeriesVideo\n"
        f"w = TimeSeriesVideo({sample.data!r}, media={media!r}, time='time', "
        f"channels=['height', 'ax'], labels={LABELS!r}{autosave_arg})\n" + extra + "w"
    )


def wait_labeling_ready(lab: Any, kind: str) -> Labeling:
    """Wait for the widget, its media, its label bar and the kernel's media_duration."""
    wk.wait_for_widget(lab.page)
    try:
        lab.page.wait_for_selector(
            f"{wk.part('labelbar')} [data-part='label'][data-label='Walk']", timeout=10_000
        )
    except Exception as exc:
        raise h.HarnessError(
            f"the label bar with a 'Walk' button did not appear; outputs: "
            f"{wk.outputs_text(lab.page)!r}"
        ) from exc
    ok, _ = h.wait_until(lambda: lab.json("w.media_duration"), lambda d: d is not None, timeout=15)
    if not ok:
        raise h.HarnessError(
            "w.media_duration stayed None in the kernel for 15 s; media: "
            f"{wk.media_state(lab.page)}"
        )
    return Labeling(lab=lab, kind=kind)


def show(
    lab: Any,
    kind: str = "video",
    autosave: str | None = None,
    extra_cells: tuple[str, ...] = (),
    extra: str = "",
) -> Labeling:
    """Write, open and run a notebook showing the sample with labels Walk/Run/Still."""
    cells = [widget_source(lab, kind, autosave, extra), *extra_cells]
    lab.run_notebook(f"label_{kind}", cells)
    return wait_labeling_ready(lab, kind)


def same_region(a: dict[str, Any], b: dict[str, Any], tol: float = 1e-9) -> bool:
    return (
        a["id"] == b["id"]
        and a["label"] == b["label"]
        and abs(float(a["start"]) - float(b["start"])) <= tol
        and abs(float(a["end"]) - float(b["end"])) <= tol
    )


def settle(lab: Any, seconds: float = 0.5) -> None:
    """For negative assertions: let a (wrongly) sent update arrive, then one kernel round trip."""
    time.sleep(seconds)
    lab.json("None")


# --------------------------------------------------------------------------- 1. draw


@pytest.mark.parametrize("kind", ["video", "audio"])
def test_draw_region_with_mouse(lab: Any, kind: str) -> None:
    lw = show(lab, kind)
    assert lw.active() == "Walk", f"the active label should start as Walk, is {lw.active()!r}"
    g, x0, x1 = lw.draw(0.2, 0.5)
    ok, regs = lw.wait_regions(lambda rs: len(rs) == 1)
    assert ok, (
        f"after dragging from x={x0} to x={x1} across the detail plot {g.plot}, "
        f"w.regions is {regs}; DOM regions: {lw.dom_regions()}"
    )
    r = regs[0]
    want0, want1 = g.t_at(x0), g.t_at(x1)
    assert r["label"] == "Walk", f"the new region's label is {r['label']!r}, expected 'Walk'"
    assert abs(r["start"] - want0) <= g.tol and abs(r["end"] - want1) <= g.tol, (
        f"region {r} should span the pointer: start {want0:.4f}, end {want1:.4f} "
        f"(± {g.tol:.4f} s = {TIME_PX_TOL} px; selection {g.sel}, plot {g.plot})"
    )
    assert r.get("channel") is None, f"region channel is {r.get('channel')!r}, expected None"
    assert isinstance(r.get("id"), str) and r["id"], f"region id is {r.get('id')!r}"

    ok, dom = lw.wait_dom_region(lambda ds: any(d["id"] == r["id"] for d in ds))
    assert ok, f"no [data-part=region] with data-id={r['id']!r} in the DOM; DOM regions: {dom}"
    d = lw.dom_region(r["id"])
    assert d is not None
    assert d["label"] == "Walk", f"DOM region's data-label is {d['label']!r}"
    assert "tsv-selected" in d["classes"], f"the new region is not selected: classes {d['classes']}"
    assert abs(d["x"] - x0) <= DOM_PX_TOL and abs(d["right"] - x1) <= DOM_PX_TOL, (
        f"DOM region spans x {d['x']:.1f}..{d['right']:.1f}, expected {x0}..{x1} ± {DOM_PX_TOL}"
    )
    assert sorted(d["edges"]) == ["end", "start"], f"range region handles: {d['edges']}"
    # The overview strip marks it too.
    marks = lw.page.locator(f"{wk.part('overview-regions')} > *").count()
    assert marks == 1, f"{wk.part('overview-regions')} holds {marks} marks, expected 1"


# --------------------------------------------------------------------------- 2. resize, move


def test_resize_and_move_region(lab: Any) -> None:
    lw = show(lab)
    g, r0 = lw.draw_one(0.2, 0.5)
    rid = r0["id"]
    page = lw.page

    # Resize: drag the end handle right by dx px.
    dx = 60
    handle = h.box(page, f'{wk.part("region")}[data-id="{rid}"] [data-edge="end"]')
    hx, hy = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    h.drag(page, hx, hy, hx + dx, hy, steps=8)
    want_end = r0["end"] + dx * g.sec_per_px

    def resized(rs: list[dict]) -> bool:
        return any(r["id"] == rid and abs(r["end"] - want_end) <= g.tol for r in rs)

    ok, regs = lw.wait_regions(resized)
    assert ok, (
        f"dragging the end handle ({handle}) {dx} px right should move the end of region {rid} "
        f"from {r0['end']:.4f} to {want_end:.4f} ± {g.tol:.4f}; w.regions is now {regs}; "
        f"DOM regions: {lw.dom_regions()}"
    )
    assert len(regs) == 1, f"resizing created or removed regions: {regs}"
    r1 = regs[0]
    assert abs(r1["start"] - r0["start"]) <= 1e-9, (
        f"resizing the end moved the start: {r0['start']:.6f} -> {r1['start']:.6f}"
    )

    # Move: drag the body (its middle) right by mx px.
    mx = 80
    d = lw.dom_region(rid)
    assert d is not None, f"region {rid} is not drawn after resizing: {lw.dom_regions()}"
    bx, by = round(d["x"] + d["width"] / 2), round(d["y"] + d["height"] / 2)
    h.drag(page, bx, by, bx + mx, by, steps=8)
    shift = mx * g.sec_per_px

    def moved(rs: list[dict]) -> bool:
        return any(r["id"] == rid and abs(r["start"] - (r1["start"] + shift)) <= g.tol for r in rs)

    ok, regs = lw.wait_regions(moved)
    assert ok, (
        f"dragging the body of region {rid} {mx} px right (from x={bx}) should shift it by "
        f"{shift:.4f} s: expected start {r1['start'] + shift:.4f} ± {g.tol:.4f}; "
        f"was {r1}; w.regions is now {regs}; DOM regions: {lw.dom_regions()}"
    )
    assert len(regs) == 1, f"moving created or removed regions: {regs}"
    r2 = regs[0]
    assert abs((r2["end"] - r2["start"]) - (r1["end"] - r1["start"])) <= 1e-6, (
        f"moving changed the length: {r1['end'] - r1['start']:.6f} -> "
        f"{r2['end'] - r2['start']:.6f} ({r1} -> {r2})"
    )
    assert abs((r2["end"] - r1["end"]) - shift) <= g.tol, (
        f"end moved by {r2['end'] - r1['end']:.4f} s, expected {shift:.4f} ± {g.tol:.4f}"
    )


# --------------------------------------------------------------------------- click selects


def test_click_region_selects_and_seeks(lab: Any) -> None:
    lw = show(lab)
    _, r = lw.draw_one(0.2, 0.5)
    rid = r["id"]
    page = lw.page
    page.keyboard.press("Escape")
    ok, dom = lw.wait_dom_region(
        lambda ds: any(d["id"] == rid and "tsv-selected" not in d["classes"] for d in ds)
    )
    assert ok, f"Escape should deselect region {rid}; DOM regions: {dom}"
    assert wk.media_time(page) < r["start"] - 0.3, (
        f"the media should still be at the window start, is at {wk.media_time(page)}"
    )

    d = lw.dom_region(rid)
    assert d is not None
    cx, cy = round(d["x"] + d["width"] / 2), round(d["y"] + d["height"] / 2)
    page.mouse.click(cx, cy)
    ok, dom = lw.wait_dom_region(
        lambda ds: any(d["id"] == rid and "tsv-selected" in d["classes"] for d in ds)
    )
    assert ok, f"clicking the middle of region {rid} at ({cx}, {cy}) did not select it: {dom}"
    target = lab.json(f"w.data_to_media({r['start']!r})")
    ok, got = h.wait_until(lambda: wk.media_time(page), lambda v: abs(v - target) <= FRAME, 10)
    assert ok, (
        f"clicking region {r} should seek the media to data_to_media(start) = {target:.4f} "
        f"(± {FRAME}); currentTime is {got:.4f}; media: {wk.media_state(page)}"
    )
    info = page.locator(wk.part("region-info")).first.text_content() or ""
    assert "Walk" in info, f"region-info shows {info!r}, expected the selected region's label"
    regs = lw.regions()
    assert len(regs) == 1 and same_region(regs[0], r), f"a click changed w.regions: {regs}"


# --------------------------------------------------------------------------- 3. keys


def test_relabel_delete_undo_redo_keys(lab: Any) -> None:
    lw = show(lab)
    cells_before = lw.cells()
    _, r = lw.draw_one(0.2, 0.5)
    rid = r["id"]
    page = lw.page
    d = lw.dom_region(rid)
    assert d is not None and "tsv-selected" in d["classes"], f"new region not selected: {d}"
    assert lw.focus_in_widget(), "drawing a region should leave the keyboard focus in the widget"

    page.keyboard.press("2")
    ok, regs = lw.wait_regions(lambda rs: len(rs) == 1 and rs[0]["label"] == "Run")
    assert ok, f"pressing 2 with region {rid} selected should relabel it Run; w.regions: {regs}"
    assert regs[0]["id"] == rid, f"relabeling changed the id: {rid} -> {regs[0]['id']}"
    assert lw.active() == "Run", f"the active label after pressing 2 is {lw.active()!r}"
    assert "tsv-active" in lw.label_classes("Run"), f"Run button classes: {lw.label_classes('Run')}"
    relabeled = regs[0]

    page.keyboard.press("Delete")
    ok, regs = lw.wait_regions(lambda rs: rs == [])
    assert ok, f"Delete with region {rid} selected should remove it; w.regions: {regs}"
    ok, dom = lw.wait_dom_region(lambda ds: ds == [])
    assert ok, f"the deleted region is still drawn: {dom}"

    page.keyboard.press("Control+z")
    ok, regs = lw.wait_regions(lambda rs: len(rs) == 1)
    assert ok and same_region(regs[0], relabeled), (
        f"Ctrl+Z should bring back {relabeled}; w.regions: {regs}"
    )
    ok, dom = lw.wait_dom_region(lambda ds: any(d["id"] == rid for d in ds))
    assert ok, f"the restored region {rid} is not drawn: {dom}"

    page.keyboard.press("Control+Shift+Z")
    ok, regs = lw.wait_regions(lambda rs: rs == [])
    assert ok, f"Ctrl+Shift+Z should redo the deletion; w.regions: {regs}"

    # None of those keys may reach JupyterLab's notebook shortcuts (1-6 make headings,
    # Ctrl+Z undoes cell operations, ...).
    assert lw.cells() == cells_before, (
        f"the keys pressed in the widget changed the notebook: {cells_before} -> {lw.cells()}"
    )


# --------------------------------------------------------------------------- 4. point event


def test_double_click_makes_point_event(lab: Any) -> None:
    lw = show(lab)
    g = lw.geometry()
    x = g.x_frac(0.7)
    lw.page.mouse.dblclick(x, g.ymid)
    ok, regs = lw.wait_regions(lambda rs: len(rs) >= 1)
    assert ok, f"double-clicking the detail chart at x={x} made no region; w.regions: {regs}"
    assert len(regs) == 1, f"double-click made {len(regs)} regions: {regs}"
    r = regs[0]
    want = g.t_at(x)
    assert r["start"] == r["end"], f"a double-click should make a point event, got {r}"
    assert abs(r["start"] - want) <= g.tol, (
        f"point event at {r['start']:.4f}, expected {want:.4f} ± {g.tol:.4f} (x={x}, plot "
        f"{g.plot}, selection {g.sel})"
    )
    assert r["label"] == "Walk", f"point event label {r['label']!r}, expected the active Walk"
    ok, dom = lw.wait_dom_region(lambda ds: any(d["id"] == r["id"] for d in ds))
    assert ok, f"point event {r['id']} not drawn: {dom}"
    d = lw.dom_region(r["id"])
    assert d is not None and "tsv-event" in d["classes"], f"point event classes: {d}"
    assert abs(d["x"] - x) <= DOM_PX_TOL, f"point event drawn at x={d['x']:.1f}, expected {x}"

    # "." makes a point event at the playhead (focus is in the widget since the click).
    assert lw.focus_in_widget(), "double-clicking the chart should focus the widget"
    media_t = wk.seek_media(lw.page, 2.5)
    lw.page.keyboard.press(".")
    ok, regs = lw.wait_regions(lambda rs: len(rs) == 2)
    assert ok, f"'.' should add a point event at the playhead; w.regions: {regs}"
    ev = next(x for x in regs if x["id"] != r["id"])
    want, frame_data = lab.json(
        f"[w.media_to_data({media_t!r}), w.media_to_data({FRAME!r}) - w.media_to_data(0.0)]"
    )
    assert ev["start"] == ev["end"] and abs(ev["start"] - want) <= frame_data, (
        f"'.' with the media at {media_t:.4f} s made {ev}; expected a point event at "
        f"media_to_data({media_t:.4f}) = {want:.4f} ± {frame_data:.4f}"
    )


# --------------------------------------------------------------------------- 5. while playing


def test_label_while_playing(lab: Any) -> None:
    lw = show(lab)
    page = lw.page
    lw.focus()
    page.keyboard.press(" ")
    ok, playing = h.wait_until(lambda: lab.json("w.playing"), bool, timeout=10, interval=0.15)
    assert ok, (
        f"Space with the widget focused should start playback: w.playing is {playing}; "
        f"media: {wk.media_state(page)}"
    )
    # Let playback get going (the first frames can come slowly).
    t_start = wk.media_time(page)
    h.wait_until(lambda: wk.media_time(page), lambda v: v > t_start + 0.2, timeout=5)

    before1 = wk.media_time(page)
    page.keyboard.press("3")
    after1 = wk.media_time(page)
    ok, classes = h.wait_until(lambda: lw.label_classes("Still"), lambda c: "tsv-recording" in c, 3)
    assert ok, f"after the first 3 while playing, the Still button is not recording: {classes}"
    assert lw.regions() == [], "the first press while playing should only open a region"

    ok, now = h.wait_until(lambda: wk.media_time(page), lambda v: v >= after1 + 1.0, timeout=10)
    assert ok, f"media time did not advance 1 s from {after1:.3f} (now {now:.3f}) while playing"
    before2 = wk.media_time(page)
    page.keyboard.press("3")
    after2 = wk.media_time(page)
    page.keyboard.press(" ")  # pause

    ok, regs = lw.wait_regions(lambda rs: len(rs) == 1)
    assert ok, f"the second 3 while playing should create a region; w.regions: {regs}"
    r = regs[0]
    lo1, hi1, lo2, hi2 = lab.json(
        f"[w.media_to_data(t) for t in {[before1, after1, before2, after2]!r}]"
    )
    slack = 0.1
    assert r["label"] == "Still", f"label-while-playing region has label {r['label']!r}"
    assert lo1 - slack <= r["start"] <= hi1 + slack, (
        f"region {r} should start where the playhead was at the first 3: data "
        f"{lo1:.3f}..{hi1:.3f} (media {before1:.3f}..{after1:.3f}) ± {slack}"
    )
    assert lo2 - slack <= r["end"] <= hi2 + slack, (
        f"region {r} should end where the playhead was at the second 3: data "
        f"{lo2:.3f}..{hi2:.3f} (media {before2:.3f}..{after2:.3f}) ± {slack}"
    )
    elapsed = (before2 + after2) / 2 - (before1 + after1) / 2
    length = r["end"] - r["start"]
    assert abs(length - elapsed) <= 0.3, (
        f"region length {length:.3f} s, expected about the elapsed media time {elapsed:.3f} ± 0.3"
    )
    assert "tsv-recording" not in lw.label_classes("Still"), "Still is still recording"
    ok, playing = h.wait_until(lambda: lab.json("w.playing"), lambda p: p is False, timeout=5)
    assert ok, f"the second Space should pause: w.playing is {playing}"


# --------------------------------------------------------------------------- navigation keys


def test_arrow_and_help_keys(lab: Any) -> None:
    lw = show(lab)
    page = lw.page
    a, b = lw.selection()
    width = b - a
    lw.focus()
    page.keyboard.press("ArrowRight")
    ok, sel = h.wait_until(
        lw.selection, lambda s: abs(s[0] - (a + width)) <= 1e-6, timeout=5, interval=0.15
    )
    assert ok, f"ArrowRight should step the window ({a}, {b}) by its width; it is {sel}"
    assert abs((sel[1] - sel[0]) - width) <= 1e-6, f"ArrowRight changed the width: {sel}"
    page.keyboard.press("ArrowLeft")
    ok, sel = h.wait_until(lw.selection, lambda s: abs(s[0] - a) <= 1e-6, timeout=5, interval=0.15)
    assert ok, f"ArrowLeft should step the window back to ({a}, {b}); it is {sel}"

    # Let the window's own seek (to its start) finish before seeking from the page.
    back = lab.json(f"w.data_to_media({a!r})")
    h.wait_until(
        lambda: wk.media_state(page),
        lambda m: abs(m["currentTime"] - back) <= FRAME and not m["seeking"],
        timeout=5,
    )
    t0 = wk.seek_media(page, 10.0)
    page.keyboard.press("Shift+ArrowRight")
    ok, t1 = h.wait_until(lambda: wk.media_time(page), lambda v: v > t0 + 1e-4, timeout=5)
    assert ok and abs((t1 - t0) - FRAME) <= FRAME / 2, (
        f"Shift+ArrowRight should step the media one frame ({FRAME} s ± {FRAME / 2}) from "
        f"{t0:.4f}; currentTime is {t1:.4f}"
    )
    assert lw.selection() == pytest.approx((a, b), abs=1e-9), "Shift+Arrow moved the window"

    help_hidden = "(sel) => document.querySelector(sel).hidden"
    assert page.evaluate(help_hidden, wk.part("shortcuts")), "the legend should start hidden"
    page.keyboard.press("?")
    assert not page.evaluate(help_hidden, wk.part("shortcuts")), "? did not show the legend"
    page.keyboard.press("?")
    assert page.evaluate(help_hidden, wk.part("shortcuts")), "a second ? did not hide it"


# --------------------------------------------------------------------------- 6. from Python


def test_region_from_python_is_drawn(lab: Any) -> None:
    lw = show(lab)
    lab.exec("w.selection = (2.0, 7.0)")
    rid = lab.json('w.add_region(3.0, 4.0, "Run")')
    sel = lw.selection()
    assert sel == pytest.approx((2.0, 7.0)), f"w.selection reads back {sel}"
    plot = lw.plot()
    g = Geometry(sel, plot)
    want0, want1 = g.x_at(3.0), g.x_at(4.0)

    def placed(ds: list[dict]) -> bool:
        return any(
            d["id"] == rid
            and d["label"] == "Run"
            and abs(d["x"] - want0) <= DOM_PX_TOL
            and abs(d["right"] - want1) <= DOM_PX_TOL
            for d in ds
        )

    ok, dom = lw.wait_dom_region(placed, timeout=10)
    assert ok, (
        f"w.add_region(3.0, 4.0, 'Run') -> id {rid!r} with selection (2, 7) should draw "
        f"[data-part=region][data-label=Run] at x {want0:.1f}..{want1:.1f} ± {DOM_PX_TOL} "
        f"(plot {plot}); DOM regions: {dom}"
    )
    assert lw.page.locator(f'{wk.part("region")}[data-label="Run"]').count() == 1


# --------------------------------------------------------------------------- 7. focus isolation


def test_keys_in_cell_editor_leave_widget_alone(lab: Any) -> None:
    lw = show(lab, extra_cells=("x = 1",))
    _, r = lw.draw_one(0.2, 0.5)  # a selected Walk region: what 2 and Delete would change
    page = lw.page
    editor = page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".cm-content")
    editor.click()
    page.keyboard.press("End")
    assert not lw.focus_in_widget(), "clicking the cell editor left the focus in the widget"
    page.keyboard.type("2")
    page.keyboard.press("Delete")
    page.keyboard.press("Backspace")  # removes the 2 again; must not delete the region either
    page.keyboard.type("2")

    src = lw.cells()[1][1]
    assert src == "x = 12", f"the keys should have gone to the cell editor: its source is {src!r}"
    settle(lab)
    assert lw.active() == "Walk", f"typing in a cell changed the active label to {lw.active()!r}"
    regs = lw.regions()
    assert len(regs) == 1 and same_region(regs[0], r), (
        f"typing 2/Delete/Backspace in a cell editor changed w.regions: {r} -> {regs}"
    )
    d = lw.dom_region(r["id"])
    assert d is not None and d["label"] == "Walk", f"the region's drawing changed: {d}"


# --------------------------------------------------------------------------- 8. autosave


_KERNEL_IDLE_JS = """
() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && k.connectionStatus === 'connected';
}
"""


def test_autosave_survives_kernel_restart(lab: Any) -> None:
    name = f"labels_{secrets.token_hex(4)}.json"
    path = lab.srv.root / name
    lw = show(lab, autosave=name)
    _, r = lw.draw_one(0.2, 0.5)

    def saved_ids() -> list[str]:
        try:
            return [x.get("id") for x in json.loads(path.read_text())["regions"]]
        except (OSError, ValueError, KeyError, TypeError):
            return []

    ok, ids = h.wait_until(saved_ids, lambda ids: ids == [r["id"]], timeout=5)
    assert ok, f"autosave file {path} should hold region {r['id']}, holds ids {ids}"

    page = lw.page
    page.evaluate(
        """async () => {
          const w = window.jupyterapp.shell.currentWidget;
          await w.sessionContext.session.kernel.restart();
        }"""
    )
    page.wait_for_function(_KERNEL_IDLE_JS, timeout=30_000)
    assert lab.json("'w' in globals()") is False, "the kernel did not restart: w still exists"

    h.run_all(page)
    lw2 = wait_labeling_ready(lab, "video")
    roots = page.locator(wk.part("root")).count()
    assert roots == 1, f"{roots} widget roots on the page after re-running, expected 1"
    regs = lw2.regions()
    assert len(regs) == 1 and same_region(regs[0], r), (
        f"after a kernel restart, the new widget with autosave={name!r} should load {r}; "
        f"w.regions is {regs}; file: {path.read_text()[:500]}"
    )
    ok, dom = lw2.wait_dom_region(lambda ds: any(d["id"] == r["id"] for d in ds), timeout=10)
    assert ok, f"the reloaded region {r['id']} is not drawn: {dom}"
    d = lw2.dom_region(r["id"])
    assert d is not None and d["label"] == r["label"], f"reloaded region drawn as {d}"
    g = lw2.geometry()
    assert abs(d["x"] - g.x_at(r["start"])) <= DOM_PX_TOL, (
        f"reloaded region drawn at x={d['x']:.1f}, expected {g.x_at(r['start']):.1f}"
    )
