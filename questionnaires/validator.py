"""Turn parsed YAML data into a Questionnaire, or list everything wrong with it.

All problems are collected and raised together as one QuestionnaireError so
the people who maintain the wording fix a file in one pass.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from .canonical import canonical_json, content_hash
from .checks import Checker, describe, join
from .errors import Problem, QuestionnaireError, UnsupportedFormatError
from .model import (
    PREFER_NOT,
    SOURCE_LANGUAGE,
    DerivedVariable,
    FrozenMap,
    Option,
    Question,
    Questionnaire,
    Rule,
    Section,
    TableTemplate,
)
from .ruleparse import Target, parse_condition

SUPPORTED_FORMATS = (1,)
KINDS = ("yes_no", "single", "multi", "scale")
QUESTIONNAIRE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
TOP_REQUIRED = ("format", "id", "version", "languages", "title", "introduction", "common_options", "sections")
TOP_OPTIONAL = ("machine_translated", "derived", "tables")
COMMON = ("yes", "no", PREFER_NOT)
NO_FREE_TEXT = "free text is not offered because it identifies people"


def build(data: Any, file: str, expected_id: str | None = None) -> Questionnaire:
    """Validate ``data`` (parsed YAML or JSON) and build the questionnaire.

    ``expected_id`` is the file name stem; a mismatch would let two files claim
    the same questionnaire.
    """
    if not isinstance(data, dict):
        raise QuestionnaireError([Problem(file, "", f"the top level must be a mapping of keys such as format, id, sections; found {describe(data)}")])
    _check_format(data, file)
    check = Checker(file)
    top = check.mapping(data, "", TOP_REQUIRED, TOP_OPTIONAL) or {}
    check.languages = _languages(check, top)
    machine = _machine_translated(check, top.get("machine_translated", []))
    qid = _questionnaire_id(check, top, expected_id)
    version = check.integer(top["version"], "version") if "version" in top else None
    title = check.text(top["title"], "title") if "title" in top else None
    intro = check.text(top["introduction"], "introduction") if "introduction" in top else None
    common = _common_options(check, top.get("common_options"))
    sections_raw = check.sequence(top.get("sections"), "sections", minimum=1, what="section") if "sections" in top else []
    derived_raw = check.sequence(top.get("derived", []), "derived") or []
    tables_raw = check.sequence(top.get("tables", []), "tables") or []

    pages = _read_sections(check, sections_raw or [], common, isinstance(top.get("common_options"), dict))
    derived_ids = [d.get("id") for d in derived_raw if isinstance(d, dict)]
    questions = {q["id"]: q for page in pages for q in page["questions"]}
    sections = _attach_conditions(check, pages, questions)
    derived = _read_derived(check, derived_raw, questions, derived_ids)
    # Broken derived variables still count as names, so their mistakes are not reported twice.
    tables = _read_tables(check, tables_raw, set(questions) | {d for d in derived_ids if isinstance(d, str)})
    if check.problems:
        raise QuestionnaireError(check.problems)
    canonical = canonical_json(data)
    return Questionnaire(
        id=qid or "",
        version=version or 0,
        format=data["format"],
        languages=check.languages,
        title=title or FrozenMap(),
        introduction=intro or FrozenMap(),
        common_options=FrozenMap(common),
        sections=tuple(sections),
        derived=tuple(d for d in derived if d),
        tables=tuple(tables),
        machine_translated=frozenset(machine),
        canonical=canonical,
        hash=content_hash(canonical),
    )


def _check_format(data: Mapping[str, Any], file: str) -> None:
    supported = ", ".join(str(f) for f in SUPPORTED_FORMATS)
    if "format" not in data:
        raise UnsupportedFormatError([Problem(file, "format", f"required key is missing; this loader reads format {supported}")])
    value = data["format"]
    if isinstance(value, bool) or value not in SUPPORTED_FORMATS:
        raise UnsupportedFormatError([Problem(file, "format", f"unsupported format {value!r}; this loader reads format {supported}")])


def _languages(check: Checker, top: Mapping[str, Any]) -> tuple[str, ...]:
    if "languages" not in top:
        return (SOURCE_LANGUAGE,)
    items = check.sequence(top["languages"], "languages", minimum=1, what="language") or []
    found: list[str] = []
    for index, item in enumerate(items):
        path = join("languages", index)
        lang = check.string(item, path)
        if lang is None:
            continue
        if not LANGUAGE.match(lang):
            check.report(path, f"{lang!r} is not a language code such as de, en, tr or ar")
        elif lang in found:
            check.report(path, f"language {lang!r} is listed twice")
        else:
            found.append(lang)
    if isinstance(top["languages"], list) and SOURCE_LANGUAGE not in found:
        check.report("languages", "German (de) is required: it is the source language")
    if SOURCE_LANGUAGE not in found:
        found.insert(0, SOURCE_LANGUAGE)
    return tuple(found)


def _machine_translated(check: Checker, value: Any) -> list[str]:
    items = check.sequence(value, "machine_translated") or []
    found = []
    for index, item in enumerate(items):
        path = join("machine_translated", index)
        lang = check.string(item, path)
        if lang is None:
            continue
        if lang not in check.languages:
            check.report(path, f"language {lang!r} is not declared in languages")
        elif lang == SOURCE_LANGUAGE:
            check.report(path, "German is the source language and cannot be a machine draft")
        else:
            found.append(lang)
    return found


def _questionnaire_id(check: Checker, top: Mapping[str, Any], expected: str | None) -> str | None:
    if "id" not in top:
        return None
    qid = check.string(top["id"], "id")
    if qid is None:
        return None
    if not QUESTIONNAIRE_ID.match(qid):
        check.report("id", f"{qid!r} must be lowercase letters and digits joined by hyphens, e.g. migration-background")
        return None
    if expected is not None and qid != expected:
        check.report("id", f"id {qid!r} does not match the file name {expected!r}; the file must be called {qid}.yaml")
    return qid


def _common_options(check: Checker, value: Any) -> dict[str, FrozenMap]:
    if value is None:
        return {}
    entries = check.mapping(value, "common_options", (PREFER_NOT,), ("yes", "no")) or {}
    labels = {}
    for code in COMMON:
        if code in entries:
            label = check.text(entries[code], join("common_options", code))
            if label is not None:
                labels[code] = label
    return labels


def _read_sections(
    check: Checker, raw: list[Any], common: Mapping[str, FrozenMap], common_given: bool
) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    yes_no_seen = False
    for index, item in enumerate(raw):
        path = join("sections", index)
        entry = check.mapping(item, path, ("id", "title", "questions")) or {}
        sid = check.identifier(entry["id"], join(path, "id")) if "id" in entry else None
        check.claim(sid, join(path, "id"))
        title = check.text(entry["title"], join(path, "title")) if "title" in entry else None
        items = check.sequence(entry["questions"], join(path, "questions"), minimum=1, what="question") if "questions" in entry else None
        page = {"id": sid, "title": title, "questions": []}
        for q_index, q_item in enumerate(items or []):
            q = _read_question(check, q_item, join(join(path, "questions"), q_index), common, index)
            if q is not None:
                yes_no_seen = yes_no_seen or q["kind"] == "yes_no"
                page["questions"].append(q)
        pages.append(page)
    if yes_no_seen and common_given:
        for code in ("yes", "no"):
            path = join("common_options", code)
            if code not in common and not any(p.path.startswith(path) for p in check.problems):
                check.report(path, "required key is missing: yes_no questions use its label")
    return pages


def _read_question(check: Checker, item: Any, path: str, common: Mapping[str, FrozenMap], section: int) -> dict[str, Any] | None:
    entry = check.mapping(item, path, ("id", "kind", "text"), ("options", "help", "show_if"))
    if entry is None:
        return None
    qid = check.identifier(entry["id"], join(path, "id")) if "id" in entry else None
    check.claim(qid, join(path, "id"))
    text = check.text(entry["text"], join(path, "text")) if "text" in entry else None
    help_text = check.text(entry["help"], join(path, "help")) if "help" in entry else None
    kind = entry.get("kind")
    options: tuple[Option, ...] | None = None
    if "kind" not in entry:
        pass
    elif kind not in KINDS:
        check.report(join(path, "kind"), f"unknown kind {kind!r}; use one of {', '.join(KINDS)} ({NO_FREE_TEXT})")
    elif kind == "yes_no":
        if "options" in entry:
            check.report(join(path, "options"), "yes_no questions must not list options: yes, no and prefer-not are added from common_options")
        options = tuple(Option(code, common.get(code, FrozenMap())) for code in ("yes", "no"))
    elif "options" not in entry:
        check.report(join(path, "options"), f"required key is missing: {kind} questions list their options")
    else:
        options = check.options(entry["options"], join(path, "options"))
    if qid is None:
        return None
    if options is not None:
        options += (Option(PREFER_NOT, common.get(PREFER_NOT, FrozenMap())),)
    return {"ok": text is not None and options is not None, "id": qid, "kind": kind, "text": text, "help": help_text, "options": options,
            "show_if": entry.get("show_if"), "has_show_if": "show_if" in entry,
            "path": path, "section": section}


def _attach_conditions(check: Checker, pages: list[dict[str, Any]], questions: Mapping[str, dict[str, Any]]) -> list[Section]:
    sections = []
    for index, page in enumerate(pages):
        built = []
        for q in page["questions"]:
            condition = None
            if q["has_show_if"]:
                def resolve(name: str, path: str, here: int = index) -> Target | None:
                    other = questions.get(name)
                    if other is None:
                        check.report(path, f"unknown question {name!r}")
                        return None
                    if other["section"] >= here:
                        check.report(path, f"question {name!r} is in the same or a later section; a condition may only "
                                     "depend on earlier sections, because the survey shows one section per page and works without JavaScript")
                        return None
                    return _question_target(other)
                condition = parse_condition(check, q["show_if"], join(q["path"], "show_if"), resolve)
            if q["ok"]:
                built.append(
                    Question(q["id"], q["kind"], q["text"], q["options"], condition, q["help"])
                )
        sections.append(Section(page["id"] or "", page["title"] or FrozenMap(), tuple(built)))
    return sections


def _question_target(q: Mapping[str, Any]) -> Target | None:
    """``None`` when the question itself is broken: that problem is already reported."""
    if q["options"] is None:
        return None
    return Target(q["id"], "question", tuple(o.code for o in q["options"]), q["kind"] == "multi")


def _read_derived(check: Checker, raw: list[Any], questions: Mapping[str, dict[str, Any]], all_ids: list[Any]) -> list[DerivedVariable | None]:
    done: dict[str, DerivedVariable] = {}
    result: list[DerivedVariable | None] = []
    for index, item in enumerate(raw):
        path = join("derived", index)
        entry = check.mapping(item, path, ("id", "label", "categories", "rules", "otherwise")) or {}
        did = check.identifier(entry["id"], join(path, "id")) if "id" in entry else None
        check.claim(did, join(path, "id"))
        label = check.text(entry["label"], join(path, "label")) if "label" in entry else None
        categories = check.options(entry["categories"], join(path, "categories"), reserve=False) if "categories" in entry else None
        codes = tuple(o.code for o in categories or ())

        def resolve(name: str, r_path: str) -> Target | None:
            if name in questions:
                return _question_target(questions[name])
            if name in done:
                return Target(name, "derived variable", done[name].category_codes(), False)
            if name in all_ids:
                check.report(r_path, f"derived variable {name!r} is not defined before this one; rules may only use derived variables defined earlier in the list")
            else:
                check.report(r_path, f"unknown question or derived variable {name!r}")
            return None

        rules = []
        rules_raw = check.sequence(entry["rules"], join(path, "rules"), minimum=1, what="rule") if "rules" in entry else None
        for r_index, r_item in enumerate(rules_raw or []):
            r_path = join(join(path, "rules"), r_index)
            rule = check.mapping(r_item, r_path, ("value", "when"))
            if rule is None:
                continue
            value = _category(check, rule.get("value"), join(r_path, "value"), codes, categories) if "value" in rule else None
            when = parse_condition(check, rule["when"], join(r_path, "when"), resolve) if "when" in rule else None
            if value is not None and when is not None:
                rules.append(Rule(value, when))
        otherwise = _category(check, entry.get("otherwise"), join(path, "otherwise"), codes, categories) if "otherwise" in entry else None
        if None in (did, label, categories, otherwise) or len(rules) != len(rules_raw or []):
            result.append(None)
            continue
        variable = DerivedVariable(did, label, categories, tuple(rules), otherwise)  # type: ignore[arg-type]
        done[variable.id] = variable
        result.append(variable)
    return result


def _category(check: Checker, value: Any, path: str, codes: tuple[str, ...], categories: object) -> str | None:
    name = check.string(value, path)
    if name is None or categories is None:
        return None
    if name not in codes:
        check.report(path, f"{name!r} is not one of the categories ({', '.join(codes)})")
        return None
    return name


def _read_tables(check: Checker, raw: list[Any], names: set[str]) -> list[TableTemplate]:
    tables = []
    for index, item in enumerate(raw):
        path = join("tables", index)
        entry = check.mapping(item, path, ("id", "title", "dimensions")) or {}
        tid = check.identifier(entry["id"], join(path, "id")) if "id" in entry else None
        check.claim(tid, join(path, "id"))
        title = check.text(entry["title"], join(path, "title")) if "title" in entry else None
        dims_path = join(path, "dimensions")
        dims = check.sequence(entry["dimensions"], dims_path) if "dimensions" in entry else None
        if dims is not None and not 1 <= len(dims) <= 3:
            check.report(dims_path, f"a table has 1 to 3 dimensions, this one has {len(dims)}")
        found: list[str] = []
        for d_index, dim in enumerate(dims or []):
            d_path = join(dims_path, d_index)
            name = check.string(dim, d_path)
            if name is None:
                continue
            if name.startswith("stratum."):
                if not re.match(r"^[a-z][a-z0-9_]*$", name[len("stratum."):]):
                    check.report(d_path, f"{name!r}: a stratum attribute is written like stratum.group")
            elif name not in names:
                check.report(d_path, f"unknown dimension {name!r}: use stratum.<attribute>, a question id or a derived variable id")
            if name in found:
                check.report(d_path, f"dimension {name!r} is listed twice")
            found.append(name)
        if tid is not None and title is not None:
            tables.append(TableTemplate(tid, title, tuple(found)))
    return tables
