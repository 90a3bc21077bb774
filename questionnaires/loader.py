"""Reading questionnaire files from disk or from stored canonical JSON.

YAML 1.1 would read the option codes ``yes``/``no`` as booleans, so files
are parsed with a loader that knows only ``true``/``false`` as booleans and
refuses duplicate keys (a silent overwrite would hide a typo).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

from .errors import Problem, QuestionnaireError, UnsupportedFormatError
from .model import Questionnaire
from .validator import build

SUFFIXES = (".yaml", ".yml")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's yes/no/on/off booleans and with duplicate-key errors."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:
                duplicate = False
            if duplicate:
                raise ConstructorError(
                    "while reading a mapping", node.start_mark,
                    f"found the key {key!r} twice", key_node.start_mark,
                )
            try:
                seen.add(key)
            except TypeError:
                pass
        return super().construct_mapping(node, deep=deep)


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def parse_yaml(text: str, file: str) -> Any:
    """Parse YAML text; a syntax error becomes a Problem with line and column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        what = exc.problem or exc.context or "invalid YAML"
        raise QuestionnaireError([Problem(file, "", f"YAML syntax error at {where}: {what}")]) from None
    except yaml.YAMLError as exc:
        raise QuestionnaireError([Problem(file, "", f"YAML syntax error: {exc}")]) from None


def load_file(path: str | Path) -> Questionnaire:
    """Load and validate one definition; its id must equal the file name stem."""
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionnaireError([Problem(file, "", f"cannot read the file: {exc}")]) from None
    return build(parse_yaml(text, file), file, expected_id=path.stem)


def load_mapping(data: Mapping[str, Any], source: str) -> Questionnaire:
    """Build from already-parsed data, e.g. the canonical JSON stored with a wave."""
    return build(data, source)


def load_directory(path: str | Path) -> dict[str, Questionnaire]:
    """Load every ``*.yaml`` in ``path``; all problems of all files are raised together."""
    found: dict[str, Questionnaire] = {}
    problems: list[Problem] = []
    only_format = True
    for file in sorted(p for p in Path(path).iterdir() if p.suffix in SUFFIXES and p.is_file()):
        try:
            questionnaire = load_file(file)
        except QuestionnaireError as exc:
            problems.extend(exc.problems)
            only_format = only_format and isinstance(exc, UnsupportedFormatError)
            continue
        if questionnaire.id in found:
            reason = f"questionnaire {questionnaire.id!r} is defined twice in {path}"
            problems.append(Problem(str(file), "id", reason))
            only_format = False
            continue
        found[questionnaire.id] = questionnaire
    if problems:
        raise (UnsupportedFormatError if only_format else QuestionnaireError)(problems)
    return found


def definitions_dir() -> Path:
    """The definitions shipped with the package."""
    return Path(__file__).resolve().parent / "definitions"


def load_builtin() -> dict[str, Questionnaire]:
    """The shipped questionnaires by id."""
    return load_directory(definitions_dir())
