"""Any frequency table, as the Statistics Office protects tables today: CSV in, protected CSV out.

Input: one row per inner cell, with the dimension columns and a count. A dimension written
`parent/child` (e.g. `directorate/department`) is hierarchical: children are summed into their
parent's sub-total. Output: every cell including all margins (label `Total`), its count (empty when
secret), its status and, for a secret cell, the attacker's bounds.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from .protect import ProtectedTable
from .tables import TOTAL, Dimension, Table, build_table


OUTPUT_COLUMNS = ("count", "status", "lower", "upper")


class InputError(ValueError):
    """The input table cannot be read as a frequency table; the message says where and why."""


@dataclass(frozen=True)
class DimensionSpec:
    """One `--dims` entry: a column, or `parent/child` for a two-level hierarchy."""

    columns: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> DimensionSpec:
        columns = tuple(part.strip() for part in text.split("/"))
        if not all(columns) or len(columns) > 2:
            raise InputError(f"dimension {text!r}: write a column name, or parent/child for a hierarchy")
        return cls(columns)

    @property
    def name(self) -> str:
        return "/".join(self.columns)


def table_from_frame(frame: pd.DataFrame, specs: Sequence[DimensionSpec], count_column: str, table_id: str = "table") -> Table:
    columns = [c for spec in specs for c in spec.columns]
    missing = [c for c in [*columns, count_column] if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; the file has {', '.join(map(str, frame.columns))}")
    if len(set(columns)) != len(columns):
        raise InputError("a column is named in more than one dimension")
    clash = sorted(set(columns) & set(OUTPUT_COLUMNS))
    if clash:
        raise InputError(f"dimension column {clash[0]!r} would clash with an output column; rename it")
    data = frame[columns].astype(str).apply(lambda s: s.str.strip())
    for column in columns:
        bad = data.index[(data[column] == "") | (data[column] == TOTAL)]
        if len(bad):
            raise InputError(f"line {bad[0] + 2}: column {column!r} is empty or '{TOTAL}' (reserved for margins)")
    counts = pd.to_numeric(frame[count_column], errors="coerce")
    bad = counts.index[counts.isna() | (counts < 0) | (counts % 1 != 0)]
    if len(bad):
        raise InputError(f"line {bad[0] + 2}: {count_column} {frame[count_column][bad[0]]!r} is not a whole number ≥ 0")
    duplicated = data.index[data.duplicated()]
    if len(duplicated):
        raise InputError(f"line {duplicated[0] + 2}: the same cell appears twice")
    dimensions = [_dimension(spec, data) for spec in specs]
    keys = [tuple(row[spec.columns[-1]] for spec in specs) for _, row in data.iterrows()]
    return build_table(table_id, dimensions, dict(zip(keys, counts.astype(int).tolist())))


def _dimension(spec: DimensionSpec, data: pd.DataFrame) -> Dimension:
    if len(spec.columns) == 1:
        return Dimension.flat(spec.name, list(dict.fromkeys(data[spec.columns[0]])))
    parent, child = spec.columns
    groups: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for p, c in zip(data[parent], data[child]):
        if owner.setdefault(c, p) != p:
            raise InputError(f"{child} {c!r} appears under two {parent} values ({owner[c]!r} and {p!r})")
        if c not in groups.setdefault(p, []):
            groups[p].append(c)
    overlap = set(groups) & set(owner)
    if overlap:
        raise InputError(f"{sorted(overlap)[0]!r} is both a {parent} and a {child}")
    return Dimension.hierarchical(spec.name, groups)


def frame_from_protected(protected: ProtectedTable, specs: Sequence[DimensionSpec]) -> pd.DataFrame:
    """Every cell with its dimension columns, count, status and the attacker's bounds."""
    table = protected.table
    parents = [d.leaf_parent() if len(s.columns) == 2 else {} for d, s in zip(table.dimensions, specs)]
    rows = []
    for key, cell in protected.cells.items():
        row: dict[str, object] = {}
        for node, spec, parent, dimension in zip(key, specs, parents, table.dimensions):
            if len(spec.columns) == 1:
                row[spec.columns[0]] = node
            elif node == TOTAL:
                row[spec.columns[0]], row[spec.columns[1]] = TOTAL, TOTAL
            elif node in dimension.children:  # a group: its sub-total
                row[spec.columns[0]], row[spec.columns[1]] = node, TOTAL
            else:
                row[spec.columns[0]], row[spec.columns[1]] = parent[node], node
        row["count"] = cell.count
        row["status"] = cell.status
        row["lower"] = _bound(cell.lower)
        row["upper"] = _bound(cell.upper)
        rows.append(row)
    return pd.DataFrame(rows).astype({"count": "Int64", "lower": "Int64", "upper": "object"})


def _bound(value: float | None) -> object:
    if value is None:
        return pd.NA
    return "inf" if math.isinf(value) else int(value)
