"""The storage layer: the SQLite schema, its migrations and every query of the app.

Nothing outside this package runs SQL or reads the text of an ``sqlite3`` error:
storage that cannot take a write raises :class:`StorageUnavailable`. The modules:
``schema`` (migrations), ``aggregates`` (the statistics kept as attempts finish),
``backup``, ``errors`` and ``core`` (the :class:`Store` and its queries).
"""

from .aggregates import form_hash
from .backup import integrity, restore
from .core import Store, now
from .errors import StorageUnavailable, StoreError, storage_kind
from .schema import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "StorageUnavailable",
    "Store",
    "StoreError",
    "form_hash",
    "integrity",
    "now",
    "restore",
    "storage_kind",
]
