"""Languages: which one a page speaks, how it is chosen, and the Jinja gettext callables.

Respondent pages speak every language in `LANGUAGES` (German is the source); staff pages speak
`STAFF_LANGUAGES` only, since their catalogue entries are translated for those alone. A language is
named by its BCP 47 tag everywhere (URLs, the session, questionnaire files, the `lang` attribute);
Leichte Sprache, a German variant with no tag of its own, is `de-x-ls`, and its gettext catalogue is
`de@ls` (a gettext modifier, as in `sr@latin`).

Flask-Babel's own template callables look up the locale and the catalogue on every `_()` call;
a respondent page has about twenty, on phones that wait for every millisecond of server time, so
both are resolved once per request here.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, request, session, url_for
from flask_babel import force_locale, get_translations

#: Every language a respondent can choose, in the order the switcher shows them.
LANGUAGES = ("de", "de-x-ls", "en", "tr", "ar", "uk", "ru", "pl")
STAFF_LANGUAGES = ("de", "en")
SOURCE_LANGUAGE = "de"
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ku", "ps", "ur"})

#: Each language named in its own script, as the switcher shows it.
LANGUAGE_NAMES = {
    "de": "Deutsch",
    "de-x-ls": "Leichte Sprache",
    "en": "English",
    "tr": "Türkçe",
    "ar": "العربية",
    "uk": "Українська",
    "ru": "Русский",
    "pl": "Polski",
}

#: Tags whose gettext catalogue has another name than the tag itself.
CATALOGUES = {"de-x-ls": "de@ls"}


def catalogue_locale(tag: str) -> str:
    """The Babel/gettext locale of a language tag (`de-x-ls` -> `de@ls`)."""
    return CATALOGUES.get(tag, tag.replace("-", "_"))


def offered_languages() -> tuple[str, ...]:
    """The languages this page may speak: staff pages offer fewer than respondent pages."""
    from .auth.errors import is_staff_path

    return tuple(current_app.config["STAFF_LANGUAGES"] if is_staff_path() else current_app.config["LANGUAGES"])


def current_language() -> str:
    """The page's language tag: the one chosen, else the browser's preference, else German."""
    cached = g.get("_wir_language")
    if cached is None:
        offered = offered_languages()
        chosen = session.get("lang") if session else None
        if chosen in offered:
            cached = chosen
        else:
            cached = request.accept_languages.best_match(offered) or current_app.config["BABEL_DEFAULT_LOCALE"]
        g._wir_language = cached
    return cached


def select_locale() -> str:
    """Flask-Babel's locale selector: the catalogue of the page's language."""
    return catalogue_locale(current_language())


def choose_language(tag: str) -> bool:
    """Keep `tag` as the respondent's choice (when offered) for the rest of the visit."""
    if tag not in current_app.config["LANGUAGES"]:
        return False
    session["lang"] = tag
    g.pop("_wir_language", None)
    g.pop("_wir_translations", None)
    return True


@contextmanager
def speaking(tag: str) -> Iterator[None]:
    """Render in `tag`'s catalogue for a while (e.g. a questionnaire preview), whatever the page speaks."""
    saved = g.pop("_wir_translations", None)
    try:
        with force_locale(catalogue_locale(tag)):
            yield
    finally:
        g.pop("_wir_translations", None)
        if saved is not None:
            g._wir_translations = saved


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

    @app.before_request
    def _language_from_query() -> None:
        tag = request.args.get("lang")
        if tag:
            choose_language(tag)

    @app.context_processor
    def _language_context() -> dict[str, object]:
        lang = current_language()
        return {
            "lang": lang,
            "language_name": LANGUAGE_NAMES.get(lang, lang),
            "text_direction": "rtl" if lang.split("-")[0] in RTL_LANGUAGES else "ltr",
            "language_links": [(tag, LANGUAGE_NAMES.get(tag, tag)) for tag in offered_languages()],
            "language_url": language_url,
        }


def language_url(tag: str) -> str:
    """The current page in another language; after a POST, the start page (a POST cannot be repeated)."""
    if request.method == "GET" and request.endpoint:
        return url_for(request.endpoint, **(request.view_args or {}), lang=tag)
    return url_for("respond.start", lang=tag)
