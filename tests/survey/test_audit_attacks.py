"""The outside review's planted violations, on SQLite: each one makes `wir-survey audit` fail and name it.

Every test plants what an insider with access to the database, the configuration or the server
could plant, then runs the audit the way the staff council would, through the command line.
"""
from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import event, select, text, update

from survey.crypto import HPKE_OVERHEAD, PAD_BLOCK, info_for, seal
from survey.extensions import db
from survey.models import Pool, Response, Stratum
from survey.pool import pack, unpack
from tests.conftest import PASSPHRASE


def _audit(runner, *args: str, **kwargs) -> tuple[int, dict]:
    result = runner.invoke(args=["audit", "--json", *args], **kwargs)
    return result.exit_code, json.loads(result.stdout)


def _check(report: dict, name: str) -> dict:
    return next(c for c in report["checks"] if c["name"] == name)


def _failing(report: dict) -> set[str]:
    return {c["name"] for c in report["checks"] if not c["ok"]}


def _execute(app, sql: str) -> None:
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            connection.executescript(sql)
            connection.commit()
        finally:
            connection.close()
        db.engine.dispose()


def test_a_healthy_sqlite_instance_passes_every_check(app, runner, answered, monkeypatch):
    code, report = _audit(runner)
    assert code == 0, _failing(report)
    assert {"schema_matches_migrations", "database_table_options", "sqlite_journal", "responses_sealed",
            "file_modes", "app_logging", "gunicorn_logging", "no_request_logging", "counts_reconcile"} <= {
        c["name"] for c in report["checks"]}
    assert "answers_open" not in {c["name"] for c in report["checks"]}  # never asks without --passphrase
    monkeypatch.setenv("WIR_SURVEY_PASSPHRASE", PASSPHRASE)
    code, report = _audit(runner, "--passphrase")
    assert code == 0 and _check(report, "answers_open")["ok"]
    assert "all 2 stored and 1 waiting answers were opened" in _check(report, "answers_open")["explanation"]


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        (  # a trigger that copies every code use, with the time, into a new table
            "CREATE TABLE code_uses (digest BLOB, used_on TEXT); "
            "CREATE TRIGGER remember_use AFTER UPDATE OF used ON tokens "
            "BEGIN INSERT INTO code_uses VALUES (new.digest, datetime('now')); END;",
            ("trigger 'remember_use' on the codes table", "table 'code_uses'"),
        ),
        ("CREATE TABLE codes_copy AS SELECT * FROM tokens", ("table 'codes_copy'",)),
        ("CREATE VIEW used_codes AS SELECT digest FROM tokens WHERE used", ("view 'used_codes'",)),
        ("CREATE INDEX tokens_by_use ON tokens (used, wave_id)", ("index 'tokens_by_use'",)),
        ("CREATE TABLE hits (n INTEGER PRIMARY KEY AUTOINCREMENT)", ("table 'hits'", "table 'sqlite_sequence'")),
    ],
)
def test_an_object_the_migrations_do_not_create_fails_the_audit(app, runner, answered, respond, sql, named):
    _execute(app, sql)
    respond(app.test_client(), answered[0])  # the planted object sees a code being used
    code, report = _audit(runner)
    assert code == 1
    explanation = _check(report, "schema_matches_migrations")["explanation"]
    assert _check(report, "schema_matches_migrations")["ok"] is False
    for name in named:
        assert name in explanation, explanation


def test_without_rowid_only_in_a_comment_fails_the_audit(app, runner, answered):
    """The old audit searched the SQL text for WITHOUT ROWID; the engine knows better."""
    _execute(app, (
        "CREATE TABLE tokens2 (digest BLOB NOT NULL PRIMARY KEY, wave_id INTEGER NOT NULL REFERENCES waves (id), "
        "stratum_id INTEGER NOT NULL REFERENCES strata (id), used BOOLEAN NOT NULL /* WITHOUT ROWID */); "
        "INSERT INTO tokens2 SELECT * FROM tokens; DROP TABLE tokens; ALTER TABLE tokens2 RENAME TO tokens;"
    ))
    with app.app_context(), db.engine.connect() as connection:
        sql = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'tokens'")).scalar_one()
    assert "WITHOUT ROWID" in sql.upper()
    code, report = _audit(runner)
    assert code == 1
    assert "keep a hidden row number (rowid) that records the order of insertion: the codes table ('tokens')" in \
        _check(report, "database_table_options")["explanation"]
    assert "a hidden row number (rowid)" in _check(report, "schema_matches_migrations")["explanation"]


