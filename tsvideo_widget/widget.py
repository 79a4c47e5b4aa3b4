"""The TimeSeriesVideo widget: its traits, and the wiring between them.

The jobs live in their own modules: the configuration pipeline (data -> series
-> pyramids) in :mod:`~tsvideo_widget.pipeline`, single-value checks in
:mod:`~tsvideo_widget.validation`, media sources in :mod:`~tsvideo_widget.media`,
regions in :mod:`~tsvideo_widget.regions` and :mod:`~tsvideo_widget.labeling`,
the labels file in :mod:`~tsvideo_widget.autosave`, and the browser's requests
in :mod:`~tsvideo_widget.protocol`.

Traits hold the state. Everything derived from them (the series and its
pyramids, the media source, the autosave file's key) is computed from the
traits where it is needed, never handed from a validator to an observer. Every
validator raises a TraitError, so a refused value, from Python or from the
browser, leaves the widget as it was; a rule that spans traits (regions against
data, labels, channels and time unit) is checked whichever of them changes.
"""

from __future__ import annotations

import os
import pathlib
import threading
import uuid
from collections.abc import Mapping
from typing import Any

import anywidget
import traitlets as t

from . import data as data_mod
from . import export
from . import regions as reg
from . import syncpoints as sp
from . import traits as tt
from . import validation as check
from . import wirestate as ws
from .alignmethods import AlignMethods
from .autosave import AutosaveFile
from .datamethods import DataMethods
from .errors import TsvError
from .evenseries import check_sample_rate
from .labeling import RegionMethods, locked
from .mapping import MappingMethods
from .pipeline import OVERVIEW_BUCKETS, Config, Pipeline, Prepared
from .protocol import Protocol
from .pyrcache import check_cache_dir
from .trackmethods import TrackMethods, media_list, new_resolver
from .tracks import default_settings
from .transport import TRANSPORTS
from .wire import MAX_DETAIL_BUCKETS, REJECTED_MESSAGE

STATIC = pathlib.Path(__file__).parent / "static"

SYNC_MODES = ("ts-to-media", "both", "off")
"""Values of ``sync``."""

__all__ = ["MAX_DETAIL_BUCKETS", "OVERVIEW_BUCKETS", "SYNC_MODES", "TimeSeriesVideo"]


