"""End-to-end: several media tracks (two cameras, one microphone), each on its own clock.

A generated session (``tests/mediakit.py``) is put under the server root in ``tracks/``:
``front.mp4`` (offset 0, rate 1), ``side.mp4`` (offset 2.35, rate 1.001: a 1000 ppm fast
clock) and ``mic.wav`` (offset -3.0, rate 0.9999: it starts 3 s after the data). Every video
frame burns in its own index, so the pixels on screen say which frame is shown.

The mapping of every track is ``media = offset + rate * data`` (data seconds since the
first sample; the session's ``time`` starts at 0.0, so data seconds = the time column).

What the page exposes (the contract these tests read):

* ``[data-part=root]`` carries ``data-clock``, the master data clock as JSON
  ``{"at": performance.now() ms, "data": s, "speed": s/s, "running": bool}``: the data
  time at page time ``now`` is ``data + (now - at) / 1000 * speed`` while running.
* one tile per track, ``[data-part=track][data-track=<name>]``, with ``data-state``
  ``"media"`` / ``"no-media"`` and, inside, the ``[data-part=media]`` element (``<video>``
  or ``<audio>``), a ``[data-part=track-name]`` label and a ``[data-part=no-media]`` overlay;
* an audio track's waveform lane ``[data-part=lane][data-track=<name>]`` holding a
  ``canvas[data-part=waveform]``.

Tests: (a) a range drag seeks every track to its own mapping of the range's left edge;
(b) 20 s of playback: every presented video frame (``requestVideoFrameCallback``) and the
audio position match the data clock mapped onto each track, and the frame index read from
the pixels matches the frame's media time; (c) the mic shows "no media" before it starts and
joins in step once the clock passes its start; (d) tiles, names and side-by-side layout.

Run: ``python -m pytest -q tests/e2e/test_tracks.py``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import harness as h
import numpy as np
import pytest
import widgetkit as wk
from conftest import Lab, LabServer, lab_page, own_server

# tests/, for mediakit (appended: it must not shadow this folder's modules)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import mediakit as mk

pytestmark = pytest.mark.e2e

SUBDIR = "tracks"  # the session's folder under the server root
NAMES = ("front", "side", "mic")
VIDEOS = ("front", "side")
AUDIO = "mic"

FRAME = 1 / mk.FPS  # one video frame, in media seconds
VIDEO_TOL = FRAME + 0.001  # a presented frame vs the clock's mapping (b)
SEEK_VIDEO_TOL = FRAME + 1e-6  # a video's currentTime after a seek (a)
AUDIO_TOL = 0.020  # an audio element's currentTime vs the mapping
# Chromium's sound output on this loaded 2-core machine now and then skips for a moment
# (an underrun: currentTime jumps 20-40 ms for a sample or two with nothing correcting it).
# Such skips may be at most AUDIO_SKIPS of the judged samples, each within AUDIO_SKIP_TOL;
# the 95th percentile must still be within AUDIO_TOL, and a skip of the widget's own
# (a seek or start landing wrong) would show as more or larger ones.
AUDIO_SKIPS = 0.03
AUDIO_SKIP_TOL = 0.060
PX_TOL = 3.0  # pixels, for the range on the overview

SETTLE_S = 1.0  # (b) samples in the first second of playback are not judged
PLAY_S = 20.0  # (b) judged playback
SAMPLE_EVERY_MS = 250
DECODE_EVERY = 4  # (b) read the frame index from the pixels on every 4th sample
MIC_SETTLE_S = 0.5  # (c) data seconds after the mic's start before 20 ms is required
MIC_SWITCH_EARLY_S = 0.1  # (c) the tile may turn "media" this much before the mic starts
MIC_SWITCH_LATE_S = 0.5  # (c) ... and must have turned by this much after


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def tracks_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A server of this module's own, with the generated session in ``<root>/tracks``."""
    with own_server(tmp_path_factory, "tracks") as srv:
        srv.sample  # noqa: B018 - fails here, saying why, when the widget is not built
        mk.make_session(srv.root / SUBDIR)
        yield srv


@pytest.fixture(scope="module")
def session(tracks_server: LabServer) -> mk.Session:
    return mk.make_session(tracks_server.root / SUBDIR)  # the files made above, reused


@pytest.fixture
def lab(tracks_server: LabServer, browser: Any) -> Iterator[Lab]:
    with lab_page(tracks_server, browser) as lab:
        yield lab


# --------------------------------------------------------------------------- page side

# Helpers every page-side function below starts with.
_PRELUDE = """
  const root = document.querySelector('[data-part="root"]');
  const tileOf = (name) =>
    root && root.querySelector(`[data-part="track"][data-track="${name}"]`);
  const mediaOf = (name) => {
    const t = tileOf(name);
    return t && t.querySelector('[data-part="media"]');
  };
  const clockNow = () => {
    const raw = root && root.getAttribute('data-clock');
    if (!raw) return null;
    try { return JSON.parse(raw); } catch (e) { return {bad: raw}; }
  };
  const okClock = (c) => !!c && !c.bad && Number.isFinite(c.data) && Number.isFinite(c.at);
  const dataAt = (c, ms) => (c.running ? c.data + (ms - c.at) / 1000 * c.speed : c.data);
  const shown = (el) => !!el && !el.hidden && el.checkVisibility({
    opacityProperty: true, visibilityProperty: true, checkOpacity: true,
    checkVisibilityCSS: true});
  const boxOf = (el) => {
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return {x: r.left, y: r.top, right: r.right, bottom: r.bottom, width: r.width,
            height: r.height};
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const waitRunning = async (timeoutMs) => {
    const t0 = performance.now();
    for (;;) {
      const c = clockNow();
      if (okClock(c) && c.running) return null;
      if (performance.now() - t0 > timeoutMs)
        return 'the data clock did not start running within ' + timeoutMs + ' ms; data-clock = '
          + (root ? root.getAttribute('data-clock') : '<no root>');
      await sleep(20);
    }
  };
"""

