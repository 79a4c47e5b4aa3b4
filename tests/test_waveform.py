"""Waveform lanes: streaming ffmpeg decode into an exact min/max pyramid.

Inputs are generated here: 16-bit WAV files written with the ``wave`` module
(noise with sharp clicks at known samples), and FLAC and AAC files encoded from
them with imageio-ffmpeg's binary. Every envelope is compared with the obvious
computation on the fully decoded samples (the int16 values / 32768, or one
in-memory ffmpeg decode for lossy codecs), never with the code under test.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
import time
import tracemalloc
import wave
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytest
from traitlets import TraitError

from tsvideo_widget import waveform
from tsvideo_widget.errors import MediaError
from tsvideo_widget.media import MediaSource, resolve
from tsvideo_widget.waveform import Envelope, Waveform, WaveformCache, decode

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
FFMPEG: str = imageio_ffmpeg.get_ffmpeg_exe()

RATE = 48000
MONO_N = 4 * RATE
STEREO_N = 3 * RATE + 77  # not a multiple of any block: the last blocks are short
# (sample index, channel, int16 value): sharp clicks well above the noise (|noise| <= 3000).
MONO_CLICKS = [(100_003, 0, 29_000), (150_017, 0, -31_000), (7, 0, 20_000)]
STEREO_CLICKS = [(77_777, 1, 30_000), (33_333, 0, -28_000), (STEREO_N - 1, 1, 25_000)]


# --- inputs -----------------------------------------------------------------------------


def make_samples(
    n: int, channels: int, clicks: list[tuple[int, int, int]], seed: int
) -> np.ndarray:
    """int16 (n, channels): low noise with a slow sine, plus the clicks."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / RATE
    base = 1500 * np.sin(2 * np.pi * 3.0 * t)[:, None] + rng.integers(-1500, 1500, (n, channels))
    out = base.astype(np.int16)
    for i, c, v in clicks:
        out[i, c] = v
    return out


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-y", "-hide_banner", "-loglevel", "error", *args], check=True)


def ffmpeg_decode(path: Path, channels: int) -> np.ndarray:
    """The whole file decoded in one ffmpeg call into memory: float32 (n, channels)."""
    out = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "f32le", "pipe:1"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(out, dtype="<f4").reshape(-1, channels)


def source(path: Path) -> MediaSource:
    src = resolve(path, "audio")
    assert src is not None
    return src


def bytes_source(path: Path) -> MediaSource:
    src = resolve(path.read_bytes(), "audio")
    assert src is not None
    return src


