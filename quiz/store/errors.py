"""The store's own exceptions."""

from __future__ import annotations


class StoreError(Exception):
    """The database cannot be used (newer schema, unreadable file)."""
