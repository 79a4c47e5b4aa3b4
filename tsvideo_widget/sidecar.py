"""Local column files for chunked sources: each column streamed once into a memory-mapped ``.npy``.

A Zarr array, a dask array or a Parquet file is stored in chunks that must be
decoded whole: reading the few samples at each edge of a thousand columns
would decode a thousand chunks per window. So a chunked source is streamed,
chunk by chunk, into one ``.npy`` file per column in the cache folder, and the
widget reads those memory-mapped (random access at the cost of a page) and
builds (and caches) its pyramids over them like over any memory-mapped file.
The pass holds one batch of chunks in memory whatever the source's size, gives
each batch's pages back once written, and is done once: the folder is named by
the source's identity (files, sizes, modification times, metadata), and a source
that changed gets a new folder; the old one is deleted. Columns are written to
a temporary folder renamed into place when complete, so an interrupted pass
leaves nothing a later open could take for the data.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError
from .mapped import mapping_of, release, write_back

__all__ = ["BATCH_BYTES", "Column", "Columns", "identity", "materialize", "stream_chunked"]

BATCH_BYTES = 64 << 20
"""Bytes of source read per step of a streaming pass (int): chunks are read in
batches of about this size, so zarr and dask decode several at once."""

Batches = Callable[[], Iterator[list[np.ndarray]]]
"""Yields the columns' values in order, one batch at a time: a list of 1-D arrays
(one per column, all of one length) per batch."""


@dataclass(frozen=True)
class Column:
    """One column to stream: its name and dtype.

    Attributes:
        name: the column's name (str).
        dtype: its numpy dtype.
    """

    name: str
    dtype: np.dtype


@dataclass(frozen=True)
class Columns:
    """The local column files of a source.

    Attributes:
        arrays: name -> read-only memory-mapped 1-D array, for the columns kept.
        facts: what the pass found out about the data (JSON-able dict), kept with them.
    """

    arrays: dict[str, np.ndarray]
    facts: dict[str, Any]


Finish = Callable[[], tuple[set[str], dict[str, Any]]]
"""Called after the last batch: the columns not to keep, and facts to keep with the rest."""


def _files_digest(paths: list[str]) -> list[Any]:
    """Size and modification time of every file under ``paths`` (folders walked), sorted."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _dirs, files in os.walk(p):
                for f in files:
                    full = os.path.join(root, f)
                    with contextlib.suppress(OSError):
                        st = os.stat(full)
                        out.append([os.path.relpath(full, p), st.st_size, st.st_mtime_ns])
        elif os.path.exists(p):
            st = os.stat(p)
            out.append([os.path.realpath(p), st.st_size, st.st_mtime_ns])
    return sorted(out)


def identity(kind: str, files: list[str], meta: Any) -> str:
    """A name for a source's columns: its kind, metadata, and its files' sizes and times (hex)."""
    blob = json.dumps(
        {"kind": kind, "files": [os.path.realpath(f) for f in files], "meta": meta}, default=str
    )
    h = hashlib.sha256(blob.encode())
    h.update(json.dumps(_files_digest(files)).encode())
    return h.hexdigest()[:32]


def materialize(
    root: Path,
    group: str,
    version: str,
    columns: list[Column],
    n: int,
    batches: Batches,
    progress: Callable[[int], Any] | None = None,
    finish: Finish | None = None,
) -> Columns:
    """The columns as read-only memory-mapped arrays under ``root/sidecar/group/version``.

    Found again when present (nothing is read); else every column is streamed, one
    batch of ``batches()`` at a time, into a ``.npy`` file of ``n`` samples; then
    ``finish()`` (if given) names the columns not worth keeping (deleted) and facts
    to keep; the folder is renamed into place and older versions of ``group`` are
    deleted. ``progress(samples)`` is called after each batch.

    Raises:
        DataError: batches that do not add up to ``n`` samples, or a cache folder
            that cannot be written (naming it, and what to do).
    """
    folder = root / "sidecar" / group
    final = folder / version
    found = _open(final, columns, n)
    if found is not None:
        return found
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
    except OSError as err:
        raise DataError(
            f"the chunked data must be copied into local column files, but the cache folder "
            f"{folder} cannot be written ({err.strerror}); pass cache_dir= a writable folder"
        ) from err
    try:
        names = {col.name: f"c{i}.npy" for i, col in enumerate(columns)}
        _write(tmp, columns, names, n, batches, progress)
        dropped, facts = finish() if finish is not None else (set(), {})
        for name in dropped:
            (tmp / names.pop(name)).unlink()
        manifest = {"columns": names, "n": n, "facts": facts}
        (tmp / "manifest.json").write_text(json.dumps(manifest))
        if final.exists():
            shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DataError(
            f"writing the local column files under {folder} failed ({err}); free space there "
            "(they take as many bytes as the data) or pass cache_dir= another folder"
        ) from err
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in folder.iterdir():
        if old.name != version and not old.name.startswith(".tmp-"):
            with contextlib.suppress(OSError):
                shutil.rmtree(old)
    found = _open(final, columns, n)
    assert found is not None
    return found


