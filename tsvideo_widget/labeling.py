"""The widget's regions: methods (add, remove, tables, per-sample labels, files), the
validation of ``regions`` with its save to the autosave file, and the ``autosave`` trait.

A mixin of :class:`~tsvideo_widget.TimeSeriesVideo`, which declares the traits;
these methods read and assign ``regions`` through the series and the mapping
the widget derives from its traits.
"""

from __future__ import annotations

import functools
import os
import pathlib
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import pandas as pd
import traitlets as t

from . import labelfiles, regionframe
from . import regions as reg
from . import validation as check
from .autosave import AutosaveFile
from .data import Series
from .errors import RegionError, TsvError
from .timemap import TimeMap
from .tracks import Tracks


class _Widget(Protocol):
    """What these methods use of the widget."""

    regions: list[dict[str, Any]]
    autosave: str | None
    labels: Any
    hotkeys: dict[str, str]
    _labels: list[dict[str, Any]]
    _autosave_file: AutosaveFile | None
    _initializing: bool
    _store_key: str

    def _check_regions(
        self, what: str, series: Any = None, labels: Any = "same"
    ) -> list[dict[str, Any]]: ...

    def _store_key_now(self) -> str: ...

    @property
    def series(self) -> Series: ...

    @property
    def timemap(self) -> TimeMap: ...

    @property
    def tracks(self) -> Tracks: ...

    def timemaps(self) -> dict[str, TimeMap]: ...

    def _label_names(self) -> list[str] | None: ...


F = TypeVar("F", bound=Callable[..., Any])


def locked(method: F) -> F:
    """Run ``method`` holding the widget's lock.

    JupyterLab may deliver the browser's messages on a kernel subshell, a thread
    of its own, while a cell runs: a read-modify-write of ``regions`` (and the
    save that goes with it) must not interleave with another.
    """

    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return run  # type: ignore[return-value]


