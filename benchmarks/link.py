#!/usr/bin/env python
"""Window changes over a slow link: tsvideo-widget against plotly-resampler.

    python benchmarks/link.py [--sizes 1e7] [--channels 1 8] [--out benchmarks/out/link.json]
    python benchmarks/link.py --tools tsvideo --esm OLD/widget.js   # another build of the front end
    python benchmarks/link.py --report benchmarks/out/link.json

The scenarios, gestures and measurements of ``benchmarks/run.py`` (imported, not
copied: its ``Worker`` runs each scenario: first paints, drag ends, zooms, jumps,
the continuous drag), with one difference: Chromium reaches the Jupyter server
through a throttling proxy on 127.0.0.1 that gives every connection, page
loads, REST calls and the kernel websocket alike, the link of a remote
JupyterHub or Colab: ``--mbit`` (10) Mbit/s each way, shared by all connections
of a direction, and ``--delay-ms`` (25) ms each way, 50 ms of round trip. Bytes
pass through untouched (websocket frames too), in order, each read of up to
16 KB leaving when the link has sent what came before it and arriving
``delay`` later. The proxy's own sockets have Nagle off, so it adds no waits
of its own; the Jupyter server's Nagle (the server -> proxy hop, loopback) is
left as it is, as ``run.py`` leaves it.

``tc netem`` would do the same in the kernel, but this machine's kernel has no
``netem`` qdisc (``tc qdisc add dev lo root netem delay 25ms``: "Specified qdisc
kind is unknown"; ``tbf`` exists but only limits the rate, and would throttle
every loopback connection of the machine, not just this run's).

Per series (kind x width) the table gives the refresh latency median and p95
(as run.py: from the input the page received to the first frame painted with
the window at full resolution), the bytes per change (kernel -> browser
websocket frames, ``benchmarks/wsframes.py``) from the gesture to that paint
(median, run.py's figure) and until the page settled again (mean: everything a
change costs, prefetches included), and the share of changes drawn from data
the browser held. It checks the targets: tsvideo's drag-end and zoom p95 at
most 150 ms, and its bytes per change at most plotly-resampler's; the command exits
with 1 when the bytes per change miss (to the paint or until settled, any series).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, ClassVar

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (benchmarks/run.py: its scenarios, worker and gestures)
from report import KIND_LABEL, fmt  # noqa: E402

h = run.h  # the project's e2e harness, as run.py imported it

CHUNK = 16384
"""Bytes the proxy reads at a time: a frame larger than this streams in pieces."""

P95_TARGET_MS = 150.0
"""tsvideo's drag-end and zoom p95 on the slow link (ms)."""


# ============================================================================ the link


class Direction:
    """One direction of the link: ``rate`` bytes/s shared by every connection, ``delay`` s."""

    def __init__(self, rate: float, delay: float) -> None:
        self.rate = rate
        self.delay = delay
        self.free_at = 0.0
        self.bytes = 0

    def arrival(self, now: float, n: int) -> float:
        """When ``n`` bytes handed to the link at ``now`` arrive at the other end."""
        start = max(now, self.free_at)
        self.free_at = start + n / self.rate
        self.bytes += n
        return self.free_at + self.delay