class Inputs:
    def __init__(self, root: Path) -> None:
        self.mono = make_samples(MONO_N, 1, MONO_CLICKS, seed=1)
        self.stereo = make_samples(STEREO_N, 2, STEREO_CLICKS, seed=2)
        self.three = make_samples(RATE // 2, 3, [(1000, 2, 32_000)], seed=3)
        # What ffmpeg decodes 16-bit PCM to (checked below): the values / 32768.
        self.mono_f, self.stereo_f, self.three_f = map(
            as_float, (self.mono, self.stereo, self.three)
        )
        self.mono_wav = write_wav(root / "mono.wav", self.mono)
        self.stereo_wav = write_wav(root / "stereo clicks.wav", self.stereo)
        self.three_wav = write_wav(root / "three.wav", self.three)
        self.flac = root / "stereo.flac"
        ffmpeg("-i", str(self.stereo_wav), "-c:a", "flac", str(self.flac))
        self.m4a = root / "mono.m4a"
        ffmpeg("-i", str(self.mono_wav), "-c:a", "aac", "-b:a", "96k", str(self.m4a))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    return Inputs(tmp_path_factory.mktemp("waveform"))


@pytest.fixture(scope="module")
def mono(inputs: Inputs) -> Iterator[Waveform]:
    with decode(source(inputs.mono_wav)) as w:
        yield w


@pytest.fixture(scope="module")
def stereo(inputs: Inputs) -> Iterator[Waveform]:
    with decode(source(inputs.stereo_wav)) as w:
        yield w


def as_float(samples: np.ndarray) -> np.ndarray:
    return (samples.astype(np.float32) / np.float32(32768)).astype(np.float32)


# --- the exactness check ------------------------------------------------------------------


_PER_SAMPLE: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def per_sample(ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min and max over the channels of each sample of ``ref``, computed once per array."""
    if id(ref) not in _PER_SAMPLE:  # the array is kept, so its id is not reused
        _PER_SAMPLE[id(ref)] = (ref, ref.min(axis=1), ref.max(axis=1))
    _, lo, hi = _PER_SAMPLE[id(ref)]
    return lo, hi


def check_exact(w: Waveform, ref: np.ndarray, lo: float, hi: float, buckets: int) -> Envelope:
    """The envelope of [lo, hi] against a direct min/max of ``ref`` (n, channels)."""
    env = w.envelope(lo, hi, buckets)
    n = ref.shape[0]
    lo_c, hi_c = min(max(lo, 0.0), n / RATE), min(max(hi, 0.0), n / RATE)
    assert env.lo.dtype == np.float32 and env.hi.dtype == np.float32
    assert env.lo.shape == env.hi.shape
    if not hi_c > lo_c:
        assert env.lo.shape == (0,) and env.t0 == lo_c
        return env
    s0, width = round(env.t0 * w.rate), round(env.dt * w.rate)
    assert s0 / w.rate == pytest.approx(env.t0, abs=1e-12)
    assert width / w.rate == pytest.approx(env.dt, rel=1e-12)
    m = env.lo.shape[0]
    assert m > 0 and width >= 1 and s0 % width == 0 and 0 <= s0 < n
    stop = min(s0 + m * width, n)
    assert s0 + (m - 1) * width < n  # no bucket starts past the end
    # The buckets cover [lo, hi] (the last one may be cut short at the end of the file).
    assert s0 <= lo_c * w.rate + 1e-6
    assert stop >= min(n, hi_c * w.rate - 1e-6)
    per_sample_lo, per_sample_hi = per_sample(ref)
    offsets = np.arange(0, stop - s0, width)
    want_lo = np.minimum.reduceat(per_sample_lo[s0:stop], offsets)
    want_hi = np.maximum.reduceat(per_sample_hi[s0:stop], offsets)
    np.testing.assert_array_equal(env.lo, want_lo)
    np.testing.assert_array_equal(env.hi, want_hi)
    samples = (hi_c - lo_c) * w.rate
    if env.raw:
        assert width == 1 and env.dt == 1 / w.rate
        assert samples < 2 * buckets + 2
    else:
        # Never coarser than asked: a bucket is at most 1/buckets of the window.
        assert env.dt <= (hi_c - lo_c) / buckets
        assert samples >= 2 * buckets - 2
        assert buckets <= m <= (1.25 if samples >= 4 * buckets else 1.5) * buckets + 2
        # A whole number of blocks of one level: raw samples below 4 blocks of level 1.
        if width >= 4 * w.block:
            assert width % w.block == 0
    return env


def units(w: Waveform, n: int) -> list[int]:
    """Block sizes of the levels an envelope can use (level-1 block * 4**k, within n / 4)."""
    out, u = [1], w.block
    while 4 * u <= n:
        out.append(u)
        u *= waveform.FACTOR
    return out


def windows(n: int, seed: int, count: int) -> Iterator[tuple[float, float, int]]:
    rng = np.random.default_rng(seed)
    dur = n / RATE
    for _ in range(count):
        a, b = sorted(rng.uniform(-0.2, dur + 0.2, 2))
        if rng.random() < 0.3:  # narrow windows: raw samples and fine levels
            b = a + rng.uniform(0, 0.05)
        yield float(a), float(b), int(rng.integers(1, 3000))


# --- 1. exactness -------------------------------------------------------------------------


def test_wav_decodes_to_int16_over_32768(inputs: Inputs, stereo: Waveform) -> None:
    ref = ffmpeg_decode(inputs.stereo_wav, 2)
    np.testing.assert_array_equal(ref, inputs.stereo_f)
    # Raw samples are the per-sample min and max over the channels.
    env = stereo.envelope(0.0, 0.001, 1000)
    assert env.raw and env.t0 == 0.0 and env.dt == 1 / RATE
    np.testing.assert_array_equal(env.lo, inputs.stereo_f.min(axis=1)[: env.lo.shape[0]])
    np.testing.assert_array_equal(env.hi, inputs.stereo_f.max(axis=1)[: env.hi.shape[0]])
    assert not np.array_equal(env.lo, env.hi)


def test_envelope_exact_random_windows(inputs: Inputs, mono: Waveform, stereo: Waveform) -> None:
    for w, ref, seed in [(mono, inputs.mono_f, 10), (stereo, inputs.stereo_f, 11)]:
        kinds = set()
        for lo, hi, buckets in windows(ref.shape[0], seed, 150):
            env = check_exact(w, ref, lo, hi, buckets)
            kinds.add(env.raw)
        assert kinds == {True, False}


def test_envelope_exact_at_every_level(inputs: Inputs) -> None:
    """Samples per bucket at about 6 blocks of each level, with two block sizes."""
    ref = inputs.stereo_f
    n = ref.shape[0]
    for block in (64, 8):
        with decode(source(inputs.stereo_wav), block=block) as w:
            assert w.block == block
            levels = units(w, n)
            assert len(levels) >= (5 if block == 64 else 7)
            for u in levels:
                buckets = max(1, round(n / (6 * u)))
                for lo, hi in [(0.0, n / RATE), (0.0, 10.0), (0.5, n / RATE - 0.3)]:
                    scale = (min(hi, n / RATE) - lo) * RATE / n
                    b = max(1, round(buckets * scale))
                    env = check_exact(w, ref, lo, hi, b)
                    assert env.raw is False
                # Shifted windows at this level: the same buckets, the same values.
                width = None
                for shift in np.linspace(0.0, 0.2, 5):
                    env = check_exact(
                        w, ref, 0.3 + shift, 2.3 + shift, max(1, round(2 * RATE / (6 * u)))
                    )
                    width = width or env.dt
                    assert env.dt == width


def test_three_channels(inputs: Inputs) -> None:
    ref = inputs.three_f
    with decode(source(inputs.three_wav)) as w:
        assert (w.rate, w.channels, w.n) == (RATE, 3, ref.shape[0])
        for lo, hi, buckets in windows(ref.shape[0], 12, 40):
            check_exact(w, ref, lo, hi, buckets)
        env = w.envelope(0, w.duration, 50)
        assert env.hi.max() == np.float32(32_000 / 32768)


def test_flac_is_lossless_and_exact(inputs: Inputs, stereo: Waveform) -> None:
    ref = inputs.stereo_f
    with decode(source(inputs.flac)) as w:
        assert (w.rate, w.channels, w.n) == (RATE, 2, STEREO_N)
        for lo, hi, buckets in windows(STEREO_N, 13, 60):
            check_exact(w, ref, lo, hi, buckets)
            a, b = w.envelope(lo, hi, buckets), stereo.envelope(lo, hi, buckets)
            np.testing.assert_array_equal(a.hi, b.hi)


def test_aac_decodes_exactly_against_ffmpeg(inputs: Inputs) -> None:
    ref = ffmpeg_decode(inputs.m4a, 1)
    with decode(source(inputs.m4a)) as w:
        assert (w.rate, w.channels, w.n) == (RATE, 1, ref.shape[0])
        assert abs(w.n - MONO_N) <= 1024  # priming samples dropped, at most a frame of padding
        for lo, hi, buckets in windows(w.n, 14, 60):
            check_exact(w, ref, lo, hi, buckets)
        # A lossy codec keeps the click's bucket as the loudest one.
        env = w.envelope(0, w.duration, 40)
        width = round(env.dt * RATE)
        assert int(np.argmax(env.hi)) == 100_003 // width


def test_odd_chunks_split_samples_and_frames(inputs: Inputs, stereo: Waveform) -> None:
    ref = inputs.stereo_f
    for chunk in (4096 + 3, 7):
        if chunk == 7:
            src = source(write_wav(inputs.flac.parent / "short.wav", inputs.stereo[:6_000]))
            sub = ref[:6_000]
        else:
            src, sub = source(inputs.stereo_wav), ref
        seen: list[float] = []
        with decode(src, chunk_bytes=chunk, progress=seen.append) as w:
            assert (w.rate, w.channels, w.n) == (RATE, 2, sub.shape[0])
            for lo, hi, buckets in windows(sub.shape[0], 15, 40):
                check_exact(w, sub, lo, hi, buckets)
        assert len(seen) > 10 and seen[-1] == 1.0
        assert all(0.0 <= x <= 1.0 for x in seen) and seen == sorted(seen)
    with decode(source(inputs.stereo_wav), chunk_bytes=4099, block=16) as w:
        for lo, hi, buckets in windows(STEREO_N, 16, 20):
            check_exact(w, ref, lo, hi, buckets)


# --- 2. clicks ----------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["mono", "stereo"])
def test_click_is_the_extreme_of_exactly_its_bucket(
    which: str, mono: Waveform, stereo: Waveform
) -> None:
    w, clicks = (mono, MONO_CLICKS) if which == "mono" else (stereo, STEREO_CLICKS)
    for index, _channel, value in clicks:
        t = index / RATE
        want = np.float32(value / 32768)
        for lo, hi, buckets in [
            (0.0, w.duration, 20),
            (0.0, w.duration, 800),
            (t - 0.5, t + 0.5, 300),
            (t - 0.01, t + 0.01, 100),
            (t - 0.001, t + 0.001, 1000),  # raw samples
        ]:
            env = w.envelope(lo, hi, buckets)
            s0, width = round(env.t0 * RATE), round(env.dt * RATE)
            assert env.raw == (width == 1)
            j = (index - s0) // width
            # The noise stays within 3000/32768 and the clicks differ: only the
            # bucket holding the click can show its value.
            extreme = env.hi if value > 0 else env.lo
            assert np.flatnonzero(extreme == want).tolist() == [j]
            if not (env.raw and w.channels == 1):  # a mono raw sample is its own min and max
                other = env.lo if value > 0 else env.hi
                assert abs(float(other[j])) < abs(float(want))


# --- 3. shape and sources -----------------------------------------------------------------


def test_rate_channels_n_duration(mono: Waveform, stereo: Waveform) -> None:
    assert (mono.rate, mono.channels, mono.n, mono.duration) == (RATE, 1, MONO_N, 4.0)
    assert (stereo.rate, stereo.channels, stereo.n) == (RATE, 2, STEREO_N)
    assert stereo.duration == STEREO_N / RATE
    # Memory: the pyramid only, about 2 * 4 bytes per 64 samples * 4/3.
    assert mono.nbytes < MONO_N * 8 / 64 * 4 / 3 + 1000
    assert mono.disk_bytes == MONO_N * 4 and stereo.disk_bytes == STEREO_N * 8


def test_other_rate(tmp_path: Path) -> None:
    samples = make_samples(22050, 1, [(12345, 0, 30_000)], seed=4)
    with decode(source(write_wav(tmp_path / "low.wav", samples, rate=22050))) as w:
        assert (w.rate, w.channels, w.n, w.duration) == (22050, 1, 22050, 1.0)
        env = w.envelope(0.5, 0.6, 10)
        assert env.t0 <= 0.5 and env.t0 + env.lo.shape[0] * env.dt >= 0.6
        env = w.envelope(0.0, 1.0, 10)
        assert int(np.argmax(env.hi)) == 12345 // round(env.dt * 22050)


def test_bytes_and_file_give_the_same(inputs: Inputs, stereo: Waveform) -> None:
    for path, w_file in [(inputs.stereo_wav, stereo), (inputs.flac, None)]:
        with decode(bytes_source(path), chunk_bytes=10_001) as w_bytes:
            other = w_file or decode(source(path))
            assert other.name == str(path)
            assert (w_bytes.rate, w_bytes.channels, w_bytes.n) == (
                other.rate,
                other.channels,
                other.n,
            )
            assert w_bytes.name == "media bytes"
            for lo, hi, buckets in windows(other.n, 17, 40):
                a, b = w_bytes.envelope(lo, hi, buckets), other.envelope(lo, hi, buckets)
                assert (a.t0, a.dt, a.raw) == (b.t0, b.dt, b.raw)
                np.testing.assert_array_equal(a.lo, b.lo)
                np.testing.assert_array_equal(a.hi, b.hi)


def test_http_url(inputs: Inputs, stereo: Waveform, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(inputs.stereo_wav.parent))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/stereo%20clicks.wav"
        src = resolve(url, "audio")
        assert src is not None and src.source == "url"
        with decode(src) as w:
            assert (w.rate, w.channels, w.n) == (RATE, 2, STEREO_N)
            a, b = w.envelope(0, 3, 500), stereo.envelope(0, 3, 500)
            np.testing.assert_array_equal(a.hi, b.hi)
        with pytest.raises(MediaError, match=r"missing\.wav"):
            decode(
                MediaSource(
                    "audio", "url", "audio/wav", url, url=url.replace("stereo%20clicks", "missing")
                )
            )
    finally:
        server.shutdown()
        server.server_close()


# --- envelope edges -----------------------------------------------------------------------


def test_empty_and_clipped_windows(mono: Waveform, inputs: Inputs) -> None:
    for lo, hi, t0 in [
        (1.0, 1.0, 1.0),
        (2.0, 1.0, 2.0),
        (5.0, 9.0, 4.0),
        (-3.0, -1.0, 0.0),
        (np.inf, np.inf, 4.0),
    ]:
        env = mono.envelope(lo, hi, 100)
        assert env.lo.shape == env.hi.shape == (0,) and env.t0 == t0
    whole = check_exact(mono, inputs.mono_f, -10.0, 100.0, 500)
    assert whole.t0 == 0.0 and 500 <= whole.lo.shape[0] <= 1.25 * 500 + 2
    env = mono.envelope(0.0, 4.0, 0)  # buckets < 1 count as 1
    assert 1 <= env.lo.shape[0] <= 3 and env.lo.min() == inputs.mono_f.min()
    assert env.dt <= 4.0


def test_close_frees_and_refuses(inputs: Inputs) -> None:
    w = decode(source(inputs.mono_wav))
    assert w.disk_bytes == MONO_N * 4
    w.close()
    w.close()
    assert w.disk_bytes == 0
    with pytest.raises(MediaError, match=r"mono\.wav.*closed"):
        w.envelope(0, 1, 10)


# --- 4. errors ----------------------------------------------------------------------------


def test_video_without_audio(tmp_path: Path) -> None:
    path = tmp_path / "silent film.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=black:s=64x64:d=1", "-an", "-pix_fmt", "yuv420p", str(path)
    )
    src = resolve(path)
    assert src is not None and src.kind == "video"
    with pytest.raises(MediaError, match=r"silent film\.mp4.*has no audio stream") as info:
        decode(src)
    assert isinstance(info.value, TraitError) and isinstance(info.value, ValueError)
    with pytest.raises(MediaError, match=r"media bytes.*has no audio stream"):
        decode(bytes_source(path))


def test_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.wav"
    path.write_bytes(np.random.default_rng(5).bytes(5000))
    with pytest.raises(
        MediaError, match=r"broken\.wav.*exit status.*Invalid data.*pass a readable"
    ):
        decode(source(path))
    with pytest.raises(MediaError, match=r"media bytes"):
        decode(bytes_source(path))


def test_missing_imageio_ffmpeg(inputs: Inputs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    with pytest.raises(MediaError, match=r"pip install imageio-ffmpeg"):
        decode(source(inputs.mono_wav))


def test_url_path_on_the_server_is_refused() -> None:
    src = resolve("/files/data/a.wav", "audio")
    assert src is not None and src.source == "url"
    with pytest.raises(MediaError, match=r"/files/data/a\.wav.*local file path"):
        decode(src)


def test_bad_arguments(inputs: Inputs) -> None:
    with pytest.raises(ValueError, match="block"):
        decode(source(inputs.mono_wav), block=1)
    with pytest.raises(ValueError, match="chunk_bytes"):
        decode(source(inputs.mono_wav), chunk_bytes=0)


def test_failure_mid_stream_kills_ffmpeg(inputs: Inputs) -> None:
    def stop(fraction: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        decode(source(inputs.mono_wav), chunk_bytes=4096, progress=stop)


# --- 5. the cache -------------------------------------------------------------------------


def test_cache_same_future_background_and_retry(
    inputs: Inputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    calls: list[str] = []
    real = waveform.decode

    def slow(src: MediaSource, **kw: object) -> Waveform:
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            release.wait(10)
            raise MediaError(f"{src.name}: first attempt fails")
        return real(src)

    monkeypatch.setattr(waveform, "decode", slow)
    cache = WaveformCache()
    futs: list[Future[Waveform]] = []
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        futs.append(cache.get(source(inputs.mono_wav)))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first = futs[0]
    assert all(f is first for f in futs)
    assert not first.done()  # decoding in the background, get() did not wait
    release.set()
    with pytest.raises(MediaError, match="first attempt fails"):
        first.result(timeout=10)
    assert calls == ["tsvideo-waveform"]
    second = cache.get(source(inputs.mono_wav))  # a failure is not kept: this retries
    assert second is not first
    w = second.result(timeout=20)
    assert (w.rate, w.channels, w.n) == (RATE, 1, MONO_N)
    assert cache.get(source(inputs.mono_wav)) is second
    assert cache.get(bytes_source(inputs.mono_wav)) is not second
    assert len(calls) == 3


def test_cache_real_decode_and_keys(inputs: Inputs, tmp_path: Path) -> None:
    cache = WaveformCache(max_entries=3)
    a = cache.get(source(inputs.stereo_wav))
    assert cache.get(source(inputs.stereo_wav)) is a
    b = cache.get(bytes_source(inputs.stereo_wav))
    assert cache.get(bytes_source(inputs.stereo_wav)) is b is not a
    wa, wb = a.result(timeout=20), b.result(timeout=20)
    np.testing.assert_array_equal(wa.envelope(0, 3, 99).hi, wb.envelope(0, 3, 99).hi)
    # A broken file fails in the future, naming the file; once fixed (new mtime), it decodes.
    path = tmp_path / "later.wav"
    path.write_bytes(b"RIFF nonsense")
    bad = cache.get(source(path))
    with pytest.raises(MediaError, match=r"later\.wav"):
        bad.result(timeout=20)
    time.sleep(0.01)
    write_wav(path, inputs.mono[:4800])
    good = cache.get(source(path))
    assert good is not bad and good.result(timeout=20).n == 4800
    assert len(cache) == 3
    cache.get(source(inputs.three_wav)).result(timeout=20)
    assert len(cache) == 3  # the oldest was dropped
    assert cache.get(source(inputs.stereo_wav)) is not a
    assert isinstance(waveform.CACHE, WaveformCache)


# --- 6. streaming -------------------------------------------------------------------------


def test_decode_streams_instead_of_buffering(tmp_path: Path) -> None:
    """A minute of 48 kHz stereo decodes to 23 MB of float32; Python never holds that."""
    n = 60 * RATE
    rng = np.random.default_rng(6)
    samples = rng.integers(-20_000, 20_000, (n, 2), dtype=np.int16)
    samples[1_234_567, 0] = 32_000
    path = write_wav(tmp_path / "minute.wav", samples)
    del samples
    decoded = n * 2 * 4
    tracemalloc.start()
    try:
        w = decode(source(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    with w:
        assert w.n == n
        assert peak < 8 * 2**20 < decoded / 2, f"peak {peak / 2**20:.1f} MiB while decoding"
        env = w.envelope(0, 60, 100)
        assert env.hi.max() == np.float32(32_000 / 32768)
