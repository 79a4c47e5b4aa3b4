"""End-to-end: one widget shown twice, and the detail refined from the kernel.

Run: ``python -m pytest tests/e2e -m e2e``.
"""

from __future__ import annotations

import time
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
    # 300k samples over 30 s: the overview is decimated, so a 5 s window needs
    # the kernel's finer detail (the shipped sample is small enough to send raw).
    sample = lab.srv.sample
    cell = (
        "import numpy as np, pandas as pd\n"
        "from tsvideo_widget import TimeSeriesVideo\n"
        "t = np.arange(300_000) / 10_000\n"
        "noise = np.random.default_rng(0).normal(size=t.size) * 0.1\n"
        "df = pd.DataFrame({'time': t, 'v': np.sin(t * 7) + noise})\n"
        f"w = TimeSeriesVideo(df, media={sample.video!r}, time='time')\n"
        "w"
    )
    lab.run_notebook("refine", [cell])
    wk.wait_for_widget(lab.page)
    lab.exec("w.selection = (14.0, 19.0)")

    def state() -> dict[str, str]:
        return dict(
            lab.page.evaluate(
                "(sel) => ({...document.querySelector(sel).dataset})", wk.part("detail")
            )
        )

    ok, ds = h.wait_until(
        state, lambda d: d.get("source") == "detail" and d.get("lo") == "14", timeout=10
    )
    assert ok, f"the detail chart never drew the kernel's finer data: {ds}"
    assert int(ds["replies"]) >= 1 and "error" not in ds, ds

    def quiet() -> dict[str, str]:
        """The dataset once no request has been made or answered for 0.6 s."""
        last = state()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            time.sleep(0.6)
            now = state()
            if now["requests"] == now["replies"] == last["replies"]:
                return now
            last = now
        raise AssertionError(f"detail requests never settled: {last}")

    # Then, while the kernel is idle, a 4x finer copy is prefetched (the request
    # for this window came after the first one, so it was padded: the neighbours
    # came with it). So a drag by half a window and a zoom in by 4x are drawn
    # from memory: the first draw of each new window is already at full
    # resolution, before any new reply.
    for sel, lo in (("(16.5, 21.5)", "16.5"), ("(18.0, 19.25)", "18")):
        replies = int(quiet()["replies"])
        lab.page.evaluate(_FIRST_DRAW_JS, [wk.part("detail"), lo])
        lab.exec(f"w.selection = {sel}")
        ok, first = h.wait_until(
            lambda: lab.page.evaluate("() => window.__firstDraw"), lambda d: d is not None, 5
        )
        assert ok, f"the window {sel} was never drawn"
        assert first["source"] == "detail" and int(first["replies"]) == replies, (
            f"window {sel} was not drawn from memory at once: first draw {first}, "
            f"{replies} replies before the move"
        )


# Record the detail's dataset the first time it shows window start `lo`.
_FIRST_DRAW_JS = """
([sel, lo]) => {
  window.__firstDraw = null;
  const el = document.querySelector(sel);
  const obs = new MutationObserver(() => {
    if (el.dataset.lo === lo && window.__firstDraw === null) {
      window.__firstDraw = { ...el.dataset };
      obs.disconnect();
    }
  });
  obs.observe(el, { attributes: true });
}
"""


# Count "seeking" events per media element from now on, and start playing the first one.
_PLAY_AND_COUNT_JS = """() => {
  const media = Array.from(document.querySelectorAll('[data-part="media"]'));
  window.__seeks = media.map(() => 0);
  media.forEach((m, i) => m.addEventListener('seeking', () => { window.__seeks[i]++; }));
  const start = {wall: performance.now(), times: media.map((m) => m.currentTime)};
  media[0].play();
  return start;
}"""

_PLAYBACK_JS = """() => {
  const media = Array.from(document.querySelectorAll('[data-part="media"]'));
  return {wall: performance.now(), times: media.map((m) => m.currentTime),
          paused: media.map((m) => m.paused), seeks: window.__seeks};
}"""


def test_same_widget_shown_twice_plays_at_real_speed(lab: Any) -> None:
    """Two views play from the one ``playing`` trait and never seek each other."""
    _two_views(lab)
    page = lab.page
    ok, ready = h.wait_until(
        lambda: page.evaluate(
            "() => Array.from(document.querySelectorAll('[data-part=\"media\"]'))"
            ".map((m) => m.readyState)"
        ),
        lambda rs: len(rs) == 2 and all(r >= 3 for r in rs),
        timeout=15,
    )
    assert ok, f"the two media elements never became playable: readyState {ready}"
    start = page.evaluate(_PLAY_AND_COUNT_JS)
    time.sleep(4.0)
    end = page.evaluate(_PLAYBACK_JS)
    page.evaluate("() => document.querySelectorAll('[data-part=\"media\"]')[0].pause()")

    wall = (end["wall"] - start["wall"]) / 1000
    advanced = [b - a for a, b in zip(start["times"], end["times"], strict=True)]
    assert end["paused"] == [False, False], f"both views should play: paused {end['paused']}"
    assert all(a >= 0.8 * wall for a in advanced), (
        f"in {wall:.2f} s of wall time the media advanced by {advanced} s "
        f"(views seeking each other play slower); seeks {end['seeks']}"
    )
    t0, t1 = end["times"]
    assert abs(t0 - t1) <= FRAME, f"the two views play {abs(t0 - t1):.3f} s apart: {end['times']}"
    assert sum(end["seeks"]) <= 2, f"seeks while playing, per view: {end['seeks']}"
