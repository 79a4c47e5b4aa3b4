"""Helpers that know the widget: its sample, its DOM hooks, its media element.

harness.py knows JupyterLab, the browser and the kernel; this module knows
tsvideo-widget on top of them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from harness import HarnessError


def load_sample() -> Any:
    """``tsvideo_widget.sample()`` (the NamedTuple of Paths), after checking the widget is built.

    Raises :class:`HarnessError` saying what is missing.
    """
    try:
        import tsvideo_widget
        from tsvideo_widget import TimeSeriesVideo  # noqa: F401
    except Exception as exc:
        raise HarnessError(f"tsvideo_widget.TimeSeriesVideo is not importable: {exc!r}") from exc
    widget_js = Path(tsvideo_widget.__file__).parent / "static" / "widget.js"
    if not widget_js.exists():
        raise HarnessError(f"{widget_js} is missing: run `npm run build`")
    sample = getattr(tsvideo_widget, "sample", None)
    if sample is not None and not callable(sample):
        # The submodule, while the package's __init__ does not export sample().
        sample = getattr(sample, "sample", None)
    if sample is None:
        raise HarnessError("tsvideo_widget.sample() does not exist")
    try:
        s = sample()
    except Exception as exc:
        raise HarnessError(f"tsvideo_widget.sample() failed: {exc!r}") from exc
    for name in ("data", "video", "audio"):
        path = Path(getattr(s, name))
        if not path.is_file():
            raise HarnessError(f"sample().{name} = {path} does not exist")
    return s


def copy_sample(sample: Any, root: Path) -> dict[str, str]:
    """Copy the sample's data, video and audio into ``root``; returns their names there."""
    names = {}
    for name in ("data", "video", "audio"):
        src = Path(getattr(sample, name))
        shutil.copy2(src, root / src.name)
        names[name] = src.name
    return names


def part(name: str) -> str:
    """CSS selector of the widget's DOM hook ``data-part=name``."""
    return f'[data-part="{name}"]'


def widget_cells(data: str, media: str, extra: str = "") -> list[str]:
    """The one cell that shows the widget (``w``) for ``data`` and ``media``."""
    return [
        "from tsvideo_widget import TimeSeriesVideo\n"
        f'w = TimeSeriesVideo({data!r}, media={media!r}, time="time", '
        'channels=["height", "ax"])\n' + extra + "w"
    ]


_MEDIA_READY_JS = """
() => {
  const m = document.querySelector('[data-part="media"]');
  return !!m && m.readyState >= 1 && Number.isFinite(m.duration) && m.duration > 0;
}
"""


def wait_for_widget(page: Any, timeout_ms: int = 30_000) -> None:
    """Wait until the widget's root is visible and its media has loaded metadata."""
    try:
        page.wait_for_selector(part("root"), state="visible", timeout=timeout_ms)
    except Exception as exc:
        raise HarnessError(
            f"the widget's root ({part('root')}) did not appear within "
            f"{timeout_ms / 1000:.0f} s; outputs: {outputs_text(page)!r}"
        ) from exc
    page.locator(part("root")).first.scroll_into_view_if_needed()
    try:
        page.wait_for_function(_MEDIA_READY_JS, timeout=timeout_ms)
    except Exception as exc:
        raise HarnessError(
            f"the media element never reached HAVE_METADATA within {timeout_ms / 1000:.0f} s: "
            f"{media_state(page)}"
        ) from exc


def outputs_text(page: Any) -> str:
    """Text of every output area of the current notebook (for failure messages)."""
    return str(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))
                   .map(e => e.textContent).join(' | ').slice(0, 2000)"""
        )
    )


def media_state(page: Any) -> dict[str, Any]:
    """currentTime, duration, readyState, seeking, paused, src and error of the media."""
    return dict(
        page.evaluate(
            """() => {
              const m = document.querySelector('[data-part="media"]');
              if (!m) return {present: false};
              return {present: true, tag: m.tagName.toLowerCase(), currentTime: m.currentTime,
                      duration: m.duration, readyState: m.readyState, seeking: m.seeking,
                      paused: m.paused, src: m.currentSrc || m.src,
                      error: m.error ? (m.error.code + ' ' + m.error.message) : null};
            }"""
        )
    )


def media_time(page: Any) -> float:
    return float(page.evaluate(f"() => document.querySelector('{part('media')}').currentTime"))


_SEEK_JS = """
async ([t, timeoutMs]) => {
  const m = document.querySelector('[data-part="media"]');
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "seeked" event within ' + timeoutMs
                                                    + ' ms; currentTime=' + m.currentTime)),
                             timeoutMs);
    m.addEventListener('seeked', () => { clearTimeout(timer); resolve(); }, {once: true});
    m.currentTime = t;
  });
  return m.currentTime;
}
"""


def seek_media(page: Any, t: float, timeout_ms: int = 10_000) -> float:
    """Set the media element's currentTime from the page and wait for ``seeked``."""
    return float(page.evaluate(_SEEK_JS, [t, timeout_ms]))


