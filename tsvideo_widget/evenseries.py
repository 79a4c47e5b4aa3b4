"""Evenly sampled series: sample ``i`` is at ``start + i / sample_rate``, and no time array exists.

:func:`even_series` checks ``sample_rate`` and ``start`` and returns an
:class:`EvenSeries`, a :class:`~tsvideo_widget.series.Series` whose keys are
computed, never stored: a 20 GB memory-mapped recording needs no 20 GB (or
even 8 bytes per sample) time column beside it. Its keys are those a time
column of the same times would hold, so every conversion, search and
decimation gives the same results, to the bit, as the same data with that
column:

- float time (``start`` a float, default 0.0): ``start + i * q`` in
  ``time_unit``, where ``q`` (units per sample) is exact when it can be: the
  offset ``i * q`` is computed as ``i * q`` when ``q`` is a float exactly
  (``q`` = 4000.0 for 250 Hz in microseconds) or ``i / (1 / q)`` when its
  inverse is (``i / 1000.0`` for 1 kHz in seconds: correctly rounded, as
  ``np.arange(n) / 1000.0`` is);
- integer time (``start`` an int): ``start + i * q`` with ``q`` a whole
  number of units, exactly, or refused;
- datetimes (``start`` a Timestamp, datetime or ISO string): ``start + i * q``
  nanoseconds with ``q`` a whole number of nanoseconds, or refused.

A search for a time is the inverse arithmetic (exact for integer keys; for
float keys an estimate put right against the keys themselves), so lookups cost
O(1) per time instead of a binary search of a column.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import DataError, TsvTypeError
from .series import _INT64_MAX, _INT64_MIN, EXACT_UNITS, TIME_UNITS, Series, TimeKind

__all__ = ["EVEN_TIME_NAME", "EvenSeries", "check_sample_rate", "even_series"]

EVEN_TIME_NAME = "time"
"""The name an evenly sampled series' time goes by in messages and label files (str)."""


_WHOLE_SLACK = 2.0**-48
"""Relative distance from a whole number of units that still counts as whole: a period
computed from a float rate (``1 / 3e-9`` Hz for 3 ns) is off by a few ulps of the rate."""

_FIXUPS = 3
"""Passes of +-1 that put a float estimate right before falling back to bisection."""


