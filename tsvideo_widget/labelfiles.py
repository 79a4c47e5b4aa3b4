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
- :mod:`tsvideo_widget.labelcsv`: the CSV format described below;
- :mod:`tsvideo_widget.labelrecords`: what both formats share (how a file stores
  time, a record read back as a region, the derived columns of an export);
- this module: the JSON format described below, and the API.

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

import os
from pathlib import Path
from typing import Any

import pandas as pd

from .data import Series
from .errors import LabelFileError
from .filestore import FileStamp, clean_stale_temps, read_file, stamp, write_atomic
from .labelcsv import _dumps_csv, _parse_csv
from .labelrecords import _bad, _check_kind, _derived, _FileTime, _region
from .labelstudio import from_label_studio, to_label_studio
from .labelvalues import (
    _json_text,
    _load_json,
    _Row,
    _rows,
)
from .series import EXACT_UNITS
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
        if time["kind"] == "numeric" and unit not in EXACT_UNITS:
            raise _bad(source, f"has time unit {unit!r}; known units: {', '.join(EXACT_UNITS)}")
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