# --------------------------------------------------------------------------- one view of many
#
# The helpers below read one view of the widget: ``view`` indexes the page's
# ``[data-part=root]`` elements in document order (a widget shown twice, or a
# notebook showing several widgets).

# Colour arithmetic shared by the page-side readers: the colour a text or
# background really shows (alpha composited over the nearest opaque ancestor
# background), relative luminance and WCAG contrast.
_COLOUR_JS = """
const parse = (c) => {
  // rgb()/rgba() (0-255), or color(srgb r g b / a) (0-1) as color-mix() computes.
  const m = /^(rgba?|color)\\((?:srgb )?([^)]+)\\)/.exec((c || '').trim());
  if (!m) return null;
  const p = m[2].split(/[ ,/]+/).filter(Boolean).map(Number);
  const k = m[1] === 'color' ? 255 : 1;
  return {r: p[0] * k, g: p[1] * k, b: p[2] * k, a: p.length > 3 ? p[3] : 1};
};
const over = (top, under) => ({
  r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
  b: top.b * top.a + under.b * (1 - top.a), a: 1});
const background = (el) => {
  // Composite the backgrounds from the page (white) up to el.
  const chain = [];
  for (let e = el; e && e.nodeType === 1; e = e.parentElement) chain.push(e);
  let bg = {r: 255, g: 255, b: 255, a: 1};
  for (const e of chain.reverse()) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0) bg = over(c, bg);
  }
  return bg;
};
const lum = (c) => {
  const f = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
};
const contrast = (a, b) => {
  const x = lum(a), y = lum(b);
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
};
const textOn = (el) => {
  const bg = background(el);
  return {fg: over(parse(getComputedStyle(el).color), bg), bg};
};
"""

_SHORTCUT_PAIRS_JS = (
    "(view) => {"
    + _COLOUR_JS
    + """
  const root = document.querySelectorAll('[data-part="root"]')[view];
  if (!root) return null;
  return Array.from(root.querySelectorAll('[data-part="shortcut-key"]')).map((k) => {
    const d = k.nextElementSibling;
    const a = k.getBoundingClientRect(), b = d.getBoundingClientRect();
    const tk = textOn(k), td = textOn(d);
    const seen = (e) => getComputedStyle(e).visibility === 'visible'
      && Number(getComputedStyle(e).opacity) > 0.5;
    return {key: k.textContent, does: d.textContent, kx: a.left, kr: a.right, ky: a.top,
            kw: a.width, kh: a.height, dx: b.left, dy: b.top, dw: b.width, dh: b.height,
            visible: seen(k) && seen(d),
            keyContrast: contrast(tk.fg, tk.bg), doesContrast: contrast(td.fg, td.bg),
            bgLum: lum(tk.bg)};
  });
}"""
)


def shortcut_pairs(page: Any, view: int = 0) -> list[dict[str, Any]]:
    """Every (key, description) of view ``view``'s shortcuts legend: boxes, colours, contrast.

    ``keyContrast``/``doesContrast`` are WCAG contrast ratios of the text against
    the background it is drawn on; ``bgLum`` is that background's luminance.
    """
    return list(page.evaluate(_SHORTCUT_PAIRS_JS, view) or [])


