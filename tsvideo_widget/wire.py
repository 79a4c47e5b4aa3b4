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

COLUMN_LADDER: int = int(SPEC["column_ladder"])
"""Column widths of decimated windows are powers of ``2 ** (1 / COLUMN_LADDER)`` seconds (int, 4):
nearby windows share their columns, and the browser can ask for more columns of a width it holds."""

COMPACT_LAYOUT: str = SPEC["compact"]["layout"]
"""The ``layout`` a compact (quantized) reply declares (str; see compactwire.pack_compact)."""

RAW_LAYOUT: str = SPEC["compact"]["raw_layout"]
"""The ``layout`` of a raw window packed for a slow link (str; see rawcompact.pack_raw)."""

NAN_CODE: int = int(SPEC["compact"]["nan_code"])
"""The int16 code of NaN in a quantized channel (int)."""

CODE_SPAN: int = int(SPEC["compact"]["code_span"])
"""Codes of a quantized channel above its minimum: ``0 .. CODE_SPAN`` (int, 65534)."""

FRAC_LEVELS: int = int(SPEC["compact"]["frac_levels"])
"""Levels of a point's time inside its column in a compact reply (int, 256: one byte)."""

LEVELS_PER_PX: int = int(SPEC["compact"]["levels_per_px"])
"""Value levels per device pixel of chart height the browser asks for on a slow link (int, 8):
codes then cost the bits an eighth of a pixel needs, not 16 (see compactwire.encode_values)."""

KERNEL_MS_FIELD: str = SPEC["reply"]["kernel_ms"]
"""Field of a detail reply's header with the kernel's own handling time (str; float ms, from the
request reaching the handler to the reply being sent; the browser subtracts it from the round
trip to measure the link, js/link.ts)."""