# Everything about each track the tests look at, by name.
_STATE_JS = (
    "(names) => {"
    + _PRELUDE
    + """
  const out = {root: !!root, clock: clockNow(), now: performance.now(), tracks: {}};
  for (const name of names) {
    const tile = tileOf(name);
    if (!tile) { out.tracks[name] = {tile: false}; continue; }
    const m = tile.querySelector('[data-part="media"]');
    const ov = tile.querySelector('[data-part="no-media"]');
    const label = tile.querySelector('[data-part="track-name"]');
    const lane = root.querySelector(`[data-part="lane"][data-track="${name}"]`);
    const wave = lane && lane.querySelector('canvas[data-part="waveform"]');
    out.tracks[name] = {
      tile: true, state: tile.getAttribute('data-state'), box: boxOf(tile),
      label: label ? label.textContent.trim() : null,
      overlay: ov ? {shown: shown(ov), hidden: ov.hidden, text: ov.textContent.trim()} : null,
      media: m ? {tag: m.tagName.toLowerCase(), currentTime: m.currentTime,
                  duration: m.duration, readyState: m.readyState, seeking: m.seeking,
                  paused: m.paused, muted: m.muted, src: m.currentSrc || m.src,
                  error: m.error ? (m.error.code + ' ' + m.error.message) : null,
                  shown: shown(m), box: boxOf(m)} : null,
      lane: lane ? {box: boxOf(lane), waveform: wave ? boxOf(wave) : null} : null,
    };
  }
  return out;
}"""
)

# Scroll the video tiles into the viewport (frames are only presented for what is shown).
_SCROLL_JS = (
    "(names) => {"
    + _PRELUDE
    + """
  if (root) root.scrollIntoView({block: 'start'});
  for (const n of names) { const t = tileOf(n); if (t) t.scrollIntoView({block: 'nearest'}); }
}"""
)

# (b) From the moment the data clock runs: every `everyMs`, for `totalMs`, one
# requestVideoFrameCallback per video (the presented frame's mediaTime, the data clock at
# its expectedDisplayTime, and on every `decodeEvery`-th sample the top `band` rows of its
# pixels drawn onto a canvas) and each audio element's currentTime with the clock at that
# instant. Started without awaiting: the result lands in window.__tracksPlay.
_PLAY_SAMPLER_JS = (
    "([tracks, opts]) => {"
    + _PRELUDE
    + """
  const canvases = {};
  const b64 = (bytes) => {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000)
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const frame = (name, decode) => new Promise((resolve) => {
    const el = mediaOf(name);
    if (!el) { resolve({missing: true}); return; }
    let done = false, handle = 0;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      try { el.cancelVideoFrameCallback(handle); } catch (e) { /* gone */ }
      resolve({noFrame: true, currentTime: el.currentTime, paused: el.paused,
               readyState: el.readyState, seeking: el.seeking});
    }, opts.frameTimeoutMs);
    handle = el.requestVideoFrameCallback((now, meta) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const c = clockNow();
      const r = {mediaTime: meta.mediaTime, expected: meta.expectedDisplayTime, now,
                 presented: meta.presentedFrames, paused: el.paused,
                 running: okClock(c) ? c.running : null,
                 data: okClock(c) ? dataAt(c, meta.expectedDisplayTime) : null,
                 clock: okClock(c) ? null : c};
      if (decode) {
        try {
          let cv = canvases[name];
          if (!cv) cv = canvases[name] = document.createElement('canvas');
          if (cv.width !== el.videoWidth) cv.width = el.videoWidth;
          if (cv.height !== el.videoHeight) cv.height = el.videoHeight;
          const ctx = cv.getContext('2d', {willReadFrequently: true});
          ctx.drawImage(el, 0, 0);
          const hgt = Math.min(opts.band, cv.height);
          r.pixels = {width: cv.width, height: hgt,
                      b64: b64(ctx.getImageData(0, 0, cv.width, hgt).data)};
        } catch (e) {
          r.pixelsError = String(e);
        }
      }
      resolve(r);
    });
  });
  const run = async () => {
    const out = {samples: [], error: null, anchors: []};
    const err = await waitRunning(opts.startTimeoutMs);
    if (err) { out.error = err; return out; }
    const start = performance.now();
    out.clockAtStart = clockNow();
    let lastClock = null;
    for (let i = 0; i * opts.everyMs <= opts.totalMs; i++) {
      const wait = start + i * opts.everyMs - performance.now();
      if (wait > 0) await sleep(wait);
      const at = performance.now();
      const c0 = clockNow();
      const s = {i, t: (at - start) / 1000, video: {}, audio: {},
                 running: okClock(c0) ? c0.running : null,
                 data: okClock(c0) ? dataAt(c0, at) : null};
      const raw = root.getAttribute('data-clock');
      if (raw !== lastClock) { out.anchors.push({t: s.t, clock: raw}); lastClock = raw; }
      const jobs = [];
      for (const tr of tracks) {
        if (tr.kind === 'audio') {
          const el = mediaOf(tr.name);
          if (!el) { s.audio[tr.name] = {missing: true}; continue; }
          const now = performance.now();
          const c = clockNow();
          s.audio[tr.name] = {now, currentTime: el.currentTime, paused: el.paused,
                              seeking: el.seeking, running: okClock(c) ? c.running : null,
                              data: okClock(c) ? dataAt(c, now) : null,
                              state: tileOf(tr.name).getAttribute('data-state')};
        } else {
          jobs.push(frame(tr.name, i % opts.decodeEvery === 0)
            .then((r) => { s.video[tr.name] = r; }));
        }
      }
      await Promise.all(jobs);
      out.samples.push(s);
    }
    out.clockAtEnd = clockNow();
    return out;
  };
  window.__tracksPlay = null;
  run().then((r) => { window.__tracksPlay = r; },
             (e) => { window.__tracksPlay = {error: 'sampler threw: ' + e, samples: []}; });
}"""
)