def legend_problems(pairs: list[dict[str, Any]], min_contrast: float = 3.0) -> list[str]:
    """What is wrong with an open shortcuts legend: keys away from their descriptions,
    descriptions not in one column, text hidden or too faint to read."""
    problems = []
    if len(pairs) < 8:
        problems.append(f"only {len(pairs)} shortcuts listed")
    for p in pairs:
        name = repr(p["key"])
        if not p["does"]:
            problems.append(f"key {name} has no description")
        if not p["visible"] or min(p["kw"], p["kh"], p["dw"], p["dh"]) <= 0:
            problems.append(f"key {name} or its description is not visible: {p}")
        # Same row (tops within a few px), key on the left, description right of it.
        if abs(p["ky"] - p["dy"]) > 4:
            problems.append(f"{name} is not on its description's row: {p}")
        if p["dx"] < p["kr"] - 1:
            problems.append(f"{name} overlaps or follows its description: {p}")
        for what in ("key", "does"):
            c = p[f"{what}Contrast"]
            if c < min_contrast:
                problems.append(f"{name}'s {what} has contrast {c:.2f} < {min_contrast}: {p}")
    lefts = {round(p["dx"]) for p in pairs}
    if lefts and max(lefts) - min(lefts) > 2:
        problems.append(f"descriptions do not share one column: {sorted(lefts)}")
    return problems


