"""The validated time series: :class:`Series`, and the time units it knows.

A :class:`Series` is what :func:`tsvideo_widget.data.prepare` returns and what
decimation, regions, labels and the widget read: one array per channel, the
sample times as *keys* (float64 or int64 numbers in the time unit, or int64
datetime ticks), and the conversions between a time in the column's own terms,
seconds since the first sample, and row indices. Every key-based conversion
goes through three primitives, :attr:`Series.n`, :meth:`Series.keys_at` and
:meth:`Series.search`: :class:`KeyedSeries` answers them from a stored time
column, :class:`~tsvideo_widget.evenseries.EvenSeries` by arithmetic for
evenly sampled data, with no time array at all. It lives apart from the loading
and checking code so the modules that only read a series need not import readers.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import DataError, TsvTypeError

__all__ = ["TIME_UNITS", "KeyedSeries", "Series", "TimeKind"]

TIME_UNITS: dict[str, float] = {
    "ns": 1e-9,
    "us": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "min": 60.0,
    "h": 3600.0,
}
"""Seconds per unit for numeric time columns: the accepted ``time_unit`` names."""

EXACT_UNITS: dict[str, Fraction] = {
    "ns": Fraction(1, 10**9),
    "us": Fraction(1, 10**6),
    "ms": Fraction(1, 1000),
    "s": Fraction(1),
    "min": Fraction(60),
    "h": Fraction(3600),
}
"""Seconds per unit, exactly (:data:`TIME_UNITS` as fractions)."""

TimeKind = Literal["numeric", "datetime"]
"""What a time column holds: "numeric" (numbers in a unit) or "datetime" (timestamps)."""

# The int64 bounds, as Python ints: integer time is compared with them exactly.
_INT64_MAX = int(np.iinfo(np.int64).max)
_INT64_MIN = int(np.iinfo(np.int64).min)


@dataclass(frozen=True, kw_only=True)
class Series(ABC):
    """A validated time series ready for decimation (abstract: see the two kinds below).

    Sample times are *keys*: float64 numbers in ``unit``, int64 numbers in
    ``unit`` for integer time (exactly: epoch nanoseconds 1 ns apart stay 1 ns
    apart), or int64 ticks since the epoch (UTC) for datetimes. Seconds per
    unit of key: ``key_scale``. Seconds since the first sample are computed for
    the few samples that are drawn (:meth:`rel_at`), never for the whole series.
    A subclass gives the keys: :class:`KeyedSeries` from a time column,
    :class:`~tsvideo_widget.evenseries.EvenSeries` by arithmetic.

    Attributes:
        channels: channel (column) names, in display order.
        values: one 1-D array per channel, one value per sample; NaN marks a gap.
        kind: "numeric" for numbers in ``unit``, "datetime" for timestamps.
        unit: the time unit for numeric time ("s", "ms", ...); "s" for datetimes.
        t0: first time in the column's own terms: a float, a Python int (integer
            numeric time, see :attr:`integer`), or a pandas Timestamp.
        tz: time zone name of datetime data, or None (naive or numeric).
        time_name: the time column's name ("index" when the index was used).
        index: the rows' index labels, in sample order (after sort=True).
    """

    channels: list[str]
    values: list[np.ndarray]
    kind: TimeKind
    unit: str
    t0: Any
    tz: str | None
    time_name: str
    index: pd.Index
    key_scale: float = 1.0
    """Seconds per unit of key (float, default 1.0)."""

    # -- the primitives a subclass gives ----------------------------------------------------
    @property
    @abstractmethod
    def n(self) -> int:
        """Number of samples (rows)."""

    @property
    @abstractmethod
    def key_dtype(self) -> np.dtype:
        """The keys' dtype: float64, or int64 (integer time, datetime ticks)."""

    @abstractmethod
    def keys_at(self, idx: Any) -> Any:
        """Keys at row index ``idx`` (an int, a slice or an index array), like ``key[idx]``."""

    @abstractmethod
    def search(self, keys: Any, side: Literal["left", "right"]) -> Any:
        """Rows where ``keys`` (scalar or array, in :attr:`key_dtype`) would be inserted.

        ``np.searchsorted`` on the series' keys: "left" gives the first row whose
        key is at or after each key, "right" the first row after it.
        """

    # -- everything else, in terms of them --------------------------------------------------
    @property
    def integer(self) -> bool:
        """True for numeric time held as integers (int64 keys, ``t0`` and :meth:`own` ints)."""
        return self.kind == "numeric" and self.key_dtype.kind in "iu"

    @property
    def exact(self) -> bool:
        """True when times are exact ticks (datetimes, integer time): compared without slack."""
        return self.kind == "datetime" or self.integer

    @property
    def last(self) -> Any:
        """The last sample's time in the column's own terms, exactly (int, float or Timestamp)."""
        k = self.keys_at(self.n - 1)
        if self.kind == "numeric":
            return int(k) if self.integer else float(k)
        ns = int(k) * round(self.key_scale * 1e9)
        ts = pd.Timestamp(ns, unit="ns", tz="UTC")
        return ts.tz_convert(self.tz) if self.tz is not None else ts.tz_convert(None)

    def from_rel_snapped(self, rel: float) -> Any:
        """:meth:`from_rel` for a time the browser computed in float seconds.

        Float noise past either end of the data snaps onto that end, so a range or
        region dragged to the edge of a long recording (where float seconds cannot
        hold every nanosecond) lands on the first or last sample, not a tick past it.
        """
        v = self.from_rel(rel)
        noise = 1e-9 + abs(self.span) * 1e-12
        if rel <= self.span + noise and v > self.last:
            return self.last
        if rel >= -noise and v < self.t0:
            return self.t0
        return v

    @property
    def span(self) -> float:
        """Seconds from the first to the last sample."""
        return float(self.rel_at(self.n - 1)) if self.n else 0.0

    @property
    def unit_seconds(self) -> float:
        """Seconds per unit of a numeric time column (1.0 for datetimes)."""
        return TIME_UNITS[self.unit] if self.kind == "numeric" else 1.0

    def own(self, t: Any) -> Any:
        """``t`` as the column's own type, unrounded.

        A float for float time; a Python int for integer time (an integral
        float such as 1500.0 is taken exactly, a fraction is refused); a
        Timestamp in the data's zone for datetimes.

        Raises:
            TsvTypeError: ``t`` is of the wrong kind (a datetime for numeric time,
                a number for datetimes, a bool for integer time).
            DataError: a fractional, NaN or infinite ``t`` for integer time.
        """
        if self.kind == "numeric":
            if isinstance(t, (pd.Timestamp, np.datetime64, str)) or hasattr(t, "tzinfo"):
                raise TsvTypeError(
                    f"time {t!r} is not a number, but the time column {self.time_name!r} "
                    f"holds numbers in {self.unit!r}: pass a number"
                )
            if self.integer:
                return self._own_int(t)
            try:
                return float(t)
            except (TypeError, ValueError) as err:
                raise TsvTypeError(
                    f"time {t!r} is not a number, but the time column {self.time_name!r} "
                    f"holds numbers in {self.unit!r}: pass a number"
                ) from err
        return _to_timestamp(t, self.tz, self.time_name)

    def _own_int(self, t: Any) -> int:
        need = (
            f"the time column {self.time_name!r} holds integers in {self.unit!r}: "
            f"pass a whole number of {self.unit}"
        )
        if isinstance(t, (bool, np.bool_)):
            raise TsvTypeError(f"time {t!r} is a bool, but {need}")
        if isinstance(t, numbers.Integral):
            return int(t)
        if isinstance(t, (float, np.floating)):
            if np.isfinite(t) and t == np.floor(t):
                return int(t)  # exact: an integral float converts without rounding
            raise DataError(f"time {t!r} is not a whole number, but {need}")
        raise TsvTypeError(f"time {t!r} of type {type(t).__name__} is not a number, but {need}")

    def to_rel(self, t: Any) -> float:
        """Convert a time in the column's own terms to seconds since t0 (float)."""
        v = self.own(t)
        if self.integer:
            # The difference in exact integer arithmetic first, as rel_at does for samples.
            return float(v - self.t0) * self.unit_seconds
        if self.kind == "numeric":
            return (v - float(self.t0)) * self.unit_seconds
        return float((v - self.t0) / pd.Timedelta(seconds=1))

    def from_rel(self, rel: float) -> Any:
        """Convert seconds since t0 to the column's own terms (float, int or Timestamp).

        Integer time gives the nearest whole unit: ``from_rel(to_rel(t)) == t``
        for every ``t`` less than ``2**51`` units after t0 (26 days of
        nanoseconds); further away, float64 seconds cannot tell neighbouring
        units apart.
        """
        if self.integer:
            r = float(rel)
            if not math.isfinite(r):
                raise DataError(
                    f"relative time {rel!r} is not finite; the time column "
                    f"{self.time_name!r} holds integers in {self.unit!r}"
                )
            return self.t0 + round(r / self.unit_seconds)
        if self.kind == "numeric":
            return float(self.t0) + float(rel) / self.unit_seconds
        # The nearest nanosecond (Timedelta(seconds=x) truncates: 1 ns early, often).
        return self.t0 + pd.Timedelta(round(float(rel) * 1e9), unit="ns")

    def rel_at(self, idx: Any) -> Any:
        """Seconds since the first sample at row index (or index array, or slice) ``idx``."""
        v = self.keys_at(idx)
        d = v - self.keys_at(0)
        if isinstance(d, np.ndarray):
            return d.astype(np.float64) * self.key_scale
        return float(d) * self.key_scale

    def key_threshold(self, rel: Any) -> np.ndarray:
        """Key values at relative seconds ``rel`` (scalar or array), in the key's own dtype.

        A row is at or after ``rel`` exactly when ``key >= key_threshold(rel)``.
        Integer ticks round up, so the comparison stays in int64: comparing an
        int64 column with a float would make numpy convert the whole column.
        """
        d = np.asarray(rel, dtype=np.float64) / self.key_scale
        k0, dtype = self.keys_at(0), self.key_dtype
        if dtype.kind in "iu":
            return k0 + np.ceil(d - _tick_slack(d)).astype(dtype)
        return (k0 + d).astype(dtype)

    def indices_at_rel(self, rel: Any) -> np.ndarray:
        """First row at or after each relative time in ``rel`` (int64 array, via :meth:`search`)."""
        return np.asarray(self.search(self.key_threshold(rel), "left")).astype(np.int64)

    def sample_index(self, rel: float, side: Literal["left", "right"] = "left") -> int:
        """Row index where relative time ``rel`` would be inserted (via :meth:`search`).

        ``left``: the first row at or after ``rel``; ``right``: the first row after it.
        """
        if side == "left":
            return int(self.indices_at_rel(rel))
        d = float(rel) / self.key_scale
        k0, dtype = self.keys_at(0), self.key_dtype
        if dtype.kind in "iu":
            thr = k0 + np.asarray(math.floor(d + _tick_slack(d)), dtype=dtype)
        else:
            # key[0] + (key[i] - key[0]) can round an ulp below key[i]: allow a few
            # ulps so the last sample's own time still includes the last sample.
            base = float(k0) + d
            slack = (abs(float(k0)) + abs(d)) * 1e-15
            thr = np.asarray(base + slack, dtype=dtype)
        return int(self.search(thr, "right"))

    def index_of(self, t: Any, side: Literal["left", "right"] = "left") -> int:
        """Row index where time ``t`` (the column's own terms) would be inserted, exactly."""
        v = self.own(t)
        if self.integer:
            if v > _INT64_MAX:
                return self.n
            if v < _INT64_MIN:
                return 0
            return int(self.search(np.int64(v), side))
        if self.kind == "numeric":
            return int(self.search(np.float64(v), side))
        # Integer ticks: the first tick at or after t (left), the last at or before t (right).
        ns, per = int(v.value), round(self.key_scale * 1e9)
        k = -(-ns // per) if side == "left" else ns // per
        return int(self.search(np.int64(k), side))


@dataclass(frozen=True, kw_only=True)
class KeyedSeries(Series):
    """A :class:`Series` whose sample times are a stored time column (``key``).

    Time is kept as the caller stored it, without a copy where possible (a
    float64 or int64 column, or datetime64).

    Attributes:
        key: the time column, sorted, no NaN: float64 or int64 numbers in ``unit``
            (numeric), or int64 ticks (datetime), one per sample.
    """

    key: np.ndarray

    @property
    def n(self) -> int:
        """Number of samples (rows)."""
        return int(self.key.shape[0])

    @property
    def key_dtype(self) -> np.dtype:
        """The time column's dtype (float64 or int64)."""
        return self.key.dtype

    def keys_at(self, idx: Any) -> Any:
        """``key[idx]``."""
        return self.key[idx]

    def search(self, keys: Any, side: Literal["left", "right"]) -> Any:
        """``np.searchsorted(key, keys, side)``: a binary search of the column."""
        return np.searchsorted(self.key, keys, side=side)


def _tick_slack(d: Any) -> Any:
    """How far a tick count computed from float seconds may be off a whole tick.

    Seconds since t0 are float64, so a time that was a whole number of ticks
    comes back within a few ulps of it: treat that as the tick itself (so the
    last sample's own time still finds the last sample), never as the next one.
    The slack grows with the distance from t0: it stays under half a tick (so
    lookups by relative seconds find integer samples exactly) up to about
    ``2**48`` ticks, 3 days of nanoseconds; :meth:`Series.index_of` is exact
    at any distance.
    """
    return 1e-6 + np.abs(d) * 1e-15


def _to_timestamp(t: Any, tz: str | None, name: str) -> pd.Timestamp:
    """``t`` as a Timestamp in zone ``tz`` (naive when None), or the reason it is not one."""
    if isinstance(t, (int, float, np.number)) and not isinstance(t, bool):
        raise TsvTypeError(
            f"time {t!r} is a number, but the time column {name!r} holds datetimes: "
            "pass a pandas Timestamp, a datetime or an ISO string"
        )
    try:
        ts = pd.Timestamp(t)
    except (ValueError, TypeError) as err:
        raise DataError(
            f"time {t!r} is not a datetime, and the time column {name!r} holds datetimes: "
            "pass a pandas Timestamp, a datetime or an ISO string"
        ) from err
    if tz is None:
        if ts.tzinfo is not None:
            raise TsvTypeError(f"time {t!r} has a time zone, but the time column {name!r} is naive")
        return ts
    if ts.tzinfo is None:
        return ts.tz_localize(tz)
    return ts.tz_convert(tz)
