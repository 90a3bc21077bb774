"""The account pages of the role `admin`: list, create, disable and enable, reset a password, change
roles; the policy and the self-lockout checks refuse with nothing changed; every change enters the
staff log under the administrator's name; no page shows a password hash or a second factor's secret."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from survey.auth.operations import find_account
from survey.extensions import db
from survey.models import StaffAccount, StaffLogEntry
from tests.conftest import csrf_of
from tests.survey.test_auth import PASSWORD, code_of, login, make_account, now  # noqa: F401  (fixtures)

NEW_PASSWORD = "another long password 77"


class Admin:
    """A logged-in administrator's browser that keeps every page it was shown."""

    def __init__(self, client) -> None:
        self.client = client
        self.pages: list[str] = []

    def get(self, path: str):
        response = self.client.get(path)
        self.pages.append(response.text)
        return response

    def post(self, path: str, data: dict, form_page: str | None = None):
        """POST with the CSRF token of `form_page` (default: the page itself)."""
        token = csrf_of(self.get(form_page or path).text)
        response = self.client.post(path, data={**data, "csrf_token": token})
        self.pages.append(response.text)
        return response

    def create(self, name: str, *roles: str, password: str = PASSWORD, confirm: str | None = None):
        return self.post("/staff/admin/new", {"name": name, "password": password,
                                              "confirm": password if confirm is None else confirm,
                                              "roles": list(roles), "create": "x"})

    def on_account(self, name: str, action: str, data: dict):
        account_id = _account(self.client.application, name).id
        return self.post(f"/staff/admin/accounts/{account_id}/{action}", data,
                         form_page=f"/staff/admin/accounts/{account_id}")


@pytest.fixture
def admin(app, make_account, now) -> Admin:
    make_account("ada", "admin")
    client = app.test_client()
    assert login(client, "ada").status_code == 302
    return Admin(client)


def _account(app, name: str) -> StaffAccount | None:
    with app.app_context():
        account = find_account(name)
        if account is not None:
            db.session.expunge(account)
        return account


def _log(app) -> list[tuple[str, str, dict]]:
    with app.app_context():
        entries = db.session.scalars(select(StaffLogEntry).order_by(StaffLogEntry.id))
        return [(e.actor, e.action, json.loads(e.details_json)) for e in entries]


def test_the_list_shows_names_roles_state_and_second_factor(app, admin, make_account):
    make_account("olaf", "office")
    make_account("nina", "council", confirmed=False)
    home = admin.get("/staff/")
    assert 'href="/staff/admin/"' in home.text and "wir-survey users" not in home.text
    page = admin.get("/staff/admin/")
    assert page.status_code == 200
    rows = {name: row for name, row in re.findall(r"<tr>\s*<td><a[^>]*>([^<]+)</a>(.*?)</tr>", page.text, re.S)}
    assert set(rows) == {"ada", "nina", "olaf"}
    assert "Kontoverwaltung" in rows["ada"] and "nicht nötig" in rows["ada"] and "aktiv" in rows["ada"]
    assert "Statistikstelle" in rows["olaf"] and "eingerichtet" in rows["olaf"]
    assert "noch nicht eingerichtet" in rows["nina"]


def test_an_administrator_creates_an_account_that_can_log_in(app, admin):
    created = admin.create("hanna", "hr")
    assert created.status_code == 302
    account = _account(app, "hanna")
    assert created.headers["Location"] == f"/staff/admin/accounts/{account.id}?done=created"
    assert account.roles == ("hr",) and not account.disabled
    page = admin.get(created.headers["Location"])
    assert "Das Konto ist angelegt." in page.text and "Personalmanagement" in page.text
    assert login(app.test_client(), "hanna").status_code == 302


def test_a_second_factor_is_set_up_by_its_holder_not_shown_to_the_administrator(app, admin, now):
    assert admin.create("olga", "office").status_code == 302
    account = _account(app, "olga")
    assert account.otp_secret and not account.otp_confirmed
    assert "noch nicht eingerichtet" in admin.get(f"/staff/admin/accounts/{account.id}").text
    for page in admin.pages:
        assert account.otp_secret not in page and "otpauth" not in page
    holder = app.test_client()
    first = login(holder, "olga")
    assert first.status_code == 302 and first.headers["Location"] == "/staff/enrol"
    assert account.otp_secret in holder.get("/staff/enrol").text  # shown to the holder only


