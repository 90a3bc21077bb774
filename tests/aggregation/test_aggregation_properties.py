"""Properties of protection over random 2- and 3-dimensional tables (hypothesis).

The attacker here is written independently of `aggregation.audit`: one linear program over every
cell of the table, published cells fixed, no decomposition.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from aggregation import TOTAL, Dimension, Rules, build_table, protect, requirements, system_of
from aggregation.suppression import cell_costs

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def tables(draw, dims: tuple[int, int] = (2, 3), max_categories: int = 4, hierarchies: bool = False):
    n_dims = draw(st.integers(*dims))
    sizes = [draw(st.integers(2, max_categories)) for _ in range(n_dims)]
    dimensions = []
    for i, size in enumerate(sizes):
        categories = [f"c{j}" for j in range(size)]
        if hierarchies and draw(st.booleans()):  # e.g. departments within directorates
            cut = draw(st.integers(1, size - 1))
            dimensions.append(Dimension.hierarchical(f"d{i}", {"g0": categories[:cut], "g1": categories[cut:]}))
        else:
            dimensions.append(Dimension.flat(f"d{i}", categories))
    counts = st.one_of(st.integers(0, 4), st.integers(5, 30))
    inner = {key: draw(counts) for key in itertools.product(*(d.leaves for d in dimensions))}
    # The grand total (the number of respondents) is always published; below k nothing can be.
    assume(sum(inner.values()) >= 5)
    return build_table("t", dimensions, inner)


def independent_bounds(table, published: dict, target) -> tuple[float, float]:
    keys = table.keys
    position = {key: i for i, key in enumerate(keys)}
    rows, rhs = [], []
    for equation in table.equations():
        row = np.zeros(len(keys))
        row[position[equation.total]] = -1
        for part in equation.parts:
            row[position[part]] += 1
        rows.append(row)
        rhs.append(0.0)
    bounds = [(published[k], published[k]) if published[k] is not None else (0, None) for k in keys]
    objective = np.zeros(len(keys))
    objective[position[target]] = 1
    low = linprog(objective, A_eq=np.array(rows), b_eq=rhs, bounds=bounds, method="highs")
    high = linprog(-objective, A_eq=np.array(rows), b_eq=rhs, bounds=bounds, method="highs")
    # Counts are whole numbers, and the attacker knows it.
    return math.ceil(low.fun - 1e-6), (math.floor(-high.fun + 1e-6) if high.status == 0 else math.inf)


@SETTINGS
@given(tables(), st.sampled_from([3, 5]))
def test_no_primary_cell_can_be_narrowed_to_a_small_group(table, k):
    protection = protect([table], Rules(min_count=k))
    assert_protected(table, protection.tables[0], k)


@SETTINGS
@given(tables(max_categories=5, hierarchies=True), st.sampled_from([3, 5]))
def test_the_hypercube_heuristic_protects_as_well(table, k):
    """With no time for the exact program, every sensitive cell is still protected (and audited)."""
    protection = protect([table], Rules(min_count=k), exact_seconds=0)
    assert protection.method == "hypercube"
    assert_protected(table, protection.tables[0], k)


def assert_protected(table, protected, k: int) -> None:
    published = {key: cell.count for key, cell in protected.cells.items()}
    for key, cell in protected.cells.items():
        if cell.status in ("primary", "group"):
            assert cell.count is None
            lower, upper = independent_bounds(table, published, key)
            assert upper > lower, f"{key} is exactly {lower}"
            if cell.status == "primary":
                assert lower == 0 or upper >= k, f"{key} lies within [{lower}, {upper}] ⊂ 1..{k - 1}"
            assert (cell.lower, cell.upper) == (lower, upper)  # the published audit agrees
        if 0 < table.counts[key] < k:
            assert cell.status == "primary"


@SETTINGS
@given(tables())
def test_published_margins_add_up(table):
    protected = protect([table], Rules()).tables[0]
    for equation in table.equations():
        cells = [protected.cells[equation.total], *(protected.cells[p] for p in equation.parts)]
        if all(c.count is not None for c in cells):
            assert cells[0].count == sum(c.count for c in cells[1:])
    assert sum(c.status == "zero" for c in protected.cells.values()) == sum(
        1 for key, c in protected.cells.items() if c.count == 0
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(dims=(2, 2), max_categories=3), st.sampled_from([3, 5]))
def test_secondary_suppression_is_as_cheap_as_the_brute_force_optimum(table, k):
    rules = Rules(min_count=k)
    protection = protect([table], rules)
    system = system_of([table])
    costs = cell_costs(system, random_state=0)
    sensitive = {system.index[("t", key)]: found for key, found in requirements(table, rules).items()}
    free = [c for c in range(system.size) if c not in sensitive]
    keys = table.keys
    best = math.inf
    candidates = []
    for chosen in itertools.chain.from_iterable(itertools.combinations(free, r) for r in range(len(free) + 1)):
        secret = set(sensitive) | set(chosen)
        candidates.append((float(costs[sorted(secret)].sum()) if secret else 0.0, secret))
    candidates.sort(key=lambda item: item[0])
    for cost, secret in candidates:
        if cost > protection.cost + 1e-9:
            break
        published = {key: (None if system.index[("t", key)] in secret else table.counts[key]) for key in keys}
        if all(
            all(r.satisfied(*independent_bounds(table, published, system.refs[cell][0][1]), k) for r in reqs)
            for cell, reqs in sensitive.items()
        ):
            best = cost
            break
    assert math.isclose(protection.cost, best, rel_tol=1e-9), (protection.cost, best)
