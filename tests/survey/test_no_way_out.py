"""G3 "only safe statistics leave": no route returns an individual answer, decrypted or sealed.

Every route the app registers is requested with every method it accepts, with and without a
respondent's session, after respondents gave answers that mark themselves. No response may carry
an answer's content, its stratum beside it, or a sealed answer's bytes.
"""
from __future__ import annotations

import re

from sqlalchemy import select

from survey.extensions import db
from survey.models import Response
from survey.pool import sealed_waiting
from tests.survey.test_auth import make_account, now  # noqa: F401  (fixtures)

MARKED = {"own_citizenship_at_birth": "no", "mother_citizenship_at_birth": "no", "father_immigrated": "yes"}
LEAKS = [re.compile(rf'["\']?{question}["\']?\s*[:=]\s*["\']?{answer}') for question, answer in MARKED.items()]


def _paths(app) -> list[tuple[str, str]]:
    requests = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            requests.append((method, path))
    return requests


def test_no_route_returns_an_answer(app, make_wave, issue_codes, respond):
    app.config["POOL_FLUSH_THRESHOLD"] = 2
    wave = make_wave()
    codes = issue_codes(wave, 4)
    for code in codes[:3]:
        respond(app.test_client(), code, MARKED)
    with app.app_context():
        sealed = [*db.session.scalars(select(Response.sealed)), *sealed_waiting(wave)]
    assert len(sealed) == 3
    in_flow = app.test_client()
    in_flow.post("/", data={"code": codes[3], "csrf_token": re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', in_flow.get("/").text).group(1)})
    requests = _paths(app)
    assert len(requests) >= 8
    for client in (app.test_client(), in_flow):
        for method, path in requests:
            response = client.open(path, method=method, data={})
            body = response.get_data()
            text = body.decode("utf-8", "replace")
            assert not any(leak.search(text) for leak in LEAKS), (method, path)
            assert not any(s[:32] in body or s[:32].hex() in text for s in sealed), (method, path)


def test_no_staff_page_returns_an_answer_either(app, make_wave, issue_codes, respond, make_account, now, tmp_path):
    """The same walk logged in with every staff role at once, after a release, with a valid CSRF
    token on every POST: the console, the council's pages and the downloads show only what the
    release published."""
    from survey.releases import make_release
    from survey.waves import close_wave
    from tests.conftest import PASSPHRASE, csrf_of
    from tests.survey.test_auth import code_of, login

    app.config["POOL_FLUSH_THRESHOLD"] = 2
    wave = make_wave()
    codes = issue_codes(wave, 6)
    for code in codes[:5]:
        respond(app.test_client(), code, MARKED)
    with app.app_context():
        close_wave(wave)
        sealed = [*db.session.scalars(select(Response.sealed)), *sealed_waiting(wave)]
        from survey.office.operations import run_release

        run_release(wave, PASSPHRASE, min_count=None, lang="de")
    secret = make_account("alle", "office", "council", "hr", "admin")
    staff = app.test_client()
    assert login(staff, "alle", code=code_of(secret, now)).status_code == 302
    token = csrf_of(staff.get("/staff/").text)
    requests = sorted(_paths(app), key=lambda r: r[1] == "/staff/logout")  # logging out comes last
    walked = 0
    for method, path in requests:
        response = staff.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
        body = response.get_data()
        text = body.decode("utf-8", "replace")
        walked += path.startswith("/staff") and response.status_code == 200
        assert not any(leak.search(text) for leak in LEAKS), (method, path)
        assert not any(s[:32] in body or s[:32].hex() in text for s in sealed), (method, path)
        assert not any(code in text for code in codes), (method, path)
    assert walked >= 15  # the staff pages were really shown, not refused
