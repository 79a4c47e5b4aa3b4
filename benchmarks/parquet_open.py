"""Opening a Parquet recording bigger than memory: first open (pyramid built) and second open.

Issue 11's Parquet target: 1e9 rows x 4 channels in row groups of 1e6; the first
open builds the pyramid with a progress bar, the second paints within 1.5 s.

    python benchmarks/parquet_open.py                       # 1e9 rows (about 20 GB of Parquet)
    python benchmarks/parquet_open.py --rows 1e7 --reopens 2  # a smoke test

The file: an int64 nanosecond timestamp column stepped evenly at 1 kHz, and four
float32 random walks, written row group by row group with pyarrow (snappy). Each
open runs in a fresh Python process with an empty (first) or filled (second)
cache folder: ``import tsvideo_widget`` is timed apart, then the constructor,
then the first paint (the detail window the widget opens on, as the browser asks
for it: 1000 columns). The peak resident memory is the process's ``ru_maxrss``
(VmHWM: mapped file pages count too). The progress bar is checked on the
process's stderr. The peer is what a user does without us: ``pandas.read_parquet``
of the same file, which needs the whole table in memory; it is run only where it
fits (``--peer-rows``, default 1e8, a file of its own), and its time per row is
set beside ours.

Results go to ``benchmarks/out/parquet_open.json`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sysinfo import cpu_model, meminfo

HERE = Path(__file__).resolve().parent
CHANNELS = 4
RATE_HZ = 1000
DETAIL_PX = 1000


def write_parquet(path: Path, rows: int, row_group: int, seed: int) -> float:
    """The benchmark's file (see the module doc); returns the seconds it took."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    level = np.zeros(CHANNELS, dtype=np.float64)
    schema = pa.schema(
        [("time", pa.timestamp("ns"))] + [(f"ch{k}", pa.float32()) for k in range(CHANNELS)]
    )
    step_ns = 1_000_000_000 // RATE_HZ
    tmp = path.with_suffix(".partial")
    with pq.ParquetWriter(tmp, schema, compression="snappy") as writer:
        for s in range(0, rows, row_group):
            m = min(row_group, rows - s)
            cols: list[Any] = [
                pa.array((np.arange(s, s + m, dtype=np.int64) * step_ns), pa.int64())
            ]
            cols[0] = cols[0].cast(pa.timestamp("ns"))
            for k in range(CHANNELS):
                walk = level[k] + np.cumsum(rng.normal(size=m))
                level[k] = walk[-1]
                cols.append(pa.array(walk.astype(np.float32)))
            writer.write_table(pa.Table.from_arrays(cols, schema=schema), row_group_size=m)
    os.replace(tmp, path)
    return time.perf_counter() - t0


