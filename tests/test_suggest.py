"""Suggested alignment: features of media and data channels, and the correlation engine.

Media with a known mapping ``media = offset + rate * data`` come from ``tests/alignkit.py``
(a WAV with knocks and a contact-microphone channel; an H.264 video of a box moving in
bursts and its accelerometer); every accuracy is checked against that truth. The engine's
own arithmetic is also checked on synthetic features (no ffmpeg).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from traitlets import TraitError

from tsvideo_widget import featurecache
from tsvideo_widget.errors import MediaError, NoStreamError, TsvError
from tsvideo_widget.features import Feature, channel_activity
from tsvideo_widget.media import resolve
from tsvideo_widget.mediafeatures import audio_onsets, motion_energy
from tsvideo_widget.suggest import LOW_CONFIDENCE, Candidate, suggest, suggest_alignment

pytest.importorskip("imageio_ffmpeg")

import alignkit

FRAME = 1 / 25


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, alignkit.Case]:
    """Every generated case of this module (about 3 s to write)."""
    d = tmp_path_factory.mktemp("align")
    return {
        # The sound starts 2.468 s after the data (a negative offset).
        "audio": alignkit.make_audio_case(d / "audio", seconds=60.0, offset=-2.468),
        "audio_null": alignkit.make_audio_case(
            d / "audio_null", seconds=60.0, offset=-2.468, shared=False
        ),
        "long_audio": alignkit.make_audio_case(
            d / "long_audio", seconds=600.0, offset=4.321, rate=1.0002, seed=3
        ),
        "video": alignkit.make_video_case(d / "video", seconds=90.0, offset=3.37),
        "video_null": alignkit.make_video_case(
            d / "video_null", seconds=90.0, offset=3.37, shared=False
        ),
    }


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    featurecache.CACHE.clear()


def run(case: alignkit.Case, method: str, **kw: Any) -> list[Candidate]:
    """suggest_alignment on a case's media and channel."""
    source = resolve(str(case.media))
    return suggest_alignment(
        source, case.rel_times, case.values, method=method, media_kind=source.kind, **kw
    )


# --------------------------------------------------------------------------- accuracy


def test_audio_offset_within_5_ms(cases: dict[str, alignkit.Case]) -> None:
    case = cases["audio"]
    best = run(case, "audio")[0]
    assert best.method == "audio"
    assert abs(best.offset - case.offset) < 0.005, best
    assert best.rate == 1.0  # a minute is too short to estimate the rate
    assert best.confidence >= LOW_CONFIDENCE and best.trusted


def test_motion_offset_within_two_frames(cases: dict[str, alignkit.Case]) -> None:
    case = cases["video"]
    best = run(case, "motion")[0]
    assert best.method == "motion"
    assert abs(best.offset - case.offset) < 2 * FRAME, best
    assert best.confidence >= LOW_CONFIDENCE


def test_rate_within_20_ppm_over_ten_minutes(cases: dict[str, alignkit.Case]) -> None:
    case = cases["long_audio"]  # 200 ppm: 120 ms of drift over the recording
    best = run(case, "audio", search=(-30.0, 30.0))[0]
    assert abs(best.rate - case.rate) < 20e-6, best
    assert abs(best.offset - case.offset) < 0.005, best
    assert best.confidence >= LOW_CONFIDENCE


def test_without_refinement_the_rate_stays_one(cases: dict[str, alignkit.Case]) -> None:
    case = cases["long_audio"]
    source = resolve(str(case.media))
    media = audio_onsets(source)
    data = channel_activity(case.rel_times, case.values, kind="audio", hz=1000.0)
    best = suggest(media, data, refine_rate=False)[0]
    assert best.rate == 1.0
    # The offset lands among the drifting lags (0 to 120 ms after the true one).
    assert -0.01 < best.offset - case.offset < 0.13


