#!/usr/bin/env python
"""Several tracks in step: tsvideo's data clock against a naive peer, on generated media.

    python benchmarks/tracks.py [--quick] [--play-seconds 20] [--repeats 3]
                                [--out benchmarks/out/tracks.json]
    python benchmarks/tracks.py --report benchmarks/out/tracks.json   # Markdown tables of a run

One JupyterLab on 127.0.0.1 (tests/e2e/harness.py) and Debian's Chromium, headless,
through Playwright. A session is generated with tests/mediakit.py's writers: ``data.csv``
(30 s at 100 Hz) and five tracks whose mapping ``media = offset + rate * data`` is known:

=====  =====  ======  ======
track  kind   offset  rate
=====  =====  ======  ======
cam0   video  0.0     1.0
cam1   video  2.35    1.001
cam2   video  -0.5    0.9995
cam3   video  1.0     1.0002
mic    audio  -3.0    0.9999
=====  =====  ======  ======

(H.264 320x180 at 30 fps with the frame index burnt in; 48 kHz WAV with a click a second.)

1. **Error during playback**, four configurations (cam0; cam0-1; cam0-3; cam0-3 + mic),
   each played ``--play-seconds`` (20) from data time 4.0 after a settle second, sampled
   every 250 ms as tests/e2e/test_tracks.py does: a video's presented frame
   (``requestVideoFrameCallback``: ``|meta.mediaTime - map(clock at
   meta.expectedDisplayTime)|``), an audio element's ``|currentTime - map(clock now)|``.
   ``seeking`` and ``ratechange`` events on every media element are counted.
2. **The peer**, in the same run on the same files: a static page served by Jupyter's
   ``/files/`` (Range requests work there) with the same ``<video>``/``<audio>`` elements,
   each seeked once to its mapping of the start, all started with ``play()`` in one task,
   each at ``playbackRate = rate``, and corrected only by a seek to the mapped ideal clock
   (start instant + wall time) when a track is off by more than 100 ms, checked every
   animation frame: nwb-video-widgets' sync loop (which compares the other videos with the
   first one; here every track is compared with the ideal clock, the peer's best case).
   Its error is measured with the same sampler against that same ideal clock.
3. **First paint** with 4 videos + the mic: from JupyterLab's ``notebook:run-cell`` to (a)
   the widget's root in the DOM, (b) every video's first presented frame (its first
   ``requestVideoFrameCallback``; ``loadeddata`` is kept too), (c) the waveform lane's
   canvas holding ink (read with ``getImageData`` every animation frame). Median of
   ``--repeats`` runs; before each the widget is closed and the kernel's waveform cache
   cleared, so each run decodes the mic again.
4. **CPU** over the judged seconds of every run of items 1 and 2 (the 4 videos + mic runs are
   the reported pair): CPU seconds per wall second of Chromium's whole process tree, of the
   kernel, of the Jupyter server and of this script with Playwright's driver, from
   ``/proc/<pid>/stat`` (utime + stime, plus cutime + cstime of reaped children), and of
   everything else on the machine (``/proc/stat`` busy time minus those): the machine is
   shared, and that figure says how much the run had to share it. Plus a few seconds of
   idle (both pages open, nothing playing) before the runs.

The raw samples, per-track figures and machine facts go to ``--out`` (JSON).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "e2e"))
sys.path.append(str(REPO / "tests"))  # mediakit (appended: e2e's modules come first)

import harness as h  # noqa: E402  (the project's e2e harness, reused as is)
import mediakit as mk  # noqa: E402  (the generated session's writers and truth)
from sysinfo import cpu_model  # noqa: E402

SUBDIR = "bench"  # the session's folder under the server root
TRACKS = (
    mk.TrackSpec("cam0", "video", 0.0, 1.0, (30, 50, 130)),
    mk.TrackSpec("cam1", "video", 2.35, 1.001, (30, 110, 50)),
    mk.TrackSpec("cam2", "video", -0.5, 0.9995, (120, 40, 40)),
    mk.TrackSpec("cam3", "video", 1.0, 1.0002, (100, 90, 30)),
    mk.TrackSpec("mic", "audio", -3.0, 0.9999),
)
CONFIGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("1 video", ("cam0",)),
    ("2 videos", ("cam0", "cam1")),
    ("4 videos", ("cam0", "cam1", "cam2", "cam3")),
    ("4 videos + 1 audio", ("cam0", "cam1", "cam2", "cam3", "mic")),
)
FULL = CONFIGS[-1]
START = 4.0  # data seconds: every track has media from here on
SETTLE_S = 1.0  # samples in the first second of playback are kept apart (the start)
SAMPLE_EVERY_MS = 250
PEER_SEEK_ABOVE = 0.1  # nwb-video-widgets: seek when off by more than 100 ms
FRAME = 1 / mk.FPS
VIDEO_TOL_MS = (FRAME + 0.001) * 1000  # test_tracks.py's tolerances, for the "over" counts
AUDIO_TOL_MS = 20.0
PAINT_TIMEOUT_S = 60.0
WIDGET_CELL, SETUP_CELL = 0, 1  # the widget's output at the top keeps its tiles in view

# ============================================================================ page side

# Every `everyMs` for `totalMs` from the moment the root's data-clock runs: one
# requestVideoFrameCallback per video (mediaTime, expectedDisplayTime, the data clock
# there) and each audio element's currentTime with the clock at that instant; and every
# seeking / ratechange / waiting event of every media element. Result: window.__tsvbPlay.
SAMPLER_JS = """
([tracks, opts]) => {
  const root = document.querySelector('[data-part="root"]');
  const mediaOf = (name) => {
    const t = root && root.querySelector(`[data-part="track"][data-track="${name}"]`);
    return t && t.querySelector('[data-part="media"]');
  };
  const clockNow = () => {
    const raw = root && root.getAttribute('data-clock');
    if (!raw) return null;
    try { return JSON.parse(raw); } catch (e) { return null; }
  };
  const ok = (c) => !!c && Number.isFinite(c.data) && Number.isFinite(c.at);
  const dataAt = (c, ms) => (c.running ? c.data + (ms - c.at) / 1000 * c.speed : c.data);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const ac = new AbortController();
  const events = {};
  for (const tr of tracks) {
    const el = mediaOf(tr.name);
    const e = events[tr.name] = {seeking: [], ratechange: [], waiting: [], missing: !el};
    if (!el) continue;
    const on = (type, fn) => el.addEventListener(type, fn, {signal: ac.signal});
    on('seeking', () => e.seeking.push(performance.now()));
    on('ratechange', () => e.ratechange.push([performance.now(), el.playbackRate]));
    on('waiting', () => e.waiting.push(performance.now()));
  }
  const frame = (name) => new Promise((resolve) => {
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
      const at = performance.now();
      // The element's own clock too (what a controller reading currentTime sees).
      resolve({mediaTime: meta.mediaTime, expected: meta.expectedDisplayTime, now,
               presented: meta.presentedFrames, rate: el.playbackRate, paused: el.paused,
               data: ok(c) ? dataAt(c, meta.expectedDisplayTime) : null,
               ct: el.currentTime, ctData: ok(c) ? dataAt(c, at) : null});
    });
  });
  const run = async () => {
    const out = {samples: [], error: null, anchors: [], visibility: document.visibilityState};
    const t0 = performance.now();
    for (;;) {
      const c = clockNow();
      if (ok(c) && c.running) break;
      if (performance.now() - t0 > opts.startTimeoutMs) {
        out.error = 'the data clock did not run within ' + opts.startTimeoutMs + ' ms: '
          + (root ? root.getAttribute('data-clock') : 'no root');
        return out;
      }
      await sleep(10);
    }
    const start = performance.now();
    window.__tsvbStarted = start;
    out.start = start;
    out.clockAtStart = clockNow();
    let last = null;
    for (let i = 0; i * opts.everyMs <= opts.totalMs; i++) {
      const wait = start + i * opts.everyMs - performance.now();
      if (wait > 0) await sleep(wait);
      const at = performance.now();
      const s = {i, t: (at - start) / 1000, video: {}, audio: {}};
      const raw = root.getAttribute('data-clock');
      if (raw !== last) { out.anchors.push({t: s.t, clock: raw}); last = raw; }
      const jobs = [];
      for (const tr of tracks) {
        if (tr.kind === 'audio') {
          const el = mediaOf(tr.name);
          if (!el) { s.audio[tr.name] = {missing: true}; continue; }
          const now = performance.now();
          const c = clockNow();
          s.audio[tr.name] = {now, currentTime: el.currentTime, paused: el.paused,
                              seeking: el.seeking, rate: el.playbackRate,
                              data: ok(c) ? dataAt(c, now) : null};
        } else {
          jobs.push(frame(tr.name).then((r) => { s.video[tr.name] = r; }));
        }
      }
      await Promise.all(jobs);
      out.samples.push(s);
    }
    out.clockAtEnd = clockNow();
    ac.abort();
    const rel = (t) => (t - start) / 1000;
    out.events = {};
    for (const [name, e] of Object.entries(events)) {
      out.events[name] = {missing: e.missing, seeking: e.seeking.map(rel),
                          ratechange: e.ratechange.map(([t, r]) => [rel(t), r]),
                          waiting: e.waiting.map(rel)};
    }
    return out;
  };
  window.__tsvbStarted = null;
  window.__tsvbPlay = null;
  run().then((r) => { window.__tsvbPlay = r; },
             (e) => { window.__tsvbPlay = {error: 'sampler threw: ' + e, samples: []}; });
}
"""

# The widget's tracks in the page: enough to tell when every track settled at its mapping.
STATE_JS = """
(names) => {
  const root = document.querySelector('.jp-Notebook [data-part="root"]');
  const out = {root: !!root, tracks: {}};
  for (const name of names) {
    const t = root && root.querySelector(`[data-part="track"][data-track="${name}"]`);
    const m = t && t.querySelector('[data-part="media"]');
    if (!m) { out.tracks[name] = null; continue; }
    const r = m.getBoundingClientRect();
    out.tracks[name] = {currentTime: m.currentTime, readyState: m.readyState,
                        seeking: m.seeking, duration: m.duration, paused: m.paused,
                        error: m.error ? m.error.code : null, state: t.dataset.state,
                        box: [r.left, r.top, r.width, r.height]};
  }
  return out;
}
"""

SCROLL_JS = """
(names) => {
  const root = document.querySelector('.jp-Notebook [data-part="root"]');
  if (!root) return;
  root.scrollIntoView({block: 'start'});
  for (const n of names) {
    const t = root.querySelector(`[data-part="track"][data-track="${n}"]`);
    if (t) t.scrollIntoView({block: 'nearest'});
  }
}
"""

# Run the widget cell and watch its first paint: (a) the root in the DOM, (b) each video's
# first presented frame (and loadeddata), (c) ink on each waveform canvas. Times in ms from
# the run command. Result: window.__tsvbPaint (its `done` once everything was seen).
PAINT_JS = """
([idx, nVideos, nLanes, timeoutMs]) => {
  const m = {videos: {}, lanes: {}, done: false};
  window.__tsvbPaint = m;
  const nb = window.jupyterapp.shell.currentWidget;
  nb.content.activeCellIndex = idx;
  nb.content.deselectAll();
  let t0 = 0;
  const since = () => performance.now() - t0;
  const seen = new WeakSet();
  const inked = (c) => {
    if (!c.width || !c.height) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
    return false;
  };
  const check = () => {
    const root = document.querySelector('.jp-Notebook [data-part="root"]');
    if (!root) return;
    if (m.root === undefined) m.root = since();
    for (const el of root.querySelectorAll('video[data-part="media"]')) {
      if (seen.has(el)) continue;
      seen.add(el);
      const v = m.videos[el.dataset.track || ('#' + Object.keys(m.videos).length)] =
        {found: since(), readyStateFound: el.readyState};
      el.addEventListener('loadeddata', () => {
        if (v.loadeddata === undefined) v.loadeddata = since();
      });
      el.requestVideoFrameCallback((now, meta) => {
        v.frame = since();
        v.frameMediaTime = meta.mediaTime;
      });
    }
  };
  const mo = new MutationObserver(check);
  mo.observe(document.body, {childList: true, subtree: true});
  const tick = () => {
    check();
    const root = document.querySelector('.jp-Notebook [data-part="root"]');
    if (root) {
      for (const c of root.querySelectorAll('canvas[data-part="waveform"]')) {
        const lane = c.closest('[data-part="lane"]');
        const name = lane ? lane.dataset.track : '?';
        if (m.lanes[name] === undefined && inked(c)) m.lanes[name] = since();
      }
    }
    const vs = Object.values(m.videos);
    const framed = vs.length >= nVideos && vs.every((v) => v.frame !== undefined);
    if (m.root !== undefined && framed && Object.keys(m.lanes).length >= nLanes) {
      m.done = true;
      m.total = since();
      mo.disconnect();
      return;
    }
    if (since() > timeoutMs) { m.timeout = true; mo.disconnect(); return; }
    requestAnimationFrame(tick);
  };
  t0 = performance.now();
  m.t0 = t0;
  window.jupyterapp.commands.execute('notebook:run-cell').then(
    () => { m.cellDone = since(); }, (e) => { m.cellError = String(e); });
  requestAnimationFrame(tick);
}
"""

RUN_CELL_JS = """
async ([idx, timeoutMs]) => {
  const nb = window.jupyterapp.shell.currentWidget;
  nb.content.activeCellIndex = idx;
  nb.content.deselectAll();
  const t = new Promise((r) => setTimeout(() => r('timeout'), timeoutMs));
  return await Promise.race([
    window.jupyterapp.commands.execute('notebook:run-cell')
      .then(() => 'done', (e) => 'failed: ' + e),
    t]);
}
"""

CLEAR_JS = (
    "async () => { await window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs'); }"
)

KERNEL_IDLE_JS = """
() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}
"""

# The peer: plain media elements, one seek each to the mapped start, play() on all in one
# task at playbackRate = rate, and an nwb-video-widgets-style loop: every animation frame a
# track off by more than `seekAbove` from its mapping of the ideal clock (start + wall time)
# is seeked there. It publishes the same data-clock attribute as the widget, so the same
# sampler measures it.
PEER_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>peer: plain media elements</title>
<style>
body { margin: 8px; font: 12px sans-serif; }
.tiles { display: flex; gap: 6px; }
.tiles video { display: block; background: #000; }
</style></head>
<body>
<div data-part="root"><div class="tiles" id="tiles"></div><div id="audio"></div></div>
<script>
(() => {
  const cfg = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  const root = document.querySelector('[data-part="root"]');
  const els = [];
  for (const tr of cfg.tracks) {
    const tile = document.createElement('div');
    tile.dataset.part = 'track';
    tile.dataset.track = tr.name;
    const el = document.createElement(tr.kind);
    el.dataset.part = 'media';
    el.dataset.track = tr.name;
    el.preload = 'auto';
    if (tr.kind === 'video') {
      el.muted = true;
      el.playsInline = true;
      el.style.width = cfg.width + 'px';
    } else {
      el.muted = false;
      el.controls = true;
    }
    el.src = tr.src;
    tile.append(el);
    (tr.kind === 'video' ? document.getElementById('tiles') : document.getElementById('audio'))
      .append(tile);
    els.push({tr, el, seeks: 0});
  }
  const until = (el, type, test, ms) => new Promise((resolve) => {
    if (test()) { resolve(true); return; }
    const timer = setTimeout(() => resolve(test()), ms);
    const fn = () => {
      if (!test()) return;
      clearTimeout(timer);
      el.removeEventListener(type, fn);
      resolve(true);
    };
    el.addEventListener(type, fn);
  });
  const target = (tr, data) => tr.offset + tr.rate * data;
  window.__peerPrepare = async () => {
    await Promise.all(
      els.map(({el}) => until(el, 'loadedmetadata', () => el.readyState >= 1, 20000)));
    await Promise.all(els.map(({tr, el}) => {
      const t = target(tr, cfg.start);
      if (Math.abs(el.currentTime - t) < 1e-4) return Promise.resolve(true);
      el.currentTime = t;
      return until(el, 'seeked', () => !el.seeking, 20000);
    }));
    await Promise.all(els.map(({el}) => until(el, 'canplay', () => el.readyState >= 3, 20000)));
    return els.map(({tr, el}) => ({name: tr.name, currentTime: el.currentTime,
                                   readyState: el.readyState, want: target(tr, cfg.start),
                                   error: el.error ? el.error.code : null}));
  };
  let loop = null, t0 = 0;
  const correct = () => {
    const data = cfg.start + (performance.now() - t0) / 1000;
    for (const s of els) {
      if (s.el.seeking) continue;
      const t = target(s.tr, data);
      if (Math.abs(s.el.currentTime - t) > cfg.seekAbove) { s.el.currentTime = t; s.seeks++; }
    }
    loop = requestAnimationFrame(correct);
  };
  window.__peerPlay = async () => {
    t0 = performance.now();
    const plays = els.map(({tr, el}) => {
      el.playbackRate = tr.rate;
      return el.play().catch((e) => 'play failed: ' + e);
    });
    root.setAttribute('data-clock',
                      JSON.stringify({at: t0, data: cfg.start, speed: 1, running: true}));
    const res = await Promise.all(plays);
    loop = requestAnimationFrame(correct);
    return {t0, played: performance.now() - t0, results: res.map(String)};
  };
  window.__peerStop = () => {
    if (loop !== null) cancelAnimationFrame(loop);
    loop = null;
    for (const {el} of els) el.pause();
    root.setAttribute('data-clock',
                      JSON.stringify({at: performance.now(), data: 0, speed: 1, running: false}));
    return Object.fromEntries(els.map((s) => [s.tr.name, s.seeks]));
  };
  window.__peerLoaded = true;
})();
</script></body></html>
"""

