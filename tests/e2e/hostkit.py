"""The widget outside JupyterLab: marimo and Voila servers, and a widget driver for their pages.

harness.py runs JupyterLab and reads Python state through the notebook's
kernel; marimo (``marimo run``) and Voila have no such kernel-exec API. Here
the app (or notebook) itself writes the widget's Python state to a JSON file
from a traitlets observer, atomically, on every change, and the test reads
that file (:meth:`AppServer.state`). Each page is one session with its own
kernel (Voila) or runtime (marimo): the test puts a fresh ``sid`` in the
page's query string and the app names its state file after it (marimo reads
it with ``mo.query_params()``, Voila hands it to the kernel as
``QUERY_STRING``), so sessions never share a file.

marimo renders an anywidget inside an open shadow root, so this module never
uses ``document.querySelector``: Playwright locators pierce open shadow roots,
and JavaScript runs on the element a locator found.

Servers run in their own process group (started with a new session, with
PR_SET_PDEATHSIG so a killed test run leaves none behind) and are stopped by
that group's id, never by name. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import harness as h
import pytest
import widgetkit as wk

REPO = Path(__file__).resolve().parents[2]
LABELS = ["Walk", "Run", "Still"]
FRAME = 1 / 25  # one video frame of the sample (25 fps), in media seconds
STATE_WAIT = 10.0  # s: bounded wait for a browser change to reach Python's state file
PAGE_TIMEOUT = 30_000  # ms

# 300k samples over 30 s: the overview is decimated, so a narrow window needs
# the kernel's finer detail (the shipped sample is small enough to send raw).
BIG_DATA = (
    "_t = np.arange(300_000) / 10_000\n"
    "_noise = np.random.default_rng(0).normal(size=_t.size) * 0.1\n"
    "big = TimeSeriesVideo(pd.DataFrame({'time': _t, 'v': np.sin(_t * 7) + _noise}), "
    "time='time')\n"
)


# --------------------------------------------------------------------------- servers


def host_env(home: Path) -> dict[str, str]:
    """Environment for a server: private Jupyter/marimo directories, no proxy, this checkout."""
    return h.isolated_env(
        {
            "XDG_CONFIG_HOME": home / "xdg-config",
            "XDG_CACHE_HOME": home / "xdg-cache",
            "XDG_STATE_HOME": home / "xdg-state",
        },
        home,
    )


class AppServer:
    """A ``marimo run`` or ``voila`` subprocess serving ``root`` on 127.0.0.1.

    The app writes its widget state to ``root/state-<sid>.json``; see
    :meth:`page_url` and :meth:`state`.
    """

    def __init__(self, kind: str, cmd: list[str], root: Path, home: Path, port: int) -> None:
        self.kind = kind
        self.cmd = cmd
        self.root = Path(root)
        self.home = Path(home)
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = self.home / f"{kind}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    def start(self) -> AppServer:
        self.home.mkdir(parents=True, exist_ok=True)
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=self.root,
            env=host_env(self.home),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped by its id
            preexec_fn=h._die_with_parent,
        )
        try:
            self._wait_ready()
        except BaseException as exc:
            log = self.log_tail()
            self.stop()
            raise h.HarnessError(
                f"{self.kind} did not come up on {self.base_url} within "
                f"{h.SERVER_START_TIMEOUT:.0f} s ({exc}); command {self.cmd}; "
                f"its log ({self.log_path}):\n{log}"
            ) from None
        return self

    def _wait_ready(self) -> None:
        """Until the server answers HTTP at all (a 404 will do: nothing is executed)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + h.SERVER_START_TIMEOUT
        last: object = None
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise h.HarnessError(f"server exited with code {self.proc.returncode}")
            try:
                with opener.open(self.base_url + "/__e2e_ready_probe", timeout=2.0) as resp:
                    resp.read()
                return
            except urllib.error.HTTPError:
                return  # it answered
            except (OSError, urllib.error.URLError) as exc:
                last = exc
            time.sleep(0.2)
        raise h.HarnessError(f"no HTTP answer (last error: {last!r})")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            h.stop_group(proc, (signal.SIGTERM, signal.SIGKILL), wait=8.0)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "<no server log>"

    # -- sessions
    def page_url(self, sid: str, **params: str) -> str:
        return f"{self.base_url}/?" + urllib.parse.urlencode({"sid": sid, **params})

    def state_path(self, sid: str) -> Path:
        return self.root / f"state-{sid}.json"

    def state(self, sid: str) -> dict[str, Any] | None:
        """The state the app last wrote for session ``sid`` (None before its first write)."""
        try:
            return dict(json.loads(self.state_path(sid).read_text()))
        except FileNotFoundError:
            return None


