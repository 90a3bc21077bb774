"""Secondary suppression: the cheapest set of extra secret cells that protects every sensitive cell.

An integer program (SciPy `milp`, HiGHS) chooses which cells to suppress. It starts from the
necessary condition that no secret cell stands alone in an equation (it could be computed). Then
the attacker's linear program is solved for every sensitive cell under the chosen pattern; where a
cell is still exposed, the program's dual gives a capacity constraint (Fischetti and
Salazar-González, 2000) that every protecting pattern satisfies and the current one violates, and
the integer program is solved again. The loop ends with a pattern that the attacker audit accepts
and that is the cheapest such pattern.

A primary cell is safe if the attacker cannot rule out either 0 or a value ≥ k, so the program
carries one binary per primary cell choosing which of the two directions it protects.

Large three-dimensional systems can need many rounds. When the exact loop has not finished
within its budget, the hypercube heuristic (`hypercube`) protects each sensitive cell with the
cheapest box of secret cells instead: not the cheapest pattern overall, but one the same audit
proves safe.
"""
from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import highspy
import numpy as np
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import coo_array, csc_array, csr_array

from .audit import Bounds, attacker_bounds, components, equality_model
from .hypercube import Boxes, protect_by_boxes
from .rules import CannotProtect, Requirement
from .system import CellSystem

#: Suppressing a margin hides a whole row or column: each summed dimension multiplies the cost.
MARGIN_COST_FACTOR = 10.0


@dataclass(frozen=True)
class Suppression:
    suppressed: np.ndarray
    bounds: Bounds
    cost: float
    rounds: int
    method: str = "optimal"  # or "hypercube" when the exact loop ran out of budget


def cell_costs(system: CellSystem, random_state: int | None = 0) -> np.ndarray:
    """Few and small cells first (1 + count), margins expensive; a tiny seeded jitter breaks ties
    reproducibly, so the same table and `random_state` always give the same pattern."""
    rng = np.random.default_rng(random_state)
    base = (1.0 + system.values) * MARGIN_COST_FACTOR ** system.margin_depth
    return base * (1.0 + 1e-6 * rng.random(system.size))