class ThrottleProxy:
    """A TCP proxy 127.0.0.1:``port`` -> 127.0.0.1:``upstream`` over a slow link (module doc).

    Runs its own asyncio loop in a daemon thread; :meth:`stop` closes it.
    """

    def __init__(self, upstream: int, mbit: float, delay_ms: float, quickack: bool = False) -> None:
        self.upstream = upstream
        self.quickack = quickack
        rate = mbit * 1e6 / 8
        self.up = Direction(rate, delay_ms / 1000)  # browser -> server
        self.down = Direction(rate, delay_ms / 1000)  # server -> browser
        self.port = h.free_port()
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="throttle-proxy", daemon=True)
        self._server: asyncio.AbstractServer | None = None

    def start(self) -> ThrottleProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the throttling proxy did not start")
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._accept, "127.0.0.1", self.port)
        )
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()

    async def _accept(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            cwriter.close()
            return
        for w in (cwriter, swriter):
            sock = w.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        upstream = swriter.get_extra_info("socket") if self.quickack else None
        await asyncio.gather(
            self._pump(creader, swriter, self.up),
            self._pump(sreader, cwriter, self.down, upstream),
            return_exceptions=True,
        )

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        link: Direction,
        ack: socket.socket | None = None,
    ) -> None:
        """Bytes from ``reader`` to ``writer``, each read arriving when ``link`` says; with
        ``ack``, that socket acknowledges what it received at once (TCP_QUICKACK)."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        async def deliver() -> None:
            while True:
                at, data = await queue.get()
                if not data:
                    break
                wait = at - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
            with contextlib.suppress(OSError):
                writer.close()

        sender = asyncio.create_task(deliver())
        try:
            while True:
                if ack is not None:
                    ack.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                data = await reader.read(CHUNK)
                if not data:
                    break
                queue.put_nowait((link.arrival(loop.time(), len(data)), data))
        except OSError:
            pass
        finally:
            queue.put_nowait((0.0, b""))
            with contextlib.suppress(Exception):
                await sender


class ProxiedServer(h.JupyterServer):
    """The harness's JupyterServer, with the pages opened through a :class:`ThrottleProxy`.

    REST calls of the harness itself (``api``) go straight to the server.
    """

    LINK: ClassVar[dict[str, Any]] = {"mbit": 10.0, "delay_ms": 25.0, "quickack": False}

    def start(self) -> ProxiedServer:
        super().start()
        self.proxy = ThrottleProxy(self.port, **self.LINK).start()
        return self

    def page_url(self, nb_path: str) -> str:
        url = super().page_url(nb_path)
        return url.replace(self.origin, f"http://127.0.0.1:{self.proxy.port}", 1)

    def stop(self) -> None:
        proxy = getattr(self, "proxy", None)
        if proxy is not None:
            proxy.stop()
        super().stop()


# ============================================================================ worker


def bundle_cell(esm: Path) -> str:
    """Kernel code that makes ``TimeSeriesVideo`` in the benchmark's cells ship ``esm``."""
    css = esm.with_suffix(".css")
    return (
        "\nimport pathlib as _pl\n"
        "class TimeSeriesVideo(TimeSeriesVideo):\n"
        '    """The widget with another build of its front end (link.py --esm)."""\n\n'
        f"    _esm = _pl.Path({str(esm)!r})\n"
        + (f"    _css = _pl.Path({str(css)!r})\n" if css.exists() else "")
    )


def worker_main(args: argparse.Namespace) -> int:
    s = json.loads(args.worker)
    opts = json.loads(args.worker_opts)
    link = json.loads(args.link)
    result = Path(args.result)
    # run.Worker builds its server as h.JupyterServer(root, home): this worker's is proxied.
    ProxiedServer.LINK = {k: link[k] for k in ("mbit", "delay_ms", "quickack")}
    h.JupyterServer = ProxiedServer  # type: ignore[misc]
    # JupyterLab's own code comes through the link too: give the page longer to open.
    h.NOTEBOOK_OPEN_TIMEOUT = 180_000
    h.KERNEL_EXEC_TIMEOUT = 60.0
    if link.get("esm"):
        base = run.data_cell
        extra = bundle_cell(Path(link["esm"]))
        run.data_cell = lambda *a, **k: base(*a, **k) + extra
    w = run.Worker(s, opts, Path(str(result) + ".kernel-pid"))
    try:
        res = w.run()
    except Exception as exc:
        res = w.res
        res["fatal"] = f"{type(exc).__name__}: {exc}"[:3000]
        res["traceback"] = traceback.format_exc()[-4000:]
        print(f"  [{s['id']}] FATAL {res['fatal'][:500]}", flush=True)
    res["link"] = link
    server = getattr(w, "server", None)
    proxy = getattr(server, "proxy", None)
    if proxy is not None:
        res["proxy"] = {
            "connections": proxy.connections,
            "bytes_down": proxy.down.bytes,
            "bytes_up": proxy.up.bytes,
        }
    result.write_text(json.dumps(res, indent=1, default=str))
    return 0


