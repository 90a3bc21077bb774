"""Operating an instance: plain refusals from every command, the configuration check, the port and
public URL written by init, `make run` on a busy port, and the health endpoint."""
from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from survey.cli import cli, commands
from survey.readiness import LEVELS

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def leaf_commands(group: click.Group = commands, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*path, name))
        else:
            yield (*path, name), command


def level_of(command: click.Command) -> str:
    """The readiness a command declares through `requires` (commands without it need nothing)."""
    return getattr(command.callback, "wir_requires", "none")


def plausible_arguments(command: click.Command, tmp_path: Path) -> list[str]:
    """Arguments that get past click's parsing, so that the command's own start is what answers."""
    dummy = tmp_path / "dummy.txt"
    dummy.write_text("x\n", encoding="utf-8")
    arguments: list[str] = []
    for param in command.params:
        value = "1" if isinstance(param.type, (click.types.IntParamType, click.IntRange)) else "x"
        if isinstance(param.type, click.Path):
            value = str(dummy) if param.type.file_okay else str(tmp_path if param.type.exists else tmp_path / "new")
        if isinstance(param.type, click.Choice):
            value = str(param.type.choices[0])
        if isinstance(param, click.Argument):
            arguments.append(value)
        elif param.required:
            arguments += [param.opts[0], value]
    return arguments


COMMANDS = list(leaf_commands())
NEEDING = [(path, command) for path, command in COMMANDS if level_of(command) != "none"]


def test_every_command_declares_what_it_needs():
    assert {level_of(c) for _, c in COMMANDS} <= set(LEVELS)
    assert len(NEEDING) >= 30, "the refusals below must cover the commands that need an instance"


