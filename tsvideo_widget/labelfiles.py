"""Regions to and from files: CSV, JSON, Label Studio results; atomic autosave.

Files are written atomically (a temporary file in the same folder, flushed and
fsynced, then renamed over the target), so a crash mid-write leaves the old
file whole. Times are written exactly: floats with ``repr`` precision, and
datetimes as ISO 8601 with nanoseconds and the UTC offset.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import regions as reg
from .data import Series
from .timemap import TimeMap

FORMAT = "tsvideo-widget/regions"
"""The ``format`` field of the JSON files this package writes."""

VERSION = 1


class LabelFileError(ValueError):
    """A labels file that is broken or not ours; it is never overwritten."""


def _kind(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in (".csv", ".json"):
        return ext[1:]
    raise LabelFileError(
        f"cannot tell the format of {str(path)!r} from its extension: use .csv or .json"
    )


def _time_text(t: Any) -> Any:
    """A time for a file: floats as they are, Timestamps as ISO 8601 with nanoseconds."""
    if isinstance(t, pd.Timestamp):
        return t.isoformat()
    return float(t)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename; a crash leaves the old file whole."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps(regions: list[dict[str, Any]], series: Series, timemap: TimeMap, kind: str) -> str:
    """The text of a CSV or JSON labels file."""
    if kind == "json":
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "time": {
                "kind": series.kind,
                "unit": series.unit,
                "tz": series.tz,
                "column": series.time_name,
            },
            "regions": [
                {
                    "id": r["id"],
                    "label": r["label"],
                    "channel": r["channel"],
                    "start": _time_text(r["start"]),
                    "end": _time_text(r["end"]),
                    "meta": r.get("meta", {}),
                }
                for r in regions
            ],
        }
        return json.dumps(doc, indent=1, default=_json_default) + "\n"
    df = reg.to_dataframe(regions, series, timemap)
    if series.kind == "datetime":
        for c in ("start", "end"):
            df[c] = [t.isoformat() for t in df[c]]
        df["duration"] = [d / pd.Timedelta(seconds=1) for d in df["duration"]]
    # repr precision: every float round-trips exactly.
    return str(df.to_csv(index=False, float_format=None, lineterminator="\n"))


def _json_default(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    raise TypeError(f"meta value {v!r} of type {type(v).__name__} cannot be written to JSON")


def export(
    path: str | os.PathLike[str],
    regions: list[dict[str, Any]],
    series: Series,
    timemap: TimeMap,
) -> Path:
    """Write the regions to ``path`` (.csv or .json), atomically."""
    p = Path(path)
    write_atomic(p, dumps(regions, series, timemap, _kind(p)))
    return p


def parse(path: str | os.PathLike[str], series: Series) -> list[dict[str, Any]]:
    """Regions from a labels file; raises LabelFileError for a broken or foreign file."""
    p = Path(path)
    kind = _kind(p)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise LabelFileError(f"{str(p)!r} is not a text file: {err}") from err
    if kind == "json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            raise LabelFileError(
                f"{str(p)!r} is not valid JSON ({err}); it was left as is"
            ) from err
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise LabelFileError(
                f'{str(p)!r} is not a tsvideo-widget labels file (no "format": "{FORMAT}"); '
                "it was left as is. Pass another autosave= path, or load it yourself"
            )
        if doc.get("version") != VERSION:
            raise LabelFileError(
                f"{str(p)!r} has version {doc.get('version')!r}; this reads {VERSION}"
            )
        items = doc.get("regions")
        if not isinstance(items, list):
            raise LabelFileError(f"{str(p)!r} has no list of regions")
        return [_from_text(r, series, p) for r in items]
    if not text.strip():
        raise LabelFileError(f"{str(p)!r} is empty; it was left as is")
    try:
        # Only empty cells are missing: a label such as "NA" or "None" stays text.
        df = pd.read_csv(
            p,
            dtype={"id": str, "label": str, "channel": str},
            keep_default_na=False,
            na_values=[""],
        )
    except (pd.errors.ParserError, ValueError) as err:
        raise LabelFileError(
            f"{str(p)!r} is not a readable CSV ({err}); it was left as is"
        ) from err
    missing = [c for c in ("id", "label", "start", "end") if c not in df.columns]
    if missing:
        raise LabelFileError(
            f"{str(p)!r} is not a tsvideo-widget labels file: no {', '.join(map(repr, missing))} "
            f"column(s) (it has {list(map(str, df.columns))}); it was left as is"
        )
    items = reg.from_dataframe(df)
    return [_from_text(r, series, p) for r in items]


def _from_text(r: Any, series: Series, p: Path) -> dict[str, Any]:
    if not isinstance(r, dict):
        raise LabelFileError(f"{str(p)!r}: a region is not an object: {r!r}")
    out = dict(r)
    for k in ("start", "end"):
        v = out.get(k)
        if series.kind == "datetime" and isinstance(v, str):
            out[k] = pd.Timestamp(v)
        elif series.kind == "numeric" and isinstance(v, str):
            try:
                out[k] = float(v)
            except ValueError as err:
                raise LabelFileError(f"{str(p)!r}: region {r.get('id')!r} has {k}={v!r}") from err
    return out


# -- Label Studio ------------------------------------------------------------------------


def to_label_studio(
    regions: list[dict[str, Any]],
    series: Series,
    from_name: str = "label",
    to_name: str = "ts",
    time_format: str | None = None,
) -> list[dict[str, Any]]:
    """Regions as Label Studio ``timeserieslabels`` results.

    Numeric time is written as numbers in the column's units. Datetimes are
    written as strings in ``time_format`` (strftime, the same format as the
    ``timeFormat`` of Label Studio's ``<TimeSeries>``), or as epoch
    milliseconds when ``time_format`` is None.
    """
    out = []
    for r in regions:
        out.append(
            {
                "id": r["id"],
                "from_name": from_name,
                "to_name": to_name,
                "type": "timeserieslabels",
                "value": {
                    "start": _ls_time(r["start"], time_format),
                    "end": _ls_time(r["end"], time_format),
                    "instant": r["start"] == r["end"],
                    "timeserieslabels": [r["label"]],
                },
                **({"meta": {"channel": r["channel"]}} if r["channel"] else {}),
            }
        )
    return out


def _ls_time(t: Any, time_format: str | None) -> Any:
    if isinstance(t, pd.Timestamp):
        if time_format is None:
            return t.value / 1e6
        return t.strftime(time_format)
    return float(t)


def from_label_studio(
    results: list[dict[str, Any]] | dict[str, Any],
    series: Series,
    time_format: str | None = None,
) -> list[dict[str, Any]]:
    """Regions from Label Studio results (a list of results, or a task/annotation dict).

    Results of other types (choices, text...) are skipped, since they are not
    regions; a ``timeserieslabels`` result with several labels is an error
    (this widget gives a region one label).
    """
    items: list[dict[str, Any]]
    if isinstance(results, dict):
        if "result" in results:
            items = list(results["result"])
        elif "annotations" in results:
            items = [x for a in results["annotations"] for x in a.get("result", [])]
        else:
            raise LabelFileError(
                "expected a list of results, or a dict with 'result' or 'annotations'"
            )
    else:
        items = list(results)
    out = []
    for item in items:
        if item.get("type") != "timeserieslabels":
            continue
        v = item.get("value", {})
        names = v.get("timeserieslabels") or []
        if len(names) != 1:
            raise LabelFileError(
                f"Label Studio region {item.get('id')!r} has labels {names!r}; one label per "
                "region is supported"
            )
        start = _from_ls_time(v.get("start"), series, time_format)
        end = (
            start
            if v.get("instant") and v.get("end") is None
            else _from_ls_time(v.get("end"), series, time_format)
        )
        out.append(
            {
                "id": item.get("id"),
                "start": start,
                "end": end,
                "label": names[0],
                "channel": (item.get("meta") or {}).get("channel"),
                "meta": {},
            }
        )
    return out


def _from_ls_time(v: Any, series: Series, time_format: str | None) -> Any:
    if series.kind == "numeric":
        return float(v)
    if isinstance(v, str):
        ts = pd.to_datetime(v, format=time_format) if time_format else pd.Timestamp(v)
    else:
        ts = pd.Timestamp(round(float(v) * 1e6), unit="ns", tz="UTC")
    if series.tz is not None:
        return ts.tz_localize(series.tz) if ts.tzinfo is None else ts.tz_convert(series.tz)
    return ts.tz_convert(None) if ts.tzinfo is not None else ts
