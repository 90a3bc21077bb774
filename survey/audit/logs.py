"""Log settings: nothing may write a line about a request or a statement.

A log line beside a submit holds its time, and a statement log its parameters: the code's
fingerprint. Three places decide what is logged, and each is read as it is in effect: the app
(SQLAlchemy's echo and logger, Werkzeug's access log, Flask's logger and debug mode), gunicorn (the
shipped configuration with `GUNICORN_CMD_ARGS` on top, as gunicorn applies them), and, on
PostgreSQL, the server (see `postgres`). A behavioural check then serves the respondent pages with
every logger listening and fails on any line at all.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import runpy
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask

from ..extensions import db
from . import Check

if TYPE_CHECKING:
    from gunicorn.config import Config

RESPONDENT_PATHS = ("/", "/s", "/welcome", "/q/1", "/review", "/thanks")
GUNICORN_CONF = Path(__file__).resolve().parent.parent / "gunicorn_conf.py"
_QUIET_LEVELS = ("error", "critical")
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def app_logging(app: Flask) -> Check:
    problems = []
    if app.config.get("SQLALCHEMY_ECHO"):
        problems.append("the setting SQLALCHEMY_ECHO is on")
    for engine in db.engines.values():
        if engine.echo:
            problems.append(f"the database engine echoes every statement (echo = {engine.echo!r})")
        elif engine.logger.isEnabledFor(logging.INFO):
            problems.append(f"the logger '{engine.logger.name}' is set to write every statement "
                            f"(level {logging.getLevelName(engine.logger.getEffectiveLevel())})")
    if app.config.get("SQLALCHEMY_RECORD_QUERIES"):
        problems.append("SQLALCHEMY_RECORD_QUERIES keeps every statement with its parameters for debugging tools")
    for name, what in (("werkzeug", "Werkzeug's access log"), ("flask_wtf.csrf", "Flask-WTF's notes on refused forms")):
        if not logging.getLogger(name).disabled:
            problems.append(f"{what} (logger '{name}') is switched on")
    if app.debug:
        problems.append("debug mode is on: error pages show the request and the server's internals to the browser")
    if app.logger.isEnabledFor(logging.INFO):
        problems.append(f"the app's logger writes informational lines "
                        f"(level {logging.getLevelName(app.logger.getEffectiveLevel())})")
    if problems:
        return Check(
            "app_logging",
            False,
            "The app is set to log more than errors: " + "; ".join(problems) + ". A statement log holds, for each "
            "submit, the code's fingerprint and the time; an access log the address and time of every visit. "
            "Either links a person to an answer. Switch these off in the instance configuration.",
        )
    return Check(
        "app_logging",
        True,
        "SQL statements are not echoed (SQLALCHEMY_ECHO and the engine's echo are off, and the 'sqlalchemy.engine' "
        "logger is below the level at which it writes statements), queries are not recorded for debugging tools, "
        "Werkzeug's access log and Flask-WTF's notes on refused forms are switched off, debug mode is off, and the "
        "app's own logger writes only warnings and errors. A statement log would hold each submit's code "
        "fingerprint and time, exactly the link the survey must not keep.",
    )


def gunicorn_settings(conf: Mapping[str, object], cmd_args: str) -> Config:
    """Gunicorn's configuration as it would take effect: the config file, then GUNICORN_CMD_ARGS over it."""
    from gunicorn.config import Config

    config = Config()
    for key, value in conf.items():
        if key in config.settings:
            config.set(key.lower(), value)
    with contextlib.redirect_stderr(io.StringIO()):  # argparse writes its complaint before it exits
        try:
            arguments = config.parser().parse_args(shlex.split(cmd_args))
        except SystemExit:
            raise ValueError(f"gunicorn cannot read GUNICORN_CMD_ARGS={cmd_args!r}") from None
    for key, value in vars(arguments).items():
        if value is not None and key != "args":
            config.set(key.lower(), value)
    return config


