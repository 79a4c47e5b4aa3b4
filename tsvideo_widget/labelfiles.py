"""Regions to and from labels files (CSV, JSON); the labels-file API in one place.

The promise: labels are never lost and never changed behind the user's back.
Every round trip (CSV, JSON, Label Studio) gives back exactly what went in:
times to the nanosecond, strings as they were, meta values with their types.
What a format cannot hold is refused when it is written (a
:class:`~tsvideo_widget.errors.LabelFileError` naming the region and the meta
key), never dropped or rounded; a file this module cannot read is refused and
left as it is.

The work is shared out by job, and this module re-exports the public names of each,
so ``labelfiles.X`` is the one place callers look:

- :mod:`tsvideo_widget.filestore`: files on disk (:class:`FileStamp`, :func:`stamp`,
  :func:`read_file`, :func:`write_atomic`, :func:`clean_stale_temps`);
- :mod:`tsvideo_widget.labelstudio`: Label Studio results (:func:`to_label_studio`,
  :func:`from_label_studio`);
- :mod:`tsvideo_widget.labelvalues`: the value checks and time conversions every
  format shares;
- this module: the CSV and JSON formats described below.

JSON files (``.json``)
----------------------
::

    {"format": "tsvideo-widget/regions", "version": 2,
     "time": {"kind": "numeric", "unit": "s", "integer": false, "tz": null, "column": "time"},
     "regions": [{"id": "a1", "label": "Run", "channel": null,
                  "start": 1.25, "end": 2.5, "meta": {"note": "x"}}]}

``time.kind`` is ``"numeric"`` (``unit`` is the column's unit, ``integer``
whether it holds integers) or ``"datetime"`` (``unit`` null, ``tz`` the zone
name or null for naive times). Times are numbers in that unit (floats written
with ``repr`` precision, integers of any size as integers) or ISO 8601 strings
with the digits the time needs, up to nanoseconds, and the UTC offset. The
regions keep their order. :func:`export` adds ``media_start``/``media_end``
(media seconds through the current mapping) to each region; autosave leaves
them out, so the file depends only on the regions and the time column. Version
1 files (no unit conversion: the reading data's unit is assumed) are still read.

CSV files (``.csv``)
--------------------
One row per region, in the regions' order, columns ``id, label, channel,
start, end`` (then ``duration, media_start, media_end`` from :func:`export`),
``time_kind, time_unit, time_zone`` (``numeric``/``datetime``; the unit, empty
for datetimes; the zone, empty when naive or numeric), then one column per meta
key in order of first appearance. Times are written as in JSON (an integer
column's times as integer literals). Cells are quoted as RFC 4180 says
(commas, quotes, line breaks, carriage returns) and also when they have leading
or trailing spaces; ``pandas.read_csv`` reads the file.

A text column (``id``, ``label``, ``channel`` or a meta key) is plain text
when every value in it is a non-empty string (without NUL or lone surrogates);
otherwise its header gets the suffix ``:json`` and every cell is a JSON literal
(``"007"``, ``true``, ``null``, ``2.0``, ``[1, {"a": "b"}]``...). An empty cell
is an absent meta key, or no channel. A meta key that is one of the columns
above, or starts with ``meta:``, is written as ``meta:{key}``; a meta key
ending in ``:json`` always gets a JSON column. So CSV holds everything JSON
holds, with one limit: a meta key with a lone surrogate (not UTF-8) cannot be
a CSV header and is refused. Meta keys come back in column order (dicts compare
equal whatever their order). CSV files without ``time_kind`` (version 1) are
still read, with pandas' guesses for meta types as before.

What JSON (and so both formats) cannot hold, refused when written: NaN and
infinite floats, sets, tuples (they would come back as lists), bytes, Decimal,
datetimes, arrays, dict keys that are not strings, and integers of more than
4300 digits (Python's limit for int <-> text). numpy scalars are written as the
Python numbers they equal.

Reading converts the file's times to the reading data's terms: numeric units
exactly (value * seconds per file unit / seconds per data unit; an integer
column needs whole results), time zones to the data's zone (the same instant).
Numbers against datetimes, or naive times against zoned ones, are refused (a
file without regions has nothing to convert and is read whatever its kind).
"""

