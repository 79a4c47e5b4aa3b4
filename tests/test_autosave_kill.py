"""Autosave survives kill -9 at any moment: what was accepted is on disk, and the file loads.

A child process imports the widget once and then, for each run, forks a
worker that opens ``TimeSeriesVideo(df, labels=..., autosave=path)`` and adds
regions in a loop, printing the number of regions after each ``add_region``
returns. The test kills the worker with SIGKILL after a random (seeded) delay,
mostly while it is writing the file, and checks that a new widget on the path
opens it; that its regions are a prefix of the sequence the worker adds
(region ``i`` is known from ``i``: its times, label, channel and ``meta``); that
it holds at least everything the worker reported (and at most one more); and
that no temporary file of the dead worker is left once the path is opened again.
Runs alternate between a .csv and a .json path; each run continues the file
the previous run on that path left.
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from trustkit import canon, temp_files

import tsvideo_widget
from tsvideo_widget import TimeSeriesVideo

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork and SIGKILL")

RUNS = 60
SEED = 20240501
MAX_DELAY_S = 0.2
CAP = 40  # regions in a file before it is started afresh (each save writes them all)

# Shared by this test and the worker (the worker gets this source): the data and region i.
SHARED = textwrap.dedent(
    """
    import numpy as np
    import pandas as pd

    LABELS = ["Run", "Hop", "Sit"]

    def make_frame():
        t = np.arange(8001) / 8.0  # 0 .. 1000 s, exact in binary
        return pd.DataFrame({"time": t, "ax": np.sin(t), "ay": np.cos(t)})

    def region(i):
        start = ((i * 37) % 7000) / 8.0 + 1 / 64
        end = start + (i % 5) / 4.0
        meta = {"k": i, "tag": "007" if i % 2 else "True", "big": 2**64 + i}
        return start, end, LABELS[i % 3], (None, "ax", "ay")[i % 3], meta
    """
)
namespace: dict[str, Any] = {}
exec(SHARED, namespace)  # the same source the worker runs
LABELS: list[str] = namespace["LABELS"]
make_frame = namespace["make_frame"]
region = namespace["region"]

WORKER = SHARED + textwrap.dedent(
    """
    import json
    import os
    import sys
    import time
    import traceback

    from tsvideo_widget import TimeSeriesVideo

    df = make_frame()
    TimeSeriesVideo(df, labels=LABELS)  # warm up before the first fork


    def say(**kw):
        sys.stdout.write(json.dumps(kw) + "\\n")
        sys.stdout.flush()


    def work(run, path):
        try:
            w = TimeSeriesVideo(df, labels=LABELS, autosave=path)
            say(run=run, ready=len(w.regions))
            i = len(w.regions)
            while True:
                start, end, label, channel, meta = region(i)
                w.add_region(start, end, label, channel, **meta)
                i += 1
                say(run=run, count=len(w.regions))
        except BaseException:
            say(run=run, error=traceback.format_exc())
            time.sleep(3600)  # only SIGKILL ends a worker


    say(ready_to_fork=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        pid = os.fork()
        if pid == 0:
            work(cmd["run"], cmd["path"])
            os._exit(1)
        say(run=cmd["run"], pid=pid)
        os.waitpid(pid, 0)
        say(run=cmd["run"], dead=True)
    """
)


def expected(n: int) -> list[dict[str, Any]]:
    """The first ``n`` regions the worker adds (ids are the widget's; only their kind matters)."""
    out = []
    for i in range(n):
        start, end, label, channel, meta = region(i)
        out.append({"start": start, "end": end, "label": label, "channel": channel, "meta": meta})
    return out


def without_ids(regions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "id"} for r in regions]


class Child:
    """The forking child process, and the lines it prints (read by a thread)."""

    def __init__(self, script: Path) -> None:
        env = dict(os.environ)
        package_root = str(Path(tsvideo_widget.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join([package_root, env.get("PYTHONPATH", "")])
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = "1"  # no threads in the process that forks
        self.proc = subprocess.Popen(
            [sys.executable, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=env,
            cwd=script.parent,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def next(self, timeout: float = 60.0) -> dict[str, Any]:
        try:
            msg = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("the child process went silent") from None
        assert "error" not in msg, msg["error"]
        return msg

    def send(self, **cmd: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)


@pytest.fixture
def child(tmp_path: Path) -> Any:
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    c = Child(script)
    try:
        assert c.next(timeout=120) == {"ready_to_fork": True}
        yield c
    finally:
        c.close()


def test_kill_9_while_autosaving_loses_nothing_accepted(child: Child, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    folder = tmp_path / "labels"
    folder.mkdir()
    df = make_frame()
    on_disk: dict[str, list[dict[str, Any]]] = {"csv": [], "json": []}  # after the last run
    mid_write = 0  # runs killed with the worker's temporary file present
    killed_with_counts = 0
    for run in range(RUNS):
        kind = ("csv", "json")[run % 2]
        path = folder / f"labels.{kind}"
        if len(on_disk[kind]) > CAP:
            path.unlink()  # start afresh (its stale temporary files stay, for the next open)
            on_disk[kind] = []
        child.send(run=run, path=str(path))
        last = len(on_disk[kind])  # everything the worker has reported as accepted
        pid = ready = None
        delay = rng.uniform(0.0, MAX_DELAY_S)
        # Mostly mid-loop (the delay counts from the worker's first line), at times while
        # it opens the file (from the fork).
        from_fork = rng.random() < 0.2
        while pid is None or (ready is None and not from_fork):
            msg = child.next()
            pid = msg.get("pid", pid)
            ready = msg.get("ready", ready)
            last = max(last, msg.get("ready", last), msg.get("count", last))
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        while True:
            msg = child.next()
            if msg.get("dead"):
                break
            assert msg["run"] == run
            last = max(last, msg.get("ready", last), msg.get("count", last))
        if last > len(on_disk[kind]):
            killed_with_counts += 1
        stale = temp_files(folder)
        mid_write += bool(stale)

        fresh = TimeSeriesVideo(df, labels=LABELS, autosave=path)
        got = fresh.regions
        assert last <= len(got) <= last + 1, (
            f"run {run}: the worker reported {last} regions saved; the file holds {len(got)}"
        )
        assert canon(without_ids(got)) == canon(expected(len(got))), (
            f"run {run}: the file's regions are not the ones the worker added"
        )
        assert len({r["id"] for r in got}) == len(got)
        before = on_disk[kind]
        assert canon(got[: len(before)]) == canon(before), "regions saved earlier changed"
        assert temp_files(folder) == [], f"run {run}: stale temporary files survived: {stale}"
        assert path.exists()
        fresh.close()
        on_disk[kind] = got
    # The kills must have landed where it matters: mid-loop, and mid-write at times.
    assert killed_with_counts >= RUNS // 2, killed_with_counts
    assert mid_write >= 1, "no kill landed while a temporary file existed"


def test_region_sequence_is_exact_in_both_formats(tmp_path: Path) -> None:
    """The oracle itself: the regions the worker adds come back exactly from either format."""
    df = make_frame()
    for kind in ("csv", "json"):
        w = TimeSeriesVideo(df, labels=LABELS, autosave=tmp_path / f"l.{kind}")
        for i in range(5):
            start, end, label, channel, meta = region(i)
            w.add_region(start, end, label, channel, **meta)
        again = TimeSeriesVideo(df, labels=LABELS, autosave=tmp_path / f"l.{kind}")
        assert canon(without_ids(again.regions)) == canon(expected(5))
        assert canon(again.regions) == canon(w.regions)