def suppress(
    system: CellSystem,
    sensitive: Mapping[int, Sequence[Requirement]],
    min_count: int,
    *,
    costs: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
    published: np.ndarray | None = None,
    random_state: int | None = 0,
    max_rounds: int = 500,
    time_limit: float = 120.0,
    boxes: Boxes | None = None,
    exact_seconds: float = 10.0,
    report: np.ndarray | None = None,
) -> Suppression:
    """Suppress every sensitive cell plus the cheapest secondary set; `fixed` forces more cells
    secret, `published` keeps cells public (e.g. the grand total: the number of respondents).
    The audit's bounds come back for every secret cell, or only for the sensitive ones and those
    in `report` (e.g. the new release's cells: earlier releases and changes are never shown).

    With `boxes`, the exact loop gets `exact_seconds`; if it has not finished by then, the
    hypercube heuristic takes over."""
    started = time.perf_counter()
    n = system.size
    costs = cell_costs(system, random_state) if costs is None else costs
    # One clause per requirement: satisfied if the attacker's reach upwards or downwards is enough.
    clauses = [(cell, *need) for cell, reqs in sensitive.items() for r in reqs for need in r.needs(min_count)]
    chooser_of = {}
    for i, (cell, up, down) in enumerate(clauses):
        if up and down:
            chooser_of[i] = n + len(chooser_of)
    width = n + len(chooser_of)
    lower = np.zeros(width)
    upper = np.ones(width)
    lower[list(sensitive)] = 1
    if fixed is not None:
        lower[:n][np.asarray(fixed, dtype=bool)] = 1
    if published is not None:
        upper[:n][np.asarray(published, dtype=bool)] = 0
        clash = np.flatnonzero(lower[:n] > upper[:n])
        if len(clash):
            raise CannotProtect(f"{system.label(int(clash[0]))} must be secret but is always published")
    # How far each cell could move if it were secret: down to 0, up to the largest count.
    room_up = float(system.values.max()) - system.values
    room_down = system.values.astype(float)
    cuts = _Cuts(width)
    # A cell forced secret that needs no protection of its own (a change between releases, an
    # earlier release's secondary cell) may well be computable; only free and sensitive cells pair.
    paired = (lower[:n] == 0) | np.isin(np.arange(n), list(sensitive))
    pairing = _pairing_constraints(system, width, paired)
    neighbours = system.neighbours()
    by_cell: dict[int, list[int]] = {}
    for i, (cell, _, _) in enumerate(clauses):
        by_cell.setdefault(cell, []).append(i)
    objective = np.concatenate([costs, np.zeros(len(chooser_of))])
    for rounds in range(1, max_rounds + 1):
        budget = time_limit
        if boxes is not None:
            budget = min(time_limit, exact_seconds - (time.perf_counter() - started))
        suppressed = None
        if budget > 0:
            suppressed = _solve(objective, lower, upper, pairing, cuts, budget, n, optimal_only=boxes is not None)
        if suppressed is None:  # the exact loop ran out of its budget
            suppressed = protect_by_boxes(boxes, clauses, costs, lower[:n] > 0, upper[:n] == 0)
            return _audited(system, sensitive, min_count, suppressed, costs, rounds, "hypercube", report)
        exposed = 0
        for group in components(system, suppressed):
            targets = [c for c in group if c in by_cell]
            if not targets:
                continue
            region = sorted(set(group).union(*(neighbours[c] for c in group)))
            model = _Reach(system, suppressed, region, room_up, room_down)
            for cell in targets:
                reach = _Lazy(model, cell)  # a direction no clause asks about is never solved
                for i in by_cell[cell]:
                    _, up, down = clauses[i]
                    if (up and reach(+1)[0] >= up - 1e-7) or (down and reach(-1)[0] >= down - 1e-7):
                        continue
                    exposed += 1
                    if i in chooser_of:  # either direction will do: the binary says which is demanded
                        cuts.add(reach(+1)[1], rhs=0.0, chooser=(chooser_of[i], up))
                        cuts.add(reach(-1)[1], rhs=float(down), chooser=(chooser_of[i], -down))
                    elif up:
                        cuts.add(reach(+1)[1], rhs=float(up))
                    else:
                        cuts.add(reach(-1)[1], rhs=float(down))
        if not exposed:
            return _audited(system, sensitive, min_count, suppressed, costs, rounds, "optimal", report)
    raise CannotProtect(f"no protecting pattern found within {max_rounds} rounds")


class _Cuts:
    def __init__(self, width: int) -> None:
        self.width = width
        self.rows: list[np.ndarray] = []
        self.rhs: list[float] = []

    def add(self, coefficients: np.ndarray, rhs: float, chooser: tuple[int, float] | None = None) -> None:
        row = np.zeros(self.width)
        row[: len(coefficients)] = coefficients
        if chooser is not None:
            row[chooser[0]] = -chooser[1]
        if not row.any() and rhs > 0:
            raise CannotProtect("a sensitive cell cannot be protected by any suppression pattern")
        self.rows.append(row)
        self.rhs.append(rhs)


class _Reach:
    """How far the attacker must allow a cell to move in one direction, and the capacity cut.

    Variables are the deviations z of the region's cells from their true values; a published cell
    cannot move, a secret one can move within [-room_down, room_up]; every equation of the region
    must keep holding. The optimum of max direction·z_cell is the reach. Weak duality turns its
    dual into a constraint on any pattern x: sum_j (α_j·room_up_j + β_j·room_down_j)·x_j ≥ need.
    One HiGHS model per region; only the objective changes, so each solve starts from the last basis."""

    def __init__(
        self, system: CellSystem, suppressed: np.ndarray, region: list[int], room_up: np.ndarray, room_down: np.ndarray
    ) -> None:
        self.system = system
        self.region = np.asarray(region)
        self.position = {c: i for i, c in enumerate(region)}
        in_region = np.zeros(system.size)
        in_region[region] = 1.0
        incidence = system.incidence
        members = np.diff(incidence.indptr)
        inside = (incidence @ in_region) == members
        touched = (incidence @ suppressed.astype(float)) > 0
        matrix = csc_array(system.matrix[np.flatnonzero(inside & touched)][:, region])
        secret = suppressed[region]
        self.room_up = room_up[region]
        self.room_down = room_down[region]
        self.solver = equality_model(
            matrix,
            np.zeros(matrix.shape[0]),
            np.where(secret, -self.room_down, 0.0),
            np.where(secret, self.room_up, 0.0),
        )
        self.previous: int | None = None

    def reach(self, cell: int, direction: int) -> tuple[float, np.ndarray]:
        column = self.position[cell]
        if self.previous is not None and self.previous != column:
            self.solver.changeColCost(self.previous, 0.0)
        self.solver.changeColCost(column, -float(direction))  # minimise −direction·z
        self.previous = column
        self.solver.run()
        status = self.solver.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(
                f"attacker program failed for {self.system.label(cell)}: {self.solver.modelStatusToString(status)}"
            )
        reduced = np.asarray(self.solver.getSolution().col_dual)
        alpha = np.maximum(-reduced, 0)  # the upper bound binds
        beta = np.maximum(reduced, 0)  # the lower bound binds
        cut = np.zeros(self.system.size)
        cut[self.region] = alpha * self.room_up + beta * self.room_down
        return -self.solver.getInfo().objective_function_value, cut


