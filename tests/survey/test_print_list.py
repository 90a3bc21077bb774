"""The holder of a print list (code -> person, e.g. a payroll mail-merge) tries codes to learn who took part.

They must learn nothing: a code that has already answered leads through the same pages, with the
same status codes, redirects, headers and page sizes, to the same thank-you page as a code that has
not. Its answers are dropped (the first answer given with a code counts) and only a count per wave
remains. After a wave closes, or before it opens, every code gets the same page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_of

CSRF_VALUE = re.compile(r'(name="csrf_token" type="hidden" value=")[^"]+(")')
OPTION = re.compile(r'name="(q_[a-z0-9_]+)" value="([^"]+)"')
FIRST_PAGE = re.compile(r'href="(/q/\d+)"')


@dataclass(frozen=True)
class Seen:
    """What an outsider sees of one response; the session cookie only by its length (it is encrypted)."""

    step: str
    status: int
    location: str | None
    size: int
    body: str
    headers: tuple[tuple[str, str], ...]
    cookie_size: int | None


def seen(step: str, response) -> Seen:
    cookies = response.headers.getlist("Set-Cookie")
    return Seen(
        step=step,
        status=response.status_code,
        location=response.headers.get("Location"),
        size=len(response.data),
        # The CSRF token differs on every page view by design (its length does not).
        body=CSRF_VALUE.sub(r"\1-\2", response.get_data(as_text=True)),
        headers=tuple(sorted((k, v) for k, v in response.headers.items() if k != "Set-Cookie")),
        cookie_size=sum(len(c) for c in cookies) if cookies else None,
    )


def first_options(html: str) -> dict[str, str]:
    """The attacker's answers: the first option of every question on the page."""
    chosen: dict[str, str] = {}
    for name, value in OPTION.findall(html):
        chosen.setdefault(name, value)
    return chosen


def walk(client, code: str) -> list[Seen]:
    """start -> welcome -> every page (answering) -> review -> submit -> thanks, as seen from outside."""
    trace: list[Seen] = []
    start = client.get("/")
    trace.append(seen("GET /", start))
    entered = client.post("/", data={"code": code, "csrf_token": csrf_of(start.text)})
    trace.append(seen("POST /", entered))
    assert entered.status_code == 302, entered.text
    welcome = client.get(entered.headers["Location"])
    trace.append(seen("GET /welcome", welcome))
    url = FIRST_PAGE.search(welcome.text).group(1)
    while url.startswith("/q/"):
        page = client.get(url)
        trace.append(seen(f"GET {url}", page))
        if page.status_code == 302:
            url = page.headers["Location"]
            continue
        form = {"csrf_token": csrf_of(page.text), "next": "Weiter", **first_options(page.text)}
        posted = client.post(url, data=form)
        trace.append(seen(f"POST {url}", posted))
        url = posted.headers["Location"]
    review = client.get(url)
    trace.append(seen(f"GET {url}", review))
    submitted = client.post("/submit", data={"csrf_token": csrf_of(review.text)})
    trace.append(seen("POST /submit", submitted))
    thanks = client.get(submitted.headers["Location"])
    trace.append(seen("GET /thanks", thanks))
    return trace


@pytest.fixture
def stored_payloads(monkeypatch) -> list[dict]:
    """Every payload that reaches storage, recorded on its way through the one storage call of a submit."""
    from survey.respond import operations

    recorded: list[dict] = []
    real_store = operations._store

    def recording(wave_id, stratum_id, payload):
        recorded.append(payload)
        return real_store(wave_id, stratum_id, payload)

    monkeypatch.setattr(operations, "_store", recording)
    return recorded


def _counts(app) -> dict[str, int]:
    from survey.audit import run_audit
    from survey.extensions import db
    from survey.models import Response, SubmitCount
    from survey.pool import waiting

    with app.app_context():
        report = run_audit(app)
        assert report.ok, [c for c in report.checks if not c.ok]
        counts = dict(report.counts)
        assert counts["issued"] >= counts["used"] == counts["pooled"] + counts["stored"]
        counts["waiting"] = waiting()
        counts["responses"] = db.session.scalar(select(func.count()).select_from(Response))
        counts["reused"] = db.session.scalar(select(func.coalesce(func.sum(SubmitCount.repeated), 0)))
        return counts


def test_a_used_code_looks_exactly_like_an_unused_one_and_its_answers_are_dropped(
    app, make_wave, issue_codes, respond, stored_payloads
):
    wave = make_wave("agg-discrimination")
    used, unused = issue_codes(wave, 2)
    employee = {"experienced_discrimination": "no", "observed_discrimination": "no", "respect_climate": "good"}
    assert respond(app.test_client(), used, employee).headers["Location"].endswith("/thanks")
    assert [p["answers"] for p in stored_payloads] == [employee]
    before = _counts(app)

    with_used = walk(app.test_client(), used)
    with_unused = walk(app.test_client(), unused)

    assert [s.step for s in with_used] == [s.step for s in with_unused]
    assert len({s.step for s in with_used if s.step.startswith("POST /q/")}) >= 2  # several question pages
    for a, b in zip(with_used, with_unused, strict=True):
        assert a == b, f"{a.step}: the used code is told apart"
    assert with_used[-2].location == "/thanks" and with_used[-1].status == 200

    after = _counts(app)
    # Only the unused code's answers were stored; the used code's second answers were dropped.
    assert len(stored_payloads) == 2 and stored_payloads[0]["answers"] == employee
    assert stored_payloads[1]["answers"] != employee
    assert after["used"] == before["used"] + 1 == 2
    assert after["waiting"] + after["responses"] == before["waiting"] + before["responses"] + 1 == 2
    assert after["reused"] == before["reused"] + 1 == 1