def marimo_server(app: Path, home: Path) -> AppServer:
    """``marimo run APP --headless --host 127.0.0.1 --port P --no-token`` (not started)."""
    port = h.free_port()
    cmd = [
        sys.executable,
        "-m",
        "marimo",
        "run",
        str(app),
        "--headless",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-token",
        "--no-sandbox",  # never prompt about a sandbox
    ]
    return AppServer("marimo", cmd, app.parent, home, port)


def voila_server(notebook: Path, home: Path) -> AppServer:
    """``voila NB --no-browser --port P --Voila.ip=127.0.0.1`` (not started).

    Voila's ``file_allowlist`` keeps its default (images only): the media file
    beside the notebook is *not* served by ``/voila/files/``.
    """
    port = h.free_port()
    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        "--show_tracebacks=True",
    ]
    return AppServer("voila", cmd, notebook.parent, home, port)


# --------------------------------------------------------------------------- apps

# Python run in the app's kernel: state dumping for session `sid`, after `w` and `big` exist.
_STATE_WRITER = """\
_state_lock = threading.Lock()


def _write_state(_change=None):
    with _state_lock:
        try:
            _media_start = w.data_to_media(w.selection[0]) if w.media_duration else None
        except Exception as _err:
            _media_start = repr(_err)
        _state = {{
            "sid": sid,
            "selection": [float(v) for v in w.selection],
            "media_start": _media_start,
            "media_duration": w.media_duration,
            "media_time": w.media_time,
            "regions": w.regions,
            "big_selection": [float(v) for v in big.selection],
        }}
        _tmp = {state_dir!r} + f"/.state-{{sid}}.json.tmp"
        with open(_tmp, "w") as _f:
            json.dump(_state, _f, default=str)
        os.replace(_tmp, {state_dir!r} + f"/state-{{sid}}.json")


w.observe(_write_state, names=["selection", "media_duration", "media_time", "regions"])
big.observe(_write_state, names=["selection"])
_write_state()
"""


def _setup_code(data: Path, media: Path, sid_expr: str, state_dir: Path) -> str:
    return (
        "import json, os, threading\n"
        "import numpy as np\n"
        "import pandas as pd\n"
        "from tsvideo_widget import TimeSeriesVideo\n\n"
        f"sid = {sid_expr}\n"
        f"w = TimeSeriesVideo({str(data)!r}, media={str(media)!r}, time='time', "
        f"channels=['height', 'ax'], labels={LABELS!r})\n"
        + BIG_DATA
        + "\n\n"
        # marimo: a cell's names starting with "_" stay private to the cell.
        + _STATE_WRITER.format(state_dir=str(state_dir))
    )


