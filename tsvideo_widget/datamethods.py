"""The widget's data: the configuration traits, what is derived from them, and windows of it.

A mixin of :class:`~tsvideo_widget.TimeSeriesVideo`, which declares the traits
(``data``, ``time``, ``channels``, ``time_unit``, ``sort``, ``sample_rate``, ``start``,
``cache_dir``,
``transport``, ``_meta``, ``_overview``). The series, its pyramids and wire dtypes are
computed from the traits by :class:`~tsvideo_widget.pipeline.Pipeline`
(memoised), never stored beside them; a configuration change that would change
what the regions' times mean, or that the autosave file could not record, is
refused before anything changes.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import traitlets as t

from . import data as data_mod
from . import regions as reg
from .autosave import AutosaveFile
from .compactwire import pack_compact
from .errors import RegionError, TsvError
from .evenseries import check_sample_rate
from .pipeline import Config, Pipeline, Prepared
from .pyrcache import check_cache_dir
from .transport import encode_buffers, pack
from .wire import MAX_DETAIL_BUCKETS

CONFIG = ("data", "time", "channels", "time_unit", "sort", "sample_rate", "start", "cache_dir")
"""The traits a series is built from."""


class _Host(Protocol):
    """What these methods use of the widget."""

    regions: list[dict[str, Any]]
    sync_points: list[dict[str, Any]]
    selection: Any
    transport: str
    _meta: dict[str, Any]
    _overview: dict[str, Any]
    _store_key: str
    _initializing: bool
    _pipeline: Pipeline
    _autosave_file: AutosaveFile | None

    @property
    def prepared(self) -> Prepared: ...

    @property
    def series(self) -> data_mod.Series: ...

    def _config(self, **proposed: Any) -> Config: ...

    def _overview_json(self, prepared: Prepared, transport: str) -> dict[str, Any]: ...

    def _store_key_now(self) -> str: ...

    def _label_names(self) -> list[str] | None: ...

    def _check_regions(
        self, what: str, series: Any = None, labels: Any = "same"
    ) -> list[dict[str, Any]]: ...

    def _set_auto_selection(self) -> None: ...

    def _check_sync_points(self, series: data_mod.Series, change: str) -> list[dict[str, Any]]: ...


class DataMethods(t.HasTraits):
    """Data configuration and windows of :class:`~tsvideo_widget.TimeSeriesVideo`."""

    def _config(self: _Host, **proposed: Any) -> Config:
        values = {name: getattr(self, name) for name in CONFIG}
        values.update(proposed)
        return Config.of(**values)

    @property
    def prepared(self: _Host) -> Prepared:
        """The series, pyramids and wire dtypes of the current configuration (read-only)."""
        return self._pipeline.build(self._config())

    @property
    def series(self: _Host) -> data_mod.Series:
        """The validated series (relative times and channel arrays), read-only."""
        return self.prepared.series

    # -- configuration ---------------------------------------------------------------------
    @t.validate(*CONFIG)
    def _validate_config(self: _Host, proposal: t.Bunch) -> Any:
        if self._initializing:
            return proposal.value
        name, value = proposal.trait.name, proposal.value
        if name == "sample_rate":
            value = check_sample_rate(value)  # a float, so 1000 and 1000.0 are one configuration
        elif name == "cache_dir":
            value = check_cache_dir(value)
        series = self._pipeline.build(self._config(**{name: value})).series
        old = self.series
        if self.regions and (series.kind, series.unit) != (old.kind, old.unit):
            raise RegionError(
                f"{name}: the time column would change from {old.kind} in {old.unit!r} to "
                f"{series.kind} in {series.unit!r}, which changes what the {len(self.regions)} "
                f"regions' times mean (first: {self.regions[0]['id']}). To keep them on the "
                "same samples: regs = w.regions; w.clear_regions(); change "
                f"{name}; w.regions = regs"
            )
        shown = f"a new {type(value).__name__}" if name == "data" else repr(value)
        regions = self._check_regions(f"{name}={shown:.60}", series=series)
        self._check_sync_points(series, f"{name}={shown:.60}")
        if self._autosave_file is not None:
            # The file records the time column: a change that would need a write
            # that cannot happen is refused here, before anything changes.
            self._autosave_file.check_save(regions, series)
        return value

    @t.observe(*CONFIG)
    def _config_changed(self: _Host, change: t.Bunch) -> None:
        if self._initializing:
            return
        prepared = self.prepared
        old = self.selection
        self._meta = prepared.meta_json()
        self._overview = self._overview_json(prepared, self.transport)
        self._store_key = self._store_key_now()
        # Same regions, now in the new series' terms (a time zone, say), and saved.
        self.regions = reg.normalize_all(
            self.regions, prepared.series, self._label_names(), prepared.series.channels
        )
        self.sync_points = self._check_sync_points(prepared.series, "a change of the data")
        try:
            self.selection = old
        except t.TraitError:
            self._set_auto_selection()

    @staticmethod
    def _overview_json(prepared: Prepared, transport: str) -> dict[str, Any]:
        """The ``_overview`` trait: buffers, or base64 text when ``transport`` is "base64"."""
        ov = prepared.overview_json()
        return encode_buffers(ov) if transport == "base64" else ov

    @t.observe("transport")
    def _transport_changed(self: _Host, change: t.Bunch) -> None:
        if not self._initializing:
            self._overview = self._overview_json(self.prepared, change.new)

    def detail(
        self: _Host,
        lo: float,
        hi: float,
        buckets: int,
        compact: bool = False,
        levels: int | None = None,
    ) -> tuple[dict[str, Any], list[Any]]:
        """Decimated points between relative seconds ``lo`` and ``hi``.

        The window is cut into columns of time about ``(hi - lo) / buckets`` seconds wide
        and each column sends its exact minimum and maximum (raw samples when the window
        holds fewer than four per column; see :func:`tsvideo_widget.decimate.decimate`).
        Returns the JSON header (``lo``, ``hi``, ``bucket`` mean samples per column or 1
        for raw, ``dt`` seconds per column or 0, covered rows ``i0``..``i1``, ``points``,
        ``dtypes``) and the buffers: the points' times, then one array per channel.
        Fewer than about ``4 * buckets`` points per channel.

        ``compact`` (bool, default False; the browser's requests ask for True): a
        decimated window in the compact layout, at most 10 bytes per column for one
        float channel (times as a byte per column end, or none where the window is
        evenly sampled; values as int16 codes within ``(hi - lo) / 65534`` of the exact
        ones; :func:`tsvideo_widget.compactwire.pack_compact`). False, and every raw
        window: the exact layout (float32 time offsets from ``x0``, values in their
        wire dtype), what a static page embeds. :func:`tsvideo_widget.compactwire.unpack`
        decodes both.

        ``levels`` (int >= 2, or None, the default: int16 codes): with ``compact``, the
        value levels the chart can show (the browser sends 8 per device pixel of its
        height on a slow link); each channel's codes then take the bits a step of at
        most ``range / levels`` needs (:mod:`tsvideo_widget.codebits`).
        """
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
            raise TsvError(f"bad detail window {lo!r}..{hi!r}")
        if levels is not None and (
            isinstance(levels, bool) or not isinstance(levels, int) or levels < 2
        ):
            raise TsvError(f"levels must be an integer of at least 2 (or None), got {levels!r}")
        prepared = self.prepared
        buckets = max(1, min(int(buckets), MAX_DETAIL_BUCKETS))
        dec = prepared.source.window(lo, hi, buckets)
        if compact:
            header, bufs = pack_compact(dec, prepared.dtypes, prepared.series, lo, hi, levels)
        else:
            header, bufs = pack(dec, prepared.dtypes)
        header.update(lo=lo, hi=hi)
        return header, bufs
