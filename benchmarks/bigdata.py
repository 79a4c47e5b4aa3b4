#!/usr/bin/env python
"""Data beyond memory, kernel side (no browser): tsvideo-widget against plotly-resampler.

    python benchmarks/bigdata.py              # full: 1e10 int16 memmap (20 GB) + 1e8 x 8 float32
    python benchmarks/bigdata.py --quick      # the memmap case at 1e9 samples (2 GB)
    python benchmarks/bigdata.py --scenarios memmap       # one scenario (memmap, inmem, bytes)
    python benchmarks/bigdata.py --n-memmap 1e8 --n-inmem 1e6 --refreshes 20   # a smoke test

Needs the package and plotly-resampler (``pip install -r benchmarks/requirements.txt``), about
2 bytes x n-memmap of free disk under ``--workdir`` (default /tmp/bigbench, created and deleted
again unless ``--keep``) and, for the in-memory scenario, about 6 GB of free memory (it waits up
to ``--mem-wait`` seconds for it, then skips with the reason). Every measured step runs in a
fresh subprocess of this script (``--worker``), so nothing one step leaves in Python (imports,
arrays, the pyramid) is warm in the next, and each step's memory is its own. Results go to
``benchmarks/out/bigdata.json`` (``--out``) and a markdown table goes to stdout: scenario,
measure, value, target, met?, peer value (plotly-resampler measured in the same run) and ratio
(tsvideo / peer: below 1 is better for tsvideo). Medians over runs; p95 is numpy's linear
percentile.

What each number means
----------------------
**memmap int16** (``--n-memmap``, 1e10 = 20 GB; 1e9 with ``--quick``): a +-1 random walk
(reflected into [-16384, 16384]) written as a ``.npy`` in chunks (bounded memory; the write is
timed but not a target), opened with ``np.load(path, mmap_mode="r")`` and shown as
``TimeSeriesVideo({"y": m}, time=None, sample_rate=1000.0, cache_dir=<workdir>/cache)``.

* *disk read (dd)*: ``dd bs=16M`` of the whole file, page cache dropped before: the disk's
  buffered read speed. *CPU reduce rate*: the pyramid's level-0 reduction
  (``tsvideo_widget.pyramid.level_zero``) of an int16 array in RAM, with 1 thread and with the
  build's thread pool. The build cannot go faster than the slower of the two. Three more
  cold passes over the file, 1 thread each, to see what reading costs: plain ``readinto``
  (no compute), ``readinto`` + the block min/max, and a pass through the memory mapping
  touching every page (how the build reads), each with its CPU seconds (user, sys).
* *first open*: construction with an empty cache folder (pyramid built in one streaming pass
  and stored), the file cold in the page cache when ``posix_fadvise(DONTNEED)`` could drop it
  (the JSON and the table say cold or warm, from ``fincore``). Target <= 180 s. Its
  breakdown (``phases`` in the JSON, from wrappers around the package's functions installed
  in the worker only): cache lookup (its content digest), level 0, coarser levels, cache
  store, overview, the rest; plus the process's CPU seconds (user, sys; ~2x wall = both cores
  busy), the bytes it read from disk (``/proc/self/io``) and the CPU the *other* processes on
  the machine used meanwhile (``/proc/stat`` minus this step's: "cores of 2").
* *peak RSS*: the largest ``VmRSS`` sampled from ``/proc/self/status`` every 50 ms in a thread
  during the construction (target <= 1 GB), split into anonymous and file-backed pages, with
  the phase it fell in (the JSON has the whole timeline and the phases' start and end), and
  ``VmHWM`` (reset through ``/proc/self/clear_refs`` just before, when allowed: the JSON
  says).
* *reopen*: in a fresh process, construction of a widget on the same file (the pyramid found
  in the cache, memory-mapped), and *first paint (kernel)* = that + ``w.detail`` of the initial
  view (the widget's own selection, what the browser asks for first). Target <= 1.0 s. The
  detail of the whole span is timed too (JSON). "warm" = right after the first open, with
  whatever the page cache kept (residency in the JSON); "cold" = data file and cache folder
  dropped from the page cache first. Each with its phases and the bytes read from disk, by
  the reopen and by the refreshes after it. A third, labelled *what-if*, is a cold reopen
  with ``madvise(MADV_RANDOM)`` on the data file's mapping (no 8 MB read-around per page
  fault): not what the package does, a measure of what its read-around costs.
* *refresh p50 / p95*: ``--refreshes`` (200) windows with log-uniform widths from 1e-6 of the
  span to the whole span, placed uniformly, seeded; each ``w.detail(lo, hi, 1000)`` timed.
  Target p95 <= 50 ms. *RSS after refreshes*: ``VmRSS`` after them.
* *cache size*: bytes on disk (allocated blocks) of the cache folder, and its share of the data.
* peer: ``FigureResampler`` with ``hf_y=<the memmap>`` and no ``hf_x`` (plotly-resampler uses a
  RangeIndex then; a float64 time array of 1e10 samples would be 80 GB). Its first figure
  (``add_trace``, which aggregates, + ``_get_current_graph()``) from a cold file, then a second
  one (it keeps nothing between figures), then the same refresh windows through
  ``_construct_update_data`` (what its relayout callback computes) until ``--peer-budget``
  seconds are used: the peer's refresh figures, and the ratio, are over the windows it got
  through (tsvideo's over the same windows).

**in-memory 1e8 x 8 float32** (``--n-inmem``, ``--channels``): 8 random-walk float32 arrays
(3.2 GB) in a dict, ``TimeSeriesVideo(chans, time=None, sample_rate=1000.0, cache_dir=False)``;
construction time, median of ``--repeats`` (3), target <= 0.5 s. Breakdown: each step's
median over the constructions, timed inside them as for the first open (preparing the series,
level 0, coarser levels, fingerprint, overview, the rest: traits, comm), and the pyramid build
alone (``PyramidSource.build(w.series, None, progress=False)``), median of the repeats. The
same data as a DataFrame with a float64 ``time`` column (shared, not copied),
``TimeSeriesVideo(df, time="time", cache_dir=False)``, for comparison. Peer:
``FigureResampler(go.Figure())`` + one ``add_trace(go.Scattergl(name=c), hf_x=t, hf_y=arr)`` per
channel (``t = arange(n) / 1000`` float64; add_trace aggregates each trace, MinMaxLTTB to 1000
points) + ``_get_current_graph()``, median of the same repeats; its ``to_json()`` (what a first
figure sends) is timed apart. Refresh p50/p95 over the same kind of windows, tsvideo
``w.detail`` vs plotly-resampler ``_construct_update_data`` (kernel side only, no target).

**refresh bytes**: per refresh, tsvideo's reply = JSON header (compact ``json.dumps``) + the
buffers' nbytes for a 1000-px window (about 4 points per column, float32 times + the channels'
own dtype); plotly-resampler's = the JSON its Dash relayout callback returns for the same
x-range change (``construct_update_data_patch`` serialised by ``dash._utils.to_json``; 1000
points per trace, numbers as JSON text), and in the JSON also its raw x + y array bytes (what a
binary transport would carry). Medians over the refresh windows. First-paint payloads (tsvideo's
overview buffers, plotly's first figure JSON) are in the JSON too.

Caveats: one shared 2-core machine; other work on it shows up in the numbers (load average
and available memory are recorded at every step). "Kernel side" leaves out the transport and
the browser: see ``benchmarks/run.py`` for end-to-end figures.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import mmap
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from sysinfo import cpu_model, meminfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GB = 1e9
MiB = 2**20
SAMPLE_RATE = 1000.0
DETAIL_PX = 1000
CHUNK = 1 << 26  # samples generated and written per step (128 MiB of int16)

TARGETS = {
    "first_open_s": 180.0,
    "first_open_rss_bytes": 1e9,
    "reopen_s": 1.0,
    "refresh_p95_ms": 50.0,
    "inmem_construct_s": 0.5,
}


# ============================================================================ small helpers


def log(msg: str) -> None:
    print(f"[bigdata {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def med(xs: list[float]) -> float | None:
    return float(statistics.median(xs)) if xs else None


def p95(xs: list[float]) -> float | None:
    return float(np.percentile(xs, 95)) if xs else None


def machine_state() -> dict[str, Any]:
    """Load average and free memory now: other work on the machine shows in the numbers."""
    mi = meminfo()
    return {
        "loadavg": [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]],
        "mem_available_bytes": mi.get("MemAvailable"),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle or waiting on I/O) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields[:8]) - fields[3] - fields[4]) / tick


def proc_status() -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon, RssFile, RssShmem of this process (bytes)."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                out[k] = int(v.split()[0]) * 1024
    return out


def proc_io() -> dict[str, int]:
    """read_bytes (from the disk) and rchar (all reads) of this process, or {}."""
    try:
        out = {}
        for line in Path("/proc/self/io").read_text().splitlines():
            k, _, v = line.partition(":")
            out[k] = int(v)
        return {"read_bytes": out.get("read_bytes", 0), "rchar": out.get("rchar", 0)}
    except OSError:
        return {}


def cpu_times() -> tuple[float, float]:
    """(user, system) CPU seconds of this process, all threads."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime, ru.ru_stime


