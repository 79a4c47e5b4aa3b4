"""End-to-end: region edits from the browser are acknowledged operations, and survive.

An edit drawn in the page is kept in the browser's IndexedDB (database
``tsvideo-widget``, store ``pending-edits``, key ``w._store_key``) and drawn on
top of the kernel's regions until the kernel acknowledges it; it is re-sent
until then, and a new widget on the same autosave file and data delivers what
an earlier page or kernel left unacknowledged. These tests break the kernel
(shut down, busy) or the page (closed before the save) or the autosave file
(changed behind the widget's back) and check where the edit ends up: the
kernel's ``w.regions``, the autosave file on disk, the widget's
``[data-part=save-status]`` and ``[data-part=error]``. Two more check the
kernel's refusal of a state change from the browser (``rejected``) and edits that
arrive while a cell changes the regions from Python.

Note: JupyterLab here sends the widget's comm messages to a kernel subshell, and
ipykernel 7 serves them while the main shell runs a cell. A cell that sleeps
(``time.sleep``) therefore does not hold edits back; the busy-kernel test holds
the GIL instead (see BUSY_CODE).

Run: ``python -m pytest -q tests/e2e/test_trust.py -x``.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

import harness as h
import pytest
import widgetkit as wk
from pytest import approx
from test_labeling import Geometry, same_region, show, wait_labeling_ready

pytestmark = pytest.mark.e2e

RECOVER_WAIT = 20.0  # s: a stored edit reaches the new kernel (read, send, apply, reply)
BUSY_SECONDS = 10  # > edit timeout (5 s) + retry pause (3 s): a re-send queues in the busy kernel


# --------------------------------------------------------------------------- helpers


def save_status(page: Any) -> dict[str, Any] | None:
    """``data-pending``, ``data-state`` and text of the (first) save-status part."""
    return page.evaluate(
        """(sel) => {
          const e = document.querySelector(sel);
          return e ? {pending: e.dataset.pending, state: e.dataset.state,
                      text: e.textContent} : null;
        }""",
        wk.part("save-status"),
    )


def wait_status(page: Any, ok: Any, timeout: float = 10.0) -> tuple[bool, Any]:
    return h.wait_until(lambda: save_status(page), lambda s: s is not None and ok(s), timeout)


def error_text(page: Any) -> str | None:
    """Text of the widget's error box, or None when there is none."""
    return page.evaluate(
        """(sel) => { const e = document.querySelector(sel); return e ? e.textContent : null; }""",
        f'{wk.part("error")}[role="alert"]',
    )


def dom_ids(page: Any) -> list[str]:
    """data-id of every region drawn in the detail chart."""
    return list(
        page.evaluate(
            "(sel) => Array.from(document.querySelectorAll(sel)).map((e) => e.dataset.id)",
            f"{wk.part('detail')} {wk.part('region')}",
        )
    )


_STORED_JS = """
async ([db, store, key]) => {
  // Never create the database: opening a missing one without a version would
  // create it without its object store and break the widget's own open.
  const names = (await indexedDB.databases()).map((d) => d.name);
  if (!names.includes(db)) return {db: false};
  return await new Promise((resolve, reject) => {
    const req = indexedDB.open(db);
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const conn = req.result;
      if (!conn.objectStoreNames.contains(store)) {
        conn.close();
        resolve({db: true, store: false});
        return;
      }
      const get = conn.transaction(store, 'readonly').objectStore(store).get(key);
      get.onsuccess = () => {
        conn.close();
        resolve({db: true, store: true, entry: get.result ?? null});
      };
      get.onerror = () => { conn.close(); reject(get.error); };
    };
  });
}
"""


def stored_entry(page: Any, key: str) -> dict[str, Any] | None:
    """The page's IndexedDB entry of pending edits under ``key`` (None when there is none)."""
    res = page.evaluate(_STORED_JS, ["tsvideo-widget", "pending-edits", key])
    return res.get("entry") if res.get("store") else None


def stored_ops(page: Any, key: str) -> list[dict[str, Any]]:
    e = stored_entry(page, key)
    return list(e.get("ops") or []) if isinstance(e, dict) else []


