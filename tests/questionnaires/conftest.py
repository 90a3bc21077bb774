"""Fixtures for questionnaire tests: a small valid definition and a file writer."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

MINIMAL: dict[str, Any] = {
    "format": 1,
    "id": "mini",
    "version": 1,
    "languages": ["de", "en"],
    "title": {"de": "Titel", "en": "Title"},
    "introduction": {"de": "Einleitung", "en": "Introduction"},
    "common_options": {
        "yes": {"de": "Ja", "en": "Yes"},
        "no": {"de": "Nein", "en": "No"},
        "prefer_not_to_say": {"de": "Keine Angabe", "en": "Prefer not to say"},
    },
    "sections": [
        {
            "id": "first",
            "title": {"de": "Erste Seite", "en": "First page"},
            "questions": [
                {"id": "born_here", "kind": "yes_no", "text": {"de": "Hier geboren?", "en": "Born here?"}},
                {
                    "id": "colour",
                    "kind": "single",
                    "text": {"de": "Farbe?", "en": "Colour?"},
                    "options": [
                        {"code": "red", "text": {"de": "Rot", "en": "Red"}},
                        {"code": "blue", "text": {"de": "Blau", "en": "Blue"}},
                    ],
                },
            ],
        },
        {
            "id": "second",
            "title": {"de": "Zweite Seite", "en": "Second page"},
            "questions": [
                {
                    "id": "pets",
                    "kind": "multi",
                    "text": {"de": "Haustiere?", "en": "Pets?"},
                    "show_if": {"question": "born_here", "equals": "yes"},
                    "options": [
                        {"code": "cat", "text": {"de": "Katze", "en": "Cat"}},
                        {"code": "dog", "text": {"de": "Hund", "en": "Dog"}},
                    ],
                }
            ],
        },
    ],
    "derived": [
        {
            "id": "local",
            "label": {"de": "Einheimisch", "en": "Local"},
            "categories": [
                {"code": "yes", "text": {"de": "Ja", "en": "Yes"}},
                {"code": "no", "text": {"de": "Nein", "en": "No"}},
                {"code": "unknown", "text": {"de": "Unbekannt", "en": "Unknown"}},
            ],
            "rules": [
                {"value": "yes", "when": {"question": "born_here", "equals": "yes"}},
                {"value": "no", "when": {"question": "born_here", "equals": "no"}},
            ],
            "otherwise": "unknown",
        }
    ],
    "tables": [
        {"id": "local_by_group", "title": {"de": "T", "en": "T"}, "dimensions": ["stratum.group", "local"]}
    ],
}


@pytest.fixture
def minimal() -> dict[str, Any]:
    """A fresh, valid definition to break in one place."""
    return copy.deepcopy(MINIMAL)


@pytest.fixture
def write_definition(tmp_path: Path) -> Callable[..., Path]:
    """Factory: write data (a mapping, dumped as YAML) or raw text to ``<name>.yaml``."""

    def write(data: Any, name: str = "mini") -> Path:
        path = tmp_path / f"{name}.yaml"
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write
