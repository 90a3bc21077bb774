"""What the account pages add to survey.auth.operations: the checks that keep an administrator from
locking everyone out, and a second factor that the administrator never gets to see.

Every change still goes through survey.auth.operations (one door to the staff log), with the
acting administrator's name as the actor.
"""
from __future__ import annotations

from ..auth.operations import (create_account, find_account, needs_second_factor, reset_password, set_disabled,
                               set_roles)
from ..models import StaffAccount


class Refused(Exception):
    """The page refuses a change before anything is written. `kind`: `exists` (the name is taken),
    `self_disable` or `self_admin` (the administrator would lock themselves out)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def second_factor_state(account: StaffAccount) -> str:
    """`not_needed` (its roles need none), `pending` (set up by the account holder at the next
    login) or `enrolled` (confirmed by a first one-time code). Says nothing about the secret."""
    if not needs_second_factor(account.roles):
        return "not_needed"
    return "enrolled" if account.otp_secret and account.otp_confirmed else "pending"


def create(name: str, password: str, roles: list[str], *, by: StaffAccount) -> StaffAccount:
    """Create an account; raises Refused, AccountError or PasswordRejected with nothing written.

    For office and council, `create_account` gives the account its TOTP secret at once, unconfirmed,
    and returns it for the command line to print (there, the person who runs `wir-survey users
    create` sets the account up). Here the secret is dropped: the login refuses an unconfirmed
    account with kind `enrol`, and /staff/enrol shows the QR code to whoever proves the password,
    until the first one-time code confirms it. So the account holder enrols their own phone at the
    first login, and no page shows the secret to the administrator. (Generating it later, at the
    first login, would need a change in the login flow for no gain: the secret never leaves the
    database until then.)"""
    if find_account(name.strip()) is not None:
        raise Refused("exists")
    account, _enrolment = create_account(name, password, roles, actor=by.name)
    return account


def change_disabled(account: StaffAccount, disabled: bool, *, by: StaffAccount) -> None:
    """Disable or enable; an administrator cannot disable themselves (the last one would lock everyone out)."""
    if disabled and account.id == by.id:
        raise Refused("self_disable")
    set_disabled(account.name, disabled, actor=by.name)


def change_password(account: StaffAccount, password: str, *, by: StaffAccount) -> None:
    """Raises PasswordRejected, with nothing written, when the password breaks the policy."""
    reset_password(account.name, password, actor=by.name)


def change_roles(account: StaffAccount, roles: list[str], *, by: StaffAccount) -> None:
    """Replace the roles; an administrator cannot take the admin role from themselves.

    An account that gains office or council and never had a second factor gets one, unconfirmed:
    as for a new account, its holder sets it up at the next login, and the secret is not shown here
    (see `create`)."""
    if account.id == by.id and "admin" not in roles:
        raise Refused("self_admin")
    set_roles(account.name, roles, actor=by.name)
