"""Protecting tables: rules, secondary suppression and the audit, from tables to published cells."""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .history import inherited_exposures, link_releases
from .hypercube import Boxes
from .rules import CannotProtect, DisclosureRiskWarning, Requirement, Rules
from .suppression import suppress
from .system import CellSystem
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
    method: str  # "optimal" (integer program) or "hypercube" (heuristic, audited all the same)


@dataclass(frozen=True)
class EarlierRelease:
    """A release already published from the same wave: its true counts then, and what was secret."""

    tables: Sequence[Table]
    secret: frozenset[tuple[str, Key]]


def protect(
    tables: Sequence[Table],
    rules: Rules,
    *,
    earlier: Sequence[EarlierRelease] = (),
    random_state: int | None = 0,
    exact_seconds: float = 10.0,
) -> Protection:
    """Protect tables jointly, and as one system with every earlier release of the same population.

    Shared cells agree and no combination of tables discloses. Across releases, every cell is
    linked to its value in every other release (`history`: cell_j = cell_i + change, change ≥ 0,
    for every pair i < j, because responses are only ever added), and every change is protected
    like any table: a change of 1..k−1 people, or late respondents who all or all but one gave the
    same answer, stay hidden whichever two releases an attacker subtracts. What earlier releases
    published stays published and what they kept secret stays secret; their sensitive cells and
    the changes between them are audited again, since the new release adds equations.

    Refused (CannotProtect): a release with no new responses since the last one, or fewer than k
    since any earlier one. Earlier releases that already give something away together (a log
    protected pairwise with the newest release only, or rules raised since) cannot be repaired:
    a DisclosureRiskWarning names each such cell, and the new release may not narrow it further.

    The cheapest pattern is sought for `exact_seconds`; after that the hypercube heuristic
    protects what is left (see `suppression`)."""
    past = [(release.tables, release.secret) for release in earlier]
    _refuse_small_changes(tables, earlier, rules.min_count)
    history = link_releases(past, tables)
    system = history.system
    sensitive = history.requirements(rules)
    if earlier:
        _keep_inherited(sensitive, system, inherited_exposures(past, rules), rules.min_count)
    result = suppress(
        system,
        sensitive,
        rules.min_count,
        fixed=history.fixed,
        published=history.published,
        random_state=random_state,
        boxes=Boxes(system, history.tables, history.lineages),
        exact_seconds=exact_seconds,
        report=history.newest,
    )
    protected = [
        ProtectedTable(original, {key: _cell(system, result, sensitive, table, key) for key in table.keys})
        for original, table in zip(tables, history.releases[-1])
    ]
    return Protection(protected, system, result.suppressed, result.cost, result.rounds, result.method)


def _refuse_small_changes(current: Sequence[Table], earlier: Sequence[EarlierRelease], k: int) -> None:
    """Comparing two releases shows what the people in between answered: at least k of them, always."""
    now_total = _respondents(current)
    for number in range(len(earlier), 0, -1):  # the newest first: it is the nearest
        then_total = _respondents(earlier[number - 1].tables)
        added = now_total - then_total
        if added < 0:
            raise ValueError(f"release {number} counted {then_total} responses, more than the {now_total} now")
        if added == 0:
            raise CannotProtect(
                f"no response came in since release {number}: a release now would repeat it. "
                f"Wait until at least {k} new responses have come in"
            )
        if added < k:
            raise CannotProtect(
                f"only {added} response(s) came in since release {number}: comparing the two releases would show "
                f"their answers. Wait until at least {k} new responses have come in"
            )


def _respondents(tables: Sequence[Table]) -> int:
    return tables[0].counts[tuple(TOTAL for _ in tables[0].dimensions)]


def _keep_inherited(
    sensitive: dict[int, list[Requirement]],
    system: CellSystem,
    inherited: dict[tuple[str, Key], list[Requirement]],
    min_count: int,
) -> None:
    """Earlier releases already give these away: warn, and hold the new release to not narrowing them."""
    for ref, kept in inherited.items():
        cell = system.index[ref]
        bound = next(r for r in kept if r.kind == "earlier")
        warnings.warn(
            f"{system.label(cell)} can already be narrowed to [{bound.lower:g}, {bound.upper:g}] from the earlier "
            "releases alone; no later release can undo that, and this one is held to not narrowing it further",
            DisclosureRiskWarning,
            stacklevel=3,
        )
        if any(r.needs(min_count) for r in kept):
            sensitive[cell] = kept
        else:  # known exactly already: nothing left to protect, nothing to pair
            sensitive.pop(cell, None)


def _cell(system: CellSystem, result, sensitive: dict[int, list[Requirement]], table: Table, key: Key) -> ProtectedCell:
    cell = system.index[(table.id, key)]
    value = int(system.values[cell])
    if not result.suppressed[cell]:
        return ProtectedCell(key, value, "zero" if value == 0 else "safe")
    kinds = {r.kind for r in sensitive.get(cell, ())}
    status = "primary" if "primary" in kinds else "group" if "group" in kinds else "secondary"
    lower, upper = result.bounds[cell]
    return ProtectedCell(key, None, status, lower, upper)
