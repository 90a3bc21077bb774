"""`wir-survey release`: protected files, the append-only log, and releases that must be refused."""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text

from survey.extensions import db
from tests.conftest import PASSPHRASE, count_rows

STRATA = "group,department,headcount\nmedium,32,400\nsenior,50,300\n"


@pytest.fixture
def answer(app, issue_codes):
    """Store responses through the real submit and flush: `answer(wave, stratum, answers, n)`."""

    def _answer(wave: int, stratum: dict[str, str], answers: dict, n: int) -> None:
        from survey.pool import flush
        from survey.respond.operations import redeem, submit

        for code in issue_codes(wave, n, stratum):
            with app.app_context():
                submit(redeem(code).digest, answers)
        with app.app_context():
            flush()

    return _answer


@pytest.fixture
def wave(make_wave, answer):
    wave = make_wave("migration-background", strata=STRATA)
    medium, senior = {"group": "medium", "department": "32"}, {"group": "senior", "department": "50"}
    answer(wave, medium, {"own_citizenship_at_birth": "no"}, 9)
    answer(wave, medium, {"own_citizenship_at_birth": "yes", "mother_citizenship_at_birth": "yes",
                          "father_citizenship_at_birth": "yes"}, 14)
    answer(wave, senior, {"own_citizenship_at_birth": "yes", "mother_citizenship_at_birth": "no"}, 2)
    answer(wave, senior, {"own_citizenship_at_birth": "yes", "mother_citizenship_at_birth": "yes",
                          "father_citizenship_at_birth": "yes"}, 11)
    return wave


def _release(runner, wave: int, out: Path, passphrase: str = PASSPHRASE):
    return runner.invoke(args=["release", str(wave), "--out", str(out)], env={"WIR_SURVEY_PASSPHRASE": passphrase})


