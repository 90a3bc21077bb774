"""Every release of a wave as one linear system: each cell linked to its value in every other release.

Counts only grow between releases, so for releases i < j every cell satisfies
`cell_j = cell_i + change_ij` with `change_ij ≥ 0`, and the changes form tables of their own: the
people who answered between release i and release j. Linking the newest release only to each
earlier one misses what a middle release adds: whoever holds releases 1, 2 and 3 also knows
`cell_2 ≥ cell_1` and can subtract 1 from 2. So every pair is linked and gets its change tables,
and the rules apply to every change (DESIGN.md section 7).

`inherited_exposures` audits the earlier releases on their own: what they already give away, a
new release cannot take back (see `protect`).
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .audit import attacker_bounds
from .hypercube import Lineage
from .rules import CannotProtect, Requirement, Rules, requirements
from .system import CellSystem, system_of
from .tables import TOTAL, Key, Table

Secret = frozenset[tuple[str, Key]]  # (table id, key) of every cell a release kept secret


@dataclass(frozen=True)
class History:
    """The linked system of releases 1..m; with a new release, it is release m and keeps its ids."""

    system: CellSystem
    releases: list[list[Table]]  # renamed: "release 3: <id>", population "release 3"
    changes: list[Table]  # "change from release 1 to release 2: <id>", "change since release 2: <id>"
    lineages: list[Lineage]  # every cell through the releases, for the hypercube heuristic
    fixed: np.ndarray  # secret whatever this release does: earlier secret cells, every change
    published: np.ndarray  # public whatever this release does: earlier published cells, grand totals

    @property
    def newest(self) -> np.ndarray:
        """The cells of the last release."""
        cells = np.zeros(self.system.size, dtype=bool)
        cells[[self.system.index[(t.id, key)] for t in self.releases[-1] for key in t.keys]] = True
        return cells

    @property
    def tables(self) -> list[Table]:
        return [*(t for release in self.releases for t in release), *self.changes]

    def requirements(self, rules: Rules) -> dict[int, list[Requirement]]:
        """The rules on every table of every release and on every change between two releases."""
        sensitive: dict[int, list[Requirement]] = {}
        for table in self.tables:
            for key, found in requirements(table, rules).items():
                cell = sensitive.setdefault(self.system.index[(table.id, key)], [])
                cell.extend(r for r in found if r not in cell)
        return sensitive


def link_releases(earlier: Sequence[tuple[Sequence[Table], Secret]], current: Sequence[Table] = ()) -> History:
    """Releases in order, each with what it kept secret, and optionally the new release last."""
    originals = [list(tables) for tables, _ in earlier]
    releases = [
        [replace(t, id=f"release {r}: {t.id}", population=f"release {r}") for t in tables]
        for r, tables in enumerate(originals, start=1)
    ]
    if current:
        originals.append(list(current))
        releases.append([replace(t, population=f"release {len(releases) + 1}") for t in current])
    system = system_of([t for release in releases for t in release])
    fixed = np.zeros(system.size, dtype=bool)
    published = np.zeros(system.size, dtype=bool)
    for (tables, secret), renamed in zip(earlier, releases):
        for original, table in zip(tables, renamed):
            for key in table.keys:
                cell = system.index[(table.id, key)]
                if (original.id, key) in secret:
                    fixed[cell] = True
                else:
                    published[cell] = True
    # The grand total is the number of respondents: published with every release, never secret.
    for table in (t for release in releases for t in release):
        published[system.index[(table.id, tuple(TOTAL for _ in table.dimensions))]] = True
    clash = np.flatnonzero(fixed & published)
    if len(clash):
        raise CannotProtect(f"{system.label(int(clash[0]))} was secret, but it is the number of respondents")
    linked, changes, lineages = _link_pairs(system, releases, originals, new=bool(current))
    grown = linked.size - system.size
    return History(
        system=linked,
        releases=releases,
        changes=changes,
        lineages=lineages,
        fixed=np.concatenate([fixed, np.ones(grown, dtype=bool)]),
        published=np.concatenate([published, np.zeros(grown, dtype=bool)]),
    )


def _link_pairs(system: CellSystem, releases: list[list[Table]], originals: list[list[Table]], new: bool):
    """A change cell `cell_j = cell_i + change` for every cell two releases i < j both show, and a
    change table wherever every cell of a table of release j is linked."""
    values, depth = list(system.values), list(system.margin_depth)
    refs, index, equations = list(system.refs), dict(system.index), list(system.equations)
    cells = [{t.what(key): system.index[(t.id, key)] for t in release for key in t.keys} for release in releases]
    original_id = {t.id: o.id for release, kept in zip(releases, originals) for t, o in zip(release, kept)}
    changes: list[Table] = []
    lineages: dict[frozenset, Lineage] = {}
    for r, release in enumerate(cells):
        for what, cell in release.items():
            lineages.setdefault(what, Lineage({}, {})).cells[r] = cell
    shown_in: dict[int, list[tuple[str, Key]]] = {}
    last = len(releases) - 1
    for i, j in itertools.combinations(range(len(releases)), 2):
        label = f"change from release {i + 1} to release {j + 1}"
        if new and j == last:
            label = f"change since release {i + 1}"
        linked: dict[frozenset, int] = {}
        for what, now in cells[j].items():
            then = cells[i].get(what)
            if then is None:
                continue
            change = int(values[now] - values[then])
            if change < 0:
                raise ValueError(
                    f"{system.label(then)} was larger then than in release {j + 1}: responses were removed"
                )
            linked[what] = len(values)
            values.append(change)
            depth.append(system.margin_depth[now])
            table_id, key = system.refs[now][0]
            refs.append(((f"{label}: {original_id[table_id]}", key),))
            index[refs[-1][0]] = linked[what]  # every change cell can be named, shown in a change table or not
            equations.append((now, tuple(sorted((then, linked[what])))))
            lineages[what].changes[(i, j)] = linked[what]
        for table, original in zip(releases[j], originals[j]):
            if all(table.what(key) in linked for key in table.keys):
                change_id = f"{label}: {original.id}"
                counts = {key: values[linked[table.what(key)]] for key in table.keys}
                changes.append(Table(change_id, table.dimensions, counts, population=f"change {i + 1} to {j + 1}"))
                for key in table.keys:
                    index[(change_id, key)] = linked[table.what(key)]
                    shown_in.setdefault(linked[table.what(key)], []).append((change_id, key))
    for cell, shown in shown_in.items():
        refs[cell] = tuple(shown)
    linked_system = CellSystem(
        values=np.asarray(values, dtype=np.int64),
        equations=tuple(equations),
        margin_depth=np.asarray(depth, dtype=np.int64),
        refs=tuple(refs),
        index=index,
    )
    return linked_system, changes, list(lineages.values())


def inherited_exposures(
    earlier: Sequence[tuple[Sequence[Table], Secret]], rules: Rules
) -> dict[tuple[str, Key], list[Requirement]]:
    """Sensitive cells and changes that the earlier releases together already give away, each with
    the requirements a new release must meet instead: those still met, and the interval the
    earlier releases left, which must not shrink.

    Empty when every earlier release was protected against all releases before it, as `protect`
    does: the last of them was audited on exactly this system. A log written while each release
    was linked only to each earlier one can hold such cells: that protection did keep every pair
    of releases safe on its own, but not three or more together (the outside review's finding 1).
    So can a log whose releases used a lower k than the rules now ask for."""
    history = link_releases(earlier)
    system = history.system
    sensitive = history.requirements(rules)
    bounds = attacker_bounds(system, history.fixed, targets=[c for c in sensitive if history.fixed[c]])
    result: dict[tuple[str, Key], list[Requirement]] = {}
    for cell, found in sensitive.items():
        value = int(system.values[cell])
        lower, upper = bounds.get(cell, (value, value))  # a published cell: known exactly
        broken = [r for r in found if not r.satisfied(lower, upper, rules.min_count)]
        if not broken:
            continue
        # Only the bound a broken rule is about must stay; the group rule speaks of the lower one.
        kept_upper = upper if any(r.kind == "primary" for r in broken) else value
        kept = Requirement("earlier", value, lower=lower, upper=kept_upper)
        result[system.refs[cell][0]] = [r for r in found if r not in broken] + [kept]
    return result
