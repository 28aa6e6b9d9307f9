"""The store's own exceptions, and the translation of SQLite's storage failures into them.

Callers learn that the storage cannot take a write (read-only, full, locked) from
:class:`StorageUnavailable`; they never read the text of an ``sqlite3`` error.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

MESSAGES = {
    "readonly": "the database's storage is read-only: nothing can be saved until it is "
    "writable again",
    "full": "the database's storage is full: nothing can be saved until space is freed",
    "locked": "the database is locked by another writer: try again in a moment",
}


class StoreError(Exception):
    """The database cannot be used (newer schema, unreadable file, storage unavailable)."""


class StorageUnavailable(StoreError):
    """The storage cannot take a write now. ``kind`` is 'readonly', 'full' or 'locked'."""

    def __init__(self, kind: str):
        super().__init__(MESSAGES[kind])
        self.kind = kind


def storage_kind(exc: BaseException) -> str | None:
    """'readonly', 'full' or 'locked' for an SQLite error saying the storage cannot take a
    write now; None for any other error (a constraint, a bug in a query)."""
    if not isinstance(exc, sqlite3.OperationalError):
        return None
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return "readonly"
    if "full" in text:
        return "full"
    if "locked" in text or "busy" in text:
        return "locked"
    return None


@contextmanager
def _translating() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        _reraise(exc)


def _reraise(exc: sqlite3.OperationalError) -> None:
    kind = storage_kind(exc)
    if kind is None:
        raise exc
    raise StorageUnavailable(kind) from exc


def translated(function: Callable[..., T]) -> Callable[..., T]:
    """``function`` raising :class:`StorageUnavailable` for SQLite's storage failures; a
    generator function translates them while it is iterated. Other errors pass unchanged."""
    if inspect.isgeneratorfunction(function):

        @functools.wraps(function)
        def generator(*args: Any, **kwargs: Any) -> Any:
            with _translating():
                return (yield from function(*args, **kwargs))

        return generator

    # A plain try, not _translating(): this wraps every query of every request.
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> T:
        try:
            return function(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            _reraise(exc)
            raise  # not reached: _reraise always raises

    return call


def translated_methods(cls: type[T]) -> type[T]:
    """``cls`` with :func:`translated` applied to ``__init__`` and every public method."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(member, staticmethod):
            setattr(cls, name, staticmethod(translated(member.__func__)))
        elif inspect.isfunction(member):
            setattr(cls, name, translated(member))
    return cls
