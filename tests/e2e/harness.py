"""Shared machinery for the end-to-end layer and ``scripts/screenshot.py``.

A real JupyterLab server runs on 127.0.0.1 in a throw-away root, with its own
settings, config, data and workspace directories so nothing of the user's
leaks in. Playwright (sync API) drives Debian's Chromium. Notebooks are written
with nbformat, opened in JupyterLab, run with ``notebook:run-all-cells``, and
Python state is read back by executing code in the notebook's own kernel from
the page (:func:`kernel_exec`, :func:`kernel_json`).

Every wait here is bounded; nothing sleeps where a condition can be awaited.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import nbformat

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
VIEWPORT = {"width": 1200, "height": 900}

SERVER_START_TIMEOUT = 60.0
NOTEBOOK_OPEN_TIMEOUT = 30_000  # ms
RUN_ALL_TIMEOUT = 30_000  # ms
KERNEL_EXEC_TIMEOUT = 20.0  # s

# The notebook settings file (it holds the windowing mode).
TRACKER_SETTINGS = "@jupyterlab/notebook-extension/tracker.jupyterlab-settings"

# User settings JupyterLab (and Notebook 7) read from JUPYTERLAB_SETTINGS_DIR.
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    # Keep every cell in the DOM (no virtual scrolling), so locators find outputs.
    TRACKER_SETTINGS: {"windowingMode": "none"},
    # No "receive Jupyter news?" toast over the notebook, no update checks.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # The tests never want the notebooks rewritten behind their back.
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

T = TypeVar("T")


class HarnessError(RuntimeError):
    """The harness itself could not do what was asked (server, page, timeout)."""


class KernelError(RuntimeError):
    """Code executed in the notebook's kernel raised; the message holds its traceback."""


# --------------------------------------------------------------------------- server


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the server's child process: get SIGTERM when the process that started it dies.

    So a test run that is killed (timeout, Ctrl-C twice, SIGKILL) leaves no
    orphaned server; the server then shuts its kernels down itself. Linux only;
    a no-op elsewhere.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except Exception:
        pass


REPO = Path(__file__).resolve().parents[2]


def isolated_env(dirs: dict[str, Path], home: Path) -> dict[str, str]:
    """This process's environment for a server and its kernels, kept apart from the user's.

    Private Jupyter and IPython directories under ``home`` (plus ``dirs``, created),
    no proxy, no browser opening, unbuffered output, and ``PYTHONPATH`` starting with
    this checkout, so kernels import its ``tsvideo_widget`` whatever their working
    directory.
    """
    env = dict(os.environ)
    every = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "IPYTHONDIR": home / "ipython",
        **dirs,
    }
    for name, path in every.items():
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env.pop("BROWSER", None)
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(var, None)
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    return env


def stop_group(proc: subprocess.Popen[bytes], signals: Iterable[int], wait: float) -> None:
    """Stop a process started in its own session: signal its process group (its PID),
    and only that, with each of ``signals`` in turn until it exits (``wait`` s each)."""
    for sig in signals:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


