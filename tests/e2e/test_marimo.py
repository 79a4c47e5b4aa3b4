"""End-to-end: the widget in marimo (``marimo run``), driven by a real mouse in Chromium.

A marimo app (hostkit.write_marimo_app) builds ``w``, a TimeSeriesVideo of the
shipped sample with its video beside the app, and ``big``, 300k samples
without media, and shows both with ``mo.ui.anywidget``. marimo has no
``/files/`` handler, so the video must come through the kernel in chunks and
play from a ``blob:`` URL. marimo ``run`` has no kernel-exec API: the app
writes the widgets' Python state to a JSON file from a traitlets observer on
every change, and the tests read that file.

Run: ``python -m pytest tests/e2e/test_marimo.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hostkit as hk
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def marimo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[hk.AppServer]:
    with hk.serving("marimo", tmp_path_factory) as server:
        yield server


@pytest.fixture(scope="module")
def shared(browser: Any, marimo_app: hk.AppServer) -> Iterator[hk.Session]:
    with hk.shared_session(marimo_app, browser) as s:
        yield s


@pytest.fixture
def session(shared: hk.Session, request: pytest.FixtureRequest) -> Iterator[hk.Session]:
    with hk.artifacts_on_failure(shared, request) as s:
        yield s


def test_renders_and_media_comes_through_the_kernel(session: hk.Session) -> None:
    hk.check_renders(session)
    # The widget's shadow root sits under marimo's anywidget element.
    host = session.w_root.first.evaluate(
        "(e) => { const r = e.getRootNode(); return r.host ? r.host.tagName.toLowerCase() : null; }"
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


def test_plain_widget_as_last_expression(
    marimo_app: hk.AppServer, browser: Any, request: pytest.FixtureRequest
) -> None:
    """``w`` itself as a cell's last expression (no mo.ui.anywidget) renders and syncs too."""
    with (
        hk.shared_session(marimo_app, browser, view="plain") as plain,
        hk.artifacts_on_failure(plain, request) as s,
    ):
        hk.check_renders(s)
        hk.check_media_through_kernel(s, forbidden="/files/")
        hk.check_range_drag_seeks(s)
        hk.check_draw_region(s)
