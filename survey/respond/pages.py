"""How a questionnaire's sections are laid out on pages: as few pages as work without JavaScript.

Consecutive sections share a page, except where a question's `show_if` depends on an answer given
on the same page (without script the page cannot react, so the condition needs a page break) or
where the page would get longer than is comfortable to scroll on a phone.
"""
from __future__ import annotations

from questionnaires import Questionnaire, Section

MAX_QUESTIONS_PER_PAGE = 8

Page = tuple[Section, ...]
_PAGES: dict[str, tuple[Page, ...]] = {}


def pages_of(questionnaire: Questionnaire) -> tuple[Page, ...]:
    pages = _PAGES.get(questionnaire.hash)
    if pages is None:
        pages = _PAGES[questionnaire.hash] = _layout(questionnaire)
    return pages


def _layout(questionnaire: Questionnaire) -> tuple[Page, ...]:
    derived_ids = {d.id for d in questionnaire.derived}
    pages: list[Page] = []
    current: list[Section] = []
    on_page: set[str] = set()
    for section in questionnaire.sections:
        depends_on = set().union(*(q.show_if.references() for q in section.questions if q.show_if))
        # A derived variable may rest on answers from this page, so depending on one also breaks the page.
        needs_break = bool(depends_on & on_page or depends_on & derived_ids)
        too_long = sum(len(s.questions) for s in current) + len(section.questions) > MAX_QUESTIONS_PER_PAGE
        if current and (needs_break or too_long):
            pages.append(tuple(current))
            current, on_page = [], set()
        current.append(section)
        on_page |= {q.id for q in section.questions}
    if current:
        pages.append(tuple(current))
    return tuple(pages)
