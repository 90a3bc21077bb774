"""Hypercube moves: small, exact attacker moves that protect one sensitive cell each.

When the exact integer program does not converge in its budget (large three-dimensional systems),
secondary suppression falls back to the hypercube method (Repsilber; Giessing and Repsilber,
2002; DESIGN.md section 7 allows a heuristic whose result the audit proves). For a sensitive cell
it suppresses the cheapest "box" of cells along which the cell can move by the amount it needs
while every equation keeps holding: then the attacker can never narrow the cell further, whatever
else is published. A box is a product of one move per dimension: along a dimension tree, either
+1 on a leaf's path up to `Total`, or +1 on one leaf's path and −1 on another's, up to (not
including) their lowest common ancestor. Every such product satisfies every equation of the
table, and the grand total never moves (at least one dimension pairs two leaves).

Across releases a box is carried along the cells' lineages (`Lineage`: a cell in every release and
the change of every pair, cell_j = cell_i + change_ij): the box's pattern moves in each release
by a profile p (the box's own release by 1; others by 0 or 1, or −1 for a change box), and every
change cell by p_j − p_i, so every link holds by construction, however many releases there are.
Profiles are few: the box's release alone, with all later or with all earlier releases, or all of
them; for a change box between releases i and j, release j alone or with all later ones, release i
alone or with all earlier ones (at −1), every release after i, or (at −1) every release before j.
Earlier releases' published cells cannot move, so mostly the new release and the changes carry a
box. Each carried move is checked against every equation of the whole system before it is used.
Where no box fits (an earlier release may have fixed a pattern that protects by a longer cycle), a
linear program finds the cheapest move of any shape (`_Flows`).
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import hstack

from .rules import CannotProtect
from .system import CellSystem
from .tables import TOTAL, Dimension, Key, Table

#: Moves kept per dimension before combining them (cheapest first): bounds the work per cell.
MOVES_PER_DIMENSION = 6

Move = dict[int, int]  # cell -> +1 / -1


@dataclass(frozen=True)
class Lineage:
    """One cell through the releases of a wave: its cell in each release that shows it (numbered
    from 0, the new release last) and the change cell of each pair i < j of them."""

    cells: Mapping[int, int]
    changes: Mapping[tuple[int, int], int]


Slot = int | tuple[int, int]  # a release, or a pair of releases (a change)
Profile = tuple[tuple[int, int], ...]  # (release, step) for every release that moves


class Boxes:
    """Candidate moves for each sensitive cell, in the structure of every table that shows it."""

    def __init__(self, system: CellSystem, tables: Sequence[Table], lineages: Sequence[Lineage] = ()) -> None:
        self.system = system
        self.tables = {t.id: t for t in tables}
        self.slot_of: dict[int, tuple[Lineage, Slot]] = {}
        for lineage in lineages:
            for release, cell in lineage.cells.items():
                self.slot_of[cell] = (lineage, release)
            for pair, cell in lineage.changes.items():
                self.slot_of[cell] = (lineage, pair)
        self.newest = max((r for lineage in lineages for r in lineage.cells), default=0)
        self._moves: dict[tuple[str, int, str], tuple[tuple[tuple[str, int], ...], ...]] = {}

    def cheapest(
        self,
        cell: int,
        up: int,
        down: int,
        costs: np.ndarray,
        suppressed: np.ndarray,
        published: np.ndarray,
    ) -> Move | None:
        """The cheapest valid move that lets `cell` rise by `up` or fall by `down` (0 = not needed)."""
        values = self.system.values
        found: list[tuple[float, int, Move]] = []
        for table_id, key in dict.fromkeys(ref for anchor in self._anchors(cell) for ref in self.system.refs[anchor]):
            table = self.tables.get(table_id)
            if table is None:
                continue
            boxes = self._table_moves(table, key, up, down, costs, suppressed, published)
            for move in (carried for box in boxes for carried in self._carried(box, published)):
                if move.get(cell, 0) == 0:
                    continue
                if move[cell] < 0:
                    move = {c: -sign for c, sign in move.items()}
                rise = min((values[c] for c, s in move.items() if s < 0), default=math.inf)
                fall = min(values[c] for c, s in move.items() if s > 0)
                if (up and rise >= up) or (down and fall >= down):
                    cost = float(sum(costs[c] for c in move if not suppressed[c]))
                    found.append((cost, len(found), move))
        for _, _, move in sorted(found, key=lambda f: (f[0], f[1])):
            if self._balanced(move):
                return move
        return None

    def _table_moves(
        self,
        table: Table,
        key: Key,
        up: int,
        down: int,
        costs: np.ndarray,
        suppressed: np.ndarray,
        published: np.ndarray,
    ) -> Iterator[Move]:
        index = self.system.index
        values = self.system.values
        per_dimension = []
        for axis, (dimension, node) in enumerate(zip(table.dimensions, key)):
            scored = []
            moves = self._moves.get((table.id, axis, node))
            if moves is None:
                moves = self._moves[(table.id, axis, node)] = dimension_moves(dimension, node)
            for number, move in enumerate(moves):
                # Score a move by the cells it touches on the line through `key` along this axis.
                cost, usable = 0.0, True
                low_plus, low_minus = math.inf, math.inf
                for other, sign in move:
                    if other == node:
                        continue
                    c = index[(table.id, key[:axis] + (other,) + key[axis + 1 :])]
                    if published[c]:
                        usable = False
                        break
                    cost += 0.0 if suppressed[c] else costs[c]
                    if sign > 0:
                        low_plus = min(low_plus, values[c])
                    else:
                        low_minus = min(low_minus, values[c])
                if usable:
                    reaches = (up and low_minus >= up) or (down and low_plus >= down)
                    scored.append((0 if reaches else 1, cost, number, move))
            scored.sort(key=lambda s: s[:3])
            per_dimension.append([s[3] for s in scored[:MOVES_PER_DIMENSION]])
        for combination in itertools.product(*per_dimension):
            if all(any(n == TOTAL for n, _ in move) for move in combination):
                continue  # the grand total would move, and it is always published
            result: Move = {}
            for corner in itertools.product(*combination):
                nodes = tuple(n for n, _ in corner)
                result[index[(table.id, nodes)]] = math.prod(s for _, s in corner)
            yield result

    def _anchors(self, cell: int) -> list[int]:
        """Boxes are sought around the cell itself and, for a change, around both ends: their
        published cells rule boxes out, and the new release's cells carry the costs."""
        if cell not in self.slot_of or not isinstance(self.slot_of[cell][1], tuple):
            return [cell]
        lineage, (i, j) = self.slot_of[cell]
        return [cell, lineage.cells[i], lineage.cells[j]]

    def _carried(self, move: Move, published: np.ndarray) -> list[Move]:
        """The move in every release and change its profiles give (see the module docstring); a
        profile that needs a cell a release does not show, or moves a published one, is skipped."""
        slots = {self.slot_of[c][1] if c in self.slot_of else None for c in move}
        if slots == {None}:
            return [] if any(published[c] for c in move) else [move]
        if len(slots) > 1:  # a box lies in one table, so in one release or one change
            return []
        results: list[Move] = []
        for profile in self._profiles(slots.pop()):
            steps = dict(profile)
            result: Move = {}
            for cell, sign in move.items():
                lineage = self.slot_of[cell][0]
                if any(r not in lineage.cells or published[lineage.cells[r]] for r in steps):
                    break
                result.update((lineage.cells[r], sign * step) for r, step in profile)
                for (i, j), change in lineage.changes.items():
                    if steps.get(j, 0) != steps.get(i, 0):
                        result[change] = sign * (steps.get(j, 0) - steps.get(i, 0))
            else:
                if result not in results:
                    results.append(result)
        return results

    def _profiles(self, slot: Slot) -> list[Profile]:
        last = self.newest
        if isinstance(slot, tuple):
            i, j = slot
            spans = [((j, 1),), ((i, -1),), tuple((t, 1) for t in range(j, last + 1)),
                     tuple((t, -1) for t in range(i + 1)), tuple((t, 1) for t in range(i + 1, last + 1)),
                     tuple((t, -1) for t in range(j))]
        else:
            spans = [((slot, 1),), tuple((t, 1) for t in range(slot, last + 1)),
                     tuple((t, 1) for t in range(slot + 1)), tuple((t, 1) for t in range(last + 1))]
        return list(dict.fromkeys(spans))

    def _balanced(self, move: Move) -> bool:
        """Whether every equation of the whole system still holds after the move."""
        step = np.zeros(self.system.size)
        step[list(move)] = list(move.values())
        return not np.any(self.system.matrix @ step)