@pytest.mark.parametrize(("name", "method"), [("audio_null", "audio"), ("video_null", "motion")])
def test_unrelated_events_give_only_low_confidence(
    cases: dict[str, alignkit.Case], name: str, method: str
) -> None:
    candidates = run(cases[name], method)
    assert candidates
    assert all(c.confidence < LOW_CONFIDENCE and not c.trusted for c in candidates), candidates


def test_candidates_are_distinct_and_best_first(cases: dict[str, alignkit.Case]) -> None:
    case = cases["audio"]
    media = audio_onsets(resolve(str(case.media)))
    data = channel_activity(case.rel_times, case.values, kind="audio", hz=1000.0)
    candidates = suggest(media, data, count=3)
    assert len(candidates) == 3
    conf = [c.confidence for c in candidates]
    assert conf == sorted(conf, reverse=True)
    offsets = sorted(c.offset for c in candidates)
    assert min(np.diff(offsets)) > 0.05
    # Only the true one is trusted.
    assert [c.trusted for c in candidates] == [True, False, False]
    assert len(suggest(media, data, count=1)) == 1


def test_auto_on_a_silent_video_uses_motion(cases: dict[str, alignkit.Case]) -> None:
    case = cases["video"]
    candidates = run(case, "auto")
    assert {c.method for c in candidates} == {"motion"}
    assert abs(candidates[0].offset - case.offset) < 2 * FRAME


def test_auto_on_audio_uses_the_sound(cases: dict[str, alignkit.Case]) -> None:
    case = cases["audio"]
    candidates = run(case, "auto")
    assert {c.method for c in candidates} == {"audio"}
    assert abs(candidates[0].offset - case.offset) < 0.005


def test_nan_gaps_and_irregular_times_do_not_poison_the_channel(
    cases: dict[str, alignkit.Case],
) -> None:
    case = cases["audio"]
    rng = np.random.default_rng(5)
    keep = np.sort(rng.choice(len(case.rel_times), int(0.8 * len(case.rel_times)), replace=False))
    t, v = case.rel_times[keep].copy(), case.values[keep].copy()
    v[rng.random(len(v)) < 0.05] = np.nan
    v[(t > 20.0) & (t < 23.0)] = np.nan  # a 3 s hole
    t[rng.random(len(t)) < 0.01] = np.nan  # a few broken timestamps
    source = resolve(str(case.media))
    best = suggest_alignment(source, t, v, method="audio", media_kind="audio")[0]
    assert abs(best.offset - case.offset) < 0.005, best
    assert best.confidence >= LOW_CONFIDENCE


# --------------------------------------------------------------------------- errors


def test_no_audio_stream_names_the_file(cases: dict[str, alignkit.Case]) -> None:
    with pytest.raises(NoStreamError, match=r"video\.mp4.*no audio stream") as err:
        run(cases["video"], "audio")
    assert isinstance(err.value, MediaError) and isinstance(err.value, TraitError)


def test_no_video_stream_names_the_file(cases: dict[str, alignkit.Case]) -> None:
    case = cases["audio"]
    source = resolve(str(case.media), media_kind="video")
    with pytest.raises(NoStreamError, match=r"audio\.wav.*no video stream"):
        suggest_alignment(source, case.rel_times, case.values, method="motion", media_kind="video")


def test_motion_on_an_audio_track_is_refused(cases: dict[str, alignkit.Case]) -> None:
    with pytest.raises(TsvError, match=r"audio\.wav.*no motion"):
        run(cases["audio"], "motion")


def test_search_outside_the_overlap_names_the_file_and_a_range(
    cases: dict[str, alignkit.Case],
) -> None:
    with pytest.raises(TsvError, match=r"audio\.wav.*do not overlap.*widen search"):
        run(cases["audio"], "audio", search=(100.0, 200.0))


@pytest.mark.parametrize("search", [(5.0, 5.0), (10.0, -10.0), (float("nan"), 1.0), "ab", (1,)])
def test_bad_search_ranges_are_refused(cases: dict[str, alignkit.Case], search: Any) -> None:
    with pytest.raises(TsvError, match="search must be"):
        run(cases["audio"], "audio", search=search)


