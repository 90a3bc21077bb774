"""The `wir-survey` command: instance set-up, waves, keys, codes; bad input changes nothing."""
from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from survey.cli import cli
from tests.conftest import PASSPHRASE, STRATA, count_rows


def test_init_creates_secrets_and_database_and_is_safe_twice(tmp_path: Path):
    env = {"WIR_SURVEY_INSTANCE": str(tmp_path / "inst"), "WIR_SURVEY_DATABASE_URL": ""}
    runner = CliRunner()
    first = runner.invoke(cli, ["init"], env=env)
    assert first.exit_code == 0, first.output
    config = (tmp_path / "inst" / "config.py").read_text()
    assert "TOKEN_PEPPER" in config and "SESSION_KEY" in config
    assert (tmp_path / "inst" / "config.py").stat().st_mode & 0o077 == 0
    assert (tmp_path / "inst" / "wir-survey.sqlite").exists()
    second = runner.invoke(cli, ["init"], env=env)
    assert second.exit_code == 0 and "configuration kept" in second.output
    assert (tmp_path / "inst" / "config.py").read_text() == config


def test_waves_create_open_close_list(app, runner, tmp_path: Path):
    strata = tmp_path / "strata.csv"
    strata.write_text(STRATA)
    created = runner.invoke(args=["waves", "create", "agg-discrimination", "--name", "AGG 2027", "--strata",
                                  str(strata), "--message", "de=Machen Sie mit!"])
    assert created.exit_code == 0, created.output
    wave_id = created.stdout.strip().splitlines()[-1]
    assert wave_id.isdigit()
    assert "senior" in created.stderr and "below the minimum" in created.stderr
    refused = runner.invoke(args=["waves", "open", wave_id])
    assert refused.exit_code == 1 and "not been approved by the staff council" in refused.output
    from survey.council.operations import decide

    with app.app_context():
        decide(int(wave_id), "a councillor", approve=True)
    shown = runner.invoke(args=["waves", "configuration", wave_id])
    assert shown.exit_code == 0 and "approved by a councillor" in shown.output and '"min_count": 5' in shown.output
    assert runner.invoke(args=["waves", "open", wave_id]).exit_code == 0
    again = runner.invoke(args=["waves", "open", wave_id])
    assert again.exit_code == 1 and "only a draft wave" in again.output
    listing = runner.invoke(args=["waves", "list"]).output
    assert "open" in listing and "AGG 2027" in listing and "77 employees" in listing
    assert runner.invoke(args=["waves", "close", wave_id]).exit_code == 0
    assert "closed" in runner.invoke(args=["waves", "list"]).output


