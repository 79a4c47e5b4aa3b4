"""Sync points: pairs of a data time and a media time that show the same instant.

A sync point is a dict ``{id, track, data_time, media_time}``:

* ``id`` (str): unique among the widget's sync points; a new one is made when
  it is missing;
* ``track`` (str): the media track whose clock ``media_time`` is on;
* ``data_time``: a time in the data, in the time column's own terms (float in
  ``time_unit``, int, or a pandas Timestamp), inside the data's span;
* ``media_time`` (float): seconds in the track's media, >= 0.

The browser sends data times as seconds since the first sample; like regions,
a point the browser did not move comes back bit-identical
(:func:`from_wire`). Every check raises :class:`AlignmentError` (a
TraitError), naming the point and the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import AlignmentError
from .regions import is_missing, new_id, rel_to_own, same_float
from .series import Series
from .validation import within_span

KEYS = ("id", "track", "data_time", "media_time")
"""The keys of a sync point, in order (tuple of str)."""

__all__ = ["KEYS", "check_tracks", "from_wire", "normalize", "normalize_all", "to_wire"]


def _media_time(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise AlignmentError(f"{what}: media_time must be seconds (a number), got {value!r}")
    try:
        m = float(value)
    except (TypeError, ValueError) as err:
        raise AlignmentError(
            f"{what}: media_time must be seconds (a number), got {value!r:.40}"
        ) from err
    if not math.isfinite(m) or m < 0:
        raise AlignmentError(f"{what}: media_time must be finite seconds >= 0, got {value!r}")
    return m


def normalize(point: Mapping[str, Any], series: Series, tracks: Sequence[str]) -> dict[str, Any]:
    """One sync point checked and in canonical form (keys :data:`KEYS`).

    ``track`` defaults to the first track; an unknown key, a data time outside
    the data, a track the widget does not have or a negative media time raise
    :class:`AlignmentError`.
    """
    if not isinstance(point, Mapping):
        raise AlignmentError(
            f"a sync point must be a dict with {list(KEYS)}, got {type(point).__name__}"
        )
    pid = point.get("id")
    what = f"sync point {pid}"
    if is_missing(pid):
        pid, what = new_id(), "the new sync point"
    elif not isinstance(pid, str) or not pid:
        raise AlignmentError(f"sync point id must be a non-empty str, got {pid!r:.60}")
    extra = sorted(set(point) - set(KEYS))
    if extra:
        raise AlignmentError(f"{what} has unknown keys {extra}; a sync point has {list(KEYS)}")
    for key in ("data_time", "media_time"):
        if key not in point or is_missing(point[key]):
            raise AlignmentError(f"{what} has no {key!r}")
    if not tracks:
        raise AlignmentError(f"{what}: this widget has no media track to align")
    track = point.get("track")
    track = tracks[0] if is_missing(track) else track
    if track not in tracks:
        raise AlignmentError(f"{what}: no media track {track!r}; the tracks are {list(tracks)}")
    data_time, _ = within_span(series, point["data_time"], point["data_time"], what, AlignmentError)
    return {
        "id": pid,
        "track": track,
        "data_time": data_time,
        "media_time": _media_time(point["media_time"], what),
    }


def normalize_all(
    points: Iterable[Mapping[str, Any]], series: Series, tracks: Sequence[str]
) -> list[dict[str, Any]]:
    """A list of sync points checked (:func:`normalize`); ids must be unique."""
    if isinstance(points, (str, bytes, Mapping)) or not isinstance(points, Iterable):
        raise AlignmentError(f"sync_points must be a list of dicts, got {type(points).__name__}")
    out = [normalize(p, series, tracks) for p in points]
    seen: set[str] = set()
    for p in out:
        if p["id"] in seen:
            raise AlignmentError(f"sync point id {p['id']!r} appears twice; ids must be unique")
        seen.add(p["id"])
    return out


def check_tracks(points: Sequence[Mapping[str, Any]], tracks: Sequence[str], change: str) -> None:
    """Refuse ``change`` (a description) when a sync point's track would be gone."""
    for p in points:
        if p["track"] not in tracks:
            raise AlignmentError(
                f"{change} would drop the media track {p['track']!r} that sync point "
                f"{p['id']} is on; remove its sync points first (w.sync_points = [p for p in "
                f"w.sync_points if p['track'] != {p['track']!r}])"
            )


def to_wire(points: Sequence[Mapping[str, Any]], series: Series) -> list[dict[str, Any]]:
    """Sync points as the browser gets them: ``data_time`` in seconds since the first sample."""
    return [{**p, "data_time": series.to_rel(p["data_time"])} for p in points]


def from_wire(
    items: Any, series: Series, current: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """Sync points from the browser (seconds since the first sample) in the column's own terms.

    A point whose ``data_time`` equals what :func:`to_wire` sent for the point
    of the same id keeps its own value, so an untouched point is bit-identical.
    """
    if not isinstance(items, list):
        raise AlignmentError(
            f"sync_points from the browser must be a list, got {type(items).__name__}"
        )
    known = {p["id"]: p for p in current}
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise AlignmentError(f"sync point #{i} from the browser is not an object: {item!r:.80}")
        p = dict(item)
        old = known.get(p.get("id"))
        rel = p.get("data_time")
        if old is not None and same_float(rel, series.to_rel(old["data_time"])):
            p["data_time"] = old["data_time"]
        else:
            p["data_time"] = rel_to_own(
                series, rel, f"sync point {p.get('id', f'#{i}')}: data_time"
            )
        out.append(p)
    return out
