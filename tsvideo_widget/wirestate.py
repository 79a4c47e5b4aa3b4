"""Synced traits as the browser sees them: ``to_json`` and ``from_json`` of the widget's
``selection``, ``regions`` and ``sync_points``.

Times travel as seconds since the first sample (float64) and come back in the time
column's own terms (floats, ints or Timestamps, to the nanosecond); a value the browser did
not change comes back bit-identical. Every failure reading a browser's value is a
TraitError, so ipywidgets' ``set_state`` rolls the change back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import traitlets as t

from . import regions as reg
from . import syncpoints as sp
from . import validation as check
from .errors import AlignmentError, RegionError, TsvError, TsvTypeError

_T = TypeVar("_T")


def selection_to_json(value: Any, widget: Any) -> list[float] | None:
    """``selection`` for the browser: [start, end] in seconds since the first sample, or None."""
    if value is None:
        return None
    s = widget.series
    return [s.to_rel(value[0]), s.to_rel(value[1])]


def selection_from_json(value: Any, widget: Any) -> Any:
    """``selection`` from the browser, in the time column's own terms (snapped to its ticks)."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise TsvTypeError(f"selection from the browser must be [start, end], got {value!r:.80}")
    s = widget.series
    a = check.finite(value[0], "selection start", "seconds")
    b = check.finite(value[1], "selection end", "seconds")
    return (s.from_rel_snapped(a), s.from_rel_snapped(b))


def points_to_json(value: Any, widget: Any) -> list[dict[str, Any]]:
    """``sync_points`` for the browser (data times in seconds since the first sample)."""
    return sp.to_wire(value or [], widget.series)


def _from_browser(read: Callable[[], _T], error: type[TsvError], what: str) -> _T:
    """``read()``, with any exception but a TraitError turned into ``error`` naming ``what``
    (anything else would escape ``set_state``'s rollback)."""
    try:
        return read()
    except t.TraitError:
        raise
    except Exception as err:
        raise error(f"{what} from the browser: {type(err).__name__}: {err}") from err


def points_from_json(value: Any, widget: Any) -> list[dict[str, Any]]:
    """``sync_points`` from the browser, in the time column's own terms."""
    read = lambda: sp.from_wire(value, widget.series, widget.sync_points)  # noqa: E731
    return _from_browser(read, AlignmentError, "sync_points")


def regions_to_json(value: Any, widget: Any) -> list[dict[str, Any]]:
    """``regions`` for the browser (start and end in seconds since the first sample)."""
    return reg.to_wire(value or [], widget.series)


def regions_from_json(value: Any, widget: Any) -> list[dict[str, Any]]:
    """``regions`` from the browser, in the time column's own terms."""
    read = lambda: reg.from_wire(value, widget.series, widget.regions)  # noqa: E731
    return _from_browser(read, RegionError, "regions")
