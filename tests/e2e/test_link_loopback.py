"""End-to-end: the link meter (js/link.ts) reads a local Jupyter server as a fast link.

The kernel's own time is subtracted from each round trip, and the link is read
from the fastest replies, so a slow computation, a loaded machine or the
server's Nagle waits (about 40 ms a reply on loopback) never make it "slow"
(which would skip the prefetches of ``test_views.py``). Run it with the cores
busy to see that it holds under load.
"""

from __future__ import annotations

import time
from typing import Any

import harness as h
import pytest
import widgetkit as wk

pytestmark = pytest.mark.e2e


def test_a_local_server_is_a_fast_link_even_with_a_slow_kernel(lab: Any) -> None:
    # Each detail reply takes the kernel at least 60 ms: a meter that counted the kernel's
    # time as the wire's would call this link slow (over 46 ms of latency).
    sample = lab.srv.sample
    cell = (
        "import time, numpy as np, pandas as pd\n"
        "from tsvideo_widget import TimeSeriesVideo\n"
        "t = np.arange(300_000) / 10_000\n"
        "df = pd.DataFrame({'time': t, 'v': np.sin(t * 7), 'u': np.cos(t * 3)})\n"
        "class Slow(TimeSeriesVideo):\n"
        "    def detail(self, *a, **k):\n"
        "        time.sleep(0.06)\n"
        "        return super().detail(*a, **k)\n"
        f"w = Slow(df, media={sample.video!r}, time='time')\n"
        "w"
    )
    lab.run_notebook("link", [cell])
    wk.wait_for_widget(lab.page)

    def state() -> dict[str, str]:
        return dict(
            lab.page.evaluate(
                "(sel) => ({...document.querySelector(sel).dataset})", wk.part("detail")
            )
        )

    # Windows of several sizes, each with its prefetches: a dozen replies or so.
    for sel in ("(14.0, 19.0)", "(3.0, 5.0)", "(20.0, 28.0)", "(9.0, 10.0)"):
        before = int(state().get("replies", 0))
        lab.exec(f"w.selection = {sel}")
        ok, ds = h.wait_until(
            state,
            lambda d, n=before: int(d.get("replies", 0)) > n and d["requests"] == d["replies"],
            timeout=20,
        )
        assert ok, f"the detail requests never settled at {sel}: {ds}"
        time.sleep(0.8)  # the prefetches made once the kernel is idle
    ok, ds = h.wait_until(state, lambda d: d["requests"] == d["replies"], timeout=20)
    assert ok and int(ds["replies"]) >= 8, ds
    assert ds["link"] == "fast", f"a local server was taken for a slow link: {ds}"
    assert float(ds["linkLatency"]) < 46.0, ds
    assert ds["linkTransfer"] != "" and float(ds["linkTransfer"]) < 20.0, ds
