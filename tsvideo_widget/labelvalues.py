"""Region values and times as labels files and Label Studio results hold them.

Shared by the file formats (:mod:`tsvideo_widget.labelfiles`) and Label Studio
(:mod:`tsvideo_widget.labelstudio`), so that every format checks, writes and
converts values the same way, and neither of those modules imports the other:

- writing: :func:`_rows` checks regions (string id, label and channel, times of the
  data's kind, meta made of plain JSON values) and refuses what no format can hold
  exactly, naming the region and the meta key; :func:`_time_text` and
  :func:`_json_text` give exact text;
- reading: :func:`_number_text`, :func:`_iso`, :func:`_convert_number` and
  :func:`_to_zone` turn a file's times into the data's terms exactly (units, zones),
  or raise ValueError with the reason.

The names keep their leading underscore: they are internals of this package, not API.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from .data import Series
from .errors import LabelFileError
from .series import EXACT_UNITS

_SURROGATE = re.compile("[\ud800-\udfff]")
_INT_TEXT = re.compile(r"[+-]?\d+")
_ISO_TEXT = re.compile(
    r"[+-]?\d{4,}-\d\d-\d\d(?:[T ]\d\d(?::\d\d(?::\d\d(?:[.,]\d+)?)?)?)?"
    r"(?:Z|[+-]\d\d(?::?\d\d(?::?\d\d)?)?)?"
)
_MAX_INT_BITS = 14_000
"""Integers at least this long are checked against Python's int <-> text digit limit."""


# -- writing: regions checked, values as plain JSON ------------------------------------


def _meta_error(rid: Any, path: str, v: Any, why: str) -> LabelFileError:
    return LabelFileError(
        f"region {rid!r}: meta key {path} = {v!r} ({type(v).__name__}) cannot be saved: {why}"
    )


def _plain(v: Any, rid: Any, path: str) -> Any:
    """``v`` as plain JSON values (str, int, float, bool, None, list, dict), or LabelFileError."""
    t = type(v)
    if v is None or t is str or t is bool:
        return v
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, (int, np.integer)):
        n = int(v)
        if n.bit_length() >= _MAX_INT_BITS:
            try:
                str(n)
            except ValueError as err:
                raise _meta_error(rid, path, "<huge int>", str(err)) from err
        return n
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if not math.isfinite(f):
            raise _meta_error(rid, path, v, "JSON has no NaN or infinity; use None for no value")
        return f
    if isinstance(v, list):
        return [_plain(x, rid, f"{path}[{i}]") for i, x in enumerate(v)]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise _meta_error(rid, path, v, f"its key {k!r} is not a string")
            out[str.__str__(k)] = _plain(x, rid, f"{path}[{k!r}]")
        return out
    if isinstance(v, tuple):
        raise _meta_error(rid, path, v, "it would be read back as a list; pass a list")
    raise _meta_error(
        rid, path, v, "a labels file holds str, int, float, bool, None, lists and dicts of them"
    )


def _plain_meta(meta: Any, rid: Any) -> dict[str, Any]:
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise LabelFileError(f"region {rid!r}: meta must be a dict, got {type(meta).__name__}")
    out = {}
    for k, v in meta.items():
        if not isinstance(k, str):
            raise LabelFileError(f"region {rid!r}: meta key {k!r} is not a string")
        out[str.__str__(k)] = _plain(v, rid, repr(k))
    return out


def _json_text(obj: Any, indent: int | None = None) -> str:
    """JSON, readable (non-ASCII as is) unless a lone surrogate needs escaping."""
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, indent=indent)
    if _SURROGATE.search(text) is None:
        return text
    return json.dumps(obj, ensure_ascii=True, allow_nan=False, indent=indent)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _load_json(text: str) -> Any:
    """json.loads that refuses NaN and Infinity, which no labels file holds."""
    return json.loads(text, parse_constant=_refuse_constant)


@dataclass(frozen=True)
class _Row:
    """A region checked for writing: strings, times in the data's terms, plain meta."""

    id: str
    label: str
    channel: str | None
    start: Any
    end: Any
    meta: dict[str, Any]


def _own_time(t: Any, series: Series, rid: Any, what: str) -> Any:
    """A region's time as the file writes it (float, int or Timestamp in the data's zone)."""
    if series.kind == "datetime":
        if not isinstance(t, dt.datetime):
            raise LabelFileError(
                f"region {rid!r}: {what} {t!r} is not a Timestamp, but the time column "
                f"{series.time_name!r} holds datetimes"
            )
        ts = pd.Timestamp(t)
        if (ts.tzinfo is None) != (series.tz is None):
            raise LabelFileError(
                f"region {rid!r}: {what} {t!r} is {_zone_name(ts)}, but the time column "
                f"{series.time_name!r} is {_zone_name(series.tz)}"
            )
        return ts if series.tz is None else ts.tz_convert(series.tz)
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, float, np.integer, np.floating)):
        raise LabelFileError(
            f"region {rid!r}: {what} {t!r} is not a number, but the time column "
            f"{series.time_name!r} holds numbers"
        )
    if series.integer:
        if isinstance(t, (int, np.integer)):
            return int(t)
        if float(t).is_integer():
            return int(t)
        raise LabelFileError(
            f"region {rid!r}: {what} {t!r} is not a whole number, but the time column "
            f"{series.time_name!r} holds integers"
        )
    f = float(t)
    if not math.isfinite(f):
        raise LabelFileError(f"region {rid!r}: {what} {t!r} is not finite")
    return f


