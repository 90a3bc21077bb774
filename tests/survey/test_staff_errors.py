"""Errors on staff paths get the staff's own error page with the right status, name neither the path
nor anything sent, and leave no trace; respondent paths keep their own pages."""
from __future__ import annotations

import pytest

from survey.extensions import db
from tests.conftest import csrf_of
from tests.survey.test_auth import code_of, login, make_account, now  # noqa: F401  (fixtures)
from tests.survey.test_quiet_failures import assert_no_trace, every_log_record  # noqa: F401  (fixture)

MARKER = "zq7-marker"


def assert_staff_page(response, status: int, title: str) -> None:
    assert response.status_code == status
    assert '<header class="bar">' in response.text and title in response.text
    assert 'href="/staff/"' in response.text  # the way back
    assert MARKER not in response.text and "Traceback" not in response.text
    assert "Bitte versuchen Sie es gleich noch einmal. Es wurde nichts gespeichert; Ihre" not in response.text


@pytest.fixture
def failing(app):
    """Views that fail after writing, on a staff path and on a respondent path (added before any request)."""
    from survey.models import StaffAccount

    def fail():
        db.session.add(StaffAccount(name=MARKER, password_hash="x", roles_csv="hr"))
        db.session.flush()
        raise RuntimeError(f"{MARKER} SELECT secret FROM somewhere")

    app.add_url_rule("/staff/boom", "staff_boom", fail, methods=["GET", "POST"])
    app.add_url_rule("/boom", "respondent_boom", fail)
    return app


def test_an_unknown_staff_path_gets_the_staff_404_page(client):
    response = client.get(f"/staff/{MARKER}?q={MARKER}")
    assert_staff_page(response, 404, "Diese Seite gibt es nicht")


def test_a_wrong_method_gets_the_staff_405_page_with_allow(client):
    response = client.get("/staff/logout")
    assert_staff_page(response, 405, "So kann diese Seite nicht aufgerufen werden")
    assert "POST" in response.headers["Allow"].split(", ")


def test_a_failing_staff_view_gets_the_staff_500_page_and_leaves_no_trace(failing, every_log_record, capfd):
    from survey.auth.operations import find_account

    capfd.readouterr()
    every_log_record.clear()
    client = failing.test_client()
    response = client.post("/staff/boom", data={"x": MARKER}, headers={"X-Wtf": "1"})
    assert response.status_code == 400  # no CSRF token: refused before the view
    assert_staff_page(response, 400, "Dieses Formular konnte nicht angenommen werden")
    response = client.get(f"/staff/boom?x={MARKER}")
    assert_staff_page(response, 500, "Das hat gerade nicht geklappt")
    assert_no_trace(every_log_record, capfd)
    with failing.app_context():
        assert find_account(MARKER) is None  # nothing written


def test_a_failing_admin_operation_gets_the_staff_500_page(app, make_account, now, monkeypatch,
                                                           every_log_record, capfd):
    import survey.admin.operations as operations

    def broken(*_args, **_kwargs):
        raise RuntimeError(MARKER)

    monkeypatch.setattr(operations, "set_disabled", broken)
    make_account("ada", "admin")
    make_account("hanna", "hr")
    client = app.test_client()
    login(client, "ada")
    page = client.get("/staff/admin/accounts/2")
    capfd.readouterr()
    every_log_record.clear()
    response = client.post("/staff/admin/accounts/2/disabled", data={"disable": "x", "csrf_token": csrf_of(page.text)})
    assert_staff_page(response, 500, "Das hat gerade nicht geklappt")
    assert_no_trace(every_log_record, capfd)
    assert client.get("/staff/admin/").status_code == 200  # still logged in, the app goes on


def test_respondent_paths_keep_their_own_pages(failing, every_log_record, capfd):
    client = failing.test_client()
    capfd.readouterr()
    every_log_record.clear()
    failed = client.get("/boom")
    assert failed.status_code == 503 and "Bitte versuchen Sie es gleich noch einmal" in failed.text
    assert 'href="/boom"' in failed.text  # its "try again" link, as before
    missing = client.get(f"/{MARKER}")
    # The respondent's own styled page, leading to the start page, not to the staff overview.
    assert missing.status_code == 404 and "Diese Seite gibt es nicht" in missing.text
    assert 'href="/"' in missing.text and "/staff" not in missing.text
    csrf = client.post("/", data={"code": "x"})
    assert csrf.status_code == 400 and "Das Formular war veraltet oder wurde verändert" in csrf.text
    assert_no_trace(every_log_record, capfd)


def test_a_council_form_without_token_gets_the_staff_page(app, make_account, now, make_wave):
    wave = make_wave(open_=False)
    secret = make_account("clara", "council")
    client = app.test_client()
    login(client, "clara", code=code_of(secret, now))
    response = client.post(f"/staff/council/waves/{wave}", data={"approve": "x"})
    assert_staff_page(response, 400, "Dieses Formular konnte nicht angenommen werden")
    assert "Sicherheitsmerkmal fehlt" in response.text