class RegionMethods(t.HasTraits):
    """Regions and autosave of :class:`~tsvideo_widget.TimeSeriesVideo`."""

    _autosave_file: AutosaveFile | None = None
    _lock: threading.RLock

    @locked
    def add_region(
        self: _Widget, start: Any, end: Any, label: str, channel: str | None = None, **meta: Any
    ) -> str:
        """Add a region (or a point event when ``start == end``); returns its id.

        ``start``/``end`` are in the time column's own terms; extra keyword
        arguments are kept in the region's ``meta`` dict.
        """
        r = reg.normalize(
            {"start": start, "end": end, "label": label, "channel": channel, "meta": meta},
            self.series,
            self._label_names(),
            self.series.channels,
        )
        self.regions = [*self.regions, r]
        return str(r["id"])

    @locked
    def remove_region(self: _Widget, id: str) -> None:
        """Remove the region with this id; KeyError naming it if there is none."""
        kept = [r for r in self.regions if r["id"] != id]
        if len(kept) == len(self.regions):
            raise KeyError(f"no region with id {id!r}")
        self.regions = kept

    @locked
    def clear_regions(self: _Widget) -> None:
        """Remove every region."""
        self.regions = []

    def to_dataframe(self: _Widget) -> pd.DataFrame:
        """One row per region, sorted by start: id, label, channel, start, end, duration,
        then each media track's ``<name>_start`` and ``<name>_end`` (float media seconds
        through that track's current mapping: ``media_start``/``media_end`` for a single
        source, ``front_start``, ``front_end``, ``side_start``... for
        ``media={"front": ..., "side": ...}``), then meta keys."""
        return regionframe.to_dataframe(self.regions, self.series, self.timemaps())

    @locked
    def from_dataframe(self: _Widget, df: pd.DataFrame, replace: bool = True) -> None:
        """Load regions from a table shaped like :meth:`to_dataframe` (extra columns -> meta;
        the derived duration and media-time columns are ignored).

        ``replace=False`` appends to the current regions instead.
        """
        new = regionframe.from_dataframe(df, self.tracks)
        self.regions = new if replace else [*self.regions, *new]

    def labels_per_sample(
        self: _Widget, channel: str | None = None, path: str | os.PathLike[str] | None = None
    ) -> pd.Series | pathlib.Path:
        """Each sample's label, aligned with the data's rows (None outside every region).

        Where regions overlap, the region that starts last wins (the innermost of
        nested regions); at a shared boundary the later region wins; point events
        label nothing. See :func:`tsvideo_widget.regions.labels_per_sample`.

        Args:
            channel: only regions for this channel (str) and those for all
                channels count; None (default): every region counts.
            path: None (default) to return the labels as a Series; or a
                ``.parquet`` file (str or PathLike) to write them to instead, one
                row group at a time (memory bounded whatever the length; needs
                pyarrow): one dictionary column ``label``, a value per row in row
                order, null outside every region. Written atomically; see
                :func:`tsvideo_widget.labelcolumn.write_parquet`.

        Returns:
            Without ``path``: a Series named "label", dtype object (str or None),
            indexed like the data. With ``path``: the written file's ``pathlib.Path``.

        Raises:
            DataError: without ``path``, for more rows than
                :data:`tsvideo_widget.labelcolumn.MAX_ROWS_IN_MEMORY` (50 million):
                pass ``path`` or use :meth:`label_runs`.
            ImportError: with ``path``, when pyarrow is not installed.
        """
        from . import labelcolumn

        regions, series = self.regions, self.series
        if path is not None:
            return labelcolumn.write_parquet(regions, series, path, channel, self._label_names())
        return reg.labels_per_sample(regions, series, series.index, channel)

    def label_runs(self: _Widget, channel: str | None = None) -> pd.DataFrame:
        """Each sample's label as runs: one row per maximal run of rows with one label.

        The compact, exact form of :meth:`labels_per_sample` (same rules, any length).
        Columns: ``start_row`` and ``stop_row`` (int64 row positions, 0 to ``n``,
        in the data's row order; stop exclusive) and ``label`` (str). Rows in no
        run have no label. ``channel`` (str or None, default None) as in
        :meth:`labels_per_sample`.
        """
        from . import labelcolumn

        return labelcolumn.label_runs(self.regions, self.series, channel)

    def export(self: _Widget, path: str | os.PathLike[str]) -> pathlib.Path:
        """Write the regions to a .csv or .json file (atomically); returns the path.

        The file records the time column's kind and unit, and carries
        ``media_start``/``media_end`` through the current mapping.
        """
        return labelfiles.export(path, self.regions, self.series, self.timemap)

    @locked
    def load(self: _Widget, path: str | os.PathLike[str], replace: bool = True) -> None:
        """Load regions from a .csv or .json file written by :meth:`export` or autosave.

        The file's times are converted from the unit it records. Loading the
        autosave file itself takes its current content as this widget's (after
        another widget or program changed it, say).
        """
        text, stamp = labelfiles.read_file(os.fspath(path))
        kind = labelfiles.file_kind(os.fspath(path))
        new = labelfiles.parse_text(text, kind, self.series, os.fspath(path))
        f = self._autosave_file
        adopted = f.adopt(text, stamp) if f is not None and f.same_file(os.fspath(path)) else None
        try:
            self.regions = new if replace else [*self.regions, *new]
        except BaseException:
            if adopted is not None and f is not None:
                f.restore(adopted)
            raise

    def to_label_studio(
        self: _Widget, from_name: str = "label", to_name: str = "ts", time_format: str | None = None
    ) -> list[dict[str, Any]]:
        """The regions as Label Studio ``timeserieslabels`` results (a list of dicts)."""
        return labelfiles.to_label_studio(
            self.regions, self.series, from_name, to_name, time_format
        )

    @locked
    def from_label_studio(
        self: _Widget, results: Any, time_format: str | None = None, replace: bool = True
    ) -> None:
        """Load regions from Label Studio results, an annotation or a task dict."""
        new = labelfiles.from_label_studio(results, self.series, time_format)
        self.regions = new if replace else [*self.regions, *new]

    # -- validation and autosave of `regions` (whichever trait changes) -----------------
    @t.validate("regions")
    def _validate_regions(self: _Widget, proposal: t.Bunch) -> list[dict[str, Any]]:
        if self._initializing:
            return list(proposal.value)
        s = self.series
        value = reg.normalize_all(proposal.value, s, self._label_names(), s.channels)
        # Saved before it is kept: a change that cannot be saved is refused.
        if self._autosave_file is not None:
            self._autosave_file.save(value, s)
        return value

    @t.validate("autosave")
    def _validate_autosave(self: _Widget, proposal: t.Bunch) -> str | None:
        path = proposal.value
        if self._initializing or path is None:
            return path
        if self._autosave_file is not None and self._autosave_file.same_file(path):
            return path
        opened = AutosaveFile.open(path, self.series)
        if opened.regions is None:
            return path
        # The file's regions must be ones this widget can hold (labels, channels, span) ...
        s = self.series
        try:
            held = reg.normalize_all(opened.regions, s, self._label_names(), s.channels)
        except RegionError as err:
            raise RegionError(
                f"autosave={path!r}: the file holds a region this widget cannot: {err}. It was "
                "left as is; pick another path, or change labels/channels first"
            ) from err
        # ... and, if this widget has regions, exactly them (types included: 1 != True here).
        if self.regions and not reg.same(held, self.regions):
            raise TsvError(
                f"autosave={path!r}: that file already holds {len(held)} regions that "
                f"differ from the {len(self.regions)} in this widget, and it is never "
                "overwritten. Load it first (w.load(path)) and then set autosave, or pick a "
                "new path"
            )
        return path

    @t.observe("autosave")
    def _autosave_changed(self: _Widget, change: t.Bunch) -> None:
        if self._initializing:
            return
        path = change.new
        if path is None:
            self._autosave_file = None
        elif self._autosave_file is None or not self._autosave_file.same_file(path):
            opened = AutosaveFile.open(path, self.series)
            self._autosave_file = opened.file
            if opened.regions is not None and not self.regions:
                self.regions = opened.regions
            else:
                opened.file.save(self.regions, self.series)
        else:
            self._autosave_file.path = path
        self._store_key = self._store_key_now()

    # -- labels: the names regions may have, their colours and keys ------------------------
    @t.validate("labels")
    def _validate_labels(self: _Widget, proposal: t.Bunch) -> Any:
        value = check.labels(proposal.value)
        if not self._initializing:
            names = None if value is None else list(value)
            self._check_regions(f"labels={value!r:.60}", labels=names)
            check.hotkeys(self.hotkeys, names or [])
        return value

    @t.observe("labels", "hotkeys")
    def _labels_changed(self: _Widget, change: t.Bunch) -> None:
        value = self.labels
        names = self._label_names() or []
        colours = value if isinstance(value, dict) else {}
        keys = dict(zip(names, [str(i + 1) for i in range(9)], strict=False))
        keys.update(self.hotkeys)
        self._labels = [{"name": n, "color": colours.get(n), "key": keys.get(n)} for n in names]

    @t.validate("hotkeys")
    def _validate_hotkeys(self: _Widget, proposal: t.Bunch) -> dict[str, str]:
        return check.hotkeys(proposal.value, self._label_names() or [])

    def _check_regions(
        self: _Widget, what: str, series: Any = None, labels: Any = "same"
    ) -> list[dict[str, Any]]:
        """The regions under a proposed change; refuses it if one would be invalid, naming it."""
        s = self.series if series is None else series
        names = self._label_names() if labels == "same" else labels
        try:
            return reg.normalize_all(self.regions, s, names, s.channels)
        except RegionError as err:
            raise RegionError(
                f"{what} is refused: a region would no longer be valid: {err}. Change or "
                "remove that region first"
            ) from err
