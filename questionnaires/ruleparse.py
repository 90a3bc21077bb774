"""Reading conditions (``show_if``, derived rules) from YAML data.

The caller supplies ``resolve``, which decides which names are visible from
where: ``show_if`` sees only questions on earlier pages, a derived rule sees
all questions and the derived variables defined before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .checks import Checker, join, unknown_key
from .conditions import All, Answered, Any as AnyOf, Condition, Equals, In, Includes, Not


@dataclass(frozen=True)
class Target:
    """What a condition may compare a name against."""

    name: str
    what: str  # "question" or "derived variable"
    codes: tuple[str, ...]
    multi: bool


Resolver = Callable[[str, str], "Target | None"]

VALUE_KEYS = ("equals", "in", "includes")
LOGIC_KEYS = ("answered", "all", "any", "not")
EXAMPLE = "e.g. {question: x, equals: yes}, {answered: x}, {all: [...]}, {any: [...]}, {not: {...}}"


def parse_condition(check: Checker, value: Any, path: str, resolve: Resolver) -> Condition | None:
    """Build a condition, reporting every problem; ``None`` if anything was wrong."""
    if not isinstance(value, dict):
        check.report(path, f"a condition must be a mapping, {EXAMPLE}")
        return None
    if "question" in value:
        return _compare(check, value, path, resolve)
    if len(value) != 1:
        check.report(path, f"a condition needs exactly one of question, {', '.join(LOGIC_KEYS)}; {EXAMPLE}")
        return None
    key = next(iter(value))
    inner = value[key]
    inner_path = join(path, str(key))
    if key == "answered":
        name = check.string(inner, inner_path)
        target = resolve(name, inner_path) if name is not None else None
        return Answered(name) if target is not None and name is not None else None
    if key in ("all", "any"):
        items = check.sequence(inner, inner_path, minimum=1, what="condition")
        if not items:
            return None
        parts = [parse_condition(check, item, join(inner_path, i), resolve) for i, item in enumerate(items)]
        if any(part is None for part in parts):
            return None
        conditions = tuple(p for p in parts if p is not None)
        return All(conditions) if key == "all" else AnyOf(conditions)
    if key == "not":
        part = parse_condition(check, inner, inner_path, resolve)
        return Not(part) if part is not None else None
    check.report(inner_path, unknown_key(key, ("question",) + LOGIC_KEYS))
    return None


def _compare(check: Checker, value: dict[str, Any], path: str, resolve: Resolver) -> Condition | None:
    ok = True
    for key in value:
        if key != "question" and key not in VALUE_KEYS:
            check.report(join(path, str(key)), unknown_key(key, ("question",) + VALUE_KEYS))
            ok = False
    ops = [key for key in VALUE_KEYS if key in value]
    if len(ops) != 1:
        check.report(path, "next to question, give exactly one of equals, in, includes")
        return None
    op = ops[0]
    op_path = join(path, op)
    name = check.string(value["question"], join(path, "question"))
    target = resolve(name, join(path, "question")) if name is not None else None
    if op == "in":
        raw = check.sequence(value[op], op_path, minimum=1, what="value")
        values = [] if raw is None else [check.string(v, join(op_path, i)) for i, v in enumerate(raw)]
        paths = [join(op_path, i) for i in range(len(values))]
        ok = ok and bool(raw)
    else:
        values = [check.string(value[op], op_path)]
        paths = [op_path]
    if any(v is None for v in values):
        ok = False
    if target is None:
        return None
    if op == "includes" and not target.multi:
        check.report(
            op_path,
            f"includes works only with a multi question; {target.name!r} takes one answer, use equals",
        )
        ok = False
    if op != "includes" and target.multi:
        check.report(op_path, f"{target.name!r} is a multi question; use includes to test for one code")
        ok = False
    for v, v_path in zip(values, paths):
        if v is not None and v not in target.codes:
            check.report(
                v_path,
                f"{v!r} is not an option of {target.what} {target.name!r} "
                f"(options: {', '.join(target.codes)})",
            )
            ok = False
    if not ok:
        return None
    clean = tuple(v for v in values if v is not None)
    if op == "equals":
        return Equals(target.name, clean[0])
    if op == "includes":
        return Includes(target.name, clean[0])
    return In(target.name, clean)
