"""Protecting tables: rules, secondary suppression and the audit, from tables to published cells."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .rules import Requirement, Rules, requirements
from .suppression import suppress
from .system import CellSystem, system_of
from .tables import TOTAL, Key, Table

STATUSES = ("safe", "zero", "primary", "group", "secondary")


@dataclass(frozen=True)
class ProtectedCell:
    key: Key
    count: int | None  # None when secret
    status: str
    lower: float | None = None  # the attacker's bounds, for secret cells
    upper: float | None = None


@dataclass(frozen=True)
class ProtectedTable:
    table: Table
    cells: dict[Key, ProtectedCell]

    @property
    def id(self) -> str:
        return self.table.id

    def suppressed(self) -> list[ProtectedCell]:
        return [c for c in self.cells.values() if c.count is None]


@dataclass(frozen=True)
class Protection:
    tables: list[ProtectedTable]
    system: CellSystem
    suppressed: np.ndarray
    cost: float
    rounds: int


def protect(tables: Sequence[Table], rules: Rules, *, random_state: int | None = 0) -> Protection:
    """Protect tables jointly: shared cells agree, and no combination of them discloses."""
    system = system_of(tables)
    sensitive: dict[int, list[Requirement]] = {}
    for table in tables:
        for key, found in requirements(table, rules).items():
            cell = system.index[(table.id, key)]
            sensitive.setdefault(cell, [])
            sensitive[cell].extend(r for r in found if r not in sensitive[cell])
    # The grand total is the number of respondents: published with every release, never secret.
    grand_totals = np.zeros(system.size, dtype=bool)
    for table in tables:
        grand_totals[system.index[(table.id, tuple(TOTAL for _ in table.dimensions))]] = True
    result = suppress(system, sensitive, rules.min_count, published=grand_totals, random_state=random_state)
    protected = [
        ProtectedTable(table, {key: _cell(system, result, sensitive, table, key) for key in table.keys})
        for table in tables
    ]
    return Protection(protected, system, result.suppressed, result.cost, result.rounds)


def _cell(system: CellSystem, result, sensitive: dict[int, list[Requirement]], table: Table, key: Key) -> ProtectedCell:
    cell = system.index[(table.id, key)]
    value = int(system.values[cell])
    if not result.suppressed[cell]:
        return ProtectedCell(key, value, "zero" if value == 0 else "safe")
    kinds = {r.kind for r in sensitive.get(cell, ())}
    status = "primary" if "primary" in kinds else "group" if "group" in kinds else "secondary"
    lower, upper = result.bounds[cell]
    return ProtectedCell(key, None, status, lower, upper)
