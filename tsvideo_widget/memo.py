"""A small memo of a pure function's last results, keyed by its inputs."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

R = TypeVar("R")


class Memo(Generic[R]):
    """Remembers the last ``size`` results of ``fn``, keyed by ``key(*args)``.

    The widget's validators and observers both ask for what is derived from a
    set of trait values (the proposed one, then the installed one): the memo
    lets them compute it once without passing it from one to the other. The
    arguments are kept with each result, so an object's ``id`` in a key cannot
    be reused while it is remembered.

    Args:
        fn: the pure function.
        key: the arguments' identity (use ``id()`` for large objects compared by identity).
        size: how many results to keep (int, default 2: the current and a proposed one).
    """

    def __init__(self, fn: Callable[..., R], key: Callable[..., Hashable], size: int = 2) -> None:
        self._fn = fn
        self._key = key
        self._size = size
        self._items: list[tuple[Hashable, tuple[Any, ...], R]] = []

    def __call__(self, *args: Any) -> R:
        """``fn(*args)``, from memory when the same arguments were seen last."""
        k = self._key(*args)
        for i, (key, _args, result) in enumerate(self._items):
            if key == k:
                self._items.append(self._items.pop(i))
                return result
        result = self._fn(*args)
        self._items.append((k, args, result))
        del self._items[: -self._size]
        return result
