"""End-to-end: the widget in Voila, driven by a real mouse in Chromium.

Voila runs a notebook (hostkit.write_voila_notebook) showing ``w``, a
TimeSeriesVideo of the shipped sample with its video beside the notebook, and
``big``, 300k samples without media. Voila's ``file_allowlist`` keeps its
default (images only), so ``/voila/files/`` refuses the video: the widget must
fetch it through the kernel and play it from a ``blob:`` URL. The notebook
writes the widgets' Python state to a JSON file from a traitlets observer on
every change, and the tests read that file.

Run: ``python -m pytest tests/e2e/test_voila.py``.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import hostkit as hk
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def voila_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[hk.AppServer]:
    with hk.serving("voila", tmp_path_factory) as server:
        yield server


@pytest.fixture(scope="module")
def shared(browser: Any, voila_app: hk.AppServer) -> Iterator[hk.Session]:
    with hk.shared_session(voila_app, browser) as s:
        yield s


@pytest.fixture
def session(shared: hk.Session, request: pytest.FixtureRequest) -> Iterator[hk.Session]:
    with hk.artifacts_on_failure(shared, request) as s:
        yield s


def test_voila_does_not_serve_the_media_file(voila_app: hk.AppServer) -> None:
    """The premise of the kernel fallback: the default allowlist refuses the video."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{voila_app.base_url}/voila/files/walk.mp4", timeout=10) as resp:
            status = resp.status
    except urllib.error.HTTPError as err:
        status = err.code
    assert status in (403, 404), f"/voila/files/walk.mp4 answered {status}, expected a refusal"


def test_renders_and_media_comes_through_the_kernel(session: hk.Session) -> None:
    hk.check_renders(session)
    hk.check_media_through_kernel(session, forbidden="/files/")


def test_media_plays_and_seeks(session: hk.Session) -> None:
    hk.check_plays_and_seeks(session)


def test_dragging_the_range_seeks_the_media(session: hk.Session) -> None:
    hk.check_range_drag_seeks(session)


def test_region_drawn_with_the_mouse_reaches_python(session: hk.Session) -> None:
    hk.check_draw_region(session)


def test_zooming_in_refines_the_detail_from_the_kernel(session: hk.Session) -> None:
    hk.check_zoom_refines(session)
