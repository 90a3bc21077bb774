"""Broken definition files: every problem names the file, the exact path and the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from questionnaires import (
    PREFER_NOT,
    Problem,
    QuestionnaireError,
    UnsupportedFormatError,
    load_directory,
    load_file,
    load_mapping,
)

Mutation = Callable[[dict[str, Any]], None]


def q(data: dict[str, Any], section: int, question: int) -> dict[str, Any]:
    return data["sections"][section]["questions"][question]


def set_in(mapping: dict[str, Any], key: str, value: Any) -> None:
    mapping[key] = value


def second_derived(data: dict[str, Any], rule_when: dict[str, Any]) -> None:
    extra = {**data["derived"][0], "id": "local_again", "rules": [{"value": "yes", "when": rule_when}]}
    data["derived"].append(extra)


def only_problem(path: Path, loader: Callable[[Path], Any] = load_file) -> Problem:
    with pytest.raises(QuestionnaireError) as info:
        loader(path)
    problems = info.value.problems
    assert len(problems) == 1, str(info.value)
    assert problems[0].file == str(path)
    assert str(info.value) == str(problems[0])
    return problems[0]


BROKEN: list[tuple[str, Mutation, str, str]] = [
    ("missing required key", lambda d: q(d, 0, 1).pop("text"),
     "sections[0].questions[1].text", "required key is missing"),
    ("unknown key", lambda d: set_in(q(d, 1, 0), "show_iff", q(d, 1, 0).pop("show_if")),
     "sections[1].questions[0].show_iff", "unknown key 'show_iff'; allowed here: id, kind, text, options, help, show_if (did you mean 'show_if'?)"),
    ("wrong type of version", lambda d: set_in(d, "version", "one"),
     "version", "must be a whole number, not text"),
    ("wrong type of title", lambda d: set_in(d, "title", ["Titel"]),
     "title", "must be a mapping from language to text (e.g. de: ..., en: ...), not a list"),
    ("German missing", lambda d: set_in(d, "languages", ["en"]),
     "languages", "German (de) is required: it is the source language"),
    ("missing translation", lambda d: q(d, 0, 1)["options"][1]["text"].pop("en"),
     "sections[0].questions[1].options[1].text.en", "translation missing for declared language 'en'"),
    ("empty translation", lambda d: set_in(q(d, 0, 0)["text"], "de", "  "),
     "sections[0].questions[0].text.de", "must not be empty"),
    ("undeclared language", lambda d: set_in(d["title"], "fr", "Titre"),
     "title.fr", "language 'fr' is not declared in languages"),
    ("duplicate question id", lambda d: set_in(q(d, 1, 0), "id", "colour"),
     "sections[1].questions[0].id", "duplicate id 'colour', already used at sections[0].questions[1].id"),
    ("table id reuses a section id", lambda d: set_in(d["tables"][0], "id", "first"),
     "tables[0].id", "duplicate id 'first', already used at sections[0].id"),
    ("duplicate option code", lambda d: set_in(q(d, 0, 1)["options"][1], "code", "red"),
     "sections[0].questions[1].options[1].code", "duplicate option code 'red', already used at sections[0].questions[1].options[0].code"),
    ("bad option code", lambda d: set_in(q(d, 0, 1)["options"][0], "code", "Red Wine"),
     "sections[0].questions[1].options[0].code", "'Red Wine' must start with a lowercase letter and contain only lowercase letters, digits and underscores"),
    ("reserved option code", lambda d: set_in(q(d, 0, 1)["options"][0], "code", PREFER_NOT),
     "sections[0].questions[1].options[0].code", "'prefer_not_to_say' is reserved: it is added to every question automatically"),
    ("free text", lambda d: set_in(q(d, 0, 1), "kind", "free_text"),
     "sections[0].questions[1].kind", "unknown kind 'free_text'; use one of yes_no, single, multi, scale (free text is not offered because it identifies people)"),
    ("yes_no with options", lambda d: set_in(q(d, 0, 0), "options", q(d, 0, 1)["options"]),
     "sections[0].questions[0].options", "yes_no questions must not list options"),
    ("single with one option", lambda d: q(d, 0, 1)["options"].pop(),
     "sections[0].questions[1].options", "needs at least 2 options, has 1"),
    ("multi without options", lambda d: q(d, 1, 0).pop("options"),
     "sections[1].questions[0].options", "required key is missing: multi questions list their options"),
    ("show_if unknown question", lambda d: set_in(q(d, 1, 0)["show_if"], "question", "nobody"),
     "sections[1].questions[0].show_if.question", "unknown question 'nobody'"),
    ("show_if same section", lambda d: set_in(q(d, 0, 1), "show_if", {"question": "born_here", "equals": "yes"}),
     "sections[0].questions[1].show_if.question", "question 'born_here' is in the same or a later section; a condition may only depend on earlier sections"),
    ("show_if later section", lambda d: set_in(q(d, 0, 0), "show_if", {"answered": "pets"}),
     "sections[0].questions[0].show_if.answered", "question 'pets' is in the same or a later section"),
    ("show_if value not offered", lambda d: set_in(q(d, 1, 0)["show_if"], "equals", "maybe"),
     "sections[1].questions[0].show_if.equals", "'maybe' is not an option of question 'born_here' (options: yes, no, prefer_not_to_say)"),
    ("show_if value in a list", lambda d: set_in(q(d, 1, 0), "show_if", {"any": [{"question": "colour", "in": ["red", "green"]}]}),
     "sections[1].questions[0].show_if.any[0].in[1]", "'green' is not an option of question 'colour' (options: red, blue, prefer_not_to_say)"),
    ("includes on a single question", lambda d: set_in(q(d, 1, 0), "show_if", {"question": "colour", "includes": "red"}),
     "sections[1].questions[0].show_if.includes", "includes works only with a multi question; 'colour' takes one answer, use equals"),
    ("unknown condition operator", lambda d: set_in(q(d, 1, 0), "show_if", {"not": {"anwsered": "colour"}}),
     "sections[1].questions[0].show_if.not.anwsered", "unknown key 'anwsered'"),
    ("derived rule unknown question", lambda d: set_in(d["derived"][0]["rules"][0]["when"], "question", "nobody"),
     "derived[0].rules[0].when.question", "unknown question or derived variable 'nobody'"),
    ("derived rule uses a later derived variable",
     lambda d: (second_derived(d, {"answered": "colour"}),
                set_in(d["derived"][0]["rules"][0], "when", {"question": "local_again", "equals": "yes"})),
     "derived[0].rules[0].when.question", "derived variable 'local_again' is not defined before this one"),
    ("derived rule value not a category", lambda d: set_in(d["derived"][0]["rules"][1], "value", "maybe"),
     "derived[0].rules[1].value", "'maybe' is not one of the categories (yes, no, unknown)"),
    ("derived condition value not a category of an earlier variable",
     lambda d: second_derived(d, {"question": "local", "equals": "perhaps"}),
     "derived[1].rules[0].when.equals", "'perhaps' is not an option of derived variable 'local' (options: yes, no, unknown)"),
    ("a broken derived variable is reported once, not again where it is used",
     lambda d: (second_derived(d, {"question": "local", "equals": "yes"}),
                set_in(d["derived"][0], "otherwise", "dont_know")),
     "derived[0].otherwise", "'dont_know' is not one of the categories (yes, no, unknown)"),
    ("otherwise not a category", lambda d: set_in(d["derived"][0], "otherwise", "dont_know"),
     "derived[0].otherwise", "'dont_know' is not one of the categories (yes, no, unknown)"),
    ("table without dimensions", lambda d: set_in(d["tables"][0], "dimensions", []),
     "tables[0].dimensions", "a table has 1 to 3 dimensions, this one has 0"),
    ("table with four dimensions",
     lambda d: set_in(d["tables"][0], "dimensions", ["stratum.group", "stratum.department", "colour", "local"]),
     "tables[0].dimensions", "a table has 1 to 3 dimensions, this one has 4"),
    ("table with an unknown dimension", lambda d: set_in(d["tables"][0], "dimensions", ["stratum.group", "locale"]),
     "tables[0].dimensions[1]", "unknown dimension 'locale': use stratum.<attribute>, a question id or a derived variable id"),
    ("machine translation of an undeclared language", lambda d: set_in(d, "machine_translated", ["fr"]),
     "machine_translated[0]", "language 'fr' is not declared in languages"),
    ("unknown top-level key", lambda d: set_in(d, "tabels", []),
     "tabels", "did you mean 'tables'?"),
]


@pytest.mark.parametrize(("mutate", "where", "reason"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN])
def test_broken_definition_names_file_path_and_reason(
    minimal: dict[str, Any], write_definition: Callable[..., Path], mutate: Mutation, where: str, reason: str
) -> None:
    mutate(minimal)
    path = write_definition(minimal)
    problem = only_problem(path)
    assert problem.path == where
    assert reason in problem.reason
    assert str(problem).startswith(f"{path}: {where}: ")


def test_the_minimal_definition_is_valid(minimal: dict[str, Any], write_definition: Callable[..., Path]) -> None:
    loaded = load_file(write_definition(minimal))
    assert loaded.id == "mini"
    assert [question.id for question in loaded.questions()] == ["born_here", "colour", "pets"]


def test_file_name_must_match_id(minimal: dict[str, Any], write_definition: Callable[..., Path]) -> None:
    path = write_definition(minimal, name="other")
    problem = only_problem(path)
    assert (problem.path, problem.reason) == (
        "id", "id 'mini' does not match the file name 'other'; the file must be called mini.yaml"
    )


def test_yaml_syntax_error_gives_line_and_column(write_definition: Callable[..., Path]) -> None:
    path = write_definition("format: 1\nid: mini\ntitle: {de: Titel, en: [unclosed\n")
    problem = only_problem(path)
    assert problem.path == ""
    assert problem.reason.startswith("YAML syntax error at line 4, column 1")
    assert str(problem).startswith(f"{path}: (top): YAML syntax error")


def test_duplicate_yaml_key_is_an_error(write_definition: Callable[..., Path]) -> None:
    path = write_definition("format: 1\nid: mini\nid: maxi\n")
    problem = only_problem(path)
    assert problem.reason == "YAML syntax error at line 3, column 1: found the key 'id' twice"


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "plain text\n"])
def test_top_level_must_be_a_mapping(write_definition: Callable[..., Path], text: str) -> None:
    problem = only_problem(write_definition(text))
    assert problem.path == ""
    assert problem.reason.startswith("the top level must be a mapping")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (2, "unsupported format 2; this loader reads format 1"),
        ("1", "unsupported format '1'; this loader reads format 1"),
        (True, "unsupported format True; this loader reads format 1"),
        (None, "unsupported format None; this loader reads format 1"),
    ],
)
def test_unknown_format_raises_unsupported_format_error(
    minimal: dict[str, Any], write_definition: Callable[..., Path], value: Any, reason: str
) -> None:
    minimal["format"] = value
    path = write_definition(minimal)
    with pytest.raises(UnsupportedFormatError) as info:
        load_file(path)
    assert [(p.file, p.path, p.reason) for p in info.value.problems] == [(str(path), "format", reason)]


def test_missing_format_raises_unsupported_format_error(minimal: dict[str, Any], write_definition: Callable[..., Path]) -> None:
    del minimal["format"]
    path = write_definition(minimal)
    with pytest.raises(UnsupportedFormatError) as info:
        load_file(path)
    assert str(info.value) == f"{path}: format: required key is missing; this loader reads format 1"


def test_several_problems_are_all_reported(minimal: dict[str, Any], write_definition: Callable[..., Path]) -> None:
    minimal["languages"] = ["en"]
    del q(minimal, 0, 1)["options"][0]["text"]["en"]
    q(minimal, 1, 0)["kind"] = "free_text"
    minimal["derived"][0]["otherwise"] = "maybe"
    minimal["tables"][0]["dimensions"] = []
    path = write_definition(minimal)
    with pytest.raises(QuestionnaireError) as info:
        load_file(path)
    assert not isinstance(info.value, UnsupportedFormatError)
    assert [p.path for p in info.value.problems] == [
        "languages",
        "sections[0].questions[1].options[0].text.en",
        "sections[1].questions[0].kind",
        "derived[0].otherwise",
        "tables[0].dimensions",
    ]
    lines = str(info.value).splitlines()
    assert len(lines) == 5
    assert all(line.startswith(f"{path}: ") for line in lines)


def test_bare_yes_and_no_stay_codes(write_definition: Callable[..., Path]) -> None:
    path = write_definition(
        """