from __future__ import annotations

import io
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .data import Series
from .errors import LabelFileError
from .filestore import FileStamp, clean_stale_temps, read_file, stamp, write_atomic
from .labelstudio import from_label_studio, to_label_studio
from .labelvalues import (
    _SURROGATE,
    _UNITS,
    _convert_number,
    _iso,
    _json_text,
    _load_json,
    _number_text,
    _Row,
    _rows,
    _time_text,
    _to_zone,
    _zone_name,
)
from .timemap import TimeMap

__all__ = [
    "FORMAT",
    "VERSION",
    "FileStamp",
    "LabelFileError",
    "clean_stale_temps",
    "dumps",
    "export",
    "file_kind",
    "from_label_studio",
    "parse",
    "parse_text",
    "read_file",
    "stamp",
    "to_label_studio",
    "write_atomic",
]

FORMAT = "tsvideo-widget/regions"
"""The ``format`` field of the JSON files this package writes."""

VERSION = 2
"""The version of the files this module writes; it reads versions 1 and 2."""

_TEXT_COLUMNS = ("id", "label", "channel")
_TIME_COLUMNS = ("start", "end", "time_kind", "time_unit", "time_zone")
_DERIVED_COLUMNS = ("duration", "media_start", "media_end")
_RESERVED = frozenset(_TEXT_COLUMNS + _TIME_COLUMNS + _DERIVED_COLUMNS)
_JSON_SUFFIX = ":json"
_META_PREFIX = "meta:"
_ABSENT: Any = object()
"""An absent meta key, or no channel: an empty CSV cell."""

_NOT_PLAIN = re.compile("[\x00\ud800-\udfff]")
"""Strings that a plain CSV cell does not hold: lone surrogates (not UTF-8), and NUL,
which many CSV readers mangle."""
_CSV_FIELD = re.compile(r'"([^"]*(?:""[^"]*)*)"|([^,"\r\n]*)')


def file_kind(path: str | os.PathLike[str]) -> str:
    """``"csv"`` or ``"json"`` from the extension of ``path``; LabelFileError otherwise."""
    ext = Path(path).suffix.lower()
    if ext in (".csv", ".json"):
        return ext[1:]
    raise LabelFileError(
        f"cannot tell the format of {os.fspath(path)!r} from its extension: use .csv or .json"
    )


# -- writing -----------------------------------------------------------------------------


def _time_json(t: Any) -> Any:
    return t.isoformat() if isinstance(t, pd.Timestamp) else t


def _derived(r: _Row, series: Series, timemap: TimeMap) -> tuple[Any, float, float]:
    """duration (seconds for datetimes), media_start, media_end."""
    if isinstance(r.start, pd.Timestamp):
        duration: Any = (r.end - r.start) / pd.Timedelta(seconds=1)
    else:
        duration = r.end - r.start
    media_start = float(timemap.to_media(series.to_rel(r.start)))
    media_end = float(timemap.to_media(series.to_rel(r.end)))
    return duration, media_start, media_end


def _time_header(series: Series) -> dict[str, Any]:
    numeric = series.kind == "numeric"
    return {
        "kind": series.kind,
        "unit": series.unit if numeric else None,
        "integer": series.integer,
        "tz": series.tz,
        "column": series.time_name,
    }


def _dumps_json(rows: list[_Row], series: Series, timemap: TimeMap | None) -> str:
    items = []
    for r in rows:
        item: dict[str, Any] = {
            "id": r.id,
            "label": r.label,
            "channel": r.channel,
            "start": _time_json(r.start),
            "end": _time_json(r.end),
        }
        if timemap is not None:
            _, item["media_start"], item["media_end"] = _derived(r, series, timemap)
        item["meta"] = r.meta
        items.append(item)
    doc = {"format": FORMAT, "version": VERSION, "time": _time_header(series), "regions": items}
    return _json_text(doc, indent=1) + "\n"


