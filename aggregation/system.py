"""Cells of one or more tables as one linear system: values, costs and additive equations.

Tables of one release describe one population, so a cell that two tables share (same dimensions
and categories, e.g. group × answer in a group table and in a group × department table) is one
variable: protecting and auditing them together keeps shared cells consistent, and stops an
attacker from combining the tables.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.sparse import csr_array

from .tables import Key, Table

CellRef = tuple[str, Key]


@dataclass(frozen=True)
class CellSystem:
    values: np.ndarray
    equations: tuple[tuple[int, tuple[int, ...]], ...]
    margin_depth: np.ndarray
    refs: tuple[tuple[CellRef, ...], ...]  # every (table id, key) that shows each cell
    index: dict[CellRef, int]

    @property
    def size(self) -> int:
        return len(self.values)

    def label(self, cell: int) -> str:
        table_id, key = self.refs[cell][0]
        return f"{table_id}[{', '.join(key)}]"

    @cached_property
    def matrix(self) -> csr_array:
        """One row per equation: −1 for the total, +1 for each part, so matrix · values = 0."""
        rows, cols, data = [], [], []
        for row, (total, parts) in enumerate(self.equations):
            rows.append(row)
            cols.append(total)
            data.append(-1.0)
            rows.extend([row] * len(parts))
            cols.extend(parts)
            data.extend([1.0] * len(parts))
        return csr_array((data, (rows, cols)), shape=(len(self.equations), self.size))

    @cached_property
    def incidence(self) -> csr_array:
        """Which cells each equation holds (1 for every member)."""
        return abs(self.matrix)

    def neighbours(self) -> list[set[int]]:
        """For each cell, the cells it shares an equation with."""
        result: list[set[int]] = [set() for _ in range(self.size)]
        for total, parts in self.equations:
            members = (total, *parts)
            for cell in members:
                result[cell].update(members)
        for cell, near in enumerate(result):
            near.discard(cell)
        return result


def system_of(tables: Sequence[Table]) -> CellSystem:
    index: dict[CellRef, int] = {}
    identities: dict[frozenset, int] = {}
    values: list[int] = []
    depth: list[int] = []
    refs: list[list[CellRef]] = []
    for table in tables:
        for key in table.keys:
            identity = table.cell_identity(key)
            cell = identities.get(identity)
            if cell is None:
                cell = identities[identity] = len(values)
                values.append(table.counts[key])
                depth.append(table.margin_depth(key))
                refs.append([])
            elif values[cell] != table.counts[key]:
                raise ValueError(
                    f"tables disagree on a shared cell: {table.id}[{', '.join(key)}] is {table.counts[key]}, "
                    f"elsewhere {values[cell]}"
                )
            index[(table.id, key)] = cell
            refs[cell].append((table.id, key))
    equations: set[tuple[int, tuple[int, ...]]] = set()
    for table in tables:
        for equation in table.equations():
            total = index[(table.id, equation.total)]
            parts = tuple(sorted(index[(table.id, part)] for part in equation.parts))
            equations.add((total, parts))
    return CellSystem(
        values=np.asarray(values, dtype=np.int64),
        equations=tuple(sorted(equations)),
        margin_depth=np.asarray(depth, dtype=np.int64),
        refs=tuple(tuple(r) for r in refs),
        index=index,
    )
