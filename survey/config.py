"""Where the instance lives and what the app assumes before the instance configuration is read.

Secrets never have defaults here: `wir-survey init` writes them, at random, into
`<instance>/config.py`, which is git-ignored and never lands in the database.
"""
from __future__ import annotations

import os
from pathlib import Path

from .i18n import LANGUAGES, STAFF_LANGUAGES

INSTANCE_ENV = "WIR_SURVEY_INSTANCE"
DATABASE_ENV = "WIR_SURVEY_DATABASE_URL"
PASSPHRASE_ENV = "WIR_SURVEY_PASSPHRASE"

#: Settings a fresh instance starts from; `<instance>/config.py` and test mappings override them.
DEFAULTS: dict[str, object] = {
    # Respondent pages: small bodies only; a questionnaire page is a few hundred bytes.
    "MAX_CONTENT_LENGTH": 16 * 1024,
    "MAX_FORM_MEMORY_SIZE": 16 * 1024,
    # The strata file a staff member uploads on the "new wave" page (only that page accepts more).
    "STRATA_UPLOAD_BYTES": 2 * 1024 * 1024,
    # Strata below this headcount could identify people (DESIGN.md section 5).
    "MIN_STRATUM_SIZE": 20,
    # The pool is flushed into the response store once this many answers wait (section 6).
    "POOL_FLUSH_THRESHOLD": 20,
    # Mistyped codes answered per minute and server process, and how many may come at once, before
    # a wait page (429) appears. One limit for everyone: no address or time is kept (section 5).
    # A code that exists is never held up by it.
    "UNKNOWN_CODES_PER_MINUTE": 30,
    "UNKNOWN_CODES_BURST": 10,
    # How long a request waits for a locked SQLite file before it gives up with the "try again" page;
    # well below gunicorn's 30 s worker timeout, whose kill of a stuck worker would be logged.
    "SQLITE_BUSY_TIMEOUT_SECONDS": 15,
    # Answers in progress expire on the device after this long without a page change.
    "SESSION_TTL_SECONDS": 3 * 3600,
    # Where respondents and staff reach the survey (codes' URLs are built from it) and where this node
    # listens; `wir-survey init` writes PORT and PUBLIC_URL into the instance configuration.
    "PUBLIC_URL": "http://127.0.0.1:5000",
    "PORT": 5000,
    "BIND_ADDRESS": "127.0.0.1",
    # How many app nodes serve this database (SQLite allows one; `wir-survey config check`).
    "APP_NODES": 1,
    # Strict-Transport-Security max-age sent by the app; production behind HTTPS needs a year or more.
    "HSTS_SECONDS": 0,
    # Respondent pages offer every language of survey.i18n; staff pages German and English.
    "LANGUAGES": LANGUAGES,
    "STAFF_LANGUAGES": STAFF_LANGUAGES,
    "BABEL_DEFAULT_LOCALE": "de",
    "SESSION_COOKIE_NAME": "wir",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    # The CSRF token lives in the session; the session's own expiry bounds it.
    "WTF_CSRF_TIME_LIMIT": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    # Facts for the header and the trust pages (accessibility statement, privacy notice, imprint,
    # contact). Set them in <instance>/config.py; an empty contact says where else to look.
    "CITY_NAME": "Landeshauptstadt Hannover",
    "OPERATOR": "Landeshauptstadt Hannover, Statistikstelle",
    "OPERATOR_ADDRESS": "",
    "OPERATOR_REPRESENTATIVE": "",
    "CONTACT_EMAIL": "",
    "CONTACT_PHONE": "",
    "DATA_PROTECTION_OFFICER": "",
    "ACCESSIBILITY_CONTACT": "",
    "ACCESSIBILITY_STATEMENT_DATE": "2026-11-22",
    "ACCESSIBILITY_ENFORCEMENT": "Schlichtungsstelle nach § 9d NBGG beim Landesbeauftragten für Menschen mit Behinderungen, Niedersachsen",
    "DATA_PROTECTION_AUTHORITY": "Die Landesbeauftragte für den Datenschutz Niedersachsen",
}


def instance_path() -> Path:
    """The instance folder: `$WIR_SURVEY_INSTANCE`, else `instance/` in the working directory."""
    return Path(os.environ.get(INSTANCE_ENV) or "instance").resolve()


def database_url(instance: Path) -> str:
    """`$WIR_SURVEY_DATABASE_URL`, else the embedded SQLite file in the instance folder."""
    return os.environ.get(DATABASE_ENV) or f"sqlite:///{instance / 'wir-survey.sqlite'}"


def written_settings(instance: Path) -> dict[str, object]:
    """`<instance>/config.py` as the file has it, without building the app: gunicorn reads its bind
    before any app exists, and Flask's CLI overrides DEBUG from FLASK_DEBUG in the app it builds."""
    from flask import Config

    values = Config(str(instance))
    values.from_pyfile("config.py", silent=True)
    return dict(values)


def keys_dir(instance: Path) -> Path:
    return instance / "keys"
