"""`wir-survey audit` passes on a healthy instance and fails (exit 1) on one that breaks a rule."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from survey.extensions import db


def _audit(runner) -> tuple[int, dict]:
    result = runner.invoke(args=["audit", "--json"])
    return result.exit_code, json.loads(result.output)


def _check(report: dict, name: str) -> dict:
    return next(c for c in report["checks"] if c["name"] == name)


def test_a_healthy_instance_passes_with_plain_explanations(app, runner, make_wave, issue_codes, respond):
    wave = make_wave()
    respond(app.test_client(), issue_codes(wave, 2)[0])
    code, report = _audit(runner)
    assert code == 0 and report["ok"] is True
    assert report["counts"] == {"issued": 2, "used": 1, "pooled": 1, "stored": 0}
    names = {c["name"] for c in report["checks"]}
    assert {"schema_matches_migrations", "no_time_columns", "no_sequential_keys", "no_link_between_codes_and_responses",
            "database_table_options", "keys_present", "file_modes", "app_logging", "gunicorn_logging",
            "no_request_logging", "counts_reconcile", "responses_sealed"} <= names
    assert all(len(c["explanation"]) > 60 for c in report["checks"])
    text_output = runner.invoke(args=["audit"]).output
    assert "[PASS] counts_reconcile" in text_output and "1 + 0 = 1" in text_output.replace("\n    ", " ")


@pytest.mark.parametrize(
    ("sql", "failing"),
    [
        ("ALTER TABLE responses ADD COLUMN created_at TIMESTAMP", "no_time_columns"),
        ("ALTER TABLE pool ADD COLUMN token_digest BLOB", "no_link_between_codes_and_responses"),
        (
            "CREATE TABLE responses2 (id INTEGER PRIMARY KEY AUTOINCREMENT, wave_id INTEGER, stratum_id INTEGER, "
            "sealed BLOB); DROP TABLE responses; ALTER TABLE responses2 RENAME TO responses",
            "no_sequential_keys",
        ),
        (
            "CREATE TABLE tokens2 (digest BLOB PRIMARY KEY, wave_id INTEGER, stratum_id INTEGER, used BOOLEAN); "
            "INSERT INTO tokens2 SELECT * FROM tokens; DROP TABLE tokens; ALTER TABLE tokens2 RENAME TO tokens",
            "database_table_options",
        ),
        ("DELETE FROM pool", "counts_reconcile"),
        ("UPDATE responses SET sealed = CAST('{\"answers\": {}}' AS BLOB)", "responses_sealed"),
    ],
)
def test_a_database_that_breaks_a_rule_fails_the_audit(app, runner, make_wave, issue_codes, respond, sql, failing):
    app.config["POOL_FLUSH_THRESHOLD"] = 2
    wave = make_wave()
    for code in issue_codes(wave, 3):  # two stored, one waiting
        respond(app.test_client(), code)
    with app.app_context():
        connection = db.engine.raw_connection()
        connection.executescript(sql)
        connection.commit()
        connection.close()
    code, report = _audit(runner)
    assert code == 1 and report["ok"] is False
    assert _check(report, failing)["ok"] is False
    assert len(_check(report, failing)["explanation"]) > 40


def test_missing_keys_fail_the_audit(app, runner):
    from pathlib import Path

    Path(app.config["KEYS_DIR"], "statistics-office.pub").unlink()
    code, report = _audit(runner)
    assert code == 1 and _check(report, "keys_present")["ok"] is False


def test_a_private_key_without_passphrase_in_the_instance_fails_the_audit(app, runner):
    """A key the server can read is a key every backup carries: the old pool key was one."""
    from pathlib import Path

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    Path(app.config["KEYS_DIR"], "pool.key").write_bytes(
        X25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    code, report = _audit(runner)
    assert code == 1 and "pool.key" in _check(report, "keys_present")["explanation"]


def test_request_logging_fails_the_audit(app, runner):
    import logging

    logging.getLogger("werkzeug").disabled = False
    try:
        code, report = _audit(runner)
    finally:
        logging.getLogger("werkzeug").disabled = True
    assert code == 1 and _check(report, "no_request_logging")["ok"] is False
