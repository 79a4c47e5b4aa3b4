"""What every labels-file format shares: how a file stores time, and regions read back.

A file states the kind of its times (numbers with a unit, or datetimes with a
zone); :func:`_region` turns one record of a file (its id, label, channel,
start, end and meta) into a region in the reading data's terms, refusing what
cannot be converted with a :class:`~tsvideo_widget.errors.LabelFileError` that
names the file and the record. :func:`_derived` gives the duration and media
times an export adds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .data import Series
from .errors import LabelFileError
from .labelvalues import _convert_number, _iso, _number_text, _Row, _to_zone, _zone_name
from .timemap import TimeMap


def _derived(r: _Row, series: Series, timemap: TimeMap) -> tuple[Any, float, float]:
    """duration (seconds for datetimes), media_start, media_end."""
    if isinstance(r.start, pd.Timestamp):
        duration: Any = (r.end - r.start) / pd.Timedelta(seconds=1)
    else:
        duration = r.end - r.start
    media_start = float(timemap.to_media(series.to_rel(r.start)))
    media_end = float(timemap.to_media(series.to_rel(r.end)))
    return duration, media_start, media_end


@dataclass(frozen=True)
class _FileTime:
    """How a file stores time."""

    kind: str | None
    """"numeric" or "datetime"; None when the file does not say (version 1 CSV)."""
    unit: str | None
    """The unit of numeric times; None: the reading data's unit (version 1)."""
    tz: str | None
    strict: bool
    """Version 2: naive and zoned times must match the data. Version 1 is read as before:
    naive times take the data's zone."""


def _bad(source: str, what: str) -> LabelFileError:
    return LabelFileError(f"labels file {source!r} {what}; it was left as is")


def _describe(ft: _FileTime) -> str:
    if ft.kind == "numeric":
        return f"numeric times (in {ft.unit!r})" if ft.unit else "numeric times"
    return f"datetimes ({_zone_name(ft.tz)})"


def _check_kind(ft: _FileTime, series: Series, source: str, where: str) -> None:
    """Refuse a file whose times cannot become the data's: numbers vs datetimes, naive vs zoned."""
    data = _describe(_FileTime(series.kind, series.unit, series.tz, True))
    if ft.kind is not None and ft.kind != series.kind:
        raise _bad(
            source,
            f"{where}holds {_describe(ft)}, but the data's time column {series.time_name!r} "
            f"holds {data}; they cannot be converted",
        )
    if ft.strict and ft.kind == "datetime" and (ft.tz is None) != (series.tz is None):
        raise _bad(
            source,
            f"{where}holds {_describe(ft)}, but the data's time column {series.time_name!r} "
            f"holds {data}; the same instant cannot be told",
        )


def _file_time(v: Any, ft: _FileTime, series: Series) -> Any:
    """A time from a file in the data's terms; ValueError (with the reason) when it cannot be."""
    if series.kind == "numeric":
        if isinstance(v, str):
            v = _number_text(v)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"{v!r} is not a number")
        return _convert_number(v, ft.unit or series.unit, series)
    if not isinstance(v, str):
        raise ValueError(f"{v!r} is not an ISO 8601 time")
    return _to_zone(_iso(v), series, "strict" if ft.strict else "v1", ft.tz)


def _region(
    fields: dict[str, Any], ft: _FileTime, series: Series, source: str, where: str
) -> dict[str, Any]:
    """A region read from a file (``fields``: its id, label, channel, start, end and meta),
    checked: LabelFileError naming ``where`` otherwise."""
    rid, label, channel, meta = (fields.get(k) for k in ("id", "label", "channel", "meta"))
    meta = {} if "meta" not in fields else meta
    if rid is not None and not isinstance(rid, str):
        raise _bad(source, f"{where}: id {rid!r} is not a string")
    if label is None:
        raise _bad(source, f"{where}: no label")
    if not isinstance(label, str):
        raise _bad(source, f"{where}: label {label!r} is not a string")
    if channel is not None and not isinstance(channel, str):
        raise _bad(source, f"{where}: channel {channel!r} is not a string")
    if not isinstance(meta, dict):
        raise _bad(source, f"{where}: meta {meta!r} is not an object")
    times = []
    for what in ("start", "end"):
        v = fields.get(what)
        if v is None or v == "":
            raise _bad(source, f"{where}: no {what}")
        try:
            times.append(_file_time(v, ft, series))
        except (ValueError, TypeError, ArithmeticError, LookupError) as err:
            # LookupError: an unknown zone name in the file
            raise _bad(source, f"{where}: {what} {v!r} cannot be read ({err})") from err
    return {
        "id": rid,
        "start": times[0],
        "end": times[1],
        "label": label,
        "channel": channel,
        "meta": meta,
    }
