"""Fitting a track's alignment to its sync points: offset, offset + rate, or piecewise.

The mapping fitted is the widget's: ``media = offset + rate * rel`` (``rel`` =
data seconds since the first sample), or straight lines through knots. Models:

* ``"offset"``: the track's rate is kept (its explicit rate, or 1.0 for a
  proportional or piecewise mapping) and the offset is the mean of
  ``media - rate * rel``; one point is enough.
* ``"linear"``: least-squares offset and rate; two or more points, spread far
  enough in time that one ``tolerance`` of error in a point moves the rate by
  less than :data:`MAX_RATE_ERROR`.
* ``"piecewise"``: straight lines between consecutive points (a recording
  paused or re-synced mid-way); three or more points, increasing in both
  data and media time. Its ``offset`` and ``rate`` summarise it with the
  least-squares line.
* ``"auto"``: the simplest of those whose residuals are all within
  ``tolerance`` (one video frame, 40 ms at 25 fps, by default).

A fit that the points do not determine is refused with the reason: no points,
points too close in time for a rate, media time going back, or one point that
the others contradict (named, so the user can fix or delete it).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import AlignmentError

MODELS = ("auto", "offset", "linear", "piecewise")
"""Values of ``model`` (tuple of str)."""

DEFAULT_TOLERANCE_MS = 40.0
"""Residual within which a model fits: one frame at 25 fps (float, milliseconds)."""

MAX_RATE_ERROR = 0.005
"""Largest change of the rate (0.5%) that one tolerance of error in a point may cause for a
linear fit to be determined (float)."""

RESIDUAL_COLUMNS = ("id", "data_time", "media_time", "fitted_media_time", "residual_ms")
"""Columns of :attr:`AlignmentFit.residuals_ms` (tuple of str)."""


@dataclass(frozen=True)
class Point:
    """One sync point as the fit sees it: ``rel`` data seconds, ``media`` seconds."""

    id: str
    data_time: Any
    rel: float
    media: float


@dataclass(frozen=True)
class AlignmentFit:
    """A fitted alignment of one track (``w.fit_alignment``); :meth:`apply` makes it current.

    Attributes:
        track: the track's name (str).
        model: "offset", "linear" or "piecewise" (str): the model fitted ("auto" resolved).
        offset: media seconds at the first sample (float).
        rate: media seconds per data second (float; 1.0001 is a media clock 100 ppm fast).
        knots: the piecewise mapping's ``((data_seconds, media_seconds), ...)``, data
            seconds since the first sample, or None for the other models.
        residuals_ms: one row per sync point, by data time: ``id``, ``data_time`` (the time
            column's own terms), ``media_time`` and ``fitted_media_time`` (seconds),
            ``residual_ms`` (media time minus fitted, milliseconds) (DataFrame).
        rms_ms: root mean square of the residuals (float, milliseconds).
        max_ms: largest absolute residual (float, milliseconds).
        tolerance_ms: the residual within which "auto" accepted a model (float, ms).
    """

    track: str
    model: str
    offset: float
    rate: float
    knots: tuple[tuple[float, float], ...] | None
    residuals_ms: pd.DataFrame = field(repr=False)
    rms_ms: float
    max_ms: float
    tolerance_ms: float = DEFAULT_TOLERANCE_MS
    _apply: Callable[[AlignmentFit], None] | None = field(default=None, repr=False, compare=False)

    def apply(self) -> None:
        """Set the track's offset, rate (and knots) to this fit; undoable
        (``w.undo_alignment`` or "undo alignment" in the browser)."""
        if self._apply is None:
            raise AlignmentError("this fit is not attached to a widget; use w.apply_alignment")
        self._apply(self)

    def to_json(self) -> dict[str, Any]:
        """The fit as the browser's alignment panel gets it (residuals by point id)."""
        return {
            "track": self.track,
            "model": self.model,
            "offset": self.offset,
            "rate": self.rate,
            "knots": None if self.knots is None else [list(k) for k in self.knots],
            "rms_ms": self.rms_ms,
            "max_ms": self.max_ms,
            "residuals": [
                {"id": r.id, "media_time": r.media_time, "residual_ms": r.residual_ms}
                for r in self.residuals_ms.itertuples(index=False)
            ],
        }


def _line(points: Sequence[Point]) -> tuple[float, float]:
    """Least-squares (offset, rate) of media on rel."""
    x = np.array([p.rel for p in points])
    y = np.array([p.media for p in points])
    xm, ym = x.mean(), y.mean()
    rate = float(((x - xm) * (y - ym)).sum() / ((x - xm) ** 2).sum())
    return float(ym - rate * xm), rate


def _offset_only(points: Sequence[Point], rate: float) -> tuple[float, float]:
    return float(np.mean([p.media - rate * p.rel for p in points])), rate


def _residuals(points: Sequence[Point], offset: float, rate: float) -> np.ndarray:
    return np.array([p.media - (offset + rate * p.rel) for p in points])


def _check_spread(points: Sequence[Point], tol: float, track: str) -> None:
    """Refuse a rate the points cannot determine (too close in data time)."""
    lo = min(points, key=lambda p: p.rel)
    hi = max(points, key=lambda p: p.rel)
    spread = hi.rel - lo.rel
    if spread <= 0 or tol / spread > MAX_RATE_ERROR:
        need = tol / MAX_RATE_ERROR
        raise AlignmentError(
            f"track {track!r}: sync points {lo.id} and {hi.id} are only {spread:.3f} s apart "
            f"in data time; one frame ({tol * 1e3:.0f} ms) of error in either would change the "
            f"rate by {tol / max(spread, 1e-12):.1%}. Add a sync point at least {need:.0f} s "
            "from them (minutes apart pin the rate to ppm), or fit model='offset'"
        )


def _fit_line(
    model: str, points: Sequence[Point], rate: float, tol: float, track: str
) -> tuple[float, float]:
    if model == "offset":
        return _offset_only(points, rate)
    _check_spread(points, tol, track)
    return _line(points)


def _outlier(
    model: str, points: Sequence[Point], rate: float, tol: float, track: str
) -> Point | None:
    """The one point whose removal makes the others fit within ``tol``, if exactly one does."""
    need = 3 if model == "offset" else 4  # the others must over-determine the model
    if len(points) < need:
        return None
    found = []
    for i, p in enumerate(points):
        rest = [q for j, q in enumerate(points) if j != i]
        try:
            off, r = _fit_line(model, rest, rate, tol, track)
        except AlignmentError:
            continue
        if np.abs(_residuals(rest, off, r)).max() <= tol and abs(p.media - off - r * p.rel) > tol:
            found.append(p)
    return found[0] if len(found) == 1 else None


def _refuse_outlier(p: Point, model: str, tol: float, track: str) -> None:
    raise AlignmentError(
        f"track {track!r}: sync point {p.id} (data {p.data_time!r}, media {p.media:.3f} s) "
        f"disagrees with the others by more than {tol * 1e3:.0f} ms while they fit a "
        f"{model} model together: fix or delete it (w.sync_points), or, if the recording was "
        "paused or re-synced there, fit model='piecewise'"
    )


def _check_piecewise(points: Sequence[Point], track: str) -> None:
    if len(points) < 3:
        raise AlignmentError(
            f"track {track!r}: a piecewise fit needs 3 or more sync points, it has "
            f"{len(points)}; use model='linear' (2) or 'offset' (1)"
        )
    for a, b in itertools.pairwise(points):
        if b.rel <= a.rel:
            raise AlignmentError(
                f"track {track!r}: sync points {a.id} and {b.id} are at the same data time "
                f"{a.data_time!r}; a piecewise mapping needs distinct times: delete one"
            )
        if b.media <= a.media:
            raise AlignmentError(
                f"track {track!r}: media time goes back from sync point {a.id} "
                f"({a.media:.3f} s) to {b.id} ({b.media:.3f} s) although data time goes "
                "forward; one of them is on the wrong frame"
            )


def fit(
    track: str,
    points: Sequence[Point],
    model: str = "auto",
    *,
    rate: float = 1.0,
    tolerance_ms: float = DEFAULT_TOLERANCE_MS,
) -> tuple[str, float, float, tuple[tuple[float, float], ...] | None, np.ndarray]:
    """Fit ``model`` to ``points``; returns (model, offset, rate, knots, residuals in s).

    ``rate`` (float > 0) is the rate the "offset" model keeps. Raises
    :class:`AlignmentError` for an unknown model or an undetermined fit.
    """
    if model not in MODELS:
        raise AlignmentError(f"model must be one of {list(MODELS)}, got {model!r}")
    if not points:
        raise AlignmentError(
            f"track {track!r} has no sync points: add one with w.add_sync_point(data_time, "
            f"media_time, track={track!r}), or Alt+click the event in the detail chart"
        )
    pts = sorted(points, key=lambda p: (p.rel, p.media))
    tol = float(tolerance_ms) / 1e3
    if model == "piecewise":
        _check_piecewise(pts, track)
        off, r = _line(pts)
        knots = tuple((p.rel, p.media) for p in pts)
        return model, off, r, knots, np.zeros(len(pts))
    if model in ("offset", "linear"):
        if model == "linear" and len(pts) < 2:
            raise AlignmentError(
                f"track {track!r}: a rate needs two sync points, it has one ({pts[0].id}); "
                "add another far from it in time, or fit model='offset'"
            )
        off, r = _fit_line(model, pts, rate, tol, track)
        res = _residuals(pts, off, r)
        bad = _outlier(model, pts, rate, tol, track) if np.abs(res).max() > tol else None
        if bad is not None:
            _refuse_outlier(bad, model, tol, track)
        return model, off, r, None, res
    # auto: the simplest model that fits within one tolerance.
    off, r = _offset_only(pts, rate)
    res = _residuals(pts, off, r)
    if np.abs(res).max() <= tol:
        return "offset", off, r, None, res
    if len(pts) >= 2:
        off, r = _fit_line("linear", pts, rate, tol, track)
        res = _residuals(pts, off, r)
        if np.abs(res).max() <= tol:
            return "linear", off, r, None, res
        bad = _outlier("linear", pts, rate, tol, track) or _outlier("offset", pts, rate, tol, track)
        if bad is not None:
            _refuse_outlier(bad, "linear", tol, track)
    if len(pts) >= 3:
        return fit(track, pts, "piecewise", rate=rate, tolerance_ms=tolerance_ms)
    raise AlignmentError(
        f"track {track!r}: no model fits its {len(pts)} sync points within "
        f"{tol * 1e3:.0f} ms; add a third to fit model='piecewise', or check the points"
    )


def residual_frame(points: Sequence[Point], fitted: np.ndarray) -> pd.DataFrame:
    """:attr:`AlignmentFit.residuals_ms` for ``points`` (sorted by data time) and their
    residuals in seconds."""
    pts = sorted(points, key=lambda p: (p.rel, p.media))
    media = np.array([p.media for p in pts], dtype=float)
    return pd.DataFrame(
        {
            "id": [p.id for p in pts],
            "data_time": [p.data_time for p in pts],
            "media_time": media,
            "fitted_media_time": media - fitted,
            "residual_ms": fitted * 1e3,
        },
        columns=list(RESIDUAL_COLUMNS),
    )
