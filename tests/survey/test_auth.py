"""Staff accounts, roles and login: the password policy, the second factor, the growing wait,
idle expiry, logout, `require_roles`, and the separation from the respondent flow."""
from __future__ import annotations

import pyotp
import pytest
from flask import Blueprint

from survey.auth import clock
from survey.auth.access import IDLE_SECONDS, require_roles
from survey.auth.operations import (AccountError, LoginRefused, authenticate, create_account, find_account,
                                    set_disabled, wait_after)
from survey.auth.passwords import PasswordRejected, check_policy, verify_password
from survey.extensions import db
from tests.conftest import csrf_of

PASSWORD = "a long staff password 42"


class Clock:
    """A clock the test moves; it starts in the middle of a 30-second TOTP step."""

    def __init__(self) -> None:
        self.t = 1_900_000_015.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(clock, "now", fake)
    return fake


@pytest.fixture
def make_account(app):
    """Create a staff account, its second factor already confirmed unless `confirmed=False`;
    returns its TOTP secret (or None)."""

    def _make(name: str, *roles: str, password: str = PASSWORD, confirmed: bool = True) -> str | None:
        with app.app_context():
            account, enrolment = create_account(name, password, list(roles))
            if enrolment and confirmed:
                account.otp_confirmed = True
                db.session.commit()
            return enrolment.secret if enrolment else None

    return _make


def code_of(secret: str, now: Clock, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(int(now.t) + offset)


def login(client, name: str, password: str = PASSWORD, code: str = "", next_: str | None = None):
    page = client.get("/staff/login")
    url = "/staff/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"name": name, "password": password, "code": code,
                                  "csrf_token": csrf_of(page.text)})


def staff_key(client) -> dict | None:
    with client.session_transaction() as session:
        return session.get("staff")


# --- password policy ----------------------------------------------------------------------------

@pytest.mark.parametrize("password, reason", [
    ("short pass", "at least 12"),
    ("Password1234", "most common"),
    ("aaaaaaaaaaaaaaaa", "most common"),
    ("my name is office ok", "account name"),
])
def test_the_password_policy_refuses_weak_passwords(password, reason):
    with pytest.raises(PasswordRejected, match=reason):
        check_policy(password, "office")


def test_passwords_are_stored_as_argon2_hashes(app, make_account):
    make_account("hr1", "hr")
    with app.app_context():
        account = find_account("hr1")
        assert account.password_hash.startswith("$argon2id$")
        assert PASSWORD not in account.password_hash
        assert verify_password(account.password_hash, PASSWORD)


def test_roles_are_checked(app):
    with app.app_context(), pytest.raises(AccountError, match="Unknown role"):
        create_account("x1", PASSWORD, ["root"])


def test_only_office_and_council_get_a_second_factor(make_account):
    assert make_account("o1", "office") and make_account("c1", "council", "hr")
    assert make_account("h1", "hr") is None and make_account("a1", "admin") is None


# --- login ----------------------------------------------------------------------------------------

def test_login_and_landing_page_list_what_the_roles_may_do(client, make_account, now):
    secret = make_account("anna", "office", "council")
    response = login(client, "anna", code=code_of(secret, now))
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    page = client.get("/staff/")
    assert page.status_code == 200
    assert "anna" in page.text and "Statistikstelle" in page.text and "Gesamtpersonalrat" in page.text
    assert "Personalmanagement:" not in page.text