def write_marimo_app(root: Path, data: Path, media: Path) -> Path:
    """A marimo app showing ``w`` (sample + media) and ``big`` (300k samples, no media).

    ``?sid=...`` names the state file; ``?view=plain`` shows ``w`` as the plain
    last expression of its cell instead of ``mo.ui.anywidget(w)``.
    """
    setup = _setup_code(data, media, "str(mo.query_params().get('sid') or 'none')", root)
    body = "\n".join("    " + line if line else "" for line in setup.splitlines())
    app = f"""import marimo

app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    return (mo,)


@app.cell
def _(mo):
{body}
    return big, sid, w


@app.cell
def _(mo, sid):
    mo.md(f"session `{{sid}}`")
    return


@app.cell
def _(mo, w):
    w if mo.query_params().get("view") == "plain" else mo.ui.anywidget(w)
    return


@app.cell
def _(big, mo):
    mo.ui.anywidget(big)
    return


if __name__ == "__main__":
    app.run()
"""
    path = root / "tsv_app.py"
    path.write_text(app)
    return path


def write_voila_notebook(root: Path, data: Path, media: Path) -> Path:
    """A notebook showing ``w`` (sample + media) and ``big``; ``?sid=...`` names the state file."""
    sid_expr = (
        "__import__('urllib.parse').parse.parse_qs(os.environ.get('QUERY_STRING', ''))"
        ".get('sid', ['none'])[0]"
    )
    setup = _setup_code(data, media, sid_expr, root) + "print('session', sid)\n"
    return h.write_notebook(root / "tsv_voila.ipynb", [setup, "w", "big"])


# --------------------------------------------------------------------------- the widget in a page


@dataclass
class Session:
    """One page (one session, one kernel/runtime) showing ``w`` and ``big``."""

    server: AppServer
    page: Any
    context: Any
    console: list[str]
    sid: str

    # -- locators (they pierce marimo's shadow roots)
    @property
    def w_root(self) -> Any:
        """The root of ``w``: the widget with a media element."""
        return self.page.locator(wk.part("root")).filter(has=self.page.locator(wk.part("media")))

    @property
    def big_root(self) -> Any:
        """The root of ``big``: the widget without one."""
        return self.page.locator(wk.part("root")).filter(
            has_not=self.page.locator(wk.part("media"))
        )

    def part(self, name: str, root: Any = None) -> Any:
        return (root if root is not None else self.w_root).locator(wk.part(name))

    @property
    def media(self) -> Any:
        return self.part("media")

    def box(self, name: str, root: Any = None) -> dict[str, float]:
        b = self.part(name, root).first.bounding_box()
        if b is None:
            raise h.HarnessError(f"{wk.part(name)} has no box (not visible?)")
        return dict(b)

    def plot_box(self, name: str, root: Any = None) -> dict[str, float]:
        """Box of uPlot's plotting area (``.u-over``) inside chart part ``name``."""
        b = self.part(name, root).locator(".u-over").first.bounding_box()
        if b is None:
            raise h.HarnessError(f"{wk.part(name)} .u-over has no box")
        return dict(b)

    # -- python state
    def state(self) -> dict[str, Any] | None:
        return self.server.state(self.sid)

    def wait_state(self, ok: Any, timeout: float = STATE_WAIT) -> tuple[bool, Any]:
        def read() -> Any:
            try:
                return self.state()
            except ValueError:  # never half-written (atomic rename), but be safe
                return None

        return h.wait_until(read, lambda s: s is not None and bool(ok(s)), timeout, 0.1)

    # -- media
    def media_state(self) -> dict[str, Any]:
        if self.media.count() == 0:
            return {"present": False}
        return dict(
            self.media.first.evaluate(
                """(m) => ({present: true, tag: m.tagName.toLowerCase(),
                          currentTime: m.currentTime, duration: m.duration,
                          readyState: m.readyState, seeking: m.seeking, paused: m.paused,
                          src: m.currentSrc || m.src,
                          error: m.error ? (m.error.code + ' ' + m.error.message) : null})"""
            )
        )

    def media_time(self) -> float:
        return float(self.media.first.evaluate("(m) => m.currentTime"))

    def seek(self, t: float, timeout_ms: int = 10_000) -> float:
        """Set the media's currentTime and wait for its ``seeked`` event."""
        return float(
            self.media.first.evaluate(
                """(m, [t, timeoutMs]) => new Promise((resolve, reject) => {
                  const timer = setTimeout(() => reject(new Error(
                    'no "seeked" within ' + timeoutMs + ' ms; currentTime=' + m.currentTime)),
                    timeoutMs);
                  m.addEventListener('seeked', () => { clearTimeout(timer);
                                                       resolve(m.currentTime); },
                                     {once: true});
                  m.currentTime = t;
                })""",
                [t, timeout_ms],
            )
        )

    def wait_media_time(self, target: float, tol: float = FRAME, timeout: float = 10.0) -> float:
        _, value = h.wait_until(self.media_time, lambda v: abs(v - target) <= tol, timeout)
        return value

    # -- detail chart
    def detail_dataset(self, root: Any = None) -> dict[str, str]:
        return dict(self.part("detail", root).first.evaluate("(e) => ({...e.dataset})"))

    def describe(self) -> str:
        """A line for failure messages: the media, the state file, the widget's status."""
        try:
            status = self.part("status").first.text_content(timeout=2_000)
        except Exception as exc:
            status = f"<{exc.__class__.__name__}>"
        errors: list[Any] = []
        with contextlib.suppress(Exception):
            errors = [e.text_content() for e in self.page.locator(wk.part("error")).all()]
        return (
            f"media {self.media_state()}; python state {self.state()}; status {status!r}; "
            f"error parts {errors}"
        )


