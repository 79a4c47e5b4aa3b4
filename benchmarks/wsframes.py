"""Kernel websocket frames as the page sees them: decode, time, and sum their bytes.

Part of the benchmark (benchmarks/run.py): JupyterLab 4's binary
``v1.kernel.websocket.jupyter.org`` frames are decoded into channel, msg_type,
comm method and the widget's custom message type, so bytes can be counted per
kind between two page-clock instants.
"""

from __future__ import annotations

import json
import re
import struct
import time
from typing import Any

KERNEL_WS = re.compile(r"/api/kernels/[^/?]+/channels")

# ============================================================================ websocket frames


def parse_frame(payload: bytes | str) -> dict[str, Any]:
    """What a kernel websocket frame carries: channel, msg_type, comm details, code bytes.

    JupyterLab 4 talks the ``v1.kernel.websocket.jupyter.org`` binary protocol
    (offsets, then channel, header, parent header, metadata, content, buffers);
    plain JSON text frames are understood too.
    """
    raw = payload if isinstance(payload, bytes) else payload.encode()
    info: dict[str, Any] = {"size": len(raw), "binary": isinstance(payload, bytes)}
    try:
        if isinstance(payload, str):
            msg = json.loads(payload)
            channel, header, content = (
                msg.get("channel"),
                msg.get("header", {}),
                msg.get("content", {}),
            )
        else:
            n = struct.unpack_from("<Q", raw, 0)[0]
            offs = list(struct.unpack_from(f"<{n}Q", raw, 8))
            if offs[-1] < len(raw):
                offs.append(len(raw))
            parts = [raw[offs[i] : offs[i + 1]] for i in range(len(offs) - 1)]
            channel = parts[0].decode()
            header = json.loads(parts[1])
            mt = header.get("msg_type", "")
            content = json.loads(parts[4]) if mt.startswith("comm") else {}
            info["buffers"] = [len(p) for p in parts[5:]]
        mt = header.get("msg_type", "")
        info["channel"] = channel
        info["msg_type"] = mt
        if mt == "comm_open":
            data = content.get("data", {})
            state = data.get("state", {})
            code = 0
            for key in ("_esm", "_css"):
                val = state.get(key)
                if isinstance(val, str):
                    code += len(val.encode())
            info["code_bytes"] = code
            info["model"] = state.get("_model_name")
            info["comm_id"] = content.get("comm_id")
        elif mt == "comm_msg":
            data = content.get("data", {})
            method = data.get("method")
            info["method"] = method
            info["comm_id"] = content.get("comm_id")
            if method == "custom":
                c = data.get("content") or {}
                info["ctype"] = c.get("type")
                info["cid"] = c.get("id")
            elif method in ("update", "echo_update"):
                info["keys"] = sorted((data.get("state") or {}).keys())
    except Exception as exc:
        info["parse_error"] = repr(exc)[:200]
    return info


class WsTap:
    """Frames of the page's kernel websockets: content from Playwright, times from the page.

    Playwright's ``page.on("websocket")`` → ``framereceived``/``framesent`` give
    every frame's payload (its size and what it is); pagekit.js logs the same
    frames with ``performance.now()`` in the page. The i-th frame of a socket in
    one direction is the i-th in both lists, so each frame gets a page time.
    """

    def __init__(self, page: Any) -> None:
        self.page = page
        self.socks: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.order: list[str] = []
        self.events: list[dict[str, Any]] = []
        self._plog_len = 0
        self._counters: dict[tuple[int, int], int] = {}
        self.size_mismatch = 0
        self.unpaired = 0
        page.on("websocket", self._on_ws)

    def _on_ws(self, ws: Any) -> None:
        if not KERNEL_WS.search(ws.url):
            return
        lists: dict[str, list[dict[str, Any]]] = {"r": [], "s": []}
        self.socks[ws.url] = lists
        self.order.append(ws.url)
        ws.on("framereceived", lambda p: lists["r"].append(parse_frame(p)))
        ws.on("framesent", lambda p: lists["s"].append(parse_frame(p)))

    def sync(self, pump_s: float = 3.0) -> list[dict[str, Any]]:
        """Pull the page's frame log and pair it with Playwright's frames; returns all events."""
        got = self.page.evaluate("(k) => window.__B.logSince(k)", self._plog_len)
        entries, urls = got["entries"], got["urls"]
        self._plog_len += len(entries)
        for t, d, sid, size in entries:
            key = (sid, d)
            j = self._counters.get(key, 0)
            self._counters[key] = j + 1
            url = urls.get(str(sid)) or urls.get(sid)
            lists = self.socks.get(url) if url else None
            if lists is None and len(self.order) >= sid:
                lists = self.socks[self.order[sid - 1]]
            info = None
            if lists is not None:
                lst = lists["r" if d == 0 else "s"]
                deadline = time.monotonic() + pump_s
                while len(lst) <= j and time.monotonic() < deadline:
                    self.page.evaluate("0")  # lets Playwright deliver pending events
                if len(lst) > j:
                    info = lst[j]
            ev = {"t": t, "dir": "recv" if d == 0 else "sent", "sid": sid, "size": size}
            if info is None:
                self.unpaired += 1
            else:
                if info.get("binary") and info["size"] != size:
                    self.size_mismatch += 1
                ev.update({k: v for k, v in info.items() if k != "size"})
                ev["pw_size"] = info["size"]
            self.events.append(ev)
        return self.events

    def between(self, t0: float, t1: float, direction: str | None = None) -> list[dict[str, Any]]:
        self.sync()
        return [
            e
            for e in self.events
            if t0 <= e["t"] <= t1 and (direction is None or e["dir"] == direction)
        ]


def byte_summary(evs: list[dict[str, Any]]) -> dict[str, Any]:
    recv = [e for e in evs if e["dir"] == "recv"]
    total = sum(e["size"] for e in recv)
    code = sum(e.get("code_bytes", 0) for e in recv)
    comm = sum(e["size"] for e in recv if str(e.get("msg_type", "")).startswith("comm"))
    return {
        "bytes_total": total,
        "bytes_code": code,
        "bytes_payload": total - code,
        "bytes_comm": comm,
        "frames": len(recv),
        "detail_replies": sum(1 for e in recv if e.get("ctype") == "detail"),
    }
