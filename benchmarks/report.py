"""Statistics, tables and target checks of benchmark results (benchmarks/run.py)."""

from __future__ import annotations

import math
import statistics
from typing import Any

FRAME_OK_MS = 17.5  # a 60 Hz frame interval plus timestamp jitter
KINDS = ("drag", "zoom", "jump")
KIND_LABEL = {"drag": "drag end", "zoom": "zoom", "jump": "jump"}

# ============================================================================ statistics


def pct(values: list[float], q: float) -> float | None:
    """Percentile with linear interpolation (q in 0..100); None for no values."""
    v = sorted(x for x in values if x is not None and math.isfinite(x))
    if not v:
        return None
    if len(v) == 1:
        return v[0]
    k = (len(v) - 1) * q / 100.0
    f = math.floor(k)
    c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)


def med(values: list[Any]) -> float | None:
    v = [x for x in values if isinstance(x, (int, float)) and math.isfinite(x)]
    return statistics.median(v) if v else None


def fmt(v: Any, nd: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def ratio(a: Any, b: Any) -> float | None:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
        return a / b
    return None


def dig(d: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


# (label, path, scale, unit); scale divides the raw value
ROWS: list[tuple[str, tuple[str, ...], float, str]] = [
    ("first paint, total", ("first_paint", "total_ms"), 1, "ms"),
    ("  python (constructor)", ("first_paint", "python_ms"), 1, "ms"),
    ("  browser (the rest)", ("first_paint", "browser_ms"), 1, "ms"),
    ("  cell start -> first widget msg", ("first_paint", "to_first_widget_frame_ms"), 1, "ms"),
    ("  last widget msg -> paint", ("first_paint", "after_last_frame_ms"), 1, "ms"),
    ("bytes to first paint, total", ("first_paint", "bytes_total"), 1024, "KB"),
    ("  of which widget code (_esm/_css)", ("first_paint", "bytes_code"), 1024, "KB"),
    ("  without code", ("first_paint", "bytes_payload"), 1024, "KB"),
]
RATIO_ROWS = {
    ("first_paint", "total_ms"),
    ("first_paint", "bytes_total"),
    ("first_paint", "bytes_payload"),
    ("drag", "frame_p95_ms"),
    ("memory", "ratio_after_constructor"),
}
for _kind in KINDS:
    for _w in ("narrow", "wide"):
        _p = ("refresh", _kind, _w)
        ROWS += [
            (f"{KIND_LABEL[_kind]} {_w} p50", (*_p, "p50_ms"), 1, "ms"),
            (f"{KIND_LABEL[_kind]} {_w} p95", (*_p, "p95_ms"), 1, "ms"),
            ("  browser data / kernel (timeouts)", (*_p, "_counts"), 1, ""),
            ("  kernel-only p50 / p95", (*_p, "_kernel"), 1, "ms"),
            ("  bytes per change (median)", (*_p, "bytes_median"), 1024, "KB"),
        ]
        RATIO_ROWS |= {(*_p, "p50_ms"), (*_p, "p95_ms"), (*_p, "bytes_median")}
ROWS += [
    ("drag frame p50", ("drag", "frame_p50_ms"), 1, "ms"),
    ("drag frame p95", ("drag", "frame_p95_ms"), 1, "ms"),
    ("drag kernel msgs sent /s", ("drag", "kernel_msgs_sent_per_s"), 1, "/s"),
    ("  detail requests /s", ("drag", "detail_requests_per_s"), 1, "/s"),
    ("  max detail requests in flight", ("drag", "max_detail_requests_in_flight"), 1, ""),
    ("kernel extra memory / input", ("memory", "ratio_after_constructor"), 1, "x"),
    ("  after interaction / input", ("memory", "ratio_after_interaction"), 1, "x"),
    ("  peak during constructor / input", ("memory", "peak_ratio_during_constructor"), 1, "x"),
]


def cell(tool_res: dict[str, Any] | None, path: tuple[str, ...], scale: float) -> tuple[str, Any]:
    if tool_res is None:
        return "-", None
    if path[-1] in ("_counts", "_kernel"):
        r = dig(tool_res, *path[:-1])
        if not r:
            return "-", None
        if path[-1] == "_kernel":
            return f"{fmt(r.get('kernel_p50_ms'), 0)} / {fmt(r.get('kernel_p95_ms'), 0)}", None
        return f"{r['from_browser']} / {r['from_kernel']} ({r['timeouts']})" + (
            " !" if r.get("note") else ""
        ), None
    v = dig(tool_res, *path)
    if v is None:
        return ("timeout" if tool_res.get("status") == "timeout" else "-"), None
    if path[-1].startswith("ratio") or path[-1].startswith("peak_ratio"):
        return f"{v:.3f}", v
    val = v / scale
    return (f"{val:.1f}" if abs(val) < 100 else f"{val:.0f}"), v


def table(res: dict[str, Any], markdown: bool = False) -> str:
    s = res["scenario"]
    tools = res.get("tools", {})
    a, b = tools.get("tsvideo"), tools.get("plotly-resampler")
    head = f"{s['id']}"
    if res.get("data"):
        d = res["data"]
        head += f"  (df {d['df_bytes'] / 1e6:.0f} MB, generated in {d['gen_s']:.0f} s)"
    lines = []
    if res.get("skipped"):
        return f"{head}: {res['skipped']}\n"
    status = []
    for name, t in tools.items():
        if t.get("status") != "ok":
            status.append(f"{name}: {t.get('status')} {t.get('error', '')[:200]}")
        for kind, by_width in (t.get("refresh") or {}).items():
            for wname, r in by_width.items():
                if r.get("note"):
                    status.append(f"{name} {KIND_LABEL.get(kind, kind)} {wname}: {r['note']}")
    if res.get("fatal"):
        status.append("FATAL " + res["fatal"][:300])
    if markdown:
        lines.append(f"#### {head}\n")
        lines.append("| figure | tsvideo | plotly-resampler | tsvideo / plotly |")
        lines.append("| --- | ---: | ---: | ---: |")
    else:
        lines.append(head)
        lines.append(f"  {'figure':38s} {'tsvideo':>14s} {'plotly-resampler':>17s} {'ratio':>7s}")
    for label, path, scale, unit in ROWS:
        ca, va = cell(a, path, scale)
        cb, vb = cell(b, path, scale)
        if ca == "-" and cb == "-":
            continue
        r = ratio(va, vb) if path in RATIO_ROWS else None
        rs = f"{r:.2f}" if r is not None else ""
        lab = f"{label} ({unit})" if unit and unit != "x" else label
        if markdown:
            lines.append(f"| {lab.strip()} | {ca} | {cb} | {rs} |")
        else:
            lines.append(f"  {lab:38s} {ca:>14s} {cb:>17s} {rs:>7s}")
    for st in status:
        lines.append(("\n" if markdown else "  ") + "! " + st)
    return "\n".join(lines) + "\n"


def targets(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, each checked on the scenarios it names."""
    out: list[dict[str, Any]] = []

    def add(
        name: str,
        sid: str,
        value: Any,
        limit: float,
        ok: bool | None,
        unit: str = "",
        detail: str = "",
    ) -> None:
        out.append(
            {
                "target": name,
                "scenario": sid,
                "value": value,
                "limit": limit,
                "met": ok,
                "unit": unit,
                "detail": detail,
            }
        )

    for res in results:
        s = res["scenario"]
        sid = s["id"]
        t = (res.get("tools") or {}).get("tsvideo")
        p = (res.get("tools") or {}).get("plotly-resampler")
        if res.get("skipped") or not t:
            continue
        fp = dig(t, "first_paint", "total_ms")
        if s["n"] == int(1e7) and s["nch"] == 8:
            add(
                "first paint <= 1.0 s at 1e7 x 8",
                sid,
                fp,
                1000,
                fp is not None and fp <= 1000,
                "ms",
            )
        if s["n"] == int(1e8) and s["nch"] == 1:
            add(
                "first paint <= 2.0 s at 1e8 x 1",
                sid,
                fp,
                2000,
                fp is not None and fp <= 2000,
                "ms",
            )
        payload = dig(t, "first_paint", "bytes_payload")
        if payload is not None:
            per = payload / s["nch"]
            add(
                "bytes at first paint <= 64 KB per channel (w/o widget code)",
                sid,
                per / 1024,
                64,
                per <= 64 * 1024,
                "KB/ch",
            )
        if s["n"] >= int(1e8):
            for kind in ("drag", "zoom"):
                for wname in ("narrow", "wide"):
                    r = dig(t, "refresh", kind, wname)
                    if r is None:
                        continue
                    v = r.get("p95_ms")
                    add(
                        f"refresh p95 <= 100 ms at >= 1e8 ({KIND_LABEL[kind]}, {wname})",
                        sid,
                        v,
                        100,
                        v is not None and v <= 100 and not r.get("timeouts"),
                        "ms",
                        f"p50 {fmt(r.get('p50_ms'), 0)} ms, {r['changes']} changes, "
                        f"{r['from_browser']} from browser data, {r['timeouts']} timeouts",
                    )
        if s["nch"] == 8 and dig(t, "drag") is not None:
            v = dig(t, "drag", "frame_p95_ms")
            # rAF timestamps at 60 Hz read 16.6-16.8 ms: "no dropped frame" allows that jitter.
            add(
                "drag frame p95 <= 16.7 ms, 8 channels",
                sid,
                v,
                16.7,
                v is not None and v <= FRAME_OK_MS,
                "ms",
            )
            mi = dig(t, "drag", "max_detail_requests_in_flight")
            add(
                "at most one kernel request in flight while dragging",
                sid,
                mi,
                1,
                mi is not None and mi <= 1,
            )
        m = dig(t, "memory", "ratio_after_constructor")
        # Below 1e7 samples the input is smaller than the RSS noise of a Python process.
        if m is not None and s["n"] >= int(1e7):
            add("kernel extra memory <= 0.25 x input", sid, m, 0.25, m <= 0.25, "x")
        if s["n"] >= int(1e7):
            checks = [("first paint", ("first_paint", "total_ms"))]
            for kind in ("drag", "zoom"):
                for wname in ("narrow", "wide"):
                    checks.append(
                        (f"{KIND_LABEL[kind]} p95 {wname}", ("refresh", kind, wname, "p95_ms"))
                    )
            for label, path in checks:
                va, vb = dig(t, *path), dig(p, *path) if p else None
                name = f">= 2x better than plotly-resampler: {label}"
                if va is None:
                    continue
                pr = dig(p, *path[:-1]) if p and path[0] == "refresh" else None
                if p and vb is None and (p.get("status") == "timeout" or (pr and pr.get("note"))):
                    why = "plotly timed out" if p.get("status") == "timeout" else pr["note"]
                    add(name, sid, why, 0.5, None, "", f"tsvideo {va:.0f} ms")
                    continue
                r = ratio(va, vb)
                if r is not None:
                    add(name, sid, r, 0.5, r <= 0.5, "tsvideo/plotly", f"{va:.0f} vs {vb:.0f} ms")
    return out


def report(doc: dict[str, Any], markdown: bool) -> str:
    parts = []
    for res in doc["results"]:
        parts.append(table(res, markdown=markdown))
    tg = doc.get("targets") or targets(doc["results"])
    verdict = {True: "met", False: "MISS", None: "n/a"}
    if markdown:
        parts.append(
            "| target | scenario | value | limit | met | detail |\n"
            "| --- | --- | ---: | ---: | --- | --- |"
        )
    else:
        parts.append("targets:")
    for t in tg:
        v = t["value"]
        vs = f"{v:.3g}" if isinstance(v, float) else str(v)
        met = verdict[t["met"]]
        if markdown:
            parts.append(
                f"| {t['target']} | {t['scenario']} | {vs} {t['unit']} | {t['limit']} "
                f"| {met} | {t.get('detail', '')} |"
            )
        else:
            parts.append(
                f"  [{met:4s}] {t['target']:58s} {t['scenario']:16s} {vs} {t['unit']}"
                + (f"  ({t['detail']})" if t.get("detail") else "")
            )
    return "\n".join(parts) + "\n"
