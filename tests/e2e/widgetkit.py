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
