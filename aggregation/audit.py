"""The attacker audit: the tightest bounds anyone can derive for each suppressed cell.

The attacker knows every published cell, that counts are non-negative, and every additive
equation between cells. For each suppressed cell a pair of linear programs (HiGHS) gives the
smallest and largest value consistent with all of that. Suppressed cells that share no equation
cannot inform each other, so each connected group of them is solved on its own: one model per
group, in which only the objective changes from cell to cell, so each solve starts from the last
optimal basis.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import highspy
import numpy as np
from scipy.sparse import csc_array

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
    in_group = np.zeros(system.size)
    in_group[group] = 1.0
    rows = np.flatnonzero(system.incidence @ in_group)
    equations = system.matrix[rows]
    known = np.where(suppressed, 0, system.values).astype(float)
    rhs = -(equations @ known)  # published cells move to the right-hand side
    matrix = csc_array(equations[:, group])
    columns = matrix.shape[1]
    solver = equality_model(matrix, rhs, np.zeros(columns), np.full(columns, highspy.kHighsInf))
    result: Bounds = {}
    previous = None
    for cell in todo:
        column = position[cell]
        if previous is not None:
            solver.changeColCost(previous, 0.0)
        solver.changeColCost(column, 1.0)
        previous = column
        lower = _optimum(solver, highspy.ObjSense.kMinimize, system, cell)
        upper = _optimum(solver, highspy.ObjSense.kMaximize, system, cell)
        result[cell] = (_snap(max(0.0, lower), upper=False), _snap(upper, upper=True))
    return result


def equality_model(matrix: csc_array, rhs: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> highspy.Highs:
    """A HiGHS model of A·y = rhs, lower ≤ y ≤ upper, with a zero objective to be set per solve.

    Only the objective changes between solves, so the last optimal basis stays feasible: presolve
    off and the primal simplex carry on from it (about eight times faster than the dual simplex
    on a 3,375-cell table)."""
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("presolve", "off")
    solver.setOptionValue("simplex_strategy", 4)  # primal
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
    lp.col_cost_ = np.zeros(matrix.shape[1])
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = rhs
    lp.row_upper_ = rhs
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    solver.passModel(lp)
    return solver


def _optimum(solver: highspy.Highs, sense, system: CellSystem, cell: int) -> float:
    solver.changeObjectiveSense(sense)
    solver.run()
    status = solver.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return solver.getInfo().objective_function_value
    if sense == highspy.ObjSense.kMaximize and status in (
        highspy.HighsModelStatus.kUnbounded,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return math.inf
    raise RuntimeError(f"attacker LP failed for {system.label(cell)}: {solver.modelStatusToString(status)}")


def _snap(value: float, *, upper: bool) -> float:
    """Counts are whole numbers, and the attacker knows it: an upper bound of 4.5 means 4."""
    if math.isinf(value):
        return value
    return float(math.floor(value + 1e-6) if upper else math.ceil(value - 1e-6))
