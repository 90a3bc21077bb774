"""The PostgreSQL server checks with made-up settings, and the audit's own failure paths.

Some settings change only with a server restart (track_commit_timestamp, archive_mode) or act on
the whole cluster (replication slots, shared_preload_libraries); the check functions take the
facts as a plain mapping, so each is shown failing here without touching a server.
"""
from __future__ import annotations

import json
from typing import NoReturn

import pytest

from survey.audit.postgres import ServerFacts, server_checks

#: PostgreSQL 15's defaults, as `current_setting()` prints them.
HEALTHY = {
    "log_statement": "none", "log_min_duration_statement": "-1", "log_min_duration_sample": "-1",
    "log_statement_sample_rate": "1", "log_transaction_sample_rate": "0", "log_duration": "off",
    "log_parameter_max_length_on_error": "0", "track_commit_timestamp": "off", "archive_mode": "off",
    "wal_keep_size": "0", "autovacuum": "on", "track_counts": "on", "shared_preload_libraries": "",
    "session_preload_libraries": "", "local_preload_libraries": "", "checkpoint_timeout": "5min",
    "max_wal_size": "1GB", "min_wal_size": "80MB", "wal_recycle": "on", "log_connections": "off",
    "debug_print_plan": "off", "log_min_messages": "warning", "log_min_error_statement": "error",
}


def _failing(facts: ServerFacts) -> dict[str, str]:
    return {c.name: c.explanation for c in server_checks(facts) if not c.ok}


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"log_statement": "ddl"},
        {"log_connections": "on", "log_disconnections": "on"},
        {"shared_preload_libraries": "pg_stat_statements"},
        {"log_min_duration_sample": "-1", "log_statement_sample_rate": "1"},
    ],
)
def test_a_server_that_keeps_nothing_passes(settings):
    checks = server_checks(ServerFacts({**HEALTHY, **settings}))
    assert all(c.ok for c in checks), [c.explanation for c in checks if not c.ok]
    assert {c.name for c in checks} == {"postgres_statement_logging", "postgres_commit_timestamps",
                                        "postgres_wal_retention", "postgres_vacuum"}
    assert "wal_keep_size" in next(c for c in checks if c.name == "postgres_wal_retention").explanation


@pytest.mark.parametrize(
    ("settings", "failing", "named"),
    [
        ({"log_statement": "all"}, "postgres_statement_logging", "log_statement = 'all'"),
        ({"log_min_duration_statement": "250ms"}, "postgres_statement_logging", "log_min_duration_statement = 250ms"),
        ({"log_min_duration_sample": "0", "log_statement_sample_rate": "0.1"}, "postgres_statement_logging",
         "log_min_duration_sample = 0"),
        ({"log_transaction_sample_rate": "0.5"}, "postgres_statement_logging", "log_transaction_sample_rate = 0.5"),
        ({"log_duration": "on"}, "postgres_statement_logging", "log_duration = on"),
        ({"log_parameter_max_length_on_error": "64B"}, "postgres_statement_logging",
         "log_parameter_max_length_on_error = 64B"),
        ({"debug_print_plan": "on"}, "postgres_statement_logging", "debug_print_plan"),
        ({"log_min_messages": "debug2"}, "postgres_statement_logging", "log_min_messages = debug2"),
        ({"shared_preload_libraries": "pg_stat_statements,auto_explain"}, "postgres_statement_logging",
         "auto_explain (in shared_preload_libraries)"),
        ({"local_preload_libraries": "'$libdir/plugins/pgaudit'"}, "postgres_statement_logging", "pgaudit"),
        ({"pgaudit.log": "write"}, "postgres_statement_logging", "pgaudit (loaded into the session)"),
        ({"track_commit_timestamp": "on"}, "postgres_commit_timestamps", "time of every transaction's commit"),
        ({"archive_mode": "on"}, "postgres_wal_retention", "archive_mode = on"),
        ({"archive_mode": "always"}, "postgres_wal_retention", "archive_mode = always"),
        ({"wal_keep_size": "1GB"}, "postgres_wal_retention", "wal_keep_size = 1GB"),
        ({"autovacuum": "off"}, "postgres_vacuum", "autovacuum is off for the whole server"),
        ({"track_counts": "off"}, "postgres_vacuum", "track_counts is off"),
    ],
)
def test_a_setting_that_keeps_or_logs_the_link_fails_and_is_named(settings, failing, named):
    found = _failing(ServerFacts({**HEALTHY, **settings}))
    assert set(found) == {failing} and named in found[failing], found


def test_slots_publications_and_table_options_fail_and_are_named():
    found = _failing(ServerFacts(
        HEALTHY,
        slots=("standby1 (physical, active)",),
        publications={"everything": ("pool", "responses", "tokens")},
        reloptions={"pool": ("fillfactor=50", "toast.autovacuum_enabled=false"), "tokens": ()},
        dead_rows={"pool": 40},
    ))
    assert "replication slots (standby1 (physical, active))" in found["postgres_wal_retention"]
    assert "'everything' sends every change to pool, responses, tokens" in found["postgres_wal_retention"]
    assert "switched off for the table 'pool' (toast.autovacuum_enabled=false)" in found["postgres_vacuum"]
    assert "pool 40" in found["postgres_vacuum"]


def test_a_reference_that_cannot_be_built_fails_the_schema_check(app, runner, monkeypatch):
    def refused(_engine: object) -> NoReturn:
        raise PermissionError("permission denied for database wir")

    monkeypatch.setattr("survey.audit.schema.reference_catalog", refused)
    result = runner.invoke(args=["audit", "--json"])
    report = json.loads(result.stdout)
    check = next(c for c in report["checks"] if c["name"] == "schema_matches_migrations")
    assert result.exit_code == 1 and "permission denied" in check["explanation"]
    assert "allowed to create a schema" in check["explanation"]


def test_a_check_that_crashes_fails_with_its_reason_and_the_others_still_run(app, runner, monkeypatch):
    def broken() -> NoReturn:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("survey.audit.stored.sealed_at_rest", broken)
    result = runner.invoke(args=["audit", "--json"])
    report = json.loads(result.stdout)
    check = next(c for c in report["checks"] if c["name"] == "responses_sealed")
    assert result.exit_code == 1 and "disk on fire" in check["explanation"]
    assert next(c for c in report["checks"] if c["name"] == "counts_reconcile")["ok"]


def test_a_missing_table_fails_and_the_other_checks_still_report(app, runner):
    from sqlalchemy import text

    from survey.extensions import db

    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DROP TABLE pool"))
    result = runner.invoke(args=["audit", "--json"])
    report = json.loads(result.stdout)
    names = {c["name"]: c for c in report["checks"]}
    assert result.exit_code == 1 and names["schema_present"]["ok"] is False
    assert "mix pool table ('pool') that the migrations create is missing" in names[
        "schema_matches_migrations"]["explanation"]
    assert names["file_modes"]["ok"] and names["app_logging"]["ok"]
