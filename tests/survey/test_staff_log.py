"""The staff log: every staff action leaves one chained entry; a changed entry is found and named."""
from __future__ import annotations

import json

from sqlalchemy import select, text

from survey.extensions import db
from survey.models import StaffLogEntry
from tests.conftest import count_rows


def _entries(app) -> list[StaffLogEntry]:
    with app.app_context():
        return list(db.session.scalars(select(StaffLogEntry).order_by(StaffLogEntry.id)))


def _tamper(app, sql: str) -> None:
    """What a database administrator could do: lift the append-only triggers, edit, put them back."""
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            triggers = connection.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'staff_log'"
            ).fetchall()
            connection.executescript(
                "DROP TRIGGER staff_log_no_update; DROP TRIGGER staff_log_no_delete; "
                + sql + "; " + "; ".join(t[0] for t in triggers) + ";"
            )
            connection.commit()
        finally:
            connection.close()


def test_staff_actions_are_chained_and_say_who_what_and_when(app, runner, make_wave, issue_codes, respond):
    wave = make_wave()
    codes = issue_codes(wave, 3)
    respond(app.test_client(), codes[0])
    assert runner.invoke(args=["waves", "close", str(wave)]).exit_code == 0
    entries = _entries(app)
    assert [e.action for e in entries] == ["wave created", "wave approved", "wave opened", "code batch issued",
                                           "wave closed"]
    assert [e.id for e in entries] == [1, 2, 3, 4, 5]
    assert entries[1].actor == "test council"
    assert all(e.actor.startswith("command line") and e.at.endswith("+00:00") for e in entries if e is not entries[1])
    assert json.loads(entries[3].details_json) == {"wave": wave, "stratum": "department=32,group=medium",
                                                   "count": 3, "format": "csv"}
    # Nothing a respondent does is logged, and no entry carries a code.
    assert count_rows(app, "staff_log") == 5
    assert not any(code.replace("-", "") in e.details_json.replace("-", "") for e in entries for code in codes)
    result = runner.invoke(args=["log", "verify"])
    assert result.exit_code == 0 and "All 5 entries" in result.output
    assert "code batch issued" in runner.invoke(args=["log", "show"]).output


def test_the_log_is_append_only(app, make_wave):
    make_wave()
    with app.app_context():
        for statement in ("UPDATE staff_log SET actor = 'someone else'", "DELETE FROM staff_log"):
            try:
                db.session.execute(text(statement))
                raise AssertionError(f"{statement} was allowed")
            except Exception as exc:  # noqa: BLE001
                assert "append-only" in str(exc)
                db.session.rollback()


def test_a_changed_entry_breaks_verify_and_the_audit_naming_it(app, runner, make_wave):
    make_wave()
    make_wave(open_=False)
    _tamper(app, "UPDATE staff_log SET actor = 'nobody' WHERE id = 2")
    result = runner.invoke(args=["log", "verify"])
    assert result.exit_code == 1 and "broken at entry 2" in result.output
    audit = json.loads(runner.invoke(args=["audit", "--json"]).output)
    check = next(c for c in audit["checks"] if c["name"] == "staff_log_chain")
    assert check["ok"] is False and "entry 2" in check["explanation"]


def test_a_removed_entry_is_named(app, runner, make_wave):
    for _ in range(2):
        make_wave()
    _tamper(app, "DELETE FROM staff_log WHERE id = 2")
    result = runner.invoke(args=["log", "verify"])
    assert result.exit_code == 1 and "entry 2 is missing" in result.output


def test_a_recomputed_plain_hash_does_not_fool_verify(app, runner, make_wave):
    """Whoever has only the database cannot re-chain an edited entry: the digest is keyed by the
    instance secret. A SHA-256 recomputed over the edited content does not pass."""
    import hashlib

    make_wave()
    entry = _entries(app)[0]
    forged = hashlib.sha256(json.dumps([entry.id, entry.at, "nobody", entry.action, entry.details_json,
                                        entry.previous], separators=(",", ":")).encode()).hexdigest()
    _tamper(app, f"UPDATE staff_log SET actor = 'nobody', digest = '{forged}' WHERE id = 1")
    assert runner.invoke(args=["log", "verify"]).exit_code == 1
