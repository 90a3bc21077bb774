"""Backups: a round trip into a fresh instance keeps every guarantee, and every refusal changes nothing.

The instance is built the way an operator and respondents build it (init, keys, a wave approved
and opened, codes, answers through the real flow, a release into the instance), on SQLite and on
PostgreSQL. The attacker here holds the archive: without its passphrase it is noise, and it never
holds a print file of codes.
"""
from __future__ import annotations

import csv
import json
import os
import secrets
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from survey import create_app
from survey.cli import cli
from survey.extensions import db
from tests.conftest import PASSPHRASE, STRATA, postgres_url
from tests.tools.postgres_settings import autovacuum_on

BACKUP_PHRASE = "a backup phrase of its own"


def _engines():
    yield "sqlite"
    yield pytest.param("postgresql", marks=[pytest.mark.postgres, pytest.mark.skipif(
        not postgres_url and not os.environ.get("CI"), reason="set WIR_SURVEY_TEST_POSTGRES")])


@pytest.fixture
def new_database():
    """Makes fresh databases of the engine under test (None: the instance's SQLite file); drops them after."""
    made: list[str] = []
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT") if postgres_url else None
    settings = ExitStack()

    def _new(engine: str) -> str | None:
        if engine == "sqlite":
            return None
        if not made:  # the audit after the restore needs autovacuum on (tests.tools.postgres_settings)
            settings.enter_context(autovacuum_on(postgres_url))()
        name = f"wir_backup_{secrets.token_hex(5)}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(postgres_url).set(database=name).render_as_string(hide_password=False)

    yield _new
    for name in made:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    settings.close()
    if admin is not None:
        admin.dispose()


#: Apps built by the tests below; each one's connections are closed when its test ends.
_apps: list = []


@pytest.fixture(autouse=True)
def _close_connections(new_database):  # closes before the databases are dropped
    yield
    while _apps:
        app = _apps.pop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


class Instance:
    """An instance folder and its database, driven through the CLI and in-process apps."""

    def __init__(self, folder: Path, database: str | None) -> None:
        self.folder, self.database = folder, database

    @property
    def env(self) -> dict[str, str | None]:
        return {"WIR_SURVEY_INSTANCE": str(self.folder), "WIR_SURVEY_DATABASE_URL": self.database,
                "WIR_SURVEY_PASSPHRASE": PASSPHRASE, "WIR_SURVEY_BACKUP_PASSPHRASE": BACKUP_PHRASE}

    def run(self, *args: str, **env: str):
        return CliRunner().invoke(cli, list(args), env={**self.env, **env})

    def app(self, monkeypatch):
        for name, value in self.env.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        app = create_app()
        _apps.append(app)
        return app

    def counts(self, monkeypatch) -> dict[str, int]:
        app = self.app(monkeypatch)
        with app.app_context():
            from survey.pool import waiting

            used = db.session.execute(text("SELECT count(*) FROM tokens WHERE used")).scalar()
            stored = db.session.execute(text("SELECT count(*) FROM responses")).scalar()
            result = {"used": used, "stored": stored, "pooled": waiting()}
        return result


@pytest.fixture
def populated(tmp_path: Path, monkeypatch, new_database, respond, request) -> tuple[Instance, list[str], list[str]]:
    """An instance with answers stored and waiting, a release and staff log entries; returns it with
    its used and unused codes (read from a print file kept outside the instance, as it must be)."""
    engine = request.param
    source = Instance(tmp_path / "source", new_database(engine))
    assert source.run("init").exit_code == 0
    with (source.folder / "config.py").open("a", encoding="utf-8") as fh:
        fh.write("POOL_FLUSH_THRESHOLD = 5\n")  # part of what the council approves: it travels with the backup
    assert source.run("keys", "create").exit_code == 0
    app = source.app(monkeypatch)
    print_file = tmp_path / "payroll-codes.csv"
    with app.app_context():
        from questionnaires import load_builtin
        from survey.council.operations import decide
        from survey.issuing import issue_tokens
        from survey.office.operations import run_release
        from survey.waves import create_wave, open_wave, read_strata_csv

        strata = tmp_path / "strata.csv"
        strata.write_text(STRATA, encoding="utf-8")
        wave = create_wave(load_builtin()["migration-background"], "Backup wave", read_strata_csv(strata), {"de": "Hallo"})
        decide(wave.id, "council", approve=True)
        open_wave(wave.id)
        issue_tokens(wave.id, {"group": "medium", "department": "32"}, 16, print_file)
        wave_id = wave.id
    with print_file.open(encoding="utf-8") as fh:
        codes = [row["token"] for row in csv.DictReader(fh)]
    for code in codes[:12]:
        assert respond(app.test_client(), code, {"own_citizenship_at_birth": "yes"}).status_code == 302
    with app.app_context():
        run_release(wave_id, PASSPHRASE, min_count=None, lang="de")
    # A print file that ended up inside the instance folder (as the demo's codes do) must not travel.
    (source.folder / "demo-codes").mkdir()
    (source.folder / "demo-codes" / "wave-1.csv").write_bytes(print_file.read_bytes())
    return source, codes[:12], codes[12:]


