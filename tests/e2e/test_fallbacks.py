"""End-to-end: the conditions of hosts that cannot run here (VS Code, Colab), simulated
in JupyterLab.

* No ``/files/`` handler: every request to it fails, so local media must come through
  the kernel (streamed a chunk at a time, the page's heap never holding the file).
* Binary buffers that do not arrive: the kernel's custom messages lose their buffers,
  so the widget must notice and switch to base64 text by itself.
* A browser that shows H.264 but cannot play AAC sound (VS Code): the widget says so
  and the video still plays.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import harness as h
import pytest
import widgetkit as wk

pytestmark = pytest.mark.e2e


def ffmpeg(*args: str) -> None:
    """Run the ffmpeg that imageio-ffmpeg ships (a test dependency), quietly; raise on failure."""
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", *args], check=True)


def _no_files_handler(lab: Any) -> list[str]:
    """Make every /files/ request fail (404), as in a host without Jupyter's handler."""
    refused: list[str] = []

    def refuse(route: Any) -> None:
        refused.append(route.request.url)
        route.fulfill(status=404, body="no /files/ here")

    lab.page.route("**/files/**", refuse)
    return refused


def _detail_state(lab: Any) -> dict[str, str]:
    return dict(
        lab.page.evaluate("(s) => ({...document.querySelector(s).dataset})", wk.part("detail"))
    )


def _big_series_cell(media: str, extra: str = "") -> str:
    return (
        "import numpy as np, pandas as pd\n"
        "from tsvideo_widget import TimeSeriesVideo\n"
        "t = np.arange(300_000) / 10_000\n"
        "df = pd.DataFrame({'time': t, 'v': np.sin(t * 7)})\n"
        f"w = TimeSeriesVideo(df, media={media!r}, time='time'{extra})\n"
    )


# Record every text the status line shows (a note may last only while loading).
_STATUS_LOG = """
(() => {
  window.__statusTexts = [];
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('[data-part="status"]')) {
      const t = el.textContent;
      if (t && window.__statusTexts.at(-1) !== t) window.__statusTexts.push(t);
    }
  }).observe(document, {subtree: true, childList: true, characterData: true});
})();
"""


def test_without_files_handler_media_streams_from_the_kernel_and_seeks(lab: Any) -> None:
    refused = _no_files_handler(lab)
    lab.page.add_init_script(_STATUS_LOG)
    sample = lab.srv.sample
    lab.run_notebook("nofiles", wk.widget_cells(sample.data, sample.video))
    wk.wait_for_widget(lab.page)
    state = wk.media_state(lab.page)
    assert state["src"].startswith("blob:"), f"media did not come from the kernel: {state}"
    assert refused, "the widget never tried /files/ first (the test would prove nothing)"
    texts = lab.page.evaluate("() => window.__statusTexts")
    assert any(f"Loading {sample.video} through the kernel" in t for t in texts), (
        f"no progress note while the media came through the kernel: {texts}"
    )
    lab.exec("w.selection = (12.0, 17.0)")
    target = lab.json("w.data_to_media(12.0)")
    ok, _ = h.wait_until(lambda: wk.media_time(lab.page), lambda v: abs(v - target) < 0.05, 10)
    assert ok, f"kernel-streamed media did not seek to {target}: {wk.media_state(lab.page)}"


