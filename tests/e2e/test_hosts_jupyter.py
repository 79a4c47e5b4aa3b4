"""End-to-end: every Jupyter host and window condition ("Every host, every window size").

* Notebook 7 (``python -m notebook``, pages under ``/notebooks/``): one page on a
  server of its own shows ``w`` twice (a 300 000-sample series, so the detail
  must come from the kernel, with labels) and the tests check, in order, that it
  renders with its media from ``/files/``, that the shortcuts legend is laid
  out, that dragging the range seeks, that a region drawn with the mouse reaches
  Python, that zooming in gets finer data from the kernel, and that both views
  play at real speed. Each test sets up the state it needs; they share the page
  because opening a notebook costs seconds.
* JupyterLab with its default settings (windowing mode ``contentVisibility``,
  not the ``none`` the rest of the layer uses): the shipped quickstart is run
  whole, and its first widget's regions, playheads and range sit where the
  model says, before and after the left sidebar opens and closes.
* JupyterLab's dark theme: text, chart background and axis labels turn light on
  dark, and the shortcuts legend stays readable.

Run: ``python -m pytest -q tests/e2e/test_hosts_jupyter.py``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from typing import Any

import harness as h
import pytest
import widgetkit as wk
from conftest import REPO, Lab, LabServer, lab_page, own_server
from test_labeling import LABELS, Labeling, wait_labeling_ready
from test_views import _PLAY_AND_COUNT_JS, _PLAYBACK_JS

pytestmark = pytest.mark.e2e

FRAME = 1 / 25  # one video frame of the sample (25 fps), in media seconds
PX_TOL = 2.0  # overlays must sit within this many pixels of where the model puts them


# --------------------------------------------------------------------------- Notebook 7


@pytest.fixture(scope="module")
def nb7(nb7_server: LabServer, browser: Any) -> Iterator[Lab]:
    """One Notebook 7 page showing ``w`` twice: 300k samples over 30 s, the sample video."""
    video = nb7_server.sample.video
    cell = (
        "import numpy as np, pandas as pd\n"
        "from IPython.display import display\n"
        "from tsvideo_widget import TimeSeriesVideo\n"
        "t = np.arange(300_000) / 10_000\n"
        "noise = np.random.default_rng(0).normal(size=t.size) * 0.1\n"
        "df = pd.DataFrame({'time': t, 'v': np.sin(t * 7) + noise})\n"
        f"w = TimeSeriesVideo(df, media={video!r}, time='time', labels={LABELS!r})\n"
        "display(w)"
    )
    with lab_page(nb7_server, browser) as lab:
        lab.run_notebook("nb7", [cell, "w"])
        assert "/notebooks/" in lab.page.url, f"not a Notebook 7 page: {lab.page.url}"
        ok, n = h.wait_until(
            lambda: lab.page.locator(wk.part("root")).count(), lambda c: c == 2, timeout=20
        )
        assert ok, f"expected two views of w in Notebook 7, found {n}"
        wait_labeling_ready(lab, "video")
        yield lab


def _detail_state(page: Any, view: int = 0) -> dict[str, str]:
    return dict(
        page.evaluate(
            "([sel, i]) => ({...document.querySelectorAll(sel)[i].dataset})",
            [wk.part("detail"), view],
        )
    )


def _show_window(lab: Lab, lo: float, hi: float) -> None:
    """Set ``w.selection`` from Python and wait until the page's detail shows it."""
    lab.exec(f"w.selection = ({lo!r}, {hi!r})")
    ok, ds = h.wait_until(
        lambda: _detail_state(lab.page),
        lambda d: float(d.get("lo", "nan")) == lo and float(d.get("hi", "nan")) == hi,
        timeout=10,
    )
    assert ok, f"the detail never showed the window ({lo}, {hi}): {ds}"


def test_notebook7_renders_with_media_from_files(nb7: Lab) -> None:
    page = nb7.page
    for name in ("overview", "detail", "range", "media", "labelbar"):
        n = page.locator(wk.part(name)).count()
        assert n == 2, f"{n} [data-part={name}] in Notebook 7, expected one per view (2)"
    assert page.locator(wk.part("error")).count() == 0, (
        f"error part shown: {page.locator(wk.part('error')).first.text_content()!r}"
    )
    for view in (0, 1):
        colours = wk.theme_colours(page, view)
        assert colours is not None
        for chart in ("detailAxis", "overviewAxis"):
            assert colours[chart] and colours[chart]["pixels"] > 30, (
                f"view {view}: the {chart[:-4]} chart painted no axis labels: {colours}"
            )
    # Notebook 7's page config has no serverRoot: the widget finds the root from
    # the kernel's JPY_SESSION_NAME and loads the file from /files/, not a blob.
    want = f"{nb7.server.base_url}/files/"
    srcs = page.evaluate(
        "(sel) => Array.from(document.querySelectorAll(sel)).map((m) => m.currentSrc)",
        wk.part("media"),
    )
    assert all(s.startswith(want) for s in srcs), (
        f"media should load from {want}..., currentSrc {srcs}; media: {wk.media_state(page)}"
    )
    duration = nb7.json("w.media_duration")
    assert abs(duration - 30.0) < 0.2, f"w.media_duration = {duration}, expected ~30.0 s"