def dimension_moves(dimension: Dimension, node: str) -> tuple[tuple[tuple[str, int], ...], ...]:
    """The one-dimensional moves through `node` with `node` at +1 (see the module docstring)."""
    paths = {leaf: dimension.path(leaf) for leaf in dimension.leaves}
    under = [leaf for leaf in dimension.leaves if node in paths[leaf]]
    elsewhere = [leaf for leaf in dimension.leaves if node not in paths[leaf]]
    moves = []
    for leaf in under:
        moves.append(tuple((n, 1) for n in paths[leaf]))
        for other in elsewhere:
            common = next(n for n in paths[leaf] if n in paths[other])
            mine = paths[leaf][: paths[leaf].index(common)]
            theirs = paths[other][: paths[other].index(common)]
            moves.append(tuple((n, 1) for n in mine) + tuple((n, -1) for n in theirs))
    return tuple(moves)


def protect_by_boxes(
    boxes: Boxes,
    clauses: Sequence[tuple[int, int, int]],
    costs: np.ndarray,
    start: np.ndarray,
    published: np.ndarray,
) -> np.ndarray:
    """Suppress, for every (cell, up, down) clause in turn, the cheapest box that protects it.

    Larger needs go first, so the boxes they bring can already protect the smaller ones: a clause
    that a move chosen before already reaches is skipped (more secret cells never take a move
    away). Where no box exists (e.g. an earlier release fixed a pattern that protects by a longer
    cycle), the cheapest move found by a linear program over the whole system is suppressed instead."""
    suppressed = np.array(start, dtype=bool)
    flows = _Flows(boxes.system, published)
    values = boxes.system.values
    far = {+1: np.zeros(len(values)), -1: np.zeros(len(values))}  # how far some chosen move takes each cell
    for cell, up, down in sorted(clauses, key=lambda c: (-c[1] - c[2], c[0])):
        if (up and far[+1][cell] >= up) or (down and far[-1][cell] >= down):
            continue
        move = boxes.cheapest(cell, up, down, costs, suppressed, published)
        if move is not None:
            rise = min((values[c] for c, s in move.items() if s < 0), default=math.inf)
            fall = min((values[c] for c, s in move.items() if s > 0), default=math.inf)
            shifts = [{c: s * rise for c, s in move.items()}, {c: -s * fall for c, s in move.items()}]
        else:
            shift = flows.cheapest(cell, up, down, costs, suppressed)
            if shift is None:
                raise CannotProtect(f"{boxes.system.label(cell)}: no pattern of secret cells can protect it")
            move, shifts = {c: 1 if z > 0 else -1 for c, z in shift.items()}, [shift]
        suppressed[list(move)] = True
        for shift in shifts:
            for c, z in shift.items():
                direction = 1 if z > 0 else -1
                far[direction][c] = max(far[direction][c], abs(z))
    return suppressed