def test_a_large_file_through_the_kernel_never_sits_whole_in_the_page_heap(
    lab: Any, tmp_path: Path
) -> None:
    """128 MB through the kernel: the page's memory (JS heap and ArrayBuffers) grows by far
    less than the file: it never holds the whole file, one chunk at a time."""
    size = 128 * 1024 * 1024
    big = tmp_path / "big.mp4"  # outside the server root: only the kernel can serve it
    shutil.copy(lab.srv.sample.originals.video, big)
    with open(big, "r+b") as f:
        f.truncate(size)
    cdp = lab.context.new_cdp_session(lab.page)
    lab.run_notebook("bigfile", [_big_series_cell(str(big)) + "w"])
    lab.page.wait_for_selector(wk.part("root"), state="visible")

    def heap() -> int:
        """The page's JS heap plus its ArrayBuffers' bytes (they live outside the heap)."""
        usage = cdp.send("Runtime.getHeapUsage")
        return int(usage["usedSize"]) + int(usage.get("backingStorageSize", 0))

    assert "backingStorageSize" in cdp.send("Runtime.getHeapUsage"), "cannot see ArrayBuffers"
    cdp.send("HeapProfiler.collectGarbage")
    base = heap()
    peak = base
    src = ""

    def loaded() -> str:
        nonlocal peak
        # What the page holds, not garbage waiting for a collection (under load the
        # collector lags behind the 4 MiB messages arriving).
        cdp.send("HeapProfiler.collectGarbage")
        peak = max(peak, heap())
        return str(wk.media_state(lab.page).get("src") or "")

    ok, src = h.wait_until(loaded, lambda s: s.startswith("blob:"), timeout=120, interval=0.05)
    assert ok, f"the 128 MB file never finished loading: {wk.media_state(lab.page)}"
    blob_size = lab.page.evaluate("async (u) => (await (await fetch(u)).blob()).size", src)
    assert blob_size == size, f"the blob holds {blob_size} bytes, the file {size}"
    grew = peak - base
    assert grew < size / 4, (
        f"the page's heap grew by {grew / 1e6:.0f} MB while a {size / 1e6:.0f} MB file "
        "streamed through the kernel: it holds the file, not one chunk at a time"
    )


def test_buffers_lost_by_the_host_switch_the_widget_to_base64_text(lab: Any) -> None:
    # The kernel's custom messages lose their binary buffers, as on a host whose binary
    # messages are broken: the browser must notice (declared sizes) and ask for text.
    drop = "_send = w.send\nw.send = lambda content, buffers=None: _send(content, None)\n"
    lab.run_notebook("nobuffers", [_big_series_cell(lab.srv.sample.video) + drop + "w"])
    wk.wait_for_widget(lab.page)
    lab.exec("w.selection = (14.0, 19.0)")
    ok, ds = h.wait_until(
        lambda: _detail_state(lab),
        lambda d: d.get("source") == "detail" and d.get("lo") == "14",
        timeout=15,
    )
    assert ok, f"the detail never drew the kernel's data without binary buffers: {ds}"
    assert ds.get("transport") == "base64" and "error" not in ds, ds


def test_transport_base64_draws_detail_and_streams_media_as_text(lab: Any) -> None:
    refused = _no_files_handler(lab)
    cell = _big_series_cell(lab.srv.sample.video, ", transport='base64'") + "w"
    lab.run_notebook("base64", [cell])
    wk.wait_for_widget(lab.page)
    assert wk.media_state(lab.page)["src"].startswith("blob:") and refused
    lab.exec("w.selection = (14.0, 19.0)")
    ok, ds = h.wait_until(
        lambda: _detail_state(lab),
        lambda d: d.get("source") == "detail" and d.get("lo") == "14",
        timeout=15,
    )
    assert ok and ds.get("transport") == "base64" and "error" not in ds, ds


_NO_AAC = """
(() => {
  const can = HTMLMediaElement.prototype.canPlayType;
  HTMLMediaElement.prototype.canPlayType = function (type) {
    return /mp4a/.test(type) ? "" : can.call(this, type);
  };
})();
"""


@pytest.fixture(scope="module")
def aac_clip(lab_server: Any) -> str:
    """The sample video with AAC sound, in the server root; returns its name."""
    clip = lab_server.root / "with_aac.mp4"
    if not clip.exists():
        ffmpeg(
            "-i",
            str(lab_server.sample.originals.video),
            "-f",
            "lavfi",
            "-i",
            "sine=duration=30",
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-c:v",
            "copy",
            "-c:a",
            "aac",
            "-shortest",
            str(clip),
        )
    return clip.name


