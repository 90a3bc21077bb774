"""Which texts respondents can meet, in which language, and which translations are still drafts.

German is the source. Respondent pages speak every language in `survey.i18n.LANGUAGES`, so every
interface string they can show (templates of the respondent flow, its forms, the trust pages) needs
a catalogue entry in each of them. A translation nobody has reviewed yet carries the flag
`#, draft` in its catalogue (questionnaires list such languages under `machine_translated`); the
flag is removed when a reviewer has checked it, by hand or with `wir-survey translations reviewed`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from .i18n import SOURCE_LANGUAGE, catalogue_locale

PACKAGE = Path(__file__).parent
TRANSLATIONS = PACKAGE / "translations"
DRAFT = "draft"

#: Where respondent-facing interface text is written (paths relative to survey/).
RESPONDENT_SOURCES = [
    ("respond/**.py", "python"),
    ("templates/base.html", "jinja2"),
    ("templates/respond/**.html", "jinja2"),
    ("templates/info/**.html", "jinja2"),
]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}


def respondent_messages() -> dict[str, list[str]]:
    """Every msgid a respondent page can show, with where it is written."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        PACKAGE, method_map=RESPONDENT_SOURCES, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append(f"survey/{filename}:{lineno}")
    return found


def catalogue_path(language: str) -> Path:
    return TRANSLATIONS / catalogue_locale(language) / "LC_MESSAGES" / "messages.po"


def read_catalogue(language: str) -> Catalog:
    with catalogue_path(language).open("rb") as fh:
        return read_po(fh)


@dataclass
class LanguageStatus:
    language: str
    needed: int
    missing: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


def interface_status(language: str, needed: dict[str, list[str]] | None = None) -> LanguageStatus:
    """How far the catalogue of `language` covers the respondent interface."""
    needed = respondent_messages() if needed is None else needed
    status = LanguageStatus(language, len(needed))
    if language == SOURCE_LANGUAGE:
        return status
    if not catalogue_path(language).is_file():
        status.missing = sorted(needed)
        return status
    messages = {m.id: m for m in read_catalogue(language) if m.id}
    for msgid in needed:
        message = messages.get(msgid)
        if message is None or message.fuzzy or not (message.string or "").strip():
            status.missing.append(msgid)
        elif DRAFT in message.flags:
            status.drafts.append(msgid)
    return status


def mark_reviewed(language: str) -> int:
    """Drop the draft flag from every entry of `language`'s catalogue; returns how many had it."""
    catalog = read_catalogue(language)
    count = 0
    for message in catalog:
        if DRAFT in message.flags:
            message.flags.discard(DRAFT)
            count += 1
    if count:
        with catalogue_path(language).open("wb") as fh:
            write_po(fh, catalog, width=76)
    return count


MACHINE_LINE = re.compile(r"^machine_translated:\s*\[(?P<items>[^\]]*)\]\s*$", re.MULTILINE)


def mark_questionnaire_reviewed(path: Path, language: str) -> bool:
    """Remove `language` from the file's `machine_translated` list (a one-line flow list)."""
    text = path.read_text(encoding="utf-8")
    match = MACHINE_LINE.search(text)
    if match is None:
        return False
    items = [item.strip() for item in match["items"].split(",") if item.strip()]
    if language not in items:
        return False
    items.remove(language)
    path.write_text(text[: match.start()] + f"machine_translated: [{', '.join(items)}]" + text[match.end():],
                    encoding="utf-8")
    return True
