#!/usr/bin/env python
"""Scale and speed benchmark: tsvideo-widget against plotly-resampler (issue 4).

    python benchmarks/run.py [--quick] [--sizes 1e4 1e6 ...] [--out benchmarks/out/results.json]

A real JupyterLab server on 127.0.0.1 (tests/e2e/harness.py) and Debian's
Chromium, headless, driven by Playwright. Each scenario (samples x channels x
dtype) runs in its own worker process with its own server, browser and kernel,
under a hard time limit; the parent prints a table per scenario and writes the
JSON. See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import platform
import random
import re
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "e2e"))

import harness as h  # noqa: E402  (the project's e2e harness, reused as is)
from report import (  # noqa: E402
    KIND_LABEL,
    KINDS,
    fmt,
    med,
    pct,
    report,
    table,
    targets,
)
from sysinfo import meminfo  # noqa: E402
from wsframes import WsTap, byte_summary  # noqa: E402

EXTRA_CHROMIUM_ARGS = ["--enable-unsafe-swiftshader", "--use-angle=swiftshader"]
PAGEKIT = (HERE / "pagekit.js").read_text()

FULL_SIZES = [1e4, 1e6, 1e7, 1e8]
QUICK_SIZES = [1e4, 1e6, 1e7]
HUGE = 1e9  # int16, one channel, only when memory allows
TOOLS = ("tsvideo", "plotly-resampler")

PAINT_TIMEOUT_S = 60.0  # first paint slower than this is recorded as a timeout
REFRESH_TIMEOUT_S = {"tsvideo": 20.0, "plotly-resampler": 30.0}
KERNEL_MEM_RESERVE = 3 * 2**30  # the kernel may not grow into the last 3 GiB of free memory
PLOT_HEIGHT = 360


# ============================================================================ scenarios


def scenario_id(s: dict[str, Any]) -> str:
    return f"{s['n']:.0e}".replace("+0", "").replace("+", "") + f"x{s['nch']}-{s['dtype']}"


def data_bytes(s: dict[str, Any]) -> int:
    item = {"float32": 4, "float64": 8, "int16": 2}[s["dtype"]]
    return int(s["n"]) * (8 + item * s["nch"])


def scenarios(args: argparse.Namespace) -> list[dict[str, Any]]:
    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    chans = args.channels or [1, 8]
    dtypes = args.dtypes or (["float32"] if args.quick else ["float32", "float64"])
    out = []
    for n in sizes:
        if n >= HUGE:
            continue
        for nch in chans:
            for dt in dtypes:
                out.append({"n": int(n), "nch": int(nch), "dtype": dt})
    huge_listed = any(n >= HUGE for n in (args.sizes or []))
    if huge_listed or (not args.quick and not args.sizes and not args.no_huge):
        out.append({"n": int(HUGE), "nch": 1, "dtype": "int16", "huge": True})
    for s in out:
        s["id"] = scenario_id(s)
    return out


def memory_needed(s: dict[str, Any]) -> int:
    """Bytes of free memory a scenario needs: the data, ~0.9x more for the tools' transients
    (plotly-resampler copies the float64 time column while it builds), and 2 GiB of slack."""
    return int(data_bytes(s) * 1.9) + 2 * 2**30


def worker_opts(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "repeats": args.repeats,
        "refreshes": args.refreshes,
        "kinds": args.kinds,
        "wide_kinds": args.wide_kinds,
        "drag_seconds": args.drag_seconds,
        "tools": args.tools,
        "timeout_scale": args.timeout_scale,
        "plotly_trace": args.plotly_trace,
    }


def hard_timeout(s: dict[str, Any], args: argparse.Namespace) -> float:
    gb = data_bytes(s) / 1e9
    per_tool = tool_budget(s, worker_opts(args))
    return (120 + 60 * gb) * args.timeout_scale + per_tool * len(args.tools)


# ============================================================================ machine


def _run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as exc:
        return f"<{exc}>"


def machine_info() -> dict[str, Any]:
    from importlib import metadata

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mi = meminfo()
    pkgs = {}
    for name in (
        "tsvideo-widget",
        "plotly-resampler",
        "plotly",
        "tsdownsample",
        "anywidget",
        "ipywidgets",
        "jupyterlab",
        "jupyter_server",
        "ipykernel",
        "numpy",
        "pandas",
        "orjson",
        "playwright",
    ):
        try:
            pkgs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pkgs[name] = None
    bundle = REPO / "tsvideo_widget" / "static" / "widget.js"
    import hashlib

    return {
        "nproc": int(_run(["nproc"]) or os.cpu_count() or 0),
        "cpu_model": cpu,
        "mem_total_bytes": mi.get("MemTotal"),
        "mem_available_bytes_at_start": mi.get("MemAvailable"),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "chromium": _run([h.CHROMIUM, "--version"]).splitlines()[-1:] or None,
        "chromium_args": h.CHROMIUM_ARGS + EXTRA_CHROMIUM_ARGS,
        "packages": pkgs,
        "git_commit": _run(["git", "-C", str(REPO), "rev-parse", "HEAD"]),
        "git_dirty_files": [
            ln for ln in _run(["git", "-C", str(REPO), "status", "--porcelain"]).splitlines() if ln
        ],
        "widget_js_sha256": hashlib.sha256(bundle.read_bytes()).hexdigest()
        if bundle.exists()
        else None,
        "widget_js_mtime": time.strftime(
            "%Y-%m-%dT%H:%M:%S", time.localtime(bundle.stat().st_mtime)
        )
        if bundle.exists()
        else None,
    }


# ============================================================================ window changes

# The three kinds of window change, each measured as its own series (see README.md).
GESTURE_MOVES = 15  # a drag: one mouse move per 1/60 s, ~250 ms
HANDLE_CLEAR_PX = 6.5  # tsvideo: a press this far beside a narrow range's edge misses its handles
MOVE_HZ = 60.0
WHEEL_STEP = 1.0015  # tsvideo's zoom per unit of wheel deltaY (onDetailWheel in js/view.ts)
ZOOM_SPREAD = 8.0  # zooms keep the window within 1/8..8x of the series' starting width
SETTLE_QUIET_MS = 300  # between changes: no kernel websocket frame for this long
# A detail request unanswered this long is lost (the widget's own timeout is 10 s).
LOST_REPLY_MS = 12_000


Sel = tuple[float, float]


def move_by(sel: Sel, delta: float, span: float) -> Sel:
    """js/range.ts moveBy: shift by ``delta`` keeping the width, stopping at the ends."""
    w = sel[1] - sel[0]
    a = min(max(sel[0] + delta, 0.0), max(span - w, 0.0))
    return (a, a + w)


def zoom_around(sel: Sel, at: float, factor: float, span: float, min_width: float) -> Sel:
    """js/range.ts zoomAround: scale the width by ``factor`` keeping ``at`` in place."""
    w = sel[1] - sel[0]
    nw = min(max(w * factor, min_width), span)
    frac = (at - sel[0]) / w if w > 0 else 0.5
    a = at - frac * nw
    return move_by((a, a + nw), 0.0, span)


def plan_changes(
    kind: str, span: float, width: float, count: int, seed: int, min_width: float
) -> dict[str, Any]:
    """The seeded list of window changes of one series, the same for every tool.

    Returns ``{"start": window, "changes": [...]}``; each change has the window it
    should end on (``window``, relative seconds) and what the gesture is made of.

    * drag: a move of the window by ``widths`` window widths (60%: 0.2-1, 40%: 1-5, either
      direction; turned round when it would leave the data), starting in the middle.
    * zoom: in or out by 1.25x-4x around a point at 20-80% of the chart (turned round when
      the width would leave 1/8..8x the start width or the span), in 1-3 wheel events.
    * jump: a window of the same width centred at a random time outside the current one
      (by at least 1.5% of the span, clear of the range's handles), starting at 0.
    """
    rng = random.Random(seed)
    w0 = min(width, span)
    out: list[dict[str, Any]] = []
    if kind == "drag":
        cur = move_by((span / 2 - w0 / 2, span / 2 + w0 / 2), 0.0, span)
        start = cur
        for i in range(count):
            small = rng.random() < 0.6
            k = rng.uniform(0.2, 1.0) if small else rng.uniform(1.0, 5.0)
            k *= 1 if rng.random() < 0.5 else -1
            if not (cur[0] + k * w0 >= 0 and cur[1] + k * w0 <= span):
                k = -k  # turned round at the ends (move_by clamps what still does not fit)
            nxt = move_by(cur, k * w0, span)
            out.append(
                {
                    "i": i,
                    "size": "small" if small else "large",
                    "widths": (nxt[0] - cur[0]) / w0,
                    "window": nxt,
                }
            )
            cur = nxt
    elif kind == "zoom":
        c = rng.uniform(0.3, 0.7) * span
        cur = move_by((c - w0 / 2, c + w0 / 2), 0.0, span)
        start = cur
        lo_w, hi_w = max(w0 / ZOOM_SPREAD, min_width), min(w0 * ZOOM_SPREAD, span)
        for i in range(count):
            f = rng.uniform(1.25, 4.0)
            zoom_out = rng.random() < 0.5
            frac = rng.uniform(0.2, 0.8)
            wheels = rng.randint(1, 3)
            w = cur[1] - cur[0]
            if (zoom_out and w * f > hi_w * 1.0001) or (not zoom_out and w / f < lo_w / 1.0001):
                zoom_out = not zoom_out
            factor = f if zoom_out else 1 / f
            at = cur[0] + frac * w
            nxt = cur
            for _ in range(wheels):
                nxt = zoom_around(nxt, at, factor ** (1 / wheels), span, min_width)
            out.append(
                {
                    "i": i,
                    "factor": factor,
                    "frac": frac,
                    "wheels": wheels,
                    "window": nxt,
                }
            )
            cur = nxt
    elif kind == "jump":
        cur = (0.0, w0)
        start = cur
        margin = 0.015 * span
        for i in range(count):
            for _try in range(1000):
                c = rng.uniform(0.02, 0.98) * span
                nxt = move_by((c - w0 / 2, c + w0 / 2), 0.0, span)
                if (c < cur[0] - margin or c > cur[1] + margin) and abs(nxt[0] - cur[0]) > (
                    0.01 * span
                ):
                    break
            else:
                continue
            out.append({"i": i, "center": c, "window": nxt})
            cur = nxt
    else:
        raise ValueError(kind)
    return {"start": start, "changes": out}


def series_list(
    s: dict[str, Any], span: float, opts: dict[str, Any]
) -> list[tuple[str, str, float]]:
    """(kind, width name, width in s) of every series a scenario measures, in order.

    narrow: the widget's default 5 s window, for every kind. wide: 1% of the span (1e5
    samples at 1e7, 1e6 at 1e8), for n >= 1e7 and the kinds in ``wide_kinds``.
    """
    kinds = [k for k in KINDS if k in opts.get("kinds", KINDS)]
    out = [(k, "narrow", 5.0) for k in kinds]
    if s["n"] >= 1e7:
        out += [(k, "wide", span / 100) for k in kinds if k in opts.get("wide_kinds", ["drag"])]
    return out


def summarize_changes(
    tool: str, kind: str, width: float, recs: list[dict[str, Any]], timeout_ms: int
) -> dict[str, Any]:
    """p50/p95 over all changes (from the browser's data or not; a timeout counts as the
    timeout, a lower bound), the share drawn without the kernel, and the kernel-only figures."""
    ok = [r for r in recs if not r.get("timeout")]
    n_to = len(recs) - len(ok)
    lat = [r["latency_ms"] for r in ok] + [float(timeout_ms)] * n_to
    browser = [r for r in ok if r.get("cached")]
    kernel = [r for r in ok if not r.get("cached")]
    sources: dict[str, int] = {}
    for r in recs:
        if r.get("src0") is not None:
            sources[r["src0"]] = sources.get(r["src0"], 0) + 1
    presses: dict[str, int] = {}
    for r in recs:
        if r.get("press"):
            presses[r["press"]] = presses.get(r["press"], 0) + 1
    errs = [r["window_error_widths"] for r in recs if r.get("window_error_widths") is not None]
    return {
        "kind": kind,
        "width_s": width,
        "changes": len(recs),
        "timeouts": n_to,
        "p50_ms": pct(lat, 50),
        "p95_ms": pct(lat, 95),
        "max_ms": max(lat) if lat else None,
        "from_browser": len(browser),
        "from_kernel": len(kernel),
        "from_browser_share": len(browser) / len(recs) if recs else None,
        "no_request": sum(1 for r in ok if r.get("requests") == 0),
        "source_at_event": sources or None,
        "kernel_p50_ms": pct([r["latency_ms"] for r in kernel], 50),
        "kernel_p95_ms": pct([r["latency_ms"] for r in kernel], 95),
        "browser_p50_ms": pct([r["latency_ms"] for r in browser], 50),
        "browser_p95_ms": pct([r["latency_ms"] for r in browser], 95),
        # event timestamp -> the page's handlers ran; part of every latency (wheel events wait
        # for a frame: ~30 ms here)
        "event_delay_p50_ms": pct([r.get("event_delay_ms") for r in ok], 50),
        "bytes_median": med([r["bytes_total"] for r in ok]),
        "bytes_p95": pct([r["bytes_total"] for r in ok], 95),
        "bytes_until_settled_median": med([r.get("bytes_until_settled") for r in ok]),
        "request_ms_median": med([r.get("request_ms") for r in kernel]),
        "roundtrip_ms_median": med([r.get("roundtrip_ms") for r in kernel]),
        "draw_ms_median": med([r.get("draw_ms") for r in kernel]),
        "press": presses or None,
        "window_error_widths_max": max(errs) if errs else None,
        "samples": recs,
    }


def tool_budget(s: dict[str, Any], opts: dict[str, Any]) -> float:
    """Seconds one tool may take in a scenario (first paints, every series, the drag)."""
    gb = data_bytes(s) / 1e9
    series = len(series_list(s, 1.0, opts))
    per_change = 3.0 + 2.0 * gb  # settle, gesture, latency, reading the window back
    return (
        240 + 90 * gb + opts["drag_seconds"] * 2 + opts["refreshes"] * series * per_change
    ) * opts["timeout_scale"]


# ============================================================================ kernel code


def data_cell(s: dict[str, Any], seed: int, plotly_trace: str) -> str:
    return f"""# benchmark data, generated in the kernel (never through the browser)
