"""Page-side readers and gestures for the alignment tests (``test_alignment.py``).

The widget runs over a generated session (``tests/mediakit.py``) with two videos,
``front`` (offset 0, rate 1: the reference) and ``side`` (truly ``media = 2.35 + 1.001 *
data``), which the notebook starts deliberately MIS-aligned (offset 1.0, rate 1.0: not the
front's mapping either, so the two videos show different media times). Every
video frame burns in its own index, so the side video's pixels say which frame it shows.

What the page exposes (read here; see ``js/align.ts``, ``js/alignpanel.ts``,
``js/alignsuggest.ts``, ``js/syncgesture.ts``, ``js/syncmarkers.ts``):

* the label bar's ``[data-part=align-toggle]`` shows/hides ``[data-part=align-panel]``;
* in the panel: ``align-track`` (select), ``align-offset``/``align-rate`` (text), rows
  ``sync-row[data-id]`` with ``sync-data``, ``sync-media``, ``sync-residual``,
  ``sync-fit-residual`` and a ``sync-delete`` button; ``align-model``, ``align-fit``,
  ``align-apply``, ``align-undo``, ``align-fit-result``; ``align-channel``,
  ``align-method``, ``align-suggest`` and rows ``align-candidate`` (with
  ``align-candidate-confidence`` and ``align-candidate-apply``); ``align-status``;
  the check's ``canvas[data-part=align-check]`` and its ``align-check-note``;
* markers ``sync-marker`` (in the detail chart's ``.u-over``) and
  ``sync-marker-overview`` (in the overview's), each with ``data-id``/``data-track``,
  a 7 px band centred on the point's data time;
* ``[data-part=root]``'s ``data-clock``: the data clock as JSON (``data``, ``running``).
"""

from __future__ import annotations

import base64
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import harness as h
import widgetkit as wk
from conftest import Lab

# tests/, for mediakit (appended: it must not shadow this folder's modules)
sys.path.append(str(Path(__file__).resolve().parents[1]))
import mediakit as mk

SUBDIR = "align"  # the session's folder under the server root
SECONDS = 40.0  # data seconds of the session
SPECS = tuple(s for s in mk.DEFAULT_TRACKS if s.kind == "video")  # front, side
VIDEOS = tuple(s.name for s in SPECS)
TRACK = "side"  # the track aligned in the tests
# The side camera's mapping when the notebook starts: deliberately wrong (the truth is
# 2.35 + 1.001 * data), and unlike the front camera's (0, 1), so a sync point that took the
# front's media time instead of the side's would show.
WRONG_OFFSET = 1.0
WRONG_RATE = 1.0
FRAME = 1 / mk.FPS

# --------------------------------------------------------------------------- the notebook


def cells(session: mk.Session) -> list[str]:
    """The widget over the session, the side camera deliberately mis-aligned."""
    media = {n: f"{SUBDIR}/{t.path.name}" for n, t in session.tracks.items()}
    return [
        "\n".join(
            [
                "import pandas as pd",
                "from tsvideo_widget import TimeSeriesVideo",
                f"df = pd.read_csv({f'{SUBDIR}/{session.data.name}'!r})",
                f"w = TimeSeriesVideo(df, media={media!r}, time='time', channels=['acc'])",
                "w.tracks['front'].offset = 0.0",
                "w.tracks['front'].rate = 1.0",
                # Wrong on purpose: the truth is offset 2.35, rate 1.001.
                f"w.tracks[{TRACK!r}].offset = {WRONG_OFFSET!r}",
                f"w.tracks[{TRACK!r}].rate = {WRONG_RATE!r}",
                "w",
            ]
        )
    ]


# --------------------------------------------------------------------------- page side