def test_notebook7_shortcuts_legend_pairs_keys_and_descriptions(nb7: Lab) -> None:
    page = nb7.page
    pairs = wk.open_shortcuts(page, view=0)
    try:
        problems = wk.legend_problems(pairs)
        assert not problems, "; ".join(problems)
    finally:
        page.locator(wk.part("help-toggle")).first.click()  # close it again


def test_notebook7_drag_range_seeks(nb7: Lab) -> None:
    page = nb7.page
    _show_window(nb7, 0.0, 5.0)
    rng = h.box(page, wk.part("range"))
    ov = h.box(page, f"{wk.part('overview')} .u-over")
    dx = 150.0
    x0, y0 = rng["x"] + rng["width"] / 2, rng["y"] + rng["height"] / 2
    h.drag(page, x0, y0, x0 + dx, y0, steps=10)

    expected = dx / ov["width"] * 30.0
    tol = 3.0 / ov["width"] * 30.0

    def seen() -> tuple[float, float, float]:
        start, target = nb7.json("[w.selection[0], w.data_to_media(w.selection[0])]")
        return float(start), float(target), wk.media_time(page)

    ok, (start, target, t) = h.wait_until(
        seen,
        lambda v: abs(v[0] - expected) <= tol and abs(v[2] - v[1]) <= FRAME,
        timeout=10,
        interval=0.15,
    )
    assert abs(start - expected) <= tol, (
        f"dragging the range {dx:.0f} px right (overview {ov['width']:.0f} px for 30 s) "
        f"moved its start to {start:.3f}, expected {expected:.3f} ± {tol:.3f}"
    )
    assert ok and t > 1.0, (
        f"after the drag the video is at {t:.4f} s, expected data_to_media({start:.4f}) = "
        f"{target:.4f} s: {wk.media_state(page)}"
    )


def test_notebook7_region_drawn_with_mouse_reaches_python(nb7: Lab) -> None:
    _show_window(nb7, 6.0, 11.0)
    lw = Labeling(lab=nb7, kind="video")
    nb7.exec("w.regions = []")
    g, x0, x1 = lw.draw(0.2, 0.5)
    ok, regs = lw.wait_regions(lambda rs: len(rs) == 1)
    assert ok, (
        f"after dragging across the detail chart from x={x0} to x={x1} in Notebook 7, "
        f"w.regions is {regs}; DOM regions: {lw.dom_regions()}"
    )
    r = regs[0]
    assert r["label"] == "Walk", f"the new region's label is {r['label']!r}"
    want0, want1 = g.t_at(x0), g.t_at(x1)
    assert abs(r["start"] - want0) <= g.tol and abs(r["end"] - want1) <= g.tol, (
        f"region {r} should span {want0:.4f}..{want1:.4f} ± {g.tol:.4f} s"
    )
    ok, dom = lw.wait_dom_region(lambda ds: sum(d["id"] == r["id"] for d in ds) == 2)
    assert ok, f"the region should be drawn in both views: {dom}"


def test_notebook7_zoom_in_refines_detail_from_the_kernel(nb7: Lab) -> None:
    # 300k samples: the overview is decimated, so only the kernel's replies make
    # the detail "detail" (fine enough for the plot's width).
    page = nb7.page
    for lo, hi in ((14.0, 19.0), (18.0, 19.25)):
        nb7.exec(f"w.selection = ({lo!r}, {hi!r})")
        ok, ds = h.wait_until(
            lambda: _detail_state(page),
            lambda d, lo=lo: d.get("source") == "detail" and float(d.get("lo", "nan")) == lo,
            timeout=10,
        )
        assert ok, f"the window ({lo}, {hi}) was never drawn from the kernel's finer data: {ds}"
        assert int(ds["replies"]) >= 1 and "error" not in ds, ds