# (c) From the moment the data clock runs: every `everyMs` one track's tile state, overlay
# and media position with the data clock at that instant, until the clock reaches
# `untilData` (or `maxMs` pass). Result in window.__tracksJoin.
_JOIN_SAMPLER_JS = (
    "([name, opts]) => {"
    + _PRELUDE
    + """
  const run = async () => {
    const out = {samples: [], error: null};
    const err = await waitRunning(opts.startTimeoutMs);
    if (err) { out.error = err; return out; }
    const start = performance.now();
    for (let i = 0; i * opts.everyMs <= opts.maxMs; i++) {
      const wait = start + i * opts.everyMs - performance.now();
      if (wait > 0) await sleep(wait);
      const tile = tileOf(name);
      const el = mediaOf(name);
      const ov = tile && tile.querySelector('[data-part="no-media"]');
      const now = performance.now();
      const c = clockNow();
      const d = okClock(c) ? dataAt(c, now) : null;
      out.samples.push({t: (now - start) / 1000, data: d,
                        running: okClock(c) ? c.running : null,
                        state: tile ? tile.getAttribute('data-state') : null,
                        overlay: shown(ov), currentTime: el ? el.currentTime : null,
                        paused: el ? el.paused : null, seeking: el ? el.seeking : null});
      if (d !== null && d >= opts.untilData) break;
    }
    return out;
  };
  window.__tracksJoin = null;
  run().then((r) => { window.__tracksJoin = r; },
             (e) => { window.__tracksJoin = {error: 'sampler threw: ' + e, samples: []}; });
}"""
)


# --------------------------------------------------------------------------- the notebook


def _cells(session: mk.Session) -> list[str]:
    """One cell: the widget over the session's data with its three tracks, aligned, shown."""
    media = {n: f"{SUBDIR}/{t.path.name}" for n, t in session.tracks.items()}
    lines = [
        "import pandas as pd",
        "from tsvideo_widget import TimeSeriesVideo",
        f"df = pd.read_csv({f'{SUBDIR}/{session.data.name}'!r})",
        f"w = TimeSeriesVideo(df, media={media!r}, time='time')",
    ]
    for n, t in session.tracks.items():
        # Every track explicitly, the first too (its default is the proportional mapping).
        lines.append(f"w.tracks[{n!r}].offset = {t.offset!r}")
        lines.append(f"w.tracks[{n!r}].rate = {t.rate!r}")
    lines += [f"w.tracks[{AUDIO!r}].muted = False", "w"]
    return ["\n".join(lines)]


@dataclass
class Shown:
    """The notebook showing ``w`` over the session, in ``lab``'s page."""

    lab: Lab
    session: mk.Session

    @property
    def page(self) -> Any:
        return self.lab.page

    def state(self) -> dict[str, Any]:
        return dict(self.page.evaluate(_STATE_JS, list(NAMES)))

    def selection(self) -> tuple[float, float]:
        a, b = self.lab.json("list(w.selection)")
        return float(a), float(b)

    def overview(self) -> dict[str, float]:
        """Box of the overview's plotting area (uPlot's ``.u-over``), which spans the data."""
        return dict(
            self.page.evaluate(
                """() => {
                  const d = document.querySelector(
                    '[data-part="root"] [data-part="overview"]');
                  const r = (d.querySelector('.u-over') || d).getBoundingClientRect();
                  return {x: r.left, y: r.top, width: r.width, height: r.height};
                }"""
            )
        )

    def overview_x(self, t: float) -> float:
        ov = self.overview()
        return float(ov["x"] + t / self.session.seconds * ov["width"])

    def scroll_tiles(self) -> None:
        self.page.evaluate(_SCROLL_JS, list(VIDEOS))


def _media_problems(st: dict[str, Any]) -> list[str]:
    """Tracks whose tile or media element is missing, broken or has no metadata yet."""
    out = []
    for n in NAMES:
        t = st["tracks"].get(n, {})
        m = t.get("media")
        if not t.get("tile"):
            out.append(f"{n}: no [data-part=track][data-track={n}] tile")
        elif not m:
            out.append(f"{n}: its tile holds no [data-part=media] element")
        elif m["error"]:
            out.append(f"{n}: media error {m['error']} (src {m['src']!r})")
        elif m["readyState"] < 1 or not m["duration"] or m["duration"] != m["duration"]:
            out.append(f"{n}: no metadata yet (readyState {m['readyState']})")
    return out


def open_tracks(lab: Lab, session: mk.Session) -> Shown:
    """Write, open and run the notebook; wait until every track has loaded its metadata in
    the page and reported its duration to Python."""
    lab.run_notebook("tracks", _cells(session))
    page = lab.page
    try:
        page.wait_for_selector(wk.part("root"), state="visible", timeout=30_000)
    except Exception as exc:
        raise h.HarnessError(
            f"the widget's root did not appear within 30 s; outputs: {wk.outputs_text(page)!r}"
        ) from exc
    shown = Shown(lab=lab, session=session)
    ok, st = h.wait_until(shown.state, lambda s: not _media_problems(s), timeout=30, interval=0.2)
    if not ok:
        raise h.HarnessError(
            "the tracks did not all load their metadata within 30 s: "
            + "; ".join(_media_problems(st))
            + f"; page state {json.dumps(st)[:3000]}"
        )
    expr = f"{{n: w.tracks[n].duration for n in {list(NAMES)!r}}}"
    ok, durations = h.wait_until(
        lambda: lab.json(expr), lambda d: all(v is not None for v in d.values()), 15, 0.25
    )
    if not ok:
        raise h.HarnessError(
            f"w.tracks[...].duration stayed None in the kernel for 15 s: {durations}, although "
            f"the page has every track's metadata: {json.dumps(st['tracks'])[:2000]}"
        )
    shown.scroll_tiles()
    return shown


