"""Labeled regions and point events: validation, tables, per-sample labels.

A region is a dict ``{"id", "start", "end", "label", "channel", "meta"}`` with
``start``/``end`` in the time column's own terms (floats in ``time_unit``, or
pandas Timestamps). A point event is a region with ``start == end``. This
module holds the pure logic; the widget owns the list and keeps the browser,
the files and Python in step.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .data import Series
from .timemap import TimeMap

COLUMNS = ["id", "label", "channel", "start", "end", "duration", "media_start", "media_end"]
"""Columns of :func:`to_dataframe`, in order; extra ``meta`` keys follow them."""

_DERIVED = {"duration", "media_start", "media_end"}


class RegionError(ValueError):
    """Raised for a region that cannot exist; the message names the field and value."""


def new_id() -> str:
    """A fresh, stable region id (12 hex characters)."""
    return uuid.uuid4().hex[:12]


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def normalize(
    region: Mapping[str, Any],
    series: Series,
    labels: Sequence[str] | None,
    channels: Sequence[str],
) -> dict[str, Any]:
    """Validate one region and return it in canonical form.

    ``start``/``end`` are converted to the column's own terms (float, or
    Timestamp in the data's zone); a missing ``id`` gets a new one; ``channel``
    defaults to None and ``meta`` to ``{}``.

    Raises:
        RegionError: end before start, a time outside the data's span, an
            unknown label or channel, or a missing field.
    """
    for key in ("start", "end", "label"):
        if key not in region or _is_missing(region[key]):
            raise RegionError(f"region {dict(region)!r} has no {key!r}")
    rid = region.get("id")
    rid = new_id() if _is_missing(rid) else str(rid)
    label = region["label"]
    if not isinstance(label, str) or not label:
        raise RegionError(f"region {rid}: label must be a non-empty string, got {label!r}")
    if labels is not None and label not in labels:
        raise RegionError(
            f"region {rid}: label {label!r} is not one of the widget's labels {list(labels)}; "
            "add it to labels= first"
        )
    channel = region.get("channel")
    channel = None if _is_missing(channel) else str(channel)
    if channel is not None and channel not in channels:
        raise RegionError(
            f"region {rid}: channel {channel!r} is not a plotted channel {list(channels)}"
        )
    try:
        a = series.to_rel(region["start"])
        b = series.to_rel(region["end"])
    except (TypeError, ValueError) as err:
        raise RegionError(f"region {rid}: {err}") from err
    if not (math.isfinite(a) and math.isfinite(b)):
        raise RegionError(f"region {rid}: start and end must be finite")
    if b < a:
        raise RegionError(
            f"region {rid}: end {region['end']!r} is before start {region['start']!r}"
        )
    eps = max(1e-9, series.span * 1e-12)
    if a < -eps or b > series.span + eps:
        raise RegionError(
            f"region {rid}: {region['start']!r}..{region['end']!r} is outside the data, which "
            f"spans {series.from_rel(0.0)!r} to {series.from_rel(series.span)!r}"
        )
    meta = region.get("meta") or {}
    if not isinstance(meta, Mapping):
        raise RegionError(f"region {rid}: meta must be a dict, got {type(meta).__name__}")
    # Keep the caller's exact times; only float noise at the data's edges is clamped.
    start = series.from_rel(0.0) if a < 0 else series.own(region["start"])
    end = series.from_rel(series.span) if b > series.span else series.own(region["end"])
    return {
        "id": rid,
        "start": start,
        "end": end,
        "label": label,
        "channel": channel,
        "meta": dict(meta),
    }


def normalize_all(
    regions: Iterable[Mapping[str, Any]],
    series: Series,
    labels: Sequence[str] | None,
    channels: Sequence[str],
) -> list[dict[str, Any]]:
    """Validate a list of regions; ids must be unique."""
    out = [normalize(r, series, labels, channels) for r in regions]
    seen: set[str] = set()
    for r in out:
        if r["id"] in seen:
            raise RegionError(f"region id {r['id']!r} appears twice; ids must be unique")
        seen.add(r["id"])
    return out


def to_wire(regions: list[dict[str, Any]], series: Series) -> list[dict[str, Any]]:
    """Regions as the browser gets them: start/end in seconds since t0."""
    return [
        {**r, "start": series.to_rel(r["start"]), "end": series.to_rel(r["end"])} for r in regions
    ]


def from_wire(regions: list[dict[str, Any]], series: Series) -> list[dict[str, Any]]:
    """Regions from the browser: seconds since t0 back to the column's own terms."""
    return [
        {**r, "start": series.from_rel(float(r["start"])), "end": series.from_rel(float(r["end"]))}
        for r in regions
    ]


def to_dataframe(regions: list[dict[str, Any]], series: Series, timemap: TimeMap) -> pd.DataFrame:
    """One row per region, sorted by start (then end, then id); meta keys become columns."""
    rows = []
    for r in regions:
        a, b = series.to_rel(r["start"]), series.to_rel(r["end"])
        row = {
            "id": r["id"],
            "label": r["label"],
            "channel": r["channel"],
            "start": r["start"],
            "end": r["end"],
            "duration": r["end"] - r["start"],
            "media_start": timemap.to_media(a),
            "media_end": timemap.to_media(b),
        }
        for k, v in r.get("meta", {}).items():
            if k in row:
                raise RegionError(f"region {r['id']}: meta key {k!r} clashes with a column")
            row[k] = v
        rows.append(row)
    df = pd.DataFrame(rows, columns=None if rows else COLUMNS)
    if rows:
        extra = [c for c in df.columns if c not in COLUMNS]
        df = df[COLUMNS + extra]
        df = df.sort_values(["start", "end", "id"], kind="stable").reset_index(drop=True)
    if series.kind == "numeric":
        for c in ("start", "end", "duration"):
            df[c] = df[c].astype(np.float64)
    df["media_start"] = df["media_start"].astype(np.float64)
    df["media_end"] = df["media_end"].astype(np.float64)
    df["channel"] = df["channel"].astype(object)
    return df


def from_dataframe(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Regions from a table shaped like :func:`to_dataframe`'s; other columns go to ``meta``.

    ``start``, ``end`` and ``label`` are required; ``id`` and ``channel`` are
    optional; ``duration``, ``media_start`` and ``media_end`` are derived and ignored.
    """
    missing = [c for c in ("start", "end", "label") if c not in df.columns]
    if missing:
        raise RegionError(
            f"the table has no {', '.join(map(repr, missing))} column(s); its columns are "
            f"{list(map(str, df.columns))}. Regions need start, end and label"
        )
    extra = [c for c in df.columns if c not in COLUMNS]
    out = []
    for rec in df.to_dict("records"):
        meta = {str(k): _plain(rec[k]) for k in extra if not _is_missing(rec[k])}
        out.append(
            {
                "id": None if _is_missing(rec.get("id")) else str(rec["id"]),
                "start": rec["start"],
                "end": rec["end"],
                "label": rec["label"],
                "channel": None if _is_missing(rec.get("channel")) else str(rec["channel"]),
                "meta": meta,
            }
        )
    return out


def _plain(v: Any) -> Any:
    """numpy scalars to Python scalars, so meta stays JSON-serialisable."""
    return v.item() if isinstance(v, np.generic) else v


def labels_per_sample(
    regions: list[dict[str, Any]], series: Series, index: pd.Index, channel: str | None = None
) -> pd.Series:
    """Each sample's label: a Series aligned with the data's rows.

    A sample gets the label of the range region whose closed interval
    [start, end] contains its time. Where regions overlap, the one that starts
    last wins (for nested regions, the innermost); equal starts go to the one
    later in ``regions``. So at a shared boundary (one region's end is the
    next one's start) the sample belongs to the later region. Point events
    (start == end) label nothing. Samples outside every region get None.
    With ``channel``, only regions for that channel and regions for all
    channels (channel None) count; without it, every region counts.
    """
    out = np.full(series.n, None, dtype=object)
    chosen = [
        (series.to_rel(r["start"]), i, r)
        for i, r in enumerate(regions)
        if r["end"] != r["start"] and (channel is None or r["channel"] in (None, channel))
    ]
    # Paint in order of start, then list position: later paints win. Sample
    # indices come from the times as given, so a boundary sample is never missed.
    for _a, _i, r in sorted(chosen, key=lambda c: (c[0], c[1])):
        out[series.index_of(r["start"], "left") : series.index_of(r["end"], "right")] = r["label"]
    return pd.Series(out, index=index, name="label", dtype=object)