def test_a_write_ahead_log_fails_the_audit(app, runner, answered):
    _execute(app, "PRAGMA journal_mode = WAL;")
    code, report = _audit(runner)
    assert code == 1 and "write-ahead-log mode" in _check(report, "sqlite_journal")["explanation"]


def test_a_persistent_journal_fails_the_audit(app, runner, answered, respond):
    def persist(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA journal_mode = PERSIST")

    with app.app_context():
        engine = db.engine
        engine.dispose()
        event.listen(engine, "connect", persist)
    try:
        respond(app.test_client(), answered[0])  # a write: the journal stays behind, with content
        code, report = _audit(runner)
    finally:
        event.remove(engine, "connect", persist)
    explanation = _check(report, "sqlite_journal")["explanation"]
    assert code == 1 and "PERSIST" in explanation and "test.sqlite-journal" in explanation


def test_sql_echo_fails_the_audit(app, runner, answered):
    app.config["SQLALCHEMY_ECHO"] = True
    code, report = _audit(runner)
    assert code == 1 and "SQLALCHEMY_ECHO" in _check(report, "app_logging")["explanation"]
    app.config["SQLALCHEMY_ECHO"] = False
    with app.app_context():
        engine = db.engine
    engine_logger = logging.getLogger("sqlalchemy.engine.Engine")
    handlers = list(engine_logger.handlers)
    engine.echo = True
    try:
        code, report = _audit(runner)
    finally:
        engine.echo = False
        for handler in engine_logger.handlers[:]:
            if handler not in handlers:
                engine_logger.removeHandler(handler)
    assert code == 1
    assert "echoes every statement" in _check(report, "app_logging")["explanation"]
    # The behavioural check sees it too: trying an unknown code queries the database, and the query is written.
    assert "sqlalchemy.engine" in _check(report, "no_request_logging")["explanation"]


def test_a_statement_logger_set_to_info_fails_the_audit(app, runner, answered):
    logger = logging.getLogger("sqlalchemy.engine")
    logger.setLevel(logging.INFO)
    try:
        code, report = _audit(runner)
    finally:
        logger.setLevel(logging.NOTSET)
    assert code == 1 and "is set to write every statement" in _check(report, "app_logging")["explanation"]


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ("--access-logfile -", "an access log is written to '-'"),
        ("--log-level info", "the log level is 'info'"),
        ("--log-syslog", "logging to syslog is on"),
    ],
)
def test_a_gunicorn_access_log_fails_the_audit(app, runner, monkeypatch, arguments, named):
    monkeypatch.setenv("GUNICORN_CMD_ARGS", arguments)
    code, report = _audit(runner)
    assert code == 1 and named in _check(report, "gunicorn_logging")["explanation"]


def test_the_shipped_gunicorn_configuration_passes_and_an_edited_one_fails(tmp_path):
    from survey.audit.logs import GUNICORN_CONF, gunicorn_logging

    assert gunicorn_logging(GUNICORN_CONF).ok
    edited = tmp_path / "gunicorn_conf.py"
    edited.write_text(GUNICORN_CONF.read_text() + "\naccesslog = '/var/log/wir/access.log'\n", encoding="utf-8")
    assert not gunicorn_logging(edited).ok


def _padded_plaintext(wave_id: int, stratum_id: int) -> bytes:
    """A readable answer padded with spaces to exactly a ciphertext's size."""
    data = json.dumps({"answers": {"born_in_germany": "no"}, "questionnaire": "x", "stratum": stratum_id}).encode()
    return data + b" " * (PAD_BLOCK + HPKE_OVERHEAD - len(data))


