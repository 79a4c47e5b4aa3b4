"""Normalised cross-correlation of two evenly sampled features, and what is read from it.

The primitives :mod:`~tsvideo_widget.suggest` matches media and data features
with: :func:`xcorr` (the Pearson correlation at every lag of a range, from one
real FFT and cumulative sums), the peaks of a correlation (:func:`peaks`,
:func:`peak_in`, sub-bin by :func:`parabola`), their peak-to-sidelobe ratio
(:func:`psr`), block means (:func:`pool`) and a robust straight line
(:func:`robust_line`, Theil-Sen then weighted least squares).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

__all__ = ["Curve", "parabola", "peak_in", "peaks", "pool", "psr", "robust_line", "xcorr"]

_MIN_SIDELOBES = 16
_FAST_SIZES = sorted(
    2**a * 3**b * 5**c
    for a in range(40)
    for b in range(26)
    for c in range(18)
    if 2**a * 3**b * 5**c <= 2**40
)


def _fast_len(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n (a size numpy's FFT is fast at)."""
    return _FAST_SIZES[bisect.bisect_left(_FAST_SIZES, n)]


@dataclass(frozen=True)
class Curve:
    """A normalised cross-correlation: ``score[k]`` is at lag ``lag0 + k``.

    Lag ``L`` pairs media value ``i`` with data value ``i - L``.
    """

    lag0: int
    score: np.ndarray


def xcorr(m: np.ndarray, d: np.ndarray, lag_lo: int, lag_hi: int, min_overlap: int) -> Curve | None:
    """Pearson correlation of ``m`` and ``d`` over their overlap at each lag in [lag_lo, lag_hi].

    Scaled by ``sqrt(overlap / largest overlap)``; None when no lag overlaps by at least
    ``min_overlap`` values. One real FFT of about ``len(d) + (lag_hi - lag_lo)`` values
    (only the part of ``m`` those lags reach is transformed) and cumulative sums for the
    per-lag means and variances.
    """
    nm, nd = len(m), len(d)
    lags = np.arange(lag_lo, lag_hi + 1)
    n = np.minimum(nm, nd + lags) - np.maximum(0, lags)
    ok = np.flatnonzero(n >= max(min_overlap, 3))
    if not len(ok):
        return None
    lags, n = lags[ok[0] : ok[-1] + 1], n[ok[0] : ok[-1] + 1]
    lag_lo, lag_hi = int(lags[0]), int(lags[-1])
    i0, i1 = max(0, lag_lo), min(nm, nd + lag_hi)
    mm = m[i0:i1] - m[i0:i1].mean()
    dd = d - d.mean()
    size = _fast_len(max(len(mm) - (lag_lo - i0), lag_hi - i0 + nd))
    cross = np.fft.irfft(np.fft.rfft(mm, size) * np.conj(np.fft.rfft(dd, size)), size)
    s_md = cross[(lags - i0) % size]
    del cross
    tiny = 1e-12 * (float(np.dot(mm, mm)) * float(np.dot(dd, dd)) + 1e-300)
    s_m, v_m = _window_sums(mm, np.maximum(0, lags) - i0, n)  # overlap in mm: [lo, lo + n)
    del mm
    s_d, v_d = _window_sums(dd, np.maximum(0, -lags), n)  # overlap in dd: [jlo, jlo + n)
    var = v_m * v_d
    cov = s_md - s_m * s_d / n
    r = np.where(var > tiny, cov / np.sqrt(np.maximum(var, tiny)), 0.0)
    return Curve(lag_lo, r * np.sqrt(n / n.max()))


