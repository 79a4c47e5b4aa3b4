"""End-to-end: after a resize, regions, playheads and the range sit where the model says,
in JupyterLab and in Notebook 7.

uPlot applies a new size a microtask after ``setSize``; overlays placed from
the plot's old width were drawn at the old scale until the next drag.

Run: ``python -m pytest tests/e2e -m e2e``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import harness as h
import pytest
import widgetkit as wk
from conftest import lab_page

pytestmark = pytest.mark.e2e

PX_TOL = 2.0
REGION = (1.0, 3.0)
MEDIA_AT = 2.0


# JupyterLab toggles its left area with a command; Notebook 7 opens its first left panel.
_TOGGLE_LEFT_JS = """async () => {
  const app = window.jupyterapp;
  if (app.commands.hasCommand('application:toggle-left-area')) {
    return app.commands.execute('application:toggle-left-area');
  }
  const first = Array.from(app.shell.widgets('left'))[0];
  if (!first) throw new Error('Notebook 7 has no left panel to open');
  app.shell.expandLeft(first.id);
}"""


@pytest.fixture(params=["lab", "notebook"])
def app_page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    """A page in JupyterLab, or in Notebook 7."""
    srv = request.getfixturevalue("lab_server" if request.param == "lab" else "nb7_server")
    with lab_page(srv, browser) as lab:
        yield lab


def test_overlays_follow_a_resize(app_page: Any) -> None:
    lab = app_page
    sample = lab.srv.sample
    extra = f"w.selection = (0.0, 4.0)\nw.add_region({REGION[0]!r}, {REGION[1]!r}, 'Run')\n"
    lab.run_notebook("resize", wk.widget_cells(sample.data, sample.video, extra))
    page = lab.page
    wk.wait_for_widget(page)
    lab.exec(f"w.media_time = {MEDIA_AT!r}")
    ok, _ = h.wait_until(lambda: wk.media_time(page), lambda v: abs(v - MEDIA_AT) < 1e-3, 10)
    assert ok, f"the media never reached {MEDIA_AT} s: {wk.media_state(page)}"
    a, b = (float(v) for v in lab.json("list(w.selection)"))
    rel = float(lab.json(f"w.media_to_data({MEDIA_AT!r})"))
    span = float(lab.json("w.series.span"))
    regions = lab.json("[{'id': r['id'], 'start': r['start'], 'end': r['end']} for r in w.regions]")
    assert len(regions) == 1

    def wrong(layout: dict[str, Any] | None) -> list[str]:
        out = wk.misplaced(layout, (a, b), rel, span, regions, tol=PX_TOL)
        if layout and len(layout["regions"]) != 1:
            out.append(f"expected the one region drawn, got {layout['regions']}")
        return out

    def check(when: str) -> dict[str, Any]:
        ok, layout = h.wait_until(lambda: wk.view_layout(page), lambda lay: not wrong(lay), 5)
        assert ok and layout, f"{when}: " + "; ".join(wrong(layout))
        return dict(layout)

    first = check("first render")

    def resized(before: dict[str, Any], how: str) -> None:
        """Wait for the widget's width to change by 100 px or more (JupyterLab lays out later)."""
        ok, lay = h.wait_until(
            lambda: wk.view_layout(page),
            lambda lay: (
                lay is not None and abs(lay["root"]["width"] - before["root"]["width"]) > 100
            ),
            timeout=10,
        )
        assert ok, f"{how} did not change the widget's width: {before['root']} -> {lay['root']}"

    page.set_viewport_size({"width": 800, "height": 900})
    resized(first, "narrowing the window")
    narrow = check("after the window got narrower")

    page.evaluate(_TOGGLE_LEFT_JS)
    resized(narrow, "toggling the left sidebar")
    check("after toggling the left sidebar")
    assert "/notebooks/" in page.url or "/lab/" in page.url, page.url
