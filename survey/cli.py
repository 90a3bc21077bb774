"""The `wir-survey` command: a Flask CLI group over `create_app`; the CLI and the web use the same operations."""
from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy.exc import InterfaceError, OperationalError

from . import create_app
from .config import PASSPHRASE_ENV


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


def requires(level: str = "schema") -> Callable:
    """Run a command in the app's context once the instance is ready for it (see `survey.readiness`).

    Whatever is missing (the instance, the database, its schema) and a database that fails during
    the command each end it with one plain sentence and exit status 1, never a traceback; the
    sentence quotes the driver's reason, never a statement or its parameters."""
    from . import readiness
    from .database import MigrationInProgress

    def decorate(function: Callable) -> Callable:
        @click.pass_context
        @functools.wraps(function)
        def run(ctx: click.Context, /, *args, **kwargs):
            app = current_app._get_current_object() if current_app else ctx.ensure_object(ScriptInfo).load_app()
            with app.app_context():
                try:
                    readiness.check(app, level)
                    return ctx.invoke(function, *args, **kwargs)
                except (readiness.NotReady, MigrationInProgress) as exc:
                    fail(str(exc))
                except (OperationalError, InterfaceError) as exc:
                    url = str(app.config["SQLALCHEMY_DATABASE_URI"])
                    fail(f"The database at {readiness.where(url)} failed during the command "
                         f"({readiness.driver_reason(exc)}): check that it runs, then run the command again.")
                finally:
                    # A command is a whole session with the database: close its connections when it ends.
                    from .extensions import db

                    db.session.remove()  # gives the session's connection back first: dispose closes only those
                    db.engine.dispose()

        run.wir_requires = level
        return run

    return decorate


# --- instance ---------------------------------------------------------------------------------

def initialise_instance(port: int | None = None, public_url: str | None = None) -> bool:
    """Configuration with fresh secrets (unless present) and the schema at its newest revision.

    A port or public URL given is written into the configuration, new or existing; a new port
    alone moves a local PUBLIC_URL with it."""
    from .database import upgrade
    from .instance import DEFAULT_PORT, local_url, set_settings, write_config
    from .configcheck import is_local

    instance = Path(current_app.instance_path)
    written = write_config(instance, port or DEFAULT_PORT, public_url)
    if not written and (port or public_url):
        changes: dict[str, object] = {}
        if port:
            changes["PORT"] = port
            if not public_url and is_local(str(current_app.config["PUBLIC_URL"])):
                changes["PUBLIC_URL"] = local_url(port)
        if public_url:
            changes["PUBLIC_URL"] = public_url
        set_settings(instance, **changes)
    current_app.config.from_pyfile("config.py")
    upgrade()
    return written


@commands.command("init")
@click.option("--port", type=click.IntRange(1, 65535), help="The port this instance's nodes listen on (default 5000).")
@click.option("--public-url", help="The address people reach the survey at, e.g. https://umfrage.example.de "
                                   "(default http://127.0.0.1:PORT).")
@requires("none")
def init_command(port: int | None, public_url: str | None) -> None:
    """Create the instance configuration (random secrets, port, public URL) and the database; safe to run twice."""
    from .readiness import where

    instance = Path(current_app.instance_path)
    written = initialise_instance(port, public_url)
    click.echo(f"Instance: {instance} ({'new configuration written' if written else 'configuration kept'})")
    click.echo(f"Database: {where(str(current_app.config['SQLALCHEMY_DATABASE_URI']))} (schema up to date)")
    click.echo(f"Serves on port {current_app.config['PORT']}; public URL {current_app.config['PUBLIC_URL']}")


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
