"""The configuration pipeline: (data, time, channels, time_unit, sort, sample_rate, start,
cache_dir) -> what is drawn.

:func:`build` turns the widget's configuration traits into a :class:`Prepared`:
the validated series, its data source (one pyramid per channel), the wire dtypes, the
``_meta`` and ``_overview`` the browser draws, and a fingerprint of the data.
It is a pure function of the configuration; results are memoised by the
identity of the data object and the other values, so a validator that checks a
proposed configuration and the observer that installs it compute it once,
without handing anything to each other: on a miss the observer simply builds
it again from the traits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import data as data_mod
from . import wire
from .lazyframes import is_big_lazyframe, stream_lazyframe
from .lazyinputs import is_lazy, resolve
from .memo import Memo
from .parquetinputs import is_big_parquet, stream_parquet
from .pyrcache import cache_for
from .remotesource import RemoteSource, remote_series
from .source import DataSource, PyramidSource
from .transport import pack, wire_dtype

OVERVIEW_BUCKETS = wire.OVERVIEW_BUCKETS
"""Columns in the overview strip (int, ``wire.json``): at most about 4000 points per channel."""


@dataclass(frozen=True)
class Config:
    """The configuration traits that decide the series.

    Attributes:
        data: the data object as given (DataFrame, path, dict of arrays).
        time: the time column's name, or None for the index.
        channels: channel names, or None for every numeric column.
        time_unit: unit of numeric time ("s", "ms", ...).
        sort: sort rows by time instead of refusing unsorted time.
        sample_rate: samples per second of evenly sampled data (float Hz), or None.
        start: the first sample's time with ``sample_rate`` (number, datetime or None).
        cache_dir: where pyramids of file-backed channels are kept (checked value of
            the ``cache_dir`` trait: None, False or a path).
    """

    data: Any
    time: str | None
    channels: tuple[str, ...] | None
    time_unit: str
    sort: bool
    sample_rate: float | None = None
    start: Any = None
    cache_dir: str | bool | None = None

    @staticmethod
    def of(
        data: Any,
        time: str | None,
        channels: Sequence[str] | None,
        time_unit: str,
        sort: bool,
        sample_rate: float | None = None,
        start: Any = None,
        cache_dir: str | bool | None = None,
    ) -> Config:
        """A Config from trait values (the channel list becomes a tuple)."""
        chans = None if channels is None else tuple(channels)
        return Config(data, time, chans, time_unit, sort, sample_rate, start, cache_dir)

    def key(self) -> tuple[Any, ...]:
        """What identifies the configuration: the data by identity, the rest by value.

        ``sample_rate`` and ``start`` count with their type and repr: ``0`` (integer
        time) is not ``0.0`` (float time), nor is 12:00 UTC the same instant in Berlin.
        """
        typed = [
            (type(v).__qualname__, repr(v)) for v in (self.sample_rate, self.start, self.cache_dir)
        ]
        return (id(self.data), self.time, self.channels, self.time_unit, self.sort, *typed)


@dataclass(frozen=True)
class Prepared:
    """Everything derived from a :class:`Config`; replaced whole when the config changes.

    Attributes:
        source: where windows come from (:class:`~tsvideo_widget.source.DataSource`).
        dtypes: the dtype each channel travels as.
        fingerprint: a short hex digest of the data's times and shape (str), stable
            across kernels, that names this data in the browser's store of unsaved edits.
    """

    source: DataSource = field(repr=False)
    dtypes: list[np.dtype] = field(repr=False)
    fingerprint: str

    @property
    def series(self) -> data_mod.Series:
        """The validated series (:class:`~tsvideo_widget.series.Series`) of :attr:`source`."""
        return self.source.series

    def meta_json(self) -> dict[str, Any]:
        """The ``_meta`` trait: size, span, time kind and unit, channels, origin."""
        s = self.series
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

    def overview_json(self) -> dict[str, Any]:
        """The ``_overview`` trait: the whole span in OVERVIEW_BUCKETS columns, as buffers."""
        dec = self.source.window(0.0, self.source.span, OVERVIEW_BUCKETS)
        header, buffers = pack(dec, self.dtypes)
        return {**header, "x": buffers[0], "ys": buffers[1:]}


def fingerprint(series: data_mod.Series) -> str:
    """A digest of the series' shape and times (up to 4096 evenly spaced keys), hex str.

    Cheap for any size, and the same for the same data in another kernel (and for
    evenly sampled data and the same data with its times as a column).
    """
    h = hashlib.sha256()
    h.update(repr((series.n, series.kind, series.unit, series.tz, series.channels)).encode())
    step = max(1, series.n // 4096)
    keys = np.ascontiguousarray(series.keys_at(slice(None, None, step)))
    h.update(keys.tobytes())
    h.update(np.ascontiguousarray(series.keys_at(slice(-1, None))).tobytes())
    return h.hexdigest()[:32]


def prepare(config: Config) -> Prepared:
    """The prepared series for ``config``; raises DataError (a TraitError) for bad data.

    Zarr, xarray and dask sources are first resolved (:mod:`tsvideo_widget.lazyinputs`):
    into channels read in place (:mod:`tsvideo_widget.remotesource`), or into arrays and time.
    """
    data, time, rate, start = config.data, config.time, config.sample_rate, config.start
    chans = None if config.channels is None else list(config.channels)
    if is_lazy(data):
        r = resolve(data, time, rate, start, config.time_unit, config.cache_dir)
        if r.remote is not None:  # read in place: pyramids by Dask, raw chunks on demand
            series = remote_series(r.remote, chans, r.sample_rate, r.start, config.time_unit)
            digest = fingerprint(series)
            return Prepared(
                source=RemoteSource.open(series, r.remote, config.cache_dir, digest),
                dtypes=[wire_dtype(v.dtype) for v in series.values],
                fingerprint=digest,
            )
        data, time, rate, start = r.data, r.time, r.sample_rate, r.start
    elif is_big_parquet(data):
        # With sample_rate= the file's rows are the samples: no time column is read.
        data, time, got_rate, got_start = stream_parquet(
            data, time if rate is None else None, chans, config.time_unit, config.cache_dir
        )
        if rate is None:
            rate, start = got_rate, got_start
    elif is_big_lazyframe(data):
        data = stream_lazyframe(data, time if rate is None else None, chans, config.cache_dir)
        time = time if rate is None else None
    series = data_mod.prepare(
        data,
        time,
        chans,
        config.time_unit,
        config.sort,
        rate,
        start,
    )
    digest = fingerprint(series)
    return Prepared(
        source=PyramidSource.build(series, cache_for(config.cache_dir), identity=digest),
        dtypes=[wire_dtype(v.dtype) for v in series.values],
        fingerprint=digest,
    )


class Pipeline:
    """Builds :class:`Prepared` from a :class:`Config`, remembering the current and a proposed one.

    The memo holds the current configuration's result and the one a validator
    last checked, so installing a checked configuration costs nothing more.
    """

    def __init__(self) -> None:
        self._memo: Memo[Prepared] = Memo(prepare, lambda c: c.key(), size=2)

    def build(self, config: Config) -> Prepared:
        """The prepared series for ``config`` (see :func:`prepare`)."""
        return self._memo(config)
