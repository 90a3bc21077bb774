"""Questionnaire definitions for wir-survey: model, loader and validator.

Pure code: no Flask, no database. The survey app builds its forms from these
objects, and stores ``Questionnaire.canonical`` with a wave so the exact
approved questionnaire can be rebuilt with ``load_mapping``.
"""

from .canonical import canonical_json, content_hash
from .conditions import All, Answered, Any, Condition, Equals, In, Includes, Not
from .errors import Problem, QuestionnaireError, UnsupportedFormatError
from .loader import definitions_dir, load_builtin, load_directory, load_file, load_mapping
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
    Text,
    text,
)
from .validator import KINDS, SUPPORTED_FORMATS

__all__ = [
    "All", "Answered", "Any", "Condition", "DerivedVariable", "Equals", "FrozenMap", "In",
    "Includes", "KINDS", "Not", "Option", "PREFER_NOT", "Problem", "Question", "Questionnaire",
    "QuestionnaireError", "Rule", "SOURCE_LANGUAGE", "SUPPORTED_FORMATS", "Section",
    "TableTemplate", "Text", "UnsupportedFormatError", "canonical_json", "content_hash",
    "definitions_dir", "load_builtin", "load_directory", "load_file", "load_mapping", "text",
]
