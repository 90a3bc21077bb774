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

Across releases a box is carried through the links `now = then + change`, and checked against
every equation of the whole system before it is used. Where no box fits (an earlier release may
have fixed a pattern that protects by a longer cycle), a linear program finds the cheapest move
of any shape (`_Flows`).
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
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
class Link:
    """`now = then + change` between releases: a move of one side must be carried by another."""

    now: int
    then: int
    change: int


class Boxes:
    """Candidate moves for each sensitive cell, in the structure of every table that shows it."""

    def __init__(self, system: CellSystem, tables: Sequence[Table], links: Sequence[Link] = ()) -> None:
        self.system = system
        self.tables = {t.id: t for t in tables}
        self.links = tuple(links)
        self.links_of: dict[int, list[Link]] = {}
        for link in self.links:
            for cell in (link.now, link.then, link.change):
                self.links_of.setdefault(cell, []).append(link)
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
        # Boxes around the cell itself, and around the cells it is linked to in other releases.
        anchors = [cell, *(c for link in self.links_of.get(cell, ()) for c in (link.now, link.then, link.change))]
        for table_id, key in dict.fromkeys(ref for anchor in anchors for ref in self.system.refs[anchor]):
            table = self.tables.get(table_id)
            if table is None:
                continue
            boxes = self._table_moves(table, key, up, down, costs, suppressed, published)
            for move in (carried for box in boxes for carried in self._carried(box)):
                if move.get(cell, 0) == 0 or any(published[c] for c in move):
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

    def _carried(self, move: Move) -> list[Move]:
        """Extend a move across releases, keeping `now = then + change`: each moving cell is carried
        by one of the other two cells of its link, tried in the three possible orders; a current
        cell carried this way is carried on by its change cells towards other releases."""
        if not self.links:
            return [move]
        results: list[Move] = []
        for preference in (("change", "now", "then"), ("now", "then", "change"), ("then", "change", "now")):
            result = dict(move)
            for cell in move:
                for link in self.links_of.get(cell, ()):
                    roles = {"now": link.now, "then": link.then, "change": link.change}
                    if sum(c in move for c in roles.values()) != 1:
                        continue
                    role = next(r for r, c in roles.items() if c == cell)
                    carrier = next(r for r in preference if r != role)
                    _balance(result, link, carrier)
            touched = {link for cell in list(result) for link in self.links_of.get(cell, ())}
            for link in sorted(touched, key=lambda link: link.change):
                if link.change not in result:
                    _balance(result, link, "change")
            if all(abs(sign) == 1 for sign in result.values()) and result not in results:
                results.append(result)
        return results

    def _balanced(self, move: Move) -> bool:
        """Whether every equation of the whole system still holds after the move."""
        step = np.zeros(self.system.size)
        step[list(move)] = list(move.values())
        return not np.any(self.system.matrix @ step)


def _balance(move: Move, link: Link, carrier: str) -> None:
    """Set the carrier's step so that `now = then + change` holds again."""
    now, then, change = (move.get(c, 0) for c in (link.now, link.then, link.change))
    step = {"now": then + change, "then": now - change, "change": now - then}[carrier]
    cell = getattr(link, carrier)
    if step:
        move[cell] = step
    else:
        move.pop(cell, None)


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

    Larger needs go first, so the boxes they bring can already protect the smaller ones. Where no
    box exists (e.g. an earlier release fixed a pattern that protects by a longer cycle), the
    cheapest move found by a linear program over the whole system is suppressed instead."""
    suppressed = np.array(start, dtype=bool)
    flows = _Flows(boxes.system, published)
    for cell, up, down in sorted(clauses, key=lambda c: (-c[1] - c[2], c[0])):
        move = boxes.cheapest(cell, up, down, costs, suppressed, published)
        if move is None:
            move = flows.cheapest(cell, up, down, costs, suppressed)
        if move is None:
            raise CannotProtect(f"{boxes.system.label(cell)}: no pattern of secret cells can protect it")
        suppressed[list(move)] = True
    return suppressed


class _Flows:
    """The cheapest real-valued attacker move z that shifts one cell by its need: every equation
    holds (A·z = 0), no count drops below 0, published cells stay put. Minimising the cost-weighted
    |z| is a linear program; once its support is secret, the attacker can make exactly that move."""

    def __init__(self, system: CellSystem, published: np.ndarray) -> None:
        self.system = system
        self.published = np.asarray(published, dtype=bool)
        self.constraint = hstack([system.matrix, -system.matrix]).tocsr()  # z = rise - fall

    def cheapest(
        self, cell: int, up: int, down: int, costs: np.ndarray, suppressed: np.ndarray
    ) -> Move | None:
        n = self.system.size
        # Cells already secret cost (almost) nothing to use; the rest cost what suppressing them costs.
        weight = np.where(suppressed, 1e-6 * costs.min(), costs)
        rise_cap = np.where(self.published, 0.0, np.inf)
        fall_cap = np.where(self.published, 0.0, self.system.values.astype(float))
        best: tuple[float, Move] | None = None
        for need, sign in ((up, 1.0), (down, -1.0)):
            if not need:
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
                best = (cost, {int(c): 1 if z[c] > 0 else -1 for c in support})
        return None if best is None else best[1]


