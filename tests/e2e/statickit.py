"""Helpers for the static HTML export's end-to-end tests (``w.to_html``).

* :class:`RangeServer`: a folder served on 127.0.0.1 by a small HTTP server in a
  thread that answers ``Range`` requests (206 Partial Content), as a real web
  server does. ``python -m http.server`` does not, and Chromium cannot seek media
  served without them (it snaps back to 0).
* :class:`NetworkGuard`: a browser context that may reach only ``file:``,
  ``blob:``, ``data:`` URLs and the given local origins; any other request is
  aborted and recorded, so a test can assert that nothing external was asked for.
* Page-side readers: ink on a chart's canvas, the detail window the view
  draws, distinct data points under the cursor, the media element.

Every wait here is bounded.
"""

from __future__ import annotations

import http.server
import os
import re
import threading
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness as h

# --------------------------------------------------------------------------- HTTP server

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeRequestHandler(http.server.SimpleHTTPRequestHandler):
    """``SimpleHTTPRequestHandler`` plus single-range ``Range: bytes=a-b`` requests.

    Every file response says ``Accept-Ranges: bytes``; a satisfiable range gets
    206 with ``Content-Range``, an unsatisfiable one 416. Each request is
    recorded on the server (:attr:`RangeServer.log`) instead of printed.
    """

    server: _Server
    _range: tuple[int, int] | None = None

    def send_head(self) -> Any:
        self._range = None
        path = self.translate_path(self.path)
        header = self.headers.get("Range")
        if header is None or not os.path.isfile(path):
            return super().send_head()
        m = _RANGE.match(header.strip())
        size = os.path.getsize(path)
        start: int | None = None
        end = size - 1
        if m and (m.group(1) or m.group(2)):
            if m.group(1):
                start = int(m.group(1))
                if m.group(2):
                    end = min(int(m.group(2)), size - 1)
            else:  # a suffix: the last N bytes
                start = max(0, size - int(m.group(2)))
        if start is None or start >= size or start > end:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        f = open(path, "rb")  # noqa: SIM115 - closed by copyfile's caller (do_GET)
        self._range = (start, end)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Last-Modified", self.date_time_string(int(os.stat(path).st_mtime)))
        self.end_headers()
        f.seek(start)
        return f

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def copyfile(self, source: Any, outputfile: Any) -> None:
        try:
            if self._range is None:
                super().copyfile(source, outputfile)
                return
            left = self._range[1] - self._range[0] + 1
            while left > 0:
                buf = source.read(min(64 * 1024, left))
                if not buf:
                    break
                outputfile.write(buf)
                left -= len(buf)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser stopped reading (it does so after a seek): not an error

    def send_response(self, code: int, message: str | None = None) -> None:
        self.server.record(self.command, self.path, self.headers.get("Range"), code)
        super().send_response(code, message)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.Lock()
        self.log: list[tuple[str, str, str | None, int]] = []
        super().__init__(
            ("127.0.0.1", 0),
            lambda *a, **k: RangeRequestHandler(*a, directory=str(root), **k),
        )

    def record(self, method: str, path: str, rng: str | None, code: int) -> None:
        with self.lock:
            self.log.append((method, urllib.parse.unquote(path), rng, code))

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a connection the browser dropped mid-response


