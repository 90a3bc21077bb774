"""The configuration check a node runs before it serves (`wir-survey config check`, gunicorn's start).

Each problem is one sentence: what is set, why it endangers respondents or the keys, and the
setting that fixes it. An instance whose PUBLIC_URL is on this machine (the demo, a developer)
is not reached over a network, so the HTTPS rules apply only to any other address.
"""
from __future__ import annotations

import stat
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from flask.helpers import get_debug_flag

from .config import DATABASE_ENV, written_settings
from .files import sqlite_file

#: HSTS must hold at least this long (one year, as browsers' preload lists ask).
HSTS_MINIMUM = 31536000
LOOPBACK = ("localhost", "::1")


def is_local(url: str) -> bool:
    """Whether PUBLIC_URL points at this machine only (no network between browser and app)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in LOOPBACK or host.startswith("127.")


def problems(app: Flask) -> list[str]:
    """Every insecure setting found, in a fixed order; empty when none."""
    config = app.config
    found: list[str] = []
    instance = Path(app.instance_path)
    if not (instance / "config.py").is_file():
        found.append(f"There is no instance configuration {instance / 'config.py'}: run `wir-survey init` first.")
    if config.get("DEBUG") or written_settings(instance).get("DEBUG") or get_debug_flag():
        found.append("DEBUG is on: the debugger shows code, settings and data to whoever meets an error page and "
                     "lets them run code on the server. Set DEBUG = False (and do not set FLASK_DEBUG).")
    if config.get("TESTING"):
        found.append("TESTING is on: errors are passed through instead of answered with a plain page. "
                     "Set TESTING = False.")
    found += _transport(config)
    found += _cookies(config)
    found += _nodes(config)
    found += _secrets(config)
    found += _file_modes(instance, config)
    return found


def _transport(config) -> list[str]:
    url = str(config.get("PUBLIC_URL", ""))
    if is_local(url):
        return []
    if urlsplit(url).scheme != "https":
        return [f"PUBLIC_URL is {url!r}, not HTTPS: codes and answers would cross the network readable. Serve "
                "through the reverse proxy with TLS and set PUBLIC_URL = 'https://…'."]
    found = []
    if not config.get("SESSION_COOKIE_SECURE"):
        found.append("SESSION_COOKIE_SECURE is off behind HTTPS: a browser would also send the session cookie (the "
                     "answers in progress) over plain HTTP. Set SESSION_COOKIE_SECURE = True.")
    if int(config.get("HSTS_SECONDS") or 0) < HSTS_MINIMUM:
        found.append(f"HSTS is off or shorter than a year (HSTS_SECONDS = {config.get('HSTS_SECONDS')}): a phone "
                     "could be sent to a plain-HTTP copy of the survey once. Set HSTS_SECONDS = 31536000.")
    return found


def _cookies(config) -> list[str]:
    found = []
    if not config.get("SESSION_COOKIE_HTTPONLY"):
        found.append("SESSION_COOKIE_HTTPONLY is off: scripts could read the session cookie. Set it to True.")
    if str(config.get("SESSION_COOKIE_SAMESITE")) not in ("Lax", "Strict"):
        found.append(f"SESSION_COOKIE_SAMESITE is {config.get('SESSION_COOKIE_SAMESITE')!r}: other sites could send "
                     "forms with the session. Set it to 'Lax'.")
    return found


def _nodes(config) -> list[str]:
    nodes = int(config.get("APP_NODES") or 1)
    if nodes > 1 and sqlite_file(str(config["SQLALCHEMY_DATABASE_URI"])) is not None:
        return [f"APP_NODES is {nodes}, but the database is the embedded SQLite file, which only processes on one "
                f"machine can share safely. Set {DATABASE_ENV} to the PostgreSQL database, or APP_NODES = 1."]
    return []


def _secrets(config) -> list[str]:
    weak = [name for name in ("SECRET_KEY", "TOKEN_PEPPER") if len(str(config.get(name) or "")) < 32]
    if weak:
        return [f"{' and '.join(weak)} missing or shorter than 32 characters: `wir-survey init` writes random ones "
                "into a new instance's config.py."]
    return []


def _file_modes(instance: Path, config) -> list[str]:
    """The configuration, the keys and the database file must be the owner's alone."""
    candidates = [instance, instance / "config.py", Path(str(config["KEYS_DIR"]))]
    keys = Path(str(config["KEYS_DIR"]))
    if keys.is_dir():
        candidates += sorted(keys.iterdir())
    database = sqlite_file(str(config["SQLALCHEMY_DATABASE_URI"]))
    if database is not None:
        candidates.append(database)
    found = []
    for path in candidates:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            wanted = "700" if path.is_dir() else "600"
            found.append(f"{path} can be read by other accounts on this server (mode {mode:03o}): "
                         f"`chmod {wanted} {path}`.")
    return found
