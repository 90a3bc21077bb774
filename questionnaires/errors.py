"""Errors that name the file, the place inside it and what is wrong.

Questionnaire files are edited by the AGG Complaints Commission and the
Statistics Office, not by programmers, so every problem is reported at once
and in words a careful reader can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in one questionnaire file."""

    file: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '(top)'}: {self.reason}"


class QuestionnaireError(Exception):
    """A questionnaire could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class UnsupportedFormatError(QuestionnaireError):
    """The file's ``format`` is missing or not one this loader understands.

    One error type for every unknown version, so callers can tell "this file
    is from the future" apart from "this file has mistakes".
    """
