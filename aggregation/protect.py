"""Protecting tables: rules, secondary suppression and the audit, from tables to published cells."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .hypercube import Boxes, Link
from .rules import CannotProtect, Requirement, Rules, requirements
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
    """Protect tables jointly, and together with every earlier release of the same population.

    Shared cells agree and no combination of tables discloses. Against earlier releases, each cell
    is linked to its earlier value by a change cell (now = then + change, change ≥ 0, because
    responses are only ever added); a change of 1..k−1 people in a cell, or a change in which all
    or all but one gave the same answer, is protected like any small cell, so nobody can learn the
    late respondents' answers by subtracting one release from another.

    The cheapest pattern is sought for `exact_seconds`; after that the hypercube heuristic
    protects what is left (see `suppression`)."""
    current = [replace(t, population="now") for t in tables]
    before = [
        [replace(t, id=f"release {i + 1}: {t.id}", population=f"release {i + 1}") for t in release.tables]
        for i, release in enumerate(earlier)
    ]
    for i, release_tables in enumerate(before):
        _refuse_small_change(current, release_tables, i + 1, rules.min_count)
    system = system_of([*current, *(t for group in before for t in group)])
    sensitive: dict[int, list[Requirement]] = {}
    fixed_secret = np.zeros(system.size, dtype=bool)
    published = np.zeros(system.size, dtype=bool)
    for table in [*current, *(t for group in before for t in group)]:
        _add_requirements(sensitive, system, table, rules)
        published[system.index[(table.id, tuple(TOTAL for _ in table.dimensions))]] = True
    for release, release_tables in zip(earlier, before):
        for original, renamed in zip(release.tables, release_tables):
            for key in renamed.keys:
                cell = system.index[(renamed.id, key)]
                if (original.id, key) in release.secret:
                    fixed_secret[cell] = True
                else:
                    published[cell] = True
    changes: list[Table] = []
    links: list[Link] = []
    if before:
        system, changes, links = _link_changes(system, current, before)
        fixed_secret = np.concatenate([fixed_secret, np.ones(system.size - len(fixed_secret), dtype=bool)])
        published = np.concatenate([published, np.zeros(system.size - len(published), dtype=bool)])
        for change in changes:
            _add_requirements(sensitive, system, change, rules)
    # The grand total is the number of respondents: published with every release, never secret.
    boxes = Boxes(system, [*current, *(t for group in before for t in group), *changes], links)
    result = suppress(
        system,
        sensitive,
        rules.min_count,
        fixed=fixed_secret,
        published=published,
        random_state=random_state,
        boxes=boxes,
        exact_seconds=exact_seconds,
    )
    protected = [
        ProtectedTable(original, {key: _cell(system, result, sensitive, table, key) for key in table.keys})
        for original, table in zip(tables, current)
    ]
    return Protection(protected, system, result.suppressed, result.cost, result.rounds, result.method)


def _add_requirements(sensitive: dict[int, list[Requirement]], system: CellSystem, table: Table, rules: Rules) -> None:
    for key, found in requirements(table, rules).items():
        cell = system.index[(table.id, key)]
        sensitive.setdefault(cell, [])
        sensitive[cell].extend(r for r in found if r not in sensitive[cell])


def _refuse_small_change(current: Sequence[Table], then: Sequence[Table], number: int, k: int) -> None:
    now_total = current[0].counts[tuple(TOTAL for _ in current[0].dimensions)]
    then_total = then[0].counts[tuple(TOTAL for _ in then[0].dimensions)]
    added = now_total - then_total
    if added < 0:
        raise ValueError(f"release {number} counted {then_total} responses, more than the {now_total} now")
    if 0 < added < k:
        raise CannotProtect(
            f"only {added} response(s) came in since release {number}: comparing the two releases would show "
            f"their answers. Wait until at least {k} new responses have come in"
        )


def _link_changes(system: CellSystem, current: Sequence[Table], before: Sequence[Sequence[Table]]):
    """Add a change cell for every cell that the current and an earlier release both show."""
    values = list(system.values)
    depth = list(system.margin_depth)
    refs = list(system.refs)
    index = dict(system.index)
    equations = list(system.equations)
    now_cells = {}
    for table in current:
        for key in table.keys:
            now_cells.setdefault(table.what(key), system.index[(table.id, key)])
    changes: list[Table] = []
    links: list[Link] = []
    shown_in: dict[int, list] = {}  # change cell -> the change tables that show it
    for number, release_tables in enumerate(before, start=1):
        linked: dict[frozenset, int] = {}
        for table in release_tables:
            for key in table.keys:
                what = table.what(key)
                then_cell = system.index[(table.id, key)]
                if what not in now_cells or what in linked:
                    continue
                change = int(values[now_cells[what]] - values[then_cell])
                if change < 0:
                    raise ValueError(f"{system.label(then_cell)} was larger then than now: responses were removed")
                linked[what] = len(values)
                values.append(change)
                depth.append(system.margin_depth[then_cell])
                refs.append(((f"change since release {number}: {table.id}", key),))
                equations.append((now_cells[what], tuple(sorted((then_cell, linked[what])))))
                links.append(Link(now_cells[what], then_cell, linked[what]))
        for table in current:
            if all(table.what(key) in linked for key in table.keys):
                change_id = f"change since release {number}: {table.id}"
                counts = {key: values[linked[table.what(key)]] for key in table.keys}
                changes.append(Table(change_id, table.dimensions, counts, population=f"change {number}"))
                for key in table.keys:
                    cell = linked[table.what(key)]
                    index[(change_id, key)] = cell
                    shown_in.setdefault(cell, []).append((change_id, key))
    for cell, shown in shown_in.items():
        refs[cell] = tuple(shown)
    linked_system = CellSystem(
        values=np.asarray(values, dtype=np.int64),
        equations=tuple(equations),
        margin_depth=np.asarray(depth, dtype=np.int64),
        refs=tuple(refs),
        index=index,
    )
    return linked_system, changes, links


def _cell(system: CellSystem, result, sensitive: dict[int, list[Requirement]], table: Table, key: Key) -> ProtectedCell:
    cell = system.index[(table.id, key)]
    value = int(system.values[cell])
    if not result.suppressed[cell]:
        return ProtectedCell(key, value, "zero" if value == 0 else "safe")
    kinds = {r.kind for r in sensitive.get(cell, ())}
    status = "primary" if "primary" in kinds else "group" if "group" in kinds else "secondary"
    lower, upper = result.bounds[cell]
    return ProtectedCell(key, None, status, lower, upper)
