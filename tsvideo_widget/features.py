"""Features on regular time grids that a media file and a data channel share, for alignment.

An alignment is suggested (:mod:`tsvideo_widget.suggest`) by cross-correlating a
feature of the media (:mod:`tsvideo_widget.mediafeatures`) with a feature of a data
channel (:func:`channel_activity`, here). Both are a :class:`Feature`: one number per
time bin, large where something happens:

* **audio onsets**: the signal is high-passed (first difference), its energy summed per
  bin, log-compressed against the noise floor (``log(energy + median energy)``), and the
  positive part of the first difference of that taken (:func:`onset_strength`). A knock,
  a step or a clap is a sharp peak; a steady hum or noise floor is near zero, whatever
  its level. The same recipe runs on the media's decoded sound and on a vibration or
  contact-microphone channel, so the two are comparable.
* **motion**: the mean absolute difference between consecutive video frames against the
  magnitude of the time derivative of the data channel averaged per frame (an
  accelerometer's jerk, a position's speed): both are large while something moves.

Data times are seconds relative to the data's first sample (``rel_times``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import TsvError

__all__ = ["GAP_FACTOR", "Feature", "channel_activity", "onset_strength"]

GAP_FACTOR = 5.0
"""A step between two data samples longer than this many times the median step is a gap.