def child(path: str, cache: str) -> dict[str, Any]:
    """One open in this (fresh) process: import, construct, first paint."""
    t0 = time.perf_counter()
    from tsvideo_widget import TimeSeriesVideo

    t1 = time.perf_counter()
    w = TimeSeriesVideo(path, cache_dir=cache)
    t2 = time.perf_counter()
    a, b = w.selection
    lo, hi = float(w.series.to_rel(a)), float(w.series.to_rel(b))
    w.detail(lo, hi, DETAIL_PX)
    t3 = time.perf_counter()
    return {
        "import_s": t1 - t0,
        "construct_s": t2 - t1,
        "first_detail_s": t3 - t2,
        "paint_s": t3 - t1,
        "rows": int(w.series.n) if hasattr(w.series, "n") else None,
        "channels": list(w.prepared.source.channels),
        "maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def peer_child(path: str) -> dict[str, Any]:
    """What a user does without us: the whole table into memory with pandas."""
    import pandas as pd

    t0 = time.perf_counter()
    df = pd.read_parquet(path)
    return {
        "read_s": time.perf_counter() - t0,
        "rows": len(df),
        "maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def run_child(args: list[str]) -> tuple[dict[str, Any], str]:
    """Run this script as a child; returns its JSON result and its stderr."""
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=HERE,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def drop_page_cache() -> bool:
    """Empty the page cache (root only), so a "cold" open reads the disk."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=float, default=1e9)
    ap.add_argument("--row-group", type=float, default=1e6)
    ap.add_argument("--reopens", type=int, default=3, help="second opens (fresh processes)")
    ap.add_argument("--peer-rows", type=float, default=1e8, help="rows of the peer's file")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workdir", default="/tmp/pqbench")
    ap.add_argument("--keep", action="store_true", help="keep the Parquet files for a rerun")
    ap.add_argument("--write-only", action="store_true", help="write the files (kept), then stop")
    ap.add_argument("--out", default=str(HERE / "out" / "parquet_open.json"))
    ap.add_argument("--child", nargs=2, metavar=("PATH", "CACHE"), help=argparse.SUPPRESS)
    ap.add_argument("--peer-child", metavar="PATH", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(*a.child)))
        return 0
    if a.peer_child:
        print(json.dumps(peer_child(a.peer_child)))
        return 0

    rows, group = int(a.rows), int(a.row_group)
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"rows": rows, "row_group": group, "channels": CHANNELS}
    res["machine"] = {"cpu": cpu_model(), "nproc": os.cpu_count(), "mem": meminfo()["MemTotal"]}
    res["load_before"] = os.getloadavg()
    path = work / f"rec-{rows}-{group}-{a.seed}.parquet"
    if not path.exists():
        print(f"writing {path} ...", flush=True)
        res["write_s"] = write_parquet(path, rows, group, a.seed)
    res["file_bytes"] = path.stat().st_size
    prows = min(rows, int(a.peer_rows))
    ppath = path if prows == rows else work / f"rec-{prows}-{group}-{a.seed}.parquet"
    if not ppath.exists():
        write_parquet(ppath, prows, group, a.seed)
    if a.write_only:
        return 0
    cache = work / "cache"
    if cache.exists():
        import shutil

        shutil.rmtree(cache)
    res["first_cold"] = drop_page_cache()
    first, err = run_child(["--child", str(path), str(cache)])
    first["progress_bar_shown"] = "building the pyramid" in err or "reading" in err
    res["first"] = first
    print(f"first open: {first['paint_s']:.1f} s to paint", flush=True)
    res["second"] = []
    for k in range(a.reopens):
        if k == 0:
            res["second_first_cold"] = drop_page_cache()
        got, _ = run_child(["--child", str(path), str(cache)])
        res["second"].append(got)
        print(f"second open {k + 1}: {got['paint_s']:.2f} s to paint", flush=True)
    warm = [r["paint_s"] for r in res["second"][1:]] or [res["second"][0]["paint_s"]]
    res["second_paint_median_s"] = statistics.median(warm)
    res["second_paint_cold_s"] = res["second"][0]["paint_s"]
    res["cache_bytes"] = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())

    us_small = work / "cache-peer-size"
    mine, _ = run_child(["--child", str(ppath), str(us_small)])
    again, _ = run_child(["--child", str(ppath), str(us_small)])
    peer, _ = run_child(["--peer-child", str(ppath)])
    res["peer"] = {
        "rows": prows,
        "pandas_read_s": peer["read_s"],
        "pandas_maxrss_bytes": peer["maxrss_bytes"],
        "ours_first_paint_s": mine["paint_s"],
        "ours_second_paint_s": again["paint_s"],
        "ours_first_maxrss_bytes": mine["maxrss_bytes"],
    }
    res["load_after"] = os.getloadavg()
    if not a.keep:
        for p in {path, ppath}:
            p.unlink(missing_ok=True)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1))

    pr = res["peer"]
    table = [
        ("first open: construct + first paint", f"{first['paint_s']:.1f} s", ""),
        ("first open: progress bar shown", str(first["progress_bar_shown"]), ""),
        ("first open: peak RSS (VmHWM)", f"{first['maxrss_bytes'] / 1e9:.2f} GB", ""),
        ("second open, cold disk: paint", f"{res['second_paint_cold_s']:.2f} s", "<= 1.5 s"),
        ("second open, warm: paint (median)", f"{res['second_paint_median_s']:.2f} s", "<= 1.5 s"),
        ("second open: import tsvideo_widget", f"{res['second'][-1]['import_s']:.2f} s", ""),
        ("cache folder", f"{res['cache_bytes'] / 1e9:.2f} GB", ""),
        (
            f"{prows:.0e} rows: pandas.read_parquet / our second paint",
            f"{pr['pandas_read_s']:.2f} s / {pr['ours_second_paint_s']:.2f} s",
            f"ratio {pr['pandas_read_s'] / pr['ours_second_paint_s']:.1f}x",
        ),
    ]
    print(f"\n{rows:.0e} rows x {CHANNELS} float32, row groups of {group:.0e}")
    print("| measure | value | target / ratio |\n|---|---:|---|")
    for name, value, note in table:
        print(f"| {name} | {value} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
