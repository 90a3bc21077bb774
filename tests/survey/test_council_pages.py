"""The council's pages: review a wave's exact configuration, approve or refuse it, read the audit,
the release log and the staff log; nobody else may."""
from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_of
from tests.survey.test_auth import code_of, login, make_account, now  # noqa: F401  (fixtures)

PAGES = ["/staff/council/", "/staff/council/waves/1", "/staff/council/audit", "/staff/council/releases",
         "/staff/council/log"]


@pytest.fixture
def councillor(app, make_account, now):
    secret = make_account("clara", "council")
    client = app.test_client()
    assert login(client, "clara", code=code_of(secret, now)).status_code == 302
    return client


def test_a_councillor_reviews_and_approves_the_exact_configuration(app, councillor, make_wave):
    from survey.waves import WaveError, open_wave

    wave = make_wave(open_=False)
    page = councillor.get(f"/staff/council/waves/{wave}")
    assert page.status_code == 200
    assert "group=medium" in page.text and "Mindestfallzahl k in Veröffentlichungen: 5" in page.text
    shown_hash = re.search(r'name="configuration"[^>]*value="([0-9a-f]{64})"', page.text).group(1)
    refused = councillor.post(f"/staff/council/waves/{wave}", data={
        "csrf_token": csrf_of(page.text), "configuration": shown_hash, "refuse": "x", "comment": ""})
    assert refused.status_code == 400 and "braucht einen Kommentar" in refused.text
    stale = councillor.post(f"/staff/council/waves/{wave}", data={
        "csrf_token": csrf_of(page.text), "configuration": "0" * 64, "approve": "x"})
    assert stale.status_code == 400 and "geändert" in stale.text
    with app.app_context(), pytest.raises(WaveError):
        open_wave(wave)
    done = councillor.post(f"/staff/council/waves/{wave}", data={
        "csrf_token": csrf_of(page.text), "configuration": shown_hash, "approve": "x", "comment": "Passt."})
    assert done.status_code == 302
    assert "approved by clara" in councillor.get(f"/staff/council/waves/{wave}").text
    with app.app_context():
        open_wave(wave)
    log = councillor.get("/staff/council/log").text
    assert "wave approved" in log and "clara" in log and "All " in log


def test_the_audit_page_shows_the_same_checks(councillor, make_wave):
    make_wave()
    page = councillor.get("/staff/council/audit")
    assert page.status_code == 200
    for name in ("waves_approved", "staff_log_chain", "responses_sealed", "schema_matches_migrations"):
        assert name in page.text


@pytest.mark.parametrize("role", ["office", "hr", "admin"])
def test_other_roles_get_403_and_strangers_the_login(app, make_account, now, make_wave, role):
    make_wave(open_=False)
    secret = make_account("someone", role)
    client = app.test_client()
    login(client, "someone", code=code_of(secret, now) if secret else "")
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    stranger = app.test_client()
    for path in PAGES:
        response = stranger.get(path)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"], path


def test_a_councillor_reads_the_questionnaire_as_respondents_see_it(councillor, make_wave):
    wave = make_wave(open_=False)
    review = councillor.get(f"/staff/council/waves/{wave}").text
    assert f"/staff/office/waves/{wave}/preview" in review
    preview = councillor.get(f"/staff/office/waves/{wave}/preview?language=en")
    assert preview.status_code == 200 and 'lang="en"' in preview.text
    assert 'name="q_own_citizenship_at_birth"' in preview.text
    assert "/staff/council/" in preview.text  # the council's own navigation, not the office's