def _open(entry: Path, columns: list[Column], n: int) -> Columns | None:
    try:
        manifest = json.loads((entry / "manifest.json").read_text())
        names = manifest["columns"]
        out = {}
        for col in columns:
            if col.name not in names:
                continue  # not kept (finish() dropped it)
            arr = np.load(entry / names[col.name], mmap_mode="r")
            if arr.shape != (n,) or arr.dtype != col.dtype:
                return None
            out[col.name] = arr
        return Columns(out, dict(manifest.get("facts", {})))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(
    tmp: Path,
    columns: list[Column],
    names: dict[str, str],
    n: int,
    batches: Batches,
    progress: Callable[[int], Any] | None,
) -> None:
    outs = [
        np.lib.format.open_memmap(tmp / names[c.name], mode="w+", dtype=c.dtype, shape=(n,))
        for c in columns
    ]
    maps = [mapping_of(o) for o in outs]
    at = 0
    for batch in batches():
        parts = [np.asarray(b).reshape(-1) for b in batch]
        k = parts[0].shape[0]
        if len(parts) != len(outs) or any(p.shape[0] != k for p in parts) or at + k > n:
            raise DataError(
                f"reading the data gave a batch of {[p.shape[0] for p in parts]} samples at row "
                f"{at} of {n}: the source changed while being read? Open it again"
            )
        for o, m, p in zip(outs, maps, parts, strict=True):
            o[at : at + k] = p
            if m is not None:
                write_back(m, o[at : at + k])  # on disk, so its pages can be given back
                release(m, o[at : at + k])
        at += k
        if progress is not None:
            progress(k)
    if at != n:
        raise DataError(
            f"reading the data gave {at} samples, not the {n} its shape says: the source "
            "changed while being read? Open it again"
        )
    for o in outs:
        o.flush()


def stream_chunked(
    kind: str, arrays: Mapping[str, Any], group: str, version: str, cache_dir: Any
) -> dict[str, np.ndarray]:
    """The channels of chunked ``arrays`` (zarr or dask, 1-D) as memory-mapped local column files.

    ``kind``: "zarr" or "dask" (dask computes batches with the active scheduler).
    ``group`` names where the source is (its older copies are deleted when a new
    ``version``, what it holds, is written); ``cache_dir``: the widget's checked
    ``cache_dir`` (None: the user's cache folder).

    Raises:
        DataError: ``cache_dir=False`` (the columns must be written somewhere),
            channels of different lengths, or a cache folder that cannot be written.
    """
    from .pyrcache import default_cache_dir
    from .source import Progress

    if cache_dir is False:
        raise DataError(
            f"a {kind} source is read into local column files in the cache folder, but "
            "cache_dir=False keeps nothing on disk: pass cache_dir=None (the user's cache "
            "folder) or a folder path, or load the data into memory first (e.g. .compute())"
        )
    lengths = {k: int(a.shape[0]) for k, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise DataError(
            f"channels differ in length: {lengths}; every channel needs one value per sample"
        )
    n = next(iter(lengths.values()))
    cols = [Column(k, np.dtype(a.dtype)) for k, a in arrays.items()]
    root = default_cache_dir() if cache_dir is None else Path(cache_dir)
    per_sample = sum(c.dtype.itemsize for c in cols)
    chunk = _chunk_len(next(iter(arrays.values())))
    step = max(chunk, (BATCH_BYTES // max(1, per_sample)) // chunk * chunk)
    values = list(arrays.values())

    def batches() -> Iterator[list[np.ndarray]]:
        for a in range(0, n, step):
            b = min(n, a + step)
            if kind == "dask":
                import dask

                yield list(dask.compute(*[v[a:b] for v in values]))
            else:
                yield [np.asarray(v[a:b]) for v in values]

    with Progress(n * len(cols), True) as tick:

        def progress(k: int) -> None:
            if tick is not None:
                tick(k * len(cols))

        return materialize(root, group, version, cols, n, batches, progress).arrays


def _chunk_len(arr: Any) -> int:
    """Samples per chunk along the first axis of a zarr or dask array (int)."""
    chunks = getattr(arr, "chunks", None)
    if chunks is None:
        return 1 << 20
    first = chunks[0]
    if isinstance(first, tuple):  # dask: a tuple of chunk sizes per axis
        return max(1, int(max(first)))
    return max(1, int(first))