def test_unknown_method_and_kind_are_refused(cases: dict[str, alignkit.Case]) -> None:
    case = cases["audio"]
    source = resolve(str(case.media))
    with pytest.raises(TsvError, match="method must be"):
        suggest_alignment(source, case.rel_times, case.values, method="x", media_kind="audio")
    with pytest.raises(TsvError, match="media_kind must be"):
        suggest_alignment(source, case.rel_times, case.values, media_kind="image")


def test_empty_constant_and_nan_features_are_refused() -> None:
    good = _spikes(np.array([1.0, 2.5, 4.0]), 10.0)
    with pytest.raises(TsvError, match=r"media feature.*constant"):
        suggest(Feature(0.0, 0.001, np.zeros(5000), "audio"), good)
    with pytest.raises(TsvError, match=r"data feature.*empty"):
        suggest(good, Feature(0.0, 0.001, np.zeros(0), "audio"))
    with pytest.raises(TsvError, match="NaN"):
        suggest(good, Feature(0.0, 0.001, np.full(100, np.nan), "audio"))
    with pytest.raises(TsvError, match="count"):
        suggest(good, good, count=0)
    with pytest.raises(TsvError, match="dt"):
        Feature(0.0, 0.0, np.ones(3), "audio")


# --------------------------------------------------------------------------- features


def test_feature_grids(cases: dict[str, alignkit.Case]) -> None:
    audio = cases["audio"]
    f = audio_onsets(resolve(str(audio.media)))
    assert f.kind == "audio" and f.dt == pytest.approx(0.001) and f.t0 == pytest.approx(0.001)
    assert len(f.values) == pytest.approx(audio.media_seconds * 1000, abs=2)
    assert f.values.min() >= 0 and np.isfinite(f.values).all()
    assert f.times()[:2] == pytest.approx([0.001, 0.002])
    video = cases["video"]
    m = motion_energy(resolve(str(video.media)))
    frames = int(np.ceil(video.media_seconds * 25))
    assert m.kind == "motion" and m.dt == pytest.approx(FRAME) and m.t0 == pytest.approx(0.02)
    assert len(m.values) == frames - 1
    g = channel_activity(video.rel_times, video.values, kind="motion", hz=25.0)
    assert g.t0 == pytest.approx(FRAME) and len(g.values) == round(video.seconds * 25)


def test_channel_activity_checks_its_input() -> None:
    t = np.arange(100) / 100.0
    with pytest.raises(TsvError, match="kind"):
        channel_activity(t, t, kind="sound", hz=100.0)
    with pytest.raises(TsvError, match="hz"):
        channel_activity(t, t, kind="audio", hz=0.0)
    with pytest.raises(TsvError, match="shapes"):
        channel_activity(t, t[:-1], kind="audio", hz=100.0)
    with pytest.raises(TsvError, match="sorted"):
        channel_activity(t[::-1], t, kind="motion", hz=100.0)
    assert len(channel_activity(t, np.full(100, np.nan), kind="audio", hz=100.0).values) == 0


def test_bytes_decode_like_the_file(cases: dict[str, alignkit.Case]) -> None:
    case = cases["audio"]
    from_file = audio_onsets(resolve(str(case.media)))
    from_bytes = audio_onsets(resolve(case.media.read_bytes()))
    np.testing.assert_array_equal(from_file.values, from_bytes.values)


def test_progress_runs_to_one(cases: dict[str, alignkit.Case]) -> None:
    seen: list[float] = []
    run(cases["video"], "motion", progress=seen.append)
    assert seen and seen[-1] == 1.0
    assert all(0.0 <= a <= b <= 1.0 for a, b in itertools.pairwise(seen))