def test_aac_sound_the_browser_cannot_play_is_named_and_the_video_still_plays(
    lab: Any, aac_clip: str
) -> None:
    lab.page.add_init_script(_NO_AAC)
    lab.run_notebook("aac", wk.widget_cells(lab.srv.sample.data, aac_clip))
    wk.wait_for_widget(lab.page)
    note = lab.page.locator(wk.part("media-note"))
    note.wait_for(state="visible", timeout=10_000)
    text = note.text_content() or ""
    assert f"cannot play the AAC sound of {aac_clip}" in text and "without sound" in text, text
    assert lab.page.locator(wk.part("error")).count() == 0
    t0 = wk.media_time(lab.page)
    lab.page.evaluate("() => document.querySelector('[data-part=\"media\"]').play()")
    ok, _ = h.wait_until(lambda: wk.media_time(lab.page), lambda v: v > t0 + 0.5, 10)
    assert ok, f"the video did not play: {wk.media_state(lab.page)}"


def test_a_browser_that_plays_aac_shows_no_note(lab: Any, aac_clip: str) -> None:
    lab.run_notebook("aac_ok", wk.widget_cells(lab.srv.sample.data, aac_clip))
    wk.wait_for_widget(lab.page)
    assert lab.json("w.media_source.audio_codec") == "mp4a.40.2"
    lab.page.wait_for_timeout(300)
    assert lab.page.locator(wk.part("media-note")).count() == 0


@pytest.fixture(scope="module")
def fragmented_clip(tmp_path_factory: pytest.TempPathFactory, lab_server: Any) -> Path:
    """The sample video as a fragmented MP4 (1 s fragments), outside the server root."""
    clip = tmp_path_factory.mktemp("fragmented") / "walk_fragmented.mp4"
    ffmpeg(
        "-i",
        str(lab_server.sample.originals.video),
        "-c:v",
        "libx264",
        "-g",
        "25",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "frag_keyframe+empty_moov+default_base_moof",
        str(clip),
    )
    return clip


_BUFFERED_JS = """() => {
  const m = document.querySelector('[data-part="media"]');
  const out = [];
  for (let i = 0; i < m.buffered.length; i++) out.push([m.buffered.start(i), m.buffered.end(i)]);
  return {stream: m.dataset.stream || null, buffered: out, time: m.currentTime,
          duration: m.duration, seeking: m.seeking, src: m.currentSrc};
}"""


def test_a_fragmented_mp4_streams_from_the_kernel_and_seeks_without_loading_it_whole(
    lab: Any, fragmented_clip: Path
) -> None:
    cell = wk.widget_cells(lab.srv.sample.data, str(fragmented_clip))
    lab.run_notebook("fragmented", cell)
    wk.wait_for_widget(lab.page)
    state = lab.page.evaluate(_BUFFERED_JS)
    assert state["stream"] == "mse", f"the fragmented MP4 was not streamed: {state}"
    assert state["duration"] == pytest.approx(30.0, abs=0.1), state
    assert lab.json("w.media_duration") == pytest.approx(30.0, abs=0.1)
    # Seek near the end: fragments there are fetched, those 20 s behind are dropped.
    lab.exec("w.selection = (27.0, 29.0)")
    target = lab.json("w.data_to_media(27.0)")
    ok, state = h.wait_until(
        lambda: lab.page.evaluate(_BUFFERED_JS),
        lambda s: (
            not s["seeking"]
            and abs(s["time"] - target) < 0.05
            and s["buffered"]
            and s["buffered"][0][0] >= 5.0
        ),
        timeout=15,
    )
    assert ok, (
        f"after seeking to {target} s the stream should play there and hold no media from "
        f"before 5 s (20 s behind): {state}"
    )
    t0 = state["time"]
    lab.page.evaluate("() => document.querySelector('[data-part=\"media\"]').play()")
    ok, _ = h.wait_until(lambda: wk.media_time(lab.page), lambda v: v > t0 + 0.5, 10)
    assert ok, f"the stream did not play on: {lab.page.evaluate(_BUFFERED_JS)}"