def test_notebook7_two_views_play_at_real_speed(nb7: Lab) -> None:
    page = nb7.page
    ok, ready = h.wait_until(
        lambda: page.evaluate(
            "(sel) => Array.from(document.querySelectorAll(sel)).map((m) => m.readyState)",
            wk.part("media"),
        ),
        lambda rs: len(rs) == 2 and all(r >= 3 for r in rs),
        timeout=15,
    )
    assert ok, f"the two media elements never became playable: readyState {ready}"
    start = page.evaluate(_PLAY_AND_COUNT_JS)
    try:
        time.sleep(3.0)  # measuring playback speed takes wall time
        end = page.evaluate(_PLAYBACK_JS)
    finally:
        page.evaluate(
            "(sel) => document.querySelectorAll(sel).forEach((m) => m.pause())", wk.part("media")
        )
    wall = (end["wall"] - start["wall"]) / 1000
    advanced = [b - a for a, b in zip(start["times"], end["times"], strict=True)]
    assert end["paused"] == [False, False], f"both views should play: paused {end['paused']}"
    assert all(a >= 0.8 * wall for a in advanced), (
        f"in {wall:.2f} s of wall time the media advanced by {advanced} s; seeks {end['seeks']}"
    )
    # Each view runs its own media clock from the shared `playing` trait; one that
    # started late catches up by bending its playback rate (no seeks).
    t0, t1 = end["times"]
    assert abs(t0 - t1) <= FRAME, f"the views play {abs(t0 - t1):.3f} s apart: {end['times']}"
    assert sum(end["seeks"]) <= 2, f"seeks while playing, per view: {end['seeks']}"


# --------------------------------------------------------------------------- JupyterLab defaults