class _Lazy:
    """A cell's reach and cut in each direction, solved on first use."""

    def __init__(self, model: _Reach, cell: int) -> None:
        self.model, self.cell, self.found = model, cell, {}

    def __call__(self, direction: int) -> tuple[float, np.ndarray]:
        if direction not in self.found:
            self.found[direction] = self.model.reach(self.cell, direction)
        return self.found[direction]


def _pairing_constraints(system: CellSystem, width: int, paired: np.ndarray) -> csr_array:
    """For every equation and every (paired) cell in it: if the cell is secret, another cell of it is too."""
    rows, cols, data = [], [], []
    row = 0
    for total, parts in system.equations:
        members = (total, *parts)
        for cell in members:
            if not paired[cell]:
                continue
            for other in members:
                rows.append(row)
                cols.append(other)
                data.append(-1.0 if other == cell else 1.0)
            row += 1
    return coo_array((data, (rows, cols)), shape=(row, width)).tocsr()


def _solve(
    costs: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    pairing,
    cuts: _Cuts,
    time_limit: float,
    cells: int,
    optimal_only: bool = False,
) -> np.ndarray | None:
    """The cheapest pattern under the cuts so far; None if `optimal_only` and the time ran out."""
    constraints = [LinearConstraint(pairing, lb=0, ub=np.inf)] if pairing.shape[0] else []
    if cuts.rows:
        constraints.append(LinearConstraint(csr_array(np.vstack(cuts.rows)), lb=np.asarray(cuts.rhs), ub=np.inf))
    with _quiet_stdout():
        result = milp(
            costs,
            constraints=constraints,
            integrality=np.ones_like(costs),
            bounds=(lower, upper),
            options={"time_limit": time_limit, "disp": False},
        )
    if optimal_only and result.status == 1:
        return None
    if result.x is None:
        raise CannotProtect(f"the suppression program has no solution ({result.message})")
    return result.x[:cells] > 0.5


def _audited(
    system: CellSystem,
    sensitive: Mapping[int, Sequence[Requirement]],
    min_count: int,
    suppressed: np.ndarray,
    costs: np.ndarray,
    rounds: int,
    method: str,
    report: np.ndarray | None,
) -> Suppression:
    targets = None
    if report is not None:
        targets = set(sensitive) | set(np.flatnonzero(suppressed & np.asarray(report, dtype=bool)).tolist())
    bounds = attacker_bounds(system, suppressed, targets)
    _verify(system, sensitive, bounds, min_count)
    return Suppression(suppressed, bounds, float(costs[suppressed].sum()), rounds, method)


def _verify(system: CellSystem, sensitive: Mapping[int, Sequence[Requirement]], bounds: Bounds, min_count: int) -> None:
    """The final word belongs to the audit, in whole numbers, not to the optimiser's tolerances."""
    for cell, requirements in sensitive.items():
        lower, upper = bounds[cell]
        for requirement in requirements:
            if not requirement.satisfied(lower, upper, min_count):
                raise CannotProtect(f"{system.label(cell)}: {requirement.describe(lower, upper, min_count)}")


@contextmanager
def _quiet_stdout():
    """HiGHS's MIP solver prints progress lines from C++ straight to file descriptor 1."""
    try:
        fd = os.dup(1)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(fd, 1)
        os.close(fd)