class TimeSeriesVideo(
    RegionMethods, AlignMethods, MappingMethods, TrackMethods, DataMethods, anywidget.AnyWidget
):
    """Time series (overview + detail charts) next to a video or audio, kept in step.

    Args:
        data: a pandas DataFrame, a path or URL of a CSV (or Parquet, with pyarrow) file,
            or a dict of 1-D arrays.
        media: one source: an http(s) URL, a URL path on the notebook server
            (``/files/x.mp4``), a local video or audio file, or raw bytes (a track named
            "media"); or several: a list (tracks "media0", "media1", ...) or a dict
            name -> source (``{"front": "front.mp4", "mic": "mic.wav"}``), each aligned on
            its own clock through ``w.tracks[name]``. None shows no media.
        time: name of the time column, or None to use the index. Default "time".
        channels: columns to plot; default every numeric column but time.
        time_unit: unit of a numeric time column: "s" (default), "ms", "us", "ns", "min", "h".
        sort: sort rows by time instead of rejecting unsorted time. Default False.
        sample_rate: samples per second (float Hz > 0) of evenly sampled data without a
            time column, or None (default). Sample ``i`` is at ``start + i / sample_rate``;
            a dict of arrays (``np.memmap`` included) is then used by reference, never copied.
        start: the first sample's time with ``sample_rate``: a number in ``time_unit``
            (default 0.0; an int for integer time) or a datetime (Timestamp, ISO string).
        cache_dir: where the pyramids of channels held in files (``np.memmap``,
            ``np.load(path, mmap_mode="r")``) are stored and found again on the next
            open: a folder path, None (default: the user's cache folder,
            ``~/.cache/tsvideo-widget`` on Linux) or False (build in memory each time).
        media_kind: "video" or "audio" to override the kind guessed from the name (every
            track), or a dict track name -> kind.
        labels: label names (list) or name -> CSS colour (dict) for labeling.
        autosave: a .csv or .json path kept equal to ``regions`` after every accepted
            change; an existing file's regions are loaded.
        **kwargs: any other trait below (``sync``, ``offset``, ``rate``, ``window``,
            ``selection``, ``height``, ``regions``, ``sync_points``, ``hotkeys``); unknown names
            raise TypeError.

    The time mapping is proportional by default (the series' span maps onto the
    media's duration); set ``offset`` (and ``rate``) for an explicit alignment. With
    several tracks, ``offset``, ``rate``, ``media_time`` and ``media_duration`` are the
    first track's, and ``w.tracks[name]`` has each track's.
    """

    _esm = STATIC / "widget.js"
    _css = STATIC / "widget.css"

    # -- configuration (Python side; validated on every assignment) ---------------------
    data = tt.ByIdentity(
        help="The time series: DataFrame, CSV/Parquet path or URL, or dict of arrays."
    )
    time = tt.Unicode(None, allow_none=True, help="Time column name (str), or None for the index.")
    channels = tt.List(
        t.Unicode(), default_value=None, allow_none=True, help="Channels to plot (list of str)."
    )
    time_unit = t.Enum(
        list(data_mod.TIME_UNITS), default_value="s", help="Unit of numeric time (str, 's')."
    )
    sort = t.Bool(False, help="Sort rows by time instead of raising on unsorted time.")
    sample_rate = tt.AnyValue(
        None,
        allow_none=True,
        help=(
            "Samples per second (float Hz > 0) of evenly sampled data without a time column, "
            "or None (default: times from the time column or index). Sample i is at "
            "start + i / sample_rate."
        ),
    )
    start = tt.AnyValue(
        None,
        allow_none=True,
        help=(
            "First sample's time with sample_rate: a number in time_unit (None: 0.0; an int "
            "for integer time) or a datetime (Timestamp, datetime, ISO 8601 string)."
        ),
    )
    cache_dir = tt.AnyValue(
        None,
        allow_none=True,
        help=(
            "Folder for the pyramids of channels in files (np.memmap, np.load(mmap_mode='r')): "
            "a path, None (default: the user's cache folder) or False (memory only)."
        ),
    )
    media = tt.Media(
        None,
        allow_none=True,
        help="Media: a URL, URL path, file path or bytes; a list; or a dict name -> source.",
    )
    media_kind = tt.Media(
        None,
        allow_none=True,
        help="Media kind: 'video' or 'audio' (every track), a dict name -> kind, or None.",
    )

    # -- synced state --------------------------------------------------------------------
    selection = tt.AnyValue(
        None,
        allow_none=True,
        help=(
            "(start, end) of the detail window in the time column's own terms: numbers for "
            "numeric time, pandas Timestamps for datetimes. Setting it moves the range and "
            "seeks the media."
        ),
    ).tag(sync=True, to_json=ws.selection_to_json, from_json=ws.selection_from_json)
    media_time = t.Float(0.0, help="Current media time in seconds (float, 0.0).").tag(sync=True)
    media_duration = tt.Float(
        None, allow_none=True, help="Media duration in seconds (> 0); None until the media loads."
    ).tag(sync=True)
    playing = t.Bool(False, help="Whether the media plays (bool, False).").tag(sync=True)
    sync = t.Enum(
        list(SYNC_MODES),
        default_value="ts-to-media",
        help="'ts-to-media' (range seeks media), 'both' (media also moves the range), 'off'.",
    ).tag(sync=True)
    offset = tt.Float(
        None,
        allow_none=True,
        help="Media seconds at the first sample; None (default) maps proportionally.",
    ).tag(sync=True)
    rate = t.Float(1.0, help="Media seconds per data second when offset is set (> 0).").tag(
        sync=True
    )
    window = t.Float(5.0, help="Initial detail window width in media seconds (> 0).").tag(sync=True)
    labels = tt.AnyValue(None, allow_none=True, help="Label names (list) or name -> colour (dict).")
    hotkeys = t.Dict(
        t.Unicode(), default_value={}, help="Label name -> key that picks it; default 1-9 in order."
    )
    regions = t.List(
        t.Dict(),
        help=(
            "Labeled regions: dicts with id (str), start, end (the time column's own terms), "
            "label (str), channel (None or a channel name), meta (dict of JSON values). "
            "start == end is a point event. Assigning redraws and autosaves; browser edits "
            "update it."
        ),
    ).tag(sync=True, to_json=ws.regions_to_json, from_json=ws.regions_from_json)
    sync_points = t.List(
        t.Dict(),
        help=(
            "Sync points: dicts with id (str), track (str), data_time (the time column's own "
            "terms) and media_time (seconds in that track's media), each pairing an instant "
            "seen in both. Alt+click in the detail chart adds one; fit_alignment fits them."
        ),
    ).tag(sync=True, to_json=ws.points_to_json, from_json=ws.points_from_json)
    autosave = tt.OptionalPath(
        help=(
            "A .csv or .json path (str or Path) kept equal to `regions` after every accepted "
            "change, or None. Setting it loads an existing file (or refuses one that differs "
            "from the regions in memory); it never overwrites one."
        )
    )
    height = t.Int(220, help="Height of the detail chart in CSS pixels (int, 220).").tag(sync=True)
    transport = t.Enum(
        TRANSPORTS,
        "auto",
        help=(
            "How numbers and media bytes reach the browser (str): 'auto' (binary buffers, "
            "switching to base64 text when they do not arrive intact, as in hosts with broken "
            "binary messages), 'binary', or 'base64' (always text; a third more bytes)."
        ),
    ).tag(sync=True)

    # -- synced, private: what the front end draws ----------------------------------------
    _uid = t.Unicode(help="Stable id of this widget's front-end state (str).").tag(sync=True)
    _meta: t.Dict[str, Any] = t.Dict().tag(sync=True)
    _overview: t.Dict[str, Any] = t.Dict().tag(sync=True)
    _media: t.List[dict[str, Any]] = t.List(t.Dict()).tag(sync=True)
    _tracks: t.List[dict[str, Any]] = t.List(t.Dict()).tag(sync=True)
    _track_times: t.Dict[str, Any] = t.Dict().tag(sync=True)
    _labels: t.List[dict[str, Any]] = t.List().tag(sync=True)
    _align_undo: t.List[dict[str, Any]] = t.List(
        t.Dict(), help="Alignments apply_alignment replaced, most recent last (for undo)."
    ).tag(sync=True)
    _store_key = t.Unicode(
        "", help="Key of the browser's store of unsaved edits: autosave file + data ('' = none)."
    ).tag(sync=True)

    def __init__(
        self,
        data: Any,
        media: Any = None,
        *,
        time: str | None = "time",
        channels: list[str] | None = None,
        time_unit: str = "s",
        sort: bool = False,
        sample_rate: float | None = None,
        start: Any = None,
        cache_dir: str | os.PathLike[str] | bool | None = None,
        media_kind: str | None = None,
        labels: Any = None,
        autosave: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> None:
        unknown = [k for k in kwargs if not self.has_trait(k) or k.startswith("_")]
        if unknown:
            public = sorted(n for n in self.trait_names() if not n.startswith("_"))
            raise TypeError(
                f"TimeSeriesVideo() got unexpected keyword argument(s) {unknown}; "
                f"valid names are: {', '.join(public)}"
            )
        # One lock for every change of the widget's traits and files (see labeling.locked).
        self._lock = threading.RLock()
        self._pipeline = Pipeline()
        self._resolve_media = new_resolver()
        self._protocol = Protocol(self)
        self._autosave_file: AutosaveFile | None = None
        # Everything is checked here first, so a refused construction opens no comm.
        self._initializing = True
        sample_rate = check_sample_rate(sample_rate)
        cache_dir = check_cache_dir(cache_dir)
        config = Config.of(data, time, channels, time_unit, sort, sample_rate, start, cache_dir)
        prepared = self._pipeline.build(config)
        sources = self._resolve_media(media, media_kind)
        label_names = None if check.labels(labels) is None else list(labels)
        path = type(self).autosave.validate(self, autosave)
        regions = kwargs.pop("regions", None)
        if path is not None:
            opened = AutosaveFile.open(path, prepared.series)
            if opened.regions is not None and regions is not None:
                raise TsvError(
                    f"both regions= and an existing autosave file {path!r} were given; the "
                    "file holds the saved work: drop regions=, or pick another autosave path"
                )
            if opened.regions is not None:
                regions = opened.regions
            self._autosave_file = opened.file
        regions = reg.normalize_all(
            regions or [], prepared.series, label_names, prepared.series.channels
        )
        points = sp.normalize_all(
            kwargs.pop("sync_points", None) or [], prepared.series, [n for n, _ in sources]
        )
        if self._autosave_file is not None:
            self._autosave_file.save(regions, prepared.series)
        self._selection_auto = "selection" not in kwargs
        super().__init__(
            data=data,
            time=time,
            channels=channels,
            time_unit=time_unit,
            sort=sort,
            sample_rate=sample_rate,
            start=start,
            cache_dir=cache_dir,
            media=media,
            media_kind=media_kind,
            labels=labels,
            autosave=path,
            regions=regions,
            sync_points=points,
            _uid=uuid.uuid4().hex,
            _meta=prepared.meta_json(),
            _overview=self._overview_json(prepared, kwargs.get("transport", "auto")),
            _media=media_list(sources),
            _tracks=default_settings([n for n, _ in sources], []),
            _store_key=self._store_key_for(prepared),
            **kwargs,
        )
        self._initializing = False
        if self.selection is None:
            self._set_auto_selection()
        self._labels_changed(t.Bunch(new=self.labels))
        self.on_msg(lambda _w, content, buffers: self._protocol.handle(content, buffers))

    def _store_key_now(self) -> str:
        return self._store_key_for(self.prepared)

    def _store_key_for(self, prepared: Prepared) -> str:
        f = self._autosave_file
        return "" if f is None else f.store_key(prepared.fingerprint)

    def _label_names(self) -> list[str] | None:
        return None if self.labels is None else list(self.labels)

    def __setattr__(self, name: str, value: Any) -> None:
        # Trait assignments (validation, autosave, notification) hold the lock, so a
        # cell's assignment and a browser change on a kernel subshell never interleave.
        lock = self.__dict__.get("_lock")
        if lock is None or name.startswith("_") or not self.has_trait(name):
            super().__setattr__(name, value)
            return
        with lock:
            super().__setattr__(name, value)

    # -- changes from the browser ---------------------------------------------------------------
    @locked
    def set_state(self, sync_data: Mapping[str, Any]) -> None:
        """Apply a state change from the browser; a refused one is undone on both sides.

        ipywidgets rolls the traits back on a TraitError but leaves the browser
        with the refused value; here the browser gets the kernel's values again,
        the refusal is shown in the widget, and the autosave file is put back to
        what memory holds.
        """
        try:
            super().set_state(sync_data)
        except t.TraitError as err:
            keys = [k for k in sync_data if k in self.keys]
            if self._autosave_file is not None:
                # A region change saved before another key was refused: put memory back on disk.
                try:
                    self._autosave_file.save(self.regions, self.series)
                except t.TraitError as save_err:
                    err = t.TraitError(f"{err}; also: {save_err}")
            self.send_state(keys)
            self.send({"type": REJECTED_MESSAGE, "error": str(err), "keys": keys})
            self.log.warning("tsvideo-widget refused a change from the browser: %s", err)

    def to_html(
        self,
        path: str | os.PathLike[str],
        *,
        budget_mb: float = export.DEFAULT_BUDGET_MB,
        media_href: export.MediaHref = None,
        title: str = "tsvideo-widget",
    ) -> pathlib.Path:
        """Write a static HTML page of this widget that works with no kernel; returns its path.

        The overview and up to ``budget_mb`` MB (float, default 4.0) of detail are embedded,
        so the range drags and zooms within them; regions are shown read-only. The media
        element points at the media's URL, or at the local file's path relative to the HTML
        (``media_href``: an http(s) URL or relative path to use instead, str; with several
        tracks a dict track name -> place; None (default)). See
        :func:`tsvideo_widget.to_html` for several widgets on one page.
        """
        return export.to_html(path, self, budget_mb=budget_mb, media_href=media_href, title=title)

    def __repr__(self) -> str:
        s = self.series
        media = self.media_source
        return (
            f"TimeSeriesVideo({s.n:,} samples x {len(s.channels)} channels "
            f"{list(s.channels)[:4]}{'...' if len(s.channels) > 4 else ''}, span "
            f"{s.from_rel(0.0)!r}..{s.from_rel(s.span)!r}, media "
            f"{media.name if media else None!r}, {len(self.regions)} regions"
            f"{', autosave ' + repr(self.autosave) if self.autosave else ''})"
        )
