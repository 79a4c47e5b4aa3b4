"""Fixtures shared by the unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """Three placeholder media files by track name: front.mp4, side.webm, mic.wav (64 zero bytes
    each: enough for a widget, which only resolves and names them)."""
    out = {}
    for name, ext in (("front", "mp4"), ("side", "webm"), ("mic", "wav")):
        p = tmp_path / f"{name}.{ext}"
        p.write_bytes(b"\0" * 64)
        out[name] = str(p)
    return out