def gunicorn_logging(conf_path: Path = GUNICORN_CONF) -> Check:
    cmd_args = os.environ.get("GUNICORN_CMD_ARGS", "")
    config = gunicorn_settings(runpy.run_path(str(conf_path)), cmd_args)
    source = f"the shipped {conf_path.name}" + (
        f" with GUNICORN_CMD_ARGS={cmd_args!r} on top, as gunicorn applies it" if cmd_args
        else " (GUNICORN_CMD_ARGS, which gunicorn would apply on top, is not set)")
    problems = []
    if config.accesslog:
        problems.append(f"an access log is written to {config.accesslog!r}")
    for name in ("logconfig", "logconfig_dict", "logconfig_json"):
        if getattr(config, name, None):
            problems.append(f"a logging configuration ({name}) is given, and with it gunicorn writes access lines")
    if config.syslog and not config.disable_redirect_access_to_syslog:
        problems.append("logging to syslog is on, which sends every request to syslog as well")
    if str(config.loglevel).lower() not in _QUIET_LEVELS:
        problems.append(f"the log level is '{config.loglevel}', at which gunicorn's warnings quote client addresses")
    if problems:
        return Check(
            "gunicorn_logging",
            False,
            f"Gunicorn, as configured by {source}, logs requests: " + "; ".join(problems) + ". An access line holds "
            "the address, the time and the page of every visit, so it shows who was on the respondent pages when. "
            "Remove the option and keep `accesslog = None` and `loglevel = \"error\"`.",
        )
    return Check(
        "gunicorn_logging",
        True,
        f"Gunicorn, as configured by {source}, keeps no access log (no access log file, no logging "
        "configuration, no copy of requests to syslog) and logs only errors, so no "
        "address, time or page of a visit is written. The audit sees the environment it runs in: run it with the "
        "server's environment, and start gunicorn with `-c python:survey.gunicorn_conf` and no logging options.",
    )


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _visit(app: Flask) -> None:
    """Every respondent page once, a refused form, and a well-formed unknown code (which queries the database)."""
    client = app.test_client()
    for path in RESPONDENT_PATHS:
        client.get(path, headers={"User-Agent": "wir-survey-audit"})
    client.post("/", data={"code": "0000-0000-0000-0000"})
    match = _CSRF.search(client.get("/").get_data(as_text=True))
    client.post("/", data={"code": "0000-0000-0000-0000", "csrf_token": match.group(1) if match else ""})


def no_request_logging(app: Flask) -> Check:
    collector = _Collector()
    root = logging.getLogger()
    listening = [root, app.logger, logging.getLogger("werkzeug"), logging.getLogger("gunicorn.access"),
                 logging.getLogger("gunicorn.error")]
    sqlalchemy = logging.getLogger("sqlalchemy")
    saved = [(lg, lg.level) for lg in [*listening, sqlalchemy]]
    # SQLAlchemy writes statements only where it is configured to (app_logging reads that setting):
    # it keeps its level here, so that the check does not switch statement logging on by itself.
    sqlalchemy.setLevel(sqlalchemy.getEffectiveLevel())
    handled = [root, app.logger, *(lg for lg in listening if not lg.propagate)]
    for lg in handled:
        lg.addHandler(collector)
    try:
        for lg in listening:
            lg.setLevel(logging.DEBUG)
        _visit(app)
    except Exception as exc:  # the check must report, not crash the audit
        return Check("no_request_logging", False, f"The respondent pages could not be served for the check ({exc}).")
    finally:
        for lg in handled:
            lg.removeHandler(collector)
        for lg, level in saved:
            lg.setLevel(level)
    werkzeug_off = all(logging.getLogger(n).disabled for n in ("werkzeug", "flask_wtf.csrf"))
    if collector.records or not werkzeug_off:
        lines = "; ".join(f"{r.name}: {r.getMessage()[:80]}" for r in collector.records[:3])
        return Check(
            "no_request_logging",
            False,
            "Serving the respondent pages wrote log lines (" + (lines or "the Werkzeug access log is on") + "). "
            "A log line can carry an address, a time or a code's fingerprint that links a person to an answer.",
        )
    return Check(
        "no_request_logging",
        True,
        f"Each respondent page ({', '.join(RESPONDENT_PATHS)}) was served once, a form was refused and an unknown "
        "code was tried, while every logger listened at its most detailed level: nothing was written. The "
        "built-in access log is switched off and the shipped server configuration keeps no access log, so no "
        "address, device or time of a visit is recorded.",
    )