def test_the_first_login_shows_the_qr_code_until_a_code_confirms_it(client, app, make_account, now):
    secret = make_account("o1", "office", confirmed=False)
    assert client.get("/staff/enrol").headers["Location"] == "/staff/login"  # nothing pending
    first = login(client, "o1")
    assert first.status_code == 302 and first.headers["Location"] == "/staff/enrol"
    page = client.get("/staff/enrol")
    assert 'src="data:image/svg+xml;base64,' in page.text
    assert f"otpauth://totp/wir-survey:o1?secret={secret}" in page.text
    assert client.get("/staff/").status_code == 302  # not logged in yet
    wrong = client.post("/staff/enrol", data={"code": code_of(secret, now, 300), "csrf_token": csrf_of(page.text)})
    assert wrong.status_code == 401 and "Der Einmalcode stimmt nicht." in wrong.text
    assert 'src="data:image/svg+xml;base64,' in wrong.text
    now.t += wait_after(1)
    right = client.post("/staff/enrol", data={"code": code_of(secret, now), "csrf_token": csrf_of(page.text)})
    assert right.status_code == 302 and client.get("/staff/").status_code == 200
    with app.app_context():
        assert find_account("o1").otp_confirmed
    other = app.test_client()
    again = login(other, "o1")  # confirmed: the QR code is never shown again, a code is required
    assert again.status_code == 401 and "Der Einmalcode stimmt nicht." in again.text
    assert other.get("/staff/enrol").headers["Location"] == "/staff/login"