@pytest.mark.parametrize("password, confirm, said", [
    ("too short", None, "mindestens 12 Zeichen"),
    ("Password1234", None, "zu den häufigsten"),
    ("this is karl's password", None, "den Benutzernamen nicht enthalten"),
    (PASSWORD, "something else entirely", "stimmen nicht überein"),
    ("", None, "Bitte geben Sie ein Passwort ein."),
])
def test_a_refused_password_creates_nothing(app, admin, password, confirm, said):
    before = _log(app)
    refused = admin.create("karl", "hr", password=password, confirm=confirm)
    assert refused.status_code == 400
    assert said in refused.text and "Das Konto wurde nicht angelegt." in refused.text
    assert _account(app, "karl") is None
    assert _log(app) == before
    if password:  # a password is never echoed
        assert password not in refused.text


@pytest.mark.parametrize("name, roles, said", [
    ("ada", ["hr"], "Es gibt schon ein Konto mit diesem Namen."),
    ("two words", ["hr"], "keine Leerzeichen"),
    ("karl", [], "mindestens eine Rolle"),
    ("karl", ["root"], "nur aus den angebotenen Rollen"),
])
def test_a_refused_name_or_role_creates_nothing(app, admin, name, roles, said):
    with app.app_context():
        count = len(db.session.scalars(select(StaffAccount)).all())
    refused = admin.create(name, *roles)
    assert refused.status_code == 400 and "Das Konto wurde nicht angelegt." in refused.text
    assert said in refused.text and "root" not in refused.text
    with app.app_context():
        assert len(db.session.scalars(select(StaffAccount)).all()) == count


