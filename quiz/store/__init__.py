"""The storage layer: the SQLite schema, its migrations and every query of the app.

The package's modules: ``schema`` (migrations), ``aggregates`` (the statistics
kept as attempts finish), ``backup`` and ``core`` (the :class:`Store` and its queries).
"""

from .aggregates import form_hash
from .backup import integrity, restore
from .core import Store, now
from .errors import StoreError
from .schema import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "Store",
    "StoreError",
    "form_hash",
    "integrity",
    "now",
    "restore",
]
