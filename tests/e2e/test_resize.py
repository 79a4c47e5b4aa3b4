"""End-to-end: after a resize, regions, playheads and the range sit where the model says.

uPlot applies a new size a microtask after ``setSize``; overlays placed from
the plot's old width were drawn at the old scale until the next drag.

Run: ``python -m pytest tests/e2e -m e2e``.
"""

from __future__ import annotations

from typing import Any

import harness as h
import pytest
import widgetkit as wk

pytestmark = pytest.mark.e2e

PX_TOL = 2.0
REGION = (1.0, 3.0)
MEDIA_AT = 2.0

# Page rectangles of the overlays and of the plots they are drawn over.
_LAYOUT_JS = """() => {
  const rect = (sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return {x: r.left, width: r.width};
  };
  return {
    root: rect('[data-part="root"]'),
    detail: rect('[data-part="detail"] .u-over'),
    overview: rect('[data-part="overview"] .u-over'),
    region: rect('[data-part="region"]'),
    playhead: rect('[data-part="playhead"]'),
    overviewPlayhead: rect('[data-part="overview-playhead"]'),
    range: rect('[data-part="range"]'),
  };
}"""


def _misplaced(layout: dict[str, Any], sel: list[float], rel: float, span: float) -> list[str]:
    """Overlays more than PX_TOL from where the window, playhead and span put them."""
    det, ov = layout["detail"], layout["overview"]
    lo, hi = sel

    def at_detail(t: float) -> float:
        return float(det["x"] + (t - lo) / (hi - lo) * det["width"])

    def at_overview(t: float) -> float:
        return float(ov["x"] + t / span * ov["width"])

    want = {
        "region start": (layout["region"]["x"], at_detail(REGION[0])),
        "region end": (
            layout["region"]["x"] + layout["region"]["width"],
            at_detail(REGION[1]),
        ),
        "playhead": (layout["playhead"]["x"], at_detail(rel)),
        "overview playhead": (layout["overviewPlayhead"]["x"], at_overview(rel)),
        "range start": (layout["range"]["x"], at_overview(lo)),
        "range end": (layout["range"]["x"] + layout["range"]["width"], at_overview(hi)),
    }
    return [
        f"{name} at {got:.1f} px, expected {exp:.1f} px"
        for name, (got, exp) in want.items()
        if abs(got - exp) > PX_TOL
    ]


def test_overlays_follow_a_resize(lab: Any) -> None:
    sample = lab.srv.sample
    extra = f"w.selection = (0.0, 4.0)\nw.add_region({REGION[0]!r}, {REGION[1]!r}, 'Run')\n"
    lab.run_notebook("resize", wk.widget_cells(sample.data, sample.video, extra))
    page = lab.page
    wk.wait_for_widget(page)
    lab.exec(f"w.media_time = {MEDIA_AT!r}")
    ok, _ = h.wait_until(lambda: wk.media_time(page), lambda v: abs(v - MEDIA_AT) < 1e-3, 10)
    assert ok, f"the media never reached {MEDIA_AT} s: {wk.media_state(page)}"
    sel = [float(v) for v in lab.json("list(w.selection)")]
    rel = float(lab.json(f"w.media_to_data({MEDIA_AT!r})"))
    span = float(lab.json("w.series.span"))

    def check(when: str) -> dict[str, Any]:
        ok, layout = h.wait_until(
            lambda: page.evaluate(_LAYOUT_JS),
            lambda lay: all(lay.values()) and not _misplaced(lay, sel, rel, span),
            timeout=5,
        )
        assert all(layout.values()), f"{when}: overlays missing: {layout}"
        assert ok, f"{when}: " + "; ".join(_misplaced(layout, sel, rel, span))
        return dict(layout)

    first = check("first render")

    def resized(before: dict[str, Any], how: str) -> None:
        """Wait for the widget's width to change by 100 px or more (JupyterLab lays out later)."""
        ok, lay = h.wait_until(
            lambda: page.evaluate(_LAYOUT_JS),
            lambda lay: abs(lay["root"]["width"] - before["root"]["width"]) > 100,
            timeout=10,
        )
        assert ok, f"{how} did not change the widget's width: {before['root']} -> {lay['root']}"

    page.set_viewport_size({"width": 800, "height": 900})
    resized(first, "narrowing the window")
    narrow = check("after the window got narrower")

    page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
    resized(narrow, "toggling the left sidebar")
    check("after toggling the left sidebar")
