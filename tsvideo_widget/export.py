"""A static HTML page of one or more widgets that works with no kernel.

The page holds the front-end bundle and its CSS once, however many widgets it
shows, and per widget its state (data description, overview, regions,
labels, selection, mapping) plus a bounded multi-resolution set of detail
chunks: tiles of the span at 2, 4, 8, ... times the overview's resolution,
overlapping by half so that any window up to a tile's half width lies inside
one tile, added level by level while they fit the budget. The range can then
be dragged and zoomed within what was embedded; regions are shown read-only.

Media is never embedded. The media element points at the media's http(s)
URL, or at a path relative to the page (by default the local file's path
from the HTML's folder, so the page works beside its media, from ``file://``
or a web server); ``media_href`` names another place. Where the media cannot
be reached the page says so in the widget.

Numbers travel base64-encoded in JSON (a static page has no binary channel);
the budget counts the encoded bytes.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from .errors import MediaError, TsvTypeError
from .media import ALLOWED_SCHEMES
from .transport import b64, encode_buffers
from .urlsecrets import mask_url, secrets_in

if TYPE_CHECKING:
    from .widget import TimeSeriesVideo

__all__ = [
    "DEFAULT_BUDGET_MB",
    "STATE_MIME",
    "TILE_BUCKETS",
    "WINDOW_BUCKETS",
    "embedded_chunks",
    "page",
    "to_html",
]

DEFAULT_BUDGET_MB = 8.0
"""Default size of the embedded detail chunks per widget (MB of base64 text, float). 8 MB
since columns carry four points (M4): the same zoom depth as 4 MB of min/max tiles."""

TILE_BUCKETS = 2048
"""Columns per embedded tile (int): about one per pixel of a wide detail chart, plus margin."""

WINDOW_BUCKETS = 3 * TILE_BUCKETS
"""Columns of the tile around the window the page opens on (int): three window widths."""

STATE_MIME = "application/vnd.tsvideo-widget+json"
"""The ``type`` of the <script> element that holds one widget's state in the page (str)."""

# Traits of ipywidgets/anywidget plumbing that a static page has no use for.
_SKIP = {
    "_esm",
    "_css",
    "_anywidget_id",
    "_dom_classes",
    "_view_count",
    "layout",
    "tabbable",
    "tooltip",
}
# Where a local file lives on the exporting machine: never written into a page meant to be shared.
_PRIVATE_MEDIA_KEYS = {"path", "home", "cwd", "session"}

STATIC = Path(__file__).parent / "static"


def _tile(w: TimeSeriesVideo, lo: float, hi: float, buckets: int) -> dict[str, Any]:
    header, bufs = w.detail(lo, hi, buckets)
    return {"header": header, "buffers": [b64(b) for b in bufs]}


def _size(tile: dict[str, Any]) -> int:
    return sum(len(e) for e in tile["buffers"]) + 200


def embedded_chunks(
    w: TimeSeriesVideo, budget_bytes: int, window: tuple[float, float] | None = None
) -> list[dict[str, Any]]:
    """Detail tiles of ``w`` whose base64 size fits ``budget_bytes``.

    First, when ``window`` (relative seconds) is given, the window the page opens
    on and a window either side at :data:`WINDOW_BUCKETS` columns (as fine as the
    browser asks of a kernel). Then level by level: level ``k`` (from 1) cuts the
    span into tiles ``span / 2**(k-1)`` wide that start every half width (one tile
    at level 1), each decimated to :data:`TILE_BUCKETS` columns. A level is added
    whole or not at all; levels stop once a level's tiles hold raw samples (nothing
    finer exists). Nothing is embedded when the overview already holds every sample.

    Returns one ``{"header": ..., "buffers": [base64 str, ...]}`` per tile,
    where the header is :meth:`TimeSeriesVideo.detail`'s.
    """
    span = w.series.span
    out: list[dict[str, Any]] = []
    if not (span > 0) or budget_bytes <= 0 or w._overview.get("bucket", 2) <= 1:
        return out
    used = 0
    if window is not None:
        a, b = window
        width = max(b - a, 0.0)
        first = _tile(w, max(0.0, a - width), min(span, b + width), WINDOW_BUCKETS)
        if _size(first) <= budget_bytes:
            out.append(first)
            used += _size(first)
    for level in range(1, 40):
        width = span / 2 ** (level - 1)
        count = 1 if level == 1 else 2**level - 1
        tiles: list[dict[str, Any]] = []
        size = 0
        for i in range(count):
            lo = i * width / 2
            hi = span if i == count - 1 else min(span, lo + width)
            tiles.append(_tile(w, lo, hi, TILE_BUCKETS))
            size += _size(tiles[-1])
            if used + size > budget_bytes:
                return out
        out += tiles
        used += size
        if all(t["header"]["bucket"] <= 1 for t in tiles):
            break
    return out


MediaHref = str | Mapping[str, str] | None
"""``media_href``: one place (str) for a single track, or a dict track name -> place."""


def _checked_href(href: str, what: str) -> str:
    """``href`` when the page may point at it: an http(s) URL or a relative path, no secret."""
    scheme = urlsplit(href).scheme.lower()
    if scheme and len(scheme) > 1 and scheme not in ALLOWED_SCHEMES:
        raise MediaError(
            f"{what} {mask_url(href)!r} uses the scheme {scheme!r}; pass an http(s) URL or a "
            "path relative to the HTML file (such as 'session.mp4')"
        )
    masked, found = secrets_in(href)
    if found:
        raise MediaError(
            f"{what} {masked!r} carries a secret ({', '.join(found)}) that would be written "
            "into the page for anyone who opens it; point at a URL that needs none, or a "
            "path relative to the HTML file"
        )
    return href


def _media_hrefs(w: TimeSeriesVideo, html_dir: Path, media_href: MediaHref) -> dict[str, str]:
    """Where the page's media elements look for file or bytes sources, by track name."""
    sources = dict(w._media_sources())
    given: dict[str, str] = {}
    if isinstance(media_href, str):
        if len(sources) != 1:
            raise MediaError(
                f"media_href is one place but the widget has {len(sources)} media tracks "
                f"{list(sources)}; pass a dict track name -> URL or relative path"
            )
        given = {next(iter(sources)): media_href}
    elif media_href is not None:
        unknown = [n for n in media_href if n not in sources]
        if unknown:
            raise MediaError(f"media_href names {unknown}, not tracks of {list(sources)}")
        given = dict(media_href)
    out = {name: _checked_href(href, f"media_href[{name!r}]") for name, href in given.items()}
    for name, source in sources.items():
        if name not in out and source.path is not None:
            rel = os.path.relpath(source.path, html_dir)
            out[name] = "/".join(quote(part) for part in Path(rel).as_posix().split("/"))
    return out


def _widget_state(
    w: TimeSeriesVideo, html_dir: Path, budget_mb: float, media_href: MediaHref
) -> dict[str, Any]:
    state = {
        k: v
        for k, v in w.get_state().items()
        if k not in _SKIP and not k.startswith(("_model_", "_view_"))
    }
    hrefs = _media_hrefs(w, html_dir, media_href)
    media = []
    for info in state.get("_media") or []:
        info = {k: v for k, v in info.items() if k not in _PRIVATE_MEDIA_KEYS}
        href = hrefs.get(info["track"])
        if href is not None:
            info["url" if info["source"] == "url" else "href"] = href
        media.append(info)
    state["_media"] = media
    sel = state.get("selection")
    window = (float(sel[0]), float(sel[1])) if isinstance(sel, list) and len(sel) == 2 else None
    chunks = embedded_chunks(w, int(budget_mb * 1_000_000), window)
    return {"state": encode_buffers(state), "chunks": chunks}


