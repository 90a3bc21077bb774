"""Every write to staff accounts, shared by the `wir-survey users` commands and the login page.

Each login, failed login, logout and account change goes through `_log`, the one door to the
staff log. Nothing here ever reads or names anything about respondents.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyotp
from sqlalchemy import select

from ..extensions import db
from ..stafflog import current_actor, record
from ..models import STAFF_ROLES, StaffAccount
from . import clock
from .passwords import DUMMY_HASH, check_policy, hash_password, needs_rehash, verify_password

#: Roles that decrypt answers or approve waves: they need a second factor (TOTP).
SECOND_FACTOR_ROLES = frozenset({"office", "council"})
#: The issuer shown in authenticator apps.
OTP_ISSUER = "wir-survey"
#: After the n-th failed login in a row, no login is tried for 2**n seconds, up to this many.
MAX_WAIT_SECONDS = 15 * 60


class AccountError(ValueError):
    """An account operation cannot be done; the message says why (shown by the CLI)."""


class LoginRefused(Exception):
    """A login did not succeed. `kind` is one of `credentials` (unknown name or wrong password: one
    message for both), `second_factor`, `disabled`, `wait` (too many failures; `wait` seconds left),
    or `enrol`: the password was right, and the account's second factor awaits its first code
    (`account_id` says which account, for the enrolment page)."""

    def __init__(self, kind: str, wait: int = 0, account_id: int | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.wait = wait
        self.account_id = account_id


@dataclass(frozen=True)
class Enrolment:
    """What a new second factor needs once: the secret, and the URI an authenticator app reads."""

    secret: str
    uri: str


def _log(actor: str | None, action: str, details: dict) -> None:
    """Record a staff action in the staff log (survey.stafflog), inside the caller's transaction.

    `actor` is the account's name, "cli" for the server's command line (the log names the
    operating-system account), or None for a login under a name that does not exist (the typed
    name is never logged: people sometimes type their password there)."""
    if actor == "cli":
        actor = current_actor()
    record(actor or "(unknown name)", action, details)


# --- accounts ---------------------------------------------------------------------------------

def _clean_roles(roles: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    unknown = sorted(set(roles) - set(STAFF_ROLES))
    if unknown:
        raise AccountError(f"Unknown role(s) {', '.join(unknown)}; known: {', '.join(STAFF_ROLES)}.")
    if not roles:
        raise AccountError(f"Give at least one role ({', '.join(STAFF_ROLES)}).")
    return tuple(sorted(set(roles), key=STAFF_ROLES.index))


def needs_second_factor(roles: tuple[str, ...] | list[str]) -> bool:
    return bool(SECOND_FACTOR_ROLES & set(roles))


def find_account(name: str, *, lock: bool = False) -> StaffAccount | None:
    """`lock` holds the row until commit (PostgreSQL; SQLite has one writer anyway), so that
    parallel login tries for one account are checked one after the other: otherwise they would all
    pass the wait check before the first failure is recorded."""
    query = select(StaffAccount).where(StaffAccount.name == name)
    return db.session.scalar(query.with_for_update() if lock else query)


def get_account(name: str) -> StaffAccount:
    account = find_account(name)
    if account is None:
        raise AccountError(f"There is no staff account {name!r}.")
    return account


def list_accounts() -> list[StaffAccount]:
    return list(db.session.scalars(select(StaffAccount).order_by(StaffAccount.name)))


def _enrol(account: StaffAccount) -> Enrolment | None:
    """Give the account a TOTP secret when its roles need one and it has none yet."""
    if not needs_second_factor(account.roles) or account.otp_secret:
        return None
    account.otp_secret = pyotp.random_base32()
    account.otp_step = 0
    account.otp_confirmed = False
    return enrolment(account)


def enrolment(account: StaffAccount) -> Enrolment:
    secret = account.otp_secret or ""
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=account.name, issuer_name=OTP_ISSUER))


def create_account(name: str, password: str, roles: list[str] | tuple[str, ...], *, actor: str | None = None,
                   demo: bool = False) -> tuple[StaffAccount, Enrolment | None]:
    """Create an account; returns it and, for roles that need one, the second factor to show once."""
    name = name.strip()
    if not name or len(name) > 80 or any(c.isspace() for c in name):
        raise AccountError("An account name is 1 to 80 characters without spaces.")
    clean = _clean_roles(roles)
    if find_account(name) is not None:
        raise AccountError(f"There is already a staff account {name!r}.")
    check_policy(password, name)
    account = StaffAccount(name=name, password_hash=hash_password(password), roles_csv=",".join(clean),
                           otp_step=0, otp_confirmed=False, disabled=False, demo=demo, failed_logins=0, locked_until=0)
    db.session.add(account)
    enrolled = _enrol(account)
    if demo:
        account.otp_confirmed = True  # its codes come from `wir-survey users otp`, not from an app
    db.session.flush()
    _log(actor, "account_created", {"account": name, "roles": list(clean), "demo": demo})
    db.session.commit()
    return account, enrolled


def set_disabled(name: str, disabled: bool, *, actor: str | None = None) -> StaffAccount:
    account = get_account(name)
    account.disabled = disabled
    _log(actor, "account_disabled" if disabled else "account_enabled", {"account": name})
    db.session.commit()
    return account


def reset_password(name: str, password: str, *, actor: str | None = None) -> StaffAccount:
    """A new password also lifts the wait after failed logins (the old password may have been guessed at)."""
    account = get_account(name)
    check_policy(password, name)
    account.password_hash = hash_password(password)
    account.failed_logins = 0
    account.locked_until = 0
    _log(actor, "password_reset", {"account": name})
    db.session.commit()
    return account


def set_roles(name: str, roles: list[str] | tuple[str, ...], *, actor: str | None = None
              ) -> tuple[StaffAccount, Enrolment | None]:
    """Replace the roles; gaining a role that needs a second factor enrols one (returned to show once)."""
    account = get_account(name)
    clean = _clean_roles(roles)
    before = list(account.roles)
    account.roles_csv = ",".join(clean)
    enrolled = _enrol(account)
    _log(actor, "roles_changed", {"account": name, "before": before, "after": list(clean)})
    db.session.commit()
    return account, enrolled


def demo_code(name: str) -> str:
    """The current one-time code of a demo account; refused for real accounts (whose codes belong in a phone)."""
    account = get_account(name)
    if not account.demo:
        raise AccountError(f"{name!r} is not a demo account; its one-time codes come only from its authenticator app.")
    if not account.otp_secret:
        raise AccountError(f"{name!r} has no second factor.")
    return pyotp.TOTP(account.otp_secret).at(int(clock.now()))


# --- login ------------------------------------------------------------------------------------

def wait_after(failures: int) -> int:
    """Seconds without login tries after `failures` failures in a row: 2, 4, 8, ... up to 15 minutes."""
    return min(2 ** failures, MAX_WAIT_SECONDS) if failures > 0 else 0


def _fail(account: StaffAccount, kind: str, reason: str) -> LoginRefused:
    account.failed_logins += 1
    account.locked_until = int(clock.now()) + wait_after(account.failed_logins)
    _log(account.name, "login_failed", {"reason": reason, "failures": account.failed_logins})
    db.session.commit()
    return LoginRefused(kind)


def _second_factor_ok(account: StaffAccount, code: str) -> bool:
    """The code of this 30-second step or the one before or after, and never one accepted before."""
    if not account.otp_secret:
        return False
    code = "".join(code.split())
    totp = pyotp.TOTP(account.otp_secret)
    step = int(clock.now()) // totp.interval
    for candidate in (step - 1, step, step + 1):
        if candidate > account.otp_step and totp.verify(code, for_time=candidate * totp.interval):
            account.otp_step = candidate
            return True
    return False


def authenticate(name: str, password: str, code: str = "") -> StaffAccount:
    """Check a login; returns the account or raises LoginRefused.

    During the wait after failures the password is not even checked, so guessing stays slow. A
    disabled account is named only to whoever knows its password."""
    account = find_account(name.strip(), lock=True)
    if account is None:
        verify_password(DUMMY_HASH, password)  # as slow as a known name
        _log(None, "login_failed", {"reason": "unknown_name"})
        db.session.commit()
        raise LoginRefused("credentials")
    left = account.locked_until - int(clock.now())
    if left > 0:
        db.session.rollback()  # ends the row lock
        raise LoginRefused("wait", left)
    if not verify_password(account.password_hash, password):
        raise _fail(account, "credentials", "password")
    if account.disabled:
        _log(account.name, "login_failed", {"reason": "disabled"})
        db.session.commit()
        raise LoginRefused("disabled")
    if needs_second_factor(account.roles):
        if not account.otp_confirmed:
            account_id = account.id
            db.session.rollback()
            raise LoginRefused("enrol", account_id=account_id)
        if not _second_factor_ok(account, code):
            raise _fail(account, "second_factor", "second_factor")
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return _succeed(account)


def _succeed(account: StaffAccount) -> StaffAccount:
    account.failed_logins = 0
    account.locked_until = 0
    _log(account.name, "login", {})
    db.session.commit()
    return account


def pending_enrolment(account_id: int) -> tuple[StaffAccount, Enrolment] | None:
    """The account (enabled, password just proved) whose second factor still awaits its first code."""
    account = db.session.get(StaffAccount, account_id)
    if account is None or account.disabled or account.otp_confirmed or not account.otp_secret:
        return None
    return account, enrolment(account)


def confirm_second_factor(account_id: int, code: str) -> StaffAccount:
    """The first valid code from the authenticator app confirms the second factor and logs in.

    Wrong codes count as failed logins, with the same growing wait."""
    db.session.get(StaffAccount, account_id, with_for_update=True)  # one try at a time, as in `authenticate`
    pending = pending_enrolment(account_id)
    if pending is None:
        raise LoginRefused("credentials")
    account = pending[0]
    left = account.locked_until - int(clock.now())
    if left > 0:
        db.session.rollback()
        raise LoginRefused("wait", left)
    if not _second_factor_ok(account, code):
        raise _fail(account, "second_factor", "second_factor_enrolment")
    account.otp_confirmed = True
    _log(account.name, "second_factor_confirmed", {})
    return _succeed(account)


def log_logout(name: str) -> None:
    _log(name, "logout", {})
    db.session.commit()


#: The password of every demo account `wir-survey demo` creates; printed by it, never for real accounts.
DEMO_PASSWORD = "demo-staff-login-not-for-production"


def ensure_demo_accounts() -> list[StaffAccount]:
    """One demo account per role, named after it, created when missing (flagged `demo`, so that
    `wir-survey users otp` may print its one-time code: a newcomer has no authenticator app)."""
    accounts = []
    for role in STAFF_ROLES:
        account = find_account(role)
        if account is None:
            account, _enrolment = create_account(role, DEMO_PASSWORD, [role], actor="demo", demo=True)
        accounts.append(account)
    return accounts