def test_a_post_without_csrf_token_changes_nothing(app, admin, make_account):
    make_account("hanna", "hr")
    hanna = _account(app, "hanna")
    posts = {
        "/staff/admin/new": {"name": "karl", "password": PASSWORD, "confirm": PASSWORD, "roles": "hr"},
        f"/staff/admin/accounts/{hanna.id}/disabled": {"disable": "x"},
        f"/staff/admin/accounts/{hanna.id}/password": {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        f"/staff/admin/accounts/{hanna.id}/roles": {"roles": "admin"},
    }
    for path, data in posts.items():
        response = admin.client.post(path, data=data)
        assert response.status_code == 400, path
        assert "Sicherheitsmerkmal fehlt" in response.text and 'href="/staff/"' in response.text
    after = _account(app, "hanna")
    assert _account(app, "karl") is None
    assert (after.disabled, after.password_hash, after.roles) == (False, hanna.password_hash, ("hr",))


def test_other_roles_are_refused_even_with_a_valid_token(app, make_account, now):
    """The role is checked before the token: a councillor's own token gets 403, and nothing changes."""
    secret = make_account("clara", "council")
    make_account("hanna", "hr")
    hanna = _account(app, "hanna")
    client = app.test_client()
    login(client, "clara", code=code_of(secret, now))
    token = csrf_of(client.get("/staff/").text)
    for path, data in {
        "/staff/admin/new": {"name": "karl", "password": PASSWORD, "confirm": PASSWORD, "roles": "hr"},
        f"/staff/admin/accounts/{hanna.id}/disabled": {"disable": "x"},
        f"/staff/admin/accounts/{hanna.id}/roles": {"roles": "admin"},
    }.items():
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert _account(app, "karl") is None
    assert _account(app, "hanna").roles == ("hr",) and not _account(app, "hanna").disabled


def test_a_disabled_account_cannot_log_in_until_enabled(app, admin, make_account):
    make_account("hanna", "hr")
    open_login = app.test_client()
    assert login(open_login, "hanna").status_code == 302
    disabled = admin.on_account("hanna", "disabled", {"disable": "x"})
    assert disabled.status_code == 302 and disabled.headers["Location"].endswith("?done=disabled")
    assert _account(app, "hanna").disabled
    assert "gesperrt" in admin.get("/staff/admin/").text
    assert open_login.get("/staff/").status_code == 302  # the open login ends with its next page
    refused = login(app.test_client(), "hanna")
    assert refused.status_code == 401 and "Dieses Konto ist gesperrt." in refused.text
    enabled = admin.on_account("hanna", "disabled", {"enable": "x"})
    assert enabled.status_code == 302 and not _account(app, "hanna").disabled
    assert login(app.test_client(), "hanna").status_code == 302


def test_a_reset_password_replaces_the_old_one(app, admin, make_account, now):
    make_account("hanna", "hr")
    before = _account(app, "hanna").password_hash
    weak = admin.on_account("hanna", "password", {"password": "short", "confirm": "short"})
    assert weak.status_code == 400 and "mindestens 12 Zeichen" in weak.text
    assert _account(app, "hanna").password_hash == before
    for _ in range(3):  # a wait after failures, which the reset lifts
        login(app.test_client(), "hanna", password="wrong password here")
    reset = admin.on_account("hanna", "password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert reset.status_code == 302 and reset.headers["Location"].endswith("?done=password")
    assert login(app.test_client(), "hanna", password=NEW_PASSWORD).status_code == 302  # no wait any more
    assert login(app.test_client(), "hanna").status_code == 401


def test_roles_are_changed_and_a_new_second_factor_awaits_its_holder(app, admin, make_account):
    make_account("hanna", "hr")
    empty = admin.on_account("hanna", "roles", {})
    assert empty.status_code == 400 and "mindestens eine Rolle" in empty.text
    changed = admin.on_account("hanna", "roles", {"roles": ["hr", "council"]})
    assert changed.status_code == 302 and changed.headers["Location"].endswith("?done=roles")
    account = _account(app, "hanna")
    assert account.roles == ("council", "hr") and account.otp_secret and not account.otp_confirmed
    page = admin.get(f"/staff/admin/accounts/{account.id}")
    assert "Gesamtpersonalrat, Personalmanagement" in page.text and "noch nicht eingerichtet" in page.text
    assert re.search(r'checked[^>]*value="council"|value="council"[^>]*checked', page.text)
    assert account.otp_secret not in page.text
    assert login(app.test_client(), "hanna").headers["Location"] == "/staff/enrol"


def test_an_administrator_cannot_lock_themselves_out(app, admin):
    me = _account(app, "ada")
    disable = admin.on_account("ada", "disabled", {"disable": "x"})
    assert disable.status_code == 400 and "Sie können Ihr eigenes Konto nicht sperren" in disable.text
    drop = admin.on_account("ada", "roles", {"roles": ["hr"]})
    assert drop.status_code == 400 and "Rolle Kontoverwaltung nicht selbst nehmen" in drop.text
    after = _account(app, "ada")
    assert (after.disabled, after.roles) == (False, ("admin",))
    assert [action for _, action, _ in _log(app)] == ["account_created", "login"]  # nothing else happened
    assert admin.on_account("ada", "roles", {"roles": ["hr", "admin"]}).status_code == 302  # keeping admin is fine
    assert _account(app, "ada").roles == ("hr", "admin")
    assert me.id == after.id


def test_every_change_enters_the_staff_log_under_the_administrators_name(app, admin):
    admin.create("hanna", "hr")
    admin.on_account("hanna", "disabled", {"disable": "x"})
    admin.on_account("hanna", "disabled", {"enable": "x"})
    admin.on_account("hanna", "password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    admin.on_account("hanna", "roles", {"roles": ["hr", "admin"]})
    changes = [entry for entry in _log(app) if entry[2].get("account") == "hanna"]
    assert [(actor, action) for actor, action, _ in changes] == [
        ("ada", "account_created"), ("ada", "account_disabled"), ("ada", "account_enabled"),
        ("ada", "password_reset"), ("ada", "roles_changed")]
    assert changes[-1][2] == {"account": "hanna", "before": ["hr"], "after": ["hr", "admin"]}
    assert all(NEW_PASSWORD not in json.dumps(details) for _, _, details in changes)


def test_no_page_shows_a_hash_a_secret_or_a_password(app, admin, make_account):
    make_account("olaf", "office")
    make_account("nina", "council", confirmed=False)
    admin.create("olga", "office")
    admin.on_account("olga", "password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    admin.on_account("olga", "roles", {"roles": ["office", "council"]})
    admin.on_account("olga", "password", {"password": "short", "confirm": "short"})  # refused, page again
    with app.app_context():
        accounts = db.session.scalars(select(StaffAccount)).all()
        for account in accounts:
            admin.get(f"/staff/admin/accounts/{account.id}")
        secrets = [a.otp_secret for a in accounts if a.otp_secret] + [a.password_hash for a in accounts]
    admin.get("/staff/admin/")
    admin.get("/staff/admin/new")
    assert len(secrets) == 7
    for page in admin.pages:
        for secret in secrets:
            assert secret not in page
        assert "$argon2" not in page and "otpauth" not in page
        assert PASSWORD not in page and NEW_PASSWORD not in page


def test_an_unknown_account_is_the_staff_404_page(admin):
    assert admin.get("/staff/admin/accounts/999").status_code == 404
    assert "Diese Seite gibt es nicht" in admin.pages[-1]
