"""The static HTML export: what the page holds, and what it never holds."""

from __future__ import annotations

import base64
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import traitlets

import tsvideo_widget as tv
from tsvideo_widget import export
from tsvideo_widget.media import MediaError

STATE = re.compile(
    r'<script type="application/vnd\.tsvideo-widget\+json" data-for="([^"]+)">(.*?)</script>', re.S
)


def states(text: str) -> dict[str, dict]:
    return {m.group(1): json.loads(m.group(2)) for m in STATE.finditer(text)}


@pytest.fixture
def sample_widget() -> tv.TimeSeriesVideo:
    s = tv.sample()
    return tv.TimeSeriesVideo(
        s.data,
        media=s.video,
        labels=["</script><img src=x onerror=alert(1)>", "run"],
        regions=[{"start": 1.0, "end": 3.0, "label": "run", "meta": {"note": "</script>"}}],
    )


def test_one_bundle_for_several_widgets_and_one_state_each(
    tmp_path: Path, sample_widget: tv.TimeSeriesVideo
) -> None:
    s = tv.sample()
    other = tv.TimeSeriesVideo(s.data, media=s.audio)
    out = tv.to_html(tmp_path / "page.html", sample_widget, other)
    text = out.read_text()
    bundle = (Path(tv.__file__).parent / "static" / "widget.js").read_text()
    assert text.count('id="tsv-bundle"') == 1
    assert text.count("mountStatic") >= 1 and len(text) < 2 * len(bundle) + 2_000_000
    got = states(text)
    assert list(got) == ["tsv-widget-0", "tsv-widget-1"]
    for key in ("tsv-widget-0", "tsv-widget-1"):
        assert f'<div class="tsv-static" id="{key}"></div>' in text
    st = got["tsv-widget-0"]["state"]
    assert st["regions"][0]["label"] == "run"
    assert st["_labels"][0]["name"] == "</script><img src=x onerror=alert(1)>"
    assert not {"_esm", "_css", "layout", "_model_name", "_view_name"} & st.keys()


def test_strings_from_labels_and_meta_cannot_close_the_script(
    tmp_path: Path, sample_widget: tv.TimeSeriesVideo
) -> None:
    text = sample_widget.to_html(tmp_path / "p.html").read_text()
    # Only the page's own script elements close: 1 state + 1 bundle + 1 boot.
    assert text.lower().count("</script") == 3
    assert "<img src=x" not in text.replace("<\\/script><img src=x", "")


def test_overview_buffers_are_the_widgets_bytes(
    tmp_path: Path, sample_widget: tv.TimeSeriesVideo
) -> None:
    st = states(sample_widget.to_html(tmp_path / "p.html").read_text())["tsv-widget-0"]["state"]
    ov = sample_widget.get_state()["_overview"]
    assert base64.b64decode(st["_overview"]["x"]["__b64__"]) == bytes(ov["x"])
    for enc, raw in zip(st["_overview"]["ys"], ov["ys"], strict=True):
        assert base64.b64decode(enc["__b64__"]) == bytes(raw)


def test_local_paths_stay_out_and_media_is_found_beside_the_page(tmp_path: Path) -> None:
    s = tv.sample()
    media_dir = tmp_path / "media dir"
    media_dir.mkdir()
    clip = media_dir / "my clip#1.mp4"
    clip.write_bytes(Path(s.video).read_bytes())
    w = tv.TimeSeriesVideo(s.data, media=clip)
    page_dir = tmp_path / "pages"
    page_dir.mkdir()
    text = w.to_html(page_dir / "p.html").read_text()
    media = states(text)["tsv-widget-0"]["state"]["_media"][0]
    assert media["href"] == "../media%20dir/my%20clip%231.mp4"
    assert not {"path", "home", "cwd", "session"} & media.keys()
    assert str(tmp_path) not in text


