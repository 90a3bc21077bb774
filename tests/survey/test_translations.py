"""The English catalogue: complete, well-formed, and in step with the interface text in the code.

German is the source language: msgids are the German text of `_()` / `_l()` calls in the Python
code and the templates. A new or changed string without an English translation fails here,
naming the string; `make extract-messages` followed by translating the new entries fixes it.
"""
from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "survey"
TRANSLATIONS = PACKAGE / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"

#: What the interface text is written in: the package's Python code and its Jinja templates
#: (paths relative to `survey/`), with Flask-Babel's `_l` besides gettext's default keywords.
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%%|\{\w*\}")


def _read(path: Path):
    with path.open("rb") as fh:
        return read_po(fh)


def _msgid(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def _messages(catalog) -> dict[str, object]:
    return {_msgid(m): m for m in catalog if m.id}


def _where(locations) -> str:
    return ", ".join(f"{path}:{line}" for path, line in locations) or "?"


@pytest.fixture(scope="module")
def catalog():
    return _read(PO)


@pytest.fixture(scope="module")
def source_strings() -> dict[str, list[tuple[str, int]]]:
    """Every translatable string in the code now, with where it occurs."""
    found: dict[str, list[tuple[str, int]]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        PACKAGE, method_map=METHOD_MAP, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append((f"survey/{filename}", lineno))
    return found


def test_the_interface_has_translatable_text(source_strings):
    # Guards the guard: an extraction that finds nothing would make the coverage test pass vacuously.
    assert len(source_strings) >= 30
    assert "Befragung der Beschäftigten" in source_strings  # a template
    assert "Ihr Code" in source_strings  # Python, via _l


def test_every_message_has_an_english_translation(catalog):
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy"
    messages = _messages(catalog)
    assert messages, f"{PO} holds no messages"
    untranslated = [
        f"{_where(m.locations)}: {msgid!r}"
        for msgid, m in messages.items()
        if not (m.string[0] if isinstance(m.string, tuple) else m.string).strip()
    ]
    fuzzy = [f"{_where(m.locations)}: {msgid!r}" for msgid, m in messages.items() if m.fuzzy]
    assert not untranslated, "no English translation for:\n" + "\n".join(untranslated)
    assert not fuzzy, "translation marked fuzzy (check it, then drop the flag):\n" + "\n".join(fuzzy)
    assert not list(catalog.obsolete), f"obsolete entries (#~) left in {PO.name}: {list(catalog.obsolete)}"


def test_placeholders_match(catalog):
    wrong = []
    for msgid, message in _messages(catalog).items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = sorted(PLACEHOLDER.findall(msgid))
        for string in strings:
            if sorted(PLACEHOLDER.findall(string)) != expected:
                wrong.append(f"{msgid!r} -> {string!r}")
    assert not wrong, "placeholders differ between German and English:\n" + "\n".join(wrong)
    # Babel's own checks (python-format flags, plural counts) as well.
    problems = [f"{_msgid(m)!r}: {errors}" for m, errors in catalog.check()]
    assert not problems, "\n".join(problems)


def test_the_catalogue_covers_every_interface_string(catalog, source_strings):
    pot = _messages(_read(POT))
    po = _messages(catalog)
    missing_po = [f"{_where(where)}: {msgid!r}" for msgid, where in source_strings.items() if msgid not in po]
    missing_pot = [f"{_where(where)}: {msgid!r}" for msgid, where in source_strings.items() if msgid not in pot]
    assert not missing_po, (
        "interface text without an English translation (run `make extract-messages`, then translate):\n"
        + "\n".join(missing_po)
    )
    assert not missing_pot, f"{POT.name} is out of date (run `make extract-messages`):\n" + "\n".join(missing_pot)


def test_the_catalogue_has_no_stale_strings(catalog, source_strings):
    stale = sorted((set(_messages(catalog)) | set(_messages(_read(POT)))) - set(source_strings))
    assert not stale, "catalogue entries no longer used in the code (run `make extract-messages`):\n" + "\n".join(
        map(repr, stale)
    )


def test_the_compiled_catalogue_translates(tmp_path):
    """The .po compiles (the .mo is git-ignored and built by `make`) and yields the English text."""
    out = tmp_path / "messages.mo"
    CommandLineInterface().run(["pybabel", "-q", "compile", "-i", str(PO), "-o", str(out), "-l", "en"])
    with out.open("rb") as fh:
        compiled = read_mo(fh)
    assert compiled.get("Ihr Code").string == "Your code"
    assert compiled.get("Seite %(position)s von %(total)s").string % {"position": 1, "total": 3} == "Page 1 of 3"


# --- the Makefile's catalogue commands ----------------------------------------------------------


def _make_recipe(command: str) -> list[str]:
    """The argv of the Makefile recipe line that runs `pybabel ... <command> ...`."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for line in makefile.splitlines():
        if line.startswith("\t") and "pybabel" in line and f" {command} " in f" {line} ":
            return shlex.split(line.strip().replace("$(BIN)/pybabel", "pybabel"))
    raise AssertionError(f"no `pybabel {command}` line in the Makefile")


def _run(argv: list[str]) -> None:
    try:
        CommandLineInterface().run(argv)
    except SystemExit as exc:  # optparse exits on an unknown option
        if exc.code:
            raise AssertionError(f"`{' '.join(argv)}` exited with {exc.code}") from None


def test_make_extract_messages_finds_every_interface_string(tmp_path, monkeypatch, source_strings):
    argv = _make_recipe("extract")
    out = tmp_path / "messages.pot"
    argv[argv.index("-o") + 1] = str(out)
    monkeypatch.chdir(ROOT)
    _run(argv)
    assert set(_messages(_read(out))) == set(source_strings)


def test_make_compiles_the_catalogue(tmp_path, monkeypatch):
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))
    argv = _make_recipe("compile")
    argv[argv.index("-d") + 1] = str(copy)
    monkeypatch.chdir(ROOT)
    _run(argv)
    assert (copy / "en" / "LC_MESSAGES" / "messages.mo").is_file()