@pytest.mark.parametrize("populated", list(_engines()), indirect=True)
def test_a_backup_restores_into_a_fresh_instance_with_every_guarantee(populated, tmp_path: Path, monkeypatch,
                                                                      new_database, respond):
    source, used, unused = populated
    before = source.counts(monkeypatch)
    assert before == {"used": 12, "stored": 10, "pooled": 2}
    archive = tmp_path / "backup.wsb"
    made = source.run("backup", str(archive))
    assert made.exit_code == 0, made.output
    assert archive.stat().st_mode & 0o077 == 0

    # Whoever holds the archive without its passphrase holds noise: no code, no secret, no file name.
    raw = archive.read_bytes()
    config = (source.folder / "config.py").read_text(encoding="utf-8")
    secret_key = config.split("SECRET_KEY = ")[1].split("\n")[0].strip("'")
    for plain in [*used, *unused, secret_key, "statistics-office", "demo-codes"]:
        assert plain.encode() not in raw

    from survey.backup import _members, unseal

    members = _members(unseal(raw, BACKUP_PHRASE))
    assert not [name for name in members if "demo-codes" in name]
    assert not [name for name, data in members.items() for code in used + unused if code.encode() in data], \
        "no code is in the backup, in any form a reader could match against the payroll list"
    assert {"instance/config.py", "instance/keys/statistics-office.key", "manifest.json"} <= set(members)

    engine = "sqlite" if source.database is None else "postgresql"
    target = Instance(tmp_path / "restored", new_database(engine))
    restored = target.run("restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert not (target.folder / "demo-codes").exists()
    assert target.counts(monkeypatch) == before

    # Every stored and waiting answer still opens; the staff log chain and the release files hold.
    audit = target.run("audit", "--passphrase", "--json")
    report = json.loads(audit.stdout if hasattr(audit, "stdout") else audit.output)
    assert audit.exit_code == 0 and report["ok"], audit.output
    assert report["counts"]["used"] == 12
    log = target.run("log", "verify")
    assert log.exit_code == 0 and "hold" in log.output
    app = target.app(monkeypatch)
    with app.app_context():
        from survey.models import Release
        from survey.office.operations import release_bytes

        (release,) = db.session.query(Release).all()
        assert all(release_bytes(release, name) is not None for name in json.loads(release.files_json))

    # Codes still work, or stay used, as before the backup.
    assert respond(app.test_client(), unused[0]).status_code == 302
    assert respond(app.test_client(), used[0]).status_code == 302  # same thank-you page, answers dropped
    after = target.counts(monkeypatch)
    assert after["used"] == 13 and after["stored"] + after["pooled"] == 13


@pytest.mark.parametrize("populated", ["sqlite"], indirect=True)
def test_a_wrong_passphrase_or_a_changed_archive_restores_nothing(populated, tmp_path: Path):
    source, _, _ = populated
    archive = tmp_path / "backup.wsb"
    assert source.run("backup", str(archive)).exit_code == 0
    target = Instance(tmp_path / "restored", None)
    wrong = target.run("restore", str(archive), WIR_SURVEY_BACKUP_PASSPHRASE="not the backup phrase")
    assert wrong.exit_code == 1 and "passphrase is wrong" in wrong.output
    changed = tmp_path / "changed.wsb"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 1
    changed.write_bytes(bytes(data))
    assert target.run("restore", str(changed)).exit_code == 1
    assert not target.folder.exists()
    assert not [p for p in tmp_path.iterdir() if "restoring" in p.name], "no staging folder is left behind"


@pytest.mark.parametrize("populated", list(_engines()), indirect=True)
def test_a_non_empty_target_is_refused_and_left_as_it_was(populated, tmp_path: Path, new_database, monkeypatch):
    source, _, _ = populated
    archive = tmp_path / "backup.wsb"
    assert source.run("backup", str(archive)).exit_code == 0
    # An instance folder with a configuration in it.
    engine = "sqlite" if source.database is None else "postgresql"
    occupied = Instance(tmp_path / "occupied", new_database(engine))
    assert occupied.run("init").exit_code == 0
    config_before = (occupied.folder / "config.py").read_bytes()
    refused = occupied.run("restore", str(archive))
    assert refused.exit_code == 1 and "not empty" in refused.output
    assert (occupied.folder / "config.py").read_bytes() == config_before
    # A fresh folder, but a database that holds tables.
    if engine == "postgresql":
        elsewhere = Instance(tmp_path / "fresh", occupied.database)
        refused = elsewhere.run("restore", str(archive))
        assert refused.exit_code == 1 and "target database is not empty" in refused.output
        assert not elsewhere.folder.exists()
    else:
        (tmp_path / "fresh").mkdir()
        (tmp_path / "fresh" / "wir-survey.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
        refused = Instance(tmp_path / "fresh", None).run("restore", str(archive))
        assert refused.exit_code == 1 and "exists" in refused.output
        assert sorted(p.name for p in (tmp_path / "fresh").iterdir()) == ["wir-survey.sqlite"]


@pytest.mark.parametrize("populated", ["sqlite"], indirect=True)
def test_a_backup_refuses_the_statistics_office_passphrase_and_an_existing_file(populated, tmp_path: Path):
    source, _, _ = populated
    same = source.run("backup", str(tmp_path / "a.wsb"), WIR_SURVEY_BACKUP_PASSPHRASE=PASSPHRASE)
    assert same.exit_code == 1 and "Statistics Office's passphrase" in same.output
    short = source.run("backup", str(tmp_path / "a.wsb"), WIR_SURVEY_BACKUP_PASSPHRASE="short")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    assert not (tmp_path / "a.wsb").exists()
    existing = tmp_path / "b.wsb"
    existing.write_bytes(b"keep me")
    again = source.run("backup", str(existing))
    assert again.exit_code == 1 and existing.read_bytes() == b"keep me"