def test_a_release_writes_protected_files_and_logs_them(app, runner, wave, tmp_path: Path):
    # Answers still waiting in the pool (fewer than a batch) count as well as stored ones.
    assert count_rows(app, "pool") > 0 and count_rows(app, "pool") + count_rows(app, "responses") == 36
    out = tmp_path / "r1"
    result = _release(runner, wave, out)
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"release.xlsx", "release.json", "migration_background_by_group.csv",
            "migration_background_by_group.png", "migration_background_by_group.svg"} <= names
    document = json.loads((out / "release.json").read_text())
    assert document["counts"]["respondents"] == 36
    assert document["parameters"]["min_count"] == 5
    by_group = next(t for t in document["tables"] if t["id"] == "migration_background_by_group")
    cells = {tuple(c["key"]): c for c in by_group["cells"]}
    assert cells[("senior", "yes")]["status"] == "secret" and cells[("senior", "yes")]["count"] is None
    assert cells[("medium", "yes")]["count"] == 9
    assert {c["status"] for t in document["tables"] for c in t["cells"]} <= {"safe", "zero", "secret"}
    estimates = [e for e in document["estimates"] if e["table"] == "migration_background_by_group"]
    medium = next(e for e in estimates if e["population"] == {"stratum.group": "medium"} and e["answer"] == {
        "migration_background": "yes"})
    assert medium["published"] and medium["lower"] <= medium["share"] <= medium["upper"]
    senior = next(e for e in estimates if e["population"] == {"stratum.group": "senior"} and e["answer"] == {
        "migration_background": "yes"})
    assert senior == {**senior, "published": False} and "share" not in senior and "respondents" not in senior
    # With two groups the total's own "yes" cell is secret too (it and medium's would give senior's away).
    cells = {tuple(c["key"]): c for c in by_group["cells"]}
    total = next(e for e in estimates if e["population"] == {"stratum.group": "Total"} and e["answer"] == {
        "migration_background": "yes"})
    assert total["published"] == (cells[("Total", "yes")]["count"] is not None)
    assert document["parameters"]["secondary_suppression"] == "optimal"
    book = openpyxl.load_workbook(out / "release.xlsx")
    assert len(book.sheetnames) == 3 + 3  # three tables, estimates, legend, parameters
    sheet = book["Schätzungen"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert ["Mit Migrationshintergrund" in r for r in rows].count(True) == sum(
        e["answer"] == {"migration_background": "yes"} for e in document["estimates"])
    listing = runner.invoke(args=["releases", "list"]).output
    assert "wave" in listing and "36 responses" in listing
    shown = runner.invoke(args=["releases", "show", "1"]).output
    import hashlib

    assert hashlib.sha256((out / "release.xlsx").read_bytes()).hexdigest() in shown


def test_a_wrong_passphrase_publishes_nothing(app, runner, wave, tmp_path: Path):
    result = _release(runner, wave, tmp_path / "r", passphrase="wrong")
    assert result.exit_code == 1 and "does not open" in result.output
    assert not (tmp_path / "r").exists() and count_rows(app, "releases") == 0


def test_a_second_release_after_few_late_responses_is_refused(app, runner, wave, answer, tmp_path: Path):
    assert _release(runner, wave, tmp_path / "r1").exit_code == 0
    answer(wave, {"group": "senior", "department": "50"}, {"own_citizenship_at_birth": "no"}, 2)
    result = _release(runner, wave, tmp_path / "r2")
    assert result.exit_code == 1
    assert "only 2 response(s) came in since release 1" in result.output and "at least 5" in result.output
    assert not (tmp_path / "r2").exists() and count_rows(app, "releases") == 1


def test_a_second_release_cannot_be_subtracted_from_the_first(app, runner, wave, answer, tmp_path: Path):
    assert _release(runner, wave, tmp_path / "r1").exit_code == 0
    answer(wave, {"group": "senior", "department": "50"}, {"own_citizenship_at_birth": "no"}, 1)
    answer(wave, {"group": "medium", "department": "32"}, {"own_citizenship_at_birth": "yes"}, 5)
    result = _release(runner, wave, tmp_path / "r2")
    assert result.exit_code == 0, result.output
    first, second = (json.loads((tmp_path / r / "release.json").read_text()) for r in ("r1", "r2"))
    assert second["parameters"]["earlier_releases_audited"] == 1
    for table_1, table_2 in zip(first["tables"], second["tables"]):
        before = {tuple(c["key"]): c["count"] for c in table_1["cells"]}
        for cell in table_2["cells"]:
            then, now = before[tuple(cell["key"])], cell["count"]
            if then is not None and now is not None:
                assert now - then == 0 or now - then >= 5, (table_2["id"], cell["key"], then, now)


def test_the_release_log_is_append_only(app, runner, wave, tmp_path: Path):
    assert _release(runner, wave, tmp_path / "r1").exit_code == 0
    with app.app_context():
        for statement in ("UPDATE releases SET respondents = 0", "DELETE FROM releases"):
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
    assert count_rows(app, "releases") == 1


def test_a_stratum_without_codes_reads_not_surveyed_everywhere(app, runner, make_wave, answer, tmp_path: Path):
    import csv

    wave = make_wave("migration-background", strata=STRATA + "top,60,30\n")
    answer(wave, {"group": "medium", "department": "32"}, {"own_citizenship_at_birth": "no"}, 9)
    answer(wave, {"group": "medium", "department": "32"}, {"own_citizenship_at_birth": "yes",
                                                             "mother_citizenship_at_birth": "yes",
                                                             "father_citizenship_at_birth": "yes"}, 14)
    answer(wave, {"group": "senior", "department": "50"}, {"own_citizenship_at_birth": "no"}, 6)
    answer(wave, {"group": "senior", "department": "50"}, {"own_citizenship_at_birth": "yes",
                                                            "mother_citizenship_at_birth": "yes",
                                                            "father_citizenship_at_birth": "yes"}, 7)
    out = tmp_path / "r1"
    result = _release(runner, wave, out)
    assert result.exit_code == 0, result.output
    document = json.loads((out / "release.json").read_text())
    assert ("x", next(m for s, m in legend_of(document) if s == "x")) in legend_of(document)
    by_group = next(t for t in document["tables"] if t["id"] == "migration_background_by_group")
    top = [c for c in by_group["cells"] if c["key"][0] == "top"]
    assert top and all(c == {**c, "count": None, "symbol": "x", "status": "not_surveyed"} for c in top)
    medium = next(c for c in by_group["cells"] if c["key"] == ["medium", "yes"])
    assert (medium["count"], medium["symbol"], medium["status"]) == (9, "", "safe")
    estimates = [e for e in document["estimates"] if e["table"] == "migration_background_by_group"]
    top_estimates = [e for e in estimates if e["population"] == {"stratum.group": "top"}]
    assert top_estimates and all(e == {**e, "published": False, "reason": "not surveyed"} for e in top_estimates)
    total = next(e for e in estimates if e["population"] == {"stratum.group": "Total"} and e["answer"] == {
        "migration_background": "yes"})
    assert document["parameters"]["strata_not_surveyed"] == 1
    assert total["published"] and total["headcount"] == 730  # the 30 nobody asked still count
    assert total["share"] == pytest.approx((400 * 9 / 23 + 300 * 6 / 13) / 700)  # their weight spread over the rest
    assert total["post_strata"] == {"cells": 3, "merged": []}  # medium, senior, and top without answers
    with open(out / "migration_background_by_group.csv", encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["stratum.group"] == "top"]
    assert rows and all((r["count"], r["symbol"], r["status"]) == ("", "x", "not_surveyed") for r in rows)
    with app.app_context():
        from sqlalchemy import select

        from survey.models import Release

        logged = json.loads(db.session.scalars(select(Release)).one().published_json)
    assert all(status == "not_surveyed" and count is None
               for key, count, status in logged["migration_background_by_group"] if key[0] == "top")
    assert "not surveyed" in runner.invoke(args=["releases", "show", "1"]).output


def legend_of(document: dict) -> list[tuple[str, str]]:
    return [(entry["symbol"], entry["meaning"]) for entry in document["legend"]]
