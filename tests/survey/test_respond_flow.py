"""The respondent flow end to end: a code works once, bad input changes nothing, every question may be skipped."""
from __future__ import annotations

import re

from tests.conftest import count_rows, csrf_of, open_waiting


def test_a_code_works_once_and_its_answers_are_pooled(app, client, make_wave, issue_codes, respond):
    wave = make_wave()
    code = issue_codes(wave, 1)[0]
    done = respond(client, code, {"own_citizenship_at_birth": "no", "born_in_germany": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/thanks")
    assert count_rows(app, "pool") == 1
    # A second go with the code looks like the first (see test_print_list.py), and is dropped.
    again = respond(app.test_client(), code, {"own_citizenship_at_birth": "yes"})
    assert again.status_code == 302 and again.headers["Location"].endswith("/thanks")
    assert count_rows(app, "pool") + count_rows(app, "responses") == 1


def test_codes_are_read_leniently(app, client, make_wave, issue_codes, respond):
    wave = make_wave()
    code = issue_codes(wave, 1)[0]
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert respond(client, typed).headers["Location"].endswith("/thanks")


def test_an_unknown_code_gets_its_page_and_stores_nothing(app, client, make_wave, issue_codes):
    make_wave()
    start = client.get("/")
    response = client.post("/", data={"code": "ABCD-EFGH-JKMN-PQRS", "csrf_token": csrf_of(start.text)})
    assert response.status_code == 404
    assert "Diesen Code kennen wir nicht" in response.text
    assert 'id="code-form"' in response.text  # the respondent can try again at once
    assert count_rows(app, "pool") == 0 and count_rows(app, "responses") == 0


def test_a_wave_that_is_not_open_turns_codes_away(app, client, make_wave, issue_codes, respond):
    wave = make_wave(open_=False)
    code = issue_codes(wave, 1)[0]
    response = respond(client, code)
    assert response.status_code == 403
    assert "noch nicht begonnen" in response.text


def test_every_question_can_be_skipped(app, client, make_wave, issue_codes, respond):
    for questionnaire in ("migration-background", "agg-discrimination"):
        wave = make_wave(questionnaire)
        code = issue_codes(wave, 1)[0]
        assert respond(app.test_client(), code, {}).headers["Location"].endswith("/thanks")
    assert count_rows(app, "pool") == 2


def test_back_and_forward_keep_answers(app, client, make_wave, issue_codes):
    wave = make_wave("agg-discrimination")
    code = issue_codes(wave, 1)[0]
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    page1 = client.get("/q/1")
    client.post("/q/1", data={"csrf_token": csrf_of(page1.text), "q_experienced_discrimination": "yes", "next": "x"})
    page2 = client.get("/q/2")
    assert "q_grounds" in page2.text  # the follow-up questions appear because of the first answer
    back = client.post("/q/2", data={"csrf_token": csrf_of(page2.text), "q_grounds": ["age", "gender"], "back": "x"})
    assert back.headers["Location"].endswith("/q/1")
    assert re.search(r'value="yes" checked', client.get("/q/1").text)
    again = client.get("/q/2").text
    assert re.search(r'value="age" checked', again) and re.search(r'value="gender" checked', again)


def test_follow_up_pages_are_skipped_when_they_do_not_apply(app, client, make_wave, issue_codes):
    wave = make_wave("agg-discrimination")
    code = issue_codes(wave, 1)[0]
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    page1 = client.get("/q/1")
    posted = client.post("/q/1", data={"csrf_token": csrf_of(page1.text), "q_experienced_discrimination": "no", "next": "x"})
    assert posted.headers["Location"].endswith("/q/3")
    page3 = client.get("/q/3").text
    assert "q_reasons_not_used" not in page3 and "q_respect_climate" in page3
    # The page count never jumps: a skipped page moves "page N" on, "of M" stays the same.
    assert "Seite 1 von 3" in page1.text and "Seite 3 von 3" in page3


def test_a_short_questionnaire_fits_on_one_page(app, client, make_wave, issue_codes):
    wave = make_wave()
    code = issue_codes(wave, 1)[0]
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    page = client.get("/q/1").text
    assert len(set(re.findall(r'name="(q_[a-z_]+)"', page))) == 6
    posted = client.post("/q/1", data={"csrf_token": csrf_of(page), "next": "x"})
    assert posted.headers["Location"].endswith("/review")


def test_a_tampered_option_is_refused_and_stores_nothing(app, client, make_wave, issue_codes):
    wave = make_wave()
    code = issue_codes(wave, 1)[0]
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    page = client.get("/q/1")
    response = client.post(
        "/q/1", data={"csrf_token": csrf_of(page.text), "q_own_citizenship_at_birth": "maybe", "next": "x"}
    )
    assert response.status_code == 400
    assert "passt nicht" in response.text
    assert "Not a valid choice" not in response.text  # the field's own message is in German too
    review = client.get("/review")
    client.post("/submit", data={"csrf_token": csrf_of(review.text)})
    assert count_rows(app, "pool") == 1  # submitted without the tampered answer...
    (payload,) = open_waiting(app, wave)
    assert payload["answers"] == {}  # ...and the tampered value never entered the session


def test_a_missing_csrf_token_is_refused(app, client, make_wave, issue_codes):
    wave = make_wave()
    code = issue_codes(wave, 1)[0]
    response = client.post("/", data={"code": code})
    assert response.status_code == 400
    assert "nicht angenommen" in response.text
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    client.get("/review")
    submit = client.post("/submit", data={})
    assert submit.status_code == 400
    assert count_rows(app, "pool") == 0
    with app.app_context():
        from survey.extensions import db
        from survey.models import Token

        assert db.session.query(Token).filter_by(used=True).count() == 0


def test_an_oversized_body_is_refused(app, client, make_wave, issue_codes):
    wave = make_wave()
    code = issue_codes(wave, 1)[0]
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    token = csrf_of(client.get("/q/1").text)
    response = client.post("/q/1", data={"csrf_token": token, "q_own_citizenship_at_birth": "x" * 50_000})
    assert response.status_code == 413
    assert "Nichts" in response.text or "nichts" in response.text
    assert count_rows(app, "pool") == 0


def test_pages_without_a_session_explain_what_happened(client):
    for path in ("/welcome", "/q/1", "/review"):
        response = client.get(path)
        assert response.status_code == 400
        assert "Sitzung" in response.text


def test_an_expired_session_gets_its_page(app, client, make_wave, issue_codes, monkeypatch):
    wave = make_wave()
    code = issue_codes(wave, 1)[0]
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    assert client.get("/q/1").status_code == 200
    app.config["SESSION_TTL_SECONDS"] = -1
    response = client.get("/q/1")
    assert response.status_code == 400
    assert "abgelaufen" in response.text


def test_the_session_cookie_is_encrypted(app, client, make_wave, issue_codes):
    wave = make_wave()
    code = issue_codes(wave, 1)[0]
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    page = client.get("/q/1")
    client.post("/q/1", data={"csrf_token": csrf_of(page.text), "q_own_citizenship_at_birth": "no", "next": "x"})
    cookie = client.get_cookie("wir").value
    for secret in ("own_citizenship", "answers", code.replace("-", "")):
        assert secret not in cookie


def test_english_pages_and_questionnaire(app, client, make_wave, issue_codes):
    wave = make_wave()
    code = issue_codes(wave, 1)[0]
    start = client.get("/?lang=en")
    assert '<html lang="en"' in start.text
    client.post("/", data={"code": code, "csrf_token": csrf_of(start.text)})
    page = client.get("/q/1").text
    assert "German citizenship" in page
    assert "Prefer not to say" in page


def test_security_headers_and_no_third_party_assets(client):
    response = client.get("/")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert not re.search(r'(src|href)="(https?:)?//', response.text)


def test_the_browser_language_is_used_until_one_is_chosen(app, make_wave, issue_codes):
    wave = make_wave()
    code = issue_codes(wave, 1)[0]
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    start = client.get("/")
    client.post("/", data={"code": code, "csrf_token": csrf_of(start.text)})
    assert "German citizenship" in client.get("/q/1").text
    assert "deutsche Staatsangehörigkeit" in client.get("/q/1?lang=de").text


def test_a_wave_closed_while_someone_answers_refuses_the_submit(app, client, make_wave, issue_codes, runner):
    wave = make_wave()
    code = issue_codes(wave, 1)[0]
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    page = client.get("/q/1")
    token = csrf_of(page.text)
    client.post("/q/1", data={"csrf_token": token, "q_born_in_germany": "yes", "next": "x"})
    assert client.get("/review").status_code == 200
    assert runner.invoke(args=["waves", "close", str(wave)]).exit_code == 0
    response = client.post("/submit", data={"csrf_token": token})
    assert response.status_code == 410 and "beendet" in response.text
    assert count_rows(app, "pool") + count_rows(app, "responses") == 0
