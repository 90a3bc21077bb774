"""One-dimensional moves, the building blocks of hypercube boxes, keep every equation of a dimension."""
from __future__ import annotations

import pytest

from aggregation import TOTAL, Dimension
from aggregation.hypercube import dimension_moves

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
