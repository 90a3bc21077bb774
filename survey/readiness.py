"""Whether an instance is ready for a command, a node or a load balancer, told in one plain sentence.

Levels, each including the ones before it: `instance` (the configuration with its secrets
exists), `database` (the database can be reached), `schema` (it is at the revision this code
needs and nobody is migrating it). The sentences name the folder or server and what to do; they
never quote SQL, parameters or secrets.
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy.exc import DBAPIError

from .config import DATABASE_ENV, INSTANCE_ENV
from .files import sqlite_file

LEVELS = ("none", "instance", "database", "schema")


class NotReady(Exception):
    """What is missing, as one sentence for a person."""


def where(url: str) -> str:
    """The database's place without its password: host, port and name, or the SQLite file."""
    path = sqlite_file(url)
    if path is not None:
        return str(path)
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


def driver_reason(exc: DBAPIError) -> str:
    """The first line of the driver's own message: it says why (refused, unknown host, terminated),
    never the statement or its parameters, which SQLAlchemy adds only to its own text."""
    lines = str(exc.orig).strip().splitlines()
    return lines[0].strip().rstrip(".") if lines else type(exc.orig).__name__


def check(app: Flask, level: str = "schema") -> None:
    """Raise NotReady with the first thing missing for `level`; needs an app context."""
    if LEVELS.index(level) >= 1:
        _instance(app)
    if LEVELS.index(level) >= 2:
        _reachable(app)
    if LEVELS.index(level) >= 3:
        _schema(app)


def _instance(app: Flask) -> None:
    if not app.config.get("SECRET_KEY") or not app.config.get("TOKEN_PEPPER"):
        raise NotReady(f"There is no wir-survey instance in {app.instance_path} (no config.py with its secrets): "
                       f"run `wir-survey init` there, or set {INSTANCE_ENV} to the instance folder.")


def _reachable(app: Flask) -> None:
    from .extensions import db

    url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    path = sqlite_file(url)
    if path is not None and not path.exists():
        # Connecting would create an empty file; say what is missing instead.
        raise NotReady(f"The database file {path} does not exist: run `wir-survey init` for a new instance, "
                       f"`wir-survey restore` for a backup, or set {DATABASE_ENV} to the production database.")
    try:
        with db.engine.connect():
            pass
    except DBAPIError as exc:
        raise NotReady(f"The database at {where(url)} cannot be reached ({driver_reason(exc)}): check "
                       f"{DATABASE_ENV} and that the database server runs.") from None


def _schema(app: Flask) -> None:
    from .database import current_revision, head_revision, migration_running
    from .extensions import db

    with db.engine.connect() as connection:
        if migration_running(connection):
            raise NotReady("The database is being migrated right now: wait until `wir-survey db upgrade` has "
                           "finished, then try again.")
        revision = current_revision(connection)
    head = head_revision()
    if revision is None:
        raise NotReady(f"The database at {where(str(app.config['SQLALCHEMY_DATABASE_URI']))} holds no wir-survey "
                       "schema: run `wir-survey init` for a new instance or `wir-survey restore` for a backup.")
    if revision != head:
        raise NotReady(f"The database schema is at revision {revision}, this version of wir-survey needs {head}: "
                       "stop the app nodes and run `wir-survey db upgrade` once.")

