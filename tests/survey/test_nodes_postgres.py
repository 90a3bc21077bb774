"""Several app nodes on one PostgreSQL: what must happen once happens once.

Each test plays two nodes with two connections to one database: one node holds a lock or an
open transaction while the other acts, as two gunicorn nodes would on payroll day.
"""
from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from survey.database import MIGRATION_LOCK
from survey.extensions import db
from tests.conftest import postgres_url
from tests.survey.test_postgres import database_url  # noqa: F401  (a fresh database per test)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not postgres_url and not os.environ.get("CI"),
        reason="set WIR_SURVEY_TEST_POSTGRES (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)",
    ),
]


@pytest.fixture
def other_node(database_url):  # noqa: F811
    """A second connection to the same database, as another node would hold."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def test_staff_actions_racing_on_two_nodes_both_land_in_one_chain(app):
    """The first node has written its entry but not committed; the second waits, then follows it."""
    from survey.stafflog import record, verify

    first_recorded, outcome = threading.Event(), {}

    def first_node():
        with app.app_context():
            record("office", "wave created", {"wave": 1})
            first_recorded.set()
            time.sleep(0.5)  # the node is still busy with the rest of its request
            db.session.commit()

    def second_node():
        first_recorded.wait(5)
        with app.app_context():
            started = time.monotonic()
            entry = record("council", "wave approved", {"wave": 1})
            db.session.commit()
            outcome.update(id=entry.id, waited=time.monotonic() - started)

    threads = [threading.Thread(target=first_node), threading.Thread(target=second_node)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcome["id"] == 2 and outcome["waited"] > 0.3
    with app.app_context():
        result = verify()
    assert result.ok and result.entries == 2


def test_a_migration_in_progress_refuses_a_second_upgrade_a_node_and_the_load_balancer(app, runner, other_node):
    from survey import readiness

    with other_node.begin():
        other_node.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        upgrade = runner.invoke(args=["db", "upgrade"])
        assert upgrade.exit_code == 1 and "Another process is migrating this database" in upgrade.output
        with app.app_context(), pytest.raises(readiness.NotReady, match="being migrated right now"):
            readiness.check(app, "schema")
        assert app.test_client().get("/healthz").status_code == 503
        waves = runner.invoke(args=["waves", "list"])
        assert waves.exit_code == 1 and "being migrated" in waves.output
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert app.test_client().get("/healthz").text == "ok\n"


def test_a_flush_skips_a_pool_a_submit_holds_and_never_waits_for_it(app, make_wave, issue_codes, respond, other_node):
    from survey.pool import flush, waiting

    app.config["POOL_FLUSH_THRESHOLD"] = 50
    busy, free = make_wave(), make_wave()
    for wave in (busy, free):
        for code in issue_codes(wave, 3):
            respond(app.test_client(), code)
    with other_node.begin():  # a submit on the other node is in the middle of the busy wave's pool
        other_node.execute(text("SELECT entries FROM pool WHERE wave_id = :w FOR UPDATE"), {"w": busy})
        with app.app_context():
            started = time.monotonic()
            moved = flush(minimum=3)
            took = time.monotonic() - started
            assert moved == 3 and took < 2
            assert waiting(busy) == 3 and waiting(free) == 0
    with app.app_context():
        assert flush(minimum=3) == 3 and waiting() == 0


def test_two_releases_of_one_wave_at_once_are_judged_one_after_the_other(app, make_wave, issue_codes, respond,
                                                                         tmp_path):
    """The second node waits for the first release, then sees it: with no new answers it is refused
    (it would repeat release 1), instead of racing it for number 1 and failing on the log's key."""
    from survey.models import Release
    from survey.releases import make_release
    from tests.conftest import PASSPHRASE

    app.config["POOL_FLUSH_THRESHOLD"] = 5
    wave = make_wave()
    for code in issue_codes(wave, 12):
        respond(app.test_client(), code, {"born_abroad": "no"})
    results, errors = [], []

    def node(name: str):
        try:
            with app.app_context():
                results.append(make_release(wave, PASSPHRASE, tmp_path / name).release.number)
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(repr(exc))

    threads = [threading.Thread(target=node, args=(f"release-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert results == [1]
    assert len(errors) == 1 and "no response came in since release 1" in errors[0]
    with app.app_context():
        assert [r.number for r in db.session.query(Release).filter_by(wave_id=wave)] == [1]
    written = [p for p in tmp_path.glob("release-*") if any(p.iterdir())]
    assert len(written) == 1, "the refused release leaves no files"