def _ready_at(shown: Shown, data_t: float, timeout: float = 15.0) -> dict[str, Any]:
    """Wait until every media element has settled at its mapping of ``data_t`` (not
    seeking, a frame decoded, within tolerance); returns the last page state read."""
    session = shown.session

    def off(st: dict[str, Any]) -> list[str]:
        out = _media_problems(st)
        if out:
            return out
        for n in NAMES:
            tr, m = session.tracks[n], st["tracks"][n]["media"]
            want = tr.media_time(data_t)
            tol = AUDIO_TOL if tr.kind == "audio" else SEEK_VIDEO_TOL
            if m["seeking"] or m["readyState"] < 2 or abs(m["currentTime"] - want) > tol:
                out.append(
                    f"{n}: currentTime {m['currentTime']:.4f} (want {want:.4f} ± {tol:.3f}), "
                    f"seeking {m['seeking']}, readyState {m['readyState']}"
                )
        return out

    ok, st = h.wait_until(shown.state, lambda s: not off(s), timeout=timeout, interval=0.1)
    assert ok, f"the media did not settle at data time {data_t} within {timeout} s: " + "; ".join(
        off(st)
    )
    return st


def _set_selection(shown: Shown, a: float, b: float) -> None:
    shown.lab.exec(f"w.selection = ({a!r}, {b!r})")
    sel = shown.selection()
    assert sel == pytest.approx((a, b), abs=1e-9), f"w.selection reads back {sel}"


def _collect(page: Any, var: str, timeout: float) -> dict[str, Any]:
    """Wait for a page-side sampler's result in ``window[var]`` (bounded)."""
    ok, res = h.wait_until(
        lambda: page.evaluate(f"() => window.{var}"), lambda r: r is not None, timeout, 0.5
    )
    assert ok, f"the page-side sampler ({var}) gave no result within {timeout:.0f} s"
    return dict(res)


def _stop(lab: Lab) -> None:
    with contextlib.suppress(Exception):  # the test's own failure says more
        lab.exec("w.playing = False", timeout=5)


def _stats(values: list[float]) -> str:
    if not values:
        return "no samples"
    a = np.abs(np.asarray(values)) * 1000
    return (
        f"n={a.size} p50={np.percentile(a, 50):.1f} ms p95={np.percentile(a, 95):.1f} ms "
        f"max={a.max():.1f} ms"
    )


# --------------------------------------------------------------------------- (a) drag


def test_range_drag_seeks_every_track_to_its_own_mapping(lab: Lab, session: mk.Session) -> None:
    shown = open_tracks(lab, session)
    page = lab.page
    _set_selection(shown, 4.0, 7.0)
    want_left = shown.overview_x(4.0)
    ok, left = h.wait_until(
        lambda: h.box(page, wk.part("range"))["x"], lambda x: abs(x - want_left) <= PX_TOL, 10
    )
    assert ok, (
        f"after w.selection = (4, 7) the range's left edge is at {left:.1f} px, expected "
        f"{want_left:.1f} ± {PX_TOL} px (overview plot {shown.overview()})"
    )
    _ready_at(shown, 4.0)

    ov = shown.overview()
    rng = h.box(page, wk.part("range"))
    px_per = ov["width"] / session.seconds
    room = (ov["x"] + ov["width"]) - (rng["x"] + rng["width"]) - 5
    dx = min(8.0 * px_per, room)
    assert dx >= 2.0 * px_per, f"no room to drag the range right: overview {ov}, range {rng}"
    x0, y0 = rng["x"] + rng["width"] / 2, rng["y"] + rng["height"] / 2
    h.drag(page, x0, y0, x0 + dx, y0, steps=10)

    expected = 4.0 + dx / px_per
    tol = PX_TOL / px_per
    ok, sel = h.wait_until(shown.selection, lambda s: abs(s[0] - expected) <= tol, 10, 0.15)
    assert ok, (
        f"dragging the range {dx:.1f} px right ({px_per:.2f} px per data second) moved the "
        f"selection from (4, 7) to {sel}; expected a start of {expected:.3f} ± {tol:.3f}"
    )
    left_edge = sel[0]
    for n in NAMES:
        assert session.tracks[n].has_media(left_edge), f"{n} has no media at {left_edge}"

    # Python maps the new left edge as the session's truth says, track by track.
    mapped = lab.json(f"{{n: w.data_to_media({left_edge!r}, track=n) for n in {list(NAMES)!r}}}")
    truth = {n: session.media_time(n, left_edge) for n in NAMES}
    wrong = {n: (mapped[n], truth[n]) for n in NAMES if abs(mapped[n] - truth[n]) > 1e-6}
    assert not wrong, f"w.data_to_media({left_edge}, track=...) (got, want): {wrong}"

    # Each element seeks to its own mapping, and each tile has media there.
    def off(st: dict[str, Any]) -> list[str]:
        out = _media_problems(st)
        for n in NAMES if not out else ():
            t, m = st["tracks"][n], st["tracks"][n]["media"]
            tol = AUDIO_TOL if session.tracks[n].kind == "audio" else SEEK_VIDEO_TOL
            err = m["currentTime"] - truth[n]
            if m["seeking"] or abs(err) > tol:
                out.append(
                    f"{n}: currentTime {m['currentTime']:.4f}, want {truth[n]:.4f} "
                    f"(offset {session.tracks[n].offset} + rate {session.tracks[n].rate} * "
                    f"{left_edge:.4f}), error {err * 1000:+.1f} ms > {tol * 1000:.1f} ms, "
                    f"seeking {m['seeking']}"
                )
            if t["state"] != "media":
                out.append(f"{n}: data-state {t['state']!r} at data {left_edge:.3f}, want 'media'")
        return out

    ok, st = h.wait_until(shown.state, lambda s: not off(s), timeout=10, interval=0.1)
    assert ok, (
        f"after the drag (selection starts at {left_edge:.4f}), not every track shows its own "
        "mapping of it within 10 s: " + "; ".join(off(st))
    )