class RssSampler:
    """Peak resident memory of this process over a block: ``VmRSS`` every ``every`` seconds
    from a thread, and ``VmHWM`` (reset at the start through ``/proc/self/clear_refs`` when
    the kernel allows it)."""

    KEYS = ("VmRSS", "RssAnon", "RssFile", "RssShmem")

    def __init__(self, every: float = 0.05) -> None:
        self.every = every
        self.peak: dict[str, int] = {}
        self.peak_at = 0.0
        self.timeline: list[tuple[float, int, int, int]] = []
        """(perf_counter, VmRSS, RssAnon, RssFile) of every sample."""
        self._stop = threading.Event()

    def _sample(self) -> None:
        s = proc_status()
        now = time.perf_counter()
        self.timeline.append((now, s.get("VmRSS", 0), s.get("RssAnon", 0), s.get("RssFile", 0)))
        if s.get("VmRSS", 0) > self.peak.get("VmRSS", -1):
            self.peak_at = now
        for k in self.KEYS:
            self.peak[k] = max(self.peak.get(k, 0), s.get(k, 0))

    def _run(self) -> None:
        while True:
            self._sample()
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> RssSampler:
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.hwm_reset = True
        except OSError:
            self.hwm_reset = False
        self.before = proc_status()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.after = proc_status()

    def summary(self, t0: float) -> dict[str, Any]:
        """Peaks, and the timeline from ``t0`` (seconds; MB of VmRSS, RssAnon, RssFile)."""
        return {
            "peak_rss_at_s": self.peak_at - t0,
            "timeline_s_rss_anon_file_mb": [
                [round(t - t0, 3), r // MiB, a // MiB, f // MiB] for t, r, a, f in self.timeline
            ],
            "peak_rss_bytes": self.peak.get("VmRSS"),
            "peak_rss_anon_bytes": self.peak.get("RssAnon"),
            "peak_rss_file_bytes": self.peak.get("RssFile"),
            "vmhwm_bytes": self.after.get("VmHWM"),
            "vmhwm_reset": self.hwm_reset,
            "rss_before_bytes": self.before.get("VmRSS"),
            "rss_after_bytes": self.after.get("VmRSS"),
            "samples": len(self.timeline),
        }


@contextlib.contextmanager
def measured(phases: Phases | None = None) -> Iterator[dict[str, Any]]:
    """Wall time, CPU time (user, sys), disk reads and peak RSS of a block, into the yielded
    dict; with ``phases``, their totals over the block and the phase the RSS peak fell in."""
    out: dict[str, Any] = {}
    io0, (u0, s0) = proc_io(), cpu_times()
    if phases is not None:
        phases.reset()
    with RssSampler() as rs:
        t0 = time.perf_counter()
        yield out
        out["seconds"] = time.perf_counter() - t0
    u1, s1 = cpu_times()
    out["cpu_user_seconds"], out["cpu_sys_seconds"] = u1 - u0, s1 - s0
    out["cpu_seconds"] = out["cpu_user_seconds"] + out["cpu_sys_seconds"]
    io1 = proc_io()
    if io0 and io1:
        out["disk_read_bytes"] = io1["read_bytes"] - io0["read_bytes"]
    out.update(rs.summary(t0))
    if phases is not None:
        rest = out["seconds"] - sum(phases.totals.values())
        out["phases"] = {k: phases.totals[k] for k in PHASE_ORDER if k in phases.totals}
        out["phases"]["rest"] = rest
        out["phase_spans_s"] = [[k, round(a - t0, 3), round(b - t0, 3)] for k, a, b in phases.spans]
        out["peak_rss_phase"] = phases.at(rs.peak_at)


def refresh_windows(span: float, count: int, seed: int) -> list[tuple[float, float]]:
    """``count`` windows: log-uniform widths from 1e-6 of ``span`` to ``span``, placed uniformly."""
    rng = np.random.default_rng(seed)
    widths = span * 10.0 ** rng.uniform(-6.0, 0.0, count)
    los = rng.uniform(0.0, 1.0, count) * (span - widths)
    return [(float(a), float(a + w)) for a, w in zip(los, widths, strict=True)]


def reply_bytes(header: dict[str, Any], bufs: list[Any]) -> int:
    """Bytes of a detail reply: compact JSON header + its binary buffers."""
    head = json.dumps(header, separators=(",", ":"), default=float).encode()
    return len(head) + sum(memoryview(b).nbytes for b in bufs)


def files_under(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += [q for q in sorted(p.rglob("*")) if q.is_file()]
        elif p.is_file():
            out.append(p)
    return out


def residency(paths: list[Path]) -> dict[str, Any] | None:
    """Bytes of ``paths`` (files, or folders' files) in the page cache, from ``fincore``."""
    files = files_under(paths)
    if not files or shutil.which("fincore") is None:
        return None
    cmd = ["fincore", "--bytes", "--noheadings", "--raw", "--output", "RES,SIZE"]
    try:
        out = subprocess.run(
            cmd + [str(f) for f in files], capture_output=True, text=True, timeout=300
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    res = size = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            res, size = res + int(parts[0]), size + int(parts[1])
    return {"resident_bytes": res, "size_bytes": size, "fraction": res / size if size else 0.0}


def drop_page_cache(paths: list[Path]) -> dict[str, Any]:
    """``os.sync()`` then ``posix_fadvise(DONTNEED)`` on every file; residency after."""
    os.sync()
    ok = True
    for f in files_under(paths):
        try:
            fd = os.open(f, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
        except (OSError, AttributeError):
            ok = False
    res = residency(paths)
    cold = ok and res is not None and res["fraction"] < 0.01
    return {"fadvise_ok": ok, "residency": res, "state": "cold" if cold else "warm"}


def disk_usage(path: Path) -> dict[str, int]:
    files = files_under([path])
    return {
        "files": len(files),
        "apparent_bytes": sum(f.stat().st_size for f in files),
        "allocated_bytes": sum(f.stat().st_blocks * 512 for f in files),
    }


# ============================================================================ workers


def w_write(p: dict[str, Any]) -> dict[str, Any]:
    """Write an n-sample int16 random walk as a .npy, a chunk at a time (bounded memory).

    Steps are +-1 (one random bit each); the walk wraps in int16 and ``abs`` of it is the
    walk reflected at 0 and at 32768, shifted to [-16384, 16384].
    """
    n, path = int(p["n"]), Path(p["path"])
    m = np.lib.format.open_memmap(path, mode="w+", dtype=np.int16, shape=(n,))
    offset = int(m.offset)
    del m
    rng = np.random.default_rng(p["seed"])
    carry = np.int16(0)
    gen_s = write_s = 0.0
    t0 = time.perf_counter()
    with open(path, "r+b") as f:
        f.seek(offset)
        for s in range(0, n, CHUNK):
            c0 = time.perf_counter()
            k = min(CHUNK, n - s)
            raw = rng.bit_generator.random_raw(-(-k // 8)).view(np.int8)[:k]
            np.right_shift(raw, 7, out=raw)  # 0 or -1 from the top bit
            np.bitwise_or(raw, 1, out=raw)  # +1 or -1
            walk = np.cumsum(raw, dtype=np.int16)
            walk += carry
            carry = walk[-1]
            np.abs(walk, out=walk)  # -32768 stays -32768: as uint16, 32768
            walk -= np.int16(16384)  # wraps into [-16384, 16384]
            c1 = time.perf_counter()
            f.write(memoryview(walk))
            write_s += time.perf_counter() - c1
            gen_s += c1 - c0
            if (s // CHUNK) % 16 == 0:
                log(f"write {s / n:6.1%} ({(s + k) * 2 / GB:.1f} GB)")
        c1 = time.perf_counter()
        f.flush()
        os.fsync(f.fileno())
        fsync_s = time.perf_counter() - c1
    return {
        "seconds": time.perf_counter() - t0,
        "generate_seconds": gen_s,
        "write_call_seconds": write_s,
        "fsync_seconds": fsync_s,
        "bytes": path.stat().st_size,
    }


def w_reads(p: dict[str, Any]) -> dict[str, Any]:
    """One pass over the file, 1 thread, by ``p["mode"]``:

    * ``readinto``: plain ``f.readinto`` of 16 MiB chunks into a numpy buffer (no compute);
    * ``readinto_reduce``: the same, plus each chunk's block minima and maxima as level 0
      computes them (``np.minimum/maximum.reduceat``, blocks of 64);
    * ``mmap_touch``: through ``np.load(mmap_mode="r")`` like the build, one sample per
      4 KiB page read, each chunk's pages given back (``release``), no reduction.
    """
    from tsvideo_widget.mapped import mapping_of, release
    from tsvideo_widget.pyramid import BASE

    path, mode = p["path"], p["mode"]
    with measured() as m:
        if mode == "mmap_touch":
            arr = np.load(path, mmap_mode="r")
            mp = mapping_of(arr)
            step = 1 << 22
            acc = 0
            for s in range(0, arr.shape[0], step):
                seg = np.asarray(arr[s : s + step])
                acc += int(seg[:: mmap.PAGESIZE // 2].max())
                if mp is not None:
                    release(mp, seg)
        else:
            offset = int(np.load(path, mmap_mode="r").offset)
            buf = np.empty(1 << 23, dtype=np.int16)
            idx = np.arange(0, buf.shape[0], BASE)
            lo, hi = np.empty(idx.shape[0], np.int16), np.empty(idx.shape[0], np.int16)
            with open(path, "rb", buffering=0) as f:
                f.seek(offset)
                while True:
                    got = f.readinto(memoryview(buf).cast("B")) // 2
                    if got <= 0:
                        break
                    if mode == "readinto_reduce":
                        k = -(-got // BASE)
                        np.minimum.reduceat(buf[:got], idx[:k], out=lo[:k])
                        np.maximum.reduceat(buf[:got], idx[:k], out=hi[:k])
    size = Path(path).stat().st_size
    m["gb_per_s"] = size / GB / m["seconds"]
    return m


def w_cpu_rate(p: dict[str, Any]) -> dict[str, Any]:
    """Level-0 reduction rate of an int16 array in RAM: 1 thread and the build's pool."""
    from concurrent.futures import ThreadPoolExecutor

    from tsvideo_widget.pyramid import BASE, level_zero

    n = int(p["n"])
    a = np.cumsum(np.random.default_rng(1).integers(-1, 2, n, dtype=np.int8), dtype=np.int16)
    workers = min(os.cpu_count() or 1, 8)
    out: dict[str, Any] = {"n": n, "bytes": a.nbytes, "workers": workers}
    level_zero(a[: 1 << 22], BASE)  # warm up
    for name, pool in (("one_thread", None), ("pool", ThreadPoolExecutor(workers))):
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            level_zero(a, BASE, pool)
            runs.append(time.perf_counter() - t0)
        out[f"{name}_seconds"] = med(runs)
        out[f"{name}_gb_per_s"] = a.nbytes / GB / med(runs)
        if pool is not None:
            pool.shutdown()
    return out


PHASE_ORDER = (
    "series_prepare",
    "cache_load",
    "level0",
    "coarser_levels",
    "fingerprint",
    "overview",
    "rest",
)


class Phases:
    """Time spent in the package's build steps, from wrappers installed in this worker only.

    ``totals``: seconds per step since :meth:`reset`; ``spans``: (step, start, end) in
    ``perf_counter`` time. The steps do not nest, so the totals add up.
    """

    def __init__(self) -> None:
        import tsvideo_widget.data as data_mod
        import tsvideo_widget.pipeline as pl
        import tsvideo_widget.pyramid as pm
        import tsvideo_widget.pyrcache as pc

        self.totals: dict[str, float] = {}
        self.spans: list[tuple[str, float, float]] = []
        self._wrap(data_mod, "prepare", "series_prepare")
        self._wrap(pm, "level_zero", "level0")
        self._wrap(pm, "reduce_blocks", "coarser_levels")
        self._wrap(pc.PyramidCache, "load", "cache_load")
        self._wrap(pl, "fingerprint", "fingerprint")
        self._wrap(pl.Prepared, "overview_json", "overview")

    def _wrap(self, owner: Any, name: str, key: str) -> None:
        orig = getattr(owner, name)

        def timed(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return orig(*a, **k)
            finally:
                t1 = time.perf_counter()
                self.totals[key] = self.totals.get(key, 0.0) + t1 - t0
                self.spans.append((key, t0, t1))

        setattr(owner, name, timed)

    def reset(self) -> None:
        self.totals.clear()
        self.spans.clear()

    def at(self, t: float) -> str:
        """The step running at ``perf_counter`` time ``t`` ("other" when none)."""
        for key, a, b in self.spans:
            if a <= t <= b:
                return key
        return "other"


def open_widget(path: str, cache: str, madv_random: bool = False) -> Any:
    from tsvideo_widget import TimeSeriesVideo

    m = np.load(path, mmap_mode="r")
    if madv_random:  # what-if: no read-around on the data mapping (not what the package does)
        m._mmap.madvise(mmap.MADV_RANDOM)
    return TimeSeriesVideo({"y": m}, time=None, sample_rate=SAMPLE_RATE, cache_dir=cache)


def initial_view(w: Any) -> tuple[float, float]:
    s = w.series
    a, b = w.selection
    return float(s.to_rel(a)), float(s.to_rel(b))


def w_build(p: dict[str, Any]) -> dict[str, Any]:
    """First open: construction with an empty cache folder."""
    import tsvideo_widget  # noqa: F401  (imported before the clock starts)

    phases = Phases()
    with measured(phases) as m:
        w = open_widget(p["path"], p["cache"])
    lo, hi = initial_view(w)
    t0 = time.perf_counter()
    w.detail(lo, hi, DETAIL_PX)
    m["initial_detail_seconds"] = time.perf_counter() - t0
    m["pyramid_bytes"] = sum(pyr.nbytes for pyr in w.prepared.source.pyramids)
    m["rss_after_detail_bytes"] = proc_status().get("VmRSS")
    return m


def timed_refreshes(w: Any, windows: list[tuple[float, float]]) -> dict[str, Any]:
    ms, nbytes = [], []
    for lo, hi in windows:
        t0 = time.perf_counter()
        header, bufs = w.detail(lo, hi, DETAIL_PX)
        ms.append((time.perf_counter() - t0) * 1e3)
        nbytes.append(reply_bytes(header, bufs))
    return {
        "ms": ms,
        "bytes": nbytes,
        "p50_ms": med(ms),
        "p95_ms": p95(ms),
        "max_ms": max(ms) if ms else None,
        "bytes_median": med([float(b) for b in nbytes]),
    }


def w_reopen(p: dict[str, Any]) -> dict[str, Any]:
    """Reopen (cache hit) + first-paint detail + the refresh windows, in a fresh process."""
    import tsvideo_widget  # noqa: F401

    phases = Phases()
    io0 = proc_io()
    with measured(phases) as m:
        w = open_widget(p["path"], p["cache"], p.get("madv_random", False))
    lo, hi = initial_view(w)
    t0 = time.perf_counter()
    header, bufs = w.detail(lo, hi, DETAIL_PX)
    m["initial_detail_seconds"] = time.perf_counter() - t0
    m["initial_view"] = [lo, hi]
    m["initial_detail_bytes"] = reply_bytes(header, bufs)
    m["first_paint_seconds"] = m["seconds"] + m["initial_detail_seconds"]
    span = float(w.series.span)
    t0 = time.perf_counter()
    w.detail(0.0, span, DETAIL_PX)
    m["full_span_detail_seconds"] = time.perf_counter() - t0
    m["cache_hit"] = "level0" not in m["phases"]
    ov = w._overview
    m["overview_bytes"] = sum(memoryview(b).nbytes for b in [ov["x"], *ov["ys"]])
    m["refresh"] = timed_refreshes(w, refresh_windows(span, p["refreshes"], p["seed"]))
    m["rss_after_refreshes_bytes"] = proc_status().get("VmRSS")
    io1 = proc_io()
    if io0 and io1:
        m["disk_read_bytes_total"] = io1["read_bytes"] - io0["read_bytes"]
    return m


def peer_reply_bytes(data: Any) -> tuple[int, int]:
    """(JSON bytes of the Dash relayout reply, raw x + y array bytes) of one update.

    ``data`` is what ``_construct_update_data`` returned; the reply is built as
    ``construct_update_data_patch`` builds it (a ``dash.Patch`` assigning each updated
    trace's properties) and serialised as Dash serialises a callback's output.
    """
    import dash

    try:
        from dash._utils import to_json
    except ImportError:  # another dash layout
        from plotly.io.json import to_json_plotly as to_json
    if not isinstance(data, list) or len(data) <= 1:
        return 0, 0
    patch = dash.Patch()
    raw = 0
    for trace in data[1:]:
        trace = dict(trace)
        index = trace.pop("index")
        for k, v in trace.items():
            patch["data"][index][k] = v
        raw += sum(np.asarray(trace[k]).nbytes for k in ("x", "y") if k in trace)
    return len(to_json(patch).encode()), raw


def peer_refreshes(
    fig: Any, windows: list[tuple[float, float]], scale: float, budget: float
) -> dict[str, Any]:
    """Time ``_construct_update_data`` for each window (x in ``scale`` units per second)
    until ``budget`` seconds are used, and the bytes of each reply (not timed)."""
    ms: list[float] = []
    jbytes: list[float] = []
    rbytes: list[float] = []
    start = time.perf_counter()
    for lo, hi in windows:
        if time.perf_counter() - start > budget:
            break
        relayout = {"xaxis.range[0]": lo * scale, "xaxis.range[1]": hi * scale}
        t0 = time.perf_counter()
        data = fig._construct_update_data(relayout)
        ms.append((time.perf_counter() - t0) * 1e3)
        j, r = peer_reply_bytes(data)
        jbytes.append(float(j))
        rbytes.append(float(r))
    return {
        "ms": ms,
        "json_bytes": jbytes,
        "done": len(ms),
        "planned": len(windows),
        "p50_ms": med(ms),
        "p95_ms": p95(ms),
        "max_ms": max(ms) if ms else None,
        "json_bytes_median": med(jbytes),
        "raw_bytes_median": med(rbytes),
    }


def peer_figure(channels: list[tuple[str, Any, Any]]) -> Any:
    """plotly-resampler's first figure: one add_trace per channel (each aggregates)."""
    import plotly.graph_objects as go
    from plotly_resampler import FigureResampler

    fig = FigureResampler(go.Figure())
    for name, x, y in channels:
        if x is None:
            fig.add_trace(go.Scattergl(name=name), hf_y=y)
        else:
            fig.add_trace(go.Scattergl(name=name), hf_x=x, hf_y=y)
    fig._get_current_graph()
    return fig


def w_peer_memmap(p: dict[str, Any]) -> dict[str, Any]:
    """plotly-resampler on the memmap: first figure (cold file), a second, then refreshes."""
    import plotly_resampler  # noqa: F401

    m = np.load(p["path"], mmap_mode="r")
    out: dict[str, Any] = {}
    with measured() as first:
        fig = peer_figure([("y", None, m)])
    out["first"] = first
    del fig
    gc.collect()
    with measured() as second:
        fig = peer_figure([("y", None, m)])
    out["second"] = second
    span = (m.shape[0] - 1) / SAMPLE_RATE
    windows = refresh_windows(span, p["refreshes"], p["seed"])
    out["refresh"] = peer_refreshes(fig, windows, SAMPLE_RATE, p["budget"])
    out["rss_after_refreshes_bytes"] = proc_status().get("VmRSS")
    return out


def dispose(obj: Any) -> None:
    """Close a widget (ipywidgets keeps every open widget alive); other objects just drop."""
    if hasattr(obj, "close") and hasattr(obj, "comm"):
        obj.close()


def random_walks(n: int, nch: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    chans = {}
    for i in range(nch):
        a = rng.standard_normal(n, dtype=np.float32)
        np.cumsum(a, out=a)
        chans[f"ch{i}"] = a
    return chans


def w_inmem(p: dict[str, Any]) -> dict[str, Any]:
    """Scenario 2 (and its refresh bytes): dict and DataFrame constructions, the peer's."""
    import pandas as pd
    import plotly_resampler  # noqa: F401

    from tsvideo_widget import TimeSeriesVideo
    from tsvideo_widget.source import PyramidSource

    n, nch, repeats = int(p["n"]), int(p["channels"]), int(p["repeats"])
    out: dict[str, Any] = {"n": n, "channels": nch}
    t0 = time.perf_counter()
    chans = random_walks(n, nch, p["seed"])
    t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
    df = pd.DataFrame({"time": t, **chans}, copy=False)
    out["generate_seconds"] = time.perf_counter() - t0
    out["data_bytes"] = sum(a.nbytes for a in chans.values())
    out["df_shares_memory"] = bool(
        np.shares_memory(df["time"].to_numpy(), t)
        and all(np.shares_memory(df[c].to_numpy(), a) for c, a in chans.items())
    )
    out["rss_after_data_bytes"] = proc_status().get("VmRSS")

    def construct_dict() -> Any:
        return TimeSeriesVideo(chans, time=None, sample_rate=SAMPLE_RATE, cache_dir=False)

    def construct_df() -> Any:
        return TimeSeriesVideo(df, time="time", cache_dir=False)

    def peer() -> Any:
        return peer_figure([(c, t, a) for c, a in chans.items()])

    runs: dict[str, list[dict[str, Any]]] = {"dict": [], "df": [], "peer": []}
    keep: dict[str, Any] = {}
    phases = Phases()
    if p["construct"]:
        for r in range(repeats):
            for name, fn in (("dict", construct_dict), ("df", construct_df), ("peer", peer)):
                dispose(keep.pop(name, None))
                gc.collect()
                with measured(phases if name != "peer" else None) as m:
                    keep[name] = fn()
                runs[name].append(m)
                log(f"inmem run {r + 1}/{repeats} {name}: {m['seconds']:.3f} s")
        for name, rs in runs.items():
            secs = [r["seconds"] for r in rs]
            out[name] = {
                "runs": rs,
                "seconds_median": med(secs),
                "peak_rss_delta_median_bytes": med(
                    [float(r["peak_rss_bytes"] - r["rss_before_bytes"]) for r in rs]
                ),
            }
            if name != "peer":  # each step's median over the runs, timed inside them
                keys = [k for k in PHASE_ORDER if any(k in r["phases"] for r in rs)]
                out[name]["phases_median_seconds"] = {
                    k: med([r["phases"].get(k, 0.0) for r in rs]) for k in keys
                }
    if "dict" not in keep:
        keep["dict"] = construct_dict()
    if "peer" not in keep:
        keep["peer"] = peer()
    w, fig = keep["dict"], keep["peer"]

    if p["construct"]:
        # The pyramid build alone (no progress bar), median of the repeats, right after a
        # construction's own figures: on a shared machine both move with the load.
        series = w.series
        alone = []
        for _ in range(repeats):
            gc.collect()
            t0 = time.perf_counter()
            PyramidSource.build(series, None, progress=False)
            alone.append(time.perf_counter() - t0)
        bd = med(alone) or math.inf
        out["dict"]["pyramid_build_alone_seconds"] = bd
        out["pyramid_input_gb_per_s"] = out["data_bytes"] / GB / bd
        ser = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            blob = fig.to_json()
            ser.append(time.perf_counter() - t0)
        out["peer"]["to_json_seconds_median"] = med(ser)
        out["peer"]["first_figure_json_bytes"] = len(blob.encode())
        ov = w._overview
        out["dict"]["overview_bytes"] = sum(memoryview(b).nbytes for b in [ov["x"], *ov["ys"]])

    dispose(keep.pop("df", None))
    gc.collect()
    span = float(w.series.span)
    windows = refresh_windows(span, p["refreshes"], p["seed"])
    lo, hi = initial_view(w)
    header, bufs = w.detail(lo, hi, DETAIL_PX)
    out["initial_detail_bytes"] = reply_bytes(header, bufs)
    out["refresh"] = timed_refreshes(w, windows)
    out["peer_refresh"] = peer_refreshes(fig, windows, 1.0, p["budget"])
    # One "typical" change: a window of 1% of the span in the middle.
    mid = (0.495 * span, 0.505 * span)
    header, bufs = w.detail(*mid, DETAIL_PX)
    j, r = peer_reply_bytes(
        fig._construct_update_data({"xaxis.range[0]": mid[0], "xaxis.range[1]": mid[1]})
    )
    out["typical_window"] = {
        "window": list(mid),
        "tsvideo_bytes": reply_bytes(header, bufs),
        "tsvideo_points_per_channel": header.get("points"),
        "peer_json_bytes": j,
        "peer_raw_bytes": r,
    }
    out["rss_end_bytes"] = proc_status().get("VmRSS")
    return out


WORKERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "write": w_write,
    "cpu_rate": w_cpu_rate,
    "reads": w_reads,
    "build": w_build,
    "reopen": w_reopen,
    "peer_memmap": w_peer_memmap,
    "inmem": w_inmem,
}


def worker_main(args: argparse.Namespace) -> int:
    params = json.loads(args.params)
    result = WORKERS[args.worker](params)
    Path(args.result).write_text(json.dumps(result))
    return 0


def run_worker(step: str, params: dict[str, Any], workdir: Path, timeout: float) -> dict[str, Any]:
    """Run one step in a fresh process; its result, or {"error": ...}."""
    result = workdir / f"result-{step}.json"
    result.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", step]
    cmd += ["--params", json.dumps(params), "--result", str(result)]
    log(f"step {step} ...")
    state = machine_state()
    busy0 = busy_cpu_seconds()
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, timeout=timeout, cwd=REPO, stdout=sys.stderr)
        rc: int | str = proc.returncode
    except subprocess.TimeoutExpired:
        rc = f"timeout after {timeout:.0f} s"
    wall = time.perf_counter() - t0
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    mine = (kids1.ru_utime - kids0.ru_utime) + (kids1.ru_stime - kids0.ru_stime)
    others = (busy_cpu_seconds() - busy0 - mine) / wall if wall > 0 else None
    if rc == 0 and result.exists():
        out = json.loads(result.read_text())
        result.unlink()
    else:
        out = {"error": f"worker {step} failed: {rc}"}
    out["machine_before"] = state
    out["machine_after"] = machine_state()
    out["process_wall_seconds"] = wall
    out["other_processes_cores"] = others  # the rest of the machine's CPU use, in cores
    log(
        f"step {step} done in {wall:.1f} s (other processes used {others or 0:.2f} cores)"
        + (f": {out['error']}" if "error" in out else "")
    )
    return out


# ============================================================================ scenarios


def dd_read(path: Path, timeout: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    try:
        subprocess.run(
            ["dd", f"if={path}", "of=/dev/null", "bs=16M"],
            capture_output=True,
            timeout=timeout,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return {"error": str(exc)}
    secs = time.perf_counter() - t0
    size = path.stat().st_size
    return {"seconds": secs, "bytes": size, "gb_per_s": size / GB / secs}


def scenario_memmap(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    n = int(args.n_memmap)
    path = workdir / f"walk-{n:.0e}.npy".replace("+", "")
    cache = workdir / "cache"
    out: dict[str, Any] = {"n": n, "path": str(path)}
    need = 2 * n + 2 * 2**30
    free = shutil.disk_usage(workdir).free
    if free < need:
        out["skipped"] = f"{free / GB:.1f} GB free under {workdir}, {need / GB:.1f} GB needed"
        return out
    params = {"n": n, "path": str(path), "seed": args.seed}
    out["write"] = run_worker("write", params, workdir, 4 * 3600)
    if "error" in out["write"]:
        return out
    out["cpu_rate"] = run_worker("cpu_rate", {"n": 1 << 28}, workdir, 1800)
    out["dd_cold"] = {"drop": drop_page_cache([path])}
    log("dd read of the whole file ...")
    out["dd_cold"].update(dd_read(path, 4 * 3600))
    for mode in ("readinto", "readinto_reduce", "mmap_touch"):
        drop = drop_page_cache([path])
        out[f"read_{mode}"] = run_worker("reads", {"path": str(path), "mode": mode}, workdir, 3600)
        out[f"read_{mode}"]["drop"] = drop
    shutil.rmtree(cache, ignore_errors=True)
    out["build_drop"] = drop_page_cache([path])
    common = {"path": str(path), "cache": str(cache), "refreshes": args.refreshes}
    common["seed"] = args.seed
    out["build"] = run_worker("build", common, workdir, 4 * 3600)
    out["data_residency_after_build"] = residency([path])
    out["cache_residency_after_build"] = residency([cache])
    out["cache_disk"] = disk_usage(cache)
    out["data_disk"] = disk_usage(path)
    out["reopen_warm"] = run_worker("reopen", common, workdir, 3600)
    out["reopen_warm"]["data_residency_before"] = out["data_residency_after_build"]
    out["reopen_warm"]["cache_residency_before"] = out["cache_residency_after_build"]
    out["reopen_cold_drop"] = drop_page_cache([path, cache])
    out["reopen_cold"] = run_worker("reopen", common, workdir, 3600)
    out["reopen_cold_random_drop"] = drop_page_cache([path, cache])
    what_if = {**common, "madv_random": True}
    out["reopen_cold_random"] = run_worker("reopen", what_if, workdir, 3600)
    if not args.no_peer:
        out["peer_drop"] = drop_page_cache([path, cache])
        peer = {**common, "budget": args.peer_budget}
        out["peer"] = run_worker("peer_memmap", peer, workdir, 4 * 3600 + args.peer_budget)
    return out


def scenario_inmem(args: argparse.Namespace, workdir: Path, construct: bool) -> dict[str, Any]:
    n, nch = int(args.n_inmem), int(args.channels)
    need = int(n * (4 * nch + 8) * 1.5) + 2 * 2**30
    deadline = time.time() + args.mem_wait
    while meminfo().get("MemAvailable", 0) < need and time.time() < deadline:
        log(f"waiting for {need / GB:.1f} GB of free memory ...")
        time.sleep(30)
    avail = meminfo().get("MemAvailable", 0)
    if avail < need:
        return {"skipped": f"MemAvailable {avail / GB:.1f} GB < {need / GB:.1f} GB needed"}
    params = {
        "n": n,
        "channels": nch,
        "repeats": args.repeats,
        "refreshes": args.refreshes,
        "seed": args.seed,
        "construct": construct,
        "budget": args.peer_budget,
    }
    return run_worker("inmem", params, workdir, 3 * 3600)


# ============================================================================ report


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1e3:.1f} ms" if x < 1 else f"{x:.2f} s"


def fmt_ms(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f} ms"


def fmt_b(x: float | None) -> str:
    if x is None:
        return "—"
    for unit, k in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if x >= k:
            return f"{x / k:.2f} {unit}"
    return f"{x:.0f} B"


def rows(res: dict[str, Any]) -> list[dict[str, Any]]:
    """The table: scenario, measure, value, target, met, peer, ratio (strings and numbers)."""
    out: list[dict[str, Any]] = []

    def row(
        scen: str,
        measure: str,
        value: float | None,
        fmt: Callable[[float | None], str],
        target: float | None = None,
        peer: float | None = None,
        info: str = "",
    ) -> None:
        met = None if target is None or value is None else value <= target
        out.append(
            {
                "scenario": scen,
                "measure": measure + (f" ({info})" if info else ""),
                "value": value,
                "value_text": fmt(value),
                "target": target,
                "target_text": "—" if target is None else "≤ " + fmt(target),
                "met": met,
                "peer": peer,
                "peer_text": "—" if peer is None else fmt(peer),
                "ratio": ratio(value, peer),
            }
        )

    mm = res.get("memmap")
    if mm and "skipped" not in mm and "build" in mm:
        sc = f"memmap int16 {mm['n']:.0e}"
        wr, b = mm.get("write", {}), mm["build"]
        peer = mm.get("peer", {})
        row(sc, "write the file (not a target)", wr.get("seconds"), fmt_s)
        dd = mm.get("dd_cold", {})
        row(sc, f"dd read, {dd.get('drop', {}).get('state')} (GB/s)", dd.get("gb_per_s"), fmt_f)
        cr = mm.get("cpu_rate", {})
        row(sc, "CPU level-0 reduce, 1 thread (GB/s)", cr.get("one_thread_gb_per_s"), fmt_f)
        row(sc, "CPU level-0 reduce, pool (GB/s)", cr.get("pool_gb_per_s"), fmt_f)
        for mode, label in (
            ("readinto", "numpy readinto pass, 1 thread"),
            ("readinto_reduce", "numpy readinto + block min/max, 1 thread"),
            ("mmap_touch", "mmap pass touching every page, 1 thread"),
        ):
            rd = mm.get(f"read_{mode}", {})
            if rd.get("seconds"):
                cpu = f"CPU {rd['cpu_user_seconds']:.0f} s user + {rd['cpu_sys_seconds']:.0f} s sys"
                state = rd.get("drop", {}).get("state")
                row(sc, f"{label}, {state} (GB/s)", rd.get("gb_per_s"), fmt_f, info=cpu)
        state = mm.get("build_drop", {}).get("state")
        pf = peer.get("first", {})
        row(
            sc,
            "first open (build + store)",
            b.get("seconds"),
            fmt_s,
            TARGETS["first_open_s"],
            pf.get("seconds"),
            f"file {state}; peer: first figure",
        )
        row(
            sc,
            "first open: peak RSS (50 ms samples)",
            b.get("peak_rss_bytes"),
            fmt_b,
            TARGETS["first_open_rss_bytes"],
            pf.get("peak_rss_bytes"),
        )
        row(sc, "first open: VmHWM", b.get("vmhwm_bytes"), fmt_b, TARGETS["first_open_rss_bytes"])
        if b.get("seconds"):
            size = mm.get("data_disk", {}).get("apparent_bytes", 0)
            row(sc, "first open: input rate (GB/s)", size / GB / b["seconds"], fmt_f)
            cpu = (
                f"{b.get('cpu_user_seconds', 0):.0f} s user + {b.get('cpu_sys_seconds', 0):.0f}"
                " s sys"
            )
            row(
                sc,
                "first open: CPU s / wall s",
                b.get("cpu_seconds", 0) / b["seconds"],
                fmt_f,
                info=cpu,
            )
            for k, v in b.get("phases", {}).items():
                row(sc, f"  first open, of which {k}", v, fmt_s)
            oc = b.get("other_processes_cores")
            row(sc, "other processes' CPU during the first open (cores of 2)", oc, fmt_f)
            row(
                sc,
                "first open: peak RSS anon / file-backed",
                b.get("peak_rss_anon_bytes"),
                fmt_b,
                info=f"file {fmt_b(b.get('peak_rss_file_bytes'))}; "
                f"peak during {b.get('peak_rss_phase')}",
            )
        for key in ("reopen_warm", "reopen_cold", "reopen_cold_random"):
            r = mm.get(key, {})
            if "error" in r or not r:
                continue
            kind = key.split("_")[1]
            if kind == "cold":
                kind = mm.get(f"{key}_drop", {}).get("state", kind)
            if key.endswith("random"):
                kind += ", what-if: data mapping madvise(MADV_RANDOM)"
            second = peer.get("second", {}).get("seconds") if key == "reopen_warm" else None
            pinfo = "; peer: a second figure" if second else ""
            row(sc, f"reopen, {kind}", r.get("seconds"), fmt_s, TARGETS["reopen_s"], second)
            row(
                sc,
                f"first paint kernel side = reopen + initial detail, {kind}",
                r.get("first_paint_seconds"),
                fmt_s,
                TARGETS["reopen_s"],
                second,
                pinfo.strip("; "),
            )
            rf = r.get("refresh", {})
            pr = peer.get("refresh", {}) if key == "reopen_warm" else {}
            done = pr.get("done") or 0
            same = rf.get("ms", [])[:done]
            row(sc, f"refresh p50, {kind}", rf.get("p50_ms"), fmt_ms)
            row(sc, f"refresh p95, {kind}", rf.get("p95_ms"), fmt_ms, TARGETS["refresh_p95_ms"])
            if done:
                info = f"first {done} of {pr.get('planned')} windows, peer in its budget"
                row(sc, f"refresh p50, {kind}", med(same), fmt_ms, None, pr.get("p50_ms"), info)
                row(sc, f"refresh p95, {kind}", p95(same), fmt_ms, None, pr.get("p95_ms"), info)
            row(sc, f"RSS after refreshes, {kind}", r.get("rss_after_refreshes_bytes"), fmt_b)
            ph = r.get("phases", {})
            row(
                sc,
                f"  reopen {kind}: of which overview",
                ph.get("overview"),
                fmt_s,
                info=f"cache_load {fmt_s(ph.get('cache_load'))}",
            )
            row(sc, f"  reopen {kind}: disk read", r.get("disk_read_bytes"), fmt_b)
            row(
                sc,
                f"  disk read over the {len(rf.get('ms', []))} refreshes, {kind}",
                (r.get("disk_read_bytes_total") or 0) - (r.get("disk_read_bytes") or 0),
                fmt_b,
                info=f"max refresh {fmt_ms(rf.get('max_ms'))}",
            )
        cd = mm.get("cache_disk", {})
        dd_size = mm.get("data_disk", {}).get("apparent_bytes") or 0
        share = f"{cd.get('allocated_bytes', 0) / dd_size:.3f} of the data" if dd_size else ""
        row(sc, "cache folder on disk", cd.get("allocated_bytes"), fmt_b, info=share)
        rw = mm.get("reopen_warm", {}).get("refresh", {})
        row(
            "refresh bytes",
            f"memmap {mm['n']:.0e}: reply per refresh (median)",
            rw.get("bytes_median"),
            fmt_b,
            None,
            peer.get("refresh", {}).get("json_bytes_median"),
            "peer: Dash JSON reply",
        )
    elif mm:
        out.append({"scenario": "memmap", "measure": f"skipped: {mm.get('skipped')}"})

    im = res.get("inmem")
    if im and "skipped" not in im and "error" not in im:
        sc = f"in-memory {im['n']:.0e} x {im['channels']} float32"
        peer_s = im.get("peer", {}).get("seconds_median")
        if "dict" in im:
            d = im["dict"]
            row(sc, "construction, dict", d["seconds_median"], fmt_s, 0.5, peer_s, "median")
            oc = im.get("other_processes_cores")
            row(sc, "other processes' CPU during this step (cores of 2)", oc, fmt_f)
            for k, v in d.get("phases_median_seconds", {}).items():
                row(sc, f"  of which {k}", v, fmt_s, info="median, inside the constructions")
            row(sc, "  pyramid build alone", d.get("pyramid_build_alone_seconds"), fmt_s)
            row(sc, "pyramid build input rate (GB/s)", im.get("pyramid_input_gb_per_s"), fmt_f)
            runs = ", ".join(fmt_s(r["seconds"]) for r in d["runs"])
            prs = ", ".join(fmt_s(r["seconds"]) for r in im["peer"]["runs"])
            row(sc, "  construction runs, dict", None, fmt_s, info=f"{runs}; peer {prs}")
            row(
                sc,
                "construction, DataFrame + float64 time",
                im["df"]["seconds_median"],
                fmt_s,
                None,
                peer_s,
                "median",
            )
            row(
                sc,
                "peer to_json of its first figure",
                im["peer"].get("to_json_seconds_median"),
                fmt_s,
            )
            row(
                sc,
                "construction peak RSS over data, dict",
                d["peak_rss_delta_median_bytes"],
                fmt_b,
                None,
                im["peer"]["peak_rss_delta_median_bytes"],
            )
        rf, pr = im.get("refresh", {}), im.get("peer_refresh", {})
        row(sc, "refresh p50", rf.get("p50_ms"), fmt_ms, None, pr.get("p50_ms"))
        row(sc, "refresh p95", rf.get("p95_ms"), fmt_ms, None, pr.get("p95_ms"))
        sc3 = "refresh bytes"
        tag = f"in-memory {im['n']:.0e} x {im['channels']}"
        for key, what in (
            ("json_bytes_median", "peer: Dash JSON reply"),
            ("raw_bytes_median", "peer: raw x+y arrays"),
        ):
            row(
                sc3,
                f"{tag}: reply per refresh (median)",
                rf.get("bytes_median"),
                fmt_b,
                None,
                pr.get(key),
                what,
            )
        tw = im.get("typical_window", {})
        row(
            sc3,
            f"{tag}: 1%-of-span window",
            tw.get("tsvideo_bytes"),
            fmt_b,
            None,
            tw.get("peer_json_bytes"),
            "peer: Dash JSON reply",
        )
        if "dict" in im:
            row(
                sc3,
                f"{tag}: first paint payload",
                (im["dict"].get("overview_bytes") or 0) + (im.get("initial_detail_bytes") or 0),
                fmt_b,
                None,
                im["peer"].get("first_figure_json_bytes"),
                "overview + initial detail; peer: figure JSON",
            )
    elif im:
        out.append({"scenario": "in-memory", "measure": f"skipped: {im.get('skipped') or im}"})
    return out


def fmt_f(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def markdown(table: list[dict[str, Any]]) -> str:
    lines = [
        "| scenario | measure | value | target | met? | peer value | ratio |",
        "|---|---|---:|---:|:--:|---:|---:|",
    ]
    for r in table:
        met = {True: "yes", False: "**no**", None: "—"}[r.get("met")]
        rt = r.get("ratio")
        lines.append(
            f"| {r['scenario']} | {r['measure']} | {r.get('value_text', '—')} | "
            f"{r.get('target_text', '—')} | {met} | {r.get('peer_text', '—')} | "
            f"{'—' if rt is None else f'{rt:.3g}'} |"
        )
    return "\n".join(lines)


# ============================================================================ main


def machine_info() -> dict[str, Any]:
    from importlib import metadata

    pkgs = {}
    for name in ("tsvideo-widget", "plotly-resampler", "plotly", "tsdownsample", "dash", "numpy"):
        try:
            pkgs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pkgs[name] = None
    head = None
    with contextlib.suppress(OSError):  # read, not run: the commit checked out
        ref = (REPO / ".git" / "HEAD").read_text().strip()
        head = ref
        if ref.startswith("ref: "):
            head = (REPO / ".git" / ref[5:]).read_text().strip()
    cpu = cpu_model()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "mem_total_bytes": meminfo().get("MemTotal"),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "packages": pkgs,
        "git_head": head,
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="memmap case at 1e9 samples")
    ap.add_argument(
        "--scenarios",
        nargs="+",
        choices=["memmap", "inmem", "bytes"],
        default=None,
        help="which scenarios (default all; bytes alone skips the in-memory constructions)",
    )
    ap.add_argument("--n-memmap", type=float, help="samples in the memmap file (1e10; 1e9 quick)")
    ap.add_argument("--n-inmem", type=float, default=1e8, help="samples per in-memory channel")
    ap.add_argument("--channels", type=int, default=8, help="in-memory channels")
    ap.add_argument("--refreshes", type=int, default=200, help="refresh windows per run")
    ap.add_argument("--repeats", type=int, default=3, help="in-memory constructions per tool")
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--peer-budget", type=float, default=180.0, help="s of peer refreshes")
    ap.add_argument("--no-peer", action="store_true", help="memmap: leave plotly-resampler out")
    ap.add_argument("--mem-wait", type=float, default=600.0, help="s to wait for free memory")
    ap.add_argument("--workdir", default="/tmp/bigbench", help="big temporary files go here")
    ap.add_argument("--keep", action="store_true", help="keep the workdir's files")
    ap.add_argument("--out", default=str(HERE / "out" / "bigdata.json"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--params", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker_main(args)
    if args.n_memmap is None:
        args.n_memmap = 1e9 if args.quick else 1e10
    scen = args.scenarios or ["memmap", "inmem", "bytes"]
    workdir = Path(args.workdir)
    created = not workdir.exists()
    workdir.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {
        "args": {k: v for k, v in vars(args).items() if k not in ("worker", "params", "result")},
        "machine": machine_info(),
        "machine_start": machine_state(),
        "targets": TARGETS,
    }
    try:
        if "inmem" in scen or "bytes" in scen:
            res["inmem"] = scenario_inmem(args, workdir, construct="inmem" in scen)
        if "memmap" in scen:
            res["memmap"] = scenario_memmap(args, workdir)
    finally:
        if not args.keep:
            for name in ("cache",):
                shutil.rmtree(workdir / name, ignore_errors=True)
            for f in workdir.glob("walk-*.npy"):
                f.unlink()
            for f in workdir.glob("result-*.json"):
                f.unlink()
            if created:
                shutil.rmtree(workdir, ignore_errors=True)
    res["machine_end"] = machine_state()
    table = rows(res)
    res["table"] = table
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1, default=str))
    print(markdown(table))
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
