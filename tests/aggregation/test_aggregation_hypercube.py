"""One-dimensional moves, the building blocks of hypercube boxes, keep every equation of a dimension;
boxes carried across releases keep every equation of the linked system."""
from __future__ import annotations

import numpy as np
import pytest

from aggregation import TOTAL, Dimension, build_table
from aggregation.history import link_releases
from aggregation.hypercube import Boxes, dimension_moves

DEPARTMENTS = Dimension.hierarchical("department", {"D1": ["11", "12", "13"], "D2": ["21"], "D3": ["31", "32"]})


@pytest.mark.parametrize("node", DEPARTMENTS.nodes)
def test_every_move_keeps_every_sub_total_and_moves_its_node(node):
    moves = dimension_moves(DEPARTMENTS, node)
    assert moves
    for move in moves:
        step = dict(move)
        assert step[node] == 1
        for parent, children in DEPARTMENTS.children.items():
            assert step.get(parent, 0) == sum(step.get(child, 0) for child in children), (node, move)


def test_a_leaf_pairs_with_every_other_leaf_or_climbs_to_the_total():
    moves = {frozenset(m) for m in dimension_moves(DEPARTMENTS, "11")}
    assert frozenset({("11", 1), ("D1", 1), (TOTAL, 1)}) in moves
    assert frozenset({("11", 1), ("12", -1)}) in moves  # siblings: the sub-total stays
    assert frozenset({("11", 1), ("D1", 1), ("31", -1), ("D3", -1)}) in moves  # cousins: the total stays
    assert len(moves) == 1 + (len(DEPARTMENTS.leaves) - 1)


def test_the_total_can_only_climb_from_a_leaf():
    moves = dimension_moves(DEPARTMENTS, TOTAL)
    assert all(dict(m)[TOTAL] == 1 and all(s == 1 for _, s in m) for m in moves)
    assert len(moves) == len(DEPARTMENTS.leaves)


def test_a_box_carried_through_four_releases_keeps_every_equation_of_the_linked_system():
    """Every box of every table, release and change, carried by every profile, still satisfies every
    equation of all releases and all pairwise changes together (not only the links to the newest)."""
    group = Dimension.flat("group", ["medium", "senior", "top"])
    answer = Dimension.flat("answer", ["yes", "no"])
    counts = [{("medium", "yes"): 4, ("senior", "no"): 7, ("top", "yes"): 2}]
    for late in ({("medium", "no"): 5}, {("top", "no"): 3, ("senior", "yes"): 2}, {("medium", "yes"): 6}):
        counts.append({key: counts[-1].get(key, 0) + late.get(key, 0) for key in {*counts[-1], *late}})
    tables = [build_table("t", [group, answer], inner) for inner in counts]
    secret = frozenset(("t", key) for key in tables[0].keys if TOTAL not in key)
    history = link_releases([([t], secret) for t in tables[:3]], [tables[3]])
    system = history.system
    boxes = Boxes(system, history.tables, history.lineages)
    nothing = np.zeros(system.size, dtype=bool)
    carried = 0
    for table in history.tables:
        for key in table.keys:
            for box in boxes._table_moves(table, key, 1, 1, np.ones(system.size), nothing, nothing):
                for move in boxes._carried(box, nothing):
                    step = np.zeros(system.size)
                    step[list(move)] = list(move.values())
                    assert not np.any(system.matrix @ step), (table.id, key, move)
                    carried += 1
    assert carried > 1000
