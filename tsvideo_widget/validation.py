"""Checks of single trait values; each raises a TraitError naming the value and what works.

The widget's ``@validate`` handlers call these, so a value refused here is
refused the same way from Python and from the browser (traitlets rolls a
browser change back only on TraitError).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .data import Series
from .errors import TsvError, TsvTypeError


def finite(value: Any, name: str, unit: str) -> float:
    """``value`` as a finite float, or TsvError naming the trait."""
    try:
        v = float(value)
    except (TypeError, ValueError) as err:
        raise TsvTypeError(f"{name} must be a number of {unit}, got {value!r:.60}") from err
    if not math.isfinite(v):
        raise TsvError(f"{name} must be a finite number of {unit}, got {value!r}")
    return v


def positive(value: Any, name: str, unit: str) -> float:
    """``value`` as a finite float > 0, or TsvError naming the trait."""
    v = finite(value, name, unit)
    if v <= 0:
        raise TsvError(f"{name} must be > 0 {unit}, got {value!r}")
    return v


def media_duration(value: Any, media_name: str | None) -> float | None:
    """A media duration from the browser: None (not known yet) or seconds > 0."""
    if value is None:
        return None
    v = finite(value, "media_duration", "seconds")
    if v <= 0:
        raise TsvError(
            f"the browser reports a duration of {v!r} s for the media {media_name or ''!r}: "
            "it has no playable length. Check the file plays in a browser, or re-encode it: "
            "ffmpeg -i in.mp4 -c:v libx264 -pix_fmt yuv420p -c:a aac out.mp4"
        )
    return v


def height(value: Any) -> int:
    """Chart height in CSS pixels: an int of at least 60."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TsvTypeError(f"height must be an int number of CSS pixels, got {value!r:.60}")
    if value < 60:
        raise TsvError(f"height must be at least 60 CSS pixels, got {value}")
    return int(value)


def within_span(
    series: Series, start: Any, end: Any, what: str, error: type[TsvError] = TsvError
) -> tuple[Any, Any]:
    """``start`` and ``end`` in the column's own terms, checked to lie in the data, in order.

    The one span check of the package (regions and the selection use it).
    Exact times (datetimes, integer time) are compared as they are: one tick
    out is out. Float time allows float noise at the data's ends and clamps it.

    Raises:
        ``error`` (a TsvError): not a time of the column's kind, not finite, end
        before start, or outside the data; the message starts with ``what``.
    """
    s = series
    try:
        a, b = s.to_rel(start), s.to_rel(end)
    except (TypeError, ValueError) as err:
        raise error(f"{what}: {err}") from err
    if not (math.isfinite(a) and math.isfinite(b)):
        raise error(f"{what}: start and end must be finite, got {start!r}..{end!r}")
    if s.exact:
        lo, hi = s.own(start), s.own(end)
        before, outside = hi < lo, lo < s.t0 or hi > s.last
    else:
        eps = max(1e-9, s.span * 1e-12)
        before, outside = b < a, a < -eps or b > s.span + eps
        lo = s.from_rel(0.0) if a < 0 else s.own(start)
        hi = s.from_rel(s.span) if b > s.span else s.own(end)
    if before:
        raise error(f"{what}: end {end!r} is before its start {start!r}")
    if outside:
        raise error(
            f"{what}: {start!r}..{end!r} is outside the data, which spans {s.t0!r} to {s.last!r}"
        )
    return lo, hi


def selection(value: Any, series: Series) -> Any:
    """A (start, end) window inside the data, in the column's own terms, or None."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise TsvTypeError(f"selection must be a (start, end) pair, got {value!r:.80}")
    return within_span(series, value[0], value[1], "selection")


def labels(value: Any) -> Any:
    """Label names (list) or name -> CSS colour (dict), or None."""
    if value is None:
        return None
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, (list, tuple)):
        items = [(v, None) for v in value]
    else:
        raise TsvTypeError(
            f"labels must be a list of names or a dict name -> colour, got {type(value).__name__}"
        )
    seen = set()
    for name, colour in items:
        if not isinstance(name, str) or not name:
            raise TsvError(f"label names must be non-empty strings, got {name!r}")
        if name in seen:
            raise TsvError(f"label {name!r} is given twice")
        if colour is not None and not isinstance(colour, str):
            raise TsvError(f"colour of label {name!r} must be a CSS colour string")
        seen.add(name)
    return value


def hotkeys(value: dict[str, Any], names: Sequence[str]) -> dict[str, str]:
    """Label name -> one-character key; each label known, each key distinct."""
    out = dict(value)
    for name, key in out.items():
        if name not in names:
            raise TsvError(f"hotkey for {name!r}, which is not a label; labels are {list(names)}")
        if not isinstance(key, str) or len(key) != 1 or key in " .?":
            raise TsvError(
                f"hotkey {key!r} for {name!r} must be one character, not space, '.' or '?'"
            )
    if len(set(out.values())) != len(out):
        raise TsvError(f"two labels share a hotkey in {out}")
    return out
