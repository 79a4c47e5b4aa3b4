"""Regions to and from Label Studio ``timeserieslabels`` results, exactly.

Label Studio's fields are not a labels file: its JavaScript rounds large numbers,
it shows datetimes in its own format, and a user may move a region there. So this
conversion has its own rules, apart from the CSV and JSON files of
:mod:`tsvideo_widget.labelfiles` (which re-exports both functions); the value checks
and time conversions are the files' own (:mod:`tsvideo_widget.labelvalues`).

:func:`to_label_studio` writes Label Studio's own fields as Label Studio reads
them (numbers for numeric time; datetimes as ``time_format`` strings, or epoch
milliseconds without one) and the channel in ``meta.channel``. What those
fields cannot hold goes to ``meta.tsvideo``: ``start``/``end`` as exact text
when the visible value does not give the time back (nanoseconds, integers
beyond 2**53, -0.0) and ``meta`` as JSON text; text, because Label Studio's
JavaScript would round large numbers. :func:`from_label_studio` uses an exact
time when it agrees with the visible value to within that value's float
rounding; when someone moved the region in Label Studio, the visible value
wins. Visible values alone (regions drawn in Label Studio) are read as follows:
epoch milliseconds are rounded to the nearest nanosecond (an integer column's
numbers to the nearest integer), and a time at most 1 microsecond outside the
data's first or last sample is moved onto that sample, so that a region ending
on the last sample stays inside the data.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pandas as pd

from .data import Series
from .errors import LabelFileError
from .labelvalues import (
    _convert_number,
    _iso,
    _json_text,
    _load_json,
    _number_text,
    _rows,
    _time_text,
    _to_zone,
)
from .series import EXACT_UNITS

__all__ = [
    "from_label_studio",
    "to_label_studio",
]


def _ls_visible(t: Any, time_format: str | None) -> Any:
    """A time as Label Studio's ``value.start``/``value.end`` holds it."""
    if isinstance(t, pd.Timestamp):
        if time_format is None:
            return t.value / 1_000_000  # int / int: correctly rounded
        return t.strftime(time_format)
    return t


def _js_safe(v: Any) -> bool:
    """Whether JavaScript keeps the number ``v`` as it is."""
    if isinstance(v, float):
        return not (v == 0 and math.copysign(1.0, v) < 0)
    if isinstance(v, int):
        return abs(v) <= 2**53
    return True


def _same_time(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, pd.Timestamp):
        return bool(a == b) and str(a.tz) == str(b.tz)
    return bool(a == b)


def to_label_studio(
    regions: list[dict[str, Any]],
    series: Series,
    from_name: str = "label",
    to_name: str = "ts",
    time_format: str | None = None,
) -> list[dict[str, Any]]:
    """Regions as Label Studio ``timeserieslabels`` results (a list of dicts).

    Numeric time is written as numbers in the column's unit. Datetimes are
    written as strings in ``time_format`` (strftime, the same format as the
    ``timeFormat`` of Label Studio's ``<TimeSeries>``), or as epoch
    milliseconds when ``time_format`` is None. ``meta.channel`` holds the
    channel; ``meta.tsvideo`` what Label Studio's fields cannot hold exactly
    (see the module's documentation), so :func:`from_label_studio` gives the
    regions back exactly.

    Raises:
        LabelFileError: a region or meta value that cannot be written exactly.
    """
    out = []
    for r in _rows(regions, series):
        vs, ve = _ls_visible(r.start, time_format), _ls_visible(r.end, time_format)
        item: dict[str, Any] = {
            "id": r.id,
            "from_name": from_name,
            "to_name": to_name,
            "type": "timeserieslabels",
            "value": {
                "start": vs,
                "end": ve,
                "instant": bool(r.start == r.end),
                "timeserieslabels": [r.label],
            },
        }
        exact: dict[str, str] = {}
        for key, t, v in (("start", r.start, vs), ("end", r.end, ve)):
            try:
                back = _ls_to_series(v, series, time_format)
            except ValueError:
                back = None
            if not (_js_safe(v) and _same_time(back, t)):
                exact[key] = _time_text(t)
        if r.meta:
            exact["meta"] = _json_text(r.meta)
        meta: dict[str, Any] = {}
        if r.channel is not None:
            meta["channel"] = r.channel
        if exact:
            meta["tsvideo"] = exact
        if meta:
            item["meta"] = meta
        out.append(item)
    return out


