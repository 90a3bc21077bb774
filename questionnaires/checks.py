"""Small shape checks shared by the validator: each reports and carries on.

Reporting instead of raising lets one run list every mistake in a file, so
an editor fixes them all in one go rather than one per attempt.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

from .errors import Problem
from .model import PREFER_NOT, FrozenMap, Option

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
T = TypeVar("T")


def join(path: str, key: str | int) -> str:
    """``sections[1].questions`` style paths, as the problems print them."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def describe(value: Any) -> str:
    """Name a YAML value's type in words a non-programmer recognises."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class Checker:
    """Collects problems for one file while the validator walks it."""

    def __init__(self, file: str, languages: Sequence[str] = ("de",)) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = tuple(languages)
        self._ids: dict[str, str] = {}

    def report(self, path: str, reason: str) -> None:
        self.problems.append(Problem(self.file, path, reason))

    def mapping(
        self,
        value: Any,
        path: str,
        required: Iterable[str],
        optional: Iterable[str] = (),
    ) -> dict[str, Any] | None:
        """A mapping with exactly the allowed keys; typos are reported, not ignored."""
        if not isinstance(value, dict):
            self.report(path, f"must be a mapping (key: value lines), not {describe(value)}")
            return None
        required = tuple(required)
        allowed = required + tuple(optional)
        for key in value:
            if key not in allowed:
                self.report(join(path, str(key)), unknown_key(key, allowed))
        for key in required:
            if key not in value:
                self.report(join(path, key), "required key is missing")
        return value

    def field(self, entry: Mapping[str, Any], key: str, path: str, read: Callable[[Any, str], T]) -> T | None:
        """Read ``entry[key]`` with ``read`` if present; a missing key is reported by ``mapping``."""
        if key not in entry:
            return None
        return read(entry[key], join(path, key))

    def sequence(
        self, value: Any, path: str, minimum: int = 0, what: str = "entry"
    ) -> list[Any] | None:
        if not isinstance(value, list):
            self.report(path, f"must be a list, not {describe(value)}")
            return None
        if len(value) < minimum:
            plural = "s" if minimum > 1 else ""
            self.report(path, f"needs at least {minimum} {what}{plural}, has {len(value)}")
        return value

    def string(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str):
            self.report(path, f"must be text, not {describe(value)}")
            return None
        if not value.strip():
            self.report(path, "must not be empty")
            return None
        return value

    def integer(self, value: Any, path: str, minimum: int = 1) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.report(path, f"must be a whole number, not {describe(value)}")
            return None
        if value < minimum:
            self.report(path, f"must be at least {minimum}")
            return None
        return value

    def identifier(self, value: Any, path: str) -> str | None:
        """An id or code: stored in answers and column names, so kept plain."""
        name = self.string(value, path)
        if name is not None and not ID_PATTERN.match(name):
            self.report(
                path,
                f"{name!r} must start with a lowercase letter and contain only "
                "lowercase letters, digits and underscores",
            )
            return None
        return name

    def claim(self, name: str | None, path: str) -> None:
        """Ids of sections, questions, derived variables and tables share one namespace."""
        if name is None:
            return
        if name in self._ids:
            self.report(path, f"duplicate id {name!r}, already used at {self._ids[name]}")
        else:
            self._ids[name] = path

    def text(self, value: Any, path: str) -> FrozenMap | None:
        """A text in every declared language: no respondent may meet a gap."""
        if not isinstance(value, dict):
            self.report(
                path,
                "must be a mapping from language to text (e.g. de: ..., en: ...), "
                f"not {describe(value)}",
            )
            return None
        ok = True
        for lang in value:
            if lang not in self.languages:
                self.report(
                    join(path, str(lang)), f"language {lang!r} is not declared in languages"
                )
                ok = False
        for lang in self.languages:
            entry = join(path, lang)
            if lang not in value:
                self.report(entry, f"translation missing for declared language {lang!r}")
                ok = False
            elif self.string(value[lang], entry) is None:
                ok = False
        return FrozenMap(value) if ok else None

    def options(
        self, value: Any, path: str, minimum: int = 2, reserve: bool = True
    ) -> tuple[Option, ...] | None:
        """Answer options or categories, with unique codes that never collide with prefer-not."""
        items = self.sequence(value, path, minimum=minimum, what="option")
        if items is None:
            return None
        built: list[Option] = []
        seen: dict[str, str] = {}
        ok = len(items) >= minimum
        for index, item in enumerate(items):
            item_path = join(path, index)
            entry = self.mapping(item, item_path, ("code", "text"))
            if entry is None:
                ok = False
                continue
            code_path = join(item_path, "code")
            code = self.field(entry, "code", item_path, self.identifier)
            label = self.field(entry, "text", item_path, self.text)
            if code is not None and reserve and code == PREFER_NOT:
                self.report(
                    code_path,
                    f"{PREFER_NOT!r} is reserved: it is added to every question automatically",
                )
                code = None
            elif code is not None and code in seen:
                self.report(
                    code_path, f"duplicate option code {code!r}, already used at {seen[code]}"
                )
                code = None
            if code is None or label is None:
                ok = False
                continue
            seen[code] = code_path
            built.append(Option(code, label))
        return tuple(built) if ok else None


def unknown_key(key: Any, allowed: Sequence[str]) -> str:
    """Typo protection: an unknown key is an error, with a suggestion if one is close."""
    reason = f"unknown key {key!r}; allowed here: {', '.join(allowed)}"
    close = difflib.get_close_matches(str(key), allowed, n=1)
    if close:
        reason += f" (did you mean {close[0]!r}?)"
    return reason
