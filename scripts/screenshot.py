"""Make docs/screenshot.png: the widget showing the sample with its video.

Starts the end-to-end harness (a private JupyterLab on 127.0.0.1 and Debian's
Chromium through Playwright, see tests/e2e/harness.py), runs a notebook that
shows the sample, drags the range with the mouse to the run phase, waits for
the detail chart and the video frame to paint, and screenshots just the
widget's root element (viewport 1200x900, device scale factor 1).

Usage::

    python scripts/screenshot.py [--out docs/screenshot.png] [--start 14.1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))

import harness as h  # noqa: E402
import widgetkit as wk  # noqa: E402

_SETTLED_JS = """
() => {
  const m = document.querySelector('[data-part="media"]');
  return !!m && !m.seeking && m.readyState >= 2;
}
"""

_CANVAS_HASH_JS = """
() => {
  const d = document.querySelector('[data-part="root"]');
  let s = '';
  for (const c of d.querySelectorAll('canvas')) s += c.width + 'x' + c.height + c.toDataURL();
  let hash = 0;
  for (let i = 0; i < s.length; i++) hash = (hash * 31 + s.charCodeAt(i)) | 0;
  return hash;
}
"""


def _wait_painted(page: Any, timeout: float = 10.0) -> None:
    """Wait until the video frame is decoded and the charts' canvases stop changing."""
    try:
        page.wait_for_function(_SETTLED_JS, timeout=timeout * 1000)
    except Exception as exc:
        raise h.HarnessError(f"the video did not settle: {wk.media_state(page)}") from exc
    deadline = time.monotonic() + timeout
    last = page.evaluate(_CANVAS_HASH_JS)
    stable = 0
    while stable < 3:  # the same pixels over three polls 150 ms apart
        if time.monotonic() > deadline:
            raise h.HarnessError(f"the charts kept repainting for {timeout} s")
        time.sleep(0.15)
        now = page.evaluate(_CANVAS_HASH_JS)
        stable = stable + 1 if now == last else 0
        last = now


def _drag_range_to(page: Any, t_target: float, t0: float, span: float) -> None:
    """Drag the range body with the mouse so its left edge lands on data time ``t_target``."""
    over = page.evaluate(
        """() => {
          const d = document.querySelector('[data-part="overview"]');
          const r = (d.querySelector('.u-over') || d).getBoundingClientRect();
          return {x: r.left, width: r.width};
        }"""
    )
    rng = h.box(page, wk.part("range"))
    target_left = over["x"] + (t_target - t0) / span * over["width"]
    x0, y0 = rng["x"] + rng["width"] / 2, rng["y"] + rng["height"] / 2
    h.drag(page, x0, y0, x0 + (target_left - rng["x"]), y0, steps=12)
    page.mouse.move(2, 2)  # leave no hover state on the charts


def make_screenshot(out: Path, start: float) -> Path:
    from playwright.sync_api import sync_playwright

    sample = wk.load_sample()
    root, home = h.make_tmp("tsv-shot-root-"), h.make_tmp("tsv-shot-home-")
    console: list[str] = []
    server = h.JupyterServer(root, home)
    try:
        names = wk.copy_sample(sample, root)
        cell = (
            "from tsvideo_widget import TimeSeriesVideo\n"
            f"w = TimeSeriesVideo({names['data']!r}, media={names['video']!r}, "
            'channels=["height", "ax"], labels=["Walk", "Run", "Still"])\n'
            'w.add_region(10.5, 12.0, "Walk")\n'
            'w.add_region(12.0, 16.4, "Run")\n'
            'w.add_region(15.2, 15.9, "Still", channel="ax")\n'
            'w.add_region(17.3, 17.3, "Run")\n'
            "w"
        )
        h.write_notebook(root / "screenshot.ipynb", [cell])
        server.start()
        with sync_playwright() as pw:
            browser = h.launch_browser(pw)
            try:
                _context, page, console = h.new_page(browser)
                h.open_notebook(page, server, "screenshot.ipynb")
                h.run_all(page)
                wk.wait_for_widget(page)
                t0, t_end = _span(root / names["data"])
                _drag_range_to(page, start, t0, t_end - t0)
                ok, sel = h.wait_until(
                    lambda: h.kernel_json(page, "list(w.selection)"),
                    lambda s: abs(s[0] - start) < 0.5,
                    timeout=10,
                )
                if not ok:
                    raise h.HarnessError(f"the range did not land near {start}: selection {sel}")
                _wait_painted(page)
                # Two animation frames so the last canvas draw reaches the screen.
                page.evaluate(
                    "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
                )
                out.parent.mkdir(parents=True, exist_ok=True)
                page.locator(wk.part("root")).first.screenshot(path=str(out), animations="disabled")
            finally:
                browser.close()
    except Exception:
        print("console of the page:\n" + "\n".join(console[-40:]), file=sys.stderr)
        print(f"server log ({server.log_path}):\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        server.stop()
        h.rmtree_quiet(root)
        h.rmtree_quiet(home)
    return out


def _span(csv: Path) -> tuple[float, float]:
    import pandas as pd

    col = pd.read_csv(csv, usecols=["time"])["time"]
    return float(col.min()), float(col.max())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument(
        "--start", type=float, default=14.1, help="data time the range starts at (s)"
    )
    args = parser.parse_args(argv)
    t = time.monotonic()
    path = make_screenshot(args.out, args.start)
    print(f"wrote {path} in {time.monotonic() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