def _text_column(base: str, values: list[Any]) -> tuple[str, list[str]]:
    """A CSV column of strings or JSON values: plain text when it can be, else ``:json``."""
    plain = not base.endswith(_JSON_SUFFIX) and all(
        v is _ABSENT or (isinstance(v, str) and v != "" and _NOT_PLAIN.search(v) is None)
        for v in values
    )
    if plain:
        return base, ["" if v is _ABSENT else v for v in values]
    return base + _JSON_SUFFIX, ["" if v is _ABSENT else _json_text(v) for v in values]


def _meta_base(key: str) -> str:
    return _META_PREFIX + key if key in _RESERVED or key.startswith(_META_PREFIX) else key


def _csv_cell(s: str) -> str:
    if any(c in s for c in ',"\r\n') or s != s.strip():
        return '"' + s.replace('"', '""') + '"'
    return s


def _dumps_csv(rows: list[_Row], series: Series, timemap: TimeMap | None) -> str:
    columns = [
        _text_column("id", [r.id for r in rows]),
        _text_column("label", [r.label for r in rows]),
        _text_column("channel", [_ABSENT if r.channel is None else r.channel for r in rows]),
        ("start", [_time_text(r.start) for r in rows]),
        ("end", [_time_text(r.end) for r in rows]),
    ]
    if timemap is not None:
        derived = [_derived(r, series, timemap) for r in rows]
        for j, name in enumerate(_DERIVED_COLUMNS):
            columns.append((name, [repr(d[j]) for d in derived]))
    unit = series.unit if series.kind == "numeric" else ""
    columns += [
        ("time_kind", [series.kind] * len(rows)),
        ("time_unit", [unit] * len(rows)),
        ("time_zone", [series.tz or ""] * len(rows)),
    ]
    for key in dict.fromkeys(k for r in rows for k in r.meta):
        if _SURROGATE.search(key) is not None:
            rid = next(r.id for r in rows if key in r.meta)
            raise LabelFileError(
                f"region {rid!r}: meta key {key!r} cannot be a CSV column name (a lone surrogate "
                "is not UTF-8); rename the key or save as .json"
            )
        columns.append(_text_column(_meta_base(key), [r.meta.get(key, _ABSENT) for r in rows]))
    lines = [",".join(_csv_cell(name) for name, _ in columns)]
    lines += [",".join(_csv_cell(cells[i]) for _, cells in columns) for i in range(len(rows))]
    return "\n".join(lines) + "\n"


def dumps(
    regions: list[dict[str, Any]], series: Series, kind: str, timemap: TimeMap | None = None
) -> str:
    """The text of a labels file: ``kind`` is ``"csv"`` or ``"json"``.

    With ``timemap`` (for :func:`export`), each region also gets its media
    times (and, in CSV, its duration); without it (autosave) the text depends
    only on the regions and the time column's kind, unit and zone.

    Raises:
        LabelFileError: a region or meta value the file cannot hold exactly,
            naming the region and the meta key.
    """
    if kind not in ("csv", "json"):
        raise LabelFileError(f"unknown labels file kind {kind!r}; use 'csv' or 'json'")
    rows = _rows(regions, series)
    return (
        _dumps_json(rows, series, timemap) if kind == "json" else _dumps_csv(rows, series, timemap)
    )


def export(
    path: str | os.PathLike[str],
    regions: list[dict[str, Any]],
    series: Series,
    timemap: TimeMap | None = None,
) -> Path:
    """Write the regions to ``path`` (.csv or .json) atomically, with media times; returns it."""
    p = Path(path)
    write_atomic(p, dumps(regions, series, file_kind(p), timemap))
    return p


# -- reading -----------------------------------------------------------------------------


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