def run_scenario(s: dict[str, Any], args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    """One scenario in a worker process (this file, ``--worker``) under a hard time limit."""
    result = out_dir / f"link-{s['id']}{args.tag}.json"
    pidfile = Path(str(result) + ".kernel-pid")
    for p in (result, pidfile):
        p.unlink(missing_ok=True)
    link = {"mbit": args.mbit, "delay_ms": args.delay_ms, "esm": args.esm}
    link["quickack"] = args.quickack
    limit = run.hard_timeout(s, args)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(s)]
    cmd += ["--worker-opts", json.dumps(run.worker_opts(args)), "--link", json.dumps(link)]
    cmd += ["--result", str(result)]
    print(f"== {s['id']} over {args.mbit:g} Mbit/s, {2 * args.delay_ms:g} ms RTT", flush=True)
    proc = subprocess.Popen(cmd, start_new_session=True)
    try:
        proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
                break
    finally:
        run.kill_kernel(pidfile)
    if result.exists():
        return dict(json.loads(result.read_text()))
    return {"scenario": s, "fatal": f"worker wrote no result (limit {limit:.0f} s)"}


# ============================================================================ report


def per_change(series: dict[str, Any]) -> dict[str, Any]:
    """Bytes per change of one series: median to the paint, mean until settled (KB)."""
    ok = [r for r in series.get("samples", []) if not r.get("timeout")]
    settled = [r["bytes_until_settled"] for r in ok if r.get("bytes_until_settled") is not None]
    return {
        "to_paint_kb": (series.get("bytes_median") or 0) / 1024,
        "settled_mean_kb": sum(settled) / len(settled) / 1024 if settled else None,
    }


def rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per scenario, tool, kind and width."""
    out = []
    for res in doc["results"]:
        sid = res.get("scenario", {}).get("id")
        for tool, t in (res.get("tools") or {}).items():
            fp = t.get("first_paint") or {}
            for kind, widths in (t.get("refresh") or {}).items():
                for wname, series in widths.items():
                    out.append(
                        {
                            "scenario": sid,
                            "tool": tool + (doc.get("tag") or ""),
                            "kind": kind,
                            "width": wname,
                            "p50": series.get("p50_ms"),
                            "p95": series.get("p95_ms"),
                            "timeouts": series.get("timeouts"),
                            "from_browser": series.get("from_browser_share"),
                            "first_paint_ms": fp.get("total_ms"),
                            **per_change(series),
                        }
                    )
    return out


def table(doc: dict[str, Any]) -> str:
    lines = [
        "| scenario | tool | change | p50 ms | p95 ms | KB to paint (median) | "
        "KB until settled (mean) | from browser | first paint ms |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows(doc):
        share = r["from_browser"]
        lines.append(
            f"| {r['scenario']} | {r['tool']} | {KIND_LABEL[r['kind']]} {r['width']} | "
            f"{fmt(r['p50'])} | {fmt(r['p95'])} | {fmt(r['to_paint_kb'])} | "
            f"{fmt(r['settled_mean_kb'])} | "
            f"{'' if share is None else f'{share:.0%}'} | {fmt(r['first_paint_ms'], 0)} |"
        )
    return "\n".join(lines)


def targets(doc: dict[str, Any]) -> list[str]:
    """met/MISS lines: tsvideo p95 <= 150 ms (drag end, zoom), bytes <= plotly-resampler's."""
    out = []
    by = {(r["scenario"], r["tool"], r["kind"], r["width"]): r for r in rows(doc)}
    for (sid, tool, kind, width), r in sorted(by.items()):
        if tool != "tsvideo" or kind == "jump":
            continue
        p95 = r["p95"]
        ok = p95 is not None and p95 <= P95_TARGET_MS and not r["timeouts"]
        out.append(
            f"{'met ' if ok else 'MISS'} {sid} {KIND_LABEL[kind]} {width}: p95 {fmt(p95)} ms "
            f"(target {P95_TARGET_MS:.0f})"
        )
        peer = by.get((sid, "plotly-resampler", kind, width))
        if peer is None:
            continue
        for key, what in (("to_paint_kb", "to the paint, median"), ("settled_mean_kb", "mean")):
            mine, theirs = r[key], peer[key]
            if mine is None or theirs is None:
                continue
            out.append(
                f"{'met ' if mine <= theirs else 'MISS'} {sid} {KIND_LABEL[kind]} {width}: "
                f"{fmt(mine)} KB per change ({what}) against plotly-resampler's {fmt(theirs)}"
            )
    return out


