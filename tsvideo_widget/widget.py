"""The TimeSeriesVideo widget: a time series and a video or audio, kept in step."""

from __future__ import annotations

import math
import os
import pathlib
import uuid
from typing import Any

import anywidget
import traitlets as t

from . import data as data_mod
from . import labelfiles
from . import media as media_mod
from . import regions as reg
from .decimate import Pyramid, decimate
from .labeling import RegionMethods
from .timemap import TimeMap, check_rate
from .transport import pack, wire_dtype

STATIC = pathlib.Path(__file__).parent / "static"

OVERVIEW_BUCKETS = 1000
"""Buckets in the overview strip: two points each, so at most 2000 points per channel."""

MAX_DETAIL_BUCKETS = 8192
"""Upper bound on buckets a detail request may ask for (a wide, high-DPI screen)."""

SYNC_MODES = ("ts-to-media", "both", "off")

_CONFIG = ("data", "time", "channels", "time_unit", "sort")


def _selection_to_json(value: Any, widget: TimeSeriesVideo) -> list[float] | None:
    if value is None:
        return None
    s = widget._series
    return [s.to_rel(value[0]), s.to_rel(value[1])]


def _selection_from_json(value: Any, widget: TimeSeriesVideo) -> Any:
    if value is None:
        return None
    s = widget._series
    return (s.from_rel(float(value[0])), s.from_rel(float(value[1])))


def _regions_to_json(value: Any, widget: TimeSeriesVideo) -> list[dict[str, Any]]:
    return reg.to_wire(value or [], widget._series)


def _regions_from_json(value: Any, widget: TimeSeriesVideo) -> list[dict[str, Any]]:
    return reg.from_wire(value or [], widget._series)


class ByIdentity(t.Any):
    """A trait holding any object, that notifies whenever a different object is assigned.

    traitlets compares the old and new values with ``==`` to decide whether to
    notify; for a DataFrame that is an elementwise comparison of the whole
    table (two seconds and a boolean copy of the table for 1e8 rows x 8). What
    matters here is whether it is another object.
    """

    def set(self, obj: t.HasTraits, value: Any) -> None:
        new_value = self._validate(obj, value)
        assert self.name is not None
        old_value = obj._trait_values.get(self.name, self.default_value)
        obj._trait_values[self.name] = new_value
        if old_value is not new_value:
            obj._notify_trait(self.name, old_value, new_value)