def test_media_href_replaces_the_place_and_refuses_other_schemes(tmp_path: Path) -> None:
    s = tv.sample()
    w = tv.TimeSeriesVideo(s.data, media=Path(s.video).read_bytes())
    media = states(w.to_html(tmp_path / "a.html").read_text())["tsv-widget-0"]["state"]["_media"][0]
    assert "href" not in media  # bytes: nothing to point at unless told
    media = states(w.to_html(tmp_path / "b.html", media_href="clip.mp4").read_text())[
        "tsv-widget-0"
    ]["state"]["_media"][0]
    assert media["href"] == "clip.mp4"
    u = tv.TimeSeriesVideo(s.data, media="https://example.org/v.mp4")
    media = states(
        u.to_html(tmp_path / "c.html", media_href="https://cdn.example.org/v.mp4").read_text()
    )["tsv-widget-0"]["state"]["_media"][0]
    assert media["url"] == "https://cdn.example.org/v.mp4"
    for bad in ["javascript:alert(1)", "file:///etc/passwd", "data:video/mp4;base64,AA"]:
        with pytest.raises(MediaError, match="media_href"):
            w.to_html(tmp_path / "d.html", media_href=bad)
    assert not (tmp_path / "d.html").exists()


def test_bad_arguments_are_refused(tmp_path: Path, sample_widget: tv.TimeSeriesVideo) -> None:
    with pytest.raises(traitlets.TraitError, match="at least one"):
        tv.to_html(tmp_path / "x.html")
    for bad in [-1, float("nan"), "4"]:
        with pytest.raises(traitlets.TraitError, match="budget_mb"):
            sample_widget.to_html(tmp_path / "x.html", budget_mb=bad)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def big() -> tv.TimeSeriesVideo:
    n = 400_000
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "t": np.arange(n) / 1000.0,
            "a": rng.standard_normal(n).astype("float32"),
            "b": np.sin(np.arange(n) / 500).astype("float32"),
        }
    )
    return tv.TimeSeriesVideo(df, time="t")


def test_tiles_fill_the_budget_level_by_level_and_get_finer(big: tv.TimeSeriesVideo) -> None:
    budget = 3_000_000
    tiles = export.embedded_chunks(big, budget)
    size = sum(len(b) + 200 for t in tiles for b in t["buffers"])
    assert size <= budget
    widths: dict[float, list[dict]] = {}
    for t in tiles:
        h = t["header"]
        widths.setdefault(round(h["hi"] - h["lo"], 6), []).append(h)
    levels = sorted(widths, reverse=True)
    assert len(levels) >= 3
    # Whole levels: 1, 3, 7, ... tiles, each half as wide and finer than the last.
    assert [len(widths[w]) for w in levels] == [2 ** (k + 1) - 1 for k in range(len(levels))]
    dts = [max(h["dt"] for h in widths[w]) for w in levels]
    assert all(b < a for a, b in itertools.pairwise(dts))
    # Any window up to half a tile wide lies inside one tile of that level.
    span = big.series.span
    finest = widths[levels[-1]]
    step = levels[-1] / 2
    for lo in np.linspace(0, span - step, 37):
        assert any(h["lo"] <= lo and h["hi"] >= lo + step - 1e-9 for h in finest)
    assert export.embedded_chunks(big, 0) == []


def test_the_page_grows_with_the_budget_only(tmp_path: Path, big: tv.TimeSeriesVideo) -> None:
    small = big.to_html(tmp_path / "small.html", budget_mb=0).stat().st_size
    large = big.to_html(tmp_path / "large.html", budget_mb=2).stat().st_size
    assert small < large <= small + 2_000_000


def test_nothing_is_embedded_when_the_overview_holds_every_sample(tmp_path: Path) -> None:
    s = tv.sample()
    w = tv.TimeSeriesVideo(s.data)
    assert w._overview["bucket"] == 1
    assert export.embedded_chunks(w, 4_000_000, (0.0, 5.0)) == []
    assert states(w.to_html(tmp_path / "p.html").read_text())["tsv-widget-0"]["chunks"] == []


def test_the_window_the_page_opens_on_comes_first_at_full_resolution(
    tmp_path: Path, big: tv.TimeSeriesVideo
) -> None:
    big.selection = (100.0, 105.0)
    chunks = states(big.to_html(tmp_path / "p.html").read_text())["tsv-widget-0"]["chunks"]
    first = chunks[0]["header"]
    assert (first["lo"], first["hi"]) == (95.0, 110.0)
    # At least one column per pixel of a 2000 px chart showing the 5 s window.
    assert first["bucket"] <= 1 or first["dt"] <= 5.0 / 2000
    assert all(c["header"]["dt"] > first["dt"] for c in chunks[1:])
