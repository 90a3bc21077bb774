"""`wir-survey users ...`: staff accounts from the server's shell; each a thin shell over survey.auth.operations.

Commands run by whoever holds the server's shell: the staff log names them as "cli" (the actor)."""
from __future__ import annotations

import os

import click

from .cli import commands, fail, requires
from .models import STAFF_ROLES

PASSWORD_ENV = "WIR_SURVEY_USER_PASSWORD"
CLI_ACTOR = "cli"


def new_password() -> str:
    """`$WIR_SURVEY_USER_PASSWORD` when set, else asked for twice (never echoed)."""
    value = os.environ.get(PASSWORD_ENV)
    if value:
        return value
    return click.prompt("New password (at least 12 characters)", hide_input=True, confirmation_prompt=True,
                        err=True)


def show_enrolment(enrolment) -> None:
    """The second factor, printed this once: the URI for the authenticator app, and as a QR code."""
    import io

    import qrcode

    click.echo("Second factor (shown once; add it to an authenticator app now):")
    click.echo(f"  {enrolment.uri}")
    code = qrcode.QRCode(border=1)
    code.add_data(enrolment.uri)
    out = io.StringIO()
    code.print_ascii(out=out)
    click.echo(out.getvalue())


@commands.group("users")
def users_group() -> None:
    """Staff accounts: create, list, disable, enable, reset passwords, set roles."""


role_option = click.option("--role", "roles", multiple=True, required=True, type=click.Choice(STAFF_ROLES),
                           help="office, council, hr or admin; repeatable.")


@users_group.command("create")
@click.argument("name")
@role_option
@requires()
def users_create(name: str, roles: tuple[str, ...]) -> None:
    """Create the staff account NAME with its roles (office and council also get a second factor)."""
    from .auth.operations import AccountError, create_account
    from .auth.passwords import PasswordRejected

    try:
        account, enrolment = create_account(name, new_password(), roles, actor=CLI_ACTOR)
    except (AccountError, PasswordRejected) as exc:
        fail(str(exc))
    click.echo(f"Created {account.name} ({', '.join(account.roles)}).")
    if enrolment is not None:
        show_enrolment(enrolment)


@users_group.command("list")
@requires()
def users_list() -> None:
    """Every staff account with its roles, state and second factor."""
    from .auth.operations import list_accounts

    for account in list_accounts():
        state = "disabled" if account.disabled else "active"
        extras = [state, "second factor" if account.otp_secret else "password only"]
        if account.demo:
            extras.append("demo")
        click.echo(f"{account.name}\t{','.join(account.roles)}\t{'; '.join(extras)}")


@users_group.command("disable")
@click.argument("name")
@requires()
def users_disable(name: str) -> None:
    """Lock NAME out at once (an open login ends with its next page)."""
    _set_disabled(name, True)


@users_group.command("enable")
@click.argument("name")
@requires()
def users_enable(name: str) -> None:
    """Let NAME log in again."""
    _set_disabled(name, False)


def _set_disabled(name: str, disabled: bool) -> None:
    from .auth.operations import AccountError, set_disabled

    try:
        set_disabled(name, disabled, actor=CLI_ACTOR)
    except AccountError as exc:
        fail(str(exc))
    click.echo(f"{name} is {'disabled' if disabled else 'enabled'}.")


@users_group.command("reset-password")
@click.argument("name")
@requires()
def users_reset_password(name: str) -> None:
    """Give NAME a new password (asked for, or $WIR_SURVEY_USER_PASSWORD); also lifts a login wait."""
    from .auth.operations import AccountError, reset_password
    from .auth.passwords import PasswordRejected

    try:
        reset_password(name, new_password(), actor=CLI_ACTOR)
    except (AccountError, PasswordRejected) as exc:
        fail(str(exc))
    click.echo(f"{name} has a new password.")


@users_group.command("roles")
@click.argument("name")
@role_option
@requires()
def users_roles(name: str, roles: tuple[str, ...]) -> None:
    """Set the roles of NAME to exactly the --role options given."""
    from .auth.operations import AccountError, set_roles

    try:
        account, enrolment = set_roles(name, roles, actor=CLI_ACTOR)
    except AccountError as exc:
        fail(str(exc))
    click.echo(f"{account.name} now has the roles {', '.join(account.roles)}.")
    if enrolment is not None:
        show_enrolment(enrolment)


@users_group.command("otp")
@click.argument("name")
@requires()
def users_otp(name: str) -> None:
    """The current one-time code of a DEMO account (refused for real accounts)."""
    from .auth.operations import AccountError, demo_code

    try:
        click.echo(demo_code(name))
    except AccountError as exc:
        fail(str(exc))
