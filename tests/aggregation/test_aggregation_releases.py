"""Two releases of one growing population: the second must not reveal the late responses by difference."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from aggregation import CannotProtect, Dimension, Rules, build_table, protect
from aggregation.protect import EarlierRelease

GROUP = Dimension.flat("group", ["medium", "senior", "top"])
ANSWER = Dimension.flat("answer", ["yes", "no", "prefer_not_to_say"])


def release(table, rules):
    protected = protect([table], rules).tables[0]
    return protected, EarlierRelease([table], frozenset((table.id, c.key) for c in protected.suppressed()))


def test_fewer_than_k_late_responses_are_refused_with_what_would_make_it_safe():
    first = build_table("t", [GROUP, ANSWER], {("medium", "yes"): 9, ("medium", "no"): 12, ("senior", "no"): 14})
    _, earlier = release(first, Rules())
    later = build_table("t", [GROUP, ANSWER], {("medium", "yes"): 10, ("medium", "no"): 13, ("senior", "no"): 14})
    with pytest.raises(CannotProtect, match=r"only 2 response\(s\) came in since release 1.*at least 5"):
        protect([later], Rules(), earlier=[earlier])


def test_a_release_without_new_responses_is_refused():
    """It would add nothing but a second suppression pattern of the same counts."""
    table = build_table("t", [GROUP, ANSWER], {("medium", "yes"): 3, ("medium", "no"): 12, ("senior", "no"): 14,
                                                ("senior", "yes"): 8, ("top", "no"): 6, ("top", "yes"): 7})
    _, earlier = release(table, Rules())
    with pytest.raises(CannotProtect, match=r"no response came in since release 1.*at least 5"):
        protect([table], Rules(), earlier=[earlier])


def independent_change_bounds(first, second, published_first, published_second, key):
    """One LP over both releases: additivity in each, published cells fixed, changes ≥ 0."""
    keys = first.keys
    n = len(keys)
    position = {k: i for i, k in enumerate(keys)}
    rows, rhs = [], []
    for offset in (0, n):
        for equation in first.equations():
            row = np.zeros(2 * n)
            row[offset + position[equation.total]] = -1
            for part in equation.parts:
                row[offset + position[part]] += 1
            rows.append(row)
            rhs.append(0)
    growth = np.hstack([np.eye(n), -np.eye(n)])  # then - now ≤ 0
    bounds = [(published_first[k], published_first[k]) if published_first[k] is not None else (0, None) for k in keys]
    bounds += [(published_second[k], published_second[k]) if published_second[k] is not None else (0, None) for k in keys]
    objective = np.zeros(2 * n)
    objective[n + position[key]], objective[position[key]] = 1, -1
    low = linprog(objective, A_ub=growth, b_ub=np.zeros(n), A_eq=np.array(rows), b_eq=rhs, bounds=bounds, method="highs")
    high = linprog(-objective, A_ub=growth, b_ub=np.zeros(n), A_eq=np.array(rows), b_eq=rhs, bounds=bounds, method="highs")
    return math.ceil(low.fun - 1e-6), (math.floor(-high.fun + 1e-6) if high.status == 0 else math.inf)


@pytest.mark.parametrize("exact_seconds", [30.0, 0.0], ids=["optimal", "hypercube"])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_late_responses_cannot_be_learned_by_subtracting_releases(exact_seconds, data):
    keys = list(itertools.product(GROUP.leaves, ANSWER.leaves))
    then = {k: data.draw(st.one_of(st.integers(0, 3), st.integers(4, 20))) for k in keys}
    added = {k: data.draw(st.integers(0, 2)) for k in keys}
    assume(sum(then.values()) >= 3 and sum(added.values()) >= 3)
    assert_late_responses_protected(then, added, exact_seconds)


def test_the_heuristic_follows_an_earlier_release_that_protected_by_a_longer_cycle():
    """Release 1 protected [senior, Total] by a six-cell cycle, not a box: in release 2 no box fits
    the earlier cells, and the heuristic must find the move by linear programming."""
    then = {("senior", "prefer_not_to_say"): 1, ("top", "prefer_not_to_say"): 4}
    added = {("top", "no"): 1, ("top", "prefer_not_to_say"): 2}
    assert_late_responses_protected(then, added, exact_seconds=0.0)


def assert_late_responses_protected(then: dict, added: dict, exact_seconds: float) -> None:
    rules = Rules(min_count=3)
    keys = list(itertools.product(GROUP.leaves, ANSWER.leaves))
    first_table = build_table("t", [GROUP, ANSWER], then)
    second_table = build_table("t", [GROUP, ANSWER], {k: then.get(k, 0) + added.get(k, 0) for k in keys})
    first, earlier = release(first_table, rules)
    protection = protect([second_table], rules, earlier=[earlier], exact_seconds=exact_seconds)
    assert protection.method == ("optimal" if exact_seconds else "hypercube")
    second = protection.tables[0]
    published_first = {k: c.count for k, c in first.cells.items()}
    published_second = {k: c.count for k, c in second.cells.items()}
    for key in first_table.keys:
        change = second_table.counts[key] - first_table.counts[key]
        if 0 < change < rules.min_count:
            lower, upper = independent_change_bounds(first_table, second_table, published_first, published_second, key)
            assert upper > lower, f"the change in {key} is exactly {change}"
            assert lower == 0 or upper >= rules.min_count, f"the change in {key} lies in [{lower}, {upper}]"