class RangeServer:
    """``root`` served on ``http://127.0.0.1:<port>/`` with Range support, in a thread.

    Use as a context manager (or :meth:`start` / :meth:`stop`). :attr:`log` lists
    ``(method, path, range header, status)`` of every response.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> RangeServer:
        self._server = _Server(self.root)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    @property
    def origin(self) -> str:
        assert self._server is not None, "the server is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, name: str) -> str:
        return f"{self.origin}/{urllib.parse.quote(name)}"

    @property
    def log(self) -> list[tuple[str, str, str | None, int]]:
        assert self._server is not None
        with self._server.lock:
            return list(self._server.log)

    def stop(self, timeout: float = 5.0) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()  # returns once serve_forever has stopped (polls every 50 ms)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise h.HarnessError(f"the HTTP server thread did not stop within {timeout} s")

    def __enter__(self) -> RangeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- network guard

_LOCAL_SCHEMES = ("file:", "blob:", "data:")


@dataclass
class NetworkGuard:
    """Let ``context`` reach only local URLs and ``origins``; abort and record the rest."""

    origins: tuple[str, ...] = ()
    requested: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def allowed(self, url: str) -> bool:
        if url.startswith(_LOCAL_SCHEMES):
            return True
        parts = urllib.parse.urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" in self.origins

    def install(self, context: Any) -> NetworkGuard:
        def block(route: Any) -> None:
            self.blocked.append(route.request.url)
            route.abort("blockedbyclient")

        # Only what is not allowed is intercepted: local media requests (Range) pass untouched.
        context.route(lambda url: not self.allowed(url), block)
        context.on("request", lambda req: self.requested.append(req.url))
        return self

    @property
    def external(self) -> list[str]:
        """Every request the page made to anything but the allowed places."""
        return [u for u in self.requested if not self.allowed(u)] + [
            u for u in self.blocked if u not in self.requested
        ]


@dataclass
class StaticPage:
    """One browser page on a static export, with its console and network guard."""

    context: Any
    page: Any
    console: list[str]
    guard: NetworkGuard
    artifacts: Path

    def why(self) -> str:
        """Context for a failure message: console tail, requests, where artifacts go."""
        tail = "\n".join(self.console[-15:]) or "<empty>"
        return (
            f"\n  console (tail):\n{tail}\n  requests: {self.guard.requested[-10:]}"
            f"\n  artifacts: {self.artifacts}"
        )

    def save_artifacts(self) -> None:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        try:
            self.page.screenshot(path=str(self.artifacts / "page.png"), timeout=10_000)
        except Exception as exc:  # never mask the test's own failure
            (self.artifacts / "notes.txt").write_text(f"screenshot failed: {exc!r}\n")
        (self.artifacts / "console.log").write_text("\n".join(self.console) + "\n")
        (self.artifacts / "requests.txt").write_text("\n".join(self.guard.requested) + "\n")


def open_page(browser: Any, artifacts: Path, origins: Iterable[str] = ()) -> StaticPage:
    """A fresh context (network guarded: only local URLs and ``origins``) and page."""
    context, page, console = h.new_page(browser)
    page.set_default_timeout(15_000)
    guard = NetworkGuard(tuple(origins)).install(context)
    return StaticPage(context, page, console, guard, artifacts)


# --------------------------------------------------------------------------- page readers


def part(name: str) -> str:
    return f'[data-part="{name}"]'


def roots(page: Any) -> int:
    return int(page.evaluate("() => document.querySelectorAll('[data-part=\"root\"]').length"))


_INK_JS = """([view, name]) => {
  const root = document.querySelectorAll('[data-part="root"]')[view];
  const canvas = root && root.querySelector(`[data-part="${name}"] canvas`);
  if (!canvas || !canvas.width || !canvas.height) return -1;
  const img = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  // Series are drawn in saturated colours; axes, grid and text are grey.
  let n = 0;
  for (let i = 0; i < img.length; i += 4) {
    const r = img[i], g = img[i + 1], b = img[i + 2];
    if (img[i + 3] > 100 && Math.max(r, g, b) - Math.min(r, g, b) > 50) n++;
  }
  return n;
}"""


def ink(page: Any, name: str, view: int = 0) -> int:
    """Coloured (series) pixels on chart ``name``'s canvas of view ``view``; -1 if no canvas."""
    return int(page.evaluate(_INK_JS, [view, name]))


_SIGNATURE_JS = """([view, name]) => {
  const root = document.querySelectorAll('[data-part="root"]')[view];
  const canvas = root && root.querySelector(`[data-part="${name}"] canvas`);
  if (!canvas) return null;
  const img = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let a = 0, b = 0;
  for (let i = 0; i < img.length; i++) { a = (a + img[i]) % 65521; b = (b + a) % 65521; }
  return b * 65536 + a;
}"""


def signature(page: Any, name: str, view: int = 0) -> int | None:
    """A checksum of chart ``name``'s canvas pixels (changes when it is redrawn differently)."""
    out = page.evaluate(_SIGNATURE_JS, [view, name])
    return None if out is None else int(out)


_DETAIL_JS = """(view) => {
  const root = document.querySelectorAll('[data-part="root"]')[view];
  const d = root && root.querySelector('[data-part="detail"]');
  return d ? {...d.dataset} : null;
}"""