_STATE_JS = """(names) => {
  const root = document.querySelector('[data-part="root"]');
  if (!root) return {root: false};
  const rect = (e) => {
    if (!e) return null;
    const r = e.getBoundingClientRect();
    return {x: r.left, y: r.top, width: r.width, height: r.height, right: r.right,
            bottom: r.bottom};
  };
  const q = (sel, within) => (within || root).querySelector(sel);
  const text = (sel, within) => {
    const e = q(sel, within);
    return e ? e.textContent.trim() : null;
  };
  const tracks = {};
  for (const n of names) {
    const tile = q(`[data-part="track"][data-track="${n}"]`);
    const m = tile && tile.querySelector('[data-part="media"]');
    tracks[n] = m ? {currentTime: m.currentTime, seeking: m.seeking, readyState: m.readyState,
                     paused: m.paused, duration: m.duration,
                     error: m.error ? (m.error.code + ' ' + m.error.message) : null,
                     state: tile.getAttribute('data-state')} : null;
  }
  let clock = null;
  try { clock = JSON.parse(root.getAttribute('data-clock')); } catch (e) { clock = null; }
  const markers = (part) => Array.from(root.querySelectorAll(`[data-part="${part}"]`)).map(
    (e) => ({id: e.dataset.id, track: e.dataset.track, title: e.title,
             active: e.classList.contains('tsv-sync-active'), ...rect(e)}));
  const p = q('[data-part="align-panel"]');
  const panel = !p ? null : {
    hidden: p.hidden,
    shown: p.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}),
    track: (q('[data-part="align-track"]', p) || {}).value ?? null,
    tracks: Array.from(p.querySelectorAll('[data-part="align-track"] option')).map((o) => o.value),
    offset: text('[data-part="align-offset"]', p),
    rate: text('[data-part="align-rate"]', p),
    model: (q('[data-part="align-model"]', p) || {}).value ?? null,
    fitResult: text('[data-part="align-fit-result"]', p),
    status: text('[data-part="align-status"]', p),
    statusError: !!q('[data-part="align-status"]', p)
      && q('[data-part="align-status"]', p).classList.contains('tsv-align-error'),
    disabled: Object.fromEntries(['align-fit', 'align-apply', 'align-undo', 'align-suggest'].map(
      (n) => [n, q(`[data-part="${n}"]`, p) ? q(`[data-part="${n}"]`, p).disabled : null])),
    suggestText: text('[data-part="align-suggest"]', p),
    rows: Array.from(p.querySelectorAll('[data-part="sync-row"]')).map((r) => ({
      id: r.dataset.id, data: text('[data-part="sync-data"]', r),
      media: text('[data-part="sync-media"]', r),
      residual: text('[data-part="sync-residual"]', r),
      fit: text('[data-part="sync-fit-residual"]', r),
      hasDelete: !!q('[data-part="sync-delete"]', r)})),
    empty: text('[data-part="sync-empty"]', p),
    candidates: Array.from(p.querySelectorAll('[data-part="align-candidate"]')).map((r) => ({
      text: r.textContent.trim(),
      offset: text('[data-part="align-candidate-offset"]', r),
      rate: text('[data-part="align-candidate-rate"]', r),
      confidence: text('[data-part="align-candidate-confidence"]', r),
      method: text('[data-part="align-candidate-method"]', r),
      low: r.classList.contains('tsv-align-low'),
      color: getComputedStyle(r).color,
      hasApply: !!q('[data-part="align-candidate-apply"]', r)})),
    noCandidates: text('[data-part="align-no-candidates"]', p),
    checkNote: text('[data-part="align-check-note"]', p),
  };
  const toggle = q('[data-part="align-toggle"]');
  return {
    root: true, clock, tracks, panel,
    toggle: toggle ? {shown: toggle.checkVisibility(), text: toggle.textContent.trim()} : null,
    detail: rect(q('[data-part="detail"] .u-over')),
    overview: rect(q('[data-part="overview"] .u-over')),
    range: rect(q('[data-part="range"]')),
    markers: markers('sync-marker'),
    overviewMarkers: markers('sync-marker-overview'),
    focused: root.contains(document.activeElement),
  };
}"""

