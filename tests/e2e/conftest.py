"""Fixtures of the end-to-end layer: one JupyterLab server and one Chromium per session.

* ``lab_server``: a JupyterLab server on 127.0.0.1 whose root is a temp dir
  holding copies of the sample CSV and media (so Jupyter's ``/files/`` serves
  them, with HTTP Range support).
* ``browser``: Debian's Chromium via Playwright's sync API.
* ``lab``: a fresh browser context and page per test, plus helpers to write,
  open and run a notebook. Its kernels are shut down after the test.

On a failing test, a screenshot, the browser console and the server's log are
saved under ``<pytest basetemp>/e2e-artifacts/<test>/`` and the path is shown
in the report (section "e2e artifacts").
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import harness as h
import widgetkit as wk

REPO = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end tests in JupyterLab with Chromium")


# --------------------------------------------------------------------------- session


@dataclass
class SampleFiles:
    """The sample copied into the server root; names are relative to the root."""

    data: str
    video: str
    audio: str
    originals: Any  # the NamedTuple returned by tsvideo_widget.sample()


def _sample_into(root: Path) -> SampleFiles | str:
    """Copy the sample files into ``root``; returns a reason string when impossible."""
    try:
        s = wk.load_sample()
    except h.HarnessError as exc:
        return str(exc)
    return SampleFiles(originals=s, **wk.copy_sample(s, root))


@dataclass
class LabServer:
    server: h.JupyterServer
    root: Path
    artifacts: Path
    sample_or_reason: SampleFiles | str
    _counter: Iterator[int] = field(default_factory=itertools.count)

    @property
    def sample(self) -> SampleFiles:
        if isinstance(self.sample_or_reason, str):
            pytest.fail(f"the widget is not ready: {self.sample_or_reason}", pytrace=False)
        return self.sample_or_reason

    def notebook(self, stem: str, cells: list[str]) -> str:
        """Write a new notebook into the root; returns its path relative to the root."""
        name = f"{re.sub(r'[^A-Za-z0-9_-]+', '_', stem)[:60]}_{next(self._counter)}.ipynb"
        h.write_notebook(self.root / name, cells)
        return name


@contextlib.contextmanager
def own_server(
    tmp_path_factory: pytest.TempPathFactory, name: str = "", **server_kwargs: Any
) -> Iterator[LabServer]:
    """A server of its own (root with the sample, private Jupyter dirs), stopped on exit.

    ``server_kwargs`` go to :class:`harness.JupyterServer` (``app="notebook"``,
    ``settings=...``, ``base_url=...``). For module-scoped fixtures of test
    modules that need a server unlike the session's.
    """
    if not os.path.exists(h.CHROMIUM):
        pytest.fail(f"{h.CHROMIUM} is missing (apt-get install chromium)", pytrace=False)
    suffix = f"-{name}" if name else ""
    root = tmp_path_factory.mktemp(f"e2e-root{suffix}")
    home = tmp_path_factory.mktemp(f"e2e-jupyter{suffix}")
    artifacts = tmp_path_factory.getbasetemp() / "e2e-artifacts"
    sample = _sample_into(root)
    server = h.JupyterServer(root, home, **server_kwargs)
    server.start()  # raises with the server's log when it does not come up
    try:
        yield LabServer(server=server, root=root, artifacts=artifacts, sample_or_reason=sample)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def nb7_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A Notebook 7 server (``jupyter notebook``; pages under ``/notebooks/``) for the session."""
    with own_server(tmp_path_factory, "nb7", app="notebook") as srv:
        yield srv


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    with own_server(tmp_path_factory) as srv:
        yield srv


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = h.launch_browser(pw)
        try:
            yield b
        finally:
            b.close()


# --------------------------------------------------------------------------- per test