def test_a_code_answers_once_whoever_comes_first(app, make_wave, issue_codes, respond, stored_payloads):
    """Someone who answers twice sees no error; the first answers count, the second are dropped."""
    wave = make_wave()
    code = issue_codes(wave, 1)[0]
    first = respond(app.test_client(), code, {"own_citizenship_at_birth": "no"})
    second = respond(app.test_client(), code, {"own_citizenship_at_birth": "yes"})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == "/thanks"
    assert [p["answers"] for p in stored_payloads] == [{"own_citizenship_at_birth": "no"}]
    counts = _counts(app)
    assert counts["used"] == counts["waiting"] + counts["responses"] == 1 and counts["reused"] == 1


def _entered(app, code: str):
    """A client that has entered `code` and stands on the first question page, with its CSRF token."""
    client = app.test_client()
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    return client, csrf_of(client.get("/q/1").text)


STEPS = {
    "GET /welcome": lambda client, token: client.get("/welcome"),
    "GET /q/1": lambda client, token: client.get("/q/1"),
    "POST /q/1": lambda client, token: client.post("/q/1", data={"csrf_token": token, "next": "x"}),
    "GET /review": lambda client, token: client.get("/review"),
    "POST /submit": lambda client, token: client.post("/submit", data={"csrf_token": token}),
}


def test_after_the_wave_closes_every_code_gets_the_same_ended_page(app, runner, make_wave, issue_codes, respond):
    wave = make_wave()
    used, unused = issue_codes(wave, 2)
    respond(app.test_client(), used, {"born_in_germany": "yes"})
    midway = {(step, code): _entered(app, code) for step in STEPS for code in (used, unused)}
    before = _counts(app)
    assert runner.invoke(args=["waves", "close", str(wave)]).exit_code == 0

    for code in (used, unused):
        client = app.test_client()
        response = client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
        midway[("POST /", code)] = response
    assert seen("POST /", midway[("POST /", used)]) == seen("POST /", midway[("POST /", unused)])
    assert midway[("POST /", used)].status_code == 410
    assert "beendet" in midway[("POST /", used)].text

    for step, act in STEPS.items():
        responses = [act(*midway[(step, code)]) for code in (used, unused)]
        assert seen(step, responses[0]) == seen(step, responses[1]), f"{step}: the used code is told apart"
        assert responses[0].status_code == 410 and "beendet" in responses[0].text, step

    after = _counts(app)
    assert after["used"] == before["used"] == 1
    assert after["waiting"] + after["responses"] == 1 and after["reused"] == 0


def test_before_the_wave_opens_every_code_gets_the_same_not_yet_page(app, make_wave, issue_codes):
    wave = make_wave(open_=False)
    codes = issue_codes(wave, 2)
    responses = []
    for code in codes:
        client = app.test_client()
        responses.append(client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)}))
    assert seen("POST /", responses[0]) == seen("POST /", responses[1])
    assert responses[0].status_code == 403 and "noch nicht" in responses[0].text


def test_the_reuse_count_is_a_count_per_wave_and_nothing_else(app, runner, make_wave, issue_codes, respond):
    from sqlalchemy import inspect

    from survey.extensions import db

    wave, other = make_wave(), make_wave()
    code, fresh = issue_codes(wave, 2)
    for _ in range(3):
        respond(app.test_client(), code)
    respond(app.test_client(), fresh)
    respond(app.test_client(), issue_codes(other, 1)[0])
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("submit_counts")}
        rows = db.session.execute(db.text("SELECT wave_id, first, repeated FROM submit_counts ORDER BY wave_id")).all()
    assert columns == {"wave_id", "first", "repeated"}
    assert rows == [(wave, 2, 2), (other, 1, 0)]
    listing = runner.invoke(args=["waves", "list"]).output.splitlines()
    assert "2 answers sent with an already used code (dropped)" in listing[0]
    assert "0 answers sent with an already used code" in listing[1]


def test_a_wave_that_closes_during_a_later_submit_says_so_and_counts_nothing(app, make_wave, issue_codes, respond,
                                                                             monkeypatch):
    """The token update of a later submit fails for two reasons, used code or wave just closed; the
    reuse count's own statement tells them apart, and a just-closed wave gets its page, for every code."""
    from sqlalchemy import update

    from survey.extensions import db
    from survey.models import Wave
    from survey.respond import operations

    wave = make_wave()
    code = issue_codes(wave, 1)[0]
    respond(app.test_client(), code)
    client, token = _entered(app, code)
    real_use = operations._use

    def closing_first(token_digest):
        db.session.execute(update(Wave).where(Wave.id == wave).values(state="closed"))
        return real_use(token_digest)

    monkeypatch.setattr(operations, "_use", closing_first)
    response = client.post("/submit", data={"csrf_token": token})
    assert response.status_code == 410 and "beendet" in response.text
    counts = _counts(app)
    assert counts["used"] == counts["waiting"] + counts["responses"] == 1 and counts["reused"] == 0
