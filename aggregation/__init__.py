"""Disclosure control for the Statistics Office: pure functions, no Flask, no database.

Tables with margins (`tables`), the minimum-count and group rules (`rules`), secondary
suppression as an integer program (`suppression`), and the attacker audit (`audit`), combined
in `protect`, with every earlier release of a wave linked to every other (`history`). Every
privacy parameter is explicit; randomness only breaks ties, via `random_state`.
"""
from .audit import attacker_bounds
from .protect import ProtectedCell, ProtectedTable, Protection, protect
from .rules import (
    MIN_COUNT_DEFAULT,
    MIN_COUNT_FLOOR,
    CannotProtect,
    DisclosureRiskWarning,
    Requirement,
    Rules,
    group_disclosures,
    requirements,
)
from .system import CellSystem, system_of
from .tables import TOTAL, Dimension, Table, build_table

__all__ = [
    "MIN_COUNT_DEFAULT",
    "MIN_COUNT_FLOOR",
    "TOTAL",
    "CannotProtect",
    "CellSystem",
    "Dimension",
    "DisclosureRiskWarning",
    "ProtectedCell",
    "ProtectedTable",
    "Protection",
    "Requirement",
    "Rules",
    "Table",
    "attacker_bounds",
    "build_table",
    "group_disclosures",
    "protect",
    "requirements",
    "system_of",
]
