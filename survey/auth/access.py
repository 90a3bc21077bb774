"""Who is logged in, for how long, and `require_roles` for staff views.

The login is `session["staff"] = {"id": ..., "until": ...}` in the encrypted cookie the respondent
flow uses too; nothing here reads or writes any other key. `until` moves 30 minutes ahead with every
staff page, so the login ends after 30 idle minutes; the account is read afresh on every request,
so disabling it or taking a role away takes effect at once.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, redirect, render_template, request, session, url_for

from ..extensions import db
from ..models import StaffAccount
from . import clock

SESSION_KEY = "staff"
IDLE_SECONDS = 30 * 60

F = TypeVar("F", bound=Callable[..., Any])


def log_in(account: StaffAccount) -> None:
    session[SESSION_KEY] = {"id": account.id, "until": int(clock.now()) + IDLE_SECONDS}


def log_out() -> None:
    session.pop(SESSION_KEY, None)


#: How long the enrolment page waits for the first one-time code after the password was right.
ENROL_SECONDS = 10 * 60


def begin_enrolment(account_id: int) -> None:
    """Remember, under the staff key, whose password was right; not a login (`current_staff` ignores it)."""
    session[SESSION_KEY] = {"enrol": account_id, "until": int(clock.now()) + ENROL_SECONDS}


def enrolling_account_id() -> int | None:
    entry = session.get(SESSION_KEY)
    if isinstance(entry, dict) and "enrol" in entry and entry.get("until", 0) >= int(clock.now()):
        return int(entry["enrol"])
    return None


def current_staff() -> StaffAccount | None:
    """The logged-in, enabled account, its idle time extended; None (and the login forgotten) otherwise.

    Sets `g.staff_expired` when a login ran out, so the login page can say why."""
    if "staff_account" in g:
        return g.staff_account
    account = None
    entry = session.get(SESSION_KEY)
    if isinstance(entry, dict) and "id" in entry:
        now = int(clock.now())
        if entry.get("until", 0) < now:
            g.staff_expired = True
        else:
            found = db.session.get(StaffAccount, entry.get("id"))
            if found is not None and not found.disabled:
                account = found
                session[SESSION_KEY] = {"id": found.id, "until": now + IDLE_SECONDS}
        if account is None:
            log_out()
    g.staff_account = account
    return account


def require_roles(*roles: str) -> Callable[[F], F]:
    """Guard a staff view: anonymous (or idle too long) → the login page; logged in without any of
    `roles` → 403; with one of them → the view. No roles given: any logged-in staff member."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            account = current_staff()
            if account is None:
                expired = "1" if g.get("staff_expired") else None
                return redirect(url_for("auth.login", next=request.path, expired=expired))
            if roles and not set(roles) & set(account.roles):
                return render_template("auth/forbidden.html", account=account), 403
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate
