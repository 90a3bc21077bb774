"""Schema migrations, run through Alembic on the app's own engine."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from .extensions import db
from .files import ensure_private_dir, write_private_file, sqlite_file

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade() -> None:
    """Bring the database to the newest revision; a no-op when it is already there.

    An embedded SQLite file is created first, readable by its owner only; SQLite gives its
    journal the same mode."""
    path = sqlite_file(str(db.engine.url))
    if path is not None and not path.exists():
        ensure_private_dir(path.parent)
        write_private_file(path)
    with db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


def rollback_quietly() -> None:
    """Undo the request's transaction after a failure; a connection that is gone already is no
    reason to fail again (the error page matters more)."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001
        pass