class JupyterServer:
    """A ``jupyter lab`` subprocess serving ``root`` on 127.0.0.1.

    ``home`` receives the private Jupyter directories and the server's log
    (``home/server.log``). Use as a context manager, or call :meth:`start` and
    :meth:`stop`. The process is stopped by its own PID (its process group),
    never by name.

    ``base_url`` (such as ``"/user/someone/"``, as on JupyterHub) serves
    everything under that prefix (``--ServerApp.base_url``); :attr:`base_url`,
    :meth:`api` and :meth:`lab_url` then include it. The default is the root.

    ``app`` is ``"lab"`` (``python -m jupyterlab``, the default) or ``"notebook"``
    (Notebook 7, ``python -m notebook``, pages under ``/notebooks/``); both expose
    ``window.jupyterapp``. :meth:`page_url` opens a notebook in either.

    ``settings`` overrides :data:`LAB_SETTINGS` file by file: a value replaces
    that file's settings, ``None`` leaves the file out (JupyterLab's defaults),
    e.g. ``{TRACKER_SETTINGS: None}`` for the default windowing mode.
    """

    def __init__(
        self,
        root: Path,
        home: Path,
        base_url: str | None = None,
        app: str = "lab",
        settings: dict[str, dict[str, Any] | None] | None = None,
    ) -> None:
        if app not in ("lab", "notebook"):
            raise ValueError(f"app must be 'lab' or 'notebook', got {app!r}")
        self.app = app
        self.settings: dict[str, dict[str, Any] | None] = {**LAB_SETTINGS, **(settings or {})}
        self.root = Path(root)
        self.home = Path(home)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        # The server's URL prefix, "/" or "/a/b/" (slash on both ends).
        inner = (base_url or "").strip("/")
        self.prefix = f"/{inner}/" if inner else "/"
        self.origin = f"http://127.0.0.1:{self.port}"
        # No trailing slash: api() and lab_url() append paths starting with "/".
        self.base_url = self.origin + self.prefix.rstrip("/")
        self.log_path = self.home / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    # -- life cycle
    def _env(self) -> dict[str, str]:
        return isolated_env(
            {
                "JUPYTERLAB_SETTINGS_DIR": self.home / "lab-settings",
                "JUPYTERLAB_WORKSPACES_DIR": self.home / "lab-workspaces",
            },
            self.home,
        )

    def _write_settings(self) -> None:
        settings = self.home / "lab-settings"
        for rel, value in self.settings.items():
            path = settings / rel
            if value is None:
                path.unlink(missing_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value, indent=2))

    def start(self) -> JupyterServer:
        self.root.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(parents=True, exist_ok=True)
        env = self._env()
        self._write_settings()
        module, app_class = (
            ("jupyterlab", "LabApp") if self.app == "lab" else ("notebook", "JupyterNotebookApp")
        )
        cmd = [
            sys.executable,
            "-m",
            module,
            "--allow-root",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--{app_class}.expose_app_in_browser=True",
            "--ServerApp.terminals_enabled=False",
        ]
        if self.prefix != "/":
            cmd.append(f"--ServerApp.base_url={self.prefix}")
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kernels die with it
            preexec_fn=_die_with_parent,
        )
        try:
            self._wait_ready()
        except BaseException:
            log = self.log_tail()
            self.stop()
            raise HarnessError(
                f"Jupyter ({self.app}) did not come up on {self.base_url} within "
                f"{SERVER_START_TIMEOUT:.0f} s; its log ({self.log_path}):\n{log}"
            ) from None
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        last: object = None
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise HarnessError(f"server exited with code {self.proc.returncode}")
            try:
                self.api("GET", "/api/status", timeout=2.0)
                return
            except (OSError, urllib.error.URLError) as exc:
                last = exc
            time.sleep(0.2)
        raise HarnessError(f"/api/status never answered (last error: {last!r})")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            stop_group(proc, (signal.SIGINT, signal.SIGTERM, signal.SIGKILL), wait=5.0)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> JupyterServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers
    def log_tail(self, chars: int = 6000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "<no server log>"
        return text[-chars:]

    def api(self, method: str, path: str, body: Any = None, timeout: float = 10.0) -> Any:
        """Call the server's REST API with the token; returns parsed JSON (or None)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Authorization", f"token {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def shutdown_kernels(self) -> None:
        """Delete every session (and so every kernel) the server holds. Best effort."""
        try:
            sessions = self.api("GET", "/api/sessions") or []
            for s in sessions:
                self.api("DELETE", f"/api/sessions/{s['id']}")
        except (OSError, urllib.error.URLError, ValueError):
            pass

    def lab_url(self, nb_path: str, workspace: str | None = None) -> str:
        """URL opening ``nb_path`` (relative to the root) in JupyterLab.

        A fresh workspace name per page keeps notebooks opened by earlier pages
        from being restored into this one.
        """
        ws = workspace or f"w{secrets.token_hex(4)}"
        return f"{self.base_url}/lab/workspaces/{ws}/tree/{nb_path}?reset&token={self.token}"

    def notebook_url(self, nb_path: str) -> str:
        """URL opening ``nb_path`` (relative to the root) in Notebook 7's notebook page."""
        return f"{self.base_url}/notebooks/{nb_path}?token={self.token}"

    def page_url(self, nb_path: str) -> str:
        """URL opening ``nb_path`` in this server's app (JupyterLab or Notebook 7)."""
        return self.lab_url(nb_path) if self.app == "lab" else self.notebook_url(nb_path)


# --------------------------------------------------------------------------- notebooks


def write_notebook(path: Path, cells: Iterable[str]) -> Path:
    """Write a Python 3 notebook whose code cells are ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


# --------------------------------------------------------------------------- browser


def launch_browser(playwright: Any) -> Any:
    """Debian's Chromium, headless, through Playwright's sync API."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def new_page(browser: Any) -> tuple[Any, Any, list[str]]:
    """A fresh context and page (1200x900, scale 1) plus a list collecting its console.

    Returns ``(context, page, console_lines)``.
    """
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    console: list[str] = []

    def on_console(msg: Any) -> None:
        try:
            loc = msg.location or {}
            where = f" ({loc.get('url', '')}:{loc.get('lineNumber', '')})" if loc else ""
        except Exception:
            where = ""
        console.append(f"[{time.strftime('%H:%M:%S')}] {msg.type}: {msg.text}{where}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: console.append(f"[pageerror] {exc}"))
    page.on(
        "requestfailed",
        lambda req: console.append(f"[requestfailed] {req.method} {req.url}: {req.failure}"),
    )
    return context, page, console


_NOTEBOOK_READY_JS = """
(path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return false;
  const w = app.shell.currentWidget;
  if (!w || !w.context || !w.sessionContext || w.context.path !== path) return false;
  const s = w.sessionContext.session;
  const k = s && s.kernel;
  return !!k && k.status === 'idle' && k.connectionStatus === 'connected'
    && w.context.isReady && !!w.content && w.content.widgets.length > 0;
}
"""


def open_notebook(page: Any, server: JupyterServer, nb_path: str) -> None:
    """Open ``nb_path`` in JupyterLab (or Notebook 7) and wait until its kernel is idle."""
    page.goto(
        server.page_url(nb_path), wait_until="domcontentloaded", timeout=NOTEBOOK_OPEN_TIMEOUT
    )
    try:
        page.wait_for_function(_NOTEBOOK_READY_JS, arg=nb_path, timeout=NOTEBOOK_OPEN_TIMEOUT)
    except Exception as exc:
        state = describe_lab(page)
        raise HarnessError(
            f"notebook {nb_path!r} did not open with an idle kernel within "
            f"{NOTEBOOK_OPEN_TIMEOUT / 1000:.0f} s; lab state: {state}"
        ) from exc
    # Give the notebook the whole width: no file browser beside it.
    page.evaluate(
        "() => { const s = window.jupyterapp.shell; if (s.collapseLeft) s.collapseLeft(); }"
    )


def describe_lab(page: Any) -> str:
    """A one-line description of JupyterLab's state, for failure messages."""
    try:
        return json.dumps(
            page.evaluate(
                """() => {
                  const app = window.jupyterapp;
                  if (!app) return {app: false};
                  const w = app.shell.currentWidget;
                  const k = w && w.sessionContext && w.sessionContext.session
                    && w.sessionContext.session.kernel;
                  return {app: true,
                          widget: w ? (w.id + ' ' + (w.context && w.context.path)) : null,
                          kernel: k ? [k.status, k.connectionStatus] : null,
                          dialogs: Array.from(document.querySelectorAll('.jp-Dialog'))
                            .map(d => d.textContent.slice(0, 200))};
                }"""
            )
        )
    except Exception as exc:
        return f"<could not read: {exc}>"


_RUN_ALL_JS = """
async () => {
  const app = window.jupyterapp;
  await app.commands.execute('notebook:run-all-cells');
}
"""

_ALL_RAN_JS = """
() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session.kernel;
  if (!k || k.status !== 'idle') return false;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  return cells.every(c => c.model.executionCount !== null
    && !c.node.querySelector('.jp-InputPrompt').textContent.includes('*'));
}
"""


def run_all(page: Any, timeout_ms: int = RUN_ALL_TIMEOUT) -> None:
    """Run every cell of the current notebook and wait until all have executed.

    Raises :class:`KernelError` with the traceback when a cell raised.
    """
    page.evaluate(_RUN_ALL_JS)
    try:
        page.wait_for_function(_ALL_RAN_JS, timeout=timeout_ms)
    except Exception as exc:
        raise HarnessError(
            f"cells did not finish within {timeout_ms / 1000:.0f} s; lab state: "
            f"{describe_lab(page)}; errors: {cell_errors(page)}"
        ) from exc
    errors = cell_errors(page)
    if errors:
        raise KernelError("a notebook cell raised:\n" + "\n".join(errors))


def cell_errors(page: Any) -> list[str]:
    """Tracebacks shown in the current notebook's outputs (ANSI removed)."""
    raw = page.evaluate(
        """() => {
          const w = window.jupyterapp.shell.currentWidget;
          const out = [];
          for (const c of w.content.widgets) {
            if (c.model.type !== 'code') continue;
            const outputs = c.model.outputs;
            for (let i = 0; i < outputs.length; i++) {
              const o = outputs.get(i).toJSON();
              if (o.output_type === 'error')
                out.push(o.ename + ': ' + o.evalue + '\\n' + (o.traceback || []).join('\\n'));
            }
          }
          return out;
        }"""
    )
    return [_ANSI.sub("", e) for e in raw]


# --------------------------------------------------------------------------- kernel access

_KERNEL_EXEC_JS = """
async ([code, timeoutMs]) => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session
    && w.sessionContext.session.kernel;
  if (!k) return {harness: 'no kernel on the current widget'};
  let out = '', err = '', errors = [], reply = null;
  const f = k.requestExecute({code, silent: false, store_history: false,
                              allow_stdin: false, stop_on_error: false});
  f.onIOPub = (msg) => {
    const t = msg.header.msg_type;
    if (t === 'stream') {
      if (msg.content.name === 'stderr') err += msg.content.text; else out += msg.content.text;
    } else if (t === 'error') {
      errors.push(msg.content.ename + ': ' + msg.content.evalue + '\\n'
                  + (msg.content.traceback || []).join('\\n'));
    }
  };
  f.onReply = (msg) => { reply = msg.content; };
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const done = await Promise.race([f.done.then(() => 'done', (e) => 'failed: ' + e), timeout]);
  clearTimeout(timer);
  if (done !== 'done') return {harness: 'execution ' + done, out, err, errors};
  if (reply && reply.status === 'error' && errors.length === 0)
    errors.push(reply.ename + ': ' + reply.evalue + '\\n' + (reply.traceback || []).join('\\n'));
  return {out, err, errors};
}
"""


def kernel_exec(page: Any, code: str, timeout: float = KERNEL_EXEC_TIMEOUT) -> str:
    """Execute ``code`` in the current notebook's kernel; return its stdout.

    Raises :class:`KernelError` (with the traceback) when the code raised, and
    :class:`HarnessError` when the kernel could not be reached in ``timeout`` s.
    """
    res = page.evaluate(_KERNEL_EXEC_JS, [code, int(timeout * 1000)])
    if res.get("harness"):
        raise HarnessError(
            f"kernel_exec: {res['harness']} (code: {code!r}; stdout so far: {res.get('out')!r})"
        )
    if res["errors"]:
        tb = "\n".join(_ANSI.sub("", e) for e in res["errors"])
        raise KernelError(f"kernel raised while executing {code!r}:\n{tb}\nstderr: {res['err']}")
    return str(res["out"])


_JSON_MARK = "@@harness-json@@"


def kernel_json(page: Any, expr: str, timeout: float = KERNEL_EXEC_TIMEOUT) -> Any:
    """Evaluate the Python expression ``expr`` in the kernel and return it via JSON."""
    code = (
        "import json as _harness_json\n"
        f"print({_JSON_MARK!r} + _harness_json.dumps(({expr}), default=str))"
    )
    out = kernel_exec(page, code, timeout=timeout)
    for line in reversed(out.splitlines()):
        if line.startswith(_JSON_MARK):
            return json.loads(line[len(_JSON_MARK) :])
    raise HarnessError(f"kernel_json({expr!r}): no JSON line in output {out!r}")


# --------------------------------------------------------------------------- waiting, mouse


def wait_until(
    fn: Callable[[], T],
    ok: Callable[[T], bool],
    timeout: float = 10.0,
    interval: float = 0.1,
) -> tuple[bool, T]:
    """Call ``fn`` until ``ok(value)`` or ``timeout`` s; return ``(succeeded, last value)``."""
    deadline = time.monotonic() + timeout
    value = fn()
    while not ok(value):
        if time.monotonic() >= deadline:
            return False, value
        time.sleep(interval)
        value = fn()
    return True, value


def box(page: Any, selector: str) -> dict[str, float]:
    """Bounding client rect of the first element matching ``selector`` (page pixels)."""
    rect = page.evaluate(
        """(sel) => {
          const el = document.querySelector(sel);
          if (!el) return null;
          const r = el.getBoundingClientRect();
          return {x: r.left, y: r.top, width: r.width, height: r.height};
        }""",
        selector,
    )
    if rect is None:
        raise HarnessError(f"no element matches {selector!r}")
    return {k: float(v) for k, v in rect.items()}


def drag(page: Any, x0: float, y0: float, x1: float, y1: float, steps: int = 8) -> None:
    """A real mouse drag: move to (x0, y0), press, move in ``steps`` steps, release."""
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, steps + 1):
        page.mouse.move(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
    page.mouse.up()


# --------------------------------------------------------------------------- session helpers


def make_tmp(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def rmtree_quiet(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
