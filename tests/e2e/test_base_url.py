"""End-to-end: the widget on a server with a non-root base URL (as on JupyterHub).

The module starts its own JupyterLab with ``--ServerApp.base_url=/user/someone/``
and shows the sample video given as a local path and as the URL path
``/files/<name>``. Both must load from ``/user/someone/files/`` (not from the
origin's root, which 404s there) and seek when the range is dragged.

Run: ``python -m pytest -q tests/e2e/test_base_url.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import harness as h
import pytest
import widgetkit as wk
from conftest import LabServer, _sample_into

pytestmark = pytest.mark.e2e

BASE = "/user/someone/"
FRAME = 1 / 25  # one video frame of the sample (25 fps), in media seconds


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """This module's own server, under BASE (overrides the session-wide one for ``lab``)."""
    if not os.path.exists(h.CHROMIUM):
        pytest.fail(f"{h.CHROMIUM} is missing (apt-get install chromium)", pytrace=False)
    root = tmp_path_factory.mktemp("e2e-root-base-url")
    home = tmp_path_factory.mktemp("e2e-jupyter-base-url")
    artifacts = tmp_path_factory.getbasetemp() / "e2e-artifacts"
    sample = _sample_into(root)
    server = h.JupyterServer(root, home, base_url=BASE)
    server.start()
    try:
        yield LabServer(server=server, root=root, artifacts=artifacts, sample_or_reason=sample)
    finally:
        server.stop()


def test_server_serves_under_the_base_url(lab_server: LabServer) -> None:
    srv = lab_server.server
    assert srv.base_url == f"http://127.0.0.1:{srv.port}/user/someone"
    assert srv.lab_url("a.ipynb").startswith(f"http://127.0.0.1:{srv.port}/user/someone/lab/")
    assert isinstance(srv.api("GET", "/api/status"), dict)


@pytest.mark.parametrize("form", ["local path", "URL path"])
def test_media_loads_from_the_base_url_and_seeks(lab: Any, form: str) -> None:
    sample = lab.srv.sample
    media = sample.video if form == "local path" else f"/files/{sample.video}"
    lab.run_notebook(f"base_url_{form}", wk.widget_cells(sample.data, media))
    wk.wait_for_widget(lab.page)
    page = lab.page
    assert page.locator(wk.part("error")).count() == 0, (
        f"error part shown: {page.locator(wk.part('error')).first.text_content()!r}"
    )

    state = wk.media_state(page)
    assert state["tag"] == "video", f"media element: {state}"
    want = f"http://127.0.0.1:{lab.server.port}{BASE}files/"
    assert state["src"].startswith(want), (
        f"media {media!r} should load from {want}..., currentSrc={state['src']!r}"
    )
    assert state["readyState"] >= 1, f"media never loaded its metadata: {state}"
    ok, _ = h.wait_until(lambda: lab.json("w.media_duration"), lambda d: d is not None, 15)
    assert ok, f"w.media_duration stayed None: {wk.media_state(page)}"

    # Drag the range right with the mouse: the selection moves and the video seeks
    # to the media time of the selection's new start.
    start0 = float(lab.json("w.selection[0]"))
    ov = h.box(page, wk.part("overview"))
    rng = h.box(page, wk.part("range"))
    room = (ov["x"] + ov["width"]) - (rng["x"] + rng["width"]) - 5
    dx = min(150.0, room)
    assert dx > 40, f"no room to drag the range right: overview={ov}, range={rng}"
    x0, y0 = rng["x"] + rng["width"] / 2, rng["y"] + rng["height"] / 2
    h.drag(page, x0, y0, x0 + dx, y0, steps=10)

    def seen() -> tuple[float, float, float]:
        start, target = lab.json("[w.selection[0], w.data_to_media(w.selection[0])]")
        return float(start), float(target), wk.media_time(page)

    ok, (start, target, t) = h.wait_until(
        seen, lambda v: v[0] > start0 and abs(v[2] - v[1]) <= FRAME, timeout=10, interval=0.15
    )
    assert start > start0, f"dragging the range {dx:.0f} px right left its start at {start}"
    assert abs(t - target) <= FRAME, (
        f"after the drag the video is at {t:.4f} s, expected data_to_media({start:.4f}) = "
        f"{target:.4f} s: {wk.media_state(page)}"
    )
    assert t > FRAME, f"the video did not seek: {wk.media_state(page)}"
