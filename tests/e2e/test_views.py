"""End-to-end: one widget shown twice, and the detail refined from the kernel.

Run: ``python -m pytest tests/e2e -m e2e``.
"""

from __future__ import annotations

from typing import Any

import harness as h
import pytest
import widgetkit as wk

pytestmark = pytest.mark.e2e

FRAME = 1 / 25
PX_TOL = 3.0

_BOXES_JS = """(sel) => Array.from(document.querySelectorAll(sel)).map((el) => {
  const r = el.getBoundingClientRect();
  return {x: r.left, y: r.top, width: r.width, height: r.height};
})"""

_OVERS_JS = """() => Array.from(document.querySelectorAll('[data-part="overview"] .u-over'))
  .map((el) => { const r = el.getBoundingClientRect(); return {x: r.left, width: r.width}; })"""

_TIMES_JS = """() => Array.from(document.querySelectorAll('[data-part="media"]'))
  .map((m) => m.currentTime)"""


def _two_views(lab: Any) -> None:
    sample = lab.srv.sample
    cell = (
        "from IPython.display import display\n"
        "from tsvideo_widget import TimeSeriesVideo\n"
        f"w = TimeSeriesVideo({sample.data!r}, media={sample.video!r}, channels=['height'])\n"
        "display(w)"
    )
    lab.run_notebook("two_views", [cell, "w"])
    ok, n = h.wait_until(
        lambda: lab.page.locator(wk.part("root")).count(), lambda c: c == 2, timeout=20
    )
    assert ok, f"expected two views of the widget, found {n}"
    ok, _ = h.wait_until(lambda: lab.json("w.media_duration"), lambda d: d is not None, 15)
    assert ok, "w.media_duration never arrived"


def test_same_widget_shown_twice_stays_in_step(lab: Any) -> None:
    _two_views(lab)
    page = lab.page
    ranges = page.evaluate(_BOXES_JS, wk.part("range"))
    overs = page.evaluate(_OVERS_JS)
    r0, ov0 = ranges[0], overs[0]
    dx = 120.0
    x0, y0 = r0["x"] + r0["width"] / 2, r0["y"] + r0["height"] / 2
    h.drag(page, x0, y0, x0 + dx, y0, steps=8)

    span = 30.0
    expected = dx / ov0["width"] * span
    ok, sel = h.wait_until(
        lambda: lab.json("list(w.selection)"),
        lambda s: abs(s[0] - expected) <= PX_TOL / ov0["width"] * span,
        timeout=10,
    )
    assert ok, f"dragging view 1's range by {dx} px gave selection {sel}, expected start {expected}"

    # The second view's range moved to the same fraction of its own strip.
    def second_left() -> float:
        r = page.evaluate(_BOXES_JS, wk.part("range"))[1]
        ov = page.evaluate(_OVERS_JS)[1]
        return (r["x"] - ov["x"]) / ov["width"] * span

    ok, left = h.wait_until(second_left, lambda v: abs(v - sel[0]) <= 0.15, timeout=10)
    assert ok, f"view 2's range starts at {left:.3f} s, view 1's selection at {sel[0]:.3f} s"

    # Both media elements show the mapped time of the window's start.
    target = lab.json(f"w.data_to_media({sel[0]!r})")
    ok, times = h.wait_until(
        lambda: page.evaluate(_TIMES_JS),
        lambda ts: all(abs(t - target) <= FRAME for t in ts),
        timeout=10,
    )
    assert ok, f"media times {times}, expected both at {target:.4f} ± {FRAME}"


def test_a_view_removed_leaves_the_other_working(lab: Any) -> None:
    _two_views(lab)
    page = lab.page
    # Clear the last cell's output: JupyterLab disposes that view and its cleanup runs.
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-cell-output')")
    ok, n = h.wait_until(
        lambda: page.locator(wk.part("root")).count(), lambda c: c == 1, timeout=10
    )
    assert ok, f"expected one view left after clearing an output, found {n}"
    lab.exec("w.selection = (12.0, 17.0)")
    target = lab.json("w.data_to_media(12.0)")
    ok, t = h.wait_until(
        lambda: page.evaluate(_TIMES_JS), lambda ts: ts and abs(ts[0] - target) <= FRAME, 10
    )
    assert ok, f"the remaining view's media is at {t}, expected {target:.4f}"
    ok, ds = h.wait_until(
        lambda: page.evaluate("(s) => ({...document.querySelector(s).dataset})", wk.part("detail")),
        lambda d: d.get("source") == "detail",
        timeout=10,
    )
    assert ok, f"the remaining view no longer gets detail from the kernel: {ds}"


def test_detail_is_refined_from_the_kernel(lab: Any) -> None:
    sample = lab.srv.sample
    lab.run_notebook("refine", wk.widget_cells(sample.data, sample.video))
    wk.wait_for_widget(lab.page)
    lab.exec("w.selection = (14.0, 19.0)")

    def state() -> dict[str, str]:
        return dict(
            lab.page.evaluate(
                "(sel) => ({...document.querySelector(sel).dataset})", wk.part("detail")
            )
        )

    ok, ds = h.wait_until(state, lambda d: d.get("source") == "detail", timeout=10)
    assert ok, f"the detail chart never drew the kernel's finer data: {ds}"
    assert int(ds["replies"]) >= 1 and "error" not in ds, ds
    # After the first window, its neighbours are prefetched (one more padded reply).
    ok, ds = h.wait_until(state, lambda d: int(d.get("replies", 0)) >= 2, timeout=10)
    assert ok, f"the neighbouring windows were never prefetched: {ds}"
    # A small move inside the fetched (padded) chunk is drawn from memory: no new request.
    before = int(state()["requests"])
    lab.exec("w.selection = (14.5, 19.5)")
    ok, ds = h.wait_until(
        state, lambda d: d.get("source") == "detail" and lab.json("w.selection[0]") == 14.5, 5
    )
    assert ok and int(ds["requests"]) == before, (
        f"moving the window by 0.5 s inside the cached chunk sent requests: {before} -> "
        f"{ds.get('requests')} ({ds})"
    )
