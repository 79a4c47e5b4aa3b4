"""Suggested alignments: where a media file's events line up with a data channel's.

:func:`suggest` cross-correlates a media feature with a data feature
(:mod:`tsvideo_widget.features`) and returns candidate mappings
``media_seconds = offset + rate * rel_data_seconds``, best first, each with a confidence.
:func:`suggest_alignment` computes the features of a source and a channel (keeping the
media's in a small cache, :data:`tsvideo_widget.featurecache.CACHE`) and calls it.

The fine steps (the rate, the full-resolution offset) and the constants ``MAX_DRIFT``,
``REFINE_MIN_SECONDS``, ``SEGMENT_SECONDS`` and ``SMOOTH_SECONDS`` are in
:mod:`tsvideo_widget.ratefit`.

How
    1. **Coarse search.** Both features are averaged into coarse bins (``dt`` at least,
       and about :data:`MAX_DRIFT` times the shorter feature's length / 6, at most 1 s
       and 1/64 of the search range: 10 ms for a minute of audio, 0.6 s for an hour), so
       that a clock that drifts by up to :data:`MAX_DRIFT` still lines its events up
       within a few bins over the whole recording. Their normalised cross-correlation
       over every offset in ``search`` is computed with one real FFT (``numpy.fft``):
       for each lag the Pearson correlation over the values that overlap at that lag,
       times ``sqrt(overlap / largest overlap)`` (which evens out the noise of short
       overlaps). Lags whose overlap is less than half the shorter feature are left
       out. Up to ``count`` local maxima are taken, best first, each further from the
       others than the top peak's extent (twice its width at half height, at least 5
       bins); each one's **confidence** is its peak-to-sidelobe ratio (below).
    2. **Rate** (``refine_rate``, a candidate of at least :data:`LOW_CONFIDENCE`, an
       overlap of at least :data:`REFINE_MIN_SECONDS`): the overlap is cut into
       segments of about :data:`SEGMENT_SECONDS`, each correlated at full resolution
       (features smoothed over :data:`SMOOTH_SECONDS`) within the drift allowance
       (``MAX_DRIFT`` times the overlap, plus two coarse bins) of the coarse offset.
       Each segment's lag is its peak's (sub-bin, by a parabola through the peak and its
       neighbours), placed at the time of the events that make the peak (the mean time
       weighted by the product of the two aligned features). Segments whose
       peak-to-sidelobe ratio is below 6 are dropped; the line ``lag = offset +
       (rate - 1) * t`` is fitted to the rest robustly (Theil-Sen, then least squares
       weighted by the squared ratios, on the segments within 3 robust deviations of
       it, at least 2 bins). Then the data is resampled at that rate and correlated with
       the media over the whole overlap at full resolution, unsmoothed, within 10 bins of
       the fitted offset: the offset is that peak's. The rate stays 1.0 when fewer than
       three segments remain, they span less than half of ``REFINE_MIN_SECONDS``, or the
       fitted rate is more than :data:`MAX_DRIFT` from 1.
    3. **Fine offset** (when the rate was not estimated): the full-resolution
       correlation within two coarse bins plus the drift allowance of the coarse peak;
       its peak, refined to a fraction of a bin by the parabola, is the offset.

    On ``tests/alignkit.py``'s media: a minute of audio against a 1000 Hz contact
    microphone gives the offset within 0.1 ms; ten minutes at 200 ppm the offset within
    0.3 ms and the rate within 1 ppm; 90 s of 25 fps video against a 100 Hz
    accelerometer the offset within 20 ms (half a frame). An hour takes about 1 s of
    matching once the features are computed (``benchmarks/RESULTS.md``).

Confidence
    The peak-to-sidelobe ratio ``(peak - mean) / std``, the mean and standard deviation
    taken over the coarse correlation outside the peak's extent: how many standard
    deviations the peak stands above the correlation at offsets that do not match (0
    and up; a correlation with fewer than 16 values outside the peak gets 0.0, no
    judgement possible). On features that share nothing it is the largest of many noise
    values: 3.4 to 7.0 over 158 such generated cases (typically 4 to 5; the sparser the
    events and the wider the search, the higher). Shared events give 12 and more with
    20 or more events in the overlap (a minute of audio: 17 to 25; ten minutes: about
    30), and 6 to 18 with only 7 to 9. :data:`LOW_CONFIDENCE` (8) is the line: under it,
    treat the candidate as a guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .correlate import parabola, peaks, pool, psr, xcorr
from .errors import TsvError
from .featurecache import media_feature
from .features import Feature, channel_activity
from .ffmpegproc import describe
from .media import MediaSource
from .ratefit import MAX_DRIFT, Problem, fine_offset, refine

__all__ = [
    "LOW_CONFIDENCE",
    "Candidate",
    "suggest",
    "suggest_alignment",
]

LOW_CONFIDENCE = 8.0
"""Confidence (peak-to-sidelobe ratio) below which a candidate is not to be trusted.

