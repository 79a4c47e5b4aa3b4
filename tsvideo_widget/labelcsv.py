"""The CSV labels file: one row per region, text or JSON cells, read back exactly.

The format is described in :mod:`tsvideo_widget.labelfiles`, which calls
:func:`_dumps_csv` and :func:`_parse_csv`; version 1 files (no ``time_kind``
column) are read by :func:`_parse_csv_v1` as they always were.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from .data import Series
from .errors import LabelFileError
from .labelrecords import _bad, _check_kind, _derived, _FileTime, _region
from .labelvalues import _SURROGATE, _json_text, _load_json, _Row, _time_text
from .series import EXACT_UNITS
from .timemap import TimeMap

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
        if kind == "numeric" and unit not in EXACT_UNITS:
            raise _bad(
                source,
                f"{where}: time_unit {_shown(got, 'time_unit')}; known units: "
                f"{', '.join(EXACT_UNITS)}",
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
