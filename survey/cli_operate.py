"""Commands for operators: the schema, the configuration check, backups and restores."""
from __future__ import annotations

import sys
from pathlib import Path

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


BACKUP_PASSPHRASE_ENV = "WIR_SURVEY_BACKUP_PASSPHRASE"


def backup_passphrase(confirm: bool) -> str:
    """The backup passphrase: `$WIR_SURVEY_BACKUP_PASSPHRASE`, else asked for (never echoed)."""
    import os

    return os.environ.get(BACKUP_PASSPHRASE_ENV) or click.prompt(
        "Backup passphrase (not the Statistics Office's)", hide_input=True, confirmation_prompt=confirm, err=True)


@commands.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@requires("database")
def backup_command(out: Path) -> None:
    """Write an encrypted snapshot of the database, configuration, keys and releases to OUT.

    Keep it apart from the server and its passphrase apart from it. Print files of codes are never
    part of it and must never be stored beside it."""
    from .backup import BackupProblem, write_backup
    from .extensions import db
    from .stafflog import record

    try:
        manifest = write_backup(out, backup_passphrase(confirm=True))
    except BackupProblem as exc:
        fail(str(exc))
    record(None, "backup written", {"file": out.name, "engine": manifest["engine"]})
    db.session.commit()
    click.echo(f"Backup written to {out} ({manifest['engine']} database at revision {manifest['revision']}, "
               f"{len(manifest['files']) - 1} instance files), encrypted with the backup passphrase.")


@commands.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@requires("none")
def restore_command(archive: Path) -> None:
    """Restore ARCHIVE into a fresh instance (WIR_SURVEY_INSTANCE) and an empty database.

    Refused, with nothing changed, for a wrong passphrase, a changed archive, an instance folder
    that holds a configuration or keys, or a database that holds tables."""
    from .backup import BackupProblem, restore
    from .database import head_revision
    from .extensions import db
    from .stafflog import record

    try:
        restored = restore(archive, backup_passphrase(confirm=False))
    except BackupProblem as exc:
        fail(str(exc))
    current_app.config.from_pyfile("config.py")
    click.echo(f"Restored {restored.engine} database (revision {restored.revision}) and {restored.files} instance "
               f"files into {current_app.instance_path}.")
    if restored.revision == head_revision():
        record(None, "instance restored from a backup", {"file": archive.name})
        db.session.commit()
        click.echo("Check it with `wir-survey audit` and `wir-survey log verify`, then start the nodes.")
    else:
        click.echo("Its schema is older than this version: run `wir-survey db upgrade` once, then `wir-survey audit`.")