def _window_sums(x: np.ndarray, start: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum and centred sum of squares of ``x[start:start + n]`` for each start (cumulative sums)."""
    c = np.concatenate(([0.0], np.cumsum(x)))
    total = c[start + n] - c[start]
    np.cumsum(x * x, out=c[1:])
    squares = c[start + n] - c[start]
    return total, np.maximum(squares - total * total / n, 0.0)


def _width(score: np.ndarray, i: int) -> int:
    """Width in bins of the peak at ``i`` at half its height above the median."""
    base = float(np.nanmedian(score))
    half = base + 0.5 * (score[i] - base)
    below = ~(score >= half)  # NaN counts as below
    left = np.flatnonzero(below[:i])
    right = np.flatnonzero(below[i + 1 :])
    a = left[-1] + 1 if len(left) else 0
    b = i + right[0] if len(right) else len(score) - 1
    return int(b - a + 1)


def psr(score: np.ndarray, i: int, exclude: int) -> float:
    """Peak-to-sidelobe ratio of the peak at ``i``, leaving out ``exclude`` bins each side."""
    side = np.concatenate((score[: max(0, i - exclude)], score[i + exclude + 1 :]))
    side = side[np.isfinite(side)]
    if len(side) < _MIN_SIDELOBES:
        return 0.0
    std = float(side.std())
    if not std > 1e-12 * max(1.0, abs(float(score[i]))):
        return 0.0
    return max(0.0, (float(score[i]) - float(side.mean())) / std)


def parabola(score: np.ndarray, i: int) -> float:
    """Sub-bin position of the peak at ``i`` (-0.5..0.5) from a parabola through 3 values."""
    if i <= 0 or i >= len(score) - 1:
        return 0.0
    a, b, c = score[i - 1], score[i], score[i + 1]
    den = a - 2 * b + c
    if not (np.isfinite(den) and den < 0):
        return 0.0
    return float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))


def peaks(score: np.ndarray, count: int) -> tuple[list[int], int]:
    """Up to ``count`` local maxima, best first, apart by more than the top peak's extent.

    The extent is twice the top peak's width at half height (at least 5 bins): the window
    its peak-to-sidelobe ratio leaves out, so a shoulder of the top peak is never taken
    for another candidate. Returns the indices and that extent (bins).
    """
    s = np.where(np.isfinite(score), score, -np.inf)
    left = np.concatenate(([-np.inf], s[:-1]))
    right = np.concatenate((s[1:], [-np.inf]))
    local = np.flatnonzero((s >= left) & (s >= right) & np.isfinite(s))
    if not len(local):
        return [], 1
    local = local[np.argsort(-s[local], kind="stable")]
    width = max(5, 2 * _width(score, int(local[0])))
    chosen: list[int] = []
    for i in local:
        if all(abs(int(i) - j) > width for j in chosen):
            chosen.append(int(i))
            if len(chosen) == count:
                break
    return chosen, width


def peak_in(curve: Curve, exclude: int) -> tuple[float, float]:
    """(lag with its sub-bin part, peak-to-sidelobe ratio) of the highest value of ``curve``."""
    s = curve.score
    i = int(np.nanargmax(s))
    return curve.lag0 + i + parabola(s, i), psr(s, i, exclude)


def pool(v: np.ndarray, factor: int) -> np.ndarray:
    """Means of ``factor`` consecutive values (a shorter last block is dropped)."""
    if factor <= 1:
        return v
    n = len(v) // factor
    return v[: n * factor].reshape(n, factor).mean(axis=1)


def robust_line(
    t: np.ndarray, y: np.ndarray, w: np.ndarray, tol: float
) -> tuple[float, float, int]:
    """Robust line ``y = a + b t``: Theil-Sen, then weighted least squares on its inliers.

    Returns (a, b, number of inliers).
    """
    i, j = np.triu_indices(len(t), 1)
    dt = t[j] - t[i]
    keep = dt > 0
    b = float(np.median((y[j] - y[i])[keep] / dt[keep]))
    a = float(np.median(y - b * t))
    res = y - a - b * t
    spread = 1.4826 * float(np.median(np.abs(res)))
    inl = np.abs(res) <= max(3.0 * spread, tol)
    if np.count_nonzero(inl) < 3:
        return a, b, int(np.count_nonzero(inl))
    ti, yi, wi = t[inl], y[inl], w[inl]
    tm = float(np.average(ti, weights=wi))
    ym = float(np.average(yi, weights=wi))
    sxx = float(np.sum(wi * (ti - tm) ** 2))
    if sxx <= 0:
        return a, b, int(np.count_nonzero(inl))
    b = float(np.sum(wi * (ti - tm) * (yi - ym))) / sxx
    return ym - b * tm, b, int(np.count_nonzero(inl))
