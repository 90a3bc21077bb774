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
