"""Turn parsed YAML data into a Questionnaire, or list everything wrong with it.

All problems are collected and raised together as one QuestionnaireError so
the people who maintain the wording fix a file in one pass.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from .canonical import canonical_json, content_hash
from .checks import ID_PATTERN, Checker, describe, join
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
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*(-x(-[A-Za-z0-9]{1,8})+)?$")  # BCP 47, with private use (de-x-ls)
TOP_REQUIRED = (
    "format", "id", "version", "languages", "title", "introduction", "common_options", "sections",
)
TOP_OPTIONAL = ("machine_translated", "derived", "tables")
NO_FREE_TEXT = "free text is not offered because it identifies people"
EARLIER_ONLY = (
    "a condition may only depend on earlier sections, because the survey shows one section "
    "per page and works without JavaScript"
)

Record = dict[str, Any]


def build(data: Any, file: str, expected_id: str | None = None) -> Questionnaire:
    """Validate ``data`` (parsed YAML or JSON) and build the questionnaire.

    ``expected_id`` is the file name stem: it keeps one file per questionnaire.
    """
    if not isinstance(data, dict):
        reason = "the top level must be a mapping of keys such as format, id, sections; "
        raise QuestionnaireError([Problem(file, "", reason + f"found {describe(data)}")])
    _check_format(data, file)
    check = Checker(file)
    top = check.mapping(data, "", TOP_REQUIRED, TOP_OPTIONAL) or {}
    check.languages = _languages(check, top)
    machine = _machine_translated(check, top.get("machine_translated", []))
    qid = _questionnaire_id(check, top, expected_id)
    version = check.field(top, "version", "", check.integer)
    title = check.field(top, "title", "", check.text)
    intro = check.field(top, "introduction", "", check.text)
    common = _common_options(check, top.get("common_options"))
    sections_raw = check.field(top, "sections", "", _sections_list(check)) or []
    derived_raw = check.sequence(top.get("derived", []), "derived") or []
    tables_raw = check.sequence(top.get("tables", []), "tables") or []

    pages = [_read_section(check, item, i, common) for i, item in enumerate(sections_raw)]
    _require_yes_no_labels(check, pages, common, isinstance(top.get("common_options"), dict))
    questions = {q["id"]: q for page in pages for q in page["questions"]}
    sections = _attach_conditions(check, pages, questions)
    derived_ids = [d.get("id") for d in derived_raw if isinstance(d, dict)]
    derived = _read_derived(check, derived_raw, questions, derived_ids)
    # A broken derived variable still counts as a name, so its mistakes are reported once.
    names = set(questions) | {d for d in derived_ids if isinstance(d, str)}
    tables = [_read_table(check, item, i, names) for i, item in enumerate(tables_raw)]
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
        derived=tuple(derived),
        tables=tuple(t for t in tables if t is not None),
        machine_translated=frozenset(machine),
        canonical=canonical,
        hash=content_hash(canonical),
    )


def _check_format(data: Mapping[str, Any], file: str) -> None:
    supported = f"this loader reads format {', '.join(str(f) for f in SUPPORTED_FORMATS)}"
    if "format" not in data:
        reason = f"required key is missing; {supported}"
        raise UnsupportedFormatError([Problem(file, "format", reason)])
    value = data["format"]
    if isinstance(value, bool) or value not in SUPPORTED_FORMATS:
        reason = f"unsupported format {value!r}; {supported}"
        raise UnsupportedFormatError([Problem(file, "format", reason)])


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
        found.insert(0, SOURCE_LANGUAGE)  # keeps German texts from being reported as well
    return tuple(found)


def _machine_translated(check: Checker, value: Any) -> list[str]:
    found = []
    for index, item in enumerate(check.sequence(value, "machine_translated") or []):
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
    qid = check.field(top, "id", "", check.string)
    if qid is None:
        return None
    if not QUESTIONNAIRE_ID.match(qid):
        check.report("id", f"{qid!r} must be lowercase words joined by hyphens, e.g. migration-background")
        return None
    if expected is not None and qid != expected:
        check.report(
            "id",
            f"id {qid!r} does not match the file name {expected!r}; the file must be called {qid}.yaml",
        )
    return qid


def _common_options(check: Checker, value: Any) -> dict[str, FrozenMap]:
    if value is None:
        return {}
    entries = check.mapping(value, "common_options", (PREFER_NOT,), ("yes", "no")) or {}
    labels = {}
    for code in ("yes", "no", PREFER_NOT):
        label = check.field(entries, code, "common_options", check.text)
        if label is not None:
            labels[code] = label
    return labels


def _sections_list(check: Checker) -> Any:
    return lambda value, path: check.sequence(value, path, minimum=1, what="section")


def _read_section(check: Checker, item: Any, index: int, common: Mapping[str, FrozenMap]) -> Record:
    path = join("sections", index)
    entry = check.mapping(item, path, ("id", "title", "questions")) or {}
    sid = check.field(entry, "id", path, check.identifier)
    check.claim(sid, join(path, "id"))
    title = check.field(entry, "title", path, check.text)
    q_path = join(path, "questions")
    items = check.field(
        entry, "questions", path, lambda v, p: check.sequence(v, p, minimum=1, what="question")
    )
    questions = [
        _read_question(check, q, join(q_path, i), common, index) for i, q in enumerate(items or [])
    ]
    return {"id": sid, "title": title, "questions": [q for q in questions if q is not None]}


def _require_yes_no_labels(
    check: Checker, pages: list[Record], common: Mapping[str, FrozenMap], given: bool
) -> None:
    """yes_no questions take their labels from common_options, so those must exist."""
    if not given or not any(q["kind"] == "yes_no" for page in pages for q in page["questions"]):
        return
    for code in ("yes", "no"):
        path = join("common_options", code)
        if code not in common and not any(p.path.startswith(path) for p in check.problems):
            check.report(path, "required key is missing: yes_no questions use its label")


def _read_question(
    check: Checker, item: Any, path: str, common: Mapping[str, FrozenMap], section: int
) -> Record | None:
    entry = check.mapping(item, path, ("id", "kind", "text"), ("options", "help", "show_if"))
    if entry is None:
        return None
    qid = check.field(entry, "id", path, check.identifier)
    check.claim(qid, join(path, "id"))
    text = check.field(entry, "text", path, check.text)
    help_text = check.field(entry, "help", path, check.text)
    kind = entry.get("kind")
    options: tuple[Option, ...] | None = None
    if "kind" not in entry:
        pass
    elif kind not in KINDS:
        check.report(
            join(path, "kind"), f"unknown kind {kind!r}; use one of {', '.join(KINDS)} ({NO_FREE_TEXT})"
        )
    elif kind == "yes_no":
        if "options" in entry:
            check.report(
                join(path, "options"),
                "yes_no questions must not list options: yes, no and prefer-not come from common_options",
            )
        options = tuple(Option(code, common.get(code, FrozenMap())) for code in ("yes", "no"))
    elif "options" not in entry:
        check.report(join(path, "options"), f"required key is missing: {kind} questions list their options")
    else:
        options = check.options(entry["options"], join(path, "options"))
    if qid is None:
        return None
    if options is not None:
        options += (Option(PREFER_NOT, common.get(PREFER_NOT, FrozenMap())),)
    return {
        "ok": text is not None and options is not None,
        "id": qid, "kind": kind, "text": text, "help": help_text, "options": options,
        "show_if": entry.get("show_if"), "has_show_if": "show_if" in entry,
        "path": path, "section": section,
    }


def _attach_conditions(
    check: Checker, pages: list[Record], questions: Mapping[str, Record]
) -> list[Section]:
    sections = []
    for index, page in enumerate(pages):

        def resolve(name: str, path: str, here: int = index) -> Target | None:
            other = questions.get(name)
            if other is None:
                check.report(path, f"unknown question {name!r}")
                return None
            if other["section"] >= here:
                check.report(path, f"question {name!r} is in the same or a later section; {EARLIER_ONLY}")
                return None
            return _question_target(other)

        built = []
        for q in page["questions"]:
            condition = None
            if q["has_show_if"]:
                condition = parse_condition(check, q["show_if"], join(q["path"], "show_if"), resolve)
            if q["ok"]:
                built.append(Question(q["id"], q["kind"], q["text"], q["options"], condition, q["help"]))
        sections.append(Section(page["id"] or "", page["title"] or FrozenMap(), tuple(built)))
    return sections


def _question_target(q: Record) -> Target | None:
    """``None`` when the question itself is broken: that problem is already reported."""
    if q["options"] is None:
        return None
    return Target(q["id"], "question", tuple(o.code for o in q["options"]), q["kind"] == "multi")


def _read_derived(
    check: Checker, raw: list[Any], questions: Mapping[str, Record], all_ids: list[Any]
) -> list[DerivedVariable]:
    done: dict[str, DerivedVariable] = {}
    earlier: set[str] = set()  # includes broken ones, whose problems are already reported

    def resolve(name: str, path: str) -> Target | None:
        if name in questions:
            return _question_target(questions[name])
        if name in done:
            return Target(name, "derived variable", done[name].category_codes(), False)
        if name in earlier:
            return None
        if name in all_ids:
            check.report(
                path,
                f"derived variable {name!r} is not defined before this one; "
                "rules may only use derived variables defined earlier in the list",
            )
        else:
            check.report(path, f"unknown question or derived variable {name!r}")
        return None

    for index, item in enumerate(raw):
        path = join("derived", index)
        entry = check.mapping(item, path, ("id", "label", "categories", "rules", "otherwise")) or {}
        did = check.field(entry, "id", path, check.identifier)
        check.claim(did, join(path, "id"))
        label = check.field(entry, "label", path, check.text)
        categories = check.field(entry, "categories", path, lambda v, p: check.options(v, p, reserve=False))
        codes = None if categories is None else tuple(o.code for o in categories)
        rules_raw = check.field(
            entry, "rules", path, lambda v, p: check.sequence(v, p, minimum=1, what="rule")
        ) or []
        rules_path = join(path, "rules")
        rules = [_read_rule(check, r, join(rules_path, i), codes, resolve) for i, r in enumerate(rules_raw)]
        otherwise = check.field(entry, "otherwise", path, lambda v, p: _category(check, v, p, codes))
        if isinstance(did, str):
            earlier.add(did)
        if did and label and categories and otherwise and rules and all(rules):
            variable = DerivedVariable(did, label, categories, tuple(r for r in rules if r), otherwise)
            done[variable.id] = variable
    return list(done.values())


def _read_rule(
    check: Checker, item: Any, path: str, codes: tuple[str, ...] | None, resolve: Any
) -> Rule | None:
    rule = check.mapping(item, path, ("value", "when"))
    if rule is None:
        return None
    value = check.field(rule, "value", path, lambda v, p: _category(check, v, p, codes))
    when = check.field(rule, "when", path, lambda v, p: parse_condition(check, v, p, resolve))
    return Rule(value, when) if value is not None and when is not None else None


def _category(check: Checker, value: Any, path: str, codes: tuple[str, ...] | None) -> str | None:
    name = check.string(value, path)
    if name is None or codes is None:
        return None
    if name not in codes:
        check.report(path, f"{name!r} is not one of the categories ({', '.join(codes)})")
        return None
    return name


def _read_table(check: Checker, item: Any, index: int, names: set[str]) -> TableTemplate | None:
    path = join("tables", index)
    entry = check.mapping(item, path, ("id", "title", "dimensions")) or {}
    tid = check.field(entry, "id", path, check.identifier)
    check.claim(tid, join(path, "id"))
    title = check.field(entry, "title", path, check.text)
    dims_path = join(path, "dimensions")
    dims = check.field(entry, "dimensions", path, check.sequence)
    if dims is not None and not 1 <= len(dims) <= 3:
        check.report(dims_path, f"a table has 1 to 3 dimensions, this one has {len(dims)}")
    found: list[str] = []
    for d_index, dim in enumerate(dims or []):
        d_path = join(dims_path, d_index)
        name = check.string(dim, d_path)
        if name is None:
            continue
        if name.startswith("stratum."):
            if not ID_PATTERN.match(name.removeprefix("stratum.")):
                check.report(d_path, f"{name!r}: a stratum attribute is written like stratum.group")
        elif name not in names:
            check.report(
                d_path,
                f"unknown dimension {name!r}: "
                "use stratum.<attribute>, a question id or a derived variable id",
            )
        if name in found:
            check.report(d_path, f"dimension {name!r} is listed twice")
        found.append(name)
    if tid is None or title is None:
        return None
    return TableTemplate(tid, title, tuple(found))