def _ls_items(results: Any) -> list[tuple[str, Any]]:
    """(position, result) pairs from a result list, an annotation or a task dict."""
    if isinstance(results, dict):
        if "result" in results:
            found = results["result"]
            if not isinstance(found, list):
                raise LabelFileError(f"Label Studio 'result' must be a list, got {found!r}")
            return [(f"result #{j}", x) for j, x in enumerate(found)]
        if "annotations" in results:
            anns = results["annotations"]
            if not isinstance(anns, list):
                raise LabelFileError(f"Label Studio 'annotations' must be a list, got {anns!r}")
            out = []
            for a, ann in enumerate(anns):
                found = ann.get("result") if isinstance(ann, dict) else None
                if not isinstance(found, list):
                    raise LabelFileError(
                        f"Label Studio annotation #{a} has no 'result' list: {ann!r}"
                    )
                out += [(f"annotation #{a} result #{j}", x) for j, x in enumerate(found)]
            return out
        raise LabelFileError(
            "expected a list of Label Studio results, or a dict with 'result' or 'annotations'; "
            f"got a dict with keys {sorted(map(str, results))}"
        )
    if isinstance(results, list):
        return [(f"result #{j}", x) for j, x in enumerate(results)]
    raise LabelFileError(
        "expected a list of Label Studio results, or a dict with 'result' or 'annotations'; "
        f"got {type(results).__name__}"
    )


def _ls_string_time(v: str, time_format: str | None) -> pd.Timestamp:
    if time_format is None:
        return _iso(v)
    try:
        ts = pd.Timestamp(pd.to_datetime(v, format=time_format))
    except (ValueError, TypeError) as err:
        raise ValueError(f"{v!r} does not match time_format {time_format!r}") from err
    if pd.isna(ts):
        raise ValueError(f"{v!r} is not a time")
    return ts


def _ls_to_series(v: Any, series: Series, time_format: str | None) -> Any:
    """A visible Label Studio time in the data's terms; ValueError with the reason otherwise."""
    if series.kind == "numeric":
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"{v!r} is not a number, but the time column holds numbers")
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"{v!r} is not finite")
        if series.integer:
            return v if isinstance(v, int) else round(v)
        return float(v)
    if isinstance(v, str):
        ts = _ls_string_time(v, time_format)
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"{v!r} is not finite")
        # Exact rational arithmetic: v * 1e6 in floats would be off by hundreds of ns.
        ts = pd.Timestamp(round(Fraction(v) * 10**6), unit="ns", tz="UTC")
    else:
        raise ValueError(f"{v!r} is neither a time string nor epoch milliseconds")
    return _to_zone(ts, series, "ls")


def _ls_exact(v: Any, series: Series) -> Any:
    """An exact time from ``meta.tsvideo`` in the data's terms; ValueError otherwise."""
    if not isinstance(v, str):
        raise ValueError(f"{v!r} is not text")
    if series.kind == "numeric":
        return _convert_number(_number_text(v), series.unit, series)
    return _to_zone(_iso(v), series, "ls")


def _ls_agrees(visible: Any, exact: Any, time_format: str | None) -> bool:
    """Whether the visible value is the exact time, to within the visible value's rounding."""
    shown = _ls_visible(exact, time_format)
    if isinstance(visible, str) or isinstance(shown, str):
        if visible == shown:
            return True
        if not (isinstance(visible, str) and isinstance(shown, str)):
            return False
        try:
            return bool(
                _ls_string_time(visible, time_format) == _ls_string_time(shown, time_format)
            )
        except (ValueError, TypeError):
            return False
    if isinstance(visible, bool) or not isinstance(visible, (int, float)):
        return False
    a, b = float(visible), float(shown)
    return abs(a - b) <= 2 * math.ulp(max(abs(a), abs(b)))


def _ends(series: Series) -> tuple[Any, Any]:
    """The first and last sample's times, exactly, in the data's terms."""
    return series.t0, series.last


def _clamp(t: Any, series: Series) -> Any:
    """``t`` moved onto the first or last sample when it is at most 1 µs outside the data."""
    first, last = _ends(series)
    tol: Any
    if series.kind == "datetime":
        tol = pd.Timedelta(1, unit="us")
    else:
        ticks = Fraction(1, 10**6) / EXACT_UNITS[series.unit]
        tol = int(ticks) if series.integer else float(ticks)
    if first - tol <= t < first:
        return first
    if last < t <= last + tol:
        return last
    return t