# --------------------------------------------------------------------------- (b) playback


def _clock_jumps(anchors: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """(sample time, jump in data seconds) at each re-anchor of the data clock seen: where
    the new anchor puts the data time minus where the previous anchor would have put it.
    Play, pause, stalls and window changes keep the clock continuous (jump 0)."""
    out = []
    prev = None
    for a in anchors:
        try:
            c = json.loads(a["clock"])
            float(c["data"]), float(c["at"]), float(c["speed"])
        except (TypeError, ValueError, KeyError):
            prev = None
            continue
        if prev is not None:
            run = prev["data"] + (c["at"] - prev["at"]) / 1000 * prev["speed"]
            expected = run if prev["running"] else prev["data"]
            out.append((float(a["t"]), float(c["data"]) - expected))
        prev = c
    return out


def _save(lab: Lab, name: str, res: dict[str, Any]) -> Path:
    """Keep a sampler's result (pixels left out) for a look after a failure; returns its path."""
    out = lab.srv.artifacts / "tracks-samples" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    def strip(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: ("<pixels>" if k == "pixels" else strip(x)) for k, x in v.items()}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    out.write_text(json.dumps(strip(res), indent=1))
    return out


def _audio_problems(errs: list[float], bad: list[str], n: int, what: str) -> list[str]:
    """Audio in step: every sample within AUDIO_TOL but for rare skips (see AUDIO_SKIPS)."""
    a = np.abs(np.asarray(errs, dtype=float))
    if not bad:
        return []
    skips_ok = (
        len(bad) <= AUDIO_SKIPS * n
        and a.size > 0
        and float(a.max()) <= AUDIO_SKIP_TOL
        and float(np.percentile(a, 95)) <= AUDIO_TOL
    )
    if skips_ok:
        return []
    return [
        f"{what}: {len(bad)} of {n} samples off by more than {AUDIO_TOL * 1000:.0f} ms "
        f"(at most {AUDIO_SKIPS:.0%} within {AUDIO_SKIP_TOL * 1000:.0f} ms are allowed, with "
        f"p95 within {AUDIO_TOL * 1000:.0f} ms), first: " + "; ".join(bad[:5])
    ]


def _judge_playback(session: mk.Session, res: dict[str, Any]) -> tuple[list[str], str]:
    """Problems found in the playback samples, and a report of what was measured."""
    problems: list[str] = []
    report: list[str] = []
    samples = [s for s in res["samples"] if s["t"] >= SETTLE_S]
    if len(samples) < PLAY_S * 1000 / SAMPLE_EVERY_MS * 0.9:
        problems.append(f"only {len(samples)} samples after the settle period")
    for n in VIDEOS:
        tr = session.tracks[n]
        errs, bad, missing, skipped, times = [], [], [], 0, []
        for s in samples:
            r = s["video"].get(n) or {"missing": True}
            if r.get("missing") or r.get("noFrame"):
                missing.append(f"t={s['t']:.2f}s {r}")
                continue
            if r["data"] is None:
                bad.append(f"t={s['t']:.2f}s: unreadable data-clock {r.get('clock')!r}")
                continue
            want = tr.media_time(r["data"])
            if not 0.0 <= want < tr.duration - FRAME:
                skipped += 1
                continue
            err = r["mediaTime"] - want
            errs.append(err)
            times.append((r["now"], r["mediaTime"]))
            if abs(err) > VIDEO_TOL:
                bad.append(
                    f"t={s['t']:.2f}s: frame at {r['mediaTime']:.4f}, clock data "
                    f"{r['data']:.4f} -> {want:.4f}, error {err * 1000:+.1f} ms"
                )
        report.append(
            f"{n}: |presented - mapped| {_stats(errs)}; {len(missing)} samples without a "
            f"frame; {skipped} outside the media"
        )
        if bad:
            problems.append(
                f"{n}: {len(bad)} of {len(errs)} presented frames off by more than "
                f"{VIDEO_TOL * 1000:.1f} ms, first: " + "; ".join(bad[:5])
            )
        if len(missing) > 0.2 * len(samples):
            problems.append(
                f"{n}: no frame presented within the timeout on {len(missing)} of "
                f"{len(samples)} samples (stalled?), first: " + "; ".join(missing[:3])
            )
        if len(times) >= 2:
            (w0, m0), (w1, m1) = times[0], times[-1]
            speed = (m1 - m0) / ((w1 - w0) / 1000)
            report.append(f"{n}: media advanced {m1 - m0:.2f} s in {(w1 - w0) / 1000:.2f} s")
            if not 0.9 * tr.rate <= speed <= 1.1 * tr.rate:
                problems.append(
                    f"{n}: media advanced {m1 - m0:.2f} s in {(w1 - w0) / 1000:.2f} s of page "
                    f"time ({speed:.3f}x; playing at data speed 1 it should be {tr.rate}x)"
                )
        # The pixels on screen are the frame the metadata says.
        decoded, wrong_px = 0, []
        for s in res["samples"]:
            r = s["video"].get(n) or {}
            if r.get("pixelsError"):
                wrong_px.append(
                    f"t={s['t']:.2f}s: drawImage/getImageData failed: {r['pixelsError']}"
                )
            if not r.get("pixels"):
                continue
            px = r["pixels"]
            raw = base64.b64decode(px["b64"])
            try:
                index = mk.read_frame_index(raw, px["width"], px["height"])
            except ValueError as exc:
                wrong_px.append(f"t={s['t']:.2f}s: {exc}")
                continue
            decoded += 1
            if abs(index / mk.FPS - r["mediaTime"]) > VIDEO_TOL:
                wrong_px.append(
                    f"t={s['t']:.2f}s: pixels show frame {index} ({index / mk.FPS:.4f} s), "
                    f"metadata says mediaTime {r['mediaTime']:.4f}"
                )
        report.append(f"{n}: frame index read from the pixels on {decoded} samples")
        if wrong_px:
            problems.append(f"{n}: pixels vs mediaTime: " + "; ".join(wrong_px[:5]))
        if decoded < 5:
            problems.append(f"{n}: the frame index was read from only {decoded} samples' pixels")

    tr = session.tracks[AUDIO]
    errs, bad, cts = [], [], []
    for s in samples:
        a = s["audio"].get(AUDIO) or {"missing": True}
        if a.get("missing") or a["data"] is None:
            bad.append(f"t={s['t']:.2f}s: {a}")
            continue
        want = tr.media_time(a["data"])
        if not 0.0 <= want < tr.duration - 0.1:
            continue
        err = a["currentTime"] - want
        errs.append(err)
        cts.append((a["now"], a["currentTime"]))
        if a["paused"]:
            problems.append(f"t={s['t']:.2f}s: the {AUDIO} is paused while the clock runs")
        if abs(err) > AUDIO_TOL:
            bad.append(
                f"t={s['t']:.2f}s: currentTime {a['currentTime']:.4f}, clock data "
                f"{a['data']:.4f} -> {want:.4f}, error {err * 1000:+.1f} ms, paused {a['paused']}"
            )
    report.append(f"{AUDIO}: |currentTime - mapped| {_stats(errs)}")
    problems += _audio_problems(errs, bad, len(samples), AUDIO)
    if len(cts) < 0.8 * len(samples):
        problems.append(f"{AUDIO}: only {len(cts)} of {len(samples)} samples judged")

    # The clock itself ran: about PLAY_S data seconds in PLAY_S seconds.
    clocked = [s for s in samples if s["data"] is not None]
    if len(clocked) >= 2:
        a, b = clocked[0], clocked[-1]
        advanced, wall = b["data"] - a["data"], b["t"] - a["t"]
        report.append(
            f"data clock {a['data']:.3f} -> {b['data']:.3f} in {wall:.2f} s; "
            f"{len(res.get('anchors', []))} distinct data-clock values seen"
        )
        if advanced < 0.8 * wall:
            problems.append(f"the data clock advanced {advanced:.2f} s in {wall:.2f} s of playing")
    jumps = _clock_jumps(res.get("anchors", []))
    if jumps:
        worst = max(jumps, key=lambda j: abs(j[1]))
        report.append(
            f"data clock re-anchored {len(jumps)} times while sampled; largest jump "
            f"{worst[1] * 1000:+.1f} ms at t={worst[0]:.2f} s"
        )
        total = sum(abs(j) for _, j in jumps)
        if total > 2 * FRAME:
            problems.append(
                f"the data clock is the master, yet its re-anchors moved it by {total * 1000:.0f} "
                f"ms in all (largest {worst[1] * 1000:+.1f} ms at t={worst[0]:.2f} s): is it "
                "following the media?"
            )
    runs = [s for s in samples if s["running"]]
    if len(runs) < 0.8 * len(samples):
        problems.append(f"the data clock was running in only {len(runs)} of {len(samples)} samples")
    return problems, "\n".join(report)


def test_playback_keeps_every_track_on_the_data_clock(lab: Lab, session: mk.Session) -> None:
    shown = open_tracks(lab, session)
    page = lab.page
    start = 4.0  # every track has media from here to the end of the data
    assert all(session.tracks[n].has_media(start) for n in NAMES)
    # A wide window, so playback is not bounded by it.
    _set_selection(shown, start, session.seconds - 1.0)
    _ready_at(shown, start)
    shown.scroll_tiles()
    tracks = [{"name": n, "kind": session.tracks[n].kind} for n in NAMES]
    opts = {
        "everyMs": SAMPLE_EVERY_MS,
        "totalMs": (SETTLE_S + PLAY_S) * 1000,
        "decodeEvery": DECODE_EVERY,
        "band": mk.BAND,
        "frameTimeoutMs": 500,
        "startTimeoutMs": 10_000,
    }
    page.evaluate(_PLAY_SAMPLER_JS, [tracks, opts])
    try:
        lab.exec("w.playing = True")
        res = _collect(page, "__tracksPlay", timeout=10 + SETTLE_S + PLAY_S + 30)
    finally:
        _stop(lab)
    saved = _save(lab, "playback", res)
    assert not res.get("error"), f"{res['error']}; page state {json.dumps(shown.state())[:2000]}"
    problems, report = _judge_playback(session, res)
    assert not problems, (
        "while playing, the tracks did not follow the data clock:\n- "
        + "\n- ".join(problems)
        + f"\nmeasured:\n{report}\nall samples: {saved}"
    )


# --------------------------------------------------------------------------- (c) late start


def _judge_join(session: mk.Session, res: dict[str, Any]) -> tuple[list[str], str]:
    """Problems in the samples of the mic while playing from data 0 across its start."""
    mic = session.tracks[AUDIO]
    begin = mic.start_data
    samples = [s for s in res["samples"] if s["data"] is not None]
    if not samples:
        return [f"no readable data-clock while playing: {res['samples'][:5]}"], ""
    problems = []
    first, reached = samples[0]["data"], samples[-1]["data"]
    if first >= begin - 1.0:
        problems.append(
            f"playback should start from data 0 (the selection's left edge); the clock read "
            f"{first:.3f} at the first sample"
        )
    if reached < begin + 3.0:
        problems.append(
            f"the data clock only reached {reached:.3f} (the mic starts at {begin:.3f}; samples "
            f"were to run to {begin + 3.5:.3f}) in {samples[-1]['t']:.1f} s of playing"
        )
    before = [s for s in samples if s["data"] < begin - MIC_SWITCH_EARLY_S]
    early = [s for s in before if s["state"] != "no-media" or not s["overlay"]]
    if early:
        problems.append(
            f"{len(early)} of {len(before)} samples before the mic's start show it as "
            f"having media (or hide the overlay), first: {early[:3]}"
        )
    joined = next((s for s in samples if s["state"] == "media"), None)
    if joined is None:
        problems.append("the mic tile never turned data-state='media'")
    elif not begin - MIC_SWITCH_EARLY_S <= joined["data"] <= begin + MIC_SWITCH_LATE_S:
        problems.append(
            f"the mic tile turned 'media' at data {joined['data']:.3f}; the mic starts at "
            f"{begin:.3f} (allowed {-MIC_SWITCH_EARLY_S:+.1f} .. {MIC_SWITCH_LATE_S:+.1f} s)"
        )
    after = [s for s in samples if s["data"] >= begin + MIC_SETTLE_S]
    errs, off = [], []
    for s in after:
        want = mic.media_time(s["data"])
        err = s["currentTime"] - want
        errs.append(err)
        if s["state"] != "media" or s["overlay"] or s["paused"]:
            problems.append(
                f"data {s['data']:.3f}: the mic is not playing in view (state {s['state']!r}, "
                f"overlay shown {s['overlay']}, paused {s['paused']})"
            )
        if abs(err) > AUDIO_TOL:
            off.append(
                f"data {s['data']:.3f}: state {s['state']!r}, overlay shown {s['overlay']}, "
                f"paused {s['paused']}, currentTime {s['currentTime']:.4f} vs {want:.4f} "
                f"({err * 1000:+.1f} ms)"
            )
    if len(after) < 15:
        problems.append(f"only {len(after)} samples after the mic's start to judge")
    problems += _audio_problems(
        errs, off, len(after), f"from {MIC_SETTLE_S} s after its start, mic"
    )
    switched = "never" if joined is None else f"at data {joined['data']:.3f}"
    report = (
        f"clock {first:.3f} -> {reached:.3f}; tile turned 'media' {switched}; "
        f"|currentTime - mapped| from {MIC_SETTLE_S} s after the start: {_stats(errs)}"
    )
    return problems, report


def test_a_track_starting_after_the_data_waits_then_joins_in_step(
    lab: Lab, session: mk.Session
) -> None:
    shown = open_tracks(lab, session)
    page = lab.page
    mic = session.tracks[AUDIO]
    begin = mic.start_data  # 3.0 / 0.9999: the mic's media time 0
    _set_selection(shown, 0.0, 2.0)

    def waiting(st: dict[str, Any]) -> bool:
        t = st["tracks"][AUDIO]
        return t.get("state") == "no-media" and bool(t.get("overlay") and t["overlay"]["shown"])

    ok, st = h.wait_until(shown.state, waiting, timeout=10)
    mic_tile = st["tracks"][AUDIO]
    assert ok, (
        f"with the selection at (0, 2) (the mic starts at data {begin:.4f}) the mic tile should "
        f"be data-state='no-media' with its [data-part=no-media] overlay shown; it is "
        f"{json.dumps({k: mic_tile.get(k) for k in ('tile', 'state', 'overlay')})}"
    )
    text = mic_tile["overlay"]["text"]
    assert AUDIO in text, f"the mic's no-media overlay should name the track; its text: {text!r}"
    front = st["tracks"]["front"]
    assert front.get("state") == "media", (
        f"the front camera has media at data 0 but its tile is data-state={front.get('state')!r}"
    )
    # The clock may not be published before its first anchor; once it is, it rests at 0.
    ok, clock = h.wait_until(
        lambda: shown.state()["clock"],
        lambda c: c is None or (abs(float(c.get("data", 1e9))) <= 0.05 and not c.get("running")),
        timeout=5,
    )
    assert ok, (
        f"with the selection at (0, 2) and nothing playing, data-clock should rest at data 0: "
        f"{clock}"
    )

    # Widen the window (same left edge) so playback runs past the mic's start whatever the
    # widget does at a window's end; the mic still waits.
    _set_selection(shown, 0.0, 10.0)
    ok, st = h.wait_until(shown.state, waiting, timeout=5)
    assert ok, f"after widening the window to (0, 10) the mic tile is {st['tracks'][AUDIO]}"

    opts = {
        "everyMs": 100,
        "maxMs": 15_000,
        "untilData": begin + 3.5,
        "startTimeoutMs": 10_000,
    }
    page.evaluate(_JOIN_SAMPLER_JS, [AUDIO, opts])
    try:
        lab.exec("w.playing = True")
        res = _collect(page, "__tracksJoin", timeout=10 + 15 + 30)
    finally:
        _stop(lab)
    saved = _save(lab, "join", res)
    assert not res.get("error"), f"{res['error']}; page state {json.dumps(shown.state())[:2000]}"
    problems, report = _judge_join(session, res)
    assert not problems, (
        f"the mic (offset {mic.offset}, rate {mic.rate}; starts at data {begin:.4f}) while "
        "playing from data 0:\n- "
        + "\n- ".join(problems)
        + f"\nmeasured: {report}\nall samples: {saved}"
    )


# --------------------------------------------------------------------------- (d) layout


def test_tiles_name_their_tracks_and_videos_sit_side_by_side(lab: Lab, session: mk.Session) -> None:
    shown = open_tracks(lab, session)

    def laid_out(st: dict[str, Any]) -> bool:
        return all(
            (st["tracks"][n].get("box") or {}).get("width", 0) > 0
            and (st["tracks"][n].get("box") or {}).get("height", 0) > 0
            for n in VIDEOS
        )

    ok, st = h.wait_until(shown.state, laid_out, timeout=10)
    tiles = st["tracks"]
    assert ok, f"the video tiles never got a size: {json.dumps(tiles)[:2000]}"
    problems = []

    # Python knows each track as the files are.
    info = lab.json(f"{{n: [w.tracks[n].kind, w.tracks[n].duration] for n in {list(NAMES)!r}}}")
    for n in NAMES:
        tr = session.tracks[n]
        kind, duration = info[n]
        if kind != tr.kind or abs(duration - tr.duration) > 0.05:
            problems.append(
                f"w.tracks[{n!r}] is {kind} of {duration} s; the file is {tr.kind} of "
                f"{tr.duration:.4f} s"
            )

    for n in NAMES:
        t = tiles[n]
        m = t["media"]
        if m["tag"] != session.tracks[n].kind:
            problems.append(f"{n}: media element is <{m['tag']}>, want <{session.tracks[n].kind}>")
        if "/files/" not in (m["src"] or ""):
            problems.append(f"{n}: media is not served by Jupyter's /files/: src {m['src']!r}")
        if t["label"] is None or n not in t["label"]:
            problems.append(f"{n}: [data-part=track-name] text is {t['label']!r}, want {n!r}")
        if t["overlay"] is None:
            problems.append(f"{n}: its tile has no [data-part=no-media] overlay")

    for n in VIDEOS:
        m = tiles[n]["media"]
        if not m["shown"] or m["box"]["width"] < 50 or m["box"]["height"] < 20:
            problems.append(f"{n}: its <video> is not shown at a useful size: {m['box']}")
    a, b = tiles["front"]["box"], tiles["side"]["box"]
    if abs(a["y"] - b["y"]) > 1.0:
        problems.append(f"video tiles not on one row: front top {a['y']:.1f}, side {b['y']:.1f}")
    if not (a["right"] <= b["x"] + 1.0 or b["right"] <= a["x"] + 1.0):
        problems.append(f"video tiles overlap: front {a}, side {b}")

    lane = tiles[AUDIO]["lane"]
    if lane is None:
        problems.append(f"no [data-part=lane][data-track={AUDIO}] for the audio track")
    elif not lane["waveform"] or lane["waveform"]["width"] <= 0 or lane["waveform"]["height"] <= 0:
        problems.append(f"the {AUDIO} lane has no canvas[data-part=waveform] with a size: {lane}")

    assert not problems, "track tiles:\n- " + "\n- ".join(problems)


# --------------------------------------------------------------------------- (e) waveform

# Per canvas column of the mic's waveform lane: how many pixel rows are painted.
_LANE_COLUMNS_JS = """(name) => {
  const lane = document.querySelector(`[data-part="lane"][data-track="${name}"]`);
  const c = lane && lane.querySelector('canvas[data-part="waveform"]');
  if (!c || !c.width || !c.height) return null;
  const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  const cols = new Array(c.width).fill(0);
  for (let y = 0; y < c.height; y++)
    for (let x = 0; x < c.width; x++) if (px[(y * c.width + x) * 4 + 3] > 0) cols[x]++;
  return {cols, height: c.height, cssWidth: c.getBoundingClientRect().width};
}"""


def test_waveform_lane_draws_the_clicks_where_the_mapping_puts_them(
    lab: Lab, session: mk.Session
) -> None:
    """The kernel decodes the mic, and its lane shows each click at the click's data time
    through the mic's offset and rate: an offset can be checked by eye against the data."""
    shown = open_tracks(lab, session)
    lo, hi = 4.5, 9.5
    _set_selection(shown, lo, hi)
    clicks = [t for t in session.tracks[AUDIO].click_data_times if lo < t < hi]
    assert len(clicks) >= 4, f"the session's clicks in ({lo}, {hi}): {clicks}"

    def peaks(res: dict[str, Any] | None) -> list[float]:
        if not res:
            return []
        cols = np.asarray(res["cols"], dtype=float)
        tall = cols > 0.5 * res["height"]  # clicks are loud; the noise between is faint
        xs = np.flatnonzero(tall)
        groups = np.split(xs, np.flatnonzero(np.diff(xs) > 2) + 1) if xs.size else []
        scale = len(cols) / (hi - lo)
        return [lo + float(g.mean()) / scale for g in groups if g.size]

    ok, res = h.wait_until(
        lambda: lab.page.evaluate(_LANE_COLUMNS_JS, AUDIO),
        lambda r: len(peaks(r)) == len(clicks),
        timeout=30,
        interval=0.5,
    )
    found = peaks(res)
    assert ok, (
        f"the {AUDIO} lane shows {len(found)} loud columns at data {np.round(found, 3).tolist()}, "
        f"expected the {len(clicks)} clicks at {np.round(clicks, 3).tolist()}; lane status: "
        + str(
            lab.page.evaluate(
                "(n) => document.querySelector(`[data-part=lane][data-track=${n}] "
                "[data-part=lane-status]`)?.textContent",
                AUDIO,
            )
        )
    )
    px = (hi - lo) / max(1.0, float(res["cssWidth"]))
    for want, got in zip(clicks, found, strict=True):
        assert abs(got - want) <= 3 * px, (
            f"a click drawn at data {got:.4f} s, its mapping says {want:.4f} s "
            f"(more than 3 px apart; one px is {px * 1000:.1f} ms)"
        )
