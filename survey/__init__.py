"""wir-survey: anonymous employee surveys for the city administration (WIR2.0)."""
from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask

from . import config as settings
from . import i18n
from .cookie_session import EncryptedCookieSessionInterface
from .extensions import babel, csrf, db
from .failsafe import NoTraceOfFailures
from .i18n import select_locale


def create_app(test_config: Mapping[str, object] | None = None) -> Flask:
    """Application factory: defaults, then `<instance>/config.py`, then the test mapping."""
    instance = settings.instance_path()
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    app.config.from_mapping(settings.DEFAULTS)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.database_url(instance)
    app.config["KEYS_DIR"] = str(settings.keys_dir(instance))
    app.config["RELEASES_DIR"] = str(instance / "releases")
    app.config.from_pyfile("config.py", silent=True)
    if test_config is not None:
        app.config.from_mapping(test_config)
    _engine_options(app)

    _silence_request_logging(app)
    app.wsgi_app = NoTraceOfFailures(app.wsgi_app)
    app.session_interface = EncryptedCookieSessionInterface()
    db.init_app(app)
    from .office import upload_limits

    app.before_request(upload_limits)  # before CSRF protection reads the form
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    from . import security

    security.init_app(app)

    from . import assets

    assets.init_app(app)

    from .respond import bp as respond_bp

    app.register_blueprint(respond_bp)

    from .info import bp as info_bp

    app.register_blueprint(info_bp)

    from .health import bp as health_bp

    app.register_blueprint(health_bp)

    from .auth import bp as auth_bp

    app.register_blueprint(auth_bp)

    from .council import bp as council_bp

    app.register_blueprint(council_bp)

    from .office import bp as office_bp

    app.register_blueprint(office_bp)

    from .hr import bp as hr_bp

    app.register_blueprint(hr_bp)

    from .admin import bp as admin_bp

    app.register_blueprint(admin_bp)

    from .cli import register

    register(app)

    i18n.install(app)

    return app


def _silence_request_logging(app: Flask) -> None:
    """No request is ever logged: Werkzeug's access log would write the client address (G1), and
    Flask-WTF notes every refused form, a line that marks when someone was on the respondent pages.
    Flask's own logger writes "Exception on /submit [POST]" with a traceback whose SQL carries the
    code's HMAC, at the time someone submitted; failures show a friendly page instead (respond.routes)."""
    for name in ("werkzeug", "flask_wtf.csrf"):
        logging.getLogger(name).disabled = True
    app.logger.disabled = True


def _engine_options(app: Flask) -> None:
    """SQLite waits `SQLITE_BUSY_TIMEOUT_SECONDS` for a lock held by another writer before a request
    gives up (and the respondent sees the "try again" page). PostgreSQL connections are tested before
    use: after a database restart or a dropped connection a node reconnects instead of failing one
    request per worker. An instance's own engine options win."""
    url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": float(app.config["SQLITE_BUSY_TIMEOUT_SECONDS"]),
                                   **options.get("connect_args", {})}
    elif url.startswith("postgresql"):
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
