"""End-to-end: the widget in marimo (``marimo run``) and in Voila, driven by a real mouse
in Chromium. Every check runs in both apps.

* marimo: an app (hostkit.write_marimo_app) builds ``w``, a TimeSeriesVideo of the
  shipped sample with its video beside the app, and ``big``, 300k samples without
  media, and shows both with ``mo.ui.anywidget``. marimo has no ``/files/`` handler.
* Voila: a notebook (hostkit.write_voila_notebook) shows the same two widgets.
  Voila's ``file_allowlist`` keeps its default (images only), so ``/voila/files/``
  refuses the video.

So in both the video must come through the kernel in chunks and play from a
``blob:`` URL. Neither app has a kernel-exec API: the app writes the widgets'
Python state to a JSON file from a traitlets observer on every change, and the
tests read that file.

Run: ``python -m pytest tests/e2e/test_apps.py``.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import hostkit as hk
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=["marimo", "voila"])
def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[hk.AppServer]:
    with hk.serving(request.param, tmp_path_factory) as server:
        yield server


@pytest.fixture(scope="module")
def shared(browser: Any, app: hk.AppServer) -> Iterator[hk.Session]:
    with hk.shared_session(app, browser) as s:
        yield s


@pytest.fixture
def session(shared: hk.Session, request: pytest.FixtureRequest) -> Iterator[hk.Session]:
    with hk.artifacts_on_failure(shared, request) as s:
        yield s


def test_the_app_does_not_serve_the_media_file(app: hk.AppServer) -> None:
    """The premise of the kernel fallback: neither app serves the video file itself."""
    path = "/voila/files/walk.mp4" if app.kind == "voila" else "/files/walk.mp4"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{app.base_url}{path}", timeout=10) as resp:
            status, body = resp.status, resp.read(64)
    except urllib.error.HTTPError as err:
        status, body = err.code, b""
    # marimo answers unknown paths with its app page (200, HTML), never the video.
    assert status in (403, 404) or not body.startswith(b"\0\0\0"), (
        f"{path} answered {status} with {body[:16]!r}: the app serves the media itself"
    )


def test_renders_and_media_comes_through_the_kernel(session: hk.Session, app: hk.AppServer) -> None:
    hk.check_renders(session)
    if app.kind == "marimo":
        # The widget's shadow root sits under marimo's anywidget element.
        host = session.w_root.first.evaluate(
            "(e) => { const r = e.getRootNode();"
            " return r.host ? r.host.tagName.toLowerCase() : null; }"
        )
        assert host == "marimo-anywidget", f"w is not rendered by mo.ui.anywidget: host {host!r}"
    hk.check_media_through_kernel(session, forbidden="/files/")


def test_media_plays_and_seeks(session: hk.Session) -> None:
    hk.check_plays_and_seeks(session)


def test_dragging_the_range_seeks_the_media(session: hk.Session) -> None:
    hk.check_range_drag_seeks(session)


def test_region_drawn_with_the_mouse_reaches_python(session: hk.Session) -> None:
    hk.check_draw_region(session)


def test_zooming_in_refines_the_detail_from_the_kernel(session: hk.Session) -> None:
    hk.check_zoom_refines(session)


@pytest.mark.parametrize("app", ["marimo"], indirect=True)
def test_marimo_plain_widget_as_last_expression(
    app: hk.AppServer, browser: Any, request: pytest.FixtureRequest
) -> None:
    """marimo: ``w`` itself as a cell's last expression (no mo.ui.anywidget) works too."""
    assert app.kind == "marimo"
    with (
        hk.shared_session(app, browser, view="plain") as plain,
        hk.artifacts_on_failure(plain, request) as s,
    ):
        hk.check_renders(s)
        hk.check_media_through_kernel(s, forbidden="/files/")
        hk.check_range_drag_seeks(s)
        hk.check_draw_region(s)
