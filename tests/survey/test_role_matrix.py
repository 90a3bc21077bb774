"""Every staff route, requested as a stranger and as each role, answers as this matrix says.

A new staff route fails the first test until it is given its row here, so no page can appear
without someone deciding who may see it."""
from __future__ import annotations

import pytest

from tests.conftest import csrf_of
from tests.survey.test_auth import code_of, login, make_account, now  # noqa: F401  (fixtures)

ROLES = ("office", "council", "hr", "admin")
LOGIN = "login"  # a redirect to the login page
HOME = "home"  # a redirect to the staff landing page
STAFF = {role: 200 for role in ROLES}
COUNCIL = {"office": 403, "council": 200, "hr": 403, "admin": 403}
HR = {"office": 403, "council": 403, "hr": 200, "admin": 403}
OFFICE = {"office": 200, "council": 403, "hr": 403, "admin": 403}
ADMIN = {"office": 403, "council": 403, "hr": 403, "admin": 200}
#: A POST with a valid token but an empty form: only an administrator gets as far as the form, which
#: refuses it (for account 1, the administrator's own, disabling or dropping the role is refused anyway).
ADMIN_POST = {"office": 403, "council": 403, "hr": 403, "admin": 400}


def office(answer: object, council: object = 403) -> dict[str, object]:
    return {"office": answer, "council": council, "hr": 403, "admin": 403}


#: endpoint -> (method, path, answer for a stranger, answer per role). "POST" is sent with a valid
#: CSRF token, so that the role check itself is what answers; "POST-NO-CSRF" without one.
#: Wave 1 is a draft without approval: opening or closing it is refused (409) and changes nothing.
MATRIX: dict[str, tuple[str, str, object, dict[str, object]]] = {
    "auth.login": ("GET", "/staff/login", 200, {role: HOME for role in ROLES}),  # logged in already
    "auth.enrol": ("GET", "/staff/enrol", LOGIN, {role: HOME for role in ROLES}),  # nothing to enrol
    "auth.logout": ("POST-NO-CSRF", "/staff/logout", 400, {role: 400 for role in ROLES}),  # no CSRF token: refused
    "auth.index": ("GET", "/staff/", LOGIN, STAFF),
    "council.index": ("GET", "/staff/council/", LOGIN, COUNCIL),
    "council.wave": ("GET", "/staff/council/waves/1", LOGIN, COUNCIL),
    "council.audit": ("GET", "/staff/council/audit", LOGIN, COUNCIL),
    "council.releases": ("GET", "/staff/council/releases", LOGIN, COUNCIL),
    "council.staff_log": ("GET", "/staff/council/log", LOGIN, COUNCIL),
    "office.index": ("GET", "/staff/office/", LOGIN, OFFICE),
    "office.new_wave": ("GET", "/staff/office/waves/new", LOGIN, OFFICE),
    "office.wave": ("GET", "/staff/office/waves/1", LOGIN, OFFICE),
    "office.edit_wave": ("GET", "/staff/office/waves/1/edit", LOGIN, OFFICE),
    "office.open_": ("POST", "/staff/office/waves/1/open", LOGIN, office(409)),
    "office.close": ("POST", "/staff/office/waves/1/close", LOGIN, office(409)),
    "office.codes": ("GET", "/staff/office/waves/1/codes", LOGIN, OFFICE),
    "office.preview": ("GET", "/staff/office/waves/1/preview", LOGIN, office(200, council=200)),
    "office.release": ("GET", "/staff/office/waves/1/release", LOGIN, OFFICE),
    "office.releases": ("GET", "/staff/office/releases", LOGIN, OFFICE),
    "office.release_view": ("GET", "/staff/office/releases/1", LOGIN, office(404)),  # no release yet
    "office.release_download": ("GET", "/staff/office/releases/1/files/release.json", LOGIN, office(404)),
    "hr.index": ("GET", "/staff/hr/", LOGIN, HR),
    "hr.versions": ("GET", "/staff/hr/versions", LOGIN, HR),
    "hr.plan_version": ("GET", "/staff/hr/versions/0", LOGIN, HR),
    "hr.edit_group": ("GET", "/staff/hr/groups/all", LOGIN, HR),
    "hr.adopt_baseline": ("GET", "/staff/hr/groups/all/baseline", LOGIN, HR),
    "hr.monitoring": ("GET", "/staff/hr/monitoring", LOGIN, HR),
    "hr.monitoring_report": ("GET", "/staff/hr/monitoring.pdf", LOGIN, HR),
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
    token = csrf_of(client.get("/staff/login" if role is None else "/staff/").text)
    for endpoint, (method, path, stranger, per_role) in MATRIX.items():
        expected = stranger if role is None else per_role[role]
        if method == "POST":
            response = client.post(path, data={"csrf_token": token})
        else:
            response = client.open(path, method=method.removesuffix("-NO-CSRF"))
        assert _answer(response) == expected, (endpoint, role)