def _script_json(obj: Any) -> str:
    """JSON safe inside a <script> element."""
    return (
        json.dumps(obj, separators=(",", ":"), allow_nan=False)
        .replace("</", "<\\/")
        .replace("<!--", "<\\u0021--")
    )


def _script_text(js: str) -> str:
    """JavaScript source safe inside a <script type="text/plain"> element."""
    out = (
        js.replace("</script", "<\\/script")
        .replace("</SCRIPT", "<\\/SCRIPT")
        .replace("<!--", "<\\!--")
    )
    if "</script" in out.lower():
        raise RuntimeError("the front-end bundle holds '</script' in a form that cannot be escaped")
    return out


_BOOT = """
const src = document.getElementById("tsv-bundle").textContent;
const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
try {
  const mod = await import(url);
  mod.mountStatic(document);
} catch (err) {
  for (const el of document.querySelectorAll(".tsv-static")) {
    el.textContent = "This page could not start its widgets: " + String(err);
  }
} finally {
  URL.revokeObjectURL(url);
}
"""


def page(
    widgets: Iterable[TimeSeriesVideo],
    html_dir: Path,
    *,
    budget_mb: float = DEFAULT_BUDGET_MB,
    media_href: MediaHref = None,
    title: str = "tsvideo-widget",
) -> str:
    """The HTML text of a static page showing ``widgets`` (see :func:`to_html`)."""
    ws = list(widgets)
    if not ws:
        raise TsvTypeError("to_html needs at least one TimeSeriesVideo")
    if not (isinstance(budget_mb, (int, float)) and math.isfinite(budget_mb) and budget_mb >= 0):
        raise TsvTypeError(f"budget_mb must be a finite number >= 0 (MB), got {budget_mb!r}")
    js = (STATIC / "widget.js").read_text(encoding="utf-8")
    css = (STATIC / "widget.css").read_text(encoding="utf-8").replace("</", "<\\/")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{css}</style>",
        "<style>body{margin:16px;font-family:system-ui,sans-serif}"
        ".tsv-static{margin:0 0 24px}</style>",
        "</head><body>",
    ]
    for i, w in enumerate(ws):
        data = _widget_state(w, html_dir, budget_mb, media_href if len(ws) == 1 or i == 0 else None)
        parts.append(f'<div class="tsv-static" id="tsv-widget-{i}"></div>')
        parts.append(
            f'<script type="{STATE_MIME}" data-for="tsv-widget-{i}">{_script_json(data)}</script>'
        )
    parts.append(f'<script type="text/plain" id="tsv-bundle">{_script_text(js)}</script>')
    parts.append(f'<script type="module">{_BOOT}</script>')
    parts.append("</body></html>")
    return "\n".join(parts)


def to_html(
    path: str | os.PathLike[str],
    *widgets: TimeSeriesVideo,
    budget_mb: float = DEFAULT_BUDGET_MB,
    media_href: MediaHref = None,
    title: str = "tsvideo-widget",
) -> Path:
    """Write a static HTML page of ``widgets`` to ``path``; returns the path.

    The page works with no kernel, from ``file://`` or any web server: the
    overview and up to ``budget_mb`` MB of detail per widget are embedded (the
    range drags and zooms within them), regions are shown read-only, and the
    bundle is embedded once for all widgets.

    Args:
        path: the HTML file to write (str or PathLike).
        *widgets: one or more :class:`TimeSeriesVideo`.
        budget_mb: size of the embedded detail per widget (MB, float, default 4.0; 0 embeds
            the overview only).
        media_href: where the page finds the media (first widget only): an http(s) URL or a
            path relative to the HTML file; with several tracks, a dict track name -> place
            (tracks it leaves out keep their default). Default: the media's URL, or a local
            file's path relative to the HTML's folder. Media held as bytes is not embedded;
            pass this.
        title: the page's title (str).
    """
    out = Path(path)
    text = page(
        widgets, out.absolute().parent, budget_mb=budget_mb, media_href=media_href, title=title
    )
    out.write_text(text, encoding="utf-8")
    return out