def _parse_json(text: str, series: Series, source: str) -> list[dict[str, Any]]:
    try:
        doc = _load_json(text)
    except ValueError as err:
        raise _bad(source, f"is not valid JSON ({err})") from err
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _bad(
            source,
            f'is not a tsvideo-widget labels file (no "format": "{FORMAT}"). Pass another '
            "autosave= path, or load it yourself",
        )
    version = doc.get("version")
    if version not in (1, 2) or isinstance(version, bool):
        raise _bad(source, f"has version {version!r}; this version of tsvideo-widget reads 1 and 2")
    time = doc.get("time")
    if version == 1:
        kind = time.get("kind") if isinstance(time, dict) else None
        ft = _FileTime(kind if kind in ("numeric", "datetime") else None, None, None, False)
    else:
        if not isinstance(time, dict) or time.get("kind") not in ("numeric", "datetime"):
            raise _bad(source, f'has no "time": {{"kind": "numeric" | "datetime", ...}} ({time!r})')
        unit, tz = time.get("unit"), time.get("tz")
        if time["kind"] == "numeric" and unit not in _UNITS:
            raise _bad(source, f"has time unit {unit!r}; known units: {', '.join(_UNITS)}")
        if tz is not None and not isinstance(tz, str):
            raise _bad(source, f"has time zone {tz!r}, not a name")
        ft = _FileTime(time["kind"], unit if time["kind"] == "numeric" else None, tz, True)
    items = doc.get("regions")
    if not isinstance(items, list):
        raise _bad(source, 'has no "regions" list')
    if items:  # as in CSV, where only rows tell the kind: no regions, nothing to convert
        _check_kind(ft, series, source, "")
    out = []
    for i, r in enumerate(items):
        if not isinstance(r, dict):
            raise _bad(source, f"region #{i} is not an object: {r!r}")
        out.append(_region(r, ft, series, source, f"region #{i} (id {r.get('id')!r})"))
    return out


def _csv_rows(text: str) -> list[list[str]]:
    """Records of RFC 4180 text (quoted fields may hold commas, quotes, CR and LF)."""
    rows: list[list[str]] = []
    row: list[str] = []
    pos, n = 0, len(text)
    while pos < n:
        m = _CSV_FIELD.match(text, pos)
        assert m is not None  # the second branch matches the empty string
        quoted, bare = m.group(1), m.group(2)
        row.append(quoted.replace('""', '"') if quoted is not None else bare)
        pos = m.end()
        if pos >= n:
            break
        c = text[pos]
        if c == ",":
            pos += 1
            if pos >= n:
                row.append("")
        elif c in "\r\n":
            pos += 2 if text.startswith("\r\n", pos) else 1
            rows.append(row)
            row = []
        else:
            raise ValueError(
                f"record {len(rows) + 1} has a stray quote near {text[pos : pos + 20]!r}"
            )
    if row:
        rows.append(row)
    return [r for r in rows if r != [""]]  # blank lines


def _cell_value(cell: str, is_json: bool, source: str, where: str, column: str) -> Any:
    if cell == "":
        return _ABSENT
    if not is_json:
        return cell
    try:
        return _load_json(cell)
    except ValueError as err:
        raise _bad(source, f"{where}: column {column!r} holds {cell!r}, not JSON ({err})") from err