class TimeSeriesVideo(RegionMethods, anywidget.AnyWidget):
    """Time series (overview + detail charts) next to a video or audio, kept in step.

    Args:
        data: a pandas DataFrame, a path or URL of a CSV (or Parquet, with pyarrow) file,
            or a dict of 1-D arrays.
        media: an http(s) URL, an absolute URL path on the notebook server
            (``/files/x.mp4``), a local video or audio file, or raw bytes. None shows no media.
        time: name of the time column, or None to use the index. Default "time".
        channels: columns to plot; default every numeric column but time.
        time_unit: unit of a numeric time column: "s" (default), "ms", "us", "ns", "min", "h".
        sort: sort rows by time instead of rejecting unsorted time. Default False.
        media_kind: "video" or "audio" to override the kind guessed from the name.
        labels: label names (list) or name -> CSS colour (dict) for labeling.
        **kwargs: any other trait below (``sync``, ``offset``, ``rate``, ``window``,
            ``selection``, ``height``); unknown names raise TypeError.

    The time mapping is proportional by default (the series' span maps onto the
    media's duration); set ``offset`` (and ``rate``) for an explicit alignment.
    """

    _esm = STATIC / "widget.js"
    _css = STATIC / "widget.css"

    # -- configuration (Python side; validated on every assignment) ---------------------
    data = ByIdentity(
        help="The time series: DataFrame, CSV/Parquet path or URL, or dict of arrays."
    )
    time = t.Unicode(None, allow_none=True, help="Time column name (str), or None for the index.")
    channels = t.List(
        t.Unicode(), default_value=None, allow_none=True, help="Channels to plot (list of str)."
    )
    time_unit = t.Enum(
        list(data_mod.TIME_UNITS), default_value="s", help="Unit of numeric time (str, 's')."
    )
    sort = t.Bool(False, help="Sort rows by time instead of raising on unsorted time.")
    media = ByIdentity(
        None, allow_none=True, help="Media source: URL, URL path, file path or bytes."
    )
    media_kind = t.Enum(
        ["video", "audio"], default_value=None, allow_none=True, help="Override the media kind."
    )

    # -- synced state --------------------------------------------------------------------
    selection = t.Any(
        None,
        allow_none=True,
        help=(
            "(start, end) of the detail window in the time column's own terms: floats for numeric "
            "time, pandas Timestamps for datetimes. Setting it moves the range and seeks the media."
        ),
    ).tag(sync=True, to_json=_selection_to_json, from_json=_selection_from_json)
    media_time = t.Float(0.0, help="Current media time in seconds (float, 0.0).").tag(sync=True)
    media_duration = t.Float(
        None, allow_none=True, help="Media duration in seconds; None until the media loads."
    ).tag(sync=True)
    playing = t.Bool(False, help="Whether the media plays (bool, False).").tag(sync=True)
    sync = t.Enum(
        list(SYNC_MODES),
        default_value="ts-to-media",
        help="'ts-to-media' (range seeks media), 'both' (media also moves the range), 'off'.",
    ).tag(sync=True)
    offset = t.Float(
        None,
        allow_none=True,
        help="Media seconds at the first sample; None (default) maps proportionally.",
    ).tag(sync=True)
    rate = t.Float(1.0, help="Media seconds per data second when offset is set (> 0).").tag(
        sync=True
    )
    window = t.Float(5.0, help="Initial detail window width in media seconds (> 0).").tag(sync=True)
    labels = t.Any(None, allow_none=True, help="Label names (list) or name -> colour (dict).")
    hotkeys = t.Dict(
        t.Unicode(), default_value={}, help="Label name -> key that picks it; default 1-9 in order."
    )
    regions = t.List(
        t.Dict(),
        help=(
            "Labeled regions: dicts with id (str), start, end (the time column's own terms), "
            "label (str), channel (None or a channel name), meta (dict). start == end is a "
            "point event. Assigning redraws; browser edits update it."
        ),
    ).tag(sync=True, to_json=_regions_to_json, from_json=_regions_from_json)
    autosave = t.Unicode(
        None, allow_none=True, help="CSV or JSON path written atomically on every region change."
    )
    height = t.Int(220, help="Height of the detail chart in CSS pixels (int, 220).").tag(sync=True)

    # -- synced, private: what the front end draws ----------------------------------------
    _uid = t.Unicode(help="Stable id of this widget's front-end state (str).").tag(sync=True)
    _meta: t.Dict[str, Any] = t.Dict().tag(sync=True)
    _overview: t.Dict[str, Any] = t.Dict().tag(sync=True)
    _media: t.Dict[str, Any] | t.Any = t.Dict(allow_none=True).tag(sync=True)
    _labels: t.List[dict[str, Any]] = t.List().tag(sync=True)

    def __init__(
        self,
        data: Any,
        media: Any = None,
        *,
        time: str | None = "time",
        channels: list[str] | None = None,
        time_unit: str = "s",
        sort: bool = False,
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
        series = data_mod.prepare(data, time, channels, time_unit, sort)
        source = media_mod.resolve(media, media_kind)
        self._initializing = True
        self._install_series(series)
        self._source = source
        self._selection_auto = "selection" not in kwargs
        self._pending: dict[str, Any] = {}
        autosave_path = os.fspath(autosave) if autosave is not None else None
        if autosave_path is not None and os.path.exists(autosave_path):
            if "regions" in kwargs:
                raise ValueError(
                    f"both regions= and an existing autosave file {autosave_path!r} were given; "
                    "the file holds the saved work: drop regions=, or pick another autosave path"
                )
            kwargs["regions"] = labelfiles.parse(autosave_path, series)
        super().__init__(
            data=data,
            time=time,
            channels=channels,
            time_unit=time_unit,
            sort=sort,
            media=media,
            media_kind=media_kind,
            labels=labels,
            autosave=autosave_path,
            _uid=uuid.uuid4().hex,
            _meta=self._meta_json(),
            _overview=self._overview_json(),
            _media=source.to_json() if source else None,
            **kwargs,
        )
        if self.selection is None:
            self._set_auto_selection()
        self._initializing = False
        # The labels are known now: check regions given at construction (or autosaved).
        self.regions = reg.normalize_all(
            self.regions, self._series, self._label_names(), self._series.channels
        )
        self._labels_changed(t.Bunch(new=self.labels))
        self._autosave()
        self.on_msg(self._on_message)

    # -- series ---------------------------------------------------------------------------
    def _install_series(self, series: data_mod.Series) -> None:
        self._series = series
        self._pyramids = [Pyramid(v) for v in series.values]
        self._dtypes = [wire_dtype(v.dtype) for v in series.values]

    def _meta_json(self) -> dict[str, Any]:
        s = self._series
        meta: dict[str, Any] = {
            "n": s.n,
            "span": s.span,
            "kind": s.kind,
            "unit": s.unit,
            "time_name": s.time_name,
            "channels": list(s.channels),
            "tz": s.tz,
        }
        if s.kind == "datetime":
            t0 = s.t0
            meta["t0"] = t0.isoformat()
            meta["t0_epoch"] = t0.value / 1e9
            # Wall-clock time of the first sample in the data's own zone, split
            # into whole seconds and a fraction so microseconds survive float64.
            offset = t0.utcoffset()
            wall_ns = int(t0.value) + (int(offset.total_seconds() * 1e9) if offset else 0)
            meta["t0_wall_s"] = wall_ns // 1_000_000_000
            meta["t0_frac"] = (wall_ns % 1_000_000_000) / 1e9
        else:
            meta["t0"] = float(s.t0)
        return meta

    def _overview_json(self) -> dict[str, Any]:
        s = self._series
        dec = decimate(s, self._pyramids, 0.0, s.span, OVERVIEW_BUCKETS)
        header, buffers = pack(dec, self._dtypes)
        return {**header, "x": buffers[0], "ys": buffers[1:]}

    @t.validate(*_CONFIG)
    def _validate_config(self, proposal: t.Bunch) -> Any:
        if self._initializing:
            return proposal.value
        args = {name: getattr(self, name) for name in _CONFIG}
        args[proposal.trait.name] = proposal.value
        self._pending["series"] = data_mod.prepare(
            args["data"], args["time"], args["channels"], args["time_unit"], args["sort"]
        )
        return proposal.value

    def _revert_on_error(self, change: t.Bunch, build: Any) -> Any:
        """Run ``build()``; on failure put the trait back as it was and re-raise.

        traitlets skips validators for None on ``allow_none`` traits, so a None
        assignment is checked here, after the fact.
        """
        try:
            return build()
        except Exception:
            with self.hold_trait_notifications():
                self.set_trait(change.name, change.old)
            self._pending.clear()
            raise

    @t.observe(*_CONFIG)
    def _config_changed(self, change: t.Bunch) -> None:
        if self._initializing:
            return
        series = self._pending.pop("series", None)
        if series is None:
            series = self._revert_on_error(
                change,
                lambda: data_mod.prepare(
                    self.data, self.time, self.channels, self.time_unit, self.sort
                ),
            )
        old = self.selection
        self._install_series(series)
        self._meta = self._meta_json()
        self._overview = self._overview_json()
        try:
            self.selection = old
        except (ValueError, TypeError):
            self._set_auto_selection()

    # -- media ----------------------------------------------------------------------------
    @t.validate("media", "media_kind")
    def _validate_media(self, proposal: t.Bunch) -> Any:
        if self._initializing:
            return proposal.value
        media = proposal.value if proposal.trait.name == "media" else self.media
        kind = proposal.value if proposal.trait.name == "media_kind" else self.media_kind
        self._pending["source"] = media_mod.resolve(media, kind)
        return proposal.value

    @t.observe("media", "media_kind")
    def _media_changed(self, change: t.Bunch) -> None:
        if self._initializing:
            return
        if "source" in self._pending:
            self._source = self._pending.pop("source")
        else:
            self._source = self._revert_on_error(
                change, lambda: media_mod.resolve(self.media, self.media_kind)
            )
        self.media_duration = None
        self._media = self._source.to_json() if self._source else None

    # -- selection and mapping -------------------------------------------------------------
    @property
    def timemap(self) -> TimeMap:
        """The current data-to-media mapping (a :class:`~tsvideo_widget.timemap.TimeMap`)."""
        return TimeMap(self._series.span, self.media_duration, self.offset, self.rate)

    def data_to_media(self, time: Any) -> float:
        """Media seconds shown at ``time`` (in the time column's own terms)."""
        return self.timemap.to_media(self._series.to_rel(time))

    def media_to_data(self, seconds: float) -> Any:
        """Data time (in the time column's own terms) shown at media second ``seconds``."""
        return self._series.from_rel(self.timemap.to_data(float(seconds)))

    def _set_auto_selection(self) -> None:
        s = self._series
        width = self.timemap.data_width(self.window)
        if not math.isfinite(width) or width <= 0:
            width = s.span
        if s.span <= 0:
            # One sample, or all at one time: the window is that instant.
            self.selection = (s.from_rel(0.0), s.from_rel(0.0))
            self._selection_auto = True
            return
        self.selection = (s.from_rel(0.0), s.from_rel(min(width, s.span)))
        self._selection_auto = True

    @t.validate("selection")
    def _validate_selection(self, proposal: t.Bunch) -> Any:
        value = proposal.value
        if value is None:
            return None
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
            raise TypeError(f"selection must be a (start, end) pair, got {value!r}")
        s = self._series
        a, b = s.to_rel(value[0]), s.to_rel(value[1])
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ValueError(f"selection {value!r} is not finite")
        if b < a:
            raise ValueError(f"selection end {value[1]!r} is before its start {value[0]!r}")
        # Allow float noise from the browser's round trip, nothing more.
        eps = max(1e-9, s.span * 1e-12)
        if a < -eps or b > s.span + eps:
            raise ValueError(
                f"selection {value!r} is outside the data, which spans "
                f"{s.from_rel(0.0)!r} to {s.from_rel(s.span)!r}"
            )
        a, b = min(max(a, 0.0), s.span), min(max(b, 0.0), s.span)
        if not self._initializing:
            self._selection_auto = False
        return (s.from_rel(a), s.from_rel(b))

    @t.validate("rate")
    def _validate_rate(self, proposal: t.Bunch) -> float:
        return check_rate(proposal.value)

    @t.validate("window")
    def _validate_window(self, proposal: t.Bunch) -> float:
        w = float(proposal.value)
        if not math.isfinite(w) or w <= 0:
            raise ValueError(f"window must be a positive number of media seconds, got {w!r}")
        return w

    @t.validate("offset")
    def _validate_offset(self, proposal: t.Bunch) -> float | None:
        if proposal.value is not None and not math.isfinite(proposal.value):
            raise ValueError(
                f"offset must be a finite number of seconds or None, got {proposal.value!r}"
            )
        return proposal.value

    @t.validate("height")
    def _validate_height(self, proposal: t.Bunch) -> int:
        if proposal.value < 60:
            raise ValueError(f"height must be at least 60 CSS pixels, got {proposal.value}")
        return int(proposal.value)

    @t.observe("media_duration", "offset", "rate", "window")
    def _mapping_changed(self, change: t.Bunch) -> None:
        # Until the user (or the browser) picks a window, keep the initial one
        # `window` media seconds wide under the current mapping.
        if self._selection_auto and not self._initializing:
            self._set_auto_selection()

    # -- labels ----------------------------------------------------------------------------
    @t.validate("labels")
    def _validate_labels(self, proposal: t.Bunch) -> Any:
        value = proposal.value
        if value is None:
            return None
        if isinstance(value, dict):
            items = list(value.items())
        elif isinstance(value, (list, tuple)):
            items = [(v, None) for v in value]
        else:
            raise TypeError(
                "labels must be a list of names or a dict name -> colour, got "
                f"{type(value).__name__}"
            )
        seen = set()
        for name, colour in items:
            if not isinstance(name, str) or not name:
                raise ValueError(f"label names must be non-empty strings, got {name!r}")
            if name in seen:
                raise ValueError(f"label {name!r} is given twice")
            if colour is not None and not isinstance(colour, str):
                raise ValueError(f"colour of label {name!r} must be a CSS colour string")
            seen.add(name)
        return value

    @t.observe("labels", "hotkeys")
    def _labels_changed(self, change: t.Bunch) -> None:
        value = self.labels
        names = self._label_names() or []
        colours = value if isinstance(value, dict) else {}
        keys = dict(zip(names, [str(i + 1) for i in range(9)], strict=False))
        keys.update(self.hotkeys)
        self._labels = [{"name": n, "color": colours.get(n), "key": keys.get(n)} for n in names]

    @t.validate("hotkeys")
    def _validate_hotkeys(self, proposal: t.Bunch) -> dict[str, str]:
        value = dict(proposal.value)
        names = self._label_names() or []
        for name, key in value.items():
            if name not in names:
                raise ValueError(f"hotkey for {name!r}, which is not a label; labels are {names}")
            if not isinstance(key, str) or len(key) != 1 or key in " .?":
                raise ValueError(
                    f"hotkey {key!r} for {name!r} must be one character, not space, '.' or '?'"
                )
        if len(set(value.values())) != len(value):
            raise ValueError(f"two labels share a hotkey in {value}")
        return value

    def _label_names(self) -> list[str] | None:
        if self.labels is None:
            return None
        return list(self.labels)

    # -- regions -------------------------------------------------------------------------------
    @t.validate("regions")
    def _validate_regions(self, proposal: t.Bunch) -> list[dict[str, Any]]:
        if self._initializing:
            return list(proposal.value)
        return reg.normalize_all(
            proposal.value, self._series, self._label_names(), self._series.channels
        )

    @t.observe("regions")
    def _regions_changed(self, change: t.Bunch) -> None:
        if not self._initializing:
            self._autosave()

    def _autosave(self) -> None:
        if self.autosave is not None:
            labelfiles.export(self.autosave, self.regions, self._series, self.timemap)

    # -- messages from the browser -------------------------------------------------------------
    def _on_message(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict) or "type" not in content:
            return
        kind, rid = content.get("type"), content.get("id")
        try:
            if kind == "detail":
                header, bufs = self.detail(
                    float(content["lo"]), float(content["hi"]), int(content["buckets"])
                )
                self.send({"type": kind, "id": rid, "error": None, **header}, bufs)
            elif kind == "media-chunk":
                if self._source is None:
                    raise media_mod.MediaError("this widget has no media")
                offset, length = int(content["offset"]), int(content["length"])
                chunk = self._source.read(offset, length)
                self.send(
                    {
                        "type": kind,
                        "id": rid,
                        "error": None,
                        "offset": offset,
                        "length": len(chunk),
                        "size": self._source.size,
                    },
                    [chunk],
                )
            else:
                self.send({"type": kind, "id": rid, "error": f"unknown request type {kind!r}"})
        except Exception as err:  # the browser must hear of every failure, or it waits
            self.send({"type": kind, "id": rid, "error": f"{type(err).__name__}: {err}"})

    def detail(self, lo: float, hi: float, buckets: int) -> tuple[dict[str, Any], list[Any]]:
        """Decimated points between relative seconds ``lo`` and ``hi``.

        The window is cut into columns of time about ``(hi - lo) / buckets`` seconds wide
        and each column sends its exact minimum and maximum (raw samples when the window
        holds fewer than four per column; see :func:`tsvideo_widget.decimate.decimate`).
        Returns the JSON header (``lo``, ``hi``, ``bucket`` mean samples per column or 1
        for raw, ``dt`` seconds per column or 0, covered rows ``i0``..``i1``, ``points``,
        ``dtypes``) and the buffers: float32 time offsets from ``x0``, then one array per
        channel. Fewer than about ``4 * buckets`` points per channel.
        """
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
            raise ValueError(f"bad detail window {lo!r}..{hi!r}")
        buckets = max(1, min(int(buckets), MAX_DETAIL_BUCKETS))
        dec = decimate(self._series, self._pyramids, lo, hi, buckets)
        header, bufs = pack(dec, self._dtypes)
        header.update(lo=lo, hi=hi)
        return header, bufs

    @property
    def series(self) -> data_mod.Series:
        """The validated series (relative times and channel arrays), read-only."""
        return self._series


__all__ = ["TimeSeriesVideo"]
