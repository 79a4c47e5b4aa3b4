"""Trait types of the widget that traitlets does not have."""

from __future__ import annotations

import os
from typing import Any

import traitlets as t

from .errors import TsvTypeError


class ByIdentity(t.Any):
    """A trait holding any object, that notifies whenever a different object is assigned.

    traitlets compares the old and new values with ``==`` to decide whether to
    notify; for a DataFrame that is an elementwise comparison of the whole
    table (two seconds and a boolean copy of the table for 1e8 rows x 8). What
    matters here is whether it is another object.
    """

    def set(self, obj: t.HasTraits, value: Any) -> None:
        """Validate and store ``value``; notify when it is another object than before."""
        new_value = self._validate(obj, value)
        assert self.name is not None
        old_value = obj._trait_values.get(self.name, self.default_value)
        obj._trait_values[self.name] = new_value
        if old_value is not new_value:
            obj._notify_trait(self.name, old_value, new_value)


class FilePath(t.TraitType[str | None, Any]):
    """A file system path: a str or ``os.PathLike`` given, a str kept; None allowed."""

    default_value = None
    allow_none = True
    info_text = "a file path (str or os.PathLike) or None"

    def validate(self, obj: Any, value: Any) -> str | None:
        """The path as a str; TsvTypeError (a TraitError) for anything else."""
        if value is None:
            return None
        if isinstance(value, (str, os.PathLike)):
            path = os.fspath(value)
            if isinstance(path, str) and path:
                return path
        raise TsvTypeError(
            f"the {self.name!r} trait takes a file path (str or pathlib.Path) or None, "
            f"got {value!r:.80}"
        )


class _ChecksNone:
    """Runs the owner's ``@validate`` handlers for None too.

    traitlets skips them when an ``allow_none`` trait is assigned None directly
    (``w.labels = None``), though not inside ``hold_trait_notifications`` (the
    browser's path): so a rule that spans traits would be skipped for exactly
    one value. With this mixin it never is.
    """

    def _validate(self, obj: Any, value: Any) -> Any:
        if value is None and getattr(self, "allow_none", False):
            if obj._cross_validation_lock is False:
                return self._cross_validate(obj, value)  # type: ignore[attr-defined]
            return value
        return super()._validate(obj, value)  # type: ignore[misc]


class Unicode(_ChecksNone, t.Unicode):
    """``traitlets.Unicode`` whose validators also see None."""


class List(_ChecksNone, t.List):
    """``traitlets.List`` whose validators also see None."""


class Float(_ChecksNone, t.Float):
    """``traitlets.Float`` whose validators also see None."""


class Enum(_ChecksNone, t.Enum):
    """``traitlets.Enum`` whose validators also see None."""


class AnyValue(_ChecksNone, t.Any):
    """``traitlets.Any`` whose validators also see None."""


class Media(_ChecksNone, ByIdentity):
    """A :class:`ByIdentity` trait whose validators also see None."""


class OptionalPath(_ChecksNone, FilePath):
    """A :class:`FilePath` whose validators also see None."""