def _refusal(result, *phrases: str) -> str:
    """One plain sentence on one line, exit status 1, no traceback."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in result.output, result.output
    return lines[0]


@pytest.mark.parametrize("path,command", NEEDING, ids=[" ".join(p) for p, _ in NEEDING])
def test_without_an_instance_every_command_says_so_and_writes_nothing(tmp_path: Path, path, command):
    instance = tmp_path / "nowhere"
    result = CliRunner().invoke(cli, [*path, *plausible_arguments(command, tmp_path)],
                                env={"WIR_SURVEY_INSTANCE": str(instance), "WIR_SURVEY_DATABASE_URL": None})
    _refusal(result, "no wir-survey instance", "wir-survey init")
    assert not instance.exists()


@pytest.fixture(scope="module")
def initialised(tmp_path_factory) -> Path:
    instance = tmp_path_factory.mktemp("template") / "inst"
    env = {"WIR_SURVEY_INSTANCE": str(instance), "WIR_SURVEY_DATABASE_URL": None}
    assert CliRunner().invoke(cli, ["init"], env=env).exit_code == 0
    return instance


@pytest.fixture
def configured(initialised: Path, tmp_path: Path) -> Path:
    """A fresh copy of an instance made by `wir-survey init` (configuration and migrated SQLite)."""
    import shutil

    instance = tmp_path / "inst"
    shutil.copytree(initialised, instance)
    return instance


DATABASE = [(p, c) for p, c in NEEDING if level_of(c) in ("database", "schema")]
SCHEMA = [(p, c) for p, c in NEEDING if level_of(c) == "schema"]


@pytest.mark.parametrize("path,command", DATABASE, ids=[" ".join(p) for p, _ in DATABASE])
def test_with_an_unreachable_database_every_command_says_so(configured: Path, tmp_path: Path, path, command):
    result = CliRunner().invoke(cli, [*path, *plausible_arguments(command, tmp_path)],
                                env={"WIR_SURVEY_INSTANCE": str(configured), "WIR_SURVEY_DATABASE_URL": UNREACHABLE})
    _refusal(result, "cannot be reached", "127.0.0.1:1/nowhere", "WIR_SURVEY_DATABASE_URL")


@pytest.mark.parametrize("path,command", SCHEMA, ids=[" ".join(p) for p, _ in SCHEMA])
def test_with_an_old_schema_every_command_asks_for_the_upgrade(configured: Path, tmp_path: Path, path, command):
    database = configured / "wir-survey.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0011'")
    before = database.read_bytes()
    result = CliRunner().invoke(cli, [*path, *plausible_arguments(command, tmp_path)],
                                env={"WIR_SURVEY_INSTANCE": str(configured), "WIR_SURVEY_DATABASE_URL": None})
    _refusal(result, "revision 0011", "wir-survey db upgrade")
    assert database.read_bytes() == before


def test_a_missing_database_file_is_not_created_by_a_command(configured: Path):
    (configured / "wir-survey.sqlite").unlink()
    result = CliRunner().invoke(cli, ["waves", "list"], env={"WIR_SURVEY_INSTANCE": str(configured),
                                                             "WIR_SURVEY_DATABASE_URL": None})
    _refusal(result, "does not exist", "wir-survey init")
    assert not (configured / "wir-survey.sqlite").exists()


def test_db_status_and_upgrade_report_the_revision(configured: Path):
    env = {"WIR_SURVEY_INSTANCE": str(configured), "WIR_SURVEY_DATABASE_URL": None}
    current = CliRunner().invoke(cli, ["db", "status"], env=env)
    assert current.exit_code == 0 and "needed revision" in current.output
    with sqlite3.connect(configured / "wir-survey.sqlite") as connection:
        head = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    again = CliRunner().invoke(cli, ["db", "upgrade"], env=env)
    assert again.exit_code == 0 and f"already at revision {head}" in again.output


# --- the configuration check ------------------------------------------------------------------

PRODUCTION = ("PUBLIC_URL = 'https://umfrage.example.de'\nSESSION_COOKIE_SECURE = True\n"
              "HSTS_SECONDS = 31536000\n")


def _check(instance: Path, extra: str = "", env: dict | None = None):
    with (instance / "config.py").open("a", encoding="utf-8") as fh:
        fh.write(extra)
    return CliRunner().invoke(cli, ["config", "check"], env={"WIR_SURVEY_INSTANCE": str(instance),
                                                             "WIR_SURVEY_DATABASE_URL": None, **(env or {})})


def test_a_production_configuration_passes_the_check(configured: Path):
    result = _check(configured, PRODUCTION)
    assert result.exit_code == 0, result.output
    assert "none of the insecure settings" in result.output


@pytest.mark.parametrize(
    ("extra", "phrase"),
    [
        ("DEBUG = True\n", "DEBUG is on"),
        ("TESTING = True\n", "TESTING is on"),
        ("SESSION_COOKIE_SECURE = False\n", "SESSION_COOKIE_SECURE is off behind HTTPS"),
        ("HSTS_SECONDS = 0\n", "HSTS is off"),
        ("HSTS_SECONDS = 300\n", "HSTS is off or shorter than a year"),
        ("PUBLIC_URL = 'http://umfrage.example.de'\n", "not HTTPS"),
        ("APP_NODES = 2\n", "APP_NODES is 2, but the database is the embedded SQLite file"),
        ("SESSION_COOKIE_HTTPONLY = False\n", "SESSION_COOKIE_HTTPONLY is off"),
        ("SESSION_COOKIE_SAMESITE = None\n", "SESSION_COOKIE_SAMESITE"),
        ("SECRET_KEY = 'short'\n", "SECRET_KEY missing or shorter"),
    ],
)
def test_the_check_refuses_each_insecure_setting(configured: Path, extra: str, phrase: str):
    result = _check(configured, PRODUCTION + extra)
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("problem: ")]
    assert len(problems) == 1 and phrase in problems[0], result.output


@pytest.mark.parametrize("victim", ["config.py", "keys/statistics-office.key", "wir-survey.sqlite", "."])
def test_the_check_refuses_files_other_accounts_can_read(configured: Path, victim: str, monkeypatch):
    monkeypatch.setenv("WIR_SURVEY_PASSPHRASE", "pass phrase")
    env = {"WIR_SURVEY_INSTANCE": str(configured), "WIR_SURVEY_DATABASE_URL": None}
    assert CliRunner().invoke(cli, ["keys", "create"], env=env).exit_code == 0
    assert _check(configured, PRODUCTION).exit_code == 0
    path = configured / victim
    path.chmod(0o755 if path.is_dir() else 0o644)
    result = _check(configured)
    assert result.exit_code == 1
    assert f"{path.resolve() if victim == '.' else path} can be read by other accounts" in result.output
    assert "chmod" in result.output


def test_several_nodes_on_postgresql_are_not_refused(configured: Path):
    result = _check(configured, PRODUCTION + "APP_NODES = 2\n", {"WIR_SURVEY_DATABASE_URL": UNREACHABLE})
    assert result.exit_code == 0, result.output


def test_a_local_instance_needs_no_https(configured: Path):
    result = _check(configured)
    assert result.exit_code == 0, result.output


def test_hsts_is_sent_when_set(tmp_path: Path):
    from survey import create_app
    from tests.conftest import base_config

    assert "Strict-Transport-Security" not in create_app(base_config(tmp_path)).test_client().get("/").headers
    strict = create_app({**base_config(tmp_path), "HSTS_SECONDS": 31536000}).test_client().get("/")
    assert strict.headers["Strict-Transport-Security"] == "max-age=31536000"


# --- port and public URL ----------------------------------------------------------------------

def _config_value(instance: Path, name: str):
    values: dict = {}
    exec((instance / "config.py").read_text(encoding="utf-8"), values)  # the instance's own file
    return values[name]


def test_init_writes_port_and_public_url_and_changes_only_those(tmp_path: Path):
    instance = tmp_path / "inst"
    env = {"WIR_SURVEY_INSTANCE": str(instance), "WIR_SURVEY_DATABASE_URL": None}
    first = CliRunner().invoke(cli, ["init"], env=env)
    assert "port 5000" in first.output and "http://127.0.0.1:5000" in first.output
    secret = _config_value(instance, "SECRET_KEY")
    moved = CliRunner().invoke(cli, ["init", "--port", "5123"], env=env)
    assert moved.exit_code == 0 and "http://127.0.0.1:5123" in moved.output
    assert _config_value(instance, "PORT") == 5123 and _config_value(instance, "SECRET_KEY") == secret
    public = CliRunner().invoke(cli, ["init", "--port", "8001", "--public-url", "https://umfrage.example.de"], env=env)
    assert public.exit_code == 0
    assert _config_value(instance, "PUBLIC_URL") == "https://umfrage.example.de"
    assert _config_value(instance, "PORT") == 8001
    assert (instance / "config.py").stat().st_mode & 0o077 == 0


def test_the_gunicorn_settings_bind_the_instance_port(tmp_path: Path, monkeypatch):
    import importlib

    instance = tmp_path / "inst"
    env = {"WIR_SURVEY_INSTANCE": str(instance), "WIR_SURVEY_DATABASE_URL": None}
    assert CliRunner().invoke(cli, ["init", "--port", "5077"], env=env).exit_code == 0
    monkeypatch.setenv("WIR_SURVEY_INSTANCE", str(instance))
    import survey.gunicorn_conf as conf

    assert importlib.reload(conf).bind == "127.0.0.1:5077"


@pytest.fixture
def busy_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_the_demo_on_a_busy_port_says_so_and_names_a_free_one(tmp_path: Path, busy_port: int):
    instance = tmp_path / "inst"
    result = CliRunner().invoke(cli, ["demo", "--port", str(busy_port)],
                                env={"WIR_SURVEY_INSTANCE": str(instance), "WIR_SURVEY_DATABASE_URL": None})
    line = _refusal(result, f"Port {busy_port} on 127.0.0.1 is in use", "make run PORT=")
    suggested = int(line.split("make run PORT=")[1].split("`")[0])
    assert suggested != busy_port
    assert not instance.exists(), "nothing is set up before the port is known to be free"


# --- health -----------------------------------------------------------------------------------

def test_health_says_ok_and_nothing_more(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok\n"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_health_says_unavailable_without_a_reason(tmp_path: Path):
    from survey import create_app
    from tests.conftest import base_config

    broken = create_app(base_config(tmp_path, UNREACHABLE)).test_client().get("/healthz")
    assert broken.status_code == 503 and broken.text == "unavailable\n"
    old = create_app(base_config(tmp_path)).test_client().get("/healthz")  # an empty SQLite file: no schema
    assert old.status_code == 503 and old.text == "unavailable\n"


# --- the deployment examples agree with the app -----------------------------------------------

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _nginx_blocks() -> dict[str, str]:
    text = (DEPLOY / "nginx" / "wir-survey.conf").read_text(encoding="utf-8")
    blocks = {}
    for name in ("location / {", "location /staff/ {"):
        start = text.index(name)
        blocks[name] = text[start:text.index("}", start)]
    blocks["https"] = text[text.index("listen 443"):]
    return blocks


def _size(value: str) -> int:
    return int(value[:-1]) * {"k": 1024, "m": 1024 * 1024}[value[-1]]


def test_the_proxy_example_logs_no_respondent_and_limits_bodies_as_the_app_does():
    from survey.config import DEFAULTS

    blocks = _nginx_blocks()
    respondent, staff = blocks["location / {"], blocks["location /staff/ {"]
    size = lambda block: _size(block.split("client_max_body_size")[1].split(";")[0].strip())  # noqa: E731
    assert size(respondent) == DEFAULTS["MAX_CONTENT_LENGTH"]
    assert size(staff) == DEFAULTS["STRATA_UPLOAD_BYTES"]
    assert "access_log off;" in blocks["https"] and "access_log" not in respondent
    assert 'proxy_set_header X-Forwarded-For "";' in blocks["https"]
    assert "Strict-Transport-Security" not in blocks["https"].replace("sends Strict-Transport-Security", "")


def test_the_node_unit_starts_gunicorn_as_shipped():
    unit = (DEPLOY / "systemd" / "wir-survey@.service").read_text(encoding="utf-8")
    start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert "-c python:survey.gunicorn_conf" in start and "survey:create_app()" in start
    assert not any(option in start for option in ("--access-logfile", "--log-level", "--log-config", "--error-logfile"))
    assert "UMask=0077" in unit