def open_session(server: AppServer, browser: Any, **params: str) -> Session:
    """A fresh context and page on the app, for a fresh ``sid``; waits until ``w`` is ready.

    Ready: both widgets' roots visible, the media's metadata loaded in the page
    and ``w.media_duration`` in Python's state file.
    """
    context, page, console = h.new_page(browser)
    page.set_default_timeout(PAGE_TIMEOUT)
    sid = secrets.token_hex(8)
    s = Session(server=server, page=page, context=context, console=console, sid=sid)
    try:
        page.goto(server.page_url(sid, **params), wait_until="domcontentloaded")
        try:
            s.w_root.first.wait_for(state="visible", timeout=PAGE_TIMEOUT)
            s.big_root.first.wait_for(state="visible", timeout=PAGE_TIMEOUT)
        except Exception as exc:
            raise h.HarnessError(
                f"the widgets did not appear in {server.kind} within {PAGE_TIMEOUT / 1000:.0f} s "
                f"(roots found: {page.locator(wk.part('root')).count()}); "
                f"server log tail:\n{server.log_tail(3000)}\nconsole tail:\n"
                + "\n".join(console[-15:])
            ) from exc
        errors = s.page.locator(wk.part("error"))
        ok, m = h.wait_until(
            lambda: (s.media_state(), errors.count()),
            lambda v: (
                v[1] > 0 or (v[0].get("readyState", 0) >= 1 and (v[0].get("duration") or 0) > 0)
            ),
            timeout=PAGE_TIMEOUT / 1000,
        )
        if not ok or m[1] > 0:
            raise h.HarnessError(f"the media never loaded its metadata: {s.describe()}")
        ok, _ = s.wait_state(lambda st: st.get("media_duration") is not None, timeout=15)
        if not ok:
            raise h.HarnessError(
                f"Python's w.media_duration stayed None for 15 s although the page loaded the "
                f"media: {s.describe()}"
            )
    except BaseException:
        context.close()
        raise
    return s


