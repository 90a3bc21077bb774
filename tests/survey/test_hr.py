"""HR's quota plan: every change a new version with who, when and why; earlier versions readable
and unchangeable; a baseline from the survey only from a published estimate whose file matches
the release log; the same on the pages (role `hr`) and on the command line."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from aggregation.plan_wir2 import WIR2_2021
from aggregation.plans import change_group, group_outlook, plan_from_dict, plan_to_dict
from aggregation.quotas import Interval
from survey.extensions import db
from survey.models import StaffLogEntry
from tests.conftest import PASSPHRASE, csrf_of
from tests.survey.test_auth import code_of, login, make_account, now  # noqa: F401  (fixtures)

# Ten answers in one stratum: five with a migration background, five without; every cell 0 or ≥ 5.
WITH = {"own_citizenship_at_birth": "no", "born_in_germany": "yes", "mother_immigrated": "no"}
WITHOUT = {"own_citizenship_at_birth": "yes", "mother_citizenship_at_birth": "yes", "father_citizenship_at_birth": "yes",
           "born_in_germany": "yes", "mother_immigrated": "no"}


def test_a_plan_goes_to_json_and_back_unchanged():
    changed = change_group(WIR2_2021, "all", headcount=11000, vacancies=1500, baseline=0.14,
                           baseline_interval=Interval(0.12, 0.16), baseline_source="release 1")
    for plan in (WIR2_2021, changed):
        assert plan_from_dict(json.loads(json.dumps(plan_to_dict(plan)))) == plan
    assert WIR2_2021.group("all").headcount is None  # the shipped plan itself is untouched


def test_the_outlook_reproduces_measure_3_and_widens_with_the_baseline():
    plan = change_group(WIR2_2021, "all", headcount=10_000, vacancies=1_333.33)
    outlook = group_outlook(plan.group("all"))
    assert outlook.required == pytest.approx(0.30, abs=1e-4) and outlook.reachable
    ranged = change_group(plan, "all", baseline=0.15, baseline_interval=Interval(0.13, 0.17),
                          baseline_source="release 1")
    wide = group_outlook(ranged.group("all")).required_interval
    assert wide.contains(outlook.required) and wide.hi - wide.lo > 0.1
    with pytest.raises(ValueError, match="exceed the headcount"):
        change_group(plan, "all", vacancies=20_000)


def test_every_change_is_a_new_version_and_the_old_ones_stay(app):
    from survey.hr.operations import PlanError, change, current, history, version

    with app.app_context():
        assert current().version == 0 and current().plan == WIR2_2021
        change("all", {"headcount": 10_000, "vacancies": 1_400}, "Personalbericht 2026", by="hanna")
        change("medium", {"target": 0.17}, "Ratsbeschluss", by="hanna")
        with pytest.raises(PlanError, match="Say why"):
            change("all", {"headcount": 1}, "  ", by="hanna")
        with pytest.raises(PlanError, match="no group"):
            change("nobody", {"headcount": 1}, "x", by="hanna")
        with pytest.raises(PlanError, match="exceed the headcount"):
            change("all", {"vacancies": 50_000}, "Tippfehler", by="hanna")
        assert [v.version for v in history()] == [2, 1, 0]
        assert version(1).plan.group("medium").target == 0.16  # as it was then
        assert current().plan.group("medium").target == 0.17
        assert current().plan.group("all").headcount == 10_000
        assert (version(2).by, version(2).reason) == ("hanna", "Ratsbeschluss")
        actions = db.session.scalars(select(StaffLogEntry.action).where(StaffLogEntry.actor == "hanna")).all()
        assert actions == ["quota plan changed", "quota plan changed"]
        for statement in ("UPDATE quota_plan_versions SET reason = 'x'", "DELETE FROM quota_plan_versions"):
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert len(history()) == 3


@pytest.fixture
def released(app, make_wave, issue_codes, respond):
    """A closed wave of ten answers, released on the office's pages (the instance keeps the files)."""
    from survey.office.operations import run_release
    from survey.waves import close_wave

    app.config["POOL_FLUSH_THRESHOLD"] = 5
    wave = make_wave()
    for i, code in enumerate(issue_codes(wave, 10)):
        assert respond(app.test_client(), code, WITH if i % 2 else WITHOUT).status_code == 302
    with app.app_context():
        close_wave(wave)
        return run_release(wave, PASSPHRASE, min_count=None, lang="de").release.id


def test_only_a_published_estimate_whose_file_matches_the_log_becomes_a_baseline(app, released):
    from survey.hr.operations import PlanError, adopt, current, published_estimates
    from survey.models import Release

    with app.app_context():
        release = db.session.get(Release, released)
        found = published_estimates(release)
        total = next(e for e in found if "migration_background = yes" in e.label and "group Total" in e.label)
        assert total.share == pytest.approx(0.5, abs=0.01) and total.lower < 0.5 < total.upper
        document = json.loads((Path(app.config["RELEASES_DIR"]) / f"release-{released}" / "release.json").read_text())
        secret = [i for i, e in enumerate(document["estimates"]) if not e["published"]]
        if secret:
            with pytest.raises(PlanError, match="only published figures"):
                adopt("all", released, secret[0], "interval", "Befragung 2027", by="hanna")
        stored = adopt("all", released, total.index, "bounds", "Befragung 2027", by="hanna")
        group = stored.plan.group("all")
        assert group.baseline == total.share
        assert group.baseline_interval == Interval(total.if_all_others_no, total.if_all_others_yes)
        assert f"release {released}" in group.baseline_source and "response rate" in group.baseline_source
        # A release file changed on the server offers nothing any more.
        path = Path(app.config["RELEASES_DIR"]) / f"release-{released}" / "release.json"
        path.write_text(path.read_text().replace('"share": 0.5', '"share": 0.9'), encoding="utf-8")
        assert published_estimates(release) == []
        with pytest.raises(PlanError, match="only published figures"):
            adopt("all", released, total.index, "interval", "again", by="hanna")
        assert current().version == 1