def test_waves_create_rejects_bad_strata_files(runner, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    for content, reason in [
        ("group,size\nmedium,30\n", "'headcount' column"),
        ("group,headcount\nmedium,thirty\n", "line 2"),
        ("group,headcount\nmedium,30\nmedium,40\n", "appears twice"),
    ]:
        bad.write_text(content)
        result = runner.invoke(args=["waves", "create", "migration-background", "--name", "x", "--strata", str(bad)])
        assert result.exit_code == 1 and reason in result.output
    assert "Test" not in runner.invoke(args=["waves", "list"]).output
    assert runner.invoke(args=["waves", "list"]).output.strip() == ""


def test_tokens_issue_writes_csv_and_pdf_and_keeps_only_hmacs(app, runner, make_wave, tmp_path: Path):
    wave = make_wave()
    out = tmp_path / "batch.csv"
    result = runner.invoke(args=["tokens", "issue", str(wave), "--stratum", "group=medium,department=32",
                                 "--count", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert len(rows) == 5 and all(r["url"].endswith("/s#" + r["token"]) for r in rows)
    assert count_rows(app, "tokens") == 5
    with app.app_context():
        from sqlalchemy import text

        from survey.extensions import db

        stored = b"".join(bytes(d) for d in db.session.scalars(text("SELECT digest FROM tokens")))
    assert not any(r["token"].replace("-", "").encode() in stored for r in rows)
    pdf = tmp_path / "batch.pdf"
    result = runner.invoke(args=["tokens", "issue", str(wave), "--stratum", "group=medium,department=50",
                                 "--count", "9", "--out", str(pdf)])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    assert count_rows(app, "tokens") == 14


def test_tokens_issue_refusals_change_nothing(app, runner, make_wave, tmp_path: Path):
    wave = make_wave()
    existing = tmp_path / "exists.csv"
    existing.write_text("keep me")
    cases = [
        (["--stratum", "group=senior,department=32", "--count", "3", "--out", str(tmp_path / "a.csv")], "Merge"),
        (["--stratum", "group=medium,department=99", "--count", "3", "--out", str(tmp_path / "b.csv")], "no stratum"),
        (["--stratum", "group=medium,department=32", "--count", "41", "--out", str(tmp_path / "c.csv")], "exceed"),
        (["--stratum", "group=medium,department=32", "--count", "3", "--out", str(existing)], "never overwritten"),
        (["--stratum", "group=medium,department=32", "--count", "3", "--out", str(tmp_path / "d.txt")], ".csv or .pdf"),
        (["--stratum", "medium", "--count", "3", "--out", str(tmp_path / "e.csv")], "attribute=value"),
    ]
    for args, reason in cases:
        result = runner.invoke(args=["tokens", "issue", str(wave), *args])
        assert result.exit_code == 1, (args, result.output)
        assert reason in result.output, (reason, result.output)
    assert count_rows(app, "tokens") == 0
    assert existing.read_text() == "keep me"
    written = {p.name for p in tmp_path.iterdir()} - {"exists.csv"}
    assert not [name for name in written if name[0] in "abcde." or name.endswith(".partial")]


def test_keys_are_never_replaced_and_a_wrong_passphrase_is_refused(runner, monkeypatch):
    monkeypatch.setenv("WIR_SURVEY_PASSPHRASE", "something else")
    again = runner.invoke(args=["keys", "create"])
    assert again.exit_code == 1 and "never replaced" in again.output
    wrong = runner.invoke(args=["keys", "check"])
    assert wrong.exit_code == 1 and "does not open" in wrong.output
    monkeypatch.setenv("WIR_SURVEY_PASSPHRASE", PASSPHRASE)
    right = runner.invoke(args=["keys", "check"])
    assert right.exit_code == 0 and "opens the Statistics Office key" in right.output


def test_keys_create_prints_the_fingerprint(tmp_path: Path):
    env = {"WIR_SURVEY_INSTANCE": str(tmp_path / "inst"), "WIR_SURVEY_PASSPHRASE": "pass phrase"}
    assert CliRunner().invoke(cli, ["init"], env=env).exit_code == 0
    result = CliRunner().invoke(cli, ["keys", "create"], env=env)
    assert result.exit_code == 0, result.output
    fingerprint = result.output.split("fingerprint:")[1].strip()
    assert len(fingerprint.split(":")) == 8
    key = tmp_path / "inst" / "keys" / "statistics-office.key"
    assert key.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert key.stat().st_mode & 0o077 == 0


def test_questionnaires_list_and_check(runner, tmp_path: Path):
    listing = runner.invoke(args=["questionnaires", "list"])
    assert "migration-background" in listing.output and "agg-discrimination" in listing.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: 1\nid: broken\nversion: one\n")
    result = runner.invoke(args=["questionnaires", "check", str(broken)])
    assert result.exit_code == 1
    assert str(broken) in result.output and "version" in result.output


def test_the_schema_matches_the_models(app):
    """The Alembic migrations build exactly the schema the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from survey.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_a_print_file_that_cannot_be_written_leaves_no_codes(app, make_wave, tmp_path: Path, monkeypatch):
    import survey.issuing
    from survey.issuing import issue_tokens

    def broken(target, slips, title=""):
        target.write(b"%PDF half")
        raise OSError("disk full")

    monkeypatch.setitem(survey.issuing.WRITERS, "pdf", broken)
    wave = make_wave()
    before = set(tmp_path.iterdir())
    with app.app_context():
        try:
            issue_tokens(wave, {"group": "medium", "department": "32"}, 3, tmp_path / "slips.pdf")
        except OSError:
            pass
        else:
            raise AssertionError("the failure was swallowed")
    assert count_rows(app, "tokens") == 0
    assert set(tmp_path.iterdir()) == before  # no half-written print file either
    assert not [p for p in tmp_path.iterdir() if "slips" in p.name]
