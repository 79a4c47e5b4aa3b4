#!/usr/bin/env python
"""Static HTML export (``w.to_html``): page size and time to open in Chromium.

    python benchmarks/static_html.py [--repeats 5] [--rows 2000000]
                                     [--out benchmarks/out/static_html.json]

Two widgets, each exported with the default budget beside a copy of its media
(if any) into a temporary folder:

* **quickstart**: the widget of ``notebooks/quickstart.ipynb`` on the shipped
  sample (video, four channels, three labels, the four regions the notebook adds);
* **<rows>**: a float64 ``time`` column at 1 kHz and three float32 random-walk
  channels (seeded), no media, as ``benchmarks/run.py`` generates its data.

Per page: the HTML's size in bytes (total; the bundle part: the JS bundle, its
CSS and the boot script; the widget part: state without detail tiles, and the
embedded tiles) and the time to export it; then the median over ``--repeats``
runs, each a fresh browser context on the ``file://`` page, of the time from
navigation start (``performance.timeOrigin``) to the first painted frame in
which (a) one chart has drawn data, (b) both charts have, and (c) the detail
shows the best the page holds for the first window: the overview's raw samples
(``data-source="detail"`` with no request) or the embedded tile the page picks
(the first reply drawn; ``detail_source`` records ``detail``, or ``coarse`` when
the finest tile embedded is coarser than one column per pixel of that window).
The browser may load only ``file:``/``blob:``/``data:`` URLs (anything else is
aborted and listed).

Results go to ``--out`` under the key ``"static_html"``; other keys already in
that file are kept. Not part of the CI command.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "e2e"))

import harness as h  # noqa: E402  (the project's e2e harness, reused as is)
import statickit as sk  # noqa: E402
from run import write_json  # noqa: E402  (benchmarks/run.py: the results-file writer)

OPEN_TIMEOUT_MS = 30_000

# In the page from its first script on: the first frame in which the charts hold data.
# "Ink" is coloured pixels on a chart's canvas (series colours; axes and grid are grey).
PROBE_JS = """
(() => {
  const marks = {};
  window.__tsvBench = marks;
  const inked = (name) => {
    const c = document.querySelector(`[data-part="${name}"] canvas`);
    if (!c || !c.width || !c.height) return false;
    const img = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < img.length; i += 4) {
      const r = img[i], g = img[i + 1], b = img[i + 2];
      if (img[i + 3] > 100 && Math.max(r, g, b) - Math.min(r, g, b) > 50) return true;
    }
    return false;
  };
  const tick = () => {
    const now = performance.now();
    const d = inked('detail'), o = inked('overview');
    if ((d || o) && marks.first_chart_ms === undefined) marks.first_chart_ms = now;
    if (d && o && marks.charts_ms === undefined) marks.charts_ms = now;
    const det = document.querySelector('[data-part="detail"]');
    // The detail at its best from the page: the overview's raw samples, or an embedded tile.
    const best = det && (det.dataset.source === 'detail' || Number(det.dataset.replies) > 0);
    if (d && o && best && marks.detail_ms === undefined) {
      marks.detail_ms = now;
      marks.detail_source = det.dataset.source;
    }
    if (marks.detail_ms === undefined) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""


def quickstart_widget(folder: Path) -> Any:
    """The quickstart notebook's ``w`` (sample video copied into ``folder``)."""
    from tsvideo_widget import TimeSeriesVideo, sample

    s = sample()
    video = folder / Path(s.video).name
    shutil.copy2(s.video, video)
    w = TimeSeriesVideo(
        str(s.data),
        media=str(video),
        time="time",
        channels=["height", "ax", "ay", "az"],
        labels=["Walk", "Run", "Still"],
        autosave=folder / "labels.json",
    )
    w.add_region(0.0, 5.0, "Walk")
    w.add_region(11.0, 15.0, "Run")
    w.add_region(22.0, 30.0, "Still")
    w.add_region(25.0, 25.0, "Still", note="jump")
    return w


def large_widget(n: int) -> Any:
    import numpy as np
    import pandas as pd

    from tsvideo_widget import TimeSeriesVideo

    rng = np.random.default_rng(0)
    chans = {f"ch{i}": np.cumsum(rng.normal(size=n)).astype(np.float32) for i in range(3)}
    df = pd.DataFrame({"time": np.arange(n) / 1000.0, **chans}, copy=False)
    return TimeSeriesVideo(df, time="time")


_STATE = re.compile(
    r'<script type="application/vnd\.tsvideo-widget\+json"[^>]*>(.*?)</script>', re.S
)
_BUNDLE = re.compile(r'<script type="text/plain" id="tsv-bundle">.*?</script>', re.S)
_BOOT = re.compile(r'<script type="module">.*?</script>', re.S)
_STYLE = re.compile(r"<style>.*?</style>", re.S)


def sizes(html: str) -> dict[str, int]:
    """Bytes (UTF-8) of the page and of its parts."""

    def n(s: str) -> int:
        return len(s.encode("utf-8"))

    bundle = sum(n(m.group(0)) for m in _BUNDLE.finditer(html))
    boot = sum(n(m.group(0)) for m in _BOOT.finditer(html))
    css = sum(n(m.group(0)) for m in _STYLE.finditer(html))
    widgets = chunks = 0
    for m in _STATE.finditer(html):
        widgets += n(m.group(0))
        data = json.loads(m.group(1).replace("<\\/", "</"))
        chunks += n(json.dumps(data.get("chunks", []), separators=(",", ":")))
    total = n(html)
    return {
        "total": total,
        "bundle": bundle + boot + css,
        "bundle_js": bundle,
        "css": css,
        "state_and_chunks": widgets,
        "chunks": chunks,
        "state": widgets - chunks,
        "other": total - bundle - boot - css - widgets,
    }


def open_times(browser: Any, url: str, repeats: int, tmp: Path) -> dict[str, Any]:
    runs = []
    for _ in range(repeats):
        sp = sk.open_page(browser, tmp / "artifacts")
        try:
            sp.page.add_init_script(PROBE_JS)
            t0 = time.perf_counter()
            sp.page.goto(url, wait_until="commit", timeout=OPEN_TIMEOUT_MS)
            sp.page.wait_for_function(
                "() => window.__tsvBench && window.__tsvBench.detail_ms !== undefined",
                timeout=OPEN_TIMEOUT_MS,
                polling=50,
            )
            wall = (time.perf_counter() - t0) * 1000
            marks = dict(sp.page.evaluate("() => window.__tsvBench"))
            if sp.guard.external:
                raise RuntimeError(f"the page requested {sp.guard.external}")
            runs.append({**marks, "wall_ms": wall})
        finally:
            sp.context.close()
    keys = ("first_chart_ms", "charts_ms", "detail_ms", "wall_ms")
    return {
        "runs": runs,
        "median": {k: statistics.median(r[k] for r in runs) for k in keys},
    }


def measure(name: str, w: Any, folder: Path, browser: Any, repeats: int) -> dict[str, Any]:
    html_path = folder / f"{name}.html"
    t0 = time.perf_counter()
    w.to_html(html_path)
    export_s = time.perf_counter() - t0
    text = html_path.read_text(encoding="utf-8")
    s = w.series
    return {
        "widget": name,
        "rows": int(s.n),
        "channels": list(s.channels),
        "media": w.media_source.name if w.media_source else None,
        "export_s": export_s,
        "bytes": sizes(text),
        "embedded_tiles": sum(
            len(json.loads(m.group(1).replace("<\\/", "</")).get("chunks", []))
            for m in _STATE.finditer(text)
        ),
        "open_ms": open_times(browser, html_path.as_uri(), repeats, folder),
    }


def table(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'widget':<12} {'rows':>10} {'total KB':>9} {'bundle KB':>9} {'state KB':>9} "
        f"{'tiles KB':>9} {'tiles':>5} {'export s':>8} {'1st chart ms':>12} "
        f"{'charts ms':>9} {'detail ms':>9} {'source':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        b, m = r["bytes"], r["open_ms"]["median"]
        lines.append(
            f"{r['widget']:<12} {r['rows']:>10,} {b['total'] / 1e3:>9.1f} "
            f"{b['bundle'] / 1e3:>9.1f} "
            f"{b['state'] / 1e3:>9.1f} {b['chunks'] / 1e3:>9.1f} {r['embedded_tiles']:>5} "
            f"{r['export_s']:>8.2f} {m['first_chart_ms']:>12.0f} {m['charts_ms']:>9.0f} "
            f"{m['detail_ms']:>9.0f} {r['open_ms']['runs'][0].get('detail_source', '-'):>7}"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    import hashlib
    import platform
    from importlib import metadata

    bundle = REPO / "tsvideo_widget" / "static" / "widget.js"
    pkgs = {}
    for name in ("tsvideo-widget", "numpy", "pandas", "playwright"):
        try:
            pkgs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pkgs[name] = None
    return {
        "python": sys.version.split()[0],
        "kernel": platform.release(),
        "chromium_args": h.CHROMIUM_ARGS,
        "packages": pkgs,
        "widget_js_sha256": hashlib.sha256(bundle.read_bytes()).hexdigest()
        if bundle.exists()
        else None,
    }


def write_section(path: Path, section: dict[str, Any]) -> None:
    """Put ``section`` under ``"static_html"`` in the JSON at ``path``, keeping the rest."""
    doc: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text())
            if isinstance(loaded, dict):
                doc = loaded
        except ValueError:
            raise SystemExit(f"{path} exists and is not JSON; pass another --out") from None
    doc["static_html"] = section
    write_json(path, doc)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=5, help="page opens per widget (median)")
    ap.add_argument("--rows", type=int, default=2_000_000, help="rows of the large series")
    ap.add_argument("--out", default=str(HERE / "out" / "static_html.json"))
    args = ap.parse_args()
    if not Path(h.CHROMIUM).exists():
        print(f"{h.CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="tsv-static-bench-"))
    results = []
    try:
        with sync_playwright() as pw:
            browser = h.launch_browser(pw)
            try:
                results.append(
                    measure("quickstart", quickstart_widget(folder), folder, browser, args.repeats)
                )
                t0 = time.perf_counter()
                big = large_widget(args.rows)
                built = time.perf_counter() - t0
                res = measure(
                    f"{args.rows:.0e}".replace("+0", ""), big, folder, browser, args.repeats
                )
                res["construct_s"] = built
                results.append(res)
            finally:
                browser.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    section = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "settings": {"repeats": args.repeats, "rows": args.rows, "budget_mb": "default"},
        "results": results,
    }
    out = Path(args.out)
    write_section(out, section)
    print(table(results))
    print(f"wrote {out} (key 'static_html')")
    return 0


if __name__ == "__main__":
    sys.exit(main())