@dataclass(frozen=True, kw_only=True)
class EvenSeries(Series):
    """A :class:`~tsvideo_widget.series.Series` sampled at a constant rate, with keys computed.

    Key ``i`` is ``k0 + i * step`` (int64, exact) for integer time and
    datetimes, and ``k0 + i * step`` or ``k0 + i / per`` (float64) for float
    time, where ``k0`` is the first key (``t0``, or its nanoseconds since the
    epoch for datetimes).

    Attributes:
        samples: number of samples (int, >= 1).
        sample_rate: samples per second (float Hz, > 0), as given.
        step: units (or nanoseconds) per sample: an int for integer time and
            datetimes, a float for float time.
        per: samples per unit (float) when float time divides by it (its
            offsets are then correctly rounded), else None (it multiplies by ``step``).
    """

    samples: int
    sample_rate: float
    step: int | float
    per: float | None = None

    @property
    def n(self) -> int:
        """Number of samples (int)."""
        return self.samples

    @property
    def key_dtype(self) -> np.dtype:
        """int64 for integer time and datetimes, float64 for float time."""
        return np.dtype(np.float64 if isinstance(self.step, float) else np.int64)

    @property
    def k0(self) -> int | float:
        """The first key: ``t0``, or its nanoseconds since the epoch (UTC) for datetimes."""
        return int(self.t0.value) if self.kind == "datetime" else self.t0

    def keys_at(self, idx: Any) -> Any:
        """Keys at row index ``idx`` (int, slice or index array), computed, like ``key[idx]``."""
        i = self._rows(idx)
        if isinstance(self.step, float):
            off = i / self.per if self.per is not None else i * self.step
            return np.float64(self.k0) + np.float64(off) if np.ndim(off) == 0 else self.k0 + off
        return np.int64(self.k0) + np.asarray(i, dtype=np.int64) * np.int64(self.step)

    def _rows(self, idx: Any) -> Any:
        n = self.samples
        if isinstance(idx, slice):
            r = range(n)[idx]
            return np.arange(r.start, r.stop, r.step, dtype=np.int64)
        if isinstance(idx, (numbers.Integral, np.integer)) and not isinstance(idx, bool):
            i = int(idx) + n if idx < 0 else int(idx)
            if not 0 <= i < n:
                raise IndexError(f"row {idx} is out of range for {n} samples")
            return i
        a = np.asarray(idx, dtype=np.int64)
        a = np.where(a < 0, a + n, a)
        if a.size and (a.min() < 0 or a.max() >= n):
            raise IndexError(f"rows {idx!r:.60} are out of range for {n} samples")
        return a

    def search(self, keys: Any, side: Literal["left", "right"]) -> Any:
        """Rows where ``keys`` would be inserted, as ``np.searchsorted`` on the keys would say.

        Integer keys: the exact quotient. Float keys: the quotient as an
        estimate, checked against the keys on both sides and moved, so float
        rounding (or many equal keys, far from zero) never gives a wrong row.
        """
        t = np.asarray(keys)
        n = self.samples
        if not isinstance(self.step, float):
            step = int(self.step)
            k0 = int(self.k0)
            lo = np.int64(max(k0 - 1, _INT64_MIN))
            hi = np.int64(min(k0 + (n - 1) * step + 1, _INT64_MAX))
            d = np.clip(t.astype(np.int64), lo, hi) - np.int64(k0)
            q = -((-d) // step) if side == "left" else d // step + 1
            return np.clip(q, 0, n)
        tf = t.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            f = (tf - float(self.k0)) / float(self.step)
            est = np.ceil(f) if side == "left" else np.floor(f) + 1
        est = np.where(np.isnan(est), n, np.clip(np.nan_to_num(est, posinf=n, neginf=0), 0, n))
        return self._settle(np.asarray(est, dtype=np.int64), tf, side)

    def _past(self, rows: Any, t: Any, side: str) -> Any:
        """Whether each row's key is at or past ``t`` (left) or after it (right)."""
        k = self.keys_at(np.clip(rows, 0, self.samples - 1))
        return k >= t if side == "left" else k > t

    def _settle(self, i: Any, t: Any, side: str) -> Any:
        """The first row whose key is past ``t``, starting from the estimate ``i``."""
        n = self.samples
        scalar = i.ndim == 0
        i, t = np.atleast_1d(i).copy(), np.atleast_1d(t)
        for _ in range(_FIXUPS):
            down = (i > 0) & self._past(i - 1, t, side)
            up = (i < n) & ~self._past(i, t, side)
            if not (down.any() or up.any()):
                return i[0] if scalar else i
            i = i - down + up
        lo, hi = np.zeros_like(i), np.full_like(i, n)
        while (active := lo < hi).any():
            mid = (lo + hi) // 2
            past = self._past(mid, t, side)
            hi = np.where(active & past, mid, hi)
            lo = np.where(active & ~past, mid + 1, lo)
        return lo[0] if scalar else lo


def check_sample_rate(value: Any) -> float | None:
    """``sample_rate`` as a float (Hz, finite, > 0), or None; a TraitError naming it otherwise."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TsvTypeError(
            f"sample_rate must be a number of samples per second (Hz), or None for a time "
            f"column, got {value!r:.60} ({type(value).__name__})"
        )
    rate = float(value)
    if not math.isfinite(rate) or rate <= 0:
        raise DataError(
            f"sample_rate must be a finite number of samples per second greater than 0, got "
            f"{value!r}"
        )
    return rate


def _start_timestamp(start: Any) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(start)
    except (ValueError, TypeError, OverflowError) as err:
        raise DataError(
            f"start {start!r:.60} is not a time: pass a number in time_unit (float, or an int "
            "for integer time), or a datetime (a pandas Timestamp, a datetime or an ISO 8601 "
            f"string such as '2024-03-01T12:00:00+00:00') ({err})"
        ) from err
    if ts is pd.NaT:
        raise DataError("start is NaT (a missing time): pass the first sample's time")
    try:
        return ts.as_unit("ns")
    except (ValueError, OverflowError) as err:
        raise DataError(
            f"start {start!r:.60} is outside the nanosecond datetimes (years 1677 to 2262)"
        ) from err


def _whole(q: Fraction) -> int | None:
    """``q`` as an int when it is a whole number to within a float rate's rounding, else None."""
    r = round(q)
    return r if r >= 1 and abs(q - r) <= q * Fraction(_WHOLE_SLACK) else None


def _float_step(q: Fraction) -> tuple[float, float | None]:
    """(step, per) for float time: multiply by ``step``, or divide by ``per`` when that is exact."""
    step = float(q)
    if Fraction(step) == q:
        return step, None
    per = float(1 / q)
    return step, (per if Fraction(per) == 1 / q else None)


def even_series(
    n: int,
    channels: list[str],
    values: list[np.ndarray],
    index: pd.Index,
    sample_rate: Any,
    start: Any = None,
    time_unit: str = "s",
) -> EvenSeries:
    """An :class:`EvenSeries` of ``n`` samples at ``sample_rate`` Hz from ``start``.

    Args:
        n: number of samples (int, >= 1).
        channels: channel names; ``values`` their arrays, used as given (no copy).
        index: the rows' labels (``pd.RangeIndex(n)`` for a dict of arrays).
        sample_rate: samples per second (float Hz, finite, > 0).
        start: the first sample's time: None (0.0 in ``time_unit``), a float in
            ``time_unit`` (float time), an int in ``time_unit`` (integer time:
            the period must be a whole number of units), or a datetime (a
            pandas Timestamp, datetime, numpy datetime64 or ISO 8601 string:
            the period must be a whole number of nanoseconds).
        time_unit: unit of numeric time ("s", "ms", "us", "ns", "min", "h").

    Raises:
        DataError: a rate that is not finite and > 0; a period that is not a
            whole number of units (integer time) or nanoseconds (datetimes);
            times beyond int64; ``start`` NaN or not a time.
        TsvTypeError: ``sample_rate`` or ``start`` of the wrong type.
    """
    rate = check_sample_rate(sample_rate)
    assert rate is not None
    per_second = Fraction(rate)
    kind: TimeKind = "numeric"
    tz: str | None = None
    key_scale = TIME_UNITS[time_unit]
    unit = time_unit
    step: int | float
    per: float | None = None
    if start is None:
        start = 0.0
    if isinstance(start, (bool, np.bool_)):
        raise TsvTypeError(f"start must be a time, got the bool {start!r}")
    if isinstance(start, numbers.Integral):
        t0: Any = int(start)
        q = 1 / (per_second * EXACT_UNITS[time_unit])
        whole = _whole(q)
        if whole is None:
            raise DataError(
                f"sample_rate={rate!r} Hz is {float(q):.10g} {time_unit} per sample, not a whole "
                f"number of {time_unit}, and start={start!r} (an int) makes the time integers: "
                f"pass start as a float (start={float(start)!r}) for float time, or a finer "
                "time_unit in which the period is whole"
            )
        step = whole
        _check_int64(t0, t0 + (n - 1) * step, f"start={start!r} {time_unit}")
    elif isinstance(start, numbers.Real) and not isinstance(start, (_dt.datetime, np.datetime64)):
        t0 = float(start)
        if not math.isfinite(t0):
            raise DataError(f"start must be a finite number of {time_unit}, got {start!r}")
        step, per = _float_step(1 / (per_second * EXACT_UNITS[time_unit]))
        if not math.isfinite(t0 + (n - 1) * step):
            raise DataError(
                f"sample_rate={rate!r} Hz from start={start!r} puts the last of {n} samples "
                f"beyond the largest float in {time_unit}: use a higher rate or a coarser unit"
            )
    elif isinstance(start, (str, _dt.date, np.datetime64)):
        t0 = _start_timestamp(start)
        kind, unit, key_scale = "datetime", "s", 1e-9
        tz = str(t0.tz) if t0.tz is not None else None
        q = Fraction(10**9) / per_second
        whole = _whole(q)
        if whole is None:
            raise DataError(
                f"sample_rate={rate!r} Hz is {float(q):.10g} ns per sample, not a whole number of "
                "nanoseconds, and datetime time is kept to the nanosecond: use a rate whose "
                "period is whole nanoseconds (such as 250.0 or 1000.0 Hz), pass a numeric "
                "start (start=0.0 for float seconds), or give the times as a column"
            )
        step = whole
        _check_int64(int(t0.value), int(t0.value) + (n - 1) * step, f"start={start!r:.40}")
    else:
        raise TsvTypeError(
            f"start must be a number in time_unit or a datetime, got {start!r:.60} "
            f"({type(start).__name__})"
        )
    return EvenSeries(
        channels=channels,
        values=values,
        kind=kind,
        unit=unit,
        t0=t0,
        tz=tz,
        time_name=EVEN_TIME_NAME,
        index=index,
        key_scale=key_scale,
        samples=n,
        sample_rate=rate,
        step=step,
        per=per,
    )


def _check_int64(first: int, last: int, what: str) -> None:
    # NaT is the smallest int64: a first tick there would read back as missing. The
    # span must fit too, as a time column's must: searches subtract the first key.
    if not _INT64_MIN < first <= _INT64_MAX or last > _INT64_MAX or last - first >= _INT64_MAX:
        raise DataError(
            f"{what}: the samples would reach {last}, beyond what an int64 holds "
            f"({_INT64_MAX}); start nearer zero or use a coarser unit"
        )
