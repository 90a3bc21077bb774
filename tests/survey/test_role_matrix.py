"""Every staff route, requested as a stranger and as each role, answers as this matrix says.

A new staff route fails the first test until it is given its row here, so no page can appear
without someone deciding who may see it."""
from __future__ import annotations

import pytest

from tests.survey.test_auth import code_of, login, make_account, now  # noqa: F401  (fixtures)

ROLES = ("office", "council", "hr", "admin")
LOGIN = "login"  # a redirect to the login page
HOME = "home"  # a redirect to the staff landing page
STAFF = {role: 200 for role in ROLES}
COUNCIL = {"office": 403, "council": 200, "hr": 403, "admin": 403}
ADMIN = {"office": 403, "council": 403, "hr": 403, "admin": 200}
#: A POST without a CSRF token: the role is checked first (survey.admin), so only an administrator gets
#: as far as the token, and is refused for want of it.
ADMIN_POST = {"office": 403, "council": 403, "hr": 403, "admin": 400}

#: endpoint -> (method, path, answer for a stranger, answer per role)
MATRIX: dict[str, tuple[str, str, object, dict[str, object]]] = {
    "auth.login": ("GET", "/staff/login", 200, {role: HOME for role in ROLES}),  # logged in already
    "auth.enrol": ("GET", "/staff/enrol", LOGIN, {role: HOME for role in ROLES}),  # nothing to enrol
    "auth.logout": ("POST", "/staff/logout", 400, {role: 400 for role in ROLES}),  # no CSRF token: refused
    "auth.index": ("GET", "/staff/", LOGIN, STAFF),
    "council.index": ("GET", "/staff/council/", LOGIN, COUNCIL),
    "council.wave": ("GET", "/staff/council/waves/1", LOGIN, COUNCIL),
    "council.audit": ("GET", "/staff/council/audit", LOGIN, COUNCIL),
    "council.releases": ("GET", "/staff/council/releases", LOGIN, COUNCIL),
    "council.staff_log": ("GET", "/staff/council/log", LOGIN, COUNCIL),
    "admin.index": ("GET", "/staff/admin/", LOGIN, ADMIN),
    "admin.create_account": ("GET", "/staff/admin/new", LOGIN, ADMIN),
    "admin.account": ("GET", "/staff/admin/accounts/1", LOGIN, ADMIN),
    "admin.set_disabled": ("POST", "/staff/admin/accounts/1/disabled", LOGIN, ADMIN_POST),
    "admin.reset_password": ("POST", "/staff/admin/accounts/1/password", LOGIN, ADMIN_POST),
    "admin.set_roles": ("POST", "/staff/admin/accounts/1/roles", LOGIN, ADMIN_POST),
}


def test_every_staff_route_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/staff")}
    assert endpoints == set(MATRIX)


def _answer(response) -> object:
    if response.status_code == 302 and "/staff/login" in response.headers["Location"]:
        return LOGIN
    if response.status_code == 302 and response.headers["Location"].rstrip("/").endswith("/staff"):
        return HOME
    return response.status_code


@pytest.mark.parametrize("role", [None, *ROLES])
def test_each_role_gets_what_the_matrix_says(app, make_account, make_wave, now, role):
    make_wave(open_=False)
    client = app.test_client()
    if role is not None:
        secret = make_account(f"a-{role}", role)
        assert login(client, f"a-{role}", code=code_of(secret, now) if secret else "").status_code == 302
    for endpoint, (method, path, stranger, per_role) in MATRIX.items():
        expected = stranger if role is None else per_role[role]
        assert _answer(client.open(path, method=method)) == expected, (endpoint, role)
