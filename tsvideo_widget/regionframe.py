"""Regions as a pandas DataFrame and back: one row per region, meta keys as columns.

A region's media times in each track (``<name>_start``, ``<name>_end``) and its
duration are derived columns: written out, ignored on reading. Meta columns hold
the values themselves, so a round trip returns exactly what went in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .data import Series
from .errors import RegionError
from .regions import COLUMNS, is_missing
from .timemap import TimeMap

__all__ = ["from_dataframe", "media_columns", "to_dataframe"]


def media_columns(tracks: Iterable[str]) -> list[str]:
    """The derived media-time columns of tracks ``tracks``: ``<name>_start``, ``<name>_end``."""
    return [f"{name}_{edge}" for name in tracks for edge in ("start", "end")]


def to_dataframe(
    regions: list[dict[str, Any]], series: Series, timemaps: Mapping[str, TimeMap]
) -> pd.DataFrame:
    """One row per region, sorted by start (then end, then id); meta keys become columns.

    ``timemaps``: each media track's mapping by name, in order; each adds the region's
    media seconds in that track as ``<name>_start`` and ``<name>_end``.
    """
    media = media_columns(timemaps)
    columns = [*COLUMNS[:6], *media]
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
        }
        for name, tm in timemaps.items():
            row[f"{name}_start"] = tm.to_media(a)
            row[f"{name}_end"] = tm.to_media(b)
        for k, v in r.get("meta", {}).items():
            if k in row:
                raise RegionError(f"region {r['id']}: meta key {k!r} clashes with a column")
            row[k] = v
        rows.append(row)
    df = pd.DataFrame(rows, columns=None if rows else columns)
    if rows:
        extra = [c for c in df.columns if c not in columns]
        # Meta columns hold the values themselves (object dtype): pandas would turn a
        # column of ints with a gap into floats. A region without the key gets pd.NA.
        for c in extra:
            df[c] = pd.Series([r.get("meta", {}).get(c, pd.NA) for r in regions], dtype=object)
        df = df[columns + extra]
        df = df.sort_values(["start", "end", "id"], kind="stable").reset_index(drop=True)
    if series.kind == "numeric":
        # Integer time keeps its integers (epoch nanoseconds exceed float64's 2**53).
        dtype = np.int64 if getattr(series, "integer", False) else np.float64
        for c in ("start", "end", "duration"):
            df[c] = df[c].astype(dtype)
    for c in media:
        df[c] = df[c].astype(np.float64)
    df["channel"] = df["channel"].astype(object)
    return df


def from_dataframe(df: pd.DataFrame, tracks: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Regions from a table shaped like :func:`to_dataframe`'s; other columns go to ``meta``.

    ``start``, ``end`` and ``label`` are required; ``id`` and ``channel`` are
    optional; ``duration``, ``media_start`` and ``media_end``, and each of ``tracks``'
    ``<name>_start`` and ``<name>_end``, are derived and ignored.
    A meta cell holding pd.NA or NaN means the region has no such key; None is
    kept as the value None (as :func:`to_dataframe` writes them).
    """
    missing = [c for c in ("start", "end", "label") if c not in df.columns]
    if missing:
        raise RegionError(
            f"the table has no {', '.join(map(repr, missing))} column(s); its columns are "
            f"{list(map(str, df.columns))}. Regions need start, end and label"
        )
    derived = {*COLUMNS, *media_columns(tracks)}
    extra = [c for c in df.columns if c not in derived]
    out = []
    # Column by column: DataFrame.to_dict turns pd.NA into None, which is a meta value.
    columns = {c: df[c].tolist() for c in df.columns}
    for i in range(len(df)):
        rec = {c: v[i] for c, v in columns.items()}
        meta = {str(k): _plain(rec[k]) for k in extra if not _absent(rec[k])}
        out.append(
            {
                "id": None if is_missing(rec.get("id")) else str(rec["id"]),
                "start": rec["start"],
                "end": rec["end"],
                "label": rec["label"],
                "channel": None if is_missing(rec.get("channel")) else str(rec["channel"]),
                "meta": meta,
            }
        )
    return out


def _absent(v: Any) -> bool:
    """A DataFrame cell that means "no such meta key": pd.NA, NaN or NaT (None is a value)."""
    if v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, (float, np.floating)) and math.isnan(v)


def _plain(v: Any) -> Any:
    """numpy scalars to Python scalars, so meta stays JSON-serialisable."""
    return v.item() if isinstance(v, np.generic) else v
