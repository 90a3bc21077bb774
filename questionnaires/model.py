"""The questionnaire as immutable data.

Everything here is frozen: a questionnaire's hash is approved by the GPR
(G5), so nothing may change it after loading.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping

from .conditions import Answers, AnswerValue, Condition

PREFER_NOT = "prefer_not_to_say"
SOURCE_LANGUAGE = "de"

Text = Mapping[str, str]


class FrozenMap(Mapping[str, object]):
    """A read-only, hashable mapping, so texts can live in frozen dataclasses."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, object] | None = None) -> None:
        self._items: dict[str, object] = dict(items or {})

    def __getitem__(self, key: str) -> object:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._items == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"


def text(mapping: Text, lang: str) -> str:
    """Return the text in ``lang``, falling back to German, the source language."""
    value = mapping.get(lang)
    if value:
        return value
    return mapping[SOURCE_LANGUAGE]


@dataclass(frozen=True)
class Option:
    """One answer choice; ``code`` is what is stored and never changes."""

    code: str
    text: Text


@dataclass(frozen=True)
class Question:
    """One question; ``options`` always ends with "prefer not to say" (G2)."""

    id: str
    kind: str
    text: Text
    options: tuple[Option, ...]
    show_if: Condition | None = None
    help: Text | None = None

    def option_codes(self) -> tuple[str, ...]:
        """Codes in the order they are offered."""
        return tuple(option.code for option in self.options)

    @property
    def is_multi(self) -> bool:
        """Whether several codes may be chosen (checkboxes, not radio buttons)."""
        return self.kind == "multi"


@dataclass(frozen=True)
class Section:
    """A titled group of questions; conditions look back only to earlier sections, so a page break
    can always be placed before a section whose questions depend on answers (no JavaScript needed)."""

    id: str
    title: Text
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Rule:
    """``value`` applies when ``when`` holds."""

    value: str
    when: Condition


@dataclass(frozen=True)
class DerivedVariable:
    """A category computed from answers, e.g. the Microcensus migration background."""

    id: str
    label: Text
    categories: tuple[Option, ...]
    rules: tuple[Rule, ...]
    otherwise: str

    def evaluate(self, values: Answers) -> str:
        """First matching rule wins, so rules read like a decision list."""
        for rule in self.rules:
            if rule.when.evaluate(values):
                return rule.value
        return self.otherwise

    def category_codes(self) -> tuple[str, ...]:
        return tuple(option.code for option in self.categories)


@dataclass(frozen=True)
class TableTemplate:
    """A release table: dimensions are ``stratum.<attribute>``, question or derived ids."""

    id: str
    title: Text
    dimensions: tuple[str, ...]


@dataclass(frozen=True)
class Questionnaire:
    """A loaded, validated questionnaire plus the canonical JSON its hash is taken of."""

    id: str
    version: int
    format: int
    languages: tuple[str, ...]
    title: Text
    introduction: Text
    common_options: Mapping[str, Text]
    sections: tuple[Section, ...]
    derived: tuple[DerivedVariable, ...]
    tables: tuple[TableTemplate, ...]
    machine_translated: frozenset[str]
    canonical: str
    hash: str

    def questions(self) -> tuple[Question, ...]:
        """All questions in the order they are asked."""
        return tuple(q for section in self.sections for q in section.questions)

    def question(self, question_id: str) -> Question:
        """The question with this id; ``KeyError`` if there is none."""
        for q in self.questions():
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def derived_variable(self, variable_id: str) -> DerivedVariable:
        """The derived variable with this id; ``KeyError`` if there is none."""
        for variable in self.derived:
            if variable.id == variable_id:
                return variable
        raise KeyError(variable_id)

    def is_visible(self, question: Question | str, answers: Answers) -> bool:
        """Whether ``question`` is shown, given the answers to visible earlier questions."""
        target = question if isinstance(question, str) else question.id
        self.question(target)
        visible, _ = self._walk(answers, stop_at=target)
        return visible

    def visible_answers(self, answers: Answers) -> dict[str, AnswerValue]:
        """Drop answers to questions hidden by the other answers.

        Use this before sealing: an answer to a question the respondent should
        never have seen (e.g. after going back and changing an earlier answer)
        must not be stored. Hiding is transitive, in question order.
        """
        _, kept = self._walk(answers, stop_at=None)
        return kept

    def derive(self, answers: Answers) -> dict[str, str]:
        """Every derived variable, in order, so later ones may use earlier ones.

        Only visible answers count, so derived values agree with what is sealed.
        """
        values: dict[str, AnswerValue] = dict(self.visible_answers(answers))
        derived: dict[str, str] = {}
        for variable in self.derived:
            derived[variable.id] = variable.evaluate(values)
            values[variable.id] = derived[variable.id]
        return derived

    def validate_answers(self, answers: Mapping[str, object]) -> list[str]:
        """Reasons the submitted answers cannot be stored; empty means fine.

        Skipping is always fine (G2), so missing or empty answers are not reasons.
        """
        reasons: list[str] = []
        known = {q.id: q for q in self.questions()}
        for name, value in answers.items():
            q = known.get(name)
            if q is None:
                reasons.append(f"unknown question {name!r}")
                continue
            reasons.extend(_answer_reasons(q, value))
        return reasons

    text = staticmethod(text)

    def _walk(
        self, answers: Answers, stop_at: str | None
    ) -> tuple[bool, dict[str, AnswerValue]]:
        kept: dict[str, AnswerValue] = {}
        for q in self.questions():
            shown = q.show_if is None or q.show_if.evaluate(kept)
            if q.id == stop_at:
                return shown, kept
            if shown and q.id in answers:
                kept[q.id] = answers[q.id]
        return True, kept


def _answer_reasons(q: Question, value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        codes: tuple[object, ...] = (value,) if value else ()
    elif isinstance(value, (list, tuple)):
        codes = tuple(code for code in value if code != "")
    else:
        return [f"question {q.id!r}: answer must be a code or a list of codes"]
    reasons: list[str] = []
    offered = q.option_codes()
    for code in codes:
        if not isinstance(code, str) or code not in offered:
            reasons.append(f"question {q.id!r}: option {code!r} is not offered")
    if not q.is_multi and len(codes) > 1:
        reasons.append(f"question {q.id!r}: several codes given for a single-choice question")
    if q.is_multi and PREFER_NOT in codes and len(codes) > 1:
        reasons.append(
            f"question {q.id!r}: {PREFER_NOT!r} cannot be combined with other codes"
        )
    if len(set(codes)) != len(codes):
        reasons.append(f"question {q.id!r}: a code is given more than once")
    return reasons