def _parse_csv(text: str, series: Series, source: str) -> list[dict[str, Any]]:
    try:
        records = _csv_rows(text)
    except ValueError as err:
        raise _bad(source, f"is not a readable CSV ({err})") from err
    if not records:
        raise _bad(source, "is empty")
    header = records[0]
    if "time_kind" not in header:
        return _parse_csv_v1(text, series, source)
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise _bad(source, f"has the column(s) {dup} twice")
    columns: dict[str, tuple[int, bool]] = {}  # region field or meta key -> (index, JSON cells)
    meta_columns: dict[str, tuple[int, bool]] = {}
    for j, h in enumerate(header):
        is_json = h.endswith(_JSON_SUFFIX)
        base = h[: -len(_JSON_SUFFIX)] if is_json else h
        if base in _TEXT_COLUMNS or (base in _TIME_COLUMNS and not is_json):
            columns[base] = (j, is_json)
        elif base in _DERIVED_COLUMNS:
            continue
        else:
            key = base[len(_META_PREFIX) :] if base.startswith(_META_PREFIX) else base
            if key in meta_columns:
                raise _bad(source, f"has two columns for the meta key {key!r}")
            meta_columns[key] = (j, is_json)
    missing = [c for c in ("id", "label", "start", "end") if c not in columns]
    if missing:
        raise _bad(
            source,
            f"is not a tsvideo-widget labels file: no {', '.join(map(repr, missing))} "
            f"column(s) (it has {header})",
        )
    out = []
    for i, cells in enumerate(records[1:], start=1):
        if len(cells) != len(header):
            raise _bad(source, f"row {i} has {len(cells)} cells; the header has {len(header)}")
        got = {
            name: _cell_value(cells[j], is_json, source, f"row {i}", header[j])
            for name, (j, is_json) in columns.items()
        }
        fields = {k: None if v is _ABSENT else v for k, v in got.items()}
        where = f"row {i} (region {fields['id']!r})"
        kind, unit = fields.get("time_kind"), fields.get("time_unit")
        if kind not in ("numeric", "datetime"):
            raise _bad(
                source, f"{where}: time_kind {_shown(got, 'time_kind')} is not numeric or datetime"
            )
        if kind == "numeric" and unit not in _UNITS:
            raise _bad(
                source,
                f"{where}: time_unit {_shown(got, 'time_unit')}; known units: {', '.join(_UNITS)}",
            )
        ft = _FileTime(kind, unit if kind == "numeric" else None, fields.get("time_zone"), True)
        _check_kind(ft, series, source, f"{where} ")
        fields["meta"] = {
            key: v
            for key, (j, is_json) in meta_columns.items()
            if (v := _cell_value(cells[j], is_json, source, where, header[j])) is not _ABSENT
        }
        out.append(_region(fields, ft, series, source, where))
    return out


def _shown(got: dict[str, Any], name: str) -> str:
    v = got.get(name, _ABSENT)
    return "(empty)" if v is _ABSENT else repr(v)


def _parse_csv_v1(text: str, series: Series, source: str) -> list[dict[str, Any]]:
    """A CSV written before files recorded their time kind: read as before, with pandas."""
    try:
        # Only empty cells are missing: a label such as "NA" or "None" stays text.
        df = pd.read_csv(
            io.StringIO(text),
            dtype={"id": str, "label": str, "channel": str},
            keep_default_na=False,
            na_values=[""],
        )
    except (pd.errors.ParserError, ValueError) as err:
        raise _bad(source, f"is not a readable CSV ({err})") from err
    missing = [c for c in ("id", "label", "start", "end") if c not in df.columns]
    if missing:
        raise _bad(
            source,
            f"is not a tsvideo-widget labels file: no {', '.join(map(repr, missing))} "
            f"column(s) (it has {list(map(str, df.columns))})",
        )
    ft = _FileTime(None, None, None, False)
    extra = [c for c in df.columns if c not in (*_TEXT_COLUMNS, "start", "end", *_DERIVED_COLUMNS)]
    out = []
    for i, rec in enumerate(df.to_dict("records"), start=1):
        plain = {str(k): _v1_cell(v) for k, v in rec.items()}
        plain["meta"] = {str(k): plain[k] for k in extra if plain[k] is not None}
        out.append(_region(plain, ft, series, source, f"row {i} (region {plain.get('id')!r})"))
    return out


def _v1_cell(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def parse_text(text: str, kind: str, series: Series, source: str) -> list[dict[str, Any]]:
    """Regions from the text of a labels file (``kind`` ``"csv"`` or ``"json"``).

    Times come back in ``series``' terms (units converted exactly, zones to the
    data's zone). ``source`` names the file in messages.

    Raises:
        LabelFileError: a broken or foreign file, a time that cannot be the
            data's (numbers vs datetimes, naive vs zoned, a fraction for an
            integer column), naming the file, the row or region and the value.
    """
    if kind not in ("csv", "json"):
        raise LabelFileError(f"unknown labels file kind {kind!r}; use 'csv' or 'json'")
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte order mark from a spreadsheet program
    if not text.strip():
        raise _bad(source, "is empty")
    return _parse_json(text, series, source) if kind == "json" else _parse_csv(text, series, source)


def parse(path: str | os.PathLike[str], series: Series) -> list[dict[str, Any]]:
    """Regions from a .csv or .json labels file (see :func:`parse_text`)."""
    kind = file_kind(path)
    text, _ = read_file(path)
    return parse_text(text, kind, series, os.fspath(path))
