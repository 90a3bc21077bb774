"""Derived variables, show_if and answer validation on the shipped definitions."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaires import (
    PREFER_NOT,
    All,
    Answered,
    Any as AnyOf,
    Equals,
    FrozenMap,
    In,
    Includes,
    Not,
    Questionnaire,
    load_builtin,
    text,
)

P = PREFER_NOT


@pytest.fixture(scope="module")
def migration() -> Questionnaire:
    return load_builtin()["migration-background"]


@pytest.fixture(scope="module")
def agg() -> Questionnaire:
    return load_builtin()["agg-discrimination"]


def answers(**given: Any) -> dict[str, Any]:
    """Drop ``None`` so a test can spell "skipped" explicitly."""
    return {k: v for k, v in given.items() if v is not None}


@pytest.mark.parametrize(
    ("own", "mother", "father", "expected"),
    [
        ("no", "yes", "yes", "yes"),
        ("no", None, None, "yes"),
        ("yes", "no", "yes", "yes"),
        ("yes", "yes", "no", "yes"),
        (None, "no", None, "yes"),
        (P, "dont_know", "no", "yes"),
        ("yes", "yes", "yes", "no"),
        ("yes", "yes", "dont_know", "unknown"),
        ("yes", "yes", None, "unknown"),
        ("yes", None, "yes", "unknown"),
        (P, "yes", "yes", "unknown"),
        ("yes", P, "yes", "unknown"),
        (P, P, P, "unknown"),
        (None, None, None, "unknown"),
        ("", [], "", "unknown"),
    ],
)
def test_migration_background_truth_table(migration: Questionnaire, own, mother, father, expected) -> None:
    given = answers(own_citizenship_at_birth=own, mother_citizenship_at_birth=mother, father_citizenship_at_birth=father)
    assert migration.derive(given)["migration_background"] == expected


@pytest.mark.parametrize(
    ("born", "mother", "father", "expected"),
    [
        ("no", None, None, "yes"),
        ("no", "no", "no", "yes"),
        ("yes", "yes", "yes", "yes"),
        (None, "yes", "yes", "yes"),
        (P, "yes", "yes", "yes"),
        ("yes", "no", "no", "no"),
        ("yes", "yes", "no", "no"),
        ("yes", "dont_know", "no", "no"),
        ("yes", "no", P, "no"),
        ("yes", "yes", "dont_know", "unknown"),
        ("yes", "yes", None, "unknown"),
        ("yes", None, None, "unknown"),
        ("yes", P, P, "unknown"),
        (P, "no", "no", "unknown"),
        (None, "no", None, "unknown"),
        (None, None, None, "unknown"),
    ],
)
def test_immigration_history_truth_table(migration: Questionnaire, born, mother, father, expected) -> None:
    given = answers(born_in_germany=born, mother_immigrated=mother, father_immigrated=father)
    assert migration.derive(given)["immigration_history"] == expected


CITIZENSHIP = st.sampled_from([None, "", "yes", "no", "dont_know", P])


@settings(max_examples=200, deadline=None)
@given(own=st.sampled_from([None, "", "yes", "no", P]), mother=CITIZENSHIP, father=CITIZENSHIP)
def test_migration_background_matches_the_microcensus_definition(own, mother, father) -> None:
    q = load_builtin()["migration-background"]
    result = q.derive(answers(own_citizenship_at_birth=own, mother_citizenship_at_birth=mother,
                              father_citizenship_at_birth=father))["migration_background"]
    if "no" in (own, mother, father):
        assert result == "yes"
    elif (own, mother, father) == ("yes", "yes", "yes"):
        assert result == "no"
    else:
        assert result == "unknown"


def test_derived_values_are_always_declared_categories(migration: Questionnaire, agg: Questionnaire) -> None:
    for q, given in ((migration, {}), (agg, {}), (agg, {"experienced_discrimination": "no"})):
        for variable in q.derived:
            assert q.derive(given)[variable.id] in variable.category_codes()


GROUNDS = ("ethnic", "gender", "religion_belief", "disability_illness", "age", "sexual_identity")


def test_agg_derived_variables(agg: Questionnaire) -> None:
    no = agg.derive({"experienced_discrimination": "no"})
    assert no == {"experienced": "no", "complaints_office_use": "no_experience",
                  **{f"experienced_{g}": "no" for g in GROUNDS}}
    yes = agg.derive({"experienced_discrimination": "yes", "grounds": ["age", "ethnic_origin"],
                      "used_complaints_office": "no"})
    assert yes == {"experienced": "yes", "complaints_office_use": "not_used",
                   **{f"experienced_{g}": "yes" if g in ("age", "ethnic") else "no" for g in GROUNDS}}
    other_ground = agg.derive({"experienced_discrimination": "unsure", "grounds": ["gender"],
                               "used_complaints_office": "yes"})
    assert other_ground == {"experienced": "unsure", "complaints_office_use": "used",
                            **{f"experienced_{g}": "yes" if g == "gender" else "no" for g in GROUNDS}}
    withheld = agg.derive({"experienced_discrimination": "yes", "grounds": [P]})
    assert {withheld[f"experienced_{g}"] for g in GROUNDS} == {"unknown"}
    assert agg.derive({"experienced_discrimination": P})["experienced"] == "unknown"


def test_every_agg_ground_has_its_own_table(agg: Questionnaire) -> None:
    """Section 1 AGG names six grounds; each can be tabulated by employee group."""
    grounds = {o.code for o in agg.question("grounds").options} - {"other", P}
    assert len(grounds) == 6
    tabulated = {t.dimensions[-1] for t in agg.tables}
    assert {f"experienced_{'ethnic' if g == 'ethnic_origin' else g}" for g in grounds} <= tabulated


def test_hidden_answers_do_not_count_for_derived_values(agg: Questionnaire) -> None:
    result = agg.derive({"experienced_discrimination": "no", "grounds": ["ethnic_origin"]})
    assert result["experienced_ethnic"] == "no"


def test_visible_answers_drop_details_when_nothing_was_experienced(agg: Questionnaire) -> None:
    given = {
        "experienced_discrimination": "no",
        "grounds": ["age"],
        "forms": ["remarks"],
        "by_whom": ["colleagues"],
        "used_complaints_office": "no",
        "reasons_not_used": ["didnt_know"],
        "observed_discrimination": "yes",
        "respect_climate": "good",
    }
    assert agg.visible_answers(given) == {
        "experienced_discrimination": "no",
        "observed_discrimination": "yes",
        "respect_climate": "good",
    }
    assert not agg.is_visible(agg.question("grounds"), given)
    assert not agg.is_visible("reasons_not_used", given)
    assert agg.is_visible("respect_climate", given)


@pytest.mark.parametrize("experienced", ["yes", "unsure"])
def test_visible_answers_keep_details_after_an_experience(agg: Questionnaire, experienced: str) -> None:
    given = {"experienced_discrimination": experienced, "grounds": ["age"], "used_complaints_office": "no",
             "reasons_not_used": ["fear_consequences"]}
    assert agg.visible_answers(given) == given
    assert agg.is_visible("reasons_not_used", given)


def test_reasons_not_used_only_after_not_using_the_office(agg: Questionnaire) -> None:
    used = {"experienced_discrimination": "yes", "used_complaints_office": "yes", "reasons_not_used": ["other"]}
    assert "reasons_not_used" not in agg.visible_answers(used)
    skipped = {"experienced_discrimination": "yes", "reasons_not_used": ["other"]}
    assert "reasons_not_used" not in agg.visible_answers(skipped)


def test_skipping_the_first_question_hides_the_details(agg: Questionnaire) -> None:
    assert agg.visible_answers({"grounds": ["age"], "respect_climate": "poor"}) == {"respect_climate": "poor"}
    assert agg.is_visible("experienced_discrimination", {})
    assert not agg.is_visible("grounds", {"experienced_discrimination": P})
    with pytest.raises(KeyError):
        agg.is_visible("nonexistent", {})


def test_validate_answers_accepts_empty_and_skipped(agg: Questionnaire) -> None:
    assert agg.validate_answers({}) == []
    assert agg.validate_answers({"grounds": [], "experienced_discrimination": "", "forms": None}) == []
    assert agg.validate_answers({"grounds": [P], "respect_climate": P}) == []
    assert agg.validate_answers({"grounds": ("age", "gender"), "by_whom": "colleagues",
                                 "experienced_discrimination": ["yes"]}) == []


def test_validate_answers_rejects_bad_answers(agg: Questionnaire) -> None:
    assert agg.validate_answers({"respect_climate": "excellent"}) == [
        "question 'respect_climate': option 'excellent' is not offered"
    ]
    assert agg.validate_answers({"favourite_colour": "red"}) == ["unknown question 'favourite_colour'"]
    assert agg.validate_answers({"experienced_discrimination": ["yes", "no"]}) == [
        "question 'experienced_discrimination': several codes given for a single-choice question"
    ]
    assert agg.validate_answers({"grounds": ["age", P]}) == [
        "question 'grounds': 'prefer_not_to_say' cannot be combined with other codes"
    ]
    assert agg.validate_answers({"grounds": 3}) == ["question 'grounds': answer must be a code or a list of codes"]
    assert len(agg.validate_answers({"grounds": ["age", "nope"], "x": "y"})) == 2


def test_conditions_evaluate_and_report_references() -> None:
    given = {"a": "yes", "m": ["x", "y"], "empty": []}
    assert Equals("a", "yes").evaluate(given)
    assert not Equals("missing", "yes").evaluate(given)
    assert In("a", ("yes", "unsure")).evaluate(given)
    assert not In("m", ("x", "y")).evaluate(given)
    assert Includes("m", "y").evaluate(given)
    assert not Includes("missing", "y").evaluate(given)
    assert Answered("m").evaluate(given) and not Answered("empty").evaluate(given)
    both = All((Equals("a", "yes"), Includes("m", "x")))
    either = AnyOf((Equals("a", "no"), Not(Answered("empty"))))
    assert both.evaluate(given) and either.evaluate(given)
    assert not Not(both).evaluate(given)
    assert All((both, either)).references() == frozenset({"a", "m", "empty"})


def test_text_falls_back_to_german(agg: Questionnaire) -> None:
    mapping = FrozenMap({"de": "Ja", "en": "Yes"})
    assert text(mapping, "en") == "Yes"
    assert text(mapping, "tr") == "Ja"
    assert agg.text(agg.title, "fr") == agg.title["de"]  # a language the file does not speak


def test_model_is_immutable_and_hashable(agg: Questionnaire) -> None:
    question = agg.question("grounds")
    with pytest.raises(TypeError):
        question.text["de"] = "changed"  # type: ignore[index]
    with pytest.raises(AttributeError):
        question.id = "other"  # type: ignore[misc]
    assert hash(question) == hash(load_builtin()["agg-discrimination"].question("grounds"))
    assert question.is_multi and not agg.question("respect_climate").is_multi
