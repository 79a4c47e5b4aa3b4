"""The autosave file: what is in memory is on disk after every accepted change.

An :class:`AutosaveFile` belongs to one widget. :meth:`AutosaveFile.save` is
called while a change is being validated, before the widget keeps it: it
checks that nobody else wrote the file since this widget last read or wrote
it, then writes atomically (see :func:`tsvideo_widget.labelfiles.write_atomic`).
If the file changed, or cannot be written, it raises :class:`AutosaveError`
(a TraitError) and the change is refused, so memory and disk never disagree.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import labelfiles
from .data import Series
from .errors import AutosaveError, TsvFileNotFoundError


@dataclass
class Opened:
    """What :meth:`AutosaveFile.open` found.

    Attributes:
        file: the autosave file, ready to save.
        regions: the regions the file holds (in the series' own terms), or None
            when there was no file yet.
    """

    file: AutosaveFile
    regions: list[dict[str, Any]] | None


class AutosaveFile:
    """One widget's labels file.

    Args:
        path: the path as the user gave it (a symlink is followed on write).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        """The path as given (str)."""
        self.kind = labelfiles.file_kind(path)
        """"csv" or "json" (str), from the extension."""
        self._known: labelfiles.FileStamp | None = None
        self._text: str | None = None

    @property
    def real(self) -> str:
        """The file actually written: the path with symlinks resolved (str)."""
        return os.path.realpath(self.path)

    @classmethod
    def open(cls, path: str, series: Series) -> Opened:
        """Check ``path`` can be the autosave file and read the regions it holds.

        Raises:
            LabelFileError: a file that exists but is broken, foreign, or of
                another time kind; it is left as is.
            TsvFileNotFoundError: the folder does not exist.
        """
        f = cls(path)
        folder = os.path.dirname(f.real) or "."
        if not os.path.isdir(folder):
            raise TsvFileNotFoundError(
                f"the folder of the autosave file {path!r} does not exist ({folder!r}); "
                "create it first or pick another path"
            )
        if not os.access(folder, os.W_OK):
            raise AutosaveError(
                f"the folder {folder!r} of the autosave file {path!r} is not writable; "
                "pick another path"
            )
        labelfiles.clean_stale_temps(f.real)
        if not os.path.exists(f.real):
            return Opened(f, None)
        text, stamp = labelfiles.read_file(f.real)
        regions = labelfiles.parse_text(text, f.kind, series, path)
        f._known, f._text = stamp, text
        return Opened(f, regions)

    def store_key(self, fingerprint: str) -> str:
        """The key of this file and data in the browser's store of unsaved edits (str)."""
        h = hashlib.sha256(f"{self.real}\0{fingerprint}".encode())
        return "tsv-" + h.hexdigest()[:32]

    def same_file(self, path: str) -> bool:
        """Whether ``path`` names this file (after following symlinks)."""
        return os.path.realpath(path) == self.real

    def check(self) -> None:
        """Raise AutosaveError if the file changed since this widget last read or wrote it."""
        now = labelfiles.stamp(self.real)
        if now == self._known:
            return
        what = "was deleted" if now is None else "was changed by someone else"
        if self._known is None:
            what = "was created by someone else"
        raise AutosaveError(
            f"the autosave file {self.path!r} {what} (another widget, kernel or program) "
            "since this widget last read or wrote it, so this change was not made and the file "
            "was left as is. To take the file's regions: w.load(w.autosave); to keep this "
            "widget's regions in a new file: w.autosave = '<another path>'"
        )

    def check_save(self, regions: list[dict[str, Any]], series: Series) -> str | None:
        """The text :meth:`save` would write, or None when the file already holds it.

        Raises, without writing, what :meth:`save` would raise for a file that
        changed under this widget or a region a file cannot hold; so a change
        that needs a write can be refused before anything changes.
        """
        text = labelfiles.dumps(regions, series, self.kind)
        if text == self._text and self._known is not None:
            return None
        self.check()
        return text

    def save(self, regions: list[dict[str, Any]], series: Series) -> None:
        """Write ``regions`` unless the file already holds exactly them.

        Raises:
            AutosaveError: the file changed under this widget, or the write failed.
            LabelFileError: a region the file format cannot hold.
        """
        text = self.check_save(regions, series)
        if text is None:
            return
        try:
            self._known = labelfiles.write_atomic(Path(self.path), text)
        except OSError as err:
            raise AutosaveError(
                f"could not write the autosave file {self.path!r} ({err}); the change was not "
                "made. Free some space or fix the permissions, or set w.autosave to another path"
            ) from err
        self._text = text

    def adopt(self, text: str, stamp: labelfiles.FileStamp) -> tuple[Any, Any]:
        """Take the file's current content as known (before loading it); returns the old state."""
        old = (self._known, self._text)
        self._known, self._text = stamp, text
        return old

    def restore(self, state: tuple[Any, Any]) -> None:
        """Undo :meth:`adopt` (the load it was for was refused)."""
        self._known, self._text = state
