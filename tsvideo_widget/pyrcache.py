"""Persisted pyramids: built once per file, found again on the next open, renewed when it changes.

A channel whose samples live in a file (a ``np.memmap``, or ``np.load(...,
mmap_mode="r")``, or a view of one) gets its pyramid stored in a cache folder,
one ``.npy`` file per level and kind (minima, maxima, NaN flags), and read back
memory-mapped: reopening a 20 GB recording costs a few small file opens, not a
pass over 20 GB, and the levels take no memory until a window reads a few
hundred of their values.

An entry is named by where the samples are (the file's real path, the byte
offset of the first sample, dtype, stride) and versioned by what they are: their
count, the file's size and modification time, and a digest of 1024 samples
spread over the channel. A file that changed (rewritten, appended, touched, or edited in
place keeping its time) gets a new version; the old one is deleted when the new
one is stored. Entries are written to a temporary folder and renamed into place,
so a build interrupted halfway leaves nothing a later open could take for a
pyramid. Arrays in memory are not cached: their pyramid costs less to build
than their digest would to check.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .decimate import Decimated
from .errors import CacheWarning, TsvTypeError
from .mapped import mapping_of
from .pyramid import Pyramid

__all__ = [
    "FORMAT",
    "FileSlice",
    "PyramidCache",
    "cache_for",
    "check_cache_dir",
    "default_cache_dir",
    "file_slice",
]

FORMAT = 1
"""Version of the stored layout (int): a change of it makes every older entry a miss."""

_SAMPLED = 1024
"""Samples read for an entry's content digest (int): an edit of a stretch of the file
longer than 1/1024 of it touches one of them. Each costs a disk read on a cold reopen
(4096 took 0.42 s of a 0.8 s cold reopen of a 2 GB file)."""


def default_cache_dir() -> Path:
    """The user's cache folder for tsvideo-widget (Path).

    ``$XDG_CACHE_HOME/tsvideo-widget`` (default ``~/.cache/tsvideo-widget``) on
    Linux, ``~/Library/Caches/tsvideo-widget`` on macOS, ``%LOCALAPPDATA%\\
    tsvideo-widget\\Cache`` on Windows.
    """
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "tsvideo-widget"
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "tsvideo-widget" / "Cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tsvideo-widget"


@dataclass(frozen=True)
class FileSlice:
    """Where a channel's samples are on disk.

    Attributes:
        path: the file's real path (str).
        offset: byte offset of the first sample (int).
        dtype: the samples' dtype (str, e.g. "<i2").
        stride: bytes from one sample to the next (int).
        n: number of samples (int).
    """

    path: str
    offset: int
    dtype: str
    stride: int
    n: int


def file_slice(arr: np.ndarray) -> FileSlice | None:
    """Where ``arr``'s samples are in a file, or None when they are not file-backed
    (see :func:`tsvideo_widget.mapped.mapping_of`)."""
    m = mapping_of(arr) if arr.ndim == 1 else None
    if m is None:
        return None
    path = str(Path(m.filename).resolve())
    return FileSlice(path, m.file_offset(arr), arr.dtype.str, int(arr.strides[0]), arr.shape[0])


def _digest(fs: FileSlice) -> str:
    """A digest of up to :data:`_SAMPLED` samples spread evenly over ``fs``, and its last (hex).

    Read with ``pread``, not through the mapping: touching a mapped file at a fixed
    stride makes the kernel read ahead, and the process's resident memory grows to
    the whole file (measured: 2 GB for 4096 samples of a 2 GB file).
    """
    itemsize = np.dtype(fs.dtype).itemsize
    step = max(1, fs.n // _SAMPLED)
    rows = [*range(0, fs.n, step), fs.n - 1]
    h = hashlib.sha256()
    with open(fs.path, "rb") as f:
        fd = f.fileno()
        for i in rows:
            h.update(os.pread(fd, itemsize, fs.offset + i * fs.stride))
    return h.hexdigest()[:24]


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:24]


class PyramidCache:
    """A folder of persisted pyramids.

    Args:
        root: the folder (created when first written to).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _where(self, arr: np.ndarray, base: int, factor: int) -> tuple[Path, str] | None:
        """The entry's folder and the version its contents must carry, or None (not on disk)."""
        fs = file_slice(arr)
        if fs is None:
            return None
        try:
            st = os.stat(fs.path)
        except OSError:
            return None
        where = asdict(fs)
        n = where.pop("n")
        name = _hash({"format": FORMAT, "base": base, "factor": factor, **where})
        version = _hash(
            {"n": n, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "digest": _digest(fs)}
        )
        return self.root / name, version

    def load(self, arr: np.ndarray, base: int, factor: int) -> Pyramid | None:
        """The stored pyramid of ``arr``, memory-mapped, or None (not stored, or stale)."""
        where = self._where(arr, base, factor)
        if where is None:
            return None
        folder, version = where
        entry = folder / version
        try:
            manifest = json.loads((entry / "manifest.json").read_text())
            levels, nans = [], []
            for k in range(manifest["levels"]):
                levels.append(
                    (
                        np.load(entry / f"{k}.min.npy", mmap_mode="r"),
                        np.load(entry / f"{k}.max.npy", mmap_mode="r"),
                    )
                )
                if manifest["nans"]:
                    nans.append(np.load(entry / f"{k}.nan.npy", mmap_mode="r"))
            p = Pyramid.of_levels(arr, levels, nans if manifest["nans"] else None, base, factor)
            p.cache_key = f"{folder.name}/{version}"
            return p
        except (OSError, ValueError, KeyError):
            return None

    def build(
        self,
        arr: np.ndarray,
        base: int,
        factor: int,
        pool: Executor | None = None,
        tick: Callable[[int], Any] | None = None,
    ) -> Pyramid | None:
        """Build the pyramid of a file-backed ``arr`` straight into the cache; read it back.

        The levels are written into ``.npy`` files of a temporary folder chunk by chunk
        (each chunk's pages written back and given back as it is done), so the build
        holds a chunk, not the pyramid (833 MB for 1e10 int16 samples); the folder is
        renamed into place when complete and older versions of the same samples are
        deleted. Returns the stored pyramid (read-only memory maps), or None when
        ``arr`` is not in a file or the cache cannot be written (a full disk, a
        read-only folder): the caller then builds in memory, and the cache is as it was.
        """
        where = self._where(arr, base, factor)
        if where is None:
            return None
        folder, version = where
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
        except OSError as err:
            _unwritable(folder, err)
            return None
        made: list[np.memmap] = []

        def in_file(name: str, n: int, dtype: np.dtype) -> np.ndarray:
            out: np.memmap = np.lib.format.open_memmap(
                tmp / f"{name}.npy", mode="w+", dtype=dtype, shape=(n,)
            )
            made.append(out)
            return out

        try:
            pyramid = Pyramid(arr, base, factor, pool, tick, alloc=in_file)
            for a in made:
                a.flush()
            made.clear()
            if pyramid.nans is not None:
                for k, flags in enumerate(pyramid.nans):
                    np.save(tmp / f"{k}.nan.npy", flags)
            manifest = {"levels": len(pyramid.levels), "nans": pyramid.nans is not None}
            (tmp / "manifest.json").write_text(json.dumps(manifest))
            del pyramid
            target = folder / version
            if target.exists():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                os.replace(tmp, target)
        except OSError as err:
            made.clear()
            shutil.rmtree(tmp, ignore_errors=True)
            _unwritable(folder, err)
            return None
        except BaseException:
            made.clear()
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        for old in folder.iterdir():  # older versions of the same samples: stale now
            if old.name != version and not old.name.startswith(".tmp-"):
                with contextlib.suppress(OSError):
                    shutil.rmtree(old)
        return self.load(arr, base, factor)

    # -- whole windows (the overview): a cold reopen then reads one small file ----------------

    windows_kept = 16
    """Windows kept per cache folder (int): the oldest beyond this are deleted."""

    def load_window(self, key: str) -> Decimated | None:
        """A window stored under ``key`` by :meth:`store_window`, or None."""
        try:
            with np.load(self.root / "windows" / f"{key}.npz") as z:
                head = json.loads(str(z["head"]))
                ys = [z[f"y{i}"] for i in range(head["channels"])]
                return Decimated(z["x"], ys, head["bucket"], head["dt"], head["i0"], head["i1"])
        except (OSError, ValueError, KeyError):
            return None

    def store_window(self, key: str, dec: Decimated) -> None:
        """Keep ``dec`` under ``key`` (written whole or not at all; failures ignored)."""
        folder = self.root / "windows"
        head = {"channels": len(dec.ys), "bucket": dec.bucket, "dt": dec.dt}
        head.update(i0=dec.i0, i1=dec.i1)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
            with os.fdopen(fd, "wb") as f:
                arrays: dict[str, Any] = {f"y{i}": np.asarray(y) for i, y in enumerate(dec.ys)}
                arrays.update(x=dec.x, head=np.asarray(json.dumps(head)))
                np.savez(f, **arrays)
            os.replace(tmp, folder / f"{key}.npz")
            kept = sorted(folder.glob("*.npz"), key=lambda p: p.stat().st_mtime_ns)
            for old in kept[: -self.windows_kept]:
                old.unlink(missing_ok=True)
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)