@pytest.mark.parametrize("where", ["responses", "pool"])
def test_a_plaintext_padded_to_a_ciphertexts_size_fails_the_audit(app, runner, answered, where):
    with app.app_context():
        stratum = db.session.scalars(select(Stratum)).first()
        plain = _padded_plaintext(stratum.wave_id, stratum.id)
        if where == "responses":
            first = db.session.scalars(select(Response.id)).first()
            db.session.execute(update(Response).where(Response.id == first).values(sealed=plain))
        else:
            entries = unpack(db.session.scalar(select(Pool.entries)))
            db.session.execute(update(Pool).values(entries=pack([plain, *entries[1:]])))
        db.session.commit()
    code, report = _audit(runner)
    explanation = _check(report, "responses_sealed")["explanation"]
    assert code == 1 and "compress" in explanation
    assert ("1 of 2 stored" if where == "responses" else "1 of 1 waiting") in explanation


@pytest.mark.parametrize("forgery", ["another key", "another wave", "another stratum"])
def test_an_answer_that_does_not_open_fails_the_audit_with_the_passphrase(app, runner, answered, make_wave,
                                                                          monkeypatch, forgery):
    """A forged ciphertext looks like any other; only the Statistics Office key tells."""
    other_wave = make_wave()
    with app.app_context():
        from survey.keys import statistics_public_key
        from survey.models import Wave

        wave = db.session.scalars(select(Wave).order_by(Wave.id)).first()
        strata = {s.wave_id: s.id for s in db.session.scalars(select(Stratum))}
        payload = {"answers": {}, "questionnaire": wave.questionnaire_hash, "stratum": strata[wave.id]}
        if forgery == "another key":
            forged = seal(payload, X25519PrivateKey.generate().public_key(), info_for(wave.id))
        elif forgery == "another wave":
            forged = seal(payload, statistics_public_key(), info_for(other_wave))
        else:
            forged = seal({**payload, "stratum": strata[other_wave]}, statistics_public_key(), info_for(wave.id))
        first = db.session.scalars(select(Response.id)).first()
        db.session.execute(update(Response).where(Response.id == first).values(sealed=forged))
        db.session.commit()
    code, report = _audit(runner)
    assert code == 0  # without the passphrase nothing can tell
    code, report = _audit(runner, "--passphrase", input=PASSPHRASE + "\n")
    explanation = _check(report, "answers_open")["explanation"]
    assert code == 1 and _check(report, "answers_open")["ok"] is False
    assert ("do not open" if forgery != "another stratum" else "outside their wave") in explanation


def test_a_wrong_passphrase_fails_the_audit(app, runner, answered, monkeypatch):
    monkeypatch.setenv("WIR_SURVEY_PASSPHRASE", "not the passphrase")
    code, report = _audit(runner, "--passphrase")
    assert code == 1 and "passphrase does not open" in _check(report, "answers_open")["explanation"]


def test_world_readable_files_fail_the_audit_each_named(app, runner, answered, tmp_path):
    secret = app.config["SECRET_KEY"]
    assert runner.invoke(args=["init"]).exit_code == 0  # writes <instance>/config.py, with new secrets
    app.config["SECRET_KEY"] = secret  # the staff log so far was chained under the test's own secret
    instance, keys = Path(app.instance_path), Path(app.config["KEYS_DIR"])
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    demo = instance / "demo-codes"
    demo.mkdir(mode=0o700)
    (demo / "wave-1.csv").write_text("token,url\n", encoding="utf-8")
    os.chmod(demo / "wave-1.csv", 0o600)
    code, report = _audit(runner)
    assert code == 0, _failing(report)
    exposed = [(database, 0o644), (instance / "config.py", 0o640), (keys / "statistics-office.key", 0o604),
               (keys, 0o755), (demo / "wave-1.csv", 0o644)]
    for path, mode in exposed:
        os.chmod(path, mode)
    code, report = _audit(runner)
    explanation = _check(report, "file_modes")["explanation"]
    assert code == 1
    for path, mode in exposed:
        assert f"{path} (mode {mode:04o}" in explanation, path
    assert stat.S_IMODE(database.stat().st_mode) == 0o644