format: 1
id: bare
version: 1
languages: [de, en]
title: {de: Titel, en: Title}
introduction: {de: Text, en: Text}
common_options:
  yes: {de: Ja, en: Yes}
  no: {de: Nein, en: No}
  prefer_not_to_say: {de: Keine Angabe, en: Prefer not to say}
sections:
  - id: one
    title: {de: Eins, en: One}
    questions:
      - {id: a, kind: yes_no, text: {de: Frage A, en: Question A}}
      - id: b
        kind: single
        text: {de: Frage B, en: Question B}
        options:
          - {code: on, text: {de: An, en: On}}
          - {code: off, text: {de: Aus, en: Off}}
  - id: two
    title: {de: Zwei, en: Two}
    questions:
      - {id: c, kind: yes_no, text: {de: Frage C, en: Question C}, show_if: {question: a, equals: yes}}
""",
        name="bare",
    )
    loaded = load_file(path)
    assert loaded.common_options["yes"] == {"de": "Ja", "en": "Yes"}
    assert loaded.question("b").option_codes() == ("on", "off", PREFER_NOT)
    assert loaded.visible_answers({"a": "no", "c": "yes"}) == {"a": "no"}


def test_true_is_still_a_boolean_and_not_a_code(minimal: dict[str, Any], write_definition: Callable[..., Path]) -> None:
    q(minimal, 0, 1)["options"][0]["code"] = True
    problem = only_problem(write_definition(minimal))
    assert (problem.path, problem.reason) == ("sections[0].questions[1].options[0].code", "must be text, not true/false")


def test_load_mapping_reports_the_source(minimal: dict[str, Any]) -> None:
    minimal["sections"][0]["id"] = "First Page"
    with pytest.raises(QuestionnaireError) as info:
        load_mapping(minimal, "wave 7")
    assert str(info.value).startswith("wave 7: sections[0].id: 'First Page' must start with a lowercase letter")
    assert len(info.value.problems) == 1


def test_load_directory_collects_problems_of_every_file(
    minimal: dict[str, Any], write_definition: Callable[..., Path], tmp_path: Path
) -> None:
    write_definition(minimal)
    assert list(load_directory(tmp_path)) == ["mini"]
    minimal["id"] = "other"
    minimal["version"] = 0
    write_definition(minimal, name="other")
    write_definition("format: 9\n", name="future")
    with pytest.raises(QuestionnaireError) as info:
        load_directory(tmp_path)
    assert not isinstance(info.value, UnsupportedFormatError)
    assert [(Path(p.file).name, p.path) for p in info.value.problems] == [
        ("future.yaml", "format"),
        ("other.yaml", "version"),
    ]