def _zone_name(tz: Any) -> str:
    if isinstance(tz, pd.Timestamp):
        tz = tz.tz
    return "naive" if tz is None else f"in zone {str(tz)!r}"


def _rows(regions: Any, series: Series) -> list[_Row]:
    if not isinstance(regions, list):
        raise LabelFileError(f"regions must be a list of dicts, got {type(regions).__name__}")
    out = []
    for i, r in enumerate(regions):
        if not isinstance(r, dict):
            raise LabelFileError(f"region #{i} is a {type(r).__name__}, not a dict")
        rid = r.get("id")
        for key in ("id", "label"):
            if not isinstance(r.get(key), str):
                raise LabelFileError(
                    f"region #{i} (id {rid!r}): {key} {r.get(key)!r} is not a string"
                )
        channel = r.get("channel")
        if channel is not None and not isinstance(channel, str):
            raise LabelFileError(f"region {rid!r}: channel {channel!r} is not a string or None")
        out.append(
            _Row(
                id=str.__str__(rid),
                label=str.__str__(r["label"]),
                channel=None if channel is None else str.__str__(channel),
                start=_own_time(r.get("start"), series, rid, "start"),
                end=_own_time(r.get("end"), series, rid, "end"),
                meta=_plain_meta(r.get("meta"), rid),
            )
        )
    return out


def _time_text(t: Any) -> str:
    """A time as exact text: ``repr`` of a float, an int's digits, ISO 8601 of a Timestamp."""
    if isinstance(t, pd.Timestamp):
        return t.isoformat()
    return repr(t)


# -- reading: a file's times in the data's terms ----------------------------------------


def _number_text(s: str) -> int | float:
    """An int for integer text, else a float; ValueError when it is neither."""
    s = s.strip()
    if _INT_TEXT.fullmatch(s):
        return int(s)
    return float(s)


def _iso(s: str) -> pd.Timestamp:
    """A Timestamp from ISO 8601 text; ValueError otherwise ("now" is not a time here)."""
    if _ISO_TEXT.fullmatch(s.strip()) is None:
        raise ValueError(f"{s!r} is not an ISO 8601 time")
    return pd.Timestamp(s.strip())


def _convert_number(v: int | float, unit: str, series: Series) -> int | float:
    """A number in ``unit`` in the data's unit and type; ValueError when it cannot be exact."""
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"{v!r} is not finite")
    ratio = EXACT_UNITS[unit] / EXACT_UNITS[series.unit]
    if isinstance(v, int):
        q = v * ratio
        if not series.integer:
            return float(q)
        if q.denominator != 1:
            raise ValueError(f"{v!r} {unit} is {float(q)!r} {series.unit}, not a whole number")
        return int(q)
    if ratio == 1 and not series.integer:
        return v
    q = Fraction(v) * ratio
    if not series.integer:
        return float(q)
    n = round(q)
    # A float file value is only as exact as its last bit: within that, it is whole.
    if abs(q - n) > Fraction(math.ulp(v)) / 2 * ratio:
        raise ValueError(f"{v!r} {unit} is {float(q)!r} {series.unit}, not a whole number")
    return n


def _to_zone(ts: pd.Timestamp, series: Series, mode: str, file_tz: str | None = None) -> Any:
    """A parsed time in the data's zone (the same instant); ValueError when it has no instant.

    ``mode``: "strict" (version 2 files: naive and zoned must match the data),
    "v1" (naive times take the data's zone, as version 1 files were read), or
    "ls" (as "v1", and zoned times become naive UTC for naive data, the way
    epoch milliseconds of naive data are written).
    """
    if ts.tzinfo is None and file_tz is not None:
        ts = ts.tz_localize(file_tz)
    if series.tz is None:
        if ts.tzinfo is None:
            return ts
        if mode != "ls":
            raise ValueError(f"{ts} has a UTC offset, but the data's time column is naive")
        return ts.tz_convert(None)
    if ts.tzinfo is None:
        if mode == "strict":
            raise ValueError(f"{ts} has no UTC offset, but the data is in zone {series.tz!r}")
        return ts.tz_localize(series.tz)
    return ts.tz_convert(series.tz)