# The top band of a video's current frame (at its own size), to read the burnt-in index.
_FRAME_JS = """([name, band]) => {
  const root = document.querySelector('[data-part="root"]');
  const tile = root && root.querySelector(`[data-part="track"][data-track="${name}"]`);
  const m = tile && tile.querySelector('[data-part="media"]');
  if (!m) return {error: 'no media element for track ' + name};
  const info = {currentTime: m.currentTime, seeking: m.seeking, readyState: m.readyState,
                paused: m.paused};
  if (m.seeking || m.readyState < 2 || !m.videoWidth) return {notReady: true, ...info};
  const c = document.createElement('canvas');
  c.width = m.videoWidth;
  c.height = Math.min(band, m.videoHeight);
  const g = c.getContext('2d', {willReadFrequently: true});
  g.drawImage(m, 0, 0);
  const px = g.getImageData(0, 0, c.width, c.height).data;
  let s = '';
  for (let i = 0; i < px.length; i += 0x8000)
    s += String.fromCharCode.apply(null, px.subarray(i, i + 0x8000));
  // The element may have moved on while drawing: then the sample is not trusted.
  return {...info, width: c.width, height: c.height, b64: btoa(s),
          after: m.currentTime, seekingAfter: m.seeking};
}"""

# Painted pixels of the alignment check's canvas.
_CHECK_PIXELS_JS = """() => {
  const c = document.querySelector('[data-part="root"] canvas[data-part="align-check"]');
  if (!c || !c.width || !c.height) return null;
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
  const r = c.getBoundingClientRect();
  return {painted: n, width: c.width, height: c.height, cssWidth: r.width, cssHeight: r.height};
}"""

_SCROLL_JS = """(sel) => {
  const e = document.querySelector('[data-part="root"] ' + sel);
  if (e) e.scrollIntoView({block: 'center', inline: 'nearest'});
  return !!e;
}"""


# --------------------------------------------------------------------------- numbers in text


def parse_seconds(text: str | None) -> float | None:
    """``"12.345 s"`` -> 12.345 (None when the text holds no such number)."""
    m = re.search(r"(-?\d+(?:\.\d+)?) s\b", text or "")
    return float(m.group(1)) if m else None


def parse_ms(text: str | None) -> float | None:
    """``"-12.3 ms"`` -> -12.3."""
    m = re.search(r"(-?\d+(?:\.\d+)?) ms\b", text or "")
    return float(m.group(1)) if m else None


def parse_rate(text: str | None) -> tuple[float, float] | None:
    """``"+1000 ppm (1.001)"`` -> (1000.0, 1.001); ``"0 ppm (1)"`` -> (0.0, 1.0)."""
    m = re.search(r"([+-]?\d+(?:\.\d+)?) ppm \((\d+(?:\.\d+)?(?:e-?\d+)?)\)", text or "")
    return (float(m.group(1)), float(m.group(2))) if m else None


def parse_ppm(text: str | None) -> float | None:
    m = re.search(r"([+-]?\d+(?:\.\d+)?) ppm", text or "")
    return float(m.group(1)) if m else None


# --------------------------------------------------------------------------- the page


