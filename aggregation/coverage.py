"""Strata that were not surveyed: no codes were issued there, so their cells say nothing, not zero.

A stratum below the minimum stratum size gets no codes (its people could be told apart by their
answers). Its cells count 0, but reading them as `-` ("nothing", a true zero) would say that
nobody there has the attribute, when nobody there was asked. Such cells carry the status
`not_surveyed` and a symbol of their own in every release file, and no estimate is published for
a population that lies wholly inside them.

Which strata were surveyed is not secret: codes per stratum are on the office's participation
pages and the minimum stratum size is a wave parameter. Marking cells changes no count, so the
release log and the audit of later releases see the same numbers as before.
"""
from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from .protect import ProtectedTable
from .tables import Key, Table

NOT_SURVEYED = "not_surveyed"


@dataclass(frozen=True)
class StratumCoverage:
    """One stratum of the wave: its categories by table dimension name, e.g.
    {"stratum.group": "medium", "stratum.department": "32"}, its headcount, and whether any codes
    were issued in it."""

    attributes: Mapping[str, str]
    headcount: int
    surveyed: bool


def not_surveyed_keys(table: Table, strata: Sequence[StratumCoverage]) -> frozenset[Key]:
    """The table's cells whose stratum categories cover people, none of them surveyed.

    Dimensions named in the strata's attributes are the stratum dimensions; the others (answers)
    range over all their nodes. A combination nobody belongs to stays a true zero: it is not
    "not surveyed", there is nobody to survey."""
    axes = [i for i, d in enumerate(table.dimensions) if any(d.name in s.attributes for s in strata)]
    if not axes:
        return frozenset()
    below = {i: _leaves_below(table, i) for i in axes}
    people = [s for s in strata if s.headcount > 0]
    result: set[Key] = set()
    for nodes in itertools.product(*(table.dimensions[i].nodes for i in axes)):
        members = [
            s for s in people
            if all(s.attributes.get(table.dimensions[i].name) in below[i][node] for i, node in zip(axes, nodes))
        ]
        if not members or any(s.surveyed for s in members):
            continue
        fixed = dict(zip(axes, nodes))
        ranges = [(fixed[i],) if i in fixed else d.nodes for i, d in enumerate(table.dimensions)]
        result.update(itertools.product(*ranges))
    return frozenset(result)


def mark_not_surveyed(protected: ProtectedTable, keys: Collection[Key]) -> ProtectedTable:
    """The same table with `keys` marked `not_surveyed`; counts are unchanged.

    A secret cell stays secret (its status is what the protection decided, and `.` says no
    more than "not surveyed" does). A count above 0 in a stratum without codes means the wave
    was altered, and is refused."""
    cells = dict(protected.cells)
    for key in keys:
        cell = cells[key]
        if cell.count is None:
            continue
        if cell.count:
            raise ValueError(f"table {protected.id!r}: cell {key} counts {cell.count} answers, but no codes were issued there")
        cells[key] = dataclasses.replace(cell, status=NOT_SURVEYED)
    return dataclasses.replace(protected, cells=cells)


def _leaves_below(table: Table, axis: int) -> dict[str, frozenset[str]]:
    dimension = table.dimensions[axis]
    result: dict[str, set[str]] = {node: set() for node in dimension.nodes}
    for leaf in dimension.leaves:
        for node in dimension.path(leaf):
            result[node].add(leaf)
    return {node: frozenset(leaves) for node, leaves in result.items()}