def test_the_media_feature_is_decoded_once_per_source(
    cases: dict[str, alignkit.Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = featurecache.audio_onsets

    def counting(source: Any, **kw: Any) -> Feature:
        calls.append(source.name)
        return real(source, **kw)

    monkeypatch.setattr(featurecache, "audio_onsets", counting)
    case = cases["audio"]
    run(case, "audio")
    noisy = case.values + np.random.default_rng(1).normal(0, 0.01, len(case.values))
    source = resolve(str(case.media))
    suggest_alignment(source, case.rel_times, noisy, method="audio", media_kind="audio")
    assert calls == ["audio.wav"]
    st = os.stat(case.media)
    os.utime(case.media, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # "changed": decode again
    run(case, "audio")
    assert calls == ["audio.wav", "audio.wav"]


# --------------------------------------------------------------------------- the engine alone


def _spikes(times: np.ndarray, seconds: float, dt: float = 0.001, t0: float = 0.0) -> Feature:
    """A feature with a 2 ms wide bump at each time (like an onset envelope)."""
    n = int(seconds / dt)
    values = np.zeros(n)
    reach = int(0.01 / dt) + 1
    for t in times:
        at = round((t - t0) / dt)
        i = np.arange(max(0, at - reach), min(n, at + reach + 1))
        values[i] += np.exp(-0.5 * ((t0 + dt * i - t) / 0.002) ** 2)
    return Feature(t0, dt, values, "audio")


def test_a_fractional_offset_is_found_to_a_tenth_of_a_bin() -> None:
    rng = np.random.default_rng(2)
    data_times = np.sort(rng.uniform(0.5, 59.5, 40))
    offset = 12.3456
    media = _spikes(offset + data_times, 80.0)
    data = _spikes(data_times, 60.0, t0=0.0005)
    best = suggest(media, data)[0]
    assert best.offset == pytest.approx(offset, abs=1e-4)
    assert best.confidence > 3 * LOW_CONFIDENCE


@pytest.mark.parametrize("data_dt", [0.0005, 0.002])
def test_data_on_another_grid_is_resampled(data_dt: float) -> None:
    rng = np.random.default_rng(4)
    data_times = np.sort(rng.uniform(0.5, 59.5, 40))
    media = _spikes(-3.21 + data_times, 60.0)
    data = _spikes(data_times, 60.0, dt=data_dt)
    best = suggest(media, data)[0]
    assert best.offset == pytest.approx(-3.21, abs=0.001)


def test_the_rate_is_refined_from_synthetic_drift() -> None:
    rng = np.random.default_rng(6)
    data_times = np.sort(rng.uniform(1.0, 1199.0, 600))
    media = _spikes(0.75 + 0.9995 * data_times, 1202.0)  # -500 ppm
    data = _spikes(data_times, 1200.0)
    best = suggest(media, data)[0]
    assert best.rate == pytest.approx(0.9995, abs=2e-6)
    assert best.offset == pytest.approx(0.75, abs=5e-4)


def test_noise_against_events_is_not_confident() -> None:
    rng = np.random.default_rng(8)
    media = _spikes(np.sort(rng.uniform(0, 60, 30)), 60.0)
    noise = Feature(0.0, 0.001, rng.random(60000), "audio")
    assert all(c.confidence < LOW_CONFIDENCE for c in suggest(media, noise))


def test_a_search_too_narrow_to_judge_gives_zero_confidence() -> None:
    rng = np.random.default_rng(9)
    data_times = np.sort(rng.uniform(0.5, 59.5, 40))
    media = _spikes(1.0 + data_times, 62.0)
    data = _spikes(data_times, 60.0)
    best = suggest(media, data, search=(0.995, 1.005))[0]
    assert best.confidence == 0.0  # too few offsets around the peak to compare it with
    assert best.offset == pytest.approx(1.0, abs=1e-3)


def test_alignkit_cases_are_reused(tmp_path: Path) -> None:
    first = alignkit.make_audio_case(tmp_path, seconds=5.0, offset=0.5)
    stamp = first.media.stat().st_mtime_ns
    again = alignkit.make_audio_case(tmp_path, seconds=5.0, offset=0.5)
    assert again.media.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(first.values, again.values)