@pytest.fixture(scope="module")
def lab_default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab with its own default windowing mode (no ``windowingMode`` setting)."""
    with own_server(tmp_path_factory, "lab-default", settings={h.TRACKER_SETTINGS: None}) as srv:
        yield srv


@pytest.fixture
def lab_default(lab_default_server: LabServer, browser: Any) -> Iterator[Lab]:
    with lab_page(lab_default_server, browser) as lab:
        yield lab


def _model_geometry(lab: Lab) -> tuple[tuple[float, float], float, float, list[dict[str, Any]]]:
    """The first widget's window, playhead, span and regions from the kernel (seconds since t0).

    The playhead is where the first media element is now, mapped to data time.
    """
    t = wk.media_time(lab.page)
    g = lab.json(
        "{'sel': [w.series.to_rel(v) for v in w.selection], "
        f"'playhead': w.series.to_rel(w.media_to_data({t!r})), 'span': w.series.span, "
        "'regions': [{'id': r['id'], 'start': w.series.to_rel(r['start']), "
        "'end': w.series.to_rel(r['end'])} for r in w.regions]}"
    )
    return (g["sel"][0], g["sel"][1]), float(g["playhead"]), float(g["span"]), g["regions"]


def test_default_windowing_quickstart_overlays_where_the_model_says(lab_default: Lab) -> None:
    lab, page = lab_default, lab_default.page
    shutil.copy2(REPO / "notebooks" / "quickstart.ipynb", lab.srv.root / "quickstart.ipynb")
    lab.opened.append("quickstart.ipynb")
    h.open_notebook(page, lab.server, "quickstart.ipynb")
    mode = page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.notebookConfig.windowingMode"
    )
    assert mode != "none", f"the notebook should use JupyterLab's default windowing, has {mode!r}"
    h.run_all(page, timeout_ms=60_000)
    wk.wait_for_widget(page)  # the first widget, scrolled back into view
    ok, _ = h.wait_until(lambda: lab.json("w.media_duration"), lambda d: d is not None, 15)
    assert ok, f"w.media_duration stayed None: {wk.media_state(page)}"
    # Put the playhead inside the window: Run All leaves it on the window's left
    # edge, and with the quickstart's sync="both" the window would follow a seek.
    target = float(lab.json("w.data_to_media(14.5)"))
    lab.exec(f"w.sync = 'ts-to-media'\nw.media_time = {target!r}")
    ok, state = h.wait_until(
        lambda: wk.media_state(page),
        lambda s: not s["seeking"] and abs(s["currentTime"] - target) <= FRAME,
        timeout=10,
    )
    assert ok, f"the first widget's media never reached {target:.3f} s: {state}"
    # The kernel holds the window the page shows.
    ok, agreed = h.wait_until(
        lambda: (lab.json("[w.series.to_rel(v) for v in w.selection]"), _detail_state(page)),
        lambda v: all(
            abs(a - float(v[1].get(k, "nan"))) < 1e-6
            for a, k in zip(v[0], ("lo", "hi"), strict=True)
        ),
        timeout=10,
        interval=0.2,
    )
    assert ok, f"the kernel's window and the page's never agreed: {agreed}"
    sel, playhead, span, regions = _model_geometry(lab)
    assert sel[0] + 1 < playhead < sel[1] - 1, f"playhead {playhead} not inside {sel}"
    assert any(r["end"] > sel[0] and r["start"] < sel[1] for r in regions), (
        f"the quickstart should leave a region in the window {sel}: {regions}"
    )

    def check(when: str) -> dict[str, Any]:
        ok, layout = h.wait_until(
            lambda: wk.view_layout(page, 0),
            lambda lay: not wk.misplaced(lay, sel, playhead, span, regions, PX_TOL),
            timeout=5,
        )
        assert ok, f"{when}: " + "; ".join(wk.misplaced(layout, sel, playhead, span, regions))
        assert layout is not None
        return layout

    layout = check("after Run All")
    for step in ("opening", "closing"):
        width = layout["root"]["width"]
        page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
        ok, lay = h.wait_until(
            lambda: wk.view_layout(page, 0),
            lambda lay, width=width: lay is not None and abs(lay["root"]["width"] - width) > 100,
            timeout=10,
        )
        assert ok, f"{step} the left sidebar did not change the widget's width ({width}): {lay}"
        layout = check(f"after {step} the left sidebar")


# --------------------------------------------------------------------------- dark theme


def _set_theme(page: Any, name: str, light: bool) -> None:
    page.evaluate(
        "async (t) => { await window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: t}); }",
        name,
    )
    page.wait_for_function(
        "(want) => document.body.dataset.jpThemeLight === want",
        arg=str(light).lower(),
        timeout=15_000,
    )


def _check_dark_theme(lab: Lab) -> None:
    """Light text on dark charts after switching to JupyterLab Dark; light again after."""
    page = lab.page
    # In the light theme the same measures read dark on light: they can tell.
    light = wk.theme_colours(page)
    assert light is not None and light["detailAxis"]["pixels"] > 30, light
    assert light["textLum"] < 0.2 and light["detailAxis"]["median"] < 0.2, (
        f"light theme: expected dark text and axis labels: {light}"
    )
    assert light["detailBgLum"] > 0.8, f"light theme: expected a light chart background: {light}"

    try:
        _set_theme(page, "JupyterLab Dark", light=False)

        def dark_enough(c: dict[str, Any] | None) -> bool:
            return (
                c is not None
                and c["textLum"] > 0.5
                and c["detailBgLum"] < 0.1
                and c["overviewBgLum"] < 0.1
                and all(
                    c[a] and c[a]["pixels"] > 30 and c[a]["median"] > 0.5
                    for a in ("detailAxis", "overviewAxis")
                )
                and (c["axisContrast"] or 0) >= 4.5
            )

        ok, dark = h.wait_until(lambda: wk.theme_colours(page), dark_enough, timeout=10)
        assert ok, (
            "after switching to JupyterLab Dark the widget should show light text and axis "
            f"labels on a dark chart background (luminance 0..1): {dark}; light theme was {light}"
        )
        assert dark is not None and dark["textContrast"] >= 4.5, f"text contrast: {dark}"
        root_theme = page.locator(wk.part("root")).first.get_attribute("data-theme")
        assert root_theme == "dark", f"the root says data-theme={root_theme!r}"

        pairs = wk.open_shortcuts(page)
        problems = wk.legend_problems(pairs, min_contrast=4.5)
        assert not problems, "dark theme shortcuts legend: " + "; ".join(problems)
        assert all(p["bgLum"] < 0.1 for p in pairs), f"legend not on a dark background: {pairs}"
    finally:
        # The theme is a user setting the server keeps: leave it light for the next page.
        _set_theme(page, "JupyterLab Light", light=True)
        if page.locator(wk.part("shortcuts")).first.is_visible():
            page.locator(wk.part("help-toggle")).first.click()


def test_dark_theme_turns_text_and_charts_light_on_dark(lab_default: Lab) -> None:
    lab = lab_default
    sample = lab.srv.sample
    cell = (
        "from tsvideo_widget import TimeSeriesVideo\n"
        f"w = TimeSeriesVideo({sample.data!r}, media={sample.video!r}, time='time', "
        f"channels=['height', 'ax'], labels={LABELS!r})\nw"
    )
    lab.run_notebook("dark", [cell])
    wait_labeling_ready(lab, "video")
    _check_dark_theme(lab)


def test_notebook7_dark_theme(nb7: Lab) -> None:
    _check_dark_theme(nb7)
