"""Schema migrations, run through Alembic on the app's own engine, once, by the operator.

App nodes never migrate: `wir-survey db upgrade` does, and on PostgreSQL it holds an advisory
lock while it runs, so a second upgrade (or a node starting, see `survey.readiness`) is refused
instead of racing it.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from .extensions import db
from .files import ensure_private_dir, write_private_file, sqlite_file

MIGRATIONS = Path(__file__).parent / "migrations"
#: The advisory lock a migration holds on PostgreSQL (any fixed number; "wir-mig" in ASCII).
MIGRATION_LOCK = 0x7769722D6D6967


class MigrationInProgress(Exception):
    """Another process migrates the database right now."""


def alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this code knows."""
    return str(ScriptDirectory(str(MIGRATIONS)).get_current_head())


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None when it holds no wir-survey schema."""
    return MigrationContext.configure(connection).get_current_revision()


def migration_running(connection: Connection) -> bool:
    """Whether another process holds the migration lock (PostgreSQL; SQLite serialises writers itself).

    `connection` must not be in a transaction."""
    if connection.dialect.name != "postgresql":
        return False
    with connection.begin():  # the lock, if taken, ends with this short transaction
        return not _take_migration_lock(connection)


def _take_migration_lock(connection: Connection) -> bool:
    """Take the migration lock for the connection's transaction unless another process holds it."""
    return bool(connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}).scalar())


def upgrade() -> None:
    """Bring the database to the newest revision; a no-op when it is already there.

    An embedded SQLite file is created first, readable by its owner only; SQLite gives its
    journal the same mode. On PostgreSQL the transaction holds the migration lock: a second
    upgrade started meanwhile is refused (MigrationInProgress) rather than waiting to redo it."""
    path = sqlite_file(str(db.engine.url))
    if path is not None and not path.exists():
        ensure_private_dir(path.parent)
        write_private_file(path)
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql" and not _take_migration_lock(connection):
            raise MigrationInProgress("Another process is migrating this database right now; wait until it has "
                                      "finished (its `wir-survey db upgrade` returns), then check with "
                                      "`wir-survey db status`.")
        command.upgrade(alembic_config(connection), "head")


def rollback_quietly() -> None:
    """Undo the request's transaction after a failure; a connection that is gone already is no
    reason to fail again (the error page matters more)."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001
        pass
