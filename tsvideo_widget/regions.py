"""Labeled regions and point events: validation, browser edits, per-sample labels.

A region is a dict ``{"id", "start", "end", "label", "channel", "meta"}`` with
``start``/``end`` in the time column's own terms (floats in ``time_unit``, or
pandas Timestamps). A point event is a region with ``start == end``. This
module holds the pure logic (tables are in :mod:`~tsvideo_widget.regionframe`);
the widget owns the list and keeps the browser, the files and Python in step.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .data import Series
from .errors import RegionError
from .validation import within_span

COLUMNS = ["id", "label", "channel", "start", "end", "duration", "media_start", "media_end"]
"""Columns of a region table with one media track named "media", in order (see
:mod:`~tsvideo_widget.regionframe`); a meta key may not take one of these names."""


def new_id() -> str:
    """A fresh, stable region id (12 hex characters)."""
    return uuid.uuid4().hex[:12]


def is_missing(v: Any) -> bool:
    """True for None and for pandas' missing values (NaN, NaT, pd.NA): an absent cell."""
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


_META_HINT = (
    "meta values must be what JSON holds exactly: None, bool, int, finite float, str, "
    "or lists and dicts (with str keys) of these"
)


def check_meta_value(v: Any, rid: str, key: str) -> Any:
    """``v`` as a meta value every labels file holds exactly, or RegionError naming it.

    numpy scalars become the equal Python number; anything JSON cannot hold
    exactly (a set, a tuple, a datetime, an array, Decimal, bytes, NaN or an
    infinity) is refused, so that every accepted change can be saved.
    """
    if isinstance(v, np.generic) and not isinstance(v, (np.datetime64, np.timedelta64)):
        v = v.item()
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise RegionError(f"region {rid}: meta {key!r} is {v!r}; {_META_HINT}")
        return v
    if isinstance(v, list):
        return [check_meta_value(x, rid, key) for x in v]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise RegionError(
                    f"region {rid}: meta {key!r} has a key {k!r} that is not a str; {_META_HINT}"
                )
            out[k] = check_meta_value(x, rid, key)
        return out
    raise RegionError(
        f"region {rid}: meta {key!r} is a {type(v).__name__} ({v!r:.60}), which a labels "
        f"file cannot hold exactly; {_META_HINT}"
    )


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
        if key not in region or is_missing(region[key]):
            raise RegionError(f"region {dict(region)!r} has no {key!r}")
    rid = region.get("id")
    if is_missing(rid):
        rid = new_id()
    elif not isinstance(rid, str) or not rid:
        raise RegionError(f"region id must be a non-empty str, got {rid!r:.60}")
    label = region["label"]
    if not isinstance(label, str) or not label:
        raise RegionError(f"region {rid}: label must be a non-empty string, got {label!r}")
    if labels is not None and label not in labels:
        raise RegionError(
            f"region {rid}: label {label!r} is not one of the widget's labels {list(labels)}; "
            "add it to labels= first"
        )
    channel = region.get("channel")
    channel = None if is_missing(channel) else str(channel)
    if channel is not None and channel not in channels:
        raise RegionError(
            f"region {rid}: channel {channel!r} is not a plotted channel {list(channels)}"
        )
    start, end = within_span(series, region["start"], region["end"], f"region {rid}", RegionError)
    meta = region.get("meta")
    meta = {} if meta is None else meta
    if not isinstance(meta, Mapping):
        raise RegionError(f"region {rid}: meta must be a dict, got {type(meta).__name__}")
    for k in meta:
        if not isinstance(k, str) or not k:
            raise RegionError(f"region {rid}: meta keys must be non-empty strings, got {k!r}")
        if k in COLUMNS:
            raise RegionError(
                f"region {rid}: meta key {k!r} clashes with a column of to_dataframe(); rename it"
            )
    meta = {k: check_meta_value(v, rid, k) for k, v in meta.items()}
    return {
        "id": rid,
        "start": start,
        "end": end,
        "label": label,
        "channel": channel,
        "meta": meta,
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


def rel_to_own(series: Series, rel: Any, what: str) -> Any:
    """Seconds since t0 from the browser -> the column's own terms, to the nearest tick.

    Datetimes are rounded to the nearest nanosecond (never truncated), integer
    time to the nearest integer, floats kept as floats.
    """
    try:
        r = float(rel)
    except (TypeError, ValueError) as err:
        raise RegionError(f"{what} is {rel!r}, not a number of seconds") from err
    if not math.isfinite(r):
        raise RegionError(f"{what} is {rel!r}, not a finite number of seconds")
    return series.from_rel_snapped(r)


def from_wire(
    items: Any, series: Series, current: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """Regions from the browser (seconds since t0) in the column's own terms.

    A region the browser did not change comes back bit-identical: where an
    incoming start or end equals what :func:`to_wire` sent for the region of
    the same id, the region's own value is kept (a float round trip would move
    a datetime by a nanosecond). The browser never edits ``meta``: a known
    region keeps its own, so integers beyond 2**53 are not rounded by JavaScript.

    Raises:
        RegionError: not a list of region objects, or a time that is not a number.
    """
    if not isinstance(items, list):
        raise RegionError(f"regions from the browser must be a list, got {type(items).__name__}")
    known = {r["id"]: r for r in current}
    out = []
    for i, w in enumerate(items):
        if not isinstance(w, dict):
            raise RegionError(f"region #{i} from the browser is not an object: {w!r:.80}")
        rid = w.get("id")
        if not isinstance(rid, str) or not rid:
            raise RegionError(f"region #{i} from the browser has no str id: {rid!r:.60}")
        out.append(_merge_wire(w, known.get(rid), series, i))
    return out


def _merge_wire(
    w: dict[str, Any], old: Mapping[str, Any] | None, series: Series, i: int
) -> dict[str, Any]:
    rid = w.get("id", f"#{i}")
    r = dict(w)
    for k in ("start", "end"):
        if k not in w:
            raise RegionError(f"region {rid} from the browser has no {k!r}")
        if old is not None and same_float(w[k], series.to_rel(old[k])):
            r[k] = old[k]
        else:
            r[k] = rel_to_own(series, w[k], f"region {rid}: {k}")
    if old is not None:
        r["meta"] = old.get("meta", {})
    return r


def same_float(a: Any, b: float) -> bool:
    """Whether ``a``, a value from the browser, is the number ``b`` exactly (a bool is not):
    the browser sent back a time it did not change."""
    return isinstance(a, (int, float)) and not isinstance(a, bool) and float(a) == b


def apply_ops(
    regions: Sequence[Mapping[str, Any]], ops: Sequence[Mapping[str, Any]], series: Series
) -> list[dict[str, Any]]:
    """Regions after the browser's edit operations, applied in order.

    Each op is ``{"id": str, "region": wire region or None}``: None removes
    region ``id`` (if it is still there), a region replaces the one with its id
    or is appended. Regions no op touches are kept as they are (the same
    objects), so concurrent changes from Python are never undone.
    """
    out = [dict(r) for r in regions]
    for n, op in enumerate(ops):
        if not isinstance(op, Mapping) or not isinstance(op.get("id"), str):
            raise RegionError(f"edit operation #{n} has no region id: {op!r:.80}")
        rid = op["id"]
        at = next((i for i, r in enumerate(out) if r["id"] == rid), None)
        new = op.get("region")
        if new is None:
            if at is not None:
                del out[at]
            continue
        if not isinstance(new, Mapping) or new.get("id") != rid:
            raise RegionError(f"edit operation #{n} for region {rid} carries another region")
        merged = _merge_wire(dict(new), out[at] if at is not None else None, series, n)
        if at is None:
            out.append(merged)
        else:
            out[at] = merged
    return out


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

    Returns:
        A Series named "label", dtype object (str or None), with ``index``
        (``series.n`` labels). It is built from the label runs
        (:func:`tsvideo_widget.labelcolumn.label_runs`): two time lookups per
        region, one write per labelled sample, no per-sample Python loop.

    Raises:
        DataError: more than :data:`tsvideo_widget.labelcolumn.MAX_ROWS_IN_MEMORY`
            samples (8 bytes of object pointer each); write the column to Parquet
            (:func:`tsvideo_widget.labelcolumn.write_parquet`) or use the runs.
    """
    from . import labelcolumn

    return labelcolumn.to_series(regions, series, index, channel)


def _canonical(v: Any) -> Any:
    if isinstance(v, dict):
        return ("dict", tuple(sorted((k, _canonical(x)) for k, x in v.items())))
    if isinstance(v, list):
        return ("list", tuple(_canonical(x) for x in v))
    return (type(v).__name__, repr(v))


def same(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]) -> bool:
    """Whether two region lists are the same exactly: order, types and values (1 != True
    != 1.0), whatever the order of each dict's keys (a CSV gives meta back in column order)."""
    return len(a) == len(b) and all(
        _canonical(dict(x)) == _canonical(dict(y)) for x, y in zip(a, b, strict=True)
    )
