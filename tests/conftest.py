"""Shared fixtures: an app on a fresh instance (migrated, with keys), clients, and factories."""
from __future__ import annotations

import csv
import os
import re
import secrets
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from survey import create_app
from survey.database import upgrade
from survey.extensions import db

PASSPHRASE = "correct horse battery staple"
STRATA = "group,department,headcount\nmedium,32,40\nmedium,50,25\nsenior,32,12\n"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    """A port nothing listens on now (the demo refuses a busy one, and 5000 may be taken here)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_config(tmp_path: Path, database_url: str | None = None) -> dict[str, object]:
    return {
        "TESTING": True,
        "PORT": free_port(),
        "SECRET_KEY": secrets.token_hex(32),
        "TOKEN_PEPPER": secrets.token_hex(32),
        "SESSION_KEY": Fernet.generate_key().decode(),
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp_path / 'test.sqlite'}",
        "KEYS_DIR": str(tmp_path / "keys"),
    }


@pytest.fixture
def database_url(tmp_path: Path) -> str | None:
    """SQLite by default; tests marked `postgres` override this fixture."""
    return None


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str | None):
    monkeypatch.setenv("WIR_SURVEY_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("WIR_SURVEY_PASSPHRASE", raising=False)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)  # the audit reads it as gunicorn would
    app = create_app(base_config(tmp_path, database_url))
    with app.app_context():
        upgrade()
        from survey.keys import key_files

        key_files().create(PASSPHRASE)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_wave(app, tmp_path: Path) -> Callable[..., int]:
    """Create (and by default open) a wave; returns its id."""

    def _make(questionnaire_id: str = "migration-background", strata: str = STRATA, open_: bool = True) -> int:
        from questionnaires import load_builtin
        from survey.council.operations import decide
        from survey.waves import create_wave, open_wave, read_strata_csv

        path = tmp_path / f"strata-{secrets.token_hex(3)}.csv"
        path.write_text(strata, encoding="utf-8")
        with app.app_context():
            wave = create_wave(load_builtin()[questionnaire_id], "Test wave", read_strata_csv(path), {"de": "Hallo"})
            if open_:
                decide(wave.id, "test council", approve=True)
                open_wave(wave.id)
            return wave.id

    return _make


@pytest.fixture
def answered(app, make_wave, issue_codes, respond) -> list[str]:
    """A wave with two stored answers, one waiting, and two unused codes; returns the unused codes."""
    app.config["POOL_FLUSH_THRESHOLD"] = 2
    wave = make_wave()
    codes = issue_codes(wave, 5)
    for code in codes[:3]:
        respond(app.test_client(), code)
    return codes[3:]


@pytest.fixture
def issue_codes(app, tmp_path: Path) -> Callable[..., list[str]]:
    """Issue codes for a stratum through the real operation and read them back from the CSV print file."""

    def _issue(wave_id: int, count: int = 3, stratum: dict[str, str] | None = None) -> list[str]:
        from survey.issuing import issue_tokens

        out = tmp_path / f"codes-{secrets.token_hex(3)}.csv"
        with app.app_context():
            issue_tokens(wave_id, stratum or {"group": "medium", "department": "32"}, count, out)
        with out.open(encoding="utf-8") as fh:
            return [row["token"] for row in csv.DictReader(fh)]

    return _issue


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def respond() -> Callable[..., object]:
    """Drive the whole respondent flow with a test client: code, every page, review, submit."""

    def _respond(client, code: str, answers: dict[str, object] | None = None):
        answers = answers or {}
        start = client.get("/")
        response = client.post("/", data={"code": code, "csrf_token": csrf_of(start.text)})
        if response.status_code != 302:
            return response
        location = client.get(response.headers["Location"]).text  # welcome
        url = re.search(r'href="(/q/\d+)"', location).group(1)
        while url.startswith("/q/"):
            page = client.get(url)
            if page.status_code == 302:
                url = page.headers["Location"]
                continue
            form = {"csrf_token": csrf_of(page.text), "next": "Weiter"}
            for name in set(re.findall(r'name="(q_[a-z0-9_]+)"', page.text)):
                value = answers.get(name[2:])
                if value is not None:
                    form[name] = value
            posted = client.post(url, data=form)
            if posted.status_code != 302:
                return posted
            url = posted.headers["Location"]
        review = client.get(url)
        return client.post("/submit", data={"csrf_token": csrf_of(review.text)})

    return _respond


def count_rows(app, table: str) -> int:
    """Rows of a table; for the pool, which keeps one row per wave, the answers waiting in it."""
    with app.app_context():
        if table == "pool":
            from survey.pool import waiting

            return waiting()
        return db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def open_waiting(app, wave_id: int) -> list[dict]:
    """The payloads of a wave's waiting answers, opened with the Statistics Office passphrase."""
    from survey.crypto import info_for, open_sealed
    from survey.keys import key_files
    from survey.pool import sealed_waiting

    with app.app_context():
        private = key_files().load_statistics_private(PASSPHRASE)
        return [open_sealed(sealed, private, info_for(wave_id)) for sealed in sealed_waiting(wave_id)]


postgres_url = os.environ.get("WIR_SURVEY_TEST_POSTGRES")
