"""wir-survey: anonymous employee surveys for the city administration (WIR2.0)."""
from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask, request, session

from . import config as settings
from .extensions import babel, csrf, db
from .cookie_session import EncryptedCookieSessionInterface

RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ku", "ps", "ur"})
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English", "tr": "Türkçe", "ar": "العربية", "uk": "Українська"}


def create_app(test_config: Mapping[str, object] | None = None) -> Flask:
    """Application factory: defaults, then `<instance>/config.py`, then the test mapping."""
    instance = settings.instance_path()
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    app.config.from_mapping(settings.DEFAULTS)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.database_url(instance)
    app.config["KEYS_DIR"] = str(settings.keys_dir(instance))
    app.config.from_pyfile("config.py", silent=True)
    if test_config is not None:
        app.config.from_mapping(test_config)

    _silence_request_logging()
    app.session_interface = EncryptedCookieSessionInterface()
    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    from . import security

    security.init_app(app)

    from .respond import bp as respond_bp

    app.register_blueprint(respond_bp)

    from .cli import register

    register(app)

    @app.context_processor
    def _language_context() -> dict[str, object]:
        lang = select_locale()
        return {
            "lang": lang,
            "text_direction": "rtl" if lang in RTL_LANGUAGES else "ltr",
            "language_links": [(code, LANGUAGE_NAMES.get(code, code)) for code in app.config["LANGUAGES"]],
            "language_url": language_url,
        }

    return app


def select_locale() -> str:
    """The respondent's chosen language, else the browser's preference, else German."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang") if session else None
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def language_url(code: str) -> str:
    """The current page in another language; after a POST, the start page (a POST cannot be repeated)."""
    from flask import url_for

    if request.method == "GET" and request.endpoint:
        return url_for(request.endpoint, **(request.view_args or {}), lang=code)
    return url_for("respond.start", lang=code)


def _silence_request_logging() -> None:
    """No request is ever logged: Werkzeug's access log would write the client address (G1), and
    Flask-WTF notes every refused form, a line that marks when someone was on the respondent pages."""
    for name in ("werkzeug", "flask_wtf.csrf"):
        logging.getLogger(name).disabled = True
