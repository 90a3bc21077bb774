"""`wir-survey users ...` and the demo accounts, through `runner.invoke` like every CLI test."""
from __future__ import annotations

import pyotp
import pytest

from survey.auth import clock
from survey.auth.operations import DEMO_PASSWORD, find_account
from survey.auth.passwords import verify_password
from tests.conftest import free_port

PASSWORD = "a long staff password 42"


@pytest.fixture
def users(runner, monkeypatch):
    monkeypatch.setenv("WIR_SURVEY_USER_PASSWORD", PASSWORD)

    def _invoke(*args: str, **kwargs):
        return runner.invoke(args=["users", *args], **kwargs)

    return _invoke


def test_create_prints_the_enrolment_uri_for_office_and_council_only(users, app):
    office = users("create", "anna", "--role", "office", "--role", "council")
    assert office.exit_code == 0, office.output
    assert "otpauth://totp/wir-survey:anna?secret=" in office.output
    hr = users("create", "bert", "--role", "hr")
    assert hr.exit_code == 0 and "otpauth" not in hr.output
    with app.app_context():
        assert find_account("anna").roles == ("office", "council")
        assert PASSWORD not in office.output


def test_create_asks_for_the_password_twice_without_the_variable(runner, app, monkeypatch):
    monkeypatch.delenv("WIR_SURVEY_USER_PASSWORD", raising=False)
    result = runner.invoke(args=["users", "create", "carla", "--role", "hr"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert verify_password(find_account("carla").password_hash, PASSWORD)


def test_create_refuses_weak_passwords_duplicates_and_unknown_roles(users, monkeypatch):
    monkeypatch.setenv("WIR_SURVEY_USER_PASSWORD", "passwort1234")
    weak = users("create", "anna", "--role", "hr")
    assert weak.exit_code == 1 and "most common" in weak.output
    monkeypatch.setenv("WIR_SURVEY_USER_PASSWORD", PASSWORD)
    assert users("create", "anna", "--role", "hr").exit_code == 0
    again = users("create", "anna", "--role", "hr")
    assert again.exit_code == 1 and "already" in again.output
    assert users("create", "dora", "--role", "root").exit_code == 2


def test_list_disable_enable_reset_and_roles(users, app, monkeypatch):
    users("create", "anna", "--role", "hr")
    assert users("disable", "anna").exit_code == 0
    assert "anna\thr\tdisabled" in users("list").output
    assert users("enable", "anna").exit_code == 0
    assert "anna\thr\tactive; password only" in users("list").output
    monkeypatch.setenv("WIR_SURVEY_USER_PASSWORD", "another long password 7")
    assert users("reset-password", "anna").exit_code == 0
    roles = users("roles", "anna", "--role", "council", "--role", "admin")
    assert roles.exit_code == 0 and "otpauth://totp/" in roles.output  # gaining council enrols a second factor
    with app.app_context():
        account = find_account("anna")
        assert verify_password(account.password_hash, "another long password 7")
        assert account.roles == ("council", "admin") and account.otp_secret
    missing = users("disable", "nobody")
    assert missing.exit_code == 1 and "no staff account" in missing.output


def test_otp_prints_codes_for_demo_accounts_only(users, runner, app, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: 1_900_000_015.0)  # no 30-second step boundary in between
    demo = runner.invoke(args=["demo", "--codes", "1"])
    assert demo.exit_code == 0, demo.output
    for role in ("office", "council", "hr", "admin"):
        assert f"    {role:<8} password {DEMO_PASSWORD}" in demo.output
    assert "wir-survey users otp office" in demo.output
    code = users("otp", "office")
    assert code.exit_code == 0
    with app.app_context():
        assert code.output.strip() == pyotp.TOTP(find_account("office").otp_secret).at(int(clock.now()))
    users("create", "anna", "--role", "office")
    real = users("otp", "anna")
    assert real.exit_code == 1 and "not a demo account" in real.output
    port = free_port()
    again = runner.invoke(args=["demo", "--codes", "1", "--port", str(port)])  # twice: the accounts are kept
    assert again.exit_code == 0, again.output
    assert users("list").output.count("demo") == 4
    # A second instance on another port prints the URLs it will actually serve.
    urls = [word for word in again.output.split() if word.startswith("http")]
    assert len(urls) >= 4 and all(url.startswith(f"http://127.0.0.1:{port}/") for url in urls), urls
