"""The `wir-survey` command: a Flask CLI group over `create_app`; the CLI and the web use the same operations."""
from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

import click
from cryptography.fernet import Fernet
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app
from .config import PASSPHRASE_ENV
from .files import ensure_private_dir, write_private_file


#: Every wir-survey command; `register` adds them to an app's CLI, which the console script serves.
commands = click.Group("wir-survey")


def register(app) -> None:
    for command in commands.commands.values():
        app.cli.add_command(command)


def main() -> None:
    cli(prog_name="wir-survey")


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False, load_dotenv=False)
def cli() -> None:
    """Anonymous employee surveys: questionnaires, waves, codes, the mix pool and the anonymity audit."""


def passphrase(confirm: bool = False) -> str:
    """The Statistics Office passphrase: `$WIR_SURVEY_PASSPHRASE` when set, else asked for (never echoed)."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    # The prompt goes to stderr, so that output meant for a program (`audit --json`) stays clean.
    return click.prompt("Passphrase of the Statistics Office key", hide_input=True, confirmation_prompt=confirm,
                        err=True)


def fail(message: str) -> None:
    raise click.ClickException(message)


# --- instance ---------------------------------------------------------------------------------

def write_instance_config(instance: Path) -> bool:
    """Write `<instance>/config.py` with fresh random secrets unless it exists; True when written."""
    ensure_private_dir(instance)
    path = instance / "config.py"
    if path.exists():
        return False
    body = (
        "# wir-survey instance configuration, written by `wir-survey init`. Keep it secret and backed up:\n"
        "# TOKEN_PEPPER is needed to recognise issued codes; losing it makes every unused code invalid.\n"
        f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
        f"TOKEN_PEPPER = {secrets.token_hex(32)!r}\n"
        f"SESSION_KEY = {Fernet.generate_key().decode('ascii')!r}\n"
    )
    write_private_file(path, body.encode("utf-8"))
    return True


def initialise_instance() -> bool:
    """Configuration with fresh secrets (unless present) and the schema at its newest revision."""
    from .database import upgrade

    written = write_instance_config(Path(current_app.instance_path))
    current_app.config.from_pyfile("config.py")
    upgrade()
    return written


@commands.command("init")
@with_appcontext
def init_command() -> None:
    """Create the instance configuration (random secrets) and the database; safe to run twice."""
    instance = Path(current_app.instance_path)
    written = initialise_instance()
    click.echo(f"Instance: {instance} ({'new configuration written' if written else 'configuration kept'})")
    click.echo(f"Database: {current_app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]} (schema up to date)")


# --- questionnaires ---------------------------------------------------------------------------

@commands.group("questionnaires")
def questionnaires_group() -> None:
    """List and check questionnaire definitions."""


@questionnaires_group.command("list")
def questionnaires_list() -> None:
    """The shipped questionnaires with version, languages and hash."""
    from questionnaires import QuestionnaireError, load_builtin

    try:
        found = load_builtin()
    except QuestionnaireError as exc:
        fail(str(exc))
    for q in found.values():
        click.echo(f"{q.id}\tversion {q.version}\t{','.join(q.languages)}\t{len(q.questions())} questions\t{q.hash}")


@questionnaires_group.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def questionnaires_check(files: tuple[str, ...]) -> None:
    """Validate questionnaire files; every problem names the file, the path inside it and the reason."""
    from questionnaires import QuestionnaireError, load_file

    bad = 0
    for name in files:
        try:
            q = load_file(name)
        except QuestionnaireError as exc:
            bad += 1
            for problem in exc.problems:
                click.echo(str(problem), err=True)
        else:
            click.echo(f"{name}: ok ({q.id} version {q.version}, hash {q.hash})")
    if bad:
        sys.exit(1)


from . import cli_commands  # noqa: E402,F401  (registers waves, keys, tokens, pool, audit, demo)
