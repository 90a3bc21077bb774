"""From decrypted responses to a frame and to the questionnaire's table templates.

Categories always come from the questionnaire (option codes, derived categories) and from the
wave's strata, never from what respondents happened to choose: a category nobody chose is a
true zero, shown as such, not a missing row.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from questionnaires import Questionnaire, TableTemplate

from .tables import Dimension, Table, build_table

NOT_ANSWERED = "not_answered"
STRATUM_PREFIX = "stratum."


def response_frame(
    responses: Iterable[tuple[Mapping[str, str], Mapping[str, object]]], questionnaire: Questionnaire
) -> pd.DataFrame:
    """One row per response: `stratum.<attribute>` columns, one column per single-choice question
    (a code, or `not_answered`), one 0/1 column per option of a multi-choice question
    (`<question>.<code>`), and one column per derived variable."""
    rows = []
    questions = questionnaire.questions()
    for stratum, answers in responses:
        row: dict[str, object] = {STRATUM_PREFIX + k: v for k, v in stratum.items()}
        visible = questionnaire.visible_answers(dict(answers))
        for question in questions:
            value = visible.get(question.id)
            if question.is_multi:
                chosen = set(value or ())
                for code in question.option_codes():
                    row[f"{question.id}.{code}"] = int(code in chosen)
            else:
                row[question.id] = value if value else NOT_ANSWERED
        row.update(questionnaire.derive(visible))
        rows.append(row)
    return pd.DataFrame(rows)


def dimension_for(name: str, questionnaire: Questionnaire, strata: Sequence[Mapping[str, str]]) -> Dimension:
    """The categories of a template dimension: stratum values in the wave's order, option codes
    (plus `not_answered`), or a derived variable's categories."""
    if name.startswith(STRATUM_PREFIX):
        attribute = name[len(STRATUM_PREFIX) :]
        values = list(dict.fromkeys(s[attribute] for s in strata if attribute in s))
        if not values:
            raise ValueError(f"dimension {name!r}: the wave's strata have no attribute {attribute!r}")
        return Dimension.flat(name, values)
    derived = {d.id: d for d in questionnaire.derived}
    if name in derived:
        return Dimension.flat(name, list(derived[name].category_codes()))
    question = questionnaire.question(name)
    if question.is_multi:
        raise ValueError(
            f"dimension {name!r} is a multiple-choice question: its answers do not add up to the respondents; "
            "declare a derived variable per option instead"
        )
    return Dimension.flat(name, [*question.option_codes(), NOT_ANSWERED])


def template_tables(
    frame: pd.DataFrame,
    questionnaire: Questionnaire,
    strata: Sequence[Mapping[str, str]],
    templates: Sequence[TableTemplate] | None = None,
) -> list[Table]:
    """One table per template, with every margin, counted from the frame."""
    tables = []
    for template in templates if templates is not None else questionnaire.tables:
        dimensions = [dimension_for(name, questionnaire, strata) for name in template.dimensions]
        if frame.empty:
            inner: dict[tuple[str, ...], int] = {}
        else:
            counts = frame.groupby(list(template.dimensions), observed=True).size()
            inner = {(k if isinstance(k, tuple) else (k,)): int(v) for k, v in counts.items()}
        tables.append(build_table(template.id, dimensions, inner))
    return tables