def file_regions(path: Path) -> list[dict[str, Any]] | None:
    """The regions the autosave file (JSON) holds, or None when unreadable."""
    try:
        return list(json.loads(path.read_text())["regions"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def wait_file(path: Path, n: int, timeout: float = 5.0) -> tuple[bool, Any]:
    """Wait until the autosave file holds ``n`` regions; returns (ok, last read)."""
    ok, f = h.wait_until(lambda: file_regions(path), lambda f: len(f or []) == n, timeout)
    return ok and f is not None, f


def wait_store_empty(page: Any, key: str, timeout: float = 5.0) -> tuple[bool, Any]:
    """Wait until IndexedDB holds no pending ops under ``key``; returns (ok, last entry)."""
    return h.wait_until(lambda: stored_ops(page, key), lambda ops: not ops, timeout)


def current_kernel_id(page: Any) -> str | None:
    return page.evaluate(
        """() => { const w = window.jupyterapp.shell.currentWidget;
                  const k = w && w.sessionContext.session && w.sessionContext.session.kernel;
                  return k ? k.id : null; }"""
    )


def server_kernel_ids(lab: Any) -> list[str]:
    return [k["id"] for k in lab.server.api("GET", "/api/kernels") or []]


def run_command(page: Any, command: str) -> None:
    page.evaluate("(c) => window.jupyterapp.commands.execute(c).then(() => null)", command)


def shut_down_kernel(lab: Any) -> None:
    """JupyterLab's Kernel > Shut Down Kernel; waits until the server no longer runs it."""
    kid = current_kernel_id(lab.page)
    assert kid, f"no kernel to shut down: {h.describe_lab(lab.page)}"
    run_command(lab.page, "kernelmenu:shutdown")
    ok, ids = h.wait_until(lambda: server_kernel_ids(lab), lambda ids: kid not in ids, timeout=15)
    assert ok, f"kernel {kid} still runs on the server after kernelmenu:shutdown: {ids}"
    ok, now = h.wait_until(lambda: current_kernel_id(lab.page), lambda k: k is None, timeout=10)
    assert ok, f"the notebook still has kernel {now} after the shutdown"


_KERNEL_IDLE_JS = """
() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && k.connectionStatus === 'connected';
}
"""


def start_kernel(lab: Any) -> None:
    """Kernel > Restart Kernel on a notebook without a kernel starts its previous kernel."""
    run_command(lab.page, "kernelmenu:restart")
    try:
        lab.page.wait_for_function(_KERNEL_IDLE_JS, timeout=30_000)
    except Exception as exc:
        raise h.HarnessError(
            f"no idle kernel 30 s after kernelmenu:restart; lab state: {h.describe_lab(lab.page)}"
        ) from exc
    assert lab.json("'w' in globals()") is False, "the new kernel already has a w"


def attach_console(page: Any, console: list[str]) -> None:
    """Collect ``page``'s console into ``console`` (as harness.new_page does)."""
    stamp = lambda: time.strftime("%H:%M:%S")  # noqa: E731
    page.on("console", lambda m: console.append(f"[{stamp()}] {m.type}: {m.text}"))
    page.on("pageerror", lambda exc: console.append(f"[pageerror] {exc}"))


def drag_frac(page: Any, g: Geometry, f0: float, f1: float) -> tuple[float, float]:
    """Drag across the detail plot from fraction ``f0`` to ``f1`` of its width (geometry ``g``,
    read beforehand, so no kernel is needed); returns the page x of press and release."""
    x0, x1 = g.x_frac(f0), g.x_frac(f1)
    h.drag(page, x0, g.ymid, x1, g.ymid, steps=8)
    return x0, x1


def spans(r: dict[str, Any], g: Geometry, x0: float, x1: float) -> bool:
    """Whether region ``r`` starts at ``x0`` and ends at ``x1`` (page x, geometry ``g``)."""
    d0, d1 = float(r["start"]) - g.t_at(x0), float(r["end"]) - g.t_at(x1)
    return abs(d0) <= g.tol and abs(d1) <= g.tol


def autosave_name() -> str:
    return f"trust_{secrets.token_hex(4)}.json"


_STATUS_TEXTS_JS = """
(sel) => {
  // Every text any save-status part shows from now on (window.__tsvStatusTexts).
  window.__tsvStatusTexts = [];
  const note = () => document.querySelectorAll(sel).forEach((e) => {
    const t = e.textContent;
    const seen = window.__tsvStatusTexts;
    if (seen[seen.length - 1] !== t) seen.push(t);
  });
  new MutationObserver(note).observe(document.body, {subtree: true, childList: true,
                                                     characterData: true});
}
"""


def watch_status_texts(page: Any) -> None:
    page.evaluate(_STATUS_TEXTS_JS, wk.part("save-status"))


def status_texts(page: Any) -> list[str]:
    return list(page.evaluate("() => window.__tsvStatusTexts"))


_WATCH_JS = """
(sel) => {
  // Every region id ever added to the detail chart, even if removed again at once.
  window.__tsvSeen = new Set();
  const seen = () => document.querySelectorAll(sel)
    .forEach((e) => window.__tsvSeen.add(e.dataset.id));
  seen();
  window.__tsvObserver = new MutationObserver(seen);
  window.__tsvObserver.observe(document.body, {subtree: true, childList: true, attributes: true,
                                               attributeFilter: ['data-id']});
}
"""


# --------------------------------------------------------------------------- 1. kernel gone


def test_edits_made_while_kernel_is_gone_are_saved_by_the_next_kernel(lab: Any) -> None:
    name = autosave_name()
    path = lab.srv.root / name
    lw = show(lab, autosave=name)
    page = lw.page
    key = lab.json("w._store_key")
    assert isinstance(key, str) and key, f"w._store_key with autosave={name!r} is {key!r}"
    g = lw.geometry()  # read now: there is no kernel to ask while drawing

    shut_down_kernel(lab)
    assert page.locator(wk.part("root")).count() == 1, "the view left the page with the kernel"
    x = [drag_frac(page, g, 0.15, 0.3), drag_frac(page, g, 0.55, 0.75)]

    ok, st = wait_status(page, lambda s: s["pending"] == "2", timeout=5)
    assert ok, (
        f"two regions drawn with no kernel: save-status should show 2 pending edits, shows {st}; "
        f"DOM regions: {dom_ids(page)}; error: {error_text(page)!r}"
    )
    assert st["state"] in ("pending", "not-answering"), f"save-status state with 2 pending: {st}"
    assert "2 edits not yet saved" in st["text"], f"save-status text with 2 pending: {st['text']!r}"
    drawn = dom_ids(page)
    assert len(drawn) == 2, f"the two pending regions should be drawn on top; DOM ids: {drawn}"
    ok, ops = h.wait_until(lambda: stored_ops(page, key), lambda o: len(o) >= 2, timeout=5)
    assert ok, f"IndexedDB should hold the 2 pending edits under {key!r}; holds {ops}"

    start_kernel(lab)
    watch_status_texts(page)
    h.run_all(page)
    lw2 = wait_labeling_ready(lab, "video")
    roots = page.locator(wk.part("root")).count()
    assert roots == 1, f"{roots} widget roots after re-running the cell, expected 1"

    ok, regs = lw2.wait_regions(lambda rs: len(rs) == 2, timeout=RECOVER_WAIT)
    assert ok, (
        f"after the kernel came back and the cell was re-run, the 2 regions drawn while it was "
        f"gone (ids {drawn}) should be in w.regions; it is {regs}; save-status "
        f"{save_status(page)}; file {file_regions(path)}; IndexedDB {stored_entry(page, key)}"
    )
    by_id = {r["id"]: r for r in regs}
    assert sorted(by_id) == sorted(drawn), f"w.regions ids {sorted(by_id)}, drawn ids {drawn}"
    # Match each drawn region to its drag by where it starts.
    for r, (x0, x1) in zip(sorted(regs, key=lambda r: r["start"]), x, strict=True):
        assert r["label"] == "Walk", f"recovered region {r} should have the active label Walk"
        assert spans(r, g, x0, x1), (
            f"recovered region {r} should span the drag x {x0}..{x1}: start {g.t_at(x0):.4f}, end "
            f"{g.t_at(x1):.4f} (± {g.tol:.4f} s; selection {g.sel}, plot {g.plot})"
        )

    ok, on_disk = wait_file(path, 2)
    assert ok, f"the autosave file {path} should hold the 2 regions, holds {on_disk}"
    for f in on_disk:
        assert f["id"] in by_id and same_region(f, by_id[f["id"]]), (
            f"autosave file region {f} differs from w.regions {regs}"
        )

    ok, st = wait_status(page, lambda s: s["pending"] == "0", timeout=5)
    assert ok, f"once saved, save-status should show nothing pending; shows {st}"
    texts = status_texts(page)
    assert any(t.startswith("2 unsaved edits recovered") for t in texts), (
        f"while delivering the stored edits the new view should say '2 unsaved edits "
        f"recovered, saving…'; save-status texts seen since the re-run: {texts}"
    )
    assert "not yet saved" not in st["text"] and "recovered" not in st["text"], st
    ok, entry = wait_store_empty(page, key)
    assert ok, f"acknowledged edits are still stored in IndexedDB under {key!r}: {entry}"


# --------------------------------------------------------------------------- 2. tab closed


def test_edit_pending_when_tab_closes_is_delivered_when_the_notebook_opens_again(lab: Any) -> None:
    name = autosave_name()
    path = lab.srv.root / name
    lw = show(lab, autosave=name)
    nb_path = lab.opened[-1]
    key = lab.json("w._store_key")
    g = lw.geometry()

    # With the kernel gone, only the browser's store can deliver the edit.
    shut_down_kernel(lab)
    x0, x1 = drag_frac(lab.page, g, 0.3, 0.5)
    ok, st = wait_status(lab.page, lambda s: s["pending"] == "1", timeout=5)
    assert ok, f"a region drawn with no kernel should be 1 pending edit; save-status {st}"
    drawn = dom_ids(lab.page)
    assert len(drawn) == 1, f"the pending region should be drawn; DOM ids {drawn}"
    ok, ops = h.wait_until(lambda: stored_ops(lab.page, key), lambda o: len(o) == 1, timeout=5)
    assert ok, f"IndexedDB should hold the pending edit under {key!r}; holds {ops}"
    assert ops[0]["id"] == drawn[0], f"stored op {ops[0]} is not the drawn region {drawn[0]}"

    lab.page.close()  # no save, no beforeunload
    page = lab.context.new_page()  # same context: same origin storage
    attach_console(page, lab.console)
    page.set_default_timeout(30_000)
    lab.page = page
    assert server_kernel_ids(lab) == [], "a kernel runs although the old one was shut down"

    h.open_notebook(page, lab.server, nb_path)  # starts a fresh kernel
    watch_status_texts(page)
    h.run_all(page)
    lw2 = wait_labeling_ready(lab, "video")
    ok, regs = lw2.wait_regions(lambda rs: len(rs) == 1, timeout=RECOVER_WAIT)
    assert ok, (
        f"the edit left pending in the closed tab (region {drawn[0]}) should reach the new "
        f"kernel once the notebook is opened and run again; w.regions {regs}; save-status "
        f"{save_status(page)}; IndexedDB {stored_entry(page, key)}"
    )
    r = regs[0]
    assert r["id"] == drawn[0] and r["label"] == "Walk", f"recovered {r}, drawn {drawn[0]} (Walk)"
    assert spans(r, g, x0, x1), (
        f"recovered region {r} should span the drag: {g.t_at(x0):.4f}..{g.t_at(x1):.4f} "
        f"(± {g.tol:.4f} s)"
    )
    ok, on_disk = wait_file(path, 1)
    assert ok and same_region(on_disk[0], r), f"autosave file {path} holds {on_disk}, w.regions {r}"
    ok, st = wait_status(page, lambda s: s["pending"] == "0", timeout=5)
    assert ok, f"once delivered, save-status should show nothing pending; shows {st}"
    texts = status_texts(page)
    assert any(t.startswith("1 unsaved edit recovered") for t in texts), (
        f"while delivering the stored edit the new view should say '1 unsaved edit recovered, "
        f"saving…'; save-status texts seen since the re-run: {texts}"
    )
    ok, entry = wait_store_empty(page, key)
    assert ok, f"the delivered edit is still stored in IndexedDB under {key!r}: {entry}"


# --------------------------------------------------------------------------- 3. refused edit


def test_edit_refused_when_autosave_file_changed_behind_the_widget(lab: Any) -> None:
    name = autosave_name()
    path = lab.srv.root / name
    lw = show(lab, autosave=name)
    page = lw.page
    g = lw.geometry()
    # Regions from Python and from the other program lie clear of where the test drags
    # (fractions 0.6..0.8 of the plot), so a drag there draws a new region.
    a, b = g.t_at(g.x_frac(0.1)), g.t_at(g.x_frac(0.2))
    own = lab.json(f'w.add_region({a!r}, {b!r}, "Run")')
    before = lw.regions()
    ok, on_disk = wait_file(path, 1)
    assert ok, f"autosave file {path} should hold the region added from Python; holds {on_disk}"

    # Another program writes other valid content to the file.
    doc = json.loads(path.read_text())
    ext = {
        "id": "external0001",
        "label": "Still",
        "channel": None,
        "meta": {},
        "start": round(g.t_at(g.x_frac(0.88)), 3),
        "end": round(g.t_at(g.x_frac(0.95)), 3),
    }
    doc["regions"] = [ext]
    external = json.dumps(doc, indent=1) + "\n"
    path.write_text(external)

    ok, _ = h.wait_until(lambda: dom_ids(page), lambda ids: ids == [own], timeout=5)
    assert ok, f"the region added from Python ({own}) should be drawn: {dom_ids(page)}"
    page.evaluate(_WATCH_JS, f"{wk.part('detail')} {wk.part('region')}")
    drag_frac(page, g, 0.6, 0.8)

    ok, err = h.wait_until(lambda: error_text(page), lambda t: bool(t) and name in t, timeout=10)
    assert ok, (
        f"drawing a region after {name} was changed on disk should show an error naming the "
        f"file in {wk.part('error')}[role=alert]; it shows {err!r}; save-status {save_status(page)}"
    )
    seen = set(page.evaluate("() => Array.from(window.__tsvSeen)"))
    new = seen - {own}
    assert len(new) == 1, f"the drag should have drawn one new region (ids seen: {seen})"
    ok, ids = h.wait_until(lambda: dom_ids(page), lambda ids: ids == [own], timeout=5)
    assert ok, (
        f"the refused region {new} should disappear and the view show the kernel's regions "
        f"([{own}]); DOM region ids: {ids}"
    )
    ok, st = wait_status(page, lambda s: s["pending"] == "0", timeout=5)
    assert ok, f"a refused edit is no longer pending; save-status {st}"
    after = lw.regions()
    assert len(after) == 1 and same_region(after[0], before[0]), (
        f"a refused edit changed w.regions: {before} -> {after}"
    )
    assert path.read_text() == external, (
        f"the refused edit overwrote the externally written {path}: {path.read_text()[:400]}"
    )

    # Taking the file's content makes edits possible again.
    lab.exec("w.load(w.autosave)")
    ok, regs = lw.wait_regions(lambda rs: [r["id"] for r in rs] == ["external0001"], timeout=5)
    assert ok, f"w.load(w.autosave) should take the file's region external0001; w.regions {regs}"
    assert same_region(regs[0], ext, tol=1e-9), f"w.load read {regs[0]}, the file holds {ext}"
    ok, ids = h.wait_until(lambda: dom_ids(page), lambda ids: ids == ["external0001"], timeout=5)
    assert ok, f"after w.load, the view should draw external0001 only; DOM ids {ids}"
    x0, x1 = drag_frac(page, g, 0.6, 0.8)
    ok, regs = lw.wait_regions(lambda rs: len(rs) == 2)
    assert ok, f"after w.load(w.autosave), a drawn region should be accepted; w.regions {regs}"
    r = next(r for r in regs if r["id"] != "external0001")
    assert spans(r, g, x0, x1), f"accepted region {r} does not span the drag {x0}..{x1}"
    ok, on_disk = wait_file(path, 2)
    assert ok and sorted(f["id"] for f in on_disk) == sorted(["external0001", r["id"]]), (
        f"autosave file should hold external0001 and {r['id']}; holds {on_disk}"
    )
    ok, st = wait_status(page, lambda s: s["pending"] == "0", timeout=5)
    assert ok, f"after the accepted edit save-status should show nothing pending: {st}"
    ok, err = h.wait_until(lambda: error_text(page), lambda t: not t, timeout=5)
    assert ok, f"the refusal's error should be cleared by the next accepted edit; shows {err!r}"


# --------------------------------------------------------------------------- 4. busy kernel


# A cell that keeps the kernel from answering anything for BUSY_SECONDS: libc's sleep()
# called through ctypes.PyDLL, which holds the GIL during the call. It first prints a
# line and waits GIL_AFTER s (GIL free, so the line surely reaches the page) before it
# takes the GIL. A plain time.sleep would not do: it releases the GIL, and here
# JupyterLab sends the widget's comm messages to a kernel subshell, which ipykernel 7
# serves while the main shell sleeps.
GIL_AFTER = 1.0
BUSY_CODE = (
    "import ctypes, time\n"
    "print('taking the GIL', flush=True)\n"
    f"time.sleep({GIL_AFTER})\n"
    f"ctypes.PyDLL(None).sleep({BUSY_SECONDS})"
)

_BUSY_JS = """
([code]) => {
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const f = k.requestExecute({code, silent: false, store_history: false});
  window.__tsvBusyOut = '';
  f.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') window.__tsvBusyOut += msg.content.text;
  };
  window.__tsvBusy = f.done.then(() => 'done', (e) => 'failed: ' + e);
  // Count the widget's edit messages sent from now on.
  window.__tsvEdits = 0;
  k.anyMessage.connect((_, a) => {
    const d = a.msg.content && a.msg.content.data;
    if (a.direction === 'send' && a.msg.header.msg_type === 'comm_msg' && d && d.content
        && d.content.type === 'edit') window.__tsvEdits++;
  });
}
"""


def test_edit_made_while_kernel_is_busy_is_applied_once(lab: Any) -> None:
    name = autosave_name()
    path = lab.srv.root / name
    lw = show(lab, autosave=name)
    page = lw.page
    g = lw.geometry()

    page.evaluate(_BUSY_JS, [BUSY_CODE])
    page.wait_for_function("() => window.__tsvBusyOut.includes('taking the GIL')", timeout=10_000)
    time.sleep(GIL_AFTER + 0.5)  # the cell holds the GIL from now on (checked below)
    t_draw = time.monotonic()
    x0, x1 = drag_frac(page, g, 0.4, 0.6)
    ok, st = wait_status(page, lambda s: s["pending"] == "1", timeout=3)
    assert ok, f"a region drawn while the kernel sleeps should be 1 pending edit: {st}"
    assert st["state"] == "pending" and "1 edit not yet saved" in st["text"], st
    drawn = dom_ids(page)
    assert len(drawn) == 1, f"the pending region should be drawn; DOM ids {drawn}"

    ok, st = wait_status(page, lambda s: s["state"] == "not-answering", timeout=BUSY_SECONDS - 2)
    assert ok and st["pending"] == "1" and "kernel not answering" in st["text"], (
        f"the edit unanswered for more than 5 s should show 'kernel not answering': {st} "
        f"({time.monotonic() - t_draw:.1f} s after the draw)"
    )
    ok, st = wait_status(page, lambda s: s["pending"] == "0", timeout=BUSY_SECONDS + 10)
    assert ok, f"after the sleep the edit should be acknowledged (data-pending=0): {st}"
    assert st["state"] == "saved", f"save-status after the acknowledgement: {st}"
    assert page.evaluate("() => window.__tsvBusy") == "done", "the sleeping cell did not finish"

    sent = page.evaluate("() => window.__tsvEdits")
    assert sent >= 2, (
        f"the unanswered edit should have been re-sent while the kernel was busy; "
        f"{sent} edit message(s) were sent"
    )
    regs = lw.regions()
    assert [r["id"] for r in regs] == drawn, (
        f"w.regions should hold the drawn region {drawn[0]} exactly once: {regs}"
    )
    assert spans(regs[0], g, x0, x1), f"region {regs[0]} does not span the drag {x0}..{x1}"
    on_disk = file_regions(path)
    assert on_disk is not None and [f["id"] for f in on_disk] == drawn, (
        f"autosave file {path} should hold {drawn[0]} once: {on_disk}"
    )
    assert dom_ids(page) == drawn, f"the view draws {dom_ids(page)}, expected {drawn}"


# --------------------------------------------------------------------------- 5. refused set_state


_MODEL_JS = """
async () => {
  // The widget model behind the first widget output of the notebook (window.__tsvModel).
  const nb = window.jupyterapp.shell.currentWidget;
  for (const cell of nb.content.widgets) {
    if (cell.model.type !== 'code') continue;
    const outs = cell.model.outputs;
    for (let i = 0; i < outs.length; i++) {
      const d = outs.get(i).data['application/vnd.jupyter.widget-view+json'];
      if (!d) continue;
      for (const child of cell.outputArea.widgets) {
        for (const w of child.widgets || []) {
          if (!w._manager) continue;
          const manager = w._manager.promise ? await w._manager.promise : w._manager;
          window.__tsvModel = await manager.get_model(d.model_id);
          return d.model_id;
        }
      }
    }
  }
  return null;
}
"""


def test_refused_state_from_the_browser_is_shown_and_undone(lab: Any) -> None:
    sample = lab.srv.sample
    lab.run_notebook("rejected", wk.widget_cells(sample.data, sample.video))
    wk.wait_for_widget(lab.page)
    page = lab.page
    before, span = lab.json("[list(w.selection), w.series.span]")
    assert page.evaluate(_MODEL_JS), "no widget model found in the notebook's outputs"
    model_sel = "() => window.__tsvModel.get('selection')"
    assert page.evaluate(model_sel) == approx(before), "the model and w.selection differ"
    assert error_text(page) is None, f"an error shows before the test: {error_text(page)!r}"

    bad = [span + 100.0, span + 101.0]  # outside the data
    page.evaluate(
        "(v) => { window.__tsvModel.set('selection', v); window.__tsvModel.save_changes(); }", bad
    )
    ok, err = h.wait_until(lambda: error_text(page), lambda t: bool(t), timeout=10)
    assert ok and "selection" in err.lower(), (
        f"setting selection={bad} (outside the data, span {span}) from the browser should show "
        f"the kernel's refusal in {wk.part('error')}[role=alert]; it shows {err!r}"
    )
    ok, sel = h.wait_until(lambda: page.evaluate(model_sel), lambda v: v == approx(before), 10)
    assert ok, f"the kernel should re-send its selection {before}; the model holds {sel}"
    assert lab.json("list(w.selection)") == approx(before), "the refused selection was kept"


# --------------------------------------------------------------------------- 6. edits during a cell


_LOOP_JS = """
([code]) => {
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const f = k.requestExecute({code, silent: false, store_history: false});
  window.__tsvLoopOut = '';
  window.__tsvLoopDone = false;
  f.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') window.__tsvLoopOut += msg.content.text;
  };
  f.done.then(() => { window.__tsvLoopDone = true; }, () => { window.__tsvLoopDone = true; });
}
"""

_EDIT_BURST_JS = """
([count, t0, everyMs]) => {
  // `count` edit messages exactly as the label UI sends them (one new region each,
  // client "e2e-burst"), one every `everyMs` ms; replies collect in window.__tsvBurst.
  const model = window.__tsvModel;
  window.__tsvBurst = {sent: 0, replies: []};
  const base = 1e6;  // request ids the view's own requests never reach
  model.on('msg:custom', (m) => {
    if (m.type === 'edit' && m.id > base) window.__tsvBurst.replies.push(m);
  });
  let i = 0;
  const tick = () => {
    if (i >= count) return;
    i++;
    const id = 'burst' + String(i).padStart(4, '0');
    const start = t0 + i * 1e-3;
    model.send({type: 'edit', id: base + i, client: 'e2e-burst',
                ops: [{seq: i, id, region: {id, start, end: start + 5e-4, label: 'Walk',
                                            channel: null}}]});
    window.__tsvBurst.sent = i;
    setTimeout(tick, everyMs);
  };
  tick();
}
"""


def test_edits_while_a_cell_adds_regions_are_all_kept_in_memory_and_on_disk(lab: Any) -> None:
    """Edits arrive while a cell adds regions from Python: none may be lost or refused.

    JupyterLab here sends the widget's comm messages to a kernel subshell, and
    ipykernel serves them there while the main shell runs a cell, so browser edits
    and the cell's ``w.add_region`` change ``w.regions`` and the autosave file at the
    same time. The edits are sent through the widget's model exactly as the label UI
    sends them (many, quickly, to make the overlap certain rather than a matter of luck).
    """
    name = autosave_name()
    path = lab.srv.root / name
    show(lab, autosave=name)
    page = lab.page
    span = float(lab.json("w.series.span"))
    assert page.evaluate(_MODEL_JS), "no widget model found in the notebook's outputs"
    n, burst = 300, 100
    t_cell, t_burst = span / 2, span / 4
    code = (
        "errors = []\n"
        "print('adding', flush=True)\n"
        f"for i in range({n}):\n"
        "    try:\n"
        f"        w.add_region({t_cell!r} + i * 1e-3, {t_cell!r} + i * 1e-3, 'Run')\n"
        "    except Exception as e:\n"
        "        errors.append(repr(e))\n"
    )
    # The first edit goes out just before the cell starts, as when the user lets go of
    # the mouse as the cell is run; the rest follow while it runs.
    page.evaluate(_EDIT_BURST_JS, [burst, t_burst, 5])
    page.evaluate(_LOOP_JS, [code])
    page.wait_for_function("() => window.__tsvLoopDone", timeout=60_000)
    ok, got = h.wait_until(
        lambda: page.evaluate("() => window.__tsvBurst.replies.length"),
        lambda k: k >= burst,
        timeout=20,
    )
    assert ok, f"{got} of the {burst} edits were answered"
    replies = page.evaluate("() => window.__tsvBurst.replies")
    refused = [r["error"] for r in replies if r.get("error")]
    errors = lab.json("errors")
    regs = lab.json("w.regions")
    on_disk = file_regions(path) or []
    mem_ids = sorted(r["id"] for r in regs)
    disk_ids = sorted(f["id"] for f in on_disk)
    acked = {f"burst{int(r['id'] - 1e6):04d}" for r in replies if not r.get("error")}
    acked_lost = sorted(acked - set(mem_ids))
    summary = (
        f"{len(acked_lost)} acknowledged edits are not in w.regions (first: {acked_lost[:3]}); "
        f"cell: {len(errors)} of {n} w.add_region calls failed (first: {errors[:1]}); "
        f"edits: {len(refused)} of {burst} refused (first: {refused[:1]}); memory holds "
        f"{sum(r['label'] == 'Run' for r in regs)} cell + "
        f"{sum(r['label'] == 'Walk' for r in regs)} edit regions, the autosave file "
        f"{sum(f['label'] == 'Run' for f in on_disk)} + "
        f"{sum(f['label'] == 'Walk' for f in on_disk)}"
    )
    assert errors == [] and refused == [] and not acked_lost, f"nothing should fail: {summary}"
    assert mem_ids == disk_ids, f"w.regions and the autosave file disagree: {summary}"
    assert len(mem_ids) == n + burst, f"regions were lost: {summary}"
