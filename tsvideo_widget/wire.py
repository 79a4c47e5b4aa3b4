"""Wire constants shared with the front end, read from ``wire.json`` (one spec, two readers).

``js/wire.ts`` imports the same file, so the kernel and the browser cannot
disagree on a message name, a timeout or a chunk size.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SPEC: dict[str, Any] = json.loads((Path(__file__).parent / "wire.json").read_text("utf-8"))
"""The whole spec (dict), as loaded from ``wire.json``."""

EDIT_MESSAGE: str = SPEC["edit"]["message"]
"""Type of the browser's region-edit request (str)."""

REJECTED_MESSAGE: str = SPEC["rejected"]["message"]
"""Type of the kernel's note that a change from the browser was refused (str)."""

MEDIA_CHUNK_BYTES: int = int(SPEC["media_chunk_bytes"])
"""Largest chunk of media sent through the kernel in one message (bytes)."""

MAX_DETAIL_BUCKETS: int = int(SPEC["max_detail_buckets"])
"""Upper bound on the columns a detail request may ask for (int)."""

OVERVIEW_BUCKETS: int = int(SPEC["overview_buckets"])
"""Columns of the overview (the whole span) the kernel sends (int)."""