def detail_state(page: Any, view: int = 0) -> dict[str, Any]:
    """The detail chart's ``data-*``: the window it draws (``lo``, ``hi``, floats) and
    where its points come from (``source``: detail, coarse or overview)."""
    ds = page.evaluate(_DETAIL_JS, view)
    if ds is None:
        raise h.HarnessError(f"view {view} has no [data-part=detail]")
    out: dict[str, Any] = dict(ds)
    for k in ("lo", "hi"):
        out[k] = float(out[k]) if k in out else float("nan")
    return out


def window(page: Any, view: int = 0) -> tuple[float, float]:
    d = detail_state(page, view)
    return d["lo"], d["hi"]


_HOVER_JS = """([view, n]) => {
  const root = document.querySelectorAll('[data-part="root"]')[view];
  const over = root.querySelector('[data-part="detail"] .u-over');
  const cell = root.querySelector('[data-part="detail"] .u-legend .u-series .u-value');
  const r = over.getBoundingClientRect();
  const seen = new Set();
  for (let i = 0; i < n; i++) {
    const x = r.left + 1 + (r.width - 2) * i / (n - 1);
    over.dispatchEvent(new MouseEvent('mousemove',
      {clientX: x, clientY: r.top + r.height / 2, bubbles: true}));
    seen.add(cell.textContent);
  }
  over.dispatchEvent(new MouseEvent('mouseleave', {bubbles: true}));
  return [...seen];
}"""


def points_under_cursor(page: Any, n: int, view: int = 0) -> list[str]:
    """The distinct times the detail's cursor legend shows at ``n`` positions across the plot.

    The cursor snaps to the nearest drawn point, so this counts the points the
    detail chart holds in its window, up to ``n``.
    """
    return list(page.evaluate(_HOVER_JS, [view, n]))


def media(page: Any, view: int = 0) -> dict[str, Any]:
    """currentTime, duration, readyState, seeking, paused, src, error of view ``view``'s media."""
    return dict(
        page.evaluate(
            """(view) => {
              const root = document.querySelectorAll('[data-part="root"]')[view];
              const m = root && root.querySelector('[data-part="media"]');
              if (!m) return {present: false};
              return {present: true, tag: m.tagName.toLowerCase(), currentTime: m.currentTime,
                      duration: m.duration, readyState: m.readyState, seeking: m.seeking,
                      paused: m.paused, src: m.currentSrc || m.src,
                      error: m.error ? (m.error.code + ' ' + m.error.message) : null};
            }""",
            view,
        )
    )


def error_text(page: Any, view: int = 0) -> str | None:
    """Text of view ``view``'s ``[data-part=error]`` note, or None when there is none."""
    out = page.evaluate(
        """(view) => {
          const root = document.querySelectorAll('[data-part="root"]')[view];
          const e = root && root.querySelector('[data-part="error"]');
          return e ? e.textContent : null;
        }""",
        view,
    )
    return None if out is None else str(out)


def wait_media(page: Any, ok: Any, timeout: float = 10.0, view: int = 0) -> tuple[bool, Any]:
    """Poll :func:`media` until ``ok(state)``; returns ``(succeeded, last state)``."""
    return h.wait_until(lambda: media(page, view), ok, timeout, interval=0.05)


def frames(page: Any, n: int = 2) -> None:
    """Wait for ``n`` animation frames in the page (lets pending drawing happen)."""
    page.evaluate(
        """(n) => new Promise((resolve) => {
          const step = (k) => k <= 0 ? resolve() : requestAnimationFrame(() => step(k - 1));
          step(n);
        })""",
        n,
    )


def center(b: dict[str, float]) -> tuple[float, float]:
    return b["x"] + b["width"] / 2, b["y"] + b["height"] / 2


def box(page: Any, selector: str, view: int = 0) -> dict[str, float]:
    """Bounding rect of the first ``selector`` inside view ``view``'s root."""
    rect = page.evaluate(
        """([view, sel]) => {
          const root = document.querySelectorAll('[data-part="root"]')[view];
          const el = root && root.querySelector(sel);
          if (!el) return null;
          const r = el.getBoundingClientRect();
          return {x: r.left, y: r.top, width: r.width, height: r.height};
        }""",
        [view, selector],
    )
    if rect is None:
        raise h.HarnessError(f"view {view} has no element matching {selector!r}")
    return {k: float(v) for k, v in rect.items()}


def observe(fn: Any, seconds: float, interval: float = 0.05) -> list[Any]:
    """Every value of ``fn()`` over ``seconds`` s: for asserting that something stays put."""
    out = [fn()]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(interval)
        out.append(fn())
    return out
