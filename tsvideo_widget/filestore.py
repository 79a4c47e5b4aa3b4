"""Labels files on disk: read with a stamp, replace atomically, clean up after crashed writers.

This is the only code that touches the file system for labels files. It is kept
apart from the formats (:mod:`tsvideo_widget.labelfiles`) because its promise is a
different one: whatever the text, a crash never leaves a half-written file, and a
caller can tell whether someone else changed the file since it last read or wrote it.

:func:`write_atomic` writes a temporary file ``.{name}.{pid}.{random}.tmp`` in
the target's folder, fsyncs it, renames it over the target and fsyncs the
folder, so a crash leaves either the old file or the new one, whole. A symlink
stays a symlink (its target is replaced); the file's permission bits are kept
(a new file gets ``0o666`` less the umask). Temporary files whose writer (the
pid in the name) is gone are removed on every write and by
:func:`clean_stale_temps`. Where no process can be probed safely (Windows) they
are kept, and on a folder shared by several machines a pid says nothing about a
writer on another machine, so there a live writer's temporary file could be
removed (its rename then fails; the target is never harmed). Replacing the file
breaks hard links and gives it the writer's owner.

:class:`FileStamp` (size, mtime, SHA-256) says what a file held when it was read
or written, so a caller can tell whether someone else changed it since.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import stat as stat_mod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import LabelFileError, TsvFileNotFoundError

__all__ = [
    "FileStamp",
    "clean_stale_temps",
    "read_file",
    "replacing",
    "stamp",
    "write_atomic",
]


@dataclass(frozen=True)
class FileStamp:
    """What a file held when it was read or written; two differ when the file changed.

    Attributes:
        size: length in bytes.
        mtime_ns: modification time in nanoseconds since the epoch, as the file system says.
        sha256: hex SHA-256 digest of the bytes.
    """

    size: int
    mtime_ns: int
    sha256: str


def _stamp_of(data: bytes, st: os.stat_result) -> FileStamp:
    return FileStamp(len(data), st.st_mtime_ns, hashlib.sha256(data).hexdigest())


def _read_bytes(path: str) -> tuple[bytes, FileStamp]:
    # One open file: the stamp describes exactly the bytes read, even if the
    # file is replaced meanwhile (the open file keeps the old one).
    with open(path, "rb") as f:
        data = f.read()
        st = os.fstat(f.fileno())
    return data, _stamp_of(data, st)


def stamp(path: str | os.PathLike[str]) -> FileStamp | None:
    """The stamp of the file at ``path`` now, or None when there is no such file."""
    try:
        return _read_bytes(os.fspath(path))[1]
    except FileNotFoundError:
        return None


def read_file(path: str | os.PathLike[str]) -> tuple[str, FileStamp]:
    """The text of a labels file and the stamp of exactly the bytes that were read.

    Raises:
        TsvFileNotFoundError: no file at ``path``.
        LabelFileError: the bytes are not UTF-8.
    """
    p = os.fspath(path)
    try:
        data, st = _read_bytes(p)
    except FileNotFoundError as err:
        raise TsvFileNotFoundError(
            f"labels file {p!r} does not exist (looked in {os.getcwd()!r})"
        ) from err
    try:
        return data.decode("utf-8"), st
    except UnicodeDecodeError as err:
        raise LabelFileError(
            f"labels file {p!r} is not UTF-8 text ({err}); it was left as is"
        ) from err


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` may still be running (True when it cannot be told)."""
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    if os.name != "posix":
        # os.kill(pid, 0) would send CTRL_C_EVENT on Windows: keep such files.
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OverflowError:
        return False
    except OSError:
        return True  # EPERM: alive, someone else's
    return True


def clean_stale_temps(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files of crashed writers of ``path``; returns the removed paths.

    A temporary file ``.{name}.{pid}.{random}.tmp`` next to the (symlink-resolved)
    target is stale when process ``pid`` no longer exists; files of live
    processes, this one included, are kept.
    """
    target = os.path.realpath(os.fspath(path))
    folder, name = os.path.split(target)
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)\.[0-9a-f]+\.tmp")
    try:
        entries = os.listdir(folder)
    except FileNotFoundError:
        return []
    removed = []
    for entry in entries:
        m = pattern.fullmatch(entry)
        if m is None or _pid_alive(int(m.group(1))):
            continue
        p = os.path.join(folder, entry)
        try:
            os.unlink(p)
        except FileNotFoundError:
            continue  # another writer cleaned it first
        removed.append(Path(p))
    return removed


def _fsync_dir(folder: str) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        # Some file systems refuse to fsync a folder; the rename has happened anyway.
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[str]:
    """A temporary file beside ``path`` to write; on leaving, it replaces ``path`` in one rename.

    Yields the temporary file's path (created empty, with the old file's permission
    bits, or ``0o666`` less the umask for a new file). After the body returns, the
    file is synced to disk, renamed over ``path`` (symlinks followed: the link stays,
    its target is replaced) and the folder synced; if the body raises, the temporary
    file is removed and ``path`` is untouched. Stale temporary files of ``path`` are
    removed first (:func:`clean_stale_temps`). A crash at any moment leaves the old
    file or the new one, whole.

    Raises:
        TsvFileNotFoundError: the folder does not exist.
        OSError: the file system refused (the old file is untouched).
    """
    target = os.path.realpath(os.fspath(path))
    folder, name = os.path.split(target)
    if not os.path.isdir(folder):
        raise TsvFileNotFoundError(
            f"cannot write {os.fspath(path)!r}: the folder {folder!r} does not exist"
        )
    clean_stale_temps(target)
    try:
        old_mode: int | None = stat_mod.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        old_mode = None
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    # A new file's mode comes from the umask, as open() would give it.
    os.close(os.open(tmp, flags | getattr(os, "O_BINARY", 0), 0o666 if old_mode is None else 0o600))
    try:
        if old_mode is not None:
            os.chmod(tmp, old_mode)
        yield tmp
        fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def write_atomic(path: str | os.PathLike[str], text: str) -> FileStamp:
    """Replace the file at ``path`` with ``text`` (UTF-8) in one rename; returns its stamp.

    See :func:`replacing`: a crash at any moment leaves the old file or the new one,
    whole; symlinks are followed; the old file's permission bits are kept.

    Raises:
        TsvFileNotFoundError: the folder does not exist.
        OSError: the file system refused (the old file is untouched).
    """
    data = text.encode("utf-8")
    with replacing(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_BINARY", 0))
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
            st = os.fstat(fd)  # a rename keeps the mtime
        finally:
            os.close(fd)
    return _stamp_of(data, st)