@dataclass
class AlignPage:
    """The notebook showing ``w`` over the session, in ``lab``'s page."""

    lab: Lab
    session: mk.Session

    @property
    def page(self) -> Any:
        return self.lab.page

    # -- reading
    def state(self) -> dict[str, Any]:
        return dict(self.page.evaluate(_STATE_JS, list(VIDEOS)))

    def panel(self) -> dict[str, Any]:
        p = self.state()["panel"]
        assert p is not None, "the page has no [data-part=align-panel]"
        return dict(p)

    def kernel_points(self) -> list[dict[str, Any]]:
        return list(self.lab.json("w.sync_points"))

    def kernel_map(self, track: str = TRACK) -> dict[str, Any]:
        return dict(
            self.lab.json(
                f"{{'offset': w.tracks[{track!r}].offset, 'rate': w.tracks[{track!r}].rate, "
                f"'knots': w.tracks[{track!r}].knots}}"
            )
        )

    def describe(self) -> str:
        """The alignment panel, markers, clock and tracks as the page has them (for messages)."""
        st = self.state()
        keep = {k: st.get(k) for k in ("clock", "tracks", "panel", "markers", "overviewMarkers")}
        return json.dumps(keep, default=str)[:3000]

    def frame(self, track: str = TRACK, timeout: float = 10.0) -> dict[str, Any]:
        """The frame ``track`` shows once settled: ``index`` (read from its pixels) and
        ``currentTime``. Waits until the element is not seeking, has a frame, and the pixels
        read show the frame at its currentTime (or the timeout: then says what was seen)."""

        def read() -> dict[str, Any]:
            r = dict(self.page.evaluate(_FRAME_JS, [track, mk.BAND]))
            if r.get("b64") is not None:
                try:
                    r["index"] = mk.read_frame_index(
                        base64.b64decode(r.pop("b64")), r["width"], r["height"]
                    )
                except ValueError as exc:
                    r["unreadable"] = str(exc)
            return r

        def consistent(r: dict[str, Any]) -> bool:
            if "index" not in r or r.get("seekingAfter") or r["after"] != r["currentTime"]:
                return False
            ct = r["currentTime"]
            return math.floor(ct * mk.FPS - 0.05) <= r["index"] <= math.floor(ct * mk.FPS + 0.05)

        ok, r = h.wait_until(read, consistent, timeout=timeout, interval=0.1)
        assert ok, (
            f"the {track} video did not settle on a frame matching its currentTime within "
            f"{timeout:.0f} s: last read {r}"
        )
        return r

    # -- waiting
    def wait_clock(self, data: float, tol: float = 1e-6, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until the page's data clock rests at ``data``; returns the page state."""

        def ok(st: dict[str, Any]) -> bool:
            c = st.get("clock") or {}
            return isinstance(c.get("data"), (int, float)) and abs(c["data"] - data) <= tol

        good, st = h.wait_until(self.state, ok, timeout=timeout, interval=0.05)
        assert good, (
            f"the page's data clock should rest at {data:.6f} within {timeout:.0f} s; "
            f"data-clock = {st.get('clock')}"
        )
        return st

    def wait_media(self, track: str, want: float, tol: float, timeout: float = 10.0) -> float:
        """Wait until ``track``'s element settles within ``tol`` of ``want``; its currentTime."""

        def ok(st: dict[str, Any]) -> bool:
            m = st["tracks"].get(track)
            return bool(
                m
                and not m["seeking"]
                and m["readyState"] >= 2
                and abs(m["currentTime"] - want) <= tol
            )

        good, st = h.wait_until(self.state, ok, timeout=timeout, interval=0.05)
        assert good, (
            f"{track}: currentTime should settle within {tol * 1000:.1f} ms of {want:.4f} within "
            f"{timeout:.0f} s; the element: {st['tracks'].get(track)}; clock {st.get('clock')}"
        )
        return float(st["tracks"][track]["currentTime"])

    def wait_panel(self, ok: Any, what: str, timeout: float = 10.0) -> dict[str, Any]:
        good, p = h.wait_until(self.panel, ok, timeout=timeout, interval=0.1)
        assert good, f"{what} within {timeout:.0f} s; the panel: {json.dumps(p)[:2500]}"
        return p

    def wait_points(self, ok: Any, what: str, timeout: float = 10.0) -> list[dict[str, Any]]:
        good, pts = h.wait_until(self.kernel_points, ok, timeout=timeout, interval=0.15)
        assert good, (
            f"{what} within {timeout:.0f} s; w.sync_points = {pts}; page: {self.describe()}"
        )
        return pts

    # -- acting
    def set_selection(self, lo: float, hi: float) -> None:
        """Set the window from the kernel and wait until the page shows it (the data clock
        rests at its left edge: the selection seeks)."""
        self.lab.exec(f"w.selection = ({lo!r}, {hi!r})")
        sel = self.lab.json("list(w.selection)")
        assert abs(sel[0] - lo) < 1e-9 and abs(sel[1] - hi) < 1e-9, f"w.selection is {sel}"
        self.wait_clock(lo)

    def seek_first(self, media_seconds: float) -> None:
        """``w.media_time = t``: the first track (front: offset 0, rate 1) seeks to ``t``, so
        the data clock goes to data ``t``, and every track follows its own mapping of it."""
        self.lab.exec(f"w.media_time = {media_seconds!r}")
        self.wait_clock(media_seconds, tol=1e-6)

    def scroll_to(self, part: str) -> None:
        assert self.page.evaluate(_SCROLL_JS, wk.part(part)), f"no [data-part={part}] to scroll to"

    def detail_x(self, t: float, sel: tuple[float, float]) -> tuple[float, float, float]:
        """Page (x, y) of data time ``t`` on the detail plot showing window ``sel``, and the
        data seconds one CSS pixel stands for there."""
        self.scroll_to("detail")
        d = self.state()["detail"]
        assert d and d["width"] > 100, f"the detail plot has no usable size: {d}"
        lo, hi = sel
        assert lo < t < hi, f"data time {t} is outside the window {sel}"
        x = d["x"] + (t - lo) / (hi - lo) * d["width"]
        vp = self.page.viewport_size
        y = d["y"] + d["height"] / 2
        assert 0 <= y < vp["height"] and 0 <= x < vp["width"], (
            f"the detail plot is not in the viewport after scrolling: {d}, viewport {vp}"
        )
        return x, y, (hi - lo) / d["width"]

    def alt_click(self, x: float, y: float) -> None:
        """A real Alt+click (Alt held on the keyboard, left button) at page (x, y)."""
        self.page.keyboard.down("Alt")
        try:
            self.page.mouse.click(x, y)
        finally:
            self.page.keyboard.up("Alt")

    def focus_root(self) -> None:
        ok = self.page.evaluate(
            """() => { const r = document.querySelector('[data-part="root"]');
                       if (!r) return false; r.focus({preventScroll: true});
                       return document.activeElement === r; }"""
        )
        assert ok, "could not put the keyboard focus on the widget's root"

    def click(self, part: str, within: str = "align-panel") -> None:
        loc = self.page.locator(f"{wk.part('root')} {wk.part(within)} {wk.part(part)}").first
        loc.scroll_into_view_if_needed()
        loc.click()

    def open_panel(self, track: str = TRACK) -> dict[str, Any]:
        """Click the label bar's Align toggle, wait for the panel, pick ``track``."""
        st = self.state()
        assert st["toggle"] and st["toggle"]["shown"], (
            f"no visible [data-part=align-toggle] in the label bar: {st['toggle']}"
        )
        p = st["panel"]
        assert p is not None and p["hidden"] and not p["shown"], (
            f"the alignment panel should exist and be hidden before the toggle is clicked: {p}"
        )
        toggle = self.page.locator(f"{wk.part('root')} {wk.part('align-toggle')}").first
        toggle.scroll_into_view_if_needed()
        toggle.click()
        p = self.wait_panel(
            lambda p: p["shown"] and not p["hidden"], "the Align toggle should show the panel"
        )
        assert p["tracks"] == list(VIDEOS), f"the panel's track select offers {p['tracks']}"
        self.page.locator(f"{wk.part('root')} {wk.part('align-track')}").first.select_option(track)
        want = f"{WRONG_OFFSET:.3f} s"
        return self.wait_panel(
            lambda p: p["track"] == track and p["offset"] == want,
            f"picking {track!r} should show its (wrong) offset {want}",
        )


def open_align(lab: Lab, session: mk.Session) -> AlignPage:
    """Write, open and run the notebook; wait until both videos have loaded in the page and
    reported their durations to the kernel."""
    lab.run_notebook("align", cells(session))
    page = lab.page
    try:
        page.wait_for_selector(wk.part("root"), state="visible", timeout=30_000)
    except Exception as exc:
        raise h.HarnessError(
            f"the widget's root did not appear within 30 s; outputs: {wk.outputs_text(page)!r}"
        ) from exc
    ap = AlignPage(lab=lab, session=session)

    def loaded(st: dict[str, Any]) -> bool:
        return all(
            m is not None and not m["error"] and m["readyState"] >= 1 and m["duration"] > 0
            for m in st["tracks"].values()
        )

    ok, st = h.wait_until(ap.state, loaded, timeout=30, interval=0.2)
    if not ok:
        raise h.HarnessError(f"the videos did not load within 30 s: {st.get('tracks')}")
    expr = f"{{n: w.tracks[n].duration for n in {list(VIDEOS)!r}}}"
    ok, durations = h.wait_until(
        lambda: lab.json(expr), lambda d: all(v is not None for v in d.values()), 15, 0.25
    )
    if not ok:
        raise h.HarnessError(f"w.tracks[...].duration stayed None in the kernel: {durations}")
    return ap


def check_pixels(page: Any) -> dict[str, Any] | None:
    out = page.evaluate(_CHECK_PIXELS_JS)
    return None if out is None else dict(out)