def open_shortcuts(page: Any, view: int = 0, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Click view ``view``'s "?" and wait until its legend lists its shortcuts; returns them."""
    import harness as h

    page.locator(part("help-toggle")).nth(view).click()
    ok, pairs = h.wait_until(
        lambda: shortcut_pairs(page, view),
        lambda ps: len(ps) >= 8 and all(p["kh"] > 0 for p in ps),
        timeout,
    )
    if not ok:
        raise HarnessError(f"the shortcuts legend of view {view} did not open: {pairs}")
    return pairs


# Page rectangles of one view's overlays and of the plots they are drawn over.
_VIEW_LAYOUT_JS = """(view) => {
  const root = document.querySelectorAll('[data-part="root"]')[view];
  if (!root) return null;
  const rect = (el) => {
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return {x: r.left, right: r.right, width: r.width};
  };
  const q = (sel) => rect(root.querySelector(sel));
  return {
    root: rect(root),
    detail: q('[data-part="detail"] .u-over'),
    overview: q('[data-part="overview"] .u-over'),
    playhead: q('[data-part="playhead"]'),
    overviewPlayhead: q('[data-part="overview-playhead"]'),
    range: q('[data-part="range"]'),
    regions: Array.from(root.querySelectorAll('[data-part="detail"] [data-part="region"]'))
      .map((e) => ({id: e.dataset.id, ...rect(e)})),
    marks: Array.from(root.querySelectorAll('[data-part="overview-regions"] > *')).map(rect),
  };
}"""


def view_layout(page: Any, view: int = 0) -> dict[str, Any] | None:
    """Boxes (x, right, width) of view ``view``'s plots, range, playheads and regions."""
    out = page.evaluate(_VIEW_LAYOUT_JS, view)
    return None if out is None else dict(out)


def misplaced(
    layout: dict[str, Any] | None,
    sel: tuple[float, float],
    playhead: float,
    span: float,
    regions: list[dict[str, Any]],
    tol: float = 2.0,
) -> list[str]:
    """Overlays of ``layout`` more than ``tol`` px from where the model puts them.

    ``sel`` is the detail window, ``playhead`` the media position and
    ``regions`` the model's regions (``start``/``end``/``id``), all in seconds
    since the series' first sample; ``span`` is the series' length. A region
    edge outside the window must lie at or beyond the plot's edge.
    """
    if not layout:
        return ["the view is not in the page"]
    missing = [
        k
        for k in ("detail", "overview", "playhead", "overviewPlayhead", "range")
        if not layout.get(k)
    ]
    if missing:
        return [f"overlays missing: {missing}"]
    det, ov = layout["detail"], layout["overview"]
    if det["width"] < 50 or ov["width"] < 50:
        return [f"plots too narrow to check: detail {det}, overview {ov}"]
    lo, hi = sel

    def at_detail(t: float) -> float:
        return float(det["x"] + (t - lo) / (hi - lo) * det["width"])

    def at_overview(t: float) -> float:
        return float(ov["x"] + t / span * ov["width"])

    want = {
        "playhead": (layout["playhead"]["x"], at_detail(playhead)),
        "overview playhead": (layout["overviewPlayhead"]["x"], at_overview(playhead)),
        "range start": (layout["range"]["x"], at_overview(lo)),
        "range end": (layout["range"]["right"], at_overview(hi)),
    }
    out = [
        f"{name} at {got:.1f} px, expected {exp:.1f} px"
        for name, (got, exp) in want.items()
        if abs(got - exp) > tol
    ]
    drawn = {r["id"]: r for r in layout["regions"]}
    for r in regions:
        start, end, rid = float(r["start"]), float(r["end"]), r["id"]
        if end < lo or start > hi:
            continue  # not in the window
        d = drawn.get(rid)
        if d is None:
            out.append(f"region {rid} ({start}..{end}) in window {sel} is not drawn")
            continue
        if start >= lo:
            if abs(d["x"] - at_detail(start)) > tol:
                out.append(
                    f"region {rid} starts at {d['x']:.1f} px, expected {at_detail(start):.1f}"
                )
        elif d["x"] > det["x"] + tol:
            out.append(f"region {rid} begins before the window but is drawn from {d['x']:.1f} px")
        if start == end:
            continue
        if end <= hi:
            if abs(d["right"] - at_detail(end)) > tol:
                out.append(
                    f"region {rid} ends at {d['right']:.1f} px, expected {at_detail(end):.1f}"
                )
        elif d["right"] < det["right"] - tol:
            out.append(f"region {rid} runs past the window but is drawn to {d['right']:.1f} px")
    marks = sorted(m["x"] for m in layout["marks"])
    expected = sorted(at_overview(float(r["start"])) for r in regions)
    if len(marks) != len(expected):
        out.append(f"{len(marks)} overview marks for {len(regions)} regions")
    else:
        out += [
            f"overview mark at {m:.1f} px, expected {e:.1f} px"
            for m, e in zip(marks, expected, strict=True)
            if abs(m - e) > tol
        ]
    return out


_THEME_JS = (
    "(view) => {"
    + _COLOUR_JS
    + """
  const root = document.querySelectorAll('[data-part="root"]')[view];
  if (!root) return null;
  // The colour of the axis labels uPlot painted on a chart's canvas: the opaque
  // pixels of the label bands (below the plot, and left of it), past the ticks.
  const axisText = (name) => {
    const canvas = root.querySelector(`[data-part="${name}"] canvas`);
    const plot = root.querySelector(`[data-part="${name}"] .u-over`);
    if (!canvas || !plot) return null;
    const c = canvas.getBoundingClientRect(), p = plot.getBoundingClientRect();
    const sx = canvas.width / c.width, sy = canvas.height / c.height;
    const img = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const lums = [];
    const take = (x0, y0, x1, y1) => {
      for (let y = Math.max(0, Math.round(y0 * sy)); y < Math.min(canvas.height, y1 * sy); y++)
        for (let x = Math.max(0, Math.round(x0 * sx)); x < Math.min(canvas.width, x1 * sx); x++) {
          const i = (y * canvas.width + x) * 4;
          if (img[i + 3] > 200) lums.push(lum({r: img[i], g: img[i + 1], b: img[i + 2]}));
        }
    };
    take(0, p.bottom - c.top + 12, c.width, c.height);  // x axis labels
    take(0, 0, p.left - c.left - 12, p.bottom - c.top);  // y axis labels (detail only)
    lums.sort((a, b) => a - b);
    return {pixels: lums.length, median: lums.length ? lums[lums.length >> 1] : null};
  };
  const text = textOn(root);
  const bg = background(root.querySelector('[data-part="detail"]'));
  return {
    textLum: lum(text.fg), textContrast: contrast(text.fg, text.bg),
    detailBgLum: lum(bg),
    overviewBgLum: lum(background(root.querySelector('[data-part="overview"]'))),
    detailAxis: axisText('detail'), overviewAxis: axisText('overview'),
    axisContrast: (() => {
      const a = axisText('detail');
      if (!a || a.median === null) return null;
      const y = a.median, x = lum(bg);
      return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
    })(),
  };
}"""
)


def theme_colours(page: Any, view: int = 0) -> dict[str, Any] | None:
    """How view ``view`` looks: luminance (0 black .. 1 white) of its text, of the
    background behind its charts and of the axis labels painted on their canvases
    (``{"pixels": n, "median": lum}``), and the text's and axes' contrast ratios."""
    out = page.evaluate(_THEME_JS, view)
    return None if out is None else dict(out)