import gc, json, os, resource, time
import numpy as np
import pandas as pd
from IPython.display import display

def _status():
    d = {{}}
    with open(f"/proc/{{os.getpid()}}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "VmSize"):
                d[k] = int(v.split()[0]) * 1024
    return d

def _mem_reset():
    try:
        with open(f"/proc/{{os.getpid()}}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM, the peak RSS
    except OSError:
        pass

def _meminfo():
    out = {{}}
    with open("/proc/meminfo") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = int(v.split()[0]) * 1024
    return out

# Memory guard: this kernel may not grow into the machine's last {KERNEL_MEM_RESERVE >> 30} GiB; an
# allocation beyond raises MemoryError here rather than waking the OOM killer.
_avail = _meminfo().get("MemAvailable", 0)
_limit = _status()["VmSize"] + _avail - {KERNEL_MEM_RESERVE}
if _limit > 0:
    resource.setrlimit(resource.RLIMIT_AS, (_limit, resource.RLIM_INFINITY))

N, NCH, DTYPE, SEED = {int(s["n"])}, {int(s["nch"])}, {s["dtype"]!r}, {seed}
CHUNK = 50_000_000

def _walk(rng, n, dtype):
    out = np.empty(n, dtype=dtype)
    carry = 0.0 if out.dtype.kind == "f" else 0
    for a in range(0, n, CHUNK):
        b = min(n, a + CHUNK)
        if out.dtype.kind == "f":
            fdt = np.float32 if dtype == "float32" else np.float64
            step = rng.standard_normal(b - a, dtype=fdt)
            np.cumsum(step, out=step)
            step += carry
            carry = float(step[-1])
            out[a:b] = step
        else:  # int16: a +-1 walk, clipped to the dtype's range
            step = rng.integers(-1, 2, size=b - a, dtype=np.int8)
            w = np.cumsum(step, dtype=np.int32)
            w += carry
            np.clip(w, -32768, 32767, out=w)
            carry = int(w[-1])
            out[a:b] = w
        del step
    return out

_g0 = time.perf_counter()
_rng = np.random.default_rng(SEED)
_t = np.arange(N, dtype=np.float64)
_t *= 1e-3  # 1 kHz, seconds
_cols = {{"time": _t}}
for _i in range(NCH):
    _cols[f"ch{{_i}}"] = _walk(_rng, N, DTYPE)
df = pd.DataFrame(_cols, copy=False)  # no copy: the frame holds these arrays
CHANNELS = [c for c in df.columns if c != "time"]
del _cols, _t
gc.collect()
_gen_s = time.perf_counter() - _g0

from tsvideo_widget import TimeSeriesVideo
import plotly.graph_objects as go
from plotly_resampler import FigureWidgetResampler
PLOTLY_TRACE = go.{ {"scattergl": "Scattergl", "scatter": "Scatter"}[plotly_trace] }
PLOT_HEIGHT = {PLOT_HEIGHT}

_bench_info = dict(
    pid=os.getpid(),
    df_bytes=int(df.memory_usage(deep=True).sum()),
    gen_s=_gen_s,
    rss=_status()["VmRSS"],
    mem_available_before=_avail,
    rlimit_as=_limit,
    span=float(df["time"].iloc[-1] - df["time"].iloc[0]),
)
"""


# Before each run (outside the timed cell): collect garbage, reset the peak RSS, read the RSS.
PRE_RUN = "gc.collect(); _mem_reset(); _m0 = _status()"

TSV_CELL = """_w0 = time.time(); _p0 = time.perf_counter()
w = TimeSeriesVideo(df, time="time")
_p1 = time.perf_counter(); _m1 = _status()
_bench_run = dict(
    t_py=_p1 - _p0, wall0=_w0, rss0=_m0["VmRSS"], rss1=_m1["VmRSS"], hwm1=_m1["VmHWM"]
)
display(w)
"""

PLOTLY_CELL = """_w0 = time.time(); _p0 = time.perf_counter()
fig = FigureWidgetResampler(go.Figure(layout=dict(dragmode="pan", height=PLOT_HEIGHT)))
for _c in CHANNELS:
    fig.add_trace(PLOTLY_TRACE(name=_c, mode="lines"), hf_x=df["time"], hf_y=df[_c])
_p1 = time.perf_counter(); _m1 = _status()
_bench_run = dict(
    t_py=_p1 - _p0, wall0=_w0, rss0=_m0["VmRSS"], rss1=_m1["VmRSS"], hwm1=_m1["VmHWM"]
)
display(fig)
"""

_CLOSE = "_o = globals().pop({!r}, None)\nif _o is not None: _o.close()\ndel _o\ngc.collect()"
CLOSE = {"tsvideo": _CLOSE.format("w"), "plotly-resampler": _CLOSE.format("fig")}
CELL_INDEX = {"tsvideo": 0, "plotly-resampler": 1}
DATA_CELL_INDEX = 2


# ============================================================================ worker


class BudgetError(Exception):
    """A tool ran out of its time budget, or something it waited for timed out."""

    pass


class Worker:
    def __init__(self, s: dict[str, Any], opts: dict[str, Any], pidfile: Path) -> None:
        self.s = s
        self.opts = opts
        self.pidfile = pidfile
        self.res: dict[str, Any] = {"scenario": s, "tools": {}, "errors": [], "notes": []}
        self.nch = int(s["nch"])

    # -- helpers
    def log(self, msg: str) -> None:
        print(f"  [{self.s['id']} {time.strftime('%H:%M:%S')}] {msg}", flush=True)

    def ev(self, expr: str, arg: Any = None) -> Any:
        return self.page.evaluate(expr, arg) if arg is not None else self.page.evaluate(expr)

    def kjson(self, expr: str, timeout: float = 60.0) -> Any:
        return h.kernel_json(self.page, expr, timeout=timeout)

    def kexec(self, code: str, timeout: float = 60.0) -> str:
        return h.kernel_exec(self.page, code, timeout=timeout)

    def wait_idle(self, timeout: float) -> bool:
        ok, _ = h.wait_until(lambda: self.ev("() => window.__B.kernelIdle()"), bool, timeout, 0.05)
        return ok

    def interrupt_kernel(self) -> None:
        try:
            for sess in self.server.api("GET", "/api/sessions") or []:
                self.server.api("POST", f"/api/kernels/{sess['kernel']['id']}/interrupt")
        except Exception as exc:
            self.res["errors"].append(f"interrupt failed: {exc!r}")

    def check_deadline(self, deadline: float, what: str) -> None:
        if time.monotonic() > deadline:
            raise BudgetError(f"{what}: tool time budget exhausted")

    # -- main
    def run(self) -> dict[str, Any]:
        from playwright.sync_api import sync_playwright

        root = h.make_tmp("tsvbench-root-")
        home = h.make_tmp("tsvbench-home-")
        # JupyterLab would show "Build recommended" for dash's old source extension
        # (dash comes with plotly-resampler): switch that check off in this server only.
        labconfig = home / "config" / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(
            json.dumps({"buildCheck": False, "buildAvailable": False})
        )
        # The widget may be rebuilt while a long run goes on: note what each scenario measured.
        import hashlib

        bundle = REPO / "tsvideo_widget" / "static" / "widget.js"
        self.res["widget_js_sha256"] = (
            hashlib.sha256(bundle.read_bytes()).hexdigest() if bundle.exists() else None
        )
        self.res["git_commit"] = _run(["git", "-C", str(REPO), "rev-parse", "HEAD"])
        nb = "bench.ipynb"
        h.write_notebook(
            root / nb,
            [
                TSV_CELL,
                PLOTLY_CELL,
                data_cell(self.s, seed=42, plotly_trace=self.opts["plotly_trace"]),
            ],
        )
        self.server = h.JupyterServer(root, home)
        self.server.start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=h.CHROMIUM, args=h.CHROMIUM_ARGS + EXTRA_CHROMIUM_ARGS
                )
                self.res["chromium_version"] = browser.version
                try:
                    context, page, console = h.new_page(browser)
                    self.page, self.console = page, console
                    context.add_init_script(script=PAGEKIT)
                    blocked: list[str] = []
                    self.res["blocked_requests"] = blocked

                    def block(route: Any) -> None:
                        blocked.append(route.request.url[:200])
                        route.abort()

                    # Only 127.0.0.1 (and in-page blob:/data:) may be reached.
                    context.route(
                        re.compile(r"^(?!(https?|wss?)://127\.0\.0\.1[:/]|blob:|data:)"), block
                    )
                    page.set_default_timeout(30_000)
                    self.tap = WsTap(page)
                    self.scenario(nb)
                finally:
                    self.res["console_tail"] = (
                        self.console[-30:] if hasattr(self, "console") else []
                    )
                    browser.close()
        finally:
            self.server.stop()
            h.rmtree_quiet(root)
            h.rmtree_quiet(home)
        return self.res

    def scenario(self, nb: str) -> None:
        h.open_notebook(self.page, self.server, nb)
        gb = data_bytes(self.s) / 1e9
        gen_timeout = 120 + 90 * gb
        self.log(f"generating {data_bytes(self.s) / 1e9:.2f} GB of data in the kernel")
        r = self.ev(
            "([i, t]) => window.__B.runCell(i, t)", [DATA_CELL_INDEX, int(gen_timeout * 1000)]
        )
        errs = h.cell_errors(self.page)
        if r["status"] != "done" or errs:
            raise RuntimeError(f"data cell: {r}; errors: {errs}")
        info = self.kjson("_bench_info")
        self.info = info
        self.pidfile.write_text(str(info["pid"]))
        self.res["data"] = info
        self.log(f"data ready in {info['gen_s']:.1f} s; df {info['df_bytes'] / 1e6:.0f} MB")
        self.ev("() => window.__B.clearOutputs()")
        for tool in self.opts["tools"]:
            deadline = time.monotonic() + tool_budget(self.s, self.opts)
            out: dict[str, Any] = {"status": "ok"}
            self.res["tools"][tool] = out
            try:
                self.measure_tool(tool, out, deadline)
            except BudgetError as exc:
                out["status"] = "timeout"
                out["error"] = str(exc)
                self.log(f"{tool}: TIMEOUT {exc}")
                self.interrupt_kernel()
                self.wait_idle(30)
            except Exception as exc:
                out["status"] = "error"
                out["error"] = f"{type(exc).__name__}: {exc}"[:2000]
                out["traceback"] = traceback.format_exc()[-4000:]
                self.log(f"{tool}: ERROR {out['error'][:300]}")
                self.interrupt_kernel()
                self.wait_idle(30)
            finally:
                try:
                    self.ev("() => window.__B.clearOutputs()")
                    self.kexec(CLOSE[tool], timeout=60)
                except Exception as exc:
                    self.res["errors"].append(f"cleanup after {tool}: {exc!r}"[:500])
        self.res["ws_pairing"] = {
            "size_mismatch": self.tap.size_mismatch,
            "unpaired": self.tap.unpaired,
        }

    # -- one tool
    def measure_tool(self, tool: str, out: dict[str, Any], deadline: float) -> None:
        df_bytes = self.info["df_bytes"]
        runs = []
        out["first_paint_runs"] = runs
        for i in range(self.opts["repeats"]):
            self.check_deadline(deadline, "first paint")
            if i > 0:
                self.ev("() => window.__B.clearOutputs()")
                self.kexec(CLOSE[tool], timeout=60)
            self.wait_idle(30)
            self.kexec(PRE_RUN, timeout=60)
            time.sleep(0.3)
            run = self.first_paint(tool)
            runs.append(run)
            self.log(
                f"{tool} first paint #{i + 1}: "
                + (
                    "TIMEOUT"
                    if run.get("timeout")
                    else f"{run['total_ms']:.0f} ms (python {run['python_ms']:.0f} ms), "
                    f"{run['bytes_total'] / 1024:.0f} KB "
                    f"({run['bytes_payload'] / 1024:.0f} KB w/o code)"
                )
            )
            if run.get("timeout"):
                raise BudgetError(f"first paint took more than {PAINT_TIMEOUT_S:.0f} s")
        ok_runs = [r for r in runs if not r.get("timeout")]
        out["first_paint"] = {
            k: med([r.get(k) for r in ok_runs])
            for k in (
                "total_ms",
                "python_ms",
                "browser_ms",
                "queue_ms",
                "to_first_widget_frame_ms",
                "to_last_widget_frame_ms",
                "after_last_frame_ms",
                "detail_request_ms",
                "detail_roundtrip_ms",
                "bytes_total",
                "bytes_code",
                "bytes_payload",
                "frames",
            )
        }
        out["first_paint"]["runs"] = len(ok_runs)
        first = ok_runs[0]
        out["memory"] = {
            "df_bytes": df_bytes,
            "extra_after_constructor": first["rss1"] - first["rss0"],
            "peak_extra_during_constructor": first["hwm1"] - first["rss0"],
            "extra_after_constructor_median": med([r["rss1"] - r["rss0"] for r in ok_runs]),
        }
        # The last run's widget stays on screen for refreshes and the drag.
        self.wait_idle(60)
        sel = (
            ".jp-Notebook [data-part='root']"
            if tool == "tsvideo"
            else ".jp-Notebook .js-plotly-plot"
        )
        self.ev("(s) => window.__B.scrollIntoView(s)", sel)
        time.sleep(0.3)
        span = float(self.info["span"])
        out["refresh"] = {}
        for kind, wname, width in series_list(self.s, span, self.opts):
            self.check_deadline(deadline, f"refresh {kind} {wname}")
            out["refresh"].setdefault(kind, {})[wname] = self.refresh_series(
                tool, kind, wname, width, deadline
            )
        if self.nch == 8 or self.opts.get("drag_all"):
            self.check_deadline(deadline, "drag")
            out["drag"] = self.drag(tool, deadline)
        self.wait_idle(30)
        time.sleep(0.5)
        rss_now = self.kjson("_status()")["VmRSS"]
        last = ok_runs[-1]
        out["memory"]["extra_after_interaction"] = rss_now - last["rss0"]
        for k in (
            "extra_after_constructor",
            "peak_extra_during_constructor",
            "extra_after_interaction",
        ):
            out["memory"][k.replace("extra", "ratio")] = out["memory"][k] / df_bytes

    # -- first paint
    def first_paint(self, tool: str) -> dict[str, Any]:
        r = self.ev(
            "(a) => window.__B.runAndPaint(a)",
            {
                "idx": CELL_INDEX[tool],
                "tool": tool,
                "nch": self.nch,
                "timeoutMs": int(PAINT_TIMEOUT_S * 1000),
            },
        )
        if r.get("timeout"):
            return {"timeout": True, "phases": r.get("phases"), "runError": r.get("runError")}
        if r.get("runError"):
            raise RuntimeError(f"running the cell failed: {r['runError']}")
        ok = self.wait_idle(120)
        errs = h.cell_errors(self.page)
        if errs:
            raise RuntimeError("widget cell raised: " + errs[0][:1500])
        if not ok:
            raise BudgetError("kernel stayed busy 120 s after the first paint")
        k = self.kjson("_bench_run")
        t0, tp, tc = r["t0"], r["tPaint"], r["tCond"]
        # Bytes up to the moment the paint condition held (the detail reply that made it
        # true is in; a prefetch answered while the frame was being painted is not).
        evs = self.tap.between(t0, tc)
        b = byte_summary(evs)
        widget_recv = [
            e for e in evs if e["dir"] == "recv" and str(e.get("msg_type", "")).startswith("comm")
        ]
        total = tp - t0
        python_ms = k["t_py"] * 1000
        run = {
            "total_ms": total,
            "python_ms": python_ms,
            "browser_ms": total - python_ms,
            "queue_ms": k["wall0"] * 1000 - r["wall0"],
            "paint_check_ms": r["tCond"] - t0,
            "phases": r.get("phases"),
            "rss0": k["rss0"],
            "rss1": k["rss1"],
            "hwm1": k["hwm1"],
            **b,
        }
        if widget_recv:
            run["to_first_widget_frame_ms"] = widget_recv[0]["t"] - t0
            run["to_last_widget_frame_ms"] = widget_recv[-1]["t"] - t0
            run["after_last_frame_ms"] = tp - widget_recv[-1]["t"]
        req = [e for e in evs if e["dir"] == "sent" and e.get("ctype") == "detail"]
        rep = [e for e in evs if e["dir"] == "recv" and e.get("ctype") == "detail"]
        if req and rep:
            run["detail_request_ms"] = req[0]["t"] - t0
            run["detail_roundtrip_ms"] = rep[0]["t"] - req[0]["t"]
            run["detail_reply_bytes"] = rep[0]["size"]
        run["widget_frames"] = [
            [
                round(e["t"] - t0, 1),
                e["dir"],
                e.get("msg_type"),
                e.get("model") or e.get("method"),
                e.get("ctype") or ",".join(e.get("keys") or [])[:80],
                e["size"],
            ]
            for e in self.tap.between(t0, tp)
            if str(e.get("msg_type", "")).startswith("comm")
        ][:60]
        for key in ("dataset", "overviewInk", "points", "glCanvas", "noWebglNotice"):
            if key in r:
                run[key] = r[key]
        return run

    # -- window changes
    def detail_pending(self, now: float) -> int:
        """tsvideo detail requests sent and not answered yet (from the websocket frames)."""
        evs = self.tap.sync()
        for e in evs[self._det_idx :]:
            if e.get("ctype") != "detail":
                continue
            if e["dir"] == "sent":
                self._det_pending[e.get("cid")] = e["t"]
            else:
                self._det_pending.pop(e.get("cid"), None)
        self._det_idx = len(evs)
        for cid, t in list(self._det_pending.items()):
            if now - t > LOST_REPLY_MS:
                del self._det_pending[cid]
                self._det_lost += 1
        return len(self._det_pending)

    def settle(self, tool: str, quiet_ms: float = SETTLE_QUIET_MS, timeout_s: float = 15.0) -> bool:
        """Wait until nothing is under way: no frame on the kernel websocket for ``quiet_ms``,
        no tsvideo detail request unanswered (prefetches included) and the detail drawn at full
        resolution; for plotly the kernel idle. A user pausing between two gestures."""
        t_end = time.monotonic() + timeout_s
        while True:
            lf = self.ev("() => window.__B.lastFrame()")
            pending = self.detail_pending(lf["now"])
            ok = lf["now"] - lf["last"] >= quiet_ms and pending == 0
            if ok and tool == "tsvideo":
                ds = self.ev("() => window.__B.tsvDataset()") or {}
                ok = ds.get("source") == "detail"
            elif ok:
                ok = bool(self.ev("() => window.__B.kernelIdle()"))
            if ok:
                return True
            if time.monotonic() > t_end:
                return False
            time.sleep(0.05)

    def current_window(self, tool: str) -> Sel | None:
        """The window shown now: tsvideo's ``w.selection`` (checked against the range drawn on
        the overview, which must agree to a pixel), plotly's x range."""
        if tool != "tsvideo":
            v = self.ev("() => window.__B.plotlyRange()")
            return (float(v[0]), float(v[1])) if v else None
        v = self.kjson("[float(_v) for _v in w.selection]")
        self.settle(tool, quiet_ms=100, timeout_s=5)  # let the exec's last frames pass
        if not v:
            return None
        r = self.ev("() => window.__B.tsvRange()")
        if r and r["over"] > 0:
            span = float(self.info["span"])
            a_view = r["left"] / r["over"] * span
            if abs(a_view - v[0]) / span * r["over"] > 1.0:
                # The view shows another window than the kernel holds: gestures start from what
                # is on screen (the width is the kernel's: the range is drawn at least 2 px wide).
                self._view_mismatch.append({"kernel": v, "view_start": a_view})
                return (a_view, a_view + (v[1] - v[0]))
        return (float(v[0]), float(v[1]))

    def refresh_series(
        self, tool: str, kind: str, wname: str, width: float, deadline: float
    ) -> dict[str, Any]:
        span = float(self.info["span"])
        n = int(self.s["n"])
        min_width = 4 * span / (n - 1) if n > 1 else 1e-6
        seed = 100 + 10 * KINDS.index(kind) + (0 if wname == "narrow" else 1)
        plan = plan_changes(kind, span, width, self.opts["refreshes"], seed, min_width)
        timeout_ms = int(REFRESH_TIMEOUT_S[tool] * 1000)
        self._det_pending: dict[Any, float] = {}
        self._det_idx = len(self.tap.sync())
        self._det_lost = 0
        self._view_mismatch: list[dict[str, Any]] = []
        a0, b0 = plan["start"]
        # The series' first window, set without timing it (tsvideo from the kernel).
        if tool == "tsvideo":
            self.kexec(f"w.selection = ({a0!r}, {b0!r})")
        else:
            self.wait_idle(30)
            r = self.ev("([a, b, t]) => window.__B.plotlyChange(a, b, t)", [a0, b0, timeout_ms])
            if r.get("error"):
                raise RuntimeError(r["error"])
        if not self.settle(tool, timeout_s=30):
            self.res["notes"].append(f"{tool} {kind} {wname}: did not settle at the start window")
        recs: list[dict[str, Any]] = []
        consecutive_timeouts = 0
        note = None
        for ch in plan["changes"]:
            self.check_deadline(deadline, f"refresh {kind} {wname} #{ch['i']}")
            cur = self.current_window(tool)
            if cur is None:
                raise RuntimeError(f"{tool}: cannot read the current window")
            if tool == "tsvideo":
                rec = self.tsv_change(kind, ch, cur, span, timeout_ms)
            else:
                rec = self.plotly_change(kind, ch, cur, timeout_ms)
            settled = self.settle(tool, timeout_s=20)
            t_settled = self.ev("() => window.__B.now()")
            if not rec.get("timeout"):
                evs = self.tap.between(rec["t_gesture"], t_settled, "recv")
                rec["bytes_until_settled"] = sum(e["size"] for e in evs)
            rec["settled"] = settled
            after = self.current_window(tool)
            rec["window"] = list(after) if after else None
            if after:
                w = ch["window"][1] - ch["window"][0]
                rec["window_error_widths"] = max(
                    abs(after[0] - ch["window"][0]), abs(after[1] - ch["window"][1])
                ) / max(w, 1e-12)
            recs.append(rec)
            consecutive_timeouts = consecutive_timeouts + 1 if rec.get("timeout") else 0
            if (
                tool != "tsvideo"
                and kind == "drag"
                and len(recs) == 2
                and all(r.get("timeout") and r.get("axis_moved") for r in recs)
            ):
                note = (
                    "plotly-resampler did not resample after a pan (the axis moved, the traces "
                    "were never replaced): drag end not measurable"
                )
                break
            if consecutive_timeouts >= 3:
                note = "three timeouts in a row: series ended"
                break
        summary = summarize_changes(tool, kind, width, recs, timeout_ms)
        off = [r for r in recs if (r.get("window_error_widths") or 0) > 0.05]
        if off:
            self.res["notes"].append(
                f"{tool} {kind} {wname}: {len(off)} changes ended more than 5% of a window away "
                f"from the planned window (e.g. #{off[0]['i']}: planned {off[0]['planned']}, "
                f"reached {off[0].get('window')}, event on {off[0].get('target')})"
            )
        summary["lost_detail_replies"] = self._det_lost if tool == "tsvideo" else None
        if self._view_mismatch:
            summary["view_kernel_mismatch"] = self._view_mismatch[:10]
            self.res["notes"].append(
                f"{tool} {kind} {wname}: the view showed another window than w.selection "
                f"{len(self._view_mismatch)} times, e.g. {self._view_mismatch[0]}"
            )
        if note:
            summary["note"] = note
            self.res["notes"].append(f"{tool} {kind} {wname}: {note}")
        self.log(
            f"{tool} {KIND_LABEL[kind]} {wname} ({width:g} s): p50 {fmt(summary['p50_ms'])} ms, "
            f"p95 {fmt(summary['p95_ms'])} ms over {summary['changes']} "
            f"({summary['from_browser']} from the browser's data, kernel-only p50/p95 "
            f"{fmt(summary['kernel_p50_ms'])}/{fmt(summary['kernel_p95_ms'])} ms, "
            f"{summary['timeouts']} timeouts), "
            f"{fmt((summary['bytes_median'] or 0) / 1024)} KB/change"
            + (f"; {note}" if note else "")
        )
        return summary

    def hover_box(self, sel: str) -> dict[str, float]:
        """The box of ``sel`` with the pointer resting on it. Where the pointer is changes the
        layout (tsvideo's detail legend is taller while the pointer is over the detail, which
        moves the overview down), so a position must be measured with the pointer already
        over the element the gesture is on."""
        box = self.ev("(s) => window.__B.box(s)", sel)
        for _ in range(4):
            self.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            self.ev("() => window.__B.afterFrames(2)")
            again = self.ev("(s) => window.__B.box(s)", sel)
            if all(abs(again[k] - box[k]) < 0.5 for k in ("x", "y", "width", "height")):
                return again
            box = again
        return box

    def gesture(self, tool: str, event: str, timeout_ms: int, act: Any) -> dict[str, Any]:
        """Arm the page's record for ``event``, run ``act()`` (the mouse gesture), wait."""
        armed = self.ev(
            "(a) => window.__B.arm(a)", {"tool": tool, "event": event, "timeoutMs": timeout_ms}
        )
        if armed.get("error"):
            raise RuntimeError(armed["error"])
        act()
        rec = self.ev("(t) => window.__B.armWait(t)", timeout_ms + 3000)
        rec["t_gesture"] = armed["t"]
        return rec

    def drag_act(self, press: float, release: float, y: float, info: dict[str, Any]) -> Any:
        """A drag from ``press`` to ``release``: the pointer is where it would be at each 1/60 s
        of a ~250 ms straight move. Each page.mouse.move waits until the page has handled it;
        when the page is slower than 60 Hz, moves already overdue are left out (as the browser
        coalesces a real mouse's moves), so the gesture still lasts about 250 ms."""

        def act() -> None:
            self.page.mouse.down()
            p0 = time.perf_counter()
            i = 0
            sent = 0
            while i < GESTURE_MOVES:
                now = time.perf_counter()
                due = min(GESTURE_MOVES, int((now - p0) * MOVE_HZ))
                if due <= i:
                    time.sleep(p0 + (i + 1) / MOVE_HZ - now)
                    due = i + 1
                i = due
                self.page.mouse.move(press + (release - press) * i / GESTURE_MOVES, y)
                sent += 1
            info["gesture_s"] = time.perf_counter() - p0
            self.page.mouse.up()
            info["moves_sent"] = sent

        self.page.mouse.move(press, y)
        return act

    def tsv_change(
        self, kind: str, ch: dict[str, Any], cur: Sel, span: float, timeout_ms: int
    ) -> dict[str, Any]:
        a, b = ch["window"]
        extra: dict[str, Any] = {}
        if kind == "zoom":
            det = self.hover_box(".jp-Notebook [data-part='detail'] .u-over")
            x = det["x"] + ch["frac"] * det["width"]
            y = det["y"] + det["height"] / 2
            wheels = int(ch["wheels"])
            dy = math.log(ch["factor"]) / math.log(WHEEL_STEP) / wheels
            self.page.mouse.move(x, y)

            def act() -> None:
                self.page.keyboard.down("Control")
                try:
                    for i in range(wheels):
                        if i:
                            time.sleep(1 / MOVE_HZ)
                        self.page.mouse.wheel(0, dy)
                finally:
                    self.page.keyboard.up("Control")

            rec = self.gesture("tsvideo", "wheel", timeout_ms, act)
            extra["wheels_seen"] = rec.get("seen")
        else:
            ov = self.hover_box(".jp-Notebook [data-part='overview'] .u-over")
            pps = ov["width"] / span
            y = ov["y"] + ov["height"] / 2
            if kind == "jump":
                x = ov["x"] + ch["center"] * pps
                rec = self.gesture(
                    "tsvideo", "pointerdown", timeout_ms, lambda: self.page.mouse.click(x, y)
                )
            else:
                cx = ov["x"] + (cur[0] + cur[1]) / 2 * pps
                tx = ov["x"] + (a + b) / 2 * pps
                part = self.ev("([x, y]) => window.__B.partAt(x, y)", [cx, y])
                press = None
                if part == "range":
                    press, how = cx, "range"
                else:
                    # The range is too narrow to have a middle of its own: its two 10 px
                    # resize handles (reaching 5 px beyond each edge) cover it, and a press
                    # there resizes. Grab the overview just beside the handles, behind the
                    # motion (the range jumps under the pointer, as a click there does).
                    how = "beside"
                    half = (cur[1] - cur[0]) * pps / 2
                    side = -1.0 if tx >= cx else 1.0
                    for sd in (side, -side):
                        px_ = cx + sd * (half + HANDLE_CLEAR_PX)
                        inside = ov["x"] + 1 <= px_ <= ov["x"] + ov["width"] - 1
                        if inside and not str(
                            self.ev("([x, y]) => window.__B.partAt(x, y)", [px_, y])
                        ).startswith("range"):
                            press = px_
                            break
                if press is None:
                    return {"timeout": True, "error": f"no place to grab the range (part {part})"}
                extra.update({"press": how, "part_at_centre": part, "move_px": tx - press})
                act = self.drag_act(press, tx, y, extra)
                rec = self.gesture("tsvideo", "pointerup", timeout_ms, act)
        return self.change_result("tsvideo", ch, rec, extra)

    def plotly_change(
        self, kind: str, ch: dict[str, Any], cur: Sel, timeout_ms: int
    ) -> dict[str, Any]:
        a, b = ch["window"]
        self.wait_idle(30)
        if kind != "drag":
            # What a zoom ends with (and a jump): relayout of the x range from the page.
            r = self.ev("([a, b, t]) => window.__B.plotlyChange(a, b, t)", [a, b, timeout_ms])
            if r.get("error"):
                raise RuntimeError(r["error"])
            rec = dict(r, tEvent=r["t0"], t_gesture=r["t0"], event="relayout")
            if not r.get("timeout"):
                rec["range1"] = [a, b]
            return self.change_result(
                "plotly-resampler", ch, rec, {"relayout_call_ms": r["tCall"] - r["t0"]}
            )
        box = self.hover_box(".jp-Notebook .js-plotly-plot .nsewdrag")
        width = cur[1] - cur[0]
        d = (a + b) / 2 - (cur[0] + cur[1]) / 2
        travel = -d / width * box["width"]  # dragging the plot right shows earlier times
        press = box["x"] + (0.1 if travel > 0 else 0.9) * box["width"]
        y = box["y"] + box["height"] / 2
        extra: dict[str, Any] = {"move_px": travel, "plot_px": box["width"]}
        act = self.drag_act(press, press + travel, y, extra)
        rec = self.gesture("plotly-resampler", "pointerup", timeout_ms, act)
        if rec.get("timeout"):
            r1 = self.ev("() => window.__B.plotlyRange()")
            extra["axis_moved"] = bool(r1) and abs(r1[0] - cur[0]) > 1e-6 * width
        return self.change_result("plotly-resampler", ch, rec, extra)

    def change_result(
        self, tool: str, ch: dict[str, Any], rec: dict[str, Any], extra: dict[str, Any]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"i": ch["i"], "planned": list(ch["window"]), **extra}
        if rec.get("missing") or rec.get("timeout"):
            out.update(
                timeout=True,
                event_seen=not rec.get("missing"),
                target=rec.get("target"),
                src0=rec.get("src0"),
                error=rec.get("error"),
            )
            return out
        tc, tp = rec["tCond"], rec["tPaint"]
        # Latency runs from when the page saw the input (capture phase) for a real
        # event, from the call for plotly's relayout: the same origin for both tools.
        # The wait before that (the event's own timestamp -> the page) is kept apart.
        t0 = rec.get("tCapture", rec["tEvent"])
        tg = rec["t_gesture"]
        evs = self.tap.between(tg, tc)
        out.update(
            t_gesture=tg,
            latency_ms=tp - t0,
            latency_from_os_event_ms=tp - rec["tEvent"],
            input_delay_ms=t0 - rec["tEvent"],
            gesture_ms=t0 - tg,
            # event timestamp -> the page's handlers ran (wheel and move events wait for a frame)
            event_delay_ms=rec["tAfter"] - t0 if rec.get("tAfter") is not None else None,
            **byte_summary(evs),
        )
        out["target"] = rec.get("target")
        if tool == "tsvideo":
            out["src0"] = rec.get("src0")
            out["cached"] = rec.get("src0") == "detail"
            sent = [e for e in evs if e["dir"] == "sent" and e.get("ctype") == "detail"]
            recv = [e for e in evs if e["dir"] == "recv" and e.get("ctype") == "detail"]
        else:
            out["cached"] = False
            out["points"] = rec.get("points")
            sent = [e for e in evs if e["dir"] == "sent" and e.get("msg_type") == "comm_msg"]
            recv = [e for e in evs if e["dir"] == "recv" and e.get("msg_type") == "comm_msg"]
        out["requests"] = len(sent)
        out["requests_after_event"] = sum(1 for e in sent if e["t"] >= t0)
        if sent and recv and not out["cached"]:
            # The last request (the final window's) and the last reply before the paint.
            out["request_ms"] = sent[-1]["t"] - t0
            out["roundtrip_ms"] = recv[-1]["t"] - sent[-1]["t"]
            out["draw_ms"] = tp - recv[-1]["t"]
        return out

    # -- continuous drag
    def drag(self, tool: str, deadline: float) -> dict[str, Any]:
        seconds = float(self.opts["drag_seconds"])
        step = 3.0
        if tool == "tsvideo":
            self.kexec("w.selection = (0.0, 5.0)")
            self.ev("(t) => window.__B.tsvQuiet(t)", 20000)
            box = self.hover_box(".jp-Notebook [data-part='overview'] .u-over")
            lo, hi = box["x"] + 0.10 * box["width"], box["x"] + 0.90 * box["width"]
            ds0 = self.ev("() => window.__B.tsvDataset()")
        else:
            self.wait_idle(30)
            box = self.hover_box(".jp-Notebook .js-plotly-plot .nsewdrag")
            lo, hi = box["x"] + 0.2 * box["width"], box["x"] + 0.8 * box["width"]
            ds0 = None
        y = box["y"] + box["height"] / 2
        time.sleep(0.3)
        x = lo
        direction = 1.0
        self.page.mouse.move(x, y)
        t_start = self.ev("() => window.__B.framesStart()")
        self.page.mouse.down()
        p0 = time.perf_counter()
        moves = 0
        max_moves = int(seconds * 60) + 10
        while moves < max_moves:
            now = time.perf_counter()
            if now - p0 >= seconds:
                break
            target = p0 + (moves + 1) / 60.0
            if target > now:
                time.sleep(target - now)
            x += direction * step
            if x >= hi or x <= lo:
                direction = -direction
                x = min(max(x, lo), hi)
            self.page.mouse.move(x, y)
            moves += 1
        self.page.mouse.up()
        stop = self.ev("() => window.__B.framesStop()")
        wall = time.perf_counter() - p0
        t_end = stop["t"]
        frames = [f for f in stop["frames"] if t_start <= f <= t_end]
        deltas = [b - a for a, b in itertools.pairwise(frames)]
        evs = self.tap.between(t_start, t_end)
        dur = (t_end - t_start) / 1000
        sent = [e for e in evs if e["dir"] == "sent"]
        comm_sent = [e for e in sent if str(e.get("msg_type", "")).startswith("comm")]
        det_req = [e for e in sent if e.get("ctype") == "detail"]
        # Detail requests in flight, from the frames in page-time order (replies may come
        # after the drag ended: look a few seconds further).
        later = self.tap.between(t_start, t_end + 5000)
        inflight = 0
        max_inflight = 0
        pending: set[Any] = set()
        for e in later:
            if e.get("ctype") != "detail":
                continue
            if e["dir"] == "sent":
                pending.add(e.get("cid"))
            else:
                pending.discard(e.get("cid"))
            inflight = len(pending)
            max_inflight = max(max_inflight, inflight)
        out = {
            "seconds": dur,
            "python_wall_s": wall,
            "mouse_moves_sent": moves,
            "pointermoves_seen": stop["pmoves"],
            "frames": len(frames),
            "fps": len(frames) / dur if dur > 0 else None,
            "frame_p50_ms": pct(deltas, 50),
            "frame_p95_ms": pct(deltas, 95),
            "frame_max_ms": max(deltas) if deltas else None,
            "frames_over_33ms": sum(1 for d in deltas if d > 33.4),
            "kernel_msgs_sent_per_s": len(sent) / dur if dur > 0 else None,
            "widget_msgs_sent_per_s": len(comm_sent) / dur if dur > 0 else None,
            "detail_requests_per_s": len(det_req) / dur if dur > 0 else None,
            "detail_requests": len(det_req),
            "state_updates_sent": sum(1 for e in comm_sent if e.get("method") == "update"),
            "bytes_received": sum(e["size"] for e in evs if e["dir"] == "recv"),
            "max_detail_requests_in_flight": max_inflight if tool == "tsvideo" else None,
        }
        if tool == "tsvideo":
            self.ev("(t) => window.__B.tsvQuiet(t)", 20000)
            ds1 = self.ev("() => window.__B.tsvDataset()")
            out["dataset_before"] = ds0
            out["dataset_after"] = ds1
        self.log(
            f"{tool} drag {dur:.1f} s: frame p50 {fmt(out['frame_p50_ms'])} ms, p95 "
            f"{fmt(out['frame_p95_ms'])} ms, {fmt(out['kernel_msgs_sent_per_s'])} kernel msgs/s "
            f"({fmt(out['detail_requests_per_s'])} detail req/s), "
            f"max in flight {out['max_detail_requests_in_flight']}"
        )
        return out


def worker_main(args: argparse.Namespace) -> int:
    s = json.loads(args.worker)
    opts = json.loads(args.worker_opts)
    result = Path(args.result)
    w = Worker(s, opts, Path(str(result) + ".kernel-pid"))
    try:
        res = w.run()
    except Exception as exc:
        res = w.res
        res["fatal"] = f"{type(exc).__name__}: {exc}"[:3000]
        res["traceback"] = traceback.format_exc()[-4000:]
        print(f"  [{s['id']}] FATAL {res['fatal'][:500]}", flush=True)
    result.write_text(json.dumps(res, indent=1, default=str))
    return 0


# ============================================================================ parent


def kill_kernel(pidfile: Path) -> None:
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return
    if "ipykernel" in cmd:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def run_scenario(s: dict[str, Any], args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    need = memory_needed(s)
    avail = meminfo().get("MemAvailable", 0)
    if avail < need:
        reason = (
            f"skipped: needs about {need / 2**30:.1f} GiB of free memory, "
            f"/proc/meminfo MemAvailable is {avail / 2**30:.1f} GiB"
        )
        print(f"== {s['id']}: {reason}", flush=True)
        return {"scenario": s, "skipped": reason}
    result = out_dir / f"scenario-{s['id']}.json"
    pidfile = Path(str(result) + ".kernel-pid")
    for p in (result, pidfile):
        if p.exists():
            p.unlink()
    limit = hard_timeout(s, args)
    opts = worker_opts(args)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        json.dumps(s),
        "--worker-opts",
        json.dumps(opts),
        "--result",
        str(result),
    ]
    print(f"== {s['id']} (data {data_bytes(s) / 1e9:.2f} GB, time limit {limit:.0f} s)", flush=True)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, start_new_session=True)
    timed_out = False
    try:
        proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        timed_out = True
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue
    finally:
        kill_kernel(pidfile)  # normally gone already with its server
    elapsed = time.monotonic() - t0
    if result.exists():
        res = json.loads(result.read_text())
    else:
        res = {"scenario": s, "fatal": "worker wrote no result"}
    if timed_out:
        res["fatal"] = f"scenario timeout: killed after {limit:.0f} s"
        for tool in args.tools:
            res.setdefault("tools", {}).setdefault(tool, {"status": "timeout"})
    res["elapsed_s"] = elapsed
    return res


