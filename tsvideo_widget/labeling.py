"""The widget's region methods: add, remove, tables, per-sample labels, files.

Kept apart from widget.py, which owns the traits and the browser protocol;
these methods only read and assign ``regions`` through the mapping and the
series the widget holds.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any, Protocol

import pandas as pd

from . import labelfiles
from . import regions as reg
from .data import Series
from .timemap import TimeMap


class _Widget(Protocol):
    """What these methods use of the widget."""

    regions: list[dict[str, Any]]
    _series: Series

    @property
    def timemap(self) -> TimeMap: ...

    def _label_names(self) -> list[str] | None: ...


class RegionMethods:
    """Methods on ``regions`` for :class:`~tsvideo_widget.TimeSeriesVideo`."""

    def add_region(
        self: _Widget, start: Any, end: Any, label: str, channel: str | None = None, **meta: Any
    ) -> str:
        """Add a region (or a point event when ``start == end``); returns its id.

        ``start``/``end`` are in the time column's own terms; extra keyword
        arguments are kept in the region's ``meta`` dict.
        """
        r = reg.normalize(
            {"start": start, "end": end, "label": label, "channel": channel, "meta": meta},
            self._series,
            self._label_names(),
            self._series.channels,
        )
        self.regions = [*self.regions, r]
        return str(r["id"])

    def remove_region(self: _Widget, id: str) -> None:
        """Remove the region with this id; KeyError naming it if there is none."""
        kept = [r for r in self.regions if r["id"] != id]
        if len(kept) == len(self.regions):
            raise KeyError(f"no region with id {id!r}")
        self.regions = kept

    def clear_regions(self: _Widget) -> None:
        """Remove every region."""
        self.regions = []

    def to_dataframe(self: _Widget) -> pd.DataFrame:
        """One row per region: id, label, channel, start, end, duration, media_start,
        media_end (seconds, through the current mapping), then meta keys; sorted by start."""
        return reg.to_dataframe(self.regions, self._series, self.timemap)

    def from_dataframe(self: _Widget, df: pd.DataFrame, replace: bool = True) -> None:
        """Load regions from a table shaped like :meth:`to_dataframe` (extra columns -> meta).

        ``replace=False`` appends to the current regions instead.
        """
        new = reg.from_dataframe(df)
        self.regions = new if replace else [*self.regions, *new]

    def labels_per_sample(self: _Widget, channel: str | None = None) -> pd.Series:
        """Each sample's label, aligned with the data's rows (None outside every region).

        Where regions overlap, the region that starts last wins (the innermost of
        nested regions); at a shared boundary the later region wins; point events
        label nothing. See :func:`tsvideo_widget.regions.labels_per_sample`.
        """
        return reg.labels_per_sample(self.regions, self._series, self._series.index, channel)

    def export(self: _Widget, path: str | os.PathLike[str]) -> pathlib.Path:
        """Write the regions to a .csv or .json file (atomically); returns the path."""
        return labelfiles.export(path, self.regions, self._series, self.timemap)

    def load(self: _Widget, path: str | os.PathLike[str], replace: bool = True) -> None:
        """Load regions from a .csv or .json file written by :meth:`export` or autosave."""
        new = labelfiles.parse(path, self._series)
        self.regions = new if replace else [*self.regions, *new]

    def to_label_studio(
        self: _Widget, from_name: str = "label", to_name: str = "ts", time_format: str | None = None
    ) -> list[dict[str, Any]]:
        """The regions as Label Studio ``timeserieslabels`` results (a list of dicts)."""
        return labelfiles.to_label_studio(
            self.regions, self._series, from_name, to_name, time_format
        )

    def from_label_studio(
        self: _Widget, results: Any, time_format: str | None = None, replace: bool = True
    ) -> None:
        """Load regions from Label Studio results, an annotation or a task dict."""
        new = labelfiles.from_label_studio(results, self._series, time_format)
        self.regions = new if replace else [*self.regions, *new]
