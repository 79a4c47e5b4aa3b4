"""A Zarr store read in place (pyramids by Dask, raw chunks on demand) against the sidecar copy.

One channel of ``--n`` samples (default 1e8) of ``--dtype`` (float32: a Gaussian random
walk with a NaN gap; int16: a +-1 walk, the issue's 1e10 target) in chunks of ``--chunk``
(default 1e6) on local disk, zstd-compressed (zarr's default). For each engine of
``--engines`` (default all three), in a fresh process (peak RSS is per process):

- ``local``: the pyramid built by dask's local threads, next to the store;
- ``cluster``: built by a ``LocalCluster`` of 2 worker processes;
- ``sidecar``: the old path, the column streamed into a local ``.npy`` and its pyramid
  built and cached by the kernel (:func:`tsvideo_widget.sidecar.stream_chunked`).

Reported: first open (build) and reopen seconds; first paint after the reopen
(reopen + the widget's initial detail window, what the browser asks for first:
target 1 s); window p50/p95 (ms) for random windows at several zoom levels
(fraction of the span) and over all of them (``all``: the refresh p95, target 50
ms), decoded raw-chunk bytes per window (read-in-place engines), and the
process's peak RSS (MB; the build's included: target 1 GB).

    python benchmarks/remote.py [--n 1e8] [--chunk 1e6] [--windows 40]
    python benchmarks/remote.py --n 1e10 --dtype int16 --engines local cluster --workdir /tmp/zb
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ZOOMS = [1.0, 0.1, 0.01, 1e-4]
"""Window widths as fractions of the span."""


def write_store(path: Path, n: int, chunk: int, dtype: str = "float32") -> None:
    import zarr

    arr = zarr.open_group(str(path), mode="w").create_array(
        "a", shape=(n,), chunks=(chunk,), dtype=dtype
    )
    rng = np.random.default_rng(0)
    step = chunk * 16
    level = 0.0
    for s in range(0, n, step):
        m = min(step, n - s)
        if dtype == "int16":  # a +-1 walk, clipped into int16
            walk = np.cumsum(rng.integers(-1, 2, m, dtype=np.int8), dtype=np.int32) + int(level)
            part: np.ndarray = np.clip(walk, -32768, 32767).astype(np.int16)
        else:
            part = np.cumsum(rng.normal(size=m)).astype(np.float32) + level
            if s == 0:
                part[1000:50_000] = np.nan  # a gap
        level = float(part[-1])
        arr[s : s + part.shape[0]] = part


def open_widget(store: Path, cache: Path, engine: str) -> Any:
    from tsvideo_widget import TimeSeriesVideo

    if engine == "sidecar":
        import zarr

        from tsvideo_widget.sidecar import stream_chunked

        g = zarr.open_group(str(store), mode="r")
        cols = stream_chunked("zarr", {"a": g["a"]}, "bench", "v1", str(cache))
        return TimeSeriesVideo(cols, time=None, sample_rate=1000.0, cache_dir=cache)
    return TimeSeriesVideo(str(store), sample_rate=1000.0, cache_dir=cache)


def run(store: Path, cache: Path, engine: str, windows: int) -> dict[str, Any]:
    client = None
    if engine == "cluster":
        import distributed

        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = distributed.Client(cluster)
    t0 = time.perf_counter()
    w = open_widget(store, cache, engine)
    first = time.perf_counter() - t0
    if client is not None:
        client.close()
        cluster.close()
    t0 = time.perf_counter()
    w = open_widget(store, cache, engine)
    reopen = time.perf_counter() - t0
    a, b = w.selection
    w.detail(float(w.series.to_rel(a)), float(w.series.to_rel(b)), 1000)
    paint = time.perf_counter() - t0
    src = w.prepared.source
    lru = getattr(src, "chunk_cache", None)
    span = src.span
    rng = np.random.default_rng(1)
    out: dict[str, Any] = {
        "engine": engine,
        "first_open_s": first,
        "reopen_s": reopen,
        "reopen_first_paint_s": paint,
    }
    every: list[float] = []
    for zoom in ZOOMS:
        times, got = [], []
        for _ in range(windows):
            lo = float(rng.uniform(0, span * (1 - zoom)))
            before = lru.bytes_read if lru is not None else 0
            t0 = time.perf_counter()
            src.window(lo, lo + zoom * span, 1000)
            times.append((time.perf_counter() - t0) * 1e3)
            got.append((lru.bytes_read - before) if lru is not None else 0)
        every += times
        out[f"zoom {zoom:g}"] = {
            "p50_ms": float(np.percentile(times, 50)),
            "p95_ms": float(np.percentile(times, 95)),
            "raw_MB_per_window": float(np.mean(got)) / 1e6 if lru is not None else None,
        }
    out["all"] = {
        "p50_ms": float(np.percentile(every, 50)),
        "p95_ms": float(np.percentile(every, 95)),
    }
    if lru is not None:
        out["lru_peak_MB"] = lru.peak_bytes / 1e6
    out["peak_rss_MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=float, default=1e8, help="samples (default 1e8)")
    ap.add_argument("--chunk", type=float, default=1e6, help="samples per chunk (default 1e6)")
    ap.add_argument("--windows", type=int, default=40, help="windows per zoom (default 40)")
    ap.add_argument("--dtype", choices=["float32", "int16"], default="float32")
    ap.add_argument("--engines", nargs="+", choices=["local", "cluster", "sidecar"], default=None)
    ap.add_argument("--workdir", help="write the store here (kept); default a temp folder")
    ap.add_argument("--engine", help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.engine:  # one engine, in this (fresh) process
        d = Path(args.dir)
        print(json.dumps(run(d / "s.zarr", d / f"cache-{args.engine}", args.engine, args.windows)))
        return
    d = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="tsv-remote-"))
    d.mkdir(parents=True, exist_ok=True)
    try:
        if not (d / "s.zarr").exists():
            t0 = time.perf_counter()
            write_store(d / "s.zarr", int(args.n), int(args.chunk), args.dtype)
            took = time.perf_counter() - t0
            print(f"wrote {int(args.n):.3g} {args.dtype} in {took:.1f} s", flush=True)
        for engine in args.engines or ("local", "cluster", "sidecar"):
            if engine in ("local", "cluster"):  # each builds its own pyramid
                shutil.rmtree(d / "s.zarr.tsvideo-pyramid", ignore_errors=True)
            shutil.rmtree(d / f"cache-{engine}", ignore_errors=True)
            cmd = [sys.executable, __file__, "--engine", engine, "--dir", str(d)]
            cmd += ["--windows", str(args.windows)]
            res = subprocess.run(cmd, capture_output=True, text=True, check=True)
            print(res.stdout.strip().splitlines()[-1], flush=True)
    finally:
        if not args.workdir:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
