"""What the benchmarks record about the machine they ran on (Linux /proc)."""

from __future__ import annotations

import contextlib
from pathlib import Path

__all__ = ["cpu_model", "meminfo"]


def meminfo() -> dict[str, int]:
    """``/proc/meminfo`` as name -> bytes (counts without a unit stay counts)."""
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, _, v = line.partition(":")
            parts = v.split()
            if parts:
                out[k] = int(parts[0]) * (1024 if len(parts) > 1 else 1)
    return out


def cpu_model() -> str:
    """The first CPU's model name from ``/proc/cpuinfo`` ("" when it cannot be read)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return ""
