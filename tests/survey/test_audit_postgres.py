"""The outside review's planted violations on PostgreSQL, each in a fresh database: the audit fails and names it.

PostgreSQL keeps what SQLite does not (statement logs, commit times, the write-ahead log, old row
versions), and a copy of the codes can hide in another schema or in a large object. Settings that
only a server restart changes (track_commit_timestamp, archive_mode) are shown failing in
test_audit_server.py with the same check functions and a made-up set of settings.
"""
from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import text

from survey.extensions import db
from tests.conftest import PASSPHRASE, postgres_url
from tests.survey.test_postgres import database_url, server_autovacuum_on  # noqa: F401

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not postgres_url and not os.environ.get("CI"),
        reason="set WIR_SURVEY_TEST_POSTGRES (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)",
    ),
]

REMEMBER_USES = """
CREATE TABLE code_uses (digest bytea, used_at timestamptz);
CREATE FUNCTION remember_use() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO code_uses VALUES (NEW.digest, now()); RETURN NEW; END $$;
CREATE TRIGGER remember_use AFTER UPDATE OF used ON tokens FOR EACH ROW EXECUTE FUNCTION remember_use();
"""


def _audit(runner, *args: str) -> tuple[int, dict]:
    result = runner.invoke(args=["audit", "--json", *args])
    return result.exit_code, json.loads(result.stdout)


def _check(report: dict, name: str) -> dict:
    return next(c for c in report["checks"] if c["name"] == name)


def _execute(app, sql: str) -> None:
    """Run `sql` as the database owner would, then drop the app's connections so new ones see the change."""
    with app.app_context():
        with db.engine.begin() as connection:
            connection.exec_driver_sql(sql.replace("{database}", db.engine.url.database))
        db.engine.dispose()


def test_a_healthy_postgres_instance_passes_every_check(app, runner, answered, monkeypatch):
    monkeypatch.setenv("WIR_SURVEY_PASSPHRASE", PASSPHRASE)
    code, report = _audit(runner, "--passphrase")
    assert code == 0, [c for c in report["checks"] if not c["ok"]]
    names = {c["name"] for c in report["checks"]}
    assert {"schema_matches_migrations", "postgres_statement_logging", "postgres_commit_timestamps",
            "postgres_wal_retention", "postgres_vacuum", "answers_open", "file_modes"} <= names
    assert "sqlite_journal" not in names
    assert "log_statement is 'none'" in _check(report, "postgres_statement_logging")["explanation"]
    assert "checkpoint_timeout" in _check(report, "postgres_wal_retention")["explanation"]


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        (REMEMBER_USES,
         ("trigger 'remember_use' on the codes table", "function 'remember_use()'", "table 'code_uses'")),
        ("CREATE TABLE codes_copy AS SELECT * FROM tokens", ("table 'codes_copy'",)),
        ("CREATE SCHEMA hidden; CREATE TABLE hidden.codes AS SELECT * FROM tokens", ("table 'hidden.codes'",)),
        (
            "CREATE TABLE code_uses (digest bytea, used_at timestamptz); CREATE RULE remember AS ON UPDATE TO tokens "
            "DO ALSO INSERT INTO code_uses VALUES (NEW.digest, now())",
            ("rule 'remember' on the codes table", "table 'code_uses'"),
        ),
        ("CREATE VIEW used_codes AS SELECT digest FROM tokens WHERE used", ("view 'used_codes'",)),
        ("CREATE INDEX tokens_by_use ON tokens (used, wave_id)", ("index 'tokens_by_use'",)),
        ("CREATE SEQUENCE submits", ("sequence 'submits'",)),
        ("SELECT lo_from_bytea(0, (SELECT string_agg(digest, ''::bytea) FROM tokens))", ("an extra large object",)),
        ("ALTER TABLE tokens SET (autovacuum_enabled = false)", ("storage option autovacuum_enabled=false",)),
        ("ALTER TABLE releases DISABLE TRIGGER releases_append_only", ("disabled",)),
    ],
)
def test_an_object_the_migrations_do_not_create_fails_the_audit(app, runner, answered, respond, sql, named):
    _execute(app, sql)
    respond(app.test_client(), answered[0])  # the planted object sees a code being used
    code, report = _audit(runner)
    explanation = _check(report, "schema_matches_migrations")["explanation"]
    assert code == 1 and _check(report, "schema_matches_migrations")["ok"] is False
    for name in named:
        assert name in explanation, explanation


def test_a_planted_trigger_really_dates_code_uses(app, answered, respond):
    """The attack of the review, shown working: which is why the audit must find it."""
    _execute(app, REMEMBER_USES)
    respond(app.test_client(), answered[0])
    with app.app_context():
        dated = db.session.execute(text("SELECT count(*) FROM code_uses WHERE used_at IS NOT NULL")).scalar()
    assert dated >= 1  # (a flush rewrites the wave's used codes, so it dates those once more)


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("ALTER DATABASE \"{database}\" SET log_statement = 'all'", "log_statement = 'all'"),
        ("ALTER DATABASE \"{database}\" SET log_statement = 'mod'", "log_statement = 'mod'"),
        ("ALTER DATABASE \"{database}\" SET log_min_duration_statement = 0", "log_min_duration_statement = 0"),
        ("ALTER ROLE CURRENT_USER IN DATABASE \"{database}\" SET log_duration = on", "log_duration = on"),
        ("ALTER DATABASE \"{database}\" SET log_parameter_max_length_on_error = -1",
         "log_parameter_max_length_on_error = -1"),
        ("ALTER DATABASE \"{database}\" SET log_transaction_sample_rate = 0.01", "log_transaction_sample_rate"),
        ("ALTER DATABASE \"{database}\" SET session_preload_libraries = 'auto_explain'", "auto_explain"),
    ],
)
def test_statement_logging_for_the_database_or_role_fails_the_audit(app, runner, answered, sql, named):
    """Overrides for one database or one role apply to the app's connections; the audit reads them there."""
    _execute(app, sql)
    code, report = _audit(runner)
    explanation = _check(report, "postgres_statement_logging")["explanation"]
    assert code == 1 and named in explanation, explanation


def test_autovacuum_off_for_the_codes_fails_the_audit(app, runner, answered):
    _execute(app, "ALTER TABLE tokens SET (autovacuum_enabled = false)")
    code, report = _audit(runner)
    explanation = _check(report, "postgres_vacuum")["explanation"]
    assert code == 1 and "switched off for the table 'tokens'" in explanation


def test_a_publication_of_the_codes_fails_the_audit(app, runner, answered):
    _execute(app, "CREATE PUBLICATION spy FOR TABLE tokens")
    code, report = _audit(runner)
    assert code == 1
    assert "publication 'spy' sends every change to tokens" in _check(report, "postgres_wal_retention")["explanation"]
    assert "publication 'spy'" in _check(report, "schema_matches_migrations")["explanation"]
