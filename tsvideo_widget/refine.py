"""A fast first paint for big in-memory channels: coarse pyramids now, the finest level after.

Most of a pyramid's build is its finest level, and numpy reduces blocks of 256
samples more than twice as fast as blocks of 64 (``reduceat`` pays per block:
measured 1.4 against 0.6 Gsample/s for a minimum and a maximum on one core
here). So a big in-memory series first gets pyramids whose finest blocks are
``BASE * FACTOR`` samples (:func:`coarse`), and the widget paints from them at
once. Their points are the same: a window's extremes are exact from any level,
only the raw samples read at each column edge grow from under 64 to under 256.

A :class:`Refinement` then builds, on one background thread (the other core
stays with the kernel), once :data:`REFINE_AFTER_S` have passed (the first
paint's windows come first: run beside them, the pass over every sample made the
whole-span overview of 1e8 x 8 float32 take 0.84 s instead of 0.2 s, and the
constructor 1.2 s instead of 0.4 s), the ``BASE``-sample level under every channel's pyramid
(:func:`complete`) and hands the completed list over in one assignment: a
window's :class:`~tsvideo_widget.rangeplan.RangePlan` is shared by all
channels, so they change base together. A completed pyramid is the one a
direct build gives: its level ``k + 1`` is the coarse pyramid's level ``k``
(``ceil(ceil(n / 64) / 4) == ceil(n / 256)``, and fmin/fmax of fmin/fmax is
fmin/fmax of the whole).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import numpy as np

from .pyramid import BASE, FACTOR, Pyramid, level_zero

__all__ = ["COARSE_ABOVE", "Refinement", "coarse", "complete"]

COARSE_ABOVE = 1 << 24
"""Samples in all (int) above which in-memory channels are painted from coarse
pyramids first (16.8M: from about 0.1 s of building, where the difference shows)."""

REFINE_AFTER_S = 1.0
"""Seconds (float) a :class:`Refinement` waits before it starts: the constructor's
overview and the browser's first window are served first, at full speed."""


def coarse(
    values: np.ndarray,
    pool: Executor | None = None,
    tick: Callable[[int], Any] | None = None,
) -> Pyramid:
    """The pyramid of ``values`` without its finest level: blocks of ``BASE * FACTOR`` samples."""
    return Pyramid(values, BASE * FACTOR, FACTOR, pool, tick)


def complete(p: Pyramid) -> Pyramid:
    """``p`` (from :func:`coarse`) with the ``BASE``-sample level under it.

    Equal, level for level, to ``Pyramid(p.values)``. A pyramid that is already
    complete is returned as it is; one too short for coarse levels is built anew.
    """
    if p.base != BASE * FACTOR or p.factor != FACTOR:
        return p
    if not p.levels:
        return Pyramid(p.values)
    mins, maxs, flags = level_zero(p.values, BASE)
    nans = None
    if p.nans is not None:
        first = flags if flags is not None else np.zeros(mins.shape[0], dtype=bool)
        nans = [first, *p.nans]
    return Pyramid.of_levels(p.values, [(mins, maxs), *p.levels], nans, BASE, FACTOR)


class Refinement:
    """Completes coarse pyramids on a background thread and hands them over.

    Args:
        pyramids: the channels' pyramids as painted now (from :func:`coarse`).
        hand_over: called once, from the background thread, with the completed
            list (one assignment on the caller's side, so a reader sees either
            every channel coarse or every channel complete).
    """

    def __init__(self, pyramids: list[Pyramid], hand_over: Callable[[list[Pyramid]], None]) -> None:
        self._pyramids = list(pyramids)
        self._hand_over = hand_over
        self.done = threading.Event()
        """Set once the completed pyramids are handed over, or the work failed."""
        self.error: BaseException | None = None
        """What stopped the work (a MemoryError, say), or None. The coarse pyramids
        then stay: every window is still exact, only slower to read."""
        self._go = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="tsvideo-widget pyramid refinement", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        self._go.wait(REFINE_AFTER_S)
        try:
            completed = [complete(p) for p in self._pyramids]
            self._hand_over(completed)
        except BaseException as err:  # kept for the caller to see; the coarse pyramids stay
            self.error = err
        finally:
            self._pyramids = []
            self.done.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Start the work now if it has not started (whoever waits wants it), and block
        until it is over (True) or ``timeout`` seconds pass (False)."""
        self._go.set()
        return self.done.wait(timeout)