@dataclass
class Lab:
    """One test's page in JupyterLab."""

    srv: LabServer
    page: Any
    context: Any
    console: list[str]
    opened: list[str] = field(default_factory=list)

    @property
    def server(self) -> h.JupyterServer:
        return self.srv.server

    def run_notebook(self, stem: str, cells: list[str]) -> str:
        """Write a notebook of ``cells``, open it, run all cells; returns its path."""
        path = self.srv.notebook(stem, cells)
        self.opened.append(path)
        h.open_notebook(self.page, self.server, path)
        h.run_all(self.page)
        return path

    def exec(self, code: str, timeout: float = h.KERNEL_EXEC_TIMEOUT) -> str:
        return h.kernel_exec(self.page, code, timeout=timeout)

    def json(self, expr: str, timeout: float = h.KERNEL_EXEC_TIMEOUT) -> Any:
        return h.kernel_json(self.page, expr, timeout=timeout)


@contextlib.contextmanager
def lab_page(srv: LabServer, browser: Any) -> Iterator[Lab]:
    """A fresh browser context and page on ``srv``; closed, and kernels shut down, on exit."""
    context, page, console = h.new_page(browser)
    page.set_default_timeout(30_000)
    lab = Lab(srv=srv, page=page, context=context, console=console)
    try:
        yield lab
    finally:
        try:
            context.close()
        finally:
            srv.server.shutdown_kernels()


@pytest.fixture
def lab(lab_server: LabServer, browser: Any) -> Iterator[Lab]:
    with lab_page(lab_server, browser) as lab:
        yield lab


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:120]


def save_artifacts(lab: Lab, nodeid: str) -> Path:
    """Screenshot, console log, server log (and widget screenshot) for a failing test."""
    out = lab.srv.artifacts / _safe_name(nodeid)
    out.mkdir(parents=True, exist_ok=True)
    notes = []
    try:
        lab.page.screenshot(path=str(out / "page.png"), timeout=10_000)
    except Exception as exc:
        notes.append(f"page screenshot failed: {exc}")
    try:
        root = lab.page.locator('[data-part="root"]')
        if root.count():
            root.first.screenshot(path=str(out / "widget.png"), timeout=5_000)
    except Exception as exc:
        notes.append(f"widget screenshot failed: {exc}")
    (out / "console.log").write_text("\n".join(lab.console) + "\n")
    try:
        shutil.copy2(lab.server.log_path, out / "server.log")
    except OSError as exc:
        notes.append(f"server log copy failed: {exc}")
    (out / "notes.txt").write_text(
        f"test: {nodeid}\nnotebooks: {lab.opened}\nserver: {lab.server.base_url}\n"
        f"lab state: {h.describe_lab(lab.page)}\n" + "\n".join(notes) + "\n"
    )
    return out


def _is_lab(value: Any) -> bool:
    """A :class:`Lab`, also one made by a test module's own ``from conftest import``
    (pytest imports this file under its package name, so that is another class)."""
    return isinstance(value, Lab) or (
        type(value).__name__ == "Lab" and all(hasattr(value, a) for a in ("srv", "page", "console"))
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()
    if rep.when not in ("setup", "call") or not rep.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    lab = funcargs.get("lab")
    if not _is_lab(lab):
        # A fixture of another name (a module's own page on its own server).
        lab = next((v for v in funcargs.values() if _is_lab(v)), None)
    if _is_lab(lab):
        try:
            path = save_artifacts(lab, item.nodeid)
            console_tail = "\n".join(lab.console[-25:])
            rep.sections.append(
                (
                    "e2e artifacts",
                    f"screenshot, console log and server log saved in {path}\n"
                    f"last console lines:\n{console_tail}",
                )
            )
        except Exception as exc:  # never mask the real failure
            rep.sections.append(("e2e artifacts", f"could not save artifacts: {exc!r}"))
    srv = getattr(item, "funcargs", {}).get("lab_server")
    if isinstance(srv, LabServer) and lab is None:
        rep.sections.append(
            ("jupyter server log (tail)", srv.server.log_tail(4000)),
        )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Point at the saved screenshots/console logs when any e2e test failed."""
    failed = terminalreporter.stats.get("failed", []) + terminalreporter.stats.get("error", [])
    dirs = {
        line.split(" saved in ", 1)[1].split("\n", 1)[0]
        for rep in failed
        for name, line in getattr(rep, "sections", [])
        if name == "e2e artifacts" and " saved in " in line
    }
    if dirs:
        terminalreporter.section("e2e artifacts")
        for d in sorted(dirs):
            terminalreporter.write_line(d)