class _Flows:
    """The cheapest real-valued attacker move z that shifts one cell by its need: every equation
    holds (A·z = 0), no count drops below 0, published cells stay put. Minimising the cost-weighted
    |z| is a linear program; once its support is secret, the attacker can make exactly that move.
    A fresh solve with presolve was faster than one warm-started model (measured on four releases
    of 392 cells each): presolve removes the published cells, which cannot move."""

    def __init__(self, system: CellSystem, published: np.ndarray) -> None:
        self.system = system
        self.published = np.asarray(published, dtype=bool)
        self.constraint = hstack([system.matrix, -system.matrix]).tocsr()  # z = rise - fall

    def cheapest(
        self, cell: int, up: int, down: int, costs: np.ndarray, suppressed: np.ndarray
    ) -> dict[int, float] | None:
        """The move (cell -> shift) that reaches `up` or `down` at the least cost of new secret cells."""
        n = self.system.size
        # Cells already secret cost (almost) nothing to use; the rest cost what suppressing them costs.
        weight = np.where(suppressed, 1e-6 * costs.min(), costs)
        rise_cap = np.where(self.published, 0.0, np.inf)
        fall_cap = np.where(self.published, 0.0, self.system.values.astype(float))
        best: tuple[float, dict[int, float]] | None = None
        for need, sign in ((up, 1.0), (down, -1.0)):
            if not need or (best is not None and best[0] == 0):  # nothing cheaper than free
                continue
            rise_bounds, fall_bounds = rise_cap.copy(), fall_cap.copy()
            rise_lower, fall_lower = np.zeros(n), np.zeros(n)
            if sign > 0:
                rise_lower[cell], fall_bounds[cell] = need, 0.0
            else:
                fall_lower[cell], rise_bounds[cell] = need, 0.0
            if fall_lower[cell] > fall_bounds[cell]:
                continue
            result = linprog(
                np.concatenate([weight, weight]),
                A_eq=self.constraint,
                b_eq=np.zeros(self.constraint.shape[0]),
                bounds=np.column_stack(
                    [np.concatenate([rise_lower, fall_lower]), np.concatenate([rise_bounds, fall_bounds])]
                ),
                method="highs",
            )
            if result.status != 0:
                continue
            z = result.x[:n] - result.x[n:]
            support = np.flatnonzero(np.abs(z) > 1e-7)
            cost = float(costs[support][~suppressed[support]].sum())
            if best is None or cost < best[0]:
                best = (cost, {int(c): float(z[c]) for c in support})
        return None if best is None else best[1]