def save_artifacts(s: Session, out: Path, nodeid: str) -> Path:
    """Screenshot, console and server log of a failing test, into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    notes = [f"test: {nodeid}", f"url: {s.server.page_url(s.sid)}"]
    try:
        s.page.screenshot(path=str(out / "page.png"), timeout=10_000)
    except Exception as exc:
        notes.append(f"page screenshot failed: {exc}")
    (out / "console.log").write_text("\n".join(s.console) + "\n")
    (out / "server.log").write_text(s.server.log_tail(200_000))
    try:
        notes.append(f"state: {s.describe()}")
    except Exception as exc:
        notes.append(f"state unreadable: {exc}")
    (out / "notes.txt").write_text("\n".join(notes) + "\n")
    return out


# --------------------------------------------------------------------------- fixtures' bodies


@contextlib.contextmanager
def serving(kind: str, tmp_path_factory: Any) -> Iterator[AppServer]:
    """Copy the sample into a fresh root, write the app (or notebook), serve it; stop after."""
    try:
        sample = wk.load_sample()
    except h.HarnessError as exc:
        pytest.fail(f"the widget is not ready: {exc}", pytrace=False)
    root = tmp_path_factory.mktemp(f"{kind}-root")
    home = tmp_path_factory.mktemp(f"{kind}-home")
    names = wk.copy_sample(sample, root)
    data, video = root / names["data"], root / names["video"]
    if kind == "marimo":
        server = marimo_server(write_marimo_app(root, data, video), home)
    else:
        server = voila_server(write_voila_notebook(root, data, video), home)
    server.start()  # raises with the server's log when it does not come up
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def artifacts_on_failure(s: Session, request: pytest.FixtureRequest) -> Iterator[Session]:
    """Around one test using ``s``: when the test fails, save its artifacts and name the folder.

    The conftest's hook saves artifacts for its own ``lab`` fixture only; this
    does the same for a :class:`Session` (a failed call is counted in
    ``testsfailed`` before fixtures are torn down).
    """
    failed_before = request.session.testsfailed
    try:
        yield s
    finally:
        if request.session.testsfailed > failed_before:
            try:
                base = request.config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
                name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
                out = save_artifacts(s, base / "e2e-artifacts" / name[:120], request.node.nodeid)
                reporter = request.config.pluginmanager.get_plugin("terminalreporter")
                if reporter is not None:
                    reporter.write_line(f"\ne2e artifacts of {request.node.nodeid}: {out}")
            except Exception as exc:  # never mask the real failure
                print(f"could not save e2e artifacts: {exc!r}")


@contextlib.contextmanager
def shared_session(server: AppServer, browser: Any, **params: str) -> Iterator[Session]:
    """One page for several tests (a module), closed after them.

    Each check below reads its own baseline from the page and Python's state,
    so the tests sharing a page do not depend on their order; a fresh page
    costs a kernel start (Voila) and a few seconds, per test.
    """
    s = open_session(server, browser, **params)
    try:
        yield s
    finally:
        s.context.close()


# --------------------------------------------------------------------------- checks

PX_TOL = 3.0  # pixel tolerance for positions on screen
SPAN = 30.0  # the sample's data span and media duration, seconds


def check_renders(s: Session) -> None:
    """Overview and detail canvases, a <video>, no error part; Python heard the duration."""
    assert s.w_root.count() == 1, f"{s.w_root.count()} roots with a media element, expected 1"
    missing = [
        name
        for name in ("overview", "range", "detail", "media", "status")
        if s.part(name).count() == 0
    ]
    assert not missing, f"data-part elements missing in w's view: {missing}"
    for name in ("overview", "detail"):
        canvases = s.part(name).locator("canvas")
        assert canvases.count() >= 1, f"no <canvas> in {wk.part(name)}"
        size = canvases.first.evaluate("(c) => [c.width, c.height]")
        assert size[0] > 100 and size[1] > 10, f"{wk.part(name)}'s canvas is {size}"
    m = s.media_state()
    assert m["tag"] == "video" and m["error"] is None, f"media element: {m}"
    assert abs(m["duration"] - SPAN) < 0.2, f"media duration {m['duration']}, expected ~{SPAN}"
    assert s.page.locator(wk.part("error")).count() == 0, (
        f"error part shown: {s.page.locator(wk.part('error')).first.text_content()!r}"
    )
    st = s.state()
    assert st is not None and abs(st["media_duration"] - SPAN) < 0.2, (
        f"Python's w.media_duration should be ~{SPAN}: state {st}"
    )
    # big (300k samples, no media) is a second, independent view of its own.
    assert s.big_root.count() == 1 and s.part("detail", s.big_root).count() == 1, (
        f"the second widget did not render: {s.page.locator(wk.part('root')).count()} roots"
    )


def check_media_through_kernel(s: Session, forbidden: str) -> None:
    """The local file came through the kernel: a ``blob:`` URL, nothing under ``forbidden``."""
    src = s.media_state()["src"]
    assert src.startswith("blob:"), (
        f"the local media file should play from a blob: URL assembled from kernel chunks, "
        f"its src is {src!r}"
    )
    assert forbidden not in src, f"media src {src!r} points at {forbidden}"


def check_plays_and_seeks(s: Session) -> None:
    """play() advances currentTime (and w.media_time); a seek lands where it was sent."""
    before = s.media_time()
    s.media.first.evaluate("(m) => m.play()")
    ok, now = h.wait_until(s.media_time, lambda t: t >= before + 0.5, timeout=8)
    playing = s.media_state()
    assert ok and not playing["paused"], (
        f"the media did not play: currentTime {before:.3f} -> {now:.3f} in 8 s; {playing}"
    )
    ok, st = s.wait_state(lambda st: st["media_time"] >= before + 0.3)
    s.media.first.evaluate("(m) => m.pause()")
    assert ok, f"w.media_time did not follow playback in Python: state {st}"

    for target in (20.0, 7.5):
        got = s.seek(target)
        assert abs(got - target) <= FRAME, (
            f"seeking the blob media to {target} s landed at {got:.4f} (snapping to 0 means "
            f"the source cannot seek); {s.media_state()}"
        )
        ok, st = s.wait_state(lambda st, t=target: abs(st["media_time"] - t) <= 0.1)
        assert ok, f"w.media_time did not follow a seek to {target} s: state {st}"


def check_range_drag_seeks(s: Session) -> None:
    """Dragging the range box moves w.selection and seeks the media to its start."""
    st0 = s.state()
    assert st0 is not None
    start0, end0 = st0["selection"]
    ov = s.plot_box("overview")
    rng = s.box("range")
    px_per = ov["width"] / SPAN
    dx = min(150.0, (ov["x"] + ov["width"]) - (rng["x"] + rng["width"]) - 5)
    assert dx > 40, f"no room to drag the range right: overview {ov}, range {rng}"
    x0, y0 = rng["x"] + rng["width"] / 2, rng["y"] + rng["height"] / 2
    h.drag(s.page, x0, y0, x0 + dx, y0, steps=10)

    expected = start0 + dx / px_per
    tol = PX_TOL / px_per
    ok, st = s.wait_state(lambda st: abs(st["selection"][0] - expected) <= tol)
    assert ok, (
        f"dragging the range {dx:.0f} px right ({px_per:.2f} px/s) should move w.selection "
        f"from ({start0}, {end0}) to start {expected:.3f} ± {tol:.3f}; Python has {st}; "
        f"range box now {s.box('range')}"
    )
    start1, end1 = st["selection"]
    assert abs((end1 - start1) - (end0 - start0)) <= 0.5 / px_per, (
        f"dragging changed the window's width: ({start0}, {end0}) -> ({start1}, {end1})"
    )
    target = st["media_start"]
    # The default mapping is proportional: data 0..30 s onto media 0..30 s.
    assert isinstance(target, float) and abs(target - start1) < 0.05, (
        f"w.data_to_media({start1}) = {target!r}, expected the proportional {start1:.3f}"
    )
    got = s.wait_media_time(target)
    assert abs(got - target) <= FRAME, (
        f"after the drag the media shows {got:.4f} s, expected w.data_to_media("
        f"{start1:.4f}) = {target:.4f} ± {FRAME}; {s.media_state()}"
    )


def check_draw_region(s: Session) -> None:
    """A drag across empty detail chart draws a region that reaches w.regions."""
    st0 = s.state()
    assert st0 is not None and st0["regions"] == [], f"regions before drawing: {st0}"
    sel0, sel1 = st0["selection"]
    plot = s.plot_box("detail")
    ymid = plot["y"] + plot["height"] / 2
    f0, f1 = 0.2, 0.5
    h.drag(
        s.page,
        plot["x"] + f0 * plot["width"],
        ymid,
        plot["x"] + f1 * plot["width"],
        ymid,
        steps=8,
    )
    ok, st = s.wait_state(lambda st: len(st["regions"]) == 1)
    assert ok, f"a region drawn with the mouse never reached w.regions: {s.describe()}"
    r = st["regions"][0]
    per_px = (sel1 - sel0) / plot["width"]
    want = (sel0 + f0 * (sel1 - sel0), sel0 + f1 * (sel1 - sel0))
    tol = 2.0 * per_px
    assert abs(r["start"] - want[0]) <= tol and abs(r["end"] - want[1]) <= tol, (
        f"region {r} should span {want[0]:.3f}..{want[1]:.3f} ± {tol:.3f} (the pointer's path)"
    )
    assert r["label"] == LABELS[0], f"region label {r['label']!r}, expected the active label"
    ok, ids = h.wait_until(
        lambda: [
            e.get_attribute("data-id") for e in s.part("detail").locator(wk.part("region")).all()
        ],
        lambda ids: r["id"] in ids,
        timeout=5,
    )
    assert ok, f"region {r['id']} is in Python but not drawn in the detail chart: {ids}"


def check_zoom_refines(s: Session) -> None:
    """Ctrl+wheel zooms big's detail 8x; the kernel answers with finer data for that window."""
    root = s.big_root
    s.part("detail", root).first.scroll_into_view_if_needed()

    def quiet() -> dict[str, str]:
        """big's detail dataset once no request has been made or answered for 0.6 s."""
        last = s.detail_dataset(root)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            time.sleep(0.6)
            now = s.detail_dataset(root)
            if now.get("requests") == now.get("replies") == last.get("replies"):
                return now
            last = now
        raise AssertionError(f"big's detail requests never settled: {last}")

    before = quiet()
    assert before.get("source") == "detail", f"big's first window is not at full detail: {before}"
    plot = s.plot_box("detail", root)
    cx, cy = plot["x"] + plot["width"] / 2, plot["y"] + plot["height"] / 2
    s.page.mouse.move(cx, cy)
    s.page.keyboard.down("Control")
    try:
        # Each wheel unit scales the window by 1.0015: -1400 zooms in about 8x, beyond
        # the 4x copy the browser prefetches, so only the kernel can draw it in full.
        s.page.mouse.wheel(0, -1400)
    finally:
        s.page.keyboard.up("Control")
    ok, st = s.wait_state(lambda st: st["big_selection"][1] - st["big_selection"][0] < 1.0)
    assert ok, f"Ctrl+wheel over big's detail did not narrow big.selection: {st}"
    lo, hi = st["big_selection"]
    assert lo > 1.5 and hi < 3.5, f"the zoom should centre on the pointer (2.5 s): {lo}..{hi}"

    def refined(d: dict[str, str]) -> bool:
        try:
            return (
                d.get("source") == "detail"
                and abs(float(d["lo"]) - lo) < 1e-3
                and abs(float(d["hi"]) - hi) < 1e-3
                and int(d["replies"]) > int(before["replies"])
            )
        except (KeyError, ValueError):
            return False

    ok, after = h.wait_until(lambda: s.detail_dataset(root), refined, timeout=10)
    assert ok, (
        f"after zooming big to {lo:.4f}..{hi:.4f} s the detail was not refined from the "
        f"kernel: dataset before {before}, now {after}"
    )