Chosen on ``tests/alignkit.py``'s media: over 158 cases whose data events are at times
unrelated to the media's (audio and motion; 30 s to 10 min; 7 to 300 events; search
ranges of 2 and 4 minutes) the best candidate's confidence was at most 7.0 (median
4.5); over the same cases with shared events it was at least 12 whenever the overlap
held 20 events or more. 8 sits above every unrelated case; true matches with only a
handful of events can fall under it, which flags them as guesses (the safe side)."""


@dataclass(frozen=True)
class Candidate:
    """One suggested mapping ``media_seconds = offset + rate * rel_data_seconds``.

    Attributes:
        offset: media seconds at relative data time 0 (the data's first sample).
        rate: media seconds per data second (1.0 when it could not be estimated).
        confidence: the peak-to-sidelobe ratio of the correlation peak (0 and up; see
            the module's docstring); below :data:`LOW_CONFIDENCE` it is not to be trusted.
        method: "audio" or "motion": the features that were matched.
    """

    offset: float
    rate: float
    confidence: float
    method: str

    @property
    def trusted(self) -> bool:
        """True when ``confidence >= LOW_CONFIDENCE``."""
        return self.confidence >= LOW_CONFIDENCE


# --------------------------------------------------------------------------- inputs


def _check_search(search: Sequence[float]) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in search)
    except (TypeError, ValueError) as err:
        raise TsvError(
            f"search must be (lowest, highest) offset in media seconds, got {search!r}"
        ) from err
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        raise TsvError(
            f"search must be (lowest, highest) offset in media seconds with lowest < highest, "
            f"got {search!r}; for example (-60.0, 60.0)"
        )
    return lo, hi


def _check_feature(f: Feature, what: str) -> None:
    if len(f.values) < 4:
        raise TsvError(
            f"the {what} feature ({f.kind}) is empty ({len(f.values)} values): the {what} is "
            "too short or has no usable samples"
        )
    if not np.isfinite(f.values).all():
        raise TsvError(f"the {what} feature ({f.kind}) holds NaN or infinite values")
    if float(np.ptp(f.values)) <= 0.0:
        raise TsvError(
            f"the {what} feature ({f.kind}) is constant: the {what} has no events "
            "(silence, a still picture or a flat channel), so there is nothing to match"
        )


def _on_grid(f: Feature, dt: float) -> Feature:
    """``f`` resampled to step ``dt`` from its own ``t0``: averaged over bins when finer."""
    if abs(f.dt - dt) <= 1e-9 * dt:
        return f
    n = int(f.duration / dt) + 1
    at = f.t0 + dt * np.arange(n)
    if f.dt >= dt:
        return Feature(f.t0, dt, np.interp(at, f.times(), f.values), f.kind)
    # The mean of f over [at - dt/2, at + dt/2): differences of its running integral.
    edges = f.t0 - 0.5 * f.dt + f.dt * np.arange(len(f.values) + 1)
    integral = np.concatenate(([0.0], np.cumsum(f.values) * f.dt))
    hi = np.interp(at + 0.5 * dt, edges, integral)
    lo = np.interp(at - 0.5 * dt, edges, integral)
    return Feature(f.t0, dt, (hi - lo) / dt, f.kind)


def _no_overlap(media: Feature, data: Feature, lo: float, hi: float) -> TsvError:
    """The error for features that do not overlap for any offset in [lo, hi]."""
    m0, m1 = media.t0, media.t0 + media.duration
    d0, d1 = data.t0, data.t0 + data.duration
    need = 0.5 * min(media.duration, data.duration)
    a, b = m0 - d1 + need, m1 - d0 - need
    return TsvError(
        f"the media (media seconds {m0:.3f} to {m1:.3f}) and the data (data seconds "
        f"{d0:.3f} to {d1:.3f}) do not overlap by half the shorter ({need:.1f} s) for any "
        f"offset in the search range ({lo:g}, {hi:g}) s; offsets from {a:.1f} to {b:.1f} s "
        f"would: widen search, for example search=({min(lo, a):.0f}, {max(hi, b):.0f})"
    )


def suggest(
    media: Feature,
    data: Feature,
    *,
    search: tuple[float, float] = (-60.0, 60.0),
    refine_rate: bool = True,
    count: int = 3,
) -> list[Candidate]:
    """Candidate mappings ``media = offset + rate * data`` that line the two features up.

    See the module's docstring for the method. The data feature is resampled to the
    media feature's step when they differ (averaged when it is finer).

    Args:
        media: the media's feature (media seconds), e.g. :func:`~.mediafeatures.audio_onsets`.
        data: the data channel's feature of the same kind (seconds since the data's first
            sample), e.g. :func:`~.features.channel_activity`.
        search: the lowest and highest offset to consider, in media seconds
            (default (-60.0, 60.0): the media started up to a minute before or after the data).
        refine_rate: estimate the rate when the overlap is at least
            :data:`REFINE_MIN_SECONDS` (default True); otherwise the rate is 1.0.
        count: at most how many candidates (int >= 1, default 3).

    Returns:
        Up to ``count`` :class:`Candidate`, highest confidence first (fewer when the
        correlation has fewer distinct peaks). Check ``confidence`` against
        :data:`LOW_CONFIDENCE` before trusting one.

    Raises:
        TsvError: ``search`` empty, reversed or not finite; a feature empty, constant
            or not finite; the features do not overlap by half the shorter for any offset
            in ``search``; ``count`` below 1.
    """
    lo, hi = _check_search(search)
    if int(count) < 1:
        raise TsvError(f"count must be at least 1, got {count!r}")
    _check_feature(media, "media")
    _check_feature(data, "data")
    data = _on_grid(data, media.dt)
    _check_feature(data, "data")
    p = Problem(media.values, data.values, media.dt, media.t0 - data.t0, media, data)
    longest = min(len(p.m), len(p.d)) * p.dt
    coarse = min(max(MAX_DRIFT * longest / 6.0, p.dt), 1.0, (hi - lo) / 64.0)
    factor = max(1, int(coarse / p.dt + 1e-9))
    step = factor * p.dt
    lag_lo, lag_hi = p.lags(lo, hi, step)
    mc, dc = pool(p.m, factor), pool(p.d, factor)
    curve = None
    if lag_hi >= lag_lo:
        curve = xcorr(mc, dc, lag_lo, lag_hi, max(2, min(len(mc), len(dc)) // 2))
    if curve is None:
        raise _no_overlap(media, data, lo, hi)
    tops, width = peaks(curve.score, int(count))
    half = 2 * step + MAX_DRIFT * longest
    out: list[Candidate] = []
    for i in tops:
        confidence = psr(curve.score, i, width)
        rough = p.base + (curve.lag0 + i + parabola(curve.score, i)) * step
        fitted = None
        if refine_rate and confidence >= LOW_CONFIDENCE:
            fitted = refine(p, rough, max(half, 40 * p.dt))
        if fitted is not None:
            offset, rate = fitted
        else:
            offset, rate = fine_offset(p, rough, half, (lo, hi)), 1.0
        # Two coarse peaks that refine to one offset are one candidate (the first is better).
        if all(abs(offset - c.offset) > 2 * step for c in out):
            out.append(Candidate(float(offset), float(rate), float(confidence), media.kind))
    return out


def _suggest_named(
    source: MediaSource, feature: Feature, channel: Feature, search: tuple[float, float]
) -> list[Candidate]:
    """:func:`suggest`, its TsvError re-raised with the source's name and the method in front."""
    try:
        return suggest(feature, channel, search=search)
    except TsvError as err:
        raise TsvError(f"{describe(source)!r} ({feature.kind}): {err}") from err


def suggest_alignment(
    source: MediaSource,
    rel_times: np.ndarray,
    values: np.ndarray,
    *,
    method: str = "auto",
    media_kind: str,
    search: tuple[float, float] = (-60.0, 60.0),
    progress: Callable[[float], None] | None = None,
) -> list[Candidate]:
    """Candidate mappings of a data channel onto a media source, highest confidence first.

    Computes the media's feature (kept in :data:`CACHE`, so matching another channel
    against the same source decodes nothing) and the channel's, and calls :func:`suggest`
    (up to 3 candidates per method, rate refined).

    Args:
        source: the media (:func:`tsvideo_widget.media.resolve`).
        rel_times: the channel's sample times, seconds since the data's first sample (1-D).
        values: the channel's samples (1-D, same length; NaN allowed).
        method: "audio" (sound onsets against the channel's onsets, 1000 values a second),
            "motion" (frame differences against the channel's derivative, at the video's
            frame rate), or "auto" (default): audio when the media has an audio stream,
            and for a video also motion, the candidates of both merged.
        media_kind: "video" or "audio", the track's kind (an audio track has no motion).
        search: lowest and highest offset to consider, in media seconds (default (-60, 60)).
        progress: called with the fraction done (0.0 to 1.0) while the media is decoded.

    Returns:
        The candidates (:class:`Candidate`), sorted by confidence, highest first.

    Raises:
        ~tsvideo_widget.errors.NoStreamError: the media has no stream for the method
            asked for (a MediaError naming it).
        MediaError: the media cannot be decoded (the message names it).
        TsvError: an unknown ``method`` or ``media_kind``, "motion" for an audio track, or
            any reason :func:`suggest` raises (the message starts with the source's path
            or name and the method). With "auto", the first method's error is raised
            only when no method gave a candidate.
    """
    if method not in ("audio", "motion", "auto"):
        raise TsvError(f"method must be 'audio', 'motion' or 'auto', got {method!r}")
    if media_kind not in ("video", "audio"):
        raise TsvError(f"media_kind must be 'video' or 'audio', got {media_kind!r}")
    if method == "motion" and media_kind == "audio":
        raise TsvError(
            f"{source.name!r} is an audio track: it has no motion to match; use method='audio'"
        )
    _check_search(search)
    methods = (
        [method] if method != "auto" else ["audio", "motion"][: 2 if media_kind == "video" else 1]
    )
    out: list[Candidate] = []
    failed: TsvError | None = None
    for k, name in enumerate(methods):
        share = None
        if progress is not None:
            done, part = k / len(methods), 1.0 / len(methods)
            share = lambda f, done=done, part=part: progress(done + part * f)  # noqa: E731
        try:
            feature = media_feature(source, name, share)
            channel = channel_activity(rel_times, values, kind=name, hz=1.0 / feature.dt)
            out += _suggest_named(source, feature, channel, search)
        except TsvError as err:  # "auto": one method may fail where the other works
            if method != "auto":
                raise
            failed = failed or err
    if not out and failed is not None:
        raise failed
    if progress is not None:
        progress(1.0)
    return sorted(out, key=lambda c: -c.confidence)