def report(doc: dict[str, Any]) -> str:
    link = doc.get("link", {})
    head = f"link: {link.get('mbit')} Mbit/s each way, {2 * link.get('delay_ms', 0):g} ms RTT"
    return "\n".join([head, "", table(doc), "", *targets(doc)])


def bytes_check(doc: dict[str, Any]) -> int:
    """The bytes-per-change check: 1 when tsvideo spent more bytes per change than
    plotly-resampler on any series measured for both (to the paint or until settled),
    0 otherwise (the p95 targets are printed, not enforced: they depend on the machine)."""
    misses = [line for line in targets(doc) if line.startswith("MISS") and "KB per change" in line]
    for line in misses:
        print(f"bytes per change over plotly-resampler's: {line[5:]}", file=sys.stderr)
    return 1 if misses else 0


# ============================================================================ main


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e7])
    ap.add_argument("--channels", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--dtypes", nargs="+", default=["float32"], choices=["float32", "float64"])
    ap.add_argument("--tools", nargs="+", choices=run.TOOLS, default=list(run.TOOLS))
    ap.add_argument("--mbit", type=float, default=10.0, help="link rate each way (Mbit/s)")
    ap.add_argument("--delay-ms", type=float, default=25.0, help="one-way delay (ms)")
    ap.add_argument(
        "--quickack",
        action="store_true",
        help="the proxy acknowledges the server's segments at once (TCP_QUICKACK): shows what "
        "the Jupyter server's Nagle waits cost (diagnostic; a real link acknowledges later)",
    )
    ap.add_argument("--esm", help="measure this build of the front end (a widget.js) instead")
    ap.add_argument("--tag", default="", help="appended to the tool names and result files")
    ap.add_argument("--plotly-trace", choices=["scattergl", "scatter"], default="scattergl")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--refreshes", type=int, default=30)
    ap.add_argument("--kinds", nargs="+", choices=run.KINDS, default=list(run.KINDS))
    ap.add_argument("--wide-kinds", nargs="*", choices=run.KINDS, default=["drag"])
    ap.add_argument("--drag-seconds", type=float, default=10.0)
    ap.add_argument("--timeout-scale", type=float, default=3.0)
    ap.add_argument("--out", default=str(HERE / "out" / "link.json"))
    ap.add_argument("--report", metavar="LINK_JSON", help="print the tables of a results file")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker-opts", help=argparse.SUPPRESS)
    ap.add_argument("--link", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker_main(args)
    if args.report:
        done = json.loads(Path(args.report).read_text())
        print(report(done))
        return bytes_check(done)
    if args.esm:
        args.esm = str(Path(args.esm).resolve())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    scns = []
    for n in args.sizes:
        for nch in args.channels:
            for dt in args.dtypes:
                s = {"n": int(n), "nch": nch, "dtype": dt}
                s["id"] = run.scenario_id(s)
                scns.append(s)
    doc: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": run.machine_info(),
        "link": {
            "mbit": args.mbit,
            "delay_ms": args.delay_ms,
            "esm": args.esm,
            "quickack": args.quickack,
        },
        "tag": args.tag,
        "settings": run.worker_opts(args),
        "results": [],
    }
    t0 = time.time()
    for s in scns:
        res = run_scenario(s, args, out.parent)
        doc["results"].append(res)
        doc["elapsed_s"] = time.time() - t0
        run.write_json(out, doc)
        print(table({"results": [res], "tag": args.tag}), flush=True)
    doc["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    run.write_json(out, doc)
    print(report(doc))
    print(f"wrote {out} ({(time.time() - t0) / 60:.1f} min)")
    return bytes_check(doc)


if __name__ == "__main__":
    sys.exit(main())
