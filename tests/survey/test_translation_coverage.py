"""Every shipped language covers every string a respondent can meet, and drafts stay visible.

German is the source; the respondent pages speak all of `survey.i18n.LANGUAGES`. A string missing
from one language's catalogue would show German in the middle of, say, an Arabic page, so the
coverage check fails naming the string, the language and where the string is written.
"""
from __future__ import annotations

import re
import shutil

import pytest
from babel.messages.pofile import read_po, write_po

from questionnaires import load_builtin
from survey import translation_status
from survey.i18n import LANGUAGES, LANGUAGE_NAMES, RTL_LANGUAGES, catalogue_locale
from survey.translation_status import interface_status, mark_questionnaire_reviewed, respondent_messages

TRANSLATED = [language for language in LANGUAGES if language != "de"]
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%")


@pytest.fixture(scope="module")
def needed():
    return respondent_messages()


def test_the_respondent_interface_is_found(needed):
    # Guards the guard: an extraction that finds nothing would make every language "complete".
    assert len(needed) >= 60
    for expected in ("Ihr Code", "Befragung beginnen", "Antworten absenden", "Vielen Dank!", "Diesen Code kennen wir nicht",
                     "Erklärung zur Barrierefreiheit", "Zum Inhalt springen"):
        assert expected in needed, expected
    assert "Kein Zugriff" not in needed  # a staff page's text is not the respondents'


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_respondent_string_exists_in_every_language(language, needed):
    status = interface_status(language, needed)
    assert status.needed == len(needed)
    assert not status.missing, f"{language} lacks:\n" + "\n".join(f"{m!r} ({needed[m][0]})" for m in status.missing)


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_survive_translation(language, needed):
    catalog = translation_status.read_catalogue(language)
    wrong = [f"{m.id!r} -> {m.string!r}" for m in catalog
             if m.id in needed and sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string or ""))]
    assert not wrong, "\n".join(wrong)


def test_every_questionnaire_speaks_every_language():
    for questionnaire in load_builtin().values():
        assert set(questionnaire.languages) == set(LANGUAGES), questionnaire.id


def test_every_language_has_a_name_in_its_own_script_and_a_direction():
    assert set(LANGUAGE_NAMES) == set(LANGUAGES)
    assert LANGUAGE_NAMES["ar"] == "العربية" and LANGUAGE_NAMES["uk"] == "Українська"
    assert [language for language in LANGUAGES if language in RTL_LANGUAGES] == ["ar"]
    assert catalogue_locale("de-x-ls") == "de@ls"


@pytest.fixture
def catalogue_copy(tmp_path, monkeypatch):
    """The catalogues copied, so a test can break or review one without touching the shipped files."""
    copy = tmp_path / "translations"
    shutil.copytree(translation_status.TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(translation_status, "TRANSLATIONS", copy)
    return copy


def _drop(copy, language: str, msgid: str) -> None:
    path = copy / catalogue_locale(language) / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh)
    catalog[msgid].string = ""
    with path.open("wb") as fh:
        write_po(fh, catalog)


def test_the_coverage_check_fails_on_one_missing_string(catalogue_copy, needed):
    _drop(catalogue_copy, "ar", "Antworten absenden")
    assert interface_status("ar", needed).missing == ["Antworten absenden"]
    assert interface_status("tr", needed).complete


def test_the_status_command_lists_drafts_and_fails_on_a_gap(app, catalogue_copy):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["translations", "status"])
    assert result.exit_code == 0, result.output
    lines = {line.split("\t")[0]: line for line in result.output.splitlines() if "\t" in line}
    assert set(lines) == set(LANGUAGES)
    assert "\treviewed\t" in lines["de"]
    assert "DRAFT" in lines["tr"] and "draft questionnaires: " in lines["tr"]
    _drop(catalogue_copy, "uk", "Vielen Dank!")
    failed = runner.invoke(args=["translations", "status"])
    assert failed.exit_code == 1 and "INCOMPLETE" in failed.output and "'Vielen Dank!'" in failed.output


def test_reviewing_drops_the_draft_flags(app, catalogue_copy, needed):
    assert interface_status("pl", needed).drafts
    result = app.test_cli_runner().invoke(args=["translations", "reviewed", "pl", "interface"])
    assert result.exit_code == 0 and "marked reviewed" in result.output
    assert not interface_status("pl", needed).drafts and interface_status("pl", needed).complete
    assert interface_status("ru", needed).drafts  # the other languages stay drafts


def test_reviewing_a_questionnaire_language(tmp_path):
    source = load_builtin()["migration-background"]
    path = tmp_path / "migration-background.yaml"
    from questionnaires.loader import definitions_dir, load_file

    path.write_text((definitions_dir() / "migration-background.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert "tr" in source.machine_translated
    assert mark_questionnaire_reviewed(path, "tr")
    reviewed = load_file(path)
    assert "tr" not in reviewed.machine_translated and reviewed.machine_translated == source.machine_translated - {"tr"}
    assert not mark_questionnaire_reviewed(path, "tr")  # already reviewed: nothing to do