No difference or derivative is taken across a gap (or across a NaN), so a logger's
pause does not show as an event."""

_CHUNK = 1 << 20  # data samples handled at a time by channel_activity
_UNSORTED = "rel_times must be sorted (non-decreasing) to compute a channel's feature"


@dataclass(frozen=True)
class Feature:
    """A feature on a regular time grid.

    Attributes:
        t0: time of ``values[0]`` in seconds: media seconds for a media feature,
            seconds since the data's first sample for a data feature.
        dt: seconds between values (float > 0).
        values: the feature (1-D float64 array, finite, >= 0 for the features made here).
        kind: "audio" (onset strength) or "motion" (frame difference or derivative magnitude).
    """

    t0: float
    dt: float
    values: np.ndarray
    kind: str

    def __post_init__(self) -> None:
        values = np.ascontiguousarray(self.values, dtype=np.float64)
        if values.ndim != 1:
            raise TsvError(f"a feature's values must be 1-D, got shape {values.shape}")
        if not (np.isfinite(self.dt) and self.dt > 0):
            raise TsvError(f"a feature's dt must be a positive number of seconds, got {self.dt}")
        if not np.isfinite(self.t0):
            raise TsvError(f"a feature's t0 must be a finite time in seconds, got {self.t0}")
        object.__setattr__(self, "t0", float(self.t0))
        object.__setattr__(self, "dt", float(self.dt))
        object.__setattr__(self, "values", values)

    def times(self) -> np.ndarray:
        """The time of each value, ``t0 + dt * arange(len(values))`` (seconds, float64)."""
        return self.t0 + self.dt * np.arange(len(self.values), dtype=np.float64)

    @property
    def duration(self) -> float:
        """Seconds from the first value to the last (0.0 for fewer than two values)."""
        return max(0, len(self.values) - 1) * self.dt


def onset_strength(energy: np.ndarray) -> np.ndarray:
    """Onset strength of an energy envelope: rectified first difference of its log.

    The log is taken of ``energy + floor``, the floor being the median energy, so the
    noise floor's own fluctuations stay small and an event's rise counts by its ratio
    to the floor, not by its loudness. One value fewer than ``energy``, which is
    overwritten (it is the callers' own scratch array).
    """
    if len(energy) < 2:
        return np.zeros(0)
    floor = float(np.median(energy))
    if not floor > 0:
        floor = float(np.mean(energy)) * 1e-3
    energy += max(floor, 1e-30)
    np.log(energy, out=energy)
    out = np.diff(energy)
    np.maximum(out, 0.0, out=out)
    return out


def channel_activity(rel_times: np.ndarray, values: np.ndarray, *, kind: str, hz: float) -> Feature:
    """A data channel's feature on a regular grid of ``hz`` bins per second.

    Only samples whose time and value are both finite are used, so samples may be
    irregular and NaN leaves a hole, never a spike. Bins start at the first finite
    sample, ``t_first``; a bin without samples takes the value interpolated from its
    neighbours.

    * ``"audio"``: differences between consecutive usable samples no more than
      :data:`GAP_FACTOR` median steps apart (none across a gap or a NaN), their energy
      (mean square) per bin, then its onset strength as for
      :func:`~tsvideo_widget.mediafeatures.audio_onsets`.
      Value ``k`` is at ``t_first + (k + 1) / hz``.
    * ``"motion"``: the magnitude of the derivative of the channel averaged per bin,
      ``|mean[k + 1] - mean[k]| * hz``, at ``t_first + (k + 1) / hz``. Averaging first
      keeps a noisy sensor's derivative from drowning its slow changes (on an
      accelerometer at 100 Hz against 25 fps motion, the true peak stood 30% higher
      above the unrelated ones than with the mean of the sample-to-sample derivative).

    Args:
        rel_times: sample times in seconds since the data's first sample (1-D, sorted;
            NaN allowed).
        values: the channel's samples (1-D, same length; NaN allowed).
        kind: "audio" or "motion".
        hz: bins per second (float > 0): 1000 for "audio", the video's frame rate for "motion".

    Returns:
        A :class:`Feature` of that kind (empty when fewer than two usable samples).

    Raises:
        TsvError: unknown ``kind``, ``hz`` not positive, arrays of other shapes or
            unsorted times.
    """
    if kind not in ("audio", "motion"):
        raise TsvError(f"kind must be 'audio' or 'motion', got {kind!r}")
    hz = float(hz)
    if not (np.isfinite(hz) and hz > 0):
        raise TsvError(f"hz must be a positive number of bins per second, got {hz}")
    t = np.asarray(rel_times, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if t.ndim != 1 or v.shape != t.shape:
        raise TsvError(
            f"rel_times and values must be 1-D arrays of one length, got shapes {t.shape} "
            f"and {v.shape}"
        )
    good = np.isfinite(t) & np.isfinite(v)
    if np.count_nonzero(good) < 2:
        return Feature(0.0, 1.0 / hz, np.zeros(0), kind)
    start = float(t[int(np.argmax(good))])
    stop = float(t[len(good) - 1 - int(np.argmax(good[::-1]))])
    if stop < start:
        raise TsvError(_UNSORTED)
    bins = int(np.floor((stop - start) * hz)) + 1
    bin_of = _Bins(start, hz, bins)
    gap = GAP_FACTOR * _median_step(t, good) if kind == "audio" else 0.0
    for lo in range(0, len(t), _CHUNK):
        hi = min(len(t), lo + _CHUNK)
        # One sample more: the sort check and the differences span the chunks' seams.
        tc, vc, gc = t[lo : hi + 1], v[lo : hi + 1], good[lo : hi + 1]
        if np.any(np.diff(tc[gc]) < 0):
            raise TsvError(_UNSORTED)
        if kind == "motion":
            own = gc[: hi - lo]
            bin_of.add(tc[: hi - lo][own], vc[: hi - lo][own])
            continue
        step = np.diff(tc)
        k = np.flatnonzero(gc[1:] & gc[:-1] & (step > 0) & (step <= gap))  # samples k, k + 1
        dv = vc[k + 1] - vc[k]
        bin_of.add(tc[k] + 0.5 * step[k], dv * dv)
    binned = bin_of.means()
    if kind == "motion":
        return Feature(start + 1.0 / hz, 1.0 / hz, np.abs(np.diff(binned)) * hz, "motion")
    return Feature(start + 1.0 / hz, 1.0 / hz, onset_strength(binned), "audio")


def _median_step(t: np.ndarray, good: np.ndarray) -> float:
    """The median positive step between consecutive usable samples (the median of each chunk's)."""
    medians = []
    for lo in range(0, len(t), _CHUNK):
        tc, gc = t[lo : lo + _CHUNK + 1], good[lo : lo + _CHUNK + 1]
        step = np.diff(tc)[gc[1:] & gc[:-1]]
        step = step[step > 0]
        if len(step):
            medians.append(float(np.median(step)))
    return float(np.median(medians)) if medians else 0.0


class _Bins:
    """Running sums and counts per bin ``[start + k / hz, start + (k + 1) / hz)``."""

    def __init__(self, start: float, hz: float, bins: int) -> None:
        self.start, self.hz, self.bins = start, hz, bins
        self.total = np.zeros(bins)
        self.count = np.zeros(bins)

    def add(self, t: np.ndarray, x: np.ndarray) -> None:
        """Add values ``x`` at sorted times ``t`` (>= start) to their bins."""
        if not len(t):
            return
        idx = ((t - self.start) * self.hz).astype(np.int64)  # t >= start: truncation is floor
        np.clip(idx, 0, self.bins - 1, out=idx)
        lo, hi = int(idx[0]), int(idx[-1]) + 1
        idx -= lo
        self.count[lo:hi] += np.bincount(idx, minlength=hi - lo)
        self.total[lo:hi] += np.bincount(idx, weights=x, minlength=hi - lo)

    def means(self) -> np.ndarray:
        """The mean per bin, an empty bin interpolated from its neighbours (uses up the sums)."""
        total, count = self.total, self.count
        del self.total, self.count
        filled = count > 0
        np.divide(total, count, out=total, where=filled)
        empty = np.flatnonzero(~filled)
        if len(empty):
            centre = np.flatnonzero(filled)
            total[empty] = np.interp(empty, centre, total[centre])
        return total