# ============================================================================ kernel side

SETUP_CODE = """import gc, json, os, time
import pandas as pd
from tsvideo_widget import TimeSeriesVideo
from tsvideo_widget import waveform as _tsv_waveform

TRACKS = {tracks!r}  # name -> (file, kind, offset, rate)
df = pd.read_csv({data!r})
CONFIG = []


def make_widget(names):
    media = {{n: {sub!r} + "/" + TRACKS[n][0] for n in names}}
    w = TimeSeriesVideo(df, media=media, time="time")
    for n in names:
        w.tracks[n].offset = TRACKS[n][2]
        w.tracks[n].rate = TRACKS[n][3]
        if TRACKS[n][1] == "audio":
            w.tracks[n].muted = False
    return w


def close_widget():
    o = globals().pop("w", None)
    if o is not None:
        o.close()
    gc.collect()
"""

WIDGET_CODE = """_p0 = time.perf_counter()
w = make_widget(CONFIG)
_ctor_s = time.perf_counter() - _p0
w"""

# ============================================================================ /proc


CLK = os.sysconf("SC_CLK_TCK")


def proc_table() -> dict[int, tuple[int, float, float]]:
    """pid -> (ppid, utime + stime, cutime + cstime) in seconds, for every process."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            raw = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        f = raw[raw.rfind(")") + 2 :].split()
        out[int(d)] = (
            int(f[1]),
            (int(f[11]) + int(f[12])) / CLK,
            (int(f[13]) + int(f[14])) / CLK,
        )
    return out


def tree(table: dict[int, tuple[int, float, float]], root: int) -> set[int]:
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = set(), [root]
    while todo:
        p = todo.pop()
        if p in out or p not in table:
            continue
        out.add(p)
        todo.extend(kids.get(p, []))
    return out


def chromium_root() -> int | None:
    """The Chromium browser process started (through Playwright's driver) by this process."""
    table = proc_table()
    for pid in sorted(tree(table, os.getpid())):
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            continue
        if Path(exe).name == "chromium":
            parent = table[pid][0]
            try:
                pexe = os.readlink(f"/proc/{parent}/exe")
            except OSError:
                pexe = ""
            if Path(pexe).name != "chromium":
                return pid
    return None


def system_busy() -> float:
    """Busy CPU seconds of the whole machine since boot (all CPUs)."""
    f = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    vals = [int(x) for x in f]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    return (sum(vals[:8]) - idle) / CLK


class CpuMeter:
    """CPU seconds of process trees between two snapshots.

    ``groups``: name -> (root pid, root pids whose trees are left out of it); the trees are
    walked at every snapshot, so processes started in between count."""

    def __init__(self, groups: dict[str, tuple[int, tuple[int, ...]]]) -> None:
        self.groups = groups

    def snap(self) -> dict[str, Any]:
        table = proc_table()
        out: dict[str, Any] = {"t": time.monotonic(), "busy": system_busy(), "groups": {}}
        for name, (root, exclude) in self.groups.items():
            pids = tree(table, root)
            for ex in exclude:
                pids -= tree(table, ex)
            out["groups"][name] = {p: (table[p][1], table[p][2]) for p in pids}
        return out

    @staticmethod
    def delta(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        wall = b["t"] - a["t"]
        busy = b["busy"] - a["busy"]
        res: dict[str, Any] = {"wall_s": wall, "machine_busy_s": busy}
        ours = 0.0
        for name, now in b["groups"].items():
            before = a["groups"].get(name, {})
            cpu = 0.0
            for pid, (own, reaped) in now.items():
                o0, r0 = before.get(pid, (0.0, 0.0))
                cpu += (own - o0) + (reaped - r0)
            ours += cpu
            res[name] = {
                "cpu_s": cpu,
                "cpu_per_s": cpu / wall if wall > 0 else None,
                "processes": len(now),
                "gone": len(set(before) - set(now)),
            }
        res["machine_busy_per_s"] = busy / wall if wall > 0 else None
        # Everything else on the machine (other users' work): what the figures shared it with.
        res["others"] = {"cpu_s": busy - ours, "cpu_per_s": (busy - ours) / wall if wall else None}
        return res


# ============================================================================ statistics


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def judge(
    res: dict[str, Any], names: tuple[str, ...], specs: dict[str, mk.Track], settle: float
) -> dict[str, Any]:
    """Per-track error figures (ms) of one sampled playback, samples from `settle` s on.

    Video: |presented mediaTime - map(data clock at expectedDisplayTime)|; audio:
    |currentTime - map(data clock now)|. ``vs_start`` measures the same against the clock's
    first running anchor run on at speed 1 (start instant + wall time)."""
    a0 = res.get("clockAtStart") or {}
    out: dict[str, Any] = {}
    for n in names:
        tr = specs[n]
        errs, errs0, signed, ct_errs, missing, skipped = [], [], [], [], 0, 0
        rates, start = [], []
        for s in res["samples"]:
            if s["t"] < settle:
                start.append(first_second(s, n, tr))
                continue
            if tr.kind == "video":
                r = s["video"].get(n) or {"missing": True}
                if r.get("missing") or r.get("noFrame") or r.get("data") is None:
                    missing += 1
                    continue
                data, got, at = r["data"], r["mediaTime"], r["expected"]
                if r.get("ctData") is not None:
                    ct_errs.append(abs(r["ct"] - tr.media_time(r["ctData"])) * 1000)
            else:
                r = s["audio"].get(n) or {"missing": True}
                if r.get("missing") or r.get("data") is None:
                    missing += 1
                    continue
                data, got, at = r["data"], r["currentTime"], r["now"]
            want = tr.media_time(data)
            if not 0.0 <= want < tr.duration - FRAME:
                skipped += 1
                continue
            e = (got - want) * 1000
            errs.append(abs(e))
            signed.append(e)
            rates.append(r.get("rate"))
            if a0.get("at") is not None:
                d0 = a0["data"] + (at - a0["at"]) / 1000 * a0.get("speed", 1.0)
                errs0.append(abs(got - tr.media_time(d0)) * 1000)
        tol = VIDEO_TOL_MS if tr.kind == "video" else AUDIO_TOL_MS
        ev = (res.get("events") or {}).get(n) or {}
        seeks = ev.get("seeking", [])
        rch = ev.get("ratechange", [])
        out[n] = {
            "kind": tr.kind,
            "offset": tr.offset,
            "rate": tr.rate,
            "samples": len(errs),
            "missing": missing,
            "outside_media": skipped,
            "p50_ms": pct(errs, 50),
            "p95_ms": pct(errs, 95),
            "max_ms": max(errs) if errs else None,
            "signed_median_ms": statistics.median(signed) if signed else None,
            "over_tolerance": sum(1 for e in errs if e > tol),
            "tolerance_ms": tol,
            # video: |currentTime - map(clock now)| read in the frame callback
            "current_time": {
                "p50_ms": pct(ct_errs, 50),
                "p95_ms": pct(ct_errs, 95),
                "max_ms": max(ct_errs) if ct_errs else None,
            },
            "vs_start_clock": {
                "p50_ms": pct(errs0, 50),
                "p95_ms": pct(errs0, 95),
                "max_ms": max(errs0) if errs0 else None,
            },
            # the start (samples before `settle`): |error| of each, ms (None: no frame)
            "start_errors_ms": start,
            "start_max_ms": max((e for e in start if e is not None), default=None),
            "seeks_start": sum(1 for t in seeks if t < settle),
            "seeks_during": sum(1 for t in seeks if t >= settle),
            "ratechanges_start": sum(1 for t, _ in rch if t < settle),
            "ratechanges_during": sum(1 for t, _ in rch if t >= settle),
            "waiting": len(ev.get("waiting", [])),
            "rates_seen": sorted({round(x, 5) for x in rates if x is not None})[:12],
        }
    worst = max(
        (n for n in names if out[n]["p95_ms"] is not None),
        key=lambda n: (out[n]["p95_ms"], out[n]["max_ms"]),
        default=None,
    )
    return {"tracks": out, "worst": worst}


def first_second(s: dict[str, Any], n: str, tr: mk.Track) -> float | None:
    """|error| (ms) of track ``n`` in one sample of the start, or None without a reading."""
    if tr.kind == "video":
        r = s["video"].get(n) or {}
        if r.get("data") is None or r.get("mediaTime") is None:
            return None
        return abs(r["mediaTime"] - tr.media_time(r["data"])) * 1000
    r = s["audio"].get(n) or {}
    if r.get("data") is None:
        return None
    return abs(r["currentTime"] - tr.media_time(r["data"])) * 1000


def clock_jumps(anchors: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """(sample time, jump in data seconds) at each re-anchor of the data clock seen."""
    out = []
    prev = None
    for a in anchors:
        try:
            c = json.loads(a["clock"])
            float(c["data"])
        except (TypeError, ValueError, KeyError):
            prev = None
            continue
        if prev is not None:
            run = prev["data"] + (c["at"] - prev["at"]) / 1000 * prev["speed"]
            out.append(
                (float(a["t"]), float(c["data"]) - (run if prev["running"] else prev["data"]))
            )
        prev = c
    return out


# ============================================================================ the run


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.play_s = float(args.play_seconds)
        self.res: dict[str, Any] = {"configs": {}, "first_paint": {}, "cpu": {}, "notes": []}

    def log(self, msg: str) -> None:
        print(f"  [{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    # -- kernel / page helpers
    def kexec(self, code: str, timeout: float = 30.0) -> str:
        return h.kernel_exec(self.page, code, timeout=timeout)

    def kjson(self, expr: str, timeout: float = 30.0) -> Any:
        return h.kernel_json(self.page, expr, timeout=timeout)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        ok, _ = h.wait_until(lambda: self.page.evaluate(KERNEL_IDLE_JS), bool, timeout, 0.05)
        return ok

    def close_widget(self) -> None:
        self.page.evaluate(CLEAR_JS)
        self.kexec("close_widget()")

    # -- main
    def run(self) -> dict[str, Any]:
        from playwright.sync_api import sync_playwright

        root = h.make_tmp("tsvbench-tracks-root-")
        home = h.make_tmp("tsvbench-tracks-home-")
        labconfig = home / "config" / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(
            json.dumps({"buildCheck": False, "buildAvailable": False})
        )
        try:
            t0 = time.monotonic()
            seconds = max(30.0, START + SETTLE_S + self.play_s + 4.0)
            self.session = mk.make_session(root / SUBDIR, seconds=seconds, tracks=TRACKS)
            self.res["session"] = {
                "seconds": seconds,
                "generated_s": time.monotonic() - t0,
                "tracks": {
                    n: {
                        "kind": t.kind,
                        "file": t.path.name,
                        "offset": t.offset,
                        "rate": t.rate,
                        "duration": t.duration,
                        "bytes": t.path.stat().st_size,
                    }
                    for n, t in self.session.tracks.items()
                },
            }
            self.log(
                f"session generated in {time.monotonic() - t0:.1f} s ({seconds:.0f} s of data)"
            )
            (root / SUBDIR / "peer.html").write_text(PEER_HTML)
            spec = {
                n: (t.path.name, t.kind, t.offset, t.rate) for n, t in self.session.tracks.items()
            }
            setup = SETUP_CODE.format(tracks=spec, data=f"{SUBDIR}/data.csv", sub=SUBDIR)
            h.write_notebook(root / "tracks.ipynb", [WIDGET_CODE, setup])
            self.server = h.JupyterServer(root, home)
            self.server.start()
            try:
                with sync_playwright() as pw:
                    browser = h.launch_browser(pw)
                    self.res["chromium_version"] = browser.version
                    try:
                        context, page, console = h.new_page(browser)
                        self.page, self.console = page, console
                        page.set_default_timeout(30_000)
                        self.measure(context)
                    finally:
                        self.res["console_tail"] = self.console[-40:]
                        browser.close()
            finally:
                self.server.stop()
        finally:
            h.rmtree_quiet(root)
            h.rmtree_quiet(home)
        return self.res

    def measure(self, context: Any) -> None:
        h.open_notebook(self.page, self.server, "tracks.ipynb")
        r = self.page.evaluate(RUN_CELL_JS, [SETUP_CELL, 60_000])
        errs = h.cell_errors(self.page)
        if r != "done" or errs:
            raise RuntimeError(f"setup cell: {r}; errors: {errs}")
        self.kernel_pid = int(self.kjson("os.getpid()"))
        browser_pid = chromium_root()
        assert self.server.proc is not None
        if browser_pid is None:
            raise RuntimeError("could not find Chromium's browser process under this one")
        server_pid = self.server.proc.pid
        self.meter = CpuMeter(
            {
                "chromium": (browser_pid, ()),
                "kernel": (self.kernel_pid, ()),
                "server": (server_pid, (self.kernel_pid,)),
                # this script and Playwright's driver (node)
                "driver": (os.getpid(), (browser_pid, server_pid)),
            }
        )
        self.res["pids"] = {
            "chromium": browser_pid,
            "kernel": self.kernel_pid,
            "server": self.server.proc.pid,
        }
        self.peer = context.new_page()
        self.peer.set_default_timeout(30_000)
        self.peer.on("pageerror", lambda exc: self.console.append(f"[peer pageerror] {exc}"))
        self.peer.on("console", lambda msg: self.console.append(f"[peer] {msg.type}: {msg.text}"))
        # Idle: both pages open, nothing playing (what the rest of the figures sit on).
        self.page.bring_to_front()
        time.sleep(1.0)
        a = self.meter.snap()
        time.sleep(self.args.idle_seconds)
        self.res["cpu"]["idle"] = CpuMeter.delta(a, self.meter.snap())
        self.log(
            "idle: chromium {:.3f} CPU s/s, kernel {:.3f}".format(
                self.res["cpu"]["idle"]["chromium"]["cpu_per_s"],
                self.res["cpu"]["idle"]["kernel"]["cpu_per_s"],
            )
        )
        for label, names in CONFIGS:
            cfg: dict[str, Any] = {"tracks": list(names)}
            self.res["configs"][label] = cfg
            try:
                cfg["tsvideo"] = self.play_tsvideo(label, names)
            except Exception as exc:
                cfg["tsvideo"] = {"error": f"{type(exc).__name__}: {exc}"[:3000]}
                self.log(f"{label}: tsvideo ERROR {cfg['tsvideo']['error'][:400]}")
                with contextlib.suppress(Exception):
                    self.kexec("w.playing = False", timeout=5)
            finally:
                with contextlib.suppress(Exception):
                    self.close_widget()
            try:
                width = cfg["tsvideo"].get("video_width_px") or 270
                cfg["peer"] = self.play_peer(label, names, width)
            except Exception as exc:
                cfg["peer"] = {"error": f"{type(exc).__name__}: {exc}"[:3000]}
                self.log(f"{label}: peer ERROR {cfg['peer']['error'][:400]}")
            finally:
                with contextlib.suppress(Exception):
                    self.peer.evaluate("() => window.__peerStop && window.__peerStop()")
                    self.peer.goto("about:blank")
            self.log(summary_line(label, cfg))
        self.first_paints()

    # -- (1) tsvideo playback
    def play_tsvideo(self, label: str, names: tuple[str, ...]) -> dict[str, Any]:
        page = self.page
        page.bring_to_front()
        self.kexec(f"CONFIG = {list(names)!r}")
        r = page.evaluate(RUN_CELL_JS, [WIDGET_CELL, 60_000])
        errs = h.cell_errors(page)
        if r != "done" or errs:
            raise RuntimeError(f"widget cell: {r}; errors: {errs}")
        page.wait_for_selector(".jp-Notebook [data-part='root']", state="attached", timeout=30_000)
        specs = self.session.tracks

        def off(st: dict[str, Any], at: float | None) -> list[str]:
            out = []
            for n in names:
                m = st["tracks"].get(n)
                if not m:
                    out.append(f"{n}: no media element")
                    continue
                if m["error"] is not None:
                    out.append(f"{n}: media error {m['error']}")
                elif m["readyState"] < 1 or not m["duration"]:
                    out.append(f"{n}: no metadata (readyState {m['readyState']})")
                elif at is not None:
                    tr = specs[n]
                    tol = 0.020 if tr.kind == "audio" else FRAME + 1e-6
                    want = tr.media_time(at)
                    if m["seeking"] or m["readyState"] < 2 or abs(m["currentTime"] - want) > tol:
                        out.append(
                            f"{n}: currentTime {m['currentTime']:.4f} (want {want:.4f}), "
                            f"seeking {m['seeking']}, readyState {m['readyState']}"
                        )
            return out

        state = lambda: page.evaluate(STATE_JS, list(names))  # noqa: E731
        ok, st = h.wait_until(state, lambda s: not off(s, None), 30, 0.1)
        if not ok:
            raise RuntimeError("tracks did not load: " + "; ".join(off(st, None)))
        end = self.session.seconds - 1.0
        self.kexec(f"w.selection = ({START!r}, {end!r})")
        ok, st = h.wait_until(state, lambda s: not off(s, START), 20, 0.1)
        if not ok:
            raise RuntimeError(
                f"tracks did not settle at data {START}: " + "; ".join(off(st, START))
            )
        page.evaluate(SCROLL_JS, list(names))
        time.sleep(0.3)
        st = state()
        boxes = {n: st["tracks"][n]["box"] for n in names}
        widths = [boxes[n][2] for n in names if specs[n].kind == "video"]
        res = self.sample(page, names, lambda: self.kexec("w.playing = True"))
        stopped = time.monotonic()
        with contextlib.suppress(Exception):
            self.kexec("w.playing = False", timeout=10)
        out = self.summarize(res, names)
        out["video_width_px"] = round(statistics.median(widths)) if widths else None
        out["boxes"] = boxes
        out["stop_s_after_sampling"] = time.monotonic() - stopped
        return out

    # -- (2) the peer
    def play_peer(self, label: str, names: tuple[str, ...], width: float) -> dict[str, Any]:
        page = self.peer
        page.bring_to_front()
        specs = self.session.tracks
        cfg = {
            "start": START,
            "width": width,
            "seekAbove": PEER_SEEK_ABOVE,
            "tracks": [
                {
                    "name": n,
                    "kind": specs[n].kind,
                    "src": f"{specs[n].path.name}?token={self.server.token}",
                    "offset": specs[n].offset,
                    "rate": specs[n].rate,
                }
                for n in names
            ],
        }
        url = (
            f"{self.server.base_url}/files/{SUBDIR}/peer.html?token={self.server.token}"
            f"#{json.dumps(cfg)}"
        )
        page.goto(url, wait_until="load")
        page.wait_for_function("() => window.__peerLoaded === true", timeout=10_000)
        prepared = page.evaluate("() => window.__peerPrepare()")
        bad = [
            p
            for p in prepared
            if p["error"] is not None
            or p["readyState"] < 2
            or abs(p["currentTime"] - p["want"]) > 0.05
        ]
        if bad:
            raise RuntimeError(f"peer tracks not ready at their start: {bad}")
        time.sleep(0.3)
        play_info: dict[str, Any] = {}

        def start() -> None:
            play_info.update(page.evaluate("() => window.__peerPlay()"))

        res = self.sample(page, names, start)
        own = page.evaluate("() => window.__peerStop()")
        out = self.summarize(res, names)
        out["prepared"] = prepared
        out["play"] = play_info
        out["peer_own_seeks"] = own
        return out

    # -- sampling, shared
    def sample(self, page: Any, names: tuple[str, ...], start: Any) -> dict[str, Any]:
        """Install the sampler, ``start()`` playing, meter the CPU over the judged seconds
        (from the settle second on), and return the sampler's result."""
        specs = self.session.tracks
        tracks = [{"name": n, "kind": specs[n].kind} for n in names]
        opts = {
            "everyMs": SAMPLE_EVERY_MS,
            "totalMs": (SETTLE_S + self.play_s) * 1000,
            "frameTimeoutMs": 500,
            "startTimeoutMs": 15_000,
        }
        page.evaluate(SAMPLER_JS, [tracks, opts])
        start()
        ok, _ = h.wait_until(
            lambda: page.evaluate("() => window.__tsvbStarted"), lambda v: v is not None, 20, 0.02
        )
        cpu: dict[str, Any] = {"error": "the sampler never started"}
        if ok:
            time.sleep(SETTLE_S)
            a = self.meter.snap()
            time.sleep(self.play_s)
            cpu = CpuMeter.delta(a, self.meter.snap())
        ok, res = h.wait_until(
            lambda: page.evaluate("() => window.__tsvbPlay"),
            lambda r: r is not None,
            20 + SETTLE_S + self.play_s + 30,
            0.25,
        )
        if not ok:
            raise RuntimeError("the page-side sampler gave no result")
        if res.get("error"):
            raise RuntimeError(f"sampler: {res['error']}")
        res["cpu"] = cpu
        return dict(res)

    def summarize(self, res: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        j = judge(res, names, self.session.tracks, SETTLE_S)
        jumps = clock_jumps(res.get("anchors", []))
        out = {
            **j,
            "clock_at_start": res.get("clockAtStart"),
            "clock_at_end": res.get("clockAtEnd"),
            "clock_reanchors": len(jumps),
            "clock_jump_total_ms": sum(abs(x) for _, x in jumps) * 1000,
            "visibility": res.get("visibility"),
            "samples_taken": len(res.get("samples", [])),
            "events": res.get("events"),
            "raw_samples": res.get("samples"),
        }
        if "cpu" in res:
            out["cpu"] = res["cpu"]
        return out

    # -- (3) first paint
    def first_paints(self) -> None:
        label, names = FULL
        n_video = sum(1 for n in names if self.session.tracks[n].kind == "video")
        n_audio = len(names) - n_video
        runs = []
        self.res["first_paint"] = {"config": label, "runs": runs}
        self.page.bring_to_front()
        for i in range(self.args.repeats):
            with contextlib.suppress(Exception):
                self.close_widget()
            self.kexec(f"CONFIG = {list(names)!r}; _tsv_waveform.CACHE.clear(); gc.collect()")
            self.wait_idle()
            time.sleep(0.5)
            self.page.evaluate(
                PAINT_JS, [WIDGET_CELL, n_video, n_audio, int(PAINT_TIMEOUT_S * 1000)]
            )
            ok, m = h.wait_until(
                lambda: self.page.evaluate("() => window.__tsvbPaint"),
                lambda v: bool(v and (v.get("done") or v.get("timeout"))),
                PAINT_TIMEOUT_S + 10,
                0.1,
            )
            m = dict(m or {})
            self.wait_idle()
            with contextlib.suppress(Exception):
                m["ctor_s"] = self.kjson("_ctor_s")
            vids = m.get("videos", {})
            frames = [v.get("frame") for v in vids.values()]
            loaded = [v.get("loadeddata") for v in vids.values()]
            run = {
                "root_ms": m.get("root"),
                "videos_ms": max(frames) if frames and None not in frames else None,
                "videos_loadeddata_ms": max(loaded) if loaded and None not in loaded else None,
                "waveform_ms": max(m["lanes"].values()) if m.get("lanes") else None,
                "all_ms": m.get("total"),
                "timeout": bool(m.get("timeout")) or not ok,
                "raw": m,
            }
            runs.append(run)
            self.log(
                f"first paint #{i + 1}: root {fmt(run['root_ms'])} ms, videos "
                f"{fmt(run['videos_ms'])} ms, waveform {fmt(run['waveform_ms'])} ms"
                + (" TIMEOUT" if run["timeout"] else "")
            )
        with contextlib.suppress(Exception):
            self.close_widget()
        med: dict[str, Any] = {}
        for k in ("root_ms", "videos_ms", "videos_loadeddata_ms", "waveform_ms", "all_ms"):
            vals = [r[k] for r in runs if r[k] is not None]
            med[k] = statistics.median(vals) if vals else None
        self.res["first_paint"]["median"] = med


# ============================================================================ reporting


def fmt(v: Any, nd: int = 0) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def summary_line(label: str, cfg: dict[str, Any]) -> str:
    parts = [f"{label}:"]
    for side in ("tsvideo", "peer"):
        r = cfg.get(side) or {}
        if r.get("error"):
            parts.append(f"{side} ERROR")
            continue
        w = r.get("worst")
        t = (r.get("tracks") or {}).get(w) or {}
        parts.append(
            f"{side} worst {w} p95 {fmt(t.get('p95_ms'), 1)} max {fmt(t.get('max_ms'), 1)} ms;"
        )
    return " ".join(parts)


def ratio(a: Any, b: Any) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def tri(d: dict[str, Any]) -> str:
    """p50 / p95 / max of one track's figures."""
    return " / ".join(fmt(d.get(k), 1) for k in ("p50_ms", "p95_ms", "max_ms"))


def over(d: dict[str, Any]) -> str:
    """Samples beyond the tolerance (a frame + 1 ms for video, 20 ms for audio) / judged."""
    return f"{d.get('over_tolerance', '-')}/{d.get('samples', '-')}"


def pair(d: dict[str, Any], key: str) -> str:
    """``start + during`` counts of one kind of event."""
    return f"{d.get(key + '_start', '-')} + {d.get(key + '_during', '-')}"


def ratios(a: dict[str, Any], b: dict[str, Any]) -> str:
    """tsvideo / peer for p95 and max, as two table cells."""
    return f"{ratio(a.get('p95_ms'), b.get('p95_ms'))} | {ratio(a.get('max_ms'), b.get('max_ms'))}"


def others(run: dict[str, Any]) -> str:
    """CPU s/s of the other processes on the machine while a run's judged seconds played."""
    return fmt(((run.get("cpu") or {}).get("others") or {}).get("cpu_per_s"), 2)


def start_max(run: dict[str, Any]) -> str:
    """The largest |error| of any track in the first second of a run (the start)."""
    vals = [t.get("start_max_ms") for t in (run.get("tracks") or {}).values()]
    vals = [v for v in vals if v is not None]
    return fmt(max(vals), 0) if vals else "-"


def markdown(doc: dict[str, Any]) -> str:
    lines = []
    lines.append(
        "| configuration | track (offset, rate) | tsvideo p50 / p95 / max (ms) | over tol. | "
        "seeks (start + during) | rate changes (start + during) | peer p50 / p95 / max (ms) "
        "| over tol. | peer seeks (start + during) | p95 ratio | max ratio |"
    )
    lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    worst_rows = []
    for label, cfg in doc["configs"].items():
        ts, pe = cfg.get("tsvideo") or {}, cfg.get("peer") or {}
        for n in cfg["tracks"]:
            a = (ts.get("tracks") or {}).get(n) or {}
            b = (pe.get("tracks") or {}).get(n) or {}
            spec = doc["session"]["tracks"][n]
            lines.append(
                f"| {label} | {n} ({spec['offset']:+g}, {spec['rate']:g}) | {tri(a)} "
                f"| {over(a)} | {pair(a, 'seeks')} | {pair(a, 'ratechanges')} | {tri(b)} "
                f"| {over(b)} | {pair(b, 'seeks')} | {ratios(a, b)} |"
            )
        wa = (ts.get("tracks") or {}).get(ts.get("worst")) or {}
        wb = (pe.get("tracks") or {}).get(pe.get("worst")) or {}
        worst_rows.append(
            f"| {label} | {ts.get('worst', 'ERROR' if ts.get('error') else '-')} "
            f"{fmt(wa.get('p95_ms'), 1)} / {fmt(wa.get('max_ms'), 1)} "
            f"| {pe.get('worst', 'ERROR' if pe.get('error') else '-')} "
            f"{fmt(wb.get('p95_ms'), 1)} / {fmt(wb.get('max_ms'), 1)} | {ratios(wa, wb)} "
            f"| {start_max(ts)} / {start_max(pe)} | {others(ts)} / {others(pe)} |"
        )
    lines.append("")
    lines.append(
        "| configuration | tsvideo worst track: p95 / max (ms) | peer worst track: p95 / max (ms) "
        "| p95 ratio | max ratio | first second, worst abs. error (ms, tsvideo / peer) "
        "| other load, CPU s/s (tsvideo / peer) |"
    )
    lines.append("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    lines += worst_rows
    fp = doc.get("first_paint") or {}
    med = fp.get("median") or {}
    lines.append("")
    lines.append(
        f"| first paint, {fp.get('config', '')} (median of {len(fp.get('runs', []))}) "
        "| root in the DOM | every video's first frame (rVFC) | every video loadeddata "
        "| waveform drawn |"
    )
    lines.append("| --- | ---: | ---: | ---: | ---: |")
    lines.append(
        f"| ms from notebook:run-cell | {fmt(med.get('root_ms'))} | {fmt(med.get('videos_ms'))} "
        f"| {fmt(med.get('videos_loadeddata_ms'))} | {fmt(med.get('waveform_ms'))} |"
    )
    cpu = doc.get("cpu") or {}
    lines.append("")
    lines.append(
        "| CPU s per wall s, 4 videos + 1 audio | tsvideo | peer | ratio | idle (both pages) |"
    )
    lines.append("| --- | ---: | ---: | ---: | ---: |")
    names = {
        "chromium": "Chromium, whole process tree",
        "kernel": "kernel",
        "server": "Jupyter server (without the kernel)",
        "driver": "this script + Playwright's driver",
        "others": "other processes on the machine",
    }
    for k, text in names.items():
        a = ((cpu.get("tsvideo") or {}).get(k) or {}).get("cpu_per_s")
        b = ((cpu.get("peer") or {}).get(k) or {}).get("cpu_per_s")
        c = ((cpu.get("idle") or {}).get(k) or {}).get("cpu_per_s")
        r = ""
        if k in ("chromium", "kernel", "server"):
            r = "(peer ≈ 0)" if b is not None and abs(b) < 0.005 else ratio(a, b)
        lines.append(f"| {text} | {fmt(a, 3)} | {fmt(b, 3)} | {r} | {fmt(c, 3)} |")
    a = (cpu.get("tsvideo") or {}).get("machine_busy_per_s")
    b = (cpu.get("peer") or {}).get("machine_busy_per_s")
    c = (cpu.get("idle") or {}).get("machine_busy_per_s")
    lines.append(
        f"| whole machine (2 CPUs) | {fmt(a, 3)} | {fmt(b, 3)} | {ratio(a, b)} | {fmt(c, 3)} |"
    )
    return "\n".join(lines)


def machine(browser_version: str | None) -> dict[str, Any]:
    import hashlib
    import platform
    from importlib import metadata

    cpu = cpu_model()
    pkgs = {}
    for name in ("tsvideo-widget", "anywidget", "jupyterlab", "jupyter_server", "playwright"):
        try:
            pkgs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pkgs[name] = None
    bundle = REPO / "tsvideo_widget" / "static" / "widget.js"

    def git(*cmd: str) -> str:
        try:
            return subprocess.run(
                ["git", "-C", str(REPO), *cmd], capture_output=True, text=True, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError) as exc:
            return f"<{exc}>"

    return {
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty_files": [ln for ln in git("status", "--porcelain").splitlines() if ln],
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "chromium": browser_version,
        "chromium_args": h.CHROMIUM_ARGS,
        "viewport": h.VIEWPORT,
        "packages": pkgs,
        "widget_js_sha256": hashlib.sha256(bundle.read_bytes()).hexdigest()
        if bundle.exists()
        else None,
        "widget_js_mtime": time.strftime(
            "%Y-%m-%dT%H:%M:%S", time.localtime(bundle.stat().st_mtime)
        )
        if bundle.exists()
        else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick", action="store_true", help="8 s of playback, one first-paint run, 2 s idle"
    )
    ap.add_argument("--play-seconds", type=float, help="judged playback per run (default 20)")
    ap.add_argument("--repeats", type=int, help="first-paint runs (median; default 3)")
    ap.add_argument("--idle-seconds", type=float, help="idle CPU baseline (default 5)")
    ap.add_argument("--out", default=str(HERE / "out" / "tracks.json"))
    ap.add_argument("--report", metavar="JSON", help="print the Markdown tables of a run and exit")
    args = ap.parse_args()
    if args.report:
        print(markdown(json.loads(Path(args.report).read_text())))
        return 0
    args.play_seconds = args.play_seconds or (8.0 if args.quick else 20.0)
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.idle_seconds = args.idle_seconds or (2.0 if args.quick else 5.0)
    if not Path(h.CHROMIUM).exists():
        print(f"{h.CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2
    from run import write_json  # benchmarks/run.py: the results-file writer

    t0 = time.monotonic()
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    bench = Bench(args)
    try:
        res = bench.run()
    except Exception as exc:
        res = bench.res
        res["fatal"] = f"{type(exc).__name__}: {exc}"[:3000]
        print(f"FATAL {res['fatal']}", file=sys.stderr)
    cpu = res.setdefault("cpu", {})
    full = (res.get("configs") or {}).get(FULL[0]) or {}
    for side in ("tsvideo", "peer"):
        c = (full.get(side) or {}).get("cpu")
        if c:
            cpu[side] = c
    doc = {
        "started": started,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "elapsed_s": time.monotonic() - t0,
        "machine": machine(res.get("chromium_version")),
        "settings": {
            "quick": args.quick,
            "play_seconds": args.play_seconds,
            "settle_seconds": SETTLE_S,
            "sample_every_ms": SAMPLE_EVERY_MS,
            "start_data_s": START,
            "repeats": args.repeats,
            "idle_seconds": args.idle_seconds,
            "peer_seek_above_s": PEER_SEEK_ABOVE,
        },
        **res,
    }
    out = Path(args.out)
    write_json(out, doc)
    if "session" in doc:
        print(markdown(doc))
    print(f"wrote {out} ({doc['elapsed_s'] / 60:.1f} min)")
    return 1 if "fatal" in doc else 0


if __name__ == "__main__":
    sys.exit(main())
