"""Language selection and the Jinja gettext callables, both resolved once per request.

Flask-Babel's own template callables look up the locale and the catalogue on every `_()` call;
a respondent page has about twenty, on phones that wait for every millisecond of server time.
"""
from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_babel import get_translations

RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ku", "ps", "ur"})
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English", "tr": "Türkçe", "ar": "العربية", "uk": "Українська"}


def select_locale() -> str:
    """The respondent's chosen language, else the browser's preference, else German."""
    cached = g.get("_wir_locale")
    if cached is None:
        languages = current_app.config["LANGUAGES"]
        chosen = session.get("lang") if session else None
        if chosen in languages:
            cached = chosen
        else:
            cached = request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
        g._wir_locale = cached
    return cached


def forget_locale() -> None:
    """After the respondent picks a language mid-request, resolve it again."""
    g.pop("_wir_locale", None)
    g.pop("_wir_translations", None)


def _translations():
    translations = g.get("_wir_translations")
    if translations is None:
        translations = g._wir_translations = get_translations()
    return translations


def install(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @app.context_processor
    def _language_context() -> dict[str, object]:
        lang = select_locale()
        return {
            "lang": lang,
            "text_direction": "rtl" if lang in RTL_LANGUAGES else "ltr",
            "language_links": [(code, LANGUAGE_NAMES.get(code, code)) for code in app.config["LANGUAGES"]],
            "language_url": language_url,
        }


def language_url(code: str) -> str:
    """The current page in another language; after a POST, the start page (a POST cannot be repeated)."""
    from flask import url_for

    if request.method == "GET" and request.endpoint:
        return url_for(request.endpoint, **(request.view_args or {}), lang=code)
    return url_for("respond.start", lang=code)
