"""The shipped definitions load, are complete in German and English, and hash stably."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from survey.i18n import LANGUAGES

from questionnaires import (
    PREFER_NOT,
    Questionnaire,
    definitions_dir,
    load_builtin,
    load_file,
    load_mapping,
)

BUILTIN = ("migration-background", "agg-discrimination")


def all_texts(q: Questionnaire):
    """Every text mapping in a questionnaire, with a label for failure messages."""
    yield "title", q.title
    yield "introduction", q.introduction
    for code, label in q.common_options.items():
        yield f"common_options.{code}", label
    for section in q.sections:
        yield section.id, section.title
        for question in section.questions:
            yield question.id, question.text
            if question.help is not None:
                yield f"{question.id}.help", question.help
            for option in question.options:
                yield f"{question.id}.{option.code}", option.text
    for variable in q.derived:
        yield variable.id, variable.label
        for option in variable.categories:
            yield f"{variable.id}.{option.code}", option.text
    for table in q.tables:
        yield table.id, table.title


def test_both_definitions_load() -> None:
    loaded = load_builtin()
    assert sorted(loaded) == sorted(BUILTIN)
    for qid, q in loaded.items():
        assert q.id == qid
        assert q.format == 1
        assert q.languages[0] == "de"
        # Every language a respondent can choose; unreviewed ones are marked, German never is.
        assert set(q.languages) == set(LANGUAGES)
        assert q.machine_translated <= set(LANGUAGES) - {"de"}


@pytest.mark.parametrize("qid", BUILTIN)
def test_every_question_offers_prefer_not_last(qid: str) -> None:
    q = load_builtin()[qid]
    assert q.questions()
    for question in q.questions():
        codes = question.option_codes()
        assert codes[-1] == PREFER_NOT
        assert codes.count(PREFER_NOT) == 1
        assert len(codes) >= 3


@pytest.mark.parametrize("qid", BUILTIN)
def test_every_text_exists_in_every_language(qid: str) -> None:
    q = load_builtin()[qid]
    assert set(q.languages) == set(LANGUAGES)
    for where, mapping in all_texts(q):
        for lang in LANGUAGES:
            assert mapping.get(lang, "").strip(), f"{qid}: {where} lacks {lang}"


def test_migration_background_is_yes_no_style() -> None:
    q = load_builtin()["migration-background"]
    kinds = {question.id: question.kind for question in q.questions()}
    assert kinds == {
        "own_citizenship_at_birth": "yes_no",
        "born_in_germany": "yes_no",
        "mother_citizenship_at_birth": "single",
        "father_citizenship_at_birth": "single",
        "mother_immigrated": "single",
        "father_immigrated": "single",
    }
    for question in q.questions():
        if question.kind == "single":
            assert question.option_codes() == ("yes", "no", "dont_know", PREFER_NOT)
    assert [d.id for d in q.derived] == ["migration_background", "immigration_history"]
    assert [t.dimensions for t in q.tables] == [
        ("stratum.group", "migration_background"),
        ("stratum.group", "stratum.department", "migration_background"),
        ("stratum.group", "immigration_history"),
    ]


def test_agg_covers_all_six_grounds_and_the_climate_scale() -> None:
    q = load_builtin()["agg-discrimination"]
    assert q.question("grounds").option_codes() == (
        "ethnic_origin", "gender", "religion_belief", "disability_illness",
        "age", "sexual_identity", "other", PREFER_NOT,
    )
    assert q.question("respect_climate").kind == "scale"
    assert q.question("respect_climate").option_codes()[:5] == (
        "very_good", "good", "mixed", "poor", "very_poor",
    )
    assert q.question("used_complaints_office").option_codes() == ("yes", "no", PREFER_NOT)
    assert q.question("experienced_discrimination").help is not None


def test_hash_is_stable_across_loads() -> None:
    first = load_builtin()
    second = load_builtin()
    for qid in BUILTIN:
        assert first[qid].hash == second[qid].hash
        assert len(first[qid].hash) == 64
        assert first[qid] == second[qid]
    assert first[BUILTIN[0]].hash != first[BUILTIN[1]].hash


def copy_builtin(tmp_path: Path, qid: str) -> tuple[Path, str]:
    text = (definitions_dir() / f"{qid}.yaml").read_text(encoding="utf-8")
    return tmp_path / f"{qid}.yaml", text


def test_changing_one_word_changes_the_hash(tmp_path: Path) -> None:
    path, text = copy_builtin(tmp_path, "migration-background")
    original = load_builtin()["migration-background"].hash
    changed = text.replace("Sind Sie in Deutschland geboren?", "Sind Sie in Deutschland zur Welt gekommen?")
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    assert load_file(path).hash != original


def test_comments_and_layout_do_not_change_the_hash(tmp_path: Path) -> None:
    path, text = copy_builtin(tmp_path, "agg-discrimination")
    original = load_builtin()["agg-discrimination"].hash
    reformatted = "# a new comment at the top\n\n" + text.replace(
        "format: 1\n", "format:    1   # trailing comment\n"
    ).replace(
        "languages: [de, en]", "languages:\n  - de\n  - en"
    ).replace("\n\n", "\n\n\n")
    assert reformatted != text
    path.write_text(reformatted, encoding="utf-8")
    assert load_file(path).hash == original


@pytest.mark.parametrize("qid", BUILTIN)
def test_canonical_json_rebuilds_the_same_questionnaire(qid: str) -> None:
    q = load_builtin()[qid]
    rebuilt = load_mapping(json.loads(q.canonical), f"stored wave of {qid}")
    assert rebuilt.hash == q.hash
    assert rebuilt == q


def test_canonical_json_is_sorted_and_compact() -> None:
    q = load_builtin()["migration-background"]
    data = json.loads(q.canonical)
    assert q.canonical == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert q.canonical.startswith('{"common_options":')
    assert "Staatsangehörigkeit" in q.canonical
    assert data["common_options"]["yes"]["de"] == "Ja" and data["common_options"]["yes"]["en"] == "Yes"
    assert list(data["common_options"]["yes"]) == sorted(data["common_options"]["yes"])