def test_wrong_password_and_unknown_name_share_one_message(client, make_account, now):
    make_account("hr1", "hr")
    wrong = login(client, "hr1", password="not the right password")
    unknown = login(client, "nobody", password="not the right password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Benutzername oder Passwort stimmen nicht." in wrong.text
    assert "Benutzername oder Passwort stimmen nicht." in unknown.text
    assert staff_key(client) is None


def test_a_wrong_or_reused_second_factor_is_refused(client, app, make_account, now):
    secret = make_account("o1", "office")
    missing = login(client, "o1")
    assert missing.status_code == 401 and "Der Einmalcode stimmt nicht." in missing.text
    now.t += wait_after(1)
    wrong = login(client, "o1", code=code_of(secret, now, 300))
    assert wrong.status_code == 401 and "Der Einmalcode stimmt nicht." in wrong.text
    now.t += wait_after(2)
    code = code_of(secret, now)
    assert login(client, "o1", code=code).status_code == 302
    client.post("/staff/logout", data={"csrf_token": csrf_of(client.get("/staff/").text)})
    reused = login(client, "o1", code=code)
    assert reused.status_code == 401 and "Der Einmalcode stimmt nicht." in reused.text


def test_a_disabled_account_is_refused_and_an_open_login_ends(client, app, make_account, now):
    make_account("hr1", "hr")
    assert login(client, "hr1").status_code == 302
    with app.app_context():
        set_disabled("hr1", True)
    assert client.get("/staff/").status_code == 302
    refused = login(client, "hr1")
    assert refused.status_code == 401 and "Dieses Konto ist gesperrt." in refused.text
    # Only whoever knows the password learns that the account is disabled.
    now.t += 3600
    guess = login(client, "hr1", password="some other password")
    assert "Dieses Konto ist gesperrt." not in guess.text


def test_posts_without_csrf_token_are_refused(client, make_account):
    make_account("hr1", "hr")
    response = client.post("/staff/login", data={"name": "hr1", "password": PASSWORD})
    assert response.status_code == 400
    assert "Sicherheitsmerkmal fehlt" in response.text
    assert staff_key(client) is None
    assert login(client, "hr1").status_code == 302
    logout = client.post("/staff/logout", data={})
    assert logout.status_code == 400
    assert staff_key(client) is not None


def test_failed_logins_make_the_wait_grow(client, app, make_account, now):
    make_account("hr1", "hr")
    waits = []
    for _ in range(4):
        assert login(client, "hr1", password="wrong password here").status_code == 401
        blocked = login(client, "hr1")  # even the right password waits
        assert blocked.status_code == 429 and "Bitte warten Sie" in blocked.text
        with app.app_context():
            account = find_account("hr1")
            waits.append(account.locked_until - int(now.t))
        now.t += waits[-1]
    assert waits == [2, 4, 8, 16]
    assert login(client, "hr1").status_code == 302
    with app.app_context():
        assert find_account("hr1").failed_logins == 0
    assert wait_after(30) == 15 * 60


def test_operations_refuse_during_the_wait(app, make_account, now):
    make_account("hr1", "hr")
    with app.app_context():
        with pytest.raises(LoginRefused):
            authenticate("hr1", "wrong password here")
        with pytest.raises(LoginRefused) as refused:
            authenticate("hr1", PASSWORD)
        assert refused.value.kind == "wait" and refused.value.wait == 2


def test_the_login_ends_after_30_idle_minutes(client, make_account, now):
    make_account("hr1", "hr")
    login(client, "hr1")
    now.t += IDLE_SECONDS - 60
    assert client.get("/staff/").status_code == 200  # activity moves the end ahead
    now.t += IDLE_SECONDS - 60
    assert client.get("/staff/").status_code == 200
    now.t += IDLE_SECONDS + 1
    expired = client.get("/staff/")
    assert expired.status_code == 302 and "/staff/login" in expired.headers["Location"]
    assert staff_key(client) is None
    page = client.get(expired.headers["Location"])
    assert "30 Minuten nicht aktiv" in page.text


def test_logout_ends_the_login(client, make_account, now):
    make_account("hr1", "hr")
    login(client, "hr1")
    page = client.get("/staff/")
    assert client.get("/staff/logout").status_code == 405  # only a POST logs out
    out = client.post("/staff/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 302
    assert staff_key(client) is None
    assert client.get("/staff/").status_code == 302
    assert "Sie sind abgemeldet." in client.get(out.headers["Location"]).text


def test_next_only_leads_to_staff_pages(client, make_account, now):
    make_account("hr1", "hr")
    assert login(client, "hr1", next_="//evil.example/").headers["Location"] == "/staff/"


# --- require_roles ----------------------------------------------------------------------------------

@pytest.fixture
def guarded_app(app):
    bp = Blueprint("guarded_test", __name__, url_prefix="/staff/test")

    @bp.route("/council")
    @require_roles("council")
    def council_only():
        return "council page"

    app.register_blueprint(bp)
    return app


def test_require_roles_redirects_forbids_and_allows(guarded_app, make_account, now):
    client = guarded_app.test_client()
    anonymous = client.get("/staff/test/council")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/staff/login?next=/staff/test/council")
    make_account("hr1", "hr")
    secret = make_account("c1", "council")
    login(client, "hr1")
    forbidden = client.get("/staff/test/council")
    assert forbidden.status_code == 403 and "Kein Zugriff" in forbidden.text
    other = guarded_app.test_client()
    response = login(other, "c1", code=code_of(secret, now), next_="/staff/test/council")
    assert response.headers["Location"] == "/staff/test/council"
    assert other.get("/staff/test/council").text == "council page"


def test_taking_a_role_away_takes_effect_at_once(guarded_app, make_account, now):
    from survey.auth.operations import set_roles

    client = guarded_app.test_client()
    secret = make_account("c1", "council", "hr")
    login(client, "c1", code=code_of(secret, now))
    assert client.get("/staff/test/council").status_code == 200
    with guarded_app.app_context():
        set_roles("c1", ["hr"])
    assert client.get("/staff/test/council").status_code == 403


# --- staff and respondents share a cookie, not keys ---------------------------------------------------

#: The respondent flow's keys (survey.respond.routes); Flask-WTF's `csrf_token` is shared by every form.
RESPONDENT_KEYS = ("d", "w", "a", "lang")


def _session(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


def _respondent_keys(client) -> dict:
    return {k: v for k, v in _session(client).items() if k in RESPONDENT_KEYS}


def test_staff_login_and_logout_leave_a_respondents_keys_alone(client, make_wave, issue_codes, make_account, now):
    code = issue_codes(make_wave(), 1)[0]
    start = client.get("/")
    assert client.post("/", data={"code": code, "csrf_token": csrf_of(start.text)}).status_code == 302
    respondent = _respondent_keys(client)
    assert {"d", "w", "a"} <= set(respondent)
    make_account("hr1", "hr")
    login(client, "hr1")
    assert _respondent_keys(client) == respondent
    page = client.get("/staff/")
    for secret in (code, code.replace("-", ""), respondent["d"]):
        assert secret not in page.text
    client.post("/staff/logout", data={"csrf_token": csrf_of(page.text)})
    assert _respondent_keys(client) == respondent
    assert "staff" not in _session(client)


def test_the_respondent_flow_leaves_a_staff_login_alone(client, make_wave, issue_codes, make_account, respond, now):
    make_account("hr1", "hr")
    login(client, "hr1")
    staff = staff_key(client)
    code = issue_codes(make_wave(), 1)[0]
    assert respond(client, code).status_code == 302  # code entered, answered, submitted
    assert staff_key(client) == staff
    assert client.get("/staff/").status_code == 200


def test_staff_pages_and_errors_carry_no_respondent_code(client, make_wave, issue_codes, make_account, now):
    codes = issue_codes(make_wave(), 2)
    start = client.get("/")
    client.post("/", data={"code": codes[0], "csrf_token": csrf_of(start.text)})
    make_account("hr1", "hr")
    pages = [login(client, "hr1", password="wrong password here"), client.post("/staff/login", data={}),
             client.get("/staff/login")]
    now.t += 10
    login(client, "hr1")
    pages += [client.get("/staff/"), client.get("/staff/nothing-here")]
    digest = _session(client)["d"]
    for page in pages:
        for secret in (*codes, digest):
            assert secret not in page.text


# --- the staff log hook ---------------------------------------------------------------------------

def test_every_login_failure_logout_and_account_change_passes_the_log_hook(client, app, monkeypatch, now):
    from survey.auth import operations

    events: list[tuple[str | None, str, dict]] = []
    monkeypatch.setattr(operations, "_log", lambda actor, action, details: events.append((actor, action, details)))
    with app.app_context():
        create_account("hr1", PASSWORD, ["hr"], actor="admin1")
        operations.set_roles("hr1", ["hr", "admin"], actor="admin1")
        operations.reset_password("hr1", "another long password 7", actor="admin1")
    login(client, "nobody", password="whatever password")
    login(client, "hr1", password="wrong password here")
    now.t += 10
    login(client, "hr1", password="another long password 7")
    client.post("/staff/logout", data={"csrf_token": csrf_of(client.get("/staff/").text)})
    with app.app_context():
        set_disabled("hr1", True, actor="admin1")
        set_disabled("hr1", False, actor="admin1")
    assert [(actor, action) for actor, action, _ in events] == [
        ("admin1", "account_created"), ("admin1", "roles_changed"), ("admin1", "password_reset"),
        (None, "login_failed"), ("hr1", "login_failed"), ("hr1", "login"), ("hr1", "logout"),
        ("admin1", "account_disabled"), ("admin1", "account_enabled"),
    ]
    assert events[3][2] == {"reason": "unknown_name"}  # not even the name typed: it may be a password
    assert not any(PASSWORD in str(details) for _, _, details in events)


def test_the_staff_pages_have_an_english_catalogue(client, make_account, now):
    make_account("hr1", "hr")
    page = client.get("/staff/login?lang=en")
    assert "Staff login" in page.text and "User name" in page.text
    login(client, "hr1")
    assert "Logged in as hr1" in client.get("/staff/").text


@pytest.mark.parametrize("path", ["/staff/login", "/staff/"])
def test_staff_pages_carry_the_same_security_headers(client, make_account, now, path):
    from survey.security import HEADERS

    make_account("hr1", "hr")
    login(client, "hr1")
    response = client.get(path, follow_redirects=True)
    for name, value in HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("roles", [("office",), ("council",), ("hr",), ("admin",), ("office", "council")])
def test_every_role_reaches_the_landing_page(app, make_account, now, roles):
    client = app.test_client()
    assert client.get("/staff/").status_code == 302
    secret = make_account("p1", *roles)
    login(client, "p1", code=code_of(secret, now) if secret else "")
    assert client.get("/staff/").status_code == 200
