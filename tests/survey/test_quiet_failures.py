"""A respondent request that fails, for whatever reason, leaves no trace and loses nothing.

Nothing is logged (a log line with the route, the SQL or just the time of a failed submit marks when
someone answered), nothing is half-written, and the answers in the session cookie survive, so the
respondent can simply try again. Failures are provoked for real: a second connection locks the
SQLite file, or code inside the request raises.
"""
from __future__ import annotations

import logging
import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from tests.conftest import csrf_of


@pytest.fixture
def extra_config() -> dict[str, object]:
    """SQLite gives up on a lock after 0.2 s instead of 15 s."""
    return {"SQLITE_BUSY_TIMEOUT_SECONDS": 0.2}


@pytest.fixture
def every_log_record():
    """Every log record of any logger, at any level, while the test runs."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root = logging.getLogger()
    handler, level = Keep(logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield records
    root.removeHandler(handler)
    root.setLevel(level)


def assert_no_trace(records, capfd) -> None:
    assert [f"{r.name}: {r.getMessage()}" for r in records] == []
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


@contextmanager
def locked(app, how: str):
    """A second connection holding a lock on the database file, as a long backup or a stuck writer would."""
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute(how)
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def _state(app) -> tuple[int, int]:
    """(codes used, answers kept in the pool or the store)."""
    from survey.models import Response, Token
    from survey.pool import waiting

    with app.app_context():
        used = db.session.scalar(select(func.count()).select_from(Token).where(Token.used.is_(True)))
        return used, waiting() + db.session.scalar(select(func.count()).select_from(Response))


def _at_review(app, code: str):
    """A respondent who answered one question and stands on the review page."""
    client = app.test_client()
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    page = client.get("/q/1")
    client.post("/q/1", data={"csrf_token": csrf_of(page.text), "q_own_citizenship_at_birth": "no", "next": "x"})
    review = client.get("/review")
    assert review.status_code == 200
    return client, csrf_of(review.text)


def assert_friendly(response) -> None:
    assert response.status_code == 503
    assert '<header class="bar">' in response.text  # the site's layout
    assert "Bitte versuchen Sie es gleich noch einmal" in response.text
    assert "Traceback" not in response.text and "SQL" not in response.text


@pytest.mark.parametrize("how", ["BEGIN EXCLUSIVE", "BEGIN IMMEDIATE"])
def test_a_locked_database_fails_quietly_and_the_respondent_can_retry(
    app, make_wave, issue_codes, every_log_record, capfd, how
):
    """EXCLUSIVE blocks even reading, so the submit fails at once; IMMEDIATE lets it read and fails its write."""
    codes = issue_codes(make_wave(), 2)
    client, token = _at_review(app, codes[0])
    cookie = client.get_cookie("wir").value
    capfd.readouterr()
    every_log_record.clear()

    with locked(app, how):
        failed = client.post("/submit", data={"csrf_token": token})
        newcomer = app.test_client()
        entry = newcomer.post("/", data={"code": codes[1], "csrf_token": csrf_of(newcomer.get("/").text)})
        pages = [client.get(path) for path in ("/welcome", "/q/1", "/review")]

    assert_friendly(failed)
    assert client.get_cookie("wir").value == cookie  # the answers in the cookie are kept
    if how == "BEGIN EXCLUSIVE":
        assert_friendly(entry)
        for page in pages:
            assert_friendly(page)
    assert_no_trace(every_log_record, capfd)
    assert _state(app) == (0, 0)  # nothing half-written

    review = client.get("/review")
    assert "Nein" in review.text  # the answer given before the failure
    done = client.post("/submit", data={"csrf_token": csrf_of(review.text)})
    assert done.status_code == 302 and done.headers["Location"] == "/thanks"
    assert _state(app) == (1, 1)


def _raise(*_args, **_kwargs):
    raise RuntimeError("injected failure: SELECT secret FROM tokens WHERE digest = ?")


@pytest.mark.parametrize("where", ["code entry", "question page", "review", "storage during submit"])
def test_an_unexpected_exception_fails_quietly(
    app, make_wave, issue_codes, monkeypatch, every_log_record, capfd, where
):
    from survey.respond import operations, routes

    app.config["TESTING"] = False  # as in production: nothing propagates to the server's error log
    codes = issue_codes(make_wave(), 2)
    client, token = _at_review(app, codes[0])
    capfd.readouterr()
    every_log_record.clear()
    target = {
        "code entry": (routes, "redeem"),
        "question page": (routes, "pages_of"),
        "review": (routes, "_visible"),
        "storage during submit": (operations, "_store"),
    }[where]
    with monkeypatch.context() as patch:
        patch.setattr(*target, _raise)
        if where == "code entry":
            newcomer = app.test_client()
            failed = newcomer.post("/", data={"code": codes[1], "csrf_token": csrf_of(newcomer.get("/").text)})
        elif where == "question page":
            failed = client.get("/q/1")
        elif where == "review":
            failed = client.get("/review")
        else:
            failed = client.post("/submit", data={"csrf_token": token})
    assert_friendly(failed)
    assert_no_trace(every_log_record, capfd)
    assert _state(app) == (0, 0)  # the token update before the failed storage was rolled back
    done = client.post("/submit", data={"csrf_token": csrf_of(client.get("/review").text)})
    assert done.headers["Location"] == "/thanks" and _state(app) == (1, 1)


@pytest.mark.parametrize("hook", ["after_request", "teardown_request"])
def test_a_failure_after_the_view_leaves_no_trace_either(app, make_wave, every_log_record, capfd, hook):
    """After the view, Flask itself would log "Exception on / [GET]", and a failing teardown would reach
    the server (gunicorn logs what reaches it, with the URL)."""
    app.config["TESTING"] = False
    make_wave()

    def fail(response_or_error=None):
        raise RuntimeError("injected failure")

    getattr(app, hook)(fail)
    response = app.test_client().get("/")  # raises here if anything escaped to the server
    assert response.status_code == 503
    assert "noch einmal" in response.text
    assert_no_trace(every_log_record, capfd)
