"""Things that must happen one at a time across every app node: numbering the staff log and releases.

On PostgreSQL a transaction-scoped advisory lock makes a second node wait until the first has
committed, then read the number the first one took. SQLite serialises writers by itself: a
racing writer fails on the table's key and is rolled back, and only one node may use SQLite.
"""
from __future__ import annotations

from sqlalchemy import text

from .extensions import db

#: One lock space per kind of number (any fixed 32-bit values).
STAFF_LOG = 0x5354
RELEASES = 0x524C


def hold(kind: int, key: int = 0) -> None:
    """Wait for the lock `(kind, key)` and keep it until the session's transaction ends."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:kind, :key)"), {"kind": kind, "key": key})
