"""The attacker audit: the tightest bounds anyone can derive for each suppressed cell.

The attacker knows every published cell, that counts are non-negative, and every additive
equation between cells. For each suppressed cell a pair of linear programs (SciPy/HiGHS) gives
the smallest and largest value consistent with all of that. Suppressed cells that share no
equation cannot inform each other, so each connected group of them is solved on its own.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_array

from .system import CellSystem

Bounds = dict[int, tuple[float, float]]


def components(system: CellSystem, suppressed: np.ndarray) -> list[list[int]]:
    """Groups of suppressed cells linked through equations in which they are both unknown."""
    parent = {int(c): int(c) for c in np.flatnonzero(suppressed)}

    def find(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for total, parts in system.equations:
        unknown = [c for c in (total, *parts) if suppressed[c]]
        for other in unknown[1:]:
            a, b = find(unknown[0]), find(other)
            if a != b:
                parent[b] = a
    groups: dict[int, list[int]] = {}
    for cell in parent:
        groups.setdefault(find(cell), []).append(cell)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def attacker_bounds(system: CellSystem, suppressed: np.ndarray, targets: Iterable[int] | None = None) -> Bounds:
    """[lower, upper] for each target (default: every suppressed cell); `inf` when unbounded."""
    suppressed = np.asarray(suppressed, dtype=bool)
    wanted = set(np.flatnonzero(suppressed).tolist() if targets is None else targets)
    result: Bounds = {}
    for group in components(system, suppressed):
        todo = [c for c in group if c in wanted]
        if todo:
            result.update(_component_bounds(system, suppressed, group, todo))
    return result


def _component_bounds(system: CellSystem, suppressed: np.ndarray, group: list[int], todo: list[int]) -> Bounds:
    position = {cell: i for i, cell in enumerate(group)}
    rows, cols, data, rhs = [], [], [], []
    for total, parts in system.equations:
        members = [(total, -1.0)] + [(p, 1.0) for p in parts]
        if not any(c in position for c, _ in members):
            continue
        constant = 0.0
        row = len(rhs)
        for cell, sign in members:
            if suppressed[cell]:
                rows.append(row)
                cols.append(position[cell])
                data.append(sign)
            else:
                constant -= sign * system.values[cell]
        rhs.append(constant)
    matrix = csr_array((data, (rows, cols)), shape=(len(rhs), len(group)))
    result: Bounds = {}
    for cell in todo:
        objective = np.zeros(len(group))
        objective[position[cell]] = 1.0
        low = linprog(objective, A_eq=matrix, b_eq=rhs, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=matrix, b_eq=rhs, bounds=(0, None), method="highs")
        if low.status != 0 and low.status != 3:
            raise RuntimeError(f"attacker LP failed for {system.label(cell)}: {low.message}")
        lower = max(0.0, low.fun) if low.status == 0 else 0.0
        upper = -high.fun if high.status == 0 else math.inf
        result[cell] = (_snap(lower, upper=False), _snap(upper, upper=True))
    return result


def _snap(value: float, *, upper: bool) -> float:
    """Counts are whole numbers, and the attacker knows it: an upper bound of 4.5 means 4."""
    if math.isinf(value):
        return value
    return float(math.floor(value + 1e-6) if upper else math.ceil(value - 1e-6))
