"""The storage guarantees again on PostgreSQL, the production database.

The tests below are the SQLite tests themselves, imported; this module's `database_url` fixture
gives each of them a fresh PostgreSQL database instead.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from survey.extensions import db
from tests.conftest import postgres_url
from tests.tools.postgres_settings import autovacuum_on
from tests.survey.test_audit import test_a_healthy_instance_passes_with_plain_explanations  # noqa: F401
from tests.survey.test_cli import test_the_schema_matches_the_models  # noqa: F401
from tests.survey.test_print_list import (  # noqa: F401
    stored_payloads,
    test_a_used_code_looks_exactly_like_an_unused_one_and_its_answers_are_dropped,
    test_the_reuse_count_is_a_count_per_wave_and_nothing_else,
)
from tests.survey.test_releases import (  # noqa: F401
    answer,
    test_a_second_release_cannot_be_subtracted_from_the_first,
    test_the_release_log_is_append_only,
    wave,
)
from tests.survey.test_respond_flow import test_a_code_works_once_and_its_answers_are_pooled  # noqa: F401
from tests.survey.test_storage import (  # noqa: F401
    test_a_flush_racing_a_submit_neither_loses_nor_doubles_an_answer,
    test_a_full_batch_moves_to_the_store_shuffled_and_the_audit_reconciles,
    test_a_small_wave_beside_a_large_one_is_mixed_only_with_its_own_answers,
    test_a_stored_answer_opens_only_with_the_passphrase_and_only_in_its_wave,
    test_racing_submits_with_one_code_store_exactly_one,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not postgres_url and not os.environ.get("CI"),
        reason="set WIR_SURVEY_TEST_POSTGRES (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)",
    ),
]


@pytest.fixture(scope="module", autouse=True)
def server_autovacuum_on() -> Iterator[None]:
    """The audit fails a server without autovacuum; this test server switches it off (tests.tools.postgres_settings)."""
    with autovacuum_on(postgres_url) as ensure:
        ensure()
        yield


@pytest.fixture
def database_url():
    """A fresh database on the server for each test, dropped afterwards."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    name = f"wir_test_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.parametrize(
    ("sql", "failing"),
    [
        ("ALTER TABLE responses ADD COLUMN created_at timestamptz DEFAULT now()", "no_time_columns"),
        ("ALTER TABLE responses ADD COLUMN seq serial", "no_sequential_keys"),
    ],
)
def test_the_audit_fails_on_a_postgres_table_that_breaks_a_rule(app, runner, sql, failing):
    with app.app_context():
        db.session.execute(text(sql))
        db.session.commit()
    result = runner.invoke(args=["audit", "--json"])
    report = json.loads(result.output)
    assert result.exit_code == 1
    assert next(c for c in report["checks"] if c["name"] == failing)["ok"] is False


def test_after_a_flush_no_transaction_id_orders_or_links_codes_and_answers(app, make_wave, issue_codes, respond):
    """PostgreSQL's hidden `xmin` column: after a flush, used tokens and the batch share one transaction id."""
    app.config["POOL_FLUSH_THRESHOLD"] = 4
    wave = make_wave()
    codes = issue_codes(wave, 5)
    for code in codes[:4]:
        respond(app.test_client(), code)
    with app.app_context():
        before = set(db.session.scalars(text("SELECT xmin::text FROM tokens WHERE used")))
        assert len(before) == 4  # before the flush each used code still carries its own transaction
    respond(app.test_client(), codes[4])  # the batch is full: the wave's next submit flushes it
    with app.app_context():
        token_ids = set(db.session.scalars(text("SELECT xmin::text FROM tokens WHERE used")))
        response_ids = set(db.session.scalars(text("SELECT xmin::text FROM responses")))
    assert len(token_ids) == 1 and token_ids == response_ids
    assert not token_ids & before


def test_codes_and_pool_are_vacuumed_after_any_change(app):
    """Old row versions of codes and pool tell which answer came when; they must not wait for 50 changes."""
    with app.app_context():
        options = dict(db.session.execute(text(
            "SELECT c.relname, c.reloptions FROM pg_class c WHERE c.relname IN ('tokens', 'pool')"
        )).all())
        toast = dict(db.session.execute(text(
            "SELECT c.relname, t.reloptions FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid "
            "WHERE c.relname IN ('tokens', 'pool')"
        )).all())
    for table in ("tokens", "pool"):
        assert {"autovacuum_vacuum_threshold=0", "autovacuum_vacuum_scale_factor=0"} <= set(options[table])
        assert {"autovacuum_vacuum_threshold=0", "autovacuum_vacuum_scale_factor=0"} <= set(toast[table] or ())
