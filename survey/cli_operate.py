"""Commands for operators: the schema, the configuration check, backups and restores."""
from __future__ import annotations

import sys

import click
from flask import current_app

from .cli import commands, fail, requires


@commands.group("db")
def db_group() -> None:
    """The database schema: upgrade it once per new version, with the app nodes stopped."""


@db_group.command("upgrade")
@requires("database")
def db_upgrade() -> None:
    """Bring the schema to this version's revision; refused while another process migrates."""
    from .database import current_revision, head_revision, upgrade
    from .extensions import db

    with db.engine.connect() as connection:
        before = current_revision(connection)
    upgrade()
    head = head_revision()
    if before == head:
        click.echo(f"The schema was already at revision {head}; nothing changed.")
    else:
        click.echo(f"The schema moved from revision {before or '(none)'} to {head}. Start the app nodes now.")


@db_group.command("status")
@requires("database")
def db_status() -> None:
    """The schema's revision and the one this version needs; exit 1 when they differ."""
    from .database import current_revision, head_revision
    from .extensions import db

    with db.engine.connect() as connection:
        revision = current_revision(connection)
    head = head_revision()
    click.echo(f"database revision: {revision or '(no schema)'}\nneeded revision:   {head}")
    if revision != head:
        click.echo("Run `wir-survey db upgrade` once, with the app nodes stopped.")
        sys.exit(1)


@commands.group("config")
def config_group() -> None:
    """The instance configuration."""


@config_group.command("check")
@requires("none")
def config_check() -> None:
    """Refuse insecure settings for a node: exit 1 and name each problem and its remedy."""
    from .configcheck import problems

    found = problems(current_app._get_current_object())
    for problem in found:
        click.echo(f"problem: {problem}", err=True)
    if found:
        click.echo(f"{len(found)} problem(s): do not start a node with this configuration.", err=True)
        sys.exit(1)
    click.echo("The configuration has none of the insecure settings this check knows.")
