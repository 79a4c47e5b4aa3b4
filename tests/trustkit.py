"""Helpers for the property tests of the widget's promises (state machine, kill -9).

Exact comparison: ``canon`` turns regions into tuples that differ whenever
Python's ``==`` would hide a difference (``True == 1 == 1.0``, ``-0.0 == 0.0``,
a Timestamp in another zone, an int that became a float).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jupyter_client.jsonutil import json_default

from tsvideo_widget import TimeSeriesVideo

REGION_KEYS = ("channel", "end", "id", "label", "meta", "start")

# -- the data ---------------------------------------------------------------------------------

N = 128
"""Rows of the "full" frame of every kind ("short" has half, "long" twice as many)."""

T0_INT = 1_714_557_600_000_000_007
"""First time of the integer kind: epoch nanoseconds, odd so rounding shows."""

T0_DT = "2024-05-01 12:00:00.000000001"
"""First time of the datetime kind (a nanosecond past a whole second)."""


def frame(kind: str, n: int = N, tz: str = "Europe/Paris") -> pd.DataFrame:
    """A small frame of ``kind`` ("float", "int" or "datetime") with channels ax, ay.

    Float times are multiples of 1/64 s from 2.0, so every conversion in seconds
    is exact; integer times are epoch nanoseconds 10 ms apart; datetimes are
    10 ms apart, a nanosecond past the second, zoned.
    """
    k = np.arange(n)
    if kind == "float":
        time: Any = 2.0 + k / 64.0
    elif kind == "int":
        time = T0_INT + k.astype(np.int64) * 10_000_000
    elif kind == "datetime":
        time = pd.date_range(T0_DT, periods=n, freq="10ms", tz="Europe/Paris").tz_convert(tz)
    else:
        raise ValueError(kind)
    return pd.DataFrame({"time": time, "ax": np.sin(k / 7.0), "ay": np.cos(k / 5.0)})


def own_times(df: pd.DataFrame) -> list[Any]:
    """The frame's times as the widget's own terms: float, int or Timestamp."""
    col = df["time"]
    if isinstance(col.dtype, pd.DatetimeTZDtype) or col.dtype.kind == "M":
        return list(col)
    if col.dtype.kind in "iu":
        return [int(v) for v in col]
    return [float(v) for v in col]


UNIT = {"float": "s", "int": "ns", "datetime": "s"}
"""The time_unit each kind starts with."""

# -- exact comparison -------------------------------------------------------------------------


def canon_value(v: Any) -> Any:
    """A meta value as a tuple that records every type (bool, int and float differ)."""
    if v is None:
        return ("none",)
    if type(v) is bool:
        return ("bool", v)
    if type(v) is int:
        return ("int", v)
    if type(v) is float:
        return ("float", v.hex())
    if type(v) is str:
        return ("str", v)
    if type(v) is list:
        return ("list", tuple(canon_value(x) for x in v))
    if type(v) is dict:
        return ("dict", tuple(sorted((repr(k), canon_value(x)) for k, x in v.items())))
    return ("other", type(v).__name__, repr(v))


def canon_time(v: Any) -> Any:
    """A time as a tuple: the exact type and value (a Timestamp's instant and zone)."""
    if type(v) is pd.Timestamp:
        return ("ts", v.value, str(v.tz))
    if type(v) is int:
        return ("int", v)
    if type(v) is float:
        return ("float", v.hex())
    return ("other", type(v).__name__, repr(v))


def canon_region(r: Any) -> Any:
    """One region as an exact tuple (its keys, id, label, channel, times and meta)."""
    if type(r) is not dict:
        return ("not a dict", repr(r))
    return (
        tuple(sorted(r)),
        canon_value(r.get("id")),
        canon_value(r.get("label")),
        canon_value(r.get("channel")),
        canon_time(r.get("start")),
        canon_time(r.get("end")),
        canon_value(r.get("meta")),
    )


def canon(regions: Any) -> list[Any]:
    """A list of regions as exact tuples, in order."""
    return [canon_region(r) for r in regions]


def show(regions: Any) -> str:
    """Regions for an assertion message."""
    return "\n".join(repr(r) for r in regions)


# -- what the widget sends, and what the browser sends ----------------------------------------


class Sent:
    """Records what the widget sends to the browser, then sends it as usual.

    The widget's own ``send``/``send_state`` still run (and serialise the
    state), so nothing the widget does is hidden.
    """

    def __init__(self, w: TimeSeriesVideo) -> None:
        self.msgs: list[dict[str, Any]] = []
        self.states: list[list[str]] = []
        send, send_state = w.send, w.send_state

        def record(content: Any, buffers: Any = None) -> None:
            self.msgs.append(content)
            send(content, buffers)

        def record_state(key: Any = None) -> None:
            self.states.append([key] if isinstance(key, str) else list(key or []))
            send_state(key)

        w.send = record  # type: ignore[method-assign]
        w.send_state = record_state  # type: ignore[method-assign]

    def clear(self) -> None:
        """Forget what was recorded."""
        self.msgs.clear()
        self.states.clear()


def through_json(payload: Any) -> Any:
    """``payload`` as the browser's JSON delivers it."""
    return json.loads(json.dumps(payload, default=json_default))


def js_numbers(v: Any) -> Any:
    """What JavaScript's JSON.parse/stringify make of a value: integers beyond 2**53 rounded."""
    if type(v) is int and abs(v) > 2**53:
        return int(float(v))
    if isinstance(v, list):
        return [js_numbers(x) for x in v]
    if isinstance(v, dict):
        return {k: js_numbers(x) for k, x in v.items()}
    return v


# -- files ------------------------------------------------------------------------------------


def file_state(path: str | os.PathLike[str]) -> Any:
    """The file's bytes and identity (inode, mtime, size), or None when it does not exist."""
    try:
        st = os.stat(path)
        return (Path(path).read_bytes(), st.st_ino, st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        return None


def temp_files(folder: str | os.PathLike[str]) -> list[str]:
    """Temporary files (``.*.tmp``) left in ``folder``."""
    return sorted(n for n in os.listdir(folder) if n.startswith(".") and n.endswith(".tmp"))
