"""What the source tests compare: the replies a widget sends for a set of windows.

Two widgets over the same numbers (one from a file, store or table, one from arrays
in memory) must send the same bytes for every window; :func:`replies` asks both
for the same windows: the whole span, random ones, and a narrow one of a few raw
samples, at random widths in pixels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tsvideo_widget import TimeSeriesVideo


def replies(w: TimeSeriesVideo, seed: int) -> list[tuple[dict[str, Any], list[bytes]]]:
    """Headers and buffer bytes of ``w.detail`` for windows drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    span = w.series.span
    spans = [(0.0, span)] + [tuple(sorted(rng.uniform(0, span, 2))) for _ in range(6)]
    narrow = span / max(1, w.series.n) * 4  # about four samples
    spans.append((span / 3, span / 3 + narrow))
    out = []
    for lo, hi in spans:
        header, bufs = w.detail(float(lo), float(hi), int(rng.integers(50, 900)))
        out.append((header, [bytes(b) for b in bufs]))
    return out


def channels(n: int, seed: int, nan: bool = True) -> dict[str, np.ndarray]:
    """Two channels of ``n`` samples: a float32 random walk with NaN (scattered and a gap, unless
    ``nan`` is False) and int16 noise."""
    rng = np.random.default_rng(seed)
    a = np.cumsum(rng.normal(size=n)).astype(np.float32)
    if nan and n > 10:
        a[rng.random(n) < 0.01] = np.nan
        k = int(rng.integers(0, n - 5))
        a[k : k + int(rng.integers(1, max(2, n // 10)))] = np.nan
    b = rng.integers(-300, 300, size=n).astype(np.int16)
    return {"a": a, "b": b}
