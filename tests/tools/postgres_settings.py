"""Autovacuum, which the audit insists on, switched on for a test or bench run and put back after.

This machine's PostgreSQL switches autovacuum off in its configuration file (for CI speed); the
audit fails such a server, because old versions of the pool row would stay in the table files. A
run switches it on with ALTER SYSTEM and restores the server's own value at the end.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text


@contextmanager
def autovacuum_on(server_url: str, leave: bool = False) -> Iterator[Callable[[], str]]:
    """Yields `ensure()`, which switches autovacuum on (unless `leave`) and says what it found or did.

    Call it at the start, and again just before an audit: another session on the same server may
    have restored its own value meanwhile."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    changed = False

    def ensure() -> str:
        nonlocal changed
        with admin.connect() as connection:
            if connection.execute(text("SHOW autovacuum")).scalar() == "on":
                return "autovacuum on"
        if leave:
            return "autovacuum off (left so: the audit will fail)"
        _alter_system(admin, "autovacuum = on", "on")
        changed = True
        return "autovacuum switched on for the run (ALTER SYSTEM; the server's setting is restored at the end)"

    try:
        with admin.connect() as connection:
            earlier = connection.execute(text(
                "SELECT setting FROM pg_file_settings WHERE name = 'autovacuum' "
                "AND sourcefile LIKE '%postgresql.auto.conf'")).scalar()
        try:
            yield ensure
        finally:
            if changed:
                _alter_system(admin, f"autovacuum = {earlier}" if earlier else None, None)
    finally:
        admin.dispose()


def _alter_system(admin, setting: str | None, expected: str | None) -> None:
    """ALTER SYSTEM SET `setting` (or RESET autovacuum), reload, and wait until new sessions see it."""
    with admin.connect() as connection:
        connection.execute(text(f"ALTER SYSTEM SET {setting}" if setting else "ALTER SYSTEM RESET autovacuum"))
        connection.execute(text("SELECT pg_reload_conf()"))
    deadline = time.monotonic() + 10
    while expected is not None and time.monotonic() < deadline:
        with admin.connect() as connection:
            if connection.execute(text("SHOW autovacuum")).scalar() == expected:
                return
        time.sleep(0.05)