def from_label_studio(
    results: list[dict[str, Any]] | dict[str, Any],
    series: Series,
    time_format: str | None = None,
) -> list[dict[str, Any]]:
    """Regions from Label Studio results (a list of results, or an annotation or task dict).

    Results of other types (choices, text...) are skipped, since they are not
    regions. Exact times and meta from ``meta.tsvideo`` are used when they
    agree with the visible values; visible values alone are rounded to the
    nearest nanosecond (epoch milliseconds) and moved onto the first or last
    sample when at most 1 µs outside the data (see the module's documentation).

    Raises:
        LabelFileError: naming the result (position and id) and what is wrong:
            not a dict, no ``value``, no or unreadable start/end, several
            labels, ``instant`` with a different end, broken ``meta.tsvideo``.
    """
    out = []
    for pos, item in _ls_items(results):
        if not isinstance(item, dict):
            raise LabelFileError(f"Label Studio {pos} is a {type(item).__name__}, not a dict")
        if "type" not in item and ("annotations" in item or "result" in item):
            raise LabelFileError(
                f"Label Studio {pos} is a task or an annotation, not a result: pass one task"
            )
        if item.get("type") != "timeserieslabels":
            continue
        rid = item.get("id")
        where = f"Label Studio {pos} (id {rid!r})"
        if rid is not None and not isinstance(rid, str):
            raise LabelFileError(f"{where}: id {rid!r} is not a string")
        value = item.get("value")
        if not isinstance(value, dict):
            raise LabelFileError(f"{where}: no 'value' dict (got {value!r})")
        names = value.get("timeserieslabels")
        if not isinstance(names, list) or len(names) != 1 or not isinstance(names[0], str):
            raise LabelFileError(
                f"{where}: has labels {names!r}; one label per region is supported"
            )
        vs = value.get("start")
        if vs is None:
            raise LabelFileError(f"{where}: no start")
        ve = value.get("end")
        if value.get("instant"):
            if ve is None:
                ve = vs
            elif ve != vs:
                raise LabelFileError(f"{where}: instant, but end {ve!r} is not start {vs!r}")
        elif ve is None:
            raise LabelFileError(f"{where}: no end (and not instant)")
        meta_in = item.get("meta")
        meta_in = {} if meta_in is None else meta_in
        if not isinstance(meta_in, dict):
            raise LabelFileError(f"{where}: meta {meta_in!r} is not a dict")
        channel = meta_in.get("channel")
        if channel is not None and not isinstance(channel, str):
            raise LabelFileError(f"{where}: meta.channel {channel!r} is not a string")
        exact = meta_in.get("tsvideo", {})
        if not isinstance(exact, dict):
            raise LabelFileError(f"{where}: meta.tsvideo {exact!r} is not a dict")
        times = []
        for what, v in (("start", vs), ("end", ve)):
            if what in exact:
                try:
                    x = _ls_exact(exact[what], series)
                except (ValueError, ArithmeticError) as err:
                    raise LabelFileError(
                        f"{where}: meta.tsvideo.{what} {exact[what]!r} cannot be read ({err})"
                    ) from err
                # The exact time unless someone moved the region in Label Studio. (It also
                # settles visible wall times that are ambiguous at a daylight saving change.)
                if _ls_agrees(v, x, time_format):
                    times.append(x)
                    continue
            try:
                times.append(_clamp(_ls_to_series(v, series, time_format), series))
            except (ValueError, ArithmeticError) as err:
                raise LabelFileError(f"{where}: {what} {v!r} cannot be read ({err})") from err
        meta: Any = {}
        if "meta" in exact:
            try:
                meta = _load_json(exact["meta"]) if isinstance(exact["meta"], str) else None
            except ValueError:
                meta = None
            if not isinstance(meta, dict):
                raise LabelFileError(
                    f"{where}: meta.tsvideo.meta {exact['meta']!r} is not the JSON text of a dict"
                )
        out.append(
            {
                "id": rid,
                "start": times[0],
                "end": times[1],
                "label": names[0],
                "channel": channel,
                "meta": meta,
            }
        )
    return out
