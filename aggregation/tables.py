"""Frequency tables with every margin, as a set of cells tied together by additive equations.

A dimension is a tree of categories under `Total`: a flat dimension has its categories as leaves,
a hierarchical one (department within directorate) has groups in between. A table holds a count for
every combination of nodes, so margins and sub-totals are ordinary cells, and each internal node
along each dimension gives one equation `node = sum(children)`. Disclosure control works on these
cells and equations only, which is what lets several tables, and several releases, be protected
and audited together.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

TOTAL = "Total"

Key = tuple[str, ...]


@dataclass(frozen=True)
class Dimension:
    """A named tree of categories whose root is `Total`; the order of categories is kept for output."""

    name: str
    children: Mapping[str, tuple[str, ...]]

    @classmethod
    def flat(cls, name: str, categories: Sequence[str]) -> Dimension:
        _check_names(name, categories)
        return cls(name, {TOTAL: tuple(categories)})

    @classmethod
    def hierarchical(cls, name: str, groups: Mapping[str, Sequence[str]]) -> Dimension:
        """Two levels, e.g. {"Directorate 3": ["32", "33"], ...}; group and leaf names must all differ."""
        _check_names(name, [*groups, *itertools.chain.from_iterable(groups.values())])
        children: dict[str, tuple[str, ...]] = {TOTAL: tuple(groups)}
        for group, members in groups.items():
            if not members:
                raise ValueError(f"dimension {name!r}: group {group!r} has no categories")
            children[group] = tuple(members)
        return cls(name, children)

    @property
    def nodes(self) -> tuple[str, ...]:
        """Every node, `Total` first, then depth-first in the given order."""
        out: list[str] = []

        def visit(node: str) -> None:
            out.append(node)
            for child in self.children.get(node, ()):
                visit(child)

        visit(TOTAL)
        return tuple(out)

    @property
    def leaves(self) -> tuple[str, ...]:
        return tuple(n for n in self.nodes if n not in self.children)

    def leaf_parent(self) -> dict[str, str]:
        return {child: parent for parent, kids in self.children.items() for child in kids}

    def path(self, node: str) -> list[str]:
        """`node` and its ancestors up to `Total`: the cells a count in `node` adds to."""
        parent = self.leaf_parent()
        chain = [node]
        while chain[-1] in parent:
            chain.append(parent[chain[-1]])
        return chain


@dataclass(frozen=True)
class Equation:
    """`total` equals the sum of `parts` (all cell keys of one table)."""

    total: Key
    parts: tuple[Key, ...]


@dataclass(frozen=True)
class Table:
    """Counts for every node combination of its dimensions; margins use the label `Total`."""

    id: str
    dimensions: tuple[Dimension, ...]
    counts: Mapping[Key, int] = field(repr=False)
    #: Which population the counts describe: tables of one release share it, releases differ.
    population: str = ""

    @property
    def keys(self) -> tuple[Key, ...]:
        return tuple(itertools.product(*(d.nodes for d in self.dimensions)))

    def is_inner(self, key: Key) -> bool:
        return all(node not in d.children for node, d in zip(key, self.dimensions))

    def margin_depth(self, key: Key) -> int:
        """How many dimensions the cell sums over (0 for an inner cell); margins cost more to suppress."""
        return sum(node in d.children for node, d in zip(key, self.dimensions))

    def equations(self) -> list[Equation]:
        result: list[Equation] = []
        node_lists = [d.nodes for d in self.dimensions]
        for axis, dimension in enumerate(self.dimensions):
            others = [nodes if i != axis else (None,) for i, nodes in enumerate(node_lists)]
            for parent, kids in dimension.children.items():
                for combo in itertools.product(*others):
                    total = combo[:axis] + (parent,) + combo[axis + 1 :]
                    parts = tuple(combo[:axis] + (kid,) + combo[axis + 1 :] for kid in kids)
                    result.append(Equation(total, parts))
        return result

    def cell_identity(self, key: Key) -> frozenset[tuple[str, str]]:
        """What a cell counts, independent of the table: (dimension, node) pairs other than Total.

        Two tables of the same population agree on every cell with the same identity."""
        return frozenset((d.name, node) for d, node in zip(self.dimensions, key) if node != TOTAL) | {
            ("", self.population)
        }

    def what(self, key: Key) -> frozenset[tuple[str, str]]:
        """The cell's identity without the population: the same cell in another release."""
        return self.cell_identity(key) - {("", self.population)}


def build_table(table_id: str, dimensions: Sequence[Dimension], inner: Mapping[Key, int]) -> Table:
    """A table with all margins from counts of the inner (leaf) cells; missing inner cells are 0."""
    dims = tuple(dimensions)
    if not 1 <= len(dims) <= 3:
        raise ValueError(f"table {table_id!r}: between one and three dimensions, not {len(dims)}")
    names = [d.name for d in dims]
    if len(set(names)) != len(names):
        raise ValueError(f"table {table_id!r}: dimension names repeat: {names}")
    leaves = [set(d.leaves) for d in dims]
    counts: dict[Key, int] = {}
    for key, value in inner.items():
        if len(key) != len(dims) or any(node not in leaf for node, leaf in zip(key, leaves)):
            raise ValueError(f"table {table_id!r}: {key!r} is not an inner cell of dimensions {names}")
        if int(value) != value or value < 0:
            raise ValueError(f"table {table_id!r}: count {value!r} for {key!r} is not a whole number ≥ 0")
        counts[key] = counts.get(key, 0) + int(value)
    paths = [{leaf: d.path(leaf) for leaf in d.leaves} for d in dims]
    totals: dict[Key, int] = {}
    for key in itertools.product(*(d.leaves for d in dims)):
        value = counts.get(key, 0)
        for combo in itertools.product(*(path[node] for node, path in zip(key, paths))):
            totals[combo] = totals.get(combo, 0) + value
    return Table(table_id, dims, totals)


def _check_names(name: str, categories: Iterable[str]) -> None:
    seen: set[str] = set()
    for category in categories:
        if category == TOTAL:
            raise ValueError(f"dimension {name!r}: {TOTAL!r} is reserved for margins")
        if category in seen:
            raise ValueError(f"dimension {name!r}: category {category!r} appears twice")
        seen.add(category)
    if not seen:
        raise ValueError(f"dimension {name!r} has no categories")
