"""Suggested alignments as a DataFrame whose rows apply themselves.

:func:`run_suggest` runs :func:`tsvideo_widget.suggest.suggest_alignment`
(feature extraction and cross-correlation) with a tqdm progress bar, and
:class:`Suggestions` holds its candidates, best first, one row each:
``sug.iloc[0].apply()`` sets that row's offset and rate on its track through
the widget's ``apply_alignment`` (so it is undoable like any other alignment).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .errors import AlignmentError
from .media import MediaSource

COLUMNS = ("track", "offset", "rate", "confidence", "method", "low")
"""Columns of :class:`Suggestions` (tuple of str)."""

METHODS = ("auto", "audio", "motion")
"""Values of ``method`` (tuple of str)."""


class SuggestionRow(pd.Series):
    """One row of :class:`Suggestions`; ``row.apply()`` (no arguments) applies it.

    With a function, ``apply(func)`` is pandas' own ``Series.apply``.
    """

    _metadata: ClassVar[list[str]] = ["_widget"]
    _widget: Any

    @property
    def _constructor(self) -> type[SuggestionRow]:
        return SuggestionRow

    @property
    def _constructor_expanddim(self) -> type[Suggestions]:
        return Suggestions

    def apply(self, func: Any = None, *args: Any, **kwargs: Any) -> Any:
        """Apply this candidate's ``offset`` and ``rate`` to its ``track`` (undoable);
        with ``func``, pandas' ``Series.apply``."""
        if func is not None:
            return super().apply(func, *args, **kwargs)
        widget = getattr(self, "_widget", None)
        if widget is None or not {"track", "offset", "rate"} <= set(self.index):
            raise AlignmentError(
                "apply() without a function applies one row of w.suggest_alignment(): "
                "sug.iloc[0].apply()"
            )
        widget.apply_alignment(
            offset=float(self["offset"]), rate=float(self["rate"]), track=str(self["track"])
        )
        return None


class Suggestions(pd.DataFrame):
    """Candidate alignments of one track, best first (``w.suggest_alignment``).

    Columns: ``track`` (str), ``offset`` (media seconds at the first sample), ``rate``
    (media seconds per data second), ``confidence`` (peak-to-sidelobe ratio of the
    correlation: how far the peak stands above the rest, in standard deviations),
    ``method`` ("audio" or "motion"), ``low`` (bool: confidence below
    :data:`tsvideo_widget.suggest.LOW_CONFIDENCE`, not to be trusted).
    """

    _metadata: ClassVar[list[str]] = ["_widget"]
    _widget: Any

    @property
    def _constructor(self) -> type[Suggestions]:
        return Suggestions

    @property
    def _constructor_sliced(self) -> type[SuggestionRow]:
        return SuggestionRow

    @classmethod
    def of(cls, candidates: list[Any], track: str, widget: Any) -> Suggestions:
        """The candidates (objects with offset, rate, confidence, method) as a frame."""
        from .suggest import LOW_CONFIDENCE

        rows = sorted(candidates, key=lambda c: -c.confidence)
        out = cls(
            {
                "track": [track] * len(rows),
                "offset": np.array([c.offset for c in rows], dtype=float),
                "rate": np.array([c.rate for c in rows], dtype=float),
                "confidence": np.array([c.confidence for c in rows], dtype=float),
                "method": [c.method for c in rows],
                "low": np.array([c.confidence < LOW_CONFIDENCE for c in rows], dtype=bool),
            },
            columns=list(COLUMNS),
        )
        out._widget = widget
        return out


def _bar(enabled: bool, what: str) -> tuple[Callable[[float], None] | None, Callable[[], None]]:
    """A progress callback (fraction 0..1) drawing a tqdm bar, and its closer."""
    if not enabled:
        return None, lambda: None
    from tqdm.auto import tqdm

    bar = tqdm(total=1000, desc=what, unit="‰", leave=False)
    done = [0]

    def update(fraction: float) -> None:
        now = int(max(0.0, min(1.0, fraction)) * 1000)
        if now > done[0]:
            bar.update(now - done[0])
            done[0] = now

    return update, bar.close


def run_suggest(
    source: MediaSource,
    rel_times: np.ndarray,
    values: np.ndarray,
    method: str,
    search: tuple[float, float],
    progress: bool,
    track: str,
    callback: Callable[[float], None] | None = None,
) -> list[Any]:
    """The engine's candidates for ``source`` against one channel; checks ``method`` and
    ``search`` first. ``progress`` draws a tqdm bar; ``callback`` also hears the fraction."""
    if method not in METHODS:
        raise AlignmentError(f"method must be one of {list(METHODS)}, got {method!r}")
    try:
        lo, hi = (float(v) for v in search)
    except (TypeError, ValueError) as err:
        raise AlignmentError(f"search must be (lo, hi) in seconds, got {search!r:.60}") from err
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        raise AlignmentError(f"search must be (lo, hi) with lo < hi (seconds), got {search!r}")
    from .suggest import suggest_alignment  # numpy-only, but loaded on first use

    update, close = _bar(progress, f"suggest {track}")

    def both(fraction: float) -> None:
        if update is not None:
            update(fraction)
        if callback is not None:
            callback(fraction)

    try:
        return list(
            suggest_alignment(
                source,
                rel_times,
                values,
                method=method,
                media_kind=source.kind,
                search=(lo, hi),
                progress=both,
            )
        )
    finally:
        close()
