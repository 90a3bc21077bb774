"""G5: a wave opens only with the staff council's approval of its exact configuration; any change withdraws it."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from survey.extensions import db


def _draft(make_wave) -> int:
    return make_wave(open_=False)


def _open(app, wave: int):
    from survey.waves import WaveError, open_wave

    with app.app_context():
        try:
            open_wave(wave)
        except WaveError as exc:
            return str(exc)
    return None


def _decide(app, wave: int, approve: bool = True, comment: str = ""):
    from survey.council.operations import decide

    with app.app_context():
        return decide(wave, "a councillor", approve=approve, comment=comment)


def _audit(runner) -> dict:
    report = json.loads(runner.invoke(args=["audit", "--json"]).output)
    return next(c for c in report["checks"] if c["name"] == "waves_approved")


def test_a_change_after_the_approval_withdraws_it(app, make_wave):
    wave = _draft(make_wave)
    assert "not been approved" in _open(app, wave)
    _decide(app, wave)
    with app.app_context():
        db.session.execute(text("UPDATE waves SET messages_json = :m WHERE id = :w"),
                           {"m": json.dumps({"de": "Ein anderer Text"}), "w": wave})
        db.session.commit()
    assert "configuration has changed since" in _open(app, wave)
    _decide(app, wave)
    assert _open(app, wave) is None


@pytest.mark.parametrize("change", ["headcount", "min_count", "pool threshold"])
def test_every_part_of_the_configuration_is_bound(app, make_wave, change):
    wave = _draft(make_wave)
    _decide(app, wave)
    with app.app_context():
        if change == "headcount":
            db.session.execute(text("UPDATE strata SET headcount = headcount + 1 WHERE wave_id = :w"), {"w": wave})
        elif change == "min_count":
            db.session.execute(text("UPDATE waves SET min_count = 7 WHERE id = :w"), {"w": wave})
        db.session.commit()
    if change == "pool threshold":
        app.config["POOL_FLUSH_THRESHOLD"] = 5
    assert "changed since" in _open(app, wave)


def test_a_refusal_needs_a_reason_and_keeps_the_wave_closed(app, make_wave):
    from survey.waves import WaveError

    wave = _draft(make_wave)
    with pytest.raises(WaveError, match="needs a comment"):
        _decide(app, wave, approve=False)
    _decide(app, wave, approve=False, comment="Merge the small strata first.")
    assert "refused" in _open(app, wave) and "Merge the small strata" in _open(app, wave)


def test_the_audit_fails_on_an_open_wave_that_no_longer_matches_its_approval(app, runner, make_wave):
    wave = make_wave()
    assert _audit(runner)["ok"] is True
    with app.app_context():
        db.session.execute(text("UPDATE strata SET headcount = 999 WHERE wave_id = :w"), {"w": wave})
        db.session.commit()
    check = _audit(runner)
    assert check["ok"] is False and f"Wave {wave}" in check["explanation"]


def test_k_cannot_go_below_its_floor(app, make_wave):
    from survey.waves import WaveError, create_wave

    from questionnaires import load_builtin

    with app.app_context():
        with pytest.raises(WaveError, match="below its floor"):
            create_wave(load_builtin()["migration-background"], "Too small k", [], min_count=2)


from tests.survey.test_auth import PASSWORD, code_of, make_account, now  # noqa: E402,F401  (fixtures)


def test_the_command_line_approval_needs_a_councillors_password_and_code(app, runner, make_wave, make_account, now,
                                                                          monkeypatch):
    wave = _draft(make_wave)
    secret = make_account("clara", "council")
    make_account("otto", "office")
    monkeypatch.setenv("WIR_SURVEY_USER_PASSWORD", PASSWORD)
    monkeypatch.setenv("WIR_SURVEY_USER_OTP", "000000")
    wrong = runner.invoke(args=["waves", "approve", str(wave), "--user", "clara"])
    assert wrong.exit_code == 1 and "one-time code is wrong" in wrong.output
    now.t += 3600  # past the wait after that failure
    monkeypatch.setenv("WIR_SURVEY_USER_OTP", code_of(secret, now))
    approved = runner.invoke(args=["waves", "approve", str(wave), "--user", "clara"])
    assert approved.exit_code == 0, approved.output
    assert "approved by clara" in approved.output
    assert runner.invoke(args=["waves", "open", str(wave)]).exit_code == 0
    from survey.models import StaffLogEntry

    with app.app_context():
        actions = [(e.actor, e.action) for e in db.session.scalars(
            __import__("sqlalchemy").select(StaffLogEntry).order_by(StaffLogEntry.id))]
    assert ("clara", "login_failed") in actions and ("clara", "wave approved") in actions


def test_only_the_council_approves(app, runner, make_wave, make_account, now, monkeypatch):
    wave = _draft(make_wave)
    secret = make_account("otto", "office")
    monkeypatch.setenv("WIR_SURVEY_USER_PASSWORD", PASSWORD)
    monkeypatch.setenv("WIR_SURVEY_USER_OTP", code_of(secret, now))
    result = runner.invoke(args=["waves", "approve", str(wave), "--user", "otto"])
    assert result.exit_code == 1 and "not a member of the staff council" in result.output
    assert "not been approved" in _open(app, wave)