def _unwritable(folder: Path, err: OSError) -> None:
    """Tell the user a pyramid could not be cached in ``folder`` (a :class:`CacheWarning`)."""
    warnings.warn(
        f"tsvideo-widget could not write the pyramid cache in {str(folder)!r} ({err}); the "
        "pyramid is built in memory and will be built again at the next open. Pass cache_dir= "
        "a writable folder with room for about 4% of the data, or cache_dir=False to keep "
        "pyramids in memory without this warning.",
        CacheWarning,
        stacklevel=2,
    )


def check_cache_dir(value: Any) -> str | bool | None:
    """``cache_dir`` as the widget keeps it: None (the user's cache folder), False (no
    cache) or a folder path (str).

    Raises:
        TsvTypeError: anything else (True, a number, ...).
    """
    if value is None or value is False:
        return value
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    raise TsvTypeError(
        f"cache_dir={value!r} is not a folder: pass a path (str or pathlib.Path), None for the "
        f"user's cache folder ({default_cache_dir()}), or False to keep pyramids in memory only"
    )


def cache_for(value: str | bool | None) -> PyramidCache | None:
    """The cache a checked ``cache_dir`` names (None for False)."""
    if value is False:
        return None
    return PyramidCache(default_cache_dir() if value is None or value is True else value)
