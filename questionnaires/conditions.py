"""The rule language for ``show_if`` and derived variables.

Conditions are plain frozen dataclasses evaluated by ordinary code, so a
questionnaire file can never run anything: no ``eval``, no expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence, Union

AnswerValue = Union[str, tuple[str, ...], list[str]]
Answers = Mapping[str, AnswerValue]


def chosen_codes(answers: Answers, name: str) -> tuple[str, ...]:
    """Return the codes chosen for ``name``; skipped questions give ``()``.

    Empty strings and empty lists count as skipped, because a form that was
    left alone submits exactly those.
    """
    value = answers.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(code for code in value if code)


@dataclass(frozen=True)
class Equals:
    """True when exactly the code ``value`` was chosen for ``question``."""

    question: str
    value: str

    def evaluate(self, answers: Answers) -> bool:
        return chosen_codes(answers, self.question) == (self.value,)

    def references(self) -> frozenset[str]:
        return frozenset({self.question})


@dataclass(frozen=True)
class In:
    """True when exactly one code was chosen and it is among ``values``."""

    question: str
    values: tuple[str, ...]

    def evaluate(self, answers: Answers) -> bool:
        codes = chosen_codes(answers, self.question)
        return len(codes) == 1 and codes[0] in self.values

    def references(self) -> frozenset[str]:
        return frozenset({self.question})


@dataclass(frozen=True)
class Includes:
    """True when the codes chosen for a multi question contain ``value``."""

    question: str
    value: str

    def evaluate(self, answers: Answers) -> bool:
        return self.value in chosen_codes(answers, self.question)

    def references(self) -> frozenset[str]:
        return frozenset({self.question})


@dataclass(frozen=True)
class Answered:
    """True when anything was chosen, "prefer not to say" included."""

    question: str

    def evaluate(self, answers: Answers) -> bool:
        return bool(chosen_codes(answers, self.question))

    def references(self) -> frozenset[str]:
        return frozenset({self.question})


@dataclass(frozen=True)
class All:
    """True when every condition holds (and for an empty list)."""

    conditions: tuple["Condition", ...]

    def evaluate(self, answers: Answers) -> bool:
        return all(c.evaluate(answers) for c in self.conditions)

    def references(self) -> frozenset[str]:
        return _union(self.conditions)


@dataclass(frozen=True)
class Any:
    """True when at least one condition holds."""

    conditions: tuple["Condition", ...]

    def evaluate(self, answers: Answers) -> bool:
        return any(c.evaluate(answers) for c in self.conditions)

    def references(self) -> frozenset[str]:
        return _union(self.conditions)


@dataclass(frozen=True)
class Not:
    """True when the inner condition does not hold."""

    condition: "Condition"

    def evaluate(self, answers: Answers) -> bool:
        return not self.condition.evaluate(answers)

    def references(self) -> frozenset[str]:
        return self.condition.references()


Condition = Union[Equals, In, Includes, Answered, All, Any, Not]


def _union(conditions: Sequence[Condition]) -> frozenset[str]:
    names: frozenset[str] = frozenset()
    for condition in conditions:
        names |= condition.references()
    return names