def write_json(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1, default=str))
    tmp.replace(path)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick", action="store_true", help="1e4, 1e6, 1e7 samples; 1 and 8 channels; float32"
    )
    ap.add_argument(
        "--sizes", type=float, nargs="+", help="sample counts (1e9 means the int16 single channel)"
    )
    ap.add_argument("--channels", type=int, nargs="+", help="channel counts (default 1 8)")
    ap.add_argument("--dtypes", nargs="+", choices=["float32", "float64"], help="channel dtypes")
    ap.add_argument("--no-huge", action="store_true", help="leave out the 1e9 int16 scenario")
    ap.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    ap.add_argument(
        "--plotly-trace",
        choices=["scattergl", "scatter"],
        default="scattergl",
        help="plotly trace type for plotly-resampler (WebGL scattergl by default; scatter is SVG)",
    )
    ap.add_argument("--repeats", type=int, default=3, help="first-paint runs per scenario (>= 3)")
    ap.add_argument(
        "--refreshes", type=int, default=30, help="window changes per kind and width (>= 30)"
    )
    ap.add_argument(
        "--kinds",
        nargs="+",
        choices=KINDS,
        default=list(KINDS),
        help="kinds of window change to measure: drag (drag end), zoom, jump",
    )
    ap.add_argument(
        "--wide-kinds",
        nargs="*",
        choices=KINDS,
        default=["drag"],
        help="kinds also measured with the wide window (1%% of the span, n >= 1e7; default drag)",
    )
    ap.add_argument("--drag-seconds", type=float, default=10.0)
    ap.add_argument("--timeout-scale", type=float, default=1.0, help="multiply every time budget")
    ap.add_argument("--out", default=str(HERE / "out" / "results.json"))
    ap.add_argument(
        "--report", metavar="RESULTS_JSON", help="print the tables of a results file and exit"
    )
    ap.add_argument("--markdown", action="store_true", help="with --report: markdown tables")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker-opts", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker_main(args)
    if args.report:
        doc = json.loads(Path(args.report).read_text())
        print(report(doc, args.markdown))
        return 0
    if not os.path.exists(h.CHROMIUM):
        print(f"{h.CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2
    out = Path(args.out)
    out_dir = out.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    scns = scenarios(args)
    t_start = time.time()
    doc: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine_info(),
        "settings": {
            "quick": args.quick,
            # What the workers are told, with the plotly trace spelt out.
            **worker_opts(args),
            "plotly_trace": f"{args.plotly_trace}, mode=lines, "
            "default aggregator (MinMaxLTTB, 1000 points)",
            "tsvideo_widget": 'TimeSeriesVideo(df, time="time"), no media',
            "paint_timeout_s": PAINT_TIMEOUT_S,
            "refresh_timeout_s": REFRESH_TIMEOUT_S,
        },
        "scenarios": [s["id"] for s in scns],
        "results": [],
    }
    m = doc["machine"]
    print(
        f"machine: {m['nproc']} CPUs ({m['cpu_model']}), "
        f"{m['mem_total_bytes'] / 2**30:.1f} GiB RAM, "
        f"{m['chromium']}, Python {m['python']}; commit {m['git_commit'][:12]}"
        + (f" (+{len(m['git_dirty_files'])} uncommitted files)" if m["git_dirty_files"] else ""),
        flush=True,
    )
    print(f"scenarios: {', '.join(doc['scenarios'])}", flush=True)
    for s in scns:
        res = run_scenario(s, args, out_dir)
        doc["results"].append(res)
        doc["elapsed_s"] = time.time() - t_start
        doc["targets"] = targets(doc["results"])
        write_json(out, doc)
        print(table(res), flush=True)
    doc["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    doc["elapsed_s"] = time.time() - t_start
    doc["targets"] = targets(doc["results"])
    write_json(out, doc)
    print(report({"results": [], "targets": doc["targets"]}, markdown=False))
    print(f"wrote {out} ({doc['elapsed_s'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