@pytest.fixture
def planner(app, make_account, now):
    make_account("hanna", "hr")
    client = app.test_client()
    assert login(client, "hanna").status_code == 302
    return client


def test_hr_edits_a_group_and_adopts_a_survey_baseline_on_the_pages(app, planner, released):
    edit = planner.get("/staff/hr/groups/all")
    assert edit.status_code == 200 and 'value="15.0"' in edit.text
    refused = planner.post("/staff/hr/groups/all", data={
        "csrf_token": csrf_of(edit.text), "baseline": "15", "target": "17", "hires": "30", "headcount": "10000",
        "vacancies": "20000", "reason": "Personalbericht"})
    assert refused.status_code == 400 and "exceed the headcount" in refused.text
    saved = planner.post("/staff/hr/groups/all", data={
        "csrf_token": csrf_of(edit.text), "baseline": "15", "target": "17", "hires": "30", "headcount": "10000",
        "vacancies": "1333.33", "reason": "Personalbericht 2026"})
    assert saved.status_code == 302
    plan = planner.get("/staff/hr/").text
    assert "Fassung 1" in plan and "30.0 %" in plan
    page = planner.get("/staff/hr/groups/all/baseline")
    assert page.status_code == 200
    choice = re.search(r'value="(\d+:\d+)"[^>]*>\s*</td>\s*<td><label[^>]*>[^<]*Total; migration_background = yes',
                       page.text).group(1)
    adopted = planner.post("/staff/hr/groups/all/baseline", data={
        "csrf_token": csrf_of(page.text), "estimate": choice, "kind": "interval", "reason": "Befragung 2027"})
    assert adopted.status_code == 302
    plan = planner.get("/staff/hr/").text
    assert "Fassung 2" in plan and f"release {released}" in plan
    old = planner.get("/staff/hr/versions/1").text
    assert "Eine frühere Fassung" in old and f"release {released}" not in old
    versions = planner.get("/staff/hr/versions").text
    assert "Befragung 2027" in versions and "Personalbericht 2026" in versions and "hanna" in versions


def test_the_same_on_the_command_line(app, runner, released):
    assert runner.invoke(args=["quotas", "set", "all", "--headcount", "10000", "--vacancies", "1333.33",
                               "--reason", "Personalbericht"]).exit_code == 0
    shown = runner.invoke(args=["quotas", "show"])
    assert "version 1" in shown.output and "new hires must be 30 %" in shown.output
    listed = runner.invoke(args=["quotas", "estimates", "--release", str(released)])
    assert listed.exit_code == 0
    index = next(line.split("\t")[0] for line in listed.output.splitlines()
                 if "Total; migration_background = yes" in line)
    adopted = runner.invoke(args=["quotas", "adopt", "all", "--release", str(released), "--estimate", index,
                                  "--reason", "Befragung"])
    assert adopted.exit_code == 0, adopted.output
    history = runner.invoke(args=["quotas", "history"]).output.splitlines()
    assert [line.split("\t")[0] for line in history] == ["2", "1", "0"]
    assert json.loads(runner.invoke(args=["quotas", "show", "--json", "--version", "0"]).output)["version"] == 0
    missing = runner.invoke(args=["quotas", "set", "all", "--reason", "nothing"])
    assert missing.exit_code == 2


def test_the_demo_brings_a_released_wave_for_hr(app, runner, monkeypatch):
    from survey.hr.operations import published_estimates
    from survey.models import Release

    monkeypatch.setenv("WIR_SURVEY_PASSPHRASE", PASSPHRASE)
    first = runner.invoke(args=["demo", "--codes", "1"])
    assert first.exit_code == 0, first.output
    assert re.search(r"released demo wave \d+ \(invented answers\): release 1, 480 responses", first.output)
    again = runner.invoke(args=["demo", "--codes", "1"])
    assert "release 1, 480 responses" in again.output  # found, not made twice
    assert "standing new-hire demo wave" in first.output
    with app.app_context():
        release = db.session.get(Release, 1)
        assert len(published_estimates(release)) >= 8
        from survey.hr.monitoring import measured_rates

        assert set(measured_rates()["all"]) == {2025, 2026}  # the monitoring has two measured years
        from survey.hr.monitoring import report_bytes

        pdf_bytes, _ = report_bytes("pdf")
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf_bytes)
    pages = len(document)
    image = document[1].render(scale=1).to_pil().convert("L")
    document.close()
    assert pages >= 4  # the cover, and the groups the demo gave figures to
    assert image.getextrema()[0] < 100  # drawn, not blank
    assert db_count(app) == 3  # made once: the second demo found its releases


def test_the_monitoring_page_and_its_reports(app, planner):
    from survey.hr.operations import change

    with app.app_context():
        change("all", {"headcount": 10_000, "vacancies": 1_333.33}, "Personalbericht", by="hanna")
    page = planner.get("/staff/hr/monitoring")
    assert page.status_code == 200 and "30.0 %" in page.text and "noch keine Daten" in page.text
    assert "Es fehlen noch Angaben (enter N, V)" in page.text  # the groups whose figures are missing
    pdf = planner.get("/staff/hr/monitoring.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    xlsx = planner.get("/staff/hr/monitoring.xlsx")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    assert planner.get("/staff/hr/monitoring.csv").status_code == 404


def db_count(app) -> int:
    from survey.models import Release

    with app.app_context():
        return len(db.session.scalars(select(Release)).all())
