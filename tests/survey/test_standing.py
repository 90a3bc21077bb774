"""Standing waves (Measure 4): the new hires' record stays open across years; codes are issued as
people arrive, in batches of at most a year's expected intake; the council approves it as standing."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import STRATA, count_rows


def _create(runner, tmp_path: Path, *flags: str) -> int:
    strata = tmp_path / "intake.csv"
    strata.write_text(STRATA, encoding="utf-8")
    created = runner.invoke(args=["waves", "create", "migration-background", "--name", "Neu eingestellt",
                                  "--strata", str(strata), *flags])
    assert created.exit_code == 0, created.output
    return int(created.output.strip().splitlines()[-1])


def test_a_standing_wave_takes_codes_beyond_one_years_intake_in_small_batches(app, runner, tmp_path):
    from survey.council.operations import decide
    from survey.issuing import issue_tokens
    from survey.waves import WaveError, open_wave

    wave = _create(runner, tmp_path, "--standing")
    configuration = runner.invoke(args=["waves", "configuration", str(wave)]).output
    assert '"standing": true' in configuration
    medium = {"group": "medium", "department": "32"}  # 40 new hires expected a year
    with app.app_context():
        decide(wave, "clara", approve=True)
        open_wave(wave)
        for year in range(3):
            for batch in range(8):
                issue_tokens(wave, medium, 5, tmp_path / f"year{year}-{batch}.csv")
        with pytest.raises(WaveError, match="a batch of 41 is more than that"):
            issue_tokens(wave, medium, 41, tmp_path / "too-many.csv")
    assert count_rows(app, "tokens") == 120


def test_an_ordinary_wave_stays_capped_at_its_headcount_and_is_not_standing(app, runner, tmp_path):
    from survey.council.operations import decide
    from survey.issuing import issue_tokens
    from survey.waves import WaveError, open_wave

    wave = _create(runner, tmp_path)
    assert "standing" not in runner.invoke(args=["waves", "configuration", str(wave)]).output
    with app.app_context():
        decide(wave, "clara", approve=True)
        open_wave(wave)
        issue_tokens(wave, {"group": "medium", "department": "32"}, 40, tmp_path / "all.csv")
        with pytest.raises(WaveError, match="exceed its headcount"):
            issue_tokens(wave, {"group": "medium", "department": "32"}, 1, tmp_path / "one-more.csv")


def test_standing_is_part_of_what_the_council_approves(app, runner, tmp_path):
    from survey.council.operations import configuration_hash, decide
    from survey.extensions import db
    from survey.models import Wave
    from survey.waves import WaveError, open_wave

    wave = _create(runner, tmp_path)
    with app.app_context():
        decide(wave, "clara", approve=True)
        found = db.session.get(Wave, wave)
        before = configuration_hash(found)
        found.standing = True  # changed in the database after the approval
        db.session.commit()
        assert configuration_hash(found) != before
        with pytest.raises(WaveError, match="changed since"):
            open_wave(wave)
