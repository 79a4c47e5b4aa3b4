"""End-to-end: what the host's CSS could break in the label bar and the shortcuts legend.

JupyterLab's output area styles ``dl``/``dt``/``dd`` and its own classes; the widget's
layout must survive it. Checked on real boxes in JupyterLab with Chromium.
"""

from __future__ import annotations

from typing import Any

import harness as h
import pytest
import widgetkit as wk

pytestmark = pytest.mark.e2e

_PAIRS_JS = """() => {
  const keys = Array.from(document.querySelectorAll('[data-part="shortcut-key"]'));
  return keys.map((k) => {
    const d = k.nextElementSibling;
    const a = k.getBoundingClientRect(), b = d.getBoundingClientRect();
    return {key: k.textContent, does: d.textContent, kx: a.left, kr: a.right, ky: a.top,
            dx: b.left, dy: b.top, kh: a.height};
  });
}"""


def _widget(lab: Any, labels: str) -> None:
    sample = lab.srv.sample
    cell = (
        "from tsvideo_widget import TimeSeriesVideo\n"
        f"w = TimeSeriesVideo({sample.data!r}, media={sample.video!r}, channels=['height'], "
        f"labels={labels})\n"
        "w"
    )
    lab.run_notebook("layout", [cell])
    wk.wait_for_widget(lab.page)


def test_shortcuts_legend_puts_every_key_beside_its_description(lab: Any) -> None:
    _widget(lab, "['Walk', 'Run']")
    page = lab.page
    page.locator(wk.part("help-toggle")).click()
    ok, pairs = h.wait_until(lambda: page.evaluate(_PAIRS_JS), lambda p: len(p) >= 8, 10)
    assert ok, f"the shortcuts legend did not open: {pairs}"
    for p in pairs:
        assert p["does"], f"key {p['key']!r} has no description"
        # Same row (tops within a few px), key on the left, description right of it.
        assert abs(p["ky"] - p["dy"]) <= 4, f"{p['key']!r} is not on its description's row: {p}"
        assert p["dx"] >= p["kr"] - 1, f"{p['key']!r} overlaps or follows its description: {p}"
    lefts = {round(p["dx"]) for p in pairs}
    assert max(lefts) - min(lefts) <= 2, f"descriptions do not share one column: {sorted(lefts)}"


def test_labels_none_shows_no_label_buttons_only_the_align_toggle(lab: Any) -> None:
    _widget(lab, "None")
    parts = """() => [...document.querySelectorAll('[data-part="labelbar"] [data-part]')]
        .filter((e) => e.offsetParent !== null).map((e) => e.dataset.part)"""
    shown = lab.page.evaluate(parts)
    # With media the bar holds the Align toggle (the alignment panel), and no label tools.
    assert shown == ["align-toggle"], shown
    lab.exec("w.labels = ['Walk']")
    ok, shown = h.wait_until(lambda: lab.page.evaluate(parts), lambda p: "label" in p, 10)
    assert ok, f"no label button after labels were set: {shown}"
