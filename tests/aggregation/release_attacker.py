"""An attacker who holds every published file of every release of a wave, written without `aggregation`.

The tables of a wave are margins of one cross-classification (e.g. group × department × answer).
The attacker's unknowns are its finest cells in every release; each published cell of each release
is an equation, counts are ≥ 0, and counts only grow: every finest cell of a later release is at
least its value in every earlier one (for every pair of releases, not only neighbours). One linear
program per bound (SciPy `linprog`) gives the tightest interval of every secret cell of every
release and of every cell's change between any two releases; whole numbers are rounded inwards,
since the attacker knows counts are whole.

The verdict follows DESIGN.md section 7 on its own: a count or change of 1..k−1 must not be exact
nor lie within 1..k−1; in a group (a cell summed over the answer, the last dimension) of n ≥ k
people or late respondents where all or all but one gave the same answer, that answer's interval
must reach down to n − 2.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import lil_array

from aggregation import TOTAL, Table

Key = tuple[str, ...]


@dataclass(frozen=True)
class SeenRelease:
    """One release: its true tables (to judge) and what was published (None = secret)."""

    tables: Sequence[Table]
    published: Mapping[str, Mapping[Key, int | None]]

    @property
    def secret(self) -> frozenset[tuple[str, Key]]:
        cells = self.published.items()
        return frozenset((t, key) for t, counts in cells for key, value in counts.items() if value is None)


@dataclass(frozen=True)
class Assessment:
    """The attacker's interval for one sensitive cell ("release 2") or change ("change 1→3").

    `upper` is None where the lower bound alone decides: a primary cell whose interval holds 0,
    and the group rule, which speaks of the lower bound only."""

    where: str
    table: str
    key: Key
    value: int
    lower: float
    upper: float | None
    rule: str  # "primary" or "group"
    exposed: bool

    @property
    def what(self) -> str:
        return f"{self.where} {self.table}[{', '.join(self.key)}]"

    def __str__(self) -> str:
        return f"{self.what} = {self.value} narrowed to [{self.lower}, {self.upper}] ({self.rule})"


def attack(releases: Sequence[SeenRelease], k: int) -> list[Assessment]:
    """Every primary- or group-sensitive cell or change that the published files give away."""
    return [a for a in assess(releases, k) if a.exposed]


def assess(releases: Sequence[SeenRelease], k: int) -> list[Assessment]:
    """The tightest interval of every sensitive cell of every release, and of every sensitive change
    between any two releases, from all published files together."""
    attacker = _Attacker(releases)
    found: list[Assessment] = []
    for r, release in enumerate(releases):
        for table in release.tables:
            for key, rules in _sensitive(table, table.counts, k).items():
                objective = attacker.objective({r: 1.0}, table, key)
                found.extend(_judge(attacker, objective, f"release {r + 1}", table, key, table.counts, rule, k)
                             for rule in rules)
    for i, j in itertools.combinations(range(len(releases)), 2):
        earlier = {t.id: t for t in releases[i].tables}
        for table in releases[j].tables:
            change = {key: table.counts[key] - earlier[table.id].counts[key] for key in table.keys}
            for key, rules in _sensitive(table, change, k).items():
                objective = attacker.objective({j: 1.0, i: -1.0}, table, key)
                found.extend(_judge(attacker, objective, f"change {i + 1}→{j + 1}", table, key, change, rule, k)
                             for rule in rules)
    return found


def _judge(attacker, objective, where: str, table: Table, key: Key, counts: Mapping[Key, int], rule: str, k: int):
    lower, upper = attacker.lower(objective), None
    if rule == "primary":
        exposed = False
        if lower >= 1:  # else 0 is possible, and so is the true value: not exact
            upper = attacker.upper(objective)
            exposed = upper <= lower or upper <= k - 1
    else:
        exposed = lower > counts[(*key[:-1], TOTAL)] - 2
    return Assessment(where, table.id, key, counts[key], lower, upper, rule, exposed)


class _Attacker:
    """The linear programs over every release's finest cells; each bound solved once (tables
    share cells: group × answer is a margin of group × department × answer)."""

    def __init__(self, releases: Sequence[SeenRelease]) -> None:
        self.finest = _Finest(releases[0].tables)
        m, f = len(releases), self.finest.size
        rows, rhs = [], []
        for r, release in enumerate(releases):
            for table in release.tables:
                for key, value in release.published[table.id].items():
                    if value is not None:
                        rows.append(r * f + self.finest.cells(table, key))
                        rhs.append(value)
        a_eq = lil_array((len(rows), m * f))
        for row, cells in enumerate(rows):
            a_eq[row, cells] = 1.0
        growth = lil_array((f * m * (m - 1) // 2, m * f))
        for row, ((i, j), cell) in enumerate(itertools.product(itertools.combinations(range(m), 2), range(f))):
            growth[row, i * f + cell], growth[row, j * f + cell] = 1.0, -1.0  # then − now ≤ 0
        self.program = dict(
            A_eq=a_eq.tocsr(), b_eq=np.asarray(rhs, float), A_ub=growth.tocsr(), b_ub=np.zeros(growth.shape[0]),
            bounds=(0, None), method="highs",
        )
        self.width = m * f
        self.solved: dict[tuple[bytes, int], float] = {}

    def objective(self, releases: Mapping[int, float], table: Table, key: Key) -> np.ndarray:
        objective = np.zeros(self.width)
        cells = self.finest.cells(table, key)
        for r, sign in releases.items():
            objective[r * self.finest.size + cells] = sign
        return objective

    def lower(self, objective: np.ndarray) -> float:
        return self._solve(objective, +1)

    def upper(self, objective: np.ndarray) -> float:
        return self._solve(objective, -1)

    def _solve(self, objective: np.ndarray, sense: int) -> float:
        memo = (objective.tobytes(), sense)
        if memo not in self.solved:
            result = linprog(sense * objective, **self.program)
            if sense < 0 and result.status == 3:
                self.solved[memo] = math.inf
            else:
                assert result.status == 0, f"the published releases are inconsistent: {result.message}"
                # Counts are whole numbers, and the attacker knows it.
                value = sense * result.fun
                self.solved[memo] = math.ceil(value - 1e-6) if sense > 0 else math.floor(value + 1e-6)
        return self.solved[memo]


def _sensitive(table: Table, counts: Mapping[Key, int], k: int) -> dict[Key, list[str]]:
    """Cells of 1..k−1 (primary) and dominant answers of groups of n ≥ k with n − dominant < 2."""
    found = {key: ["primary"] for key, value in counts.items() if 0 < value < k}
    answer = table.dimensions[-1]
    for rest in itertools.product(*(d.nodes for d in table.dimensions[:-1])):
        n = counts[(*rest, TOTAL)]
        dominant = max(((*rest, leaf) for leaf in answer.leaves), key=lambda key: counts[key])
        if n >= k and n - counts[dominant] < 2:
            found.setdefault(dominant, []).append("group")
    return found


class _Finest:
    """The finest cross-classification of all dimensions the tables use, and which finest cells
    each table cell sums."""

    def __init__(self, tables: Sequence[Table]) -> None:
        dimensions = {}
        for table in tables:
            for dimension in table.dimensions:
                assert dimensions.setdefault(dimension.name, dimension) == dimension, dimension.name
        self.names = list(dimensions)
        self.leaves = [dimensions[name].leaves for name in self.names]
        self.under = {
            name: {node: {leaf for leaf in d.leaves if node in d.path(leaf)} for node in d.nodes}
            for name, d in dimensions.items()
        }
        self.keys = list(itertools.product(*self.leaves))
        self.size = len(self.keys)

    def cells(self, table: Table, key: Key) -> np.ndarray:
        wanted = {d.name: self.under[d.name][node] for d, node in zip(table.dimensions, key)}
        return np.asarray([
            n for n, finest in enumerate(self.keys)
            if all(leaf in wanted.get(name, (leaf,)) for name, leaf in zip(self.names, finest))
        ], dtype=int)
