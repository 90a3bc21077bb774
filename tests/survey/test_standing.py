"""Standing waves (Measure 4): the new hires' record stays open across years; codes are issued as
people arrive, in batches of at most a year's expected intake; the council approves it as standing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

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


MEDIUM = {"group": "medium", "department": "32"}
WITH = {"own_citizenship_at_birth": "no", "born_in_germany": "yes", "mother_immigrated": "no"}
WITHOUT = {"own_citizenship_at_birth": "yes", "mother_citizenship_at_birth": "yes",
           "father_citizenship_at_birth": "yes", "born_in_germany": "yes", "mother_immigrated": "no"}


@pytest.fixture
def two_years(app, runner, tmp_path, issue_codes, respond):
    """A standing wave over two simulated years: 8 of 20 hires with a migration background in
    2027, 5 of 15 in 2028, each year released; returns the wave's id."""
    from survey.council.operations import decide
    from survey.office.operations import run_release
    from survey.waves import open_wave
    from tests.conftest import PASSPHRASE

    app.config["POOL_FLUSH_THRESHOLD"] = 5
    wave = _create(runner, tmp_path, "--standing")
    with app.app_context():
        decide(wave, "clara", approve=True)
        open_wave(wave)
    for year, (yes, no) in ((2027, (8, 12)), (2028, (5, 10))):
        codes = issue_codes(wave, yes + no, stratum=MEDIUM)
        for i, code in enumerate(codes):
            assert respond(app.test_client(), code, WITH if i < yes else WITHOUT).status_code == 302
        with app.app_context():
            run_release(wave, PASSPHRASE, min_count=None, lang="de", year=year)
    return wave


def test_two_years_of_new_hires_give_a_hiring_rate_per_group_and_year(app, two_years):
    from survey.extensions import db
    from survey.hr.monitoring import measured_rates
    from survey.models import Release

    with app.app_context():
        rates = measured_rates()
        second = db.session.scalars(select(Release).where(Release.number == 2)).one()
        assert json.loads(second.parameters_json)["earlier_releases_audited"] == 1  # protected as a pair
    assert set(rates["medium"]) == {2027, 2028} and set(rates["all"]) == {2027, 2028}
    assert rates["medium"][2027].contains(8 / 20) and rates["medium"][2028].contains(5 / 15)
    # 2028's rate rests on that year's 15 hires, not on all 35 so far: its interval is as wide as 15 give.
    from aggregation.estimates import StratumCount, estimate_share

    one_year = estimate_share([StratumCount(65, 15, 5)], min_count=5)  # medium expects 40 + 25 hires a year
    both_years = estimate_share([StratumCount(130, 35, 13)], min_count=5)
    width = rates["medium"][2028].hi - rates["medium"][2028].lo
    assert width == pytest.approx(one_year.upper - one_year.lower) and width > both_years.upper - both_years.lower


def test_a_standing_wave_release_must_say_its_year_and_others_must_not(app, runner, tmp_path, make_wave):
    from survey.office.operations import run_release
    from survey.waves import WaveError, close_wave
    from tests.conftest import PASSPHRASE

    ordinary = make_wave()
    with app.app_context():
        close_wave(ordinary)
        with pytest.raises(WaveError, match="not a standing wave"):
            run_release(ordinary, PASSPHRASE, min_count=None, lang="de", year=2027)
    standing = _create(runner, tmp_path, "--standing")
    from survey.council.operations import decide
    from survey.waves import open_wave

    with app.app_context():
        decide(standing, "clara", approve=True)
        open_wave(standing)
        with pytest.raises(WaveError, match="--year"):
            run_release(standing, PASSPHRASE, min_count=None, lang="de")


def test_the_monitoring_report_shows_the_measured_years(app, runner, two_years, tmp_path):
    import pypdfium2

    set_ = runner.invoke(args=["quotas", "set", "medium", "--headcount", "4200", "--vacancies", "700",
                               "--baseline", "12.3", "--reason", "Personalbericht"])
    assert set_.exit_code == 0, set_.output
    shown = runner.invoke(args=["quotas", "monitor", "--pdf", str(tmp_path / "m.pdf"), "--xlsx", str(tmp_path / "m.xlsx")])
    assert shown.exit_code == 0, shown.output
    medium = [line.split("\t") for line in shown.output.splitlines() if line.startswith("Medium level\t")]
    assert [row[1] for row in medium] == [str(y) for y in range(2022, 2029)]  # the plan's years and those measured
    assert medium[-1][4].startswith("measured ") and medium[-1][4] != "measured -"
    pdf = pypdfium2.PdfDocument(str(tmp_path / "m.pdf"))
    assert len(pdf) >= 2  # the cover and one page per group with its figures
    image = pdf[1].render(scale=1).to_pil().convert("L")
    assert image.getextrema()[0] < 100  # something dark is drawn: lines and text, not a blank page
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "m.xlsx").active
    assert any(row[0] == "Medium level" for row in sheet.iter_rows(values_only=True))
    pdf.close()
